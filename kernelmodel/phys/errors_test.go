package phys_test

import (
	"strings"
	"testing"

	"mmsim/kernelmodel/phys"
)

// TestFreePagesErrors: each mistake __free_pages() can make is a
// *bug.Error, and the allocator is exactly as it was before.
func TestFreePagesErrors(t *testing.T) {
	m := boot(t, x86(1*gib))
	r := record(m)
	// a: order 2 at 4096 (splitting 4096's order-10 block); b: order 0
	// at 4100 (splitting 4100's order-2 block); c: order 0 at 4101.
	a := allocIn(t, m, phys.GFPKernel, 2, "Normal")
	b := allocIn(t, m, phys.GFPKernel, 0, "Normal")
	c := allocIn(t, m, phys.GFPKernel, 0, "Normal")
	if a != 4096 || b != 4100 || c != 4101 {
		t.Fatalf("allocations at %d, %d, %d; want 4096, 4100, 4101", a, b, c)
	}
	// x and x+1, freed in turn, merge back into HighMem's first
	// order-10 block.
	x := allocIn(t, m, phys.GFPHighUser, 0, "HighMem")
	y := allocIn(t, m, phys.GFPHighUser, 0, "HighMem")
	if x != 229376 || y != 229377 {
		t.Fatalf("HighMem allocations at %d, %d; want 229376, 229377", x, y)
	}
	free(t, m, c, 0)
	free(t, m, x, 0)
	free(t, m, y, 0)
	mustCheckFull(t, m)

	tests := []struct {
		name  string
		pfn   phys.PFN
		order int
		want  []string
	}{
		{"double free", c, 0, []string{"VM_BUG_ON_PAGE(page_ref_count(page) == 0): pfn 0x1005 is already free"}},
		{"double free of a block merged into its buddy", y, 0, []string{"pfn 0x38001 is already free"}},
		{"double free of the merged block's head", x, 0, []string{"pfn 0x38000 is already free"}},
		{"order smaller than allocated", a, 1, []string{"Bad page state in process testtask  pfn:01000", "freed with order 1, but the block at pfn 0x1000 was allocated with order 2"}},
		{"order larger than allocated", a, 3, []string{"freed with order 3, but the block at pfn 0x1000 was allocated with order 2"}},
		{"order 0 for an order-2 block", a, 0, []string{"freed with order 0"}},
		{"firmware-reserved pfn 0", 0, 0, []string{"Bad page state in process testtask  pfn:00000", "PAGE_FLAGS_CHECK_AT_FREE flag(s) set (reserved: firmware frame)"}},
		{"firmware-reserved pfn 255", 255, 0, []string{"pfn:000ff", "reserved: firmware frame"}},
		{"kernel image first frame", 256, 0, []string{"pfn:00100", "reserved: kernel frame"}},
		{"kernel image last frame, order 2", 767, 2, []string{"pfn:002ff", "reserved: kernel frame"}},
		{"never allocated: head of an untouched order-10 block", 8192, 0, []string{"pfn 0x2000 is already free"}},
		{"never allocated: inside an untouched order-10 block", 8193, 0, []string{"pfn 0x2001 is already free"}},
		{"never allocated: inside a split free block", 4109, 0, []string{"pfn 0x100d is already free"}},
		{"never allocated: HighMem", 262143, 10, []string{"pfn 0x3ffff is already free"}},
		{"tail frame of an allocated block", a + 1, 0, []string{"pfn 0x1001 is not the first frame of a block: it is frame 1 of the order-2 block at pfn 0x1000"}},
		{"last frame of an allocated block", a + 3, 2, []string{"it is frame 3 of the order-2 block at pfn 0x1000"}},
		{"pfn max_pfn", 262144, 0, []string{"__free_pages: pfn 0x40000 is beyond the end of memory (max_pfn 0x40000)"}},
		{"pfn far beyond memory", 1 << 40, 0, []string{"beyond the end of memory"}},
		{"negative order", a, -1, []string{"__free_pages: order -1 is outside 0..10"}},
		{"order 11", a, 11, []string{"__free_pages: order 11 is outside 0..10"}},
		{"huge order", a, 1 << 20, []string{"is outside 0..10"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := snapshot(m)
			err := m.FreePages(tt.pfn, tt.order)
			if err == nil {
				t.Fatalf("FreePages(%#x, %d) succeeded", uint64(tt.pfn), tt.order)
			}
			if !isBug(err) {
				t.Errorf("FreePages(%#x, %d) = %T %v, want a *bug.Error", uint64(tt.pfn), tt.order, err, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("FreePages(%#x, %d) error %q does not contain %q", uint64(tt.pfn), tt.order, err, w)
				}
			}
			if d := diffState(before, snapshot(m)); d != "" {
				t.Errorf("FreePages(%#x, %d) changed the allocator (-before +after):\n%s", uint64(tt.pfn), tt.order, d)
			}
			if err := m.CheckFull(); err != nil {
				t.Errorf("CheckFull after the failed free: %v", err)
			}
			if len(r.warns) != 0 {
				t.Errorf("warnings %q", r.take())
			}
		})
	}
	// The blocks are still allocated and free correctly afterwards.
	free(t, m, a, 2)
	free(t, m, b, 0)
	mustCheckFull(t, m)
	for _, z := range m.Zones {
		if z.Allocated() != 0 || z.Free() != z.Managed {
			t.Errorf("zone %s: %d allocated, %d of %d free after freeing everything", z.Name, z.Allocated(), z.Free(), z.Managed)
		}
	}
}

