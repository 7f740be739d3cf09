package phys_test

import (
	"math"
	"math/bits"
	"testing"

	"github.com/google/go-cmp/cmp"

	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/phys"
)

// wmarks is a zone's min, low and high watermarks in pages.
type wmarks struct{ Min, Low, High uint64 }

// expected is what init_per_zone_wmark_min() must compute for a node.
type expected struct {
	MinFreeKbytes uint64
	Marks         []wmarks
	Reserve       [][]uint64
}

// sqrtFloor is the integer square root, by floating point and a
// correction: independent of the model's Newton iteration.
func sqrtFloor(x uint64) uint64 {
	r := uint64(math.Sqrt(float64(x)))
	for r > 0 && !squareAtMost(r, x) {
		r--
	}
	for squareAtMost(r+1, x) {
		r++
	}
	return r
}

// squareAtMost reports whether r*r <= x, without overflow.
func squareAtMost(r, x uint64) bool {
	hi, lo := bits.Mul64(r, r)
	return hi == 0 && lo <= x
}

// computeWatermarks follows the facts file, section 1 "Watermarks" and
// section 2 "lowmem_reserve", from nothing but zone types and managed
// pages:
//
//	min_free_kbytes = clamp(int_sqrt(lowmem_kbytes * 16), 128, 262144)
//	pages_min = min_free_kbytes / 4
//	share     = pages_min * managed / managed(non-highmem, non-movable zones)
//	min       = share, or clamp(managed/1024, 32, 128) for HighMem and Movable
//	delta     = max(share/4, managed * 10 / 10000)
//	low = min + delta, high = low + delta
//	lowmem_reserve[i][j] = managed(i+1..j) / ratio[i], ratio DMA 256, DMA32 256, Normal 32
func computeWatermarks(types []arch.ZoneType, managed []uint64) expected {
	var lowmemKB, lowmem uint64
	for i, t := range types {
		if t == arch.ZoneDMA || t == arch.ZoneDMA32 || t == arch.ZoneNormal {
			lowmemKB += managed[i] * 4
		}
		if t != arch.ZoneHighMem && t != arch.ZoneMovable {
			lowmem += managed[i]
		}
	}
	e := expected{MinFreeKbytes: min(max(sqrtFloor(lowmemKB*16), 128), 262144)}
	pagesMin := e.MinFreeKbytes / 4
	for i, t := range types {
		share := uint64(0)
		if lowmem > 0 {
			share = pagesMin * managed[i] / lowmem
		}
		w := wmarks{Min: share}
		if t == arch.ZoneHighMem || t == arch.ZoneMovable {
			w.Min = min(max(managed[i]/1024, 32), 128)
		}
		delta := max(share/4, managed[i]*10/10000)
		w.Low = w.Min + delta
		w.High = w.Low + delta
		e.Marks = append(e.Marks, w)
	}
	ratio := map[arch.ZoneType]uint64{arch.ZoneDMA: 256, arch.ZoneDMA32: 256, arch.ZoneNormal: 32}
	for i, t := range types {
		row := make([]uint64, len(types))
		var upper uint64
		for j := i + 1; j < len(types); j++ {
			upper += managed[j]
			if ratio[t] != 0 && managed[i] != 0 {
				row[j] = upper / ratio[t]
			}
		}
		e.Reserve = append(e.Reserve, row)
	}
	return e
}

func gotWatermarks(m *phys.Mem) expected {
	e := expected{MinFreeKbytes: m.MinFreeKbytes}
	for _, z := range m.Zones {
		e.Marks = append(e.Marks, wmarks{z.Min(), z.Low(), z.High()})
		e.Reserve = append(e.Reserve, z.LowmemReserve)
	}
	return e
}

