package kernelmodel_test

import (
	"fmt"
	"testing"

	"mmsim/kernelmodel"
	"mmsim/kernelmodel/mm"
	"mmsim/kernelmodel/tlb"
)

// procBenchSpawn boots a machine and starts one running process.
func procBenchSpawn(b *testing.B, line string) (*kernelmodel.Machine, *mm.Task) {
	b.Helper()
	m, err := kernelmodel.BootLine(line)
	if err != nil {
		b.Fatal(err)
	}
	prog, err := m.Procs.Program("bench", 0, 0, 0)
	if err != nil {
		b.Fatal(err)
	}
	p, err := m.Procs.Spawn(prog)
	if err != nil {
		b.Fatal(err)
	}
	if err := m.Procs.SwitchTo(p); err != nil {
		b.Fatal(err)
	}
	return m, p
}

// BenchmarkWriteFault write-faults fresh private anonymous pages through
// Access, one page per iteration: do_anonymous_page() with a page
// allocation, a PTE set and a TLB fill. The region is mapped 100k pages
// at a time and unmapped when used up, outside the timer.
func BenchmarkWriteFault(b *testing.B) {
	const chunk = 100_000
	m, p := procBenchSpawn(b, "x86_64 mem=4G")
	s := m.Procs
	b.StopTimer()
	var base, next, end uint64
	for i := 0; i < b.N; i++ {
		if next == end {
			b.StopTimer()
			if end != 0 {
				if err := s.Munmap(p, base, chunk*procPage); err != nil {
					b.Fatal(err)
				}
			}
			var err error
			base, err = s.Mmap(p, procAnon(0, chunk, procRW, mm.MapPrivate))
			if err != nil {
				b.Fatal(err)
			}
			next, end = base, base+chunk*procPage
			b.StartTimer()
		}
		if _, err := s.Access(p, next, tlb.Write); err != nil {
			b.Fatal(err)
		}
		next += procPage
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "faults/s")
	if p.MinFlt < uint64(b.N) {
		b.Fatalf("%d faults for %d pages", p.MinFlt, b.N)
	}
	if err := m.Check(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkFork100k forks a process that has 100,000 written private
// anonymous pages: dup_mmap() and copy_page_range() write-protect and
// reference every page. The child exits and is reaped outside the timer.
func BenchmarkFork100k(b *testing.B) {
	const pages = 100_000
	m, p := procBenchSpawn(b, "x86_64 mem=4G")
	s := m.Procs
	if _, err := s.Mmap(p, procAnon(0, pages, procRW, mm.MapPrivate|mm.MapPopulate)); err != nil {
		b.Fatal(err)
	}
	if p.MM.Rss[mm.MMAnonPages] < pages {
		b.Fatalf("only %d pages are resident", p.MM.Rss[mm.MMAnonPages])
	}
	if err := m.Check(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c, err := s.Fork(p)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if c.MM.Rss[mm.MMAnonPages] < pages {
			b.Fatalf("the child maps %d pages", c.MM.Rss[mm.MMAnonPages])
		}
		if err := s.Exit(c, 0, 0); err != nil {
			b.Fatal(err)
		}
		if _, err := s.Wait(p, c.PID); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1e6/float64(b.N), "ms/fork")
	if err := m.Check(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkMmapMunmap measures one mmap (a top-down search for a free
// range) and its munmap in an address space that has n non-mergeable
// VMAs already: with the VMA tree's gap tracking the cost grows as
// log n.
func BenchmarkMmapMunmap(b *testing.B) {
	for _, n := range []int{100, 1_000, 10_000, 60_000} {
		b.Run(fmt.Sprintf("vmas=%d", n), func(b *testing.B) {
			m, p := procBenchSpawn(b, "x86_64 mem=1G")
			s := m.Procs
			s.MaxMapCount = 100_000
			for i := 0; p.MM.MapCount() < n; i++ {
				prot := procRW
				if i%2 == 1 {
					prot = procRO
				}
				if _, err := s.Mmap(p, procAnon(0, 1, prot, mm.MapPrivate)); err != nil {
					b.Fatal(err)
				}
			}
			if err := m.Check(); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				a, err := s.Mmap(p, procAnon(0, 4, mm.ProtNone, mm.MapPrivate))
				if err != nil {
					b.Fatal(err)
				}
				if err := s.Munmap(p, a, 4*procPage); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if got := p.MM.MapCount(); got != n {
				b.Fatalf("%d VMAs, want %d", got, n)
			}
			if err := m.Check(); err != nil {
				b.Fatal(err)
			}
		})
	}
}
