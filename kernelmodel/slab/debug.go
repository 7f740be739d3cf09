package slab

import (
	"fmt"
	"sort"

	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/bug"
	"mmsim/kernelmodel/phys"
)

// Slab debugging (mm/slub.c with slub_debug; include/linux/poison.h):
// poisoning, red zones, and the model's KASAN-like check of accesses to
// freed objects.

// Poison and red-zone bytes.
const (
	PoisonInUse    = 0x5a // POISON_INUSE
	PoisonFree     = 0x6b // POISON_FREE
	PoisonEnd      = 0xa5 // POISON_END
	RedInactive    = 0xbb // SLUB_RED_INACTIVE
	RedActive      = 0xcc // SLUB_RED_ACTIVE
	slubDebugFlags = SlabConsistencyChecks | SlabRedZone | SlabPoison | SlabStoreUser
	// internalSite marks objects the allocator allocates for itself.
	internalSite int32 = -1
)

// debugLayout models the debug part of mm/slub.c:calculate_sizes(): a
// right red zone of at least one word, the free pointer after the object
// when poisoning (or for a red-zoned object smaller than a pointer), a
// further word of padding and a left red zone of one word rounded up to
// the alignment before each object.
func (c *Cache) debugLayout(ptrSize int) {
	size := alignUp(c.ObjectSize, ptrSize)
	if c.Flags&SlabRedZone != 0 && size == c.ObjectSize {
		size += ptrSize
	}
	c.Inuse = size
	if c.Ctor != nil || c.Flags&(SlabTypesafeByRCU|SlabPoison) != 0 || (c.Flags&SlabRedZone != 0 && c.ObjectSize < ptrSize) {
		c.Offset = size
		size += ptrSize
	} else {
		c.Offset = (c.ObjectSize / 2) &^ (ptrSize - 1)
	}
	if c.Flags&SlabRedZone != 0 {
		size += ptrSize
		c.RedLeftPad = alignUp(ptrSize, c.Align)
		size += c.RedLeftPad
	}
	c.Size = alignUp(size, c.Align)
}

// site returns the tag of the current script position.
func (a *Allocator) site() int32 {
	if a.Site == "" {
		return 0
	}
	if i, ok := a.siteIndex[a.Site]; ok {
		return i
	}
	if a.siteIndex == nil {
		a.siteIndex = map[string]int32{}
		a.sites = []string{""}
	}
	a.sites = append(a.sites, a.Site)
	i := int32(len(a.sites) - 1)
	a.siteIndex[a.Site] = i
	return i
}

func (a *Allocator) siteName(i int32) string {
	if i <= 0 || int(i) >= len(a.sites) {
		return "an unknown place"
	}
	return a.sites[i]
}

func (a *Allocator) phys(v arch.VirtAddr) phys.PhysAddr {
	return phys.PhysAddr(uint64(v) - uint64(a.Layout.PageOffset))
}

// initObject models init_object(): under SLAB_POISON the object is
// 0x6b bytes ending in 0xa5 (when allocated as when free, as SLUB does);
// under SLAB_RED_ZONE the left red zone and the bytes from the object's
// end to inuse are 0xcc while allocated, 0xbb while free.
func (c *Cache) initObject(s *Slab, i int, active bool) {
	if c.Flags&(SlabPoison|SlabRedZone) == 0 || c.classic != nil {
		return
	}
	a := c.a
	obj := a.phys(s.Addr(i))
	red := byte(RedInactive)
	if active {
		red = RedActive
	}
	if c.Flags&SlabRedZone != 0 {
		a.Mem.FillPhys(obj-phys.PhysAddr(c.RedLeftPad), c.RedLeftPad, red)
		a.Mem.FillPhys(obj+phys.PhysAddr(c.ObjectSize), c.Inuse-c.ObjectSize, red)
	}
	if c.poisoned() {
		a.Mem.FillPhys(obj, c.ObjectSize-1, PoisonFree)
		a.Mem.WritePhys(obj+phys.PhysAddr(c.ObjectSize-1), []byte{PoisonEnd})
	}
}

// poisoned reports whether the cache's objects are poisoned: SLAB_POISON,
// but not for a cache with a constructor, whose objects keep what it wrote
// (calculate_sizes() sets __OBJECT_POISON only without s->ctor).
func (c *Cache) poisoned() bool {
	return c.Flags&SlabPoison != 0 && c.Ctor == nil
}

