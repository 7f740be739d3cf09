package phys

import (
	"fmt"
	"strings"

	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/bug"
)

// Alloc flags (mm/internal.h ALLOC_*): which watermark to check and which
// reserves the allocation may dip into.
type allocFlags uint32

const (
	allocWmarkMin allocFlags = iota
	allocWmarkLow
	allocWmarkHigh
	allocNoWatermarks
	allocWmarkMask = 3

	allocMinReserve allocFlags = 1 << 4 // __GFP_HIGH: half of min
	allocNonBlock   allocFlags = 1 << 5 // cannot sleep: a further quarter
	allocHighAtomic allocFlags = 1 << 6
	allocKswapd     allocFlags = 1 << 7
	allocReserves              = allocMinReserve | allocNonBlock | allocHighAtomic
)

// GFPZone models include/linux/gfp.h:gfp_zone(): the highest zone an
// allocation may use. Two of __GFP_DMA, __GFP_DMA32 and __GFP_HIGHMEM
// together are GFP_ZONE_BAD, a VM_BUG_ON. A zone the kernel is not built
// with becomes Normal (OPT_ZONE_DMA32, OPT_ZONE_HIGHMEM).
func (m *Mem) GFPZone(gfp GFP) (*Zone, error) {
	t, ok := gfp.ZoneOf()
	if !ok {
		var bits []string
		for _, f := range []GFPName{{"__GFP_DMA", GfpDMA}, {"__GFP_HIGHMEM", GfpHighmem}, {"__GFP_DMA32", GfpDMA32}, {"__GFP_MOVABLE", GfpMovable}} {
			if gfp&f.Value != 0 {
				bits = append(bits, f.Name)
			}
		}
		return nil, bug.Errorf("VM_BUG_ON in gfp_zone(): %s is no valid zone combination (GFP_ZONE_BAD; at most one of __GFP_DMA, __GFP_DMA32 and __GFP_HIGHMEM)", strings.Join(bits, "|"))
	}
	if z := m.Zone(t); z != nil {
		return z, nil
	}
	return m.Zone(arch.ZoneNormal), nil
}

// Request is one allocation: the GFP mask, the order, and the owner and
// tag the frames get for views and leak reports.
type Request struct {
	GFP   GFP
	Order int
	Owner Owner
	Tag   string
	// Caller names the function the allocation came through, for the
	// sleeping-in-atomic report; "alloc_pages" by default.
	Caller string
}

// AllocPages models mm/page_alloc.c:__alloc_pages(): the fast path at the
// low watermark over the zonelist from the highest usable zone down, then
// the slow path (wake kswapd, the min watermark with the reserves __GFP_HIGH
// and atomic callers may use, direct reclaim, the OOM killer). It returns
// the first frame of the block, or ok false when the allocation fails (the
// kernel's NULL), after the "page allocation failure" warning unless
// __GFP_NOWARN. An error is a kernel BUG (a bad GFP mask, sleeping in
// atomic context) or an *bug.OOM; either way nothing changed.
func (m *Mem) AllocPages(r Request) (pfn PFN, ok bool, err error) {
	gfp, order := r.GFP, r.Order
	if order < 0 || order > MaxOrder {
		// WARN_ON_ONCE_GFP(order > MAX_PAGE_ORDER, gfp) and NULL.
		if gfp&GfpNoWarn == 0 {
			m.warn(fmt.Sprintf("__alloc_pages: order %d is above MAX_PAGE_ORDER (%d) (WARN_ON_ONCE_GFP in mm/page_alloc.c), returning NULL", order, MaxOrder))
		}
		m.Stats.AllocFail++
		return 0, false, nil
	}
	if bad := gfp.unknownBits(); bad != 0 {
		return 0, false, bug.Errorf("gfp mask %#x has bits no GFP flag uses (%#x)", uint32(gfp), uint32(bad))
	}
	highest, err := m.GFPZone(gfp)
	if err != nil {
		return 0, false, err
	}
	if err := m.mightSleep(gfp, r.Caller); err != nil {
		return 0, false, err
	}
	// Fast path: the low watermark, no reserves.
	if pfn, ok := m.getPageFromFreelist(r, allocWmarkLow, highest); ok {
		return pfn, true, nil
	}
	return m.allocSlowpath(r, highest)
}

