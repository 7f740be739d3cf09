# kmalloc: the size classes, the 96 and 192 caches, and large requests.
# The numbers are those of a real x86_64 kernel with 2 CPUs.
machine x86_64 mem=256M cpus=2

# A 28-byte request lands in kmalloc-32: 4 bytes lost to rounding.
p = kmalloc(28, GFP_KERNEL)
print "kmalloc(28) =", p
print "ksize:", ksize(p)

# Sizes map to caches by the kernel's table: the 96 and 192 caches catch
# requests just above 64 and 128 bytes.
for size in [1, 8, 9, 24, 33, 65, 96, 97, 100, 129, 192, 193, 1000, 5000, 8192] {
  c = kmalloc_cache(size)
  print format("kmalloc(%4d) -> %-12s (%4d-byte objects, %3d per slab of %d pages)", size, c.name, c.object_size, c.objs_per_slab, 1 << c.order)
}

# The next allocation from kmalloc-32 is the next object in the same slab.
q = kmalloc(20, GFP_KERNEL)
print "kmalloc(20) =", q, "=", q - p, "bytes further"

# GFP_DMA requests have caches of their own.
d = kmalloc(100, GFP_DMA)
print "kmalloc(100, GFP_DMA) =", d, "in zone", virt_to_page(d).zone.name

# Above 8K there is no cache: kmalloc takes whole pages from the buddy
# allocator, as one compound page of order get_order(size).
free = nr_free_pages()
big = kmalloc(9000, GFP_KERNEL)
print "kmalloc(9000) =", big
print "ksize:", ksize(big), "- took", free - nr_free_pages(), "pages"
kfree(big)
print "after kfree the pages are back:", nr_free_pages() == free

# kmalloc(0) returns ZERO_SIZE_PTR, which is not NULL but may not be used.
z = kmalloc(0, GFP_KERNEL)
print "kmalloc(0) =", z, "(ZERO_SIZE_PTR), NULL?", z == NULL

show slabinfo
