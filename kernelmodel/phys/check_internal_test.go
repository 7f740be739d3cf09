package phys

import (
	"errors"
	"testing"

	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/bug"
)

func bootInternal(t *testing.T, mem uint64) *Mem {
	t.Helper()
	l, err := arch.New(arch.Params{Arch: "x86", Paging: "2level", Split: "3G", Highmem: true, Mem: mem})
	if err != nil {
		t.Fatal(err)
	}
	m, err := Boot(l)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func allocInternal(t *testing.T, m *Mem, gfp GFP, order int) PFN {
	t.Helper()
	pfn, ok, err := m.AllocPages(Request{GFP: gfp, Order: order})
	if !ok || err != nil {
		t.Fatalf("AllocPages(%s, %d) = %v, %v", gfp, order, ok, err)
	}
	return pfn
}

// markFree turns an allocated frame into the head of a free block of an
// order and links it, keeping the zone's counters consistent: the kind
// of mistake a broken free path would make.
func markFree(m *Mem, z *Zone, list *Zone, pfn PFN, order int) {
	p := m.page(pfn)
	p.flags = p.flags&^pgAllocHead | PGBuddy
	p.order = uint8(order)
	p.refcount = 0
	m.push(&list.area[order], pfn, false)
	list.free += 1 << order
	z.allocated -= 1 << order
}

// notAsserted marks a corruption one kind of check is not meant to see.
const notAsserted = "-"

func rule(err error) string {
	var inv *bug.Invariant
	if errors.As(err, &inv) {
		return inv.Rule
	}
	if err != nil {
		return "not a *bug.Invariant: " + err.Error()
	}
	return ""
}

// TestCheckCatchesCorruption breaks the allocator's state on purpose and
// expects each check to name the broken rule: Check's incremental pass
// (the zone counters and the blocks changed since the last check) and a
// full pass (CheckFull, or Check once enough changed).
func TestCheckCatchesCorruption(t *testing.T) {
	tests := []struct {
		name string
		// corrupt breaks the state and returns the frame whose block it
		// changed, for the incremental check.
		corrupt   func(t *testing.T, m *Mem) PFN
		wantCheck string // the rule Check reports from its incremental pass
		wantFull  string // the rule a full check reports
	}{
		{
			name: "list tail points at the wrong block",
			corrupt: func(t *testing.T, m *Mem) PFN {
				m.Zones[1].area[0].front.tail = 4096
				return 4097
			},
			wantCheck: "buddy-nr-free", // 4097 has no successor but is not the tail
			wantFull:  "buddy-nr-free", // the walk ends elsewhere than the tail
		},
		{
			name: "nr_free one too high",
			corrupt: func(t *testing.T, m *Mem) PFN {
				m.Zones[1].area[3].nr++
				return 0
			},
			wantCheck: "buddy-free-count", // the counters no longer add up
			wantFull:  "buddy-nr-free",    // the list holds one block fewer
		},
		{
			name: "NR_FREE_PAGES one too high",
			corrupt: func(t *testing.T, m *Mem) PFN {
				m.Zones[1].free++
				return 0
			},
			wantCheck: "buddy-free-count",
			wantFull:  "buddy-free-count",
		},
		{
			name: "allocated count one too high",
			corrupt: func(t *testing.T, m *Mem) PFN {
				m.Zones[1].allocated++
				return 0
			},
			wantCheck: "frame-conservation",
			wantFull:  "frame-conservation",
		},
		{
			name: "PG_buddy cleared on a listed free block",
			corrupt: func(t *testing.T, m *Mem) PFN {
				m.page(4104).flags &^= PGBuddy // the order-3 block split off at boot's 4096
				return 4104
			},
			// The incremental pass skips a frame that no longer heads a
			// block; the full pass walks the lists.
			wantCheck: notAsserted,
			wantFull:  "buddy-page-state",
		},
		{
			name: "PG_buddy set on an allocated block",
			corrupt: func(t *testing.T, m *Mem) PFN {
				m.page(4096).flags |= PGBuddy
				return 4096
			},
			// It claims to be free but is on no list; the full pass meets
			// it first as the free-looking buddy of the free frame 4097.
			wantCheck: "buddy-nr-free",
			wantFull:  "buddy-unmerged",
		},
		{
			name: "two free buddies left unmerged",
			corrupt: func(t *testing.T, m *Mem) PFN {
				a := allocInternal(t, m, GFPKernel, 0)
				b := allocInternal(t, m, GFPKernel, 0)
				if a != 4097 || b != 4098 {
					t.Fatalf("allocations at %d and %d, want 4097 and 4098", a, b)
				}
				c := allocInternal(t, m, GFPKernel, 0) // 4099, buddy of 4098
				z := m.Zones[1]
				markFree(m, z, z, b, 0)
				markFree(m, z, z, c, 0)
				return c
			},
			wantCheck: "buddy-unmerged",
			wantFull:  "buddy-unmerged",
		},
		{
			name: "free block not aligned to its order",
			corrupt: func(t *testing.T, m *Mem) PFN {
				z := m.Zones[1]
				a := allocInternal(t, m, GFPKernel, 2) // 4100..4103
				if a != 4100 {
					t.Fatalf("order-2 allocation at %d, want 4100", a)
				}
				// Freed as 4100 (o0), 4101 (o1, misaligned), 4103 (o0).
				markFree(m, z, z, 4100, 0)
				markFree(m, z, z, 4101, 1)
				markFree(m, z, z, 4103, 0)
				return 4101
			},
			wantCheck: "buddy-alignment",
			wantFull:  "buddy-alignment",
		},
		{
			name: "free block's struct page names the wrong zone",
			corrupt: func(t *testing.T, m *Mem) PFN {
				m.page(4104).zone = 0
				return 4104
			},
			wantCheck: "buddy-zone",       // it lies outside the zone it names
			wantFull:  "buddy-page-state", // the Normal list holds a DMA page
		},
		{
			name: "Normal frame on DMA's free list",
			corrupt: func(t *testing.T, m *Mem) PFN {
				// A DMA allocation first, so that DMA's counters can stay
				// consistent when it gains a free frame.
				allocInternal(t, m, GFPKernel|GfpDMA, 0)
				markFree(m, m.Zones[1], m.Zones[0], 4096, 0)
				m.Zones[0].allocated--
				return 4096
			},
			wantCheck: "frame-conservation", // Normal lost a frame from its counts
			wantFull:  "buddy-zone",         // DMA's list holds a frame outside DMA
		},
		{
			name: "free block inside an allocated block",
			corrupt: func(t *testing.T, m *Mem) PFN {
				z := m.Zones[1]
				a := allocInternal(t, m, GFPKernel, 1) // 4098..4099
				if a != 4098 {
					t.Fatalf("order-1 allocation at %d, want 4098", a)
				}
				markFree(m, z, z, 4099, 0)
				return 4099
			},
			wantCheck: "frame-overlap",
			wantFull:  "frame-overlap",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, full := range []bool{false, true} {
				m := bootInternal(t, 64<<20)
				if a := allocInternal(t, m, GFPKernel, 0); a != 4096 {
					t.Fatalf("first allocation at %d, want 4096", a)
				}
				if err := m.CheckFull(); err != nil {
					t.Fatalf("CheckFull before the corruption: %v", err)
				}
				if err := m.Check(); err != nil {
					t.Fatalf("Check before the corruption: %v", err)
				}
				gen := m.gen
				pfn := tt.corrupt(t, m)
				if m.gen == gen {
					// Nothing the allocator did: Check trusts its cache...
					if err := m.Check(); err != nil {
						t.Errorf("Check with nothing changed = %v, want the cached pass", err)
					}
					// ...until something changes.
					m.gen++
				}
				m.touch(pfn)
				want := tt.wantCheck
				var err error
				if full {
					want = tt.wantFull
					err = m.CheckFull()
				} else {
					err = m.Check()
				}
				if got := rule(err); want != notAsserted && got != want {
					t.Errorf("full=%v: rule %q (%v), want %q", full, got, err, want)
				}
				if full && want != notAsserted {
					// Check makes a full pass once the changes since the
					// last one outnumber the blocks it went through.
					m.gen++
					m.sinceFull = m.fullCost
					if got := rule(m.Check()); got != tt.wantFull {
						t.Errorf("Check forced to a full pass: rule %q, want %q", got, tt.wantFull)
					}
				}
			}
		})
	}
}

