package kernelmodel_test

// Tests of the vmalloc area on whole booted machines (kernelmodel/vmalloc
// wired into kernelmodel.Machine). The kernel rules and the numbers come
// from /work/shared/reference/linux-mm-facts.md, cited as "facts §6" (vmalloc
// and the x86-32 layout), "facts §7" (highmem) and "facts §8" (TLB). Every
// test calls m.Check() after each step: a violated invariant is a bug of the
// model, whatever the test is about.

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"mmsim/kernelmodel"
	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/bug"
	"mmsim/kernelmodel/phys"
	"mmsim/kernelmodel/tlb"
	"mmsim/kernelmodel/vmalloc"
)

const page = arch.PageSize

// vmBoot boots a machine from a machine line ("x86 mem=1G cpus=1") and checks
// its invariants once.
func vmBoot(t *testing.T, line string) *kernelmodel.Machine {
	t.Helper()
	m, err := kernelmodel.Boot(mustConfig(t, line))
	if err != nil {
		t.Fatalf("boot %q: %v", line, err)
	}
	check(t, m, "boot")
	return m
}

// check runs every invariant of the machine after a step of a test.
func check(t testing.TB, m *kernelmodel.Machine, step string) {
	t.Helper()
	if err := m.Check(); err != nil {
		var inv *bug.Invariant
		if errors.As(err, &inv) {
			t.Fatalf("after %s: invariant %s violated: %s", step, inv.Rule, inv.Detail)
		}
		t.Fatalf("after %s: Check: %v", step, err)
	}
}

// isBug reports whether err is a kernel BUG (*bug.Error).
func isBug(err error) bool {
	var b *bug.Error
	return errors.As(err, &b)
}

// noWarnings fails when the machine printed a warning since the last call.
func noWarnings(t testing.TB, m *kernelmodel.Machine, step string) {
	t.Helper()
	if w := m.TakeWarnings(); len(w) != 0 {
		t.Errorf("after %s: unexpected warnings %q", step, w)
	}
}

// takeWarning takes the warnings and fails unless one contains want.
func takeWarning(t testing.TB, m *kernelmodel.Machine, step, want string) []string {
	t.Helper()
	w := m.TakeWarnings()
	for _, s := range w {
		if strings.Contains(s, want) {
			return w
		}
	}
	t.Errorf("after %s: warnings %q, want one containing %q", step, w, want)
	return w
}

// vmallocReq is a vmalloc() call as the stdlib built-in makes it.
func vmallocReq(size uint64, gfp phys.GFP) vmalloc.Request {
	return vmalloc.Request{Size: size, GFP: gfp, Caller: "test", Func: "vmalloc"}
}

// mustVmalloc allocates and returns the area, failing the test on NULL or
// error.
func mustVmalloc(t testing.TB, m *kernelmodel.Machine, size uint64, gfp phys.GFP) *vmalloc.Area {
	t.Helper()
	va, ok, err := m.Vmalloc.Alloc(vmallocReq(size, gfp))
	if err != nil || !ok {
		t.Fatalf("vmalloc(%d, %s) = %#x, %v, %v", size, gfp, uint64(va), ok, err)
	}
	a, found := m.Vmalloc.Find(va)
	if !found || a.Addr != va {
		t.Fatalf("vmalloc(%d) returned %#x, which starts no area", size, uint64(va))
	}
	check(t, m, fmt.Sprintf("vmalloc(%d)", size))
	return a
}

// mustVfree frees an area in the current context, failing on an error.
func mustVfree(t testing.TB, m *kernelmodel.Machine, va arch.VirtAddr) {
	t.Helper()
	if err := m.Vmalloc.Free(va); err != nil {
		t.Fatalf("vfree(%#x): %v", uint64(va), err)
	}
	check(t, m, fmt.Sprintf("vfree(%#x)", uint64(va)))
}

func enter(t testing.TB, m *kernelmodel.Machine, k kernelmodel.ContextKind) {
	t.Helper()
	if err := m.EnterContext(kernelmodel.Context{Kind: k}); err != nil {
		t.Fatalf("enter %s: %v", k, err)
	}
	check(t, m, "enter "+string(k))
}

func leave(t testing.TB, m *kernelmodel.Machine) {
	t.Helper()
	m.LeaveContext()
	check(t, m, "leave context")
}

// zoneOf is the name of the zone a frame belongs to.
func zoneOf(t testing.TB, m *kernelmodel.Machine, pfn phys.PFN) string {
	t.Helper()
	info, err := m.Phys.Page(pfn)
	if err != nil {
		t.Fatalf("page %#x: %v", uint64(pfn), err)
	}
	return info.Zone.Name
}

// snapshot is what a failed call must leave unchanged.
type snapshot struct {
	free      uint64
	zoneFree  []uint64
	ptPages   int
	areas     []vmalloc.Area
	lazy      uint64
	allocs    uint64
	frees     uint64
	used      uint64
	tlbTotals tlb.Stats
}

func snap(m *kernelmodel.Machine) snapshot {
	s := snapshot{free: m.Phys.NrFreePages(), ptPages: m.PT.Allocated, lazy: m.Vmalloc.LazyPages(),
		allocs: m.Vmalloc.Stats.Allocs, frees: m.Vmalloc.Stats.Frees, used: m.Vmalloc.Used(), tlbTotals: m.MMU.Total()}
	for _, z := range m.Phys.Zones {
		s.zoneFree = append(s.zoneFree, z.Free())
	}
	for _, a := range m.Vmalloc.Areas() {
		c := *a
		c.Pages = slices.Clone(a.Pages)
		c.ArrayArea = nil
		s.areas = append(s.areas, c)
	}
	return s
}

func sameSnapshot(t testing.TB, step string, before, after snapshot) {
	t.Helper()
	if before.free != after.free || !slices.Equal(before.zoneFree, after.zoneFree) {
		t.Errorf("after %s: free pages %d %v, before %d %v", step, after.free, after.zoneFree, before.free, before.zoneFree)
	}
	if before.ptPages != after.ptPages {
		t.Errorf("after %s: %d page-table pages, before %d", step, after.ptPages, before.ptPages)
	}
	if len(before.areas) != len(after.areas) {
		t.Fatalf("after %s: %d areas, before %d", step, len(after.areas), len(before.areas))
	}
	for i := range before.areas {
		b, a := before.areas[i], after.areas[i]
		if b.Addr != a.Addr || b.Size != a.Size || b.State != a.State || !slices.Equal(b.Pages, a.Pages) || b.Array != a.Array {
			t.Errorf("after %s: area %d is %#x+%#x state %d, before %#x+%#x state %d", step, i, uint64(a.Addr), a.Size, a.State, uint64(b.Addr), b.Size, b.State)
		}
	}
	if before.lazy != after.lazy || before.allocs != after.allocs || before.frees != after.frees || before.used != after.used {
		t.Errorf("after %s: lazy %d allocs %d frees %d used %d, before %d %d %d %d", step,
			after.lazy, after.allocs, after.frees, after.used, before.lazy, before.allocs, before.frees, before.used)
	}
	if before.tlbTotals != after.tlbTotals {
		t.Errorf("after %s: TLB counters %+v, before %+v", step, after.tlbTotals, before.tlbTotals)
	}
}

// TestVmallocSizeRoundedPlusGuard checks the size rules (facts §6 "Guard
// page" and "Page granularity"): the size is rounded up to whole pages and
// one guard page is added, so Area.Size = pages*4096 + 4096 and
// DataSize() = pages*4096, as /proc/vmallocinfo shows (20480 for pages=4).
// Each area is the first one, so it starts at VMALLOC_START.
func TestVmallocSizeRoundedPlusGuard(t *testing.T) {
	cases := []struct {
		size  uint64
		pages uint64
	}{
		{1, 1},
		{page - 1, 1},
		{page, 1},
		{page + 1, 2},
		{4 * page, 4},
		{100000, 25}, // 100000/4096 = 24.4 → 25 pages
		{1 << 20, 256},
	}
	for _, line := range []string{"x86 mem=1G", "x86 mem=1G paging=pae", "x86_64 mem=4G", "x86_64 mem=4G paging=5level"} {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%s/%d", line, c.size), func(t *testing.T) {
				m := vmBoot(t, line)
				a := mustVmalloc(t, m, c.size, phys.GFPKernel)
				if a.Addr != m.Layout.VmallocStart {
					t.Errorf("first area at %#x, want VMALLOC_START %#x", uint64(a.Addr), uint64(m.Layout.VmallocStart))
				}
				if want := c.pages*page + page; a.Size != want {
					t.Errorf("Size %d, want %d pages + guard = %d", a.Size, c.pages, want)
				}
				if a.DataSize() != c.pages*page || uint64(len(a.Pages)) != c.pages {
					t.Errorf("DataSize %d with %d pages, want %d pages", a.DataSize(), len(a.Pages), c.pages)
				}
				if a.End() != a.Addr+arch.VirtAddr(c.pages+1)*page {
					t.Errorf("End %#x", uint64(a.End()))
				}
				if a.State != vmalloc.Busy || a.Flags&vmalloc.VMAlloc == 0 || a.Caller != "test" {
					t.Errorf("area state %d flags %#x caller %q", a.State, a.Flags, a.Caller)
				}
				if m.Vmalloc.Used() != c.pages || m.Vmalloc.Stats.Allocs != 1 {
					t.Errorf("Used %d, Allocs %d", m.Vmalloc.Used(), m.Vmalloc.Stats.Allocs)
				}
				noWarnings(t, m, "vmalloc")
			})
		}
	}
}

