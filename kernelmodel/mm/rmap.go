package mm

import (
	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/pgtable"
	"mmsim/kernelmodel/phys"
	"mmsim/kernelmodel/reclaim"
)

// The reverse map (mm/rmap.c): each user page knows its anon_vma or file
// and its index, so reclaim can find every PTE that maps it, and each
// user page is on an LRU list.

// pageMeta is what struct page's mapping and index say of a user page.
type pageMeta struct {
	anon  *AnonVMA // PageAnon: the anon_vma of the VMA it was faulted in
	file  *File    // else the file (page-cache or shmem page)
	index uint64   // the page's offset in pages (linear_page_index())
	// swap is the slot of the swap cache the page is in, or 0; written
	// says the slot holds the page's data (it was read from there, or
	// written out), so reclaim need not write it again.
	swap    uint64
	written bool
}

// track records a new user page and puts it on an LRU list
// (folio_add_new_anon_rmap() or filemap_add_folio(), then
// folio_add_lru()): new pages start inactive; pages of a VM_LOCKED VMA
// are unevictable.
func (s *System) track(pfn phys.PFN, meta pageMeta, locked bool) {
	s.pages.Set(uint64(pfn), meta)
	m := meta
	if s.LRU == nil {
		return
	}
	list := inactiveList(&m)
	if locked {
		list = reclaim.Unevictable
	}
	s.LRU.Add(uint64(pfn), list)
}

// inactiveList is the inactive list of a page's type: swap-backed pages
// (anonymous and shmem) on the anon lists, the page cache's on the file
// lists.
func inactiveList(meta *pageMeta) reclaim.List {
	if meta != nil && (meta.anon != nil || meta.file != nil && meta.file.Shmem) {
		return reclaim.InactiveAnon
	}
	return reclaim.InactiveFile
}

// putPage drops a reference to a user page (put_page()); with the last
// one the page leaves the LRU and the reverse map and is freed.
func (s *System) putPage(pfn phys.PFN) {
	if s.Mem.Refcount(pfn) == 1 {
		s.pages.Delete(uint64(pfn))
		if s.LRU != nil {
			s.LRU.Del(uint64(pfn))
		}
	}
	s.Mem.FreePages(pfn, 0)
}

// mappings calls f for every PTE that maps pfn: the VMAs of its anon_vma
// (or its file's), at the address its index gives in each
// (rmap_walk_anon(), rmap_walk_file()). f returns false to stop.
func (s *System) mappings(pfn phys.PFN, f func(v *VMA, va uint64, e pgtable.Entry) bool) {
	meta := s.meta(pfn)
	if meta == nil {
		return
	}
	var vmas []*VMA
	switch {
	case meta.anon != nil:
		vmas = meta.anon.vmas
	case meta.file != nil:
		vmas = meta.file.vmas
	}
	for _, v := range vmas {
		if v.mm == nil || meta.index < v.PgOff || meta.index >= v.PgOff+v.Pages() {
			continue
		}
		va := v.Start + (meta.index-v.PgOff)<<arch.PageShift
		e := s.PT.UserEntry(v.mm.PGD, arch.VirtAddr(va))
		if p, ok := s.pfnOf(e); !ok || phys.PFN(p) != pfn {
			continue
		}
		if !f(v, va, e) {
			return
		}
	}
}

// IsAnon implements reclaim.Host: PageAnon (shmem pages are swap-backed
// but belong to their object).
func (s *System) IsAnon(pfn uint64) bool {
	m := s.meta(phys.PFN(pfn))
	return m != nil && m.anon != nil
}

// IsShmem implements reclaim.Host.
func (s *System) IsShmem(pfn uint64) bool {
	m := s.meta(phys.PFN(pfn))
	return m != nil && m.file != nil && m.file.Shmem
}

// Referenced implements reclaim.Host: folio_referenced() counts the PTEs
// whose accessed bit was set and clears them
// (ptep_clear_flush_young(), which on x86 flushes no TLB: an entry the
// TLB holds keeps the page looking unused until it is evicted), and says
// whether a mapping is VM_EXEC or VM_LOCKED.
func (s *System) Referenced(pfn uint64) (refs int, exec, locked bool) {
	s.mappings(phys.PFN(pfn), func(v *VMA, va uint64, e pgtable.Entry) bool {
		if v.Flags&VMLocked != 0 {
			locked = true
		}
		if v.Flags&VMExec != 0 {
			exec = true
		}
		if e&pgtable.Accessed != 0 {
			refs++
			s.PT.Update(v.mm.PGD, arch.VirtAddr(va), 0, pgtable.Accessed)
		}
		return true
	})
	return refs, exec, locked
}

