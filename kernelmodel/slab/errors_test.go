package slab_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/phys"
)

// TestBadFrees checks the mistakes that are a kernel BUG: each fails and
// leaves every cache and every free list as it was.
func TestBadFrees(t *testing.T) {
	for _, line := range []string{"x86_64 mem=256M cpus=2", "x86 mem=1G cpus=1"} {
		t.Run(line, func(t *testing.T) {
			m, r := boot(t, line)
			a := m.Slab
			small := kmalloc(t, a, 64, phys.GFPKernel)
			freed := kmalloc(t, a, 64, phys.GFPKernel)
			kfree(t, a, freed)
			odd := kmalloc(t, a, 100, phys.GFPKernel) // kmalloc-128
			big := kmalloc(t, a, 9000, phys.GFPKernel)
			bigFreed := kmalloc(t, a, 20000, phys.GFPKernel)
			kfree(t, a, bigFreed)
			pfn, ok, err := m.Phys.AllocPages(phys.Request{GFP: phys.GFPKernel, Order: 0, Owner: phys.OwnerPages})
			if err != nil || !ok {
				t.Fatal(err)
			}
			page := m.Layout.Virt(uint64(pfn.Addr()))
			c := create(t, a, "cache", 64, 0, 0, nil)
			obj := alloc(t, c, phys.GFPKernel)
			cFreed := alloc(t, c, phys.GFPKernel)
			free(t, c, cFreed)
			checkAll(t, m)
			before := snapshot(m)

			tests := []struct {
				what      string
				do        func() error
				fragments []string
			}{
				{"double kfree", func() error { return a.Kfree(freed, "kfree") }, []string{"Object already free", "kmalloc-64"}},
				{"kfree of the middle of an object", func() error { return a.Kfree(small+8, "kfree") }, []string{"Invalid object pointer", "kmalloc-64"}},
				{"kfree one byte in", func() error { return a.Kfree(odd+1, "kfree") }, []string{"Invalid object pointer", "kmalloc-128"}},
				{"kfree of the last byte", func() error { return a.Kfree(odd+127, "kfree") }, []string{"Invalid object pointer"}},
				{"kfree of a page from alloc_pages", func() error { return a.Kfree(page, "kfree") }, []string{"not an address kmalloc returned"}},
				{"kfree inside a page from alloc_pages", func() error { return a.Kfree(page+64, "kfree") }, []string{"not an address kmalloc returned"}},
				{"kfree of a user address", func() error { return a.Kfree(0x400000, "kfree") }, []string{"not an address kmalloc returned"}},
				{"kfree of the middle of a large kmalloc", func() error { return a.Kfree(big+4096, "kfree") }, []string{"large kmalloc", "not its start"}},
				{"kfree one byte into a large kmalloc", func() error { return a.Kfree(big+1, "kfree") }, []string{"large kmalloc"}},
				{"double kfree of a large kmalloc", func() error { return a.Kfree(bigFreed, "kfree") }, []string{"not an address kmalloc returned"}},
				{"kmem_cache_free twice", func() error { return c.Free(cFreed, "kmem_cache_free") }, []string{"Object already free", "cache"}},
				{"kmem_cache_free of the middle", func() error { return c.Free(obj+4, "kmem_cache_free") }, []string{"Invalid object pointer"}},
				{"kmem_cache_free of no slab object", func() error { return c.Free(page, "kmem_cache_free") }, []string{"in no slab"}},
				{"kmem_cache_free of a large kmalloc", func() error { return c.Free(big, "kmem_cache_free") }, []string{"in no slab"}},
				{"ksize of a freed object", func() error { _, err := a.Ksize(freed, "ksize"); return err }, []string{"use after free"}},
				{"ksize of no object", func() error { _, err := a.Ksize(page, "ksize"); return err }, []string{"not an address kmalloc returned"}},
				{"krealloc of a freed object", func() error { _, _, err := a.Krealloc(freed, 1000, phys.GFPKernel, "krealloc"); return err }, []string{"use after free"}},
				{"krealloc to 0 of a freed object", func() error { _, _, err := a.Krealloc(freed, 0, phys.GFPKernel, "krealloc"); return err }, []string{"Object already free"}},
			}
			for _, tt := range tests {
				wantBug(t, tt.do(), tt.what, tt.fragments...)
				unchanged(t, m, before, tt.what)
				if w := r.take(); len(w) != 0 {
					t.Errorf("%s warned: %q", tt.what, w)
				}
			}
			// The live objects are still live and can be freed.
			for _, p := range []arch.VirtAddr{small, odd, big} {
				kfree(t, a, p)
			}
			free(t, c, obj)
			checkAll(t, m)
		})
	}
}

// TestWrongCache checks kmem_cache_free() with another cache's object: the
// kernel (with hardened freelists) warns and frees it into the cache it
// came from.
func TestWrongCache(t *testing.T) {
	m, r := boot(t, "x86_64 mem=64M cpus=1")
	a := m.Slab
	c1 := create(t, a, "one", 64, 0, 0, nil)
	c2 := create(t, a, "two", 64, 0, 0, nil)
	p := alloc(t, c1, phys.GFPKernel)
	q := alloc(t, c2, phys.GFPKernel)
	before1, before2 := c1.Counts(), c2.Counts()
	if err := c2.Free(p, "kmem_cache_free"); err != nil {
		t.Fatalf("kmem_cache_free(two, object of one): %v", err)
	}
	if d := cmp.Diff([]string{"kmem_cache_free: Wrong slab cache. two but object is from one"}, r.take()); d != "" {
		t.Errorf("warnings (-want +got):\n%s", d)
	}
	after1, after2 := c1.Counts(), c2.Counts()
	if after1.InUse != before1.InUse-1 || after2 != before2 {
		t.Errorf("one: %d -> %d in use, two: %+v -> %+v; want the object freed into one", before1.InUse, after1.InUse, before2, after2)
	}
	if o := lookup(t, a, p); !o.Free || o.Cache != c1 {
		t.Errorf("the object is %+v, want free in one", o)
	}
	// kmalloc objects too.
	k := kmalloc(t, a, 64, phys.GFPKernel)
	if err := c1.Free(k, "kmem_cache_free"); err != nil {
		t.Fatal(err)
	}
	if w := r.take(); len(w) != 1 || w[0] != "kmem_cache_free: Wrong slab cache. one but object is from kmalloc-64" {
		t.Errorf("warnings %q", w)
	}
	if o := lookup(t, a, k); !o.Free || o.Cache.Name != "kmalloc-64" {
		t.Errorf("the kmalloc object is %+v, want free in kmalloc-64", o)
	}
	// And the right cache still frees without a word.
	free(t, c2, q)
	if w := r.take(); len(w) != 0 {
		t.Errorf("warnings %q", w)
	}
	// A second free through the wrong cache is a double free: warning,
	// then the BUG, and nothing changes.
	before := snapshot(m)
	wantBug(t, c2.Free(p, "kmem_cache_free"), "double free through the wrong cache", "Object already free", "one")
	unchanged(t, m, before, "double free through the wrong cache")
}
