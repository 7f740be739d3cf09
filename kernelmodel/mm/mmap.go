package mm

import (
	"fmt"

	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/tlb"
)

const pageMask = arch.PageSize - 1

// MmapArgs are mmap()'s arguments; Off is in bytes.
type MmapArgs struct {
	Addr, Len   uint64
	Prot, Flags int
	File        *File
	Off         uint64
}

// calcFlags is calc_vm_prot_bits() | calc_vm_flag_bits() | VM_MAY*.
func calcFlags(prot, flags int) VMFlags {
	var f VMFlags
	if prot&ProtRead != 0 {
		f |= VMRead
	}
	if prot&ProtWrite != 0 {
		f |= VMWrite
	}
	if prot&ProtExec != 0 {
		f |= VMExec
	}
	if flags&MapGrowsDown != 0 {
		f |= VMGrowsDown
	}
	return f | VMMayRead | VMMayWrite | VMMayExec
}

// Mmap models mm/mmap.c:do_mmap() and mmap_region(): the checks, the
// address (hint, MAP_FIXED, MAP_FIXED_NOREPLACE or the top-down search
// below mmap_base), the VMA's flags, the unmapping MAP_FIXED does, the
// merge with the neighbours, and MAP_POPULATE's faults.
func (s *System) Mmap(t *Task, a MmapArgs) (uint64, error) {
	if err := s.mmapLock("mmap"); err != nil {
		return 0, err
	}
	m := t.MM
	if a.Len == 0 {
		return 0, sysErr("mmap", EINVAL, "length 0")
	}
	length := pageAlign(a.Len)
	if length == 0 || length > uint64(s.Layout.TaskSize) {
		return 0, sysErr("mmap", ENOMEM, fmt.Sprintf("length %#x is larger than the address space", a.Len))
	}
	if a.Flags&^mapKnown != 0 {
		return 0, sysErr("mmap", EINVAL, fmt.Sprintf("unknown flags %#x", a.Flags&^mapKnown))
	}
	if a.Prot&^(ProtRead|ProtWrite|ProtExec) != 0 {
		return 0, sysErr("mmap", EINVAL, fmt.Sprintf("unknown protection bits %#x", a.Prot))
	}
	typ := a.Flags & MapType
	if typ != MapShared && typ != MapPrivate && typ != MapSharedValidate {
		return 0, sysErr("mmap", EINVAL, "the flags need exactly one of MAP_SHARED and MAP_PRIVATE")
	}
	anon := a.Flags&MapAnonymous != 0
	if anon != (a.File == nil) {
		if anon {
			return 0, sysErr("mmap", EINVAL, "MAP_ANONYMOUS with a file")
		}
		return 0, sysErr("mmap", EINVAL, "no file and no MAP_ANONYMOUS (the model has no file descriptors: pass a file)")
	}
	if a.Off&pageMask != 0 {
		return 0, sysErr("mmap", EINVAL, fmt.Sprintf("offset %#x is not page aligned", a.Off))
	}
	if a.Off+length < a.Off {
		return 0, sysErr("mmap", EOVERFLOW, "offset plus length overflows")
	}
	fixed := a.Flags&(MapFixed|MapFixedNoReplace) != 0
	if fixed && a.Addr&pageMask != 0 {
		return 0, sysErr("mmap", EINVAL, fmt.Sprintf("MAP_FIXED address %#x is not page aligned", a.Addr))
	}
	addr, err := m.getUnmappedArea(a.Addr, length, a.Flags)
	if err != nil {
		return 0, err
	}
	if a.Flags&MapFixedNoReplace != 0 {
		if v := m.tree.Find(addr); v != nil && v.Start < addr+length {
			return 0, sysErr("mmap", EEXIST, fmt.Sprintf("[%#x, %#x) overlaps the VMA %s", addr, addr+length, v))
		}
	}
	flags := calcFlags(a.Prot, a.Flags)
	pgoff := a.Off >> arch.PageShift
	file := a.File
	shared := typ != MapPrivate
	// do_mmap(): only private anonymous memory may grow down.
	if flags&VMGrowsDown != 0 && (file != nil || shared) {
		return 0, sysErr("mmap", EINVAL, "MAP_GROWSDOWN needs a private anonymous mapping")
	}
	switch {
	case shared:
		flags |= VMShared | VMMayShare
	case a.Flags&MapNoReserve != 0:
		flags |= VMNoReserve
	case flags&VMWrite != 0:
		flags |= VMAccount // accountable_mapping(): private and writable
	}
	if a.Flags&MapLocked != 0 {
		flags |= VMLocked
	}
	if anon {
		if shared {
			pgoff = 0
		} else {
			pgoff = addr >> arch.PageShift
		}
	}
	// do_mmap(): "too many mappings?" is map_count > max_map_count.
	if m.tree.Len() > s.MaxMapCount {
		return 0, sysErr("mmap", ENOMEM, fmt.Sprintf("the process has %d VMAs, more than vm.max_map_count (%d)", m.tree.Len(), s.MaxMapCount))
	}
	if fixed {
		if err := m.unmap(addr, addr+length); err != nil {
			return 0, err
		}
	}
	if anon && shared {
		file, err = s.newFile("", length, true)
		if err != nil {
			return 0, err
		}
	}
	if _, err := m.insertRange(addr, addr+length, flags, file, pgoff); err != nil {
		return 0, err
	}
	s.gen++
	if a.Flags&(MapPopulate|MapLocked) != 0 && a.Flags&MapNonBlock == 0 {
		if err := s.populate(t, addr, addr+length, flags); err != nil {
			return addr, err
		}
	}
	return addr, nil
}

