package kernelmodel_test

import (
	"errors"
	"fmt"
	"math/rand"
	"testing"

	"mmsim/kernelmodel"
	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/mm"
	"mmsim/kernelmodel/tlb"
)

// TestProcProperty runs random process operations — spawn, fork, mmap,
// munmap, mprotect, brk, madvise, reads, writes and instruction fetches
// in and around the VMAs, exit and wait — with fixed seeds, checks every
// invariant after each step, checks each access's outcome against the
// VMA it hits and the data read against a shadow of what was written,
// and at the end, with every process reaped, that the process objects
// are all freed and every page taken is accounted for.
func TestProcProperty(t *testing.T) {
	for _, line := range []string{"x86 mem=64M", "x86 mem=64M paging=pae", "x86_64 mem=256M"} {
		for _, seed := range []int64{1, 2, 3} {
			t.Run(fmt.Sprintf("%s/seed=%d", line, seed), func(t *testing.T) {
				procPropertyRun(t, line, seed, 3000)
			})
		}
	}
}

// procShadow is what a process's private anonymous pages must read: the
// first byte of each page whose content the test knows.
type procShadow map[uint64]byte

// procProp is the state of one property run.
type procProp struct {
	t    *testing.T
	m    *kernelmodel.Machine
	s    *mm.System
	r    *rand.Rand
	nx   bool
	live []*mm.Task
	data map[*mm.Task]procShadow
	seen map[string]int // outcomes, to show the run did something
}

func procPropertyRun(t *testing.T, line string, seed int64, steps int) {
	m := procBoot(t, line)
	before := procCount(t, m)
	slabs := map[string]int{}
	for _, c := range m.Slab.Caches() {
		slabs[c.Name] = c.Counts().Slabs
	}
	pp := &procProp{t: t, m: m, s: m.Procs, r: rand.New(rand.NewSource(seed)), nx: m.PT.F.HasNX,
		data: map[*mm.Task]procShadow{}, seen: map[string]int{}}
	for i := 0; i < steps; i++ {
		what := pp.step()
		procCheck(t, m, fmt.Sprintf("step %d (%s)", i, what))
	}
	// Exit everything, then reap: exited parents hand their children to
	// the script.
	for len(pp.live) > 0 {
		pp.exit(pp.live[0])
	}
	for {
		_, err := pp.s.Wait(nil, -1)
		if procErrno(t, err) == mm.ECHILD {
			break
		} else if err != nil {
			t.Fatalf("wait: %v", err)
		}
		procCheck(t, m, "final wait")
	}
	if n := len(pp.s.Tasks()); n != 0 {
		t.Fatalf("%d tasks left after reaping everything", n)
	}
	if n := len(m.PT.PGDs()); n != 0 {
		t.Fatalf("%d PGDs left", n)
	}
	after := procCount(t, m)
	if before.Task != after.Task || before.MM != after.MM || before.VMA != after.VMA || before.AnonVMA != after.AnonVMA || before.AVC != after.AVC {
		t.Errorf("process objects before %+v, after %+v", before, after)
	}
	// Pages still taken: slabs the caches keep, the page cache of the
	// programs' files, and on x86_64 the page tables of the vmalloc area
	// (kernel stacks); with no PGD left, m.Check's page-table accounting
	// proves every remaining table is the kernel's. x86 has no vmalloc
	// stacks, so its page tables are all gone.
	kept := uint64(after.Tables - before.Tables)
	if m.Layout.Arch != "x86_64" && after.Tables != before.Tables {
		t.Errorf("page tables before %d, after %d", before.Tables, after.Tables)
	}
	for _, c := range m.Slab.Caches() {
		kept += uint64(c.Counts().Slabs-slabs[c.Name]) << c.Order
	}
	kept += procCached(pp.s)
	if before.Free-after.Free != kept {
		t.Errorf("%d pages fewer are free than before the first spawn; slabs, page tables and the page cache account for %d", before.Free-after.Free, kept)
	}
	t.Logf("outcomes: %v", pp.seen)
	for _, k := range []string{"spawn", "fork", "mmap", "munmap", "mprotect", "brk", "read ok", "write ok", "SEGV_MAPERR", "SEGV_ACCERR", "exit", "data checked"} {
		if pp.seen[k] == 0 {
			t.Errorf("the run never did %q (%v)", k, pp.seen)
		}
	}
}

// pick returns a running task, spawning one when there is none.
func (pp *procProp) pick() *mm.Task {
	if len(pp.live) == 0 {
		pp.spawn()
	}
	return pp.live[pp.r.Intn(len(pp.live))]
}

func (pp *procProp) spawn() {
	names := []string{"alpha", "beta"}
	p := procSpawn(pp.t, pp.m, names[pp.r.Intn(len(names))])
	pp.live = append(pp.live, p)
	pp.data[p] = procShadow{}
	pp.seen["spawn"]++
}

