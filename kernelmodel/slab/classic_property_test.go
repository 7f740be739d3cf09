package slab_test

import (
	"fmt"
	"math/rand"
	"sort"
	"testing"

	"mmsim/kernelmodel"
	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/phys"
	"mmsim/kernelmodel/slab"
)

// classicLive is the ledger's record of one object.
type classicLive struct {
	size  int
	gfp   phys.GFP
	cache *slab.Cache // kmem_cache_alloc's cache; nil for kmalloc
}

// TestClassicPropertyRandom runs seeded random kmalloc, kfree,
// kmem_cache_alloc and kmem_cache_free on machines with slab=slab, with
// CPU switches, bad frees, and now and then kmem_cache_shrink and
// cache_reap; after every step the machine's invariants, a ledger of live
// objects and SLAB's accounting are checked, and now and then every slab's
// layout and kmemleak's view. At the end everything is freed and shrunk,
// and the page allocator must have every page back.
func TestClassicPropertyRandom(t *testing.T) {
	machines := []struct {
		line       string
		structSlab int // sizeof(struct slab)
		maxBytes   int // live bytes at most
	}{
		{"x86 mem=64M slab=slab cpus=2", 28, 6 << 20},
		{"x86_64 mem=256M slab=slab cpus=1", 48, 24 << 20},
	}
	for _, mc := range machines {
		for _, seed := range []int64{1, 2, 3} {
			t.Run(fmt.Sprintf("%s/seed=%d", mc.line, seed), func(t *testing.T) {
				classicRandom(t, mc.line, mc.structSlab, mc.maxBytes, seed)
			})
		}
	}
}

