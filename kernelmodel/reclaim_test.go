package kernelmodel_test

// Reclaim on a whole machine: swap-out and swap-in, the second chance of
// folio_check_references(), inactive_is_low(), file pages, swap entries
// across fork and zap, kswapd and the watermarks, the OOM killer, mlock,
// MADV_PAGEOUT, swapoff and the machine's replacement policies. Every
// test runs m.Check() after each step (bulk loops every rclCheckEvery
// accesses and at their end). Rules: linux-mm-facts.md section 11 and
// the watermarks of section 1.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"mmsim/kernelmodel"
	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/bug"
	"mmsim/kernelmodel/mm"
	"mmsim/kernelmodel/pgtable"
	"mmsim/kernelmodel/phys"
	"mmsim/kernelmodel/reclaim"
)

const (
	rclPage = uint64(arch.PageSize)
	// rclCheckEvery is how often bulk loops run m.Check(): a check costs
	// what the user pages cost, and the loops touch thousands.
	rclCheckEvery = 128
)

// rclBoot boots a machine and checks it.
func rclBoot(tb testing.TB, line string) *kernelmodel.Machine {
	tb.Helper()
	return procBoot(tb, line)
}

// rclCheck runs every invariant of the machine.
func rclCheck(tb testing.TB, m *kernelmodel.Machine, step string) {
	tb.Helper()
	procCheck(tb, m, step)
}

// rclSpawn starts a process and runs it on the current CPU.
func rclSpawn(tb testing.TB, m *kernelmodel.Machine, name string) *mm.Task {
	tb.Helper()
	return procSpawn(tb, m, name)
}

// rclRun switches the current CPU to t.
func rclRun(tb testing.TB, m *kernelmodel.Machine, t *mm.Task) {
	tb.Helper()
	if err := m.Procs.SwitchTo(t); err != nil {
		tb.Fatalf("switch to pid %d: %v", t.PID, err)
	}
	rclCheck(tb, m, fmt.Sprintf("switch to pid %d", t.PID))
}

// rclAnon maps pages private anonymous read-write pages in t.
func rclAnon(tb testing.TB, m *kernelmodel.Machine, t *mm.Task, pages uint64, extra int) uint64 {
	tb.Helper()
	a, err := m.Procs.Mmap(t, mm.MmapArgs{Len: pages * rclPage, Prot: mm.ProtRead | mm.ProtWrite, Flags: mm.MapPrivate | mm.MapAnonymous | extra})
	if err != nil {
		tb.Fatalf("mmap %d pages: %v", pages, err)
	}
	rclCheck(tb, m, "mmap")
	return a
}

// rclVal is the value the tests write to page i of pid: distinct for
// every page and process, never zero.
func rclVal(pid int, i uint64) uint64 { return uint64(pid)<<40 | i<<8 | 0xa5 }

// rclPut writes v as t (which runs) at va; like a script statement, the
// work it deferred (kswapd) runs after it. It returns the access's error.
func rclPut(m *kernelmodel.Machine, t *mm.Task, va, v uint64) error {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], v)
	err := m.Procs.WriteUser(t, va, b[:])
	m.RunDeferred()
	return err
}

// rclGet reads 8 bytes as t at va.
func rclGet(tb testing.TB, m *kernelmodel.Machine, t *mm.Task, va uint64) uint64 {
	tb.Helper()
	b, err := m.Procs.ReadUser(t, va, 8)
	m.RunDeferred()
	if err != nil {
		tb.Fatalf("pid %d: read at %#x: %v", t.PID, va, err)
	}
	return binary.LittleEndian.Uint64(b)
}

// rclFill writes rclVal to pages [from, to) of the region at base and
// fails on an error.
func rclFill(tb testing.TB, m *kernelmodel.Machine, t *mm.Task, base, from, to uint64) {
	tb.Helper()
	for i := from; i < to; i++ {
		if err := rclPut(m, t, base+i*rclPage, rclVal(t.PID, i)); err != nil {
			tb.Fatalf("pid %d: write page %d at %#x: %v", t.PID, i, base+i*rclPage, err)
		}
		if (i-from)%rclCheckEvery == 0 {
			rclCheck(tb, m, fmt.Sprintf("write page %d", i))
		}
	}
	rclCheck(tb, m, fmt.Sprintf("writing pages %d-%d", from, to))
}

// rclPTE returns the PTE of va in t and what it holds: a present page's
// frame, or a swap entry.
func rclPTE(m *kernelmodel.Machine, t *mm.Task, va uint64) (e pgtable.Entry, pfn uint64, present, swapped bool) {
	e = m.PT.UserEntry(t.MM.PGD, arch.VirtAddr(va))
	if e&pgtable.Present != 0 {
		return e, uint64(m.PT.F.Addr(e) >> arch.PageShift), true, false
	}
	return e, 0, false, e != 0
}

// rclSlot is the swap slot the PTE of va holds (0: none).
func rclSlot(m *kernelmodel.Machine, t *mm.Task, va uint64) uint64 {
	e, _, _, swapped := rclPTE(m, t, va)
	if !swapped {
		return 0
	}
	_, slot, ok := m.PT.F.DecodeSwap(e)
	if !ok {
		return 0
	}
	return slot
}

// rclPFN is the frame t maps at va; the test fails if none.
func rclPFN(tb testing.TB, m *kernelmodel.Machine, t *mm.Task, va uint64) uint64 {
	tb.Helper()
	_, pfn, present, _ := rclPTE(m, t, va)
	if !present {
		tb.Fatalf("pid %d: %#x is not present", t.PID, va)
	}
	return pfn
}

// rclSwapEntries counts the PTEs of every VMA of t that hold swap
// entries.
func rclSwapEntries(m *kernelmodel.Machine, t *mm.Task) int {
	n := 0
	for _, v := range t.MM.VMAs() {
		m.PT.EachUser(t.MM.PGD, arch.VirtAddr(v.Start), arch.VirtAddr(v.End), func(_ arch.VirtAddr, e pgtable.Entry) pgtable.Entry {
			if e&pgtable.Present == 0 && e != 0 {
				n++
			}
			return e
		})
	}
	return n
}

// rclDrain reclaims every user page it can, so that a test starts from
// empty lists (the stack page exec wrote goes to swap). Without swap the
// anonymous pages stay.
func rclDrain(tb testing.TB, m *kernelmodel.Machine) {
	tb.Helper()
	for m.Reclaim.LRU.Total() > 0 && m.Reclaim.ShrinkNode(m.Reclaim.LRU.Total(), false) > 0 {
		rclCheck(tb, m, "drain")
	}
	if m.Reclaim.Swap.On && m.Reclaim.LRU.Total() > 0 {
		tb.Fatalf("cannot drain the LRU: %d pages left", m.Reclaim.LRU.Total())
	}
}

// rclFlushTLB flushes t's TLB entries, so that its next access walks the
// page table and sets the accessed bit again.
func rclFlushTLB(m *kernelmodel.Machine, t *mm.Task) {
	m.MMU.FlushMM(m.CPU(), t.MM.PGD)
}

// rclErrno is the errno of a *mm.SysError, or 0.
func rclErrno(err error) mm.Errno {
	var se *mm.SysError
	if errors.As(err, &se) {
		return se.Errno
	}
	return 0
}

// TestReclaimSwapRoundTrip: a process writes more anonymous pages than
// memory holds; reclaim (kswapd, direct reclaim) writes the oldest to
// swap (pageout() -> swap_writepage(): pswpout), leaving swap entries in
// the PTEs; reading them back is a major fault each
// (do_swap_page() -> VM_FAULT_MAJOR, pswpin) that returns the data
// written.
func TestReclaimSwapRoundTrip(t *testing.T) {
	for _, line := range []string{"x86 mem=32M swap=16M", "x86_64 mem=32M swap=16M", "x86 mem=16M swap=8M"} {
		t.Run(line, func(t *testing.T) {
			m := rclBoot(t, line)
			p := rclSpawn(t, m, "writer")
			n := m.Phys.NrFreePages() + 1000
			base := rclAnon(t, m, p, n, 0)
			rclFill(t, m, p, base, 0, n)
			sw := m.Reclaim.Swap
			if sw.Used() == 0 || sw.Out < uint64(sw.Used()) {
				t.Fatalf("after writing %d pages: %d slots used, %d pages written out", n, sw.Used(), sw.Out)
			}
			if got := rclSwapEntries(m, p); int64(got) != p.MM.Rss[mm.MMSwapEnts] || got == 0 {
				t.Fatalf("%d PTEs hold swap entries, MM_SWAPENTS says %d", got, p.MM.Rss[mm.MMSwapEnts])
			}
			if p.MajFlt != 0 || sw.In != 0 {
				t.Fatalf("writing fresh pages made %d major faults, %d swap-ins", p.MajFlt, sw.In)
			}
			// Read everything back: each page whose PTE holds a swap
			// entry (and whose slot is not in the swap cache) is a major
			// fault and one pswpin; a present page is no fault.
			swapped := 0
			for i := uint64(0); i < n; i++ {
				va := base + i*rclPage
				slot := rclSlot(m, p, va)
				_, cached := sw.Cached(slot)
				maj, in := p.MajFlt, sw.In
				if got, want := rclGet(t, m, p, va), rclVal(p.PID, i); got != want {
					t.Fatalf("page %d reads %#x, want %#x (slot %d)", i, got, want, slot)
				}
				wantMaj := uint64(0)
				if slot != 0 && !cached {
					wantMaj = 1
					swapped++
				}
				if p.MajFlt-maj != wantMaj || sw.In-in != wantMaj {
					t.Fatalf("page %d (slot %d, cached %v): %d major faults, %d swap-ins, want %d", i, slot, cached, p.MajFlt-maj, sw.In-in, wantMaj)
				}
				if i%rclCheckEvery == 0 {
					rclCheck(t, m, fmt.Sprintf("read page %d", i))
				}
			}
			rclCheck(t, m, "reading back")
			if swapped == 0 || p.MajFlt != uint64(swapped) || m.Procs.Stats.PgMajFault != uint64(swapped) {
				t.Fatalf("%d pages came from swap, majflt %d, pgmajfault %d", swapped, p.MajFlt, m.Procs.Stats.PgMajFault)
			}
			st := m.Reclaim.Stats
			if st.PgstealKswapd+st.PgstealDirect < sw.Out || st.PgscanKswapd+st.PgscanDirect < st.PgstealKswapd+st.PgstealDirect {
				t.Fatalf("stats %+v, %d written out", st, sw.Out)
			}
			if err := m.Procs.Exit(p, 0, 0); err != nil {
				t.Fatal(err)
			}
			rclCheck(t, m, "exit")
			if sw.Used() != 0 || sw.CacheLen() != 0 || m.Reclaim.LRU.Total() != 0 {
				t.Fatalf("after exit: %d slots used, %d cached, %d pages on the LRU", sw.Used(), sw.CacheLen(), m.Reclaim.LRU.Total())
			}
		})
	}
}

