package slab

// Tests of the classic SLAB allocator (slab=slab, 2.6 mm/slab.c). They sit
// inside the package because cache_estimate(), free_limit, slab_size and
// slabp_cache have no exported view; they build physical memory and the
// slab layer directly (the package cannot import kernelmodel). Every
// expected number below is derived by hand from the rules in
// linux-mm-facts.md section 5 and spec.md 16.2; the derivation is in the
// comments.

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/phys"
)

// slabMachine is physical memory with the classic SLAB allocator on top.
type slabMachine struct {
	t     *testing.T
	a     *Allocator
	cpu   int // the CPU the allocator runs on
	warns []string
	boot  uint64 // free pages once booted
	// names are the slabs seen, by creation order per cache: "S0", "S1".
	names map[*Slab]string
	seen  map[*Cache]int
}

func newSlabMachine(t *testing.T, archName string, memMiB uint64, cpus int) *slabMachine {
	t.Helper()
	p := arch.Params{Arch: archName, Mem: memMiB << 20}
	if archName == "x86" {
		p.Paging, p.Split, p.Highmem = "2level", "3G", true
	} else {
		p.Paging = "4level"
	}
	l, err := arch.New(p)
	if err != nil {
		t.Fatal(err)
	}
	m, err := phys.Boot(l)
	if err != nil {
		t.Fatal(err)
	}
	sm := &slabMachine{t: t, names: map[*Slab]string{}, seen: map[*Cache]int{}}
	m.Hooks.Warn = func(msg string) { sm.warns = append(sm.warns, msg) }
	a, err := New(m, l, cpus, "slab", false)
	if err != nil {
		t.Fatal(err)
	}
	a.CPU = func() int { return sm.cpu }
	a.Warn = func(msg string) { sm.warns = append(sm.warns, msg) }
	sm.a = a
	sm.boot = m.NrFreePages()
	sm.check("boot")
	return sm
}

// check runs every invariant check of the slab layer and of physical
// memory, incremental and full.
func (sm *slabMachine) check(what string) {
	sm.t.Helper()
	for _, f := range []struct {
		name string
		fn   func() error
	}{{"phys Check", sm.a.Mem.Check}, {"slab Check", sm.a.Check}, {"phys CheckFull", sm.a.Mem.CheckFull}, {"slab CheckFull", sm.a.CheckFull}} {
		if err := f.fn(); err != nil {
			sm.t.Fatalf("%s: %s: %v", what, f.name, err)
		}
	}
}

func (sm *slabMachine) create(name string, size, align int, flags Flags) *Cache {
	sm.t.Helper()
	c, err := sm.a.Create(name, size, align, flags, nil)
	if err != nil {
		sm.t.Fatalf("kmem_cache_create(%s, %d, %d, %#x): %v", name, size, align, uint32(flags), err)
	}
	return c
}

func (sm *slabMachine) general(name string) *Cache {
	sm.t.Helper()
	c := sm.a.Find(name)
	if c == nil {
		sm.t.Fatalf("no cache %s", name)
	}
	return c
}

// alloc allocates from a cache and names the slab the object is in.
func (sm *slabMachine) alloc(c *Cache) arch.VirtAddr {
	sm.t.Helper()
	p, ok, err := c.Alloc(phys.GFPKernel, "kmem_cache_alloc")
	if err != nil || !ok {
		sm.t.Fatalf("kmem_cache_alloc(%s) = %#x, %v, %v", c.Name, uint64(p), ok, err)
	}
	s, _ := sm.at(p)
	if _, ok := sm.names[s]; !ok {
		sm.names[s] = fmt.Sprintf("S%d", sm.seen[c])
		sm.seen[c]++
	}
	return p
}

func (sm *slabMachine) free(c *Cache, p arch.VirtAddr) {
	sm.t.Helper()
	if err := c.Free(p, "kmem_cache_free"); err != nil {
		sm.t.Fatalf("kmem_cache_free(%s, %#x): %v", c.Name, uint64(p), err)
	}
}

// at returns the slab and the object index of an object's start.
func (sm *slabMachine) at(p arch.VirtAddr) (*Slab, int) {
	sm.t.Helper()
	s, i, off, ok := sm.a.lookup(p)
	if !ok || i < 0 || i >= s.Objects || off != 0 {
		sm.t.Fatalf("%#x is no object's start (%v, %d, %d)", uint64(p), ok, i, off)
	}
	return s, i
}

// name is an object as "S3.2": object 2 of the cache's fourth slab.
func (sm *slabMachine) name(p arch.VirtAddr) string {
	sm.t.Helper()
	s, i := sm.at(p)
	n, ok := sm.names[s]
	if !ok {
		n = fmt.Sprintf("pfn%#x", uint64(s.PFN))
	}
	return fmt.Sprintf("%s.%d", n, i)
}

// pages is how many pages the machine lost since boot.
func (sm *slabMachine) pages() int { return int(sm.boot) - int(sm.a.Mem.NrFreePages()) }

func (sm *slabMachine) slabNames(list []*Slab) []string {
	out := []string{}
	for _, s := range list {
		n, ok := sm.names[s]
		if !ok {
			n = fmt.Sprintf("pfn%#x", uint64(s.PFN))
		}
		out = append(out, n)
	}
	return out
}

// state is what the tests compare: the lists head first, each CPU's array
// size, the node's free objects, and the pages the machine lost.
type classicState struct {
	Full, Partial, Free []string
	Arrays              []int
	FreeObjects         int
	Pages               int
}

func (sm *slabMachine) state(c *Cache) classicState {
	f, p, fr := c.ClassicLists()
	st := classicState{Full: sm.slabNames(f), Partial: sm.slabNames(p), Free: sm.slabNames(fr), FreeObjects: c.classic.freeObjects, Pages: sm.pages()}
	for cpu := 0; cpu < sm.a.CPUs; cpu++ {
		st.Arrays = append(st.Arrays, c.ArrayAvail(cpu))
	}
	return st
}

func (sm *slabMachine) want(c *Cache, want classicState, what string) {
	sm.t.Helper()
	if d := cmp.Diff(want, sm.state(c)); d != "" {
		sm.t.Errorf("%s: %s (-want +got):\n%s", what, c.Name, d)
	}
	sm.check(what)
}

// geometry is a SLAB cache's layout.
type geometry struct {
	Size, Align, Num, Order, Left, Colour, ColOff int
	OffSlab                                       bool
	// SlabSize is slab_size: struct slab and the bufctls, aligned; Mgmt
	// the general cache an off-slab slab takes it from.
	SlabSize int
	Mgmt     string
}

func geometryOf(c *Cache) geometry {
	colour, colOff := c.Colour()
	g := geometry{Size: c.Size, Align: c.Align, Num: c.ObjsPerSlab, Order: c.Order, Left: c.LeftOver(), Colour: colour, ColOff: colOff,
		OffSlab: c.OffSlab(), SlabSize: c.classic.slabSize}
	if c.classic.slabp != nil {
		g.Mgmt = c.classic.slabp.Name
	}
	return g
}

