package stdlib

import (
	"fmt"
	"strings"

	"mmsim/kernelmodel"
	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/mm"
	"mmsim/kernelmodel/phys"
	"mmsim/kernelmodel/vmalloc"
	"mmsim/runtime"
)

func init() {
	RegisterView(View{Name: "layout", Doc: "the kernel's virtual memory layout, as the boot log prints it", Show: showLayout})
	RegisterView(View{Name: "vtop", Doc: "vtop ADDR: the page-table walk of an address, level by level (crash's vtop)", Show: showVtop})
	RegisterView(View{Name: "tlb", Doc: "tlb [CPU]: each CPU's TLB entries and counters", Show: showTLB})
	RegisterView(View{Name: "vmallocinfo", Doc: "/proc/vmallocinfo: the vmalloc areas", Show: showVmallocinfo})
	RegisterView(View{Name: "pkmap", Doc: "kmap's pkmap slots and the kmap_local/kmap_atomic stack", Show: showPkmap})
	RegisterView(View{Name: "vmstat", Doc: "/proc/vmstat: the counters the model keeps", Show: showVmstat})
}

// hexWidth is the digits of a kernel pointer: 8 on x86, 16 on x86_64.
func hexWidth(m *kernelmodel.Machine) int { return 2 * m.Layout.PtrSize() }

// showLayout prints the "virtual kernel memory layout" lines of the 32-bit
// kernel's mem_init() (arch/x86/mm/init_32.c, 2.6.28 to 4.x); x86_64 gets
// the same lines for its areas (Documentation/arch/x86/x86_64/mm.rst).
func showLayout(h *Host, th *runtime.Thread, args []runtime.ShowArg) error {
	if err := noArgs("layout", args); err != nil {
		return err
	}
	m, err := h.machine()
	if err != nil {
		return err
	}
	l := m.Layout
	w := hexWidth(m)
	var b strings.Builder
	line := func(name string, lo, hi arch.VirtAddr) {
		size := uint64(hi - lo)
		unit, n := "kB", size>>10
		switch {
		case size >= 1<<40 && w == 16:
			unit, n = "TB", size>>40
		case size >= 1<<30 && w == 16:
			unit, n = "GB", size>>30
		case name == "vmalloc" || name == "lowmem" || name == "direct map":
			unit, n = "MB", size>>20
		}
		fmt.Fprintf(&b, "    %-8s: 0x%0*x - 0x%0*x   (%4d %s)\n", name, w, uint64(lo), w, uint64(hi), n, unit)
	}
	b.WriteString("virtual kernel memory layout:\n")
	if l.Arch == "x86" {
		line("fixmap", l.FixaddrStart, l.FixaddrTop)
		if l.LastPkmap > 0 {
			line("pkmap", l.PkmapBase, l.PkmapAddr(l.LastPkmap))
		}
		line("vmalloc", l.VmallocStart, l.VmallocEnd)
		line("lowmem", l.PageOffset, l.HighMemory)
	} else {
		line("fixmap", l.FixaddrStart, l.FixaddrTop)
		line("modules", l.ModulesStart, l.ModulesEnd)
		line("ktext", l.KernelText, l.KernelText+arch.VirtAddr((l.KernelEnd+2<<20-1)&^(2<<20-1)))
		line("vmemmap", l.MemMap, l.VmemmapEnd+1)
		line("vmalloc", l.VmallocStart, l.VmallocEnd+1)
		line("direct map", l.PageOffset, l.HighMemory)
		line("user", 0, l.TaskSize)
	}
	pt := m.PT
	fmt.Fprintf(&b, "%s paging: %d levels (%s), %d-byte entries, PGD entries from %d are the kernel's\n",
		pt.F.Name, pt.F.Levels(), strings.Join(pt.F.Names, "/"), pt.F.EntrySize, pt.Boundary())
	fmt.Fprintf(&b, "TASK_SIZE 0x%0*x, PAGE_OFFSET 0x%0*x, high_memory 0x%0*x, %d boot page tables in the kernel image\n",
		w, uint64(l.TaskSize), w, uint64(l.PageOffset), w, uint64(l.HighMemory), pt.BootTables())
	return emit(th, b.String())
}

