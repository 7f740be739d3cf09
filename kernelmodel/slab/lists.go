package slab

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
