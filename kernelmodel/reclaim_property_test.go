package kernelmodel_test

import (
	"errors"
	"fmt"
	"math/rand"
	"testing"

	"mmsim/kernelmodel"
	"mmsim/kernelmodel/bug"
	"mmsim/kernelmodel/mm"
	"mmsim/kernelmodel/phys"
)

// TestReclaimProperty runs random process operations under memory
// pressure with fixed seeds: mmap, bursts of writes and reads of random
// pages, fork, exit and wait, munmap, MADV_PAGEOUT, kswapd runs, mlock
// and munlock, with two or three processes on machines whose memory is
// smaller than what they write. After each step the deferred work runs
// (kswapd, an OOM kill of the allocating task), every invariant is
// checked, and each read is checked against a shadow of what the process
// wrote (swap-out and swap-in must keep the data). An OOM kill
// (*bug.OOM, or another process killed by the OOM killer) is a normal
// outcome. At the end everything exits and is reaped: no slot of swap is
// used, the LRU lists are empty, and every page taken is accounted for.
func TestReclaimProperty(t *testing.T) {
	for _, tc := range []struct {
		line      string
		steps     int
		maxRegion int // pages
		burst     int // accesses per step at most
	}{
		{"x86 mem=16M swap=8M", 1000, 2048, 128},
		{"x86_64 mem=64M swap=16M", 400, 8192, 512},
	} {
		for _, seed := range []int64{1, 2, 3} {
			t.Run(fmt.Sprintf("%s/seed=%d", tc.line, seed), func(t *testing.T) {
				t.Parallel() // each run has its own machine
				if testing.Short() && seed > 1 {
					t.Skip("short: one seed")
				}
				rpRun(t, tc.line, seed, tc.steps, tc.maxRegion, tc.burst)
			})
		}
	}
}

// rpRegion is an anonymous mapping of a process.
type rpRegion struct {
	base, pages uint64
	locked      bool
}

// rpProc is a process of the run and what it wrote.
type rpProc struct {
	t       *mm.Task
	regions []rpRegion
	shadow  map[uint64]uint64 // page address -> the value written
}

type rpState struct {
	t         *testing.T
	m         *kernelmodel.Machine
	s         *mm.System
	r         *rand.Rand
	maxRegion int
	burst     int
	live      []*rpProc
	seen      map[string]int
}