func (pp *procProp) exit(x *mm.Task) {
	if err := pp.s.Exit(x, pp.r.Intn(4), 0); err != nil {
		pp.t.Fatalf("exit: %v", err)
	}
	for i, y := range pp.live {
		if y == x {
			pp.live = append(pp.live[:i], pp.live[i+1:]...)
			break
		}
	}
	delete(pp.data, x)
	pp.seen["exit"]++
	// A parent that is running may reap it now, or later.
	if x.Parent != nil && pp.r.Intn(2) == 0 {
		if _, err := pp.s.Wait(x.Parent, x.PID); err != nil {
			pp.t.Fatalf("wait: %v", err)
		}
	}
	if x.Parent == nil && pp.r.Intn(2) == 0 {
		if _, err := pp.s.Wait(nil, x.PID); err != nil {
			pp.t.Fatalf("wait: %v", err)
		}
	}
}

// forget drops the shadow of [start, end) of a task.
func (sh procShadow) forget(start, end uint64) {
	for va := range sh {
		if va >= start && va < end {
			delete(sh, va)
		}
	}
}

// zero records [start, end) as reading zeros.
func (sh procShadow) zero(start, end uint64) {
	for va := start; va < end; va += procPage {
		sh[va] = 0
	}
}

// tracked reports whether the task's page at va is private anonymous
// memory, whose content the shadow follows.
func tracked(x *mm.Task, va uint64) bool {
	v := x.MM.VMAAt(va)
	return v != nil && v.File == nil && v.Flags&mm.VMShared == 0
}

// addr picks an address of interest: in a VMA, just outside one, in the
// heap or below the stack, or anywhere below mmap_base.
func (pp *procProp) addr(x *mm.Task) uint64 {
	vmas := x.MM.VMAs()
	if len(vmas) == 0 {
		return x.MM.MmapBase - procPage*uint64(1+pp.r.Intn(512))
	}
	v := vmas[pp.r.Intn(len(vmas))]
	switch pp.r.Intn(6) {
	case 0:
		return v.Start - procPage*uint64(1+pp.r.Intn(4))
	case 1:
		return v.End + procPage*uint64(pp.r.Intn(4))
	case 2:
		return x.MM.MmapBase - procPage*uint64(1+pp.r.Intn(512))
	}
	return v.Start + procPage*uint64(pp.r.Int63n(int64(v.Pages())))
}

func (pp *procProp) prot() int {
	return []int{mm.ProtNone, procRO, procRW, procRW, procRW, procRO | mm.ProtExec, procRW | mm.ProtExec}[pp.r.Intn(7)]
}

// sysOK records a system call's outcome: success or a *mm.SysError.
func (pp *procProp) sysOK(what string, err error) bool {
	if err == nil {
		pp.seen[what]++
		return true
	}
	var se *mm.SysError
	if !errors.As(err, &se) {
		pp.t.Fatalf("%s: %v is not a system call error", what, err)
	}
	pp.seen[what+" "+se.Errno.Name()]++
	return false
}

// step does one random operation and names it.
func (pp *procProp) step() string {
	s, r := pp.s, pp.r
	switch n := r.Intn(100); {
	case n < 3 && len(pp.live) < 6:
		pp.spawn()
		return "spawn"
	case n < 6 && len(pp.live) < 8:
		x := pp.pick()
		c, err := s.Fork(x)
		if err != nil {
			pp.t.Fatalf("fork: %v", err)
		}
		pp.live = append(pp.live, c)
		sh := procShadow{}
		for va, b := range pp.data[x] {
			sh[va] = b
		}
		pp.data[c] = sh
		pp.seen["fork"]++
		return "fork"
	case n < 8 && len(pp.live) > 1:
		pp.exit(pp.pick())
		return "exit"
	case n < 20:
		x := pp.pick()
		pages := uint64(1 + r.Intn(16))
		flags := mm.MapPrivate
		if r.Intn(4) == 0 {
			flags = mm.MapShared
		}
		var hint uint64
		switch r.Intn(4) {
		case 0:
			hint = pp.addr(x) &^ (procPage - 1)
			flags |= mm.MapFixed
		case 1:
			hint = pp.addr(x) &^ (procPage - 1)
			flags |= mm.MapFixedNoReplace
		case 2:
			hint = pp.addr(x)
		}
		if r.Intn(8) == 0 {
			flags |= mm.MapPopulate
		}
		if r.Intn(16) == 0 {
			flags |= mm.MapGrowsDown
		}
		a, err := s.Mmap(x, procAnon(hint, pages, pp.prot(), flags))
		if pp.sysOK("mmap", err) {
			sh := pp.data[x]
			sh.forget(a, a+pages*procPage)
			if flags&mm.MapShared == 0 {
				sh.zero(a, a+pages*procPage)
			}
		}
		return "mmap"
	case n < 27:
		x := pp.pick()
		a := pp.addr(x) &^ (procPage - 1)
		length := procPage * uint64(1+r.Intn(8))
		if pp.sysOK("munmap", s.Munmap(x, a, length)) {
			pp.data[x].forget(a, a+length)
		}
		return "munmap"
	case n < 34:
		x := pp.pick()
		a := pp.addr(x) &^ (procPage - 1)
		pp.sysOK("mprotect", s.Mprotect(x, a, procPage*uint64(1+r.Intn(8)), pp.prot()))
		return "mprotect"
	case n < 38:
		x := pp.pick()
		old := x.MM.Brk
		want := uint64(int64(old) + int64(r.Intn(24)-8)*int64(procPage) + int64(r.Intn(100)))
		got := s.Brk(x, want)
		if got != want && got != old {
			pp.t.Fatalf("brk(%#x) = %#x, neither the request nor the old %#x", want, got, old)
		}
		if got == want {
			pp.seen["brk"]++
			oldEnd, newEnd := (old+procPage-1)&^(procPage-1), (got+procPage-1)&^(procPage-1)
			if newEnd < oldEnd {
				pp.data[x].forget(newEnd, oldEnd)
			} else {
				pp.data[x].zero(oldEnd, newEnd)
			}
		}
		return "brk"
	case n < 40:
		x := pp.pick()
		a := pp.addr(x) &^ (procPage - 1)
		length := procPage * uint64(1+r.Intn(8))
		err := s.Madvise(x, a, length, mm.MadvDontNeed)
		// Advised parts are zapped even when a hole makes it ENOMEM.
		sh := pp.data[x]
		for va := a; va < a+length; va += procPage {
			if _, ok := sh[va]; ok && tracked(x, va) {
				sh[va] = 0
			}
		}
		pp.sysOK("madvise", err)
		return "madvise"
	}
	return pp.access()
}

