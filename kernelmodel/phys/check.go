package phys

import (
	"sort"

	"mmsim/kernelmodel/bug"
)

// span is a range of frames with what holds it, for the checker and the
// physical memory map.
type span struct {
	start, end PFN
	owner      Owner
	free       bool
	order      int
}

// spans lists every free block (a zone's untouched run as one span), every
// allocated block and every reserved range, sorted by start.
func (m *Mem) spans() []span {
	var out []span
	for _, r := range m.reserved {
		if r.Start < r.End {
			out = append(out, span{r.Start, r.End, r.Owner, false, -1})
		}
	}
	for _, z := range m.Zones {
		for o := range z.area {
			m.each(&z.area[o], o, func(pfn PFN, n uint64) {
				out = append(out, span{pfn, pfn + PFN(n<<o), OwnerNone, true, o})
			})
		}
	}
	for i, s := range m.sections {
		if s == nil {
			continue
		}
		base := PFN(i) << sectionShift
		for j := range s {
			if s[j].flags&pgAllocHead != 0 {
				pfn := base + PFN(j)
				out = append(out, span{pfn, pfn + 1<<s[j].order, s[j].owner, false, int(s[j].order)})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].start < out[j].start })
	return out
}

// Check verifies the allocator's invariants: each free list holds as many
// blocks as nr_free says; every free block is aligned to its order, inside
// its zone and marked as a buddy of that order; no free block has a free
// buddy of the same order left unmerged; free and allocated blocks and
// reserved ranges never overlap; each zone's free pages are what its
// lists hold, and free plus allocated pages are its managed pages.
//
// A check costs time in the number of blocks and of struct-page sections,
// so it is skipped when nothing changed since the last one passed.
func (m *Mem) Check() error {
	if m.gen == m.checked {
		return nil
	}
	if err := m.check(); err != nil {
		return err
	}
	m.checked = m.gen
	return nil
}

func (m *Mem) check() error {
	for _, z := range m.Zones {
		var free uint64
		for o := range z.area {
			fl := &z.area[o]
			var n uint64
			var err error
			m.each(fl, o, func(pfn PFN, blocks uint64) {
				n += blocks
				if err != nil {
					return
				}
				err = m.checkFreeBlock(z, pfn, o, blocks)
			})
			if err != nil {
				return err
			}
			if n != fl.nr {
				return bug.Violation("buddy-nr-free", "zone %s order %d: nr_free is %d but the list holds %d blocks", z.Name, o, fl.nr, n)
			}
			free += n << o
		}
		if free != z.free {
			return bug.Violation("buddy-free-count", "zone %s: NR_FREE_PAGES is %d but the free lists hold %d pages", z.Name, z.free, free)
		}
		if z.free+z.allocated != z.Managed {
			return bug.Violation("frame-conservation", "zone %s: %d free + %d allocated pages, but %d managed", z.Name, z.free, z.allocated, z.Managed)
		}
	}
	var last span
	allocated := make([]uint64, len(m.Zones))
	for i, s := range m.spans() {
		if i > 0 && s.start < last.end {
			return bug.Violation("frame-overlap", "pfn %#x-%#x overlaps pfn %#x-%#x", uint64(s.start), uint64(s.end-1), uint64(last.start), uint64(last.end-1))
		}
		if !s.free && s.order >= 0 {
			z := m.Zones[m.zoneIndexOf(s.start)]
			if s.start < z.StartPFN || s.end > z.EndPFN {
				return bug.Violation("buddy-zone", "allocated block at pfn %#x order %d is not inside zone %s", uint64(s.start), s.order, z.Name)
			}
			allocated[z.Index] += uint64(s.end - s.start)
		}
		last = s
	}
	for i, z := range m.Zones {
		if allocated[i] != z.allocated {
			return bug.Violation("frame-conservation", "zone %s: the allocated blocks hold %d pages, but the zone counts %d", z.Name, allocated[i], z.allocated)
		}
	}
	return nil
}

func (m *Mem) checkFreeBlock(z *Zone, pfn PFN, order int, blocks uint64) error {
	size := PFN(1) << order
	end := pfn + PFN(blocks)*size
	if pfn&(size-1) != 0 {
		return bug.Violation("buddy-alignment", "zone %s: free block at pfn %#x is not aligned to its order %d", z.Name, uint64(pfn), order)
	}
	if pfn < z.StartPFN || end > z.EndPFN {
		return bug.Violation("buddy-zone", "free block pfn %#x-%#x (order %d) is outside zone %s (pfn %#x-%#x)", uint64(pfn), uint64(end-1), order, z.Name, uint64(z.StartPFN), uint64(z.EndPFN-1))
	}
	if blocks > 1 {
		return nil // an untouched run: its frames have no struct pages yet
	}
	p := m.peek(pfn)
	if p.flags&PGBuddy == 0 || int(p.order) != order || int(p.zone) != z.Index {
		return bug.Violation("buddy-page-state", "zone %s: free block at pfn %#x on the order-%d list has flags %s, order %d", z.Name, uint64(pfn), order, p.flags&visibleFlags, p.order)
	}
	if order < MaxOrder && m.isBuddy(z, pfn^size, order) {
		return bug.Violation("buddy-unmerged", "zone %s: free blocks at pfn %#x and %#x are buddies of order %d but were not merged", z.Name, uint64(pfn), uint64(pfn^size), order)
	}
	return nil
}