// rclStep is one step of a reclaim scenario on pages of a region.
type rclStep struct {
	op   string // write, touch (TLB flushed first), read (through the TLB), shrink
	page int    // the page, or for shrink the pages to reclaim
	// victims are the pages shrink must reclaim, lowest first.
	victims []int
	// lists are the lists pages must be on after the step.
	lists map[int]reclaim.List
}

// rclScenario runs anonymous-page steps on a fresh machine with the
// policy and returns nothing: it fails at the first step whose outcome
// differs.
func rclScenario(t *testing.T, policy string, steps []rclStep) {
	t.Helper()
	m := rclBoot(t, "x86 mem=32M swap=16M policy="+policy)
	p := rclSpawn(t, m, "pages")
	base := rclAnon(t, m, p, 16, 0)
	rclDrain(t, m)
	for k, st := range steps {
		va := base + uint64(st.page)*rclPage
		what := fmt.Sprintf("step %d (%s %d)", k, st.op, st.page)
		before := map[int]bool{}
		for i := 0; i < 16; i++ {
			_, _, present, _ := rclPTE(m, p, base+uint64(i)*rclPage)
			before[i] = present
		}
		switch st.op {
		case "write":
			if err := rclPut(m, p, va, rclVal(p.PID, uint64(st.page))); err != nil {
				t.Fatalf("%s: %v", what, err)
			}
		case "touch":
			rclFlushTLB(m, p)
			fallthrough
		case "read":
			if got := rclGet(t, m, p, va); got != rclVal(p.PID, uint64(st.page)) {
				t.Fatalf("%s: read %#x", what, got)
			}
		case "shrink":
			if got := m.Reclaim.ShrinkNode(st.page, false); got != st.page {
				t.Fatalf("%s: ShrinkNode freed %d", what, got)
			}
		}
		rclCheck(t, m, what)
		var victims []int
		for i := 0; i < 16; i++ {
			if _, _, present, swapped := rclPTE(m, p, base+uint64(i)*rclPage); before[i] && !present && swapped {
				victims = append(victims, i)
			}
		}
		if st.op == "shrink" && !reflect.DeepEqual(victims, st.victims) {
			t.Fatalf("%s: reclaimed pages %v, want %v", what, victims, st.victims)
		}
		for page, want := range st.lists {
			pfn := rclPFN(t, m, p, base+uint64(page)*rclPage)
			if got := m.Reclaim.LRU.Which(pfn); got != want {
				t.Fatalf("%s: page %d is on %s, want %s", what, page, got, want)
			}
		}
	}
}

// TestReclaimSecondChance is folio_check_references() under policy=linux:
// a page whose PTE was referenced since the last scan, used once, gets
// PG_referenced and one more trip round the inactive list (the second
// chance); referenced again on the next trip (referenced PTE +
// PG_referenced) it is activated; an unreferenced page is reclaimed.
func TestReclaimSecondChance(t *testing.T) {
	in, act := reclaim.InactiveAnon, reclaim.ActiveAnon
	t.Run("two references activate", func(t *testing.T) {
		rclScenario(t, "linux", []rclStep{
			{op: "write", page: 0}, {op: "write", page: 1}, {op: "write", page: 2}, {op: "write", page: 3},
			// Every page was referenced once: each gets PG_referenced
			// and goes round again; page 0, at the tail, is looked at
			// again with its accessed bit clear and goes.
			{op: "shrink", page: 1, victims: []int{0}, lists: map[int]reclaim.List{1: in, 2: in, 3: in}},
			// Page 1 is used again: referenced PTE + PG_referenced →
			// activation; page 2 was not, and goes.
			{op: "touch", page: 1},
			{op: "shrink", page: 1, victims: []int{2}, lists: map[int]reclaim.List{1: act, 3: in}},
			// A new page gets its own second chance: page 3 goes first,
			// then the new page 4 after its extra trip; the active page
			// stays.
			{op: "write", page: 4},
			{op: "shrink", page: 2, victims: []int{3, 4}, lists: map[int]reclaim.List{1: act}},
		})
	})
	// x86's ptep_clear_flush_young() clears the accessed bit without a
	// TLB flush: an access through the translation the TLB still holds
	// sets no accessed bit, and the page looks unused.
	t.Run("a TLB hit sets no accessed bit", func(t *testing.T) {
		rclScenario(t, "linux", []rclStep{
			{op: "write", page: 0}, {op: "write", page: 1}, {op: "write", page: 2},
			{op: "shrink", page: 1, victims: []int{0}},
			{op: "read", page: 1},
			{op: "shrink", page: 1, victims: []int{1}, lists: map[int]reclaim.List{2: in}},
		})
	})
	// More than one referenced PTE activates at the first look: a page
	// parent and child both used after fork (the child's PTEs start old,
	// so a page only the parent used has one reference).
	t.Run("two PTEs activate at once", func(t *testing.T) {
		m := rclBoot(t, "x86 mem=32M swap=16M")
		p := rclSpawn(t, m, "parent")
		base := rclAnon(t, m, p, 2, 0)
		rclDrain(t, m)
		rclFill(t, m, p, base, 0, 2)
		shared, single := rclPFN(t, m, p, base), rclPFN(t, m, p, base+rclPage)
		c, err := m.Procs.Fork(p)
		if err != nil {
			t.Fatal(err)
		}
		rclCheck(t, m, "fork")
		rclRun(t, m, c)
		if got := rclGet(t, m, c, base); got != rclVal(p.PID, 0) {
			t.Fatalf("child reads %#x", got)
		}
		rclCheck(t, m, "child read")
		act0 := m.Reclaim.Stats.Pgactivate
		if got := m.Reclaim.ShrinkNode(1, false); got != 1 {
			t.Fatalf("ShrinkNode freed %d", got)
		}
		rclCheck(t, m, "shrink")
		if l := m.Reclaim.LRU.Which(shared); l != act {
			t.Fatalf("the page both used is on %s, want active_anon", l)
		}
		if m.Reclaim.Stats.Pgactivate != act0+1 {
			t.Fatalf("pgactivate went from %d to %d", act0, m.Reclaim.Stats.Pgactivate)
		}
		// The other page went to swap from both address spaces: one
		// slot, one count per PTE.
		slot := rclSlot(m, p, base+rclPage)
		if slot == 0 || rclSlot(m, c, base+rclPage) != slot || m.Reclaim.Swap.Count(slot) != 2 || m.Reclaim.LRU.Which(single) != reclaim.NoList {
			t.Fatalf("the page only the parent used: slots %d/%d count %d", slot, rclSlot(m, c, base+rclPage), m.Reclaim.Swap.Count(slot))
		}
	})
}

