# Page replacement, the textbook way (Silberschatz et al., Operating System
# Concepts, "Page Replacement"; Tanenbaum, Modern Operating Systems, "Page
# Replacement Algorithms"): a reference string is the list of pages a
# program touches, in order, and a policy decides which page leaves when a
# fault finds every frame in use.
#
# replay_refs(policy, frames, refs) replays a string and returns the counts
# and every step: the page referenced, hit or miss, the frames after it (a
# page keeps the frame it was loaded into, as in the textbook figures) and
# the page evicted. It needs no machine: the reference string is the
# abstraction, not the kernel's LRU lists.
#
#   fifo   evicts the page loaded longest ago
#   lru    evicts the page used longest ago
#   clock  second chance: a hand sweeps the frames, clearing reference
#          bits, and evicts the first page whose bit is already clear
#   opt    Belady's optimum: evicts the page needed farthest in the future
#          (it needs to know the future, so it is the yardstick, not a
#          policy a kernel can run)

refs = [7, 0, 1, 2, 0, 3, 0, 4, 2, 3, 0, 3, 2, 1, 2, 0, 1, 7, 0, 1]

print "Silberschatz's reference string,", len(refs), "references, 3 frames:"
print format("  %-6s %5s %7s %9s", "policy", "hits", "misses", "hit rate")
for p in ["fifo", "lru", "clock", "opt"] {
  r = replay_refs(p, 3, refs)
  print format("  %-6s %5d %7d %8d%%", p, r["hits"], r["misses"], r["hit_rate"])
}
assert replay_refs("opt", 3, refs)["misses"] == 9, "OPT: 9 faults, the fewest possible"

# frames_text is a step's frames as a row of cells, "." for an empty frame.
# (NULL == 0 is true, so the test is on the type.)
fn frames_text(frames) {
  t = ""
  for f in frames {
    if type(f) == "NULL" { t += "  ." } else { t += format("%3d", f) }
  }
  return t
}

# LRU step by step, as in the textbook figure: every fault replaces the
# page whose last use is the oldest.
print
print "LRU, step by step:"
print format("  %4s  %-9s  %s", "ref", "frames", "result")
for s in replay_refs("lru", 3, refs)["steps"] {
  if s["hit"] {
    what = "hit"
  } else if type(s["evicted"]) == "NULL" {
    what = "miss"
  } else {
    what = format("miss, evicts %d", s["evicted"])
  }
  print format("  %4d  %-9s  %s", s["ref"], frames_text(s["frames"]), what)
}

# what_happened is a short result column: "hit", "miss" for a miss that
# filled an empty frame, or "evict P" for a miss that evicted page P.
fn what_happened(s) {
  if s["hit"] { return "hit" }
  if type(s["evicted"]) == "NULL" { return "miss" }
  return format("evict %d", s["evicted"])
}

# CLOCK gives a referenced page a second chance. At the reference to 5,
# FIFO evicts 2, the oldest page; CLOCK finds 2's bit set (2 was hit just
# before), clears it and evicts 3 instead. The two never hold the same
# pages again.
short = [1, 2, 3, 4, 2, 5, 6, 4, 7, 1]
print
print "FIFO and CLOCK on", short, "with 3 frames:"
fifo = replay_refs("fifo", 3, short)["steps"]
clock = replay_refs("clock", 3, short)["steps"]
print format("  %4s  %-9s  %-7s    %s", "ref", "fifo", "", "clock")
for i, f in fifo {
  c = clock[i]
  print format("  %4d  %-9s  %-7s    %-9s  %s", f["ref"], frames_text(f["frames"]), what_happened(f), frames_text(c["frames"]), what_happened(c))
}
assert fifo[5]["evicted"] == 2 and clock[5]["evicted"] == 3

# Belady's anomaly: with FIFO, more frames can mean more faults. LRU and
# OPT are stack algorithms (the pages n frames hold are always among those
# n + 1 frames hold), so for them more frames never hurt.
belady = [1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5]
print
print "Belady's anomaly, faults on", belady
print format("  %6s %5s %5s %5s", "frames", "fifo", "lru", "opt")
for n in range(1, 8) {
  print format("  %6d %5d %5d %5d", n, replay_refs("fifo", n, belady)["misses"], replay_refs("lru", n, belady)["misses"], replay_refs("opt", n, belady)["misses"])
}
assert replay_refs("fifo", 3, belady)["misses"] == 9
assert replay_refs("fifo", 4, belady)["misses"] == 10, "one more frame, one more fault"
