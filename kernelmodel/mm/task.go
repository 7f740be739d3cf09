package mm

import (
	"fmt"

	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/bug"
	"mmsim/kernelmodel/pgtable"
	"mmsim/kernelmodel/phys"
	"mmsim/kernelmodel/slab"
	"mmsim/kernelmodel/vmalloc"
)

// TaskState is the state letter ps shows.
type TaskState string

const (
	TaskRunning TaskState = "R" // running or runnable
	TaskZombie  TaskState = "Z" // exited, not yet waited for
	TaskDead    TaskState = "X" // reaped: its task_struct is gone
)

// Task is a task_struct: a process with one thread.
type Task struct {
	PID    int
	Comm   string
	State  TaskState
	Parent *Task // nil: the script is the parent
	MM     *MM
	Regs   *Regs
	// MinFlt and MajFlt are min_flt and maj_flt; Nvcsw counts the
	// context switches away from the task.
	MinFlt, MajFlt, Nvcsw uint64
	// ExitCode is the exit() status; Signal the signal that killed the
	// task, or 0.
	ExitCode, Signal int
	// Cow counts the pages the task's write faults copied, CowReused
	// the write-protected pages they made writable in place.
	Cow, CowReused uint64

	sys      *System
	children []*Task
	obj      arch.VirtAddr // the task_struct
	stack    uint64        // the kernel stack: a vmalloc address, or a pfn
}

// WaitStatus is the status wait() reports: the exit code in bits 8-15,
// or the signal in bits 0-6 (include/uapi/linux/wait.h conventions).
func (t *Task) WaitStatus() int {
	if t.Signal != 0 {
		return t.Signal
	}
	return (t.ExitCode & 0xff) << 8
}

// Children returns the task's children that exist.
func (t *Task) Children() []*Task { return append([]*Task(nil), t.children...) }

// PPID is the parent's pid, 0 when the script is the parent.
func (t *Task) PPID() int {
	if t.Parent == nil {
		return 0
	}
	return t.Parent.PID
}

// RSS counter indexes (include/linux/mm_types_task.h).
const (
	MMFilePages = iota
	MMAnonPages
	MMSwapEnts
	MMShmemPages
	nrRSS
)

// MM is an mm_struct: an address space.
type MM struct {
	PGD  *pgtable.PGD
	tree *vmaTree
	obj  arch.VirtAddr
	// The image's layout (start_code ... start_stack) and the mmap area.
	StartCode, EndCode, StartData, EndData uint64
	StartBrk, Brk, StartStack, MmapBase    uint64
	// Rss are the rss_stat counters; HiwaterRSS the peak of their sum.
	Rss        [nrRSS]int64
	HiwaterRSS int64
	// Heap is the user malloc's state.
	Heap *Heap
	sys  *System
}

// RSS is get_mm_rss(): file, anonymous and shmem pages mapped.
func (m *MM) RSS() int64 { return m.Rss[MMFilePages] + m.Rss[MMAnonPages] + m.Rss[MMShmemPages] }

func (m *MM) addRss(kind int, n int64) {
	m.Rss[kind] += n
	if r := m.RSS(); r > m.HiwaterRSS {
		m.HiwaterRSS = r
	}
}

// MapCount is mm->map_count: the number of VMAs.
func (m *MM) MapCount() int { return m.tree.Len() }

// VMAs returns the VMAs in address order.
func (m *MM) VMAs() []*VMA {
	out := make([]*VMA, 0, m.tree.Len())
	m.tree.Each(func(v *VMA) bool { out = append(out, v); return true })
	return out
}

// FindVMA is find_vma(): the first VMA ending above addr, or nil.
func (m *MM) FindVMA(addr uint64) *VMA { return m.tree.Find(addr) }

// VMAAt returns the VMA containing addr, or nil.
func (m *MM) VMAAt(addr uint64) *VMA { return m.tree.Lookup(addr) }

// TotalVM is total_vm in pages.
func (m *MM) TotalVM() uint64 {
	var n uint64
	m.tree.Each(func(v *VMA) bool { n += v.Pages(); return true })
	return n
}

