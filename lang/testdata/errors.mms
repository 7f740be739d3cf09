# Syntax errors, one per chunk. Chunks are separated by lines of ---; a
# comment of three #s and a quoted regexp marks the line of the expected
# error, and the regexp must match the message. A chunk without one must
# parse cleanly.
# Errors whose message starts "unexpected end of input" are Incomplete.
machine x86 mem=64M cpus=2
cache c = kmem_cache_create("task_struct", 1792, SLAB_HWCACHE_ALIGN)
p = kmalloc(28, GFP_ATOMIC)
fork
touch 0x08049000 write
show buddyinfo
---
# end of input inside a block
if x {
  y = 1   ### `^unexpected end of input, expected "}"$`
---
# end of input inside nested blocks
fn f(a) {
  while a {
    irq {   ### `^unexpected end of input, expected "}"$`
---
# end of input inside a call
p = kmalloc(28   ### `^unexpected end of input, expected "\)"$`
---
# end of input inside a call spread over lines
p = kmem_cache_create(
  "task_struct",
  1792,
  SLAB_HWCACHE_ALIGN   ### `^unexpected end of input, expected "\)"$`
---
# end of input after a comma
p = kmalloc(28,   ### `^unexpected end of input, expected an expression$`
---
# end of input inside a list
l = [1, 2   ### `^unexpected end of input, expected "\]"$`
---
# end of input after else
if x {
} else   ### `^unexpected end of input, expected "if" or "\{"$`
---
# missing expression after =
x =   ### `^unexpected end of input, expected an expression$`
---
# missing expression after = with more lines after it
x =   ### `^unexpected end of line, expected an expression$`
y = 2
---
# missing expression after a compound assignment
x <<=   ### `^unexpected end of line, expected an expression$`
print x
---
# missing operand
y = 1 + * 2   ### `^unexpected "\*", expected an expression$`
---
# unterminated string
print "abc   ### `^string literal is not terminated`
---
# unterminated string at the end of a line, with more lines after it
s = "one   ### `^string literal is not terminated`
t = "two"
---
# strings do not span lines
s = "one\ntwo"
t = "three   ### `^string literal is not terminated`
---
x = "a\qb"   ### `^invalid escape sequence in string literal "a\\qb"$`
---
x = @y   ### `^unexpected character '@'$`
---
print $HOME   ### `^unexpected character '\$'$`
---
x = 'a'   ### `^unexpected character '\\''$`
---
x = 0755   ### `^invalid integer literal "0755" \(leading zeros are not allowed; write 0o for octal\)$`
---
x = 0x   ### `^invalid integer literal "0x"$`
---
x = 1__0   ### `^invalid integer literal "1__0"$`
---
x = 12abc   ### `^invalid integer literal "12abc"$`
---
x = 0x_1   ### `^invalid integer literal "0x_1"$`
---
x = 1_   ### `^invalid integer literal "1_"$`
---
x = 0b102   ### `^invalid integer literal "0b102"$`
---
x = 4KB   ### `^invalid integer literal "4KB"$`
---
x = 9223372036854775808   ### `^integer literal 9223372036854775808 is too large \(decimal literals must fit in a signed 64-bit int\)$`
---
x = 18446744073709551616   ### `^integer literal 18446744073709551616 is too large \(more than 64 bits\)$`
---
x = 0xffffffffffffffffK   ### `^integer literal 0xffffffffffffffffK is too large \(more than 64 bits\)$`
---
x = 0x10000000000000000   ### `^integer literal 0x10000000000000000 is too large \(more than 64 bits\)$`
---
# the largest literals are fine
a = 9223372036854775807
b = 0xffffffffffffffff
c = 0x3fffffffffffffK
d = 16383T
---
x = 1.5   ### `^unexpected "5", expected a name$`
---
# comparisons do not chain
if a < b < c {   ### `^< cannot follow < without parentheses; comparisons do not chain \(use and\)$`
}
---
ok = a == b != c   ### `^!= cannot follow == without parentheses`
---
r = 0 .. 1 .. 2   ### `^\.\. cannot follow \.\. without parentheses`
---
ok = not a == b == c   ### `^== cannot follow == without parentheses`
---
ok = a == b in c   ### `^in cannot follow == without parentheses`
---
# these are not chains
ok = (a < b) < c
ok = a < b and b < c
ok = a .. b < c
ok = not a == b and c == d
---
# else must follow the } of its if
if x {
  y = 1
}
else {   ### `^unexpected else: else must be on the same line as the } that closes its if$`
  y = 2
}
---
if x {
} else if y {
}
else if z {   ### `^unexpected else`
}
---
x = 1
}   ### `^unexpected "}" with no open block$`
---
if x {
  y = 1
}
}   ### `^unexpected "}" with no open block$`
---
break   ### `^break outside a loop$`
---
if x {
  continue   ### `^continue outside a loop$`
}
---
# a function body is not inside the loop around it
while x {
  fn f() {
    break   ### `^break outside a loop$`
  }
}
---
# loops inside functions, and functions inside loops, are fine
fn f(n) {
  repeat n { if n { break } else { continue } }
  for i in 0..n { while i { break } }
  return n
}
while x { fn g() { return }; break }
---
return 1   ### `^return outside a function$`
---
if x {
  return   ### `^return outside a function$`
}
---
if x {
  machine x86   ### `^machine is only allowed at the top level of a file$`
}
---
test "outer" {
  test "inner" {}   ### `^test is only allowed at the top level of a file$`
}
---
fn f() {
  setup { x = 1 }   ### `^setup is only allowed at the top level of a file$`
}
---
while true {
  use "lib.mms"   ### `^use is only allowed at the top level of a file$`
}
---
f(1) = 2   ### `^cannot assign to a function call$`
---
x.y() += 1   ### `^cannot assign to a function call$`
---
1 = x   ### `^cannot assign to a literal$`
---
"s" = x   ### `^cannot assign to a literal$`
---
NULL = 0   ### `^cannot assign to a literal$`
---
a + b = 1   ### `^cannot assign to an expression$`
---
-x = 1   ### `^cannot assign to an expression$`
---
x = 1 y = 2   ### `^unexpected "y": a statement ends at a new line or ";"$`
---
print 1 print 2   ### `^unexpected keyword "print": a statement ends at a new line or ";"$`
---
a = b = c   ### `^unexpected "=": a statement ends at a new line or ";"$`
---
x = f(1) 2   ### `^unexpected "2": a statement ends at a new line or ";"$`
---
a + b c   ### `^unexpected "c" after an expression: only a command name may be followed by arguments without parentheses$`
---
f(1) write   ### `^unexpected "write" after an expression`
---
x.y 1   ### `^unexpected "1" after an expression: only a command name may be followed by arguments without parentheses$`
---
fn f(a, b, a) {   ### `^function f has two parameters named a$`
}
---
f(a=1, b=2, a=3)   ### `^argument a given twice$`
---
kmem_cache_create("x", size=64, SLAB_HWCACHE_ALIGN)   ### `^positional argument after a keyword argument$`
---
# 64 prefix operators are the most allowed
x = ----------------------------------------------------------------1
---
# 65 prefix operators are too many
x = -----------------------------------------------------------------1   ### `^too many prefix operators in a row \(more than 64\)$`
---
x = not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not x   ### `^too many prefix operators`
---
expect panic { x = 1 }   ### `^unexpected "panic", expected "error" or "segv" or "bug" or "oom" or "warn"$`
---
expect error 3 {}   ### `^unexpected "3", expected "\{"$`
---
test x {}   ### `^unexpected "x", expected a string$`
---
test "t" points {}   ### `^unexpected "\{", expected "="$`
---
machine   ### `^unexpected end of input, expected a name$`
---
machine x86 mem   ### `^unexpected end of input, expected "="$`
---
machine x86 mem=[1]   ### `^unexpected "\[", expected an integer or a name or a string or "true" or "false" or "-"$`
---
for in x {}   ### `^unexpected keyword "in", expected a name$`
---
for a, b, c in x {}   ### `^unexpected ",", expected "in"$`
---
irq 3 {}   ### `^unexpected "3", expected "\{"$`
---
show   ### `^unexpected end of input, expected a name$`
---
show -S   ### `^unexpected "-S", expected a name$`
---
x.show   ### `^unexpected keyword "show", expected a name$`
---
use lib   ### `^unexpected "lib", expected a string$`
---
fn (a) {}   ### `^unexpected "\(", expected a name$`
---
fn f(1) {}   ### `^unexpected "1", expected "\)"$`
---
fn f(a b) {}   ### `^unexpected "b", expected "\)"$`
---
skip 3   ### `^unexpected "3": a statement ends at a new line or ";"$`
---
int3 x   ### `^unexpected "x": a statement ends at a new line or ";"$`
---
int 0x100   ### `^interrupt vector 0x100 is out of range \(0 to 255\)$`
---
int 0xffffffffffffffff   ### `^interrupt vector 0xffffffffffffffff is out of range \(0 to 255\)$`
---
int 0800   ### `^invalid integer literal "0800"`
---
m = {1 2}   ### `^unexpected "2", expected ":"$`
---
m = {"a": }   ### `^unexpected "}", expected an expression$`
---
l = [1 2]   ### `^unexpected "2", expected "\]"$`
---
f(x y)   ### `^unexpected "y", expected "\)"$`
---
x = .5   ### `^unexpected "\.", expected an expression$`
---
&x   ### `^unexpected "&": a statement ends at a new line or ";"$`
---
# a map literal can look like a block: here the block is missing
repeat {}   ### `^unexpected end of input, expected "\{"$`
---
# valid forms that are easy to get wrong
if x { } else if y { } else { }
show kmem -S "kmalloc-32"
irq { show context }
x = a -b
for k, v in {"a": 1} { print k, v }
x = c.free + t.cpu + t.in
f(
  1,
  key = 2,
)
l = [
  1,
  2,
]
touch a + 4096 write
int 0x80; int3
---
# not on the right of an operator that binds more tightly needs parentheses.
x = 1 * not 0 ### `^not after \* needs parentheses`
---
x = a == not b ### `not after == needs parentheses`
---
# ... but not after and / or, nor at the start.
x = a and not b or not c
y = not a == b
---
machine x86 seed=-5
