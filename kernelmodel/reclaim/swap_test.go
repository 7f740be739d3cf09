package reclaim

import (
	"reflect"
	"strings"
	"testing"

	"mmsim/kernelmodel/arch"
)

// swapPages returns a swap area of n pages (the header slot included).
func swapPages(n int) *Swap { return NewSwap(uint64(n) * arch.PageSize) }

// swapCheck fails the test when the area's invariants do not hold.
func swapCheck(t *testing.T, s *Swap, step string) {
	t.Helper()
	if err := s.Check(); err != nil {
		t.Fatalf("after %s: %v", step, err)
	}
}

// swapAlloc takes a slot and fails the test when there is none.
func swapAlloc(t *testing.T, s *Swap) uint64 {
	t.Helper()
	slot, ok := s.Alloc()
	if !ok {
		t.Fatalf("Alloc failed with %d of %d slots used", s.Used(), s.Total())
	}
	swapCheck(t, s, "alloc")
	return slot
}

// TestSwapSizes: slot 0 is the swap header (mm/swapfile.c never hands it
// out), so an area of n pages has n-1 usable slots; no area (swap=0) or
// one of only the header page is off and takes nothing.
func TestSwapSizes(t *testing.T) {
	for _, tc := range []struct {
		bytes uint64
		total int
		on    bool
	}{
		{0, 0, false},
		{arch.PageSize, 0, false},
		{2 * arch.PageSize, 1, true},
		{16 << 20, 4095, true},
	} {
		s := NewSwap(tc.bytes)
		if s.Total() != tc.total || s.On != tc.on || s.Used() != 0 || s.Free() != tc.total {
			t.Errorf("NewSwap(%d): total %d on %v used %d free %d, want total %d on %v used 0 free %d",
				tc.bytes, s.Total(), s.On, s.Used(), s.Free(), tc.total, tc.on, tc.total)
		}
		swapCheck(t, s, "boot")
		if slot, ok := s.Alloc(); ok != (tc.total > 0) || ok && slot != 1 {
			t.Errorf("NewSwap(%d).Alloc() = %d, %v", tc.bytes, slot, ok)
		}
	}
}

// TestSwapAllocOrder: scan_swap_map_slots() takes slots in order from
// slot 1, continuing from the last one taken (cluster_next) rather than
// reusing the lowest free slot, and wraps around to slot 1 at the end of
// the area; a full area (or one that is off) gives no slot.
func TestSwapAllocOrder(t *testing.T) {
	s := swapPages(8) // slots 1..7
	var got []uint64
	for i := 0; i < 4; i++ {
		got = append(got, swapAlloc(t, s))
	}
	if want := []uint64{1, 2, 3, 4}; !reflect.DeepEqual(got, want) {
		t.Fatalf("first slots %v, want %v", got, want)
	}
	// Slot 2 freed: the search goes on from 5, not back to 2.
	if err := s.Put(2); err != nil {
		t.Fatal(err)
	}
	swapCheck(t, s, "put 2")
	got = nil
	for i := 0; i < 3; i++ {
		got = append(got, swapAlloc(t, s))
	}
	if want := []uint64{5, 6, 7}; !reflect.DeepEqual(got, want) {
		t.Fatalf("next slots %v, want %v", got, want)
	}
	// At the end of the area the search wraps and finds slot 2, skipping
	// slot 1 (in use) and never handing out the header slot 0.
	if slot := swapAlloc(t, s); slot != 2 {
		t.Fatalf("after the wrap Alloc gave %d, want 2", slot)
	}
	if s.Used() != 7 || s.Free() != 0 {
		t.Fatalf("used %d free %d, want 7 and 0", s.Used(), s.Free())
	}
	if slot, ok := s.Alloc(); ok {
		t.Fatalf("a full area gave slot %d", slot)
	}
	swapCheck(t, s, "full")
	if want := []uint64{1, 2, 3, 4, 5, 6, 7}; !reflect.DeepEqual(s.InUse(), want) {
		t.Fatalf("InUse %v, want %v", s.InUse(), want)
	}
	// Freed slots are found again after the wrap, in order from where
	// the last search stopped.
	for _, slot := range []uint64{6, 3} {
		if err := s.Put(slot); err != nil {
			t.Fatal(err)
		}
	}
	if a, b := swapAlloc(t, s), swapAlloc(t, s); a != 3 || b != 6 {
		t.Fatalf("after freeing 6 and 3 Alloc gave %d then %d, want 3 then 6", a, b)
	}
	// swapoff: an area that is off gives nothing, even with room.
	if err := s.Put(4); err != nil {
		t.Fatal(err)
	}
	s.On = false
	if slot, ok := s.Alloc(); ok {
		t.Fatalf("an area that is off gave slot %d", slot)
	}
	s.On = true
	if slot := swapAlloc(t, s); slot != 4 {
		t.Fatalf("after swapon Alloc gave %d, want 4", slot)
	}
}

