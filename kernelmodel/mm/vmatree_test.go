package mm

import (
	"fmt"
	"math/rand"
	"sort"
	"testing"
)

const vtPage = vmaTreePageSize // page size, for brevity in tables

// vtSpan is a VMA's range and whether it grows down, for table tests.
type vtSpan struct {
	start, end uint64
	down       bool
}

// vtBuild makes a tree with guard gap guard holding spans, checking
// it after each insertion.
func vtBuild(t testing.TB, guard uint64, spans ...vtSpan) (*vmaTree, []*VMA) {
	t.Helper()
	tr := newVMATree(guard)
	vs := make([]*VMA, len(spans))
	for i, s := range spans {
		v := &VMA{Start: s.start, End: s.end}
		if s.down {
			v.Flags |= VMGrowsDown
		}
		tr.Insert(v)
		vs[i] = v
		if err := tr.check(); err != nil {
			t.Fatalf("after inserting [%#x, %#x): %v", s.start, s.end, err)
		}
	}
	return tr, vs
}

// index returns v's index in vs, or -1 for nil.
func vtIndex(vs []*VMA, v *VMA) int {
	if v == nil {
		return -1
	}
	for i, w := range vs {
		if w == v {
			return i
		}
	}
	return -2
}

func TestVMATreeFind(t *testing.T) {
	// Inserted out of order on purpose.
	tr, vs := vtBuild(t, 0,
		vtSpan{start: 0x8000, end: 0xa000},
		vtSpan{start: 0x1000, end: 0x3000},
		vtSpan{start: 0x5000, end: 0x6000},
	)
	const a, b, c = 1, 2, 0 // indexes into vs in address order
	tests := []struct {
		addr                   uint64
		find, lookup, findPrev int
	}{
		{addr: 0, find: a, lookup: -1, findPrev: -1},
		{addr: 0xfff, find: a, lookup: -1, findPrev: -1},
		{addr: 0x1000, find: a, lookup: a, findPrev: -1},
		{addr: 0x2fff, find: a, lookup: a, findPrev: -1},
		{addr: 0x3000, find: b, lookup: -1, findPrev: a},
		{addr: 0x4fff, find: b, lookup: -1, findPrev: a},
		{addr: 0x5000, find: b, lookup: b, findPrev: a},
		{addr: 0x5fff, find: b, lookup: b, findPrev: a},
		{addr: 0x6000, find: c, lookup: -1, findPrev: b},
		{addr: 0x8000, find: c, lookup: c, findPrev: b},
		{addr: 0x9fff, find: c, lookup: c, findPrev: b},
		{addr: 0xa000, find: -1, lookup: -1, findPrev: c},
		{addr: ^uint64(0), find: -1, lookup: -1, findPrev: c},
	}
	for _, tc := range tests {
		if got := vtIndex(vs, tr.Find(tc.addr)); got != tc.find {
			t.Errorf("Find(%#x) = vs[%d], want vs[%d]", tc.addr, got, tc.find)
		}
		if got := vtIndex(vs, tr.Lookup(tc.addr)); got != tc.lookup {
			t.Errorf("Lookup(%#x) = vs[%d], want vs[%d]", tc.addr, got, tc.lookup)
		}
		if got := vtIndex(vs, tr.FindPrev(tc.addr)); got != tc.findPrev {
			t.Errorf("FindPrev(%#x) = vs[%d], want vs[%d]", tc.addr, got, tc.findPrev)
		}
	}

	if tr.Len() != 3 || tr.First() != vs[a] || tr.Last() != vs[c] {
		t.Errorf("Len, First, Last = %d, vs[%d], vs[%d]; want 3, vs[%d], vs[%d]",
			tr.Len(), vtIndex(vs, tr.First()), vtIndex(vs, tr.Last()), a, c)
	}
	order := []int{a, b, c}
	for i, want := range order {
		v := vs[want]
		wantPrev, wantNext := -1, -1
		if i > 0 {
			wantPrev = order[i-1]
		}
		if i+1 < len(order) {
			wantNext = order[i+1]
		}
		if got := vtIndex(vs, v.Prev()); got != wantPrev {
			t.Errorf("vs[%d].Prev() = vs[%d], want vs[%d]", want, got, wantPrev)
		}
		if got := vtIndex(vs, v.Next()); got != wantNext {
			t.Errorf("vs[%d].Next() = vs[%d], want vs[%d]", want, got, wantNext)
		}
	}

	var seen []int
	tr.Each(func(v *VMA) bool {
		seen = append(seen, vtIndex(vs, v))
		return len(seen) < 2
	})
	if fmt.Sprint(seen) != fmt.Sprint(order[:2]) {
		t.Errorf("Each stopping after 2 saw %v, want %v", seen, order[:2])
	}

	// Removing the middle VMA relinks its neighbours and clears it.
	tr.Remove(vs[b])
	if err := tr.check(); err != nil {
		t.Fatal(err)
	}
	if vs[b].node != nil || vs[b].Prev() != nil || vs[b].Next() != nil {
		t.Errorf("removed VMA keeps its links")
	}
	if vs[a].Next() != vs[c] || vs[c].Prev() != vs[a] || tr.Len() != 2 {
		t.Errorf("neighbours not relinked after Remove")
	}
	if got := vs[c].node.gap; got != 0x8000-0x3000 {
		t.Errorf("gap below [0x8000, 0xa000) after Remove = %#x, want %#x", got, 0x8000-0x3000)
	}
	if got := vtIndex(vs, tr.Find(0x4000)); got != c {
		t.Errorf("Find(0x4000) after Remove = vs[%d], want vs[%d]", got, c)
	}
}