// TestClassicGeneralCaches checks 2.6's general caches: the names in
// creation order and each one's layout.
//
// With SLAB_HWCACHE_ALIGN the alignment is the 64-byte line, halved while
// the object fits in half of it: 32 for size-32, 64 above. The management
// on-slab is struct slab (28 bytes on x86, 48 on x86_64) plus 4 bytes per
// object, aligned; n is the largest count with n*size + ALIGN(base+4n,
// align) <= the slab. For example on x86:
//
//	size-32:  n = 4068/36 = 113, ALIGN(28+452, 32) = 480, 480+3616 = 4096: left 0
//	size-64:  n = 4068/68 = 59, ALIGN(264, 64) = 320, 320+3776 = 4096: left 0
//	size-128: n = 4068/132 = 30, ALIGN(148, 64) = 192, left 4096-3840-192 = 64: 1 colour
//	size-192: n = 4068/196 = 20, ALIGN(108, 64) = 128, left 128: 2 colours
//	size-256: n = 4068/260 = 15, ALIGN(88, 64) = 128, left 128: 2 colours
//
// and on x86_64 (48-byte struct slab) size-32 holds 4048/36 = 112, with
// ALIGN(496, 32) = 512 and 512+3584 = 4096; size-64 59 (ALIGN(284, 64) =
// 320), size-128 30 (ALIGN(168, 64) = 192, left 64), size-192 20 (128,
// left 128), size-256 15 (ALIGN(108, 64) = 128, left 128).
//
// From 512 bytes the management is off-slab: n = slab/size, left 0, and
// slab_size = ALIGN(28+4n, 64) = 64 on x86 (a size-64 object); on x86_64
// size-512 needs ALIGN(48+32, 64) = 128 (size-128), the others ALIGN(48+4n,
// 64) = 64. The leftover 0 never holds it, so it stays off-slab. Order 0
// holds no 8192-byte object, so size-8192 takes order 1, size-N order
// log2(N/4096), up to size-131072 at order 5.
func TestClassicGeneralCaches(t *testing.T) {
	on := func(size, align, num, left, colour, slabSize int) geometry {
		return geometry{Size: size, Align: align, Num: num, Left: left, Colour: colour, ColOff: 64, SlabSize: slabSize}
	}
	off := func(size, num, order, slabSize int, mgmt string) geometry {
		return geometry{Size: size, Align: 64, Num: num, Order: order, ColOff: 64, OffSlab: true, SlabSize: slabSize, Mgmt: mgmt}
	}
	tests := []struct {
		arch string
		want map[int]geometry
	}{
		{"x86", map[int]geometry{
			32:     on(32, 32, 113, 0, 0, 480),
			64:     on(64, 64, 59, 0, 0, 320),
			128:    on(128, 64, 30, 64, 1, 192),
			192:    on(192, 64, 20, 128, 2, 128),
			256:    on(256, 64, 15, 128, 2, 128),
			512:    off(512, 8, 0, 64, "size-64"),
			1024:   off(1024, 4, 0, 64, "size-64"),
			2048:   off(2048, 2, 0, 64, "size-64"),
			4096:   off(4096, 1, 0, 64, "size-64"),
			8192:   off(8192, 1, 1, 64, "size-64"),
			16384:  off(16384, 1, 2, 64, "size-64"),
			32768:  off(32768, 1, 3, 64, "size-64"),
			65536:  off(65536, 1, 4, 64, "size-64"),
			131072: off(131072, 1, 5, 64, "size-64"),
		}},
		{"x86_64", map[int]geometry{
			32:     on(32, 32, 112, 0, 0, 512),
			64:     on(64, 64, 59, 0, 0, 320),
			128:    on(128, 64, 30, 64, 1, 192),
			192:    on(192, 64, 20, 128, 2, 128),
			256:    on(256, 64, 15, 128, 2, 128),
			512:    off(512, 8, 0, 128, "size-128"),
			1024:   off(1024, 4, 0, 64, "size-64"),
			2048:   off(2048, 2, 0, 64, "size-64"),
			4096:   off(4096, 1, 0, 64, "size-64"),
			8192:   off(8192, 1, 1, 64, "size-64"),
			16384:  off(16384, 1, 2, 64, "size-64"),
			32768:  off(32768, 1, 3, 64, "size-64"),
			65536:  off(65536, 1, 4, 64, "size-64"),
			131072: off(131072, 1, 5, 64, "size-64"),
		}},
	}
	sizes := []int{32, 64, 128, 192, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072}
	for _, tc := range tests {
		t.Run(tc.arch, func(t *testing.T) {
			sm := newSlabMachine(t, tc.arch, 64, 2)
			var wantNames, gotNames []string
			for _, size := range sizes {
				wantNames = append(wantNames, fmt.Sprintf("size-%d", size), fmt.Sprintf("size-%d(DMA)", size))
			}
			for _, c := range sm.a.caches {
				gotNames = append(gotNames, c.Name)
			}
			if d := cmp.Diff(wantNames, gotNames); d != "" {
				t.Errorf("general caches in creation order (-want +got):\n%s", d)
			}
			for _, size := range sizes {
				for _, dma := range []bool{false, true} {
					name := fmt.Sprintf("size-%d", size)
					if dma {
						name += "(DMA)"
					}
					c := sm.general(name)
					if d := cmp.Diff(tc.want[size], geometryOf(c)); d != "" {
						t.Errorf("%s (-want +got):\n%s", name, d)
					}
					if !c.Classic() || !c.Kmalloc || c.ObjectSize != size || c.Flags&SlabHWCacheAlign == 0 || (c.Flags&SlabCacheDMA != 0) != dma {
						t.Errorf("%s: classic %v, kmalloc %v, object size %d, flags %#x", name, c.Classic(), c.Kmalloc, c.ObjectSize, uint32(c.Flags))
					}
					if n := c.Counts(); n != (Counts{}) {
						t.Errorf("%s has slabs after boot: %+v", name, n)
					}
				}
			}
			if sm.pages() != 0 {
				t.Errorf("the general caches took %d pages at boot", sm.pages())
			}
		})
	}
}

// TestClassicCacheEstimate checks cache_estimate() on single cases.
func TestClassicCacheEstimate(t *testing.T) {
	tests := []struct {
		name               string
		order, size, align int
		offSlab            bool
		structSlab         int
		wantNum, wantLeft  int
		wantDecrement      bool // the 2.6 closed form must decrement once
	}{
		// 4068/36 = 113; ALIGN(28+452, 32) = 480; 480+3616 = 4096.
		{"x86 size-32", 0, 32, 32, false, 28, 113, 0, false},
		// 4068/68 = 59; ALIGN(264, 64) = 320; 320+3776 = 4096.
		{"x86 size-64", 0, 64, 64, false, 28, 59, 0, false},
		// 4068/132 = 30; ALIGN(148, 64) = 192; 4096-3840-192 = 64.
		{"x86 size-128", 0, 128, 64, false, 28, 30, 64, false},
		{"x86 size-192", 0, 192, 64, false, 28, 20, 128, false},
		{"x86 size-256", 0, 256, 64, false, 28, 15, 128, false},
		// 4048/36 = 112; ALIGN(48+448, 32) = 512; 512+3584 = 4096.
		{"x86_64 size-32", 0, 32, 32, false, 48, 112, 0, false},
		// 4048/132 = 30; ALIGN(168, 64) = 192; left 64.
		{"x86_64 size-128", 0, 128, 64, false, 48, 30, 64, false},
		// 512 bytes on-slab: 4068/516 = 7; ALIGN(56, 64) = 64; 4096-3584-64 = 448.
		{"512 on-slab", 0, 512, 64, false, 28, 7, 448, false},
		{"512 off-slab", 0, 512, 64, true, 28, 8, 0, false},
		// 4068/28 = 145; ALIGN(608, 8) = 608; 608+3480 = 4088: left 8.
		{"24 bytes", 0, 24, 8, false, 28, 145, 8, false},
		// One object and its management: 2048+ALIGN(32, 64) = 2112; two
		// need 4096+64.
		{"2048 on-slab", 0, 2048, 64, false, 28, 1, 4096 - 2048 - 64, false},
		// Nothing fits: the whole slab but the bare management is left.
		{"4096 on-slab", 0, 4096, 64, false, 28, 0, 4096 - 64, false},
		{"8192 at order 0", 0, 8192, 64, true, 28, 0, 4096, false},
		{"8192 at order 1", 1, 8192, 64, true, 28, 1, 0, false},
		{"4096 at order 1", 1, 4096, 64, true, 28, 2, 0, false},
		{"131072 at order 5", 5, 131072, 64, true, 28, 1, 0, false},
		// 8164/1508 = 5; ALIGN(48, 8) = 48; 8192-7520-48 = 624.
		{"1504 at order 1", 1, 1504, 8, false, 28, 5, 624, false},
		// The decrement: 4068/104 = 39 with ALIGN(28+156, 128) = 256 and
		// 256+3900 = 4156 > 4096, so 38: ALIGN(180, 128) = 256,
		// 4096-3800-256 = 40.
		{"decrement: 100 bytes aligned 128", 0, 100, 128, false, 28, 38, 40, true},
		// 4048/64 = 63 with ALIGN(48+252, 64) = 320 and 320+3780 > 4096,
		// so 62: ALIGN(296, 64) = 320, 4096-3720-320 = 56.
		{"decrement: 60 bytes aligned 64, x86_64", 0, 60, 64, false, 48, 62, 56, true},
		{"decrement: 60 bytes aligned 64, x86", 0, 60, 64, false, 28, 62, 56, true},
		// No decrement one step away: 4068/104 = 39, ALIGN(184, 64) =
		// 192, 192+3900 = 4092 fits: left 4.
		{"no decrement: 100 bytes aligned 64", 0, 100, 64, false, 28, 39, 4, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			num, left := cacheEstimate(tc.order, tc.size, tc.align, tc.offSlab, tc.structSlab)
			if num != tc.wantNum || left != tc.wantLeft {
				t.Errorf("cacheEstimate(%d, %d, %d, %v, %d) = %d objects, %d left; want %d, %d",
					tc.order, tc.size, tc.align, tc.offSlab, tc.structSlab, num, left, tc.wantNum, tc.wantLeft)
			}
			cn, cl, dec := closedFormEstimate(tc.order, tc.size, tc.align, tc.offSlab, tc.structSlab)
			if dec != tc.wantDecrement {
				t.Errorf("the closed form decrements: %v, want %v", dec, tc.wantDecrement)
			}
			if cn != num || cl != left {
				t.Errorf("closed form %d, %d; loop %d, %d", cn, cl, num, left)
			}
		})
	}
}

// closedFormEstimate is 2.6.17+'s cache_estimate(): n = (slab - struct
// slab) / (size + bufctl), decremented once when the aligned management and
// n objects overflow the slab.
func closedFormEstimate(order, size, align int, offSlab bool, structSlab int) (num, left int, decremented bool) {
	slab := arch.PageSize << order
	if offSlab {
		return slab / size, slab % size, false
	}
	mgmt := func(n int) int { return (structSlab + n*bufctlSize + align - 1) / align * align }
	n := (slab - structSlab) / (size + bufctlSize)
	if mgmt(n)+n*size > slab {
		n--
		decremented = true
	}
	return n, slab - n*size - mgmt(n), decremented
}