// EOVERFLOW is mmap's error for an offset that overflows.
const EOVERFLOW Errno = 75

func init() {
	errnoNames[EOVERFLOW] = [2]string{"EOVERFLOW", "Value too large for defined data type"}
}

// populate is MAP_POPULATE's mm_populate(): every page is faulted in, as
// a write when the mapping is writable (and private), else a read. A page
// of a file mapping past the end of the file is get_user_pages()'s
// -EFAULT, which __mm_populate() ignores: no signal, and the rest of that
// VMA stays unpopulated.
func (s *System) populate(t *Task, start, end uint64, flags VMFlags) error {
	m := t.MM
	write := flags&VMWrite != 0 && flags&VMShared == 0
	for va := start; va < end; va += arch.PageSize {
		v := m.tree.Lookup(va)
		if v == nil || !v.Accessible() {
			continue
		}
		if f := v.File; f != nil && !f.Shmem && v.pgoffAt(va) >= f.Pages() {
			va = v.End - arch.PageSize // on at the next VMA
			continue
		}
		e := s.PT.UserEntry(m.PGD, arch.VirtAddr(va))
		code := uint(tlb.PFUser)
		if write {
			code |= tlb.PFWrite
		}
		if e != 0 && (!write || e&rwBit != 0) {
			continue
		}
		if e&presentBit != 0 {
			code |= tlb.PFProt
		}
		if err := s.HandleFault(t, va, code); err != nil {
			return err
		}
	}
	return nil
}

// getUnmappedArea is get_unmapped_area() with the x86 top-down
// allocator (arch_get_unmapped_area_topdown()): MAP_FIXED takes the
// address as it is; a hint is used if the range and its guard gaps are
// free and above mmap_min_addr; otherwise the highest free range below
// mmap_base, or failing that the lowest above TASK_UNMAPPED_BASE.
func (m *MM) getUnmappedArea(hint, length uint64, flags int) (uint64, error) {
	s := m.sys
	top := uint64(s.Layout.TaskSize)
	if length > top-s.MmapMinAddr {
		return 0, sysErr("mmap", ENOMEM, "no room for that length")
	}
	if flags&(MapFixed|MapFixedNoReplace) != 0 {
		if hint > top-length {
			return 0, sysErr("mmap", ENOMEM, fmt.Sprintf("[%#x, %#x) is above TASK_SIZE %#x", hint, hint+length, top))
		}
		if hint < s.MmapMinAddr {
			return 0, sysErr("mmap", EPERM, fmt.Sprintf("%#x is below vm.mmap_min_addr (%#x)", hint, s.MmapMinAddr))
		}
		return hint, nil
	}
	if hint != 0 {
		hint &^= pageMask // x86's arch_get_unmapped_area_topdown() rounds down
		if hint <= top-length && hint >= s.MmapMinAddr && m.free(hint, hint+length) {
			return hint, nil
		}
	}
	if a, ok := m.tree.UnmappedTopDown(maxU(arch.PageSize, s.MmapMinAddr), m.MmapBase, length); ok {
		return a, nil
	}
	if a, ok := m.tree.UnmappedBottomUp(s.unmappedBase(), top, length); ok {
		return a, nil
	}
	return 0, sysErr("mmap", ENOMEM, "no free range of that size in the address space")
}

