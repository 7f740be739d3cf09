// Package phys models physical memory as Linux manages it: struct page
// per frame, zones, the buddy allocator with its free lists, GFP flags,
// watermarks and lowmem_reserve (mm/page_alloc.c, mm/mm_init.c,
// mm/memblock.c).
//
// One node (pglist_data) holds the zones. Frames are described lazily:
// a frame's struct page exists only once something touched it, so that a
// machine with a terabyte of RAM boots in milliseconds.
package phys

import (
	"fmt"
	"strings"

	"mmsim/kernelmodel/arch"
)

// Mem is the node's physical memory: pglist_data with its zones and
// mem_map.
type Mem struct {
	Layout *arch.Layout
	// Zones are all the zones the kernel is built with, in index order,
	// populated or not.
	Zones []*Zone
	// MinFreeKbytes is vm.min_free_kbytes.
	MinFreeKbytes uint64
	// Hooks connect the allocator to the rest of the machine.
	Hooks Hooks
	// Stats are event counters (/proc/vmstat).
	Stats Stats

	maxPFN    PFN
	sections  []*section
	nsections int
	reserved  []Reserved
	tags      []string
	tagIndex  map[string]int32
	contents  map[PFN]*frameBytes
	// gen counts changes; checked is the gen Check last passed at.
	gen, checked uint64
	// dirty lists the frames whose block state changed since the last
	// check (capped: past the cap the next check is a full one);
	// sinceFull counts changes since the last full check, and fullCost is
	// the number of spans the last full check went through.
	dirty               []PFN
	dirtyOverflow       bool
	sinceFull, fullCost uint64
	// mapped is the sum of the frames' mapcounts.
	mapped int64
}

// Reserved is a range of frames boot kept from the buddy allocator.
type Reserved struct {
	Start, End PFN
	Owner      Owner
	Name       string
}

// Hooks are the machine's answers to questions the allocator asks, and
// the reclaim machinery it calls. Any of them may be nil.
type Hooks struct {
	// Atomic names the atomic context the current code runs in ("irq",
	// "atomic"), or is "" when it may sleep.
	Atomic func() string
	// Comm is the name of the current task, for reports.
	Comm func() string
	// Warn prints a kernel warning.
	Warn func(msg string)
	// WakeKswapd wakes the node's kswapd for an allocation of this order
	// whose highest usable zone is highest (mm/vmscan.c:wakeup_kswapd()).
	WakeKswapd func(order int, highest *Zone)
	// DirectReclaim reclaims in the allocating context and returns the
	// number of pages freed (mm/vmscan.c:try_to_free_pages()).
	DirectReclaim func(gfp GFP, order int) uint64
	// OOM runs the OOM killer and reports whether it freed memory by
	// killing a task (mm/oom_kill.c:out_of_memory()); an error (an
	// *bug.OOM) ends the allocation: the allocating task itself was
	// chosen.
	OOM func(gfp GFP, order int) (bool, error)
}

// Stats are the allocator's event counters.
type Stats struct {
	PgFree        uint64 // pages freed
	AllocStall    uint64 // direct reclaim entered
	KswapdWakeups uint64 // kswapd woken by allocations
	AllocFail     uint64 // allocations that returned NULL
	OOMCalls      uint64 // out_of_memory() calls
}

