package stdlib

import (
	"errors"
	"fmt"
	"math/bits"
	"strings"

	"mmsim/kernelmodel"
	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/mm"
	"mmsim/kernelmodel/phys"
	"mmsim/runtime"
)

// Physical memory: the page allocator's API (include/linux/gfp.h), struct
// page accessors and zones.

func init() {
	for _, n := range phys.Constants() {
		Constant(n.Name, runtime.Int(n.Value))
	}
	for t := arch.ZoneDMA; t <= arch.ZoneDevice; t++ {
		Constant("ZONE_"+strings.ToUpper(t.String()), runtime.String(t.String()))
	}
	Constant("MAX_PAGE_ORDER", runtime.Int(phys.MaxOrder))
	Constant("MAX_ORDER", runtime.Int(phys.MaxOrder))
	Constant("PAGE_ALLOC_COSTLY_ORDER", runtime.Int(phys.CostlyOrder))

	registerModel("alloc_pages", "alloc_pages(gfp, order): 2^order contiguous frames from the buddy allocator; a page, or NULL", builtinAllocPages(false))
	registerModel("alloc_page", "alloc_page(gfp): one frame; a page, or NULL", builtinAllocPages(true))
	registerModel("__get_free_pages", "__get_free_pages(gfp, order): like alloc_pages, but the direct-map address (never highmem); or NULL", builtinGetFreePages("__get_free_pages", 0, true))
	registerModel("__get_free_page", "__get_free_page(gfp): one frame's direct-map address, or NULL", builtinGetFreePages("__get_free_page", 0, false))
	registerModel("get_zeroed_page", "get_zeroed_page(gfp): one zeroed frame's direct-map address, or NULL", builtinGetFreePages("get_zeroed_page", phys.GfpZero, false))
	registerModel("free_pages", "free_pages(addr, order): give back the frames at a direct-map address (0 or NULL: nothing)", builtinFreePagesAddr(true))
	registerModel("free_page", "free_page(addr): give back one frame at a direct-map address", builtinFreePagesAddr(false))
	registerModel("__free_pages", "__free_pages(page, order): give back 2^order frames", builtinFreePages(true))
	registerModel("__free_page", "__free_page(page): give back one frame", builtinFreePages(false))
	registerModel("page_address", "page_address(page): the frame's direct-map address; NULL for highmem", builtinPageAddress)
	registerModel("virt_to_page", "virt_to_page(addr): the page of a direct-map address", builtinVirtToPage)
	registerModel("page_to_pfn", "page_to_pfn(page): the frame number", builtinPageToPFN)
	registerModel("pfn_to_page", "pfn_to_page(pfn): the page of a frame number", builtinPFNToPage)
	registerModel("page_zone", "page_zone(page): the zone the frame belongs to", builtinPageZone)
	registerModel("gfp_zone", "gfp_zone(gfp): the highest zone an allocation with these flags may use", builtinGFPZone)
	registerModel("zone", "zone(name): a zone by name (\"DMA\", \"Normal\", ...)", builtinZone)
	registerModel("zones", "zones(): every zone of the machine, populated or not, lowest first", builtinZones)
	registerModel("nr_free", "nr_free(zone, order): free blocks of an order in a zone (free_area[order].nr_free)", builtinNrFree)
	registerModel("totalram_pages", "totalram_pages(): pages the buddy allocator manages", counter(func(p *phys.Mem) uint64 { return p.TotalRAM() }))
	registerModel("totalhigh_pages", "totalhigh_pages(): managed pages in highmem", counter(func(p *phys.Mem) uint64 { return p.TotalHigh() }))
	registerModel("nr_free_pages", "nr_free_pages(): free pages in all zones", counter(func(p *phys.Mem) uint64 { return p.NrFreePages() }))
	registerModel("min_free_kbytes", "min_free_kbytes(): vm.min_free_kbytes, the reserve the watermarks are built from", counter(func(p *phys.Mem) uint64 { return p.MinFreeKbytes }))
	Register(&runtime.Builtin{Name: "get_order", Doc: "get_order(size): the smallest order whose block holds size bytes", Fn: builtinGetOrder})
	registerModel("gfp_string", "gfp_string(gfp): a GFP mask decoded as the kernel prints it (\"GFP_KERNEL|__GFP_ZERO\")", builtinGFPString)
	for _, f := range []struct {
		name string
		flag phys.PageFlags
	}{{"PageBuddy", phys.PGBuddy}, {"PageReserved", phys.PGReserved}, {"PageSlab", phys.PGSlab}, {"PageLRU", phys.PGLRU}, {"PageDirty", phys.PGDirty}, {"PageHead", phys.PGHead}, {"PageTable", phys.PGTable}} {
		registerModel(f.name, f.name+"(page): whether the page flag is set", pageTest(func(p phys.PageInfo) bool { return p.Flags&f.flag != 0 }))
	}
	registerModel("PageHighMem", "PageHighMem(page): whether the frame is in a highmem zone (no permanent kernel mapping)", pageTest(phys.PageInfo.HighMem))
}

