package phys_test

import (
	"strings"
	"testing"

	"mmsim/kernelmodel/phys"
)

// step is a run of identical allocations and what they must do.
type step struct {
	name  string
	gfp   phys.GFP
	order int
	n     int    // allocations in the step
	want  string // a zone name, "fail" (NULL) or "oom" (*bug.OOM)
	warn  string // for a failing step: a substring of its one warning; "" for none
	// After the step: free pages per zone (by name) and the cumulative
	// counters.
	free  map[string]uint64
	stats phys.Stats
}

func runSteps(t *testing.T, m *phys.Mem, r *recorder, steps []step) {
	t.Helper()
	for _, s := range steps {
		for i := 0; i < s.n; i++ {
			pfn, ok, err := m.AllocPages(phys.Request{GFP: s.gfp, Order: s.order})
			switch s.want {
			case "fail":
				if ok || err != nil {
					t.Fatalf("%s: AllocPages(%s, %d) = %d, %v, %v; want NULL", s.name, s.gfp, s.order, pfn, ok, err)
				}
			case "oom":
				if ok || !isOOM(err) {
					t.Fatalf("%s: AllocPages(%s, %d) = %d, %v, %v; want a *bug.OOM", s.name, s.gfp, s.order, pfn, ok, err)
				}
			default:
				if !ok || err != nil {
					t.Fatalf("%s (allocation %d of %d): AllocPages(%s, %d) = %v, %v; want a block in %s", s.name, i+1, s.n, s.gfp, s.order, ok, err, s.want)
				}
				if z := m.PageZone(pfn); z.Name != s.want {
					t.Fatalf("%s (allocation %d of %d): AllocPages(%s, %d) = pfn %d in %s, want %s", s.name, i+1, s.n, s.gfp, s.order, pfn, z.Name, s.want)
				}
			}
		}
		warns := r.take()
		switch {
		case s.warn == "" && len(warns) != 0:
			t.Errorf("%s: unexpected warnings %q", s.name, warns)
		case s.warn != "" && (len(warns) != 1 || !strings.Contains(warns[0], s.warn)):
			t.Errorf("%s: warnings %q, want one containing %q", s.name, warns, s.warn)
		}
		for name, want := range s.free {
			if got := zone(t, m, name).Free(); got != want {
				t.Errorf("%s: zone %s has %d free pages, want %d", s.name, name, got, want)
			}
		}
		if m.Stats.KswapdWakeups != s.stats.KswapdWakeups || m.Stats.AllocStall != s.stats.AllocStall ||
			m.Stats.AllocFail != s.stats.AllocFail || m.Stats.OOMCalls != s.stats.OOMCalls {
			t.Errorf("%s: stats kswapd %d stall %d fail %d oom %d, want %d %d %d %d", s.name,
				m.Stats.KswapdWakeups, m.Stats.AllocStall, m.Stats.AllocFail, m.Stats.OOMCalls,
				s.stats.KswapdWakeups, s.stats.AllocStall, s.stats.AllocFail, s.stats.OOMCalls)
		}
		if uint64(len(r.kswapd)) != m.Stats.KswapdWakeups {
			t.Errorf("%s: the WakeKswapd hook ran %d times, KswapdWakeups %d", s.name, len(r.kswapd), m.Stats.KswapdWakeups)
		}
		if uint64(r.reclaim) != m.Stats.AllocStall {
			t.Errorf("%s: the DirectReclaim hook ran %d times, AllocStall %d", s.name, r.reclaim, m.Stats.AllocStall)
		}
		mustCheck(t, m)
	}
	mustCheckFull(t, m)
}

func st(kswapd, stall, fail, oom uint64) phys.Stats {
	return phys.Stats{KswapdWakeups: kswapd, AllocStall: stall, AllocFail: fail, OOMCalls: oom}
}

