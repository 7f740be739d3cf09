package pgtable_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"mmsim/kernelmodel"
	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/bug"
	"mmsim/kernelmodel/pgtable"
	"mmsim/kernelmodel/phys"
)

// The four machines of the tests, one per paging format (facts §8, "Page-table
// formats"). x86 defaults to the 3G/1G split (PAGE_OFFSET 0xC0000000) with
// highmem; every machine has the default 2 MiB kernel image at 1 MiB.
const (
	m2Level = "x86 mem=1G"
	mPAE    = "x86 paging=pae mem=8G"
	m4Level = "x86_64 mem=4G"
	m5Level = "x86_64 paging=5level mem=4G"
)

// Boot tables are taken from the end of the kernel image counting down
// (boot.go: bootTable). The image is [1 MiB, 3 MiB) = pfns [0x100, 0x300),
// so swapper_pg_dir is pfn 0x2ff and the next boot tables are 0x2fe, 0x2fd...
const (
	bootPGD    = phys.PFN(0x2ff)
	imageStart = phys.PFN(arch.KernelStart >> arch.PageShift)
	imageEnd   = phys.PFN((arch.KernelStart + arch.DefaultKernelSize) >> arch.PageShift)
)

// Entry values built from the bits of facts §8 "PTE bits": the kernel's
// boot leaves are PRESENT|RW|ACCESSED|DIRTY|GLOBAL (0x163), with PSE (0x80)
// above the PTE level, and NX (bit 63) where the format has it and the page
// is not kernel text. Tables are pointed to with _PAGE_TABLE
// (PRESENT|RW|USER|ACCESSED|DIRTY = 0x67), kernel tables too: x86's
// pmd_populate_kernel(), pud_populate(), p4d_populate() and
// one_page_table_init() use it (arch/x86/include/asm/pgalloc.h,
// arch/x86/mm/init_32.c), and the leaf's own bits decide what the page
// allows. PAE's PDPTEs hold PRESENT only.
const (
	kLeaf  = pgtable.Entry(0x163)
	kLarge = pgtable.Entry(0x1e3)
	table  = pgtable.Entry(0x67) // _PAGE_TABLE: _KERNPG_TABLE (0x63) | USER
	nx     = pgtable.NX
)

func boot(t testing.TB, line string) *kernelmodel.Machine {
	t.Helper()
	m, err := kernelmodel.BootLine(line)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// frame allocates a block of 2^order frames for a mapping to point to.
func frame(t testing.TB, m *kernelmodel.Machine, order int, owner phys.Owner) phys.PFN {
	t.Helper()
	pfn, ok, err := m.Phys.AllocPages(phys.Request{GFP: phys.GFPHighUser, Order: order, Owner: owner, Tag: "test"})
	if err != nil || !ok {
		t.Fatalf("alloc_pages order %d: ok=%v err=%v", order, ok, err)
	}
	return pfn
}

func newPGD(t testing.TB, m *kernelmodel.Machine, name string) *pgtable.PGD {
	t.Helper()
	g, ok, err := m.PT.NewPGD(name)
	if err != nil || !ok {
		t.Fatalf("NewPGD: ok=%v err=%v", ok, err)
	}
	return g
}

func mustCheck(t testing.TB, m *kernelmodel.Machine) {
	t.Helper()
	if err := m.Check(); err != nil {
		t.Fatalf("Check: %v", err)
	}
}

func mapcount(t testing.TB, m *kernelmodel.Machine, pfn phys.PFN) int {
	t.Helper()
	info, err := m.Phys.Page(pfn)
	if err != nil {
		t.Fatal(err)
	}
	return info.Mapcount
}

// byIdentity compares PGDs as pointers: the same address space, not
// equal contents.
var byIdentity = cmp.Comparer(func(a, b *pgtable.PGD) bool { return a == b })

// reachable lists a table and every table below it.
func reachable(t *pgtable.Table) []*pgtable.Table {
	out := []*pgtable.Table{t}
	for i := range t.E {
		if s := t.Sub(i); s != nil {
			out = append(out, reachable(s)...)
		}
	}
	return out
}

// userTables lists the tables under a PGD's user half (entries below
// KERNEL_PGD_BOUNDARY).
func userTables(pt *pgtable.Tables, g *pgtable.PGD) []*pgtable.Table {
	var out []*pgtable.Table
	for i := 0; i < pt.Boundary(); i++ {
		if s := g.Top.Sub(i); s != nil {
			out = append(out, reachable(s)...)
		}
	}
	return out
}

// TestFormats checks the shape of each format against facts §8: the
// split of the address (10/10/12, 2/9/9/12, 9/9/9/9/12, 9/9/9/9/9/12),
// the level names, the entry size, and that the bits the levels resolve
// plus the 12-bit page offset add up to the virtual address width.
func TestFormats(t *testing.T) {
	tests := []struct {
		name      string
		shifts    []uint
		entries   []int
		names     []string
		entrySize int
		nx        bool
		vaBits    uint
	}{
		{"2level", []uint{22, 12}, []int{1024, 1024}, []string{"PGD", "PTE"}, 4, false, 32},
		{"pae", []uint{30, 21, 12}, []int{4, 512, 512}, []string{"PGD", "PMD", "PTE"}, 8, true, 32},
		{"4level", []uint{39, 30, 21, 12}, []int{512, 512, 512, 512}, []string{"PGD", "PUD", "PMD", "PTE"}, 8, true, 48},
		{"5level", []uint{48, 39, 30, 21, 12}, []int{512, 512, 512, 512, 512}, []string{"PGD", "P4D", "PUD", "PMD", "PTE"}, 8, true, 57},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := pgtable.FormatByName(tc.name)
			if err != nil {
				t.Fatal(err)
			}
			got := []any{f.Shifts, f.Entries, f.Names, f.EntrySize, f.HasNX, f.VABits, f.Levels(), f.PTELevel()}
			want := []any{tc.shifts, tc.entries, tc.names, tc.entrySize, tc.nx, tc.vaBits, len(tc.shifts), len(tc.shifts) - 1}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("format (-want +got):\n%s", d)
			}
			bits := uint(12)
			for l, n := range f.Entries {
				for n > 1 {
					bits, n = bits+1, n>>1
				}
				// Each level's shift is the bits resolved below it.
				if l > 0 && f.Shifts[l-1] != f.Shifts[l]+uint(len64(f.Entries[l])) {
					t.Errorf("level %d: shift %d, but the level below resolves %d bits from %d", l-1, f.Shifts[l-1], len64(f.Entries[l]), f.Shifts[l])
				}
			}
			if bits != tc.vaBits {
				t.Errorf("levels resolve %d bits, want %d", bits, tc.vaBits)
			}
		})
	}
	if _, err := pgtable.FormatByName("3level"); err == nil {
		t.Error("FormatByName(3level) succeeded")
	}
}

func len64(n int) int {
	b := 0
	for n > 1 {
		b, n = b+1, n>>1
	}
	return b
}

// TestIndex checks pgd_index()...pte_index() on hand-computed addresses:
// index = (va >> shift) & (entries-1), top level first.
func TestIndex(t *testing.T) {
	tests := []struct {
		f    *pgtable.Format
		va   arch.VirtAddr
		want []int
	}{
		// 0xC0123456 >> 22 = 0x300 = 768; (>> 12) & 0x3ff = 0x123 = 291.
		{pgtable.TwoLevel, 0xC0123456, []int{768, 291}},
		// 0x08048000 >> 22 = 0x20 = 32; 0x08048 & 0x3ff = 0x48 = 72.
		{pgtable.TwoLevel, 0x08048000, []int{32, 72}},
		// FIXADDR_TOP - 4K: 0xFFFFE000 >> 22 = 1023, 0xFFFFE & 0x3ff = 1022.
		{pgtable.TwoLevel, 0xFFFFE000, []int{1023, 1022}},
		// 0xC0123456 >> 30 = 3; >> 21 = 0x600, & 0x1ff = 0; 0xC0123 & 0x1ff = 0x123.
		{pgtable.PAE, 0xC0123456, []int{3, 0, 291}},
		// 0xC1023456 >> 21 = 0x608, & 0x1ff = 8; 0xC1023 & 0x1ff = 0x23 = 35.
		{pgtable.PAE, 0xC1023456, []int{3, 8, 35}},
		// 0x08048000 >> 21 = 0x40 = 64; 0x08048 & 0x1ff = 0x48 = 72.
		{pgtable.PAE, 0x08048000, []int{0, 64, 72}},
		// Direct map: 0xffff888000000000 >> 39 & 0x1ff = 0x111 = 273; +0x1234567:
		// PUD 0, PMD 0x1234567 >> 21 = 9, PTE 0x1234 & 0x1ff = 0x34 = 52.
		{pgtable.FourLevel, 0xffff888000000000 + 0x1234567, []int{273, 0, 9, 52}},
		// 0x7f1234567000: >>39 = 0xfe = 254; >>30 = 0x1fc48, &0x1ff = 0x48 = 72;
		// >>21 = 0x3f891a2, &0x1ff = 0x1a2 = 418; >>12 = 0x7f1234567, &0x1ff = 0x167 = 359.
		{pgtable.FourLevel, 0x00007f1234567000, []int{254, 72, 418, 359}},
		// vmalloc start: 0xc9 << 40 >> 39 = 0x192 = 402.
		{pgtable.FourLevel, 0xffffc90000000000, []int{402, 0, 0, 0}},
		// __START_KERNEL_map: PGD 511, PUD (0xffffffff80000000 >> 30) & 0x1ff = 510.
		{pgtable.FourLevel, 0xffffffff80000000, []int{511, 510, 0, 0}},
		// 5-level direct map 0xff11000000000000: >>48 & 0x1ff = 0x111 = 273.
		{pgtable.FiveLevel, 0xff11000000000000 + 0x1234567, []int{273, 0, 0, 9, 52}},
		// 5-level vmalloc start 0xffa0000000000000: 0xffa0 & 0x1ff = 0x1a0 = 416.
		{pgtable.FiveLevel, 0xffa0000000000000, []int{416, 0, 0, 0, 0}},
		// The 4-level user address under 5 levels: one more level on top.
		{pgtable.FiveLevel, 0x00007f1234567000, []int{0, 254, 72, 418, 359}},
		// The 4-level direct map base is canonical under 5 levels, in PGD
		// 511 (0xffff & 0x1ff) and P4D 273.
		{pgtable.FiveLevel, 0xffff888000000000, []int{511, 273, 0, 0, 0}},
	}
	for _, tc := range tests {
		var got []int
		for l := range tc.f.Levels() {
			got = append(got, tc.f.Index(l, tc.va))
		}
		if d := cmp.Diff(tc.want, got); d != "" {
			t.Errorf("%s %#x indices (-want +got):\n%s", tc.f.Name, uint64(tc.va), d)
		}
	}
}