// modelBuiltin is a built-in that works on the machine.
type modelBuiltin = func(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error)

// registerModel registers a built-in that works on the machine.
func registerModel(name, doc string, fn modelBuiltin) {
	Register(&runtime.Builtin{Name: name, Doc: doc, Fn: modelFn(fn)})
}

// modelFn wraps a built-in that works on the machine: it gets the machine,
// gives model errors their kind, and prints the warnings the kernel
// printed on the way.
func modelFn(fn modelBuiltin) func(th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	return func(th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
		h := HostOf(th)
		if h == nil {
			return nil, fmt.Errorf("%s: no machine is running", c.Name)
		}
		m, err := h.machine()
		if err != nil {
			return nil, fmt.Errorf("%s: %v", c.Name, err)
		}
		m.Slab.Site = fmt.Sprintf("%s (%s)", c.Pos, c.Name)
		v, err := fn(h, m, th, c)
		var sig *mm.Signal
		if errors.As(err, &sig) {
			err = signalErr(th, m, sig)
		}
		m.RunDeferred()
		m.Slab.Site = ""
		for _, w := range m.TakeWarnings() {
			th.Warn(c.Pos, w)
		}
		return v, modelErr(err)
	}
}

// Page is a struct page handle.
type Page struct {
	m   *kernelmodel.Machine
	pfn phys.PFN
}

func (p Page) info() phys.PageInfo {
	info, _ := p.m.Phys.Page(p.pfn)
	return info
}

func (p Page) String() string {
	i := p.info()
	s := fmt.Sprintf("page pfn %#x (%s", uint64(p.pfn), i.Zone.Name)
	switch {
	case i.Block.Order < 0:
		s += ", reserved"
	case i.Free && i.Head():
		s += fmt.Sprintf(", free order-%d block", i.Block.Order)
	case i.Free:
		s += ", free"
	case i.Head():
		s += fmt.Sprintf(", order %d", i.Block.Order)
	default:
		s += fmt.Sprintf(", frame %d of the order-%d block at pfn %#x", uint64(p.pfn-i.Block.PFN), i.Block.Order, uint64(i.Block.PFN))
	}
	return s + ")"
}
func (Page) Type() string { return "page" }
func (Page) Truth() bool  { return true }

var pageAttrs = []string{"flags", "free", "highmem", "mapcount", "order", "owner", "pfn", "phys", "refcount", "tag", "virt", "zone"}

// AttrNames implements runtime.HasAttrs.
func (Page) AttrNames() []string { return pageAttrs }

