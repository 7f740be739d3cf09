package phys

import (
	"fmt"

	"mmsim/kernelmodel/bug"
)

// Block is a block of frames: the first frame and the order.
type Block struct {
	PFN   PFN
	Order int
}

// Pages is the number of frames in the block.
func (b Block) Pages() uint64 { return 1 << b.Order }

// FreePages models mm/page_alloc.c:__free_pages(): the block's reference
// is dropped, and when it was the last one the block goes back to the
// buddy allocator, merging with its buddy while the buddy is free with the
// same order in the same zone. What the kernel reports as "Bad page
// state" or a VM_BUG_ON — a frame that is free already, reserved, in the
// middle of a block, or freed with another order than it was allocated
// with — is a *bug.Error here, and nothing changes.
func (m *Mem) FreePages(pfn PFN, order int) error {
	if err := m.checkFree(pfn, order); err != nil {
		return err
	}
	m.gen++
	p := m.page(pfn)
	if p.refcount > 1 {
		p.refcount--
		return nil
	}
	z := m.Zones[p.zone]
	n := uint64(1) << order
	z.allocated -= n
	p.flags &^= pgAllocHead | PGHead
	p.refcount, p.mapcount, p.owner, p.tag = 0, 0, OwnerNone, 0
	m.freeOne(z, pfn, order, false)
	m.Stats.PgFree += n
	return nil
}

// checkFree is free_pages_prepare()'s checks, made before anything
// changes.
func (m *Mem) checkFree(pfn PFN, order int) error {
	if order < 0 || order > MaxOrder {
		return bug.Errorf("__free_pages: order %d is outside 0..%d", order, MaxOrder)
	}
	if pfn >= m.maxPFN {
		return bug.Errorf("__free_pages: pfn %#x is beyond the end of memory (max_pfn %#x)", uint64(pfn), uint64(m.maxPFN))
	}
	bad := func(why string) error {
		return bug.Errorf("Bad page state in process %s  pfn:%05x\npage dumped because: %s", m.comm(), uint64(pfn), why)
	}
	p := m.peek(pfn)
	switch {
	case p.flags&PGReserved != 0:
		return bad(fmt.Sprintf("PAGE_FLAGS_CHECK_AT_FREE flag(s) set (reserved: %s frame)", p.owner))
	case p.flags&PGSlab != 0:
		// The slab layer clears PG_slab before it gives a slab's pages back.
		return bad(fmt.Sprintf("PAGE_FLAGS_CHECK_AT_FREE flag(s) set (slab: the pages of a %s slab; free its objects with kfree or kmem_cache_free)", m.tags[p.tag]))
	case p.flags&PGBuddy != 0:
		return bug.Errorf("VM_BUG_ON_PAGE(page_ref_count(page) == 0): pfn %#x is already free (a double free, or a frame never allocated)", uint64(pfn))
	case p.flags&pgAllocHead == 0:
		if head, ok := m.BlockOf(pfn); ok && head.allocated {
			return bug.Errorf("VM_BUG_ON_PAGE(page_ref_count(page) == 0): pfn %#x is not the first frame of a block: it is frame %d of the order-%d block at pfn %#x", uint64(pfn), uint64(pfn-head.PFN), head.Order, uint64(head.PFN))
		}
		return bug.Errorf("VM_BUG_ON_PAGE(page_ref_count(page) == 0): pfn %#x is already free (a double free, or a frame never allocated)", uint64(pfn))
	case int(p.order) != order:
		return bad(fmt.Sprintf("freed with order %d, but the block at pfn %#x was allocated with order %d", order, uint64(pfn), p.order))
	}
	return nil
}

// freeOne models mm/page_alloc.c:__free_one_page(): merge upward while the
// buddy (pfn ^ 1<<order) is a free block of the same order in the same
// zone, then put the block at the head of its list, or at the tail when
// toTail is set or the next-larger buddy is free too (buddy_merge_likely).
func (m *Mem) freeOne(z *Zone, pfn PFN, order int, toTail bool) {
	z.free += 1 << order
	var buddy PFN
	for order < MaxOrder {
		buddy = pfn ^ 1<<order
		if !m.isBuddy(z, buddy, order) {
			break
		}
		m.remove(&z.area[order], buddy, order)
		bp := m.page(buddy)
		bp.flags &^= PGBuddy
		bp.order = 0
		pfn &= buddy
		order++
	}
	p := m.page(pfn)
	p.flags |= PGBuddy
	p.order = uint8(order)
	if !toTail && order < MaxOrder-1 {
		higher := buddy & pfn
		toTail = m.isBuddy(z, higher^1<<(order+1), order+1)
	}
	m.push(&z.area[order], pfn, toTail)
}

// isBuddy models page_is_buddy(): the frame heads a free block of this
// order in this zone.
func (m *Mem) isBuddy(z *Zone, pfn PFN, order int) bool {
	if pfn < z.StartPFN || pfn >= z.EndPFN || pfn >= m.maxPFN {
		return false
	}
	p := m.peek(pfn)
	return p.flags&PGBuddy != 0 && int(p.order) == order && int(p.zone) == z.Index
}

// BlockInfo is the block a frame belongs to.
type BlockInfo struct {
	Block
	allocated bool
	Free      bool
}

// BlockOf finds the free or allocated block that holds a frame: the first
// frame at or below it, aligned to some order, that heads a block of at
// least that order. ok is false for reserved frames.
func (m *Mem) BlockOf(pfn PFN) (BlockInfo, bool) {
	if pfn >= m.maxPFN {
		return BlockInfo{}, false
	}
	for o := 0; o <= MaxOrder; o++ {
		head := pfn &^ (1<<o - 1)
		p := m.peek(head)
		if p.flags&PGReserved != 0 && o == 0 {
			return BlockInfo{}, false
		}
		if p.flags&(PGBuddy|pgAllocHead) != 0 && int(p.order) >= o && head+1<<p.order > pfn {
			return BlockInfo{Block: Block{head, int(p.order)}, allocated: p.flags&pgAllocHead != 0, Free: p.flags&PGBuddy != 0}, true
		}
	}
	return BlockInfo{}, false
}
