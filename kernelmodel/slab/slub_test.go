package slab_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"mmsim/kernelmodel"
	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/phys"
	"mmsim/kernelmodel/slab"
)

// fixture is a cache of 256-byte objects on a 2-CPU x86-64 machine: 16
// objects per order-0 slab, cpu_partial 52 objects, so
// cpu_partial_slabs = DIV_ROUND_UP(104, 16) = 7, and min_partial =
// max(ilog2(256)/2, 5) = 5. Slabs are numbered in the order they were
// created.
type fixture struct {
	t   *testing.T
	m   *kernelmodel.Machine
	r   *recorder
	a   *slab.Allocator
	c   *slab.Cache
	cpu *int
	// slabs are the slabs created; objs[i][j] is object j of slab i
	// once allocated.
	slabs []*slab.Slab
	objs  [][]arch.VirtAddr
	boot  uint64 // free pages before the cache had any slab
}

func newFixture(t *testing.T) *fixture {
	m, r := boot(t, "x86_64 mem=256M cpus=2")
	f := &fixture{t: t, m: m, r: r, a: m.Slab, cpu: onCPU(m.Slab)}
	f.c = create(t, m.Slab, "test256", 256, 0, 0, nil)
	got := []int{f.c.Size, f.c.Order, f.c.ObjsPerSlab, f.c.CPUPartial, f.c.CPUPartialSlabs, f.c.MinPartial}
	if d := cmp.Diff([]int{256, 0, 16, 52, 7, 5}, got); d != "" {
		t.Fatalf("test256: size, order, objs, cpu_partial, cpu_partial_slabs, min_partial (-want +got):\n%s", d)
	}
	f.boot = m.Phys.NrFreePages()
	return f
}

// alloc allocates one object and records it under its slab.
func (f *fixture) alloc() arch.VirtAddr {
	f.t.Helper()
	p := alloc(f.t, f.c, phys.GFPKernel)
	s := slabOf(f.t, f.a, p)
	i := 0
	for i < len(f.slabs) && f.slabs[i] != s {
		i++
	}
	if i == len(f.slabs) {
		f.slabs = append(f.slabs, s)
		f.objs = append(f.objs, make([]arch.VirtAddr, 16))
	}
	f.objs[i][int(p-s.Base)/256] = p
	return p
}

// fill allocates n objects.
func (f *fixture) fill(n int) {
	f.t.Helper()
	for i := 0; i < n; i++ {
		f.alloc()
	}
}

// slab returns the i-th slab created (0-based).
func (f *fixture) slab(i int) *slab.Slab { return f.slabs[i] }

// free frees object j of slab i.
func (f *fixture) free(i, j int) {
	f.t.Helper()
	free(f.t, f.c, f.objs[i][j])
}

// freeRange frees objects from..to-1 of slab i.
func (f *fixture) freeRange(i, from, to int) {
	f.t.Helper()
	for j := from; j < to; j++ {
		f.free(i, j)
	}
}

func (f *fixture) counts(want slab.Counts, what string) {
	f.t.Helper()
	got := f.c.Counts()
	got.FreeOnPartial, got.ActiveObjs, got.ActiveSlabs = 0, 0, 0
	if d := cmp.Diff(want, got); d != "" {
		f.t.Errorf("%s: counts (-want +got):\n%s", what, d)
	}
	if err := f.m.Check(); err != nil {
		f.t.Fatalf("%s: Check: %v", what, err)
	}
	if err := f.a.CheckFull(); err != nil {
		f.t.Fatalf("%s: CheckFull: %v", what, err)
	}
}

func (f *fixture) where(i int, want where) {
	f.t.Helper()
	if got := whereOf(f.slab(i)); got != want {
		f.t.Errorf("slab %d is on %v of CPU %d, want %v of CPU %d", i, got.List, got.CPU, want.List, want.CPU)
	}
}

