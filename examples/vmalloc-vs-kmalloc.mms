# vmalloc versus kmalloc: the classic comparison.
# kmalloc hands out physically contiguous memory from the direct map; vmalloc
# builds virtually contiguous memory out of single pages from anywhere
# (HighMem too, on this 32-bit machine) and maps them through page tables.
machine x86 mem=1G cpus=2

show layout

# 1. Physical contiguity. 64 KiB from each.
k = kmalloc(64K, GFP_KERNEL)
print "kmalloc(64K) ->", k
print "  contiguous:", phys_contiguous(k), " virt_to_phys:", virt_to_phys(k)

# Fragment HighMem first, the way a running system is: take 32 pages and give
# back every other one, so the free pages are scattered.
held = []
for i in 0..32 { held = held + [alloc_page(GFP_HIGHUSER)] }
for i in 0..16 { __free_page(held[2 * i]) }

v = vmalloc(64K)
print "vmalloc(64K) ->", v
print "  contiguous:", phys_contiguous(v)
for i in 0..4 {
  pg = vmalloc_to_page(v + i * 4K)
  print format("  page %d at %#x -> pfn %#x (%s)", i, v + i * 4K, pg.pfn, pg.zone.name)
}
expect error "vmalloc address" { virt_to_phys(v) }

# 2. Page-table work. kmalloc memory is already mapped by the direct map's
# large pages; vmalloc writes one PTE per page into init_mm (and its first
# area needed a page-table page).
show vtop k
show vtop v

# 3. The guard page: each area is followed by one unmapped page.
show vmallocinfo
expect bug "guard page" { touch v + 64K }

# 4. TLB cost: touching 16 vmalloc pages takes 16 misses, one per page; the
# same 64 KiB of kmalloc memory sits inside one 4 MiB direct-map entry.
flush_tlb_all()
for i in 0..16 { touch v + i * 4K }
for i in 0..16 { touch k + i * 4K }
show tlb 0

# 5. Freeing: vfree unmaps at once but flushes the TLB lazily; the area's
# addresses wait ("unpurged") until enough has been freed, or until
# vm_unmap_aliases() purges them with one flush on every CPU.
vfree(v)
kfree(k)
show vmallocinfo
vm_unmap_aliases()
show vmstat

# 6. Size limits: kmalloc stops at order 10 (4 MiB); vmalloc goes up to
# the size of the vmalloc area (about 111 MiB on this machine).
expect warn "MAX_PAGE_ORDER" { assert kmalloc(8M, GFP_KERNEL) == NULL }
big = vmalloc(8M)
print "vmalloc(8M) ->", big
vfree(big)
expect warn "vmap allocation for size" { assert vmalloc(200M) == NULL }

# 7. Context rules: vmalloc may never run in interrupt context, and vfree
# there is deferred until the interrupt is over.
v = vmalloc(4K)
irq {
  expect bug "interrupt context" { vmalloc(4K) }
  vfree(v)
  show vmallocinfo
}
show vmallocinfo
for i in 0..16 { __free_page(held[2 * i + 1]) }
