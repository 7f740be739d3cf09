# The page allocator's built-ins on the default machine, x86 mem=1G:
# DMA pfn 0x100-0xfff, Normal 0x1000-0x37fff, HighMem 0x38000-0x3ffff.
p = alloc_pages(GFP_KERNEL, 0)
assert type(p) == "page"
assert page_to_pfn(p) == 0x1000
assert p.pfn == 0x1000 and p.order == 0 and p.refcount == 1 and p.mapcount == 0
assert p.zone.name == "Normal" and page_zone(p).name == ZONE_NORMAL
assert p.flags == [] and not p.free and not p.highmem and p.owner == "pages"
assert p.tag == "alloc_pages at testdata/pages.mms:3:5"
assert page_address(p) == 0xc1000000 and p.virt == 0xc1000000 and p.phys == 0x1000000
assert virt_to_page(page_address(p)) == p
assert pfn_to_page(0x1000) == p
print p
assert output() == "page pfn 0x1000 (Normal, order 0)\n"
# The split left one free block at each order 0..9 behind it.
assert zone("Normal").nr_free == [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 219]
__free_pages(p, 0)
assert zone("Normal").nr_free == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 220]
assert p.free and PageBuddy(p) and p.order == 10
---
# Splitting keeps the lower half; the upper halves go to the head of the
# lists, so the next allocations take them in address order.
a = alloc_pages(GFP_KERNEL, 0)
b = alloc_pages(GFP_KERNEL, 0)
c = alloc_pages(GFP_KERNEL, 1)
d = alloc_pages(GFP_KERNEL, 2)
assert [a.pfn, b.pfn, c.pfn, d.pfn] == [0x1000, 0x1001, 0x1002, 0x1004]
# LIFO: a freed frame is the next one handed out.
__free_pages(b, 0)
assert alloc_pages(GFP_KERNEL, 0).pfn == 0x1001
---
# Coalescing: freeing buddies merges them back into one block.
blocks = []
for i in 0..8 { append(blocks, alloc_page(GFP_KERNEL)) }
for p in blocks { __free_page(p) }
assert zone("Normal").nr_free == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 220]
assert nr_free_pages() == totalram_pages()
---
# Each GFP zone modifier lands in its zone; HighMem frames have no address.
d = alloc_pages(GFP_DMA, 0)
n = alloc_pages(GFP_KERNEL, 0)
h = alloc_pages(GFP_HIGHUSER, 0)
m = alloc_pages(GFP_HIGHUSER_MOVABLE, 0)
assert [d.zone.name, n.zone.name, h.zone.name, m.zone.name] == ["DMA", "Normal", "HighMem", "HighMem"]
assert d.pfn == 0x300 and h.pfn == 0x38000
assert PageHighMem(h) and page_address(h) == NULL and h.virt == NULL
assert not PageHighMem(d)
# GFP_DMA32 on x86 (no DMA32 zone) means Normal.
assert gfp_zone(GFP_DMA32).name == "Normal"
assert gfp_zone(GFP_HIGHUSER_MOVABLE).name == "Movable"
assert gfp_zone(__GFP_MOVABLE).name == "Normal"
---
# Addresses: __get_free_pages never returns highmem.
a = __get_free_pages(GFP_KERNEL | __GFP_HIGHMEM, 2)
assert a == 0xc1000000
print a
assert output() == "0xc1000000 (order-2 pages at pfn 0x1000)\n"
free_pages(a, 2)
z = get_zeroed_page(GFP_KERNEL)
assert virt_to_page(z).pfn == 0x1000
free_page(z)
free_pages(0, 3)
free_pages(NULL, 0)
assert nr_free_pages() == totalram_pages()
---
# Masks print as the kernel prints them.
assert GFP_KERNEL == 0xcc0 and GFP_ATOMIC == 0x820 and GFP_NOWAIT == 0x2800
assert GFP_NOIO == 0xc00 and GFP_NOFS == 0xc40 and GFP_USER == 0x100cc0
assert GFP_HIGHUSER == 0x100cc2 and GFP_HIGHUSER_MOVABLE == 0x100cca
assert gfp_string(GFP_KERNEL | __GFP_ZERO) == "GFP_KERNEL|__GFP_ZERO"
assert gfp_string(GFP_ATOMIC | __GFP_NOWARN) == "GFP_ATOMIC|__GFP_NOWARN"
assert gfp_string(__GFP_DMA | __GFP_RECLAIM) == "GFP_NOIO|GFP_DMA"
assert gfp_string(0) == "0"
assert gfp_string(0x200) == "0x200"
---
# Zones and their numbers for x86 mem=1G.
assert [z.name for z in zones()] == 1 ### `syntax error`
---
names = []
for z in zones() { append(names, z.name) }
assert names == ["DMA", "Normal", "HighMem", "Movable"]
dma = zone("dma")
assert dma.start_pfn == 0x100 and dma.end_pfn == 0x1000 and dma.spanned == 3840
assert dma.present == 3840 and dma.managed == 3328 and dma.free == 3328
assert [dma.min, dma.low, dma.high] == [13, 16, 19]
assert dma.protection == [0, 880, 1008, 1008]
n = zone(ZONE_NORMAL)
assert [n.min, n.low, n.high] == [942, 1177, 1412]
assert n.protection == [0, 0, 1024, 1024]
h = zone(ZONE_HIGHMEM)
assert [h.min, h.low, h.high] == [32, 66, 100]
assert not zone("Movable").populated and zone("Movable").managed == 0
assert min_free_kbytes() == 3825
assert totalram_pages() == 3328 + 225280 + 32768
assert totalhigh_pages() == 32768
assert nr_free("DMA", 8) == 1 and nr_free(dma, 10) == 3
---
zone("DMA32") ### `zone: no zone "DMA32" on this machine \(zones: DMA, Normal, HighMem, Movable\)`
---
nr_free("DMA", 11) ### `nr_free: order 11 is outside 0..10`
---
# An order above MAX_PAGE_ORDER warns and returns NULL.
p = alloc_pages(GFP_KERNEL, 11)
assert p == NULL
assert "order 11 is above MAX_PAGE_ORDER (10)" in warnings()
assert alloc_pages(GFP_KERNEL | __GFP_NOWARN, 11) == NULL
assert warnings() == ""
---
alloc_pages(GFP_DMA | __GFP_HIGHMEM, 0) ### `BUG: VM_BUG_ON in gfp_zone\(\): __GFP_DMA\|__GFP_HIGHMEM is no valid zone combination`
---
alloc_pages(GFP_KERNEL | 0x200, 0) ### `BUG: gfp mask 0xec0 has bits no GFP flag uses \(0x200\)`
---
# Sleeping allocations in atomic context are kernel BUGs; GFP_ATOMIC is fine.
atomic { p = alloc_pages(GFP_ATOMIC, 0) }
irq { q = alloc_pages(GFP_NOWAIT, 1) }
assert p.pfn == 0x1000 and q.pfn == 0x1002
atomic { alloc_pages(GFP_KERNEL, 0) } ### `BUG: sleeping function called from invalid context at mm/page_alloc.c: alloc_pages\(GFP_KERNEL\) may sleep`
---
irq { __get_free_page(GFP_NOFS) } ### `__get_free_page\(GFP_NOFS\) may sleep \(__GFP_DIRECT_RECLAIM\) but runs in irq context \(in_atomic\(\): 1, irqs_disabled\(\): 1`
---
# Freeing mistakes are kernel BUGs and change nothing.
p = alloc_pages(GFP_KERNEL, 2)
before = zone("Normal").nr_free
expect bug "freed with order 0, but the block at pfn 0x1000 was allocated with order 2" { __free_pages(p, 0) }
expect bug "freed with order 3" { __free_pages(p, 3) }
expect bug "pfn 0x1001 is not the first frame of a block: it is frame 1 of the order-2 block at pfn 0x1000" { __free_pages(pfn_to_page(0x1001), 0) }
expect bug "pfn 0x2000 is already free" { __free_pages(pfn_to_page(0x2000), 0) }
expect bug "Bad page state in process mmsim  pfn:00000" { __free_page(pfn_to_page(0)) }
expect bug "PAGE_FLAGS_CHECK_AT_FREE flag(s) set (reserved: kernel frame)" { __free_page(pfn_to_page(0x100)) }
expect bug "order -1 is outside 0..10" { __free_pages(p, -1) }
assert zone("Normal").nr_free == before
check
__free_pages(p, 2)
expect bug "pfn 0x1000 is already free (a double free, or a frame never allocated)" { __free_pages(p, 2) }
---
__free_pages(__get_free_page(GFP_KERNEL), 0) ### `__free_pages: want a page, not ptr \(for an address use virt_to_page, or free_pages instead of __free_pages\)`
---
virt_to_page(0x1000) ### `virt_to_page: 0x1000 is not a direct-map address \(lowmem is 0xc0000000-0xf7ffffff\)`
---
pfn_to_page(0x40000) ### `pfn_to_page: pfn 0x40000 is not valid: memory ends at pfn 0x40000`
---
free_pages(0xc1000800, 0) ### `free_pages: 0xc1000800 is not page-aligned`
---
# GFP_KERNEL order 0 cannot fail: with nothing to reclaim and no process to
# kill, the kernel panics. A costly order or __GFP_NORETRY returns NULL.
machine x86 mem=64M
n = 0
while alloc_pages(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN, 0) != NULL { n += 1 }
# Normal is down to its min watermark; DMA to min plus the reserve it keeps
# against allocations that could have used Normal.
normal = zone("Normal")
dma = zone("DMA")
assert normal.free == normal.min
assert dma.protection[1] == normal.managed / 256
assert dma.free == dma.min + dma.protection[1]
assert n == normal.managed - normal.min + dma.managed - dma.min - dma.protection[1]
assert alloc_pages(GFP_KERNEL, 4) == NULL
assert "page allocation failure: order:4, mode:0xcc0(GFP_KERNEL), nodemask=(null),cpuset=/,mems_allowed=0" in warnings()
expect oom "Out of memory and no killable processes" { alloc_pages(GFP_KERNEL, 0) }
# GFP_DMA may use DMA down to its min watermark (no reserve applies to a
# request whose highest zone is DMA itself), and then fails: requests
# limited to zones below Normal never call the OOM killer.
k = 0
while alloc_pages(GFP_DMA | __GFP_NOWARN, 0) != NULL { k += 1 }
assert k == dma.protection[1] and dma.free == dma.min
# GFP_ATOMIC may still dip into the reserve below min; GFP_NOWAIT may not.
assert alloc_pages(GFP_NOWAIT, 0) == NULL
assert alloc_pages(GFP_ATOMIC, 0).zone == normal
---
# x86_64: DMA below 16M, DMA32 below 4G, Normal above; GFP_DMA32 is real.
machine x86_64 mem=8G
names = []
for z in zones() { append(names, z.name) }
assert names == ["DMA", "DMA32", "Normal", "Movable", "Device"]
assert zone("DMA32").end_pfn == 0x100000 and zone("Normal").start_pfn == 0x100000
p = alloc_pages(GFP_KERNEL, 0)
q = alloc_pages(GFP_DMA32, 0)
h = alloc_pages(GFP_HIGHUSER, 0)
assert p.zone.name == "Normal" and q.zone.name == "DMA32" and h.zone.name == "Normal"
assert p.pfn == 0x100000 and q.pfn == 0x1000
assert hex(page_address(p)) == "0xffff888100000000"
assert not PageHighMem(h) and h.virt != NULL
assert gfp_zone(__GFP_HIGHMEM).name == "Normal"
assert zone("DMA").protection == [0, zone("DMA32").managed / 256, (zone("DMA32").managed + zone("Normal").managed) / 256, (zone("DMA32").managed + zone("Normal").managed) / 256, (zone("DMA32").managed + zone("Normal").managed) / 256]
alloc_pages(GFP_DMA32 | __GFP_DMA, 0) ### `GFP_ZONE_BAD`
---
# x86 without highmem: RAM above 896M is not used, and there is no HighMem.
machine x86 mem=2G highmem=off
names = []
for z in zones() { append(names, z.name) }
assert names == ["DMA", "Normal", "Movable"]
assert totalram_pages() == (896M - 3M) / PAGE_SIZE and totalhigh_pages() == 0
assert alloc_pages(GFP_HIGHUSER, 0).zone.name == "Normal"
---
# The split moves the end of lowmem; PAE reaches past 4G.
machine x86 mem=4G split=2G
assert zone("Normal").end_pfn == 1920M / PAGE_SIZE
assert hex(page_address(alloc_page(GFP_KERNEL))) == "0x81000000"
---
machine x86 mem=8G paging=pae
assert zone("HighMem").end_pfn == 8G / PAGE_SIZE
---
# A terabyte boots, and its far end can be reached.
machine x86_64 mem=1T
assert zone("Normal").end_pfn == 1T / PAGE_SIZE
assert pfn_to_page(1T / PAGE_SIZE - 1).free
assert nr_free("Normal", 10) == (1T - 4G) / 4M
---
assert get_order(1) == 0 and get_order(4096) == 0 and get_order(4097) == 1
assert get_order(21K) == 3 and get_order(4M) == 10 and get_order(4M + 1) == 11
get_order(0) ### `get_order: size 0 is not positive`
---
# get_order near the top of the 64-bit range: fls64((size - 1) >> PAGE_SHIFT).
assert get_order(1 << 62) == 50 and get_order((1 << 62) + 1) == 51
assert get_order(0x7fffffffffffffff) == 51
