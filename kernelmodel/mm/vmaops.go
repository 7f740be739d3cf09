package mm

import (
	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/pgtable"
	"mmsim/kernelmodel/phys"
	"mmsim/kernelmodel/reclaim"
)

// The VMA operations of mm/vma.c: insert with merging, split, remove,
// merge after a change, and the anon_vma that anonymous pages need.

// compatibleAnon is is_mergeable_anon_vma(): a range whose anon_vma is
// src (held by srcVMA, nil for a new range) may join tgt when the two
// are the same, or when one is NULL and the VMA holding the other was
// not cloned by fork (its anon_vma_chain is singular).
func compatibleAnon(src *AnonVMA, srcVMA, tgt *VMA) bool {
	switch {
	case tgt.Anon == nil && src != nil:
		return srcVMA == nil || srcVMA.singularChain()
	case tgt.Anon != nil && src == nil:
		return tgt.singularChain()
	}
	return src == tgt.Anon
}

// canJoinPrev reports whether a range [start, ...) with these attributes
// may merge with prev (can_vma_merge_after()).
func canJoinPrev(prev *VMA, start uint64, flags VMFlags, file *File, av *AnonVMA, src *VMA, pgoff uint64) bool {
	return prev != nil && prev.End == start && mergeable(prev, flags, file) &&
		compatibleAnon(av, src, prev) && prev.PgOff+prev.Pages() == pgoff
}

// canJoinNext reports whether a range [..., end) of pages pages may merge
// with next (can_vma_merge_before()).
func canJoinNext(next *VMA, end uint64, flags VMFlags, file *File, av *AnonVMA, src *VMA, pgoff, pages uint64) bool {
	return next != nil && next.Start == end && mergeable(next, flags, file) &&
		compatibleAnon(av, src, next) && next.PgOff == pgoff+pages
}

// newVMA allocates a vm_area_struct (vm_area_alloc()).
func (m *MM) newVMA(start, end uint64, flags VMFlags, file *File, pgoff uint64) (*VMA, error) {
	obj, err := m.sys.allocObj(m.sys.vmaCache, "vm_area_alloc")
	if err != nil {
		return nil, err
	}
	v := &VMA{Start: start, End: end, Flags: flags, File: file, PgOff: pgoff, obj: obj, mm: m}
	if file != nil {
		file.maps++
		file.vmas = append(file.vmas, v)
	}
	return v, nil
}

// insertRange maps a free range (the end of mmap_region(), do_brk_flags()
// and the ELF loader): it merges with the VMA before and the VMA after
// when the kernel's rules allow, else inserts a new VMA. It returns the
// VMA that now holds the range.
func (m *MM) insertRange(start, end uint64, flags VMFlags, file *File, pgoff uint64) (*VMA, error) {
	m.sys.gen++
	pages := (end - start) >> arch.PageShift
	prev := m.tree.FindPrev(start)
	var next *VMA
	if prev != nil {
		next = prev.Next()
	} else {
		next = m.tree.First()
	}
	left := canJoinPrev(prev, start, flags, file, nil, nil, pgoff)
	right := canJoinNext(next, end, flags, file, nil, nil, pgoff, pages)
	if left && right && prev.Anon != nil && next.Anon != nil && prev.Anon != next.Anon {
		right = false // are_anon_vmas_compatible(prev, next)
	}
	switch {
	case left && right:
		if prev.Anon == nil && next.Anon != nil {
			m.takeAnon(prev, next)
		}
		nextEnd := next.End
		m.unlinkVMA(next)
		m.tree.SetBounds(prev, prev.Start, nextEnd)
		return prev, nil
	case left:
		m.tree.SetBounds(prev, prev.Start, end)
		return prev, nil
	case right:
		m.tree.SetBounds(next, start, next.End)
		next.PgOff = pgoff
		return next, nil
	}
	if m.tree.Len() > m.sys.MaxMapCount {
		return nil, sysErr("mmap", ENOMEM, "the process has more than vm.max_map_count VMAs")
	}
	v, err := m.newVMA(start, end, flags, file, pgoff)
	if err != nil {
		return nil, err
	}
	m.tree.Insert(v)
	return v, nil
}

// takeAnon gives dst, which has no anon_vma, the anon_vma and chain of
// src (dup_anon_vma()).
func (m *MM) takeAnon(dst, src *VMA) error {
	dst.Anon = src.Anon
	for _, l := range src.chain {
		if err := m.addAVC(dst, l.av, "anon_vma_clone"); err != nil {
			return err
		}
	}
	return nil
}

