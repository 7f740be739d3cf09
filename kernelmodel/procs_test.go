package kernelmodel_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"mmsim/kernelmodel"
	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/mm"
	"mmsim/kernelmodel/pgtable"
	"mmsim/kernelmodel/tlb"
)

// procPage is the page size of every machine the process tests boot.
const procPage = uint64(arch.PageSize)

// procLines are the machines the process tests run on.
var procLines = []string{"x86 mem=64M", "x86_64 mem=256M"}

// procBoot boots a machine and checks it.
func procBoot(tb testing.TB, line string) *kernelmodel.Machine {
	tb.Helper()
	m, err := kernelmodel.BootLine(line)
	if err != nil {
		tb.Fatalf("boot %q: %v", line, err)
	}
	procCheck(tb, m, "boot")
	return m
}

// procCheck runs every invariant of the machine and fails on a violation.
func procCheck(tb testing.TB, m *kernelmodel.Machine, step string) {
	tb.Helper()
	if err := m.Check(); err != nil {
		tb.Fatalf("after %s: %v", step, err)
	}
}

// procSpawn starts a process running the program name (default sizes)
// and switches the current CPU to it.
func procSpawn(tb testing.TB, m *kernelmodel.Machine, name string) *mm.Task {
	tb.Helper()
	prog, err := m.Procs.Program(name, 0, 0, 0)
	if err != nil {
		tb.Fatalf("program %q: %v", name, err)
	}
	t, err := m.Procs.Spawn(prog)
	if err != nil {
		tb.Fatalf("spawn %q: %v", name, err)
	}
	procCheck(tb, m, "spawn "+name)
	procRun(tb, m, t)
	return t
}

// procRun switches the current CPU to t.
func procRun(tb testing.TB, m *kernelmodel.Machine, t *mm.Task) {
	tb.Helper()
	if err := m.Procs.SwitchTo(t); err != nil {
		tb.Fatalf("switch to pid %d: %v", t.PID, err)
	}
	procCheck(tb, m, "switch")
}

// procFork forks p and checks the machine.
func procFork(tb testing.TB, m *kernelmodel.Machine, p *mm.Task) *mm.Task {
	tb.Helper()
	c, err := m.Procs.Fork(p)
	if err != nil {
		tb.Fatalf("fork pid %d: %v", p.PID, err)
	}
	procCheck(tb, m, "fork")
	return c
}

// procExitWait exits t and reaps it as its parent.
func procExitWait(tb testing.TB, m *kernelmodel.Machine, t *mm.Task) {
	tb.Helper()
	if err := m.Procs.Exit(t, 0, 0); err != nil {
		tb.Fatalf("exit pid %d: %v", t.PID, err)
	}
	procCheck(tb, m, "exit")
	if _, err := m.Procs.Wait(t.Parent, t.PID); err != nil {
		tb.Fatalf("wait pid %d: %v", t.PID, err)
	}
	procCheck(tb, m, "wait")
}

// procMmap maps and fails the test on an error.
func procMmap(tb testing.TB, m *kernelmodel.Machine, t *mm.Task, a mm.MmapArgs) uint64 {
	tb.Helper()
	addr, err := m.Procs.Mmap(t, a)
	if err != nil {
		tb.Fatalf("mmap %+v: %v", a, err)
	}
	procCheck(tb, m, "mmap")
	return addr
}

// procAnon is an anonymous mmap's arguments.
func procAnon(addr, pages uint64, prot, flags int) mm.MmapArgs {
	return mm.MmapArgs{Addr: addr, Len: pages * procPage, Prot: prot, Flags: flags | mm.MapAnonymous}
}

// procAccess makes one access as t (which must be running) and checks
// the machine; it returns the access's error.
func procAccess(tb testing.TB, m *kernelmodel.Machine, t *mm.Task, va uint64, acc tlb.Access) error {
	tb.Helper()
	_, err := m.Procs.Access(t, va, acc)
	procCheck(tb, m, "access")
	return err
}

// procTouch accesses pages pages from va, one access per page, and fails
// on any error.
func procTouch(tb testing.TB, m *kernelmodel.Machine, t *mm.Task, va, pages uint64, acc tlb.Access) {
	tb.Helper()
	for i := uint64(0); i < pages; i++ {
		if err := procAccess(tb, m, t, va+i*procPage, acc); err != nil {
			tb.Fatalf("access %v at %#x: %v", acc, va+i*procPage, err)
		}
	}
}

// procSigCode is the si_code of a fault's SIGSEGV, 0 when the access
// succeeded; any other error fails the test.
func procSigCode(tb testing.TB, err error) int {
	tb.Helper()
	if err == nil {
		return 0
	}
	var sig *mm.Signal
	if !errors.As(err, &sig) {
		tb.Fatalf("want a signal or success, got %v", err)
	}
	if sig.Signo != mm.SIGSEGV {
		tb.Fatalf("want SIGSEGV, got %v", err)
	}
	return sig.Code
}

// procErrno is a system call's errno, 0 for success; an error that is
// not a *mm.SysError fails the test.
func procErrno(tb testing.TB, err error) mm.Errno {
	tb.Helper()
	if err == nil {
		return 0
	}
	var se *mm.SysError
	if !errors.As(err, &se) {
		tb.Fatalf("want a system call error, got %v", err)
	}
	return se.Errno
}

// procPTE is t's leaf PTE for va, and its frame when present.
func procPTE(m *kernelmodel.Machine, t *mm.Task, va uint64) (e pgtable.Entry, pfn uint64, present bool) {
	e = m.PT.UserEntry(t.MM.PGD, arch.VirtAddr(va))
	if e&pgtable.Present == 0 {
		return e, 0, false
	}
	return e, uint64(m.PT.F.Addr(e)) >> arch.PageShift, true
}

// procPFNs returns the frames of pages pages from va (0 where not
// present).
func procPFNs(m *kernelmodel.Machine, t *mm.Task, va, pages uint64) []uint64 {
	out := make([]uint64, pages)
	for i := range out {
		_, out[i], _ = procPTE(m, t, va+uint64(i)*procPage)
	}
	return out
}

// procFileSize is the size of the files the VMA tables map.
const procFileSize = 64 * procPage

// procVMAOp is one step of a VMA table: a system call on the window (off
// and pages in pages from its base), the errno it must give (0 for
// success), and the VMAs the window must hold afterwards.
type procVMAOp struct {
	op         string // mmap (MAP_FIXED_NOREPLACE), fixed (MAP_FIXED), mprotect, munmap, write
	off, pages uint64
	prot       int
	shared     bool
	file       string // "" for anonymous memory; else a file of procFileSize bytes
	foff       uint64 // file offset in pages
	errno      mm.Errno
	// want lists the window's VMAs as "start-end perms[ name]" in pages
	// from the base, joined by ", "; flags, when set, their VmFlags
	// joined by ", ".
	want, flags string
}

const procRW, procRO = mm.ProtRead | mm.ProtWrite, mm.ProtRead

// procWindow describes the VMAs of t in [base, base+64 pages).
func procWindow(t *mm.Task, base uint64) (vmas, flags string) {
	var vs, fs []string
	end := base + 64*procPage
	for _, v := range t.MM.VMAs() {
		if v.End <= base || v.Start >= end {
			continue
		}
		s := fmt.Sprintf("%d-%d %s", (int64(v.Start)-int64(base))/int64(procPage), (int64(v.End)-int64(base))/int64(procPage), v.Flags.Perms())
		if n := v.Name(); n != "" {
			s += " " + n
		}
		vs = append(vs, s)
		fs = append(fs, v.Flags.Mnemonics())
	}
	return strings.Join(vs, ", "), strings.Join(fs, ", ")
}

// procAllVMAs describes every VMA of t with its flags.
func procAllVMAs(t *mm.Task) string {
	var out []string
	for _, v := range t.MM.VMAs() {
		out = append(out, fmt.Sprintf("%s %s %q", v, v.Flags.Mnemonics(), v.Name()))
	}
	return strings.Join(out, "; ")
}

// procDoVMAOp runs one step of a VMA table.
func procDoVMAOp(tb testing.TB, m *kernelmodel.Machine, p *mm.Task, base uint64, op procVMAOp) error {
	tb.Helper()
	s := m.Procs
	addr, length := base+op.off*procPage, op.pages*procPage
	switch op.op {
	case "mmap", "fixed":
		a := mm.MmapArgs{Addr: addr, Len: length, Prot: op.prot, Flags: mm.MapPrivate, Off: op.foff * procPage}
		if op.shared {
			a.Flags = mm.MapShared
		}
		if op.op == "fixed" {
			a.Flags |= mm.MapFixed
		} else {
			a.Flags |= mm.MapFixedNoReplace
		}
		if op.file == "" {
			a.Flags |= mm.MapAnonymous
		} else {
			f, ok := s.File(op.file)
			if !ok {
				var err error
				if f, err = s.NewFile(op.file, procFileSize); err != nil {
					tb.Fatal(err)
				}
			}
			a.File = f
		}
		got, err := s.Mmap(p, a)
		if err == nil && got != addr {
			tb.Errorf("mmap at %#x returned %#x", addr, got)
		}
		return err
	case "mprotect":
		return s.Mprotect(p, addr, length, op.prot)
	case "munmap":
		return s.Munmap(p, addr, length)
	case "write":
		for i := uint64(0); i < op.pages; i++ {
			if _, err := s.Access(p, addr+i*procPage, tlb.Write); err != nil {
				return err
			}
		}
		return nil
	}
	tb.Fatalf("unknown op %q", op.op)
	return nil
}

