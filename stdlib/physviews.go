package stdlib

import (
	"fmt"
	"math/bits"
	"strings"

	"mmsim/kernelmodel"
	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/phys"
	"mmsim/kernelmodel/reclaim"
	"mmsim/runtime"
)

// Views of physical memory: /proc/buddyinfo, /proc/zoneinfo and
// /proc/meminfo as Linux 6.18 prints them (mm/vmstat.c frag_show_print and
// zoneinfo_show_print, fs/proc/meminfo.c meminfo_proc_show), the crash
// utility's kmem -f and -F (memory.c dump_free_pages_zones_v2 and
// dump_zone_free_area), and physmem, a map of physical memory of mmsim's
// own.
//
// The /proc layouts are those of a kernel configured as the model is: one
// node and no CONFIG_NUMA (no numa_* zone counters, no pgpromote_* node
// counters), CONFIG_HIGHMEM exactly when the machine has a HighMem zone,
// CONFIG_SWAP, CONFIG_ZSMALLOC, CONFIG_IOMMU_SUPPORT and
// CONFIG_TRANSPARENT_HUGEPAGE (x86 selects it in every paging mode), and
// no CONFIG_HUGETLB_PAGE, CONFIG_CMA, CONFIG_ZSWAP, CONFIG_MEMORY_FAILURE
// or CONFIG_UNACCEPTED_MEMORY. Counters of subsystems the model does not
// have yet (page cache, LRU lists, per-CPU page lists) are 0.

func init() {
	RegisterView(View{Name: "buddyinfo", Doc: "free blocks per order in each populated zone, as /proc/buddyinfo", Show: showBuddyinfo})
	RegisterView(View{Name: "zoneinfo", Doc: "every zone's free pages, watermarks, sizes, protection and counters, as /proc/zoneinfo", Show: showZoneinfo})
	RegisterView(View{Name: "meminfo", Doc: "memory totals in kB, as /proc/meminfo", Show: showMeminfo})
	RegisterView(View{Name: "kmem", Doc: "crash's kmem: -f the free lists of every zone, checked against nr_free_pages; -F the same with every free block; -s the slab caches; -S CACHE one cache's slabs and objects", Show: showKmem})
	RegisterView(View{Name: "physmem", Doc: "a map of physical memory, one character per block of frames (. free, K kernel image, R firmware-reserved, A alloc_pages, S slab, P page tables, U user, V vmalloc, T kernel stacks); each zone starts a line", Show: showPhysmem})
}

// emit charges the work of printing s and writes it.
func emit(th *runtime.Thread, s string) error {
	if err := th.Charge(len(s)); err != nil {
		return err
	}
	_, err := fmt.Fprint(th.Out, s)
	return err
}

// showBuddyinfo prints /proc/buddyinfo: for each populated zone the number
// of free blocks of each order, 0 to MAX_PAGE_ORDER (frag_show_print).
func showBuddyinfo(h *Host, th *runtime.Thread, args []runtime.ShowArg) error {
	if err := noArgs("buddyinfo", args); err != nil {
		return err
	}
	m, err := h.machine()
	if err != nil {
		return err
	}
	var b strings.Builder
	for _, z := range m.Phys.Zones {
		if !z.Populated() {
			continue
		}
		fmt.Fprintf(&b, "Node %d, zone %8s ", 0, z.Name)
		for o := 0; o < phys.NROrders; o++ {
			fmt.Fprintf(&b, "%6d ", z.NrFree(o))
		}
		b.WriteByte('\n')
	}
	return emit(th, b.String())
}

// ownerFrames is a number of frames for each use (phys.Owner).
type ownerFrames [phys.OwnerStack + 1]uint64

// countOwners counts the frames of each use from the map of uses: its
// cost follows the number of blocks, not the size of memory.
func countOwners(m *kernelmodel.Machine) ownerFrames {
	var n ownerFrames
	for _, u := range m.Phys.Uses() {
		if int(u.Owner) < len(n) {
			n[u.Owner] += uint64(u.End - u.Start)
		}
	}
	return n
}

