package kernelmodel_test

import (
	"testing"

	"mmsim/kernelmodel/mm"
	"mmsim/kernelmodel/phys"
	"mmsim/kernelmodel/tlb"
)

// Tests of defects found in a review of kernelmodel/mm against Linux 6.x.

// mm/mmap.c:do_mmap() refuses MAP_GROWSDOWN for file mappings (shared or
// private) and for shared anonymous ones: EINVAL. Only a private
// anonymous mapping may grow down.
func TestReviewGrowsDownNeedsPrivateAnon(t *testing.T) {
	for _, line := range procLines {
		m := procBoot(t, line)
		p := procSpawn(t, m, "a")
		f, err := m.Procs.NewFile("g", 8*procPage)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range []mm.MmapArgs{
			{Len: 2 * procPage, Prot: mm.ProtRead, Flags: mm.MapPrivate | mm.MapGrowsDown, File: f, Off: 4 * procPage},
			{Len: 2 * procPage, Prot: mm.ProtRead | mm.ProtWrite, Flags: mm.MapShared | mm.MapGrowsDown, File: f},
			procAnon(0, 2, mm.ProtRead|mm.ProtWrite, mm.MapShared|mm.MapGrowsDown),
		} {
			maps := p.MM.MapCount()
			_, err := m.Procs.Mmap(p, a)
			procCheck(t, m, "mmap MAP_GROWSDOWN")
			if got := procErrno(t, err); got != mm.EINVAL {
				t.Fatalf("%s: mmap %+v: got %v, want EINVAL", line, a, err)
			}
			if p.MM.MapCount() != maps {
				t.Fatalf("%s: the failed mmap left a VMA", line)
			}
		}
		// A private anonymous MAP_GROWSDOWN mapping grows, and its
		// vm_pgoff goes down by the pages it grew (expand_downwards()).
		a := procMmap(t, m, p, procAnon(0, 1, mm.ProtRead|mm.ProtWrite, mm.MapPrivate|mm.MapGrowsDown))
		if err := procAccess(t, m, p, a-procPage, tlb.Write); err != nil {
			t.Fatalf("%s: growing down: %v", line, err)
		}
		v := p.MM.VMAAt(a - procPage)
		if v == nil || v.Start != a-procPage || v.PgOff != v.Start>>12 {
			t.Fatalf("%s: the grown VMA is %v", line, v)
		}
	}
}

// mm/gup.c:__mm_populate() ignores the errors of MAP_POPULATE's faults
// (ignore_errors): a populated file mapping that runs past the end of the
// file is mapped, its pages inside the file faulted in, and no signal is
// delivered.
func TestReviewPopulatePastEOF(t *testing.T) {
	for _, line := range procLines {
		m := procBoot(t, line)
		p := procSpawn(t, m, "a")
		f, err := m.Procs.NewFile("short", procPage)
		if err != nil {
			t.Fatal(err)
		}
		segv := m.Procs.Stats.Segv
		a, err := m.Procs.Mmap(p, mm.MmapArgs{Len: 3 * procPage, Prot: mm.ProtRead, Flags: mm.MapPrivate | mm.MapPopulate, File: f})
		procCheck(t, m, "mmap MAP_POPULATE")
		if err != nil {
			t.Fatalf("%s: mmap MAP_POPULATE past the end of the file: %v", line, err)
		}
		if v := p.MM.VMAAt(a); v == nil || v.End != a+3*procPage {
			t.Fatalf("%s: the mapping is %v", line, v)
		}
		if p.MM.Rss[mm.MMFilePages] != 1 || m.Procs.Stats.Segv != segv {
			t.Fatalf("%s: file rss %d, segv %d→%d; want 1 page and no signal", line, p.MM.Rss[mm.MMFilePages], segv, m.Procs.Stats.Segv)
		}
	}
}

// madvise() splits with split_vma(), which fails at max_map_count; the
// model must not leave a VMA cut in two with the same flags on both
// sides (vma-merged), as mprotect() already refuses first.
func TestReviewMadviseSplitAtMapCount(t *testing.T) {
	for _, line := range procLines {
		m := procBoot(t, line)
		p := procSpawn(t, m, "a")
		a := procMmap(t, m, p, procAnon(0, 3, mm.ProtRead|mm.ProtWrite, mm.MapPrivate))
		m.Procs.MaxMapCount = p.MM.MapCount() + 1
		before := procAllVMAs(p)
		err := m.Procs.Madvise(p, a+procPage, procPage, mm.MadvDontFork)
		procCheck(t, m, "madvise at max_map_count")
		if got := procErrno(t, err); got != mm.ENOMEM {
			t.Fatalf("%s: madvise: got %v, want ENOMEM", line, err)
		}
		if after := procAllVMAs(p); after != before {
			t.Fatalf("%s: the failed madvise changed the VMAs:\n%s\nto\n%s", line, before, after)
		}
	}
}

