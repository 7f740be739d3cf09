package stdlib

import (
	"fmt"
	"strings"

	"mmsim/kernelmodel"
	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/phys"
	"mmsim/runtime"
)

// Memory contents: read and write bytes at kernel addresses. So far the
// direct map (lowmem) is what a script can reach; user and vmalloc
// addresses come with page tables.

func init() {
	registerModel("read", "read(addr, size=1): the little-endian value of size (1, 2, 4 or 8) bytes at a kernel address", builtinRead)
	registerModel("write", "write(addr, value, size=1): store value in size (1, 2, 4 or 8) bytes at a kernel address", builtinWrite)
	Register(&runtime.Builtin{Name: "touch", Words: []string{"read", "write", "exec"}, Doc: "touch ADDR [read|write|exec]: access a byte without changing it (kernel addresses so far)", Fn: modelFn(builtinTouch)})
}

// builtinTouch accesses one byte: the checks of read and write, no data.
func builtinTouch(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	var addr uint64
	kind := "read"
	if err := c.Unpack("addr", &addr, "kind?", &kind); err != nil {
		return nil, err
	}
	switch kind {
	case "read", "write":
	case "exec":
		return nil, runtime.Errorf(runtime.KindBug, "kernel tried to execute NX-protected page at %#x (the direct map is not executable)", addr)
	default:
		return nil, fmt.Errorf("%s: %q is not read, write or exec", c.Name, kind)
	}
	_, err := memAccess(m, c, addr, 1, kind == "write")
	return nil, err
}

// memAccess checks an access of size bytes at addr and returns the
// physical address: a NULL-page address is the kernel's oops, an address
// outside the direct map an error; a freed slab object gives the KASAN
// report as a warning, and the access goes on.
func memAccess(m *kernelmodel.Machine, c *runtime.Call, addr uint64, size int64, write bool) (phys.PhysAddr, error) {
	switch size {
	case 1, 2, 4, 8:
	default:
		return 0, fmt.Errorf("%s: size %d is not 1, 2, 4 or 8", c.Name, size)
	}
	if addr < arch.PageSize {
		return 0, runtime.Errorf(runtime.KindBug, "kernel NULL pointer dereference, address: %016x (%s of %d bytes)", addr, c.Name, size)
	}
	l := m.Layout
	end := addr + uint64(size) - 1
	if !l.IsLowmem(arch.VirtAddr(addr)) || !l.IsLowmem(arch.VirtAddr(end)) {
		return 0, fmt.Errorf("%s: %#x is not a direct-map kernel address (lowmem is %#x-%#x); other addresses need page tables, which are not modelled yet", c.Name, addr, uint64(l.PageOffset), uint64(l.HighMemory)-1)
	}
	if w := m.Slab.Access(arch.VirtAddr(addr), int(size), write); w != "" {
		m.Warn(w)
	}
	return phys.PhysAddr(addr - uint64(l.PageOffset)), nil
}

func builtinRead(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	var addr uint64
	size := int64(1)
	if err := c.Unpack("addr", &addr, "size?", &size); err != nil {
		return nil, err
	}
	pa, err := memAccess(m, c, addr, size, false)
	if err != nil {
		return nil, err
	}
	var v uint64
	for i, b := range m.Phys.ReadPhys(pa, int(size)) {
		v |= uint64(b) << (8 * i)
	}
	return runtime.Int(int64(v)), nil
}

func builtinWrite(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	var addr uint64
	var value int64
	size := int64(1)
	if err := c.Unpack("addr", &addr, "value", &value, "size?", &size); err != nil {
		return nil, err
	}
	switch size {
	case 1, 2, 4, 8: // checked before the value: a shift by 8*size must not go negative
	default:
		return nil, fmt.Errorf("%s: size %d is not 1, 2, 4 or 8", c.Name, size)
	}
	if size < 8 && (value >= 1<<(8*size) || value < -(1<<(8*size-1))) {
		return nil, fmt.Errorf("%s: %d does not fit in %d byte%s", c.Name, value, size, plural(int(size)))
	}
	pa, err := memAccess(m, c, addr, size, true)
	if err != nil {
		return nil, err
	}
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(uint64(value) >> (8 * i))
	}
	m.Phys.WritePhys(pa, b)
	return nil, nil
}

// LeakReport is kmemleak's report of the objects a script allocated and
// never freed, or "" when there are none.
func LeakReport(h *Host) string {
	if h == nil || h.Machine == nil {
		return ""
	}
	leaks := h.Machine.Slab.Leaks()
	if len(leaks) == 0 {
		return ""
	}
	var b strings.Builder
	for _, l := range leaks {
		fmt.Fprintf(&b, "unreferenced object 0x%x (size %d):\n  comm \"mmsim\", pid 0\n  allocated at %s, %s\n", uint64(l.Addr), l.Size, l.Site, l.Cache)
	}
	fmt.Fprintf(&b, "kmemleak: %d new suspected memory leak%s\n", len(leaks), plural(len(leaks)))
	return b.String()
}