// TestProcVMASequences checks sequences of mmap, mprotect and munmap
// against the VMAs the kernel's merge and split rules give
// (mm/vma.c: is_mergeable_vma(), can_vma_merge_before/after(),
// __split_vma(); mm/mprotect.c: do_mprotect_pkey(), mprotect_fixup();
// mm/mmap.c: do_mmap()), in a 64-page window just below mmap_base.
func TestProcVMASequences(t *testing.T) {
	tests := []struct {
		name string
		ops  []procVMAOp
	}{
		{"adjacent mmaps merge", []procVMAOp{
			{op: "mmap", off: 0, pages: 4, prot: procRW, want: "0-4 rw-p"},
			{op: "mmap", off: 4, pages: 4, prot: procRW, want: "0-8 rw-p", flags: "rd wr mr mw me ac"},
		}},
		{"a new mapping just below an old one merges", []procVMAOp{
			{op: "mmap", off: 4, pages: 4, prot: procRW, want: "4-8 rw-p"},
			{op: "mmap", off: 0, pages: 4, prot: procRW, want: "0-8 rw-p"},
		}},
		{"a mapping filling a hole merges both sides", []procVMAOp{
			{op: "mmap", off: 0, pages: 4, prot: procRO, want: "0-4 r--p"},
			{op: "mmap", off: 8, pages: 4, prot: procRO, want: "0-4 r--p, 8-12 r--p"},
			{op: "mmap", off: 4, pages: 4, prot: procRO, want: "0-12 r--p", flags: "rd mr mw me"},
		}},
		{"different prot do not merge", []procVMAOp{
			{op: "mmap", off: 0, pages: 4, prot: procRW},
			{op: "mmap", off: 4, pages: 4, prot: procRO, want: "0-4 rw-p, 4-8 r--p", flags: "rd wr mr mw me ac, rd mr mw me"},
		}},
		{"a file mapping next to anonymous memory does not merge", []procVMAOp{
			{op: "mmap", off: 0, pages: 4, prot: procRW},
			{op: "mmap", off: 4, pages: 4, prot: procRW, file: "f", want: "0-4 rw-p, 4-8 rw-p /f"},
		}},
		{"anonymous memory next to a file mapping does not merge", []procVMAOp{
			{op: "mmap", off: 0, pages: 4, prot: procRW, file: "f", foff: 0},
			{op: "mmap", off: 4, pages: 4, prot: procRW, want: "0-4 rw-p /f, 4-8 rw-p"},
		}},
		{"file mappings with contiguous pgoff merge", []procVMAOp{
			{op: "mmap", off: 0, pages: 4, prot: procRO, file: "f", foff: 0},
			{op: "mmap", off: 4, pages: 4, prot: procRO, file: "f", foff: 4, want: "0-8 r--p /f"},
		}},
		{"file mappings with contiguous pgoff merge below", []procVMAOp{
			{op: "mmap", off: 4, pages: 4, prot: procRO, file: "f", foff: 12},
			{op: "mmap", off: 0, pages: 4, prot: procRO, file: "f", foff: 8, want: "0-8 r--p /f"},
		}},
		{"file mappings with non-contiguous pgoff do not merge", []procVMAOp{
			{op: "mmap", off: 0, pages: 4, prot: procRO, file: "f", foff: 0},
			{op: "mmap", off: 4, pages: 4, prot: procRO, file: "f", foff: 8, want: "0-4 r--p /f, 4-8 r--p /f"},
		}},
		{"mappings of different files do not merge", []procVMAOp{
			{op: "mmap", off: 0, pages: 4, prot: procRO, file: "f", foff: 0},
			{op: "mmap", off: 4, pages: 4, prot: procRO, file: "g", foff: 4, want: "0-4 r--p /f, 4-8 r--p /g"},
		}},
		{"shared file mappings with contiguous pgoff merge", []procVMAOp{
			{op: "mmap", off: 0, pages: 4, prot: procRW, shared: true, file: "f", foff: 0},
			{op: "mmap", off: 4, pages: 4, prot: procRW, shared: true, file: "f", foff: 4, want: "0-8 rw-s /f", flags: "rd wr sh mr mw me ms"},
		}},
		{"shared and private mappings of a file do not merge", []procVMAOp{
			{op: "mmap", off: 0, pages: 4, prot: procRO, shared: true, file: "f", foff: 0},
			{op: "mmap", off: 4, pages: 4, prot: procRO, file: "f", foff: 4, want: "0-4 r--s /f, 4-8 r--p /f"},
		}},
		{"mprotect of the middle splits in 3, and back re-merges", []procVMAOp{
			{op: "mmap", off: 0, pages: 12, prot: procRW},
			{op: "write", off: 0, pages: 12, want: "0-12 rw-p"},
			{op: "mprotect", off: 4, pages: 4, prot: procRO, want: "0-4 rw-p, 4-8 r--p, 8-12 rw-p", flags: "rd wr mr mw me ac, rd mr mw me ac, rd wr mr mw me ac"},
			{op: "mprotect", off: 4, pages: 4, prot: procRW, want: "0-12 rw-p"},
		}},
		// Both pieces keep VM_ACCOUNT because the VMA has an anon_vma
		// (mprotect_fixup() only drops it from never-faulted ones), so
		// their flags are equal and the range joins prev.
		// On a never-faulted VMA mprotect_fixup() clears VM_ACCOUNT when
		// it loses PROT_WRITE, so it merges with a prev mapped PROT_READ
		// from the start.
		{"mprotect of a never-faulted VMA drops VM_ACCOUNT and merges into prev", []procVMAOp{
			{op: "mmap", off: 0, pages: 4, prot: procRO},
			{op: "mmap", off: 4, pages: 8, prot: procRW, want: "0-4 r--p, 4-12 rw-p"},
			{op: "mprotect", off: 4, pages: 4, prot: procRO, want: "0-8 r--p, 8-12 rw-p", flags: "rd mr mw me, rd wr mr mw me ac"},
		}},
		{"mprotect of the first half merges into prev", []procVMAOp{
			{op: "mmap", off: 0, pages: 12, prot: procRW},
			{op: "write", off: 0, pages: 1},
			{op: "mprotect", off: 0, pages: 4, prot: procRO, want: "0-4 r--p, 4-12 rw-p"},
			{op: "mprotect", off: 4, pages: 4, prot: procRO, want: "0-8 r--p, 8-12 rw-p"},
			{op: "mprotect", off: 8, pages: 4, prot: procRO, want: "0-12 r--p", flags: "rd mr mw me ac"},
		}},
		{"mprotect of the last half merges into next", []procVMAOp{
			{op: "mmap", off: 0, pages: 12, prot: procRW},
			{op: "write", off: 11, pages: 1},
			{op: "mprotect", off: 8, pages: 4, prot: procRO, want: "0-8 rw-p, 8-12 r--p"},
			{op: "mprotect", off: 4, pages: 4, prot: procRO, want: "0-4 rw-p, 4-12 r--p"},
		}},
		{"munmap of the middle leaves a hole", []procVMAOp{
			{op: "mmap", off: 0, pages: 12, prot: procRW},
			{op: "munmap", off: 4, pages: 4, want: "0-4 rw-p, 8-12 rw-p"},
		}},
		{"munmap across two VMAs trims both", []procVMAOp{
			{op: "mmap", off: 0, pages: 4, prot: procRW},
			{op: "mmap", off: 4, pages: 4, prot: procRO},
			{op: "munmap", off: 2, pages: 4, want: "0-2 rw-p, 6-8 r--p"},
		}},
		{"munmap of a hole succeeds", []procVMAOp{
			{op: "munmap", off: 0, pages: 4, want: ""},
		}},
		{"MAP_FIXED over the middle with another prot gives 3 VMAs", []procVMAOp{
			{op: "mmap", off: 0, pages: 12, prot: procRW},
			{op: "fixed", off: 4, pages: 4, prot: procRO, want: "0-4 rw-p, 4-8 r--p, 8-12 rw-p"},
		}},
		{"MAP_FIXED over the middle with the same prot gives 1 VMA", []procVMAOp{
			{op: "mmap", off: 0, pages: 12, prot: procRW},
			{op: "fixed", off: 4, pages: 4, prot: procRW, want: "0-12 rw-p"},
		}},
		{"MAP_FIXED_NOREPLACE over a mapping is EEXIST", []procVMAOp{
			{op: "mmap", off: 0, pages: 8, prot: procRW},
			{op: "mmap", off: 4, pages: 8, prot: procRW, errno: mm.EEXIST, want: "0-8 rw-p"},
		}},
		{"MAP_FIXED_NOREPLACE reaching into the next mapping is EEXIST", []procVMAOp{
			{op: "mmap", off: 8, pages: 4, prot: procRO},
			{op: "mmap", off: 4, pages: 5, prot: procRW, errno: mm.EEXIST, want: "8-12 r--p"},
		}},
		{"mprotect across a hole is ENOMEM after changing the part before it", []procVMAOp{
			{op: "mmap", off: 0, pages: 4, prot: procRW},
			{op: "mmap", off: 8, pages: 4, prot: procRW},
			{op: "mprotect", off: 0, pages: 12, prot: procRO, errno: mm.ENOMEM, want: "0-4 r--p, 8-12 rw-p"},
		}},
		{"mprotect ending in a hole is ENOMEM after changing the mapped part", []procVMAOp{
			{op: "mmap", off: 0, pages: 4, prot: procRW},
			{op: "mprotect", off: 2, pages: 4, prot: procRO, errno: mm.ENOMEM, want: "0-2 rw-p, 2-4 r--p"},
		}},
		{"mprotect starting in a hole is ENOMEM and changes nothing", []procVMAOp{
			{op: "mmap", off: 4, pages: 4, prot: procRW},
			{op: "mprotect", off: 0, pages: 8, prot: procRO, errno: mm.ENOMEM, want: "4-8 rw-p"},
		}},
		{"PROT_WRITE on a read-only private file mapping is allowed", []procVMAOp{
			{op: "mmap", off: 0, pages: 4, prot: procRO, file: "f", want: "0-4 r--p /f", flags: "rd mr mw me"},
			{op: "mprotect", off: 0, pages: 4, prot: procRW, want: "0-4 rw-p /f", flags: "rd wr mr mw me ac"},
		}},
		{"shared anonymous mappings do not merge", []procVMAOp{
			{op: "mmap", off: 0, pages: 4, prot: procRW, shared: true},
			{op: "mmap", off: 4, pages: 4, prot: procRW, shared: true, want: "0-4 rw-s /dev/zero (deleted), 4-8 rw-s /dev/zero (deleted)"},
		}},
	}
	for _, line := range procLines {
		for _, tc := range tests {
			t.Run(strings.Fields(line)[0]+"/"+tc.name, func(t *testing.T) {
				m := procBoot(t, line)
				p := procSpawn(t, m, "p")
				base := p.MM.MmapBase - 64*procPage
				if v := p.MM.FindVMA(base - procPage); v != nil && v.Start < p.MM.MmapBase+procPage {
					t.Fatalf("the window at %#x is not free: %s", base, v)
				}
				for i, op := range tc.ops {
					err := procDoVMAOp(t, m, p, base, op)
					procCheck(t, m, fmt.Sprintf("step %d (%s)", i, op.op))
					if got := procErrno(t, err); got != op.errno {
						t.Fatalf("step %d (%s %d+%d): errno %v, want %v (%v)", i, op.op, op.off, op.pages, got, op.errno, err)
					}
					vmas, flags := procWindow(p, base)
					if op.want != "" || i == len(tc.ops)-1 {
						if vmas != op.want {
							t.Fatalf("step %d (%s %d+%d): VMAs %q, want %q", i, op.op, op.off, op.pages, vmas, op.want)
						}
					}
					if op.flags != "" && flags != op.flags {
						t.Fatalf("step %d (%s %d+%d): VmFlags %q, want %q", i, op.op, op.off, op.pages, flags, op.flags)
					}
				}
			})
		}
	}
}

