package pgtable

import (
	"fmt"

	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/phys"
)

// New builds the kernel's page tables at boot, as the kernel's
// paging_init()/init_mem_mapping() do: swapper_pg_dir maps the whole of
// lowmem at PAGE_OFFSET with the largest pages the format has (4 MiB PSE
// entries on 2-level x86, 2 MiB under PAE, 1 GiB and 2 MiB on x86_64, 4
// KiB for a tail), the kernel text (x86_64), and the tables of the fixmap
// and the pkmap area exist from the start (page_table_range_init()).
// Under PAE the kernel PMDs are all allocated at boot, so the kernel half
// of a PGD never changes. The boot tables sit at the end of the kernel
// image, as the kernel's .bss and brk area hold them.
func New(mem *phys.Mem, l *arch.Layout) (*Tables, error) {
	f, err := FormatByName(l.Paging)
	if err != nil {
		return nil, err
	}
	pt := &Tables{F: f, Layout: l, Mem: mem,
		bootNext: phys.PFN(l.KernelEnd >> arch.PageShift), bootLow: phys.PFN(l.KernelStart >> arch.PageShift)}
	pt.boundary = f.Index(0, l.PageOffset)
	top, err := pt.bootTable(0)
	if err != nil {
		return nil, err
	}
	pt.Init = &PGD{Top: top, Name: "init_mm"}
	boot := func(level int) (*Table, bool, error) {
		t, err := pt.bootTable(level)
		return t, err == nil, err
	}
	if f == PAE {
		for i := pt.boundary; i < f.Entries[0]; i++ {
			if _, _, err := pt.ensure(pt.Init, arch.VirtAddr(uint64(i)<<f.Shifts[0]), 1, boot); err != nil {
				return nil, err
			}
		}
	}
	kernel := Present | RW | Accessed | Dirty | Global | NX
	lowmem := l.MaxLowPFN << arch.PageShift
	execEnd := uint64(0)
	if l.Arch == "x86" {
		// The kernel image lies in the direct map on x86: the large
		// pages holding it stay executable.
		execEnd = l.KernelEnd
	}
	if err := pt.bootMap(l.PageOffset, 0, lowmem, execEnd, kernel, boot); err != nil {
		return nil, err
	}
	if l.KernelText != 0 {
		end := (l.KernelEnd + 2<<20 - 1) &^ (2<<20 - 1)
		if err := pt.bootMap(l.KernelText, 0, end, end, kernel, boot); err != nil {
			return nil, err
		}
	}
	for va := l.FixaddrStart; va < l.FixaddrTop; va += arch.VirtAddr(f.Span(f.PTELevel() - 1)) {
		if _, _, err := pt.ensure(pt.Init, va, f.PTELevel(), boot); err != nil {
			return nil, err
		}
	}
	if _, _, err := pt.ensure(pt.Init, l.FixaddrTop-1, f.PTELevel(), boot); err != nil {
		return nil, err
	}
	if l.LastPkmap > 0 {
		if _, _, err := pt.ensure(pt.Init, l.PkmapBase, f.PTELevel(), boot); err != nil {
			return nil, err
		}
	}
	pt.Gen = 0
	return pt, nil
}

// bootMap maps [pa, pa+size) at va with the largest pages that fit; pages
// below execEnd are executable.
func (pt *Tables) bootMap(va arch.VirtAddr, pa, size, execEnd uint64, flags Entry, alloc func(int) (*Table, bool, error)) error {
	f := pt.F
	for off := uint64(0); off < size; {
		level := f.PTELevel()
		for l := 0; l < f.PTELevel(); l++ {
			span := f.Span(l)
			if f.Large[l] && (uint64(va)+off)%span == 0 && (pa+off)%span == 0 && size-off >= span {
				level = l
				break
			}
		}
		e := flags
		if pa+off < execEnd {
			e &^= NX
		}
		if _, err := pt.mapLeaf(pt.Init, va+arch.VirtAddr(off), phys.PhysAddr(pa+off), level, e, alloc); err != nil {
			return err
		}
		off += f.Span(level)
	}
	return nil
}

// BootTables is the number of page-table pages boot placed in the kernel
// image.
func (pt *Tables) BootTables() int {
	return int(phys.PFN(pt.Layout.KernelEnd>>arch.PageShift) - pt.bootNext)
}