// TestWatermarksExact pins the numbers worked out by hand.
func TestWatermarksExact(t *testing.T) {
	tests := []struct {
		name         string
		p            arch.Params
		want         expected
		totalReserve uint64
	}{
		{
			// lowmem 3328+225280 = 228608 pages = 914432 kB; sqrt(14630912) = 3825.
			// pages_min 956: DMA 956*3328/228608 = 13, delta max(3, 3);
			// Normal 942, delta max(235, 225); HighMem min clamp(32) with
			// delta from its share 956*32768/228608 = 137: max(34, 32).
			// Movable (empty) min 32, delta 0.
			// DMA protection 225280/256, 258048/256; Normal 32768/32.
			name: "x86 mem=1G", p: x86(1 * gib),
			want: expected{3825,
				[]wmarks{{13, 16, 19}, {942, 1177, 1412}, {32, 66, 100}, {32, 32, 32}},
				[][]uint64{{0, 880, 1008, 1008}, {0, 0, 1024, 1024}, {0, 0, 0, 0}, {0, 0, 0, 0}}},
			// DMA 1008+19, Normal 1024+1412, HighMem 100; Movable capped at 0.
			totalReserve: 1027 + 2436 + 100,
		},
		{
			name: "x86 mem=1G highmem=off", p: with(x86(1*gib), func(p *arch.Params) { p.Highmem = false }),
			want: expected{3825,
				[]wmarks{{13, 16, 19}, {942, 1177, 1412}, {32, 32, 32}},
				[][]uint64{{0, 880, 880}, {0, 0, 0}, {0, 0, 0}}},
			totalReserve: 899 + 1412,
		},
		{
			// HighMem 1867776 pages: min clamp(1824) = 128; share
			// 956*1867776/228608 = 7810, delta max(1952, 1867).
			name: "x86 mem=8G paging=pae", p: with(x86(8*gib), func(p *arch.Params) { p.Paging = "pae" }),
			want: expected{3825,
				[]wmarks{{13, 16, 19}, {942, 1177, 1412}, {128, 2080, 4032}, {32, 32, 32}},
				[][]uint64{{0, 880, 8176, 8176}, {0, 0, 58368, 58368}, {0, 0, 0, 0}, {0, 0, 0, 0}}},
			totalReserve: 3328 + 59780 + 4032,
		},
		{
			// lowmem 2096384 pages = 8385536 kB; sqrt(134168576) = 11583;
			// pages_min 2895: DMA 4, delta max(1, 3); DMA32 1442, delta
			// max(360, 1044); Normal 1448, delta max(362, 1048).
			name: "x86_64 mem=8G", p: x86_64(8 * gib),
			want: expected{11583,
				[]wmarks{{4, 7, 10}, {1442, 2486, 3530}, {1448, 2496, 3544}, {32, 32, 32}, {0, 0, 0}},
				[][]uint64{{0, 4080, 8176, 8176, 8176}, {0, 0, 4096, 4096, 4096}, {0, 0, 0, 0, 0}, {0, 0, 0, 0, 0}, {0, 0, 0, 0, 0}}},
			// DMA 8176+10 capped at 3328; DMA32 4096+3530; Normal 3544.
			totalReserve: 3328 + 7626 + 3544,
		},
		{
			// lowmem 15616 pages: sqrt(999424) = 999, pages_min 249.
			name: "x86 mem=64M", p: x86(64 * mib),
			want: expected{999,
				[]wmarks{{53, 66, 79}, {195, 243, 291}, {32, 32, 32}, {32, 32, 32}},
				[][]uint64{{0, 48, 48, 48}, {0, 0, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 0}}},
			totalReserve: 127 + 291,
		},
		{
			// 256 managed pages = 1024 kB: sqrt(16384) = 128 exactly.
			name: "x86 mem=4M", p: x86(4 * mib),
			want: expected{128,
				[]wmarks{{32, 40, 48}, {0, 0, 0}, {32, 32, 32}, {32, 32, 32}},
				[][]uint64{{0, 0, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 0}}},
			totalReserve: 48,
		},
		{
			// 255 managed pages: sqrt(16320) = 127, clamped up to 128.
			name: "x86 mem=4M kernel=2M+4K", p: withKernel(x86(4*mib), 2*mib+4*kib),
			want: expected{128,
				[]wmarks{{32, 40, 48}, {0, 0, 0}, {32, 32, 32}, {32, 32, 32}},
				[][]uint64{{0, 0, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 0}}},
			totalReserve: 48,
		},
		{
			// lowmem 24835 pages: sqrt(1589440) = 1260, pages_min 315.
			name: "x86 mem=100M+12K", p: x86(100*mib + 12*kib),
			want: expected{1260,
				[]wmarks{{42, 52, 62}, {272, 340, 408}, {32, 32, 32}, {32, 32, 32}},
				[][]uint64{{0, 84, 84, 84}, {0, 0, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 0}}},
			totalReserve: 146 + 408,
		},
		{
			// DMA manages nothing: no watermarks, no protection.
			// lowmem 224000 pages: sqrt(14336000) = 3786, pages_min 946.
			name: "x86 mem=1G kernel=20M", p: withKernel(x86(1*gib), 20*mib),
			want: expected{3786,
				[]wmarks{{0, 0, 0}, {946, 1182, 1418}, {32, 66, 100}, {32, 32, 32}},
				[][]uint64{{0, 0, 0, 0}, {0, 0, 1024, 1024}, {0, 0, 0, 0}, {0, 0, 0, 0}}},
			totalReserve: 2442 + 100,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := boot(t, tt.p)
			if diff := cmp.Diff(tt.want, gotWatermarks(m)); diff != "" {
				t.Errorf("watermarks mismatch (-want +got):\n%s", diff)
			}
			if got := m.TotalReserve(); got != tt.totalReserve {
				t.Errorf("TotalReserve() = %d, want %d", got, tt.totalReserve)
			}
			for _, z := range m.Zones {
				if z.Watermark[phys.WmarkPromo] != 2*z.High()-z.Low() {
					t.Errorf("%s promo %d, want high + delta = %d", z.Name, z.Watermark[phys.WmarkPromo], 2*z.High()-z.Low())
				}
			}
		})
	}
}

