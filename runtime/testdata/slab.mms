# kmalloc's size classes on x86_64 with 2 CPUs (machine 256M: no Normal
# zone, so slabs come from DMA32).
machine x86_64 mem=256M cpus=2
p = kmalloc(28, GFP_KERNEL)
assert ksize(p) == 32 and kmalloc_cache(28).name == "kmalloc-32"
print p
assert output() == "0xffff888001000000 (kmalloc-32 object 0, slab pfn 0x1000)\n"
assert kmalloc_cache(96).name == "kmalloc-96" and kmalloc_cache(100).name == "kmalloc-128"
assert kmalloc_cache(129).name == "kmalloc-192" and kmalloc_cache(193).name == "kmalloc-256"
assert kmalloc_cache(8192).name == "kmalloc-8k" and kmalloc_cache(8193) == NULL
assert kmalloc_cache(8, GFP_DMA).name == "dma-kmalloc-8"
assert kmalloc_cache(8, GFP_KERNEL | __GFP_RECLAIMABLE).name == "kmalloc-rcl-8"
assert kmalloc_cache(8, GFP_KERNEL_ACCOUNT).name == "kmalloc-cg-8"
c = kmalloc_cache(512)
assert [c.object_size, c.size, c.order, c.objs_per_slab, c.align] == [512, 512, 1, 16, 512]
c = kmalloc_cache(96)
assert [c.order, c.objs_per_slab, c.align] == [0, 42, 32]
assert kmalloc_size_roundup(28) == 32 and kmalloc_size_roundup(9000) == 16384
# The next object of the same cache is the next one in the slab.
q = kmalloc(20, GFP_KERNEL)
assert q - p == 32
kfree(p)
assert kmalloc(30, GFP_KERNEL) == p
---
# kmalloc(0), NULL and ZERO_SIZE_PTR.
z = kmalloc(0, GFP_KERNEL)
assert z == ZERO_SIZE_PTR and z == 16 and ksize(z) == 0
kfree(z)
kfree(NULL)
assert krealloc(NULL, 10, GFP_KERNEL) != NULL
---
# Above 8K kmalloc takes whole pages, a compound page, and kfree gives them back.
free = nr_free_pages()
big = kmalloc(9000, GFP_KERNEL)
assert ksize(big) == 16384 and nr_free_pages() == free - 4
assert virt_to_page(big).flags == ["head"]
kfree(big)
assert nr_free_pages() == free
assert kmalloc(4M + 1, GFP_KERNEL | __GFP_NOWARN) == NULL
---
# krealloc keeps the pointer while ksize suffices.
p = kmalloc(20, GFP_KERNEL)
assert krealloc(p, 32, GFP_KERNEL) == p
n = krealloc(p, 33, GFP_KERNEL)
assert n != p and ksize(n) == 64
expect bug "Object already free" { kfree(p) }
assert krealloc(n, 0, GFP_KERNEL) == ZERO_SIZE_PTR
---
# kmalloc never returns highmem: the flags are fixed up with a warning.
machine x86 mem=1G
p = kmalloc(64, GFP_HIGHUSER)
assert "Unexpected gfp: 0x2 (__GFP_HIGHMEM). Fixing up to gfp: 0x100cc0 (GFP_USER). Fix your code!" in warnings()
assert virt_to_page(p).zone.name == "Normal" and phys_contiguous(p)
assert virt_to_phys(p) == 0x1000000
---
p = kmalloc(64, GFP_KERNEL)
kfree(p + 8) ### `BUG: kfree: BUG kmalloc-64 \(Not tainted\): Invalid object pointer`
---
kfree(0x1234) ### `kfree: 0x1234 is not an address kmalloc returned`
---
atomic { kmalloc(8, GFP_KERNEL) } ### `sleeping function called from invalid context at mm/page_alloc.c: kmalloc\(GFP_KERNEL\) may sleep`
---
irq { assert kmalloc(8, GFP_ATOMIC) != NULL }
---
# A cache: slabs fill, go full, and come back through the partial lists.
machine x86_64 mem=256M cpus=1
c = kmem_cache_create("my_cache", 200, 0, SLAB_HWCACHE_ALIGN)
assert [c.object_size, c.size, c.align, c.order, c.objs_per_slab] == [200, 256, 64, 0, 16]
assert [c.min_partial, c.cpu_partial] == [5, 52]
objs = []
repeat 40 { append(objs, kmem_cache_alloc(c, GFP_KERNEL)) }
assert [c.num_slabs, c.full, c.partial, c.num_objs, c.active_objs] == [3, 2, 0, 48, 48]
for o in objs { kmem_cache_free(c, o) }
assert [c.num_slabs, c.full, c.partial] == [3, 0, 0]
assert kmem_cache_shrink(c) == 3 and c.num_slabs == 0
kmem_cache_destroy(c)
print c
assert output() == "cache my_cache (200-byte objects, destroyed)\n"
kmem_cache_alloc(c, GFP_KERNEL) ### `cache my_cache has been destroyed`
---
# Destroying a cache with objects left warns, and the cache stays.
c = kmem_cache_create("busy", 64)
p = kmem_cache_alloc(c, GFP_KERNEL)
kmem_cache_destroy(c)
assert "kmem_cache_destroy busy: Slab cache still has objects" in warnings()
assert kmem_cache("busy") == c
kmem_cache_free(c, p)
kmem_cache_destroy(c)
kmem_cache("busy") ### `no cache named "busy"`
---
# Freeing into the wrong cache warns and frees into the right one.
a = kmem_cache_create("a", 64)
b = kmem_cache_create("b", 64)
p = kmem_cache_alloc(a, GFP_KERNEL)
kmem_cache_free(b, p)
assert "kmem_cache_free: Wrong slab cache. b but object is from a" in warnings()
assert a.active_objs == a.objs_per_slab and a.num_slabs == 1 and b.num_slabs == 0
---
# Constructors run once per object when a slab is made, not on each allocation.
made = []
fn ctor(obj) { append(made, obj) }
c = kmem_cache_create("ctor_cache", 1000, 0, 0, ctor)
assert c.offset == 1000 and c.objs_per_slab == 16
p = kmem_cache_alloc(c, GFP_KERNEL)
assert len(made) == 16 and made[0] == p
kmem_cache_free(c, p)
p = kmem_cache_alloc(c, GFP_KERNEL)
assert len(made) == 16
---
assert kmem_cache_create("", 64) == NULL
assert "failed with error -22: the name is empty" in warnings()
assert kmem_cache_create("tiny", 2) == NULL
kmem_cache_create("x", 0, 0, SLAB_PANIC) ### `BUG: kmem_cache_create: Failed to create slab 'x'`
---
kmem_cache_create("x", 64, 0, 0, 5) ### `ctor must be a function, not int`
---
# slabinfo lists the newest cache first, in the kernel's columns. (x86:
# 4-byte pointers, so 100 bytes are laid out in 104.)
c = kmem_cache_create("demo", 100)
assert c.size == 104
p = kmem_cache_alloc(c, GFP_KERNEL)
show slabinfo
o = output()
assert "slabinfo - version: 2.1\n# name            <active_objs>" in o
assert "\ndemo                  39     39    100   39    1 : tunables    0    0    0 : slabdata      1      1      0\nanon_vma_chain" in o
# fork_init() and proc_caches_init() made the process caches, after
# vmalloc_init()'s vmap_area cache: 9 pointers, 36 bytes.
assert "\ntask_struct            0      0   3328    9    8 : tunables    0    0    0 : slabdata      0      0      0\nvmap_area" in o
assert "\nvmap_area              0      0     36  102    1 : tunables    0    0    0 : slabdata      0      0      0\nkmalloc-cg-8k" in o
---
# show slab draws each list; a free into a full slab puts it on the CPU's
# partial list, head first.
machine x86_64 mem=256M cpus=1
c = kmem_cache_create("demo", 1000)
objs = []
repeat 40 { append(objs, kmem_cache_alloc(c, GFP_KERNEL)) }
kmem_cache_free(c, objs[3])
kmem_cache_free(c, objs[20])
show slab c
assert output() == "cache demo: 1000-byte objects in 1000 bytes (align 8), 8 per order-1 slab, 192 bytes left over per slab\n5 slabs, 38 of 40 objects in use; min_partial 5, cpu_partial 52 (13 slabs)\n  cpu 0 active     pfn 0x1008   [########] 8/8\n  cpu 0 partial    pfn 0x1004   [####.###] 7/8\n  cpu 0 partial    pfn 0x1000   [###.####] 7/8\n  full             pfn 0x1002   [########] 8/8\n  full             pfn 0x1006   [########] 8/8\n"
show kmem -S "demo"
o = output()
assert "ffff888000106a00     1000         38        40      5     8k  demo\n  CPU 0 SLAB:\n" in o
assert "     ffff888001004fa0\n" in o and "  NODE 0 PARTIAL:\n    (empty)\n" in o
---
show slab "nope" ### `show slab: no cache named "nope"`
---
show slab ### `show slab needs one cache`
---
show kmem -S 5 ### `show kmem -S: want a cache or a cache's name, not int`
---
# slab=slab: the classic allocator with 2.6's general caches on x86.
machine x86 mem=64M slab=slab cpus=1
want = {32: [113, 0, 0], 64: [59, 0, 0], 128: [30, 0, 1], 192: [20, 0, 2], 256: [15, 0, 2], 512: [8, 0, 0], 1024: [4, 0, 0], 2048: [2, 0, 0], 4096: [1, 0, 0], 8192: [1, 1, 0], 131072: [1, 5, 0]}
for size, w in want {
  c = kmalloc_cache(size)
  assert c.name == "size-" + str(size), c.name
  assert [c.objs_per_slab, c.order, c.colour] == w, format("%s: %v", c.name, [c.objs_per_slab, c.order, c.colour])
}
assert kmalloc_cache(512).off_slab and not kmalloc_cache(256).off_slab
assert kmalloc_cache(20).name == "size-32" and kmalloc_cache(96).name == "size-128"
assert kmalloc_cache(100, GFP_DMA).name == "size-128(DMA)"
assert kmalloc_cache(131073) == NULL and kmalloc(131073, GFP_KERNEL) == NULL
c = kmalloc_cache(32)
assert [c.limit, c.batchcount] == [120, 60]
# The first allocation refills the CPU's array with 16 objects (the array
# was never touched) and hands out the last of them.
p = kmalloc(28, GFP_KERNEL)
print p
assert output() == "0xc10003c0 (size-32 object 15, slab pfn 0x1000)\n"
assert c.active_objs == 16 and c.partial == 1
---
# Slabs move between slabs_free, slabs_partial and slabs_full; frees go
# through the per-CPU array and reach the slabs in batches.
machine x86 mem=64M slab=slab cpus=1
c = kmem_cache_create("demo", 100, 0, SLAB_HWCACHE_ALIGN)
assert [c.size, c.objs_per_slab, c.colour, c.colour_off] == [128, 30, 1, 64]
objs = []
repeat 90 { append(objs, kmem_cache_alloc(c, GFP_KERNEL)) }
assert [c.full, c.partial, c.free, c.num_slabs] == [3, 0, 0, 3]
for o in objs { kmem_cache_free(c, o) }
# All 90 sit in the CPU's array (limit 120): the slabs still count them.
assert [c.full, c.partial, c.free, c.active_objs] == [3, 0, 0, 90]
show slab c
assert "cccccccccccccccccccccccccccccc] 30/30" in output()
assert kmem_cache_shrink(c) == 3 and c.num_slabs == 0
check
---
# Reaping: an untouched array gives back a fifth of its limit, and free
# slabs are destroyed unless one was taken since the last pass.
machine x86 mem=64M slab=slab cpus=1
c = kmem_cache_create("reapme", 2000)
assert [c.objs_per_slab, c.limit, c.batchcount] == [2, 24, 12]
objs = []
repeat 20 { append(objs, kmem_cache_alloc(c, GFP_KERNEL)) }
for o in objs { kmem_cache_free(c, o) }
assert c.num_slabs == 10
cache_reap()
assert c.num_slabs == 10   # the array was touched: the first pass only clears marks
n = cache_reap()
assert n > 0 and c.num_slabs == 10 - n
---
# debug=on: slub_debug on every cache: red zones, poison, free tracking.
machine x86_64 mem=256M debug=on
c = kmalloc_cache(32)
assert [c.size, c.objs_per_slab, c.offset, c.cpu_partial] == [96, 42, 40, 0]
p = kmalloc(32, GFP_KERNEL)
assert ksize(p) == 32
# Allocated objects are poisoned too (0x6b ... 0xa5); the red zone is active.
assert read(p) == 0x6b and read(p + 31) == 0xa5 and read(p + 32) == 0xcc and read(p - 1) == 0xcc
assert read(p, 8) == 0x6b6b6b6b6b6b6b6b
write p, 0x41
assert read(p) == 0x41
# Writing past the end lands in the red zone; kfree finds it and refuses.
write p + 32, 0x99
expect bug "Right Redzone overwritten" { kfree(p) }
assert ksize(p) == 32
---
# Use after free: the access is reported (KASAN) and goes on.
machine x86_64 mem=256M debug=on
q = kmalloc(64, GFP_KERNEL)
kfree(q)
expect warn "slab-use-after-free: Read of size 1" { v = read(q) }
assert v == 0x6b
expect warn "the object was freed at testdata/slab.mms:" { write q, 1 }
# The next allocation of that object finds the poison damaged.
expect warn "Poison overwritten" { r = kmalloc(64, GFP_KERNEL) }
assert r == q
---
# Without debugging, use after free is still reported; contents are zero
# until written.
p = kmalloc(16, GFP_KERNEL)
assert read(p) == 0
write(p, 0x1234, 2)
assert read(p, 2) == 0x1234 and read(p) == 0x34
kfree(p)
expect warn "slab-use-after-free" { read(p) }
---
read(0) ### `BUG: kernel NULL pointer dereference, address: 00000000 `
---
read(ZERO_SIZE_PTR, 4) ### `kernel NULL pointer dereference, address: 00000010 `
---
read(0x1000) ### `read: 0x1000 is a user address`
---
write(kmalloc(8, GFP_KERNEL), 256) ### `write: 256 does not fit in 1 byte`
---
read(kmalloc(8, GFP_KERNEL), 3) ### `read: size 3 is not 1, 2, 4 or 8`
---
# __GFP_ZERO gives zeroed pages.
p = __get_free_page(GFP_KERNEL)
write p, 7
free_page(p)
q = get_zeroed_page(GFP_KERNEL)
assert q == p and read(q) == 0
---
# kmem -S under SLAB lists the node's three lists; objects in a CPU's
# array are marked.
machine x86 mem=64M slab=slab cpus=1
c = kmem_cache_create("d", 1000)
p = kmem_cache_alloc(c, GFP_KERNEL)
show kmem -S c
o = output()
assert "  SLABS_FULL:\n    SLAB      MEMORY    NODE  TOTAL  ALLOCATED  FREE\n    c4020000  c1000030     0      4          4     0\n" in o
assert "     c1000030  (cpu cache)\n" in o and "    [c1000be8]\n" in o
---
# touch checks an access without data; kzalloc clears the object.
machine x86_64 mem=256M debug=on
p = kmalloc(32, GFP_KERNEL)
touch p
touch p write
kfree(p)
expect warn "slab-use-after-free: Write of size 1" { touch p write }
expect warn "slab-use-after-free: Read of size 1" { touch(p) }
z = kzalloc(32, GFP_KERNEL)
assert read(z, 8) == 0 and read(z + 31) == 0 and read(z + 32) == 0xcc
c = kmem_cache_create("zc", 40)
o = kmem_cache_zalloc(c, GFP_KERNEL)
assert read(o) == 0 and read(o + 39) == 0
touch p exec ### `kernel tried to execute NX-protected page`
---
# meminfo counts slab pages: reclaimable ones from SLAB_RECLAIM_ACCOUNT caches.
machine x86_64 mem=256M
repeat 100 { kmalloc(1000, GFP_KERNEL) }
kmalloc(9000, GFP_KERNEL)
c = kmem_cache_create("r", 64, 0, SLAB_RECLAIM_ACCOUNT)
kmem_cache_alloc(c, GFP_KERNEL)
show meminfo
o = output()
assert "\nKReclaimable:          4 kB\nSlab:                132 kB\nSReclaimable:          4 kB\nSUnreclaim:          128 kB\n" in o
---
# With 32 MiB of RAM or less, SLAB stops at order 0 unless nothing fits.
machine x86 mem=16M slab=slab
c = kmem_cache_create("small", 1184)
assert [c.order, c.objs_per_slab] == [0, 3]
---
# Above 32 MiB it may go to order 1 to waste at most 1/8.
machine x86 mem=64M slab=slab
c = kmem_cache_create("small", 1184)
assert [c.order, c.objs_per_slab] == [1, 6]
---
# write checks its size before the value: a bad size is an error, not a crash.
p = kmalloc(8, GFP_KERNEL)
write(p, 0, -1) ### `write: size -1 is not 1, 2, 4 or 8`
---
write(kmalloc(8, GFP_KERNEL), 5, 0) ### `write: size 0 is not 1, 2, 4 or 8`
---
# krealloc copies the old object's bytes into the new one.
p = kmalloc(8, GFP_KERNEL)
write(p, 0x41)
write(p + 7, 0x42)
n = krealloc(p, 100, GFP_KERNEL)
assert n != p and read(n) == 0x41 and read(n + 7) == 0x42
big = krealloc(n, 9000, GFP_KERNEL)
assert read(big) == 0x41 and read(big + 7) == 0x42
kfree(big)
---
# A krealloc whose old pointer cannot be freed fails before it allocates.
p = kmalloc(20, GFP_KERNEL)
expect bug "Invalid object pointer" { krealloc(p + 8, 100, GFP_KERNEL) }
assert kmalloc_cache(100).num_slabs == 0
free = nr_free_pages()
big = kmalloc(9000, GFP_KERNEL)
expect bug "not its start" { krealloc(big + 8, 20000, GFP_KERNEL) }
assert nr_free_pages() == free - 4
---
machine x86_64 mem=256M debug=on
p = kmalloc(32, GFP_KERNEL)
write p + 32, 0x99
expect bug "Right Redzone overwritten" { krealloc(p, 100, GFP_KERNEL) }
assert kmalloc_cache(100).num_slabs == 0
---
# Sizes beyond all memory fail as the kernel fails them: NULL, with the page
# allocator's warning unless __GFP_NOWARN; a bad cache size is NULL too.
machine x86_64 mem=256M
assert kmalloc(2T, GFP_KERNEL | __GFP_NOWARN) == NULL
expect warn "above MAX_PAGE_ORDER" { assert kzalloc(1 << 50, GFP_KERNEL) == NULL }
p = kmalloc(8, GFP_KERNEL)
write(p, 7)
assert krealloc(p, 2T, GFP_KERNEL | __GFP_NOWARN) == NULL and read(p) == 7 and ksize(p) == 8
assert kmem_cache_create("huge", 2T) == NULL
assert "kmem_cache_create(huge) failed with error -22: size 2199023255552 is outside 8..4194304" in warnings()
expect warn "above MAX_PAGE_ORDER" { assert kmalloc_array(2T, 1, GFP_KERNEL) == NULL }
assert kcalloc(2T, 0, GFP_KERNEL) == ZERO_SIZE_PTR
---
# A constructor initialises free objects: its writes are no use after free.
fn init(p) { write(p, 7) }
c = kmem_cache_create("ctor_plain", 32, 0, 0, init)
p = kmem_cache_alloc(c, GFP_KERNEL)
q = kmem_cache_alloc(c, GFP_KERNEL)
assert read(p) == 7 and read(q) == 7
assert warnings() == ""
kmem_cache_free(c, q)
expect warn "slab-use-after-free" { read(q) }
---
# Under slub_debug a cache with a constructor is not poisoned (no
# __OBJECT_POISON), so allocations keep what the constructor wrote.
machine x86_64 mem=256M debug=on
fn init(p) { write(p, 7) }
c = kmem_cache_create("ctor_debug", 32, 0, 0, init)
p = kmem_cache_alloc(c, GFP_KERNEL)
q = kmem_cache_alloc(c, GFP_KERNEL)
assert read(p) == 7 and read(q) == 7 and read(q + 32) == 0xcc
assert warnings() == ""
---
# The allocation's own warnings are reported at the allocation, not at a
# statement of the constructor that runs after it.
machine x86 mem=1G
fn init(p) { write(p, 1) }
c = kmem_cache_create("ctor_warn", 2000, 0, 0, init)
p = kmem_cache_alloc(c, GFP_HIGHUSER)
w = warnings()
assert "slab.mms:370:5: warning: Unexpected gfp" in w, w
---
# A constructor that fails fails the allocation, which gives its object back.
fn bad(p) { fail("no constructor today") }
c = kmem_cache_create("ctor_fails", 64, 0, 0, bad)
expect error "no constructor today" { kmem_cache_alloc(c, GFP_KERNEL) }
kmem_cache_destroy(c)
assert not ("still has objects" in warnings())
---
# A slab's pages belong to the slab layer: freeing them with __free_pages is
# the kernel's "Bad page state", and nothing changes.
p = kmalloc(8, GFP_KERNEL)
expect bug "Bad page state" { __free_pages(virt_to_page(p), 0) }
expect bug "Bad page state" { free_page(p) }
check
assert virt_to_page(p).flags == ["slab"]
kfree(p)
---
# kmem -S of one of two caches with the same name shows that cache's line.
a = kmem_cache_create("dup", 64)
b = kmem_cache_create("dup", 64)
p = kmem_cache_alloc(a, GFP_KERNEL)
show kmem -S a
o = output()
assert "       64          1        64      1     4k  dup\n" in o, o
---
# An access is checked over all its bytes: one that runs into a freed
# object is a use after free.
p = kmalloc(32, GFP_KERNEL)
q = kmalloc(32, GFP_KERNEL)
assert q == p + 32
kfree(q)
expect warn "slab-use-after-free: Read of size 4 at addr c100001e" { read(p + 30, 4) }
expect warn "slab-use-after-free: Write of size 8" { write(p + 28, 0, 8) }
warnings()
read(p + 28, 4)
assert warnings() == ""
