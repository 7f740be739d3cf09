package slab_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"mmsim/kernelmodel"
	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/bug"
	"mmsim/kernelmodel/phys"
	"mmsim/kernelmodel/slab"
)

// boot builds a machine from a machine line such as "x86_64 mem=256M
// cpus=2" and records the warnings of the slab layer and of the page
// allocator.
func boot(t testing.TB, line string) (*kernelmodel.Machine, *recorder) {
	t.Helper()
	fields := strings.Fields(line)
	var settings []kernelmodel.Setting
	for _, f := range fields[1:] {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			t.Fatalf("bad setting %q in %q", f, line)
		}
		settings = append(settings, kernelmodel.Setting{Key: k, Value: v})
	}
	cfg, err := kernelmodel.NewConfig(kernelmodel.Arch(fields[0]), settings)
	if err != nil {
		t.Fatalf("NewConfig(%q): %v", line, err)
	}
	m, err := kernelmodel.Boot(cfg)
	if err != nil {
		t.Fatalf("Boot(%q): %v", line, err)
	}
	r := &recorder{}
	m.Slab.Warn = r.warn
	m.Phys.Hooks.Warn = r.warn
	return m, r
}

// recorder collects kernel warnings.
type recorder struct{ warns []string }

func (r *recorder) warn(msg string) { r.warns = append(r.warns, msg) }

func (r *recorder) take() []string {
	w := r.warns
	r.warns = nil
	return w
}

// onCPU makes the slab layer run on the CPU *cpu points at.
func onCPU(a *slab.Allocator) *int {
	cpu := new(int)
	a.CPU = func() int { return *cpu }
	return cpu
}

// state is everything a failed operation must leave as it was: every
// cache's totals and each zone's free blocks by order.
type state struct {
	Caches []cacheState
	Zones  []zoneState
}

type cacheState struct {
	Name   string
	Counts slab.Counts
}

type zoneState struct {
	Name   string
	Free   uint64
	NrFree [phys.NROrders]uint64
}

func snapshot(m *kernelmodel.Machine) state {
	var s state
	for _, c := range m.Slab.Caches() {
		s.Caches = append(s.Caches, cacheState{c.Name, c.Counts()})
	}
	for _, z := range m.Phys.Zones {
		zs := zoneState{Name: z.Name, Free: z.Free()}
		for o := range zs.NrFree {
			zs.NrFree[o] = z.NrFree(o)
		}
		s.Zones = append(s.Zones, zs)
	}
	return s
}

// unchanged fails the test if the machine's state differs from before, or
// if its invariants do not hold.
func unchanged(t testing.TB, m *kernelmodel.Machine, before state, what string) {
	t.Helper()
	if d := cmp.Diff(before, snapshot(m)); d != "" {
		t.Errorf("%s changed the state (-before +after):\n%s", what, d)
	}
	checkAll(t, m)
}

// checkAll runs the machine's incremental check and both full checks.
func checkAll(t testing.TB, m *kernelmodel.Machine) {
	t.Helper()
	if err := m.Check(); err != nil {
		t.Fatalf("Check: %v", err)
	}
	if err := m.Phys.CheckFull(); err != nil {
		t.Fatalf("phys CheckFull: %v", err)
	}
	if err := m.Slab.CheckFull(); err != nil {
		t.Fatalf("slab CheckFull: %v", err)
	}
}

func isBug(err error) bool {
	var e *bug.Error
	return errors.As(err, &e)
}

// wantBug fails unless err is a *bug.Error whose message holds every one
// of the fragments.
func wantBug(t testing.TB, err error, what string, fragments ...string) {
	t.Helper()
	if !isBug(err) {
		t.Errorf("%s: error %v (%T), want a *bug.Error", what, err, err)
		return
	}
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("%s: error %q does not contain %q", what, err, f)
		}
	}
}

// kmalloc allocates and fails the test unless it succeeds.
func kmalloc(t testing.TB, a *slab.Allocator, size int, gfp phys.GFP) arch.VirtAddr {
	t.Helper()
	p, ok, err := a.Kmalloc(size, gfp, "test")
	if err != nil || !ok {
		t.Fatalf("kmalloc(%d, %s) = %#x, %v, %v; want an object", size, gfp, uint64(p), ok, err)
	}
	return p
}

func kfree(t testing.TB, a *slab.Allocator, p arch.VirtAddr) {
	t.Helper()
	if err := a.Kfree(p, "test"); err != nil {
		t.Fatalf("kfree(%#x): %v", uint64(p), err)
	}
}

// alloc allocates from a cache and fails the test unless it succeeds.
func alloc(t testing.TB, c *slab.Cache, gfp phys.GFP) arch.VirtAddr {
	t.Helper()
	p, ok, err := c.Alloc(gfp, "kmem_cache_alloc")
	if err != nil || !ok {
		t.Fatalf("kmem_cache_alloc(%s, %s) = %#x, %v, %v; want an object", c.Name, gfp, uint64(p), ok, err)
	}
	return p
}

func free(t testing.TB, c *slab.Cache, p arch.VirtAddr) {
	t.Helper()
	if err := c.Free(p, "kmem_cache_free"); err != nil {
		t.Fatalf("kmem_cache_free(%s, %#x): %v", c.Name, uint64(p), err)
	}
}

func create(t testing.TB, a *slab.Allocator, name string, size, align int, flags slab.Flags, ctor func(arch.VirtAddr)) *slab.Cache {
	t.Helper()
	c, err := a.Create(name, size, align, flags, ctor)
	if err != nil {
		t.Fatalf("kmem_cache_create(%s, %d, %d, %#x): %v", name, size, align, uint32(flags), err)
	}
	return c
}

// lookup finds the object at an address and fails the test if there is
// none.
func lookup(t testing.TB, a *slab.Allocator, p arch.VirtAddr) slab.Object {
	t.Helper()
	o, ok := a.Lookup(p)
	if !ok {
		t.Fatalf("Lookup(%#x) found nothing", uint64(p))
	}
	return o
}

// slabOf is the slab an object is in.
func slabOf(t testing.TB, a *slab.Allocator, p arch.VirtAddr) *slab.Slab {
	t.Helper()
	o := lookup(t, a, p)
	if o.Slab == nil {
		t.Fatalf("%#x is not a slab object", uint64(p))
	}
	return o.Slab
}

// where says which list a slab is on and for the per-CPU lists of which CPU.
type where struct {
	List slab.List
	CPU  int
}

func whereOf(s *slab.Slab) where {
	l, cpu := s.Where()
	if l != slab.ListCPU && l != slab.ListCPUPartial {
		cpu = 0
	}
	return where{l, cpu}
}

func contains(s *slab.Cache, list []*slab.Cache) bool {
	for _, c := range list {
		if c == s {
			return true
		}
	}
	return false
}