func TestVMATreeEmpty(t *testing.T) {
	tr := newVMATree(vmaTreeDefaultGuard)
	if tr.Len() != 0 || tr.First() != nil || tr.Last() != nil ||
		tr.Find(0) != nil || tr.Lookup(0x1000) != nil || tr.FindPrev(0x1000) != nil {
		t.Errorf("empty tree is not empty")
	}
	tr.Each(func(*VMA) bool { t.Errorf("Each on empty tree called f"); return true })
	if err := tr.check(); err != nil {
		t.Error(err)
	}
}

func TestVMATreeInsertPanics(t *testing.T) {
	tests := []struct {
		name       string
		start, end uint64
	}{
		{"same", 0x4000, 0x6000},
		{"overlap below", 0x3000, 0x5000},
		{"overlap above", 0x5000, 0x7000},
		{"inside", 0x5000, 0x6000},
		{"around", 0x3000, 0x7000},
		{"empty", 0x8000, 0x8000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr, _ := vtBuild(t, 0, vtSpan{start: 0x4000, end: 0x6000})
			defer func() {
				if recover() == nil {
					t.Errorf("Insert([%#x, %#x)) did not panic", tc.start, tc.end)
				}
				if err := tr.check(); err != nil || tr.Len() != 1 {
					t.Errorf("tree changed by failed Insert: %v, Len %d", err, tr.Len())
				}
			}()
			tr.Insert(&VMA{Start: tc.start, End: tc.end})
		})
	}
}

