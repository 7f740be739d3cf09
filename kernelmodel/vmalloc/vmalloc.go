// Package vmalloc models the kernel's vmalloc area (mm/vmalloc.c):
// virtually contiguous kernel memory made of single pages from anywhere in
// physical memory, mapped through init_mm's page tables, each area
// followed by a guard page, freed lazily as far as the TLB is concerned.
package vmalloc

import (
	"fmt"
	"math/bits"
	"sort"

	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/bug"
	"mmsim/kernelmodel/pgtable"
	"mmsim/kernelmodel/phys"
	"mmsim/kernelmodel/slab"
	"mmsim/kernelmodel/tlb"
)

// Flags are a vm_struct's VM_* flags the model uses.
type Flags uint32

const (
	VMAlloc   Flags = 1 << 1 // VM_ALLOC: pages allocated by vmalloc
	VMUserMap Flags = 1 << 3 // VM_USERMAP: may be mapped to user space (vmalloc_user)
	VMNoGuard Flags = 1 << 6 // VM_NO_GUARD: no guard page
)

// State is where an area is in its life.
type State int

const (
	Busy     State = iota // mapped and in use
	Deferred              // vfree()d in interrupt context, waiting for the workqueue
	Lazy                  // unmapped; its addresses wait for the lazy TLB purge
)

// Area is a vmap area with its vm_struct: [Addr, Addr+Size) including the
// guard page. VMStruct and VmapArea are the addresses of the kernel's own
// objects describing it.
type Area struct {
	VMStruct, VmapArea arch.VirtAddr
	Addr               arch.VirtAddr
	Size               uint64
	Pages              []phys.PFN
	Flags              Flags
	Caller             string
	State              State
	// Array is the address of the page-pointer array: kmalloc()ed, or
	// vmalloc()ed (ArrayArea) when larger than a page.
	Array     arch.VirtAddr
	ArrayArea *Area
}

// End is the first address after the area's guard page.
func (a *Area) End() arch.VirtAddr { return a.Addr + arch.VirtAddr(a.Size) }

// DataSize is the usable size, without the guard page
// (get_vm_area_size()).
func (a *Area) DataSize() uint64 {
	if a.Flags&VMNoGuard != 0 {
		return a.Size
	}
	return a.Size - arch.PageSize
}

// Contains reports whether va lies in the area's pages (not the guard).
func (a *Area) Contains(va arch.VirtAddr) bool {
	return va >= a.Addr && uint64(va-a.Addr) < a.DataSize()
}

// Stats count what the allocator did.
type Stats struct {
	Allocs, Frees, Failures uint64
	// Purges counts lazy TLB purges; DeferredFrees the vfree()s made
	// from interrupt context.
	Purges, DeferredFrees uint64
}

// Allocator is the vmalloc area of one machine.
type Allocator struct {
	Layout *arch.Layout
	Mem    *phys.Mem
	Slab   *slab.Allocator
	PT     *pgtable.Tables
	MMU    *tlb.MMU
	// CPU is the CPU the caller runs on; InInterrupt reports
	// in_interrupt() (hard or soft irq); Warn records a kernel warning,
	// WarnOnce a WARN_ON_ONCE one (the first time its key is seen);
	// Comm names the current task.
	CPU         func() int
	InInterrupt func() bool
	Warn        func(string)
	WarnOnce    func(key, msg string)
	Comm        func() string
	Stats       Stats
	// areas holds every area whose addresses are taken (busy, deferred
	// and lazy), sorted by address.
	areas []*Area
	// free holds the free ranges of the vmalloc area, lowest first,
	// never adjacent: the kernel's free_vmap_area tree.
	free      []span
	lazyPages uint64
	deferred  []arch.VirtAddr
	// objects maps the slab objects vmalloc allocated for its areas (page
	// arrays, vm_structs, vmap_areas) to what they are.
	objects map[arch.VirtAddr]ownObject
	vaCache *slab.Cache
	gen     uint64
	checked uint64
	ptGen   uint64
	memGen  uint64
}