// Boot builds the node from a layout, as start_kernel() does through
// zone_sizes_init(), free_area_init(), memblock_free_all() and
// init_per_zone_wmark_min(): zones from the architecture's limits, the
// firmware map's reserved ranges and the kernel image kept back, every
// other frame given to the buddy allocator, then the watermarks and
// lowmem_reserve computed.
func Boot(l *arch.Layout) (*Mem, error) {
	m := &Mem{Layout: l, maxPFN: PFN(l.MaxPFN), tagIndex: map[string]int32{}, checked: ^uint64(0)}
	m.tags = []string{""}
	m.sections = make([]*section, (l.MaxPFN+sectionPages-1)>>sectionShift)

	// The node spans from its first usable frame to the end of RAM.
	var nodeStart PFN = m.maxPFN
	for _, e := range l.E820 {
		if e.Type == arch.E820Usable && PFN(e.Start>>pageShift) < nodeStart {
			nodeStart = PFN(e.Start >> pageShift)
		}
		if e.Type == arch.E820Reserved {
			m.reserved = append(m.reserved, Reserved{PFN(e.Start >> pageShift), min(PFN(e.End>>pageShift), m.maxPFN), OwnerFirmware, "e820 reserved"})
		}
	}
	m.reserved = append(m.reserved, Reserved{PFN(l.KernelStart >> pageShift), PFN(l.KernelEnd >> pageShift), OwnerKernel, "kernel image"})

	lo := PFN(0)
	for i, t := range l.Zones {
		z := &Zone{Type: t, Index: i, Name: t.String()}
		hi := PFN(l.ZoneLimit(t))
		if t == arch.ZoneMovable || t == arch.ZoneDevice {
			hi = lo // no movablecore=, no device memory: empty
		}
		z.StartPFN, z.EndPFN = max(lo, nodeStart), max(hi, nodeStart)
		if z.EndPFN < z.StartPFN {
			z.EndPFN = z.StartPFN
		}
		if z.Spanned() == 0 {
			z.StartPFN, z.EndPFN = 0, 0
		}
		z.Present = m.usableIn(z.StartPFN, z.EndPFN)
		z.Managed = z.Present - m.reservedIn(z.StartPFN, z.EndPFN)
		for o := range z.area {
			z.area[o].front, z.area[o].back = emptyList(), emptyList()
		}
		m.Zones = append(m.Zones, z)
		lo = max(lo, hi)
	}

	// memblock_free_all(): every free range, lowest first, in the largest
	// aligned blocks (__free_pages_memory), each put at the tail of its
	// list (__free_pages_core uses FPI_TO_TAIL). A block never crosses
	// the end of its zone, should a zone end off a 4 MiB boundary.
	for _, r := range m.freeRanges() {
		for start := r.Start; start < r.End; {
			z := m.Zones[m.zoneIndexOf(start)]
			end := min(r.End, z.EndPFN)
			order := MaxOrder
			for order > 0 && (start&(1<<order-1) != 0 || start+1<<order > end) {
				order--
			}
			fl := &z.area[order]
			if order == MaxOrder && fl.nr == fl.run.blocks(order) && (fl.run.start == fl.run.end || fl.run.end == start) {
				if fl.run.start == fl.run.end {
					fl.run.start = start
				}
				fl.run.end = start + maxBlock
				fl.nr++
			} else {
				p := m.page(start)
				p.flags, p.order, p.refcount = PGBuddy, uint8(order), 0
				m.push(fl, start, true)
			}
			z.free += 1 << order
			start += 1 << order
		}
	}
	// Sections created while boot was freeing (for the heads of smaller
	// blocks) did not know the runs yet: mark the run heads they hold.
	for _, z := range m.Zones {
		r := z.area[MaxOrder].run
		for pfn := r.start; pfn < r.end; pfn = (pfn>>sectionShift + 1) << sectionShift {
			s := m.sections[pfn>>sectionShift]
			if s == nil {
				continue
			}
			for q := pfn; q < r.end && q>>sectionShift == pfn>>sectionShift; q += maxBlock {
				s[q&sectionMask].flags, s[q&sectionMask].order = PGBuddy, MaxOrder
			}
		}
	}
	m.setupWatermarks()
	return m, nil
}

// freeRanges are the usable ranges minus the reserved ones, lowest first
// (memblock's for_each_free_mem_range).
func (m *Mem) freeRanges() []Reserved {
	var out []Reserved
	for _, e := range m.Layout.E820 {
		if e.Type != arch.E820Usable {
			continue
		}
		start, end := PFN(e.Start>>pageShift), min(PFN(e.End>>pageShift), m.maxPFN)
		for start < end {
			next := end
			cut := false
			for _, r := range m.reserved {
				if r.Start <= start && start < r.End {
					start, cut = r.End, true
					break
				}
				if r.Start > start && r.Start < next {
					next = r.Start
				}
			}
			if cut {
				continue
			}
			out = append(out, Reserved{Start: start, End: next})
			start = next
		}
	}
	return out
}

