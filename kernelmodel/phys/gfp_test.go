package phys_test

import (
	"fmt"
	"strings"
	"testing"

	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/phys"
)

// TestGFPValues pins each flag to its Linux 6.1 bit and each composite
// mask to its value (facts file, section 2).
func TestGFPValues(t *testing.T) {
	tests := []struct {
		name string
		got  phys.GFP
		want uint32
	}{
		{"__GFP_DMA", phys.GfpDMA, 0x01},
		{"__GFP_HIGHMEM", phys.GfpHighmem, 0x02},
		{"__GFP_DMA32", phys.GfpDMA32, 0x04},
		{"__GFP_MOVABLE", phys.GfpMovable, 0x08},
		{"__GFP_RECLAIMABLE", phys.GfpReclaimable, 0x10},
		{"__GFP_HIGH", phys.GfpHigh, 0x20},
		{"__GFP_IO", phys.GfpIO, 0x40},
		{"__GFP_FS", phys.GfpFS, 0x80},
		{"__GFP_ZERO", phys.GfpZero, 0x100},
		{"__GFP_DIRECT_RECLAIM", phys.GfpDirectReclaim, 0x400},
		{"__GFP_KSWAPD_RECLAIM", phys.GfpKswapdReclaim, 0x800},
		{"__GFP_WRITE", phys.GfpWrite, 0x1000},
		{"__GFP_NOWARN", phys.GfpNoWarn, 0x2000},
		{"__GFP_RETRY_MAYFAIL", phys.GfpRetryMayfail, 0x4000},
		{"__GFP_NOFAIL", phys.GfpNoFail, 0x8000},
		{"__GFP_NORETRY", phys.GfpNoRetry, 0x10000},
		{"__GFP_MEMALLOC", phys.GfpMemalloc, 0x20000},
		{"__GFP_COMP", phys.GfpComp, 0x40000},
		{"__GFP_NOMEMALLOC", phys.GfpNoMemalloc, 0x80000},
		{"__GFP_HARDWALL", phys.GfpHardwall, 0x100000},
		{"__GFP_THISNODE", phys.GfpThisNode, 0x200000},
		{"__GFP_ACCOUNT", phys.GfpAccount, 0x400000},
		{"__GFP_RECLAIM", phys.GfpReclaim, 0xc00},
		{"GFP_KERNEL", phys.GFPKernel, 0xcc0},
		{"GFP_KERNEL_ACCOUNT", phys.GFPKernelAccount, 0x400cc0},
		{"GFP_ATOMIC", phys.GFPAtomic, 0x820},
		{"GFP_NOWAIT", phys.GFPNowait, 0x2800},
		{"GFP_NOIO", phys.GFPNoIO, 0xc00},
		{"GFP_NOFS", phys.GFPNoFS, 0xc40},
		{"GFP_USER", phys.GFPUser, 0x100cc0},
		{"GFP_DMA", phys.GFPDMA, 0x01},
		{"GFP_DMA32", phys.GFPDMA32, 0x04},
		{"GFP_HIGHUSER", phys.GFPHighUser, 0x100cc2},
		{"GFP_HIGHUSER_MOVABLE", phys.GFPHighUserMovable, 0x100cca},
		// (GFP_HIGHUSER_MOVABLE|__GFP_COMP|__GFP_NOMEMALLOC|__GFP_NOWARN) & ~__GFP_RECLAIM
		{"GFP_TRANSHUGE_LIGHT", phys.GFPTransHugeLight, 0x1c20ca},
		{"GFP_TRANSHUGE", phys.GFPTransHuge, 0x1c24ca},
	}
	byName := map[string]phys.GFP{}
	for _, c := range phys.Constants() {
		if _, dup := byName[c.Name]; dup {
			t.Errorf("Constants() lists %s twice", c.Name)
		}
		byName[c.Name] = c.Value
	}
	for _, tt := range tests {
		if uint32(tt.got) != tt.want {
			t.Errorf("%s = %#x, want %#x", tt.name, uint32(tt.got), tt.want)
		}
		if v, ok := byName[tt.name]; !ok || uint32(v) != tt.want {
			t.Errorf("Constants()[%s] = %#x (listed %v), want %#x", tt.name, uint32(v), ok, tt.want)
		}
	}
	if len(byName) != len(tests) {
		t.Errorf("Constants() has %d names, the table %d", len(byName), len(tests))
	}
}