func TestVMATreeSetBounds(t *testing.T) {
	const guard = 0x10 * vtPage
	tests := []struct {
		name       string
		spans      []vtSpan
		i          int // VMA to change
		start, end uint64
		wantGaps   []uint64 // gap below each VMA afterwards
	}{
		{
			name:     "grow end",
			spans:    []vtSpan{{start: 0x10000, end: 0x20000}, {start: 0x40000, end: 0x50000}},
			i:        0,
			start:    0x10000,
			end:      0x30000,
			wantGaps: []uint64{0x10000, 0x10000},
		},
		{
			name:     "shrink end",
			spans:    []vtSpan{{start: 0x10000, end: 0x20000}, {start: 0x40000, end: 0x50000}},
			i:        0,
			start:    0x10000,
			end:      0x11000,
			wantGaps: []uint64{0x10000, 0x2f000},
		},
		{
			name:     "grow end to touch",
			spans:    []vtSpan{{start: 0x10000, end: 0x20000}, {start: 0x40000, end: 0x50000}},
			i:        0,
			start:    0x10000,
			end:      0x40000,
			wantGaps: []uint64{0x10000, 0},
		},
		{
			name:     "grow start down",
			spans:    []vtSpan{{start: 0x10000, end: 0x20000}, {start: 0x40000, end: 0x50000}},
			i:        1,
			start:    0x30000,
			end:      0x50000,
			wantGaps: []uint64{0x10000, 0x10000},
		},
		{
			name:     "shrink start and end",
			spans:    []vtSpan{{start: 0x10000, end: 0x20000}, {start: 0x40000, end: 0x50000}, {start: 0x60000, end: 0x70000}},
			i:        1,
			start:    0x44000,
			end:      0x48000,
			wantGaps: []uint64{0x10000, 0x24000, 0x18000},
		},
		{
			name:     "first VMA",
			spans:    []vtSpan{{start: 0x10000, end: 0x20000}},
			i:        0,
			start:    0x2000,
			end:      0x3000,
			wantGaps: []uint64{0x2000},
		},
		{
			name: "stack grows down into its guard",
			spans: []vtSpan{
				{start: 0x10000, end: 0x20000},
				{start: 0x40000, end: 0x50000, down: true},
			},
			i:        1,
			start:    0x38000,
			end:      0x50000,
			wantGaps: []uint64{0x10000, 0x38000 - guard - 0x20000},
		},
		{
			name: "stack guard swallows the gap",
			spans: []vtSpan{
				{start: 0x10000, end: 0x20000},
				{start: 0x40000, end: 0x50000, down: true},
			},
			i:        1,
			start:    0x28000,
			end:      0x50000,
			wantGaps: []uint64{0x10000, 0},
		},
		{
			name: "VMA below a stack shrinks",
			spans: []vtSpan{
				{start: 0x10000, end: 0x38000},
				{start: 0x40000, end: 0x50000, down: true},
			},
			i:        0,
			start:    0x10000,
			end:      0x20000,
			wantGaps: []uint64{0x10000, 0x40000 - guard - 0x20000},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr, vs := vtBuild(t, guard, tc.spans...)
			tr.SetBounds(vs[tc.i], tc.start, tc.end)
			if err := tr.check(); err != nil {
				t.Fatal(err)
			}
			if v := vs[tc.i]; v.Start != tc.start || v.End != tc.end {
				t.Errorf("VMA is [%#x, %#x), want [%#x, %#x)", v.Start, v.End, tc.start, tc.end)
			}
			for i, v := range vs {
				if v.node.gap != tc.wantGaps[i] {
					t.Errorf("gap below vs[%d] = %#x, want %#x", i, v.node.gap, tc.wantGaps[i])
				}
			}
		})
	}
}

func TestVMATreeSetBoundsPanics(t *testing.T) {
	tests := []struct {
		name       string
		start, end uint64
	}{
		{"into prev", 0x1f000, 0x30000},
		{"into next", 0x30000, 0x41000},
		{"empty", 0x30000, 0x30000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr, vs := vtBuild(t, 0,
				vtSpan{start: 0x10000, end: 0x20000},
				vtSpan{start: 0x30000, end: 0x38000},
				vtSpan{start: 0x40000, end: 0x50000})
			defer func() {
				if recover() == nil {
					t.Errorf("SetBounds to [%#x, %#x) did not panic", tc.start, tc.end)
				}
				if err := tr.check(); err != nil {
					t.Errorf("tree broken by failed SetBounds: %v", err)
				}
			}()
			tr.SetBounds(vs[1], tc.start, tc.end)
		})
	}
}

