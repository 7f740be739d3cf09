package pgtable

import (
	"fmt"

	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/phys"
)

// Range operations on a process's page tables, the walks mm/memory.c and
// mm/mprotect.c make over a VMA: zap_page_range(), change_protection()
// and copy_page_range(). Each visits only the tables that exist, so its
// cost follows the pages mapped, not the size of the range.

// eachLeafTable calls f for every PTE-level table of g that covers part
// of [start, end), with the index range of the entries inside it and the
// address of entry 0. Large (PSE) user entries do not occur.
func (pt *Tables) eachLeafTable(g *PGD, start, end arch.VirtAddr, f func(t *Table, lo, hi int, base uint64) error) error {
	return pt.leafTables(g.Top, 0, 0, uint64(start), uint64(end), f)
}

func (pt *Tables) leafTables(t *Table, level int, base, start, end uint64, f func(t *Table, lo, hi int, base uint64) error) error {
	span := pt.F.Span(level)
	last := pt.F.PTELevel()
	if level == last {
		lo := int((maxU(start, base) - base) / span)
		hi := int((minU(end, base+span*uint64(len(t.E))) - base + span - 1) / span)
		return f(t, lo, hi, base)
	}
	first := int((maxU(start, base) - base) / span)
	for i := first; i < len(t.E); i++ {
		lo := base + uint64(i)*span
		if lo >= end {
			break
		}
		if level == 0 && i >= pt.boundary {
			break
		}
		s := t.Sub(i)
		if s == nil {
			continue
		}
		if err := pt.leafTables(s, level+1, lo, start, end, f); err != nil {
			return err
		}
	}
	return nil
}

func maxU(a, b uint64) uint64 {
	if a > b {
		return a
	}
	return b
}

func minU(a, b uint64) uint64 {
	if a < b {
		return a
	}
	return b
}

// NormalPFN is the frame a present, normal user entry maps
// (vm_normal_page()); ok is false for a special entry (the zero page) or
// a non-present one.
func (pt *Tables) NormalPFN(e Entry) (phys.PFN, bool) {
	if e&Present == 0 || e&Special != 0 {
		return 0, false
	}
	return phys.PFN(pt.F.Addr(e) >> arch.PageShift), true
}

func (pt *Tables) unmapCount(e Entry) {
	if pfn, ok := pt.NormalPFN(e); ok {
		pt.Mem.AddMapcount(pfn, -1)
	}
}

func (pt *Tables) mapCount(e Entry) error {
	if pfn, ok := pt.NormalPFN(e); ok {
		return pt.Mem.AddMapcount(pfn, 1)
	}
	return nil
}

// ZapUser clears every non-zero leaf entry of a user range, present or
// not (a swap entry), as mm/memory.c:zap_pte_range() does, and calls f
// with each address and the entry it had, after the entry is gone. The
// frames' mapcounts go down; references are the caller's.
func (pt *Tables) ZapUser(g *PGD, start, end arch.VirtAddr, f func(va arch.VirtAddr, old Entry)) {
	pt.eachLeafTable(g, start, end, func(t *Table, lo, hi int, base uint64) error {
		for i := lo; i < hi && t.used > 0; i++ {
			old := t.E[i]
			if old == 0 {
				continue
			}
			pt.set(t, i, 0, nil)
			pt.unmapCount(old)
			if f != nil {
				f(arch.VirtAddr(base+uint64(i)*arch.PageSize), old)
			}
		}
		return nil
	})
}

