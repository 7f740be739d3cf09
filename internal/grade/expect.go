package grade

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"mmsim/lang"
)

// An Expectation is one expectation comment of a test file:
//
//	print x        # expect: 42
//	print order    # expect[lru]: 3 1 2
//	free(p)        # expect-error: double free
type Expectation struct {
	Pos   lang.Pos // of the comment
	Error bool     // expect-error: the line must fail
	Alt   string   // expect[ALT]: belongs to that alternative only
	Text  string
}

// expectRE matches the start of an expectation comment: the word expect
// in any case, a suffix, an optional [ALT] and a colon. Anything of that
// form is taken as one, so that a misspelt one ("# Expect:", "# expect
// error:", "# expect-eror:") is an error rather than silently not checked.
var expectRE = regexp.MustCompile(`^#\s*((?i)expect)([-_ ][A-Za-z0-9_ -]*)?(\[([^\]]*)\])?\s*:`)

// ParseExpectations returns the expectation comments of a parsed file, in
// source order. A comment that looks like one but is not well formed is an
// error at its position.
func ParseExpectations(f *lang.File) ([]Expectation, error) {
	var out []Expectation
	for _, c := range lang.Comments(f.Name, f.Src) {
		m := expectRE.FindStringSubmatch(c.Text)
		if m == nil {
			continue
		}
		kind := strings.TrimRight(m[1]+m[2], " ")
		e := Expectation{Pos: c.Pos, Text: strings.TrimPrefix(c.Text[len(m[0]):], " ")}
		e.Text = strings.TrimRight(e.Text, " \t\r")
		bad := func(format string, args ...any) error {
			return &lang.Error{Pos: c.Pos, Msg: fmt.Sprintf(format, args...)}
		}
		switch kind {
		case "expect":
		case "expect-error":
			e.Error = true
			if e.Text == "" {
				return nil, bad("expect-error needs the text the error must contain")
			}
		default:
			return nil, bad("unknown expectation comment \"%s:\" (the kinds are expect:, expect[ALT]: and expect-error:)", strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(m[0], "#"), ":")))
		}
		if m[3] != "" {
			e.Alt = m[4]
			switch {
			case e.Error:
				return nil, bad("expect-error cannot belong to an alternative output (write it without [%s])", e.Alt)
			case !isAltName(e.Alt):
				return nil, bad("alternative name %q in expect[...]: must be a word of letters, digits and _", e.Alt)
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// CheckPlacement rejects an expect-error outside every test block of a
// file that has test blocks: it would end each test before its body ran.
func CheckPlacement(exps []Expectation, tests []*lang.TestStmt) error {
	if len(tests) == 0 {
		return nil
	}
	for _, e := range exps {
		if e.Error && ownerOf(e.Pos, tests) < 0 {
			return &lang.Error{Pos: e.Pos, Msg: "expect-error outside a test block would end every test before its body runs: put it inside a test"}
		}
	}
	return nil
}

func isAltName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// Plan is what one test must do: its output lines (one list per
// acceptable output) and the lines that must fail.
type Plan struct {
	// Outputs are the acceptable outputs; empty when the test does not
	// check its output. Alts names them ("" when there is only one).
	Outputs [][]Expectation
	Alts    []string
	Errors  []Expectation
}

// Plans returns the plan of each test block of a file, in order, or the
// one plan of a file without test blocks. A test has the expectations on
// the lines of its block (from the header's line to the closing brace's)
// and those outside every test block (top level, setup, functions), which
// run before it; the latter come first.
func Plans(all []Expectation, tests []*lang.TestStmt) []Plan {
	if len(tests) == 0 {
		return []Plan{planOf(all)}
	}
	var outer []Expectation
	inner := make([][]Expectation, len(tests))
	for _, e := range all {
		if i := ownerOf(e.Pos, tests); i < 0 {
			outer = append(outer, e)
		} else {
			inner[i] = append(inner[i], e)
		}
	}
	plans := make([]Plan, len(tests))
	for i := range tests {
		plans[i] = planOf(append(slices.Clip(outer), inner[i]...))
	}
	return plans
}

// planOf makes the plan of one test's expectations, in order.
func planOf(mine []Expectation) Plan {
	var p Plan
	var lines []Expectation
	for _, e := range mine {
		if e.Error {
			p.Errors = append(p.Errors, e)
			continue
		}
		lines = append(lines, e)
		if e.Alt != "" && !slices.Contains(p.Alts, e.Alt) {
			p.Alts = append(p.Alts, e.Alt)
		}
	}
	if len(lines) == 0 {
		return p
	}
	if len(p.Alts) == 0 {
		p.Outputs = [][]Expectation{lines}
		p.Alts = []string{""}
		return p
	}
	for _, alt := range p.Alts {
		var out []Expectation
		for _, e := range lines {
			if e.Alt == "" || e.Alt == alt {
				out = append(out, e)
			}
		}
		p.Outputs = append(p.Outputs, out)
	}
	return p
}

// ownerOf returns the index of the test block whose lines hold p, or -1.
func ownerOf(p lang.Pos, tests []*lang.TestStmt) int {
	for i, t := range tests {
		start, end := t.Span()
		if p.Line >= start.Line && p.Line <= end.Line {
			return i
		}
	}
	return -1
}

// Lines splits output into lines for comparison: no trailing newline, and
// trailing blanks of each line removed (editors strip them from comments).
func Lines(output string) []string {
	if output == "" {
		return nil
	}
	output = strings.TrimSuffix(output, "\n")
	lines := strings.Split(output, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t\r")
	}
	return lines
}

// CheckOutput compares the output with the plan's acceptable outputs. It
// returns "" when one matches (or when the plan checks no output);
// otherwise a one-line message and a unified diff against the closest
// acceptable output.
func (p *Plan) CheckOutput(file, output string) (msg, details string) {
	if len(p.Outputs) == 0 {
		return "", ""
	}
	got := Lines(output)
	best, bestCost := 0, -1
	for i, want := range p.Outputs {
		w := texts(want)
		cost := 0
		for _, o := range editScript(w, got) {
			if o.kind != ' ' {
				cost++
			}
		}
		if cost == 0 {
			return "", ""
		}
		if bestCost < 0 || cost < bestCost {
			best, bestCost = i, cost
		}
	}
	want := p.Outputs[best]
	msg = firstDifference(want, got)
	if len(p.Outputs) > 1 {
		msg = fmt.Sprintf("[%s] %s", p.Alts[best], msg)
	}
	var b strings.Builder
	b.WriteString(msg + "\n")
	if len(p.Outputs) > 1 {
		fmt.Fprintf(&b, "the output matches none of the %d acceptable outputs (%s); the closest is [%s]:\n",
			len(p.Outputs), strings.Join(p.Alts, ", "), p.Alts[best])
	}
	b.WriteString(Diff("expected (# expect comments in "+file+")", texts(want), "actual output", got))
	return msg, b.String()
}

// firstDifference describes the first line where want and got differ.
func firstDifference(want []Expectation, got []string) string {
	for i := 0; ; i++ {
		switch {
		case i >= len(want) && i >= len(got):
			return "the output differs" // unreachable when a diff exists
		case i >= len(want):
			return fmt.Sprintf("output line %d: %q was printed where no more output was expected", i+1, got[i])
		case i >= len(got):
			return fmt.Sprintf("output line %d: missing %q (expected at %s)", i+1, want[i].Text, want[i].Pos)
		case want[i].Text != got[i]:
			return fmt.Sprintf("output line %d: expected %q (at %s), got %q", i+1, want[i].Text, want[i].Pos, got[i])
		}
	}
}

func texts(es []Expectation) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Text
	}
	return out
}
