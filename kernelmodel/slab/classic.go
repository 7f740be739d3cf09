package slab

import (
	"errors"
	"fmt"

	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/bug"
	"mmsim/kernelmodel/phys"
)

// The classic SLAB allocator as the textbooks describe it (Linux 2.6
// mm/slab.c): per-CPU arrays of object pointers in front of three lists of
// slabs per node — full, partial, free — with on-slab or off-slab
// management, colouring, and reaping.

// Classic-SLAB parameters.
const (
	batchRefillLimit = 16 // BATCHREFILL_LIMIT
	bufctlSize       = 4  // sizeof(kmem_bufctl_t)
	slabBreakOrderHi = 1  // slab_break_gfp_order with more than 32 MiB of RAM (else 0)
	classicMaxOrder  = 5  // MAX_GFP_ORDER as far as the general caches need
)

// classic is the SLAB state of a cache.
type classic struct {
	// OffSlab is set when the slab management (struct slab and the
	// bufctl array) lives in a general cache instead of the slab.
	offSlab  bool
	slabSize int // the management's size
	slabp    *Cache
	leftOver int
	colour   int // colours a slab can have
	colOff   int // bytes per colour
	colNext  int
	// Per-CPU arrays and the node's lists.
	arrays                    []array
	full, partial, free       slabList
	freeObjects, freeLimit    int
	freeTouched               bool
	limit, batchcount, shared int
}

// array is struct array_cache: a LIFO of objects the CPU holds.
type array struct {
	entry   []arch.VirtAddr
	touched bool
}

// structSlabSize is sizeof(struct slab) in 2.6: 28 bytes on x86, 48 on
// x86_64.
func (a *Allocator) structSlabSize() int {
	if a.ptrSize == 4 {
		return 28
	}
	return 48
}

// slabBreakOrder is 2.6's slab_break_gfp_order: 1 on a machine with more
// than 32 MiB of RAM, else 0 (kmem_cache_init()).
func (a *Allocator) slabBreakOrder() int {
	if a.Layout.MaxPFN > (32<<20)>>arch.PageShift {
		return slabBreakOrderHi
	}
	return 0
}

// cacheEstimate models 2.6 mm/slab.c:cache_estimate(): how many objects fit
// in a slab of an order, with struct slab and one bufctl per object at its
// start (on-slab) or nothing (off-slab), and what is left over.
func cacheEstimate(order, size, align int, offSlab bool, structSlab int) (num, left int) {
	slab := arch.PageSize << order
	base, extra := structSlab, bufctlSize
	if offSlab {
		base, extra = 0, 0
	}
	i := 0
	for i*size+alignUp(base+i*extra, align) <= slab {
		i++
	}
	if i > 0 {
		i--
	}
	return i, slab - i*size - alignUp(base+i*extra, align)
}

// createClassic models 2.6 kmem_cache_create() for SLAB: off-slab
// management for objects of PAGE_SIZE/8 and more, calculate_slab_order()
// (accept the first order that fits and wastes at most 1/8, up to order 1),
// management moved back on-slab when the leftover holds it, colouring by
// cache lines, and the per-CPU array limits of enable_cpucache().
func (a *Allocator) createClassic(c *Cache) error {
	k := &classic{}
	c.classic = k
	size := alignUp(c.ObjectSize, c.Align)
	c.Size = size
	c.Offset = 0
	k.offSlab = size >= arch.PageSize/8
	structSlab := a.structSlabSize()
	order, num, left := -1, 0, 0
	for o := 0; o <= classicMaxOrder; o++ {
		n, l := cacheEstimate(o, size, c.Align, k.offSlab, structSlab)
		if n == 0 {
			continue
		}
		order, num, left = o, n, l
		if c.Flags&SlabReclaimAccount != 0 || o >= a.slabBreakOrder() || l*8 <= arch.PageSize<<o {
			break
		}
	}
	if order < 0 {
		return fmt.Errorf("objects of %d bytes do not fit in a slab of order %d", size, classicMaxOrder)
	}
	c.Order, c.ObjsPerSlab, c.MinOrder = order, num, order
	k.slabSize = alignUp(num*bufctlSize+structSlab, c.Align)
	if k.offSlab && left >= k.slabSize {
		k.offSlab = false
		left -= k.slabSize
	}
	k.leftOver = left
	k.colOff = max(cacheLineSize, c.Align)
	k.colour = left / k.colOff
	switch {
	case size > 128*1024:
		k.limit = 1
	case size > arch.PageSize:
		k.limit = 8
	case size > 1024:
		k.limit = 24
	case size > 256:
		k.limit = 54
	default:
		k.limit = 120
	}
	k.batchcount = (k.limit + 1) / 2
	k.freeLimit = (1+a.CPUs)*k.batchcount + num
	k.arrays = make([]array, a.CPUs)
	if k.offSlab {
		k.slabp = a.classicKmalloc(k.slabSize)
		if k.slabp == nil {
			return fmt.Errorf("no general cache holds the %d-byte slab management", k.slabSize)
		}
	}
	return nil
}

