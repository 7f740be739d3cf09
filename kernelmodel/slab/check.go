package slab

import (
	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/bug"
	"mmsim/kernelmodel/phys"
)

// Check verifies the slab layer's invariants: every object of a slab is
// free or allocated exactly once and the slab's counts agree; each slab is
// on the list its state says (a CPU's active slab, a CPU's partial list,
// the node's partial list, or none when full); its pages are one
// allocated block marked PG_slab and owned by the slab layer; each
// cache's totals are the sums over its slabs.
//
// As physical memory's check, it verifies only the slabs that changed
// since the last check, and everything once the changes since the last
// full check outnumber the slabs and objects that one went through.
func (a *Allocator) Check() error {
	if a.gen == a.checked {
		return nil
	}
	if a.dirtyOverflow || a.sinceFull >= a.fullCost {
		return a.CheckFull()
	}
	for _, s := range a.dirty {
		c := s.Cache
		if !c.slabs[s] {
			continue // discarded since
		}
		if err := c.checkSlab(s, c.arrayObjects()); err != nil {
			return err
		}
		if c.nrSlabs != len(c.slabs) {
			return bug.Violation("slab-cache-totals", "cache %s counts %d slabs but has %d", c.Name, c.nrSlabs, len(c.slabs))
		}
	}
	a.passed()
	return nil
}

func (a *Allocator) passed() {
	a.checked = a.gen
	a.dirty = a.dirty[:0]
	a.dirtyOverflow = false
}

// CheckFull verifies every invariant of every cache.
func (a *Allocator) CheckFull() error {
	cost := uint64(0)
	for _, c := range a.caches {
		if err := c.check(); err != nil {
			return err
		}
		cost += uint64(c.nrSlabs + c.nrObjs + 1)
	}
	a.fullCost = cost
	a.sinceFull = 0
	a.passed()
	return nil
}

// touch records a slab that changed, for the next check.
func (a *Allocator) touch(s *Slab) {
	a.gen++
	a.sinceFull += uint64(s.Objects)
	if len(a.dirty) < 1<<12 {
		a.dirty = append(a.dirty, s)
	} else {
		a.dirtyOverflow = true
	}
}

// arrayObjects returns the objects SLAB's per-CPU arrays hold (none under
// SLUB).
func (c *Cache) arrayObjects() map[arch.VirtAddr]bool {
	if c.classic == nil {
		return nil
	}
	out := map[arch.VirtAddr]bool{}
	for _, ac := range c.classic.arrays {
		for _, addr := range ac.entry {
			out[addr] = true
		}
	}
	return out
}

func (c *Cache) check() error {
	slabs, objs, inuse := 0, 0, 0
	inArray := c.arrayObjects()
	for s := range c.slabs {
		if err := c.checkSlab(s, inArray); err != nil {
			return err
		}
		slabs++
		objs += s.Objects
		inuse += s.InUse
	}
	if c.classic != nil {
		inuse -= len(inArray) // objects in the arrays are in use for their slab only
		return c.checkClassic(slabs, objs, inuse)
	}
	if slabs != c.nrSlabs || objs != c.nrObjs || inuse != c.inuse {
		return bug.Violation("slab-cache-totals", "cache %s counts %d slabs, %d objects, %d in use; its slabs hold %d, %d, %d", c.Name, c.nrSlabs, c.nrObjs, c.inuse, slabs, objs, inuse)
	}
	n := 0
	for s := c.partial.head; s != nil; s = s.next {
		n++
		if s.where != ListPartial || !c.slabs[s] {
			return bug.Violation("slab-list", "cache %s: the slab at pfn %#x is on the node's partial list but says it is %s", c.Name, uint64(s.PFN), s.where)
		}
		if s.InUse == s.Objects {
			return bug.Violation("slab-list", "cache %s: the full slab at pfn %#x is on the node's partial list", c.Name, uint64(s.PFN))
		}
	}
	if n != c.partial.n {
		return bug.Violation("slab-list", "cache %s: nr_partial is %d but the list holds %d slabs", c.Name, c.partial.n, n)
	}
	for i, cs := range c.cpu {
		if s := cs.slab; s != nil && (s.where != ListCPU || s.cpu != i || !c.slabs[s]) {
			return bug.Violation("slab-list", "cache %s: CPU %d's active slab at pfn %#x says it is %s of CPU %d", c.Name, i, uint64(s.PFN), s.where, s.cpu)
		}
		for _, s := range cs.partial {
			if s.where != ListCPUPartial || s.cpu != i || !c.slabs[s] || s.InUse == s.Objects {
				return bug.Violation("slab-list", "cache %s: the slab at pfn %#x on CPU %d's partial list says it is %s of CPU %d with %d of %d objects in use", c.Name, uint64(s.PFN), i, s.where, s.cpu, s.InUse, s.Objects)
			}
		}
	}
	return nil
}

