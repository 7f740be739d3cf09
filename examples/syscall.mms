# System calls at the register level, as an i386 program makes them with
# int 0x80: the number in eax, the arguments in ebx, ecx, edx, esi, edi,
# ebp; the result comes back in eax, -errno on failure
# (arch/x86/entry/common.c:do_int80_syscall_32(), linux-mm-facts.md 12).
# brk never fails with an errno: it returns the old break instead.
machine x86 mem=64M

p = spawn("brk-demo")

fn sys(nr, a, b) {
  regs.eax = nr
  regs.ebx = a
  regs.ecx = b
  int 0x80
  return regs.eax
}

pid = sys(20, 0, 0)                 # getpid
print "getpid() =", pid

start = sys(45, 0, 0)               # brk(0): the current break
print "brk(0) =", hex(start), "- right after bss"
show maps

# Growing by 5000 bytes returns the new, unaligned break; the heap VMA
# grows to the page boundary above it.
b = sys(45, start + 5000, 0)
print "brk(+5000) =", hex(b)
show maps

# Within the same page only the value moves.
print "brk(+5001) =", hex(sys(45, start + 5001, 0))

# Below start_brk: refused, the old break comes back.
print "brk(start - 1) =", hex(sys(45, start - 1, 0))

# Into the stack's guard gap (1 MiB below the stack): refused too.
print "brk(0xbff00000) =", hex(sys(45, 0xbff00000, 0))

# The heap is demand-paged like any anonymous memory.
write start + 4096, 1
print "after one write: minflt", p.minflt, "rss", p.rss, "pages"

# Shrinking unmaps the pages and gives back the frames.
print "brk(start) =", hex(sys(45, start, 0)), "- rss", p.rss, "pages"
show maps

# mmap2 (192) takes its offset in pages; munmap (91) of an unaligned
# address is EINVAL: eax holds -22 as a 32-bit value.
regs.eax = 192
regs.ebx = 0
regs.ecx = 3 * PAGE_SIZE
regs.edx = PROT_READ | PROT_WRITE
regs.esi = MAP_PRIVATE | MAP_ANONYMOUS
regs.edi = -1
regs.ebp = 0
int 0x80
print "mmap2 ->", hex(regs.eax)
print "munmap(addr + 5) ->", hex(sys(91, regs.eax + 5, PAGE_SIZE)), "(-EINVAL)"

# An unknown number is ENOSYS; syscall() by number returns -errno.
print "syscall(999) =", syscall(999), "= -ENOSYS"

# fork at the register level: the child's eax is 0.
child = sys(2, 0, 0)
as child { print "in the child: eax =", regs.eax, " getpid() =", sys(20, 0, 0) }
as child {
  regs.eax = 1                      # exit(7): it does not return
  regs.ebx = 7
  int 0x80
}
# waitpid(child, &status, 0) with status on the stack
sp = regs.esp - 16
regs.eax = 7
regs.ebx = child
regs.ecx = sp
regs.edx = 0
int 0x80
print "waitpid ->", regs.eax, " status", hex(read(sp, 4))
