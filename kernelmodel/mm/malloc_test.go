package mm_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"mmsim/kernelmodel"
	"mmsim/kernelmodel/mm"
)

const mlPage = 4096

// mlArch are the machines the malloc tests run on, with glibc's sizes:
// SIZE_SZ and MINSIZE.
var mlArch = []struct {
	name, line string
	sz, min    uint64
}{
	{"x86", "x86 mem=64M", 4, 16},
	{"x86_64", "x86_64 mem=256M", 8, 32},
}

// mlEnv is a booted machine with one process running on the CPU.
type mlEnv struct {
	t   *testing.T
	m   *kernelmodel.Machine
	s   *mm.System
	p   *mm.Task
	sz  uint64 // SIZE_SZ
	min uint64 // MINSIZE
}

func mlBoot(t *testing.T, line string) *mlEnv {
	t.Helper()
	m, err := kernelmodel.BootLine(line)
	if err != nil {
		t.Fatal(err)
	}
	s := m.Procs
	prog, err := s.Program("p", 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.Spawn(prog)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SwitchTo(p); err != nil {
		t.Fatal(err)
	}
	e := &mlEnv{t: t, m: m, s: s, p: p, sz: 8, min: 32}
	if s.Layout.Arch == "x86" {
		e.sz, e.min = 4, 16
	}
	e.check()
	return e
}

func mlPageAlign(n uint64) uint64 { return (n + mlPage - 1) &^ (mlPage - 1) }

// nb is request2size().
func (e *mlEnv) nb(req uint64) uint64 {
	n := (req + e.sz + 15) &^ 15
	return max(n, e.min)
}

// check runs the machine's invariants and the heap's own, and compares
// every size field and footer in memory with the bookkeeping. Reading
// the headers must not fault: malloc wrote them all.
func (e *mlEnv) check() {
	e.t.Helper()
	if err := e.m.Check(); err != nil {
		e.t.Fatal(err)
	}
	e.checkTask(e.p)
}

func (e *mlEnv) checkTask(p *mm.Task) {
	e.t.Helper()
	if err := e.s.MallocCheck(p); err != nil {
		e.t.Fatal(err)
	}
	if e.s.Current() != p {
		return
	}
	flt := p.MinFlt
	info := e.s.HeapInfo(p)
	prevFreeEnd := uint64(0)
	for _, c := range info.Chunks {
		want := c.Size | 1
		if prevFreeEnd == c.Addr {
			want = c.Size
		}
		if got := e.word(p, c.Addr+e.sz); got != want {
			e.t.Fatalf("chunk %#x: size field %#x, want %#x", c.Addr, got, want)
		}
		prevFreeEnd = 0
		if !c.InUse {
			prevFreeEnd = c.Addr + c.Size
			if got := e.word(p, c.Addr+c.Size); got != c.Size {
				e.t.Fatalf("free chunk %#x: footer %#x, want %#x", c.Addr, got, c.Size)
			}
		}
	}
	if info.Started {
		if got := e.word(p, info.Top.Addr+e.sz); got != info.Top.Size|1 {
			e.t.Fatalf("top %#x: size field %#x, want %#x", info.Top.Addr, got, info.Top.Size|1)
		}
	}
	for _, c := range info.Mmapped {
		if got, want := e.word(p, c.Addr), c.Addr%mlPage; got != want {
			e.t.Fatalf("mmapped chunk %#x: prev_size %#x, want %#x", c.Addr, got, want)
		}
		if got := e.word(p, c.Addr+e.sz); got != c.Size|2 {
			e.t.Fatalf("mmapped chunk %#x: size field %#x, want %#x", c.Addr, got, c.Size|2)
		}
	}
	if p.MinFlt != flt {
		e.t.Fatalf("reading the heap's headers faulted %d times", p.MinFlt-flt)
	}
	if err := e.m.Check(); err != nil {
		e.t.Fatal(err)
	}
}

func (e *mlEnv) word(p *mm.Task, addr uint64) uint64 {
	e.t.Helper()
	b, err := e.s.ReadUser(p, addr, int(e.sz))
	if err != nil {
		e.t.Fatal(err)
	}
	var w [8]byte
	copy(w[:], b)
	return binary.LittleEndian.Uint64(w[:])
}

func (e *mlEnv) malloc(n uint64) uint64 {
	e.t.Helper()
	a, err := e.s.Malloc(e.p, n)
	if err != nil {
		e.t.Fatalf("malloc(%d): %v", n, err)
	}
	e.check()
	return a
}

func (e *mlEnv) free(a uint64) {
	e.t.Helper()
	if err := e.s.Free(e.p, a); err != nil {
		e.t.Fatalf("free(%#x): %v", a, err)
	}
	e.check()
}

func (e *mlEnv) realloc(a, n uint64) uint64 {
	e.t.Helper()
	r, err := e.s.Realloc(e.p, a, n)
	if err != nil {
		e.t.Fatalf("realloc(%#x, %d): %v", a, n, err)
	}
	e.check()
	return r
}

func (e *mlEnv) calloc(n, size uint64) uint64 {
	e.t.Helper()
	r, err := e.s.Calloc(e.p, n, size)
	if err != nil {
		e.t.Fatalf("calloc(%d, %d): %v", n, size, err)
	}
	e.check()
	return r
}

// faults runs f and returns the minor faults it caused.
func (e *mlEnv) faults(f func()) uint64 {
	e.t.Helper()
	before := e.p.MinFlt
	f()
	return e.p.MinFlt - before
}

func (e *mlEnv) chunk(mem uint64) (mm.MallocChunk, bool) {
	info := e.s.HeapInfo(e.p)
	for _, list := range [][]mm.MallocChunk{info.Chunks, info.Mmapped} {
		for _, c := range list {
			if c.Mem == mem {
				return c, true
			}
		}
	}
	return mm.MallocChunk{}, false
}

func (e *mlEnv) heapVMA() *mm.VMA {
	for _, v := range e.p.MM.VMAs() {
		if v.Name() == "[heap]" {
			return v
		}
	}
	return nil
}

func (e *mlEnv) fill(a uint64, n int, b byte) {
	e.t.Helper()
	if err := e.s.WriteUser(e.p, a, bytes.Repeat([]byte{b}, n)); err != nil {
		e.t.Fatal(err)
	}
}

func (e *mlEnv) read(a uint64, n int) []byte {
	e.t.Helper()
	b, err := e.s.ReadUser(e.p, a, n)
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}

func mlAbort(t *testing.T, err error, msg string) {
	t.Helper()
	var ab *mm.MallocAbort
	if !errors.As(err, &ab) || ab.Msg != msg {
		t.Fatalf("got %v, want the abort %q", err, msg)
	}
}

func TestMallocAlignment(t *testing.T) {
	sizes := []uint64{0, 1, 7, 8, 12, 15, 16, 17, 24, 25, 100, 1000, 4095, 4096, 5000, 70000, 131047, 131048, 131072, 200000, 1 << 20}
	for _, a := range mlArch {
		t.Run(a.name, func(t *testing.T) {
			e := mlBoot(t, a.line)
			var ptrs []uint64
			for _, n := range sizes {
				p := e.malloc(n)
				if p%16 != 0 {
					t.Errorf("malloc(%d) = %#x, not 16-byte aligned", n, p)
				}
				c, ok := e.chunk(p)
				if !ok {
					t.Fatalf("malloc(%d) = %#x is no chunk", n, p)
				}
				if c.Size < n+a.sz && !c.Mmapped || c.Mmapped && c.Size < n+2*a.sz {
					t.Errorf("malloc(%d): chunk of %d bytes is too small", n, c.Size)
				}
				ptrs = append(ptrs, p)
			}
			for i, n := range []uint64{1, 33, 300} {
				p := e.calloc(uint64(i+1), n)
				if p%16 != 0 {
					t.Errorf("calloc = %#x, not aligned", p)
				}
			}
			for _, p := range ptrs[:5] {
				e.free(p)
			}
			for _, n := range []uint64{3, 40, 2000} {
				if p := e.malloc(n); p%16 != 0 {
					t.Errorf("malloc(%d) from a free chunk = %#x", n, p)
				}
			}
		})
	}
}

func TestMallocFirstGrowsBrk(t *testing.T) {
	for _, a := range mlArch {
		for _, n := range []uint64{0, 1, 100, 4000, 100000, 131000} {
			t.Run(a.name, func(t *testing.T) {
				e := mlBoot(t, a.line)
				start := e.p.MM.StartBrk
				if e.p.MM.Brk != start {
					t.Fatalf("brk %#x before malloc, start_brk %#x", e.p.MM.Brk, start)
				}
				vmas := e.p.MM.MapCount()
				p := e.malloc(n)
				// x86_64: the first chunk is at start_brk, its pointer at
				// +16. i386: the chunk starts 8 bytes in so that its
				// pointer (chunk+8) is 16-byte aligned, and a second brk
				// page-aligns the end again.
				grow := mlPageAlign(e.nb(n) + 128<<10 + a.min)
				if a.name == "x86" {
					grow += mlPage
				}
				if p != start+16 {
					t.Errorf("malloc(%d) = %#x, want start_brk+16 = %#x", n, p, start+16)
				}
				if got := e.p.MM.Brk - start; got != grow {
					t.Errorf("malloc(%d) grew brk by %#x, want %#x", n, got, grow)
				}
				info := e.s.HeapInfo(e.p)
				if !info.Started || info.SbrkBase != start || info.Sbrked != grow || info.MaxSbrked != grow {
					t.Errorf("heap info %+v", info)
				}
				first := start
				if a.name == "x86" {
					first += 8
				}
				if len(info.Chunks) != 1 || info.Chunks[0].Addr != first || info.Chunks[0].Size != e.nb(n) {
					t.Errorf("chunks %+v", info.Chunks)
				}
				if info.Top.Addr != first+e.nb(n) || info.Top.Addr+info.Top.Size != e.p.MM.Brk {
					t.Errorf("top %+v, brk %#x", info.Top, e.p.MM.Brk)
				}
				v := e.heapVMA()
				if v == nil || v.Start > start || v.End != e.p.MM.Brk || v.Flags.Perms() != "rw-p" {
					t.Fatalf("[heap] VMA %v, brk %#x", v, e.p.MM.Brk)
				}
				// The heap extends bss: brk's VMA merges with it.
				if got := e.p.MM.MapCount(); got != vmas {
					t.Errorf("%d VMAs after malloc, %d before", got, vmas)
				}
			})
		}
	}
}

func TestMallocAdjacent(t *testing.T) {
	sizes := []uint64{1, 24, 25, 100, 512, 1000, 4096, 10000, 0, 65536}
	for _, a := range mlArch {
		t.Run(a.name, func(t *testing.T) {
			e := mlBoot(t, a.line)
			prev := e.malloc(sizes[0])
			prevSize := e.nb(sizes[0])
			for _, n := range sizes[1:] {
				p := e.malloc(n)
				if p != prev+prevSize {
					t.Errorf("malloc(%d) = %#x, want %#x + %#x = %#x", n, p, prev, prevSize, prev+prevSize)
				}
				if c, _ := e.chunk(p); c.Size != e.nb(n) || !c.InUse {
					t.Errorf("malloc(%d): chunk %+v, want size %d", n, c, e.nb(n))
				}
				prev, prevSize = p, e.nb(n)
			}
			// The heap grew on the way: the chunks still tile it.
			info := e.s.HeapInfo(e.p)
			if info.Top.Addr+info.Top.Size != e.p.MM.Brk || info.Sbrked != e.p.MM.Brk-e.p.MM.StartBrk {
				t.Errorf("top %+v brk %#x sbrked %#x", info.Top, e.p.MM.Brk, info.Sbrked)
			}
		})
	}
}

func TestMallocMmapped(t *testing.T) {
	cases := []struct {
		arch    string
		n       uint64
		mmapped bool
	}{
		{"x86_64", 200000, true},
		{"x86_64", 1 << 20, true},
		{"x86_64", 128<<10 - 8, true},   // chunk size 128 KiB: at the threshold
		{"x86_64", 128<<10 - 24, false}, // chunk size 128 KiB - 16
		{"x86", 200000, true},
		{"x86", 128<<10 - 4, true},
		{"x86", 128<<10 - 20, false},
	}
	for _, c := range cases {
		a := mlArch[0]
		if c.arch == "x86_64" {
			a = mlArch[1]
		}
		t.Run(c.arch, func(t *testing.T) {
			e := mlBoot(t, a.line)
			vmas := e.p.MM.MapCount()
			brk := e.p.MM.Brk
			var p uint64
			flt := e.faults(func() { p = e.malloc(c.n) })
			ch, _ := e.chunk(p)
			if ch.Mmapped != c.mmapped {
				t.Fatalf("malloc(%d): mmapped %v, want %v", c.n, ch.Mmapped, c.mmapped)
			}
			if !c.mmapped {
				return
			}
			if e.p.MM.Brk != brk {
				t.Errorf("malloc(%d) moved brk", c.n)
			}
			v := e.p.MM.VMAAt(p)
			if v == nil || p != v.Start+16 || v.End > e.p.MM.MmapBase || v.Flags.Perms() != "rw-p" || v.Name() != "" {
				t.Fatalf("malloc(%d) = %#x in VMA %v (mmap_base %#x)", c.n, p, v, e.p.MM.MmapBase)
			}
			// sysmalloc_mmap(): nb + SIZE_SZ (+ MALLOC_ALIGN_MASK on
			// i386) rounded up to pages.
			want := mlPageAlign(e.nb(c.n) + a.sz)
			if a.name == "x86" {
				want = mlPageAlign(e.nb(c.n) + a.sz + 15)
			}
			if v.End-v.Start != want || e.p.MM.MapCount() != vmas+1 {
				t.Errorf("mapping %v of %#x bytes, want %#x", v, v.End-v.Start, want)
			}
			if ch.Addr+ch.Size != v.End {
				t.Errorf("chunk %+v does not end with its mapping %v", ch, v)
			}
			if flt != 1 {
				t.Errorf("malloc(%d) faulted %d pages, want 1 (the header)", c.n, flt)
			}
			info := e.s.HeapInfo(e.p)
			if info.MmappedBytes != want || info.Started {
				t.Errorf("heap info %+v", info)
			}
			e.free(p)
			if e.p.MM.VMAAt(p) != nil || e.p.MM.MapCount() != vmas {
				t.Errorf("free did not unmap %#x", p)
			}
			if info := e.s.HeapInfo(e.p); len(info.Mmapped) != 0 || info.MmappedBytes != 0 {
				t.Errorf("heap info after free %+v", info)
			}
		})
	}
}

// TestMallocFaults checks that malloc touches exactly the pages it
// writes headers on: the chunk's and the new top's.
func TestMallocFaults(t *testing.T) {
	type op struct {
		n      uint64 // malloc(n)
		faults uint64
	}
	cases := []struct {
		arch string
		ops  []op
	}{
		// A fresh heap: top header and chunk header on the first page;
		// malloc(100000)'s remainder header at +100024 is on page 24.
		{"x86_64", []op{{100000, 2}}},
		{"x86", []op{{100000, 2}}},
		{"x86_64", []op{{1, 1}, {1, 0}, {4000, 0}, {4000, 1}, {200000, 1}, {8000, 1}}},
		// An mmapped chunk touches its header page only.
		{"x86_64", []op{{200000, 1}, {300000, 1}}},
		// Growing the top rewrites the old top's header (present) and
		// writes the new top's: malloc(10000) extends the heap and
		// faults only page 65, where the new top's header goes.
		{"x86_64", []op{{130000, 2}, {130000, 1}, {10000, 1}}},
		{"x86", []op{{130000, 2}, {130000, 1}, {10000, 1}}},
	}
	for _, c := range cases {
		a := mlArch[0]
		if c.arch == "x86_64" {
			a = mlArch[1]
		}
		t.Run(c.arch, func(t *testing.T) {
			e := mlBoot(t, a.line)
			for i, o := range c.ops {
				if got := e.faults(func() { e.malloc(o.n) }); got != o.faults {
					t.Errorf("op %d malloc(%d): %d faults, want %d", i, o.n, got, o.faults)
				}
			}
		})
	}
}

func TestMallocTrim(t *testing.T) {
	for _, a := range mlArch {
		t.Run(a.name, func(t *testing.T) {
			e := mlBoot(t, a.line)
			start := e.p.MM.StartBrk
			// One big block: freeing it merges it into the top and
			// systrim gives back all but top_pad + MINSIZE.
			p := e.malloc(100000)
			grown := e.p.MM.Brk
			e.free(p)
			info := e.s.HeapInfo(e.p)
			if len(info.Chunks) != 0 || e.p.MM.Brk >= grown {
				t.Fatalf("free: brk %#x (was %#x), chunks %+v", e.p.MM.Brk, grown, info.Chunks)
			}
			top := info.Top.Size
			if top <= 128<<10+a.min || top > 128<<10+a.min+mlPage || info.Top.Addr+top != e.p.MM.Brk {
				t.Errorf("top after trim %+v, brk %#x", info.Top, e.p.MM.Brk)
			}
			if info.Sbrked != e.p.MM.Brk-start || info.MaxSbrked != grown-start {
				t.Errorf("sbrked %#x max %#x, brk %#x", info.Sbrked, info.MaxSbrked, e.p.MM.Brk)
			}
			if v := e.heapVMA(); v == nil || v.End != e.p.MM.Brk {
				t.Errorf("[heap] VMA %v after trim, brk %#x", v, e.p.MM.Brk)
			}
			// Many blocks freed in an order that leaves free chunks in
			// the bins before the last one frees everything.
			var ps []uint64
			for i := 0; i < 12; i++ {
				ps = append(ps, e.malloc(30000))
			}
			high := e.p.MM.Brk
			for _, i := range []int{1, 3, 0, 5, 4, 2, 7, 9, 8, 10, 6} {
				e.free(ps[i])
				if e.p.MM.Brk != high {
					t.Fatalf("free of block %d trimmed, the top was not freed yet", i)
				}
			}
			if info := e.s.HeapInfo(e.p); len(info.Chunks) != 2 || info.Chunks[0].InUse || !info.Chunks[1].InUse {
				t.Fatalf("before the last free: %+v", info.Chunks)
			}
			e.free(ps[11])
			info = e.s.HeapInfo(e.p)
			if len(info.Chunks) != 0 || e.p.MM.Brk >= high || info.Top.Size != top {
				t.Errorf("after freeing all: brk %#x (was %#x), top %+v (want size %#x), chunks %d", e.p.MM.Brk, high, info.Top, top, len(info.Chunks))
			}
		})
	}
}

func TestMallocBestFit(t *testing.T) {
	e := mlBoot(t, "x86_64 mem=256M")
	var guards []uint64
	hole := map[uint64]uint64{}
	for _, n := range []uint64{600, 200, 400, 200, 300} {
		p := e.malloc(n)
		hole[n] = p
		guards = append(guards, e.malloc(10))
		if n == 200 && hole[1] == 0 {
			hole[1] = p // the first 200-byte hole
		}
	}
	for _, n := range []uint64{600, 400, 300} {
		e.free(hole[n])
	}
	e.free(hole[1])
	e.free(hole[200])
	// 250 bytes: the 304-byte hole is the best fit, split into 272 + 32.
	p := e.malloc(250)
	if p != hole[300] {
		t.Errorf("malloc(250) = %#x, want the 300-byte hole %#x", p, hole[300])
	}
	c, _ := e.chunk(p)
	if c.Size != 272 {
		t.Errorf("chunk %+v, want it split to 272", c)
	}
	// 190 bytes: two 208-byte holes, the lower one wins; the remainder
	// (16) is too small to split off.
	p = e.malloc(190)
	if p != hole[1] {
		t.Errorf("malloc(190) = %#x, want the lower 200-byte hole %#x", p, hole[1])
	}
	if c, _ := e.chunk(p); c.Size != 208 {
		t.Errorf("chunk %+v, want the whole 208 bytes", c)
	}
	// Freed neighbours coalesce: free the guard between two holes.
	e.free(guards[0])
	info := e.s.HeapInfo(e.p)
	if c := info.Chunks[0]; c.InUse || c.Size != e.nb(600)+e.nb(10) {
		t.Errorf("first chunk %+v after coalescing", c)
	}
}

func TestRealloc(t *testing.T) {
	for _, a := range mlArch {
		t.Run(a.name, func(t *testing.T) {
			e := mlBoot(t, a.line)
			// Into the top.
			p := e.malloc(100)
			e.fill(p, 100, 0xab)
			if q := e.realloc(p, 1000); q != p {
				t.Errorf("realloc into the top moved %#x to %#x", p, q)
			}
			if c, _ := e.chunk(p); c.Size != e.nb(1000) {
				t.Errorf("chunk %+v after growing", c)
			}
			if !bytes.Equal(e.read(p, 100), bytes.Repeat([]byte{0xab}, 100)) {
				t.Errorf("data lost")
			}
			// Into a free next chunk, splitting off the rest.
			b := e.malloc(200)
			guard := e.malloc(50)
			e.free(b)
			if q := e.realloc(p, 1100); q != p {
				t.Errorf("realloc into a free chunk moved %#x to %#x", p, q)
			}
			if c, _ := e.chunk(p); c.Size != e.nb(1100) {
				t.Errorf("chunk %+v, want %d", c, e.nb(1100))
			}
			rest, ok := e.chunk(p + e.nb(1100))
			if !ok || rest.InUse || rest.Size != e.nb(1000)+e.nb(200)-e.nb(1100) {
				t.Errorf("remainder %+v", rest)
			}
			// Shrinking in place frees the tail, which coalesces.
			if q := e.realloc(p, 10); q != p {
				t.Errorf("shrinking moved %#x to %#x", p, q)
			}
			if rest, _ := e.chunk(p + e.nb(10)); rest.InUse || rest.Addr+rest.Size != guard-2*a.sz {
				t.Errorf("tail after shrinking %+v", rest)
			}
			// Moving: the guard keeps p from growing; the data is copied.
			e.fill(p, 10, 0x5a)
			q := e.realloc(p, 5000)
			if q == p {
				t.Fatalf("realloc did not move")
			}
			if !bytes.Equal(e.read(q, 10), bytes.Repeat([]byte{0x5a}, 10)) {
				t.Errorf("data not copied")
			}
			if c, ok := e.chunk(p); ok && c.InUse {
				t.Errorf("old chunk still in use")
			}
			// realloc(NULL, n) and realloc(p, 0).
			r := e.realloc(0, 64)
			if c, ok := e.chunk(r); !ok || !c.InUse {
				t.Errorf("realloc(NULL, 64) = %#x", r)
			}
			if z := e.realloc(r, 0); z != 0 {
				t.Errorf("realloc(p, 0) = %#x", z)
			}
			if _, err := e.s.Realloc(e.p, r+16, 10); err == nil {
				t.Errorf("realloc of a bad pointer succeeded")
			} else {
				mlAbort(t, err, "realloc(): invalid pointer")
			}
			e.check()
		})
	}
}

// TestReallocMergesGrownTop: the chunk before the top grows past what
// the top has; malloc grows the top with brk and hands out the old top,
// which is the next chunk: glibc merges instead of copying.
func TestReallocMergesGrownTop(t *testing.T) {
	for _, a := range mlArch {
		t.Run(a.name, func(t *testing.T) {
			e := mlBoot(t, a.line)
			e.malloc(1)
			e.malloc(125000)
			info := e.s.HeapInfo(e.p)
			p := e.malloc(info.Top.Size - 2*a.min - a.sz) // leaves less than 3*MINSIZE of top
			if top := e.s.HeapInfo(e.p).Top; top.Size < a.min || top.Size >= 3*a.min {
				t.Fatalf("top %+v", top)
			}
			e.fill(p, 100, 0x77)
			brk := e.p.MM.Brk
			q := e.realloc(p, 100000)
			if q != p {
				t.Errorf("realloc moved %#x to %#x", p, q)
			}
			if e.p.MM.Brk <= brk {
				t.Errorf("brk did not grow")
			}
			if c, _ := e.chunk(p); c.Size != e.nb(100000) {
				t.Errorf("chunk %+v", c)
			}
			if info := e.s.HeapInfo(e.p); info.Top.Addr != p-2*a.sz+e.nb(100000) {
				t.Errorf("top %+v", info.Top)
			}
			if !bytes.Equal(e.read(p, 100), bytes.Repeat([]byte{0x77}, 100)) {
				t.Errorf("data lost")
			}
		})
	}
}

func TestReallocMmapped(t *testing.T) {
	e := mlBoot(t, "x86_64 mem=256M")
	p := e.malloc(200000)
	e.fill(p, 1000, 0x42)
	// Still fits: nothing changes.
	if q := e.realloc(p, 150000); q != p {
		t.Errorf("shrinking an mmapped chunk moved it")
	}
	q := e.realloc(p, 400000)
	if q == p {
		t.Fatalf("growing an mmapped chunk kept it")
	}
	if c, _ := e.chunk(q); !c.Mmapped {
		t.Errorf("new chunk %+v", c)
	}
	if e.p.MM.VMAAt(p) != nil && e.p.MM.VMAAt(p) == e.p.MM.VMAAt(q) {
		t.Logf("the new mapping merged with the old one's place")
	}
	if !bytes.Equal(e.read(q, 1000), bytes.Repeat([]byte{0x42}, 1000)) {
		t.Errorf("data not copied")
	}
	if len(e.s.HeapInfo(e.p).Mmapped) != 1 {
		t.Errorf("mmapped %+v", e.s.HeapInfo(e.p).Mmapped)
	}
	// 100 bytes fit in the old chunk: it is kept as it is (glibc's
	// mremap would shrink the mapping; the model has no mremap).
	if r := e.realloc(q, 100); r != q {
		t.Errorf("realloc to 100 bytes moved the mmapped chunk")
	}
	// A brk chunk moving to an mmapped one.
	s := e.malloc(1000)
	e.fill(s, 1000, 0x24)
	m := e.realloc(s, 300000)
	if c, _ := e.chunk(m); !c.Mmapped || !bytes.Equal(e.read(m, 1000), bytes.Repeat([]byte{0x24}, 1000)) {
		t.Errorf("realloc(1000 -> 300000): %+v", c)
	}
}

func TestCalloc(t *testing.T) {
	t.Run("fresh", func(t *testing.T) {
		e := mlBoot(t, "x86_64 mem=256M")
		var p uint64
		if f := e.faults(func() { p = e.calloc(10, 10) }); f != 1 {
			t.Errorf("calloc(10, 10) on a fresh heap: %d faults", f)
		}
		if !bytes.Equal(e.read(p, 100), make([]byte, 100)) {
			t.Errorf("not zero")
		}
	})
	t.Run("recycled", func(t *testing.T) {
		for _, a := range mlArch {
			e := mlBoot(t, a.line)
			p := e.malloc(1000)
			e.malloc(10)
			e.fill(p, 1000, 0xff)
			e.free(p)
			q := e.calloc(100, 10)
			if q != p {
				t.Fatalf("calloc did not reuse the free chunk")
			}
			if !bytes.Equal(e.read(q, 1000), make([]byte, 1000)) {
				t.Errorf("%s: recycled chunk not cleared", a.name)
			}
		}
	})
	t.Run("top without growth", func(t *testing.T) {
		// A chunk carved from a top that did not grow may hold old
		// data: glibc clears it whole, touching its pages.
		e := mlBoot(t, "x86_64 mem=256M")
		e.malloc(1)
		if f := e.faults(func() { e.calloc(1, 130000) }); f != 31 {
			t.Errorf("calloc(1, 130000) from the top: %d faults, want 31", f)
		}
	})
	t.Run("top grown", func(t *testing.T) {
		// The chunk reaches into freshly sbrk'd memory: only the part
		// inside the old heap (plus SIZE_SZ) is cleared. Pages 31-33
		// are cleared, page 54 gets the new top's header; pages 34-53
		// are not touched.
		e := mlBoot(t, "x86_64 mem=256M")
		e.malloc(1)
		e.malloc(125000)
		var p uint64
		if f := e.faults(func() { p = e.calloc(1, 100000) }); f != 4 {
			t.Errorf("calloc(1, 100000) growing the top: %d faults, want 4", f)
		}
		if !bytes.Equal(e.read(p, 100000), make([]byte, 100000)) {
			t.Errorf("not zero")
		}
	})
	t.Run("mmapped", func(t *testing.T) {
		e := mlBoot(t, "x86_64 mem=256M")
		var p uint64
		if f := e.faults(func() { p = e.calloc(1000, 1000) }); f != 1 {
			t.Errorf("calloc(1000, 1000): %d faults, want 1", f)
		}
		if c, _ := e.chunk(p); !c.Mmapped {
			t.Errorf("not mmapped")
		}
	})
	t.Run("overflow", func(t *testing.T) {
		for _, c := range []struct {
			line    string
			n, size uint64
		}{
			{"x86_64 mem=256M", 1 << 33, 1 << 33},
			{"x86_64 mem=256M", 1 << 62, 4},
			{"x86 mem=64M", 1 << 16, 1 << 16},
			{"x86 mem=64M", 1 << 20, 1 << 12},
		} {
			e := mlBoot(t, c.line)
			_, err := e.s.Calloc(e.p, c.n, c.size)
			var se *mm.SysError
			if !errors.As(err, &se) || se.Errno != mm.ENOMEM || se.Call != "calloc" {
				t.Errorf("%s calloc(%d, %d): %v, want ENOMEM", c.line, c.n, c.size, err)
			}
			e.check()
		}
	})
}

func TestFreeErrors(t *testing.T) {
	for _, a := range mlArch {
		t.Run(a.name, func(t *testing.T) {
			e := mlBoot(t, a.line)
			if err := e.s.Free(e.p, 0); err != nil {
				t.Errorf("free(NULL): %v", err)
			}
			p := e.malloc(100)
			g := e.malloc(100)
			top := e.malloc(100)
			e.free(p)
			mlAbort(t, e.s.Free(e.p, p), "double free or corruption (!prev)")
			e.free(top)
			mlAbort(t, e.s.Free(e.p, top), "double free or corruption (top)")
			mlAbort(t, e.s.Free(e.p, g+16), "free(): invalid pointer")
			mlAbort(t, e.s.Free(e.p, g+1), "free(): invalid pointer")
			mlAbort(t, e.s.Free(e.p, e.p.MM.StartData+64), "free(): invalid pointer")
			e.check()
			// A freed mmapped chunk is unmapped: reading its header is
			// the SIGSEGV.
			m := e.malloc(1 << 20)
			e.free(m)
			err := e.s.Free(e.p, m)
			var sig *mm.Signal
			if !errors.As(err, &sig) || sig.Signo != mm.SIGSEGV {
				t.Errorf("double free of an mmapped chunk: %v, want SIGSEGV", err)
			}
			e.check()
			// Nothing was changed by the failed frees.
			if c, _ := e.chunk(g); !c.InUse {
				t.Errorf("guard chunk lost")
			}
			e.free(g)
			if len(e.s.HeapInfo(e.p).Chunks) != 0 {
				t.Errorf("chunks left: %+v", e.s.HeapInfo(e.p).Chunks)
			}
		})
	}
}

func TestMallocENOMEM(t *testing.T) {
	t.Run("brk blocked", func(t *testing.T) {
		// A mapping just above the break keeps brk from growing:
		// malloc falls back to an mmapped chunk.
		e := mlBoot(t, "x86_64 mem=256M")
		at := mlPageAlign(e.p.MM.Brk) + 2*mlPage
		if _, err := e.s.Mmap(e.p, mm.MmapArgs{Addr: at, Len: mlPage, Prot: mm.ProtRead, Flags: mm.MapPrivate | mm.MapAnonymous | mm.MapFixed}); err != nil {
			t.Fatal(err)
		}
		p := e.malloc(100)
		c, _ := e.chunk(p)
		if !c.Mmapped || e.s.HeapInfo(e.p).Started {
			t.Errorf("malloc(100) with brk blocked: %+v", c)
		}
		e.free(p)
	})
	t.Run("no memory", func(t *testing.T) {
		e := mlBoot(t, "x86_64 mem=256M")
		// do_mmap() refuses once map_count > max_map_count.
		e.s.MaxMapCount = e.p.MM.MapCount() - 1
		_, err := e.s.Malloc(e.p, 200000)
		var se *mm.SysError
		if !errors.As(err, &se) || se.Errno != mm.ENOMEM || se.Call != "malloc" {
			t.Errorf("malloc with no room: %v", err)
		}
		e.s.MaxMapCount = 65530
		e.malloc(200000)
	})
	t.Run("too large", func(t *testing.T) {
		for _, a := range mlArch {
			e := mlBoot(t, a.line)
			sizes := []uint64{1 << 63, 1<<64 - 1}
			if a.name == "x86" {
				sizes = append(sizes, 1<<31, 3<<30, 1<<40)
			}
			for _, n := range sizes {
				_, err := e.s.Malloc(e.p, n)
				var se *mm.SysError
				if !errors.As(err, &se) || se.Errno != mm.ENOMEM {
					t.Errorf("%s malloc(%#x): %v", a.name, n, err)
				}
				e.check()
			}
		}
	})
}

// TestMallocForeignBrk: the program moves the break itself. glibc
// notices at the next growth: the old top is cut down behind two
// fenceposts and freed, the new space starts at the new break.
func TestMallocForeignBrk(t *testing.T) {
	for _, a := range mlArch {
		t.Run(a.name, func(t *testing.T) {
			e := mlBoot(t, a.line)
			p := e.malloc(1)
			e.malloc(120000) // leaves less than 20000 bytes of top
			old := e.s.HeapInfo(e.p).Top
			foreign := e.p.MM.Brk
			e.s.Brk(e.p, foreign+3*mlPage)
			q := e.malloc(20000)
			info := e.s.HeapInfo(e.p)
			var fences, free int
			for _, c := range info.Chunks {
				if c.Fencepost {
					fences++
				}
				if !c.InUse {
					free++
					if c.Addr != old.Addr {
						t.Errorf("free chunk %+v is not the old top %+v", c, old)
					}
				}
			}
			if fences != 2 || free != 1 {
				t.Errorf("chunks %+v", info.Chunks)
			}
			if q < foreign+3*mlPage {
				t.Errorf("malloc(130000) = %#x, below the foreign break %#x", q, foreign+3*mlPage)
			}
			if info.Top.Addr+info.Top.Size != e.p.MM.Brk {
				t.Errorf("top %+v, brk %#x", info.Top, e.p.MM.Brk)
			}
			// The old top is usable again.
			if r := e.malloc(1000); r != old.Mem {
				t.Errorf("malloc(1000) = %#x, want the old top %#x", r, old.Mem)
			}
			e.free(p)
			e.free(q)
		})
	}
	t.Run("break moved down", func(t *testing.T) {
		e := mlBoot(t, "x86_64 mem=256M")
		e.malloc(1)
		e.malloc(120000)
		e.s.Brk(e.p, e.p.MM.StartBrk)
		_, err := e.s.Malloc(e.p, 1)
		var sig *mm.Signal
		if !errors.As(err, &sig) {
			t.Errorf("malloc into the unmapped heap: %v, want SIGSEGV", err)
		}
		_, err = e.s.Malloc(e.p, 20000)
		mlAbort(t, err, "break adjusted to free malloc space")
		if err := e.m.Check(); err != nil {
			t.Fatal(err)
		}
	})
}

func TestMallocFork(t *testing.T) {
	for _, a := range mlArch {
		t.Run(a.name, func(t *testing.T) {
			e := mlBoot(t, a.line)
			p := e.malloc(100)
			q := e.malloc(200)
			big := e.malloc(200000)
			e.fill(p, 100, 0x11)
			parent := e.s.HeapInfo(e.p)
			child, err := e.s.Fork(e.p)
			if err != nil {
				t.Fatal(err)
			}
			e.check()
			ce := *e
			ce.p = child
			if err := e.s.SwitchTo(child); err != nil {
				t.Fatal(err)
			}
			ce.check()
			// The child frees and allocates: its heap changes, the
			// parent's does not.
			ce.free(q)
			ce.free(big)
			r := ce.malloc(150)
			if r != q {
				t.Errorf("child malloc(150) = %#x, want the freed %#x", r, q)
			}
			ce.fill(p, 100, 0x22)
			ce.free(p)
			if child.Cow == 0 {
				t.Errorf("the child's writes copied no page")
			}
			if err := e.s.SwitchTo(e.p); err != nil {
				t.Fatal(err)
			}
			e.check()
			got := e.s.HeapInfo(e.p)
			if len(got.Chunks) != len(parent.Chunks) || len(got.Mmapped) != 1 || got.Top != parent.Top {
				t.Errorf("parent heap changed: %+v, was %+v", got, parent)
			}
			if !bytes.Equal(e.read(p, 100), bytes.Repeat([]byte{0x11}, 100)) {
				t.Errorf("parent data changed")
			}
			e.free(q)
			e.free(big)
			e.free(p)
			// The child exits and is reaped; exec gives a fresh heap.
			if err := e.s.Exit(child, 0, 0); err != nil {
				t.Fatal(err)
			}
			if _, err := e.s.Wait(e.p, child.PID); err != nil {
				t.Fatal(err)
			}
			e.check()
			prog, _ := e.s.Program("p", 0, 0, 0)
			if err := e.s.Exec(e.p, prog); err != nil {
				t.Fatal(err)
			}
			if info := e.s.HeapInfo(e.p); info.Started || len(info.Chunks) != 0 {
				t.Errorf("heap after exec: %+v", info)
			}
			if p := e.malloc(1); p != e.p.MM.StartBrk+16 {
				t.Errorf("first malloc after exec = %#x", p)
			}
		})
	}
}

func TestMallocNotRunning(t *testing.T) {
	e := mlBoot(t, "x86_64 mem=256M")
	if err := e.s.SwitchTo(nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.Malloc(e.p, 10); err == nil {
		t.Errorf("malloc of a task not on the CPU succeeded")
	}
	if info := e.s.HeapInfo(e.p); info.Started {
		t.Errorf("heap started")
	}
	if info := e.s.HeapInfo(nil); info.Started {
		t.Errorf("nil task")
	}
}

// TestMallocRandom runs random malloc/calloc/realloc/free sequences and
// checks the invariants and the headers after each.
func TestMallocRandom(t *testing.T) {
	for _, a := range mlArch {
		t.Run(a.name, func(t *testing.T) {
			e := mlBoot(t, a.line)
			seed := uint64(12345)
			rnd := func(n uint64) uint64 {
				seed ^= seed << 13
				seed ^= seed >> 7
				seed ^= seed << 17
				return seed % n
			}
			live := map[uint64]byte{}
			sizes := map[uint64]uint64{}
			var order []uint64
			for i := 0; i < 400; i++ {
				sz := []uint64{rnd(64), rnd(1024), rnd(20000), rnd(200000)}[rnd(4)]
				switch op := rnd(4); {
				case op <= 1 || len(order) == 0:
					p := e.malloc(sz)
					tag := byte(i)
					e.fill(p, int(min(sz, 64)), tag)
					live[p], sizes[p] = tag, sz
					order = append(order, p)
				case op == 2:
					j := rnd(uint64(len(order)))
					p := order[j]
					if !bytes.Equal(e.read(p, int(min(sizes[p], 64))), bytes.Repeat([]byte{live[p]}, int(min(sizes[p], 64)))) {
						t.Fatalf("op %d: data of %#x lost", i, p)
					}
					e.free(p)
					delete(live, p)
					order = append(order[:j], order[j+1:]...)
				default:
					j := rnd(uint64(len(order)))
					p := order[j]
					tag := live[p]
					keep := min(sizes[p], sz, 64)
					if sz == 0 {
						sz = 1
						keep = 0
					}
					q := e.realloc(p, sz)
					if !bytes.Equal(e.read(q, int(keep)), bytes.Repeat([]byte{tag}, int(keep))) {
						t.Fatalf("op %d: realloc lost data", i)
					}
					delete(live, p)
					e.fill(q, int(min(sz, 64)), tag)
					live[q], sizes[q] = tag, sz
					order[j] = q
				}
			}
			for _, p := range order {
				e.free(p)
			}
			info := e.s.HeapInfo(e.p)
			if len(info.Chunks) != 0 || len(info.Mmapped) != 0 || info.Top.Size > 128<<10+a.min+mlPage {
				t.Errorf("after freeing everything: %d chunks, %d mmapped, top %+v", len(info.Chunks), len(info.Mmapped), info.Top)
			}
		})
	}
}

func BenchmarkMallocFree(b *testing.B) {
	for _, a := range mlArch {
		b.Run(a.name, func(b *testing.B) {
			m, err := kernelmodel.BootLine(a.line)
			if err != nil {
				b.Fatal(err)
			}
			s := m.Procs
			prog, _ := s.Program("p", 0, 0, 0)
			p, err := s.Spawn(prog)
			if err != nil {
				b.Fatal(err)
			}
			s.SwitchTo(p)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				a, err := s.Malloc(p, 64)
				if err != nil {
					b.Fatal(err)
				}
				if err := s.Free(p, a); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if err := m.Check(); err != nil {
				b.Fatal(err)
			}
		})
	}
}
