package phys_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/phys"
)

// wantZone is a zone as boot must leave it.
type wantZone struct {
	name             string
	start, end       phys.PFN
	present, managed uint64
	buddy            [phys.NROrders]uint64
}

var noBlocks [phys.NROrders]uint64

func empty(name string) wantZone { return wantZone{name: name} }

// bootCases are machines with their zones worked out by hand: the first
// 1 MiB is firmware-reserved (so the node starts at pfn 256), the kernel
// image is kept from 1 MiB, DMA ends at 16 MiB, DMA32 at 4 GiB, Normal at
// max_low_pfn, HighMem at max_pfn; Movable and Device are empty. Free
// frames go to the buddy allocator in the largest aligned blocks, lowest
// address first.
var bootCases = []struct {
	name  string
	p     arch.Params
	zones []wantZone
}{
	{"x86 mem=1G", x86(1 * gib), []wantZone{
		// 768 = 3*256 is aligned to order 8 only; 1024, 2048, 3072 are order-10.
		{"DMA", 256, 4096, 3840, 3328, buddyinfo(8, 1, 10, 3)},
		{"Normal", 4096, 229376, 225280, 225280, buddyinfo(10, 220)},
		{"HighMem", 229376, 262144, 32768, 32768, buddyinfo(10, 32)},
		empty("Movable"),
	}},
	{"x86 mem=1G highmem=off", with(x86(1*gib), func(p *arch.Params) { p.Highmem = false }), []wantZone{
		{"DMA", 256, 4096, 3840, 3328, buddyinfo(8, 1, 10, 3)},
		{"Normal", 4096, 229376, 225280, 225280, buddyinfo(10, 220)},
		empty("Movable"),
	}},
	{"x86 mem=2G split=2G", with(x86(2*gib), func(p *arch.Params) { p.Split = "2G" }), []wantZone{
		{"DMA", 256, 4096, 3840, 3328, buddyinfo(8, 1, 10, 3)},
		{"Normal", 4096, 491520, 487424, 487424, buddyinfo(10, 476)},
		{"HighMem", 491520, 524288, 32768, 32768, buddyinfo(10, 32)},
		empty("Movable"),
	}},
	{"x86 mem=1G split=2G", with(x86(1*gib), func(p *arch.Params) { p.Split = "2G" }), []wantZone{
		{"DMA", 256, 4096, 3840, 3328, buddyinfo(8, 1, 10, 3)},
		{"Normal", 4096, 262144, 258048, 258048, buddyinfo(10, 252)},
		empty("HighMem"),
		empty("Movable"),
	}},
	{"x86 mem=4G split=1G", with(x86(4*gib), func(p *arch.Params) { p.Split = "1G" }), []wantZone{
		{"DMA", 256, 4096, 3840, 3328, buddyinfo(8, 1, 10, 3)},
		{"Normal", 4096, 753664, 749568, 749568, buddyinfo(10, 732)},
		{"HighMem", 753664, 1048576, 294912, 294912, buddyinfo(10, 288)},
		empty("Movable"),
	}},
	{"x86 mem=8G paging=pae", with(x86(8*gib), func(p *arch.Params) { p.Paging = "pae" }), []wantZone{
		{"DMA", 256, 4096, 3840, 3328, buddyinfo(8, 1, 10, 3)},
		{"Normal", 4096, 229376, 225280, 225280, buddyinfo(10, 220)},
		{"HighMem", 229376, 2097152, 1867776, 1867776, buddyinfo(10, 1824)},
		empty("Movable"),
	}},
	{"x86_64 mem=8G", x86_64(8 * gib), []wantZone{
		{"DMA", 256, 4096, 3840, 3328, buddyinfo(8, 1, 10, 3)},
		{"DMA32", 4096, 1048576, 1044480, 1044480, buddyinfo(10, 1020)},
		{"Normal", 1048576, 2097152, 1048576, 1048576, buddyinfo(10, 1024)},
		empty("Movable"),
		empty("Device"),
	}},
	{"x86_64 mem=4G+12K", x86_64(4*gib + 12*kib), []wantZone{
		{"DMA", 256, 4096, 3840, 3328, buddyinfo(8, 1, 10, 3)},
		{"DMA32", 4096, 1048576, 1044480, 1044480, buddyinfo(10, 1020)},
		// Three frames above 4G: an order-1 block and an order-0 block.
		{"Normal", 1048576, 1048579, 3, 3, buddyinfo(0, 1, 1, 1)},
		empty("Movable"),
		empty("Device"),
	}},
	{"x86_64 mem=16M", x86_64(16 * mib), []wantZone{
		{"DMA", 256, 4096, 3840, 3328, buddyinfo(8, 1, 10, 3)},
		empty("DMA32"),
		empty("Normal"),
		empty("Movable"),
		empty("Device"),
	}},
	{"x86 mem=4M", x86(4 * mib), []wantZone{
		// 768 pages present, 512 of them the kernel image: one order-8 block.
		{"DMA", 256, 1024, 768, 256, buddyinfo(8, 1)},
		empty("Normal"),
		empty("HighMem"),
		empty("Movable"),
	}},
	{"x86 mem=5M", x86(5 * mib), []wantZone{
		// 768..1280: order 8 at 768, order 8 at 1024 (order 9 would end at 1536).
		{"DMA", 256, 1280, 1024, 512, buddyinfo(8, 2)},
		empty("Normal"),
		empty("HighMem"),
		empty("Movable"),
	}},
	{"x86 mem=3M+4K", x86(3*mib + 4*kib), []wantZone{
		{"DMA", 256, 769, 513, 1, buddyinfo(0, 1)},
		empty("Normal"),
		empty("HighMem"),
		empty("Movable"),
	}},
	{"x86 mem=100M+12K", x86(100*mib + 12*kib), []wantZone{
		{"DMA", 256, 4096, 3840, 3328, buddyinfo(8, 1, 10, 3)},
		// 4096..25600 is 21 order-10 blocks; then 25600 (order 1), 25602 (order 0).
		{"Normal", 4096, 25603, 21507, 21507, buddyinfo(0, 1, 1, 1, 10, 21)},
		empty("HighMem"),
		empty("Movable"),
	}},
	{"x86 mem=1G kernel=4K", withKernel(x86(1*gib), 4*kib), []wantZone{
		// 257 (o0), 258 (o1), 260 (o2), 264 (o3), 272 (o4), 288 (o5),
		// 320 (o6), 384 (o7), 512 (o9), then 1024, 2048, 3072 (o10).
		{"DMA", 256, 4096, 3840, 3839, buddyinfo(0, 1, 1, 1, 2, 1, 3, 1, 4, 1, 5, 1, 6, 1, 7, 1, 9, 1, 10, 3)},
		{"Normal", 4096, 229376, 225280, 225280, buddyinfo(10, 220)},
		{"HighMem", 229376, 262144, 32768, 32768, buddyinfo(10, 32)},
		empty("Movable"),
	}},
	{"x86 mem=1G kernel=15M", withKernel(x86(1*gib), 15*mib), []wantZone{
		// The image ends exactly at 16M: DMA has nothing to manage.
		{"DMA", 256, 4096, 3840, 0, noBlocks},
		{"Normal", 4096, 229376, 225280, 225280, buddyinfo(10, 220)},
		{"HighMem", 229376, 262144, 32768, 32768, buddyinfo(10, 32)},
		empty("Movable"),
	}},
	{"x86 mem=1G kernel=20M", withKernel(x86(1*gib), 20*mib), []wantZone{
		// The image (pfn 256..5376) crosses the 16M boundary: DMA keeps
		// nothing, Normal loses 1280 frames; free from 5376 (o8), 5632 (o9),
		// then 6144..229376 (218 blocks of order 10).
		{"DMA", 256, 4096, 3840, 0, noBlocks},
		{"Normal", 4096, 229376, 225280, 224000, buddyinfo(8, 1, 9, 1, 10, 218)},
		{"HighMem", 229376, 262144, 32768, 32768, buddyinfo(10, 32)},
		empty("Movable"),
	}},
}

