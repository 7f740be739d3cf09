package grade

import (
	"strings"
	"testing"

	"mmsim/lang"
	"mmsim/runtime"
)

func parse(t *testing.T, src string) *lang.File {
	t.Helper()
	f, err := lang.Parse("t_test.mms", src)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestParseExpectations(t *testing.T) {
	f := parse(t, `print 1        # expect: 1
print "a # b"  # expect:   two spaces kept after the first   
# expect[lru]: 3 1 2
x = "# expect: not a comment"
fail("x")      # expect-error: x
# expected: prose, not an expectation
#expect:tight
# expect [a]:
`)
	got, err := ParseExpectations(f)
	if err != nil {
		t.Fatal(err)
	}
	want := []Expectation{
		{Pos: lang.Pos{Line: 1, Col: 16}, Text: "1"},
		{Pos: lang.Pos{Line: 2, Col: 16}, Text: "  two spaces kept after the first"},
		{Pos: lang.Pos{Line: 3, Col: 1}, Alt: "lru", Text: "3 1 2"},
		{Pos: lang.Pos{Line: 5, Col: 16}, Error: true, Text: "x"},
		{Pos: lang.Pos{Line: 7, Col: 1}, Text: "tight"},
		{Pos: lang.Pos{Line: 8, Col: 1}, Alt: "a", Text: ""},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d expectations, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Pos.Line != w.Pos.Line || g.Pos.Col != w.Pos.Col || g.Error != w.Error || g.Alt != w.Alt || g.Text != w.Text {
			t.Errorf("expectation %d = %+v, want %+v", i, g, w)
		}
	}
}

func TestParseExpectationsErrors(t *testing.T) {
	tests := []struct{ src, want string }{
		{"print 1 # expect-eror: 1\n", `t_test.mms:1:9: syntax error: unknown expectation comment "expect-eror:"`},
		{"print 1 # expect-output: 1\n", `unknown expectation comment "expect-output:"`},
		{"fail(1) # expect-error[a]: 1\n", "expect-error cannot belong to an alternative output"},
		{"print 1 # expect[]: 1\n", `alternative name "" in expect[...]`},
		{"print 1 # expect[a b]: 1\n", `alternative name "a b"`},
		{"print 1 # Expect: 1\n", `unknown expectation comment "Expect:"`},
		{"print 1 # expect error: 1\n", `unknown expectation comment "expect error:"`},
		{"print 1 # expect_error: 1\n", `unknown expectation comment "expect_error:"`},
		{"fail(1) # expect-error:\n", "expect-error needs the text"},
	}
	for _, tt := range tests {
		_, err := ParseExpectations(parse(t, tt.src))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error %v, want one containing %q", tt.src, err, tt.want)
		}
	}
}

const planSrc = `print "top"          # expect: top
setup { print "s" }  # expect: s
test "one" {
  print 1            # expect: 1
}
test "two" { print 2 }  # expect: 2
test "alts" {
  print "a"          # expect[x]: a
                     # expect[y]: b
  print "end"        # expect: end
  fail("no")         # expect-error: no
}
`

func TestCheckPlacement(t *testing.T) {
	f := parse(t, "fail(1)  # expect-error: 1\ntest \"a\" { }\n")
	exps, err := ParseExpectations(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckPlacement(exps, runtime.Tests(f)); err == nil || !strings.Contains(err.Error(), "t_test.mms:1:10: syntax error: expect-error outside a test block") {
		t.Errorf("error %v", err)
	}
	if err := CheckPlacement(exps, nil); err != nil {
		t.Errorf("a file without tests: %v", err)
	}
}

func TestPlans(t *testing.T) {
	f := parse(t, planSrc)
	all, err := ParseExpectations(f)
	if err != nil {
		t.Fatal(err)
	}
	tests := runtime.Tests(f)
	lines := func(p Plan) string {
		var parts []string
		for i, out := range p.Outputs {
			parts = append(parts, p.Alts[i]+"="+strings.Join(texts(out), ","))
		}
		return strings.Join(parts, " ")
	}
	if got, want := lines(Plans(all, tests)[0]), "=top,s,1"; got != want {
		t.Errorf("one: %s, want %s", got, want)
	}
	if got, want := lines(Plans(all, tests)[1]), "=top,s,2"; got != want {
		t.Errorf("two (expectation after the closing brace): %s, want %s", got, want)
	}
	p := Plans(all, tests)[2]
	if got, want := lines(p), "x=top,s,a,end y=top,s,b,end"; got != want {
		t.Errorf("alts: %s, want %s", got, want)
	}
	if len(p.Errors) != 1 || p.Errors[0].Pos.Line != 11 {
		t.Errorf("alts: errors %+v, want one on line 11", p.Errors)
	}
	if got := lines(Plans(nil, tests)[0]); got != "" {
		t.Errorf("no expectations: %q, want none", got)
	}
}

func TestCheckOutput(t *testing.T) {
	f := parse(t, planSrc)
	all, _ := ParseExpectations(f)
	tests := runtime.Tests(f)
	one := Plans(all, tests)[0]
	if got := Lines("\n"); len(got) != 1 || got[0] != "" {
		t.Errorf("Lines of one empty line = %q", got)
	}
	if got := Lines(""); got != nil {
		t.Errorf("Lines of no output = %q", got)
	}
	if msg, _ := one.CheckOutput("t_test.mms", "top\ns  \n1\n"); msg != "" {
		t.Errorf("matching output (trailing blanks ignored) failed: %s", msg)
	}
	msg, details := one.CheckOutput("t_test.mms", "top\ns\n2\n")
	if want := `output line 3: expected "1" (at t_test.mms:4:22), got "2"`; msg != want {
		t.Errorf("msg = %q, want %q", msg, want)
	}
	wantDiff := "output line 3: expected \"1\" (at t_test.mms:4:22), got \"2\"\n" +
		"--- expected (# expect comments in t_test.mms)\n+++ actual output\n@@ -1,3 +1,3 @@\n top\n s\n-1\n+2\n"
	if details != wantDiff {
		t.Errorf("details:\n%s\nwant:\n%s", details, wantDiff)
	}
	if msg, _ := one.CheckOutput("t_test.mms", "top\ns\n1\nmore\n"); msg != `output line 4: "more" was printed where no more output was expected` {
		t.Errorf("extra line: %s", msg)
	}
	if msg, _ := one.CheckOutput("t_test.mms", "top\n"); msg != `output line 2: missing "s" (expected at t_test.mms:2:22)` {
		t.Errorf("missing line: %s", msg)
	}
	alts := Plans(all, tests)[2]
	for _, out := range []string{"top\ns\na\nend\n", "top\ns\nb\nend\n"} {
		if msg, _ := alts.CheckOutput("t_test.mms", out); msg != "" {
			t.Errorf("alternative %q rejected: %s", out, msg)
		}
	}
	msg, details = alts.CheckOutput("t_test.mms", "top\ns\nb\n")
	if want := `[y] output line 4: missing "end" (expected at t_test.mms:10:22)`; msg != want {
		t.Errorf("alternatives: msg %q, want %q", msg, want)
	}
	if !strings.HasPrefix(details, msg+"\nthe output matches none of the 2 acceptable outputs (x, y); the closest is [y]:\n") {
		t.Errorf("alternatives: details\n%s", details)
	}
	none := Plans(nil, tests)[0]
	if msg, _ := none.CheckOutput("t_test.mms", "anything"); msg != "" {
		t.Errorf("a test without expectations checked its output: %s", msg)
	}
}
