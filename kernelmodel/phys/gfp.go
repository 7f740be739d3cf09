package phys

import (
	"fmt"
	"strings"

	"mmsim/kernelmodel/arch"
)

// GFP is a set of allocation flags (include/linux/gfp_types.h). The bit
// values are Linux 6.1's; the 0x200 bit, ___GFP_ATOMIC there, is unused
// since Linux 6.3, whose composite masks mmsim follows.
type GFP uint32

// The individual flags, __GFP_* in the kernel.
const (
	GfpDMA           GFP = 0x01
	GfpHighmem       GFP = 0x02
	GfpDMA32         GFP = 0x04
	GfpMovable       GFP = 0x08
	GfpReclaimable   GFP = 0x10
	GfpHigh          GFP = 0x20
	GfpIO            GFP = 0x40
	GfpFS            GFP = 0x80
	GfpZero          GFP = 0x100
	GfpDirectReclaim GFP = 0x400
	GfpKswapdReclaim GFP = 0x800
	GfpWrite         GFP = 0x1000
	GfpNoWarn        GFP = 0x2000
	GfpRetryMayfail  GFP = 0x4000
	GfpNoFail        GFP = 0x8000
	GfpNoRetry       GFP = 0x10000
	GfpMemalloc      GFP = 0x20000
	GfpComp          GFP = 0x40000
	GfpNoMemalloc    GFP = 0x80000
	GfpHardwall      GFP = 0x100000
	GfpThisNode      GFP = 0x200000
	GfpAccount       GFP = 0x400000

	GfpReclaim   = GfpDirectReclaim | GfpKswapdReclaim
	gfpZoneMask  = GfpDMA | GfpHighmem | GfpDMA32 | GfpMovable
	gfpAllFlags  = 0x7ffdff
	gfpZoneShift = 4
)

// The composite masks, GFP_* in the kernel (Linux 6.12 compositions).
const (
	GFPAtomic          = GfpHigh | GfpKswapdReclaim
	GFPKernel          = GfpReclaim | GfpIO | GfpFS
	GFPKernelAccount   = GFPKernel | GfpAccount
	GFPNowait          = GfpKswapdReclaim | GfpNoWarn
	GFPNoIO            = GfpReclaim
	GFPNoFS            = GfpReclaim | GfpIO
	GFPUser            = GfpReclaim | GfpIO | GfpFS | GfpHardwall
	GFPDMA             = GfpDMA
	GFPDMA32           = GfpDMA32
	GFPHighUser        = GFPUser | GfpHighmem
	GFPHighUserMovable = GFPHighUser | GfpMovable
	GFPTransHugeLight  = (GFPHighUserMovable | GfpComp | GfpNoMemalloc | GfpNoWarn) &^ GfpReclaim
	GFPTransHuge       = GFPTransHugeLight | GfpDirectReclaim
)

// GFPName is a named flag or mask.
type GFPName struct {
	Name  string
	Value GFP
}

// GFPNames lists the masks and flags in the order the kernel decodes a
// mask for printing (include/trace/events/mmflags.h:__def_gfpflag_names):
// composite masks first, so that 0xcc0 reads GFP_KERNEL.
var GFPNames = []GFPName{
	{"GFP_TRANSHUGE", GFPTransHuge},
	{"GFP_TRANSHUGE_LIGHT", GFPTransHugeLight},
	{"GFP_HIGHUSER_MOVABLE", GFPHighUserMovable},
	{"GFP_HIGHUSER", GFPHighUser},
	{"GFP_USER", GFPUser},
	{"GFP_KERNEL_ACCOUNT", GFPKernelAccount},
	{"GFP_KERNEL", GFPKernel},
	{"GFP_NOFS", GFPNoFS},
	{"GFP_ATOMIC", GFPAtomic},
	{"GFP_NOIO", GFPNoIO},
	{"GFP_NOWAIT", GFPNowait},
	{"GFP_DMA", GFPDMA},
	{"__GFP_HIGHMEM", GfpHighmem},
	{"GFP_DMA32", GFPDMA32},
	{"__GFP_HIGH", GfpHigh},
	{"__GFP_IO", GfpIO},
	{"__GFP_FS", GfpFS},
	{"__GFP_NOWARN", GfpNoWarn},
	{"__GFP_RETRY_MAYFAIL", GfpRetryMayfail},
	{"__GFP_NOFAIL", GfpNoFail},
	{"__GFP_NORETRY", GfpNoRetry},
	{"__GFP_COMP", GfpComp},
	{"__GFP_ZERO", GfpZero},
	{"__GFP_NOMEMALLOC", GfpNoMemalloc},
	{"__GFP_MEMALLOC", GfpMemalloc},
	{"__GFP_HARDWALL", GfpHardwall},
	{"__GFP_THISNODE", GfpThisNode},
	{"__GFP_RECLAIMABLE", GfpReclaimable},
	{"__GFP_MOVABLE", GfpMovable},
	{"__GFP_ACCOUNT", GfpAccount},
	{"__GFP_WRITE", GfpWrite},
	{"__GFP_RECLAIM", GfpReclaim},
	{"__GFP_DIRECT_RECLAIM", GfpDirectReclaim},
	{"__GFP_KSWAPD_RECLAIM", GfpKswapdReclaim},
}

