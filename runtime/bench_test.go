package runtime_test

import (
	"io"
	"testing"

	"mmsim/lang"
	"mmsim/stdlib"
)

// BenchmarkLoop measures the interpreter's cost per loop iteration: one
// compound assignment, one comparison and one arithmetic expression.
func BenchmarkLoop(b *testing.B) {
	f, err := lang.Parse("bench.mms", "total = 0\nfor i in 0..100000 {\n  if i % 3 == 0 { total += i * 2 }\n}\n")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		th, _ := stdlib.NewThread(io.Discard, io.Discard)
		if err := th.ExecFile(f); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/100000, "ns/iteration")
}

// BenchmarkCall measures a user-function call.
func BenchmarkCall(b *testing.B) {
	f, err := lang.Parse("bench.mms", "fn add(a, b) { return a + b }\nx = 0\nrepeat 100000 { x = add(x, 1) }\n")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		th, _ := stdlib.NewThread(io.Discard, io.Discard)
		if err := th.ExecFile(f); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/100000, "ns/call")
}
