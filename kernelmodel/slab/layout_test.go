package slab_test

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/phys"
	"mmsim/kernelmodel/slab"
)

// TestLayout checks calculate_alignment() and calculate_sizes():
//
//   - align = max(align, ARCH_SLAB_MINALIGN 8), rounded up to the pointer
//     size; with SLAB_HWCACHE_ALIGN at least the 64-byte line halved while
//     the object fits in half of it;
//   - size = ALIGN(object_size, sizeof(void *)); the free pointer at
//     ALIGN_DOWN(object_size / 2, sizeof(void *)), or, with a constructor,
//     SLAB_POISON or SLAB_TYPESAFE_BY_RCU, after the object (offset = size,
//     size += sizeof(void *));
//   - s->size = ALIGN(size, align);
//   - ksize is s->size, s->object_size with poisoning, s->inuse (the size
//     before the free pointer was added) with RCU.
func TestLayout(t *testing.T) {
	ctor := func(arch.VirtAddr) {}
	tests := []struct {
		arch        string
		size, align int
		flags       slab.Flags
		ctor        bool
		// want
		Align, Size, Offset, Order, Objs, Ksize int
	}{
		{"x86_64", 100, 0, 0, false, 8, 104, 48, 0, 39, 104},
		{"x86", 100, 0, 0, false, 8, 104, 48, 0, 39, 104},
		// The free pointer: ALIGN_DOWN(13, 8) = 8 on x86_64, ALIGN_DOWN(13, 4)
		// = 12 on x86.
		{"x86_64", 26, 0, 0, false, 8, 32, 8, 0, 128, 32},
		{"x86", 26, 0, 0, false, 8, 32, 12, 0, 128, 32},
		{"x86_64", 12, 0, 0, false, 8, 16, 0, 0, 256, 16},
		{"x86", 12, 0, 0, false, 8, 16, 4, 0, 256, 16},
		// 4 bytes hold a pointer only on x86.
		{"x86", 4, 0, 0, false, 8, 8, 0, 0, 512, 8},
		{"x86_64", 256, 0, 0, false, 8, 256, 128, 0, 16, 256},
		// SLAB_HWCACHE_ALIGN: 64, halved while size <= half.
		{"x86_64", 20, 0, slab.SlabHWCacheAlign, false, 32, 32, 8, 0, 128, 32},
		{"x86_64", 100, 0, slab.SlabHWCacheAlign, false, 64, 128, 48, 0, 32, 128},
		{"x86_64", 8, 0, slab.SlabHWCacheAlign, false, 8, 8, 0, 0, 512, 8},
		{"x86_64", 16, 0, slab.SlabHWCacheAlign, false, 16, 16, 8, 0, 256, 16},
		{"x86_64", 33, 0, slab.SlabHWCacheAlign, false, 64, 64, 16, 0, 64, 64},
		{"x86_64", 200, 0, slab.SlabHWCacheAlign, false, 64, 256, 96, 0, 16, 256},
		{"x86", 20, 0, slab.SlabHWCacheAlign, false, 32, 32, 8, 0, 128, 32},
		// An explicit alignment.
		{"x86_64", 20, 16, 0, false, 16, 32, 8, 0, 128, 32},
		{"x86_64", 20, 4, 0, false, 8, 24, 8, 0, 170, 24},
		{"x86_64", 20, 128, 0, false, 128, 128, 8, 0, 32, 128},
		// The free pointer after the object.
		{"x86_64", 100, 0, 0, true, 8, 112, 104, 0, 36, 112},
		{"x86_64", 100, 0, slab.SlabPoison, false, 8, 112, 104, 0, 36, 100},
		{"x86_64", 100, 0, slab.SlabTypesafeByRCU, false, 8, 112, 104, 0, 36, 104},
		{"x86_64", 12, 0, 0, true, 8, 24, 16, 0, 170, 24},
		{"x86", 12, 0, 0, true, 8, 16, 12, 0, 256, 16},
		{"x86", 100, 0, slab.SlabPoison, false, 8, 104, 100, 0, 39, 100},
		{"x86", 100, 0, slab.SlabTypesafeByRCU, false, 8, 104, 100, 0, 39, 100},
		{"x86_64", 96, 0, slab.SlabHWCacheAlign, true, 64, 128, 96, 0, 32, 128},
	}
	for i, tt := range tests {
		name := fmt.Sprintf("%s/%d/align%d/%#x/ctor=%v", tt.arch, tt.size, tt.align, uint32(tt.flags), tt.ctor)
		t.Run(name, func(t *testing.T) {
			m, _ := boot(t, tt.arch+" mem=64M cpus=2")
			var f func(arch.VirtAddr)
			if tt.ctor {
				f = ctor
			}
			c := create(t, m.Slab, fmt.Sprintf("c%d", i), tt.size, tt.align, tt.flags, f)
			got := []int{c.Align, c.Size, c.Offset, c.Order, c.ObjsPerSlab}
			want := []int{tt.Align, tt.Size, tt.Offset, tt.Order, tt.Objs}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("align, size, offset, order, objs (-want +got):\n%s", d)
			}
			if c.ObjectSize != tt.size {
				t.Errorf("ObjectSize %d, want %d", c.ObjectSize, tt.size)
			}
			// Objects are Size apart and aligned; ksize is the
			// usable size.
			p := alloc(t, c, phys.GFPKernel)
			q := alloc(t, c, phys.GFPKernel)
			if q-p != arch.VirtAddr(tt.Size) {
				t.Errorf("two objects %d bytes apart, want %d", q-p, tt.Size)
			}
			if uint64(p)%uint64(tt.Align) != 0 || uint64(q)%uint64(tt.Align) != 0 {
				t.Errorf("objects at %#x and %#x are not aligned to %d", uint64(p), uint64(q), tt.Align)
			}
			if n, err := m.Slab.Ksize(p, "ksize"); err != nil || n != tt.Ksize {
				t.Errorf("ksize = %d, %v; want %d", n, err, tt.Ksize)
			}
			checkAll(t, m)
		})
	}
}