// TestFreeListOrder builds an order-10 list with all three parts —
// blocks linked in front, the untouched run, blocks linked behind — and
// checks the order FreeBlocks and the allocator see, and that taking a
// block out of the middle of the run keeps the rest in order.
func TestFreeListOrder(t *testing.T) {
	m := bootInternal(t, 1<<30)
	z := m.Zones[1] // Normal: run 4096..229376
	a := allocInternal(t, m, GFPKernel, 10)
	b := allocInternal(t, m, GFPKernel, 10)
	if a != 4096 || b != 5120 {
		t.Fatalf("order-10 allocations at %d, %d", a, b)
	}
	// a goes back to the tail (as boot's FPI_TO_TAIL frees), b to the head.
	p := m.page(a)
	p.flags &^= pgAllocHead
	p.refcount, p.owner = 0, OwnerNone
	z.allocated -= 1024
	m.gen++
	m.freeOne(z, a, 10, true)
	if err := m.FreePages(b, 10); err != nil {
		t.Fatal(err)
	}
	type item struct {
		pfn PFN
		n   uint64
	}
	list := func() []item {
		var out []item
		m.FreeBlocks(z, 10, func(pfn PFN, n uint64) { out = append(out, item{pfn, n}) })
		return out
	}
	want := []item{{5120, 1}, {6144, 218}, {4096, 1}}
	if got := list(); !equalItems(got, want) {
		t.Fatalf("list %v, want %v", got, want)
	}
	if err := m.CheckFull(); err != nil {
		t.Fatal(err)
	}
	// Out of the middle of the run: the run keeps 6144..10240, the
	// blocks after 10240 move, in order, ahead of the tail blocks.
	m.remove(&z.area[10], 10240, 10)
	var back []item
	for q := PFN(11264); q < 229376; q += 1024 {
		back = append(back, item{q, 1})
	}
	want = append([]item{{5120, 1}, {6144, 4}}, append(back, item{4096, 1})...)
	if got := list(); !equalItems(got, want) {
		t.Fatalf("after removing 10240: list %v..., want %v...", got[:4], want[:4])
	}
	if z.NrFree(10) != 219 {
		t.Errorf("nr_free[10] = %d, want 219", z.NrFree(10))
	}
	// Out of the end of the run: it shrinks.
	m.remove(&z.area[10], 9216, 10)
	if got := list(); got[1] != (item{6144, 3}) || len(got) != len(want) {
		t.Errorf("after removing 9216: list starts %v", got[:3])
	}
	// Hand both blocks to the allocator's books as allocated, then free
	// them the ordinary way.
	for _, pfn := range []PFN{10240, 9216} {
		p := m.page(pfn)
		p.flags, p.order, p.refcount, p.owner = pgAllocHead, 10, 1, OwnerPages
		z.free -= 1024
		z.allocated += 1024
		m.touch(pfn)
	}
	m.gen++
	if err := m.CheckFull(); err != nil {
		t.Fatalf("CheckFull: %v", err)
	}
	// Allocation takes the front, then the run, then what follows it.
	for _, want := range []PFN{5120, 6144, 7168, 8192, 11264, 12288} {
		if got := allocInternal(t, m, GFPKernel, 10); got != want {
			t.Errorf("allocation at %d, want %d", got, want)
		}
	}
	for _, pfn := range []PFN{10240, 9216} {
		if err := m.FreePages(pfn, 10); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.CheckFull(); err != nil {
		t.Fatalf("CheckFull: %v", err)
	}
}

func equalItems[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
