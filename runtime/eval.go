package runtime

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"mmsim/lang"
)

// ctrl is how a statement ended.
type ctrl int

const (
	ctrlNone ctrl = iota
	ctrlBreak
	ctrlContinue
	ctrlReturn
)

// frame is one activation: the top level or a function call.
type frame struct {
	env  *env
	fn   *Function // nil at the top level
	file *lang.File
	ret  Value
}

// ExecFile runs a script: the machine line (or the default machine), then
// its top-level statements in order. test and setup blocks do not run here;
// see RunTest. With CheckEnd the invariants are checked once at the end.
func (th *Thread) ExecFile(f *lang.File) error {
	stmts := f.Stmts
	if !th.REPL {
		for i, s := range stmts {
			if m, ok := s.(*lang.MachineStmt); ok && i > 0 {
				start, _ := m.Span()
				return &Error{Kind: KindError, Pos: start, Msg: "machine must be the first statement of a script", Stack: []Frame{{Name: "<toplevel>", Pos: start}}}
			}
		}
	}
	if err := th.bootFor(f, stmts); err != nil {
		return err
	}
	if th.loading == nil {
		th.loading = map[string]bool{}
	}
	th.loading[filepath.Clean(f.Name)] = true // a use cycle back to the script does nothing
	if err := th.Exec(f, stmts); err != nil {
		return err
	}
	if th.CheckMode == CheckEnd {
		end := lang.Pos{File: f.Name, Line: 1, Col: 1}
		if len(stmts) > 0 {
			end, _ = stmts[len(stmts)-1].Span()
		}
		return th.check(end)
	}
	return nil
}

// bootFor boots the default machine unless stmts start with a machine line
// or a machine is already running.
func (th *Thread) bootFor(f *lang.File, stmts []lang.Stmt) error {
	if th.booted {
		return nil
	}
	if len(stmts) > 0 {
		if _, ok := stmts[0].(*lang.MachineStmt); ok {
			return nil
		}
	}
	if th.Host != nil {
		if err := th.Host.Boot(th, nil); err != nil {
			var p lang.Pos // the default machine's errors are the file's
			if f != nil && f.Name != "" {
				p = lang.Pos{File: f.Name, Line: 1, Col: 1}
			}
			return th.errAt(p, err)
		}
	}
	th.booted = true
	return nil
}

// Exec runs top-level statements of f in the global scope. The REPL calls
// it once per entry.
func (th *Thread) Exec(f *lang.File, stmts []lang.Stmt) error {
	if err := th.bootFor(f, stmts); err != nil {
		return err
	}
	fr := &frame{env: th.globals, file: f}
	savedStack, savedTop := th.stack, th.top
	defer func() { th.stack, th.top = savedStack, savedTop }()
	th.stack = []Frame{{Name: "<toplevel>"}}
	for _, s := range stmts {
		switch s.(type) {
		case *lang.TestStmt, *lang.SetupStmt:
			continue
		}
		th.top = s
		c, err := th.exec(fr, s)
		th.top = nil
		if err != nil {
			return err
		}
		if c != ctrlNone {
			break
		}
	}
	return nil
}

// Tests returns the test blocks of f in order.
func Tests(f *lang.File) []*lang.TestStmt {
	var out []*lang.TestStmt
	for _, s := range f.Stmts {
		if t, ok := s.(*lang.TestStmt); ok {
			out = append(out, t)
		}
	}
	return out
}

// RunTest runs one test block on this (fresh) thread: the file's top level,
// then its setup blocks, then the test's body.
func (th *Thread) RunTest(f *lang.File, t *lang.TestStmt) error {
	if err := th.ExecFile(f); err != nil {
		return err
	}
	fr := &frame{env: th.globals, file: f}
	th.stack = []Frame{{Name: "<toplevel>"}}
	for _, s := range f.Stmts {
		if su, ok := s.(*lang.SetupStmt); ok {
			if _, err := th.execBlock(fr, su.Body); err != nil {
				return err
			}
		}
	}
	th.stack = []Frame{{Name: "test " + fmt.Sprintf("%q", t.Name)}}
	info, err := th.testInfo(fr, t)
	if err != nil {
		return err
	}
	th.Test = info
	if _, err := th.execBlock(fr, t.Body); err != nil {
		return err
	}
	if th.CheckMode == CheckEnd {
		start, _ := t.Span()
		return th.check(start)
	}
	return nil
}

