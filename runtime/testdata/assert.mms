# assert passes silently on a true condition.
assert true
assert 1
assert "x"
assert [0]
assert 1 == 1, "never shown"
---
assert false ### `assert.mms:8:1: assertion failed: false$`
---
assert 1 == 2 ### `assertion failed: 1 == 2$`
---
# The message shows the values of the non-literal sides.
x = 3
assert x == 4 ### `assertion failed: x == 4: x is 3$`
---
x = 3
y = "a"
assert x == y ### `assertion failed: x == y: x is 3, y is "a"$`
---
l = [1, 2]
assert 3 in l ### `assertion failed: 3 in l: l is \[1, 2\]$`
---
l = [1, 2]
assert len(l) > 2 + 1 ### `assertion failed: len\(l\) > 2 \+ 1: len\(l\) is 2, 2 \+ 1 is 3$`
---
x = 3
assert (x != 3) ### `assertion failed: \(x != 3\): x is 3$`
---
x = -1
assert x >= -1 and x > 0 ### `assertion failed: x >= -1 and x > 0$`
---
# With a message, the message follows in parentheses.
x = 3
assert x == 4, "x must be four" ### `assertion failed: x == 4: x is 3 \(x must be four\)$`
---
assert false, "plain" ### `assertion failed: false \(plain\)$`
---
n = 5
assert n < 0, format("n is %d", n) ### `assertion failed: n < 0: n is 5 \(n is 5\)$`
---
# The message is evaluated only when the assert fails.
assert true, 1 / 0
assert false, 1 / 0 ### `assert.mms:43:17: error: division by zero`
---
# A comparison's sides are evaluated once, even when it fails.
# (output() empties the output: evaluated twice, it would show "".)
print "p"
assert output() == "q" ### `assertion failed: output\(\) == "q": output\(\) is "p\\n"$`
---
# An assert that cannot compare is an error, not a failed assert.
assert 1 < "a" ### `assert.mms:51:10: error: cannot compare int < string`
---
assert undefined_x == 1 ### `undefined: undefined_x`
---
# A failed assert inside a function is reported at the outermost call;
# the message points at the assert.
fn check_pos(p) {
  assert p > 0, "p must be positive"
}
check_pos(1)
check_pos(-1) ### `assert.mms:58:3: assertion failed: p > 0: p is -1 \(p must be positive\)`
---
# expect error: the block must fail with an error, whose message must
# contain the text.
expect error { 1 / 0 }
expect error "division by zero" { 1 / 0 }
expect error "division" { x = 5 % 0 }
expect error "undefined: nope" { nope }
expect error "" { fail("anything") }
expect error "custom failure" { fail("a custom failure here") }
# The script goes on after a caught error, with what the block did before it.
expect error { a = 1; b = 1 / 0; c = 1 }
assert a == 1
expect error "undefined: c" { print c }
---
expect error { x = 1 } ### `assert.mms:76:1: assertion failed: expect error: the block completed without one$`
---
expect error "zero" { x = 1 } ### `assertion failed: expect error "zero": the block completed without one$`
---
expect error "division by zero" { fail("other") } ### `assertion failed: expect error "division by zero": the message was "other"$`
---
# The text matches case-sensitively.
expect error "Division" { 1 / 0 } ### `the message was "division by zero"`
---
# A failed assert is not an error.
expect error { assert false } ### `assertion failed: expect error: the block failed with another kind of error: .*assert.mms:\d+:16: assertion failed: false`
---
# Nor is a failed expect.
expect error { expect error { } } ### `another kind of error: .*expect error: the block completed without one`
---
# expect bug catches a kernel BUG only.
expect bug { atomic { cpu 1 { } } }
expect bug "scheduling while atomic" { irq { as 1 { } } }
expect bug { 1 / 0 } ### `assertion failed: expect bug: the block failed with another kind of error: .*division by zero`
---
expect bug "nope" { atomic { cpu 1 { } } } ### `assertion failed: expect bug "nope": the message was "scheduling while atomic: cannot migrate to CPU 1 inside atomic context"`
---
expect bug { } ### `expect bug: the block completed without one`
---
# expect segv and expect oom want their kinds.
expect segv { 1 / 0 } ### `expect segv: the block failed with another kind of error`
---
expect oom { } ### `expect oom: the block completed without one`
---
# expect warn: the block must give a warning containing the text.
expect warn "leak" { warn("memory leak in x") }
assert warnings() == "testdata/assert.mms:106:22: warning: memory leak in x\n"
expect warn { warn("any") }
expect warn "b" { warn("a"); warn("b") }
expect warn "old" { } ### `assert.mms:110:1: assertion failed: expect warn "old": the block gave no such warning`
---
# Warnings from before the block do not count.
warn("old one")
expect warn "old" { x = 1 } ### `expect warn "old": the block gave no such warning`
---
# An error inside expect warn is not caught.
expect warn "x" { warn("x"); 1 / 0 } ### `assert.mms:\d+:32: error: division by zero`
---
# Expects nest.
expect error "inner ok" {
  expect error "division" { 1 / 0 }
  fail("inner ok")
}
---
# Limits and invariant failures go through expect.
fn loop() { return loop() }
expect error { loop() } ### `call depth limit reached`
---
# An expect inside a function catches errors of the functions it calls.
fn bad() { return [1][5] }
fn safe() {
  expect error "index 5 out of range (length 1)" { bad() }
  return "ok"
}
assert safe() == "ok"
---
# check: the model's invariants hold.
check
expect error { check } ### `expect error: the block completed without one`