func TestGFPString(t *testing.T) {
	tests := []struct {
		gfp  phys.GFP
		want string
	}{
		{phys.GFPKernel, "GFP_KERNEL"},
		{phys.GFPKernel | phys.GfpZero, "GFP_KERNEL|__GFP_ZERO"},
		{phys.GFPAtomic, "GFP_ATOMIC"},
		{phys.GFPNowait, "GFP_NOWAIT"},
		{phys.GFPNoIO, "GFP_NOIO"},
		{phys.GFPNoFS, "GFP_NOFS"},
		{phys.GFPUser, "GFP_USER"},
		{phys.GFPHighUser, "GFP_HIGHUSER"},
		{phys.GFPHighUserMovable, "GFP_HIGHUSER_MOVABLE"},
		{phys.GFPKernelAccount, "GFP_KERNEL_ACCOUNT"},
		{phys.GFPTransHuge, "GFP_TRANSHUGE"},
		{phys.GFPTransHugeLight, "GFP_TRANSHUGE_LIGHT"},
		// The kernel's table names __GFP_DMA and __GFP_DMA32 GFP_DMA and GFP_DMA32.
		{0x01, "GFP_DMA"},
		{0x04, "GFP_DMA32"},
		{0xcc1, "GFP_KERNEL|GFP_DMA"},
		{0xcc4, "GFP_KERNEL|GFP_DMA32"},
		{0x821, "GFP_ATOMIC|GFP_DMA"},
		{0x02, "__GFP_HIGHMEM"},
		{0x08, "__GFP_MOVABLE"},
		{0x10, "__GFP_RECLAIMABLE"},
		{0x20, "__GFP_HIGH"},
		{0x400, "__GFP_DIRECT_RECLAIM"},
		{0x800, "__GFP_KSWAPD_RECLAIM"},
		{0x1000, "__GFP_WRITE"},
		{0x200000, "__GFP_THISNODE"},
		{0x400000, "__GFP_ACCOUNT"},
		// Composite masks are matched first, in the table's order, and the
		// bits they take are gone for the later names.
		{0x2cc0, "GFP_KERNEL|__GFP_NOWARN"},
		{0x2820, "GFP_ATOMIC|__GFP_NOWARN"},
		{0x2802, "GFP_NOWAIT|__GFP_HIGHMEM"},
		{0x2900, "GFP_NOWAIT|__GFP_ZERO"},
		{0x12cc0, "GFP_KERNEL|__GFP_NOWARN|__GFP_NORETRY"},
		{0x4cc0, "GFP_KERNEL|__GFP_RETRY_MAYFAIL"},
		{0x8cc0, "GFP_KERNEL|__GFP_NOFAIL"},
		{0x20cc0, "GFP_KERNEL|__GFP_MEMALLOC"},
		{0xa0820, "GFP_ATOMIC|__GFP_NOMEMALLOC|__GFP_MEMALLOC"}, // mmflags.h: NOMEMALLOC before MEMALLOC
		{0x140dca, "GFP_HIGHUSER_MOVABLE|__GFP_COMP|__GFP_ZERO"},
		// GFP_KERNEL without direct reclaim: no composite fits.
		{0x8c0, "__GFP_IO|__GFP_FS|__GFP_KSWAPD_RECLAIM"},
		// GFP_NOIO|__GFP_HIGH: GFP_ATOMIC comes first in the table.
		{0xc20, "GFP_ATOMIC|__GFP_DIRECT_RECLAIM"},
		// Bits no flag uses, in hex at the end.
		{0x200, "0x200"},
		{0xcc0 | 0x200, "GFP_KERNEL|0x200"},
		{0x800000, "0x800000"},
		{0xcc0 | 0x1800000, "GFP_KERNEL|0x1800000"},
	}
	for _, tt := range tests {
		if got := tt.gfp.String(); got != tt.want {
			t.Errorf("GFP(%#x).String() = %q, want %q", uint32(tt.gfp), got, tt.want)
		}
		if got, want := tt.gfp.Mode(), fmt.Sprintf("%#x(%s)", uint32(tt.gfp), tt.want); got != want {
			t.Errorf("GFP(%#x).Mode() = %q, want %q", uint32(tt.gfp), got, want)
		}
	}
	if got := phys.GFPKernel.Mode(); got != "0xcc0(GFP_KERNEL)" {
		t.Errorf("GFP_KERNEL.Mode() = %q, want warn_alloc's 0xcc0(GFP_KERNEL)", got)
	}
	// No flags: %pGg prints nothing between the parentheses.
	if got := phys.GFP(0).Mode(); got != "0x0()" {
		t.Errorf("GFP(0).Mode() = %q, want 0x0()", got)
	}
}

// TestGFPCanSleep: an allocation may sleep iff __GFP_DIRECT_RECLAIM.
func TestGFPCanSleep(t *testing.T) {
	tests := []struct {
		gfp  phys.GFP
		want bool
	}{
		{phys.GFPKernel, true}, {phys.GFPNoIO, true}, {phys.GFPNoFS, true}, {phys.GFPUser, true},
		{phys.GFPHighUserMovable, true}, {phys.GFPTransHuge, true}, {phys.GfpDirectReclaim, true},
		{phys.GFPAtomic, false}, {phys.GFPNowait, false}, {phys.GFPDMA, false}, {phys.GFPTransHugeLight, false},
		{phys.GfpKswapdReclaim, false}, {phys.GFPKernel &^ phys.GfpDirectReclaim, false}, {0, false},
	}
	for _, tt := range tests {
		if got := tt.gfp.CanSleep(); got != tt.want {
			t.Errorf("%s CanSleep() = %v, want %v", tt.gfp, got, tt.want)
		}
	}
}

