package stdlib

import (
	"fmt"
	"math"
	"strings"

	"mmsim/kernelmodel"
	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/pgtable"
	"mmsim/kernelmodel/phys"
	"mmsim/kernelmodel/tlb"
	"mmsim/kernelmodel/vmalloc"
	"mmsim/runtime"
)

// The kernel's virtual address space: vmalloc, highmem mappings, address
// translation through the page tables and the TLB.

func init() {
	registerModel("vmalloc", "vmalloc(size): virtually contiguous kernel memory, page by page, in the vmalloc area; or NULL", builtinVmalloc("vmalloc", phys.GFPKernel, 0))
	registerModel("vzalloc", "vzalloc(size): vmalloc, zeroed", builtinVmalloc("vzalloc", phys.GFPKernel|phys.GfpZero, 0))
	registerModel("vmalloc_user", "vmalloc_user(size): zeroed vmalloc memory that may be mapped to user space", builtinVmalloc("vmalloc_user", phys.GFPKernel|phys.GfpZero, vmalloc.VMUserMap))
	registerModel("__vmalloc", "__vmalloc(size, gfp): vmalloc with a GFP mask", builtinVmalloc("__vmalloc", 0, 0))
	registerModel("kvmalloc", "kvmalloc(size, gfp): kmalloc if it can without trying hard, else vmalloc", builtinKvmalloc(0))
	registerModel("kvzalloc", "kvzalloc(size, gfp): kvmalloc, zeroed", builtinKvmalloc(phys.GfpZero))
	registerModel("kvfree", "kvfree(addr): vfree a vmalloc address, kfree anything else", builtinKvfree)
	registerModel("vfree", "vfree(addr): free vmalloc memory (NULL: nothing; in interrupt context the free is deferred)", builtinVfree)
	registerModel("vmalloc_to_page", "vmalloc_to_page(addr): the page mapped at a vmalloc address, or NULL", builtinVmallocToPage)
	registerModel("is_vmalloc_addr", "is_vmalloc_addr(addr): whether the address lies in the vmalloc area", builtinIsVmallocAddr)
	registerModel("vm_unmap_aliases", "vm_unmap_aliases(): flush the TLB for every lazily freed vmalloc area now", builtinVmUnmapAliases)
	registerModel("phys_to_virt", "phys_to_virt(paddr): the direct-map address of a physical address in lowmem", builtinPhysToVirt)
	registerModel("kmap", "kmap(page): a kernel address for the page; highmem pages take a pkmap slot (may sleep)", builtinKmap)
	registerModel("kunmap", "kunmap(page): undo one kmap", builtinKunmap)
	registerModel("kmap_atomic", "kmap_atomic(page): a per-CPU fixmap mapping; no sleeping until kunmap_atomic", builtinKmapLocal(true))
	registerModel("kunmap_atomic", "kunmap_atomic(addr): undo the last kmap_atomic", builtinKunmapLocal(true))
	registerModel("kmap_local_page", "kmap_local_page(page): a CPU-local fixmap mapping, undone in reverse order", builtinKmapLocal(false))
	registerModel("kunmap_local", "kunmap_local(addr): undo the last kmap_local_page", builtinKunmapLocal(false))
	registerModel("translate", "translate(addr, access=\"read\"): the physical address an access reaches through the TLB and page tables, or a string saying why it faults", builtinTranslate)
	registerModel("split_vaddr", "split_vaddr(addr, paging=the machine's): the table index at each level and the page offset, as a map (\"pgd\", ..., \"pte\", \"offset\")", builtinSplitVaddr)
	registerModel("set_memory_ro", "set_memory_ro(addr, numpages): make kernel pages read-only (the TLB is flushed on every CPU)", builtinSetMemory(0, pgtable.RW))
	registerModel("set_memory_rw", "set_memory_rw(addr, numpages): make kernel pages writable again", builtinSetMemory(pgtable.RW, 0))
	registerModel("set_memory_nx", "set_memory_nx(addr, numpages): make kernel pages non-executable", builtinSetMemory(pgtable.NX, 0))
	registerModel("set_memory_x", "set_memory_x(addr, numpages): make kernel pages executable", builtinSetMemory(0, pgtable.NX))
	registerModel("flush_tlb_all", "flush_tlb_all(): empty every CPU's TLB", builtinFlushTLBAll)
	registerModel("flush_tlb_kernel_range", "flush_tlb_kernel_range(start, end): flush kernel addresses from every CPU's TLB", builtinFlushTLBKernelRange)
}

