# A tour of mmsim: the language, and the machine it runs against.
machine x86 mem=64M cpus=2

show machine

# Values: ints with size suffixes, strings, lists, maps, addresses.
pages = 64M / PAGE_SIZE
print "pages of RAM:", pages
print "one page is", PAGE_SIZE, "bytes =", hex(4K)
kernel = 0xC0000000                 # PAGE_OFFSET on x86 with the 3G/1G split
print "page 5 of lowmem maps at", hex(kernel + 5 * PAGE_SIZE)

# Functions and loops; blocks open no new scope.
fn order_for(size) {
  order = 0
  while (PAGE_SIZE << order) < size { order += 1 }
  return order
}
sizes = [4K, 8K, 21K, 64K, 1M]
orders = {}
for s in sizes { orders[s] = order_for(s) }
for s, o in orders { print format("%8d bytes -> order %d (%d pages)", s, o, 1 << o) }

# Execution contexts: code in an interrupt handler may not sleep.
irq { show context }
cpu 1 { show context }

# Expectations: the block must fail, and the script goes on.
expect error "division by zero" { x = 1 / 0 }
assert order_for(21K) == 3, "a 21K request needs a 32K block"
print "tour done"
