package slab_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"mmsim/kernelmodel"
	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/bug"
	"mmsim/kernelmodel/phys"
	"mmsim/kernelmodel/slab"
)

// TestKmallocIndex checks the size classes: kmalloc_size_index for sizes up
// to 192, fls(size - 1) above.
func TestKmallocIndex(t *testing.T) {
	tests := []struct {
		size  int
		cache string // "" for no cache
		ksize int
	}{
		{1, "kmalloc-8", 8}, {7, "kmalloc-8", 8}, {8, "kmalloc-8", 8},
		{9, "kmalloc-16", 16}, {16, "kmalloc-16", 16},
		{17, "kmalloc-32", 32}, {24, "kmalloc-32", 32}, {32, "kmalloc-32", 32},
		{33, "kmalloc-64", 64}, {64, "kmalloc-64", 64},
		{65, "kmalloc-96", 96}, {72, "kmalloc-96", 96}, {96, "kmalloc-96", 96},
		{97, "kmalloc-128", 128}, {100, "kmalloc-128", 128}, {128, "kmalloc-128", 128},
		{129, "kmalloc-192", 192}, {160, "kmalloc-192", 192}, {192, "kmalloc-192", 192},
		{193, "kmalloc-256", 256}, {256, "kmalloc-256", 256},
		{257, "kmalloc-512", 512}, {512, "kmalloc-512", 512},
		{513, "kmalloc-1k", 1024}, {1024, "kmalloc-1k", 1024},
		{1025, "kmalloc-2k", 2048}, {2048, "kmalloc-2k", 2048},
		{2049, "kmalloc-4k", 4096}, {4096, "kmalloc-4k", 4096},
		{4097, "kmalloc-8k", 8192}, {8192, "kmalloc-8k", 8192},
		{8193, "", 16384}, {16384, "", 16384}, {16385, "", 32768},
	}
	for _, line := range []string{"x86_64 mem=256M cpus=2", "x86 mem=256M cpus=1"} {
		m, _ := boot(t, line)
		for _, tt := range tests {
			c := m.Slab.KmallocCache(tt.size, phys.GFPKernel)
			switch {
			case tt.cache == "" && c != nil:
				t.Errorf("%s: KmallocCache(%d) = %s, want none", line, tt.size, c.Name)
			case tt.cache != "" && (c == nil || c.Name != tt.cache):
				t.Errorf("%s: KmallocCache(%d) = %v, want %s", line, tt.size, c, tt.cache)
			}
			p := kmalloc(t, m.Slab, tt.size, phys.GFPKernel)
			o := lookup(t, m.Slab, p)
			switch {
			case tt.cache == "" && !o.Large:
				t.Errorf("%s: kmalloc(%d) came from %v, want a large kmalloc", line, tt.size, o.Cache)
			case tt.cache != "" && (o.Cache == nil || o.Cache.Name != tt.cache || o.Free || o.Offset != 0):
				t.Errorf("%s: kmalloc(%d) = %+v, want the start of an allocated %s object", line, tt.size, o, tt.cache)
			}
			if n, err := m.Slab.Ksize(p, "ksize"); n != tt.ksize || err != nil {
				t.Errorf("%s: ksize(kmalloc(%d)) = %d, %v; want %d", line, tt.size, n, err, tt.ksize)
			}
			if n := m.Slab.SizeRoundup(tt.size); n != tt.ksize {
				t.Errorf("%s: kmalloc_size_roundup(%d) = %d, want %d", line, tt.size, n, tt.ksize)
			}
		}
		checkAll(t, m)
	}
	m, _ := boot(t, "x86_64 cpus=1")
	for _, n := range []int{0, -1, 8193, 1 << 20} {
		if c := m.Slab.KmallocCache(n, phys.GFPKernel); c != nil {
			t.Errorf("KmallocCache(%d) = %s, want nil", n, c.Name)
		}
	}
}

func TestSizeRoundup(t *testing.T) {
	m, _ := boot(t, "x86_64 cpus=1")
	// The bucket up to 8K, PAGE_SIZE << get_order(n) up to 4M, n itself
	// for 0 and above.
	tests := map[int]int{0: 0, 1: 8, 24: 32, 96: 96, 100: 128, 129: 192, 193: 256, 8192: 8192,
		8193: 16384, 9000: 16384, 16385: 32768, 1 << 20: 1 << 20, 4 << 20: 4 << 20, 4<<20 + 1: 4<<20 + 1}
	for n, want := range tests {
		if got := m.Slab.SizeRoundup(n); got != want {
			t.Errorf("kmalloc_size_roundup(%d) = %d, want %d", n, got, want)
		}
	}
}

