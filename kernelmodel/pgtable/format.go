// Package pgtable models x86 page tables as the MMU reads them: tables
// that live in page frames of the machine, in the architecture's format
// (2-level, PAE, 4-level, 5-level), with the kernel's entry bits, walked
// level by level.
//
// The kernel's own tables (init_mm, swapper_pg_dir) map the direct map at
// boot; every PGD made later copies the kernel half from them
// (arch/x86/mm/pgtable.c:pgd_ctor()).
package pgtable

import (
	"fmt"
	"strings"

	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/phys"
)

// Entry is a page-table entry at any level, in the arch's format: the
// frame's physical address in bits 12 and up, flags in the low bits and,
// with PAE and on x86_64, NX in bit 63. 2-level entries use the low 32
// bits only.
type Entry uint64

// Entry bits (arch/x86/include/asm/pgtable_types.h _PAGE_BIT_*).
const (
	Present  Entry = 1 << 0
	RW       Entry = 1 << 1
	User     Entry = 1 << 2
	PWT      Entry = 1 << 3
	PCD      Entry = 1 << 4
	Accessed Entry = 1 << 5
	Dirty    Entry = 1 << 6
	PSE      Entry = 1 << 7 // a large page, in an entry above the PTE level
	Global   Entry = 1 << 8
	Special  Entry = 1 << 9 // software: no struct page to count (the zero page)
	NX       Entry = 1 << 63
)

// TableFlags are the flags of an entry pointing to a table: _PAGE_TABLE
// (0x67), for kernel tables too — x86's pmd_populate_kernel(),
// pud_populate(), p4d_populate() and one_page_table_init() all use it, and
// the leaf's own bits decide what a kernel page allows.
const (
	TableFlags = Present | RW | User | Accessed | Dirty
	// PAE's top level holds PDPTEs, which have no RW, US, A or D bits.
	paeTop = Present
)

var bitNames = []struct {
	bit  Entry
	name string
}{
	{Present, "PRESENT"}, {RW, "RW"}, {User, "USER"}, {PWT, "PWT"}, {PCD, "PCD"},
	{Accessed, "ACCESSED"}, {Dirty, "DIRTY"}, {PSE, "PSE"}, {Global, "GLOBAL"},
	{Special, "SPECIAL"}, {NX, "NX"},
}

