package grade

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// gradescopeResults is Gradescope's results.json, as
// https://gradescope-autograders.readthedocs.io/en/latest/specs/
// describes it. score is the points earned, which is also the sum of the
// tests' scores; output is the run's summary. The tests' outputs are
// plain text and the autograder's stdout is hidden from students.
type gradescopeResults struct {
	Score            int64            `json:"score"`
	ExecutionTime    float64          `json:"execution_time"`
	Output           string           `json:"output"`
	OutputFormat     string           `json:"output_format"`
	TestOutputFormat string           `json:"test_output_format"`
	Visibility       string           `json:"visibility"`
	StdoutVisibility string           `json:"stdout_visibility"`
	Tests            []gradescopeTest `json:"tests"`
}

// gradescopeTest is one test of gradescopeResults. Gradescope knows no
// skipped tests: a skipped test is failed, with score 0 and the output
// "skipped: REASON". name is "FILE: NAME", number the test's place in the
// report as a string.
type gradescopeTest struct {
	Score         int64    `json:"score"`
	MaxScore      int64    `json:"max_score"`
	Status        string   `json:"status"`
	Name          string   `json:"name"`
	Number        string   `json:"number"`
	Output        string   `json:"output"`
	OutputFormat  string   `json:"output_format"`
	Tags          []string `json:"tags"`
	Visibility    string   `json:"visibility"`
	ExecutionTime float64  `json:"execution_time"`
}

// gradescopeSummary is the top-level output, which students see at once:
// the counts and score of the visible tests only, so that it gives away
// nothing of tests Gradescope hides (hidden, after_due_date,
// after_published), plus how many those are.
func gradescopeSummary(r *Report) string {
	visible := &Report{}
	for _, res := range r.Results {
		if visibilityOf(&res) == "visible" {
			visible.Results = append(visible.Results, res)
		}
	}
	n := len(r.Results) - len(visible.Results)
	if n == 0 {
		out := countsLine(r)
		if r.HasPoints() {
			out += "\n" + scoreLine(r)
		}
		return out
	}
	out := "visible tests: " + countsLine(visible)
	if visible.HasPoints() {
		out += "\nvisible " + scoreLine(visible)
	}
	if n == 1 {
		return out + "\n(1 more test is not shown yet)"
	}
	return out + fmt.Sprintf("\n(%d more tests are not shown yet)", n)
}

// writeGradescope writes the report as Gradescope's results.json.
func writeGradescope(b *bytes.Buffer, r *Report) error {
	score, _ := r.Score()
	out := gradescopeSummary(r)
	doc := gradescopeResults{
		Score:            score,
		ExecutionTime:    jsonSeconds(r.Time),
		Output:           out,
		OutputFormat:     "text",
		TestOutputFormat: "text",
		Visibility:       "visible",
		StdoutVisibility: "hidden",
		Tests:            make([]gradescopeTest, len(r.Results)),
	}
	for i := range r.Results {
		res := &r.Results[i]
		status := "failed"
		if res.Status == Pass {
			status = "passed"
		}
		doc.Tests[i] = gradescopeTest{
			Score:         res.Score(),
			MaxScore:      res.Points,
			Status:        status,
			Name:          res.Label(),
			Number:        strconv.Itoa(testNumber(res, i)),
			Output:        gradescopeOutput(res),
			OutputFormat:  "text",
			Tags:          nonNilTags(res.Tags),
			Visibility:    visibilityOf(res),
			ExecutionTime: jsonSeconds(res.Time),
		}
	}
	return writeJSONDoc(b, "gradescope", &doc)
}

// gradescopeOutput is the text Gradescope shows for a test: what a passed
// test printed; "skipped: REASON" for a skipped test; for a failed one,
// the failure's details (or its message when it has none) followed by a line "Output:" and the indented
// output, which is left out when the failure is an output mismatch (the
// details already show it as a diff).
func gradescopeOutput(res *Result) string {
	switch res.Status {
	case Pass:
		return res.Output
	case Skip:
		if res.Message == "" {
			return "skipped"
		}
		return "skipped: " + res.Message
	}
	var parts []string
	d := res.Details
	if d == "" {
		d = res.Message
	}
	if d = trimNewlines(d); d != "" {
		parts = append(parts, d)
	}
	if res.Kind != "output" {
		if out := indentText(res.Output, "    "); out != "" {
			parts = append(parts, "Output:\n"+trimNewlines(out))
		}
	}
	return strings.Join(parts, "\n")
}