// nodeStats are the node counters the model knows, by their vmstat names;
// every other one is 0. Slab pages of SLAB_RECLAIM_ACCOUNT caches are
// reclaimable, the others (and large kmallocs) not; nr_kernel_stack is in
// kB, as the kernel's NR_KERNEL_STACK_KB.
func nodeStats(m *kernelmodel.Machine, n ownerFrames) map[string]uint64 {
	recl := m.Slab.ReclaimablePages()
	return map[string]uint64{
		"nr_slab_reclaimable":   recl,
		"nr_slab_unreclaimable": n[phys.OwnerSlab] - recl,
		"nr_kernel_stack":       n[phys.OwnerStack] * arch.PageSize / 1024,
		"nr_page_table_pages":   n[phys.OwnerPageTable],
	}
}

// nodeStatNames are the node counters zoneinfo prints under "per-node
// stats": enum node_stat_item of Linux 6.18 in vmstat_text order, without
// pgpromote_success, pgpromote_candidate and pgpromote_candidate_nrl
// (CONFIG_NUMA_BALANCING) and nr_hugetlb (CONFIG_HUGETLB_PAGE).
var nodeStatNames = []string{
	"nr_inactive_anon", "nr_active_anon", "nr_inactive_file", "nr_active_file", "nr_unevictable",
	"nr_slab_reclaimable", "nr_slab_unreclaimable", "nr_isolated_anon", "nr_isolated_file",
	"workingset_nodes", "workingset_refault_anon", "workingset_refault_file",
	"workingset_activate_anon", "workingset_activate_file", "workingset_restore_anon",
	"workingset_restore_file", "workingset_nodereclaim",
	"nr_anon_pages", "nr_mapped", "nr_file_pages", "nr_dirty", "nr_writeback", "nr_shmem",
	"nr_shmem_hugepages", "nr_shmem_pmdmapped", "nr_file_hugepages", "nr_file_pmdmapped",
	"nr_anon_transparent_hugepages", "nr_vmscan_write", "nr_vmscan_immediate_reclaim",
	"nr_dirtied", "nr_written", "nr_throttled_written", "nr_kernel_misc_reclaimable",
	"nr_foll_pin_acquired", "nr_foll_pin_released", "nr_kernel_stack", "nr_page_table_pages",
	"nr_sec_page_table_pages", "nr_iommu_pages", "nr_swapcached",
	"pgdemote_kswapd", "pgdemote_direct", "pgdemote_khugepaged", "pgdemote_proactive",
	"nr_balloon_pages", "nr_kernel_file_pages",
}

// zoneStatNames are enum zone_stat_item of Linux 6.18 (nr_bounce is gone,
// nr_free_pages_blocks new), with nr_zspages (CONFIG_ZSMALLOC) and without
// nr_unaccepted.
var zoneStatNames = []string{
	"nr_free_pages", "nr_free_pages_blocks", "nr_zone_inactive_anon", "nr_zone_active_anon",
	"nr_zone_inactive_file", "nr_zone_active_file", "nr_zone_unevictable",
	"nr_zone_write_pending", "nr_mlock", "nr_zspages", "nr_free_cma",
}

// pageblockOrder is pageblock_order: with transparent huge pages, the
// order of a PMD-mapped huge page (include/linux/pageblock-flags.h). A
// PMD maps 4M with x86's two-level paging, 2M with PAE and on x86_64.
func pageblockOrder(l *arch.Layout) int {
	if l.Arch == "x86" && l.Paging == "2level" {
		return 10
	}
	return 9
}

