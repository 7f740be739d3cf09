package stdlib

import (
	"errors"
	"fmt"
	"sort"

	"mmsim/kernelmodel"
	"mmsim/kernelmodel/mm"
	"mmsim/runtime"
)

// Processes: spawn, fork, exec, exit, wait, switch, the proc handle, the
// registers, and mmap, munmap, mprotect, madvise, brk, sbrk and files.

func init() {
	registerModel("spawn", "spawn(name, text=, data=, bss=): a new process running a built-in program; it runs on this CPU if the CPU has no process", builtinSpawn)
	registerModel("task", "task(pid): the process with that pid", builtinTask)
	registerModel("fork", "fork(): the running process forks; returns the child's pid", builtinFork)
	registerModel("exec", "exec(name, text=, data=, bss=): the running process replaces its image with a program", builtinExec)
	registerModel("exit", "exit(code=0): the running process exits and stays a zombie until wait", builtinExit)
	registerModel("wait", "wait(pid=-1): reap an exited child (of the running process, or of the script); returns its pid", builtinWait)
	registerModel("switch", "switch PID: context switch to a process on this CPU (0: back to the script)", builtinSwitch)
	registerModel("mmap", "mmap(addr, length, prot, flags, file=NULL, offset=0): map memory in the running process", builtinMmap)
	registerModel("munmap", "munmap(addr, length): unmap a range of the running process", builtinMunmap)
	registerModel("mprotect", "mprotect(addr, length, prot): change the protection of a range", builtinMprotect)
	registerModel("madvise", "madvise(addr, length, advice): MADV_DONTNEED, MADV_DONTFORK, ...", builtinMadvise)
	registerModel("brk", "brk(addr): set the program break; returns the new break, or the old one on failure", builtinBrk)
	registerModel("sbrk", "sbrk(delta): move the break by delta bytes; returns the old break", builtinSbrk)
	registerModel("file", "file(name, size): a file whose pages live in the page cache, for mmap", builtinFile)

	for _, c := range []struct {
		name string
		v    int64
	}{
		{"PROT_NONE", mm.ProtNone}, {"PROT_READ", mm.ProtRead}, {"PROT_WRITE", mm.ProtWrite}, {"PROT_EXEC", mm.ProtExec},
		{"MAP_SHARED", mm.MapShared}, {"MAP_PRIVATE", mm.MapPrivate}, {"MAP_SHARED_VALIDATE", mm.MapSharedValidate},
		{"MAP_FIXED", mm.MapFixed}, {"MAP_ANONYMOUS", mm.MapAnonymous}, {"MAP_ANON", mm.MapAnonymous},
		{"MAP_GROWSDOWN", mm.MapGrowsDown}, {"MAP_LOCKED", mm.MapLocked}, {"MAP_NORESERVE", mm.MapNoReserve},
		{"MAP_POPULATE", mm.MapPopulate}, {"MAP_NONBLOCK", mm.MapNonBlock}, {"MAP_STACK", mm.MapStack},
		{"MAP_FIXED_NOREPLACE", mm.MapFixedNoReplace},
		{"MADV_NORMAL", mm.MadvNormal}, {"MADV_RANDOM", mm.MadvRandom}, {"MADV_SEQUENTIAL", mm.MadvSequential},
		{"MADV_WILLNEED", mm.MadvWillNeed}, {"MADV_DONTNEED", mm.MadvDontNeed}, {"MADV_DONTFORK", mm.MadvDontFork},
		{"MADV_DOFORK", mm.MadvDoFork},
		{"SIGSEGV", mm.SIGSEGV}, {"SIGBUS", mm.SIGBUS}, {"SEGV_MAPERR", mm.SegvMapErr}, {"SEGV_ACCERR", mm.SegvAccErr},
	} {
		Constant(c.name, runtime.Int(c.v))
	}
	for _, e := range mm.Errnos() {
		Constant(e.Name(), runtime.Int(e))
	}
	Constant("MAP_FAILED", runtime.Int(-1))
}

// Proc is a proc handle: a task.
type Proc struct {
	m *kernelmodel.Machine
	t *mm.Task
}

func (p Proc) String() string {
	return fmt.Sprintf("pid %d (%s, %s)", p.t.PID, p.t.Comm, stateWord(p.t.State))
}
func (Proc) Type() string     { return "proc" }
func (Proc) Truth() bool      { return true }
func (p Proc) Task() *mm.Task { return p.t }

func stateWord(s mm.TaskState) string {
	switch s {
	case mm.TaskRunning:
		return "running"
	case mm.TaskZombie:
		return "zombie"
	}
	return "reaped"
}

