package stdlib

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"mmsim/lang"
	"mmsim/runtime"
)

// The core built-ins: values, not the machine.

func init() {
	Register(&runtime.Builtin{Name: "len", Doc: "len(x): length of a string, list, map or range", Fn: builtinLen})
	Register(&runtime.Builtin{Name: "append", Doc: "append(list, x...): add values to the end of a list", Fn: builtinAppend})
	Register(&runtime.Builtin{Name: "range", Doc: "range(n), range(start, end[, step]): the ints start, start+step, ... below end", Fn: builtinRange})
	Register(&runtime.Builtin{Name: "hex", Doc: "hex(n): an int or address as a 0x string", Fn: builtinHex})
	Register(&runtime.Builtin{Name: "str", Doc: "str(x): x as print shows it", Fn: builtinStr})
	Register(&runtime.Builtin{Name: "int", Doc: "int(x): an int from a string, bool or address", Fn: builtinInt})
	Register(&runtime.Builtin{Name: "type", Doc: "type(x): the name of x's type", Fn: builtinType})
	Register(&runtime.Builtin{Name: "format", Doc: "format(fmt, args...): printf-style formatting with %d %x %X %o %b %s %v %q %%", Fn: builtinFormat})
	Register(&runtime.Builtin{Name: "keys", Doc: "keys(map): the keys of a map, in insertion order", Fn: builtinKeys})
	Register(&runtime.Builtin{Name: "values", Doc: "values(map): the values of a map, in insertion order", Fn: builtinValues})
	Register(&runtime.Builtin{Name: "sorted", Doc: "sorted(list): a sorted copy of a list of ints or strings", Fn: builtinSorted})
	Register(&runtime.Builtin{Name: "min", Doc: "min(a, b, ...) or min(list): the smallest", Fn: minmax("min", -1)})
	Register(&runtime.Builtin{Name: "max", Doc: "max(a, b, ...) or max(list): the largest", Fn: minmax("max", 1)})
	Register(&runtime.Builtin{Name: "sum", Doc: "sum(list): the sum of a list of ints", Fn: builtinSum})
	Register(&runtime.Builtin{Name: "abs", Doc: "abs(n): the absolute value", Fn: builtinAbs})
	Register(&runtime.Builtin{Name: "fail", Doc: "fail(msg): stop with an error (caught by expect error)", Fn: builtinFail})

	Constant("PAGE_SIZE", runtime.Int(4096))
	Constant("PAGE_SHIFT", runtime.Int(12))
}

func builtinLen(th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	var x runtime.Value
	if err := c.Unpack("x", &x); err != nil {
		return nil, err
	}
	switch x := x.(type) {
	case runtime.String:
		return runtime.Int(len(x)), nil
	case *runtime.List:
		return runtime.Int(len(x.Elems)), nil
	case *runtime.Map:
		return runtime.Int(x.Len()), nil
	case runtime.Range:
		if x.End > x.Start && x.End-x.Start < 0 {
			return nil, fmt.Errorf("len: the range %s has more ints than an int can count", x)
		}
		return runtime.Int(x.Len()), nil
	}
	return nil, fmt.Errorf("len: a value of type %s has no length", x.Type())
}

func builtinAppend(th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	if len(c.Args) < 1 || len(c.Kwargs) > 0 {
		return nil, fmt.Errorf("append takes a list and the values to add")
	}
	l, ok := c.Args[0].(*runtime.List)
	if !ok {
		return nil, fmt.Errorf("append: argument list must be a list, not %s", c.Args[0].Type())
	}
	if len(l.Elems)+len(c.Args)-1 > runtime.MaxValueLen {
		return nil, fmt.Errorf("append: list too long (limit %d elements)", runtime.MaxValueLen)
	}
	l.Elems = append(l.Elems, c.Args[1:]...)
	return nil, nil
}

func builtinRange(th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	var a, b, step int64
	var bv, sv runtime.Value
	if err := c.Unpack("start", &a, "end?", &bv, "step?", &sv); err != nil {
		return nil, err
	}
	if bv == nil {
		return runtime.Range{Start: 0, End: a}, nil
	}
	bi, ok := bv.(runtime.Int)
	if !ok {
		return nil, fmt.Errorf("range: argument end must be an int, not %s", bv.Type())
	}
	b = int64(bi)
	if sv == nil {
		return runtime.Range{Start: a, End: b}, nil
	}
	si, ok := sv.(runtime.Int)
	if !ok || si == 0 {
		return nil, fmt.Errorf("range: step must be a non-zero int")
	}
	step = int64(si)
	// Count the elements first, so that too many fail at once.
	var n uint64
	switch {
	case step > 0 && a < b:
		n = (uint64(b)-uint64(a)-1)/uint64(step) + 1
	case step < 0 && a > b:
		n = (uint64(a)-uint64(b)-1)/(uint64(-(step+1))+1) + 1
	}
	if n > runtime.MaxValueLen {
		return nil, fmt.Errorf("range: too many elements (limit %d)", runtime.MaxValueLen)
	}
	l := &runtime.List{Elems: make([]runtime.Value, n)}
	for i := range l.Elems {
		l.Elems[i] = runtime.Int(a + int64(i)*step) // wraps only in between
	}
	return l, nil
}

