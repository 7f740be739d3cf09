// Package runtime is the mmsim interpreter: values, scopes, the Thread that
// carries a computation's limits and hooks, evaluation of the lang AST, and
// errors with positions and backtraces.
//
// runtime knows nothing of the machine model. Built-ins, constants, views
// and the machine line reach it through the Host interface and the Universe
// that stdlib fills.
package runtime

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"mmsim/lang"
)

// Value is a value of the language.
type Value interface {
	// String is the value as print shows it.
	String() string
	// Type is the value's type name, as in error messages and typed
	// declarations: int, bool, string, NULL, list, map, range, ptr, fn,
	// builtin, or a handle type (cache, page, proc, ...).
	Type() string
	// Truth is the value in a condition.
	Truth() bool
}

// HasAttrs is a value with attributes, read with x.name.
type HasAttrs interface {
	Value
	Attr(name string) (Value, error) // (nil, nil) means no such attribute
	AttrNames() []string             // sorted; for errors and completion
}

// HasSetAttr is a value whose attributes can be assigned (regs.eax = 45).
type HasSetAttr interface {
	HasAttrs
	SetAttr(name string, v Value) error
}

// Describer is a value that can explain itself at length; the REPL prints
// the explanation under a bare expression's value.
type Describer interface {
	Describe() string
}

type (
	// Int is a 64-bit signed integer; arithmetic that overflows is an error.
	Int int64
	// Bool is true or false.
	Bool bool
	// String is an immutable string of bytes.
	String string
	// NullType is the type of NULL.
	NullType struct{}
)

// Null is the NULL value.
var Null = NullType{}

func (i Int) String() string { return strconv.FormatInt(int64(i), 10) }
func (Int) Type() string     { return "int" }
func (i Int) Truth() bool    { return i != 0 }

func (b Bool) String() string { return strconv.FormatBool(bool(b)) }
func (Bool) Type() string     { return "bool" }
func (b Bool) Truth() bool    { return bool(b) }

func (s String) String() string { return string(s) }
func (String) Type() string     { return "string" }
func (s String) Truth() bool    { return s != "" }

func (NullType) String() string { return "NULL" }
func (NullType) Type() string   { return "NULL" }
func (NullType) Truth() bool    { return false }

// Origin tells where a pointer came from (a kmalloc object, a vmalloc
// area, a user mapping). stdlib defines the origins.
type Origin interface {
	// Describe names the origin, e.g. "kmalloc-32 object".
	Describe() string
}

// Ptr is an address with provenance. Arithmetic with ints keeps the
// provenance; p - q of two pointers is an int.
type Ptr struct {
	Addr   uint64
	Origin Origin // nil for a plain address
}

func (p Ptr) String() string {
	s := "0x" + strconv.FormatUint(p.Addr, 16)
	if p.Origin != nil {
		s += " (" + p.Origin.Describe() + ")"
	}
	return s
}
func (Ptr) Type() string  { return "ptr" }
func (p Ptr) Truth() bool { return p.Addr != 0 }

// List is a mutable list.
type List struct{ Elems []Value }

func (l *List) String() string {
	var b strings.Builder
	writeRepr(&b, l, nil)
	return b.String()
}

// maxReprDepth is how deeply print shows lists and maps inside each other.
const maxReprDepth = 1000

// writeRepr writes v as Repr shows it. A list or map inside itself shows
// as [...] or {...}, as does one nested deeper than maxReprDepth; after
// MaxValueLen bytes the remaining elements show as "...". So printing
// never recurses without end, nor builds a string without bound.
func writeRepr(b *strings.Builder, v Value, open []Value) {
	var elems, vals []Value // a list's elements; a map's keys and values
	var lb, rb byte
	switch x := v.(type) {
	case *List:
		elems, lb, rb = x.Elems, '[', ']'
	case *Map:
		elems, vals, lb, rb = x.keys, x.vals, '{', '}'
	default:
		b.WriteString(Repr(v))
		return
	}
	cut := len(open) >= maxReprDepth
	for _, o := range open {
		cut = cut || o == v
	}
	b.WriteByte(lb)
	if cut {
		b.WriteString("...")
		b.WriteByte(rb)
		return
	}
	open = append(open, v)
	for i := range elems {
		if i > 0 {
			b.WriteString(", ")
		}
		if b.Len() > MaxValueLen {
			b.WriteString("...")
			break
		}
		writeRepr(b, elems[i], open)
		if vals != nil {
			b.WriteString(": ")
			writeRepr(b, vals[i], open)
		}
	}
	b.WriteByte(rb)
}
func (*List) Type() string  { return "list" }
func (l *List) Truth() bool { return len(l.Elems) > 0 }

