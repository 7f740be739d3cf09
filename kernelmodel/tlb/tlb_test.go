package tlb_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"mmsim/kernelmodel"
	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/bug"
	"mmsim/kernelmodel/pgtable"
	"mmsim/kernelmodel/phys"
	"mmsim/kernelmodel/tlb"
)

// The machines, one per paging format (facts §8 "Page-table formats").
const (
	m2Level = "x86 mem=1G"
	mPAE    = "x86 paging=pae mem=8G"
	m4Level = "x86_64 mem=4G"
	m5Level = "x86_64 paging=5level mem=4G"
)

var allFormats = []string{m2Level, mPAE, m4Level, m5Level}

// Entry bits of the kernel's protections: PAGE_KERNEL is
// PRESENT|RW|ACCESSED|DIRTY|GLOBAL|NX, PAGE_KERNEL_RO drops RW,
// PAGE_KERNEL_EXEC drops NX.
const (
	pageKernel     = pgtable.Present | pgtable.RW | pgtable.Accessed | pgtable.Dirty | pgtable.Global | pgtable.NX
	pageKernelRO   = pageKernel &^ pgtable.RW
	pageKernelExec = pageKernel &^ pgtable.NX
)

// Page-fault error codes (facts §8: bit 0 PROT, 1 WRITE, 2 USER, 4 INSTR).
const (
	prot  = tlb.PFProt
	write = tlb.PFWrite
	usr   = tlb.PFUser
	instr = tlb.PFInstr
)

