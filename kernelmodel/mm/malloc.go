package mm

import (
	"encoding/binary"
	"fmt"
	"maps"
	"slices"
	"sort"
)

// The user-space malloc is a model of glibc's ptmalloc2 (malloc/malloc.c,
// glibc 2.3x) with its main arena only: chunks carved from a top chunk
// that brk grows and shrinks, large requests served by mmap, and chunk
// headers written into the process's memory where glibc writes them, so
// that malloc's page faults happen on the pages glibc's would.
//
// The model behaves like glibc run with the tcache and the fastbins
// disabled (GLIBC_TUNABLES=glibc.malloc.tcache_count=0 and
// mallopt(M_MXFAST, 0)): every freed chunk is coalesced at once with its
// free neighbours, and a chunk bordering the top merges into the top.
// Its other documented deviations from glibc:
//   - free chunks are chosen best-fit: the smallest free chunk that is
//     large enough, the lowest address among equal sizes. glibc is
//     best-fit too, from exact small bins and size-sorted large bins, but
//     it first scans the unsorted bin (taking an exact fit, or splitting
//     the last remainder for a small request) and breaks ties by bin
//     order rather than by address;
//   - the bins live in Go bookkeeping: the fd/bk (and fd_nextsize/
//     bk_nextsize) links glibc writes into free chunks are not written.
//     The size fields (with PREV_INUSE and IS_MMAPPED) of allocated, free
//     and top chunks and the prev_size footers of free chunks are written
//     with the values glibc writes;
//   - M_MMAP_THRESHOLD, M_TRIM_THRESHOLD and M_TOP_PAD keep their
//     defaults (128 KiB each): glibc's dynamic mmap threshold (free() of
//     an mmapped chunk raising the threshold to its size) is not modelled;
//   - when brk fails, glibc maps at least 1 MiB with mmap and goes on
//     with a non-contiguous arena; the model serves the request as an
//     mmapped chunk instead, and fails with ENOMEM if that fails too;
//   - realloc() of an mmapped chunk does not use mremap(): a request that
//     still fits returns the chunk as it is, anything larger is malloc,
//     copy and free (what glibc does when mremap fails);
//   - free() and realloc() recognise pointers from the bookkeeping, not
//     from the bytes in memory: see badPointer for the messages;
//   - a header write that faults (the program unmapped part of its heap)
//     returns the fault's *Signal, which would kill the process; the
//     bookkeeping is left as the operation meant it to be.
//
// Where the heap starts: on x86_64 the first chunk is at the page-aligned
// start_brk and malloc(1) returns start_brk+0x10. On i386 glibc (since
// 2.26) also aligns user pointers to 16 bytes while SIZE_SZ is 4, so the
// first chunk is at start_brk+8 and its pointer at start_brk+0x10 (older
// glibc, with 8-byte alignment, returned start_brk+8); that costs a second
// brk of one page to page-align the heap's end again, as glibc's does.

// Chunk size flag bits (malloc/malloc.c).
const (
	mallocPrevInuse = 0x1 // PREV_INUSE: the previous chunk is in use
	mallocIsMmapped = 0x2 // IS_MMAPPED: the chunk was obtained with mmap
)

// glibc's defaults (malloc/malloc.c).
const (
	mallocMmapThreshold = 128 << 10 // DEFAULT_MMAP_THRESHOLD_MIN, M_MMAP_THRESHOLD
	mallocTrimThreshold = 128 << 10 // DEFAULT_TRIM_THRESHOLD, M_TRIM_THRESHOLD
	mallocTopPad        = 128 << 10 // DEFAULT_TOP_PAD, M_TOP_PAD
	mallocMmapMax       = 65536     // DEFAULT_MMAP_MAX, M_MMAP_MAX
	// mallocConsolidate is FASTBIN_CONSOLIDATION_THRESHOLD: free() of a
	// chunk that coalesces to at least this size considers trimming.
	mallocConsolidate = 65536
)

// Heap is the state of a process's user malloc: glibc's main arena
// (struct malloc_state) and malloc_par, kept as Go bookkeeping.
type Heap struct {
	// started is set once the first sbrk'd memory became the top chunk.
	started bool
	// sbrkBase is mp_.sbrk_base: the break when malloc first grew it.
	sbrkBase uint64
	// top and topSize are av->top and its size.
	top, topSize uint64
	// systemMem and maxSystemMem are av->system_mem (bytes obtained with
	// brk, including foreign sbrk gaps, as glibc counts) and its peak.
	systemMem, maxSystemMem uint64
	// chunks holds every chunk of the brk heap but the top, by address.
	chunks map[uint64]heapChunk
	// freeEnds maps the end of each free chunk to its address: the
	// PREV_INUSE bit of the chunk at an address is clear exactly when a
	// free chunk ends there.
	freeEnds map[uint64]uint64
	// bins are the free chunks in (size, address) order.
	bins []binEntry
	// mmapped holds the mmapped chunks by chunk address.
	mmapped map[uint64]mmapChunk
	// mmappedMem and maxMmappedMem are mp_.mmapped_mem and its peak.
	mmappedMem, maxMmappedMem uint64
	// The tunables (mallopt()).
	mmapThreshold, trimThreshold, topPad uint64
	mmapMax                              int
}