// list checks a list of slabs against slab numbers, head first.
func (f *fixture) list(what string, got []*slab.Slab, want ...int) {
	f.t.Helper()
	var g, w []uint64
	for _, s := range got {
		g = append(g, uint64(s.PFN))
	}
	for _, i := range want {
		w = append(w, uint64(f.slab(i).PFN))
	}
	if d := cmp.Diff(w, g); d != "" {
		f.t.Errorf("%s, head first, by pfn (-want +got):\n%s", what, d)
	}
}

func (f *fixture) pages(want int, what string) {
	f.t.Helper()
	if got := int(f.boot) - int(f.m.Phys.NrFreePages()); got != want {
		f.t.Errorf("%s: the cache holds %d pages, want %d", what, got, want)
	}
}

var (
	cpu0     = where{slab.ListCPU, 0}
	cpu1     = where{slab.ListCPU, 1}
	partial0 = where{slab.ListCPUPartial, 0}
	partial1 = where{slab.ListCPUPartial, 1}
	node     = where{slab.ListPartial, 0}
	full     = where{slab.ListFull, 0}
)

// TestNewSlabObjectOrder checks that a new slab hands out its objects in
// address order and becomes the CPU's active slab; the 17th allocation
// leaves it full, on no list, and takes a new slab.
func TestNewSlabObjectOrder(t *testing.T) {
	f := newFixture(t)
	var got []arch.VirtAddr
	for i := 0; i < 16; i++ {
		got = append(got, f.alloc())
		f.pages(1, fmt.Sprintf("after %d objects", i+1))
	}
	s := f.slab(0)
	var want []arch.VirtAddr
	for i := 0; i < 16; i++ {
		want = append(want, s.Base+arch.VirtAddr(256*i))
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("objects of a new slab (-want +got):\n%s", d)
	}
	info, err := f.m.Phys.Page(s.PFN)
	if err != nil || info.Flags&phys.PGSlab == 0 || info.Owner != phys.OwnerSlab || info.Tag != "test256" || info.Block.Order != 0 {
		t.Errorf("slab page: %+v, %v; want an order-0 PG_slab block owned by slab, tagged test256", info, err)
	}
	if s.Base != f.m.Layout.Virt(uint64(s.PFN.Addr())) || s.Objects != 16 || s.InUse != 16 {
		t.Errorf("slab: base %#x pfn %#x, %d of %d objects in use", uint64(s.Base), uint64(s.PFN), s.InUse, s.Objects)
	}
	f.where(0, cpu0)
	f.counts(slab.Counts{Slabs: 1, Objs: 16, InUse: 16, CPU: 1}, "one full active slab")
	f.alloc()
	f.pages(2, "17 objects")
	f.where(0, full)
	f.where(1, cpu0)
	if len(f.slabs) != 2 || f.objs[1][0] != f.slab(1).Base {
		t.Errorf("the 17th object is not the first of a new slab")
	}
	f.counts(slab.Counts{Slabs: 2, Objs: 32, InUse: 17, CPU: 1, Full: 1}, "17 objects")
	if s := f.c.CPUSlab(0); s != f.slab(1) {
		t.Errorf("CPUSlab(0) is not the new slab")
	}
	// Freed objects are reused last in, first out.
	f.free(1, 0)
	if p := f.alloc(); p != f.objs[1][0] {
		t.Errorf("the object freed last was not handed out first")
	}
}

