package stdlib_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"mmsim/lang"
	"mmsim/runtime"
)

// run executes a script through a fresh Host and returns its output.
func run(t *testing.T, src string) string {
	t.Helper()
	th, _, out := newHost(t)
	f, err := lang.Parse("s.mms", src)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if err := th.ExecFile(f); err != nil {
		t.Fatalf("ExecFile: %v\noutput so far:\n%s", err, out)
	}
	return out.String()
}

func diff(t *testing.T, what, got, want string) {
	t.Helper()
	if d := cmp.Diff(strings.Split(want, "\n"), strings.Split(got, "\n")); d != "" {
		t.Errorf("%s (-want +got):\n%s", what, d)
	}
}

func TestShowBuddyinfo(t *testing.T) {
	// x86 mem=1G: DMA holds pfn 0x300-0xfff free (the first megabyte is
	// firmware-reserved and the 2M kernel image follows it): one order-8
	// block at 0x300 and three order-10 blocks; Normal 220 order-10
	// blocks, HighMem 32. Movable is empty and not listed.
	boot := "Node 0, zone      DMA      0      0      0      0      0      0      0      0      1      0      3 \n" +
		"Node 0, zone   Normal      0      0      0      0      0      0      0      0      0      0    220 \n" +
		"Node 0, zone  HighMem      0      0      0      0      0      0      0      0      0      0     32 \n"
	got := run(t, "machine x86 mem=1G\nshow buddyinfo\n")
	diff(t, "show buddyinfo after boot", got, boot)

	// One frame from Normal splits an order-10 block into one block of
	// each order 0-9; four frames from DMA split the order-8 block into
	// blocks of orders 2-7. Freeing both merges everything back.
	got = run(t, `machine x86 mem=1G
p = alloc_page(GFP_KERNEL)
d = alloc_pages(GFP_DMA, 2)
show buddyinfo
__free_page(p)
__free_pages(d, 2)
show buddyinfo
`)
	want := "Node 0, zone      DMA      0      0      1      1      1      1      1      1      0      0      3 \n" +
		"Node 0, zone   Normal      1      1      1      1      1      1      1      1      1      1    219 \n" +
		"Node 0, zone  HighMem      0      0      0      0      0      0      0      0      0      0     32 \n" +
		boot
	diff(t, "show buddyinfo after allocations", got, want)
}

