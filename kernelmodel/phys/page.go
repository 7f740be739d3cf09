package phys

import (
	"strings"
)

// PFN is a page frame number: a physical address shifted right by
// PAGE_SHIFT.
type PFN uint64

// PhysAddr is a physical address.
type PhysAddr uint64

// Addr is the physical address of the frame's first byte.
func (p PFN) Addr() PhysAddr { return PhysAddr(p) << pageShift }

const pageShift = 12

// PageFlags are the bits of struct page's flags, with the page types
// (buddy, table) that recent kernels keep in a separate field folded in.
type PageFlags uint32

// Page flags (include/linux/page-flags.h), in the kernel's order.
const (
	PGLocked PageFlags = 1 << iota
	PGReferenced
	PGUptodate
	PGDirty
	PGLRU
	PGActive
	PGSlab
	PGReserved
	PGPrivate
	PGWriteback
	PGHead
	PGSwapBacked
	PGUnevictable
	PGMlocked
	PGBuddy // page type: the first page of a free block
	PGTable // page type: a page-table page

	// Bits of the model, never shown.
	pgAllocHead // the first page of an allocated block
	pgOnBack    // on the part of a free list behind the lazy run
)

var flagNames = []struct {
	f    PageFlags
	name string
}{
	{PGLocked, "locked"}, {PGReferenced, "referenced"}, {PGUptodate, "uptodate"},
	{PGDirty, "dirty"}, {PGLRU, "lru"}, {PGActive, "active"}, {PGSlab, "slab"},
	{PGReserved, "reserved"}, {PGPrivate, "private"}, {PGWriteback, "writeback"},
	{PGHead, "head"}, {PGSwapBacked, "swapbacked"}, {PGUnevictable, "unevictable"},
	{PGMlocked, "mlocked"}, {PGBuddy, "buddy"}, {PGTable, "table"},
}

const visibleFlags = pgAllocHead - 1

// Names lists the flags that are set, in the kernel's order.
func (f PageFlags) Names() []string {
	var out []string
	for _, n := range flagNames {
		if f&n.f != 0 {
			out = append(out, n.name)
		}
	}
	return out
}

func (f PageFlags) String() string { return strings.Join(f.Names(), "|") }

// FlagByName returns the flag a name stands for ("slab", "dirty").
func FlagByName(name string) (PageFlags, bool) {
	for _, n := range flagNames {
		if n.name == name {
			return n.f, true
		}
	}
	return 0, false
}

// Owner says what a frame is used for, for views and leak reports. The
// kernel has no such field; page_owner and crash's kmem -p come closest.
type Owner uint8

const (
	OwnerNone      Owner = iota // free
	OwnerFirmware               // reserved by the firmware memory map
	OwnerKernel                 // the kernel image
	OwnerPages                  // alloc_pages and friends
	OwnerSlab                   // slab caches
	OwnerPageTable              // page tables
	OwnerUser                   // user memory (anonymous or page cache)
	OwnerVmalloc                // vmalloc areas
	OwnerStack                  // kernel stacks
	nOwners
)

var ownerNames = [nOwners]string{"free", "firmware", "kernel", "pages", "slab", "pagetable", "user", "vmalloc", "stack"}

func (o Owner) String() string {
	if o < nOwners {
		return ownerNames[o]
	}
	return "unknown"
}

// page is struct page: 32 bytes per frame in the model.
type page struct {
	flags    PageFlags
	refcount int32
	mapcount int32
	next     uint32 // free-list links, as pfns; noLink for none
	prev     uint32
	tag      int32 // index into Mem.tags; 0 for none
	order    uint8 // order of the block this page heads
	zone     uint8
	owner    Owner
}

const noLink = ^uint32(0)

// Frames are kept in sections of 4096 struct pages, created the first time
// one of their frames is looked at: memory that was never touched costs
// one nil pointer per 16 MiB.
const (
	sectionShift = 12
	sectionPages = 1 << sectionShift
	sectionMask  = sectionPages - 1
)

type section [sectionPages]page

// page returns the struct page of a frame, creating its section if needed.
// The pfn must be below MaxPFN.
func (m *Mem) page(pfn PFN) *page {
	s := m.sections[pfn>>sectionShift]
	if s == nil {
		s = m.materialize(pfn >> sectionShift)
	}
	return &s[pfn&sectionMask]
}

// peek returns a copy of a frame's struct page without creating its
// section: for a frame of a section never touched, the state boot left.
func (m *Mem) peek(pfn PFN) page {
	if s := m.sections[pfn>>sectionShift]; s != nil {
		return s[pfn&sectionMask]
	}
	return m.bootState(pfn)
}

// materialize creates a section: every frame gets the state boot gave it.
func (m *Mem) materialize(idx PFN) *section {
	s := new(section)
	base := idx << sectionShift
	for i := range s {
		pfn := base + PFN(i)
		if pfn >= m.maxPFN {
			s[i] = page{next: noLink, prev: noLink, flags: PGReserved, refcount: 1}
			continue
		}
		s[i] = m.bootState(pfn)
	}
	m.sections[idx] = s
	m.nsections++
	return s
}

// bootState is the state of a frame nothing has touched since boot:
// reserved by the firmware map or the kernel image, the head of a block
// still in a zone's untouched run, or a free frame inside a free block.
func (m *Mem) bootState(pfn PFN) page {
	p := page{next: noLink, prev: noLink, zone: uint8(m.zoneIndexOf(pfn))}
	for _, r := range m.reserved {
		if pfn >= r.Start && pfn < r.End {
			p.flags, p.refcount, p.owner = PGReserved, 1, r.Owner
			return p
		}
	}
	z := m.Zones[p.zone]
	run := &z.area[MaxOrder].run
	if pfn >= run.start && pfn < run.end && pfn&(maxBlock-1) == 0 {
		p.flags, p.order = PGBuddy, MaxOrder
	}
	return p
}

// zoneIndexOf returns the index of the zone a frame belongs to; frames
// below the first zone (the firmware-reserved first megabyte) count as the
// first zone's, as the kernel's memmap_init does for holes.
func (m *Mem) zoneIndexOf(pfn PFN) int {
	for i, z := range m.Zones {
		if z.Spanned() > 0 && pfn < z.EndPFN {
			return i
		}
	}
	return len(m.Zones) - 1
}