// TestFreeIntoFullSlab checks that a free into a full slab puts it on the
// freeing CPU's partial list, and that the next slab the CPU needs comes
// from there.
func TestFreeIntoFullSlab(t *testing.T) {
	f := newFixture(t)
	f.fill(17)
	f.free(0, 5)
	f.where(0, partial0)
	f.counts(slab.Counts{Slabs: 2, Objs: 32, InUse: 16, CPU: 1, CPUPartial: 1}, "a free into the full slab")
	f.list("CPU 0's partial list", f.c.CPUPartialList(0), 0)
	f.free(0, 6) // a second free: nothing moves
	f.where(0, partial0)
	// Use up the active slab; the next allocation takes slab 0 back.
	f.fill(15)
	f.pages(2, "no new slab")
	f.where(1, cpu0)
	p := f.alloc()
	if p != f.objs[0][6] {
		t.Errorf("allocation after the active slab is full = %#x, want the last object freed into the CPU partial slab %#x", uint64(p), uint64(f.objs[0][6]))
	}
	f.where(0, cpu0)
	f.where(1, full)
	f.pages(2, "still no new slab")
	f.counts(slab.Counts{Slabs: 2, Objs: 32, InUse: 31, CPU: 1, Full: 1}, "slab 0 active again")
}

// TestCPUPartialOverflow checks put_cpu_partial(): when the CPU's list
// already holds cpu_partial_slabs (7) slabs, they move to the tail of the
// node's list (head first) before the new one goes on. Then the allocation
// order: the active slab, the CPU's partial list, the node's list — whose
// head becomes active while up to cpu_partial_slabs/2 + 1 more move to the
// CPU's list (get_partial_node breaks once ++partial_slabs >
// cpu_partial_slabs / 2) — and only then a new slab.
func TestCPUPartialOverflow(t *testing.T) {
	f := newFixture(t)
	f.fill(9*16 + 1) // slabs 0..8 full, 9 active with one object
	for i := 0; i < 7; i++ {
		f.free(i, 0)
	}
	f.list("CPU 0's partial list", f.c.CPUPartialList(0), 6, 5, 4, 3, 2, 1, 0)
	f.counts(slab.Counts{Slabs: 10, Objs: 160, InUse: 138, CPU: 1, CPUPartial: 7, Full: 2}, "7 slabs on CPU 0's partial list")
	f.free(7, 0) // the list is full: its 7 slabs go to the node
	f.list("node partial list", f.c.NodePartialList(), 6, 5, 4, 3, 2, 1, 0)
	f.list("CPU 0's partial list", f.c.CPUPartialList(0), 7)
	f.counts(slab.Counts{Slabs: 10, Objs: 160, InUse: 137, Partial: 7, CPU: 1, CPUPartial: 1, Full: 1}, "after the drain")
	f.pages(10, "no slab discarded (none empty)")

	f.fill(15) // the rest of the active slab 9
	f.where(9, cpu0)
	f.alloc() // from slab 7, on CPU 0's partial list
	f.where(7, cpu0)
	f.where(9, full)
	// Slab 7 is full now; the CPU's list is empty: the node's head
	// (slab 6) becomes active, 7/2 + 1 = 4 more move to the CPU's list.
	if p := f.alloc(); p != f.objs[6][0] {
		t.Errorf("allocation with an empty CPU partial list = %#x, want the free object of the node's first slab", uint64(p))
	}
	f.where(6, cpu0)
	f.list("CPU 0's partial list", f.c.CPUPartialList(0), 2, 3, 4, 5)
	f.list("node partial list", f.c.NodePartialList(), 1, 0)
	f.counts(slab.Counts{Slabs: 10, Objs: 160, InUse: 154, Partial: 2, CPU: 1, CPUPartial: 4, Full: 3}, "after get_partial_node")
	f.pages(10, "still no new slab")
	// The next slabs come from the CPU's list, head first, then the node.
	for _, want := range []int{2, 3, 4, 5, 1, 0} {
		if p := f.alloc(); p != f.objs[want][0] {
			t.Errorf("allocation = %#x, want the free object of slab %d", uint64(p), want)
		}
		f.where(want, cpu0)
	}
	f.counts(slab.Counts{Slabs: 10, Objs: 160, InUse: 160, CPU: 1, Full: 9}, "every object in use")
	f.pages(10, "no new slab until every slab is full")
	f.alloc()
	f.pages(11, "a new slab")
	f.where(10, cpu0)
}

