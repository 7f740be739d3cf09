package tlb

import (
	"fmt"

	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/bug"
	"mmsim/kernelmodel/pgtable"
	"mmsim/kernelmodel/phys"
)

// FlushCeiling is tlb_single_page_flush_ceiling: ranges of up to 33 pages
// are flushed page by page with invlpg, longer ones with a full flush.
const FlushCeiling = 33

// Access is a kind of memory access.
type Access int

const (
	Read Access = iota
	Write
	Exec
)

func (a Access) String() string { return [...]string{"read", "write", "exec"}[a] }

// Fault is a failed translation: the page fault (or general protection
// fault) the CPU would raise, with the error code it pushes
// (arch/x86/include/asm/trap_pf.h).
type Fault struct {
	VA arch.VirtAddr
	// Code is the page-fault error code: bit 0 protection (else not
	// present), 1 write, 2 user, 4 instruction fetch.
	Code uint
	// GP is set for a non-canonical address: a general protection fault,
	// not a page fault.
	GP     bool
	Reason string
	// Leaf is the non-present leaf entry, when the PTE level was reached
	// (a swap entry, say).
	Leaf pgtable.Entry
}

// Page-fault error code bits.
const (
	PFProt  = 1 << 0
	PFWrite = 1 << 1
	PFUser  = 1 << 2
	PFInstr = 1 << 4
)

func (f *Fault) Error() string { return f.Reason }

// MMU is the machine's address translation: the page tables, each CPU's
// TLB and the address space each CPU has loaded in CR3.
type MMU struct {
	PT   *pgtable.Tables
	TLBs []*TLB
	// cr3 is each CPU's loaded PGD; nil means init_mm (a kernel thread,
	// or boot).
	cr3 []*pgtable.PGD
	// shifts are the page sizes a leaf can have, smallest first.
	shifts []uint
	// notPresent are the fault reasons per level, made once: the fault
	// path of user memory is hot.
	notPresent []string
	// Stale, when set, says whether a TLB entry for va may legitimately
	// outlive its PTE: lazily freed vmalloc areas are flushed in batches.
	Stale func(va arch.VirtAddr) bool
	// gen counts TLB changes; checked is the pair of generations of the
	// last passing check.
	gen                uint64
	checked, checkedPT uint64
}

// NewMMU returns an MMU with an empty TLB of size entries on each CPU,
// every CPU running on init_mm's tables.
func NewMMU(pt *pgtable.Tables, cpus, size int) *MMU {
	m := &MMU{PT: pt, cr3: make([]*pgtable.PGD, cpus)}
	for c := 0; c < cpus; c++ {
		m.TLBs = append(m.TLBs, New(c, size))
	}
	f := pt.F
	for _, n := range f.Names {
		m.notPresent = append(m.notPresent, n+" entry not present")
	}
	m.shifts = []uint{f.Shifts[f.PTELevel()]}
	for l := f.PTELevel() - 1; l >= 0; l-- {
		if f.Large[l] {
			m.shifts = append(m.shifts, f.Shifts[l])
		}
	}
	return m
}

// Shifts are the page sizes a TLB entry can have, as shifts, smallest
// first.
func (m *MMU) Shifts() []uint { return m.shifts }

// PGD is the address space loaded on a CPU.
func (m *MMU) PGD(cpu int) *pgtable.PGD {
	if g := m.cr3[cpu]; g != nil {
		return g
	}
	return m.PT.Init
}

// Translate is what the CPU does on a memory access: the TLB first, then
// on a miss a walk of the loaded page tables that sets the accessed (and
// on a write the dirty) bits and fills the TLB. A permission or presence
// failure is a *Fault, and the CPU drops any TLB entry for the page.
// Supervisor writes honour RW (CR0.WP is set); exec honours NX where the
// format has it.
func (m *MMU) Translate(cpu int, va arch.VirtAddr, acc Access, user bool) (phys.PhysAddr, *Fault) {
	t := m.TLBs[cpu]
	if e, ok := t.lookup(va, m.shifts); ok {
		if f := m.permit(va, e.Flags, acc, user); f != nil {
			t.drop(va, m.shifts)
			m.gen++
			return 0, f
		}
		t.Stats.Hits++
		if acc == Write && e.Flags&pgtable.Dirty == 0 {
			// The CPU sets the dirty bit in the PTE on the first write
			// through a clean entry.
			m.PT.SetAccessed(m.PGD(cpu), va, true)
			e.Flags |= pgtable.Dirty
		}
		return e.PA + phys.PhysAddr(uint64(va)&(e.Size()-1)), nil
	}
	t.Stats.Misses++
	pa, f := m.walk(cpu, va, acc, user)
	return pa, f
}

