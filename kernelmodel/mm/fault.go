package mm

import (
	"fmt"
	"slices"

	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/bug"
	"mmsim/kernelmodel/pgtable"
	"mmsim/kernelmodel/phys"
	"mmsim/kernelmodel/tlb"
)

type pgtableEntry = pgtable.Entry

const (
	presentBit = pgtable.Present
	rwBit      = pgtable.RW
	dirtyBit   = pgtable.Dirty
	nxBit      = pgtable.NX
	userBit    = pgtable.User
)

// Signal numbers and si_codes of the faults.
const (
	SIGBUS  = 7
	SIGSEGV = 11

	SegvMapErr = 1    // SEGV_MAPERR: no VMA at the address
	SegvAccErr = 2    // SEGV_ACCERR: the VMA does not allow the access
	BusAdrErr  = 2    // BUS_ADRERR: past the end of the file
	SIKernel   = 0x80 // SI_KERNEL: a general protection fault
)

// Signal is a fatal signal a fault delivers to a task: SIGSEGV (or
// SIGBUS past the end of a mapped file).
type Signal struct {
	PID    int
	Comm   string
	Signo  int
	Code   int
	Addr   uint64
	Access tlb.Access
	Why    string
}

func (e *Signal) Error() string {
	if e.Signo == SIGBUS {
		return "SIGBUS " + e.Detail()
	}
	return "SIGSEGV " + e.Detail()
}

// Detail is the signal's description without the signal's name:
// "(SEGV_MAPERR) at 0x10 in pid 2 (a), a write: no VMA here".
func (e *Signal) Detail() string {
	code := map[int]string{SegvMapErr: "SEGV_MAPERR", SegvAccErr: "SEGV_ACCERR", SIKernel: "SI_KERNEL"}[e.Code]
	if e.Signo == SIGBUS {
		code = "BUS_ADRERR"
	}
	return fmt.Sprintf("(%s) at %#x in pid %d (%s), a %s: %s", code, e.Addr, e.PID, e.Comm, e.Access, e.Why)
}

// Access makes a user memory access as a task that runs on the current
// CPU: the MMU translates (TLB, then the page tables), and on a page fault
// the fault handler runs and the access is retried, as the CPU re-executes
// the faulting instruction. It returns the physical address, or a
// *Signal when the fault is the task's SIGSEGV.
func (s *System) Access(t *Task, va uint64, acc tlb.Access) (phys.PhysAddr, error) {
	cpu := s.CPU()
	if t.State != TaskRunning {
		return 0, fmt.Errorf("pid %d (%s) has exited", t.PID, t.Comm)
	}
	if s.running[cpu] != t {
		return 0, fmt.Errorf("pid %d (%s) is not running on cpu %d", t.PID, t.Comm, cpu)
	}
	for try := 0; try < 3; try++ {
		pa, f := s.MMU.Translate(cpu, arch.VirtAddr(va), acc, true)
		if f == nil {
			return pa, nil
		}
		if f.GP {
			return 0, s.signal(t, SIGSEGV, SIKernel, va, acc, "general protection fault: the address is not canonical")
		}
		if err := s.HandleFault(t, va, f.Code); err != nil {
			return 0, err
		}
	}
	return 0, fmt.Errorf("internal error: the fault at %#x did not resolve", va)
}

func (s *System) signal(t *Task, signo, code int, addr uint64, acc tlb.Access, why string) *Signal {
	s.Stats.Segv++
	return &Signal{PID: t.PID, Comm: t.Comm, Signo: signo, Code: code, Addr: addr, Access: acc, Why: why}
}

func accessOf(code uint) tlb.Access {
	switch {
	case code&tlb.PFWrite != 0:
		return tlb.Write
	case code&tlb.PFInstr != 0:
		return tlb.Exec
	}
	return tlb.Read
}

