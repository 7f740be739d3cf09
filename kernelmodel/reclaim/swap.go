package reclaim

import (
	"fmt"
	"slices"

	"mmsim/kernelmodel/arch"
)

// Swap is one swap area (a swap_info_struct): its slots with their use
// counts (swap_map), the swap cache that maps a slot to the page holding
// its data while both exist, and the data written out. Slot 0 holds the
// swap header and is never used, as in mm/swapfile.c.
type Swap struct {
	// Slots is the size of the area in pages, header included.
	Slots int
	// On reports swapon: an area that is off takes no new entries.
	On bool
	// count is swap_map: the PTEs (and swap-cache references) using each
	// slot; 0 is free.
	count []uint16
	// cache is the swap cache: slot → the frame holding its data.
	cache map[uint64]uint64
	// data holds what was written to each slot (nil for a page of
	// zeros).
	data map[uint64]*[arch.PageSize]byte
	used int
	// inUse holds the slots in use, so that checks and views cost what
	// is used, not the size of the area.
	inUse map[uint64]struct{}
	// next is where the search for a free slot starts (scan_swap_map's
	// cluster_next): slots are taken in order and wrap around.
	next uint64
	// Stats: pages written out and read in.
	Out, In uint64
}

// NewSwap returns an area of size bytes, on. size 0 is no swap.
func NewSwap(size uint64) *Swap {
	n := int(size >> arch.PageShift)
	return &Swap{Slots: n, On: n > 1, count: make([]uint16, n), cache: map[uint64]uint64{}, data: map[uint64]*[arch.PageSize]byte{}, inUse: map[uint64]struct{}{}, next: 1}
}

// Total is the number of usable slots (all but the header).
func (s *Swap) Total() int {
	if s.Slots <= 1 {
		return 0
	}
	return s.Slots - 1
}

// Used is the number of slots in use.
func (s *Swap) Used() int { return s.used }

// Free is the number of free usable slots.
func (s *Swap) Free() int { return s.Total() - s.used }

// Alloc models get_swap_page(): a free slot, searched from where the last
// one was taken, with count 1 for the swap cache's reference. ok is false
// when the area is full or off.
func (s *Swap) Alloc() (slot uint64, ok bool) {
	if !s.On || s.used >= s.Total() {
		return 0, false
	}
	for i := 0; i < s.Slots; i++ {
		x := s.next
		s.next++
		if s.next >= uint64(s.Slots) {
			s.next = 1
		}
		if x != 0 && s.count[x] == 0 {
			s.count[x] = 1
			s.used++
			s.inUse[x] = struct{}{}
			return x, true
		}
	}
	return 0, false
}

// Count is a slot's use count.
func (s *Swap) Count(slot uint64) int {
	if slot >= uint64(len(s.count)) {
		return 0
	}
	return int(s.count[slot])
}

// Dup is swap_duplicate(): one more PTE uses the slot (fork).
func (s *Swap) Dup(slot uint64) error {
	if slot == 0 || slot >= uint64(len(s.count)) || s.count[slot] == 0 {
		return fmt.Errorf("swap_duplicate: slot %d is not in use", slot)
	}
	s.count[slot]++
	return nil
}

// Put is swap_free(): a user of the slot is gone; the slot is free when
// the last one is, and its data with it.
func (s *Swap) Put(slot uint64) error {
	if slot == 0 || slot >= uint64(len(s.count)) || s.count[slot] == 0 {
		return fmt.Errorf("swap_free: slot %d is not in use", slot)
	}
	s.count[slot]--
	if s.count[slot] == 0 {
		s.used--
		delete(s.data, slot)
		delete(s.inUse, slot)
	}
	return nil
}

// Cached returns the frame the swap cache holds for a slot.
func (s *Swap) Cached(slot uint64) (uint64, bool) {
	pfn, ok := s.cache[slot]
	return pfn, ok
}

// AddCache puts a frame in the swap cache for a slot
// (add_to_swap_cache()); the cache's use of the slot is one of its
// counts.
func (s *Swap) AddCache(slot, pfn uint64) { s.cache[slot] = pfn }

// DelCache takes a slot's frame out of the swap cache
// (delete_from_swap_cache()); the caller drops the slot count the cache
// held.
func (s *Swap) DelCache(slot uint64) { delete(s.cache, slot) }

// CacheLen is the number of pages in the swap cache.
func (s *Swap) CacheLen() int { return len(s.cache) }

// Write stores a page's data in its slot (swap_writepage()).
func (s *Swap) Write(slot uint64, b *[arch.PageSize]byte) {
	s.Out++
	if b == nil {
		delete(s.data, slot)
		return
	}
	c := *b
	s.data[slot] = &c
}

// Read returns a slot's data (swap_read_folio()); nil is a page of
// zeros.
func (s *Swap) Read(slot uint64) *[arch.PageSize]byte {
	s.In++
	return s.data[slot]
}

// Check verifies swap-accounting: the used count matches the slots in
// use, free + used = total, and every swap-cache slot is in use.
func (s *Swap) Check() error {
	if s.used != len(s.inUse) || s.used > s.Total() {
		return fmt.Errorf("%d slots are in use, the area counts %d of %d", len(s.inUse), s.used, s.Total())
	}
	for slot := range s.inUse {
		if slot == 0 || s.count[slot] == 0 {
			return fmt.Errorf("slot %d is listed in use with count %d", slot, s.count[slot])
		}
	}
	for slot := range s.cache {
		if s.count[slot] == 0 {
			return fmt.Errorf("the swap cache holds free slot %d", slot)
		}
	}
	return nil
}

// InUse lists the slots in use, lowest first.
func (s *Swap) InUse() []uint64 {
	out := make([]uint64, 0, len(s.inUse))
	for slot := range s.inUse {
		out = append(out, slot)
	}
	slices.Sort(out)
	return out
}
