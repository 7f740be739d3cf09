package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	goruntime "runtime"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"mmsim/internal/grade"
	"mmsim/kernelmodel"
	"mmsim/lang"
	"mmsim/runtime"
	"mmsim/stdlib"
)

// testOptions are the flags of mmsim test.
type testOptions struct {
	options
	format    string
	out       string
	run       *regexp.Regexp
	verbose   bool
	jobs      int
	timeout   time.Duration
	maxMem    uint64
	maxOutput uint64
	libs      []string
}

// Defaults of the per-test limits.
const (
	defaultTimeout   = 10 * time.Second
	defaultMaxMem    = 16 * kernelmodel.GiB
	defaultMaxOutput = 1 * kernelmodel.MiB
)

// Hooks for the command's own tests. elapsed measures a test's time (tests
// make it constant, so reports can be compared); testHook, nil in the
// product, runs at the start of every test, so that a test can make one
// panic or hang; abandonAfter is how long a test cancelled at its timeout
// has to stop before it is abandoned.
var (
	elapsed      = time.Since
	testHook     func(name string)
	abandonAfter = 2 * time.Second
)

// testCase is one test block of a file, or the whole file when it has none.
type testCase struct {
	file   string
	name   string
	f      *lang.File
	block  *lang.TestStmt // nil: the whole file is the test
	plan   grade.Plan
	result *grade.Result // set when the file could not be run at all
}

// test runs *_test.mms files: every test block on a fresh machine after the
// file's top level and setup blocks, up to --jobs at a time, and reports
// them in file and block order whatever the order they finished in.
func (e *env) test(args []string) int {
	o, paths, code := e.testFlags(args)
	if code != exitOK {
		return code
	}
	files, err := findTests(paths)
	if err != nil {
		fmt.Fprintf(e.stderr, "mmsim test: %v\n", err)
		return exitUsage
	}
	var cases []*testCase
	for _, name := range files {
		cs, err := loadCases(name, o.run)
		if err != nil {
			fmt.Fprintf(e.stderr, "mmsim test: %v\n", err)
			return exitUsage
		}
		cases = append(cases, cs...)
	}
	if len(cases) == 0 {
		fmt.Fprintln(e.stderr, "mmsim test: no tests found")
		return exitUsage
	}
	var outFile *os.File
	if o.out != "" {
		if outFile, err = os.Create(o.out); err != nil {
			fmt.Fprintf(e.stderr, "mmsim test: --out: %v\n", err)
			return exitUsage
		}
	}
	start := time.Now()
	rep := &grade.Report{Results: runCases(o, cases)}
	rep.Time = elapsed(start)
	wopt := grade.WriteOptions{Verbose: o.verbose}
	if outFile != nil {
		err := grade.Write(outFile, o.format, rep, wopt)
		if cerr := outFile.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			fmt.Fprintf(e.stderr, "mmsim test: --out: %v\n", err)
			return exitUsage
		}
		o.format = "text"
	}
	if err := grade.Write(e.stdout, o.format, rep, wopt); err != nil {
		fmt.Fprintf(e.stderr, "mmsim test: %v\n", err)
		return exitUsage
	}
	if _, failed, _ := rep.Counts(); failed > 0 {
		return exitFail
	}
	return exitOK
}

