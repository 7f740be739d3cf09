package grade

import (
	"strings"
	"testing"

	"mmsim/lang"
	"mmsim/runtime"
)

// FuzzDiff checks that any two texts give a diff whose - and context
// lines rebuild the first and whose + and context lines rebuild the second.
func FuzzDiff(f *testing.F) {
	f.Add("a\nb\nc", "a\nx\nc")
	f.Add("", "one")
	f.Add("1\n2\n3\n4\n5\n6\n7\n8\n9", "1\n2\n4\n5\n6\n7\n9\n10")
	f.Fuzz(func(t *testing.T, a, b string) {
		al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
		var ra, rb []string
		for _, o := range editScript(al, bl) {
			switch o.kind {
			case ' ':
				ra, rb = append(ra, al[o.a]), append(rb, bl[o.b])
			case '-':
				ra = append(ra, al[o.a])
			case '+':
				rb = append(rb, bl[o.b])
			}
		}
		if strings.Join(ra, "\n") != a || strings.Join(rb, "\n") != b {
			t.Fatalf("the edit script does not rebuild its inputs")
		}
		if d := Diff("a", al, "b", bl); (d == "") != (a == b) {
			t.Fatalf("Diff is %q for equal=%v", d, a == b)
		}
	})
}

// FuzzExpectations checks that any source that parses gives expectations
// or a positioned error, and that a plan checks any output without panic.
func FuzzExpectations(f *testing.F) {
	f.Add("print 1 # expect: 1\n", "1\n")
	f.Add("test \"t\" {\n print 2 # expect[a]: 2\n}\n# expect-error: x\n", "3")
	f.Add("# expect-oops: 1\n", "")
	f.Fuzz(func(t *testing.T, src, output string) {
		file, err := lang.Parse("f_test.mms", src)
		if err != nil {
			return
		}
		exps, err := ParseExpectations(file)
		if err != nil {
			var le *lang.Error
			if !asLangError(err, &le) || le.Pos.Line < 1 {
				t.Fatalf("error without a position: %v", err)
			}
			return
		}
		tests := runtime.Tests(file)
		plans := append(Plans(exps, nil), Plans(exps, tests)...)
		for _, p := range plans {
			msg, details := p.CheckOutput("f_test.mms", output)
			if (msg == "") != (details == "") {
				t.Fatalf("message %q with details %q", msg, details)
			}
		}
	})
}

func asLangError(err error, target **lang.Error) bool {
	le, ok := err.(*lang.Error)
	*target = le
	return ok
}
