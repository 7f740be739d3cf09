package stdlib

import (
	"errors"
	"fmt"

	"mmsim/kernelmodel"
	"mmsim/kernelmodel/mm"
	"mmsim/runtime"
)

// The running process's user malloc, modelled on glibc (16.5).

func init() {
	registerModel("malloc", "malloc(size): glibc's malloc in the running process: brk heap below 128K, mmap above; returns a user ptr", builtinMalloc)
	registerModel("free", "free(ptr): glibc's free in the running process (free(NULL) does nothing)", builtinFree)
	registerModel("calloc", "calloc(n, size): zeroed memory in the running process", builtinCalloc)
	registerModel("realloc", "realloc(ptr, size): resize a malloc'd block in the running process", builtinRealloc)
	Constant("SIGABRT", runtime.Int(6))
}

func mallocPtr(t *mm.Task, addr, size uint64, fn string) runtime.Value {
	if addr == 0 {
		return runtime.NullType{}
	}
	return runtime.Ptr{Addr: addr, Origin: userOrigin{pid: t.PID, what: fmt.Sprintf("%s of %d bytes", fn, size)}}
}

// mallocErr is what a failed malloc call does: glibc's consistency
// checks abort the process (SIGABRT), as malloc_printerr() does.
func mallocErr(m *kernelmodel.Machine, t *mm.Task, c *runtime.Call, err error) error {
	var ab *mm.MallocAbort
	if errors.As(err, &ab) {
		m.Procs.Exit(t, 0, 6)
		return fmt.Errorf("%s: %s; glibc aborts pid %d (%s) with SIGABRT", c.Name, ab.Msg, t.PID, t.Comm)
	}
	return procErr(c, err)
}

func nonNegative(c *runtime.Call, what string, v int64) error {
	if v < 0 {
		return fmt.Errorf("%s: %s %d is negative", c.Name, what, v)
	}
	return nil
}

func builtinMalloc(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	var size int64
	if err := c.Unpack("size", &size); err != nil {
		return nil, err
	}
	if err := nonNegative(c, "size", size); err != nil {
		return nil, err
	}
	t, err := runningTask(m, "malloc")
	if err != nil {
		return nil, err
	}
	a, err := m.Procs.Malloc(t, uint64(size))
	if err != nil {
		return nil, mallocErr(m, t, c, err)
	}
	return mallocPtr(t, a, uint64(size), "malloc"), nil
}

func builtinFree(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	var addr uint64
	if err := c.Unpack("ptr", &addr); err != nil {
		return nil, err
	}
	t, err := runningTask(m, "free")
	if err != nil {
		return nil, err
	}
	if err := m.Procs.Free(t, addr); err != nil {
		return nil, mallocErr(m, t, c, err)
	}
	return nil, nil
}

func builtinCalloc(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	var n, size int64
	if err := c.Unpack("n", &n, "size", &size); err != nil {
		return nil, err
	}
	if err := nonNegative(c, "n", n); err != nil {
		return nil, err
	}
	if err := nonNegative(c, "size", size); err != nil {
		return nil, err
	}
	t, err := runningTask(m, "calloc")
	if err != nil {
		return nil, err
	}
	a, err := m.Procs.Calloc(t, uint64(n), uint64(size))
	if err != nil {
		return nil, mallocErr(m, t, c, err)
	}
	return mallocPtr(t, a, uint64(n)*uint64(size), "calloc"), nil
}

func builtinRealloc(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	var addr uint64
	var size int64
	if err := c.Unpack("ptr", &addr, "size", &size); err != nil {
		return nil, err
	}
	if err := nonNegative(c, "size", size); err != nil {
		return nil, err
	}
	t, err := runningTask(m, "realloc")
	if err != nil {
		return nil, err
	}
	a, err := m.Procs.Realloc(t, addr, uint64(size))
	if err != nil {
		return nil, mallocErr(m, t, c, err)
	}
	return mallocPtr(t, a, uint64(size), "realloc"), nil
}
