# Unknown names suggest the nearest visible name: variables, functions,
# built-ins and constants.
counter = 1
countr ### `names.mms:4:1: error: undefined: countr \(did you mean counter\?\)`
---
lem("x") ### `undefined: lem \(did you mean len\?\)`
---
# A transposition of neighbouring letters is one edit.
lne("x") ### `undefined: lne \(did you mean len\?\)`
---
print PAGESIZE ### `undefined: PAGESIZE \(did you mean PAGE_SIZE\?\)`
---
print page_size ### `undefined: page_size \(did you mean PAGE_SIZE\?\)`
---
fn allocate_pages(n) { return n }
allocate_page(1) ### `undefined: allocate_page \(did you mean allocate_pages\?\)`
---
print zzzzzz ### `undefined: zzzzzz$`
---
# Locals of the current function are candidates; another function's are not.
fn f() {
  local_value = 1
  return local_valeu
}
f() ### `names.mms:\d+:10: error: undefined: local_valeu \(did you mean local_value\?\)`
---
fn g() { secret_thing = 1 }
fn f() { return secret_thin }
g()
f() ### `names.mms:28:17: error: undefined: secret_thin$`
---
# In a compound assignment too.
total = 0
totl += 1 ### `undefined: totl \(did you mean total\?\)`
---
# Unknown attributes suggest the nearest attribute.
c = handle("cache")
c.nome ### `names.mms:\d+:1: error: a cache has no attribute nome \(did you mean .name\?\)`
---
c = handle("cache")
print c.sise ### `a cache has no attribute sise \(did you mean .size\?\)`
---
c = handle("cache")
print c.object_size ### `a cache has no attribute object_size$`
---
r = testregs()
r.eaxx ### `a regs has no attribute eaxx \(did you mean .eax\?\)`
---
# An attribute that fails gives its error.
c = handle("page")
assert c.name == "h-page"
print c.boom ### `names.mms:52:7: error: attribute boom exploded`
---
# Values without attributes say so.
x = 1
x.size ### `names.mms:56:1: error: an int has no attributes \(.size\)`
---
"s".len ### `a string has no attributes \(.len\)`
---
[1].size ### `a list has no attributes \(.size\)`
---
# Keyword arguments suggest the nearest parameter.
range(1, ent=3) ### `range has no parameter named ent \(did you mean end\?\)`
---
fn area(width, height) { return width * height }
area(widht=1, height=2) ### `area has no parameter named widht`
