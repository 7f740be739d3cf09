package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The example course set-up in examples/autograder: 13 tests worth 20
// points, graded against a reference solution, a wrong solution, the
// students' template and a submission without student.mms.

const autograderMaxScore = 20

// autograderTests are the names of the example's tests, in report order.
var autograderTests = []string{
	"buddy_order: one page or less",
	"buddy_order: powers of two and one byte more",
	"buddy_order: agrees with the page allocator",
	"buddy_order: rejects sizes no block holds",
	"kmalloc_cache_name: the power-of-two caches",
	"kmalloc_cache_name: the 96 and 192 caches",
	"kmalloc_cache_name: every size from 1 to 8192",
	"kmalloc_cache_name: rejects sizes without a cache",
	"pages_touched: inside one page",
	"pages_touched: agrees with the page faults",
	"cow_after_fork: the child writes nothing",
	"cow_after_fork: agrees with the fault counters",
	"cow_after_fork: rejects impossible counts",
}

// agReport is the part of mmsim test's JSON report (version 1) that the
// test reads.
type agReport struct {
	Version  int      `json:"version"`
	Passed   int      `json:"passed"`
	Failed   int      `json:"failed"`
	Skipped  int      `json:"skipped"`
	Score    int64    `json:"score"`
	MaxScore int64    `json:"max_score"`
	Tests    []agTest `json:"tests"`
}

type agTest struct {
	Number     int      `json:"number"`
	File       string   `json:"file"`
	Name       string   `json:"name"`
	Status     string   `json:"status"`
	Points     int64    `json:"points"`
	Score      int64    `json:"score"`
	Visibility string   `json:"visibility"`
	Tags       []string `json:"tags"`
	Kind       string   `json:"kind"`
	Message    string   `json:"message"`
	Details    string   `json:"details"`
	Output     string   `json:"output"`
}

func autograderDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../../examples/autograder")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// gradeSubmission runs mmsim test on the example's tests with lib as the
// folder of the submission, and returns the exit code and the report.
func gradeSubmission(t *testing.T, lib string) (int, agReport) {
	t.Helper()
	tests := filepath.Join(autograderDir(t), "tests")
	var stdout, stderr bytes.Buffer
	code := Main([]string{"test", "--format", "json", "--lib", lib, tests}, strings.NewReader(""), &stdout, &stderr)
	var rep agReport
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("mmsim test --lib %s: exit %d, no JSON report (%v)\nstdout:\n%s\nstderr:\n%s", lib, code, err, stdout.String(), stderr.String())
	}
	if rep.Version != 1 {
		t.Errorf("report version %d, want 1", rep.Version)
	}
	var names []string
	for _, tt := range rep.Tests {
		names = append(names, tt.Name)
	}
	if !slices.Equal(names, autograderTests) {
		t.Fatalf("the report's tests are\n  %s\nwant\n  %s", strings.Join(names, "\n  "), strings.Join(autograderTests, "\n  "))
	}
	if rep.MaxScore != autograderMaxScore {
		t.Errorf("max_score %d, want %d", rep.MaxScore, autograderMaxScore)
	}
	if rep.Passed+rep.Failed+rep.Skipped != len(rep.Tests) {
		t.Errorf("passed %d + failed %d + skipped %d != %d tests", rep.Passed, rep.Failed, rep.Skipped, len(rep.Tests))
	}
	return code, rep
}

// failing returns the names of the tests that did not pass.
func failing(rep agReport) []string {
	var out []string
	for _, tt := range rep.Tests {
		if tt.Status != "passed" {
			out = append(out, tt.Name)
		}
	}
	return out
}

func logFailures(t *testing.T, rep agReport) {
	t.Helper()
	for _, tt := range rep.Tests {
		if tt.Status != "passed" {
			t.Logf("%s: %s (%s)\n%s", tt.Name, tt.Status, tt.Kind, tt.Details)
		}
	}
}

