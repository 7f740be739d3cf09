package phys

import "fmt"

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
