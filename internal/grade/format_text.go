package grade

import (
	"bytes"
	"fmt"
)

// writeText writes the report for people at a terminal:
//
//	ok   FILE: NAME (0.00s)
//	ok   FILE: NAME (0.01s, 2/2 points)
//	FAIL FILE: NAME (0.00s, 0/3 points)
//	    the test's output, then the failure's details
//	skip FILE: NAME (REASON)
//	score: 5/8 points
//	3 passed, 1 failed, 1 skipped
//
// A failed test is followed by its output and details, indented by four
// spaces; the output is left out when the failure is an output mismatch,
// whose details already show it as a diff. With opt.Verbose, passed and
// skipped tests are followed by their output too. Empty lines of indented
// text stay empty. The score line appears only when some test has points.
func writeText(b *bytes.Buffer, r *Report, opt WriteOptions) {
	for i := range r.Results {
		res := &r.Results[i]
		b.WriteString(textLine(res))
		b.WriteByte('\n')
		if failed(res) {
			if res.Kind != "output" {
				b.WriteString(indentText(res.Output, "    "))
			}
			b.WriteString(indentText(res.Details, "    "))
		} else if opt.Verbose {
			b.WriteString(indentText(res.Output, "    "))
		}
	}
	if r.HasPoints() {
		b.WriteString(scoreLine(r))
		b.WriteByte('\n')
	}
	b.WriteString(countsLine(r))
	b.WriteByte('\n')
}

// textLine is the test's one-line outcome, without a newline.
func textLine(res *Result) string {
	switch res.Status {
	case Skip:
		if res.Message == "" {
			return "skip " + res.Label()
		}
		return fmt.Sprintf("skip %s (%s)", res.Label(), res.Message)
	case Pass:
		return fmt.Sprintf("ok   %s (%s)", res.Label(), textTime(res))
	default:
		return fmt.Sprintf("FAIL %s (%s)", res.Label(), textTime(res))
	}
}

// textTime is "0.01s", followed by ", S/P points" when the test has points.
func textTime(res *Result) string {
	s := fmt.Sprintf("%.2fs", res.Time.Seconds())
	if res.Points > 0 {
		s += fmt.Sprintf(", %d/%d points", res.Score(), res.Points)
	}
	return s
}
