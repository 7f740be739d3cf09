package grade

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"
)

// Formats lists the report formats, in the order help shows them.
var Formats = []string{"text", "tap", "junit", "json", "gradescope"}

// WriteOptions controls how a report is written.
type WriteOptions struct {
	// Verbose makes the text format show every test's output, not only
	// the output of failed tests, and the TAP format attach the output of
	// passed tests too.
	Verbose bool
}

// Write writes the report in the named format, one of Formats. An unknown
// format is an error that names the known ones. Tests appear in the order
// of r.Results. A nil report is written as an empty one.
//
// The whole report is built in memory and written with a single call, so
// w sees either all of it or, on a write error, what w accepted.
func Write(w io.Writer, format string, r *Report, opt WriteOptions) error {
	if r == nil {
		r = new(Report)
	}
	var buf bytes.Buffer
	var err error
	switch format {
	case "text":
		writeText(&buf, r, opt)
	case "tap":
		writeTAP(&buf, r, opt)
	case "junit":
		err = writeJUnit(&buf, r)
	case "json":
		err = writeJSON(&buf, r)
	case "gradescope":
		err = writeGradescope(&buf, r)
	default:
		return fmt.Errorf("unknown report format %q (known: %s)", format, strings.Join(Formats, ", "))
	}
	if err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// countsLine is the one-line count of a run: "3 passed, 1 failed", followed
// by ", 1 skipped" when any test was skipped.
func countsLine(r *Report) string {
	passed, failed, skipped := r.Counts()
	s := fmt.Sprintf("%d passed, %d failed", passed, failed)
	if skipped > 0 {
		s += fmt.Sprintf(", %d skipped", skipped)
	}
	return s
}

// scoreLine is "score: S/P points".
func scoreLine(r *Report) string {
	score, max := r.Score()
	return fmt.Sprintf("score: %d/%d points", score, max)
}

// failed reports whether the test failed. A status other than passed or
// skipped counts as a failure, so that no format shows it as a success.
func failed(res *Result) bool {
	return res.Status != Pass && res.Status != Skip
}

// testNumber is the test's place in the report: its Number, or its index
// plus one when the runner left Number zero.
func testNumber(res *Result, i int) int {
	if res.Number != 0 {
		return res.Number
	}
	return i + 1
}

// visibilityOf is the test's visibility, "visible" when not given.
func visibilityOf(res *Result) string {
	if res.Visibility == "" {
		return "visible"
	}
	return res.Visibility
}

// jsonSeconds is d in seconds, rounded to the microsecond so that JSON
// readers see short numbers such as 0.012.
func jsonSeconds(d time.Duration) float64 {
	us := d.Round(time.Microsecond) / time.Microsecond
	return float64(us) / 1e6
}

// trimNewlines removes the trailing newlines of s.
func trimNewlines(s string) string {
	return strings.TrimRight(s, "\n")
}

// indentText prefixes every line of s with prefix, after removing trailing
// newlines. Empty lines stay empty, so the result has no trailing spaces
// that s did not have. An empty s gives "". The result ends in a newline
// unless it is empty.
func indentText(s, prefix string) string {
	s = trimNewlines(s)
	if s == "" {
		return ""
	}
	var b strings.Builder
	for line := range strings.SplitSeq(s, "\n") {
		if line != "" {
			b.WriteString(prefix)
			b.WriteString(line)
		}
		b.WriteByte('\n')
	}
	return b.String()
}