// Kinds of chunk in the brk heap.
const (
	chunkInUse = iota // returned by malloc
	chunkFree         // in the bins
	chunkFence        // a fencepost, or a leftover too small to free: never freed
)

type heapChunk struct {
	size uint64
	kind uint8
}

type binEntry struct{ size, addr uint64 }

// mmapChunk is an mmapped chunk: its size (without the flags) and its
// prev_size, the offset of the chunk in the mapping.
type mmapChunk struct{ size, prevSize uint64 }

func newHeap() *Heap {
	return &Heap{
		chunks:        map[uint64]heapChunk{},
		freeEnds:      map[uint64]uint64{},
		mmapped:       map[uint64]mmapChunk{},
		mmapThreshold: mallocMmapThreshold,
		trimThreshold: mallocTrimThreshold,
		topPad:        mallocTopPad,
		mmapMax:       mallocMmapMax,
	}
}

// clone copies the heap for fork(): the child's memory is a copy of the
// parent's, so is its malloc state.
func (h *Heap) clone() *Heap {
	if h == nil {
		return nil
	}
	c := *h
	c.chunks = maps.Clone(h.chunks)
	c.freeEnds = maps.Clone(h.freeEnds)
	c.mmapped = maps.Clone(h.mmapped)
	c.bins = slices.Clone(h.bins)
	return &c
}

// MallocAbort is a malloc consistency check that failed: glibc prints
// the message (malloc_printerr()) and aborts the process with SIGABRT.
// The caller decides what to do with the process.
type MallocAbort struct {
	Msg string
}

func (e *MallocAbort) Error() string { return e.Msg }

// mallocParams are the sizes that depend on the architecture.
type mallocParams struct {
	sz     uint64 // SIZE_SZ
	align  uint64 // MALLOC_ALIGNMENT
	mask   uint64 // MALLOC_ALIGN_MASK
	min    uint64 // MINSIZE
	hdr    uint64 // CHUNK_HDR_SZ: 2*SIZE_SZ, the user pointer's offset
	maxReq uint64 // PTRDIFF_MAX: larger requests fail with ENOMEM
	sizeT  uint64 // the bits of size_t, as a limit (0: 64 bits)
}

// mallocParamsFor returns glibc's sizes: x86_64 has 8-byte size fields,
// 16-byte alignment and 32-byte minimum chunks; i386 4-byte size fields,
// 16-byte alignment (since glibc 2.26) and 16-byte minimum chunks.
func (s *System) mallocParamsFor() mallocParams {
	if s.Layout.Arch == "x86" {
		return mallocParams{sz: 4, align: 16, mask: 15, min: 16, hdr: 8, maxReq: 1<<31 - 1, sizeT: 1 << 32}
	}
	return mallocParams{sz: 8, align: 16, mask: 15, min: 32, hdr: 16, maxReq: 1<<63 - 1}
}

// request2size is checked_request2size(): the chunk size for a request,
// false when the request is larger than PTRDIFF_MAX.
func (p *mallocParams) request2size(req uint64) (uint64, bool) {
	if req > p.maxReq {
		return 0, false
	}
	n := (req + p.sz + p.mask) &^ p.mask
	if n < p.min {
		n = p.min
	}
	return n, true
}

// mstate is one malloc call's context: the task, its heap and the sizes.
type mstate struct {
	s *System
	t *Task
	h *Heap
	mallocParams
}

// mstateFor checks that the task can run malloc: it must exist and run
// on the current CPU, since malloc reads and writes its memory.
func (s *System) mstateFor(t *Task, call string) (mstate, error) {
	if t == nil || t.MM == nil || t.State != TaskRunning {
		return mstate{}, fmt.Errorf("%s: the task has exited", call)
	}
	if cpu := s.CPU(); cpu < 0 || cpu >= len(s.running) || s.running[cpu] != t {
		return mstate{}, fmt.Errorf("%s: pid %d (%s) is not running on the current cpu", call, t.PID, t.Comm)
	}
	if t.MM.Heap == nil {
		t.MM.Heap = newHeap()
	}
	return mstate{s: s, t: t, h: t.MM.Heap, mallocParams: s.mallocParamsFor()}, nil
}

func mallocENOMEM(call, why string) error { return sysErr(call, ENOMEM, why) }