// HandleFault is arch/x86/mm/fault.c:do_user_addr_fault() for a fault
// with the hardware error code: the VMA is found (the stack grows when
// the address is below a VM_GROWSDOWN VMA), access_error() decides
// SEGV_ACCERR, and handle_mm_fault() fixes the page tables. The fault
// counts as minor or major for the task and in vmstat.
func (s *System) HandleFault(t *Task, addr uint64, code uint) error {
	m := t.MM
	acc := accessOf(code)
	// faulthandler_disabled(): in an interrupt, with a spinlock held or
	// under kmap_atomic, a fault cannot take mmap_lock and is the
	// kernel's oops.
	if a := s.Atomic(); a != "" {
		return bug.Errorf("BUG: unable to handle page fault for address: %#x: page faults are disabled in %s context (a %s of pid %d)", addr, a, acc, t.PID)
	}
	if addr >= uint64(s.Layout.TaskSize) {
		return s.signal(t, SIGSEGV, SegvMapErr, addr, acc, "a kernel address")
	}
	v := m.tree.Find(addr)
	if v == nil {
		return s.signal(t, SIGSEGV, SegvMapErr, addr, acc, "no VMA at or above the address")
	}
	if v.Start > addr {
		if v.Flags&VMGrowsDown == 0 {
			return s.signal(t, SIGSEGV, SegvMapErr, addr, acc, fmt.Sprintf("no VMA here (the next one starts at %#x)", v.Start))
		}
		if why := m.expandStack(v, addr); why != "" {
			return s.signal(t, SIGSEGV, SegvMapErr, addr, acc, why)
		}
	}
	switch {
	case code&tlb.PFWrite != 0:
		if v.Flags&VMWrite == 0 {
			return s.signal(t, SIGSEGV, SegvAccErr, addr, acc, fmt.Sprintf("the VMA %s does not allow writing", v))
		}
	case code&tlb.PFProt != 0:
		what := "reading"
		if acc == tlb.Exec {
			what = "executing (the page is no-execute)"
		}
		return s.signal(t, SIGSEGV, SegvAccErr, addr, acc, fmt.Sprintf("the VMA %s does not allow %s", v, what))
	case !v.Accessible():
		return s.signal(t, SIGSEGV, SegvAccErr, addr, acc, fmt.Sprintf("the VMA %s is PROT_NONE", v))
	}
	s.Stats.PgFault++
	major, err := m.handleMMFault(t, v, addr&^(arch.PageSize-1), code&tlb.PFWrite != 0)
	if err != nil {
		return err
	}
	if major {
		t.MajFlt++
		s.Stats.PgMajFault++
	} else {
		t.MinFlt++
	}
	s.gen++
	return nil
}

// expandStack is expand_downwards(): the stack VMA grows down to the
// page of addr if the address is above mmap_min_addr, the VMA below stays
// stack_guard_gap away, and the stack stays within RLIMIT_STACK. It
// returns why not, or "".
func (m *MM) expandStack(v *VMA, addr uint64) string {
	s := m.sys
	page := addr &^ (arch.PageSize - 1)
	if addr < s.MmapMinAddr {
		return "below mmap_min_addr"
	}
	if p := v.Prev(); p != nil && p.Flags&VMGrowsDown == 0 && p.Accessible() && page-p.End < s.StackGuardGap {
		return fmt.Sprintf("the stack cannot grow there: the VMA %s is within the stack guard gap", p)
	}
	if v.End-page > s.StackLimit {
		return fmt.Sprintf("the stack cannot grow to %d bytes: RLIMIT_STACK is %d", v.End-page, s.StackLimit)
	}
	if v.Anon == nil {
		if err := m.anonPrepare(v); err != nil {
			return "no memory for the anon_vma"
		}
	}
	v.PgOff -= (v.Start - page) >> arch.PageShift
	m.tree.SetBounds(v, page, v.End)
	s.gen++
	return ""
}