// TestProcSyscallErrors checks the argument errors of mmap, munmap and
// mprotect (mm/mmap.c: do_mmap(); mm/vma.c: do_vmi_munmap();
// mm/mprotect.c: do_mprotect_pkey()).
func TestProcSyscallErrors(t *testing.T) {
	tests := []struct {
		name  string
		call  func(s *mm.System, p *mm.Task, free uint64) error
		errno mm.Errno
	}{
		{"munmap of an unaligned address", func(s *mm.System, p *mm.Task, free uint64) error {
			return s.Munmap(p, free+5, procPage)
		}, mm.EINVAL},
		{"munmap of length 0", func(s *mm.System, p *mm.Task, free uint64) error {
			return s.Munmap(p, free, 0)
		}, mm.EINVAL},
		{"mmap of length 0", func(s *mm.System, p *mm.Task, free uint64) error {
			_, err := s.Mmap(p, mm.MmapArgs{Len: 0, Prot: procRW, Flags: mm.MapPrivate | mm.MapAnonymous})
			return err
		}, mm.EINVAL},
		{"MAP_FIXED at an unaligned address", func(s *mm.System, p *mm.Task, free uint64) error {
			_, err := s.Mmap(p, mm.MmapArgs{Addr: free + 0x10, Len: procPage, Prot: procRW, Flags: mm.MapPrivate | mm.MapAnonymous | mm.MapFixed})
			return err
		}, mm.EINVAL},
		{"mmap without MAP_PRIVATE or MAP_SHARED", func(s *mm.System, p *mm.Task, free uint64) error {
			_, err := s.Mmap(p, mm.MmapArgs{Len: procPage, Prot: procRW, Flags: mm.MapAnonymous})
			return err
		}, mm.EINVAL},
		{"mmap of a file at an unaligned offset", func(s *mm.System, p *mm.Task, free uint64) error {
			f, err := s.NewFile("f", procFileSize)
			if err != nil {
				return err
			}
			_, err = s.Mmap(p, mm.MmapArgs{Len: procPage, Prot: procRO, Flags: mm.MapPrivate, File: f, Off: 100})
			return err
		}, mm.EINVAL},
		{"mprotect of an unaligned address", func(s *mm.System, p *mm.Task, free uint64) error {
			return s.Mprotect(p, p.MM.StartCode+1, procPage, procRO)
		}, mm.EINVAL},
		{"mprotect of length 0 succeeds", func(s *mm.System, p *mm.Task, free uint64) error {
			return s.Mprotect(p, free, 0, procRO)
		}, 0},
		{"mprotect of an unmapped range", func(s *mm.System, p *mm.Task, free uint64) error {
			return s.Mprotect(p, free, procPage, procRO)
		}, mm.ENOMEM},
	}
	for _, line := range procLines {
		for _, tc := range tests {
			t.Run(strings.Fields(line)[0]+"/"+tc.name, func(t *testing.T) {
				m := procBoot(t, line)
				p := procSpawn(t, m, "p")
				before := procAllVMAs(p)
				err := tc.call(m.Procs, p, p.MM.MmapBase-64*procPage)
				procCheck(t, m, tc.name)
				if got := procErrno(t, err); got != tc.errno {
					t.Fatalf("errno %v, want %v (%v)", got, tc.errno, err)
				}
				if after := procAllVMAs(p); after != before {
					t.Fatalf("a failed call changed the VMAs: %q, was %q", after, before)
				}
			})
		}
	}
}

// TestProcMmapPlacement checks where mmap puts mappings without
// MAP_FIXED: the x86 top-down allocator (arch/x86/kernel/sys_x86_64.c:
// arch_get_unmapped_area_topdown(), mm/mmap.c:
// unmapped_area_topdown()) takes the highest free range below mmap_base,
// and a hint when its range, with the stack guard gap of a VM_GROWSDOWN
// VMA above it, is free.
func TestProcMmapPlacement(t *testing.T) {
	for _, line := range procLines {
		t.Run(strings.Fields(line)[0], func(t *testing.T) {
			m := procBoot(t, line)
			s := m.Procs
			p := procSpawn(t, m, "p")
			mb := p.MM.MmapBase
			// Successive mappings land just below each other, the first
			// ending at mmap_base; alternate prot keeps them apart.
			want := mb
			for i, pages := range []uint64{1, 3, 2, 5} {
				prot := procRW
				if i%2 == 1 {
					prot = procRO
				}
				got := procMmap(t, m, p, procAnon(0, pages, prot, mm.MapPrivate))
				want -= pages * procPage
				if got != want {
					t.Fatalf("mapping %d at %#x, want %#x (just below the previous one)", i, got, want)
				}
			}
			if n := len(p.MM.VMAs()); n != 4+4 {
				t.Fatalf("%d VMAs, want the image's 4 and 4 mappings", n)
			}
			// The same prot twice merges the new one below the old.
			got := procMmap(t, m, p, procAnon(0, 2, procRO, mm.MapPrivate))
			if want -= 2 * procPage; got != want || p.MM.VMAAt(got).End != want+7*procPage {
				t.Fatalf("mapping at %#x (VMA %s), want %#x merged with the one above", got, p.MM.VMAAt(got), want)
			}
			low := want
			// A free hint is honoured.
			hint := uint64(0x10000000)
			if got := procMmap(t, m, p, procAnon(hint, 4, procRW, mm.MapPrivate)); got != hint {
				t.Fatalf("free hint %#x: mapped at %#x", hint, got)
			}
			// A taken hint falls back to the top-down search.
			if got := procMmap(t, m, p, procAnon(hint+procPage, 2, procRO, mm.MapPrivate)); got != low-2*procPage {
				t.Fatalf("taken hint %#x: mapped at %#x, want %#x", hint+procPage, got, low-2*procPage)
			}
			low -= 2 * procPage
			// A hint within the stack guard gap below the stack is taken.
			stack := p.MM.VMAAt(p.MM.StartStack)
			hint = stack.Start - s.StackGuardGap
			if got := procMmap(t, m, p, procAnon(hint, 1, procRW, mm.MapPrivate)); got != low-procPage {
				t.Fatalf("hint %#x in the stack guard gap: mapped at %#x, want %#x", hint, got, low-procPage)
			}
			low -= procPage
			// Just below the gap it is free.
			hint = stack.Start - s.StackGuardGap - procPage
			if got := procMmap(t, m, p, procAnon(hint, 1, procRW, mm.MapPrivate)); got != hint {
				t.Fatalf("hint %#x below the stack guard gap: mapped at %#x", hint, got)
			}
			// After an munmap the hole is found again.
			hole := low + 3*procPage
			if err := s.Munmap(p, hole, 2*procPage); err != nil {
				t.Fatal(err)
			}
			procCheck(t, m, "munmap")
			if got := procMmap(t, m, p, procAnon(0, 2, mm.ProtNone, mm.MapPrivate)); got != hole {
				t.Fatalf("mapped at %#x, want the hole at %#x", got, hole)
			}
			if got := procMmap(t, m, p, procAnon(0, 3, mm.ProtNone, mm.MapPrivate)); got != low-3*procPage {
				t.Fatalf("mapped at %#x, want %#x below the others", got, low-3*procPage)
			}
		})
	}
}

// TestProcBrkCollision checks that brk refuses to grow the heap up to a
// mapping (mm/mmap.c: SYSCALL_DEFINE1(brk): the next VMA must start at
// least a page above the new break, and vm_start_gap() lowers the start
// of a VM_GROWSDOWN VMA by stack_guard_gap) and returns the old break.
func TestProcBrkCollision(t *testing.T) {
	const gap = 256 * procPage // stack_guard_gap
	tests := []struct {
		name      string
		growsdown bool
		// newbrk is the requested break, relative to the mapping's start.
		newbrk int64
		ok     bool
	}{
		{"up to one page below a mapping", false, -int64(procPage), true},
		{"an unaligned break rounding up to one page below", false, -2*int64(procPage) + 1, true},
		{"into the page below a mapping", false, -int64(procPage) + 1, false},
		{"up to the mapping", false, 0, false},
		{"past the mapping", false, 4 * int64(procPage), false},
		{"1 MiB below a mapping is fine", false, -int64(gap), true},
		{"one page below a MAP_GROWSDOWN mapping", true, -int64(procPage), false},
		{"inside the guard gap of a MAP_GROWSDOWN mapping", true, -int64(gap), false},
		{"just below the guard gap of a MAP_GROWSDOWN mapping", true, -int64(gap) - int64(procPage), true},
	}
	for _, line := range procLines {
		for _, tc := range tests {
			t.Run(strings.Fields(line)[0]+"/"+tc.name, func(t *testing.T) {
				m := procBoot(t, line)
				s := m.Procs
				p := procSpawn(t, m, "p")
				old := s.Brk(p, p.MM.StartBrk+3*procPage)
				procCheck(t, m, "brk")
				at := p.MM.StartBrk + 2*gap
				flags := mm.MapPrivate | mm.MapFixedNoReplace
				if tc.growsdown {
					flags |= mm.MapGrowsDown
				}
				procMmap(t, m, p, procAnon(at, 4, procRW, flags))
				want := uint64(int64(at) + tc.newbrk)
				got := s.Brk(p, want)
				procCheck(t, m, "brk")
				if !tc.ok {
					want = old
				}
				if got != want || p.MM.Brk != want {
					t.Fatalf("brk(%#x) = %#x (mm->brk %#x), want %#x", uint64(int64(at)+tc.newbrk), got, p.MM.Brk, want)
				}
				heap := p.MM.VMAAt(p.MM.StartBrk)
				if end := (want + procPage - 1) &^ (procPage - 1); heap == nil || heap.End != end {
					t.Fatalf("heap VMA %v, want it to end at %#x", heap, end)
				}
			})
		}
	}
}

