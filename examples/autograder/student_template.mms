# student.mms: your answers to the mmsim memory-management assignment.
# Read ASSIGNMENT.md, replace each fail(...) below with your code, and
# test with:  mmsim test --lib . tests     (if you were given tests)
# Keep the function names and parameters as they are. Do not print
# anything at the top level of this file, and do not write a machine line.

# The smallest buddy order whose block (PAGE_SIZE << order bytes) holds
# size bytes.
fn buddy_order(size) {
  fail("buddy_order: not written yet")
}

# The name of the kmalloc cache that kmalloc(size, GFP_KERNEL) takes its
# object from, e.g. "kmalloc-32".
fn kmalloc_cache_name(size) {
  fail("kmalloc_cache_name: not written yet")
}

# How many pages the bytes addr, addr + 1, ..., addr + len - 1 lie in.
fn pages_touched(addr, len) {
  fail("pages_touched: not written yet")
}

# [pages the parent copies, pages it reuses] in the fork scenario of
# ASSIGNMENT.md.
fn cow_after_fork(n, k) {
  fail("cow_after_fork: not written yet")
}
