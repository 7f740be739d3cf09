package mm

import (
	"fmt"

	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/pgtable"
	"mmsim/kernelmodel/phys"
)

// swapPut is free_swap_and_cache(): a PTE's use of a slot is gone; when
// only the swap cache still holds it and nothing maps the page, the page
// and the slot are freed.
func (s *System) swapPut(slot uint64) {
	if s.Swap == nil {
		return
	}
	s.Swap.Put(slot)
	if pfn, ok := s.Swap.Cached(slot); ok && s.Swap.Count(slot) == 1 && s.Mem.Mapcount(phys.PFN(pfn)) == 0 {
		s.dropSwapCache(phys.PFN(pfn), slot)
	}
}

// dropSwapCache is folio_free_swap(): the page leaves the swap cache,
// which gives back its count of the slot and its page reference.
func (s *System) dropSwapCache(pfn phys.PFN, slot uint64) {
	s.Swap.DelCache(slot)
	s.Swap.Put(slot)
	if meta := s.meta(pfn); meta != nil {
		meta.swap = 0
	}
	s.putPage(pfn)
}

// doSwapPage is mm/memory.c:do_swap_page(): the page of a swap entry is
// looked up in the swap cache (a minor fault) or read into a new page
// that joins the swap cache (a major fault); the PTE maps it again and
// gives up its count of the slot. When nothing else uses the slot (or a
// write fault takes the page, or swap is more than half full) the page
// leaves the swap cache and the slot is freed. A page other PTEs still
// share comes back read-only, and a write copies it (do_wp_page()).
func (m *MM) doSwapPage(t *Task, v *VMA, page uint64, e pgtable.Entry, write bool) (bool, error) {
	s := m.sys
	_, slot, ok := s.PT.F.DecodeSwap(e)
	if !ok || s.Swap == nil || s.Swap.Count(slot) == 0 {
		return false, fmt.Errorf("internal error: the PTE of %#x holds %#x, which is no swap entry in use", page, uint64(e))
	}
	major := false
	cached, inCache := s.Swap.Cached(slot)
	pfn := phys.PFN(cached)
	if !inCache {
		p, err := s.allocUser("anon")
		if err != nil {
			return false, err
		}
		pfn = p
		if data := s.Swap.Read(slot); data != nil {
			s.Mem.WritePhys(pfn.Addr(), data[:])
		}
		s.Swap.AddCache(slot, uint64(pfn))
		s.Swap.Dup(slot) // the swap cache's use
		// A page shared with other processes belongs to the root
		// anon_vma, whose reverse map reaches them all
		// (__folio_set_anon() for a non-exclusive folio).
		av := v.Anon
		if s.Swap.Count(slot) > 2 {
			for av != nil && av.Parent != nil {
				av = av.Parent
			}
		}
		s.track(pfn, pageMeta{anon: av, index: v.pgoffAt(page), swap: slot, written: true}, v.Flags&VMLocked != 0)
		major = true
	}
	if err := s.Mem.GetPage(pfn); err != nil {
		return false, err
	}
	ne := pgtable.Entry(pfn.Addr()) | pteFlags(v, false)
	if _, err := s.PT.SetUser(m.PGD, arch.VirtAddr(page), ne); err != nil {
		s.putPage(pfn)
		return false, err
	}
	m.addRss(MMSwapEnts, -1)
	m.addRss(MMAnonPages, 1)
	s.Swap.Put(slot) // the PTE's use
	half := s.Swap.Used()*2 > s.Swap.Total()
	if s.Swap.Count(slot) == 1 && (write || half || v.Flags&VMLocked != 0) {
		s.dropSwapCache(pfn, slot)
	}
	if write && v.Flags&VMWrite != 0 {
		if s.Mem.Refcount(pfn) == 1 {
			s.PT.Update(m.PGD, arch.VirtAddr(page), pgtable.RW|pgtable.Dirty, 0)
		} else if err := m.doWP(t, v, page, s.PT.UserEntry(m.PGD, arch.VirtAddr(page))); err != nil {
			return major, err
		}
	}
	s.gen++
	return major, nil
}
