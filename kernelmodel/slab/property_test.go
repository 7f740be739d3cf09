package slab_test

import (
	"fmt"
	"math/rand"
	"sort"
	"testing"

	"mmsim/kernelmodel"
	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/phys"
)

// live is the ledger's record of one allocation.
type live struct {
	size int
	gfp  phys.GFP
}

// TestPropertyRandom runs seeded random kmalloc and kfree, bad frees that
// must fail and change nothing, CPU switches, atomic sections and shrinks,
// checking the machine's invariants and a ledger after every step; at the
// end everything is freed and shrunk, and the page allocator must have
// every page back.
func TestPropertyRandom(t *testing.T) {
	machines := []struct {
		line    string
		maxLive int
	}{
		{"x86 mem=64M cpus=1", 600},
		{"x86_64 mem=256M cpus=4", 2000},
	}
	masks := []phys.GFP{phys.GFPKernel, phys.GFPAtomic, phys.GFPDMA, phys.GFPKernel | phys.GfpReclaimable}
	for _, mc := range machines {
		for _, seed := range []int64{1, 2, 3} {
			t.Run(fmt.Sprintf("%s/seed=%d", mc.line, seed), func(t *testing.T) {
				m, r := boot(t, mc.line)
				a := m.Slab
				bootFree := m.Phys.NrFreePages()
				rng := rand.New(rand.NewSource(seed))
				ledger := map[arch.VirtAddr]live{}
				var order []arch.VirtAddr // live pointers, for random picks
				var stale []arch.VirtAddr // pointers freed once
				remove := func(i int) arch.VirtAddr {
					p := order[i]
					order[i] = order[len(order)-1]
					order = order[:len(order)-1]
					delete(ledger, p)
					stale = append(stale, p)
					return p
				}
				steps := 4000
				var nBad, nAlloc, nFree, nShrink, nAtomic int
				for step := 0; step < steps; step++ {
					what := ""
					switch k := rng.Intn(100); {
					case k < 45 && len(order) < mc.maxLive:
						size := rng.Intn(10001)
						if rng.Intn(10) == 0 {
							size = rng.Intn(200)
						}
						gfp := masks[rng.Intn(len(masks))]
						what = fmt.Sprintf("kmalloc(%d, %s)", size, gfp)
						p, ok, err := a.Kmalloc(size, gfp, "kmalloc")
						if err != nil || !ok {
							t.Fatalf("step %d: %s = %v, %v; memory is plentiful", step, what, ok, err)
						}
						if size == 0 {
							if p != 16 {
								t.Fatalf("step %d: kmalloc(0) = %#x", step, uint64(p))
							}
							break
						}
						if _, dup := ledger[p]; dup {
							t.Fatalf("step %d: %s returned %#x, which is live", step, what, uint64(p))
						}
						ledger[p] = live{size, gfp}
						order = append(order, p)
						nAlloc++
					case k < 85 && len(order) > 0:
						p := remove(rng.Intn(len(order)))
						what = fmt.Sprintf("kfree(%#x)", uint64(p))
						if err := a.Kfree(p, "kfree"); err != nil {
							t.Fatalf("step %d: %s: %v", step, what, err)
						}
						nFree++
					case k < 92:
						// A bad free: any address that is not the start
						// of a live object must fail and change nothing.
						p := badPointer(rng, m, order, stale, ledger)
						if p == 0 {
							break
						}
						what = fmt.Sprintf("bad kfree(%#x)", uint64(p))
						before := snapshot(m)
						if err := a.Kfree(p, "kfree"); !isBug(err) {
							t.Fatalf("step %d: %s = %v, want a BUG", step, what, err)
						}
						unchanged(t, m, before, what)
						nBad++
					case k < 96:
						// Switch CPU.
						if cs := m.Contexts(); len(cs) > 0 {
							m.LeaveContext()
						}
						cpu := rng.Intn(m.Config.CPUs)
						if err := m.EnterContext(kernelmodel.Context{Kind: kernelmodel.CtxCPU, CPU: cpu}); err != nil {
							t.Fatal(err)
						}
						what = fmt.Sprintf("cpu %d", cpu)
					case k < 98:
						// An atomic section: GFP_KERNEL is a BUG that
						// changes nothing, GFP_ATOMIC works.
						what = "atomic"
						if err := m.EnterContext(kernelmodel.Context{Kind: kernelmodel.CtxAtomic}); err != nil {
							t.Fatal(err)
						}
						before := snapshot(m)
						_, _, err := a.Kmalloc(1+rng.Intn(10000), phys.GFPKernel, "kmalloc")
						wantBug(t, err, fmt.Sprintf("step %d: GFP_KERNEL in atomic context", step), "sleeping function")
						unchanged(t, m, before, "GFP_KERNEL in atomic context")
						if len(order) < mc.maxLive {
							size := 1 + rng.Intn(10000)
							p := kmalloc(t, a, size, phys.GFPAtomic)
							if _, dup := ledger[p]; dup {
								t.Fatalf("step %d: kmalloc in atomic context returned live %#x", step, uint64(p))
							}
							ledger[p] = live{size, phys.GFPAtomic}
							order = append(order, p)
						}
						m.LeaveContext()
						nAtomic++
					default:
						what = "shrink"
						for _, c := range a.Caches() {
							if _, err := c.Shrink(); err != nil {
								t.Fatalf("step %d: shrink %s: %v", step, c.Name, err)
							}
						}
						nShrink++
					}
					if err := m.Check(); err != nil {
						t.Fatalf("step %d (%s): Check: %v", step, what, err)
					}
					checkLedger(t, m, ledger, step, what)
					if step%500 == 0 {
						checkAll(t, m)
					}
				}
				if w := r.take(); len(w) != 0 {
					t.Errorf("warnings: %q", w[:min(len(w), 3)])
				}
				if nBad < 100 || nAlloc < 1000 || nFree < 1000 || nShrink < 10 || nAtomic < 20 {
					t.Errorf("too few operations: %d allocs, %d frees, %d bad frees, %d shrinks, %d atomic sections", nAlloc, nFree, nBad, nShrink, nAtomic)
				}
				// Free everything and shrink every cache: every page is
				// back, and no cache holds a slab.
				for len(order) > 0 {
					p := remove(len(order) - 1)
					kfree(t, a, p)
				}
				for _, c := range a.Caches() {
					if _, err := c.Shrink(); err != nil {
						t.Fatal(err)
					}
					if n := c.Counts(); n.Slabs != 0 || n.Objs != 0 || n.InUse != 0 {
						t.Errorf("%s after freeing and shrinking: %+v", c.Name, n)
					}
				}
				if got := m.Phys.NrFreePages(); got != bootFree {
					t.Errorf("free pages %d at the end, %d at boot", got, bootFree)
				}
				if leaks := m.Phys.Leaks(phys.OwnerSlab); len(leaks) != 0 {
					t.Errorf("%d blocks still owned by the slab layer", len(leaks))
				}
				checkAll(t, m)
			})
		}
	}
}