// StackTop is STACK_TOP: the top of the user stack.
func (s *System) StackTop() uint64 {
	if s.Layout.Arch == "x86_64" {
		return 0x7ffffffff000 // DEFAULT_MAP_WINDOW, also with 5-level paging
	}
	return uint64(s.Layout.TaskSize)
}

// TextStart is where non-PIE executables are linked (binutils' default
// linker scripts): 0x08048000 on i386, 0x400000 on x86_64.
func (s *System) TextStart() uint64 {
	if s.Layout.Arch == "x86_64" {
		return 0x400000
	}
	return 0x08048000
}

// mmapBase is arch/x86/mm/mmap.c:mmap_base() without randomisation: the
// gap below the stack is RLIMIT_STACK plus the guard gap, at least 128
// MiB and at most 5/6 of the address space.
func (s *System) mmapBase() uint64 { return s.mmapBaseBelow(s.StackTop()) }

// mmapBaseBelow is mmap_base() for a stack top: the legacy-free layout of
// a 64-bit and of a compat (ia32) task alike.
func (s *System) mmapBaseBelow(top uint64) uint64 {
	gap := s.StackLimit + s.StackGuardGap
	if min := uint64(128 << 20); gap < min {
		gap = min
	}
	if max := top / 6 * 5; gap > max {
		gap = max
	}
	return pageAlign(top - gap)
}

// unmappedBase is TASK_UNMAPPED_BASE, the bottom-up search's start.
func (s *System) unmappedBase() uint64 { return pageAlign(s.StackTop() / 3) }

// Initial stack: the top page holds argv and envp, and
// fs/exec.c:setup_arg_pages() grows the VMA by 128 KiB below it.
const (
	stackExpand    = 128 << 10
	initialStack   = stackExpand + arch.PageSize
	initialSPBelow = 0x790 // esp = 0xbffff870 under 3G/1G, as measured
)

// allocObj takes an object from one of the process caches.
func (s *System) allocObj(c interface {
	Alloc(phys.GFP, string) (arch.VirtAddr, bool, error)
}, caller string) (arch.VirtAddr, error) {
	a, ok, err := c.Alloc(phys.GFPKernelAccount, caller)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, sysErr(caller, ENOMEM, "the slab allocator could not allocate")
	}
	return a, nil
}

// newMM is mm_alloc() plus pgd_alloc(): an empty address space.
func (s *System) newMM(name string) (*MM, error) {
	obj, err := s.allocObj(s.mmCache, "mm_alloc")
	if err != nil {
		return nil, err
	}
	g, ok, err := s.PT.NewPGD(name)
	if err != nil || !ok {
		s.mmCache.Free(obj, "mm_alloc")
		if err == nil {
			err = sysErr("pgd_alloc", ENOMEM, "no page for the PGD")
		}
		return nil, err
	}
	m := &MM{PGD: g, obj: obj, sys: s, tree: newVMATree(s.StackGuardGap), MmapBase: s.mmapBase()}
	return m, nil
}

// allocStack is alloc_thread_stack_node(): 16 KiB of vmalloc space on
// x86_64 (CONFIG_VMAP_STACK), an order-1 block on x86.
func (s *System) allocStack() (uint64, error) {
	if s.Layout.Arch == "x86_64" {
		va, ok, err := s.Vmalloc.Alloc(vmalloc.Request{Size: 16 << 10, GFP: phys.GFPKernelAccount | phys.GfpZero, Caller: "dup_task_struct", Func: "__vmalloc_node_range"})
		if err != nil {
			return 0, err
		}
		if !ok {
			return 0, sysErr("dup_task_struct", ENOMEM, "no vmalloc space for the kernel stack")
		}
		return uint64(va), nil
	}
	pfn, ok, err := s.Mem.AllocPages(phys.Request{GFP: phys.GFPKernelAccount, Order: 1, Owner: phys.OwnerStack, Tag: "kernel stack", Caller: "dup_task_struct"})
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, sysErr("dup_task_struct", ENOMEM, "no pages for the kernel stack")
	}
	return uint64(pfn), nil
}

