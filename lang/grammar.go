package lang

import (
	"strconv"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// This file is the grammar, written as participle struct tags. The structs
// here are a concrete syntax tree; lower.go turns them into the AST of
// ast.go. Expressions are parsed flat (operands and operators in a row) and
// precedence is applied while lowering, so the grammar stays small.

type program struct {
	Stmts []stmt `parser:"EOL* ( @@ ( EOL+ @@? )* )?"`
}

type block struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Stmts  []stmt `parser:"'{' EOL* ( @@ ( EOL+ @@? )* )? '}'"`
}

type stmt interface{ stmtNode() }

type machineStmt struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Arch   string        `parser:"'machine' @Ident"`
	Args   []*machineArg `parser:"@@*"`
}

type machineArg struct {
	Pos   lexer.Position
	Key   string `parser:"@Ident '='"`
	Value string `parser:"@( Int | Ident | String | 'true' | 'false' | '-' Int )"`
}

type ifStmt struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Cond   *expr   `parser:"'if' @@"`
	Then   *block  `parser:"@@"`
	ElseIf *ifStmt `parser:"( 'else' ( @@"`
	Else   *block  `parser:"| @@ ) )?"`
}

type whileStmt struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Cond   *expr  `parser:"'while' @@"`
	Body   *block `parser:"@@"`
}

type forStmt struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Vars   []string `parser:"'for' @Ident ( ',' @Ident )?"`
	Iter   *expr    `parser:"'in' @@"`
	Body   *block   `parser:"@@"`
}

type repeatStmt struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Count  *expr  `parser:"'repeat' @@"`
	Body   *block `parser:"@@"`
}

type branchStmt struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Tok    string `parser:"@( 'break' | 'continue' )"`
}

type fnStmt struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Name   string   `parser:"'fn' @Ident"`
	Params []string `parser:"'(' ( @Ident ( (?= ',' Ident) ',' @Ident )* ','? )? ')'"`
	Body   *block   `parser:"@@"`
}

type returnStmt struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Value  *expr `parser:"'return' @@?"`
}

type contextStmt struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Kind   string `parser:"( @( 'irq' | 'softirq' | 'atomic' )"`
	Kind2  string `parser:"| @( 'cpu' | 'as' )"`
	Arg    *expr  `parser:"@@ )"`
	Body   *block `parser:"@@"`
}

type printStmt struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Args   []*expr `parser:"'print' ( @@ ( ',' @@ )* )?"`
}

type showStmt struct {
	Pos    lexer.Position
	EndPos lexer.Position
	View   string     `parser:"'show' @(Ident | Keyword)"`
	Args   []*showArg `parser:"( ','? @@ )*"`
}

type showArg struct {
	Pos  lexer.Position
	Flag *string `parser:"  @Flag"`
	X    *expr   `parser:"| @@"`
}

type assertStmt struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Cond   *expr `parser:"'assert' @@"`
	Msg    *expr `parser:"( ',' @@ )?"`
}

type expectStmt struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Kind   string  `parser:"'expect' @( 'error' | 'segv' | 'bug' | 'oom' | 'warn' )"`
	Text   *string `parser:"@String?"`
	Body   *block  `parser:"@@"`
}

type checkStmt struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Tok    string `parser:"@'check'"`
}

type testStmt struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Name   string     `parser:"'test' @String"`
	Opts   []*testOpt `parser:"@@*"`
	Body   *block     `parser:"@@"`
}

type testOpt struct {
	Pos   lexer.Position
	Key   string `parser:"@Ident '='"`
	Value *expr  `parser:"@@"`
}

type setupStmt struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Body   *block `parser:"'setup' @@"`
}

type skipStmt struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Tok    string  `parser:"@'skip'"`
	Reason *string `parser:"@String?"`
}

type useStmt struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Path   string `parser:"'use' @String"`
}

type declStmt struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Type   string `parser:"(?= ( 'cache' | 'ptr' | 'page' | 'proc' | 'int' ) Ident) @( 'cache' | 'ptr' | 'page' | 'proc' | 'int' )"`
	Name   string `parser:"@Ident '='"`
	Value  *expr  `parser:"@@"`
}

type intStmt struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Vector string `parser:"(?= 'int' Int) 'int' @Int"`
}

type int3Stmt struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Tok    string `parser:"@'int3'"`
}

// simpleStmt is an expression, an assignment, or a command: a name followed
// by arguments without parentheses (touch a + 4096 write).
type simpleStmt struct {
	Pos    lexer.Position
	EndPos lexer.Position
	X      *expr   `parser:"@@"`
	Op     string  `parser:"( @( '=' | '+=' | '-=' | '*=' | '/=' | '%=' | '&=' | '|=' | '^=' | '<<=' | '>>=' )"`
	Value  *expr   `parser:"  @@"`
	Args   []*expr `parser:"| @@ ( ','? @@ )* )?"`
}

// expr is a flat run of operands and binary operators; see lower.go.
type expr struct {
	Pos    lexer.Position
	EndPos lexer.Position
	First  *operand `parser:"@@"`
	Rest   []*binOp `parser:"@@*"`
}

