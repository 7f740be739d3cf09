package lang

import (
	"math"
	"math/bits"
	"strconv"
	"strings"
	"unicode"

	"github.com/alecthomas/participle/v2/lexer"
)

// maxPrefix bounds a run of prefix operators (- - - x) so that lowering and
// evaluation cannot recurse without limit.
const maxPrefix = 64

// lowerer turns the participle tree into the AST and checks the rules the
// grammar cannot say: where statements may appear, what may be assigned.
type lowerer struct {
	file   string
	src    string
	loops  int            // enclosing loops in the current function
	fns    int            // enclosing functions
	blocks int            // enclosing blocks
	tests  map[string]Pos // test names seen, where
	err    *Error
}

// testName checks that a test has a name no other test of the file has:
// reports and graders key results by it.
func (l *lowerer) testName(p Pos, name string) {
	if strings.TrimSpace(name) == "" {
		l.fail(p, "a test needs a name")
		return
	}
	if strings.IndexFunc(name, unicode.IsControl) >= 0 {
		l.fail(p, "a test name cannot hold control characters such as a new line: %q", name)
		return
	}
	if first, ok := l.tests[name]; ok {
		l.fail(p, "duplicate test name %q (the first is at line %d)", name, first.Line)
		return
	}
	if l.tests == nil {
		l.tests = map[string]Pos{}
	}
	l.tests[name] = p
}

func (l *lowerer) fail(p Pos, format string, args ...any) {
	if l.err == nil {
		l.err = errorf(p, format, args...)
	}
}

func pos(p lexer.Position) Pos {
	return Pos{File: p.Filename, Line: p.Line, Col: p.Column, Offset: p.Offset}
}

func mkspan(a, b lexer.Position) span { return span{pos(a), pos(b)} }

// advance moves p forward over the next n bytes of the source.
func (l *lowerer) advance(p Pos, n int) Pos {
	end := min(p.Offset+n, len(l.src))
	for _, r := range l.src[min(p.Offset, end):end] {
		if r == '\n' {
			p.Line, p.Col = p.Line+1, 1
		} else {
			p.Col++
		}
	}
	p.Offset = end
	return p
}

// blank moves p over blanks and line continuations, which the lexer elides.
func (l *lowerer) blank(p Pos) Pos {
	for p.Offset < len(l.src) {
		rest := l.src[p.Offset:]
		switch {
		case rest[0] == ' ' || rest[0] == '\t' || rest[0] == '\r':
			p = l.advance(p, 1)
		case strings.HasPrefix(rest, "\\\n"):
			p = l.advance(p, 2)
		case strings.HasPrefix(rest, "\\\r\n"):
			p = l.advance(p, 3)
		default:
			return p
		}
	}
	return p
}

// ident makes the Ident for a name the grammar captured as a bare string:
// the name is the next token after p. It returns the position after it.
// The grammar keeps no position for these names, so it is found in the
// source.
func (l *lowerer) ident(p Pos, name string) (*Ident, Pos) {
	start := l.blank(p)
	end := l.advance(start, len(name))
	if l.src[start.Offset:end.Offset] != name {
		return &Ident{span: span{p, p}, Name: name}, p
	}
	return &Ident{span: span{start, end}, Name: name}, end
}

// skipComma moves p over blanks and one ",", if there is one.
func (l *lowerer) skipComma(p Pos) Pos {
	p = l.blank(p)
	if p.Offset < len(l.src) && l.src[p.Offset] == ',' {
		p = l.advance(p, 1)
	}
	return p
}

func (l *lowerer) stmts(in []stmt) []Stmt {
	out := make([]Stmt, 0, len(in))
	for _, s := range in {
		if s == nil {
			continue
		}
		if ls := l.stmt(s); ls != nil {
			out = append(out, ls)
		}
		if l.err != nil {
			return nil
		}
	}
	return out
}

func (l *lowerer) block(b *block) *Block {
	l.blocks++
	defer func() { l.blocks-- }()
	return &Block{span: mkspan(b.Pos, b.EndPos), Stmts: l.stmts(b.Stmts)}
}

func (l *lowerer) loopBody(b *block) *Block {
	l.loops++
	defer func() { l.loops-- }()
	return l.block(b)
}

func (l *lowerer) topOnly(p lexer.Position, what string) {
	if l.blocks > 0 {
		l.fail(pos(p), "%s is only allowed at the top level of a file", what)
	}
}