// TestInfo is what a test block's header says: test "name" points=2
// visibility="after_due_date" tags=["buddy"].
type TestInfo struct {
	Name       string
	Points     int64 // 0 when not given
	Visibility string
	Tags       []string
}

// MaxPoints bounds a test's points, so that no sum of them overflows.
const MaxPoints = 1_000_000

// Visibilities are the values of visibility=, as Gradescope names them.
var Visibilities = []string{"visible", "hidden", "after_due_date", "after_published"}

// testInfo evaluates and checks a test block's header.
func (th *Thread) testInfo(fr *frame, t *lang.TestStmt) (*TestInfo, error) {
	info := &TestInfo{Name: t.Name, Visibility: "visible"}
	for _, o := range t.Opts {
		v, err := th.eval(fr, o.Value)
		if err != nil {
			return nil, err
		}
		bad := func(format string, args ...any) error {
			return &Error{Kind: KindError, Pos: o.Pos, Msg: fmt.Sprintf(format, args...), Stack: th.stackAt(o.Pos)}
		}
		switch o.Key {
		case "points":
			n, ok := v.(Int)
			if !ok || n < 0 || n > MaxPoints {
				return nil, bad("points must be an int from 0 to %d, not %s", MaxPoints, describe(v))
			}
			info.Points = int64(n)
		case "visibility":
			s, ok := v.(String)
			if !ok || !slices.Contains(Visibilities, string(s)) {
				return nil, bad("visibility must be one of %s, not %s", strings.Join(Visibilities, ", "), describe(v))
			}
			info.Visibility = string(s)
		case "tags":
			l, ok := v.(*List)
			if !ok {
				return nil, bad("tags must be a list of strings, not %s", describe(v))
			}
			for _, e := range l.Elems {
				s, ok := e.(String)
				if !ok {
					return nil, bad("tags must be a list of strings, but one is %s", describe(e))
				}
				info.Tags = append(info.Tags, string(s))
			}
		default:
			msg := fmt.Sprintf("unknown test option %s (options: points, visibility, tags)", o.Key)
			if s := Nearest(o.Key, []string{"points", "visibility", "tags"}); s != "" {
				msg = fmt.Sprintf("unknown test option %s (did you mean %s?)", o.Key, s)
			}
			return nil, bad("%s", msg)
		}
	}
	return info, nil
}

// errAt gives err a position and a backtrace if it has none yet.
func (th *Thread) errAt(p lang.Pos, err error) error {
	var e *Error
	if errors.As(err, &e) {
		if e.Pos.Line != 0 || e.Pos.File != "" {
			if e.Stack != nil {
				return err
			}
			// Positioned but without a backtrace: a step limit, or a
			// host error such as a bad machine line.
			e2 := *e
			e2.Stack = th.stackAt(e.Pos)
			return &e2
		}
		e2 := *e
		e2.Pos = p
		e2.Stack = th.stackAt(p)
		return &e2
	}
	return &Error{Kind: KindOf(err), Pos: p, Msg: err.Error(), Stack: th.stackAt(p), Cause: err}
}

func (th *Thread) stackAt(p lang.Pos) []Frame {
	st := append([]Frame(nil), th.stack...)
	if len(st) > 0 {
		st[len(st)-1].Pos = p
	}
	return st
}

func (th *Thread) errorf(n lang.Node, format string, args ...any) error {
	start, _ := n.Span()
	return &Error{Kind: KindError, Pos: start, Msg: fmt.Sprintf(format, args...), Stack: th.stackAt(start)}
}