// Malloc models glibc malloc/malloc.c:__libc_malloc() and _int_malloc()
// in the task's process: the best-fitting free chunk, else a piece of the
// top chunk, else sysmalloc() (mmap for a request of at least
// M_MMAP_THRESHOLD, or brk to grow the top). malloc(0) returns a
// minimum-sized chunk. The task must run on the current CPU. An
// exhausted address space is a *SysError with ENOMEM; a fault on a
// header (a heap the program damaged with brk or munmap) is the fault's
// *Signal.
func (s *System) Malloc(t *Task, size uint64) (uint64, error) {
	m, err := s.mstateFor(t, "malloc")
	if err != nil {
		return 0, err
	}
	nb, ok := m.request2size(size)
	if !ok {
		return 0, mallocENOMEM("malloc", fmt.Sprintf("%d bytes is more than PTRDIFF_MAX", size))
	}
	return m.intMalloc(nb, "malloc")
}

// Free models glibc __libc_free() and _int_free(): free(NULL) does
// nothing, an mmapped chunk is unmapped (munmap_chunk()), any other chunk
// is coalesced with its free neighbours and goes to the bins or into the
// top, and when the coalesced chunk is at least 64 KiB and the top at
// least M_TRIM_THRESHOLD, systrim() gives memory back with brk. A pointer
// that is not a live chunk is a *MallocAbort (see badPointer).
func (s *System) Free(t *Task, addr uint64) error {
	if addr == 0 {
		return nil
	}
	m, err := s.mstateFor(t, "free")
	if err != nil {
		return err
	}
	p := addr - m.hdr
	if mc, ok := m.h.mmapped[p]; ok {
		return m.munmapChunk(p, mc)
	}
	if c, ok := m.h.chunks[p]; ok && c.kind == chunkInUse {
		return m.intFree(p)
	}
	return m.badPointer(addr, "free")
}

// Calloc models glibc __libc_calloc(): n*size bytes (ENOMEM when the
// product overflows size_t), cleared. As in glibc with MORECORE_CLEARS,
// an mmapped chunk is not cleared (the kernel zeroed it), and a chunk
// carved from a top that had to grow is cleared only up to the part of
// the old top that may have been used before (sbrk_base + max_system_mem
// bounds the memory brk ever gave): the freshly sbrk'd pages are not
// touched. Every other chunk, also one carved from a top that did not
// grow, is cleared whole (chunksize - SIZE_SZ bytes from the pointer).
func (s *System) Calloc(t *Task, n, size uint64) (uint64, error) {
	m, err := s.mstateFor(t, "calloc")
	if err != nil {
		return 0, err
	}
	bytes := n * size
	if size != 0 && (bytes/size != n || m.sizeT != 0 && bytes >= m.sizeT) {
		return 0, mallocENOMEM("calloc", fmt.Sprintf("%d * %d overflows size_t", n, size))
	}
	nb, ok := m.request2size(bytes)
	if !ok {
		return 0, mallocENOMEM("calloc", fmt.Sprintf("%d bytes is more than PTRDIFF_MAX", bytes))
	}
	h := m.h
	// Before the first sbrk, glibc's top is a dummy inside the arena:
	// no chunk can be it, so everything is cleared.
	oldTop, oldTopSize := ^uint64(0), uint64(0)
	if h.started {
		oldTop, oldTopSize = h.top, h.topSize
		// sbrk_base + max_system_mem - oldtop, in size_t arithmetic.
		if lim := h.sbrkBase + h.maxSystemMem - oldTop; oldTopSize < lim {
			oldTopSize = lim
		}
	}
	mem, err := m.intMalloc(nb, "calloc")
	if err != nil {
		return 0, err
	}
	p := mem - m.hdr
	if _, ok := h.mmapped[p]; ok {
		return mem, nil
	}
	csz := h.chunks[p].size
	if p == oldTop && csz > oldTopSize {
		csz = oldTopSize
	}
	if csz > m.sz {
		if err := m.zero(mem, csz-m.sz); err != nil {
			return mem, err
		}
	}
	return mem, nil
}

// Realloc models glibc __libc_realloc() and _int_realloc():
// realloc(NULL, n) is malloc(n), realloc(p, 0) frees p and returns 0. A
// chunk shrinks in place (the tail is freed when it is at least MINSIZE)
// and grows in place into the top or a free next chunk; otherwise the
// data moves to a new chunk (malloc, copy, free), unless the new chunk is
// the one right after (the grown top), which is merged instead. An
// mmapped chunk is kept when the request still fits, else moved (mremap
// is not modelled). A pointer that is not a live chunk is a *MallocAbort
// "realloc(): invalid pointer"; on ENOMEM the old chunk is left as it is.
func (s *System) Realloc(t *Task, addr, size uint64) (uint64, error) {
	if addr == 0 {
		return s.Malloc(t, size)
	}
	if size == 0 {
		return 0, s.Free(t, addr)
	}
	m, err := s.mstateFor(t, "realloc")
	if err != nil {
		return 0, err
	}
	h := m.h
	p := addr - m.hdr
	mc, mmapped := h.mmapped[p]
	c, inHeap := h.chunks[p]
	if !mmapped && (!inHeap || c.kind != chunkInUse) {
		return 0, m.badPointer(addr, "realloc")
	}
	nb, ok := m.request2size(size)
	if !ok {
		return 0, mallocENOMEM("realloc", fmt.Sprintf("%d bytes is more than PTRDIFF_MAX", size))
	}
	if mmapped {
		if mc.size-m.sz >= nb {
			return addr, nil
		}
		mem, err := m.intMalloc(nb, "realloc")
		if err != nil {
			return 0, err
		}
		if err := m.copyUser(mem, addr, mc.size-m.hdr); err != nil {
			return mem, err
		}
		return mem, m.munmapChunk(p, mc)
	}
	return m.intRealloc(p, c.size, nb)
}