// TestNodePartialDiscard checks __slab_free(): a slab on the node's list
// that becomes empty is discarded, its page back to the buddy allocator,
// only while the node holds at least min_partial (5) partial slabs,
// counting that slab; otherwise it stays, empty, on the list.
func TestNodePartialDiscard(t *testing.T) {
	f := newFixture(t)
	f.fill(8*16 + 1) // slabs 0..7 full, 8 active
	for i := 0; i < 7; i++ {
		f.freeRange(i, 0, 15) // one object left in each
	}
	f.list("CPU 0's partial list", f.c.CPUPartialList(0), 6, 5, 4, 3, 2, 1, 0)
	f.freeRange(7, 0, 15) // drains slabs 0..6 to the node
	f.list("node partial list", f.c.NodePartialList(), 6, 5, 4, 3, 2, 1, 0)
	f.counts(slab.Counts{Slabs: 9, Objs: 144, InUse: 9, Partial: 7, CPU: 1, CPUPartial: 1}, "7 slabs with one object on the node")
	for i, tt := range []struct {
		nrPartial int
		discard   bool
	}{{7, true}, {6, true}, {5, true}, {4, false}, {4, false}} {
		free0 := f.m.Phys.NrFreePages()
		s := f.slab(i)
		f.free(i, 15)
		if got := f.m.Phys.NrFreePages() - free0; tt.discard && got != 1 || !tt.discard && got != 0 {
			t.Errorf("emptying slab %d with nr_partial %d freed %d pages, want discard=%v", i, tt.nrPartial, got, tt.discard)
		}
		slabs := f.c.Slabs()
		if kept := hasSlab(slabs, s); kept == tt.discard {
			t.Errorf("emptying slab %d with nr_partial %d: slab kept %v, want discard=%v", i, tt.nrPartial, kept, tt.discard)
		}
		if !tt.discard {
			if got := whereOf(s); got != node || s.InUse != 0 {
				t.Errorf("slab %d kept on %v with %d objects, want empty on the node's list", i, got, s.InUse)
			}
		}
		if _, ok := f.a.Lookup(f.objs[i][15]); ok == tt.discard {
			t.Errorf("Lookup of an object of slab %d: found %v, want %v", i, ok, !tt.discard)
		}
	}
	f.counts(slab.Counts{Slabs: 6, Objs: 96, InUse: 4, Partial: 4, CPU: 1, CPUPartial: 1}, "after emptying five node slabs")
	f.pages(6, "three slabs discarded")

	// kmem_cache_shrink flushes the CPU's slabs to the node and discards
	// every empty slab (slabs 3 and 4): the count comes back.
	n, err := f.c.Shrink()
	if n != 2 || err != nil {
		t.Errorf("Shrink = %d, %v; want 2", n, err)
	}
	f.pages(4, "after shrink")
	f.counts(slab.Counts{Slabs: 4, Objs: 64, InUse: 4, Partial: 4}, "after shrink")
	for _, i := range []int{5, 6, 7, 8} {
		f.where(i, node)
	}
	// Free the rest: the node keeps min_partial slabs even when empty...
	for _, i := range []int{5, 6, 7} {
		f.free(i, 15)
	}
	f.free(8, 0)
	f.counts(slab.Counts{Slabs: 4, Objs: 64, Partial: 4}, "every object freed")
	// ... until a shrink.
	n, err = f.c.Shrink()
	if n != 4 || err != nil {
		t.Errorf("Shrink = %d, %v; want 4", n, err)
	}
	f.pages(0, "after the last shrink")
	f.counts(slab.Counts{}, "an empty cache")
	if n, err := f.c.Shrink(); n != 0 || err != nil {
		t.Errorf("Shrink of an empty cache = %d, %v", n, err)
	}
}

