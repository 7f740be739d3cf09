# VMAs merge and split by the kernel's rules (mm/vma.c): a new range joins
# its neighbour when the flags, the file and the page offsets line up and
# the anon_vmas are compatible; mprotect and munmap of part of a VMA split
# it, and putting the protection back merges it again. These are the
# results a Linux 6.18 machine gave (kernel-oracle/vma.jsonl).
machine x86_64 mem=256M

p = spawn("vmas")
RW = PROT_READ | PROT_WRITE
ANON = MAP_PRIVATE | MAP_ANONYMOUS
base = 0x10000000

fn vmas() {
  show maps
  print "---", current.maps, "VMAs"
}

# Two adjacent anonymous mappings with the same protection: one VMA.
mmap(base, 4 * PAGE_SIZE, RW, ANON | MAP_FIXED_NOREPLACE)
mmap(base + 4 * PAGE_SIZE, 4 * PAGE_SIZE, RW, ANON | MAP_FIXED_NOREPLACE)
vmas()

# A read-only neighbour does not merge.
mmap(base + 8 * PAGE_SIZE, 4 * PAGE_SIZE, PROT_READ, ANON | MAP_FIXED_NOREPLACE)
vmas()

# MAP_FIXED_NOREPLACE over a mapping is EEXIST; MAP_FIXED replaces.
expect error "EEXIST" { mmap(base, PAGE_SIZE, RW, ANON | MAP_FIXED_NOREPLACE) }

# mprotect of the middle splits the VMA in three ...
mprotect(base + 2 * PAGE_SIZE, 2 * PAGE_SIZE, PROT_READ)
vmas()
# ... and putting rw back merges them into one again.
mprotect(base + 2 * PAGE_SIZE, 2 * PAGE_SIZE, RW)
vmas()

# mprotect of the rw VMA's last pages to read-only splits it, and they join
# the read-only VMA after them: no page was ever written here, so
# mprotect_fixup() gives back the VM_ACCOUNT charge ("ac" in smaps'
# VmFlags) and the flags are equal. Once a VMA has anonymous pages it keeps
# VM_ACCOUNT, and the same mprotect would leave it apart.
mprotect(base + 6 * PAGE_SIZE, 2 * PAGE_SIZE, PROT_READ)
vmas()

# munmap of the middle leaves a hole; mapping it again fills the hole and
# the three pieces merge into one.
munmap(base + 2 * PAGE_SIZE, 2 * PAGE_SIZE)
vmas()
mmap(base + 2 * PAGE_SIZE, 2 * PAGE_SIZE, RW, ANON | MAP_FIXED)
vmas()

# A shared mapping next to private memory never merges: it has a file
# (the shmem object behind /dev/zero).
mmap(base + 12 * PAGE_SIZE, 4 * PAGE_SIZE, RW, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED)
vmas()

