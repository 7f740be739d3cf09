package mm

import (
	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/bug"
	"mmsim/kernelmodel/pgtable"
	"mmsim/kernelmodel/phys"
)

// Check verifies the process invariants:
//   - vma-tree: each address space's VMA tree is sound (sorted, disjoint,
//     gaps right), its VMAs page aligned and below TASK_SIZE;
//   - vma-merged: no two adjacent VMAs could be merged;
//   - pte-in-vma: every user PTE lies inside a VMA and allows no more
//     than it (no write without VM_WRITE, no exec without VM_EXEC);
//   - cow-readonly: a private page that more than one PTE maps, and a
//     page-cache page in a private mapping, is never writable;
//   - page-refs: an anonymous page's refcount is its mapcount, a
//     page-cache page's is one more;
//   - rss: each mm's RSS counters equal the pages its PTEs map;
//   - task-objects: the task_struct, mm_struct, vm_area_struct,
//     anon_vma and anon_vma_chain objects in use are exactly those of the
//     tasks and address spaces that exist, so an exited process leaves
//     nothing behind.
func (s *System) Check() error {
	key := [3]uint64{s.gen, s.PT.Gen, s.Mem.Gen()}
	if key == s.checked {
		return nil
	}
	refs := map[uint64]int{}     // mappings per frame, all address spaces
	swapRefs := map[uint64]int{} // PTE swap entries per slot
	var nMM, nVMA, nAVC int
	anons := map[*AnonVMA]bool{}
	for _, t := range s.tasks {
		if t.obj == 0 {
			return bug.Violation("task-objects", "pid %d has no task_struct", t.PID)
		}
		if t.State == TaskZombie {
			if t.MM != nil || t.stack != 0 {
				return bug.Violation("task-objects", "zombie pid %d still holds its mm or kernel stack", t.PID)
			}
			continue
		}
		m := t.MM
		nMM++
		if err := m.tree.check(); err != nil {
			return bug.Violation("vma-tree", "pid %d: %v", t.PID, err)
		}
		for v := m.tree.First(); v != nil; v = v.Next() {
			nVMA++
			nAVC += len(v.chain)
			for _, l := range v.chain {
				for av := l.av; av != nil; av = av.Parent {
					anons[av] = true
				}
			}
			if v.Start&pageMask != 0 || v.End&pageMask != 0 || v.End > uint64(s.Layout.TaskSize) {
				return bug.Violation("vma-tree", "pid %d: VMA %s is not page aligned inside user space", t.PID, v)
			}
			if v.mm != m {
				return bug.Violation("vma-tree", "pid %d: VMA %s belongs to another mm", t.PID, v)
			}
			// A stack that grew down onto another VM_GROWSDOWN VMA is
			// not merged with it (expand_downwards() never merges).
			stackMet := v.Flags&VMGrowsDown != 0 && v.Prev() != nil && v.Prev().Flags&VMGrowsDown != 0
			if p := v.Prev(); !stackMet && canJoinPrev(p, v.Start, v.Flags, v.File, v.Anon, v, v.PgOff) {
				return bug.Violation("vma-merged", "pid %d: VMAs %s and %s could be one", t.PID, p, v)
			}
		}
		if err := s.checkPTEs(t, refs, swapRefs); err != nil {
			return err
		}
		if err := s.MallocCheck(t); err != nil {
			return bug.Violation("malloc-heap", "pid %d: %v", t.PID, err)
		}
	}
	files := map[*File]bool{}
	for _, f := range s.files {
		files[f] = true
	}
	for _, p := range s.programs {
		files[p.File] = true
	}
	for _, t := range s.tasks {
		if t.MM != nil {
			t.MM.tree.Each(func(v *VMA) bool {
				if v.File != nil {
					files[v.File] = true
				}
				return true
			})
		}
	}
	cached := map[uint64]bool{}
	for f := range files {
		for _, cp := range f.cache {
			cached[cp.pfn] = true
			if got := s.Mem.Refcount(phys.PFN(cp.pfn)); got != refs[cp.pfn]+1 {
				return bug.Violation("page-refs", "page-cache pfn %#x of %s has refcount %d, but the cache and %d mappings hold it", cp.pfn, f.Path(), got, refs[cp.pfn])
			}
		}
	}
	swapCached := map[uint64]bool{}
	var metaErr error
	s.pages.Each(func(pfn uint64, meta pageMeta) {
		if metaErr != nil {
			return
		}
		if meta.swap != 0 {
			swapCached[pfn] = true
			if got, ok := s.Swap.Cached(meta.swap); !ok || got != pfn {
				metaErr = bug.Violation("swap-cache", "pfn %#x says it is in the swap cache for slot %d, the cache says otherwise", pfn, meta.swap)
			}
		}
		if s.LRU != nil && s.LRU.Which(pfn) < 0 {
			metaErr = bug.Violation("lru", "user pfn %#x is on no LRU list", pfn)
		}
	})
	if metaErr != nil {
		return metaErr
	}
	if s.LRU != nil && s.LRU.Total() != s.pages.Len() {
		return bug.Violation("lru", "%d pages are on the LRU lists, %d user pages exist", s.LRU.Total(), s.pages.Len())
	}
	for pfn, n := range refs {
		if cached[pfn] {
			continue
		}
		if s.meta(phys.PFN(pfn)) == nil {
			return bug.Violation("lru", "mapped user pfn %#x is not in the reverse map", pfn)
		}
		if swapCached[pfn] {
			n++
		}
		if got := s.Mem.Refcount(phys.PFN(pfn)); got != n {
			return bug.Violation("page-refs", "anonymous pfn %#x has refcount %d, but %d mappings (and the swap cache) hold it", pfn, got, n)
		}
	}
	for pfn := range swapCached {
		if refs[pfn] == 0 && s.Mem.Refcount(phys.PFN(pfn)) != 1 {
			return bug.Violation("page-refs", "swap-cache pfn %#x has refcount %d and no mapping", pfn, s.Mem.Refcount(phys.PFN(pfn)))
		}
	}
	if s.Swap != nil {
		for slot := range swapRefs {
			if s.Swap.Count(slot) == 0 {
				return bug.Violation("swap-count", "a PTE holds swap slot %d, which is free", slot)
			}
		}
		for _, slot := range s.Swap.InUse() {
			want := swapRefs[slot]
			if _, ok := s.Swap.Cached(slot); ok {
				want++
			}
			if got := s.Swap.Count(slot); got != want {
				return bug.Violation("swap-count", "swap slot %d has count %d, but %d PTEs and the swap cache use it", slot, got, want)
			}
		}
	}
	counts := []struct {
		what string
		want int
		got  int
	}{
		{"task_struct", len(s.tasks), s.taskCache.Counts().InUse},
		{"mm_struct", nMM, s.mmCache.Counts().InUse},
		{"vm_area_struct", nVMA, s.vmaCache.Counts().InUse},
		{"anon_vma_chain", nAVC, s.avcCache.Counts().InUse},
		{"anon_vma", len(anons), s.anonCache.Counts().InUse},
	}
	for _, c := range counts {
		if c.want != c.got {
			return bug.Violation("task-objects", "%d %s objects are in use, the tasks that exist account for %d", c.got, c.what, c.want)
		}
	}
	s.checked = key
	return nil
}