// mm/rmap.c:find_mergeable_anon_vma() tries the next VMA first, then the
// previous one. With both reusable, the new anon_vma is next's, so a
// later mprotect merges the VMA with next, not with prev.
func TestReviewFindMergeableAnonVMANextFirst(t *testing.T) {
	for _, line := range procLines {
		m := procBoot(t, line)
		p := procSpawn(t, m, "a")
		rw := mm.ProtRead | mm.ProtWrite
		base := procMmap(t, m, p, procAnon(0, 3, mm.ProtNone, mm.MapPrivate))
		if err := m.Procs.Munmap(p, base, 3*procPage); err != nil {
			t.Fatal(err)
		}
		fixed := mm.MapPrivate | mm.MapFixed
		procMmap(t, m, p, procAnon(base, 1, rw, fixed))
		procMmap(t, m, p, procAnon(base+2*procPage, 1, rw, fixed))
		procTouch(t, m, p, base, 1, tlb.Write)
		procTouch(t, m, p, base+2*procPage, 1, tlb.Write)
		for _, va := range []uint64{base, base + 2*procPage} {
			if err := m.Procs.Mprotect(p, va, procPage, mm.ProtRead); err != nil {
				t.Fatal(err)
			}
			procCheck(t, m, "mprotect")
		}
		procMmap(t, m, p, procAnon(base+procPage, 1, rw, fixed))
		procTouch(t, m, p, base+procPage, 1, tlb.Write)
		if err := m.Procs.Mprotect(p, base+procPage, procPage, mm.ProtRead); err != nil {
			t.Fatal(err)
		}
		procCheck(t, m, "mprotect middle")
		v := p.MM.VMAAt(base + procPage)
		if v == nil || v.Start != base+procPage || v.End != base+3*procPage {
			t.Fatalf("%s: the middle page is in %v; want it merged with the next VMA [%#x, %#x)", line, v, base+procPage, base+3*procPage)
		}
	}
}

// kernel/fork.c:dup_mmap() clears VM_LOCKED_MASK in the child's VMAs:
// mlock is not inherited across fork.
func TestReviewForkDropsVMLocked(t *testing.T) {
	for _, line := range procLines {
		m := procBoot(t, line)
		p := procSpawn(t, m, "a")
		a := procMmap(t, m, p, procAnon(0, 2, mm.ProtRead|mm.ProtWrite, mm.MapPrivate|mm.MapLocked))
		// A neighbour that differs only by VM_LOCKED: in the child the
		// two are left unmerged, as dup_mmap() leaves them.
		procMmap(t, m, p, procAnon(a+2*procPage, 1, mm.ProtRead|mm.ProtWrite, mm.MapPrivate|mm.MapFixed))
		c := procFork(t, m, p)
		v := c.MM.VMAAt(a)
		if v == nil || v.Flags&mm.VMLocked != 0 {
			t.Fatalf("%s: the child's VMA is %v with flags %s; want no VM_LOCKED", line, v, v.Flags.Mnemonics())
		}
		if pv := p.MM.VMAAt(a); pv.Flags&mm.VMLocked == 0 {
			t.Fatalf("%s: the parent lost VM_LOCKED", line)
		}
		procExitWait(t, m, c)
		// Read-only neighbours with no anon_vma, locked and not: in the
		// child they could merge, and the model merges them.
		b := procMmap(t, m, p, procAnon(0, 1, mm.ProtRead, mm.MapPrivate|mm.MapLocked))
		procMmap(t, m, p, procAnon(b+procPage, 1, mm.ProtRead, mm.MapPrivate|mm.MapFixed))
		procMmap(t, m, p, procAnon(b+2*procPage, 1, mm.ProtRead, mm.MapPrivate|mm.MapFixed|mm.MapLocked))
		c = procFork(t, m, p)
		if v := c.MM.VMAAt(b); v == nil || v.Start != b || v.End != b+3*procPage || v.Flags&mm.VMLocked != 0 {
			t.Fatalf("%s: the child's read-only VMA is %v", line, v)
		}
		procExitWait(t, m, c)
	}
}