// Colour returns the number of colours and the bytes per colour (SLAB).
func (c *Cache) Colour() (colours, colourOff int) {
	if c.classic == nil {
		return 0, 0
	}
	return c.classic.colour, c.classic.colOff
}

// Tunables returns the per-CPU array limit, batch count and shared factor
// (SLAB; all 0 under SLUB).
func (c *Cache) Tunables() (limit, batchcount, shared int) {
	if c.classic == nil {
		return 0, 0, 0
	}
	return c.classic.limit, c.classic.batchcount, c.classic.shared
}

// OffSlab reports whether the slab management lives outside the slab.
func (c *Cache) OffSlab() bool { return c.classic != nil && c.classic.offSlab }

// Colour of a slab: its colour offset in bytes (SLAB).
func (s *Slab) ColourOffset() int { return s.colourOff }

// allocClassic models ____cache_alloc(): the CPU's array, refilled from the
// node's slabs (partial first, then free) in batches, growing the cache
// when no slab has a free object.
func (c *Cache) allocClassic(gfp phys.GFP) (arch.VirtAddr, bool, error) {
	k := c.classic
	ac := &k.arrays[c.a.CPU()]
	if len(ac.entry) == 0 {
		ok, err := c.refillClassic(ac, gfp)
		if err != nil || !ok {
			return 0, false, err
		}
	}
	ac.touched = true
	addr := ac.entry[len(ac.entry)-1]
	ac.entry = ac.entry[:len(ac.entry)-1]
	s, i, _, _ := c.a.lookup(addr)
	s.used[i] = true
	s.allocAt[i] = c.a.site()
	c.inuse++
	c.a.touch(s)
	return addr, true, nil
}

// refillClassic models cache_alloc_refill(): up to batchcount objects
// (16 when the array was not touched since the last reap) from partial
// slabs, then free slabs; cache_grow() when there are none.
func (c *Cache) refillClassic(ac *array, gfp phys.GFP) (bool, error) {
	k := c.classic
	for {
		batch := k.batchcount
		if !ac.touched && batch > batchRefillLimit {
			batch = batchRefillLimit
		}
		for batch > 0 {
			s := k.partial.head
			if s == nil {
				s = k.free.head
				if s == nil {
					break
				}
				k.freeTouched = true
			}
			c.unlinkClassic(s)
			for s.InUse < s.Objects && batch > 0 {
				i := s.freelist[len(s.freelist)-1]
				s.freelist = s.freelist[:len(s.freelist)-1]
				s.InUse++
				k.freeObjects--
				ac.entry = append(ac.entry, s.Addr(int(i)))
				batch--
			}
			c.linkClassic(s, false)
			c.a.touch(s)
		}
		if len(ac.entry) > 0 {
			return true, nil
		}
		s, err := c.newSlab(gfp)
		if errors.Is(err, errNoManagement) {
			return false, nil // cache_grow() failed: NULL
		}
		if err != nil || s == nil {
			return false, err
		}
	}
}

// errNoManagement is cache_grow() finding no memory for an off-slab
// slab's management: the slab's pages went back (opps1).
var errNoManagement = errors.New("no memory for the slab management")

