// Package arch describes the machine architectures mmsim models: where
// physical memory lies (an e820-like map), which zones the kernel is built
// with and where they end, and the kernel's virtual address layout.
//
// The numbers are x86's and x86_64's, from arch/x86/mm/init.c,
// arch/x86/include/asm/page_32_types.h and page_64_types.h.
package arch

import "fmt"

// VirtAddr is a virtual address.
type VirtAddr uint64

// Page size: 4 KiB on both architectures.
const (
	PageShift = 12
	PageSize  = 1 << PageShift
)

// Sizes used below.
const (
	kib = 1 << 10
	mib = 1 << 20
	gib = 1 << 30
)

// ZoneType is a kind of memory zone (include/linux/mmzone.h:enum zone_type).
type ZoneType int

const (
	ZoneDMA ZoneType = iota
	ZoneDMA32
	ZoneNormal
	ZoneHighMem
	ZoneMovable
	ZoneDevice
)

var zoneNames = [...]string{"DMA", "DMA32", "Normal", "HighMem", "Movable", "Device"}

func (t ZoneType) String() string {
	if t < 0 || int(t) >= len(zoneNames) {
		return fmt.Sprintf("zone(%d)", int(t))
	}
	return zoneNames[t]
}

// E820Type is the type of a range of the firmware's memory map.
type E820Type string

const (
	E820Usable   E820Type = "usable"
	E820Reserved E820Type = "reserved"
)

// E820Entry is one range of the firmware memory map, [Start, End) in
// bytes.
type E820Entry struct {
	Start, End uint64
	Type       E820Type
}

// Params selects a layout: the machine line's settings that shape memory.
type Params struct {
	Arch    string // "x86" or "x86_64"
	Paging  string // "2level", "pae", "4level", "5level"
	Split   string // x86: "3G", "2G", "1G"
	Highmem bool   // x86: CONFIG_HIGHMEM
	Mem     uint64 // bytes of RAM
	Kernel  uint64 // kernel image size in bytes; 0 for the default
	CPUs    int    // CPUs: x86's fixmap holds 16 kmap_local slots for each
}

// DefaultKernelSize is the kernel image's size (text, data and bss) when
// the machine line does not set kernel=.
const DefaultKernelSize = 2 * mib

// KernelStart is where the kernel image is loaded: right above the first
// 1 MiB, as CONFIG_PHYSICAL_START=0x100000.
const KernelStart = 1 * mib

// Layout is a machine's memory layout.
type Layout struct {
	Arch   string
	Paging string
	// E820 is the firmware memory map: the first 1 MiB reserved (BIOS,
	// legacy video, option ROMs), the rest of RAM usable.
	E820 []E820Entry
	// Ignored is RAM the kernel cannot use: above the lowmem limit when
	// x86 is built without highmem.
	Ignored uint64
	// KernelStart and KernelEnd bound the kernel image, in bytes.
	KernelStart, KernelEnd uint64
	// MaxPFN is the end of usable RAM; MaxLowPFN the end of lowmem, the
	// part the kernel maps permanently (the direct map).
	MaxPFN, MaxLowPFN uint64
	// Zones are the zones the kernel is built with, in index order; a
	// zone may be empty.
	Zones []ZoneType
	// PageOffset is where the direct map starts; HighMemory where it ends
	// (the kernel's high_memory).
	PageOffset, HighMemory VirtAddr
	// VmallocStart and VmallocEnd bound the vmalloc area; as the
	// kernel's VMALLOC_END, the end is inclusive on x86_64, and
	// VmallocEnd - VmallocStart is what /proc/meminfo calls VmallocTotal.
	VmallocStart, VmallocEnd VirtAddr
	// MemMap is the (notional) virtual address of struct page for pfn 0,
	// and StructPageSize the size of one struct page.
	MemMap         VirtAddr
	StructPageSize uint64
	// LowmemLimit is the most RAM the direct map can hold, in bytes.
	LowmemLimit uint64
	// TaskSize is the top of user space (TASK_SIZE): PAGE_OFFSET on
	// x86, the end of the lower canonical half on x86_64.
	TaskSize VirtAddr
	// FixaddrStart and FixaddrTop bound the fixmap, [start, top);
	// fixmap index i maps FixaddrTop - i*PAGE_SIZE.
	FixaddrStart, FixaddrTop VirtAddr
	// FixKmapBegin is the fixmap index of the first kmap_local slot
	// (x86 with highmem); there are KmapMaxIdx slots per CPU.
	FixKmapBegin int
	// PkmapBase is where kmap()'s area starts and LastPkmap its number
	// of slots (x86 with highmem only; 0 otherwise).
	PkmapBase VirtAddr
	LastPkmap int
	// KernelText, ModulesStart and ModulesEnd are x86_64's kernel text
	// mapping (__START_KERNEL_map, mapping physical 0) and module area;
	// VmemmapEnd ends the struct page array's area. Zero on x86.
	KernelText, ModulesStart, ModulesEnd, VmemmapEnd VirtAddr
}