// vmallocOrigin is the provenance of a vmalloc address.
type vmallocOrigin struct {
	fn   string
	size uint64
}

func (o vmallocOrigin) Describe() string { return fmt.Sprintf("%s area of %d bytes", o.fn, o.size) }

// kmapOrigin is the provenance of a kmap address.
type kmapOrigin struct {
	pfn phys.PFN
	fn  string
}

func (o kmapOrigin) Describe() string { return fmt.Sprintf("%s of pfn %#x", o.fn, uint64(o.pfn)) }

func builtinVmalloc(fn string, gfp phys.GFP, flags vmalloc.Flags) modelBuiltin {
	return func(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
		var size int64
		g := gfp
		if fn == "__vmalloc" {
			var gv int64
			if err := c.Unpack("size", &size, "gfp", &gv); err != nil {
				return nil, err
			}
			var err error
			if g, err = argGFP(c, gv); err != nil {
				return nil, err
			}
		} else if err := c.Unpack("size", &size); err != nil {
			return nil, err
		}
		if size < 0 {
			return nil, fmt.Errorf("%s: size %d is negative", fn, size)
		}
		va, ok, err := m.Vmalloc.Alloc(vmalloc.Request{Size: uint64(size), GFP: g, Flags: flags, Caller: c.Pos.String(), Func: fn})
		if err != nil || !ok {
			return runtime.Null, err
		}
		return runtime.Ptr{Addr: uint64(va), Origin: vmallocOrigin{fn, uint64(size)}}, nil
	}
}

func builtinVfree(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	var addr uint64
	if err := c.Unpack("addr", &addr); err != nil {
		return nil, err
	}
	return nil, m.Vmalloc.Free(arch.VirtAddr(addr))
}

func builtinVmallocToPage(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	var addr uint64
	if err := c.Unpack("addr", &addr); err != nil {
		return nil, err
	}
	if !m.Layout.IsVmalloc(arch.VirtAddr(addr)) {
		return nil, fmt.Errorf("%s: %#x is not in the vmalloc area (%#x-%#x)", c.Name, addr, uint64(m.Layout.VmallocStart), uint64(m.Layout.VmallocEnd))
	}
	pfn, ok := m.Vmalloc.ToPage(arch.VirtAddr(addr))
	if !ok {
		return runtime.Null, nil
	}
	return Page{m, pfn}, nil
}

func builtinIsVmallocAddr(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	var addr uint64
	if err := c.Unpack("addr", &addr); err != nil {
		return nil, err
	}
	return runtime.Bool(m.Layout.IsVmalloc(arch.VirtAddr(addr))), nil
}

func builtinVmUnmapAliases(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	if err := c.Unpack(); err != nil {
		return nil, err
	}
	m.Vmalloc.Purge()
	return nil, nil
}

// builtinPhysToVirt models phys_to_virt()/__va(): only lowmem has a
// permanent kernel address.
func builtinPhysToVirt(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	var pa uint64
	if err := c.Unpack("paddr", &pa); err != nil {
		return nil, err
	}
	if pa >= m.Layout.MaxPFN<<arch.PageShift {
		return nil, fmt.Errorf("%s: %#x is beyond the end of memory (%#x): no frame is there", c.Name, pa, m.Layout.MaxPFN<<arch.PageShift)
	}
	if pa >= m.Layout.MaxLowPFN<<arch.PageShift {
		return nil, fmt.Errorf("%s: %#x is above lowmem (which ends at %#x): a highmem frame has no permanent kernel address; map it with kmap or kmap_local_page", c.Name, pa, m.Layout.MaxLowPFN<<arch.PageShift)
	}
	return runtime.Ptr{Addr: uint64(m.Layout.Virt(pa))}, nil
}

// addrRule explains why virt_to_phys() does not apply to an address.
func addrRule(m *kernelmodel.Machine, addr uint64) string {
	l := m.Layout
	va := arch.VirtAddr(addr)
	switch {
	case l.IsVmalloc(va):
		return "it is a vmalloc address, whose pages are scattered in physical memory; use vmalloc_to_page"
	case l.LastPkmap > 0 && va >= l.PkmapBase && va < l.PkmapAddr(l.LastPkmap):
		return "it is a kmap (pkmap) address of a highmem page; use the page kmap was given"
	case va >= l.FixaddrStart && va < l.FixaddrTop && l.FixKmapBegin > 0:
		return "it is a fixmap address (kmap_local_page or kmap_atomic); use the page it was given"
	case va >= l.FixaddrStart && va < l.FixaddrTop:
		return "it is a fixmap address, a compile-time mapping outside the direct map"
	case va < l.TaskSize || (l.Arch == "x86_64" && int64(va) >= 0):
		return "it is a user address; only page tables can translate it"
	case va < l.PageOffset:
		return "it lies between user space and the direct map, where nothing is mapped"
	}
	return "only the direct map (lowmem) is translated by subtracting PAGE_OFFSET"
}