func TestBootZones(t *testing.T) {
	for _, tc := range bootCases {
		t.Run(tc.name, func(t *testing.T) {
			m := boot(t, tc.p)
			if len(m.Zones) != len(tc.zones) {
				t.Fatalf("%d zones, want %d", len(m.Zones), len(tc.zones))
			}
			var total, high uint64
			for i, want := range tc.zones {
				z := m.Zones[i]
				if z.Name != want.name || z.Index != i || z.Type.String() != want.name {
					t.Errorf("zone %d is %s (index %d, type %s), want %s", i, z.Name, z.Index, z.Type, want.name)
				}
				if z.StartPFN != want.start || z.EndPFN != want.end {
					t.Errorf("%s spans pfn %d..%d, want %d..%d", want.name, z.StartPFN, z.EndPFN, want.start, want.end)
				}
				if z.Spanned() != uint64(want.end-want.start) {
					t.Errorf("%s spanned %d, want %d", want.name, z.Spanned(), want.end-want.start)
				}
				if z.Present != want.present || z.Managed != want.managed {
					t.Errorf("%s present %d managed %d, want %d and %d", want.name, z.Present, z.Managed, want.present, want.managed)
				}
				if z.Populated() != (want.managed > 0) {
					t.Errorf("%s populated %v with %d managed pages", want.name, z.Populated(), want.managed)
				}
				if got := nrFree(z); got != want.buddy {
					t.Errorf("%s buddyinfo %v, want %v", want.name, got, want.buddy)
				}
				if z.Free() != want.managed || z.Allocated() != 0 || z.PgAlloc != 0 {
					t.Errorf("%s free %d allocated %d pgalloc %d, want %d free and nothing allocated", want.name, z.Free(), z.Allocated(), z.PgAlloc, want.managed)
				}
				total += want.managed
				if want.name == "HighMem" {
					high += want.managed
				}
			}
			if m.TotalRAM() != total || m.NrFreePages() != total {
				t.Errorf("TotalRAM %d NrFreePages %d, want %d", m.TotalRAM(), m.NrFreePages(), total)
			}
			if m.TotalHigh() != high || m.FreeHigh() != high {
				t.Errorf("TotalHigh %d FreeHigh %d, want %d", m.TotalHigh(), m.FreeHigh(), high)
			}
			if m.MaxPFN() != phys.PFN(m.Layout.MaxPFN) {
				t.Errorf("MaxPFN %d, want the layout's %d", m.MaxPFN(), m.Layout.MaxPFN)
			}
			if m.Stats != (phys.Stats{}) {
				t.Errorf("Stats after boot %+v, want zero", m.Stats)
			}
			mustCheckFull(t, m)
			mustCheck(t, m)
		})
	}
}