// checkLedger verifies every live allocation: found allocated at its
// start, with a usable size at least the size asked for, from a cache of
// the mask's type; and no two overlap.
func checkLedger(t *testing.T, m *kernelmodel.Machine, ledger map[arch.VirtAddr]live, step int, what string) {
	t.Helper()
	type span struct{ start, end arch.VirtAddr }
	spans := make([]span, 0, len(ledger))
	inUse := map[string]int{}
	for p, l := range ledger {
		o, ok := m.Slab.Lookup(p)
		if !ok || o.Free || o.Offset != 0 {
			t.Fatalf("step %d (%s): live %#x (kmalloc(%d, %s)) looks up as %+v, %v", step, what, uint64(p), l.size, l.gfp, o, ok)
		}
		n, err := m.Slab.Ksize(p, "ksize")
		if err != nil || n < l.size || n != o.Size {
			t.Fatalf("step %d (%s): ksize(%#x) = %d, %v for kmalloc(%d)", step, what, uint64(p), n, err, l.size)
		}
		if l.size <= 8192 {
			if want := m.Slab.KmallocCache(l.size, l.gfp); o.Cache != want {
				t.Fatalf("step %d (%s): kmalloc(%d, %s) is in %v, want %s", step, what, l.size, l.gfp, o.Cache, want.Name)
			}
		} else if !o.Large {
			t.Fatalf("step %d (%s): kmalloc(%d) is no large kmalloc", step, what, l.size)
		}
		if l.gfp&phys.GfpDMA != 0 && m.Phys.PageZone(o.PFN).Name != "DMA" {
			t.Fatalf("step %d (%s): kmalloc(%d, GFP_DMA) is in zone %s", step, what, l.size, m.Phys.PageZone(o.PFN).Name)
		}
		spans = append(spans, span{p, p + arch.VirtAddr(n)})
		if o.Cache != nil {
			inUse[o.Cache.Name]++
		}
	}
	// Each cache counts exactly the ledger's objects in it.
	for _, c := range m.Slab.Caches() {
		if n := c.Counts(); n.InUse != inUse[c.Name] || n.Objs != n.Slabs*c.ObjsPerSlab {
			t.Fatalf("step %d (%s): %s counts %+v, the ledger %d objects in use", step, what, c.Name, n, inUse[c.Name])
		}
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	for i := 1; i < len(spans); i++ {
		if spans[i].start < spans[i-1].end {
			t.Fatalf("step %d (%s): live objects %#x..%#x and %#x overlap", step, what, uint64(spans[i-1].start), uint64(spans[i-1].end), uint64(spans[i].start))
		}
	}
}

// badPointer picks an address kfree must refuse: one byte or more into a
// live object, a pointer freed before and not live again, or a random
// address in the direct map; never the start of a live object, nor NULL or
// ZERO_SIZE_PTR. It returns 0 when it finds none.
func badPointer(rng *rand.Rand, m *kernelmodel.Machine, order, stale []arch.VirtAddr, ledger map[arch.VirtAddr]live) arch.VirtAddr {
	for try := 0; try < 10; try++ {
		var p arch.VirtAddr
		switch rng.Intn(3) {
		case 0:
			if len(order) == 0 {
				continue
			}
			q := order[rng.Intn(len(order))]
			n, _ := m.Slab.Ksize(q, "ksize")
			p = q + arch.VirtAddr(1+rng.Intn(n-1))
		case 1:
			if len(stale) == 0 {
				continue
			}
			p = stale[rng.Intn(len(stale))]
		default:
			lowmem := uint64(m.Layout.HighMemory - m.Layout.PageOffset)
			p = m.Layout.PageOffset + arch.VirtAddr(rng.Uint64()%lowmem)
		}
		if _, isLive := ledger[p]; !isLive && p > 16 {
			return p
		}
	}
	return 0
}
