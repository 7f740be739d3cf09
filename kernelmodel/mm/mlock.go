package mm

import (
	"fmt"

	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/pgtable"
	"mmsim/kernelmodel/phys"
	"mmsim/kernelmodel/reclaim"
	"mmsim/kernelmodel/tlb"
)

// pageouter is reclaim, for MADV_PAGEOUT; the machine sets it.
type pageouter interface {
	PageOut(pfns []uint64) int
}

// SetReclaim gives the process side the reclaimer MADV_PAGEOUT uses.
func (s *System) SetReclaim(r pageouter) { s.reclaimer = r }

// pageout is MADV_PAGEOUT (madvise_pageout()): the pages of the range
// that only this process maps are reclaimed now, whatever their age.
func (s *System) pageout(m *MM, start, end uint64) {
	if s.reclaimer == nil {
		return
	}
	var pfns []uint64
	s.PT.EachUser(m.PGD, arch.VirtAddr(start), arch.VirtAddr(end), func(_ arch.VirtAddr, e pgtable.Entry) pgtable.Entry {
		if pfn, ok := s.pfnOf(e); ok && s.Mem.Mapcount(phys.PFN(pfn)) == 1 {
			pfns = append(pfns, pfn)
		}
		return e
	})
	s.reclaimer.PageOut(pfns)
	s.gen++
}

// Mlock models mlock()/munlock() (mm/mlock.c: apply_vma_lock_flags()):
// the VMAs of the range get or lose VM_LOCKED (split and merged as
// mprotect does); locking faults every page in (populate) and moves the
// pages to the unevictable list; unlocking puts them back on the
// inactive lists. A hole is ENOMEM.
func (s *System) Mlock(t *Task, addr, length uint64, lock bool) error {
	call := "munlock"
	if lock {
		call = "mlock"
	}
	if err := s.mmapLock(call); err != nil {
		return err
	}
	m := t.MM
	start := addr &^ pageMask
	end := pageAlign(addr + length)
	if end < start || end > uint64(s.Layout.TaskSize) {
		return sysErr(call, EINVAL, "the range is outside user space")
	}
	for a := start; a < end; {
		v := m.tree.Find(a)
		if v == nil || v.Start > a {
			s.gen++
			return sysErr(call, ENOMEM, fmt.Sprintf("%#x is not mapped", a))
		}
		stop := end
		if v.End < stop {
			stop = v.End
		}
		flags := v.Flags &^ VMLocked
		if lock {
			flags |= VMLocked
		}
		var err error
		if v, err = m.modify(v, a, stop, flags); err != nil {
			return err
		}
		if lock {
			for p := a; p < stop; p += arch.PageSize {
				if !v.Accessible() {
					break
				}
				e := s.PT.UserEntry(m.PGD, arch.VirtAddr(p))
				if e&pgtable.Present != 0 {
					continue
				}
				code := uint(tlb.PFUser)
				if v.Flags&VMWrite != 0 && v.Flags&VMShared == 0 {
					code |= tlb.PFWrite
				}
				if err := s.HandleFault(t, p, code); err != nil {
					return err
				}
			}
		}
		s.PT.EachUser(m.PGD, arch.VirtAddr(a), arch.VirtAddr(stop), func(_ arch.VirtAddr, e pgtable.Entry) pgtable.Entry {
			if pfn, ok := s.pfnOf(e); ok && s.LRU != nil {
				if lock {
					s.LRU.Move(pfn, reclaim.Unevictable)
				} else if s.LRU.Which(pfn) == reclaim.Unevictable && !s.lockedElsewhere(phys.PFN(pfn)) {
					s.LRU.Move(pfn, inactiveList(s.meta(phys.PFN(pfn))))
				}
			}
			return e
		})
		a = stop
	}
	s.gen++
	return nil
}

// Swapoff models swapoff() (try_to_unuse()): every page in swap is read
// back into the processes that map it (the faults are not counted), then
// the area takes no new entries. ENOMEM when memory runs out on the way
// (the pages read so far stay in).
func (s *System) Swapoff() error {
	if s.Swap == nil || s.Swap.Slots <= 1 {
		return sysErr("swapoff", EINVAL, "the machine has no swap area (machine ... swap=SIZE)")
	}
	if !s.Swap.On {
		return sysErr("swapoff", EINVAL, "the swap area is off already")
	}
	if err := s.mmapLock("swapoff"); err != nil {
		return err
	}
	for _, t := range s.tasks {
		if t.MM == nil {
			continue
		}
		m := t.MM
		type swapped struct {
			v  *VMA
			va uint64
			e  pgtable.Entry
		}
		var list []swapped
		for v := m.tree.First(); v != nil; v = v.Next() {
			s.PT.EachUser(m.PGD, arch.VirtAddr(v.Start), arch.VirtAddr(v.End), func(va arch.VirtAddr, e pgtable.Entry) pgtable.Entry {
				if e&pgtable.Present == 0 {
					list = append(list, swapped{v, uint64(va), e})
				}
				return e
			})
		}
		for _, x := range list {
			if _, err := m.doSwapPage(t, x.v, x.va, x.e, false); err != nil {
				return err
			}
		}
	}
	// Pages left in the swap cache alone leave it.
	for _, slot := range s.Swap.InUse() {
		if pfn, ok := s.Swap.Cached(slot); ok && s.Swap.Count(slot) == 1 {
			s.dropSwapCache(phys.PFN(pfn), slot)
		}
	}
	s.Swap.On = false
	s.gen++
	return nil
}

// Swapon turns the machine's swap area back on.
func (s *System) Swapon() error {
	if s.Swap == nil || s.Swap.Slots <= 1 {
		return sysErr("swapon", EINVAL, "the machine has no swap area (machine ... swap=SIZE)")
	}
	if s.Swap.On {
		return sysErr("swapon", EBUSY, "the swap area is on already")
	}
	s.Swap.On = true
	return nil
}

// EBUSY is swapon's error for an area in use.
const EBUSY Errno = 16

func init() {
	errnoNames[EBUSY] = [2]string{"EBUSY", "Device or resource busy"}
}

// lockedElsewhere reports whether a VM_LOCKED VMA still maps the page
// (munlock_folio() leaves such a page mlocked).
func (s *System) lockedElsewhere(pfn phys.PFN) bool {
	locked := false
	s.mappings(pfn, func(v *VMA, _ uint64, _ pgtable.Entry) bool {
		locked = v.Flags&VMLocked != 0
		return !locked
	})
	return locked
}
