package grade

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// jsonReport is the schema of mmsim's own JSON report (mmsim test
// -format json), version 1:
//
//	{
//	  "version": 1,
//	  "passed": 3,
//	  "failed": 1,
//	  "skipped": 1,
//	  "score": 5,
//	  "max_score": 8,
//	  "time": 0.012,
//	  "tests": [ ... ]
//	}
//
// version is 1; a later version may add keys but will not change the
// meaning of these. passed, failed and skipped count the tests by status.
// score is the points earned and max_score the points possible (a skipped
// test's points count as possible). time is the wall time of the whole run
// in seconds. tests lists every test, in the order they ran (see
// jsonTest). Every key is always present. The document is indented by two
// spaces and ends with a newline.
type jsonReport struct {
	Version  int        `json:"version"`
	Passed   int        `json:"passed"`
	Failed   int        `json:"failed"`
	Skipped  int        `json:"skipped"`
	Score    int64      `json:"score"`
	MaxScore int64      `json:"max_score"`
	Time     float64    `json:"time"`
	Tests    []jsonTest `json:"tests"`
}

// jsonTest is one test of a jsonReport:
//
//	{
//	  "number": 1,
//	  "file": "tests/buddy_test.mms",
//	  "name": "split",
//	  "status": "passed",
//	  "points": 2,
//	  "score": 2,
//	  "visibility": "visible",
//	  "tags": [],
//	  "time": 0.001,
//	  "kind": "",
//	  "message": "",
//	  "details": "",
//	  "output": "..."
//	}
//
// number is the test's 1-based place in the report. file is the test
// file's path as given, with slashes. name is the test block's name, the
// file's base name for a file without test blocks, or "" for a file that
// failed to parse. status is "passed", "failed" or "skipped". points is
// the test's max score (0 when it has none) and score the points it
// earned: all of them when it passed, none otherwise. visibility is
// Gradescope's: "visible" (the default), "hidden", "after_due_date" or
// "after_published". tags is a list of strings, [] when there are none.
// time is the test's time in seconds. kind classifies a failure:
// assertion, output, error, bug, segv, oom, invariant, limit, timeout,
// syntax, leaks or internal; it is "" unless the test failed. message is
// a one-line summary of the failure, or the reason of a skip. details is
// the failure's full text (a diagnostic with its source line, a unified
// diff of expected and actual output, or a stack trace). output is what
// the test printed. Every key is always present; texts are "" when empty.
type jsonTest struct {
	Number     int      `json:"number"`
	File       string   `json:"file"`
	Name       string   `json:"name"`
	Status     Status   `json:"status"`
	Points     int64    `json:"points"`
	Score      int64    `json:"score"`
	Visibility string   `json:"visibility"`
	Tags       []string `json:"tags"`
	Time       float64  `json:"time"`
	Kind       string   `json:"kind"`
	Message    string   `json:"message"`
	Details    string   `json:"details"`
	Output     string   `json:"output"`
}

// writeJSON writes the report as a jsonReport.
func writeJSON(b *bytes.Buffer, r *Report) error {
	passed, failed, skipped := r.Counts()
	score, max := r.Score()
	doc := jsonReport{
		Version:  1,
		Passed:   passed,
		Failed:   failed,
		Skipped:  skipped,
		Score:    score,
		MaxScore: max,
		Time:     jsonSeconds(r.Time),
		Tests:    make([]jsonTest, len(r.Results)),
	}
	for i := range r.Results {
		res := &r.Results[i]
		doc.Tests[i] = jsonTest{
			Number:     testNumber(res, i),
			File:       res.File,
			Name:       res.Name,
			Status:     res.Status,
			Points:     res.Points,
			Score:      res.Score(),
			Visibility: visibilityOf(res),
			Tags:       nonNilTags(res.Tags),
			Time:       jsonSeconds(res.Time),
			Kind:       res.Kind,
			Message:    res.Message,
			Details:    res.Details,
			Output:     res.Output,
		}
	}
	return writeJSONDoc(b, "json", &doc)
}

// writeJSONDoc writes v as JSON indented by two spaces, with a final
// newline. Characters such as < and & are written as they are, not as
// \u escapes, so that the file stays readable.
func writeJSONDoc(b *bytes.Buffer, format string, v any) error {
	enc := json.NewEncoder(b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("%s report: %v", format, err)
	}
	return nil
}

// nonNilTags is s, or an empty list when s is nil, so that JSON shows [].
func nonNilTags(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
