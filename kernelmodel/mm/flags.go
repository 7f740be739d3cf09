// Package mm models processes and their address spaces: tasks,
// mm_struct, VMAs with the kernel's merge and split rules, mmap, munmap,
// mprotect, brk and madvise, page faults (demand zero with the zero page,
// copy-on-write with the reuse rule, stack growth, SIGSEGV), fork, exec,
// exit and wait, the system call tables, a glibc-like user malloc, and a
// minimal page cache for file mappings (kernel/fork.c, mm/mmap.c,
// mm/vma.c, mm/memory.c, mm/mprotect.c, arch/x86/mm/fault.c).
package mm

import (
	"sort"
	"strings"
)

// VMFlags are a VMA's vm_flags (include/linux/mm.h), with the kernel's
// bit values.
type VMFlags uint64

const (
	VMRead        VMFlags = 0x1
	VMWrite       VMFlags = 0x2
	VMExec        VMFlags = 0x4
	VMShared      VMFlags = 0x8
	VMMayRead     VMFlags = 0x10
	VMMayWrite    VMFlags = 0x20
	VMMayExec     VMFlags = 0x40
	VMMayShare    VMFlags = 0x80
	VMGrowsDown   VMFlags = 0x100
	VMPFNMap      VMFlags = 0x400
	VMLocked      VMFlags = 0x2000
	VMIO          VMFlags = 0x4000
	VMSeqRead     VMFlags = 0x8000
	VMRandRead    VMFlags = 0x10000
	VMDontCopy    VMFlags = 0x20000
	VMDontExpand  VMFlags = 0x40000
	VMLockOnFault VMFlags = 0x80000
	VMAccount     VMFlags = 0x100000
	VMNoReserve   VMFlags = 0x200000
	VMHugeTLB     VMFlags = 0x400000
	VMWipeOnFork  VMFlags = 0x2000000
	VMDontDump    VMFlags = 0x4000000
	VMSoftDirty   VMFlags = 0x8000000
	VMMixedMap    VMFlags = 0x10000000
	VMHugePage    VMFlags = 0x20000000
	VMNoHugePage  VMFlags = 0x40000000
	VMMergeable   VMFlags = 0x80000000

	// VMSpecial VMAs are never merged (VM_SPECIAL).
	VMSpecial = VMIO | VMDontExpand | VMPFNMap | VMMixedMap
	// vmAccessFlags are VM_ACCESS_FLAGS: any of them makes a VMA
	// accessible.
	vmAccessFlags = VMRead | VMWrite | VMExec
	// vmStackFlags are VM_STACK_FLAGS for a new process's stack.
	vmStackFlags = VMRead | VMWrite | VMMayRead | VMMayWrite | VMMayExec | VMGrowsDown | VMAccount
	// vmLockedMask is VM_LOCKED_MASK: the mlock flags fork clears.
	vmLockedMask = VMLocked | VMLockOnFault
	// vmDataFlags are the flags of brk's heap and of bss
	// (VM_DATA_DEFAULT_FLAGS | VM_ACCOUNT).
	vmDataFlags = VMRead | VMWrite | VMMayRead | VMMayWrite | VMMayExec | VMAccount
)

// vmFlagNames are the two-letter VmFlags codes of /proc/PID/smaps
// (fs/proc/task_mmu.c:show_smap_vma_flags()), in bit order.
var vmFlagNames = []struct {
	f    VMFlags
	name string
}{
	{VMRead, "rd"}, {VMWrite, "wr"}, {VMExec, "ex"}, {VMShared, "sh"},
	{VMMayRead, "mr"}, {VMMayWrite, "mw"}, {VMMayExec, "me"}, {VMMayShare, "ms"},
	{VMGrowsDown, "gd"}, {VMPFNMap, "pf"}, {VMLocked, "lo"}, {VMIO, "io"},
	{VMSeqRead, "sr"}, {VMRandRead, "rr"}, {VMDontCopy, "dc"}, {VMDontExpand, "de"},
	{VMLockOnFault, "lf"}, {VMAccount, "ac"}, {VMNoReserve, "nr"}, {VMHugeTLB, "ht"},
	{VMWipeOnFork, "wf"}, {VMDontDump, "dd"}, {VMSoftDirty, "sd"}, {VMMixedMap, "mm"},
	{VMHugePage, "hg"}, {VMNoHugePage, "nh"}, {VMMergeable, "mg"},
}