func rpRun(t *testing.T, line string, seed int64, steps, maxRegion, burst int) {
	m := rclBoot(t, line)
	freeBefore := m.Phys.NrFreePages()
	tablesBefore := m.PT.Allocated
	slabs := map[string]int{}
	for _, c := range m.Slab.Caches() {
		slabs[c.Name] = c.Counts().Slabs
	}
	st := &rpState{t: t, m: m, s: m.Procs, r: rand.New(rand.NewSource(seed)), maxRegion: maxRegion, burst: burst, seen: map[string]int{}}
	for i := 0; i < steps; i++ {
		what := st.step()
		m.RunDeferred() // after each statement: kswapd, a deferred OOM kill
		st.reap()
		rclCheck(t, m, fmt.Sprintf("step %d (%s)", i, what))
	}
	// Everything exits; exited parents hand their children to the
	// script, which reaps them all.
	for len(st.live) > 0 {
		p := st.live[0]
		if err := st.s.Exit(p.t, 0, 0); err != nil {
			t.Fatalf("exit pid %d: %v", p.t.PID, err)
		}
		st.live = st.live[1:]
		rclCheck(t, m, "final exit")
	}
	for {
		_, err := st.s.Wait(nil, -1)
		if rclErrno(err) == mm.ECHILD {
			break
		} else if err != nil {
			t.Fatalf("wait: %v", err)
		}
		rclCheck(t, m, "final wait")
	}
	m.RunDeferred()
	rclCheck(t, m, "the end")
	if n := len(st.s.Tasks()); n != 0 {
		t.Fatalf("%d tasks left", n)
	}
	sw := m.Reclaim.Swap
	if sw.Used() != 0 || sw.CacheLen() != 0 || m.Reclaim.LRU.Total() != 0 {
		t.Fatalf("at the end: %d slots used, %d in the swap cache, %d pages on the LRU lists", sw.Used(), sw.CacheLen(), m.Reclaim.LRU.Total())
	}
	// Pages still taken: slabs the caches keep, page tables of the
	// kernel (x86_64's vmalloc'ed stacks), the page cache of the
	// programs.
	kept := uint64(m.PT.Allocated - tablesBefore)
	for _, c := range m.Slab.Caches() {
		kept += uint64(c.Counts().Slabs-slabs[c.Name]) << c.Order
	}
	for _, pr := range st.s.Programs() {
		kept += uint64(pr.File.Cached())
	}
	if got := freeBefore - m.Phys.NrFreePages(); got != kept {
		t.Errorf("%d pages fewer are free than at boot; slabs, page tables and the page cache account for %d", got, kept)
	}
	t.Logf("outcomes: %v; swap: %d out, %d in; reclaim %+v; phys %+v", st.seen, sw.Out, sw.In, m.Reclaim.Stats, m.Phys.Stats)
	for _, k := range []string{"spawn", "mmap", "write", "read checked", "fork", "exit", "munmap", "pageout", "kswapd", "mlock", "munlock", "major fault", "pressure"} {
		if st.seen[k] == 0 {
			t.Errorf("the run never did %q (%v)", k, st.seen)
		}
	}
	if sw.Out == 0 || sw.In == 0 || m.Phys.Stats.KswapdWakeups == 0 || m.Reclaim.Stats.PgstealKswapd == 0 {
		t.Errorf("no memory pressure: %d pages swapped out, %d in, %d kswapd wakeups, %d pages stolen by kswapd", sw.Out, sw.In, m.Phys.Stats.KswapdWakeups, m.Reclaim.Stats.PgstealKswapd)
	}
}

// reap forgets the processes the OOM killer killed and reaps them.
func (st *rpState) reap() {
	for i := 0; i < len(st.live); {
		p := st.live[i]
		if p.t.State == mm.TaskRunning {
			i++
			continue
		}
		st.seen["oom killed"]++
		st.live = append(st.live[:i], st.live[i+1:]...)
		if _, err := st.s.Wait(p.t.Parent, p.t.PID); err != nil {
			st.t.Fatalf("wait for the OOM victim %d: %v", p.t.PID, err)
		}
	}
	if w := st.m.TakeWarnings(); len(w) > 0 {
		st.seen["warnings"] += len(w)
	}
}

// ok sorts an error: nil, an OOM (normal under pressure), an errno the
// step may meet; anything else fails the test.
func (st *rpState) ok(what string, err error, errnos ...mm.Errno) bool {
	if err == nil {
		return true
	}
	var oom *bug.OOM
	if errors.As(err, &oom) {
		st.seen["oom error"]++
		return false
	}
	for _, e := range errnos {
		if rclErrno(err) == e {
			st.seen[what+" "+e.Name()]++
			return false
		}
	}
	st.t.Fatalf("%s: %v", what, err)
	return false
}

func (st *rpState) spawn() string {
	names := []string{"alpha", "beta", "gamma"}
	prog, err := st.s.Program(names[st.r.Intn(len(names))], 0, 0, 0)
	if err != nil {
		st.t.Fatal(err)
	}
	task, err := st.s.Spawn(prog)
	if !st.ok("spawn", err, mm.ENOMEM) {
		return "spawn failed"
	}
	st.live = append(st.live, &rpProc{t: task, shadow: map[uint64]uint64{}})
	st.seen["spawn"]++
	return "spawn"
}