// showVtop prints a walk as crash's vtop does: the address and its
// physical address, the page directory, one line per level with the
// entry's (direct-map) address and value, the leaf's flags, the vmalloc
// or kmap area, and the page.
func showVtop(h *Host, th *runtime.Thread, args []runtime.ShowArg) error {
	m, err := h.machine()
	if err != nil {
		return err
	}
	if len(args) < 1 || len(args) > 2 || args[0].Flag != "" {
		return fmt.Errorf("show vtop takes an address and, for a user address, a process: show vtop ADDR [PID]")
	}
	var addr uint64
	switch v := args[0].Value.(type) {
	case runtime.Int:
		if v < 0 {
			return fmt.Errorf("show vtop: address %d is negative", int64(v))
		}
		addr = uint64(v)
	case runtime.Ptr:
		addr = v.Addr
	default:
		return fmt.Errorf("show vtop: want an address, not %s", v.Type())
	}
	va := arch.VirtAddr(addr)
	pt := m.PT
	if !pt.F.Canonical(va) {
		return fmt.Errorf("show vtop: %s", pt.F.NonCanonical(va))
	}
	g, owner := pt.Init, "init_mm"
	var task *mm.Task
	if va < m.Layout.TaskSize {
		t, err := viewTask(m, "vtop", args[1:])
		if err != nil {
			return fmt.Errorf("show vtop: %#x is a user address: %v", addr, strings.TrimPrefix(err.Error(), "show vtop: "))
		}
		task, g, owner = t, t.MM.PGD, fmt.Sprintf("pid %d (%s)", t.PID, t.Comm)
	} else if len(args) > 1 {
		return fmt.Errorf("show vtop: %#x is a kernel address: every process shares the kernel half, so no PID", addr)
	}
	w := hexWidth(m)
	walk := pt.Walk(g, va)
	virt := func(pa phys.PhysAddr) uint64 { return uint64(m.Layout.Virt(uint64(pa))) }
	var b strings.Builder
	fmt.Fprintf(&b, "%-*s  PHYSICAL\n", w, "VIRTUAL")
	if walk.Mapped {
		fmt.Fprintf(&b, "%0*x  %x\n\n", w, addr, uint64(walk.PA))
	} else {
		fmt.Fprintf(&b, "%0*x  (not mapped)\n\n", w, addr)
	}
	fmt.Fprintf(&b, "PAGE DIRECTORY: %0*x (%s)\n", w, virt(g.Top.PFN.Addr()), owner)
	for _, s := range walk.Steps {
		fmt.Fprintf(&b, "  %3s: %0*x => %x   [index %d]\n", s.Name, w, virt(s.EntryAddr), uint64(s.Entry), s.Index)
	}
	if !walk.Mapped {
		if e := pt.UserEntry(g, va); task != nil && e != 0 {
			if typ, off, ok := pt.F.DecodeSwap(e); ok {
				fmt.Fprintf(&b, "\n  SWAP: %s  OFFSET: %d   (swap type %d, slot %d of /swapfile, %d users)\n", "/swapfile", off, typ, off, m.Reclaim.Swap.Count(off))
			}
		} else {
			fmt.Fprintf(&b, "\n(not mapped: %s)\n", walk.Reason)
		}
		if task != nil {
			userVMA(&b, m, task, addr, w)
		}
		return emit(th, b.String())
	}
	page := walk.PA &^ phys.PhysAddr(walk.Size-1)
	fmt.Fprintf(&b, " PAGE: %x", uint64(page))
	if walk.Size > arch.PageSize {
		fmt.Fprintf(&b, "  (%s)", arch.SizeName(walk.Size))
	}
	ew := 2 * pt.F.EntrySize
	fmt.Fprintf(&b, "\n\n  %-*s  %-9s FLAGS\n", ew, "PTE", "PHYSICAL")
	fmt.Fprintf(&b, "  %-*x  %-9x (%s)\n", ew, uint64(walk.Leaf), uint64(page), walk.Leaf.FlagString())
	if task != nil {
		userVMA(&b, m, task, addr, w)
	}
	if a, ok := m.Vmalloc.Find(va); ok {
		fmt.Fprintf(&b, "\n  VMALLOC AREA: 0x%0*x-0x%0*x %d bytes (%d pages + guard)\n", w, uint64(a.Addr), w, uint64(a.End()), a.Size, len(a.Pages))
	}
	pfn := phys.PFN(walk.PA >> arch.PageShift)
	if info, err := m.Phys.Page(pfn); err == nil {
		fmt.Fprintf(&b, "\n  %-9s %-8s %-8s CNT MAP OWNER\n", "PFN", "PHYSICAL", "ZONE")
		owner := info.Owner.String()
		if pfn == m.Procs.ZeroPFN {
			owner = "the zero page"
		}
		fmt.Fprintf(&b, "  %-9x %-8x %-8s %3d %3d %s\n", uint64(pfn), uint64(pfn.Addr()), info.Zone.Name, info.Refcount, info.Mapcount, owner)
	}
	if e, ok := m.MMU.TLBs[m.CPU()].Peek(va, m.MMU.Shifts()); ok {
		fmt.Fprintf(&b, "\n  TLB: cpu %d caches it (%s entry)\n", m.CPU(), arch.SizeName(e.Size()))
	} else {
		fmt.Fprintf(&b, "\n  TLB: not cached on cpu %d\n", m.CPU())
	}
	return emit(th, b.String())
}

