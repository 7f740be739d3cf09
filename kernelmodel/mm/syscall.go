package mm

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// ABI is a system call convention: which table the number indexes and
// how wide the arguments are.
type ABI int

const (
	// ABII386 is int 0x80 with the i386 numbers
	// (arch/x86/entry/syscalls/syscall_32.tbl) and 32-bit arguments: the
	// native convention of an x86 machine, and the IA32 emulation a
	// 64-bit process gets when it executes int 0x80 on x86_64.
	ABII386 ABI = iota + 1
	// ABIX8664 is the syscall instruction with the x86_64 numbers
	// (syscall_64.tbl) and 64-bit arguments; x86_64 machines only.
	ABIX8664
)

func (a ABI) String() string {
	switch a {
	case ABII386:
		return "i386"
	case ABIX8664:
		return "x86_64"
	}
	return fmt.Sprintf("ABI(%d)", int(a))
}

// Errors of the system call layer that the rest of the model does not
// use (include/uapi/asm-generic/errno-base.h).
const (
	E2BIG Errno = 7 // execve's argument strings exceed the limit
	EBADF Errno = 9 // mmap of a file descriptor: the model has none
)

func init() {
	errnoNames[E2BIG] = [2]string{"E2BIG", "Argument list too long"}
	errnoNames[EBADF] = [2]string{"EBADF", "Bad file descriptor"}
}

// wait options (include/uapi/linux/wait.h).
const (
	scWNoHang    = 0x1
	scWUntraced  = 0x2
	scWContinued = 0x8
	scWNoThread  = 0x20000000
	scWAll       = 0x40000000
	scWClone     = 0x80000000
	scWaitKnown  = scWNoHang | scWUntraced | scWContinued | scWNoThread | scWAll | scWClone
)

// Limits of fs/exec.c and include/uapi/linux/binfmts.h: a path is at
// most PATH_MAX bytes with its NUL, one argument string at most
// MAX_ARG_STRLEN.
const (
	scPathMax      = 4096
	scMaxArgStrlen = 32 * 4096
)

// ia32PageOffset is IA32_PAGE_OFFSET, the top of a 32-bit address space
// on a 64-bit kernel (arch/x86/include/asm/page_64_types.h): the limit of
// the mmap search for an int 0x80 call from a 64-bit process.
const ia32PageOffset = 0xffffe000

// scArgs are one call's arguments, already cut to the ABI's width.
type scArgs struct {
	abi ABI
	v   [6]uint64
	// compat is int 0x80 on an x86_64 machine (in_32bit_syscall()).
	compat bool
}

// int32At reads argument i as a C int.
func (a *scArgs) int32At(i int) int { return int(int32(uint32(a.v[i]))) }

// word is the size of a user pointer and of a long in this ABI.
func (a *scArgs) word() int {
	if a.abi == ABII386 {
		return 4
	}
	return 8
}

// scHandler is one table entry's implementation.
type scHandler func(s *System, t *Task, a *scArgs) (int64, error)

type scEntry struct {
	name string
	fn   scHandler
}

// scTables are the system call tables the model implements, by ABI and
// number. Everything else returns -ENOSYS, among them vfork (i386 190,
// x86_64 58), whose shared address space the model does not have.
var scTables = map[ABI]map[int]scEntry{
	ABII386: {
		1:   {"exit", scExit},
		2:   {"fork", scFork},
		7:   {"waitpid", scWaitpid},
		11:  {"execve", scExecve},
		20:  {"getpid", scGetpid},
		45:  {"brk", scBrk},
		64:  {"getppid", scGetppid},
		90:  {"mmap", scOldMmap}, // old_mmap(): one pointer to six words
		91:  {"munmap", scMunmap},
		114: {"wait4", scWait4},
		125: {"mprotect", scMprotect},
		192: {"mmap2", scMmap2},
		219: {"madvise", scMadvise},
		252: {"exit_group", scExit},
	},
	ABIX8664: {
		9:   {"mmap", scMmap64},
		10:  {"mprotect", scMprotect},
		11:  {"munmap", scMunmap},
		12:  {"brk", scBrk},
		28:  {"madvise", scMadvise},
		39:  {"getpid", scGetpid},
		57:  {"fork", scFork},
		59:  {"execve", scExecve},
		60:  {"exit", scExit},
		61:  {"wait4", scWait4},
		110: {"getppid", scGetppid},
		231: {"exit_group", scExit},
	},
}