// mightSleep models might_alloc(): an allocation that may sleep, made in
// atomic context, is the kernel's "sleeping function called from invalid
// context" BUG (kernel/sched/core.c:__might_resched()).
func (m *Mem) mightSleep(gfp GFP, caller string) error {
	if !gfp.CanSleep() || m.Hooks.Atomic == nil {
		return nil
	}
	ctx := m.Hooks.Atomic()
	if ctx == "" {
		return nil
	}
	if caller == "" {
		caller = "alloc_pages"
	}
	irqs := 0
	if ctx == "irq" {
		irqs = 1
	}
	return bug.Errorf("sleeping function called from invalid context at mm/page_alloc.c: %s(%s) may sleep (__GFP_DIRECT_RECLAIM) but runs in %s context (in_atomic(): 1, irqs_disabled(): %d, pid: 0, name: %s); use GFP_ATOMIC or GFP_NOWAIT here",
		caller, gfp, ctx, irqs, m.comm())
}

// MightSleepIn is might_sleep() in a function that takes no GFP mask
// (vfree(), kmap(), alloc_vmap_area()): in atomic context it is the same
// BUG as mightSleep's, naming the file and function.
func (m *Mem) MightSleepIn(file, fn string) error {
	if m.Hooks.Atomic == nil {
		return nil
	}
	ctx := m.Hooks.Atomic()
	if ctx == "" {
		return nil
	}
	irqs := 0
	if ctx == "irq" {
		irqs = 1
	}
	return bug.Errorf("sleeping function called from invalid context at %s: %s() may sleep but runs in %s context (in_atomic(): 1, irqs_disabled(): %d, pid: 0, name: %s)",
		file, fn, ctx, irqs, m.comm())
}

func (m *Mem) comm() string {
	if m.Hooks.Comm != nil {
		return m.Hooks.Comm()
	}
	return "mmsim"
}

func (m *Mem) warn(msg string) {
	if m.Hooks.Warn != nil {
		m.Hooks.Warn(msg)
	}
}

// allocSlowpath models mm/page_alloc.c:__alloc_pages_slowpath().
func (m *Mem) allocSlowpath(r Request, highest *Zone) (PFN, bool, error) {
	gfp, order := r.GFP, r.Order
	flags := gfpToAllocFlags(gfp, order)
	if flags&allocKswapd != 0 {
		m.wakeKswapd(order, highest)
	}
	if pfn, ok := m.getPageFromFreelist(r, flags, highest); ok {
		return pfn, true, nil
	}
	// __GFP_MEMALLOC (and not __GFP_NOMEMALLOC) may use every page.
	if gfp&GfpMemalloc != 0 && gfp&GfpNoMemalloc == 0 {
		if pfn, ok := m.getPageFromFreelist(r, allocNoWatermarks, highest); ok {
			return pfn, true, nil
		}
	}
	if !gfp.CanSleep() {
		return m.nopage(r, highest)
	}
	costly := order > CostlyOrder
	for noProgress := 0; ; {
		progress := m.directReclaim(gfp, order)
		if pfn, ok := m.getPageFromFreelist(r, flags, highest); ok {
			return pfn, true, nil
		}
		if gfp&GfpNoRetry != 0 || (costly && gfp&GfpRetryMayfail == 0) {
			return m.nopage(r, highest)
		}
		if progress > 0 {
			noProgress = 0
		} else {
			noProgress++
		}
		// should_reclaim_retry(): go on while reclaim makes progress,
		// up to MAX_RECLAIM_RETRIES rounds without.
		if progress > 0 && noProgress < 16 {
			continue
		}
		oom, err := m.mayOOM(r, highest)
		if err != nil {
			return 0, false, err
		}
		if !oom {
			return m.nopage(r, highest)
		}
		if pfn, ok := m.getPageFromFreelist(r, flags, highest); ok {
			return pfn, true, nil
		}
	}
}