// TestReclaimPolicies: the machine's policy= changes which page goes
// first. The same steps run under each policy:
//
//   - linux: folio_check_references(), as in TestReclaimSecondChance;
//   - fifo: references are ignored, the oldest page goes;
//   - lru: any use since the last scan activates;
//   - clock: a used page has its bit cleared and goes round again, never
//     activated.
func TestReclaimPolicies(t *testing.T) {
	in, act := reclaim.InactiveAnon, reclaim.ActiveAnon
	// The anonymous scenario: pages 0-3 written, a scan, page 1 used
	// again, a scan, page 4 written, a scan of two.
	anon := func(s2 []int, l1 reclaim.List, s3 []int) []rclStep {
		st := []rclStep{
			{op: "write", page: 0}, {op: "write", page: 1}, {op: "write", page: 2}, {op: "write", page: 3},
			{op: "shrink", page: 1, victims: []int{0}},
			{op: "touch", page: 1},
			{op: "shrink", page: 1, victims: s2},
			{op: "write", page: 4},
			{op: "shrink", page: 2, victims: s3},
		}
		if l1 != reclaim.NoList {
			st[6].lists = map[int]reclaim.List{1: l1}
		}
		return st
	}
	for _, tc := range []struct {
		policy string
		steps  []rclStep
	}{
		// linux: page 1 (PG_referenced, used again) is activated and
		// outlives pages 3 and 4.
		{"linux", anon([]int{2}, act, []int{3, 4})},
		// fifo: the page just used is the oldest, and goes.
		{"fifo", anon([]int{1}, reclaim.NoList, []int{2, 3})},
		// lru: page 1 is activated by its use; when the inactive list
		// runs dry (page 4 is activated by its write) the active list
		// refills it oldest first, and page 1, used before page 4 was
		// written, goes before it: least recently used first.
		{"lru", anon([]int{2}, act, []int{1, 3})},
		// clock: page 1 only goes round again, and with its bit clear
		// it goes before page 4, whose bit the write set.
		{"clock", anon([]int{2}, in, []int{1, 3})},
	} {
		t.Run(tc.policy, func(t *testing.T) { rclScenario(t, tc.policy, tc.steps) })
	}

	// The file scenario tells lru from linux: a clean page-cache page
	// used once is activated by lru, while linux gives it a second trip
	// on the inactive list, where it goes before a page added later.
	// Pages 0-2 of a file are read through a mapping; pages 1 and 2 are
	// unmapped at once (unmapped, their PTEs are no references).
	for _, tc := range []struct {
		policy string
		s1, s2 int // the page each scan drops
	}{
		{"linux", 1, 0},
		{"fifo", 0, 1},
		{"lru", 1, 2},
		{"clock", 1, 0},
	} {
		t.Run(tc.policy+"/file", func(t *testing.T) {
			m := rclBoot(t, "x86 mem=32M swap=16M policy="+tc.policy)
			p := rclSpawn(t, m, "reader")
			f, err := m.Procs.NewFile("data", 3*rclPage)
			if err != nil {
				t.Fatal(err)
			}
			base, err := m.Procs.Mmap(p, mm.MmapArgs{Len: 3 * rclPage, Prot: mm.ProtRead, Flags: mm.MapPrivate, File: f})
			if err != nil {
				t.Fatal(err)
			}
			rclDrain(t, m)
			pfns := map[int]uint64{}
			use := func(page int, unmap bool) {
				va := base + uint64(page)*rclPage
				rclGet(t, m, p, va)
				pfns[page] = rclPFN(t, m, p, va)
				if unmap {
					if err := m.Procs.Munmap(p, va, rclPage); err != nil {
						t.Fatal(err)
					}
				}
				rclCheck(t, m, fmt.Sprintf("use page %d", page))
			}
			dropped := func(scan int, want int, pages ...int) {
				if got := m.Reclaim.ShrinkNode(1, false); got != 1 {
					t.Fatalf("scan %d freed %d", scan, got)
				}
				rclCheck(t, m, fmt.Sprintf("scan %d", scan))
				for _, page := range pages {
					gone := m.Reclaim.LRU.Which(pfns[page]) == reclaim.NoList
					if gone != (page == want) {
						t.Fatalf("scan %d: page %d dropped %v, want page %d dropped", scan, page, gone, want)
					}
				}
			}
			use(0, false)
			use(1, true)
			dropped(1, tc.s1, 0, 1)
			if tc.policy == "lru" && m.Reclaim.LRU.Which(pfns[0]) != reclaim.ActiveFile {
				t.Fatalf("lru: the page used once is on %s", m.Reclaim.LRU.Which(pfns[0]))
			}
			use(2, true)
			left := []int{2}
			for _, page := range []int{0, 1} {
				if page != tc.s1 {
					left = append(left, page)
				}
			}
			dropped(2, tc.s2, left...)
			if f.Cached() != 1 {
				t.Fatalf("%d pages cached, want 1", f.Cached())
			}
		})
	}
}

// TestReclaimInactiveIsLow is the balance of shrink_node(): before the
// inactive anon list is scanned, inactive_is_low() (inactive * ratio <
// active, ratio 1 below 1 GiB) moves a batch from the active tail to the
// inactive list (shrink_active_list(): pgdeactivate); anonymous pages are
// deactivated referenced or not.
func TestReclaimInactiveIsLow(t *testing.T) {
	for _, extra := range []int{0, 3, 5, 6, 9} {
		t.Run(fmt.Sprintf("inactive %d active 7", 1+extra), func(t *testing.T) {
			m := rclBoot(t, "x86 mem=32M swap=16M")
			p := rclSpawn(t, m, "balance")
			base := rclAnon(t, m, p, 32, 0)
			rclDrain(t, m)
			// Pages 0-7 written; a scan gives them PG_referenced (and
			// takes page 0); pages 1-7 used again; pages 8 and 9
			// written; a scan activates 1-7, gives 8 and 9 a second
			// trip and takes 8: inactive [9], active [1-7].
			rclFill(t, m, p, base, 0, 8)
			m.Reclaim.ShrinkNode(1, false)
			rclFlushTLB(m, p)
			for i := uint64(1); i < 8; i++ {
				rclGet(t, m, p, base+i*rclPage)
			}
			rclFill(t, m, p, base, 8, 10)
			m.Reclaim.ShrinkNode(1, false)
			rclCheck(t, m, "setup")
			lru := m.Reclaim.LRU
			if lru.Len(reclaim.InactiveAnon) != 1 || lru.Len(reclaim.ActiveAnon) != 7 {
				t.Fatalf("setup: inactive %d active %d, want 1 and 7", lru.Len(reclaim.InactiveAnon), lru.Len(reclaim.ActiveAnon))
			}
			rclFill(t, m, p, base, 10, 10+uint64(extra))
			inactive := 1 + extra
			low := inactive*1 < 7
			deact := m.Reclaim.Stats.Pgdeactivate
			if got := m.Reclaim.ShrinkNode(1, false); got != 1 {
				t.Fatalf("ShrinkNode freed %d", got)
			}
			rclCheck(t, m, "shrink")
			moved := m.Reclaim.Stats.Pgdeactivate - deact
			if low && (moved != 7 || lru.Len(reclaim.ActiveAnon) != 0) || !low && (moved != 0 || lru.Len(reclaim.ActiveAnon) != 7) {
				t.Fatalf("inactive %d, active 7 (low %v): %d deactivated, %d left active", inactive, low, moved, lru.Len(reclaim.ActiveAnon))
			}
			// Page 9, the inactive tail, had its second trip: it goes.
			if rclSlot(m, p, base+9*rclPage) == 0 {
				t.Fatalf("page 9 was not reclaimed")
			}
		})
	}
}

// TestReclaimFilePages: a clean page-cache page is dropped without I/O
// (__remove_mapping()) and read again by the next fault (filemap_fault():
// a major fault) with the file's data; a page written through a
// MAP_SHARED mapping is dirty: reclaim writes it back first (pageout()),
// and the data survives in the file after the page is dropped.
func TestReclaimFilePages(t *testing.T) {
	for _, line := range []string{"x86 mem=32M swap=16M", "x86_64 mem=64M"} {
		t.Run(line, func(t *testing.T) {
			const n = 4
			m := rclBoot(t, line)
			p := rclSpawn(t, m, "filer")
			f, err := m.Procs.NewFile("data", n*rclPage)
			if err != nil {
				t.Fatal(err)
			}
			base, err := m.Procs.Mmap(p, mm.MmapArgs{Len: n * rclPage, Prot: mm.ProtRead | mm.ProtWrite, Flags: mm.MapShared, File: f})
			if err != nil {
				t.Fatal(err)
			}
			rclDrain(t, m)
			rclFill(t, m, p, base, 0, n)
			if f.Cached() != n || m.Reclaim.LRU.Len(reclaim.InactiveFile) != n {
				t.Fatalf("%d pages cached, %d on inactive_file", f.Cached(), m.Reclaim.LRU.Len(reclaim.InactiveFile))
			}
			out, swapOut := m.Reclaim.Stats.Pgpgout, m.Reclaim.Swap.Out
			// Each page goes round once (its PTE was referenced), then
			// is written back and dropped: no swap.
			if got := m.Reclaim.ShrinkNode(n, false); got != n {
				t.Fatalf("ShrinkNode freed %d", got)
			}
			rclCheck(t, m, "reclaim dirty")
			if f.Cached() != 0 || m.Reclaim.Stats.Pgpgout-out != n || m.Reclaim.Swap.Out != swapOut {
				t.Fatalf("dirty pages: %d left cached, %d written back, %d swapped", f.Cached(), m.Reclaim.Stats.Pgpgout-out, m.Reclaim.Swap.Out-swapOut)
			}
			for i := uint64(0); i < n; i++ {
				if _, _, present, swapped := rclPTE(m, p, base+i*rclPage); present || swapped {
					t.Fatalf("page %d: PTE present %v swap %v after the drop", i, present, swapped)
				}
			}
			readAll := func(step string) {
				maj := p.MajFlt
				for i := uint64(0); i < n; i++ {
					if got, want := rclGet(t, m, p, base+i*rclPage), rclVal(p.PID, i); got != want {
						t.Fatalf("%s: page %d reads %#x, want %#x", step, i, got, want)
					}
					rclCheck(t, m, step)
				}
				if p.MajFlt-maj != n {
					t.Fatalf("%s: %d major faults, want %d", step, p.MajFlt-maj, n)
				}
			}
			readAll("read back after writeback")
			// Now clean: dropped without I/O.
			out = m.Reclaim.Stats.Pgpgout
			if got := m.Reclaim.ShrinkNode(n, false); got != n {
				t.Fatalf("ShrinkNode freed %d", got)
			}
			rclCheck(t, m, "reclaim clean")
			if f.Cached() != 0 || m.Reclaim.Stats.Pgpgout != out {
				t.Fatalf("clean pages: %d left cached, %d written", f.Cached(), m.Reclaim.Stats.Pgpgout-out)
			}
			readAll("read back after the clean drop")
			// Another process mapping the file privately sees the data.
			q := rclSpawn(t, m, "other")
			qa, err := m.Procs.Mmap(q, mm.MmapArgs{Len: n * rclPage, Prot: mm.ProtRead, Flags: mm.MapPrivate, File: f})
			if err != nil {
				t.Fatal(err)
			}
			for i := uint64(0); i < n; i++ {
				if got := rclGet(t, m, q, qa+i*rclPage); got != rclVal(p.PID, i) {
					t.Fatalf("pid %d reads page %d as %#x", q.PID, i, got)
				}
			}
			rclCheck(t, m, "other reads")
			// Unmapping leaves the pages in the page cache.
			pfn := rclPFN(t, m, q, qa)
			if err := m.Procs.Munmap(q, qa, n*rclPage); err != nil {
				t.Fatal(err)
			}
			rclCheck(t, m, "munmap")
			if l := m.Reclaim.LRU.Which(pfn); l != reclaim.InactiveFile {
				t.Fatalf("after munmap the page is on %s", l)
			}
			// zap_present_folio_ptes() (munmap, exit) calls
			// folio_mark_accessed() for a file page whose PTE was young:
			// the page read through the mapping and then unmapped is
			// PG_referenced.
			if !m.Reclaim.LRU.Referenced(pfn) {
				t.Fatalf("a young file PTE was zapped and the page is not PG_referenced")
			}
		})
	}
}