// New returns an empty vmalloc area.
// It creates the vmap_area cache as vmalloc_init() does.
func New(l *arch.Layout, mem *phys.Mem, s *slab.Allocator, pt *pgtable.Tables, mmu *tlb.MMU) (*Allocator, error) {
	a := &Allocator{Layout: l, Mem: mem, Slab: s, PT: pt, MMU: mmu, free: []span{{l.VmallocStart, l.VmallocEnd}},
		CPU: func() int { return 0 }, InInterrupt: func() bool { return false }, Warn: func(string) {}, WarnOnce: func(string, string) {}, Comm: func() string { return "mmsim" }}
	var err error
	if a.vaCache, err = s.Create("vmap_area", a.structSize(vmapAreaWords), 0, 0, nil); err != nil {
		return nil, fmt.Errorf("vmalloc_init: %v", err)
	}
	a.vaCache.Kernel = true
	return a, nil
}

// The kernel's own objects for an area: struct vm_struct (kzalloc()ed in
// __get_vm_area_node()) and struct vmap_area (from its cache, in
// alloc_vmap_area()), in pointer-sized words: 72 bytes each on x86_64, as
// a Linux 6.18 kmem trace shows (kmalloc bytes_req=72 and vmap_area
// bytes_req=72); a 32-bit kernel has 4-byte pointers and longs.
const (
	vmStructWords  = 9
	vmapAreaWords  = 9
	vmStructCaller = "__get_vm_area_node"
)

func (a *Allocator) structSize(words int) int { return words * a.Layout.PtrSize() }

// ObjectOf says what a slab object vmalloc allocated for itself is: the
// page array, vm_struct or vmap_area of an area; ok is false for any other
// address.
func (a *Allocator) ObjectOf(addr arch.VirtAddr) (string, bool) {
	o, ok := a.objects[addr]
	if !ok {
		return "", false
	}
	return fmt.Sprintf("the %s of the vmalloc area at %#x", o.what, uint64(o.area)), true
}

// ownObject is one of vmalloc's own slab objects: what it is, for which
// area.
type ownObject struct {
	what string
	area arch.VirtAddr
}

func (a *Allocator) own(addr arch.VirtAddr, what string, area arch.VirtAddr) {
	if a.objects == nil {
		a.objects = map[arch.VirtAddr]ownObject{}
	}
	a.objects[addr] = ownObject{what, area}
}

// freeObject frees one of vmalloc's own slab objects. A failure means a
// script freed it behind vmalloc's back, which the built-ins refuse; the
// kernel would report it as a double free, and so does the warning.
func (a *Allocator) freeObject(addr arch.VirtAddr, free func() error) {
	delete(a.objects, addr)
	if err := free(); err != nil {
		a.Warn(err.Error())
	}
}

// span is a free range [lo, hi) of the vmalloc area.
type span struct{ lo, hi arch.VirtAddr }

// LazyMaxPages is lazy_max_pages(): fls(online CPUs) * 32 MiB of pages
// may wait for a TLB flush before the purge.
func (a *Allocator) LazyMaxPages() uint64 {
	return uint64(bits.Len(uint(len(a.MMU.TLBs)))) * (32 << 20 / arch.PageSize)
}

// LazyPages is the number of lazily freed pages waiting for the purge.
func (a *Allocator) LazyPages() uint64 { return a.lazyPages }

// Areas lists the areas whose addresses are taken, lowest first.
func (a *Allocator) Areas() []*Area { return append([]*Area(nil), a.areas...) }

// at returns the area, in any state, whose pages or guard page hold va.
func (a *Allocator) at(va arch.VirtAddr) (*Area, bool) {
	i := sort.Search(len(a.areas), func(i int) bool { return a.areas[i].End() > va })
	if i < len(a.areas) && a.areas[i].Addr <= va {
		return a.areas[i], true
	}
	return nil, false
}

// Find returns the live area whose pages or guard page hold va.
func (a *Allocator) Find(va arch.VirtAddr) (*Area, bool) {
	if x, ok := a.at(va); ok && x.State != Lazy {
		return x, true
	}
	return nil, false
}

// Stale reports whether a TLB entry for va may outlive its PTE: va lies
// in a lazily freed area whose flush is still pending.
func (a *Allocator) Stale(va arch.VirtAddr) bool {
	x, ok := a.at(va)
	return ok && x.State == Lazy
}