func TestShowZoneinfo(t *testing.T) {
	got := run(t, "machine x86 mem=1G cpus=2\nshow zoneinfo\n")
	// The per-node stats come once, with the first populated zone.
	if n := strings.Count(got, "per-node stats"); n != 1 {
		t.Errorf("per-node stats printed %d times", n)
	}
	if !strings.HasPrefix(got, "Node 0, zone      DMA\n  per-node stats\n      nr_inactive_anon 0\n") {
		t.Errorf("zoneinfo does not start with DMA's per-node stats:\n%s", got)
	}
	for _, line := range []string{"      nr_mapped    0\n", "      nr_kernel_stack 0\n", "      nr_page_table_pages 0\n"} {
		if !strings.Contains(got, line) {
			t.Errorf("zoneinfo lacks %q", line)
		}
	}
	pageset := `
  pagesets
    cpu: 0
              count:    0
              high:     0
              batch:    1
              high_min: 0
              high_max: 0
  vm stats threshold: 0
    cpu: 1
              count:    0
              high:     0
              batch:    1
              high_min: 0
              high_max: 0
  vm stats threshold: 0
  node_unreclaimable:  0
`
	zoneStats := func(free, blocks int) string {
		return strings.NewReplacer("FREE", strconv.Itoa(free), "BLOCKS", strconv.Itoa(blocks)).Replace(`
      nr_free_pages FREE
      nr_free_pages_blocks BLOCKS
      nr_zone_inactive_anon 0
      nr_zone_active_anon 0
      nr_zone_inactive_file 0
      nr_zone_active_file 0
      nr_zone_unevictable 0
      nr_zone_write_pending 0
      nr_mlock     0
      nr_zspages   0
      nr_free_cma  0`)
	}
	// Watermarks: min_free_kbytes = int_sqrt(4 * 258608 KiB of lowmem
	// * 16) = 3825 KiB, 956 pages shared by DMA (3328 managed) and Normal
	// (225280); HighMem's min is 32768/1024 = 32. Protection: DMA keeps
	// 225280/256 = 880 against Normal and (225280+32768)/256 = 1008
	// against HighMem; Normal 32768/32 = 1024.
	want := []string{
		`  pages free     3328
        boost    0
        min      13
        low      16
        high     19
        promo    22
        spanned  3840
        present  3840
        managed  3328
        cma      0
        protection: (0, 880, 1008, 1008)` + zoneStats(3328, 3072) + pageset + "  start_pfn:           256\nNode 0, zone   Normal\n",
		`Node 0, zone   Normal
  pages free     225280
        boost    0
        min      942
        low      1177
        high     1412
        promo    1647
        spanned  225280
        present  225280
        managed  225280
        cma      0
        protection: (0, 0, 1024, 1024)` + zoneStats(225280, 225280) + pageset + "  start_pfn:           4096\n",
		`Node 0, zone  HighMem
  pages free     32768
        boost    0
        min      32
        low      66
        high     100
        promo    134
        spanned  32768
        present  32768
        managed  32768
        cma      0
        protection: (0, 0, 0, 0)` + zoneStats(32768, 32768) + pageset + "  start_pfn:           229376\n",
		// An empty zone stops after its protection line.
		`Node 0, zone  Movable
  pages free     0
        boost    0
        min      32
        low      32
        high     32
        promo    32
        spanned  0
        present  0
        managed  0
        cma      0
        protection: (0, 0, 0, 0)
`,
	}
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("zoneinfo lacks\n%s\n---- got:\n%s", w, got)
		}
	}
	if !strings.HasSuffix(got, want[len(want)-1]) {
		t.Errorf("zoneinfo does not end with the Movable zone:\n%s", got)
	}
	// One pageset per CPU.
	got = run(t, "machine x86_64 mem=8G cpus=4\nshow zoneinfo\n")
	if n := strings.Count(got, "    cpu: "); n != 3*4 {
		t.Errorf("x86_64 with 4 CPUs and 3 populated zones: %d pagesets, want 12", n)
	}
}

func TestShowMeminfo(t *testing.T) {
	// Managed pages 3328 + 225280 + 32768 = 261376, 1045504 kB.
	got := run(t, "machine x86 mem=1G\nshow meminfo\n")
	if !strings.HasPrefix(got, "MemTotal:        1045504 kB\nMemFree:         1045504 kB\n") {
		t.Errorf("meminfo starts:\n%s", got)
	}
	if !strings.Contains(got, "HighTotal:        131072 kB\nHighFree:         131072 kB\nLowTotal:         914432 kB\nLowFree:          914432 kB\n") {
		t.Errorf("meminfo highmem lines wrong:\n%s", got)
	}

	// x86 mem=64M swap=128M: 15616 managed pages, all free; totalreserve
	// 418 (DMA 48+79, Normal 291); the swap area's first page is its
	// header, so 32767 pages of swap; CommitLimit 15616/2 + 32767.
	// CONFIG_HIGHMEM is set, so the highmem lines come even with no
	// highmem; vmalloc spans 0xc4800000-0xff7fe000.
	got = run(t, "machine x86 mem=64M swap=128M\nshow meminfo\n")
	want := `MemTotal:          62464 kB
MemFree:           62464 kB
MemAvailable:      60792 kB
Buffers:               0 kB
Cached:                0 kB
SwapCached:            0 kB
Active:                0 kB
Inactive:              0 kB
Active(anon):          0 kB
Inactive(anon):        0 kB
Active(file):          0 kB
Inactive(file):        0 kB
Unevictable:           0 kB
Mlocked:               0 kB
HighTotal:             0 kB
HighFree:              0 kB
LowTotal:          62464 kB
LowFree:           62464 kB
SwapTotal:        131068 kB
SwapFree:         131068 kB
Dirty:                 0 kB
Writeback:             0 kB
AnonPages:             0 kB
Mapped:                0 kB
Shmem:                 0 kB
KReclaimable:          0 kB
Slab:                  0 kB
SReclaimable:          0 kB
SUnreclaim:            0 kB
KernelStack:           0 kB
PageTables:            0 kB
SecPageTables:         0 kB
NFS_Unstable:          0 kB
Bounce:                0 kB
WritebackTmp:          0 kB
CommitLimit:      162300 kB
Committed_AS:          0 kB
VmallocTotal:     966648 kB
VmallocUsed:           0 kB
VmallocChunk:          0 kB
Percpu:                0 kB
AnonHugePages:         0 kB
ShmemHugePages:        0 kB
ShmemPmdMapped:        0 kB
FileHugePages:         0 kB
FilePmdMapped:         0 kB
Balloon:               0 kB
`
	diff(t, "show meminfo on x86 mem=64M swap=128M", got, want)

	// x86_64: no highmem lines; VmallocTotal is 32T; allocations lower
	// MemFree and MemAvailable.
	got = run(t, "machine x86_64 mem=2G\np = alloc_pages(GFP_KERNEL, 4)\nshow meminfo\n")
	if strings.Contains(got, "HighTotal") {
		t.Errorf("x86_64 meminfo has highmem lines:\n%s", got)
	}
	if !strings.Contains(got, "\nVmallocTotal:   34359738367 kB\n") {
		t.Errorf("x86_64 VmallocTotal wrong:\n%s", got)
	}
	total, free := meminfoValue(t, got, "MemTotal"), meminfoValue(t, got, "MemFree")
	if total-free != 16*4 {
		t.Errorf("MemTotal %d - MemFree %d, want 64 kB allocated", total, free)
	}
}