// gfpToAllocFlags models mm/page_alloc.c:gfp_to_alloc_flags(): the min
// watermark; __GFP_HIGH may use half of it; a caller that cannot sleep
// (no __GFP_DIRECT_RECLAIM) and has __GFP_HIGH a further quarter.
func gfpToAllocFlags(gfp GFP, order int) allocFlags {
	f := allocWmarkMin
	if gfp&GfpHigh != 0 {
		f |= allocMinReserve
	}
	if gfp&GfpKswapdReclaim != 0 {
		f |= allocKswapd
	}
	if !gfp.CanSleep() {
		if gfp&GfpNoMemalloc == 0 {
			f |= allocNonBlock
		}
		if order > 0 {
			f |= allocHighAtomic
		}
	}
	return f
}

func (m *Mem) wakeKswapd(order int, highest *Zone) {
	m.Stats.KswapdWakeups++
	if m.Hooks.WakeKswapd != nil {
		m.Hooks.WakeKswapd(order, highest)
	}
}

func (m *Mem) directReclaim(gfp GFP, order int) uint64 {
	m.Stats.AllocStall++
	if m.Hooks.DirectReclaim == nil {
		return 0
	}
	return m.Hooks.DirectReclaim(gfp, order)
}

// mayOOM models __alloc_pages_may_oom(): the OOM killer is not called for
// costly orders, __GFP_RETRY_MAYFAIL or __GFP_THISNODE, requests limited
// to zones below Normal, or without __GFP_FS. Where the kernel would call
// it and nothing can be killed, the kernel panics ("System is deadlocked
// on memory"); where it would retry forever (GFP_NOFS, GFP_NOIO), the model
// stops with the same kind of error.
func (m *Mem) mayOOM(r Request, highest *Zone) (bool, error) {
	gfp, order := r.GFP, r.Order
	if gfp&GfpNoFail == 0 {
		if order > CostlyOrder || gfp&(GfpRetryMayfail|GfpThisNode) != 0 || highest.Type < arch.ZoneNormal {
			return false, nil
		}
	}
	m.Stats.OOMCalls++
	if gfp&GfpFS != 0 && m.Hooks.OOM != nil {
		killed, err := m.Hooks.OOM(gfp, order)
		if err != nil {
			return false, err
		}
		if killed {
			return true, nil
		}
	}
	why := "Out of memory and no killable processes (the kernel panics: System is deadlocked on memory)"
	switch {
	case gfp&GfpNoFail != 0:
		why = "__GFP_NOFAIL allocation cannot be satisfied (the kernel would retry forever)"
	case gfp&GfpFS == 0:
		why = "without __GFP_FS the OOM killer is not called and the kernel retries forever"
	}
	return false, &bug.OOM{Msg: fmt.Sprintf("order-%d allocation, mode:%s, cannot be satisfied and nothing is left to reclaim: %s", order, gfp.Mode(), why)}
}

// nopage is the end of the slow path: __GFP_NOFAIL may not fail if the
// caller can reclaim, and any other allocation fails with warn_alloc()'s
// report unless __GFP_NOWARN. (A __GFP_NOFAIL caller that cannot sleep
// fails like any other: "Lacking direct_reclaim we can't do anything to
// reclaim memory".)
func (m *Mem) nopage(r Request, highest *Zone) (PFN, bool, error) {
	if r.GFP&GfpNoFail != 0 && r.GFP.CanSleep() {
		if pfn, ok := m.getPageFromFreelist(r, allocWmarkMin|allocMinReserve, highest); ok {
			return pfn, true, nil
		}
		_, err := m.mayOOM(Request{GFP: r.GFP, Order: r.Order}, highest)
		return 0, false, err
	}
	m.Stats.AllocFail++
	if r.GFP&GfpNoWarn == 0 {
		m.warn(m.allocFailure(r, highest))
	}
	return 0, false, nil
}

// allocFailure is warn_alloc()'s report: the failure line, then (as
// show_mem() prints) each usable zone's free pages and watermarks and its
// free blocks by order.
func (m *Mem) allocFailure(r Request, highest *Zone) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: page allocation failure: order:%d, mode:%s, nodemask=(null),cpuset=/,mems_allowed=0", m.comm(), r.Order, r.GFP.Mode())
	for i := highest.Index; i >= 0; i-- {
		z := m.Zones[i]
		if !z.Populated() {
			continue
		}
		fmt.Fprintf(&b, "\nNode 0 %s free:%dkB min:%dkB low:%dkB high:%dkB present:%dkB managed:%dkB",
			z.Name, z.free*4, z.Min()*4, z.Low()*4, z.High()*4, z.Present*4, z.Managed*4)
	}
	for i := highest.Index; i >= 0; i-- {
		z := m.Zones[i]
		if !z.Populated() {
			continue
		}
		fmt.Fprintf(&b, "\nNode 0 %s:", z.Name)
		for o := 0; o < NROrders; o++ {
			fmt.Fprintf(&b, " %d*%dkB", z.area[o].nr, 4<<o)
		}
		fmt.Fprintf(&b, " = %dkB", z.free*4)
	}
	return b.String()
}

