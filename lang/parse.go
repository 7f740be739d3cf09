package lang

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// Limits on input, so that no script can exhaust the host's stack or memory
// in the parser.
const (
	MaxSourceSize = 1 << 20 // bytes
	MaxNesting    = 100     // brackets, braces and else-if chains
)

// Error is a syntax error at a position.
type Error struct {
	Pos Pos
	Msg string
	// Incomplete is true when the input ended in the middle of a statement
	// or block: a REPL reads another line rather than report it.
	Incomplete bool
}

func (e *Error) Error() string { return e.Pos.String() + ": syntax error: " + e.Msg }

func errorf(p Pos, format string, args ...any) *Error {
	return &Error{Pos: p, Msg: fmt.Sprintf(format, args...)}
}

// Parse parses a whole script. The error, if any, is an *Error.
func Parse(filename, src string) (*File, error) {
	if err := precheck(filename, src); err != nil {
		return nil, err
	}
	tree, err := parser.ParseString(filename, src)
	if err != nil {
		return nil, rewrite(filename, src, err)
	}
	l := &lowerer{file: filename}
	stmts := l.stmts(tree.Stmts)
	if l.err != nil {
		return nil, l.err
	}
	return &File{Name: filename, Src: src, Stmts: stmts}, nil
}

// precheck rejects input the parser should never see: too large, not
// UTF-8, NUL bytes, or nested deeper than MaxNesting.
func precheck(filename, src string) error {
	if len(src) > MaxSourceSize {
		return &Error{Pos: Pos{File: filename, Line: 1, Col: 1}, Msg: fmt.Sprintf("script is too large (%d bytes; the limit is %d)", len(src), MaxSourceSize)}
	}
	line, col := 1, 1
	for i := 0; i < len(src); {
		r, n := utf8.DecodeRuneInString(src[i:])
		if (r == utf8.RuneError && n == 1) || r == 0 {
			what := "a NUL byte"
			if r != 0 {
				what = fmt.Sprintf("a byte that is not UTF-8 (0x%02x)", src[i])
			}
			return &Error{Pos: Pos{File: filename, Line: line, Col: col, Offset: i},
				Msg: "unexpected " + what + ": is this a binary file?"}
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		i += n
	}
	lex, err := lexerDef.LexString(filename, src)
	if err != nil {
		return rewrite(filename, src, err)
	}
	depth := 0
	var elseChain []int // per depth: length of the current else-if chain
	prevElse := false
	for {
		t, err := lex.Next()
		if err != nil {
			return rewrite(filename, src, err)
		}
		if t.EOF() {
			return nil
		}
		for len(elseChain) <= depth {
			elseChain = append(elseChain, 0)
		}
		switch t.Value {
		case "(", "[", "{":
			if t.Type != lexerDef.Symbols()["String"] {
				depth++
				if depth > MaxNesting {
					return &Error{Pos: pos(t.Pos), Msg: fmt.Sprintf("nesting is too deep (more than %d levels of brackets and blocks)", MaxNesting)}
				}
			}
		case ")", "]", "}":
			if depth > 0 {
				depth--
			}
		case "\n", ";":
			elseChain[depth] = 0
		case "if":
			if prevElse {
				elseChain[depth]++
				if elseChain[depth] > MaxNesting {
					return &Error{Pos: pos(t.Pos), Msg: fmt.Sprintf("else-if chain is too long (more than %d)", MaxNesting)}
				}
			}
		}
		prevElse = t.Value == "else"
	}
}

// rewrite turns participle's errors into plain words.
func rewrite(filename, src string, err error) error {
	var ute *participle.UnexpectedTokenError
	if errors.As(err, &ute) {
		t := ute.Unexpected
		e := &Error{Pos: pos(t.Pos)}
		if e.Pos.File == "" {
			e.Pos.File = filename
		}
		expected := describeExpected(ute.Expect)
		if expected == "" {
			if m := ute.Message(); strings.Contains(m, "(expected ") {
				expected = describeExpected(m[strings.Index(m, "(expected ")+len("(expected ") : len(m)-1])
			}
		}
		switch {
		case t.EOF():
			e.Incomplete = true
			e.Msg = "unexpected end of input"
		case t.Type == lexerDef.Symbols()["BadString"]:
			e.Msg = "string literal is not terminated (missing \")"
			return e
		case t.Value == "else":
			e.Msg = "unexpected else: else must be on the same line as the } that closes its if"
			return e
		case t.Value == "}" && expected == "":
			e.Msg = "unexpected \"}\" with no open block"
			return e
		default:
			e.Msg = "unexpected " + describeToken(t, src)
			if expected == "" {
				e.Msg += ": a statement ends at a new line or \";\""
			}
		}
		if expected != "" {
			e.Msg += ", expected " + expected
		}
		return e
	}
	var le *lexer.Error
	if errors.As(err, &le) {
		e := &Error{Pos: pos(le.Pos)}
		if e.Pos.File == "" {
			e.Pos.File = filename
		}
		r, _ := utf8.DecodeRuneInString(src[min(le.Pos.Offset, len(src)):])
		e.Msg = fmt.Sprintf("unexpected character %q", r)
		return e
	}
	var pe participle.Error
	if errors.As(err, &pe) {
		p := pos(pe.Position())
		if p.File == "" {
			p.File = filename
		}
		msg := pe.Message()
		if strings.Contains(msg, "invalid syntax") || strings.Contains(msg, "unquote") {
			msg = "invalid escape sequence in string literal"
		}
		return &Error{Pos: p, Msg: msg}
	}
	return &Error{Pos: Pos{File: filename, Line: 1, Col: 1}, Msg: err.Error()}
}

func describeToken(t lexer.Token, src string) string {
	switch t.Value {
	case "\n":
		return "end of line"
	case ";":
		return "\";\""
	}
	if t.Type == lexerDef.Symbols()["String"] {
		return "string " + strconv.Quote(t.Value)
	}
	if t.Type == lexerDef.Symbols()["Keyword"] || t.Type == lexerDef.Symbols()["Show"] {
		return "keyword " + strconv.Quote(t.Value)
	}
	return strconv.Quote(t.Value)
}

// describeExpected rewrites participle's "expected" list: grammar names
// become words a student knows.
func describeExpected(s string) string {
	if s == "" {
		return ""
	}
	if strings.Contains(s, "Primary") || strings.Contains(s, "Expr") || strings.Contains(s, "Operand") {
		return "an expression"
	}
	words := map[string]string{
		"Block": "\"{\"", "Stmt": "a statement", "<ident>": "a name", "<int>": "an integer",
		"<string>": "a string", "<eol>": "end of line", "CallArgs": "\"(\"", "MachineArg": "key=value",
		"ShowArg": "an argument", "TestOpt": "key=value", "MapEntry": "key: value",
		"BinOp": "an operator", "<flag>": "a flag", "<keyword>": "a keyword",
	}
	parts := strings.Split(s, " | ")
	var out []string
	seen := map[string]bool{}
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if w, ok := words[p]; ok {
			p = w
		}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return strings.Join(out, " or ")
}
