package phys

import (
	"fmt"
)

// PageInfo is what a script can see of a struct page.
type PageInfo struct {
	PFN      PFN
	Zone     *Zone
	Flags    PageFlags // visible flags; PGBuddy on the first frame of a free block
	Refcount int
	Mapcount int
	// Block is the free or allocated block the frame belongs to; Order
	// is -1 for a reserved frame.
	Block Block
	Free  bool
	Owner Owner
	Tag   string
}

// HighMem reports whether the frame is outside the direct map
// (PageHighMem()).
func (p PageInfo) HighMem() bool { return p.Zone.IsHighMem() }

// Head reports whether the frame is the first of its block.
func (p PageInfo) Head() bool { return p.Block.Order >= 0 && p.Block.PFN == p.PFN }

// Page returns a frame's struct page (pfn_to_page()). It fails for a pfn
// beyond the end of memory (!pfn_valid()).
func (m *Mem) Page(pfn PFN) (PageInfo, error) {
	if pfn >= m.maxPFN {
		return PageInfo{}, fmt.Errorf("pfn %#x is not valid: memory ends at pfn %#x", uint64(pfn), uint64(m.maxPFN))
	}
	p := m.peek(pfn)
	info := PageInfo{PFN: pfn, Zone: m.Zones[p.zone], Flags: p.flags & visibleFlags, Refcount: int(p.refcount), Mapcount: int(p.mapcount), Owner: p.owner, Block: Block{pfn, -1}}
	if b, ok := m.BlockOf(pfn); ok {
		info.Block, info.Free = b.Block, b.Free
		if !b.Free {
			head := m.peek(b.PFN)
			info.Owner, info.Tag = head.owner, m.tags[head.tag]
		}
	}
	return info, nil
}

// FreeBlocks calls f for each free block of a zone's order, in list order
// (head first); an untouched run of blocks comes as one call with its
// number of blocks n.
func (m *Mem) FreeBlocks(z *Zone, order int, f func(pfn PFN, n uint64)) {
	m.each(&z.area[order], order, f)
}

// Use is one stretch of frames with a single use, for the physical
// memory map.
type Use struct {
	Start, End PFN
	Owner      Owner // OwnerNone for free frames
}

// Uses lists the frames below MaxPFN by use, lowest first: reserved
// ranges, allocated blocks and free blocks. Its cost follows the number
// of blocks, not the size of memory.
func (m *Mem) Uses() []Use {
	var out []Use
	for _, s := range m.spans() {
		if n := len(out); n > 0 && out[n-1].Owner == s.owner && out[n-1].End == s.start {
			out[n-1].End = s.end
			continue
		}
		out = append(out, Use{s.start, s.end, s.owner})
	}
	return out
}

// Leaks lists the allocated blocks with their owners and tags, lowest
// first: what a leak report names.
func (m *Mem) Leaks(owner Owner) []PageInfo {
	var out []PageInfo
	for _, s := range m.spans() {
		if s.free || s.order < 0 || (owner != OwnerNone && s.owner != owner) {
			continue
		}
		if info, err := m.Page(s.start); err == nil {
			out = append(out, info)
		}
	}
	return out
}