// TestWatermarkStaircase walks x86 mem=64M down through each watermark.
// DMA: managed 3328, min 53, low 66, protection 48 against Normal
// requests. Normal: managed 12288, min 195, low 243. __GFP_HIGH halves
// min: 195 - 97 = 98; a non-blocking __GFP_HIGH caller takes a further
// quarter: 98 - 24 = 74 (__zone_watermark_ok). A check passes while free
// is above the mark, so each phase ends with exactly the mark free.
func TestWatermarkStaircase(t *testing.T) {
	m := boot(t, x86(64*mib))
	r := record(m)
	dmaKernel := phys.GFPKernel | phys.GfpDMA
	atomicNoMemalloc := phys.GFPAtomic | phys.GfpNoMemalloc
	memalloc := phys.GFPKernel | phys.GfpMemalloc
	runSteps(t, m, r, []step{
		{"GFP_KERNEL|GFP_DMA fast path down to DMA's low", dmaKernel, 0, 3328 - 66, "DMA", "",
			map[string]uint64{"DMA": 66, "Normal": 12288}, st(0, 0, 0, 0)},
		{"slow path down to DMA's min, waking kswapd each time", dmaKernel, 0, 66 - 53, "DMA", "",
			map[string]uint64{"DMA": 53}, st(13, 0, 0, 0)},
		{"below min: a DMA-only request reclaims, gets no OOM killer, fails", dmaKernel, 0, 1, "fail",
			"testtask: page allocation failure: order:0, mode:0xcc1(GFP_KERNEL|GFP_DMA), nodemask=(null)",
			map[string]uint64{"DMA": 53}, st(14, 1, 1, 0)},
		{"GFP_KERNEL fast path down to Normal's low", phys.GFPKernel, 0, 12288 - 243, "Normal", "",
			map[string]uint64{"Normal": 243}, st(14, 1, 1, 0)},
		{"slow path down to Normal's min", phys.GFPKernel, 0, 243 - 195, "Normal", "",
			map[string]uint64{"Normal": 195}, st(62, 1, 1, 0)},
		{"GFP_NOWAIT has no reserve (and no warning)", phys.GFPNowait, 0, 1, "fail", "",
			map[string]uint64{"Normal": 195}, st(63, 1, 2, 0)},
		{"__GFP_HIGH in a sleeping allocation: down to min/2", phys.GFPKernel | phys.GfpHigh, 0, 195 - 98, "Normal", "",
			map[string]uint64{"Normal": 98}, st(160, 1, 2, 0)},
		{"GFP_ATOMIC|__GFP_NOMEMALLOC: min/2 only, no non-blocking quarter", atomicNoMemalloc, 0, 1, "fail",
			"order:0, mode:0x80820(GFP_ATOMIC|__GFP_NOMEMALLOC)",
			map[string]uint64{"Normal": 98}, st(161, 1, 3, 0)},
		{"GFP_ATOMIC: a further quarter, down to 74", phys.GFPAtomic, 0, 98 - 74, "Normal", "",
			map[string]uint64{"Normal": 74, "DMA": 53}, st(185, 1, 3, 0)},
		{"GFP_ATOMIC below that fails", phys.GFPAtomic, 0, 1, "fail",
			"testtask: page allocation failure: order:0, mode:0x820(GFP_ATOMIC), nodemask=(null),cpuset=/,mems_allowed=0\n" +
				"Node 0 Normal free:296kB min:780kB low:972kB high:1164kB present:49152kB managed:49152kB\n" +
				"Node 0 DMA free:212kB min:212kB low:264kB high:316kB present:15360kB managed:13312kB\n" +
				"Node 0 Normal:",
			map[string]uint64{"Normal": 74}, st(186, 1, 4, 0)},
		{"__GFP_NOWARN fails silently", phys.GFPAtomic | phys.GfpNoWarn, 0, 1, "fail", "",
			map[string]uint64{"Normal": 74}, st(187, 1, 5, 0)},
		{"GFP_KERNEL order 0: reclaim, then the OOM killer finds nothing", phys.GFPKernel, 0, 1, "oom", "",
			map[string]uint64{"Normal": 74}, st(188, 2, 5, 1)},
		{"GFP_KERNEL order 3 is not costly: OOM too", phys.GFPKernel, 3, 1, "oom", "",
			map[string]uint64{"Normal": 74}, st(189, 3, 5, 2)},
		{"order 4 is costly: NULL, no OOM killer", phys.GFPKernel, 4, 1, "fail",
			"page allocation failure: order:4, mode:0xcc0(GFP_KERNEL)",
			map[string]uint64{"Normal": 74}, st(190, 4, 6, 2)},
		{"__GFP_NORETRY: NULL after one reclaim", phys.GFPKernel | phys.GfpNoRetry, 0, 1, "fail",
			"order:0, mode:0x10cc0(GFP_KERNEL|__GFP_NORETRY)",
			map[string]uint64{"Normal": 74}, st(191, 5, 7, 2)},
		{"__GFP_RETRY_MAYFAIL: never the OOM killer", phys.GFPKernel | phys.GfpRetryMayfail, 0, 1, "fail",
			"mode:0x4cc0(GFP_KERNEL|__GFP_RETRY_MAYFAIL)",
			map[string]uint64{"Normal": 74}, st(192, 6, 8, 2)},
		{"__GFP_THISNODE: never the OOM killer", phys.GFPKernel | phys.GfpThisNode, 0, 1, "fail",
			"mode:0x200cc0(GFP_KERNEL|__GFP_THISNODE)",
			map[string]uint64{"Normal": 74}, st(193, 7, 9, 2)},
		{"GFP_NOFS: out_of_memory() is called, kills nothing, the kernel loops", phys.GFPNoFS, 0, 1, "oom", "",
			map[string]uint64{"Normal": 74}, st(194, 8, 9, 3)},
		{"__GFP_MEMALLOC ignores the watermarks", memalloc, 0, 74, "Normal", "",
			map[string]uint64{"Normal": 0}, st(268, 8, 9, 3)},
		{"... and lowmem_reserve, down to an empty DMA", memalloc, 0, 53, "DMA", "",
			map[string]uint64{"DMA": 0}, st(321, 8, 9, 3)},
		{"nothing left even for __GFP_MEMALLOC", memalloc, 0, 1, "oom", "",
			map[string]uint64{"DMA": 0, "Normal": 0}, st(322, 9, 9, 4)},
		{"GFP_ATOMIC on empty zones", phys.GFPAtomic, 0, 1, "fail", "order:0, mode:0x820(GFP_ATOMIC)",
			map[string]uint64{"DMA": 0, "Normal": 0}, st(323, 9, 10, 4)},
	})
	// The OOM hook ran for the GFP_KERNEL calls (3) but not GFP_NOFS.
	if r.oom != 3 {
		t.Errorf("the OOM hook ran %d times, want 3", r.oom)
	}
	// kswapd is woken for the highest zone the request may use.
	if r.kswapd[0] != "0/DMA" || r.kswapd[len(r.kswapd)-1] != "0/Normal" {
		t.Errorf("kswapd wakeups start with %q and end with %q, want 0/DMA and 0/Normal", r.kswapd[0], r.kswapd[len(r.kswapd)-1])
	}
	if m.Stats.PgFree != 0 {
		t.Errorf("PgFree = %d, nothing was freed", m.Stats.PgFree)
	}
}