func (th *Thread) check(p lang.Pos) error {
	if th.Host == nil || th.CheckMode == CheckOff {
		return nil
	}
	if err := th.Host.Check(th); err != nil {
		return th.checkErr(p, err)
	}
	return nil
}

// checkErr positions a failed invariant check; an error of no kind is an
// invariant violation.
func (th *Thread) checkErr(p lang.Pos, err error) error {
	var e *Error
	if errors.As(err, &e) {
		return th.errAt(p, err)
	}
	return &Error{Kind: KindInvariant, Pos: p, Msg: err.Error(), Stack: th.stackAt(p), Cause: err}
}

func (th *Thread) execBlock(fr *frame, b *lang.Block) (ctrl, error) {
	for _, s := range b.Stmts {
		c, err := th.exec(fr, s)
		if err != nil || c != ctrlNone {
			return c, err
		}
	}
	return ctrlNone, nil
}

// exec runs one statement. The statement's position is worked out only
// when it is needed (an error, a trace line): this is the hot path.
func (th *Thread) exec(fr *frame, s lang.Stmt) (ctrl, error) {
	if err := th.step(lang.Pos{}); err != nil {
		start, _ := s.Span()
		return ctrlNone, th.errAt(start, err)
	}
	if th.Trace != nil {
		start, _ := s.Span()
		if line, _, ok := strings.Cut(fr.file.Text(s), "\n"); ok || line != "" {
			fmt.Fprintf(th.Trace, "%s: %s\n", start, line)
		}
	}
	c, compound, err := th.exec1(fr, s)
	if err != nil {
		start, _ := s.Span()
		return c, th.errAt(start, err)
	}
	if !compound && th.CheckMode == CheckEach && th.Host != nil {
		if err := th.Host.Check(th); err != nil {
			start, _ := s.Span()
			return c, th.checkErr(start, err)
		}
	}
	return c, nil
}