func (l *lowerer) stmt(s stmt) Stmt {
	switch s := s.(type) {
	case *machineStmt:
		l.topOnly(s.Pos, "machine")
		m := &MachineStmt{span: mkspan(s.Pos, s.EndPos), Arch: s.Arch}
		m.ArchPos = l.blank(l.advance(pos(s.Pos), len("machine")))
		for _, a := range s.Args {
			vp := l.blank(l.advance(l.blank(l.advance(pos(a.Pos), len(a.Key))), len("=")))
			v := a.Value
			if strings.HasPrefix(v, `"`) {
				v = strVal(v)
			}
			m.Args = append(m.Args, MachineArg{Pos: pos(a.Pos), Key: a.Key, Value: v, ValuePos: vp})
		}
		return m
	case *ifStmt:
		return l.ifStmt(s)
	case *whileStmt:
		return &WhileStmt{span: mkspan(s.Pos, s.EndPos), Cond: l.expr(s.Cond), Body: l.loopBody(s.Body)}
	case *forStmt:
		f := &ForStmt{span: mkspan(s.Pos, s.EndPos), Iter: l.expr(s.Iter)}
		p := l.advance(pos(s.Pos), len("for"))
		for _, v := range s.Vars {
			var id *Ident
			id, p = l.ident(p, v)
			p = l.skipComma(p)
			f.Vars = append(f.Vars, id)
		}
		f.Body = l.loopBody(s.Body)
		return f
	case *repeatStmt:
		return &RepeatStmt{span: mkspan(s.Pos, s.EndPos), Count: l.expr(s.Count), Body: l.loopBody(s.Body)}
	case *branchStmt:
		if l.loops == 0 {
			l.fail(pos(s.Pos), "%s outside a loop", s.Tok)
		}
		return &BranchStmt{span: mkspan(s.Pos, s.EndPos), Tok: s.Tok}
	case *fnStmt:
		return l.fnStmt(s)
	case *returnStmt:
		if l.fns == 0 {
			l.fail(pos(s.Pos), "return outside a function")
		}
		r := &ReturnStmt{span: mkspan(s.Pos, s.EndPos)}
		if s.Value != nil {
			r.Value = l.expr(s.Value)
		}
		return r
	case *contextStmt:
		c := &ContextStmt{span: mkspan(s.Pos, s.EndPos), Kind: s.Kind}
		if s.Kind2 != "" {
			c.Kind = s.Kind2
			c.Arg = l.expr(s.Arg)
		}
		c.Body = l.block(s.Body)
		return c
	case *printStmt:
		return &PrintStmt{span: mkspan(s.Pos, s.EndPos), Args: l.exprs(s.Args)}
	case *showStmt:
		sh := &ShowStmt{span: mkspan(s.Pos, s.EndPos), View: s.View}
		sh.ViewPos = l.blank(l.advance(pos(s.Pos), len("show")))
		for _, a := range s.Args {
			if a.Flag != nil {
				sh.Args = append(sh.Args, ShowArg{Flag: *a.Flag, Pos: pos(a.Pos)})
			} else {
				x := l.expr(a.X)
				sh.Args = append(sh.Args, ShowArg{X: x, Pos: pos(a.X.Pos)})
			}
		}
		return sh
	case *assertStmt:
		a := &AssertStmt{span: mkspan(s.Pos, s.EndPos), Cond: l.expr(s.Cond)}
		if s.Msg != nil {
			a.Msg = l.expr(s.Msg)
		}
		return a
	case *expectStmt:
		e := &ExpectStmt{span: mkspan(s.Pos, s.EndPos), Kind: s.Kind, Body: l.block(s.Body)}
		if s.Text != nil {
			e.Text = strVal(*s.Text)
		}
		return e
	case *checkStmt:
		return &CheckStmt{span: mkspan(s.Pos, s.EndPos)}
	case *testStmt:
		l.topOnly(s.Pos, "test")
		t := &TestStmt{span: mkspan(s.Pos, s.EndPos), Name: strVal(s.Name)}
		l.testName(pos(s.Pos), t.Name)
		for _, o := range s.Opts {
			for _, prev := range t.Opts {
				if prev.Key == o.Key {
					l.fail(pos(o.Pos), "test option %s given twice", o.Key)
				}
			}
			t.Opts = append(t.Opts, TestOpt{Pos: pos(o.Pos), Key: o.Key, Value: l.expr(o.Value)})
		}
		t.Body = l.block(s.Body)
		return t
	case *setupStmt:
		l.topOnly(s.Pos, "setup")
		return &SetupStmt{span: mkspan(s.Pos, s.EndPos), Body: l.block(s.Body)}
	case *skipStmt:
		sk := &SkipStmt{span: mkspan(s.Pos, s.EndPos)}
		if s.Reason != nil {
			sk.Reason = strVal(*s.Reason)
		}
		return sk
	case *useStmt:
		l.topOnly(s.Pos, "use")
		return &UseStmt{span: mkspan(s.Pos, s.EndPos), Path: strVal(s.Path)}
	case *declStmt:
		name, _ := l.ident(l.advance(pos(s.Pos), len(s.Type)), s.Name)
		return &DeclStmt{span: mkspan(s.Pos, s.EndPos), Type: s.Type,
			Name: name, Value: l.expr(s.Value)}
	case *intStmt:
		// the grammar keeps no position for the vector: find it after "int"
		start := l.blank(l.advance(pos(s.Pos), len("int")))
		lit := l.intLit(s.Vector, span{start, pos(s.EndPos)})
		if lit.IsAddr || lit.Value > 255 {
			l.fail(start, "interrupt vector %s is out of range (0 to 255)", s.Vector)
		}
		return &IntStmt{span: mkspan(s.Pos, s.EndPos), Vector: lit.Value}
	case *int3Stmt:
		return &Int3Stmt{span: mkspan(s.Pos, s.EndPos)}
	case *simpleStmt:
		return l.simpleStmt(s)
	}
	panic("lang: unknown statement type")
}

