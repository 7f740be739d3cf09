package kernelmodel

import (
	"fmt"

	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/bug"
	"mmsim/kernelmodel/highmem"
	"mmsim/kernelmodel/mm"
	"mmsim/kernelmodel/pgtable"
	"mmsim/kernelmodel/phys"
	"mmsim/kernelmodel/reclaim"
	"mmsim/kernelmodel/slab"
	"mmsim/kernelmodel/tlb"
	"mmsim/kernelmodel/vmalloc"
)

// Machine is one simulated computer. It owns every subsystem; the
// subsystems arrive one by one (physical memory, slab, paging, processes,
// reclaim) and Boot wires them together.
type Machine struct {
	Config Config
	// Layout is the architecture's memory layout.
	Layout *arch.Layout
	// Phys is physical memory: zones, struct pages, the buddy allocator.
	Phys *phys.Mem
	// Slab is the slab layer: kmem_cache, kmalloc.
	Slab *slab.Allocator
	// PT is the page tables: init_mm's and every process's.
	PT *pgtable.Tables
	// MMU is address translation: each CPU's TLB and loaded tables.
	MMU *tlb.MMU
	// Vmalloc is the vmalloc area; Highmem the kmap and kmap_local state.
	Vmalloc *vmalloc.Allocator
	Highmem *highmem.Highmem
	// Procs is processes and their address spaces.
	Procs *mm.System
	// Reclaim is the LRU lists, swap, kswapd and the OOM killer.
	Reclaim *reclaim.Reclaimer
	// oomKill is the pid the OOM killer chose while it was allocating:
	// it dies when the statement ends.
	oomKill int

	ctx      []Context
	warnings []string
	leaveErr error
	// warnedOnce holds the WARN_ON_ONCE sites that fired.
	warnedOnce map[string]bool
}

// Boot builds a machine from a configuration. It models the part of
// init/main.c:start_kernel() that sets up memory management.
func Boot(cfg Config) (*Machine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	kernel := cfg.Kernel
	l, err := arch.New(arch.Params{Arch: string(cfg.Arch), Paging: cfg.Paging, Split: cfg.Split, Highmem: cfg.Highmem, Mem: cfg.Mem, Kernel: kernel, CPUs: cfg.CPUs})
	if err != nil {
		return nil, err
	}
	m := &Machine{Config: cfg, Layout: l}
	m.Phys, err = phys.Boot(l)
	if err != nil {
		return nil, err
	}
	m.Phys.Hooks = phys.Hooks{
		Atomic: func() string { return string(m.atomicKind()) },
		Comm:   m.Comm,
		Warn:   m.Warn,
	}
	m.Slab, err = slab.New(m.Phys, l, cfg.CPUs, cfg.Slab, cfg.Debug)
	if err != nil {
		return nil, err
	}
	m.Slab.CPU = m.CPU
	m.Slab.Warn = m.Warn
	if m.PT, err = pgtable.New(m.Phys, l); err != nil {
		return nil, err
	}
	m.MMU = tlb.NewMMU(m.PT, cfg.CPUs, cfg.TLB)
	if m.Vmalloc, err = vmalloc.New(l, m.Phys, m.Slab, m.PT, m.MMU); err != nil {
		return nil, err
	}
	m.Vmalloc.CPU, m.Vmalloc.Warn, m.Vmalloc.WarnOnce, m.Vmalloc.Comm = m.CPU, m.Warn, m.WarnOnce, m.Comm
	m.Vmalloc.InInterrupt = m.InInterrupt
	m.MMU.Stale = m.Vmalloc.Stale
	m.Highmem = highmem.New(l, m.Phys, m.PT, m.MMU)
	m.Highmem.CPU, m.Highmem.WarnOnce = m.CPU, m.WarnOnce
	if m.Procs, err = mm.New(l, m.Phys, m.Slab, m.PT, m.MMU, m.Vmalloc, cfg.CPUs); err != nil {
		return nil, err
	}
	m.Procs.CPU = m.CPU
	m.Procs.Atomic = func() string { return string(m.atomicKind()) }
	m.Reclaim = reclaim.New(m.Phys, cfg.Swap, cfg.Policy)
	m.Reclaim.Host, m.Reclaim.Warn = m.Procs, m.Warn
	m.Procs.LRU, m.Procs.Swap = m.Reclaim.LRU, m.Reclaim.Swap
	m.Procs.SetReclaim(m.Reclaim)
	m.Phys.Hooks.WakeKswapd = func(order int, highest *phys.Zone) { m.Reclaim.Wake(highest) }
	m.Phys.Hooks.DirectReclaim = func(phys.GFP, int) uint64 { return uint64(m.Reclaim.DirectReclaim()) }
	m.Phys.Hooks.OOM = m.outOfMemory
	return m, nil
}

// BootLine boots the machine of a machine line given as text
// (ParseConfig).
func BootLine(line string) (*Machine, error) {
	cfg, err := ParseConfig(line)
	if err != nil {
		return nil, err
	}
	return Boot(cfg)
}

