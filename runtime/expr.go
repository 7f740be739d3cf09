package runtime

import (
	"fmt"
	"math"
	"strings"

	"mmsim/lang"
)

// find resolves a name: the current scope, the enclosing ones, then the
// universe of built-ins and constants.
func (th *Thread) find(fr *frame, name string) (Value, bool) {
	if b, ok := fr.env.lookup(name); ok {
		return b.v, true
	}
	if v, ok := th.Universe[name]; ok {
		return v, true
	}
	return nil, false
}

func (th *Thread) lookup(fr *frame, id *lang.Ident) (Value, error) {
	if v, ok := th.find(fr, id.Name); ok {
		return v, nil
	}
	msg := "undefined: " + id.Name
	if s := Nearest(id.Name, th.names(fr)); s != "" {
		msg += " (did you mean " + s + "?)"
	}
	return nil, th.errorf(id, "%s", msg)
}

// names lists every name visible from fr, sorted.
func (th *Thread) names(fr *frame) []string {
	seen := map[string]bool{}
	for e := fr.env; e != nil; e = e.parent {
		for k := range e.vars {
			seen[k] = true
		}
	}
	for k := range th.Universe {
		seen[k] = true
	}
	return sortedNames(seen)
}

// Names lists the globals and the universe, for completion.
func (th *Thread) Names() []string {
	return th.names(&frame{env: th.globals})
}

// eval evaluates x; a call that returns no value gives NULL.
func (th *Thread) eval(fr *frame, x lang.Expr) (Value, error) {
	v, err := th.evalMaybe(fr, x)
	if v == nil && err == nil {
		v = Null
	}
	return v, err
}

// evalMaybe is eval, but a call with no value returns nil.
func (th *Thread) evalMaybe(fr *frame, x lang.Expr) (Value, error) {
	switch x := x.(type) {
	case *lang.IntLit:
		if x.IsAddr {
			return Ptr{Addr: x.Addr}, nil
		}
		return Int(x.Value), nil
	case *lang.StringLit:
		return String(x.Value), nil
	case *lang.BoolLit:
		return Bool(x.Value), nil
	case *lang.NullLit:
		return Null, nil
	case *lang.Ident:
		return th.lookup(fr, x)
	case *lang.ParenExpr:
		return th.eval(fr, x.X)
	case *lang.ListLit:
		l := &List{Elems: make([]Value, 0, len(x.Elems))}
		for _, e := range x.Elems {
			v, err := th.eval(fr, e)
			if err != nil {
				return nil, err
			}
			l.Elems = append(l.Elems, v)
		}
		return l, nil
	case *lang.MapLit:
		m := NewMap()
		for i := range x.Keys {
			k, err := th.eval(fr, x.Keys[i])
			if err != nil {
				return nil, err
			}
			v, err := th.eval(fr, x.Values[i])
			if err != nil {
				return nil, err
			}
			if err := m.Set(k, v); err != nil {
				return nil, th.errorf(x.Keys[i], "%v", err)
			}
		}
		return m, nil
	case *lang.UnaryExpr:
		v, err := th.eval(fr, x.X)
		if err != nil {
			return nil, err
		}
		r, err := unary(x.Op, v)
		if err != nil {
			return nil, th.errorf(x, "%v", err)
		}
		return r, nil
	case *lang.BinaryExpr:
		return th.binary(fr, x)
	case *lang.AttrExpr:
		v, err := th.eval(fr, x.X)
		if err != nil {
			return nil, err
		}
		return th.attr(x, v)
	case *lang.IndexExpr:
		v, err := th.eval(fr, x.X)
		if err != nil {
			return nil, err
		}
		i, err := th.eval(fr, x.Index)
		if err != nil {
			return nil, err
		}
		r, err := index(v, i)
		if err != nil {
			return nil, th.errorf(x, "%v", err)
		}
		return r, nil
	case *lang.CallExpr:
		fn, err := th.eval(fr, x.Fn)
		if err != nil {
			return nil, err
		}
		return th.call(fr, fn, "", x.Args, x)
	}
	return nil, th.errorf(x, "internal error: unknown expression %T", x)
}

