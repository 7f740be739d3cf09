package stdlib

import (
	"errors"
	"fmt"

	"mmsim/kernelmodel"
	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/phys"
	"mmsim/kernelmodel/slab"
	"mmsim/runtime"
)

// The slab layer: kmem_cache_* and the kmalloc family (include/linux/slab.h).

func init() {
	for _, f := range slab.FlagNames {
		Constant(f.Name, runtime.Int(f.Value))
	}
	Constant("ZERO_SIZE_PTR", runtime.Ptr{Addr: uint64(slab.ZeroSizePtr)})
	Constant("KMALLOC_MAX_CACHE_SIZE", runtime.Int(slab.KmallocMaxCacheSize))
	Constant("KMALLOC_MAX_SIZE", runtime.Int(slab.KmallocMaxSize))

	registerModel("kmem_cache_create", "kmem_cache_create(name, size, align=0, flags=0, ctor=fn): a new cache, or NULL", builtinCacheCreate)
	registerModel("kmem_cache_alloc", "kmem_cache_alloc(cache, gfp): an object, or NULL", builtinCacheAlloc(0))
	registerModel("kmem_cache_zalloc", "kmem_cache_zalloc(cache, gfp): a zeroed object, or NULL", builtinCacheAlloc(phys.GfpZero))
	registerModel("kmem_cache_free", "kmem_cache_free(cache, p): give an object back", builtinCacheFree)
	registerModel("kmem_cache_shrink", "kmem_cache_shrink(cache): give empty slabs back to the page allocator; the number of slabs freed", builtinCacheShrink)
	registerModel("kmem_cache_destroy", "kmem_cache_destroy(cache): remove an empty cache (one with objects left warns and stays)", builtinCacheDestroy)
	registerModel("kmem_cache", "kmem_cache(name): the newest cache of that name", builtinCacheByName)
	registerModel("cache_reap", "cache_reap(): one pass of SLAB's periodic reaper over every cache; the number of slabs freed (0 under SLUB)", builtinCacheReap)
	registerModel("kmalloc_cache", "kmalloc_cache(size, gfp=GFP_KERNEL): the cache kmalloc would use, or NULL when it would use none (above 8K; above 128K with slab=slab)", builtinKmallocCache)
	registerModel("kmalloc", "kmalloc(size, gfp): size bytes from the kmalloc caches (or pages above 8K); NULL on failure", builtinKmalloc(0))
	registerModel("kzalloc", "kzalloc(size, gfp): kmalloc with __GFP_ZERO", builtinKmalloc(phys.GfpZero))
	registerModel("kmalloc_array", "kmalloc_array(n, size, gfp): n*size bytes, NULL if that overflows", builtinKmallocArray(0))
	registerModel("kcalloc", "kcalloc(n, size, gfp): kmalloc_array with __GFP_ZERO", builtinKmallocArray(phys.GfpZero))
	registerModel("krealloc", "krealloc(p, size, gfp): resize an object: the same pointer when it fits, else a new one", builtinKrealloc)
	registerModel("kfree", "kfree(p): give back what kmalloc returned (NULL and ZERO_SIZE_PTR do nothing)", builtinKfree)
	registerModel("ksize", "ksize(p): the usable size of a kmalloc object", builtinKsize)
	registerModel("kmalloc_size_roundup", "kmalloc_size_roundup(size): the size kmalloc really gives for size", builtinSizeRoundup)
	registerModel("virt_to_phys", "virt_to_phys(addr): the physical address of a direct-map address", builtinVirtToPhys)
	registerModel("phys_contiguous", "phys_contiguous(p): whether an object's bytes are contiguous in physical memory", builtinPhysContiguous)
}

// Cache is a kmem_cache handle.
type Cache struct {
	m *kernelmodel.Machine
	c *slab.Cache
}

func (c Cache) String() string {
	s := fmt.Sprintf("cache %s (%d-byte objects", c.c.Name, c.c.ObjectSize)
	if c.c.Destroyed() {
		return s + ", destroyed)"
	}
	return s + fmt.Sprintf(", %d per order-%d slab)", c.c.ObjsPerSlab, c.c.Order)
}
func (Cache) Type() string { return "cache" }
func (Cache) Truth() bool  { return true }