// TestClassicCacheEstimateClosedForm checks the model's cache_estimate()
// (2.6.0's loop) against 2.6.17's closed form with its single decrement
// over every object size from the alignment up, for orders 0 to 2, both
// struct slab sizes and alignments 8 to 256: the two agree wherever the
// object is at least as large as the alignment (as kmem_cache_create
// makes it); when the size is a multiple of the alignment, as
// kmem_cache_create makes it, the decrement is never needed.
func TestClassicCacheEstimateClosedForm(t *testing.T) {
	decrements, alignedDecrements, cases := 0, 0, 0
	for order := 0; order <= 2; order++ {
		slab := arch.PageSize << order
		for _, structSlab := range []int{28, 48} {
			for _, align := range []int{8, 16, 32, 64, 128, 256} {
				for size := align; size <= slab; size += 4 {
					for _, off := range []bool{false, true} {
						num, left := cacheEstimate(order, size, align, off, structSlab)
						cn, cl, dec := closedFormEstimate(order, size, align, off, structSlab)
						cases++
						if num != cn || left != cl {
							t.Fatalf("order %d, size %d, align %d, off-slab %v, struct slab %d: loop %d objects %d left, closed form %d, %d",
								order, size, align, off, structSlab, num, left, cn, cl)
						}
						if num < 0 || left < 0 {
							t.Fatalf("order %d, size %d, align %d: %d objects, %d left", order, size, align, num, left)
						}
						if dec {
							decrements++
							if size%align == 0 {
								alignedDecrements++
							}
						}
					}
				}
			}
		}
	}
	if decrements == 0 {
		t.Errorf("no case of %d needed the decrement: the comparison proves nothing about it", cases)
	}
	if alignedDecrements != 0 {
		t.Errorf("%d aligned sizes needed the decrement", alignedDecrements)
	}
}

// TestClassicSlabOrder checks kmem_cache_create() with
// calculate_slab_order(): the first order that holds an object is taken;
// the loop stops there with SLAB_RECLAIM_ACCOUNT, at order 1
// (slab_break_gfp_order), or when at most 1/8 of the slab is left over.
// Off-slab management (objects of 512 bytes and more) moves back on-slab
// when the leftover holds slab_size; the colours are what is left after.
func TestClassicSlabOrder(t *testing.T) {
	tests := []struct {
		arch               string
		name               string
		size, align        int
		flags              Flags
		want               geometry
		limit, batch, free int // free is free_limit with 2 CPUs
	}{
		// 20 bytes: aligned to 8, 24. 4068/28 = 145, ALIGN(28+580, 8) =
		// 608, 608+3480 = 4088: left 8, no colour.
		{"x86", "c20", 20, 0, 0, geometry{Size: 24, Align: 8, Num: 145, Left: 8, ColOff: 64, SlabSize: 608}, 120, 60, 180 + 145},
		// x86_64: 4048/28 = 144, ALIGN(48+576, 8) = 624, 624+3456 = 4080.
		{"x86_64", "c20", 20, 0, 0, geometry{Size: 24, Align: 8, Num: 144, Left: 16, ColOff: 64, SlabSize: 624}, 120, 60, 180 + 144},
		// SLAB_HWCACHE_ALIGN: 100 > 32, so align 64 and size 128, as
		// size-128.
		{"x86", "c100hw", 100, 0, SlabHWCacheAlign, geometry{Size: 128, Align: 64, Num: 30, Left: 64, Colour: 1, ColOff: 64, SlabSize: 192}, 120, 60, 180 + 30},
		// 480 bytes, on-slab (< 512): 4068/484 = 8, ALIGN(60, 8) = 64,
		// 4096-3840-64 = 192: 3 colours; 192*8 <= 4096 so order 0.
		{"x86", "c480", 480, 0, 0, geometry{Size: 480, Align: 8, Num: 8, Left: 192, Colour: 3, ColOff: 64, SlabSize: 64}, 54, 27, 81 + 8},
		// 896 aligned 128, off-slab: 4 objects, left 512, exactly 1/8:
		// accepted at order 0. slab_size ALIGN(44, 128) = 128 fits in
		// the 512 left: back on-slab, 384 left, colour_off = align = 128,
		// 3 colours.
		{"x86", "c896", 896, 128, 0, geometry{Size: 896, Align: 128, Num: 4, Left: 384, Colour: 3, ColOff: 128, SlabSize: 128}, 54, 27, 81 + 4},
		// 1000 bytes: 4 off-slab, left 96 >= ALIGN(44, 8) = 48: on-slab,
		// 48 left.
		{"x86", "c1000", 1000, 0, 0, geometry{Size: 1000, Align: 8, Num: 4, Left: 48, ColOff: 64, SlabSize: 48}, 54, 27, 81 + 4},
		// x86_64: ALIGN(48+16, 8) = 64 <= 96: on-slab, 32 left.
		{"x86_64", "c1000", 1000, 0, 0, geometry{Size: 1000, Align: 8, Num: 4, Left: 32, ColOff: 64, SlabSize: 64}, 54, 27, 81 + 4},
		// 1024 bytes: 4, nothing left: off-slab, 48 bytes from size-64.
		{"x86", "c1024", 1024, 0, 0, geometry{Size: 1024, Align: 8, Num: 4, ColOff: 64, OffSlab: true, SlabSize: 48, Mgmt: "size-64"}, 54, 27, 81 + 4},
		// 1360: 3 objects, 16 left < ALIGN(40, 8) = 40: stays off-slab.
		{"x86", "c1360", 1360, 0, 0, geometry{Size: 1360, Align: 8, Num: 3, Left: 16, ColOff: 64, OffSlab: true, SlabSize: 40, Mgmt: "size-64"}, 24, 12, 36 + 3},
		// 512 bytes on x86_64 without alignment: ALIGN(48+32, 8) = 80,
		// from size-128.
		{"x86_64", "c512", 512, 0, 0, geometry{Size: 512, Align: 8, Num: 8, ColOff: 64, OffSlab: true, SlabSize: 80, Mgmt: "size-128"}, 54, 27, 81 + 8},
		// 1200: 3 at order 0, left 496 <= 512: order 0. ALIGN(40, 8) = 40
		// fits: on-slab, 456 left, 7 colours.
		{"x86", "c1200", 1200, 0, 0, geometry{Size: 1200, Align: 8, Num: 3, Left: 456, Colour: 7, ColOff: 64, SlabSize: 40}, 24, 12, 36 + 3},
		// 1184: order 0 holds 3 and wastes 544 > 4096/8, so order 1: 6
		// objects, 1088 left, and the loop stops at order 1 anyway. On-slab
		// (ALIGN(52, 8) = 56): 1032 left, 16 colours.
		{"x86", "c1184", 1184, 0, 0, geometry{Size: 1184, Align: 8, Num: 6, Order: 1, Left: 1032, Colour: 16, ColOff: 64, SlabSize: 56}, 24, 12, 36 + 6},
		// x86_64: slab_size ALIGN(48+24, 8) = 72: 1016 left, 15 colours.
		{"x86_64", "c1184", 1184, 0, 0, geometry{Size: 1184, Align: 8, Num: 6, Order: 1, Left: 1016, Colour: 15, ColOff: 64, SlabSize: 72}, 24, 12, 36 + 6},
		// SLAB_RECLAIM_ACCOUNT stops at the first order that fits, in
		// spite of the waste: 3 objects at order 0, 544-40 = 504 left.
		{"x86", "c1184rcl", 1184, 0, SlabReclaimAccount, geometry{Size: 1184, Align: 8, Num: 3, Left: 504, Colour: 7, ColOff: 64, SlabSize: 40}, 24, 12, 36 + 3},
		// ... which is not order 0 when order 0 holds nothing: 8192 at
		// order 1, its 32-byte management (ALIGN(28+4, 8)) in size-32.
		{"x86", "c8192rcl", 8192, 0, SlabReclaimAccount, geometry{Size: 8192, Align: 8, Num: 1, Order: 1, ColOff: 64, OffSlab: true, SlabSize: 32, Mgmt: "size-32"}, 8, 4, 12 + 1},
		// 3000: order 0 holds 1 (1096 left), order 1 holds 2 with 2192
		// left, more than 1/8 — but order 1 is the limit. On-slab
		// (ALIGN(36, 8) = 40): 2152 left, 33 colours.
		{"x86", "c3000", 3000, 0, 0, geometry{Size: 3000, Align: 8, Num: 2, Order: 1, Left: 2152, Colour: 33, ColOff: 64, SlabSize: 40}, 24, 12, 36 + 2},
		// 4100 bytes (4104): order 1, 1 object, on-slab, 8192-4104-32 =
		// 4056 left, 63 colours; above PAGE_SIZE the array limit is 8.
		{"x86", "c4100", 4100, 0, 0, geometry{Size: 4104, Align: 8, Num: 1, Order: 1, Left: 4056, Colour: 63, ColOff: 64, SlabSize: 32}, 8, 4, 12 + 1},
		// The largest: 131072 bytes at order 5, its management from
		// size-32.
		{"x86", "c128k", 131072, 0, 0, geometry{Size: 131072, Align: 8, Num: 1, Order: 5, ColOff: 64, OffSlab: true, SlabSize: 32, Mgmt: "size-32"}, 8, 4, 12 + 1},
	}
	for _, tc := range tests {
		t.Run(tc.arch+"/"+tc.name, func(t *testing.T) {
			sm := newSlabMachine(t, tc.arch, 64, 2)
			c := sm.create(tc.name, tc.size, tc.align, tc.flags)
			if d := cmp.Diff(tc.want, geometryOf(c)); d != "" {
				t.Errorf("%s (-want +got):\n%s", tc.name, d)
			}
			limit, batch, shared := c.Tunables()
			if limit != tc.limit || batch != tc.batch || shared != 0 || c.classic.freeLimit != tc.free {
				t.Errorf("limit %d, batchcount %d, shared %d, free_limit %d; want %d, %d, 0, %d", limit, batch, shared, c.classic.freeLimit, tc.limit, tc.batch, tc.free)
			}
			// One slab: its objects and management fit in its pages.
			p := sm.alloc(c)
			s, _ := sm.at(p)
			page := sm.a.Layout.Virt(uint64(s.PFN.Addr()))
			mgmt := 0
			if !tc.want.OffSlab {
				mgmt = tc.want.SlabSize
			}
			if got := int(s.Addr(0) - page); got != mgmt {
				t.Errorf("the first slab's object 0 is %d bytes into its pages, want %d", got, mgmt)
			}
			if end := int(s.Addr(s.Objects-1)-page) + c.Size + max(tc.want.Colour-1, 0)*tc.want.ColOff; s.Order != tc.want.Order || s.Objects != tc.want.Num || end > arch.PageSize<<s.Order {
				t.Errorf("slab of order %d with %d objects; the last object of the last colour ends at %d", s.Order, s.Objects, end)
			}
			sm.free(c, p)
			sm.check(tc.name)
		})
	}
}