// Comm is the name of the task the current code runs as: the running
// process, or the script itself, "mmsim", outside any process.
func (m *Machine) Comm() string {
	if m.Procs != nil {
		if t := m.Procs.Current(); t != nil {
			return t.Comm
		}
	}
	return "mmsim"
}

// Warn records a kernel warning: the kernel printed it and went on.
func (m *Machine) Warn(msg string) { m.warnings = append(m.warnings, msg) }

// WarnOnce records a WARN_ON_ONCE warning: the first time a key is seen
// on this machine only.
func (m *Machine) WarnOnce(key, msg string) {
	if m.warnedOnce[key] {
		return
	}
	if m.warnedOnce == nil {
		m.warnedOnce = map[string]bool{}
	}
	m.warnedOnce[key] = true
	m.Warn(msg)
}

// TakeWarnings returns the warnings recorded since the last call.
func (m *Machine) TakeWarnings() []string {
	w := m.warnings
	m.warnings = nil
	return w
}

// BugError is a kernel BUG: the kernel would have printed an oops.
type BugError = bug.Error

// ContextKind is a kind of execution context.
type ContextKind string

const (
	CtxIRQ     ContextKind = "irq"     // hard interrupt handler
	CtxSoftIRQ ContextKind = "softirq" // softirq / bottom half
	CtxAtomic  ContextKind = "atomic"  // spinlock held, preemption off
	CtxCPU     ContextKind = "cpu"     // running on a chosen CPU
	CtxTask    ContextKind = "as"      // the user context of a process
	// CtxKmapAtomic is no context of the stack: kmap_atomic() mappings
	// are held, with preemption and page faults disabled.
	CtxKmapAtomic ContextKind = "kmap_atomic"
)

// Context is one entry of the execution-context stack.
type Context struct {
	Kind ContextKind
	CPU  int // for CtxCPU
	PID  int // for CtxTask
	// prev is the task the CPU ran before an as block switched away.
	prev *mm.Task
}

// EnterContext pushes an execution context. Contexts nest; a task may not
// migrate to another CPU or switch to another process while atomic, as in
// kernel/sched/core.c:__schedule_bug() ("scheduling while atomic").
func (m *Machine) EnterContext(c Context) error {
	switch c.Kind {
	case CtxIRQ, CtxSoftIRQ, CtxAtomic:
	case CtxCPU:
		if c.CPU < 0 || c.CPU >= m.Config.CPUs {
			return fmt.Errorf("cpu %d: the machine has CPUs 0 to %d", c.CPU, m.Config.CPUs-1)
		}
		if m.InAtomic() {
			return &BugError{Msg: fmt.Sprintf("scheduling while atomic: cannot migrate to CPU %d inside %s context", c.CPU, m.atomicKind())}
		}
		if m.Highmem != nil && m.Highmem.LocalSlots() > 0 && c.CPU != m.CPU() {
			return fmt.Errorf("cpu %d: kmap_local_page() mappings are held, and they disable migration (migrate_disable()) until kunmap_local()", c.CPU)
		}
	case CtxTask:
		if m.InAtomic() {
			return &BugError{Msg: fmt.Sprintf("scheduling while atomic: cannot switch to pid %d inside %s context", c.PID, m.atomicKind())}
		}
		t, ok := m.Procs.Task(c.PID)
		if !ok {
			return fmt.Errorf("as %d: no process with pid %d", c.PID, c.PID)
		}
		if t.State != mm.TaskRunning {
			return fmt.Errorf("as %d: pid %d (%s) has exited", c.PID, c.PID, t.Comm)
		}
		c.prev = m.Procs.Current()
		if err := m.Procs.SwitchTo(t); err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown context %q", c.Kind)
	}
	m.ctx = append(m.ctx, c)
	return nil
}

// LeaveContext pops the innermost execution context. Back in process
// context, the work deferred from interrupts runs (the vfree()s queued by
// vfree_atomic(), freed by a workqueue).
func (m *Machine) LeaveContext() {
	if len(m.ctx) > 0 {
		left := m.ctx[len(m.ctx)-1]
		m.ctx = m.ctx[:len(m.ctx)-1]
		if left.Kind == CtxCPU && left.CPU != m.CPU() {
			m.leaveErr = m.migrateCheck(left.CPU)
		}
		if left.Kind == CtxTask {
			prev := left.prev
			if prev != nil && prev.State != mm.TaskRunning {
				prev = nil
			}
			m.Procs.SwitchTo(prev)
		}
	}
	m.RunDeferred()
}

