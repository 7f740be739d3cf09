package grade

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The golden files are rewritten with go test -update. Other test files
// of the package may define the flag too; it is registered here only when
// they do not, and read when the tests run.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files")
	}
}

func updateFormats() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// formatReport holds one test of every sort the formats treat apart.
func formatReport() *Report {
	return &Report{
		Time: 62500 * time.Microsecond,
		Results: []Result{
			{
				File:   "tests/buddy_test.mms",
				Name:   "split",
				Number: 1,
				Status: Pass,
				Points: 2,
				Time:   12 * time.Millisecond,
				Output: "order 3 split\nfree pages: 6\n",
			},
			{
				File:    "tests/buddy_test.mms",
				Name:    `merge \ #2 "twice"`,
				Number:  2,
				Status:  Fail,
				Points:  3,
				Time:    1234 * time.Microsecond,
				Output:  "order #1 <tag> \"q\" back\\slash\x01\n\nbad byte \xff & done\n",
				Kind:    "assertion",
				Message: "tests/buddy_test.mms:12:5: assertion failed: free == 3",
				Details: "tests/buddy_test.mms:12:5: assertion failed: free == 3\n" +
					"    assert free == 3\n" +
					"           ^\n" +
					"free = 2 # <tag>\n",
			},
			{
				File:    "tests/slab_test.mms",
				Name:    "caches",
				Status:  Fail,
				Time:    3 * time.Millisecond,
				Output:  "kmalloc-32\nkmalloc-128\n",
				Kind:    "output",
				Message: "output differs from the expected output",
				Details: "--- expected\n+++ actual\n@@ -1,2 +1,2 @@\n kmalloc-32\n-kmalloc-64\n+kmalloc-128\n",
			},
			{
				File:    "tests/slab_test.mms",
				Name:    "shrink",
				Status:  Fail,
				Time:    500 * time.Microsecond,
				Kind:    "internal",
				Message: "internal error: index out of range [4] with length 4",
				Details: "  panic: index out of range [4] with length 4\n\ngoroutine 1 [running]:\nmmsim/kernelmodel.(*Slab).shrink(...)\n",
			},
			{
				File:    "tests/huge_test.mms",
				Name:    "thp",
				Status:  Skip,
				Points:  1,
				Message: "needs hugepages",
			},
			{
				File:    "tests/bad_test.mms",
				Status:  Fail,
				Kind:    "syntax",
				Message: "tests/bad_test.mms:3:1: unexpected '}'",
				Details: "tests/bad_test.mms:3:1: unexpected '}'\n}\n^\n",
			},
			{
				File:       "tests/buddy_test.mms",
				Name:       "hidden merge",
				Status:     Pass,
				Points:     3,
				Visibility: "hidden",
				Tags:       []string{"buddy", "merge"},
				Time:       7 * time.Millisecond,
			},
		},
	}
}

func TestFormatGolden(t *testing.T) {
	tests := []struct {
		format  string
		verbose bool
		golden  string
	}{
		{"text", false, "text.golden"},
		{"text", true, "text-verbose.golden"},
		{"tap", false, "tap.golden"},
		{"tap", true, "tap-verbose.golden"},
		{"junit", false, "junit.golden"},
		{"json", false, "json.golden"},
		{"gradescope", false, "gradescope.golden"},
	}
	for _, tt := range tests {
		t.Run(strings.TrimSuffix(tt.golden, ".golden"), func(t *testing.T) {
			got := writeFormat(t, tt.format, formatReport(), WriteOptions{Verbose: tt.verbose})
			file := filepath.Join("testdata", "format", tt.golden)
			if updateFormats() {
				if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("%s output differs from %s (go test -update rewrites it) %s\ngot:\n%s",
					tt.format, file, firstDiff(string(want), got), got)
			}
		})
	}
}

// firstDiff describes the first line where got differs from want.
func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) && i < len(g); i++ {
		if w[i] != g[i] {
			return fmt.Sprintf("at line %d:\nwant %q\ngot  %q", i+1, w[i], g[i])
		}
	}
	return fmt.Sprintf("in length: want %d lines, got %d", len(w), len(g))
}

// writeFormat writes r in format and fails the test on an error.
func writeFormat(t *testing.T, format string, r *Report, opt WriteOptions) string {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, format, r, opt); err != nil {
		t.Fatalf("Write(%s): %v", format, err)
	}
	return b.String()
}

