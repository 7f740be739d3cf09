package phys_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/phys"
)

// lists returns a zone's free lists for a range of orders.
func lists(m *phys.Mem, z *phys.Zone, lo, hi int) map[int][]listed {
	out := map[int][]listed{}
	for o := lo; o <= hi; o++ {
		if l := freeList(m, z, o); l != nil {
			out[o] = l
		}
	}
	return out
}

func wantPage(t *testing.T, m *phys.Mem, pfn phys.PFN, block phys.Block, isFree bool) {
	t.Helper()
	p, err := m.Page(pfn)
	if err != nil {
		t.Fatalf("Page(%d): %v", pfn, err)
	}
	if p.Block != block || p.Free != isFree {
		t.Errorf("Page(%d): block %+v free %v, want block %+v free %v", pfn, p.Block, p.Free, block, isFree)
	}
	if isFree && p.Head() && p.Flags&phys.PGBuddy == 0 {
		t.Errorf("Page(%d) heads a free block but has flags %s", pfn, p.Flags)
	}
	if !isFree && p.Flags&phys.PGBuddy != 0 {
		t.Errorf("Page(%d) is allocated but has flags %s", pfn, p.Flags)
	}
}

// TestSplit: expand() keeps the lower half and frees the upper halves,
// one per order on the way down (facts file, section 1 "Allocation and
// splitting").
func TestSplit(t *testing.T) {
	m := boot(t, x86(1*gib))
	normal := zone(t, m, "Normal")

	// Order 3 from the first order-10 block at 4096: the upper halves
	// 4608 (o9), 4352 (o8), ..., 4104 (o3) are freed.
	if pfn := allocIn(t, m, phys.GFPKernel, 3, "Normal"); pfn != 4096 {
		t.Fatalf("order-3 allocation at pfn %d, want 4096", pfn)
	}
	want := map[int][]listed{
		3: {{4104, 1}}, 4: {{4112, 1}}, 5: {{4128, 1}}, 6: {{4160, 1}},
		7: {{4224, 1}}, 8: {{4352, 1}}, 9: {{4608, 1}}, 10: {{5120, 219}},
	}
	if diff := cmp.Diff(want, lists(m, normal, 0, 10)); diff != "" {
		t.Errorf("after order 3 (-want +got):\n%s", diff)
	}

	// Order 0 from the order-3 block at P = 4104: P is returned and P+4
	// (order 2), P+2 (order 1), P+1 (order 0) are freed.
	if pfn := allocIn(t, m, phys.GFPKernel, 0, "Normal"); pfn != 4104 {
		t.Fatalf("order-0 allocation at pfn %d, want 4104", pfn)
	}
	want = map[int][]listed{
		0: {{4105, 1}}, 1: {{4106, 1}}, 2: {{4108, 1}},
		4: {{4112, 1}}, 5: {{4128, 1}}, 6: {{4160, 1}},
		7: {{4224, 1}}, 8: {{4352, 1}}, 9: {{4608, 1}}, 10: {{5120, 219}},
	}
	if diff := cmp.Diff(want, lists(m, normal, 0, 10)); diff != "" {
		t.Errorf("after order 0 (-want +got):\n%s", diff)
	}
	if got := nrFree(normal); got != buddyinfo(0, 1, 1, 1, 2, 1, 4, 1, 5, 1, 6, 1, 7, 1, 8, 1, 9, 1, 10, 219) {
		t.Errorf("buddyinfo %v", got)
	}
	if normal.Free() != 225280-9 || normal.Allocated() != 9 || normal.PgAlloc != 9 {
		t.Errorf("Normal free %d allocated %d pgalloc %d, want %d, 9, 9", normal.Free(), normal.Allocated(), normal.PgAlloc, 225280-9)
	}
	wantPage(t, m, 4096, phys.Block{PFN: 4096, Order: 3}, false)
	wantPage(t, m, 4103, phys.Block{PFN: 4096, Order: 3}, false)
	wantPage(t, m, 4104, phys.Block{PFN: 4104, Order: 0}, false)
	wantPage(t, m, 4105, phys.Block{PFN: 4105, Order: 0}, true)
	wantPage(t, m, 4107, phys.Block{PFN: 4106, Order: 1}, true)
	wantPage(t, m, 4111, phys.Block{PFN: 4108, Order: 2}, true)
	mustCheck(t, m)
	mustCheckFull(t, m)
}