// TestProcBrkShrink checks that shrinking the break unmaps the pages
// above it and frees them (do_vmi_align_munmap() from brk), that a break
// within the same page changes no VMA, and that a break below start_brk
// fails.
func TestProcBrkShrink(t *testing.T) {
	for _, line := range procLines {
		t.Run(strings.Fields(line)[0], func(t *testing.T) {
			m := procBoot(t, line)
			s := m.Procs
			p := procSpawn(t, m, "p")
			start := p.MM.StartBrk
			if got := s.Brk(p, start+8*procPage); got != start+8*procPage {
				t.Fatalf("brk grow = %#x", got)
			}
			procCheck(t, m, "brk")
			procTouch(t, m, p, start, 8, tlb.Write)
			rss, free, tables := p.MM.RSS(), m.Phys.NrFreePages(), m.PT.Allocated
			if got := s.Brk(p, start+3*procPage+100); got != start+3*procPage+100 {
				t.Fatalf("brk shrink = %#x", got)
			}
			procCheck(t, m, "brk")
			if d := rss - p.MM.RSS(); d != 4 {
				t.Errorf("RSS fell by %d pages, want 4", d)
			}
			if d := m.Phys.NrFreePages() - free; d != 4 {
				t.Errorf("%d pages were freed, want 4", d)
			}
			if m.PT.Allocated != tables {
				t.Errorf("page tables %d, were %d", m.PT.Allocated, tables)
			}
			if v := p.MM.VMAAt(start); v == nil || v.End != start+4*procPage {
				t.Fatalf("heap VMA %v, want it to end at start_brk+4 pages", v)
			}
			// Within the same page: only the value changes.
			if got := s.Brk(p, start+4*procPage); got != start+4*procPage || p.MM.VMAAt(start).End != start+4*procPage {
				t.Fatalf("brk within the page = %#x, heap %s", got, p.MM.VMAAt(start))
			}
			procCheck(t, m, "brk")
			if code := procSigCode(t, procAccess(t, m, p, start+4*procPage, tlb.Read)); code != mm.SegvMapErr {
				t.Fatalf("read above the heap: si_code %d, want SEGV_MAPERR", code)
			}
			// The pages that stay keep their data.
			procWrite(t, m, p, start+procPage, []byte("kept"))
			if b := procRead(t, m, p, start+procPage, 4); string(b) != "kept" {
				t.Fatalf("read %q", b)
			}
			// Below start_brk: the old break.
			if got := s.Brk(p, start-procPage); got != start+4*procPage {
				t.Fatalf("brk below start_brk = %#x, want the old break", got)
			}
			procCheck(t, m, "brk")
			// Back to the start: no heap VMA above start_brk.
			if got := s.Brk(p, start); got != start || p.MM.VMAAt(start) != nil {
				t.Fatalf("brk(start_brk) = %#x, VMA %v", got, p.MM.VMAAt(start))
			}
			procCheck(t, m, "brk")
		})
	}
}

// TestProcMaxMapCount checks vm.max_map_count: mm/mmap.c:do_mmap() and
// mm/vma.c:do_brk_flags() refuse with ENOMEM once mm->map_count is above
// the limit (so a process can reach max+1 VMAs), and munmap refuses to
// split a VMA in the middle when map_count is at the limit (mm/vma.c:
// vms_gather_munmap_vmas()).
func TestProcMaxMapCount(t *testing.T) {
	const max = 10
	for _, line := range procLines {
		t.Run(strings.Fields(line)[0], func(t *testing.T) {
			m := procBoot(t, line)
			s := m.Procs
			p := procSpawn(t, m, "p")
			base := p.MM.MmapBase - 64*procPage
			// Mappings one page apart (so that none merges) until the
			// limit: they must all succeed.
			next := uint64(0)
			mapOne := func() error {
				prot := procRW
				if next%2 == 1 {
					prot = procRO
				}
				_, err := s.Mmap(p, procAnon(base+next*2*procPage, 1, prot, mm.MapPrivate|mm.MapFixedNoReplace))
				procCheck(t, m, "mmap")
				if err == nil {
					next++
				}
				return err
			}
			s.MaxMapCount = max
			for p.MM.MapCount() < max {
				if err := mapOne(); err != nil {
					t.Fatalf("mmap with %d VMAs (max %d): %v", p.MM.MapCount(), max, err)
				}
			}
			// do_mmap()'s check is map_count > max_map_count, kept lenient
			// on purpose (LTP's max_map_count test expects max+1 maps): a
			// mapping at the limit still succeeds.
			if err := mapOne(); err != nil {
				t.Fatalf("mmap with %d VMAs (max %d): %v", p.MM.MapCount(), max, err)
			}
			if n := p.MM.MapCount(); n != max+1 {
				t.Fatalf("%d VMAs, want %d", n, max+1)
			}
			// Above it: ENOMEM, also for a mapping that would merge, since
			// the check comes before the merge.
			if err := mapOne(); procErrno(t, err) != mm.ENOMEM {
				t.Fatalf("mmap with %d VMAs (max %d): %v, want ENOMEM", p.MM.MapCount(), max, err)
			}
			_, err := s.Mmap(p, procAnon(base+procPage, 1, procRW, mm.MapPrivate|mm.MapFixedNoReplace))
			procCheck(t, m, "mmap")
			if procErrno(t, err) != mm.ENOMEM {
				t.Fatalf("merging mmap with %d VMAs (max %d): %v, want ENOMEM", p.MM.MapCount(), max, err)
			}
			// brk too (do_brk_flags() checks map_count > max_map_count),
			// and returns the old break.
			if old := p.MM.Brk; s.Brk(p, old+procPage) != old {
				t.Fatalf("brk with %d VMAs (max %d) grew the heap", p.MM.MapCount(), max)
			}
			procCheck(t, m, "brk")
			// Unmapping whole VMAs always works.
			for p.MM.MapCount() > max {
				next--
				if err := s.Munmap(p, base+next*2*procPage, procPage); err != nil {
					t.Fatal(err)
				}
				procCheck(t, m, "munmap")
			}
			// At the limit brk grows the heap again.
			if want := p.MM.Brk + procPage; s.Brk(p, want) != want {
				t.Fatalf("brk with %d VMAs (max %d) failed", p.MM.MapCount(), max)
			}
			procCheck(t, m, "brk")
			// At the limit, splitting a VMA in the middle is ENOMEM.
			if err := s.Munmap(p, base, procPage); err != nil { // room for big
				t.Fatal(err)
			}
			procCheck(t, m, "munmap")
			big := procMmap(t, m, p, procAnon(0, 8, procRW, mm.MapPrivate))
			if p.MM.MapCount() != max {
				t.Fatalf("%d VMAs, want %d", p.MM.MapCount(), max)
			}
			if err := s.Munmap(p, big+2*procPage, procPage); procErrno(t, err) != mm.ENOMEM {
				t.Fatalf("munmap splitting a VMA at the limit: %v, want ENOMEM", err)
			}
			procCheck(t, m, "munmap")
			if v := p.MM.VMAAt(big); v == nil || v.Start != big || v.End != big+8*procPage {
				t.Fatalf("the failed munmap changed the VMA: %v", v)
			}
			// mprotect of the middle at the limit is ENOMEM and leaves
			// the VMA whole (the kernel would keep its first split; the
			// model refuses before it, spec.md 16.5).
			if err := s.Mprotect(p, big+2*procPage, procPage, mm.ProtRead); procErrno(t, err) != mm.ENOMEM {
				t.Fatalf("mprotect of the middle at the limit: %v, want ENOMEM", err)
			}
			procCheck(t, m, "mprotect")
			// Unmapping the first page at the limit works: munmap splits
			// with __split_vma(), and only a split in the middle checks
			// map_count >= max_map_count (vms_gather_munmap_vmas()).
			if err := s.Munmap(p, big, procPage); err != nil {
				t.Fatalf("munmap of the head at the limit: %v", err)
			}
			procCheck(t, m, "munmap")
			big += procPage
			// At max-1 a middle split is allowed (its own splits do not
			// check) and ends at max.
			s.MaxMapCount = p.MM.MapCount() + 1
			if err := s.Munmap(p, big+3*procPage, procPage); err != nil {
				t.Fatalf("munmap splitting a VMA at max-1: %v", err)
			}
			procCheck(t, m, "munmap")
			if n := p.MM.MapCount(); n != s.MaxMapCount {
				t.Fatalf("%d VMAs, want %d", n, s.MaxMapCount)
			}
			if got, _ := procWindow(p, big); got != "0-3 rw-p, 4-7 rw-p" {
				t.Fatalf("VMAs %q after the split", got)
			}
		})
	}
}