// TestClassicTooLarge checks that an object no slab up to order 5 holds is
// refused (2.6's "couldn't create cache"): the array limit 1 of objects
// above 128 KiB is never reached.
func TestClassicTooLarge(t *testing.T) {
	sm := newSlabMachine(t, "x86", 64, 2)
	for _, size := range []int{131073, 200000, 1 << 20} {
		_, err := sm.a.Create("huge", size, 0, 0, nil)
		var ce *CreateError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), "do not fit in a slab of order 5") {
			t.Errorf("kmem_cache_create(huge, %d): %v, want a CreateError", size, err)
		}
	}
	if sm.a.Find("huge") != nil {
		t.Errorf("a refused cache is on the list")
	}
}

// TestClassicTunables checks enable_cpucache(): the array limit by object
// size (the aligned size: 120 up to 256 bytes, 54 up to 1 KiB, 24 up to a
// page, 8 above), batchcount (limit+1)/2, no shared array, and free_limit
// = (1 + cpus) * batchcount + num.
func TestClassicTunables(t *testing.T) {
	tests := []struct {
		name              string
		size, align       int
		limit, batch, num int
	}{
		{"size-32", 0, 0, 120, 60, 113},
		{"size-256", 0, 0, 120, 60, 15},
		// 257 → 264: above 256. 4068/268 = 15 on-slab.
		{"c257", 257, 0, 54, 27, 15},
		// 250 aligned 128 → 256: still 120 (the aligned size counts).
		{"c250a128", 250, 128, 120, 60, 15},
		{"size-512", 0, 0, 54, 27, 8},
		// 1021 → 1024: 54; 1025 → 1032: 24 (order 1: 7 objects).
		{"c1021", 1021, 0, 54, 27, 4},
		{"c1025", 1025, 0, 24, 12, 7},
		{"size-1024", 0, 0, 54, 27, 4},
		{"size-2048", 0, 0, 24, 12, 2},
		{"size-4096", 0, 0, 24, 12, 1},
		// 4097 → 4104: above a page.
		{"c4097", 4097, 0, 8, 4, 1},
		{"size-8192", 0, 0, 8, 4, 1},
		{"size-131072", 0, 0, 8, 4, 1},
	}
	for _, cpus := range []int{1, 2, 4} {
		sm := newSlabMachine(t, "x86", 64, cpus)
		for _, tc := range tests {
			c := sm.a.Find(tc.name)
			if c == nil {
				c = sm.create(tc.name, tc.size, tc.align, 0)
			}
			limit, batch, shared := c.Tunables()
			got := []int{limit, batch, shared, c.ObjsPerSlab, c.classic.freeLimit, len(c.classic.arrays)}
			want := []int{tc.limit, tc.batch, 0, tc.num, (1+cpus)*tc.batch + tc.num, cpus}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("cpus=%d %s: limit, batchcount, shared, num, free_limit, arrays (-want +got):\n%s", cpus, tc.name, d)
			}
		}
	}
	// By hand for two of them: size-32 with 2 CPUs 3*60+113 = 293, size-4096
	// with 4 CPUs 5*12+1 = 61.
	if sm := newSlabMachine(t, "x86", 64, 2); sm.general("size-32").classic.freeLimit != 293 {
		t.Errorf("size-32 free_limit with 2 CPUs = %d, want 293", sm.general("size-32").classic.freeLimit)
	}
	if sm := newSlabMachine(t, "x86", 64, 4); sm.general("size-4096").classic.freeLimit != 61 {
		t.Errorf("size-4096 free_limit with 4 CPUs = %d, want 61", sm.general("size-4096").classic.freeLimit)
	}
}

// TestClassicColouring checks 2.6's colouring: slab k gets offset (k mod
// colour) * colour_off (colour_next used, then advanced and wrapped), seen
// in Slab.ColourOffset() and in where object 0 sits: the pages' address +
// the colour offset + slab_size when the management is on-slab.
func TestClassicColouring(t *testing.T) {
	tests := []struct {
		arch          string
		cache         string // a general cache, or a cache created as below
		size, align   int
		slabs         int
		colours       int
		colOff        int
		mgmt          int // slab_size on-slab, 0 off-slab
		wantOffsets   []int
		wantOffsetsOf func(k int) int
	}{
		{"x86", "c480", 480, 0, 7, 3, 64, 64, []int{0, 64, 128, 0, 64, 128, 0}, nil},
		{"x86", "c896", 896, 128, 7, 3, 128, 128, []int{0, 128, 256, 0, 128, 256, 0}, nil},
		{"x86", "size-192", 0, 0, 5, 2, 64, 128, []int{0, 64, 0, 64, 0}, nil},
		{"x86_64", "size-256", 0, 0, 5, 2, 64, 128, []int{0, 64, 0, 64, 0}, nil},
		// One colour: 2.6 never uses the offset colour_off itself.
		{"x86", "size-128", 0, 0, 3, 1, 64, 192, []int{0, 0, 0}, nil},
		{"x86", "size-512", 0, 0, 3, 0, 64, 0, []int{0, 0, 0}, nil},
		// 33 colours: 0, 64, ..., 2048, then 0 again.
		{"x86", "c3000", 3000, 0, 35, 33, 64, 40, nil, func(k int) int { return k % 33 * 64 }},
	}
	for _, tc := range tests {
		t.Run(tc.arch+"/"+tc.cache, func(t *testing.T) {
			sm := newSlabMachine(t, tc.arch, 64, 1)
			c := sm.a.Find(tc.cache)
			if c == nil {
				c = sm.create(tc.cache, tc.size, tc.align, 0)
			}
			if colour, off := c.Colour(); colour != tc.colours || off != tc.colOff {
				t.Fatalf("%s: %d colours of %d bytes, want %d of %d", c.Name, colour, off, tc.colours, tc.colOff)
			}
			var slabs []*Slab
			for len(slabs) < tc.slabs {
				s, _ := sm.at(sm.alloc(c))
				if len(slabs) == 0 || slabs[len(slabs)-1] != s {
					for _, old := range slabs {
						if old == s {
							t.Fatalf("an allocation went back to an older slab")
						}
					}
					slabs = append(slabs, s)
				}
			}
			var got, want []int
			for k, s := range slabs {
				w := 0
				if tc.wantOffsetsOf != nil {
					w = tc.wantOffsetsOf(k)
				} else {
					w = tc.wantOffsets[k]
				}
				want = append(want, w, w+tc.mgmt)
				page := sm.a.Layout.Virt(uint64(s.PFN.Addr()))
				got = append(got, s.ColourOffset(), int(s.Addr(0)-page))
				if end := int(s.Addr(s.Objects-1)-page) + c.Size; end > arch.PageSize<<s.Order {
					t.Errorf("slab %d: the last object ends at %d, past its pages", k, end)
				}
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("colour offset and object 0's offset of each slab (-want +got):\n%s", d)
			}
			sm.check(c.Name)
		})
	}
}