func (l *lowerer) ifStmt(s *ifStmt) *IfStmt {
	out := &IfStmt{span: mkspan(s.Pos, s.EndPos), Cond: l.expr(s.Cond), Then: l.block(s.Then)}
	switch {
	case s.ElseIf != nil:
		out.Else = l.ifStmt(s.ElseIf)
	case s.Else != nil:
		out.Else = l.block(s.Else)
	}
	return out
}

func (l *lowerer) fnStmt(s *fnStmt) *FnStmt {
	name, at := l.ident(l.advance(pos(s.Pos), len("fn")), s.Name)
	f := &FnStmt{span: mkspan(s.Pos, s.EndPos), Name: name}
	at = l.advance(l.blank(at), len("("))
	seen := map[string]bool{}
	for _, p := range s.Params {
		var id *Ident
		id, at = l.ident(at, p)
		at = l.skipComma(at)
		if seen[p] {
			start, _ := id.Span()
			l.fail(start, "function %s has two parameters named %s", s.Name, p)
		}
		seen[p] = true
		f.Params = append(f.Params, id)
	}
	saved := l.loops
	l.loops = 0
	l.fns++
	f.Body = l.block(s.Body)
	l.fns--
	l.loops = saved
	return f
}

func (l *lowerer) simpleStmt(s *simpleStmt) Stmt {
	sp := mkspan(s.Pos, s.EndPos)
	x := l.expr(s.X)
	switch {
	case s.Op != "":
		switch x.(type) {
		case *Ident, *AttrExpr, *IndexExpr:
		default:
			l.fail(pos(s.X.Pos), "cannot assign to %s", describeTarget(x))
		}
		op := "="
		if s.Op != "=" {
			op = strings.TrimSuffix(s.Op, "=")
		}
		return &AssignStmt{span: sp, Target: x, Op: op, Value: l.expr(s.Value)}
	case len(s.Args) > 0:
		id, ok := x.(*Ident)
		if !ok {
			l.fail(pos(s.Args[0].Pos), "unexpected %s after an expression: only a command name may be followed by arguments without parentheses",
				describeStart(s.Args[0]))
			return nil
		}
		return &CommandStmt{span: sp, Name: id, Args: l.exprs(s.Args)}
	}
	return &ExprStmt{span: sp, X: x}
}

func describeTarget(x Expr) string {
	switch x.(type) {
	case *CallExpr:
		return "a function call"
	case *IntLit, *StringLit, *BoolLit, *NullLit:
		return "a literal"
	}
	return "an expression"
}

func describeStart(e *expr) string {
	p := e.First.Primary
	switch {
	case len(e.First.Prefix) > 0:
		return strconv.Quote(e.First.Prefix[0].Op)
	case p.Ident != nil:
		return strconv.Quote(*p.Ident)
	case p.Int != nil:
		return strconv.Quote(*p.Int)
	case p.Str != nil:
		return "string " + strconv.Quote(strVal(*p.Str))
	}
	return "argument"
}

