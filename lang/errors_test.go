package lang

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"mmsim/internal/chunked"
)

// internalWords are names from participle and from the grammar's structs
// that must never reach a student.
var internalWords = []string{"Primary", "Operand", "Expr", "<ident>", "participle",
	"Stmt", "Block", "<", "MachineArg", "TestOpt", "ShowArg", "CallArg", "MapEntry", "BinOp",
	"Suffix", "PrefixOp", "ListLit", "MapLit", "unexpected token"}

// leaks returns the first internal word in msg, or "".
func leaks(msg string) string {
	for _, w := range internalWords {
		if w == "<" {
			// only grammar tokens such as <int>, not the operator "<"
			if m := regexp.MustCompile(`<[a-z]+>`).FindString(msg); m != "" {
				return m
			}
			continue
		}
		if strings.Contains(msg, w) {
			return w
		}
	}
	return ""
}

// checkError checks what every syntax error must satisfy and returns it.
func checkError(t *testing.T, src string, err error) *Error {
	t.Helper()
	e, ok := err.(*Error)
	if !ok {
		t.Fatalf("error is %T, want *lang.Error: %v", err, err)
	}
	if e.Pos.Line < 1 || e.Pos.Col < 1 || e.Pos.Offset < 0 || e.Pos.Offset > len(src) {
		t.Errorf("%v: bad position %+v (source length %d)", e, e.Pos, len(src))
	}
	if w := leaks(e.Msg); w != "" {
		t.Errorf("%v: message mentions %q", e, w)
	}
	if want := fmt.Sprintf("%s:%d:%d: syntax error: %s", e.Pos.File, e.Pos.Line, e.Pos.Col, e.Msg); e.Error() != want {
		t.Errorf("Error() = %q, want %q", e.Error(), want)
	}
	if inc := strings.HasPrefix(e.Msg, "unexpected end of input"); e.Incomplete != inc {
		t.Errorf("%v: Incomplete = %v, want %v", e, e.Incomplete, inc)
	}
	return e
}

// TestErrorsFile runs the chunks of testdata/errors.mms.
func TestErrorsFile(t *testing.T) {
	const filename = "testdata/errors.mms"
	chunks := chunked.Read(filename, t)
	if len(chunks) < 50 {
		t.Fatalf("%s: only %d chunks", filename, len(chunks))
	}
	for _, c := range chunks {
		f, err := Parse("errors.mms", c.Source)
		if err != nil {
			e := checkError(t, c.Source, err)
			if e.Pos.File != "errors.mms" {
				t.Errorf("%v: file is %q", e, e.Pos.File)
			}
			c.GotError(e.Pos.Line, e.Msg)
		} else if f == nil {
			t.Errorf("%s:%d: no File and no error", filename, c.Start)
		}
		c.Done(t, filename)
	}
}

