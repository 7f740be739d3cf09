package reclaim

// PFNMap maps page frame numbers to values, in chunks of 4096 frames
// made the first time one of their frames is set: lookups are an index,
// not a hash, and the memory follows the frames in use, not the
// machine's size. Each visits the entries in pfn order.
type PFNMap[V any] struct {
	chunks []*pfnChunk[V]
	n      int
}

const pfnChunkShift = 12

type pfnChunk[V any] struct {
	v   [1 << pfnChunkShift]V
	set [1 << pfnChunkShift]bool
	n   int
}

// Get returns the value of a frame.
func (m *PFNMap[V]) Get(pfn uint64) (V, bool) {
	var zero V
	i := pfn >> pfnChunkShift
	if i >= uint64(len(m.chunks)) || m.chunks[i] == nil {
		return zero, false
	}
	c := m.chunks[i]
	j := pfn & (1<<pfnChunkShift - 1)
	return c.v[j], c.set[j]
}

// Set gives a frame a value.
func (m *PFNMap[V]) Set(pfn uint64, v V) {
	i := pfn >> pfnChunkShift
	for i >= uint64(len(m.chunks)) {
		m.chunks = append(m.chunks, nil)
	}
	c := m.chunks[i]
	if c == nil {
		c = new(pfnChunk[V])
		m.chunks[i] = c
	}
	j := pfn & (1<<pfnChunkShift - 1)
	if !c.set[j] {
		c.set[j] = true
		c.n++
		m.n++
	}
	c.v[j] = v
}

// Delete removes a frame's value; a chunk left empty is freed.
func (m *PFNMap[V]) Delete(pfn uint64) {
	i := pfn >> pfnChunkShift
	if i >= uint64(len(m.chunks)) || m.chunks[i] == nil {
		return
	}
	c := m.chunks[i]
	j := pfn & (1<<pfnChunkShift - 1)
	if !c.set[j] {
		return
	}
	var zero V
	c.v[j], c.set[j] = zero, false
	c.n--
	m.n--
	if c.n == 0 {
		m.chunks[i] = nil
	}
}

// Len is the number of frames with a value.
func (m *PFNMap[V]) Len() int { return m.n }

// Each calls f for every frame with a value, lowest pfn first.
func (m *PFNMap[V]) Each(f func(pfn uint64, v V)) {
	for i, c := range m.chunks {
		if c == nil {
			continue
		}
		for j := range c.v {
			if c.set[j] {
				f(uint64(i)<<pfnChunkShift|uint64(j), c.v[j])
			}
		}
	}
}

// Ptr returns the address of a frame's value, or nil: values live in
// their chunk, which stays put until its last value is deleted.
func (m *PFNMap[V]) Ptr(pfn uint64) *V {
	i := pfn >> pfnChunkShift
	if i >= uint64(len(m.chunks)) || m.chunks[i] == nil {
		return nil
	}
	c := m.chunks[i]
	j := pfn & (1<<pfnChunkShift - 1)
	if !c.set[j] {
		return nil
	}
	return &c.v[j]
}
