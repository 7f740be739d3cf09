# Assignment, compound assignment, typed declarations.
x = 1
assert x == 1
x = "now a string"
assert x == "now a string"
a = b = 1 ### "syntax error"
---
# Each compound operator.
x = 10
x += 5
assert x == 15
x -= 3
assert x == 12
x *= 4
assert x == 48
x /= 5
assert x == 9
x %= 4
assert x == 1
x <<= 10
assert x == 1024
x >>= 3
assert x == 128
x |= 3
assert x == 131
x &= 0xf0
assert x == 128
x ^= 0xff
assert x == 127
s = "ab"
s += "cd"
assert s == "abcd"
s *= 2
assert s == "abcdabcd"
l = [1]
l += [2, 3]
assert l == [1, 2, 3]
---
# Compound assignment fails like the operator, at the statement.
x = 1
x /= 0 ### `assign.mms:41:1: error: division by zero`
---
x = 9223372036854775807
x += 1 ### "integer overflow: 9223372036854775807 \\+ 1 does not fit in 64 bits"
---
s = "a"
s -= "b" ### `operator - does not apply to string and string`
---
# Compound assignment to an undefined name, or to a built-in.
y += 1 ### `undefined: y`
---
len += 1 ### `cannot assign to len: it is a built-in`
---
# Plain assignment may shadow a built-in.
len = 3
assert len == 3
PAGE_SIZE = 8192
assert PAGE_SIZE == 8192
---
# Element and attribute assignment, plain and compound.
l = [1, 2, 3]
l[0] = 10
l[-1] += 5
assert l == [10, 2, 8]
m = {"a": 1}
m["b"] = 2
m["a"] += 40
assert m == {"a": 41, "b": 2}
r = testregs()
r.eax = 45
r.ebx += 2
r.ebx <<= 4
assert r.eax == 45 and r.ebx == 32
expect error "regs.ecx must be an int, not string" { r.ecx = "x" }
expect error "a regs has no attribute edx (did you mean .eax?)" { r.edx = 1 }
expect error "key \"zz\" is not in the map" { m["zz"] += 1 }
expect error "index 3 out of range (length 3)" { l[3] = 0 }
expect error "index must be an int, not string" { l["0"] = 0 }
expect error "a list cannot be a map key" { m[[1]] = 1 }
expect error "cannot assign to an element of a string" { s = "abc"; s[0] = "x" }
expect error "cannot assign to .size: a cache's attributes are read-only" { c = handle("cache"); c.size = 1 }
expect error "cannot assign to .foo: an int's attributes are read-only" { n = 1; n.foo = 1 }
expect error "cannot assign to an element of an int" { n = 1; n[0] = 1 }
---
# Assignment targets that are not variables are syntax errors.
f(1) = 2 ### "cannot assign to a function call"
---
1 = 2 ### "cannot assign to a literal"
---
# The right-hand side is evaluated before the target's parts.
l = [0, 0]
i = 0
l[i] = i + 1
assert l == [1, 0]
m = {}
expect error "undefined: undefined_thing" { m[k] = undefined_thing }
expect error "undefined: k" { m[k] = 1 }
assert len(m) == 0
---
# Typed declarations: int.
int n = 5
n = 6
n += 1
assert n == 7
n = "seven" ### `n is declared int: want an int, got string "seven"`
---
int n = NULL ### `cannot declare int n: want an int, got NULL`
---
int n = 1
n += 0x8000000000000000 ### `assign.mms:110:6: error: n is declared int: want an int, got ptr 0x8000000000000001`
---
# ptr accepts a non-negative int (which becomes a ptr) and NULL.
ptr p = 4096
assert type(p) == "ptr"
assert p == 0x1000
p = 0
assert type(p) == "ptr"
p = NULL
assert p == NULL and type(p) == "NULL"
p = 0xc0000000
p += 8
assert type(p) == "ptr" and p == 0xc0000008
p -= 0xc0000008
assert type(p) == "ptr" and p == 0
expect error "p is declared ptr: want a ptr, got int -1" { p = -1 }
expect error "p is declared ptr: want a ptr, got string \"x\"" { p = "x" }
expect error "p is declared ptr: want a ptr, got bool true" { p = true }
assert p == 0
ptr q = -4 ### `cannot declare ptr q: want a ptr, got int -4`
---
# Handle types: the value's type must match; NULL is allowed.
cache c = handle("cache")
c = NULL
c = handle("cache")
page pg = handle("page")
proc t = handle("proc")
proc t2 = NULL
assert c.name == "h-cache" and pg.size == 32 and t.name == "h-proc"
expect error "c is declared cache: want a cache, got page <page>" { c = pg }
expect error "t is declared proc: want a proc, got int 1" { t = 1 }
expect error "pg is declared page: want a page, got list []" { pg = [] }
page p2 = handle("proc") ### `cannot declare page p2: want a page, got proc <proc>`
---
cache c = 42 ### `cannot declare cache c: want a cache, got int 42`
---
# A later declaration changes the variable's type.
int v = 1
ptr v = 2
assert type(v) == "ptr"
v = 3
assert type(v) == "ptr"
v = "x" ### "v is declared ptr"
---
# A failed typed assignment leaves the old value.
int n = 1
expect error "declared int" { n = "x" }
assert n == 1
---
# Loop variables are assignments too: a typed variable keeps its type.
int i = 0
for i in 0..3 { }
assert i == 2
ptr p = NULL
for p in [4096, NULL] { }
assert p == NULL
for p in [4096] { }
assert type(p) == "ptr"
for i in ["a"] { } ### `i is declared int: want an int, got string "a"`
---
# Typed declarations are local to a function, like assignments.
fn f() {
  int k = 1
  return k
}
assert f() == 1
expect error "undefined: k" { print k }
---
# A function's plain assignment makes a local even if a typed global
# has the same name; the global keeps its value and type.
int g = 1
fn f() {
  g = "local"
  return g
}
assert f() == "local"
assert g == 1
g = "x" ### "g is declared int"