func builtinHex(th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	var x runtime.Value
	if err := c.Unpack("n", &x); err != nil {
		return nil, err
	}
	switch x := x.(type) {
	case runtime.Int:
		if x < 0 {
			return runtime.String("-0x" + strconv.FormatUint(uint64(-(x+1))+1, 16)), nil
		}
		return runtime.String("0x" + strconv.FormatInt(int64(x), 16)), nil
	case runtime.Ptr:
		return runtime.String("0x" + strconv.FormatUint(x.Addr, 16)), nil
	case runtime.NullType:
		return runtime.String("0x0"), nil
	}
	return nil, fmt.Errorf("hex: argument n must be an int or ptr, not %s", x.Type())
}

func builtinStr(th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	var x runtime.Value
	if err := c.Unpack("x", &x); err != nil {
		return nil, err
	}
	return runtime.String(x.String()), nil
}

func builtinInt(th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	var x runtime.Value
	if err := c.Unpack("x", &x); err != nil {
		return nil, err
	}
	switch x := x.(type) {
	case runtime.Int:
		return x, nil
	case runtime.Bool:
		if x {
			return runtime.Int(1), nil
		}
		return runtime.Int(0), nil
	case runtime.Ptr:
		if i, ok := runtime.AsInt(x); ok {
			return runtime.Int(i), nil
		}
		return nil, fmt.Errorf("int: address %s does not fit in an int", x)
	case runtime.NullType:
		return runtime.Int(0), nil
	case runtime.String:
		s := strings.TrimSpace(string(x))
		neg := strings.HasPrefix(s, "-")
		v, msg := lang.ParseInt(strings.TrimPrefix(s, "-"))
		if neg && s == "-9223372036854775808" {
			v, msg = 1<<63, "" // the one decimal that fits only with its sign
		}
		if msg != "" || v > 1<<63 || (!neg && v == 1<<63) {
			return nil, fmt.Errorf("int: %q is not an integer", string(x))
		}
		if neg {
			return runtime.Int(-int64(v-1) - 1), nil
		}
		return runtime.Int(int64(v)), nil
	}
	return nil, fmt.Errorf("int: cannot convert a %s", x.Type())
}

func builtinType(th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	var x runtime.Value
	if err := c.Unpack("x", &x); err != nil {
		return nil, err
	}
	return runtime.String(x.Type()), nil
}

// builtinFormat implements printf-style formatting over the language's
// values, checking each verb against its argument.
func builtinFormat(th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	if len(c.Args) < 1 || len(c.Kwargs) > 0 {
		return nil, fmt.Errorf("format takes a format string and its arguments")
	}
	f, ok := c.Args[0].(runtime.String)
	if !ok {
		return nil, fmt.Errorf("format: the format must be a string, not %s", c.Args[0].Type())
	}
	args := c.Args[1:]
	var b strings.Builder
	s := string(f)
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		j := i + 1
		for j < len(s) && strings.IndexByte("-+ #0123456789", s[j]) >= 0 {
			j++
		}
		if j >= len(s) {
			return nil, fmt.Errorf("format: %q ends in the middle of a verb", s)
		}
		spec, verb := s[i:j], s[j]
		i = j
		if verb == '%' {
			b.WriteByte('%')
			continue
		}
		if n >= len(args) {
			return nil, fmt.Errorf("format: not enough arguments for %q", s)
		}
		a := args[n]
		n++
		out, err := formatOne(spec, verb, a)
		if err != nil {
			return nil, err
		}
		b.WriteString(out)
		if b.Len() > runtime.MaxValueLen {
			return nil, fmt.Errorf("format: result too long")
		}
	}
	if n < len(args) {
		return nil, fmt.Errorf("format: %d argument%s left over for %q", len(args)-n, plural(len(args)-n), s)
	}
	return runtime.String(b.String()), nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func formatOne(spec string, verb byte, a runtime.Value) (string, error) {
	if len(spec) > 8 {
		return "", fmt.Errorf("format: width in %q is too large", spec+string(verb))
	}
	gofmt := spec + string(verb)
	switch verb {
	case 'd', 'x', 'X', 'o', 'b':
		switch a := a.(type) {
		case runtime.Int:
			return fmt.Sprintf(gofmt, int64(a)), nil
		case runtime.Ptr:
			return fmt.Sprintf(gofmt, a.Addr), nil
		case runtime.NullType:
			return fmt.Sprintf(gofmt, 0), nil
		case runtime.Bool:
			if verb == 'd' {
				return fmt.Sprintf(gofmt, map[bool]int{false: 0, true: 1}[bool(a)]), nil
			}
		}
		return "", fmt.Errorf("format: %%%c needs an int or ptr, not %s", verb, a.Type())
	case 's', 'v':
		return fmt.Sprintf(spec+"s", a.String()), nil
	case 'q':
		return fmt.Sprintf(spec+"s", runtime.Repr(a)), nil
	}
	return "", fmt.Errorf("format: unknown verb %%%c (use %%d %%x %%X %%o %%b %%s %%v %%q)", verb)
}