// TestReclaimForkSwap: fork copies a swap PTE and takes a count of its
// slot (copy_nonpresent_pte() -> swap_duplicate()): count 2. The child's
// swap-in reads the page into the swap cache and maps it; the parent's
// PTE keeps the entry, and its own fault then finds the page in the swap
// cache (a minor fault) and maps the same frame. Writes then copy
// (do_wp_page()).
func TestReclaimForkSwap(t *testing.T) {
	const n = 8
	m := rclBoot(t, "x86 mem=32M swap=16M")
	p := rclSpawn(t, m, "parent")
	base := rclAnon(t, m, p, n, 0)
	rclFill(t, m, p, base, 0, n)
	if err := m.Procs.Madvise(p, base, n*rclPage, mm.MadvPageout); err != nil {
		t.Fatal(err)
	}
	rclCheck(t, m, "pageout")
	sw := m.Reclaim.Swap
	slots := make([]uint64, n)
	for i := range slots {
		if slots[i] = rclSlot(m, p, base+uint64(i)*rclPage); slots[i] == 0 || sw.Count(slots[i]) != 1 {
			t.Fatalf("page %d: slot %d count %d", i, slots[i], sw.Count(slots[i]))
		}
	}
	c, err := m.Procs.Fork(p)
	if err != nil {
		t.Fatal(err)
	}
	rclCheck(t, m, "fork")
	for i, slot := range slots {
		if rclSlot(m, c, base+uint64(i)*rclPage) != slot || sw.Count(slot) != 2 {
			t.Fatalf("page %d after fork: child slot %d, count %d, want %d and 2", i, rclSlot(m, c, base+uint64(i)*rclPage), sw.Count(slot), slot)
		}
	}
	if c.MM.Rss[mm.MMSwapEnts] < n {
		t.Fatalf("child MM_SWAPENTS %d", c.MM.Rss[mm.MMSwapEnts])
	}
	// The child reads page 0: a major fault; the parent keeps its entry.
	rclRun(t, m, c)
	if got := rclGet(t, m, c, base); got != rclVal(p.PID, 0) || c.MajFlt != 1 {
		t.Fatalf("child reads %#x with %d major faults", got, c.MajFlt)
	}
	rclCheck(t, m, "child swap-in")
	cpfn := rclPFN(t, m, c, base)
	if rclSlot(m, p, base) != slots[0] {
		t.Fatalf("the parent's PTE lost its swap entry")
	}
	if got, ok := sw.Cached(slots[0]); !ok || got != cpfn || sw.Count(slots[0]) != 2 {
		t.Fatalf("slot %d: cached %#x %v, count %d; want the child's frame %#x and count 2 (the parent's PTE and the cache)", slots[0], got, ok, sw.Count(slots[0]), cpfn)
	}
	// The parent's fault finds it in the swap cache: minor, same frame.
	rclRun(t, m, p)
	if got := rclGet(t, m, p, base); got != rclVal(p.PID, 0) || p.MajFlt != 0 {
		t.Fatalf("parent reads %#x with %d major faults", got, p.MajFlt)
	}
	rclCheck(t, m, "parent swap-in")
	if pp := rclPFN(t, m, p, base); pp != cpfn || m.Phys.Mapcount(phys.PFN(pp)) != 2 {
		t.Fatalf("parent maps %#x (mapcount %d), child %#x", pp, m.Phys.Mapcount(phys.PFN(pp)), cpfn)
	}
	// The child writes: a copy; the two diverge.
	rclRun(t, m, c)
	if err := rclPut(m, c, base, 0x77); err != nil {
		t.Fatal(err)
	}
	rclCheck(t, m, "child write")
	rclRun(t, m, p)
	if got := rclGet(t, m, p, base); got != rclVal(p.PID, 0) {
		t.Fatalf("after the child's write the parent reads %#x", got)
	}
	// The child exits: its counts go, the parent's stay.
	if err := m.Procs.Exit(c, 0, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Procs.Wait(p, c.PID); err != nil {
		t.Fatal(err)
	}
	rclCheck(t, m, "child exit")
	for i := 1; i < n; i++ {
		if sw.Count(slots[i]) != 1 {
			t.Fatalf("after the child's exit slot %d has count %d", slots[i], sw.Count(slots[i]))
		}
	}
	for i := uint64(1); i < n; i++ {
		if got := rclGet(t, m, p, base+i*rclPage); got != rclVal(p.PID, i) {
			t.Fatalf("parent page %d reads %#x", i, got)
		}
	}
	rclCheck(t, m, "parent reads")
}

// TestReclaimZapFreesSlots: unmapping swap entries gives their slots back
// (zap_pte_range() -> free_swap_and_cache()); so does exit, and
// MADV_DONTNEED; slots shared after fork go with their last user.
func TestReclaimZapFreesSlots(t *testing.T) {
	const n = 16
	for _, tc := range []struct {
		name string
		fork bool
		zap  func(t *testing.T, m *kernelmodel.Machine, p, c *mm.Task, base uint64)
	}{
		{"munmap", false, func(t *testing.T, m *kernelmodel.Machine, p, _ *mm.Task, base uint64) {
			// Half first: the other half keeps its slots.
			if err := m.Procs.Munmap(p, base, n/2*rclPage); err != nil {
				t.Fatal(err)
			}
			rclCheck(t, m, "munmap half")
			if m.Reclaim.Swap.Used() < n/2 {
				t.Fatalf("munmap of half the range left %d slots", m.Reclaim.Swap.Used())
			}
			if err := m.Procs.Munmap(p, base+n/2*rclPage, n/2*rclPage); err != nil {
				t.Fatal(err)
			}
		}},
		{"MADV_DONTNEED", false, func(t *testing.T, m *kernelmodel.Machine, p, _ *mm.Task, base uint64) {
			if err := m.Procs.Madvise(p, base, n*rclPage, mm.MadvDontNeed); err != nil {
				t.Fatal(err)
			}
		}},
		{"exit", false, func(t *testing.T, m *kernelmodel.Machine, p, _ *mm.Task, _ uint64) {
			if err := m.Procs.Exit(p, 0, 0); err != nil {
				t.Fatal(err)
			}
		}},
		{"fork, then both unmap", true, func(t *testing.T, m *kernelmodel.Machine, p, c *mm.Task, base uint64) {
			if err := m.Procs.Munmap(p, base, n*rclPage); err != nil {
				t.Fatal(err)
			}
			rclCheck(t, m, "parent munmap")
			if m.Reclaim.Swap.Used() < n {
				t.Fatalf("the child's entries lost their slots: %d used", m.Reclaim.Swap.Used())
			}
			if err := m.Procs.Munmap(c, base, n*rclPage); err != nil {
				t.Fatal(err)
			}
		}},
		{"fork, then both exit", true, func(t *testing.T, m *kernelmodel.Machine, p, c *mm.Task, _ uint64) {
			if err := m.Procs.Exit(c, 0, 0); err != nil {
				t.Fatal(err)
			}
			rclCheck(t, m, "child exit")
			if err := m.Procs.Exit(p, 0, 0); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := rclBoot(t, "x86 mem=32M swap=16M")
			p := rclSpawn(t, m, "zap")
			base := rclAnon(t, m, p, n, 0)
			rclFill(t, m, p, base, 0, n)
			// Everything the process has goes to swap, the stack page
			// too, so that only the range (or the exit) is left to free.
			rclDrain(t, m)
			var c *mm.Task
			if tc.fork {
				var err error
				if c, err = m.Procs.Fork(p); err != nil {
					t.Fatal(err)
				}
				rclCheck(t, m, "fork")
			}
			if m.Reclaim.Swap.Used() < n {
				t.Fatalf("%d slots used before the zap", m.Reclaim.Swap.Used())
			}
			keep := 0 // slots of the stack page that munmap keeps
			if !strings.Contains(tc.name, "exit") {
				keep = int(p.MM.Rss[mm.MMSwapEnts]) - n
			}
			tc.zap(t, m, p, c, base)
			rclCheck(t, m, tc.name)
			if got := m.Reclaim.Swap.Used(); got != keep {
				t.Fatalf("%d slots used after the zap, want %d", got, keep)
			}
			if keep == 0 && (m.Reclaim.Swap.CacheLen() != 0 || m.Reclaim.LRU.Total() != 0) {
				t.Fatalf("%d swap-cache pages, %d pages on the LRU after exit", m.Reclaim.Swap.CacheLen(), m.Reclaim.LRU.Total())
			}
		})
	}
}

// TestReclaimKswapd: an allocation that finds every zone at or below its
// LOW watermark (the fast path's get_page_from_freelist()) wakes kswapd
// (wake_all_kswapds()); when the statement ends kswapd reclaims until the
// node is balanced (pgdat_balanced(): some eligible zone above its HIGH
// watermark plus lowmem_reserve) and stops there. The process writes one
// page per statement, as a script does. kswapd's first runs look at
// pages that were each referenced once, give them their second chance
// and may free next to nothing (balance_pgdat() then gives up:
// kswapd_failures); once the pages have been aged, and while swap has
// room, every run ends balanced.
func TestReclaimKswapd(t *testing.T) {
	for _, line := range []string{"x86 mem=8M swap=8M", "x86 mem=32M swap=32M", "x86_64 mem=24M swap=16M"} {
		t.Run(line, func(t *testing.T) {
			m := rclBoot(t, line)
			p := rclSpawn(t, m, "kswapd")
			n := m.Phys.NrFreePages() + m.Phys.NrFreePages()/2
			if s := uint64(m.Reclaim.Swap.Total()) * 3 / 4; n > m.Phys.NrFreePages()+s {
				n = m.Phys.NrFreePages() + s
			}
			base := rclAnon(t, m, p, n, 0)
			highest, err := m.Phys.GFPZone(phys.GFPHighUserMovable)
			if err != nil {
				t.Fatal(err)
			}
			eligible := func() []*phys.Zone {
				var zs []*phys.Zone
				for _, z := range m.Phys.Zones {
					if z.Populated() && z.Index <= highest.Index {
						zs = append(zs, z)
					}
				}
				return zs
			}()
			passes := func(wmark int) bool {
				for _, z := range eligible {
					if z.WatermarkOK(0, wmark, highest) {
						return true
					}
				}
				return false
			}
			runs, balanced, failed := 0, 0, 0
			for i := uint64(0); i < n; i++ {
				wakeups := m.Phys.Stats.KswapdWakeups
				var b [8]byte
				if err := m.Procs.WriteUser(p, base+i*rclPage, b[:]); err != nil {
					t.Fatal(err)
				}
				if !m.Reclaim.Woken() {
					if m.Phys.Stats.KswapdWakeups != wakeups {
						t.Fatalf("page %d: a wakeup was counted but kswapd is not woken", i)
					}
					continue
				}
				// The waking allocation found no zone above LOW.
				if passes(phys.WmarkLow) {
					t.Fatalf("kswapd woke at page %d and a zone passes LOW", i)
				}
				need := uint64(0)
				for _, z := range eligible {
					if mark := z.High() + z.LowmemReserve[highest.Index] + 1; z.Free() < mark {
						need += mark - z.Free()
					}
				}
				aged := balanced > 0 // a run that balanced has aged the pages
				steal, kruns := m.Reclaim.Stats.PgstealKswapd, m.Reclaim.Stats.KswapdRuns
				rclCheck(t, m, fmt.Sprintf("wake at page %d", i))
				m.RunDeferred()
				rclCheck(t, m, fmt.Sprintf("kswapd after page %d", i))
				runs++
				stolen := m.Reclaim.Stats.PgstealKswapd - steal
				if m.Reclaim.Woken() || m.Reclaim.Stats.KswapdRuns != kruns+1 {
					t.Fatalf("page %d: after RunDeferred woken %v, %d runs", i, m.Reclaim.Woken(), m.Reclaim.Stats.KswapdRuns-kruns)
				}
				ok := passes(phys.WmarkHigh)
				for _, z := range eligible {
					if z.WatermarkOK(0, phys.WmarkHigh, highest) != (z.Free() > z.High()+z.LowmemReserve[highest.Index]) {
						t.Fatalf("%s: free %d high %d: WatermarkOK disagrees", z.Name, z.Free(), z.High())
					}
				}
				if ok {
					balanced++
					// It stops at HIGH: at most one batch
					// (SWAP_CLUSTER_MAX) past what the zones lacked.
					if stolen > need+32 {
						t.Fatalf("page %d: kswapd stole %d pages, the zones lacked %d", i, stolen, need)
					}
				} else {
					failed++
					if aged && m.Reclaim.Swap.Free() > 64 {
						for _, z := range eligible {
							t.Logf("%s: free %d high %d reserve %d", z.Name, z.Free(), z.High(), z.LowmemReserve[highest.Index])
						}
						t.Fatalf("page %d: kswapd stopped unbalanced with aged pages and %d free slots (stole %d)", i, m.Reclaim.Swap.Free(), stolen)
					}
				}
			}
			t.Logf("%d pages: %d kswapd runs, %d balanced, %d gave up; %d stolen, %d scanned, %d swapped", n, runs, balanced, failed,
				m.Reclaim.Stats.PgstealKswapd, m.Reclaim.Stats.PgscanKswapd, m.Reclaim.Swap.Out)
			if balanced < 10 || m.Phys.Stats.KswapdWakeups != uint64(runs) {
				t.Fatalf("%d balanced runs of %d, %d wakeups", balanced, runs, m.Phys.Stats.KswapdWakeups)
			}
			if m.Reclaim.Stats.PgstealDirect != 0 || m.Reclaim.Stats.PgscanKswapd < m.Reclaim.Stats.PgstealKswapd {
				t.Fatalf("stats %+v", m.Reclaim.Stats)
			}
		})
	}
}

// rclOOMProc is one process of an OOM scenario.
type rclOOMProc struct {
	name  string
	pages uint64 // anonymous pages written
	// pageout sends them to swap at once (MADV_PAGEOUT).
	pageout bool
	adj     int // oom_score_adj
}

// rclKillRE is the OOM killer's report (__oom_kill_process()).
var rclKillRE = regexp.MustCompile(`^Out of memory: Killed process (\d+) \((\w+)\) total-vm:(\d+)kB, anon-rss:(\d+)kB, file-rss:(\d+)kB, shmem-rss:(\d+)kB, UID:0 pgtables:(\d+)kB oom_score_adj:(-?\d+)$`)

// rclBadness is the victim select_bad_process() picks among the running
// processes now (the highest oom_badness(); on a tie the one met last,
// in creation order), or 0 if none may be killed.
func rclBadness(m *kernelmodel.Machine) (pid int, points map[int]int64) {
	points = map[int]int64{}
	var best int64
	vs := m.Procs.Victims()
	slices.SortFunc(vs, func(a, b reclaim.Victim) int { return a.PID - b.PID })
	for _, v := range vs {
		v.ScoreAdj = m.Reclaim.OOMScoreAdj[v.PID]
		pts, ok := reclaim.Badness(v, m.Phys.TotalRAM())
		if !ok {
			continue
		}
		points[v.PID] = pts
		if pid == 0 || pts >= best {
			pid, best = v.PID, pts
		}
	}
	return pid, points
}

// TestReclaimOOM: when reclaim can free nothing more, out_of_memory()
// kills the process with the highest oom_badness() (rss + swap entries +
// page-table pages, plus oom_score_adj thousandths of RAM), never one
// with oom_score_adj -1000, printing "invoked oom-killer" and the "Out of
// memory: Killed process" line; the victim's memory and swap slots are
// freed at once (the OOM reaper). When the allocating task is the victim
// its allocation fails and it dies after the statement.
func TestReclaimOOM(t *testing.T) {
	for _, tc := range []struct {
		name  string
		line  string
		procs []rclOOMProc
		alloc int // the process that allocates until the OOM killer runs
		// victim is the process killed; -1: nothing may be killed.
		victim int
	}{
		{"the biggest is killed", "x86 mem=16M",
			[]rclOOMProc{{name: "hog", pages: 2200}, {name: "small", pages: 100}, {name: "keeper", pages: 200, adj: -1000}}, 1, 0},
		{"-1000 is never chosen", "x86 mem=16M",
			[]rclOOMProc{{name: "keeper", pages: 2000, adj: -1000}, {name: "hog", pages: 800}, {name: "small", pages: 50}}, 2, 1},
		{"swap entries count", "x86 mem=16M swap=4M",
			[]rclOOMProc{{name: "swapped", pages: 1000, pageout: true}, {name: "resident", pages: 700}, {name: "grower", pages: 10, adj: -1000}}, 2, 0},
		{"oom_score_adj 1000", "x86_64 mem=32M",
			[]rclOOMProc{{name: "marked", pages: 500, adj: 1000}, {name: "hog", pages: 2000}}, 1, 0},
		{"the allocating task itself", "x86 mem=16M",
			[]rclOOMProc{{name: "small", pages: 100}, {name: "hog", pages: 100}}, 1, 1},
		{"the allocating task itself, with swap", "x86 mem=16M swap=2M",
			[]rclOOMProc{{name: "small", pages: 100}, {name: "hog", pages: 100}}, 1, 1},
		{"nothing may be killed", "x86 mem=16M",
			[]rclOOMProc{{name: "keeper", pages: 100, adj: -1000}}, 0, -1},
		// On a tie oom_evaluate_task() keeps the task it meets last (it
		// skips only points < chosen_points, and for_each_process() goes
		// in creation order): of two twins the younger dies.
		{"a tie goes to the later process", "x86 mem=16M",
			[]rclOOMProc{{name: "twin1", pages: 1200}, {name: "twin2", pages: 1200}, {name: "grower", pages: 10, adj: -1000}}, 2, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := rclBoot(t, tc.line)
			var tasks []*mm.Task
			var bases []uint64
			for _, pr := range tc.procs {
				p := rclSpawn(t, m, pr.name)
				m.Reclaim.OOMScoreAdj[p.PID] = pr.adj
				size := pr.pages
				if len(tasks) == tc.alloc {
					size = 64 << 20 / rclPage
				}
				base := rclAnon(t, m, p, size, 0)
				rclFill(t, m, p, base, 0, pr.pages)
				if pr.pageout {
					if err := m.Procs.Madvise(p, base, pr.pages*rclPage, mm.MadvPageout); err != nil {
						t.Fatal(err)
					}
					rclCheck(t, m, "pageout")
				}
				tasks = append(tasks, p)
				bases = append(bases, base)
			}
			if w := m.TakeWarnings(); len(w) != 0 {
				t.Fatalf("warnings before the test: %q", w)
			}
			a := tasks[tc.alloc]
			rclRun(t, m, a)
			var (
				err        error
				want       int
				points     map[int]int64
				free       uint64
				victimRSS  int64
				victimSwap int64
				victimVM   uint64
				victimAnon int64
				used       int
			)
			i := tc.procs[tc.alloc].pages
			for ; ; i++ {
				if i >= 64<<20/rclPage {
					t.Fatalf("no OOM in %d pages", i)
				}
				want, points = rclBadness(m)
				free, used = m.Phys.NrFreePages(), m.Reclaim.Swap.Used()
				if want != 0 {
					v, _ := m.Procs.Task(want)
					victimRSS, victimSwap, victimVM, victimAnon = v.MM.RSS(), v.MM.Rss[mm.MMSwapEnts], v.MM.TotalVM(), v.MM.Rss[mm.MMAnonPages]
				}
				var b [8]byte
				binary.LittleEndian.PutUint64(b[:], rclVal(a.PID, i))
				err = m.Procs.WriteUser(a, bases[tc.alloc]+i*rclPage, b[:])
				if err != nil || m.Reclaim.Stats.OOMKill > 0 {
					break
				}
				m.RunDeferred()
				if i%rclCheckEvery == 0 {
					rclCheck(t, m, fmt.Sprintf("allocate page %d", i))
				}
			}
			rclCheck(t, m, "the OOM kill")
			warns := m.TakeWarnings()
			if len(warns) == 0 || !strings.HasPrefix(warns[0], a.Comm+" invoked oom-killer: gfp_mask=0x") || !strings.Contains(warns[0], "order=0, oom_score_adj="+strconv.Itoa(tc.procs[tc.alloc].adj)) {
				t.Fatalf("warnings %q, want %q invoked oom-killer first", warns, a.Comm)
			}
			if tc.victim < 0 {
				var oom *bug.OOM
				if !errors.As(err, &oom) || !strings.Contains(oom.Msg, "no killable processes") || len(warns) != 1 {
					t.Fatalf("with nothing to kill: error %v, warnings %q", err, warns)
				}
				return
			}
			victim := tasks[tc.victim]
			if want != victim.PID {
				t.Fatalf("oom_badness() picks pid %d (%v), the test expects pid %d", want, points, victim.PID)
			}
			if len(warns) != 2 {
				t.Fatalf("warnings %q", warns)
			}
			k := rclKillRE.FindStringSubmatch(warns[1])
			if k == nil || k[1] != strconv.Itoa(victim.PID) || k[2] != victim.Comm || k[3] != strconv.FormatUint(victimVM*4, 10) || k[8] != strconv.Itoa(tc.procs[tc.victim].adj) {
				t.Fatalf("kill report %q, want pid %d (%s) total-vm:%dkB", warns[1], victim.PID, victim.Comm, victimVM*4)
			}
			// Without swap nothing changed the victim's pages during the
			// allocation: anon-rss is what it had (in kB).
			if m.Reclaim.Swap.Total() == 0 && k[4] != strconv.FormatInt(victimAnon*4, 10) {
				t.Fatalf("kill report %q: anon-rss, want %dkB", warns[1], victimAnon*4)
			}
			if victim != a {
				// Another task dies at once and the allocation goes on.
				if err != nil {
					t.Fatalf("the allocation failed after the kill: %v", err)
				}
				if victim.State != mm.TaskZombie || victim.Signal != mm.SIGKILL || victim.MM != nil {
					t.Fatalf("victim state %s signal %d", victim.State, victim.Signal)
				}
				if got := m.Phys.NrFreePages(); got+2 < free+uint64(victimRSS) {
					t.Fatalf("free pages %d before, %d after killing a process of rss %d", free, got, victimRSS)
				}
				if got := m.Reclaim.Swap.Used(); victimSwap > 0 && got > m.Reclaim.Swap.Total()-int(victimSwap) {
					t.Fatalf("swap used %d (was %d of %d) after killing a process with %d entries", got, used, m.Reclaim.Swap.Total(), victimSwap)
				}
				if got := rclGet(t, m, a, bases[tc.alloc]+i*rclPage); got != rclVal(a.PID, i) {
					t.Fatalf("the allocating task reads %#x", got)
				}
			} else {
				// The allocating task is chosen: its fault fails with
				// the report, and it dies when the statement ends.
				var oom *bug.OOM
				if !errors.As(err, &oom) || oom.Msg != warns[1] {
					t.Fatalf("error %v (%T), want *bug.OOM %q", err, err, warns[1])
				}
				if a.State != mm.TaskRunning {
					t.Fatalf("the allocating task is %s before the statement ends", a.State)
				}
				m.RunDeferred()
				rclCheck(t, m, "deferred kill")
				if a.State != mm.TaskZombie || a.Signal != mm.SIGKILL {
					t.Fatalf("after RunDeferred the victim is %s, signal %d", a.State, a.Signal)
				}
				if got := m.Phys.NrFreePages(); got < free+uint64(victimRSS)-2 {
					t.Fatalf("free pages %d before, %d after killing a process of rss %d", free, got, victimRSS)
				}
			}
			if _, err := m.Procs.Wait(nil, victim.PID); err != nil {
				t.Fatal(err)
			}
			rclCheck(t, m, "reap")
			// The others live on, with their data.
			for j, p := range tasks {
				if p == victim {
					continue
				}
				if p.State != mm.TaskRunning {
					t.Fatalf("pid %d (%s) is %s", p.PID, p.Comm, p.State)
				}
				rclRun(t, m, p)
				if got := rclGet(t, m, p, bases[j]); got != rclVal(p.PID, 0) {
					t.Fatalf("pid %d reads %#x", p.PID, got)
				}
			}
			rclCheck(t, m, "survivors")
		})
	}
}

