# Reference solution of the mmsim memory-management assignment.
# (Instructors only: do not hand this folder out.)

# The smallest order whose buddy block holds size bytes.
fn buddy_order(size) {
  if size < 1 { fail(format("buddy_order: invalid size %d", size)) }
  if size > PAGE_SIZE << 10 { fail(format("buddy_order: invalid size %d: larger than an order-10 block", size)) }
  order = 0
  while (PAGE_SIZE << order) < size { order += 1 }
  return order
}

# The kmalloc cache (SLUB) that serves a request of size bytes.
fn kmalloc_cache_name(size) {
  if size < 1 or size > 8192 { fail(format("kmalloc_cache_name: invalid size %d: no kmalloc cache", size)) }
  if size <= 8 { return "kmalloc-8" }
  if size > 64 and size <= 96 { return "kmalloc-96" }
  if size > 128 and size <= 192 { return "kmalloc-192" }
  n = 16
  while n < size { n *= 2 }
  if n >= 1024 { return format("kmalloc-%dk", n / 1024) }
  return format("kmalloc-%d", n)
}

# The number of pages that the bytes [addr, addr + len) lie in.
fn pages_touched(addr, len) {
  if len < 0 { fail(format("pages_touched: invalid length %d", len)) }
  if len == 0 { return 0 }
  first = addr / PAGE_SIZE
  last = (addr + len - 1) / PAGE_SIZE
  return last - first + 1
}

# A process wrote n private anonymous pages, forked, the child wrote the
# first k of them, then the parent wrote all n. What the parent's writes
# cost: [pages copied, pages reused in place].
fn cow_after_fork(n, k) {
  if n < 1 or k < 0 or k > n { fail(format("cow_after_fork: invalid page counts n=%d k=%d", n, k)) }
  return [n - k, k]
}
