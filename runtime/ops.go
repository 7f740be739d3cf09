package runtime

import (
	"fmt"
	"math"
	"math/bits"
	"strings"
)

func unary(op string, v Value) (Value, error) {
	switch op {
	case "not":
		return Bool(!v.Truth()), nil
	case "+":
		if i, ok := v.(Int); ok {
			return i, nil
		}
	case "-":
		if i, ok := v.(Int); ok {
			if i == math.MinInt64 {
				return nil, fmt.Errorf("integer overflow: -(%d)", i)
			}
			return -i, nil
		}
	case "~":
		switch x := v.(type) {
		case Int:
			return ^x, nil
		case Ptr:
			return fromUint(^x.Addr), nil
		}
	}
	return nil, fmt.Errorf("operator %s does not apply to %s", op, article(v.Type()))
}

// fromUint is an int when u fits, else a plain address.
func fromUint(u uint64) Value {
	if u <= math.MaxInt64 {
		return Int(u)
	}
	return Ptr{Addr: u}
}

// Binary applies a binary operator (not and/or, which short-circuit).
func Binary(op string, l, r Value) (Value, error) {
	switch op {
	case "==":
		return Bool(Equal(l, r)), nil
	case "!=":
		return Bool(!Equal(l, r)), nil
	case "<", "<=", ">", ">=":
		c, err := compare(l, r)
		if err != nil {
			return nil, fmt.Errorf("cannot compare %s %s %s", l.Type(), op, r.Type())
		}
		switch op {
		case "<":
			return Bool(c < 0), nil
		case "<=":
			return Bool(c <= 0), nil
		case ">":
			return Bool(c > 0), nil
		}
		return Bool(c >= 0), nil
	case "in":
		return contains(r, l)
	case "..":
		a, ok1 := l.(Int)
		b, ok2 := r.(Int)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("a range needs two ints, not %s .. %s", l.Type(), r.Type())
		}
		return Range{Start: int64(a), End: int64(b)}, nil
	}
	switch a := l.(type) {
	case Int:
		switch b := r.(type) {
		case Int:
			return intOp(op, int64(a), int64(b))
		case Ptr:
			switch {
			case op == "+" && a >= 0:
				return ptrAdd(b, uint64(a))
			case op == "+":
				return ptrSub(b, absU(int64(a))) // -8 + p is p + -8
			}
			return uintOp(op, uint64(a), b.Addr, a < 0)
		}
	case Ptr:
		switch b := r.(type) {
		case Int:
			switch {
			case op == "+" && b >= 0, op == "-" && b < 0:
				return ptrAdd(a, absU(int64(b)))
			case op == "-" && b >= 0, op == "+" && b < 0:
				return ptrSub(a, absU(int64(b)))
			}
			return uintOp(op, a.Addr, uint64(b), b < 0)
		case Ptr:
			if op == "-" {
				d := int64(a.Addr - b.Addr)
				if (a.Addr >= b.Addr) != (d >= 0) {
					return nil, fmt.Errorf("integer overflow: pointer difference does not fit in an int")
				}
				return Int(d), nil
			}
			return uintOp(op, a.Addr, b.Addr, false)
		}
	case String:
		switch b := r.(type) {
		case String:
			if op == "+" {
				if len(a)+len(b) > MaxValueLen {
					return nil, fmt.Errorf("string too long (limit %d bytes)", MaxValueLen)
				}
				return a + b, nil
			}
		case Int:
			if op == "*" {
				if b < 0 || (len(a) > 0 && int64(b) > int64(MaxValueLen/len(a))) {
					return nil, fmt.Errorf("cannot repeat a string %d times", b)
				}
				return String(strings.Repeat(string(a), int(b))), nil
			}
		}
		if op == "%" {
			return nil, fmt.Errorf("use format(...) to format strings")
		}
	case *List:
		if b, ok := r.(*List); ok && op == "+" {
			if len(a.Elems)+len(b.Elems) > MaxValueLen {
				return nil, fmt.Errorf("list too long (limit %d elements)", MaxValueLen)
			}
			out := append(append(make([]Value, 0, len(a.Elems)+len(b.Elems)), a.Elems...), b.Elems...)
			return &List{Elems: out}, nil
		}
	}
	return nil, fmt.Errorf("operator %s does not apply to %s and %s", op, l.Type(), r.Type())
}