func (l *lowerer) exprs(in []*expr) []Expr {
	out := make([]Expr, 0, len(in))
	for _, e := range in {
		out = append(out, l.expr(e))
	}
	return out
}

// Binary operator precedence, lowest first. Comparisons and ".." do not
// chain. Bitwise operators bind tighter than comparisons (as in Python, not
// C), so x & 0xfff == 0 means (x & 0xfff) == 0.
var precedence = map[string]int{
	"or": 1, "||": 1,
	"and": 2, "&&": 2,
	// 3: prefix not
	"==": 4, "!=": 4, "<": 4, "<=": 4, ">": 4, ">=": 4, "in": 4,
	"..": 5,
	"|":  6,
	"^":  7,
	"&":  8,
	"<<": 9, ">>": 9,
	"+": 10, "-": 10,
	"*": 11, "/": 11, "%": 11,
}

const notPrec = 3

// item is one element of a flat expression: an operand or an operator.
type item struct {
	op  *binOp
	opd *operand
}

// exprParser applies precedence to the flat operand/operator row.
type exprParser struct {
	l     *lowerer
	items []item
	i     int
}

func (l *lowerer) expr(e *expr) Expr {
	if e == nil {
		return nil
	}
	items := []item{{opd: e.First}}
	for _, b := range e.Rest {
		items = append(items, item{op: b}, item{opd: b.Y})
	}
	p := &exprParser{l: l, items: items}
	return p.parse(0)
}

// parse reads an operand with its prefix operators, then binary operators
// of precedence >= min.
func (p *exprParser) parse(min int) Expr {
	opd := p.items[p.i].opd
	p.i++
	x := p.operand(opd, 0)
	for p.i < len(p.items) {
		b := p.items[p.i].op
		prec := precedence[b.Op]
		if prec < min {
			break
		}
		p.i++
		if next := p.items[p.i].opd; prec > notPrec && len(next.Prefix) > 0 && next.Prefix[0].Op == "not" {
			p.l.fail(pos(next.Prefix[0].Pos), "not after %s needs parentheses: not binds more loosely than %s", b.Op, b.Op)
		}
		y := p.parse(prec + 1)
		op := b.Op
		switch op {
		case "&&":
			op = "and"
		case "||":
			op = "or"
		}
		p.noChain(b, prec)
		xs, _ := x.Span()
		_, ye := y.Span()
		x = &BinaryExpr{span: span{xs, ye}, Op: op, OpPos: pos(b.Pos), X: x, Y: y}
	}
	return x
}

// noChain reports a comparison or ".." that follows another of the same
// precedence, b, just parsed: a < b < c does not mean what it seems.
func (p *exprParser) noChain(b *binOp, prec int) {
	if prec == 4 || prec == 5 {
		if next := p.peekOp(); next != nil && precedence[next.Op] == prec {
			p.l.fail(pos(next.Pos), "%s cannot follow %s without parentheses; comparisons do not chain (use and)", next.Op, b.Op)
		}
	}
}

func (p *exprParser) peekOp() *binOp {
	if p.i < len(p.items) {
		return p.items[p.i].op
	}
	return nil
}

// operand applies the prefix operators of o from index k on. A "not"
// captures the following comparisons (not a == b is not (a == b)); the
// other prefixes bind tightest.
func (p *exprParser) operand(o *operand, k int) Expr {
	if len(o.Prefix) > maxPrefix {
		p.l.fail(pos(o.Pos), "too many prefix operators in a row (more than %d)", maxPrefix)
		return &NullLit{span: mkspan(o.Pos, o.EndPos)}
	}
	if k == len(o.Prefix) {
		return p.l.postfix(o)
	}
	pre := o.Prefix[k]
	var x Expr
	if pre.Op == "not" {
		x = p.operand(o, k+1)
		// continue with operators that bind tighter than not
		for p.i < len(p.items) {
			b := p.items[p.i].op
			prec := precedence[b.Op]
			if prec <= notPrec {
				break
			}
			p.i++
			y := p.parse(prec + 1)
			p.noChain(b, prec)
			xs, _ := x.Span()
			_, ye := y.Span()
			x = &BinaryExpr{span: span{xs, ye}, Op: b.Op, OpPos: pos(b.Pos), X: x, Y: y}
		}
	} else {
		x = p.operand(o, k+1)
	}
	op := pre.Op
	if op == "!" {
		op = "not"
	}
	_, xe := x.Span()
	return &UnaryExpr{span: span{pos(pre.Pos), xe}, Op: op, X: x}
}

