package mm

import (
	"fmt"
	"sort"

	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/bug"
	"mmsim/kernelmodel/pgtable"
	"mmsim/kernelmodel/phys"
	"mmsim/kernelmodel/reclaim"
	"mmsim/kernelmodel/slab"
	"mmsim/kernelmodel/tlb"
	"mmsim/kernelmodel/vmalloc"
)

// System is the process side of the machine: the task list, the CPUs'
// running tasks, the programs and files, the slab caches of the kernel's
// process objects and the event counters.
type System struct {
	Layout  *arch.Layout
	Mem     *phys.Mem
	Slab    *slab.Allocator
	PT      *pgtable.Tables
	MMU     *tlb.MMU
	Vmalloc *vmalloc.Allocator
	// CPU is the CPU the current code runs on.
	CPU func() int
	// Atomic names the atomic context the code runs in, or "".
	Atomic func() string

	// MaxMapCount is vm.max_map_count; MmapMinAddr vm.mmap_min_addr;
	// StackGuardGap stack_guard_gap in bytes; StackLimit RLIMIT_STACK.
	MaxMapCount   int
	MmapMinAddr   uint64
	StackGuardGap uint64
	StackLimit    uint64

	// ZeroPFN is the shared zero page (empty_zero_page in the kernel
	// image's .bss).
	ZeroPFN phys.PFN

	// LRU is the node's LRU lists and Swap the swap area (nil: no swap
	// configured), both shared with reclaim.
	LRU  *reclaim.LRU
	Swap *reclaim.Swap
	// pages is the reverse map's view of each user page.
	pages reclaim.PFNMap[pageMeta]
	// reclaimer reclaims for MADV_PAGEOUT.
	reclaimer pageouter

	Stats Stats

	tasks    []*Task // alive and zombie tasks, by pid
	nextPID  int
	running  []*Task // each CPU's rq->curr; nil when it runs the script
	programs map[string]*Program
	files    map[string]*File
	nextFile int
	nextAnon int
	// the kernel's caches for process objects
	taskCache, mmCache, vmaCache, anonCache, avcCache *slab.Cache
	gen                                               uint64
	// checked is the generations (processes, page tables, physical
	// memory) the last passing Check saw.
	checked [3]uint64
}

// Stats are the process subsystem's event counters (/proc/vmstat and the
// model's own).
type Stats struct {
	PgFault, PgMajFault uint64 // every fault handled; the major ones
	CowCopies           uint64 // wp_page_copy(): a page copied for a write
	CowReuses           uint64 // wp_page_reuse(): a write-protected page made writable in place
	ZeroMaps            uint64 // read faults that mapped the zero page
	Forks, Execs        uint64
	ContextSwitches     uint64
	Segv                uint64 // SIGSEGVs delivered
}

// Object sizes of the kernel's process structures. x86_64's come from a
// Linux 6.18 kmem trace (task_struct 5848, mm_struct 1568,
// vm_area_struct 192, anon_vma 96, anon_vma_chain 64 bytes); x86's are
// estimates for a 32-bit build of the same kernel.
type objSizes struct{ task, mm, vma, anon, avc int }

var sizes = map[string]objSizes{
	"x86_64": {5848, 1568, 192, 96, 64},
	"x86":    {3328, 768, 96, 48, 32},
}

// New sets up processes on a booted machine: the caches fork_init() and
// proc_caches_init() create, and the zero page.
func New(l *arch.Layout, mem *phys.Mem, s *slab.Allocator, pt *pgtable.Tables, mmu *tlb.MMU, va *vmalloc.Allocator, cpus int) (*System, error) {
	sys := &System{Layout: l, Mem: mem, Slab: s, PT: pt, MMU: mmu, Vmalloc: va,
		CPU: func() int { return 0 }, Atomic: func() string { return "" },
		MaxMapCount: 65530, MmapMinAddr: 4096, StackGuardGap: 256 * arch.PageSize, StackLimit: 8 << 20,
		nextPID: 1, running: make([]*Task, cpus), programs: map[string]*Program{}, files: map[string]*File{}}
	sz := sizes[l.Arch]
	var err error
	mk := func(name string, size int, flags slab.Flags, ctor bool) *slab.Cache {
		if err != nil {
			return nil
		}
		var c *slab.Cache
		var f func(arch.VirtAddr)
		if ctor {
			f = func(arch.VirtAddr) {}
		}
		c, err = s.Create(name, size, 0, flags, f)
		if c != nil {
			c.Kernel = true
		}
		return c
	}
	sys.taskCache = mk("task_struct", sz.task, slab.SlabHWCacheAlign|slab.SlabPanic|slab.SlabAccount, false)
	sys.mmCache = mk("mm_struct", sz.mm, slab.SlabHWCacheAlign|slab.SlabPanic|slab.SlabAccount, false)
	sys.vmaCache = mk("vm_area_struct", sz.vma, slab.SlabPanic|slab.SlabAccount, false)
	sys.anonCache = mk("anon_vma", sz.anon, slab.SlabTypesafeByRCU|slab.SlabPanic|slab.SlabAccount, true)
	sys.avcCache = mk("anon_vma_chain", sz.avc, slab.SlabPanic|slab.SlabAccount, false)
	if err != nil {
		return nil, fmt.Errorf("fork_init: %v", err)
	}
	// empty_zero_page lives in the kernel image's .bss; the model takes
	// the image's first frame after its text, which nothing else uses.
	sys.ZeroPFN = phys.PFN(l.KernelStart>>arch.PageShift) + 1
	return sys, nil
}