func (c *Cache) checkSlab(s *Slab, inArray map[arch.VirtAddr]bool) error {
	free := make([]bool, s.Objects)
	for _, i := range s.freelist {
		if int(i) >= s.Objects || free[i] || s.used[i] {
			return bug.Violation("slab-objects", "cache %s: object %d of the slab at pfn %#x is on the free list twice, or while allocated", c.Name, i, uint64(s.PFN))
		}
		free[i] = true
	}
	used := 0
	for i := range s.used {
		switch {
		case s.used[i] && inArray[s.Addr(i)]:
			return bug.Violation("slab-objects", "cache %s: object %d of the slab at pfn %#x is allocated and in a per-CPU array", c.Name, i, uint64(s.PFN))
		case s.used[i] || inArray[s.Addr(i)]:
			if free[i] {
				return bug.Violation("slab-objects", "cache %s: object %d of the slab at pfn %#x is on the free list while in use", c.Name, i, uint64(s.PFN))
			}
			used++
		case !free[i]:
			return bug.Violation("slab-objects", "cache %s: object %d of the slab at pfn %#x is neither free nor allocated", c.Name, i, uint64(s.PFN))
		}
	}
	if used != s.InUse {
		return bug.Violation("slab-objects", "cache %s: the slab at pfn %#x counts %d objects in use but %d are", c.Name, uint64(s.PFN), s.InUse, used)
	}
	if c.classic != nil {
		want := ListPartial
		switch s.InUse {
		case 0:
			want = ListFree
		case s.Objects:
			want = ListFull
		}
		if s.where != want {
			return bug.Violation("slab-list", "cache %s: the slab at pfn %#x with %d of %d objects in use is on the %s list", c.Name, uint64(s.PFN), s.InUse, s.Objects, s.where)
		}
	}
	switch s.where {
	case ListFull:
		if s.InUse != s.Objects {
			return bug.Violation("slab-list", "cache %s: the slab at pfn %#x is on no list but has %d free objects", c.Name, uint64(s.PFN), s.Objects-s.InUse)
		}
	case ListCPU:
		if c.cpu[s.cpu].slab != s {
			return bug.Violation("slab-list", "cache %s: the slab at pfn %#x says it is CPU %d's active slab but is not", c.Name, uint64(s.PFN), s.cpu)
		}
	case ListPartial:
		// On the node's list: its head, or linked behind another slab.
		if c.classic == nil && c.partial.head != s && s.prev == nil {
			return bug.Violation("slab-list", "cache %s: the slab at pfn %#x says it is on the node's partial list but is not", c.Name, uint64(s.PFN))
		}
	case ListCPUPartial:
		found := false
		for _, t := range c.cpu[s.cpu].partial {
			found = found || t == s
		}
		if !found {
			return bug.Violation("slab-list", "cache %s: the slab at pfn %#x says it is on CPU %d's partial list but is not", c.Name, uint64(s.PFN), s.cpu)
		}
	}
	info, err := c.a.Mem.Page(s.PFN)
	if err != nil || info.Free || !info.Head() || info.Block.Order != s.Order || info.Flags&phys.PGSlab == 0 || info.Owner != phys.OwnerSlab {
		return bug.Violation("slab-page", "cache %s: the slab at pfn %#x is not an allocated order-%d block marked slab (flags %s, owner %s)", c.Name, uint64(s.PFN), s.Order, info.Flags, info.Owner)
	}
	for i := phys.PFN(0); i < 1<<s.Order; i++ {
		if c.a.slabOf.get(s.PFN+i) != s {
			return bug.Violation("slab-page", "cache %s: frame %#x of the slab at pfn %#x does not map back to it", c.Name, uint64(s.PFN+i), uint64(s.PFN))
		}
	}
	return nil
}

// checkClassic checks SLAB's lists and counts.
func (c *Cache) checkClassic(slabs, objs, inuse int) error {
	k := c.classic
	if slabs != c.nrSlabs || objs != c.nrObjs || inuse != c.inuse {
		return bug.Violation("slab-cache-totals", "cache %s counts %d slabs, %d objects, %d in use; its slabs hold %d, %d, %d", c.Name, c.nrSlabs, c.nrObjs, c.inuse, slabs, objs, inuse)
	}
	free, listed := 0, 0
	for _, l := range []struct {
		list  *slabList
		where List
	}{{&k.full, ListFull}, {&k.partial, ListPartial}, {&k.free, ListFree}} {
		n := 0
		for s := l.list.head; s != nil; s = s.next {
			n++
			if s.where != l.where || !c.slabs[s] {
				return bug.Violation("slab-list", "cache %s: the slab at pfn %#x is on the %s list but says %s", c.Name, uint64(s.PFN), l.where, s.where)
			}
			free += s.Objects - s.InUse
		}
		if n != l.list.n {
			return bug.Violation("slab-list", "cache %s: the %s list counts %d slabs but holds %d", c.Name, l.where, l.list.n, n)
		}
		listed += n
	}
	if listed != slabs {
		return bug.Violation("slab-list", "cache %s: %d slabs but %d on the lists", c.Name, slabs, listed)
	}
	if free != k.freeObjects {
		return bug.Violation("slab-cache-totals", "cache %s: free_objects is %d but the slabs hold %d free objects", c.Name, k.freeObjects, free)
	}
	return nil
}
