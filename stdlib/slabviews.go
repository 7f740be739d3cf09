package stdlib

import (
	"fmt"
	"strings"

	"mmsim/kernelmodel"
	"mmsim/kernelmodel/slab"
	"mmsim/runtime"
)

// Views of the slab layer: /proc/slabinfo (mm/slab_common.c
// print_slabinfo_header and cache_show) and crash's kmem -s.

func init() {
	RegisterView(View{Name: "slabinfo", Doc: "every slab cache's objects and slabs, as /proc/slabinfo (version 2.1)", Show: showSlabinfo})
}

// showSlabinfo prints /proc/slabinfo as the allocator fills it
// (get_slabinfo()): under SLUB, active objects are all objects minus the
// free ones on the node's partial slabs (free objects of the per-CPU slabs
// count as active), every slab is active, and the tunables are 0; under
// SLAB, active objects are those not free in a slab (the per-CPU arrays'
// count as active), active slabs the full and partial ones, and the
// tunables the array limit, batch count and shared factor.
func showSlabinfo(h *Host, th *runtime.Thread, args []runtime.ShowArg) error {
	if err := noArgs("slabinfo", args); err != nil {
		return err
	}
	m, err := h.machine()
	if err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("slabinfo - version: 2.1\n")
	b.WriteString("# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>\n")
	for _, c := range m.Slab.Caches() {
		n := c.Counts()
		limit, batch, shared := c.Tunables()
		fmt.Fprintf(&b, "%-17s %6d %6d %6d %4d %4d", c.Name, n.ActiveObjs, n.Objs, c.ObjectSize, c.ObjsPerSlab, 1<<c.Order)
		fmt.Fprintf(&b, " : tunables %4d %4d %4d", limit, batch, shared)
		fmt.Fprintf(&b, " : slabdata %6d %6d %6d\n", n.ActiveSlabs, n.Slabs, 0)
	}
	return emit(th, b.String())
}

// kmemSlabs is crash's kmem -s: one line per cache with its notional
// struct kmem_cache address (the caches are laid out one after another in
// the kmem_cache cache's memory, 256 bytes apart, by creation order).
func kmemSlabs(m *kernelmodel.Machine) string {
	var b strings.Builder
	k := newKmemLayout(m.Layout)
	fmt.Fprintf(&b, "%-*s  OBJSIZE  ALLOCATED     TOTAL  SLABS  SSIZE  NAME\n", k.prlen, "CACHE")
	caches := m.Slab.Caches()
	base := uint64(m.Layout.PageOffset) + 0x100000 + 0x3000
	for i, c := range caches {
		addr := base + uint64(len(caches)-1-i)*256
		n := c.Counts()
		fmt.Fprintf(&b, "%-*x  %7d  %9d  %8d  %5d  %4dk  %s\n", k.prlen, addr, c.ObjectSize, n.InUse, n.Objs, n.Slabs, 4<<c.Order, c.Name)
	}
	return b.String()
}

func init() {
	RegisterView(View{Name: "slab", Doc: "a picture of one cache: its slabs on each list with a bar of used (#), free (.) and, under slab=slab, per-CPU-cached (c) objects", Show: showSlab})
}

// cacheArg reads the one argument of show slab and show kmem -S: a cache
// or a cache's name.
func cacheArg(m *kernelmodel.Machine, view string, args []runtime.ShowArg) (*slab.Cache, error) {
	var vals []runtime.Value
	for _, a := range args {
		if a.Flag != "" && a.Flag != "-S" {
			return nil, fmt.Errorf("show %s: unknown flag %s", view, a.Flag)
		}
		if a.Value != nil {
			vals = append(vals, a.Value)
		}
	}
	if len(vals) != 1 {
		return nil, fmt.Errorf("show %s needs one cache: a cache value or its name", view)
	}
	switch v := vals[0].(type) {
	case Cache:
		if v.m != m || v.c.Destroyed() {
			return nil, fmt.Errorf("show %s: the cache is gone", view)
		}
		return v.c, nil
	case runtime.String:
		if c := m.Slab.Find(string(v)); c != nil {
			return c, nil
		}
		return nil, fmt.Errorf("show %s: no cache named %q", view, string(v))
	}
	return nil, fmt.Errorf("show %s: want a cache or a cache's name, not %s", view, vals[0].Type())
}