// Map is a mutable map that remembers insertion order, so that printing
// and iteration are deterministic.
type Map struct {
	keys  []Value
	vals  []Value
	index map[mapKey]int
}

type mapKey struct {
	typ string
	s   string
	i   int64
}

// NewMap returns an empty map.
func NewMap() *Map { return &Map{index: map[mapKey]int{}} }

func keyOf(v Value) (mapKey, error) {
	switch v := v.(type) {
	case Int:
		if v >= 0 {
			return mapKey{typ: "addr", i: int64(v)}, nil
		}
		return mapKey{typ: "int", i: int64(v)}, nil
	case String:
		return mapKey{typ: "string", s: string(v)}, nil
	case Bool:
		if v {
			return mapKey{typ: "bool", i: 1}, nil
		}
		return mapKey{typ: "bool"}, nil
	case Ptr:
		// Keys agree with ==: 4096, a ptr to 0x1000, and NULL and 0 are
		// each one key.
		return mapKey{typ: "addr", i: int64(v.Addr)}, nil
	case NullType:
		return mapKey{typ: "addr"}, nil
	}
	return mapKey{}, fmt.Errorf("a %s cannot be a map key (keys are int, string, bool, ptr or NULL)", v.Type())
}

// Get returns the value for key k.
func (m *Map) Get(k Value) (Value, bool, error) {
	mk, err := keyOf(k)
	if err != nil {
		return nil, false, err
	}
	i, ok := m.index[mk]
	if !ok {
		return nil, false, nil
	}
	return m.vals[i], true, nil
}

// Set binds key k to v.
func (m *Map) Set(k, v Value) error {
	mk, err := keyOf(k)
	if err != nil {
		return err
	}
	if i, ok := m.index[mk]; ok {
		m.vals[i] = v
		return nil
	}
	m.index[mk] = len(m.keys)
	m.keys = append(m.keys, k)
	m.vals = append(m.vals, v)
	return nil
}

// Len is the number of entries.
func (m *Map) Len() int { return len(m.keys) }

// Keys returns the keys in insertion order.
func (m *Map) Keys() []Value { return append([]Value(nil), m.keys...) }

func (m *Map) String() string {
	var b strings.Builder
	writeRepr(&b, m, nil)
	return b.String()
}
func (*Map) Type() string  { return "map" }
func (m *Map) Truth() bool { return len(m.keys) > 0 }

// Range is the half-open range start..end of ints.
type Range struct{ Start, End int64 }

func (r Range) String() string { return fmt.Sprintf("%d..%d", r.Start, r.End) }
func (Range) Type() string     { return "range" }
func (r Range) Truth() bool    { return r.End > r.Start }

// Len is the number of ints in r, or math.MaxInt64 if there are more
// (-1<<63 .. 1<<63-1 has 2^64-1).
func (r Range) Len() int64 {
	if r.End <= r.Start {
		return 0
	}
	if n := r.End - r.Start; n > 0 {
		return n
	}
	return math.MaxInt64
}

// Function is a function defined in a script.
type Function struct {
	Name    string
	Params  []*lang.Ident
	Body    *lang.Block
	Pos     lang.Pos
	closure *env
	file    *lang.File
}

func (f *Function) String() string { return "<fn " + f.Name + ">" }
func (*Function) Type() string     { return "fn" }
func (*Function) Truth() bool      { return true }

// Repr is the value as it appears inside a list or map: strings quoted.
func Repr(v Value) string {
	if s, ok := v.(String); ok {
		return strconv.Quote(string(s))
	}
	return v.String()
}

// sortedNames returns the keys of m in order.
func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