func (th *Thread) binary(fr *frame, x *lang.BinaryExpr) (Value, error) {
	l, err := th.eval(fr, x.X)
	if err != nil {
		return nil, err
	}
	switch x.Op {
	case "and":
		if !l.Truth() {
			return l, nil
		}
		return th.eval(fr, x.Y)
	case "or":
		if l.Truth() {
			return l, nil
		}
		return th.eval(fr, x.Y)
	}
	r, err := th.eval(fr, x.Y)
	if err != nil {
		return nil, err
	}
	// Comparing strings, lists and maps, and searching a list or string,
	// take time in their size; the result of + and * is charged below.
	work := 0
	switch x.Op {
	case "==", "!=", "<", "<=", ">", ">=":
		work = min(size(l), size(r))
	case "in":
		if _, isMap := r.(*Map); !isMap {
			work = size(r)
		}
	}
	if err := th.Charge(work); err != nil {
		return nil, th.errAt(x.OpPos, err)
	}
	v, err := Binary(x.Op, l, r)
	if err != nil {
		return nil, &Error{Kind: KindError, Pos: x.OpPos, Msg: err.Error(), Stack: th.stackAt(x.OpPos)}
	}
	if err := th.Charge(size(v)); err != nil {
		return nil, th.errAt(x.OpPos, err)
	}
	return v, nil
}

func (th *Thread) attr(x *lang.AttrExpr, v Value) (Value, error) {
	h, ok := v.(HasAttrs)
	if !ok {
		return nil, th.errorf(x, "%s has no attributes (.%s)", article(v.Type()), x.Name)
	}
	a, err := h.Attr(x.Name)
	if err != nil {
		return nil, th.errorf(x, "%v", err)
	}
	if a == nil {
		msg := fmt.Sprintf("%s has no attribute %s", article(v.Type()), x.Name)
		if s := Nearest(x.Name, h.AttrNames()); s != "" {
			msg += " (did you mean ." + s + "?)"
		}
		return nil, th.errorf(x, "%s", msg)
	}
	return a, nil
}

// call calls fn. args are unevaluated; n is the node errors point at.
func (th *Thread) call(fr *frame, fn Value, name string, args []lang.Arg, n lang.Node) (Value, error) {
	start, _ := n.Span()
	if err := th.step(start); err != nil {
		return nil, err
	}
	switch fn := fn.(type) {
	case *Builtin:
		c := &Call{Name: fn.Name, Pos: start}
		for _, a := range args {
			var v Value
			if id, ok := a.Value.(*lang.Ident); ok && fn.takesWord(id.Name) {
				v = String(id.Name)
			} else {
				var err error
				if v, err = th.eval(fr, a.Value); err != nil {
					return nil, err
				}
			}
			if a.Name != "" {
				c.Kwargs = append(c.Kwargs, Kwarg{Name: a.Name, Pos: a.Pos, Value: v})
			} else {
				c.Args = append(c.Args, v)
				c.ArgPos = append(c.ArgPos, a.Pos)
			}
		}
		v, err := fn.Fn(th, c)
		if err != nil {
			return nil, th.errAt(start, err)
		}
		if v != nil {
			// A built-in's result is charged for its size (sorted, range,
			// keys, format, str build it anew).
			if err := th.Charge(size(v)); err != nil {
				return nil, th.errAt(start, err)
			}
		}
		return v, nil
	case *Function:
		return th.callFunction(fr, fn, args, start)
	}
	if name == "" {
		if c, ok := n.(*lang.CallExpr); ok {
			name = fr.file.Text(c.Fn)
		}
	}
	return nil, th.errorf(n, "%s is %s, not a function", name, article(fn.Type()))
}