// Request is one vmalloc call.
type Request struct {
	Size   uint64
	GFP    phys.GFP
	Flags  Flags
	Caller string // where it came from, for vmallocinfo
	Func   string // the kernel function called ("vmalloc", "vzalloc", ...)
}

// Alloc models mm/vmalloc.c:__vmalloc_node_range(): reserve the lowest
// free range of the vmalloc area that fits the rounded size plus a guard
// page (purging lazily freed areas and retrying once when none fits),
// allocate the page array (kmalloc, or vmalloc above a page), allocate
// each page with order 0 (from HighMem too, unless GFP_DMA or GFP_DMA32),
// and map them in init_mm. ok is false for the kernel's NULL, after its
// warning; on failure everything allocated is given back.
func (a *Allocator) Alloc(r Request) (arch.VirtAddr, bool, error) {
	// The size checks of __vmalloc_node_range() come first, then
	// __get_vm_area_node()'s BUG_ON(in_interrupt()), then
	// alloc_vmap_area()'s might_sleep().
	if r.Size == 0 {
		a.WarnOnce("vmalloc size 0", fmt.Sprintf("%s(0): WARN_ON_ONCE(!size) in __vmalloc_node_range, returning NULL", r.Func))
		return 0, false, nil
	}
	if r.Size>>arch.PageShift > a.Mem.TotalRAM() {
		a.failed(r, r.Size, "exceeds total pages")
		return 0, false, nil
	}
	if a.InInterrupt() {
		return 0, false, bug.Errorf("kernel BUG at mm/vmalloc.c: %s() called in interrupt context (BUG_ON(in_interrupt()) in __get_vm_area_node)", r.Func)
	}
	if err := a.Mem.MightSleepIn("mm/vmalloc.c", "alloc_vmap_area"); err != nil {
		return 0, false, err // might_sleep() whatever the mask
	}
	size := (r.Size + arch.PageSize - 1) &^ (arch.PageSize - 1)
	area, quiet, err := a.reserve(size+arch.PageSize, r)
	if err != nil {
		return 0, false, err
	}
	if area == nil {
		if r.GFP&phys.GfpNoWarn == 0 && !quiet {
			a.Warn(fmt.Sprintf("vmap allocation for size %d failed: use vmalloc=<size> to increase size", size+arch.PageSize))
		}
		a.failed(r, r.Size, "vm_struct allocation failed")
		return 0, false, nil
	}
	failSize, why, err := a.populate(area, r)
	if err != nil || why != "" {
		a.release(area)
		if err == nil {
			// __vmalloc_area_node() reports with the mask it used: with
			// the __GFP_HIGHMEM it added.
			fr := r
			fr.GFP = pageGFP(r.GFP)&^phys.GfpNoWarn | r.GFP&phys.GfpNoWarn
			a.failed(fr, failSize, why)
		} else {
			a.Stats.Failures++
		}
		return 0, false, err
	}
	a.Stats.Allocs++
	a.gen++
	return area.Addr, true, nil
}

// failed is warn_alloc()'s line for a vmalloc failure, unless __GFP_NOWARN;
// size is the size the kernel prints for that failure.
func (a *Allocator) failed(r Request, size uint64, why string) {
	a.Stats.Failures++
	if r.GFP&phys.GfpNoWarn != 0 {
		return
	}
	a.Warn(fmt.Sprintf("%s: vmalloc error: size %d, %s, mode:%s, nodemask=(null),cpuset=/,mems_allowed=0", a.Comm(), size, why, r.GFP.Mode()))
}

