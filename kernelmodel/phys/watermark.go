package phys

import "mmsim/kernelmodel/arch"

// Tunables with the kernel's defaults.
const (
	// WatermarkScaleFactor is vm.watermark_scale_factor: the distance
	// between watermarks in ten-thousandths of a zone's managed pages.
	WatermarkScaleFactor = 10
	swapClusterMax       = 32 // SWAP_CLUSTER_MAX
)

// LowmemReserveRatio is vm.lowmem_reserve_ratio by zone type
// (mm/page_alloc.c:sysctl_lowmem_reserve_ratio): DMA 256, DMA32 256,
// Normal 32, HighMem and Movable 0.
var LowmemReserveRatio = map[arch.ZoneType]uint64{
	arch.ZoneDMA: 256, arch.ZoneDMA32: 256, arch.ZoneNormal: 32,
}

// setupWatermarks runs init_per_zone_wmark_min(): min_free_kbytes from
// lowmem, then the per-zone watermarks and lowmem_reserve.
func (m *Mem) setupWatermarks() {
	m.MinFreeKbytes = m.calculateMinFreeKbytes()
	m.setupPerZoneWmarks()
	m.setupLowmemReserve()
}

// calculateMinFreeKbytes models mm/page_alloc.c:calculate_min_free_kbytes():
// int_sqrt(lowmem_kbytes * 16), clamped to [128, 262144]. Lowmem is the
// pages of the zones below highmem (nr_free_buffer_pages(); at boot no
// high watermark is set yet, so it is their managed pages).
func (m *Mem) calculateMinFreeKbytes() uint64 {
	var lowmem uint64
	for _, z := range m.Zones {
		if z.Type <= arch.ZoneNormal {
			lowmem += z.Managed
		}
	}
	kb := intSqrt(lowmem * 4 * 16)
	return min(max(kb, 128), 262144)
}

// intSqrt is the floor of the square root (lib/math/int_sqrt.c).
func intSqrt(x uint64) uint64 {
	if x < 2 {
		return x
	}
	r := uint64(1) << ((bitLen(x) + 1) / 2) // above the root
	for {
		s := (r + x/r) / 2
		if s >= r {
			return r
		}
		r = s
	}
}

func bitLen(x uint64) int {
	n := 0
	for ; x != 0; x >>= 1 {
		n++
	}
	return n
}

// setupPerZoneWmarks models mm/page_alloc.c:__setup_per_zone_wmarks().
// pages_min (min_free_kbytes in pages) is shared among the lowmem zones in
// proportion to their managed pages; a highmem or movable zone gets
// managed/1024 clamped to [32, 128] as its min. The distance between
// watermarks is the larger of a quarter of the zone's share and
// watermark_scale_factor/10000 of its managed pages. (For a highmem
// zone that quarter is of the proportional share, not of its clamped min:
// the kernel computes the share for every zone.)
func (m *Mem) setupPerZoneWmarks() {
	pagesMin := m.MinFreeKbytes >> (pageShift - 10)
	var lowmem uint64
	for _, z := range m.Zones {
		if !z.IsHighMem() && z.Type != arch.ZoneMovable {
			lowmem += z.Managed
		}
	}
	for _, z := range m.Zones {
		share := uint64(0)
		if lowmem > 0 {
			share = pagesMin * z.Managed / lowmem
		}
		if z.IsHighMem() || z.Type == arch.ZoneMovable {
			z.Watermark[WmarkMin] = min(max(z.Managed/1024, swapClusterMax), 128)
		} else {
			z.Watermark[WmarkMin] = share
		}
		delta := max(share>>2, z.Managed*WatermarkScaleFactor/10000)
		z.Watermark[WmarkLow] = z.Watermark[WmarkMin] + delta
		z.Watermark[WmarkHigh] = z.Watermark[WmarkLow] + delta
		z.Watermark[WmarkPromo] = z.Watermark[WmarkHigh] + delta
	}
}

// setupLowmemReserve models mm/page_alloc.c:setup_per_zone_lowmem_reserve():
// zone i keeps, against an allocation that could have used zone j > i,
// the managed pages of zones i+1..j divided by zone i's ratio (none when
// the ratio is 0 or the zone is empty).
func (m *Mem) setupLowmemReserve() {
	for i, z := range m.Zones {
		z.LowmemReserve = make([]uint64, len(m.Zones))
		ratio := LowmemReserveRatio[z.Type]
		var managed uint64
		for j := i + 1; j < len(m.Zones); j++ {
			managed += m.Zones[j].Managed
			if ratio != 0 && z.Managed != 0 {
				z.LowmemReserve[j] = managed / ratio
			}
		}
	}
}

// TotalReserve is totalreserve_pages (calculate_totalreserve_pages()):
// for each zone the largest lowmem_reserve plus the high watermark,
// capped at the zone's managed pages.
func (m *Mem) TotalReserve() uint64 {
	var total uint64
	for _, z := range m.Zones {
		var most uint64
		for _, r := range z.LowmemReserve {
			most = max(most, r)
		}
		most += z.High()
		total += min(most, z.Managed)
	}
	return total
}
