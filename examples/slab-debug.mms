# Slab debugging: what slub_debug and KASAN catch. debug=on turns on
# red zones, poisoning and consistency checks for every cache.
machine x86_64 mem=256M debug=on

c = kmalloc_cache(32)
print c.name, "with debugging:", c.size, "bytes per object,", c.objs_per_slab, "per slab"

# A fresh object is poisoned: 0x6b bytes, ending in 0xa5; the red zone
# around it reads 0xcc while it is allocated.
p = kmalloc(32, GFP_KERNEL)
print "first byte", hex(read(p)), "- last byte", hex(read(p + 31)), "- red zone", hex(read(p + 32))

# Double free: the second kfree is a kernel BUG naming where it was freed.
q = kmalloc(32, GFP_KERNEL)
kfree(q)
expect bug "Object already free" { kfree(q) }

# Use after free: KASAN reports the access (a warning; the kernel goes on)
# and the freed object still reads as poison.
expect warn "slab-use-after-free" { v = read(q) }
print "freed object reads", hex(v)

# Writing into it damages the poison, which the next allocation notices.
expect warn "slab-use-after-free" { write q, 0 }
expect warn "Poison overwritten" { again = kmalloc(32, GFP_KERNEL) }
print "the same object is handed out again:", again == q

# One byte past the end lands in the red zone; kfree finds it, and the
# object is not freed.
write p + 32, 0
expect bug "Right Redzone overwritten" { kfree(p) }

# A pointer into the middle of an object is not an object.
r = kmalloc(64, GFP_KERNEL)
expect bug "Invalid object pointer" { kfree(r + 8) }
kfree(r)
kfree(again)
