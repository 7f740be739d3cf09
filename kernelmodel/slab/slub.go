package slab

import (
	"fmt"
	"sort"

	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/bug"
	"mmsim/kernelmodel/phys"
)

// Allocator is the slab layer of a machine: its caches, the kmalloc
// caches among them, and the slab each frame belongs to.
type Allocator struct {
	Mem    *phys.Mem
	Layout *arch.Layout
	CPUs   int
	// CPU returns the CPU the current code runs on.
	CPU func() int
	// Warn prints a kernel warning.
	Warn func(msg string)

	// Mode is "slub" or "slab" (the classic allocator).
	Mode string
	// Debug turns slub_debug on for every cache: consistency checks,
	// red zones, poisoning, owner tracking.
	Debug bool
	// Constructing is the free object a constructor is running on, which
	// KASAN lets it access (setup_object() unpoisons the object around
	// the ctor call); 0 for none.
	Constructing arch.VirtAddr

	// Site names the script position of the current operation, for the
	// alloc and free sites that reports and leak lists name.
	Site      string
	sites     []string
	siteIndex map[string]int32
	general   [2][]*Cache // SLAB's size-N and size-N(DMA) caches
	caches    []*Cache    // in creation order
	slabOf    slabMap
	large     map[phys.PFN]largeAlloc
	kmalloc   [nKmallocTypes][kmallocShiftHigh + 1]*Cache
	ptrSize   int
	nextID    int

	// Checking: gen counts changes; see Check.
	gen, checked        uint64
	dirty               []*Slab
	dirtyOverflow       bool
	sinceFull, fullCost uint64
}

type largeAlloc struct {
	order int
	size  int
	site  int32
}

// Slab is one slab: a block of pages holding Objects objects of its cache.
type Slab struct {
	Cache   *Cache
	PFN     phys.PFN
	Order   int
	Base    arch.VirtAddr
	Objects int
	InUse   int

	freelist []uint16 // free objects; the next one handed out is last
	used     []bool
	// Where each object was last allocated and freed (site tags).
	allocAt, freeAt []int32
	// SLAB: the colour offset, and the off-slab management object.
	colourOff int
	mgmt      arch.VirtAddr
	where     List
	cpu       int
	prev      *Slab
	next      *Slab
}

// List says where a slab is.
type List int

const (
	ListFull       List = iota // every object in use, on no list
	ListCPU                    // a CPU's active slab
	ListCPUPartial             // on a CPU's partial list
	ListPartial                // on the node's partial list
	ListFree                   // SLAB: on the node's free list
)

func (l List) String() string {
	return [...]string{"full", "cpu", "cpu-partial", "partial", "free"}[l]
}

// Where says which list the slab is on, and for the per-CPU ones which CPU.
func (s *Slab) Where() (List, int) { return s.where, s.cpu }

// Addr is the address of object i.
func (s *Slab) Addr(i int) arch.VirtAddr {
	return s.Base + arch.VirtAddr(s.Cache.RedLeftPad+i*s.Cache.Size)
}

// Used reports whether object i is allocated.
func (s *Slab) Used(i int) bool { return s.used[i] }

// slabList is a doubly linked list of slabs (the node's partial list).
type slabList struct {
	head, tail *Slab
	n          int
}

func (l *slabList) pushTail(s *Slab) {
	s.prev, s.next = l.tail, nil
	if l.tail != nil {
		l.tail.next = s
	} else {
		l.head = s
	}
	l.tail = s
	l.n++
}

func (l *slabList) pushHead(s *Slab) {
	s.prev, s.next = nil, l.head
	if l.head != nil {
		l.head.prev = s
	} else {
		l.tail = s
	}
	l.head = s
	l.n++
}

func (l *slabList) remove(s *Slab) {
	if s.prev != nil {
		s.prev.next = s.next
	} else {
		l.head = s.next
	}
	if s.next != nil {
		s.next.prev = s.prev
	} else {
		l.tail = s.prev
	}
	s.prev, s.next = nil, nil
	l.n--
}

