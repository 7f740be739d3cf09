# Demand paging: malloc gives virtual memory; a frame arrives only with the
# first touch of each page (a minor fault), and a read of a never-written
# page maps the shared zero page, which costs no memory at all. Rules:
# linux-mm-facts.md sections 9 and 10; glibc's malloc (16.5 of spec.md).
machine x86 mem=64M

p = spawn("demo")
print "start: rss", p.rss, "page, minflt", p.minflt, "- the break is at", hex(p.brk)

# A small malloc grows the heap with brk by the request plus glibc's 128 KiB
# top pad. glibc writes the chunk's header, and the top chunk's header
# after it: those pages fault in, nothing else.
a = malloc(40000)
print "malloc(40000) =", a
print "  break now", hex(p.brk), "(+", (p.brk - p.start_brk) / 1024, "KiB); rss", p.rss, "minflt", p.minflt
show maps

# Touch the buffer page by page: one minor fault per page not yet there.
pages = (40000 + PAGE_SIZE - 1) / PAGE_SIZE
for i in 0..pages {
  before = p.minflt
  write a + i * PAGE_SIZE, 1
  print "  write page", i, "->", p.minflt - before, "fault, rss", p.rss
}

# A large request (at least 128 KiB) gets its own mmap: a new VMA below
# mmap_base, the chunk header on its first page.
b = malloc(1024 * 1024)
print "malloc(1M) =", b, "- rss", p.rss
show maps

# Reading untouched memory maps the zero page: a fault, but no frame.
before = p.minflt
sum = 0
for i in 1..9 { sum += read(b + i * PAGE_SIZE) }
print "read 8 untouched pages: sum", sum, "-", p.minflt - before, "faults, rss still", p.rss
show vtop b + PAGE_SIZE
# Writing one of them now copies from the zero page: a second fault.
before = p.minflt
write b + PAGE_SIZE, 7
print "write after read:", p.minflt - before, "fault, rss", p.rss

# free of the mmapped block unmaps it at once; freeing the heap block
# gives the top back to the kernel with brk when it is large enough.
free(b)
free(a)
print "after free: break", hex(p.brk), "rss", p.rss
show smaps
show vmstat