// KmapMaxIdx is KM_MAX_IDX: kmap_local_page() and kmap_atomic() mappings
// a CPU may hold at once (include/asm-generic/kmap_size.h).
const KmapMaxIdx = 16

// fixmap layout of the model on x86: index 0 is the hole below
// FIXADDR_TOP, indexes 1 to 15 stand for the fixed mappings (APIC, the
// vDSO, early consoles) the model does not use, then 16 kmap_local slots
// per CPU. The area is at least the 720 kB of the 2.6 boot logs.
const (
	x86FixaddrTop   = 0xFFFFF000
	x86FixKmapBegin = 16
	x86FixmapPages  = 180
)

// New builds the layout for a configuration. The parameters must already
// be valid (kernelmodel.Config.Validate).
func New(p Params) (*Layout, error) {
	kernel := p.Kernel
	if kernel == 0 {
		kernel = DefaultKernelSize
	}
	if p.Mem%PageSize != 0 || kernel%PageSize != 0 {
		return nil, fmt.Errorf("memory (%d bytes) and the kernel image (%d bytes) must be whole 4K pages", p.Mem, kernel)
	}
	if KernelStart+kernel >= p.Mem {
		return nil, fmt.Errorf("the kernel image (%d bytes at 1M) does not fit in %d bytes of memory", kernel, p.Mem)
	}
	l := &Layout{Arch: p.Arch, Paging: p.Paging, KernelStart: KernelStart, KernelEnd: KernelStart + kernel}
	mem := p.Mem
	switch p.Arch {
	case "x86":
		// PAGE_OFFSET by CONFIG_VMSPLIT_*; MAXMEM = 4G - PAGE_OFFSET -
		// __VMALLOC_RESERVE (128 MiB), the 896 MiB of the 3G/1G split.
		offsets := map[string]uint64{"3G": 0xC0000000, "2G": 0x80000000, "1G": 0x40000000}
		off, ok := offsets[p.Split]
		if !ok {
			return nil, fmt.Errorf("split=%s: the user/kernel split is 3G, 2G or 1G", p.Split)
		}
		l.PageOffset = VirtAddr(off)
		l.LowmemLimit = 4*gib - off - 128*mib
		l.Zones = []ZoneType{ZoneDMA, ZoneNormal, ZoneHighMem, ZoneMovable}
		if !p.Highmem {
			l.Zones = []ZoneType{ZoneDMA, ZoneNormal, ZoneMovable}
			if mem > l.LowmemLimit {
				l.Ignored = mem - l.LowmemLimit
				mem = l.LowmemLimit
			}
		}
		l.MaxPFN = mem >> PageShift
		l.MaxLowPFN = min(mem, l.LowmemLimit) >> PageShift
		l.HighMemory = l.PageOffset + VirtAddr(l.MaxLowPFN<<PageShift)
		l.TaskSize = l.PageOffset
		l.x86Fixmap(p)
		// VMALLOC_START leaves an 8 MiB gap after lowmem; VMALLOC_END
		// stops two pages below the pkmap area (below the fixmap
		// without highmem).
		l.VmallocStart = l.HighMemory + 8*mib
		l.VmallocEnd = l.FixaddrStart - 2*PageSize
		if l.LastPkmap > 0 {
			l.VmallocEnd = l.PkmapBase - 2*PageSize
		}
		l.MemMap = 0xC4000000
		l.StructPageSize = 32
	case "x86_64":
		l.PageOffset, l.VmallocStart, l.VmallocEnd = 0xffff888000000000, 0xffffc90000000000, 0xffffe8ffffffffff
		if p.Paging == "5level" {
			l.PageOffset, l.VmallocStart, l.VmallocEnd = 0xff11000000000000, 0xffa0000000000000, 0xffd1ffffffffffff
		}
		l.LowmemLimit = 64 << 40
		l.Zones = []ZoneType{ZoneDMA, ZoneDMA32, ZoneNormal, ZoneMovable, ZoneDevice}
		l.MaxPFN = mem >> PageShift
		l.MaxLowPFN = l.MaxPFN
		l.HighMemory = l.PageOffset + VirtAddr(mem)
		l.MemMap = 0xffffea0000000000
		l.StructPageSize = 64
		// Documentation/arch/x86/x86_64/mm.rst: the vmemmap area is 1 TiB
		// (4-level) or 0.5 PiB (5-level); the fixmap ends below the
		// vsyscall page's 2 MiB.
		l.TaskSize, l.VmemmapEnd = 0x00007ffffffff000, 0xffffeaffffffffff
		if p.Paging == "5level" {
			l.TaskSize, l.MemMap, l.VmemmapEnd = 0x00fffffffffff000, 0xffd4000000000000, 0xffd5ffffffffffff
		}
		l.KernelText, l.ModulesStart, l.ModulesEnd = 0xffffffff80000000, 0xffffffffa0000000, 0xffffffffff000000
		l.FixaddrTop = 0xffffffffff7ff000
		l.FixaddrStart = l.FixaddrTop - 16*PageSize
	default:
		return nil, fmt.Errorf("unknown architecture %q", p.Arch)
	}
	l.E820 = []E820Entry{{0, 1 * mib, E820Reserved}, {1 * mib, mem, E820Usable}}
	return l, nil
}