// TestKmallocZero checks ZERO_SIZE_PTR and that kfree and ksize ignore it
// and NULL.
func TestKmallocZero(t *testing.T) {
	m, _ := boot(t, "x86_64 mem=64M cpus=1")
	before := snapshot(m)
	p, ok, err := m.Slab.Kmalloc(0, phys.GFPKernel, "test")
	if p != slab.ZeroSizePtr || slab.ZeroSizePtr != 16 || !ok || err != nil {
		t.Errorf("kmalloc(0) = %#x, %v, %v; want ZERO_SIZE_PTR (0x10)", uint64(p), ok, err)
	}
	for _, q := range []arch.VirtAddr{0, slab.ZeroSizePtr, 8} {
		if err := m.Slab.Kfree(q, "test"); err != nil {
			t.Errorf("kfree(%#x): %v, want a no-op", uint64(q), err)
		}
		if n, err := m.Slab.Ksize(q, "test"); n != 0 || err != nil {
			t.Errorf("ksize(%#x) = %d, %v; want 0", uint64(q), n, err)
		}
	}
	unchanged(t, m, before, "kmalloc(0) and kfree(NULL/ZERO_SIZE_PTR)")
}

// TestKmallocType checks kmalloc_type(): __GFP_DMA first, then
// __GFP_RECLAIMABLE, then __GFP_ACCOUNT.
func TestKmallocType(t *testing.T) {
	m, r := boot(t, "x86_64 mem=256M cpus=2")
	tests := []struct {
		gfp  phys.GFP
		want string
		zone string // the slab's zone, "" for any
	}{
		{phys.GFPKernel, "kmalloc-128", ""},
		{phys.GFPAtomic, "kmalloc-128", ""},
		{phys.GFPNowait, "kmalloc-128", ""},
		{phys.GFPKernel | phys.GfpZero, "kmalloc-128", ""},
		{phys.GFPDMA, "dma-kmalloc-128", "DMA"},
		{phys.GFPKernel | phys.GfpDMA, "dma-kmalloc-128", "DMA"},
		{phys.GFPAtomic | phys.GfpDMA, "dma-kmalloc-128", "DMA"},
		{phys.GFPKernel | phys.GfpReclaimable, "kmalloc-rcl-128", ""},
		{phys.GFPKernelAccount, "kmalloc-cg-128", ""},
		{phys.GfpDMA | phys.GfpReclaimable | phys.GfpAccount, "dma-kmalloc-128", "DMA"},
		{phys.GFPKernel | phys.GfpReclaimable | phys.GfpAccount, "kmalloc-rcl-128", ""},
	}
	for _, tt := range tests {
		if c := m.Slab.KmallocCache(100, tt.gfp); c == nil || c.Name != tt.want {
			t.Errorf("KmallocCache(100, %s) = %v, want %s", tt.gfp, c, tt.want)
		}
		p := kmalloc(t, m.Slab, 100, tt.gfp)
		o := lookup(t, m.Slab, p)
		if o.Cache.Name != tt.want {
			t.Errorf("kmalloc(100, %s) came from %s, want %s", tt.gfp, o.Cache.Name, tt.want)
		}
		if z := m.Phys.PageZone(o.PFN).Name; tt.zone != "" && z != tt.zone {
			t.Errorf("kmalloc(100, %s): slab in zone %s, want %s", tt.gfp, z, tt.zone)
		}
	}
	// Large DMA requests come from ZONE_DMA too.
	p := kmalloc(t, m.Slab, 9000, phys.GFPDMA)
	if o := lookup(t, m.Slab, p); !o.Large || m.Phys.PageZone(o.PFN).Name != "DMA" {
		t.Errorf("kmalloc(9000, GFP_DMA) = %+v in zone %s, want a large kmalloc in DMA", o, m.Phys.PageZone(o.PFN).Name)
	}
	if w := r.take(); len(w) != 0 {
		t.Errorf("warnings: %q", w)
	}
	checkAll(t, m)
}