func TestFormatEveryFormat(t *testing.T) {
	for _, format := range Formats {
		for _, r := range []*Report{formatReport(), {}, nil} {
			out := writeFormat(t, format, r, WriteOptions{})
			if out == "" || !strings.HasSuffix(out, "\n") {
				t.Errorf("%s: output %q does not end in a newline", format, out)
			}
			again := writeFormat(t, format, r, WriteOptions{})
			if again != out {
				t.Errorf("%s: two writes of the same report differ", format)
			}
		}
	}
}

func TestFormatUnknown(t *testing.T) {
	var b bytes.Buffer
	err := Write(&b, "yaml", formatReport(), WriteOptions{})
	if err == nil {
		t.Fatal("Write(yaml) succeeded")
	}
	for _, f := range append([]string{"yaml"}, Formats...) {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error %q does not name %q", err, f)
		}
	}
	if b.Len() != 0 {
		t.Errorf("Write(yaml) wrote %q", b.String())
	}
}

func TestFormatEmpty(t *testing.T) {
	r := &Report{}
	if got, want := writeFormat(t, "text", r, WriteOptions{}), "0 passed, 0 failed\n"; got != want {
		t.Errorf("text: got %q, want %q", got, want)
	}
	if got, want := writeFormat(t, "tap", r, WriteOptions{}), "TAP version 14\n1..0\n# 0 passed, 0 failed\n"; got != want {
		t.Errorf("tap: got %q, want %q", got, want)
	}
	for _, format := range []string{"json", "gradescope"} {
		out := writeFormat(t, format, r, WriteOptions{})
		if !strings.Contains(out, `"tests": []`) {
			t.Errorf("%s: no empty tests list in\n%s", format, out)
		}
	}
	s := junitOf(t, writeFormat(t, "junit", r, WriteOptions{}))
	if s.Tests != 0 || len(s.Suites) != 0 {
		t.Errorf("junit: %d tests in %d suites, want none", s.Tests, len(s.Suites))
	}
}

func TestFormatText(t *testing.T) {
	out := writeFormat(t, "text", formatReport(), WriteOptions{})
	for _, line := range strings.Split(out, "\n") {
		if strings.TrimRight(line, " ") != line {
			t.Errorf("line %q has trailing spaces", line)
		}
	}
	if strings.Contains(out, "\n    kmalloc-32\n") {
		t.Error("the output of an output mismatch is shown besides its diff")
	}
	if strings.Contains(out, "order 3 split") {
		t.Error("the output of a passed test is shown without -v")
	}
	verbose := writeFormat(t, "text", formatReport(), WriteOptions{Verbose: true})
	if !strings.Contains(verbose, "\n    order 3 split\n") {
		t.Error("the output of a passed test is not shown with -v")
	}
}

func TestFormatTAP(t *testing.T) {
	for _, verbose := range []bool{false, true} {
		out := writeFormat(t, "tap", formatReport(), WriteOptions{Verbose: verbose})
		checkTAP(t, out, len(formatReport().Results))
	}
}

var (
	tapPlan  = regexp.MustCompile(`^1\.\.(\d+)$`)
	tapPoint = regexp.MustCompile(`^(not )?ok \d+ - `)
)

// checkTAP checks that every line of out is the version line, the plan,
// a test point, a comment or part of a YAML block, that the plan comes
// second and counts the test points, and that descriptions escape #.
func checkTAP(t *testing.T, out string, n int) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if lines[0] != "TAP version 14" {
		t.Errorf("first line %q is not the version line", lines[0])
	}
	m := tapPlan.FindStringSubmatch(lines[1])
	if m == nil {
		t.Fatalf("second line %q is not a plan", lines[1])
	}
	points := 0
	inYAML, afterPoint := false, false
	for i, line := range lines[2:] {
		switch {
		case inYAML:
			if line == "  ..." {
				inYAML = false
			} else if !strings.HasPrefix(line, "  ") {
				t.Errorf("line %d %q in a YAML block is not indented", i+3, line)
			}
			continue
		case line == "  ---" && afterPoint:
			inYAML = true
		case tapPoint.MatchString(line):
			points++
			desc, _, _ := strings.Cut(tapPoint.ReplaceAllString(line, ""), " # SKIP")
			if strings.Contains(strings.ReplaceAll(desc, `\\`, ""), "#") && !strings.Contains(desc, `\#`) {
				t.Errorf("line %d %q has an unescaped #", i+3, line)
			}
		case strings.HasPrefix(line, "#"):
		default:
			t.Errorf("line %d %q is not TAP", i+3, line)
		}
		afterPoint = tapPoint.MatchString(line)
	}
	if inYAML {
		t.Error("a YAML block is not closed")
	}
	if m[1] != strconv.Itoa(points) || points != n {
		t.Errorf("plan %s, %d test points, %d tests", lines[1], points, n)
	}
}

func TestYAMLQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `""`},
		{"plain", `"plain"`},
		{`a\b"c`, `"a\\b\"c"`},
		{"a\nb\tc\rd", `"a\nb\tc\rd"`},
		{"\x01\x7f\u0085", `"\x01\x7f\x85"`},
		{"\u2028\ufeff\uffff", `"\u2028\ufeff\uffff"`},
		{"bad\xffbyte", "\"bad\ufffdbyte\""},
		{"<tag> # é 世", `"<tag> # é 世"`},
	}
	for _, tt := range tests {
		if got := yamlQuote(tt.in); got != tt.want {
			t.Errorf("yamlQuote(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestYAMLText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"one line\n", "  k: \"one line\"\n"},
		{"a\n\nb\n\n", "  k: |-\n    a\n    \n    b\n"},
		{"  lead\nb", "  k: |2-\n      lead\n    b\n"},
		{"\n lead", "  k: |2-\n    \n     lead\n"},
		{"a\x01\nb", "  k: \"a\\x01\\nb\"\n"},
		{"a\r\nb", "  k: \"a\\r\\nb\"\n"},
	}
	for _, tt := range tests {
		if got := yamlText("k", tt.in); got != tt.want {
			t.Errorf("yamlText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// junitDoc is what a JUnit reader takes from the report.
type junitDoc struct {
	XMLName  xml.Name `xml:"testsuites"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Errors   int      `xml:"errors,attr"`
	Skipped  int      `xml:"skipped,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Errors   int    `xml:"errors,attr"`
		Skipped  int    `xml:"skipped,attr"`
		Cases    []struct {
			Classname string `xml:"classname,attr"`
			Name      string `xml:"name,attr"`
			Failure   *struct {
				Type string `xml:"type,attr"`
				Text string `xml:",chardata"`
			} `xml:"failure"`
			Error     *struct{} `xml:"error"`
			Skipped   *struct{} `xml:"skipped"`
			SystemOut *string   `xml:"system-out"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func junitOf(t *testing.T, out string) *junitDoc {
	t.Helper()
	if !strings.HasPrefix(out, `<?xml version="1.0" encoding="UTF-8"?>`+"\n") {
		t.Errorf("no XML header in\n%s", out)
	}
	var doc junitDoc
	if err := xml.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("junit output does not parse: %v\n%s", err, out)
	}
	return &doc
}

func TestFormatJUnit(t *testing.T) {
	r := formatReport()
	doc := junitOf(t, writeFormat(t, "junit", r, WriteOptions{}))
	if doc.Tests != 7 || doc.Failures != 3 || doc.Errors != 1 || doc.Skipped != 1 {
		t.Errorf("tests=%d failures=%d errors=%d skipped=%d, want 7 3 1 1",
			doc.Tests, doc.Failures, doc.Errors, doc.Skipped)
	}
	var names []string
	var tests, failures, errors, skipped int
	for _, s := range doc.Suites {
		names = append(names, s.Name)
		if s.Tests != len(s.Cases) {
			t.Errorf("suite %s: tests=%d, %d testcases", s.Name, s.Tests, len(s.Cases))
		}
		var f, e, k int
		for _, c := range s.Cases {
			if c.Classname != s.Name {
				t.Errorf("testcase %s: classname %s in suite %s", c.Name, c.Classname, s.Name)
			}
			if c.Failure != nil {
				f++
			}
			if c.Error != nil {
				e++
			}
			if c.Skipped != nil {
				k++
			}
		}
		if f != s.Failures || e != s.Errors || k != s.Skipped {
			t.Errorf("suite %s: counts %d %d %d, testcases %d %d %d",
				s.Name, s.Failures, s.Errors, s.Skipped, f, e, k)
		}
		tests += s.Tests
		failures += s.Failures
		errors += s.Errors
		skipped += s.Skipped
	}
	if tests != doc.Tests || failures != doc.Failures || errors != doc.Errors || skipped != doc.Skipped {
		t.Errorf("suites add up to %d %d %d %d, testsuites says %d %d %d %d",
			tests, failures, errors, skipped, doc.Tests, doc.Failures, doc.Errors, doc.Skipped)
	}
	want := "tests/buddy_test.mms tests/slab_test.mms tests/huge_test.mms tests/bad_test.mms"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("suites %s, want %s", got, want)
	}
	bad := doc.Suites[3].Cases[0]
	if bad.Name != "bad_test.mms" || bad.Failure == nil || bad.Failure.Type != "syntax" {
		t.Errorf("syntax error testcase: %+v", bad)
	}
	assert := doc.Suites[0].Cases[1]
	if assert.Failure == nil || !strings.Contains(assert.Failure.Text, "free = 2 # <tag>\n") {
		t.Errorf("assertion details not kept: %+v", assert.Failure)
	}
	if assert.SystemOut == nil || !strings.Contains(*assert.SystemOut, "back\\slash\uFFFD\n\nbad byte \uFFFD & done") {
		t.Errorf("assertion output not kept, with U+FFFD for what XML cannot carry: %q", *assert.SystemOut)
	}
}

func TestFormatJSON(t *testing.T) {
	r := formatReport()
	var doc struct {
		Version  int
		Passed   int
		Failed   int
		Skipped  int
		Score    *int64
		MaxScore *int64 `json:"max_score"`
		Tests    []map[string]any
	}
	out := writeFormat(t, "json", r, WriteOptions{})
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("json output does not parse: %v\n%s", err, out)
	}
	if doc.Version != 1 || doc.Passed != 2 || doc.Failed != 4 || doc.Skipped != 1 {
		t.Errorf("version %d, counts %d %d %d", doc.Version, doc.Passed, doc.Failed, doc.Skipped)
	}
	if doc.Score == nil || *doc.Score != 5 || doc.MaxScore == nil || *doc.MaxScore != 9 {
		t.Errorf("score %v/%v, want 5/9", doc.Score, doc.MaxScore)
	}
	keys := []string{"number", "file", "name", "status", "points", "score", "visibility",
		"tags", "time", "kind", "message", "details", "output"}
	for i, test := range doc.Tests {
		for _, k := range keys {
			if _, ok := test[k]; !ok {
				t.Errorf("test %d has no %q", i, k)
			}
		}
		if _, ok := test["tags"].([]any); !ok {
			t.Errorf("test %d: tags %v is not a list", i, test["tags"])
		}
		if test["number"] != float64(i+1) {
			t.Errorf("test %d: number %v", i, test["number"])
		}
		if test["output"] != r.Results[i].Output && !strings.Contains(r.Results[i].Output, "\xff") {
			t.Errorf("test %d: output %q, want %q", i, test["output"], r.Results[i].Output)
		}
	}
}

func TestFormatGradescope(t *testing.T) {
	r := formatReport()
	var doc struct {
		Score         *float64
		ExecutionTime *float64 `json:"execution_time"`
		Tests         []struct {
			Score    *float64
			MaxScore *float64 `json:"max_score"`
			Status   string
			Name     string
			Number   string
			Output   *string
			Tags     []string
		}
	}
	out := writeFormat(t, "gradescope", r, WriteOptions{})
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("gradescope output does not parse: %v\n%s", err, out)
	}
	if doc.Score == nil || doc.ExecutionTime == nil {
		t.Fatalf("no score or execution_time in\n%s", out)
	}
	if len(doc.Tests) != len(r.Results) {
		t.Fatalf("%d tests, want %d", len(doc.Tests), len(r.Results))
	}
	var sum, max float64
	for i, test := range doc.Tests {
		if test.Score == nil || test.MaxScore == nil || test.Output == nil || test.Tags == nil {
			t.Errorf("test %d lacks score, max_score, output or tags", i)
			continue
		}
		if test.Status != "passed" && test.Status != "failed" {
			t.Errorf("test %d: status %q", i, test.Status)
		}
		if *test.Score > *test.MaxScore {
			t.Errorf("test %d: score %v above max %v", i, *test.Score, *test.MaxScore)
		}
		sum += *test.Score
		max += *test.MaxScore
	}
	if sum != *doc.Score || sum != 5 || max != 9 {
		t.Errorf("score %v, tests sum to %v/%v, want 5/9", *doc.Score, sum, max)
	}
	skip := doc.Tests[4]
	if skip.Status != "failed" || *skip.Score != 0 || *skip.Output != "skipped: needs hugepages" {
		t.Errorf("skipped test: status %s, score %v, output %q", skip.Status, *skip.Score, *skip.Output)
	}
}