// TestSwapCounts: swap_duplicate() adds a user of a slot (fork copies a
// swap PTE), swap_free() drops one; the slot and its data are freed with
// the last user. Both refuse a free slot, slot 0 and slots past the end.
func TestSwapCounts(t *testing.T) {
	s := swapPages(4)
	slot := swapAlloc(t, s)
	if s.Count(slot) != 1 {
		t.Fatalf("a new slot has count %d, want 1 (the swap cache's)", s.Count(slot))
	}
	var page [arch.PageSize]byte
	page[0], page[arch.PageSize-1] = 0xaa, 0x55
	s.Write(slot, &page)
	page[0] = 0 // the area keeps a copy, not the caller's page
	for i := 0; i < 2; i++ {
		if err := s.Dup(slot); err != nil {
			t.Fatal(err)
		}
	}
	if s.Count(slot) != 3 || s.Used() != 1 {
		t.Fatalf("after two Dups count %d used %d, want 3 and 1", s.Count(slot), s.Used())
	}
	swapCheck(t, s, "dup")
	for want := 2; want >= 1; want-- {
		if err := s.Put(slot); err != nil {
			t.Fatal(err)
		}
		if s.Count(slot) != want || s.Used() != 1 {
			t.Fatalf("count %d used %d, want %d and 1", s.Count(slot), s.Used(), want)
		}
		if d := s.Read(slot); d == nil || d[0] != 0xaa || d[arch.PageSize-1] != 0x55 {
			t.Fatalf("slot %d with count %d lost its data", slot, want)
		}
	}
	if err := s.Put(slot); err != nil {
		t.Fatal(err)
	}
	swapCheck(t, s, "last put")
	if s.Count(slot) != 0 || s.Used() != 0 || len(s.InUse()) != 0 {
		t.Fatalf("after the last Put count %d used %d in use %v", s.Count(slot), s.Used(), s.InUse())
	}
	if d := s.Read(slot); d != nil {
		t.Fatalf("a freed slot still has data (%#x...)", d[0])
	}
	// The slot taken again starts as a page of zeros, not the old data.
	s.next = slot
	if again := swapAlloc(t, s); again != slot || s.Read(again) != nil {
		t.Fatalf("slot %d reused: data %v", again, s.Read(again) != nil)
	}
	if s.In != 4 || s.Out != 1 { // two reads while in use, one after the free, one of the new slot
		t.Fatalf("In %d Out %d, want 4 and 1", s.In, s.Out)
	}
	for _, bad := range []uint64{0, 2, 4, 1 << 40} {
		if err := s.Dup(bad); err == nil || !strings.Contains(err.Error(), "swap_duplicate") {
			t.Errorf("Dup(%d) = %v, want a swap_duplicate error", bad, err)
		}
		if err := s.Put(bad); err == nil || !strings.Contains(err.Error(), "swap_free") {
			t.Errorf("Put(%d) = %v, want a swap_free error", bad, err)
		}
		if s.Count(bad) != 0 {
			t.Errorf("Count(%d) = %d", bad, s.Count(bad))
		}
	}
	swapCheck(t, s, "bad calls")
}