// TestOOMMessages checks what the out-of-memory errors say.
func TestOOMMessages(t *testing.T) {
	m := boot(t, x86(64*mib))
	record(m)
	drain(t, m, phys.GFPKernel|phys.GfpDMA, zone(t, m, "DMA"), 66, true)
	drain(t, m, phys.GFPKernel, zone(t, m, "Normal"), 243, true)
	drain(t, m, phys.GFPAtomic, zone(t, m, "Normal"), 74, false)
	tests := []struct {
		gfp   phys.GFP
		order int
		want  []string
	}{
		{phys.GFPKernel, 0, []string{"order-0 allocation, mode:0xcc0(GFP_KERNEL)", "Out of memory and no killable processes", "System is deadlocked on memory"}},
		{phys.GFPKernel, 1, []string{"order-1 allocation, mode:0xcc0(GFP_KERNEL)", "no killable processes"}},
		{phys.GFPKernel, 2, []string{"order-2 allocation", "no killable processes"}},
		{phys.GFPKernel, 3, []string{"order-3 allocation", "no killable processes"}},
		{phys.GFPUser, 0, []string{"mode:0x100cc0(GFP_USER)", "no killable processes"}},
		{phys.GFPNoFS, 0, []string{"mode:0xc40(GFP_NOFS)", "without __GFP_FS"}},
		{phys.GFPNoIO, 0, []string{"mode:0xc00(GFP_NOIO)", "without __GFP_FS"}},
		{phys.GFPKernel | phys.GfpNoFail, 0, []string{"mode:0x8cc0(GFP_KERNEL|__GFP_NOFAIL)", "__GFP_NOFAIL"}},
		{phys.GFPKernel | phys.GfpNoFail, 5, []string{"order-5 allocation", "__GFP_NOFAIL"}},
	}
	for _, tt := range tests {
		before := snapshot(m)
		_, ok, err := m.AllocPages(phys.Request{GFP: tt.gfp, Order: tt.order})
		if ok || !isOOM(err) {
			t.Errorf("AllocPages(%s, %d) = %v, %v; want a *bug.OOM", tt.gfp, tt.order, ok, err)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("AllocPages(%s) error %q does not contain %q", tt.gfp, err, w)
			}
		}
		after := snapshot(m)
		before.Stats, after.Stats = phys.Stats{}, phys.Stats{}
		if d := diffState(before, after); d != "" {
			t.Errorf("AllocPages(%s) failing with OOM changed the allocator:\n%s", tt.gfp, d)
		}
	}
}