// showZoneinfo prints /proc/zoneinfo as zoneinfo_show_print does, for every
// zone the kernel is built with. Per-CPU page lists are not modelled: each
// CPU's pageset is what the kernel shows for a zone whose pcp lists are
// disabled (count 0, high 0, batch 1), and the vmstat threshold is 0
// because the model's counters are exact.
func showZoneinfo(h *Host, th *runtime.Thread, args []runtime.ShowArg) error {
	if err := noArgs("zoneinfo", args); err != nil {
		return err
	}
	m, err := h.machine()
	if err != nil {
		return err
	}
	mem := m.Phys
	node := nodeStats(m, countOwners(m))
	first := true
	var b strings.Builder
	for _, z := range mem.Zones {
		fmt.Fprintf(&b, "Node %d, zone %8s", 0, z.Name)
		if z.Populated() && first {
			first = false
			b.WriteString("\n  per-node stats")
			for _, name := range nodeStatNames {
				fmt.Fprintf(&b, "\n      %-12s %d", name, node[name])
			}
		}
		fmt.Fprintf(&b, "\n  pages free     %d", z.Free())
		fmt.Fprintf(&b, "\n        boost    %d", 0)
		fmt.Fprintf(&b, "\n        min      %d", z.Min())
		fmt.Fprintf(&b, "\n        low      %d", z.Low())
		fmt.Fprintf(&b, "\n        high     %d", z.High())
		fmt.Fprintf(&b, "\n        promo    %d", z.Watermark[phys.WmarkPromo])
		fmt.Fprintf(&b, "\n        spanned  %d", z.Spanned())
		fmt.Fprintf(&b, "\n        present  %d", z.Present)
		fmt.Fprintf(&b, "\n        managed  %d", z.Managed)
		fmt.Fprintf(&b, "\n        cma      %d", 0)
		b.WriteString("\n        protection: (")
		for i, r := range z.LowmemReserve {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%d", r)
		}
		b.WriteByte(')')
		if !z.Populated() {
			b.WriteByte('\n')
			continue
		}
		var blocks uint64
		for o := pageblockOrder(m.Layout); o <= phys.MaxOrder; o++ {
			blocks += z.NrFree(o) << o
		}
		zone := map[string]uint64{"nr_free_pages": z.Free(), "nr_free_pages_blocks": blocks}
		for _, name := range zoneStatNames {
			fmt.Fprintf(&b, "\n      %-12s %d", name, zone[name])
		}
		b.WriteString("\n  pagesets")
		for cpu := 0; cpu < m.Config.CPUs; cpu++ {
			fmt.Fprintf(&b, "\n    cpu: %d", cpu)
			fmt.Fprintf(&b, "\n              count:    %d", 0)
			fmt.Fprintf(&b, "\n              high:     %d", 0)
			fmt.Fprintf(&b, "\n              batch:    %d", 1)
			fmt.Fprintf(&b, "\n              high_min: %d", 0)
			fmt.Fprintf(&b, "\n              high_max: %d", 0)
			fmt.Fprintf(&b, "\n  vm stats threshold: %d", 0)
		}
		fmt.Fprintf(&b, "\n  node_unreclaimable:  %d", 0)
		fmt.Fprintf(&b, "\n  start_pfn:           %d", uint64(z.StartPFN))
		b.WriteByte('\n')
	}
	return emit(th, b.String())
}

// swapPages is total_swap_pages: the swap area's pages but its first,
// which holds the swap header (mm/swapfile.c: swapon counts the slots
// after the header; a 1G swap file shows SwapTotal 1048572 kB).
func swapPages(m *kernelmodel.Machine) uint64 {
	n := m.Config.Swap / arch.PageSize
	if n == 0 {
		return 0
	}
	return n - 1
}

