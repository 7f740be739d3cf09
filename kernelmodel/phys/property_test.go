package phys_test

import (
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"

	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/phys"
)

// counters is the cheap part of the allocator's state, compared after
// every step.
type counters struct {
	Free, Allocated []uint64
	NrFree          [][phys.NROrders]uint64
}

func countersOf(m *phys.Mem) counters {
	var c counters
	for _, z := range m.Zones {
		c.Free = append(c.Free, z.Free())
		c.Allocated = append(c.Allocated, z.Allocated())
		c.NrFree = append(c.NrFree, nrFree(z))
	}
	return c
}

// floor is the lowest free count (after setting aside 2^order-1 pages)
// that any allocation with this mask may leave a zone at: its min
// watermark, halved for __GFP_HIGH and a further quarter off for a
// __GFP_HIGH caller that cannot sleep (unless __GFP_NOMEMALLOC), plus
// the zone's protection against the request's highest zone.
func floor(z *phys.Zone, gfp phys.GFP, highest *phys.Zone) uint64 {
	mark := z.Min()
	if gfp&phys.GfpHigh != 0 {
		mark -= mark / 2
		if !gfp.CanSleep() && gfp&phys.GfpNoMemalloc == 0 {
			mark -= mark / 4
		}
	}
	return mark + z.LowmemReserve[highest.Index]
}

var randomGFPs = []phys.GFP{
	phys.GFPKernel, phys.GFPKernel, phys.GFPKernel, phys.GFPAtomic, phys.GFPAtomic, phys.GFPNowait,
	phys.GFPUser, phys.GFPHighUser, phys.GFPHighUserMovable, phys.GFPHighUserMovable,
	phys.GFPKernel | phys.GfpDMA, phys.GFPAtomic | phys.GfpDMA, phys.GFPKernel | phys.GfpDMA32,
	phys.GFPKernel | phys.GfpZero | phys.GfpComp, phys.GFPKernel | phys.GfpNoRetry | phys.GfpNoWarn,
	phys.GFPNoFS, phys.GFPNoIO, phys.GFPKernel | phys.GfpRetryMayfail, phys.GFPAtomic | phys.GfpNoWarn,
	phys.GFPKernelAccount, phys.GFPTransHugeLight, phys.GFPTransHuge, phys.GFPAtomic | phys.GfpNoMemalloc,
	phys.GFPKernel | phys.GfpMemalloc,
}

// TestRandomOperations runs seeded random sequences of allocations, frees
// and deliberately bad frees on several machines, checking the invariants
// after every step, and at the end frees everything and expects the free
// lists boot built.
func TestRandomOperations(t *testing.T) {
	machines := []struct {
		name     string
		p        arch.Params
		seed     uint64
		steps    int
		pressure bool // small enough that allocations must fail
	}{
		{"x86 mem=64M", x86(64 * mib), 1, 4000, true},
		{"x86 mem=1G", x86(1 * gib), 2, 3000, false},
		{"x86_64 mem=8G", x86_64(8 * gib), 3, 3000, false},
		{"x86 mem=8M kernel=1M+4K", withKernel(x86(8*mib), 1*mib+4*kib), 4, 4000, true},
		{"x86 mem=100M+12K", x86(100*mib + 12*kib), 5, 3000, false},
		{"x86_64 mem=4G+12K", x86_64(4*gib + 12*kib), 6, 2000, false},
	}
	for _, mc := range machines {
		t.Run(mc.name, func(t *testing.T) {
			randomRun(t, mc.p, mc.seed, mc.steps, mc.pressure)
		})
	}
}