// TestKmallocFixFlags checks kmalloc_fix_flags(): __GFP_HIGHMEM and
// __GFP_DMA32 are dropped with a warning. new_slab() and the large kmalloc
// path call it, when they need pages, so an allocation the CPU's slab
// serves does not warn.
func TestKmallocFixFlags(t *testing.T) {
	m, r := boot(t, "x86 mem=1G cpus=1")
	tests := []struct {
		size int
		gfp  phys.GFP
		warn string
	}{
		{100, phys.GFPKernel | phys.GfpHighmem, "Unexpected gfp: 0x2 (__GFP_HIGHMEM). Fixing up to gfp: 0xcc0 (GFP_KERNEL). Fix your code!"},
		{200, phys.GFPKernel | phys.GfpDMA32, "Unexpected gfp: 0x4 (GFP_DMA32). Fixing up to gfp: 0xcc0 (GFP_KERNEL). Fix your code!"},
		{300, phys.GFPHighUser, "Unexpected gfp: 0x2 (__GFP_HIGHMEM). Fixing up to gfp: 0x100cc0 (GFP_USER). Fix your code!"},
		{9000, phys.GFPKernel | phys.GfpHighmem, "Unexpected gfp: 0x2 (__GFP_HIGHMEM). Fixing up to gfp: 0xcc0 (GFP_KERNEL). Fix your code!"},
	}
	for _, tt := range tests {
		p := kmalloc(t, m.Slab, tt.size, tt.gfp)
		if d := cmp.Diff([]string{tt.warn}, r.take()); d != "" {
			t.Errorf("kmalloc(%d, %s) warnings (-want +got):\n%s", tt.size, tt.gfp, d)
		}
		o := lookup(t, m.Slab, p)
		if z := m.Phys.PageZone(o.PFN); z.IsHighMem() || !m.Layout.IsLowmem(p) {
			t.Errorf("kmalloc(%d, %s) = %#x in zone %s, want lowmem", tt.size, tt.gfp, uint64(p), z.Name)
		}
		if o.Cache != nil && o.Cache.Name != m.Slab.KmallocCache(tt.size, phys.GFPKernel).Name {
			t.Errorf("kmalloc(%d, %s) came from %s, want the normal cache", tt.size, tt.gfp, o.Cache.Name)
		}
	}
	// The CPU's slab of kmalloc-128 has room: no new slab, no warning.
	kmalloc(t, m.Slab, 100, phys.GFPKernel|phys.GfpHighmem)
	if w := r.take(); len(w) != 0 {
		t.Errorf("kmalloc from the CPU's slab warned: %q", w)
	}
	// A large kmalloc always takes pages: it warns every time.
	kmalloc(t, m.Slab, 9000, phys.GFPKernel|phys.GfpHighmem)
	if w := r.take(); len(w) != 1 {
		t.Errorf("second large kmalloc with __GFP_HIGHMEM: warnings %q, want one", w)
	}
	checkAll(t, m)
}

// TestKmallocLarge checks kmalloc above 8K: get_order(size) pages as a
// compound page, not PG_slab; kfree gives them back.
func TestKmallocLarge(t *testing.T) {
	m, r := boot(t, "x86_64 mem=256M cpus=2")
	tests := []struct{ size, order int }{{8193, 2}, {9000, 2}, {16384, 2}, {16385, 3}, {100000, 5}, {1 << 20, 8}, {4 << 20, 10}}
	for _, tt := range tests {
		before := snapshot(m)
		free0 := m.Phys.NrFreePages()
		p := kmalloc(t, m.Slab, tt.size, phys.GFPKernel)
		if got := free0 - m.Phys.NrFreePages(); got != 1<<tt.order {
			t.Errorf("kmalloc(%d) took %d pages, want %d", tt.size, got, 1<<tt.order)
		}
		o := lookup(t, m.Slab, p)
		if !o.Large || o.LargeOrder != tt.order || o.Offset != 0 || o.Size != arch.PageSize<<tt.order || o.Cache != nil {
			t.Errorf("Lookup(kmalloc(%d)) = %+v, want a large kmalloc of order %d", tt.size, o, tt.order)
		}
		if uint64(p-m.Layout.PageOffset)%uint64(arch.PageSize<<tt.order) != 0 || p != m.Layout.Virt(uint64(o.PFN.Addr())) {
			t.Errorf("kmalloc(%d) = %#x, not the naturally aligned start of pfn %#x", tt.size, uint64(p), uint64(o.PFN))
		}
		info, err := m.Phys.Page(o.PFN)
		if err != nil || info.Flags&phys.PGSlab != 0 || (tt.order > 0 && info.Flags&phys.PGHead == 0) || info.Block.Order != tt.order {
			t.Errorf("page of kmalloc(%d): %+v, %v; want an order-%d compound page without PG_slab", tt.size, info, err, tt.order)
		}
		if n, err := m.Slab.Ksize(p, "ksize"); n != arch.PageSize<<tt.order || err != nil {
			t.Errorf("ksize(kmalloc(%d)) = %d, %v; want %d", tt.size, n, err, arch.PageSize<<tt.order)
		}
		// Inside the block, Lookup reports the offset.
		if o2 := lookup(t, m.Slab, p+100); !o2.Large || o2.Offset != 100 || o2.PFN != o.PFN {
			t.Errorf("Lookup(p+100) = %+v, want offset 100 of the same block", o2)
		}
		checkAll(t, m)
		kfree(t, m.Slab, p)
		unchanged(t, m, before, fmt.Sprintf("kmalloc(%d) then kfree", tt.size))
		if _, ok := m.Slab.Lookup(p); ok {
			t.Errorf("Lookup of a freed large kmalloc still finds it")
		}
	}
	if w := r.take(); len(w) != 0 {
		t.Errorf("warnings: %q", w)
	}
}