// showTLB prints each CPU's TLB: its counters, then its entries, most
// recently used first.
func showTLB(h *Host, th *runtime.Thread, args []runtime.ShowArg) error {
	m, err := h.machine()
	if err != nil {
		return err
	}
	cpus := make([]int, len(m.MMU.TLBs))
	for i := range cpus {
		cpus[i] = i
	}
	switch {
	case len(args) == 1 && args[0].Flag == "":
		n, ok := args[0].Value.(runtime.Int)
		if !ok || n < 0 || int(n) >= len(cpus) {
			return fmt.Errorf("show tlb: %s is not a CPU (the machine has CPUs 0 to %d)", runtime.Repr(args[0].Value), len(cpus)-1)
		}
		cpus = []int{int(n)}
	case len(args) > 0:
		return fmt.Errorf("show tlb takes at most a CPU number: show tlb [CPU]")
	}
	w := hexWidth(m)
	var b strings.Builder
	for _, c := range cpus {
		t := m.MMU.TLBs[c]
		s := t.Stats
		fmt.Fprintf(&b, "cpu %d: %d of %d entries, cr3 %s\n", c, t.Len(), t.Size(), m.MMU.PGD(c).Name)
		fmt.Fprintf(&b, "  hits %d  misses %d  evictions %d  invlpg %d  full flushes %d  cr3 loads %d\n", s.Hits, s.Misses, s.Evictions, s.Invlpg, s.FullFlushes, s.CR3Loads)
		fmt.Fprintf(&b, "  vmstat: local_flush_all %d  local_flush_one %d  remote_flush %d  remote_flush_received %d\n", s.LocalFlushAll, s.LocalFlushOne, s.RemoteFlush, s.RemoteFlushReceived)
		if t.Len() == 0 {
			continue
		}
		fmt.Fprintf(&b, "  %-*s  %-12s %-5s FLAGS\n", w, "VIRTUAL", "PHYSICAL", "SIZE")
		for _, e := range t.Entries() {
			fmt.Fprintf(&b, "  %0*x  %-12x %-5s %s\n", w, uint64(e.VA), uint64(e.PA), arch.SizeName(e.Size()), e.Flags.FlagString())
		}
	}
	return emit(th, b.String())
}

