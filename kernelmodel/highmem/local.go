package highmem

import (
	"fmt"

	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/bug"
	"mmsim/kernelmodel/phys"
)

// KmapLocal models kmap_local_page() (atomic false) and kmap_atomic()
// (atomic true; it also disables preemption and page faults, so nothing
// may sleep until kunmap_atomic()). A lowmem page gives its direct-map
// address and takes no slot; a highmem page takes the next index of the
// task's stack in this CPU's fixmap slots (FIX_KMAP_BEGIN + idx +
// KM_MAX_IDX * cpu). kmap_local_idx_push() increments the task's index
// first and BUGs once it reaches KM_MAX_IDX, so at most KM_MAX_IDX - 1
// mappings fit.
func (h *Highmem) KmapLocal(pfn phys.PFN, atomic bool) (arch.VirtAddr, error) {
	fn := kmapName(atomic)
	if err := h.valid(pfn, fn); err != nil {
		return 0, err
	}
	l := Local{PFN: pfn, CPU: h.CPU(), Atomic: atomic}
	if !h.IsHigh(pfn) {
		l.VA = h.lowmem(pfn)
	} else {
		idx := h.nextIdx()
		if idx+1 >= arch.KmapMaxIdx {
			return 0, bug.Errorf("kernel BUG at mm/highmem.c: kmap_local_idx_push(): %s would be mapping %d of this task, which reaches KM_MAX_IDX (%d)", fn, idx+1, arch.KmapMaxIdx)
		}
		l.VA = h.Layout.FixToVirt(h.Layout.FixKmapBegin + idx + arch.KmapMaxIdx*l.CPU)
		l.Mapped, l.Idx = true, idx
		if _, err := h.PT.MapKernel(l.VA, pfn.Addr(), h.PT.F.PTELevel(), kmapProt, fn); err != nil {
			return 0, err
		}
	}
	h.stack = append(h.stack, l)
	if atomic {
		h.atomic++
	}
	h.gen++
	return l.VA, nil
}

func kmapName(atomic bool) string {
	if atomic {
		return "kmap_atomic"
	}
	return "kmap_local_page"
}

func kunmapName(atomic bool) string {
	if atomic {
		return "kunmap_atomic"
	}
	return "kunmap_local"
}

// nextIdx is the stack index the next highmem mapping takes: one above
// the highest in use.
func (h *Highmem) nextIdx() int {
	n := 0
	for _, l := range h.stack {
		if l.Mapped {
			n = l.Idx + 1
		}
	}
	return n
}

// topSlot is the most recent mapping that holds a fixmap slot.
func (h *Highmem) topSlot() (Local, bool) {
	for i := len(h.stack) - 1; i >= 0; i-- {
		if h.stack[i].Mapped {
			return h.stack[i], true
		}
	}
	return Local{}, false
}

// LocalSlots is the number of fixmap slots the kmap_local stack holds
// (lowmem pages take none).
func (h *Highmem) LocalSlots() int {
	n := 0
	for _, l := range h.stack {
		if l.Mapped {
			n++
		}
	}
	return n
}

// KunmapLocal models kunmap_local() (atomic false) and kunmap_atomic()
// (atomic true). The address must be the one the matching call returned;
// mappings must be undone in reverse order: unmapping another than the
// top one gets the kernel's WARN_ON_ONCE in kunmap_local_indexed(). The
// model then unmaps the named mapping and keeps the others in their
// slots. A slot's PTE is cleared and flushed from this CPU's TLB only
// (flush_tlb_one_kernel()).
func (h *Highmem) KunmapLocal(va arch.VirtAddr, atomic bool) error {
	fn := kunmapName(atomic)
	va &^= arch.PageSize - 1
	// The newest mapping of that address and kind: a lowmem page may be
	// on the stack twice, once by each kind.
	i, other := -1, -1
	for j := len(h.stack) - 1; j >= 0 && i < 0; j-- {
		switch {
		case h.stack[j].VA != va:
		case h.stack[j].Atomic == atomic:
			i = j
		case other < 0:
			other = j
		}
	}
	if i < 0 && other >= 0 {
		l := h.stack[other]
		return fmt.Errorf("%s: %#x was mapped with %s; undo it with %s", fn, uint64(va), kmapName(l.Atomic), kunmapName(l.Atomic))
	}
	if i < 0 {
		return fmt.Errorf("%s: %#x is not an address kmap_local_page() or kmap_atomic() returned (nothing on the kmap stack)", fn, uint64(va))
	}
	l := h.stack[i]
	if top, ok := h.topSlot(); l.Mapped && ok && top.VA != l.VA {
		// WARN_ON_ONCE: the kernel warns the first time only. Lowmem
		// pages hold no slot and kunmap_local_indexed() returns early
		// for them, so only fixmap slots are in the stack's order.
		h.WarnOnce("kunmap_local LIFO", fmt.Sprintf("WARNING: mm/highmem.c: kunmap_local_indexed(): unmapping %#x, but the top of the kmap stack is %#x: kmap_local/kmap_atomic mappings must be undone in reverse order (LIFO)", uint64(va), uint64(top.VA)))
	}
	if l.Mapped {
		h.PT.Clear(h.PT.Init, l.VA)
		h.MMU.FlushOneKernel(l.CPU, l.VA)
		// Only the task's CPU can have cached the slot, since the task
		// cannot migrate while it holds one; after a cpu block that
		// ended anyway (an error), other CPUs may have, so they drop it
		// too, with no flush counted.
		h.MMU.Drop(l.VA)
	}
	h.stack = append(h.stack[:i], h.stack[i+1:]...)
	if atomic {
		h.atomic--
	}
	h.gen++
	return nil
}