// testFlags parses the command line of mmsim test.
func (e *env) testFlags(args []string) (*testOptions, []string, int) {
	o := &testOptions{}
	fset := e.newFlagSet("test", "mmsim test [flags] [PATH...]")
	o.register(fset, "each")
	o.registerLeaks(fset, true)
	fset.StringVar(&o.format, "format", "text", "report format: "+strings.Join(grade.Formats, ", "))
	fset.StringVar(&o.out, "out", "", "write the report to this file; the text report still goes to stdout")
	runRE := fset.String("run", "", "run only tests whose name matches this regular expression")
	fset.BoolVar(&o.verbose, "v", false, "print every test's output")
	fset.IntVar(&o.jobs, "jobs", goruntime.NumCPU(), "run up to this many tests at once")
	fset.DurationVar(&o.timeout, "timeout", defaultTimeout, "fail a test that runs longer than this (0: no limit)")
	o.maxMem, o.maxOutput = defaultMaxMem, defaultMaxOutput
	sizeFlag(fset, "max-mem", &o.maxMem, "fail a test whose machine has more simulated memory than this (0: no limit)")
	sizeFlag(fset, "max-output", &o.maxOutput, "fail a test that prints more than this (0: no limit)")
	fset.Func("lib", "a folder use may also load files from (repeatable)", func(s string) error {
		st, err := os.Stat(s)
		if err != nil {
			return err
		}
		if !st.IsDir() {
			return fmt.Errorf("%s is not a folder", s)
		}
		o.libs = append(o.libs, s)
		return nil
	})
	paths, err := parseFlags(fset, args)
	if err != nil {
		return nil, nil, exitUsage
	}
	if !slices.Contains(grade.Formats, o.format) {
		fmt.Fprintf(e.stderr, "mmsim test: unknown format %q (formats: %s)\n", o.format, strings.Join(grade.Formats, ", "))
		return nil, nil, exitUsage
	}
	if o.jobs < 1 {
		fmt.Fprintf(e.stderr, "mmsim test: --jobs must be at least 1, not %d\n", o.jobs)
		return nil, nil, exitUsage
	}
	if o.timeout < 0 {
		fmt.Fprintf(e.stderr, "mmsim test: --timeout must not be negative\n")
		return nil, nil, exitUsage
	}
	if *runRE != "" {
		if o.run, err = regexp.Compile(*runRE); err != nil {
			fmt.Fprintf(e.stderr, "mmsim test: --run: %v\n", err)
			return nil, nil, exitUsage
		}
	}
	if _, err := runtime.ParseCheckMode(o.check); err != nil {
		fmt.Fprintf(e.stderr, "mmsim test: --check: %v\n", err)
		return nil, nil, exitUsage
	}
	if o.machine != "" {
		if _, err := stdlib.ParseMachine(o.machine); err != nil {
			fmt.Fprintf(e.stderr, "mmsim test: --machine: %v\n", err)
			return nil, nil, exitUsage
		}
	}
	if len(paths) == 0 {
		paths = []string{"."}
	}
	return o, paths, exitOK
}

// sizeFlag defines a flag that takes a size such as 64M.
func sizeFlag(fset interface {
	Func(string, string, func(string) error)
}, name string, p *uint64, usage string) {
	fset.Func(name, fmt.Sprintf("%s (default %s)", usage, kernelmodel.FormatSize(*p)), func(s string) error {
		n, err := kernelmodel.ParseSize(s)
		*p = n
		return err
	})
}

// loadCases parses a test file and returns its tests that --run selects.
// A file that does not parse, or whose expectation comments are wrong, is
// one failed test, whatever --run says: its tests cannot be known.
func loadCases(name string, filter *regexp.Regexp) ([]*testCase, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	src := sources{name: string(data)}
	f, err := lang.Parse(name, string(data))
	var exps []grade.Expectation
	var blocks []*lang.TestStmt
	if err == nil {
		blocks = runtime.Tests(f)
		exps, err = grade.ParseExpectations(f)
	}
	if err == nil {
		err = grade.CheckPlacement(exps, blocks)
	}
	if err != nil {
		var b bytes.Buffer
		src.report(&b, err)
		r := &grade.Result{File: name, Status: grade.Fail, Kind: "syntax", Visibility: "visible",
			Message: firstLine(b.String()), Details: b.String()}
		return []*testCase{{file: name, result: r}}, nil
	}
	plans := grade.Plans(exps, blocks)
	var cases []*testCase
	if len(blocks) == 0 {
		cases = append(cases, &testCase{file: name, name: filepath.Base(name), f: f, plan: plans[0]})
	}
	for i, b := range blocks {
		cases = append(cases, &testCase{file: name, name: b.Name, f: f, block: b, plan: plans[i]})
	}
	var out []*testCase
	for _, c := range cases {
		if filter == nil || filter.MatchString(c.name) {
			out = append(out, c)
		}
	}
	return out, nil
}

