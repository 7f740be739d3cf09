package phys_test

import (
	"math/rand/v2"
	"testing"

	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/phys"
)

// ring is a steady-state workload: a fixed number of live blocks; each
// step frees the oldest and allocates a new one.
type ring struct {
	m      *phys.Mem
	live   []phys.Block
	orders []int
	next   int
}

func newRing(b *testing.B, p arch.Params, size int, maxOrder int, seed uint64) *ring {
	b.Helper()
	r := &ring{m: boot(b, p)}
	rng := rand.New(rand.NewPCG(seed, seed))
	r.orders = make([]int, 1<<16)
	for i := range r.orders {
		r.orders[i] = rng.IntN(maxOrder + 1)
	}
	for i := 0; i < size; i++ {
		order := r.orders[i%len(r.orders)]
		pfn, ok, err := r.m.AllocPages(phys.Request{GFP: phys.GFPKernel, Order: order})
		if !ok || err != nil {
			b.Fatalf("setup allocation %d: %v, %v", i, ok, err)
		}
		r.live = append(r.live, phys.Block{PFN: pfn, Order: order})
	}
	return r
}

// step frees the oldest block and allocates one in its place.
func (r *ring) step(b *testing.B) {
	i := r.next % len(r.live)
	old := r.live[i]
	if err := r.m.FreePages(old.PFN, old.Order); err != nil {
		b.Fatal(err)
	}
	order := r.orders[r.next%len(r.orders)]
	pfn, ok, err := r.m.AllocPages(phys.Request{GFP: phys.GFPKernel, Order: order})
	if !ok || err != nil {
		b.Fatalf("allocation: %v, %v", ok, err)
	}
	r.live[i] = phys.Block{PFN: pfn, Order: order}
	r.next++
}

// reportPairs reports each loop iteration, one allocation and one free,
// as two operations.
func reportPairs(b *testing.B) {
	if b.N > 0 {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(2*b.N), "ns/alloc-or-free")
		b.ReportMetric(float64(2*b.N)/b.Elapsed().Seconds(), "allocs+frees/s")
	}
}

// BenchmarkAllocFree: steady state on x86_64 mem=8G with 4096 live
// blocks of orders 0-3; one op is one free and one allocation.
func BenchmarkAllocFree(b *testing.B) {
	r := newRing(b, x86_64(8*gib), 4096, 3, 1)
	for b.Loop() {
		r.step(b)
	}
	reportPairs(b)
}

// BenchmarkAllocFreeOrder0: order-0 pages only, as a ring of 1024 live
// pages and as an allocation freed at once (which splits an order-10
// block and merges it back every time).
func BenchmarkAllocFreeOrder0(b *testing.B) {
	b.Run("ring", func(b *testing.B) {
		r := newRing(b, x86_64(8*gib), 1024, 0, 2)
		for b.Loop() {
			r.step(b)
		}
		reportPairs(b)
	})
	b.Run("pair", func(b *testing.B) {
		m := boot(b, x86_64(8*gib))
		for b.Loop() {
			pfn, ok, err := m.AllocPages(phys.Request{GFP: phys.GFPKernel})
			if !ok || err != nil {
				b.Fatal(ok, err)
			}
			if err := m.FreePages(pfn, 0); err != nil {
				b.Fatal(err)
			}
		}
		reportPairs(b)
	})
}

// BenchmarkBoot1T boots x86_64 mem=1T: lazily, so the cost is that of a
// few sections, not of 2^28 struct pages.
func BenchmarkBoot1T(b *testing.B) {
	l, err := arch.New(x86_64(1 * tib))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		m, err := phys.Boot(l)
		if err != nil || m.Sections() != 1 {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheck: x86_64 mem=8G with 10000 live blocks of orders 0-3.
// "full" checks everything; "incremental" is one free, one allocation
// and the Check after them.
func BenchmarkCheck(b *testing.B) {
	b.Run("full", func(b *testing.B) {
		r := newRing(b, x86_64(8*gib), 10000, 3, 3)
		for b.Loop() {
			if err := r.m.CheckFull(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("incremental", func(b *testing.B) {
		r := newRing(b, x86_64(8*gib), 10000, 3, 4)
		for b.Loop() {
			r.step(b)
			if err := r.m.Check(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
