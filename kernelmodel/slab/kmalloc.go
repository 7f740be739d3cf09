package slab

import (
	"fmt"
	"math/bits"

	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/bug"
	"mmsim/kernelmodel/phys"
)

// kmalloc's size classes (include/linux/slab.h, SLUB, 4 KiB pages).
const (
	kmallocShiftLow     = 3
	kmallocShiftHigh    = arch.PageShift + 1 // 8 KiB, the largest cache
	KmallocMaxCacheSize = 1 << kmallocShiftHigh
	kmallocMaxSize      = 1 << (phys.MaxOrder + arch.PageShift) // 4 MiB
	KmallocMaxSize      = kmallocMaxSize
	// ZeroSizePtr is what kmalloc(0) returns: not NULL, and never a
	// valid object ((void *)16).
	ZeroSizePtr arch.VirtAddr = 16
)

// Kmalloc cache types (enum kmalloc_cache_type), in creation order.
type KmallocType int

const (
	KmallocNormal KmallocType = iota
	KmallocReclaim
	KmallocDMA
	KmallocCgroup
	nKmallocTypes
)

var typePrefix = [nKmallocTypes]string{"kmalloc-", "kmalloc-rcl-", "dma-kmalloc-", "kmalloc-cg-"}

// kmallocIndex models __kmalloc_index() and the kmalloc_size_index table:
// 1..8 → 3 (8 bytes), 65..96 → 1 (96 bytes), 129..192 → 2 (192 bytes),
// otherwise the index n with 2^(n-1) < size <= 2^n.
func kmallocIndex(size int) int {
	switch {
	case size <= 1<<kmallocShiftLow:
		return kmallocShiftLow
	case size > 64 && size <= 96:
		return 1
	case size > 128 && size <= 192:
		return 2
	}
	return bits.Len(uint(size - 1))
}

// indexSize is the object size of a kmalloc index.
func indexSize(i int) int {
	switch i {
	case 1:
		return 96
	case 2:
		return 192
	}
	return 1 << i
}

// kmallocName is the name of a kmalloc cache: kmalloc-8 ... kmalloc-8k.
func kmallocName(t KmallocType, i int) string {
	size := indexSize(i)
	if size >= 1024 {
		return fmt.Sprintf("%s%dk", typePrefix[t], size/1024)
	}
	return fmt.Sprintf("%s%d", typePrefix[t], size)
}

// createKmallocCaches models mm/slab_common.c:create_kmalloc_caches():
// for each type, first the two caches that are no power of two (96 and
// 192 bytes), then 8 to 8K, each aligned to its largest power-of-two
// divisor (create_boot_cache()).
func (a *Allocator) createKmallocCaches() error {
	order := []int{1, 2}
	for i := kmallocShiftLow; i <= kmallocShiftHigh; i++ {
		order = append(order, i)
	}
	for t := KmallocNormal; t < nKmallocTypes; t++ {
		for _, j := range order {
			size := indexSize(j)
			flags := SlabKmalloc
			switch t {
			case KmallocReclaim:
				flags |= SlabReclaimAccount
			case KmallocDMA:
				flags |= SlabCacheDMA
			case KmallocCgroup:
				flags |= SlabAccount
			}
			align := max(archSlabAlign, size&-size)
			c, err := a.create(kmallocName(t, j), size, align, flags, nil)
			if err != nil {
				return err
			}
			c.Kmalloc = true
			a.kmalloc[t][j] = c
		}
	}
	return nil
}

// KmallocCache returns the cache kmalloc uses for a size and mask, or nil
// above the largest cache (kmalloc_slab()).
func (a *Allocator) KmallocCache(size int, gfp phys.GFP) *Cache {
	if a.Mode == "slab" {
		if size <= 0 {
			return nil
		}
		return a.generalCache(size, gfp)
	}
	if size <= 0 || size > KmallocMaxCacheSize {
		return nil
	}
	return a.kmalloc[kmallocType(gfp)][kmallocIndex(size)]
}

// kmallocType models include/linux/slab.h:kmalloc_type().
func kmallocType(gfp phys.GFP) KmallocType {
	switch {
	case gfp&(phys.GfpDMA|phys.GfpReclaimable|phys.GfpAccount) == 0:
		return KmallocNormal
	case gfp&phys.GfpDMA != 0:
		return KmallocDMA
	case gfp&phys.GfpReclaimable != 0:
		return KmallocReclaim
	}
	return KmallocCgroup
}

// gfpSlabBugMask is GFP_SLAB_BUG_MASK: zone modifiers kmalloc cannot honour.
const gfpSlabBugMask = phys.GfpDMA32 | phys.GfpHighmem

// fixFlags models mm/slab_common.c:kmalloc_fix_flags(): __GFP_HIGHMEM and
// __GFP_DMA32 are dropped with the kernel's warning. As in the kernel it
// runs only where pages are needed (new_slab() and the large kmalloc), so
// an allocation the CPU's slab serves does not warn.
func (a *Allocator) fixFlags(gfp phys.GFP) phys.GFP {
	if gfp&gfpSlabBugMask == 0 {
		return gfp
	}
	fixed := gfp &^ gfpSlabBugMask
	a.warn(fmt.Sprintf("Unexpected gfp: %#x (%s). Fixing up to gfp: %#x (%s). Fix your code!", uint32(gfp&gfpSlabBugMask), gfp&gfpSlabBugMask, uint32(fixed), fixed))
	return fixed
}