// MallocChunk is one chunk as HeapInfo reports it.
type MallocChunk struct {
	// Addr is the chunk (its prev_size field), Mem the pointer malloc
	// returns for it (Addr + 2*SIZE_SZ), Size its size without the flag
	// bits.
	Addr, Mem, Size uint64
	InUse           bool
	Mmapped         bool
	// Fencepost marks the chunks glibc puts at the end of the old top
	// when a foreign sbrk moved the break, and leftovers too small to
	// free: in use, never returned to the user.
	Fencepost bool
}

// HeapInfo describes a process's malloc heap (as malloc_stats() and
// mallinfo2() would, with the chunks themselves).
type HeapInfo struct {
	// Started is set once malloc has grown the heap with brk.
	Started bool
	// SbrkBase is the break when malloc first grew the heap.
	SbrkBase uint64
	// Chunks are the brk heap's chunks in address order, without the top.
	Chunks []MallocChunk
	// Top is the top chunk (zero before the heap started).
	Top MallocChunk
	// Mmapped are the mmapped chunks in address order.
	Mmapped []MallocChunk
	// Sbrked is the bytes obtained with brk (av->system_mem, mallinfo's
	// arena), MaxSbrked its peak; MmappedBytes the bytes of the mmapped
	// chunks' mappings (hblkhd).
	Sbrked, MaxSbrked, MmappedBytes uint64
	// InUseBytes and FreeBytes are the sizes of the brk heap's chunks in
	// use and in the bins (the top is neither).
	InUseBytes, FreeBytes uint64
	// The tunables in effect.
	MmapThreshold, TrimThreshold, TopPad uint64
}

// HeapInfo describes the task's heap: its chunks in address order with
// their size and in-use flag, the top chunk, the mmapped chunks and the
// sbrk'd bytes. A task without an address space has an empty HeapInfo.
func (s *System) HeapInfo(t *Task) HeapInfo {
	if t == nil || t.MM == nil || t.MM.Heap == nil {
		return HeapInfo{}
	}
	h, p := t.MM.Heap, s.mallocParamsFor()
	info := HeapInfo{
		Started: h.started, SbrkBase: h.sbrkBase,
		Sbrked: h.systemMem, MaxSbrked: h.maxSystemMem, MmappedBytes: h.mmappedMem,
		MmapThreshold: h.mmapThreshold, TrimThreshold: h.trimThreshold, TopPad: h.topPad,
	}
	for a, c := range h.chunks {
		mc := MallocChunk{Addr: a, Mem: a + p.hdr, Size: c.size, InUse: c.kind != chunkFree, Fencepost: c.kind == chunkFence}
		info.Chunks = append(info.Chunks, mc)
		if c.kind == chunkFree {
			info.FreeBytes += c.size
		} else {
			info.InUseBytes += c.size
		}
	}
	sort.Slice(info.Chunks, func(i, j int) bool { return info.Chunks[i].Addr < info.Chunks[j].Addr })
	if h.started {
		info.Top = MallocChunk{Addr: h.top, Mem: h.top + p.hdr, Size: h.topSize}
	}
	for a, c := range h.mmapped {
		info.Mmapped = append(info.Mmapped, MallocChunk{Addr: a, Mem: a + p.hdr, Size: c.size, InUse: true, Mmapped: true})
	}
	sort.Slice(info.Mmapped, func(i, j int) bool { return info.Mmapped[i].Addr < info.Mmapped[j].Addr })
	return info
}