// runCases runs the cases on o.jobs workers and returns their results in
// the order of cases.
func runCases(o *testOptions, cases []*testCase) []grade.Result {
	results := make([]grade.Result, len(cases))
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < min(o.jobs, len(cases)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results[i] = runCase(o, cases[i])
				results[i].Number = i + 1
			}
		}()
	}
	for i := range cases {
		next <- i
	}
	close(next)
	wg.Wait()
	return results
}

// outcome is how a test's run ended.
type outcome struct {
	done     bool // the test's goroutine finished (it was not abandoned)
	timedOut bool // the timeout cancelled it (err is that cancellation, unless done is false)
	err      error
	panicked any    // the value of a panic, if the interpreter panicked
	stack    []byte // where it panicked
	leaks    string
}

// runCase runs one test on a new thread and machine, within the limits.
func runCase(o *testOptions, tc *testCase) grade.Result {
	if tc.result != nil {
		return *tc.result
	}
	r := grade.Result{File: tc.file, Name: tc.name, Visibility: "visible"}
	if tc.block != nil {
		r.Points, r.Visibility, r.Tags = staticInfo(tc.block)
	}
	tr := &transcript{max: o.maxOutput}
	src := sources{tc.file: tc.f.Src}
	roots := append([]string{filepath.Dir(tc.file)}, o.libs...)
	th, err := (&env{stdout: tr.writer(true), stderr: tr.writer(false)}).newThread(&o.options, src, roots...)
	if err != nil { // the flags were checked before
		r.Status, r.Kind, r.Message = grade.Fail, "internal", "internal error: "+err.Error()
		return r
	}
	stdlib.HostOf(th).MaxMem = o.maxMem
	tr.th = th
	start := time.Now()
	res := runLimited(o, tc, th)
	r.Time = elapsed(start)
	all, stdout, cut := tr.close()
	if res.done && th.Test != nil {
		r.Points, r.Visibility, r.Tags = th.Test.Points, th.Test.Visibility, th.Test.Tags
	}
	r.Output = all
	if cut {
		if !strings.HasSuffix(r.Output, "\n") {
			r.Output += "\n"
		}
		r.Output += fmt.Sprintf("[output cut at %s]\n", sizeText(o.maxOutput))
	}
	judge(o, &r, tc, res, src, stdout, cut)
	return r
}

// runLimited runs the test in its own goroutine, so that a panic or a run
// that does not stop cannot take the other tests down: past the timeout
// the thread is cancelled, and if it still does not stop it is abandoned.
func runLimited(o *testOptions, tc *testCase, th *runtime.Thread) outcome {
	done := make(chan outcome, 1)
	go func() {
		defer func() {
			if v := recover(); v != nil {
				done <- outcome{done: true, panicked: v, stack: debug.Stack()}
			}
		}()
		if testHook != nil {
			testHook(tc.name)
		}
		res := outcome{done: true}
		if tc.block != nil {
			res.err = th.RunTest(tc.f, tc.block)
		} else {
			res.err = th.ExecFile(tc.f)
		}
		if res.err == nil && o.leaks {
			res.leaks = stdlib.LeakReport(stdlib.HostOf(th))
		}
		done <- res
	}()
	if o.timeout == 0 {
		return <-done
	}
	timer := time.NewTimer(o.timeout)
	defer timer.Stop()
	select {
	case res := <-done:
		return res
	case <-timer.C:
	}
	th.Cancel(timeoutMsg(o.timeout))
	select {
	case res := <-done:
		res.timedOut = runtime.KindOf(res.err) == runtime.KindLimit
		return res
	case <-time.After(abandonAfter):
		return outcome{timedOut: true, err: errors.New(timeoutMsg(o.timeout) + ", and it did not stop when cancelled")}
	}
}