// TestProcForkMerge checks is_mergeable_anon_vma() after fork (mm/vma.c):
// a VMA whose anon_vma_chain is not singular (the child's copy of a VMA
// with an anon_vma: anon_vma_fork() links the parent's anon_vma and its
// own) does not take a new adjacent mapping, while the parent's VMA,
// whose chain stays singular, does. A VMA without anon_vma is copied
// without one and merges in both.
func TestProcForkMerge(t *testing.T) {
	tests := []struct {
		name                  string
		touched               bool
		parentWant, childWant string
	}{
		{"VMA with an anon_vma", true, "0-8 rw-p", "0-4 rw-p, 4-8 rw-p"},
		{"VMA without anon_vma", false, "0-8 rw-p", "0-8 rw-p"},
	}
	for _, line := range procLines {
		for _, tc := range tests {
			t.Run(strings.Fields(line)[0]+"/"+tc.name, func(t *testing.T) {
				m := procBoot(t, line)
				p := procSpawn(t, m, "p")
				base := p.MM.MmapBase - 64*procPage
				procMmap(t, m, p, procAnon(base, 4, procRW, mm.MapPrivate|mm.MapFixedNoReplace))
				if tc.touched {
					procTouch(t, m, p, base, 1, tlb.Write)
				}
				c := procFork(t, m, p)
				for _, x := range []struct {
					who  string
					task *mm.Task
					want string
				}{{"parent", p, tc.parentWant}, {"child", c, tc.childWant}} {
					procRun(t, m, x.task)
					procMmap(t, m, x.task, procAnon(base+4*procPage, 4, procRW, mm.MapPrivate|mm.MapFixedNoReplace))
					if got, _ := procWindow(x.task, base); got != x.want {
						t.Errorf("%s: VMAs %q, want %q", x.who, got, x.want)
					}
					// Writing the new part works either way.
					procTouch(t, m, x.task, base, 8, tlb.Write)
				}
				procExitWait(t, m, c)
			})
		}
	}
}

// TestProcFaultCounts checks the faults of access sequences on fresh
// private anonymous pages (mm/memory.c: do_anonymous_page() maps the zero
// page on a read and a new page on a write; do_wp_page() copies from the
// zero page on the first write after a read): read then write is 2
// faults per page, the second a copy (t.Cow); a write alone is 1; a
// second pass is free.
func TestProcFaultCounts(t *testing.T) {
	const n = 16
	type pass struct {
		acc         tlb.Access
		minflt, cow uint64
	}
	tests := []struct {
		name   string
		passes []pass
		rss    int64 // anonymous pages at the end
	}{
		{"write", []pass{{tlb.Write, n, 0}}, n},
		{"write twice", []pass{{tlb.Write, n, 0}, {tlb.Write, 0, 0}}, n},
		{"read", []pass{{tlb.Read, n, 0}}, 0},
		{"read twice", []pass{{tlb.Read, n, 0}, {tlb.Read, 0, 0}}, 0},
		{"read then write", []pass{{tlb.Read, n, 0}, {tlb.Write, n, n}}, n},
		{"write then read", []pass{{tlb.Write, n, 0}, {tlb.Read, 0, 0}}, n},
		{"read, write, write", []pass{{tlb.Read, n, 0}, {tlb.Write, n, n}, {tlb.Write, 0, 0}}, n},
	}
	for _, line := range procLines {
		for _, tc := range tests {
			t.Run(strings.Fields(line)[0]+"/"+tc.name, func(t *testing.T) {
				m := procBoot(t, line)
				p := procSpawn(t, m, "p")
				a := procMmap(t, m, p, procAnon(0, n, procRW, mm.MapPrivate))
				rss := p.MM.Rss[mm.MMAnonPages] // the stack's argument page
				for i, ps := range tc.passes {
					flt, cow, maj := p.MinFlt, p.Cow, p.MajFlt
					procTouch(t, m, p, a, n, ps.acc)
					if got := p.MinFlt - flt; got != ps.minflt {
						t.Errorf("pass %d (%v): %d minor faults, want %d", i, ps.acc, got, ps.minflt)
					}
					if got := p.Cow - cow; got != ps.cow {
						t.Errorf("pass %d (%v): %d copies, want %d", i, ps.acc, got, ps.cow)
					}
					if p.MajFlt != maj {
						t.Errorf("pass %d (%v): %d major faults", i, ps.acc, p.MajFlt-maj)
					}
				}
				if got := p.MM.Rss[mm.MMAnonPages] - rss; got != tc.rss {
					t.Errorf("MM_ANONPAGES rose by %d, want %d", got, tc.rss)
				}
			})
		}
	}
}

// TestProcZeroPage checks that read faults on fresh anonymous pages map
// the one shared zero page (do_anonymous_page(): a special PTE, no page
// reference, no RSS), read-only, and that the pages read as zeros.
func TestProcZeroPage(t *testing.T) {
	const n = 32
	for _, line := range procLines {
		t.Run(strings.Fields(line)[0], func(t *testing.T) {
			m := procBoot(t, line)
			s := m.Procs
			p := procSpawn(t, m, "p")
			a := procMmap(t, m, p, procAnon(0, n, procRW, mm.MapPrivate))
			ref, free, zero := m.Phys.Refcount(s.ZeroPFN), m.Phys.NrFreePages(), s.Stats.ZeroMaps
			tables := m.PT.Allocated
			rss := p.MM.RSS()
			procTouch(t, m, p, a, n, tlb.Read)
			for i := uint64(0); i < n; i++ {
				e, pfn, ok := procPTE(m, p, a+i*procPage)
				if !ok || pfn != uint64(s.ZeroPFN) {
					t.Fatalf("page %d maps pfn %#x (present %v), want the zero page %#x", i, pfn, ok, s.ZeroPFN)
				}
				if e&pgtable.RW != 0 || e&pgtable.Special == 0 {
					t.Fatalf("page %d: PTE %s, want read-only and special", i, e.FlagString())
				}
			}
			if got := m.Phys.Refcount(s.ZeroPFN); got != ref {
				t.Errorf("zero page refcount %d, was %d", got, ref)
			}
			if got := p.MM.RSS(); got != rss {
				t.Errorf("RSS %d, was %d", got, rss)
			}
			if got := s.Stats.ZeroMaps - zero; got != n {
				t.Errorf("ZeroMaps rose by %d, want %d", got, n)
			}
			// Only the page table that holds the PTEs is new.
			if got := free - m.Phys.NrFreePages(); got != uint64(m.PT.Allocated-tables) {
				t.Errorf("the reads took %d pages, %d of them page tables", got, m.PT.Allocated-tables)
			}
			for i, x := range procRead(t, m, p, a, int(n*procPage)) {
				if x != 0 {
					t.Fatalf("byte %d reads %#x", i, x)
				}
			}
			procCheck(t, m, "read")
		})
	}
}

// TestProcForkCOW checks copy-on-write after fork (kernel/fork.c
// dup_mmap(), mm/memory.c copy_present_pte(), do_wp_page(),
// wp_can_reuse_anon_folio()): every write after fork faults; it copies
// while the page is still shared and reuses the frame in place once the
// writer holds the only reference. The order decides who copies: the
// kernel oracle's fork_child_writes_first_child_alive is the first row.
func TestProcForkCOW(t *testing.T) {
	const n, k = 40, 15
	type writes struct {
		minflt, cow, reused uint64
	}
	tests := []struct {
		name string
		// order lists what happens after fork: "child" writes pages
		// [0, K), "childread" reads them, "parent" writes all N pages,
		// "exit" exits and reaps the child.
		order         string
		parent, child writes
		// parentNew is how many of the parent's pages have a new frame.
		parentNew int
	}{
		{"child writes K, then parent writes N", "child,parent", writes{n, n - k, k}, writes{k, k, 0}, n - k},
		{"parent writes N, then child writes K", "parent,child", writes{n, n, 0}, writes{k, 0, k}, n},
		{"child exits, then parent writes N", "exit,parent", writes{n, 0, n}, writes{}, 0},
		{"child reads K, then parent writes N", "childread,parent", writes{n, n, 0}, writes{}, n},
	}
	for _, line := range procLines {
		for _, tc := range tests {
			t.Run(strings.Fields(line)[0]+"/"+tc.name, func(t *testing.T) {
				m := procBoot(t, line)
				p := procSpawn(t, m, "p")
				a := procMmap(t, m, p, procAnon(0, n, procRW, mm.MapPrivate))
				for i := uint64(0); i < n; i++ {
					procWrite(t, m, p, a+i*procPage, []byte{byte(i + 1)})
				}
				before := procPFNs(m, p, a, n)
				c := procFork(t, m, p)
				if got := procPFNs(m, c, a, n); fmt.Sprint(got) != fmt.Sprint(before) {
					t.Fatalf("the child maps %v, the parent %v", got, before)
				}
				type counts struct{ minflt, cow, reused, maj uint64 }
				get := func(x *mm.Task) counts { return counts{x.MinFlt, x.Cow, x.CowReused, x.MajFlt} }
				p0, c0 := get(p), get(c)
				var pEnd, cEnd counts
				exited, childWrote := false, false
				for _, step := range strings.Split(tc.order, ",") {
					switch step {
					case "child":
						childWrote = true
						procRun(t, m, c)
						for i := uint64(0); i < k; i++ {
							procWrite(t, m, c, a+i*procPage, []byte{0xc0})
						}
					case "childread":
						procRun(t, m, c)
						procTouch(t, m, c, a, k, tlb.Read)
					case "parent":
						procRun(t, m, p)
						procTouch(t, m, p, a, n, tlb.Write)
					case "exit":
						cEnd = get(c)
						procExitWait(t, m, c)
						exited = true
					}
					procCheck(t, m, step)
				}
				pEnd = get(p)
				if !exited {
					cEnd = get(c)
				}
				for _, x := range []struct {
					who        string
					start, end counts
					want       writes
				}{{"parent", p0, pEnd, tc.parent}, {"child", c0, cEnd, tc.child}} {
					got := writes{x.end.minflt - x.start.minflt, x.end.cow - x.start.cow, x.end.reused - x.start.reused}
					if got != x.want {
						t.Errorf("%s: faults/copies/reuses %v, want %v", x.who, got, x.want)
					}
					if x.end.maj != x.start.maj {
						t.Errorf("%s: %d major faults", x.who, x.end.maj-x.start.maj)
					}
				}
				changed := 0
				for i, pfn := range procPFNs(m, p, a, n) {
					if pfn != before[i] {
						changed++
					}
				}
				if changed != tc.parentNew {
					t.Errorf("the parent has %d pages with a new frame, want %d", changed, tc.parentNew)
				}
				// The data: the parent's own writes, the child's its own.
				procRun(t, m, p)
				for i := uint64(0); i < n; i++ {
					if b := procRead(t, m, p, a+i*procPage, 1); b[0] != byte(i+1) {
						t.Fatalf("parent page %d reads %v, want %d", i, b, i+1)
					}
				}
				if !exited {
					procRun(t, m, c)
					for i := uint64(0); i < n; i++ {
						want := byte(i + 1)
						if childWrote && i < k {
							want = 0xc0
						}
						if b := procRead(t, m, c, a+i*procPage, 1); b[0] != want {
							t.Fatalf("child page %d reads %v, want %d", i, b, want)
						}
					}
					procExitWait(t, m, c)
				}
			})
		}
	}
}

