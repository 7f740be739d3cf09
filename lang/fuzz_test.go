package lang_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"mmsim/internal/chunked"
	"mmsim/lang"
)

// participleWords must never appear in a syntax error: they are names
// from the parser generator and the grammar's structs.
var participleWords = regexp.MustCompile(`Primary|Operand|Expr|Stmt|Block|MachineArg|TestOpt|ShowArg|CallArg|MapEntry|BinOp|Suffix|PrefixOp|ListLit|MapLit|<[a-z]+>|participle|unexpected token`)

// FuzzParse checks that Parse never panics, that its errors are *lang.Error
// with a real position and plain words, and that the trees it returns have
// ordered spans that slice the source.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob("../examples/*.mms")
	if err != nil || len(files) == 0 {
		f.Fatalf("no examples in ../examples: %v", err)
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(data))
	}
	for _, c := range chunked.Read("testdata/errors.mms", f) {
		f.Add(strings.TrimLeft(c.Source, "\n"))
	}
	for _, s := range []string{
		"",
		"\n",
		"}",
		"{",
		"show",
		"show -",
		"show x -y -",
		"x.show",
		"if x {\n} else if y {\n} else {\n}",
		"else",
		"int",
		"int 0x80",
		"int int",
		"int3 int",
		"x = not not -~!+x",
		"x = 0xffffffffffffffffK",
		"x = 0x8000000000000000",
		"x = 1 .. n + 1",
		"a < b < c",
		`"unterminated`,
		`"\`,
		"x = \"a\\",
		"\\\n",
		"x = 1 \\\n + 2",
		"x = 1 \\",
		"\x00",
		"\xff\xfe",
		"é = 1",
		"f(\n1,\n\n#c\n)",
		"[,]",
		"{:}",
		"for k, v in m { break }",
		"fn f(a, a) { return }",
		"f(a=1, a=2, 3)",
		"touch a + 4096 write",
		"test \"t\" points=2 visibility=\"after_due_date\" tags=[\"buddy\"] { expect oom \"x\" { } }",
		"cpu 1 { as 2 { irq { softirq { atomic { check } } } } }",
		strings.Repeat("(", 101) + strings.Repeat(")", 101),
		strings.Repeat("-", 65) + "x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		file, err := lang.Parse("fuzz.mms", src)
		if err != nil {
			e, ok := err.(*lang.Error)
			if !ok {
				t.Fatalf("error is %T, want *lang.Error: %v", err, err)
			}
			if file != nil {
				t.Errorf("File and error both returned")
			}
			if e.Pos.Line < 1 || e.Pos.Col < 1 {
				t.Errorf("bad position %+v: %v", e.Pos, e)
			}
			if e.Pos.Offset < 0 || e.Pos.Offset > len(src) {
				t.Errorf("offset %d out of the source (%d bytes): %v", e.Pos.Offset, len(src), e)
			}
			if e.Pos.File != "fuzz.mms" {
				t.Errorf("file %q: %v", e.Pos.File, e)
			}
			if e.Msg == "" {
				t.Errorf("empty message at %v", e.Pos)
			}
			if w := participleWords.FindString(e.Msg); w != "" {
				t.Errorf("message mentions %q: %v", w, e)
			}
			if inc := strings.HasPrefix(e.Msg, "unexpected end of input"); e.Incomplete != inc {
				t.Errorf("Incomplete = %v for %v", e.Incomplete, e)
			}
			return
		}
		if file == nil {
			t.Fatal("no File and no error")
		}
		for _, s := range file.Stmts {
			start, end := s.Span()
			if start.Offset > end.Offset || start.Line > end.Line || (start.Line == end.Line && start.Col > end.Col) {
				t.Errorf("%T: span %v .. %v is reversed", s, start, end)
			}
		}
		for _, msg := range spanProblems(file) {
			t.Error(msg)
		}
	})
}