var cacheAttrs = []string{"active_objs", "active_slabs", "align", "batchcount", "colour", "colour_off", "cpu_partial", "free", "full", "limit", "min_partial", "name", "num_objs", "num_slabs", "object_size", "objs_per_slab", "off_slab", "offset", "order", "partial", "size"}

// AttrNames implements runtime.HasAttrs.
func (Cache) AttrNames() []string { return cacheAttrs }

// Attr implements runtime.HasAttrs.
func (c Cache) Attr(name string) (runtime.Value, error) {
	k := c.c
	n := k.Counts()
	colour, colourOff := k.Colour()
	limit, batch, _ := k.Tunables()
	v := map[string]int{
		"object_size": k.ObjectSize, "size": k.Size, "align": k.Align, "order": k.Order, "objs_per_slab": k.ObjsPerSlab,
		"offset": k.Offset, "min_partial": k.MinPartial, "cpu_partial": k.CPUPartial,
		"active_objs": n.ActiveObjs, "num_objs": n.Objs, "active_slabs": n.ActiveSlabs, "num_slabs": n.Slabs,
		"partial": n.Partial, "full": n.Full, "free": n.Free, "colour": colour, "colour_off": colourOff,
		"limit": limit, "batchcount": batch,
	}
	switch name {
	case "name":
		return runtime.String(k.Name), nil
	case "off_slab":
		return runtime.Bool(k.OffSlab()), nil
	}
	if x, ok := v[name]; ok {
		return runtime.Int(x), nil
	}
	return nil, nil
}

// slabOrigin is the provenance of a slab object or large kmalloc.
type slabOrigin struct {
	cache string
	pfn   phys.PFN
	index int
	large int // pages of a large kmalloc, else 0
}

func (o slabOrigin) Describe() string {
	if o.large > 0 {
		return fmt.Sprintf("kmalloc of %d pages at pfn %#x", o.large, uint64(o.pfn))
	}
	return fmt.Sprintf("%s object %d, slab pfn %#x", o.cache, o.index, uint64(o.pfn))
}

// objPtr makes the pointer value of an address the slab layer returned.
func objPtr(m *kernelmodel.Machine, addr arch.VirtAddr) runtime.Value {
	if addr == slab.ZeroSizePtr {
		return runtime.Ptr{Addr: uint64(addr)}
	}
	o, ok := m.Slab.Lookup(addr)
	switch {
	case !ok:
		return runtime.Ptr{Addr: uint64(addr)}
	case o.Large:
		return runtime.Ptr{Addr: uint64(addr), Origin: slabOrigin{pfn: o.PFN, large: 1 << o.LargeOrder}}
	}
	return runtime.Ptr{Addr: uint64(addr), Origin: slabOrigin{cache: o.Cache.Name, pfn: o.Slab.PFN, index: o.Index}}
}

func argCache(m *kernelmodel.Machine, c *runtime.Call, v runtime.Value) (*slab.Cache, error) {
	k, ok := v.(Cache)
	if !ok {
		if v == runtime.Null {
			return nil, fmt.Errorf("%s: the cache is NULL (did kmem_cache_create fail?)", c.Name)
		}
		return nil, fmt.Errorf("%s: want a cache, not %s", c.Name, v.Type())
	}
	if k.m != m {
		return nil, fmt.Errorf("%s: this cache belongs to a machine that has been rebooted", c.Name)
	}
	if k.c.Destroyed() {
		return nil, fmt.Errorf("%s: cache %s has been destroyed", c.Name, k.c.Name)
	}
	return k.c, nil
}

func intArg(c *runtime.Call, name string, v int64) (int, error) {
	if v < -1<<40 || v > 1<<40 {
		return 0, fmt.Errorf("%s: %s %d is out of range", c.Name, name, v)
	}
	return int(v), nil
}