// TestAllocatedPage checks what an allocation leaves in struct page:
// refcount 1, the owner and tag, PG_head only for __GFP_COMP of order > 0.
func TestAllocatedPage(t *testing.T) {
	m := boot(t, x86(1*gib))
	tests := []struct {
		name  string
		req   phys.Request
		flags phys.PageFlags
		owner phys.Owner
	}{
		{"order 0", phys.Request{GFP: phys.GFPKernel}, 0, phys.OwnerPages},
		{"order 2", phys.Request{GFP: phys.GFPKernel, Order: 2}, 0, phys.OwnerPages},
		{"order 2 __GFP_COMP", phys.Request{GFP: phys.GFPKernel | phys.GfpComp, Order: 2, Tag: "thp"}, phys.PGHead, phys.OwnerPages},
		{"order 0 __GFP_COMP", phys.Request{GFP: phys.GFPKernel | phys.GfpComp}, 0, phys.OwnerPages},
		{"slab owner", phys.Request{GFP: phys.GFPKernel, Order: 1, Owner: phys.OwnerSlab, Tag: "kmalloc-8k"}, 0, phys.OwnerSlab},
	}
	for _, tt := range tests {
		pfn, ok, err := m.AllocPages(tt.req)
		if !ok || err != nil {
			t.Fatalf("%s: AllocPages = %v, %v", tt.name, ok, err)
		}
		p, _ := m.Page(pfn)
		if p.Flags != tt.flags || p.Refcount != 1 || p.Owner != tt.owner || p.Tag != tt.req.Tag || p.Block != (phys.Block{PFN: pfn, Order: tt.req.Order}) || p.Free {
			t.Errorf("%s: page %d = flags %s ref %d owner %s tag %q block %+v free %v", tt.name, pfn, p.Flags, p.Refcount, p.Owner, p.Tag, p.Block, p.Free)
		}
		if tt.req.Order > 0 {
			tail, _ := m.Page(pfn + 1)
			if tail.Owner != tt.owner || tail.Tag != tt.req.Tag || tail.Head() {
				t.Errorf("%s: tail page owner %s tag %q head %v", tt.name, tail.Owner, tail.Tag, tail.Head())
			}
		}
		free(t, m, pfn, tt.req.Order)
		if p, _ := m.Page(pfn); p.Flags&^phys.PGBuddy != 0 || p.Refcount != 0 || p.Owner != phys.OwnerNone || p.Tag != "" || !p.Free {
			t.Errorf("%s: freed page %d = flags %s ref %d owner %s tag %q free %v", tt.name, pfn, p.Flags, p.Refcount, p.Owner, p.Tag, p.Free)
		}
	}
	mustCheckFull(t, m)
}

// TestLIFOAndTailPlacement: a freed block goes to the head of its list
// and is the first one reused, except when its order+1 buddy is free
// (buddy_merge_likely), which puts it at the tail.
func TestLIFOAndTailPlacement(t *testing.T) {
	m := boot(t, x86(1*gib))
	normal := zone(t, m, "Normal")
	// Order-0 allocations walk up from the first block: 4096..4101.
	for want := phys.PFN(4096); want <= 4101; want++ {
		if pfn := allocIn(t, m, phys.GFPKernel, 0, "Normal"); pfn != want {
			t.Fatalf("allocation at pfn %d, want %d", pfn, want)
		}
	}
	// 4102 (order 1) is free; 4097, 4099, 4101 stay allocated.
	free(t, m, 4096, 0) // head: 4098 (its order-1 neighbour) is allocated
	free(t, m, 4098, 0) // head: 4096 is free, but of order 0, not 1
	free(t, m, 4100, 0) // tail: 4102 is a free order-1 block
	if got, want := freeList(m, normal, 0), []listed{{4098, 1}, {4096, 1}, {4100, 1}}; !cmp.Equal(got, want) {
		t.Errorf("order-0 list %v, want %v", got, want)
	}
	mustCheckFull(t, m)
	// Then the order-0 list is empty: 4102 (order 1) is split.
	for _, want := range []phys.PFN{4098, 4096, 4100, 4102, 4103} {
		if pfn := allocIn(t, m, phys.GFPKernel, 0, "Normal"); pfn != want {
			t.Errorf("reuse: allocation at pfn %d, want %d", pfn, want)
		}
	}
	mustCheckFull(t, m)
}