func classicRandom(t *testing.T, line string, structSlab, maxBytes int, seed int64) {
	m, r := boot(t, line)
	a := m.Slab
	bootFree := m.Phys.NrFreePages()
	ctorCalls := map[string]int{}
	ctor := func(name string) func(arch.VirtAddr) {
		return func(arch.VirtAddr) { ctorCalls[name]++ }
	}
	users := []*slab.Cache{
		create(t, a, "obj64", 64, 0, 0, nil),
		create(t, a, "c100hw", 100, 0, slab.SlabHWCacheAlign, ctor("c100hw")),
		create(t, a, "c480", 480, 0, 0, nil),
		create(t, a, "c896", 896, 128, 0, ctor("c896")),
		create(t, a, "c1200", 1200, 0, 0, nil),
		create(t, a, "c1360", 1360, 0, 0, nil), // off-slab on both
		create(t, a, "c3000rcl", 3000, 0, slab.SlabReclaimAccount, nil),
	}
	if !a.Find("c1360").OffSlab() || !a.Find("size-512").OffSlab() || a.Find("c896").OffSlab() {
		t.Fatalf("off-slab: c1360 %v, size-512 %v, c896 %v", a.Find("c1360").OffSlab(), a.Find("size-512").OffSlab(), a.Find("c896").OffSlab())
	}
	rng := rand.New(rand.NewSource(seed))
	ledger := map[arch.VirtAddr]classicLive{}
	var order, stale []arch.VirtAddr
	liveBytes := 0
	remove := func(i int) (arch.VirtAddr, classicLive) {
		p := order[i]
		l := ledger[p]
		order[i] = order[len(order)-1]
		order = order[:len(order)-1]
		delete(ledger, p)
		stale = append(stale, p)
		liveBytes -= l.size
		return p, l
	}
	add := func(step int, what string, p arch.VirtAddr, l classicLive) {
		if _, dup := ledger[p]; dup {
			t.Fatalf("step %d: %s returned %#x, which is live", step, what, uint64(p))
		}
		ledger[p] = l
		order = append(order, p)
		liveBytes += l.size
	}
	// slabCounts is the number of slabs of every cache, for the return
	// values of shrink and reap.
	slabCounts := func() map[*slab.Cache]int {
		out := map[*slab.Cache]int{}
		for _, c := range a.Caches() {
			out[c] = c.Counts().Slabs
		}
		return out
	}
	var nKmalloc, nNull, nCacheAlloc, nFree, nBad, nBurst, nCPU, nReap, nShrink int
	const steps = 4000
	for step := 0; step < steps; step++ {
		what := ""
		switch k := rng.Intn(100); {
		case k < 35:
			size, gfp := classicRandomKmalloc(rng)
			if liveBytes+size > maxBytes {
				break
			}
			what = fmt.Sprintf("kmalloc(%d, %s)", size, gfp)
			p, ok, err := a.Kmalloc(size, gfp, "kmalloc")
			switch {
			case err != nil:
				t.Fatalf("step %d: %s: %v", step, what, err)
			case size > 131072:
				if ok || p != 0 || a.KmallocCache(size, gfp) != nil {
					t.Fatalf("step %d: %s = %#x, %v; want NULL above 128 KiB", step, what, uint64(p), ok)
				}
				nNull++
			case size == 0:
				if !ok || p != slab.ZeroSizePtr {
					t.Fatalf("step %d: %s = %#x, %v; want ZERO_SIZE_PTR", step, what, uint64(p), ok)
				}
			case !ok:
				t.Fatalf("step %d: %s failed; memory is plentiful", step, what)
			default:
				add(step, what, p, classicLive{size: size, gfp: gfp})
				nKmalloc++
			}
		case k < 55:
			c := users[rng.Intn(len(users))]
			if liveBytes+c.Size > maxBytes {
				break
			}
			gfp := phys.GFPKernel
			if rng.Intn(4) == 0 {
				gfp = phys.GFPAtomic
			}
			what = fmt.Sprintf("kmem_cache_alloc(%s, %s)", c.Name, gfp)
			p, ok, err := c.Alloc(gfp, "kmem_cache_alloc")
			if err != nil || !ok {
				t.Fatalf("step %d: %s = %v, %v", step, what, ok, err)
			}
			add(step, what, p, classicLive{size: c.Size, gfp: gfp, cache: c})
			nCacheAlloc++
		case k < 88:
			if len(order) == 0 {
				break
			}
			p, l := remove(rng.Intn(len(order)))
			var err error
			if l.cache != nil {
				what = fmt.Sprintf("kmem_cache_free(%s, %#x)", l.cache.Name, uint64(p))
				err = l.cache.Free(p, "kmem_cache_free")
			} else {
				what = fmt.Sprintf("kfree(%#x)", uint64(p))
				err = a.Kfree(p, "kfree")
			}
			if err != nil {
				t.Fatalf("step %d: %s: %v", step, what, err)
			}
			nFree++
		case k < 90:
			p := classicBadPointer(rng, a, order, stale, ledger)
			if p == 0 {
				break
			}
			what = fmt.Sprintf("bad kfree(%#x)", uint64(p))
			before := snapshot(m)
			if err := a.Kfree(p, "kfree"); !isBug(err) {
				t.Fatalf("step %d: %s = %v, want a BUG", step, what, err)
			}
			unchanged(t, m, before, what)
			nBad++
		case k < 93:
			// A burst: a few array-fulls of one cache allocated and freed
			// in random order, so that free objects pile up past
			// free_limit and free_block() destroys slabs.
			c := users[rng.Intn(len(users))]
			limit, _, _ := c.Tunables()
			n := limit + rng.Intn(3*limit+3*c.ObjsPerSlab)
			what = fmt.Sprintf("burst of %d in %s", n, c.Name)
			var ps []arch.VirtAddr
			for i := 0; i < n; i++ {
				ps = append(ps, alloc(t, c, phys.GFPKernel))
			}
			rng.Shuffle(len(ps), func(i, j int) { ps[i], ps[j] = ps[j], ps[i] })
			for _, p := range ps {
				free(t, c, p)
			}
			nBurst++
		case k < 95:
			if len(m.Contexts()) > 0 {
				m.LeaveContext()
			}
			cpu := rng.Intn(m.Config.CPUs)
			if err := m.EnterContext(kernelmodel.Context{Kind: kernelmodel.CtxCPU, CPU: cpu}); err != nil {
				t.Fatal(err)
			}
			what = fmt.Sprintf("cpu %d", cpu)
			nCPU++
		case k < 98:
			what = "cache_reap"
			before := slabCounts()
			for _, c := range a.Caches() {
				n, err := c.Reap()
				if err != nil {
					t.Fatalf("step %d: reap %s: %v", step, c.Name, err)
				}
				if got := c.Counts().Slabs; n != before[c]-got {
					t.Fatalf("step %d: reap %s returned %d, but its slabs went from %d to %d", step, c.Name, n, before[c], got)
				}
				before = slabCounts() // a reap may free management objects into another cache
			}
			nReap++
		default:
			what = "kmem_cache_shrink"
			list := a.Caches()
			if rng.Intn(2) == 0 {
				list = list[rng.Intn(len(list)):][:1]
			}
			for _, c := range list {
				before := c.Counts().Slabs
				n, err := c.Shrink()
				if err != nil {
					t.Fatalf("step %d: shrink %s: %v", step, c.Name, err)
				}
				after := c.Counts()
				if n != before-after.Slabs || after.Free != 0 {
					t.Fatalf("step %d: shrink %s returned %d; slabs %d → %d, %d free left", step, c.Name, n, before, after.Slabs, after.Free)
				}
				for cpu := 0; cpu < m.Config.CPUs; cpu++ {
					if n := c.ArrayAvail(cpu); n != 0 {
						t.Fatalf("step %d: shrink %s left %d objects in CPU %d's array", step, c.Name, n, cpu)
					}
				}
			}
			nShrink++
		}
		if err := m.Check(); err != nil {
			t.Fatalf("step %d (%s): Check: %v", step, what, err)
		}
		classicCheckLedger(t, m, ledger, structSlab, step, what)
		for name, n := range ctorCalls {
			if c := a.Find(name); n%c.ObjsPerSlab != 0 || n < c.Counts().Objs {
				t.Fatalf("step %d (%s): %s's constructor ran %d times; %d objects per slab, %d objects now", step, what, name, n, c.ObjsPerSlab, c.Counts().Objs)
			}
		}
		if step%250 == 0 || step == steps-1 {
			checkAll(t, m)
			classicCheckLayout(t, m, structSlab, step)
			classicCheckLeaks(t, a, ledger, step)
		}
	}
	if w := r.take(); len(w) != 0 {
		t.Errorf("warnings: %q", w[:min(len(w), 3)])
	}
	if nKmalloc < 800 || nNull < 5 || nCacheAlloc < 500 || nFree < 1000 || nBad < 30 || nBurst < 30 || nReap < 50 || nShrink < 20 || (m.Config.CPUs > 1 && nCPU < 50) {
		t.Errorf("too few operations: %d kmallocs, %d NULL, %d cache allocs, %d frees, %d bad frees, %d bursts, %d CPU switches, %d reaps, %d shrinks",
			nKmalloc, nNull, nCacheAlloc, nFree, nBad, nBurst, nCPU, nReap, nShrink)
	}
	// Free everything and shrink every cache until nothing changes (an
	// off-slab cache's shrink frees management objects into a general
	// cache): every page is back.
	for len(order) > 0 {
		p, l := remove(len(order) - 1)
		if l.cache != nil {
			free(t, l.cache, p)
		} else {
			kfree(t, a, p)
		}
	}
	for pass := 0; ; pass++ {
		freed := 0
		for _, c := range a.Caches() {
			n, err := c.Shrink()
			if err != nil {
				t.Fatal(err)
			}
			freed += n
		}
		if freed == 0 {
			break
		}
		if pass == 3 {
			t.Fatalf("shrinking still frees slabs after %d passes", pass)
		}
	}
	for _, c := range a.Caches() {
		if n := c.Counts(); n != (slab.Counts{}) {
			t.Errorf("%s after freeing and shrinking: %+v", c.Name, n)
		}
	}
	if got := m.Phys.NrFreePages(); got != bootFree {
		t.Errorf("free pages %d at the end, %d at boot", got, bootFree)
	}
	if leaks := m.Phys.Leaks(phys.OwnerSlab); len(leaks) != 0 {
		t.Errorf("%d blocks still owned by the slab layer", len(leaks))
	}
	if leaks := a.Leaks(); len(leaks) != 0 {
		t.Errorf("kmemleak: %+v", leaks[:min(len(leaks), 3)])
	}
	for _, c := range users {
		if err := c.Destroy(); err != nil {
			t.Errorf("kmem_cache_destroy(%s): %v", c.Name, err)
		}
	}
	checkAll(t, m)
}