// TestProcSharedAnonFork checks MAP_SHARED|MAP_ANONYMOUS across fork:
// parent and child map the same shmem pages (no copy-on-write), so each
// sees the other's writes, whoever faulted the page in first.
func TestProcSharedAnonFork(t *testing.T) {
	const n = 4
	for _, line := range procLines {
		t.Run(strings.Fields(line)[0], func(t *testing.T) {
			m := procBoot(t, line)
			p := procSpawn(t, m, "p")
			a := procMmap(t, m, p, procAnon(0, n, procRW, mm.MapShared))
			procWrite(t, m, p, a, []byte("parent"))
			c := procFork(t, m, p)
			procRun(t, m, c)
			if b := procRead(t, m, c, a, 6); string(b) != "parent" {
				t.Fatalf("child reads %q", b)
			}
			for i, msg := range []string{"CHILD!", "child1", "child2", "child3"} {
				procWrite(t, m, c, a+uint64(i)*procPage, []byte(msg))
			}
			procRun(t, m, p)
			for i, msg := range []string{"CHILD!", "child1", "child2", "child3"} {
				if b := procRead(t, m, p, a+uint64(i)*procPage, len(msg)); string(b) != msg {
					t.Fatalf("parent page %d reads %q, want %q", i, b, msg)
				}
			}
			procCheck(t, m, "read")
			if p.Cow != 0 || c.Cow != 0 {
				t.Errorf("copies: parent %d, child %d; want none", p.Cow, c.Cow)
			}
			if pp, cp := procPFNs(m, p, a, n), procPFNs(m, c, a, n); fmt.Sprint(pp) != fmt.Sprint(cp) {
				t.Errorf("parent maps %v, child %v", pp, cp)
			}
			if p.MM.Rss[mm.MMShmemPages] != n || c.MM.Rss[mm.MMShmemPages] != n {
				t.Errorf("MM_SHMEMPAGES parent %d, child %d; want %d", p.MM.Rss[mm.MMShmemPages], c.MM.Rss[mm.MMShmemPages], n)
			}
			procExitWait(t, m, c)
			if b := procRead(t, m, p, a+procPage, 6); string(b) != "child1" {
				t.Fatalf("after the child exited the parent reads %q", b)
			}
			procCheck(t, m, "read")
		})
	}
}

// TestProcFileFaults checks faults on file mappings (mm/memory.c
// do_read_fault(), do_cow_fault(), do_shared_fault(), do_wp_page();
// mm/filemap.c filemap_fault(): a page not in the page cache is read, a
// major fault; a cached page is a minor fault).
func TestProcFileFaults(t *testing.T) {
	for _, line := range procLines {
		t.Run(strings.Fields(line)[0]+"/text shared by two processes", func(t *testing.T) {
			m := procBoot(t, line)
			a := procSpawn(t, m, "prog")
			b := procSpawn(t, m, "prog")
			procRun(t, m, a)
			text := a.MM.StartCode
			for _, x := range []struct {
				task     *mm.Task
				min, maj uint64
			}{{a, 0, 1}, {b, 1, 0}} {
				procRun(t, m, x.task)
				min, maj := x.task.MinFlt, x.task.MajFlt
				if err := procAccess(t, m, x.task, text, tlb.Exec); err != nil {
					t.Fatalf("pid %d: exec of the text: %v", x.task.PID, err)
				}
				if x.task.MinFlt-min != x.min || x.task.MajFlt-maj != x.maj {
					t.Errorf("pid %d: minflt %d, majflt %d; want %d and %d", x.task.PID, x.task.MinFlt-min, x.task.MajFlt-maj, x.min, x.maj)
				}
			}
			_, pa, _ := procPTE(m, a, text)
			_, pb, _ := procPTE(m, b, text)
			if pa != pb || pa == 0 {
				t.Errorf("text page: pid %d maps %#x, pid %d %#x; want the same page-cache page", a.PID, pa, b.PID, pb)
			}
		})
		t.Run(strings.Fields(line)[0]+"/private file mapping", func(t *testing.T) {
			m := procBoot(t, line)
			s := m.Procs
			f, err := s.NewFile("data", 8*procPage)
			if err != nil {
				t.Fatal(err)
			}
			a := procSpawn(t, m, "a")
			va := procMmap(t, m, a, mm.MmapArgs{Len: 8 * procPage, Prot: procRW, Flags: mm.MapPrivate, File: f})
			// A read maps the page-cache page, read-only: a major fault.
			procTouch(t, m, a, va, 1, tlb.Read)
			if a.MajFlt != 1 || a.MinFlt != 0 {
				t.Errorf("first read: majflt %d minflt %d, want 1 and 0", a.MajFlt, a.MinFlt)
			}
			e, cached, _ := procPTE(m, a, va)
			if e&pgtable.RW != 0 {
				t.Errorf("the page-cache page is writable in a private mapping: %s", e.FlagString())
			}
			// A write copies it into an anonymous page.
			procWrite(t, m, a, va, []byte("private"))
			_, copied, _ := procPTE(m, a, va)
			if copied == cached || a.Cow != 1 || a.MinFlt != 1 {
				t.Errorf("write: pfn %#x (cache %#x), cow %d, minflt %d; want a copy in 1 minor fault", copied, cached, a.Cow, a.MinFlt)
			}
			// A write to a page never read copies at once (do_cow_fault):
			// one fault, major since the page had to be read.
			maj := a.MajFlt
			procWrite(t, m, a, va+procPage, []byte("x"))
			if a.Cow != 2 || a.MajFlt != maj+1 {
				t.Errorf("write to an uncached page: cow %d, majflt +%d; want 2 and +1", a.Cow, a.MajFlt-maj)
			}
			// Another process sees the file, not a's copy, in the same
			// page-cache page: a minor fault.
			b := procSpawn(t, m, "b")
			vb := procMmap(t, m, b, mm.MmapArgs{Len: 8 * procPage, Prot: procRO, Flags: mm.MapPrivate, File: f})
			if got := procRead(t, m, b, vb, 7); string(got) != "\x00\x00\x00\x00\x00\x00\x00" {
				t.Fatalf("b reads %q, want zeros", got)
			}
			if _, pfn, _ := procPTE(m, b, vb); pfn != cached || b.MinFlt != 1 || b.MajFlt != 0 {
				t.Errorf("b maps %#x (cache %#x), minflt %d majflt %d; want the cached page in a minor fault", pfn, cached, b.MinFlt, b.MajFlt)
			}
		})
		t.Run(strings.Fields(line)[0]+"/shared file mapping", func(t *testing.T) {
			m := procBoot(t, line)
			s := m.Procs
			f, err := s.NewFile("shared", 4*procPage)
			if err != nil {
				t.Fatal(err)
			}
			a := procSpawn(t, m, "a")
			va := procMmap(t, m, a, mm.MmapArgs{Len: 4 * procPage, Prot: procRW, Flags: mm.MapShared, File: f})
			procWrite(t, m, a, va+procPage, []byte("hello"))
			e, pa, _ := procPTE(m, a, va+procPage)
			if e&pgtable.Dirty == 0 || e&pgtable.RW == 0 || a.Cow != 0 {
				t.Errorf("shared write: PTE %s, cow %d; want writable and dirty in place", e.FlagString(), a.Cow)
			}
			b := procSpawn(t, m, "b")
			vb := procMmap(t, m, b, mm.MmapArgs{Len: 4 * procPage, Prot: procRO, Flags: mm.MapPrivate, File: f})
			if got := procRead(t, m, b, vb+procPage, 5); string(got) != "hello" {
				t.Fatalf("b reads %q, want a's data", got)
			}
			procCheck(t, m, "read")
			if _, pb, _ := procPTE(m, b, vb+procPage); pb != pa {
				t.Errorf("b maps %#x, a %#x; want the same page-cache page", pb, pa)
			}
		})
	}
}

