package phys_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/bug"
	"mmsim/kernelmodel/phys"
)

const (
	kib = uint64(1) << 10
	mib = uint64(1) << 20
	gib = uint64(1) << 30
	tib = uint64(1) << 40
)

// x86 is a 32-bit machine line: 2-level paging, 3G/1G split, highmem on.
func x86(mem uint64) arch.Params {
	return arch.Params{Arch: "x86", Paging: "2level", Split: "3G", Highmem: true, Mem: mem}
}

// x86_64 is a 64-bit machine line with 4-level paging.
func x86_64(mem uint64) arch.Params {
	return arch.Params{Arch: "x86_64", Paging: "4level", Mem: mem}
}

func with(p arch.Params, f func(*arch.Params)) arch.Params {
	f(&p)
	return p
}

func withKernel(p arch.Params, kernel uint64) arch.Params {
	return with(p, func(p *arch.Params) { p.Kernel = kernel })
}

func boot(t testing.TB, p arch.Params) *phys.Mem {
	t.Helper()
	l, err := arch.New(p)
	if err != nil {
		t.Fatalf("arch.New(%+v): %v", p, err)
	}
	m, err := phys.Boot(l)
	if err != nil {
		t.Fatalf("Boot(%+v): %v", p, err)
	}
	return m
}

// recorder collects what the allocator reports through its hooks.
type recorder struct {
	warns   []string
	kswapd  []string // "order/zone" of each wakeup
	reclaim int
	oom     int
}

// record installs hooks that record warnings and kswapd wakeups; direct
// reclaim frees nothing and the OOM killer finds nothing to kill unless a
// test replaces those hooks.
func record(m *phys.Mem) *recorder {
	r := &recorder{}
	m.Hooks.Comm = func() string { return "testtask" }
	m.Hooks.Warn = func(msg string) { r.warns = append(r.warns, msg) }
	m.Hooks.WakeKswapd = func(order int, z *phys.Zone) { r.kswapd = append(r.kswapd, fmt.Sprintf("%d/%s", order, z.Name)) }
	m.Hooks.DirectReclaim = func(phys.GFP, int) uint64 { r.reclaim++; return 0 }
	m.Hooks.OOM = func(phys.GFP, int) (bool, error) { r.oom++; return false, nil }
	return r
}

func (r *recorder) take() []string {
	w := r.warns
	r.warns = nil
	return w
}

func zone(t testing.TB, m *phys.Mem, name string) *phys.Zone {
	t.Helper()
	z, err := m.ZoneByName(name)
	if err != nil {
		t.Fatal(err)
	}
	return z
}

// nrFree is a zone's buddyinfo line: nr_free for orders 0..10.
func nrFree(z *phys.Zone) [phys.NROrders]uint64 {
	var out [phys.NROrders]uint64
	for o := range out {
		out[o] = z.NrFree(o)
	}
	return out
}

// buddyinfo builds an expected buddyinfo line from order:count pairs.
func buddyinfo(pairs ...uint64) [phys.NROrders]uint64 {
	var out [phys.NROrders]uint64
	for i := 0; i+1 < len(pairs); i += 2 {
		out[pairs[i]] = pairs[i+1]
	}
	return out
}

// listed is one call of FreeBlocks: a block, or a run of n blocks.
type listed struct {
	PFN phys.PFN
	N   uint64
}

func freeList(m *phys.Mem, z *phys.Zone, order int) []listed {
	var out []listed
	m.FreeBlocks(z, order, func(pfn phys.PFN, n uint64) { out = append(out, listed{pfn, n}) })
	return out
}

// zoneState is everything observable about a zone's allocator.
type zoneState struct {
	Name                      string
	NrFree                    [phys.NROrders]uint64
	Lists                     [phys.NROrders][]listed
	Free, Allocated, PgAlloc  uint64
	Present, Managed, Spanned uint64
	StartPFN, EndPFN          phys.PFN
	Watermark                 [3]uint64
	LowmemReserve             []uint64
}