// MallocCheck verifies the bookkeeping of a task's heap, as glibc's
// do_check_malloc_state() does its own: chunks tile the heap up to the
// top (fenceposts may be followed by memory malloc does not own), no two
// free chunks touch and none touches the top, the bins hold exactly the
// free chunks, sizes and pointers are aligned, the top ends on a page
// boundary, and each mmapped chunk lies in a mapping. It does not read
// the process's memory.
func (s *System) MallocCheck(t *Task) error {
	if t == nil || t.MM == nil || t.MM.Heap == nil {
		return nil
	}
	h, p := t.MM.Heap, s.mallocParamsFor()
	addrs := slices.Sorted(maps.Keys(h.chunks))
	nfree := 0
	for i, a := range addrs {
		c := h.chunks[a]
		end := a + c.size
		// A fencepost is CHUNK_HDR_SZ bytes: on i386 the second one
		// is not aligned like a chunk, as in glibc.
		if c.kind != chunkFence && ((a+p.hdr)&p.mask != 0 || c.size < p.min || c.size&p.mask != 0) {
			return fmt.Errorf("malloc: chunk %#x+%#x is misaligned or too small", a, c.size)
		}
		if !h.started || end > h.top {
			return fmt.Errorf("malloc: chunk %#x+%#x is not below the top %#x", a, c.size, h.top)
		}
		next := h.top
		if i+1 < len(addrs) {
			next = addrs[i+1]
		}
		if end > next || end < next && c.kind != chunkFence {
			return fmt.Errorf("malloc: chunk %#x+%#x does not end at the next chunk %#x", a, c.size, next)
		}
		if c.kind == chunkFree {
			nfree++
			if h.freeEnds[end] != a {
				return fmt.Errorf("malloc: free chunk %#x is not indexed by its end", a)
			}
			if end == h.top {
				return fmt.Errorf("malloc: free chunk %#x borders the top", a)
			}
			if n, ok := h.chunks[end]; ok && n.kind == chunkFree {
				return fmt.Errorf("malloc: free chunks %#x and %#x touch", a, end)
			}
			if _, ok := slices.BinarySearchFunc(h.bins, binEntry{c.size, a}, cmpBin); !ok {
				return fmt.Errorf("malloc: free chunk %#x is in no bin", a)
			}
		}
	}
	if nfree != len(h.bins) || nfree != len(h.freeEnds) {
		return fmt.Errorf("malloc: %d free chunks, %d in the bins, %d indexed by end", nfree, len(h.bins), len(h.freeEnds))
	}
	if !slices.IsSortedFunc(h.bins, cmpBin) {
		return fmt.Errorf("malloc: the bins are not sorted")
	}
	if h.started {
		if (h.top+p.hdr)&p.mask != 0 || h.topSize < p.min || (h.top+h.topSize)&pageMask != 0 {
			return fmt.Errorf("malloc: bad top chunk %#x+%#x", h.top, h.topSize)
		}
	}
	for a, c := range h.mmapped {
		block := a - c.prevSize
		v := t.MM.VMAAt(block)
		if v == nil || v.End < a+c.size || (a+p.hdr)&p.mask != 0 || (c.prevSize+c.size)&pageMask != 0 {
			return fmt.Errorf("malloc: mmapped chunk %#x+%#x is not a mapping of its own", a, c.size)
		}
	}
	return nil
}

func cmpBin(a, b binEntry) int {
	switch {
	case a.size != b.size:
		if a.size < b.size {
			return -1
		}
		return 1
	case a.addr < b.addr:
		return -1
	case a.addr > b.addr:
		return 1
	}
	return 0
}

// binInsert makes [a, a+size) a free chunk.
func (h *Heap) binInsert(a, size uint64) {
	e := binEntry{size, a}
	i, _ := slices.BinarySearchFunc(h.bins, e, cmpBin)
	h.bins = slices.Insert(h.bins, i, e)
	h.chunks[a] = heapChunk{size: size, kind: chunkFree}
	h.freeEnds[a+size] = a
}

// binRemove takes the free chunk at a out of the bins (unlink_chunk())
// and forgets it; it returns its size.
func (h *Heap) binRemove(a uint64) uint64 {
	c := h.chunks[a]
	if i, ok := slices.BinarySearchFunc(h.bins, binEntry{c.size, a}, cmpBin); ok {
		h.bins = slices.Delete(h.bins, i, i+1)
	}
	delete(h.freeEnds, a+c.size)
	delete(h.chunks, a)
	return c.size
}

// put writes one size_t word into the process's memory.
func (m *mstate) put(addr, v uint64) error {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], v)
	return m.s.WriteUser(m.t, addr, b[:m.sz])
}

// setHead writes the size field of the chunk at a as the bookkeeping has
// it (set_head()): its size with PREV_INUSE unless a free chunk ends at a.
func (m *mstate) setHead(a uint64) error {
	h := m.h
	var size uint64
	if h.started && a == h.top {
		size = h.topSize
	} else if c, ok := h.chunks[a]; ok {
		size = c.size
	} else {
		return fmt.Errorf("malloc: internal error: no chunk at %#x", a)
	}
	if _, ok := h.freeEnds[a]; !ok {
		size |= mallocPrevInuse
	}
	return m.put(a+m.sz, size)
}

// setFoot writes a free chunk's size into the prev_size field of the
// chunk after it (set_foot()).
func (m *mstate) setFoot(a, size uint64) error { return m.put(a+size, size) }