func TestBootReserved(t *testing.T) {
	tests := []struct {
		name string
		p    arch.Params
		want []phys.Reserved
	}{
		{"x86 mem=1G", x86(1 * gib), []phys.Reserved{
			{Start: 0, End: 256, Owner: phys.OwnerFirmware, Name: "e820 reserved"},
			{Start: 256, End: 768, Owner: phys.OwnerKernel, Name: "kernel image"},
		}},
		{"x86 mem=1G kernel=20M", withKernel(x86(1*gib), 20*mib), []phys.Reserved{
			{Start: 0, End: 256, Owner: phys.OwnerFirmware, Name: "e820 reserved"},
			{Start: 256, End: 5376, Owner: phys.OwnerKernel, Name: "kernel image"},
		}},
		{"x86_64 mem=8G kernel=4K", withKernel(x86_64(8*gib), 4*kib), []phys.Reserved{
			{Start: 0, End: 256, Owner: phys.OwnerFirmware, Name: "e820 reserved"},
			{Start: 256, End: 257, Owner: phys.OwnerKernel, Name: "kernel image"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := boot(t, tt.p)
			got := m.Reserved()
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Reserved mismatch (-want +got):\n%s", diff)
			}
			got[0].End = 999 // a copy: the allocator's own list must not change
			if m.Reserved()[0].End != 256 {
				t.Error("Reserved returned the allocator's own slice")
			}
		})
	}
}

