# Strings: concatenation, repetition, comparison, indexing, in.
s = "ab" + "cd"
assert s == "abcd" and len(s) == 4
assert "ab" * 3 == "ababab" and "ab" * 0 == "" and "" * 100 == ""
assert s[0] == "a" and s[-1] == "d" and s[-4] == "a"
assert "bc" in s and "" in s and not ("x" in s)
assert "a\tb\n\"q\"\\" == "a" + "\t" + "b\n" + "\"q\"" + "\\"
assert len("\n") == 1
print "tab\there", "quote\"", [ "in\"list" ]
assert output() == "tab\there quote\" [\"in\\\"list\"]\n"
---
"a" + 1 ### `values.mms:12:5: error: operator \+ does not apply to string and int`
---
1 + "a" ### `operator \+ does not apply to int and string`
---
"ab" * -1 ### `cannot repeat a string -1 times`
---
3 * "ab" ### `operator \* does not apply to int and string`
---
"ab" * "c" ### `operator \* does not apply to string and string`
---
"x" * 16777217 ### `cannot repeat a string 16777217 times`
---
# 16 MiB of work costs a million steps (see charge_test.go for the size limit)
s = "x" * 16777216 ### `too many steps`
---
"%d" % 5 ### `use format\(...\) to format strings`
---
s = "abc"
s[3] ### `values.mms:30:1: error: index 3 out of range \(length 3\)`
---
"abc"[-4] ### `index -4 out of range \(length 3\)`
---
"abc"["0"] ### `index must be an int, not string`
---
1 in "abc" ### `in a string needs a string on the left, not int`
---
"abc"[0x8000000000000000] ### `index must be an int, not ptr`
---
# Lists: literals, concatenation, indexing, equality, in.
l = [1, "two", [3], NULL]
assert len(l) == 4 and l[2] == [3] and l[2][0] == 3 and l[-1] == NULL
assert [1, 2] + [3] == [1, 2, 3] and [] + [] == []
assert [1, [2, {"a": [3]}]] == [1, [2, {"a": [3]}]]
assert [1, 2] != [2, 1] and [1] != [1, 1] and [] != [NULL]
assert 2 in [1, 2] and not (3 in [1, 2]) and [3] in [[3]] and NULL in [0] and 0 in [NULL]
assert [
  1,
  2,
] == [1, 2]
# Lists are shared, not copied, by assignment; + makes a new list.
a = [1]
b = a
append(b, 2)
assert a == [1, 2]
c = a + []
append(c, 3)
assert a == [1, 2] and c == [1, 2, 3]
---
[1][1] ### `index 1 out of range \(length 1\)`
---
[][0] ### `index 0 out of range \(length 0\)`
---
[1, 2][-3] ### `index -3 out of range \(length 2\)`
---
[1] + 1 ### `operator \+ does not apply to list and int`
---
[1] * 2 ### `operator \* does not apply to list and int`
---
[1] - [1] ### `operator - does not apply to list and list`
---
1 in 5 ### `in needs a list, map, string or range on the right, not int`
---
5[0] ### `values.mms:74:1: error: an int cannot be indexed`
---
NULL[0] ### `a NULL cannot be indexed`
---
# Maps: any mix of int, string, bool, ptr and NULL keys, in insertion order.
m = {1: "one", "1": "string one", true: "t", NULL: "null", 0x8000000000000000: "p"}
assert len(m) == 5
assert m[1] == "one" and m["1"] == "string one" and m[true] == "t" and m[NULL] == "null"
assert m[0x8000000000000000] == "p" and m[1 << 63] == "p"
assert keys(m) == [1, "1", true, NULL, 0x8000000000000000]
print m
assert output() == "{1: \"one\", \"1\": \"string one\", true: \"t\", NULL: \"null\", 0x8000000000000000: \"p\"}\n"
# Setting an existing key keeps its place; a new key goes last.
m[1] = "uno"
m[false] = "f"
assert keys(m) == [1, "1", true, NULL, 0x8000000000000000, false]
assert values(m) == ["uno", "string one", "t", "null", "p", "f"]
# Key types are distinct: 1, "1" and true are three keys. Keys agree with
# ==: 0 and NULL are one key, and so are 4096 and ptr 4096.
assert m[true] == "t" and m[1] == "uno"
m[0] = "zero"
assert m[0] == "zero" and m[NULL] == "zero"
ptr p = 4096
m2 = {p: "ptr"}
m2[4096] = "int"
assert len(m2) == 1 and m2[p] == "int" and keys(m2) == [p]
# Map equality ignores order.
assert {1: 2, 3: 4} == {3: 4, 1: 2}
assert {1: 2} != {1: 3} and {1: 2} != {2: 2} and {} == {} and {1: 2} != {1: 2, 3: 4}
assert "a" in {"a": 1} and not ("b" in {"a": 1}) and not (1 in {"1": 1})
# A later duplicate key in a literal replaces the value, keeping the place.
assert keys({"b": 1, "a": 2, "b": 3}) == ["b", "a"] and {"b": 1, "b": 3}["b"] == 3
assert {
  "x": 1,
  "y": 2,
} == {"x": 1, "y": 2}
---
m = {"a": 1}
m["b"] ### `values.mms:112:1: error: key "b" is not in the map`
---
{[1]: 2} ### `values.mms:114:2: error: a list cannot be a map key \(keys are int, string, bool, ptr or NULL\)`
---
{{}: 2} ### `a map cannot be a map key`
---
m = {}
m[0..1] = 1 ### `a range cannot be a map key`
---
fn f() { }
m = {f: 1} ### `a fn cannot be a map key`
---
[1] in {} ### `a list cannot be a map key`
---
# Iteration and printing follow insertion order, every time.
m = {}
for k in [5, 3, 9, 1, 7, 2, 8] { m[k] = k * k }
assert keys(m) == [5, 3, 9, 1, 7, 2, 8]
print m
repeat 20 {
  for k, v in m { print k, v }
}
o = output()
assert o == "{5: 25, 3: 9, 9: 81, 1: 1, 7: 49, 2: 4, 8: 64}\n" + "5 25\n3 9\n9 81\n1 1\n7 49\n2 4\n8 64\n" * 20
---
# Ranges: start..end is half-open; in tests membership.
r = 2..5
assert type(r) == "range" and len(r) == 3 and r[0] == 2 and r[-1] == 4
assert 2 in r and 4 in r and not (5 in r) and not (1 in r) and not ("2" in r)
assert 0..0 == 0..0 and 0..1 != 0..2 and 1..2 != [1]
assert len(5..2) == 0 and not (5..2)
assert str(r) == "2..5"
assert (-3)..(-1) == range(-3, -1)
x = 3
assert x - 1..x + 1 == 2..4
assert len(0..9223372036854775807) == 9223372036854775807
assert len(-1..9223372036854775806) == 9223372036854775807
expect error "more ints than an int can count" { len(-1..9223372036854775807) }
---
r = 2..5
r[3] ### `index 3 out of range \(length 3\)`
---
"a".."b" ### `a range needs two ints, not string .. string`
---
1..0x8000000000000000 ### `a range needs two ints, not int .. ptr`
---
1..2..3 ### `syntax error: .. cannot follow .. without parentheses`
---
# A range longer than an int can count.
x = -9223372036854775807 - 1
r = x..9223372036854775807
assert 0 in r and x in r and not (9223372036854775807 in r)
expect error "range is too long to index" { r[0] }
len(r) ### `len: the range -9223372036854775808..9223372036854775807 has more ints than an int can count`
---
# A list or map that contains itself prints with [...] or {...}, and
# compares without end.
l = [1]
append(l, l)
print l
assert output() == "[1, [...]]\n"
assert l == l and l in l and l[1][1][1] == l
l2 = [1]
append(l2, l2)
assert l == l2
l3 = [1, [1]]
assert l != l3 and l3 != l
m = {"name": "m"}
m["self"] = m
m["list"] = [m, l]
print m
assert output() == "{\"name\": \"m\", \"self\": {...}, \"list\": [{...}, [1, [...]]]}\n"
assert str(m) == "{\"name\": \"m\", \"self\": {...}, \"list\": [{...}, [1, [...]]]}"
assert m == m and m["self"]["self"] == m
a = []
b = [a]
append(a, b)
assert a == b
print a
assert output() == "[[[...]]]\n"
---
# Deeply nested values print (shortened) and compare without exhausting
# the stack.
l = []
repeat 100000 { l = [l] }
l2 = []
repeat 100000 { l2 = [l2] }
assert l == l2
s = str(l)
assert len(s) == 2 * 1000 + len("[...]")
assert s[0] == "[" and s[1000] == "[" and s[1001] == "." and s[1003] == "." and s[1004] == "]" and s[-1] == "]"
append(l2, 1)
assert l != l2
---
# \x and octal escapes are single bytes, as in Go and C.
assert len("\xff") == 1 and len("\377") == 1 and len("\u00e9") == 2