// pteFlags is the protection a VMA gives a page (vm_get_page_prot()):
// user, present, NX unless executable; write only when asked, since
// private writable mappings start read-only (PAGE_COPY) and get write
// permission from the fault.
func pteFlags(v *VMA, writable bool) pgtable.Entry {
	// x86's protection_map (PAGE_COPY, PAGE_SHARED ...) includes
	// _PAGE_ACCESSED: a PTE is born young.
	e := pgtable.Present | pgtable.User | pgtable.Accessed
	if writable {
		e |= pgtable.RW
	}
	if v.Flags&VMExec == 0 {
		e |= pgtable.NX
	}
	return e
}

// handleMMFault is mm/memory.c:handle_mm_fault() for one page: the
// empty PTE goes to do_anonymous_page() or do_fault(), a write to a
// write-protected one to do_wp_page(). major is set when the page had to
// be read (VM_FAULT_MAJOR).
func (m *MM) handleMMFault(t *Task, v *VMA, page uint64, write bool) (bool, error) {
	s := m.sys
	e := s.PT.UserEntry(m.PGD, arch.VirtAddr(page))
	switch {
	case e&pgtable.Present == 0 && e != 0:
		return m.doSwapPage(t, v, page, e, write)
	case e == 0 && v.File == nil:
		return false, m.doAnonymous(v, page, write)
	case e == 0:
		return m.doFault(t, v, page, write)
	case write && e&pgtable.RW == 0:
		return false, m.doWP(t, v, page, e)
	}
	return false, nil // spurious: another CPU fixed it, or a stale TLB entry
}

// allocUser allocates a zeroed user page (GFP_HIGHUSER_MOVABLE).
func (s *System) allocUser(tag string) (phys.PFN, error) {
	pfn, ok, err := s.Mem.AllocPages(phys.Request{GFP: phys.GFPHighUserMovable | phys.GfpZero, Owner: phys.OwnerUser, Tag: tag, Caller: "alloc_anon_folio"})
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, oom("a user page")
	}
	return pfn, nil
}

// doAnonymous is do_anonymous_page(): a read maps the shared zero page
// read-only (a special PTE: no page reference, no RSS); a write maps a
// new zeroed page, writable and dirty.
func (m *MM) doAnonymous(v *VMA, page uint64, write bool) error {
	s := m.sys
	if !write {
		e := pgtable.Entry(s.ZeroPFN.Addr()) | pteFlags(v, false) | pgtable.Special
		if _, err := s.PT.SetUser(m.PGD, arch.VirtAddr(page), e); err != nil {
			return err
		}
		s.Stats.ZeroMaps++
		return nil
	}
	_, err := m.anonPage(v, page, true)
	return err
}

// anonPage maps a new zeroed anonymous page at page.
func (m *MM) anonPage(v *VMA, page uint64, dirty bool) (phys.PFN, error) {
	s := m.sys
	if err := m.anonPrepare(v); err != nil {
		return 0, err
	}
	pfn, err := s.allocUser("anon")
	if err != nil {
		return 0, err
	}
	e := pgtable.Entry(pfn.Addr()) | pteFlags(v, v.Flags&VMWrite != 0)
	if dirty {
		e |= pgtable.Dirty
	}
	if ok, err := s.PT.SetUser(m.PGD, arch.VirtAddr(page), e); err != nil || !ok {
		s.Mem.FreePages(pfn, 0)
		if err == nil {
			err = oom("a page table")
		}
		return 0, err
	}
	s.track(pfn, pageMeta{anon: v.Anon, index: v.pgoffAt(page)}, v.Flags&VMLocked != 0)
	m.addRss(MMAnonPages, 1)
	return pfn, nil
}

