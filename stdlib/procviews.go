package stdlib

import (
	"fmt"
	"strings"

	"mmsim/kernelmodel"
	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/mm"
	"mmsim/kernelmodel/pgtable"
	"mmsim/kernelmodel/phys"
	"mmsim/runtime"
)

// Views of processes: /proc/PID/maps, /proc/PID/smaps and ps.

func init() {
	RegisterView(View{Name: "maps", Doc: "show maps [PID]: /proc/PID/maps of a process (default: the running one)", Show: showMaps})
	RegisterView(View{Name: "smaps", Doc: "show smaps [PID]: /proc/PID/smaps: each VMA with Rss, Pss, clean and dirty pages, VmFlags", Show: showSmaps})
	RegisterView(View{Name: "ps", Doc: "show ps: the processes with their memory and fault counters", Show: showPs})
}

// viewTask is the process a view is about: its argument (a pid or a
// proc), or the running process.
func viewTask(m *kernelmodel.Machine, view string, args []runtime.ShowArg) (*mm.Task, error) {
	switch {
	case len(args) == 0:
		t, err := runningTask(m, "show "+view)
		if err != nil {
			return nil, fmt.Errorf("%v (or name one: show %s PID)", err, view)
		}
		return t, nil
	case len(args) > 1 || args[0].Flag != "":
		return nil, fmt.Errorf("show %s takes one process: show %s [PID]", view, view)
	}
	t, err := procArg(m, args[0].Value, "show "+view)
	if err != nil {
		return nil, err
	}
	if t.MM == nil {
		return nil, fmt.Errorf("show %s: pid %d (%s) has exited: it has no address space", view, t.PID, t.Comm)
	}
	return t, nil
}

// mapsLine is one line of /proc/PID/maps (fs/proc/task_mmu.c:
// show_map_vma()): the name starts at column 73 on 64-bit, 49 on 32-bit.
func mapsLine(m *kernelmodel.Machine, v *mm.VMA) string {
	var off uint64
	if v.File != nil {
		off = v.PgOff << arch.PageShift
	}
	s := fmt.Sprintf("%08x-%08x %s %08x %s %d ", v.Start, v.End, v.Flags.Perms(), off, v.Dev(), v.Inode())
	if name := v.Name(); name != "" {
		width := 25 + 6*m.Layout.PtrSize() - 1
		if pad := width - len(s); pad > 0 {
			s += strings.Repeat(" ", pad)
		}
		s += " " + name
	}
	return s + "\n"
}

func showMaps(h *Host, th *runtime.Thread, args []runtime.ShowArg) error {
	m, err := h.machine()
	if err != nil {
		return err
	}
	t, err := viewTask(m, "maps", args)
	if err != nil {
		return err
	}
	var b strings.Builder
	for _, v := range t.MM.VMAs() {
		b.WriteString(mapsLine(m, v))
	}
	return emit(th, b.String())
}

// smapsStats are one VMA's counters (struct mem_size_stats), in bytes;
// pss is in bytes << pssShift, as the kernel keeps it.
type smapsStats struct {
	resident, pss, pssDirty                              uint64
	sharedClean, sharedDirty, privateClean, privateDirty uint64
	referenced, anonymous, swap, locked                  uint64
}

const pssShift = 12

// smapsOf walks a VMA's PTEs as smaps_pte_range() does: only normal
// pages count (not the zero page); a page mapped more than once is
// shared; dirty is the PTE's bit or the page's.
func smapsOf(m *kernelmodel.Machine, t *mm.Task, v *mm.VMA) smapsStats {
	var st smapsStats
	m.PT.EachUser(t.MM.PGD, arch.VirtAddr(v.Start), arch.VirtAddr(v.End), func(va arch.VirtAddr, e pgtable.Entry) pgtable.Entry {
		if e&pgtable.Present == 0 || e&pgtable.Special != 0 {
			return e
		}
		pfn := uint64(m.PT.F.Addr(e) >> arch.PageShift)
		mapcount := uint64(m.Phys.Mapcount(phys.PFN(pfn)))
		if mapcount == 0 {
			mapcount = 1
		}
		dirty := e&pgtable.Dirty != 0 || v.IsCachePage(uint64(va), pfn) && v.CacheDirty(uint64(va))
		const page = arch.PageSize
		st.resident += page
		pss := uint64(page<<pssShift) / mapcount
		st.pss += pss
		if dirty {
			st.pssDirty += pss
		}
		switch {
		case mapcount >= 2 && dirty:
			st.sharedDirty += page
		case mapcount >= 2:
			st.sharedClean += page
		case dirty:
			st.privateDirty += page
		default:
			st.privateClean += page
		}
		if e&pgtable.Accessed != 0 {
			st.referenced += page
		}
		if v.File == nil || !v.File.Shmem && !v.IsCachePage(uint64(va), pfn) {
			st.anonymous += page
		}
		if v.Flags&mm.VMLocked != 0 {
			st.locked += pss
		}
		return e
	})
	return st
}