// checkRedZones models check_object() at free: both red zones must still
// read as active. A damaged one is slub_debug's report, and the object is
// not freed.
func (c *Cache) checkRedZones(s *Slab, i int, caller string) error {
	if c.Flags&SlabRedZone == 0 || c.classic != nil {
		return nil
	}
	a := c.a
	obj := a.phys(s.Addr(i))
	zones := []struct {
		name  string
		start phys.PhysAddr
		n     int
	}{{"Left Redzone", obj - phys.PhysAddr(c.RedLeftPad), c.RedLeftPad}, {"Right Redzone", obj + phys.PhysAddr(c.ObjectSize), c.Inuse - c.ObjectSize}}
	for _, z := range zones {
		for j, v := range a.Mem.ReadPhys(z.start, z.n) {
			if v != RedActive {
				return bug.Errorf("%s: BUG %s (Not tainted): %s overwritten: 0x%x-0x%x @offset=%d. First byte 0x%x instead of 0x%x; Object at 0x%x not freed",
					caller, c.Name, z.name, uint64(s.Addr(i))+uint64(int64(z.start-obj))+uint64(j), uint64(s.Addr(i))+uint64(int64(z.start-obj))+uint64(z.n-1), int(z.start-a.phys(s.Base))+j, v, RedActive, uint64(s.Addr(i)))
			}
		}
	}
	return nil
}

// checkPoison models check_object() at allocation: a free poisoned object
// must still hold its poison; a changed byte means someone wrote to the
// object after it was freed. SLUB reports it and restores the poison.
func (c *Cache) checkPoison(s *Slab, i int) {
	if !c.poisoned() || c.classic != nil {
		return
	}
	a := c.a
	obj := a.phys(s.Addr(i))
	b := a.Mem.ReadPhys(obj, c.ObjectSize)
	for j, v := range b {
		want := byte(PoisonFree)
		if j == len(b)-1 {
			want = PoisonEnd
		}
		if v != want {
			a.warn(fmt.Sprintf("BUG %s (Not tainted): Poison overwritten: 0x%x @offset=%d. First byte 0x%x instead of 0x%x (the object was written after it was freed at %s); Restoring poison",
				c.Name, uint64(s.Addr(i))+uint64(j), j, v, want, a.siteName(s.freeAt[i])))
			return
		}
	}
}

// Access checks a read or write of n bytes at a kernel address, as KASAN
// does for slab memory: an access to an object that is free is a
// use-after-free report (a warning: the kernel reports and goes on), unless
// it is the object a constructor is running on (Constructing). It returns
// the report, or "" when the access is fine.
func (a *Allocator) Access(addr arch.VirtAddr, n int, write bool) string {
	for j := 0; j < n; j++ { // every byte of the access, the first bad one reported
		if r := a.accessByte(addr, addr+arch.VirtAddr(j), n, write); r != "" {
			return r
		}
	}
	return ""
}

// accessByte checks byte b of an access of n bytes at addr.
func (a *Allocator) accessByte(addr, b arch.VirtAddr, n int, write bool) string {
	s, i, off, ok := a.lookup(b)
	if !ok || i < 0 || i >= s.Objects || off < 0 {
		return ""
	}
	c := s.Cache
	if s.used[i] || off >= c.Size-c.RedLeftPad || s.Addr(i) == a.Constructing {
		return ""
	}
	kind := "Read"
	if write {
		kind = "Write"
	}
	where := "was never allocated"
	if s.freeAt[i] != 0 {
		where = "was freed at " + a.siteName(s.freeAt[i])
	}
	return fmt.Sprintf("BUG: KASAN: slab-use-after-free: %s of size %d at addr %x by task mmsim\nThe buggy address belongs to the object at %x which belongs to the cache %s of size %d; the object %s",
		kind, n, uint64(addr), uint64(s.Addr(i)), c.Name, c.ObjectSize, where)
}

// Leak is an object allocated and never freed: what kmemleak reports.
type Leak struct {
	Addr  arch.VirtAddr
	Size  int
	Cache string
	Site  string
	From  *Cache // the cache the object is in; nil for a large kmalloc
}

// Leaks lists the objects still allocated, lowest address first: slab
// objects with their cache, and large kmallocs.
func (a *Allocator) Leaks() []Leak {
	var out []Leak
	for _, c := range a.caches {
		for s := range c.slabs {
			for i := 0; i < s.Objects; i++ {
				if s.used[i] && s.allocAt[i] != internalSite {
					out = append(out, Leak{s.Addr(i), c.ObjectSize, c.Name, a.siteName(s.allocAt[i]), c})
				}
			}
		}
	}
	for pfn, l := range a.large {
		if a.largeLive(pfn, l) {
			out = append(out, Leak{a.Layout.Virt(uint64(pfn.Addr())), l.size, largeTag, a.siteName(l.site), nil})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Addr < out[j].Addr })
	return out
}