// zero clears n bytes of the process's memory at addr (calloc's memset).
func (m *mstate) zero(addr, n uint64) error {
	var page [4096]byte
	for n > 0 {
		k := min(n, uint64(len(page)))
		if err := m.s.WriteUser(m.t, addr, page[:k]); err != nil {
			return err
		}
		addr += k
		n -= k
	}
	return nil
}

// copyUser is realloc's memcpy of n bytes from src to dst.
func (m *mstate) copyUser(dst, src, n uint64) error {
	for n > 0 {
		k := min(n, 1<<16)
		b, err := m.s.ReadUser(m.t, src, int(k))
		if err != nil {
			return err
		}
		if err := m.s.WriteUser(m.t, dst, b); err != nil {
			return err
		}
		dst, src, n = dst+k, src+k, n-k
	}
	return nil
}

// intMalloc models _int_malloc() for a chunk of nb bytes.
func (m *mstate) intMalloc(nb uint64, call string) (uint64, error) {
	h := m.h
	i := sort.Search(len(h.bins), func(i int) bool { return h.bins[i].size >= nb })
	if i < len(h.bins) {
		return m.takeFree(h.bins[i].addr, nb)
	}
	if h.started && h.topSize >= nb+m.min {
		return m.fromTop(nb)
	}
	return m.sysmalloc(nb, call)
}

// takeFree allocates nb bytes from the free chunk at a: the whole chunk
// when the rest would be smaller than MINSIZE (set_inuse_bit_at_offset()
// on the next chunk), else split, the remainder staying free.
func (m *mstate) takeFree(a, nb uint64) (uint64, error) {
	h := m.h
	size := h.binRemove(a)
	if size-nb < m.min {
		h.chunks[a] = heapChunk{size: size}
		return a + m.hdr, m.setHead(a + size)
	}
	h.chunks[a] = heapChunk{size: nb}
	r := a + nb
	h.binInsert(r, size-nb)
	if err := m.setHead(a); err != nil {
		return 0, err
	}
	if err := m.setHead(r); err != nil {
		return 0, err
	}
	return a + m.hdr, m.setFoot(r, size-nb)
}

// fromTop carves nb bytes from the top chunk (_int_malloc()'s use_top):
// the chunk's header and the new top's header are written.
func (m *mstate) fromTop(nb uint64) (uint64, error) {
	h := m.h
	a := h.top
	h.chunks[a] = heapChunk{size: nb}
	h.top += nb
	h.topSize -= nb
	if err := m.setHead(a); err != nil {
		return 0, err
	}
	return a + m.hdr, m.setHead(h.top)
}

// sysmalloc models sysmalloc() for the main arena: a request of at least
// M_MMAP_THRESHOLD is mmapped (sysmalloc_mmap()); otherwise the heap
// grows with brk by nb + M_TOP_PAD + MINSIZE less what the top has,
// rounded up to a page. Extending the old top rewrites its header. The
// first time (or after a foreign sbrk moved the break) the new space is
// aligned so that the user pointers are (on i386, whose first chunk
// starts 8 bytes into the space, that costs a second brk to page-align
// the end), and an old top is cut down behind two fenceposts and freed.
func (m *mstate) sysmalloc(nb uint64, call string) (uint64, error) {
	h, s, t := m.h, m.s, m.t
	triedMmap := false
	if nb >= h.mmapThreshold && len(h.mmapped) < h.mmapMax {
		triedMmap = true
		if mem, ok, err := m.mmapChunk(nb); err != nil || ok {
			return mem, err
		}
	}
	var oldTop, oldSize uint64
	if h.started {
		oldTop, oldSize = h.top, h.topSize
	}
	oldEnd := oldTop + oldSize
	size := nb + h.topPad + m.min - oldSize // oldSize < nb + MINSIZE here
	size = pageAlign(size)
	brk := t.MM.Brk
	if size == 0 || brk+size < brk || s.Brk(t, brk+size) != brk+size {
		// MORECORE failed: fall back to an mmapped chunk.
		if !triedMmap {
			if mem, ok, err := m.mmapChunk(nb); err != nil || ok {
				return mem, err
			}
		}
		return 0, mallocENOMEM(call, fmt.Sprintf("brk cannot grow the heap by %#x bytes at %#x and mmap failed", size, brk))
	}
	h.systemMem += size
	switch {
	case h.started && brk == oldEnd:
		h.topSize += size
		if err := m.setHead(h.top); err != nil {
			return 0, err
		}
	case h.started && oldSize != 0 && brk < oldEnd:
		return 0, &MallocAbort{Msg: "break adjusted to free malloc space"}
	default:
		if err := m.newSpace(brk, size, oldTop, oldSize); err != nil {
			return 0, err
		}
	}
	h.maxSystemMem = max(h.maxSystemMem, h.systemMem)
	if h.topSize >= nb+m.min {
		return m.fromTop(nb)
	}
	return 0, mallocENOMEM(call, "the heap did not grow enough")
}