// TestClassicAllocRefill checks cache_alloc_refill() on a cache of 64-byte
// objects (align 8, on-slab: 4068/68 = 59 per slab, ALIGN(264, 8) = 264,
// left 56; limit 120, batchcount 60) on an x86 machine with 2 CPUs.
func TestClassicAllocRefill(t *testing.T) {
	sm := newSlabMachine(t, "x86", 64, 2)
	c := sm.create("obj64", 64, 0, 0)
	if c.ObjsPerSlab != 59 || c.LeftOver() != 56 || c.classic.batchcount != 60 {
		t.Fatalf("obj64: %d objects, %d left, batchcount %d", c.ObjsPerSlab, c.LeftOver(), c.classic.batchcount)
	}
	var got []string
	allocN := func(n int) {
		got = got[:0]
		for i := 0; i < n; i++ {
			got = append(got, sm.name(sm.alloc(c)))
		}
	}
	objs := func(slab string, from, to int) []string { // from down to to
		var out []string
		for i := from; ; {
			out = append(out, fmt.Sprintf("%s.%d", slab, i))
			if i == to {
				return out
			}
			if from > to {
				i--
			} else {
				i++
			}
		}
	}
	// The first allocation: the array was never touched, so only
	// BATCHREFILL_LIMIT = 16 objects: objects 0..15 of a new slab, which
	// went to slabs_free and is now partial. The last one is handed out.
	allocN(1)
	if d := cmp.Diff([]string{"S0.15"}, got); d != "" {
		t.Errorf("first allocation (-want +got):\n%s", d)
	}
	sm.want(c, classicState{Full: []string{}, Partial: []string{"S0"}, Free: []string{}, Arrays: []int{15, 0}, FreeObjects: 43, Pages: 1}, "first allocation")
	if n := c.Counts(); n.InUse != 1 || n.ActiveObjs != 16 || n.ActiveSlabs != 1 || n.Slabs != 1 || n.Objs != 59 {
		t.Errorf("first allocation: counts %+v", n)
	}
	// The array is a LIFO: 14 down to 0.
	allocN(15)
	if d := cmp.Diff(objs("S0", 14, 0), got); d != "" {
		t.Errorf("allocations 2-16 (-want +got):\n%s", d)
	}
	// Touched now: a refill takes batchcount = 60, but the partial slab has
	// only 43 and there is no other slab; no growth, since some were found.
	allocN(1)
	if d := cmp.Diff([]string{"S0.58"}, got); d != "" {
		t.Errorf("second refill (-want +got):\n%s", d)
	}
	sm.want(c, classicState{Full: []string{"S0"}, Partial: []string{}, Free: []string{}, Arrays: []int{42, 0}, FreeObjects: 0, Pages: 1}, "second refill")
	allocN(42)
	if d := cmp.Diff(objs("S0", 57, 16), got); d != "" {
		t.Errorf("allocations 18-59 (-want +got):\n%s", d)
	}
	// Nothing free: the cache grows, and the refill takes all 59 objects of
	// the new slab (60 wanted).
	allocN(1)
	if d := cmp.Diff([]string{"S1.58"}, got); d != "" {
		t.Errorf("growth (-want +got):\n%s", d)
	}
	sm.want(c, classicState{Full: []string{"S1", "S0"}, Partial: []string{}, Free: []string{}, Arrays: []int{58, 0}, FreeObjects: 0, Pages: 2}, "growth")
	// CPU 1's array is untouched: 16 objects of a third slab.
	sm.cpu = 1
	allocN(2)
	if d := cmp.Diff([]string{"S2.15", "S2.14"}, got); d != "" {
		t.Errorf("CPU 1 (-want +got):\n%s", d)
	}
	sm.want(c, classicState{Full: []string{"S1", "S0"}, Partial: []string{"S2"}, Free: []string{}, Arrays: []int{58, 14}, FreeObjects: 43, Pages: 3}, "CPU 1")
	// Back on CPU 0: its array serves, LIFO.
	sm.cpu = 0
	allocN(2)
	if d := cmp.Diff([]string{"S1.57", "S1.56"}, got); d != "" {
		t.Errorf("CPU 0 again (-want +got):\n%s", d)
	}
}

// TestClassicRefillAfterReap checks that a reap pass clears the array's
// touched mark, so that the next refill is again limited to 16 objects.
func TestClassicRefillAfterReap(t *testing.T) {
	sm := newSlabMachine(t, "x86", 64, 1)
	c := sm.create("obj64", 64, 0, 0)
	for i := 0; i < 16; i++ {
		sm.alloc(c)
	}
	sm.want(c, classicState{Full: []string{}, Partial: []string{"S0"}, Free: []string{}, Arrays: []int{0}, FreeObjects: 43, Pages: 1}, "16 allocations")
	// The array was touched and the free slab taken: the pass only clears
	// the marks.
	if n, err := c.Reap(); n != 0 || err != nil {
		t.Errorf("Reap = %d, %v; want 0", n, err)
	}
	p := sm.alloc(c)
	if got := sm.name(p); got != "S0.31" {
		t.Errorf("the refill after a reap handed out %s, want S0.31 (16 objects, 16..31)", got)
	}
	sm.want(c, classicState{Full: []string{}, Partial: []string{"S0"}, Free: []string{}, Arrays: []int{15}, FreeObjects: 27, Pages: 1}, "refill after the reap")
}

// TestClassicRefillKeepsPartialAtHead checks that a slab a refill leaves
// partial (the batch ran out inside it) goes back to the head of
// slabs_partial (2.6's list_add), so that the next refill starts there.
func TestClassicRefillKeepsPartialAtHead(t *testing.T) {
	sm := newSlabMachine(t, "x86", 64, 1)
	c := sm.create("obj64", 64, 0, 0)
	// 177 objects: S0 (16, then 43), S1 and S2 (59 each); the array ends
	// empty.
	objs := map[string]arch.VirtAddr{}
	for i := 0; i < 177; i++ {
		p := sm.alloc(c)
		objs[sm.name(p)] = p
	}
	sm.want(c, classicState{Full: []string{"S2", "S1", "S0"}, Partial: []string{}, Free: []string{}, Arrays: []int{0}, Pages: 3}, "177 allocations")
	// Objects 0..9 of each slab freed, then drained by a shrink: each
	// slab goes to the tail of slabs_partial as its objects come back.
	for _, slab := range []string{"S0", "S1", "S2"} {
		for i := 0; i < 10; i++ {
			sm.free(c, objs[fmt.Sprintf("%s.%d", slab, i)])
		}
	}
	if n, err := c.Shrink(); n != 0 || err != nil {
		t.Errorf("Shrink = %d, %v; want 0", n, err)
	}
	sm.want(c, classicState{Full: []string{}, Partial: []string{"S0", "S1", "S2"}, Free: []string{}, Arrays: []int{0}, FreeObjects: 30, Pages: 3}, "drained")
	// A reap pass clears the touched mark: the refill takes 16, S0's ten
	// (9 down to 0, last freed first) and six of S1's (9 down to 4). S1
	// stays partial, at the head.
	if n, err := c.Reap(); n != 0 || err != nil {
		t.Errorf("Reap = %d, %v; want 0", n, err)
	}
	if p := sm.name(sm.alloc(c)); p != "S1.4" {
		t.Errorf("allocation %s, want S1.4", p)
	}
	sm.want(c, classicState{Full: []string{"S0"}, Partial: []string{"S1", "S2"}, Free: []string{}, Arrays: []int{15}, FreeObjects: 14, Pages: 3}, "partial refill")
}

// growth makes a cache of 1200-byte objects (3 per slab, on-slab, limit
// 24, batchcount 12, free_limit 2*12+3 = 27 on one CPU) on an x86 machine
// with one CPU, and allocates n objects, which come from new slabs: each
// refill (12 wanted) finds nothing, grows one slab and takes its 3 objects
// 0, 1, 2, of which the array hands out 2, 1, 0. It returns the objects as
// objs[slab][index].
func growth(t *testing.T, n int) (*slabMachine, *Cache, [][]arch.VirtAddr) {
	t.Helper()
	sm := newSlabMachine(t, "x86", 64, 1)
	c := sm.create("c1200", 1200, 0, 0)
	if c.ObjsPerSlab != 3 || c.classic.limit != 24 || c.classic.batchcount != 12 || c.classic.freeLimit != 27 || c.OffSlab() {
		t.Fatalf("c1200: %d objects, limit %d, batchcount %d, free_limit %d, off-slab %v", c.ObjsPerSlab, c.classic.limit, c.classic.batchcount, c.classic.freeLimit, c.OffSlab())
	}
	objs := make([][]arch.VirtAddr, (n+2)/3)
	for i := 0; i < n; i++ {
		p := sm.alloc(c)
		if got, want := sm.name(p), fmt.Sprintf("S%d.%d", i/3, 2-i%3); got != want {
			t.Fatalf("allocation %d is %s, want %s", i, got, want)
		}
		if objs[i/3] == nil {
			objs[i/3] = make([]arch.VirtAddr, 3)
		}
		objs[i/3][2-i%3] = p
	}
	return sm, c, objs
}

func slabSeq(from, to int) []string {
	out := []string{}
	for i := from; ; {
		out = append(out, fmt.Sprintf("S%d", i))
		if i == to {
			return out
		}
		if from > to {
			i--
		} else {
			i++
		}
	}
}

