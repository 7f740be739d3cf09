// Package slab models the kernel's object allocators on top of the buddy
// allocator: kmem_cache with SLUB's per-CPU slabs and partial lists
// (mm/slub.c), the kmalloc size classes (mm/slab_common.c), and object
// pointers with provenance.
package slab

import (
	"fmt"

	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/phys"
)

// Flags are kmem_cache_create's flags (include/linux/slab.h, Linux 6.1
// values).
type Flags uint32

const (
	SlabConsistencyChecks Flags = 0x100
	SlabRedZone           Flags = 0x400
	SlabPoison            Flags = 0x800
	SlabKmalloc           Flags = 0x1000
	SlabHWCacheAlign      Flags = 0x2000
	SlabCacheDMA          Flags = 0x4000
	SlabCacheDMA32        Flags = 0x8000
	SlabStoreUser         Flags = 0x10000
	SlabReclaimAccount    Flags = 0x20000
	SlabPanic             Flags = 0x40000
	SlabTypesafeByRCU     Flags = 0x80000
	SlabAccount           Flags = 0x4000000

	debugFlags = SlabConsistencyChecks | SlabRedZone | SlabPoison | SlabStoreUser
	knownFlags = SlabConsistencyChecks | SlabRedZone | SlabPoison | SlabKmalloc | SlabHWCacheAlign |
		SlabCacheDMA | SlabCacheDMA32 | SlabStoreUser | SlabReclaimAccount | SlabPanic | SlabTypesafeByRCU | SlabAccount
)

// FlagNames lists the flags a script can use, by their kernel names.
var FlagNames = []struct {
	Name  string
	Value Flags
}{
	{"SLAB_CONSISTENCY_CHECKS", SlabConsistencyChecks}, {"SLAB_RED_ZONE", SlabRedZone},
	{"SLAB_POISON", SlabPoison}, {"SLAB_HWCACHE_ALIGN", SlabHWCacheAlign},
	{"SLAB_CACHE_DMA", SlabCacheDMA}, {"SLAB_CACHE_DMA32", SlabCacheDMA32},
	{"SLAB_STORE_USER", SlabStoreUser}, {"SLAB_RECLAIM_ACCOUNT", SlabReclaimAccount},
	{"SLAB_PANIC", SlabPanic}, {"SLAB_TYPESAFE_BY_RCU", SlabTypesafeByRCU},
	{"SLAB_ACCOUNT", SlabAccount},
}

// Tunables of SLUB with the kernel's defaults.
const (
	cacheLineSize  = 64 // L1_CACHE_BYTES on x86
	archSlabAlign  = 8  // ARCH_SLAB_MINALIGN, __alignof__(unsigned long long)
	slubMaxOrder   = phys.CostlyOrder
	maxObjsPerSlab = 32767 // MAX_OBJS_PER_PAGE
	minPartial     = 5
	maxPartial     = 10
)

// Cache is struct kmem_cache under SLUB.
type Cache struct {
	Name string
	// ObjectSize is the size asked for; Size the stride of objects in a
	// slab, with alignment and metadata (sysfs slab_size).
	ObjectSize, Size, Align int
	// Offset is where the free pointer is kept in a free object.
	Offset int
	// Inuse is the object with its right red zone; RedLeftPad the left
	// red zone before each object (slub_debug).
	Inuse, RedLeftPad int
	Flags             Flags
	// Order is the order of a slab's pages; ObjsPerSlab the objects
	// each slab holds; MinOrder the fallback when that order fails.
	Order, ObjsPerSlab, MinOrder int
	// MinPartial is how many partial slabs the node keeps even when
	// empty; CPUPartial the objects (CPUPartialSlabs the slabs) a CPU's
	// partial list holds.
	MinPartial, CPUPartial, CPUPartialSlabs int
	// Ctor is called on every object of a new slab.
	Ctor func(addr arch.VirtAddr)
	// Kmalloc marks the kmalloc caches; Kernel the caches other parts of
	// the kernel made for their own objects (vmap_area). Neither is ever
	// destroyed.
	Kmalloc, Kernel bool

	a        *Allocator
	classic  *classic // the SLAB state, under slab=slab
	cpu      []cpuSlab
	partial  slabList // the node's partial list
	nrSlabs  int      // every slab of the cache
	nrObjs   int
	inuse    int // objects allocated
	slabs    map[*Slab]bool
	refcount int
	id       int
}

type cpuSlab struct {
	index   int     // the CPU
	slab    *Slab   // the active slab, frozen; nil for none
	partial []*Slab // the per-CPU partial list, head last
}

// alignment models mm/slab_common.c:calculate_alignment().
func alignment(flags Flags, align, size, ptrSize int) int {
	if flags&SlabHWCacheAlign != 0 {
		ralign := cacheLineSize
		for size <= ralign/2 {
			ralign /= 2
		}
		align = max(align, ralign)
	}
	align = max(align, archSlabAlign)
	return alignUp(align, ptrSize)
}

func alignUp(x, a int) int { return (x + a - 1) / a * a }

