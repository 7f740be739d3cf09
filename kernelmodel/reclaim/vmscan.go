package reclaim

import (
	"fmt"
	"math"
	"sort"

	"mmsim/kernelmodel/phys"
)

// Host is what reclaim needs of the process side: the reverse map, the
// page and swap caches, and the tasks (implemented by mm.System).
type Host interface {
	// Referenced is folio_referenced(): the PTEs mapping the page whose
	// accessed bit was set (and is now clear), and whether a mapping is
	// VM_EXEC or VM_LOCKED.
	Referenced(pfn uint64) (refs int, exec, locked bool)
	IsAnon(pfn uint64) bool
	IsShmem(pfn uint64) bool
	// Busy reports a page someone holds beyond its mappings and caches
	// (a fault in progress): reclaim leaves it.
	Busy(pfn uint64) bool
	// Dirty is folio_test_dirty() with the PTEs' dirty bits.
	Dirty(pfn uint64) bool
	// AddToSwapCache is add_to_swap(): the anonymous page joins the
	// swap cache under slot.
	AddToSwapCache(pfn, slot uint64)
	// SwapSlot is the slot of the swap cache the page is in, or 0.
	SwapSlot(pfn uint64) uint64
	// Unmap is try_to_unmap(): the PTEs give way to the swap entry of
	// slot (0: none, a file page). false: a VM_LOCKED mapping.
	Unmap(pfn, slot uint64) bool
	// SwapOut writes an unmapped anonymous page to its slot and frees it
	// (pageout(), then __remove_mapping()).
	SwapOut(pfn uint64)
	// AbortSwap takes a page that could not be unmapped out of the swap
	// cache again.
	AbortSwap(pfn uint64)
	// WriteBack cleans a dirty file page (pageout() to the file).
	WriteBack(pfn uint64)
	// DropFile removes an unmapped clean file page from the page cache
	// and frees it.
	DropFile(pfn uint64)
	// Victims are the tasks the OOM killer may choose; Kill kills one.
	Victims() []Victim
	Kill(pid int)
	// CurrentPID is the pid of the running task, or 0.
	CurrentPID() int
}

// Victim is an OOM candidate with what oom_badness() adds up.
type Victim struct {
	PID                        int
	Comm                       string
	RSS, Swap, PgtablePages    int64
	TotalVM                    uint64
	AnonRSS, FileRSS, ShmemRSS int64
	ScoreAdj                   int
}

// Stats are reclaim's /proc/vmstat counters.
type Stats struct {
	PgscanKswapd, PgscanDirect   uint64
	PgstealKswapd, PgstealDirect uint64
	Pgactivate, Pgdeactivate     uint64
	Pgrefill                     uint64
	Pgrotated                    uint64
	KswapdRuns                   uint64
	AllocStallReclaim            uint64
	OOMKill                      uint64
	Pgpgout                      uint64
}

// Reclaimer is a node's reclaim: its LRU lists, the swap area, kswapd and
// the OOM killer (mm/vmscan.c, mm/oom_kill.c).
type Reclaimer struct {
	LRU  *LRU
	Swap *Swap
	Mem  *phys.Mem
	Host Host
	// Policy is the machine's reclaim policy: linux (the lists above);
	// fifo (references ignored: the oldest page goes); lru (any use
	// activates); clock (a used page gets a second chance, never
	// activation); opt needs the future and applies to reference strings
	// only (replay_refs): on a machine it reclaims as linux.
	Policy string
	Stats  Stats
	// Warn prints a kernel message.
	Warn func(string)
	// kswapd is woken: it runs when the script yields.
	woken   bool
	highest *phys.Zone
	// OOMScoreAdj holds each pid's oom_score_adj.
	OOMScoreAdj map[int]int
}

// New returns reclaim for a machine: its lists and its swap area of
// swapBytes (0: none).
func New(mem *phys.Mem, swapBytes uint64, policy string) *Reclaimer {
	return &Reclaimer{LRU: NewLRU(), Swap: NewSwap(swapBytes), Mem: mem, Policy: policy, Warn: func(string) {}, OOMScoreAdj: map[int]int{}}
}