// access makes a read, write or instruction fetch as a random task and
// checks its outcome against the VMA at the address, and a read's data
// against the shadow.
func (pp *procProp) access() string {
	s, r := pp.s, pp.r
	x := pp.pick()
	if err := s.SwitchTo(x); err != nil {
		pp.t.Fatalf("switch: %v", err)
	}
	va := pp.addr(x) + uint64(r.Intn(int(procPage)))
	acc := []tlb.Access{tlb.Read, tlb.Read, tlb.Write, tlb.Write, tlb.Exec}[r.Intn(5)]
	v := x.MM.FindVMA(va)
	inside := v != nil && v.Start <= va
	page := va &^ (procPage - 1)
	// A stack may grow down right onto a VM_GROWSDOWN VMA below it (say
	// the rest of a stack VMA that munmap split): expand_downwards() keeps
	// stack_guard_gap only from other VMAs and never merges.
	want := -1 // unknown: stack growth
	switch {
	case !pp.m.PT.F.Canonical(arch.VirtAddr(va)):
		want = mm.SIKernel // a general protection fault
	case !inside && (v == nil || v.Flags&mm.VMGrowsDown == 0):
		want = mm.SegvMapErr
	case !inside:
	case acc == tlb.Write && v.Flags&mm.VMWrite == 0,
		!v.Accessible(),
		acc == tlb.Exec && pp.nx && v.Flags&mm.VMExec == 0:
		want = mm.SegvAccErr
	default:
		want = 0
	}
	var err error
	var b []byte
	value := byte(1 + r.Intn(255))
	switch acc {
	case tlb.Read:
		b, err = s.ReadUser(x, page, 1)
	case tlb.Write:
		err = s.WriteUser(x, page, []byte{value})
	default:
		_, err = s.Access(x, va, acc)
	}
	code := 0
	if err != nil {
		var sig *mm.Signal
		if !errors.As(err, &sig) || sig.Signo != mm.SIGSEGV {
			pp.t.Fatalf("%v at %#x: %v is not a SIGSEGV", acc, va, err)
		}
		code = sig.Code
	}
	if want >= 0 && code != want {
		pp.t.Fatalf("pid %d %v at %#x (VMA %v): si_code %d, want %d", x.PID, acc, va, v, code, want)
	}
	switch {
	case code == mm.SegvMapErr:
		pp.seen["SEGV_MAPERR"]++
	case code == mm.SegvAccErr:
		pp.seen["SEGV_ACCERR"]++
	case code != 0:
		pp.seen["SIGSEGV other"]++
	case acc == tlb.Read:
		pp.seen["read ok"]++
		if old, ok := pp.data[x][page]; ok && tracked(x, page) {
			pp.seen["data checked"]++
			if b[0] != old {
				pp.t.Fatalf("pid %d reads %#x at %#x, wrote %#x", x.PID, b[0], page, old)
			}
		}
	case acc == tlb.Write:
		pp.seen["write ok"]++
		if tracked(x, page) {
			pp.data[x][page] = value
		} else {
			delete(pp.data[x], page)
		}
	}
	return acc.String()
}