// mm/mprotect.c:do_mprotect_pkey(): PROT_GROWSDOWN applies the change
// down to the start of the VM_GROWSDOWN VMA the range starts in; on any
// other VMA it is EINVAL.
func TestReviewMprotectGrowsDown(t *testing.T) {
	for _, line := range procLines {
		m := procBoot(t, line)
		p := procSpawn(t, m, "a")
		rw := mm.ProtRead | mm.ProtWrite
		a := procMmap(t, m, p, procAnon(0, 3, rw, mm.MapPrivate|mm.MapGrowsDown))
		if err := m.Procs.Mprotect(p, a+2*procPage, procPage, mm.ProtRead|mm.ProtGrowsDown); err != nil {
			t.Fatalf("%s: mprotect PROT_GROWSDOWN: %v", line, err)
		}
		procCheck(t, m, "mprotect PROT_GROWSDOWN")
		if v := p.MM.VMAAt(a); v == nil || v.Start != a || v.End != a+3*procPage || v.Flags.Perms() != "r--p" {
			t.Fatalf("%s: after mprotect PROT_GROWSDOWN the VMA is %v", line, v)
		}
		b := procMmap(t, m, p, procAnon(0, 3, rw, mm.MapPrivate))
		before := procAllVMAs(p)
		err := m.Procs.Mprotect(p, b+procPage, procPage, mm.ProtRead|mm.ProtGrowsDown)
		procCheck(t, m, "mprotect PROT_GROWSDOWN")
		if got := procErrno(t, err); got != mm.EINVAL {
			t.Fatalf("%s: PROT_GROWSDOWN on a VMA that does not grow down: got %v, want EINVAL", line, err)
		}
		if procAllVMAs(p) != before {
			t.Fatalf("%s: the failed mprotect changed the VMAs", line)
		}
	}
}

// A fork that runs out of memory part way gives back everything the
// child had, and kernel/fork.c:dup_mmap() still flushes the parent's TLB
// (flush_tlb_mm() at its out: label): the parent's PTEs that were
// write-protected for the child stay write-protected, and no CPU may keep
// a writable TLB entry for them.
func TestReviewForkOOMUnwinds(t *testing.T) {
	for _, line := range procLines {
		m := procBoot(t, line)
		p := procSpawn(t, m, "a")
		rw := mm.ProtRead | mm.ProtWrite
		// Anonymous VMAs far apart, so that each needs its own page
		// tables in the child; their pages are written (writable TLB
		// entries).
		var vas []uint64
		for i := 0; i < 4; i++ {
			a := procMmap(t, m, p, procAnon(0, 2, rw, mm.MapPrivate))
			procTouch(t, m, p, a, 2, tlb.Write)
			vas = append(vas, a)
			procMmap(t, m, p, procAnon(0, 1024, mm.ProtNone, mm.MapPrivate|mm.MapNoReserve))
		}
		var held []phys.PFN
		for {
			pfn, ok, err := m.Phys.AllocPages(phys.Request{GFP: phys.GFPKernel | phys.GfpNoRetry | phys.GfpNoWarn, Owner: phys.OwnerUser, Tag: "hog"})
			if err != nil || !ok {
				break
			}
			held = append(held, pfn)
		}
		forked := false
		for len(held) > 0 && !forked {
			c, err := m.Procs.Fork(p)
			if err == nil {
				forked = true
				procCheck(t, m, "fork")
				procExitWait(t, m, c)
				break
			}
			if err := m.Check(); err != nil {
				t.Fatalf("%s: after a fork that failed (%d pages held): %v", line, len(held), err)
			}
			// The failed fork left p's pages as they were: writable
			// again by a write fault (reuse), not copied.
			for _, a := range vas {
				if err := procAccess(t, m, p, a, tlb.Write); err != nil {
					t.Fatal(err)
				}
			}
			m.Phys.FreePages(held[len(held)-1], 0)
			held = held[:len(held)-1]
		}
		if !forked {
			t.Fatalf("%s: fork never succeeded", line)
		}
		for _, pfn := range held {
			m.Phys.FreePages(pfn, 0)
		}
		procCheck(t, m, "free")
	}
}