// TestProcStackGrowth checks stack expansion on faults below the stack
// VMA (arch/x86/mm/fault.c, mm/mmap.c expand_downwards(),
// acct_stack_growth()): the VMA grows down to the faulting page unless
// an accessible VMA below would come within stack_guard_gap, or the stack
// would pass RLIMIT_STACK; a refused growth is SEGV_MAPERR.
func TestProcStackGrowth(t *testing.T) {
	const gap = 256 * procPage
	tests := []struct {
		name string
		// below is a mapping under the stack: its end relative to the
		// stack's start, and its prot; 0 pages for none.
		belowEnd   int64
		belowPages uint64
		belowProt  int
		// addr is the address touched, relative to the stack's start.
		addr int64
		code int
	}{
		{"the page just below", 0, 0, 0, -int64(procPage), 0},
		{"8 pages below", 0, 0, 0, -8 * int64(procPage), 0},
		{"an unaligned address", 0, 0, 0, -3*int64(procPage) + 123, 0},
		{"a gap away from a mapping", -2 * int64(gap), 4, procRW, -int64(gap), 0},
		{"inside the guard gap of a mapping", -2 * int64(gap), 4, procRW, -int64(gap) - int64(procPage), mm.SegvMapErr},
		{"just above a mapping", -2 * int64(gap), 4, procRW, -2*int64(gap) + int64(procPage), mm.SegvMapErr},
		{"inside the guard gap of a PROT_NONE mapping", -2 * int64(gap), 4, mm.ProtNone, -2*int64(gap) + int64(procPage), 0},
	}
	for _, line := range procLines {
		for _, tc := range tests {
			t.Run(strings.Fields(line)[0]+"/"+tc.name, func(t *testing.T) {
				m := procBoot(t, line)
				p := procSpawn(t, m, "p")
				stack := p.MM.VMAAt(p.MM.StartStack)
				start := stack.Start
				if tc.belowPages != 0 {
					end := uint64(int64(start) + tc.belowEnd)
					procMmap(t, m, p, procAnon(end-tc.belowPages*procPage, tc.belowPages, tc.belowProt, mm.MapPrivate|mm.MapFixedNoReplace))
				}
				va := uint64(int64(start) + tc.addr)
				flt := p.MinFlt
				code := procSigCode(t, procAccess(t, m, p, va, tlb.Write))
				if code != tc.code {
					t.Fatalf("write at stack%+d: si_code %d, want %d", tc.addr, code, tc.code)
				}
				wantStart, wantFlt := va&^(procPage-1), flt+1
				if code != 0 {
					wantStart, wantFlt = start, flt
				}
				if v := p.MM.VMAAt(p.MM.StartStack); v.Start != wantStart || p.MinFlt != wantFlt {
					t.Fatalf("stack %s, minflt +%d; want it to start at %#x after %d faults", v, p.MinFlt-flt, wantStart, wantFlt-flt)
				}
			})
		}
	}
	for _, line := range procLines {
		t.Run(strings.Fields(line)[0]+"/RLIMIT_STACK", func(t *testing.T) {
			m := procBoot(t, line)
			s := m.Procs
			p := procSpawn(t, m, "p")
			top := p.MM.VMAAt(p.MM.StartStack).End
			if code := procSigCode(t, procAccess(t, m, p, top-s.StackLimit-procPage, tlb.Write)); code != mm.SegvMapErr {
				t.Fatalf("a stack of RLIMIT_STACK + 1 page: si_code %d, want SEGV_MAPERR", code)
			}
			if code := procSigCode(t, procAccess(t, m, p, top-s.StackLimit, tlb.Write)); code != 0 {
				t.Fatalf("a stack of RLIMIT_STACK: si_code %d, want success", code)
			}
			if v := p.MM.VMAAt(p.MM.StartStack); v.Start != top-s.StackLimit {
				t.Fatalf("stack %s, want it to start at %#x", v, top-s.StackLimit)
			}
		})
	}
}

// TestProcSegvCodes checks the si_code of the SIGSEGVs of user accesses
// (arch/x86/mm/fault.c do_user_addr_fault(), access_error(),
// bad_area_nosemaphore()): no VMA is SEGV_MAPERR (1), a VMA that does not
// allow the access SEGV_ACCERR (2). An instruction fetch from a page
// that is not present first maps it like a read; the retried fetch then
// faults on NX, where the paging format has it (not x86 2-level).
func TestProcSegvCodes(t *testing.T) {
	lines := []string{"x86 mem=64M", "x86 mem=64M paging=pae", "x86_64 mem=256M"}
	tests := []struct {
		name string
		// where: "unmapped", "null", "kernel", "text", or a fresh
		// mapping of prot.
		where  string
		prot   int
		acc    tlb.Access
		code   int
		minflt uint64
		// needsNX: without NX (x86 2-level) the access succeeds after
		// the same minor faults.
		needsNX bool
	}{
		{"read of an unmapped page", "unmapped", 0, tlb.Read, mm.SegvMapErr, 0, false},
		{"write to an unmapped page", "unmapped", 0, tlb.Write, mm.SegvMapErr, 0, false},
		{"read of NULL", "null", 0, tlb.Read, mm.SegvMapErr, 0, false},
		{"read of a kernel address", "kernel", 0, tlb.Read, mm.SegvMapErr, 0, false},
		{"write to PROT_READ", "map", procRO, tlb.Write, mm.SegvAccErr, 0, false},
		{"read of PROT_READ", "map", procRO, tlb.Read, 0, 1, false},
		{"read of PROT_NONE", "map", mm.ProtNone, tlb.Read, mm.SegvAccErr, 0, false},
		{"write to PROT_NONE", "map", mm.ProtNone, tlb.Write, mm.SegvAccErr, 0, false},
		{"exec of PROT_NONE", "map", mm.ProtNone, tlb.Exec, mm.SegvAccErr, 0, false},
		{"exec of a rw- page", "map", procRW, tlb.Exec, mm.SegvAccErr, 1, true},
		{"exec of a r-- page", "map", procRO, tlb.Exec, mm.SegvAccErr, 1, true},
		{"exec of a r-x page", "map", procRO | mm.ProtExec, tlb.Exec, 0, 1, false},
		{"write to the text", "text", 0, tlb.Write, mm.SegvAccErr, 0, false},
		{"exec of the text", "text", 0, tlb.Exec, 0, 0, false},
	}
	for _, line := range lines {
		for _, tc := range tests {
			t.Run(line+"/"+tc.name, func(t *testing.T) {
				m := procBoot(t, line)
				p := procSpawn(t, m, "p")
				var va uint64
				switch tc.where {
				case "unmapped":
					va = p.MM.MmapBase - 1000*procPage
				case "null":
					va = 0
				case "kernel":
					va = uint64(m.Layout.PageOffset) + 0x1000
				case "text":
					va = p.MM.StartCode
					procTouch(t, m, p, va, 1, tlb.Read) // in the page cache and mapped
				case "map":
					va = procMmap(t, m, p, procAnon(0, 1, tc.prot, mm.MapPrivate))
				}
				code, minflt := tc.code, tc.minflt
				if tc.needsNX && !m.PT.F.HasNX {
					code = 0
				}
				flt, segv := p.MinFlt, m.Procs.Stats.Segv
				got := procSigCode(t, procAccess(t, m, p, va, tc.acc))
				if got != code || p.MinFlt-flt != minflt {
					t.Fatalf("%v at %#x: si_code %d after %d minor faults, want %d after %d", tc.acc, va, got, p.MinFlt-flt, code, minflt)
				}
				if want := segv + map[bool]uint64{true: 1}[code != 0]; m.Procs.Stats.Segv != want {
					t.Errorf("Stats.Segv %d, want %d", m.Procs.Stats.Segv, want)
				}
			})
		}
	}
}

// TestProcPopulate checks MAP_POPULATE (mm/gup.c populate_vma_page_range():
// write faults for a private writable mapping, read faults otherwise;
// mm_account_fault() counts GUP faults in the task's min_flt): the pages
// are there after mmap, and touching them costs nothing.
func TestProcPopulate(t *testing.T) {
	const n = 8
	tests := []struct {
		name     string
		prot     int
		flags    int
		acc      tlb.Access
		anon     int64 // MM_ANONPAGES added
		shmem    int64 // MM_SHMEMPAGES added
		zeroPage bool
	}{
		{"private rw", procRW, mm.MapPrivate, tlb.Write, n, 0, false},
		{"private r--", procRO, mm.MapPrivate, tlb.Read, 0, 0, true},
		{"shared rw", procRW, mm.MapShared, tlb.Write, 0, n, false},
	}
	for _, line := range procLines {
		for _, tc := range tests {
			t.Run(strings.Fields(line)[0]+"/"+tc.name, func(t *testing.T) {
				m := procBoot(t, line)
				p := procSpawn(t, m, "p")
				flt, rss := p.MinFlt, p.MM.Rss
				a := procMmap(t, m, p, procAnon(0, n, tc.prot, tc.flags|mm.MapPopulate))
				if got := p.MinFlt - flt; got != n {
					t.Errorf("mmap took %d minor faults, want %d", got, n)
				}
				if got := p.MM.Rss[mm.MMAnonPages] - rss[mm.MMAnonPages]; got != tc.anon {
					t.Errorf("MM_ANONPAGES +%d, want +%d", got, tc.anon)
				}
				if got := p.MM.Rss[mm.MMShmemPages] - rss[mm.MMShmemPages]; got != tc.shmem {
					t.Errorf("MM_SHMEMPAGES +%d, want +%d", got, tc.shmem)
				}
				for i, pfn := range procPFNs(m, p, a, n) {
					if pfn == 0 || (pfn == uint64(m.Procs.ZeroPFN)) != tc.zeroPage {
						t.Fatalf("page %d maps pfn %#x", i, pfn)
					}
				}
				flt = p.MinFlt
				procTouch(t, m, p, a, n, tc.acc)
				if got := p.MinFlt - flt; got != 0 {
					t.Errorf("touching populated pages took %d faults", got)
				}
			})
		}
	}
}

// TestProcMadviseDontNeed checks MADV_DONTNEED (mm/madvise.c
// madvise_dontneed_single_vma(), zap_page_range_single()): the pages of a
// private anonymous mapping are dropped and freed, RSS falls, and the
// memory reads back as zeros, through new read faults on the zero page.
func TestProcMadviseDontNeed(t *testing.T) {
	const n = 8
	for _, line := range procLines {
		t.Run(strings.Fields(line)[0], func(t *testing.T) {
			m := procBoot(t, line)
			s := m.Procs
			p := procSpawn(t, m, "p")
			a := procMmap(t, m, p, procAnon(0, n, procRW, mm.MapPrivate))
			for i := uint64(0); i < n; i++ {
				procWrite(t, m, p, a+i*procPage, []byte{0xaa, 0xbb})
			}
			rss, free := p.MM.RSS(), m.Phys.NrFreePages()
			if err := s.Madvise(p, a+2*procPage, 4*procPage, mm.MadvDontNeed); err != nil {
				t.Fatal(err)
			}
			procCheck(t, m, "madvise")
			if got := rss - p.MM.RSS(); got != 4 {
				t.Errorf("RSS fell by %d, want 4", got)
			}
			if got := m.Phys.NrFreePages() - free; got != 4 {
				t.Errorf("%d pages freed, want 4", got)
			}
			if got, _ := procWindow(p, a); got != "0-8 rw-p" {
				t.Errorf("VMAs %q: MADV_DONTNEED must not change them", got)
			}
			flt := p.MinFlt
			for i := uint64(0); i < n; i++ {
				want := []byte{0xaa, 0xbb}
				if i >= 2 && i < 6 {
					want = []byte{0, 0}
				}
				if b := procRead(t, m, p, a+i*procPage, 2); string(b) != string(want) {
					t.Fatalf("page %d reads %v, want %v", i, b, want)
				}
			}
			procCheck(t, m, "read")
			if got := p.MinFlt - flt; got != 4 {
				t.Errorf("reading back took %d faults, want 4 (zero page)", got)
			}
			if _, pfn, _ := procPTE(m, p, a+3*procPage); pfn != uint64(s.ZeroPFN) {
				t.Errorf("a dropped page maps %#x after a read, want the zero page", pfn)
			}
		})
	}
}