// TestAllocPagesBadArguments: an order outside 0..10 is NULL with a
// warning (WARN_ON_ONCE_GFP); bits no GFP flag uses are a BUG.
func TestAllocPagesBadArguments(t *testing.T) {
	m := boot(t, x86(1*gib))
	r := record(m)
	tests := []struct {
		name string
		req  phys.Request
		bug  bool   // a *bug.Error rather than NULL
		warn string // for NULL: the warning, "" for none
	}{
		{"order 11", phys.Request{GFP: phys.GFPKernel, Order: 11}, false, "__alloc_pages: order 11 is above MAX_PAGE_ORDER (10)"},
		{"order -1", phys.Request{GFP: phys.GFPKernel, Order: -1}, false, "order -1"},
		{"order 64", phys.Request{GFP: phys.GFPAtomic, Order: 64}, false, "order 64"},
		{"order 11 with __GFP_NOWARN", phys.Request{GFP: phys.GFPKernel | phys.GfpNoWarn, Order: 11}, false, ""},
		{"the unused 0x200 bit", phys.Request{GFP: phys.GFPKernel | 0x200}, true, ""},
		{"bit 23", phys.Request{GFP: 0x800000}, true, ""},
		{"bad zone combination", phys.Request{GFP: phys.GFPKernel | phys.GfpDMA | phys.GfpHighmem}, true, ""},
	}
	fails := m.Stats.AllocFail
	for _, tt := range tests {
		before := snapshot(m)
		pfn, ok, err := m.AllocPages(tt.req)
		if ok {
			t.Errorf("%s: AllocPages = pfn %d, want no block", tt.name, pfn)
			continue
		}
		if tt.bug {
			if !isBug(err) {
				t.Errorf("%s: error %v, want a *bug.Error", tt.name, err)
			}
		} else {
			fails++
			if err != nil {
				t.Errorf("%s: error %v, want NULL", tt.name, err)
			}
			if m.Stats.AllocFail != fails {
				t.Errorf("%s: AllocFail %d, want %d", tt.name, m.Stats.AllocFail, fails)
			}
		}
		warns := r.take()
		if (tt.warn == "") != (len(warns) == 0) || (tt.warn != "" && (len(warns) != 1 || !strings.Contains(warns[0], tt.warn))) {
			t.Errorf("%s: warnings %q, want %q", tt.name, warns, tt.warn)
		}
		after := snapshot(m)
		before.Stats.AllocFail, after.Stats.AllocFail = 0, 0
		if d := diffState(before, after); d != "" {
			t.Errorf("%s: the allocator changed:\n%s", tt.name, d)
		}
	}
	if _, ok, err := m.AllocPages(phys.Request{GFP: phys.GFPKernel | 0x200}); ok || err == nil || !strings.Contains(err.Error(), "gfp mask 0xec0 has bits no GFP flag uses (0x200)") {
		t.Errorf("unknown bit: %v, %v", ok, err)
	}
	mustCheckFull(t, m)
}
