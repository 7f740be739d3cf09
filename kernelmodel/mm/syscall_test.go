package mm_test

import (
	"encoding/binary"
	"strings"
	"testing"

	"mmsim/kernelmodel"
	"mmsim/kernelmodel/mm"
)

// scEnv is a booted machine with one process running on the current CPU.
type scEnv struct {
	t *testing.T
	m *kernelmodel.Machine
	s *mm.System
	p *mm.Task
}

func scBoot(t *testing.T, line string) *scEnv {
	t.Helper()
	m, err := kernelmodel.BootLine(line)
	if err != nil {
		t.Fatal(err)
	}
	s := m.Procs
	prog, err := s.Program("a", 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.Spawn(prog)
	if err != nil {
		t.Fatal(err)
	}
	e := &scEnv{t: t, m: m, s: s, p: p}
	e.switchTo(p)
	return e
}

func (e *scEnv) check() {
	e.t.Helper()
	if err := e.m.Check(); err != nil {
		e.t.Fatal(err)
	}
}

func (e *scEnv) switchTo(p *mm.Task) {
	e.t.Helper()
	if err := e.s.SwitchTo(p); err != nil {
		e.t.Fatal(err)
	}
	e.check()
}

func (e *scEnv) wide() bool { return e.s.Layout.Arch == "x86_64" }

// call makes a system call through Syscall and checks the machine.
func (e *scEnv) call(p *mm.Task, abi mm.ABI, nr int, args ...uint64) int64 {
	e.t.Helper()
	var a [6]uint64
	copy(a[:], args)
	ret, err := e.s.Syscall(p, abi, nr, a)
	if err != nil {
		e.t.Fatalf("syscall %d: %v", nr, err)
	}
	e.check()
	return ret
}

// int80 loads eax and ebx... and executes int 0x80; it returns eax.
func (e *scEnv) int80(p *mm.Task, nr int, args ...uint64) uint64 {
	e.t.Helper()
	p.Regs.Set("eax", uint64(nr))
	for i, r := range []string{"ebx", "ecx", "edx", "esi", "edi", "ebp"} {
		var v uint64
		if i < len(args) {
			v = args[i]
		}
		p.Regs.Set(r, v)
	}
	if err := e.s.Int80(p); err != nil {
		e.t.Fatalf("int 0x80 eax=%d: %v", nr, err)
	}
	e.check()
	v, _ := p.Regs.Get("eax")
	return v
}

// insn loads rax, rdi... and executes the syscall instruction; it
// returns rax.
func (e *scEnv) insn(p *mm.Task, nr int, args ...uint64) uint64 {
	e.t.Helper()
	p.Regs.Set("rax", uint64(nr))
	for i, r := range []string{"rdi", "rsi", "rdx", "r10", "r8", "r9"} {
		var v uint64
		if i < len(args) {
			v = args[i]
		}
		p.Regs.Set(r, v)
	}
	if err := e.s.SyscallInsn(p); err != nil {
		e.t.Fatalf("syscall rax=%d: %v", nr, err)
	}
	e.check()
	v, _ := p.Regs.Get("rax")
	return v
}

func (e *scEnv) write(p *mm.Task, va uint64, b []byte) {
	e.t.Helper()
	if err := e.s.WriteUser(p, va, b); err != nil {
		e.t.Fatal(err)
	}
	e.check()
}

func (e *scEnv) read32(p *mm.Task, va uint64) uint32 {
	e.t.Helper()
	b, err := e.s.ReadUser(p, va, 4)
	if err != nil {
		e.t.Fatal(err)
	}
	e.check()
	return binary.LittleEndian.Uint32(b)
}

// scratch is an address in the bss, mapped and writable.
func (e *scEnv) scratch(p *mm.Task) uint64 { return p.MM.StartBrk - 0x800 }

// scWay is one way of making a system call: the ABI, its numbers, and
// how a call's return value reads back (as Syscall returns it, or from
// eax/rax).
type scWay struct {
	name string
	boot string
	abi  mm.ABI
	do   func(e *scEnv, p *mm.Task, name string, args ...uint64) int64
}

func scNr(abi mm.ABI, name string) int {
	nr, ok := mm.SyscallNumbers(abi)[name]
	if !ok {
		panic("no syscall " + name)
	}
	return nr
}

var scWays = []scWay{
	{"x86 Syscall", "x86 mem=64M", mm.ABII386, func(e *scEnv, p *mm.Task, name string, args ...uint64) int64 {
		return e.call(p, mm.ABII386, scNr(mm.ABII386, name), args...)
	}},
	{"x86 int 0x80", "x86 mem=64M", mm.ABII386, func(e *scEnv, p *mm.Task, name string, args ...uint64) int64 {
		return int64(int32(uint32(e.int80(p, scNr(mm.ABII386, name), args...))))
	}},
	{"x86 PAE int 0x80", "x86 mem=64M paging=pae", mm.ABII386, func(e *scEnv, p *mm.Task, name string, args ...uint64) int64 {
		return int64(int32(uint32(e.int80(p, scNr(mm.ABII386, name), args...))))
	}},
	{"x86_64 Syscall", "x86_64 mem=256M", mm.ABIX8664, func(e *scEnv, p *mm.Task, name string, args ...uint64) int64 {
		return e.call(p, mm.ABIX8664, scNr(mm.ABIX8664, name), args...)
	}},
	{"x86_64 syscall insn", "x86_64 mem=256M", mm.ABIX8664, func(e *scEnv, p *mm.Task, name string, args ...uint64) int64 {
		return int64(e.insn(p, scNr(mm.ABIX8664, name), args...))
	}},
	{"x86_64 int 0x80", "x86_64 mem=256M", mm.ABII386, func(e *scEnv, p *mm.Task, name string, args ...uint64) int64 {
		v := e.int80(p, scNr(mm.ABII386, name), args...)
		rax, _ := p.Regs.Get("rax")
		if want := uint64(int64(int32(uint32(v)))); int32(uint32(v)) < 0 && rax != want {
			e.t.Errorf("rax %#x, want the sign-extended %#x", rax, want)
		}
		return int64(rax)
	}},
}

func TestSyscallBasics(t *testing.T) {
	const prw, anonPriv = mm.ProtRead | mm.ProtWrite, mm.MapPrivate | mm.MapAnonymous
	for _, w := range scWays {
		t.Run(w.name, func(t *testing.T) {
			e := scBoot(t, w.boot)
			p := e.p
			i386 := w.abi == mm.ABII386
			steps := []struct {
				name string
				run  func() int64
				want int64
			}{
				{"getpid", func() int64 { return w.do(e, p, "getpid") }, int64(p.PID)},
				{"getppid of a spawned task", func() int64 { return w.do(e, p, "getppid") }, 0},
				{"brk(0)", func() int64 { return w.do(e, p, "brk", 0) }, int64(p.MM.StartBrk)},
				{"brk(+5000) keeps the unaligned value", func() int64 { return w.do(e, p, "brk", p.MM.StartBrk+5000) }, int64(p.MM.StartBrk + 5000)},
				{"brk below start_brk returns the old break", func() int64 { return w.do(e, p, "brk", p.MM.StartBrk-4096) }, int64(p.MM.StartBrk + 5000)},
				{"brk shrinks", func() int64 { return w.do(e, p, "brk", p.MM.StartBrk+1) }, int64(p.MM.StartBrk + 1)},
				{"mprotect of the heap page", func() int64 { return w.do(e, p, "mprotect", p.MM.StartBrk, 4096, mm.ProtRead) }, 0},
				{"mprotect of a hole", func() int64 { return w.do(e, p, "mprotect", 0x10000, 4096, mm.ProtRead) }, -12},
				{"munmap unaligned", func() int64 { return w.do(e, p, "munmap", p.MM.StartBrk+5, 4096) }, -22},
				{"madvise DONTNEED of the heap", func() int64 { return w.do(e, p, "madvise", p.MM.StartBrk, 4096, mm.MadvDontNeed) }, 0},
				{"madvise with unknown advice", func() int64 { return w.do(e, p, "madvise", p.MM.StartBrk, 4096, 999) }, -22},
				{"munmap of the heap", func() int64 { return w.do(e, p, "munmap", p.MM.StartBrk, 4096) }, 0},
			}
			if i386 {
				steps = append(steps, struct {
					name string
					run  func() int64
					want int64
				}{"mmap2 of a file descriptor", func() int64 { return w.do(e, p, "mmap2", 0, 4096, prw, mm.MapPrivate, 3, 0) }, -9})
			} else {
				steps = append(steps, struct {
					name string
					run  func() int64
					want int64
				}{"mmap of a file descriptor", func() int64 { return w.do(e, p, "mmap", 0, 4096, prw, mm.MapPrivate, 3, 0) }, -9},
					struct {
						name string
						run  func() int64
						want int64
					}{"mmap with an unaligned offset", func() int64 { return w.do(e, p, "mmap", 0, 4096, prw, anonPriv, ^uint64(0), 1) }, -22})
			}
			for _, st := range steps {
				if got := st.run(); got != st.want {
					t.Errorf("%s: %d (%#x), want %d (%#x)", st.name, got, got, st.want, st.want)
				}
			}
			if e.s.Stats.Segv != 0 {
				t.Errorf("Segv %d", e.s.Stats.Segv)
			}
		})
	}
}

func TestSyscallUnknownIsENOSYS(t *testing.T) {
	e := scBoot(t, "x86 mem=64M")
	for _, nr := range []int{0, 3, 190, 5000, -1} {
		if got := e.call(e.p, mm.ABII386, nr); got != -38 {
			t.Errorf("nr %d: %d, want -38", nr, got)
		}
	}
	if got := e.int80(e.p, 190); got != 0xffffffda {
		t.Errorf("int 0x80 vfork: eax %#x, want 0xffffffda", got)
	}
	if got := e.int80(e.p, 0xffffffff); got != 0xffffffda {
		t.Errorf("int 0x80 nr 0xffffffff: eax %#x", got)
	}
	e64 := scBoot(t, "x86_64 mem=256M")
	if got := e64.insn(e64.p, 58); got != uint64(0xffffffffffffffda) {
		t.Errorf("syscall vfork: rax %#x", got)
	}
	if mm.SyscallNumbers(mm.ABII386)["vfork"] != 0 || e.s.SyscallName(mm.ABII386, 190) != "" {
		t.Errorf("vfork is in the table")
	}
}

func TestSyscallNames(t *testing.T) {
	s := scBoot(t, "x86 mem=64M").s
	for _, c := range []struct {
		abi  mm.ABI
		nr   int
		name string
	}{
		{mm.ABII386, 1, "exit"}, {mm.ABII386, 2, "fork"}, {mm.ABII386, 7, "waitpid"}, {mm.ABII386, 11, "execve"},
		{mm.ABII386, 20, "getpid"}, {mm.ABII386, 45, "brk"}, {mm.ABII386, 64, "getppid"}, {mm.ABII386, 90, "mmap"},
		{mm.ABII386, 91, "munmap"}, {mm.ABII386, 114, "wait4"}, {mm.ABII386, 125, "mprotect"}, {mm.ABII386, 192, "mmap2"},
		{mm.ABII386, 219, "madvise"}, {mm.ABII386, 252, "exit_group"},
		{mm.ABIX8664, 9, "mmap"}, {mm.ABIX8664, 10, "mprotect"}, {mm.ABIX8664, 11, "munmap"}, {mm.ABIX8664, 12, "brk"},
		{mm.ABIX8664, 28, "madvise"}, {mm.ABIX8664, 39, "getpid"}, {mm.ABIX8664, 57, "fork"}, {mm.ABIX8664, 59, "execve"},
		{mm.ABIX8664, 60, "exit"}, {mm.ABIX8664, 61, "wait4"}, {mm.ABIX8664, 110, "getppid"}, {mm.ABIX8664, 231, "exit_group"},
	} {
		if got := s.SyscallName(c.abi, c.nr); got != c.name {
			t.Errorf("%v %d: %q, want %q", c.abi, c.nr, got, c.name)
		}
		if got := mm.SyscallNumbers(c.abi)[c.name]; got != c.nr {
			t.Errorf("SyscallNumbers(%v)[%q] = %d, want %d", c.abi, c.name, got, c.nr)
		}
	}
	if n := len(mm.SyscallNumbers(mm.ABII386)); n != 14 {
		t.Errorf("%d i386 calls", n)
	}
	if s.SyscallName(mm.ABI(0), 1) != "" || len(mm.SyscallNumbers(mm.ABI(0))) != 0 {
		t.Errorf("ABI 0 has a table")
	}
	if mm.ABII386.String() != "i386" || mm.ABIX8664.String() != "x86_64" {
		t.Errorf("ABI names %v %v", mm.ABII386, mm.ABIX8664)
	}
	if mm.EBADF.Name() != "EBADF" || mm.EBADF != 9 || mm.E2BIG != 7 {
		t.Errorf("EBADF %v E2BIG %v", mm.EBADF, mm.E2BIG)
	}
}

func TestSyscallMmap2OffsetInPages(t *testing.T) {
	const prw, anonPriv = mm.ProtRead | mm.ProtWrite, mm.MapPrivate | mm.MapAnonymous
	e := scBoot(t, "x86 mem=64M")
	p := e.p
	// mmap2(NULL, 3 pages, rw, private|anonymous, -1, pgoff 1): the offset
	// is 4096 bytes, aligned.
	a := e.int80(p, 192, 0, 3*4096, prw, anonPriv, 0xffffffff, 1)
	if a != 0xb8000000-3*4096 {
		t.Fatalf("mmap2 at %#x, want just below mmap_base 0xb8000000", a)
	}
	v := p.MM.VMAAt(a)
	if v == nil || v.Start != a || v.End != a+3*4096 || v.Flags.Perms() != "rw-p" || v.PgOff != a>>12 {
		t.Fatalf("VMA %v", v)
	}
	// pgoff 0xfffff is 0xfffff000 bytes: still fine for an anonymous map.
	b := e.int80(p, 192, 0, 4096, prw, anonPriv, 0xffffffff, 0xfffff)
	if b != a-4096 || p.MM.MapCount() != 5 {
		t.Fatalf("second mmap2 at %#x, %d VMAs (want a merge)", b, p.MM.MapCount())
	}
	// Old mmap's offset is in bytes: 1 is unaligned.
	ptr := e.scratch(p)
	e.write(p, ptr, scWords(0, 4096, prw, anonPriv, 0xffffffff, 1))
	if got := e.int80(p, 90, ptr); got != 0xffffffea {
		t.Errorf("old mmap with offset 1: %#x, want EINVAL", got)
	}
	// Writing into the mapping works.
	e.write(p, a+5000, []byte("hello"))
	if got := e.call(p, mm.ABII386, 91, a, 3*4096); got != 0 {
		t.Errorf("munmap %d", got)
	}
}

func scWords(w ...uint64) []byte {
	b := make([]byte, 4*len(w))
	for i, x := range w {
		binary.LittleEndian.PutUint32(b[4*i:], uint32(x))
	}
	return b
}

func TestSyscallOldMmap(t *testing.T) {
	const prw, anonPriv = mm.ProtRead | mm.ProtWrite, mm.MapPrivate | mm.MapAnonymous
	for _, boot := range []string{"x86 mem=64M", "x86_64 mem=256M"} {
		t.Run(boot, func(t *testing.T) {
			e := scBoot(t, boot)
			p := e.p
			// A page for the argument struct, from mmap2.
			page := e.int80(p, 192, 0, 4096, prw, anonPriv, 0xffffffff, 0)
			if page >= 0xfffff000 {
				t.Fatalf("mmap2: %#x", page)
			}
			e.write(p, page+16, scWords(0, 2*4096, mm.ProtRead, anonPriv, 0xffffffff, 0))
			a := e.int80(p, 90, page+16)
			if a >= 0xfffff000 || a >= 1<<32 || a != page-2*4096 {
				t.Fatalf("old mmap: %#x (struct at %#x)", a, page+16)
			}
			if v := p.MM.VMAAt(a); v == nil || v.End-v.Start != 2*4096 || v.Flags.Perms() != "r--p" {
				t.Fatalf("VMA %v", v)
			}
			// The struct across the end of the page: the last words are
			// unmapped.
			segv, flt := e.s.Stats.Segv, e.s.Stats.PgFault
			if got := e.int80(p, 90, page+4096-8); got != 0xfffffff2 {
				t.Errorf("old mmap of a struct across the mapping's end: %#x, want EFAULT", got)
			}
			if got := e.call(p, mm.ABII386, 90, 0); got != -14 {
				t.Errorf("old mmap(NULL): %d, want -14", got)
			}
			if e.s.Stats.Segv != segv || e.s.Stats.PgFault < flt {
				t.Errorf("Segv %d -> %d, PgFault %d -> %d", segv, e.s.Stats.Segv, flt, e.s.Stats.PgFault)
			}
			// A file mapping (no MAP_ANONYMOUS) is EBADF.
			e.write(p, page, scWords(0, 4096, mm.ProtRead, mm.MapPrivate, 3, 0))
			if got := e.int80(p, 90, page); got != 0xfffffff7 {
				t.Errorf("old mmap of fd 3: %#x, want EBADF", got)
			}
		})
	}
}

func TestSyscallMunmapUnalignedEAX(t *testing.T) {
	e := scBoot(t, "x86 mem=64M")
	if got := e.int80(e.p, 91, e.p.MM.StartBrk-4096+5, 4096); got != 0xffffffea {
		t.Errorf("eax %#x, want 0xffffffea", got)
	}
	if got := e.int80(e.p, 125, e.p.MM.StartBrk-4096, 4096, mm.ProtRead); got != 0 {
		t.Errorf("mprotect: eax %#x", got)
	}
}

// TestSyscallForkExitWait is the experiment of the reference: fork in
// the parent gives the child's pid, the child sees 0, exit(7) in the
// child and waitpid in the parent give the status 0x0700 in memory.
func TestSyscallForkExitWait(t *testing.T) {
	for _, w := range scWays {
		t.Run(w.name, func(t *testing.T) {
			e := scBoot(t, w.boot)
			p := e.p
			status := e.scratch(p)
			e.write(p, status, []byte{0xff, 0xff, 0xff, 0xff})
			if got := w.do(e, p, "wait4", ^uint64(0), status, 0, 0); got != -10 {
				t.Errorf("wait4 without children: %d, want -ECHILD", got)
			}
			pid := w.do(e, p, "fork")
			kids := p.Children()
			if len(kids) != 1 || int64(kids[0].PID) != pid {
				t.Fatalf("fork returned %d, children %v", pid, kids)
			}
			c := kids[0]
			if r, _ := c.Regs.Get("eax"); r != 0 {
				t.Errorf("child eax %#x", r)
			}
			if strings.Contains(w.name, "insn") {
				rcx, _ := c.Regs.Get("rcx")
				rip, _ := p.Regs.Get("rip")
				if rcx != rip {
					t.Errorf("child rcx %#x, rip %#x", rcx, rip)
				}
			}
			if r := w.do(e, p, "getpid"); r == pid {
				t.Errorf("parent getpid %d is the child's", r)
			}
			// The child has not exited: WNOHANG gives 0, a blocking wait
			// EAGAIN.
			if got := w.do(e, p, "wait4", uint64(pid), status, 1, 0); got != 0 {
				t.Errorf("wait4 WNOHANG: %d", got)
			}
			if got := w.do(e, p, "wait4", uint64(pid), status, 0, 0); got != -11 {
				t.Errorf("wait4 on a running child: %d, want -EAGAIN", got)
			}
			e.switchTo(c)
			if got := w.do(e, c, "getppid"); got != int64(p.PID) {
				t.Errorf("child getppid %d", got)
			}
			if got := w.do(e, c, "getpid"); got != pid {
				t.Errorf("child getpid %d", got)
			}
			w.do(e, c, "exit", 0x107) // status is the low 8 bits: 7
			if c.State != mm.TaskZombie || c.ExitCode != 7 {
				t.Fatalf("child state %s code %d", c.State, c.ExitCode)
			}
			if r, _ := c.Regs.Get("eax"); !strings.Contains(w.name, "Syscall") && r != uint64(scNr(w.abi, "exit")) {
				t.Errorf("the zombie's eax changed: %#x", r)
			}
			if _, err := e.s.Syscall(c, w.abi, scNr(w.abi, "getpid"), [6]uint64{}); err == nil {
				t.Errorf("a zombie made a system call")
			}
			e.switchTo(p)
			name := "waitpid"
			if w.abi == mm.ABIX8664 {
				name = "wait4"
			}
			if got := w.do(e, p, name, uint64(pid), status, 0); got != pid {
				t.Fatalf("%s: %d, want %d", name, got, pid)
			}
			if got := e.read32(p, status); got != 0x0700 {
				t.Errorf("status %#x, want 0x0700", got)
			}
			if c.State != mm.TaskDead || len(p.Children()) != 0 {
				t.Errorf("child %s, children %v", c.State, p.Children())
			}
		})
	}
}

// TestSyscallWaitDetails: pid 0 is any child, a bad status pointer is
// EFAULT after the child was reaped, wait4 fills ru_minflt, unknown
// options are EINVAL.
func TestSyscallWaitDetails(t *testing.T) {
	for _, w := range []scWay{scWays[0], scWays[4]} {
		t.Run(w.name, func(t *testing.T) {
			e := scBoot(t, w.boot)
			p := e.p
			word := uint64(4)
			if w.abi == mm.ABIX8664 {
				word = 8
			}
			fork := func() *mm.Task {
				pid := w.do(e, p, "fork")
				c, ok := e.s.Task(int(pid))
				if !ok {
					t.Fatalf("fork: %d", pid)
				}
				return c
			}
			c := fork()
			e.switchTo(c)
			// Three fresh heap pages written: three minor faults.
			brk := uint64(w.do(e, c, "brk", 0))
			w.do(e, c, "brk", brk+3*4096)
			before := c.MinFlt
			for i := uint64(0); i < 3; i++ {
				e.write(c, brk+i*4096, []byte{1})
			}
			if c.MinFlt-before != 3 {
				t.Errorf("child minflt +%d", c.MinFlt-before)
			}
			w.do(e, c, "exit_group", 3)
			e.switchTo(p)
			if got := w.do(e, p, "wait4", 0, 0, 0x4, 0); got != -22 {
				t.Errorf("wait4 with option 4: %d, want EINVAL", got)
			}
			if got := w.do(e, p, "wait4", uint64(0xfffffff0), 0, 0, 0); got != -10 {
				t.Errorf("wait4 for a process group: %d, want ECHILD", got)
			}
			ru := e.scratch(p) - 0x200
			if got := w.do(e, p, "wait4", 0, e.scratch(p), 0, ru); got != int64(c.PID) {
				t.Fatalf("wait4(0): %d", got)
			}
			if got := e.read32(p, e.scratch(p)); got != 0x0300 {
				t.Errorf("status %#x", got)
			}
			if got := e.read32(p, ru+8*word); uint64(got) != c.MinFlt || c.MinFlt < 3 {
				t.Errorf("ru_minflt %d, want %d", got, c.MinFlt)
			}
			// A bad status pointer: EFAULT, and the child is gone.
			c = fork()
			e.switchTo(c)
			w.do(e, c, "exit", 0)
			e.switchTo(p)
			if got := w.do(e, p, "wait4", ^uint64(0), 16, 0, 0); got != -14 {
				t.Errorf("wait4 with status at 16: %d, want EFAULT", got)
			}
			if c.State != mm.TaskDead {
				t.Errorf("child %s", c.State)
			}
			if e.s.Stats.Segv != 0 {
				t.Errorf("Segv %d", e.s.Stats.Segv)
			}
		})
	}
}

func TestSyscallExecve(t *testing.T) {
	for _, w := range scWays {
		t.Run(w.name, func(t *testing.T) {
			e := scBoot(t, w.boot)
			p := e.p
			prog, err := e.s.Program("b", 8*4096, 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			buf := e.scratch(p)
			word := 4
			if w.abi == mm.ABIX8664 {
				word = 8
			}
			ptrs := func(v ...uint64) []byte {
				b := make([]byte, word*len(v))
				for i, x := range v {
					if word == 4 {
						binary.LittleEndian.PutUint32(b[4*i:], uint32(x))
					} else {
						binary.LittleEndian.PutUint64(b[8*i:], x)
					}
				}
				return b
			}
			e.write(p, buf, []byte("/nothere\x00./b\x00b\x00-v\x00"))
			argv := buf + 0x100
			bad := buf + 0x180
			e.write(p, argv, ptrs(buf+13, buf+15, 0))
			e.write(p, bad, ptrs(buf+13, 16, 0))
			for _, c := range []struct {
				path, argv, envp uint64
				want             int64
			}{
				{buf, argv, 0, -2},          // "/nothere": no such program
				{buf + 15, argv, 0, -2},     // "-v"
				{buf + 8, argv, 0, -2},      // ""
				{0, argv, 0, -14},           // NULL path
				{e.s.StackTop(), 0, 0, -14}, // the top of the stack
				{buf + 9, bad, 0, -14},      // a bad argv string
				{buf + 9, 16, 0, -14},       // a bad argv vector
				{buf + 9, argv, 16, -14},    // a bad envp vector
			} {
				if got := w.do(e, p, "execve", c.path, c.argv, c.envp); got != c.want {
					t.Errorf("execve(%#x, %#x, %#x): %d, want %d", c.path, c.argv, c.envp, got, c.want)
				}
			}
			if p.Comm != "a" {
				t.Fatalf("a failed execve changed the image: %s", p.Comm)
			}
			before := e.s.Stats.Execs
			p.Regs.Set("ebx", 0x1234)
			if got := w.do(e, p, "execve", buf+9, argv, argv); got != 0 {
				t.Fatalf("execve ./b: %d", got)
			}
			if p.Comm != "b" || e.s.Stats.Execs != before+1 || p.MM.EndCode-p.MM.StartCode != prog.Text {
				t.Errorf("comm %s execs %d text %#x", p.Comm, e.s.Stats.Execs, p.MM.EndCode-p.MM.StartCode)
			}
			for _, r := range []string{"eax", "ebx", "ecx"} {
				if v, _ := p.Regs.Get(r); v != 0 {
					t.Errorf("%s %#x in the new image", r, v)
				}
			}
			if ip, _ := p.Regs.Get("eip"); ip != e.s.TextStart() {
				t.Errorf("eip %#x", ip)
			}
			if e.s.Stats.Segv != 0 {
				t.Errorf("Segv %d", e.s.Stats.Segv)
			}
			// The new image runs: its break is after its bss.
			if got := w.do(e, p, "brk", 0); got != int64(p.MM.StartBrk) {
				t.Errorf("brk %#x", got)
			}
		})
	}
}

func TestSyscallExecvePathTooLong(t *testing.T) {
	e := scBoot(t, "x86 mem=64M")
	p := e.p
	a := e.call(p, mm.ABII386, 192, 0, 2*4096, mm.ProtRead|mm.ProtWrite, mm.MapPrivate|mm.MapAnonymous, 0xffffffff, 0)
	e.write(p, uint64(a), []byte(strings.Repeat("x", 4096)+"\x00"))
	if got := e.call(p, mm.ABII386, 11, uint64(a), 0, 0); got != -36 {
		t.Errorf("execve of a 4096-byte path: %d, want -ENAMETOOLONG", got)
	}
	if got := e.call(p, mm.ABII386, 11, uint64(a)+1, 0, 0); got != -2 {
		t.Errorf("execve of a 4095-byte path: %d, want -ENOENT", got)
	}
}

func TestSyscallInsnRegisters(t *testing.T) {
	e := scBoot(t, "x86_64 mem=256M")
	p := e.p
	p.Regs.Set("rip", 0x401234)
	p.Regs.Set("eflags", 0x246)
	p.Regs.Set("rcx", 0xdead)
	p.Regs.Set("r11", 0xbeef)
	// rax's high half is ignored: the entry code sign-extends eax.
	p.Regs.Set("rax", 0x1_0000_0027)
	if err := e.s.SyscallInsn(p); err != nil {
		t.Fatal(err)
	}
	e.check()
	rax, _ := p.Regs.Get("rax")
	rcx, _ := p.Regs.Get("rcx")
	r11, _ := p.Regs.Get("r11")
	if rax != uint64(p.PID) || rcx != 0x401234 || r11 != 0x246 {
		t.Errorf("rax %#x rcx %#x r11 %#x", rax, rcx, r11)
	}
	// An error is a 64-bit -errno.
	if got := e.insn(p, 11, 0x400005, 4096); got != 0xffffffffffffffea {
		t.Errorf("munmap unaligned: rax %#x", got)
	}
	// mmap with 64-bit arguments lands below the 64-bit mmap_base.
	got := e.insn(p, 9, 0, 4096, mm.ProtRead|mm.ProtWrite, mm.MapPrivate|mm.MapAnonymous, ^uint64(0), 0)
	if got != p.MM.MmapBase-4096 || got < 1<<32 {
		t.Errorf("mmap: %#x, mmap_base %#x", got, p.MM.MmapBase)
	}
	// A 64-bit argument is not cut to 32 bits: munmap 4 GiB below the
	// mapping leaves it alone.
	if r := e.insn(p, 11, got-1<<32, 4096); r != 0 {
		t.Errorf("munmap below: %#x", r)
	}
	if v := p.MM.VMAAt(got); v == nil {
		t.Errorf("munmap(addr - 4G) unmapped addr")
	}
}

// TestSyscallInt80From64 checks the IA32 emulation: the i386 numbers,
// 32-bit arguments, and an mmap below 4 GiB.
func TestSyscallInt80From64(t *testing.T) {
	e := scBoot(t, "x86_64 mem=256M")
	p := e.p
	base := p.MM.MmapBase
	p.Regs.Set("rbx", 1<<40) // cut to 0: brk(0)
	p.Regs.Set("rax", 45)
	if err := e.s.Int80(p); err != nil {
		t.Fatal(err)
	}
	if rax, _ := p.Regs.Get("rax"); rax != p.MM.StartBrk {
		t.Errorf("brk: %#x", rax)
	}
	a := e.int80(p, 192, 0, 4096, mm.ProtRead|mm.ProtWrite, mm.MapPrivate|mm.MapAnonymous, 0xffffffff, 0)
	// mmap_compat_base is IA32_PAGE_OFFSET - 128 MiB = 0xf7ffe000.
	if a != 0xf7ffd000 || p.MM.MmapBase != base {
		t.Fatalf("mmap2 at %#x, mmap_base %#x (was %#x)", a, p.MM.MmapBase, base)
	}
	e.write(p, a, []byte("x"))
	// A 64-bit mmap still uses the 64-bit base.
	if got := e.call(p, mm.ABIX8664, 9, 0, 4096, mm.ProtRead, mm.MapPrivate|mm.MapAnonymous, ^uint64(0), 0); got != int64(base-4096) {
		t.Errorf("64-bit mmap %#x", got)
	}
	// MAP_FIXED across 4 GiB cannot be returned in eax.
	if got := e.int80(p, 192, 0xfffff000, 0x2000, mm.ProtRead, mm.MapPrivate|mm.MapAnonymous|mm.MapFixed, 0xffffffff, 0); got != 0xfffffff4 {
		t.Errorf("MAP_FIXED across 4G: %#x", got)
	}
}

func TestSyscallRefusals(t *testing.T) {
	e := scBoot(t, "x86 mem=64M")
	p := e.p
	err := e.s.SyscallInsn(p)
	if err == nil || !strings.Contains(err.Error(), "use int 0x80") {
		t.Errorf("SyscallInsn on x86: %v", err)
	}
	if _, err := e.s.Syscall(p, mm.ABIX8664, 39, [6]uint64{}); err == nil {
		t.Errorf("ABIX8664 on x86 worked")
	}
	if _, err := e.s.Syscall(p, mm.ABI(0), 20, [6]uint64{}); err == nil {
		t.Errorf("ABI 0 worked")
	}
	if _, err := e.s.Syscall(nil, mm.ABII386, 20, [6]uint64{}); err == nil {
		t.Errorf("no task worked")
	}
	// A task that does not run on the CPU makes no system call.
	prog, err := e.s.Program("a", 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	q, err := e.s.Spawn(prog)
	if err != nil {
		t.Fatal(err)
	}
	q.Regs.Set("eax", 20)
	if err := e.s.Int80(q); err == nil {
		t.Errorf("int 0x80 of a task not running worked")
	}
	if r, _ := q.Regs.Get("eax"); r != 20 {
		t.Errorf("eax %#x", r)
	}
	e.check()
}
