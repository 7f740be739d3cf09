// Package tlb models the x86 TLB: one per CPU, fully associative with LRU
// replacement, filled by page-table walks on misses, emptied by invlpg,
// CR3 loads and full flushes, and kept coherent across CPUs by shootdown
// IPIs (arch/x86/mm/tlb.c).
package tlb

import (
	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/pgtable"
	"mmsim/kernelmodel/phys"
)

// Entry is one cached translation: a page of Size bytes at VA mapping the
// frame at PA, with the leaf entry's permission bits.
type Entry struct {
	VA    arch.VirtAddr
	PA    phys.PhysAddr
	Shift uint
	Flags pgtable.Entry
}

// Size is the bytes the entry covers.
func (e Entry) Size() uint64 { return 1 << e.Shift }

// Global reports whether the entry survives CR3 loads.
func (e Entry) Global() bool { return e.Flags&pgtable.Global != 0 }

// Stats are one CPU's TLB counters: what the hardware did (hits, misses,
// evictions, invalidations), and the kernel's CONFIG_DEBUG_TLBFLUSH vmstat
// events, which the kernel counts in its flush functions, not per
// invalidation (arch/x86/mm/tlb.c).
type Stats struct {
	Hits, Misses, Evictions uint64
	// Invlpg counts single-page invalidations and FullFlushes whole-TLB
	// flushes (a CR3 load's included); CR3Loads counts address-space
	// switches.
	Invlpg, FullFlushes, CR3Loads uint64
	// LocalFlushAll and LocalFlushOne (nr_tlb_local_flush_all/_one) count
	// what flush_tlb_func() did on the CPU that asked for a user flush;
	// RemoteFlush (nr_tlb_remote_flush) the flushes this CPU sent to others
	// (flush_tlb_all() and flush_tlb_multi()); RemoteFlushReceived
	// (nr_tlb_remote_flush_received) the flush requests it ran for another
	// CPU or for on_each_cpu(do_flush_tlb_all).
	LocalFlushAll, LocalFlushOne, RemoteFlush, RemoteFlushReceived uint64
}

// TLB is one CPU's TLB.
type TLB struct {
	CPU   int
	Stats Stats
	size  int
	slots []slot
	index map[uint64]int32
	// head is the most recently used slot, tail the least; -1 for none.
	head, tail int32
	n          int
	// perShift counts the entries of each page size, so that a lookup
	// skips the sizes the TLB holds none of.
	perShift [64]int32
}

type slot struct {
	e          Entry
	prev, next int32
}

// New returns an empty TLB of size entries for a CPU.
func New(cpu, size int) *TLB {
	return &TLB{CPU: cpu, size: size, slots: make([]slot, size), index: make(map[uint64]int32, size), head: -1, tail: -1}
}

// Size is the number of entries the TLB holds at most.
func (t *TLB) Size() int { return t.size }

// Len is the number of valid entries.
func (t *TLB) Len() int { return t.n }

func key(va arch.VirtAddr, shift uint) uint64 { return uint64(va)>>shift<<6 | uint64(shift) }

// lookup finds the entry covering va with one of the page shifts, and
// makes it the most recently used.
func (t *TLB) lookup(va arch.VirtAddr, shifts []uint) (*Entry, bool) {
	for _, s := range shifts {
		if t.perShift[s] == 0 {
			continue
		}
		if i, ok := t.index[key(va, s)]; ok {
			t.touch(i)
			return &t.slots[i].e, true
		}
	}
	return nil, false
}

// Peek finds the entry covering va without changing the LRU order.
func (t *TLB) Peek(va arch.VirtAddr, shifts []uint) (Entry, bool) {
	for _, s := range shifts {
		if t.perShift[s] == 0 {
			continue
		}
		if i, ok := t.index[key(va, s)]; ok {
			return t.slots[i].e, true
		}
	}
	return Entry{}, false
}

func (t *TLB) unlink(i int32) {
	s := &t.slots[i]
	if s.prev >= 0 {
		t.slots[s.prev].next = s.next
	} else {
		t.head = s.next
	}
	if s.next >= 0 {
		t.slots[s.next].prev = s.prev
	} else {
		t.tail = s.prev
	}
}

func (t *TLB) pushFront(i int32) {
	s := &t.slots[i]
	s.prev, s.next = -1, t.head
	if t.head >= 0 {
		t.slots[t.head].prev = i
	}
	t.head = i
	if t.tail < 0 {
		t.tail = i
	}
}

func (t *TLB) touch(i int32) {
	if t.head == i {
		return
	}
	t.unlink(i)
	t.pushFront(i)
}

// Insert caches a translation, evicting the least recently used entry
// when the TLB is full.
func (t *TLB) Insert(e Entry) {
	k := key(e.VA, e.Shift)
	if i, ok := t.index[k]; ok {
		t.slots[i].e = e
		t.touch(i)
		return
	}
	var i int32
	if t.n < t.size {
		i = int32(t.n)
		t.n++
	} else {
		i = t.tail
		t.unlink(i)
		old := t.slots[i].e
		delete(t.index, key(old.VA, old.Shift))
		t.perShift[old.Shift]--
		t.Stats.Evictions++
	}
	t.slots[i].e = e
	t.perShift[e.Shift]++
	t.index[k] = i
	t.pushFront(i)
}

// remove drops slot i, moving the last slot into its place so that the
// valid slots stay at the front.
func (t *TLB) remove(i int32) {
	t.unlink(i)
	e := t.slots[i].e
	delete(t.index, key(e.VA, e.Shift))
	t.perShift[e.Shift]--
	last := int32(t.n - 1)
	if i != last {
		t.slots[i] = t.slots[last]
		s := &t.slots[i]
		if s.prev >= 0 {
			t.slots[s.prev].next = i
		} else {
			t.head = i
		}
		if s.next >= 0 {
			t.slots[s.next].prev = i
		} else {
			t.tail = i
		}
		t.index[key(s.e.VA, s.e.Shift)] = i
	}
	t.n--
}

// FlushOne is invlpg: every entry covering va goes.
func (t *TLB) FlushOne(va arch.VirtAddr, shifts []uint) {
	t.Stats.Invlpg++
	t.drop(va, shifts)
}

// drop removes the entries covering va: what the CPU does itself when an
// access through an entry faults.
func (t *TLB) drop(va arch.VirtAddr, shifts []uint) {
	for _, s := range shifts {
		if t.perShift[s] == 0 {
			continue
		}
		if i, ok := t.index[key(va, s)]; ok {
			t.remove(i)
		}
	}
}

// FlushAll empties the TLB; with keepGlobal the global entries stay, as
// on a CR3 load without PCID.
func (t *TLB) FlushAll(keepGlobal bool) {
	t.Stats.FullFlushes++
	if !keepGlobal {
		clear(t.index)
		t.perShift = [64]int32{}
		t.n, t.head, t.tail = 0, -1, -1
		return
	}
	for i := int32(t.n - 1); i >= 0; i-- {
		if !t.slots[i].e.Global() {
			t.remove(i)
		}
	}
}

// Entries lists the valid entries, most recently used first.
func (t *TLB) Entries() []Entry {
	out := make([]Entry, 0, t.n)
	for i := t.head; i >= 0; i = t.slots[i].next {
		out = append(out, t.slots[i].e)
	}
	return out
}