// Atomic reports whether kmap_atomic() mappings are held: preemption and
// page faults are off, nothing may sleep.
func (h *Highmem) Atomic() bool { return h.atomic > 0 }

// Stack lists the task's kmap_local/kmap_atomic mappings, oldest first.
func (h *Highmem) Stack() []Local { return append([]Local(nil), h.stack...) }

// LocalAddress is kmap_to_page()'s reverse: the frame a kmap_local or
// kmap_atomic address maps, if any.
func (h *Highmem) LocalAddress(va arch.VirtAddr) (Local, bool) {
	for _, l := range h.stack {
		if l.VA == va&^(arch.PageSize-1) {
			return l, true
		}
	}
	return Local{}, false
}

// Check verifies pkmap-consistent: a slot with count 0 maps nothing and
// belongs to no page; a slot with a count maps its page, which
// page_address() finds there; every kmap_local slot on the stack maps its
// page, fewer than KM_MAX_IDX of them; no other fixmap kmap slot is mapped.
func (h *Highmem) Check() error {
	if h.gen == h.check && h.PT.Gen == h.ptGen {
		return nil
	}
	init := h.PT.Init
	for nr, c := range h.count {
		pa, _, _, ok := h.PT.Translate(init, h.Layout.PkmapAddr(nr))
		switch {
		case c < 0:
			return bug.Violation("pkmap-consistent", "pkmap slot %d has count %d", nr, c)
		case c == 0 && ok:
			return bug.Violation("pkmap-consistent", "free pkmap slot %d still maps %#x", nr, uint64(pa))
		case c > 0 && (!ok || phys.PFN(pa>>arch.PageShift) != h.page[nr] || h.addr[h.page[nr]] != nr):
			return bug.Violation("pkmap-consistent", "pkmap slot %d (count %d) does not map pfn %#x as page_address() says", nr, c, uint64(h.page[nr]))
		}
	}
	if len(h.addr) > len(h.Slots()) {
		return bug.Violation("pkmap-consistent", "%d pages have a kmap address, %d slots are in use", len(h.addr), len(h.Slots()))
	}
	if h.LocalSlots() >= arch.KmapMaxIdx {
		return bug.Violation("pkmap-consistent", "%d kmap_local slots are in use, KM_MAX_IDX or more", h.LocalSlots())
	}
	used := map[arch.VirtAddr]bool{}
	atomic := 0
	for _, l := range h.stack {
		if l.Atomic {
			atomic++
		}
		if !l.Mapped {
			continue
		}
		used[l.VA] = true
		if pa, _, _, ok := h.PT.Translate(init, l.VA); !ok || phys.PFN(pa>>arch.PageShift) != l.PFN {
			return bug.Violation("pkmap-consistent", "kmap_local address %#x does not map pfn %#x", uint64(l.VA), uint64(l.PFN))
		}
	}
	if atomic != h.atomic {
		return bug.Violation("pkmap-consistent", "%d kmap_atomic mappings on the stack, the count says %d", atomic, h.atomic)
	}
	if h.Layout.FixKmapBegin > 0 {
		for idx := h.Layout.FixKmapBegin; idx < h.Layout.FixKmapBegin+arch.KmapMaxIdx*len(h.MMU.TLBs); idx++ {
			va := h.Layout.FixToVirt(idx)
			if _, _, _, ok := h.PT.Translate(init, va); ok && !used[va] {
				return bug.Violation("pkmap-consistent", "fixmap kmap slot %#x is mapped but on no kmap stack", uint64(va))
			}
		}
	}
	h.check, h.ptGen = h.gen, h.PT.Gen
	return nil
}