// TestWatermarksFormula compares every machine of the boot table, and a
// few more, with the formula computed independently.
func TestWatermarksFormula(t *testing.T) {
	type machine struct {
		name string
		p    arch.Params
	}
	cases := []machine{
		{"x86_64 mem=1T", x86_64(1 * tib)},
		// arch.New does not cap memory (Config does, at 1T): 5T reaches
		// the 262144 kB ceiling of min_free_kbytes.
		{"x86_64 mem=5T", x86_64(5 * tib)},
		{"x86_64 mem=2G", x86_64(2 * gib)},
		{"x86_64 mem=6G+4K", x86_64(6*gib + 4*kib)},
		{"x86 mem=4G paging=pae", with(x86(4*gib), func(p *arch.Params) { p.Paging = "pae" })},
		{"x86 mem=64G paging=pae", with(x86(64*gib), func(p *arch.Params) { p.Paging = "pae" })},
		{"x86 mem=900M", x86(900 * mib)},
		{"x86 mem=3M+4K", x86(3*mib + 4*kib)},
	}
	for _, tc := range bootCases {
		cases = append(cases, machine{tc.name, tc.p})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := boot(t, tc.p)
			var types []arch.ZoneType
			var managed []uint64
			for _, z := range m.Zones {
				types = append(types, z.Type)
				managed = append(managed, z.Managed)
			}
			want := computeWatermarks(types, managed)
			if diff := cmp.Diff(want, gotWatermarks(m)); diff != "" {
				t.Errorf("watermarks mismatch (-formula +model):\n%s", diff)
			}
		})
	}
	if m := boot(t, x86_64(5*tib)); m.MinFreeKbytes != 262144 {
		t.Errorf("x86_64 mem=5T: min_free_kbytes %d, want the ceiling 262144", m.MinFreeKbytes)
	}
	if m := boot(t, x86_64(1*tib)); m.MinFreeKbytes != 131071 {
		// lowmem 268434688 pages = 1073738752 kB; 131072^2 > 17179820032.
		t.Errorf("x86_64 mem=1T: min_free_kbytes %d, want 131071", m.MinFreeKbytes)
	}
}

func TestIntSqrt(t *testing.T) {
	values := []uint64{0, 1, 2, 3, 4, 5, 8, 9, 10, 15, 16, 17, 24, 25, 26, 99, 100, 101,
		16320, 16383, 16384, 16385, 14630912, 134168576,
		1<<32 - 1, 1 << 32, 1<<32 + 1, 1<<52 - 1, 1 << 52, 1<<53 + 1,
		1<<62 - 1, 1 << 62, 1<<63 - 1, 1 << 63, math.MaxUint64 - 1, math.MaxUint64}
	// Perfect squares and their neighbours, small and large.
	for _, r := range []uint64{2, 3, 7, 255, 256, 4095, 65535, 65536, 1 << 20, 3037000499, 1<<32 - 1} {
		s := r * r
		values = append(values, s-1, s, s+1)
	}
	// A deterministic spread over the whole range.
	x := uint64(0x9E3779B97F4A7C15)
	for i := 0; i < 2000; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		values = append(values, x>>(i%64))
	}
	for _, v := range values {
		got := phys.IntSqrt(v)
		want := sqrtFloor(v)
		if got != want {
			t.Errorf("intSqrt(%d) = %d, want %d", v, got, want)
			continue
		}
		// The definition, checked without floating point.
		if !squareAtMost(got, v) || squareAtMost(got+1, v) {
			t.Errorf("intSqrt(%d) = %d is not the floor of the square root", v, got)
		}
		if v < 1<<52 && got != uint64(math.Sqrt(float64(v))) {
			t.Errorf("intSqrt(%d) = %d, math.Sqrt gives %v", v, got, math.Sqrt(float64(v)))
		}
	}
}