// Object is what an address in the slab layer is.
type Object struct {
	Cache *Cache // nil for a large kmalloc
	Slab  *Slab
	Index int // object index in its slab
	// Offset is the byte of the object the address points at.
	Offset int
	// Size is the object's usable size (ksize).
	Size int
	// Free reports a slab object that is not allocated.
	Free bool
	// Large is a kmalloc above the largest cache: its pages.
	Large      bool
	PFN        phys.PFN
	LargeOrder int
}

// Lookup says which object an address belongs to (the model's
// kmem_dump_obj()); ok is false for an address in no slab and no large
// kmalloc.
func (a *Allocator) Lookup(addr arch.VirtAddr) (Object, bool) {
	if s, i, off, ok := a.lookup(addr); ok && i >= 0 && i < s.Objects {
		return Object{Cache: s.Cache, Slab: s, Index: i, Offset: off, Size: s.Cache.ksize(), Free: !s.used[i], PFN: s.PFN}, true
	}
	if !a.Layout.IsLowmem(addr) {
		return Object{}, false
	}
	pfn := phys.PFN((uint64(addr) - uint64(a.Layout.PageOffset)) >> arch.PageShift)
	if b, ok := a.Mem.BlockOf(pfn); ok && !b.Free {
		if l, ok := a.large[b.PFN]; ok && a.largeLive(b.PFN, l) {
			return Object{Large: true, PFN: b.PFN, LargeOrder: l.order, Offset: int(uint64(addr) - uint64(a.Layout.Virt(uint64(b.PFN.Addr())))), Size: arch.PageSize << l.order}, true
		}
	}
	return Object{}, false
}

// largeLive reports whether a recorded large kmalloc still holds its
// pages: a caller may have given them back with __free_pages (they are a
// plain compound page), and the page allocator may have handed them out
// again since.
func (a *Allocator) largeLive(pfn phys.PFN, l largeAlloc) bool {
	info, err := a.Mem.Page(pfn)
	return err == nil && !info.Free && info.Block.PFN == pfn && info.Block.Order == l.order &&
		info.Owner == phys.OwnerSlab && info.Tag == largeTag
}

// largeTag is the tag of a large kmalloc's pages.
const largeTag = "kmalloc-large"

// ksize models mm/slub.c:slab_ksize() for a cache.
func (c *Cache) ksize() int {
	switch {
	case c.Flags&(SlabRedZone|SlabPoison) != 0:
		return c.ObjectSize
	case c.Flags&(SlabTypesafeByRCU|SlabStoreUser) != 0:
		return c.Inuse
	}
	return c.Size
}

// Kmalloc models mm/slub.c:__kmalloc(): size 0 gives ZERO_SIZE_PTR; up to
// 8 KiB an object of the size class's cache; above, whole pages from the
// page allocator as a compound page. ok is false for the kernel's NULL.
func (a *Allocator) Kmalloc(size int, gfp phys.GFP, caller string) (arch.VirtAddr, bool, error) {
	if size == 0 {
		return ZeroSizePtr, true, nil // before any might-sleep check, as __do_kmalloc_node()
	}
	if err := a.Mem.MightSleep(gfp, caller); err != nil {
		return 0, false, err
	}
	if size < 0 {
		return 0, false, fmt.Errorf("%s: size %d is negative", caller, size)
	}
	if c := a.KmallocCache(size, gfp); c != nil {
		return c.Alloc(gfp, caller)
	}
	if a.Mode == "slab" {
		return 0, false, nil // 2.6: no general cache this large
	}
	return a.kmallocLarge(size, gfp, caller)
}

// kmallocLarge models mm/slub.c:___kmalloc_large_node(): get_order(size)
// pages with __GFP_COMP; above MAX_PAGE_ORDER the page allocator warns and
// fails.
func (a *Allocator) kmallocLarge(size int, gfp phys.GFP, caller string) (arch.VirtAddr, bool, error) {
	gfp = a.fixFlags(gfp)
	order := getOrder(size)
	if order > phys.MaxOrder {
		order = phys.MaxOrder + 1
	}
	pfn, ok, err := a.Mem.AllocPages(phys.Request{GFP: gfp | phys.GfpComp, Order: order, Owner: phys.OwnerSlab, Tag: largeTag, Caller: caller})
	if err != nil || !ok {
		return 0, false, err
	}
	a.large[pfn] = largeAlloc{order, size, a.site()}
	return a.Layout.Virt(uint64(pfn.Addr())), true, nil
}