// exec1 runs one statement; compound is true for statements whose inner
// statements were checked one by one.
func (th *Thread) exec1(fr *frame, s lang.Stmt) (c ctrl, compound bool, err error) {
	switch s := s.(type) {
	case *lang.ExprStmt:
		return ctrlNone, false, th.exprStmt(fr, s)
	case *lang.AssignStmt:
		return ctrlNone, false, th.assign(fr, s)
	case *lang.DeclStmt:
		v, err := th.eval(fr, s.Value)
		if err != nil {
			return ctrlNone, false, err
		}
		v, err = convertTo(s.Type, v)
		if err != nil {
			return ctrlNone, false, th.errorf(s.Value, "cannot declare %s %s: %v", s.Type, s.Name.Name, err)
		}
		fr.env.set(s.Name.Name, v, s.Type)
		return ctrlNone, false, nil
	case *lang.CommandStmt:
		_, err := th.command(fr, s)
		return ctrlNone, false, err
	case *lang.PrintStmt:
		return ctrlNone, false, th.print(fr, s)
	case *lang.ShowStmt:
		return ctrlNone, false, th.show(fr, s)
	case *lang.IfStmt:
		c, err := th.ifStmt(fr, s)
		return c, true, err
	case *lang.Block:
		c, err := th.execBlock(fr, s)
		return c, true, err
	case *lang.WhileStmt:
		c, err := th.while(fr, s)
		return c, true, err
	case *lang.ForStmt:
		c, err := th.forStmt(fr, s)
		return c, true, err
	case *lang.RepeatStmt:
		c, err := th.repeat(fr, s)
		return c, true, err
	case *lang.BranchStmt:
		if s.Tok == "break" {
			return ctrlBreak, true, nil
		}
		return ctrlContinue, true, nil
	case *lang.ReturnStmt:
		if s.Value != nil {
			v, err := th.eval(fr, s.Value)
			if err != nil {
				return ctrlNone, true, err
			}
			fr.ret = v
		}
		return ctrlReturn, true, nil
	case *lang.FnStmt:
		fn := &Function{Name: s.Name.Name, Params: s.Params, Body: s.Body, closure: fr.env, file: fr.file}
		fn.Pos, _ = s.Span()
		fr.env.set(s.Name.Name, fn, "")
		return ctrlNone, true, nil
	case *lang.ContextStmt:
		c, err := th.context(fr, s)
		return c, true, err
	case *lang.AssertStmt:
		return ctrlNone, false, th.assert(fr, s)
	case *lang.ExpectStmt:
		c, err := th.expect(fr, s)
		return c, true, err
	case *lang.CheckStmt:
		// check runs the invariant checks now, whatever --check says.
		start, _ := s.Span()
		mode := th.CheckMode
		th.CheckMode = CheckEach
		err := th.check(start)
		th.CheckMode = mode
		return ctrlNone, true, err
	case *lang.MachineStmt:
		if th.Host != nil {
			if err := th.Host.Boot(th, s); err != nil {
				return ctrlNone, false, err
			}
		}
		th.booted = true
		return ctrlNone, false, nil
	case *lang.SkipStmt:
		reason := s.Reason
		if reason == "" {
			reason = "skip"
		}
		return ctrlNone, true, &Error{Kind: KindSkip, Msg: reason}
	case *lang.UseStmt:
		return ctrlNone, true, th.use(fr, s)
	case *lang.IntStmt:
		if th.Host == nil {
			return ctrlNone, false, fmt.Errorf("int %#x: no machine", s.Vector)
		}
		return ctrlNone, false, th.Host.Interrupt(th, s.Vector)
	case *lang.Int3Stmt:
		if th.Host == nil {
			return ctrlNone, false, nil
		}
		start, _ := s.Span()
		return ctrlNone, false, th.Host.Breakpoint(th, start)
	case *lang.TestStmt, *lang.SetupStmt:
		return ctrlNone, true, th.errorf(s, "test and setup blocks run only under mmsim test")
	}
	return ctrlNone, false, th.errorf(s, "internal error: unknown statement %T", s)
}

func (th *Thread) exprStmt(fr *frame, s *lang.ExprStmt) error {
	var v Value
	var err error
	if id, ok := s.X.(*lang.Ident); ok {
		callee, err := th.lookup(fr, id)
		if err != nil {
			return err
		}
		switch callee.(type) {
		case *Builtin, *Function:
			v, err = th.call(fr, callee, id.Name, nil, s.X)
			if err != nil {
				return err
			}
		default:
			v = callee
		}
	} else {
		v, err = th.evalMaybe(fr, s.X)
		if err != nil {
			return err
		}
	}
	if v != nil && th.Echo != nil && lang.Stmt(s) == th.top {
		th.Echo(v, s.X)
	}
	return nil
}

func (th *Thread) command(fr *frame, s *lang.CommandStmt) (Value, error) {
	callee, err := th.lookup(fr, s.Name)
	if err != nil {
		return nil, err
	}
	switch callee.(type) {
	case *Builtin, *Function:
	default:
		return nil, th.errorf(s.Name, "%s is %s, not a command: only built-ins and functions take arguments without parentheses", s.Name.Name, article(callee.Type()))
	}
	args := make([]lang.Arg, len(s.Args))
	for i, a := range s.Args {
		start, _ := a.Span()
		args[i] = lang.Arg{Pos: start, Value: a}
	}
	return th.call(fr, callee, s.Name.Name, args, s)
}

func (th *Thread) print(fr *frame, s *lang.PrintStmt) error {
	parts := make([]string, len(s.Args))
	for i, a := range s.Args {
		v, err := th.eval(fr, a)
		if err != nil {
			return err
		}
		parts[i] = v.String()
		if err := th.Charge(len(parts[i])); err != nil {
			return err
		}
	}
	_, err := io.WriteString(th.Out, strings.Join(parts, " ")+"\n")
	return err
}