// TestCoalesce: freeing every block merges them back into the block they
// were split from, and the zone's lists are as boot left them.
func TestCoalesce(t *testing.T) {
	m := boot(t, x86(1*gib))
	normal := zone(t, m, "Normal")
	bootInfo := nrFree(normal)
	for want := phys.PFN(4096); want <= 4099; want++ {
		if pfn := allocIn(t, m, phys.GFPKernel, 0, "Normal"); pfn != want {
			t.Fatalf("allocation at pfn %d, want %d", pfn, want)
		}
	}
	steps := []struct {
		pfn  phys.PFN
		want map[int][]listed // orders 0..2
	}{
		{4097, map[int][]listed{0: {{4097, 1}}, 2: {{4100, 1}}}},
		{4099, map[int][]listed{0: {{4099, 1}, {4097, 1}}, 2: {{4100, 1}}}},
		// 4096 merges with 4097 into an order-1 block, which stops at the
		// allocated 4098 and goes to the tail (4100, order 2, is free).
		{4096, map[int][]listed{0: {{4099, 1}}, 1: {{4096, 1}}, 2: {{4100, 1}}}},
		// 4098 merges all the way up to the order-10 block at 4096.
		{4098, map[int][]listed{}},
	}
	for _, s := range steps {
		free(t, m, s.pfn, 0)
		if diff := cmp.Diff(s.want, lists(m, normal, 0, 2)); diff != "" {
			t.Errorf("after freeing %d (-want +got):\n%s", s.pfn, diff)
		}
		mustCheck(t, m)
	}
	if got := nrFree(normal); got != bootInfo {
		t.Errorf("buddyinfo %v after freeing everything, want boot's %v", got, bootInfo)
	}
	// The merged block is linked at the head, ahead of the untouched run.
	if got, want := freeList(m, normal, 10), []listed{{4096, 1}, {5120, 219}}; !cmp.Equal(got, want) {
		t.Errorf("order-10 list %v, want %v", got, want)
	}
	wantPage(t, m, 4096, phys.Block{PFN: 4096, Order: 10}, true)
	wantPage(t, m, 4098, phys.Block{PFN: 4096, Order: 10}, true)
	if m.Stats.PgFree != 4 || normal.Free() != normal.Managed || normal.Allocated() != 0 {
		t.Errorf("pgfree %d, Normal free %d allocated %d", m.Stats.PgFree, normal.Free(), normal.Allocated())
	}
	mustCheckFull(t, m)
}

// TestMergeStopsAtDifferentOrder: a free buddy of another order (a part
// of a split block) does not merge.
func TestMergeStopsAtDifferentOrder(t *testing.T) {
	m := boot(t, x86(1*gib))
	normal := zone(t, m, "Normal")
	for want := phys.PFN(4096); want <= 4099; want++ {
		if pfn := allocIn(t, m, phys.GFPKernel, 0, "Normal"); pfn != want {
			t.Fatalf("allocation at pfn %d, want %d", pfn, want)
		}
	}
	free(t, m, 4098, 0)
	free(t, m, 4096, 0)
	free(t, m, 4097, 0) // 4096+4097 make order 1; its buddy 4098 is free but order 0
	want := map[int][]listed{0: {{4098, 1}}, 1: {{4096, 1}}, 2: {{4100, 1}}}
	if diff := cmp.Diff(want, lists(m, normal, 0, 2)); diff != "" {
		t.Errorf("lists (-want +got):\n%s", diff)
	}
	wantPage(t, m, 4097, phys.Block{PFN: 4096, Order: 1}, true)
	wantPage(t, m, 4098, phys.Block{PFN: 4098, Order: 0}, true)
	wantPage(t, m, 4099, phys.Block{PFN: 4099, Order: 0}, false)
	mustCheckFull(t, m)
	free(t, m, 4099, 0)
	if got := freeList(m, normal, 10); !cmp.Equal(got, []listed{{4096, 1}, {5120, 219}}) {
		t.Errorf("order-10 list %v after the last free", got)
	}
	mustCheckFull(t, m)
}

// TestMergeStopsAtMaxOrder: two free order-10 buddies stay two blocks;
// the list is the blocks freed (LIFO) and then the untouched run.
func TestMergeStopsAtMaxOrder(t *testing.T) {
	m := boot(t, x86(1*gib))
	normal := zone(t, m, "Normal")
	a := allocIn(t, m, phys.GFPKernel, 10, "Normal")
	b := allocIn(t, m, phys.GFPKernel, 10, "Normal")
	if a != 4096 || b != 5120 {
		t.Fatalf("order-10 allocations at %d and %d, want 4096 and 5120 (the run's head)", a, b)
	}
	if got := freeList(m, normal, 10); !cmp.Equal(got, []listed{{6144, 218}}) {
		t.Errorf("order-10 list %v, want the run from 6144", got)
	}
	free(t, m, a, 10)
	free(t, m, b, 10) // buddies at order 10, but MAX_PAGE_ORDER is the last
	if got, want := freeList(m, normal, 10), []listed{{5120, 1}, {4096, 1}, {6144, 218}}; !cmp.Equal(got, want) {
		t.Errorf("order-10 list %v, want %v", got, want)
	}
	if normal.NrFree(10) != 220 {
		t.Errorf("nr_free[10] = %d, want 220", normal.NrFree(10))
	}
	mustCheckFull(t, m)
	// Allocation takes the linked blocks first, then the run.
	for _, want := range []phys.PFN{5120, 4096, 6144, 7168} {
		if pfn := allocIn(t, m, phys.GFPKernel, 10, "Normal"); pfn != want {
			t.Errorf("order-10 allocation at %d, want %d", pfn, want)
		}
	}
	mustCheckFull(t, m)
}