func absU(i int64) uint64 {
	if i < 0 {
		return uint64(-(i + 1)) + 1
	}
	return uint64(i)
}

func ptrAdd(p Ptr, n uint64) (Value, error) {
	s, carry := bits.Add64(p.Addr, n, 0)
	if carry != 0 {
		return nil, fmt.Errorf("address overflow: %s + %d is beyond 2^64", p, n)
	}
	return Ptr{Addr: s, Origin: p.Origin}, nil
}

func ptrSub(p Ptr, n uint64) (Value, error) {
	if n > p.Addr {
		return nil, fmt.Errorf("address underflow: 0x%x - %d is below 0", p.Addr, n)
	}
	return Ptr{Addr: p.Addr - n, Origin: p.Origin}, nil
}

// uintOp does bitwise and shift operators on addresses as unsigned 64-bit
// values; arithmetic other than + and - is not defined on pointers.
func uintOp(op string, a, b uint64, negative bool) (Value, error) {
	if negative && op != "&" && op != "|" && op != "^" {
		return nil, fmt.Errorf("operator %s does not apply to an address and a negative int", op)
	}
	switch op {
	case "&":
		return fromUint(a & b), nil
	case "|":
		return fromUint(a | b), nil
	case "^":
		return fromUint(a ^ b), nil
	case ">>":
		if b >= 64 {
			return Int(0), nil
		}
		return fromUint(a >> b), nil
	case "<<":
		if b >= 64 || (b > 0 && a>>(64-b) != 0) {
			return nil, fmt.Errorf("address overflow in <<")
		}
		return fromUint(a << b), nil
	case "/", "%":
		if b == 0 {
			return nil, fmt.Errorf("division by zero")
		}
		if op == "/" {
			return fromUint(a / b), nil
		}
		return fromUint(a % b), nil
	}
	return nil, fmt.Errorf("operator %s does not apply to pointers", op)
}

func intOp(op string, a, b int64) (Value, error) {
	overflow := func() (Value, error) {
		return nil, fmt.Errorf("integer overflow: %d %s %d does not fit in 64 bits", a, op, b)
	}
	switch op {
	case "+":
		s := a + b
		if (s > a) != (b > 0) {
			return overflow()
		}
		return Int(s), nil
	case "-":
		s := a - b
		if (s < a) != (b > 0) {
			return overflow()
		}
		return Int(s), nil
	case "*":
		if a == 0 || b == 0 {
			return Int(0), nil
		}
		p := a * b
		if p/b != a || (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) {
			return overflow()
		}
		return Int(p), nil
	case "/", "%":
		if b == 0 {
			return nil, fmt.Errorf("division by zero")
		}
		if a == math.MinInt64 && b == -1 {
			return overflow()
		}
		// Floor division and modulo, as in Python: -7 / 2 == -4, -7 % 2 == 1.
		q, m := a/b, a%b
		if m != 0 && (m < 0) != (b < 0) {
			q--
			m += b
		}
		if op == "/" {
			return Int(q), nil
		}
		return Int(m), nil
	case "&":
		return Int(a & b), nil
	case "|":
		return Int(a | b), nil
	case "^":
		return Int(a ^ b), nil
	case "<<":
		if b < 0 {
			return nil, fmt.Errorf("negative shift count %d", b)
		}
		if b >= 64 {
			if a == 0 {
				return Int(0), nil
			}
			return overflow()
		}
		r := a << uint(b)
		if r>>uint(b) != a {
			if a > 0 && uint64(a)<<uint(b)>>uint(b) == uint64(a) {
				// Fits in 64 unsigned bits: an address such as 1 << 63.
				return Ptr{Addr: uint64(a) << uint(b)}, nil
			}
			return overflow()
		}
		return Int(r), nil
	case ">>":
		if b < 0 {
			return nil, fmt.Errorf("negative shift count %d", b)
		}
		if b >= 64 {
			b = 63
		}
		return Int(a >> uint(b)), nil
	}
	return nil, fmt.Errorf("operator %s does not apply to int and int", op)
}