// doFault is do_fault() for a file or shmem VMA: a read maps the page
// cache's page (read-only in a private mapping, so that a write copies);
// a write to a private mapping copies it into a new anonymous page
// (do_cow_fault()); a write to a shared one maps the page writable and
// dirties it (do_shared_fault()). A page the cache did not have is read:
// a major fault (shmem's new pages are zero-filled: minor).
func (m *MM) doFault(t *Task, v *VMA, page uint64, write bool) (bool, error) {
	s := m.sys
	f := v.File
	pgoff := v.pgoffAt(page)
	if !f.Shmem && pgoff >= f.Pages() {
		return false, s.signal(t, SIGBUS, BusAdrErr, page, accessOf(boolCode(write)), fmt.Sprintf("page %d is past the end of %s (%d bytes)", pgoff, f.Path(), f.Size))
	}
	cp, major, err := s.cachePage(f, pgoff)
	if err != nil {
		return false, err
	}
	shared := v.Flags&VMShared != 0
	if write && !shared {
		// Hold the page-cache page while the copy is allocated, so that
		// reclaim cannot take it meanwhile.
		s.Mem.GetPage(phys.PFN(cp))
		pfn, err := m.anonPage(v, page, true)
		if err != nil {
			s.putPage(phys.PFN(cp))
			s.dropUnmapped(f, pgoff)
			return false, err
		}
		s.Mem.WritePhys(pfn.Addr(), s.Mem.ReadPhys(phys.PFN(cp).Addr(), arch.PageSize))
		s.putPage(phys.PFN(cp))
		t.Cow++
		s.Stats.CowCopies++
		return major, nil
	}
	// Shared shmem mappings are writable from the first fault; a shared
	// file mapping is write-protected for dirty tracking (write-notify).
	writable := shared && v.Flags&VMWrite != 0 && (write || f.Shmem)
	e := pgtable.Entry(phys.PFN(cp).Addr()) | pteFlags(v, writable)
	if write {
		e |= pgtable.Dirty
	}
	if err := s.Mem.GetPage(phys.PFN(cp)); err != nil {
		return false, err
	}
	if ok, err := s.PT.SetUser(m.PGD, arch.VirtAddr(page), e); err != nil || !ok {
		s.putPage(phys.PFN(cp))
		if err == nil {
			err = oom("a page table")
		}
		return false, err
	}
	m.addRss(fileKind(f), 1)
	if write {
		f.markDirty(pgoff)
	}
	return major, nil
}

func boolCode(write bool) uint {
	if write {
		return tlb.PFWrite
	}
	return 0
}

func fileKind(f *File) int {
	if f.Shmem {
		return MMShmemPages
	}
	return MMFilePages
}

// doWP is do_wp_page(): a write to a present, write-protected page. A
// shared mapping makes it writable in place (wp_page_shared()). In a
// private mapping an anonymous page that only this mapping holds
// (refcount 1: wp_can_reuse_anon_folio()) is reused; anything else — the
// zero page, a page-cache page, an anonymous page another process still
// maps — is copied into a new page (wp_page_copy()), whose PTE replaces
// the old one with a TLB flush.
func (m *MM) doWP(t *Task, v *VMA, page uint64, e pgtable.Entry) error {
	s := m.sys
	va := arch.VirtAddr(page)
	pfn := phys.PFN(s.PT.F.Addr(e) >> arch.PageShift)
	if v.Flags&VMShared != 0 {
		s.PT.Update(m.PGD, va, pgtable.RW|pgtable.Dirty, 0)
		if v.File != nil {
			v.File.markDirty(v.pgoffAt(page))
		}
		return nil
	}
	zero := e&pgtable.Special != 0
	cached := !zero && v.IsCachePage(page, uint64(pfn))
	// wp_can_reuse_anon_folio() first drops the swap cache's reference
	// when the swap slot has no other user.
	if meta := s.meta(pfn); !zero && !cached && meta != nil && meta.swap != 0 && s.Swap.Count(meta.swap) == 1 {
		s.dropSwapCache(pfn, meta.swap)
	}
	if !zero && !cached && s.Mem.Refcount(pfn) == 1 {
		s.PT.Update(m.PGD, va, pgtable.RW|pgtable.Dirty, 0)
		t.CowReused++
		s.Stats.CowReuses++
		return nil
	}
	if err := m.anonPrepare(v); err != nil {
		return err
	}
	if !zero {
		// Hold the old page while the copy is allocated (reclaim
		// leaves a page someone holds).
		s.Mem.GetPage(pfn)
		defer s.putPage(pfn)
	}
	npfn, err := s.allocUser("anon")
	if err != nil {
		return err
	}
	if m.obj == 0 {
		s.Mem.FreePages(npfn, 0)
		return oom("a copy: the process was killed meanwhile")
	}
	if !zero {
		s.Mem.WritePhys(npfn.Addr(), s.Mem.ReadPhys(pfn.Addr(), arch.PageSize))
	}
	ne := pgtable.Entry(npfn.Addr()) | pteFlags(v, true) | pgtable.Dirty
	if _, err := s.PT.SetUser(m.PGD, va, ne); err != nil {
		s.Mem.FreePages(npfn, 0)
		return err
	}
	s.track(npfn, pageMeta{anon: v.Anon, index: v.pgoffAt(page)}, v.Flags&VMLocked != 0)
	s.MMU.FlushRange(s.CPU(), m.PGD, va, va+arch.PageSize)
	switch {
	case zero:
	case cached:
		m.addRss(MMFilePages, -1)
		s.putPage(pfn)
	default:
		m.addRss(MMAnonPages, -1)
		s.putPage(pfn)
	}
	m.addRss(MMAnonPages, 1)
	t.Cow++
	s.Stats.CowCopies++
	return nil
}