// TestVmallocLowestFitAndLazyReuse follows the address search (facts §6
// "Address search": the lowest fit from VMALLOC_START) and the lazy TLB
// flush (facts §6 "Lazy TLB flush"): x86 mem=1G has VMALLOC_START
// 0xF8800000 (facts §6, the 896 MiB variant: high_memory 0xF8000000 + 8
// MiB); the second area starts right after the first one's guard page; a
// freed area's addresses stay taken (Stale, no reuse) until the purge, and
// the purge makes them the lowest fit again.
func TestVmallocLowestFitAndLazyReuse(t *testing.T) {
	m := vmBoot(t, "x86 mem=1G")
	const start = arch.VirtAddr(0xF8800000)
	if m.Layout.VmallocStart != start {
		t.Fatalf("VMALLOC_START %#x, want %#x", uint64(m.Layout.VmallocStart), uint64(start))
	}
	a := mustVmalloc(t, m, 3*page, phys.GFPKernel) // 3 pages + guard: 0xF8800000-0xF8804000
	b := mustVmalloc(t, m, 2*page, phys.GFPKernel) // right after a's guard page
	if a.Addr != start || b.Addr != start+4*page || b.Addr != a.End() {
		t.Fatalf("areas at %#x and %#x, want %#x and %#x", uint64(a.Addr), uint64(b.Addr), uint64(start), uint64(start+4*page))
	}
	guard := a.End() - page
	if got, ok := m.Vmalloc.Find(guard); !ok || got != a {
		t.Errorf("Find(guard page %#x) = %v, %v, want area a", uint64(guard), got, ok)
	}

	// vfree(a): unmapped at once, addresses kept for the lazy purge.
	mustVfree(t, m, a.Addr)
	if a.State != vmalloc.Lazy || a.Pages != nil {
		t.Errorf("freed area state %d with %d pages, want Lazy with none", a.State, len(a.Pages))
	}
	if m.Vmalloc.LazyPages() != 4 { // 3 pages + guard (va_size includes the guard)
		t.Errorf("LazyPages %d, want 4", m.Vmalloc.LazyPages())
	}
	for va := a.Addr; va < a.End(); va += page {
		if !m.Vmalloc.Stale(va) {
			t.Errorf("Stale(%#x) false before the purge", uint64(va))
		}
		if _, ok := m.Vmalloc.Find(va); ok {
			t.Errorf("Find(%#x) finds a lazily freed area", uint64(va))
		}
		if _, ok := m.Vmalloc.ToPage(va); ok {
			t.Errorf("freed address %#x is still mapped", uint64(va))
		}
	}
	if m.Vmalloc.Stale(b.Addr) || m.Vmalloc.Stale(start-page) {
		t.Errorf("Stale true outside the freed area")
	}
	// Not reused: a 1-page request would fit in a's 4 pages, but they wait.
	c := mustVmalloc(t, m, page, phys.GFPKernel)
	if c.Addr != b.End() {
		t.Errorf("area after a free is at %#x, want %#x (after b): lazily freed addresses must not be reused", uint64(c.Addr), uint64(b.End()))
	}
	if m.Vmalloc.Stats.Purges != 0 {
		t.Errorf("Purges %d before any purge", m.Vmalloc.Stats.Purges)
	}

	if !m.Vmalloc.Purge() {
		t.Fatalf("Purge found nothing to purge")
	}
	check(t, m, "purge")
	if m.Vmalloc.Stale(a.Addr) || m.Vmalloc.LazyPages() != 0 || m.Vmalloc.Stats.Purges != 1 {
		t.Errorf("after purge: Stale %v, LazyPages %d, Purges %d", m.Vmalloc.Stale(a.Addr), m.Vmalloc.LazyPages(), m.Vmalloc.Stats.Purges)
	}
	if m.Vmalloc.Purge() {
		t.Errorf("second Purge reports work")
	}
	// Now a's 4 pages are the lowest fit again: a 1-page request (2 with
	// the guard) takes 0xF8800000, a 4-page one (5) does not fit in the 2
	// pages left and goes after c, and another 1-page one fills the hole.
	d := mustVmalloc(t, m, page, phys.GFPKernel)
	if d.Addr != start {
		t.Errorf("after the purge the lowest fit is %#x, want %#x", uint64(d.Addr), uint64(start))
	}
	e := mustVmalloc(t, m, 4*page, phys.GFPKernel)
	if e.Addr != c.End() {
		t.Errorf("5-page area at %#x, want %#x after c", uint64(e.Addr), uint64(c.End()))
	}
	f := mustVmalloc(t, m, 1, phys.GFPKernel) // 1 page + guard: the 2-page hole
	if f.Addr != start+2*page || f.End() != b.Addr {
		t.Errorf("2-page area at %#x, want the hole at %#x", uint64(f.Addr), uint64(start+2*page))
	}
	got := []arch.VirtAddr{}
	for _, x := range m.Vmalloc.Areas() {
		got = append(got, x.Addr)
	}
	if !slices.IsSorted(got) || len(got) != 5 {
		t.Errorf("Areas %#x, want 5 sorted", got)
	}
	noWarnings(t, m, "the sequence")
}

// TestVmallocPurgeFlushesEveryCPU checks that the lazy purge is a kernel
// range flush on every CPU (flush_tlb_kernel_range, facts §6 "Lazy TLB
// flush", facts §8 TLB; arch/x86/mm/tlb.c): on_each_cpu() runs it on every
// CPU, the purging one included. Up to 33 pages each CPU does one invlpg
// per page (do_kernel_range_flush()) and no vmstat event is counted
// anywhere; above, each CPU does a full flush (do_flush_tlb_all()) and
// counts one nr_tlb_remote_flush_received, and nobody counts
// nr_tlb_remote_flush. The range is the freed area including its guard
// page, so n data pages are n+1 pages. Until the purge the stale TLB
// entries are allowed (tlb-coherent exempts Stale ranges); after it they
// are gone.
func TestVmallocPurgeFlushesEveryCPU(t *testing.T) {
	cases := []struct {
		line      string
		cpus      int
		pages     uint64 // data pages; the range is pages+1
		fullFlush bool
	}{
		{"x86 mem=1G", 2, 1, false},
		{"x86 mem=1G", 2, 32, false}, // 33 pages: still invlpg (≤ 33)
		{"x86 mem=1G", 2, 33, true},  // 34 pages: full flush
		{"x86 mem=1G cpus=4", 4, 100, true},
		{"x86 mem=1G cpus=1", 1, 4, false}, // one CPU: no IPI at all
		{"x86_64 mem=4G", 2, 8, false},
		{"x86_64 mem=4G cpus=3", 3, 64, true},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/%dpages", c.line, c.pages), func(t *testing.T) {
			m := vmBoot(t, c.line)
			a := mustVmalloc(t, m, c.pages*page, phys.GFPKernel)
			// Every CPU touches the first and last page: TLB entries.
			last := a.Addr + arch.VirtAddr(c.pages-1)*page
			for cpu := 0; cpu < c.cpus; cpu++ {
				for _, va := range []arch.VirtAddr{a.Addr, last} {
					if _, f := m.MMU.Translate(cpu, va, tlb.Write, false); f != nil {
						t.Fatalf("cpu %d write %#x: %v", cpu, uint64(va), f)
					}
				}
			}
			check(t, m, "touch")
			before := make([]tlb.Stats, c.cpus)
			for i := range before {
				before[i] = m.MMU.TLBs[i].Stats
			}
			mustVfree(t, m, a.Addr) // no flush yet: stale entries allowed
			for cpu := 0; cpu < c.cpus; cpu++ {
				if m.MMU.TLBs[cpu].Stats != before[cpu] {
					t.Errorf("cpu %d: vfree flushed the TLB before the purge: %+v", cpu, m.MMU.TLBs[cpu].Stats)
				}
				if _, ok := m.MMU.TLBs[cpu].Peek(a.Addr, m.MMU.Shifts()); !ok {
					t.Errorf("cpu %d: entry for %#x gone before the purge", cpu, uint64(a.Addr))
				}
			}
			m.Vmalloc.Purge()
			check(t, m, "purge")
			for cpu := 0; cpu < c.cpus; cpu++ {
				s, b := m.MMU.TLBs[cpu].Stats, before[cpu]
				// The same on every CPU, CPU 0 (which purges) included.
				wantAll, wantOne, wantRecv := uint64(0), c.pages+1, uint64(0)
				if c.fullFlush {
					wantAll, wantOne, wantRecv = 1, 0, 1
				}
				if s.FullFlushes-b.FullFlushes != wantAll || s.Invlpg-b.Invlpg != wantOne {
					t.Errorf("cpu %d: %d full flushes and %d invlpg, want %d and %d", cpu,
						s.FullFlushes-b.FullFlushes, s.Invlpg-b.Invlpg, wantAll, wantOne)
				}
				if s.RemoteFlush != b.RemoteFlush || s.RemoteFlushReceived-b.RemoteFlushReceived != wantRecv {
					t.Errorf("cpu %d: sent %d flushes and received %d, want 0 and %d", cpu,
						s.RemoteFlush-b.RemoteFlush, s.RemoteFlushReceived-b.RemoteFlushReceived, wantRecv)
				}
				if s.LocalFlushAll != b.LocalFlushAll || s.LocalFlushOne != b.LocalFlushOne {
					t.Errorf("cpu %d: a kernel range flush counted local flush events: all %d one %d", cpu,
						s.LocalFlushAll-b.LocalFlushAll, s.LocalFlushOne-b.LocalFlushOne)
				}
				for _, va := range []arch.VirtAddr{a.Addr, last} {
					if _, ok := m.MMU.TLBs[cpu].Peek(va, m.MMU.Shifts()); ok {
						t.Errorf("cpu %d: entry for %#x survives the purge", cpu, uint64(va))
					}
				}
			}
		})
	}
}