// checkPTEs walks one address space's PTEs against its VMAs.
func (s *System) checkPTEs(t *Task, refs, swapRefs map[uint64]int) error {
	m := t.MM
	var rss [nrRSS]int64
	var err error
	v := m.tree.First()
	s.PT.EachUser(m.PGD, 0, arch.VirtAddr(s.Layout.TaskSize), func(va arch.VirtAddr, e pgtable.Entry) pgtable.Entry {
		if err != nil {
			return e
		}
		a := uint64(va)
		for v != nil && v.End <= a {
			v = v.Next()
		}
		if v == nil || v.Start > a {
			err = bug.Violation("pte-in-vma", "pid %d: %#x has a PTE (%s) but no VMA", t.PID, a, e.FlagString())
			return e
		}
		if e&pgtable.Present == 0 {
			if _, slot, ok := s.PT.F.DecodeSwap(e); ok {
				swapRefs[slot]++
				rss[MMSwapEnts]++
			}
			return e
		}
		if e&pgtable.RW != 0 && v.Flags&VMWrite == 0 {
			err = bug.Violation("pte-in-vma", "pid %d: %#x is writable in its PTE, the VMA %s is not", t.PID, a, v)
			return e
		}
		if s.PT.F.HasNX && e&pgtable.NX == 0 && v.Flags&VMExec == 0 {
			err = bug.Violation("pte-in-vma", "pid %d: %#x is executable in its PTE, the VMA %s is not", t.PID, a, v)
			return e
		}
		pfn, normal := s.pfnOf(e)
		if !normal {
			if e&pgtable.RW != 0 {
				err = bug.Violation("cow-readonly", "pid %d: the zero page is writable at %#x", t.PID, a)
			}
			return e
		}
		refs[pfn]++
		kind := m.rssKind(v, a, pfn)
		rss[kind]++
		if e&pgtable.RW != 0 && v.Flags&VMShared == 0 {
			if kind == MMFilePages || s.Mem.Mapcount(phys.PFN(pfn)) > 1 {
				err = bug.Violation("cow-readonly", "pid %d: %#x maps pfn %#x writable, but the page is shared copy-on-write", t.PID, a, pfn)
			}
		}
		return e
	})
	if err != nil {
		return err
	}
	for k, n := range rss {
		if m.Rss[k] != n {
			return bug.Violation("rss", "pid %d: RSS counter %s is %d, its PTEs map %d such pages", t.PID, rssNames[k], m.Rss[k], n)
		}
	}
	return nil
}

var rssNames = [nrRSS]string{"MM_FILEPAGES", "MM_ANONPAGES", "MM_SWAPENTS", "MM_SHMEMPAGES"}
