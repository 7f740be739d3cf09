// Package grade holds what mmsim test knows about a test run apart from
// running it: the expectations written as comments in a test file, the
// unified diff shown when output differs, and the report formats that
// graders read (text, TAP 14, JUnit XML, JSON, Gradescope results.json).
package grade

import "time"

// Status is the outcome of one test.
type Status string

const (
	Pass Status = "passed"
	Fail Status = "failed"
	Skip Status = "skipped"
)

// Result is one test's outcome: a test block of a *_test.mms file, a whole
// file without test blocks, or a file that failed to parse.
type Result struct {
	File string // the file's path as found (slash-separated)
	Name string // the test block's name, or the file's base name
	// Number is the test's 1-based place in the report.
	Number int
	Status Status
	// Points is the test's max score (test "x" points=N); 0 when not given.
	Points int64
	// Visibility is Gradescope's: visible, hidden, after_due_date or
	// after_published.
	Visibility string
	Tags       []string
	Time       time.Duration
	// Output is what the test printed (print, show, warnings), possibly cut
	// short by the output limit.
	Output string
	// Kind classifies a failure for machine readers: assertion, output,
	// error, bug, segv, oom, invariant, limit, timeout, syntax, leaks,
	// internal. Empty unless Status is Fail.
	Kind string
	// Message is a one-line summary of the failure (the diagnostic's first
	// line) or the reason of a skip.
	Message string
	// Details is the full failure text: the positioned diagnostic with its
	// source line and caret, a unified diff of expected and actual output,
	// or a stack trace. Empty unless Status is Fail.
	Details string
}

// Score is the points the test earned: all of them when it passed.
func (r *Result) Score() int64 {
	if r.Status == Pass {
		return r.Points
	}
	return 0
}

// Label is "FILE: NAME", or FILE alone for a file that failed to parse.
func (r *Result) Label() string {
	if r.Name == "" {
		return r.File
	}
	return r.File + ": " + r.Name
}

// Report is a whole run.
type Report struct {
	Results []Result
	Time    time.Duration // wall time of the whole run
}

// Counts returns the number of passed, failed and skipped tests.
func (r *Report) Counts() (passed, failed, skipped int) {
	for i := range r.Results {
		switch r.Results[i].Status {
		case Pass:
			passed++
		case Fail:
			failed++
		case Skip:
			skipped++
		}
	}
	return
}

// Score returns the points earned and the points possible. A skipped test's
// points count as possible: a skip is not full marks.
func (r *Report) Score() (score, max int64) {
	for i := range r.Results {
		score += r.Results[i].Score()
		max += r.Results[i].Points
	}
	return
}

// HasPoints reports whether any test carries points.
func (r *Report) HasPoints() bool {
	for i := range r.Results {
		if r.Results[i].Points > 0 {
			return true
		}
	}
	return false
}
