# Processes on the default machine (x86, 3G/1G): spawn creates a process
# from a built-in program: text at 0x08048000 (4 pages), data (1 page),
# bss (2 pages, anonymous), the heap right after bss, a 33-page stack
# VMA below 0xC0000000. The first process runs on the CPU that had none.
# bss is no [heap] until the break moves (vma_is_initial_heap() wants
# vm_start < brk and vm_end > start_brk).
p = spawn("a")
assert type(p) == "proc" and p.pid == 1 and p.ppid == 0 and p.name == "a" and p.state == "R"
assert current.pid == 1
assert p.maps == 4 and p.vm == 4 + 1 + 2 + 33
assert p.start_brk == 0x0804f000 and p.brk == p.start_brk
assert p.mmap_base == 0xb8000000
# exec wrote the arguments to the stack's top page: 1 page resident.
assert p.rss == 1 and p.anon == 1 and p.minflt == 0
show maps
assert output() == "08048000-0804c000 r-xp 00000000 08:01 1001       /a\n0804c000-0804d000 rw-p 00004000 08:01 1001       /a\n0804d000-0804f000 rw-p 00000000 00:00 0 \nbffdf000-c0000000 rw-p 00000000 00:00 0          [stack]\n"
---
# spawn's sizes are keyword arguments; a program keeps its sizes.
p = spawn("big", text=3 * PAGE_SIZE + 1, data=10, bss=0x3000)
show maps p.pid
assert output() == "08048000-0804c000 r-xp 00000000 08:01 1001       /big\n0804c000-0804d000 rw-p 00004000 08:01 1001       /big\n0804d000-08050000 rw-p 00000000 00:00 0 \nbffdf000-c0000000 rw-p 00000000 00:00 0          [stack]\n"
spawn("big", text=4096) ### `spawn: program "big" exists with text=12289 data=10 bss=12288`
---
spawn("x", text=-1) ### `spawn: text=-1 is negative`
---
task(7) ### `task: no process with pid 7`
---
# Without a process, user memory and the process calls have no one to run as.
fork() ### `fork: no process is running on cpu 0: spawn one, switch to one, or use as PID \{ \}`
---
mmap(0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS) ### `mmap: no process is running on cpu 0`
---
as 3 { } ### `as 3: no process with pid 3`
---
atomic { as 1 { } } ### `kernel BUG: scheduling while atomic: cannot switch to pid 1 inside atomic context`
---
# Demand paging: a read maps the shared zero page (no RSS), a write a
# fresh page; read then write is two minor faults, the second a copy
# from the zero page.
p = spawn("a")
a = mmap(0, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS)
assert a == 0xb7ffe000
assert str(a) == "0xb7ffe000 (mmap rw-p in pid 1)"
assert read(a) == 0 and p.minflt == 1 and p.rss == 1
write a 7
assert p.minflt == 2 and p.rss == 2 and p.cow == 1 and read(a) == 7
write a + 1, 8
assert p.minflt == 2
write a + PAGE_SIZE 9
assert p.minflt == 3 and p.cow == 1
show vmstat
o = output()
assert "pgfault 3\npgmajfault 0\n" in o and "mmsim_zero_page_maps 1\n" in o
---
# SIGSEGV: no VMA is SEGV_MAPERR, a forbidden access SEGV_ACCERR. Inside
# expect segv the process handles the signal and lives on.
p = spawn("a")
r = mmap(0, PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS)
expect segv "(SEGV_MAPERR) at 0x10 in pid 1 (a), a write: no VMA here" { write 0x10 1 }
expect segv "(SEGV_ACCERR)" { write r 1 }
assert read(r) == 0
expect segv "SEGV_ACCERR" { write r 1 }
assert p.state == "R" and p.minflt == 1
n = mmap(0, PAGE_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS)
expect segv "is PROT_NONE" { touch n }
---
# An uncaught SIGSEGV kills the process and stops the script.
p = spawn("a")
touch 0 write ### `SIGSEGV: \(SEGV_MAPERR\) at 0x0 in pid 1 \(a\), a write: no VMA here \(the next one starts at 0x8048000\); pid 1 is killed`
---
p = spawn("a")
expect segv { touch 0 }
try = 1
# the killed process is a zombie whose status is the signal
q = spawn("b")
switch q.pid
expect segv { touch 0 }
assert q.state == "R"
---
# The stack grows down on a fault below it, within RLIMIT_STACK.
p = spawn("a")
sp = 0xc0000000 - 0x21000
write sp - 5 * PAGE_SIZE, 1
show maps
assert "bffda000-c0000000 rw-p 00000000 00:00 0          [stack]" in output()
---
# fork: the child gets the parent's pages write-protected; reads share,
# writes copy; the parent's later write to a page the child copied away
# reuses it (refcount 1).
p = spawn("a")
a = mmap(0, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS)
write a 1
write a + PAGE_SIZE 2
c = fork()
assert type(c) == "int" and c == 2
k = task(c)
assert k.ppid == 1 and k.rss == p.rss and k.minflt == 0
as c { assert read(a) == 1 and current.pid == 2; write a 11 }
assert k.minflt == 1 and k.cow == 1 and read(a) == 1
write a 21
assert p.cow_reused == 1 and p.cow == 0
write a + PAGE_SIZE 22
assert p.cow == 1
as c { assert read(a + PAGE_SIZE) == 2 }
as c { write a + PAGE_SIZE 12 }
assert k.cow_reused == 1
assert current.pid == 1
---
# exit leaves a zombie until wait; wait returns the pid and frees the
# task_struct; the exit code is in the status.
p = spawn("a")
c = fork()
k = task(c)
wait(c) ### `wait: EAGAIN \(Resource temporarily unavailable\): pid 2 has not exited; waiting for it would block forever`
---
p = spawn("a")
c = fork()
k = task(c)
as c { exit(7) }
assert k.state == "Z" and k.status == 0x700 and k.exit_code == 7
show ps
assert output() == "  PID  PPID STAT    VSZ   RSS  MINFL  MAJFL CPU COMMAND\n    1     0 R       160     4      0      0   0 a\n    2     1 Z         0     0      0      0   - [a] <defunct>\n"
assert wait() == 2
assert k.state == "X"
wait() ### `wait: ECHILD \(No child processes\): no child to wait for`
---
as 1 { } ### `as 1: no process with pid 1`
---
p = spawn("a")
as 1 { exit() }
as 1 { } ### `as 1: pid 1 \(a\) has exited`
---
# exec replaces the image; the pid stays.
p = spawn("a")
a = mmap(0, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS)
exec("b", text=2 * PAGE_SIZE)
assert p.name == "b" and p.pid == 1 and p.maps == 4
show maps
assert "08048000-0804a000 r-xp 00000000 08:01 1002       /b\n" in output()
---
# switch: a context switch loads CR3 (non-global TLB entries go).
p = spawn("a")
q = spawn("b")
assert current.pid == 1
switch 2
assert current.pid == 2
switch 0
current.pid ### `current: no process is running on cpu 0`
---
switch 9 ### `switch: no process with pid 9`
---
# regs: the registers of the running process. A fresh image starts at the
# entry point with the stack pointer below the arguments.
p = spawn("a")
assert regs.eip == 0x08048000 and regs.esp == 0xbffff870 and regs.eax == 0
regs.eax = 45
assert regs.eax == 45 and p.regs.eax == 45
regs.eax = -1
assert regs.eax == 0xffffffff
regs.rax = 1 ### `a regs has no attribute rax \(did you mean .eax\?\)`
---
regs.eax = 1 ### `regs: no process is running on cpu 0`
---
# mmap's errors are errno values.
p = spawn("a")
mmap(0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS) ### `mmap: EINVAL \(Invalid argument\): length 0`
---
p = spawn("a")
mmap(0x1001, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED) ### `mmap: EINVAL \(Invalid argument\): MAP_FIXED address 0x1001 is not page aligned`
---
p = spawn("a")
mmap(0, 4096, PROT_READ, MAP_ANONYMOUS) ### `mmap: EINVAL \(Invalid argument\): the flags need exactly one of MAP_SHARED and MAP_PRIVATE`
---
p = spawn("a")
mmap(0x08048000, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE) ### `mmap: EEXIST \(File exists\): \[0x8048000, 0x8049000\) overlaps the VMA 0x8048000-0x804c000 r-xp`
---
p = spawn("a")
munmap(0x1001, 4096) ### `munmap: EINVAL \(Invalid argument\): address 0x1001 is not page aligned`
---
p = spawn("a")
mprotect(0x10000000, 4096, PROT_READ) ### `mprotect: ENOMEM \(Cannot allocate memory\): 0x10000000 is not mapped`
---
p = spawn("a")
assert ENOMEM == 12 and EINVAL == 22 and EEXIST == 17 and EFAULT == 14 and EACCES == 13
# brk: within the page only the value moves; growing maps; shrinking
# unmaps; below start_brk the old break comes back.
b = brk(0)
assert b == 0x0804f000
assert brk(b + 5000) == b + 5000
assert p.maps == 4
show maps
assert "0804d000-08051000 rw-p 00000000 00:00 0          [heap]\n" in output()
assert brk(b - 1) == b + 5000
assert sbrk(0) == b + 5000
assert sbrk(-5000) == b + 5000 and brk(0) == b
# Growing into a mapping fails and returns the old break.
m = mmap(b + 4 * PAGE_SIZE, PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED)
assert brk(b + 4 * PAGE_SIZE) == b
sbrk(4 * PAGE_SIZE) ### `sbrk: ENOMEM \(Cannot allocate memory\): brk\(0x8053000\) failed and the break stays at 0x804f000`
---
# A file's pages live in the page cache: two processes mapping it share
# them; the first touch reads the page (a major fault), the second is
# minor. A shared mapping's writes are seen by the other process.
f = file("data", 3 * PAGE_SIZE)
assert type(f) == "file" and f.size == 3 * PAGE_SIZE and f.cached == 0
p = spawn("a")
q = spawn("b")
a = mmap(0, 3 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, f)
assert str(a) == "0xb7ffd000 (mmap rw-s of /data in pid 1)"
write a 5
assert p.majflt == 1 and f.cached == 1
as q.pid {
  b = mmap(0, 3 * PAGE_SIZE, PROT_READ, MAP_SHARED, f)
  assert read(b) == 5 and current.majflt == 0 and current.minflt == 1
}
file("data", 1) ### `file: file "data" exists`
---
f = file("small", 100)
p = spawn("a")
a = mmap(0, 2 * PAGE_SIZE, PROT_READ, MAP_PRIVATE, f)
expect segv "SIGBUS (BUS_ADRERR)" { touch a + PAGE_SIZE }
mmap(0, PAGE_SIZE, PROT_READ, MAP_PRIVATE) ### `mmap: EINVAL \(Invalid argument\): no file and no MAP_ANONYMOUS`
---
# The text of two processes of the same program shares page-cache pages.
p = spawn("a")
touch 0x08048000 exec
assert p.majflt == 1
q = spawn("a")
as q.pid { touch 0x08048000 exec; assert current.majflt == 0 and current.minflt == 1 }
show vtop 0x08048000
assert "  PFN       PHYSICAL ZONE     CNT MAP OWNER\n" in output()
---
# MADV_DONTNEED drops anonymous pages: they read back as zero.
p = spawn("a")
a = mmap(0, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS)
write a 3
rss = p.rss
madvise(a, PAGE_SIZE, MADV_DONTNEED)
assert p.rss == rss - 1 and read(a) == 0
madvise(a, PAGE_SIZE, 99) ### `madvise: EINVAL \(Invalid argument\): advice 99 is not one the model knows`
---
# MAP_POPULATE faults every page in at mmap time.
p = spawn("a")
a = mmap(0, 3 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE)
assert p.minflt == 3 and p.rss == 4
---
show maps ### `show maps: no process is running on cpu 0: spawn one, switch to one, or use as PID \{ \} \(or name one: show maps PID\)`
---
p = spawn("a")
show ps 1 ### `show ps takes no arguments`
---
p = spawn("a")
show vtop 0x10 2 ### `show vtop: 0x10 is a user address: no process with pid 2`
---
# vtop of a user address walks the process's page tables and shows the VMA.
p = spawn("a")
a = mmap(0, PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS)
touch a
show vtop a
o = output()
assert "PAGE DIRECTORY: c100a000 (pid 1 (a))\n" in o
assert "101       101000   DMA        1   0 the zero page\n" in o
assert "  VMA       START     END       FLAGS    FILE\n" in o
---
# malloc: glibc's allocator in the running process. The first chunk is at
# start_brk + 8 on x86 (user pointer + 16); small blocks are adjacent.
p = spawn("a")
a = malloc(100)
assert a == p.start_brk + 0x10
assert str(a) == "0x804f010 (malloc of 100 bytes in pid 1)"
b = malloc(100)
assert b == a + 112
free(b)
free(a)
assert free(NULL) == NULL
c = calloc(4, 8)
assert read(c, 8) == 0
r = realloc(c, 64)
assert realloc(r, 0) == NULL
# A 128 KiB request fits in the top chunk now, so glibc carves it from
# the top; in a fresh process it gets its own mapping below mmap_base.
assert malloc(128 * 1024) < p.start_brk + 0x100000
q = spawn("b")
as q.pid {
  big = malloc(128 * 1024)
  assert big == 0xb7fdf010
  free(big)
}
---
p = spawn("a")
a = malloc(10)
free(a)
free(a) ### `free: double free or corruption \(top\); glibc aborts pid 1 \(a\) with SIGABRT`
---
p = spawn("a")
a = malloc(100)
free(a + 16) ### `free: free\(\): invalid pointer; glibc aborts pid 1 \(a\) with SIGABRT`
---
malloc(1) ### `malloc: no process is running on cpu 0`
---
p = spawn("a")
malloc(-1) ### `malloc: size -1 is negative`
---
# MAP_POPULATE past the end of a file: __mm_populate() ignores the
# fault's error, so the mapping is made, the page inside the file is
# faulted in, and the process gets no SIGBUS.
p = spawn("a")
f = file("short", 4096)
a = mmap(0, 3 * PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_POPULATE, f)
assert p.file == 1 and p.state == "R"
---
# The calls that change an address space take mmap_lock, which sleeps;
# a page fault cannot be handled in atomic context either.
p = spawn("a")
a = mmap(0, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS)
atomic { expect bug "sleeping function called from invalid context: mmap (mmap_write_lock()) in atomic context" { mmap(0, PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS) } }
irq { expect bug "munmap (mmap_write_lock()) in irq context" { munmap(a, PAGE_SIZE) } }
irq { expect bug "page faults are disabled in irq context" { touch a } }
write a 1
irq { assert read(a) == 1 }