// Constants lists every name a script can use: the masks and each
// single flag under its __GFP_ name, including __GFP_DMA and
// __GFP_DMA32, which the decoding table prints as GFP_DMA and GFP_DMA32.
func Constants() []GFPName {
	out := append([]GFPName(nil), GFPNames...)
	return append(out, GFPName{"__GFP_DMA", GfpDMA}, GFPName{"__GFP_DMA32", GfpDMA32})
}

// String decodes a mask as the kernel's %pGg does: names joined by "|",
// composite masks first, unknown bits last in hex.
func (g GFP) String() string {
	if g == 0 {
		return "0"
	}
	var parts []string
	rest := g
	for _, n := range GFPNames {
		if rest&n.Value == n.Value && rest&n.Value != 0 {
			parts = append(parts, n.Name)
			rest &^= n.Value
		}
	}
	if rest != 0 {
		parts = append(parts, fmt.Sprintf("%#x", uint32(rest)))
	}
	return strings.Join(parts, "|")
}

// Mode is the mask as warn_alloc prints it: mode:0xcc0(GFP_KERNEL), and
// mode:0x0() for no flags at all.
func (g GFP) Mode() string {
	if g == 0 {
		return "0x0()"
	}
	return fmt.Sprintf("%#x(%s)", uint32(g), g)
}

// CanSleep reports whether an allocation may block, which is whether it
// may enter direct reclaim (include/linux/gfp.h:gfpflags_allow_blocking).
func (g GFP) CanSleep() bool { return g&GfpDirectReclaim != 0 }

// Valid reports bits that are no GFP flag.
func (g GFP) unknownBits() GFP { return g &^ gfpAllFlags }

// zoneTable is GFP_ZONE_TABLE (include/linux/gfp.h): for each of the 16
// combinations of the four zone modifiers, the highest zone the
// allocation may use; -1 marks GFP_ZONE_BAD, two of DMA, DMA32 and
// HIGHMEM together.
var zoneTable = [16]arch.ZoneType{
	0:                                  arch.ZoneNormal,
	GfpDMA:                             arch.ZoneDMA,
	GfpHighmem:                         arch.ZoneHighMem,
	GfpDMA32:                           arch.ZoneDMA32,
	GfpMovable:                         arch.ZoneNormal,
	GfpMovable | GfpDMA:                arch.ZoneDMA,
	GfpMovable | GfpHighmem:            arch.ZoneMovable,
	GfpMovable | GfpDMA32:              arch.ZoneDMA32,
	GfpDMA | GfpHighmem:                -1,
	GfpDMA | GfpDMA32:                  -1,
	GfpDMA32 | GfpHighmem:              -1,
	GfpDMA | GfpDMA32 | GfpHighmem:     -1,
	GfpMovable | GfpHighmem | GfpDMA:   -1,
	GfpMovable | GfpDMA32 | GfpDMA:     -1,
	GfpMovable | GfpDMA32 | GfpHighmem: -1,
	gfpZoneMask:                        -1,
}

// ZoneOf returns the kind of the highest zone an allocation with these
// flags may use, before the architecture's zones are considered: the
// first half of include/linux/gfp.h:gfp_zone(). ok is false for the
// combinations GFP_ZONE_BAD names.
func (g GFP) ZoneOf() (t arch.ZoneType, ok bool) {
	t = zoneTable[g&gfpZoneMask]
	return t, t >= 0
}