func mapArg(c *runtime.Call) (*runtime.Map, error) {
	var x runtime.Value
	if err := c.Unpack("map", &x); err != nil {
		return nil, err
	}
	m, ok := x.(*runtime.Map)
	if !ok {
		return nil, fmt.Errorf("%s: argument map must be a map, not %s", c.Name, x.Type())
	}
	return m, nil
}

func builtinKeys(th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	m, err := mapArg(c)
	if err != nil {
		return nil, err
	}
	return &runtime.List{Elems: m.Keys()}, nil
}

func builtinValues(th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	m, err := mapArg(c)
	if err != nil {
		return nil, err
	}
	var out []runtime.Value
	for _, k := range m.Keys() {
		v, _, _ := m.Get(k)
		out = append(out, v)
	}
	return &runtime.List{Elems: out}, nil
}

// less orders ints, addresses and strings; it reports false for mixed or
// other types.
func less(a, b runtime.Value) (bool, error) {
	v, err := runtime.Binary("<", a, b)
	if err != nil {
		return false, err
	}
	return bool(v.(runtime.Bool)), nil
}

func builtinSorted(th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	var elems []runtime.Value
	if err := c.Unpack("list", &elems); err != nil {
		return nil, err
	}
	out := append([]runtime.Value(nil), elems...)
	var err error
	sort.SliceStable(out, func(i, j int) bool {
		l, e := less(out[i], out[j])
		if e != nil && err == nil {
			err = fmt.Errorf("sorted: %v", e)
		}
		return l
	})
	if err != nil {
		return nil, err
	}
	return &runtime.List{Elems: out}, nil
}

func minmax(name string, sign int) func(*runtime.Thread, *runtime.Call) (runtime.Value, error) {
	return func(th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
		vals := c.Args
		if len(vals) == 1 {
			if l, ok := vals[0].(*runtime.List); ok {
				vals = l.Elems
			}
		}
		if len(vals) == 0 || len(c.Kwargs) > 0 {
			return nil, fmt.Errorf("%s needs at least one value", name)
		}
		if err := th.Charge(len(vals)); err != nil {
			return nil, err
		}
		best := vals[0]
		for _, v := range vals[1:] {
			a, b := v, best
			if sign > 0 {
				a, b = best, v
			}
			l, err := less(a, b)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", name, err)
			}
			if l {
				best = v
			}
		}
		return best, nil
	}
}

func builtinSum(th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	var elems []runtime.Value
	if err := c.Unpack("list", &elems); err != nil {
		return nil, err
	}
	if err := th.Charge(len(elems)); err != nil {
		return nil, err
	}
	var total runtime.Value = runtime.Int(0)
	for _, e := range elems {
		v, err := runtime.Binary("+", total, e)
		if err != nil {
			return nil, fmt.Errorf("sum: %v", err)
		}
		total = v
	}
	return total, nil
}

func builtinAbs(th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	var n int64
	if err := c.Unpack("n", &n); err != nil {
		return nil, err
	}
	if n < 0 {
		if n == -1<<63 {
			return nil, fmt.Errorf("abs: integer overflow")
		}
		n = -n
	}
	return runtime.Int(n), nil
}

func builtinFail(th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	var msg string
	if err := c.Unpack("msg", &msg); err != nil {
		return nil, err
	}
	return nil, runtime.Errorf(runtime.KindError, "%s", msg)
}