// addAVC links a VMA to an anon_vma with a new anon_vma_chain object
// (anon_vma_chain_link()): the anon_vma's reverse map now reaches it.
func (m *MM) addAVC(v *VMA, av *AnonVMA, caller string) error {
	obj, err := m.sys.allocObj(m.sys.avcCache, caller)
	if err != nil {
		return err
	}
	av.links++
	av.vmas = append(av.vmas, v)
	v.chain = append(v.chain, avcLink{av: av, obj: obj})
	return nil
}

// removeVMA drops v from a list of VMAs (an anon_vma's or a file's
// reverse map).
func removeVMA(list []*VMA, v *VMA) []*VMA {
	for i, x := range list {
		if x == v {
			return append(list[:i], list[i+1:]...)
		}
	}
	return list
}

// unlinkVMA removes a VMA whose pages are gone from the tree and frees
// it with its anon_vma_chain (remove_vma(), unlink_anon_vmas()).
func (m *MM) unlinkVMA(v *VMA) {
	m.sys.gen++
	m.tree.Remove(v)
	m.freeVMA(v)
}

func (m *MM) freeVMA(v *VMA) {
	for _, l := range v.chain {
		m.sys.avcCache.Free(l.obj, "unlink_anon_vmas")
		l.av.links--
		l.av.vmas = removeVMA(l.av.vmas, v)
		m.sys.putAnon(l.av)
	}
	v.chain, v.Anon = nil, nil
	if v.File != nil {
		v.File.maps--
		v.File.vmas = removeVMA(v.File.vmas, v)
		if v.File.Shmem && v.File.maps == 0 {
			m.sys.dropCache(v.File)
		}
	}
	m.sys.vmaCache.Free(v.obj, "vm_area_free")
	v.obj = 0
	v.mm = nil
}

// putAnon frees an anon_vma no chain and no child names any more.
func (s *System) putAnon(av *AnonVMA) {
	for av != nil && av.links == 0 && av.children == 0 && av.obj != 0 {
		s.anonCache.Free(av.obj, "put_anon_vma")
		av.obj = 0
		p := av.Parent
		if p != nil {
			p.children--
		}
		av = p
	}
}

// split is __split_vma(): v is cut at addr (strictly inside it); the
// upper part becomes a new VMA, returned, with a copy of v's
// anon_vma_chain. With limit it is split_vma(), which first refuses at
// max_map_count.
func (m *MM) split(v *VMA, addr uint64, limit bool) (*VMA, error) {
	m.sys.gen++
	if limit && m.tree.Len() >= m.sys.MaxMapCount {
		return nil, sysErr("split_vma", ENOMEM, "the process has vm.max_map_count VMAs already")
	}
	n, err := m.newVMA(addr, v.End, v.Flags, v.File, v.pgoffAt(addr))
	if err != nil {
		return nil, err
	}
	n.Anon = v.Anon
	for _, l := range v.chain {
		if err := m.addAVC(n, l.av, "anon_vma_clone"); err != nil {
			m.freeVMA(n)
			return nil, err
		}
	}
	m.tree.SetBounds(v, v.Start, addr)
	m.tree.Insert(n)
	return n, nil
}

// mergeAround merges a changed VMA with its neighbours where the rules
// allow (vma_merge_existing_range()) and returns the VMA that holds it.
func (m *MM) mergeAround(v *VMA) *VMA {
	if p := v.Prev(); canJoinPrev(p, v.Start, v.Flags, v.File, v.Anon, v, v.PgOff) {
		if p.Anon == nil && v.Anon != nil {
			m.takeAnon(p, v)
		}
		end := v.End
		m.unlinkVMA(v)
		m.tree.SetBounds(p, p.Start, end)
		v = p
	}
	if n := v.Next(); canJoinNext(n, v.End, v.Flags, v.File, v.Anon, v, v.PgOff, v.Pages()) {
		if v.Anon == nil && n.Anon != nil {
			m.takeAnon(v, n)
		}
		end := n.End
		m.unlinkVMA(n)
		m.tree.SetBounds(v, v.Start, end)
	}
	return v
}