var procAttrs = []string{"anon", "brk", "cow", "cow_reused", "exit_code", "file", "majflt", "maps", "minflt", "mmap_base", "name", "nvcsw", "pid", "ppid", "regs", "rss", "shmem", "start_brk", "start_stack", "state", "status", "vm"}

// AttrNames implements runtime.HasAttrs.
func (Proc) AttrNames() []string { return procAttrs }

// Attr implements runtime.HasAttrs. Sizes are in pages.
func (p Proc) Attr(name string) (runtime.Value, error) {
	t := p.t
	mmAttr := func(f func(m *mm.MM) int64) (runtime.Value, error) {
		if t.MM == nil {
			return runtime.Int(0), nil
		}
		return runtime.Int(f(t.MM)), nil
	}
	switch name {
	case "pid":
		return runtime.Int(t.PID), nil
	case "ppid":
		return runtime.Int(t.PPID()), nil
	case "name":
		return runtime.String(t.Comm), nil
	case "state":
		return runtime.String(string(t.State)), nil
	case "minflt":
		return runtime.Int(t.MinFlt), nil
	case "majflt":
		return runtime.Int(t.MajFlt), nil
	case "cow":
		return runtime.Int(t.Cow), nil
	case "cow_reused":
		return runtime.Int(t.CowReused), nil
	case "nvcsw":
		return runtime.Int(t.Nvcsw), nil
	case "exit_code":
		return runtime.Int(t.ExitCode), nil
	case "status":
		return runtime.Int(t.WaitStatus()), nil
	case "regs":
		return &Regs{m: p.m, t: t}, nil
	case "rss":
		return mmAttr(func(m *mm.MM) int64 { return m.RSS() })
	case "anon":
		return mmAttr(func(m *mm.MM) int64 { return m.Rss[mm.MMAnonPages] })
	case "file":
		return mmAttr(func(m *mm.MM) int64 { return m.Rss[mm.MMFilePages] })
	case "shmem":
		return mmAttr(func(m *mm.MM) int64 { return m.Rss[mm.MMShmemPages] })
	case "vm":
		return mmAttr(func(m *mm.MM) int64 { return int64(m.TotalVM()) })
	case "maps":
		return mmAttr(func(m *mm.MM) int64 { return int64(m.MapCount()) })
	case "brk":
		return mmAttr(func(m *mm.MM) int64 { return int64(m.Brk) })
	case "start_brk":
		return mmAttr(func(m *mm.MM) int64 { return int64(m.StartBrk) })
	case "mmap_base":
		return mmAttr(func(m *mm.MM) int64 { return int64(m.MmapBase) })
	case "start_stack":
		return mmAttr(func(m *mm.MM) int64 { return int64(m.StartStack) })
	}
	return nil, nil
}

// Describe implements runtime.Describer.
func (p Proc) Describe() string {
	t := p.t
	s := fmt.Sprintf("pid %d (%s), parent %d, state %s: %d minor and %d major faults, %d pages copied on write", t.PID, t.Comm, t.PPID(), stateWord(t.State), t.MinFlt, t.MajFlt, t.Cow)
	if t.MM != nil {
		s += fmt.Sprintf("; %d VMAs, %d pages of virtual memory, %d resident", t.MM.MapCount(), t.MM.TotalVM(), t.MM.RSS())
	}
	return s
}

// Regs is the register set of a task, or of whichever task runs (t nil):
// the name regs.
type Regs struct {
	m *kernelmodel.Machine
	h *Host
	t *mm.Task
}

func (r *Regs) task() (*mm.Task, error) {
	if r.t != nil {
		return r.t, nil
	}
	if r.h == nil || r.h.Machine == nil {
		return nil, fmt.Errorf("regs: no machine is running")
	}
	return runningTask(r.h.Machine, "regs")
}

func (r *Regs) String() string {
	t, err := r.task()
	if err != nil {
		return "regs (no process)"
	}
	s := fmt.Sprintf("regs of pid %d:", t.PID)
	for _, n := range t.Regs.Names() {
		v, _ := t.Regs.Get(n)
		s += fmt.Sprintf(" %s=%#x", n, v)
	}
	return s
}
func (*Regs) Type() string { return "regs" }
func (*Regs) Truth() bool  { return true }

// AttrNames implements runtime.HasAttrs.
func (r *Regs) AttrNames() []string {
	t, err := r.task()
	if err != nil {
		return nil
	}
	names := append([]string(nil), t.Regs.Names()...)
	sort.Strings(names)
	return names
}