func TestVMATreeUnmapped(t *testing.T) {
	const mib = 1 << 20
	tests := []struct {
		name              string
		guard             uint64
		spans             []vtSpan
		low, high, length uint64
		top, bottom       uint64 // answers, when found
		found             bool
	}{
		{
			name: "empty", low: 0x1000, high: 0x10000, length: 0x1000,
			top: 0xf000, bottom: 0x1000, found: true,
		},
		{
			name: "empty exact fit", low: 0x1000, high: 0x10000, length: 0xf000,
			top: 0x1000, bottom: 0x1000, found: true,
		},
		{
			name: "empty too long", low: 0x1000, high: 0x10000, length: 0x10000,
		},
		{
			name: "length above high", low: 0, high: 0x1000, length: 0x2000,
		},
		{
			name: "zero length", low: 0x1000, high: 0x10000, length: 0,
		},
		{
			name: "low above high", low: 0x10000, high: 0x1000, length: 0x1000,
		},
		{
			name: "unaligned low and high", low: 0x1800, high: 0x8800, length: 0x1000,
			top: 0x7000, bottom: 0x2000, found: true,
		},
		{
			name: "unaligned window too small", low: 0x1800, high: 0x3400, length: 0x1000,
			top: 0x2000, bottom: 0x2000, found: true,
		},
		{
			name: "unaligned window no aligned fit", low: 0x1800, high: 0x2c00, length: 0x1000,
		},
		{
			name:  "stack guard gap",
			guard: mib,
			spans: []vtSpan{{start: 0xbffdf000, end: 0xc0000000, down: true}},
			low:   0x1000, high: 0xc0000000, length: 0x1000,
			top: 0xbfede000, bottom: 0x1000, found: true,
		},
		{
			name:  "stack guard gap, VMA just below the guard",
			guard: mib,
			spans: []vtSpan{
				{start: 0xbfe00000, end: 0xbfedf000},
				{start: 0xbffdf000, end: 0xc0000000, down: true},
			},
			low: 0x1000, high: 0xc0000000, length: 0x1000,
			top: 0xbfdff000, bottom: 0x1000, found: true,
		},
		{
			name:  "stack guard gap, VMA inside the guard",
			guard: mib,
			spans: []vtSpan{
				{start: 0xbfe00000, end: 0xbff00000},
				{start: 0xbffdf000, end: 0xc0000000, down: true},
			},
			low: 0xbfd00000, high: 0xc0000000, length: 0x1000,
			top: 0xbfdff000, bottom: 0xbfd00000, found: true,
		},
		{
			name:  "stack below the guard size: no room under it",
			guard: mib,
			spans: []vtSpan{{start: 0x80000, end: 0x90000, down: true}},
			low:   0, high: 0x100000, length: 0x1000,
			top: 0xff000, bottom: 0x90000, found: true,
		},
		{
			name:  "stack below the guard size, high at it",
			guard: mib,
			spans: []vtSpan{{start: 0x80000, end: 0x90000, down: true}},
			low:   0, high: 0x90000, length: 0x1000,
		},
		{
			name:  "guard only applies below a growsdown VMA",
			guard: mib,
			spans: []vtSpan{{start: 0x200000, end: 0x300000}},
			low:   0, high: 0x300000, length: 0x1000,
			top: 0x1ff000, bottom: 0, found: true,
		},
		{
			name: "bottom-up skips a gap too small",
			spans: []vtSpan{
				{start: 0x1000, end: 0x2000},
				{start: 0x4000, end: 0x5000},
				{start: 0x9000, end: 0xa000},
				{start: 0xb000, end: 0x10000},
			},
			low: 0x1000, high: 0x10000, length: 0x3000,
			top: 0x6000, bottom: 0x5000, found: true,
		},
		{
			name: "exact fit between VMAs",
			spans: []vtSpan{
				{start: 0x1000, end: 0x2000},
				{start: 0x4000, end: 0x5000},
				{start: 0x8000, end: 0x10000},
			},
			low: 0x1000, high: 0x10000, length: 0x3000,
			top: 0x5000, bottom: 0x5000, found: true,
		},
		{
			name: "length bigger than any gap",
			spans: []vtSpan{
				{start: 0x1000, end: 0x2000},
				{start: 0x4000, end: 0x5000},
				{start: 0x8000, end: 0x10000},
			},
			low: 0, high: 0x11000, length: 0x4000,
		},
		{
			name:  "gap below the first VMA clipped by low",
			spans: []vtSpan{{start: 0x5000, end: 0x10000}},
			low:   0x3000, high: 0x10000, length: 0x2000,
			top: 0x3000, bottom: 0x3000, found: true,
		},
		{
			name:  "gap below the first VMA clipped by low, too small",
			spans: []vtSpan{{start: 0x5000, end: 0x10000}},
			low:   0x3000, high: 0x10000, length: 0x3000,
		},
		{
			name:  "gap above the last VMA clipped by high",
			spans: []vtSpan{{start: 0x1000, end: 0x4000}},
			low:   0x1000, high: 0x8000, length: 0x2000,
			top: 0x6000, bottom: 0x4000, found: true,
		},
		{
			name:  "gap above the last VMA clipped by high, exact fit",
			spans: []vtSpan{{start: 0x1000, end: 0x4000}},
			low:   0x1000, high: 0x8000, length: 0x4000,
			top: 0x4000, bottom: 0x4000, found: true,
		},
		{
			name:  "gap straddling high",
			spans: []vtSpan{{start: 0x1000, end: 0x2000}, {start: 0x20000, end: 0x30000}},
			low:   0, high: 0x8000, length: 0x2000,
			top: 0x6000, bottom: 0x2000, found: true,
		},
		{
			name:  "gap straddling low",
			spans: []vtSpan{{start: 0x1000, end: 0x2000}, {start: 0x20000, end: 0x30000}},
			low:   0x10000, high: 0x40000, length: 0x2000,
			top: 0x3e000, bottom: 0x10000, found: true,
		},
		{
			name:  "window between two VMAs",
			spans: []vtSpan{{start: 0x1000, end: 0x2000}, {start: 0x20000, end: 0x30000}},
			low:   0x8000, high: 0x9000, length: 0x1000,
			top: 0x8000, bottom: 0x8000, found: true,
		},
		{
			name:  "window inside a VMA",
			spans: []vtSpan{{start: 0x1000, end: 0x2000}, {start: 0x20000, end: 0x30000}},
			low:   0x21000, high: 0x28000, length: 0x1000,
		},
		{
			name:  "VMAs above high and below low",
			spans: []vtSpan{{start: 0x1000, end: 0x8000}, {start: 0x9000, end: 0xa000}, {start: 0x20000, end: 0x30000}},
			low:   0x8000, high: 0x9000, length: 0x1000,
			top: 0x8000, bottom: 0x8000, found: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr, _ := vtBuild(t, tc.guard, tc.spans...)
			a, ok := tr.UnmappedTopDown(tc.low, tc.high, tc.length)
			if ok != tc.found || (ok && a != tc.top) {
				t.Errorf("UnmappedTopDown(%#x, %#x, %#x) = %#x, %v; want %#x, %v",
					tc.low, tc.high, tc.length, a, ok, tc.top, tc.found)
			}
			a, ok = tr.UnmappedBottomUp(tc.low, tc.high, tc.length)
			if ok != tc.found || (ok && a != tc.bottom) {
				t.Errorf("UnmappedBottomUp(%#x, %#x, %#x) = %#x, %v; want %#x, %v",
					tc.low, tc.high, tc.length, a, ok, tc.bottom, tc.found)
			}
		})
	}
}