func hasSlab(list []*slab.Slab, s *slab.Slab) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestPutPartialsDiscard checks __put_partials(): the slabs of a CPU's
// partial list go to the node's list head first, except that an empty one
// is discarded when the node holds min_partial slabs at that moment.
func TestPutPartialsDiscard(t *testing.T) {
	t.Run("node full enough", func(t *testing.T) {
		f := newFixture(t)
		f.fill(15*16 + 1) // slabs 0..14 full, 15 active
		for i := 0; i < 8; i++ {
			f.free(i, 0) // 0..6 to the CPU's list, then drained to the node by 7
		}
		f.list("node partial list", f.c.NodePartialList(), 6, 5, 4, 3, 2, 1, 0)
		f.freeRange(8, 0, 16) // slab 8 emptied on the CPU's list
		f.freeRange(9, 0, 16)
		for i := 10; i < 14; i++ {
			f.free(i, 0)
		}
		f.list("CPU 0's partial list", f.c.CPUPartialList(0), 13, 12, 11, 10, 9, 8, 7)
		f.pages(16, "empty slabs on a CPU's partial list stay")
		f.free(14, 0) // drain: 13..10 to the node, 9 and 8 discarded, 7 to the node
		f.pages(14, "after the drain")
		f.list("node partial list", f.c.NodePartialList(), 6, 5, 4, 3, 2, 1, 0, 13, 12, 11, 10, 7)
		f.list("CPU 0's partial list", f.c.CPUPartialList(0), 14)
		f.counts(slab.Counts{Slabs: 14, Objs: 224, InUse: 196, Partial: 12, CPU: 1, CPUPartial: 1}, "after the drain")
	})
	t.Run("node nearly empty", func(t *testing.T) {
		f := newFixture(t)
		f.fill(8*16 + 1) // slabs 0..7 full, 8 active
		for i := 2; i < 7; i++ {
			f.free(i, 0)
		}
		f.freeRange(0, 0, 16) // slabs 0 and 1 emptied last: the list's head
		f.freeRange(1, 0, 16)
		f.list("CPU 0's partial list", f.c.CPUPartialList(0), 1, 0, 6, 5, 4, 3, 2)
		f.free(7, 0)
		// Slabs 1 and 0 go first, while the node holds fewer than 5: kept.
		f.pages(9, "no slab discarded")
		f.list("node partial list", f.c.NodePartialList(), 1, 0, 6, 5, 4, 3, 2)
		f.counts(slab.Counts{Slabs: 9, Objs: 144, InUse: 91, Partial: 7, CPU: 1, CPUPartial: 1}, "after the drain")
	})
	t.Run("empty slabs last", func(t *testing.T) {
		f := newFixture(t)
		f.fill(8*16 + 1)
		f.freeRange(0, 0, 16) // emptied first: the tail of the CPU's list
		f.freeRange(1, 0, 16)
		for i := 2; i < 7; i++ {
			f.free(i, 0)
		}
		f.list("CPU 0's partial list", f.c.CPUPartialList(0), 6, 5, 4, 3, 2, 1, 0)
		f.free(7, 0)
		// 6..2 reach the node first: 1 and 0 find 5 slabs there.
		f.pages(7, "two empty slabs discarded")
		f.list("node partial list", f.c.NodePartialList(), 6, 5, 4, 3, 2)
		f.counts(slab.Counts{Slabs: 7, Objs: 112, InUse: 91, Partial: 5, CPU: 1, CPUPartial: 1}, "after the drain")
	})
}

