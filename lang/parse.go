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
	l := &lowerer{file: filename, src: src}
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
			what := "NUL byte"
			if r != 0 {
				what = fmt.Sprintf("byte 0x%02x that is not UTF-8", src[i])
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
	blank := lexerDef.Symbols()["Whitespace"]
	comment := lexerDef.Symbols()["Comment"]
	for {
		t, err := lex.Next()
		if err != nil {
			return rewrite(filename, src, err)
		}
		if t.EOF() {
			return nil
		}
		if t.Type == blank || t.Type == comment {
			continue // the parser does not see them: else if is else, if
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

// describeExpected rewrites participle's "expected" text, which is the
// rest of a grammar rule in EBNF (<ident> MachineArg*), into words a
// student knows: the choices for the next token, not the whole rule.
func describeExpected(s string) string {
	var out []string
	seen := map[string]bool{}
	for _, w := range firstWords(strings.TrimSpace(s)) {
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return strings.Join(out, " or ")
}

// firstWords describes what may come first in the EBNF text s: the first
// term of each alternative, and the terms after it while they are optional.
func firstWords(s string) []string {
	if alts := splitAlts(s); len(alts) > 1 {
		var out []string
		for _, a := range alts {
			out = append(out, firstWords(strings.TrimSpace(a))...)
		}
		return out
	}
	var out []string
	for s != "" {
		term, rest := ebnfTerm(s)
		if term == "" {
			break
		}
		optional := false
		if rest != "" && (rest[0] == '?' || rest[0] == '*') {
			optional, rest = true, rest[1:]
		} else if rest != "" && rest[0] == '+' {
			rest = rest[1:]
		}
		inner := strings.TrimSpace(term[1:max(1, len(term)-1)])
		switch {
		case term[0] == '(' && (strings.HasPrefix(inner, "?=") || strings.HasPrefix(inner, "?!")):
			optional = true // a lookahead takes no token
		case term[0] == '(':
			out = append(out, firstWords(inner)...)
		default:
			out = append(out, ebnfWord(term))
		}
		if !optional {
			break
		}
		s = strings.TrimSpace(rest)
	}
	return out
}

// ebnfTerm splits the first term ("x", <ident>, Name or a (group)) off s.
func ebnfTerm(s string) (term, rest string) {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			for i++; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' {
					i++
				}
			}
			if depth == 0 {
				return s[:min(i+1, len(s))], s[min(i+1, len(s)):]
			}
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth <= 0 {
				return s[:i+1], s[i+1:]
			}
		case depth == 0 && strings.IndexByte(" ?*+|", c) >= 0:
			return s[:i], s[i:]
		}
	}
	return s, ""
}

// splitAlts splits s at the "|" that are not inside a group or a literal.
func splitAlts(s string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			for i++; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' {
					i++
				}
			}
		case '(':
			depth++
		case ')':
			depth--
		case '|':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// ebnfWord names one term of the grammar in plain words.
func ebnfWord(term string) string {
	if strings.HasPrefix(term, "\"") {
		return term
	}
	switch term {
	case "<ident>", "<keyword>":
		return "a name"
	case "<int>":
		return "an integer"
	case "<string>":
		return "a string"
	case "<eol>":
		return "end of line"
	case "<flag>":
		return "a flag"
	case "IfStmt":
		return "\"if\""
	case "Block", "MapLit":
		return "\"{\""
	case "CallArgs":
		return "\"(\""
	case "ListLit":
		return "\"[\""
	case "MachineArg", "TestOpt":
		return "key=value"
	case "MapEntry":
		return "key: value"
	case "ShowArg", "CallArg":
		return "an argument"
	case "BinOp":
		return "an operator"
	case "Expr", "Operand", "PrefixOp", "Primary", "Suffix":
		return "an expression"
	}
	return "a statement"
}