// Attr implements runtime.HasAttrs.
func (p Page) Attr(name string) (runtime.Value, error) {
	i := p.info()
	switch name {
	case "pfn":
		return runtime.Int(p.pfn), nil
	case "phys":
		return runtime.Ptr{Addr: uint64(p.pfn.Addr())}, nil
	case "order":
		if !i.Head() {
			return runtime.Int(-1), nil
		}
		return runtime.Int(i.Block.Order), nil
	case "zone":
		return Zone{p.m, i.Zone.Index}, nil
	case "flags":
		return stringList(i.Flags.Names()), nil
	case "refcount":
		return runtime.Int(i.Refcount), nil
	case "mapcount":
		return runtime.Int(i.Mapcount), nil
	case "owner":
		return runtime.String(i.Owner.String()), nil
	case "tag":
		return runtime.String(i.Tag), nil
	case "free":
		return runtime.Bool(i.Free), nil
	case "highmem":
		return runtime.Bool(i.HighMem()), nil
	case "virt":
		return pageAddress(p.m, p.pfn), nil
	}
	return nil, nil
}

// Describe implements runtime.Describer: the struct page as crash's
// kmem -p shows one.
func (p Page) Describe() string {
	i := p.info()
	return fmt.Sprintf("pfn %#x  phys %#x  zone %s  flags %s  refcount %d  mapcount %d  owner %s",
		uint64(p.pfn), uint64(p.pfn.Addr()), i.Zone.Name, orNone(i.Flags.String()), i.Refcount, i.Mapcount, i.Owner)
}

func orNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func stringList(ss []string) *runtime.List {
	l := &runtime.List{Elems: make([]runtime.Value, len(ss))}
	for i, s := range ss {
		l.Elems[i] = runtime.String(s)
	}
	return l
}

// Zone is a struct zone handle.
type Zone struct {
	m   *kernelmodel.Machine
	idx int
}

func (z Zone) zone() *phys.Zone { return z.m.Phys.Zones[z.idx] }

func (z Zone) String() string {
	zz := z.zone()
	if !zz.Populated() {
		return fmt.Sprintf("zone %s (empty)", zz.Name)
	}
	return fmt.Sprintf("zone %s (pfn %#x-%#x, %d of %d pages free)", zz.Name, uint64(zz.StartPFN), uint64(zz.EndPFN-1), zz.Free(), zz.Managed)
}
func (Zone) Type() string { return "zone" }
func (Zone) Truth() bool  { return true }

var zoneAttrs = []string{"end_pfn", "free", "high", "low", "managed", "min", "name", "nr_free", "populated", "present", "protection", "spanned", "start_pfn"}

// AttrNames implements runtime.HasAttrs.
func (Zone) AttrNames() []string { return zoneAttrs }

// Attr implements runtime.HasAttrs.
func (z Zone) Attr(name string) (runtime.Value, error) {
	zz := z.zone()
	switch name {
	case "name":
		return runtime.String(zz.Name), nil
	case "free":
		return runtime.Int(zz.Free()), nil
	case "min":
		return runtime.Int(zz.Min()), nil
	case "low":
		return runtime.Int(zz.Low()), nil
	case "high":
		return runtime.Int(zz.High()), nil
	case "managed":
		return runtime.Int(zz.Managed), nil
	case "present":
		return runtime.Int(zz.Present), nil
	case "spanned":
		return runtime.Int(zz.Spanned()), nil
	case "start_pfn":
		return runtime.Int(zz.StartPFN), nil
	case "end_pfn":
		return runtime.Int(zz.EndPFN), nil
	case "populated":
		return runtime.Bool(zz.Populated()), nil
	case "protection":
		l := &runtime.List{}
		for _, r := range zz.LowmemReserve {
			l.Elems = append(l.Elems, runtime.Int(r))
		}
		return l, nil
	case "nr_free":
		l := &runtime.List{}
		for o := 0; o < phys.NROrders; o++ {
			l.Elems = append(l.Elems, runtime.Int(zz.NrFree(o)))
		}
		return l, nil
	}
	return nil, nil
}

// pageOrigin is the provenance of an address the page allocator gave.
type pageOrigin struct {
	pfn   phys.PFN
	order int
}

func (o pageOrigin) Describe() string {
	if o.order == 0 {
		return fmt.Sprintf("page pfn %#x", uint64(o.pfn))
	}
	return fmt.Sprintf("order-%d pages at pfn %#x", o.order, uint64(o.pfn))
}

