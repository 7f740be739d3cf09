# Tests of pages_touched(addr, len) and cow_after_fork(n, k). The reference
# answer is the model's fault handler: a process writes to fresh anonymous
# memory, and its fault counters (minflt, cow, cow_reused) say what it cost.
machine x86_64 mem=256M
use "student.mms"

# A process with a private anonymous mapping of n pages.
fn start(n) {
  p = spawn("grader")
  buf = mmap(0, n * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS)
  return [p, buf]
}

# Exit and reap a process, so that the test leaves nothing allocated.
fn finish(p) {
  as p.pid { exit(0) }
  wait(p.pid)
}

test "pages_touched: inside one page" points=1 tags=["paging"] {
  assert pages_touched(0x1000, 1) == 1
  assert pages_touched(0x1000, 4096) == 1
  assert pages_touched(0x1010, 100) == 1
  assert pages_touched(0x1fff, 1) == 1
  assert pages_touched(0x5000, 0) == 0, "no bytes, no pages"
}

test "pages_touched: agrees with the page faults" points=2 visibility="hidden" tags=["paging", "model"] {
  for case in [[0, 4097], [1, 4096], [0xfff, 2], [0x800, 8192], [0x10, 3 * 4096 - 0x10], [0x10, 3 * 4096 - 0xf], [4095, 4098]] {
    pb = start(5)
    p = pb[0]
    addr = pb[1] + case[0]
    nbytes = case[1]
    before = p.minflt
    for i in 0..nbytes { touch addr + i write }
    faults = p.minflt - before
    got = pages_touched(int(addr), nbytes)
    assert got == faults, format("writing %d bytes at page offset %#x faulted %d pages in", nbytes, case[0], faults)
    finish(p)
  }
}

# What the parent's writes cost in the model: [copies, reuses].
fn model_cow(n, k) {
  pb = start(n)
  p = pb[0]
  buf = pb[1]
  for i in 0..n { write buf + i * PAGE_SIZE, i }
  c = fork()
  as c { for i in 0..k { write buf + i * PAGE_SIZE, 100 + i } }
  cow = p.cow
  reused = p.cow_reused
  for i in 0..n { write buf + i * PAGE_SIZE, 200 + i }
  result = [p.cow - cow, p.cow_reused - reused]
  as c { exit(0) }
  wait(c)
  finish(p)
  return result
}

test "cow_after_fork: the child writes nothing" points=1 tags=["fork"] {
  assert cow_after_fork(1, 0) == [1, 0]
  assert cow_after_fork(4, 0) == [4, 0]
  assert cow_after_fork(4, 0) == model_cow(4, 0)
}

test "cow_after_fork: agrees with the fault counters" points=2 visibility="after_due_date" tags=["fork", "model"] {
  for nk in [[1, 1], [4, 1], [4, 4], [8, 3], [16, 15]] {
    n = nk[0]
    k = nk[1]
    want = model_cow(n, k)
    got = cow_after_fork(n, k)
    assert got == want, format("n=%d k=%d: the parent made %d copies and reused %d pages", n, k, want[0], want[1])
  }
}

test "cow_after_fork: rejects impossible counts" points=1 tags=["fork", "errors"] {
  assert cow_after_fork(2, 2) == [0, 2], "valid counts must still work"
  expect error "invalid" { cow_after_fork(0, 0) }
  expect error "invalid" { cow_after_fork(4, -1) }
  cow_after_fork(2, 3)    # expect-error: invalid
}