func (th *Thread) callFunction(fr *frame, fn *Function, args []lang.Arg, at lang.Pos) (Value, error) {
	callEnv := newEnv(fn.closure)
	set := make(map[string]bool, len(fn.Params))
	for i, a := range args {
		v, err := th.eval(fr, a.Value)
		if err != nil {
			return nil, err
		}
		pname := ""
		if a.Name != "" {
			for _, p := range fn.Params {
				if p.Name == a.Name {
					pname = a.Name
				}
			}
			if pname == "" {
				return nil, &Error{Kind: KindError, Pos: a.Pos, Msg: fmt.Sprintf("%s has no parameter named %s", fn.Name, a.Name), Stack: th.stackAt(a.Pos)}
			}
		} else if i < len(fn.Params) {
			pname = fn.Params[i].Name
		} else {
			return nil, &Error{Kind: KindError, Pos: at, Msg: fmt.Sprintf("%s takes %d argument%s, got %d", fn.Name, len(fn.Params), plural(len(fn.Params)), len(args)), Stack: th.stackAt(at)}
		}
		if set[pname] {
			return nil, &Error{Kind: KindError, Pos: a.Pos, Msg: fmt.Sprintf("%s: argument %s given twice", fn.Name, pname), Stack: th.stackAt(a.Pos)}
		}
		set[pname] = true
		callEnv.set(pname, v, "")
	}
	for _, p := range fn.Params {
		if !set[p.Name] {
			return nil, &Error{Kind: KindError, Pos: at, Msg: fmt.Sprintf("%s: missing argument %s", fn.Name, p.Name), Stack: th.stackAt(at)}
		}
	}
	return th.invoke(fn, callEnv, at)
}

// invoke runs a function's body in its bound environment.
func (th *Thread) invoke(fn *Function, callEnv *env, at lang.Pos) (Value, error) {
	if th.depth >= th.maxDepth() {
		return nil, &Error{Kind: KindLimit, Pos: at, Msg: fmt.Sprintf("call depth limit reached (%d nested calls): runaway recursion?", th.maxDepth()), Stack: th.stackAt(at)}
	}
	th.depth++
	if len(th.stack) > 0 {
		th.stack[len(th.stack)-1].Pos = at
	}
	th.stack = append(th.stack, Frame{Name: fn.Name})
	defer func() {
		th.depth--
		th.stack = th.stack[:len(th.stack)-1]
	}()
	inner := &frame{env: callEnv, fn: fn, file: fn.file}
	if _, err := th.execBlock(inner, fn.Body); err != nil {
		return nil, err
	}
	return inner.ret, nil
}

// Call calls a function or built-in with arguments already evaluated, for
// a built-in that calls back into the script (a slab constructor). The
// call counts toward the depth limit and shows in backtraces at pos.
func (th *Thread) Call(fn Value, args []Value, pos lang.Pos) (Value, error) {
	switch f := fn.(type) {
	case *Builtin:
		v, err := f.Fn(th, &Call{Name: f.Name, Pos: pos, Args: args, ArgPos: make([]lang.Pos, len(args))})
		if err != nil {
			return nil, th.errAt(pos, err)
		}
		return v, nil
	case *Function:
		if len(args) != len(f.Params) {
			return nil, &Error{Kind: KindError, Pos: pos, Msg: fmt.Sprintf("%s takes %d argument%s, got %d", f.Name, len(f.Params), plural(len(f.Params)), len(args)), Stack: th.stackAt(pos)}
		}
		callEnv := newEnv(f.closure)
		for i, p := range f.Params {
			callEnv.set(p.Name, args[i], "")
		}
		return th.invoke(f, callEnv, pos)
	}
	return nil, &Error{Kind: KindError, Pos: pos, Msg: fmt.Sprintf("%s is not a function", describe(fn)), Stack: th.stackAt(pos)}
}