// EachUser calls f for every non-zero leaf entry of a user range, in
// address order; f may return a changed entry that maps the same frame
// (mm/mprotect.c:change_pte_range()), or the entry unchanged.
func (pt *Tables) EachUser(g *PGD, start, end arch.VirtAddr, f func(va arch.VirtAddr, e Entry) Entry) {
	pt.eachLeafTable(g, start, end, func(t *Table, lo, hi int, base uint64) error {
		for i := lo; i < hi; i++ {
			e := t.E[i]
			if e == 0 {
				continue
			}
			if n := f(arch.VirtAddr(base+uint64(i)*arch.PageSize), e); n != e {
				if pt.F.Addr(n) != pt.F.Addr(e) || n&(Present|Special) != e&(Present|Special) {
					panic(fmt.Sprintf("pgtable: EachUser changed the frame of %#x", base+uint64(i)*arch.PageSize))
				}
				if !pt.F.HasNX {
					n &^= NX
				}
				pt.store(t, i, n)
				pt.Gen++
			}
		}
		return nil
	})
}

// CopyUser copies the non-zero leaf entries of [start, end) from src to
// dst, allocating dst's tables as needed, as mm/memory.c:copy_page_range()
// does for fork: f returns the entry the parent keeps and the one the
// child gets for each (same frame). Mapcounts follow the child's entries.
// ok is false when a page table could not be allocated; the entries
// copied so far stay (fork then unwinds the whole child).
func (pt *Tables) CopyUser(src, dst *PGD, start, end arch.VirtAddr, f func(va arch.VirtAddr, e Entry) (parent, child Entry)) (bool, error) {
	ok := true
	err := pt.eachLeafTable(src, start, end, func(t *Table, lo, hi int, base uint64) error {
		var dt *Table
		for i := lo; i < hi; i++ {
			e := t.E[i]
			if e == 0 {
				continue
			}
			va := arch.VirtAddr(base + uint64(i)*arch.PageSize)
			if dt == nil {
				var err error
				var got bool
				dt, got, err = pt.ensure(dst, va, pt.F.PTELevel(), func(l int) (*Table, bool, error) {
					return pt.allocTable(l, GFPPgtableUser, "copy_page_range")
				})
				if err != nil || !got {
					ok = got
					return err
				}
			}
			pe, ce := f(va, e)
			if !pt.F.HasNX {
				pe &^= NX
				ce &^= NX
			}
			if pe != e {
				pt.store(t, i, pe)
			}
			if err := pt.mapCount(ce); err != nil {
				return err
			}
			pt.set(dt, i, ce, nil)
		}
		return nil
	})
	if err == nil && !ok {
		return false, nil
	}
	return ok, err
}

// UserEntry returns the leaf entry mapping a user address, or 0.
func (pt *Tables) UserEntry(g *PGD, va arch.VirtAddr) Entry {
	t, i, _ := pt.Lookup(g, va)
	if t == nil {
		return 0
	}
	return t.E[i]
}

// SetUser replaces the leaf entry of a user address whose tables exist
// (the PTE of a fault: a new frame after copy-on-write, a write-enabled
// reuse), keeping mapcounts right. ok is false when there is no table.
func (pt *Tables) SetUser(g *PGD, va arch.VirtAddr, e Entry) (bool, error) {
	t, ok, err := pt.ensure(g, va, pt.F.PTELevel(), func(l int) (*Table, bool, error) {
		return pt.allocTable(l, GFPPgtableUser, "__pte_alloc")
	})
	if err != nil || !ok {
		return ok, err
	}
	if !pt.F.HasNX {
		e &^= NX
	}
	i := pt.F.Index(pt.F.PTELevel(), va)
	old := t.E[i]
	if err := pt.mapCount(e | User); err != nil {
		return false, err
	}
	pt.unmapCount(old)
	if e != 0 {
		e |= User
	}
	pt.set(t, i, e, nil)
	return true, nil
}

// UserTables counts the page-table pages under the user half of a PGD,
// the PGD included (mm_pgtables_bytes() in pages).
func (pt *Tables) UserTables(g *PGD) int {
	n := 1
	var walk func(t *Table, level, limit int)
	walk = func(t *Table, level, limit int) {
		for i := 0; i < limit; i++ {
			if s := t.Sub(i); s != nil {
				n++
				if level+1 < pt.F.PTELevel() {
					walk(s, level+1, len(s.E))
				}
			}
		}
	}
	walk(g.Top, 0, pt.boundary)
	return n
}
