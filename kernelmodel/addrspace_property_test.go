package kernelmodel_test

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"mmsim/kernelmodel"
	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/highmem"
	"mmsim/kernelmodel/pgtable"
	"mmsim/kernelmodel/phys"
	"mmsim/kernelmodel/tlb"
	"mmsim/kernelmodel/vmalloc"
)

// TestAddressSpaceProperty drives the kernel address space with random
// operations from fixed seeds — vmalloc and vfree (also from interrupts),
// kmap and kunmap, kmap_local and kmap_atomic of highmem and lowmem pages
// with their unmaps (now and then out of order), accesses through the MMU
// on random CPUs, attribute changes, flushes, purges, PGDs coming and
// going, and cpu blocks, some ending with a kmap_local slot held — and
// runs every invariant after each step. It also checks the model's answers
// against a shadow: each live vmalloc area translates, page by page, to the
// frames it owns, and holds the bytes last written through it; the LIFO
// warning comes once per machine, for fixmap slots only; the TLB counters
// move as arch/x86/mm/tlb.c counts them.
func TestAddressSpaceProperty(t *testing.T) {
	var seen propertySeen
	for _, line := range []string{"x86 mem=256M cpus=2 tlb=8", "x86 mem=1G paging=pae cpus=3 tlb=16", "x86_64 mem=512M cpus=4 tlb=32", "x86_64 mem=512M paging=5level cpus=1 tlb=4"} {
		for seed := int64(1); seed <= 3; seed++ {
			t.Run(fmt.Sprintf("%s/seed=%d", line, seed), func(t *testing.T) {
				s := propertyRun(t, line, seed, 600)
				seen.lifoWarnings += s.lifoWarnings
				seen.leaveErrors += s.leaveErrors
			})
		}
	}
	// The seeds reach the rare paths: a non-LIFO unmap of a slot (the
	// PAE machine has highmem), a cpu block left with a slot held.
	if !t.Failed() && (seen.lifoWarnings == 0 || seen.leaveErrors == 0) {
		t.Errorf("the seeds never reached a path: %+v", seen)
	}
}

// propertySeen counts the rare events a run went through.
type propertySeen struct {
	lifoWarnings, leaveErrors int
}

type shadowArea struct {
	va    arch.VirtAddr
	pages int
	bytes map[arch.VirtAddr]byte
}