// TestKmallocTooLarge checks that requests above KMALLOC_MAX_SIZE (4M)
// return NULL with the page allocator's warning, and change nothing.
func TestKmallocTooLarge(t *testing.T) {
	m, r := boot(t, "x86_64 mem=256M cpus=2")
	before := snapshot(m)
	for _, n := range []int{4<<20 + 1, 8 << 20, 1 << 40} {
		p, ok, err := m.Slab.Kmalloc(n, phys.GFPKernel, "test")
		if ok || err != nil || p != 0 {
			t.Errorf("kmalloc(%d) = %#x, %v, %v; want NULL", n, uint64(p), ok, err)
		}
		if w := r.take(); len(w) != 1 || !strings.Contains(w[0], "MAX_PAGE_ORDER") {
			t.Errorf("kmalloc(%d) warnings %q, want the page allocator's order warning", n, w)
		}
	}
	if _, ok, err := m.Slab.Kmalloc(8<<20, phys.GFPKernel|phys.GfpNoWarn, "test"); ok || err != nil {
		t.Errorf("kmalloc(8M, __GFP_NOWARN) = %v, %v; want NULL", ok, err)
	}
	if w := r.take(); len(w) != 0 {
		t.Errorf("__GFP_NOWARN: warnings %q", w)
	}
	unchanged(t, m, before, "kmalloc above 4M")
}

