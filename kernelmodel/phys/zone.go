package phys

import "mmsim/kernelmodel/arch"

// Orders: free lists for orders 0 to MAX_PAGE_ORDER
// (include/linux/mmzone.h).
const (
	MaxOrder    = 10
	NROrders    = MaxOrder + 1
	maxBlock    = 1 << MaxOrder
	CostlyOrder = 3 // PAGE_ALLOC_COSTLY_ORDER
)

// Watermark indexes (enum zone_watermarks).
const (
	WmarkMin = iota
	WmarkLow
	WmarkHigh
	WmarkPromo
	nWmarks
)

// Zone is struct zone: one range of physical memory with its own buddy
// allocator and watermarks.
type Zone struct {
	Type  arch.ZoneType
	Index int // in the node's zone array: the kernel's zone_idx
	Name  string
	// StartPFN and EndPFN bound the zone's span; a zone with nothing
	// spanned is unpopulated.
	StartPFN, EndPFN PFN
	// Present counts the frames of RAM in the span; Managed those the
	// buddy allocator got at boot (present minus reserved).
	Present, Managed uint64
	// Watermark holds min, low, high and promo, in pages.
	Watermark [nWmarks]uint64
	// LowmemReserve[j] is the protection kept in this zone against
	// allocations whose highest zone is j.
	LowmemReserve []uint64

	free      uint64 // NR_FREE_PAGES
	allocated uint64 // pages handed out by the buddy allocator
	area      [NROrders]freeList
	// PgAlloc counts pages allocated from the zone (vmstat pgalloc_*).
	PgAlloc uint64
}

// Spanned is the number of frames the zone's range covers.
func (z *Zone) Spanned() uint64 { return uint64(z.EndPFN - z.StartPFN) }

// Populated reports whether the zone has memory the allocator manages.
func (z *Zone) Populated() bool { return z.Managed > 0 }

// Free is the number of free pages in the zone (NR_FREE_PAGES).
func (z *Zone) Free() uint64 { return z.free }

// Allocated is the number of pages the zone's buddy allocator has handed
// out.
func (z *Zone) Allocated() uint64 { return z.allocated }

// NrFree is free_area[order].nr_free: the number of free blocks of an
// order.
func (z *Zone) NrFree(order int) uint64 { return z.area[order].nr }

// Min, Low and High are the zone's watermarks.
func (z *Zone) Min() uint64  { return z.Watermark[WmarkMin] }
func (z *Zone) Low() uint64  { return z.Watermark[WmarkLow] }
func (z *Zone) High() uint64 { return z.Watermark[WmarkHigh] }

// IsHighMem reports whether the zone's frames are outside the direct map.
func (z *Zone) IsHighMem() bool { return z.Type == arch.ZoneHighMem }

// freeList is free_area[order]: the free blocks of one order in list
// order. The kernel's list is one doubly linked list through struct page.
// Here the blocks boot freed in one sweep and nothing has touched since
// are kept as a run, [start, end) in steps of the block size, so that a
// terabyte of free memory needs no struct pages: the list is the blocks
// linked in front, then the run, then the blocks linked behind it.
type freeList struct {
	front, back list
	run         run
	nr          uint64
}

type list struct{ head, tail uint32 }

type run struct{ start, end PFN }

func (r run) blocks(order int) uint64 { return uint64(r.end-r.start) >> order }

func emptyList() list { return list{noLink, noLink} }

// first returns the block at the head of the list.
func (m *Mem) first(fl *freeList, order int) (PFN, bool) {
	switch {
	case fl.front.head != noLink:
		return PFN(fl.front.head), true
	case fl.run.start < fl.run.end:
		return fl.run.start, true
	case fl.back.head != noLink:
		return PFN(fl.back.head), true
	}
	return 0, false
}

// push puts a free block at the head of its list, as the kernel's
// __add_to_free_list(..., tail=false), or at the tail.
func (m *Mem) push(fl *freeList, pfn PFN, tail bool) {
	fl.nr++
	m.touch(pfn)
	if !tail {
		m.linkHead(&fl.front, pfn, 0)
		return
	}
	p := m.page(pfn)
	p.flags |= pgOnBack
	p.prev, p.next = fl.back.tail, noLink
	if fl.back.tail != noLink {
		m.page(PFN(fl.back.tail)).next = uint32(pfn)
	} else {
		fl.back.head = uint32(pfn)
	}
	fl.back.tail = uint32(pfn)
}

func (m *Mem) linkHead(l *list, pfn PFN, mark PageFlags) {
	p := m.page(pfn)
	p.flags |= mark
	p.prev, p.next = noLink, l.head
	if l.head != noLink {
		m.page(PFN(l.head)).prev = uint32(pfn)
	} else {
		l.tail = uint32(pfn)
	}
	l.head = uint32(pfn)
}

// remove takes a block off its list, wherever it is.
func (m *Mem) remove(fl *freeList, pfn PFN, order int) {
	fl.nr--
	if r := &fl.run; pfn >= r.start && pfn < r.end {
		size := PFN(1) << order
		switch pfn {
		case r.start:
			r.start += size
		case r.end - size:
			r.end -= size
		default:
			// Never needed by the allocator (only the head of a run is
			// taken), but kept correct: the blocks after pfn move, in
			// order, to the front of the back list.
			for q := r.end - size; q > pfn; q -= size {
				m.linkHead(&fl.back, q, pgOnBack)
			}
			r.end = pfn
		}
		return
	}
	p := m.page(pfn)
	l := &fl.front
	if p.flags&pgOnBack != 0 {
		l = &fl.back
	}
	if p.prev != noLink {
		m.page(PFN(p.prev)).next = p.next
	} else {
		l.head = p.next
	}
	if p.next != noLink {
		m.page(PFN(p.next)).prev = p.prev
	} else {
		l.tail = p.prev
	}
	p.next, p.prev = noLink, noLink
	p.flags &^= pgOnBack
}

// each calls f for every block of the list, in list order, and the runs
// as one call with n > 1 blocks.
func (m *Mem) each(fl *freeList, order int, f func(pfn PFN, n uint64)) {
	for q := fl.front.head; q != noLink; q = m.peek(PFN(q)).next {
		f(PFN(q), 1)
	}
	if n := fl.run.blocks(order); n > 0 {
		f(fl.run.start, n)
	}
	for q := fl.back.head; q != noLink; q = m.peek(PFN(q)).next {
		f(PFN(q), 1)
	}
}
