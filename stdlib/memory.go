package stdlib

import (
	"fmt"
	"slices"
	"strings"

	"mmsim/kernelmodel"
	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/mm"
	"mmsim/kernelmodel/phys"
	"mmsim/kernelmodel/tlb"
	"mmsim/kernelmodel/vmalloc"
	"mmsim/runtime"
)

// Memory contents: read and write bytes at kernel addresses, through the
// MMU: the direct map, vmalloc areas, kmap and kmap_local addresses. User
// addresses come with processes.

func init() {
	registerModel("read", "read(addr, size=1): the little-endian value of size (1, 2, 4 or 8) bytes at a kernel address", builtinRead)
	registerModel("write", "write(addr, value, size=1): store value in size (1, 2, 4 or 8) bytes at a kernel address", builtinWrite)
	Register(&runtime.Builtin{Name: "touch", Words: []string{"read", "write", "exec"}, Doc: "touch ADDR [read|write|exec]: access a byte without changing it, through the TLB and page tables (kernel addresses so far)", Fn: modelFn(builtinTouch)})
}

// builtinTouch accesses one byte: the checks of read and write, no data.
func builtinTouch(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	var addr uint64
	kind := "read"
	if err := c.Unpack("addr", &addr, "kind?", &kind); err != nil {
		return nil, err
	}
	acc, err := parseAccess(c, kind)
	if err != nil {
		return nil, err
	}
	_, err = memAccess(m, c, addr, 1, acc)
	return nil, err
}

// piece is the part of an access that falls in one page: its physical
// address and length.
type piece struct {
	pa phys.PhysAddr
	n  int
}

// memAccess checks an access of size bytes at addr and returns where its
// bytes are, a piece per page: the MMU of the current CPU translates each
// page the access touches (the TLB, then the page tables), and pages next
// to each other in virtual memory need not be in physical memory (vmalloc,
// kmap). A fault in the kernel is
// the kernel's oops, as is a NULL-page address. A freed slab object gives
// the KASAN report as a warning for a read or write (KASAN does not see
// instruction fetches), and the access goes on.
func memAccess(m *kernelmodel.Machine, c *runtime.Call, addr uint64, size int64, acc tlb.Access) ([]piece, error) {
	switch size {
	case 1, 2, 4, 8:
	default:
		return nil, fmt.Errorf("%s: size %d is not 1, 2, 4 or 8", c.Name, size)
	}
	if arch.VirtAddr(addr) < m.Layout.TaskSize {
		if t := m.Procs.Current(); t != nil {
			return userAccess(m, t, addr, size, acc)
		}
	}
	if addr < arch.PageSize {
		return nil, runtime.Errorf(runtime.KindBug, "kernel NULL pointer dereference, address: %0*x (%s of %d bytes)", hexWidth(m), addr, c.Name, size)
	}
	l := m.Layout
	end := addr + uint64(size) - 1
	if end < addr {
		end = ^uint64(0) // runs off the top of the address space: the first page faults
	}
	if l.Arch == "x86" && addr > 0xffffffff {
		return nil, fmt.Errorf("%s: %#x is above 4 GiB: not a 32-bit address", c.Name, addr)
	}
	if arch.VirtAddr(addr) < l.TaskSize || arch.VirtAddr(end) < l.TaskSize {
		return nil, fmt.Errorf("%s: %#x is a user address, and no process is running on cpu %d: spawn one, switch to one, or use as PID { }", c.Name, addr, m.CPU())
	}
	pa, err := kernelAccess(m, c, addr, acc)
	if err != nil {
		return nil, err
	}
	pieces := []piece{{pa, int(size)}}
	if end>>arch.PageShift != addr>>arch.PageShift {
		next := (addr | (arch.PageSize - 1)) + 1
		pa2, err := kernelAccess(m, c, next, acc)
		if err != nil {
			return nil, err
		}
		pieces = []piece{{pa, int(next - addr)}, {pa2, int(end - next + 1)}}
	}
	if l.IsLowmem(arch.VirtAddr(addr)) && acc != tlb.Exec {
		if w := m.Slab.Access(arch.VirtAddr(addr), int(size), acc == tlb.Write); w != "" {
			m.Warn(w)
		}
	}
	return pieces, nil
}