func meminfoValue(t *testing.T, out, key string) int {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if rest, ok := strings.CutPrefix(line, key+":"); ok {
			n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			if err != nil {
				t.Fatalf("meminfo line %q: %v", line, err)
			}
			return n
		}
	}
	t.Fatalf("no %s in meminfo", key)
	return 0
}

func TestShowKmemF(t *testing.T) {
	// contig_page_data notionally at 0xc02a0000 (PAGE_OFFSET + 1M +
	// 0x1a0000); zone i's free_area[o] at +i*0x340 + 0x60 + 12*o.
	want := `NODE
  0
ZONE  NAME        SIZE    FREE  MEM_MAP   START_PADDR  START_MAPNR
  0   DMA         3840    3328  c4002000     100000        256    
AREA    SIZE  FREE_AREA_STRUCT  BLOCKS  PAGES
  0       4k      c02a0060           0      0
  1       8k      c02a006c           0      0
  2      16k      c02a0078           0      0
  3      32k      c02a0084           0      0
  4      64k      c02a0090           0      0
  5     128k      c02a009c           0      0
  6     256k      c02a00a8           0      0
  7     512k      c02a00b4           0      0
  8    1024k      c02a00c0           1    256
  9    2048k      c02a00cc           0      0
 10    4096k      c02a00d8           3   3072

ZONE  NAME        SIZE    FREE  MEM_MAP   START_PADDR  START_MAPNR
  1   Normal     12288   12280  c4020000    1000000        4096   
AREA    SIZE  FREE_AREA_STRUCT  BLOCKS  PAGES
  0       4k      c02a03a0           0      0
  1       8k      c02a03ac           0      0
  2      16k      c02a03b8           0      0
  3      32k      c02a03c4           1      8
  4      64k      c02a03d0           1     16
  5     128k      c02a03dc           1     32
  6     256k      c02a03e8           1     64
  7     512k      c02a03f4           1    128
  8    1024k      c02a0400           1    256
  9    2048k      c02a040c           1    512
 10    4096k      c02a0418          11  11264

ZONE  NAME        SIZE    FREE  MEM_MAP   START_PADDR  START_MAPNR
  2   HighMem        0       0     0           0            0     

ZONE  NAME        SIZE    FREE  MEM_MAP   START_PADDR  START_MAPNR
  3   Movable        0       0     0           0            0     

nr_free_pages: 15608  (verified)
`
	got := run(t, "machine x86 mem=64M\np = alloc_pages(GFP_KERNEL, 3)\nshow kmem -f\n")
	diff(t, "show kmem -f", got, want)

	// -F: each order under its own AREA header, then its blocks' struct
	// page and physical addresses; a long untouched run is cut short.
	got = run(t, "machine x86 mem=64M\np = alloc_pages(GFP_KERNEL, 3)\nshow kmem -F\n")
	for _, w := range []string{
		"AREA    SIZE  FREE_AREA_STRUCT\n  2      16k      c02a0078      \nAREA    SIZE  FREE_AREA_STRUCT\n  3      32k      c02a0084      \n",
		// The order-3 buddy of pfn 0x1000 is 0x1008.
		"  3      32k      c02a03c4      \nc4020100  1008000\nAREA",
		// The 11 order-10 blocks left of Normal's run: 4 shown at each end.
		" 10    4096k      c02a0418      \nc4028000  1400000\nc4030000  1800000\nc4038000  1c00000\nc4040000  2000000\n" +
			"... 3 more blocks of this untouched run ...\nc4060000  3000000\nc4068000  3400000\nc4070000  3800000\nc4078000  3c00000\n\nZONE",
		"\nnr_free_pages: 15608  (verified)\n",
	} {
		if !strings.Contains(got, w) {
			t.Errorf("kmem -F lacks\n%s\n---- got:\n%s", w, got)
		}
	}
	if strings.Contains(got, "BLOCKS") {
		t.Errorf("kmem -F prints block counts:\n%s", got)
	}
}