// Attr implements runtime.HasAttrs.
func (r *Regs) Attr(name string) (runtime.Value, error) {
	t, err := r.task()
	if err != nil {
		return nil, err
	}
	v, ok := t.Regs.Get(name)
	if !ok {
		return nil, nil
	}
	return runtime.Int(int64(v)), nil
}

// SetAttr implements runtime.HasSetAttr: an int (negative values in
// two's complement) or a ptr.
func (r *Regs) SetAttr(name string, v runtime.Value) error {
	t, err := r.task()
	if err != nil {
		return err
	}
	var x uint64
	switch v := v.(type) {
	case runtime.Int:
		x = uint64(v)
	case runtime.Ptr:
		x = v.Addr
	case runtime.NullType:
	default:
		return fmt.Errorf("regs.%s = %s: a register holds an int or a ptr", name, v.Type())
	}
	if !t.Regs.Set(name, x) {
		return fmt.Errorf("regs has no register %s; registers: %s", name, joinNames(t.Regs.Names()))
	}
	return nil
}

func joinNames(n []string) string {
	s := ""
	for i, x := range n {
		if i > 0 {
			s += ", "
		}
		s += x
	}
	return s
}

// FileHandle is a file handle.
type FileHandle struct{ f *mm.File }

func (f FileHandle) String() string { return fmt.Sprintf("file %s (%d bytes)", f.f.Path(), f.f.Size) }
func (FileHandle) Type() string     { return "file" }
func (FileHandle) Truth() bool      { return true }

// AttrNames implements runtime.HasAttrs.
func (FileHandle) AttrNames() []string { return []string{"cached", "name", "size"} }

// Attr implements runtime.HasAttrs.
func (f FileHandle) Attr(name string) (runtime.Value, error) {
	switch name {
	case "name":
		return runtime.String(f.f.Name), nil
	case "size":
		return runtime.Int(f.f.Size), nil
	case "cached":
		return runtime.Int(f.f.Cached()), nil
	}
	return nil, nil
}

// userOrigin is the provenance of a user address.
type userOrigin struct {
	pid  int
	what string
}

func (o userOrigin) Describe() string { return fmt.Sprintf("%s in pid %d", o.what, o.pid) }

// runningTask is the process running on the current CPU.
func runningTask(m *kernelmodel.Machine, what string) (*mm.Task, error) {
	if t := m.Procs.Current(); t != nil {
		return t, nil
	}
	return nil, fmt.Errorf("%s: no process is running on cpu %d: spawn one, switch to one, or use as PID { }", what, m.CPU())
}

func unpackProgram(m *kernelmodel.Machine, c *runtime.Call) (*mm.Program, error) {
	var name string
	var text, data, bss int64
	if err := c.Unpack("name", &name, "text?", &text, "data?", &data, "bss?", &bss); err != nil {
		return nil, err
	}
	for _, x := range []struct {
		n string
		v int64
	}{{"text", text}, {"data", data}, {"bss", bss}} {
		if x.v < 0 {
			return nil, fmt.Errorf("%s: %s=%d is negative", c.Name, x.n, x.v)
		}
	}
	p, err := m.Procs.Program(name, uint64(text), uint64(data), uint64(bss))
	if err != nil {
		return nil, fmt.Errorf("%s: %v", c.Name, err)
	}
	return p, nil
}

func builtinSpawn(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	prog, err := unpackProgram(m, c)
	if err != nil {
		return nil, err
	}
	t, err := m.Procs.Spawn(prog)
	if err != nil {
		return nil, procErr(c, err)
	}
	if m.Procs.Current() == nil && !m.InAtomic() {
		if err := m.Procs.SwitchTo(t); err != nil {
			return nil, err
		}
	}
	return Proc{m, t}, nil
}

// procErr prefixes a model error with the built-in's name unless it
// names itself (an errno error does).
func procErr(c *runtime.Call, err error) error {
	if err == nil {
		return nil
	}
	var se *mm.SysError
	if errors.As(err, &se) {
		return err
	}
	var sig *mm.Signal
	if errors.As(err, &sig) {
		return err
	}
	if modelErr(err) != err {
		return err
	}
	return fmt.Errorf("%s: %v", c.Name, err)
}

func builtinTask(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	var pid int64
	if err := c.Unpack("pid", &pid); err != nil {
		return nil, err
	}
	t, ok := m.Procs.Task(int(pid))
	if !ok {
		return nil, fmt.Errorf("task: no process with pid %d", pid)
	}
	return Proc{m, t}, nil
}