// pageAddress models page_address(): the direct-map address of a lowmem
// frame; for highmem its kmap() address, or NULL when it is not kmap()ed.
func pageAddress(m *kernelmodel.Machine, pfn phys.PFN) runtime.Value {
	if uint64(pfn) >= m.Layout.MaxLowPFN {
		va, ok := m.Highmem.PageAddress(pfn)
		if !ok {
			return runtime.Null
		}
		return runtime.Ptr{Addr: uint64(va), Origin: kmapOrigin{pfn, "kmap"}}
	}
	order := 0
	if b, ok := m.Phys.BlockOf(pfn); ok && b.PFN == pfn {
		order = b.Order
	}
	return runtime.Ptr{Addr: uint64(m.Layout.Virt(uint64(pfn.Addr()))), Origin: pageOrigin{pfn, order}}
}

// argGFP reads a GFP mask argument.
func argGFP(c *runtime.Call, v int64) (phys.GFP, error) {
	if v < 0 || v > 0xffffffff {
		return 0, fmt.Errorf("%s: %d is not a GFP mask", c.Name, v)
	}
	return phys.GFP(v), nil
}

// argPage reads a page argument.
func argPage(m *kernelmodel.Machine, c *runtime.Call, v runtime.Value) (Page, error) {
	p, ok := v.(Page)
	if !ok {
		hint := ""
		if _, isPtr := v.(runtime.Ptr); isPtr {
			hint = " (for an address use virt_to_page)"
			if strings.HasPrefix(c.Name, "__free_page") {
				hint = " (for an address use virt_to_page, or free_pages instead of __free_pages)"
			}
		}
		return Page{}, fmt.Errorf("%s: want a page, not %s%s", c.Name, v.Type(), hint)
	}
	if p.m != m {
		return Page{}, fmt.Errorf("%s: this page belongs to a machine that has been rebooted", c.Name)
	}
	return p, nil
}

// unpackPage reads the single argument page.
func unpackPage(m *kernelmodel.Machine, c *runtime.Call) (Page, error) {
	var pv runtime.Value
	if err := c.Unpack("page", &pv); err != nil {
		return Page{}, err
	}
	return argPage(m, c, pv)
}

// unpackGFP reads the single argument gfp.
func unpackGFP(c *runtime.Call) (phys.GFP, error) {
	var g int64
	if err := c.Unpack("gfp", &g); err != nil {
		return 0, err
	}
	return argGFP(c, g)
}

func argZone(m *kernelmodel.Machine, c *runtime.Call, v runtime.Value) (*phys.Zone, error) {
	switch v := v.(type) {
	case Zone:
		if v.m != m {
			return nil, fmt.Errorf("%s: this zone belongs to a machine that has been rebooted", c.Name)
		}
		return v.zone(), nil
	case runtime.String:
		z, err := m.Phys.ZoneByName(string(v))
		if err != nil {
			return nil, fmt.Errorf("%s: %v", c.Name, err)
		}
		return z, nil
	}
	return nil, fmt.Errorf("%s: want a zone or a zone name, not %s", c.Name, v.Type())
}

func allocTag(c *runtime.Call) string { return fmt.Sprintf("%s at %s", c.Name, c.Pos) }

func builtinAllocPages(single bool) modelBuiltin {
	return func(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
		var g, order int64
		var err error
		if single {
			err = c.Unpack("gfp", &g)
		} else {
			err = c.Unpack("gfp", &g, "order", &order)
		}
		if err != nil {
			return nil, err
		}
		gfp, err := argGFP(c, g)
		if err != nil {
			return nil, err
		}
		if order > 1<<20 || order < -1<<20 {
			order = 1 << 20
		}
		pfn, ok, err := m.Phys.AllocPages(phys.Request{GFP: gfp, Order: int(order), Tag: allocTag(c), Caller: c.Name})
		if err != nil || !ok {
			return runtime.Null, err
		}
		return Page{m, pfn}, nil
	}
}