// kmallocSize is a kmalloc size argument: every size above
// KMALLOC_MAX_SIZE fails alike (NULL, with the page allocator's warning),
// so such sizes become KMALLOC_MAX_SIZE + 1, from which no order computed
// overflows.
func kmallocSize(size int64) int {
	return int(min(size, slab.KmallocMaxSize+1))
}

func builtinCacheCreate(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	var name string
	var size, align, flags int64
	var ctor runtime.Value
	if err := c.Unpack("name", &name, "size", &size, "align?", &align, "flags?", &flags, "ctor?", &ctor); err != nil {
		return nil, err
	}
	// Create refuses a size outside pointer size..4 MiB, with the warning
	// and NULL, before it computes anything from it.
	sz := int(size)
	if flags < 0 || flags > 0xffffffff {
		return nil, fmt.Errorf("%s: flags %#x are not SLAB_ flags", c.Name, flags)
	}
	var fn func(arch.VirtAddr)
	if ctor != nil && ctor != runtime.Null {
		switch ctor.(type) {
		case *runtime.Function, *runtime.Builtin:
		default:
			return nil, fmt.Errorf("%s: ctor must be a function, not %s", c.Name, ctor.Type())
		}
		// The model calls this for each object of a new slab; the
		// script's constructor runs once the operation is done (withCtors).
		fn = func(addr arch.VirtAddr) {
			p := pendingCtors(th)
			*p = append(*p, pendingCtor{ctor, addr})
		}
	}
	al, err := intArg(c, "align", align)
	if err != nil {
		return nil, err
	}
	k, err := m.Slab.Create(name, sz, al, slab.Flags(flags), fn)
	var ce *slab.CreateError
	if errors.As(err, &ce) {
		m.Warn(ce.Msg)
		return runtime.Null, nil
	}
	if err != nil {
		return nil, err
	}
	return Cache{m, k}, nil
}

// pendingCtor is a script constructor still to run on a new object.
type pendingCtor struct {
	fn   runtime.Value
	addr arch.VirtAddr
}

// pendingCtors is the thread's list of constructors to run.
func pendingCtors(th *runtime.Thread) *[]pendingCtor {
	if v, ok := th.Local("slab.pending").(*[]pendingCtor); ok {
		return v
	}
	v := new([]pendingCtor)
	th.SetLocal("slab.pending", v)
	return v
}

// withCtors runs a slab-layer operation and then the script constructors
// of the slabs it created, on each of their objects, in address order.
// (The kernel runs them while creating the slab; running them after keeps
// a constructor that calls back into the slab layer from meeting a half-made
// slab.) The operation's warnings are reported at c first; a constructor
// may access its free object (KASAN leaves it alone); when a constructor
// fails, undo gives back what the operation took, and the error is the
// operation's.
func withCtors(th *runtime.Thread, m *kernelmodel.Machine, c *runtime.Call, op func() error, undo func()) error {
	p := pendingCtors(th)
	*p = (*p)[:0]
	err := op()
	todo := append([]pendingCtor(nil), *p...)
	*p = (*p)[:0]
	if err != nil {
		return err
	}
	for _, w := range m.TakeWarnings() {
		th.Warn(c.Pos, w)
	}
	site, constructing := m.Slab.Site, m.Slab.Constructing
	for _, pc := range todo {
		m.Slab.Constructing = pc.addr
		_, err := th.Call(pc.fn, []runtime.Value{objPtr(m, pc.addr)}, c.Pos)
		m.Slab.Site, m.Slab.Constructing = site, constructing
		if err != nil {
			undo()
			return err
		}
	}
	return nil
}