// zoneModifiers names the 16 combinations of the four zone modifiers.
func zoneModifiers(g phys.GFP) string {
	var parts []string
	for _, f := range []struct {
		bit  phys.GFP
		name string
	}{{phys.GfpDMA, "DMA"}, {phys.GfpHighmem, "HIGHMEM"}, {phys.GfpDMA32, "DMA32"}, {phys.GfpMovable, "MOVABLE"}} {
		if g&f.bit != 0 {
			parts = append(parts, f.name)
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "|")
}

// TestGFPZone checks GFP_ZONE_TABLE for all 16 combinations: the raw
// table (ZoneOf) and gfp_zone() on machines with and without DMA32 and
// HighMem, where a zone the kernel lacks reads as Normal.
func TestGFPZone(t *testing.T) {
	const bad = "BAD"
	// By the low four bits: DMA 1, HIGHMEM 2, DMA32 4, MOVABLE 8.
	table := [16]string{
		0x0: "Normal", 0x1: "DMA", 0x2: "HighMem", 0x3: bad,
		0x4: "DMA32", 0x5: bad, 0x6: bad, 0x7: bad,
		0x8: "Normal", 0x9: "DMA", 0xa: "Movable", 0xb: bad,
		0xc: "DMA32", 0xd: bad, 0xe: bad, 0xf: bad,
	}
	onX86 := table
	onX86[0x4], onX86[0xc] = "Normal", "Normal" // no DMA32 on x86
	onX86NoHigh := onX86
	onX86NoHigh[0x2] = "Normal" // no HighMem without CONFIG_HIGHMEM
	onX86_64 := table
	onX86_64[0x2] = "Normal" // no HighMem on x86_64

	for bits := phys.GFP(0); bits < 16; bits++ {
		t.Run(zoneModifiers(bits), func(t *testing.T) {
			zt, ok := bits.ZoneOf()
			if (table[bits] == bad) == ok || (ok && zt.String() != table[bits]) {
				t.Errorf("ZoneOf() = %s, %v; want %s", zt, ok, table[bits])
			}
			// The other bits of a mask do not matter.
			zt2, ok2 := (bits | phys.GFPKernel | phys.GfpZero).ZoneOf()
			if zt2 != zt || ok2 != ok {
				t.Errorf("ZoneOf() with GFP_KERNEL|__GFP_ZERO = %s, %v; without %s, %v", zt2, ok2, zt, ok)
			}
		})
	}
	machines := []struct {
		name string
		p    arch.Params
		want [16]string
	}{
		{"x86", x86(1 * gib), onX86},
		{"x86 highmem=off", with(x86(1*gib), func(p *arch.Params) { p.Highmem = false }), onX86NoHigh},
		{"x86_64", x86_64(8 * gib), onX86_64},
	}
	for _, mc := range machines {
		m := boot(t, mc.p)
		for bits := phys.GFP(0); bits < 16; bits++ {
			t.Run(mc.name+"/"+zoneModifiers(bits), func(t *testing.T) {
				gfp := phys.GFPKernel | bits
				z, err := m.GFPZone(gfp)
				if mc.want[bits] == bad {
					if err == nil || !isBug(err) {
						t.Fatalf("GFPZone(%s) = %v, %v; want a *bug.Error", gfp, z, err)
					}
					if !strings.Contains(err.Error(), "GFP_ZONE_BAD") {
						t.Errorf("GFPZone(%s) error %q does not name GFP_ZONE_BAD", gfp, err)
					}
					// AllocPages reports the same BUG and changes nothing.
					before := snapshot(m)
					pfn, ok, aerr := m.AllocPages(phys.Request{GFP: gfp})
					if ok || !isBug(aerr) {
						t.Errorf("AllocPages(%s) = %#x, %v, %v; want a *bug.Error", gfp, uint64(pfn), ok, aerr)
					}
					if after := snapshot(m); !equalState(before, after) {
						t.Errorf("AllocPages(%s) with a bad zone changed the allocator", gfp)
					}
					return
				}
				if err != nil || z == nil || z.Name != mc.want[bits] {
					t.Fatalf("GFPZone(%s) = %v, %v; want zone %s", gfp, z, err, mc.want[bits])
				}
			})
		}
	}
}

func TestGFPZoneBadMessage(t *testing.T) {
	m := boot(t, x86(1*gib))
	tests := []struct {
		gfp  phys.GFP
		want string
	}{
		{phys.GfpDMA | phys.GfpHighmem, "__GFP_DMA|__GFP_HIGHMEM is no valid zone combination"},
		{phys.GFPKernel | phys.GfpDMA | phys.GfpDMA32, "__GFP_DMA|__GFP_DMA32 is no valid"},
		{phys.GfpDMA32 | phys.GfpHighmem | phys.GfpMovable, "__GFP_HIGHMEM|__GFP_DMA32|__GFP_MOVABLE is no valid"},
	}
	for _, tt := range tests {
		_, err := m.GFPZone(tt.gfp)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "VM_BUG_ON in gfp_zone()") {
			t.Errorf("GFPZone(%s) = %v, want a VM_BUG_ON naming %q", tt.gfp, err, tt.want)
		}
	}
}