// free reports whether [start, end) and the guard gaps around it are
// free (the hint check of generic_get_unmapped_area_topdown()).
func (m *MM) free(start, end uint64) bool {
	next := m.tree.Find(start)
	prev := m.tree.FindPrev(start)
	if next != nil && end > m.tree.startGap(next) {
		return false
	}
	return prev == nil || prev.End <= start
}

func maxU(a, b uint64) uint64 {
	if a > b {
		return a
	}
	return b
}

// Munmap models do_vmi_munmap(): the range is page aligned by the
// caller; VMAs that straddle its ends are split, everything inside is
// unmapped and freed, with its page tables. Unmapping a hole is no error.
func (s *System) Munmap(t *Task, addr, length uint64) error {
	if err := s.mmapLock("munmap"); err != nil {
		return err
	}
	if addr&pageMask != 0 {
		return sysErr("munmap", EINVAL, fmt.Sprintf("address %#x is not page aligned", addr))
	}
	length = pageAlign(length)
	if length == 0 || addr+length > uint64(s.Layout.TaskSize) || addr+length < addr {
		return sysErr("munmap", EINVAL, fmt.Sprintf("[%#x, +%#x) is not a user range", addr, length))
	}
	err := t.MM.unmap(addr, addr+length)
	s.gen++
	return err
}

// unmap removes [start, end) from the address space.
func (m *MM) unmap(start, end uint64) error {
	v := m.tree.Find(start)
	if v == nil || v.Start >= end {
		return nil
	}
	// A split in the middle of one VMA makes one more: the kernel's
	// check against max_map_count.
	if v.Start < start && v.End > end && m.tree.Len() >= m.sys.MaxMapCount {
		return sysErr("munmap", ENOMEM, "splitting would exceed vm.max_map_count")
	}
	// The splits of an unmap do not check the limit themselves
	// (vms_gather_munmap_vmas() calls __split_vma()).
	if v.Start < start {
		if _, err := m.split(v, start, false); err != nil {
			return err
		}
		v = v.Next()
	}
	for v != nil && v.Start < end {
		if v.End > end {
			if _, err := m.split(v, end, false); err != nil {
				return err
			}
		}
		next := v.Next()
		m.zap(v, v.Start, v.End)
		m.unlinkVMA(v)
		v = next
	}
	m.freeTables(start, end)
	return nil
}

