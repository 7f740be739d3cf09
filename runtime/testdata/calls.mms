# Calls with positional and keyword arguments.
fn sub(a, b) { return a - b }
assert sub(5, 3) == 2
assert sub(a=5, b=3) == 2
assert sub(b=3, a=5) == 2
assert sub(5, b=3) == 2
---
fn sub(a, b) { return a - b }
sub(1, c=2) ### `calls.mms:9:8: error: sub has no parameter named c`
---
fn sub(a, b) { return a - b }
sub(1, a=2) ### `calls.mms:12:8: error: sub: argument a given twice`
---
fn sub(a, b) { return a - b }
sub(1) ### `calls.mms:15:1: error: sub: missing argument b`
---
fn sub(a, b) { return a - b }
sub(b=1) ### `sub: missing argument a`
---
fn sub(a, b) { return a - b }
sub(1, 2, 3) ### `calls.mms:21:1: error: sub takes 2 arguments, got 3`
---
fn one(a) { return a }
one(1, 2) ### `one takes 1 argument, got 2`
---
fn none() { return 1 }
none(1) ### `none takes 0 arguments, got 1`
---
# Keyword arguments given twice and positional after keyword are syntax errors.
fn sub(a, b) { return a - b }
sub(a=1, a=2) ### `syntax error: argument a given twice`
---
fn sub(a, b) { return a - b }
sub(a=1, 2) ### `syntax error: positional argument after a keyword argument`
---
fn dup(a, a) { } ### `syntax error: function dup has two parameters named a`
---
# Arguments are evaluated left to right, before the call.
log = []
fn note(x) { append(log, x); return x }
fn three(a, b, c) { return [a, b, c] }
assert three(note(1), c=note(3), b=note(2)) == [1, 2, 3]
assert log == [1, 3, 2]
---
# Built-ins take keyword arguments by their parameter names.
assert range(start=2, end=5) == 2..5
assert len(x="abc") == 3
len(y="abc") ### `len has no parameter named y \(did you mean x\?\)`
---
range(1, start=2) ### `range: argument start given twice`
---
range(stat=1) ### `range has no parameter named stat \(did you mean start\?\)`
---
len("a", "b") ### `len takes at most 1 argument \(x\), got 2`
---
range(1, 2, 3, 4) ### `range takes at most 3 arguments \(start, end, step\), got 4`
---
len() ### `len: missing argument x`
---
# Unpack into addresses, bools, pointers and lists.
assert unpack(4096) == [0x1000, false, NULL, 0]
assert unpack(0xc0000000, true, 8, [1, 2]) == [0xc0000000, true, 8, 2]
assert unpack(NULL, p=NULL) == [0, false, 0, 0]
assert unpack(addr=1, list=[]) == [1, false, 0, 0]
expect error "unpack: argument addr must not be negative (got -1)" { unpack(-1) }
expect error "unpack: argument addr must be an address (int or ptr), not string" { unpack("x") }
expect error "unpack: argument flag must be a bool, not int" { unpack(1, 1) }
expect error "unpack: argument p must be an address, not int" { unpack(1, p=-5) }
expect error "unpack: argument p must be a ptr, not string" { unpack(1, p="x") }
expect error "unpack: argument list must be a list, not map" { unpack(1, list={}) }
---
# Statement-level commands drop the parentheses and commas.
l = []
append l 1
append l, 2
append l 1 + 2
assert l == [1, 2, 3]
fn add_to(list, x) { append(list, x * 10) }
add_to l 4
add_to l, 5
assert l == [1, 2, 3, 40, 50]
---
# Words: a built-in may take bare names as strings, in either form.
assert words(1, write) == [1, "write"]
r = words(read, exec)
assert r == ["read", "exec"]
words 4096 write
w = 7
assert words(w) == [7]
assert words(x=read) == ["x=\"read\""]
expect error "undefined: fetch" { print fetch }
expect error "undefined: writ" { words(writ) }
---
# Only built-ins and functions are commands.
x = 5
x 1 ### `calls.mms:96:1: error: x is an int, not a command: only built-ins and functions take arguments without parentheses`
---
s = "abc"
s 1 ### `s is a string, not a command`
---
nosuch 1 ### `calls.mms:101:1: error: undefined: nosuch`
---
# Something that is not an identifier cannot take command arguments.
f(1) 2 ### `syntax error: unexpected "2" after an expression: only a command name may be followed by arguments without parentheses`
---
# A bare name of a callable at statement level calls it.
calls = []
fn hello() { append(calls, "hello") }
hello
hello
assert calls == ["hello", "hello"]
assert type(hello) == "fn"
h = hello
h
assert len(calls) == 3
---
fn needs(a) { }
needs ### `calls.mms:118:1: error: needs: missing argument a`
---
fail ### `fail: missing argument msg`
---
# A bare name that is not callable is just evaluated.
x = 1
x
PAGE_SIZE
---
undefined_name ### `undefined: undefined_name`
---
# Calling something that is not a function.
x = 5
x(1) ### `calls.mms:131:1: error: x is an int, not a function`
---
"abc"(1) ### `"abc" is a string, not a function`
---
l = [1]
l[0](2) ### `l\[0\] is an int, not a function`
---
# Return: with a value, without one (the call's value is NULL), from
# inside loops and nested blocks.
fn find(list, x) {
  for i, v in list {
    if v == x { return i }
  }
  return -1
}
assert find([5, 6, 7], 7) == 2
assert find([5, 6, 7], 9) == -1
fn first_even() {
  i = 1
  while true {
    repeat 3 {
      i += 1
      if i % 2 == 0 { return i }
    }
  }
}
assert first_even() == 2
fn nothing() { return }
assert nothing() == NULL
fn fall_off() { x = 1 }
assert fall_off() == NULL
assert type(fall_off()) == "NULL"
fn in_context() {
  irq { return "from irq" }
}
assert in_context() == "from irq"
expect error "" { in_context(); show context; fail("after") }
assert output() == "process context on cpu 0 (may sleep)\n"
fn in_expect() {
  expect error "boom" { fail("boom") }
  return "after expect"
}
assert in_expect() == "after expect"
---
# Return leaves the loop and the function; the rest does not run.
ran = []
fn early() {
  for i in 0..10 {
    append(ran, i)
    if i == 2 { return i }
  }
  append(ran, "after")
}
assert early() == 2
assert ran == [0, 1, 2]
---
return 1 ### `syntax error: return outside a function`
---
# Recursion.
fn fact(n) {
  if n <= 1 { return 1 }
  return n * fact(n - 1)
}
assert fact(20) == 2432902008176640000
fact(21) ### `integer overflow: 21 \* 2432902008176640000 does not fit in 64 bits`
---
fn fib(n) {
  if n < 2 { return n }
  return fib(n - 1) + fib(n - 2)
}
assert fib(15) == 610
# Mutual recursion.
fn is_even(n) {
  if n == 0 { return true }
  return is_odd(n - 1)
}
fn is_odd(n) {
  if n == 0 { return false }
  return is_even(n - 1)
}
assert is_even(10) and not is_even(7) and is_odd(7)
---
# Runaway recursion stops at the depth limit.
fn down(n) { return down(n + 1) }
down(0) ### `calls.mms:214:21: error: call depth limit reached \(200 nested calls\): runaway recursion\?`
---
# The depth limit is not caught by expect.
fn down(n) { return down(n + 1) }
expect error { down(0) } ### `call depth limit reached`
---
# An error inside a function points at the failing expression; the chunk's
# line is the outermost call's.
fn inner(x) {
  return x / 0
}
fn outer(x) {
  return inner(x) + 1
}
y = 1
outer(y) ### `calls.mms:224:12: error: division by zero`
