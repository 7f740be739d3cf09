package stdlib

import (
	"fmt"

	"mmsim/kernelmodel"
	"mmsim/kernelmodel/mm"
	"mmsim/runtime"
)

// System calls: syscall(NR, args...) by number, the syscall instruction
// (syscall with no arguments, x86_64), int 0x80, and sysno(name).

func init() {
	registerModel("syscall", "syscall(NR, args...): a system call by number in the machine's table (i386 on x86, x86_64 on x86_64); returns the result or -errno. With no arguments: the syscall instruction, with rax and rdi, rsi, rdx, r10, r8, r9 in regs", builtinSyscall)
	registerModel("sysno", "sysno(name): the machine's system call number for a name (\"brk\" is 45 on x86, 12 on x86_64)", builtinSysno)
}

// abiOf is the system call table of the machine's processes.
func abiOf(m *kernelmodel.Machine) mm.ABI {
	if m.Layout.Arch == "x86_64" {
		return mm.ABIX8664
	}
	return mm.ABII386
}

func builtinSyscall(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	if len(c.Kwargs) > 0 {
		return nil, fmt.Errorf("syscall takes no keyword arguments")
	}
	t, err := runningTask(m, "syscall")
	if err != nil {
		return nil, err
	}
	if len(c.Args) == 0 {
		return nil, procErr(c, m.Procs.SyscallInsn(t))
	}
	if len(c.Args) > 7 {
		return nil, fmt.Errorf("syscall: %d arguments after the number; a system call has at most 6", len(c.Args)-1)
	}
	var vals [7]uint64
	for i, a := range c.Args {
		switch v := a.(type) {
		case runtime.Int:
			vals[i] = uint64(v)
		case runtime.Ptr:
			vals[i] = v.Addr
		case runtime.NullType:
		default:
			return nil, fmt.Errorf("syscall: argument %d must be an int or a ptr, not %s", i+1, a.Type())
		}
	}
	var args [6]uint64
	copy(args[:], vals[1:])
	ret, err := m.Procs.Syscall(t, abiOf(m), int(int64(vals[0])), args)
	if err != nil {
		return nil, procErr(c, err)
	}
	return runtime.Int(ret), nil
}

func builtinSysno(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	var name string
	if err := c.Unpack("name", &name); err != nil {
		return nil, err
	}
	nums := mm.SyscallNumbers(abiOf(m))
	n, ok := nums[name]
	if !ok {
		var names []string
		for k := range nums {
			names = append(names, k)
		}
		msg := fmt.Sprintf("sysno: the model has no system call %q on %s", name, m.Layout.Arch)
		if s := runtime.Nearest(name, names); s != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", s)
		}
		return nil, fmt.Errorf("%s", msg)
	}
	return runtime.Int(n), nil
}