// TestCanonical: on x86 an address is at most 32 bits; on x86_64 bits
// VABits and up must copy bit VABits-1 (47 with 4 levels, 56 with 5).
func TestCanonical(t *testing.T) {
	tests := []struct {
		f    *pgtable.Format
		va   arch.VirtAddr
		want bool
	}{
		{pgtable.TwoLevel, 0xFFFFFFFF, true},
		{pgtable.TwoLevel, 0x100000000, false},
		{pgtable.PAE, 0x100000000, false},
		{pgtable.FourLevel, 0x00007fffffffffff, true},
		{pgtable.FourLevel, 0x0000800000000000, false},
		{pgtable.FourLevel, 0xffff7fffffffffff, false},
		{pgtable.FourLevel, 0xffff800000000000, true},
		{pgtable.FourLevel, 0xff11000000000000, false}, // 5-level's direct map
		{pgtable.FiveLevel, 0xff11000000000000, true},
		{pgtable.FiveLevel, 0x00ffffffffffffff, true},
		{pgtable.FiveLevel, 0x0100000000000000, false},
		{pgtable.FiveLevel, 0xfeffffffffffffff, false},
	}
	for _, tc := range tests {
		if got := tc.f.Canonical(tc.va); got != tc.want {
			t.Errorf("%s Canonical(%#x) = %v, want %v", tc.f.Name, uint64(tc.va), got, tc.want)
		}
	}
}

func TestFlagString(t *testing.T) {
	tests := []struct {
		e    pgtable.Entry
		want string
	}{
		{0, "none"},
		{kLarge, "PRESENT|RW|ACCESSED|DIRTY|PSE|GLOBAL"},
		{table | nx, "PRESENT|RW|USER|ACCESSED|DIRTY|NX"},
		{pgtable.Special | pgtable.PWT | pgtable.PCD, "PWT|PCD|SPECIAL"},
	}
	for _, tc := range tests {
		if got := tc.e.FlagString(); got != tc.want {
			t.Errorf("%#x.FlagString() = %q, want %q", uint64(tc.e), got, tc.want)
		}
	}
}

// TestTableFlags: an entry pointing to a table is the table's address
// with _PAGE_TABLE = 0x67, at every level but PAE's top, whose PDPTEs
// have no RW, USER, ACCESSED or DIRTY bits and hold PRESENT (0x1) only.
// Kernel and user tables get the same flags (pgalloc.h's
// pmd_populate_kernel() uses _PAGE_TABLE as pmd_populate() does).
func TestTableFlags(t *testing.T) {
	if pgtable.TableFlags != table {
		t.Fatalf("TableFlags = %#x, want _PAGE_TABLE %#x", uint64(pgtable.TableFlags), uint64(table))
	}
	if got := pgtable.TableFlags.FlagString(); got != "PRESENT|RW|USER|ACCESSED|DIRTY" {
		t.Errorf("TableFlags = %s", got)
	}
	for _, line := range []string{m2Level, mPAE, m4Level, m5Level} {
		m := boot(t, line)
		pt := m.PT
		for level := 0; level < pt.F.Levels()-1; level++ {
			tab := pt.Init.Top // any table: only its pfn goes in the entry
			want := pgtable.Entry(tab.PFN.Addr()) | table
			if pt.F == pgtable.PAE && level == 0 {
				want = pgtable.Entry(tab.PFN.Addr()) | pgtable.Present
			}
			if got := pt.TableEntry(level, tab); got != want {
				t.Errorf("%s: level %d table entry %#x, want %#x", line, level, uint64(got), uint64(want))
			}
		}
	}
}