func timeoutMsg(d time.Duration) string {
	return fmt.Sprintf("the test ran longer than %s (raise the limit with --timeout)", d)
}

// judge fills in the result from how the run ended and what it printed.
func judge(o *testOptions, r *grade.Result, tc *testCase, res outcome, src sources, stdout string, cut bool) {
	fail := func(kind, details string) {
		r.Status, r.Kind, r.Details = grade.Fail, kind, details
		r.Message = firstLine(details)
	}
	err := res.err
	switch {
	case res.panicked != nil:
		fail("internal", fmt.Sprintf("internal error: %v\nThis is a bug in mmsim, not in the test: please report it with the test file and this stack trace.\n%s", res.panicked, res.stack))
		return
	case err != nil && runtime.KindOf(err) == runtime.KindSkip:
		var re *runtime.Error
		errors.As(err, &re)
		if re.Pos.File != "" && re.Pos.File != tc.file {
			// Only the test file decides what is skipped: a skip in
			// student code is a failure, or it could dodge the tests.
			var b bytes.Buffer
			src.report(&b, err)
			fail("error", "a file loaded with use cannot skip a test:\n"+b.String())
			return
		}
		r.Status, r.Message = grade.Skip, re.Msg
		return
	case cut:
		fail("limit", fmt.Sprintf("the test printed more than %s, the output limit (raise it with --max-output)", sizeText(o.maxOutput)))
		return
	}
	if err != nil {
		if e, ok := expectedError(tc, err); ok && !res.timedOut && runtime.KindOf(err) != runtime.KindLimit {
			if !strings.Contains(errMsg(err), e.Text) {
				var b bytes.Buffer
				src.report(&b, err)
				fail("assertion", fmt.Sprintf("%s: expect-error: the line failed, but not with %q:\n%s", e.Pos, e.Text, b.String()))
				return
			}
			err = nil // the expected failure: the test goes on to its output
		} else {
			kind := errKind(err)
			if res.timedOut {
				kind = "timeout"
			}
			var b bytes.Buffer
			src.report(&b, err)
			fail(kind, b.String())
			return
		}
	} else if len(tc.plan.Errors) > 0 {
		e := tc.plan.Errors[0]
		fail("assertion", fmt.Sprintf("%s: expect-error: the line was expected to fail with %q, but the test ran to its end without an error\n", e.Pos, e.Text))
		return
	}
	if msg, diff := tc.plan.CheckOutput(tc.file, stdout); msg != "" {
		r.Status, r.Kind, r.Message, r.Details = grade.Fail, "output", msg, diff
		return
	}
	if res.leaks != "" && res.err == nil {
		fail("leaks", res.leaks)
		lines := strings.Split(strings.TrimSpace(res.leaks), "\n")
		r.Message = lines[len(lines)-1] // kmemleak: N new suspected memory leaks
		return
	}
	r.Status = grade.Pass
}

// expectedError returns the expect-error comment of a line the error went
// through: where it happened, or a call in the test file that led there.
func expectedError(tc *testCase, err error) (grade.Expectation, bool) {
	if len(tc.plan.Errors) == 0 {
		return grade.Expectation{}, false
	}
	var lines []int
	var re *runtime.Error
	var le *lang.Error
	switch {
	case errors.As(err, &re):
		if re.Pos.File == tc.file {
			lines = append(lines, re.Pos.Line)
		}
		for _, fr := range re.Stack {
			if fr.Pos.File == tc.file {
				lines = append(lines, fr.Pos.Line)
			}
		}
	case errors.As(err, &le):
		return grade.Expectation{}, false // a syntax error in a used file
	}
	for _, e := range tc.plan.Errors {
		for _, l := range lines {
			if l == e.Pos.Line {
				return e, true
			}
		}
	}
	return grade.Expectation{}, false
}

// errMsg is an error's message without position and kind.
func errMsg(err error) string {
	var re *runtime.Error
	if errors.As(err, &re) {
		return re.Msg
	}
	return err.Error()
}

