# A slab cache under SLUB: slabs fill, go full, come back through the
# partial lists, and empty slabs go back to the buddy allocator.
machine x86_64 mem=256M cpus=1

# 1000-byte objects: SLUB picks order 1 (two pages), 8 objects a slab,
# 192 bytes left over.
c = kmem_cache_create("demo", 1000)
print c
print "min_partial", c.min_partial, "- cpu_partial", c.cpu_partial, "objects"

# The first allocation creates a slab: it becomes the CPU's active slab.
objs = [kmem_cache_alloc(c, GFP_KERNEL)]
show slab c

# Filling it: when it is full the CPU leaves it on no list and takes a new one.
repeat 19 { append(objs, kmem_cache_alloc(c, GFP_KERNEL)) }
show slab c

# Freeing into a full slab puts it on the CPU's partial list (at its head).
a = objs[2]
b = objs[9]
kmem_cache_free(c, a)
kmem_cache_free(c, b)
live = []
for o in objs {
  if o != a and o != b { append(live, o) }
}
show slab c

# When the active slab runs out, the CPU takes the head of its partial
# list; the free object there is handed out again (last in, first out).
repeat 5 { append(live, kmem_cache_alloc(c, GFP_KERNEL)) }
show slab c
assert live[len(live) - 1] == b

# /proc/slabinfo counts the CPU's slabs as all active.
print "active_objs", c.active_objs, "num_objs", c.num_objs, "slabs", c.num_slabs

# Free everything: the slabs empty out but stay cached ...
for o in live { kmem_cache_free(c, o) }
show slab c
free = nr_free_pages()

# ... until kmem_cache_shrink gives them back to the buddy allocator.
n = kmem_cache_shrink(c)
print "shrink freed", n, "slabs:", nr_free_pages() - free, "pages back"
kmem_cache_destroy(c)
