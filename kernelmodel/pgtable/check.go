package pgtable

import (
	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/bug"
	"mmsim/kernelmodel/phys"
)

// Check verifies the page tables' invariants when they changed since the
// last passing check:
//   - pgtable-kernel-half: the kernel half of every PGD equals init_mm's;
//   - pgtable-links: every entry pointing to a table holds that table's
//     frame, each table's count of used entries is right, and no table is
//     reachable twice except through the shared kernel half;
//   - pgtable-accounting: the tables taken from the buddy allocator are
//     exactly the reachable ones, each an allocated frame marked PG_table;
//   - pgtable-frame: every present leaf outside the direct map, the
//     kernel text, the pkmap area and the fixmap maps allocated frames;
//   - pgtable-mapcount: a frame's mapcount equals the user entries that
//     map it.
func (pt *Tables) Check() error {
	if pt.Gen == pt.checked && pt.Mem.Gen() == pt.memGen {
		return nil
	}
	c := checker{pt: pt, seen: map[*Table]bool{}, maps: map[phys.PFN]int{}}
	if err := c.table(pt.Init.Top, 0, 0, true); err != nil {
		return err
	}
	for _, g := range pt.pgds {
		for i := pt.boundary; i < len(g.Top.E); i++ {
			// The CPU sets the accessed and dirty bits in the copy it
			// walked: they may differ between PGDs.
			if (g.Top.E[i]^pt.Init.Top.E[i])&^(Accessed|Dirty) != 0 || g.Top.sub[i] != pt.Init.Top.sub[i] {
				return bug.Violation("pgtable-kernel-half", "%s: PGD entry %d is %#x, init_mm's is %#x", g.Name, i, uint64(g.Top.E[i]), uint64(pt.Init.Top.E[i]))
			}
		}
		if err := c.table(g.Top, 0, 0, false); err != nil {
			return err
		}
	}
	if c.allocated != pt.Allocated {
		return bug.Violation("pgtable-accounting", "%d page-table pages are reachable, %d were allocated and not freed", c.allocated, pt.Allocated)
	}
	total := int64(0)
	for _, n := range c.maps {
		total += int64(n)
	}
	if got := pt.Mem.MapcountTotal(); got != total {
		return bug.Violation("pgtable-mapcount", "user entries map frames %d times, the frames' mapcounts add up to %d", total, got)
	}
	for pfn, n := range c.maps {
		info, err := pt.Mem.Page(pfn)
		if err != nil || info.Mapcount != n {
			return bug.Violation("pgtable-mapcount", "pfn %#x is mapped by %d user entries, its mapcount is %d", uint64(pfn), n, info.Mapcount)
		}
	}
	pt.checked, pt.memGen = pt.Gen, pt.Mem.Gen()
	return nil
}

type checker struct {
	pt        *Tables
	seen      map[*Table]bool
	maps      map[phys.PFN]int
	allocated int
}

func (c *checker) table(t *Table, level int, base uint64, kernel bool) error {
	pt := c.pt
	if c.seen[t] {
		return bug.Violation("pgtable-links", "the %s table at pfn %#x is reachable twice", pt.F.Names[level], uint64(t.PFN))
	}
	c.seen[t] = true
	if !t.Boot {
		c.allocated++
		info, err := pt.Mem.Page(t.PFN)
		if err != nil || info.Free || info.Flags&phys.PGTable == 0 || info.Owner != phys.OwnerPageTable {
			return bug.Violation("pgtable-accounting", "the %s table at pfn %#x is not an allocated page-table page", pt.F.Names[level], uint64(t.PFN))
		}
	}
	used := 0
	span := pt.F.Span(level)
	for i, e := range t.E {
		if e != 0 {
			used++
		}
		va := base + uint64(i)*span
		if level == 0 {
			if i >= pt.boundary && !kernel {
				continue // the shared kernel half, checked through init_mm
			}
			if i < pt.boundary && kernel {
				if e != 0 {
					return bug.Violation("pgtable-links", "init_mm maps user PGD entry %d", i)
				}
				continue
			}
			if pt.F.VABits > 32 && va>>(pt.F.VABits-1) != 0 {
				va |= ^uint64(0) << (pt.F.VABits - 1) // sign-extend the upper half
			}
		}
		s := t.Sub(i)
		if s != nil {
			if e&Present == 0 || pt.F.Addr(e) != s.PFN.Addr() || s.Level != level+1 {
				return bug.Violation("pgtable-links", "%s entry %d of the table at pfn %#x is %#x but points to the table at pfn %#x", pt.F.Names[level], i, uint64(t.PFN), uint64(e), uint64(s.PFN))
			}
			if err := c.table(s, level+1, va, kernel); err != nil {
				return err
			}
			continue
		}
		if e&Present == 0 {
			continue
		}
		if level < pt.F.PTELevel() && e&PSE == 0 {
			return bug.Violation("pgtable-links", "%s entry %d of the table at pfn %#x is present without a table or PSE", pt.F.Names[level], i, uint64(t.PFN))
		}
		if err := c.leaf(arch.VirtAddr(va), e, span, kernel); err != nil {
			return err
		}
	}
	if used != t.used {
		return bug.Violation("pgtable-links", "the table at pfn %#x has %d used entries, the count says %d", uint64(t.PFN), used, t.used)
	}
	return nil
}

// leaf checks a present leaf: the frames it maps must be allocated unless
// it is part of the kernel's permanent maps of all memory.
func (c *checker) leaf(va arch.VirtAddr, e Entry, size uint64, kernel bool) error {
	pt := c.pt
	l := pt.Layout
	if kernel && (l.IsLowmem(va) || (l.KernelText != 0 && va >= l.KernelText && va < l.ModulesStart)) {
		return nil
	}
	if kernel && l.LastPkmap > 0 && va >= l.PkmapBase && va < l.PkmapAddr(l.LastPkmap) {
		// A pkmap slot nobody uses (count 1) keeps its page mapped until
		// the next wrap, even after the page was freed, as in the kernel.
		return nil
	}
	if kernel && va >= l.FixaddrStart && va < l.FixaddrTop {
		// A kmap_local slot maps whatever page it was given; the kernel
		// does not notice that page being freed either.
		return nil
	}
	pfn := phys.PFN(pt.F.Addr(e) >> arch.PageShift)
	if e&Special == 0 {
		info, err := pt.Mem.Page(pfn)
		if err != nil || info.Free {
			return bug.Violation("pgtable-frame", "%#x maps pfn %#x, which is not an allocated frame", uint64(va), uint64(pfn))
		}
	}
	if !kernel && e&Special == 0 {
		c.maps[pfn]++
	}
	return nil
}