// assign runs x = v and the compound forms.
func (th *Thread) assign(fr *frame, s *lang.AssignStmt) error {
	rhs, err := th.eval(fr, s.Value)
	if err != nil {
		return err
	}
	compound := func(old Value) (Value, error) {
		if s.Op == "=" {
			return rhs, nil
		}
		v, err := Binary(s.Op, old, rhs)
		if err != nil {
			return nil, th.errorf(s, "%v", err)
		}
		return v, nil
	}
	switch t := s.Target.(type) {
	case *lang.Ident:
		b, local := fr.env.vars[t.Name]
		var v Value
		if s.Op == "=" {
			v = rhs
		} else {
			if !local {
				if _, outer := fr.env.lookup(t.Name); outer && fr.fn != nil {
					return th.errorf(t, "cannot assign to %s: it is not a local variable of %s (a function can read globals but not assign to them; return the new value instead)", t.Name, fr.fn.Name)
				}
				if _, err := th.lookup(fr, t); err != nil {
					return err
				}
				return th.errorf(t, "cannot assign to %s: it is a built-in", t.Name)
			}
			if v, err = compound(b.v); err != nil {
				return err
			}
		}
		if local && b.typ != "" {
			cv, err := convertTo(b.typ, v)
			if err != nil {
				return th.errorf(s.Value, "%s is declared %s: %v", t.Name, b.typ, err)
			}
			v = cv
		}
		fr.env.set(t.Name, v, "")
		return nil
	case *lang.AttrExpr:
		obj, err := th.eval(fr, t.X)
		if err != nil {
			return err
		}
		h, ok := obj.(HasSetAttr)
		if !ok {
			return th.errorf(t, "cannot assign to .%s: %s's attributes are read-only", t.Name, article(obj.Type()))
		}
		old, err := th.attr(t, obj)
		if err != nil {
			return err
		}
		v, err := compound(old)
		if err != nil {
			return err
		}
		if err := h.SetAttr(t.Name, v); err != nil {
			return th.errorf(t, "%v", err)
		}
		return nil
	case *lang.IndexExpr:
		obj, err := th.eval(fr, t.X)
		if err != nil {
			return err
		}
		key, err := th.eval(fr, t.Index)
		if err != nil {
			return err
		}
		var old Value = Null
		if s.Op != "=" {
			if old, err = index(obj, key); err != nil {
				return th.errorf(t, "%v", err)
			}
		}
		v, err := compound(old)
		if err != nil {
			return err
		}
		if err := setIndex(obj, key, v); err != nil {
			return th.errorf(t, "%v", err)
		}
		return nil
	}
	return th.errorf(s, "cannot assign to this expression")
}

// convertTo checks v against a declared type; a non-negative int becomes a
// ptr in a ptr variable.
func convertTo(typ string, v Value) (Value, error) {
	switch {
	case v.Type() == typ:
		return v, nil
	case typ == "ptr":
		if i, ok := v.(Int); ok && i >= 0 {
			return Ptr{Addr: uint64(i)}, nil
		}
		if v == Null {
			return v, nil
		}
	case typ != "int" && v == Null:
		return v, nil
	}
	return nil, fmt.Errorf("want %s, got %s", article(typ), describe(v))
}

func index(v, i Value) (Value, error) {
	switch v := v.(type) {
	case *List:
		n, err := listIndex(i, len(v.Elems))
		if err != nil {
			return nil, err
		}
		return v.Elems[n], nil
	case String:
		n, err := listIndex(i, len(v))
		if err != nil {
			return nil, err
		}
		return v[n : n+1], nil
	case Range:
		if v.Len() > math.MaxInt32 {
			return nil, fmt.Errorf("range is too long to index")
		}
		n, err := listIndex(i, int(v.Len()))
		if err != nil {
			return nil, err
		}
		return Int(v.Start + int64(n)), nil
	case *Map:
		r, ok, err := v.Get(i)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("key %s is not in the map", Repr(i))
		}
		return r, nil
	}
	return nil, fmt.Errorf("%s cannot be indexed", article(v.Type()))
}

func listIndex(i Value, n int) (int, error) {
	k, ok := i.(Int)
	if !ok {
		return 0, fmt.Errorf("index must be an int, not %s", i.Type())
	}
	j := int64(k)
	if j < 0 {
		j += int64(n)
	}
	if j < 0 || j >= int64(n) {
		return 0, fmt.Errorf("index %d out of range (length %d)", k, n)
	}
	return int(j), nil
}

func setIndex(obj, key, v Value) error {
	switch o := obj.(type) {
	case *List:
		n, err := listIndex(key, len(o.Elems))
		if err != nil {
			return err
		}
		o.Elems[n] = v
		return nil
	case *Map:
		return o.Set(key, v)
	}
	return fmt.Errorf("cannot assign to an element of %s", article(obj.Type()))
}

// article puts "a" or "an" before a type name.
func article(typ string) string {
	if typ != "" && strings.IndexByte("aeiou", typ[0]) >= 0 {
		return "an " + typ
	}
	return "a " + typ
}