// linkClassic puts a slab on the list its count says: full, partial (at
// the tail when freeing, as free_block() does) or free (at the head).
func (c *Cache) linkClassic(s *Slab, freeing bool) {
	k := c.classic
	switch {
	case s.InUse == s.Objects:
		s.where = ListFull
		k.full.pushHead(s)
	case s.InUse == 0:
		s.where = ListFree
		k.free.pushHead(s)
	default:
		s.where = ListPartial
		if freeing {
			k.partial.pushTail(s)
		} else {
			k.partial.pushHead(s)
		}
	}
}

func (c *Cache) unlinkClassic(s *Slab) {
	k := c.classic
	switch s.where {
	case ListFull:
		k.full.remove(s)
	case ListFree:
		k.free.remove(s)
	case ListPartial:
		k.partial.remove(s)
	}
}

// growClassic finishes cache_grow() for a new slab: its colour, its
// management, and its place at the tail of the free list.
func (c *Cache) growClassic(s *Slab) error {
	k := c.classic
	offset := k.colNext * k.colOff
	k.colNext++
	if k.colNext >= k.colour {
		k.colNext = 0
	}
	s.colourOff = offset
	s.Base += arch.VirtAddr(offset)
	if k.offSlab {
		addr, ok, err := k.slabp.Alloc(phys.GFPKernel&^phys.GfpReclaim|phys.GfpNoWarn, "cache_grow")
		if err != nil {
			return err
		}
		if !ok {
			// cache_grow(): kmem_freepages() and return 0; newSlab()
			// counted the slab, discard() takes it back.
			if err := c.discard(s); err != nil {
				return err
			}
			return errNoManagement
		}
		s.mgmt = addr
		if ms, mi, _, ok := c.a.lookup(addr); ok {
			ms.allocAt[mi] = internalSite // the allocator's own: never a leak
		}
	} else {
		s.Base += arch.VirtAddr(k.slabSize)
	}
	s.where = ListFree
	k.free.pushTail(s)
	k.freeObjects += s.Objects
	return nil
}

// freeClassic models __cache_free(): the object goes to the CPU's array;
// a full array first flushes its oldest batchcount objects to their slabs
// (cache_flusharray(), free_block()).
func (c *Cache) freeClassic(s *Slab, i int) error {
	k := c.classic
	ac := &k.arrays[c.a.CPU()]
	s.used[i] = false
	s.freeAt[i] = c.a.site()
	c.inuse--
	c.a.touch(s)
	if len(ac.entry) >= k.limit {
		n := min(k.batchcount, len(ac.entry))
		if err := c.freeBlock(ac.entry[:n]); err != nil {
			return err
		}
		ac.entry = append(ac.entry[:0], ac.entry[n:]...)
	}
	ac.entry = append(ac.entry, s.Addr(i))
	return nil
}

// freeBlock models free_block(): each object back to its slab; a slab that
// becomes free is destroyed while the node holds more than free_limit free
// objects, else goes to the head of the free list; a partial slab goes to
// the tail of the partial list.
func (c *Cache) freeBlock(objs []arch.VirtAddr) error {
	k := c.classic
	for _, addr := range objs {
		s, i, _, ok := c.a.lookup(addr)
		if !ok {
			return bug.Errorf("free_block: %#x is in no slab of %s", uint64(addr), c.Name)
		}
		c.unlinkClassic(s)
		s.freelist = append(s.freelist, uint16(i))
		s.InUse--
		k.freeObjects++
		c.a.touch(s)
		if s.InUse == 0 && k.freeObjects > k.freeLimit {
			k.freeObjects -= s.Objects
			if err := c.destroyClassicSlab(s); err != nil {
				return err
			}
			continue
		}
		c.linkClassic(s, true)
	}
	return nil
}

func (c *Cache) destroyClassicSlab(s *Slab) error {
	if s.mgmt != 0 {
		if err := c.classic.slabp.Free(s.mgmt, "slab_destroy"); err != nil {
			return err
		}
	}
	return c.discard(s)
}

// drainArrays empties every CPU's array into the slabs.
func (c *Cache) drainArrays() error {
	for i := range c.classic.arrays {
		ac := &c.classic.arrays[i]
		objs := ac.entry
		ac.entry = nil
		if err := c.freeBlock(objs); err != nil {
			return err
		}
	}
	return nil
}

