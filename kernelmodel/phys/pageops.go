package phys

import (
	"fmt"

	"mmsim/kernelmodel/bug"
)

// MightSleep models might_alloc(): an allocation whose mask may sleep,
// made in atomic context, is the kernel BUG "sleeping function called
// from invalid context". Allocators built on the page allocator (slab,
// vmalloc) check it on every call, whether or not they need new pages.
func (m *Mem) MightSleep(gfp GFP, caller string) error { return m.mightSleep(gfp, caller) }

// SetPageFlags sets and clears flags of an allocated block's first frame
// (__SetPageSlab(), __ClearPageSlab(), ...), and names its owner.
func (m *Mem) SetPageFlags(pfn PFN, set, clear PageFlags, owner Owner, tag string) error {
	if pfn >= m.maxPFN {
		return fmt.Errorf("pfn %#x is not valid", uint64(pfn))
	}
	if m.peek(pfn).flags&pgAllocHead == 0 {
		return fmt.Errorf("pfn %#x does not head an allocated block", uint64(pfn))
	}
	p := m.page(pfn)
	p.flags = p.flags&^(clear&visibleFlags) | set&visibleFlags
	if owner != OwnerNone {
		p.owner = owner
		p.tag = m.tag(tag)
	}
	m.gen++
	return nil
}

// AddMapcount changes the number of user page-table entries that map a
// frame (page_add_anon_rmap(), page_remove_rmap() and the like count
// _mapcount). A mapcount never goes negative; a frame that is free cannot
// be mapped.
func (m *Mem) AddMapcount(pfn PFN, delta int) error {
	if pfn >= m.maxPFN {
		return fmt.Errorf("pfn %#x is not valid", uint64(pfn))
	}
	p := m.page(pfn)
	// The first frame of an allocated block is the common case (a user
	// page); anything else asks where its block is.
	if p.flags&pgAllocHead == 0 {
		if b, ok := m.BlockOf(pfn); !ok || b.Free {
			return bug.Errorf("BUG: Bad page map: pfn %#x is not allocated", uint64(pfn))
		}
	}
	if int(p.mapcount)+delta < 0 {
		return bug.Errorf("BUG: Bad page map: pfn %#x mapcount %d would go below 0", uint64(pfn), p.mapcount)
	}
	p.mapcount += int32(delta)
	m.mapped += int64(delta)
	m.gen++
	return nil
}

// MapcountTotal is the sum of every frame's mapcount: the number of user
// page-table entries that map a frame.
func (m *Mem) MapcountTotal() int64 { return m.mapped }

// Gen counts the changes to physical memory's state: a subsystem whose
// invariants depend on it re-checks when it moved.
func (m *Mem) Gen() uint64 { return m.gen }

// GetPage takes a reference on an allocated frame (get_page()); FreePages
// drops one (put_page()), freeing the frame with the last.
func (m *Mem) GetPage(pfn PFN) error {
	if pfn >= m.maxPFN {
		return fmt.Errorf("pfn %#x is not valid", uint64(pfn))
	}
	p := m.page(pfn)
	if p.refcount <= 0 {
		return bug.Errorf("BUG: get_page() of pfn %#x with refcount %d", uint64(pfn), p.refcount)
	}
	p.refcount++
	m.gen++
	return nil
}

// Refcount is a frame's page_ref_count(); Mapcount its page_mapcount().
// Both are cheap, for the fault path.
func (m *Mem) Refcount(pfn PFN) int { return int(m.peek(pfn).refcount) }

// Mapcount is the number of user page-table entries mapping a frame.
func (m *Mem) Mapcount(pfn PFN) int { return int(m.peek(pfn).mapcount) }