// showMeminfo prints /proc/meminfo as meminfo_proc_show does: each line
// the name padded to 16 columns, the value in kB right-aligned in 8, then
// " kB" (show_val_kb). Memory the model does not track yet is 0.
// hugetlb_report_meminfo (no CONFIG_HUGETLB_PAGE) and
// arch_report_meminfo's DirectMap lines (no direct-map page sizes are
// modelled yet) print nothing.
func showMeminfo(h *Host, th *runtime.Thread, args []runtime.ShowArg) error {
	if err := noArgs("meminfo", args); err != nil {
		return err
	}
	m, err := h.machine()
	if err != nil {
		return err
	}
	mem := m.Phys
	own := countOwners(m)
	total, free := mem.TotalRAM(), mem.NrFreePages()
	swap := swapPages(m)
	slab := own[phys.OwnerSlab]
	recl := m.Slab.ReclaimablePages()
	// si_mem_available(): free pages above the reserves, plus the part
	// of the page cache and of the reclaimable slab that reclaim could
	// free — half of each, or all but the low watermarks' worth; never
	// below 0.
	var wmarkLow uint64
	for _, z := range mem.Zones {
		wmarkLow += z.Low()
	}
	us := m.Procs.MemStats()
	avail := int64(free) - int64(mem.TotalReserve())
	avail += int64(us.Cached - min(us.Cached/2, wmarkLow))
	avail += int64(recl - min(recl/2, wmarkLow))
	available := uint64(max(avail, 0))
	// vm_commit_limit() with vm.overcommit_ratio 50 and no huge pages.
	commitLimit := total*50/100 + swap

	var b strings.Builder
	kb := func(name string, pages uint64) {
		fmt.Fprintf(&b, "%-16s%8d kB\n", name+":", pages*arch.PageSize/1024)
	}
	kb("MemTotal", total)
	kb("MemFree", free)
	kb("MemAvailable", available)
	lru := m.Reclaim.LRU
	n := func(l reclaim.List) uint64 { return uint64(lru.Len(l)) }
	kb("Buffers", 0)
	kb("Cached", us.Cached)
	kb("SwapCached", us.SwapCached)
	kb("Active", n(reclaim.ActiveAnon)+n(reclaim.ActiveFile))
	kb("Inactive", n(reclaim.InactiveAnon)+n(reclaim.InactiveFile))
	kb("Active(anon)", n(reclaim.ActiveAnon))
	kb("Inactive(anon)", n(reclaim.InactiveAnon))
	kb("Active(file)", n(reclaim.ActiveFile))
	kb("Inactive(file)", n(reclaim.InactiveFile))
	kb("Unevictable", n(reclaim.Unevictable))
	kb("Mlocked", us.Mlocked)
	if m.Layout.HasZone(arch.ZoneHighMem) { // CONFIG_HIGHMEM
		kb("HighTotal", mem.TotalHigh())
		kb("HighFree", mem.FreeHigh())
		kb("LowTotal", total-mem.TotalHigh())
		kb("LowFree", free-mem.FreeHigh())
	}
	kb("SwapTotal", swap)
	kb("SwapFree", swap-uint64(m.Reclaim.Swap.Used()))
	kb("Dirty", us.Dirty)
	kb("Writeback", 0)
	kb("AnonPages", us.AnonPages)
	kb("Mapped", us.Mapped)
	kb("Shmem", us.Shmem)
	kb("KReclaimable", recl)
	kb("Slab", slab)
	kb("SReclaimable", recl)
	kb("SUnreclaim", slab-recl)
	kb("KernelStack", own[phys.OwnerStack])
	kb("PageTables", own[phys.OwnerPageTable])
	kb("SecPageTables", 0)
	kb("NFS_Unstable", 0)
	kb("Bounce", 0)
	kb("WritebackTmp", 0)
	kb("CommitLimit", commitLimit)
	kb("Committed_AS", 0)
	fmt.Fprintf(&b, "%-16s%8d kB\n", "VmallocTotal:", uint64(m.Layout.VmallocEnd-m.Layout.VmallocStart)>>10)
	kb("VmallocUsed", own[phys.OwnerVmalloc])
	kb("VmallocChunk", 0)
	kb("Percpu", 0)
	kb("AnonHugePages", 0)
	kb("ShmemHugePages", 0)
	kb("ShmemPmdMapped", 0)
	kb("FileHugePages", 0)
	kb("FilePmdMapped", 0)
	kb("Balloon", 0)
	return emit(th, b.String())
}

// kmemFlags are the flags show kmem has so far, for its errors.
const kmemFlags = "-f (the free lists of every zone), -F (the same, with every free block), -s (the slab caches) and -S CACHE (one cache's slabs and objects)"

// showKmem is crash's kmem command; -f, -F, -s and -S so far.
func showKmem(h *Host, th *runtime.Thread, args []runtime.ShowArg) error {
	var flagF, flagf, flags bool
	if len(args) > 0 && args[0].Flag == "-S" {
		m, err := h.machine()
		if err != nil {
			return err
		}
		c, err := cacheArg(m, "kmem -S", args)
		if err != nil {
			return err
		}
		return emit(th, kmemSlab(m, c))
	}
	for _, a := range args {
		switch a.Flag {
		case "-f":
			flagf = true
		case "-F":
			flagF = true
		case "-s":
			flags = true
		case "":
			return fmt.Errorf("show kmem: unexpected argument %s: kmem takes only a flag, %s", runtime.Repr(a.Value), kmemFlags)
		default:
			return fmt.Errorf("show kmem: unknown flag %s: kmem has %s", a.Flag, kmemFlags)
		}
	}
	if !flagf && !flagF && !flags {
		return fmt.Errorf("show kmem needs a flag: %s", kmemFlags)
	}
	m, err := h.machine()
	if err != nil {
		return err
	}
	if flags {
		if flagf || flagF {
			return fmt.Errorf("show kmem: -s cannot be combined with -f or -F")
		}
		return emit(th, kmemSlabs(m))
	}
	return emit(th, kmemFree(m, flagF))
}