// TestNoFailWithoutReclaim: __GFP_NOFAIL helps a caller that can reclaim
// (half of min, then the OOM path); one that cannot sleep gets NULL like
// any other (mm/page_alloc.c: "Lacking direct_reclaim we can't do
// anything to reclaim memory, we disregard these unreasonable nofail
// requests and still return NULL").
func TestNoFailWithoutReclaim(t *testing.T) {
	m := boot(t, x86(64*mib))
	r := record(m)
	drain(t, m, phys.GFPKernel|phys.GfpDMA, zone(t, m, "DMA"), 66, true)
	drain(t, m, phys.GFPKernel, zone(t, m, "Normal"), 195, true)
	r.take()
	noSleep := phys.GfpKswapdReclaim | phys.GfpNoFail
	_, ok, err := m.AllocPages(phys.Request{GFP: noSleep})
	if ok || err != nil {
		t.Errorf("AllocPages(%s) below min = %v, %v; want NULL", noSleep, ok, err)
	}
	if w := r.take(); len(w) != 1 || !strings.Contains(w[0], "page allocation failure: order:0, mode:0x8800(__GFP_NOFAIL|__GFP_KSWAPD_RECLAIM)") {
		t.Errorf("warnings %q, want one page allocation failure", w)
	}
	// A sleeping __GFP_NOFAIL caller may use half of min (98 of 195).
	pfn, ok, err := m.AllocPages(phys.Request{GFP: phys.GFPKernel | phys.GfpNoFail | phys.GfpNoRetry})
	if !ok || err != nil || m.PageZone(pfn).Name != "Normal" {
		t.Errorf("AllocPages(GFP_KERNEL|__GFP_NOFAIL|__GFP_NORETRY) below min = %d, %v, %v; want a Normal block", pfn, ok, err)
	}
	mustCheckFull(t, m)
}