func propertyRun(t *testing.T, line string, seed int64, steps int) (seen propertySeen) {
	m := vmBoot(t, line)
	rng := rand.New(rand.NewSource(seed))
	var areas []*shadowArea
	var kmapped []phys.PFN // one entry per kmap() user
	var locals []arch.VirtAddr
	var localAtomic []bool
	var pgds []*pgtable.PGD
	// Free pages, plus what the slab caches keep (empty slabs stay
	// cached) and the kernel page tables (never freed) must add up at the
	// end to the free pages at the start.
	kept := func() uint64 {
		n := m.Phys.NrFreePages() + uint64(m.PT.Allocated)
		for _, u := range m.Phys.Uses() {
			if u.Owner == phys.OwnerSlab {
				n += uint64(u.End - u.Start)
			}
		}
		return n
	}
	freeBefore := kept()
	highPage := func() phys.PFN {
		pfn, ok, err := m.Phys.AllocPages(phys.Request{GFP: phys.GFPHighUser, Order: 0})
		if err != nil || !ok {
			t.Fatalf("alloc highuser page: %v %v", ok, err)
		}
		return pfn
	}
	var pages []phys.PFN
	for i := 0; i < 24; i++ {
		pages = append(pages, highPage())
	}
	// Lowmem pages too, for kmap_local: they take no fixmap slot.
	var lowPages []phys.PFN
	for i := 0; i < 4; i++ {
		pfn, ok, err := m.Phys.AllocPages(phys.Request{GFP: phys.GFPKernel, Order: 0})
		if err != nil || !ok {
			t.Fatalf("alloc kernel page: %v %v", ok, err)
		}
		lowPages = append(lowPages, pfn)
	}
	sleep := func(fn string) error { return m.Phys.MightSleepIn("include/linux/highmem-internal.h", fn) }
	// lifoWarned: kunmap_local_indexed()'s WARN_ON_ONCE fired.
	lifoWarned := false
	// flushStats are the counters a flush changes (not the hits, misses
	// and evictions of the accesses).
	flushStats := func() tlb.Stats {
		s := m.MMU.Total()
		return tlb.Stats{Invlpg: s.Invlpg, FullFlushes: s.FullFlushes, CR3Loads: s.CR3Loads, LocalFlushAll: s.LocalFlushAll,
			LocalFlushOne: s.LocalFlushOne, RemoteFlush: s.RemoteFlush, RemoteFlushReceived: s.RemoteFlushReceived}
	}
	cpus := uint64(m.Config.CPUs)
	for step := 0; step < steps; step++ {
		op := rng.Intn(13)
		what := ""
		if m.InAtomic() && (op <= 2 || op == 5 || op == 9) {
			// With kmap_atomic held nothing may sleep: vmalloc, vfree,
			// kmap, kunmap and pgd_alloc are BUGs that change nothing.
			what = fmt.Sprintf("op %d in atomic context", op)
			var err error
			switch op {
			case 0, 1: // alloc_vmap_area()'s might_sleep() ignores the mask
				gfp := phys.GFPKernel
				if op == 1 {
					gfp = phys.GFPAtomic
				}
				_, _, err = m.Vmalloc.Alloc(vmalloc.Request{Size: page, GFP: gfp, Caller: "prop", Func: "vmalloc"})
			case 2:
				err = m.Vmalloc.Free(m.Layout.VmallocStart)
			case 5:
				_, err = m.Highmem.Kmap(pages[0], sleep)
			case 9:
				_, _, err = m.PT.NewPGD("atomic")
			}
			if !isBug(err) || !strings.Contains(err.Error(), "sleeping function called from invalid context") {
				t.Fatalf("step %d %s: got %v, want a sleeping-in-atomic BUG", step, what, err)
			}
			check(t, m, what)
			continue
		}
		switch op {
		case 0, 1: // vmalloc
			n := 1 + rng.Intn(40)
			if rng.Intn(8) == 0 {
				n = 1 + rng.Intn(1500) // big enough for a vmalloc'd page array
			}
			what = fmt.Sprintf("vmalloc(%d pages)", n)
			va, ok, err := m.Vmalloc.Alloc(vmalloc.Request{Size: uint64(n) * page, GFP: phys.GFPKernel, Caller: "prop", Func: "vmalloc"})
			if err != nil {
				t.Fatalf("step %d %s: %v", step, what, err)
			}
			if ok {
				areas = append(areas, &shadowArea{va, n, map[arch.VirtAddr]byte{}})
			}
		case 2: // vfree, sometimes from an interrupt
			if len(areas) == 0 {
				continue
			}
			i := rng.Intn(len(areas))
			a := areas[i]
			areas = append(areas[:i], areas[i+1:]...)
			irq := rng.Intn(3) == 0
			what = fmt.Sprintf("vfree(%#x) irq=%v", uint64(a.va), irq)
			if irq {
				enter(t, m, kernelmodel.CtxIRQ)
			}
			if err := m.Vmalloc.Free(a.va); err != nil {
				t.Fatalf("step %d %s: %v", step, what, err)
			}
			if irq {
				check(t, m, what+" (in the interrupt)")
				leave(t, m)
			}
		case 3: // write then read through the MMU on a random CPU
			if len(areas) == 0 {
				continue
			}
			a := areas[rng.Intn(len(areas))]
			va := a.va + arch.VirtAddr(rng.Intn(a.pages*page))
			cpu := rng.Intn(m.Config.CPUs)
			what = fmt.Sprintf("access %#x on cpu %d", uint64(va), cpu)
			if rng.Intn(2) == 0 {
				pa, f := m.MMU.Translate(cpu, va, tlb.Write, false)
				if f != nil {
					t.Fatalf("step %d %s: write faults: %v", step, what, f)
				}
				v := byte(rng.Intn(256))
				m.Phys.WritePhys(pa, []byte{v})
				a.bytes[va] = v
			} else {
				pa, f := m.MMU.Translate(cpu, va, tlb.Read, false)
				if f != nil {
					t.Fatalf("step %d %s: read faults: %v", step, what, f)
				}
				if got := m.Phys.ReadPhys(pa, 1)[0]; got != a.bytes[va] {
					t.Fatalf("step %d %s: read %#x, wrote %#x", step, what, got, a.bytes[va])
				}
			}
		case 4: // the guard page after an area faults
			if len(areas) == 0 {
				continue
			}
			a := areas[rng.Intn(len(areas))]
			guard := a.va + arch.VirtAddr(a.pages*page)
			what = fmt.Sprintf("touch guard %#x", uint64(guard))
			if _, f := m.MMU.Translate(rng.Intn(m.Config.CPUs), guard, tlb.Read, false); f == nil {
				t.Fatalf("step %d %s: the guard page translates", step, what)
			}
		case 5: // kmap / kunmap
			if m.Layout.LastPkmap == 0 {
				continue
			}
			if len(kmapped) > 0 && rng.Intn(2) == 0 {
				i := rng.Intn(len(kmapped))
				pfn := kmapped[i]
				kmapped = append(kmapped[:i], kmapped[i+1:]...)
				what = fmt.Sprintf("kunmap(%#x)", uint64(pfn))
				if err := m.Highmem.Kunmap(pfn, sleep); err != nil {
					t.Fatalf("step %d %s: %v", step, what, err)
				}
			} else {
				pfn := pages[rng.Intn(len(pages))]
				what = fmt.Sprintf("kmap(%#x)", uint64(pfn))
				va, err := m.Highmem.Kmap(pfn, sleep)
				if err != nil {
					t.Fatalf("step %d %s: %v", step, what, err)
				}
				if got, ok := m.Highmem.PageAddress(pfn); !ok || got != va {
					t.Fatalf("step %d %s: page_address %#x %v, kmap gave %#x", step, what, uint64(got), ok, uint64(va))
				}
				kmapped = append(kmapped, pfn)
			}
		case 6: // kmap_local / kmap_atomic, mostly undone in LIFO order
			if len(locals) > 0 && (len(locals) >= 14 || rng.Intn(2) == 0) {
				n := len(locals) - 1
				if rng.Intn(6) == 0 {
					n = rng.Intn(len(locals)) // any of them
					// A lowmem page mapped twice has one address: the
					// most recent mapping is the one undone.
					for i := n + 1; i < len(locals); i++ {
						if locals[i] == locals[n] {
							n = i
						}
					}
				}
				// The warning's rule: a fixmap slot that is not the top
				// slot (lowmem entries hold none), the first time only.
				l, _ := m.Highmem.LocalAddress(locals[n])
				top := -1
				for i, va := range locals {
					if x, _ := m.Highmem.LocalAddress(va); x.Mapped {
						top = i
					}
				}
				warn := l.Mapped && top != n && !lifoWarned
				what = fmt.Sprintf("kunmap_local(%#x) of %d, top slot %d", uint64(locals[n]), n, top)
				if err := m.Highmem.KunmapLocal(locals[n], localAtomic[n]); err != nil {
					t.Fatalf("step %d %s: %v", step, what, err)
				}
				locals, localAtomic = append(locals[:n], locals[n+1:]...), append(localAtomic[:n], localAtomic[n+1:]...)
				if warn {
					lifoWarned = true
					seen.lifoWarnings++
					if w := m.TakeWarnings(); len(w) != 1 || !strings.Contains(w[0], "LIFO") {
						t.Fatalf("step %d %s: warnings %q, want the LIFO warning", step, what, w)
					}
				}
			} else {
				atomic := rng.Intn(2) == 0
				pfn := pages[rng.Intn(len(pages))]
				if rng.Intn(4) == 0 {
					pfn = lowPages[rng.Intn(len(lowPages))]
				}
				what = fmt.Sprintf("kmap_local(%#x) atomic=%v", uint64(pfn), atomic)
				va, err := m.Highmem.KmapLocal(pfn, atomic)
				if err != nil {
					t.Fatalf("step %d %s: %v", step, what, err)
				}
				locals, localAtomic = append(locals, va), append(localAtomic, atomic)
			}
			noWarnings(t, m, what)
		case 7: // attributes: read-only then writable again
			if len(areas) == 0 {
				continue
			}
			a := areas[rng.Intn(len(areas))]
			what = fmt.Sprintf("set_memory_ro/rw(%#x, %d)", uint64(a.va), a.pages)
			before := flushStats()
			if err := m.SetMemory(a.va, a.pages, 0, pgtable.RW); err != nil {
				t.Fatalf("step %d %s: %v", step, what, err)
			}
			check(t, m, what+" (read-only)")
			if _, f := m.MMU.Translate(rng.Intn(m.Config.CPUs), a.va, tlb.Write, false); f == nil || f.Code&tlb.PFProt == 0 {
				t.Fatalf("step %d %s: a write to a read-only page gave %v", step, what, f)
			}
			if err := m.SetMemory(a.va, a.pages, pgtable.RW, 0); err != nil {
				t.Fatalf("step %d %s: %v", step, what, err)
			}
			// cpa_flush(), twice: up to 33 pages an invlpg per page on
			// every CPU and no vmstat event; above, flush_tlb_all(): one
			// nr_tlb_remote_flush, and on every CPU a full flush and one
			// nr_tlb_remote_flush_received.
			want := tlb.Stats{Invlpg: 2 * cpus * uint64(a.pages)}
			if a.pages > tlb.FlushCeiling {
				want = tlb.Stats{FullFlushes: 2 * cpus, RemoteFlush: 2, RemoteFlushReceived: 2 * cpus}
			}
			if got := statsDelta(flushStats(), before); got != want {
				t.Fatalf("step %d %s: flush counters went up by %+v, want %+v", step, what, got, want)
			}
		case 8: // flushes and purges
			what = "flush"
			switch rng.Intn(3) {
			case 0:
				// flush_tlb_kernel_range(): every CPU, whoever asks.
				n := uint64(rng.Intn(64))
				before := flushStats()
				m.MMU.FlushKernelRange(rng.Intn(m.Config.CPUs), m.Layout.VmallocStart, m.Layout.VmallocStart+arch.VirtAddr(n*page))
				want := tlb.Stats{Invlpg: cpus * n}
				if n > tlb.FlushCeiling {
					want = tlb.Stats{FullFlushes: cpus, RemoteFlushReceived: cpus}
				}
				if got := statsDelta(flushStats(), before); got != want {
					t.Fatalf("step %d flush_tlb_kernel_range of %d pages: counters went up by %+v, want %+v", step, n, got, want)
				}
			case 1:
				m.Vmalloc.Purge()
			case 2:
				if m.Layout.LastPkmap > 0 {
					m.Highmem.FlushAllZero()
				}
			}
		case 9: // a PGD comes or goes; a process's CPU loads it
			if len(pgds) > 0 && rng.Intn(2) == 0 {
				g := pgds[len(pgds)-1]
				pgds = pgds[:len(pgds)-1]
				for c := 0; c < m.Config.CPUs; c++ {
					if m.MMU.PGD(c) == g {
						m.MMU.SwitchMM(c, m.PT.Init)
					}
				}
				what = "pgd_free"
				if err := m.PT.FreePGD(g); err != nil {
					t.Fatalf("step %d %s: %v", step, what, err)
				}
			} else {
				what = "pgd_alloc"
				g, ok, err := m.PT.NewPGD(fmt.Sprintf("pgd %d", step))
				if err != nil || !ok {
					t.Fatalf("step %d %s: %v %v", step, what, ok, err)
				}
				pgds = append(pgds, g)
				m.MMU.SwitchMM(rng.Intn(m.Config.CPUs), g)
			}
		case 10: // a cpu block, sometimes left with a kmap_local mapping held
			c := rng.Intn(m.Config.CPUs)
			what = fmt.Sprintf("cpu %d", c)
			err := m.EnterContext(kernelmodel.Context{Kind: kernelmodel.CtxCPU, CPU: c})
			switch {
			case m.InAtomic():
				if !isBug(err) {
					t.Fatalf("step %d %s with kmap_atomic held: %v, want scheduling while atomic", step, what, err)
				}
			case m.Highmem.LocalSlots() > 0 && c != m.CPU():
				if err == nil || isBug(err) {
					t.Fatalf("step %d %s with kmap_local slots held: %v, want a migrate_disable() error", step, what, err)
				}
			case err != nil:
				t.Fatalf("step %d %s: %v", step, what, err)
			}
			if err != nil {
				break
			}
			check(t, m, what)
			var held arch.VirtAddr // a mapping taken inside the block
			heldAtomic := false
			if rng.Intn(2) == 0 {
				atomic := rng.Intn(2) == 0
				heldAtomic = atomic
				pfn := pages[rng.Intn(len(pages))]
				va, err := m.Highmem.KmapLocal(pfn, atomic)
				if err != nil {
					t.Fatalf("step %d %s: kmap_local(%#x): %v", step, what, pfn, err)
				}
				if _, f := m.MMU.Translate(c, va, tlb.Read, false); f != nil {
					t.Fatalf("step %d %s: read %#x: %v", step, what, uint64(va), f)
				}
				locals, localAtomic = append(locals, va), append(localAtomic, atomic)
				held = va
			}
			m.LeaveContext()
			err = m.TakeLeaveError()
			// Leaving the CPU is an error when a slot of it was taken
			// inside (entering another CPU needs no slot held), and a
			// BUG for any kmap_atomic (preemption is off, lowmem page
			// or not).
			var l highmem.Local
			if held != 0 {
				l, _ = m.Highmem.LocalAddress(held)
			}
			switch {
			case heldAtomic && c != m.CPU():
				if !isBug(err) {
					t.Fatalf("step %d leaving %s with kmap_atomic %+v held: %v, want scheduling while atomic", step, what, l, err)
				}
			case held == 0 || !l.Mapped || c == m.CPU():
				if err != nil {
					t.Fatalf("step %d leaving %s: %v", step, what, err)
				}
			case l.Atomic != isBug(err) || err == nil:
				t.Fatalf("step %d leaving %s with %+v held: %v", step, what, l, err)
			default:
				seen.leaveErrors++
			}
		default: // direct-map accesses keep the TLB busy
			va := m.Layout.PageOffset + arch.VirtAddr(rng.Int63n(int64(m.Layout.MaxLowPFN))<<arch.PageShift)
			what = fmt.Sprintf("direct map %#x", uint64(va))
			pa, f := m.MMU.Translate(rng.Intn(m.Config.CPUs), va, tlb.Read, false)
			if f != nil || uint64(pa) != uint64(va-m.Layout.PageOffset) {
				t.Fatalf("step %d %s: %#x %v", step, what, uint64(pa), f)
			}
		}
		check(t, m, fmt.Sprintf("step %d %s", step, what))
		// Nothing here flushes a user range (flush_tlb_mm_range()), the
		// only source of the local flush events.
		if s := m.MMU.Total(); s.LocalFlushOne != 0 || s.LocalFlushAll != 0 {
			t.Fatalf("step %d %s: local flush events %+v without a user flush", step, what, s)
		}
		// The shadow: every live area translates to its own frames.
		for _, a := range areas {
			area, ok := m.Vmalloc.Find(a.va)
			if !ok || len(area.Pages) != a.pages {
				t.Fatalf("step %d %s: area %#x lost (%v)", step, what, uint64(a.va), ok)
			}
		}
	}
	// Undo everything: the machine's pages come back.
	for i := len(locals) - 1; i >= 0; i-- {
		if err := m.Highmem.KunmapLocal(locals[i], localAtomic[i]); err != nil {
			t.Fatal(err)
		}
	}
	m.RunDeferred()
	for _, pfn := range kmapped {
		if err := m.Highmem.Kunmap(pfn, sleep); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range areas {
		if err := m.Vmalloc.Free(a.va); err != nil {
			t.Fatal(err)
		}
	}
	for c := 0; c < m.Config.CPUs; c++ {
		m.MMU.SwitchMM(c, m.PT.Init)
	}
	for _, g := range pgds {
		if err := m.PT.FreePGD(g); err != nil {
			t.Fatal(err)
		}
	}
	for _, pfn := range append(pages, lowPages...) {
		if err := m.Phys.FreePages(pfn, 0); err != nil {
			t.Fatal(err)
		}
	}
	m.Vmalloc.Purge()
	check(t, m, "the end")
	if got, want := kept(), freeBefore; got != want {
		t.Errorf("free + slab + kernel page-table pages = %d at the end, %d at the start", got, want)
	}
	if len(m.Vmalloc.Areas()) != 0 {
		t.Errorf("%d vmalloc areas left", len(m.Vmalloc.Areas()))
	}
	return seen
}

// statsDelta is what each flush counter gained from before to after.
func statsDelta(after, before tlb.Stats) tlb.Stats {
	return tlb.Stats{
		Invlpg: after.Invlpg - before.Invlpg, FullFlushes: after.FullFlushes - before.FullFlushes, CR3Loads: after.CR3Loads - before.CR3Loads,
		LocalFlushAll: after.LocalFlushAll - before.LocalFlushAll, LocalFlushOne: after.LocalFlushOne - before.LocalFlushOne,
		RemoteFlush: after.RemoteFlush - before.RemoteFlush, RemoteFlushReceived: after.RemoteFlushReceived - before.RemoteFlushReceived,
	}
}