func showSmaps(h *Host, th *runtime.Thread, args []runtime.ShowArg) error {
	m, err := h.machine()
	if err != nil {
		return err
	}
	t, err := viewTask(m, "smaps", args)
	if err != nil {
		return err
	}
	var b strings.Builder
	kb := func(label string, bytes uint64) {
		fmt.Fprintf(&b, "%-16s%8d kB\n", label+":", bytes>>10)
	}
	for _, v := range t.MM.VMAs() {
		b.WriteString(mapsLine(m, v))
		st := smapsOf(m, t, v)
		kb("Size", v.End-v.Start)
		kb("KernelPageSize", arch.PageSize)
		kb("MMUPageSize", arch.PageSize)
		kb("Rss", st.resident)
		kb("Pss", st.pss>>pssShift)
		kb("Pss_Dirty", st.pssDirty>>pssShift)
		kb("Shared_Clean", st.sharedClean)
		kb("Shared_Dirty", st.sharedDirty)
		kb("Private_Clean", st.privateClean)
		kb("Private_Dirty", st.privateDirty)
		kb("Referenced", st.referenced)
		kb("Anonymous", st.anonymous)
		kb("KSM", 0)
		kb("LazyFree", 0)
		kb("AnonHugePages", 0)
		kb("ShmemPmdMapped", 0)
		kb("FilePmdMapped", 0)
		kb("Shared_Hugetlb", 0)
		kb("Private_Hugetlb", 0)
		kb("Swap", st.swap)
		kb("SwapPss", 0)
		kb("Locked", st.locked>>pssShift)
		b.WriteString("THPeligible:    0\n")
		b.WriteString("VmFlags: ")
		for _, f := range strings.Fields(v.Flags.Mnemonics()) {
			b.WriteString(f + " ")
		}
		b.WriteString("\n")
	}
	return emit(th, b.String())
}

// showPs prints the processes as ps -o pid,ppid,stat,vsz,rss,min_flt,
// maj_flt,comm would, sizes in KiB, with the CPU a process runs on.
func showPs(h *Host, th *runtime.Thread, args []runtime.ShowArg) error {
	if err := noArgs("ps", args); err != nil {
		return err
	}
	m, err := h.machine()
	if err != nil {
		return err
	}
	cpuOf := map[*mm.Task]int{}
	for c, t := range m.Procs.Running() {
		if t != nil {
			cpuOf[t] = c
		}
	}
	var b strings.Builder
	b.WriteString("  PID  PPID STAT    VSZ   RSS  MINFL  MAJFL CPU COMMAND\n")
	for _, t := range m.Procs.Tasks() {
		var vsz, rss uint64
		if t.MM != nil {
			vsz, rss = t.MM.TotalVM()*4, uint64(t.MM.RSS())*4
		}
		cpu := "  -"
		if c, ok := cpuOf[t]; ok {
			cpu = fmt.Sprintf("%3d", c)
		}
		comm := t.Comm
		if t.State == mm.TaskZombie {
			comm = "[" + comm + "] <defunct>"
		}
		fmt.Fprintf(&b, "%5d %5d %-4s %6d %5d %6d %6d %s %s\n", t.PID, t.PPID(), string(t.State), vsz, rss, t.MinFlt, t.MajFlt, cpu, comm)
	}
	return emit(th, b.String())
}
