package examples_test

// Golden tests for the examples: every examples/*.mms runs in-process as
// `mmsim run NAME.mms` would run it from this folder, and its output (stdout
// and stderr interleaved, in order) plus a last line "exit: N" must equal
// NAME.out. go test ./examples -update rewrites the .out files.

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mmsim/lang"
	"mmsim/runtime"
	"mmsim/stdlib"
)

var update = flag.Bool("update", false, "rewrite the golden .out files")

func TestExamples(t *testing.T) {
	files, err := filepath.Glob("*.mms")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no examples/*.mms")
	}
	for _, name := range files {
		t.Run(strings.TrimSuffix(name, ".mms"), func(t *testing.T) {
			data, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			got := runExample(name, string(data))
			if again := runExample(name, string(data)); again != got {
				t.Errorf("%s is not deterministic: a second run differs at %s", name, firstDiff(got, again))
			}
			golden := strings.TrimSuffix(name, ".mms") + ".out"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (create it with go test ./examples -update)", err)
			}
			if got != string(want) {
				t.Errorf("%s: output differs from %s at %s\n--- got:\n%s--- want:\n%s(rewrite with go test ./examples -update)",
					name, golden, firstDiff(got, string(want)), got, want)
			}
		})
	}
}

// runExample mirrors cmd/mmsim/run.go for `mmsim run NAME` with the default
// flags: check mode end, the default step limit, use sandboxed to this
// folder, diagnostics with the source line and a caret.
func runExample(name, text string) string {
	var out bytes.Buffer
	src := sources{name: text}
	th, _ := stdlib.NewThread(&out, &out)
	mode, err := runtime.ParseCheckMode("end")
	if err != nil {
		panic(err)
	}
	th.CheckMode = mode
	th.MaxSteps = runtime.DefaultMaxSteps
	th.Load = (&loader{roots: []string{filepath.Dir(name)}, src: src}).load
	f, err := lang.Parse(name, text)
	if err != nil {
		src.report(&out, err)
		fmt.Fprintf(&out, "exit: %d\n", exitCode(err))
		return out.String()
	}
	err = th.ExecFile(f)
	if n := len(runtime.Tests(f)); n > 0 && err == nil {
		fmt.Fprintf(&out, "note: %s has %d test block%s; run them with mmsim test %s\n", name, n, plural(n), name)
	}
	if err != nil {
		if runtime.KindOf(err) == runtime.KindSkip {
			fmt.Fprintf(&out, "%s\n", strings.TrimPrefix(err.Error(), ": "))
		} else {
			src.report(&out, err)
		}
	}
	fmt.Fprintf(&out, "exit: %d\n", exitCode(err))
	return out.String()
}

// Exit codes, as in cmd/mmsim/main.go.
const (
	exitOK      = 0
	exitFail    = 1
	exitSyntax  = 65
	exitRuntime = 70
)

// exitCode is cmd/mmsim/main.go's exitCode.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var le *lang.Error
	if errors.As(err, &le) {
		return exitSyntax
	}
	switch runtime.KindOf(err) {
	case runtime.KindAssert:
		return exitFail
	case runtime.KindSkip:
		return exitOK
	}
	return exitRuntime
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// sources and report are cmd/mmsim/main.go's: the diagnostic (with a
// backtrace when inside functions), then the source line and a caret.
type sources map[string]string

func (src sources) report(w *bytes.Buffer, err error) {
	var pos lang.Pos
	var le *lang.Error
	var re *runtime.Error
	switch {
	case errors.As(err, &le):
		fmt.Fprintln(w, le.Error())
		pos = le.Pos
	case errors.As(err, &re):
		fmt.Fprintln(w, re.Backtrace())
		pos = re.Pos
	default:
		fmt.Fprintln(w, err)
		return
	}
	if line, ok := src.line(pos); ok {
		fmt.Fprintf(w, "    %s\n    %s^\n", line, caretPad(line, pos.Col))
	}
}

func (src sources) line(p lang.Pos) (string, bool) {
	text, ok := src[p.File]
	if !ok || p.Line < 1 {
		return "", false
	}
	lines := strings.Split(text, "\n")
	if p.Line > len(lines) {
		return "", false
	}
	line := strings.TrimRight(lines[p.Line-1], "\r")
	if strings.TrimSpace(line) == "" || len(line) > 200 {
		return "", false
	}
	return line, true
}

func caretPad(line string, col int) string {
	var b strings.Builder
	n := 0
	for _, r := range line {
		if n++; n >= col {
			break
		}
		if r == '\t' {
			b.WriteByte('\t')
		} else {
			b.WriteByte(' ')
		}
	}
	return b.String()
}

// loader is cmd/mmsim/run.go's sandbox for use: relative paths only, no
// "..", no link that leads outside the roots.
type loader struct {
	roots []string
	src   sources
}

func (l *loader) load(th *runtime.Thread, from lang.Pos, path string) (*lang.File, error) {
	if path == "" || filepath.IsAbs(path) || strings.HasPrefix(path, "/") || strings.Contains(path, "\\") {
		return nil, fmt.Errorf("use %q: the path must be relative to the script's folder", path)
	}
	for _, part := range strings.Split(path, "/") {
		if part == ".." {
			return nil, fmt.Errorf("use %q: the path may not leave the script's folder (no ..)", path)
		}
	}
	var lastErr error
	for _, root := range l.roots {
		f, err := l.loadFrom(root, path)
		if err == nil {
			return f, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

func (l *loader) loadFrom(root, path string) (*lang.File, error) {
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return nil, fmt.Errorf("use %q: %v", path, err)
	}
	full := filepath.Join(root, filepath.FromSlash(path))
	real, err := filepath.EvalSymlinks(full)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("use %q: no such file in %s", path, root)
		}
		return nil, fmt.Errorf("use %q: %v", path, err)
	}
	rel, err := filepath.Rel(realRoot, real)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return nil, fmt.Errorf("use %q: the file is a link to outside the script's folder", path)
	}
	st, err := os.Stat(real)
	if err != nil || !st.Mode().IsRegular() {
		return nil, fmt.Errorf("use %q: not a regular file", path)
	}
	if st.Size() > lang.MaxSourceSize {
		return nil, fmt.Errorf("use %q: file is too large", path)
	}
	data, err := os.ReadFile(real)
	if err != nil {
		return nil, fmt.Errorf("use %q: %v", path, err)
	}
	l.src[full] = string(data)
	return lang.Parse(full, string(data))
}

// firstDiff names the first line where a and b differ.
func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y || i >= len(al) || i >= len(bl) {
			return fmt.Sprintf("line %d: %q vs %q", i+1, x, y)
		}
	}
	return "no line (they are equal)"
}