// TestBootWalk walks init_mm's boot tables on each format and compares
// every step with hand-computed values. EntryAddr is the table's pfn *
// 4096 + index * entry size. Boot tables come from the end of the kernel
// image downward (0x2ff, 0x2fe, ...) in the order New creates them:
// swapper_pg_dir, (PAE) the kernel PMD, the direct map's tables, (x86_64)
// the kernel text's, the fixmap's, (x86) the pkmap's.
func TestBootWalk(t *testing.T) {
	type step = pgtable.Step
	tests := []struct {
		line    string
		va      arch.VirtAddr
		steps   []step
		mapped  bool
		pa      phys.PhysAddr
		size    uint64
		missing string
	}{
		// 2-level: lowmem is mapped with 4 MiB PSE entries in the PGD
		// itself. 768*4 = 0xc00; pa 0 < 3 MiB is kernel image, and 2-level
		// has no NX anyway.
		{m2Level, 0xC0123456, []step{{0, "PGD", 768, bootPGD, 0x2ffc00, kLarge}}, true, 0x123456, 4 << 20, ""},
		// PGD 770 maps pa 8 MiB: 0x800000 | 0x1e3; 770*4 = 0xc08.
		{m2Level, 0xC0823456, []step{{0, "PGD", 770, bootPGD, 0x2ffc08, 0x800000 | kLarge}}, true, 0x823456, 4 << 20, ""},
		// The last lowmem byte (high_memory 0xF8000000 - 1): PGD 991 = 0x3df,
		// 991*4 = 0xf7c, its 4 MiB page starts at pa 892 MiB = 0x37c00000.
		{m2Level, 0xF7FFFFFF, []step{{0, "PGD", 991, bootPGD, 0x2fff7c, 0x37c00000 | kLarge}}, true, 0x37FFFFFF, 4 << 20, ""},
		// VMALLOC_START = high_memory + 8 MiB = 0xF8800000: PGD 994 is empty.
		{m2Level, 0xF8800000, []step{{0, "PGD", 994, bootPGD, 0x2fff88, 0}}, false, 0, 0, "PGD"},
		// The fixmap's PTE table (PGD 1023) is the first boot table after
		// the PGD: pfn 0x2fe. Fixmap slot 1 (0xFFFFE000) is PTE 1022, empty.
		{m2Level, 0xFFFFE000, []step{
			{0, "PGD", 1023, bootPGD, 0x2ffffc, 0x2fe000 | table},
			{1, "PTE", 1022, 0x2fe, 0x2feff8, 0},
		}, false, 0, 0, "PTE"},
		// The pkmap table: PKMAP_BASE = (0xFFF4B000 - 1025*4K) & ~(4M-1) =
		// 0xFF800000, PGD 1022, boot table 0x2fd.
		{m2Level, 0xFF800000, []step{
			{0, "PGD", 1022, bootPGD, 0x2ffff8, 0x2fd000 | table},
			{1, "PTE", 0, 0x2fd, 0x2fd000, 0},
		}, false, 0, 0, "PTE"},
		// A user address: nothing in init_mm.
		{m2Level, 0x08048000, []step{{0, "PGD", 32, bootPGD, 0x2ff080, 0}}, false, 0, 0, "PGD"},
		// mem=100M+12K: 25 4 MiB pages, then a PTE table (boot pfn 0x2fe)
		// for the 3-page tail at PGD 0x300+25 = 793; its PTE 1 maps pa
		// 0x6401000 with 4K kernel bits.
		{"x86 mem=102412K", 0xC6401234, []step{
			{0, "PGD", 793, bootPGD, 0x2ffc64, 0x2fe000 | table},
			{1, "PTE", 1, 0x2fe, 0x2fe004, 0x6401000 | kLeaf},
		}, true, 0x6401234, 4096, ""},
		// ... and high_memory (0xC6403000) is PTE 3, not present.
		{"x86 mem=102412K", 0xC6403000, []step{
			{0, "PGD", 793, bootPGD, 0x2ffc64, 0x2fe000 | table},
			{1, "PTE", 3, 0x2fe, 0x2fe00c, 0},
		}, false, 0, 0, "PTE"},

		// PAE: the kernel PMD for PGD 3 is boot table 0x2fe, and the PDPTE
		// holds PRESENT only. 3*8 = 0x18. 2 MiB pages: PMD 0 maps pa 0.
		{mPAE, 0xC0123456, []step{
			{0, "PGD", 3, bootPGD, 0x2ff018, 0x2fe000 | pgtable.Present},
			{1, "PMD", 0, 0x2fe, 0x2fe000, kLarge},
		}, true, 0x123456, 2 << 20, ""},
		// PMD 1 maps pa 2 MiB, still below the image end (3 MiB): no NX.
		{mPAE, 0xC0200005, []step{
			{0, "PGD", 3, bootPGD, 0x2ff018, 0x2fe000 | pgtable.Present},
			{1, "PMD", 1, 0x2fe, 0x2fe008, 0x200000 | kLarge},
		}, true, 0x200005, 2 << 20, ""},
		// PMD 8 maps pa 16 MiB, data: NX. 8*8 = 0x40.
		{mPAE, 0xC1023456, []step{
			{0, "PGD", 3, bootPGD, 0x2ff018, 0x2fe000 | pgtable.Present},
			{1, "PMD", 8, 0x2fe, 0x2fe040, 0x1000000 | kLarge | nx},
		}, true, 0x1023456, 2 << 20, ""},
		{mPAE, 0x08048000, []step{{0, "PGD", 0, bootPGD, 0x2ff000, 0}}, false, 0, 0, "PGD"},

		// 4-level: PGD 273 (273*8 = 0x888) points to the direct map's PUD
		// table, boot pfn 0x2fe; 1 GiB pages, all NX on x86_64.
		{m4Level, 0xffff888000000000 + 0x1234567, []step{
			{0, "PGD", 273, bootPGD, 0x2ff888, 0x2fe000 | table},
			{1, "PUD", 0, 0x2fe, 0x2fe000, kLarge | nx},
		}, true, 0x1234567, 1 << 30, ""},
		{m4Level, 0xffff888000000000 + 0xC0000005, []step{
			{0, "PGD", 273, bootPGD, 0x2ff888, 0x2fe000 | table},
			{1, "PUD", 3, 0x2fe, 0x2fe018, 0xC0000000 | kLarge | nx},
		}, true, 0xC0000005, 1 << 30, ""},
		// high_memory: PUD 4 is past the 4 GiB of RAM.
		{m4Level, 0xffff888100000000, []step{
			{0, "PGD", 273, bootPGD, 0x2ff888, 0x2fe000 | table},
			{1, "PUD", 4, 0x2fe, 0x2fe020, 0},
		}, false, 0, 0, "PUD"},
		// Kernel text: PGD 511 -> PUD table 0x2fd -> PUD 510 -> PMD table
		// 0x2fc, 2 MiB executable pages (text is mapped up to the image end
		// rounded to 2 MiB). 511*8 = 0xff8, 510*8 = 0xff0.
		{m4Level, 0xffffffff80000123, []step{
			{0, "PGD", 511, bootPGD, 0x2ffff8, 0x2fd000 | table},
			{1, "PUD", 510, 0x2fd, 0x2fdff0, 0x2fc000 | table},
			{2, "PMD", 0, 0x2fc, 0x2fc000, kLarge},
		}, true, 0x123, 2 << 20, ""},

		// 5-level: PGD 273 -> P4D table 0x2fe -> P4D 0 -> PUD table 0x2fd.
		{m5Level, 0xff11000000000000 + 0x1234567, []step{
			{0, "PGD", 273, bootPGD, 0x2ff888, 0x2fe000 | table},
			{1, "P4D", 0, 0x2fe, 0x2fe000, 0x2fd000 | table},
			{2, "PUD", 0, 0x2fd, 0x2fd000, kLarge | nx},
		}, true, 0x1234567, 1 << 30, ""},
		// The 4-level direct map address: PGD 511 holds the text's P4D
		// table (0x2fc: after the direct map's P4D and PUD tables), whose
		// entry 273 is empty.
		{m5Level, 0xffff888000000000, []step{
			{0, "PGD", 511, bootPGD, 0x2ffff8, 0x2fc000 | table},
			{1, "P4D", 273, 0x2fc, 0x2fc888, 0},
		}, false, 0, 0, "P4D"},
	}
	for _, tc := range tests {
		m := boot(t, tc.line)
		w := m.PT.Walk(m.PT.Init, tc.va)
		if d := cmp.Diff(tc.steps, w.Steps); d != "" {
			t.Errorf("%s: walk %#x steps (-want +got):\n%s", tc.line, uint64(tc.va), d)
		}
		got := []any{w.Mapped, w.PA, w.Size, w.Missing}
		want := []any{tc.mapped, tc.pa, tc.size, tc.missing}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%s: walk %#x mapped/pa/size/missing (-want +got):\n%s", tc.line, uint64(tc.va), d)
		}
		// Translate must agree with the walk.
		pa, leaf, size, ok := m.PT.Translate(m.PT.Init, tc.va)
		if ok != tc.mapped || pa != tc.pa || size != tc.size || (ok && leaf != w.Leaf) {
			t.Errorf("%s: Translate(%#x) = %#x, %#x, %d, %v; walk says %#x, %#x, %d, %v", tc.line, uint64(tc.va),
				uint64(pa), uint64(leaf), size, ok, uint64(w.PA), uint64(w.Leaf), w.Size, w.Mapped)
		}
	}
}

// TestWalkNonCanonical: a non-canonical address has no walk at all.
func TestWalkNonCanonical(t *testing.T) {
	for _, tc := range []struct {
		line string
		va   arch.VirtAddr
	}{{m2Level, 0x100000000}, {m4Level, 0x0000800000000000}, {m5Level, 0x0100000000000000}} {
		m := boot(t, tc.line)
		w := m.PT.Walk(m.PT.Init, tc.va)
		want := "not a canonical address"
		if tc.line == m2Level {
			want = "above 4 GiB: not a 32-bit address"
		}
		if len(w.Steps) != 0 || w.Mapped || !strings.Contains(w.Reason, want) {
			t.Errorf("%s: walk %#x = %+v, want no steps and a canonical-address reason", tc.line, uint64(tc.va), w)
		}
		if _, _, _, ok := m.PT.Translate(m.PT.Init, tc.va); ok {
			t.Errorf("%s: Translate(%#x) succeeded", tc.line, uint64(tc.va))
		}
	}
}

// TestKernelPGDBoundary: KERNEL_PGD_BOUNDARY = pgd_index(PAGE_OFFSET)
// (facts §8): 0xC0000000 >> 22 = 768 for 2-level 3G/1G, 0x80000000 >> 22
// = 512 and 0x40000000 >> 22 = 256 for the 2G and 1G splits; >> 30 = 3, 2
// and 1 under PAE; 273 for 0xffff888000000000 (4-level) and for
// 0xff11000000000000 (5-level). init_mm maps nothing below it.
func TestKernelPGDBoundary(t *testing.T) {
	tests := []struct {
		line string
		want int
	}{
		{m2Level, 768},
		{"x86 mem=1G split=2G", 512},
		{"x86 mem=1G split=1G", 256},
		{mPAE, 3},
		{"x86 paging=pae mem=1G split=2G", 2},
		{"x86 paging=pae mem=1G split=1G", 1},
		{m4Level, 273},
		{m5Level, 273},
	}
	for _, tc := range tests {
		m := boot(t, tc.line)
		if got := m.PT.Boundary(); got != tc.want {
			t.Errorf("%s: KERNEL_PGD_BOUNDARY = %d, want %d", tc.line, got, tc.want)
		}
		for i := 0; i < m.PT.Boundary(); i++ {
			if e := m.PT.Init.Top.E[i]; e != 0 {
				t.Errorf("%s: init_mm's user PGD entry %d is %#x", tc.line, i, uint64(e))
			}
		}
		mustCheck(t, m)
	}
}

// TestBootTables counts the tables boot builds and checks that every one
// lies in the kernel image, is marked Boot, and that none came from the
// buddy allocator (Allocated 0). Counts, from the layouts of arch.New:
//   - 2-level 1G: PGD, fixmap PTE table (PGD 1023), pkmap PTE table (PGD
//     1022); lowmem is all 4 MiB pages: 3.
//   - 2-level 100M+12K: the same plus the tail's PTE table: 4.
//   - PAE 8G: PGD, the kernel PMD (PGD 3), fixmap PTE table (PMD 511),
//     pkmap PTE table (PKMAP_BASE 0xFFC00000, PMD 510): 4.
//   - 4-level 4G: PGD, direct map PUD table (four 1 GiB pages), text PUD
//     and PMD tables, fixmap PMD and PTE tables (PUD 511, PMD 507): 6.
//   - 4-level 1G+2M+8K: direct map 1 GiB + 2 MiB + two 4K pages needs a PMD
//     and a PTE table more: 8.
//   - 5-level 4G: one P4D table more for the direct map (PGD 273) and one
//     for the text and fixmap (PGD 511): 8.
func TestBootTables(t *testing.T) {
	tests := []struct {
		line string
		want int
	}{
		{m2Level, 3},
		{"x86 mem=102412K", 4},
		{mPAE, 4},
		{m4Level, 6},
		{"x86_64 mem=1050632K", 8},
		{m5Level, 8},
	}
	for _, tc := range tests {
		m := boot(t, tc.line)
		all := reachable(m.PT.Init.Top)
		if len(all) != tc.want || m.PT.BootTables() != tc.want {
			t.Errorf("%s: %d tables reachable, BootTables() = %d, want %d", tc.line, len(all), m.PT.BootTables(), tc.want)
		}
		if m.PT.Allocated != 0 {
			t.Errorf("%s: Allocated = %d after boot, want 0", tc.line, m.PT.Allocated)
		}
		for _, tab := range all {
			info, err := m.Phys.Page(tab.PFN)
			if !tab.Boot || tab.PFN < imageStart || tab.PFN >= imageEnd || err != nil || info.Owner != phys.OwnerKernel {
				t.Errorf("%s: %s table at pfn %#x: boot=%v, owner %v; want a boot table inside the kernel image [%#x, %#x)",
					tc.line, m.PT.F.Names[tab.Level], uint64(tab.PFN), tab.Boot, info.Owner, uint64(imageStart), uint64(imageEnd))
			}
		}
		mustCheck(t, m)
	}
}