func (th *Thread) show(fr *frame, s *lang.ShowStmt) error {
	var args []ShowArg
	for _, a := range s.Args {
		if a.Flag != "" {
			args = append(args, ShowArg{Flag: a.Flag, Pos: a.Pos})
			continue
		}
		// A bare name that is not a variable is a word: show slab task_struct.
		if id, ok := a.X.(*lang.Ident); ok {
			if _, found := th.find(fr, id.Name); !found {
				args = append(args, ShowArg{Value: String(id.Name), Pos: a.Pos})
				continue
			}
		}
		v, err := th.eval(fr, a.X)
		if err != nil {
			return err
		}
		args = append(args, ShowArg{Value: v, Pos: a.Pos})
	}
	if th.Host == nil {
		return th.errorf(s, "show: no machine")
	}
	start, _ := s.Span()
	if err := th.Host.Show(th, s.View, args, start); err != nil {
		return th.errAt(s.ViewPos, err)
	}
	return nil
}

func (th *Thread) ifStmt(fr *frame, s *lang.IfStmt) (ctrl, error) {
	cond, err := th.eval(fr, s.Cond)
	if err != nil {
		return ctrlNone, err
	}
	if cond.Truth() {
		return th.execBlock(fr, s.Then)
	}
	switch e := s.Else.(type) {
	case *lang.IfStmt:
		return th.exec(fr, e)
	case *lang.Block:
		return th.execBlock(fr, e)
	}
	return ctrlNone, nil
}

// loopBody runs one iteration; done is true when the loop must stop.
func (th *Thread) loopBody(fr *frame, b *lang.Block) (c ctrl, done bool, err error) {
	if err := th.step(lang.Pos{}); err != nil {
		start, _ := b.Span()
		return ctrlNone, true, th.errAt(start, err)
	}
	c, err = th.execBlock(fr, b)
	switch {
	case err != nil:
		return c, true, err
	case c == ctrlBreak:
		return ctrlNone, true, nil
	case c == ctrlReturn:
		return c, true, nil
	}
	return ctrlNone, false, nil
}

func (th *Thread) while(fr *frame, s *lang.WhileStmt) (ctrl, error) {
	for {
		cond, err := th.eval(fr, s.Cond)
		if err != nil {
			return ctrlNone, err
		}
		if !cond.Truth() {
			return ctrlNone, nil
		}
		if c, done, err := th.loopBody(fr, s.Body); done {
			return c, err
		}
	}
}

func (th *Thread) repeat(fr *frame, s *lang.RepeatStmt) (ctrl, error) {
	v, err := th.eval(fr, s.Count)
	if err != nil {
		return ctrlNone, err
	}
	n, ok := v.(Int)
	if !ok || n < 0 {
		return ctrlNone, th.errorf(s.Count, "repeat needs a count that is an int >= 0, not %s", describe(v))
	}
	for i := Int(0); i < n; i++ {
		if c, done, err := th.loopBody(fr, s.Body); done {
			return c, err
		}
	}
	return ctrlNone, nil
}