func TestKrealloc(t *testing.T) {
	m, _ := boot(t, "x86_64 mem=256M cpus=1")
	a := m.Slab
	p := kmalloc(t, a, 100, phys.GFPKernel)
	// ksize(p) = 128: up to 128 bytes p stays.
	for _, n := range []int{1, 100, 120, 128} {
		q, ok, err := a.Krealloc(p, n, phys.GFPKernel, "krealloc")
		if q != p || !ok || err != nil {
			t.Errorf("krealloc(p, %d) = %#x, %v, %v; want p %#x", n, uint64(q), ok, err, uint64(p))
		}
	}
	before := a.Find("kmalloc-128").Counts()
	q, ok, err := a.Krealloc(p, 129, phys.GFPKernel, "krealloc")
	if !ok || err != nil || q == p {
		t.Fatalf("krealloc(p, 129) = %#x, %v, %v; want a new object", uint64(q), ok, err)
	}
	if o := lookup(t, a, q); o.Cache.Name != "kmalloc-192" || o.Free {
		t.Errorf("krealloc(p, 129) gave %+v, want a kmalloc-192 object", o)
	}
	if o := lookup(t, a, p); !o.Free {
		t.Errorf("the old object is still allocated after krealloc moved it")
	}
	if after := a.Find("kmalloc-128").Counts(); after.InUse != before.InUse-1 {
		t.Errorf("kmalloc-128 in use %d -> %d, want one less", before.InUse, after.InUse)
	}
	// Size 0 frees and returns ZERO_SIZE_PTR.
	r, ok, err := a.Krealloc(q, 0, phys.GFPKernel, "krealloc")
	if r != slab.ZeroSizePtr || !ok || err != nil {
		t.Errorf("krealloc(q, 0) = %#x, %v, %v; want ZERO_SIZE_PTR", uint64(r), ok, err)
	}
	if o := lookup(t, a, q); !o.Free {
		t.Errorf("krealloc(q, 0) did not free q")
	}
	// NULL and ZERO_SIZE_PTR behave as kmalloc.
	for _, old := range []arch.VirtAddr{0, slab.ZeroSizePtr} {
		n, ok, err := a.Krealloc(old, 50, phys.GFPKernel, "krealloc")
		if !ok || err != nil {
			t.Fatalf("krealloc(%#x, 50): %v, %v", uint64(old), ok, err)
		}
		if o := lookup(t, a, n); o.Cache.Name != "kmalloc-64" || o.Free || o.Offset != 0 {
			t.Errorf("krealloc(%#x, 50) = %+v, want a kmalloc-64 object", uint64(old), o)
		}
	}
	// A large kmalloc keeps its pages while they suffice.
	big := kmalloc(t, a, 9000, phys.GFPKernel)
	for _, n := range []int{10, 9000, 16384} {
		if q, ok, err := a.Krealloc(big, n, phys.GFPKernel, "krealloc"); q != big || !ok || err != nil {
			t.Errorf("krealloc(big, %d) = %#x, %v, %v; want the same pointer", n, uint64(q), ok, err)
		}
	}
	free0 := m.Phys.NrFreePages()
	bigger, ok, err := a.Krealloc(big, 16385, phys.GFPKernel, "krealloc")
	if !ok || err != nil || bigger == big {
		t.Fatalf("krealloc(big, 16385) = %#x, %v, %v; want a new block", uint64(bigger), ok, err)
	}
	if o := lookup(t, a, bigger); !o.Large || o.LargeOrder != 3 {
		t.Errorf("krealloc(big, 16385) = %+v, want an order-3 large kmalloc", o)
	}
	if got := int(free0) - int(m.Phys.NrFreePages()); got != 8-4 {
		t.Errorf("krealloc from order 2 to order 3 took %d pages net, want 4", got)
	}
	// On failure NULL, and the old object stays.
	snap := snapshot(m)
	if q, ok, err := a.Krealloc(bigger, 5<<20, phys.GFPKernel|phys.GfpNoWarn, "krealloc"); ok || err != nil || q != 0 {
		t.Errorf("krealloc(bigger, 5M) = %#x, %v, %v; want NULL", uint64(q), ok, err)
	}
	unchanged(t, m, snap, "a failed krealloc")
	if o := lookup(t, a, bigger); !o.Large {
		t.Errorf("the object is gone after a failed krealloc")
	}
	// krealloc of a freed object is a BUG and changes nothing.
	wantBug(t, func() error { _, _, err := a.Krealloc(q, 300, phys.GFPKernel, "krealloc"); return err }(), "krealloc of a freed object")
	unchanged(t, m, snap, "krealloc of a freed object")
	checkAll(t, m)
}

func TestKmallocArray(t *testing.T) {
	for _, tt := range []struct {
		line     string
		overflow [][2]int // n, size
	}{
		{"x86_64 mem=256M cpus=1", [][2]int{{1 << 62, 4}, {1 << 40, 1 << 40}}},
		{"x86 mem=256M cpus=1", [][2]int{{1 << 30, 8}, {1 << 20, 4096}, {1 << 16, 1 << 16}}},
	} {
		m, r := boot(t, tt.line)
		a := m.Slab
		p, ok, err := a.KmallocArray(4, 25, phys.GFPKernel, "kmalloc_array")
		if !ok || err != nil {
			t.Fatalf("%s: kmalloc_array(4, 25): %v, %v", tt.line, ok, err)
		}
		if o := lookup(t, a, p); o.Cache.Name != "kmalloc-128" {
			t.Errorf("%s: kmalloc_array(4, 25) came from %s, want kmalloc-128", tt.line, o.Cache.Name)
		}
		if p, ok, err := a.KmallocArray(0, 100, phys.GFPKernel, "kmalloc_array"); p != slab.ZeroSizePtr || !ok || err != nil {
			t.Errorf("%s: kmalloc_array(0, 100) = %#x, %v, %v; want ZERO_SIZE_PTR", tt.line, uint64(p), ok, err)
		}
		before := snapshot(m)
		for _, o := range tt.overflow {
			p, ok, err := a.KmallocArray(o[0], o[1], phys.GFPKernel, "kmalloc_array")
			if p != 0 || ok || err != nil {
				t.Errorf("%s: kmalloc_array(%d, %d) = %#x, %v, %v; want NULL", tt.line, o[0], o[1], uint64(p), ok, err)
			}
		}
		if w := r.take(); len(w) != 0 {
			t.Errorf("%s: an overflowing kmalloc_array warned: %q", tt.line, w)
		}
		// No overflow, but above 4M: the page allocator refuses it.
		if p, ok, err := a.KmallocArray(1<<12, 1<<12, phys.GFPKernel, "kmalloc_array"); p != 0 || ok || err != nil {
			t.Errorf("%s: kmalloc_array(4096, 4096) = %#x, %v, %v; want NULL", tt.line, uint64(p), ok, err)
		}
		if w := r.take(); len(w) != 1 {
			t.Errorf("%s: kmalloc_array of 16M: warnings %q, want the page allocator's", tt.line, w)
		}
		unchanged(t, m, before, "kmalloc_array that fails")
	}
}