func sortSlabs(ss []*Slab) { sort.Slice(ss, func(i, j int) bool { return ss[i].PFN < ss[j].PFN }) }

// New builds the slab layer of a machine and creates the kmalloc caches,
// as mm/slab_common.c:create_kmalloc_caches() does at boot.
// mode is "slub" or "slab": under "slab" the classic allocator runs, with
// 2.6's general caches size-32 ... size-131072.
func New(m *phys.Mem, l *arch.Layout, cpus int, mode string, debug bool) (*Allocator, error) {
	a := &Allocator{Mem: m, Layout: l, CPUs: cpus, Mode: mode, Debug: debug, large: map[phys.PFN]largeAlloc{}, ptrSize: l.PtrSize(), checked: ^uint64(0)}
	a.CPU = func() int { return 0 }
	var err error
	switch mode {
	case "slub":
		err = a.createKmallocCaches()
	case "slab":
		err = a.createGeneralCaches()
	default:
		err = fmt.Errorf("unknown slab allocator %q", mode)
	}
	if err != nil {
		return nil, err
	}
	return a, nil
}

func (a *Allocator) warn(msg string) {
	if a.Warn != nil {
		a.Warn(msg)
	}
}

// Caches returns the caches in /proc/slabinfo's order: the newest first.
func (a *Allocator) Caches() []*Cache {
	out := make([]*Cache, len(a.caches))
	for i, c := range a.caches {
		out[len(a.caches)-1-i] = c
	}
	return out
}

// Find returns the newest cache of a name.
func (a *Allocator) Find(name string) *Cache {
	for i := len(a.caches) - 1; i >= 0; i-- {
		if a.caches[i].Name == name {
			return a.caches[i]
		}
	}
	return nil
}

// CreateError is a cache kmem_cache_create() refused: it returns NULL.
type CreateError struct{ Msg string }

func (e *CreateError) Error() string { return e.Msg }

// Create models mm/slab_common.c:kmem_cache_create(): checks, the layout,
// the order, and the cache added to the list. It may sleep (it takes
// slab_mutex), so it is a BUG in atomic context. A bad request returns a
// *CreateError (the kernel's NULL), or with SLAB_PANIC a BUG (the kernel
// panics). Caches are never merged (as with slab_nomerge).
func (a *Allocator) Create(name string, size, align int, flags Flags, ctor func(arch.VirtAddr)) (*Cache, error) {
	if err := a.Mem.MightSleep(phys.GFPKernel, "kmem_cache_create"); err != nil {
		return nil, err
	}
	var why string
	switch {
	case name == "":
		why = "the name is empty"
	case size < a.ptrSize || size > kmallocMaxSize:
		why = fmt.Sprintf("size %d is outside %d..%d", size, a.ptrSize, kmallocMaxSize)
	case align < 0 || align&(align-1) != 0:
		why = fmt.Sprintf("align %d is not a power of two", align)
	case flags&^knownFlags != 0:
		why = fmt.Sprintf("flags %#x include bits that are no SLAB_ flag (%#x)", uint32(flags), uint32(flags&^knownFlags))
	}
	if why == "" {
		c, err := a.create(name, size, alignment(flags, align, size, a.ptrSize), flags, ctor)
		if err == nil {
			return c, nil
		}
		why = err.Error()
	}
	if flags&SlabPanic != 0 {
		return nil, bug.Errorf("kmem_cache_create: Failed to create slab '%s'. Error -22 (%s; SLAB_PANIC)", name, why)
	}
	return nil, &CreateError{Msg: fmt.Sprintf("kmem_cache_create(%s) failed with error -22: %s", name, why)}
}

