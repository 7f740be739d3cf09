package phys

// The contents of physical memory, kept sparsely: a frame has bytes of
// its own once something wrote to it; every other byte reads as zero.

type frameBytes [1 << pageShift]byte

// ReadPhys returns n bytes of physical memory from addr.
func (m *Mem) ReadPhys(addr PhysAddr, n int) []byte {
	out := make([]byte, n)
	for done := 0; done < n; {
		a := addr + PhysAddr(done)
		off := int(a & (1<<pageShift - 1))
		k := min(n-done, 1<<pageShift-off)
		if f := m.contents[PFN(a>>pageShift)]; f != nil {
			copy(out[done:done+k], f[off:off+k])
		}
		done += k
	}
	return out
}

// WritePhys stores bytes in physical memory at addr, a frame at a time; a
// frame gets bytes of its own only when a non-zero byte is written to it.
func (m *Mem) WritePhys(addr PhysAddr, b []byte) {
	for done := 0; done < len(b); {
		a := addr + PhysAddr(done)
		off := int(a & (1<<pageShift - 1))
		k := min(len(b)-done, 1<<pageShift-off)
		m.writeFrame(PFN(a>>pageShift), off, b[done:done+k])
		done += k
	}
}

func (m *Mem) writeFrame(pfn PFN, off int, b []byte) {
	f := m.contents[pfn]
	if f == nil {
		zero := true
		for _, v := range b {
			if v != 0 {
				zero = false
				break
			}
		}
		if zero {
			return
		}
		f = new(frameBytes)
		if m.contents == nil {
			m.contents = map[PFN]*frameBytes{}
		}
		m.contents[pfn] = f
	}
	copy(f[off:], b)
}

// Frame returns the bytes of a frame, giving it bytes of its own if it had
// none: for a subsystem that keeps a structure in a frame it owns (page
// tables) and writes it often. The frame must be valid.
func (m *Mem) Frame(pfn PFN) *[1 << pageShift]byte {
	f := m.contents[pfn]
	if f == nil {
		f = new(frameBytes)
		if m.contents == nil {
			m.contents = map[PFN]*frameBytes{}
		}
		m.contents[pfn] = f
	}
	return (*[1 << pageShift]byte)(f)
}

// FillPhys sets n bytes at addr to v (memset).
func (m *Mem) FillPhys(addr PhysAddr, n int, v byte) {
	var chunk [1 << pageShift]byte
	if v != 0 {
		for i := range chunk {
			chunk[i] = v
		}
	}
	for done := 0; done < n; {
		a := addr + PhysAddr(done)
		off := int(a & (1<<pageShift - 1))
		k := min(n-done, 1<<pageShift-off)
		m.writeFrame(PFN(a>>pageShift), off, chunk[:k])
		done += k
	}
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