// reserve finds the lowest free range of size bytes (alloc_vmap_area()
// with find_vmap_lowest_match()), purging lazily freed areas and trying
// again when nothing fits.
// The kernel's own objects come first: __get_vm_area_node() kzalloc()s the
// vm_struct, alloc_vmap_area() takes a vmap_area from its cache, both with
// the caller's reclaim flags; without them the area cannot be had either,
// and quiet is set: only a vmalloc area with no room says so.
func (a *Allocator) reserve(size uint64, r Request) (area *Area, quiet bool, err error) {
	gfp := r.GFP & reclaimMask
	vm, ok, err := a.Slab.Kmalloc(a.structSize(vmStructWords), gfp|phys.GfpZero, vmStructCaller)
	if err != nil || !ok {
		return nil, true, err // no room message: the kernel returns NULL quietly here
	}
	va, ok, err := a.vaCache.Alloc(gfp, "alloc_vmap_area")
	if err != nil || !ok {
		a.Slab.Kfree(vm, "alloc_vmap_area")
		return nil, true, err
	}
	for try := 0; try < 2; try++ {
		if addr, ok := a.lowestFit(size); ok {
			area = &Area{Addr: addr, Size: size, Flags: VMAlloc | r.Flags, Caller: r.Caller, VMStruct: vm, VmapArea: va}
			a.insert(area)
			a.own(vm, "vm_struct", addr)
			a.own(va, "vmap_area", addr)
			return area, false, nil
		}
		if !a.purge() {
			break
		}
	}
	a.vaCache.Free(va, "alloc_vmap_area")
	a.Slab.Kfree(vm, "alloc_vmap_area")
	return nil, false, nil
}

// reclaimMask is GFP_RECLAIM_MASK: the flags vmalloc passes on to the
// allocations it makes for itself.
const reclaimMask = phys.GfpReclaim | phys.GfpIO | phys.GfpFS | phys.GfpNoWarn | phys.GfpRetryMayfail | phys.GfpNoFail | phys.GfpNoRetry | phys.GfpMemalloc | phys.GfpNoMemalloc

// lowestFit takes size bytes from the lowest free range that holds them.
// Its cost follows the number of free ranges (holes), which stays small:
// freed areas come back only at a purge, and merge with their neighbours.
func (a *Allocator) lowestFit(size uint64) (arch.VirtAddr, bool) {
	for i, f := range a.free {
		if uint64(f.hi-f.lo) < size {
			continue
		}
		va := f.lo
		a.free[i].lo += arch.VirtAddr(size)
		if a.free[i].lo == f.hi {
			a.free = append(a.free[:i], a.free[i+1:]...)
		}
		return va, true
	}
	return 0, false
}

// give returns [lo, hi) to the free ranges, merging with its neighbours.
func (a *Allocator) give(lo, hi arch.VirtAddr) {
	i := sort.Search(len(a.free), func(i int) bool { return a.free[i].lo >= hi })
	if i > 0 && a.free[i-1].hi == lo {
		a.free[i-1].hi = hi
		if i < len(a.free) && a.free[i].lo == hi {
			a.free[i-1].hi = a.free[i].hi
			a.free = append(a.free[:i], a.free[i+1:]...)
		}
		return
	}
	if i < len(a.free) && a.free[i].lo == hi {
		a.free[i].lo = lo
		return
	}
	a.free = append(a.free, span{})
	copy(a.free[i+1:], a.free[i:])
	a.free[i] = span{lo, hi}
}

func (a *Allocator) insert(area *Area) {
	i := sort.Search(len(a.areas), func(i int) bool { return a.areas[i].Addr > area.Addr })
	a.areas = append(a.areas, nil)
	copy(a.areas[i+1:], a.areas[i:])
	a.areas[i] = area
}

// remove drops an area and frees its addresses.
func (a *Allocator) remove(area *Area) {
	i := sort.Search(len(a.areas), func(i int) bool { return a.areas[i].Addr >= area.Addr })
	if i < len(a.areas) && a.areas[i] == area {
		a.areas = append(a.areas[:i], a.areas[i+1:]...)
		a.give(area.Addr, area.End())
	}
}