func builtinCacheAlloc(extra phys.GFP) modelBuiltin {
	return func(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
		var cv runtime.Value
		var g int64
		if err := c.Unpack("cache", &cv, "gfp", &g); err != nil {
			return nil, err
		}
		k, err := argCache(m, c, cv)
		if err != nil {
			return nil, err
		}
		gfp, err := argGFP(c, g)
		if err != nil {
			return nil, err
		}
		var addr arch.VirtAddr
		var ok bool
		err = withCtors(th, m, c, func() error {
			var err error
			addr, ok, err = k.Alloc(gfp|extra, c.Name)
			return err
		}, func() {
			if ok {
				k.Free(addr, c.Name) // a constructor that freed it already made this a no-op
			}
		})
		if err != nil || !ok {
			return runtime.Null, err
		}
		return objPtr(m, addr), nil
	}
}

func builtinCacheFree(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	var cv runtime.Value
	var addr uint64
	if err := c.Unpack("cache", &cv, "p", &addr); err != nil {
		return nil, err
	}
	k, err := argCache(m, c, cv)
	if err != nil {
		return nil, err
	}
	if err := vmallocOwned(m, c, addr); err != nil {
		return nil, err
	}
	return nil, k.Free(arch.VirtAddr(addr), c.Name)
}

// vmallocOwned refuses to free an object vmalloc allocated for an area of
// its own: vfree frees it, and freeing it first is the double free the
// kernel would report then.
func vmallocOwned(m *kernelmodel.Machine, c *runtime.Call, addr uint64) error {
	if what, ok := m.Vmalloc.ObjectOf(arch.VirtAddr(addr)); ok {
		return runtime.Errorf(runtime.KindBug, "%s(%#x): the object is %s, which vfree frees (freeing it here is a double free to come)", c.Name, addr, what)
	}
	return nil
}

func builtinCacheShrink(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	var cv runtime.Value
	if err := c.Unpack("cache", &cv); err != nil {
		return nil, err
	}
	k, err := argCache(m, c, cv)
	if err != nil {
		return nil, err
	}
	n, err := k.Shrink()
	return runtime.Int(n), err
}

func builtinCacheDestroy(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	var cv runtime.Value
	if err := c.Unpack("cache", &cv); err != nil {
		return nil, err
	}
	if cv == runtime.Null {
		return nil, nil // kmem_cache_destroy(NULL) does nothing
	}
	k, err := argCache(m, c, cv)
	if err != nil {
		return nil, err
	}
	var de *slab.DestroyError
	if err := k.Destroy(); err != nil && !errors.As(err, &de) {
		return nil, err
	}
	return nil, nil
}

func builtinCacheByName(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	var name string
	if err := c.Unpack("name", &name); err != nil {
		return nil, err
	}
	k := m.Slab.Find(name)
	if k == nil {
		return nil, fmt.Errorf("%s: no cache named %q", c.Name, name)
	}
	return Cache{m, k}, nil
}

func builtinKmallocCache(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	var size int64
	g := int64(phys.GFPKernel)
	if err := c.Unpack("size", &size, "gfp?", &g); err != nil {
		return nil, err
	}
	gfp, err := argGFP(c, g)
	if err != nil {
		return nil, err
	}
	if size < 0 || size > slab.KmallocMaxSize {
		return runtime.Null, nil
	}
	k := m.Slab.KmallocCache(int(size), gfp)
	if k == nil {
		return runtime.Null, nil
	}
	return Cache{m, k}, nil
}

func builtinKmalloc(extra phys.GFP) modelBuiltin {
	return func(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
		var size, g int64
		if err := c.Unpack("size", &size, "gfp", &g); err != nil {
			return nil, err
		}
		gfp, err := argGFP(c, g)
		if err != nil {
			return nil, err
		}
		addr, ok, err := m.Slab.Kmalloc(kmallocSize(size), gfp|extra, c.Name)
		if err != nil || !ok {
			return runtime.Null, err
		}
		return objPtr(m, addr), nil
	}
}

func builtinKmallocArray(extra phys.GFP) modelBuiltin {
	return func(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
		var n, size, g int64
		if err := c.Unpack("n", &n, "size", &size, "gfp", &g); err != nil {
			return nil, err
		}
		gfp, err := argGFP(c, g)
		if err != nil {
			return nil, err
		}
		if n < 0 || size < 0 {
			return nil, fmt.Errorf("%s: negative count or size", c.Name)
		}
		addr, ok, err := m.Slab.KmallocArray(int(n), int(size), gfp|extra, c.Name)
		if err != nil || !ok {
			return runtime.Null, err
		}
		return objPtr(m, addr), nil
	}
}