func (a *Allocator) create(name string, size, align int, flags Flags, ctor func(arch.VirtAddr)) (*Cache, error) {
	if a.Debug {
		flags |= slubDebugFlags
	}
	c := &Cache{Name: name, ObjectSize: size, Align: align, Flags: flags, Ctor: ctor, a: a, slabs: map[*Slab]bool{}, refcount: 1}
	c.cpu = make([]cpuSlab, a.CPUs)
	for i := range c.cpu {
		c.cpu[i].index = i
	}
	if a.Mode == "slab" {
		if err := a.createClassic(c); err != nil {
			return nil, err
		}
	} else {
		if flags&(SlabRedZone|SlabPoison) != 0 {
			c.debugLayout(a.ptrSize)
		} else {
			c.layout(a.ptrSize)
		}
		order, err := CalculateOrder(c.Size, a.CPUs)
		if err != nil {
			return nil, err
		}
		c.Order = order
		c.ObjsPerSlab = (arch.PageSize << order) / c.Size
		c.MinOrder = getOrder(c.Size)
		c.setPartial()
	}
	a.nextID++
	c.id = a.nextID
	a.caches = append(a.caches, c)
	return c, nil
}

// gfp is the mask slab pages are allocated with: the caller's reclaim
// and zone constraints plus the cache's own (allocflags).
func (c *Cache) gfp(gfp phys.GFP) phys.GFP {
	g := gfp &^ (phys.GfpZero | phys.GfpComp | phys.GfpHighmem | phys.GfpDMA32 | phys.GfpMovable | phys.GfpDMA)
	if c.Order > 0 {
		g |= phys.GfpComp
	}
	if c.Flags&SlabCacheDMA != 0 {
		g |= phys.GfpDMA
	}
	if c.Flags&SlabCacheDMA32 != 0 {
		g |= phys.GfpDMA32
	}
	if c.Flags&SlabReclaimAccount != 0 {
		g |= phys.GfpReclaimable
	}
	return g
}

// Alloc models mm/slub.c:slab_alloc_node() and ___slab_alloc(): the CPU's
// active slab, then its partial list, then the node's partial list, then
// a new slab from the page allocator. ok is false when no memory could be
// had (the kernel's NULL).
func (c *Cache) Alloc(gfp phys.GFP, caller string) (addr arch.VirtAddr, ok bool, err error) {
	addr, ok, err = c.alloc(gfp, caller)
	if ok && gfp&phys.GfpZero != 0 {
		// slab_post_alloc_hook(): __GFP_ZERO clears the object.
		c.a.Mem.FillPhys(c.a.phys(addr), c.ObjectSize, 0)
	}
	return addr, ok, err
}

func (c *Cache) alloc(gfp phys.GFP, caller string) (addr arch.VirtAddr, ok bool, err error) {
	a := c.a
	if err := a.Mem.MightSleep(gfp, caller); err != nil {
		return 0, false, err
	}
	if c.classic != nil {
		return c.allocClassic(gfp)
	}
	cs := &c.cpu[a.CPU()]
	if cs.slab == nil || len(cs.slab.freelist) == 0 {
		full := cs.slab
		if full != nil {
			full.where = ListFull // deactivate: a full slab is on no list
			cs.slab = nil
		}
		s, err := c.refill(cs, gfp)
		if err != nil && full != nil {
			// A BUG or OOM from the page allocator changed nothing there
			// (refill fails only in newSlab): nor may it here.
			c.freeze(cs, full)
		}
		if err != nil || s == nil {
			return 0, false, err
		}
	}
	s := cs.slab
	i := s.freelist[len(s.freelist)-1]
	s.freelist = s.freelist[:len(s.freelist)-1]
	c.checkPoison(s, int(i))
	c.initObject(s, int(i), true)
	s.used[i] = true
	s.allocAt[i] = a.site()
	s.InUse++
	c.inuse++
	a.touch(s)
	return s.Addr(int(i)), true, nil
}