// TestKmallocAlignment checks that kmalloc objects are aligned to the
// largest power of two dividing their cache's size.
func TestKmallocAlignment(t *testing.T) {
	m, _ := boot(t, "x86_64 mem=64M cpus=1")
	tests := []struct{ size, align int }{
		{8, 8}, {16, 16}, {24, 32}, {64, 64}, {96, 32}, {100, 128}, {192, 64}, {256, 256}, {1000, 1024}, {8192, 8192},
	}
	for _, tt := range tests {
		for i := 0; i < 3; i++ {
			p := kmalloc(t, m.Slab, tt.size, phys.GFPKernel)
			if uint64(p)%uint64(tt.align) != 0 {
				t.Errorf("kmalloc(%d) = %#x, not aligned to %d", tt.size, uint64(p), tt.align)
			}
		}
	}
}

// TestCtor checks that the constructor runs once on every object of a new
// slab, in address order, and never on allocation.
func TestCtor(t *testing.T) {
	m, _ := boot(t, "x86_64 mem=64M cpus=1")
	var calls []arch.VirtAddr
	c := create(t, m.Slab, "ctor", 100, 0, 0, func(p arch.VirtAddr) { calls = append(calls, p) })
	if c.ObjsPerSlab != 36 || c.Size != 112 {
		t.Fatalf("ctor cache: %d objects of %d bytes, want 36 of 112", c.ObjsPerSlab, c.Size)
	}
	if len(calls) != 0 {
		t.Fatalf("kmem_cache_create ran the constructor %d times", len(calls))
	}
	first := alloc(t, c, phys.GFPKernel)
	s := slabOf(t, m.Slab, first)
	var want []arch.VirtAddr
	for i := 0; i < 36; i++ {
		want = append(want, s.Base+arch.VirtAddr(i*112))
	}
	if d := cmp.Diff(want, calls); d != "" {
		t.Fatalf("constructor calls on the first slab (-want +got):\n%s", d)
	}
	calls = nil
	var objs []arch.VirtAddr
	for i := 1; i < 36; i++ {
		objs = append(objs, alloc(t, c, phys.GFPKernel))
	}
	free(t, c, objs[3])
	if p := alloc(t, c, phys.GFPKernel); p != objs[3] {
		t.Errorf("the freed object was not reused: got %#x, want %#x", uint64(p), uint64(objs[3]))
	}
	if len(calls) != 0 {
		t.Errorf("allocations from an existing slab ran the constructor %d times", len(calls))
	}
	// The 37th object needs a new slab: 36 more calls, on its objects.
	p := alloc(t, c, phys.GFPKernel)
	s2 := slabOf(t, m.Slab, p)
	if s2 == s || len(calls) != 36 || calls[0] != s2.Base || calls[35] != s2.Base+35*112 {
		t.Errorf("new slab at %#x: %d constructor calls from %#x, want 36 from the new slab", uint64(s2.Base), len(calls), uint64(first))
	}
}
