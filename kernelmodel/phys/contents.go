package phys

// The contents of physical memory, kept sparsely: a frame has bytes of
// its own once something wrote to it; every other byte reads as zero.

type frameBytes [1 << pageShift]byte

// ReadPhys returns n bytes of physical memory from addr.
func (m *Mem) ReadPhys(addr PhysAddr, n int) []byte {
	out := make([]byte, n)
	for i := range out {
		a := addr + PhysAddr(i)
		if f := m.contents[PFN(a>>pageShift)]; f != nil {
			out[i] = f[a&(1<<pageShift-1)]
		}
	}
	return out
}

// WritePhys stores bytes in physical memory at addr.
func (m *Mem) WritePhys(addr PhysAddr, b []byte) {
	for i, v := range b {
		a := addr + PhysAddr(i)
		pfn := PFN(a >> pageShift)
		f := m.contents[pfn]
		if f == nil {
			if v == 0 {
				continue
			}
			f = new(frameBytes)
			if m.contents == nil {
				m.contents = map[PFN]*frameBytes{}
			}
			m.contents[pfn] = f
		}
		f[a&(1<<pageShift-1)] = v
	}
}

// FillPhys sets n bytes at addr to v (memset).
func (m *Mem) FillPhys(addr PhysAddr, n int, v byte) {
	b := make([]byte, n)
	for i := range b {
		b[i] = v
	}
	m.WritePhys(addr, b)
}

// zeroBlock drops the contents of a block's frames: __GFP_ZERO.
func (m *Mem) zeroBlock(pfn PFN, order int) {
	if m.contents == nil {
		return
	}
	for i := PFN(0); i < 1<<order; i++ {
		delete(m.contents, pfn+i)
	}
}