// refill gives the CPU a new active slab.
func (c *Cache) refill(cs *cpuSlab, gfp phys.GFP) (*Slab, error) {
	if n := len(cs.partial); n > 0 {
		s := cs.partial[n-1]
		cs.partial = cs.partial[:n-1]
		c.freeze(cs, s)
		return s, nil
	}
	if s := c.partial.head; s != nil {
		// get_partial_node(): the first slab becomes the CPU's; more go
		// to its partial list until ++partial_slabs > cpu_partial_slabs
		// / 2, that is up to cpu_partial_slabs/2 + 1 slabs.
		c.partial.remove(s)
		c.freeze(cs, s)
		for moved := 0; c.CPUPartial > 0 && c.partial.head != nil && moved <= c.CPUPartialSlabs/2; moved++ {
			t := c.partial.head
			c.partial.remove(t)
			c.putCPUPartial(cs, t, false)
		}
		return s, nil
	}
	s, err := c.newSlab(gfp)
	if err != nil || s == nil {
		return nil, err
	}
	c.freeze(cs, s)
	return s, nil
}

func (c *Cache) freeze(cs *cpuSlab, s *Slab) {
	cs.slab = s
	s.where = ListCPU
	s.cpu = int(cpuIndex(c, cs))
}

// cpuIndex is the CPU a per-CPU slot belongs to.
func cpuIndex(c *Cache, cs *cpuSlab) int { return cs.index }

// newSlab models mm/slub.c:allocate_slab(): the cache's order first,
// quietly (__GFP_NOWARN|__GFP_NORETRY), then the smallest order that holds
// one object with the caller's flags; the pages are marked PG_slab, the
// objects threaded on the free list in address order, and the constructor
// run on each.
func (c *Cache) newSlab(gfp phys.GFP) (*Slab, error) {
	a := c.a
	// new_slab() fixes up __GFP_HIGHMEM and __GFP_DMA32 with
	// kmalloc_fix_flags()'s warning: only when a slab is needed.
	pages := c.gfp(a.fixFlags(gfp))
	first := (pages | phys.GfpNoWarn | phys.GfpNoRetry) &^ phys.GfpNoFail
	if first.CanSleep() && c.Order > c.MinOrder {
		first = (first | phys.GfpNoMemalloc) &^ phys.GfpReclaim
	}
	if c.classic != nil {
		first = pages // 2.6's kmem_getpages(): one try, with the caller's flags
	}
	order := c.Order
	pfn, ok, err := a.Mem.AllocPages(phys.Request{GFP: first, Order: order, Owner: phys.OwnerSlab, Tag: c.Name, Caller: "new_slab"})
	if err != nil {
		return nil, err
	}
	// allocate_slab() retries with s->min and the caller's flags whenever
	// the quiet first try fails, even at the same order: this try may
	// reclaim, call the OOM killer, and warns when it fails. (The classic
	// SLAB's kmem_getpages() tries once.)
	if !ok && c.classic == nil {
		order = c.MinOrder
		g := pages &^ phys.GfpComp
		if order > 0 {
			g |= phys.GfpComp
		}
		pfn, ok, err = a.Mem.AllocPages(phys.Request{GFP: g, Order: order, Owner: phys.OwnerSlab, Tag: c.Name, Caller: "new_slab"})
		if err != nil {
			return nil, err
		}
	}
	if !ok {
		if gfp&phys.GfpNoWarn == 0 && c.classic == nil { // 2.6's SLAB has no such report
			n := c.Counts()
			a.warn(fmt.Sprintf("SLUB: Unable to allocate memory on node -1, gfp=%s\n  cache: %s, object size: %d, buffer size: %d, default order: %d, min order: %d\n  node 0: slabs: %d, objs: %d, free: %d",
				gfp.Mode(), c.Name, c.ObjectSize, c.Size, c.Order, c.MinOrder, n.Slabs, n.Objs, n.Objs-n.InUse))
		}
		return nil, nil
	}
	if err := a.Mem.SetPageFlags(pfn, phys.PGSlab, 0, phys.OwnerSlab, c.Name); err != nil {
		return nil, err
	}
	objects := (arch.PageSize << order) / c.Size
	if c.classic != nil {
		objects = c.ObjsPerSlab
	}
	s := &Slab{Cache: c, PFN: pfn, Order: order, Base: a.Layout.Virt(uint64(pfn.Addr())), Objects: objects,
		freelist: make([]uint16, objects), used: make([]bool, objects), allocAt: make([]int32, objects), freeAt: make([]int32, objects)}
	for i := range s.freelist {
		s.freelist[i] = uint16(objects - 1 - i)
	}
	for i := phys.PFN(0); i < 1<<order; i++ {
		a.slabOf.set(pfn+i, s)
	}
	c.slabs[s] = true
	a.touch(s)
	c.nrSlabs++
	c.nrObjs += objects
	if c.classic != nil {
		if err := c.growClassic(s); err != nil {
			return nil, err
		}
	}
	for i := 0; i < objects; i++ {
		c.initObject(s, i, false)
	}
	if c.Ctor != nil {
		for i := 0; i < objects; i++ {
			c.Ctor(s.Addr(i))
		}
	}
	return s, nil
}

