package reclaim

import (
	"reflect"
	"strings"
	"testing"
)

// lruCheck fails the test when the lists' invariants do not hold.
func lruCheck(t *testing.T, l *LRU, step string) {
	t.Helper()
	if err := l.Check(); err != nil {
		t.Fatalf("after %s: %v", step, err)
	}
}

// lruLens returns the length of every list.
func lruLens(l *LRU) [NrLists]int {
	var n [NrLists]int
	for list := List(0); list < NrLists; list++ {
		n[list] = l.Len(list)
	}
	return n
}

// TestLRUNames: the lists are include/linux/mmzone.h's enum lru_list in
// its order, named as /proc/vmstat's nr_* counters.
func TestLRUNames(t *testing.T) {
	want := []string{"inactive_anon", "active_anon", "inactive_file", "active_file", "unevictable"}
	for i, name := range want {
		if got := List(i).String(); got != name {
			t.Errorf("List(%d) = %q, want %q", i, got, name)
		}
		if active := List(i) == ActiveAnon || List(i) == ActiveFile; List(i).Active() != active {
			t.Errorf("%s.Active() = %v", name, !active)
		}
	}
	if NoList.String() != "none" || List(NrLists).String() != "none" {
		t.Errorf("out-of-range lists are named %q and %q", NoList, List(NrLists))
	}
}

// TestLRUOrder: lruvec_add_folio() puts a page at the head of its list;
// reclaim takes from the tail, so the tail is the oldest page.
func TestLRUOrder(t *testing.T) {
	l := NewLRU()
	lruCheck(t, l, "new")
	if _, ok := l.Tail(InactiveAnon); ok || l.Total() != 0 || l.Pages(InactiveAnon) != nil {
		t.Fatalf("a new LRU is not empty")
	}
	for pfn := uint64(10); pfn < 15; pfn++ {
		l.Add(pfn, InactiveAnon)
		lruCheck(t, l, "add")
	}
	l.Add(20, InactiveFile)
	l.Add(21, InactiveFile)
	lruCheck(t, l, "add file")
	if got, want := l.Pages(InactiveAnon), []uint64{14, 13, 12, 11, 10}; !reflect.DeepEqual(got, want) {
		t.Fatalf("inactive_anon head first %v, want %v", got, want)
	}
	if pfn, ok := l.Tail(InactiveAnon); !ok || pfn != 10 {
		t.Fatalf("tail %d, want the oldest page 10", pfn)
	}
	if pfn, _ := l.Tail(InactiveFile); pfn != 20 {
		t.Fatalf("inactive_file tail %d, want 20", pfn)
	}
	if got, want := lruLens(l), [NrLists]int{5, 0, 2, 0, 0}; got != want || l.Total() != 7 {
		t.Fatalf("lengths %v total %d, want %v and 7", got, l.Total(), want)
	}
	if l.Which(12) != InactiveAnon || l.Which(21) != InactiveFile || l.Which(99) != NoList {
		t.Fatalf("Which: %s %s %s", l.Which(12), l.Which(21), l.Which(99))
	}
}

// TestLRUMoveDel: Move takes a page off its list and puts it at the head
// of another, or of the same one (a rotation); Del takes it off; Add of a
// page already on a list moves it.
func TestLRUMoveDel(t *testing.T) {
	l := NewLRU()
	for pfn := uint64(1); pfn <= 4; pfn++ {
		l.Add(pfn, InactiveAnon)
	}
	// Activate the tail page (folio_activate()).
	l.Move(1, ActiveAnon)
	lruCheck(t, l, "activate")
	if l.Which(1) != ActiveAnon || !reflect.DeepEqual(l.Pages(InactiveAnon), []uint64{4, 3, 2}) {
		t.Fatalf("after activating 1: %s, inactive %v", l.Which(1), l.Pages(InactiveAnon))
	}
	// Rotate the tail to the head of the same list (a second trip).
	l.Move(2, InactiveAnon)
	lruCheck(t, l, "rotate")
	if got := l.Pages(InactiveAnon); !reflect.DeepEqual(got, []uint64{2, 4, 3}) {
		t.Fatalf("after rotating 2: %v", got)
	}
	// Move a page from the middle.
	l.Move(4, Unevictable)
	lruCheck(t, l, "mlock")
	if got := l.Pages(InactiveAnon); !reflect.DeepEqual(got, []uint64{2, 3}) {
		t.Fatalf("after moving 4 from the middle: %v", got)
	}
	// Add of a listed page is a move, never a second entry.
	l.Add(3, ActiveAnon)
	lruCheck(t, l, "re-add")
	if got := l.Pages(ActiveAnon); !reflect.DeepEqual(got, []uint64{3, 1}) || l.Total() != 4 {
		t.Fatalf("active_anon %v total %d", got, l.Total())
	}
	// Move of an unknown page adds it.
	l.Move(9, InactiveFile)
	lruCheck(t, l, "move new")
	if l.Which(9) != InactiveFile || l.Total() != 5 {
		t.Fatalf("Move of an unlisted page: %s, total %d", l.Which(9), l.Total())
	}
	if got, want := lruLens(l), [NrLists]int{1, 2, 1, 0, 1}; got != want {
		t.Fatalf("lengths %v, want %v", got, want)
	}
	// Del from the head, the middle and the tail; Del of an unknown page
	// does nothing.
	l.Add(5, ActiveAnon)
	l.Add(6, ActiveAnon) // active_anon: 6 5 3 1
	for _, pfn := range []uint64{6, 3, 1, 77} {
		l.Del(pfn)
		lruCheck(t, l, "del")
	}
	if got := l.Pages(ActiveAnon); !reflect.DeepEqual(got, []uint64{5}) || l.Which(3) != NoList {
		t.Fatalf("active_anon after the deletes %v", got)
	}
	for _, pfn := range []uint64{2, 4, 5, 9} {
		l.Del(pfn)
	}
	lruCheck(t, l, "empty")
	if l.Total() != 0 || lruLens(l) != [NrLists]int{} {
		t.Fatalf("total %d lengths %v after deleting everything", l.Total(), lruLens(l))
	}
	for list := List(0); list < NrLists; list++ {
		if _, ok := l.Tail(list); ok {
			t.Fatalf("%s has a tail when empty", list)
		}
	}
}