// Notional kernel addresses for kmem. The model has no kernel memory
// image, so the addresses crash would read are made up, consistently:
//
//   - struct page of pfn p is at Layout.MemMap + p*StructPageSize, so a
//     zone's MEM_MAP is the struct page of its first frame (0 for an empty
//     zone, as crash prints it) and START_MAPNR its index in mem_map.
//   - contig_page_data, the node's pglist_data, lies in the kernel image
//     at its physical start plus pgdatOffset, seen through the kernel's
//     symbol mapping: PAGE_OFFSET on x86, __START_KERNEL_map
//     (0xffffffff80000000) on x86_64. node_zones[] starts nodeZonesOffset
//     into it and each struct zone is zoneSize words long; free_area[]
//     starts freeAreaOffset words into the zone, and free_area[o] is three
//     words: one free list (a two-word list_head) and nr_free. The model
//     has no migrate types, so each order has one list, which crash shows
//     as one line per order.
const (
	pgdatOffset     = 0x1a0000
	nodeZonesOffset = 0
	zoneSize        = 208 // words
	freeAreaOffset  = 24  // words
)

type kmemLayout struct {
	word, prlen int    // sizeof(long); crash's VADDR_PRLEN
	pgdat       uint64 // &contig_page_data
	l           *arch.Layout
}

func newKmemLayout(l *arch.Layout) kmemLayout {
	k := kmemLayout{word: l.PtrSize(), prlen: 2 * l.PtrSize(), l: l}
	symbols := uint64(0xffffffff80000000)
	if l.Arch == "x86" {
		symbols = uint64(l.PageOffset)
	}
	k.pgdat = symbols + l.KernelStart + pgdatOffset
	return k
}

func (k kmemLayout) page(pfn phys.PFN) uint64 {
	return uint64(k.l.MemMap) + uint64(pfn)*k.l.StructPageSize
}

func (k kmemLayout) freeArea(zone, order int) uint64 {
	w := uint64(k.word)
	return k.pgdat + nodeZonesOffset + uint64(zone)*zoneSize*w + freeAreaOffset*w + uint64(order)*3*w
}

// center justifies s in width columns as crash's mkstring(CENTER) does:
// an odd space left over goes right, or left with rjust.
func center(s string, width int, rjust bool) string {
	extra := width - len(s)
	if extra <= 0 {
		return s
	}
	left, right := extra/2, extra-extra/2
	if rjust {
		left, right = right, left
	}
	return strings.Repeat(" ", left) + s + strings.Repeat(" ", right)
}

// runShown is how many blocks of an untouched run kmem -F lists at each
// end; the blocks between are counted on one line.
const runShown = 4