// TestVmallocLazyMaxPages checks lazy_max_pages() = fls(online CPUs) *
// 32 MiB / PAGE_SIZE (facts §6 "Lazy TLB flush"): 32 MiB is 8192 pages and
// fls(1)=1, fls(2)=fls(3)=2, fls(4)=3, fls(8)=4.
func TestVmallocLazyMaxPages(t *testing.T) {
	for _, c := range []struct {
		cpus int
		want uint64
	}{{1, 8192}, {2, 16384}, {3, 16384}, {4, 24576}, {7, 24576}, {8, 32768}, {64, 57344}} {
		m := vmBoot(t, fmt.Sprintf("x86_64 mem=1G cpus=%d", c.cpus))
		if got := m.Vmalloc.LazyMaxPages(); got != c.want {
			t.Errorf("cpus=%d: LazyMaxPages %d, want %d", c.cpus, got, c.want)
		}
	}
}

// TestVmallocLazyPurgeTriggers checks that the purge runs by itself once
// more than lazy_max_pages pages wait (free_vmap_area_noflush():
// nr_lazy > lazy_max_pages). Areas of 1023 pages take 1024 pages with the
// guard and keep their page array kmalloc'd (1023*4 bytes ≤ 4096), so
// freeing lazy_max/1024 of them reaches the limit exactly, without a
// purge; one more 1-page area (2 with its guard) goes above it.
func TestVmallocLazyPurgeTriggers(t *testing.T) {
	for _, c := range []struct {
		line    string
		lazyMax uint64
	}{{"x86 mem=1G cpus=1", 8192}, {"x86 mem=1G", 16384}, {"x86_64 mem=4G", 16384}} {
		t.Run(c.line, func(t *testing.T) {
			m := vmBoot(t, c.line)
			if m.Vmalloc.LazyMaxPages() != c.lazyMax {
				t.Fatalf("LazyMaxPages %d, want %d", m.Vmalloc.LazyMaxPages(), c.lazyMax)
			}
			pages := uint64(1023)
			if m.Layout.Arch == "x86_64" {
				pages = 511 // 511*8 ≤ 4096: the array stays kmalloc'd
			}
			n := c.lazyMax / (pages + 1)
			var areas []*vmalloc.Area
			for i := uint64(0); i < n; i++ {
				areas = append(areas, mustVmalloc(t, m, pages*page, phys.GFPKernel))
			}
			small := mustVmalloc(t, m, page, phys.GFPKernel)
			if areas[0].ArrayArea != nil {
				t.Fatalf("page array of %d pages is vmalloc'd", pages)
			}
			for _, a := range areas {
				mustVfree(t, m, a.Addr)
			}
			if m.Vmalloc.LazyPages() != c.lazyMax || m.Vmalloc.Stats.Purges != 0 {
				t.Fatalf("at the limit: LazyPages %d, Purges %d; want %d and 0", m.Vmalloc.LazyPages(), m.Vmalloc.Stats.Purges, c.lazyMax)
			}
			if !m.Vmalloc.Stale(areas[0].Addr) {
				t.Errorf("first freed area not stale at the limit")
			}
			before := m.MMU.Total()
			mustVfree(t, m, small.Addr)
			if m.Vmalloc.LazyPages() != 0 || m.Vmalloc.Stats.Purges != 1 {
				t.Errorf("above the limit: LazyPages %d, Purges %d; want 0 and 1", m.Vmalloc.LazyPages(), m.Vmalloc.Stats.Purges)
			}
			if len(m.Vmalloc.Areas()) != 0 || m.Vmalloc.Stale(areas[0].Addr) {
				t.Errorf("after the automatic purge: %d areas left", len(m.Vmalloc.Areas()))
			}
			// The range covers every freed area: far above 33 pages,
			// do_flush_tlb_all() on each CPU: a full flush and one
			// nr_tlb_remote_flush_received each, no nr_tlb_remote_flush.
			after := m.MMU.Total()
			if got := after.FullFlushes - before.FullFlushes; got != uint64(m.Config.CPUs) {
				t.Errorf("%d full flushes, want one per CPU (%d)", got, m.Config.CPUs)
			}
			if got := after.RemoteFlushReceived - before.RemoteFlushReceived; got != uint64(m.Config.CPUs) || after.RemoteFlush != before.RemoteFlush {
				t.Errorf("%d flushes received and %d sent, want %d and 0", got, after.RemoteFlush-before.RemoteFlush, m.Config.CPUs)
			}
			// The addresses are free again.
			if a := mustVmalloc(t, m, page, phys.GFPKernel); a.Addr != m.Layout.VmallocStart {
				t.Errorf("after the purge the next area is at %#x", uint64(a.Addr))
			}
		})
	}
}

// TestVmallocPageZones checks the backing pages (facts §6 "Backing pages"):
// one page at a time (order 0); without GFP_DMA or GFP_DMA32 __GFP_HIGHMEM
// is added, so on x86 mem=1G (HighMem holds 128 MiB) the pages come from
// HighMem; GFP_DMA32 on x86, which has no DMA32 zone, means Normal
// (OPT_ZONE_DMA32, facts §2); x86_64 has no HighMem zone, so __GFP_HIGHMEM
// means Normal, which x86_64 mem=4G leaves empty: DMA32.
func TestVmallocPageZones(t *testing.T) {
	cases := []struct {
		line string
		gfp  phys.GFP
		zone string
	}{
		{"x86 mem=1G", phys.GFPKernel, "HighMem"},
		{"x86 mem=1G paging=pae", phys.GFPKernel, "HighMem"},
		{"x86 mem=1G", phys.GFPKernel | phys.GfpZero, "HighMem"}, // vzalloc
		{"x86 mem=1G", phys.GFPKernel | phys.GfpDMA32, "Normal"},
		{"x86 mem=1G", phys.GFPKernel | phys.GfpDMA, "DMA"},
		{"x86 mem=1G highmem=off", phys.GFPKernel, "Normal"},
		{"x86_64 mem=4G", phys.GFPKernel, "DMA32"},
		{"x86_64 mem=8G", phys.GFPKernel, "Normal"},
		{"x86_64 mem=8G", phys.GFPKernel | phys.GfpDMA32, "DMA32"},
		{"x86_64 mem=4G", phys.GFPKernel | phys.GfpDMA, "DMA"},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/%s", c.line, c.gfp), func(t *testing.T) {
			m := vmBoot(t, c.line)
			if m.Layout.Arch == "x86_64" && m.Phys.Zone(arch.ZoneHighMem) != nil {
				t.Errorf("x86_64 has a HighMem zone")
			}
			a := mustVmalloc(t, m, 16*page, c.gfp)
			for i, pfn := range a.Pages {
				info, err := m.Phys.Page(pfn)
				if err != nil {
					t.Fatal(err)
				}
				if info.Zone.Name != c.zone {
					t.Errorf("page %d (pfn %#x) from %s, want %s", i, uint64(pfn), info.Zone.Name, c.zone)
				}
				if info.Block.Order != 0 || info.Free || info.Owner != phys.OwnerVmalloc {
					t.Errorf("page %d: order %d free %v owner %v, want an order-0 vmalloc page", i, info.Block.Order, info.Free, info.Owner)
				}
				if info.HighMem() != (c.zone == "HighMem") {
					t.Errorf("page %d: HighMem() %v", i, info.HighMem())
				}
			}
			// The array is kmalloc'd without zone modifiers (nested_gfp):
			// always a direct-map address.
			if !m.Layout.IsLowmem(a.Array) {
				t.Errorf("page array at %#x is not a lowmem (kmalloc) address", uint64(a.Array))
			}
		})
	}
}