// SyscallName is the name of a system call number in an ABI's table
// ("brk"), or "" when the model does not implement it.
func (s *System) SyscallName(abi ABI, nr int) string { return scTables[abi][nr].name }

// SyscallNumbers returns an ABI's table as name → number, for constants
// such as SYS_brk. i386's old mmap (90) is "mmap", as in syscall_32.tbl.
func SyscallNumbers(abi ABI) map[string]int {
	out := map[string]int{}
	for nr, e := range scTables[abi] {
		out[e.name] = nr
	}
	return out
}

// Syscall models the system call entry (arch/x86/entry/common.c:
// do_syscall_64() and do_int80_syscall_32()): the number nr in the table
// of the ABI, and up to six arguments, cut to 32 bits for ABII386. It
// returns what the kernel puts in eax/rax: a result, or -errno
// (-4095..-1) on failure; an unknown number is -ENOSYS, set before the
// dispatch as the kernel does. err is non-nil only for what is not a
// return value: a *Signal, a kernel BUG, an OOM, or a call the model
// cannot make (a task that is not running on the current CPU, ABIX8664
// on an x86 machine). A bad user pointer is -EFAULT, not a signal, as
// copy_from_user() and copy_to_user() report it (the faults taken on the
// way stay counted; Stats.Segv does not count it, since no signal was
// delivered).
//
// Several calls differ from Linux because of what the model has:
//   - mmap has no file descriptors: MAP_ANONYMOUS ignores fd as Linux
//     does, and any other mmap is -EBADF (files are mapped only through
//     the mmap built-in, which takes the file itself);
//   - execve(path, argv, envp) runs a built-in program named by path
//     (one leading "/" or "./" is dropped): an unknown name is -ENOENT.
//     argv and envp are checked (each pointer and string readable) but
//     not kept. On success Linux does not return to the old image; here
//     the call returns 0 and the new image's registers are those the
//     loader set, so eax/rax is 0 there too;
//   - exit and exit_group return 0 and leave the task a zombie;
//   - waitpid and wait4 cannot sleep, since the script runs one task at
//     a time: with WNOHANG a child that has not exited gives 0, as in
//     Linux; without it, -EAGAIN instead of blocking forever. pid 0 is
//     any child (the model has one process group), pid < -1 is -ECHILD.
//     wait4's rusage gets the child's ru_minflt, ru_majflt and ru_nvcsw;
//     the times and the rest are 0;
//   - an int 0x80 mmap from a 64-bit process searches below 4 GiB as
//     the kernel does (mmap_compat_base); a result the 32-bit return
//     value cannot hold is -ENOMEM.
func (s *System) Syscall(t *Task, abi ABI, nr int, args [6]uint64) (ret int64, err error) {
	if err := s.scCheckTask(t); err != nil {
		return 0, err
	}
	a := &scArgs{abi: abi, v: args}
	switch abi {
	case ABII386:
		for i := range a.v {
			a.v[i] &= 0xffffffff
		}
		a.compat = s.Layout.Arch == "x86_64"
	case ABIX8664:
		if s.Layout.Arch != "x86_64" {
			return 0, errInsn
		}
	default:
		return 0, fmt.Errorf("syscall: unknown ABI %d", int(abi))
	}
	e, ok := scTables[abi][nr]
	if !ok {
		return -int64(ENOSYS), nil
	}
	return e.fn(s, t, a)
}

var errInsn = errors.New("the syscall instruction is x86_64's: use int 0x80")

// scCheckTask checks that t can make a system call: it exists, has not
// exited, and runs on the current CPU, since the kernel always works for
// current.
func (s *System) scCheckTask(t *Task) error {
	if t == nil {
		return fmt.Errorf("syscall: no task")
	}
	if t.State != TaskRunning {
		return fmt.Errorf("syscall: pid %d (%s) has exited", t.PID, t.Comm)
	}
	if cpu := s.CPU(); cpu < 0 || cpu >= len(s.running) || s.running[cpu] != t {
		return fmt.Errorf("syscall: pid %d (%s) is not running on cpu %d: switch to it first", t.PID, t.Comm, cpu)
	}
	return nil
}