// Mnemonics is the VmFlags line of smaps: "rd wr mr mw me ac".
func (f VMFlags) Mnemonics() string {
	var out []string
	for _, n := range vmFlagNames {
		if f&n.f != 0 {
			out = append(out, n.name)
		}
	}
	return strings.Join(out, " ")
}

// Perms is the permission column of /proc/PID/maps: "rw-p", "r-xs".
func (f VMFlags) Perms() string {
	b := []byte("---p")
	if f&VMRead != 0 {
		b[0] = 'r'
	}
	if f&VMWrite != 0 {
		b[1] = 'w'
	}
	if f&VMExec != 0 {
		b[2] = 'x'
	}
	if f&VMMayShare != 0 {
		b[3] = 's'
	}
	return string(b)
}

// Protection bits of mmap and mprotect (include/uapi/asm-generic/mman-common.h).
const (
	ProtNone      = 0x0
	ProtRead      = 0x1
	ProtWrite     = 0x2
	ProtExec      = 0x4
	ProtGrowsDown = 0x01000000
)

// mmap flags (x86's values).
const (
	MapShared         = 0x01
	MapPrivate        = 0x02
	MapSharedValidate = 0x03
	MapType           = 0x0f
	MapFixed          = 0x10
	MapAnonymous      = 0x20
	MapGrowsDown      = 0x0100
	MapDenyWrite      = 0x0800
	MapExecutable     = 0x1000
	MapLocked         = 0x2000
	MapNoReserve      = 0x4000
	MapPopulate       = 0x8000
	MapNonBlock       = 0x10000
	MapStack          = 0x20000
	MapFixedNoReplace = 0x100000
	// mapKnown are the flags the model accepts.
	mapKnown = MapType | MapFixed | MapAnonymous | MapGrowsDown | MapDenyWrite | MapExecutable | MapLocked | MapNoReserve | MapPopulate | MapNonBlock | MapStack | MapFixedNoReplace
)

// madvise advice values.
const (
	MadvNormal     = 0
	MadvRandom     = 1
	MadvSequential = 2
	MadvWillNeed   = 3
	MadvDontNeed   = 4
	MadvDontFork   = 10
	MadvDoFork     = 11
	MadvPageout    = 21
)

// Errno is a system call's error number (include/uapi/asm-generic/errno-base.h).
type Errno int

const (
	EPERM   Errno = 1
	ENOENT  Errno = 2
	ESRCH   Errno = 3
	ENOEXEC Errno = 8
	ECHILD  Errno = 10
	EAGAIN  Errno = 11
	ENOMEM  Errno = 12
	EACCES  Errno = 13
	EFAULT  Errno = 14
	EEXIST  Errno = 17
	EINVAL  Errno = 22
	ENOSYS  Errno = 38
)

var errnoNames = map[Errno][2]string{
	EPERM:   {"EPERM", "Operation not permitted"},
	ENOENT:  {"ENOENT", "No such file or directory"},
	ESRCH:   {"ESRCH", "No such process"},
	ENOEXEC: {"ENOEXEC", "Exec format error"},
	ECHILD:  {"ECHILD", "No child processes"},
	EAGAIN:  {"EAGAIN", "Resource temporarily unavailable"},
	ENOMEM:  {"ENOMEM", "Cannot allocate memory"},
	EACCES:  {"EACCES", "Permission denied"},
	EFAULT:  {"EFAULT", "Bad address"},
	EEXIST:  {"EEXIST", "File exists"},
	EINVAL:  {"EINVAL", "Invalid argument"},
	ENOSYS:  {"ENOSYS", "Function not implemented"},
}

// Errnos lists the error numbers the model uses, for constants.
func Errnos() []Errno {
	out := make([]Errno, 0, len(errnoNames))
	for e := range errnoNames {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Name is the errno's symbol: "ENOMEM".
func (e Errno) Name() string { return errnoNames[e][0] }

func (e Errno) Error() string { return e.Name() + " (" + errnoNames[e][1] + ")" }

// SysError is a failed system call: its errno and why, in plain words.
type SysError struct {
	Call  string
	Errno Errno
	Why   string
}

func (e *SysError) Error() string {
	s := e.Call + ": " + e.Errno.Error()
	if e.Why != "" {
		s += ": " + e.Why
	}
	return s
}

func sysErr(call string, errno Errno, why string) *SysError {
	return &SysError{Call: call, Errno: errno, Why: why}
}
