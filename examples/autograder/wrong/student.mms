# A plausible but wrong submission, kept to show what the tests catch.
# Its mistakes, and the tests they fail:
#   buddy_order uses <= where < belongs: an exact power of two gets one
#     order too many (4096 -> 1).
#   kmalloc_cache_name only knows the power-of-two caches: it forgets
#     kmalloc-96 and kmalloc-192 (72 -> kmalloc-128).
#   cow_after_fork never checks its arguments (k > n goes through).
# pages_touched is right.

fn buddy_order(size) {
  if size < 1 { fail(format("buddy_order: invalid size %d", size)) }
  if size > PAGE_SIZE << 10 { fail(format("buddy_order: invalid size %d", size)) }
  order = 0
  while (PAGE_SIZE << order) <= size { order += 1 }
  return order
}

fn kmalloc_cache_name(size) {
  if size < 1 or size > 8192 { fail(format("kmalloc_cache_name: invalid size %d", size)) }
  n = 8
  while n < size { n *= 2 }
  if n >= 1024 { return format("kmalloc-%dk", n / 1024) }
  return format("kmalloc-%d", n)
}

fn pages_touched(addr, len) {
  if len < 0 { fail(format("pages_touched: invalid length %d", len)) }
  if len == 0 { return 0 }
  return (addr + len - 1) / PAGE_SIZE - addr / PAGE_SIZE + 1
}

fn cow_after_fork(n, k) {
  return [n - k, k]
}