// TestVmallocPageArray checks where the page-pointer array lives (facts §6
// "Backing pages"): kmalloc'd while nr_pages * sizeof(struct page *) fits
// in a page, vmalloc'd above. sizeof(struct page *) is 4 on x86 (limit
// 1024 pages) and 8 on x86_64 (limit 512 pages). The nested area is
// reserved after the outer one, so it sits right after the outer guard
// page; freeing the outer area frees the nested one too, and both wait for
// the purge.
func TestVmallocPageArray(t *testing.T) {
	cases := []struct {
		line        string
		pages       uint64
		nested      bool
		nestedPages uint64 // ceil(pages*ptr/4096)
	}{
		{"x86 mem=1G", 1, false, 0},
		{"x86 mem=1G", 1024, false, 0},   // 4096 bytes: kmalloc
		{"x86 mem=1G", 1025, true, 2},    // 4100 bytes: vmalloc, 2 pages
		{"x86 mem=1G", 4096, true, 4},    // 16384 bytes
		{"x86_64 mem=4G", 512, false, 0}, // 4096 bytes
		{"x86_64 mem=4G", 513, true, 2},  // 4104 bytes
		{"x86_64 mem=4G", 1025, true, 3}, // 8200 bytes
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/%d", c.line, c.pages), func(t *testing.T) {
			m := vmBoot(t, c.line)
			a := mustVmalloc(t, m, c.pages*page, phys.GFPKernel)
			if a.Array == 0 {
				t.Fatalf("no page array")
			}
			if !c.nested {
				if a.ArrayArea != nil {
					t.Fatalf("array of %d pages vmalloc'd at %#x", c.pages, uint64(a.ArrayArea.Addr))
				}
				if m.Layout.IsVmalloc(a.Array) || len(m.Vmalloc.Areas()) != 1 {
					t.Errorf("kmalloc'd array at %#x; %d areas", uint64(a.Array), len(m.Vmalloc.Areas()))
				}
				mustVfree(t, m, a.Addr)
				if m.Vmalloc.LazyPages() != c.pages+1 {
					t.Errorf("LazyPages %d, want %d", m.Vmalloc.LazyPages(), c.pages+1)
				}
				return
			}
			n := a.ArrayArea
			if n == nil {
				t.Fatalf("array of %d pages is not vmalloc'd", c.pages)
			}
			if n.Addr != a.Array || n.Addr != a.End() || n.Addr <= a.Addr {
				t.Errorf("nested area at %#x (array %#x), want right after the outer guard at %#x", uint64(n.Addr), uint64(a.Array), uint64(a.End()))
			}
			if uint64(len(n.Pages)) != c.nestedPages || n.Size != (c.nestedPages+1)*page {
				t.Errorf("nested area has %d pages, size %d; want %d pages", len(n.Pages), n.Size, c.nestedPages)
			}
			if n.ArrayArea != nil {
				t.Errorf("the nested area's own array is vmalloc'd")
			}
			if got := m.Vmalloc.Areas(); len(got) != 2 || got[0] != a || got[1] != n {
				t.Errorf("Areas %v, want outer then nested", got)
			}
			if m.Vmalloc.Stats.Allocs != 2 {
				t.Errorf("Allocs %d, want 2 (outer and nested)", m.Vmalloc.Stats.Allocs)
			}
			if m.Vmalloc.Used() != c.pages+c.nestedPages {
				t.Errorf("Used %d", m.Vmalloc.Used())
			}
			free := m.Phys.NrFreePages()
			mustVfree(t, m, a.Addr)
			if n.State != vmalloc.Lazy || a.State != vmalloc.Lazy {
				t.Errorf("after vfree: outer %d nested %d, want both Lazy", a.State, n.State)
			}
			if got := m.Phys.NrFreePages() - free; got != c.pages+c.nestedPages {
				t.Errorf("vfree gave back %d pages, want %d", got, c.pages+c.nestedPages)
			}
			if want := c.pages + 1 + c.nestedPages + 1; m.Vmalloc.LazyPages() != want {
				t.Errorf("LazyPages %d, want %d", m.Vmalloc.LazyPages(), want)
			}
			if m.Vmalloc.Stats.Frees != 2 {
				t.Errorf("Frees %d, want 2", m.Vmalloc.Stats.Frees)
			}
			noWarnings(t, m, "vfree")
		})
	}
}

// TestVmallocInInterruptIsBug: vmalloc() BUGs in interrupt context
// (BUG_ON(in_interrupt()), facts §6 "Context"), and with a spinlock held
// it is a sleep in atomic context: alloc_vmap_area() calls might_sleep()
// unconditionally, so GFP_ATOMIC does not help (mm/vmalloc.c). Either way
// nothing changes.
func TestVmallocInInterruptIsBug(t *testing.T) {
	for _, c := range []struct {
		ctx  kernelmodel.ContextKind
		gfp  phys.GFP
		want string
	}{
		{kernelmodel.CtxIRQ, phys.GFPKernel, "interrupt context"},
		{kernelmodel.CtxSoftIRQ, phys.GFPKernel, "interrupt context"},
		{kernelmodel.CtxIRQ, phys.GFPAtomic, "interrupt context"}, // BUG_ON whatever the mask
		{kernelmodel.CtxAtomic, phys.GFPKernel, "sleeping function called from invalid context at mm/vmalloc.c: alloc_vmap_area() may sleep but runs in atomic context"},
		{kernelmodel.CtxAtomic, phys.GFPAtomic, "sleeping function called from invalid context at mm/vmalloc.c: alloc_vmap_area() may sleep but runs in atomic context"},
	} {
		t.Run(fmt.Sprintf("%s/%s", c.ctx, c.gfp), func(t *testing.T) {
			m := vmBoot(t, "x86 mem=1G")
			mustVmalloc(t, m, page, phys.GFPKernel)
			before := snap(m)
			enter(t, m, c.ctx)
			va, ok, err := m.Vmalloc.Alloc(vmallocReq(4*page, c.gfp))
			if !isBug(err) || ok || va != 0 || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("vmalloc in %s = %#x, %v, %v; want a BUG mentioning %q", c.ctx, uint64(va), ok, err, c.want)
			}
			check(t, m, "vmalloc in "+string(c.ctx))
			leave(t, m)
			sameSnapshot(t, "vmalloc in "+string(c.ctx), before, snap(m))
			noWarnings(t, m, "vmalloc in "+string(c.ctx))
		})
	}
}

// TestVmallocAtomicGFPAtomicIsBug: vmalloc(GFP_ATOMIC) with a spinlock
// held is still a BUG: __vmalloc_node_range() makes its size checks first
// (vmalloc(0)'s WARN_ON_ONCE, "exceeds total pages": plain NULLs, no BUG),
// then __get_vm_area_node()'s BUG_ON(in_interrupt()) (not in an
// interrupt here), then alloc_vmap_area()'s unconditional might_sleep(),
// which ignores the mask (mm/vmalloc.c). Nothing changes.
func TestVmallocAtomicGFPAtomicIsBug(t *testing.T) {
	m := vmBoot(t, "x86 mem=1G")
	mustVmalloc(t, m, page, phys.GFPKernel)
	before := snap(m)
	enter(t, m, kernelmodel.CtxAtomic)
	if va, ok, err := m.Vmalloc.Alloc(vmallocReq(0, phys.GFPAtomic)); err != nil || ok || va != 0 {
		t.Errorf("vmalloc(0, GFP_ATOMIC) in atomic = %#x, %v, %v; want NULL before might_sleep()", uint64(va), ok, err)
	}
	takeWarning(t, m, "vmalloc(0) in atomic", "WARN_ON_ONCE(!size)")
	big := (m.Phys.TotalRAM() + 1) * page
	if va, ok, err := m.Vmalloc.Alloc(vmallocReq(big, phys.GFPAtomic)); err != nil || ok || va != 0 {
		t.Errorf("vmalloc(%d, GFP_ATOMIC) in atomic = %#x, %v, %v; want NULL before might_sleep()", big, uint64(va), ok, err)
	}
	takeWarning(t, m, "oversized vmalloc in atomic", "exceeds total pages, mode:0x820(GFP_ATOMIC)")
	const want = "sleeping function called from invalid context at mm/vmalloc.c: alloc_vmap_area() may sleep but runs in atomic context"
	va, ok, err := m.Vmalloc.Alloc(vmallocReq(4*page, phys.GFPAtomic))
	if !isBug(err) || ok || va != 0 || !strings.Contains(err.Error(), want) {
		t.Fatalf("vmalloc(GFP_ATOMIC) in atomic = %#x, %v, %v; want a BUG containing %q", uint64(va), ok, err, want)
	}
	check(t, m, "vmalloc(GFP_ATOMIC) in atomic")
	leave(t, m)
	sameSnapshot(t, "vmalloc(GFP_ATOMIC) in atomic", before, snap(m))
	noWarnings(t, m, "vmalloc(GFP_ATOMIC) in atomic")
	// Out of the spinlock GFP_ATOMIC works.
	mustVfree(t, m, mustVmalloc(t, m, 4*page, phys.GFPAtomic).Addr)
}