// TestPerCPU checks that each CPU has its own active slab and partial list.
func TestPerCPU(t *testing.T) {
	f := newFixture(t)
	f.fill(16 + 1) // slab 0 full, slab 1 active on CPU 0
	*f.cpu = 1
	f.alloc() // CPU 1 has no slab: a new one, although CPU 0's has room
	f.where(2, cpu1)
	f.where(1, cpu0)
	f.pages(3, "a slab per CPU")
	f.counts(slab.Counts{Slabs: 3, Objs: 48, InUse: 18, CPU: 2, Full: 1}, "two active slabs")
	// A free from CPU 1 into the full slab 0 puts it on CPU 1's list.
	f.free(0, 3)
	f.where(0, partial1)
	f.list("CPU 1's partial list", f.c.CPUPartialList(1), 0)
	if l := f.c.CPUPartialList(0); len(l) != 0 {
		t.Errorf("CPU 0's partial list has %d slabs", len(l))
	}
	// A free into another CPU's active slab moves nothing.
	f.free(1, 0)
	f.where(1, cpu0)
	// CPU 0 fills its slab, then needs another: it cannot use CPU 1's
	// partial list, so it takes a new slab.
	*f.cpu = 0
	f.fill(17)
	f.where(1, full)
	f.where(3, cpu0)
	f.where(0, partial1)
	f.pages(4, "CPU 0 took a new slab")
	// CPU 1 takes slab 0 back when its active slab is full.
	*f.cpu = 1
	f.fill(15)
	if p := f.alloc(); p != f.objs[0][3] {
		t.Errorf("CPU 1 allocated %#x, want the object freed into slab 0", uint64(p))
	}
	f.where(2, full)
	f.where(0, cpu1)
	// Shrink flushes every CPU.
	*f.cpu = 0
	for i := range f.objs {
		for j, p := range f.objs[i] {
			if o, ok := f.a.Lookup(p); ok && !o.Free {
				f.free(i, j)
			}
		}
	}
	n, err := f.c.Shrink()
	if n != 4 || err != nil {
		t.Errorf("Shrink = %d, %v; want 4", n, err)
	}
	f.counts(slab.Counts{}, "after shrink")
	f.pages(0, "after shrink")
}

// TestPerCPUMachineContext drives the CPU through the machine's context
// stack, as scripts do.
func TestPerCPUMachineContext(t *testing.T) {
	m, _ := boot(t, "x86_64 mem=64M cpus=2")
	c := create(t, m.Slab, "ctx", 512, 0, 0, nil)
	p := alloc(t, c, phys.GFPKernel)
	if err := m.EnterContext(kernelmodel.Context{Kind: kernelmodel.CtxCPU, CPU: 1}); err != nil {
		t.Fatal(err)
	}
	q := alloc(t, c, phys.GFPKernel)
	m.LeaveContext()
	sp, sq := slabOf(t, m.Slab, p), slabOf(t, m.Slab, q)
	if whereOf(sp) != cpu0 || whereOf(sq) != cpu1 {
		t.Errorf("slabs on %v and %v, want CPU 0's and CPU 1's active slabs", whereOf(sp), whereOf(sq))
	}
	checkAll(t, m)
}

// TestShrinkKeepsLiveSlabs checks that kmem_cache_shrink discards only empty
// slabs, and sorts the node's list fullest first.
func TestShrinkKeepsLiveSlabs(t *testing.T) {
	f := newFixture(t)
	f.fill(4*16 + 1) // slabs 0..3 full, 4 active
	f.freeRange(0, 0, 10)
	f.freeRange(1, 0, 2)
	f.freeRange(2, 0, 16)
	f.freeRange(3, 0, 5)
	f.list("CPU 0's partial list", f.c.CPUPartialList(0), 3, 2, 1, 0)
	n, err := f.c.Shrink()
	if n != 1 || err != nil {
		t.Errorf("Shrink = %d, %v; want 1 (slab 2)", n, err)
	}
	// In use: slab 1 14, slab 3 11, slab 0 6, slab 4 1.
	f.list("node partial list", f.c.NodePartialList(), 1, 3, 0, 4)
	f.counts(slab.Counts{Slabs: 4, Objs: 64, InUse: 32, Partial: 4}, "after shrink")
	f.pages(4, "after shrink")
}