// cachePage finds a file page in the page cache, reading it when it is
// not there (filemap_fault(): a major fault; shmem_fault() zero-fills a
// new page: minor).
func (s *System) cachePage(f *File, pgoff uint64) (uint64, bool, error) {
	if cp, ok := f.cache[pgoff]; ok {
		return cp.pfn, false, nil
	}
	tag := "pagecache"
	if f.Shmem {
		tag = "shmem"
	}
	pfn, err := s.allocUser(tag)
	if err != nil {
		return 0, false, err
	}
	if data := f.stored[pgoff]; data != nil {
		s.Mem.WritePhys(pfn.Addr(), data[:])
	}
	f.cache[pgoff] = cachePage{pfn: uint64(pfn)}
	s.track(pfn, pageMeta{file: f, index: pgoff}, false)
	return uint64(pfn), !f.Shmem, nil
}

// dropUnmapped undoes cachePage after a failure, for a page nothing maps.
func (s *System) dropUnmapped(f *File, pgoff uint64) {
	cp, ok := f.cache[pgoff]
	if ok && s.Mem.Refcount(phys.PFN(cp.pfn)) == 1 && s.Mem.Mapcount(phys.PFN(cp.pfn)) == 0 && !cp.dirty {
		s.putPage(phys.PFN(cp.pfn))
		delete(f.cache, pgoff)
	}
}

// dropCache frees the pages of a shmem object whose last mapping went.
func (s *System) dropCache(f *File) {
	keys := make([]uint64, 0, len(f.cache))
	for k := range f.cache {
		keys = append(keys, k)
	}
	// In page order, so that the free lists come out the same every run.
	slices.Sort(keys)
	for _, k := range keys {
		s.putPage(phys.PFN(f.cache[k].pfn))
		delete(f.cache, k)
	}
}

func (f *File) markDirty(pgoff uint64) {
	if cp, ok := f.cache[pgoff]; ok && !cp.dirty {
		cp.dirty = true
		f.cache[pgoff] = cp
	}
}

// pfnOf is the frame of a present, normal PTE.
func (s *System) pfnOf(e pgtable.Entry) (uint64, bool) {
	pfn, ok := s.PT.NormalPFN(e)
	return uint64(pfn), ok
}

// rssKind is the RSS counter the frame a VMA maps at va counts in: a
// private file mapping holds both page-cache pages and COW copies.
func (m *MM) rssKind(v *VMA, va, pfn uint64) int {
	switch {
	case v.File == nil:
		return MMAnonPages
	case v.File.Shmem:
		return MMShmemPages
	case v.IsCachePage(va, pfn):
		return MMFilePages
	}
	return MMAnonPages
}

// oom is the failure of a fault's allocation: VM_FAULT_OOM, which the
// kernel answers with pagefault_out_of_memory().
func oom(what string) error {
	return &bug.OOM{Msg: "Out of memory: no page for " + what}
}