// kmemFree is crash's kmem -f (verbose: -F) as dump_free_pages_zones_v2
// prints it: per zone a header and a row (number, name, spanned pages,
// free pages, MEM_MAP, START_PADDR, START_MAPNR), then, if the zone has
// free pages, one line per order with its free_area address and the
// blocks and pages counted by walking the list; last the sum of the
// zones' free counters, "(verified)" when the walks found as many pages,
// or "(found N)" with what they found.
//
// With -F each order line gets its own AREA header and no counts, and is
// followed by the free blocks in list order: crash prints each block's
// struct page address; mmsim adds its physical address. An untouched run
// of more than 2*runShown+1 blocks shows its first and last runShown
// blocks and a line counting the others.
func kmemFree(m *kernelmodel.Machine, verbose bool) string {
	k := newKmemLayout(m.Layout)
	var b strings.Builder
	b.WriteString("NODE\n  0\n")
	var sum, found uint64
	for i, z := range m.Phys.Zones {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "ZONE  NAME        SIZE    FREE  %s  START_PADDR  START_MAPNR\n", center("MEM_MAP", k.prlen, false))
		var memMap, mapnr uint64
		if z.Spanned() > 0 {
			memMap, mapnr = k.page(z.StartPFN), uint64(z.StartPFN)
		}
		fmt.Fprintf(&b, "%3d   %-9s %6d  %6d  %s  %s  %s\n", i, z.Name, z.Spanned(), z.Free(),
			center(fmt.Sprintf("%x", memMap), k.prlen, false),
			center(fmt.Sprintf("%x", uint64(z.StartPFN.Addr())), len("START_PADDR"), true),
			center(fmt.Sprintf("%d", mapnr), len("START_MAPNR"), true))
		sum += z.Free()
		if z.Free() == 0 {
			continue
		}
		if !verbose {
			b.WriteString("AREA    SIZE  FREE_AREA_STRUCT  BLOCKS  PAGES\n")
		}
		for o := 0; o < phys.NROrders; o++ {
			if verbose {
				b.WriteString("AREA    SIZE  FREE_AREA_STRUCT\n")
			}
			fmt.Fprintf(&b, "%3d  %7s  %s  ", o, fmt.Sprintf("%dk", (arch.PageSize<<o)/1024), center(fmt.Sprintf("%x", k.freeArea(i, o)), len("FREE_AREA_STRUCT"), false))
			if verbose {
				b.WriteByte('\n')
			}
			var blocks uint64
			m.Phys.FreeBlocks(z, o, func(pfn phys.PFN, n uint64) {
				blocks += n
				if !verbose {
					return
				}
				size := phys.PFN(1) << o
				line := func(j uint64) {
					p := pfn + phys.PFN(j)*size
					fmt.Fprintf(&b, "%-*x  %x\n", k.prlen, k.page(p), uint64(p.Addr()))
				}
				if n <= 2*runShown+1 {
					for j := uint64(0); j < n; j++ {
						line(j)
					}
					return
				}
				for j := uint64(0); j < runShown; j++ {
					line(j)
				}
				fmt.Fprintf(&b, "... %d more blocks of this untouched run ...\n", n-2*runShown)
				for j := n - runShown; j < n; j++ {
					line(j)
				}
			})
			if !verbose {
				fmt.Fprintf(&b, "%6d %6d\n", blocks, blocks<<o)
			}
			found += blocks << o
		}
	}
	fmt.Fprintf(&b, "\nnr_free_pages: %d  ", sum)
	if sum == found {
		b.WriteString("(verified)\n")
	} else {
		fmt.Fprintf(&b, "(found %d)\n", found)
	}
	return b.String()
}

// The physical memory map. Each zone with frames starts a new line and is
// named in a left column; the first zone's lines also hold the frames
// below it (the firmware-reserved first megabyte), as the kernel counts
// them to the first zone. Every line starts with the physical address of
// its first frame. One character stands for a block of frames, the
// smallest power of two that fits the map in physmemLines lines of
// physmemWidth characters; it shows the use that holds most of the
// block's frames, a non-free use winning a tie with free frames and the
// earlier use in the legend winning a tie between uses.
const (
	physmemWidth = 64
	physmemLines = 16
)

// physmemChars are the map's characters by phys.Owner, and the legend in
// the order ties are broken.
var (
	physmemChars  = [...]byte{phys.OwnerNone: '.', phys.OwnerFirmware: 'R', phys.OwnerKernel: 'K', phys.OwnerPages: 'A', phys.OwnerSlab: 'S', phys.OwnerPageTable: 'P', phys.OwnerUser: 'U', phys.OwnerVmalloc: 'V', phys.OwnerStack: 'T'}
	physmemLegend = []struct {
		owner phys.Owner
		name  string
	}{
		{phys.OwnerNone, "free"}, {phys.OwnerKernel, "kernel image"}, {phys.OwnerFirmware, "firmware-reserved"},
		{phys.OwnerPages, "alloc_pages"}, {phys.OwnerSlab, "slab"}, {phys.OwnerPageTable, "page tables"},
		{phys.OwnerUser, "user"}, {phys.OwnerVmalloc, "vmalloc"}, {phys.OwnerStack, "kernel stacks"},
	}
)

// physSegment is the stretch of frames one zone's lines show.
type physSegment struct {
	name       string
	start, end phys.PFN
}