// TestClassicFreeBlock checks __cache_free() and free_block(): frees go to
// the array; the free that finds it at its limit first gives the oldest
// batchcount objects back to their slabs, a slab that becomes free going
// to the head of slabs_free and one that stays partial to the tail of
// slabs_partial. Then a refill takes the partial slabs, head first, before
// the free ones.
func TestClassicFreeBlock(t *testing.T) {
	sm, c, o := growth(t, 30)
	sm.want(c, classicState{Full: slabSeq(9, 0), Partial: []string{}, Free: []string{}, Arrays: []int{0}, Pages: 10}, "30 allocations")
	type obj struct{ s, i int }
	// The oldest twelve: S0 and S3 become free, the others partial.
	frees := []obj{{0, 0}, {1, 0}, {0, 1}, {2, 0}, {0, 2}, {1, 1}, {3, 0}, {3, 1}, {4, 0}, {3, 2}, {5, 0}, {5, 1},
		{6, 0}, {6, 1}, {6, 2}, {7, 0}, {7, 1}, {7, 2}, {8, 0}, {8, 1}, {8, 2}, {9, 0}, {9, 1}, {2, 1}}
	for _, f := range frees {
		sm.free(c, o[f.s][f.i])
	}
	// 24 frees: all in the array, which counts as in use for the slabs.
	sm.want(c, classicState{Full: slabSeq(9, 0), Partial: []string{}, Free: []string{}, Arrays: []int{24}, Pages: 10}, "24 frees")
	if n := c.Counts(); n.InUse != 6 || n.ActiveObjs != 30 {
		t.Errorf("24 frees: counts %+v", n)
	}
	// The 25th finds the array full: free_block() of the oldest 12, one by
	// one. S0.0 → partial [S0]; S1.0 → [S0 S1]; S0.1 → [S1 S0]; S2.0 →
	// [S1 S0 S2]; S0.2 frees S0 → free [S0]; S1.1 → [S2 S1]; S3.0, S3.1 →
	// [S2 S1 S3]; S4.0 → [S2 S1 S3 S4]; S3.2 frees S3 → free [S3 S0];
	// S5.0, S5.1 → [S2 S1 S4 S5].
	sm.free(c, o[9][2])
	sm.want(c, classicState{Full: slabSeq(9, 6), Partial: []string{"S2", "S1", "S4", "S5"}, Free: []string{"S3", "S0"}, Arrays: []int{13}, FreeObjects: 12, Pages: 10}, "the flush")
	if n := c.Counts(); n.InUse != 5 || n.ActiveObjs != 18 || n.Full != 4 || n.Partial != 4 || n.Free != 2 || n.ActiveSlabs != 8 {
		t.Errorf("the flush: counts %+v", n)
	}
	// Thirteen allocations empty the array, last in first out.
	var got []string
	for i := 0; i < 13; i++ {
		got = append(got, sm.name(sm.alloc(c)))
	}
	want := []string{"S9.2", "S2.1", "S9.1", "S9.0", "S8.2", "S8.1", "S8.0", "S7.2", "S7.1", "S7.0", "S6.2", "S6.1", "S6.0"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("allocations from the array (-want +got):\n%s", d)
	}
	// The refill (touched: 12) takes the partial slabs head first — S2's
	// one object, S1's two, S4's one, S5's two (each slab's free objects
	// last freed first) — then the free slabs S3 and S0: 12. Each becomes
	// full, at the head of slabs_full.
	got = got[:0]
	for i := 0; i < 12; i++ {
		got = append(got, sm.name(sm.alloc(c)))
	}
	want = []string{"S0.0", "S0.1", "S0.2", "S3.0", "S3.1", "S3.2", "S5.0", "S5.1", "S4.0", "S1.0", "S1.1", "S2.0"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("allocations after the refill, LIFO (-want +got):\n%s", d)
	}
	sm.want(c, classicState{Full: []string{"S0", "S3", "S5", "S4", "S1", "S2", "S9", "S8", "S7", "S6"}, Partial: []string{}, Free: []string{}, Arrays: []int{0}, Pages: 10}, "refill from partial, then free")
	if !c.classic.freeTouched {
		t.Errorf("the refill took free slabs but free_touched is not set")
	}
}

// freeLimitScenario allocates 51 objects of c1200 (17 slabs) and frees the
// first 49 in order, S0.0, S0.1, ..., S16.0. Frees 1-24 fill the array.
// Free 25 flushes S0..S3 (free, free_objects 12); 26-36 refill the array;
// 37 flushes S4..S7 (24 free objects); 38-48 refill it; 49 flushes S8..S11:
// S8 becomes free with 27 free objects, not more than free_limit 27, and
// goes to the head of slabs_free; S9, S10 and S11 each become free with 30
// and are destroyed (27 again). The array keeps S12.0..S15.2 and S16.0.
func freeLimitScenario(t *testing.T) (*slabMachine, *Cache, [][]arch.VirtAddr) {
	t.Helper()
	sm, c, o := growth(t, 51)
	sm.want(c, classicState{Full: slabSeq(16, 0), Partial: []string{}, Free: []string{}, Arrays: []int{0}, Pages: 17}, "51 allocations")
	n := 0
	for s := 0; s < 17 && n < 49; s++ {
		for i := 0; i < 3 && n < 49; i++ {
			sm.free(c, o[s][i])
			n++
			switch n {
			case 24:
				sm.want(c, classicState{Full: slabSeq(16, 0), Partial: []string{}, Free: []string{}, Arrays: []int{24}, Pages: 17}, "24 frees")
			case 25:
				sm.want(c, classicState{Full: slabSeq(16, 4), Partial: []string{}, Free: slabSeq(3, 0), Arrays: []int{13}, FreeObjects: 12, Pages: 17}, "25 frees")
			case 37:
				sm.want(c, classicState{Full: slabSeq(16, 8), Partial: []string{}, Free: slabSeq(7, 0), Arrays: []int{13}, FreeObjects: 24, Pages: 17}, "37 frees")
			}
		}
	}
	sm.want(c, classicState{Full: slabSeq(16, 12), Partial: []string{}, Free: slabSeq(8, 0), Arrays: []int{13}, FreeObjects: 27, Pages: 14}, "49 frees")
	if n := c.Counts(); n.InUse != 2 || n.Slabs != 14 || n.ActiveObjs != 15 {
		t.Errorf("49 frees: counts %+v", n)
	}
	return sm, c, o
}

// TestClassicFreeLimit checks free_block()'s free_limit: a slab that
// becomes free is destroyed only while the node holds more than
// free_limit free objects.
func TestClassicFreeLimit(t *testing.T) {
	sm, c, _ := freeLimitScenario(t)
	for _, s := range c.Slabs() {
		if n := sm.names[s]; n == "S9" || n == "S10" || n == "S11" {
			t.Errorf("%s was destroyed but is still a slab of the cache", n)
		}
	}
	if len(sm.warns) != 0 {
		t.Errorf("warnings: %q", sm.warns)
	}
}

// TestClassicShrink checks kmem_cache_shrink(): the array drained (S12 to
// S15 become free with more than free_limit free objects and are destroyed
// by free_block(), S16 is left partial), then every free slab destroyed:
// 4 + 9 = 13.
func TestClassicShrink(t *testing.T) {
	sm, c, o := freeLimitScenario(t)
	if n, err := c.Shrink(); n != 13 || err != nil {
		t.Errorf("Shrink = %d, %v; want 13 slabs", n, err)
	}
	sm.want(c, classicState{Full: []string{}, Partial: []string{"S16"}, Free: []string{}, Arrays: []int{0}, FreeObjects: 1, Pages: 1}, "shrink")
	if n, err := c.Shrink(); n != 0 || err != nil {
		t.Errorf("second Shrink = %d, %v; want 0", n, err)
	}
	sm.free(c, o[16][1])
	sm.free(c, o[16][2])
	if n, err := c.Shrink(); n != 1 || err != nil {
		t.Errorf("Shrink after freeing the rest = %d, %v; want 1", n, err)
	}
	sm.want(c, classicState{Full: []string{}, Partial: []string{}, Free: []string{}, Arrays: []int{0}, Pages: 0}, "all freed and shrunk")
}

// TestClassicReap checks cache_reap() passes on the free_limit scenario:
// reap = (24+4)/5 = 5 objects from an untouched array, ceil(27/(5*3)) = 2
// free slabs from the tail of slabs_free unless free_touched.
func TestClassicReap(t *testing.T) {
	sm, c, _ := freeLimitScenario(t)
	reap := func(want int, st classicState, what string) {
		t.Helper()
		if n, err := c.Reap(); n != want || err != nil {
			t.Errorf("%s: Reap = %d, %v; want %d", what, n, err, want)
		}
		sm.want(c, st, what)
	}
	// The allocations touched the array and took free slabs: the first
	// pass only clears both marks.
	reap(0, classicState{Full: slabSeq(16, 12), Partial: []string{}, Free: slabSeq(8, 0), Arrays: []int{13}, FreeObjects: 27, Pages: 14}, "pass 1")
	// S12.0-2 free S12 with 30 free objects: destroyed; S13.0-1 leave S13
	// partial (29). Then the two free slabs at the tail, S0 and S1: 3
	// slabs in all.
	reap(3, classicState{Full: slabSeq(16, 14), Partial: []string{"S13"}, Free: slabSeq(8, 2), Arrays: []int{8}, FreeObjects: 23, Pages: 11}, "pass 2")
	// S13.2 frees S13 (24 free objects: kept), S14.0-2 free S14 (27:
	// kept), S15.0 leaves S15 partial; S2 and S3 destroyed.
	reap(2, classicState{Full: []string{"S16"}, Partial: []string{"S15"}, Free: []string{"S14", "S13", "S8", "S7", "S6", "S5", "S4"}, Arrays: []int{3}, FreeObjects: 22, Pages: 9}, "pass 3")
	// 5 > 3 objects in the array: (3+1)/2 = 2 go, freeing S15; S4 and S5
	// destroyed.
	reap(2, classicState{Full: []string{"S16"}, Partial: []string{}, Free: []string{"S15", "S14", "S13", "S8", "S7", "S6"}, Arrays: []int{1}, FreeObjects: 18, Pages: 7}, "pass 4")
	// Two allocations: S16.0 from the array, then a touched refill of 12
	// from the free slabs S15, S14, S13, S8 (free_touched again).
	if p := sm.name(sm.alloc(c)); p != "S16.0" {
		t.Errorf("allocation from the array: %s, want S16.0", p)
	}
	if p := sm.name(sm.alloc(c)); p != "S8.0" {
		t.Errorf("allocation after the refill: %s, want S8.0", p)
	}
	sm.want(c, classicState{Full: []string{"S8", "S13", "S14", "S15", "S16"}, Partial: []string{}, Free: []string{"S7", "S6"}, Arrays: []int{11}, FreeObjects: 6, Pages: 7}, "refill")
	reap(0, classicState{Full: []string{"S8", "S13", "S14", "S15", "S16"}, Partial: []string{}, Free: []string{"S7", "S6"}, Arrays: []int{11}, FreeObjects: 6, Pages: 7}, "pass 5")
	// The oldest five of the array: S15.2, S15.1, S15.0 (S15 free, 9 free
	// objects), S14.2, S14.1 (S14 partial); S6 and S7 destroyed.
	reap(2, classicState{Full: []string{"S8", "S13", "S16"}, Partial: []string{"S14"}, Free: []string{"S15"}, Arrays: []int{6}, FreeObjects: 5, Pages: 5}, "pass 6")
}

