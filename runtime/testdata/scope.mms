# Python-like scope: functions assign locals; blocks open no scope.
x = 1
fn f() {
  x = 2
  y = 3
  return x + y
}
assert f() == 5
assert x == 1
expect error "undefined: y" { print y }
---
# Blocks open no scope: if, loops, contexts and expect assign at the
# level of the enclosing function or the top level.
if true { a = 1 }
while a < 3 { a += 1; b = a }
for i in 0..2 { c = i }
repeat 1 { d = 4 }
irq { e = 5 }
atomic { ee = 55 }
expect error { g = 6; 1 / 0 }
assert a == 3 and b == 3 and c == 1 and d == 4 and e == 5 and ee == 55 and g == 6
---
# A loop variable survives the loop, with its last value.
for i in 0..5 { }
assert i == 4
for k, v in {"a": 1, "b": 2} { }
assert k == "b" and v == 2
for ch in "xyz" { }
assert ch == "z"
n = 0
for j in 0..100 {
  if j == 7 { break }
}
assert j == 7
# A loop that runs no iteration does not bind its variable.
for never in 0..0 { }
expect error "undefined: never" { print never }
---
# Functions read globals, including ones defined after the function.
fn show_g() { return g * 2 }
g = 21
assert show_g() == 42
g = 5
assert show_g() == 10
---
# Compound assignment to a global inside a function is an error.
counter = 0
fn bump() {
  counter += 1
}
bump() ### `scope.mms:49:3: error: cannot assign to counter: it is not a local variable of bump`
---
# But a function can assign a local of the same name, then update it.
counter = 0
fn bump() {
  counter = 10
  counter += 1
  return counter
}
assert bump() == 11
assert counter == 0
---
# Mutating a global list or map through a function is not assignment.
seen = []
fn record(x) { append(seen, x) }
record(1)
record(2)
assert seen == [1, 2]
m = {}
fn put(k, v) { m[k] = v }
put("a", 1)
assert m == {"a": 1}
---
# Closures read the locals of the enclosing function.
fn outer(n) {
  base = n * 10
  fn inner(k) { return base + k }
  return inner(1) + inner(2)
}
assert outer(3) == 63
expect error "undefined: base" { print base }
expect error "undefined: inner" { inner(1) }
---
# A closure keeps its function's scope after the function returns.
fn make(n) {
  fn add(k) { return n + k }
  return add
}
add5 = make(5)
add7 = make(7)
assert add5(1) == 6 and add7(1) == 8
---
# A closure cannot assign to its enclosing function's locals with +=.
fn outer() {
  total = 0
  fn inc() { total += 1 }
  inc()
  return total
}
outer() ### `cannot assign to total: it is not a local variable of inc`
---
# Parameters are locals.
x = 1
fn setx(x) {
  x += 1
  return x
}
assert setx(10) == 11
assert x == 1
---
# A function's locals do not leak into its callers or callees.
fn a() { la = 1; return b() }
fn b() { return la } 
a() ### `scope.mms:113:17: error: undefined: la`
---
# Function names are variables: they can be rebound, passed and stored.
fn double(x) { return x * 2 }
fn apply(f, v) { return f(v) }
assert apply(double, 4) == 8
fs = [double, len]
assert fs[0](3) == 6 and fs[1]("abc") == 3
d = {"f": double}
assert d["f"](5) == 10
double = 3
assert double == 3
---
# Each call gets fresh locals.
fn count() {
  if false { seen_before = 1 }
  expect error "undefined: seen_before" { print seen_before }
  seen_before = 1
}
count()
count()