// errKind names the kind of a test's error for the report (a timeout is
// known to the runner, not from the error).
func errKind(err error) string {
	var le *lang.Error
	if errors.As(err, &le) {
		return "syntax"
	}
	switch k := runtime.KindOf(err); k {
	case runtime.KindAssert:
		return "assertion"
	case runtime.KindInvariant:
		return "invariant"
	case runtime.KindLimit:
		return "limit"
	default:
		return k.ExpectName() // error, bug, segv, oom
	}
}

// staticInfo reads points, visibility and tags from a test header whose
// options are literals, so that a test that fails before its header is
// evaluated (in the top level or setup) still shows what it was worth.
func staticInfo(t *lang.TestStmt) (points int64, visibility string, tags []string) {
	visibility = "visible"
	for _, o := range t.Opts {
		switch v := o.Value.(type) {
		case *lang.IntLit:
			if o.Key == "points" {
				points = int64(v.Value)
			}
		case *lang.StringLit:
			if o.Key == "visibility" && slices.Contains(runtime.Visibilities, v.Value) {
				visibility = v.Value
			}
		case *lang.ListLit:
			if o.Key != "tags" {
				continue
			}
			for _, e := range v.Elems {
				if s, ok := e.(*lang.StringLit); ok {
					tags = append(tags, s.Value)
				}
			}
		}
	}
	return
}

// sizeText writes a size in a binary unit, or in bytes.
func sizeText(n uint64) string {
	if n%kernelmodel.KiB != 0 {
		return fmt.Sprintf("%d bytes", n)
	}
	return kernelmodel.FormatSize(n)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimLeft(s, "\n"), "\n")
	return line
}

// transcript captures what a test prints: everything in order, and its
// standard output alone (what expect comments are compared with). It keeps
// at most max bytes (0: no limit); past that it cancels the test's thread
// and drops the rest. Once closed it drops every write, so that a test
// abandoned at its timeout cannot change a report being written.
type transcript struct {
	mu          sync.Mutex
	all, stdout bytes.Buffer
	max, n      uint64
	cut, closed bool
	th          *runtime.Thread
}

// writer returns the transcript's standard output or standard error.
func (t *transcript) writer(stdout bool) io.Writer { return &stream{t, stdout} }

type stream struct {
	t      *transcript
	stdout bool
}

func (s *stream) Write(p []byte) (int, error) {
	t := s.t
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed || t.cut {
		return len(p), nil
	}
	keep := p
	if t.max != 0 && uint64(len(p)) > t.max-t.n {
		keep = p[:t.max-t.n]
		// Cut at a character boundary, not inside a UTF-8 sequence.
		for i := len(keep) - 1; i >= 0 && i >= len(keep)-utf8.UTFMax; i-- {
			if utf8.RuneStart(keep[i]) {
				if !utf8.FullRune(keep[i:]) {
					keep = keep[:i]
				}
				break
			}
		}
		t.cut = true
		if t.th != nil {
			t.th.Cancel(fmt.Sprintf("the test printed more than %s (raise the limit with --max-output)", sizeText(t.max)))
		}
	}
	t.n += uint64(len(keep))
	t.all.Write(keep)
	if s.stdout {
		t.stdout.Write(keep)
	}
	return len(p), nil
}

// close ends the capture and returns what it holds.
func (t *transcript) close() (all, stdout string, cut bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closed = true
	return t.all.String(), t.stdout.String(), t.cut
}

// findTests expands folders into their *_test.mms files, sorted; files
// named explicitly are taken as they are.
func findTests(paths []string) ([]string, error) {
	var out []string
	seen := map[string]bool{} // a file named twice runs once
	add := func(files ...string) {
		for _, f := range files {
			if key := filepath.Clean(f); !seen[key] {
				seen[key] = true
				out = append(out, f)
			}
		}
	}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			add(p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && strings.HasSuffix(d.Name(), "_test.mms") {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		sort.Strings(found)
		add(found...)
	}
	return out, nil
}
