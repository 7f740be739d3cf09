package kernelmodel_test

import (
	"testing"

	"mmsim/kernelmodel"
	"mmsim/kernelmodel/phys"
	"mmsim/kernelmodel/vmalloc"
)

// benchMachine boots a machine from a machine line for a benchmark.
func benchMachine(b *testing.B, line string) *kernelmodel.Machine {
	b.Helper()
	m, err := kernelmodel.BootLine(line)
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// BenchmarkVmallocVfree16 measures one vmalloc(16 pages) + vfree pair on
// x86_64 mem=4G: the lowest-fit search, the kmalloc'd page array, 16
// order-0 pages, their PTEs, and the lazy free; every 16384/17 = 963
// pairs the lazy purge runs (lazy_max_pages for 2 CPUs, 17 pages per area
// with its guard page) and flushes both TLBs. It reports pairs/s, which is
// 1e9 / ns/op.
func BenchmarkVmallocVfree16(b *testing.B) {
	m := benchMachine(b, "x86_64 mem=4G")
	req := vmalloc.Request{Size: 16 * 4096, GFP: phys.GFPKernel, Caller: "bench", Func: "vmalloc"}
	for b.Loop() {
		va, ok, err := m.Vmalloc.Alloc(req)
		if err != nil || !ok {
			b.Fatalf("vmalloc: %v %v", ok, err)
		}
		if err := m.Vmalloc.Free(va); err != nil {
			b.Fatal(err)
		}
	}
	if ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N); ns > 0 {
		b.ReportMetric(1e9/ns, "pairs/s")
	}
	b.StopTimer()
	if err := m.Check(); err != nil {
		b.Fatal(err)
	}
	if m.TakeWarnings() != nil {
		b.Fatal("warnings during the benchmark")
	}
}