func builtinGetFreePages(name string, extra phys.GFP, withOrder bool) modelBuiltin {
	return func(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
		var g, order int64
		var err error
		if withOrder {
			err = c.Unpack("gfp", &g, "order", &order)
		} else {
			err = c.Unpack("gfp", &g)
		}
		if err != nil {
			return nil, err
		}
		gfp, err := argGFP(c, g)
		if err != nil {
			return nil, err
		}
		if order > 1<<20 || order < -1<<20 {
			order = 1 << 20
		}
		// mm/page_alloc.c:get_free_pages_noprof() drops __GFP_HIGHMEM: the
		// caller wants an address, and highmem frames have none.
		gfp = (gfp | extra) &^ phys.GfpHighmem
		pfn, ok, err := m.Phys.AllocPages(phys.Request{GFP: gfp, Order: int(order), Tag: allocTag(c), Caller: name})
		if err != nil || !ok {
			return runtime.Null, err
		}
		return pageAddress(m, pfn), nil
	}
}

// lowmemPFN checks that an address is in the direct map, as
// CONFIG_DEBUG_VIRTUAL's __phys_addr() does, and returns its frame.
func lowmemPFN(m *kernelmodel.Machine, c *runtime.Call, addr uint64) (phys.PFN, error) {
	l := m.Layout
	if !l.IsLowmem(arch.VirtAddr(addr)) {
		return 0, fmt.Errorf("%s: %#x is not a direct-map address (lowmem is %#x-%#x); only addresses from page_address, __get_free_pages or kmalloc have a struct page this way: %s", c.Name, addr, uint64(l.PageOffset), uint64(l.HighMemory)-1, addrRule(m, addr))
	}
	return phys.PFN((addr - uint64(l.PageOffset)) >> arch.PageShift), nil
}

func builtinFreePagesAddr(withOrder bool) modelBuiltin {
	return func(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
		var addr uint64
		var order int64
		var err error
		if withOrder {
			err = c.Unpack("addr", &addr, "order", &order)
		} else {
			err = c.Unpack("addr", &addr)
		}
		if err != nil {
			return nil, err
		}
		if addr == 0 {
			return nil, nil // free_pages(0, order) does nothing
		}
		pfn, err := lowmemPFN(m, c, addr)
		if err != nil {
			return nil, err
		}
		if addr&(arch.PageSize-1) != 0 {
			return nil, fmt.Errorf("%s: %#x is not page-aligned", c.Name, addr)
		}
		if err := kernelOwned(m, c, pfn); err != nil {
			return nil, err
		}
		return nil, m.Phys.FreePages(pfn, clampOrder(order))
	}
}

func clampOrder(order int64) int {
	if order > 1<<20 || order < -1<<20 {
		return 1 << 20
	}
	return int(order)
}

func builtinFreePages(withOrder bool) modelBuiltin {
	return func(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
		var pv runtime.Value
		var order int64
		var err error
		if withOrder {
			err = c.Unpack("page", &pv, "order", &order)
		} else {
			err = c.Unpack("page", &pv)
		}
		if err != nil {
			return nil, err
		}
		p, err := argPage(m, c, pv)
		if err != nil {
			return nil, err
		}
		if err := kernelOwned(m, c, p.pfn); err != nil {
			return nil, err
		}
		return nil, m.Phys.FreePages(p.pfn, clampOrder(order))
	}
}

// kernelOwned refuses to free a frame a kernel mapping is built on: a
// vmalloc area's page (vfree frees it) or a page table. The kernel would
// free it and leave a mapping to a free frame; the model reports what that
// corruption would be, as it does for a slab's page.
func kernelOwned(m *kernelmodel.Machine, c *runtime.Call, pfn phys.PFN) error {
	info, err := m.Phys.Page(pfn)
	if err != nil || info.Free {
		return nil // FreePages reports these
	}
	switch {
	case info.Flags&phys.PGTable != 0:
		return runtime.Errorf(runtime.KindBug, "Bad page state: %s of pfn %#x, a page table (PG_table): it still maps memory", c.Name, uint64(pfn))
	case info.Owner == phys.OwnerVmalloc:
		return runtime.Errorf(runtime.KindBug, "Bad page state: %s of pfn %#x, a page of a vmalloc area: it is still mapped there, and vfree frees it", c.Name, uint64(pfn))
	}
	return nil
}