// newSpace makes [brk, brk+size) the top the first time, or after a
// foreign sbrk: the front is skipped to align the user pointers, a second
// brk asks for the old top's size again plus what page-aligns the end.
func (m *mstate) newSpace(brk, size, oldTop, oldSize uint64) error {
	h, s, t := m.h, m.s, m.t
	if !h.started {
		h.sbrkBase = brk
	} else if oldSize != 0 {
		h.systemMem += brk - (oldTop + oldSize) // a foreign sbrk counts
	}
	aligned, corr := brk, uint64(0)
	if f := (brk + m.hdr) & m.mask; f != 0 {
		corr = m.align - f
		aligned += corr
	}
	corr += oldSize
	end := brk + size + corr
	corr += pageAlign(end) - end
	sndBrk := brk + size
	if corr != 0 && s.Brk(t, sndBrk+corr) != sndBrk+corr {
		corr = 0
	}
	started := h.started
	h.started = true
	h.top, h.topSize = aligned, sndBrk+corr-aligned
	h.systemMem += corr
	if err := m.setHead(h.top); err != nil {
		return err
	}
	if !started || oldSize == 0 {
		return nil
	}
	// The old top keeps (oldSize - 2*CHUNK_HDR_SZ) rounded down to the
	// alignment, followed by two fenceposts of CHUNK_HDR_SZ bytes.
	keep := (oldSize - 2*m.hdr) &^ m.mask
	fp := oldTop + keep
	if keep != 0 {
		kind := uint8(chunkInUse)
		if keep < m.min {
			kind = chunkFence
		}
		h.chunks[oldTop] = heapChunk{size: keep, kind: kind}
		if err := m.setHead(oldTop); err != nil {
			return err
		}
	}
	h.chunks[fp] = heapChunk{size: m.hdr, kind: chunkFence}
	h.chunks[fp+m.hdr] = heapChunk{size: m.hdr, kind: chunkFence}
	if err := m.setHead(fp); err != nil {
		return err
	}
	if err := m.setHead(fp + m.hdr); err != nil {
		return err
	}
	if keep >= m.min {
		return m.intFree(oldTop)
	}
	return nil
}

// mmapChunk models sysmalloc_mmap(): a private anonymous read-write
// mapping of nb + SIZE_SZ bytes rounded up to pages (on i386, whose
// CHUNK_HDR_SZ is smaller than MALLOC_ALIGNMENT, MALLOC_ALIGN_MASK more,
// and the chunk starts at the offset that aligns the user pointer, kept
// in prev_size). prev_size and size|IS_MMAPPED are written at the chunk.
// ok is false when mmap failed.
func (m *mstate) mmapChunk(nb uint64) (mem uint64, ok bool, err error) {
	h := m.h
	var size uint64
	if m.align == m.hdr {
		size = pageAlign(nb + m.sz)
	} else {
		size = pageAlign(nb + m.sz + m.mask)
	}
	if size <= nb {
		return 0, false, nil
	}
	block, merr := m.s.Mmap(m.t, MmapArgs{Len: size, Prot: ProtRead | ProtWrite, Flags: MapPrivate | MapAnonymous})
	if merr != nil {
		return 0, false, nil
	}
	var corr uint64
	if f := (block + m.hdr) & m.mask; f != 0 {
		corr = m.align - f
	}
	p := block + corr
	h.mmapped[p] = mmapChunk{size: size - corr, prevSize: corr}
	h.mmappedMem += size
	h.maxMmappedMem = max(h.maxMmappedMem, h.mmappedMem)
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:], corr)
	binary.LittleEndian.PutUint64(b[m.sz:], (size-corr)|mallocIsMmapped)
	if err := m.s.WriteUser(m.t, p, b[:m.hdr]); err != nil {
		return 0, false, err
	}
	return p + m.hdr, true, nil
}

// munmapChunk models munmap_chunk(): the whole mapping goes.
func (m *mstate) munmapChunk(p uint64, mc mmapChunk) error {
	block, total := p-mc.prevSize, mc.prevSize+mc.size
	delete(m.h.mmapped, p)
	m.h.mmappedMem -= total
	return m.s.Munmap(m.t, block, total)
}