// walk is the hardware page walk of a TLB miss.
func (m *MMU) walk(cpu int, va arch.VirtAddr, acc Access, user bool) (phys.PhysAddr, *Fault) {
	pt := m.PT
	if !pt.F.Canonical(va) {
		return 0, &Fault{VA: va, GP: true, Reason: fmt.Sprintf("general protection fault: %#x is not a canonical address", uint64(va))}
	}
	g := m.PGD(cpu)
	tab, i, level := pt.Lookup(g, va)
	if tab == nil || tab.E[i]&pgtable.Present == 0 {
		f := &Fault{VA: va, Code: m.code(acc, user), Reason: m.notPresent[level]}
		if tab != nil {
			f.Leaf = tab.E[i]
		}
		return 0, f
	}
	e := tab.E[i]
	if f := m.permit(va, e, acc, user); f != nil {
		return 0, f
	}
	pt.SetAccessed(g, va, acc == Write)
	e = tab.E[i]
	shift := pt.F.Shifts[level]
	size := uint64(1) << shift
	base := pt.F.Addr(e) &^ phys.PhysAddr(size-1)
	m.TLBs[cpu].Insert(Entry{VA: va &^ arch.VirtAddr(size-1), PA: base, Shift: shift, Flags: e})
	m.gen++
	return base + phys.PhysAddr(uint64(va)&(size-1)), nil
}

func (m *MMU) code(acc Access, user bool) uint {
	var c uint
	switch acc {
	case Write:
		c |= PFWrite
	case Exec:
		c |= PFInstr
	}
	if user {
		c |= PFUser
	}
	return c
}

// permit checks an access against a present leaf's bits.
func (m *MMU) permit(va arch.VirtAddr, e pgtable.Entry, acc Access, user bool) *Fault {
	var why string
	switch {
	case user && e&pgtable.User == 0:
		why = "a user access to a supervisor page"
	case acc == Write && e&pgtable.RW == 0:
		why = "a write to a read-only page"
	case acc == Exec && e&pgtable.NX != 0:
		why = "an instruction fetch from a no-execute page"
	default:
		return nil
	}
	return &Fault{VA: va, Code: m.code(acc, user) | PFProt, Reason: "protection fault: " + why}
}

// SwitchMM loads an address space on a CPU (switch_mm(): a CR3 load),
// which without PCID flushes every non-global entry. Loading the one
// already there changes nothing.
func (m *MMU) SwitchMM(cpu int, g *pgtable.PGD) {
	if m.PGD(cpu) == g {
		return
	}
	m.cr3[cpu] = g
	t := m.TLBs[cpu]
	t.Stats.CR3Loads++
	t.FlushAll(true)
	m.gen++
}

// Loaded reports which CPUs have an address space loaded
// (mm_cpumask()).
func (m *MMU) Loaded(g *pgtable.PGD) []int {
	var out []int
	for c := range m.cr3 {
		if m.PGD(c) == g {
			out = append(out, c)
		}
	}
	return out
}

// flushOn flushes [start, end) on one CPU, page by page up to the
// ceiling, else entirely (keeping global entries when keepGlobal). It
// returns the pages invalidated one by one, or full true.
func (m *MMU) flushOn(cpu int, start, end arch.VirtAddr, keepGlobal bool) (pages uint64, full bool) {
	t := m.TLBs[cpu]
	start &^= arch.PageSize - 1
	if end <= start {
		return 0, false
	}
	// The byte count, not a page count rounded up, so that a range
	// reaching the top of the address space cannot overflow.
	if uint64(end-start) > FlushCeiling*arch.PageSize {
		t.FlushAll(keepGlobal)
		return 0, true
	}
	for va := start; va < end && va >= start; va += arch.PageSize {
		t.FlushOne(va, m.shifts)
		pages++
	}
	return pages, false
}

// FlushKernelRange is flush_tlb_kernel_range(): kernel mappings are in
// every CPU's TLB, so every CPU flushes (on_each_cpu()): up to 33 pages by
// invlpg (do_kernel_range_flush(), which counts no event), above with a
// full flush of global entries too (do_flush_tlb_all(), which counts
// nr_tlb_remote_flush_received on every CPU, the caller's included).
func (m *MMU) FlushKernelRange(local int, start, end arch.VirtAddr) {
	// The range is counted in whole pages: start rounds down, end up.
	start &^= arch.PageSize - 1
	if e := (end + arch.PageSize - 1) &^ (arch.PageSize - 1); e > end {
		end = e
	}
	if end > start && uint64(end-start) > FlushCeiling*arch.PageSize {
		m.flushTLBAllEach()
		return
	}
	for c := range m.TLBs {
		m.flushOn(c, start, end, false)
	}
	m.gen++
}

// FlushAll is flush_tlb_all(): nr_tlb_remote_flush on the caller, then a
// full flush on every CPU (on_each_cpu(do_flush_tlb_all)).
func (m *MMU) FlushAll(local int) {
	m.TLBs[local].Stats.RemoteFlush++
	m.flushTLBAllEach()
}

