package runtime_test

import (
	"io"
	"testing"

	"mmsim/lang"
	"mmsim/stdlib"
)

// benchScript runs src once per iteration on a fresh thread and reports the
// time per unit of work (each script does 100,000 units).
func benchScript(b *testing.B, src, unit string) {
	f, err := lang.Parse("bench.mms", src)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		th, _ := stdlib.NewThread(io.Discard, io.Discard)
		if err := th.ExecFile(f); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/100000, "ns/"+unit)
}

// BenchmarkLoop measures the interpreter's cost per loop iteration: one
// compound assignment, one comparison and one arithmetic expression.
func BenchmarkLoop(b *testing.B) {
	benchScript(b, "total = 0\nfor i in 0..100000 {\n  if i % 3 == 0 { total += i * 2 }\n}\n", "iteration")
}

// BenchmarkCall measures a user-function call.
func BenchmarkCall(b *testing.B) {
	benchScript(b, "fn add(a, b) { return a + b }\nx = 0\nrepeat 100000 { x = add(x, 1) }\n", "call")
}