// TestClassicReapUnderSLUB checks that cache_reap does nothing under SLUB.
func TestClassicReapUnderSLUB(t *testing.T) {
	l, err := arch.New(arch.Params{Arch: "x86_64", Paging: "4level", Mem: 64 << 20})
	if err != nil {
		t.Fatal(err)
	}
	m, err := phys.Boot(l)
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(m, l, 1, "slub", false)
	if err != nil {
		t.Fatal(err)
	}
	c, err := a.Create("c", 256, 0, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	var ps []arch.VirtAddr
	for i := 0; i < 40; i++ {
		p, ok, err := c.Alloc(phys.GFPKernel, "test")
		if !ok || err != nil {
			t.Fatal(ok, err)
		}
		ps = append(ps, p)
	}
	for _, p := range ps {
		if err := c.Free(p, "test"); err != nil {
			t.Fatal(err)
		}
	}
	before, pages := c.Counts(), m.NrFreePages()
	if n, err := c.Reap(); n != 0 || err != nil {
		t.Errorf("Reap under SLUB = %d, %v", n, err)
	}
	if c.Counts() != before || m.NrFreePages() != pages || c.Classic() {
		t.Errorf("Reap under SLUB changed the cache: %+v, then %+v", before, c.Counts())
	}
	if l, b, s := c.Tunables(); l != 0 || b != 0 || s != 0 {
		t.Errorf("SLUB tunables %d %d %d", l, b, s)
	}
}

// TestClassicShrinkDrainsEveryCPU checks that kmem_cache_shrink drains the
// arrays of every CPU.
func TestClassicShrinkDrainsEveryCPU(t *testing.T) {
	sm := newSlabMachine(t, "x86", 64, 2)
	c := sm.create("obj64", 64, 0, 0)
	// CPU 0 takes S0 (16, then 43), CPU 1 S1 the same way.
	var a0, a1 []arch.VirtAddr
	for i := 0; i < 20; i++ {
		a0 = append(a0, sm.alloc(c))
	}
	sm.cpu = 1
	for i := 0; i < 20; i++ {
		a1 = append(a1, sm.alloc(c))
	}
	sm.want(c, classicState{Full: []string{"S1", "S0"}, Partial: []string{}, Free: []string{}, Arrays: []int{39, 39}, Pages: 2}, "allocations")
	// All of S0's twenty: half on each CPU; five of S1's on CPU 0.
	for i, p := range a0 {
		sm.cpu = i % 2
		sm.free(c, p)
	}
	sm.cpu = 0
	for _, p := range a1[:5] {
		sm.free(c, p)
	}
	sm.want(c, classicState{Full: []string{"S1", "S0"}, Partial: []string{}, Free: []string{}, Arrays: []int{54, 49}, Pages: 2}, "frees")
	// Drained, S0 is free and destroyed; S1 keeps its 15.
	if n, err := c.Shrink(); n != 1 || err != nil {
		t.Errorf("Shrink = %d, %v; want 1", n, err)
	}
	sm.want(c, classicState{Full: []string{}, Partial: []string{"S1"}, Free: []string{}, Arrays: []int{0, 0}, FreeObjects: 44, Pages: 1}, "shrink")
	if n := c.Counts(); n.InUse != 15 || n.ActiveObjs != 15 {
		t.Errorf("after the shrink: counts %+v", n)
	}
}

// TestClassicGrowAtTail checks cache_grow(): a new slab goes to the tail of
// slabs_free, with the next colour, and a refill takes the head.
func TestClassicGrowAtTail(t *testing.T) {
	sm := newSlabMachine(t, "x86", 64, 1)
	c := sm.create("c480", 480, 0, 0)
	var slabs []*Slab
	for i := 0; i < 3; i++ {
		s, err := c.newSlab(phys.GFPKernel)
		if err != nil || s == nil {
			t.Fatalf("cache_grow: %v, %v", s, err)
		}
		sm.names[s] = fmt.Sprintf("S%d", i)
		slabs = append(slabs, s)
	}
	sm.want(c, classicState{Full: []string{}, Partial: []string{}, Free: []string{"S0", "S1", "S2"}, Arrays: []int{0}, FreeObjects: 24, Pages: 3}, "three grown slabs")
	for i, s := range slabs {
		if s.ColourOffset() != 64*i {
			t.Errorf("S%d colour offset %d, want %d", i, s.ColourOffset(), 64*i)
		}
	}
	// The refill (16 wanted) empties S0, then S1, and returns S1.7.
	if p := sm.name(sm.alloc(c)); p != "S1.7" {
		t.Errorf("allocation %s, want S1.7", p)
	}
	sm.want(c, classicState{Full: []string{"S1", "S0"}, Partial: []string{}, Free: []string{"S2"}, Arrays: []int{15}, FreeObjects: 8, Pages: 3}, "refill")
}

// TestClassicOffSlab checks off-slab management: every slab of an
// off-slab cache holds an object of the general cache its slab_size fits
// in, allocated when the slab is grown and freed when it is destroyed, and
// never reported as a leak.
func TestClassicOffSlab(t *testing.T) {
	tests := []struct {
		arch  string
		cache string // a general cache, or created with size
		size  int
		mgmt  string
		other string // a general cache that must not change
		per   int    // objects per slab
	}{
		{"x86", "size-512", 0, "size-64", "size-128", 8},
		{"x86_64", "size-512", 0, "size-128", "size-64", 8},
		{"x86", "c1360", 1360, "size-64", "size-32", 3},
		{"x86", "size-131072", 0, "size-64", "size-32", 1},
		{"x86", "c8192rcl", 8192, "size-32", "size-64", 1},
	}
	for _, tc := range tests {
		t.Run(tc.arch+"/"+tc.cache, func(t *testing.T) {
			sm := newSlabMachine(t, tc.arch, 64, 2)
			c := sm.a.Find(tc.cache)
			if c == nil {
				flags := Flags(0)
				if strings.HasSuffix(tc.cache, "rcl") {
					flags = SlabReclaimAccount
				}
				c = sm.create(tc.cache, tc.size, 0, flags)
			}
			mgmt, other := sm.general(tc.mgmt), sm.general(tc.other)
			if !c.OffSlab() || c.classic.slabp != mgmt {
				t.Fatalf("%s: off-slab %v, management from %v", c.Name, c.OffSlab(), c.classic.slabp)
			}
			sm.a.Site = "test.mms:3"
			var ps []arch.VirtAddr
			for len(ps) < 3*tc.per {
				ps = append(ps, sm.alloc(c))
				want := (len(ps) + tc.per - 1) / tc.per
				if n := c.Counts().Slabs; n != want {
					t.Fatalf("%d allocations: %d slabs, want %d", len(ps), n, want)
				}
				if n := mgmt.Counts().InUse; n != want {
					t.Fatalf("%d allocations: %s has %d objects in use, want %d (one per slab)", len(ps), mgmt.Name, n, want)
				}
			}
			if n := other.Counts(); n.InUse != 0 || n.Slabs != 0 {
				t.Errorf("%s changed: %+v", other.Name, n)
			}
			// Each slab's management is a distinct live object of the
			// general cache, outside the slab.
			seen := map[arch.VirtAddr]bool{}
			for _, s := range c.Slabs() {
				o, ok := sm.a.Lookup(s.mgmt)
				if !ok || o.Cache != mgmt || o.Free || o.Offset != 0 || seen[s.mgmt] {
					t.Errorf("slab at pfn %#x: management %#x is %+v, %v", uint64(s.PFN), uint64(s.mgmt), o, ok)
				}
				seen[s.mgmt] = true
				page := sm.a.Layout.Virt(uint64(s.PFN.Addr()))
				if s.Addr(0) != page {
					t.Errorf("off-slab: object 0 at %#x, the pages at %#x", uint64(s.Addr(0)), uint64(page))
				}
			}
			// kmemleak sees the objects and not the management.
			leaks := sm.a.Leaks()
			if len(leaks) != len(ps) {
				t.Errorf("%d leaks for %d objects: %+v", len(leaks), len(ps), leaks)
			}
			for _, l := range leaks {
				if l.Cache != c.Name || l.Site != "test.mms:3" {
					t.Errorf("leak %+v", l)
				}
			}
			for _, p := range ps {
				sm.free(c, p)
			}
			if leaks := sm.a.Leaks(); len(leaks) != 0 {
				t.Errorf("leaks after freeing everything: %+v", leaks)
			}
			// The objects sit in the array; shrinking destroys the 3 slabs
			// and gives back their management.
			if n, err := c.Shrink(); n != 3 || err != nil {
				t.Errorf("Shrink = %d, %v; want 3", n, err)
			}
			if n := mgmt.Counts(); n.InUse != 0 || n.Slabs != 1 {
				t.Errorf("%s after the shrink: %+v", mgmt.Name, n)
			}
			if n, err := mgmt.Shrink(); n != 1 || err != nil {
				t.Errorf("Shrink(%s) = %d, %v; want 1", mgmt.Name, n, err)
			}
			if sm.pages() != 0 {
				t.Errorf("%d pages not given back", sm.pages())
			}
			sm.check("off-slab")
		})
	}
}

// TestClassicOffSlabManagementFails checks cache_grow() when the slab's
// pages are found but its off-slab management is not: the pages go back
// and the allocation returns NULL (2.6's opps1), leaving everything as it
// was.
func TestClassicOffSlabManagementFails(t *testing.T) {
	sm := newSlabMachine(t, "x86", 64, 1)
	m := sm.a.Mem
	c := sm.general("size-512")
	// Keep one page aside, take every other one (ignoring watermarks),
	// then free the one: a size-512 slab allocated with __GFP_MEMALLOC
	// gets it, and nothing is left for a size-64 slab to hold the
	// management.
	gfp := phys.GFPAtomic | phys.GfpMemalloc | phys.GfpNoWarn
	spare, ok, err := m.AllocPages(phys.Request{GFP: gfp})
	if !ok || err != nil {
		t.Fatal(ok, err)
	}
	var blocks []phys.Block
	for order := phys.MaxOrder; order >= 0; order-- {
		for {
			pfn, ok, err := m.AllocPages(phys.Request{GFP: gfp, Order: order})
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				break
			}
			blocks = append(blocks, phys.Block{PFN: pfn, Order: order})
		}
	}
	if err := m.FreePages(spare, 0); err != nil {
		t.Fatal(err)
	}
	if n := m.NrFreePages(); n != 1 {
		t.Fatalf("%d pages free, want 1", n)
	}
	p, ok, err := sm.a.Kmalloc(512, phys.GFPAtomic|phys.GfpMemalloc, "kmalloc")
	if p != 0 || ok || err != nil {
		t.Errorf("kmalloc(512) without memory for the management = %#x, %v, %v; want NULL", uint64(p), ok, err)
	}
	if n := m.NrFreePages(); n != 1 {
		t.Errorf("%d pages free, want the one page back", n)
	}
	if n := c.Counts(); n != (Counts{}) {
		t.Errorf("size-512: %+v", n)
	}
	sm.check("failed management")
	for _, b := range blocks {
		if err := m.FreePages(b.PFN, b.Order); err != nil {
			t.Fatal(err)
		}
	}
	p, ok, err = sm.a.Kmalloc(512, phys.GFPKernel, "kmalloc")
	if !ok || err != nil {
		t.Fatalf("kmalloc(512) with memory back: %v, %v", ok, err)
	}
	if n := sm.general("size-64").Counts().InUse; n != 1 {
		t.Errorf("size-64 holds %d management objects, want 1", n)
	}
	if err := sm.a.Kfree(p, "kfree"); err != nil {
		t.Fatal(err)
	}
	sm.check("kmalloc(512)")
}