func (s *System) freeStack(st uint64) {
	if s.Layout.Arch == "x86_64" {
		s.Vmalloc.Free(arch.VirtAddr(st))
		return
	}
	s.Mem.FreePages(phys.PFN(st), 1)
}

// newTask is dup_task_struct(): a task_struct and a kernel stack.
func (s *System) newTask(comm string, parent *Task) (*Task, error) {
	obj, err := s.allocObj(s.taskCache, "dup_task_struct")
	if err != nil {
		return nil, err
	}
	st, err := s.allocStack()
	if err != nil {
		s.taskCache.Free(obj, "dup_task_struct")
		return nil, err
	}
	t := &Task{PID: s.nextPID, Comm: comm, State: TaskRunning, Parent: parent, sys: s, obj: obj, stack: st}
	t.Regs = NewRegs(s.Layout.Arch)
	return t, nil
}

// Spawn creates a process running a program: a task, an address space
// with the program's image, and its place on the task list
// (kernel_clone() followed by execve(), as init starting a program).
func (s *System) Spawn(prog *Program) (*Task, error) {
	if a := s.Atomic(); a != "" {
		return nil, s.sleepBug("spawn", a)
	}
	t, err := s.newTask(prog.Name, nil)
	if err != nil {
		return nil, err
	}
	m, err := s.newMM(fmt.Sprintf("pid %d", t.PID))
	if err == nil {
		err = s.loadImage(t, m, prog)
		if err != nil {
			s.dropMM(m)
		}
	}
	if err != nil {
		s.freeTask(t)
		return nil, err
	}
	t.MM = m
	s.nextPID++
	s.addTask(t)
	s.gen++
	return t, nil
}

func (s *System) sleepBug(what, atomic string) error {
	return bug.Errorf("BUG: sleeping function called from invalid context: %s in %s context", what, atomic)
}

// mmapLock is mmap_write_lock()'s might_sleep(): the calls that change an
// address space take a sleeping lock, which atomic code may not.
func (s *System) mmapLock(call string) error {
	if a := s.Atomic(); a != "" {
		return s.sleepBug(call+" (mmap_write_lock())", a)
	}
	return nil
}

func (s *System) freeTask(t *Task) {
	if t.stack != 0 {
		s.freeStack(t.stack)
		t.stack = 0
	}
	if t.obj != 0 {
		s.taskCache.Free(t.obj, "free_task")
		t.obj = 0
	}
}

// loadImage is fs/binfmt_elf.c:load_elf_binary() for a program: text and
// data mapped privately from its file, bss anonymous (vm_brk_flags()),
// the break right after bss, the stack VMA below STACK_TOP with its top
// page holding the arguments, and the registers at the entry point.
func (s *System) loadImage(t *Task, m *MM, prog *Program) error {
	text := s.TextStart()
	tsz, dsz, bsz := pageAlign(prog.Text), pageAlign(prog.Data), pageAlign(prog.BSS)
	fileFlags := VMRead | VMMayRead | VMMayWrite | VMMayExec
	steps := []struct {
		start, end uint64
		flags      VMFlags
		file       *File
		pgoff      uint64
	}{
		{text, text + tsz, fileFlags | VMExec, prog.File, 0},
		{text + tsz, text + tsz + dsz, fileFlags | VMWrite | VMAccount, prog.File, tsz >> arch.PageShift},
		{text + tsz + dsz, text + tsz + dsz + bsz, vmDataFlags, nil, (text + tsz + dsz) >> arch.PageShift},
	}
	top := s.StackTop()
	for _, st := range steps {
		if st.end == st.start {
			continue
		}
		if _, err := m.insertRange(st.start, st.end, st.flags, st.file, st.pgoff); err != nil {
			return err
		}
	}
	m.StartCode, m.EndCode = text, text+prog.Text
	m.StartData, m.EndData = text+tsz, text+tsz+prog.Data
	m.StartBrk = text + tsz + dsz + bsz
	m.Brk = m.StartBrk
	m.StartStack = top - initialSPBelow
	stack, err := m.insertRange(top-initialStack, top, vmStackFlags, nil, (top-initialStack)>>arch.PageShift)
	if err != nil {
		return err
	}
	// copy_strings() writes argv and envp: the top page is there from
	// the start (the model does not count these faults).
	if _, err := m.anonPage(stack, top-arch.PageSize, true); err != nil {
		return err
	}
	t.Regs.Reset(text, m.StartStack)
	m.Heap = newHeap()
	return nil
}