func randomRun(t *testing.T, p arch.Params, seed uint64, steps int, pressure bool) {
	m := boot(t, p)
	r := record(m)
	ctx := ""
	m.Hooks.Atomic = func() string { return ctx }
	rng := rand.New(rand.NewPCG(seed, 0x6d6d73696d))

	bootInfo := countersOf(m).NrFree
	var live, freed []phys.Block
	kernelEnd := phys.PFN(m.Layout.KernelEnd >> 12)
	var stats struct{ allocs, fails, ooms, bugs, frees, badFrees int }

	for step := 0; step < steps; step++ {
		before := countersOf(m)
		beforeStats := m.Stats
		switch k := rng.IntN(100); {
		case k < 55: // allocate
			gfp := randomGFPs[rng.IntN(len(randomGFPs))]
			order := rng.IntN(4)
			if rng.IntN(2) == 0 {
				order = rng.IntN(phys.NROrders)
			}
			ctx = ""
			if rng.IntN(20) == 0 {
				ctx = "irq"
			}
			highest, err := m.GFPZone(gfp)
			if err != nil {
				t.Fatalf("step %d: GFPZone(%s): %v", step, gfp, err)
			}
			pfn, ok, err := m.AllocPages(phys.Request{GFP: gfp, Order: order})
			switch {
			case ctx != "" && gfp.CanSleep():
				if ok || !isBug(err) {
					t.Fatalf("step %d: AllocPages(%s, %d) in irq context = %v, %v; want a *bug.Error", step, gfp, order, ok, err)
				}
				stats.bugs++
			case err != nil:
				if ok || !isOOM(err) {
					t.Fatalf("step %d: AllocPages(%s, %d) = %v, %v; the only error may be *bug.OOM", step, gfp, order, ok, err)
				}
				stats.ooms++
			case !ok:
				if m.Stats.AllocFail != beforeStats.AllocFail+1 {
					t.Fatalf("step %d: a failed allocation did not count in AllocFail", step)
				}
				stats.fails++
			}
			if !ok {
				if d := cmp.Diff(before, countersOf(m)); d != "" {
					t.Fatalf("step %d: AllocPages(%s, %d) failed but changed the zones:\n%s", step, gfp, order, d)
				}
				break
			}
			stats.allocs++
			z := m.PageZone(pfn)
			size := uint64(1) << order
			if pfn&phys.PFN(size-1) != 0 || pfn+phys.PFN(size) > z.EndPFN || pfn < z.StartPFN {
				t.Fatalf("step %d: block %d order %d is not aligned or not inside zone %s", step, pfn, order, z.Name)
			}
			if z.Index > highest.Index {
				t.Fatalf("step %d: AllocPages(%s) took zone %s above gfp_zone's %s", step, gfp, z.Name, highest.Name)
			}
			if z.Free() != before.Free[z.Index]-size || z.Allocated() != before.Allocated[z.Index]+size {
				t.Fatalf("step %d: zone %s free %d allocated %d, want %d and %d", step, z.Name, z.Free(), z.Allocated(), before.Free[z.Index]-size, before.Allocated[z.Index]+size)
			}
			if gfp&phys.GfpMemalloc == 0 || gfp&phys.GfpNoMemalloc != 0 {
				if left := before.Free[z.Index] - (size - 1); left <= floor(z, gfp, highest) {
					t.Fatalf("step %d: AllocPages(%s, %d) took zone %s at %d free (less 2^order-1), not above its floor %d", step, gfp, order, z.Name, before.Free[z.Index], floor(z, gfp, highest))
				}
			}
			if info, _ := m.Page(pfn); info.Free || info.Block != (phys.Block{PFN: pfn, Order: order}) || info.Refcount != 1 {
				t.Fatalf("step %d: Page(%d) = %+v after allocating it with order %d", step, pfn, info, order)
			}
			live = append(live, phys.Block{PFN: pfn, Order: order})

		case k < 90: // free a live block
			if len(live) == 0 {
				break
			}
			i := rng.IntN(len(live))
			b := live[i]
			live[i] = live[len(live)-1]
			live = live[:len(live)-1]
			free(t, m, b.PFN, b.Order)
			z := m.PageZone(b.PFN)
			if z.Free() != before.Free[z.Index]+b.Pages() || m.Stats.PgFree != beforeStats.PgFree+b.Pages() {
				t.Fatalf("step %d: freeing %+v: zone %s free %d, want %d", step, b, z.Name, z.Free(), before.Free[z.Index]+b.Pages())
			}
			if info, _ := m.Page(b.PFN); !info.Free {
				t.Fatalf("step %d: Page(%d) not free after freeing it", step, b.PFN)
			}
			freed = append(freed, b)
			stats.frees++

		default: // a deliberately bad free
			pfn, order, ok := badFree(m, rng, live, freed, kernelEnd)
			if !ok {
				break
			}
			snap := snapshot(m)
			err := m.FreePages(pfn, order)
			if !isBug(err) {
				t.Fatalf("step %d: bad FreePages(%d, %d) = %v, want a *bug.Error", step, pfn, order, err)
			}
			if d := diffState(snap, snapshot(m)); d != "" {
				t.Fatalf("step %d: bad FreePages(%d, %d) changed the allocator:\n%s", step, pfn, order, d)
			}
			stats.badFrees++
		}
		if err := m.Check(); err != nil {
			t.Fatalf("step %d: Check: %v", step, err)
		}
		if step%500 == 499 {
			if err := m.CheckFull(); err != nil {
				t.Fatalf("step %d: CheckFull: %v", step, err)
			}
		}
		var livePages, allocated, freePages uint64
		for _, b := range live {
			livePages += b.Pages()
		}
		for _, z := range m.Zones {
			if z.Free()+z.Allocated() != z.Managed {
				t.Fatalf("step %d: zone %s: %d free + %d allocated != %d managed", step, z.Name, z.Free(), z.Allocated(), z.Managed)
			}
			allocated += z.Allocated()
			freePages += z.Free()
		}
		if allocated != livePages || freePages != m.NrFreePages() || freePages+allocated != m.TotalRAM() {
			t.Fatalf("step %d: %d pages allocated, %d live; %d free, NrFreePages %d, TotalRAM %d", step, allocated, livePages, freePages, m.NrFreePages(), m.TotalRAM())
		}
	}
	r.take()

	// Free everything, in random order: the lists are boot's again.
	rng.Shuffle(len(live), func(i, j int) { live[i], live[j] = live[j], live[i] })
	for _, b := range live {
		free(t, m, b.PFN, b.Order)
	}
	mustCheck(t, m)
	mustCheckFull(t, m)
	if got := countersOf(m).NrFree; !cmp.Equal(got, bootInfo) {
		t.Errorf("buddyinfo after freeing everything differs from boot's (-boot +now):\n%s", cmp.Diff(bootInfo, got))
	}
	for _, z := range m.Zones {
		if z.Free() != z.Managed || z.Allocated() != 0 {
			t.Errorf("zone %s: %d free, %d allocated, %d managed", z.Name, z.Free(), z.Allocated(), z.Managed)
		}
	}
	wantUses := []phys.Use{{Start: 0, End: 256, Owner: phys.OwnerFirmware}, {Start: 256, End: kernelEnd, Owner: phys.OwnerKernel}, {Start: kernelEnd, End: m.MaxPFN(), Owner: phys.OwnerNone}}
	if got := m.Uses(); !cmp.Equal(got, wantUses) {
		t.Errorf("Uses() = %v, want %v", got, wantUses)
	}
	if len(r.warns) != 0 {
		t.Errorf("warnings while freeing: %q", r.warns)
	}
	t.Logf("%d allocations, %d NULL, %d OOM, %d BUGs in irq context, %d frees, %d bad frees", stats.allocs, stats.fails, stats.ooms, stats.bugs, stats.frees, stats.badFrees)
	if stats.allocs == 0 || stats.frees == 0 || stats.badFrees == 0 || stats.bugs == 0 || (pressure && (stats.fails == 0 || stats.ooms == 0)) {
		t.Errorf("the run did not exercise every kind of step")
	}
}