// TestVmallocZeroWarnsOnce: vmalloc(0) is WARN_ON_ONCE(!size) in
// __vmalloc_node_range(): the first call on a machine warns, later ones
// (any caller, any mask) return NULL silently. A fresh machine warns
// again.
func TestVmallocZeroWarnsOnce(t *testing.T) {
	m := vmBoot(t, "x86 mem=1G")
	for i, gfp := range []phys.GFP{phys.GFPKernel, phys.GFPKernel, phys.GFPKernel | phys.GfpZero, phys.GFPAtomic} {
		va, ok, err := m.Vmalloc.Alloc(vmallocReq(0, gfp))
		if err != nil || ok || va != 0 {
			t.Fatalf("vmalloc(0) #%d = %#x, %v, %v; want NULL", i, uint64(va), ok, err)
		}
		check(t, m, "vmalloc(0)")
		if i == 0 {
			w := takeWarning(t, m, "the first vmalloc(0)", "vmalloc(0): WARN_ON_ONCE(!size)")
			if len(w) != 1 {
				t.Errorf("warnings %q, want one", w)
			}
		} else {
			noWarnings(t, m, fmt.Sprintf("vmalloc(0) #%d", i))
		}
	}
	if m.Vmalloc.Stats.Failures != 0 || m.Vmalloc.Stats.Allocs != 0 {
		t.Errorf("Failures %d, Allocs %d; vmalloc(0) is neither", m.Vmalloc.Stats.Failures, m.Vmalloc.Stats.Allocs)
	}
	m2 := vmBoot(t, "x86 mem=1G")
	if _, ok, err := m2.Vmalloc.Alloc(vmallocReq(0, phys.GFPKernel)); ok || err != nil {
		t.Fatal(ok, err)
	}
	takeWarning(t, m2, "vmalloc(0) on another machine", "WARN_ON_ONCE(!size)")
}

// TestVmallocNestedArrayFreedBehindItsBack: a page array above a page is
// itself vmalloc'd, and vfree() of the outer area frees it with
// kvfree(area->pages), which is vfree() of the array's address (mm/vmalloc.c
// vfree()). If the script already vfree()d that address itself, the outer
// vfree finds no area there: "Trying to vfree() nonexistent vm area" with
// the array's address, and the outer area is freed all the same.
func TestVmallocNestedArrayFreedBehindItsBack(t *testing.T) {
	m := vmBoot(t, "x86 mem=1G")
	a := mustVmalloc(t, m, 1025*page, phys.GFPKernel) // 4100-byte array: vmalloc'd
	n := a.ArrayArea
	if n == nil || n.Addr != a.Array {
		t.Fatalf("the array of 1025 pages is not vmalloc'd: %+v", a)
	}
	free := m.Phys.NrFreePages()
	mustVfree(t, m, n.Addr) // behind vmalloc's back
	noWarnings(t, m, "vfree of the page array")
	if n.State != vmalloc.Lazy || a.State != vmalloc.Busy || m.Phys.NrFreePages()-free != 2 {
		t.Fatalf("after vfree(array): array state %d, outer %d, %d pages back; want Lazy, Busy, 2", n.State, a.State, m.Phys.NrFreePages()-free)
	}
	mustVfree(t, m, a.Addr)
	w := m.TakeWarnings()
	if want := []string{fmt.Sprintf("Trying to vfree() nonexistent vm area (%#x)", uint64(n.Addr))}; !slices.Equal(w, want) {
		t.Errorf("warnings %q, want %q", w, want)
	}
	if a.State != vmalloc.Lazy || m.Phys.NrFreePages()-free != 2+1025 {
		t.Errorf("outer area state %d, %d pages back; want Lazy and %d", a.State, m.Phys.NrFreePages()-free, 2+1025)
	}
	if m.Vmalloc.Stats.Frees != 2 {
		t.Errorf("Frees %d, want 2 (the array, then the outer area)", m.Vmalloc.Stats.Frees)
	}
	m.Vmalloc.Purge()
	check(t, m, "purge")
	if len(m.Vmalloc.Areas()) != 0 {
		t.Errorf("%d areas left after the purge", len(m.Vmalloc.Areas()))
	}
}

// TestVfreeNoop checks vfree's cheap cases (facts §6 "vfree"): vfree(NULL)
// does nothing, in any context; an address no live area holds — one never
// allocated, an area already freed, a lowmem or user address — gets
// "Trying to vfree() nonexistent vm area" and changes nothing; an address
// that is not page aligned first gets remove_vm_area()'s "Trying to
// vfree() bad address". In interrupt context the address is queued as it
// is and the warnings come when the workqueue runs.
func TestVfreeNoop(t *testing.T) {
	m := vmBoot(t, "x86 mem=1G")
	a := mustVmalloc(t, m, 4*page, phys.GFPKernel)
	gone := mustVmalloc(t, m, page, phys.GFPKernel)
	mustVfree(t, m, gone.Addr)
	noWarnings(t, m, "setup")

	for _, k := range []kernelmodel.ContextKind{"", kernelmodel.CtxIRQ, kernelmodel.CtxSoftIRQ} {
		before := snap(m)
		if k != "" {
			enter(t, m, k)
		}
		if err := m.Vmalloc.Free(0); err != nil {
			t.Errorf("vfree(NULL) in %q: %v", k, err)
		}
		if k != "" {
			leave(t, m)
		}
		check(t, m, "vfree(NULL)")
		sameSnapshot(t, "vfree(NULL) in "+string(k), before, snap(m))
		noWarnings(t, m, "vfree(NULL)")
	}

	bad := []struct {
		name      string
		va        arch.VirtAddr
		unaligned bool
	}{
		{"never allocated", m.Layout.VmallocStart + 0x100000, false},
		{"unaligned start", a.Addr + 8, true},
		{"freed already", gone.Addr, false},
		{"lowmem address", m.Layout.PageOffset + 0x100000, false},
		{"user address", 0x08048000, false},
	}
	for _, k := range []kernelmodel.ContextKind{"", kernelmodel.CtxIRQ} {
		for _, b := range bad {
			t.Run(fmt.Sprintf("%s/%s", k, b.name), func(t *testing.T) {
				before := snap(m)
				if k != "" {
					enter(t, m, k)
					if err := m.Vmalloc.Free(b.va); err != nil {
						t.Fatalf("vfree(%#x) in %s: %v", uint64(b.va), k, err)
					}
					noWarnings(t, m, "queueing a bad vfree")
					if d := m.Vmalloc.Deferred(); len(d) != 1 || d[0] != b.va {
						t.Errorf("deferred %v, want [%#x]", d, uint64(b.va))
					}
					leave(t, m)
				} else if err := m.Vmalloc.Free(b.va); err != nil {
					t.Fatalf("vfree(%#x): %v, want a warning only", uint64(b.va), err)
				}
				check(t, m, "bad vfree")
				w := m.TakeWarnings()
				want := []string{fmt.Sprintf("Trying to vfree() nonexistent vm area (%#x)", uint64(b.va))}
				if b.unaligned {
					want = append([]string{fmt.Sprintf("Trying to vfree() bad address (%#x)", uint64(b.va))}, want...)
				}
				if !slices.Equal(w, want) {
					t.Errorf("warnings %q, want %q", w, want)
				}
				sameSnapshot(t, "bad vfree", before, snap(m))
				if len(m.Vmalloc.Deferred()) != 0 {
					t.Errorf("a deferred vfree is still queued")
				}
			})
		}
	}
	if a.State != vmalloc.Busy || len(a.Pages) != 4 {
		t.Errorf("the area was touched by bad vfrees: state %d, %d pages", a.State, len(a.Pages))
	}
}

// TestVfreeInsideArea: the kernel finds the area to free by containment
// (__find_vmap_area()), so a page-aligned address in the middle of an
// area, or in its guard page, frees the whole area.
func TestVfreeInsideArea(t *testing.T) {
	for _, off := range []uint64{page, 3 * page, 4 * page} {
		t.Run(fmt.Sprintf("offset %#x", off), func(t *testing.T) {
			m := vmBoot(t, "x86 mem=1G")
			a := mustVmalloc(t, m, 4*page, phys.GFPKernel)
			free := m.Phys.NrFreePages()
			if err := m.Vmalloc.Free(a.Addr + arch.VirtAddr(off)); err != nil {
				t.Fatal(err)
			}
			check(t, m, "vfree inside")
			noWarnings(t, m, "vfree inside")
			if a.State != vmalloc.Lazy || m.Phys.NrFreePages()-free != 4 {
				t.Errorf("state %d, %d pages freed; want the whole area lazy and 4 pages back", a.State, m.Phys.NrFreePages()-free)
			}
		})
	}
}