func TestShowKmemErrors(t *testing.T) {
	th, h, _ := newHost(t)
	if err := h.Boot(th, nil); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []runtime.ShowArg
		want string
	}{
		{nil, "show kmem needs a flag: -f (the free lists of every zone), -F (the same, with every free block), -s (the slab caches) and -S CACHE (one cache's slabs and objects)"},
		{[]runtime.ShowArg{{Flag: "-x"}}, "show kmem: unknown flag -x: kmem has -f (the free lists of every zone), -F (the same, with every free block), -s (the slab caches) and -S CACHE (one cache's slabs and objects)"},
		{[]runtime.ShowArg{{Flag: "-s"}, {Flag: "-f"}}, "show kmem: -s cannot be combined with -f or -F"},
		{[]runtime.ShowArg{{Flag: "-f"}, {Value: runtime.Int(5)}}, "show kmem: unexpected argument 5: kmem takes only a flag, -f (the free lists of every zone), -F (the same, with every free block), -s (the slab caches) and -S CACHE (one cache's slabs and objects)"},
	}
	for _, tt := range tests {
		err := h.Show(th, "kmem", tt.args, lang.Pos{})
		if err == nil || err.Error() != tt.want {
			t.Errorf("show kmem %v = %v, want %q", tt.args, err, tt.want)
		}
	}
	for _, view := range []string{"buddyinfo", "zoneinfo", "meminfo", "physmem"} {
		err := h.Show(th, view, []runtime.ShowArg{{Flag: "-f"}}, lang.Pos{})
		if want := "show " + view + " takes no arguments"; err == nil || err.Error() != want {
			t.Errorf("show %s -f = %v, want %q", view, err, want)
		}
	}
	// Without a machine.
	th, h, _ = newHost(t)
	for _, view := range []string{"buddyinfo", "zoneinfo", "meminfo", "physmem"} {
		if err := h.Show(th, view, nil, lang.Pos{}); err == nil || err.Error() != "no machine is running" {
			t.Errorf("show %s with no machine = %v", view, err)
		}
	}
	if err := h.Show(th, "kmem", []runtime.ShowArg{{Flag: "-f"}}, lang.Pos{}); err == nil || err.Error() != "no machine is running" {
		t.Errorf("show kmem -f with no machine = %v", err)
	}
}