// Dirty implements reclaim.Host: folio_test_dirty() after the PTEs'
// dirty bits were moved to the page (folio_mkclean() on writeback).
func (s *System) Dirty(pfn uint64) bool {
	meta := s.meta(phys.PFN(pfn))
	if meta == nil {
		return false
	}
	dirty := meta.file != nil && meta.file.cache[meta.index].dirty
	s.mappings(phys.PFN(pfn), func(v *VMA, va uint64, e pgtable.Entry) bool {
		if e&pgtable.Dirty != 0 {
			dirty = true
		}
		return true
	})
	return dirty
}

// Unmap implements reclaim.Host: try_to_unmap() replaces every PTE that
// maps the page with the swap entry of slot (anonymous pages; each PTE
// takes a count of the slot) or clears it (file pages), flushing the
// TLBs, moving RSS to MM_SWAPENTS. It refuses (false) a page mapped in a
// VM_LOCKED VMA.
func (s *System) Unmap(pfn uint64, slot uint64) bool {
	busy := false
	s.mappings(phys.PFN(pfn), func(v *VMA, va uint64, e pgtable.Entry) bool {
		busy = v.Flags&VMLocked != 0
		return !busy
	})
	if busy {
		return false
	}
	ok := true
	s.mappings(phys.PFN(pfn), func(v *VMA, va uint64, e pgtable.Entry) bool {
		m := v.mm
		kind := m.rssKind(v, va, pfn)
		var se pgtable.Entry
		if slot != 0 {
			x, err := s.PT.F.SwapEntry(0, slot)
			if err != nil {
				ok = false
				return false
			}
			se = x
		}
		s.PT.ZapUser(m.PGD, arch.VirtAddr(va), arch.VirtAddr(va+arch.PageSize), nil)
		if e&pgtable.Dirty != 0 && v.File != nil {
			v.File.markDirty(v.pgoffAt(va))
		}
		if se != 0 {
			s.PT.SetSwap(m.PGD, arch.VirtAddr(va), se)
			s.Swap.Dup(slot)
			m.addRss(MMSwapEnts, 1)
		}
		m.addRss(kind, -1)
		s.MMU.FlushRange(s.CPU(), m.PGD, arch.VirtAddr(va), arch.VirtAddr(va+arch.PageSize))
		s.Mem.FreePages(phys.PFN(pfn), 0) // the mapping's reference
		return true
	})
	s.gen++
	return ok
}

// Busy implements reclaim.Host: a reference beyond the page's mappings,
// its page-cache and swap-cache ones means a fault holds it.
func (s *System) Busy(pfn uint64) bool {
	p := phys.PFN(pfn)
	want := s.Mem.Mapcount(p)
	if meta := s.meta(p); meta != nil {
		if meta.file != nil {
			want++
		}
		if meta.swap != 0 {
			want++
		}
	}
	return s.Mem.Refcount(p) != want
}

// AddToSwapCache implements reclaim.Host (add_to_swap()): the page joins
// the swap cache, which takes a reference and the slot's first count.
func (s *System) AddToSwapCache(pfn, slot uint64) {
	s.Mem.GetPage(phys.PFN(pfn))
	s.Swap.AddCache(slot, pfn)
	if meta := s.meta(phys.PFN(pfn)); meta != nil {
		meta.swap, meta.written = slot, false
	}
}

// AbortSwap implements reclaim.Host: a page that stayed mapped leaves the
// swap cache again.
func (s *System) AbortSwap(pfn uint64) {
	meta := s.meta(phys.PFN(pfn))
	if meta == nil || meta.swap == 0 {
		return
	}
	s.dropSwapCache(phys.PFN(pfn), meta.swap)
}

// SwapOut implements reclaim.Host: the unmapped page's data goes to its
// slot (swap_writepage()), then the page leaves the swap cache and is
// freed (__remove_mapping()); the PTEs keep the slot.
func (s *System) SwapOut(pfn uint64) {
	p := phys.PFN(pfn)
	meta := s.meta(p)
	if meta == nil || meta.swap == 0 {
		return
	}
	if !meta.written {
		s.Swap.Write(meta.swap, s.Mem.Frame(p))
	}
	s.dropSwapCache(p, meta.swap)
	s.gen++
}