func builtinPageAddress(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	p, err := unpackPage(m, c)
	if err != nil {
		return nil, err
	}
	return pageAddress(m, p.pfn), nil
}

func builtinVirtToPage(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	var addr uint64
	if err := c.Unpack("addr", &addr); err != nil {
		return nil, err
	}
	pfn, err := lowmemPFN(m, c, addr)
	if err != nil {
		return nil, err
	}
	return Page{m, pfn}, nil
}

func builtinPageToPFN(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	p, err := unpackPage(m, c)
	if err != nil {
		return nil, err
	}
	return runtime.Int(p.pfn), nil
}

func builtinPFNToPage(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	var pfn int64
	if err := c.Unpack("pfn", &pfn); err != nil {
		return nil, err
	}
	if pfn < 0 || uint64(pfn) >= uint64(m.Phys.MaxPFN()) {
		return nil, fmt.Errorf("%s: pfn %#x is not valid: memory ends at pfn %#x", c.Name, pfn, uint64(m.Phys.MaxPFN()))
	}
	return Page{m, phys.PFN(pfn)}, nil
}

func builtinPageZone(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	p, err := unpackPage(m, c)
	if err != nil {
		return nil, err
	}
	return Zone{m, m.Phys.PageZone(p.pfn).Index}, nil
}

func builtinGFPZone(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	gfp, err := unpackGFP(c)
	if err != nil {
		return nil, err
	}
	z, err := m.Phys.GFPZone(gfp)
	if err != nil {
		return nil, err
	}
	return Zone{m, z.Index}, nil
}

func builtinGFPString(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	gfp, err := unpackGFP(c)
	if err != nil {
		return nil, err
	}
	return runtime.String(gfp.String()), nil
}

func builtinZone(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	var v runtime.Value
	if err := c.Unpack("name", &v); err != nil {
		return nil, err
	}
	z, err := argZone(m, c, v)
	if err != nil {
		return nil, err
	}
	return Zone{m, z.Index}, nil
}

func builtinZones(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	if err := c.Unpack(); err != nil {
		return nil, err
	}
	l := &runtime.List{}
	for _, z := range m.Phys.Zones {
		l.Elems = append(l.Elems, Zone{m, z.Index})
	}
	return l, nil
}

func builtinNrFree(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	var zv runtime.Value
	var order int64
	if err := c.Unpack("zone", &zv, "order", &order); err != nil {
		return nil, err
	}
	z, err := argZone(m, c, zv)
	if err != nil {
		return nil, err
	}
	if order < 0 || order > phys.MaxOrder {
		return nil, fmt.Errorf("%s: order %d is outside 0..%d", c.Name, order, phys.MaxOrder)
	}
	return runtime.Int(z.NrFree(int(order))), nil
}

func counter(f func(p *phys.Mem) uint64) modelBuiltin {
	return func(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
		if err := c.Unpack(); err != nil {
			return nil, err
		}
		return runtime.Int(f(m.Phys)), nil
	}
}

func pageTest(f func(phys.PageInfo) bool) modelBuiltin {
	return func(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
		p, err := unpackPage(m, c)
		if err != nil {
			return nil, err
		}
		return runtime.Bool(f(p.info())), nil
	}
}

// builtinGetOrder models include/asm-generic/getorder.h:get_order().
func builtinGetOrder(th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	var size int64
	if err := c.Unpack("size", &size); err != nil {
		return nil, err
	}
	if size <= 0 {
		return nil, fmt.Errorf("get_order: size %d is not positive (get_order(0) is undefined in the kernel)", size)
	}
	// fls64((size - 1) >> PAGE_SHIFT): a loop on PAGE_SIZE << order would
	// overflow, and never end, for sizes above 2^62.
	return runtime.Int(bits.Len64(uint64(size-1) >> arch.PageShift)), nil
}