// batch is SWAP_CLUSTER_MAX: pages scanned per round.
const batch = 32

// inactiveIsLow is inactive_is_low(): inactive * ratio < active, with
// ratio int_sqrt(10 * GiB of the type), 1 below 1 GiB.
func (r *Reclaimer) inactiveIsLow(inactive, active List) bool {
	in, act := r.LRU.Len(inactive), r.LRU.Len(active)
	gb := (in + act) >> (30 - 12)
	ratio := 1
	if gb > 0 {
		ratio = int(math.Sqrt(float64(10 * gb)))
	}
	return in*ratio < act
}

// canSwap reports whether anonymous pages can be reclaimed now.
func (r *Reclaimer) canSwap() bool { return r.Swap != nil && r.Swap.On && r.Swap.Free() > 0 }

// ShrinkNode models shrink_node(): up to nr pages are reclaimed, file
// pages first, anonymous ones while swap has room, refilling the
// inactive lists from the active ones when they run low. It returns the
// pages freed.
func (r *Reclaimer) ShrinkNode(nr int, direct bool) int {
	freed := 0
	for rounds := 0; freed < nr && rounds < 64; rounds++ {
		progress := false
		if r.inactiveIsLow(InactiveFile, ActiveFile) {
			r.shrinkActive(ActiveFile, InactiveFile)
		}
		if r.canSwap() && r.inactiveIsLow(InactiveAnon, ActiveAnon) {
			r.shrinkActive(ActiveAnon, InactiveAnon)
		}
		n, scanned := r.shrinkInactive(InactiveFile, nr-freed, direct)
		freed += n
		progress = progress || scanned > 0
		if freed < nr && r.canSwap() {
			n, scanned := r.shrinkInactive(InactiveAnon, nr-freed, direct)
			freed += n
			progress = progress || scanned > 0
		}
		if !progress {
			// Nothing inactive left: age the active lists.
			if r.LRU.Len(ActiveFile) == 0 && (r.LRU.Len(ActiveAnon) == 0 || !r.canSwap()) {
				break
			}
			r.shrinkActive(ActiveFile, InactiveFile)
			if r.canSwap() {
				r.shrinkActive(ActiveAnon, InactiveAnon)
			}
		}
	}
	return freed
}

// shrinkActive is shrink_active_list(): a batch from the active list's
// tail loses its accessed bits; executable file pages that were used
// stay active, the rest move to the inactive list.
func (r *Reclaimer) shrinkActive(active, inactive List) {
	for i := 0; i < batch; i++ {
		pfn, ok := r.LRU.Tail(active)
		if !ok {
			return
		}
		r.Stats.Pgrefill++
		refs, exec, locked := r.Host.Referenced(pfn)
		switch {
		case locked:
			r.LRU.Move(pfn, Unevictable)
		case refs > 0 && exec && active == ActiveFile:
			r.LRU.Move(pfn, active)
		default:
			r.LRU.SetReferenced(pfn, false)
			r.LRU.Move(pfn, inactive)
			r.Stats.Pgdeactivate++
		}
	}
}

// shrinkInactive is shrink_inactive_list() with shrink_folio_list(): up
// to a batch of pages from the tail are looked at; folio_check_references()
// activates a page used more than once (or used executable file page),
// gives a page used once a second trip, and reclaims the others. It
// returns the pages freed and scanned.
func (r *Reclaimer) shrinkInactive(list List, nr int, direct bool) (freed, scanned int) {
	if nr > batch {
		nr = batch
	}
	for scanned < batch && freed < nr {
		pfn, ok := r.LRU.Tail(list)
		if !ok {
			break
		}
		scanned++
		r.countScan(direct)
		if r.Host.Busy(pfn) || r.Host.IsShmem(pfn) {
			r.LRU.Move(pfn, list)
			r.Stats.Pgrotated++
			continue
		}
		refs, exec, locked := r.Host.Referenced(pfn)
		wasRef := r.LRU.Referenced(pfn)
		r.LRU.SetReferenced(pfn, false)
		if locked {
			r.LRU.Move(pfn, Unevictable)
			continue
		}
		if refs > 0 && r.Policy == "clock" {
			// CLOCK: a used page gets its second chance (the bit is
			// cleared) and the hand moves on; it is never activated.
			r.LRU.Move(pfn, list)
			continue
		}
		if refs > 0 && r.Policy != "fifo" {
			if wasRef || refs > 1 || (exec && list == InactiveFile) || r.Policy == "lru" {
				r.LRU.SetReferenced(pfn, true)
				r.LRU.Move(pfn, activeOf(list))
				r.Stats.Pgactivate++
			} else {
				r.LRU.SetReferenced(pfn, true)
				r.LRU.Move(pfn, list)
			}
			continue
		}
		if r.reclaimPage(pfn, list) {
			freed++
			r.countSteal(direct)
		}
	}
	return freed, scanned
}