type binOp struct {
	Pos lexer.Position
	Op  string   `parser:"@( 'or' | '||' | 'and' | '&&' | '==' | '!=' | '<=' | '>=' | '<' | '>' | 'in' | '..' | '|' | '^' | '&' | '<<' | '>>' | '+' | '-' | '*' | '/' | '%' )"`
	Y   *operand `parser:"@@"`
}

type operand struct {
	Pos     lexer.Position
	EndPos  lexer.Position
	Prefix  []*prefixOp `parser:"@@*"`
	Primary *primary    `parser:"@@"`
	Suffix  []*suffix   `parser:"@@*"`
}

type prefixOp struct {
	Pos lexer.Position
	Op  string `parser:"@( '-' | '+' | '~' | '!' | 'not' )"`
}

type primary struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Int    *string  `parser:"  @Int"`
	Str    *string  `parser:"| @String"`
	Bool   *string  `parser:"| @( 'true' | 'false' )"`
	Null   bool     `parser:"| @'NULL'"`
	Ident  *string  `parser:"| @( Ident | 'int' )"`
	Paren  *expr    `parser:"| '(' @@ ')'"`
	List   *listLit `parser:"| @@"`
	Map    *mapLit  `parser:"| @@"`
}

type listLit struct {
	Elems []*expr `parser:"'[' EOL* ( @@ EOL* ( (?= ',' EOL* (?! ']')) ',' EOL* @@ EOL* )* ( ',' EOL* )? )? ']'"`
}

type mapLit struct {
	Entries []*mapEntry `parser:"'{' EOL* ( @@ EOL* ( (?= ',' EOL* (?! '}')) ',' EOL* @@ EOL* )* ( ',' EOL* )? )? '}'"`
}

type mapEntry struct {
	Key   *expr `parser:"@@ ':'"`
	Value *expr `parser:"@@"`
}

type suffix struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Attr   *string   `parser:"  '.' @(Ident | Keyword)"`
	Index  *expr     `parser:"| '[' @@ ']'"`
	Call   *callArgs `parser:"| @@"`
}

type callArgs struct {
	EndPos lexer.Position
	Args   []*callArg `parser:"'(' EOL* ( @@ EOL* ( (?= ',' EOL* (?! ')')) ',' EOL* @@ EOL* )* ( ',' EOL* )? )? ')'"`
}

type callArg struct {
	Pos   lexer.Position
	Name  *string `parser:"( (?= Ident '=') @Ident '=' )?"`
	Value *expr   `parser:"@@"`
}

func (*machineStmt) stmtNode() {}
func (*ifStmt) stmtNode()      {}
func (*whileStmt) stmtNode()   {}
func (*forStmt) stmtNode()     {}
func (*repeatStmt) stmtNode()  {}
func (*branchStmt) stmtNode()  {}
func (*fnStmt) stmtNode()      {}
func (*returnStmt) stmtNode()  {}
func (*contextStmt) stmtNode() {}
func (*printStmt) stmtNode()   {}
func (*showStmt) stmtNode()    {}
func (*assertStmt) stmtNode()  {}
func (*expectStmt) stmtNode()  {}
func (*checkStmt) stmtNode()   {}
func (*testStmt) stmtNode()    {}
func (*setupStmt) stmtNode()   {}
func (*skipStmt) stmtNode()    {}
func (*useStmt) stmtNode()     {}
func (*declStmt) stmtNode()    {}
func (*intStmt) stmtNode()     {}
func (*int3Stmt) stmtNode()    {}
func (*simpleStmt) stmtNode()  {}

var parser = participle.MustBuild[program](
	participle.Lexer(lexerDef),
	participle.Elide("Comment", "Whitespace"),
	participle.Map(unquote, "String"),
	// No backtracking once a rule has taken a token, so that an error is
	// reported where it is, not where an enclosing rule gave up; the few
	// places that need to look further ahead say so with (?= ...).
	participle.UseLookahead(0),
	participle.Union[stmt](
		&machineStmt{}, &ifStmt{}, &whileStmt{}, &forStmt{}, &repeatStmt{},
		&branchStmt{}, &fnStmt{}, &returnStmt{}, &contextStmt{}, &printStmt{},
		&showStmt{}, &assertStmt{}, &expectStmt{}, &checkStmt{}, &testStmt{},
		&setupStmt{}, &skipStmt{}, &useStmt{}, &declStmt{}, &intStmt{},
		&int3Stmt{}, &simpleStmt{},
	),
)

// Grammar returns the grammar in EBNF, as participle prints it. spec.md
// quotes it; a golden test keeps the two in step.
func Grammar() string { return parser.String() }

// unquote checks a string token's escapes. The token keeps its quotes:
// participle matches a literal such as '-' by value whatever the token's
// type, so an unquoted "-" would parse as a minus sign. lower unquotes
// (strVal). strconv.Unquote keeps \xff one byte, as Go and C do, where
// participle's own Unquote would make it two.
func unquote(t lexer.Token) (lexer.Token, error) {
	if _, err := strconv.Unquote(t.Value); err != nil {
		return t, participle.Errorf(t.Pos, "invalid escape sequence in string literal %s", t.Value)
	}
	return t, nil
}

// strVal is the value of a string token unquote checked.
func strVal(raw string) string {
	v, _ := strconv.Unquote(raw)
	return v
}
