package arch_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"mmsim/kernelmodel/arch"
)

const (
	kib = uint64(1) << 10
	mib = uint64(1) << 20
	gib = uint64(1) << 30
	tib = uint64(1) << 40
)

func x86(mem uint64) arch.Params {
	return arch.Params{Arch: "x86", Paging: "2level", Split: "3G", Highmem: true, Mem: mem}
}

func x86_64(mem uint64) arch.Params {
	return arch.Params{Arch: "x86_64", Paging: "4level", Mem: mem}
}

func e820(usableEnd uint64) []arch.E820Entry {
	return []arch.E820Entry{
		{Start: 0, End: 1 * mib, Type: arch.E820Reserved},
		{Start: 1 * mib, End: usableEnd, Type: arch.E820Usable},
	}
}

var (
	x86Zones        = []arch.ZoneType{arch.ZoneDMA, arch.ZoneNormal, arch.ZoneHighMem, arch.ZoneMovable}
	x86NoHighZones  = []arch.ZoneType{arch.ZoneDMA, arch.ZoneNormal, arch.ZoneMovable}
	x86_64Zones     = []arch.ZoneType{arch.ZoneDMA, arch.ZoneDMA32, arch.ZoneNormal, arch.ZoneMovable, arch.ZoneDevice}
	x86_64Direct    = arch.VirtAddr(0xffff888000000000)
	x86_64Direct5   = arch.VirtAddr(0xff11000000000000)
	x86VmallocEnd   = arch.VirtAddr(0xFF7FE000)
	x86MemMap       = arch.VirtAddr(0xC4000000)
	x86_64MemMap    = arch.VirtAddr(0xffffea0000000000)
	x86_64VmStart   = arch.VirtAddr(0xffffc90000000000)
	x86_64VmEnd     = arch.VirtAddr(0xffffe8ffffffffff)
	x86_64VmStart5  = arch.VirtAddr(0xffa0000000000000)
	x86_64VmEnd5    = arch.VirtAddr(0xffd1ffffffffffff)
	x86_64LowmemMax = uint64(64) << 40
)

