# Integer arithmetic and precedence.
assert 1 + 2 * 3 == 7
assert (1 + 2) * 3 == 9
assert 10 - 4 - 3 == 3
assert 2 * 3 % 4 == 2
assert 100 / 10 / 5 == 2
assert 1 << 4 + 1 == 32
assert 1 + 1 << 4 == 32
assert 0xff & 0x0f | 0x30 == 0x3f
assert 6 ^ 3 & 1 == 7
assert -2 * -3 == 6
assert - -5 == 5
assert +5 == 5
assert ~0 == -1
assert ~5 == -6
assert 1_000 == 1000 and 0x10 == 16 and 0o17 == 15 and 0b101 == 5
assert 4K == 4096 and 2M == 2097152 and 1G == 1073741824 and 1T == 1099511627776
assert 0x1K == 1024
assert PAGE_SIZE == 4096 and PAGE_SHIFT == 12 and 1 << PAGE_SHIFT == PAGE_SIZE
---
# Floor division and modulo, as in Python.
assert 7 / 2 == 3 and 7 % 2 == 1
assert -7 / 2 == -4 and -7 % 2 == 1
assert 7 / -2 == -4 and 7 % -2 == -1
assert -7 / -2 == 3 and -7 % -2 == -1
assert -8 / 2 == -4 and -8 % 2 == 0
assert 0 / -3 == 0 and 0 % -3 == 0
assert -9223372036854775807 - 1 == ~9223372036854775807
assert (-9223372036854775807 - 1) / 2 == -4611686018427387904
assert (-9223372036854775807 - 1) % 3 == 1
assert 9223372036854775807 % -2 == -1
# a == (a / b) * b + a % b
for a in [-7, -1, 0, 5, 13] {
  for b in [-3, -1, 2, 7] {
    assert a == (a / b) * b + a % b
    if b > 0 { assert a % b >= 0 } else { assert a % b <= 0 }
  }
}
---
1 / 0 ### `arith.mms:40:3: error: division by zero`
---
1 % 0 ### `division by zero`
---
(-9223372036854775807 - 1) / -1 ### `integer overflow: -9223372036854775808 / -1 does not fit in 64 bits`
---
(-9223372036854775807 - 1) % -1 ### `integer overflow`
---
# Overflow of + - * << is an error, never a wrap.
9223372036854775807 + 1 ### `arith.mms:49:21: error: integer overflow: 9223372036854775807 \+ 1 does not fit in 64 bits`
---
-9223372036854775807 - 2 ### `integer overflow: -9223372036854775807 - 2 does not fit`
---
x = -9223372036854775807 - 1
x + -1 ### `integer overflow: -9223372036854775808 \+ -1 does not fit`
---
0 - (-9223372036854775807 - 1) ### `integer overflow: 0 - -9223372036854775808 does not fit`
---
4294967296 * 4294967296 ### `integer overflow: 4294967296 \* 4294967296 does not fit`
---
-1 * (-9223372036854775807 - 1) ### `integer overflow`
---
(-9223372036854775807 - 1) * -1 ### `integer overflow`
---
3 << 63 ### `integer overflow: 3 << 63 does not fit`
---
1 << 64 ### `integer overflow: 1 << 64 does not fit`
---
-1 << 64 ### `integer overflow`
---
-2 << 63 ### `integer overflow`
---
1 << -1 ### `negative shift count -1`
---
1 >> -1 ### `negative shift count -1`
---
# Results that are just in range are fine.
assert 9223372036854775806 + 1 == 9223372036854775807
assert -9223372036854775807 - 1 < 0
assert 3037000499 * 3037000499 == 9223372030926249001
assert -3037000499 * 3037000499 == -9223372030926249001
assert 1 << 62 == 4611686018427387904
assert -1 << 63 == -9223372036854775807 - 1
assert 0 << 100 == 0
assert -8 >> 1 == -4
assert -1 >> 200 == -1
assert 5 >> 64 == 0
assert 1 * -9223372036854775807 == -9223372036854775807
assert 0 * (-9223372036854775807 - 1) == 0
---
# 1 << 63 fits in 64 unsigned bits: it is an address.
x = 1 << 63
assert type(x) == "ptr" and x == 0x8000000000000000
---
# Unary minus of the smallest int overflows.
x = -9223372036854775807 - 1
y = -x ### `arith.mms:96:5: error: integer overflow: -\(-9223372036854775808\)`
---
-"s" ### `operator - does not apply to a string`
---
~"s" ### `operator ~ does not apply to a string`
---
+[1] ### `operator \+ does not apply to a list`
---
-0x8000000000000000 ### `operator - does not apply to a ptr`
---
# not and ! give bools; and and or give an operand, short-circuiting.
assert not 0 == true
assert !1 == false
assert not (1 == 2)
assert (0 or "x") == "x"
assert (3 or undefined_y) == 3
assert (0 and undefined_y) == 0
assert (1 and 2) == 2
assert (1 && 0) == 0 and (0 || 5) == 5
assert (NULL or []) == []
assert not [] and not {} and not ""
assert not 1 == 2
---
# Bitwise operators.
assert 0b1100 & 0b1010 == 0b1000
assert 0b1100 | 0b1010 == 0b1110
assert 0b1100 ^ 0b1010 == 0b0110
assert -1 & 0xff == 255
assert -256 | 0xff == -1
assert 0x1234 & ~0xff == 0x1200
---
# A hex literal of 2^63 or more is an address (ptr); smaller ones are ints.
assert type(0xc0000000) == "int"
assert type(0x7fffffffffffffff) == "int"
p = 0xffff888000000000
assert type(p) == "ptr"
print p
assert output() == "0xffff888000000000\n"
assert str(p) == "0xffff888000000000" and hex(p) == "0xffff888000000000"
---
18446744073709551616 ### `syntax error: integer literal 18446744073709551616 is too large`
---
9223372036854775808 ### `decimal literals must fit in a signed 64-bit int`
---
0x10000000000000000 ### `integer literal 0x10000000000000000 is too large \(more than 64 bits\)`
---
# Pointer arithmetic: ptr ± int keeps the ptr; ptr - ptr is an int.
p = 0xffff888000000000
q = p + 8
assert type(q) == "ptr" and q == 0xffff888000000008
assert type(8 + p) == "ptr" and 8 + p == q
assert type(q - 8) == "ptr" and q - 8 == p
assert type(p + -8) == "ptr" and p + -8 == 0xffff887ffffffff8
assert type(-8 + p) == "ptr" and -8 + p == p + -8
assert type(p - -8) == "ptr" and p - -8 == q
d = q - p
assert type(d) == "int" and d == 8
assert p - q == -8
assert type(p - p) == "int" and p - p == 0
---
# ptr & int, ptr | int, ptr >> int: unsigned; an int when it fits.
p = 0xffff888000001234
assert type(p & 0xfff) == "int" and p & 0xfff == 0x234
assert p & ~0xfff == 0xffff888000001000 and type(p & ~0xfff) == "ptr"
assert type(p >> 12) == "int" and p >> 12 == 0xffff888000001
assert p >> 64 == 0
assert p | 1 == 0xffff888000001235
assert p ^ p == 0 and type(p ^ p) == "int"
assert 0xfff & p == 0x234
assert p / 4096 == 0xffff888000001 and p % 4096 == 0x234
assert ~p == 0x777fffffedcb and type(~p) == "int"
assert ~0x7fffffffffffffff == -9223372036854775807 - 1
assert (0x8000000000000000 >> 1) << 1 == 0x8000000000000000
---
# The address space ends at 2^64 and starts at 0.
0xffffffffffffffff + 1 ### `arith.mms:171:20: error: address overflow: 0xffffffffffffffff \+ 1 is beyond 2\^64`
---
0x8000000000000000 - 9223372036854775807 - 2 ### `address underflow: 0x1 - 2 is below 0`
---
0x8000000000000000 + (-9223372036854775807 - 1) + -1 ### `address underflow: 0x0 - 1 is below 0`
---
-1 + (0x8000000000000000 - 0x7fffffffffffffff) + -1 ### `address underflow: 0x0 - 1 is below 0`
---
0xffffffffffffffff - 0 - 0x1 + 2 ### `address overflow`
---
# A difference of pointers that does not fit in an int is an overflow.
(0x8000000000000000 - 0x7fffffffffffffff) - 0xffffffffffffffff ### `integer overflow: pointer difference does not fit in an int`
---
x = 0xffffffffffffffff
y = 0x8000000000000000
z = x - y
assert z == 0x7fffffffffffffff
x - (y - 0x7fffffffffffffff) ### `integer overflow: pointer difference does not fit in an int`
---
# Arithmetic other than + and - does not apply to pointers.
0x8000000000000000 * 2 ### `operator \* does not apply to pointers`
---
0x8000000000000000 << 1 ### `address overflow in <<`
---
0x8000000000000000 / 0 ### `division by zero`
---
0x8000000000000000 % 0 ### `division by zero`
---
0x8000000000000000 >> -1 ### `operator >> does not apply to an address and a negative int`
---
5 - 0x8000000000000000 ### `operator - does not apply to pointers`
---
0x8000000000000000 + "a" ### `operator \+ does not apply to ptr and string`
---
# NULL is the address 0 but not a number.
NULL + 1 ### `operator \+ does not apply to NULL and int`
---
# Comparisons: ints, pointers and NULL are numbers in one space.
assert 1 < 2 and 2 > 1 and 1 <= 1 and 1 >= 1 and 1 != 2
assert -5 < 0x8000000000000000 and 0x8000000000000000 > 9223372036854775807
assert 0xffffffffffffffff > 0x8000000000000000
assert NULL == 0 and 0 == NULL and NULL < 1 and -1 < NULL
assert 0 >= NULL and NULL <= 0
assert 0x8000000000000000 == 1 << 63
assert -1 != 0xffffffffffffffff
assert not (-1 > 0xffffffffffffffff)
assert -3 < -2 and not (-2 < -3)
# Strings compare bytewise.
assert "a" < "b" and "abc" < "abd" and "ab" < "abc" and "B" < "a" and "" < "a"
assert "abc" >= "abc" and "b" > "abc"
# Different types are never equal, but == does not fail.
assert 1 != "1" and 0 != false and 1 != true and NULL != false and NULL != "" and [] != {}
assert true == true and false != true
assert "x" != NULL
---
1 < "a" ### `arith.mms:226:3: error: cannot compare int < string`
---
"a" >= NULL ### `cannot compare string >= NULL`
---
[1] < [2] ### `cannot compare list < list`
---
true < false ### `cannot compare bool < bool`
---
1 < 2 < 3 ### `syntax error: < cannot follow < without parentheses; comparisons do not chain \(use and\)`