// TestOrderNeedsFreeBlock: for order > 0 the free pages are not enough;
// the zone needs a free block of at least that order.
func TestOrderNeedsFreeBlock(t *testing.T) {
	m := boot(t, x86(64*mib))
	record(m)
	normal, dma := zone(t, m, "Normal"), zone(t, m, "DMA")
	// Order-0 allocations walk up from 4096; the fast path stops at
	// Normal's low (243): 12045 pages, 4096..16140, are taken.
	blocks := drain(t, m, phys.GFPKernel, normal, 243, false)
	if len(blocks) != 12045 || blocks[0].PFN != 4096 || blocks[len(blocks)-1].PFN != 16140 {
		t.Fatalf("%d blocks from %d to %d, want 12045 from 4096 to 16140", len(blocks), blocks[0].PFN, blocks[len(blocks)-1].PFN)
	}
	// What is left, 16141..16384: o0 16141, o1 16142, o4 16144, o5 16160,
	// o6 16192, o7 16256.
	if got := nrFree(normal); got != buddyinfo(0, 1, 1, 1, 4, 1, 5, 1, 6, 1, 7, 1) {
		t.Fatalf("Normal buddyinfo %v", got)
	}
	// Free every other page of 4096..6095: 1000 order-0 blocks whose
	// buddies stay allocated.
	for pfn := phys.PFN(4096); pfn < 6096; pfn += 2 {
		free(t, m, pfn, 0)
	}
	if normal.Free() != 1243 || normal.NrFree(0) != 1001 {
		t.Fatalf("Normal free %d nr_free[0] %d, want 1243 and 1001", normal.Free(), normal.NrFree(0))
	}
	checks := []struct {
		order int
		ok    bool
	}{{0, true}, {1, true}, {4, true}, {7, true}, {8, false}, {10, false}}
	for _, c := range checks {
		if got := normal.WatermarkOK(c.order, phys.WmarkLow, normal); got != c.ok {
			t.Errorf("Normal WatermarkOK(order %d, low) = %v, want %v", c.order, got, c.ok)
		}
	}
	// Order 8: 1243-255 pages is well above low, but no block: DMA, whose
	// order-8 list holds the boot block at 768.
	if pfn := allocIn(t, m, phys.GFPKernel, 8, "DMA"); pfn != 768 {
		t.Errorf("order-8 allocation at %d, want DMA's 768", pfn)
	}
	if pfn := allocIn(t, m, phys.GFPKernel, 7, "Normal"); pfn != 16256 {
		t.Errorf("order-7 allocation at %d, want Normal's 16256", pfn)
	}
	// No order >= 7 block is left in Normal: DMA splits 1024 (o10).
	if pfn := allocIn(t, m, phys.GFPKernel, 7, "DMA"); pfn != 1024 {
		t.Errorf("second order-7 allocation at %d, want DMA's 1024", pfn)
	}
	if pfn := allocIn(t, m, phys.GFPKernel, 1, "Normal"); pfn != 16142 {
		t.Errorf("order-1 allocation at %d, want Normal's 16142", pfn)
	}
	if got := nrFree(dma); got != buddyinfo(7, 1, 8, 1, 9, 1, 10, 2) {
		t.Errorf("DMA buddyinfo %v", got)
	}
	if m.Stats.KswapdWakeups != 0 {
		t.Errorf("%d kswapd wakeups: every allocation passed the fast path", m.Stats.KswapdWakeups)
	}
	mustCheckFull(t, m)
}

// TestOrderWatermarkSubtractsPages: the watermark check first sets aside
// the 2^order-1 pages beyond the first.
func TestOrderWatermarkSubtractsPages(t *testing.T) {
	m := boot(t, x86(64*mib))
	normal := zone(t, m, "Normal")
	drain(t, m, phys.GFPKernel, normal, 243+8, true) // 251 free, low 243
	tests := []struct {
		order int
		ok    bool
	}{{0, true}, {1, true}, {2, true}, {3, true}, {4, false}} // 251-7 = 244 > 243; 251-15 = 236
	for _, tt := range tests {
		if got := normal.WatermarkOK(tt.order, phys.WmarkLow, normal); got != tt.ok {
			t.Errorf("WatermarkOK(order %d) with 251 free = %v, want %v", tt.order, got, tt.ok)
		}
	}
	// Against Normal's min (195) order 5 passes: 251-31 = 220.
	if !normal.WatermarkOK(5, phys.WmarkMin, normal) || normal.WatermarkOK(6, phys.WmarkMin, normal) {
		t.Errorf("WatermarkOK(order 5/6, min) with 251 free: want true/false")
	}
	// The DMA zone, asked on behalf of a Normal request, adds its
	// protection: 3328 > 66+48 at low.
	dma := zone(t, m, "DMA")
	if !dma.WatermarkOK(0, phys.WmarkLow, normal) {
		t.Error("DMA WatermarkOK for a Normal request = false, want true")
	}
}

