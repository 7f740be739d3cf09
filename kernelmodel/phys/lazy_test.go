package phys_test

import (
	"runtime"
	"testing"

	"github.com/google/go-cmp/cmp"

	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/phys"
)

// TestLazyBoot1T: a terabyte boots with struct pages for one section (the
// one holding the order-8 block at pfn 768); the untouched order-10
// blocks are runs that need none.
func TestLazyBoot1T(t *testing.T) {
	l, err := arch.New(x86_64(1 * tib))
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	m, err := phys.Boot(l)
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	// 2^28 frames: a struct page each would take gigabytes; the model
	// needs a pointer per 16 MiB section (512 KiB) and one section.
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 16<<20 {
		t.Errorf("Boot of 1T allocated %d bytes, want well under 16 MiB", grew)
	}
	if n := m.Sections(); n != 1 {
		t.Errorf("Sections() = %d after boot, want 1", n)
	}
	normal := zone(t, m, "Normal")
	if normal.StartPFN != 1<<20 || normal.EndPFN != 1<<28 || normal.Managed != 267386880 || normal.NrFree(10) != 261120 {
		t.Errorf("Normal %d..%d managed %d nr_free[10] %d, want 1048576..268435456, 267386880, 261120",
			normal.StartPFN, normal.EndPFN, normal.Managed, normal.NrFree(10))
	}
	if got := freeList(m, normal, 10); !cmp.Equal(got, []listed{{1 << 20, 261120}}) {
		t.Errorf("Normal order-10 list %v, want one run", got)
	}
	wantUses := []phys.Use{{Start: 0, End: 256, Owner: phys.OwnerFirmware}, {Start: 256, End: 768, Owner: phys.OwnerKernel}, {Start: 768, End: 1 << 28, Owner: phys.OwnerNone}}
	if got := m.Uses(); !cmp.Equal(got, wantUses) {
		t.Errorf("Uses() = %v, want %v", got, wantUses)
	}
	mustCheckFull(t, m)

	// Looking at the last frame creates nothing.
	if p, err := m.Page(1<<28 - 1); err != nil || p.Block != (phys.Block{PFN: 1<<28 - 1024, Order: 10}) || !p.Free {
		t.Errorf("Page(last) = %+v, %v", p, err)
	}
	if n := m.Sections(); n != 1 {
		t.Errorf("Sections() = %d after Page(), want 1", n)
	}

	// An order-0 allocation splits the run's first block (section 256).
	if pfn := allocIn(t, m, phys.GFPKernel, 0, "Normal"); pfn != 1<<20 {
		t.Errorf("first allocation at %d, want 1048576", pfn)
	}
	if n := m.Sections(); n != 2 {
		t.Errorf("Sections() = %d, want 2", n)
	}
	// 100 order-10 blocks from the run: 1049600 .. 1150976, sections
	// 256..281.
	var blocks []phys.PFN
	for i := 0; i < 100; i++ {
		pfn := allocIn(t, m, phys.GFPKernel, 10, "Normal")
		if want := phys.PFN(1049600 + 1024*i); pfn != want {
			t.Fatalf("order-10 allocation %d at %d, want %d", i, pfn, want)
		}
		blocks = append(blocks, pfn)
	}
	if n := m.Sections(); n != 27 {
		t.Errorf("Sections() = %d, want 27", n)
	}
	mustCheck(t, m)
	mustCheckFull(t, m)
	for _, pfn := range blocks {
		free(t, m, pfn, 10)
	}
	free(t, m, 1<<20, 0)
	mustCheckFull(t, m)
	if normal.NrFree(10) != 261120 || normal.Free() != normal.Managed {
		t.Errorf("after freeing: nr_free[10] %d free %d", normal.NrFree(10), normal.Free())
	}
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 32<<20 {
		t.Errorf("boot and 101 allocations on 1T allocated %d bytes, want well under 32 MiB", grew)
	}
}