// discard models mm/slub.c:discard_slab(): the slab's pages go back to the
// buddy allocator.
func (c *Cache) discard(s *Slab) error {
	a := c.a
	if err := a.Mem.SetPageFlags(s.PFN, 0, phys.PGSlab|phys.PGHead, phys.OwnerNone, ""); err != nil {
		return err
	}
	if err := a.Mem.FreePages(s.PFN, s.Order); err != nil {
		return err
	}
	for i := phys.PFN(0); i < 1<<s.Order; i++ {
		a.slabOf.set(s.PFN+i, nil)
	}
	delete(c.slabs, s)
	a.gen++
	c.nrSlabs--
	c.nrObjs -= s.Objects
	return nil
}

// putCPUPartial models mm/slub.c:put_cpu_partial(): the slab goes to the
// head of the CPU's partial list; when draining and the list already holds
// cpu_partial_slabs slabs, those move to the node first.
func (c *Cache) putCPUPartial(cs *cpuSlab, s *Slab, drain bool) error {
	if drain && len(cs.partial) >= c.CPUPartialSlabs {
		old := cs.partial
		cs.partial = nil
		if err := c.putPartials(old); err != nil {
			return err
		}
	}
	s.where, s.cpu = ListCPUPartial, cpuIndex(c, cs)
	cs.partial = append(cs.partial, s)
	return nil
}

// putPartials models mm/slub.c:__put_partials(): slabs from a CPU's
// partial list go to the tail of the node's, except empty ones while the
// node already keeps min_partial slabs, which are discarded. The list is
// taken from its head (the most recently added slab).
func (c *Cache) putPartials(list []*Slab) error {
	for i := len(list) - 1; i >= 0; i-- {
		s := list[i]
		if s.InUse == 0 && c.partial.n >= c.MinPartial {
			if err := c.discard(s); err != nil {
				return err
			}
			continue
		}
		s.where = ListPartial
		c.partial.pushTail(s)
	}
	return nil
}

// ObjectError is a pointer that is no live object of a cache. Its message
// is the kernel's (slub_debug's report, or kfree's warning).
type ObjectError = bug.Error

// lookup finds the slab and object index of an address.
func (a *Allocator) lookup(addr arch.VirtAddr) (*Slab, int, int, bool) {
	if !a.Layout.IsLowmem(addr) {
		return nil, 0, 0, false
	}
	pfn := phys.PFN((uint64(addr) - uint64(a.Layout.PageOffset)) >> arch.PageShift)
	s := a.slabOf.get(pfn)
	if s == nil {
		return nil, 0, 0, false
	}
	if addr < s.Base {
		return s, -1, int(s.Base - addr), true // colour or management area
	}
	rel := int(addr - s.Base)
	return s, rel / s.Cache.Size, rel%s.Cache.Size - s.Cache.RedLeftPad, true
}