// populate is __vmalloc_area_node(): the page array, the pages (asked for
// with __GFP_NOWARN: vmalloc prints its own failure), the mapping. On a
// NULL it returns warn_alloc()'s reason and the size the kernel prints
// with it: the area's for the page array, the pages obtained for the rest.
func (a *Allocator) populate(area *Area, r Request) (uint64, string, error) {
	n := area.DataSize() / arch.PageSize
	nested := r.GFP&reclaimMask | phys.GfpZero
	arraySize := n * uint64(a.Layout.PtrSize()) // sizeof(struct page *) each
	if arraySize > arch.PageSize {
		va, ok, err := a.Alloc(Request{Size: arraySize, GFP: nested, Caller: r.Caller, Func: r.Func})
		if err != nil || !ok {
			return n * arch.PageSize, fmt.Sprintf("failed to allocated page array size %d", arraySize), err
		}
		area.Array = va
		area.ArrayArea, _ = a.Find(va)
	} else {
		va, ok, err := a.Slab.Kmalloc(int(arraySize), nested, r.Func)
		if err != nil || !ok {
			return n * arch.PageSize, fmt.Sprintf("failed to allocated page array size %d", arraySize), err
		}
		area.Array = va
		a.own(va, "page array", area.Addr)
	}
	gfp := pageGFP(r.GFP) | phys.GfpNoWarn
	for i := uint64(0); i < n; i++ {
		pfn, ok, err := a.Mem.AllocPages(phys.Request{GFP: gfp, Order: 0, Owner: phys.OwnerVmalloc, Tag: r.Func, Caller: r.Func})
		if err != nil || !ok {
			return uint64(len(area.Pages)) * arch.PageSize, "failed to allocate pages", err
		}
		area.Pages = append(area.Pages, pfn)
	}
	ok, err := a.PT.MapKernelPages(area.Addr, area.Pages, pgtable.Present|pgtable.RW|pgtable.Accessed|pgtable.Dirty|pgtable.Global|pgtable.NX, "vmalloc")
	if err != nil || !ok {
		return uint64(len(area.Pages)) * arch.PageSize, "failed to map pages", err
	}
	return 0, "", nil
}

// pageGFP is the mask vmalloc's pages are asked with: __GFP_HIGHMEM is
// added unless the caller wants DMA or DMA32 memory.
func pageGFP(gfp phys.GFP) phys.GFP {
	if gfp&(phys.GfpDMA|phys.GfpDMA32) == 0 {
		gfp |= phys.GfpHighmem
	}
	return gfp
}

// release undoes a failed allocation: it unmaps what was mapped and gives
// the pages, the array and the addresses back at once.
func (a *Allocator) release(area *Area) {
	a.unmap(area)
	if area.ArrayArea != nil {
		// A vmalloc()ed page array goes back at once too, not lazily:
		// nothing was ever mapped through the failed area.
		a.release(area.ArrayArea)
		area.Array, area.ArrayArea = 0, nil
	}
	a.freeParts(area)
	a.freeVMStruct(area)
	a.freeVmapArea(area)
	a.remove(area)
}

// freeVMStruct frees the vm_struct: vfree() does once the pages are gone.
func (a *Allocator) freeVMStruct(area *Area) {
	if vm := area.VMStruct; vm != 0 {
		a.freeObject(vm, func() error { return a.Slab.Kfree(vm, "vfree") })
		area.VMStruct = 0
	}
}

// freeVmapArea gives the vmap_area back to its cache: at the purge, for a
// lazily freed area.
func (a *Allocator) freeVmapArea(area *Area) {
	if va := area.VmapArea; va != 0 {
		a.freeObject(va, func() error { return a.vaCache.Free(va, "__purge_vmap_area_lazy") })
		area.VmapArea = 0
	}
}

func (a *Allocator) unmap(area *Area) {
	a.PT.ClearKernelPages(area.Addr, len(area.Pages))
}

// freeParts gives back the pages and the page array.
func (a *Allocator) freeParts(area *Area) {
	for _, pfn := range area.Pages {
		if err := a.Mem.FreePages(pfn, 0); err != nil {
			a.Warn(err.Error())
		}
	}
	area.Pages = nil
	switch arr := area.Array; {
	case area.ArrayArea != nil:
		// kvfree(area->pages): a vfree of the array's address, which
		// warns if someone freed it behind vmalloc's back.
		a.free1(area.ArrayArea.Addr)
	case arr != 0:
		a.freeObject(arr, func() error { return a.Slab.Kfree(arr, "vfree") })
	}
	area.Array, area.ArrayArea = 0, nil
}