// TestAtomicContext checks might_alloc(): a kmalloc, kmem_cache_alloc or
// kmem_cache_create that may sleep is a BUG in atomic context, whether or
// not it needs pages, and changes nothing.
func TestAtomicContext(t *testing.T) {
	for _, kind := range []kernelmodel.ContextKind{kernelmodel.CtxAtomic, kernelmodel.CtxIRQ, kernelmodel.CtxSoftIRQ} {
		t.Run(string(kind), func(t *testing.T) {
			m, _ := boot(t, "x86_64 mem=64M cpus=2")
			a := m.Slab
			c := create(t, a, "obj", 64, 0, 0, nil)
			alloc(t, c, phys.GFPKernel) // the CPU's slab has room
			kmalloc(t, a, 64, phys.GFPKernel)
			if err := m.EnterContext(kernelmodel.Context{Kind: kind}); err != nil {
				t.Fatal(err)
			}
			before := snapshot(m)
			const msg = "sleeping function called from invalid context"
			_, err := a.Create("atomic", 64, 0, 0, nil)
			wantBug(t, err, "kmem_cache_create in atomic context", msg)
			_, err = a.Create("atomic", 64, 0, slab.SlabPanic, nil)
			wantBug(t, err, "kmem_cache_create(SLAB_PANIC) in atomic context", msg)
			_, _, err = c.Alloc(phys.GFPKernel, "kmem_cache_alloc")
			wantBug(t, err, "kmem_cache_alloc(GFP_KERNEL) in atomic context", msg, "kmem_cache_alloc")
			for _, size := range []int{64, 100, 9000} {
				_, _, err = a.Kmalloc(size, phys.GFPKernel, "kmalloc")
				wantBug(t, err, fmt.Sprintf("kmalloc(%d, GFP_KERNEL) in atomic context", size), msg)
			}
			err = c.Destroy()
			wantBug(t, err, "kmem_cache_destroy in atomic context", msg)
			if a.Find("atomic") != nil || a.Find("obj") != c {
				t.Errorf("caches changed in atomic context")
			}
			unchanged(t, m, before, "sleeping allocations in atomic context")
			// GFP_ATOMIC and GFP_NOWAIT may be used.
			alloc(t, c, phys.GFPAtomic)
			kmalloc(t, a, 64, phys.GFPAtomic)
			kmalloc(t, a, 9000, phys.GFPNowait)
			m.LeaveContext()
			create(t, a, "afterwards", 64, 0, 0, nil)
			checkAll(t, m)
		})
	}
}

// exhaust takes every free page of the machine, ignoring watermarks, and
// returns the blocks.
func exhaust(t testing.TB, m *kernelmodel.Machine) []phys.Block {
	t.Helper()
	var out []phys.Block
	gfp := phys.GFPAtomic | phys.GfpMemalloc | phys.GfpNoWarn
	for order := phys.MaxOrder; order >= 0; order-- {
		for {
			pfn, ok, err := m.Phys.AllocPages(phys.Request{GFP: gfp, Order: order})
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				break
			}
			out = append(out, phys.Block{PFN: pfn, Order: order})
		}
	}
	if n := m.Phys.NrFreePages(); n != 0 {
		t.Fatalf("%d pages still free after exhausting memory", n)
	}
	return out
}