// anonPrepare is anon_vma_prepare(): the VMA gets an anon_vma before its
// first anonymous page, reusing a mergeable neighbour's
// (find_mergeable_anon_vma(), which tries the next VMA first, then the
// previous one) or allocating one with its chain link.
func (m *MM) anonPrepare(v *VMA) error {
	if v.Anon != nil {
		return nil
	}
	for _, n := range []*VMA{v.Next(), v.Prev()} {
		if n == nil || n.Anon == nil || !n.singularChain() || n.File != v.File {
			continue
		}
		adjacent := n.End == v.Start || v.End == n.Start
		sameFlags := (n.Flags^v.Flags)&^(VMRead|VMWrite|VMExec|VMSoftDirty) == 0
		var contiguous bool
		if n.End == v.Start {
			contiguous = n.PgOff+n.Pages() == v.PgOff
		} else {
			contiguous = v.PgOff+v.Pages() == n.PgOff
		}
		if adjacent && sameFlags && contiguous {
			return m.linkAnon(v, n.Anon)
		}
	}
	obj, err := m.sys.allocObj(m.sys.anonCache, "anon_vma_prepare")
	if err != nil {
		return err
	}
	m.sys.nextAnon++
	av := &AnonVMA{ID: m.sys.nextAnon, obj: obj}
	if err := m.linkAnon(v, av); err != nil {
		m.sys.anonCache.Free(obj, "anon_vma_prepare")
		return err
	}
	return nil
}

// linkAnon makes av the VMA's anon_vma, with a chain link.
func (m *MM) linkAnon(v *VMA, av *AnonVMA) error {
	if err := m.addAVC(v, av, "anon_vma_prepare"); err != nil {
		return err
	}
	v.Anon = av
	return nil
}

// zap unmaps the pages of [start, end) inside v (zap_page_range_single()):
// the PTEs are cleared, references dropped, RSS counters lowered, and the
// TLBs of every CPU running the address space flushed.
func (m *MM) zap(v *VMA, start, end uint64) {
	s := m.sys
	n := 0
	s.PT.ZapUser(m.PGD, arch.VirtAddr(start), arch.VirtAddr(end), func(va arch.VirtAddr, old pgtableEntry) {
		n++
		m.dropEntry(v, uint64(va), old)
	})
	if n > 0 {
		s.MMU.FlushRange(s.CPU(), m.PGD, arch.VirtAddr(start), arch.VirtAddr(end))
	}
}

// freeTables frees the page tables of an unmapped range no VMA needs any
// more (free_pgtables(): floor and ceiling are the neighbours' limits).
func (m *MM) freeTables(start, end uint64) {
	floor, ceiling := uint64(0), uint64(0)
	if p := m.tree.FindPrev(start); p != nil {
		floor = p.End
	}
	if n := m.tree.Find(start); n != nil {
		ceiling = n.Start
	}
	m.sys.PT.FreeRange(m.PGD, arch.VirtAddr(start), arch.VirtAddr(end), arch.VirtAddr(floor), arch.VirtAddr(ceiling))
}

// dropEntry releases what one cleared PTE held: the page reference and
// the RSS count (a file page's dirty bit goes to the page cache).
func (m *MM) dropEntry(v *VMA, va uint64, old pgtableEntry) {
	s := m.sys
	if old&presentBit == 0 {
		if _, slot, ok := s.PT.F.DecodeSwap(old); ok {
			m.addRss(MMSwapEnts, -1)
			s.swapPut(slot)
		}
		return
	}
	pfn, ok := s.pfnOf(old)
	if !ok {
		return
	}
	kind := m.rssKind(v, va, pfn)
	m.addRss(kind, -1)
	if v.File != nil && old&dirtyBit != 0 && v.Flags&VMShared != 0 {
		v.File.markDirty(v.pgoffAt(va))
	}
	// zap_present_folio_ptes(): a young PTE of a file page marks the page
	// accessed (folio_mark_accessed()): PG_referenced, or activation when
	// it was referenced already.
	if old&pgtable.Accessed != 0 && s.LRU != nil && v.IsCachePage(va, pfn) {
		switch l := s.LRU.Which(pfn); {
		case l == reclaim.InactiveFile && s.LRU.Referenced(pfn):
			s.LRU.Move(pfn, reclaim.ActiveFile)
			s.LRU.SetReferenced(pfn, false)
		case l != reclaim.NoList:
			s.LRU.SetReferenced(pfn, true)
		}
	}
	// free_swap_cache(): a page whose last mapping goes leaves the swap
	// cache when no swap entry uses its slot any more.
	if meta := s.meta(phys.PFN(pfn)); meta != nil && meta.swap != 0 && s.Mem.Mapcount(phys.PFN(pfn)) == 0 && s.Swap.Count(meta.swap) == 1 {
		s.dropSwapCache(phys.PFN(pfn), meta.swap)
	}
	s.putPage(phys.PFN(pfn))
}
