package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkTestRun measures mmsim test on a file of 64 tests, each booting
// its machine and doing 100 kmalloc/kfree pairs with output checked by an
// expect comment, with one worker and with two.
func BenchmarkTestRun(b *testing.B) {
	dir := b.TempDir()
	var src strings.Builder
	src.WriteString("machine x86 mem=64M\n")
	for i := 0; i < 64; i++ {
		fmt.Fprintf(&src, "test \"t%d\" points=1 {\n  for i in range(100) { kfree(kmalloc(%d, GFP_KERNEL)) }\n  print \"done\"  # expect: done\n}\n", i, 8+i)
	}
	file := filepath.Join(dir, "bench_test.mms")
	if err := os.WriteFile(file, []byte(src.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	for _, jobs := range []int{1, 2} {
		b.Run(fmt.Sprintf("jobs=%d", jobs), func(b *testing.B) {
			for b.Loop() {
				if code := Main([]string{"test", "--format", "json", "--jobs", fmt.Sprint(jobs), file}, nil, io.Discard, io.Discard); code != 0 {
					b.Fatalf("exit %d", code)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*64), "ns/test")
		})
	}
}
