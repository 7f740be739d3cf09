# Zones: where a GFP mask lets an allocation land, and how it falls back.
# The default machine, x86 with 1 GiB: DMA below 16M, Normal to 896M, and
# HighMem above, which the kernel cannot keep mapped.
machine x86 mem=1G

for z in zones() { print z }

# gfp_zone() picks the highest zone a mask allows. (Movable is empty on this
# machine, so GFP_HIGHUSER_MOVABLE falls back to HighMem.)
for mask in [GFP_DMA, GFP_KERNEL, GFP_ATOMIC, GFP_HIGHUSER, GFP_HIGHUSER_MOVABLE] {
  print format("%-34s -> %s", gfp_string(mask), gfp_zone(mask).name)
}

d = alloc_pages(GFP_DMA, 0)
k = alloc_pages(GFP_KERNEL, 0)
h = alloc_pages(GFP_HIGHUSER, 0)
print "GFP_DMA      ->", d, "at", page_address(d)
print "GFP_KERNEL   ->", k, "at", page_address(k)
print "GFP_HIGHUSER ->", h, "at", page_address(h), "(no permanent mapping)"

# Watermarks, from min_free_kbytes = int_sqrt(lowmem KiB * 16).
print "min_free_kbytes =", min_free_kbytes()
for z in zones() {
  if z.populated {
    print format("%-8s min %4d  low %4d  high %4d  protection %v", z.name, z.min, z.low, z.high, z.protection)
  }
}

# Fallback goes down the zonelist, never up: fill HighMem with 4 MiB blocks
# until GFP_HIGHUSER has to take them from Normal.
high = zone("HighMem")
n = 0
p = alloc_pages(GFP_HIGHUSER | __GFP_NORETRY | __GFP_NOWARN, 10)
while p.zone.name == "HighMem" {
  n += 1
  p = alloc_pages(GFP_HIGHUSER | __GFP_NORETRY | __GFP_NOWARN, 10)
}
print n, "blocks of 4 MiB came from HighMem; the next came from", p.zone.name
# An order-10 request sets aside 1023 pages: it needs more than low + 1023
# free pages in the zone, and a free order-10 block.
print "HighMem has", high.free, "free pages and", nr_free(high, 10), "free 4 MiB blocks; the request needed more than", high.low + 1023
show buddyinfo

# GFP_DMA never takes memory from a higher zone, and GFP_KERNEL never from
# HighMem: a sleeping allocation in an interrupt handler is a BUG whatever
# the zone.
expect bug "sleeping function called from invalid context" {
  irq { alloc_pages(GFP_KERNEL, 0) }
}
irq { a = alloc_pages(GFP_ATOMIC, 0) }
print "GFP_ATOMIC in irq ->", a
