# The buddy allocator, the textbook case (Silberschatz et al., Operating
# System Concepts, "Buddy system"): a 256 KiB segment, a 21 KiB request.
#
# A kernel image of 1792K (loaded at 1 MiB) ends at 2816 KiB = pfn 704, so
# boot hands the DMA zone to the buddy allocator from there, in the largest
# aligned blocks: 256 KiB at pfn 704 (order 6), 1 MiB at pfn 768 (order 8),
# then 4 MiB blocks (order 10).
machine x86 mem=64M kernel=1792K

show buddyinfo
dma = zone("DMA")
assert nr_free(dma, 6) == 1, "one 256 KiB block"

# 21 KiB is 6 pages; the buddy allocator deals in powers of two, so the
# request becomes order 3: 8 pages, 32 KiB (11 KiB lost to internal
# fragmentation).
order = get_order(21K)
print "21K needs order", order, "=", (PAGE_SIZE << order) / 1K, "KiB"

# No free block of order 3, 4 or 5: the smallest that fits is the 256 KiB
# block. It is split three times; each split keeps the lower half and puts
# the upper half on the free list one order down.
c_left = alloc_pages(GFP_DMA, order)
print "CL =", c_left, "at", page_address(c_left)
show buddyinfo

# The three upper halves, 128 KiB, 64 KiB and 32 KiB, are free blocks.
a_right = pfn_to_page(704 + 32)
b_right = pfn_to_page(704 + 16)
c_right = pfn_to_page(704 + 8)
for p in [a_right, b_right, c_right] { print " ", p }

# A buddy is found by flipping one bit of the frame number: pfn ^ (1 << order).
assert (page_to_pfn(c_left) ^ (1 << 3)) == page_to_pfn(c_right)
assert (704 ^ (1 << 4)) == page_to_pfn(b_right)

# Freeing CL coalesces it with CR into 64 KiB, that with BR into 128 KiB,
# and that with AR back into the original 256 KiB block.
__free_pages(c_left, order)
show buddyinfo
assert nr_free(dma, 6) == 1 and nr_free(dma, 3) == 0

# The same block is handed out again: free lists are LIFO.
again = alloc_pages(GFP_DMA, order)
assert again == c_left
__free_pages(again, order)

# Freeing a block twice is a kernel BUG, caught here so the script goes on.
expect bug "already free" { __free_pages(c_left, order) }