// TestSwapData: swap_writepage() stores a copy of the page; a page of
// zeros is kept as nothing and reads back as nil.
func TestSwapData(t *testing.T) {
	s := swapPages(4)
	a, b := swapAlloc(t, s), swapAlloc(t, s)
	var page [arch.PageSize]byte
	page[100] = 7
	s.Write(a, &page)
	s.Write(b, nil)
	if d := s.Read(a); d == nil || d[100] != 7 {
		t.Fatalf("slot %d reads %v", a, d)
	}
	if d := s.Read(b); d != nil {
		t.Fatalf("a zero page's slot reads data")
	}
	// Writing a slot again replaces its data (a dirty page written out
	// once more).
	s.Write(a, nil)
	if d := s.Read(a); d != nil {
		t.Fatalf("slot %d kept its old data after a write of zeros", a)
	}
	if s.Out != 3 || s.In != 3 {
		t.Fatalf("Out %d In %d, want 3 and 3", s.Out, s.In)
	}
}

// TestSwapCache: add_to_swap_cache() and delete_from_swap_cache() map a
// slot to the frame holding its data.
func TestSwapCache(t *testing.T) {
	s := swapPages(8)
	a, b := swapAlloc(t, s), swapAlloc(t, s)
	s.AddCache(a, 0x1234)
	s.AddCache(b, 0x1235)
	swapCheck(t, s, "add")
	if pfn, ok := s.Cached(a); !ok || pfn != 0x1234 || s.CacheLen() != 2 {
		t.Fatalf("Cached(%d) = %#x, %v; len %d", a, pfn, ok, s.CacheLen())
	}
	if _, ok := s.Cached(7); ok {
		t.Fatalf("an unused slot is cached")
	}
	s.DelCache(a)
	if _, ok := s.Cached(a); ok || s.CacheLen() != 1 {
		t.Fatalf("slot %d is still cached after DelCache (len %d)", a, s.CacheLen())
	}
	// The cache's count is the caller's to drop: the slot stays in use.
	if s.Count(a) != 1 {
		t.Fatalf("DelCache changed the count to %d", s.Count(a))
	}
	if err := s.Put(a); err != nil {
		t.Fatal(err)
	}
	swapCheck(t, s, "del and put")
	s.DelCache(a) // deleting what is not there does nothing
	if s.CacheLen() != 1 {
		t.Fatalf("len %d", s.CacheLen())
	}
}

// TestSwapCheck: Check catches each kind of corrupted accounting.
func TestSwapCheck(t *testing.T) {
	for _, tc := range []struct {
		name    string
		corrupt func(s *Swap, slot uint64)
		want    string
	}{
		{"used count off", func(s *Swap, _ uint64) { s.used++ }, "slots are in use"},
		{"more used than total", func(s *Swap, _ uint64) {
			s.used = s.Total() + 1
			for i := uint64(1); i < uint64(s.Slots); i++ {
				s.inUse[i] = struct{}{}
				s.count[i] = 1
			}
			s.inUse[0] = struct{}{}
		}, "slots are in use"},
		{"listed slot with count 0", func(s *Swap, slot uint64) { s.count[slot] = 0 }, "listed in use with count 0"},
		{"header slot listed", func(s *Swap, slot uint64) {
			delete(s.inUse, slot)
			s.inUse[0] = struct{}{}
		}, "slot 0 is listed in use"},
		{"cache holds a free slot", func(s *Swap, _ uint64) { s.AddCache(5, 0x99) }, "the swap cache holds free slot 5"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := swapPages(8)
			slot := swapAlloc(t, s)
			tc.corrupt(s, slot)
			err := s.Check()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Check() = %v, want %q", err, tc.want)
			}
		})
	}
}