// badFree picks a free that must fail: a double free, a wrong order, a
// tail frame, a reserved frame, a pfn beyond memory, an order out of
// range, or a frame that is free.
func badFree(m *phys.Mem, rng *rand.Rand, live, freed []phys.Block, kernelEnd phys.PFN) (phys.PFN, int, bool) {
	switch rng.IntN(7) {
	case 0: // double free, if the block was not reallocated since
		if len(freed) == 0 {
			return 0, 0, false
		}
		b := freed[rng.IntN(len(freed))]
		if info, err := m.Page(b.PFN); err != nil || !info.Free {
			return 0, 0, false
		}
		return b.PFN, b.Order, true
	case 1: // wrong order
		if len(live) == 0 {
			return 0, 0, false
		}
		b := live[rng.IntN(len(live))]
		if b.Order == 0 || (b.Order < phys.MaxOrder && rng.IntN(2) == 0) {
			return b.PFN, b.Order + 1, true
		}
		return b.PFN, b.Order - 1, true
	case 2: // a tail frame
		if len(live) == 0 {
			return 0, 0, false
		}
		b := live[rng.IntN(len(live))]
		if b.Order == 0 {
			return 0, 0, false
		}
		return b.PFN + 1 + phys.PFN(rng.Uint64N(b.Pages()-1)), rng.IntN(phys.NROrders), true
	case 3: // reserved: the first megabyte or the kernel image
		return phys.PFN(rng.Uint64N(uint64(kernelEnd))), rng.IntN(phys.NROrders), true
	case 4: // beyond memory
		return m.MaxPFN() + phys.PFN(rng.Uint64N(1<<20)), 0, true
	case 5: // order out of range
		if len(live) == 0 {
			return 0, 0, false
		}
		b := live[rng.IntN(len(live))]
		return b.PFN, []int{-1, 11, 12, 64}[rng.IntN(4)], true
	default: // any frame that is free now
		pfn := kernelEnd + phys.PFN(rng.Uint64N(uint64(m.MaxPFN()-kernelEnd)))
		if info, err := m.Page(pfn); err != nil || !info.Free {
			return 0, 0, false
		}
		return pfn, rng.IntN(phys.NROrders), true
	}
}