// TestBootFreeLists checks the list order boot leaves: blocks freed
// lowest address first, each to the tail of its list, the untouched
// order-10 blocks as one run.
func TestBootFreeLists(t *testing.T) {
	std := boot(t, x86(1*gib))
	for _, tt := range []struct {
		zone  string
		order int
		want  []listed
	}{
		{"DMA", 8, []listed{{768, 1}}},
		{"DMA", 9, nil},
		{"DMA", 10, []listed{{1024, 3}}},
		{"Normal", 10, []listed{{4096, 220}}},
		{"HighMem", 10, []listed{{229376, 32}}},
	} {
		if got := freeList(std, zone(t, std, tt.zone), tt.order); !cmp.Equal(got, tt.want) {
			t.Errorf("x86 mem=1G: %s order %d list %v, want %v", tt.zone, tt.order, got, tt.want)
		}
	}

	m := boot(t, withKernel(x86(1*gib), 4*kib))
	dma, normal, high := zone(t, m, "DMA"), zone(t, m, "Normal"), zone(t, m, "HighMem")
	tests := []struct {
		z     *phys.Zone
		order int
		want  []listed
	}{
		{dma, 0, []listed{{257, 1}}},
		{dma, 1, []listed{{258, 1}}},
		{dma, 2, []listed{{260, 1}}},
		{dma, 3, []listed{{264, 1}}},
		{dma, 4, []listed{{272, 1}}},
		{dma, 5, []listed{{288, 1}}},
		{dma, 6, []listed{{320, 1}}},
		{dma, 7, []listed{{384, 1}}},
		{dma, 8, nil},
		{dma, 9, []listed{{512, 1}}},
		{dma, 10, []listed{{1024, 3}}},
		{normal, 0, nil},
		{normal, 10, []listed{{4096, 220}}},
		{high, 10, []listed{{229376, 32}}},
	}
	for _, tt := range tests {
		if got := freeList(m, tt.z, tt.order); !cmp.Equal(got, tt.want) {
			t.Errorf("%s order %d list %v, want %v", tt.z.Name, tt.order, got, tt.want)
		}
	}
}