func builtinKrealloc(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	var addr uint64
	var size, g int64
	if err := c.Unpack("p", &addr, "size", &size, "gfp", &g); err != nil {
		return nil, err
	}
	gfp, err := argGFP(c, g)
	if err != nil {
		return nil, err
	}
	if size < 0 {
		return nil, fmt.Errorf("%s: size %d is negative", c.Name, size)
	}
	n, ok, err := m.Slab.Krealloc(arch.VirtAddr(addr), kmallocSize(size), gfp, c.Name)
	if err != nil || !ok {
		return runtime.Null, err
	}
	return objPtr(m, n), nil
}

func builtinKfree(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	var addr uint64
	if err := c.Unpack("p", &addr); err != nil {
		return nil, err
	}
	if m.Layout.IsVmalloc(arch.VirtAddr(addr)) {
		// virt_to_folio() of a vmalloc address is garbage: the kernel
		// crashes somewhere in kfree.
		return nil, runtime.Errorf(runtime.KindBug, "kfree(%#x): a vmalloc address has no slab behind it (use vfree; kvfree() tells the two apart)", addr)
	}
	if err := vmallocOwned(m, c, addr); err != nil {
		return nil, err
	}
	return nil, m.Slab.Kfree(arch.VirtAddr(addr), c.Name)
}

func builtinKsize(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	var addr uint64
	if err := c.Unpack("p", &addr); err != nil {
		return nil, err
	}
	n, err := m.Slab.Ksize(arch.VirtAddr(addr), c.Name)
	return runtime.Int(n), err
}

func builtinSizeRoundup(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	var size int64
	if err := c.Unpack("size", &size); err != nil {
		return nil, err
	}
	sz, err := intArg(c, "size", size)
	if err != nil {
		return nil, err
	}
	return runtime.Int(m.Slab.SizeRoundup(sz)), nil
}

func builtinVirtToPhys(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	var addr uint64
	if err := c.Unpack("addr", &addr); err != nil {
		return nil, err
	}
	l := m.Layout
	if k := l.KernelText; k != 0 && addr >= uint64(k) && addr < uint64(k)+(l.KernelEnd+2<<20-1)&^(2<<20-1) {
		// x86_64's __phys_addr(): the kernel image's own mapping at
		// __START_KERNEL_map (2 MiB pages up to the image's rounded end)
		// translates too.
		return runtime.Ptr{Addr: addr - uint64(k)}, nil
	}
	if !l.IsLowmem(arch.VirtAddr(addr)) {
		return nil, fmt.Errorf("%s: %#x is not a direct-map address (lowmem is %#x-%#x): %s", c.Name, addr, uint64(l.PageOffset), uint64(l.HighMemory)-1, addrRule(m, addr))
	}
	return runtime.Ptr{Addr: addr - uint64(l.PageOffset)}, nil
}

func builtinPhysContiguous(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	var addr uint64
	if err := c.Unpack("p", &addr); err != nil {
		return nil, err
	}
	// Everything in the direct map is physically contiguous; a vmalloc
	// area is when its pages happen to be consecutive frames.
	if a, ok := m.Vmalloc.Find(arch.VirtAddr(addr)); ok {
		return runtime.Bool(a.PhysContiguous()), nil
	}
	return runtime.Bool(m.Layout.IsLowmem(arch.VirtAddr(addr))), nil
}

// builtinCacheReap runs one pass of mm/slab.c:cache_reap() over every
// cache, as the kernel's timer does every few seconds.
func builtinCacheReap(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	if err := c.Unpack(); err != nil {
		return nil, err
	}
	total := 0
	for _, k := range m.Slab.Caches() {
		n, err := k.Reap()
		if err != nil {
			return nil, err
		}
		total += n
	}
	return runtime.Int(total), nil
}