func boot(t testing.TB, line string) *kernelmodel.Machine {
	t.Helper()
	m, err := kernelmodel.BootLine(line)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func frame(t testing.TB, m *kernelmodel.Machine, owner phys.Owner) phys.PFN {
	t.Helper()
	pfn, ok, err := m.Phys.AllocPages(phys.Request{GFP: phys.GFPHighUser, Order: 0, Owner: owner, Tag: "test"})
	if err != nil || !ok {
		t.Fatalf("alloc_pages: ok=%v err=%v", ok, err)
	}
	return pfn
}

// vmap maps one new frame at VMALLOC_START + i pages.
func vmap(t testing.TB, m *kernelmodel.Machine, i int, flags pgtable.Entry) (arch.VirtAddr, phys.PFN) {
	t.Helper()
	va := m.Layout.VmallocStart + arch.VirtAddr(i)*arch.PageSize
	pfn := frame(t, m, phys.OwnerVmalloc)
	if ok, err := m.PT.MapKernel(va, pfn.Addr(), m.PT.F.PTELevel(), flags, "vmap"); !ok || err != nil {
		t.Fatalf("MapKernel(%#x): ok=%v err=%v", uint64(va), ok, err)
	}
	return va, pfn
}

func newPGD(t testing.TB, m *kernelmodel.Machine, name string) *pgtable.PGD {
	t.Helper()
	g, ok, err := m.PT.NewPGD(name)
	if err != nil || !ok {
		t.Fatalf("NewPGD: ok=%v err=%v", ok, err)
	}
	return g
}

func mapUser(t testing.TB, m *kernelmodel.Machine, g *pgtable.PGD, va arch.VirtAddr, flags pgtable.Entry) phys.PFN {
	t.Helper()
	pfn := frame(t, m, phys.OwnerUser)
	if ok, err := m.PT.MapUser(g, va, pfn.Addr(), flags, "fault"); !ok || err != nil {
		t.Fatalf("MapUser(%#x): ok=%v err=%v", uint64(va), ok, err)
	}
	return pfn
}

func translate(t testing.TB, m *kernelmodel.Machine, cpu int, va arch.VirtAddr, acc tlb.Access, user bool) phys.PhysAddr {
	t.Helper()
	pa, f := m.MMU.Translate(cpu, va, acc, user)
	if f != nil {
		t.Fatalf("CPU %d %s of %#x: %v (code %#x)", cpu, acc, uint64(va), f, f.Code)
	}
	return pa
}

func cached(m *kernelmodel.Machine, cpu int, va arch.VirtAddr) bool {
	_, ok := m.MMU.TLBs[cpu].Peek(va, m.MMU.Shifts())
	return ok
}

func vas(es []tlb.Entry) []arch.VirtAddr {
	out := []arch.VirtAddr{}
	for _, e := range es {
		out = append(out, e.VA)
	}
	return out
}

func wantRule(t *testing.T, err error, rule string) {
	t.Helper()
	var inv *bug.Invariant
	if !errors.As(err, &inv) || inv.Rule != rule {
		t.Fatalf("Check = %v; want rule %s", err, rule)
	}
}

func page(i int) tlb.Entry {
	return tlb.Entry{VA: arch.VirtAddr(i) << 12, PA: phys.PhysAddr(i+100) << 12, Shift: 12, Flags: pgtable.Present}
}

func global(e tlb.Entry) tlb.Entry {
	e.Flags |= pgtable.Global
	return e
}

// TestLRUOrder: a full TLB evicts its least recently used entry;
// re-inserting an entry makes it the most recent; Peek does not; FlushOne
// removes an entry from anywhere in the order and frees its slot.
// Entries lists the most recent first. FlushOne is the invlpg instruction:
// it counts in Invlpg, a hardware counter, and never in the kernel's
// vmstat events, which only the kernel's flush functions count
// (arch/x86/mm/tlb.c).
func TestLRUOrder(t *testing.T) {
	type op struct {
		do   func(tl *tlb.TLB)
		want []int // VAs >> 12, most recent first
	}
	ins := func(i int) func(*tlb.TLB) { return func(tl *tlb.TLB) { tl.Insert(page(i)) } }
	peek := func(i int) func(*tlb.TLB) { return func(tl *tlb.TLB) { tl.Peek(page(i).VA, []uint{12}) } }
	inv := func(i int) func(*tlb.TLB) { return func(tl *tlb.TLB) { tl.FlushOne(page(i).VA, []uint{12}) } }
	ops := []op{
		{ins(1), []int{1}},
		{ins(2), []int{2, 1}},
		{ins(3), []int{3, 2, 1}},
		{ins(4), []int{4, 3, 2, 1}},
		{ins(5), []int{5, 4, 3, 2}},    // full: 1, the least recent, goes
		{ins(2), []int{2, 5, 4, 3}},    // a hit on 2 makes it the most recent
		{peek(3), []int{2, 5, 4, 3}},   // Peek leaves the order alone
		{ins(6), []int{6, 2, 5, 4}},    // so 3 goes
		{inv(5), []int{6, 2, 4}},       // invlpg from the middle
		{inv(6), []int{2, 4}},          // ... from the head
		{inv(4), []int{2}},             // ... from the tail
		{inv(9), []int{2}},             // nothing cached: nothing happens
		{ins(7), []int{7, 2}},          // the freed slots are reused
		{ins(8), []int{8, 7, 2}},       //
		{ins(9), []int{9, 8, 7, 2}},    //
		{ins(10), []int{10, 9, 8, 7}},  // and 2 is now the least recent
		{inv(10), []int{9, 8, 7}},      //
		{ins(11), []int{11, 9, 8, 7}},  //
		{ins(12), []int{12, 11, 9, 8}}, //
	}
	tl := tlb.New(0, 4)
	for i, o := range ops {
		o.do(tl)
		var got []int
		for _, e := range tl.Entries() {
			got = append(got, int(e.VA>>12))
		}
		if d := cmp.Diff(o.want, got); d != "" {
			t.Fatalf("after op %d: entries (-want +got):\n%s", i, d)
		}
		if tl.Len() != len(o.want) {
			t.Fatalf("after op %d: Len %d, want %d", i, tl.Len(), len(o.want))
		}
	}
	// Evictions: 1, 3, 2 and 7 (the last two inserts into a full TLB);
	// five invlpg instructions, the one on the uncached page 9 included.
	want := tlb.Stats{Evictions: 4, Invlpg: 5}
	if tl.Stats != want {
		t.Errorf("stats %+v, want %+v", tl.Stats, want)
	}
	if tl.Size() != 4 {
		t.Errorf("Size %d", tl.Size())
	}
}

// TestFlushAll: a full flush empties the TLB; with keepGlobal (a CR3 load
// without PCID) the global entries stay, in their order. Either way it is
// one FullFlushes, a hardware count, and no vmstat event
// (nr_tlb_local_flush_all is counted by flush_tlb_func(), not here).
func TestFlushAll(t *testing.T) {
	for _, keep := range []bool{true, false} {
		tl := tlb.New(0, 8)
		for i := 1; i <= 6; i++ {
			e := page(i)
			if i%2 == 0 {
				e = global(e)
			}
			tl.Insert(e)
		}
		tl.FlushAll(keep)
		want := []arch.VirtAddr{}
		if keep {
			want = []arch.VirtAddr{6 << 12, 4 << 12, 2 << 12}
		}
		if d := cmp.Diff(want, vas(tl.Entries())); d != "" {
			t.Errorf("keepGlobal=%v: entries (-want +got):\n%s", keep, d)
		}
		for _, e := range tl.Entries() {
			if !e.Global() {
				t.Errorf("non-global entry %#x survived", uint64(e.VA))
			}
		}
		if tl.Len() != len(want) || tl.Stats != (tlb.Stats{FullFlushes: 1}) {
			t.Errorf("keepGlobal=%v: Len %d, stats %+v; want %d and one full flush only", keep, tl.Len(), tl.Stats, len(want))
		}
		// The TLB keeps working: fill it past its size.
		for i := 10; i < 20; i++ {
			tl.Insert(page(i))
		}
		if tl.Len() != 8 || tl.Entries()[0].VA != 19<<12 {
			t.Errorf("keepGlobal=%v: after refill Len %d, head %#x", keep, tl.Len(), uint64(tl.Entries()[0].VA))
		}
	}
}

// TestFlushOneLargePage: invlpg of any address inside a large page drops
// the large entry (the TLB is looked up with every page size).
func TestFlushOneLargePage(t *testing.T) {
	tl := tlb.New(0, 4)
	big := tlb.Entry{VA: 0x200000, PA: 0x800000, Shift: 21, Flags: pgtable.Present}
	tl.Insert(big)
	tl.Insert(page(0x345))
	shifts := []uint{12, 21}
	if e, ok := tl.Peek(0x3fffff, shifts); !ok || e != big || e.Size() != 2<<20 {
		t.Fatalf("Peek inside the 2 MiB page: %+v, %v", e, ok)
	}
	// 0x345000 has its own 4K entry: the smaller page is found first.
	if e, ok := tl.Peek(0x345678, shifts); !ok || e.Shift != 12 {
		t.Errorf("Peek(0x345678) = %+v, %v; want the 4K entry", e, ok)
	}
	tl.FlushOne(0x345000, shifts)
	if tl.Len() != 0 {
		t.Errorf("invlpg 0x345000 left %v", vas(tl.Entries()))
	}
}

// refTLB is a plain LRU list to check the TLB against: most recent first.
type refTLB struct {
	size  int
	es    []tlb.Entry
	stats tlb.Stats
}

func (r *refTLB) find(va arch.VirtAddr, shift uint) int {
	for i, e := range r.es {
		if e.Shift == shift && e.VA>>shift == va>>shift {
			return i
		}
	}
	return -1
}

func (r *refTLB) insert(e tlb.Entry) {
	if i := r.find(e.VA, e.Shift); i >= 0 {
		r.es = append(r.es[:i], r.es[i+1:]...)
	} else if len(r.es) == r.size {
		r.es = r.es[:len(r.es)-1]
		r.stats.Evictions++
	}
	r.es = append([]tlb.Entry{e}, r.es...)
}

func (r *refTLB) peek(va arch.VirtAddr, shifts []uint) (tlb.Entry, bool) {
	for _, s := range shifts {
		if i := r.find(va, s); i >= 0 {
			return r.es[i], true
		}
	}
	return tlb.Entry{}, false
}

func (r *refTLB) flushOne(va arch.VirtAddr, shifts []uint) {
	r.stats.Invlpg++
	for _, s := range shifts {
		if i := r.find(va, s); i >= 0 {
			r.es = append(r.es[:i], r.es[i+1:]...)
		}
	}
}

func (r *refTLB) flushAll(keep bool) {
	r.stats.FullFlushes++
	var out []tlb.Entry
	for _, e := range r.es {
		if keep && e.Global() {
			out = append(out, e)
		}
	}
	r.es = out
}

// TestAgainstReference runs a long fixed-seed sequence of inserts, peeks,
// invlpgs and full flushes on TLBs of several sizes and compares the
// entries, their order, Peek's answers and the counters with refTLB after
// every operation. The slot bookkeeping (slots moved on removal, the
// linked LRU list) must give the same answers as a plain list.
func TestAgainstReference(t *testing.T) {
	shifts := []uint{12, 21}
	for _, size := range []int{1, 2, 4, 7, 16} {
		rng := rand.New(rand.NewPCG(uint64(size), 42))
		tl, ref := tlb.New(0, size), &refTLB{size: size}
		// 24 4K pages in the first 4 MiB and the two 2 MiB pages there;
		// even pages are global.
		entry := func() tlb.Entry {
			if rng.IntN(6) == 0 {
				i := rng.IntN(2)
				return tlb.Entry{VA: arch.VirtAddr(i) << 21, PA: phys.PhysAddr(i+8) << 21, Shift: 21, Flags: pgtable.Present | pgtable.PSE}
			}
			e := page(rng.IntN(24) * 37 % 1024)
			if e.VA>>12%2 == 0 {
				e = global(e)
			}
			return e
		}
		for n := 0; n < 5000; n++ {
			var what string
			switch r := rng.IntN(20); {
			case r < 11:
				e := entry()
				what = fmt.Sprintf("insert %#x/%d", uint64(e.VA), e.Shift)
				tl.Insert(e)
				ref.insert(e)
			case r < 15:
				va := entry().VA + arch.VirtAddr(rng.IntN(4096))
				what = fmt.Sprintf("peek %#x", uint64(va))
				ge, gok := tl.Peek(va, shifts)
				we, wok := ref.peek(va, shifts)
				if ge != we || gok != wok {
					t.Fatalf("size %d op %d %s: got %+v %v, want %+v %v", size, n, what, ge, gok, we, wok)
				}
			case r < 19:
				va := entry().VA
				what = fmt.Sprintf("invlpg %#x", uint64(va))
				tl.FlushOne(va, shifts)
				ref.flushOne(va, shifts)
			default:
				keep := rng.IntN(2) == 0
				what = fmt.Sprintf("flush all keepGlobal=%v", keep)
				tl.FlushAll(keep)
				ref.flushAll(keep)
			}
			if d := cmp.Diff(ref.es, tl.Entries(), cmpopts.EquateEmpty()); d != "" {
				t.Fatalf("size %d op %d %s: entries (-want +got):\n%s", size, n, what, d)
			}
			if tl.Len() != len(ref.es) || tl.Stats != ref.stats {
				t.Fatalf("size %d op %d %s: Len %d stats %+v, want %d %+v", size, n, what, tl.Len(), tl.Stats, len(ref.es), ref.stats)
			}
		}
		if ref.stats.Evictions == 0 || ref.stats.FullFlushes == 0 || ref.stats.Invlpg == 0 {
			t.Errorf("size %d: the sequence never evicted or flushed: %+v", size, ref.stats)
		}
	}
}

// TestMMUReplacement: the same LRU order seen through Translate on a
// machine booted with tlb=4. On 2-level x86 the direct map is 4 MiB pages,
// so PAGE_OFFSET + k*4 MiB are five different entries.
func TestMMUReplacement(t *testing.T) {
	m := boot(t, "x86 mem=1G tlb=4 cpus=1")
	po := m.Layout.PageOffset
	mb4 := func(k int) arch.VirtAddr { return po + arch.VirtAddr(k)<<22 }
	for _, k := range []int{0, 1, 2, 3, 0, 4, 1} {
		if pa := translate(t, m, 0, mb4(k)+0x123, tlb.Read, false); pa != phys.PhysAddr(k)<<22+0x123 {
			t.Fatalf("4 MiB page %d: pa %#x", k, uint64(pa))
		}
	}
	// Misses: 0 1 2 3, then 0 hits, 4 misses (evicting 1, the least
	// recent), 1 misses (evicting 2): 6 misses, 1 hit, 2 evictions.
	want := tlb.Stats{Hits: 1, Misses: 6, Evictions: 2}
	if s := m.MMU.TLBs[0].Stats; s != want {
		t.Errorf("stats %+v, want %+v", s, want)
	}
	if d := cmp.Diff([]arch.VirtAddr{mb4(1), mb4(4), mb4(0), mb4(3)}, vas(m.MMU.TLBs[0].Entries())); d != "" {
		t.Errorf("entries (-want +got):\n%s", d)
	}
	if m.MMU.Total() != want {
		t.Errorf("Total %+v, want %+v", m.MMU.Total(), want)
	}
}

// TestLargePageEntries: a TLB entry covers the page the leaf maps: the
// direct map's 4 MiB (2-level), 2 MiB (PAE) or 1 GiB (x86_64) pages, with
// the page's base addresses and the leaf's bits. Shifts lists the sizes,
// smallest first.
func TestLargePageEntries(t *testing.T) {
	tests := []struct {
		line   string
		shifts []uint
		shift  uint
	}{
		{m2Level, []uint{12, 22}, 22},
		{mPAE, []uint{12, 21}, 21},
		{m4Level, []uint{12, 21, 30}, 30},
		{m5Level, []uint{12, 21, 30}, 30},
	}
	for _, tc := range tests {
		m := boot(t, tc.line)
		if d := cmp.Diff(tc.shifts, m.MMU.Shifts()); d != "" {
			t.Errorf("%s: shifts (-want +got):\n%s", tc.line, d)
		}
		const off = 0x1234567 // 18.2 MiB into RAM
		va := m.Layout.PageOffset + off
		translate(t, m, 0, va, tlb.Read, false)
		_, leaf, _, _ := m.PT.Translate(m.PT.Init, va)
		size := uint64(1) << tc.shift
		want := []tlb.Entry{{VA: va &^ arch.VirtAddr(size-1), PA: phys.PhysAddr(off &^ (size - 1)), Shift: tc.shift, Flags: leaf}}
		if d := cmp.Diff(want, m.MMU.TLBs[0].Entries()); d != "" {
			t.Errorf("%s: entries (-want +got):\n%s", tc.line, d)
		}
		// Any address in the same page hits.
		translate(t, m, 0, va&^arch.VirtAddr(size-1)+arch.VirtAddr(size-1), tlb.Read, false)
		if s := m.MMU.TLBs[0].Stats; s.Hits != 1 || s.Misses != 1 {
			t.Errorf("%s: stats %+v, want 1 hit 1 miss", tc.line, s)
		}
	}
}

// TestSwitchMM: a CR3 load without PCID flushes every non-global entry and
// keeps the global ones (facts §8 "Context switch"); loading the address
// space already there is not a CR3 load. Each CR3 load counts in CR3Loads
// and, being a flush of the TLB, in FullFlushes; switch_mm_irqs_off()
// counts no vmstat event.
func TestSwitchMM(t *testing.T) {
	for _, line := range allFormats {
		t.Run(line, func(t *testing.T) {
			m := boot(t, line+" cpus=1")
			p, q := newPGD(t, m, "p"), newPGD(t, m, "q")
			const uva = 0x400000
			pp := mapUser(t, m, p, uva, pgtable.Present|pgtable.RW)
			qp := mapUser(t, m, q, uva, pgtable.Present|pgtable.RW)
			kva := m.Layout.PageOffset + 0x5000
			tl := m.MMU.TLBs[0]
			steps := []struct {
				to   *pgtable.PGD
				cr3  uint64
				user phys.PFN // the frame uva then translates to; 0: none
			}{
				{p, 1, pp},
				{p, 1, pp}, // the same mm: not a CR3 load, nothing flushed
				{q, 2, qp}, // only the global kernel entry survives
				{m.PT.Init, 3, 0},
			}
			for i, s := range steps {
				before := vas(tl.Entries())
				m.MMU.SwitchMM(0, s.to)
				if st := tl.Stats; st.CR3Loads != s.cr3 || st.FullFlushes != s.cr3 {
					t.Errorf("step %d: CR3Loads %d, FullFlushes %d; want %d each", i, st.CR3Loads, st.FullFlushes, s.cr3)
				}
				if st := tl.Stats; st.Invlpg != 0 || st.LocalFlushAll != 0 || st.LocalFlushOne != 0 || st.RemoteFlush != 0 || st.RemoteFlushReceived != 0 {
					t.Errorf("step %d: stats %+v; a CR3 load counts no invlpg and no vmstat event", i, st)
				}
				got := vas(tl.Entries())
				switch {
				case i == 1:
					if d := cmp.Diff(before, got); d != "" {
						t.Errorf("step %d: reloading the same mm changed the TLB (-before +after):\n%s", i, d)
					}
				case i == 2:
					// Only the global direct-map entry (its large page) survives.
					if len(got) != 1 || !tl.Entries()[0].Global() {
						t.Errorf("step %d: entries %#x, want only the global kernel one", i, got)
					}
				}
				if m.MMU.PGD(0) != s.to {
					t.Errorf("step %d: PGD(0) = %s, want %s", i, m.MMU.PGD(0).Name, s.to.Name)
				}
				if s.user != 0 {
					if pa := translate(t, m, 0, uva+0x10, tlb.Read, true); pa != s.user.Addr()+0x10 {
						t.Errorf("step %d: user %#x -> %#x, want %#x", i, uva, uint64(pa), uint64(s.user.Addr()+0x10))
					}
				} else if _, f := m.MMU.Translate(0, uva, tlb.Read, true); f == nil {
					t.Errorf("step %d: init_mm translates the user address", i)
				}
				translate(t, m, 0, kva, tlb.Read, false)
			}
			if d := cmp.Diff([]int{0}, m.MMU.Loaded(m.PT.Init)); d != "" {
				t.Errorf("Loaded(init_mm) (-want +got):\n%s", d)
			}
			if got := m.MMU.Loaded(p); len(got) != 0 {
				t.Errorf("Loaded(p) = %v", got)
			}
			if err := m.Check(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// stats is every CPU's counters, to take differences of.
func stats(m *kernelmodel.Machine) []tlb.Stats {
	out := make([]tlb.Stats, len(m.MMU.TLBs))
	for c, t := range m.MMU.TLBs {
		out[c] = t.Stats
	}
	return out
}

// delta is what each counter gained from before to after.
func delta(after, before tlb.Stats) tlb.Stats {
	return tlb.Stats{
		Hits: after.Hits - before.Hits, Misses: after.Misses - before.Misses, Evictions: after.Evictions - before.Evictions,
		Invlpg: after.Invlpg - before.Invlpg, FullFlushes: after.FullFlushes - before.FullFlushes, CR3Loads: after.CR3Loads - before.CR3Loads,
		LocalFlushAll: after.LocalFlushAll - before.LocalFlushAll, LocalFlushOne: after.LocalFlushOne - before.LocalFlushOne,
		RemoteFlush: after.RemoteFlush - before.RemoteFlush, RemoteFlushReceived: after.RemoteFlushReceived - before.RemoteFlushReceived,
	}
}

// TestFlushKernelRange: flush_tlb_kernel_range() (arch/x86/mm/tlb.c) runs
// on every CPU by on_each_cpu(), whichever CPU asks. Up to
// tlb_single_page_flush_ceiling = 33 pages each CPU runs
// do_kernel_range_flush(): one invlpg per page (flush_tlb_one_kernel()),
// and no vmstat event at all, on the sender or the others. Above, each CPU
// runs do_flush_tlb_all(): a full flush, global entries too
// (__flush_tlb_all()), and one nr_tlb_remote_flush_received, the sender's
// own CPU included; nobody counts nr_tlb_remote_flush, which only
// flush_tlb_all() and flush_tlb_multi() count (facts §8 "TLB").
func TestFlushKernelRange(t *testing.T) {
	for _, cpus := range []int{1, 2, 4} {
		for _, pages := range []int{1, 33, 34} {
			t.Run(fmt.Sprintf("cpus=%d/pages=%d", cpus, pages), func(t *testing.T) {
				m := boot(t, fmt.Sprintf("x86_64 mem=1G cpus=%d", cpus))
				var va [40]arch.VirtAddr
				for i := range va {
					va[i], _ = vmap(t, m, i, pageKernel)
				}
				direct := m.Layout.PageOffset
				// Each CPU caches pages 0, 32, 33 and 39 and the direct map.
				touched := []arch.VirtAddr{va[0], va[32], va[33], va[39], direct}
				for c := 0; c < cpus; c++ {
					for _, v := range touched {
						translate(t, m, c, v, tlb.Read, false)
					}
				}
				before := stats(m)
				sender := cpus - 1
				m.MMU.FlushKernelRange(sender, va[0], va[0]+arch.VirtAddr(pages)*arch.PageSize)

				// The same on every CPU, the sender included.
				var want tlb.Stats
				var left []arch.VirtAddr
				if pages <= tlb.FlushCeiling {
					want.Invlpg = uint64(pages)
					for _, v := range touched {
						if v < va[0] || v >= va[pages] {
							left = append(left, v)
						}
					}
				} else {
					want.FullFlushes = 1
					want.RemoteFlushReceived = 1
				}
				for c := 0; c < cpus; c++ {
					if got := delta(m.MMU.TLBs[c].Stats, before[c]); got != want {
						t.Errorf("CPU %d: counters went up by %+v, want %+v", c, got, want)
					}
					var still []arch.VirtAddr
					for _, v := range touched {
						if cached(m, c, v) {
							still = append(still, v)
						}
					}
					if d := cmp.Diff(left, still); d != "" {
						t.Errorf("CPU %d: cached after the flush (-want +got):\n%s", c, d)
					}
				}
				if err := m.Check(); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

// TestFlushKernelRangeOnePage: a one-page kernel range (what vunmap of a
// one-page area or set_memory_ro() of one page flushes) is one invlpg on
// each CPU and counts no vmstat event anywhere: do_kernel_range_flush()
// calls flush_tlb_one_kernel(), which counts nothing, and
// flush_tlb_kernel_range() itself counts nothing either. The CPU that
// never cached the page executes the invlpg all the same.
func TestFlushKernelRangeOnePage(t *testing.T) {
	m := boot(t, "x86 mem=1G cpus=2")
	va, _ := vmap(t, m, 0, pageKernel)
	translate(t, m, 0, va, tlb.Read, false)
	before := stats(m)
	m.MMU.FlushKernelRange(0, va, va+arch.PageSize)
	for c := 0; c < 2; c++ {
		if got, want := delta(m.MMU.TLBs[c].Stats, before[c]), (tlb.Stats{Invlpg: 1}); got != want {
			t.Errorf("CPU %d: counters went up by %+v, want %+v", c, got, want)
		}
		if cached(m, c, va) {
			t.Errorf("CPU %d still caches %#x", c, uint64(va))
		}
	}
	if got := m.MMU.Total(); got.LocalFlushOne+got.LocalFlushAll+got.RemoteFlush+got.RemoteFlushReceived != 0 {
		t.Errorf("Total %+v: a one-page kernel range counted a vmstat event", got)
	}
}

// TestMMUFlushAll: flush_tlb_all() counts nr_tlb_remote_flush once on the
// caller, even on a one-CPU machine where no IPI leaves it, then runs
// do_flush_tlb_all() on every CPU by on_each_cpu(): each one, the caller
// included, counts nr_tlb_remote_flush_received and flushes everything,
// global entries too (arch/x86/mm/tlb.c).
func TestMMUFlushAll(t *testing.T) {
	for _, tc := range []struct {
		cpus, caller int
	}{{1, 0}, {2, 1}, {2, 0}} {
		t.Run(fmt.Sprintf("cpus=%d/caller=%d", tc.cpus, tc.caller), func(t *testing.T) {
			m := boot(t, fmt.Sprintf("x86 mem=1G cpus=%d", tc.cpus))
			va, _ := vmap(t, m, 0, pageKernel)
			for c := 0; c < tc.cpus; c++ {
				translate(t, m, c, va, tlb.Read, false)
				translate(t, m, c, m.Layout.PageOffset, tlb.Read, false) // a global large page
			}
			before, totalBefore := stats(m), m.MMU.Total()
			m.MMU.FlushAll(tc.caller)
			for c := 0; c < tc.cpus; c++ {
				want := tlb.Stats{FullFlushes: 1, RemoteFlushReceived: 1}
				if c == tc.caller {
					want.RemoteFlush = 1
				}
				if got := delta(m.MMU.TLBs[c].Stats, before[c]); got != want {
					t.Errorf("CPU %d: counters went up by %+v, want %+v", c, got, want)
				}
				if n := m.MMU.TLBs[c].Len(); n != 0 {
					t.Errorf("CPU %d: %d entries survived flush_tlb_all", c, n)
				}
			}
			want := tlb.Stats{FullFlushes: uint64(tc.cpus), RemoteFlush: 1, RemoteFlushReceived: uint64(tc.cpus)}
			if got := delta(m.MMU.Total(), totalBefore); got != want {
				t.Errorf("Total: %+v, want %+v", got, want)
			}
			if err := m.Check(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestDrop: Drop removes a page from every CPU's TLB and counts nothing:
// it is the model's repair after a state the kernel forbids (a task that
// left its CPU holding a kmap_local slot), not an instruction.
func TestDrop(t *testing.T) {
	m := boot(t, "x86_64 mem=1G cpus=3")
	va, _ := vmap(t, m, 0, pageKernel)
	other, _ := vmap(t, m, 1, pageKernel)
	for c := 0; c < 3; c++ {
		translate(t, m, c, va+0x10, tlb.Read, false)
		translate(t, m, c, other, tlb.Read, false)
	}
	before := stats(m)
	m.MMU.Drop(va + 0x10) // any address in the page
	for c := 0; c < 3; c++ {
		if got := delta(m.MMU.TLBs[c].Stats, before[c]); got != (tlb.Stats{}) {
			t.Errorf("CPU %d: Drop counted %+v", c, got)
		}
		if cached(m, c, va) || !cached(m, c, other) {
			t.Errorf("CPU %d: after Drop caches the dropped page %v, the other %v; want false, true", c, cached(m, c, va), cached(m, c, other))
		}
	}
	// The TLBs changed: a PTE cleared afterwards without a flush is
	// coherent, since nobody caches it any more.
	m.PT.Clear(m.PT.Init, va)
	if err := m.MMU.Check(); err != nil {
		t.Fatal(err)
	}
}

// TestTotal: Total sums every counter of every CPU, the hardware ones
// (Invlpg, FullFlushes, CR3Loads) included.
func TestTotal(t *testing.T) {
	m := boot(t, "x86_64 mem=1G cpus=2")
	p := newPGD(t, m, "p")
	va, _ := vmap(t, m, 0, pageKernel)
	translate(t, m, 0, va, tlb.Read, false)
	translate(t, m, 0, va, tlb.Read, false)
	translate(t, m, 1, va, tlb.Read, false)
	m.MMU.SwitchMM(1, p)                                     // CPU 1: a CR3 load, a full flush
	m.MMU.FlushKernelRange(0, va, va+2*arch.PageSize)        // 2 invlpg on each CPU
	m.MMU.FlushRange(0, p, 0x400000, 0x400000+arch.PageSize) // CPU 0 sends, CPU 1 invlpg and receives
	m.MMU.FlushAll(1)                                        // a full flush on each, 1 sent, 2 received
	want := tlb.Stats{Hits: 1, Misses: 2, Invlpg: 5, FullFlushes: 3, CR3Loads: 1, RemoteFlush: 2, RemoteFlushReceived: 3}
	if got := m.MMU.Total(); got != want {
		t.Errorf("Total %+v, want %+v", got, want)
	}
	var sum tlb.Stats
	for _, s := range stats(m) {
		sum = tlb.Stats{
			Hits: sum.Hits + s.Hits, Misses: sum.Misses + s.Misses, Evictions: sum.Evictions + s.Evictions,
			Invlpg: sum.Invlpg + s.Invlpg, FullFlushes: sum.FullFlushes + s.FullFlushes, CR3Loads: sum.CR3Loads + s.CR3Loads,
			LocalFlushAll: sum.LocalFlushAll + s.LocalFlushAll, LocalFlushOne: sum.LocalFlushOne + s.LocalFlushOne,
			RemoteFlush: sum.RemoteFlush + s.RemoteFlush, RemoteFlushReceived: sum.RemoteFlushReceived + s.RemoteFlushReceived,
		}
	}
	if sum != want {
		t.Errorf("per-CPU counters sum to %+v, want %+v", sum, want)
	}
}

// TestFlushRange: flush_tlb_mm_range() flushes only on the CPUs that have
// the address space loaded (mm_cpumask): locally when the sender is one of
// them, by IPI on the others; a CPU running another mm keeps its entries.
// Full flushes (above 33 pages) keep global entries: user ranges hold no
// kernel mappings. The vmstat events are flush_tlb_func()'s and
// native_flush_tlb_multi()'s (arch/x86/mm/tlb.c): the sender, when it runs
// the mm, counts nr_tlb_local_flush_one per page or nr_tlb_local_flush_all
// once; each other CPU counts only nr_tlb_remote_flush_received (its flush
// is not local: no local event); the sender counts nr_tlb_remote_flush
// when another CPU was sent the flush. Invlpg and FullFlushes count what
// every CPU's TLB did.
func TestFlushRange(t *testing.T) {
	m := boot(t, "x86_64 mem=1G cpus=4")
	p, q := newPGD(t, m, "p"), newPGD(t, m, "q")
	const uva = 0x400000
	mapUser(t, m, p, uva, pgtable.Present|pgtable.RW)
	mapUser(t, m, q, uva, pgtable.Present|pgtable.RW)
	// CPU 0 runs a kernel thread (init_mm), 1 and 2 run p, 3 runs q.
	m.MMU.SwitchMM(1, p)
	m.MMU.SwitchMM(2, p)
	m.MMU.SwitchMM(3, q)
	if d := cmp.Diff([]int{1, 2}, m.MMU.Loaded(p)); d != "" {
		t.Fatalf("Loaded(p) (-want +got):\n%s", d)
	}
	fill := func() {
		for c := 0; c < 4; c++ {
			if c > 0 {
				translate(t, m, c, uva, tlb.Read, true)
			}
			translate(t, m, c, m.Layout.PageOffset, tlb.Read, false)
		}
	}
	// Each step: who flushes what, the counters each CPU gains, and which
	// CPUs still cache uva afterwards.
	type d = tlb.Stats
	tests := []struct {
		name   string
		flush  func()
		stats  [4]d
		cached [4]bool
	}{
		{"CPU 0 (not running p) flushes one page of p",
			func() { m.MMU.FlushRange(0, p, uva, uva+arch.PageSize) },
			[4]d{{RemoteFlush: 1}, {Invlpg: 1, RemoteFlushReceived: 1}, {Invlpg: 1, RemoteFlushReceived: 1}, {}},
			[4]bool{false, false, false, true}},
		{"CPU 1 flushes 34 pages of p",
			func() { m.MMU.FlushRange(1, p, uva, uva+34*arch.PageSize) },
			[4]d{{}, {FullFlushes: 1, LocalFlushAll: 1, RemoteFlush: 1}, {FullFlushes: 1, RemoteFlushReceived: 1}, {}},
			[4]bool{false, false, false, true}},
		{"CPU 3 flushes 33 pages of q: local only",
			func() { m.MMU.FlushRange(3, q, uva, uva+33*arch.PageSize) },
			[4]d{{}, {}, {}, {Invlpg: 33, LocalFlushOne: 33}},
			[4]bool{false, true, true, false}},
		{"CPU 2 flushes all of p",
			func() { m.MMU.FlushMM(2, p) },
			[4]d{{}, {FullFlushes: 1, RemoteFlushReceived: 1}, {FullFlushes: 1, LocalFlushAll: 1, RemoteFlush: 1}, {}},
			[4]bool{false, false, false, true}},
		{"CPU 3 flushes all of q: local only",
			func() { m.MMU.FlushMM(3, q) },
			[4]d{{}, {}, {}, {FullFlushes: 1, LocalFlushAll: 1}},
			[4]bool{false, true, true, false}},
	}
	for _, tc := range tests {
		fill()
		before := stats(m)
		tc.flush()
		for c := 0; c < 4; c++ {
			if got := delta(m.MMU.TLBs[c].Stats, before[c]); got != tc.stats[c] {
				t.Errorf("%s: CPU %d counters went up by %+v, want %+v", tc.name, c, got, tc.stats[c])
			}
			if got := cached(m, c, uva); got != tc.cached[c] {
				t.Errorf("%s: CPU %d caches the user page: %v, want %v", tc.name, c, got, tc.cached[c])
			}
			if !cached(m, c, m.Layout.PageOffset) {
				t.Errorf("%s: CPU %d lost its global kernel entry", tc.name, c)
			}
		}
		if err := m.Check(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
	}
}

// TestFlushRangeLocalRemote: the vmstat events of flush_tlb_mm_range()
// depend on who runs the mm. On two CPUs: when the sender alone runs it,
// the flush is local (flush_tlb_func() called directly, no IPI): one
// nr_tlb_local_flush_one per page and no remote event. When the other CPU
// alone runs it, cpumask_any_but() finds it and flush_tlb_multi() sends
// the flush: nr_tlb_remote_flush on the sender, which flushes nothing
// itself, and nr_tlb_remote_flush_received on the other, which counts no
// local event. When both run it, both happen. When nobody runs it, nothing
// is flushed or counted.
func TestFlushRangeLocalRemote(t *testing.T) {
	const uva, pages = 0x400000, 3
	type d = tlb.Stats
	for _, tc := range []struct {
		name    string
		running [2]bool // which CPUs run p
		want    [2]d    // CPU 0 sends the flush
	}{
		{"sender only", [2]bool{true, false}, [2]d{{Invlpg: pages, LocalFlushOne: pages}, {}}},
		{"other only", [2]bool{false, true}, [2]d{{RemoteFlush: 1}, {Invlpg: pages, RemoteFlushReceived: 1}}},
		{"both", [2]bool{true, true}, [2]d{{Invlpg: pages, LocalFlushOne: pages, RemoteFlush: 1}, {Invlpg: pages, RemoteFlushReceived: 1}}},
		{"neither", [2]bool{false, false}, [2]d{{}, {}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := boot(t, "x86 mem=1G cpus=2")
			p := newPGD(t, m, "p")
			for i := 0; i < pages; i++ {
				mapUser(t, m, p, uva+arch.VirtAddr(i)*arch.PageSize, pgtable.Present|pgtable.RW|pgtable.User)
			}
			for c, run := range tc.running {
				if run {
					m.MMU.SwitchMM(c, p)
					translate(t, m, c, uva, tlb.Read, true)
				}
			}
			before := stats(m)
			m.MMU.FlushRange(0, p, uva, uva+pages*arch.PageSize)
			for c := 0; c < 2; c++ {
				if got := delta(m.MMU.TLBs[c].Stats, before[c]); got != tc.want[c] {
					t.Errorf("CPU %d: counters went up by %+v, want %+v", c, got, tc.want[c])
				}
				if cached(m, c, uva) {
					t.Errorf("CPU %d still caches %#x", c, uva)
				}
			}
			if err := m.Check(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestTranslateFaults: the faults of facts §8 with their error codes (bit
// 0 PROT: 0 = not present; bit 1 WRITE; bit 2 USER; bit 4 INSTR), on each
// format. A user access needs _PAGE_USER, a write needs RW (CR0.WP: the
// kernel too), an instruction fetch needs NX clear, where the format has
// NX (PAE and x86_64; 2-level x86 has none, so it executes anything). Each
// case runs cold (TLB empty: the walk decides) and warm (after a kernel
// read cached the page, when it is present: the TLB entry decides, and a
// faulting access drops it).
func TestTranslateFaults(t *testing.T) {
	const (
		uRW   = 0x400000 // user data page, PRESENT|RW|NX
		uRO   = 0x401000 // user read-only page
		uSwap = 0x402000 // a swap PTE
		uNone = 0x500000 // nothing
	)
	type target int
	const (
		vRW    target = iota // PAGE_KERNEL vmalloc page
		vRO                  // PAGE_KERNEL_RO
		vX                   // PAGE_KERNEL_EXEC
		vNone                // an unmapped vmalloc page
		direct               // the direct map at 16 MiB (data, NX)
		user                 // one of the user pages
	)
	tests := []struct {
		name string
		at   target
		uva  arch.VirtAddr
		acc  tlb.Access
		usr  bool
		// code is the error code; -1 for no fault. codeNoNX is the code
		// on 2-level x86 when it differs.
		code, codeNoNX int
	}{
		{"kernel read", vRW, 0, tlb.Read, false, -1, -1},
		{"kernel write", vRW, 0, tlb.Write, false, -1, -1},
		{"kernel write to read-only", vRO, 0, tlb.Write, false, prot | write, prot | write},
		{"kernel read not present", vNone, 0, tlb.Read, false, 0, 0},
		{"kernel write not present", vNone, 0, tlb.Write, false, write, write},
		// The model reports INSTR on every format; real 32-bit paging
		// without PAE reports it only with CR4.SMEP set (Intel SDM 4.7).
		{"kernel exec not present", vNone, 0, tlb.Exec, false, instr, instr},
		{"kernel exec of NX data", vRW, 0, tlb.Exec, false, prot | instr, -1},
		{"kernel exec of the direct map", direct, 0, tlb.Exec, false, prot | instr, -1},
		{"kernel exec of kernel text", vX, 0, tlb.Exec, false, -1, -1},
		{"user read of a kernel page", vRW, 0, tlb.Read, true, prot | usr, prot | usr},
		{"user write of a kernel page", vRW, 0, tlb.Write, true, prot | write | usr, prot | write | usr},
		{"user read of the direct map", direct, 0, tlb.Read, true, prot | usr, prot | usr},
		{"user read", user, uRW, tlb.Read, true, -1, -1},
		{"user write", user, uRW, tlb.Write, true, -1, -1},
		{"user write to read-only", user, uRO, tlb.Write, true, prot | write | usr, prot | write | usr},
		{"user exec of NX data", user, uRW, tlb.Exec, true, prot | instr | usr, -1},
		{"kernel write to a user page", user, uRW, tlb.Write, false, -1, -1},
		{"user read not present", user, uNone, tlb.Read, true, usr, usr},
		{"user write not present", user, uNone, tlb.Write, true, write | usr, write | usr},
		{"user read of a swap PTE", user, uSwap, tlb.Read, true, usr, usr},
	}
	for _, line := range allFormats {
		for _, warm := range []bool{false, true} {
			for _, tc := range tests {
				t.Run(fmt.Sprintf("%s/warm=%v/%s", line, warm, tc.name), func(t *testing.T) {
					m := boot(t, line+" cpus=1")
					g := newPGD(t, m, "p")
					vrw, vrwPFN := vmap(t, m, 0, pageKernel)
					vro, vroPFN := vmap(t, m, 1, pageKernelRO)
					vx, vxPFN := vmap(t, m, 2, pageKernelExec)
					rwPFN := mapUser(t, m, g, uRW, pgtable.Present|pgtable.RW|pgtable.NX)
					roPFN := mapUser(t, m, g, uRO, pgtable.Present)
					swp, _ := m.PT.F.SwapEntry(2, 7)
					if err := m.PT.SetSwap(g, uSwap, swp); err != nil {
						t.Fatal(err)
					}
					m.MMU.SwitchMM(0, g)
					var va arch.VirtAddr
					var pa phys.PhysAddr
					switch tc.at {
					case vRW:
						va, pa = vrw+0x10, vrwPFN.Addr()+0x10
					case vRO:
						va, pa = vro+0x10, vroPFN.Addr()+0x10
					case vX:
						va, pa = vx+0x10, vxPFN.Addr()+0x10
					case vNone:
						va = m.Layout.VmallocStart + 3*arch.PageSize
					case direct:
						va, pa = m.Layout.PageOffset+16<<20, 16<<20
					case user:
						va = tc.uva + 0x10
						switch tc.uva {
						case uRW:
							pa = rwPFN.Addr() + 0x10
						case uRO:
							pa = roPFN.Addr() + 0x10
						}
					}
					present := pa != 0
					if warm && present {
						// A kernel read is allowed on every present page.
						translate(t, m, 0, va, tlb.Read, false)
						if !cached(m, 0, va) {
							t.Fatal("the kernel read did not fill the TLB")
						}
					}
					want := tc.code
					if !m.PT.F.HasNX {
						want = tc.codeNoNX
					}
					got, f := m.MMU.Translate(0, va, tc.acc, tc.usr)
					if want < 0 {
						if f != nil || got != pa {
							t.Fatalf("Translate = %#x, %v; want %#x", uint64(got), f, uint64(pa))
						}
						if !cached(m, 0, va) {
							t.Errorf("a successful translation is not cached")
						}
					} else {
						if f == nil {
							t.Fatalf("Translate = %#x; want a fault with code %#x", uint64(got), want)
						}
						if f.Code != uint(want) || f.GP || f.VA != va {
							t.Errorf("fault %+v; want code %#x at %#x", f, want, uint64(va))
						}
						if cached(m, 0, va) {
							t.Errorf("the faulting page is still in the TLB")
						}
						if tc.uva == uSwap && f.Leaf != swp {
							t.Errorf("fault leaf %#x, want the swap entry %#x", uint64(f.Leaf), uint64(swp))
						}
						if !strings.Contains(f.Error(), map[bool]string{true: "protection fault", false: "not present"}[want&prot != 0]) {
							t.Errorf("fault message %q", f.Error())
						}
					}
					if err := m.Check(); err != nil {
						t.Fatal(err)
					}
				})
			}
		}
	}
}

// TestExecKernelImage: under PAE the direct map's first 2 MiB pages hold
// the kernel image (below 3 MiB) and stay executable; the data above is NX.
// On x86_64 the direct map is all NX and the text runs from
// __START_KERNEL_map.
func TestExecKernelImage(t *testing.T) {
	tests := []struct {
		line string
		va   arch.VirtAddr
		ok   bool
	}{
		{mPAE, 0xC0001000, true},
		{mPAE, 0xC0201000, true},  // the 2 MiB page holding [2 MiB, 3 MiB)
		{mPAE, 0xC0401000, false}, // pa 4 MiB: above the image
		{m2Level, 0xC0401000, true},
		{m4Level, 0xffff888000001000, false},
		{m4Level, 0xffffffff80001000, true},
	}
	for _, tc := range tests {
		m := boot(t, tc.line)
		_, f := m.MMU.Translate(0, tc.va, tlb.Exec, false)
		if (f == nil) != tc.ok {
			t.Errorf("%s: exec at %#x: fault %v, want ok %v", tc.line, uint64(tc.va), f, tc.ok)
		}
	}
}

// TestNonCanonicalGP: a non-canonical address raises a general protection
// fault, not a page fault.
func TestNonCanonicalGP(t *testing.T) {
	for _, tc := range []struct {
		line string
		va   arch.VirtAddr
	}{{m4Level, 0x0000800000000000}, {m5Level, 0x0100000000000000}} {
		m := boot(t, tc.line)
		_, f := m.MMU.Translate(0, tc.va, tlb.Read, false)
		if f == nil || !f.GP || !strings.Contains(f.Error(), "general protection") {
			t.Errorf("%s: Translate(%#x) = %+v, want a GP fault", tc.line, uint64(tc.va), f)
		}
	}
}

// TestDirtyBit: the CPU sets ACCESSED in the entries it walks and DIRTY in
// the leaf on a write; a write hitting a clean TLB entry sets DIRTY in the
// PTE (and the entry) without a miss.
func TestDirtyBit(t *testing.T) {
	for _, line := range allFormats {
		t.Run(line, func(t *testing.T) {
			m := boot(t, line+" cpus=1")
			va, _ := vmap(t, m, 0, pgtable.Present|pgtable.RW|pgtable.Global)
			leaf := func() pgtable.Entry {
				_, e, _, _ := m.PT.Translate(m.PT.Init, va)
				return e
			}
			tlbFlags := func() pgtable.Entry {
				e, _ := m.MMU.TLBs[0].Peek(va, m.MMU.Shifts())
				return e.Flags
			}
			ad := pgtable.Accessed | pgtable.Dirty
			steps := []struct {
				acc          tlb.Access
				pte, cached  pgtable.Entry // the A and D bits wanted afterwards
				hits, misses uint64
			}{
				{tlb.Read, pgtable.Accessed, pgtable.Accessed, 0, 1},
				{tlb.Read, pgtable.Accessed, pgtable.Accessed, 1, 1},
				{tlb.Write, ad, ad, 2, 1}, // a hit, and the PTE becomes dirty
				{tlb.Write, ad, ad, 3, 1},
			}
			for i, s := range steps {
				translate(t, m, 0, va, s.acc, false)
				if got := leaf() & ad; got != s.pte {
					t.Errorf("step %d: PTE A/D %s, want %s", i, got.FlagString(), s.pte.FlagString())
				}
				if got := tlbFlags() & ad; got != s.cached {
					t.Errorf("step %d: TLB A/D %s, want %s", i, got.FlagString(), s.cached.FlagString())
				}
				if st := m.MMU.TLBs[0].Stats; st.Hits != s.hits || st.Misses != s.misses {
					t.Errorf("step %d: %d hits %d misses, want %d and %d", i, st.Hits, st.Misses, s.hits, s.misses)
				}
			}
			// A write miss sets DIRTY directly: clean the PTE, flush, write.
			m.PT.Update(m.PT.Init, va, 0, ad)
			m.MMU.FlushOneKernel(0, va)
			translate(t, m, 0, va, tlb.Write, false)
			if got := leaf() & ad; got != ad {
				t.Errorf("write miss: PTE A/D %s", got.FlagString())
			}
			if err := m.Check(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestCheckCoherent: tlb-coherent holds while every cached translation
// maps the frame its PTE maps with no more rights than the PTE gives. A
// PTE changed without the flush the kernel owes breaks it; a stricter TLB
// entry (permissions relaxed without a flush, as the kernel does) does
// not; the Stale callback exempts lazily flushed vmalloc addresses.
func TestCheckCoherent(t *testing.T) {
	type env struct {
		m   *kernelmodel.Machine
		va  arch.VirtAddr // a PAGE_KERNEL vmalloc page cached on both CPUs
		ro  arch.VirtAddr // a PAGE_KERNEL_RO page cached on both CPUs
		p   *pgtable.PGD  // loaded on CPU 1
		uva arch.VirtAddr // p's user page, cached on CPU 1
	}
	tests := []struct {
		name   string
		change func(t *testing.T, e *env)
		bad    bool
	}{
		{"nothing changed", func(t *testing.T, e *env) {}, false},
		{"PTE cleared, no flush", func(t *testing.T, e *env) { e.m.PT.Clear(e.m.PT.Init, e.va) }, true},
		{"PTE cleared, flushed on one CPU only", func(t *testing.T, e *env) {
			e.m.PT.Clear(e.m.PT.Init, e.va)
			e.m.MMU.FlushOneKernel(0, e.va)
		}, true},
		{"PTE cleared and flush_tlb_kernel_range", func(t *testing.T, e *env) {
			e.m.PT.Clear(e.m.PT.Init, e.va)
			e.m.MMU.FlushKernelRange(0, e.va, e.va+arch.PageSize)
		}, false},
		{"PTE cleared, exempt as stale", func(t *testing.T, e *env) {
			e.m.PT.Clear(e.m.PT.Init, e.va)
			e.m.MMU.Stale = func(va arch.VirtAddr) bool { return va == e.va }
		}, false},
		{"PTE cleared, another address exempt", func(t *testing.T, e *env) {
			e.m.PT.Clear(e.m.PT.Init, e.va)
			e.m.MMU.Stale = func(va arch.VirtAddr) bool { return va == e.ro }
		}, true},
		{"remapped to another frame, no flush", func(t *testing.T, e *env) {
			e.m.PT.Clear(e.m.PT.Init, e.va)
			pfn := frame(t, e.m, phys.OwnerVmalloc)
			e.m.PT.MapKernel(e.va, pfn.Addr(), e.m.PT.F.PTELevel(), pageKernel, "vmap")
		}, true},
		{"write-protected, no flush", func(t *testing.T, e *env) { e.m.PT.Update(e.m.PT.Init, e.va, 0, pgtable.RW) }, true},
		{"write-protected and flushed", func(t *testing.T, e *env) {
			e.m.PT.Update(e.m.PT.Init, e.va, 0, pgtable.RW)
			e.m.MMU.FlushKernelRange(1, e.va, e.va+arch.PageSize)
		}, false},
		{"made writable, no flush (the TLB is stricter)", func(t *testing.T, e *env) { e.m.PT.Update(e.m.PT.Init, e.ro, pgtable.RW, 0) }, false},
		{"user PTE cleared, no flush", func(t *testing.T, e *env) { e.m.PT.Clear(e.p, e.uva) }, true},
		{"user PTE cleared and flush_tlb_mm_range", func(t *testing.T, e *env) {
			e.m.PT.Clear(e.p, e.uva)
			e.m.MMU.FlushRange(0, e.p, e.uva, e.uva+arch.PageSize)
		}, false},
	}
	for _, line := range allFormats {
		for _, tc := range tests {
			t.Run(line+"/"+tc.name, func(t *testing.T) {
				m := boot(t, line+" cpus=2")
				e := &env{m: m, p: newPGD(t, m, "p"), uva: 0x400000}
				e.va, _ = vmap(t, m, 0, pageKernel)
				e.ro, _ = vmap(t, m, 1, pageKernelRO)
				mapUser(t, m, e.p, e.uva, pgtable.Present|pgtable.RW)
				m.MMU.SwitchMM(1, e.p)
				for c := 0; c < 2; c++ {
					translate(t, m, c, e.va, tlb.Read, false)
					translate(t, m, c, e.ro, tlb.Read, false)
				}
				translate(t, m, 1, e.uva, tlb.Read, true)
				if err := m.MMU.Check(); err != nil {
					t.Fatal(err)
				}
				tc.change(t, e)
				err := m.MMU.Check()
				if tc.bad {
					wantRule(t, err, "tlb-coherent")
				} else if err != nil {
					t.Fatalf("Check = %v, want nil", err)
				}
			})
		}
	}
}

// TestCheckCoherentNX: setting NX (set_memory_nx) without a flush leaves a
// TLB entry that still executes: more than the PTE allows. Formats with NX
// only (2-level entries have no NX bit, so the update changes nothing).
func TestCheckCoherentNX(t *testing.T) {
	for _, line := range allFormats {
		m := boot(t, line)
		va, _ := vmap(t, m, 0, pageKernelExec)
		translate(t, m, 0, va, tlb.Exec, false)
		m.PT.Update(m.PT.Init, va, pgtable.NX, 0)
		err := m.MMU.Check()
		if m.PT.F.HasNX {
			wantRule(t, err, "tlb-coherent")
		} else if err != nil {
			t.Errorf("%s: %v", line, err)
		}
	}
}

// TestFlushToTheTop: a kernel range ending at the top of the address space
// is far above the 33-page ceiling and is one full flush per CPU
// (do_flush_tlb_all() on each, each counting nr_tlb_remote_flush_received),
// without a page count that overflows or a loop that wraps; the last page
// alone is one invlpg per CPU and counts no event.
func TestFlushToTheTop(t *testing.T) {
	m := boot(t, "x86_64 mem=1G cpus=2")
	m.MMU.FlushKernelRange(0, 0, ^arch.VirtAddr(0))
	m.MMU.FlushKernelRange(0, ^arch.VirtAddr(0)&^(arch.PageSize-1), ^arch.VirtAddr(0))
	want := tlb.Stats{Invlpg: 1, FullFlushes: 1, RemoteFlushReceived: 1}
	if s0, s1 := m.MMU.TLBs[0].Stats, m.MMU.TLBs[1].Stats; s0 != want || s1 != want {
		t.Errorf("cpu0 %+v cpu1 %+v; want %+v each", s0, s1, want)
	}
}