func (l *lowerer) postfix(o *operand) Expr {
	x := l.primary(o.Primary)
	for _, s := range o.Suffix {
		xs, _ := x.Span()
		switch {
		case s.Attr != nil:
			x = &AttrExpr{span: span{xs, pos(s.EndPos)}, X: x, Name: *s.Attr}
		case s.Index != nil:
			x = &IndexExpr{span: span{xs, pos(s.EndPos)}, X: x, Index: l.expr(s.Index)}
		case s.Call != nil:
			c := &CallExpr{span: span{xs, pos(s.Call.EndPos)}, Fn: x}
			seen := map[string]bool{}
			for _, a := range s.Call.Args {
				arg := Arg{Pos: pos(a.Pos), Value: l.expr(a.Value)}
				if a.Name != nil {
					arg.Name = *a.Name
					if seen[arg.Name] {
						l.fail(arg.Pos, "argument %s given twice", arg.Name)
					}
					seen[arg.Name] = true
				} else if len(seen) > 0 {
					l.fail(arg.Pos, "positional argument after a keyword argument")
				}
				c.Args = append(c.Args, arg)
			}
			x = c
		}
	}
	return x
}

func (l *lowerer) primary(p *primary) Expr {
	sp := mkspan(p.Pos, p.EndPos)
	switch {
	case p.Int != nil:
		return l.intLit(*p.Int, sp)
	case p.Str != nil:
		return &StringLit{span: sp, Value: strVal(*p.Str)}
	case p.Bool != nil:
		return &BoolLit{span: sp, Value: *p.Bool == "true"}
	case p.Null:
		return &NullLit{span: sp}
	case p.Ident != nil:
		return &Ident{span: sp, Name: *p.Ident}
	case p.Paren != nil:
		return &ParenExpr{span: sp, X: l.expr(p.Paren)}
	case p.List != nil:
		return &ListLit{span: sp, Elems: l.exprs(p.List.Elems)}
	case p.Map != nil:
		m := &MapLit{span: sp}
		for _, e := range p.Map.Entries {
			m.Keys = append(m.Keys, l.expr(e.Key))
			m.Values = append(m.Values, l.expr(e.Value))
		}
		return m
	}
	panic("lang: empty primary")
}

func (l *lowerer) intLit(text string, sp span) *IntLit {
	lit := &IntLit{span: sp}
	v, err := ParseInt(text)
	if err != "" {
		l.fail(sp.Start, "%s", err)
		return lit
	}
	if v > math.MaxInt64 {
		lit.IsAddr, lit.Addr = true, v
	} else {
		lit.Value = int64(v)
	}
	return lit
}

// ParseInt converts an integer literal: decimal, 0x, 0o or 0b, with _
// separators and an optional binary size suffix K, M, G or T. Decimal
// literals must fit in int64; hex, octal and binary ones in uint64. The
// second result is an error message, empty on success.
func ParseInt(text string) (uint64, string) {
	bad := "invalid integer literal " + strconv.Quote(text)
	s := text
	shift := 0
	if n := len(s); n > 1 {
		switch s[n-1] {
		case 'K':
			shift = 10
		case 'M':
			shift = 20
		case 'G':
			shift = 30
		case 'T':
			shift = 40
		}
		if shift > 0 {
			s = s[:n-1]
		}
	}
	base, digits := 10, s
	if len(s) > 1 && s[0] == '0' {
		switch s[1] {
		case 'x', 'X':
			base, digits = 16, s[2:]
		case 'o', 'O':
			base, digits = 8, s[2:]
		case 'b', 'B':
			base, digits = 2, s[2:]
		default:
			if strings.Trim(s, "0_") != "" {
				return 0, bad + " (leading zeros are not allowed; write 0o for octal)"
			}
		}
	}
	if digits == "" || digits[0] == '_' || digits[len(digits)-1] == '_' || strings.Contains(digits, "__") {
		return 0, bad
	}
	v, err := strconv.ParseUint(strings.ReplaceAll(digits, "_", ""), base, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return 0, "integer literal " + text + " is too large (more than 64 bits)"
		}
		return 0, bad
	}
	if shift > 0 {
		hi, lo := bits.Mul64(v, 1<<shift)
		if hi != 0 {
			return 0, "integer literal " + text + " is too large (more than 64 bits)"
		}
		v = lo
	}
	if base == 10 && v > math.MaxInt64 {
		return 0, "integer literal " + text + " is too large (decimal literals must fit in a signed 64-bit int)"
	}
	return v, ""
}
