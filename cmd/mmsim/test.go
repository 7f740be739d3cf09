package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"mmsim/lang"
	"mmsim/runtime"
	"mmsim/stdlib"
)

// testCase is one test block of a file, or the whole file when it has none.
type testCase struct {
	file  string
	name  string
	block *lang.TestStmt // nil: the whole file is the test
}

// test runs *_test.mms files: every test block on a fresh machine after the
// file's top level and setup blocks. The last line of the report is
// "N passed, N failed" (", N skipped" when any were skipped).
func (e *env) test(args []string) int {
	var o options
	fset := e.newFlagSet("test", "mmsim test [flags] [PATH...]")
	o.register(fset, "each")
	format := fset.String("format", "text", "report format (text)")
	runRE := fset.String("run", "", "run only tests whose name matches this regular expression")
	verbose := fset.Bool("v", false, "print every test's output")
	o.registerLeaks(fset, true)
	paths, err := parseFlags(fset, args)
	if err != nil {
		return exitUsage
	}
	if *format != "text" {
		fmt.Fprintf(e.stderr, "mmsim test: unknown format %q (this version writes text)\n", *format)
		return exitUsage
	}
	var filter *regexp.Regexp
	if *runRE != "" {
		if filter, err = regexp.Compile(*runRE); err != nil {
			fmt.Fprintf(e.stderr, "mmsim test: --run: %v\n", err)
			return exitUsage
		}
	}
	if len(paths) == 0 {
		paths = []string{"."}
	}
	files, err := findTests(paths)
	if err != nil {
		fmt.Fprintf(e.stderr, "mmsim test: %v\n", err)
		return exitUsage
	}
	passed, failed, skipped := 0, 0, 0
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			fmt.Fprintf(e.stderr, "mmsim test: %v\n", err)
			return exitUsage
		}
		src := sources{name: string(data)}
		f, err := lang.Parse(name, string(data))
		if err != nil {
			fmt.Fprintf(e.stdout, "FAIL %s\n", name)
			var b bytes.Buffer
			src.report(&b, err)
			fmt.Fprint(e.stdout, indent(b.String()))
			failed++
			continue
		}
		cases := []testCase{{file: name, name: filepath.Base(name)}}
		if blocks := runtime.Tests(f); len(blocks) > 0 {
			cases = cases[:0]
			for _, b := range blocks {
				cases = append(cases, testCase{file: name, name: b.Name, block: b})
			}
		}
		for _, tc := range cases {
			if filter != nil && !filter.MatchString(tc.name) {
				continue
			}
			var out bytes.Buffer
			th, err := (&env{stdout: &out, stderr: &out}).newThread(&o, filepath.Dir(name), src)
			if err != nil {
				fmt.Fprintf(e.stderr, "mmsim test: %v\n", err)
				return exitUsage
			}
			if tc.block != nil {
				err = th.RunTest(f, tc.block)
			} else {
				err = th.ExecFile(f)
			}
			label := tc.file + ": " + tc.name
			leaks := ""
			if err == nil && o.leaks {
				leaks = stdlib.LeakReport(stdlib.HostOf(th))
			}
			switch {
			case err == nil && leaks != "":
				failed++
				fmt.Fprintf(e.stdout, "FAIL %s\n", label)
				fmt.Fprint(&out, leaks)
				err = errors.New("leaks")
			case err == nil:
				passed++
				fmt.Fprintf(e.stdout, "ok   %s\n", label)
			case runtime.KindOf(err) == runtime.KindSkip:
				skipped++
				var re *runtime.Error
				errors.As(err, &re)
				fmt.Fprintf(e.stdout, "skip %s (%s)\n", label, re.Msg)
			default:
				failed++
				fmt.Fprintf(e.stdout, "FAIL %s\n", label)
				src.report(&out, err)
			}
			if (err != nil && runtime.KindOf(err) != runtime.KindSkip) || *verbose {
				fmt.Fprint(e.stdout, indent(out.String()))
			}
		}
	}
	if passed+failed+skipped == 0 {
		fmt.Fprintln(e.stderr, "mmsim test: no tests found")
		return exitUsage
	}
	summary := fmt.Sprintf("%d passed, %d failed", passed, failed)
	if skipped > 0 {
		summary += fmt.Sprintf(", %d skipped", skipped)
	}
	fmt.Fprintln(e.stdout, summary)
	if failed > 0 {
		return exitFail
	}
	return exitOK
}

func indent(s string) string {
	if s == "" {
		return ""
	}
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return "    " + strings.Join(lines, "\n    ") + "\n"
}

// findTests expands folders into their *_test.mms files, sorted; files
// named explicitly are taken as they are.
func findTests(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, p)
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
		out = append(out, found...)
	}
	return out, nil
}
