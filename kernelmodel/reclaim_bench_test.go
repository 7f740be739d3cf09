package kernelmodel_test

import (
	"fmt"
	"testing"
	"time"

	"mmsim/kernelmodel"
	"mmsim/kernelmodel/mm"
	"mmsim/kernelmodel/tlb"
)

// rclBenchSetup boots a machine and starts a process that has written
// pages anonymous pages; it returns the machine, the process and the
// region.
func rclBenchSetup(b *testing.B, line string, pages uint64) (*kernelmodel.Machine, *mm.Task, uint64) {
	b.Helper()
	m, p := procBenchSpawn(b, line)
	base, err := m.Procs.Mmap(p, mm.MmapArgs{Len: pages * rclPage, Prot: mm.ProtRead | mm.ProtWrite, Flags: mm.MapPrivate | mm.MapAnonymous})
	if err != nil {
		b.Fatal(err)
	}
	for i := uint64(0); i < pages; i++ {
		if err := rclPut(m, p, base+i*rclPage, rclVal(p.PID, i)); err != nil {
			b.Fatal(err)
		}
	}
	return m, p, base
}

// BenchmarkReclaim100k is a swap round trip of 100,000 pages: one
// MADV_PAGEOUT of a process's 100,000 written anonymous pages (each goes
// to a slot: try_to_unmap(), swap_writepage()), then a read of every
// page (100,000 major faults through do_swap_page()). It reports the
// milliseconds per round trip (target: under 1000) and checks the
// machine and the data outside the timer.
func BenchmarkReclaim100k(b *testing.B) {
	const n = 100_000
	m, p, base := rclBenchSetup(b, "x86_64 mem=1G swap=1G", n)
	if err := m.Check(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		maj, out := p.MajFlt, m.Reclaim.Swap.Out
		if err := m.Procs.Madvise(p, base, n*rclPage, mm.MadvPageout); err != nil {
			b.Fatal(err)
		}
		if p.MM.Rss[mm.MMSwapEnts] < n {
			b.Fatalf("round trip %d: %d swap entries after MADV_PAGEOUT", i, p.MM.Rss[mm.MMSwapEnts])
		}
		for k := uint64(0); k < n; k++ {
			if _, err := m.Procs.Access(p, base+k*rclPage, tlb.Read); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		// The first trip writes every page; later ones find them
		// clean in the swap cache (a read fault leaves them there while
		// swap is less than half full) and write nothing.
		if p.MajFlt-maj != n || i == 0 && m.Reclaim.Swap.Out-out < n {
			b.Fatalf("round trip %d: %d major faults, %d pages written out", i, p.MajFlt-maj, m.Reclaim.Swap.Out-out)
		}
		if i == 0 {
			for k := uint64(0); k < n; k += 997 {
				if got := rclGet(b, m, p, base+k*rclPage); got != rclVal(p.PID, k) {
					b.Fatalf("page %d reads %#x", k, got)
				}
			}
			if err := m.Check(); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/roundtrip")
}

// BenchmarkShrinkScanCost runs shrink_node() batches (ShrinkNode(32)) over
// the same 64k-page workload on machines of 1 GiB and 8 GiB and reports
// the nanoseconds per page scanned: the scan walks the LRU lists and the
// reverse map, so its cost must not grow with the size of memory. The
// pages reclaimed are read back (swapped in) outside the timer when the
// lists run low.
func BenchmarkShrinkScanCost(b *testing.B) {
	const n = 64 << 10
	for _, mem := range []string{"1G", "8G"} {
		b.Run("mem="+mem, func(b *testing.B) {
			m, p, base := rclBenchSetup(b, fmt.Sprintf("x86_64 mem=%s swap=1G", mem), n)
			st := &m.Reclaim.Stats
			var scanned uint64
			var timed time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if m.Reclaim.LRU.Total() < n/2 {
					b.StopTimer()
					for k := uint64(0); k < n; k++ {
						if _, err := m.Procs.Access(p, base+k*rclPage, tlb.Read); err != nil {
							b.Fatal(err)
						}
					}
					b.StartTimer()
				}
				before := st.PgscanKswapd
				t0 := time.Now()
				// A batch may free nothing: a call gives up after 64
				// rounds of 32 pages that all had their second chance.
				m.Reclaim.ShrinkNode(32, false)
				timed += time.Since(t0)
				scanned += st.PgscanKswapd - before
			}
			b.StopTimer()
			if err := m.Check(); err != nil {
				b.Fatal(err)
			}
			if scanned > 0 {
				b.ReportMetric(float64(timed.Nanoseconds())/float64(scanned), "ns/scanned")
			}
		})
	}
}