// migrateCheck is why the task may not leave a CPU: kmap_atomic held
// (atomic: scheduling while atomic), or kmap_local_page slots of that CPU
// held (migrate_disable()). The block ends all the same.
func (m *Machine) migrateCheck(cpu int) error {
	if m.Highmem == nil {
		return nil
	}
	if m.Highmem.Atomic() {
		// Entering a cpu block while atomic is refused, so the
		// kmap_atomic() was made inside it, lowmem page or not.
		for _, l := range m.Highmem.Stack() {
			if l.Atomic {
				return &BugError{Msg: fmt.Sprintf("scheduling while atomic: the cpu %d block ends with kmap_atomic() of pfn %#x held at %#x (preemption is off until kunmap_atomic)", cpu, uint64(l.PFN), uint64(l.VA))}
			}
		}
	}
	for _, l := range m.Highmem.Stack() {
		if !l.Mapped || l.CPU != cpu {
			continue
		}
		return fmt.Errorf("cpu %d: the block ends with kmap_local_page() of pfn %#x held at %#x, which keeps the task on CPU %d (migrate_disable()) until kunmap_local()", cpu, uint64(l.PFN), uint64(l.VA), cpu)
	}
	return nil
}

// TakeLeaveError returns the error the last LeaveContext found, once.
func (m *Machine) TakeLeaveError() error {
	err := m.leaveErr
	m.leaveErr = nil
	return err
}

// RunDeferred runs the work interrupts deferred (the vfree()s that
// vfree_atomic() queued for a workqueue), if the CPU is back in process
// context; in atomic context it waits.
func (m *Machine) RunDeferred() {
	if m.InAtomic() {
		return
	}
	if m.Vmalloc != nil {
		m.Vmalloc.RunDeferred()
	}
	if m.oomKill != 0 {
		m.Procs.Kill(m.oomKill)
		m.oomKill = 0
	}
	if m.Reclaim != nil && m.Reclaim.Woken() {
		m.Reclaim.Kswapd()
	}
}

// outOfMemory is the page allocator's call of the OOM killer
// (mm/oom_kill.c:out_of_memory()). A victim other than the allocating
// task dies at once and the allocation retries; when the allocating task
// is chosen, the allocation fails with the report and the task dies when
// the statement ends.
func (m *Machine) outOfMemory(gfp phys.GFP, order int) (bool, error) {
	killed, self := m.Reclaim.OOM(m.Comm(), gfp, order, m.Phys.TotalRAM())
	if self != nil {
		m.oomKill = self.PID
		return false, &bug.OOM{Msg: self.Msg}
	}
	return killed, nil
}

// InInterrupt reports in_interrupt(): a hard or soft interrupt handler
// runs.
func (m *Machine) InInterrupt() bool {
	for _, c := range m.ctx {
		if c.Kind == CtxIRQ || c.Kind == CtxSoftIRQ {
			return true
		}
	}
	return false
}

// Contexts returns the execution-context stack, outermost first.
func (m *Machine) Contexts() []Context { return append([]Context(nil), m.ctx...) }

// InAtomic reports whether code may not sleep here: in an interrupt, a
// softirq or with a spinlock held (include/linux/preempt.h:in_atomic()).
func (m *Machine) InAtomic() bool { return m.atomicKind() != "" }

func (m *Machine) atomicKind() ContextKind {
	for i := len(m.ctx) - 1; i >= 0; i-- {
		switch m.ctx[i].Kind {
		case CtxIRQ, CtxSoftIRQ, CtxAtomic:
			return m.ctx[i].Kind
		}
	}
	if m.Highmem != nil && m.Highmem.Atomic() {
		return CtxKmapAtomic
	}
	return ""
}

// CPU is the CPU the current code runs on: the innermost cpu context, or 0.
func (m *Machine) CPU() int {
	for i := len(m.ctx) - 1; i >= 0; i-- {
		if m.ctx[i].Kind == CtxCPU {
			return m.ctx[i].CPU
		}
	}
	return 0
}

// InvariantError is a violated invariant of the model: a bug in mmsim,
// never in a script.
type InvariantError = bug.Invariant

// Check verifies the invariants of every subsystem and returns the first
// violation as an *InvariantError. Each subsystem adds its rules here as it
// arrives: the execution-context stack, physical memory, the slab layer,
// the page tables, the TLBs, vmalloc and highmem.
func (m *Machine) Check() error {
	for _, c := range m.ctx {
		if c.Kind == CtxCPU && (c.CPU < 0 || c.CPU >= m.Config.CPUs) {
			return &InvariantError{Rule: "context-cpu", Detail: fmt.Sprintf("context stack runs on CPU %d of %d", c.CPU, m.Config.CPUs)}
		}
	}
	if err := m.Phys.Check(); err != nil {
		return err
	}
	if err := m.Slab.Check(); err != nil {
		return err
	}
	if err := m.PT.Check(); err != nil {
		return err
	}
	if err := m.MMU.Check(); err != nil {
		return err
	}
	if err := m.Vmalloc.Check(); err != nil {
		return err
	}
	if err := m.Highmem.Check(); err != nil {
		return err
	}
	if err := m.Reclaim.Check(); err != nil {
		return &InvariantError{Rule: "lru-swap", Detail: err.Error()}
	}
	return m.Procs.Check()
}
