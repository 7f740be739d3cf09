package runtime

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"mmsim/lang"
)

// Builtin is a function implemented in Go.
type Builtin struct {
	Name string
	Fn   func(th *Thread, c *Call) (Value, error)
	// Words are bare names this built-in takes as strings, in either call
	// form: touch a write and touch(a, write) both pass "write".
	Words []string
	// Doc is one line for :help and completion.
	Doc string
}

func (b *Builtin) String() string { return "<builtin " + b.Name + ">" }
func (*Builtin) Type() string     { return "builtin" }
func (*Builtin) Truth() bool      { return true }

func (b *Builtin) takesWord(name string) bool {
	for _, w := range b.Words {
		if w == name {
			return true
		}
	}
	return false
}

// Call is one call of a built-in: its arguments and where it was made.
type Call struct {
	Name   string
	Pos    lang.Pos
	Args   []Value
	ArgPos []lang.Pos
	Kwargs []Kwarg
}

// Kwarg is a key=value argument.
type Kwarg struct {
	Name  string
	Pos   lang.Pos
	Value Value
}

// Unpack checks the arguments against a list of parameter names and stores
// them through pointers, as in Unpack("size", &size, "flags?", &flags). A
// name ending in "?" is optional. Supported targets: *int64, *uint64
// (an address: an int or a ptr), *string, *bool, *Value, *Ptr, *[]Value.
func (c *Call) Unpack(pairs ...any) error {
	if len(pairs)%2 != 0 {
		panic("Unpack: odd argument count")
	}
	n := len(pairs) / 2
	names := make([]string, n)
	optional := make([]bool, n)
	for i := 0; i < n; i++ {
		name := pairs[2*i].(string)
		optional[i] = strings.HasSuffix(name, "?")
		names[i] = strings.TrimSuffix(name, "?")
	}
	if len(c.Args) > n {
		return fmt.Errorf("%s takes at most %d argument%s (%s), got %d", c.Name, n, plural(n), strings.Join(names, ", "), len(c.Args))
	}
	set := make([]bool, n)
	for i, a := range c.Args {
		if err := c.store(names[i], a, pairs[2*i+1]); err != nil {
			return err
		}
		set[i] = true
	}
	for _, kw := range c.Kwargs {
		i := slices.Index(names, kw.Name)
		if i < 0 {
			msg := fmt.Sprintf("%s has no parameter named %s", c.Name, kw.Name)
			if s := Nearest(kw.Name, names); s != "" {
				msg += fmt.Sprintf(" (did you mean %s?)", s)
			}
			return fmt.Errorf("%s", msg)
		}
		if set[i] {
			return fmt.Errorf("%s: argument %s given twice", c.Name, kw.Name)
		}
		if err := c.store(kw.Name, kw.Value, pairs[2*i+1]); err != nil {
			return err
		}
		set[i] = true
	}
	for i := range names {
		if !set[i] && !optional[i] {
			return fmt.Errorf("%s: missing argument %s", c.Name, names[i])
		}
	}
	return nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func (c *Call) store(name string, v Value, dst any) error {
	wrong := func(want string) error {
		return fmt.Errorf("%s: argument %s must be %s, not %s", c.Name, name, want, v.Type())
	}
	switch d := dst.(type) {
	case *int64:
		i, ok := v.(Int)
		if !ok {
			return wrong("an int")
		}
		*d = int64(i)
	case *uint64:
		switch a := v.(type) {
		case Int:
			if a < 0 {
				return fmt.Errorf("%s: argument %s must not be negative (got %d)", c.Name, name, a)
			}
			*d = uint64(a)
		case Ptr:
			*d = a.Addr
		case NullType:
			*d = 0
		default:
			return wrong("an address (int or ptr)")
		}
	case *string:
		s, ok := v.(String)
		if !ok {
			return wrong("a string")
		}
		*d = string(s)
	case *bool:
		b, ok := v.(Bool)
		if !ok {
			return wrong("a bool")
		}
		*d = bool(b)
	case *Ptr:
		switch a := v.(type) {
		case Ptr:
			*d = a
		case NullType:
			*d = Ptr{}
		case Int:
			if a < 0 {
				return wrong("an address")
			}
			*d = Ptr{Addr: uint64(a)}
		default:
			return wrong("a ptr")
		}
	case *Value:
		*d = v
	case *[]Value:
		l, ok := v.(*List)
		if !ok {
			return wrong("a list")
		}
		*d = l.Elems
	default:
		panic(fmt.Sprintf("Unpack: unsupported target %T", dst))
	}
	return nil
}

// AsInt converts an int or a ptr that fits into an int64.
func AsInt(v Value) (int64, bool) {
	switch v := v.(type) {
	case Int:
		return int64(v), true
	case Ptr:
		if v.Addr <= math.MaxInt64 {
			return int64(v.Addr), true
		}
	}
	return 0, false
}