// Int80 models int 0x80 (arch/x86/entry/common.c:do_int80_syscall_32())
// for task t with its registers: eax is the number, ebx, ecx, edx, esi,
// edi and ebp are arguments 1-6 (their low 32 bits, also in a 64-bit
// process, which gets the i386 table). The result goes to eax as a
// 32-bit two's complement value (-22 is 0xffffffea); on x86_64 rax gets
// the sign-extended 64-bit value, as the kernel stores the long result.
// A task that exited in the call keeps its registers as they were.
func (s *System) Int80(t *Task) error {
	if err := s.scCheckTask(t); err != nil {
		return err
	}
	nr, _ := t.Regs.Get("eax")
	var args [6]uint64
	for i, r := range []string{"ebx", "ecx", "edx", "esi", "edi", "ebp"} {
		args[i], _ = t.Regs.Get(r)
	}
	ret, err := s.Syscall(t, ABII386, int(uint32(nr)), args)
	if err != nil {
		return err
	}
	if t.State == TaskRunning {
		if s.Layout.Arch == "x86_64" {
			t.Regs.Set("rax", uint64(ret))
		} else {
			t.Regs.Set("eax", uint64(ret)&0xffffffff)
		}
	}
	return nil
}

// SyscallInsn models the x86_64 syscall instruction and its entry
// (arch/x86/entry/entry_64.S:entry_SYSCALL_64, do_syscall_64()): rax is
// the number (its low 32 bits, sign-extended, as the entry code reads
// it), rdi, rsi, rdx, r10, r8 and r9 the arguments, and the result goes
// to rax. Like the CPU it saves rip in rcx and eflags in r11 first, so a
// forked child has them too; a successful execve leaves the new image's
// registers, where they are 0. The model's rip stands for the address
// after the instruction.
func (s *System) SyscallInsn(t *Task) error {
	if s.Layout.Arch != "x86_64" {
		return errInsn
	}
	if err := s.scCheckTask(t); err != nil {
		return err
	}
	nr, _ := t.Regs.Get("rax")
	var args [6]uint64
	for i, r := range []string{"rdi", "rsi", "rdx", "r10", "r8", "r9"} {
		args[i], _ = t.Regs.Get(r)
	}
	rip, _ := t.Regs.Get("rip")
	flags, _ := t.Regs.Get("eflags")
	t.Regs.Set("rcx", rip)
	t.Regs.Set("r11", flags)
	ret, err := s.Syscall(t, ABIX8664, int(int32(uint32(nr))), args)
	if err != nil {
		return err
	}
	if t.State == TaskRunning {
		t.Regs.Set("rax", uint64(ret))
	}
	return nil
}

// scResult turns a model error into the system call's return: a
// *SysError is its -errno, anything else is not a return value.
func scResult(err error) (int64, error) {
	var se *SysError
	if errors.As(err, &se) {
		return -int64(se.Errno), nil
	}
	return 0, err
}

// scUserErr is an exception-table fixup (arch/x86/mm/extable.c): a fault
// on a user address during a copy is -EFAULT, not a signal. The faults
// that happened stay counted; the signal was not delivered.
func (s *System) scUserErr(err error) (int64, error) {
	var sig *Signal
	if errors.As(err, &sig) {
		if s.Stats.Segv > 0 {
			s.Stats.Segv--
		}
		return -int64(EFAULT), nil
	}
	return scResult(err)
}

// scExit is do_group_exit(): one thread per process, so exit and
// exit_group are the same. The status is the low 8 bits.
func scExit(s *System, t *Task, a *scArgs) (int64, error) {
	if err := s.Exit(t, int(a.v[0]&0xff), 0); err != nil {
		return 0, err
	}
	return 0, nil
}

// scFork is fork(): the child's pid in the parent; the child's
// registers are the parent's with eax/rax 0.
func scFork(s *System, t *Task, a *scArgs) (int64, error) {
	child, err := s.Fork(t)
	if err != nil {
		return scResult(err)
	}
	return int64(child.PID), nil
}

func scGetpid(s *System, t *Task, a *scArgs) (int64, error) { return int64(t.PID), nil }

// scGetppid is getppid(): 0 when the script (standing in for init's
// parent) started the task.
func scGetppid(s *System, t *Task, a *scArgs) (int64, error) { return int64(t.PPID()), nil }

// scBrk is SYSCALL_DEFINE1(brk): the new break, or the old one.
func scBrk(s *System, t *Task, a *scArgs) (int64, error) { return int64(s.Brk(t, a.v[0])), nil }

func scMunmap(s *System, t *Task, a *scArgs) (int64, error) {
	return scResult(s.Munmap(t, a.v[0], a.v[1]))
}

func scMprotect(s *System, t *Task, a *scArgs) (int64, error) {
	return scResult(s.Mprotect(t, a.v[0], a.v[1], scLong(a, 2)))
}

func scMadvise(s *System, t *Task, a *scArgs) (int64, error) {
	return scResult(s.Madvise(t, a.v[0], a.v[1], a.int32At(2)))
}