// Free models mm/vmalloc.c:vfree(): NULL does nothing; in interrupt
// context the address goes on the deferred list (vfree_atomic()) and the
// workqueue frees it later (RunDeferred); with a spinlock held it is a
// sleep in atomic context. An address that is not page aligned gets
// remove_vm_area()'s "Trying to vfree() bad address" warning, then, like
// any address no live area holds, vfree()'s "Trying to vfree() nonexistent
// vm area", and nothing happens. An aligned address anywhere in an area
// (its guard page too) frees the whole area, since the kernel looks the
// area up by containment (__find_vmap_area()). The pages are unmapped and
// freed, and the addresses wait for the lazy TLB purge.
func (a *Allocator) Free(va arch.VirtAddr) error {
	if a.InInterrupt() {
		if va == 0 {
			return nil
		}
		if area, ok := a.Find(va); ok && area.State == Busy && va%arch.PageSize == 0 {
			area.State = Deferred
		}
		a.deferred = append(a.deferred, va)
		a.Stats.DeferredFrees++
		a.gen++
		return nil
	}
	if err := a.Mem.MightSleepIn("mm/vmalloc.c", "vfree"); err != nil {
		return err
	}
	if va == 0 {
		return nil
	}
	a.free1(va)
	return nil
}

// free1 is vfree() of one address in process context, also for the
// workqueue that frees what vfree_atomic() queued.
func (a *Allocator) free1(va arch.VirtAddr) {
	if va%arch.PageSize != 0 {
		a.Warn(fmt.Sprintf("Trying to vfree() bad address (%#x)", uint64(va)))
	}
	area, ok := a.Find(va)
	if va%arch.PageSize != 0 || !ok {
		a.Warn(fmt.Sprintf("Trying to vfree() nonexistent vm area (%#x)", uint64(va)))
		return
	}
	a.vfree(area)
}

// vfree unmaps an area without flushing the TLB, frees its pages and
// array, and puts its addresses on the purge list; past lazy_max_pages
// the purge runs (free_vmap_area_noflush()).
func (a *Allocator) vfree(area *Area) {
	a.unmap(area)
	a.freeParts(area)
	a.freeVMStruct(area)
	area.State = Lazy
	a.lazyPages += area.Size / arch.PageSize
	a.Stats.Frees++
	a.gen++
	if a.lazyPages > a.LazyMaxPages() {
		a.purge()
	}
}

// Purge runs the lazy purge now (vm_unmap_aliases()): one TLB flush of
// the range covering every lazily freed area, on every CPU, then their
// addresses are free. It reports whether there was anything to purge.
func (a *Allocator) Purge() bool { return a.purge() }

func (a *Allocator) purge() bool {
	var lo, hi arch.VirtAddr
	keep := a.areas[:0]
	for _, x := range a.areas {
		if x.State != Lazy {
			keep = append(keep, x)
			continue
		}
		if lo == 0 || x.Addr < lo {
			lo = x.Addr
		}
		hi = max(hi, x.End())
		a.give(x.Addr, x.End())
		a.freeVmapArea(x)
	}
	if lo == 0 {
		return false
	}
	a.MMU.FlushKernelRange(a.CPU(), lo, hi)
	clear(a.areas[len(keep):])
	a.areas = keep
	a.lazyPages = 0
	a.Stats.Purges++
	a.gen++
	return true
}

// RunDeferred is the workqueue that frees what vfree() deferred from
// interrupt context; it runs once the CPU is back in process context.
func (a *Allocator) RunDeferred() {
	list := a.deferred
	a.deferred = nil
	for _, va := range list {
		a.free1(va)
	}
}

// Deferred lists the addresses waiting for the deferred free.
func (a *Allocator) Deferred() []arch.VirtAddr { return append([]arch.VirtAddr(nil), a.deferred...) }

// ToPage models vmalloc_to_page(): the frame mapped at a vmalloc
// address, by a walk of init_mm; ok is false when nothing is mapped.
func (a *Allocator) ToPage(va arch.VirtAddr) (phys.PFN, bool) {
	pa, _, _, ok := a.PT.Translate(a.PT.Init, va)
	if !ok {
		return 0, false
	}
	return phys.PFN(pa >> arch.PageShift), true
}

// PhysContiguous reports whether an area's pages are consecutive frames.
func (a *Area) PhysContiguous() bool {
	for i := 1; i < len(a.Pages); i++ {
		if a.Pages[i] != a.Pages[i-1]+1 {
			return false
		}
	}
	return true
}