func (m *Mem) usableIn(lo, hi PFN) uint64 {
	var n uint64
	for _, e := range m.Layout.E820 {
		if e.Type == arch.E820Usable {
			n += overlap(lo, hi, PFN(e.Start>>pageShift), min(PFN(e.End>>pageShift), m.maxPFN))
		}
	}
	return n
}

func (m *Mem) reservedIn(lo, hi PFN) uint64 {
	var n uint64
	for _, r := range m.reserved {
		if r.Owner != OwnerFirmware {
			n += overlap(lo, hi, r.Start, r.End)
		}
	}
	return n
}

func overlap(a, b, c, d PFN) uint64 {
	lo, hi := max(a, c), min(b, d)
	if hi <= lo {
		return 0
	}
	return uint64(hi - lo)
}

// Reserved returns the ranges boot kept from the buddy allocator.
func (m *Mem) Reserved() []Reserved { return append([]Reserved(nil), m.reserved...) }

// MaxPFN is the end of RAM: every frame below it has a struct page.
func (m *Mem) MaxPFN() PFN { return m.maxPFN }

// Sections is the number of struct-page sections created so far: a
// measure of the host memory the model uses for frames.
func (m *Mem) Sections() int { return m.nsections }

// Zone returns the zone of a given type, or nil if the kernel has none.
func (m *Mem) Zone(t arch.ZoneType) *Zone {
	for _, z := range m.Zones {
		if z.Type == t {
			return z
		}
	}
	return nil
}

// ZoneByName finds a zone by its name (DMA, DMA32, Normal, HighMem,
// Movable, Device), ignoring case.
func (m *Mem) ZoneByName(name string) (*Zone, error) {
	for _, z := range m.Zones {
		if strings.EqualFold(z.Name, name) {
			return z, nil
		}
	}
	var names []string
	for _, z := range m.Zones {
		names = append(names, z.Name)
	}
	return nil, fmt.Errorf("no zone %q on this machine (zones: %s)", name, strings.Join(names, ", "))
}

// PageZone returns the zone a frame belongs to (page_zone()).
func (m *Mem) PageZone(pfn PFN) *Zone { return m.Zones[m.zoneIndexOf(pfn)] }

// TotalRAM is totalram_pages(): the pages the buddy allocator manages.
func (m *Mem) TotalRAM() uint64 { return m.sum(false, func(z *Zone) uint64 { return z.Managed }) }

// TotalHigh is totalhigh_pages(): managed pages in highmem zones.
func (m *Mem) TotalHigh() uint64 { return m.sum(true, func(z *Zone) uint64 { return z.Managed }) }

// NrFreePages is the number of free pages in all zones
// (global NR_FREE_PAGES).
func (m *Mem) NrFreePages() uint64 { return m.sum(false, (*Zone).Free) }

// FreeHigh is the number of free pages in highmem zones.
func (m *Mem) FreeHigh() uint64 { return m.sum(true, (*Zone).Free) }

// sum adds up a number over the zones, or over the highmem zones only.
func (m *Mem) sum(highOnly bool, f func(*Zone) uint64) uint64 {
	var n uint64
	for _, z := range m.Zones {
		if !highOnly || z.IsHighMem() {
			n += f(z)
		}
	}
	return n
}

// touch records a frame whose block state changed, for the next check.
func (m *Mem) touch(pfn PFN) {
	m.sinceFull++
	if len(m.dirty) < maxDirty {
		m.dirty = append(m.dirty, pfn)
	} else {
		m.dirtyOverflow = true
	}
}

const maxDirty = 1 << 14

func (m *Mem) tag(s string) int32 {
	if s == "" {
		return 0
	}
	if i, ok := m.tagIndex[s]; ok {
		return i
	}
	m.tags = append(m.tags, s)
	i := int32(len(m.tags) - 1)
	m.tagIndex[s] = i
	return i
}