// showSlab is mmsim's picture of a cache.
func showSlab(h *Host, th *runtime.Thread, args []runtime.ShowArg) error {
	m, err := h.machine()
	if err != nil {
		return err
	}
	c, err := cacheArg(m, "slab", args)
	if err != nil {
		return err
	}
	var b strings.Builder
	n := c.Counts()
	fmt.Fprintf(&b, "cache %s: %d-byte objects in %d bytes (align %d), %d per order-%d slab, %d bytes left over per slab\n",
		c.Name, c.ObjectSize, c.Size, c.Align, c.ObjsPerSlab, c.Order, c.LeftOver())
	if c.Classic() {
		fmt.Fprintf(&b, "%d slabs, %d of %d objects in use\n", n.Slabs, n.InUse, n.Objs)
	} else {
		fmt.Fprintf(&b, "%d slabs, %d of %d objects in use; min_partial %d, cpu_partial %d (%d slabs)\n",
			n.Slabs, n.InUse, n.Objs, c.MinPartial, c.CPUPartial, c.CPUPartialSlabs)
	}
	cached := c.InArrays()
	line := func(label string, s *slab.Slab) {
		bar := make([]byte, s.Objects)
		for i := range bar {
			switch {
			case s.Used(i):
				bar[i] = '#'
			case cached[s.Addr(i)]:
				bar[i] = 'c'
			default:
				bar[i] = '.'
			}
		}
		shown := string(bar)
		if len(shown) > 64 {
			used := s.InUse * 64 / s.Objects
			shown = strings.Repeat("#", used) + strings.Repeat(".", 64-used) + "~"
		}
		fmt.Fprintf(&b, "  %-16s pfn %#-8x [%s] %d/%d\n", label, uint64(s.PFN), shown, s.InUse, s.Objects)
	}
	empty := true
	if full, partial, free := c.ClassicLists(); c.Classic() {
		colours, colourOff := c.Colour()
		limit, batch, _ := c.Tunables()
		mgmt := "on-slab"
		if c.OffSlab() {
			mgmt = "off-slab"
		}
		fmt.Fprintf(&b, "SLAB: management %s, %d colours of %d bytes, per-CPU arrays of %d (batch %d):", mgmt, colours, colourOff, limit, batch)
		for cpu := 0; cpu < c.CPUs(); cpu++ {
			fmt.Fprintf(&b, " cpu %d holds %d", cpu, c.ArrayAvail(cpu))
		}
		b.WriteString("\n")
		for _, l := range []struct {
			name  string
			slabs []*slab.Slab
		}{{"slabs_full", full}, {"slabs_partial", partial}, {"slabs_free", free}} {
			for _, s := range l.slabs {
				line(fmt.Sprintf("%s +%d", l.name, s.ColourOffset()), s)
				empty = false
			}
		}
	}
	for cpu := 0; cpu < c.CPUs() && !c.Classic(); cpu++ {
		if s := c.CPUSlab(cpu); s != nil {
			line(fmt.Sprintf("cpu %d active", cpu), s)
			empty = false
		}
		for _, s := range c.CPUPartialList(cpu) {
			line(fmt.Sprintf("cpu %d partial", cpu), s)
			empty = false
		}
	}
	if !c.Classic() {
		for _, s := range c.NodePartialList() {
			line("node partial", s)
			empty = false
		}
		for _, s := range c.FullSlabs() {
			line("full", s)
			empty = false
		}
	}
	if empty {
		b.WriteString("  (no slabs)\n")
	}
	return emit(th, b.String())
}

// kmemSlab is crash's kmem -S CACHE under SLUB: the cache line, then per
// CPU its active slab with each object (allocated ones in brackets) and
// its partial list, then the node's partial list.
func kmemSlab(m *kernelmodel.Machine, c *slab.Cache) string {
	var b strings.Builder
	k := newKmemLayout(m.Layout)
	full := kmemSlabs(m)
	lines := strings.Split(full, "\n")
	b.WriteString(lines[0] + "\n")
	for i, k := range m.Slab.Caches() { // kmem -s has one line per cache, in this order
		if k == c { // by identity: names may repeat
			b.WriteString(lines[1+i] + "\n")
			break
		}
	}
	cached := c.InArrays()
	slabLines := func(s *slab.Slab) {
		fmt.Fprintf(&b, "    %-*s  %-*s  NODE  TOTAL  ALLOCATED  FREE\n", k.prlen, "SLAB", k.prlen, "MEMORY")
		fmt.Fprintf(&b, "    %-*x  %-*x  %4d  %5d  %9d  %4d\n", k.prlen, k.page(s.PFN), k.prlen, uint64(s.Base), 0, s.Objects, s.InUse, s.Objects-s.InUse)
		b.WriteString("    FREE / [ALLOCATED]\n")
		for i := 0; i < s.Objects; i++ {
			switch {
			case s.Used(i):
				fmt.Fprintf(&b, "    [%x]\n", uint64(s.Addr(i)))
			case cached[s.Addr(i)]:
				fmt.Fprintf(&b, "     %x  (cpu cache)\n", uint64(s.Addr(i)))
			default:
				fmt.Fprintf(&b, "     %x\n", uint64(s.Addr(i)))
			}
		}
	}
	if full, partial, free := c.ClassicLists(); c.Classic() {
		// crash's SLAB layout: each list of the node with its slabs.
		for _, l := range []struct {
			name  string
			slabs []*slab.Slab
		}{{"SLABS_PARTIAL", partial}, {"SLABS_FULL", full}, {"SLABS_FREE", free}} {
			fmt.Fprintf(&b, "  %s:\n", l.name)
			if len(l.slabs) == 0 {
				b.WriteString("    (empty)\n")
			}
			for _, s := range l.slabs {
				slabLines(s)
			}
		}
		return b.String()
	}
	for cpu := 0; cpu < c.CPUs(); cpu++ {
		fmt.Fprintf(&b, "  CPU %d SLAB:\n", cpu)
		if s := c.CPUSlab(cpu); s != nil {
			slabLines(s)
		} else {
			b.WriteString("    (empty)\n")
		}
		fmt.Fprintf(&b, "  CPU %d PARTIAL:\n", cpu)
		if l := c.CPUPartialList(cpu); len(l) > 0 {
			for _, s := range l {
				slabLines(s)
			}
		} else {
			b.WriteString("    (empty)\n")
		}
	}
	b.WriteString("  NODE 0 PARTIAL:\n")
	if l := c.NodePartialList(); len(l) > 0 {
		for _, s := range l {
			slabLines(s)
		}
	} else {
		b.WriteString("    (empty)\n")
	}
	b.WriteString("  NODE 0 FULL:\n    (not tracked)\n")
	return b.String()
}
