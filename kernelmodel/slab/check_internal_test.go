package slab

import (
	"errors"
	"testing"

	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/bug"
	"mmsim/kernelmodel/phys"
)

// checkFixture is a cache of 256-byte objects (16 a slab, cpu_partial_slabs
// 7) with a slab in every state: slabs[8] and [9] full, [10] CPU 0's
// active slab with 5 objects, [7] on CPU 0's partial list, [0..6] on the
// node's partial list (15 objects each).
type checkFixture struct {
	a     *Allocator
	c     *Cache
	slabs []*Slab
}

func newCheckFixture(t *testing.T) *checkFixture {
	t.Helper()
	l, err := arch.New(arch.Params{Arch: "x86_64", Paging: "4level", Mem: 256 << 20})
	if err != nil {
		t.Fatal(err)
	}
	m, err := phys.Boot(l)
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(m, l, 2, "slub", false)
	if err != nil {
		t.Fatal(err)
	}
	c, err := a.Create("check", 256, 0, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := &checkFixture{a: a, c: c}
	var objs []arch.VirtAddr
	for i := 0; i < 10*16+5; i++ {
		p, ok, err := c.Alloc(phys.GFPKernel, "test")
		if err != nil || !ok {
			t.Fatal(ok, err)
		}
		if i%16 == 0 {
			s, _, _, _ := a.lookup(p)
			f.slabs = append(f.slabs, s)
		}
		objs = append(objs, p)
	}
	for i := 0; i < 8; i++ {
		if err := c.Free(objs[i*16], "test"); err != nil {
			t.Fatal(err)
		}
	}
	want := []List{ListPartial, ListPartial, ListPartial, ListPartial, ListPartial, ListPartial, ListPartial, ListCPUPartial, ListFull, ListFull, ListCPU}
	for i, s := range f.slabs {
		if s.where != want[i] {
			t.Fatalf("slab %d is %s, want %s", i, s.where, want[i])
		}
	}
	if err := a.CheckFull(); err != nil {
		t.Fatalf("CheckFull of a sound state: %v", err)
	}
	if err := a.Check(); err != nil {
		t.Fatalf("Check of a sound state: %v", err)
	}
	return f
}

// TestCheckCorruption corrupts the state one way at a time and checks that
// the full check reports the rule broken, and, for a corrupted slab once it
// is marked changed, the incremental check too.
func TestCheckCorruption(t *testing.T) {
	tests := []struct {
		name string
		rule string
		// corrupt breaks the state and returns the slab it broke, if
		// the incremental check should find it.
		corrupt func(f *checkFixture) *Slab
	}{
		{"freelist duplicate", "slab-objects", func(f *checkFixture) *Slab {
			s := f.slabs[10]
			s.freelist = append(s.freelist, s.freelist[0])
			return s
		}},
		{"allocated object on the freelist", "slab-objects", func(f *checkFixture) *Slab {
			s := f.slabs[10]
			s.freelist = append(s.freelist, 0)
			return s
		}},
		{"object neither free nor allocated", "slab-objects", func(f *checkFixture) *Slab {
			s := f.slabs[7]
			s.freelist = s.freelist[:len(s.freelist)-1]
			return s
		}},
		{"object cleared in a full slab", "slab-objects", func(f *checkFixture) *Slab {
			f.slabs[8].used[3] = false
			return f.slabs[8]
		}},
		{"InUse too high", "slab-objects", func(f *checkFixture) *Slab {
			f.slabs[6].InUse++
			return f.slabs[6]
		}},
		{"InUse too low", "slab-objects", func(f *checkFixture) *Slab {
			f.slabs[10].InUse--
			return f.slabs[10]
		}},
		{"active slab says it is full", "slab-list", func(f *checkFixture) *Slab {
			f.slabs[10].where = ListFull
			return f.slabs[10]
		}},
		{"node slab says it is full", "slab-list", func(f *checkFixture) *Slab {
			f.slabs[6].where = ListFull
			return f.slabs[6]
		}},
		{"full slab says it is on a CPU's partial list", "slab-list", func(f *checkFixture) *Slab {
			f.slabs[8].where = ListCPUPartial
			return f.slabs[8]
		}},
		{"full slab says it is on the node's list", "slab-list", func(f *checkFixture) *Slab {
			f.slabs[9].where = ListPartial
			return f.slabs[9]
		}},
		{"full slab says it is CPU 1's active slab", "slab-list", func(f *checkFixture) *Slab {
			f.slabs[9].where, f.slabs[9].cpu = ListCPU, 1
			return f.slabs[9]
		}},
		{"CPU partial slab says it is CPU 1's", "slab-list", func(f *checkFixture) *Slab {
			f.slabs[7].cpu = 1
			return f.slabs[7]
		}},
		{"full slab on the node's list", "slab-list", func(f *checkFixture) *Slab {
			f.slabs[8].where = ListPartial
			f.c.partial.pushTail(f.slabs[8])
			return nil
		}},
		{"CPU partial slab on the node's list too", "slab-list", func(f *checkFixture) *Slab {
			f.c.partial.pushTail(f.slabs[7])
			return nil
		}},
		{"nr_partial too high", "slab-list", func(f *checkFixture) *Slab {
			f.c.partial.n++
			return nil
		}},
		{"nr_partial too low", "slab-list", func(f *checkFixture) *Slab {
			f.c.partial.n--
			return nil
		}},
		{"PG_slab cleared", "slab-page", func(f *checkFixture) *Slab {
			if err := f.a.Mem.SetPageFlags(f.slabs[6].PFN, 0, phys.PGSlab, phys.OwnerNone, ""); err != nil {
				panic(err)
			}
			return f.slabs[6]
		}},
		{"page owner changed", "slab-page", func(f *checkFixture) *Slab {
			if err := f.a.Mem.SetPageFlags(f.slabs[8].PFN, 0, 0, phys.OwnerPages, "thief"); err != nil {
				panic(err)
			}
			return f.slabs[8]
		}},
		{"frame does not map back", "slab-page", func(f *checkFixture) *Slab {
			f.a.slabOf.set(f.slabs[10].PFN, nil)
			return f.slabs[10]
		}},
		{"frame maps to another slab", "slab-page", func(f *checkFixture) *Slab {
			f.a.slabOf.set(f.slabs[7].PFN, f.slabs[8])
			return f.slabs[7]
		}},
		{"slab count", "slab-cache-totals", func(f *checkFixture) *Slab {
			f.c.nrSlabs++
			return f.slabs[10]
		}},
		{"object count", "slab-cache-totals", func(f *checkFixture) *Slab {
			f.c.nrObjs--
			return nil
		}},
		{"in-use count", "slab-cache-totals", func(f *checkFixture) *Slab {
			f.c.inuse++
			return nil
		}},
		{"slab missing from the cache", "slab-cache-totals", func(f *checkFixture) *Slab {
			delete(f.c.slabs, f.slabs[9])
			return nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newCheckFixture(t)
			s := tt.corrupt(f)
			wantRule(t, "CheckFull", f.a.CheckFull(), tt.rule)
			if s == nil {
				return
			}
			f = newCheckFixture(t)
			s = tt.corrupt(f)
			f.a.touch(s)
			wantRule(t, "Check", f.a.Check(), tt.rule)
		})
	}
}

func wantRule(t *testing.T, what string, err error, rule string) {
	t.Helper()
	var inv *bug.Invariant
	if !errors.As(err, &inv) {
		t.Errorf("%s = %v, want a violation of %s", what, err, rule)
		return
	}
	if inv.Rule != rule {
		t.Errorf("%s reports %s (%s), want %s", what, inv.Rule, inv.Detail, rule)
	}
}

// TestCheckIncrementalCost checks that the incremental check goes through
// the changed slabs only: a corruption of a slab nothing touched is left
// for the next full check.
func TestCheckIncrementalCost(t *testing.T) {
	f := newCheckFixture(t)
	f.slabs[0].InUse++ // untouched since the last check
	p, ok, err := f.c.Alloc(phys.GFPKernel, "test")
	if err != nil || !ok {
		t.Fatal(err)
	}
	if err := f.a.Check(); err != nil {
		t.Errorf("Check after an allocation from a sound slab: %v", err)
	}
	if s, _, _, _ := f.a.lookup(p); s != f.slabs[10] {
		t.Fatalf("the allocation came from another slab")
	}
	wantRule(t, "CheckFull", f.a.CheckFull(), "slab-objects")
}