// TestReclaimMlock: mlock() sets VM_LOCKED, faults the range in
// (populate; a swapped page is read back and its slot freed) and moves
// the pages to the unevictable list (mlock_folio()); reclaim, kswapd and
// MADV_PAGEOUT never take them. munlock() puts them back on the inactive
// list (folio_putback_lru()), and they are reclaimable again.
func TestReclaimMlock(t *testing.T) {
	const n = 16
	m := rclBoot(t, "x86 mem=32M swap=16M")
	p := rclSpawn(t, m, "locker")
	locked := rclAnon(t, m, p, n, 0)
	rclFill(t, m, p, locked, 0, n)
	if err := m.Procs.Mlock(p, locked, n*rclPage, true); err != nil {
		t.Fatal(err)
	}
	rclCheck(t, m, "mlock")
	lru := m.Reclaim.LRU
	pfns := make([]uint64, n)
	for i := range pfns {
		pfns[i] = rclPFN(t, m, p, locked+uint64(i)*rclPage)
		if l := lru.Which(pfns[i]); l != reclaim.Unevictable {
			t.Fatalf("locked page %d is on %s", i, l)
		}
	}
	if lru.Len(reclaim.Unevictable) != n {
		t.Fatalf("%d unevictable pages", lru.Len(reclaim.Unevictable))
	}
	stillLocked := func(step string) {
		t.Helper()
		for i, pfn := range pfns {
			if got := rclPFN(t, m, p, locked+uint64(i)*rclPage); got != pfn || lru.Which(pfn) != reclaim.Unevictable {
				t.Fatalf("%s: locked page %d moved to %#x (%s)", step, i, got, lru.Which(pfn))
			}
		}
	}
	if err := m.Procs.Madvise(p, locked, n*rclPage, mm.MadvPageout); err != nil {
		t.Fatal(err)
	}
	rclCheck(t, m, "pageout of locked pages")
	stillLocked("MADV_PAGEOUT")
	m.Reclaim.ShrinkNode(1000, false)
	rclCheck(t, m, "shrink")
	stillLocked("ShrinkNode")
	// Memory pressure: kswapd and direct reclaim take the other pages.
	other := m.Phys.NrFreePages() + 500
	ob := rclAnon(t, m, p, other, 0)
	rclFill(t, m, p, ob, 0, other)
	stillLocked("memory pressure")
	if m.Reclaim.Swap.Used() == 0 || p.MajFlt != 0 {
		t.Fatalf("pressure swapped %d pages, %d major faults", m.Reclaim.Swap.Used(), p.MajFlt)
	}
	for i := uint64(0); i < n; i++ {
		if got := rclGet(t, m, p, locked+i*rclPage); got != rclVal(p.PID, i) {
			t.Fatalf("locked page %d reads %#x", i, got)
		}
	}
	if p.MajFlt != 0 {
		t.Fatalf("reading locked pages made %d major faults", p.MajFlt)
	}
	// munlock: back on the inactive list; MADV_PAGEOUT takes them now.
	if err := m.Procs.Mlock(p, locked, n*rclPage, false); err != nil {
		t.Fatal(err)
	}
	rclCheck(t, m, "munlock")
	for i, pfn := range pfns {
		if l := lru.Which(pfn); l != reclaim.InactiveAnon {
			t.Fatalf("unlocked page %d is on %s", i, l)
		}
	}
	if err := m.Procs.Madvise(p, locked, n*rclPage, mm.MadvPageout); err != nil {
		t.Fatal(err)
	}
	rclCheck(t, m, "pageout")
	for i := uint64(0); i < n; i++ {
		if rclSlot(m, p, locked+i*rclPage) == 0 {
			t.Fatalf("unlocked page %d was not paged out", i)
		}
	}
	// mlock of swapped pages reads them back, frees their slots
	// (should_try_to_free_swap() for VM_LOCKED) and locks them.
	used, maj := m.Reclaim.Swap.Used(), p.MajFlt
	if err := m.Procs.Mlock(p, locked, n*rclPage, true); err != nil {
		t.Fatal(err)
	}
	rclCheck(t, m, "mlock of swapped pages")
	for i := uint64(0); i < n; i++ {
		pfn := rclPFN(t, m, p, locked+i*rclPage)
		if lru.Which(pfn) != reclaim.Unevictable {
			t.Fatalf("page %d read back by mlock is on %s", i, lru.Which(pfn))
		}
	}
	if got := m.Reclaim.Swap.Used(); got > used-n {
		t.Fatalf("slots used %d before mlock, %d after: the locked pages kept theirs", used, got)
	}
	if p.MajFlt-maj != n {
		t.Fatalf("mlock's populate made %d major faults, want %d", p.MajFlt-maj, n)
	}
	for i := uint64(0); i < n; i++ {
		if got := rclGet(t, m, p, locked+i*rclPage); got != rclVal(p.PID, i) {
			t.Fatalf("page %d reads %#x after the swap-in", i, got)
		}
	}
	// A MAP_LOCKED mapping's pages are unevictable from their fault.
	ml := rclAnon(t, m, p, 4, mm.MapLocked)
	for i := uint64(0); i < 4; i++ {
		if l := lru.Which(rclPFN(t, m, p, ml+i*rclPage)); l != reclaim.Unevictable {
			t.Fatalf("MAP_LOCKED page %d is on %s", i, l)
		}
	}
	// munmap of locked pages frees them and empties the list.
	if err := m.Procs.Munmap(p, locked, n*rclPage); err != nil {
		t.Fatal(err)
	}
	if err := m.Procs.Munmap(p, ml, 4*rclPage); err != nil {
		t.Fatal(err)
	}
	rclCheck(t, m, "munmap")
	if lru.Len(reclaim.Unevictable) != 0 {
		t.Fatalf("%d unevictable pages after munmap", lru.Len(reclaim.Unevictable))
	}
	// A hole is ENOMEM.
	if err := m.Procs.Mlock(p, locked, rclPage, true); rclErrno(err) != mm.ENOMEM {
		t.Fatalf("mlock of a hole: %v", err)
	}
	rclCheck(t, m, "mlock of a hole")
}