// Free models mm/slub.c:kmem_cache_free() and __slab_free(): the object
// goes back to its slab's free list. A full slab moves to the CPU's partial
// list; a slab that becomes empty on the node's partial list is discarded
// when the node keeps min_partial slabs already. A pointer into another
// cache's slab is the kernel's "Wrong slab cache" warning, and the object
// is freed into the cache it came from; a pointer that is not the start of
// an allocated object is a BUG, and nothing changes.
func (c *Cache) Free(addr arch.VirtAddr, caller string) error {
	a := c.a
	s, i, off, ok := a.lookup(addr)
	if !ok {
		return bug.Errorf("%s: %#x is not an object of %s (it is in no slab)", caller, uint64(addr), c.Name)
	}
	if s.Cache != c {
		a.warn(fmt.Sprintf("%s: Wrong slab cache. %s but object is from %s", caller, c.Name, s.Cache.Name))
	}
	return s.Cache.free(s, i, off, addr, caller)
}

func (c *Cache) free(s *Slab, i, off int, addr arch.VirtAddr, caller string) error {
	if err := c.freeCheck(s, i, off, addr, caller); err != nil {
		return err
	}
	s.freeAt[i] = c.a.site()
	if c.classic != nil {
		return c.freeClassic(s, i)
	}
	wasFull := s.InUse == s.Objects
	c.a.touch(s)
	c.initObject(s, i, false)
	s.used[i] = false
	s.freelist = append(s.freelist, uint16(i))
	s.InUse--
	c.inuse--
	switch {
	case s.where == ListCPU:
		return nil // the CPU's active slab: nothing moves
	case wasFull && c.CPUPartial > 0:
		return c.putCPUPartial(&c.cpu[c.a.CPU()], s, true)
	case wasFull && s.InUse == 0 && c.partial.n >= c.MinPartial:
		// A one-object slab emptied without CPU partial lists: on no
		// list, discarded like any empty slab (slab_empty, prior NULL).
		return c.discard(s)
	case wasFull:
		s.where = ListPartial
		c.partial.pushTail(s)
	case s.InUse == 0 && s.where == ListPartial && c.partial.n >= c.MinPartial:
		c.partial.remove(s)
		return c.discard(s)
	}
	return nil
}

// freeCheck makes the checks of free() before anything changes: the
// pointer is the start of an object, the object is allocated, and its red
// zones are intact.
func (c *Cache) freeCheck(s *Slab, i, off int, addr arch.VirtAddr, caller string) error {
	if off != 0 || i < 0 || i >= s.Objects {
		return bug.Errorf("%s: BUG %s (Not tainted): Invalid object pointer %#x (byte %d of object %d of the slab at pfn %#x)", caller, c.Name, uint64(addr), off, i, uint64(s.PFN))
	}
	if !s.used[i] {
		return bug.Errorf("%s: BUG %s (Not tainted): Object already free: %#x (object %d of the slab at pfn %#x, freed at %s)", caller, c.Name, uint64(addr), i, uint64(s.PFN), c.a.siteName(s.freeAt[i]))
	}
	return c.checkRedZones(s, i, caller)
}

// Shrink models mm/slub.c:__kmem_cache_shrink(): every CPU's slabs are
// flushed to the node, every empty slab is discarded, and the partial list
// is sorted fullest first. It returns the number of slabs discarded.
func (c *Cache) Shrink() (int, error) {
	if c.classic != nil {
		return c.shrinkClassic()
	}
	before := c.nrSlabs
	if err := c.flush(); err != nil {
		return 0, err
	}
	var keep []*Slab
	for s := c.partial.head; s != nil; {
		next := s.next
		c.partial.remove(s)
		if s.InUse == 0 {
			if err := c.discard(s); err != nil {
				return 0, err
			}
		} else {
			keep = append(keep, s)
		}
		s = next
	}
	sort.SliceStable(keep, func(i, j int) bool { return keep[i].InUse > keep[j].InUse })
	for _, s := range keep {
		c.partial.pushTail(s)
	}
	return before - c.nrSlabs, nil
}