func TestVMATreeCheckDetects(t *testing.T) {
	tests := []struct {
		name    string
		corrupt func(tr *vmaTree, vs []*VMA)
	}{
		{"gap", func(tr *vmaTree, vs []*VMA) { vs[2].node.gap++ }},
		{"max gap", func(tr *vmaTree, vs []*VMA) { tr.root.maxGap++ }},
		{"next link", func(tr *vmaTree, vs []*VMA) { vs[1].next = vs[3] }},
		{"prev link", func(tr *vmaTree, vs []*VMA) { vs[3].prev = vs[1] }},
		{"len", func(tr *vmaTree, vs []*VMA) { tr.n++ }},
		{"first", func(tr *vmaTree, vs []*VMA) { tr.first = vs[1] }},
		{"last", func(tr *vmaTree, vs []*VMA) { tr.last = vs[2] }},
		{"overlap", func(tr *vmaTree, vs []*VMA) { vs[1].End = vs[2].Start + vtPage }},
		{"heap", func(tr *vmaTree, vs []*VMA) {
			if c := tr.root.left; c != nil {
				c.prio = tr.root.prio + 1
			} else {
				tr.root.right.prio = tr.root.prio + 1
			}
		}},
		{"growsdown flag changed behind the tree's back", func(tr *vmaTree, vs []*VMA) { vs[2].Flags |= VMGrowsDown }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr, vs := vtBuild(t, 0x2000,
				vtSpan{start: 0x1000, end: 0x2000},
				vtSpan{start: 0x4000, end: 0x5000},
				vtSpan{start: 0x8000, end: 0x9000},
				vtSpan{start: 0xa000, end: 0xc000})
			tc.corrupt(tr, vs)
			if err := tr.check(); err == nil {
				t.Errorf("check() found nothing wrong")
			}
		})
	}
}