// Kfree models mm/slub.c:kfree(): NULL and ZERO_SIZE_PTR do nothing; a
// slab object goes back to its cache, a large kmalloc's pages to the page
// allocator. Anything else is a BUG and changes nothing.
func (a *Allocator) Kfree(addr arch.VirtAddr, caller string) error {
	if addr <= ZeroSizePtr {
		return nil
	}
	if s, i, off, ok := a.lookup(addr); ok {
		return s.Cache.free(s, i, off, addr, caller)
	}
	obj, err := a.largeAt(addr, caller)
	if err != nil {
		return err
	}
	if err := a.Mem.FreePages(obj.PFN, obj.LargeOrder); err != nil {
		return err
	}
	delete(a.large, obj.PFN)
	return nil
}

// largeAt returns the large kmalloc that starts at addr, or the BUG kfree
// reports for an address that is none.
func (a *Allocator) largeAt(addr arch.VirtAddr, caller string) (Object, error) {
	obj, ok := a.Lookup(addr)
	switch {
	case ok && obj.Large && obj.Offset == 0:
		return obj, nil
	case ok && obj.Large:
		return obj, bug.Errorf("%s: %#x is byte %d of a large kmalloc (%d pages at pfn %#x), not its start", caller, uint64(addr), obj.Offset, 1<<obj.LargeOrder, uint64(obj.PFN))
	}
	return obj, bug.Errorf("%s: %#x is not an address kmalloc returned (no slab object and no large kmalloc is there)", caller, uint64(addr))
}

// kfreeCheck makes kfree's checks of a non-NULL pointer without freeing it.
func (a *Allocator) kfreeCheck(addr arch.VirtAddr, caller string) error {
	if s, i, off, ok := a.lookup(addr); ok {
		return s.Cache.freeCheck(s, i, off, addr, caller)
	}
	_, err := a.largeAt(addr, caller)
	return err
}

// Ksize models mm/slab_common.c:ksize(): 0 for NULL and ZERO_SIZE_PTR, the
// usable size of a slab object, the whole pages of a large kmalloc.
func (a *Allocator) Ksize(addr arch.VirtAddr, caller string) (int, error) {
	if addr <= ZeroSizePtr {
		return 0, nil
	}
	obj, ok := a.Lookup(addr)
	if !ok {
		return 0, bug.Errorf("%s: %#x is not an address kmalloc returned", caller, uint64(addr))
	}
	if obj.Free {
		return 0, bug.Errorf("%s: %#x is a free object of %s (use after free)", caller, uint64(addr), obj.Cache.Name)
	}
	return obj.Size, nil
}

// SizeRoundup models mm/slab_common.c:kmalloc_size_roundup().
func (a *Allocator) SizeRoundup(size int) int {
	if a.Mode == "slab" {
		if c := a.generalCache(size, 0); c != nil && size > 0 {
			return c.ObjectSize
		}
		return 0
	}
	switch {
	case size <= 0:
		return 0
	case size <= KmallocMaxCacheSize:
		return a.kmalloc[KmallocNormal][kmallocIndex(size)].ObjectSize
	case size <= kmallocMaxSize:
		return arch.PageSize << getOrder(size)
	}
	return size
}

// Krealloc models mm/slab_common.c:krealloc(): size 0 frees and returns
// ZERO_SIZE_PTR; NULL reallocates like kmalloc; an object whose ksize is
// big enough is returned as it is; otherwise a new object, the old one
// freed, its ksize bytes copied to the new one. On failure NULL, and the
// old object stays; a pointer kfree would refuse fails before anything is
// allocated.
func (a *Allocator) Krealloc(addr arch.VirtAddr, size int, gfp phys.GFP, caller string) (arch.VirtAddr, bool, error) {
	if size == 0 {
		if err := a.Kfree(addr, caller); err != nil {
			return 0, false, err
		}
		return ZeroSizePtr, true, nil
	}
	if addr <= ZeroSizePtr {
		return a.Kmalloc(size, gfp, caller)
	}
	have, err := a.Ksize(addr, caller)
	if err != nil {
		return 0, false, err
	}
	if have >= size {
		if err := a.Mem.MightSleep(gfp, caller); err != nil {
			return 0, false, err
		}
		return addr, true, nil
	}
	if err := a.kfreeCheck(addr, caller); err != nil {
		return 0, false, err
	}
	n, ok, err := a.Kmalloc(size, gfp, caller)
	if err != nil || !ok {
		return 0, false, err
	}
	a.Mem.WritePhys(a.phys(n), a.Mem.ReadPhys(a.phys(addr), have))
	if err := a.Kfree(addr, caller); err != nil {
		a.Kfree(n, caller) // give the new object back, not leak it
		return 0, false, err
	}
	return n, true, nil
}

// KmallocArray models kmalloc_array(): n*size, or NULL when it overflows.
func (a *Allocator) KmallocArray(n, size int, gfp phys.GFP, caller string) (arch.VirtAddr, bool, error) {
	if n < 0 || size < 0 {
		return 0, false, fmt.Errorf("%s: negative count or size", caller)
	}
	hi, total := bits.Mul64(uint64(n), uint64(size))
	if hi != 0 || (a.ptrSize == 4 && total >= 1<<32) {
		return 0, false, nil // check_mul_overflow(): size_t overflows
	}
	if total > kmallocMaxSize {
		total = kmallocMaxSize + 1 // the page allocator refuses it
	}
	return a.Kmalloc(int(total), gfp, caller)
}
