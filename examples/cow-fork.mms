# Copy-on-write after fork. fork() copies no data: parent and child map the
# same frames, write-protected in both. The first write to a shared page
# takes a minor fault and copies it (wp_page_copy); a page nobody else
# holds any more (refcount 1) is made writable in place instead (the
# reuse rule of do_wp_page). Rules: linux-mm-facts.md section 10.
machine x86 mem=64M

p = spawn("parent")
N = 4
buf = mmap(0, N * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS)
for i in 0..N { write buf + i * PAGE_SIZE, 10 + i }
print "parent wrote", N, "pages:", p.minflt, "faults, rss", p.rss, "pages (with the stack's)"

before = p.minflt
c = fork()
child = task(c)
print "fork: child", c, "rss", child.rss, "- it maps the parent's frames, copied nothing"
show vtop buf

# Reads share: no fault (the PTEs were copied), same frame in both.
as c { print "child reads", read(buf), "- faults", child.minflt }

# The child writes page 0: a fault, a copy. Its data diverges.
as c { write buf, 99 }
print "child wrote page 0:", child.minflt, "fault,", child.cow, "copy"
as c { print "  child sees", read(buf) }
print "  parent sees", read(buf)

# The parent writes every page. Page 0 is exclusively the parent's now
# (the child took a copy): reused. Pages 1-3 are still shared: copied.
for i in 0..N { write buf + i * PAGE_SIZE, 20 + i }
print "parent wrote", N, "pages:", p.minflt - before, "faults,", p.cow, "copies,", p.cow_reused, "reused"

# The child's untouched pages are its own now: its writes reuse them.
as c { for i in 1..N { write buf + i * PAGE_SIZE, 30 + i } }
print "child wrote pages 1-3:", child.minflt, "faults in all,", child.cow, "copies,", child.cow_reused, "reused"
as c { print "  child page 1:", read(buf + PAGE_SIZE) }
print "  parent page 1:", read(buf + PAGE_SIZE)

# Exit and wait return everything the child had.
as c { exit(0) }
print "wait ->", wait(c)
show ps
show vmstat