// TestFallbackStaircase: GFP_HIGHUSER on x86 mem=1G starts at HighMem
// and falls to Normal, then DMA, each time the zone is at its watermark;
// lowmem_reserve makes Normal refuse it 1024 pages earlier than a
// GFP_KERNEL request (Normal's protection against HighMem requests is
// 32768/32), and DMA 1008 pages earlier (258048/256).
func TestFallbackStaircase(t *testing.T) {
	m := boot(t, x86(1*gib))
	r := record(m)
	high, normal := phys.GFPHighUser, phys.GFPKernel
	runSteps(t, m, r, []step{
		{"HighMem fast path down to its low (66)", high, 0, 32768 - 66, "HighMem", "",
			map[string]uint64{"HighMem": 66, "Normal": 225280, "DMA": 3328}, st(0, 0, 0, 0)},
		{"then Normal", high, 0, 1, "Normal", "",
			map[string]uint64{"HighMem": 66, "Normal": 225279}, st(0, 0, 0, 0)},
	})
	drain(t, m, normal, zone(t, m, "Normal"), 2202, true)
	runSteps(t, m, r, []step{
		{"Normal still serves HighMem requests above 1177+1024", high, 0, 1, "Normal", "",
			map[string]uint64{"Normal": 2201}, st(0, 0, 0, 0)},
		{"at 2201 it refuses them: DMA", high, 0, 1, "DMA", "",
			map[string]uint64{"Normal": 2201, "DMA": 3327}, st(0, 0, 0, 0)},
		{"but serves GFP_KERNEL (no protection against itself)", normal, 0, 1, "Normal", "",
			map[string]uint64{"Normal": 2200}, st(0, 0, 0, 0)},
		{"DMA serves HighMem requests down to 16+1008", high, 0, 3327 - 1024, "DMA", "",
			map[string]uint64{"DMA": 1024}, st(0, 0, 0, 0)},
		{"all fast paths fail: slow path, HighMem at min (32)", high, 0, 66 - 32, "HighMem", "",
			map[string]uint64{"HighMem": 32}, st(34, 0, 0, 0)},
		{"slow path: Normal above 942+1024", high, 0, 1, "Normal", "",
			map[string]uint64{"Normal": 2199}, st(35, 0, 0, 0)},
		{"GFP_HIGHUSER_MOVABLE: Movable is empty, same zones", phys.GFPHighUserMovable, 0, 1, "Normal", "",
			map[string]uint64{"Normal": 2198}, st(36, 0, 0, 0)},
		{"GFP_KERNEL still passes Normal's low", normal, 0, 1, "Normal", "",
			map[string]uint64{"Normal": 2197}, st(36, 0, 0, 0)},
	})
	drain(t, m, normal, zone(t, m, "Normal"), 1967, false)
	runSteps(t, m, r, []step{
		// 1967 > 942+1024: one more HighMem request fits in Normal.
		{"last HighMem page from Normal", high, 0, 1, "Normal", "",
			map[string]uint64{"Normal": 1966}, st(37, 0, 0, 0)},
		// DMA at 1024: 1024 > 13+1008 at min, so three more fit.
		{"then DMA down to 13+1008 at min", high, 0, 3, "DMA", "",
			map[string]uint64{"DMA": 1021}, st(40, 0, 0, 0)},
		{"then HighMem has nothing for a sleeper: OOM", high, 0, 1, "oom", "",
			nil, st(41, 1, 0, 1)},
		{"GFP_ATOMIC dips further into HighMem: 32 -> 16 -> 12", phys.GFPAtomic | phys.GfpHighmem, 0, 20, "HighMem", "",
			map[string]uint64{"HighMem": 12}, st(61, 1, 0, 1)},
	})
	// GFP_DMA requests never leave DMA, whatever is free above.
	if z, _ := m.GFPZone(phys.GFPKernel | phys.GfpDMA); z.Name != "DMA" {
		t.Errorf("gfp_zone(GFP_KERNEL|GFP_DMA) = %s", z.Name)
	}
}