// run switches the CPU to p.
func (st *rpState) run(p *rpProc) {
	if err := st.s.SwitchTo(p.t); err != nil {
		st.t.Fatalf("switch to %d: %v", p.t.PID, err)
	}
}

func (st *rpState) step() string {
	if len(st.live) < 2 {
		return st.spawn()
	}
	p := st.live[st.r.Intn(len(st.live))]
	st.run(p)
	x := st.r.Intn(100)
	switch {
	case x < 8 || len(p.regions) == 0:
		pages := uint64(16 + st.r.Intn(st.maxRegion))
		if st.r.Intn(4) == 0 {
			pages = uint64(8 + st.r.Intn(56)) // a small one, for mlock
		}
		a, err := st.s.Mmap(p.t, mmArgs(pages))
		if !st.ok("mmap", err, mm.ENOMEM) {
			return "mmap failed"
		}
		p.regions = append(p.regions, rpRegion{base: a, pages: pages})
		st.seen["mmap"]++
		return fmt.Sprintf("mmap %d pages in %d", pages, p.t.PID)
	case x < 50:
		return st.access(p, true)
	case x < 68:
		return st.access(p, false)
	case x < 72:
		if len(st.live) >= 3 {
			return st.exit(p)
		}
		c, err := st.s.Fork(p.t)
		if !st.ok("fork", err, mm.ENOMEM, mm.EAGAIN) {
			return "fork failed"
		}
		cp := &rpProc{t: c, regions: append([]rpRegion(nil), p.regions...), shadow: map[uint64]uint64{}}
		for k, v := range p.shadow {
			cp.shadow[k] = v
		}
		// fork does not copy VM_LOCKED (dup_mmap() clears it).
		for i := range cp.regions {
			cp.regions[i].locked = false
		}
		st.live = append(st.live, cp)
		st.seen["fork"]++
		return fmt.Sprintf("fork %d -> %d", p.t.PID, c.PID)
	case x < 74:
		return st.exit(p)
	case x < 77:
		i := st.r.Intn(len(p.regions))
		g := p.regions[i]
		// The whole region, or its upper half.
		from := uint64(0)
		if st.r.Intn(2) == 0 {
			from = g.pages / 2
		}
		if err := st.s.Munmap(p.t, g.base+from*rclPage, (g.pages-from)*rclPage); err != nil {
			st.t.Fatalf("munmap: %v", err)
		}
		for a := g.base + from*rclPage; a < g.base+g.pages*rclPage; a += rclPage {
			delete(p.shadow, a)
		}
		if from == 0 {
			p.regions = append(p.regions[:i], p.regions[i+1:]...)
		} else {
			p.regions[i].pages = from
		}
		st.seen["munmap"]++
		return "munmap"
	case x < 81:
		g := p.regions[st.r.Intn(len(p.regions))]
		if err := st.s.Madvise(p.t, g.base, g.pages*rclPage, mm.MadvPageout); err != nil {
			st.t.Fatalf("MADV_PAGEOUT: %v", err)
		}
		st.seen["pageout"]++
		return "pageout"
	case x < 85:
		// kswapd as an allocation of a user page wakes it, for its
		// highest zone, or as the kswapd statement does, for the node.
		if st.r.Intn(2) == 0 {
			highest, err := st.m.Phys.GFPZone(phys.GFPHighUserMovable)
			if err != nil {
				st.t.Fatal(err)
			}
			st.m.Reclaim.Wake(highest)
		} else {
			st.m.Reclaim.Wake(nil)
		}
		st.m.Reclaim.Kswapd()
		st.seen["kswapd"]++
		return "kswapd"
	case x < 88:
		// Pressure: a new region of more than the free memory,
		// written through.
		pages := st.m.Phys.NrFreePages() + 128
		a, err := st.s.Mmap(p.t, mmArgs(pages))
		if !st.ok("mmap", err, mm.ENOMEM) {
			return "mmap failed"
		}
		p.regions = append(p.regions, rpRegion{base: a, pages: pages})
		for k := uint64(0); k < pages; k++ {
			v := st.r.Uint64() | 1
			if err := rclPut(st.m, p.t, a+k*rclPage, v); !st.ok("write", err) {
				return "pressure: OOM"
			}
			p.shadow[a+k*rclPage] = v
			if p.t.State != mm.TaskRunning {
				return "pressure: killed"
			}
		}
		st.seen["pressure"]++
		return fmt.Sprintf("pressure: %d pages in %d", pages, p.t.PID)
	default:
		// Lock small regions only: locked memory cannot be reclaimed.
		var small []int
		for i, g := range p.regions {
			if g.pages <= 64 || g.locked {
				small = append(small, i)
			}
		}
		if len(small) == 0 {
			return st.access(p, true)
		}
		g := &p.regions[small[st.r.Intn(len(small))]]
		if g.locked {
			if err := st.s.Mlock(p.t, g.base, g.pages*rclPage, false); err != nil {
				st.t.Fatalf("munlock: %v", err)
			}
			g.locked = false
			st.seen["munlock"]++
			return "munlock"
		}
		err := st.s.Mlock(p.t, g.base, g.pages*rclPage, true)
		// VM_LOCKED is set before the pages are faulted in: even a
		// failed populate leaves the range locked.
		g.locked = true
		if !st.ok("mlock", err, mm.ENOMEM, mm.EAGAIN) {
			return "mlock failed"
		}
		st.seen["mlock"]++
		return "mlock"
	}
}