// TestNewLayouts checks each layout field against the numbers of
// arch/x86: PAGE_OFFSET by split, MAXMEM = 4G - PAGE_OFFSET - 128M,
// high_memory = __va(max_low_pfn), VMALLOC_START = high_memory + 8M, and
// the x86_64 direct map and vmalloc bases for 4- and 5-level paging.
func TestNewLayouts(t *testing.T) {
	pae := x86(8 * gib)
	pae.Paging = "pae"
	noHigh := x86(1 * gib)
	noHigh.Highmem = false
	noHighSmall := x86(512 * mib)
	noHighSmall.Highmem = false
	split2G := x86(4 * gib)
	split2G.Split = "2G"
	split2GSmall := x86(1 * gib)
	split2GSmall.Split = "2G"
	split1G := x86(4 * gib)
	split1G.Split = "1G"
	fiveLevel := x86_64(8 * gib)
	fiveLevel.Paging = "5level"
	bigKernel := x86(1 * gib)
	bigKernel.Kernel = 20 * mib

	tests := []struct {
		name string
		p    arch.Params
		want arch.Layout
	}{
		{"x86 mem=1G", x86(1 * gib), arch.Layout{
			Arch: "x86", Paging: "2level", E820: e820(1 * gib),
			KernelStart: 1 * mib, KernelEnd: 3 * mib,
			MaxPFN: 262144, MaxLowPFN: 229376, Zones: x86Zones,
			PageOffset: 0xC0000000, HighMemory: 0xF8000000,
			VmallocStart: 0xF8800000, VmallocEnd: x86VmallocEnd,
			MemMap: x86MemMap, StructPageSize: 32, LowmemLimit: 896 * mib,
		}},
		{"x86 mem=1G highmem=off", noHigh, arch.Layout{
			Arch: "x86", Paging: "2level", E820: e820(896 * mib), Ignored: 128 * mib,
			KernelStart: 1 * mib, KernelEnd: 3 * mib,
			MaxPFN: 229376, MaxLowPFN: 229376, Zones: x86NoHighZones,
			PageOffset: 0xC0000000, HighMemory: 0xF8000000,
			VmallocStart: 0xF8800000, VmallocEnd: 0xFFF49000,
			MemMap: x86MemMap, StructPageSize: 32, LowmemLimit: 896 * mib,
		}},
		{"x86 mem=512M highmem=off", noHighSmall, arch.Layout{
			Arch: "x86", Paging: "2level", E820: e820(512 * mib),
			KernelStart: 1 * mib, KernelEnd: 3 * mib,
			MaxPFN: 131072, MaxLowPFN: 131072, Zones: x86NoHighZones,
			PageOffset: 0xC0000000, HighMemory: 0xE0000000,
			VmallocStart: 0xE0800000, VmallocEnd: 0xFFF49000,
			MemMap: x86MemMap, StructPageSize: 32, LowmemLimit: 896 * mib,
		}},
		{"x86 mem=4G split=2G", split2G, arch.Layout{
			Arch: "x86", Paging: "2level", E820: e820(4 * gib),
			KernelStart: 1 * mib, KernelEnd: 3 * mib,
			MaxPFN: 1048576, MaxLowPFN: 491520, Zones: x86Zones,
			PageOffset: 0x80000000, HighMemory: 0xF8000000,
			VmallocStart: 0xF8800000, VmallocEnd: x86VmallocEnd,
			MemMap: x86MemMap, StructPageSize: 32, LowmemLimit: 1920 * mib,
		}},
		{"x86 mem=1G split=2G", split2GSmall, arch.Layout{
			Arch: "x86", Paging: "2level", E820: e820(1 * gib),
			KernelStart: 1 * mib, KernelEnd: 3 * mib,
			MaxPFN: 262144, MaxLowPFN: 262144, Zones: x86Zones,
			PageOffset: 0x80000000, HighMemory: 0xC0000000,
			VmallocStart: 0xC0800000, VmallocEnd: x86VmallocEnd,
			MemMap: x86MemMap, StructPageSize: 32, LowmemLimit: 1920 * mib,
		}},
		{"x86 mem=4G split=1G", split1G, arch.Layout{
			Arch: "x86", Paging: "2level", E820: e820(4 * gib),
			KernelStart: 1 * mib, KernelEnd: 3 * mib,
			MaxPFN: 1048576, MaxLowPFN: 753664, Zones: x86Zones,
			PageOffset: 0x40000000, HighMemory: 0xF8000000,
			VmallocStart: 0xF8800000, VmallocEnd: x86VmallocEnd,
			MemMap: x86MemMap, StructPageSize: 32, LowmemLimit: 2944 * mib,
		}},
		{"x86 mem=8G paging=pae", pae, arch.Layout{
			Arch: "x86", Paging: "pae", E820: e820(8 * gib),
			KernelStart: 1 * mib, KernelEnd: 3 * mib,
			MaxPFN: 2097152, MaxLowPFN: 229376, Zones: x86Zones,
			PageOffset: 0xC0000000, HighMemory: 0xF8000000,
			VmallocStart: 0xF8800000, VmallocEnd: 0xFFBFE000,
			MemMap: x86MemMap, StructPageSize: 32, LowmemLimit: 896 * mib,
		}},
		{"x86 mem=1G kernel=20M", bigKernel, arch.Layout{
			Arch: "x86", Paging: "2level", E820: e820(1 * gib),
			KernelStart: 1 * mib, KernelEnd: 21 * mib,
			MaxPFN: 262144, MaxLowPFN: 229376, Zones: x86Zones,
			PageOffset: 0xC0000000, HighMemory: 0xF8000000,
			VmallocStart: 0xF8800000, VmallocEnd: x86VmallocEnd,
			MemMap: x86MemMap, StructPageSize: 32, LowmemLimit: 896 * mib,
		}},
		{"x86 mem=100M+12K", x86(100*mib + 12*kib), arch.Layout{
			Arch: "x86", Paging: "2level", E820: e820(100*mib + 12*kib),
			KernelStart: 1 * mib, KernelEnd: 3 * mib,
			MaxPFN: 25603, MaxLowPFN: 25603, Zones: x86Zones,
			PageOffset: 0xC0000000, HighMemory: 0xC6403000,
			VmallocStart: 0xC6C03000, VmallocEnd: x86VmallocEnd,
			MemMap: x86MemMap, StructPageSize: 32, LowmemLimit: 896 * mib,
		}},
		{"x86_64 mem=8G", x86_64(8 * gib), arch.Layout{
			Arch: "x86_64", Paging: "4level", E820: e820(8 * gib),
			KernelStart: 1 * mib, KernelEnd: 3 * mib,
			MaxPFN: 2097152, MaxLowPFN: 2097152, Zones: x86_64Zones,
			PageOffset: x86_64Direct, HighMemory: x86_64Direct + 0x200000000,
			VmallocStart: x86_64VmStart, VmallocEnd: x86_64VmEnd,
			MemMap: x86_64MemMap, StructPageSize: 64, LowmemLimit: x86_64LowmemMax,
		}},
		{"x86_64 mem=8G paging=5level", fiveLevel, arch.Layout{
			Arch: "x86_64", Paging: "5level", E820: e820(8 * gib),
			KernelStart: 1 * mib, KernelEnd: 3 * mib,
			MaxPFN: 2097152, MaxLowPFN: 2097152, Zones: x86_64Zones,
			PageOffset: x86_64Direct5, HighMemory: x86_64Direct5 + 0x200000000,
			VmallocStart: x86_64VmStart5, VmallocEnd: x86_64VmEnd5,
			MemMap: x86_64MemMap, StructPageSize: 64, LowmemLimit: x86_64LowmemMax,
		}},
		{"x86_64 mem=1T", x86_64(1 * tib), arch.Layout{
			Arch: "x86_64", Paging: "4level", E820: e820(1 * tib),
			KernelStart: 1 * mib, KernelEnd: 3 * mib,
			MaxPFN: 1 << 28, MaxLowPFN: 1 << 28, Zones: x86_64Zones,
			PageOffset: x86_64Direct, HighMemory: x86_64Direct + 0x10000000000,
			VmallocStart: x86_64VmStart, VmallocEnd: x86_64VmEnd,
			MemMap: x86_64MemMap, StructPageSize: 64, LowmemLimit: x86_64LowmemMax,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := arch.New(tt.p)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			addVirtual(&tt.want, tt.p)
			if diff := cmp.Diff(&tt.want, l); diff != "" {
				t.Errorf("layout mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// addVirtual fills in the kernel's virtual areas above the direct map, by
// hand: on x86 with 2 CPUs or fewer the fixmap is 720 kB below
// 0xFFFFF000 (0xFFF4B000), and pkmap's 1024 slots start at
// (0xFFF4B000 - 1025 pages) & ~(4M-1) = 0xFF800000, or with PAE's 512
// slots and 2 MiB PMDs at (0xFFF4B000 - 513 pages) & ~(2M-1) = 0xFFC00000.
func addVirtual(l *arch.Layout, p arch.Params) {
	switch l.Arch {
	case "x86":
		l.TaskSize, l.FixaddrTop, l.FixaddrStart = l.PageOffset, 0xFFFFF000, 0xFFF4B000
		if p.Highmem {
			l.FixKmapBegin, l.PkmapBase, l.LastPkmap = 16, 0xFF800000, 1024
			if p.Paging == "pae" {
				l.PkmapBase, l.LastPkmap = 0xFFC00000, 512
			}
		}
	case "x86_64":
		l.TaskSize, l.VmemmapEnd = 0x00007ffffffff000, 0xffffeaffffffffff
		if p.Paging == "5level" {
			l.TaskSize, l.MemMap, l.VmemmapEnd = 0x00fffffffffff000, 0xffd4000000000000, 0xffd5ffffffffffff
		}
		l.KernelText, l.ModulesStart, l.ModulesEnd = 0xffffffff80000000, 0xffffffffa0000000, 0xffffffffff000000
		l.FixaddrTop, l.FixaddrStart = 0xffffffffff7ff000, 0xffffffffff7ef000
	}
}

// TestFixmapGrowsWithCPUs checks that the fixmap holds 16 kmap_local slots
// per CPU: 64 CPUs need 16 + 1024 pages, so FIXADDR_START = 0xFFFFF000 -
// 1040 pages = 0xFFBEF000, PKMAP_BASE = (0xFFBEF000 - 1025 pages) &
// ~(4M-1) = 0xFF400000 and VMALLOC_END two pages below it.
func TestFixmapGrowsWithCPUs(t *testing.T) {
	p := x86(1 * gib)
	p.CPUs = 64
	l, err := arch.New(p)
	if err != nil {
		t.Fatal(err)
	}
	if l.FixaddrStart != 0xFFBEF000 || l.PkmapBase != 0xFF400000 || l.VmallocEnd != 0xFF3FE000 {
		t.Errorf("64 CPUs: fixmap start %#x, pkmap %#x, vmalloc end %#x; want 0xffbef000, 0xff400000, 0xff3fe000", l.FixaddrStart, l.PkmapBase, l.VmallocEnd)
	}
	if got := l.FixToVirt(l.FixKmapBegin + 16*64 - 1); got != 0xFFBF0000 {
		t.Errorf("the last kmap slot is at %#x, want 0xffbf0000 (index 1039)", got)
	}
}

// TestVmallocTotal checks the x86_64 vmalloc area against /proc/meminfo's
// VmallocTotal on a 4-level kernel: 34359738367 kB (32 TiB, end inclusive).
func TestVmallocTotal(t *testing.T) {
	l, err := arch.New(x86_64(1 * gib))
	if err != nil {
		t.Fatal(err)
	}
	if got := uint64(l.VmallocEnd-l.VmallocStart) / 1024; got != 34359738367 {
		t.Errorf("VmallocTotal = %d kB, want 34359738367 kB", got)
	}
	l, err = arch.New(x86(1 * gib))
	if err != nil {
		t.Fatal(err)
	}
	// 0xFF7FE000 - 0xF8800000 = 111 MiB + 1016 KiB, the 2.6 boot logs' "111 MB".
	if got := uint64(l.VmallocEnd - l.VmallocStart); got != 0x6FFE000 {
		t.Errorf("x86 vmalloc area = %#x bytes, want %#x", got, 0x6FFE000)
	}
}

func TestNewErrors(t *testing.T) {
	badSplit := x86(1 * gib)
	badSplit.Split = "4G"
	noSplit := x86(1 * gib)
	noSplit.Split = ""
	oddKernel := x86(1 * gib)
	oddKernel.Kernel = 2*mib + 1
	hugeKernel := x86(64 * mib)
	hugeKernel.Kernel = 63 * mib
	tests := []struct {
		name string
		p    arch.Params
		want string // a substring of the error
	}{
		{"unknown arch", arch.Params{Arch: "arm", Mem: 1 * gib}, `unknown architecture "arm"`},
		{"empty arch", arch.Params{Mem: 1 * gib}, `unknown architecture ""`},
		{"split=4G", badSplit, "split=4G"},
		{"split unset", noSplit, "split="},
		{"mem not whole pages", x86(1*gib + 1), "must be whole 4K pages"},
		{"kernel not whole pages", oddKernel, "must be whole 4K pages"},
		{"kernel fills memory exactly", hugeKernel, "does not fit"},
		{"default kernel fills mem=3M", x86(3 * mib), "does not fit"},
		{"mem smaller than the first megabyte", x86(512 * kib), "does not fit"},
		{"x86_64 mem=3M", x86_64(3 * mib), "does not fit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := arch.New(tt.p)
			if err == nil {
				t.Fatalf("New(%+v) = %+v, want an error", tt.p, l)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New error %q does not contain %q", err, tt.want)
			}
		})
	}
	// The smallest machines that do fit: one page above the image.
	for _, p := range []arch.Params{x86(3*mib + 4*kib), x86_64(3*mib + 4*kib)} {
		if _, err := arch.New(p); err != nil {
			t.Errorf("New(%s mem=%d): %v, want a layout with one free page", p.Arch, p.Mem, err)
		}
	}
}

func TestZoneLimit(t *testing.T) {
	all := []arch.ZoneType{arch.ZoneDMA, arch.ZoneDMA32, arch.ZoneNormal, arch.ZoneHighMem, arch.ZoneMovable, arch.ZoneDevice}
	noHigh := x86(2 * gib)
	noHigh.Highmem = false
	tests := []struct {
		name string
		p    arch.Params
		want []uint64 // by zone type, in the order of all
	}{
		// DMA below 16M, DMA32 below 4G (both capped at max_low_pfn),
		// Normal to max_low_pfn, the rest to max_pfn.
		{"x86 mem=1G", x86(1 * gib), []uint64{4096, 229376, 229376, 262144, 262144, 262144}},
		{"x86 mem=8M", x86(8 * mib), []uint64{2048, 2048, 2048, 2048, 2048, 2048}},
		{"x86 mem=2G highmem=off", noHigh, []uint64{4096, 229376, 229376, 229376, 229376, 229376}},
		{"x86_64 mem=1G", x86_64(1 * gib), []uint64{4096, 262144, 262144, 262144, 262144, 262144}},
		{"x86_64 mem=8G", x86_64(8 * gib), []uint64{4096, 1048576, 2097152, 2097152, 2097152, 2097152}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := arch.New(tt.p)
			if err != nil {
				t.Fatal(err)
			}
			for i, z := range all {
				if got := l.ZoneLimit(z); got != tt.want[i] {
					t.Errorf("ZoneLimit(%s) = %d, want %d", z, got, tt.want[i])
				}
			}
		})
	}
}

func TestHasZone(t *testing.T) {
	noHigh := x86(1 * gib)
	noHigh.Highmem = false
	tests := []struct {
		name string
		p    arch.Params
		has  map[arch.ZoneType]bool
	}{
		{"x86", x86(1 * gib), map[arch.ZoneType]bool{arch.ZoneDMA: true, arch.ZoneDMA32: false, arch.ZoneNormal: true, arch.ZoneHighMem: true, arch.ZoneMovable: true, arch.ZoneDevice: false}},
		{"x86 highmem=off", noHigh, map[arch.ZoneType]bool{arch.ZoneDMA: true, arch.ZoneDMA32: false, arch.ZoneNormal: true, arch.ZoneHighMem: false, arch.ZoneMovable: true, arch.ZoneDevice: false}},
		{"x86_64", x86_64(1 * gib), map[arch.ZoneType]bool{arch.ZoneDMA: true, arch.ZoneDMA32: true, arch.ZoneNormal: true, arch.ZoneHighMem: false, arch.ZoneMovable: true, arch.ZoneDevice: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := arch.New(tt.p)
			if err != nil {
				t.Fatal(err)
			}
			for z, want := range tt.has {
				if got := l.HasZone(z); got != want {
					t.Errorf("HasZone(%s) = %v, want %v", z, got, want)
				}
			}
		})
	}
}

func TestDirectMap(t *testing.T) {
	x, err := arch.New(x86(1 * gib))
	if err != nil {
		t.Fatal(err)
	}
	y, err := arch.New(x86_64(8 * gib))
	if err != nil {
		t.Fatal(err)
	}
	lowmem := []struct {
		name string
		l    *arch.Layout
		v    arch.VirtAddr
		want bool
	}{
		{"x86 below PAGE_OFFSET", x, 0xBFFFFFFF, false},
		{"x86 PAGE_OFFSET", x, 0xC0000000, true},
		{"x86 last lowmem byte", x, 0xF7FFFFFF, true},
		{"x86 high_memory", x, 0xF8000000, false},
		{"x86 vmalloc start", x, 0xF8800000, false},
		{"x86_64 direct map start", y, 0xffff888000000000, true},
		{"x86_64 last byte of 8G", y, 0xffff8881ffffffff, true},
		{"x86_64 high_memory", y, 0xffff888200000000, false},
		{"x86_64 user address", y, 0x00007fffffffffff, false},
	}
	for _, tt := range lowmem {
		if got := tt.l.IsLowmem(tt.v); got != tt.want {
			t.Errorf("%s: IsLowmem(%#x) = %v, want %v", tt.name, uint64(tt.v), got, tt.want)
		}
	}
	virt := []struct {
		name string
		l    *arch.Layout
		phys uint64
		want arch.VirtAddr
	}{
		{"x86 pfn 0", x, 0, 0xC0000000},
		{"x86 1M+4K", x, 0x101000, 0xC0101000},
		{"x86 end of lowmem", x, 896*mib - 1, 0xF7FFFFFF},
		{"x86_64 pfn 0", y, 0, 0xffff888000000000},
		{"x86_64 4G", y, 4 * gib, 0xffff888100000000},
	}
	for _, tt := range virt {
		if got := tt.l.Virt(tt.phys); got != tt.want {
			t.Errorf("%s: Virt(%#x) = %#x, want %#x", tt.name, tt.phys, uint64(got), uint64(tt.want))
		}
	}
}

func TestZoneTypeString(t *testing.T) {
	tests := []struct {
		z    arch.ZoneType
		want string
	}{
		{arch.ZoneDMA, "DMA"},
		{arch.ZoneDMA32, "DMA32"},
		{arch.ZoneNormal, "Normal"},
		{arch.ZoneHighMem, "HighMem"},
		{arch.ZoneMovable, "Movable"},
		{arch.ZoneDevice, "Device"},
		{arch.ZoneType(6), "zone(6)"},
		{arch.ZoneType(-1), "zone(-1)"},
	}
	for _, tt := range tests {
		if got := tt.z.String(); got != tt.want {
			t.Errorf("ZoneType(%d).String() = %q, want %q", int(tt.z), got, tt.want)
		}
	}
	// The enum follows include/linux/mmzone.h:enum zone_type.
	if arch.ZoneDMA != 0 || arch.ZoneDMA32 != 1 || arch.ZoneNormal != 2 || arch.ZoneHighMem != 3 || arch.ZoneMovable != 4 || arch.ZoneDevice != 5 {
		t.Error("zone types are out of the kernel's order DMA, DMA32, Normal, HighMem, Movable, Device")
	}
}

func TestConstants(t *testing.T) {
	if arch.PageSize != 4096 || arch.PageShift != 12 {
		t.Errorf("PageSize %d PageShift %d, want 4096 and 12", arch.PageSize, arch.PageShift)
	}
	if arch.KernelStart != 0x100000 {
		t.Errorf("KernelStart = %#x, want CONFIG_PHYSICAL_START 0x100000", arch.KernelStart)
	}
	if arch.DefaultKernelSize != 2*mib {
		t.Errorf("DefaultKernelSize = %d, want 2 MiB", arch.DefaultKernelSize)
	}
}