// Exec replaces a task's image with a program (fs/exec.c:begin_new_exec()
// and exec_mmap()): a new address space is built first, and only when
// that worked is the old one released.
func (s *System) Exec(t *Task, prog *Program) error {
	if err := s.mmapLock("exec"); err != nil {
		return err
	}
	if t.State != TaskRunning {
		return fmt.Errorf("exec: pid %d has exited", t.PID)
	}
	m, err := s.newMM(fmt.Sprintf("pid %d", t.PID))
	if err != nil {
		return err
	}
	if err := s.loadImage(t, m, prog); err != nil {
		s.dropMM(m)
		return err
	}
	old := t.MM
	t.MM = m
	t.Comm = prog.Name
	for cpu, r := range s.running {
		if r == t {
			s.MMU.SwitchMM(cpu, m.PGD)
		}
	}
	s.dropMM(old)
	s.Stats.Execs++
	s.gen++
	return nil
}

// dropMM is exit_mmap() and mmdrop(): every VMA unmapped and freed, the
// page tables and the PGD freed, then the mm_struct. No CPU may still
// have it loaded: those that do switch to init_mm's tables.
func (s *System) dropMM(m *MM) {
	for cpu := range s.running {
		if s.MMU.PGD(cpu) == m.PGD {
			s.MMU.SwitchMM(cpu, s.PT.Init)
		}
	}
	for v := m.tree.First(); v != nil; {
		next := v.Next()
		m.zap(v, v.Start, v.End)
		m.unlinkVMA(v)
		v = next
	}
	s.PT.FreeRange(m.PGD, 0, arch.VirtAddr(s.Layout.TaskSize), 0, 0)
	s.PT.FreePGD(m.PGD)
	s.mmCache.Free(m.obj, "mmdrop")
	m.obj = 0
}

// Exit is do_exit(): the address space is released at once
// (exit_mm()), the kernel stack with the task's last schedule, children
// go to the script (which stands in for init and reaps orphans), and the
// task stays a zombie holding its task_struct until it is waited for.
func (s *System) Exit(t *Task, code, signal int) error {
	if t.State != TaskRunning {
		return fmt.Errorf("exit: pid %d has exited already", t.PID)
	}
	for cpu, r := range s.running {
		if r == t {
			s.running[cpu] = nil
		}
	}
	s.dropMM(t.MM)
	t.MM = nil
	if t.stack != 0 {
		s.freeStack(t.stack)
		t.stack = 0
	}
	for _, c := range t.children {
		c.Parent = nil
	}
	t.children = nil
	t.State, t.ExitCode, t.Signal = TaskZombie, code, signal
	s.gen++
	return nil
}

// Wait is wait4(): it reaps a zombie child (pid -1: any, the lowest pid
// first) of parent (nil: the script) and frees its task_struct. A child
// that is still running would make the caller sleep forever, since the
// script runs one task at a time: that is an error.
func (s *System) Wait(parent *Task, pid int) (*Task, error) {
	var kids []*Task
	for _, t := range s.tasks {
		if t.Parent == parent && t != parent {
			kids = append(kids, t)
		}
	}
	var found *Task
	running := 0
	for _, k := range kids {
		if pid != -1 && k.PID != pid {
			continue
		}
		if k.State == TaskZombie {
			found = k
			break
		}
		running++
	}
	if found == nil {
		if running > 0 {
			return nil, sysErr("wait", EAGAIN, fmt.Sprintf("%s has not exited; waiting for it would block forever", childWord(pid)))
		}
		if pid == -1 {
			return nil, sysErr("wait", ECHILD, "no child to wait for")
		}
		return nil, sysErr("wait", ECHILD, fmt.Sprintf("pid %d is not a child of the caller", pid))
	}
	if p := found.Parent; p != nil {
		for i, c := range p.children {
			if c == found {
				p.children = append(p.children[:i], p.children[i+1:]...)
				break
			}
		}
	}
	s.freeTask(found)
	found.State = TaskDead
	s.removeTask(found)
	s.gen++
	return found, nil
}