// TestMergeStopsAtZoneBoundary uses a layout whose Normal zone ends at
// pfn 4608, which is aligned to order 9 only: the order-9 blocks at 4096
// (Normal) and 4608 (HighMem) are buddies by address but never merge,
// and boot must not build a block that crosses the boundary.
func TestMergeStopsAtZoneBoundary(t *testing.T) {
	l, err := arch.New(x86(32 * mib))
	if err != nil {
		t.Fatal(err)
	}
	l.MaxLowPFN = 4608
	m, err := phys.Boot(l)
	if err != nil {
		t.Fatal(err)
	}
	normal, high := zone(t, m, "Normal"), zone(t, m, "HighMem")
	if normal.StartPFN != 4096 || normal.EndPFN != 4608 || high.StartPFN != 4608 || high.EndPFN != 8192 {
		t.Fatalf("Normal %d..%d HighMem %d..%d, want 4096..4608 and 4608..8192", normal.StartPFN, normal.EndPFN, high.StartPFN, high.EndPFN)
	}
	if got := nrFree(normal); got != buddyinfo(9, 1) {
		t.Errorf("Normal buddyinfo %v, want one order-9 block", got)
	}
	if got := nrFree(high); got != buddyinfo(9, 1, 10, 3) {
		t.Errorf("HighMem buddyinfo %v, want 4608 (o9) and 5120, 6144, 7168 (o10)", got)
	}
	if normal.Free() != 512 || high.Free() != 3584 {
		t.Errorf("Normal free %d HighMem free %d, want 512 and 3584", normal.Free(), high.Free())
	}
	mustCheckFull(t, m)

	pfn := allocIn(t, m, phys.GFPKernel, 0, "Normal")
	if pfn != 4096 {
		t.Fatalf("allocation at %d, want 4096", pfn)
	}
	free(t, m, pfn, 0)
	if got := nrFree(normal); got != buddyinfo(9, 1) {
		t.Errorf("Normal buddyinfo %v after the free, want one order-9 block", got)
	}
	if got := nrFree(high); got != buddyinfo(9, 1, 10, 3) {
		t.Errorf("HighMem buddyinfo %v after the free", got)
	}
	wantPage(t, m, 4096, phys.Block{PFN: 4096, Order: 9}, true)
	wantPage(t, m, 4608, phys.Block{PFN: 4608, Order: 9}, true)
	mustCheckFull(t, m)

	// The same from the other side: a HighMem block freed next to the
	// free Normal block.
	hp := allocIn(t, m, phys.GFPHighUser, 9, "HighMem")
	if hp != 4608 {
		t.Fatalf("order-9 HighMem allocation at %d, want 4608", hp)
	}
	free(t, m, hp, 9)
	if got := nrFree(high); got != buddyinfo(9, 1, 10, 3) {
		t.Errorf("HighMem buddyinfo %v after freeing 4608", got)
	}
	mustCheckFull(t, m)
}

// TestFreeBlocksOrderAfterChurn frees blocks in a scrambled order and
// checks that the lists name exactly the free blocks, each once.
func TestFreeBlocksOrderAfterChurn(t *testing.T) {
	m := boot(t, x86(64*mib))
	normal := zone(t, m, "Normal")
	var blocks []phys.Block
	for i := 0; i < 64; i++ {
		order := i % 4
		blocks = append(blocks, phys.Block{PFN: allocIn(t, m, phys.GFPKernel, order, "Normal"), Order: order})
	}
	for i := 0; i < len(blocks); i += 3 {
		free(t, m, blocks[i].PFN, blocks[i].Order)
	}
	var pages uint64
	seen := map[phys.PFN]bool{}
	for o := 0; o < phys.NROrders; o++ {
		var n uint64
		m.FreeBlocks(normal, o, func(pfn phys.PFN, count uint64) {
			for k := uint64(0); k < count; k++ {
				head := pfn + phys.PFN(k<<o)
				if seen[head] {
					t.Errorf("order %d: block %d listed twice", o, head)
				}
				seen[head] = true
				wantPage(t, m, head, phys.Block{PFN: head, Order: o}, true)
			}
			n += count
		})
		if n != normal.NrFree(o) {
			t.Errorf("order %d: FreeBlocks lists %d blocks, nr_free %d", o, n, normal.NrFree(o))
		}
		pages += n << o
	}
	if pages != normal.Free() {
		t.Errorf("FreeBlocks lists %d pages, Free() %d", pages, normal.Free())
	}
	mustCheckFull(t, m)
}