// procObjects is what processes hold of the machine: the kernel's process
// objects, page tables and free pages.
type procObjects struct {
	Task, MM, VMA, AnonVMA, AVC int
	Tables                      int
	Free                        uint64
}

func procCount(tb testing.TB, m *kernelmodel.Machine) procObjects {
	tb.Helper()
	n := func(name string) int {
		c := m.Slab.Find(name)
		if c == nil {
			tb.Fatalf("no %s cache", name)
		}
		return c.Counts().InUse
	}
	return procObjects{n("task_struct"), n("mm_struct"), n("vm_area_struct"), n("anon_vma"), n("anon_vma_chain"), m.PT.Allocated, m.Phys.NrFreePages()}
}

// procWorkload spawns a process, maps, faults, forks twice (a child and a
// grandchild), writes copy-on-write pages in each, then exits and reaps
// them all.
func procWorkload(tb testing.TB, m *kernelmodel.Machine) {
	tb.Helper()
	s := m.Procs
	p := procSpawn(tb, m, "work")
	a := procMmap(tb, m, p, procAnon(0, 16, procRW, mm.MapPrivate))
	sh := procMmap(tb, m, p, procAnon(0, 4, procRW, mm.MapShared))
	f, ok := s.File("workfile")
	if !ok {
		var err error
		if f, err = s.NewFile("workfile", 4*procPage); err != nil {
			tb.Fatal(err)
		}
	}
	fm := procMmap(tb, m, p, mm.MmapArgs{Len: 4 * procPage, Prot: procRW, Flags: mm.MapPrivate, File: f})
	procTouch(tb, m, p, a, 16, tlb.Write)
	procTouch(tb, m, p, sh, 4, tlb.Write)
	procTouch(tb, m, p, fm, 2, tlb.Read)
	procTouch(tb, m, p, fm+2*procPage, 2, tlb.Write)
	if want := p.MM.Brk + 3*procPage; s.Brk(p, want) != want {
		tb.Fatalf("brk(%#x) failed", want)
	}
	procCheck(tb, m, "brk")
	procTouch(tb, m, p, p.MM.StartBrk, 3, tlb.Write)
	c := procFork(tb, m, p)
	procRun(tb, m, c)
	procTouch(tb, m, c, a, 8, tlb.Write)
	if err := s.Mprotect(c, a+4*procPage, 4*procPage, procRO); err != nil {
		tb.Fatal(err)
	}
	procCheck(tb, m, "mprotect")
	g := procFork(tb, m, c)
	procRun(tb, m, g)
	procTouch(tb, m, g, a+8*procPage, 8, tlb.Write)
	procTouch(tb, m, g, fm, 4, tlb.Write)
	if err := s.Exit(g, 0, 0); err != nil {
		tb.Fatal(err)
	}
	procCheck(tb, m, "exit")
	// Only the parent may reap it.
	if _, err := s.Wait(nil, g.PID); procErrno(tb, err) != mm.ECHILD {
		tb.Fatalf("the script waited for its grandchild: %v", err)
	}
	if _, err := s.Wait(c, g.PID); err != nil {
		tb.Fatal(err)
	}
	procCheck(tb, m, "wait")
	procRun(tb, m, p)
	if err := s.Munmap(p, a+2*procPage, 2*procPage); err != nil {
		tb.Fatal(err)
	}
	procCheck(tb, m, "munmap")
	// The child exits after its parent: the script reaps it.
	procExitWait(tb, m, p)
	if err := s.Exit(c, 3, 0); err != nil {
		tb.Fatal(err)
	}
	procCheck(tb, m, "exit")
	if got, err := s.Wait(nil, -1); err != nil || got != c || got.WaitStatus() != 3<<8 {
		tb.Fatalf("wait: %v, %v", got, err)
	}
	procCheck(tb, m, "wait")
	if n := len(s.Tasks()); n != 0 {
		tb.Fatalf("%d tasks left", n)
	}
}

// TestProcObjectsReturn checks that spawn, fork, exit and wait give back
// every object: the task_struct, mm_struct, vm_area_struct, anon_vma and
// anon_vma_chain objects, the page tables and the pages. Some pages
// rightly stay taken after the first round: the slab caches keep their
// slabs (SLUB's per-CPU and partial slabs), x86_64 keeps the page tables
// of the vmalloc area its kernel stacks were in, and files keep their
// page cache; the test accounts for them, then checks that further rounds
// return exactly to the same state.
func TestProcObjectsReturn(t *testing.T) {
	for _, line := range procLines {
		t.Run(strings.Fields(line)[0], func(t *testing.T) {
			m := procBoot(t, line)
			first := procCount(t, m)
			slabs := map[string]int{}
			for _, c := range m.Slab.Caches() {
				slabs[c.Name] = c.Counts().Slabs
			}
			procWorkload(t, m)
			after := procCount(t, m)
			// Before the first round, what the pages went to: slabs, page
			// tables and the page cache of the files, which outlive the
			// processes.
			kept := uint64(after.Tables - first.Tables)
			for _, c := range m.Slab.Caches() {
				kept += uint64(c.Counts().Slabs-slabs[c.Name]) << c.Order
			}
			kept += procCached(m.Procs)
			if first.Free-after.Free != kept {
				t.Errorf("%d pages fewer are free after the first round, %d went to slabs, page tables and the page cache", first.Free-after.Free, kept)
			}
			if first.Task != after.Task || first.MM != after.MM || first.VMA != after.VMA || first.AnonVMA != after.AnonVMA || first.AVC != after.AVC {
				t.Errorf("objects in use before %+v, after %+v", first, after)
			}
			for round := 0; round < 2; round++ {
				procWorkload(t, m)
				if again := procCount(t, m); again != after {
					t.Errorf("round %d: before %+v, after %+v", round+2, after, again)
				}
			}
		})
	}
}

// TestProcContextSwitch checks that switching between processes loads
// CR3 (switch_mm_irqs_off()), which flushes the non-global TLB entries,
// and that switching to the running process does nothing.
func TestProcContextSwitch(t *testing.T) {
	for _, line := range procLines {
		t.Run(strings.Fields(line)[0], func(t *testing.T) {
			m := procBoot(t, line)
			a := procSpawn(t, m, "a")
			b := procSpawn(t, m, "b")
			tl := m.MMU.TLBs[m.CPU()]
			for _, x := range []*mm.Task{a, b, a} {
				procRun(t, m, x)
				va := procMmap(t, m, x, procAnon(0, 4, procRW, mm.MapPrivate))
				procTouch(t, m, x, va, 4, tlb.Write)
				procTouch(t, m, x, va, 4, tlb.Read)
				user := 0
				for _, e := range tl.Entries() {
					if !e.Global() {
						user++
					}
				}
				if user == 0 {
					t.Fatalf("pid %d: no non-global TLB entries after touching its pages", x.PID)
				}
				switches, loads := m.Procs.Stats.ContextSwitches, tl.Stats.CR3Loads
				procRun(t, m, x) // already running
				if m.Procs.Stats.ContextSwitches != switches || tl.Stats.CR3Loads != loads {
					t.Fatalf("switching to the running pid %d switched", x.PID)
				}
				next := a
				if x == a {
					next = b
				}
				procRun(t, m, next)
				if m.Procs.Stats.ContextSwitches != switches+1 || tl.Stats.CR3Loads != loads+1 {
					t.Fatalf("switch from %d to %d: %d context switches, %d CR3 loads; want 1 and 1", x.PID, next.PID, m.Procs.Stats.ContextSwitches-switches, tl.Stats.CR3Loads-loads)
				}
				if got := m.MMU.PGD(m.CPU()); got != next.MM.PGD {
					t.Fatalf("CPU %d runs pid %d with another PGD loaded", m.CPU(), next.PID)
				}
				for _, e := range tl.Entries() {
					if !e.Global() {
						t.Fatalf("after the switch the TLB still holds the non-global entry %#x", e.VA)
					}
				}
			}
		})
	}
}

// procCached counts the page-cache pages of the files and programs.
func procCached(s *mm.System) uint64 {
	files := map[*mm.File]bool{}
	for _, f := range s.Files() {
		files[f] = true
	}
	for _, pr := range s.Programs() {
		files[pr.File] = true
	}
	var n uint64
	for f := range files {
		n += uint64(f.Cached())
	}
	return n
}

// procWrite writes data as t through the MMU and fails on an error.
func procWrite(tb testing.TB, m *kernelmodel.Machine, t *mm.Task, va uint64, data []byte) {
	tb.Helper()
	if err := m.Procs.WriteUser(t, va, data); err != nil {
		tb.Fatalf("pid %d: write at %#x: %v", t.PID, va, err)
	}
	procCheck(tb, m, "write")
}

// procRead reads n bytes as t through the MMU and fails on an error.
func procRead(tb testing.TB, m *kernelmodel.Machine, t *mm.Task, va uint64, n int) []byte {
	tb.Helper()
	b, err := m.Procs.ReadUser(t, va, n)
	if err != nil {
		tb.Fatalf("pid %d: read at %#x: %v", t.PID, va, err)
	}
	procCheck(tb, m, "read")
	return b
}