// showVmallocinfo prints /proc/vmallocinfo as mm/vmalloc.c's
// vmalloc_info_show() does: each area with its size including the guard
// page, the caller, pages=, the kind; then the lazily freed areas as
// "unpurged vm_area" (show_purge_info()). Deferred frees still show as
// areas (vfree_atomic() queues them for a workqueue). x86_64 kernels are
// NUMA kernels and add N0=.
func showVmallocinfo(h *Host, th *runtime.Thread, args []runtime.ShowArg) error {
	if err := noArgs("vmallocinfo", args); err != nil {
		return err
	}
	m, err := h.machine()
	if err != nil {
		return err
	}
	w := hexWidth(m)
	var b, lazy strings.Builder
	for _, a := range m.Vmalloc.Areas() {
		if a.State == vmalloc.Lazy {
			fmt.Fprintf(&lazy, "0x%0*x-0x%0*x %7d unpurged vm_area\n", w, uint64(a.Addr), w, uint64(a.End()), a.Size)
			continue
		}
		fmt.Fprintf(&b, "0x%0*x-0x%0*x %7d %s", w, uint64(a.Addr), w, uint64(a.End()), a.Size, a.Caller)
		if len(a.Pages) > 0 {
			fmt.Fprintf(&b, " pages=%d", len(a.Pages))
		}
		if a.Flags&vmalloc.VMAlloc != 0 {
			b.WriteString(" vmalloc")
		}
		if a.Flags&vmalloc.VMUserMap != 0 {
			b.WriteString(" user")
		}
		if a.ArrayArea != nil {
			b.WriteString(" vpages")
		}
		if w == 16 && len(a.Pages) > 0 {
			fmt.Fprintf(&b, " N0=%d", len(a.Pages))
		}
		b.WriteByte('\n')
	}
	b.WriteString(lazy.String())
	return emit(th, b.String())
}

// showPkmap prints kmap's pool and the kmap_local stack.
func showPkmap(h *Host, th *runtime.Thread, args []runtime.ShowArg) error {
	if err := noArgs("pkmap", args); err != nil {
		return err
	}
	m, err := h.machine()
	if err != nil {
		return err
	}
	l := m.Layout
	hm := m.Highmem
	var b strings.Builder
	if l.LastPkmap == 0 {
		b.WriteString("no highmem: kmap, kmap_atomic and kmap_local_page return the direct-map address\n")
		return emit(th, b.String())
	}
	inUse := hm.Slots()
	fmt.Fprintf(&b, "pkmap: %d slots at 0x%08x, %d in use, last_pkmap_nr %d, flush_all_zero_pkmaps flushes %d\n",
		l.LastPkmap, uint64(l.PkmapBase), len(inUse), hm.LastNr(), hm.Stats.Flushes)
	if len(inUse) > 0 {
		b.WriteString("  SLOT  VIRTUAL     COUNT  PFN       USERS\n")
		for _, s := range inUse {
			users := fmt.Sprintf("%d", s.Count-1)
			if s.Count == 1 {
				users = "0 (mapped until the next wrap)"
			}
			fmt.Fprintf(&b, "  %4d  0x%08x  %5d  %-8x  %s\n", s.Nr, uint64(s.VA), s.Count, uint64(s.PFN), users)
		}
	}
	stack := hm.Stack()
	slots := 0
	for _, s := range stack {
		if s.Mapped {
			slots++
		}
	}
	fmt.Fprintf(&b, "kmap_local stack: %d mappings, %d of %d slots\n", len(stack), slots, arch.KmapMaxIdx-1)
	for i, s := range stack {
		kind := "kmap_local_page"
		if s.Atomic {
			kind = "kmap_atomic"
		}
		slot := "lowmem, no slot"
		if s.Mapped {
			slot = fmt.Sprintf("fixmap idx %d", l.FixKmapBegin+s.Idx+arch.KmapMaxIdx*s.CPU)
		}
		fmt.Fprintf(&b, "  %2d  0x%08x  pfn %-8x cpu %d  %s (%s)\n", i, uint64(s.VA), uint64(s.PFN), s.CPU, kind, slot)
	}
	return emit(th, b.String())
}