func builtinFork(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	if err := c.Unpack(); err != nil {
		return nil, err
	}
	t, err := runningTask(m, "fork")
	if err != nil {
		return nil, err
	}
	child, err := m.Procs.Fork(t)
	if err != nil {
		return nil, procErr(c, err)
	}
	return runtime.Int(child.PID), nil
}

func builtinExec(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	t, err := runningTask(m, "exec")
	if err != nil {
		return nil, err
	}
	prog, err := unpackProgram(m, c)
	if err != nil {
		return nil, err
	}
	return nil, procErr(c, m.Procs.Exec(t, prog))
}

func builtinExit(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	code := int64(0)
	if err := c.Unpack("code?", &code); err != nil {
		return nil, err
	}
	t, err := runningTask(m, "exit")
	if err != nil {
		return nil, err
	}
	return nil, procErr(c, m.Procs.Exit(t, int(code&0xff), 0))
}

func builtinWait(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	pid := int64(-1)
	if err := c.Unpack("pid?", &pid); err != nil {
		return nil, err
	}
	parent := m.Procs.Current()
	if k, ok := m.Procs.Task(int(pid)); ok && k.Parent == nil {
		parent = nil // the script reaps what it spawned, and orphans
	}
	t, err := m.Procs.Wait(parent, int(pid))
	if err != nil {
		return nil, err
	}
	return runtime.Int(t.PID), nil
}

func builtinSwitch(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	var pid int64
	if err := c.Unpack("pid", &pid); err != nil {
		return nil, err
	}
	if pid == 0 {
		return nil, m.Procs.SwitchTo(nil)
	}
	t, ok := m.Procs.Task(int(pid))
	if !ok {
		return nil, fmt.Errorf("switch: no process with pid %d", pid)
	}
	for _, ctx := range m.Contexts() {
		if ctx.Kind == kernelmodel.CtxTask {
			return nil, fmt.Errorf("switch %d: inside as %d { } the CPU runs that process; switch outside the block", pid, ctx.PID)
		}
	}
	return nil, m.Procs.SwitchTo(t)
}

// userPtr is a user address with provenance: what the VMA holding it is.
func userPtr(t *mm.Task, addr uint64, what string) runtime.Ptr {
	return runtime.Ptr{Addr: addr, Origin: userOrigin{pid: t.PID, what: what}}
}

func builtinMmap(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	var addr uint64
	var length, prot, flags, off int64
	var file runtime.Value = runtime.NullType{}
	if err := c.Unpack("addr", &addr, "length", &length, "prot", &prot, "flags", &flags, "file?", &file, "offset?", &off); err != nil {
		return nil, err
	}
	t, err := runningTask(m, "mmap")
	if err != nil {
		return nil, err
	}
	if length < 0 || off < 0 {
		return nil, fmt.Errorf("mmap: length and offset must not be negative")
	}
	a := mm.MmapArgs{Addr: addr, Len: uint64(length), Prot: int(prot), Flags: int(flags), Off: uint64(off)}
	switch f := file.(type) {
	case FileHandle:
		a.File = f.f
	case runtime.NullType:
	case runtime.Int:
		if f != -1 {
			return nil, fmt.Errorf("mmap: file must be a file from file(), or -1 or NULL for none; the model has no file descriptors")
		}
	default:
		return nil, fmt.Errorf("mmap: file must be a file, not %s", file.Type())
	}
	got, err := m.Procs.Mmap(t, a)
	if err != nil {
		return nil, procErr(c, err)
	}
	what := "mmap"
	if v := t.MM.VMAAt(got); v != nil {
		what = fmt.Sprintf("mmap %s", v.Flags.Perms())
		if v.File != nil {
			what += " of " + v.File.Path()
		}
	}
	return userPtr(t, got, what), nil
}

// rangeCall is a built-in on a range of the running process's memory
// (munmap, mprotect, madvise): addr, length, and for the last two one
// more int argument.
func rangeCall(extra string, call func(s *mm.System, t *mm.Task, addr, length uint64, x int) error) modelBuiltin {
	return func(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
		var addr uint64
		var length, x int64
		args := []any{"addr", &addr, "length", &length}
		if extra != "" {
			args = append(args, extra, &x)
		}
		if err := c.Unpack(args...); err != nil {
			return nil, err
		}
		t, err := runningTask(m, c.Name)
		if err != nil {
			return nil, err
		}
		if length < 0 {
			return nil, fmt.Errorf("%s: length %d is negative", c.Name, length)
		}
		return nil, procErr(c, call(m.Procs, t, addr, uint64(length), int(x)))
	}
}