// TestVfreeInAtomicIsBug: vfree() may sleep (might_sleep() in vfree(),
// facts §6 "vfree"), so with a spinlock held it is a BUG naming vfree()
// and the area stays.
func TestVfreeInAtomicIsBug(t *testing.T) {
	m := vmBoot(t, "x86 mem=1G")
	a := mustVmalloc(t, m, 2*page, phys.GFPKernel)
	before := snap(m)
	enter(t, m, kernelmodel.CtxAtomic)
	if err := m.Vmalloc.Free(a.Addr); !isBug(err) || !strings.Contains(err.Error(), "sleeping function called from invalid context at mm/vmalloc.c: vfree() may sleep but runs in atomic context") {
		t.Fatalf("vfree with a spinlock held: %v, want a might-sleep BUG", err)
	}
	check(t, m, "vfree in atomic")
	leave(t, m)
	sameSnapshot(t, "vfree in atomic", before, snap(m))
	if a.State != vmalloc.Busy {
		t.Errorf("area state %d", a.State)
	}
}

// TestVfreeFromInterruptIsDeferred: from interrupt context vfree() hands
// the area to a workqueue (vfree_atomic(), facts §6 "vfree"): it stays
// listed and mapped, state Deferred, its pages allocated; the model's
// workqueue runs when LeaveContext returns to process context, which
// frees the pages and makes the area lazy. Inside an irq inside a
// spinlock the work waits until the spinlock is dropped too.
func TestVfreeFromInterruptIsDeferred(t *testing.T) {
	for _, stack := range [][]kernelmodel.ContextKind{
		{kernelmodel.CtxIRQ},
		{kernelmodel.CtxSoftIRQ},
		{kernelmodel.CtxSoftIRQ, kernelmodel.CtxIRQ},
		{kernelmodel.CtxAtomic, kernelmodel.CtxIRQ},
	} {
		t.Run(fmt.Sprint(stack), func(t *testing.T) {
			m := vmBoot(t, "x86 mem=1G")
			a := mustVmalloc(t, m, 3*page, phys.GFPKernel)
			keep := mustVmalloc(t, m, page, phys.GFPKernel)
			free := m.Phys.NrFreePages()
			for _, k := range stack {
				enter(t, m, k)
			}
			if err := m.Vmalloc.Free(a.Addr); err != nil {
				t.Fatalf("vfree in %v: %v", stack, err)
			}
			check(t, m, "deferred vfree")
			if a.State != vmalloc.Deferred || len(a.Pages) != 3 {
				t.Errorf("state %d with %d pages, want Deferred with 3", a.State, len(a.Pages))
			}
			if d := m.Vmalloc.Deferred(); len(d) != 1 || d[0] != a.Addr {
				t.Errorf("Deferred %v", d)
			}
			if !slices.Contains(m.Vmalloc.Areas(), a) || m.Phys.NrFreePages() != free || m.Vmalloc.LazyPages() != 0 {
				t.Errorf("a deferred area must stay listed and keep its pages")
			}
			if got, ok := m.Vmalloc.Find(a.Addr); !ok || got != a {
				t.Errorf("Find(deferred area) = %v, %v", got, ok)
			}
			if _, ok := m.Vmalloc.ToPage(a.Addr); !ok {
				t.Errorf("deferred area unmapped before the work ran")
			}
			if m.Vmalloc.Stats.DeferredFrees != 1 || m.Vmalloc.Stats.Frees != 0 {
				t.Errorf("DeferredFrees %d, Frees %d", m.Vmalloc.Stats.DeferredFrees, m.Vmalloc.Stats.Frees)
			}
			// A second vfree of the same address, still in the irq, is
			// queued too; the workqueue's second free finds no area.
			if err := m.Vmalloc.Free(a.Addr); err != nil {
				t.Fatal(err)
			}
			noWarnings(t, m, "double deferred vfree")
			if m.Vmalloc.Stats.DeferredFrees != 2 {
				t.Errorf("DeferredFrees %d after two vfrees in the irq", m.Vmalloc.Stats.DeferredFrees)
			}
			for i := len(stack) - 1; i > 0; i-- {
				leave(t, m)
				if a.State != vmalloc.Deferred {
					t.Fatalf("the work ran in %s context", m.Contexts()[len(m.Contexts())-1].Kind)
				}
			}
			leave(t, m)
			if a.State != vmalloc.Lazy || len(m.Vmalloc.Deferred()) != 0 {
				t.Errorf("back in process context: state %d, %d deferred", a.State, len(m.Vmalloc.Deferred()))
			}
			if got := m.Phys.NrFreePages() - free; got != 3 {
				t.Errorf("%d pages freed, want 3", got)
			}
			if m.Vmalloc.LazyPages() != 4 || !m.Vmalloc.Stale(a.Addr) || m.Vmalloc.Stats.Frees != 1 {
				t.Errorf("LazyPages %d Stale %v Frees %d", m.Vmalloc.LazyPages(), m.Vmalloc.Stale(a.Addr), m.Vmalloc.Stats.Frees)
			}
			if keep.State != vmalloc.Busy {
				t.Errorf("the other area was freed too")
			}
			takeWarning(t, m, "the second deferred vfree", "Trying to vfree() nonexistent vm area")
		})
	}
}

// drain takes every page the page allocator will give GFP_HIGHUSER (which
// may use every zone) without reclaim, largest blocks first, and returns
// them.
func drain(t testing.TB, m *kernelmodel.Machine) []phys.Block {
	t.Helper()
	var held []phys.Block
	gfp := phys.GFPHighUser | phys.GfpNoWarn | phys.GfpNoRetry
	for order := phys.MaxOrder; order >= 0; order-- {
		for {
			pfn, ok, err := m.Phys.AllocPages(phys.Request{GFP: gfp, Order: order, Owner: phys.OwnerPages, Tag: "drain"})
			if err != nil {
				t.Fatalf("drain: %v", err)
			}
			if !ok {
				break
			}
			held = append(held, phys.Block{PFN: pfn, Order: order})
		}
	}
	check(t, m, "drain")
	return held
}