// vtNaive is the reference model: a sorted slice searched linearly.
type vtNaive struct {
	guard uint64
	vs    []*VMA
}

func (m *vtNaive) insert(v *VMA) {
	i := sort.Search(len(m.vs), func(i int) bool { return m.vs[i].Start > v.Start })
	m.vs = append(m.vs, nil)
	copy(m.vs[i+1:], m.vs[i:])
	m.vs[i] = v
}

func (m *vtNaive) remove(i int) {
	m.vs = append(m.vs[:i], m.vs[i+1:]...)
}

func (m *vtNaive) find(addr uint64) *VMA {
	for _, v := range m.vs {
		if v.End > addr {
			return v
		}
	}
	return nil
}

func (m *vtNaive) lookup(addr uint64) *VMA {
	for _, v := range m.vs {
		if v.Start <= addr && addr < v.End {
			return v
		}
	}
	return nil
}

func (m *vtNaive) findPrev(addr uint64) *VMA {
	var p *VMA
	for _, v := range m.vs {
		if v.End <= addr {
			p = v
		}
	}
	return p
}

// gaps returns the free gaps [lo, hi) in address order, the last one
// ending at high, in signed arithmetic so that empty gaps are plain.
func (m *vtNaive) gaps(high uint64) [][2]int64 {
	var gs [][2]int64
	var floor int64
	for _, v := range m.vs {
		ceil := int64(v.Start)
		if v.Flags&VMGrowsDown != 0 {
			ceil = max(ceil-int64(m.guard), 0)
		}
		gs = append(gs, [2]int64{floor, ceil})
		floor = int64(v.End)
	}
	return append(gs, [2]int64{floor, int64(high)})
}

func (m *vtNaive) unmapped(low, high, length uint64, topDown bool) (uint64, bool) {
	var best int64 = -1
	const pg = int64(vtPage)
	for _, g := range m.gaps(high) {
		lo, hi := max(g[0], int64(low)), min(g[1], int64(high))
		var a int64
		if topDown {
			a = hi - int64(length)
			a -= ((a % pg) + pg) % pg // round down, also for negative a
		} else {
			a = (lo + pg - 1) / pg * pg
		}
		if a < lo || a+int64(length) > hi || length == 0 {
			continue
		}
		if topDown || best < 0 {
			best = a // gaps come in address order
		}
	}
	return uint64(max(best, 0)), best >= 0
}

func TestVMATreeProperty(t *testing.T) {
	for _, guard := range []uint64{vmaTreeDefaultGuard, 0x10 * vtPage, 0x10*vtPage + 0x800} {
		t.Run(fmt.Sprintf("guard=%#x", guard), func(t *testing.T) {
			testVMATreeProperty(t, guard)
		})
	}
}