// TestBootLargestPages: the direct map uses the largest page that fits at
// each offset. x86_64 mem=1G+2M+8K: PUD 0 maps 1 GiB, then PMD 1 of the
// PUD-1 table maps 2 MiB at pa 1G, then two 4K PTEs at pa 1G+2M.
func TestBootLargestPages(t *testing.T) {
	m := boot(t, "x86_64 mem=1050632K")
	po := m.Layout.PageOffset
	tests := []struct {
		off  uint64
		size uint64
	}{
		{0, 1 << 30},
		{1<<30 - 1, 1 << 30},
		{1 << 30, 2 << 20},
		{1<<30 + 2<<20, 4096},
		{1<<30 + 2<<20 + 4096, 4096},
	}
	for _, tc := range tests {
		w := m.PT.Walk(m.PT.Init, po+arch.VirtAddr(tc.off))
		if !w.Mapped || w.Size != tc.size || uint64(w.PA) != tc.off {
			t.Errorf("offset %#x: mapped=%v pa=%#x size=%#x, want pa %#x size %#x", tc.off, w.Mapped, uint64(w.PA), w.Size, tc.off, tc.size)
		}
	}
	if w := m.PT.Walk(m.PT.Init, po+1<<30+2<<20+8192); w.Mapped || w.Missing != "PTE" {
		t.Errorf("high_memory is mapped or not missing a PTE: %+v", w)
	}
}

// checkWalkLinks checks a walk's steps against each other: each step's
// table is the frame the step above points to, and EntryAddr = table pfn
// * 4096 + index * entry size.
func checkWalkLinks(t *testing.T, f *pgtable.Format, w pgtable.Walk) {
	t.Helper()
	for l, s := range w.Steps {
		if want := s.Table.Addr() + phys.PhysAddr(s.Index*f.EntrySize); s.EntryAddr != want {
			t.Errorf("%#x step %d: EntryAddr %#x, want %#x", uint64(w.VA), l, uint64(s.EntryAddr), uint64(want))
		}
		if l > 0 && f.Addr(w.Steps[l-1].Entry) != s.Table.Addr() {
			t.Errorf("%#x step %d: table %#x, but the %s entry points to %#x", uint64(w.VA), l, uint64(s.Table), w.Steps[l-1].Name, uint64(f.Addr(w.Steps[l-1].Entry)))
		}
	}
}

// TestMapKernelVmalloc maps a 4K page at VMALLOC_START, whose tables do
// not exist after boot, and checks the tables come from the buddy
// allocator with GFP_PGTABLE_KERNEL: PG_table, owner pagetable, tagged
// with their level, counted by Allocated. The tables needed:
//   - 2-level: PGD 994 is empty: one PTE table.
//   - PAE: PGD 3's PMD exists since boot; PMD 452 (0xF8800000 >> 21 &
//     0x1ff) is empty: one PTE table.
//   - 4-level: PGD 402 is empty: PUD, PMD and PTE tables.
//   - 5-level: PGD 416 is empty: P4D, PUD, PMD and PTE tables.
//
// A new top-level kernel entry is synced into every PGD made before
// (sync_global_pgds), and copied into those made after (pgd_ctor).
func TestMapKernelVmalloc(t *testing.T) {
	tests := []struct {
		line   string
		tables []string
	}{
		{m2Level, []string{"PTE"}},
		{mPAE, []string{"PTE"}},
		{m4Level, []string{"PUD", "PMD", "PTE"}},
		{m5Level, []string{"P4D", "PUD", "PMD", "PTE"}},
	}
	for _, tc := range tests {
		t.Run(tc.line, func(t *testing.T) {
			m := boot(t, tc.line)
			pt := m.PT
			before := newPGD(t, m, "before")
			base := pt.Allocated
			va := m.Layout.VmallocStart
			pfn := frame(t, m, 0, phys.OwnerVmalloc)
			flags := pgtable.Present | pgtable.RW | pgtable.Accessed | pgtable.Dirty | pgtable.Global | pgtable.NX
			if ok, err := pt.MapKernel(va, pfn.Addr(), pt.F.PTELevel(), flags, "vmap"); !ok || err != nil {
				t.Fatalf("MapKernel: ok=%v err=%v", ok, err)
			}
			if got := pt.Allocated - base; got != len(tc.tables) {
				t.Errorf("MapKernel allocated %d tables, want %d", got, len(tc.tables))
			}
			w := pt.Walk(pt.Init, va)
			if !w.Mapped || w.PA != pfn.Addr() || w.Size != 4096 || len(w.Steps) != pt.F.Levels() {
				t.Fatalf("walk after MapKernel: %+v", w)
			}
			checkWalkLinks(t, pt.F, w)
			wantLeaf := pgtable.Entry(pfn.Addr()) | flags
			if !pt.F.HasNX {
				wantLeaf &^= pgtable.NX // 2-level entries have no NX bit
			}
			if w.Leaf != wantLeaf {
				t.Errorf("leaf %#x, want %#x", uint64(w.Leaf), uint64(wantLeaf))
			}
			// Every entry on the way to the leaf points to its table with
			// _PAGE_TABLE, USER bit included, as for a user table: the
			// kernel leaf (no USER) is what keeps user mode out. PAE's
			// PDPTE is PRESENT only.
			for _, s := range w.Steps[:len(w.Steps)-1] {
				want := table
				if pt.F == pgtable.PAE && s.Level == 0 {
					want = pgtable.Present
				}
				if s.Entry&^pgtable.Entry(0x000ffffffffff000) != want {
					t.Errorf("%s entry %#x, want flags %#x", s.Name, uint64(s.Entry), uint64(want))
				}
			}
			// The new tables are the last len(tc.tables) levels of the walk.
			for i, name := range tc.tables {
				s := w.Steps[pt.F.Levels()-len(tc.tables)+i]
				info, err := m.Phys.Page(s.Table)
				if err != nil || info.Free || info.Flags&phys.PGTable == 0 || info.Owner != phys.OwnerPageTable || info.Tag != name || s.Name != name {
					t.Errorf("%s table at pfn %#x (step %s): %+v, want an allocated PG_table page owned by pagetable tagged %s", name, uint64(s.Table), s.Name, info, name)
				}
				if s.Table >= imageStart && s.Table < imageEnd {
					t.Errorf("%s table at pfn %#x is in the kernel image", name, uint64(s.Table))
				}
			}
			// Sync: the PGD made before, and one made after, see the page.
			after := newPGD(t, m, "after")
			i0 := w.Steps[0].Index
			for _, g := range []*pgtable.PGD{before, after} {
				if g.Top.E[i0] != pt.Init.Top.E[i0] || g.Top.Sub(i0) != pt.Init.Top.Sub(i0) {
					t.Errorf("%s: PGD entry %d is %#x, init_mm's %#x", g.Name, i0, uint64(g.Top.E[i0]), uint64(pt.Init.Top.E[i0]))
				}
				if pa, _, _, ok := pt.Translate(g, va+0x123); !ok || pa != pfn.Addr()+0x123 {
					t.Errorf("%s: Translate(%#x) = %#x, %v", g.Name, uint64(va+0x123), uint64(pa), ok)
				}
			}
			mustCheck(t, m)

			// The next page shares the PTE table: no new table.
			n := pt.Allocated
			pfn2 := frame(t, m, 0, phys.OwnerVmalloc)
			if ok, err := pt.MapKernel(va+arch.PageSize, pfn2.Addr(), pt.F.PTELevel(), flags, "vmap"); !ok || err != nil {
				t.Fatalf("MapKernel second page: ok=%v err=%v", ok, err)
			}
			if pt.Allocated != n {
				t.Errorf("second page allocated %d tables", pt.Allocated-n)
			}
			// Mapping a mapped address again is refused and changes nothing.
			gen := pt.Gen
			if ok, err := pt.MapKernel(va, pfn2.Addr(), pt.F.PTELevel(), flags, "vmap"); ok || err == nil || !strings.Contains(err.Error(), "mapped already") {
				t.Errorf("MapKernel over a mapping: ok=%v err=%v", ok, err)
			}
			if pt.Gen != gen || pt.Allocated != n {
				t.Errorf("refused MapKernel changed the tables")
			}
			mustCheck(t, m)
		})
	}
}

