package mm

import (
	"fmt"

	"mmsim/kernelmodel/arch"
)

// VMA is a vm_area_struct: one range [Start, End) of an address space
// with the same permissions and backing.
type VMA struct {
	Start, End uint64
	Flags      VMFlags
	// PgOff is vm_pgoff: the offset of Start in the file, in pages; for
	// private anonymous memory Start >> PAGE_SHIFT.
	PgOff uint64
	// File is vm_file: nil for anonymous memory.
	File *File
	// Anon is vma->anon_vma, set at the first anonymous page.
	Anon *AnonVMA
	// chain is the anon_vma_chain: one link per anon_vma the VMA's pages
	// may belong to (its own and, after fork, its ancestors').
	chain []avcLink
	// obj is the vm_area_struct object in the vm_area_struct cache.
	obj arch.VirtAddr
	mm  *MM

	// tree links, kept by vmatree.go.
	node       *vmaNode
	prev, next *VMA
}

// avcLink is one struct anon_vma_chain: its slab object and anon_vma.
type avcLink struct {
	av  *AnonVMA
	obj arch.VirtAddr
}

// AnonVMA is struct anon_vma: the reverse-map root of a VMA's anonymous
// pages, shared by parent and child after fork.
type AnonVMA struct {
	ID     int
	Parent *AnonVMA
	obj    arch.VirtAddr
	// links counts the anon_vma_chain entries naming it; children the
	// anon_vmas whose parent it is. It is freed when both are zero.
	links, children int
	// vmas are the VMAs its chain entries link: the reverse map's
	// anon_vma->rb_root.
	vmas []*VMA
}

// Pages is the VMA's size in pages.
func (v *VMA) Pages() uint64 { return (v.End - v.Start) >> arch.PageShift }

// Anonymous reports vma_is_anonymous(): no file behind it.
func (v *VMA) Anonymous() bool { return v.File == nil }

// IsCOW reports is_cow_mapping(): private and may be written.
func (v *VMA) IsCOW() bool { return v.Flags&(VMShared|VMMayWrite) == VMMayWrite }

// Accessible reports vma_is_accessible().
func (v *VMA) Accessible() bool { return v.Flags&vmAccessFlags != 0 }

// Contains reports whether addr lies in the VMA.
func (v *VMA) Contains(addr uint64) bool { return v.Start <= addr && addr < v.End }

// Name is the last column of /proc/PID/maps: the file, [heap], [stack],
// or "" (fs/proc/task_mmu.c:show_map_vma(), vma_is_initial_heap() and
// vma_is_initial_stack()).
func (v *VMA) Name() string {
	switch {
	case v.File != nil:
		return v.File.Path()
	case v.mm != nil && v.Start < v.mm.Brk && v.End > v.mm.StartBrk:
		// vma_is_initial_heap(): the VMA overlaps [start_brk, brk).
		return "[heap]"
	case v.mm != nil && v.Start <= v.mm.StartStack && v.End >= v.mm.StartStack:
		return "[stack]"
	}
	return ""
}

// pgoffAt is the file page the address addr of the VMA maps.
func (v *VMA) pgoffAt(addr uint64) uint64 { return v.PgOff + (addr-v.Start)>>arch.PageShift }

func (v *VMA) String() string {
	return fmt.Sprintf("%#x-%#x %s", v.Start, v.End, v.Flags.Perms())
}

// singularChain reports list_is_singular(&vma->anon_vma_chain): the VMA
// was not cloned by fork.
func (v *VMA) singularChain() bool { return len(v.chain) <= 1 }

// anonCompatible is is_mergeable_anon_vma(): the anon_vmas are equal, or
// one is NULL and the VMA that has one (vma, when given) was not cloned by
// fork.
func anonCompatible(a, b *AnonVMA, v *VMA) bool {
	if (a == nil || b == nil) && (v == nil || v.singularChain()) {
		return true
	}
	return a == b
}

// mergeable is is_mergeable_vma() without the anon_vma: the same flags
// (ignoring VM_SOFTDIRTY) and file, and never a VM_SPECIAL VMA.
func mergeable(v *VMA, flags VMFlags, file *File) bool {
	if (v.Flags^flags)&^VMSoftDirty != 0 || v.File != file {
		return false
	}
	return flags&VMSpecial == 0
}

// canMergeAfter is can_vma_merge_after(): a range with these attributes
// starting at prev's end may join prev.
func canMergeAfter(prev *VMA, flags VMFlags, file *File, av *AnonVMA, pgoff uint64) bool {
	return mergeable(prev, flags, file) && anonCompatible(av, prev.Anon, prev) && prev.PgOff+prev.Pages() == pgoff
}

// canMergeBefore is can_vma_merge_before(): a range of pages pages with
// these attributes ending at next's start may join next.
func canMergeBefore(next *VMA, flags VMFlags, file *File, av *AnonVMA, pgoff, pages uint64) bool {
	return mergeable(next, flags, file) && anonCompatible(av, next.Anon, next) && next.PgOff == pgoff+pages
}

// File is a file whose pages live in the page cache: a program image, a
// file made by a script, or the shmem object behind a shared anonymous
// mapping.
type File struct {
	Name string
	Size uint64
	// Shmem is set for the object of a MAP_SHARED|MAP_ANONYMOUS mapping
	// (shmem_zero_setup()), shown as "/dev/zero (deleted)".
	Shmem bool
	ID    int
	// cache is the page cache: file page index → frame. Each cached
	// frame has one reference for the cache and one per mapping PTE.
	cache map[uint64]cachePage
	// maps counts the VMAs mapping the file; a shmem object dies with
	// its last. vmas are those VMAs: the reverse map's i_mmap.
	maps int
	vmas []*VMA
	// stored is the data of pages reclaim dropped from the cache: the
	// file's contents on disk (pages never written read as zeros).
	stored map[uint64]*[arch.PageSize]byte
}

// cachePage is one page-cache page.
type cachePage struct {
	pfn   uint64
	dirty bool
}

// Path is the name /proc/PID/maps shows.
func (f *File) Path() string {
	if f.Shmem {
		return "/dev/zero (deleted)"
	}
	return "/" + f.Name
}

// Pages is the file's size in pages, rounded up.
func (f *File) Pages() uint64 { return (f.Size + arch.PageSize - 1) >> arch.PageShift }

// Cached is the number of the file's pages in the page cache.
func (f *File) Cached() int { return len(f.cache) }

// Obj is the address of the VMA's vm_area_struct.
func (v *VMA) Obj() arch.VirtAddr { return v.obj }

// Inode is the number /proc/PID/maps shows for the VMA's file: the
// model numbers its files from 1000 (0 for anonymous memory).
func (v *VMA) Inode() int {
	if v.File == nil {
		return 0
	}
	return 1000 + v.File.ID
}

// Dev is the device column of /proc/PID/maps: 08:01 for files (a disk
// partition), 00:01 for shmem, 00:00 for anonymous memory.
func (v *VMA) Dev() string {
	switch {
	case v.File == nil:
		return "00:00"
	case v.File.Shmem:
		return "00:01"
	}
	return "08:01"
}

// IsCachePage reports whether pfn is the page-cache page of the file
// page the VMA maps at va (not a private copy).
func (v *VMA) IsCachePage(va, pfn uint64) bool {
	return v.File != nil && v.File.cache[v.pgoffAt(va)].pfn == pfn
}

// CacheDirty reports whether the page-cache page at va is dirty.
func (v *VMA) CacheDirty(va uint64) bool {
	return v.File != nil && v.File.cache[v.pgoffAt(va)].dirty
}