// TestReclaimMlockShared: a page mapped by a VM_LOCKED VMA stays
// unevictable whatever other mappings do: munlock of a range that was
// not locked changes nothing (mlock_fixup() returns when the flags do
// not change), and a page locked by another process keeps its mlock
// count (munlock_folio()). Reclaim never takes it: folio_referenced()
// finds the VM_LOCKED mapping and the page goes back to the unevictable
// list (mlock_vma_folio()).
func TestReclaimMlockShared(t *testing.T) {
	const n = 4
	for _, parentLocks := range []bool{true, false} {
		t.Run(fmt.Sprintf("parent locks %v", parentLocks), func(t *testing.T) {
			m := rclBoot(t, "x86 mem=32M swap=16M")
			p := rclSpawn(t, m, "parent")
			a := rclAnon(t, m, p, n, 0)
			rclFill(t, m, p, a, 0, n)
			locker, other := p, (*mm.Task)(nil)
			if parentLocks {
				if err := m.Procs.Mlock(p, a, n*rclPage, true); err != nil {
					t.Fatal(err)
				}
			}
			// fork does not copy VM_LOCKED: the child maps the same
			// pages unlocked.
			c, err := m.Procs.Fork(p)
			if err != nil {
				t.Fatal(err)
			}
			rclCheck(t, m, "fork")
			other = c
			if !parentLocks {
				rclRun(t, m, c)
				if err := m.Procs.Mlock(c, a, n*rclPage, true); err != nil {
					t.Fatal(err)
				}
				rclCheck(t, m, "child mlock")
				locker, other = c, p
			}
			pfn := rclPFN(t, m, p, a)
			if l := m.Reclaim.LRU.Which(pfn); l != reclaim.Unevictable || rclPFN(t, m, c, a) != pfn {
				t.Fatalf("the shared locked page is on %s", l)
			}
			// The process without the lock unlocks the range.
			rclRun(t, m, other)
			if err := m.Procs.Mlock(other, a, n*rclPage, false); err != nil {
				t.Fatal(err)
			}
			rclCheck(t, m, "munlock of an unlocked range")
			// The page is still mapped by the locker's VM_LOCKED VMA:
			// it stays unevictable.
			if l := m.Reclaim.LRU.Which(pfn); l != reclaim.Unevictable {
				t.Fatalf("pid %d's munlock moved a page pid %d locks to %s", other.PID, locker.PID, l)
			}
			// Whatever list it is on, reclaim does not take it.
			m.Reclaim.ShrinkNode(1000, false)
			rclCheck(t, m, "shrink")
			if got := rclPFN(t, m, p, a); got != pfn || m.Reclaim.LRU.Which(pfn) != reclaim.Unevictable {
				t.Fatalf("after reclaim the locked page is %#x on %s", got, m.Reclaim.LRU.Which(pfn))
			}
		})
	}
}