// showVmstat prints the /proc/vmstat counters the model keeps, in the
// kernel's order, then mmsim's TLB hit and miss counts (hardware events
// with no vmstat counter).
func showVmstat(h *Host, th *runtime.Thread, args []runtime.ShowArg) error {
	if err := noArgs("vmstat", args); err != nil {
		return err
	}
	m, err := h.machine()
	if err != nil {
		return err
	}
	own := countOwners(m)
	t := m.MMU.Total()
	var b strings.Builder
	for _, kv := range []struct {
		name string
		v    uint64
	}{
		{"nr_free_pages", m.Phys.NrFreePages()},
		{"nr_page_table_pages", own[phys.OwnerPageTable]},
		{"pgfree", m.Phys.Stats.PgFree},
		{"pgfault", m.Procs.Stats.PgFault},
		{"pgmajfault", m.Procs.Stats.PgMajFault},
		{"pswpin", m.Reclaim.Swap.In},
		{"pswpout", m.Reclaim.Swap.Out},
		{"pgactivate", m.Reclaim.Stats.Pgactivate},
		{"pgdeactivate", m.Reclaim.Stats.Pgdeactivate},
		{"pgrefill", m.Reclaim.Stats.Pgrefill},
		{"pgsteal_kswapd", m.Reclaim.Stats.PgstealKswapd},
		{"pgsteal_direct", m.Reclaim.Stats.PgstealDirect},
		{"pgscan_kswapd", m.Reclaim.Stats.PgscanKswapd},
		{"pgscan_direct", m.Reclaim.Stats.PgscanDirect},
		{"allocstall", m.Phys.Stats.AllocStall},
		{"kswapd_wakeups", m.Phys.Stats.KswapdWakeups},
		{"oom_kill", m.Reclaim.Stats.OOMKill},
		{"nr_tlb_remote_flush", t.RemoteFlush},
		{"nr_tlb_remote_flush_received", t.RemoteFlushReceived},
		{"nr_tlb_local_flush_all", t.LocalFlushAll},
		{"nr_tlb_local_flush_one", t.LocalFlushOne},
		{"mmsim_tlb_hits", t.Hits},
		{"mmsim_tlb_misses", t.Misses},
		{"mmsim_tlb_invlpg", t.Invlpg},
		{"mmsim_tlb_full_flushes", t.FullFlushes},
		{"mmsim_cow_copies", m.Procs.Stats.CowCopies},
		{"mmsim_cow_reuses", m.Procs.Stats.CowReuses},
		{"mmsim_zero_page_maps", m.Procs.Stats.ZeroMaps},
		{"mmsim_forks", m.Procs.Stats.Forks},
		{"mmsim_context_switches", m.Procs.Stats.ContextSwitches},
	} {
		fmt.Fprintf(&b, "%s %d\n", kv.name, kv.v)
	}
	return emit(th, b.String())
}

// userVMA prints the VMA holding a user address, as crash's vtop does.
func userVMA(b *strings.Builder, m *kernelmodel.Machine, t *mm.Task, addr uint64, w int) {
	v := t.MM.VMAAt(addr)
	if v == nil {
		fmt.Fprintf(b, "\n  VMA: none: %#x is in no VMA of pid %d (an access is SIGSEGV, SEGV_MAPERR)\n", addr, t.PID)
		return
	}
	fmt.Fprintf(b, "\n  %-*s  %-*s  %-*s  %-8s FILE\n", w, "VMA", w, "START", w, "END", "FLAGS")
	fmt.Fprintf(b, "  %0*x  %0*x  %0*x  %-8x %s\n", w, uint64(v.Obj()), w, v.Start, w, v.End, uint64(v.Flags), v.Name())
}
