package tlb_test

import (
	"testing"

	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/phys"
	"mmsim/kernelmodel/tlb"
)

// BenchmarkTranslateHit translates the same address over and over: after
// the first miss every access is a TLB hit. Two kinds of page: a 4K
// vmalloc page mapped with MapKernel, and the direct map (a large page).
func BenchmarkTranslateHit(b *testing.B) {
	for _, bc := range []struct {
		name, line string
		vmalloc    bool
	}{
		{"vmalloc4K/4level", m4Level, true},
		{"directmap/4level", m4Level, false},
		{"vmalloc4K/2level", m2Level, true},
		{"directmap/2level", m2Level, false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			m := boot(b, bc.line+" cpus=1")
			va, pa := m.Layout.PageOffset+0x123458, phys.PhysAddr(0x123458)
			if bc.vmalloc {
				v, pfn := vmap(b, m, 0, pageKernel)
				va, pa = v+0x458, pfn.Addr()+0x458
			}
			translate(b, m, 0, va, tlb.Read, false)
			for b.Loop() {
				got, f := m.MMU.Translate(0, va, tlb.Read, false)
				if f != nil || got != pa {
					b.Fatalf("Translate = %#x, %v", uint64(got), f)
				}
			}
			if s := m.MMU.TLBs[0].Stats; s.Misses != 1 {
				b.Fatalf("%d misses, want only the first", s.Misses)
			}
		})
	}
}

// BenchmarkTranslateMiss4Level makes every translation a full 4-level
// walk (PGD, PUD, PMD, PTE) of a 4K vmalloc page: either a 1-entry TLB
// alternating between two pages, each access evicting the other, or an
// invlpg before each access. flush_tlb_one_kernel() is the bare
// instruction: each counts in Invlpg and in no vmstat event
// (arch/x86/mm/tlb.c counts those in its flush functions only).
func BenchmarkTranslateMiss4Level(b *testing.B) {
	b.Run("tlb=1/alternate", func(b *testing.B) {
		m := boot(b, m4Level+" cpus=1 tlb=1")
		va0, pfn0 := vmap(b, m, 0, pageKernel)
		va1, pfn1 := vmap(b, m, 1, pageKernel)
		vas := [2]arch.VirtAddr{va0, va1}
		pas := [2]phys.PhysAddr{pfn0.Addr(), pfn1.Addr()}
		i := 0
		for b.Loop() {
			got, f := m.MMU.Translate(0, vas[i], tlb.Read, false)
			if f != nil || got != pas[i] {
				b.Fatalf("Translate = %#x, %v", uint64(got), f)
			}
			i ^= 1
		}
		if s := m.MMU.TLBs[0].Stats; s.Hits != 0 {
			b.Fatalf("%d hits, want every access to miss", s.Hits)
		}
	})
	b.Run("invlpg", func(b *testing.B) {
		m := boot(b, m4Level+" cpus=1")
		va, pfn := vmap(b, m, 0, pageKernel)
		var n uint64
		for b.Loop() {
			m.MMU.FlushOneKernel(0, va)
			got, f := m.MMU.Translate(0, va, tlb.Read, false)
			if f != nil || got != pfn.Addr() {
				b.Fatalf("Translate = %#x, %v", uint64(got), f)
			}
			n++
		}
		if s := m.MMU.TLBs[0].Stats; s.Hits != 0 {
			b.Fatalf("%d hits, want every access to miss", s.Hits)
		}
		want := tlb.Stats{Misses: n, Invlpg: n}
		if s := m.MMU.TLBs[0].Stats; s != want {
			b.Fatalf("stats %+v, want %+v: one invlpg and one miss per access, no vmstat event", s, want)
		}
	})
}