// flush models flush_all(): each CPU's active slab is deactivated (to the
// head of the node's partial list if it has free objects, discarded if empty and the
// node keeps enough) and its partial list put to the node.
func (c *Cache) flush() error {
	for i := range c.cpu {
		cs := &c.cpu[i]
		if s := cs.slab; s != nil {
			cs.slab = nil
			switch {
			case s.InUse == 0 && c.partial.n >= c.MinPartial:
				if err := c.discard(s); err != nil {
					return err
				}
			case s.InUse < s.Objects:
				s.where = ListPartial
				c.partial.pushHead(s) // deactivate_slab(): DEACTIVATE_TO_HEAD
			default:
				s.where = ListFull
			}
		}
		old := cs.partial
		cs.partial = nil
		if err := c.putPartials(old); err != nil {
			return err
		}
	}
	return nil
}

// DestroyError is kmem_cache_destroy() of a cache with live objects: the
// kernel warns and keeps the cache.
type DestroyError struct{ Msg string }

func (e *DestroyError) Error() string { return e.Msg }

// Destroy models mm/slab_common.c:kmem_cache_destroy(): the cache is
// shrunk and, when no object is left, removed with its slabs. With objects
// left the kernel warns "Slab cache still has objects" and the cache
// stays; the model returns a *DestroyError and warns the same.
func (c *Cache) Destroy() error {
	a := c.a
	if err := a.Mem.MightSleep(phys.GFPKernel, "kmem_cache_destroy"); err != nil {
		return err
	}
	if c.Kmalloc {
		return bug.Errorf("kmem_cache_destroy: %s is a kmalloc cache, which is never destroyed", c.Name)
	}
	if c.Kernel {
		return bug.Errorf("kmem_cache_destroy: %s is the kernel's own cache, which is never destroyed", c.Name)
	}
	if c.refcount == 0 {
		return bug.Errorf("kmem_cache_destroy: %s was destroyed already", c.Name)
	}
	if _, err := c.Shrink(); err != nil {
		return err
	}
	if c.inuse > 0 {
		msg := fmt.Sprintf("kmem_cache_destroy %s: Slab cache still has objects when called from kmem_cache_destroy (%d in use)", c.Name, c.inuse)
		a.warn(msg)
		return &DestroyError{Msg: msg}
	}
	c.refcount = 0
	for i, x := range a.caches {
		if x == c {
			a.caches = append(a.caches[:i], a.caches[i+1:]...)
			break
		}
	}
	return nil
}

// Destroyed reports whether the cache was destroyed.
func (c *Cache) Destroyed() bool { return c.refcount == 0 }

// slabMap maps frames to the slabs they belong to, in sections of 4096
// frames created on first use (as struct pages are), so that a lookup is
// two indexing steps whatever the size of memory.
type slabMap struct{ sections [][]*Slab }

const slabMapShift = 12

func (m *slabMap) get(pfn phys.PFN) *Slab {
	i := int(pfn >> slabMapShift)
	if i >= len(m.sections) || m.sections[i] == nil {
		return nil
	}
	return m.sections[i][pfn&(1<<slabMapShift-1)]
}

func (m *slabMap) set(pfn phys.PFN, s *Slab) {
	i := int(pfn >> slabMapShift)
	if i >= len(m.sections) {
		if s == nil {
			return
		}
		m.sections = append(m.sections, make([][]*Slab, i+1-len(m.sections))...)
	}
	if m.sections[i] == nil {
		if s == nil {
			return
		}
		m.sections[i] = make([]*Slab, 1<<slabMapShift)
	}
	m.sections[i][pfn&(1<<slabMapShift-1)] = s
}