// scLong reads an unsigned long argument as an int for the model's
// calls, which keep every bit on x86_64 so that unknown high bits fail.
func scLong(a *scArgs, i int) int { return int(a.v[i]) }

// scMmap64 is arch/x86/kernel/sys_x86_64.c:sys_mmap(): the offset in
// bytes must be page aligned.
func scMmap64(s *System, t *Task, a *scArgs) (int64, error) {
	if a.v[5]&pageMask != 0 {
		return -int64(EINVAL), nil
	}
	return s.scMmap(t, a, a.v[0], a.v[1], scLong(a, 2), scLong(a, 3), a.v[5])
}

// scMmap2 is i386's mmap2 (sys_mmap_pgoff()): the offset is in
// 4096-byte units.
func scMmap2(s *System, t *Task, a *scArgs) (int64, error) {
	return s.scMmap(t, a, a.v[0], a.v[1], scLong(a, 2), scLong(a, 3), a.v[5]<<12)
}

// scOldMmap is old_mmap() (compat_sys_ia32_mmap() under IA32
// emulation): its one argument points to six 32-bit words addr, len,
// prot, flags, fd and offset; the offset is in bytes, page aligned.
func scOldMmap(s *System, t *Task, a *scArgs) (int64, error) {
	b, err := s.ReadUser(t, a.v[0], 24)
	if err != nil {
		return s.scUserErr(err)
	}
	var w [6]uint64
	for i := range w {
		w[i] = uint64(binary.LittleEndian.Uint32(b[4*i:]))
	}
	if w[5]&pageMask != 0 {
		return -int64(EINVAL), nil
	}
	return s.scMmap(t, a, w[0], w[1], int(w[2]), int(w[3]), w[5])
}

// scMmap is ksys_mmap_pgoff() and vm_mmap_pgoff(): a file mapping needs
// a file descriptor, which the model does not have (-EBADF, checked
// first as the kernel's fget() is); MAP_ANONYMOUS ignores fd. An int
// 0x80 call from a 64-bit process searches below IA32_PAGE_OFFSET from
// the compat mmap_base (arch_get_unmapped_area_topdown() with
// in_32bit_syscall()).
func (s *System) scMmap(t *Task, a *scArgs, addr, length uint64, prot, flags int, off uint64) (int64, error) {
	if flags&MapAnonymous == 0 {
		return -int64(EBADF), nil
	}
	args := MmapArgs{Addr: addr, Len: length, Prot: prot, Flags: flags, Off: off}
	if !a.compat {
		got, err := s.Mmap(t, args)
		if err != nil {
			return scResult(err)
		}
		return int64(got), nil
	}
	end := addr + pageAlign(length)
	if flags&(MapFixed|MapFixedNoReplace) != 0 {
		if end > 1<<32 {
			return -int64(ENOMEM), nil
		}
	} else if end > ia32PageOffset {
		args.Addr = 0 // the hint is past the 32-bit limit: search
	}
	m := t.MM
	saved := m.MmapBase
	m.MmapBase = s.scCompatMmapBase()
	got, err := s.Mmap(t, args)
	m.MmapBase = saved
	if err != nil {
		return scResult(err)
	}
	if got+pageAlign(length) > ia32PageOffset && flags&(MapFixed|MapFixedNoReplace) == 0 {
		// Only the bottom-up fallback from TASK_UNMAPPED_BASE gets
		// here; the kernel's compat search would have failed.
		if err := s.Munmap(t, got, length); err != nil {
			return 0, err
		}
		return -int64(ENOMEM), nil
	}
	return int64(got), nil
}

// scCompatMmapBase is mm->mmap_compat_base: mmap_base() computed for a
// task size of IA32_PAGE_OFFSET.
func (s *System) scCompatMmapBase() uint64 { return s.mmapBaseBelow(ia32PageOffset) }

