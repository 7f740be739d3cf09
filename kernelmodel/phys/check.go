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
// A full check costs time in the number of blocks. So that checking after
// every statement costs time in the work done, Check verifies only the
// blocks that changed since the last check, plus every zone's counters,
// and makes a full check only once the changes since the last full one
// outnumber the blocks that one went through (or too many blocks changed
// to track): amortised, a constant cost per change. CheckFull always
// checks everything.
func (m *Mem) Check() error {
	if m.gen == m.checked {
		return nil
	}
	if m.dirtyOverflow || m.sinceFull >= m.fullCost {
		return m.CheckFull()
	}
	if err := m.checkCounters(); err != nil {
		return err
	}
	for _, pfn := range m.dirty {
		if err := m.checkBlockAt(pfn); err != nil {
			return err
		}
	}
	m.passed()
	return nil
}

func (m *Mem) passed() {
	m.checked = m.gen
	m.dirty = m.dirty[:0]
	m.dirtyOverflow = false
}

// CheckFull verifies every invariant over all of physical memory.
func (m *Mem) CheckFull() error {
	if err := m.check(); err != nil {
		return err
	}
	m.passed()
	m.sinceFull = 0
	return nil
}

// checkCounters checks each zone's counters against each other.
func (m *Mem) checkCounters() error {
	for _, z := range m.Zones {
		var free uint64
		for o := range z.area {
			free += z.area[o].nr << o
		}
		if free != z.free {
			return bug.Violation("buddy-free-count", "zone %s: NR_FREE_PAGES is %d but nr_free says the lists hold %d pages", z.Name, z.free, free)
		}
		if z.free+z.allocated != z.Managed {
			return bug.Violation("frame-conservation", "zone %s: %d free + %d allocated pages, but %d managed", z.Name, z.free, z.allocated, z.Managed)
		}
	}
	return nil
}

// checkBlockAt checks the block a changed frame heads, if it heads one:
// a free block is aligned, inside its zone, correctly linked into its
// list and not mergeable with its buddy; a free or allocated block
// overlaps no other block.
func (m *Mem) checkBlockAt(pfn PFN) error {
	p := m.peek(pfn)
	if p.flags&(PGBuddy|pgAllocHead) == 0 {
		return nil // no longer a head: the block that took it in changed too
	}
	order := int(p.order)
	z := m.Zones[p.zone]
	size := PFN(1) << order
	if pfn&(size-1) != 0 {
		return bug.Violation("buddy-alignment", "zone %s: block at pfn %#x is not aligned to its order %d", z.Name, uint64(pfn), order)
	}
	if pfn < z.StartPFN || pfn+size > z.EndPFN {
		return bug.Violation("buddy-zone", "block at pfn %#x order %d is outside zone %s", uint64(pfn), order, z.Name)
	}
	if p.flags&PGBuddy != 0 {
		if err := m.checkLinks(z, pfn, order, p); err != nil {
			return err
		}
		if order < MaxOrder && m.isBuddy(z, pfn^size, order) {
			return bug.Violation("buddy-unmerged", "zone %s: free blocks at pfn %#x and %#x are buddies of order %d but were not merged", z.Name, uint64(pfn), uint64(pfn^size), order)
		}
	}
	// No larger block holds this one, and no block starts inside it.
	for o := order + 1; o <= MaxOrder; o++ {
		up := pfn &^ (1<<o - 1)
		if q := m.peek(up); up != pfn && q.flags&(PGBuddy|pgAllocHead) != 0 && up+1<<q.order > pfn {
			return bug.Violation("frame-overlap", "block at pfn %#x order %d lies inside the order-%d block at pfn %#x", uint64(pfn), order, q.order, uint64(up))
		}
	}
	for q := pfn + 1; q < pfn+size; q++ {
		if qp := m.peek(q); qp.flags&(PGBuddy|pgAllocHead|PGReserved) != 0 {
			return bug.Violation("frame-overlap", "pfn %#x (%s) lies inside the order-%d block at pfn %#x", uint64(q), qp.flags&visibleFlags, order, uint64(pfn))
		}
	}
	return nil
}

// checkLinks checks that a free block sits in its list: a run block
// inside its run, a linked block with neighbours that point back at it.
func (m *Mem) checkLinks(z *Zone, pfn PFN, order int, p page) error {
	fl := &z.area[order]
	if r := fl.run; pfn >= r.start && pfn < r.end {
		return nil
	}
	l := fl.front
	if p.flags&pgOnBack != 0 {
		l = fl.back
	}
	bad := func(why string) error {
		return bug.Violation("buddy-nr-free", "zone %s: free block at pfn %#x (order %d) %s", z.Name, uint64(pfn), order, why)
	}
	if p.prev == noLink && l.head != uint32(pfn) {
		return bad("has no predecessor but is not the head of its list")
	}
	if p.next == noLink && l.tail != uint32(pfn) {
		return bad("has no successor but is not the tail of its list")
	}
	if p.prev != noLink && m.peek(PFN(p.prev)).next != uint32(pfn) {
		return bad("is not its predecessor's successor")
	}
	if p.next != noLink && m.peek(PFN(p.next)).prev != uint32(pfn) {
		return bad("is not its successor's predecessor")
	}
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
			if err := m.checkBackLinks(z, o); err != nil {
				return err
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
	spans := m.spans()
	m.fullCost = uint64(len(spans))
	for i, s := range spans {
		if i > 0 && s.start < last.end {
			return bug.Violation("frame-overlap", "pfn %#x-%#x overlaps pfn %#x-%#x", uint64(s.start), uint64(s.end-1), uint64(last.start), uint64(last.end-1))
		}
		if !s.free && s.order >= 0 {
			if m.peek(s.start).flags&PGBuddy != 0 {
				return bug.Violation("buddy-page-state", "allocated block at pfn %#x order %d is marked buddy", uint64(s.start), s.order)
			}
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

// checkBackLinks walks the linked parts of a free list and checks that
// each block's predecessor is the block before it, and the tails.
func (m *Mem) checkBackLinks(z *Zone, order int) error {
	fl := &z.area[order]
	for _, l := range []list{fl.front, fl.back} {
		prev := noLink
		for q := l.head; q != noLink; q = m.peek(PFN(q)).next {
			if m.peek(PFN(q)).prev != prev {
				return bug.Violation("buddy-nr-free", "zone %s order %d: free block at pfn %#x does not point back at its predecessor", z.Name, order, q)
			}
			prev = q
		}
		if l.tail != prev {
			return bug.Violation("buddy-nr-free", "zone %s order %d: the list's tail is not its last block", z.Name, order)
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