func showPhysmem(h *Host, th *runtime.Thread, args []runtime.ShowArg) error {
	if err := noArgs("physmem", args); err != nil {
		return err
	}
	m, err := h.machine()
	if err != nil {
		return err
	}
	return emit(th, physmap(m))
}

func physmap(m *kernelmodel.Machine) string {
	maxPFN := m.Phys.MaxPFN()
	var segs []physSegment
	for _, z := range m.Phys.Zones {
		if z.Spanned() == 0 {
			continue
		}
		start := z.StartPFN
		if len(segs) == 0 {
			start = 0
		} else {
			segs[len(segs)-1].end = start
		}
		segs = append(segs, physSegment{z.Name, start, z.EndPFN})
	}
	if len(segs) == 0 {
		return "physmem: no memory\n"
	}
	segs[len(segs)-1].end = maxPFN

	// The scale: the smallest power of two that fits.
	per := uint64(1)
	for {
		lines := uint64(0)
		for _, s := range segs {
			chars := (uint64(s.end-s.start) + per - 1) / per
			lines += (chars + physmemWidth - 1) / physmemWidth
		}
		if lines <= physmemLines {
			break
		}
		per *= 2
	}

	// Frames of each use under each character: one pass over the uses,
	// touching only the characters each one covers.
	type cell [len(physmemChars)]uint64
	var cells [][]cell
	for _, s := range segs {
		cells = append(cells, make([]cell, (uint64(s.end-s.start)+per-1)/per))
	}
	si := 0
	for _, u := range m.Phys.Uses() {
		if int(u.Owner) >= len(physmemChars) {
			continue
		}
		for start := u.Start; start < u.End; {
			for si < len(segs) && start >= segs[si].end {
				si++
			}
			if si == len(segs) {
				break
			}
			s := segs[si]
			c := uint64(start-s.start) / per
			cellEnd := s.start + phys.PFN((c+1)*per)
			end := min(u.End, cellEnd, s.end)
			if end == cellEnd && start == s.start+phys.PFN(c*per) && u.End >= cellEnd {
				// Whole characters at once: a run across many of them
				// costs one step per character, never per frame.
				n := uint64(min(u.End, s.end)-start) / per
				for j := c; j < c+n; j++ {
					cells[si][j][u.Owner] += per
				}
				start += phys.PFN(n * per)
				continue
			}
			cells[si][c][u.Owner] += uint64(end - start)
			start = end
		}
	}

	digits := max(9, (bits.Len64(uint64(maxPFN.Addr())-1)+3)/4)
	var b strings.Builder
	frames := "frames"
	if per == 1 {
		frames = "frame"
	}
	fmt.Fprintf(&b, "physical memory 0x%x-0x%x, %d frames (%s): one character = %d %s (%s), %d characters a line\n",
		0, uint64(maxPFN.Addr())-1, uint64(maxPFN), kernelmodel.FormatSize(uint64(maxPFN.Addr())),
		per, frames, kernelmodel.FormatSize(per*arch.PageSize), physmemWidth)
	for i, l := range physmemLegend {
		if i > 0 {
			b.WriteString("  ")
		}
		fmt.Fprintf(&b, "%c %s", physmemChars[l.owner], l.name)
	}
	b.WriteByte('\n')
	for i, s := range segs {
		for c0 := 0; c0 < len(cells[i]); c0 += physmemWidth {
			label := ""
			if c0 == 0 {
				label = s.name
			}
			first := s.start + phys.PFN(uint64(c0)*per)
			fmt.Fprintf(&b, "%-7s 0x%0*x ", label, digits, uint64(first.Addr()))
			for c := c0; c < min(c0+physmemWidth, len(cells[i])); c++ {
				b.WriteByte(cellChar(cells[i][c][:]))
			}
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// cellChar is the character of the use holding most of a block's frames.
func cellChar(counts []uint64) byte {
	best, bestN := phys.OwnerNone, uint64(0)
	for _, l := range physmemLegend {
		n := counts[l.owner]
		if n > bestN || (n == bestN && n > 0 && best == phys.OwnerNone) {
			best, bestN = l.owner, n
		}
	}
	if bestN == 0 {
		return '?'
	}
	return physmemChars[best]
}