func activeOf(l List) List {
	if l == InactiveAnon {
		return ActiveAnon
	}
	return ActiveFile
}

func (r *Reclaimer) countScan(direct bool) {
	if direct {
		r.Stats.PgscanDirect++
	} else {
		r.Stats.PgscanKswapd++
	}
}

func (r *Reclaimer) countSteal(direct bool) {
	if direct {
		r.Stats.PgstealDirect++
	} else {
		r.Stats.PgstealKswapd++
	}
}

// reclaimPage frees one unreferenced page: an anonymous page goes to a
// swap slot, a dirty file page is written back, a clean one dropped.
func (r *Reclaimer) reclaimPage(pfn uint64, list List) bool {
	if r.Host.IsAnon(pfn) {
		// A page still in the swap cache (read back and not written
		// since) needs no new slot: its data is there already.
		if slot := r.Host.SwapSlot(pfn); slot != 0 {
			if !r.Host.Unmap(pfn, slot) {
				r.LRU.Move(pfn, Unevictable)
				return false
			}
			r.Host.SwapOut(pfn)
			return true
		}
		slot, ok := r.Swap.Alloc()
		if !ok {
			r.LRU.Move(pfn, activeOf(list))
			return false
		}
		r.Host.AddToSwapCache(pfn, slot)
		if !r.Host.Unmap(pfn, slot) {
			r.Host.AbortSwap(pfn)
			r.LRU.Move(pfn, Unevictable)
			return false
		}
		r.Host.SwapOut(pfn)
		r.Stats.Pgpgout++
		return true
	}
	if !r.Host.Unmap(pfn, 0) {
		r.LRU.Move(pfn, Unevictable)
		return false
	}
	if r.Host.Dirty(pfn) {
		r.Host.WriteBack(pfn)
		r.Stats.Pgpgout++
	}
	r.Host.DropFile(pfn)
	return true
}

// Wake is wakeup_kswapd(): kswapd will run when the script yields.
func (r *Reclaimer) Wake(highest *phys.Zone) {
	if !r.woken || highest != nil && (r.highest == nil || highest.Index > r.highest.Index) {
		r.highest = highest
	}
	r.woken = true
}

// Woken reports whether kswapd is waiting to run.
func (r *Reclaimer) Woken() bool { return r.woken }

// balanced is pgdat_balanced(): some zone up to the highest one the
// waking allocation could use has free pages above its high watermark
// (with the lowmem reserve for that allocation).
func (r *Reclaimer) balanced(highest *phys.Zone) bool {
	for _, z := range r.Mem.Zones {
		if !z.Populated() || highest != nil && z.Index > highest.Index {
			continue
		}
		if z.WatermarkOK(0, phys.WmarkHigh, highest) {
			return true
		}
	}
	return false
}

// Kswapd runs kswapd to completion (balance_pgdat()): it reclaims in
// batches until the node is balanced or no progress is made. It returns
// the pages freed.
func (r *Reclaimer) Kswapd() int {
	highest := r.highest
	r.woken, r.highest = false, nil
	if highest == nil {
		// Woken by hand: balanced means over the whole node.
		for _, z := range r.Mem.Zones {
			if z.Populated() {
				highest = z
			}
		}
	}
	r.Stats.KswapdRuns++
	freed := 0
	for !r.balanced(highest) {
		n := r.ShrinkNode(batch, false)
		freed += n
		if n == 0 {
			break
		}
	}
	return freed
}