// TestDMAOnlyNeverUsesHigherZones: with the kernel image covering all of
// ZONE_DMA, a GFP_DMA request fails although Normal is all free.
func TestDMAOnlyNeverUsesHigherZones(t *testing.T) {
	m := boot(t, withKernel(x86(1*gib), 20*mib))
	r := record(m)
	if zone(t, m, "DMA").Populated() {
		t.Fatal("DMA is populated; the 20M kernel image should cover it")
	}
	for _, gfp := range []phys.GFP{phys.GFPKernel | phys.GfpDMA, phys.GFPAtomic | phys.GfpDMA, phys.GFPDMA} {
		before := snapshot(m)
		_, ok, err := m.AllocPages(phys.Request{GFP: gfp})
		if ok || err != nil {
			t.Errorf("AllocPages(%s) = %v, %v; want NULL", gfp, ok, err)
		}
		if w := r.take(); len(w) != 1 || !strings.Contains(w[0], "page allocation failure: order:0, mode:"+gfp.Mode()) {
			t.Errorf("AllocPages(%s) warnings %q", gfp, w)
		}
		after := snapshot(m)
		before.Stats, after.Stats = phys.Stats{}, phys.Stats{}
		if d := diffState(before, after); d != "" {
			t.Errorf("AllocPages(%s) changed the zones:\n%s", gfp, d)
		}
	}
	if m.Stats.OOMCalls != 0 || m.Stats.AllocFail != 3 {
		t.Errorf("OOMCalls %d AllocFail %d, want 0 and 3", m.Stats.OOMCalls, m.Stats.AllocFail)
	}
}

// TestReclaimAndOOMHooks: memory the reclaim hooks free is used.
func TestReclaimAndOOMHooks(t *testing.T) {
	m := boot(t, x86(64*mib))
	r := record(m)
	normal := zone(t, m, "Normal")
	drain(t, m, phys.GFPKernel|phys.GfpDMA, zone(t, m, "DMA"), 53, false)
	blocks := drain(t, m, phys.GFPKernel, normal, 195, false)
	var reclaimOrder []int
	m.Hooks.DirectReclaim = func(gfp phys.GFP, order int) uint64 {
		r.reclaim++
		reclaimOrder = append(reclaimOrder, order)
		for i := 0; i < 10; i++ {
			b := blocks[len(blocks)-1]
			blocks = blocks[:len(blocks)-1]
			free(t, m, b.PFN, b.Order)
		}
		return 10
	}
	stall, oom := m.Stats.AllocStall, m.Stats.OOMCalls
	allocIn(t, m, phys.GFPKernel, 0, "Normal")
	if normal.Free() != 195+10-1 || m.Stats.AllocStall != stall+1 || m.Stats.OOMCalls != oom {
		t.Errorf("after reclaim: Normal free %d, stalls %d, oom calls %d; want 204, %d, %d", normal.Free(), m.Stats.AllocStall, m.Stats.OOMCalls, stall+1, oom)
	}
	if len(reclaimOrder) != 1 || reclaimOrder[0] != 0 {
		t.Errorf("DirectReclaim called with orders %v, want [0]", reclaimOrder)
	}
	drain(t, m, phys.GFPKernel, normal, 195, false)

	m.Hooks.DirectReclaim = func(phys.GFP, int) uint64 { r.reclaim++; return 0 }
	m.Hooks.OOM = func(gfp phys.GFP, order int) (bool, error) {
		r.oom++
		for i := 0; i < 5; i++ {
			b := blocks[len(blocks)-1]
			blocks = blocks[:len(blocks)-1]
			free(t, m, b.PFN, b.Order)
		}
		return true, nil
	}
	allocIn(t, m, phys.GFPKernel, 0, "Normal")
	if normal.Free() != 195+5-1 || m.Stats.OOMCalls != oom+1 || r.oom != 1 {
		t.Errorf("after the OOM kill: Normal free %d, oom calls %d, hook calls %d; want 199, %d, 1", normal.Free(), m.Stats.OOMCalls, oom+1, r.oom)
	}
	if w := r.take(); len(w) != 0 {
		t.Errorf("warnings %q", w)
	}
	mustCheckFull(t, m)
}

