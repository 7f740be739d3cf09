// Package highmem models how the x86-32 kernel reaches pages it does not
// map permanently (mm/highmem.c): kmap()'s pool of pkmap slots with their
// reference counts, and kmap_local_page()/kmap_atomic()'s per-CPU fixmap
// slots used as a stack. On x86_64, and for lowmem pages, every call just
// returns the direct-map address, as the kernel does.
package highmem

import (
	"fmt"

	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/bug"
	"mmsim/kernelmodel/pgtable"
	"mmsim/kernelmodel/phys"
	"mmsim/kernelmodel/tlb"
)

// kmapProt is PAGE_KERNEL: what kmap and kmap_local map with.
const kmapProt = pgtable.Present | pgtable.RW | pgtable.Accessed | pgtable.Dirty | pgtable.Global | pgtable.NX

// Local is one kmap_local_page() or kmap_atomic() mapping on the stack.
type Local struct {
	PFN    phys.PFN
	VA     arch.VirtAddr
	CPU    int
	Atomic bool
	// Mapped is false for a lowmem page: its address is the direct map's
	// and no slot is used. Idx is the stack index of a mapped one.
	Mapped bool
	Idx    int
}

// Stats count what the pkmap pool did.
type Stats struct {
	Kmaps, Kunmaps uint64
	// Flushes counts flush_all_zero_pkmaps() passes that flushed the TLB.
	Flushes uint64
}

// Highmem is the machine's highmem mapping state.
type Highmem struct {
	Layout *arch.Layout
	Mem    *phys.Mem
	PT     *pgtable.Tables
	MMU    *tlb.MMU
	// CPU is the CPU the caller runs on; WarnOnce records a WARN_ON_ONCE
	// warning (the first time its key is seen).
	CPU      func() int
	WarnOnce func(key, msg string)
	Stats    Stats
	// count is pkmap_count[], page the frame each slot maps.
	count []int
	page  []phys.PFN
	// addr is page_address_htable: the pkmap slot of each kmap()ed page.
	addr   map[phys.PFN]int
	lastNr int
	// stack is the task's kmap_local stack; atomic counts kmap_atomic()
	// mappings not yet undone (preemption and page faults disabled).
	stack  []Local
	atomic int
	gen    uint64
	ptGen  uint64
	check  uint64
}

// New returns the highmem state of a machine; without pkmap slots
// (x86_64, or x86 without highmem) every page is lowmem.
func New(l *arch.Layout, mem *phys.Mem, pt *pgtable.Tables, mmu *tlb.MMU) *Highmem {
	return &Highmem{Layout: l, Mem: mem, PT: pt, MMU: mmu, CPU: func() int { return 0 }, WarnOnce: func(string, string) {},
		count: make([]int, l.LastPkmap), page: make([]phys.PFN, l.LastPkmap), addr: map[phys.PFN]int{}}
}

// IsHigh reports whether a frame is outside the direct map (PageHighMem()).
func (h *Highmem) IsHigh(pfn phys.PFN) bool { return uint64(pfn) >= h.Layout.MaxLowPFN }

func (h *Highmem) lowmem(pfn phys.PFN) arch.VirtAddr { return h.Layout.Virt(uint64(pfn.Addr())) }

// PageAddress models page_address(): the direct-map address of a lowmem
// page; for a highmem page its kmap() address, or ok false (NULL) when it
// is not kmap()ed. kmap_local mappings are not recorded there.
func (h *Highmem) PageAddress(pfn phys.PFN) (arch.VirtAddr, bool) {
	if !h.IsHigh(pfn) {
		return h.lowmem(pfn), true
	}
	if nr, ok := h.addr[pfn]; ok {
		return h.Layout.PkmapAddr(nr), true
	}
	return 0, false
}

// Kmap models kmap(): it may sleep, so atomic context is a BUG (mightSleep
// makes that check); a lowmem page gives its direct-map address; a
// highmem page gets a pkmap slot (kmap_high()).
func (h *Highmem) Kmap(pfn phys.PFN, mightSleep func(string) error) (arch.VirtAddr, error) {
	if err := mightSleep("kmap"); err != nil {
		return 0, err
	}
	if err := h.valid(pfn, "kmap"); err != nil {
		return 0, err
	}
	if !h.IsHigh(pfn) {
		return h.lowmem(pfn), nil
	}
	nr, ok := h.addr[pfn]
	if !ok {
		var err error
		if nr, err = h.mapNewVirtual(pfn); err != nil {
			return 0, err
		}
	}
	h.count[nr]++
	h.Stats.Kmaps++
	h.gen++
	return h.Layout.PkmapAddr(nr), nil
}