func builtinKmap(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	p, err := unpackPage(m, c)
	if err != nil {
		return nil, err
	}
	va, err := m.Highmem.Kmap(p.pfn, func(fn string) error { return m.Phys.MightSleepIn("include/linux/highmem-internal.h", fn) })
	if err != nil {
		return nil, err
	}
	return runtime.Ptr{Addr: uint64(va), Origin: kmapOrigin{p.pfn, "kmap"}}, nil
}

func builtinKunmap(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	p, err := unpackPage(m, c)
	if err != nil {
		return nil, err
	}
	sleep := func(fn string) error { return m.Phys.MightSleepIn("include/linux/highmem-internal.h", fn) }
	if m.Layout.LastPkmap == 0 {
		sleep = func(string) error { return nil } // without highmem kunmap() is empty
	}
	return nil, m.Highmem.Kunmap(p.pfn, sleep)
}

func builtinKmapLocal(atomic bool) modelBuiltin {
	return func(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
		p, err := unpackPage(m, c)
		if err != nil {
			return nil, err
		}
		va, err := m.Highmem.KmapLocal(p.pfn, atomic)
		if err != nil {
			return nil, err
		}
		return runtime.Ptr{Addr: uint64(va), Origin: kmapOrigin{p.pfn, c.Name}}, nil
	}
}

func builtinKunmapLocal(atomic bool) modelBuiltin {
	return func(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
		var addr uint64
		if err := c.Unpack("addr", &addr); err != nil {
			return nil, err
		}
		return nil, m.Highmem.KunmapLocal(arch.VirtAddr(addr), atomic)
	}
}

func parseAccess(c *runtime.Call, kind string) (tlb.Access, error) {
	switch kind {
	case "read":
		return tlb.Read, nil
	case "write":
		return tlb.Write, nil
	case "exec":
		return tlb.Exec, nil
	}
	return 0, fmt.Errorf("%s: %q is not read, write or exec", c.Name, kind)
}

// builtinTranslate runs the MMU on the current CPU: a physical address,
// or the fault's reason as a string.
func builtinTranslate(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	var addr uint64
	kind := "read"
	if err := c.Unpack("addr", &addr, "access?", &kind); err != nil {
		return nil, err
	}
	acc, err := parseAccess(c, kind)
	if err != nil {
		return nil, err
	}
	pa, f := m.MMU.Translate(m.CPU(), arch.VirtAddr(addr), acc, false)
	if f != nil {
		return runtime.String(f.Reason), nil
	}
	return runtime.Ptr{Addr: uint64(pa)}, nil
}

func builtinFlushTLBAll(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	if err := c.Unpack(); err != nil {
		return nil, err
	}
	m.MMU.FlushAll(m.CPU())
	return nil, nil
}

func builtinFlushTLBKernelRange(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	var start, end uint64
	if err := c.Unpack("start", &start, "end", &end); err != nil {
		return nil, err
	}
	if end < start {
		return nil, fmt.Errorf("%s: end %#x is below start %#x", c.Name, end, start)
	}
	// end == TLB_FLUSH_ALL (-1) asks for a full flush. A range that ends
	// in the last page cannot be flushed page by page without the
	// address wrapping (the model's loop would not end), so it gets the
	// full flush too.
	if end > ^uint64(0)&^(arch.PageSize-1) {
		start, end = 0, ^uint64(0)&^(arch.PageSize-1)
	}
	m.MMU.FlushKernelRange(m.CPU(), arch.VirtAddr(start), arch.VirtAddr(end))
	return nil, nil
}

