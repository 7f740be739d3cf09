package mm

import (
	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/tlb"
)

// ReadUser reads n bytes of a task's memory at va, as the task: each page
// the range touches is translated by the MMU, faulting as needed
// (copy_from_user() from the task's own context). The task must be
// running on the current CPU.
func (s *System) ReadUser(t *Task, va uint64, n int) ([]byte, error) {
	out := make([]byte, 0, n)
	for n > 0 {
		chunk := int(arch.PageSize - va&pageMask)
		if chunk > n {
			chunk = n
		}
		pa, err := s.Access(t, va, tlb.Read)
		if err != nil {
			return nil, err
		}
		out = append(out, s.Mem.ReadPhys(pa, chunk)...)
		va += uint64(chunk)
		n -= chunk
	}
	return out, nil
}

// WriteUser writes b to a task's memory at va, as the task, page by page
// through the MMU (a write fault where a page is missing or
// write-protected). On a fault that fails, the pages before it are
// written.
func (s *System) WriteUser(t *Task, va uint64, b []byte) error {
	for len(b) > 0 {
		chunk := int(arch.PageSize - va&pageMask)
		if chunk > len(b) {
			chunk = len(b)
		}
		pa, err := s.Access(t, va, tlb.Write)
		if err != nil {
			return err
		}
		s.Mem.WritePhys(pa, b[:chunk])
		va += uint64(chunk)
		b = b[chunk:]
	}
	return nil
}

// ReadString reads a NUL-terminated string of at most max bytes from a
// task's memory (strncpy_from_user()).
func (s *System) ReadString(t *Task, va uint64, max int) (string, error) {
	var out []byte
	for len(out) < max {
		b, err := s.ReadUser(t, va, 1)
		if err != nil {
			return "", err
		}
		if b[0] == 0 {
			return string(out), nil
		}
		out = append(out, b[0])
		va++
	}
	return "", sysErr("strncpy_from_user", ENAMETOOLONG, "the string is too long")
}

// ENAMETOOLONG is a path longer than PATH_MAX.
const ENAMETOOLONG Errno = 36

func init() {
	errnoNames[ENAMETOOLONG] = [2]string{"ENAMETOOLONG", "File name too long"}
}
