package pgtable

import (
	"fmt"

	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/phys"
)

// Step is one level of a walk: the entry read and where it lives.
type Step struct {
	Level int
	Name  string // PGD, P4D, PUD, PMD, PTE
	Index int
	// Table is the table's frame, EntryAddr the entry's physical address.
	Table     phys.PFN
	EntryAddr phys.PhysAddr
	Entry     Entry
}

// Walk is a page-table walk of one virtual address, as the MMU does it
// on a TLB miss and as crash's vtop prints it.
type Walk struct {
	VA    arch.VirtAddr
	Steps []Step
	// Mapped is true when a present leaf was found; PA is then the
	// physical address and Size the page size.
	Mapped bool
	PA     phys.PhysAddr
	Size   uint64
	// Leaf is the leaf entry (also a non-present one holding a swap
	// entry); Missing names the level whose entry is not present.
	Leaf    Entry
	Missing string
	// Reason says why the walk failed, in plain words.
	Reason string
}

// Walk walks the tables of a PGD for va without changing anything.
func (pt *Tables) Walk(g *PGD, va arch.VirtAddr) Walk {
	w := Walk{VA: va}
	if !pt.F.Canonical(va) {
		w.Reason = pt.F.NonCanonical(va)
		return w
	}
	t := g.Top
	for l := 0; ; l++ {
		i := pt.F.Index(l, va)
		e := t.E[i]
		w.Steps = append(w.Steps, Step{Level: l, Name: pt.F.Names[l], Index: i, Table: t.PFN,
			EntryAddr: t.PFN.Addr() + phys.PhysAddr(i*pt.F.EntrySize), Entry: e})
		if e&Present == 0 {
			w.Missing, w.Leaf = pt.F.Names[l], e
			w.Reason = fmt.Sprintf("%s entry %d is not present", pt.F.Names[l], i)
			if e != 0 && l == pt.F.PTELevel() {
				if typ, off, ok := pt.F.DecodeSwap(e); ok {
					w.Reason = fmt.Sprintf("PTE holds swap entry type %d offset %#x", typ, off)
				}
			}
			return w
		}
		if l == pt.F.PTELevel() || e&PSE != 0 {
			w.Mapped, w.Leaf, w.Size = true, e, pt.F.Span(l)
			w.PA = pt.F.Addr(e)&^phys.PhysAddr(w.Size-1) + phys.PhysAddr(uint64(va)&(w.Size-1))
			return w
		}
		t = t.sub[i]
	}
}

// Translate returns the physical address va maps to in a PGD, with the
// leaf entry, or ok false.
func (pt *Tables) Translate(g *PGD, va arch.VirtAddr) (pa phys.PhysAddr, leaf Entry, size uint64, ok bool) {
	if !pt.F.Canonical(va) {
		return 0, 0, 0, false
	}
	t, i, l := pt.Lookup(g, va)
	if t == nil || t.E[i]&Present == 0 {
		return 0, 0, 0, false
	}
	e := t.E[i]
	size = pt.F.Span(l)
	return pt.F.Addr(e)&^phys.PhysAddr(size-1) + phys.PhysAddr(uint64(va)&(size-1)), e, size, true
}