// builtinSplitVaddr splits an address into the table indices of a paging
// format, as the MMU uses them: pgd_index(), pmd_index(), pte_index() and
// the offset in the page.
func builtinSplitVaddr(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	var addr uint64
	paging := m.Layout.Paging
	if err := c.Unpack("addr", &addr, "paging?", &paging); err != nil {
		return nil, err
	}
	f, err := pgtable.FormatByName(paging)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", c.Name, err)
	}
	if !f.Canonical(arch.VirtAddr(addr)) {
		return nil, fmt.Errorf("%s: %#x is not a canonical %s address", c.Name, addr, paging)
	}
	out := runtime.NewMap()
	for l, name := range f.Names {
		out.Set(runtime.String(strings.ToLower(name)), runtime.Int(f.Index(l, arch.VirtAddr(addr))))
	}
	out.Set(runtime.String("offset"), runtime.Int(addr&(arch.PageSize-1)))
	return out, nil
}

// builtinSetMemory binds set_memory_ro(), set_memory_rw(), set_memory_nx()
// and set_memory_x().
func builtinSetMemory(set, clear pgtable.Entry) modelBuiltin {
	return func(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
		var addr uint64
		var n int64
		if err := c.Unpack("addr", &addr, "numpages", &n); err != nil {
			return nil, err
		}
		if n > 1<<30 {
			return nil, fmt.Errorf("%s: numpages %d is too large", c.Name, n)
		}
		if err := m.SetMemory(arch.VirtAddr(addr), int(n), set, clear); err != nil {
			return nil, fmt.Errorf("%s: %v", c.Name, err)
		}
		return nil, nil
	}
}

// builtinKvmalloc models mm/util.c:__kvmalloc_node(): kmalloc first (above
// a page quietly and without retrying hard); when that fails, NULL for a
// page or less or a mask that may not sleep, NULL with a warning above
// INT_MAX, else vmalloc.
func builtinKvmalloc(zero phys.GFP) modelBuiltin {
	return func(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
		var size, gv int64
		if err := c.Unpack("size", &size, "gfp", &gv); err != nil {
			return nil, err
		}
		gfp, err := argGFP(c, gv)
		if err != nil {
			return nil, err
		}
		if size < 0 {
			return nil, fmt.Errorf("%s: size %d is negative", c.Name, size)
		}
		gfp |= zero
		kgfp := gfp
		if size > arch.PageSize {
			kgfp |= phys.GfpNoWarn
			if kgfp&phys.GfpRetryMayfail == 0 {
				kgfp |= phys.GfpNoRetry
			}
			kgfp &^= phys.GfpNoFail
		}
		va, ok, err := m.Slab.Kmalloc(int(size), kgfp, c.Name)
		if err != nil {
			return nil, err
		}
		if ok {
			return runtime.Ptr{Addr: uint64(va), Origin: kvOrigin{"kmalloc", size}}, nil
		}
		if size <= arch.PageSize || !gfp.CanSleep() {
			return runtime.Null, nil
		}
		if size > math.MaxInt32 {
			// __kvmalloc_node(): "Don't even allow crazy sizes", a
			// WARN_ON_ONCE unless __GFP_NOWARN.
			if gfp&phys.GfpNoWarn == 0 {
				m.WarnOnce("kvmalloc INT_MAX", fmt.Sprintf("%s(%d): WARN_ON_ONCE(size > INT_MAX) in __kvmalloc_node, returning NULL", c.Name, size))
			}
			return runtime.Null, nil
		}
		v, ok, err := m.Vmalloc.Alloc(vmalloc.Request{Size: uint64(size), GFP: gfp, Caller: c.Pos.String(), Func: c.Name})
		if err != nil || !ok {
			return runtime.Null, err
		}
		return runtime.Ptr{Addr: uint64(v), Origin: kvOrigin{"vmalloc", size}}, nil
	}
}

// kvOrigin is the provenance of a kvmalloc address: which allocator gave it.
type kvOrigin struct {
	from string
	size int64
}

func (o kvOrigin) Describe() string {
	return fmt.Sprintf("kvmalloc of %d bytes, from %s", o.size, o.from)
}

// builtinKvfree models kvfree(): vfree for a vmalloc address, else kfree.
func builtinKvfree(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	var addr uint64
	if err := c.Unpack("addr", &addr); err != nil {
		return nil, err
	}
	if m.Layout.IsVmalloc(arch.VirtAddr(addr)) {
		return nil, m.Vmalloc.Free(arch.VirtAddr(addr))
	}
	if err := vmallocOwned(m, c, addr); err != nil {
		return nil, err
	}
	return nil, m.Slab.Kfree(arch.VirtAddr(addr), c.Name)
}