func (h *Highmem) valid(pfn phys.PFN, fn string) error {
	info, err := h.Mem.Page(pfn)
	if err != nil {
		return fmt.Errorf("%s: %v", fn, err)
	}
	if info.Free {
		return bug.Errorf("%s: pfn %#x is a free page", fn, uint64(pfn))
	}
	return nil
}

// mapNewVirtual models map_new_virtual(): scan the slots circularly from
// the last one used; on wrapping to slot 0 flush_all_zero_pkmaps() frees
// every slot nobody uses; the first free slot maps the page. With every
// slot in use the kernel sleeps until a kunmap(), which in a
// single-threaded script never comes.
func (h *Highmem) mapNewVirtual(pfn phys.PFN) (int, error) {
	n := h.Layout.LastPkmap
	left := n
	for {
		h.lastNr = (h.lastNr + 1) & (n - 1)
		if h.lastNr == 0 {
			h.flushAllZero()
			left = n
		}
		if h.count[h.lastNr] == 0 {
			break
		}
		if left--; left == 0 {
			return 0, fmt.Errorf("kmap: all %d pkmap slots are in use: kmap_high() would sleep on pkmap_map_wait until someone calls kunmap(), but the script is the only task, so it would wait forever (deadlock)", n)
		}
	}
	nr := h.lastNr
	va := h.Layout.PkmapAddr(nr)
	if _, err := h.PT.MapKernel(va, pfn.Addr(), h.PT.F.PTELevel(), kmapProt, "kmap"); err != nil {
		return 0, err
	}
	h.count[nr] = 1
	h.page[nr] = pfn
	h.addr[pfn] = nr
	return nr, nil
}

// flushAllZero models flush_all_zero_pkmaps(): every slot with count 1
// (mapped, unused) is unmapped and freed, then one TLB flush covers the
// whole pkmap area.
func (h *Highmem) flushAllZero() {
	flushed := false
	for nr, c := range h.count {
		if c != 1 {
			continue
		}
		h.count[nr] = 0
		h.PT.Clear(h.PT.Init, h.Layout.PkmapAddr(nr))
		delete(h.addr, h.page[nr])
		h.page[nr] = 0
		flushed = true
	}
	if flushed {
		h.MMU.FlushKernelRange(h.CPU(), h.Layout.PkmapAddr(0), h.Layout.PkmapAddr(h.Layout.LastPkmap))
		h.Stats.Flushes++
		h.gen++
	}
}

// FlushAllZero runs flush_all_zero_pkmaps() now, as kmap_flush_unused()
// does.
func (h *Highmem) FlushAllZero() { h.flushAllZero() }

// Kunmap models kunmap(): nothing for a lowmem page; for a highmem page
// one user less (kunmap_high()). The slot stays mapped with count 1 until
// the next wrap. Unmapping a page that is not kmap()ed, or more often
// than it was mapped, is a BUG.
func (h *Highmem) Kunmap(pfn phys.PFN, mightSleep func(string) error) error {
	if err := mightSleep("kunmap"); err != nil {
		return err
	}
	if err := h.valid(pfn, "kunmap"); err != nil {
		return err
	}
	if !h.IsHigh(pfn) {
		return nil
	}
	nr, ok := h.addr[pfn]
	if !ok {
		return bug.Errorf("kernel BUG at mm/highmem.c: kunmap_high(): pfn %#x is not kmap()ed (page_address() is NULL)", uint64(pfn))
	}
	if h.count[nr] == 1 {
		return bug.Errorf("kernel BUG at mm/highmem.c: kunmap_high(): pkmap slot %d (pfn %#x) has no users left: more kunmap() than kmap() calls", nr, uint64(pfn))
	}
	h.count[nr]--
	h.Stats.Kunmaps++
	h.gen++
	return nil
}

// Slot is one pkmap slot, for views.
type Slot struct {
	Nr    int
	VA    arch.VirtAddr
	Count int
	PFN   phys.PFN
}

// Slots lists the pkmap slots whose count is not 0.
func (h *Highmem) Slots() []Slot {
	var out []Slot
	for nr, c := range h.count {
		if c != 0 {
			out = append(out, Slot{nr, h.Layout.PkmapAddr(nr), c, h.page[nr]})
		}
	}
	return out
}

// LastNr is last_pkmap_nr, where the next scan starts after.
func (h *Highmem) LastNr() int { return h.lastNr }

// Count is pkmap_count[nr].
func (h *Highmem) Count(nr int) int { return h.count[nr] }
