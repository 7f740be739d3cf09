package mm

import (
	"fmt"

	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/pgtable"
	"mmsim/kernelmodel/phys"
)

// Fork models kernel/fork.c:copy_process() for fork(): a task_struct and
// kernel stack, an mm_struct and PGD, a copy of every VMA but the
// VM_DONTCOPY ones, without VM_LOCKED (dup_mmap()), each with its
// anon_vma_chain cloned and a new anon_vma of its own (anon_vma_fork()),
// and the page tables copied only for VMAs with an anon_vma
// (vma_needs_copy()). Private writable PTEs are write-protected in parent
// and child alike, the child's are marked old, and no data is copied. The
// parent's TLBs are flushed, also after a failure. The child gets the
// parent's registers with eax/rax 0. On failure everything the child had
// is given back.
func (s *System) Fork(parent *Task) (*Task, error) {
	if parent.State != TaskRunning {
		return nil, fmt.Errorf("fork: pid %d has exited", parent.PID)
	}
	if a := s.Atomic(); a != "" {
		return nil, s.sleepBug("fork", a)
	}
	child, err := s.newTask(parent.Comm, parent)
	if err != nil {
		return nil, err
	}
	cm, err := s.newMM(fmt.Sprintf("pid %d", child.PID))
	if err != nil {
		s.freeTask(child)
		return nil, err
	}
	pm := parent.MM
	cm.StartCode, cm.EndCode, cm.StartData, cm.EndData = pm.StartCode, pm.EndCode, pm.StartData, pm.EndData
	cm.StartBrk, cm.Brk, cm.StartStack, cm.MmapBase = pm.StartBrk, pm.Brk, pm.StartStack, pm.MmapBase
	cm.Heap = pm.Heap.clone()
	if err := s.dupMMap(pm, cm); err != nil {
		s.dropMM(cm)
		s.freeTask(child)
		return nil, err
	}
	child.MM = cm
	child.Regs = parent.Regs.clone()
	if child.Regs.wide {
		child.Regs.Set("rax", 0)
	} else {
		child.Regs.Set("eax", 0)
	}
	parent.children = append(parent.children, child)
	s.nextPID++
	s.addTask(child)
	s.Stats.Forks++
	s.gen++
	return child, nil
}

// dupMMap is dup_mmap(): the VMAs and, where needed, the page tables.
// The child's VMAs lose VM_LOCKED and VM_LOCKONFAULT (VM_LOCKED_MASK:
// mlock is not inherited). Two neighbours that differed only in that
// would stay two VMAs in Linux; the model merges them, since no VMA may
// have a mergeable neighbour (vma-merged).
func (s *System) dupMMap(pm, cm *MM) error {
	// The parent's TLBs are flushed once its PTEs may have been
	// write-protected, also when the copy fails part way
	// (flush_tlb_mm() at dup_mmap()'s out: label).
	copied := false
	defer func() {
		if copied {
			s.MMU.FlushMM(s.CPU(), pm.PGD)
		}
	}()
	prevLocked := false
	for v := pm.tree.First(); v != nil; v = v.Next() {
		if v.Flags&VMDontCopy != 0 {
			continue
		}
		flags := v.Flags &^ vmLockedMask
		locked := flags != v.Flags
		if (locked || prevLocked) && (v.Anon == nil || v.Flags&VMWipeOnFork != 0) {
			if p := cm.tree.Last(); canJoinPrev(p, v.Start, flags, v.File, nil, nil, v.PgOff) {
				cm.tree.SetBounds(p, p.Start, v.End)
				prevLocked = locked
				continue
			}
		}
		prevLocked = locked
		n, err := cm.newVMA(v.Start, v.End, flags, v.File, v.PgOff)
		if err != nil {
			return err
		}
		cm.tree.Insert(n)
		if v.Flags&VMWipeOnFork != 0 || v.Anon == nil {
			continue
		}
		if err := cm.anonFork(n, v); err != nil {
			return err
		}
		copied = true
		if err := s.copyPageRange(pm, cm, v); err != nil {
			return err
		}
	}
	return nil
}

// anonFork is anon_vma_clone() plus anon_vma_fork(): the child's VMA
// links every anon_vma of the parent's chain, then gets its own anon_vma,
// a child of the parent's.
func (m *MM) anonFork(n, v *VMA) error {
	for _, l := range v.chain {
		if err := m.addAVC(n, l.av, "anon_vma_clone"); err != nil {
			return err
		}
	}
	obj, err := m.sys.allocObj(m.sys.anonCache, "anon_vma_fork")
	if err != nil {
		return err
	}
	m.sys.nextAnon++
	av := &AnonVMA{ID: m.sys.nextAnon, Parent: v.Anon, obj: obj}
	v.Anon.children++
	if err := m.linkAnon(n, av); err != nil {
		m.sys.anonCache.Free(obj, "anon_vma_fork")
		v.Anon.children--
		return err
	}
	return nil
}

// copyPageRange is copy_page_range() for one VMA: each present page gets
// a reference and a mapcount for the child; in a COW mapping the write
// bit is cleared in both PTEs; the child's PTE is old, and clean in a
// shared mapping.
func (s *System) copyPageRange(pm, cm *MM, v *VMA) error {
	cow := v.IsCOW()
	var perr error
	ok, err := s.PT.CopyUser(pm.PGD, cm.PGD, arch.VirtAddr(v.Start), arch.VirtAddr(v.End), func(va arch.VirtAddr, e pgtable.Entry) (pgtable.Entry, pgtable.Entry) {
		if e&pgtable.Present == 0 {
			// A swap entry: one more user of the slot
			// (swap_duplicate()).
			if _, slot, ok := s.PT.F.DecodeSwap(e); ok && s.Swap != nil {
				if err := s.Swap.Dup(slot); err != nil && perr == nil {
					perr = err
				}
				cm.addRss(MMSwapEnts, 1)
			}
			return e, e
		}
		if pfn, normal := s.pfnOf(e); normal {
			if err := s.Mem.GetPage(phys.PFN(pfn)); err != nil && perr == nil {
				perr = err
			}
			cm.addRss(cm.rssKind(v, uint64(va), pfn), 1)
		}
		if cow && e&pgtable.RW != 0 {
			e &^= pgtable.RW
		}
		child := e &^ pgtable.Accessed
		if v.Flags&VMShared != 0 {
			child &^= pgtable.Dirty
		}
		return e, child
	})
	if err == nil {
		err = perr
	}
	if err == nil && !ok {
		err = sysErr("fork", ENOMEM, "no page for the child's page tables")
	}
	return err
}