// Tasks returns the tasks that exist (running or zombie), by pid.
func (s *System) Tasks() []*Task { return append([]*Task(nil), s.tasks...) }

// Task returns the task with a pid.
func (s *System) Task(pid int) (*Task, bool) {
	i := sort.Search(len(s.tasks), func(i int) bool { return s.tasks[i].PID >= pid })
	if i < len(s.tasks) && s.tasks[i].PID == pid {
		return s.tasks[i], true
	}
	return nil, false
}

func (s *System) addTask(t *Task) { s.tasks = append(s.tasks, t) } // pids only grow

func (s *System) removeTask(t *Task) {
	for i, x := range s.tasks {
		if x == t {
			s.tasks = append(s.tasks[:i], s.tasks[i+1:]...)
			return
		}
	}
}

// Current is the task running on the current CPU (get_current()), or nil
// when the CPU runs the script itself.
func (s *System) Current() *Task {
	cpu := s.CPU()
	if cpu < 0 || cpu >= len(s.running) {
		return nil
	}
	return s.running[cpu]
}

// Running returns the task each CPU runs.
func (s *System) Running() []*Task { return append([]*Task(nil), s.running...) }

// SwitchTo is a context switch on the current CPU
// (kernel/sched/core.c:context_switch()): the next task's address space
// is loaded (switch_mm_irqs_off(), a CR3 load that flushes the non-global
// TLB entries) unless it is already there. nil switches to the script,
// which like a kernel thread borrows the last address space (lazy TLB).
func (s *System) SwitchTo(t *Task) error {
	if t != nil && t.State != TaskRunning {
		return fmt.Errorf("switch: pid %d (%s) has exited and cannot run", t.PID, t.Comm)
	}
	if a := s.Atomic(); a != "" && t != nil {
		return bug.Errorf("scheduling while atomic: cannot switch to pid %d inside %s context", t.PID, a)
	}
	cpu := s.CPU()
	prev := s.running[cpu]
	if prev == t {
		return nil
	}
	s.running[cpu] = t
	s.Stats.ContextSwitches++
	if prev != nil {
		prev.Nvcsw++
	}
	if t != nil {
		s.MMU.SwitchMM(cpu, t.MM.PGD)
	}
	s.gen++
	return nil
}

// Program is a built-in program image: sizes of text, data and bss, and
// the file that holds text and data, shared by every process running it.
type Program struct {
	Name            string
	Text, Data, BSS uint64
	File            *File
}

// Default program sizes (spec.md): 4 pages of text, 1 of data, 2 of bss.
const (
	DefaultText = 4 * arch.PageSize
	DefaultData = 1 * arch.PageSize
	DefaultBSS  = 2 * arch.PageSize
)

// Program returns the program with a name, creating it with the given
// sizes (0 for the defaults). Asking for an existing program with other
// sizes is an error.
func (s *System) Program(name string, text, data, bss uint64) (*Program, error) {
	if name == "" {
		return nil, fmt.Errorf("a program needs a name")
	}
	if p, ok := s.programs[name]; ok {
		if (text != 0 && text != p.Text) || (data != 0 && data != p.Data) || (bss != 0 && bss != p.BSS) {
			return nil, fmt.Errorf("program %q exists with text=%d data=%d bss=%d", name, p.Text, p.Data, p.BSS)
		}
		return p, nil
	}
	if text == 0 {
		text = DefaultText
	}
	if data == 0 {
		data = DefaultData
	}
	if bss == 0 {
		bss = DefaultBSS
	}
	limit := uint64(s.Layout.TaskSize) / 4
	if text > limit || data > limit || bss > limit {
		return nil, fmt.Errorf("program %q: text, data and bss must each be at most %d bytes", name, limit)
	}
	f, err := s.newFile(name, pageAlign(text)+pageAlign(data), false)
	if err != nil {
		return nil, err
	}
	p := &Program{Name: name, Text: text, Data: data, BSS: bss, File: f}
	s.programs[name] = p
	return p, nil
}

// Programs lists the programs by name.
func (s *System) Programs() []*Program {
	var out []*Program
	for _, p := range s.programs {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// NewFile creates a file of size bytes whose pages will live in the page
// cache (file("name", size)).
func (s *System) NewFile(name string, size uint64) (*File, error) {
	if _, ok := s.programs[name]; ok {
		return nil, fmt.Errorf("file %q is the image of a program", name)
	}
	return s.newFile(name, size, false)
}

func (s *System) newFile(name string, size uint64, shmem bool) (*File, error) {
	if !shmem {
		if name == "" {
			return nil, fmt.Errorf("a file needs a name")
		}
		if _, ok := s.files[name]; ok {
			return nil, fmt.Errorf("file %q exists", name)
		}
	}
	if size > uint64(s.Layout.TaskSize) {
		return nil, fmt.Errorf("file %q: %d bytes is more than the address space", name, size)
	}
	s.nextFile++
	f := &File{Name: name, Size: size, Shmem: shmem, ID: s.nextFile, cache: map[uint64]cachePage{}}
	if !shmem {
		s.files[name] = f
	}
	return f, nil
}

// File returns a file by name.
func (s *System) File(name string) (*File, bool) {
	f, ok := s.files[name]
	return f, ok
}

// Files lists the files by name.
func (s *System) Files() []*File {
	var out []*File
	for _, f := range s.files {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func pageAlign(n uint64) uint64 { return (n + arch.PageSize - 1) &^ (arch.PageSize - 1) }