// DirectReclaim is try_to_free_pages() in the allocating context.
func (r *Reclaimer) DirectReclaim() int {
	r.Stats.AllocStallReclaim++
	return r.ShrinkNode(batch, true)
}

// Badness is oom_badness(): rss + swap entries + page-table pages, plus
// oom_score_adj thousandths of the total pages; -1000 never.
func Badness(v Victim, totalPages uint64) (int64, bool) {
	if v.ScoreAdj <= -1000 {
		return 0, false
	}
	// adj is normalised to the machine first (adj *= totalpages / 1000),
	// and since Linux 5.9 the points are returned as they are, negative
	// ones too.
	points := v.RSS + v.Swap + v.PgtablePages
	points += int64(v.ScoreAdj) * (int64(totalPages) / 1000)
	return points, true
}

// OOM is out_of_memory(): the task with the highest badness is killed
// (the latest pid on a tie, as oom_evaluate_task() keeps the last of
// equals), with the kernel's report. The killed task's
// memory is freed at once (as the OOM reaper would). If the allocating
// task itself is chosen, the allocation fails with an *OOMKilled and the
// task is killed after it.
func (r *Reclaimer) OOM(comm string, gfp phys.GFP, order int, totalPages uint64) (bool, *OOMReport) {
	vs := r.Host.Victims()
	sort.Slice(vs, func(i, j int) bool { return vs[i].PID < vs[j].PID })
	var best *Victim
	var bestPts int64
	for i := range vs {
		v := &vs[i]
		v.ScoreAdj = r.OOMScoreAdj[v.PID]
		pts, ok := Badness(*v, totalPages)
		// oom_evaluate_task() skips only fewer points, so of equals the
		// task it meets last (for_each_process(): creation order) wins.
		if ok && (best == nil || pts >= bestPts) {
			best, bestPts = v, pts
		}
	}
	curAdj := 0
	if cur := r.Host.CurrentPID(); cur != 0 {
		curAdj = r.OOMScoreAdj[cur]
	}
	r.Warn(fmt.Sprintf("%s invoked oom-killer: gfp_mask=%#x(%s), order=%d, oom_score_adj=%d", comm, uint32(gfp), gfp.String(), order, curAdj))
	if best == nil {
		return false, nil
	}
	r.Stats.OOMKill++
	msg := fmt.Sprintf("Out of memory: Killed process %d (%s) total-vm:%dkB, anon-rss:%dkB, file-rss:%dkB, shmem-rss:%dkB, UID:0 pgtables:%dkB oom_score_adj:%d",
		best.PID, best.Comm, best.TotalVM*4, best.AnonRSS*4, best.FileRSS*4, best.ShmemRSS*4, best.PgtablePages*4, best.ScoreAdj)
	r.Warn(msg)
	rep := &OOMReport{PID: best.PID, Comm: best.Comm, Msg: msg}
	if best.PID == r.Host.CurrentPID() {
		return false, rep
	}
	r.Host.Kill(best.PID)
	return true, nil
}

// OOMReport is the OOM killer's choice of the allocating task itself.
type OOMReport struct {
	PID  int
	Comm string
	Msg  string
}

// Check verifies the reclaim invariants of the lists and the swap area.
func (r *Reclaimer) Check() error {
	if err := r.LRU.Check(); err != nil {
		return err
	}
	if r.Swap != nil {
		return r.Swap.Check()
	}
	return nil
}

// PageOut reclaims the given pages now, whatever their age
// (reclaim_pages() for MADV_PAGEOUT); it returns the pages freed.
func (r *Reclaimer) PageOut(pfns []uint64) int {
	freed := 0
	for _, pfn := range pfns {
		list := r.LRU.Which(pfn)
		if list == NoList || list == Unevictable || r.Host.Busy(pfn) || r.Host.IsShmem(pfn) {
			continue
		}
		if r.Host.IsAnon(pfn) && !r.canSwap() {
			continue
		}
		r.Host.Referenced(pfn) // the accessed bits are cleared, not obeyed
		if r.reclaimPage(pfn, list) {
			freed++
			r.Stats.PgstealDirect++
		}
	}
	return freed
}