// classicRandomKmalloc picks a size and a mask: mostly small, now and then
// up to 128 KiB and a little above (NULL), GFP_DMA only up to a page.
func classicRandomKmalloc(rng *rand.Rand) (int, phys.GFP) {
	var size int
	switch k := rng.Intn(100); {
	case k < 2:
		size = 0
	case k < 70:
		size = 1 + rng.Intn(512)
	case k < 90:
		size = 513 + rng.Intn(4096-512)
	case k < 97:
		size = 4097 + rng.Intn(32768-4096)
	case k < 99:
		size = 32769 + rng.Intn(131072-32768)
	default:
		size = 131073 + rng.Intn(100000)
	}
	gfp := phys.GFPKernel
	switch k := rng.Intn(10); {
	case k < 2:
		gfp = phys.GFPAtomic
	case k < 4 && size <= 4096:
		gfp = phys.GFPKernel | phys.GfpDMA
	case k < 5:
		gfp = phys.GFPKernel | phys.GfpReclaimable
	}
	return size, gfp
}

// classicBadPointer picks an address kfree must refuse: a byte inside a
// live object, or a pointer freed before that is not allocated now (it may
// be in a per-CPU array, free in its slab, or in no slab any more). It
// returns 0 when it finds none.
func classicBadPointer(rng *rand.Rand, a *slab.Allocator, order, stale []arch.VirtAddr, ledger map[arch.VirtAddr]classicLive) arch.VirtAddr {
	for try := 0; try < 10; try++ {
		if rng.Intn(2) == 0 && len(order) > 0 {
			q := order[rng.Intn(len(order))]
			n, err := a.Ksize(q, "ksize")
			if err != nil || n < 2 {
				continue
			}
			return q + arch.VirtAddr(1+rng.Intn(n-1))
		}
		if len(stale) == 0 {
			continue
		}
		p := stale[rng.Intn(len(stale))]
		if _, isLive := ledger[p]; isLive {
			continue
		}
		// Not an allocated object now: a management object, for one,
		// would be freed.
		if o, ok := a.Lookup(p); ok && !o.Free {
			continue
		}
		return p
	}
	return 0
}