// TestVmallocFailures checks the ways vmalloc returns NULL (facts §6 and
// mm/vmalloc.c's messages): size 0 (WARN_ON_ONCE(!size)); a size above
// totalram_pages ("vmalloc error: size N, exceeds total pages"); no room
// in the vmalloc area ("vmap allocation for size N failed: use
// vmalloc=<size> to increase size", N including the guard page, then
// warn_alloc's "vm_struct allocation failed"). __GFP_NOWARN silences the
// failure reports (not the WARN_ON_ONCE). In every case the model is left
// as it was: the free page counts of every zone, the page tables, the
// areas, the TLB counters.
func TestVmallocFailures(t *testing.T) {
	type tc struct {
		name  string
		line  string
		size  func(m *kernelmodel.Machine) uint64
		gfp   phys.GFP
		warns []string // substrings, one warning each, in order
	}
	vmallocTotal := func(m *kernelmodel.Machine) uint64 { return uint64(m.Layout.VmallocEnd - m.Layout.VmallocStart) }
	cases := []tc{
		{"size 0", "x86 mem=1G", func(*kernelmodel.Machine) uint64 { return 0 }, phys.GFPKernel,
			[]string{"vmalloc(0)"}},
		{"size 0 nowarn", "x86 mem=1G", func(*kernelmodel.Machine) uint64 { return 0 }, phys.GFPKernel | phys.GfpNoWarn,
			[]string{"vmalloc(0)"}}, // a WARN_ON_ONCE, not a warn_alloc
		{"above total RAM", "x86 mem=1G", func(m *kernelmodel.Machine) uint64 { return (m.Phys.TotalRAM() + 1) * page }, phys.GFPKernel,
			[]string{"vmalloc error: size %d, exceeds total pages"}},
		{"above total RAM x86_64", "x86_64 mem=4G", func(m *kernelmodel.Machine) uint64 { return (m.Phys.TotalRAM() + 1) * page }, phys.GFPKernel,
			[]string{"vmalloc error: size %d, exceeds total pages"}},
		{"above total RAM nowarn", "x86 mem=1G", func(m *kernelmodel.Machine) uint64 { return (m.Phys.TotalRAM() + 1) * page }, phys.GFPKernel | phys.GfpNoWarn,
			nil},
		// x86 mem=1G: VMALLOC_END - VMALLOC_START = 0xFF7FE000 - 0xF8800000
		// = 0x6FFE000 (facts §6); with the guard page it cannot fit.
		{"vmalloc area exhausted", "x86 mem=1G", vmallocTotal, phys.GFPKernel,
			[]string{"vmap allocation for size %g failed", "vmalloc error: size %d, vm_struct allocation failed"}},
		{"vmalloc area exhausted pae", "x86 mem=1G paging=pae", vmallocTotal, phys.GFPKernel,
			[]string{"vmap allocation for size %g failed", "vmalloc error: size %d, vm_struct allocation failed"}},
		{"vmalloc area exhausted nowarn", "x86 mem=1G", vmallocTotal, phys.GFPKernel | phys.GfpNoWarn,
			nil},
		// The rest of the area minus the guard fits, but then the page
		// array (28660*4 bytes, vmalloc'd) finds no room: the nested
		// vmalloc fails ("vmap allocation", "vm_struct allocation
		// failed"), the outer one reports "failed to allocated page array
		// size" (sic, mm/vmalloc.c) and gives its area back. The nested
		// call prints its own mask, nested_gfp = (gfp & GFP_RECLAIM_MASK)
		// | __GFP_ZERO = 0xdc0; the outer one the mask with the
		// __GFP_HIGHMEM __vmalloc_area_node() added (0xcc2).
		{"no room for the page array", "x86 mem=1G", func(m *kernelmodel.Machine) uint64 {
			areas := m.Vmalloc.Areas()
			return uint64(m.Layout.VmallocEnd-areas[len(areas)-1].End()) - page
		}, phys.GFPKernel,
			[]string{"vmap allocation for size", "vm_struct allocation failed, mode:0xdc0(GFP_KERNEL|__GFP_ZERO)", "vmalloc error: size %d, failed to allocated page array size %a, mode:0xcc2(GFP_KERNEL|__GFP_HIGHMEM)"}},
		// The same with GFP_DMA32: no __GFP_HIGHMEM is added (the pages
		// must be below 4 GiB), so the mode is the caller's.
		{"no room for the page array dma32", "x86 mem=1G", func(m *kernelmodel.Machine) uint64 {
			areas := m.Vmalloc.Areas()
			return uint64(m.Layout.VmallocEnd-areas[len(areas)-1].End()) - page
		}, phys.GFPKernel | phys.GfpDMA32,
			[]string{"vmap allocation for size", "vm_struct allocation failed", "vmalloc error: size %d, failed to allocated page array size %a, mode:0xcc4(GFP_KERNEL|GFP_DMA32)"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := vmBoot(t, c.line)
			// Something already there, lazily freed too, so that "as
			// before" covers existing state; the purge a failed search
			// triggers is avoided by purging first.
			mustVmalloc(t, m, 2*page, phys.GFPKernel)
			mustVfree(t, m, mustVmalloc(t, m, page, phys.GFPKernel).Addr)
			m.Vmalloc.Purge()
			mustVmalloc(t, m, 5*page, phys.GFPKernel)
			check(t, m, "setup")
			noWarnings(t, m, "setup")
			size := c.size(m)
			failures := m.Vmalloc.Stats.Failures
			before := snap(m)
			va, ok, err := m.Vmalloc.Alloc(vmallocReq(size, c.gfp))
			if err != nil || ok || va != 0 {
				t.Fatalf("vmalloc(%d) = %#x, %v, %v; want NULL", size, uint64(va), ok, err)
			}
			check(t, m, "failed vmalloc")
			sameSnapshot(t, "failed vmalloc", before, snap(m))
			w := m.TakeWarnings()
			if len(w) != len(c.warns) {
				t.Fatalf("warnings %q, want %d", w, len(c.warns))
			}
			for i, want := range c.warns {
				want = strings.ReplaceAll(want, "%d", fmt.Sprint(size))
				want = strings.ReplaceAll(want, "%g", fmt.Sprint((size+page-1)/page*page+page))
				want = strings.ReplaceAll(want, "%a", fmt.Sprint((size+page-1)/page*4)) // sizeof(struct page *) = 4 on x86
				if !strings.Contains(w[i], want) {
					t.Errorf("warning %d is %q, want it to contain %q", i, w[i], want)
				}
			}
			wantFailures := uint64(1)
			switch {
			case size == 0:
				wantFailures = 0 // a WARN, not a failure report
			case strings.Contains(c.name, "page array"):
				wantFailures = 2 // the nested vmalloc and the outer one
			}
			if got := m.Vmalloc.Stats.Failures - failures; got != wantFailures {
				t.Errorf("Failures went up by %d, want %d", got, wantFailures)
			}
			// The machine still works.
			mustVfree(t, m, mustVmalloc(t, m, page, phys.GFPKernel).Addr)
		})
	}
}

// TestVmallocPagesRunOut: when the page allocator fails half-way through
// the pages, every page taken so far, the page array and the addresses
// are given back (__vmalloc_area_node's fail path), and vmalloc returns
// NULL with warn_alloc's "vmalloc error: size <pages obtained * 4096>,
// failed to allocate pages" (mm/vmalloc.c). __GFP_RETRY_MAYFAIL
// keeps the page allocator from calling the OOM killer, so the failure is
// a NULL rather than an *bug.OOM; without it (GFP_KERNEL) the model
// stops with *bug.OOM and changes nothing either.
func TestVmallocPagesRunOut(t *testing.T) {
	for _, c := range []struct {
		gfp phys.GFP
		oom bool
	}{{phys.GFPKernel | phys.GfpRetryMayfail, false}, {phys.GFPKernel, true}} {
		t.Run(c.gfp.String(), func(t *testing.T) {
			m := vmBoot(t, "x86 mem=1G")
			// Warm the kmalloc cache the page array comes from (32*4
			// bytes), so that it needs no new slab page once memory is
			// gone.
			keep := mustVmalloc(t, m, 32*page, phys.GFPKernel)
			held := drain(t, m)
			// Leave exactly 16 pages free: give back the smallest held
			// block of 16 pages or more, and take all but 16 of its pages
			// again. A 32-page vmalloc then gets 16 pages and fails. (Its
			// vm_struct, vmap_area and page array fit in the slabs keep
			// warmed.)
			slices.SortStableFunc(held, func(a, b phys.Block) int { return a.Order - b.Order })
			i := slices.IndexFunc(held, func(b phys.Block) bool { return b.Pages() >= 16 })
			if i < 0 {
				t.Fatalf("the drain holds no block of 16 pages or more")
			}
			if err := m.Phys.FreePages(held[i].PFN, held[i].Order); err != nil {
				t.Fatal(err)
			}
			for n := held[i].Pages(); n > 16; n-- {
				if _, ok, err := m.Phys.AllocPages(phys.Request{GFP: phys.GFPHighUser | phys.GfpNoWarn | phys.GfpNoRetry, Order: 0}); err != nil || !ok {
					t.Fatalf("taking the block's pages again: %v %v", ok, err)
				}
			}
			check(t, m, "give back")
			m.TakeWarnings()
			before := snap(m)
			failures := m.Vmalloc.Stats.Failures
			pgalloc := func() (n uint64) {
				for _, z := range m.Phys.Zones {
					n += z.PgAlloc
				}
				return n
			}
			allocated := pgalloc()
			va, ok, err := m.Vmalloc.Alloc(vmallocReq(32*page, c.gfp))
			// It did get the 16 pages before failing (and gave them back).
			if got := pgalloc() - allocated; got != 16 {
				t.Errorf("vmalloc took %d pages before failing, want the 16 free ones", got)
			}
			check(t, m, "vmalloc without memory")
			if c.oom {
				var oom *bug.OOM
				if !errors.As(err, &oom) || ok || va != 0 {
					t.Fatalf("vmalloc = %#x, %v, %v; want *bug.OOM", uint64(va), ok, err)
				}
			} else {
				if err != nil || ok || va != 0 {
					t.Fatalf("vmalloc = %#x, %v, %v; want NULL", uint64(va), ok, err)
				}
				// The size printed is what was obtained (area->nr_pages *
				// PAGE_SIZE): the 16 pages. The pages are asked for with
				// __GFP_NOWARN, so the page allocator prints nothing. The
				// mode is the mask __vmalloc_area_node() used, with the
				// __GFP_HIGHMEM it added: 0xcc0|0x4000|0x2 = 0x4cc2.
				w := takeWarning(t, m, "vmalloc without memory", "vmalloc error: size 65536, failed to allocate pages, mode:0x4cc2(GFP_KERNEL|__GFP_HIGHMEM|__GFP_RETRY_MAYFAIL)")
				if len(w) != 1 {
					t.Errorf("warnings %q, want vmalloc's only", w)
				}
			}
			sameSnapshot(t, "vmalloc without memory", before, snap(m))
			if got := m.Vmalloc.Stats.Failures - failures; got != 1 {
				t.Errorf("Failures went up by %d, want 1", got)
			}
			if keep.State != vmalloc.Busy || len(m.Vmalloc.Areas()) != 1 {
				t.Errorf("areas after the failure: %d", len(m.Vmalloc.Areas()))
			}
		})
	}
}