// layout models mm/slub.c:calculate_sizes() for a cache without debug
// flags: the free pointer in the middle of the object (or after it when
// the object must keep its contents: a constructor, RCU, poisoning), and
// the stride aligned to the cache's alignment.
func (c *Cache) layout(ptrSize int) {
	size := alignUp(c.ObjectSize, ptrSize)
	if c.Ctor != nil || c.Flags&(SlabTypesafeByRCU|SlabPoison) != 0 {
		c.Offset = size
		size += ptrSize
	} else {
		c.Offset = (c.ObjectSize / 2) &^ (ptrSize - 1)
	}
	c.Inuse = alignUp(c.ObjectSize, ptrSize)
	c.Size = alignUp(size, c.Align)
}

// getOrder is get_order(): the smallest order whose block holds size bytes.
func getOrder(size int) int {
	order := 0
	for arch.PageSize<<order < size {
		order++
	}
	return order
}

// MinObjects is slub_min_objects for a number of CPUs: 4 * (fls(cpus) + 1).
func MinObjects(cpus int) int {
	fls := 0
	for n := cpus; n > 0; n >>= 1 {
		fls++
	}
	return 4 * (fls + 1)
}

// CalculateOrder models mm/slub.c:calculate_order() and calc_slab_order():
// the smallest order from the one that holds min_objects objects up to
// slub_max_order (3) that wastes at most 1/16 of the slab, then 1/8, 1/4,
// 1/2; else the order that holds one object.
func CalculateOrder(size, cpus int) (int, error) {
	minObjects := MinObjects(cpus)
	maxObjects := max((arch.PageSize<<slubMaxOrder)/size, 1)
	minObjects = min(minObjects, maxObjects)
	minOrder := getOrder(minObjects * size)
	if (arch.PageSize<<minOrder)/size > maxObjsPerSlab {
		minOrder = getOrder(size*maxObjsPerSlab) - 1
	}
	for _, fraction := range []int{16, 8, 4, 2} {
		for order := minOrder; order <= slubMaxOrder; order++ {
			slab := arch.PageSize << order
			if slab%size <= slab/fraction {
				return order, nil
			}
		}
	}
	order := getOrder(size)
	if order > phys.MaxOrder {
		return 0, fmt.Errorf("objects of %d bytes do not fit in a slab of order %d", size, phys.MaxOrder)
	}
	return order, nil
}

// setPartial models mm/slub.c:set_min_partial() and set_cpu_partial().
func (c *Cache) setPartial() {
	ilog2 := 0
	for n := c.Size; n > 1; n >>= 1 {
		ilog2++
	}
	c.MinPartial = min(max(ilog2/2, minPartial), maxPartial)
	switch {
	case c.Flags&debugFlags != 0:
		c.CPUPartial = 0
	case c.Size >= arch.PageSize:
		c.CPUPartial = 6
	case c.Size >= 1024:
		c.CPUPartial = 24
	case c.Size >= 256:
		c.CPUPartial = 52
	default:
		c.CPUPartial = 120
	}
	// slub_set_cpu_partial(): enough slabs for twice cpu_partial objects.
	c.CPUPartialSlabs = (c.CPUPartial*2 + c.ObjsPerSlab - 1) / c.ObjsPerSlab
}

// Slabs returns the cache's slabs in a stable order (by address).
func (c *Cache) Slabs() []*Slab {
	out := make([]*Slab, 0, len(c.slabs))
	for s := range c.slabs {
		out = append(out, s)
	}
	sortSlabs(out)
	return out
}

// Counts are a cache's totals, as /proc/slabinfo reports them.
type Counts struct {
	Slabs, Objs, InUse int
	// Partial counts the slabs on the node's partial list, CPU the
	// active per-CPU slabs, CPUPartial those on per-CPU partial lists,
	// Full the rest: slabs with every object in use, on no list.
	Partial, CPU, CPUPartial, Full int
	// FreeOnPartial counts the free objects on the node's partial
	// slabs: slabinfo counts every other object as active.
	FreeOnPartial int
	// Free counts SLAB's free slabs (slabs_free).
	Free int
	// ActiveObjs and ActiveSlabs are what /proc/slabinfo calls active:
	// under SLUB every object but the free ones on the node's partial
	// slabs, and every slab; under SLAB every object not free in a slab
	// (those in the per-CPU arrays count as active), and the full and
	// partial slabs.
	ActiveObjs, ActiveSlabs int
}

// Counts returns the cache's totals.
func (c *Cache) Counts() Counts {
	if k := c.classic; k != nil {
		return Counts{Slabs: c.nrSlabs, Objs: c.nrObjs, InUse: c.inuse, Partial: k.partial.n, Full: k.full.n, Free: k.free.n,
			ActiveObjs: c.nrObjs - k.freeObjects, ActiveSlabs: k.full.n + k.partial.n}
	}
	n := Counts{Slabs: c.nrSlabs, Objs: c.nrObjs, InUse: c.inuse, Partial: c.partial.n}
	for s := c.partial.head; s != nil; s = s.next {
		n.FreeOnPartial += s.Objects - s.InUse
	}
	for _, cs := range c.cpu {
		if cs.slab != nil {
			n.CPU++
		}
		n.CPUPartial += len(cs.partial)
	}
	n.Full = n.Slabs - n.Partial - n.CPU - n.CPUPartial
	n.ActiveObjs, n.ActiveSlabs = n.Objs-n.FreeOnPartial, n.Slabs
	return n
}
