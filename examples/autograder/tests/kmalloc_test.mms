# Tests of kmalloc_cache_name(size). The reference answer is the slab
# layer of the model: kmalloc_cache(size) is the cache kmalloc would use,
# and a pointer kmalloc returns names the cache its object lives in.
machine x86_64 mem=256M
use "student.mms"

# The cache the model's kmalloc really takes an object of size bytes from.
fn model_cache(size) {
  p = kmalloc(size, GFP_KERNEL)
  name = kmalloc_cache(size).name
  assert format("(%s object", name) in str(p)
  kfree(p)
  return name
}

test "kmalloc_cache_name: the power-of-two caches" points=2 tags=["kmalloc"] {
  for size in [1, 8, 9, 16, 28, 33, 64, 128, 200, 256, 500, 1000, 1024, 3000, 4096, 5000, 8192] {
    print size, kmalloc_cache_name(size)
  }
  # expect: 1 kmalloc-8
  # expect: 8 kmalloc-8
  # expect: 9 kmalloc-16
  # expect: 16 kmalloc-16
  # expect: 28 kmalloc-32
  # expect: 33 kmalloc-64
  # expect: 64 kmalloc-64
  # expect: 128 kmalloc-128
  # expect: 200 kmalloc-256
  # expect: 256 kmalloc-256
  # expect: 500 kmalloc-512
  # expect: 1000 kmalloc-1k
  # expect: 1024 kmalloc-1k
  # expect: 3000 kmalloc-4k
  # expect: 4096 kmalloc-4k
  # expect: 5000 kmalloc-8k
  # expect: 8192 kmalloc-8k
}

test "kmalloc_cache_name: the 96 and 192 caches" points=2 visibility="hidden" tags=["kmalloc", "model"] {
  for size in [65, 72, 96, 97, 128, 129, 130, 192, 193] {
    want = model_cache(size)
    got = kmalloc_cache_name(size)
    assert got == want, format("kmalloc(%d) comes from %s", size, want)
  }
}

test "kmalloc_cache_name: every size from 1 to 8192" points=2 visibility="after_due_date" tags=["kmalloc", "model"] {
  for size in 1..8193 {
    want = kmalloc_cache(size).name
    got = kmalloc_cache_name(size)
    assert got == want, format("kmalloc(%d) comes from %s", size, want)
  }
}

test "kmalloc_cache_name: rejects sizes without a cache" points=1 tags=["kmalloc", "errors"] {
  # The model has no cache for these: kmalloc(0) is ZERO_SIZE_PTR, and
  # larger requests take pages from the buddy allocator.
  assert kmalloc_cache(0) == NULL and kmalloc_cache(8193) == NULL
  assert kmalloc_cache_name(8192) == "kmalloc-8k", "a valid size must still work"
  expect error "invalid" { kmalloc_cache_name(0) }
  expect error "invalid" { kmalloc_cache_name(-8) }
  kmalloc_cache_name(8193)    # expect-error: invalid
}