type memState struct {
	Zones       []zoneState
	Stats       phys.Stats
	NrFreePages uint64
	Sections    int
	Uses        []phys.Use
}

// snapshot records the allocator's observable state, to show that an
// operation that failed changed nothing.
func snapshot(m *phys.Mem) memState {
	s := memState{Stats: m.Stats, NrFreePages: m.NrFreePages(), Sections: m.Sections(), Uses: m.Uses()}
	for _, z := range m.Zones {
		zs := zoneState{
			Name: z.Name, NrFree: nrFree(z), Free: z.Free(), Allocated: z.Allocated(), PgAlloc: z.PgAlloc,
			Present: z.Present, Managed: z.Managed, Spanned: z.Spanned(), StartPFN: z.StartPFN, EndPFN: z.EndPFN,
			Watermark:     [3]uint64{z.Min(), z.Low(), z.High()},
			LowmemReserve: append([]uint64(nil), z.LowmemReserve...),
		}
		for o := 0; o < phys.NROrders; o++ {
			zs.Lists[o] = freeList(m, z, o)
		}
		s.Zones = append(s.Zones, zs)
	}
	return s
}

func equalState(a, b memState) bool { return cmp.Equal(a, b) }

// diffState is the difference between two snapshots, "" for none.
func diffState(before, after memState) string { return cmp.Diff(before, after) }

func mustCheck(t testing.TB, m *phys.Mem) {
	t.Helper()
	if err := m.Check(); err != nil {
		t.Fatalf("Check: %v", err)
	}
}

func mustCheckFull(t testing.TB, m *phys.Mem) {
	t.Helper()
	if err := m.CheckFull(); err != nil {
		t.Fatalf("CheckFull: %v", err)
	}
}

// alloc allocates and fails the test unless the allocation succeeds.
func alloc(t testing.TB, m *phys.Mem, gfp phys.GFP, order int) phys.PFN {
	t.Helper()
	pfn, ok, err := m.AllocPages(phys.Request{GFP: gfp, Order: order})
	if err != nil || !ok {
		t.Fatalf("AllocPages(%s, order %d) = %#x, %v, %v; want a block", gfp, order, uint64(pfn), ok, err)
	}
	return pfn
}

// allocIn allocates and fails the test unless the block comes from the
// named zone.
func allocIn(t testing.TB, m *phys.Mem, gfp phys.GFP, order int, zoneName string) phys.PFN {
	t.Helper()
	pfn := alloc(t, m, gfp, order)
	if z := m.PageZone(pfn); z.Name != zoneName {
		t.Fatalf("AllocPages(%s, order %d) = pfn %#x in zone %s, want zone %s", gfp, order, uint64(pfn), z.Name, zoneName)
	}
	return pfn
}

func free(t testing.TB, m *phys.Mem, pfn phys.PFN, order int) {
	t.Helper()
	if err := m.FreePages(pfn, order); err != nil {
		t.Fatalf("FreePages(%#x, %d): %v", uint64(pfn), order, err)
	}
}

// drain allocates with gfp, every block landing in zone z, until z has
// exactly target free pages: order-10 blocks while that leaves at least
// slack pages above the target, then order 0. It returns the blocks.
func drain(t testing.TB, m *phys.Mem, gfp phys.GFP, z *phys.Zone, target uint64, bulk bool) []phys.Block {
	t.Helper()
	var out []phys.Block
	for z.Free() > target {
		order := 0
		if bulk && z.Free() >= target+2*1024 && z.NrFree(phys.MaxOrder) > 0 {
			order = phys.MaxOrder
		}
		out = append(out, phys.Block{PFN: allocIn(t, m, gfp, order, z.Name), Order: order})
	}
	if z.Free() != target {
		t.Fatalf("zone %s: drained to %d free pages, want %d", z.Name, z.Free(), target)
	}
	return out
}

func isBug(err error) bool {
	var e *bug.Error
	return errors.As(err, &e)
}

func isOOM(err error) bool {
	var e *bug.OOM
	return errors.As(err, &e)
}