func testVMATreeProperty(t *testing.T, guard uint64) {
	const (
		lowest  = 0x1000
		highest = 0x10000000
		steps   = 20000
	)
	rng := rand.New(rand.NewSource(1))
	tr := newVMATree(guard)
	m := &vtNaive{guard: guard}
	page := func(lo, hi uint64) uint64 { // a random page address in [lo, hi]
		return lo + uint64(rng.Int63n(int64((hi-lo)/vtPage+1)))*vtPage
	}
	// addr picks query addresses, often next to a VMA boundary.
	addr := func() uint64 {
		if len(m.vs) > 0 && rng.Intn(2) == 0 {
			v := m.vs[rng.Intn(len(m.vs))]
			a := v.Start
			if rng.Intn(2) == 0 {
				a = v.End
			}
			if guard <= a && rng.Intn(4) == 0 {
				a -= guard
			}
			if a > 0 {
				a-- // one below, at or one above the boundary
			}
			return a + uint64(rng.Intn(3))
		}
		return uint64(rng.Int63n(highest + 0x100000))
	}
	var inserts, removes, resizes, found, most int
	for step := range steps {
		target := 100 + (step/2000%5)*700 // size cycles through 100..2900
		op := rng.Intn(10)
		switch {
		case len(m.vs) == 0 || (op < 5 && len(m.vs) < target) || op < 2:
			size := uint64(1+rng.Intn(32)) * vtPage
			if rng.Intn(10) == 0 {
				size = uint64(1+rng.Intn(1024)) * vtPage
			}
			start := page(lowest, highest-vtPage)
			end := min(start+size, highest)
			if next := m.find(start); next != nil && next.Start < end {
				if next.Start <= start {
					continue // start is inside a VMA
				}
				end = next.Start
			}
			v := &VMA{Start: start, End: end}
			if rng.Intn(5) == 0 {
				v.Flags |= VMGrowsDown
			}
			tr.Insert(v)
			m.insert(v)
			inserts++
		case op < 7:
			i := rng.Intn(len(m.vs))
			tr.Remove(m.vs[i])
			m.remove(i)
			removes++
		default:
			i := rng.Intn(len(m.vs))
			v := m.vs[i]
			floor, ceil := uint64(lowest), uint64(highest)
			if i > 0 {
				floor = m.vs[i-1].End
			}
			if i+1 < len(m.vs) {
				ceil = m.vs[i+1].Start
			}
			start, end := v.Start, v.End
			switch rng.Intn(5) {
			case 0: // move the start anywhere in the free space
				start = page(floor, end-vtPage)
			case 1: // move the end anywhere in the free space
				end = page(start+vtPage, ceil)
			case 2: // grow or shrink the start a little
				d := uint64(1+rng.Intn(16)) * vtPage
				if rng.Intn(2) == 0 {
					start = max(floor, start-min(start, d))
				} else {
					start = min(start+d, end-vtPage)
				}
			case 3: // grow or shrink the end a little
				d := uint64(1+rng.Intn(16)) * vtPage
				if rng.Intn(2) == 0 {
					end = min(ceil, end+d)
				} else {
					end = max(end-d, start+vtPage)
				}
			default: // both
				start = page(floor, ceil-vtPage)
				end = page(start+vtPage, ceil)
			}
			tr.SetBounds(v, start, end)
			resizes++
		}
		if err := tr.check(); err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
		if tr.Len() != len(m.vs) {
			t.Fatalf("step %d: Len %d, want %d", step, tr.Len(), len(m.vs))
		}
		most = max(most, tr.Len())

		for range 3 {
			a := addr()
			if got, want := tr.Find(a), m.find(a); got != want {
				t.Fatalf("step %d: Find(%#x) = %v, want %v", step, a, got, want)
			}
			if got, want := tr.Lookup(a), m.lookup(a); got != want {
				t.Fatalf("step %d: Lookup(%#x) = %v, want %v", step, a, got, want)
			}
			if got, want := tr.FindPrev(a), m.findPrev(a); got != want {
				t.Fatalf("step %d: FindPrev(%#x) = %v, want %v", step, a, got, want)
			}
		}
		for range 2 {
			low, high := addr(), addr()
			if rng.Intn(3) == 0 {
				low, high = lowest, highest
			}
			if low > high && rng.Intn(4) != 0 {
				low, high = high, low
			}
			if rng.Intn(2) == 0 { // usually page aligned, as in the kernel
				low = (low + vtPage - 1) &^ (vtPage - 1)
				high &^= vtPage - 1
			}
			length := uint64(1) << rng.Intn(17) * vtPage
			for _, topDown := range []bool{true, false} {
				var got uint64
				var ok bool
				if topDown {
					got, ok = tr.UnmappedTopDown(low, high, length)
				} else {
					got, ok = tr.UnmappedBottomUp(low, high, length)
				}
				want, wantOK := m.unmapped(low, high, length, topDown)
				if got != want || ok != wantOK {
					t.Fatalf("step %d: topDown=%v (%#x, %#x, %#x) = %#x, %v; want %#x, %v",
						step, topDown, low, high, length, got, ok, want, wantOK)
				}
				if ok {
					found++
				}
			}
		}
	}
	t.Logf("%d inserts, %d removes, %d resizes, %d of %d gap searches found; at most %d VMAs, %d at the end",
		inserts, removes, resizes, found, 4*steps, most, tr.Len())
}

