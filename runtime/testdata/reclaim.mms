# Reclaim from scripts: swapon, swapoff, kswapd, mlock, munlock,
# MADV_PAGEOUT, oom_score_adj, expect oom, show swap and show lru. Rules:
# linux-mm-facts.md section 11; spec 16.6.
#
# swapoff and swapon need a swap area (machine ... swap=SIZE).
swapoff() ### `swapoff: EINVAL \(Invalid argument\): the machine has no swap area \(machine \.\.\. swap=SIZE\)`
---
swapon() ### `swapon: EINVAL \(Invalid argument\): the machine has no swap area`
---
machine x86 mem=32M swap=16M
swapon() ### `swapon: EBUSY \(Device or resource busy\): the swap area is on already`
---
machine x86 mem=32M swap=16M
swapoff()
show swap
o = output()
assert "swap off: 0 of 4095 slots in use" in o, o
# /proc/swaps lists no area while it is off.
assert not ("/swapfile" in o), o
swapoff() ### `swapoff: EINVAL \(Invalid argument\): the swap area is off already`
---
# show swap: /proc/swaps, a summary, the swap entries of each process.
show swap
assert output() == "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\nswap none (machine ... swap=SIZE): 0 of 0 slots in use, 0 in the swap cache; 0 pages written out, 0 read in\n"
---
machine x86 mem=32M swap=16M
show swap
o = output()
assert "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n/swapfile " in o, o
# 16M is 4096 slots; slot 0 holds the header: 4095 slots, 16380 kB.
assert "file\t\t16380\t\t0\t\t-2\n" in o, o
assert "swap on: 0 of 4095 slots in use, 0 in the swap cache; 0 pages written out, 0 read in\n" in o
show meminfo
o = output()
assert "SwapTotal:         16380 kB\n" in o and "SwapFree:          16380 kB\n" in o, o
---
# MADV_PAGEOUT reclaims the range at once: each page to a slot, in order
# from slot 1; vtop shows the swap entry; a read is a major fault that
# brings the data back.
machine x86 mem=32M swap=16M
p = spawn("a")
a = mmap(0, 8 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS)
for i in 0..8 { write a + i * PAGE_SIZE, 10 + i }
madvise(a, 8 * PAGE_SIZE, MADV_PAGEOUT)
assert p.rss == 1 and p.anon == 1, p.rss
show swap
o = output()
assert "file\t\t16380\t\t32\t\t-2\n" in o, o
assert "swap on: 8 of 4095 slots in use, 0 in the swap cache; 8 pages written out, 0 read in\n" in o, o
assert "  pid 1 (a): 8 swap entries\n" in o, o
show vtop a
o = output()
assert "(not mapped)" in o and "SWAP: /swapfile  OFFSET: 1   (swap type 0, slot 1 of /swapfile, 1 users)" in o, o
show vtop a + 7 * PAGE_SIZE
assert "SWAP: /swapfile  OFFSET: 8 " in output()
assert read(a + 3 * PAGE_SIZE) == 13 and p.majflt == 1
show vmstat
o = output()
assert "pgmajfault 1\n" in o and "pswpin 1\npswpout 8\n" in o, o
# Read, not written, and swap far from full: the page stays in the swap
# cache and keeps its slot (do_swap_page()).
show swap
o = output()
assert "swap on: 8 of 4095 slots in use, 1 in the swap cache; 8 pages written out, 1 read in\n" in o, o
assert "  pid 1 (a): 7 swap entries\n" in o, o
show meminfo
assert "SwapCached:            4 kB\n" in output()
# A write fault takes the page out of the swap cache: the slot is free.
write a + 4 * PAGE_SIZE, 99
show swap
assert "swap on: 7 of 4095 slots in use, 1 in the swap cache;" in output()
for i in 0..8 { if i != 4 { assert read(a + i * PAGE_SIZE) == 10 + i } }
assert read(a + 4 * PAGE_SIZE) == 99 and p.majflt == 8
# munmap frees the slots (zap_pte_range() -> free_swap_and_cache()).
madvise(a, 8 * PAGE_SIZE, MADV_PAGEOUT)
munmap(a, 8 * PAGE_SIZE)
show swap
assert "swap on: 0 of 4095 slots in use, 0 in the swap cache;" in output()
---
# swapoff reads every swapped page back (try_to_unuse(): no faults are
# counted), shared entries into one page, and turns the area off;
# swapon turns it on again.
machine x86 mem=32M swap=16M
p = spawn("a")
a = mmap(0, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS)
for i in 0..4 { write a + i * PAGE_SIZE, 20 + i }
madvise(a, 4 * PAGE_SIZE, MADV_PAGEOUT)
c = fork()
show swap
o = output()
assert "swap on: 4 of 4095 slots in use" in o and "  pid 1 (a): 4 swap entries\n  pid 2 (a): 4 swap entries\n" in o, o
swapoff()
show swap
o = output()
assert "swap off: 0 of 4095 slots in use, 0 in the swap cache; 4 pages written out, 4 read in\n" in o, o
assert not ("swap entries" in o), o
show vtop a
assert not ("SWAP:" in output())
as c { for i in 0..4 { assert read(a + i * PAGE_SIZE) == 20 + i } }
for i in 0..4 { assert read(a + i * PAGE_SIZE) == 20 + i }
assert p.majflt == 0 and task(c).majflt == 0
# Off: MADV_PAGEOUT leaves anonymous pages where they are.
madvise(a, 4 * PAGE_SIZE, MADV_PAGEOUT)
show swap
assert "swap off: 0 of 4095" in output()
swapon()
# On again; the pages parent and child share (mapcount 2) are not the
# child's alone: MADV_PAGEOUT leaves them. Its own page goes.
as c { madvise(a, 4 * PAGE_SIZE, MADV_PAGEOUT); write a + PAGE_SIZE, 7; madvise(a, 4 * PAGE_SIZE, MADV_PAGEOUT) }
show swap
assert "swap on: 1 of 4095 slots in use" in output()
---
# show lru: each list with its size and the pfns at each end, then the
# counters. New anonymous pages start on inactive_anon.
machine x86 mem=32M swap=16M
show lru
assert output() == "inactive_anon       0 pages\nactive_anon         0 pages\ninactive_file       0 pages\nactive_file         0 pages\nunevictable         0 pages\nkswapd runs 0, pages scanned 0 (kswapd) 0 (direct), stolen 0 (kswapd) 0 (direct), activated 0, deactivated 0\n"
p = spawn("a")
a = mmap(0, 6 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS)
for i in 0..6 { write a + i * PAGE_SIZE, 1 }
show lru
o = output()
# The stack page exec wrote, then the six: the newest at the head, four
# shown at each end.
assert "inactive_anon       7 pages  head 0x" in o and " ... tail 0x" in o, o
assert "\nunevictable         0 pages\n" in o, o
---
# mlock: the pages go to the unevictable list and MADV_PAGEOUT leaves
# them; munlock gives them back to inactive_anon.
machine x86 mem=32M swap=16M
p = spawn("a")
a = mmap(0, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS)
write a 1
mlock(a, 4 * PAGE_SIZE)
# mlock faults the whole range in (populate).
assert p.rss == 5 and p.minflt == 4
show lru
o = output()
assert "\nunevictable         4 pages  head 0x" in o and "inactive_anon       1 pages" in o, o
show maps
assert "b7ffc000-b8000000 rw-p 00000000 00:00 0 " in output()
madvise(a, 4 * PAGE_SIZE, MADV_PAGEOUT)
show swap
assert "swap on: 0 of 4095 slots in use" in output()
show meminfo
o = output()
assert "Unevictable:          16 kB\n" in o and "Mlocked:              16 kB\n" in o, o
# munlock half: two pages back on inactive_anon, and MADV_PAGEOUT takes
# those two only.
munlock(a, 2 * PAGE_SIZE)
show lru
o = output()
assert "inactive_anon       3 pages" in o and "\nunevictable         2 pages" in o, o
madvise(a, 4 * PAGE_SIZE, MADV_PAGEOUT)
show swap
assert "swap on: 2 of 4095 slots in use" in output()
assert read(a) == 1 and read(a + 3 * PAGE_SIZE) == 0
---
p = spawn("a")
a = mmap(0, PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS)
munmap(a, PAGE_SIZE)
mlock(a, PAGE_SIZE) ### `mlock: ENOMEM \(Cannot allocate memory\): 0x[0-9a-f]+ is not mapped`
---
mlock(0, PAGE_SIZE) ### `mlock: no process is running on cpu 0`
---
# oom_score_adj(pid, value) returns the old value; -1000..1000.
p = spawn("a")
assert oom_score_adj(1, -1000) == 0
assert oom_score_adj(1, 1000) == -1000
assert oom_score_adj(1, 0) == 1000
oom_score_adj(1, 1001) ### `oom_score_adj: 1001 is outside -1000\.\.1000`
---
p = spawn("a")
oom_score_adj(1, -1001) ### `oom_score_adj: -1001 is outside -1000\.\.1000`
---
oom_score_adj(7, 0) ### `oom_score_adj: no process with pid 7`
---
# kswapd wakes when an allocation finds every zone below LOW, and runs
# after the statement until some zone is above HIGH; it writes the oldest
# anonymous pages to swap.
machine x86 mem=8M swap=8M
p = spawn("a")
n = nr_free_pages() + 200
a = mmap(0, n * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS)
for i in 0..n { write a + i * PAGE_SIZE, 1 }
show vmstat
o = output()
assert not ("kswapd_wakeups 0\n" in o or "pgsteal_kswapd 0\n" in o or "pswpout 0\n" in o), o
z = zone("DMA")
assert z.free > z.high, z.free
# The kswapd statement runs it now, for the whole node, and returns the
# pages it freed: nothing while a zone is above HIGH.
freed = kswapd()
assert type(freed) == "int" and freed == 0, freed
show lru
assert "kswapd runs " in output()
---
# An allocation without __GFP_KSWAPD_RECLAIM does not wake kswapd: kernel
# pages taken that way bring the zone below LOW and nothing happens. The
# kswapd statement runs it now, for the whole node: it reclaims until a
# zone is above HIGH (a batch of 32 here) and returns the pages it freed.
machine x86 mem=8M swap=8M
p = spawn("a")
a = mmap(0, 600 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS)
for i in 0..600 { write a + i * PAGE_SIZE, 1 }
z = zone("DMA")
while z.free > z.low { alloc_pages(__GFP_NOWARN, 0) }
show lru
assert "kswapd runs 0," in output()
freed = kswapd()
assert freed == 32 and z.free > z.high, freed
show lru
o = output()
assert "kswapd runs 1, pages scanned " in o and "stolen 32 (kswapd) 0 (direct)" in o, o
show swap
# Every page it freed went to swap.
assert "swap on: 32 of 2047 slots in use" in output()
# Balanced now: a second run frees nothing.
assert kswapd() == 0
---
# expect oom: on a machine without swap a process that writes more than
# memory holds is the OOM killer's choice: its fault fails with "out of
# memory" and it is killed with SIGKILL when the statement ends.
machine x86 mem=8M
p = spawn("hog")
n = nr_free_pages() + 100
a = mmap(0, n * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS)
expect oom "Out of memory: Killed process 1 (hog) total-vm:" { for i in 0..n { write a + i * PAGE_SIZE, 1 } }
assert p.state == "Z" and p.status == SIGKILL
w = warnings()
assert "hog invoked oom-killer: gfp_mask=0x100dca(GFP_HIGHUSER_MOVABLE|__GFP_ZERO), order=0, oom_score_adj=0" in w, w
assert wait() == 1
show vmstat
assert "oom_kill 1\n" in output()
---
# The OOM killer picks the highest badness, never oom_score_adj -1000:
# the allocating process lives on when another one is chosen.
machine x86 mem=8M
big = spawn("big")
b = mmap(0, 900 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS)
for i in 0..900 { write b + i * PAGE_SIZE, 1 }
oom_score_adj(big.pid, -1000)
hog = spawn("hog")
switch hog.pid
h = mmap(0, 200 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS)
for i in 0..200 { write h + i * PAGE_SIZE, 1 }
small = spawn("small")
switch small.pid
n = nr_free_pages() + 10
s = mmap(0, n * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS)
i = 0
while hog.state == "R" { write s + i * PAGE_SIZE, 1; i += 1 }
assert big.state == "R" and small.state == "R" and hog.state == "Z"
w = warnings()
assert "small invoked oom-killer:" in w and "Out of memory: Killed process 2 (hog)" in w, w
assert read(s) == 1
---
# With no process it may kill, the allocation fails with 16.1's error.
machine x86 mem=8M
p = spawn("keeper")
oom_score_adj(1, -1000)
n = nr_free_pages() + 100
a = mmap(0, n * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS)
expect oom "no killable processes" { for i in 0..n { write a + i * PAGE_SIZE, 1 } }
assert p.state == "R"
---
# A policy is part of the machine line.
machine x86 mem=32M swap=16M policy=clock
show machine
assert "policy:   clock\n" in output()
