# Swapping under memory pressure. A process writes more anonymous pages
# than the machine has. The page allocator's fast path checks each zone's
# LOW watermark (get_page_from_freelist()); when every zone is below it,
# the slow path wakes kswapd (wake_all_kswapds()), which after the
# statement reclaims until some zone is above HIGH (balance_pgdat(),
# pgdat_balanced()). Reclaim takes pages from the tail of the inactive
# list (shrink_inactive_list()): a page used since the last look gets a
# second trip (folio_check_references()), an unused one goes to a swap
# slot (add_to_swap(), try_to_unmap() puts a swap entry in its PTE,
# swap_writepage()). A later touch of such a page is a major fault
# (do_swap_page()). Rules: linux-mm-facts.md sections 1 (watermarks) and
# 11; spec.md 16.6.
machine x86 mem=32M swap=32M

p = spawn("writer")
dma = zone("DMA")
normal = zone("Normal")
print "free pages:", nr_free_pages()
print "watermarks (min low high): DMA", dma.min, dma.low, dma.high, "- Normal", normal.min, normal.low, normal.high
print "DMA keeps", dma.protection[2], "more pages from allocations that could use Normal (lowmem_reserve)"

N = nr_free_pages() + 2048
buf = mmap(0, N * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS)

# Write page after page until kswapd frees something: the free count goes
# up after a write statement. kswapd was woken before that, each time an
# allocation found every zone below LOW; its first runs found only pages
# used once since they were written: each got PG_referenced and a second
# trip round the inactive list, nothing was freed, and kswapd gave up
# (kswapd_failures) while the allocations went on down to MIN. A later
# run finds those pages unused since and writes them to swap.
i = 0
while true {
  d = dma.free
  n = normal.free
  f = nr_free_pages()
  write buf + i * PAGE_SIZE, i % 256
  i += 1
  if nr_free_pages() > f { break }
}
print
print format("kswapd freed pages after page %d: before that write DMA had %d free (LOW %d + %d reserve), Normal %d (LOW %d)", i - 1, d, dma.low, dma.protection[2], n, normal.low)
print format("kswapd stopped above HIGH: DMA %d free, Normal %d (HIGH %d)", dma.free, normal.free, normal.high)
show swap
show lru

# Go on writing: kswapd keeps the zones between LOW and HIGH, and the
# oldest pages keep going to swap.
for j in i..N { write buf + j * PAGE_SIZE, j % 256 }
print
print "after", N, "pages: rss", p.rss, "pages, majflt", p.majflt
show swap
show lru

# The first pages were the oldest: they are in swap. Reading one is a
# major fault that reads the slot back; the data is intact.
before = p.majflt
v = read(buf + PAGE_SIZE)
print
print "read page 1:", v, "-", p.majflt - before, "major fault"
print "read page 1 again:", read(buf + PAGE_SIZE), "-", p.majflt - before, "major fault in all"

# vtop of a page still in swap: the PTE holds the swap entry (type 0,
# offset = the slot), not a frame.
show vtop buf + 2 * PAGE_SIZE