// vtBenchVMAs builds a tree of n one-page VMAs, one every stride pages
// from base.
func vtBenchVMAs(n int, base, stride uint64) *vmaTree {
	tr := newVMATree(vmaTreeDefaultGuard)
	for i := range uint64(n) {
		tr.Insert(&VMA{Start: base + i*stride*vtPage, End: base + (i*stride+1)*vtPage})
	}
	return tr
}

func BenchmarkVMATreeInsertRemove(b *testing.B) {
	const n = 60000
	tr := vtBenchVMAs(n, 0x10000000, 4)
	// Slots in the gaps, visited in a fixed pseudo-random order.
	slots := make([]uint64, 4096)
	rng := rand.New(rand.NewSource(1))
	for i := range slots {
		slots[i] = 0x10000000 + (uint64(rng.Intn(n))*4+2)*vtPage
	}
	v := &VMA{}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		v.Start = slots[i%len(slots)]
		v.End = v.Start + vtPage
		tr.Insert(v)
		tr.Remove(v)
	}
	b.StopTimer()
	if err := tr.check(); err != nil || tr.Len() != n {
		b.Fatalf("tree broken: %v, Len %d", err, tr.Len())
	}
}

func BenchmarkVMATreeTopDown(b *testing.B) {
	const n = 60000
	const base = 0x10000000
	// One-page VMAs with one-page gaps, but a 64-page gap before every
	// 1000th VMA, and a stack on top.
	tr := newVMATree(vmaTreeDefaultGuard)
	addr := uint64(base)
	for i := range n {
		if i%1000 == 0 {
			addr += 63 * vtPage
		}
		tr.Insert(&VMA{Start: addr, End: addr + vtPage})
		addr += 2 * vtPage
	}
	top := addr + 0x100000 + 0x1000000
	tr.Insert(&VMA{Start: top, End: top + 0x21000, Flags: VMGrowsDown})
	highs := make([]uint64, 4096)
	rng := rand.New(rand.NewSource(1))
	for i := range highs {
		highs[i] = base + uint64(rng.Int63n(int64(addr-base)))&^(vtPage-1)
	}
	for _, bc := range []struct {
		name   string
		length uint64
		found  bool
	}{
		{"1page", vtPage, true},                 // fits in the gap just below high
		{"32pages", 32 * vtPage, true},          // skips up to 1000 small gaps by their max
		{"128pages-nofit", 128 * vtPage, false}, // no gap below high is big enough
	} {
		b.Run(bc.name, func(b *testing.B) {
			for i := range b.N {
				high := highs[i%len(highs)]
				if _, ok := tr.UnmappedTopDown(base, high, bc.length); ok != bc.found && high > base+0x100000 {
					b.Fatalf("UnmappedTopDown(%#x, %#x, %#x) found %v", uint64(base), high, bc.length, ok)
				}
			}
		})
	}
}
