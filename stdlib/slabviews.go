package stdlib

import (
	"fmt"
	"strings"

	"mmsim/kernelmodel"
	"mmsim/runtime"
)

// Views of the slab layer: /proc/slabinfo (mm/slab_common.c
// print_slabinfo_header and cache_show) and crash's kmem -s.

func init() {
	RegisterView(View{Name: "slabinfo", Doc: "every slab cache's objects and slabs, as /proc/slabinfo (version 2.1)", Show: showSlabinfo})
}

// showSlabinfo prints /proc/slabinfo as SLUB fills it (get_slabinfo()):
// active objects are all objects minus the free ones on the node's partial
// slabs (free objects of the per-CPU slabs count as active), every slab is
// active, and the SLAB tunables are 0.
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
		fmt.Fprintf(&b, "%-17s %6d %6d %6d %4d %4d", c.Name, n.Objs-n.FreeOnPartial, n.Objs, c.ObjectSize, c.ObjsPerSlab, 1<<c.Order)
		fmt.Fprintf(&b, " : tunables %4d %4d %4d", 0, 0, 0)
		fmt.Fprintf(&b, " : slabdata %6d %6d %6d\n", n.Slabs, n.Slabs, 0)
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