// TestKernelLargeLeafShared: a large kernel mapping made after processes
// exist must show in every PGD, as must its changes and its removal. On
// 2-level x86 a 4 MiB leaf is itself a PGD entry, so each PGD holds a copy
// that the kernel keeps in step (sync_global_pgds, and
// arch/x86/mm/pat/set_memory.c __set_pmd_pte walking pgd_list); under PAE
// and on x86_64 the 2 MiB leaf lives in a shared PMD table.
func TestKernelLargeLeafShared(t *testing.T) {
	tests := []struct {
		line  string
		level int
		order int // the frames backing the large page: 4 MiB = order 10, 2 MiB = 9
	}{
		{m2Level, 0, 10},
		{mPAE, 1, 9},
		{m4Level, 2, 9},
	}
	for _, tc := range tests {
		t.Run(tc.line, func(t *testing.T) {
			m := boot(t, tc.line)
			pt := m.PT
			p := newPGD(t, m, "p")
			va := m.Layout.VmallocStart // 0xF8800000 = 994 * 4 MiB; 0xffffc90000000000
			pfn := frame(t, m, tc.order, phys.OwnerVmalloc)
			size := pt.F.Span(tc.level)
			if ok, err := pt.MapKernel(va, pfn.Addr(), tc.level, pgtable.Present|pgtable.RW|pgtable.Global, "vmap_huge"); !ok || err != nil {
				t.Fatalf("MapKernel: ok=%v err=%v", ok, err)
			}
			for _, g := range []*pgtable.PGD{pt.Init, p} {
				if pa, _, sz, ok := pt.Translate(g, va+arch.VirtAddr(size-1)); !ok || sz != size || pa != pfn.Addr()+phys.PhysAddr(size-1) {
					t.Errorf("%s: Translate(last byte) = %#x, size %#x, %v", g.Name, uint64(pa), sz, ok)
				}
			}
			mustCheck(t, m)

			// The hardware sets the accessed and dirty bits in the copy it
			// walks; that is not a difference between kernel halves.
			pt.SetAccessed(p, va, true)
			mustCheck(t, m)

			if _, ok := pt.Update(pt.Init, va, 0, pgtable.RW); !ok {
				t.Fatal("Update failed")
			}
			if _, leaf, _, _ := pt.Translate(p, va); leaf&pgtable.RW != 0 {
				t.Errorf("%s still sees RW after init_mm's entry was write-protected: %#x", p.Name, uint64(leaf))
			}
			mustCheck(t, m)

			if _, ok := pt.Clear(pt.Init, va); !ok {
				t.Fatal("Clear failed")
			}
			if _, _, _, ok := pt.Translate(p, va); ok {
				t.Errorf("%s still maps %#x after init_mm's entry was cleared", p.Name, uint64(va))
			}
			mustCheck(t, m)
		})
	}
}

// TestNewPGD: pgd_alloc() takes a page-table page, copies the kernel half
// [KERNEL_PGD_BOUNDARY, PTRS_PER_PGD) from swapper_pg_dir and leaves the
// user half empty, except under PAE, where preallocate_pmds() gives each
// user PDPTE a PMD: 3 with the 3G split, 2 with 2G. Allocated counts the
// PGD and the PMDs.
func TestNewPGD(t *testing.T) {
	tests := []struct {
		line string
		pmds int
	}{
		{m2Level, 0},
		{mPAE, 3},
		{"x86 paging=pae mem=1G split=2G", 2},
		{m4Level, 0},
		{m5Level, 0},
	}
	for _, tc := range tests {
		t.Run(tc.line, func(t *testing.T) {
			m := boot(t, tc.line)
			pt := m.PT
			g := newPGD(t, m, "pid 1")
			if pt.Allocated != 1+tc.pmds {
				t.Errorf("Allocated = %d, want %d", pt.Allocated, 1+tc.pmds)
			}
			b := pt.Boundary()
			if d := cmp.Diff(pt.Init.Top.E[b:], g.Top.E[b:]); d != "" {
				t.Errorf("kernel half differs from init_mm (-init +new):\n%s", d)
			}
			for i := b; i < len(g.Top.E); i++ {
				if g.Top.Sub(i) != pt.Init.Top.Sub(i) {
					t.Errorf("kernel PGD entry %d points to another table than init_mm's", i)
				}
			}
			info, err := m.Phys.Page(g.Top.PFN)
			if err != nil || info.Free || info.Flags&phys.PGTable == 0 || info.Owner != phys.OwnerPageTable || info.Tag != "PGD" {
				t.Errorf("PGD page: %+v", info)
			}
			pmds := 0
			for i := 0; i < b; i++ {
				e, s := g.Top.E[i], g.Top.Sub(i)
				switch {
				case tc.pmds == 0 && e != 0:
					t.Errorf("user PGD entry %d is %#x, want empty", i, uint64(e))
				case tc.pmds > 0:
					if s == nil || e != pgtable.Entry(s.PFN.Addr())|pgtable.Present || s.Used() != 0 {
						t.Errorf("PAE user PDPTE %d is %#x, want PRESENT and an empty PMD", i, uint64(e))
						continue
					}
					pmds++
					if info, _ := m.Phys.Page(s.PFN); info.Free || info.Tag != "PMD" || info.Flags&phys.PGTable == 0 {
						t.Errorf("PMD %d page: %+v", i, info)
					}
				}
			}
			if pmds != tc.pmds {
				t.Errorf("%d preallocated PMDs, want %d", pmds, tc.pmds)
			}
			if d := cmp.Diff([]*pgtable.PGD{g}, pt.PGDs(), byIdentity); d != "" {
				t.Errorf("PGDs() (-want +got):\n%s", d)
			}
			mustCheck(t, m)
		})
	}
}

// TestMapUserMapcount: every user leaf mapping a frame adds one to its
// mapcount (page_add_*_rmap) and Clear takes it away; a Special entry
// (the zero page, vm_normal_page() == NULL) is not counted. The user
// leaf carries _PAGE_USER and hangs from _PAGE_TABLE entries (PAE's
// PDPTE: PRESENT only).
func TestMapUserMapcount(t *testing.T) {
	for _, line := range []string{m2Level, mPAE, m4Level, m5Level} {
		t.Run(line, func(t *testing.T) {
			m := boot(t, line)
			pt := m.PT
			p, q := newPGD(t, m, "p"), newPGD(t, m, "q")
			pfn := frame(t, m, 0, phys.OwnerUser)
			zero := frame(t, m, 0, phys.OwnerUser)
			const a, b = 0x08048000, 0x08049000
			rw := pgtable.Present | pgtable.RW
			steps := []struct {
				what string
				do   func() (bool, error)
				want int
			}{
				{"map in p", func() (bool, error) { return pt.MapUser(p, a, pfn.Addr(), rw, "fault") }, 1},
				{"map in q", func() (bool, error) { return pt.MapUser(q, a, pfn.Addr(), rw, "fault") }, 2},
				{"map again in p", func() (bool, error) { return pt.MapUser(p, b, pfn.Addr(), pgtable.Present, "fault") }, 3},
				{"special", func() (bool, error) {
					return pt.MapUser(p, b+0x1000, zero.Addr(), pgtable.Present|pgtable.Special, "fault")
				}, 3},
				{"clear p a", func() (bool, error) { _, ok := pt.Clear(p, a); return ok, nil }, 2},
				{"clear q a", func() (bool, error) { _, ok := pt.Clear(q, a); return ok, nil }, 1},
				{"clear p b", func() (bool, error) { _, ok := pt.Clear(p, b); return ok, nil }, 0},
			}
			for _, s := range steps {
				if ok, err := s.do(); !ok || err != nil {
					t.Fatalf("%s: ok=%v err=%v", s.what, ok, err)
				}
				if got := mapcount(t, m, pfn); got != s.want {
					t.Errorf("after %s: mapcount %d, want %d", s.what, got, s.want)
				}
				if got := mapcount(t, m, zero); got != 0 {
					t.Errorf("after %s: the special page's mapcount is %d", s.what, got)
				}
				mustCheck(t, m)
			}
			// The walk of the special page: a user leaf under user tables.
			w := pt.Walk(p, b+0x1000)
			if !w.Mapped || w.Leaf&(pgtable.User|pgtable.Special) != pgtable.User|pgtable.Special {
				t.Errorf("special leaf %#x", uint64(w.Leaf))
			}
			for _, s := range w.Steps[:len(w.Steps)-1] {
				want := table
				if pt.F == pgtable.PAE && s.Level == 0 {
					want = pgtable.Present
				}
				if s.Entry&^pgtable.Entry(0x000ffffffffff000) != want {
					t.Errorf("%s entry %#x, want flags %#x", s.Name, uint64(s.Entry), uint64(want))
				}
			}
			checkWalkLinks(t, pt.F, w)
			// Clearing an empty entry finds nothing.
			if _, ok := pt.Clear(p, a); ok {
				t.Errorf("Clear of a cleared entry succeeded")
			}
			// A refused mapping leaves the mapcount alone.
			if ok, err := pt.MapUser(p, b+0x1000, pfn.Addr(), rw, "fault"); ok || err == nil {
				t.Errorf("MapUser over a mapping: ok=%v err=%v", ok, err)
			}
			if got := mapcount(t, m, pfn); got != 0 {
				t.Errorf("refused MapUser left mapcount %d", got)
			}
			mustCheck(t, m)
		})
	}
}

// TestClearKernelThroughProcess: a kernel page cleared through a process's
// PGD (its kernel half is init_mm's) is not a user mapping: no mapcount
// changes, and the tables stay consistent.
func TestClearKernelThroughProcess(t *testing.T) {
	m := boot(t, m4Level)
	pt := m.PT
	p := newPGD(t, m, "p")
	va := m.Layout.VmallocStart
	pfn := frame(t, m, 0, phys.OwnerVmalloc)
	if ok, err := pt.MapKernel(va, pfn.Addr(), pt.F.PTELevel(), pgtable.Present|pgtable.RW, "vmap"); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if _, ok := pt.Clear(p, va); !ok {
		t.Fatal("Clear failed")
	}
	if got := mapcount(t, m, pfn); got != 0 {
		t.Errorf("mapcount %d after clearing a kernel page", got)
	}
	if _, _, _, ok := pt.Translate(pt.Init, va); ok {
		t.Errorf("init_mm still maps %#x", uint64(va))
	}
	mustCheck(t, m)
}