// TestClassicKmalloc checks kmalloc under slab=slab: the smallest general
// cache that fits (no size-96), GFP_DMA from size-N(DMA) in ZONE_DMA,
// NULL above 128 KiB, ZERO_SIZE_PTR for 0, ksize the cache's size.
func TestClassicKmalloc(t *testing.T) {
	tests := []struct {
		size  int
		gfp   phys.GFP
		cache string // "" for NULL
	}{
		{1, phys.GFPKernel, "size-32"},
		{32, phys.GFPKernel, "size-32"},
		{33, phys.GFPKernel, "size-64"},
		{64, phys.GFPKernel, "size-64"},
		{65, phys.GFPKernel, "size-128"},
		{96, phys.GFPKernel, "size-128"},
		{128, phys.GFPAtomic, "size-128"},
		{129, phys.GFPKernel, "size-192"},
		{192, phys.GFPKernel, "size-192"},
		{193, phys.GFPKernel, "size-256"},
		{257, phys.GFPKernel, "size-512"},
		{513, phys.GFPKernel, "size-1024"},
		{4097, phys.GFPKernel, "size-8192"},
		{8193, phys.GFPKernel, "size-16384"},
		{65537, phys.GFPKernel, "size-131072"},
		{131072, phys.GFPKernel, "size-131072"},
		{100, phys.GFPKernel | phys.GfpReclaimable, "size-128"}, // no kmalloc-rcl under SLAB
		{100, phys.GFPKernel | phys.GfpAccount, "size-128"},
		{100, phys.GFPKernel | phys.GfpDMA, "size-128(DMA)"},
		{20, phys.GFPAtomic | phys.GfpDMA, "size-32(DMA)"},
		{3000, phys.GFPKernel | phys.GfpDMA, "size-4096(DMA)"},
		{131072, phys.GFPKernel | phys.GfpDMA, "size-131072(DMA)"},
		{131073, phys.GFPKernel, ""},
		{131073, phys.GFPKernel | phys.GfpDMA, ""},
		{1 << 20, phys.GFPKernel, ""},
		{8 << 20, phys.GFPAtomic, ""},
	}
	for _, archName := range []string{"x86", "x86_64"} {
		t.Run(archName, func(t *testing.T) {
			sm := newSlabMachine(t, archName, 64, 2)
			a := sm.a
			var live []arch.VirtAddr
			for _, tc := range tests {
				what := fmt.Sprintf("kmalloc(%d, %s)", tc.size, tc.gfp)
				kc := a.KmallocCache(tc.size, tc.gfp)
				p, ok, err := a.Kmalloc(tc.size, tc.gfp, "kmalloc")
				if tc.cache == "" {
					if kc != nil || p != 0 || ok || err != nil {
						t.Errorf("%s = %#x, %v, %v (cache %v); want NULL", what, uint64(p), ok, err, kc)
					}
					continue
				}
				if kc == nil || kc.Name != tc.cache {
					t.Errorf("kmalloc_cache(%d, %s) = %v, want %s", tc.size, tc.gfp, kc, tc.cache)
				}
				if !ok || err != nil {
					t.Errorf("%s = %v, %v", what, ok, err)
					continue
				}
				o, found := a.Lookup(p)
				if !found || o.Cache == nil || o.Cache.Name != tc.cache || o.Free || o.Offset != 0 {
					t.Errorf("%s = %#x, which is %+v", what, uint64(p), o)
					continue
				}
				if n, err := a.Ksize(p, "ksize"); n != o.Cache.ObjectSize || err != nil || n < tc.size {
					t.Errorf("ksize(%s) = %d, %v; want %d", what, n, err, o.Cache.ObjectSize)
				}
				if zone := a.Mem.PageZone(o.PFN).Name; (zone == "DMA") != (tc.gfp&phys.GfpDMA != 0) {
					t.Errorf("%s is in zone %s", what, zone)
				}
				live = append(live, p)
			}
			if p, ok, err := a.Kmalloc(0, phys.GFPKernel, "kmalloc"); p != ZeroSizePtr || !ok || err != nil {
				t.Errorf("kmalloc(0) = %#x, %v, %v; want ZERO_SIZE_PTR", uint64(p), ok, err)
			}
			if n, err := a.Ksize(ZeroSizePtr, "ksize"); n != 0 || err != nil {
				t.Errorf("ksize(ZERO_SIZE_PTR) = %d, %v", n, err)
			}
			if err := a.Kfree(ZeroSizePtr, "kfree"); err != nil {
				t.Errorf("kfree(ZERO_SIZE_PTR): %v", err)
			}
			for _, tc := range []struct{ size, want int }{{1, 32}, {100, 128}, {129, 192}, {600, 1024}, {131072, 131072}} {
				if got := a.SizeRoundup(tc.size); got != tc.want {
					t.Errorf("kmalloc_size_roundup(%d) = %d, want %d", tc.size, got, tc.want)
				}
			}
			if len(sm.warns) != 0 {
				t.Errorf("warnings: %q", sm.warns)
			}
			sm.check("kmallocs")
			for _, p := range live {
				if err := a.Kfree(p, "kfree"); err != nil {
					t.Fatalf("kfree(%#x): %v", uint64(p), err)
				}
			}
			for _, c := range a.Caches() {
				if _, err := c.Shrink(); err != nil {
					t.Fatal(err)
				}
			}
			if sm.pages() != 0 {
				t.Errorf("%d pages not given back", sm.pages())
			}
			sm.check("kfree all")
		})
	}
}
