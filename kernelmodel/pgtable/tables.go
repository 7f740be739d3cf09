package pgtable

import (
	"encoding/binary"
	"fmt"

	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/bug"
	"mmsim/kernelmodel/phys"
)

// Table is one page-table page: a frame holding the entries of one level.
type Table struct {
	PFN   phys.PFN
	Level int
	E     []Entry
	// sub holds the table each present, non-leaf entry points to.
	sub []*Table
	// used counts the entries that are not zero.
	used int
	// Boot is set for the tables boot placed in the kernel image
	// (swapper_pg_dir and the early tables); they are never freed.
	Boot bool
	// bytes is the frame's memory, where the entries are written too.
	bytes *[arch.PageSize]byte
}

// Sub returns the table entry i points to, or nil.
func (t *Table) Sub(i int) *Table {
	if t.sub == nil {
		return nil
	}
	return t.sub[i]
}

// Used is the number of entries that are not zero.
func (t *Table) Used() int { return t.used }

// PGD is one address space's top-level table (mm->pgd).
type PGD struct {
	Top *Table
	// Name says whose it is ("init_mm", "pid 4"), for views and errors.
	Name string
}

// Tables is the machine's page tables: the kernel's own (init_mm) and
// every PGD made since (pgd_list).
type Tables struct {
	F      *Format
	Layout *arch.Layout
	Mem    *phys.Mem
	Init   *PGD
	pgds   []*PGD
	// boundary is KERNEL_PGD_BOUNDARY, the first top-level entry of the
	// kernel half.
	boundary int
	// bootNext is the next frame of the kernel image boot takes a table
	// from, counting down from its end; bootLow is the image's start.
	bootNext, bootLow phys.PFN
	// Allocated counts the page-table pages taken from the buddy
	// allocator and not yet freed.
	Allocated int
	// Gen counts changes to any entry; checked and memGen are the
	// generations the last passing Check saw.
	Gen             uint64
	checked, memGen uint64
}

// GFPPgtableKernel is GFP_PGTABLE_KERNEL: page-table pages are zeroed
// GFP_KERNEL pages; user ones are also charged to the memory cgroup.
const (
	GFPPgtableKernel = phys.GFPKernel | phys.GfpZero
	GFPPgtableUser   = GFPPgtableKernel | phys.GfpAccount
)

// Boundary is KERNEL_PGD_BOUNDARY: the top-level index where the kernel
// half begins.
func (pt *Tables) Boundary() int { return pt.boundary }

// PGDs returns every PGD other than init_mm's (the kernel's pgd_list).
func (pt *Tables) PGDs() []*PGD { return append([]*PGD(nil), pt.pgds...) }

// newTable makes an empty table in a frame.
func (pt *Tables) newTable(pfn phys.PFN, level int) *Table {
	t := &Table{PFN: pfn, Level: level, E: make([]Entry, pt.F.Entries[level])}
	if level < pt.F.PTELevel() {
		t.sub = make([]*Table, len(t.E))
	}
	return t
}

// bootTable takes a table from the end of the kernel image, where the
// kernel keeps swapper_pg_dir and its early page tables (.bss and the brk
// area).
func (pt *Tables) bootTable(level int) (*Table, error) {
	if pt.bootNext <= pt.bootLow {
		return nil, fmt.Errorf("the kernel image is too small for the boot page tables")
	}
	pt.bootNext--
	t := pt.newTable(pt.bootNext, level)
	t.Boot = true
	return t, nil
}

// allocTable takes a zeroed page from the buddy allocator for a table
// (pte_alloc_one(), pmd_alloc_one() ...). ok is false when the page
// allocator returned NULL.
func (pt *Tables) allocTable(level int, gfp phys.GFP, caller string) (*Table, bool, error) {
	pfn, ok, err := pt.Mem.AllocPages(phys.Request{GFP: gfp, Order: 0, Owner: phys.OwnerPageTable, Tag: pt.F.Names[level], Caller: caller})
	if err != nil || !ok {
		return nil, false, err
	}
	if err := pt.Mem.SetPageFlags(pfn, phys.PGTable, 0, phys.OwnerPageTable, pt.F.Names[level]); err != nil {
		return nil, false, err
	}
	pt.Allocated++
	return pt.newTable(pfn, level), true, nil
}

// freeTable gives a table's page back (pte_free(), pmd_free() ...).
func (pt *Tables) freeTable(t *Table) error {
	if t.Boot {
		return bug.Errorf("pgtable: freeing the boot table at pfn %#x", uint64(t.PFN))
	}
	if err := pt.Mem.SetPageFlags(t.PFN, 0, phys.PGTable, phys.OwnerNone, ""); err != nil {
		return err
	}
	if err := pt.Mem.FreePages(t.PFN, 0); err != nil {
		return err
	}
	pt.Allocated--
	return nil
}

