package slab_test

import (
	"errors"
	"strings"
	"testing"

	"mmsim/kernelmodel/bug"
	"mmsim/kernelmodel/phys"
	"mmsim/kernelmodel/slab"
)

// TestAllocErrorKeepsCPUSlab checks that an allocation that fails with an
// error when it needs a new slab (here a BUG for a GFP bit no flag uses)
// leaves the CPU's full active slab where it was: nothing changes.
func TestAllocErrorKeepsCPUSlab(t *testing.T) {
	m, _ := boot(t, "x86_64 mem=256M cpus=1")
	c := create(t, m.Slab, "fills", 1000, 0, 0, nil)
	for i := 0; i < c.ObjsPerSlab; i++ {
		alloc(t, c, phys.GFPKernel)
	}
	s := c.CPUSlab(0)
	if s == nil || s.InUse != s.Objects {
		t.Fatalf("after %d allocations the CPU's slab is %+v, want a full one", c.ObjsPerSlab, s)
	}
	before := snapshot(m)
	_, ok, err := c.Alloc(phys.GFPKernel|0x80000000, "kmem_cache_alloc")
	if ok {
		t.Fatalf("kmem_cache_alloc with an unknown GFP bit succeeded")
	}
	wantBug(t, err, "kmem_cache_alloc with an unknown GFP bit", "bits no GFP flag uses")
	if got := c.CPUSlab(0); got != s {
		t.Errorf("the failed allocation left CPU 0's active slab %p, want %p", got, s)
	}
	if l, _ := s.Where(); l != slab.ListCPU {
		t.Errorf("the full CPU slab says it is %s after the failed allocation, want cpu", l)
	}
	unchanged(t, m, before, "a failed kmem_cache_alloc")
}

// TestClassicGrowUsesCallerFlags checks that classic SLAB's cache_grow()
// asks the page allocator once with the caller's flags (2.6's
// kmem_getpages() adds no __GFP_NOWARN or __GFP_NORETRY): GFP_ATOMIC fails
// with the page allocator's warning (and no SLUB message), and GFP_KERNEL
// at order 0 is "too small to fail" and reaches the OOM path.
func TestClassicGrowUsesCallerFlags(t *testing.T) {
	m, r := boot(t, "x86 mem=64M slab=slab cpus=1")
	a := m.Slab
	blocks := exhaust(t, m)
	r.take()
	before := snapshot(m)
	p, ok, err := a.Kmalloc(32, phys.GFPAtomic, "kmalloc")
	if p != 0 || ok || err != nil {
		t.Errorf("kmalloc(32, GFP_ATOMIC) with no memory = %#x, %v, %v; want NULL", uint64(p), ok, err)
	}
	w := r.take()
	if len(w) != 1 || !strings.Contains(w[0], "page allocation failure: order:0, mode:0x820(GFP_ATOMIC)") {
		t.Errorf("kmalloc(32, GFP_ATOMIC) warnings:\n%s\nwant only the page allocator's failure", strings.Join(w, "\n"))
	}
	_, _, err = a.Kmalloc(32, phys.GFPKernel, "kmalloc")
	var oom *bug.OOM
	if !errors.As(err, &oom) {
		t.Errorf("kmalloc(32, GFP_KERNEL) with no memory: %v, want a *bug.OOM", err)
	}
	r.take()
	unchanged(t, m, before, "failed kmallocs")
	for _, b := range blocks {
		if err := m.Phys.FreePages(b.PFN, b.Order); err != nil {
			t.Fatal(err)
		}
	}
	kmalloc(t, a, 32, phys.GFPKernel)
	checkAll(t, m)
}

// TestLargeFreedByPageAllocator checks a large kmalloc whose pages a
// caller gave back with __free_pages (the kernel allows it: they are a
// plain compound page): it is no kmalloc object any more, kmemleak does
// not report it, and a block the page allocator hands out there again is
// not taken for it.
func TestLargeFreedByPageAllocator(t *testing.T) {
	m, _ := boot(t, "x86_64 mem=64M cpus=1")
	a := m.Slab
	p := kmalloc(t, a, 9000, phys.GFPKernel)
	o := lookup(t, a, p)
	if err := m.Phys.FreePages(o.PFN, o.LargeOrder); err != nil {
		t.Fatal(err)
	}
	if l := a.Leaks(); len(l) != 0 {
		t.Errorf("Leaks after the pages went back: %+v", l)
	}
	pfn, ok, err := m.Phys.AllocPages(phys.Request{GFP: phys.GFPKernel, Order: o.LargeOrder, Owner: phys.OwnerPages})
	if err != nil || !ok || pfn != o.PFN {
		t.Fatalf("alloc_pages = %#x, %v, %v; want the block at pfn %#x back", uint64(pfn), ok, err, uint64(o.PFN))
	}
	if obj, ok := a.Lookup(p); ok {
		t.Errorf("Lookup of an alloc_pages block that was a large kmalloc: %+v", obj)
	}
	before := snapshot(m)
	wantBug(t, a.Kfree(p, "kfree"), "kfree of a block the page allocator gave out again", "not an address kmalloc returned")
	unchanged(t, m, before, "kfree of a reused block")
	if l := a.Leaks(); len(l) != 0 {
		t.Errorf("Leaks with the block in other hands: %+v", l)
	}
	if err := m.Phys.FreePages(pfn, o.LargeOrder); err != nil {
		t.Fatal(err)
	}
	checkAll(t, m)
}