// intFree models _int_free() for a chunk of the brk heap that is in use:
// backward coalescing with a free previous chunk, merging into the top or
// forward coalescing with a free next chunk (else clearing the next
// chunk's PREV_INUSE), the free chunk's header and footer, then the trim.
func (m *mstate) intFree(p uint64) error {
	h := m.h
	size := h.chunks[p].size
	delete(h.chunks, p)
	next := p + size
	if q, ok := h.freeEnds[p]; ok {
		size += h.binRemove(q)
		p = q
	}
	if next == h.top {
		h.top = p
		h.topSize += size
		size = h.topSize
		if err := m.setHead(p); err != nil {
			return err
		}
	} else {
		nc, ok := h.chunks[next]
		nextFree := ok && nc.kind == chunkFree
		if nextFree {
			size += h.binRemove(next)
		}
		h.binInsert(p, size)
		if !nextFree {
			if err := m.setHead(next); err != nil {
				return err
			}
		}
		if err := m.setHead(p); err != nil {
			return err
		}
		if err := m.setFoot(p, size); err != nil {
			return err
		}
	}
	if size >= mallocConsolidate && h.topSize >= h.trimThreshold {
		return m.systrim(h.topPad)
	}
	return nil
}

// systrim models systrim(): when the top has more than pad + MINSIZE
// bytes, the whole pages beyond that are given back with brk, provided
// the break is still where the top ends.
func (m *mstate) systrim(pad uint64) error {
	h, t := m.h, m.t
	if h.topSize <= m.min+1 {
		return nil
	}
	area := h.topSize - m.min - 1
	if area <= pad {
		return nil
	}
	extra := (area - pad) &^ pageMask
	if extra == 0 {
		return nil
	}
	cur := t.MM.Brk
	if cur != h.top+h.topSize {
		return nil
	}
	m.s.Brk(t, cur-extra)
	released := cur - t.MM.Brk
	if released == 0 || t.MM.Brk > cur {
		return nil
	}
	h.systemMem -= released
	h.topSize -= released
	return m.setHead(h.top)
}

// intRealloc models _int_realloc() for a chunk of the brk heap.
func (m *mstate) intRealloc(oldp, oldSize, nb uint64) (uint64, error) {
	h := m.h
	next := oldp + oldSize
	newp, newSize := oldp, oldSize
	nc, nextKnown := h.chunks[next]
	switch {
	case oldSize >= nb:
	case next == h.top && oldSize+h.topSize >= nb+m.min:
		// Grow into the top.
		h.chunks[oldp] = heapChunk{size: nb}
		h.topSize = oldSize + h.topSize - nb
		h.top = oldp + nb
		if err := m.setHead(oldp); err != nil {
			return 0, err
		}
		return oldp + m.hdr, m.setHead(h.top)
	case next != h.top && nextKnown && nc.kind == chunkFree && oldSize+nc.size >= nb:
		// Grow into the free next chunk.
		newSize += h.binRemove(next)
		h.chunks[oldp] = heapChunk{size: newSize}
	default:
		mem, err := m.intMalloc(nb, "realloc")
		if err != nil {
			return 0, err
		}
		np := mem - m.hdr
		if c, ok := h.chunks[np]; ok && np == next {
			// The new chunk is the one right after (the top grew):
			// merge instead of copying.
			delete(h.chunks, np)
			newSize += c.size
			h.chunks[oldp] = heapChunk{size: newSize}
			break
		}
		if err := m.copyUser(mem, oldp+m.hdr, oldSize-m.sz); err != nil {
			return mem, err
		}
		return mem, m.intFree(oldp)
	}
	rem := newSize - nb
	if rem < m.min {
		h.chunks[newp] = heapChunk{size: newSize}
		if err := m.setHead(newp); err != nil {
			return 0, err
		}
		return newp + m.hdr, m.setHead(newp + newSize)
	}
	r := newp + nb
	h.chunks[newp] = heapChunk{size: nb}
	h.chunks[r] = heapChunk{size: rem}
	for _, a := range []uint64{newp, r, r + rem} {
		if err := m.setHead(a); err != nil {
			return 0, err
		}
	}
	return newp + m.hdr, m.intFree(r)
}

// badPointer is free() or realloc() of a pointer that is not a live
// chunk. glibc reads the size field first, so that read is made (an
// unmapped address, such as a freed mmapped chunk, is the read's
// SIGSEGV). The messages are glibc's for the case without tcache or
// fastbins: free of the top chunk's pointer (a chunk freed into the top,
// freed again) is "double free or corruption (top)"; of a chunk in the
// bins, "double free or corruption (!prev)" (glibc finds the next
// chunk's PREV_INUSE clear); anything else "free(): invalid pointer".
// realloc() reports "realloc(): invalid pointer" for all of them.
func (m *mstate) badPointer(addr uint64, call string) error {
	h := m.h
	p := addr - m.hdr
	if _, err := m.s.ReadUser(m.t, addr-m.sz, int(m.sz)); err != nil {
		return err
	}
	if call == "realloc" {
		return &MallocAbort{Msg: "realloc(): invalid pointer"}
	}
	if h.started && p == h.top {
		return &MallocAbort{Msg: "double free or corruption (top)"}
	}
	if c, ok := h.chunks[p]; ok && c.kind == chunkFree {
		return &MallocAbort{Msg: "double free or corruption (!prev)"}
	}
	return &MallocAbort{Msg: "free(): invalid pointer"}
}