// classicMgmtCache is the general cache an off-slab slab of c takes its
// management from: the smallest that holds ALIGN(struct slab + 4 * num,
// align).
func classicMgmtCache(a *slab.Allocator, c *slab.Cache, structSlab int) *slab.Cache {
	size := (structSlab + 4*c.ObjsPerSlab + c.Align - 1) / c.Align * c.Align
	for _, n := range []int{32, 64, 128, 192, 256, 512} {
		if n >= size {
			return a.Find(fmt.Sprintf("size-%d", n))
		}
	}
	return nil
}

// classicCheckLedger verifies every live object (allocated, at its start,
// in the cache it was asked of, in ZONE_DMA for GFP_DMA, no two
// overlapping) and SLAB's accounting of every cache: the lists hold every
// slab, the objects in use are the ledger's plus one management object
// per slab of each off-slab cache using the cache, and active objects are
// those plus the ones in the per-CPU arrays, none holding more than its
// limit.
func classicCheckLedger(t *testing.T, m *kernelmodel.Machine, ledger map[arch.VirtAddr]classicLive, structSlab, step int, what string) {
	t.Helper()
	a := m.Slab
	type span struct{ start, end arch.VirtAddr }
	spans := make([]span, 0, len(ledger))
	inUse := map[*slab.Cache]int{}
	for p, l := range ledger {
		o, ok := a.Lookup(p)
		if !ok || o.Free || o.Offset != 0 || o.Cache == nil {
			t.Fatalf("step %d (%s): live %#x (%d bytes) looks up as %+v, %v", step, what, uint64(p), l.size, o, ok)
		}
		want := l.cache
		if want == nil {
			want = a.KmallocCache(l.size, l.gfp)
		}
		if o.Cache != want || o.Size != o.Cache.Size || o.Size < l.size {
			t.Fatalf("step %d (%s): %#x (%d bytes, %s) is in %s of size %d, want %v", step, what, uint64(p), l.size, l.gfp, o.Cache.Name, o.Size, want)
		}
		if (l.gfp&phys.GfpDMA != 0) != (m.Phys.PageZone(o.PFN).Name == "DMA") {
			t.Fatalf("step %d (%s): %#x (%s) is in zone %s", step, what, uint64(p), l.gfp, m.Phys.PageZone(o.PFN).Name)
		}
		spans = append(spans, span{p, p + arch.VirtAddr(o.Size)})
		inUse[o.Cache]++
	}
	for _, c := range a.Caches() {
		if c.OffSlab() {
			inUse[classicMgmtCache(a, c, structSlab)] += c.Counts().Slabs
		}
	}
	for _, c := range a.Caches() {
		n := c.Counts()
		full, partial, free := c.ClassicLists()
		inArrays := 0
		limit, _, _ := c.Tunables()
		for cpu := 0; cpu < m.Config.CPUs; cpu++ {
			avail := c.ArrayAvail(cpu)
			if avail > limit {
				t.Fatalf("step %d (%s): %s: CPU %d's array holds %d, limit %d", step, what, c.Name, cpu, avail, limit)
			}
			inArrays += avail
		}
		if n.InUse != inUse[c] || n.ActiveObjs != n.InUse+inArrays || n.Objs != n.Slabs*c.ObjsPerSlab ||
			n.Full != len(full) || n.Partial != len(partial) || n.Free != len(free) || n.Slabs != n.Full+n.Partial+n.Free || n.ActiveSlabs != n.Full+n.Partial {
			t.Fatalf("step %d (%s): %s counts %+v, lists %d/%d/%d, %d in arrays; the ledger %d in use", step, what, c.Name, n, len(full), len(partial), len(free), inArrays, inUse[c])
		}
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	for i := 1; i < len(spans); i++ {
		if spans[i].start < spans[i-1].end {
			t.Fatalf("step %d (%s): live objects %#x..%#x and %#x overlap", step, what, uint64(spans[i-1].start), uint64(spans[i-1].end), uint64(spans[i].start))
		}
	}
}

// classicCheckLayout checks every slab: on its list by its count, its
// colour offset one of the cache's colours, object 0 after the colour and
// the on-slab management, the last object inside the slab's pages.
func classicCheckLayout(t *testing.T, m *kernelmodel.Machine, structSlab, step int) {
	t.Helper()
	for _, c := range m.Slab.Caches() {
		colour, colOff := c.Colour()
		mgmt := 0
		if !c.OffSlab() {
			mgmt = (structSlab + 4*c.ObjsPerSlab + c.Align - 1) / c.Align * c.Align
		}
		for _, s := range c.Slabs() {
			off := s.ColourOffset()
			page := m.Layout.Virt(uint64(s.PFN.Addr()))
			if off%colOff != 0 || off/colOff >= max(colour, 1) || int(s.Addr(0)-page) != off+mgmt ||
				int(s.Addr(s.Objects-1)-page)+c.Size > arch.PageSize<<s.Order || s.Order != c.Order || s.Objects != c.ObjsPerSlab {
				t.Fatalf("step %d: %s: slab at pfn %#x of order %d, %d objects, colour offset %d (%d colours of %d), object 0 at +%d (management %d)",
					step, c.Name, uint64(s.PFN), s.Order, s.Objects, off, colour, colOff, int(s.Addr(0)-page), mgmt)
			}
			wantList := slab.ListPartial
			switch s.InUse {
			case 0:
				wantList = slab.ListFree
			case s.Objects:
				wantList = slab.ListFull
			}
			if l, _ := s.Where(); l != wantList {
				t.Fatalf("step %d: %s: slab at pfn %#x with %d of %d in use is on %s", step, c.Name, uint64(s.PFN), s.InUse, s.Objects, l)
			}
		}
	}
}

// classicCheckLeaks checks kmemleak's view: exactly the ledger's objects,
// never the allocator's own management objects.
func classicCheckLeaks(t *testing.T, a *slab.Allocator, ledger map[arch.VirtAddr]classicLive, step int) {
	t.Helper()
	leaks := a.Leaks()
	if len(leaks) != len(ledger) {
		t.Fatalf("step %d: kmemleak lists %d objects, the ledger %d", step, len(leaks), len(ledger))
	}
	for _, l := range leaks {
		if _, ok := ledger[l.Addr]; !ok {
			t.Fatalf("step %d: kmemleak lists %#x (%s), which is not live", step, uint64(l.Addr), l.Cache)
		}
	}
}