// TestReclaimPageout: MADV_PAGEOUT (madvise_pageout() ->
// reclaim_pages()) reclaims the range's pages at once, referenced or not;
// pages other processes map too (mapcount > 1) are left alone.
func TestReclaimPageout(t *testing.T) {
	const n = 8
	m := rclBoot(t, "x86 mem=32M swap=16M")
	p := rclSpawn(t, m, "pager")
	base := rclAnon(t, m, p, n, 0)
	rclFill(t, m, p, base, 0, n)
	out := m.Reclaim.Swap.Out
	if err := m.Procs.Madvise(p, base, n*rclPage, mm.MadvPageout); err != nil {
		t.Fatal(err)
	}
	rclCheck(t, m, "pageout")
	for i := uint64(0); i < n; i++ {
		if rclSlot(m, p, base+i*rclPage) == 0 {
			t.Fatalf("page %d is not in swap", i)
		}
	}
	if m.Reclaim.Swap.Out-out != n || p.MM.Rss[mm.MMSwapEnts] < n {
		t.Fatalf("%d written out (pswpout), MM_SWAPENTS %d", m.Reclaim.Swap.Out-out, p.MM.Rss[mm.MMSwapEnts])
	}
	for i := uint64(0); i < n; i++ {
		if got := rclGet(t, m, p, base+i*rclPage); got != rclVal(p.PID, i) {
			t.Fatalf("page %d reads %#x", i, got)
		}
	}
	if p.MajFlt != n {
		t.Fatalf("%d major faults reading back, want %d", p.MajFlt, n)
	}
	rclCheck(t, m, "read back")
	// Shared with a child: left alone until the child is gone.
	c, err := m.Procs.Fork(p)
	if err != nil {
		t.Fatal(err)
	}
	rclCheck(t, m, "fork")
	out = m.Reclaim.Swap.Out
	if err := m.Procs.Madvise(p, base, n*rclPage, mm.MadvPageout); err != nil {
		t.Fatal(err)
	}
	rclCheck(t, m, "pageout of shared pages")
	for i := uint64(0); i < n; i++ {
		if _, _, present, _ := rclPTE(m, p, base+i*rclPage); !present {
			t.Fatalf("shared page %d was paged out", i)
		}
	}
	if m.Reclaim.Swap.Out != out {
		t.Fatalf("%d pages written", m.Reclaim.Swap.Out-out)
	}
	if err := m.Procs.Exit(c, 0, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Procs.Wait(p, c.PID); err != nil {
		t.Fatal(err)
	}
	rclCheck(t, m, "child gone")
	if err := m.Procs.Madvise(p, base, n*rclPage, mm.MadvPageout); err != nil {
		t.Fatal(err)
	}
	rclCheck(t, m, "pageout after the child")
	for i := uint64(0); i < n; i++ {
		if rclSlot(m, p, base+i*rclPage) == 0 {
			t.Fatalf("page %d is not in swap after the child left", i)
		}
	}
}

// TestReclaimSwapoff: swapoff() (try_to_unuse()) reads every page in swap
// back into every process that maps it, shared entries into one shared
// page, then takes no new entries; swapon() turns the area on again.
// Without an area both are EINVAL; swapoff twice is EINVAL, swapon twice
// EBUSY.
func TestReclaimSwapoff(t *testing.T) {
	const n = 32
	m := rclBoot(t, "x86 mem=32M swap=16M")
	p := rclSpawn(t, m, "parent")
	base := rclAnon(t, m, p, n, 0)
	rclFill(t, m, p, base, 0, n)
	if err := m.Procs.Madvise(p, base, n*rclPage, mm.MadvPageout); err != nil {
		t.Fatal(err)
	}
	c, err := m.Procs.Fork(p)
	if err != nil {
		t.Fatal(err)
	}
	rclCheck(t, m, "fork")
	rclRun(t, m, c)
	cb := rclAnon(t, m, c, n, 0)
	rclFill(t, m, c, cb, 0, n)
	if err := m.Procs.Madvise(c, cb, n*rclPage, mm.MadvPageout); err != nil {
		t.Fatal(err)
	}
	rclCheck(t, m, "child pageout")
	sw := m.Reclaim.Swap
	if sw.Used() < 2*n {
		t.Fatalf("%d slots used", sw.Used())
	}
	maj := p.MajFlt + c.MajFlt
	if err := m.Procs.Swapoff(); err != nil {
		t.Fatal(err)
	}
	rclCheck(t, m, "swapoff")
	if sw.Used() != 0 || sw.CacheLen() != 0 || sw.On {
		t.Fatalf("after swapoff: %d used, %d cached, on %v", sw.Used(), sw.CacheLen(), sw.On)
	}
	for _, x := range []*mm.Task{p, c} {
		if got := rclSwapEntries(m, x); got != 0 || x.MM.Rss[mm.MMSwapEnts] != 0 {
			t.Fatalf("pid %d: %d PTEs hold swap entries (MM_SWAPENTS %d)", x.PID, got, x.MM.Rss[mm.MMSwapEnts])
		}
	}
	// Shared entries came back as one page mapped by both.
	for i := uint64(0); i < n; i++ {
		pp, cp := rclPFN(t, m, p, base+i*rclPage), rclPFN(t, m, c, base+i*rclPage)
		if pp != cp || m.Phys.Mapcount(phys.PFN(pp)) != 2 {
			t.Fatalf("page %d: parent %#x child %#x mapcount %d", i, pp, cp, m.Phys.Mapcount(phys.PFN(pp)))
		}
	}
	for i := uint64(0); i < n; i++ {
		if got := rclGet(t, m, c, base+i*rclPage); got != rclVal(p.PID, i) {
			t.Fatalf("child reads the parent's page %d as %#x", i, got)
		}
		if got := rclGet(t, m, c, cb+i*rclPage); got != rclVal(c.PID, i) {
			t.Fatalf("child page %d reads %#x", i, got)
		}
	}
	rclRun(t, m, p)
	for i := uint64(0); i < n; i++ {
		if got := rclGet(t, m, p, base+i*rclPage); got != rclVal(p.PID, i) {
			t.Fatalf("parent page %d reads %#x", i, got)
		}
	}
	if p.MajFlt+c.MajFlt != maj {
		t.Fatalf("reads after swapoff made %d major faults", p.MajFlt+c.MajFlt-maj)
	}
	// Off: MADV_PAGEOUT and memory pressure write nothing to swap.
	out := sw.Out
	if err := m.Procs.Madvise(p, base, n*rclPage, mm.MadvPageout); err != nil {
		t.Fatal(err)
	}
	if err := m.Procs.Swapoff(); rclErrno(err) != mm.EINVAL {
		t.Fatalf("swapoff twice: %v", err)
	}
	if err := m.Procs.Swapon(); err != nil {
		t.Fatal(err)
	}
	rclCheck(t, m, "swapon")
	if err := m.Procs.Swapon(); rclErrno(err) != mm.EBUSY {
		t.Fatalf("swapon twice: %v", err)
	}
	if sw.Out != out {
		t.Fatalf("%d pages went to swap while it was off", sw.Out-out)
	}
	// On again: pages of the parent alone go.
	if err := m.Procs.Madvise(c, cb, n*rclPage, mm.MadvPageout); err != nil {
		t.Fatal(err)
	}
	rclCheck(t, m, "pageout after swapon")
	if sw.Used() != n {
		t.Fatalf("%d slots used after swapon and a pageout of %d pages", sw.Used(), n)
	}
	// No area at all.
	m2 := rclBoot(t, "x86 mem=32M")
	if err := m2.Procs.Swapoff(); rclErrno(err) != mm.EINVAL {
		t.Fatalf("swapoff without an area: %v", err)
	}
	if err := m2.Procs.Swapon(); rclErrno(err) != mm.EINVAL {
		t.Fatalf("swapon without an area: %v", err)
	}
}

// TestReclaimSwapoffPressure: with the area off, memory pressure cannot
// swap: reclaim finds nothing and the OOM killer runs instead.
func TestReclaimSwapoffPressure(t *testing.T) {
	m := rclBoot(t, "x86 mem=16M swap=16M")
	if err := m.Procs.Swapoff(); err != nil {
		t.Fatal(err)
	}
	p := rclSpawn(t, m, "hog")
	n := m.Phys.NrFreePages() + 100
	base := rclAnon(t, m, p, n, 0)
	var err error
	for i := uint64(0); i < n && err == nil; i++ {
		err = rclPut(m, p, base+i*rclPage, 1)
	}
	var oom *bug.OOM
	if !errors.As(err, &oom) || m.Reclaim.Swap.Out != 0 {
		t.Fatalf("error %v, %d pages written to swap", err, m.Reclaim.Swap.Out)
	}
	rclCheck(t, m, "oom")
}

// TestReclaimBadness is mm/oom_kill.c:oom_badness(): points = rss + swap
// entries (MM_SWAPENTS) + page-table pages, then oom_score_adj is
// normalized to pages, adj *= totalpages / 1000 (the division first),
// and added; -1000 (OOM_SCORE_ADJ_MIN) is never chosen (LONG_MIN).
func TestReclaimBadness(t *testing.T) {
	for _, tc := range []struct {
		v     reclaim.Victim
		total uint64
		want  int64
		ok    bool
	}{
		{reclaim.Victim{RSS: 1000, Swap: 200, PgtablePages: 3}, 3328, 1203, true},
		{reclaim.Victim{RSS: 1000, Swap: 200, PgtablePages: 3, ScoreAdj: -1000}, 3328, 0, false},
		{reclaim.Victim{RSS: 50, ScoreAdj: 300}, 4000, 50 + 300*4, true},
		{reclaim.Victim{RSS: 50, ScoreAdj: 1000}, 256000, 50 + 1000*256, true},
		{reclaim.Victim{RSS: 0, Swap: 7}, 4000, 7, true},
		{reclaim.Victim{RSS: 100, ScoreAdj: -20}, 4000, 100 - 20*4, true},
		// The normalization divides first: on 3328 pages adj 300 adds
		// 300*3 = 900, not 300*3328/1000 = 998.
		{reclaim.Victim{RSS: 50, ScoreAdj: 300}, 3328, 950, true},
		{reclaim.Victim{RSS: 10, ScoreAdj: 1000}, 999, 10, true},
		// Since Linux 5.9 the points are returned as they are, negative
		// ones too (no clamp to 1): oom_evaluate_task() keeps the
		// highest.
		{reclaim.Victim{RSS: 100, ScoreAdj: -500}, 4000, -1900, true},
		{reclaim.Victim{RSS: 50, ScoreAdj: -999}, 4000, 50 - 999*4, true},
	} {
		got, ok := reclaim.Badness(tc.v, tc.total)
		if ok != tc.ok || ok && got != tc.want {
			t.Errorf("Badness(%+v, %d) = %d, %v; want %d, %v", tc.v, tc.total, got, ok, tc.want, tc.ok)
		}
	}
}