// TestDestroy checks kmem_cache_destroy().
func TestDestroy(t *testing.T) {
	m, r := boot(t, "x86_64 mem=64M cpus=2")
	a := m.Slab
	free0 := m.Phys.NrFreePages()
	n := len(a.Caches())
	c := create(t, a, "victim", 100, 0, 0, nil)
	var objs []arch.VirtAddr
	for i := 0; i < 100; i++ {
		objs = append(objs, alloc(t, c, phys.GFPKernel))
	}
	for _, p := range objs[:80] {
		free(t, c, p)
	}
	// Live objects: a warning, a *DestroyError, and the cache stays.
	err := c.Destroy()
	var de *slab.DestroyError
	if !errors.As(err, &de) || !strings.Contains(err.Error(), "Slab cache still has objects") {
		t.Errorf("Destroy with live objects: %v, want a *slab.DestroyError", err)
	}
	if w := r.take(); len(w) != 1 || !strings.Contains(w[0], "kmem_cache_destroy victim: Slab cache still has objects") {
		t.Errorf("warnings %q, want kmem_cache_destroy's", w)
	}
	if c.Destroyed() || a.Find("victim") != c || !contains(c, a.Caches()) || len(a.Caches()) != n+1 {
		t.Errorf("the cache is gone after a failed destroy")
	}
	for _, p := range objs[80:] {
		if o := lookup(t, a, p); o.Free || o.Cache != c {
			t.Errorf("object %#x is no longer allocated", uint64(p))
		}
	}
	// The shrink freed the empty slabs: only slabs with live objects stay.
	cnt := c.Counts()
	live := map[*slab.Slab]bool{}
	for _, p := range objs[80:] {
		live[slabOf(t, a, p)] = true
	}
	if cnt.Slabs != len(live) || cnt.InUse != 20 {
		t.Errorf("after the failed destroy: %d slabs, %d in use; want %d slabs, 20 in use", cnt.Slabs, cnt.InUse, len(live))
	}
	checkAll(t, m)
	for _, p := range objs[80:] {
		free(t, c, p)
	}
	if err := c.Destroy(); err != nil {
		t.Fatalf("Destroy of an empty cache: %v", err)
	}
	if !c.Destroyed() || a.Find("victim") != nil || contains(c, a.Caches()) || len(a.Caches()) != n {
		t.Errorf("the cache is still listed after destroy")
	}
	if got := m.Phys.NrFreePages(); got != free0 {
		t.Errorf("free pages %d after destroy, want %d", got, free0)
	}
	wantBug(t, c.Destroy(), "a second destroy", "destroyed already")
	wantBug(t, a.Find("kmalloc-64").Destroy(), "destroying a kmalloc cache", "never destroyed")
	if w := r.take(); len(w) != 0 {
		t.Errorf("warnings: %q", w)
	}
	checkAll(t, m)
}