// FlagString names an entry's flags as crash's vtop does:
// "PRESENT|RW|ACCESSED|DIRTY".
func (e Entry) FlagString() string {
	var parts []string
	for _, b := range bitNames {
		if e&b.bit != 0 {
			parts = append(parts, b.name)
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "|")
}

// Format is a page-table format: the levels from the top (PGD) down to
// the PTE, how many address bits each resolves, and the entry size.
type Format struct {
	Name string // "2level", "pae", "4level", "5level"
	// Shifts is each level's shift, top first: the bytes one entry
	// covers are 1 << Shifts[level]. The last level is the PTE (12).
	Shifts []uint
	// Entries is each level's number of entries.
	Entries []int
	// Names are the kernel's names of the levels: PGD, P4D, PUD, PMD, PTE.
	Names []string
	// Large tells which levels may map a large page (PSE).
	Large     []bool
	EntrySize int
	HasNX     bool
	// addrMask selects the frame address of an entry.
	addrMask Entry
	// VABits is the width of a virtual address; on x86_64 the bits above
	// it must copy its top bit (canonical addresses).
	VABits uint
}

// Formats, from arch/x86/include/asm/pgtable-2level_types.h,
// pgtable-3level_types.h and pgtable_64_types.h.
var (
	TwoLevel = &Format{Name: "2level", Shifts: []uint{22, 12}, Entries: []int{1024, 1024},
		Names: []string{"PGD", "PTE"}, Large: []bool{true, false}, EntrySize: 4,
		addrMask: 0xfffff000, VABits: 32}
	PAE = &Format{Name: "pae", Shifts: []uint{30, 21, 12}, Entries: []int{4, 512, 512},
		Names: []string{"PGD", "PMD", "PTE"}, Large: []bool{false, true, false}, EntrySize: 8, HasNX: true,
		addrMask: 0x000ffffffffff000, VABits: 32}
	FourLevel = &Format{Name: "4level", Shifts: []uint{39, 30, 21, 12}, Entries: []int{512, 512, 512, 512},
		Names: []string{"PGD", "PUD", "PMD", "PTE"}, Large: []bool{false, true, true, false}, EntrySize: 8, HasNX: true,
		addrMask: 0x000ffffffffff000, VABits: 48}
	FiveLevel = &Format{Name: "5level", Shifts: []uint{48, 39, 30, 21, 12}, Entries: []int{512, 512, 512, 512, 512},
		Names: []string{"PGD", "P4D", "PUD", "PMD", "PTE"}, Large: []bool{false, false, true, true, false}, EntrySize: 8, HasNX: true,
		addrMask: 0x000ffffffffff000, VABits: 57}
)

// FormatByName returns the format of a paging mode.
func FormatByName(name string) (*Format, error) {
	for _, f := range []*Format{TwoLevel, PAE, FourLevel, FiveLevel} {
		if f.Name == name {
			return f, nil
		}
	}
	return nil, fmt.Errorf("unknown paging mode %q (want 2level, pae, 4level or 5level)", name)
}

// Levels is the number of levels.
func (f *Format) Levels() int { return len(f.Shifts) }

// PTELevel is the index of the last level.
func (f *Format) PTELevel() int { return len(f.Shifts) - 1 }

// Index is the entry a virtual address selects at a level (pgd_index(),
// pmd_index(), pte_index()).
func (f *Format) Index(level int, va arch.VirtAddr) int {
	return int(uint64(va)>>f.Shifts[level]) & (f.Entries[level] - 1)
}

// Span is the bytes one entry of a level covers.
func (f *Format) Span(level int) uint64 { return 1 << f.Shifts[level] }

// Addr is the physical address an entry points to.
func (f *Format) Addr(e Entry) phys.PhysAddr { return phys.PhysAddr(e & f.addrMask) }

// Canonical reports whether a virtual address can be translated at all:
// below 4 GiB on x86, sign-extended from bit VABits-1 on x86_64.
func (f *Format) Canonical(va arch.VirtAddr) bool {
	if f.VABits == 32 {
		return uint64(va) <= 0xffffffff
	}
	top := int64(va) >> (f.VABits - 1)
	return top == 0 || top == -1
}

// NonCanonical says why an address cannot be translated at all.
func (f *Format) NonCanonical(va arch.VirtAddr) string {
	if f.VABits == 32 {
		return fmt.Sprintf("%#x is above 4 GiB: not a 32-bit address", uint64(va))
	}
	return fmt.Sprintf("%#x is not a canonical address (bits %d and up must all equal bit %d)", uint64(va), f.VABits, f.VABits-1)
}

// Swap entries are non-present entries holding a swap type and offset.
// 2-level: type in bits 1-5, offset from bit 9; PAE and x86_64: type in
// bits 59-63 and the offset inverted in bits 9-58, so that a stale
// entry never points at real memory (pgtable-2level.h, pgtable-invert.h).
const maxSwapTypeBits = 5

// SwapEntry encodes a swap entry for this format.
func (f *Format) SwapEntry(typ int, offset uint64) (Entry, error) {
	if typ < 0 || typ >= 1<<maxSwapTypeBits {
		return 0, fmt.Errorf("swap type %d is outside 0..%d", typ, 1<<maxSwapTypeBits-1)
	}
	if f.EntrySize == 4 {
		if offset >= 1<<23 {
			return 0, fmt.Errorf("swap offset %#x does not fit a 2-level swap entry", offset)
		}
		return noneSwap(Entry(typ)<<1|Entry(offset)<<9, typ, offset)
	}
	if offset >= 1<<50 {
		return 0, fmt.Errorf("swap offset %#x does not fit a swap entry", offset)
	}
	return noneSwap(Entry(typ)<<59|(Entry(^offset)<<9)&(1<<59-1<<9), typ, offset)
}

// noneSwap refuses the one pair whose encoding is the empty entry
// (pte_none), which no walk could tell from an unmapped page.
func noneSwap(e Entry, typ int, offset uint64) (Entry, error) {
	if e == 0 {
		return 0, fmt.Errorf("swap type %d offset %#x encodes as the empty entry", typ, offset)
	}
	return e, nil
}

// DecodeSwap returns the swap type and offset of a non-present, non-zero
// entry; ok is false for a present or empty entry.
func (f *Format) DecodeSwap(e Entry) (typ int, offset uint64, ok bool) {
	if e == 0 || e&Present != 0 {
		return 0, 0, false
	}
	if f.EntrySize == 4 {
		return int(e>>1) & 31, uint64(e>>9) & (1<<23 - 1), true
	}
	return int(e >> 59), uint64(^e>>9) & (1<<50 - 1), true
}