// Spawn and exec that run out of memory part way give back all they took
// and leave the old image running (fs/exec.c builds the new mm first).
func TestReviewSpawnExecOOMUnwinds(t *testing.T) {
	for _, line := range procLines {
		m := procBoot(t, line)
		p := procSpawn(t, m, "a")
		prog, err := m.Procs.Program("b", 0, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		var held []phys.PFN
		for {
			pfn, ok, err := m.Phys.AllocPages(phys.Request{GFP: phys.GFPKernel | phys.GfpNoRetry | phys.GfpNoWarn, Owner: phys.OwnerUser, Tag: "hog"})
			if err != nil || !ok {
				break
			}
			held = append(held, pfn)
		}
		spawned, execed := false, false
		for len(held) > 0 && !(spawned && execed) {
			if !spawned {
				if c, err := m.Procs.Spawn(prog); err == nil {
					spawned = true
					procCheck(t, m, "spawn")
					if err := m.Procs.Exit(c, 0, 0); err != nil {
						t.Fatal(err)
					}
					if _, err := m.Procs.Wait(nil, c.PID); err != nil {
						t.Fatal(err)
					}
				}
				if err := m.Check(); err != nil {
					t.Fatalf("%s: after spawn with %d pages held: %v", line, len(held), err)
				}
			}
			if !execed {
				if err := m.Procs.Exec(p, prog); err == nil {
					execed = true
				} else if p.Comm != "a" {
					t.Fatalf("%s: a failed exec changed the name to %q", line, p.Comm)
				}
				if err := m.Check(); err != nil {
					t.Fatalf("%s: after exec with %d pages held: %v", line, len(held), err)
				}
			}
			m.Phys.FreePages(held[len(held)-1], 0)
			held = held[:len(held)-1]
		}
		for _, pfn := range held {
			m.Phys.FreePages(pfn, 0)
		}
		procCheck(t, m, "free")
		if !spawned || !execed {
			t.Fatalf("%s: spawn %v, exec %v", line, spawned, execed)
		}
	}
}

// SYSCALL_DEFINE1(brk) shrinks only when a VMA lies in the pages given
// back ("mapping intersects with an existing non-brk vma" otherwise):
// after the heap was unmapped, brk(start_brk) fails and returns the old
// break.
func TestReviewBrkShrinkNeedsHeap(t *testing.T) {
	for _, line := range procLines {
		m := procBoot(t, line)
		p := procSpawn(t, m, "a")
		start := p.MM.StartBrk
		if got := m.Procs.Brk(p, start+2*procPage); got != start+2*procPage {
			t.Fatalf("%s: brk grow: %#x", line, got)
		}
		procCheck(t, m, "brk")
		if err := m.Procs.Munmap(p, start, 2*procPage); err != nil {
			t.Fatal(err)
		}
		procCheck(t, m, "munmap")
		if got := m.Procs.Brk(p, start); got != start+2*procPage || p.MM.Brk != start+2*procPage {
			t.Fatalf("%s: brk(start_brk) with no heap VMA returned %#x (brk %#x); want the old break %#x", line, got, p.MM.Brk, start+2*procPage)
		}
		procCheck(t, m, "brk shrink")
	}
}

// A length that page rounding wraps to 0: do_mprotect_pkey() gives ENOMEM
// (end <= start), do_madvise() EINVAL ("len was rounded up from small -ve
// to zero"); neither is a successful no-op. A zero length is success
// for mprotect whatever the (aligned) address.
func TestReviewWrappingLength(t *testing.T) {
	for _, line := range procLines {
		m := procBoot(t, line)
		p := procSpawn(t, m, "a")
		a := procMmap(t, m, p, procAnon(0, 1, mm.ProtRead|mm.ProtWrite, mm.MapPrivate))
		huge := ^uint64(0) - 100
		if got := procErrno(t, m.Procs.Mprotect(p, a, huge, mm.ProtRead)); got != mm.ENOMEM {
			t.Fatalf("%s: mprotect of %#x bytes: errno %v, want ENOMEM", line, huge, got)
		}
		if got := procErrno(t, m.Procs.Madvise(p, a, huge, mm.MadvDontNeed)); got != mm.EINVAL {
			t.Fatalf("%s: madvise of %#x bytes: errno %v, want EINVAL", line, huge, got)
		}
		if got := procErrno(t, m.Procs.Mprotect(p, ^uint64(0)&^0xfff, 0, mm.ProtRead)); got != 0 {
			t.Fatalf("%s: mprotect of 0 bytes: errno %v, want success", line, got)
		}
		procCheck(t, m, "wrapping lengths")
	}
}