var (
	builtinMunmap = rangeCall("", func(s *mm.System, t *mm.Task, addr, length uint64, _ int) error {
		return s.Munmap(t, addr, length)
	})
	builtinMprotect = rangeCall("prot", (*mm.System).Mprotect)
	builtinMadvise  = rangeCall("advice", (*mm.System).Madvise)
)

func builtinBrk(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	var addr uint64
	if err := c.Unpack("addr", &addr); err != nil {
		return nil, err
	}
	t, err := runningTask(m, "brk")
	if err != nil {
		return nil, err
	}
	return userPtr(t, m.Procs.Brk(t, addr), "program break"), nil
}

func builtinSbrk(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	var delta int64
	if err := c.Unpack("delta", &delta); err != nil {
		return nil, err
	}
	t, err := runningTask(m, "sbrk")
	if err != nil {
		return nil, err
	}
	old := t.MM.Brk
	want := old + uint64(delta)
	if delta < 0 && uint64(-delta) > old || delta > 0 && want < old {
		return nil, fmt.Errorf("sbrk: ENOMEM (Cannot allocate memory): the break %#x cannot move by %d", old, delta)
	}
	if delta != 0 && m.Procs.Brk(t, want) != want {
		return nil, fmt.Errorf("sbrk: ENOMEM (Cannot allocate memory): brk(%#x) failed and the break stays at %#x", want, old)
	}
	return userPtr(t, old, "program break"), nil
}

func builtinFile(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	var name string
	var size int64
	if err := c.Unpack("name", &name, "size", &size); err != nil {
		return nil, err
	}
	if size < 0 {
		return nil, fmt.Errorf("file: size %d is negative", size)
	}
	f, err := m.Procs.NewFile(name, uint64(size))
	if err != nil {
		return nil, fmt.Errorf("file: %v", err)
	}
	return FileHandle{f}, nil
}

// signalErr turns a fault's signal into the script's SIGSEGV: inside an
// expect segv block the process handles it and lives on; otherwise it
// dies of it, as Linux's default action is, and the script stops.
func signalErr(th *runtime.Thread, m *kernelmodel.Machine, sig *mm.Signal) error {
	msg := sig.Detail()
	if sig.Signo != mm.SIGSEGV {
		msg = sig.Error()
	}
	if !th.Expecting("segv") {
		if t, ok := m.Procs.Task(sig.PID); ok && t.State == mm.TaskRunning {
			m.Procs.Exit(t, 0, sig.Signo)
			msg += fmt.Sprintf("; pid %d is killed", sig.PID)
		}
	}
	return runtime.Errorf(runtime.KindSegv, "%s", msg)
}

// currentProc is the name current: the process running on the current
// CPU, looked up each time it is used.
type currentProc struct{ h *Host }

func (c currentProc) proc() (Proc, error) {
	if c.h == nil || c.h.Machine == nil {
		return Proc{}, fmt.Errorf("current: no machine is running")
	}
	t, err := runningTask(c.h.Machine, "current")
	if err != nil {
		return Proc{}, err
	}
	return Proc{c.h.Machine, t}, nil
}

func (c currentProc) String() string {
	p, err := c.proc()
	if err != nil {
		return "current (no process)"
	}
	return p.String()
}
func (currentProc) Type() string        { return "proc" }
func (currentProc) Truth() bool         { return true }
func (currentProc) AttrNames() []string { return procAttrs }

// Attr implements runtime.HasAttrs.
func (c currentProc) Attr(name string) (runtime.Value, error) {
	p, err := c.proc()
	if err != nil {
		return nil, err
	}
	return p.Attr(name)
}

// threadNames are the names whose value depends on the thread's machine:
// regs and current.
func threadNames(h *Host, u map[string]runtime.Value) {
	u["regs"] = &Regs{h: h}
	u["current"] = currentProc{h}
}

// procArg is a proc, current, or a pid.
func procArg(m *kernelmodel.Machine, v runtime.Value, what string) (*mm.Task, error) {
	switch x := v.(type) {
	case Proc:
		return x.t, nil
	case currentProc:
		p, err := x.proc()
		return p.t, err
	case runtime.Int:
		t, ok := m.Procs.Task(int(x))
		if !ok {
			return nil, fmt.Errorf("%s: no process with pid %d", what, int64(x))
		}
		return t, nil
	}
	return nil, fmt.Errorf("%s: want a proc or a pid, not %s", what, v.Type())
}