func TestBootPages(t *testing.T) {
	m := boot(t, x86(1*gib))
	tests := []struct {
		pfn      phys.PFN
		zone     string
		flags    phys.PageFlags
		refcount int
		block    phys.Block
		free     bool
		owner    phys.Owner
		head     bool
	}{
		{0, "DMA", phys.PGReserved, 1, phys.Block{PFN: 0, Order: -1}, false, phys.OwnerFirmware, false},
		{255, "DMA", phys.PGReserved, 1, phys.Block{PFN: 255, Order: -1}, false, phys.OwnerFirmware, false},
		{256, "DMA", phys.PGReserved, 1, phys.Block{PFN: 256, Order: -1}, false, phys.OwnerKernel, false},
		{767, "DMA", phys.PGReserved, 1, phys.Block{PFN: 767, Order: -1}, false, phys.OwnerKernel, false},
		{768, "DMA", phys.PGBuddy, 0, phys.Block{PFN: 768, Order: 8}, true, phys.OwnerNone, true},
		{1000, "DMA", 0, 0, phys.Block{PFN: 768, Order: 8}, true, phys.OwnerNone, false},
		// Run heads in the section boot created for pfn 768.
		{1024, "DMA", phys.PGBuddy, 0, phys.Block{PFN: 1024, Order: 10}, true, phys.OwnerNone, true},
		{3072, "DMA", phys.PGBuddy, 0, phys.Block{PFN: 3072, Order: 10}, true, phys.OwnerNone, true},
		{4095, "DMA", 0, 0, phys.Block{PFN: 3072, Order: 10}, true, phys.OwnerNone, false},
		// Run heads in sections nothing created yet.
		{4096, "Normal", phys.PGBuddy, 0, phys.Block{PFN: 4096, Order: 10}, true, phys.OwnerNone, true},
		{5000, "Normal", 0, 0, phys.Block{PFN: 4096, Order: 10}, true, phys.OwnerNone, false},
		{229375, "Normal", 0, 0, phys.Block{PFN: 228352, Order: 10}, true, phys.OwnerNone, false},
		{229376, "HighMem", phys.PGBuddy, 0, phys.Block{PFN: 229376, Order: 10}, true, phys.OwnerNone, true},
		{262143, "HighMem", 0, 0, phys.Block{PFN: 261120, Order: 10}, true, phys.OwnerNone, false},
	}
	for _, tt := range tests {
		p, err := m.Page(tt.pfn)
		if err != nil {
			t.Errorf("Page(%d): %v", tt.pfn, err)
			continue
		}
		if p.PFN != tt.pfn || p.Zone.Name != tt.zone || p.Flags != tt.flags || p.Refcount != tt.refcount || p.Mapcount != 0 ||
			p.Block != tt.block || p.Free != tt.free || p.Owner != tt.owner || p.Head() != tt.head || p.Tag != "" {
			t.Errorf("Page(%d) = {zone %s flags %s ref %d map %d block %+v free %v owner %s head %v tag %q},\n want {zone %s flags %s ref %d map 0 block %+v free %v owner %s head %v}",
				tt.pfn, p.Zone.Name, p.Flags, p.Refcount, p.Mapcount, p.Block, p.Free, p.Owner, p.Head(), p.Tag,
				tt.zone, tt.flags, tt.refcount, tt.block, tt.free, tt.owner, tt.head)
		}
		if p.HighMem() != (tt.zone == "HighMem") {
			t.Errorf("Page(%d).HighMem() = %v", tt.pfn, p.HighMem())
		}
	}
	if _, err := m.Page(262144); err == nil {
		t.Error("Page(max_pfn) succeeded, want an error (!pfn_valid)")
	}
	// Looking at frames creates no struct-page sections: only the one
	// boot needed for the order-8 block at pfn 768.
	if n := m.Sections(); n != 1 {
		t.Errorf("Sections() = %d after looking at pages, want 1", n)
	}
}

func TestZoneLookup(t *testing.T) {
	m := boot(t, x86(1*gib))
	for _, name := range []string{"DMA", "dma", "Normal", "NORMAL", "highmem", "Movable"} {
		z, err := m.ZoneByName(name)
		if err != nil || !strings.EqualFold(z.Name, name) {
			t.Errorf("ZoneByName(%q) = %v, %v", name, z, err)
		}
	}
	for _, name := range []string{"DMA32", "Device", "", "Norma"} {
		if z, err := m.ZoneByName(name); err == nil {
			t.Errorf("ZoneByName(%q) = %s, want an error", name, z.Name)
		} else if !strings.Contains(err.Error(), "zones: DMA, Normal, HighMem, Movable") {
			t.Errorf("ZoneByName(%q) error %q does not list the zones", name, err)
		}
	}
	types := []struct {
		t    arch.ZoneType
		want string // "" for none
	}{
		{arch.ZoneDMA, "DMA"}, {arch.ZoneDMA32, ""}, {arch.ZoneNormal, "Normal"},
		{arch.ZoneHighMem, "HighMem"}, {arch.ZoneMovable, "Movable"}, {arch.ZoneDevice, ""},
	}
	for _, tt := range types {
		z := m.Zone(tt.t)
		if (z == nil) != (tt.want == "") || (z != nil && z.Name != tt.want) {
			t.Errorf("Zone(%s) = %v, want %q", tt.t, z, tt.want)
		}
	}
	pageZones := []struct {
		pfn  phys.PFN
		want string
	}{
		{0, "DMA"}, {255, "DMA"}, {4095, "DMA"}, {4096, "Normal"},
		{229375, "Normal"}, {229376, "HighMem"}, {262143, "HighMem"},
	}
	for _, tt := range pageZones {
		if got := m.PageZone(tt.pfn).Name; got != tt.want {
			t.Errorf("PageZone(%d) = %s, want %s", tt.pfn, got, tt.want)
		}
	}
}
