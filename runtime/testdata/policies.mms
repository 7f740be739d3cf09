# replay_refs(policy, frames, refs) replays a reference string under a
# textbook replacement policy. Silberschatz's string with 3 frames: FIFO 15
# faults, LRU 12, OPT 9, CLOCK 14 (Operating System Concepts, 10.4).
refs = [7, 0, 1, 2, 0, 3, 0, 4, 2, 3, 0, 3, 2, 1, 2, 0, 1, 7, 0, 1]
want = {"fifo": 15, "lru": 12, "opt": 9, "clock": 14, "secondchance": 14}
for p, m in want {
  r = replay_refs(p, 3, refs)
  assert r["policy"] == p and r["frames"] == 3
  assert r["misses"] == m and r["hits"] == 20 - m and len(r["steps"]) == 20
}
r = replay_refs("fifo", 3, refs)
assert keys(r) == ["policy", "frames", "hits", "misses", "hit_rate", "steps"]
# hit_rate is a percentage rounded down: 5 of 20 is 25, 8 of 20 is 40.
assert r["hit_rate"] == 25 and replay_refs("lru", 3, refs)["hit_rate"] == 40
assert replay_refs("opt", 3, refs)["hit_rate"] == 55
assert replay_refs("opt", 3, [1, 1, 1])["hit_rate"] == 66
---
# A step: the page referenced, hit or miss, the frames after it in frame
# order (NULL for an empty frame), the page evicted (NULL for none).
s = replay_refs("fifo", 3, [7, 0, 1, 2, 0])["steps"]
assert s[0] == {"ref": 7, "hit": false, "frames": [7, NULL, NULL], "evicted": NULL}
assert s[2]["frames"] == [7, 0, 1] and s[2]["evicted"] == NULL
assert s[3] == {"ref": 2, "hit": false, "frames": [2, 0, 1], "evicted": 7}
assert s[4]["hit"] and s[4]["frames"] == [2, 0, 1] and s[4]["evicted"] == NULL
assert keys(s[0]) == ["ref", "hit", "frames", "evicted"]
print s[3]
assert output() == "{\"ref\": 2, \"hit\": false, \"frames\": [2, 0, 1], \"evicted\": 7}\n"
---
# Belady's anomaly: FIFO faults more with 4 frames than with 3; LRU and
# OPT, stack algorithms, do not.
b = [1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5]
assert replay_refs("fifo", 3, b)["misses"] == 9 and replay_refs("fifo", 4, b)["misses"] == 10
assert replay_refs("lru", 3, b)["misses"] == 10 and replay_refs("lru", 4, b)["misses"] == 8
assert replay_refs("opt", 3, b)["misses"] == 7 and replay_refs("opt", 4, b)["misses"] == 6
---
# CLOCK: a hit sets the frame's bit, and the hand skips it once. FIFO
# evicts 2 at the 5; CLOCK gave 2 a second chance and evicts 3.
refs = [1, 2, 3, 4, 2, 5, 6, 4, 7, 1]
fn frames(p) {
  out = []
  for s in replay_refs(p, 3, refs)["steps"] { append(out, s["frames"]) }
  return out
}
c = frames("clock")
assert c == [[1, NULL, NULL], [1, 2, NULL], [1, 2, 3], [4, 2, 3], [4, 2, 3], [4, 2, 5], [4, 6, 5], [4, 6, 5], [4, 6, 7], [1, 6, 7]]
assert frames("secondchance") == c
assert frames("fifo")[5] == [4, 5, 3]
---
# Edge cases: no references; one frame; more frames than pages (only the
# first reference to each page misses); page 0 is a page.
r = replay_refs("lru", 4, [])
assert r["hits"] == 0 and r["misses"] == 0 and r["hit_rate"] == 0 and r["steps"] == []
r = replay_refs("clock", 1, [0, 0, 1, 0])
assert r["misses"] == 3 and r["steps"][1]["hit"] and r["steps"][3]["evicted"] == 1
r = replay_refs("opt", 10, [3, 1, 3, 0, 1, 0])
assert r["misses"] == 3 and r["steps"][5]["frames"] == [3, 1, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL]
# Arguments by name.
assert replay_refs(refs=[1, 2, 1], frames=1, policy="fifo")["misses"] == 3
---
replay_refs("lfu", 3, [1]) ### `error: replay_refs: unknown policy "lfu" \(did you mean lru\?\); policies: clock, fifo, lru, opt, secondchance$`
---
replay_refs("LRU", 3, [1]) ### `unknown policy "LRU" \(did you mean lru\?\)`
---
replay_refs("belady", 3, [1]) ### `replay_refs: unknown policy "belady"; policies: clock, fifo, lru, opt, secondchance$`
---
replay_refs("fifo", 0, [1]) ### `replay_refs: frames must be at least 1, not 0$`
---
replay_refs("fifo", -5, []) ### `replay_refs: frames must be at least 1, not -5$`
---
replay_refs("fifo", 1 << 40, [1]) ### `replay_refs: frames must be at most 65536, not 1099511627776$`
---
replay_refs("lru", 3, [1, -2]) ### `replay_refs: refs\[1\] is -2: page numbers must not be negative$`
---
replay_refs("lru", 3, [1, "2"]) ### `replay_refs: refs\[1\] is string "2", not a page number \(an int\)$`
---
replay_refs("lru", 3, [1, NULL]) ### `replay_refs: refs\[1\] is NULL, not a page number \(an int\)$`
---
replay_refs("lru", 3, range(4)) ### `replay_refs: argument refs must be a list, not range`
---
replay_refs("lru", "3", [1]) ### `replay_refs: argument frames must be an int, not string`
---
replay_refs("lru", 3) ### `replay_refs: missing argument refs`
---
replay_refs(3, 3, [1]) ### `replay_refs: argument policy must be a string, not int`
---
replay_refs("lru", 3, [1], 4) ### `replay_refs takes at most 3 arguments \(policy, frames, refs\), got 4`
---
# The table of steps is bounded: references times frames at most 2^24.
replay_refs("fifo", 65536, range(0, 300, 1)) ### `replay_refs: a table of 300 references by 65536 frames is too large \(limit 16777216 cells\)$`
