# Tests of buddy_order(size). The reference answer is the page allocator
# itself: above 8 KiB kmalloc has no cache and takes a block of
# get_order(size) pages from the buddy allocator, so the block it gets
# shows which order the size needs.
machine x86_64 mem=256M
use "student.mms"

test "buddy_order: one page or less" points=1 tags=["buddy"] {
  for size in [1, 100, 2048, 4095] {
    assert buddy_order(size) == 0, format("%d bytes fit in one page", size)
  }
}

# The output of this test is checked line by line against the comments.
test "buddy_order: powers of two and one byte more" points=2 tags=["buddy"] {
  for size in [4K, 4K + 1, 8K, 8K + 1, 64K, 1M, 4M] {
    print size, "->", buddy_order(size)
  }
  # expect: 4096 -> 0
  # expect: 4097 -> 1
  # expect: 8192 -> 1
  # expect: 8193 -> 2
  # expect: 65536 -> 4
  # expect: 1048576 -> 8
  # expect: 4194304 -> 10
}

test "buddy_order: agrees with the page allocator" points=2 visibility="hidden" tags=["buddy", "model"] {
  for size in [8K + 1, 12K, 16K, 16K + 1, 20000, 64K, 100000, 256K - 1, 1M, 3M, 4M] {
    free = nr_free_pages()
    p = kmalloc(size, GFP_KERNEL)
    taken = free - nr_free_pages()
    order = buddy_order(size)
    assert taken == 1 << order, format("kmalloc(%d) took a block of %d pages, but buddy_order says order %d", size, taken, order)
    assert ksize(p) == PAGE_SIZE << order
    kfree(p)
  }
  # Small sizes: the block of the student's order holds the size, and the
  # block one order smaller would not.
  for size in [1, 4096, 5000, 8192] {
    order = buddy_order(size)
    pg = alloc_pages(GFP_KERNEL, order)
    assert pg.order == order
    assert (PAGE_SIZE << order) >= size
    assert order == 0 or (PAGE_SIZE << (order - 1)) < size, format("%d bytes fit in an order-%d block", size, order - 1)
    __free_pages(pg, order)
  }
}

test "buddy_order: rejects sizes no block holds" points=1 tags=["buddy", "errors"] {
  assert buddy_order(1) == 0, "a valid size must still work"
  expect error "invalid" { buddy_order(-4096) }
  expect error "invalid" { buddy_order(4M + 1) }
  # The model agrees: no block is larger than order 10.
  assert kmalloc(4M + 1, GFP_KERNEL | __GFP_NOWARN) == NULL
  buddy_order(0)    # expect-error: invalid
}