// TestFreeRange: free_pgd_range() frees a table only when the whole span
// it covers lies in [floor, ceiling) (the neighbouring VMAs' limits;
// ceiling 0 means the top of user space), it overlaps [start, end), and
// it is empty. On 4-level a PTE table spans 2 MiB, a PMD table 1 GiB, a
// PUD table 512 GiB. The page at 0x400000 uses PGD 0, PUD 0, PMD 2, so
// its PTE table spans [0x400000, 0x600000).
func TestFreeRange(t *testing.T) {
	const page = 0x400000
	tests := []struct {
		name                       string
		clear                      bool
		start, end, floor, ceiling arch.VirtAddr
		want                       int
		pgdEntryGone, pmdEntryGone bool
	}{
		{"no neighbours: PTE, PMD and PUD tables", true, page, page + 0x1000, 0, 0, 3, true, true},
		{"previous VMA ends in the same GiB: only the PTE table", true, page, page + 0x1000, 0x200000, 0, 1, false, true},
		{"floor and ceiling exactly the PTE table's span", true, page, page + 0x1000, 0x400000, 0x600000, 1, false, true},
		{"floor inside the PTE table's span", true, page, page + 0x1000, 0x401000, 0, 0, false, false},
		{"ceiling inside the PTE table's span", true, page, page + 0x1000, 0, 0x5ff000, 0, false, false},
		{"range beside the PTE table", true, 0x600000, 0x800000, 0, 0, 0, false, false},
		{"a page still mapped", false, page, page + 0x1000, 0, 0, 0, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := boot(t, m4Level)
			pt := m.PT
			g := newPGD(t, m, "p")
			pfn := frame(t, m, 0, phys.OwnerUser)
			if ok, err := pt.MapUser(g, page, pfn.Addr(), pgtable.Present|pgtable.RW, "fault"); !ok || err != nil {
				t.Fatal(ok, err)
			}
			tables := userTables(pt, g) // PUD, PMD, PTE
			if len(tables) != 3 || pt.Allocated != 4 {
				t.Fatalf("%d user tables, Allocated %d; want 3 and 4", len(tables), pt.Allocated)
			}
			if tc.clear {
				pt.Clear(g, page)
			}
			n, err := pt.FreeRange(g, tc.start, tc.end, tc.floor, tc.ceiling)
			if err != nil || n != tc.want {
				t.Fatalf("FreeRange = %d, %v; want %d", n, err, tc.want)
			}
			if pt.Allocated != 4-tc.want || len(userTables(pt, g)) != 3-tc.want {
				t.Errorf("Allocated %d, %d user tables; want %d and %d", pt.Allocated, len(userTables(pt, g)), 4-tc.want, 3-tc.want)
			}
			// The freed tables are the lowest ones; their frames are free.
			for i, tab := range tables {
				info, _ := m.Phys.Page(tab.PFN)
				if freed := i >= 3-tc.want; info.Free != freed {
					t.Errorf("%s table at pfn %#x: free=%v, want %v", pt.F.Names[tab.Level], uint64(tab.PFN), info.Free, freed)
				}
			}
			if gone := g.Top.E[0] == 0; gone != tc.pgdEntryGone {
				t.Errorf("PGD entry 0 = %#x, want cleared: %v", uint64(g.Top.E[0]), tc.pgdEntryGone)
			}
			if !tc.pgdEntryGone {
				pmd := tables[1]
				if gone := pmd.E[2] == 0; gone != tc.pmdEntryGone {
					t.Errorf("PMD entry 2 = %#x, want cleared: %v", uint64(pmd.E[2]), tc.pmdEntryGone)
				}
			}
			mustCheck(t, m)
		})
	}
}

// TestFreeRangeFormats: the same unmap on the 32-bit formats. 2-level: the
// page's PTE table hangs from the PGD and goes. PAE: the PTE table goes,
// but the PMDs stay with the PGD (they are loaded with CR3). init_mm's
// tables are never freed this way.
func TestFreeRangeFormats(t *testing.T) {
	for _, tc := range []struct {
		line   string
		remain int
	}{{m2Level, 0}, {mPAE, 3}} {
		m := boot(t, tc.line)
		pt := m.PT
		g := newPGD(t, m, "p")
		pfn := frame(t, m, 0, phys.OwnerUser)
		if ok, err := pt.MapUser(g, 0x08048000, pfn.Addr(), pgtable.Present, "fault"); !ok || err != nil {
			t.Fatal(ok, err)
		}
		pt.Clear(g, 0x08048000)
		if n, err := pt.FreeRange(g, 0x08048000, 0x08049000, 0, 0); n != 1 || err != nil {
			t.Errorf("%s: FreeRange = %d, %v; want 1", tc.line, n, err)
		}
		if got := len(userTables(pt, g)); got != tc.remain {
			t.Errorf("%s: %d user tables remain, want %d", tc.line, got, tc.remain)
		}
		if _, err := pt.FreeRange(pt.Init, 0, 0x1000, 0, 0); err == nil {
			t.Errorf("%s: FreeRange on init_mm succeeded", tc.line)
		}
		mustCheck(t, m)
	}
}

// TestFreePGD: pgd_free() refuses while user entries (present or swap)
// remain, then frees the PGD and every user table; Allocated returns to
// its value before NewPGD and the PGD leaves pgd_list.
func TestFreePGD(t *testing.T) {
	for _, line := range []string{m2Level, mPAE, m4Level, m5Level} {
		t.Run(line, func(t *testing.T) {
			m := boot(t, line)
			pt := m.PT
			keep := newPGD(t, m, "keep")
			withKeep := pt.Allocated
			g := newPGD(t, m, "p")
			pfn := frame(t, m, 0, phys.OwnerUser)
			if ok, err := pt.MapUser(g, 0x08048000, pfn.Addr(), pgtable.Present, "fault"); !ok || err != nil {
				t.Fatal(ok, err)
			}
			swp, err := pt.F.SwapEntry(1, 42)
			if err != nil {
				t.Fatal(err)
			}
			if err := pt.SetSwap(g, 0x10000000, swp); err != nil {
				t.Fatal(err)
			}
			frames := []phys.PFN{g.Top.PFN}
			for _, tab := range userTables(pt, g) {
				frames = append(frames, tab.PFN)
			}
			if err := pt.FreePGD(g); err == nil || !strings.Contains(err.Error(), "2 user entries") {
				t.Errorf("FreePGD with a page and a swap entry mapped: %v", err)
			}
			pt.Clear(g, 0x08048000)
			if err := pt.FreePGD(g); err == nil || !strings.Contains(err.Error(), "1 user entries") {
				t.Errorf("FreePGD with a swap entry left: %v", err)
			}
			pt.Clear(g, 0x10000000)
			if err := pt.FreePGD(g); err != nil {
				t.Fatalf("FreePGD: %v", err)
			}
			if pt.Allocated != withKeep {
				t.Errorf("Allocated = %d after FreePGD, want %d (the other PGD's tables)", pt.Allocated, withKeep)
			}
			for _, f := range frames {
				if info, _ := m.Phys.Page(f); !info.Free {
					t.Errorf("table frame %#x not freed: %+v", uint64(f), info)
				}
			}
			if d := cmp.Diff([]*pgtable.PGD{keep}, pt.PGDs(), byIdentity); d != "" {
				t.Errorf("PGDs() (-want +got):\n%s", d)
			}
			if err := pt.FreePGD(g); err == nil {
				t.Errorf("second FreePGD succeeded")
			}
			mustCheck(t, m)
		})
	}
}