// copyFile copies src to dst, making dst's folder.
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestAutograderExample(t *testing.T) {
	dir := autograderDir(t)

	t.Run("reference", func(t *testing.T) {
		code, rep := gradeSubmission(t, filepath.Join(dir, "solution"))
		if code != exitOK || rep.Score != autograderMaxScore || rep.Failed != 0 {
			logFailures(t, rep)
			t.Fatalf("reference solution: exit %d, score %d/%d, %d failed; want exit 0 and full marks", code, rep.Score, rep.MaxScore, rep.Failed)
		}
		// The set-up shows every kind of test header the handout talks about.
		vis := map[string]int{}
		var sum int64
		for _, tt := range rep.Tests {
			vis[tt.Visibility]++
			sum += tt.Points
			if tt.Points <= 0 || len(tt.Tags) == 0 {
				t.Errorf("%s: points %d, tags %v; every test should have both", tt.Name, tt.Points, tt.Tags)
			}
		}
		if sum != autograderMaxScore {
			t.Errorf("the tests' points add up to %d, want %d", sum, autograderMaxScore)
		}
		for _, v := range []string{"visible", "hidden", "after_due_date"} {
			if vis[v] == 0 {
				t.Errorf("no test with visibility %s (have %v)", v, vis)
			}
		}
		// Output checked by # expect: comments is what the test printed.
		if out := rep.Tests[1].Output; !strings.HasPrefix(out, "4096 -> 0\n4097 -> 1\n") {
			t.Errorf("%s printed %q", rep.Tests[1].Name, out)
		}
	})

	t.Run("wrong", func(t *testing.T) {
		code, rep := gradeSubmission(t, filepath.Join(dir, "wrong"))
		want := []string{
			"buddy_order: powers of two and one byte more",
			"buddy_order: agrees with the page allocator",
			"kmalloc_cache_name: the 96 and 192 caches",
			"kmalloc_cache_name: every size from 1 to 8192",
			"cow_after_fork: rejects impossible counts",
		}
		if got := failing(rep); !slices.Equal(got, want) {
			logFailures(t, rep)
			t.Errorf("failing tests:\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
		}
		if code != exitFail || rep.Score != 11 {
			t.Errorf("wrong solution: exit %d, score %d/%d; want exit 1, score 11", code, rep.Score, rep.MaxScore)
		}
		// How each mistake shows: an output diff, a failed assert naming
		// the model's answer, an expect that saw no error.
		kinds := map[string]string{}
		for _, tt := range rep.Tests {
			kinds[tt.Name] = tt.Kind
		}
		for name, kind := range map[string]string{
			"buddy_order: powers of two and one byte more": "output",
			"kmalloc_cache_name: the 96 and 192 caches":    "assertion",
			"cow_after_fork: rejects impossible counts":    "assertion",
		} {
			if kinds[name] != kind {
				t.Errorf("%s failed with kind %q, want %q", name, kinds[name], kind)
			}
		}
		for _, tt := range rep.Tests {
			if tt.Name == "kmalloc_cache_name: the 96 and 192 caches" && !strings.Contains(tt.Message, "kmalloc(65) comes from kmalloc-96") {
				t.Errorf("%s: message %q does not give the model's answer", tt.Name, tt.Message)
			}
		}
	})

	t.Run("template", func(t *testing.T) {
		sub := t.TempDir()
		copyFile(t, filepath.Join(dir, "student_template.mms"), filepath.Join(sub, "student.mms"))
		code, rep := gradeSubmission(t, sub)
		if code != exitFail || rep.Score != 0 || rep.Failed != len(autograderTests) {
			logFailures(t, rep)
			t.Errorf("template: exit %d, score %d, %d failed; want exit 1, score 0, every test failed", code, rep.Score, rep.Failed)
		}
	})

	t.Run("no student.mms", func(t *testing.T) {
		sub := t.TempDir()
		if err := os.WriteFile(filepath.Join(sub, "student.txt"), []byte("fn buddy_order(size) { return 0 }\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		code, rep := gradeSubmission(t, sub)
		if code != exitFail || rep.Score != 0 {
			t.Errorf("no student.mms: exit %d, score %d; want exit 1, score 0", code, rep.Score)
		}
		for _, tt := range rep.Tests {
			if tt.Status != "failed" || tt.Kind != "error" || !strings.Contains(tt.Message, `use "student.mms": no such file`) {
				t.Errorf("%s: %s, kind %q, message %q; want a failure naming the missing file", tt.Name, tt.Status, tt.Kind, tt.Message)
			}
		}
	})
}

// agGradescope is the part of results.json the test reads.
type agGradescope struct {
	Score  *float64 `json:"score"`
	Output string   `json:"output"`
	Tests  []struct {
		Score      float64 `json:"score"`
		MaxScore   float64 `json:"max_score"`
		Status     string  `json:"status"`
		Name       string  `json:"name"`
		Visibility string  `json:"visibility"`
	} `json:"tests"`
}

// TestAutograderGradescope runs examples/autograder/run_autograder the way
// Gradescope would, with its folders under a temporary AUTOGRADER_ROOT and
// a freshly built mmsim on PATH.
func TestAutograderGradescope(t *testing.T) {
	if testing.Short() {
		t.Skip("builds mmsim")
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build mmsim with")
	}
	dir := autograderDir(t)
	bin := t.TempDir()
	build := exec.Command(goTool, "build", "-o", filepath.Join(bin, "mmsim"), ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	testFiles, err := filepath.Glob(filepath.Join(dir, "tests", "*_test.mms"))
	if err != nil || len(testFiles) == 0 {
		t.Fatalf("no tests in %s (%v)", dir, err)
	}

	// grade lays out a Gradescope root whose submission folder gets
	// files (name -> source file), runs run_autograder and returns
	// results.json.
	grade := func(t *testing.T, files map[string]string) agGradescope {
		t.Helper()
		root := t.TempDir()
		for _, f := range testFiles {
			copyFile(t, f, filepath.Join(root, "source", "tests", filepath.Base(f)))
		}
		if err := os.MkdirAll(filepath.Join(root, "submission"), 0o755); err != nil {
			t.Fatal(err)
		}
		for name, src := range files {
			copyFile(t, src, filepath.Join(root, "submission", name))
		}
		cmd := exec.Command(bash, filepath.Join(dir, "run_autograder"))
		cmd.Env = append(os.Environ(),
			"AUTOGRADER_ROOT="+root,
			"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("run_autograder: %v (it must exit 0 whatever the tests did)\n%s", err, out)
		}
		data, err := os.ReadFile(filepath.Join(root, "results", "results.json"))
		if err != nil {
			t.Fatalf("no results.json: %v\nrun_autograder printed:\n%s", err, out)
		}
		var res agGradescope
		if err := json.Unmarshal(data, &res); err != nil {
			t.Fatalf("results.json is not JSON: %v\n%s", err, data)
		}
		if res.Score == nil {
			t.Fatalf("results.json has no score:\n%s", data)
		}
		return res
	}

	check := func(t *testing.T, res agGradescope, score float64, failed int) {
		t.Helper()
		if *res.Score != score {
			t.Errorf("score %v, want %v", *res.Score, score)
		}
		if len(res.Tests) != len(autograderTests) {
			t.Fatalf("%d tests in results.json, want %d", len(res.Tests), len(autograderTests))
		}
		var max, sum float64
		nFailed := 0
		for i, tt := range res.Tests {
			max += tt.MaxScore
			sum += tt.Score
			if tt.Status == "failed" {
				nFailed++
			}
			// Names are relative to /autograder/source: no absolute paths.
			if !strings.HasPrefix(tt.Name, "tests/") || !strings.HasSuffix(tt.Name, ": "+autograderTests[i]) {
				t.Errorf("test %d is named %q", i+1, tt.Name)
			}
		}
		if max != autograderMaxScore || sum != *res.Score || nFailed != failed {
			t.Errorf("max_score adds up to %v (want %d), scores to %v (want %v), %d failed (want %d)", max, autograderMaxScore, sum, *res.Score, nFailed, failed)
		}
	}

	t.Run("wrong", func(t *testing.T) {
		res := grade(t, map[string]string{"student.mms": filepath.Join(dir, "wrong", "student.mms")})
		check(t, res, 11, 5)
	})
	t.Run("reference in a folder", func(t *testing.T) {
		res := grade(t, map[string]string{"hw3/student.mms": filepath.Join(dir, "solution", "student.mms")})
		check(t, res, autograderMaxScore, 0)
	})
	t.Run("no student.mms", func(t *testing.T) {
		res := grade(t, map[string]string{"hw3/solution.mms": filepath.Join(dir, "solution", "student.mms")})
		if *res.Score != 0 || len(res.Tests) != 0 || !strings.Contains(res.Output, "No student.mms found") || !strings.Contains(res.Output, "hw3") {
			t.Errorf("results.json: score %v, %d tests, output %q; want 0, none, and a message naming what was uploaded", *res.Score, len(res.Tests), res.Output)
		}
	})
}