// scExecve is SYSCALL_DEFINE3(execve) and do_execveat_common(): the path
// is read first (-EFAULT, -ENAMETOOLONG), then the program looked up
// (-ENOENT), then argv and envp counted and their strings checked
// (-EFAULT, -E2BIG), before the image is replaced.
func scExecve(s *System, t *Task, a *scArgs) (int64, error) {
	path, err := s.ReadString(t, a.v[0], scPathMax)
	if err != nil {
		return s.scUserErr(err)
	}
	name := path
	if strings.HasPrefix(name, "./") {
		name = name[2:]
	} else if strings.HasPrefix(name, "/") {
		name = name[1:]
	}
	prog, ok := s.programs[name]
	if !ok || name == "" {
		return -int64(ENOENT), nil
	}
	// bprm_stack_limits(): the strings and pointers may take a quarter
	// of RLIMIT_STACK, at most 6 MiB and at least ARG_MAX.
	limit := s.StackLimit / 4
	if limit > 6<<20 {
		limit = 6 << 20 // _STK_LIM / 4 * 3
	}
	if limit < scMaxArgStrlen {
		limit = scMaxArgStrlen // ARG_MAX
	}
	var total uint64
	for _, vec := range []uint64{a.v[1], a.v[2]} {
		if errno, err := s.scCountStrings(t, a, vec, &total, limit); errno != 0 || err != nil {
			return -int64(errno), err
		}
	}
	if err := s.Exec(t, prog); err != nil {
		return scResult(err)
	}
	return 0, nil
}

// scCountStrings is count() and copy_strings() for one vector of string
// pointers ending in NULL (a NULL vector is empty): every pointer and
// string must be readable, a string at most MAX_ARG_STRLEN bytes, and the
// total within limit. It returns an errno, or an error that is not one.
func (s *System) scCountStrings(t *Task, a *scArgs, vec uint64, total *uint64, limit uint64) (Errno, error) {
	if vec == 0 {
		return 0, nil
	}
	w := a.word()
	for p := vec; ; p += uint64(w) {
		b, err := s.ReadUser(t, p, w)
		if err != nil {
			return scErrno(s.scUserErr(err))
		}
		var ptr uint64
		if w == 4 {
			ptr = uint64(binary.LittleEndian.Uint32(b))
		} else {
			ptr = binary.LittleEndian.Uint64(b)
		}
		if ptr == 0 {
			return 0, nil
		}
		str, err := s.ReadString(t, ptr, scMaxArgStrlen)
		if err != nil {
			var se *SysError
			if errors.As(err, &se) && se.Errno == ENAMETOOLONG {
				return E2BIG, nil
			}
			return scErrno(s.scUserErr(err))
		}
		*total += uint64(len(str)) + 1 + uint64(w)
		if *total > limit {
			return E2BIG, nil
		}
	}
}

// scErrno turns a system call return into an errno.
func scErrno(ret int64, err error) (Errno, error) { return Errno(-ret), err }

// scWaitpid is waitpid(pid, status, options): wait4 without rusage.
func scWaitpid(s *System, t *Task, a *scArgs) (int64, error) {
	b := *a
	b.v[3] = 0
	return scWait4(s, t, &b)
}

// scWait4 is kernel_wait4() and SYSCALL_DEFINE4(wait4): the child is
// reaped first, then its status (and rusage) written; a bad pointer is
// -EFAULT after the child is gone, as in Linux.
func scWait4(s *System, t *Task, a *scArgs) (int64, error) {
	pid := a.int32At(0)
	options := uint32(a.v[2])
	if options&^scWaitKnown != 0 {
		return -int64(EINVAL), nil
	}
	switch {
	case pid == -1<<31:
		return -int64(ESRCH), nil
	case pid == 0:
		pid = -1
	case pid < -1:
		return -int64(ECHILD), nil
	}
	child, err := s.Wait(t, pid)
	if err != nil {
		var se *SysError
		if errors.As(err, &se) && se.Errno == EAGAIN && options&scWNoHang != 0 {
			return 0, nil
		}
		return scResult(err)
	}
	if p := a.v[1]; p != 0 {
		var b [4]byte
		binary.LittleEndian.PutUint32(b[:], uint32(child.WaitStatus()))
		if err := s.WriteUser(t, p, b[:]); err != nil {
			return s.scUserErr(err)
		}
	}
	if p := a.v[3]; p != 0 {
		if err := s.WriteUser(t, p, scRusage(a.word(), child)); err != nil {
			return s.scUserErr(err)
		}
	}
	return int64(child.PID), nil
}

// scRusage is a struct rusage (compat_rusage for i386): two timevals
// and fourteen longs, of which the model knows ru_minflt, ru_majflt and
// ru_nvcsw.
func scRusage(w int, c *Task) []byte {
	b := make([]byte, 18*w)
	put := func(long int, v uint64) {
		off := (4 + long) * w
		if w == 4 {
			binary.LittleEndian.PutUint32(b[off:], uint32(v))
		} else {
			binary.LittleEndian.PutUint64(b[off:], v)
		}
	}
	put(4, c.MinFlt)
	put(5, c.MajFlt)
	put(12, c.Nvcsw)
	return b
}
