package lang

import "fmt"

// Pos is a position in a source file. Line and Col count from 1; Offset
// counts bytes from 0. The zero Pos means "unknown".
type Pos struct {
	File   string
	Line   int
	Col    int
	Offset int
}

// String formats p as file:line:col, leaving out the parts it does not know.
func (p Pos) String() string {
	switch {
	case p.Line == 0 && p.File == "":
		return "<unknown>"
	case p.Line == 0:
		return p.File
	case p.File == "":
		return fmt.Sprintf("%d:%d", p.Line, p.Col)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Node is any node of the syntax tree. Span returns its first position and
// the position just after its last token.
type Node interface {
	Span() (start, end Pos)
}

type span struct{ Start, End Pos }

func (s span) Span() (Pos, Pos) { return s.Start, s.End }

// File is a parsed script.
type File struct {
	Name  string
	Src   string
	Stmts []Stmt
}

// Text returns the source text of n.
func (f *File) Text(n Node) string {
	start, end := n.Span()
	if f == nil || start.Offset < 0 || end.Offset > len(f.Src) || start.Offset > end.Offset {
		return ""
	}
	return f.Src[start.Offset:end.Offset]
}

// Stmt is a statement.
type Stmt interface {
	Node
	stmt()
}

// Expr is an expression.
type Expr interface {
	Node
	expr()
}

// Block is a braced list of statements. Blocks open no new scope.
type Block struct {
	span
	Stmts []Stmt
}

type (
	// MachineStmt is `machine ARCH key=value ...`.
	MachineStmt struct {
		span
		Arch    string
		ArchPos Pos
		Args    []MachineArg
	}

	// AssignStmt is `target = value` or a compound form such as `x += 1`;
	// Op is "=" or the binary operator ("+" for +=).
	AssignStmt struct {
		span
		Target Expr
		Op     string
		Value  Expr
	}

	// DeclStmt is a typed declaration, `cache c = e`.
	DeclStmt struct {
		span
		Type  string
		Name  *Ident
		Value Expr
	}

	// ExprStmt is an expression evaluated for its effect; a bare name of a
	// callable is called with no arguments.
	ExprStmt struct {
		span
		X Expr
	}

	// CommandStmt is a call written without parentheses: `touch a + 4096 write`.
	CommandStmt struct {
		span
		Name *Ident
		Args []Expr
	}

	// IfStmt is if / else if / else. Else is nil, an *IfStmt or a *Block.
	IfStmt struct {
		span
		Cond Expr
		Then *Block
		Else Stmt
	}

	WhileStmt struct {
		span
		Cond Expr
		Body *Block
	}

	// ForStmt is `for x in e { }` or `for k, v in e { }`.
	ForStmt struct {
		span
		Vars []*Ident
		Iter Expr
		Body *Block
	}

	RepeatStmt struct {
		span
		Count Expr
		Body  *Block
	}

	// BranchStmt is break or continue.
	BranchStmt struct {
		span
		Tok string
	}

	FnStmt struct {
		span
		Name   *Ident
		Params []*Ident
		Body   *Block
	}

	ReturnStmt struct {
		span
		Value Expr // may be nil
	}

	// ContextStmt is an execution context: irq, softirq, atomic (no Arg),
	// cpu N or as PID (with Arg).
	ContextStmt struct {
		span
		Kind string
		Arg  Expr
		Body *Block
	}

	PrintStmt struct {
		span
		Args []Expr
	}

	// ShowStmt is `show VIEW args...`; a ShowArg is a flag (-s) or an expression.
	ShowStmt struct {
		span
		View    string
		ViewPos Pos
		Args    []ShowArg
	}

	AssertStmt struct {
		span
		Cond Expr
		Msg  Expr // may be nil
	}

	// ExpectStmt is `expect KIND ["text"] { }`.
	ExpectStmt struct {
		span
		Kind string
		Text string
		Body *Block
	}

	CheckStmt struct{ span }

	// TestStmt is `test "name" key=value... { }`.
	TestStmt struct {
		span
		Name string
		Opts []TestOpt
		Body *Block
	}

	SetupStmt struct {
		span
		Body *Block
	}

	SkipStmt struct {
		span
		Reason string
	}

	UseStmt struct {
		span
		Path string
	}

	// IntStmt is the software interrupt instruction `int 0x80`.
	IntStmt struct {
		span
		Vector int64
	}

	// Int3Stmt is the breakpoint instruction.
	Int3Stmt struct{ span }
)

// MachineArg is one key=value of a machine line.
type MachineArg struct {
	Pos      Pos
	Key      string
	Value    string
	ValuePos Pos
}

// ShowArg is one argument of show: Flag is set for -x, else X.
type ShowArg struct {
	Flag string
	Pos  Pos
	X    Expr
}

// TestOpt is one key=value of a test header (points=2).
type TestOpt struct {
	Pos   Pos
	Key   string
	Value Expr
}

type (
	Ident struct {
		span
		Name string
	}

	// IntLit is an integer literal. Literals of 2^63 and above (only
	// possible in hex, octal or binary) are addresses: Addr is set and
	// Value is unused.
	IntLit struct {
		span
		Value  int64
		Addr   uint64
		IsAddr bool
	}

	StringLit struct {
		span
		Value string
	}

	BoolLit struct {
		span
		Value bool
	}

	NullLit struct{ span }

	ListLit struct {
		span
		Elems []Expr
	}

	MapLit struct {
		span
		Keys   []Expr
		Values []Expr
	}

	// UnaryExpr is -x, +x, ~x, !x or not x.
	UnaryExpr struct {
		span
		Op string
		X  Expr
	}

	// BinaryExpr is x OP y. "&&" and "||" are lowered to "and" and "or".
	BinaryExpr struct {
		span
		Op    string
		OpPos Pos
		X, Y  Expr
	}

	AttrExpr struct {
		span
		X    Expr
		Name string
	}

	IndexExpr struct {
		span
		X     Expr
		Index Expr
	}

	CallExpr struct {
		span
		Fn   Expr
		Args []Arg
	}

	// ParenExpr keeps the parentheses so that error positions and source
	// text stay exact.
	ParenExpr struct {
		span
		X Expr
	}
)

// Arg is one call argument; Name is set for key=value.
type Arg struct {
	Name  string
	Pos   Pos
	Value Expr
}

func (*Block) stmt()       {}
func (*MachineStmt) stmt() {}
func (*AssignStmt) stmt()  {}
func (*DeclStmt) stmt()    {}
func (*ExprStmt) stmt()    {}
func (*CommandStmt) stmt() {}
func (*IfStmt) stmt()      {}
func (*WhileStmt) stmt()   {}
func (*ForStmt) stmt()     {}
func (*RepeatStmt) stmt()  {}
func (*BranchStmt) stmt()  {}
func (*FnStmt) stmt()      {}
func (*ReturnStmt) stmt()  {}
func (*ContextStmt) stmt() {}
func (*PrintStmt) stmt()   {}
func (*ShowStmt) stmt()    {}
func (*AssertStmt) stmt()  {}
func (*ExpectStmt) stmt()  {}
func (*CheckStmt) stmt()   {}
func (*TestStmt) stmt()    {}
func (*SetupStmt) stmt()   {}
func (*SkipStmt) stmt()    {}
func (*UseStmt) stmt()     {}
func (*IntStmt) stmt()     {}
func (*Int3Stmt) stmt()    {}

func (*Ident) expr()      {}
func (*IntLit) expr()     {}
func (*StringLit) expr()  {}
func (*BoolLit) expr()    {}
func (*NullLit) expr()    {}
func (*ListLit) expr()    {}
func (*MapLit) expr()     {}
func (*UnaryExpr) expr()  {}
func (*BinaryExpr) expr() {}
func (*AttrExpr) expr()   {}
func (*IndexExpr) expr()  {}
func (*CallExpr) expr()   {}
func (*ParenExpr) expr()  {}