// set writes an entry and keeps the used count.
func (pt *Tables) set(t *Table, i int, e Entry, sub *Table) {
	if t.E[i] == 0 && e != 0 {
		t.used++
	} else if t.E[i] != 0 && e == 0 {
		t.used--
	}
	pt.store(t, i, e)
	if t.sub != nil {
		t.sub[i] = sub
	}
	pt.Gen++
}

// store writes an entry, in the table and in the bytes of its frame, so
// that reading the page-table page shows it (little-endian, 4 or 8 bytes).
// Writing those bytes does not change the table: the model's MMU walks
// the tables, not memory.
func (pt *Tables) store(t *Table, i int, e Entry) {
	t.E[i] = e
	if t.bytes == nil {
		t.bytes = pt.Mem.Frame(t.PFN)
	}
	if pt.F.EntrySize == 4 {
		binary.LittleEndian.PutUint32(t.bytes[i*4:], uint32(e))
	} else {
		binary.LittleEndian.PutUint64(t.bytes[i*8:], uint64(e))
	}
}

// tableEntry is the entry pointing to a table at a level.
func (pt *Tables) tableEntry(level int, t *Table) Entry {
	if pt.F == PAE && level == 0 {
		return Entry(t.PFN.Addr()) | paeTop
	}
	return Entry(t.PFN.Addr()) | TableFlags
}

// IsKernel reports whether an address is in the kernel half.
func (pt *Tables) IsKernel(va arch.VirtAddr) bool { return va >= pt.Layout.TaskSize }

// syncKernel copies a top-level kernel entry of init_mm into every other
// PGD, as arch_sync_kernel_mappings() and sync_global_pgds() do, so that
// the kernel half stays the same everywhere.
func (pt *Tables) syncKernel(i int) {
	for _, g := range pt.pgds {
		pt.set(g.Top, i, pt.Init.Top.E[i], pt.Init.Top.sub[i])
	}
}

// setLeaf writes a leaf entry at a level. A top-level leaf of the kernel
// half (a 4 MiB page on 2-level x86) is a copy in every PGD: it is written
// in init_mm and copied to the others, as sync_global_pgds() and
// set_memory's __set_pmd_pte() walking pgd_list keep them in step.
func (pt *Tables) setLeaf(t *Table, level, i int, e Entry) {
	pt.set(t, i, e, nil)
	if level == 0 && i >= pt.boundary {
		if t != pt.Init.Top {
			pt.set(pt.Init.Top, i, e, nil)
		}
		pt.syncKernel(i)
	}
}

// ensure returns the table at level for va, creating the missing tables
// above it. A new top-level kernel entry is synced to every PGD.
func (pt *Tables) ensure(g *PGD, va arch.VirtAddr, level int, alloc func(level int) (*Table, bool, error)) (*Table, bool, error) {
	t := g.Top
	user := !pt.IsKernel(va)
	for l := 0; l < level; l++ {
		i := pt.F.Index(l, va)
		if next := t.sub[i]; next != nil {
			t = next
			continue
		}
		if t.E[i]&Present != 0 {
			return nil, false, fmt.Errorf("pgtable: %#x: %s entry %d maps a large page", uint64(va), pt.F.Names[l], i)
		}
		n, ok, err := alloc(l + 1)
		if err != nil || !ok {
			return nil, ok, err
		}
		pt.set(t, i, pt.tableEntry(l, n), n)
		if l == 0 && !user && g == pt.Init {
			pt.syncKernel(i)
		}
		t = n
	}
	return t, true, nil
}

// checkVA rejects an address that is not canonical or not page aligned
// for the level.
func (pt *Tables) checkVA(va arch.VirtAddr, level int) error {
	if !pt.F.Canonical(va) {
		return fmt.Errorf("%#x is not a canonical address", uint64(va))
	}
	if uint64(va)&(pt.F.Span(level)-1) != 0 {
		return fmt.Errorf("%#x is not aligned to a %s page", uint64(va), arch.SizeName(pt.F.Span(level)))
	}
	return nil
}