func TestShowPhysmem(t *testing.T) {
	// 16384 frames in 16 lines of 64: 16 frames a character. The first
	// megabyte is firmware-reserved (16 characters), the kernel image 2M
	// (32); the 16 frames of alloc_pages(…, 4) take Normal's first
	// character.
	got := run(t, "machine x86 mem=64M\np = alloc_pages(GFP_KERNEL, 4)\nshow physmem\n")
	free := strings.Repeat(".", 64)
	want := "physical memory 0x0-0x3ffffff, 16384 frames (64M): one character = 16 frames (64K), 64 characters a line\n" +
		". free  K kernel image  R firmware-reserved  A alloc_pages  S slab  P page tables  U user  V vmalloc  T kernel stacks\n" +
		"DMA     0x000000000 " + strings.Repeat("R", 16) + strings.Repeat("K", 32) + strings.Repeat(".", 16) + "\n" +
		"        0x000400000 " + free + "\n" +
		"        0x000800000 " + free + "\n" +
		"        0x000c00000 " + free + "\n" +
		"Normal  0x001000000 A" + free[1:] + "\n"
	for a := 0x1400000; a < 0x4000000; a += 0x400000 {
		want += fmt.Sprintf("        0x%09x %s\n", a, free)
	}
	diff(t, "show physmem", got, want)

	// 4M: 1024 frames fit one a character.
	got = run(t, "machine x86 mem=4M\nshow physmem\n")
	if !strings.Contains(got, "one character = 1 frame (4K)") || strings.Count(got, "\n") != 2+16 {
		t.Errorf("physmem of 4M:\n%s", got)
	}
	// 8M: two frames a character; a character half allocated, half free
	// shows the allocation. The order-0 allocation splits DMA's order-8
	// block at 0x300.
	got = run(t, "machine x86 mem=8M\np = alloc_page(GFP_KERNEL)\nshow physmem\n")
	if !strings.Contains(got, "one character = 2 frames (8K)") {
		t.Errorf("physmem of 8M:\n%s", got)
	}
	lines := strings.Split(got, "\n")
	// pfn 0x300 is character 384: the seventh line, first column.
	if line := lines[2+6]; !strings.HasPrefix(line, "        0x000300000 A.") {
		t.Errorf("physmem of 8M, line 7 = %q", line)
	}
}

// TestPhysViewsHuge runs the views on a terabyte: they must follow the
// number of blocks, not of frames.
func TestPhysViewsHuge(t *testing.T) {
	got := run(t, "machine x86_64 mem=1T\np = alloc_pages(GFP_KERNEL, 0)\nshow physmem\n")
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	if len(lines) > 2+16 || !strings.Contains(lines[0], "one character = 524288 frames (2G)") {
		t.Errorf("physmem of 1T:\n%s", got)
	}
	for _, l := range lines[2:] {
		fields := strings.Fields(l)
		if m := fields[len(fields)-1]; len(m) > 64 || strings.Trim(m, ".RKAU") != "" {
			t.Errorf("physmem line %q", l)
		}
	}
	if lines[2] != "DMA     0x0000000000 ." || lines[3] != "DMA32   0x0001000000 .." || !strings.HasPrefix(lines[4], "Normal  0x0100000000 ....") {
		t.Errorf("physmem of 1T:\n%s", got)
	}

	got = run(t, "machine x86_64 mem=1T\np = alloc_pages(GFP_KERNEL, 0)\nshow kmem -f\nshow kmem -F\nshow buddyinfo\nshow zoneinfo\nshow meminfo\n")
	if n := strings.Count(got, "(verified)"); n != 2 {
		t.Errorf("kmem -f and -F on 1T verified %d times:\n%s", n, got)
	}
	if !strings.Contains(got, " 10    4096k  ffffffff802a0eb0  261119 267385856\n") {
		t.Errorf("kmem -f on 1T: Normal's order-10 line wrong:\n%s", got)
	}
	if !strings.Contains(got, "\n... 261111 more blocks of this untouched run ...\n") {
		t.Errorf("kmem -F on 1T does not cut Normal's run short")
	}
	if !strings.Contains(got, "MemTotal:       1073738752 kB\n") {
		t.Errorf("meminfo on 1T:\n%s", got)
	}
	if len(got) > 20000 {
		t.Errorf("the views of 1T printed %d bytes", len(got))
	}
}
