package stdlib

import (
	"fmt"
	"strings"

	"mmsim/kernelmodel"
	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/mm"
	"mmsim/kernelmodel/reclaim"
	"mmsim/runtime"
)

// Reclaim: swapon, swapoff, kswapd, mlock, munlock, oom_score_adj, and
// the views swap and lru.

func init() {
	registerModel("swapon", "swapon(): turn the machine's swap area (machine ... swap=SIZE) on again", builtinSwapon)
	registerModel("swapoff", "swapoff(): read every swapped page back in, then turn the swap area off", builtinSwapoff)
	registerModel("kswapd", "kswapd: run kswapd now until the node is balanced (above the high watermark); returns the pages it freed", builtinKswapd)
	registerModel("mlock", "mlock(addr, length): lock a range of the running process in memory (VM_LOCKED: unevictable)", rangeCall("", func(s *mm.System, t *mm.Task, addr, length uint64, _ int) error {
		return s.Mlock(t, addr, length, true)
	}))
	registerModel("munlock", "munlock(addr, length): unlock a range", rangeCall("", func(s *mm.System, t *mm.Task, addr, length uint64, _ int) error {
		return s.Mlock(t, addr, length, false)
	}))
	registerModel("oom_score_adj", "oom_score_adj(pid, value): set a process's oom_score_adj (-1000: never killed, up to 1000); returns the old value", builtinOOMScoreAdj)
	Constant("MADV_PAGEOUT", runtime.Int(mm.MadvPageout))
	Constant("SIGKILL", runtime.Int(mm.SIGKILL))
	RegisterView(View{Name: "swap", Doc: "show swap: the swap area (like /proc/swaps) and the slots each process uses", Show: showSwap})
	RegisterView(View{Name: "lru", Doc: "show lru: the LRU lists' sizes and the pages at each end", Show: showLRU})
}

func builtinSwapon(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	if err := c.Unpack(); err != nil {
		return nil, err
	}
	return nil, m.Procs.Swapon()
}

func builtinSwapoff(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	if err := c.Unpack(); err != nil {
		return nil, err
	}
	return nil, m.Procs.Swapoff()
}

func builtinKswapd(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	if err := c.Unpack(); err != nil {
		return nil, err
	}
	if m.InAtomic() {
		return nil, fmt.Errorf("kswapd: kswapd is a kernel thread; it cannot run inside an atomic context")
	}
	m.Reclaim.Wake(nil)
	return runtime.Int(m.Reclaim.Kswapd()), nil
}

func builtinOOMScoreAdj(h *Host, m *kernelmodel.Machine, th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	var pid, v int64
	if err := c.Unpack("pid", &pid, "value", &v); err != nil {
		return nil, err
	}
	if _, ok := m.Procs.Task(int(pid)); !ok {
		return nil, fmt.Errorf("oom_score_adj: no process with pid %d", pid)
	}
	if v < -1000 || v > 1000 {
		return nil, fmt.Errorf("oom_score_adj: %d is outside -1000..1000", v)
	}
	old := m.Reclaim.OOMScoreAdj[int(pid)]
	m.Reclaim.OOMScoreAdj[int(pid)] = int(v)
	return runtime.Int(old), nil
}

// showSwap prints the swap area as /proc/swaps does, then the slots in
// use per process and the swap cache.
func showSwap(h *Host, th *runtime.Thread, args []runtime.ShowArg) error {
	if err := noArgs("swap", args); err != nil {
		return err
	}
	m, err := h.machine()
	if err != nil {
		return err
	}
	sw := m.Reclaim.Swap
	var b strings.Builder
	b.WriteString("Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n")
	if sw.Total() > 0 && sw.On {
		fmt.Fprintf(&b, "%-40s%s\t%d\t\t%d\t\t%d\n", "/swapfile", "file\t", sw.Total()*arch.PageSize/1024, sw.Used()*arch.PageSize/1024, -2)
	}
	state := "on"
	if !sw.On {
		state = "off"
	}
	if sw.Total() == 0 {
		state = "none (machine ... swap=SIZE)"
	}
	fmt.Fprintf(&b, "swap %s: %d of %d slots in use, %d in the swap cache; %d pages written out, %d read in\n", state, sw.Used(), sw.Total(), sw.CacheLen(), sw.Out, sw.In)
	for _, u := range m.Procs.SwapUsers() {
		fmt.Fprintf(&b, "  pid %d (%s): %d swap entries\n", u.PID, u.Comm, u.Slots)
	}
	return emit(th, b.String())
}

// showLRU prints the sizes of the LRU lists and the pfns at each end:
// the head (newest) and the tail (next to be reclaimed).
func showLRU(h *Host, th *runtime.Thread, args []runtime.ShowArg) error {
	if err := noArgs("lru", args); err != nil {
		return err
	}
	m, err := h.machine()
	if err != nil {
		return err
	}
	lru := m.Reclaim.LRU
	var b strings.Builder
	for l := reclaim.List(0); l < reclaim.NrLists; l++ {
		pages := lru.Pages(l)
		fmt.Fprintf(&b, "%-14s %6d pages", l, len(pages))
		if len(pages) > 0 {
			show := func(ps []uint64) string {
				var s []string
				for _, p := range ps {
					s = append(s, fmt.Sprintf("%#x", p))
				}
				return strings.Join(s, " ")
			}
			head, tail := pages, pages
			if len(head) > 4 {
				head = head[:4]
			}
			if len(tail) > 4 {
				tail = tail[len(tail)-4:]
			}
			fmt.Fprintf(&b, "  head %s ... tail %s", show(head), show(tail))
		}
		b.WriteString("\n")
	}
	st := m.Reclaim.Stats
	fmt.Fprintf(&b, "kswapd runs %d, pages scanned %d (kswapd) %d (direct), stolen %d (kswapd) %d (direct), activated %d, deactivated %d\n",
		st.KswapdRuns, st.PgscanKswapd, st.PgscanDirect, st.PgstealKswapd, st.PgstealDirect, st.Pgactivate, st.Pgdeactivate)
	return emit(th, b.String())
}