// NewPGD makes a PGD for a new address space (pgd_alloc()): a zeroed
// page whose kernel half is a copy of swapper_pg_dir's (pgd_ctor()). Under
// PAE the user PMDs are allocated with it (preallocate_pmds()), since the
// CPU loads the four PDPTEs with CR3. ok is false when memory ran out;
// nothing is left allocated then.
func (pt *Tables) NewPGD(name string) (*PGD, bool, error) {
	top, ok, err := pt.allocTable(0, GFPPgtableUser, "pgd_alloc")
	if err != nil || !ok {
		return nil, ok, err
	}
	g := &PGD{Top: top, Name: name}
	for i := pt.boundary; i < len(top.E); i++ {
		pt.set(top, i, pt.Init.Top.E[i], pt.Init.Top.sub[i])
	}
	if pt.F == PAE {
		for i := 0; i < pt.boundary; i++ {
			pmd, ok, err := pt.allocTable(1, GFPPgtableUser, "pgd_alloc")
			if err != nil || !ok {
				pt.freeUser(g.Top, 0)
				pt.freeTable(g.Top)
				return nil, ok, err
			}
			pt.set(top, i, pt.tableEntry(0, pmd), pmd)
		}
	}
	pt.pgds = append(pt.pgds, g)
	return g, true, nil
}

// FreePGD frees a PGD and every user table under it (free_pgtables() then
// pgd_free()). Every user entry must be cleared first.
func (pt *Tables) FreePGD(g *PGD) error {
	idx := -1
	for i, x := range pt.pgds {
		if x == g {
			idx = i
		}
	}
	if idx < 0 {
		return fmt.Errorf("pgtable: %s has no PGD on the pgd list", g.Name)
	}
	if n := pt.countLeaves(g.Top, pt.boundary); n > 0 {
		return fmt.Errorf("pgtable: %s still maps %d user entries", g.Name, n)
	}
	if err := pt.freeUser(g.Top, 0); err != nil {
		return err
	}
	pt.pgds = append(pt.pgds[:idx], pt.pgds[idx+1:]...)
	return pt.freeTable(g.Top)
}

// freeUser frees the tables under a table's user entries.
func (pt *Tables) freeUser(t *Table, level int) error {
	n := len(t.E)
	if level == 0 {
		n = pt.boundary
	}
	for i := 0; i < n; i++ {
		if s := t.Sub(i); s != nil {
			if err := pt.freeUser(s, level+1); err != nil {
				return err
			}
			if err := pt.freeTable(s); err != nil {
				return err
			}
			pt.set(t, i, 0, nil)
		}
	}
	return nil
}

// countLeaves counts the non-zero leaf entries under the first n entries
// of a table (every entry below the top).
func (pt *Tables) countLeaves(t *Table, n int) int {
	c := 0
	for i := 0; i < n; i++ {
		switch {
		case t.Sub(i) != nil:
			s := t.Sub(i)
			c += pt.countLeaves(s, len(s.E))
		case t.E[i] != 0:
			c++
		}
	}
	return c
}

// FreeRange frees the page-table pages of a user range whose entries are
// all cleared, as mm/memory.c:free_pgd_range() does after an unmap: a
// table goes when the whole span it covers lies inside [floor, ceiling)
// (the neighbouring VMAs' limits) and overlaps [start, end). Under PAE the
// PMDs stay with the PGD. It returns the number of pages freed.
func (pt *Tables) FreeRange(g *PGD, start, end, floor, ceiling arch.VirtAddr) (int, error) {
	if g == pt.Init {
		return 0, fmt.Errorf("pgtable: kernel page tables are not freed")
	}
	if ceiling == 0 || ceiling > pt.Layout.TaskSize {
		ceiling = pt.userTop()
	}
	return pt.freeRange(g.Top, 0, 0, start, end, floor, ceiling)
}

// userTop is the end of the user half of the page tables.
func (pt *Tables) userTop() arch.VirtAddr {
	return arch.VirtAddr(uint64(pt.boundary) << pt.F.Shifts[0])
}

func (pt *Tables) freeRange(t *Table, level int, base uint64, start, end, floor, ceiling arch.VirtAddr) (int, error) {
	span := pt.F.Span(level)
	freed := 0
	for i := range t.E {
		lo := base + uint64(i)*span
		hi := lo + span
		if level == 0 && i >= pt.boundary {
			break
		}
		if hi <= uint64(start) || lo >= uint64(end) {
			continue
		}
		s := t.Sub(i)
		if s == nil {
			continue
		}
		n, err := pt.freeRange(s, level+1, lo, start, end, floor, ceiling)
		freed += n
		if err != nil {
			return freed, err
		}
		keep := pt.F == PAE && level == 0
		if !keep && lo >= uint64(floor) && hi <= uint64(ceiling) && s.used == 0 {
			if err := pt.freeTable(s); err != nil {
				return freed, err
			}
			pt.set(t, i, 0, nil)
			freed++
		}
	}
	return freed, nil
}
