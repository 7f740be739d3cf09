# The kernel address space on the default machine, x86 mem=1G cpus=2, laid
# out as 2.6's 3G/1G split (rules 6): PAGE_OFFSET 0xC0000000; lowmem is
# 4G - 3G - 128M = 896M, so high_memory = 0xC0000000 + 0x38000000 =
# 0xF8000000; VMALLOC_START = high_memory + 8M = 0xF8800000. The fixmap is
# 180 pages (720 kB) below FIXADDR_TOP 0xFFFFF000, from 0xFFF4B000;
# PKMAP_BASE = (0xFFF4B000 - 1025 pages) & ~(4M - 1) = 0xFFB4A000 &
# 0xFFC00000 = 0xFF800000, 1024 slots (4M); VMALLOC_END = PKMAP_BASE - 2
# pages = 0xFF7FE000 (111 MB of vmalloc). KERNEL_PGD_BOUNDARY is
# pgd_index(0xC0000000) = 0xC0000000 >> 22 = 768. Lowmem is mapped by 4M
# pages, so the boot tables are the PGD and the PTE tables of the pkmap
# area and of the fixmap: 3.
show layout
assert output() == "virtual kernel memory layout:\n    fixmap  : 0xfff4b000 - 0xfffff000   ( 720 kB)\n    pkmap   : 0xff800000 - 0xffc00000   (4096 kB)\n    vmalloc : 0xf8800000 - 0xff7fe000   ( 111 MB)\n    lowmem  : 0xc0000000 - 0xf8000000   ( 896 MB)\n2level paging: 2 levels (PGD/PTE), 4-byte entries, PGD entries from 768 are the kernel's\nTASK_SIZE 0xc0000000, PAGE_OFFSET 0xc0000000, high_memory 0xf8000000, 3 boot page tables in the kernel image\n"
# is_vmalloc_addr tests [VMALLOC_START, VMALLOC_END).
assert is_vmalloc_addr(0xf8800000) and is_vmalloc_addr(0xff7fdfff)
assert not is_vmalloc_addr(0xf87fffff) and not is_vmalloc_addr(0xff7fe000)
assert not is_vmalloc_addr(0xc1000000) and not is_vmalloc_addr(0) and not is_vmalloc_addr(0xff800000)
---
# __va() and __pa() work in the direct map only (rules 6, 7): the last
# lowmem frame is 0x37fff000, the first highmem one 0x38000000; RAM ends at
# 1G = 0x40000000.
assert phys_to_virt(0) == 0xc0000000
assert phys_to_virt(0x37fff000) == 0xf7fff000
assert phys_to_virt(0x1234567) == 0xc1234567
assert virt_to_phys(0xc1234567) == 0x1234567 and virt_to_phys(0xf7ffffff) == 0x37ffffff
expect error "0x38000000 is above lowmem (which ends at 0x38000000): a highmem frame has no permanent kernel address" { phys_to_virt(0x38000000) }
expect error "0x3ffff000 is above lowmem" { phys_to_virt(0x3ffff000) }
expect error "0x40000000 is beyond the end of memory (0x40000000)" { phys_to_virt(1G) }
# virt_to_phys says which area an address is in, and what to use instead.
expect error "it is a vmalloc address, whose pages are scattered in physical memory; use vmalloc_to_page" { virt_to_phys(0xf8800000) }
expect error "it is a vmalloc address" { virt_to_phys(0xff7fdfff) }
expect error "it is a kmap (pkmap) address of a highmem page" { virt_to_phys(0xff800000) }
expect error "it is a kmap (pkmap) address" { virt_to_phys(0xffbff000) }
# Fixmap kmap slot of cpu 0, index 0: FIXADDR_TOP - (16 + 0) pages.
expect error "it is a fixmap address (kmap_local_page or kmap_atomic)" { virt_to_phys(0xfffef000) }
expect error "it is a user address" { virt_to_phys(0xbfffffff) }
expect error "it is a user address" { virt_to_phys(0x1000) }
# The 8M gap between high_memory and VMALLOC_START belongs to nothing.
expect error "0xf8000000 is not a direct-map address (lowmem is 0xc0000000-0xf7ffffff): only the direct map" { virt_to_phys(0xf8000000) }
phys_to_virt(0x38000000 + 4096) ### `phys_to_virt: 0x38001000 is above lowmem .*map it with kmap or kmap_local_page`
---
virt_to_phys(0xf8801000) ### `error: virt_to_phys: 0xf8801000 is not a direct-map address \(lowmem is 0xc0000000-0xf7ffffff\): it is a vmalloc address`
---
# x86_64 (rules 6): direct map at 0xffff888000000000, vmalloc
# 0xffffc90000000000-0xffffe8ffffffffff (32 TiB: 0x200000000000 bytes).
# KERNEL_PGD_BOUNDARY = pgd_index(0xffff888000000000) = 0x888000000000 >> 39
# = 0x111 = 273. The fixmap has no kmap slots: every page has an address.
machine x86_64 mem=8G
show layout
o = output()
assert "    vmalloc : 0xffffc90000000000 - 0xffffe90000000000   (  32 TB)\n" in o
assert "    direct map: 0xffff888000000000 - 0xffff888200000000   (   8 GB)\n" in o
assert "    ktext   : 0xffffffff80000000 - 0xffffffff80400000   (4096 kB)\n" in o
assert "4level paging: 4 levels (PGD/PUD/PMD/PTE), 8-byte entries, PGD entries from 273 are the kernel's\n" in o
assert not ("pkmap" in o)
assert is_vmalloc_addr(0xffffc90000000000) and not is_vmalloc_addr(0xffffc8ffffffffff)
# VMALLOC_END is inclusive on x86_64, but is_vmalloc_addr compares with <.
assert is_vmalloc_addr(0xffffe8fffffffffe) and not is_vmalloc_addr(0xffffe8ffffffffff)
assert phys_to_virt(0x100000000) == 0xffff888100000000
assert virt_to_phys(0xffff888100000123) == 0x100000123
expect error "0x200000000 is beyond the end of memory (0x200000000)" { phys_to_virt(8G) }
expect error "it is a vmalloc address" { virt_to_phys(0xffffc90000000000) }
expect error "it is a fixmap address, a compile-time mapping" { virt_to_phys(0xffffffffff7fe000) }
expect error "it is a user address" { virt_to_phys(0x7ffffffff000) }
---
# PAE: 512 pkmap slots in one 2M PMD: PKMAP_BASE = (0xFFF4B000 - 513
# pages) & ~(2M - 1) = 0xFFD4A000 & 0xFFE00000 = 0xFFC00000; VMALLOC_END
# = 0xFFBFE000; pgd_index(0xC0000000) = bits 31-30 = 3.
machine x86 mem=1G paging=pae
show layout
o = output()
assert "    pkmap   : 0xffc00000 - 0xffe00000   (2048 kB)\n    vmalloc : 0xf8800000 - 0xffbfe000   ( 115 MB)\n" in o
assert "pae paging: 3 levels (PGD/PMD/PTE), 8-byte entries, PGD entries from 3 are the kernel's\n" in o
assert is_vmalloc_addr(0xffbfdfff) and not is_vmalloc_addr(0xffbfe000)
---
# Without highmem there is no pkmap area; VMALLOC_END = FIXADDR_START - 2
# pages = 0xFFF4B000 - 0x2000 = 0xFFF49000; 512M of lowmem ends at
# 0xE0000000, so VMALLOC_START is 0xE0800000.
machine x86 mem=512M highmem=off
show layout
o = output()
assert "    vmalloc : 0xe0800000 - 0xfff49000   ( 503 MB)\n    lowmem  : 0xc0000000 - 0xe0000000   ( 512 MB)\n" in o
assert not ("pkmap" in o)
show pkmap
assert output() == "no highmem: kmap, kmap_atomic and kmap_local_page return the direct-map address\n"
expect error "it is a fixmap address, a compile-time mapping" { virt_to_phys(0xfffef000) }
---
# vmalloc (rules 6): the size rounds up to whole pages, one guard page
# follows, the lowest free range of the vmalloc area is taken, and the
# pages come one at a time from HighMem first (__GFP_HIGHMEM is added):
# HighMem starts at pfn 0x38000.
v = vmalloc(8K)
assert v == 0xf8800000 and is_vmalloc_addr(v)
print v
assert output() == "0xf8800000 (vmalloc area of 8192 bytes)\n"
p0 = vmalloc_to_page(v)
p1 = vmalloc_to_page(v + 4K + 5)
assert p0.pfn == 0x38000 and p1.pfn == 0x38001 and p0.zone.name == "HighMem"
assert p0.owner == "vmalloc" and PageHighMem(p0) and page_address(p0) == NULL
# Consecutive frames on a fresh machine, by chance.
assert phys_contiguous(v)
# The guard page, and addresses no area covers, map nothing.
assert vmalloc_to_page(v + 8K) == NULL and vmalloc_to_page(0xf8900000) == NULL
# 5000 bytes take 2 pages; the area starts after v's guard page: 0xf8803000.
w = vmalloc(5000)
assert w == 0xf8803000 and vmalloc_to_page(w).pfn == 0x38002
# 1 byte takes 1 page: the area is 8K with its guard.
x = vmalloc(1)
assert x == 0xf8806000 and vmalloc_to_page(x).pfn == 0x38004
# /proc/vmallocinfo: size including the guard page, the caller, pages=N.
show vmallocinfo
assert output() == "0xf8800000-0xf8803000   12288 testdata/vm.mms:92:5 pages=2 vmalloc\n0xf8803000-0xf8806000   12288 testdata/vm.mms:105:5 pages=2 vmalloc\n0xf8806000-0xf8808000    8192 testdata/vm.mms:108:5 pages=1 vmalloc\n"
vfree(v)
vfree(w)
vfree(x)
check
vmalloc_to_page(0xc1000000) ### `vmalloc_to_page: 0xc1000000 is not in the vmalloc area \(0xf8800000-0xff7fe000\)`
---
# vmalloc's page table: pgd_index(0xf8800000) = 0xf88 >> 2 = 994. The PGD
# is at 0xc02ff000 (end of the kernel image), so the entry is at 0xc02ff000
# + 994 * 4 = 0xc02fff88. The first vmalloc allocates its vm_struct (a
# kmalloc-64 slab at pfn 0x1000), its vmap_area (the vmap_area cache's slab
# at 0x1001), the page array (2 * 4 bytes, a kmalloc-8 slab at 0x1002) and
# then the PTE table (GFP_PGTABLE_KERNEL, Normal: pfn 0x1003): _PAGE_TABLE
# = 0x67. Each PTE is PAGE_KERNEL: present|rw|accessed|dirty|global = 0x163
# (2-level has no NX).
v = vmalloc(8K)
write(v + 0x123, 7)
show vtop v + 0x123
assert output() == "VIRTUAL   PHYSICAL\nf8800123  38000123\n\nPAGE DIRECTORY: c02ff000 (init_mm)\n  PGD: c02fff88 => 1003067   [index 994]\n  PTE: c1003000 => 38000163   [index 0]\n PAGE: 38000000\n\n  PTE       PHYSICAL  FLAGS\n  38000163  38000000  (PRESENT|RW|ACCESSED|DIRTY|GLOBAL)\n\n  VMALLOC AREA: 0xf8800000-0xf8803000 12288 bytes (2 pages + guard)\n\n  PFN       PHYSICAL ZONE     CNT MAP OWNER\n  38000     38000000 HighMem    1   0 vmalloc\n\n  TLB: cpu 0 caches it (4KB entry)\n"
# The guard page: the walk stops at PTE index 2, 0xc1001000 + 2 * 4.
show vtop v + 8K
assert output() == "VIRTUAL   PHYSICAL\nf8802000  (not mapped)\n\nPAGE DIRECTORY: c02ff000 (init_mm)\n  PGD: c02fff88 => 1003067   [index 994]\n  PTE: c1003008 => 0   [index 2]\n\n(not mapped: PTE entry 2 is not present)\n"
# The direct map ends the walk at the PGD: a 4M page (PSE), global. The
# page table page of the walk above is a direct-map address too.
show vtop 0xc1003000
o = output()
assert "c1003000  1003000\n" in o and "  PGD: c02ffc10 => 10001e3   [index 772]\n PAGE: 1000000  (4MB)\n" in o
assert "(PRESENT|RW|ACCESSED|DIRTY|PSE|GLOBAL)" in o and "1003      1003000  Normal     1   0 pagetable" in o
vfree(v)
---
show vtop ### `show vtop takes an address and, for a user address, a process: show vtop ADDR \[PID\]`
---
show vtop "0xf8800000" ### `show vtop: want an address, not string`
---
show vtop 0xf8800000, 0xf8801000 ### `show vtop: 0xf8800000 is a kernel address: every process shares the kernel half, so no PID`
---
show vtop -1 ### `show vtop: address -1 is negative`
---
show vtop alloc_page(GFP_KERNEL) ### `show vtop: want an address, not page`
---
show vtop 0x1000 ### `show vtop: 0x1000 is a user address: no process is running on cpu 0`
---
show vtop 0x100000000 ### `show vtop: 0x100000000 is above 4 GiB: not a 32-bit address`
---
machine x86_64 mem=8G
show vtop 0x800000000000 ### `show vtop: 0x800000000000 is not a canonical address \(bits 48 and up must all equal bit 47\)`
---
# Sizes: 0 warns and returns NULL; more than RAM (261376 pages, 1G does
# not fit) is "exceeds total pages"; 200M fits RAM but not the 111M vmalloc
# area: the vmap warning counts the guard page, 200M + 4K = 209719296.
assert vmalloc(0) == NULL
assert "vmalloc(0): WARN_ON_ONCE(!size) in __vmalloc_node_range, returning NULL" in warnings()
assert vmalloc(1G) == NULL
assert "mmsim: vmalloc error: size 1073741824, exceeds total pages, mode:0xcc0(GFP_KERNEL), nodemask=(null),cpuset=/,mems_allowed=0" in warnings()
assert vmalloc(200M) == NULL
w = warnings()
assert "vmap allocation for size 209719296 failed: use vmalloc=<size> to increase size" in w
assert "vmalloc error: size 209715200, vm_struct allocation failed, mode:0xcc0(GFP_KERNEL)" in w
# __GFP_NOWARN silences both.
assert __vmalloc(200M, GFP_KERNEL | __GFP_NOWARN) == NULL and __vmalloc(1G, GFP_KERNEL | __GFP_NOWARN) == NULL
assert warnings() == ""
# The whole area is 0xFF7FE000 - 0xF8800000 = 0x6FFE000 bytes = 28670
# pages. n pages take n + 1 with the guard, and their page array (4n
# bytes, above a page) is a vmalloc area too: ceil(n / 1024) + 1 pages.
# n + ceil(n / 1024) + 2 <= 28670 holds up to n = 28640 (28640 + 28 + 2);
# the array then ends exactly at VMALLOC_END.
big = vmalloc(28640 * 4K)
assert big == 0xf8800000
show vmallocinfo
o = output()
assert "0xf8800000-0xff7e1000 117313536 " in o and "0xff7e1000-0xff7fe000  118784 " in o
vfree(big)
vm_unmap_aliases()
# n = 28641 reserves its area, but its 114564-byte array (28 pages + guard
# = 118784) no longer fits: the nested vmalloc fails, then the outer one
# with the kernel's "failed to allocated page array" (sic), and all it took
# is given back.
free = nr_free_pages()
assert vmalloc(28641 * 4K) == NULL
w = warnings()
assert "vmap allocation for size 118784 failed" in w
assert "vmalloc error: size 114564, vm_struct allocation failed, mode:0xdc0(GFP_KERNEL|__GFP_ZERO)" in w
assert "vmalloc error: size 117313536, failed to allocated page array size 114564, mode:0xcc2(GFP_KERNEL|__GFP_HIGHMEM)" in w
assert nr_free_pages() == free
show vmallocinfo
assert output() == ""
check
vmalloc(-1) ### `vmalloc: size -1 is negative`
---
vmalloc("8K") ### `vmalloc: argument size must be an int, not string`
---
vzalloc() ### `vzalloc: missing argument size`
---
__vmalloc(4096) ### `__vmalloc: missing argument gfp`
---
__vmalloc(4096, -1) ### `__vmalloc: -1 is not a GFP mask`
---
__vmalloc(4096, "GFP_KERNEL") ### `__vmalloc: argument gfp must be an int, not string`
---
__vmalloc(4096, GFP_DMA | __GFP_HIGHMEM) ### `BUG: VM_BUG_ON in gfp_zone\(\): __GFP_DMA\|__GFP_HIGHMEM is no valid zone combination`
---
__vmalloc(4096, GFP_KERNEL | 0x200) ### `kernel BUG: gfp mask 0x2ec2 has bits no GFP flag uses \(0x200\)`
---
# vzalloc and vmalloc_user clear their pages (__GFP_ZERO); vmalloc_user
# marks the area VM_USERMAP ("user" in vmallocinfo). __vmalloc with GFP_DMA
# takes DMA pages: no __GFP_HIGHMEM is added when a zone modifier is set.
# DMA's first free frame is pfn 0x300 (pages.mms). GFP_DMA32 on x86 (no
# DMA32 zone) means Normal, whose first free frame after the slabs of the
# vm_struct (0x1000), the vmap_area (0x1001) and the page array (0x1002)
# and the PTE table (0x1003) is 0x1004.
machine x86 mem=1G
v = vmalloc(4K)
write(v, 0xff)
vfree(v)
vm_unmap_aliases()
z = vzalloc(4K)
assert vmalloc_to_page(z).pfn == 0x38000 and read(z) == 0
u = vmalloc_user(4K)
d = __vmalloc(8K, GFP_DMA)
assert [vmalloc_to_page(d).pfn, vmalloc_to_page(d + 4K).pfn] == [0x300, 0x301]
assert vmalloc_to_page(d).zone.name == "DMA"
n = __vmalloc(4K, GFP_DMA32)
assert vmalloc_to_page(n).zone.name == "Normal" and vmalloc_to_page(n).pfn == 0x1004
h = __vmalloc(4K, GFP_KERNEL)
assert vmalloc_to_page(h).zone.name == "HighMem"
show vmallocinfo
assert output() == "0xf8800000-0xf8802000    8192 testdata/vm.mms:227:5 pages=1 vmalloc\n0xf8802000-0xf8804000    8192 testdata/vm.mms:229:5 pages=1 vmalloc user\n0xf8804000-0xf8807000   12288 testdata/vm.mms:230:5 pages=2 vmalloc\n0xf8807000-0xf8809000    8192 testdata/vm.mms:233:5 pages=1 vmalloc\n0xf8809000-0xf880b000    8192 testdata/vm.mms:235:5 pages=1 vmalloc\n"
---
# x86_64: GFP_DMA32 is a real zone (below 4G, from pfn 0x1000 on this
# machine), GFP_DMA below 16M (pfn 0x300 first); vmalloc's default pages
# come from Normal (from pfn 0x100000 = 4G), after the slabs of the
# vm_struct (72 bytes: kmalloc-96), the vmap_area and the page array
# (2 pointers of 8 bytes: kmalloc-16) took pfns 0x100000 to 0x100002. vmalloc starts
# at 0xffffc90000000000; vmallocinfo prints 16 digits and N0= (a NUMA kernel).
machine x86_64 mem=8G
v = vmalloc(8K)
assert v == 0xffffc90000000000
assert vmalloc_to_page(v).zone.name == "Normal" and vmalloc_to_page(v).pfn == 0x100003
assert virt_to_page(0xffff888100000000).flags == ["slab"]
d32 = __vmalloc(8K, GFP_DMA32)
assert d32 == 0xffffc90000003000
assert [vmalloc_to_page(d32).pfn, vmalloc_to_page(d32 + 4K).pfn] == [0x1000, 0x1001]
assert vmalloc_to_page(d32).zone.name == "DMA32"
d = __vmalloc(4K, GFP_DMA)
assert vmalloc_to_page(d).zone.name == "DMA" and vmalloc_to_page(d).pfn == 0x300
show vmallocinfo
assert output() == "0xffffc90000000000-0xffffc90000003000   12288 testdata/vm.mms:247:5 pages=2 vmalloc N0=2\n0xffffc90000003000-0xffffc90000006000   12288 testdata/vm.mms:251:7 pages=2 vmalloc N0=2\n0xffffc90000006000-0xffffc90000008000    8192 testdata/vm.mms:255:5 pages=1 vmalloc N0=1\n"
# split_vaddr of VMALLOC_START: pgd_index = 0xc90000000000 >> 39 = 0x192 = 402.
assert split_vaddr(v) == {"pgd": 402, "pud": 0, "pmd": 0, "pte": 0, "offset": 0}
---
# The page array is sizeof(struct page *) = 4 bytes per page on x86: up to
# 1024 pages it is kmalloc()ed; 1025 pages need 4100 bytes, more than a
# page, so the array is vmalloc()ed itself (2 pages + guard) right after
# the area (4M + 4K + the guard = 0x402000 bytes), and the area is "vpages".
big = vmalloc(4M + 4K)
assert big == 0xf8800000
show vmallocinfo
assert output() == "0xf8800000-0xf8c02000 4202496 testdata/vm.mms:266:7 pages=1025 vmalloc vpages\n0xf8c02000-0xf8c05000   12288 testdata/vm.mms:266:7 pages=2 vmalloc\n"
# 1024 pages: a 4096-byte array, kmalloc-4k, no vpages.
v = vmalloc(4M)
assert v == 0xf8c05000
show vmallocinfo
assert "0xf8c05000-0xf9006000 4198400 testdata/vm.mms:271:5 pages=1024 vmalloc\n" in output()
vfree(big)
show vmallocinfo
assert output() == "0xf8c05000-0xf9006000 4198400 testdata/vm.mms:271:5 pages=1024 vmalloc\n0xf8800000-0xf8c02000 4202496 unpurged vm_area\n0xf8c02000-0xf8c05000   12288 unpurged vm_area\n"
---
# vfree (rules 6): NULL does nothing; an address that starts no live area
# warns and changes nothing; a freed area is unmapped at once, but its
# addresses wait for the lazy TLB purge ("unpurged vm_area").
v = vmalloc(4K)
free = nr_free_pages()
vfree(NULL)
vfree(0)
assert warnings() == ""
vfree(v + 4)
assert "Trying to vfree() nonexistent vm area (0xf8800004)" in warnings()
vfree(0xc1000000)
assert "Trying to vfree() nonexistent vm area (0xc1000000)" in warnings()
assert nr_free_pages() == free and vmalloc_to_page(v) != NULL
vfree(v)
assert nr_free_pages() == free + 1 and vmalloc_to_page(v) == NULL
show vmallocinfo
assert output() == "0xf8800000-0xf8802000    8192 unpurged vm_area\n"
# A second vfree finds no live area.
vfree(v)
assert "Trying to vfree() nonexistent vm area (0xf8800000)" in warnings()
# The frame is reused at once (the buddy allocator's LIFO), the addresses
# are not: the next area goes after the unpurged one.
w = vmalloc(4K)
assert w == 0xf8802000 and vmalloc_to_page(w).pfn == 0x38000
# vm_unmap_aliases purges: one flush_tlb_kernel_range of the purged range,
# 2 pages, on each of the 2 CPUs: 2 invlpg each, and no vmstat event, since
# do_kernel_range_flush() counts none.
vm_unmap_aliases()
show vmstat
o = output()
assert "nr_tlb_remote_flush 0\nnr_tlb_remote_flush_received 0\nnr_tlb_local_flush_all 0\nnr_tlb_local_flush_one 0\n" in o
assert "mmsim_tlb_invlpg 4\nmmsim_tlb_full_flushes 0\n" in o
assert vmalloc(4K) == 0xf8800000
show vmallocinfo
assert not ("unpurged" in output())
vfree("0xf8800000") ### `vfree: argument addr must be an address \(int or ptr\), not string`
---
vfree(-4096) ### `vfree: argument addr must not be negative \(got -4096\)`
---
vfree(alloc_page(GFP_KERNEL)) ### `vfree: argument addr must be an address \(int or ptr\), not page`
---
vm_unmap_aliases(0) ### `vm_unmap_aliases takes at most 0 arguments`
---
# The lazy purge runs by itself once more than lazy_max_pages() =
# fls(cpus) * 32M / 4K pages wait: on 1 CPU, 8192. A 32M area is 8192 pages
# + the guard = 8193, and its 32K page array (8192 * 4 bytes) is a vmalloc
# area of its own (8 pages + guard): 8202 pages > 8192 purge at vfree.
machine x86 mem=1G cpus=1
v = vmalloc(4K)
vfree(v)
show vmallocinfo
assert output() == "0xf8800000-0xf8802000    8192 unpurged vm_area\n"
big = vmalloc(32M)
assert big == 0xf8802000
vfree(big)
show vmallocinfo
assert output() == ""
# One flush of the purged span, 0xf8800000 to the end of the array area,
# far more than 33 pages: on_each_cpu(do_flush_tlb_all), a full flush that
# counts one flush received, on the only CPU.
show vmstat
o = output()
assert "nr_tlb_remote_flush 0\nnr_tlb_remote_flush_received 1\nnr_tlb_local_flush_all 0\n" in o
assert "mmsim_tlb_full_flushes 1\n" in o
---
# On 2 CPUs lazy_max_pages() is fls(2) * 8192 = 16384 pages: the 8202
# pages of a 32M area and its array stay unpurged.
machine x86 mem=1G cpus=2
big = vmalloc(32M)
vfree(big)
show vmallocinfo
assert output() == "0xf8800000-0xfa801000 33558528 unpurged vm_area\n0xfa801000-0xfa80a000   36864 unpurged vm_area\n"
---
# Context rules (rules 6): vmalloc never runs in interrupt context
# (BUG_ON(in_interrupt())); vfree there is deferred to a workqueue
# (vfree_atomic): the area stays, mapped, until the interrupt is over.
v = vmalloc(4K)
irq {
  vfree(v)
  assert vmalloc_to_page(v).pfn == 0x38000
  show vmallocinfo
  assert output() == "0xf8800000-0xf8802000    8192 testdata/vm.mms:355:5 pages=1 vmalloc\n"
  vfree(NULL)
  # The workqueue takes the address as it is: a bad one is found out
  # only when it runs, after the interrupt.
  vfree(0x1234)
  assert warnings() == ""
  expect bug "vmalloc() called in interrupt context (BUG_ON(in_interrupt()) in __get_vm_area_node)" { vmalloc(4K) }
}
assert "Trying to vfree() bad address (0x1234)" in warnings()
# Back in process context the workqueue freed it: lazily, as any vfree.
show vmallocinfo
assert output() == "0xf8800000-0xf8802000    8192 unpurged vm_area\n"
assert vmalloc_to_page(v) == NULL
softirq { expect bug "vzalloc() called in interrupt context" { vzalloc(4K) } }
# With a spinlock held, vmalloc(GFP_KERNEL) and vfree may sleep: BUGs.
w = vmalloc(4K)
atomic { expect bug "sleeping function called from invalid context" { vmalloc(4K) } }
atomic { vfree(w) } ### `BUG: sleeping function called from invalid context at mm/vmalloc.c: vfree\(\)`
---
# kvmalloc (mm/util.c): kmalloc first; above a page without retrying hard
# and quietly (__GFP_NORETRY|__GFP_NOWARN), then vmalloc if the mask may
# sleep. Small sizes are direct-map addresses, big ones vmalloc addresses.
k = kvmalloc(100, GFP_KERNEL)
assert not is_vmalloc_addr(k) and virt_to_page(k).zone.name == "Normal"
print k
assert output() == format("%s (kvmalloc of 100 bytes, from kmalloc)\n", hex(k))
k2 = kvzalloc(8K, GFP_KERNEL)
assert not is_vmalloc_addr(k2) and read(k2 + 8191) == 0
# 8M is above kmalloc's limit (order 11 > MAX_PAGE_ORDER): no warning, vmalloc.
v = kvmalloc(8M, GFP_KERNEL)
assert warnings() == ""
assert v == 0xf8800000 and is_vmalloc_addr(v)
print v
assert output() == "0xf8800000 (kvmalloc of 8388608 bytes, from vmalloc)\n"
z = kvzalloc(8M, GFP_KERNEL)
assert is_vmalloc_addr(z) and read(z + 8M - 8, 8) == 0
# GFP_ATOMIC cannot fall back to vmalloc: NULL, without a warning.
assert kvmalloc(8M, GFP_ATOMIC) == NULL and kvmalloc(8M, GFP_NOWAIT) == NULL
assert warnings() == ""
# A page or less still works from kmalloc with GFP_ATOMIC.
assert not is_vmalloc_addr(kvmalloc(4096, GFP_ATOMIC))
assert kvmalloc(0, GFP_KERNEL) == ZERO_SIZE_PTR
kvfree(v)
kvfree(z)
kvfree(k)
kvfree(k2)
kvfree(NULL)
show vmallocinfo
assert output() == "0xf8800000-0xf9001000 8392704 unpurged vm_area\n0xf9001000-0xf9004000   12288 unpurged vm_area\n0xf9004000-0xf9805000 8392704 unpurged vm_area\n0xf9805000-0xf9808000   12288 unpurged vm_area\n"
kvmalloc(-1, GFP_KERNEL) ### `kvmalloc: size -1 is negative`
---
kvmalloc(100) ### `kvmalloc: missing argument gfp`
---
kvzalloc(100, "GFP_KERNEL") ### `kvzalloc: argument gfp must be an int, not string`
---
kvfree("p") ### `kvfree: argument addr must be an address \(int or ptr\), not string`
---
kvfree(0x1234) ### `kvfree: 0x1234 is not an address kmalloc returned`
---
atomic { kvmalloc(100, GFP_KERNEL) } ### `sleeping function called from invalid context at mm/page_alloc.c: kvmalloc\(GFP_KERNEL\) may sleep`
---
# kfree of a vmalloc address is a BUG: no slab is behind it.
v = vmalloc(4K)
kfree(v) ### `kernel BUG: kfree\(0xf8800000\): a vmalloc address has no slab behind it \(use vfree; kvfree\(\) tells the two apart\)`
---
# read, write and touch go through the MMU: a write that crosses a page
# boundary lands in two frames that need not be adjacent.
a = vmalloc(4K)
v = vmalloc(8K)
assert v == 0xf8802000
write(v + 4095, 0x1234, 2)
assert read(v + 4095) == 0x34 and read(v + 4096) == 0x12 and read(v + 4095, 2) == 0x1234
write(v + 8K - 8, -1, 8)
assert read(v + 8K - 8, 8) == -1 and read(v + 8K - 1) == 0xff
touch v
touch v + 4K write
touch(v + 100, "write")
# 2-level has no NX bit: a vmalloc page is executable.
touch v exec
assert vzalloc(4K) != NULL
# The guard page after v (at v + 8K) is the oops.
expect bug "unable to handle page fault for address: 0xf8804000: the guard page after the vmalloc area at 0xf8802000 (#PF: supervisor read access in kernel mode, error_code(0x0000) - not-present page; PTE entry not present)" { read(v + 8K) }
expect bug "0xf8804000: the guard page after the vmalloc area at 0xf8802000 (#PF: supervisor write access in kernel mode, error_code(0x0002) - not-present page" { write(v + 8K - 1, 0, 2) }
expect bug "0xf8804000: the guard page after the vmalloc area at 0xf8802000 (#PF: supervisor instruction fetch in kernel mode, error_code(0x0010)" { touch v + 8K exec }
# The guard after a: at 0xf8801000.
touch a + 4K ### `kernel BUG: unable to handle page fault for address: 0xf8801000: the guard page after the vmalloc area at 0xf8800000 \(#PF: supervisor read access`
---
# After vfree the TLB may still cache the page (the flush is lazy), and a
# read through it still reaches the freed frame; once the entry is gone
# the access is the oops.
v = vmalloc(4K)
write(v, 7)
vfree(v)
assert read(v) == 7
flush_tlb_all()
read(v) ### `unable to handle page fault for address: 0xf8800000: a vmalloc area that was vfree\(\)d \(#PF: supervisor read access in kernel mode, error_code\(0x0000\) - not-present page; PTE entry not present\)`
---
v = vmalloc(4K)
read(v, 3) ### `read: size 3 is not 1, 2, 4 or 8`
---
write(vmalloc(4K), 256) ### `write: 256 does not fit in 1 byte`
---
read("0xf8800000") ### `read: argument addr must be an address \(int or ptr\), not string`
---
write(vmalloc(4K), "x") ### `write: argument value must be an int, not string`
---
touch(vmalloc(4K), "fetch") ### `touch: "fetch" is not read, write or exec`
---
touch(vmalloc(4K), 1) ### `touch: argument kind must be a string, not int`
---
read(0xc0000000 - 1) ### `read: 0xbfffffff is a user address, and no process is running on cpu 0: spawn one`
---
read(8) ### `kernel BUG: kernel NULL pointer dereference, address: 00000008 \(read of 1 bytes\)`
---
# An instruction fetch gets the same checks as a read or a write.
touch 0 exec ### `kernel BUG: kernel NULL pointer dereference, address: 00000000 \(touch of 1 bytes\)`
---
touch 0x1000 exec ### `touch: 0x1000 is a user address, and no process is running on cpu 0`
---
# Beyond 4G there is no address on x86: the script's mistake.
read(0x100000000) ### `read: 0x100000000 is above 4 GiB: not a 32-bit address`
---
# The last bytes of the address space: the access starts in the fixmap
# hole (index 0, never mapped), which faults before anything wraps.
read(0xfffffffe, 4) ### `unable to handle page fault for address: 0xfffffffe \(#PF: supervisor read access`
---
machine x86_64 mem=8G
read(0xfffffffffffffff9, 8) ### `unable to handle page fault for address: 0xfffffffffffffff9 \(#PF: supervisor read access`
---
# kmap (rules 7): a lowmem page needs no slot: kmap gives page_address().
low = alloc_page(GFP_KERNEL)
assert kmap(low) == page_address(low) and kmap(low) == 0xc1000000
kunmap(low)
kunmap(low)
kunmap(low)
# A highmem page gets a pkmap slot: the scan starts after last_pkmap_nr 0,
# so slot 1, PKMAP_BASE + 4K = 0xff801000; the count is 1 (mapped) + 1 per
# user; page_address() finds it there.
pg = alloc_page(GFP_HIGHUSER)
assert pg.pfn == 0x38000
a = kmap(pg)
assert a == 0xff801000 and page_address(pg) == a
print a
assert output() == "0xff801000 (kmap of pfn 0x38000)\n"
assert kmap(pg) == a
write(a + 10, 0x5a)
assert read(a + 10) == 0x5a
show pkmap
assert output() == "pkmap: 1024 slots at 0xff800000, 1 in use, last_pkmap_nr 1, flush_all_zero_pkmaps flushes 0\n  SLOT  VIRTUAL     COUNT  PFN       USERS\n     1  0xff801000      3  38000     2\nkmap_local stack: 0 mappings, 0 of 15 slots\n"
# A second page takes slot 2.
pg2 = alloc_page(GFP_HIGHUSER)
assert kmap(pg2) == 0xff802000
kunmap(pg)
kunmap(pg)
# No users left, but the slot stays mapped (count 1) until the scan wraps.
assert page_address(pg) == a and read(a + 10) == 0x5a
show pkmap
assert "     1  0xff801000      1  38000     0 (mapped until the next wrap)\n     2  0xff802000      2  38001     1\n" in output()
expect bug "kunmap_high(): pkmap slot 1 (pfn 0x38000) has no users left: more kunmap() than kmap() calls" { kunmap(pg) }
pg3 = alloc_page(GFP_HIGHUSER)
expect bug "kunmap_high(): pfn 0x38002 is not kmap()ed (page_address() is NULL)" { kunmap(pg3) }
# kmap and kunmap may sleep.
atomic { expect bug "sleeping function called from invalid context" { kmap(pg3) } }
irq { expect bug "sleeping function called from invalid context" { kunmap(pg2) } }
# A failed kmap or kunmap changed nothing.
show pkmap
assert "2 in use, last_pkmap_nr 2," in output()
assert page_address(pg3) == NULL
check
kmap(0xc1000000) ### `kmap: want a page, not int`
---
kmap("page") ### `kmap: want a page, not string`
---
kunmap(NULL) ### `kunmap: want a page, not NULL`
---
kmap() ### `kmap: missing argument page`
---
kmap(pfn_to_page(0x38000)) ### `BUG: kmap: pfn 0x38000 is a free page`
---
# kmap_atomic and kmap_local_page (rules 7) take per-CPU fixmap slots
# FIX_KMAP_BEGIN (16) + idx + 16 * cpu, at FIXADDR_TOP - slot * 4K: cpu 0
# idx 0 is 0xfffff000 - 16 * 0x1000 = 0xfffef000, idx 1 0xfffee000; cpu 1
# idx 0 is 0xfffff000 - 32 * 0x1000 = 0xfffdf000.
pg = alloc_page(GFP_HIGHUSER)
pg2 = alloc_page(GFP_HIGHUSER)
b = kmap_atomic(pg)
assert b == 0xfffef000
print b
assert output() == "0xfffef000 (kmap_atomic of pfn 0x38000)\n"
# Not recorded for page_address().
assert page_address(pg) == NULL
write(b, 0x77)
show context
assert output() == "process context on cpu 0, kmap_atomic held (atomic: may not sleep)\n"
expect bug "sleeping function called from invalid context" { alloc_page(GFP_KERNEL) }
expect bug "sleeping function called from invalid context" { kmap(pg2) }
# The unmap must match the map.
expect error "kunmap_local: 0xfffef000 was mapped with kmap_atomic; undo it with kunmap_atomic" { kunmap_local(b) }
kunmap_atomic(b + 0x123)
show context
assert output() == "process context on cpu 0 (may sleep)\n"
assert alloc_page(GFP_KERNEL) != NULL
c = kmap_local_page(pg)
assert c == 0xfffef000 and read(c) == 0x77
expect error "kunmap_atomic: 0xfffef000 was mapped with kmap_local_page; undo it with kunmap_local" { kunmap_atomic(c) }
d = kmap_local_page(pg2)
assert d == 0xfffee000
# kmap_local_page disables migration.
expect error "kmap_local_page() mappings are held, and they disable migration" { cpu 1 { } }
show pkmap
assert output() == "pkmap: 1024 slots at 0xff800000, 0 in use, last_pkmap_nr 0, flush_all_zero_pkmaps flushes 0\nkmap_local stack: 2 mappings, 2 of 15 slots\n   0  0xfffef000  pfn 38000    cpu 0  kmap_local_page (fixmap idx 16)\n   1  0xfffee000  pfn 38001    cpu 0  kmap_local_page (fixmap idx 17)\n"
# Out of order: the kernel's LIFO warning; the model unmaps the named one.
kunmap_local(c)
assert "kunmap_local_indexed(): unmapping 0xfffef000, but the top of the kmap stack is 0xfffee000: kmap_local/kmap_atomic mappings must be undone in reverse order (LIFO)" in warnings()
kunmap_local(d)
assert warnings() == ""
# Addresses not on the stack.
expect error "kunmap_local: 0xfffef000 is not an address kmap_local_page() or kmap_atomic() returned (nothing on the kmap stack)" { kunmap_local(c) }
expect error "kunmap_atomic: 0xff801000 is not an address kmap_local_page() or kmap_atomic() returned" { kunmap_atomic(0xff801000) }
# On CPU 1 the slots are CPU 1's.
cpu 1 {
  e = kmap_local_page(pg)
  assert e == 0xfffdf000 and read(e) == 0x77
  kunmap_local(e)
}
# A lowmem page takes no slot: its direct-map address.
low = alloc_page(GFP_KERNEL)
assert kmap_atomic(low) == page_address(low)
show context
assert "kmap_atomic held" in output()
kunmap_atomic(page_address(low))
f = kmap_local_page(pg)
assert kmap_local_page(low) == page_address(low)
show pkmap
assert "kmap_local stack: 2 mappings, 1 of 15 slots\n" in output()
kunmap_local(page_address(low))
kunmap_local(f)
check
kunmap_local("0xfffef000") ### `kunmap_local: argument addr must be an address \(int or ptr\), not string`
---
kunmap_atomic(alloc_page(GFP_HIGHUSER)) ### `kunmap_atomic: argument addr must be an address \(int or ptr\), not page`
---
kmap_atomic(0xfffef000) ### `kmap_atomic: want a page, not int`
---
kmap_local_page(NULL) ### `kmap_local_page: want a page, not NULL`
---
kunmap_local(0xfffef000) ### `kunmap_local: 0xfffef000 is not an address kmap_local_page\(\) or kmap_atomic\(\) returned`
---
# The stack: kmap_local_idx_push() increments the index first and BUGs once
# it reaches KM_MAX_IDX (16), so 15 mappings fit; the 15th is at fixmap
# slot 16 + 14 = 30, 0xfffff000 - 30 * 0x1000 = 0xfffe1000. The failed push
# maps nothing; undoing them in reverse order draws no warning.
pages = []
for i in 0..16 { append(pages, alloc_page(GFP_HIGHUSER)) }
addrs = []
for i in 0..15 { append(addrs, kmap_local_page(pages[i])) }
assert addrs[0] == 0xfffef000 and addrs[14] == 0xfffe1000
expect bug "kmap_local_idx_push(): kmap_local_page would be mapping 16 of this task, which reaches KM_MAX_IDX (16)" { kmap_local_page(pages[15]) }
expect bug "kmap_local_idx_push(): kmap_atomic would be mapping 16" { kmap_atomic(pages[15]) }
assert translate(0xfffe0000) == "PTE entry not present"
show pkmap
assert "kmap_local stack: 15 mappings, 15 of 15 slots\n" in output()
check
for i in 0..15 { kunmap_local(addrs[14 - i]) }
assert warnings() == ""
show pkmap
assert "kmap_local stack: 0 mappings, 0 of 15 slots\n" in output()
---
# kmap with every slot taken: the kernel sleeps until a kunmap(), which a
# single task never does. Slots 1..1023, then slot 0 after the wrap (no
# count-1 slot to free, so no flush), then none.
pages = []
for i in 0..1024 { append(pages, alloc_page(GFP_HIGHUSER)) }
for p in pages { kmap(p) }
assert page_address(pages[0]) == 0xff801000 and page_address(pages[1022]) == 0xff800000 + 1023 * 4K
assert page_address(pages[1023]) == 0xff800000
show pkmap
assert "pkmap: 1024 slots at 0xff800000, 1024 in use, last_pkmap_nr 0, flush_all_zero_pkmaps flushes 0\n" in output()
last = alloc_page(GFP_HIGHUSER)
kmap(last) ### `kmap: all 1024 pkmap slots are in use: kmap_high\(\) would sleep on pkmap_map_wait until someone calls kunmap\(\), but the script is the only task, so it would wait forever \(deadlock\)`
---
# PAE: 512 slots at 0xffc00000; the first kmap takes slot 1.
machine x86 mem=1G paging=pae
pg = alloc_page(GFP_HIGHUSER)
assert kmap(pg) == 0xffc01000
show pkmap
assert output() == "pkmap: 512 slots at 0xffc00000, 1 in use, last_pkmap_nr 1, flush_all_zero_pkmaps flushes 0\n  SLOT  VIRTUAL     COUNT  PFN       USERS\n     1  0xffc01000      2  38000     1\nkmap_local stack: 0 mappings, 0 of 15 slots\n"
---
# x86_64 has no highmem (rules 7): all three return the direct-map address
# (GFP_HIGHUSER means Normal: pfn 0x100000, at 0xffff888100000000) and take
# no slot; kmap_atomic still disables preemption.
machine x86_64 mem=8G
pg = alloc_page(GFP_HIGHUSER)
a = kmap(pg)
assert a == 0xffff888100000000 and a == page_address(pg)
b = kmap_atomic(pg)
assert b == a
show context
assert "kmap_atomic held" in output()
expect bug "sleeping function called from invalid context" { vmalloc(4K) }
kunmap_atomic(b)
c = kmap_local_page(pg)
assert c == a
show pkmap
assert output() == "no highmem: kmap, kmap_atomic and kmap_local_page return the direct-map address\n"
kunmap_local(c)
kunmap(pg)
kunmap(pg)
---
# translate runs the MMU of the current CPU: the TLB first, then a walk
# that fills it; a fault is a string.
v = vmalloc(8K)
flush_tlb_all()
assert translate(v + 0x10) == 0x38000010
assert translate(v + 0x20, "read") == 0x38000020
assert translate(v + 4K, access="write") == 0x38001000
# 2-level has no NX: exec works.
assert translate(v, "exec") == 0x38000000
show tlb 0
o = output()
assert "cpu 0: 2 of 64 entries, cr3 init_mm\n  hits 2  misses 2  evictions 0  invlpg 0  full flushes 1  cr3 loads 0\n  vmstat: local_flush_all 0  local_flush_one 0  remote_flush 1  remote_flush_received 1\n" in o
# Faults: the guard page's PTE, an unmapped PGD entry (user space), a
# non-canonical address; none fills the TLB.
assert translate(v + 8K) == "PTE entry not present"
assert translate(0x1000) == "PGD entry not present"
assert translate(0x100000000) == "general protection fault: 0x100000000 is not a canonical address"
# The direct map: one 4M entry covers the whole page.
assert translate(0xc1234567) == 0x1234567
show tlb 0
assert "cpu 0: 3 of 64 entries, cr3 init_mm\n  hits 2  misses 6  evictions 0  invlpg 0  full flushes 1  cr3 loads 0\n" in output()
# CPU 1's TLB is its own.
cpu 1 { assert translate(v) == 0x38000000 }
show tlb 1
assert "cpu 1: 1 of 64 entries, cr3 init_mm\n  hits 0  misses 1  evictions 0  invlpg 0  full flushes 1  cr3 loads 0\n" in output()
translate(v, "fetch") ### `translate: "fetch" is not read, write or exec`
---
translate(0xf8800000, 1) ### `translate: argument access must be a string, not int`
---
translate("0xf8800000") ### `translate: argument addr must be an address \(int or ptr\), not string`
---
translate(0xf8800000, kind="read") ### `translate has no parameter named kind`
---
# split_vaddr by hand (rules 8). 0xc1234567:
#   2-level (10/10/12): pgd = 0xc1234567 >> 22 = 0x304 = 772,
#     pte = (0xc1234567 >> 12) & 0x3ff = 0xc1234 & 0x3ff = 0x234 = 564,
#     offset = 0x567 = 1383;
#   PAE (2/9/9/12): pgd = bits 31-30 = 3, pmd = (>> 21) & 0x1ff =
#     0x609 & 0x1ff = 9, pte = (>> 12) & 0x1ff = 0xc1234 & 0x1ff = 0x34 = 52;
#   4-level: pgd = bits 47-39 = 0, pud = bits 38-30 = 3, pmd 9, pte 52;
#   5-level: pgd = bits 56-48 = 0, p4d = 0, then as 4-level.
a = 0xc1234567
assert split_vaddr(a) == {"pgd": 772, "pte": 564, "offset": 1383}
assert split_vaddr(a, "2level") == {"pgd": 772, "pte": 564, "offset": 1383}
assert split_vaddr(a, "pae") == {"pgd": 3, "pmd": 9, "pte": 52, "offset": 1383}
assert split_vaddr(a, "4level") == {"pgd": 0, "pud": 3, "pmd": 9, "pte": 52, "offset": 1383}
assert split_vaddr(a, paging="5level") == {"pgd": 0, "p4d": 0, "pud": 3, "pmd": 9, "pte": 52, "offset": 1383}
# The top of the 32-bit space: every index at its maximum.
assert split_vaddr(0xffffffff) == {"pgd": 1023, "pte": 1023, "offset": 4095}
assert split_vaddr(0xffffffff, "pae") == {"pgd": 3, "pmd": 511, "pte": 511, "offset": 4095}
# x86_64 0xffff8881c0a01234: the low 48 bits 0x8881c0a01234;
#   pgd = >> 39 = 0x111 = 273, pud = (>> 30) & 0x1ff = 0x22207 & 0x1ff = 7,
#   pmd = (>> 21) & 0x1ff = 0x4440e05 & 0x1ff = 5,
#   pte = (>> 12) & 0x1ff = 0x8881c0a01 & 0x1ff = 1, offset 0x234 = 564.
b = 0xffff8881c0a01234
assert split_vaddr(b, "4level") == {"pgd": 273, "pud": 7, "pmd": 5, "pte": 1, "offset": 564}
# 5-level: the same address is canonical (bits 63-57 equal bit 56 = 1):
#   pgd = (>> 48) & 0x1ff = 0xffff & 0x1ff = 511, p4d = (>> 39) & 0x1ff = 0x111.
assert split_vaddr(b, "5level") == {"pgd": 511, "p4d": 273, "pud": 7, "pmd": 5, "pte": 1, "offset": 564}
# 2^47 is canonical with 5 levels only: p4d = 2^47 >> 39 = 256.
assert split_vaddr(0x800000000000, "5level") == {"pgd": 0, "p4d": 256, "pud": 0, "pmd": 0, "pte": 0, "offset": 0}
assert split_vaddr(0xffff800000000000, "4level")["pgd"] == 256
expect error "0x800000000000 is not a canonical 4level address" { split_vaddr(0x800000000000, "4level") }
expect error "0x100000000000000 is not a canonical 5level address" { split_vaddr(0x100000000000000, "5level") }
expect error "0xff00000000000000 is not a canonical 4level address" { split_vaddr(0xff00000000000000, "4level") }
expect error "0x100000000 is not a canonical pae address" { split_vaddr(0x100000000, "pae") }
split_vaddr(0x100000000) ### `split_vaddr: 0x100000000 is not a canonical 2level address`
---
split_vaddr(0xc0000000, "3level") ### `split_vaddr: unknown paging mode "3level" \(want 2level, pae, 4level or 5level\)`
---
split_vaddr(0xc0000000, 4) ### `split_vaddr: argument paging must be a string, not int`
---
split_vaddr("0xc0000000") ### `split_vaddr: argument addr must be an address \(int or ptr\), not string`
---
split_vaddr() ### `split_vaddr: missing argument addr`
---
# On an x86_64 machine the default format is 4-level.
machine x86_64 mem=8G
# 0xffff888012345678: pgd 273, pud = (0x888012345678 >> 30) & 0x1ff = 0x22200
# & 0x1ff = 0, pmd = (0x12345678 >> 21) & 0x1ff = 0x91 = 145, pte = 0x12345
# & 0x1ff = 0x145 = 325, offset 0x678 = 1656.
assert split_vaddr(0xffff888012345678) == {"pgd": 273, "pud": 0, "pmd": 145, "pte": 325, "offset": 1656}
---
machine x86_64 mem=8G paging=5level
# 0xff11000000000000 (5-level PAGE_OFFSET): pgd = 0xff11 & 0x1ff = 0x111.
assert split_vaddr(0xff11000000000000) == {"pgd": 273, "p4d": 0, "pud": 0, "pmd": 0, "pte": 0, "offset": 0}
---
# set_memory_ro/rw/nx/x change 4K kernel mappings and flush the range on
# every CPU (cpa_flush: up to 33 pages by invlpg).
v = vmalloc(8K)
write(v, 1)
write(v + 4K, 2)
cpu 1 { touch v write }
set_memory_ro(v, 2)
# 2 pages, 2 CPUs: 4 invlpg, and no vmstat event (on_each_cpu() of
# __cpa_flush_tlb counts none).
show vmstat
o = output()
assert "nr_tlb_remote_flush 0\nnr_tlb_remote_flush_received 0\nnr_tlb_local_flush_all 0\nnr_tlb_local_flush_one 0\n" in o
assert "mmsim_tlb_invlpg 4\nmmsim_tlb_full_flushes 0\n" in o
assert read(v) == 1 and read(v + 4K) == 2
assert translate(v + 4K, "write") == "protection fault: a write to a read-only page"
expect bug "unable to handle page fault for address: 0xf8800000 (#PF: supervisor write access in kernel mode, error_code(0x0003) - permissions violation; protection fault: a write to a read-only page)" { write(v, 5) }
cpu 1 { expect bug "permissions violation" { touch v + 4K write } }
show vtop v
assert "  38000161  38000000  (PRESENT|ACCESSED|DIRTY|GLOBAL)\n" in output()
set_memory_rw(v, 1)
write(v, 5)
assert read(v) == 5
expect bug "permissions violation" { write(v + 4K, 5) }
set_memory_rw(v + 4K, 1)
write(v + 4K, 6)
# A range running into the guard page changes nothing.
expect error "set_memory_ro: 0xf8802000 is not mapped (PTE entry 2 is not present)" { set_memory_ro(v, 3) }
write(v, 7)
# The direct map's 4M pages would have to be split: refused.
expect error "set_memory_ro: 0xc1000000 is mapped by a 4MB page; the model does not split large pages" { set_memory_ro(0xc1000000, 1) }
expect error "set_memory_ro: 0xf8800800 is not page aligned" { set_memory_ro(v + 0x800, 1) }
# numpages 0 has nothing to do (change_page_attr_set_clr returns 0).
set_memory_x(v, 0)
expect error "set_memory_nx: numpages -1 is negative" { set_memory_nx(v, -1) }
expect error "set_memory_rw: numpages 1099511627776 is too large" { set_memory_rw(v, 1 << 40) }
expect error "set_memory_ro: 0x1000: only kernel addresses can change attributes" { set_memory_ro(0x1000, 1) }
# A kmap slot is a 4K mapping too.
pg = alloc_page(GFP_HIGHUSER)
a = kmap(pg)
set_memory_ro(a, 1)
expect bug "permissions violation" { write(a, 1) }
set_memory_rw(a, 1)
write(a, 1)
# 2-level has no NX bit: set_memory_nx changes nothing there.
set_memory_nx(v, 1)
touch v exec
set_memory_x(v, 1)
check
set_memory_ro("v", 1) ### `set_memory_ro: argument addr must be an address \(int or ptr\), not string`
---
set_memory_ro(0xf8800000, "1") ### `set_memory_ro: argument numpages must be an int, not string`
---
set_memory_ro(0xf8800000) ### `set_memory_ro: missing argument numpages`
---
set_memory_nx(0xf8800000, 1) ### `set_memory_nx: 0xf8800000 is not mapped \(PGD entry 994 is not present\)`
---
# PAE has NX: vmalloc memory is PAGE_KERNEL, non-executable.
machine x86 mem=1G paging=pae
v = vmalloc(4K)
assert translate(v, "exec") == "protection fault: an instruction fetch from a no-execute page"
expect bug "kernel tried to execute NX-protected page - exploit attempt? (uid: 0); unable to handle page fault for address: 0xf8800000 (#PF: supervisor instruction fetch in kernel mode, error_code(0x0011) - permissions violation" { touch v exec }
set_memory_x(v, 1)
touch v exec
show vtop v
assert "(PRESENT|RW|ACCESSED|DIRTY|GLOBAL)\n" in output()
set_memory_nx(v, 1)
touch v exec ### `kernel tried to execute NX-protected page`
---
# flush_tlb_kernel_range flushes every CPU: invlpg per page up to 33
# pages, counting no vmstat event (do_kernel_range_flush), a full flush
# above, which each CPU counts as a flush received (do_flush_tlb_all).
v = vmalloc(64K)
w = vmalloc(200K)
for i in 0..16 { touch v + i * 4K }
cpu 1 { touch v }
flush_tlb_kernel_range(v, v + 8K)
show tlb
o = output()
assert "cpu 0: 14 of 64 entries, cr3 init_mm\n  hits 0  misses 16  evictions 0  invlpg 2  full flushes 0  cr3 loads 0\n  vmstat: local_flush_all 0  local_flush_one 0  remote_flush 0  remote_flush_received 0\n" in o
assert "cpu 1: 0 of 64 entries, cr3 init_mm\n  hits 0  misses 1  evictions 0  invlpg 2  full flushes 0  cr3 loads 0\n  vmstat: local_flush_all 0  local_flush_one 0  remote_flush 0  remote_flush_received 0\n" in o
# 33 pages: 33 invlpg on each CPU; 34 pages: a full flush.
flush_tlb_kernel_range(w, w + 33 * 4K)
show vmstat
o = output()
assert "nr_tlb_remote_flush 0\nnr_tlb_remote_flush_received 0\nnr_tlb_local_flush_all 0\nnr_tlb_local_flush_one 0\n" in o
assert "mmsim_tlb_invlpg 70\nmmsim_tlb_full_flushes 0\n" in o
flush_tlb_kernel_range(w, w + 34 * 4K)
show tlb 0
assert "cpu 0: 0 of 64 entries, cr3 init_mm\n  hits 0  misses 16  evictions 0  invlpg 35  full flushes 1  cr3 loads 0\n  vmstat: local_flush_all 0  local_flush_one 0  remote_flush 0  remote_flush_received 1\n" == output()
# An empty range flushes nothing and counts nothing.
flush_tlb_kernel_range(v, v)
# end = TLB_FLUSH_ALL (-1 as an address) is a full flush.
flush_tlb_kernel_range(0, 0xffffffffffffffff)
# flush_tlb_all() counts nr_tlb_remote_flush on the caller, then a flush
# received on each CPU: 3 full flushes received per CPU in all.
flush_tlb_all()
show vmstat
assert "nr_tlb_remote_flush 1\nnr_tlb_remote_flush_received 6\nnr_tlb_local_flush_all 0\nnr_tlb_local_flush_one 0\n" in output()
flush_tlb_kernel_range(v + 4K, v) ### `flush_tlb_kernel_range: end 0xf8800000 is below start 0xf8801000`
---
flush_tlb_kernel_range(0xf8800000) ### `flush_tlb_kernel_range: missing argument end`
---
flush_tlb_kernel_range("0", 4096) ### `flush_tlb_kernel_range: argument start must be an address \(int or ptr\), not string`
---
flush_tlb_all(0) ### `flush_tlb_all takes at most 0 arguments`
---
# show tlb: the counters, then the entries, most recently used first.
machine x86 mem=1G cpus=2
v = vmalloc(8K)
k = kmalloc(100, GFP_KERNEL)
flush_tlb_all()
touch v
touch v + 4K write
touch k
touch v
show tlb 0
assert output() == "cpu 0: 3 of 64 entries, cr3 init_mm\n  hits 1  misses 3  evictions 0  invlpg 0  full flushes 1  cr3 loads 0\n  vmstat: local_flush_all 0  local_flush_one 0  remote_flush 1  remote_flush_received 1\n  VIRTUAL   PHYSICAL     SIZE  FLAGS\n  f8800000  38000000     4KB   PRESENT|RW|ACCESSED|DIRTY|GLOBAL\n  c1000000  1000000      4MB   PRESENT|RW|ACCESSED|DIRTY|PSE|GLOBAL\n  f8801000  38001000     4KB   PRESENT|RW|ACCESSED|DIRTY|GLOBAL\n"
show tlb
assert output() == "cpu 0: 3 of 64 entries, cr3 init_mm\n  hits 1  misses 3  evictions 0  invlpg 0  full flushes 1  cr3 loads 0\n  vmstat: local_flush_all 0  local_flush_one 0  remote_flush 1  remote_flush_received 1\n  VIRTUAL   PHYSICAL     SIZE  FLAGS\n  f8800000  38000000     4KB   PRESENT|RW|ACCESSED|DIRTY|GLOBAL\n  c1000000  1000000      4MB   PRESENT|RW|ACCESSED|DIRTY|PSE|GLOBAL\n  f8801000  38001000     4KB   PRESENT|RW|ACCESSED|DIRTY|GLOBAL\ncpu 1: 0 of 64 entries, cr3 init_mm\n  hits 0  misses 0  evictions 0  invlpg 0  full flushes 1  cr3 loads 0\n  vmstat: local_flush_all 0  local_flush_one 0  remote_flush 0  remote_flush_received 1\n"
show tlb 5 ### `show tlb: 5 is not a CPU \(the machine has CPUs 0 to 1\)`
---
show tlb -1 ### `show tlb: -1 is not a CPU \(the machine has CPUs 0 to 1\)`
---
show tlb "0" ### `show tlb: "0" is not a CPU`
---
show tlb 0, 1 ### `show tlb takes at most a CPU number: show tlb \[CPU\]`
---
show tlb -v ### `show tlb takes at most a CPU number`
---
# A small TLB evicts the least recently used entry.
machine x86 mem=1G tlb=2
v = vmalloc(12K)
touch v
touch v + 4K
touch v
touch v + 8K
show tlb 0
assert output() == "cpu 0: 2 of 2 entries, cr3 init_mm\n  hits 1  misses 3  evictions 1  invlpg 0  full flushes 0  cr3 loads 0\n  vmstat: local_flush_all 0  local_flush_one 0  remote_flush 0  remote_flush_received 0\n  VIRTUAL   PHYSICAL     SIZE  FLAGS\n  f8802000  38002000     4KB   PRESENT|RW|ACCESSED|DIRTY|GLOBAL\n  f8800000  38000000     4KB   PRESENT|RW|ACCESSED|DIRTY|GLOBAL\n"
---
# show vmstat on a fresh machine: 261376 free pages (3328 DMA + 225280
# Normal + 32768 HighMem, pages.mms), no page tables, nothing flushed.
show vmstat
assert output() == "nr_free_pages 261376\nnr_page_table_pages 0\npgfree 0\npgfault 0\npgmajfault 0\npswpin 0\npswpout 0\npgactivate 0\npgdeactivate 0\npgrefill 0\npgsteal_kswapd 0\npgsteal_direct 0\npgscan_kswapd 0\npgscan_direct 0\nallocstall 0\nkswapd_wakeups 0\noom_kill 0\nnr_tlb_remote_flush 0\nnr_tlb_remote_flush_received 0\nnr_tlb_local_flush_all 0\nnr_tlb_local_flush_one 0\nmmsim_tlb_hits 0\nmmsim_tlb_misses 0\nmmsim_tlb_invlpg 0\nmmsim_tlb_full_flushes 0\nmmsim_cow_copies 0\nmmsim_cow_reuses 0\nmmsim_zero_page_maps 0\nmmsim_forks 0\nmmsim_context_switches 0\n"
# vmalloc(4K) takes a HighMem page, the slab pages of its vm_struct
# (kmalloc-64), vmap_area and page array (kmalloc-8), and a PTE table: 5
# pages. vfree gives back the page (the slabs keep theirs): pgfree 1.
v = vmalloc(4K)
touch v
touch v
vfree(v)
show vmstat
assert output() == "nr_free_pages 261372\nnr_page_table_pages 1\npgfree 1\npgfault 0\npgmajfault 0\npswpin 0\npswpout 0\npgactivate 0\npgdeactivate 0\npgrefill 0\npgsteal_kswapd 0\npgsteal_direct 0\npgscan_kswapd 0\npgscan_direct 0\nallocstall 0\nkswapd_wakeups 0\noom_kill 0\nnr_tlb_remote_flush 0\nnr_tlb_remote_flush_received 0\nnr_tlb_local_flush_all 0\nnr_tlb_local_flush_one 0\nmmsim_tlb_hits 1\nmmsim_tlb_misses 1\nmmsim_tlb_invlpg 0\nmmsim_tlb_full_flushes 0\nmmsim_cow_copies 0\nmmsim_cow_reuses 0\nmmsim_zero_page_maps 0\nmmsim_forks 0\nmmsim_context_switches 0\n"
show vmstat 0 ### `show vmstat takes no arguments`
---
show vmallocinfo 0 ### `show vmallocinfo takes no arguments`
---
show pkmap "all" ### `show pkmap takes no arguments`
---
show layout -v ### `show layout takes no arguments`
---
# A wrong argument type is a plain error for every new built-in.
fns = [vmalloc, vzalloc, vmalloc_user, vfree, vmalloc_to_page, is_vmalloc_addr, phys_to_virt, virt_to_phys, kunmap_atomic, kunmap_local, translate, split_vaddr, kvfree, read, touch]
for f in fns {
  expect error "must be an" { f("0xf8800000") }
  expect error "must be an" { f([]) }
  expect error "negative" { f(-1) }
}
for f in [kmap, kunmap, kmap_atomic, kmap_local_page] {
  expect error "want a page, not string" { f("0xf8800000") }
  expect error "want a page, not ptr" { f(vmalloc(4K)) }
}
for f in [set_memory_ro, set_memory_rw, set_memory_nx, set_memory_x] {
  expect error "argument addr must be an address" { f("0xf8800000", 1) }
  expect error "argument numpages must be an int, not NULL" { f(0xf8800000, NULL) }
}
for f in [kvmalloc, kvzalloc, __vmalloc] {
  expect error "argument size must be an int, not string" { f("4096", GFP_KERNEL) }
  expect error "argument gfp must be an int" { f(4096, []) }
}
expect error "argument end must be an address" { flush_tlb_kernel_range(0, "1") }
expect error "argument value must be an int" { write(0xc1000000, NULL) }
expect error "argument size must be an int" { read(0xc1000000, "4") }
check
---
# vfree finds its area by containment (__find_vmap_area): a page-aligned
# address inside an area, its guard page included, frees the whole area;
# an unaligned one gets "bad address", then "nonexistent vm area".
v = vmalloc(12K)
vfree(v + 4K)
show vmallocinfo
assert output() == "0xf8800000-0xf8804000   16384 unpurged vm_area\n"
w = vmalloc(4K)
expect warn "Trying to vfree() bad address (0xf8804008)" { vfree(w + 8) }
assert "Trying to vfree() nonexistent vm area (0xf8804008)" in warnings()
vfree(w + 4K)
assert vmalloc_to_page(w) == NULL
---
# kvmalloc refuses sizes above INT_MAX with a warning, before trying
# anything (__kvmalloc_node: "Don't even allow crazy sizes").
machine x86_64 mem=8G
expect warn "size > INT_MAX" { assert kvmalloc(3G, GFP_KERNEL) == NULL }
warnings()
assert kvmalloc(3G, GFP_KERNEL | __GFP_NOWARN) == NULL
assert warnings() == ""
---
# x86_64's __pa() also translates the kernel image's own mapping at
# __START_KERNEL_map (0xffffffff80000000, physical 0).
machine x86_64 mem=1G
assert virt_to_phys(0xffffffff80101000) == 0x101000
virt_to_phys(0xffffffffa0000000) ### `virt_to_phys: 0xffffffffa0000000 is not a direct-map address`
---
# A set_memory range must not run past the top of the address space.
machine x86_64 mem=1G
set_memory_ro(0xfffffffffffff000, 2) ### `set_memory_ro: 2 pages from 0xfffffffffffff000 run past the top of the address space`
---
# An access that crosses a page boundary is split at it: each part goes
# through its own translation, since a vmalloc area's pages need not be
# neighbours in physical memory. Here the area gets frames 0x38000 and
# 0x38002 (0x38001 is b's), and b keeps its byte.
a = alloc_page(GFP_HIGHUSER)
b = alloc_page(GFP_HIGHUSER)
c = alloc_page(GFP_HIGHUSER)
__free_page(a)
__free_page(c)
v = vmalloc(8K)
assert vmalloc_to_page(v).pfn == 0x38000 and vmalloc_to_page(v + 4K).pfn == 0x38002
x = kmap(b)
write(x, 0x77)
write(v + 4094, 0x11223344, 4)
assert read(v + 4094, 4) == 0x11223344
assert read(v + 4096) == 0x22 and read(x) == 0x77
---
# A cpu block may not end while it holds a kmap_local_page slot of its
# CPU (migrate_disable()): an error at the block's end, after which the
# mapping can still be undone. A lowmem page takes no slot and blocks
# nothing.
hi = alloc_page(GFP_HIGHUSER)
lo = alloc_page(GFP_KERNEL)
l = kmap_local_page(lo)
cpu 1 { touch l }
kunmap_local(l)
expect error "keeps the task on CPU 1 (migrate_disable()) until kunmap_local()" {
  cpu 1 { a = kmap_local_page(hi) }
}
write(a, 5)
kunmap_local(a)
check
expect bug "scheduling while atomic: the cpu 1 block ends with kmap_atomic()" {
  cpu 1 { b = kmap_atomic(hi) }
}
kunmap_atomic(b)
check
---
# vmalloc may sleep whatever the mask (alloc_vmap_area()'s might_sleep()):
# with a spinlock held even GFP_ATOMIC is a BUG. Without highmem kunmap()
# is empty, so it may be called there.
atomic { __vmalloc(4K, GFP_ATOMIC) } ### `sleeping function called from invalid context at mm/vmalloc.c: alloc_vmap_area\(\)`
---
machine x86_64 mem=1G
p = alloc_page(GFP_KERNEL)
kmap(p)
atomic { kunmap(p) }
atomic { kmap(p) } ### `sleeping function called from invalid context at include/linux/highmem-internal.h: kmap\(\)`
---
# vmalloc(0) warns once (WARN_ON_ONCE), and returns NULL every time.
expect warn "WARN_ON_ONCE(!size)" { assert vmalloc(0) == NULL }
warnings()
assert vmalloc(0) == NULL
assert warnings() == ""
---
# set_memory_rw on a page that is writable already changes no entry, so
# nothing is flushed (no CPA_FLUSHTLB); 34 pages go through flush_tlb_all().
v = vmalloc(136K)
set_memory_rw(v, 2)
show vmstat
assert "mmsim_tlb_invlpg 0\nmmsim_tlb_full_flushes 0\nmmsim_cow_copies 0\nmmsim_cow_reuses 0\nmmsim_zero_page_maps 0\nmmsim_forks 0\nmmsim_context_switches 0\n" in output()
set_memory_ro(v, 34)
show vmstat
assert "nr_tlb_remote_flush 1\nnr_tlb_remote_flush_received 2\n" in output()
---
# kmap_atomic disables preemption whatever the page: a cpu block that ends
# holding one, even of a lowmem page, is "scheduling while atomic".
lo = alloc_page(GFP_KERNEL)
expect bug "scheduling while atomic: the cpu 1 block ends with kmap_atomic()" {
  cpu 1 { a = kmap_atomic(lo) }
}
kunmap_atomic(a)
check
---
# Frames a kernel mapping is built on cannot be freed behind its back: a
# vmalloc page (vfree frees it) and a page table are "Bad page state" BUGs,
# as a slab's page is. (The kernel would free them and map a free frame.)
v = vmalloc(4K)
expect bug "Bad page state: __free_page of pfn 0x38000, a page of a vmalloc area" { __free_page(vmalloc_to_page(v)) }
expect bug "a page table (PG_table)" { __free_page(pfn_to_page(0x1003)) }
# vmalloc's own objects are vfree's to free: the page array (kmalloc-8),
# the vm_struct, the vmap_area; and its cache is the kernel's.
expect bug "the object is the page array of the vmalloc area at 0xf8800000" { kfree(0xc1002000) }
expect bug "the object is the vm_struct of the vmalloc area at 0xf8800000" { kfree(0xc1000000) }
expect bug "the object is the vmap_area of the vmalloc area at 0xf8800000" { kmem_cache_free(kmem_cache("vmap_area"), 0xc1001000) }
expect bug "vmap_area is the kernel's own cache, which is never destroyed" { kmem_cache_destroy(kmem_cache("vmap_area")) }
vfree(v)
# A page mapped by kmap_local_page may be freed (a use after free the
# kernel does not notice either); the slot keeps it mapped.
p = alloc_page(GFP_HIGHUSER)
a = kmap_local_page(p)
__free_page(p)
check
kunmap_local(a)
---
# The page tables' entries are in their frames' memory too: the PGD entry
# show vtop reports reads back through the direct map.
machine x86_64 mem=1G
v = vmalloc(4K)
show vtop v
assert "  PGD: ffff8880002ffc90 => 1004067   [index 402]\n" in output()
assert read(0xffff8880002ffc90, 8) == 0x1004067
---
# A lowmem page may be on the kmap stack twice, once per kind: each unmap
# finds the mapping of its own kind.
machine x86_64 mem=1G
p = alloc_page(GFP_KERNEL)
a = kmap_atomic(p)
b = kmap_local_page(p)
kunmap_atomic(a)
kunmap_local(b)
show pkmap
assert output() == "no highmem: kmap, kmap_atomic and kmap_local_page return the direct-map address\n"
---
# A failed vmalloc gives back its vmalloc()ed page array at once too:
# nothing is left unpurged.
machine x86 mem=64M
assert __vmalloc(60M, GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN) == NULL
show vmallocinfo
assert output() == ""
---
# 2-level x86 has no NX: set_memory_nx changes no entry and flushes nothing.
v = vmalloc(8K)
touch v
set_memory_nx(v, 2)
show vmstat
assert "mmsim_tlb_invlpg 0\nmmsim_tlb_full_flushes 0\nmmsim_cow_copies 0\nmmsim_cow_reuses 0\nmmsim_zero_page_maps 0\nmmsim_forks 0\nmmsim_context_switches 0\n" in output()
---
# flush_tlb_kernel_range counts whole pages: 33 pages from an unaligned
# start touch 34, a full flush on each CPU.
v = vmalloc(40 * 4K)
flush_tlb_kernel_range(v + 0x100, v + 0x100 + 33 * 4K)
show vmstat
assert "nr_tlb_remote_flush 0\nnr_tlb_remote_flush_received 2\n" in output()