// getPageFromFreelist models mm/page_alloc.c:get_page_from_freelist():
// the zonelist from the highest usable zone down (never up), the first
// zone whose watermark check passes gives the block.
func (m *Mem) getPageFromFreelist(r Request, flags allocFlags, highest *Zone) (PFN, bool) {
	for i := highest.Index; i >= 0; i-- {
		z := m.Zones[i]
		if !z.Populated() {
			continue
		}
		if flags&allocWmarkMask != allocNoWatermarks {
			mark := z.Watermark[flags&allocWmarkMask]
			if !z.watermarkOK(r.Order, mark, highest.Index, flags) {
				continue
			}
		}
		if pfn, ok := m.rmqueue(z, r); ok {
			return pfn, true
		}
	}
	return 0, false
}

// watermarkOK models mm/page_alloc.c:__zone_watermark_ok(): after setting
// aside the pages of the request beyond its first, the free pages must
// stay above the mark plus the lowmem_reserve for the request's highest
// zone, and for order > 0 a block of at least that order must be free.
// __GFP_HIGH lowers the mark by half, and a non-blocking __GFP_HIGH
// caller by a further quarter.
func (z *Zone) watermarkOK(order int, mark uint64, highest int, flags allocFlags) bool {
	free := int64(z.free) - (int64(1)<<order - 1)
	min := int64(mark)
	if flags&allocMinReserve != 0 {
		min -= min / 2
		if flags&allocNonBlock != 0 {
			min -= min / 4
		}
	}
	if free <= min+int64(z.LowmemReserve[highest]) {
		return false
	}
	if order == 0 {
		return true
	}
	for o := order; o < NROrders; o++ {
		if z.area[o].nr > 0 {
			return true
		}
	}
	return false
}

// WatermarkOK reports whether an allocation of this order whose highest
// zone is highest passes the zone's watermark wmark (WmarkMin, WmarkLow,
// WmarkHigh) without reserves: zone_watermark_ok().
func (z *Zone) WatermarkOK(order int, wmark int, highest *Zone) bool {
	return z.watermarkOK(order, z.Watermark[wmark], highest.Index, 0)
}

// rmqueue models __rmqueue_smallest() and expand(): the first block of the
// smallest order that can serve the request; each split keeps the lower
// half and puts the upper half at the head of the list one order down.
func (m *Mem) rmqueue(z *Zone, r Request) (PFN, bool) {
	order := r.Order
	for cur := order; cur < NROrders; cur++ {
		fl := &z.area[cur]
		pfn, ok := m.first(fl, cur)
		if !ok {
			continue
		}
		m.remove(fl, pfn, cur)
		m.page(pfn).flags &^= PGBuddy
		for high := cur; high > order; {
			high--
			upper := pfn + 1<<high
			p := m.page(upper)
			p.flags |= PGBuddy
			p.order = uint8(high)
			m.push(&z.area[high], upper, false)
		}
		p := m.page(pfn)
		p.flags = p.flags&^(PGBuddy|pgOnBack) | pgAllocHead
		if r.GFP&GfpComp != 0 && order > 0 {
			p.flags |= PGHead
		}
		if r.GFP&GfpZero != 0 {
			m.zeroBlock(pfn, order)
		}
		p.order = uint8(order)
		p.refcount = 1
		p.mapcount = 0
		p.owner = r.Owner
		if p.owner == OwnerNone {
			p.owner = OwnerPages
		}
		p.tag = m.tag(r.Tag)
		n := uint64(1) << order
		m.gen++
		m.touch(pfn)
		z.free -= n
		z.allocated += n
		z.PgAlloc += n
		return pfn, true
	}
	return 0, false
}