// x86Fixmap places the fixmap below FIXADDR_TOP and, with highmem, the
// pkmap area below it: PKMAP_BASE = (FIXADDR_START - PAGE_SIZE *
// (LAST_PKMAP + 1)) & PMD_MASK, with 1024 slots (512 under PAE, whose PMD
// covers 2 MiB), as 2.6's arch/x86/include/asm/pgtable_32_types.h.
func (l *Layout) x86Fixmap(p Params) {
	pages := max(x86FixmapPages, x86FixKmapBegin+KmapMaxIdx*max(p.CPUs, 1))
	l.FixaddrTop = x86FixaddrTop
	l.FixaddrStart = l.FixaddrTop - VirtAddr(pages)*PageSize
	if !p.Highmem {
		return
	}
	l.FixKmapBegin = x86FixKmapBegin
	l.LastPkmap = 1024
	pmd := VirtAddr(4 * mib)
	if p.Paging == "pae" {
		l.LastPkmap, pmd = 512, 2*mib
	}
	l.PkmapBase = (l.FixaddrStart - PageSize*VirtAddr(l.LastPkmap+1)) &^ (pmd - 1)
}

// PtrSize is sizeof(void *) and sizeof(long): 4 bytes on x86, 8 on x86_64.
func (l *Layout) PtrSize() int {
	if l.Arch == "x86" {
		return 4
	}
	return 8
}

// FixToVirt is __fix_to_virt(): the address of a fixmap index.
func (l *Layout) FixToVirt(idx int) VirtAddr { return l.FixaddrTop - VirtAddr(idx)*PageSize }

// PkmapAddr is PKMAP_ADDR(nr): the address of a pkmap slot.
func (l *Layout) PkmapAddr(nr int) VirtAddr { return l.PkmapBase + VirtAddr(nr)*PageSize }

// SizeName names a page size as crash prints it: "4KB", "2MB", "1GB".
func SizeName(n uint64) string {
	switch {
	case n >= gib:
		return fmt.Sprintf("%dGB", n/gib)
	case n >= mib:
		return fmt.Sprintf("%dMB", n/mib)
	}
	return fmt.Sprintf("%dKB", n/kib)
}

// IsVmalloc reports whether an address lies in the vmalloc area
// (is_vmalloc_addr()).
func (l *Layout) IsVmalloc(v VirtAddr) bool { return v >= l.VmallocStart && v < l.VmallocEnd }

// ZoneLimit is the pfn where a zone of this kind ends at the most, as
// arch/x86/mm/init.c:zone_sizes_init() sets max_zone_pfns: DMA below
// 16 MiB, DMA32 below 4 GiB, Normal to the end of lowmem, HighMem to the
// end of RAM. Movable and Device zones end where RAM ends (and stay
// empty: no movablecore= and no device memory are modelled).
func (l *Layout) ZoneLimit(t ZoneType) uint64 {
	switch t {
	case ZoneDMA:
		return min(16*mib>>PageShift, l.MaxLowPFN)
	case ZoneDMA32:
		return min(4*gib>>PageShift, l.MaxLowPFN)
	case ZoneNormal:
		return l.MaxLowPFN
	}
	return l.MaxPFN
}

// HasZone reports whether the kernel is built with a zone of this type.
func (l *Layout) HasZone(t ZoneType) bool {
	for _, z := range l.Zones {
		if z == t {
			return true
		}
	}
	return false
}

// IsLowmem reports whether a virtual address lies in the direct map.
func (l *Layout) IsLowmem(v VirtAddr) bool { return v >= l.PageOffset && v < l.HighMemory }

// Virt returns the direct-map address of a physical address in lowmem
// (the kernel's __va).
func (l *Layout) Virt(phys uint64) VirtAddr { return l.PageOffset + VirtAddr(phys) }