// TestSleepInAtomic: might_alloc() in atomic context is a BUG for any
// mask with __GFP_DIRECT_RECLAIM, whether or not memory is short.
func TestSleepInAtomic(t *testing.T) {
	tests := []struct {
		ctx    string
		gfp    phys.GFP
		caller string
		want   string // "" for success
	}{
		{"atomic", phys.GFPKernel, "", "alloc_pages(GFP_KERNEL) may sleep (__GFP_DIRECT_RECLAIM) but runs in atomic context (in_atomic(): 1, irqs_disabled(): 0"},
		{"irq", phys.GFPKernel, "kmalloc", "kmalloc(GFP_KERNEL) may sleep (__GFP_DIRECT_RECLAIM) but runs in irq context (in_atomic(): 1, irqs_disabled(): 1"},
		{"softirq", phys.GFPNoIO, "", "alloc_pages(GFP_NOIO) may sleep"},
		{"atomic", phys.GFPNoFS, "", "GFP_NOFS"},
		{"atomic", phys.GFPHighUserMovable, "", "GFP_HIGHUSER_MOVABLE"},
		{"irq", phys.GfpDirectReclaim, "", "__GFP_DIRECT_RECLAIM"},
		{"irq", phys.GFPAtomic, "", ""},
		{"irq", phys.GFPNowait, "", ""},
		{"atomic", phys.GFPAtomic | phys.GfpDMA, "", ""},
		{"atomic", phys.GFPKernel &^ phys.GfpDirectReclaim, "", ""},
		{"", phys.GFPKernel, "", ""},
	}
	for _, tt := range tests {
		m := boot(t, x86(64*mib))
		r := record(m)
		ctx := tt.ctx
		m.Hooks.Atomic = func() string { return ctx }
		before := snapshot(m)
		pfn, ok, err := m.AllocPages(phys.Request{GFP: tt.gfp, Caller: tt.caller})
		if tt.want == "" {
			if !ok || err != nil {
				t.Errorf("%s in %q context = %v, %v; want a block", tt.gfp, tt.ctx, ok, err)
			}
			free(t, m, pfn, 0)
			continue
		}
		if ok || !isBug(err) {
			t.Errorf("%s in %s context = %v, %v; want a *bug.Error", tt.gfp, tt.ctx, ok, err)
			continue
		}
		for _, w := range []string{"sleeping function called from invalid context", tt.want, "name: testtask"} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s in %s context: error %q does not contain %q", tt.gfp, tt.ctx, err, w)
			}
		}
		if d := diffState(before, snapshot(m)); d != "" || len(r.warns) != 0 {
			t.Errorf("%s in %s context changed the allocator (warnings %q):\n%s", tt.gfp, tt.ctx, r.warns, d)
		}
	}
}

// TestNoHooks: an allocator without hooks works and fails quietly.
func TestNoHooks(t *testing.T) {
	m := boot(t, x86(4*mib))
	// DMA: 256 managed, min 32, low 40.
	for i := 0; i < 256-40; i++ {
		alloc(t, m, phys.GFPKernel, 0)
	}
	_, ok, err := m.AllocPages(phys.Request{GFP: phys.GFPAtomic | phys.GfpDMA})
	if !ok || err != nil {
		t.Errorf("GFP_ATOMIC|GFP_DMA at 40 free: %v, %v; want a block", ok, err)
	}
	_, ok, err = m.AllocPages(phys.Request{GFP: phys.GFPKernel | phys.GfpDMA, Order: 11})
	if ok || err != nil || m.Stats.AllocFail != 1 {
		t.Errorf("order 11 without hooks: %v, %v, AllocFail %d", ok, err, m.Stats.AllocFail)
	}
	// GFP_KERNEL on x86 mem=4M: the highest zone (Normal) is empty, so
	// the request is Normal's and the OOM path runs: no hook, an error.
	for m.Zones[0].Free() > 16 {
		if _, ok, err := m.AllocPages(phys.Request{GFP: phys.GFPAtomic}); !ok || err != nil {
			t.Fatalf("GFP_ATOMIC: %v, %v", ok, err)
		}
	}
	_, ok, err = m.AllocPages(phys.Request{GFP: phys.GFPKernel})
	if ok || !isOOM(err) || !strings.Contains(err.Error(), "no killable processes") {
		t.Errorf("GFP_KERNEL without an OOM hook: %v, %v; want a *bug.OOM", ok, err)
	}
	mustCheckFull(t, m)
}