// TestErrorPositions checks the whole text of errors, and so their columns.
func TestErrorPositions(t *testing.T) {
	cases := []struct {
		src        string
		want       string
		incomplete bool
	}{
		{"if x {\n  y = 1\n", `t.mms:3:1: syntax error: unexpected end of input, expected "}"`, true},
		{"if x {", `t.mms:1:7: syntax error: unexpected end of input, expected "}"`, true},
		{"p = kmalloc(28", `t.mms:1:15: syntax error: unexpected end of input, expected ")"`, true},
		{"p = kmalloc(28, ", "t.mms:1:17: syntax error: unexpected end of input, expected an expression", true},
		{"f(\n  1\n", `t.mms:3:1: syntax error: unexpected end of input, expected ")"`, true},
		{"x = [1,\n2", `t.mms:2:2: syntax error: unexpected end of input, expected "]"`, true},
		{"x = ", "t.mms:1:5: syntax error: unexpected end of input, expected an expression", true},
		{"x =\ny = 1", "t.mms:1:4: syntax error: unexpected end of line, expected an expression", false},
		{"x = 1 +", "t.mms:1:8: syntax error: unexpected end of input, expected an expression", true},
		{"x = 1; y = ;", `t.mms:1:12: syntax error: unexpected ";", expected an expression`, false},
		{`print "abc`, `t.mms:1:7: syntax error: string literal is not terminated (missing ")`, false},
		{"x = 1\n  s = \"abc\n", `t.mms:2:7: syntax error: string literal is not terminated (missing ")`, false},
		{`x = "\q"`, "t.mms:1:5: syntax error: invalid escape sequence in string literal \"\\q\"", false},
		{"x = @", "t.mms:1:5: syntax error: unexpected character '@'", false},
		{"x = 1\n\tx = $y", "t.mms:2:6: syntax error: unexpected character '$'", false},
		{`print "é" @`, "t.mms:1:11: syntax error: unexpected character '@'", false},
		{"x = 0755", `t.mms:1:5: syntax error: invalid integer literal "0755" (leading zeros are not allowed; write 0o for octal)`, false},
		{"x = [0x]", `t.mms:1:6: syntax error: invalid integer literal "0x"`, false},
		{"x = 1 + 1__0", `t.mms:1:9: syntax error: invalid integer literal "1__0"`, false},
		{"f(12abc)", `t.mms:1:3: syntax error: invalid integer literal "12abc"`, false},
		{"x = 9223372036854775808", "t.mms:1:5: syntax error: integer literal 9223372036854775808 is too large (decimal literals must fit in a signed 64-bit int)", false},
		{"x = -9223372036854775808", "t.mms:1:6: syntax error: integer literal 9223372036854775808 is too large (decimal literals must fit in a signed 64-bit int)", false},
		{"x = 0xffffffffffffffffK", "t.mms:1:5: syntax error: integer literal 0xffffffffffffffffK is too large (more than 64 bits)", false},
		{"machine x86 mem=0755", "", false}, // machine values are checked by the model, not here
		{"int  0800", `t.mms:1:6: syntax error: invalid integer literal "0800" (leading zeros are not allowed; write 0o for octal)`, false},
		{"int  256", "t.mms:1:6: syntax error: interrupt vector 256 is out of range (0 to 255)", false},
		{"if a < b < c {}", "t.mms:1:10: syntax error: < cannot follow < without parentheses; comparisons do not chain (use and)", false},
		{"x = a == b != c", "t.mms:1:12: syntax error: != cannot follow == without parentheses; comparisons do not chain (use and)", false},
		{"x = not a <= b >= c", "t.mms:1:16: syntax error: >= cannot follow <= without parentheses; comparisons do not chain (use and)", false},
		{"if x {\n}\nelse {\n}", "t.mms:3:1: syntax error: unexpected else: else must be on the same line as the } that closes its if", false},
		{"x = 1\n  }", `t.mms:2:3: syntax error: unexpected "}" with no open block`, false},
		{"break", "t.mms:1:1: syntax error: break outside a loop", false},
		{"if x { continue }", "t.mms:1:8: syntax error: continue outside a loop", false},
		{"while x {\n  fn f() { break }\n}", "t.mms:2:12: syntax error: break outside a loop", false},
		{"return 1", "t.mms:1:1: syntax error: return outside a function", false},
		{"if x {\n  machine x86\n}", "t.mms:2:3: syntax error: machine is only allowed at the top level of a file", false},
		{`if x { test "a" {} }`, "t.mms:1:8: syntax error: test is only allowed at the top level of a file", false},
		{"repeat 2 { setup {} }", "t.mms:1:12: syntax error: setup is only allowed at the top level of a file", false},
		{`fn f() { use "a.mms" }`, "t.mms:1:10: syntax error: use is only allowed at the top level of a file", false},
		{"kmalloc(8) = p", "t.mms:1:1: syntax error: cannot assign to a function call", false},
		{"  42 = x", "t.mms:1:3: syntax error: cannot assign to a literal", false},
		{"(x) = 1", "t.mms:1:1: syntax error: cannot assign to an expression", false},
		{"x = 1 y = 2", `t.mms:1:7: syntax error: unexpected "y": a statement ends at a new line or ";"`, false},
		{"fork fork", "", false}, // a command with an argument: the runtime decides
		{"touch a write; print 1 2", `t.mms:1:24: syntax error: unexpected "2": a statement ends at a new line or ";"`, false},
		{"fn f(a, b,  a) {}", "t.mms:1:13: syntax error: function f has two parameters named a", false},
		{"f(a=1, a=2)", "t.mms:1:8: syntax error: argument a given twice", false},
		{"test \"a\" {}\ntest \"b\" {}\n  test \"a\" {}", `t.mms:3:3: syntax error: duplicate test name "a" (the first is at line 1)`, false},
		{`test "" {}`, "t.mms:1:1: syntax error: a test needs a name", false},
		{`test " " {}`, "t.mms:1:1: syntax error: a test needs a name", false},
		{`test "a\nok 9" {}`, `t.mms:1:1: syntax error: a test name cannot hold control characters such as a new line: "a\nok 9"`, false},
		{`test "a" points=1 tags=[] points=2 {}`, "t.mms:1:27: syntax error: test option points given twice", false},
		{"f(a=1,\n  2)", "t.mms:2:3: syntax error: positional argument after a keyword argument", false},
		{"x = " + strings.Repeat("-", 65) + "1", "t.mms:1:5: syntax error: too many prefix operators in a row (more than 64)", false},
		{"x = 1 + " + strings.Repeat("~", 65) + "1", "t.mms:1:9: syntax error: too many prefix operators in a row (more than 64)", false},
		{"x = " + strings.Repeat("-", 64) + "1", "", false},
		{"x = 1\nprint \x00", "t.mms:2:7: syntax error: unexpected NUL byte: is this a binary file?", false},
		{"# é\n\x00", "t.mms:2:1: syntax error: unexpected NUL byte: is this a binary file?", false},
		{"x = \"é\xff\"", "t.mms:1:7: syntax error: unexpected byte 0xff that is not UTF-8: is this a binary file?", false},
		{"\xc3", "t.mms:1:1: syntax error: unexpected byte 0xc3 that is not UTF-8: is this a binary file?", false},
		{"x = 1.5", `t.mms:1:7: syntax error: unexpected "5", expected a name`, false},
		{"expect oops {}", `t.mms:1:8: syntax error: unexpected "oops", expected "error" or "segv" or "bug" or "oom" or "warn"`, false},
		{"machine x86 mem=", `t.mms:1:17: syntax error: unexpected end of input, expected an integer or a name or a string or "true" or "false" or "-"`, true},
		{"show", "t.mms:1:5: syntax error: unexpected end of input, expected a name", true},
		{"fn f(", `t.mms:1:6: syntax error: unexpected end of input, expected ")"`, true},
		{"for k, v", `t.mms:1:9: syntax error: unexpected end of input, expected "in"`, true},
		{"x.", "t.mms:1:3: syntax error: unexpected end of input, expected a name", true},
	}
	for _, c := range cases {
		t.Run(c.src, func(t *testing.T) {
			_, err := Parse("t.mms", c.src)
			if c.want == "" {
				if err != nil {
					t.Fatalf("Parse(%q): %v, want no error", c.src, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Parse(%q) succeeded, want %s", c.src, c.want)
			}
			e := checkError(t, c.src, err)
			if e.Error() != c.want {
				t.Errorf("Parse(%q):\n got %s\nwant %s", c.src, e.Error(), c.want)
			}
			if e.Incomplete != c.incomplete {
				t.Errorf("Parse(%q): Incomplete = %v, want %v", c.src, e.Incomplete, c.incomplete)
			}
			// the position agrees with the offset
			line := 1 + strings.Count(c.src[:e.Pos.Offset], "\n")
			col := 1 + len([]rune(c.src[strings.LastIndex(c.src[:e.Pos.Offset], "\n")+1:e.Pos.Offset]))
			if line != e.Pos.Line || col != e.Pos.Col {
				t.Errorf("Parse(%q): position %d:%d does not match offset %d (%d:%d)", c.src, e.Pos.Line, e.Pos.Col, e.Pos.Offset, line, col)
			}
		})
	}
}

// TestLimits checks the input limits at and just past each bound.
func TestLimits(t *testing.T) {
	parse := func(t *testing.T, src string) *Error {
		t.Helper()
		_, err := Parse("big.mms", src)
		if err == nil {
			return nil
		}
		return checkError(t, src, err)
	}
	wantErr := func(t *testing.T, e *Error, line, col int, msg string) {
		t.Helper()
		switch {
		case e == nil:
			t.Fatalf("no error, want %d:%d: %s", line, col, msg)
		case e.Pos.Line != line || e.Pos.Col != col || e.Msg != msg:
			t.Fatalf("got %v, want big.mms:%d:%d: syntax error: %s", e, line, col, msg)
		}
	}

	t.Run("source size", func(t *testing.T) {
		// exactly MaxSourceSize bytes is fine
		src := strings.Repeat("x = 1 # comment\n", 1000)
		src += "#" + strings.Repeat(" ", MaxSourceSize-len(src)-1)
		if len(src) != MaxSourceSize {
			t.Fatalf("len = %d", len(src))
		}
		if e := parse(t, src); e != nil {
			t.Fatalf("%d bytes: %v", len(src), e)
		}
		wantErr(t, parse(t, src+" "), 1, 1,
			fmt.Sprintf("script is too large (%d bytes; the limit is %d)", MaxSourceSize+1, MaxSourceSize))
	})

	// nesting generated here rather than in errors.mms
	nest := func(n int, open, mid, close string) string {
		return strings.Repeat(open, n) + mid + strings.Repeat(close, n)
	}
	deep := fmt.Sprintf("nesting is too deep (more than %d levels of brackets and blocks)", MaxNesting)
	t.Run("parentheses", func(t *testing.T) {
		if e := parse(t, "x = "+nest(MaxNesting, "(", "1", ")")); e != nil {
			t.Fatal(e)
		}
		wantErr(t, parse(t, "x = "+nest(MaxNesting+1, "(", "1", ")")), 1, 5+MaxNesting, deep)
	})
	t.Run("lists", func(t *testing.T) {
		if e := parse(t, "x = "+nest(MaxNesting, "[", "", "]")); e != nil {
			t.Fatal(e)
		}
		wantErr(t, parse(t, "x = "+nest(MaxNesting+1, "[", "", "]")), 1, 5+MaxNesting, deep)
	})
	t.Run("blocks", func(t *testing.T) {
		src := nest(MaxNesting, "if x {\n", "y = 1\n", "}\n")
		if e := parse(t, src); e != nil {
			t.Fatal(e)
		}
		f, _ := Parse("big.mms", src)
		depth := 0
		for s := Stmt(f.Stmts[0]); ; depth++ {
			is, ok := s.(*IfStmt)
			if !ok {
				break
			}
			s = is.Then.Stmts[0]
		}
		if depth != MaxNesting {
			t.Errorf("depth = %d, want %d", depth, MaxNesting)
		}
		wantErr(t, parse(t, nest(MaxNesting+1, "if x {\n", "y = 1\n", "}\n")), MaxNesting+1, 6, deep)
	})
	t.Run("mixed", func(t *testing.T) {
		// blocks, then a call, then lists and maps
		blocks := MaxNesting / 2
		mixed := func(n int) string {
			return nest(blocks, "while x {\n", "f("+nest(n-blocks-1, "[", "1", "]")+")\n", "}\n")
		}
		if e := parse(t, mixed(MaxNesting)); e != nil {
			t.Fatal(e)
		}
		wantErr(t, parse(t, mixed(MaxNesting+1)), blocks+1, 2+MaxNesting-blocks, deep)
	})
	t.Run("maps", func(t *testing.T) {
		if e := parse(t, "x = "+nest(MaxNesting, "{1: ", "1", "}")); e != nil {
			t.Fatal(e)
		}
		wantErr(t, parse(t, "x = "+nest(MaxNesting+1, "{1: ", "1", "}")), 1, 5+4*MaxNesting, deep)
	})
	t.Run("brackets in strings do not count", func(t *testing.T) {
		if e := parse(t, `x = "`+strings.Repeat("([{", 2*MaxNesting)+`"`); e != nil {
			t.Fatal(e)
		}
		if e := parse(t, "# "+strings.Repeat("(", 2*MaxNesting)); e != nil {
			t.Fatal(e)
		}
	})
	t.Run("closing brackets do not go below zero", func(t *testing.T) {
		wantErr(t, parse(t, strings.Repeat(")", 10)+nest(MaxNesting+1, "(", "1", ")")), 1, 11+MaxNesting, deep)
	})
	t.Run("else-if chains", func(t *testing.T) {
		chain := func(n int) string {
			return "if a { x = 0 }" + strings.Repeat(" else if a { x = 1 }", n) + " else { x = 2 }"
		}
		if e := parse(t, chain(MaxNesting)); e != nil {
			t.Fatal(e)
		}
		f, _ := Parse("big.mms", chain(MaxNesting))
		n := 0
		for s := f.Stmts[0].(*IfStmt); ; n++ {
			next, ok := s.Else.(*IfStmt)
			if !ok {
				break
			}
			s = next
		}
		if n != MaxNesting {
			t.Errorf("chain length = %d, want %d", n, MaxNesting)
		}
		// the chain ends at the if that goes past the limit
		col := len("if a { x = 0 }") + len(" else if a { x = 1 }")*MaxNesting + len(" else ") + 1
		wantErr(t, parse(t, chain(MaxNesting+1)), 1, col, fmt.Sprintf("else-if chain is too long (more than %d)", MaxNesting))
		// on separate lines
		multi := "if a {\n}" + strings.Repeat(" else if a {\n}", MaxNesting+1)
		wantErr(t, parse(t, multi), MaxNesting+2, len("} else ")+1, fmt.Sprintf("else-if chain is too long (more than %d)", MaxNesting))
		// separate statements do not add up
		many := strings.Repeat("if a { } else if a { }\n", 3*MaxNesting)
		if e := parse(t, many); e != nil {
			t.Fatal(e)
		}
	})
	t.Run("prefix operators", func(t *testing.T) {
		if e := parse(t, "x = "+strings.Repeat("not ", maxPrefix)+"y"); e != nil {
			t.Fatal(e)
		}
		wantErr(t, parse(t, "x = "+strings.Repeat("- ", maxPrefix+1)+"y"), 1, 5,
			fmt.Sprintf("too many prefix operators in a row (more than %d)", maxPrefix))
		// many short runs are fine
		if e := parse(t, "x = "+strings.Repeat("-1 + ", 1000)+"1"); e != nil {
			t.Fatal(e)
		}
	})
	t.Run("long flat input", func(t *testing.T) {
		// long but flat input parses without deep recursion
		if e := parse(t, "x = "+strings.Repeat("1 + ", 5000)+"1"); e != nil {
			t.Fatal(e)
		}
		if e := parse(t, strings.Repeat("fork\n", 5000)); e != nil {
			t.Fatal(e)
		}
	})
}

// TestIncomplete checks the flag a REPL uses to read another line.
func TestIncomplete(t *testing.T) {
	incomplete := []string{
		"if x {", "if x {\n  y = 1\n", "while true {\n  fork\n", "fn f(a) {", "fn f(",
		"f(", "f(1,", "x = [", "x = {", `x = {"a":`, "x = (1 +", "x =", "x = not",
		"if x { } else", "test \"t\" {", "irq {", "cpu 1 {", "expect error {", "for x in",
		"setup {", "repeat 3 {\n  irq {\n", "print 1,", "assert x,", "machine", "show",
	}
	for _, src := range incomplete {
		_, err := Parse("t.mms", src)
		var e *Error
		if !errors.As(err, &e) || !e.Incomplete {
			t.Errorf("Parse(%q) = %v, want an incomplete error", src, err)
		}
	}
	complete := []string{
		"}", "x = 1 2", "if x {\n}\nelse {", `print "abc`, "x = @", "x = 0755", "break",
		"f(a=1, 2)", "x =\n", "if x {\n  y = \n", "f(1 2", "x.show", "\x00",
	}
	for _, src := range complete {
		_, err := Parse("t.mms", src)
		var e *Error
		if !errors.As(err, &e) || e.Incomplete {
			t.Errorf("Parse(%q) = %v (incomplete), want a complete error", src, err)
		}
	}
}

// TestNoInternalsInMessages parses every prefix of the examples and of the
// chunks of errors.mms, which makes many kinds of errors, and checks that
// none of them speaks participle.
func TestNoInternalsInMessages(t *testing.T) {
	var srcs []string
	files, _ := filepath.Glob("../examples/*.mms")
	if len(files) == 0 {
		t.Fatalf("no examples found")
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		// statement by statement, so that the prefixes stay short
		srcs = append(srcs, strings.Split(string(data), "\n\n")...)
	}
	for _, c := range chunked.Read("testdata/errors.mms", t) {
		srcs = append(srcs, strings.TrimLeft(c.Source, "\n"))
	}
	seen := map[string]bool{}
	for _, src := range srcs {
		for i := 0; i <= len(src); i++ {
			if i < len(src) && src[i]&0xc0 == 0x80 {
				continue // inside a UTF-8 sequence
			}
			prefix := src[:i]
			_, err := Parse("t.mms", prefix)
			if err == nil {
				continue
			}
			e := checkError(t, prefix, err)
			if t.Failed() {
				t.Fatalf("after %q", prefix[max(0, i-80):])
			}
			seen[regexp.MustCompile(`"[^"]*"`).ReplaceAllString(e.Msg, `"…"`)] = true
		}
	}
	if len(seen) < 10 {
		t.Errorf("only %d kinds of messages: %v", len(seen), seen)
	}
}

// TestDescribeExpected checks the words for every rule of the grammar and
// for the shapes of text participle gives.
func TestDescribeExpected(t *testing.T) {
	for _, line := range strings.Split(strings.TrimSpace(Grammar()), "\n") {
		name, rhs, ok := strings.Cut(line, " = ")
		if !ok {
			t.Fatalf("grammar line %q", line)
		}
		for _, s := range []string{name, strings.TrimSuffix(rhs, " .")} {
			got := describeExpected(s)
			if got == "" || leaks(got) != "" {
				t.Errorf("describeExpected(%q) = %q", s, got)
			}
		}
	}
	cases := []struct{ in, want string }{
		{"", ""},
		{`"}"`, `"}"`},
		{"Expr", "an expression"},
		{"Primary", "an expression"},
		{`<ident> MachineArg*`, "a name"},
		{`(<ident> | <keyword>)`, "a name"},
		{`(<ident> | <keyword>) (","? ShowArg)*`, "a name"},
		{`"=" (<int> | <ident> | <string> | "true" | "false")`, `"="`},
		{`(<int> | <ident> | <string> | "true" | "false")`, `an integer or a name or a string or "true" or "false"`},
		{`("error" | "segv" | "bug" | "oom" | "warn") <string>? Block`, `"error" or "segv" or "bug" or "oom" or "warn"`},
		{`<string>? Block`, `a string or "{"`},
		{`<string> TestOpt* Block`, "a string"},
		{`TestOpt* Block`, `key=value or "{"`},
		{`")" Block`, `")"`},
		{`("," <ident>)? "in" Expr Block`, `"," or "in"`},
		{`(IfStmt | Block)`, `"if" or "{"`},
		{`(?= "," <eol>* (?! ")")) "," <eol>* CallArg`, `","`},
		{`(?= ("cache" | "int") <ident>) ("cache" | "int") <ident> "=" Expr`, `"cache" or "int"`},
		{`"(" | ")"`, `"(" or ")"`},
		{`"|" | "||"`, `"|" or "||"`},
		{`<eol>* "}"`, `end of line or "}"`},
		{`<flag> | Expr`, "a flag or an expression"},
		{`CallArgs`, `"("`},
		{`MapEntry ":"`, "key: value"},
		{`BinOp*`, "an operator"},
	}
	for _, c := range cases {
		if got := describeExpected(c.in); got != c.want {
			t.Errorf("describeExpected(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestErrorIs checks that Parse returns exactly a *Error and no File.
func TestErrorIs(t *testing.T) {
	f, err := Parse("t.mms", "x = ")
	if f != nil {
		t.Errorf("File = %v on error", f)
	}
	if _, ok := err.(*Error); !ok {
		t.Fatalf("err is %T", err)
	}
	var e *Error
	if !errors.As(err, &e) || e.Pos.File != "t.mms" {
		t.Errorf("errors.As: %v", e)
	}
}
