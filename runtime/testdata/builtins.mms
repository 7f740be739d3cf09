# len
assert len("") == 0 and len("abc") == 3 and len([1, [2, 3]]) == 2 and len({1: 2}) == 1 and len(3..7) == 4
---
len(5) ### `builtins.mms:4:1: error: len: a value of type int has no length`
---
len(NULL) ### `len: a value of type NULL has no length`
---
len(1, 2) ### `len takes at most 1 argument \(x\), got 2`
---
# append adds values to a list in place and returns nothing.
l = []
r = append(l, 1)
assert r == NULL and l == [1]
append(l, 2, 3, [4])
assert l == [1, 2, 3, [4]]
append(l)
assert len(l) == 4
---
append() ### `append takes a list and the values to add`
---
append(1, 2) ### `append: argument list must be a list, not int`
---
append([], x=1) ### `append takes a list and the values to add`
---
# range(n), range(start, end) make ranges; with a step, a list.
assert range(3) == 0..3 and range(2, 5) == 2..5 and range(-2) == 0..-2
assert range(0, 10, 3) == [0, 3, 6, 9]
assert range(10, 0, -3) == [10, 7, 4, 1]
assert range(0, 0, 1) == [] and range(5, 0, 1) == [] and range(0, 5, -1) == []
assert range(-9223372036854775807 - 1, 9223372036854775807, 9223372036854775807) == [-9223372036854775807 - 1, -1, 9223372036854775806]
assert range(9223372036854775807, -9223372036854775807 - 1, -9223372036854775807 - 1) == [9223372036854775807, -1]
assert range(9223372036854775806, 9223372036854775807, 5) == [9223372036854775806]
assert range(end=3, start=1) == 1..3
---
range() ### `range: missing argument start`
---
range("3") ### `range: argument start must be an int, not string`
---
range(1, "3") ### `range: argument end must be an int, not string`
---
range(1, 3, 0) ### `range: step must be a non-zero int`
---
range(1, 3, "1") ### `range: step must be a non-zero int`
---
range(0, 16777217, 1) ### `range: too many elements \(limit 16777216\)`
---
# hex
assert hex(255) == "0xff" and hex(0) == "0x0" and hex(-255) == "-0xff"
assert hex(-9223372036854775807 - 1) == "-0x8000000000000000"
assert hex(9223372036854775807) == "0x7fffffffffffffff"
assert hex(0xffffffffffffffff) == "0xffffffffffffffff" and hex(NULL) == "0x0"
assert hex(n=16) == "0x10"
---
hex("ff") ### `hex: argument n must be an int or ptr, not string`
---
hex(true) ### `hex: argument n must be an int or ptr, not bool`
---
hex() ### `hex: missing argument n`
---
# str: as print shows it.
assert str(1) == "1" and str("s") == "s" and str(["s"]) == "[\"s\"]" and str(NULL) == "NULL"
assert str(true) == "true" and str(0x8000000000000000) == "0x8000000000000000" and str(1..2) == "1..2"
assert str({"a": [1]}) == "{\"a\": [1]}"
fn f() { }
assert str(f) == "<fn f>" and str(len) == "<builtin len>"
assert str(handle("cache")) == "<cache>"
---
str() ### `str: missing argument x`
---
# int: from strings, bools, addresses and NULL.
assert int(5) == 5 and int(true) == 1 and int(false) == 0 and int(NULL) == 0
assert int("42") == 42 and int(" -42 ") == -42 and int("0x10") == 16 and int("4K") == 4096
assert int("0b101") == 5 and int("0o17") == 15 and int("1_000") == 1000
assert int("9223372036854775807") == 9223372036854775807
assert int("-9223372036854775808") == -9223372036854775807 - 1
assert int("-0x8000000000000000") == -9223372036854775807 - 1
assert int(0x7fffffffffffffff) == 9223372036854775807
ptr p = 4096
assert type(int(p)) == "int" and int(p) == 4096
---
int("abc") ### `int: "abc" is not an integer`
---
int("") ### `int: "" is not an integer`
---
int("9223372036854775808") ### `int: "9223372036854775808" is not an integer`
---
int("0x8000000000000000") ### `int: "0x8000000000000000" is not an integer`
---
int("-0x8000000000000001") ### `is not an integer`
---
int("--1") ### `int: "--1" is not an integer`
---
int("+1") ### `int: "\+1" is not an integer`
---
int("1.5") ### `is not an integer`
---
int("010") ### `int: "010" is not an integer`
---
int(0x8000000000000000) ### `int: address 0x8000000000000000 does not fit in an int`
---
int([1]) ### `int: cannot convert a list`
---
# type
fn f() { }
assert type(1) == "int" and type("") == "string" and type(true) == "bool" and type(NULL) == "NULL"
assert type([]) == "list" and type({}) == "map" and type(0..1) == "range" and type(0x8000000000000000) == "ptr"
assert type(f) == "fn" and type(len) == "builtin" and type(type) == "builtin" and type(handle("page")) == "page"
---
type() ### `type: missing argument x`
---
# format: printf verbs over the language's values.
assert format("plain") == "plain"
assert format("%d|%5d|%-5d|%05d|%+d", 42, 42, 42, 42, 42) == "42|   42|42   |00042|+42"
assert format("%x %X %#x %o %b %08b", 255, 255, 255, 8, 5, 5) == "ff FF 0xff 10 101 00000101"
assert format("%d %x", -1, -255) == "-1 -ff"
assert format("%x", 0xffff888000000000) == "ffff888000000000"
assert format("%d", 0xffffffffffffffff) == "18446744073709551615"
assert format("%d %x", NULL, NULL) == "0 0"
assert format("%d %d", true, false) == "1 0"
assert format("%s|%v|%q", "a", "b", "c") == "a|b|\"c\""
assert format("%s %s %s %s", 1, [1, "x"], NULL, 1..3) == "1 [1, \"x\"] NULL 1..3"
assert format("%q %q", [1, "x"], 5) == "[1, \"x\"] 5"
assert format("%5s|%-5s|", "ab", "cd") == "   ab|cd   |"
assert format("100%%") == "100%" and format("%d%%", 5) == "5%"
assert format("%8d", 1) == "       1"
assert format(fmt) == "" ### `undefined: fmt`
---
format("%d") ### `builtins.mms:128:1: error: format: not enough arguments for "%d"`
---
format("%d", 1, 2) ### `format: 1 argument left over for "%d"`
---
format("", 1, 2) ### `format: 2 arguments left over for ""`
---
format("%d", "x") ### `format: %d needs an int or ptr, not string`
---
format("%x", true) ### `format: %x needs an int or ptr, not bool`
---
format("%b", [1]) ### `format: %b needs an int or ptr, not list`
---
format("%z", 1) ### `format: unknown verb %z \(use %d %x %X %o %b %s %v %q\)`
---
format("%.2d", 1) ### `format: unknown verb %.`
---
format("abc%") ### `format: "abc%" ends in the middle of a verb`
---
format("%5") ### `ends in the middle of a verb`
---
format("%123456789d", 1) ### `format: width in "%123456789d" is too large`
---
format() ### `format takes a format string and its arguments`
---
format(1) ### `format: the format must be a string, not int`
---
format("%d", x=1) ### `format takes a format string and its arguments`
---
# keys and values: insertion order, as new lists.
m = {"b": 1, "a": 2}
k = keys(m)
assert k == ["b", "a"] and values(m) == [1, 2]
append(k, "c")
assert len(m) == 2
assert keys({}) == [] and values({}) == []
---
keys([1]) ### `keys: argument map must be a map, not list`
---
values("m") ### `values: argument map must be a map, not string`
---
keys() ### `keys: missing argument map`
---
values({}, {}) ### `values takes at most 1 argument \(map\), got 2`
---
# sorted: a sorted copy of ints, addresses or strings; stable.
l = [3, 1, 2]
assert sorted(l) == [1, 2, 3] and l == [3, 1, 2]
assert sorted(["b", "a", "B", ""]) == ["", "B", "a", "b"]
assert sorted([0x8000000000000000, 5, -1, NULL]) == [-1, NULL, 5, 0x8000000000000000]
assert sorted([]) == [] and sorted([1]) == [1]
s = sorted([0, NULL, 0])
assert type(s[0]) == "int" and type(s[1]) == "NULL" and type(s[2]) == "int"
---
sorted([1, "a"]) ### `sorted: cannot compare (int < string|string < int)`
---
sorted([[1], [2]]) ### `sorted: cannot compare list < list`
---
sorted(1..3) ### `sorted: argument list must be a list, not range`
---
sorted("cba") ### `sorted: argument list must be a list, not string`
---
# min and max: of several values or of one list.
assert min(3, 1, 2) == 1 and max(3, 1, 2) == 3
assert min([3, 1, 2]) == 1 and max([3, 1, 2]) == 3
assert min(5) == 5 and max("b") == "b" and min("b", "a") == "a"
assert max([0x8000000000000000, 1]) == 0x8000000000000000 and min(-1, NULL) == -1
assert min([[1], [0]], [2]) == [[1], [0]] ### `min: cannot compare list < list`
---
min() ### `min needs at least one value`
---
max([]) ### `max needs at least one value`
---
max(1, "a") ### `max: cannot compare int < string`
---
min(1, x=2) ### `min needs at least one value`
---
# sum
assert sum([1, 2, 3]) == 6 and sum([]) == 0 and sum([-5]) == -5
assert sum([0xc0000000, 8]) == 0xc0000008 and type(sum([0x8000000000000000])) == "ptr"
---
sum([1, "a"]) ### `sum: operator \+ does not apply to int and string`
---
sum([9223372036854775807, 1]) ### `sum: integer overflow: 9223372036854775807 \+ 1 does not fit in 64 bits`
---
sum(1, 2) ### `sum takes at most 1 argument \(list\), got 2`
---
sum(5) ### `sum: argument list must be a list, not int`
---
# abs
assert abs(-5) == 5 and abs(5) == 5 and abs(0) == 0 and abs(-9223372036854775807) == 9223372036854775807
---
abs(-9223372036854775807 - 1) ### `abs: integer overflow`
---
abs("5") ### `abs: argument n must be an int, not string`
---
abs(0x8000000000000000) ### `abs: argument n must be an int, not ptr`
---
# fail stops with an error that expect error catches.
expect error "my message" { fail("my message") }
fail("stop here") ### `builtins.mms:227:1: error: stop here$`
---
fail(42) ### `fail: argument msg must be a string, not int`
---
fail() ### `fail: missing argument msg`
---
fail("a", "b") ### `fail takes at most 1 argument \(msg\), got 2`
---
# Built-ins are values: they can be stored and passed.
f = len
assert f("ab") == 2 and f == len and len != str
fns = {"len": len}
assert fns["len"]([1]) == 1
---
# The constants.
assert PAGE_SIZE == 4096 and PAGE_SHIFT == 12