// WriteBack implements reclaim.Host: a dirty file page is written to its
// file and is clean again.
func (s *System) WriteBack(pfn uint64) {
	meta := s.meta(phys.PFN(pfn))
	if meta == nil || meta.file == nil {
		return
	}
	if cp, ok := meta.file.cache[meta.index]; ok {
		cp.dirty = false
		meta.file.cache[meta.index] = cp
	}
}

// DropFile implements reclaim.Host: an unmapped file page leaves the page
// cache and is freed; its data stays in the file (the model keeps it in
// the file's written pages).
func (s *System) DropFile(pfn uint64) {
	p := phys.PFN(pfn)
	meta := s.meta(p)
	if meta == nil || meta.file == nil {
		return
	}
	f := meta.file
	if f.stored == nil {
		f.stored = map[uint64]*[arch.PageSize]byte{}
	}
	c := *s.Mem.Frame(p)
	f.stored[meta.index] = &c
	delete(f.cache, meta.index)
	s.putPage(p)
	s.gen++
}

// Victims implements reclaim.Host: every running process with an address
// space, with what oom_badness() counts.
func (s *System) Victims() []reclaim.Victim {
	var out []reclaim.Victim
	for _, t := range s.tasks {
		if t.State != TaskRunning || t.MM == nil {
			continue
		}
		m := t.MM
		out = append(out, reclaim.Victim{PID: t.PID, Comm: t.Comm, RSS: m.RSS(), Swap: m.Rss[MMSwapEnts],
			PgtablePages: int64(s.PT.UserTables(m.PGD)), TotalVM: m.TotalVM(),
			AnonRSS: m.Rss[MMAnonPages], FileRSS: m.Rss[MMFilePages], ShmemRSS: m.Rss[MMShmemPages]})
	}
	return out
}

// Kill implements reclaim.Host: the OOM killer's SIGKILL; the victim's
// memory is freed at once.
func (s *System) Kill(pid int) {
	if t, ok := s.Task(pid); ok && t.State == TaskRunning {
		s.Exit(t, 0, SIGKILL)
	}
}

// SIGKILL is the OOM killer's signal.
const SIGKILL = 9

// CurrentPID implements reclaim.Host.
func (s *System) CurrentPID() int {
	if t := s.Current(); t != nil {
		return t.PID
	}
	return 0
}

// MemStats are the user-page counts of /proc/meminfo.
type MemStats struct {
	Cached, SwapCached, AnonPages, Mapped, Shmem, Dirty, Mlocked uint64
}

// MemStats counts the user pages by kind (the node's NR_FILE_PAGES,
// NR_SWAPCACHE, NR_ANON_MAPPED, NR_FILE_MAPPED, NR_SHMEM, NR_FILE_DIRTY,
// NR_MLOCK): what /proc/meminfo shows. Its cost follows the user pages.
func (s *System) MemStats() MemStats {
	var st MemStats
	s.pages.Each(func(pfnv uint64, meta pageMeta) {
		pfn := phys.PFN(pfnv)
		mapped := s.Mem.Mapcount(pfn) > 0
		switch {
		case meta.anon != nil:
			if mapped {
				st.AnonPages++
			}
			if meta.swap != 0 {
				st.SwapCached++
			}
		case meta.file != nil:
			st.Cached++
			if meta.file.Shmem {
				st.Shmem++
			} else if mapped {
				st.Mapped++
			}
			if meta.file.cache[meta.index].dirty {
				st.Dirty++
			}
		}
		if s.LRU != nil && s.LRU.Which(uint64(pfn)) == reclaim.Unevictable {
			st.Mlocked++
		}
	})
	return st
}

// SwapUser is a process and the swap entries its PTEs hold.
type SwapUser struct {
	PID   int
	Comm  string
	Slots int64
}

// SwapUsers lists the processes that have swap entries (MM_SWAPENTS),
// by pid.
func (s *System) SwapUsers() []SwapUser {
	var out []SwapUser
	for _, t := range s.tasks {
		if t.MM != nil && t.MM.Rss[MMSwapEnts] > 0 {
			out = append(out, SwapUser{t.PID, t.Comm, t.MM.Rss[MMSwapEnts]})
		}
	}
	return out
}

// SwapSlot implements reclaim.Host.
func (s *System) SwapSlot(pfn uint64) uint64 {
	if meta := s.meta(phys.PFN(pfn)); meta != nil {
		return meta.swap
	}
	return 0
}

// meta is a user page's reverse-map entry, or nil.
func (s *System) meta(pfn phys.PFN) *pageMeta {
	return s.pages.Ptr(uint64(pfn))
}