// kernelAccess translates one kernel access; a fault is the oops of
// arch/x86/mm/fault.c:page_fault_oops().
func kernelAccess(m *kernelmodel.Machine, c *runtime.Call, addr uint64, acc tlb.Access) (phys.PhysAddr, error) {
	pa, f := m.MMU.Translate(m.CPU(), arch.VirtAddr(addr), acc, false)
	if f == nil {
		return pa, nil
	}
	if f.GP {
		return 0, runtime.Errorf(runtime.KindBug, "%s (%s at %#x)", f.Reason, c.Name, addr)
	}
	what, nx := "not-present page", ""
	if f.Code&tlb.PFProt != 0 {
		what = "permissions violation"
	}
	if acc == tlb.Exec && f.Code&tlb.PFProt != 0 {
		nx = "kernel tried to execute NX-protected page - exploit attempt? (uid: 0); "
	}
	where := ""
	if a, ok := m.Vmalloc.Find(arch.VirtAddr(addr)); ok && !a.Contains(arch.VirtAddr(addr)) {
		where = fmt.Sprintf(": the guard page after the vmalloc area at %#x", uint64(a.Addr))
	} else if m.Vmalloc.Stale(arch.VirtAddr(addr)) {
		where = ": a vmalloc area that was vfree()d"
	}
	how := acc.String() + " access"
	if acc == tlb.Exec {
		how = "instruction fetch" // show_fault_oops()'s words
	}
	return 0, runtime.Errorf(runtime.KindBug, "%sunable to handle page fault for address: %#x%s (#PF: supervisor %s in kernel mode, error_code(0x%04x) - %s; %s)", nx, addr, where, how, f.Code, what, f.Reason)
}

func builtinRead(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	var addr uint64
	size := int64(1)
	if err := c.Unpack("addr", &addr, "size?", &size); err != nil {
		return nil, err
	}
	pieces, err := memAccess(m, c, addr, size, tlb.Read)
	if err != nil {
		return nil, err
	}
	var bytes []byte
	for _, p := range pieces {
		bytes = append(bytes, m.Phys.ReadPhys(p.pa, p.n)...)
	}
	var v uint64
	for i, b := range bytes {
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
	pieces, err := memAccess(m, c, addr, size, tlb.Write)
	if err != nil {
		return nil, err
	}
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(uint64(value) >> (8 * i))
	}
	for _, p := range pieces {
		m.Phys.WritePhys(p.pa, b[:p.n])
		b = b[p.n:]
	}
	return nil, nil
}

// LeakReport is kmemleak's report of the objects a script allocated and
// never freed: slab objects and large kmallocs, then vmalloc areas (whose
// page arrays, referenced by their areas, are no leaks of their own), or
// "" when there are none.
func LeakReport(h *Host) string {
	if h == nil || h.Machine == nil {
		return ""
	}
	m := h.Machine
	// What vmalloc's areas refer to is no leak: their page arrays and the
	// kernel's vm_struct and vmap_area objects.
	arrays := map[arch.VirtAddr]bool{}
	var areas []*vmalloc.Area
	for _, a := range m.Vmalloc.Areas() {
		for _, p := range []arch.VirtAddr{a.Array, a.VMStruct, a.VmapArea} {
			if p != 0 {
				arrays[p] = true
			}
		}
		if a.State == vmalloc.Busy {
			areas = append(areas, a)
		}
	}
	// Nor is what the processes that exist hold (kmemleak finds it
	// referenced from the task list).
	caches, stacks := m.Procs.LiveKernelMemory()
	for _, st := range stacks {
		arrays[st] = true
	}
	var b strings.Builder
	n := 0
	for _, l := range m.Slab.Leaks() {
		if arrays[l.Addr] || (l.From != nil && slices.Contains(caches, l.From)) {
			continue
		}
		n++
		fmt.Fprintf(&b, "unreferenced object 0x%x (size %d):\n  comm \"mmsim\", pid 0\n  allocated at %s, %s\n", uint64(l.Addr), l.Size, l.Site, l.Cache)
	}
	for _, a := range areas {
		if arrays[a.Addr] {
			continue
		}
		n++
		fmt.Fprintf(&b, "unreferenced object 0x%x (size %d):\n  comm \"mmsim\", pid 0\n  allocated at %s, vmalloc\n", uint64(a.Addr), a.DataSize(), a.Caller)
	}
	if n == 0 {
		return ""
	}
	fmt.Fprintf(&b, "kmemleak: %d new suspected memory leak%s\n", n, plural(n))
	return b.String()
}

// userAccess is an access of the running process to its own memory: each
// page the access touches goes through the MMU and, on a page fault,
// the fault handler (which may answer with SIGSEGV).
func userAccess(m *kernelmodel.Machine, t *mm.Task, addr uint64, size int64, acc tlb.Access) ([]piece, error) {
	var pieces []piece
	for size > 0 {
		n := int64(arch.PageSize - addr&(arch.PageSize-1))
		if n > size {
			n = size
		}
		pa, err := m.Procs.Access(t, addr, acc)
		if err != nil {
			return nil, err
		}
		pieces = append(pieces, piece{pa, int(n)})
		addr += uint64(n)
		size -= n
	}
	return pieces, nil
}