// shrinkClassic models __kmem_cache_shrink() for SLAB: the arrays drained,
// every free slab destroyed. It returns the number of slabs destroyed,
// those free_block() destroyed while draining included.
func (c *Cache) shrinkClassic() (int, error) {
	before := c.nrSlabs
	if err := c.drainArrays(); err != nil {
		return before - c.nrSlabs, err
	}
	_, err := c.dropFreeSlabs(-1)
	return before - c.nrSlabs, err
}

// dropFreeSlabs destroys up to n free slabs (all when n < 0), from the
// tail of the free list, and returns how many.
func (c *Cache) dropFreeSlabs(n int) (int, error) {
	k := c.classic
	done := 0
	for k.free.tail != nil && (n < 0 || done < n) {
		s := k.free.tail
		k.free.remove(s)
		k.freeObjects -= s.Objects
		if err := c.destroyClassicSlab(s); err != nil {
			return done, err
		}
		done++
	}
	return done, nil
}

// Reap models one pass of mm/slab.c:cache_reap() over a cache: each CPU's
// array gives back (limit+4)/5 objects unless it was touched since the
// last pass (then only the mark is cleared), and the node destroys
// ceil(free_limit / (5*num)) free slabs unless a free slab was taken since
// the last pass. It returns the number of slabs destroyed, those
// free_block() destroyed for the arrays included. Under SLUB it does
// nothing.
func (c *Cache) Reap() (int, error) {
	k := c.classic
	if k == nil {
		return 0, nil
	}
	before := c.nrSlabs
	for i := range k.arrays {
		ac := &k.arrays[i]
		if ac.touched {
			ac.touched = false
			continue
		}
		n := (k.limit + 4) / 5
		if n > len(ac.entry) {
			n = (len(ac.entry) + 1) / 2
		}
		if err := c.freeBlock(ac.entry[:n]); err != nil {
			return before - c.nrSlabs, err
		}
		ac.entry = append(ac.entry[:0], ac.entry[n:]...)
	}
	if k.freeTouched {
		k.freeTouched = false
		return before - c.nrSlabs, nil
	}
	_, err := c.dropFreeSlabs((k.freeLimit + 5*c.ObjsPerSlab - 1) / (5 * c.ObjsPerSlab))
	return before - c.nrSlabs, err
}

// classicKmalloc returns the general cache that holds size bytes (SLAB).
func (a *Allocator) classicKmalloc(size int) *Cache {
	for _, c := range a.general[0] {
		if c != nil && c.ObjectSize >= size {
			return c
		}
	}
	return nil
}

// generalSizes are 2.6's general caches on a machine with 64-byte cache
// lines (include/linux/kmalloc_sizes.h): no size-96, since L1 is not
// below 64 bytes; size-192, since it is below 128.
var generalSizes = []int{32, 64, 128, 192, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072}

// createGeneralCaches models 2.6 kmem_cache_sizes_init(): size-N and
// size-N(DMA) for each size, SLAB_HWCACHE_ALIGN.
func (a *Allocator) createGeneralCaches() error {
	for _, size := range generalSizes {
		for t, suffix := range []string{"", "(DMA)"} {
			flags := SlabHWCacheAlign | SlabKmalloc
			if t == 1 {
				flags |= SlabCacheDMA
			}
			c, err := a.create(fmt.Sprintf("size-%d%s", size, suffix), size, alignment(flags, 0, size, a.ptrSize), flags, nil)
			if err != nil {
				return err
			}
			c.Kmalloc = true
			a.general[t] = append(a.general[t], c)
		}
	}
	return nil
}

// generalCache returns the general cache kmalloc uses for size under SLAB
// (__find_general_cachep()), or nil above 128 KiB.
func (a *Allocator) generalCache(size int, gfp phys.GFP) *Cache {
	t := 0
	if gfp&phys.GfpDMA != 0 {
		t = 1
	}
	for _, c := range a.general[t] {
		if c.ObjectSize >= size {
			return c
		}
	}
	return nil
}