func (th *Thread) forStmt(fr *frame, s *lang.ForStmt) (ctrl, error) {
	it, err := th.eval(fr, s.Iter)
	if err != nil {
		return ctrlNone, err
	}
	// bind assigns the loop variables; a typed variable keeps its type.
	bind := func(vals ...Value) error {
		for i, v := range s.Vars {
			val := vals[len(vals)-len(s.Vars)+i]
			if b, ok := fr.env.vars[v.Name]; ok && b.typ != "" {
				cv, err := convertTo(b.typ, val)
				if err != nil {
					return th.errorf(v, "%s is declared %s: %v", v.Name, b.typ, err)
				}
				val = cv
			}
			fr.env.set(v.Name, val, "")
		}
		return nil
	}
	two := len(s.Vars) == 2
	switch it := it.(type) {
	case Range:
		for i := it.Start; i < it.End; i++ {
			if err := bind(Int(i-it.Start), Int(i)); err != nil {
				return ctrlNone, err
			}
			if c, done, err := th.loopBody(fr, s.Body); done {
				return c, err
			}
		}
	case *List:
		elems := append([]Value(nil), it.Elems...)
		for i, e := range elems {
			if err := bind(Int(i), e); err != nil {
				return ctrlNone, err
			}
			if c, done, err := th.loopBody(fr, s.Body); done {
				return c, err
			}
		}
	case *Map:
		keys := it.Keys()
		for _, k := range keys {
			v, _, _ := it.Get(k)
			kv := []Value{k, v}
			if !two {
				kv = kv[:1]
			}
			if err := bind(kv...); err != nil {
				return ctrlNone, err
			}
			if c, done, err := th.loopBody(fr, s.Body); done {
				return c, err
			}
		}
	case String:
		for i := 0; i < len(it); i++ {
			if err := bind(Int(i), it[i:i+1]); err != nil {
				return ctrlNone, err
			}
			if c, done, err := th.loopBody(fr, s.Body); done {
				return c, err
			}
		}
	default:
		return ctrlNone, th.errorf(s.Iter, "cannot loop over %s (want a range, list, map or string)", article(it.Type()))
	}
	return ctrlNone, nil
}

func (th *Thread) context(fr *frame, s *lang.ContextStmt) (ctrl, error) {
	var arg Value
	if s.Arg != nil {
		v, err := th.eval(fr, s.Arg)
		if err != nil {
			return ctrlNone, err
		}
		arg = v
	}
	if th.Host == nil {
		return th.execBlock(fr, s.Body)
	}
	leave, err := th.Host.Enter(th, s.Kind, arg)
	if err != nil {
		return ctrlNone, err
	}
	c, err := th.execBlock(fr, s.Body)
	leave()
	if l, ok := th.Host.(ContextLeaver); ok {
		if lerr := l.Left(th, s.End); lerr != nil && err == nil {
			return ctrlNone, th.errAt(s.End, lerr)
		}
	}
	return c, err
}

func (th *Thread) assert(fr *frame, s *lang.AssertStmt) error {
	// A comparison's sides are evaluated once, so that the message can
	// show their values without running their calls a second time.
	b, isCmp := unparen(s.Cond).(*lang.BinaryExpr)
	isCmp = isCmp && isComparison(b.Op)
	var cond, l, r Value
	var err error
	if isCmp {
		if l, err = th.eval(fr, b.X); err != nil {
			return err
		}
		if r, err = th.eval(fr, b.Y); err != nil {
			return err
		}
		if cond, err = Binary(b.Op, l, r); err != nil {
			return &Error{Kind: KindError, Pos: b.OpPos, Msg: err.Error(), Stack: th.stackAt(b.OpPos)}
		}
	} else if cond, err = th.eval(fr, s.Cond); err != nil {
		return err
	}
	if cond.Truth() {
		return nil
	}
	msg := fr.file.Text(s.Cond)
	if isCmp {
		if detail := sides(fr, b, l, r); detail != "" {
			msg += ": " + detail
		}
	}
	if s.Msg != nil {
		m, err := th.eval(fr, s.Msg)
		if err != nil {
			return err
		}
		msg += " (" + m.String() + ")"
	}
	start, _ := s.Span()
	return &Error{Kind: KindAssert, Pos: start, Msg: msg, Stack: th.stackAt(start)}
}

// sides explains a failed comparison: the values of its non-literal sides.
func sides(fr *frame, b *lang.BinaryExpr, l, r Value) string {
	var parts []string
	for i, x := range []lang.Expr{b.X, b.Y} {
		if isLiteral(x) {
			continue
		}
		v := l
		if i == 1 {
			v = r
		}
		parts = append(parts, fr.file.Text(x)+" is "+Repr(v))
	}
	return strings.Join(parts, ", ")
}

