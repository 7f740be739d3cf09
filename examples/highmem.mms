# Highmem on 32-bit x86: RAM above 896 MiB has no permanent kernel address.
# The kernel reaches such a page through a temporary mapping: kmap() (a slot
# of the pkmap area, may sleep) or kmap_local_page()/kmap_atomic() (a
# per-CPU fixmap slot, used as a stack).
machine x86 mem=1G cpus=2

pg = alloc_page(GFP_HIGHUSER)
print pg
print "PageHighMem:", PageHighMem(pg), " page_address:", page_address(pg)
expect error "no permanent kernel address" { phys_to_virt(pg.phys) }

# kmap: the page gets a pkmap slot (the scan starts after last_pkmap_nr 0).
a = kmap(pg)
print "kmap ->", a, " page_address now:", page_address(pg)
write(a, 0x5a)
assert kmap(pg) == a            # a second user shares the slot: count 3
show pkmap
kunmap(pg)
kunmap(pg)
# No users, but the slot stays mapped (count 1) until the circular scan
# wraps: page_address still finds it.
show pkmap
print "page_address after kunmap:", page_address(pg)
expect bug "no users left" { kunmap(pg) }

# kmap may sleep, so it is forbidden in atomic context.
atomic { expect bug "sleeping function" { kmap(pg) } }

# kmap_atomic: a fixmap slot of this CPU; preemption and page faults are off
# until kunmap_atomic, so nothing may sleep in between.
b = kmap_atomic(pg)
print "kmap_atomic ->", b, " reads", read(b)
show context
expect bug "sleeping function" { alloc_page(GFP_KERNEL) }
kunmap_atomic(b)

# kmap_local_page nests like a stack: KM_MAX_IDX is 16, and the push that
# reaches it is a BUG, so 15 highmem mappings fit per task.
pages = []
addrs = []
for i in 0..3 {
  p = alloc_page(GFP_HIGHUSER)
  pages = pages + [p]
  addrs = addrs + [kmap_local_page(p)]
}
show pkmap
# Undoing them out of order draws the kernel's warning.
expect warn "LIFO" { kunmap_local(addrs[0]) }
kunmap_local(addrs[2])
kunmap_local(addrs[1])

# A lowmem page needs no slot: every call returns its direct-map address.
low = alloc_page(GFP_KERNEL)
assert kmap(low) == page_address(low)
assert kmap_local_page(low) == page_address(low)
kunmap_local(page_address(low))
kunmap(low)

# The wrap: fill every pkmap slot once, release them, and map one more page.
# The scan reaches slot 0, flush_all_zero_pkmaps() frees every count-1 slot,
# and one TLB flush covers the whole 4 MiB pkmap area on every CPU.
many = []
for i in 0..1022 { many = many + [alloc_page(GFP_HIGHUSER)] }
for p in many { kmap(p) }
for p in many { kunmap(p) }
flush_tlb_all()
last = alloc_page(GFP_HIGHUSER)
print "kmap after the wrap ->", kmap(last)
show pkmap
show vmstat
kunmap(last)
__free_page(last)
for p in many { __free_page(p) }
for p in pages { __free_page(p) }
__free_page(low)
__free_page(pg)