func mmArgs(pages uint64) mm.MmapArgs {
	return mm.MmapArgs{Len: pages * rclPage, Prot: mm.ProtRead | mm.ProtWrite, Flags: mm.MapPrivate | mm.MapAnonymous}
}

// access writes or reads a run of pages of one region.
func (st *rpState) access(p *rpProc, write bool) string {
	g := p.regions[st.r.Intn(len(p.regions))]
	n := 1 + st.r.Intn(st.burst)
	start := uint64(st.r.Int63n(int64(g.pages)))
	for k := 0; k < n; k++ {
		a := g.base + (start+uint64(k))%g.pages*rclPage
		if write {
			v := st.r.Uint64() | 1
			if err := rclPut(st.m, p.t, a, v); !st.ok("write", err) {
				return "write: OOM"
			}
			p.shadow[a] = v
			st.seen["write"]++
		} else {
			maj := p.t.MajFlt
			b, err := st.s.ReadUser(p.t, a, 8)
			st.m.RunDeferred()
			if !st.ok("read", err) {
				return "read: OOM"
			}
			got := uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 | uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
			if want := p.shadow[a]; got != want {
				st.t.Fatalf("pid %d reads %#x at %#x, wrote %#x (major faults %d -> %d)", p.t.PID, got, a, want, maj, p.t.MajFlt)
			}
			st.seen["read checked"]++
			if p.t.MajFlt != maj {
				st.seen["major fault"]++
			}
		}
		if p.t.State != mm.TaskRunning {
			return "killed"
		}
	}
	if write {
		return fmt.Sprintf("write %d pages in %d", n, p.t.PID)
	}
	return fmt.Sprintf("read %d pages in %d", n, p.t.PID)
}

// exit ends p; its parent (or the script) reaps it now or later.
func (st *rpState) exit(p *rpProc) string {
	if err := st.s.Exit(p.t, 0, 0); err != nil {
		st.t.Fatalf("exit: %v", err)
	}
	for i, q := range st.live {
		if q == p {
			st.live = append(st.live[:i], st.live[i+1:]...)
			break
		}
	}
	st.seen["exit"]++
	if st.r.Intn(3) > 0 {
		if _, err := st.s.Wait(p.t.Parent, p.t.PID); err != nil {
			st.t.Fatalf("wait: %v", err)
		}
	}
	return fmt.Sprintf("exit %d", p.t.PID)
}