// TestRejects: addresses the tables cannot take are refused without
// changing anything: non-canonical ones, ones not aligned to the page size
// of the level, physical addresses not aligned to it either, levels that
// cannot hold large pages, user addresses for the kernel and kernel ones
// for a process, and x86_64 kernel addresses below KERNEL_PGD_BOUNDARY
// (the guard hole and LDT remap, PGD 256-272: not part of the shared
// kernel half).
func TestRejects(t *testing.T) {
	rw := pgtable.Present | pgtable.RW
	type op func(m *kernelmodel.Machine, p *pgtable.PGD, pa phys.PhysAddr) (bool, error)
	kernel := func(va arch.VirtAddr, level int, paOff phys.PhysAddr) op {
		return func(m *kernelmodel.Machine, _ *pgtable.PGD, pa phys.PhysAddr) (bool, error) {
			return m.PT.MapKernel(va, pa+paOff, level, rw, "test")
		}
	}
	user := func(va arch.VirtAddr, init bool) op {
		return func(m *kernelmodel.Machine, p *pgtable.PGD, pa phys.PhysAddr) (bool, error) {
			if init {
				p = m.PT.Init
			}
			return m.PT.MapUser(p, va, pa, rw, "test")
		}
	}
	swap := func(va arch.VirtAddr, init bool) op {
		return func(m *kernelmodel.Machine, p *pgtable.PGD, _ phys.PhysAddr) (bool, error) {
			if init {
				p = m.PT.Init
			}
			e, _ := m.PT.F.SwapEntry(1, 1)
			return false, m.PT.SetSwap(p, va, e)
		}
	}
	tests := []struct {
		name, line string
		op         op
		want       string
	}{
		{"kernel non-canonical x86_64", m4Level, kernel(0x0000800000000000, 3, 0), "canonical"},
		{"kernel non-canonical 5-level", m5Level, kernel(0x0100000000000000, 4, 0), "canonical"},
		{"kernel above 4G on x86", m2Level, kernel(0x100000000, 1, 0), "canonical"},
		{"kernel misaligned 4K", m4Level, kernel(0xffffc90000000800, 3, 0), "aligned"},
		{"kernel 2M page at a 4K-aligned address", m4Level, kernel(0xffffc90000001000, 2, 0), "aligned"},
		{"kernel 4M page at a 2M-aligned address", m2Level, kernel(0xF8A00000, 0, 0), "aligned"},
		{"kernel 2M page of a misaligned frame", m4Level, kernel(0xffffc90000000000, 2, 0x1000), "aligned"},
		{"kernel 4M page of a misaligned frame", m2Level, kernel(0xF8800000, 0, 0x200000), "aligned"},
		{"kernel 4K page of a misaligned frame", m2Level, kernel(0xF8800000, 1, 0x10), "aligned"},
		{"no large PGD pages on 4-level", m4Level, kernel(0xffffc90000000000, 0, 0), "cannot map large pages"},
		{"no large P4D pages on 5-level", m5Level, kernel(0xffa0000000000000, 1, 0), "cannot map large pages"},
		{"no large PDPTE pages under PAE", mPAE, kernel(0xC0000000, 0, 0), "cannot map large pages"},
		{"kernel at a user address", m2Level, kernel(0x08048000, 1, 0), "user address"},
		{"kernel in the guard hole", m4Level, kernel(0xffff800000000000, 3, 0), "KERNEL_PGD_BOUNDARY"},
		{"kernel in the LDT remap", m4Level, kernel(0xffff880000000000, 3, 0), "KERNEL_PGD_BOUNDARY"},
		{"user at a kernel address", m2Level, user(0xF8800000, false), "not a user address"},
		{"user non-canonical", m4Level, user(0x0000800000000000, false), "not a user address"},
		{"user in init_mm", m4Level, user(0x400000, true), "not a user address"},
		{"user misaligned", m4Level, user(0x400800, false), "aligned"},
		{"swap at a kernel address", m2Level, swap(0xF8800000, false), "not a user address"},
		{"swap in init_mm", m4Level, swap(0x400000, true), "not a user address"},
		{"swap non-canonical", m4Level, swap(0x0000800000000000, false), "not a user address"},
		{"swap misaligned", m4Level, swap(0x400800, false), "aligned"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := boot(t, tc.line)
			p := newPGD(t, m, "p")
			pfn := frame(t, m, 10, phys.OwnerUser) // 4 MiB aligned: fits every page size but 1 GiB
			mustCheck(t, m)
			gen, alloc := m.PT.Gen, m.PT.Allocated
			ok, err := tc.op(m, p, pfn.Addr())
			if ok || err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ok=%v err=%v; want an error containing %q", ok, err, tc.want)
			}
			if m.PT.Gen != gen || m.PT.Allocated != alloc {
				t.Errorf("a refused operation changed the tables (gen %d->%d, allocated %d->%d)", gen, m.PT.Gen, alloc, m.PT.Allocated)
			}
			for i := pfn; i < pfn+1024; i++ {
				if mapcount(t, m, i) != 0 {
					t.Errorf("pfn %#x mapcount %d", uint64(i), mapcount(t, m, i))
				}
			}
			mustCheck(t, m)
		})
	}
}

// TestSwapEntry checks the encodings of facts §8 "PTE bits": 2-level puts
// the type in bits 1-5 and the offset from bit 9; PAE and x86_64 put the
// type in bits 59-63 and the offset, inverted, in bits 9-58. Bit 0
// (PRESENT) is always clear. The expected entries are worked out below.
func TestSwapEntry(t *testing.T) {
	tests := []struct {
		f      *pgtable.Format
		typ    int
		offset uint64
		want   pgtable.Entry
	}{
		// 3<<1 | 0x10<<9 = 0x6 | 0x2000.
		{pgtable.TwoLevel, 3, 0x10, 0x2006},
		// 31<<1 = 0x3e; (2^23-1)<<9 = 0xfffffe00.
		{pgtable.TwoLevel, 31, 1<<23 - 1, 0xfffffe3e},
		{pgtable.TwoLevel, 1, 0, 0x2},
		{pgtable.TwoLevel, 0, 1, 0x200},
		// 3<<59 = 0x1800000000000000; ^0x10 in 50 bits = 0x3ffffffffffef,
		// <<9 = 0x07ffffffffffde00.
		{pgtable.FourLevel, 3, 0x10, 0x1fffffffffffde00},
		// Offset 0 inverts to all 50 bits set: 0x07fffffffffffe00.
		{pgtable.FourLevel, 0, 0, 0x07fffffffffffe00},
		// 31<<59 = 0xf800000000000000; ^(2^50-2) = 1, <<9 = 0x200.
		{pgtable.FiveLevel, 31, 1<<50 - 2, 0xf800000000000200},
		{pgtable.PAE, 3, 0x10, 0x1fffffffffffde00},
	}
	for _, tc := range tests {
		e, err := tc.f.SwapEntry(tc.typ, tc.offset)
		if err != nil || e != tc.want {
			t.Errorf("%s SwapEntry(%d, %#x) = %#x, %v; want %#x", tc.f.Name, tc.typ, tc.offset, uint64(e), err, uint64(tc.want))
			continue
		}
		typ, off, ok := tc.f.DecodeSwap(e)
		if !ok || typ != tc.typ || off != tc.offset {
			t.Errorf("%s DecodeSwap(%#x) = %d, %#x, %v; want %d, %#x", tc.f.Name, uint64(e), typ, off, ok, tc.typ, tc.offset)
		}
	}
}

// TestSwapBits checks every bit position: type bit i lands in entry bit
// 1+i (2-level) or 59+i (64-bit entries); offset bit i lands in bit 9+i,
// set on 2-level, cleared (inverted) in 64-bit entries. Every valid pair
// round-trips.
func TestSwapBits(t *testing.T) {
	const mid = pgtable.Entry(1<<59 - 1<<9) // bits 9-58
	for i := 0; i < 5; i++ {
		if e, _ := pgtable.TwoLevel.SwapEntry(1<<i, 0); e != 1<<(1+i) {
			t.Errorf("2-level type bit %d: entry %#x, want bit %d", i, uint64(e), 1+i)
		}
		// offset 1 keeps the 64-bit entries' other bits fixed: ^1 in bits 9-58.
		if e, _ := pgtable.FourLevel.SwapEntry(1<<i, 1); e != 1<<(59+i)|mid&^(1<<9) {
			t.Errorf("64-bit type bit %d: entry %#x, want bit %d", i, uint64(e), 59+i)
		}
	}
	for i := 0; i < 23; i++ {
		if e, _ := pgtable.TwoLevel.SwapEntry(1, 1<<i); e != 1<<(9+i)|2 {
			t.Errorf("2-level offset bit %d: entry %#x, want bit %d", i, uint64(e), 9+i)
		}
	}
	for i := 0; i < 50; i++ {
		if e, _ := pgtable.FourLevel.SwapEntry(1, 1<<i); e != 1<<59|mid&^(1<<(9+i)) {
			t.Errorf("64-bit offset bit %d: entry %#x, want bits 9-58 but %d set", i, uint64(e), 9+i)
		}
	}
	for _, f := range []*pgtable.Format{pgtable.TwoLevel, pgtable.PAE, pgtable.FourLevel, pgtable.FiveLevel} {
		maxOff := uint64(1<<50 - 1)
		if f.EntrySize == 4 {
			maxOff = 1<<23 - 1
		}
		for _, typ := range []int{0, 1, 17, 31} {
			for _, off := range []uint64{1, 2, 0x12345, maxOff >> 1, maxOff - 1} {
				e, err := f.SwapEntry(typ, off)
				if err != nil {
					t.Errorf("%s SwapEntry(%d, %#x): %v", f.Name, typ, off, err)
					continue
				}
				if e&pgtable.Present != 0 || e == 0 {
					t.Errorf("%s SwapEntry(%d, %#x) = %#x: present or empty", f.Name, typ, off, uint64(e))
				}
				if f.EntrySize == 4 && e>>32 != 0 {
					t.Errorf("%s SwapEntry(%d, %#x) = %#x: above 32 bits", f.Name, typ, off, uint64(e))
				}
				if gt, goff, ok := f.DecodeSwap(e); !ok || gt != typ || goff != off {
					t.Errorf("%s round trip (%d, %#x) -> %#x -> (%d, %#x, %v)", f.Name, typ, off, uint64(e), gt, goff, ok)
				}
			}
		}
	}
}

// TestSwapErrors: the type has 5 bits (MAX_SWAPFILES_SHIFT), the offset 23
// bits on 2-level and 50 on 64-bit entries; and no encoding may be the
// empty entry (pte_none), which DecodeSwap cannot tell from no entry:
// (0, 0) on 2-level and (0, 2^50-1) when inverted.
func TestSwapErrors(t *testing.T) {
	tests := []struct {
		f      *pgtable.Format
		typ    int
		offset uint64
	}{
		{pgtable.TwoLevel, 32, 1},
		{pgtable.TwoLevel, -1, 1},
		{pgtable.TwoLevel, 0, 1 << 23},
		{pgtable.FourLevel, 32, 1},
		{pgtable.FourLevel, 0, 1 << 50},
		{pgtable.TwoLevel, 0, 0},
		{pgtable.FourLevel, 0, 1<<50 - 1},
		{pgtable.PAE, 0, 1<<50 - 1},
	}
	for _, tc := range tests {
		if e, err := tc.f.SwapEntry(tc.typ, tc.offset); err == nil {
			t.Errorf("%s SwapEntry(%d, %#x) = %#x, want an error", tc.f.Name, tc.typ, tc.offset, uint64(e))
		}
	}
	for _, e := range []pgtable.Entry{0, kLeaf, pgtable.Present} {
		if _, _, ok := pgtable.FourLevel.DecodeSwap(e); ok {
			t.Errorf("DecodeSwap(%#x) succeeded", uint64(e))
		}
	}
}