// TestCreateErrors checks that kmem_cache_create refuses bad requests with
// a *CreateError (the kernel's NULL), or a BUG with SLAB_PANIC, and adds no
// cache.
func TestCreateErrors(t *testing.T) {
	m, _ := boot(t, "x86_64 mem=64M cpus=2")
	a := m.Slab
	n := len(a.Caches())
	tests := []struct {
		name        string
		size, align int
		flags       slab.Flags
	}{
		{"", 64, 0, 0},
		{"zero", 0, 0, 0},
		{"negative", -8, 0, 0},
		{"smaller than a pointer", 4, 0, 0},
		{"too big", slab.KmallocMaxSize + 1, 0, 0},
		{"align 3", 64, 3, 0},
		{"align 24", 64, 24, 0},
		{"align -8", 64, -8, 0},
		{"unknown flag", 64, 0, 0x1},
		{"high flag", 64, 0, 0x80000000},
	}
	for _, tt := range tests {
		c, err := a.Create(tt.name, tt.size, tt.align, tt.flags, nil)
		var ce *slab.CreateError
		if c != nil || !errors.As(err, &ce) {
			t.Errorf("Create(%q, %d, %d, %#x) = %v, %v; want a *slab.CreateError", tt.name, tt.size, tt.align, uint32(tt.flags), c, err)
		}
		c, err = a.Create(tt.name, tt.size, tt.align, tt.flags|slab.SlabPanic, nil)
		if c != nil {
			t.Errorf("Create(%q, SLAB_PANIC) returned a cache", tt.name)
		}
		wantBug(t, err, fmt.Sprintf("Create(%q, SLAB_PANIC)", tt.name), "Failed to create slab")
	}
	if len(a.Caches()) != n {
		t.Errorf("%d caches after failed creates, want %d", len(a.Caches()), n)
	}
	// The limits themselves are fine.
	create(t, a, "eight", 8, 0, 0, nil)
	create(t, a, "four megabytes", slab.KmallocMaxSize, 0, 0, nil)
	create(t, a, "page aligned", 64, 4096, slab.SlabPanic, nil)
	for _, fl := range slab.FlagNames {
		create(t, a, fl.Name, 64, 0, fl.Value, nil)
	}
	// Names may repeat; Find returns the newest.
	first := create(t, a, "dup", 64, 0, 0, nil)
	second := create(t, a, "dup", 64, 0, 0, nil)
	if a.Find("dup") != second || first == second {
		t.Errorf("Find(dup) is not the newest cache of that name")
	}
	checkAll(t, m)
}

// TestOneObjectSlabsWithoutCPUPartial checks __slab_free() for a cache
// without CPU partial lists (a debugging cache): a free into a full slab
// puts it on the node's list, but when that free empties the slab (one
// object a slab) it is discarded instead while the node holds min_partial
// slabs (the slab_empty path with prior == NULL).
func TestOneObjectSlabsWithoutCPUPartial(t *testing.T) {
	m, _ := boot(t, "x86_64 mem=256M cpus=2")
	// 20000 bytes: one object fits in order 3 (12768 left, accepted at
	// 1/2); min_partial = ilog2(20000)/2 = 7.
	c := create(t, m.Slab, "single", 20000, 0, slab.SlabConsistencyChecks, nil)
	got := []int{c.Order, c.ObjsPerSlab, c.MinPartial, c.CPUPartial}
	if d := cmp.Diff([]int{3, 1, 7, 0}, got); d != "" {
		t.Fatalf("order, objs, min_partial, cpu_partial (-want +got):\n%s", d)
	}
	free0 := m.Phys.NrFreePages()
	var objs []arch.VirtAddr
	for i := 0; i < 10; i++ {
		objs = append(objs, alloc(t, c, phys.GFPKernel))
	}
	for i, p := range objs[:9] {
		s := slabOf(t, m.Slab, p)
		if got := whereOf(s); got != full {
			t.Fatalf("slab of object %d is on %v, want full", i, got)
		}
		before := m.Phys.NrFreePages()
		free(t, c, p)
		discard := i >= 7 // the node holds 7 partial slabs from then on
		if got := m.Phys.NrFreePages() - before; discard && got != 8 || !discard && got != 0 {
			t.Errorf("freeing object %d: %d pages back, want discard=%v", i, got, discard)
		}
		if !discard && whereOf(s) != node {
			t.Errorf("freeing object %d: its slab is on %v, want the node's list", i, whereOf(s))
		}
	}
	cnt := c.Counts()
	if cnt.Partial != 7 || cnt.Slabs != 8 || cnt.InUse != 1 {
		t.Errorf("counts %+v, want 7 partial slabs of 8, one object in use", cnt)
	}
	if got := free0 - m.Phys.NrFreePages(); got != 8*8 {
		t.Errorf("the cache holds %d pages, want 64", got)
	}
	checkAll(t, m)
}
