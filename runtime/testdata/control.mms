# if / else if / else.
fn classify(n) {
  if n < 0 {
    return "negative"
  } else if n == 0 {
    return "zero"
  } else if n < 10 {
    return "small"
  } else {
    return "large"
  }
}
assert classify(-5) == "negative"
assert classify(0) == "zero"
assert classify(3) == "small"
assert classify(30) == "large"
---
# Conditions use truth: 0, "", NULL, false, empty list, map and range are false.
out = []
for v in [0, 1, "", "x", NULL, true, false, [], [0], {}, {1: 1}, 0..0, 0..1, -1, 0x8000000000000000] {
  if v { append(out, 1) } else { append(out, 0) }
}
assert out == [0, 1, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 1, 1, 1]
fn f() { }
if f { x = 1 }
if len { x += 1 }
assert x == 2
---
# Only the chosen branch is evaluated.
if true { ok = 1 } else { undefined_a }
if false { undefined_b } else if true { ok += 1 } else { undefined_c }
if false { undefined_d }
assert ok == 2
---
if undefined_cond { } ### `control.mms:35:4: error: undefined: undefined_cond`
---
if false { } else if 1 / 0 { } ### `control.mms:37:24: error: division by zero`
---
else { } ### `syntax error`
---
# while.
i = 0
total = 0
while i < 10 {
  i += 1
  if i % 2 == 0 { continue }
  if i > 7 { break }
  total += i
}
assert total == 1 + 3 + 5 + 7
assert i == 9
while false { never_runs }
---
# for over a range: one variable is the value; two are index and value.
vals = []
for i in 3..6 { append(vals, i) }
assert vals == [3, 4, 5]
pairs = []
for i, v in 3..6 { append(pairs, [i, v]) }
assert pairs == [[0, 3], [1, 4], [2, 5]]
for i in 5..2 { fail("empty range runs") }
for i in range(3) { last = i }
assert last == 2
n = 0
for i in -3..-1 { n += i }
assert n == -5
---
# for over a list: one variable is the element; two are index and element.
vals = []
for x in ["a", "b"] { append(vals, x) }
assert vals == ["a", "b"]
pairs = []
for i, x in ["a", "b"] { append(pairs, [i, x]) }
assert pairs == [[0, "a"], [1, "b"]]
for x in [] { fail("empty list runs") }
---
# Changing the list inside the loop does not change the iteration.
l = [1, 2, 3]
seen = []
for x in l {
  append(l, x)
  l[0] = 99
  append(seen, x)
}
assert seen == [1, 2, 3]
assert l == [99, 2, 3, 1, 2, 3]
---
# for over a map: one variable is the key; two are key and value, in
# insertion order.
m = {"z": 1, "a": 2, "m": 3}
ks = []
for k in m { append(ks, k) }
assert ks == ["z", "a", "m"]
kvs = []
for k, v in m { append(kvs, k + "=" + str(v)) }
assert kvs == ["z=1", "a=2", "m=3"]
# Keys added inside the loop are not visited.
for k in m { m[k + k] = 0 }
assert len(m) == 6
assert keys(m) == ["z", "a", "m", "zz", "aa", "mm"]
---
# for over a string: one variable is the character; two are index and
# character.
chars = []
for c in "abc" { append(chars, c) }
assert chars == ["a", "b", "c"]
pairs = []
for i, c in "ab" { append(pairs, [i, c]) }
assert pairs == [[0, "a"], [1, "b"]]
for c in "" { fail("empty string runs") }
---
for x in 5 { } ### `control.mms:112:10: error: cannot loop over an int \(want a range, list, map or string\)`
---
for x in NULL { } ### `cannot loop over a NULL`
---
for a, b, c in [1] { } ### `syntax error`
---
# break and continue in each kind of loop; they affect the innermost loop.
out = []
for i in 0..3 {
  for j in 0..3 {
    if j == 1 { continue }
    if j == 2 { break }
    append(out, [i, j])
  }
  if i == 1 { break }
}
assert out == [[0, 0], [1, 0]]
n = 0
repeat 10 {
  n += 1
  if n == 3 { break }
}
assert n == 3
m = 0
repeat 5 {
  m += 1
  if m > 2 { continue }
  m += 10
}
assert m == 15
for k in {"a": 1, "b": 2} {
  last = k
  break
}
assert last == "a"
for c in "hello" {
  if c == "l" { break }
  last = c
}
assert last == "e"
---
# break and continue inside blocks that are not loops act on the loop.
n = 0
for i in 0..5 {
  atomic {
    if i == 1 { continue }
    if i == 3 { break }
  }
  n += 1
}
assert n == 2
show context
assert output() == "process context on cpu 0 (may sleep)\n"
---
break ### `syntax error: break outside a loop`
---
for i in 0..3 {
  fn f() { continue } ### `syntax error: continue outside a loop`
}
---
# repeat.
n = 0
repeat 4 { n += 1 }
assert n == 4
repeat 0 { fail("repeat 0 runs") }
count = 2
repeat count + 1 { n += 1 }
assert n == 7
---
repeat -1 { } ### `control.mms:181:8: error: repeat needs a count that is an int >= 0, not int -1`
---
repeat "3" { } ### `repeat needs a count that is an int >= 0, not string "3"`
---
repeat 0x8000000000000000 { } ### `repeat needs a count that is an int >= 0, not ptr 0x8000000000000000`
---
# The count is evaluated once.
n = 3
k = 0
repeat n { n += 1; k += 1 }
assert k == 3 and n == 6
---
# An error inside a loop stops it, at the failing statement.
for i in 0..10 {
  if i == 3 {
    x = 1 / (i - 3) ### `control.mms:196:11: error: division by zero`
  }
}