// TestNewSlabFailure checks allocate_slab() when memory is gone: the
// cache's order quietly (__GFP_NOWARN|__GFP_NORETRY), then the minimum order
// with the caller's flags, which warns as any failed allocation ("page
// allocation failure"), or for an order-0 GFP_KERNEL request invokes the
// OOM killer; then SLUB's own "Unable to allocate memory" unless
// __GFP_NOWARN.
func TestNewSlabFailure(t *testing.T) {
	m, r := boot(t, "x86_64 mem=64M cpus=2")
	a := m.Slab
	blocks := exhaust(t, m)
	r.take()
	before := snapshot(m)
	for _, size := range []int{8, 512} { // order 0, and order 1 with order-0 fallback
		p, ok, err := a.Kmalloc(size, phys.GFPAtomic, "kmalloc")
		if p != 0 || ok || err != nil {
			t.Errorf("kmalloc(%d, GFP_ATOMIC) with no memory = %#x, %v, %v; want NULL", size, uint64(p), ok, err)
		}
		w := r.take()
		if len(w) != 2 || !strings.Contains(w[0], "page allocation failure: order:0, mode:0x820(GFP_ATOMIC)") ||
			!strings.HasPrefix(w[1], "SLUB: Unable to allocate memory on node -1, gfp=0x820(GFP_ATOMIC)") {
			t.Errorf("kmalloc(%d, GFP_ATOMIC) warnings:\n%s\nwant the page allocator's order-0 failure, then SLUB's", size, strings.Join(w, "\n"))
		}
		_, ok, err = a.Kmalloc(size, phys.GFPAtomic|phys.GfpNoWarn, "kmalloc")
		if ok || err != nil {
			t.Errorf("kmalloc(%d, GFP_ATOMIC|__GFP_NOWARN) = %v, %v; want NULL", size, ok, err)
		}
		if w := r.take(); len(w) != 0 {
			t.Errorf("kmalloc(%d, __GFP_NOWARN) warned: %q", size, w)
		}
		// GFP_KERNEL at order 0 may not fail: the OOM killer runs and,
		// with nothing to kill, the kernel panics.
		_, _, err = a.Kmalloc(size, phys.GFPKernel, "kmalloc")
		var oom *bug.OOM
		if !errors.As(err, &oom) {
			t.Errorf("kmalloc(%d, GFP_KERNEL) with no memory: %v, want a *bug.OOM", size, err)
		}
		r.take()
	}
	unchanged(t, m, before, "failed kmallocs")
	for _, b := range blocks {
		if err := m.Phys.FreePages(b.PFN, b.Order); err != nil {
			t.Fatal(err)
		}
	}
	kmalloc(t, a, 512, phys.GFPKernel)
	checkAll(t, m)
}

// TestLargeKfreeForgets checks that once a large kmalloc is freed, its
// pages are no kmalloc object any more, even when the page allocator hands
// the same block to someone else.
func TestLargeKfreeForgets(t *testing.T) {
	m, _ := boot(t, "x86_64 mem=64M cpus=1")
	a := m.Slab
	p := kmalloc(t, a, 9000, phys.GFPKernel)
	o := lookup(t, a, p)
	kfree(t, a, p)
	var taken []phys.PFN
	found := false
	for !found {
		pfn, ok, err := m.Phys.AllocPages(phys.Request{GFP: phys.GFPKernel | phys.GfpNoWarn, Order: 2, Owner: phys.OwnerPages})
		if err != nil || !ok {
			t.Fatalf("the block at pfn %#x never came back from the page allocator", uint64(o.PFN))
		}
		taken = append(taken, pfn)
		found = pfn == o.PFN
	}
	if obj, ok := a.Lookup(p); ok {
		t.Errorf("Lookup of a page-allocator block that was a large kmalloc: %+v", obj)
	}
	before := snapshot(m)
	wantBug(t, a.Kfree(p, "kfree"), "kfree of a block the page allocator gave out again", "not an address kmalloc returned")
	unchanged(t, m, before, "kfree of a reused block")
	for _, pfn := range taken {
		if err := m.Phys.FreePages(pfn, 2); err != nil {
			t.Fatal(err)
		}
	}
	checkAll(t, m)
}
