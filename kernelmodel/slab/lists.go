package slab

import "mmsim/kernelmodel/arch"

// CPUSlab returns a CPU's active slab, or nil.
func (c *Cache) CPUSlab(cpu int) *Slab { return c.cpu[cpu].slab }

// CPUPartialList returns a CPU's partial list, head (the next one used)
// first.
func (c *Cache) CPUPartialList(cpu int) []*Slab {
	l := c.cpu[cpu].partial
	out := make([]*Slab, len(l))
	for i, s := range l {
		out[len(l)-1-i] = s
	}
	return out
}

// NodePartialList returns the node's partial list, head first.
func (c *Cache) NodePartialList() []*Slab {
	var out []*Slab
	for s := c.partial.head; s != nil; s = s.next {
		out = append(out, s)
	}
	return out
}

// FullSlabs returns the slabs on no list (every object in use), by
// address. SLUB does not track them; the model does, for views.
func (c *Cache) FullSlabs() []*Slab {
	var out []*Slab
	for _, s := range c.Slabs() {
		if s.where == ListFull {
			out = append(out, s)
		}
	}
	return out
}

// CPUs is the number of CPUs the cache has per-CPU state for.
func (c *Cache) CPUs() int { return len(c.cpu) }

// ClassicLists returns SLAB's slabs_full, slabs_partial and slabs_free,
// each head first (nil under SLUB).
func (c *Cache) ClassicLists() (full, partial, free []*Slab) {
	k := c.classic
	if k == nil {
		return nil, nil, nil
	}
	walk := func(l slabList) []*Slab {
		var out []*Slab
		for s := l.head; s != nil; s = s.next {
			out = append(out, s)
		}
		return out
	}
	return walk(k.full), walk(k.partial), walk(k.free)
}

// ArrayAvail returns how many objects a CPU's array holds (SLAB).
func (c *Cache) ArrayAvail(cpu int) int {
	if c.classic == nil {
		return 0
	}
	return len(c.classic.arrays[cpu].entry)
}

// Classic reports whether the cache runs the classic SLAB allocator.
func (c *Cache) Classic() bool { return c.classic != nil }

// InArrays returns the objects SLAB's per-CPU arrays hold: free for their
// users, in use for their slabs.
func (c *Cache) InArrays() map[arch.VirtAddr]bool { return c.arrayObjects() }

// LeftOver is the bytes of a slab no object uses: under SLAB after the
// on-slab management, and what colouring shifts objects into.
func (c *Cache) LeftOver() int {
	if c.classic != nil {
		return c.classic.leftOver
	}
	return arch.PageSize<<c.Order - c.ObjsPerSlab*c.Size
}

// ReclaimablePages counts the pages of slabs of SLAB_RECLAIM_ACCOUNT
// caches: NR_SLAB_RECLAIMABLE_B, in pages.
func (a *Allocator) ReclaimablePages() uint64 {
	var n uint64
	for _, c := range a.caches {
		if c.Flags&SlabReclaimAccount != 0 {
			for s := range c.slabs {
				n += 1 << s.Order
			}
		}
	}
	return n
}