// Mprotect models mm/mprotect.c:do_mprotect_pkey(): every VMA in the
// range gets the new protection (split at the ends, merged again where
// the rules allow) and its PTEs are changed (change_protection(): write
// permission is removed at once, and given back only by a write fault;
// exec and NX follow the VMA). A hole in the range is ENOMEM, after the
// VMAs before the hole were changed, as the kernel leaves them.
// PROT_GROWSDOWN extends the range down to the start of the VMA, which
// must be VM_GROWSDOWN (else EINVAL).
func (s *System) Mprotect(t *Task, addr, length uint64, prot int) error {
	if err := s.mmapLock("mprotect"); err != nil {
		return err
	}
	m := t.MM
	if addr&pageMask != 0 {
		return sysErr("mprotect", EINVAL, fmt.Sprintf("address %#x is not page aligned", addr))
	}
	if prot&^(ProtRead|ProtWrite|ProtExec|ProtGrowsDown) != 0 {
		return sysErr("mprotect", EINVAL, fmt.Sprintf("unknown protection bits %#x", prot))
	}
	if length == 0 {
		return nil
	}
	length = pageAlign(length)
	end := addr + length
	if end <= addr || end > uint64(s.Layout.TaskSize) {
		return sysErr("mprotect", ENOMEM, "the range is outside user space")
	}
	v := m.tree.Find(addr)
	if prot&ProtGrowsDown != 0 {
		// PROT_GROWSDOWN: the range reaches down to the start of the
		// VM_GROWSDOWN VMA it begins in.
		if v == nil || v.Start >= end {
			return sysErr("mprotect", ENOMEM, fmt.Sprintf("[%#x, %#x) is not mapped", addr, end))
		}
		if v.Flags&VMGrowsDown == 0 {
			return sysErr("mprotect", EINVAL, fmt.Sprintf("PROT_GROWSDOWN, but the VMA %s does not grow down", v))
		}
		addr = v.Start
	}
	if v == nil || v.Start > addr {
		return sysErr("mprotect", ENOMEM, fmt.Sprintf("%#x is not mapped", addr))
	}
	newBits := calcFlags(prot, 0) & (VMRead | VMWrite | VMExec)
	for start := addr; start < end; {
		if v == nil || v.Start > start {
			s.gen++
			return sysErr("mprotect", ENOMEM, fmt.Sprintf("[%#x, %#x) has a hole at %#x (the part before it was changed)", addr, end, start))
		}
		if newBits&VMWrite != 0 && v.Flags&VMMayWrite == 0 || newBits&VMExec != 0 && v.Flags&VMMayExec == 0 {
			s.gen++
			return sysErr("mprotect", EACCES, fmt.Sprintf("the VMA %s may not get that protection", v))
		}
		stop := end
		if v.End < stop {
			stop = v.End
		}
		flags := v.Flags&^(VMRead|VMWrite|VMExec) | newBits
		// mprotect_fixup(): making a private mapping writable charges
		// it; making anonymous memory that has no pages yet read-only
		// gives the charge back.
		switch {
		case flags&VMWrite != 0 && v.Flags&(VMShared|VMNoReserve|VMAccount|VMWrite|VMHugeTLB) == 0:
			flags |= VMAccount
		case flags&VMWrite == 0 && v.Flags&VMAccount != 0 && v.File == nil && v.Anon == nil:
			flags &^= VMAccount
		}
		// Two splits of one VMA at max_map_count - 1: the kernel's second
		// split_vma() fails after the first; the model refuses first, so
		// that no VMA is left cut in two for nothing.
		if v.Start < start && stop < v.End && flags != v.Flags && m.tree.Len() >= s.MaxMapCount-1 {
			s.gen++
			return sysErr("mprotect", ENOMEM, "splitting would exceed vm.max_map_count")
		}
		var err error
		v, err = m.modify(v, start, stop, flags)
		if err != nil {
			return err
		}
		m.changeProtection(v, start, stop)
		start = stop
		v = v.Next()
		if v != nil && v.Start < start {
			v = m.tree.Find(start)
		}
	}
	s.gen++
	return nil
}

// modify gives [start, end) of v new flags (vma_modify_flags()): v is
// split at the ends of the range when they fall inside it, changed, then
// merged with its neighbours where the rules allow. It returns the VMA
// that holds the range.
func (m *MM) modify(v *VMA, start, end uint64, flags VMFlags) (*VMA, error) {
	if flags == v.Flags {
		return v, nil
	}
	m.sys.gen++
	if v.Start < start {
		n, err := m.split(v, start, true)
		if err != nil {
			return nil, err
		}
		v = n
	}
	if v.End > end {
		if _, err := m.split(v, end, true); err != nil {
			return nil, err
		}
	}
	v.Flags = flags
	return m.mergeAround(v), nil
}

// changeProtection is change_protection() over [start, end) of v: the
// present PTEs lose write permission unless the VMA is shared and
// writable, and get NX unless the VMA is executable.
func (m *MM) changeProtection(v *VMA, start, end uint64) {
	s := m.sys
	changed := false
	s.PT.EachUser(m.PGD, arch.VirtAddr(start), arch.VirtAddr(end), func(_ arch.VirtAddr, e pgtableEntry) pgtableEntry {
		if e&presentBit == 0 {
			return e
		}
		n := e
		if v.Flags&VMWrite == 0 {
			n &^= rwBit
		} else if v.Flags&VMShared != 0 && e&dirtyBit != 0 {
			n |= rwBit
		}
		if v.Flags&VMExec == 0 {
			n |= nxBit
		} else {
			n &^= nxBit
		}
		if !v.Accessible() {
			n &^= userBit // PROT_NONE: the model keeps the frame, unreachable
		} else {
			n |= userBit
		}
		if n != e {
			changed = true
		}
		return n
	})
	if changed {
		s.MMU.FlushRange(s.CPU(), m.PGD, arch.VirtAddr(start), arch.VirtAddr(end))
	}
}