func unparen(x lang.Expr) lang.Expr {
	for {
		p, ok := x.(*lang.ParenExpr)
		if !ok {
			return x
		}
		x = p.X
	}
}

func isComparison(op string) bool {
	switch op {
	case "==", "!=", "<", "<=", ">", ">=", "in":
		return true
	}
	return false
}

func isLiteral(x lang.Expr) bool {
	switch x := unparen(x).(type) {
	case *lang.IntLit, *lang.StringLit, *lang.BoolLit, *lang.NullLit:
		return true
	case *lang.UnaryExpr:
		return isLiteral(x.X)
	}
	return false
}

func (th *Thread) expect(fr *frame, s *lang.ExpectStmt) (ctrl, error) {
	warnings := len(th.warnings)
	th.expecting = append(th.expecting, s.Kind)
	c, err := th.execBlock(fr, s.Body)
	th.expecting = th.expecting[:len(th.expecting)-1]
	start, _ := s.Span()
	fail := func(format string, args ...any) error {
		return &Error{Kind: KindAssert, Pos: start, Msg: fmt.Sprintf(format, args...), Stack: th.stackAt(start)}
	}
	want := s.Kind
	if s.Text != "" {
		want += fmt.Sprintf(" %q", s.Text)
	}
	if s.Kind == "warn" {
		if err != nil {
			return c, err
		}
		for _, w := range th.warnings[warnings:] {
			if strings.Contains(w, s.Text) {
				return c, nil
			}
		}
		return c, fail("expect %s: the block gave no such warning", want)
	}
	if err == nil {
		return c, fail("expect %s: the block completed without one", want)
	}
	k := KindOf(err)
	switch k {
	case KindLimit, KindSkip, KindInvariant:
		return c, err
	}
	if k.ExpectName() != s.Kind {
		return c, fail("expect %s: the block failed with another kind of error: %v", want, err)
	}
	var e *Error
	msg := err.Error()
	if errors.As(err, &e) {
		msg = e.Msg
	}
	if !strings.Contains(msg, s.Text) {
		return c, fail("expect %s: the message was %q", want, msg)
	}
	return ctrlNone, nil
}

func (th *Thread) use(fr *frame, s *lang.UseStmt) error {
	if th.Load == nil {
		return th.errorf(s, "use is not available here")
	}
	start, _ := s.Span()
	f, err := th.Load(th, start, s.Path)
	if err != nil {
		return th.errAt(start, err)
	}
	if th.loading == nil {
		th.loading = map[string]bool{}
	}
	key := filepath.Clean(f.Name) // ./t.mms and t.mms are one file
	if th.loading[key] {
		return nil // already loaded, or loading (a cycle)
	}
	th.loading[key] = true
	hidden := th.hiddenBuiltins()
	for _, st := range f.Stmts {
		switch st.(type) {
		case *lang.MachineStmt:
			return th.errorf(st, "a file loaded with use cannot have a machine line")
		case *lang.TestStmt, *lang.SetupStmt:
			continue
		}
		inner := &frame{env: th.globals, file: f}
		n := len(th.globals.vars)
		if _, err := th.exec(inner, st); err != nil {
			return err
		}
		if len(th.globals.vars) == n {
			continue
		}
		if now := th.hiddenBuiltins(); len(now) > len(hidden) {
			var names []string
			for name := range now {
				if !hidden[name] {
					names = append(names, name)
				}
			}
			sort.Strings(names)
			return th.errorf(st, "a file loaded with use cannot redefine the built-in %s", names[0])
		}
	}
	return nil
}

// hiddenBuiltins returns the built-in names that globals hide already.
func (th *Thread) hiddenBuiltins() map[string]bool {
	out := map[string]bool{}
	for name := range th.globals.vars {
		if _, ok := th.Universe[name]; ok {
			out[name] = true
		}
	}
	return out
}

func describe(v Value) string {
	if v == Null {
		return "NULL"
	}
	return fmt.Sprintf("%s %s", v.Type(), Repr(v))
}