// MapKernel installs a kernel mapping in init_mm: a leaf at level (the
// PTE level for 4 KiB pages) mapping pa with the given flags, allocating
// missing tables with GFP_PGTABLE_KERNEL (pte_alloc_kernel() and the
// like). ok is false when a table could not be allocated; nothing changed
// then.
func (pt *Tables) MapKernel(va arch.VirtAddr, pa phys.PhysAddr, level int, flags Entry, caller string) (bool, error) {
	if !pt.IsKernel(va) {
		return false, fmt.Errorf("pgtable: %#x is a user address", uint64(va))
	}
	if pt.F.Canonical(va) && pt.F.Index(0, va) < pt.boundary {
		return false, fmt.Errorf("pgtable: %#x is below KERNEL_PGD_BOUNDARY (PGD entry %d), outside the kernel half every PGD shares", uint64(va), pt.F.Index(0, va))
	}
	return pt.mapLeaf(pt.Init, va, pa, level, flags, func(l int) (*Table, bool, error) {
		return pt.allocTable(l, GFPPgtableKernel, caller)
	})
}

// MapKernelPages maps frames at consecutive 4 KiB pages from va in
// init_mm, as vmap_pages_range() does for a vmalloc area: the PTE table is
// found (or allocated) once per table, not once per page. It stops at the
// first failure; the pages mapped so far stay mapped.
func (pt *Tables) MapKernelPages(va arch.VirtAddr, pfns []phys.PFN, flags Entry, caller string) (bool, error) {
	last := pt.F.PTELevel()
	for i := 0; i < len(pfns); {
		if i == 0 || pt.F.Index(last, va) == 0 {
			// The first page, and each page that starts a new table, go
			// through MapKernel's checks and table allocation.
			if ok, err := pt.MapKernel(va, pfns[i].Addr(), last, flags, caller); err != nil || !ok {
				return ok, err
			}
			i, va = i+1, va+arch.PageSize
			continue
		}
		t, idx, _ := pt.Lookup(pt.Init, va-arch.PageSize)
		idx++
		if !pt.F.HasNX {
			flags &^= NX
		}
		for ; i < len(pfns) && idx < len(t.E); i, idx, va = i+1, idx+1, va+arch.PageSize {
			if t.E[idx] != 0 {
				return false, fmt.Errorf("pgtable: %#x is mapped already (PTE entry %#x)", uint64(va), uint64(t.E[idx]))
			}
			pt.set(t, idx, Entry(pfns[i].Addr())&pt.F.addrMask|flags, nil)
		}
	}
	return true, nil
}

// ClearKernelPages clears n consecutive 4 KiB kernel mappings from va
// (vunmap_range_noflush()), a table at a time; unmapped pages are skipped.
func (pt *Tables) ClearKernelPages(va arch.VirtAddr, n int) {
	last := pt.F.PTELevel()
	for n > 0 {
		t, idx, level := pt.Lookup(pt.Init, va)
		if t == nil || level != last {
			pt.Clear(pt.Init, va)
			n, va = n-1, va+arch.PageSize
			continue
		}
		for ; n > 0 && idx < len(t.E); n, idx, va = n-1, idx+1, va+arch.PageSize {
			if t.E[idx] != 0 {
				pt.set(t, idx, 0, nil)
			}
		}
	}
}

// MapUser installs a user mapping in a PGD; the frame's mapcount goes up
// unless the entry is Special (vm_normal_page() has no page for it).
func (pt *Tables) MapUser(g *PGD, va arch.VirtAddr, pa phys.PhysAddr, flags Entry, caller string) (bool, error) {
	if pt.IsKernel(va) || g == pt.Init {
		return false, fmt.Errorf("pgtable: %#x is not a user address of a process", uint64(va))
	}
	if flags&Present != 0 && flags&Special == 0 {
		if err := pt.Mem.AddMapcount(phys.PFN(pa>>arch.PageShift), 1); err != nil {
			return false, err
		}
	}
	ok, err := pt.mapLeaf(g, va, pa, pt.F.PTELevel(), flags|User, func(l int) (*Table, bool, error) {
		return pt.allocTable(l, GFPPgtableUser, caller)
	})
	if flags&Present != 0 && flags&Special == 0 && (!ok || err != nil) {
		pt.Mem.AddMapcount(phys.PFN(pa>>arch.PageShift), -1)
	}
	return ok, err
}

func (pt *Tables) mapLeaf(g *PGD, va arch.VirtAddr, pa phys.PhysAddr, level int, flags Entry, alloc func(int) (*Table, bool, error)) (bool, error) {
	if err := pt.checkVA(va, level); err != nil {
		return false, fmt.Errorf("pgtable: %v", err)
	}
	if level < pt.F.PTELevel() && !pt.F.Large[level] {
		return false, fmt.Errorf("pgtable: %s entries cannot map large pages", pt.F.Names[level])
	}
	if uint64(pa)&(pt.F.Span(level)-1) != 0 {
		return false, fmt.Errorf("pgtable: physical address %#x is not aligned to a %s page", uint64(pa), arch.SizeName(pt.F.Span(level)))
	}
	if !pt.F.HasNX {
		flags &^= NX
	}
	t, ok, err := pt.ensure(g, va, level, alloc)
	if err != nil || !ok {
		return ok, err
	}
	i := pt.F.Index(level, va)
	if t.E[i]&Present != 0 || (t.sub != nil && t.sub[i] != nil) {
		return false, fmt.Errorf("pgtable: %#x is mapped already (%s entry %#x)", uint64(va), pt.F.Names[level], uint64(t.E[i]))
	}
	e := Entry(pa)&pt.F.addrMask | flags
	if level < pt.F.PTELevel() {
		e |= PSE
	}
	pt.setLeaf(t, level, i, e)
	return true, nil
}

