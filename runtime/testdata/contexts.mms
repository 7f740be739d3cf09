# Execution contexts nest, and show context prints the stack.
irq { show context }
assert output() == "irq\non cpu 0 (atomic: may not sleep)\n"
softirq { atomic { show context } }
assert output() == "softirq\n  atomic\non cpu 0 (atomic: may not sleep)\n"
cpu 1 { show context }
assert output() == "cpu 1\non cpu 1 (may sleep)\n"
cpu 1 { irq { cpu_seen = 1; show context } }
assert output() == "cpu 1\n  irq\non cpu 1 (atomic: may not sleep)\n"
# Leaving a block leaves its context.
show context
assert output() == "process context on cpu 0 (may sleep)\n"
---
# The cpu argument is an expression.
n = 0
cpu n + 1 { show context }
assert output() == "cpu 1\non cpu 1 (may sleep)\n"
---
cpu 2 { } ### `contexts.mms:19:1: error: cpu 2: the machine has CPUs 0 to 1`
---
cpu -1 { } ### `cpu -1: the machine has CPUs 0 to 1`
---
cpu "0" { } ### `cpu needs an int, not string`
---
cpu undefined_cpu { } ### `contexts.mms:25:5: error: undefined: undefined_cpu`
---
# A bigger machine has more CPUs.
machine x86_64 mem=64M cpus=4
cpu 3 { show context }
assert output() == "cpu 3\non cpu 3 (may sleep)\n"
cpu 4 { } ### `cpu 4: the machine has CPUs 0 to 3`
---
as 1 { } ### `contexts.mms:33:1: error: as 1: no process with pid 1`
---
as "init" { } ### `as needs an int, not string`
---
# Moving to another CPU or process inside atomic context is a kernel BUG.
atomic { cpu 1 { } } ### `contexts.mms:38:10: kernel BUG: scheduling while atomic: cannot migrate to CPU 1 inside atomic context`
---
irq { cpu 0 { } } ### `kernel BUG: scheduling while atomic: cannot migrate to CPU 0 inside irq context`
---
softirq { as 1 { } } ### `kernel BUG: scheduling while atomic: cannot switch to pid 1 inside softirq context`
---
# expect bug catches it, and the contexts are left: the script goes on in
# process context.
expect bug "scheduling while atomic" { atomic { cpu 1 { } } }
expect bug "inside irq context" { cpu 1 { atomic { irq { cpu 0 { } } } } }
show context
assert output() == "process context on cpu 0 (may sleep)\n"
expect error "no process" { as 7 { } }
expect error "the machine has CPUs" { atomic { cpu 9 { } } }
# A BUG is not an error: expect error does not catch it.
expect error { atomic { cpu 1 { } } } ### `contexts.mms:53:1: assertion failed: expect error: the block failed with another kind of error: .*kernel BUG: scheduling while atomic`
---
# An error inside a context leaves the context.
expect error "boom" { irq { softirq { fail("boom") } } }
show context
assert output() == "process context on cpu 0 (may sleep)\n"
---
# print: values separated by spaces, a newline at the end.
print 1, "two", [3, "four"], {"k": NULL}, true, 0x8000000000000000
print
print "a" + "b"
print -5, 5 - 7, 0..3
assert output() == "1 two [3, \"four\"] {\"k\": NULL} true 0x8000000000000000\n\nab\n-5 -2 0..3\n"
fn f() { }
print f, len, type(f), type(len)
assert output() == "<fn f> <builtin len> fn builtin\n"
print "x", 1 / 0 ### `contexts.mms:69:14: error: division by zero`
---
# A failed print prints nothing.
expect error { print "before", 1 / 0 }
assert output() == ""
---
# show machine and show context.
show machine
assert output() == "machine x86 mem=1G cpus=2\narch:     x86 (2level paging)\nmemory:   1G (262144 pages of 4K)\ncpus:     2\nslab:     slub\nswap:     none\npolicy:   linux\ntlb:      64 entries per CPU\n"
---
machine x86_64 mem=64M cpus=4 swap=16M
show machine
o = output()
assert "machine x86_64 mem=64M cpus=4 swap=16M\n" in o, o
assert "arch:     x86_64 (4level paging)\n" in o
assert "swap:     16M\n" in o
---
show machine 1 ### `contexts.mms:86:6: error: show machine takes no arguments`
---
show machin ### `show: unknown view "machin" \(did you mean machine\?\); views: ([a-z]+, )*context, ([a-z]+, )*machine`
---
show nothing_like_it ### `show: unknown view "nothing_like_it"; views: ([a-z]+, )*context, ([a-z]+, )*machine`
---
# A bare name that is not a variable is a word; one that is, its value.
show context extra ### `show context takes no arguments`
---
show context 1 / 0 ### `contexts.mms:95:16: error: division by zero`
---
# The machine line is first, and only at the top level.
x = 1
machine x86 ### `contexts.mms:99:1: error: machine must be the first statement of a script`
---
if true {
  machine x86 ### `syntax error: machine is only allowed at the top level of a file`
}
---
machine arm ### `contexts.mms:105:9: error: machine: unknown architecture "arm" \(want x86 or x86_64\)`
---
machine x86 mem=64M cpus=0 ### `contexts.mms:107:21: error: machine: cpus=0: a machine has 1 to 64 CPUs`
---
machine x86 colour=blue ### `unknown machine setting "colour"`
---
# int 0x80 needs a process; other vectors are not modelled.
int 0x80 ### `contexts.mms:112:1: error: int 0x80: no process is running on cpu 0, so there is no one to make a system call`
---
int 3 ### `int 0x3: only int 0x80, the system call gate, is modelled`
---
expect error "no process is running" { int 0x80 }
expect error "only int 0x80" { int 0x21 }
---
# int3 is a breakpoint: it prints where it stopped and the globals, but
# not the functions.
x = 1
name = "k"
fn f() { }
int3
assert output() == "int3: breakpoint at testdata/contexts.mms:124:1\n  name = \"k\"\n  x = 1\n"
---
# skip stops the chunk, not as a failure but with its reason.
x = 1
skip "not today" ### `contexts.mms:129:1: skipped: not today`
print "not reached"
---
skip ### `skipped: skip$`
---
# skip is not caught by expect.
expect error { skip "why" } ### `skipped: why`
---
# skip inside a function stops everything.
fn f() { skip "deep" }
f() ### `contexts.mms:138:10: skipped: deep`
---
# check runs the invariant checks now; the model is consistent.
check
irq { check }
fn f() { check; return 1 }
assert f() == 1
---
# use needs a loader, which these tests do not set.
use "lib.mms" ### `contexts.mms:148:1: error: use is not available here`
---
if true {
  use "lib.mms" ### `syntax error: use is only allowed at the top level of a file`
}
---
# test and setup blocks do not run as part of the script.
test "never" { fail("test ran") }
setup { fail("setup ran") }
x = 1
---
if true {
  test "nested" { } ### `syntax error: test is only allowed at the top level of a file`
}