// Used is the number of pages vmalloc areas hold (vmalloc_nr_pages()).
func (a *Allocator) Used() uint64 {
	var n uint64
	for _, x := range a.areas {
		n += uint64(len(x.Pages))
	}
	return n
}

// Check verifies the vmalloc invariants: vmalloc-disjoint (areas sorted,
// inside the vmalloc area, apart, each with its guard page unmapped) and
// vmalloc-mapped (a busy area's pages are mapped in order, its frames
// allocated to vmalloc; a lazy one maps nothing).
func (a *Allocator) Check() error {
	if a.gen == a.checked && a.PT.Gen == a.ptGen && a.Mem.Gen() == a.memGen {
		return nil
	}
	l := a.Layout
	if err := a.checkTiling(); err != nil {
		return err
	}
	var prev *Area
	for _, x := range a.areas {
		if x.Addr < l.VmallocStart || x.End() > l.VmallocEnd || x.Addr%arch.PageSize != 0 || x.Size%arch.PageSize != 0 {
			return bug.Violation("vmalloc-disjoint", "area %#x-%#x is not page-aligned inside the vmalloc area", uint64(x.Addr), uint64(x.End()))
		}
		if prev != nil && prev.End() > x.Addr {
			return bug.Violation("vmalloc-disjoint", "areas %#x-%#x and %#x-%#x overlap", uint64(prev.Addr), uint64(prev.End()), uint64(x.Addr), uint64(x.End()))
		}
		prev = x
		if x.Flags&VMNoGuard == 0 {
			if _, _, _, ok := a.PT.Translate(a.PT.Init, x.End()-arch.PageSize); ok {
				return bug.Violation("vmalloc-disjoint", "the guard page of area %#x-%#x is mapped", uint64(x.Addr), uint64(x.End()))
			}
		}
		for i := uint64(0); i < x.DataSize()/arch.PageSize; i++ {
			va := x.Addr + arch.VirtAddr(i*arch.PageSize)
			pa, _, _, ok := a.PT.Translate(a.PT.Init, va)
			if x.State == Lazy {
				if ok {
					return bug.Violation("vmalloc-mapped", "lazily freed area %#x still maps %#x", uint64(x.Addr), uint64(va))
				}
				continue
			}
			if !ok || int(i) >= len(x.Pages) || phys.PFN(pa>>arch.PageShift) != x.Pages[i] {
				return bug.Violation("vmalloc-mapped", "page %d of area %#x is not mapped to its frame", i, uint64(x.Addr))
			}
			if info, err := a.Mem.Page(x.Pages[i]); err != nil || info.Free || info.Owner != phys.OwnerVmalloc {
				return bug.Violation("vmalloc-mapped", "page %d of area %#x, pfn %#x, is not an allocated vmalloc frame", i, uint64(x.Addr), uint64(x.Pages[i]))
			}
		}
	}
	a.checked, a.ptGen, a.memGen = a.gen, a.PT.Gen, a.Mem.Gen()
	return nil
}

// checkTiling verifies vmalloc-free: the areas and the free ranges tile
// the vmalloc area exactly, and no two free ranges touch.
func (a *Allocator) checkTiling() error {
	at := a.Layout.VmallocStart
	i, j := 0, 0
	for at < a.Layout.VmallocEnd {
		switch {
		case i < len(a.areas) && a.areas[i].Addr == at:
			at = a.areas[i].End()
			i++
		case j < len(a.free) && a.free[j].lo == at:
			if j > 0 && a.free[j-1].hi == at {
				return bug.Violation("vmalloc-free", "free ranges touch at %#x", uint64(at))
			}
			if a.free[j].hi <= at {
				return bug.Violation("vmalloc-free", "free range at %#x is empty", uint64(at))
			}
			at = a.free[j].hi
			j++
		default:
			return bug.Violation("vmalloc-free", "%#x is neither in an area nor free", uint64(at))
		}
	}
	if at != a.Layout.VmallocEnd || i != len(a.areas) || j != len(a.free) {
		return bug.Violation("vmalloc-free", "the areas and free ranges do not end at VMALLOC_END (%d of %d areas, %d of %d ranges)", i, len(a.areas), j, len(a.free))
	}
	return nil
}