// Lookup finds the leaf entry that maps va: its table, index and level.
// t is nil when an entry on the way is not present; level is then the
// level whose entry is missing.
func (pt *Tables) Lookup(g *PGD, va arch.VirtAddr) (t *Table, i int, level int) {
	t = g.Top
	last := pt.F.PTELevel()
	for l := 0; ; l++ {
		i = pt.F.Index(l, va)
		e := t.E[i]
		if e&Present == 0 {
			if l == last && e != 0 {
				return t, i, l // a swap entry: the caller looks at it
			}
			return nil, i, l
		}
		if l == last || e&PSE != 0 {
			return t, i, l
		}
		t = t.sub[i]
	}
}

// Update changes the leaf entry mapping va: permission changes, the
// accessed and dirty bits, protection. The frame must stay the same.
func (pt *Tables) Update(g *PGD, va arch.VirtAddr, set, clear Entry) (Entry, bool) {
	t, i, level := pt.Lookup(g, va)
	if t == nil || t.E[i]&Present == 0 {
		return 0, false
	}
	if !pt.F.HasNX {
		set &^= NX
	}
	e := t.E[i]&^clear | set
	if e != t.E[i] {
		pt.setLeaf(t, level, i, e)
	}
	return e, true
}

// SetAccessed marks the entries a hardware walk used: the accessed bit at
// every level, and dirty in the leaf on a write.
func (pt *Tables) SetAccessed(g *PGD, va arch.VirtAddr, write bool) {
	t := g.Top
	for l := 0; ; l++ {
		i := pt.F.Index(l, va)
		e := t.E[i]
		if e&Present == 0 {
			return
		}
		leaf := l == pt.F.PTELevel() || e&PSE != 0
		if !(pt.F == PAE && l == 0) {
			e |= Accessed
			if leaf && write {
				e |= Dirty
			}
		}
		if e != t.E[i] {
			pt.store(t, i, e)
		}
		if leaf || t.sub[i] == nil {
			return
		}
		t = t.sub[i]
	}
}

// Clear removes the leaf entry mapping va (pte_clear(), pmd_clear() for a
// large page) and returns it; for a user entry the frame's mapcount goes
// down. The page-table pages stay: FreeRange frees them.
func (pt *Tables) Clear(g *PGD, va arch.VirtAddr) (Entry, bool) {
	t, i, level := pt.Lookup(g, va)
	if t == nil {
		return 0, false
	}
	old := t.E[i]
	pt.setLeaf(t, level, i, 0)
	if !pt.IsKernel(va) && old&Present != 0 && old&Special == 0 {
		pt.Mem.AddMapcount(phys.PFN(pt.F.Addr(old)>>arch.PageShift), -1)
	}
	return old, true
}

// SetSwap writes a non-present user entry (a swap entry) for va, whose
// tables must exist; it fails when va is mapped.
func (pt *Tables) SetSwap(g *PGD, va arch.VirtAddr, e Entry) error {
	if e&Present != 0 {
		return fmt.Errorf("pgtable: %#x is a present entry, not a swap entry", uint64(e))
	}
	if pt.IsKernel(va) || g == pt.Init {
		return fmt.Errorf("pgtable: %#x is not a user address of a process", uint64(va))
	}
	if err := pt.checkVA(va, pt.F.PTELevel()); err != nil {
		return fmt.Errorf("pgtable: %v", err)
	}
	t, ok, err := pt.ensure(g, va, pt.F.PTELevel(), func(l int) (*Table, bool, error) {
		return pt.allocTable(l, GFPPgtableUser, "swap")
	})
	if err != nil || !ok {
		return fmt.Errorf("pgtable: no memory for a page table at %#x", uint64(va))
	}
	i := pt.F.Index(pt.F.PTELevel(), va)
	if t.E[i]&Present != 0 {
		return fmt.Errorf("pgtable: %#x is mapped", uint64(va))
	}
	pt.set(t, i, e, nil)
	return nil
}