func (m *MMU) flushTLBAllEach() {
	for _, t := range m.TLBs {
		t.Stats.RemoteFlushReceived++
		t.FlushAll(false)
	}
	m.gen++
}

// Drop removes any entry for va from every CPU's TLB without counting a
// flush: the model's repair when a state the kernel forbids (a task that
// migrated with a CPU-local mapping) left one behind.
func (m *MMU) Drop(va arch.VirtAddr) {
	for _, t := range m.TLBs {
		t.drop(va, m.shifts)
	}
	m.gen++
}

// FlushOneKernel is flush_tlb_one_kernel(): one page on the local CPU
// only, as kunmap_local() does for its per-CPU slot; it counts no event.
func (m *MMU) FlushOneKernel(cpu int, va arch.VirtAddr) {
	m.TLBs[cpu].FlushOne(va, m.shifts)
	m.gen++
}

// flushUser is flush_tlb_mm_range(): the CPUs that have the address space
// loaded flush [start, end) (all of it with all set); when others than the
// caller have it, the caller sends them the flush (flush_tlb_multi(),
// nr_tlb_remote_flush) and each counts it received; the caller's own flush
// counts nr_tlb_local_flush_one per page or nr_tlb_local_flush_all.
func (m *MMU) flushUser(local int, g *pgtable.PGD, start, end arch.VirtAddr, all bool) {
	cpus := m.Loaded(g)
	remote := false
	for _, c := range cpus {
		var pages uint64
		full := all
		if all {
			m.TLBs[c].FlushAll(true)
		} else {
			pages, full = m.flushOn(c, start, end, true)
		}
		s := &m.TLBs[c].Stats
		switch {
		case c != local:
			remote = true
			s.RemoteFlushReceived++
		case full:
			s.LocalFlushAll++
		default:
			s.LocalFlushOne += pages
		}
	}
	if remote {
		m.TLBs[local].Stats.RemoteFlush++
	}
	m.gen++
}

// FlushRange is flush_tlb_mm_range() for a user range of an address space.
func (m *MMU) FlushRange(local int, g *pgtable.PGD, start, end arch.VirtAddr) {
	m.flushUser(local, g, start, end, false)
}

// FlushMM is flush_tlb_mm(): every user entry of an address space, on
// the CPUs that have it loaded.
func (m *MMU) FlushMM(local int, g *pgtable.PGD) {
	m.flushUser(local, g, 0, 0, true)
}

// Total sums the counters of every CPU.
func (m *MMU) Total() Stats {
	var s Stats
	for _, t := range m.TLBs {
		x := t.Stats
		s.Hits += x.Hits
		s.Misses += x.Misses
		s.Invlpg += x.Invlpg
		s.FullFlushes += x.FullFlushes
		s.LocalFlushAll += x.LocalFlushAll
		s.LocalFlushOne += x.LocalFlushOne
		s.RemoteFlush += x.RemoteFlush
		s.RemoteFlushReceived += x.RemoteFlushReceived
		s.CR3Loads += x.CR3Loads
		s.Evictions += x.Evictions
	}
	return s
}

// Check verifies tlb-coherent: no TLB entry maps another frame than its
// page-table entry does, or allows more than the entry allows (a TLB may
// keep a stricter entry: the kernel does not flush when it relaxes
// permissions). Entries in ranges Stale allows are exempt.
func (m *MMU) Check() error {
	if m.gen == m.checked && m.PT.Gen == m.checkedPT {
		return nil
	}
	const perms = pgtable.RW | pgtable.User
	for c, t := range m.TLBs {
		g := m.PGD(c)
		for i := t.head; i >= 0; i = t.slots[i].next {
			e := t.slots[i].e
			if m.Stale != nil && m.Stale(e.VA) {
				continue
			}
			pa, leaf, size, ok := m.PT.Translate(g, e.VA)
			switch {
			case !ok:
				return bug.Violation("tlb-coherent", "CPU %d caches %#x -> %#x, but its page tables do not map it", c, uint64(e.VA), uint64(e.PA))
			case pa != e.PA || size != e.Size():
				return bug.Violation("tlb-coherent", "CPU %d caches %#x -> %#x (%d bytes), its page tables say %#x (%d bytes)", c, uint64(e.VA), uint64(e.PA), e.Size(), uint64(pa), size)
			case e.Flags&perms&^leaf != 0 || leaf&pgtable.NX&^e.Flags != 0:
				return bug.Violation("tlb-coherent", "CPU %d caches %#x with %s, more than its entry's %s", c, uint64(e.VA), e.Flags.FlagString(), leaf.FlagString())
			}
		}
	}
	m.checked, m.checkedPT = m.gen, m.PT.Gen
	return nil
}