// TestVmallocMapping checks that each page of an area is mapped in
// init_mm, in order, with PAGE_KERNEL (present, writable, global, not
// user): vmalloc_to_page, the page-table walk and the MMU agree with
// Area.Pages, and the guard page is not mapped (facts §6 "Guard page").
func TestVmallocMapping(t *testing.T) {
	for _, line := range []string{"x86 mem=1G", "x86 mem=1G paging=pae", "x86_64 mem=4G", "x86_64 mem=4G paging=5level"} {
		t.Run(line, func(t *testing.T) {
			m := vmBoot(t, line)
			mustVmalloc(t, m, 3*page, phys.GFPKernel) // so the area under test has a neighbour
			a := mustVmalloc(t, m, 40*page, phys.GFPKernel)
			for i, pfn := range a.Pages {
				va := a.Addr + arch.VirtAddr(i)*page
				if got, ok := m.Vmalloc.ToPage(va + 123); !ok || got != pfn {
					t.Errorf("ToPage(page %d) = %#x, %v, want %#x", i, uint64(got), ok, uint64(pfn))
				}
				pa, leaf, size, ok := m.PT.Translate(m.PT.Init, va+5)
				if !ok || pa != pfn.Addr()+5 || size != page {
					t.Errorf("Translate(page %d) = %#x size %d %v, want %#x", i, uint64(pa), size, ok, uint64(pfn.Addr()+5))
				}
				_ = leaf
				for cpu := 0; cpu < m.Config.CPUs; cpu++ {
					if mpa, f := m.MMU.Translate(cpu, va, tlb.Write, false); f != nil || mpa != pfn.Addr() {
						t.Errorf("cpu %d write page %d: %#x, %v", cpu, i, uint64(mpa), f)
					}
					if _, f := m.MMU.Translate(cpu, va, tlb.Read, true); f == nil {
						t.Errorf("cpu %d: user access to vmalloc page %d did not fault", cpu, i)
					}
				}
			}
			check(t, m, "translations")
			guard := a.End() - page
			if _, ok := m.Vmalloc.ToPage(guard); ok {
				t.Errorf("guard page %#x is mapped", uint64(guard))
			}
			if _, _, _, ok := m.PT.Translate(m.PT.Init, guard); ok {
				t.Errorf("guard page translates")
			}
			if _, f := m.MMU.Translate(0, guard, tlb.Read, false); f == nil || f.Code&tlb.PFProt != 0 {
				t.Errorf("access to the guard page: fault %v, want a not-present fault", f)
			}
			if !m.Layout.IsVmalloc(a.Addr) || !m.Layout.IsVmalloc(guard) {
				t.Errorf("area outside is_vmalloc_addr()")
			}
		})
	}
}

// fragmentHigh allocates n order-0 pages the way user memory is allocated
// on x86 (GFP_HIGHUSER: HighMem first) and frees every other one, leaving
// order-0 holes that cannot merge. It returns the freed frames.
func fragmentHigh(t testing.TB, m *kernelmodel.Machine, gfp phys.GFP, n int) map[phys.PFN]bool {
	t.Helper()
	freed := map[phys.PFN]bool{}
	var pfns []phys.PFN
	for i := 0; i < n; i++ {
		pfn, ok, err := m.Phys.AllocPages(phys.Request{GFP: gfp, Order: 0, Owner: phys.OwnerUser, Tag: "fragment"})
		if err != nil || !ok {
			t.Fatalf("alloc: %v %v", ok, err)
		}
		pfns = append(pfns, pfn)
	}
	for i := 0; i < n; i += 2 {
		if err := m.Phys.FreePages(pfns[i], 0); err != nil {
			t.Fatal(err)
		}
		freed[pfns[i]] = true
	}
	check(t, m, "fragment")
	return freed
}

// TestVmallocPhysContiguous: vmalloc pages are taken one at a time (facts
// §6 "Backing pages"), so they are consecutive frames only by chance: on a
// fresh machine the buddy allocator hands out consecutive order-0 pages
// (it splits a block and keeps the low half, facts "Surprises" 5); after
// every other page of the zone's free order-0 supply was freed, the pages
// are the scattered holes. On x86 mem=1G vmalloc pages come from HighMem,
// so the fragmenting allocations are GFP_HIGHUSER; on x86_64 GFP_KERNEL
// from DMA32.
func TestVmallocPhysContiguous(t *testing.T) {
	for _, c := range []struct {
		line string
		gfp  phys.GFP
		zone string
	}{{"x86 mem=1G", phys.GFPHighUser, "HighMem"}, {"x86_64 mem=4G", phys.GFPKernel, "DMA32"}} {
		t.Run(c.line, func(t *testing.T) {
			m := vmBoot(t, c.line)
			a := mustVmalloc(t, m, 8*page, phys.GFPKernel)
			if !a.PhysContiguous() {
				t.Errorf("fresh machine: pages %v not consecutive", a.Pages)
			}
			one := mustVmalloc(t, m, page, phys.GFPKernel)
			if !one.PhysContiguous() {
				t.Errorf("a 1-page area is always contiguous")
			}
			holes := fragmentHigh(t, m, c.gfp, 64)
			b := mustVmalloc(t, m, 8*page, phys.GFPKernel)
			if b.PhysContiguous() {
				t.Errorf("after fragmenting: pages %v consecutive", b.Pages)
			}
			for i, pfn := range b.Pages {
				if !holes[pfn] {
					t.Errorf("page %d (pfn %#x) is not one of the order-0 holes", i, uint64(pfn))
				}
				if z := zoneOf(t, m, pfn); z != c.zone {
					t.Errorf("page %d from %s", i, z)
				}
			}
			for i := 1; i < len(b.Pages); i++ {
				if d := int64(b.Pages[i]) - int64(b.Pages[i-1]); d == 1 {
					t.Errorf("pages %d and %d are consecutive frames", i-1, i)
				}
			}
		})
	}
}

// TestVmallocKeepsPageTables: the page-table pages vmalloc needs are
// counted in PT.Allocated and stay after vfree and the purge: the kernel
// never frees init_mm's kernel page tables (vunmap clears PTEs only). The
// first area at VMALLOC_START needs one PTE table on x86 (2-level: the
// PGD entry of the 4 MiB region; PAE: the kernel PMDs exist from boot) and
// one table per level below the PGD on x86_64 (PUD, PMD and PTE: 3; with
// 5-level paging a P4D too: 4). A second area in the same 2 MiB region
// needs none; reusing the addresses needs none.
func TestVmallocKeepsPageTables(t *testing.T) {
	for _, c := range []struct {
		line  string
		first int
	}{{"x86 mem=1G", 1}, {"x86 mem=1G paging=pae", 1}, {"x86_64 mem=4G", 3}, {"x86_64 mem=4G paging=5level", 4}} {
		t.Run(c.line, func(t *testing.T) {
			m := vmBoot(t, c.line)
			pt := m.PT.Allocated
			a := mustVmalloc(t, m, 4*page, phys.GFPKernel)
			if got := m.PT.Allocated - pt; got != c.first {
				t.Errorf("first vmalloc took %d page-table pages, want %d", got, c.first)
			}
			b := mustVmalloc(t, m, 4*page, phys.GFPKernel)
			if got := m.PT.Allocated - pt; got != c.first {
				t.Errorf("second vmalloc in the same region took %d more", got-c.first)
			}
			free := m.Phys.NrFreePages()
			mustVfree(t, m, a.Addr)
			mustVfree(t, m, b.Addr)
			m.Vmalloc.Purge()
			check(t, m, "purge")
			if got := m.PT.Allocated - pt; got != c.first {
				t.Errorf("after vfree and purge %d page-table pages, want %d kept", got, c.first)
			}
			// Only the 8 data pages came back (plus nothing from the
			// page arrays, which are slab objects).
			if got := m.Phys.NrFreePages() - free; got != 8 {
				t.Errorf("vfree gave back %d pages, want 8", got)
			}
			c2 := mustVmalloc(t, m, 4*page, phys.GFPKernel)
			if c2.Addr != m.Layout.VmallocStart || m.PT.Allocated-pt != c.first {
				t.Errorf("reuse at %#x took page tables: %d", uint64(c2.Addr), m.PT.Allocated-pt)
			}
		})
	}
}

// TestVmallocWarningsNameTheTask checks warn_alloc's prefix: the task
// name, then the failure and the mode (mode:0xcc0(GFP_KERNEL)).
func TestVmallocWarningsNameTheTask(t *testing.T) {
	m := vmBoot(t, "x86 mem=1G")
	size := (m.Phys.TotalRAM() + 1) * page
	if _, ok, err := m.Vmalloc.Alloc(vmallocReq(size, phys.GFPKernel)); ok || err != nil {
		t.Fatal(ok, err)
	}
	w := m.TakeWarnings()
	want := fmt.Sprintf("mmsim: vmalloc error: size %d, exceeds total pages, mode:0xcc0(GFP_KERNEL)", size)
	if len(w) != 1 || !strings.HasPrefix(w[0], want) {
		t.Errorf("warnings %q, want %q", w, want)
	}
}