// Equal is the == of the language. Pointers, ints and NULL compare by
// address; other values of different types are never equal. Lists and
// maps compare element by element, without recursion, so that deeply
// nested values cannot exhaust the stack; a list or map that contains
// itself is equal to one of the same shape.
func Equal(l, r Value) bool {
	type pair struct{ l, r Value }
	var work []pair
	var seen map[pair]bool // container pairs already compared, once there are many
	containers := 0
	// visit reports whether the pair of containers a, b still needs comparing.
	visit := func(a, b Value) bool {
		if a == b {
			return false
		}
		containers++
		if containers > 64 { // a cycle, or just a big value: remember pairs
			if seen == nil {
				seen = map[pair]bool{}
			}
			if seen[pair{a, b}] {
				return false
			}
			seen[pair{a, b}] = true
		}
		return true
	}
	for {
		switch a := l.(type) {
		case *List:
			b, ok := r.(*List)
			if !ok || len(a.Elems) != len(b.Elems) {
				return false
			}
			if visit(a, b) {
				for i := range a.Elems {
					work = append(work, pair{a.Elems[i], b.Elems[i]})
				}
			}
		case *Map:
			b, ok := r.(*Map)
			if !ok || a.Len() != b.Len() {
				return false
			}
			if visit(a, b) {
				for i, k := range a.keys {
					v, found, _ := b.Get(k)
					if !found {
						return false
					}
					work = append(work, pair{a.vals[i], v})
				}
			}
		default:
			if !equalScalar(l, r) {
				return false
			}
		}
		if len(work) == 0 {
			return true
		}
		l, r = work[len(work)-1].l, work[len(work)-1].r
		work = work[:len(work)-1]
	}
}

// equalScalar is Equal for values other than lists and maps.
func equalScalar(l, r Value) bool {
	if la, ok := addrOf(l); ok {
		if ra, ok := addrOf(r); ok {
			return la == ra
		}
		return false
	}
	switch a := l.(type) {
	case Bool, String:
		return l == r
	case Range:
		b, ok := r.(Range)
		return ok && a == b
	}
	return l == r
}

// addrOf gives ints, pointers and NULL one numeric space. A negative int
// matches no address.
type numeric struct {
	neg bool
	u   uint64
}

func addrOf(v Value) (numeric, bool) {
	switch v := v.(type) {
	case Int:
		if v < 0 {
			return numeric{neg: true, u: uint64(v)}, true
		}
		return numeric{u: uint64(v)}, true
	case Ptr:
		return numeric{u: v.Addr}, true
	case NullType:
		return numeric{}, true
	}
	return numeric{}, false
}

func compare(l, r Value) (int, error) {
	if a, ok := addrOf(l); ok {
		if b, ok := addrOf(r); ok {
			switch {
			case a.neg && !b.neg:
				return -1, nil
			case !a.neg && b.neg:
				return 1, nil
			case a.neg && b.neg:
				return cmpInt(int64(a.u), int64(b.u)), nil
			}
			switch {
			case a.u < b.u:
				return -1, nil
			case a.u > b.u:
				return 1, nil
			}
			return 0, nil
		}
	}
	if a, ok := l.(String); ok {
		if b, ok := r.(String); ok {
			return strings.Compare(string(a), string(b)), nil
		}
	}
	return 0, fmt.Errorf("not comparable")
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func contains(container, x Value) (Value, error) {
	switch c := container.(type) {
	case *List:
		for _, e := range c.Elems {
			if Equal(e, x) {
				return Bool(true), nil
			}
		}
		return Bool(false), nil
	case *Map:
		_, ok, err := c.Get(x)
		if err != nil {
			return nil, err
		}
		return Bool(ok), nil
	case String:
		s, ok := x.(String)
		if !ok {
			return nil, fmt.Errorf("in a string needs a string on the left, not %s", x.Type())
		}
		return Bool(strings.Contains(string(c), string(s))), nil
	case Range:
		i, ok := x.(Int)
		if !ok {
			return Bool(false), nil
		}
		return Bool(int64(i) >= c.Start && int64(i) < c.End), nil
	}
	return nil, fmt.Errorf("in needs a list, map, string or range on the right, not %s", container.Type())
}
