package phys_test

import (
	"strings"
	"testing"

	"mmsim/kernelmodel/phys"
)

// TestFreeSlabPage: a block marked PG_slab belongs to the slab layer,
// which clears the mark before it gives the pages back. __free_pages on
// it is "Bad page state" (PG_slab is in PAGE_FLAGS_CHECK_AT_FREE), and
// nothing changes.
func TestFreeSlabPage(t *testing.T) {
	m := boot(t, x86(1*gib))
	record(m)
	for _, order := range []int{0, 1} {
		pfn := alloc(t, m, phys.GFPKernel|phys.GfpComp, order)
		if err := m.SetPageFlags(pfn, phys.PGSlab, 0, phys.OwnerSlab, "kmalloc-8"); err != nil {
			t.Fatal(err)
		}
		before := snapshot(m)
		err := m.FreePages(pfn, order)
		if !isBug(err) || !strings.Contains(err.Error(), "Bad page state") || !strings.Contains(err.Error(), "slab") {
			t.Errorf("FreePages of an order-%d slab block = %v, want Bad page state naming the slab", order, err)
		}
		if d := diffState(before, snapshot(m)); d != "" {
			t.Errorf("FreePages of a slab block changed the allocator (-before +after):\n%s", d)
		}
		mustCheckFull(t, m)
		// Once the slab layer has cleared the mark, the block frees.
		if err := m.SetPageFlags(pfn, 0, phys.PGSlab|phys.PGHead, phys.OwnerNone, ""); err != nil {
			t.Fatal(err)
		}
		free(t, m, pfn, order)
		mustCheckFull(t, m)
	}
}