// TestSwapWalk: a swap entry in a PTE is found by the walk as a
// non-present leaf, named in the reason, and refused over a present PTE.
func TestSwapWalk(t *testing.T) {
	m := boot(t, m4Level)
	pt := m.PT
	g := newPGD(t, m, "p")
	e, err := pt.F.SwapEntry(3, 0x10)
	if err != nil {
		t.Fatal(err)
	}
	if err := pt.SetSwap(g, 0x400000, e); err != nil {
		t.Fatal(err)
	}
	w := pt.Walk(g, 0x400000)
	if w.Mapped || w.Missing != "PTE" || w.Leaf != e || !strings.Contains(w.Reason, "swap entry type 3 offset 0x10") {
		t.Errorf("walk of a swap PTE: %+v", w)
	}
	if err := pt.SetSwap(g, 0x400000, kLeaf); err == nil {
		t.Errorf("SetSwap of a present entry succeeded")
	}
	pfn := frame(t, m, 0, phys.OwnerUser)
	pt.MapUser(g, 0x401000, pfn.Addr(), pgtable.Present, "fault")
	if err := pt.SetSwap(g, 0x401000, e); err == nil {
		t.Errorf("SetSwap over a mapped page succeeded")
	}
	mustCheck(t, m)
}

// TestCheckCatchesCorruption breaks the tables in each way Check knows
// and expects the rule that names it (bug.Invariant.Rule). Every case
// starts from a machine that passes: a process with a user page and a
// vmalloc page mapped.
func TestCheckCatchesCorruption(t *testing.T) {
	type env struct {
		m     *kernelmodel.Machine
		pt    *pgtable.Tables
		p     *pgtable.PGD
		user  phys.PFN       // the user frame
		vm    phys.PFN       // the vmalloc frame
		upte  *pgtable.Table // the user page's PTE table
		kpte  *pgtable.Table // the vmalloc page's PTE table
		uwalk []pgtable.Step // the user page's walk
		kwalk []pgtable.Step // the vmalloc page's walk
	}
	const uva = 0x400000
	tests := []struct {
		name    string
		rule    string
		corrupt func(e *env)
	}{
		{"kernel-half mismatch", "pgtable-kernel-half", func(e *env) {
			b := e.pt.Boundary()
			e.pt.Poke(e.p.Top, b, e.p.Top.E[b]^pgtable.PCD) // PAE's PDPTEs have no RW bit to flip
		}},
		{"kernel-half entry removed", "pgtable-kernel-half", func(e *env) {
			i := e.kwalk[0].Index
			e.pt.Poke(e.p.Top, i, 0)
		}},
		{"wrong used count", "pgtable-links", func(e *env) {
			e.pt.SetUsed(e.upte, e.upte.Used()+1)
		}},
		{"entry points to another frame than its table", "pgtable-links", func(e *env) {
			// Point the entry above the user PTE table (a PMD entry, or
			// the PGD entry on 2-level) at the vmalloc frame instead.
			parent := e.p.Top
			for _, st := range e.uwalk[:len(e.uwalk)-2] {
				parent = parent.Sub(st.Index)
			}
			i := e.uwalk[len(e.uwalk)-2].Index
			e.pt.Poke(parent, i, pgtable.Entry(e.vm.Addr())|parent.E[i]&0xfff)
		}},
		{"init_mm maps a user address", "pgtable-links", func(e *env) {
			e.pt.Poke(e.pt.Init.Top, 0, kLarge)
		}},
		{"mapcount mismatch", "pgtable-mapcount", func(e *env) {
			if err := e.m.Phys.AddMapcount(e.user, 1); err != nil {
				panic(err)
			}
		}},
		{"user entry written behind the rmap's back", "pgtable-mapcount", func(e *env) {
			e.pt.Poke(e.upte, e.uwalk[len(e.uwalk)-1].Index+1, pgtable.Entry(e.user.Addr())|pgtable.Present|pgtable.User)
			e.pt.SetUsed(e.upte, e.upte.Used()+1)
		}},
		{"user table freed behind its back", "pgtable-accounting", func(e *env) {
			if err := e.m.Phys.FreePages(e.upte.PFN, 0); err != nil {
				panic(err)
			}
		}},
		{"kernel table freed behind its back", "pgtable-accounting", func(e *env) {
			if err := e.m.Phys.FreePages(e.kpte.PFN, 0); err != nil {
				panic(err)
			}
		}},
		{"PG_table cleared", "pgtable-accounting", func(e *env) {
			if err := e.m.Phys.SetPageFlags(e.upte.PFN, 0, phys.PGTable, phys.OwnerNone, ""); err != nil {
				panic(err)
			}
		}},
		{"Allocated miscounted", "pgtable-accounting", func(e *env) {
			e.pt.Allocated++
			e.pt.Gen++
		}},
		{"vmalloc frame freed under its mapping", "pgtable-frame", func(e *env) {
			if err := e.m.Phys.FreePages(e.vm, 0); err != nil {
				panic(err)
			}
		}},
	}
	for _, line := range []string{m2Level, mPAE, m4Level, m5Level} {
		for _, tc := range tests {
			t.Run(line+"/"+tc.name, func(t *testing.T) {
				m := boot(t, line)
				pt := m.PT
				e := &env{m: m, pt: pt, p: newPGD(t, m, "p"), user: frame(t, m, 0, phys.OwnerUser), vm: frame(t, m, 0, phys.OwnerVmalloc)}
				if ok, err := pt.MapUser(e.p, uva, e.user.Addr(), pgtable.Present|pgtable.RW, "fault"); !ok || err != nil {
					t.Fatal(ok, err)
				}
				if ok, err := pt.MapKernel(m.Layout.VmallocStart, e.vm.Addr(), pt.F.PTELevel(), pgtable.Present|pgtable.RW, "vmap"); !ok || err != nil {
					t.Fatal(ok, err)
				}
				e.uwalk = pt.Walk(e.p, uva).Steps
				e.kwalk = pt.Walk(pt.Init, m.Layout.VmallocStart).Steps
				e.upte, _, _ = pt.Lookup(e.p, uva)
				e.kpte, _, _ = pt.Lookup(pt.Init, m.Layout.VmallocStart)
				mustCheck(t, m)
				tc.corrupt(e)
				// PT.Check, not m.Check: some corruptions upset the page
				// allocator's own invariants too.
				err := pt.Check()
				var inv *bug.Invariant
				if !errors.As(err, &inv) || inv.Rule != tc.rule {
					t.Fatalf("Check after corruption = %v; want rule %s", err, tc.rule)
				}
			})
		}
	}
}

// TestUpdateAndSetAccessed: SetAccessed marks what a hardware walk marks
// (ACCESSED in the leaf, DIRTY too on a write; PAE's PDPTEs have neither
// bit, so they stay PRESENT only), and Update changes a leaf's bits in
// place, dropping NX where the format has none, counting a change only
// when the entry changed.
func TestUpdateAndSetAccessed(t *testing.T) {
	for _, line := range []string{m2Level, mPAE, m4Level, m5Level} {
		t.Run(line, func(t *testing.T) {
			m := boot(t, line)
			pt := m.PT
			va := m.Layout.VmallocStart
			pfn := frame(t, m, 0, phys.OwnerVmalloc)
			if ok, err := pt.MapKernel(va, pfn.Addr(), pt.F.PTELevel(), pgtable.Present|pgtable.RW, "vmap"); !ok || err != nil {
				t.Fatal(ok, err)
			}
			top := pt.Init.Top.E[pt.F.Index(0, va)]
			leaf := func() pgtable.Entry { return pt.Walk(pt.Init, va).Leaf }
			base := pgtable.Entry(pfn.Addr()) | pgtable.Present | pgtable.RW
			pt.SetAccessed(pt.Init, va, false)
			if got := leaf(); got != base|pgtable.Accessed {
				t.Errorf("after a read walk: leaf %s", got.FlagString())
			}
			pt.SetAccessed(pt.Init, va, true)
			if got := leaf(); got != base|pgtable.Accessed|pgtable.Dirty {
				t.Errorf("after a write walk: leaf %s", got.FlagString())
			}
			if got := pt.Init.Top.E[pt.F.Index(0, va)]; got != top {
				t.Errorf("the top-level entry changed from %#x to %#x", uint64(top), uint64(got))
			}

			gen := pt.Gen
			e, ok := pt.Update(pt.Init, va, pgtable.Global|pgtable.NX, pgtable.RW|pgtable.Dirty)
			want := pgtable.Entry(pfn.Addr()) | pgtable.Present | pgtable.Accessed | pgtable.Global | pgtable.NX
			if !pt.F.HasNX {
				want &^= pgtable.NX
			}
			if !ok || e != want || leaf() != want || pt.Gen == gen {
				t.Errorf("Update = %#x, %v (leaf %#x, gen %d->%d); want %#x", uint64(e), ok, uint64(leaf()), gen, pt.Gen, uint64(want))
			}
			gen = pt.Gen
			if e, ok := pt.Update(pt.Init, va, pgtable.Global, 0); !ok || e != want || pt.Gen != gen {
				t.Errorf("a no-op Update = %#x, %v, gen %d->%d", uint64(e), ok, gen, pt.Gen)
			}
			if _, ok := pt.Update(pt.Init, va+arch.PageSize, pgtable.RW, 0); ok {
				t.Errorf("Update of an unmapped page succeeded")
			}
			mustCheck(t, m)
		})
	}
}