func childWord(pid int) string {
	if pid == -1 {
		return "no child"
	}
	return fmt.Sprintf("pid %d", pid)
}

// Regs is a task's user register set, as a script reads and writes it:
// eax ... ebp, esp, eip on x86; rax ... r15, rsp, rip on x86_64, whose
// 32-bit names (eax ...) read and write the low halves.
type Regs struct {
	names []string
	v     []uint64
	wide  bool
}

var (
	regs32 = []string{"eax", "ebx", "ecx", "edx", "esi", "edi", "ebp", "esp", "eip", "eflags"}
	regs64 = []string{"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip", "eflags"}
)

// NewRegs returns a zeroed register set for an architecture.
func NewRegs(archName string) *Regs {
	if archName == "x86_64" {
		return &Regs{names: regs64, v: make([]uint64, len(regs64)), wide: true}
	}
	return &Regs{names: regs32, v: make([]uint64, len(regs32))}
}

// Names lists the registers in their usual order.
func (r *Regs) Names() []string { return r.names }

func (r *Regs) index(name string) (int, bool) {
	for i, n := range r.names {
		if n == name {
			return i, true
		}
	}
	return 0, false
}

// alias maps x86_64's 32-bit names to the 64-bit registers.
func (r *Regs) alias(name string) (int, bool) {
	if !r.wide || len(name) != 3 || name[0] != 'e' {
		return 0, false
	}
	return r.index("r" + name[1:])
}

// Get reads a register.
func (r *Regs) Get(name string) (uint64, bool) {
	if i, ok := r.index(name); ok {
		return r.v[i], true
	}
	if i, ok := r.alias(name); ok {
		return r.v[i] & 0xffffffff, true
	}
	return 0, false
}

// Set writes a register; a 32-bit register keeps the low 32 bits, and
// writing x86_64's eax zero-extends into rax as the hardware does.
func (r *Regs) Set(name string, v uint64) bool {
	if i, ok := r.index(name); ok {
		if !r.wide {
			v &= 0xffffffff
		}
		r.v[i] = v
		return true
	}
	if i, ok := r.alias(name); ok {
		r.v[i] = v & 0xffffffff
		return true
	}
	return false
}

// Reset sets the registers of a fresh image: all zero but the
// instruction and stack pointers and the interrupt flag.
func (r *Regs) Reset(ip, sp uint64) {
	for i := range r.v {
		r.v[i] = 0
	}
	if r.wide {
		r.Set("rip", ip)
		r.Set("rsp", sp)
	} else {
		r.Set("eip", ip)
		r.Set("esp", sp)
	}
	r.Set("eflags", 0x202)
}

// clone copies a register set (fork's child gets the parent's).
func (r *Regs) clone() *Regs {
	return &Regs{names: r.names, v: append([]uint64(nil), r.v...), wide: r.wide}
}

// LiveKernelMemory is what the tasks that exist hold in kernel memory, so
// that a leak report (mm/kmemleak.c finds them referenced) leaves them
// out: the process caches, every object of which belongs to a task (the
// task-objects invariant), and the vmalloc'd kernel stacks.
func (s *System) LiveKernelMemory() (caches []*slab.Cache, stacks []arch.VirtAddr) {
	caches = []*slab.Cache{s.taskCache, s.mmCache, s.vmaCache, s.anonCache, s.avcCache}
	if s.Layout.Arch != "x86_64" {
		return caches, nil // order-1 page blocks, not vmalloc areas
	}
	for _, t := range s.tasks {
		if t.stack != 0 {
			stacks = append(stacks, arch.VirtAddr(t.stack))
		}
	}
	return caches, stacks
}
