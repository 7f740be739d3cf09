# A page-table walk, level by level, as the MMU does it on a TLB miss.
# The machine line picks the format: x86 has 2-level tables (10/10/12 bits),
# x86 paging=pae 3-level (2/9/9/12, 64-bit entries), x86_64 4-level
# (9/9/9/9/12). Run this file with --machine "x86 paging=pae" or
# --machine x86_64 to walk the same objects under the other formats.
machine x86 mem=1G

show layout

# A vmalloc address is mapped page by page: every level down to the PTE.
v = vmalloc(8K)
write(v + 0x123, 7)
show vtop v + 0x123
w = split_vaddr(v + 0x123)
print "indices on this machine:", w

# The same 32-bit address split under each format, by hand:
#   2-level: PGD = bits 31-22, PTE = bits 21-12;
#   PAE:     PGD = bits 31-30, PMD = bits 29-21, PTE = bits 20-12;
#   4-level: PGD = bits 47-39, PUD = 38-30, PMD = 29-21, PTE = 20-12.
a = 0xf8801123
for mode in ["2level", "pae", "4level"] {
  print format("%-7s %v", mode, split_vaddr(a, mode))
}
assert split_vaddr(a, "2level")["pgd"] == a >> 22
assert split_vaddr(a, "pae")["pmd"] == (a >> 21) & 511

# The direct map needs no PTE level: large pages end the walk early.
k = kmalloc(100, GFP_KERNEL)
show vtop k

# The guard page after the vmalloc area: the walk stops at a missing entry.
show vtop v + 8K
print translate(v + 8K)

# A walk fills the TLB; the next access to the page hits.
flush_tlb_all()
touch v
touch v + 4
show tlb 0
kfree(k)
vfree(v)