// TestLRUReferenced: PG_referenced lives with the page on its list, stays
// across moves and is gone with the page.
func TestLRUReferenced(t *testing.T) {
	l := NewLRU()
	l.Add(1, InactiveFile)
	if l.Referenced(1) {
		t.Fatalf("a new page is PG_referenced")
	}
	l.SetReferenced(1, true)
	l.Move(1, ActiveFile)
	if !l.Referenced(1) {
		t.Fatalf("a move cleared PG_referenced")
	}
	l.SetReferenced(1, false)
	if l.Referenced(1) {
		t.Fatalf("SetReferenced(false) left it set")
	}
	l.SetReferenced(1, true)
	l.Del(1)
	l.SetReferenced(2, true) // not listed: ignored
	if l.Referenced(1) || l.Referenced(2) {
		t.Fatalf("an unlisted page is PG_referenced")
	}
	l.Add(1, InactiveFile)
	if l.Referenced(1) {
		t.Fatalf("a page added again kept PG_referenced")
	}
}

// TestLRUCheck: Check catches broken links, wrong lengths and pages the
// lists and the index disagree on.
func TestLRUCheck(t *testing.T) {
	for _, tc := range []struct {
		name    string
		corrupt func(l *LRU)
		want    string
	}{
		{"length", func(l *LRU) { l.lens[InactiveAnon]++ }, "lru list inactive_anon has 3 pages, counts 4"},
		{"tail", func(l *LRU) { l.tails[InactiveAnon] = l.nodes.Ptr(2) }, "lru list inactive_anon has 3 pages"},
		{"back link", func(l *LRU) { l.nodes.Ptr(2).prev = nil }, "lru list inactive_anon is broken at pfn 0x2"},
		{"wrong list field", func(l *LRU) { l.nodes.Ptr(2).list = ActiveAnon }, "lru list inactive_anon is broken at pfn 0x2"},
		{"index points elsewhere", func(l *LRU) { l.nodes.Set(2, lruNode{pfn: 2, list: InactiveAnon}) }, "lru list inactive_anon is broken at pfn 0x2"},
		{"known but on no list", func(l *LRU) { l.nodes.Set(9, lruNode{pfn: 9, list: InactiveFile}) }, "3 pages are on the lists, 4 are known"},
		{"unlinked from the head", func(l *LRU) {
			l.heads[InactiveAnon] = l.nodes.Ptr(2)
			l.nodes.Ptr(2).prev = nil
			l.lens[InactiveAnon] = 2
		}, "2 pages are on the lists, 3 are known"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := NewLRU()
			for pfn := uint64(1); pfn <= 3; pfn++ {
				l.Add(pfn, InactiveAnon)
			}
			lruCheck(t, l, "setup")
			tc.corrupt(l)
			err := l.Check()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Check() = %v, want %q", err, tc.want)
			}
		})
	}
}

// TestInactiveIsLow is mm/vmscan.c:inactive_is_low(): the inactive list
// is low when inactive * inactive_ratio < active, inactive_ratio being
// int_sqrt(10 * gb) for gb GiB of pages of the type (both lists), or 1
// below 1 GiB.
func TestInactiveIsLow(t *testing.T) {
	const gib = 1 << (30 - 12) // pages in a GiB
	for _, tc := range []struct {
		inactive, active int
		low              bool
	}{
		{0, 0, false},
		{0, 1, true},
		{1, 1, false},
		{2, 8, true},
		{8, 8, false},
		{100, 101, true},
		// 1 GiB in all: ratio int_sqrt(10) = 3.
		{gib / 4, gib - gib/4, false},      // 3 * 65536 = 196608 >= 196608
		{gib/4 - 1, gib - gib/4 + 1, true}, // 3 * 65535 < 196609
		{90000, 250000, false},             // 340000 pages: gb 1, 270000 >= 250000; ratio 1 would say low
	} {
		r := &Reclaimer{LRU: NewLRU()}
		pfn := uint64(0)
		for i := 0; i < tc.inactive; i++ {
			r.LRU.Add(pfn, InactiveFile)
			pfn++
		}
		for i := 0; i < tc.active; i++ {
			r.LRU.Add(pfn, ActiveFile)
			pfn++
		}
		if got := r.inactiveIsLow(InactiveFile, ActiveFile); got != tc.low {
			t.Errorf("inactive %d active %d: inactiveIsLow = %v, want %v", tc.inactive, tc.active, got, tc.low)
		}
		// The anon lists are counted on their own.
		if r.inactiveIsLow(InactiveAnon, ActiveAnon) {
			t.Errorf("inactive %d active %d (file): the empty anon lists are low", tc.inactive, tc.active)
		}
	}
}