// Brk models SYSCALL_DEFINE1(brk): it returns the new break, or the old
// one when the request fails (below start_brk, growing into the guard
// gap of the next mapping, or shrinking where no VMA is left). Within
// the same page only the value changes; shrinking unmaps; growing extends
// the heap VMA (do_brk_flags()).
func (s *System) Brk(t *Task, brk uint64) uint64 {
	m := t.MM
	if brk < m.StartBrk || brk > uint64(s.Layout.TaskSize) {
		return m.Brk
	}
	newEnd, oldEnd := pageAlign(brk), pageAlign(m.Brk)
	switch {
	case newEnd == oldEnd:
	case newEnd < oldEnd:
		// Shrinking needs a VMA in the pages it gives back.
		if v := m.tree.Find(newEnd); v == nil || v.Start >= oldEnd {
			return m.Brk
		}
		if err := m.unmap(newEnd, oldEnd); err != nil {
			return m.Brk
		}
	default:
		next := m.tree.Find(oldEnd)
		if next != nil && newEnd+arch.PageSize > m.tree.startGap(next) {
			return m.Brk
		}
		if next != nil && next.Start < newEnd {
			return m.Brk
		}
		if m.tree.Len() > s.MaxMapCount {
			return m.Brk // do_brk_flags(): map_count > max_map_count
		}
		if _, err := m.insertRange(oldEnd, newEnd, vmDataFlags, nil, oldEnd>>arch.PageShift); err != nil {
			return m.Brk
		}
	}
	m.Brk = brk
	s.gen++
	return brk
}

// Madvise models the advice the model knows: MADV_DONTNEED zaps the
// pages (an anonymous private page reads back as zero, a file page from
// the page cache); MADV_DONTFORK/DOFORK set and clear VM_DONTCOPY;
// MADV_NORMAL/RANDOM/SEQUENTIAL the read-ahead flags; MADV_WILLNEED does
// nothing.
func (s *System) Madvise(t *Task, addr, length uint64, advice int) error {
	if err := s.mmapLock("madvise"); err != nil {
		return err
	}
	m := t.MM
	if addr&pageMask != 0 {
		return sysErr("madvise", EINVAL, fmt.Sprintf("address %#x is not page aligned", addr))
	}
	switch advice {
	case MadvNormal, MadvRandom, MadvSequential, MadvWillNeed, MadvDontNeed, MadvDontFork, MadvDoFork, MadvPageout:
	default:
		return sysErr("madvise", EINVAL, fmt.Sprintf("advice %d is not one the model knows", advice))
	}
	end := addr + pageAlign(length)
	if length != 0 && pageAlign(length) == 0 || end < addr {
		return sysErr("madvise", EINVAL, fmt.Sprintf("[%#x, +%#x) wraps around the address space", addr, length))
	}
	if end > uint64(s.Layout.TaskSize) {
		return sysErr("madvise", ENOMEM, "the range is outside user space")
	}
	var hole bool
	for start := addr; start < end; {
		v := m.tree.Find(start)
		if v == nil || v.Start >= end {
			hole = true
			break
		}
		if v.Start > start {
			hole = true
			start = v.Start
		}
		stop := end
		if v.End < stop {
			stop = v.End
		}
		switch advice {
		case MadvDontNeed:
			if v.Flags&(VMLocked|VMPFNMap) != 0 {
				return sysErr("madvise", EINVAL, fmt.Sprintf("MADV_DONTNEED on the locked VMA %s", v))
			}
			m.zap(v, start, stop)
		case MadvPageout:
			if v.Flags&VMLocked == 0 {
				s.pageout(m, start, stop)
			}
		case MadvWillNeed:
		default:
			flags := v.Flags
			switch advice {
			case MadvNormal:
				flags &^= VMSeqRead | VMRandRead
			case MadvRandom:
				flags = flags&^VMSeqRead | VMRandRead
			case MadvSequential:
				flags = flags&^VMRandRead | VMSeqRead
			case MadvDontFork:
				flags |= VMDontCopy
			case MadvDoFork:
				flags &^= VMDontCopy
			}
			// Two splits of one VMA at max_map_count - 1: refused
			// before the first, as in Mprotect.
			if v.Start < start && stop < v.End && flags != v.Flags && m.tree.Len() >= s.MaxMapCount-1 {
				s.gen++
				return sysErr("madvise", ENOMEM, "splitting would exceed vm.max_map_count")
			}
			var err error
			if v, err = m.modify(v, start, stop, flags); err != nil {
				return err
			}
		}
		start = stop
	}
	s.gen++
	if hole {
		return sysErr("madvise", ENOMEM, "the range has unmapped parts (the mapped ones were advised)")
	}
	return nil
}
