package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/chzyer/readline"

	"mmsim/runtime"
)

// ctrlC in a fakeReader's lines stands for the user pressing Ctrl-C.
const ctrlC = "\x03<Ctrl-C>"

// fakeReader is a lineReader that returns its lines one by one, then io.EOF.
// It records the prompts set, the entries saved to history, and what the
// session had written to stdout when each line was read.
type fakeReader struct {
	lines   []string
	out     *bytes.Buffer // the session's stdout, for seen
	prompts []string
	history []string
	seen    []string // seen[i]: stdout before the i-th Readline
}

func (f *fakeReader) Readline() (string, error) {
	if f.out != nil {
		f.seen = append(f.seen, f.out.String())
	}
	if len(f.lines) == 0 {
		return "", io.EOF
	}
	line := f.lines[0]
	f.lines = f.lines[1:]
	if line == ctrlC {
		return "", readline.ErrInterrupt
	}
	return line, nil
}

func (f *fakeReader) SetPrompt(p string)         { f.prompts = append(f.prompts, p) }
func (f *fakeReader) SaveHistory(s string) error { f.history = append(f.history, s); return nil }
func (f *fakeReader) Close() error               { return nil }

var _ lineReader = (*fakeReader)(nil)

// replRun is one session fed some lines: what it printed and its exit code.
type replRun struct {
	s        *session
	rl       *fakeReader
	out, err *bytes.Buffer
	code     int
}

func newTestSession(t *testing.T) (*session, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	var out, errb bytes.Buffer
	s, err := (&env{stdout: &out, stderr: &errb}).newSession(&options{check: "each"})
	if err != nil {
		t.Fatalf("newSession: %v", err)
	}
	return s, &out, &errb
}

// runREPL feeds lines to a new session's loop.
func runREPL(t *testing.T, lines ...string) *replRun {
	t.Helper()
	s, out, errb := newTestSession(t)
	r := &replRun{s: s, out: out, err: errb}
	r.feed(t, lines...)
	return r
}

// feed runs the session's loop again on more lines.
func (r *replRun) feed(t *testing.T, lines ...string) {
	t.Helper()
	r.rl = &fakeReader{lines: slices.Clone(lines), out: r.out}
	r.code = r.s.loop(r.rl)
	t.Logf("input:\n%s\nstdout:\n%sstderr:\n%sexit code %d", strings.Join(lines, "\n"), r.out, r.err, r.code)
}

func (r *replRun) wantOut(t *testing.T, want string) {
	t.Helper()
	if got := r.out.String(); got != want {
		t.Errorf("stdout = %q, want %q", got, want)
	}
}

func (r *replRun) wantNoErr(t *testing.T) {
	t.Helper()
	if r.err.Len() > 0 || r.code != exitOK {
		t.Errorf("exit code %d, stderr %q; want 0 and no errors", r.code, r.err)
	}
}

func (r *replRun) global(name string) (string, bool) {
	v, ok := r.s.th.Global(name)
	if !ok {
		return "", false
	}
	return runtime.Repr(v), true
}

func TestREPLMultiLineBlock(t *testing.T) {
	r := runREPL(t,
		"fn add(a, b) {",
		"  return a + b",
		"}",
		"add(2, 3)",
		"if add(1, 1) == 2 {",
		`  print "two"`,
		"}",
	)
	r.wantNoErr(t)
	r.wantOut(t, "5\ntwo\n")
	wantPrompts := []string{prompt, contPrompt, contPrompt, prompt, prompt, contPrompt, contPrompt, prompt}
	if !reflect.DeepEqual(r.rl.prompts, wantPrompts) {
		t.Errorf("prompts = %q, want %q", r.rl.prompts, wantPrompts)
	}
	// The if block ran once, when its } was typed, and not before.
	if want := []string{"", "", "", "", "5\n", "5\n", "5\n", "5\ntwo\n"}; !reflect.DeepEqual(r.rl.seen, want) {
		t.Errorf("stdout before each read = %q, want %q", r.rl.seen, want)
	}
	// A multi-line entry is one history entry.
	wantHistory := []string{"fn add(a, b) {\n  return a + b\n}", "add(2, 3)", "if add(1, 1) == 2 {\n  print \"two\"\n}"}
	if !reflect.DeepEqual(r.rl.history, wantHistory) {
		t.Errorf("history = %q, want %q", r.rl.history, wantHistory)
	}
}

func TestREPLNestedBlocksAndBrackets(t *testing.T) {
	// Every line but the last leaves a block or a bracket open.
	r := runREPL(t,
		"for i in 0..3 {",
		"  if i == 1 {",
		"    l = [i,",
		"      i * 10]",
		"  }",
		"}",
		"l",
	)
	r.wantNoErr(t)
	r.wantOut(t, "[1, 10]\n")
	wantPrompts := []string{prompt, contPrompt, contPrompt, contPrompt, contPrompt, contPrompt, prompt, prompt}
	if !reflect.DeepEqual(r.rl.prompts, wantPrompts) {
		t.Errorf("prompts = %q, want %q", r.rl.prompts, wantPrompts)
	}

	r = runREPL(t,
		"if true {",
		"  if false {",
		`    print "not printed"`,
		"  }",
		"  if true {",
		`    print "inner"`,
		"  }",
		"  m = {",
		`    "k": len([1,`,
		"      2]),",
		"  }",
		"}",
		"m",
	)
	r.wantNoErr(t)
	r.wantOut(t, "inner\n{\"k\": 2}\n")
}

func TestREPLBackslashContinuation(t *testing.T) {
	r := runREPL(t, `x = 1 + \`, "  2", "print x")
	r.wantNoErr(t)
	r.wantOut(t, "3\n")
	if want := []string{prompt, contPrompt, prompt, prompt}; !reflect.DeepEqual(r.rl.prompts, want) {
		t.Errorf("prompts = %q, want %q", r.rl.prompts, want)
	}
}

func TestREPLLineThatCannotContinue(t *testing.T) {
	// A new line ends a statement, so "x = (" is an error at once: it must
	// not wait for more and swallow the next line.
	r := runREPL(t, "x = (", `print "next"`)
	if r.code != exitSyntax {
		t.Errorf("exit code %d, want %d", r.code, exitSyntax)
	}
	r.wantOut(t, "next\n")
	if want := "<stdin>:1:6: syntax error: unexpected end of line"; !strings.HasPrefix(r.err.String(), want) {
		t.Errorf("stderr = %q, want it to start with %q", r.err, want)
	}
	if !reflect.DeepEqual(r.rl.prompts, []string{prompt, prompt, prompt}) {
		t.Errorf("prompts = %q, want no continuation prompt", r.rl.prompts)
	}
}

func TestREPLBlankLineSubmits(t *testing.T) {
	r := runREPL(t,
		"x = 1",
		"if x == 1 {",
		`  print "inside"`,
		"",
		`print "after"`,
	)
	if r.code != exitSyntax {
		t.Errorf("exit code %d, want %d", r.code, exitSyntax)
	}
	r.wantOut(t, "after\n")
	if want := `syntax error: unexpected end of input, expected "}"`; !strings.Contains(r.err.String(), want) {
		t.Errorf("stderr = %q, want it to contain %q", r.err, want)
	}
	// The entry spans lines 2 to 4, and the error is at its end.
	if want := "<stdin>:5:1: "; !strings.HasPrefix(r.err.String(), want) {
		t.Errorf("stderr = %q, want it to start with %q", r.err, want)
	}
	wantPrompts := []string{prompt, prompt, contPrompt, contPrompt, prompt, prompt}
	if !reflect.DeepEqual(r.rl.prompts, wantPrompts) {
		t.Errorf("prompts = %q, want %q", r.rl.prompts, wantPrompts)
	}
	// Blank lines between entries are ignored.
	r = runREPL(t, "", "  ", "print 1", "", "print 2")
	r.wantNoErr(t)
	r.wantOut(t, "1\n2\n")
}

func TestREPLErrorRecovery(t *testing.T) {
	r := runREPL(t,
		"x = 1",
		"fn inc(n) { return n + 1 }",
		"y = nothing_here",       // a runtime error
		"z = 1 / 0",              // another
		"w = (1 + ",              // a syntax error
		"fn bad() { return +* }", // a syntax error in a definition
		"x = inc(x)",
		"print x",
		"a = 1; b = 1 / 0; c = 3", // fails half way
	)
	if r.code != exitRuntime {
		t.Errorf("exit code %d, want %d (that of the last error)", r.code, exitRuntime)
	}
	r.wantOut(t, "2\n")
	if got, _ := r.global("x"); got != "2" {
		t.Errorf("x = %s, want 2: the variables defined before the errors are intact", got)
	}
	for _, name := range []string{"y", "z", "w", "bad", "b", "c"} {
		if v, ok := r.global(name); ok {
			t.Errorf("%s = %s after a failing statement; want it undefined", name, v)
		}
	}
	// Statements run one by one: those before the failure keep their effect.
	if got, _ := r.global("a"); got != "1" {
		t.Errorf("a = %q, want 1", got)
	}
	for _, want := range []string{
		"<stdin>:3:5: error: undefined: nothing_here\n    y = nothing_here\n        ^\n",
		"<stdin>:4:7: error: division by zero\n    z = 1 / 0\n          ^\n",
		"<stdin>:5:",
		"<stdin>:6:",
		"<stdin>:9:",
	} {
		if !strings.Contains(r.err.String(), want) {
			t.Errorf("stderr does not contain %q", want)
		}
	}
	// The session goes on after the errors.
	r.feed(t, "print inc(x) * 10")
	if !strings.HasSuffix(r.out.String(), "30\n") {
		t.Errorf("stdout = %q, want it to end in 30", r.out)
	}
	if r.code != exitOK {
		t.Errorf("exit code %d for a session without errors, want 0", r.code)
	}
}

func TestREPLKernelBugIsRecoverable(t *testing.T) {
	r := runREPL(t,
		"x = 7",
		"atomic { cpu 1 { } }",
		"print x",
	)
	if r.code != exitRuntime {
		t.Errorf("exit code %d, want %d", r.code, exitRuntime)
	}
	if !strings.Contains(r.err.String(), "kernel BUG: scheduling while atomic") {
		t.Errorf("stderr = %q, want a kernel BUG", r.err)
	}
	r.wantOut(t, "7\n")
}

func TestREPLInterrupt(t *testing.T) {
	r := runREPL(t,
		"x = 1",
		"if true {",
		"  x = 2",
		ctrlC,
		"print x",
		ctrlC, // on an empty line: nothing to cancel
		"fn f() {",
		ctrlC,
		"f",
	)
	r.wantOut(t, "1\n")
	if got, _ := r.global("x"); got != "1" {
		t.Errorf("x = %s, want 1: the cancelled block must not run", got)
	}
	if _, ok := r.global("f"); ok {
		t.Errorf("f is defined; the cancelled fn must not be")
	}
	// Discarded lines still count: "f" is the sixth line entered.
	if want := "<stdin>:6:1: error: undefined: f (did you mean x?)\n    f\n    ^\n"; r.err.String() != want {
		t.Errorf("stderr = %q, want %q", r.err, want)
	}
	// After Ctrl-C the prompt is the primary one again.
	wantPrompts := []string{prompt, prompt, contPrompt, contPrompt, prompt, prompt, prompt, contPrompt, prompt, prompt}
	if !reflect.DeepEqual(r.rl.prompts, wantPrompts) {
		t.Errorf("prompts = %q, want %q", r.rl.prompts, wantPrompts)
	}
}

func TestREPLEcho(t *testing.T) {
	r := runREPL(t,
		"1 + 2",
		`"a string"`,
		`"with \"quotes\""`,
		"x = 4",
		"x",
		"[x, \"s\"]",
		`{"k": 1}`,
		"true",
		"NULL",
		"hex(255)",
		"fn none() { y = 1 }",
		"none()",
		"fn null() { return NULL }",
		"null()",
		`print "printed", x`,
		"x + 1; x + 2",
	)
	r.wantNoErr(t)
	r.wantOut(t, strings.Join([]string{
		"3",
		`"a string"`,
		`"with \"quotes\""`,
		"4",
		`[4, "s"]`,
		`{"k": 1}`,
		"true",
		"NULL",
		`"0xff"`,
		"NULL", // a call that returns NULL says so; one that returns nothing is silent
		"printed 4",
		"5",
		"6",
	}, "\n")+"\n")
}

func TestREPLMetaVars(t *testing.T) {
	r := runREPL(t,
		":vars",
		"zeta = 26",
		`alpha = "a"`,
		"fn f() { return 1 }",
		"  :vars  ",
	)
	r.wantNoErr(t)
	r.wantOut(t, "alpha = \"a\"\nf = <fn f>\nzeta = 26\n")
	// Meta commands are not kept in the history.
	if want := []string{"zeta = 26", `alpha = "a"`, "fn f() { return 1 }"}; !reflect.DeepEqual(r.rl.history, want) {
		t.Errorf("history = %q, want %q", r.rl.history, want)
	}
}

func TestREPLMetaHelp(t *testing.T) {
	r := runREPL(t, ":help", ":help builtins", ":h keywords")
	r.wantNoErr(t)
	for _, want := range []string{"usage:", "mmsim repl", "built-in functions:", "  len ", "keywords: "} {
		if !strings.Contains(r.out.String(), want) {
			t.Errorf("stdout does not contain %q", want)
		}
	}
}

func TestREPLMetaReset(t *testing.T) {
	r := runREPL(t,
		"x = 1",
		"machine x86_64 mem=8G cpus=1",
		"fn f() { return 2 }",
		":reset",
		":vars",
		"print x",
		"show machine",
	)
	if r.code != exitRuntime {
		t.Errorf("exit code %d, want %d", r.code, exitRuntime)
	}
	out := r.out.String()
	if !strings.HasPrefix(out, "reset: a fresh machine, no variables.\nmachine x86 mem=1G") {
		t.Errorf("stdout = %q, want the reset message, no variables, and the default machine", out)
	}
	// The error is at the input's line 6, as in a piped session.
	if want := "<stdin>:6:7: error: undefined: x\n"; !strings.HasPrefix(r.err.String(), want) {
		t.Errorf("stderr = %q, want it to start with %q", r.err, want)
	}
	for _, name := range []string{"x", "f"} {
		if _, ok := r.global(name); ok {
			t.Errorf("%s is defined after :reset", name)
		}
	}
	// Built-ins survive a reset.
	r.feed(t, "len([1, 2, 3])")
	if !strings.HasSuffix(r.out.String(), "\n3\n") {
		t.Errorf("stdout = %q, want it to end with 3", r.out)
	}
	// And :save saves only what came after it.
	file := filepath.Join(t.TempDir(), "after_reset.mms")
	r.feed(t, "y = 5", ":save "+file)
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if want := "# saved by mmsim " + version + "\nshow machine\nlen([1, 2, 3])\ny = 5\n"; string(data) != want {
		t.Errorf("saved file = %q, want %q", data, want)
	}
}

func TestREPLLineNumbersCountMetaLines(t *testing.T) {
	// In a piped session the error positions are the input's line numbers,
	// :commands and blank lines included.
	r := runREPL(t, "x = 1", ":vars", "", "print nothing_here")
	if want := "<stdin>:4:7: error: undefined: nothing_here\n    print nothing_here\n          ^\n"; r.err.String() != want {
		t.Errorf("stderr = %q, want %q", r.err, want)
	}
}

func TestREPLMetaLoad(t *testing.T) {
	dir := t.TempDir()
	lib := filepath.Join(dir, "lib.mms")
	writeFile(t, lib, `fn sq(n) { return n * n }
base = 3
print "lib loaded"
test "not run by :load" { print "test ran" }
setup { print "setup ran" }
`)
	bad := filepath.Join(dir, "bad.mms")
	writeFile(t, bad, "half = 1\nprint nothing_here\nnever = 2\n")
	syntax := filepath.Join(dir, "syntax.mms")
	writeFile(t, syntax, "early = 1\nx = (\n")

	r := runREPL(t,
		":load "+lib,
		"print sq(base)",
		":load",
		":load "+filepath.Join(dir, "nosuch.mms"),
		":load "+bad,
		":load "+syntax,
		"print sq(half)",
	)
	r.wantOut(t, "lib loaded\nloaded "+lib+"\n9\n1\n")
	for _, want := range []string{
		"usage: :load FILE\n",
		"mmsim: open " + filepath.Join(dir, "nosuch.mms") + ": no such file or directory\n",
		bad + ":2:7: error: undefined: nothing_here\n    print nothing_here\n          ^\n",
		syntax + ":2:6: syntax error: unexpected end of line",
	} {
		if !strings.Contains(r.err.String(), want) {
			t.Errorf("stderr does not contain %q", want)
		}
	}
	// A file with a syntax error runs nothing; a runtime error stops the file
	// there, keeping what ran before.
	if _, ok := r.global("early"); ok {
		t.Errorf("early is defined; a file with a syntax error must not run")
	}
	if _, ok := r.global("never"); ok {
		t.Errorf("never is defined; :load must stop at the error")
	}
	if r.code != exitSyntax {
		t.Errorf("exit code %d, want %d (that of the last error)", r.code, exitSyntax)
	}
}

func TestREPLSaveRoundTrip(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "session.mms")
	r := runREPL(t,
		"x = 3",
		"print x",
		"y = nothing_here",
		"machine x86_64 mem=8G cpus=1",
		"fn sq(n) {",
		"  return n * n",
		"}",
		"print sq(x)",
		"print sq(nothing_here)",
		"atomic { cpu 1 { } }",
		"z = (",
		"show machine",
		"words = []",
		`for w in ["a", "b"] { append(words, w) }`,
		`print words; print nothing_here; print "not reached"`,
		`assert len(words) == 2, "two words"`,
		`assert len(words) == 3, "three words"`,
		`expect error "undefined" { print nothing_here }`,
		`print "end"`,
		":save "+file,
	)
	if r.code != exitFail {
		t.Errorf("exit code %d, want %d: that of the last error, the failed assert", r.code, exitFail)
	}
	session := r.out.String()
	saved := strings.TrimSuffix(session, "saved 11 statements to "+file+"\n")
	if saved == session {
		t.Fatalf("stdout = %q, want it to end with the :save message for 11 statements", session)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	script := string(data)
	wantScript := `# saved by mmsim ` + version + `
machine x86_64 mem=8G cpus=1
x = 3
print x
fn sq(n) {
  return n * n
}
print sq(x)
show machine
words = []
for w in ["a", "b"] { append(words, w) }
print words
assert len(words) == 2, "two words"
expect error "undefined" { print nothing_here }
print "end"
`
	if script != wantScript {
		t.Errorf("saved script:\n%s\nwant:\n%s", script, wantScript)
	}
	var out, errb bytes.Buffer
	code := Main([]string{"run", file}, strings.NewReader(""), &out, &errb)
	if code != exitOK || errb.Len() > 0 {
		t.Errorf("mmsim run %s: exit code %d, stderr %q; want 0 and nothing", file, code, errb.String())
	}
	if out.String() != saved {
		t.Errorf("mmsim run of the saved session printed:\n%s\nthe session printed:\n%s", out.String(), saved)
	}
}

func TestREPLSaveErrors(t *testing.T) {
	r := runREPL(t, ":save", ":save "+filepath.Join(t.TempDir(), "no", "such", "dir", "x.mms"))
	if r.code != exitUsage {
		t.Errorf("exit code %d, want %d", r.code, exitUsage)
	}
	if !strings.Contains(r.err.String(), "usage: :save FILE\n") || !strings.Contains(r.err.String(), "mmsim: open ") {
		t.Errorf("stderr = %q, want a usage message and the open error", r.err)
	}
}

func TestREPLUnknownMeta(t *testing.T) {
	r := runREPL(t, ":sve x.mms", ":frobnicate", `print "still here"`)
	if r.code != exitUsage {
		t.Errorf("exit code %d, want %d", r.code, exitUsage)
	}
	r.wantOut(t, "still here\n")
	lines := strings.Split(strings.TrimSuffix(r.err.String(), "\n"), "\n")
	want := []string{
		"unknown command :sve (did you mean :save?); commands: :help :load :quit :reset :save :vars",
		"unknown command :frobnicate; commands: :help :load :quit :reset :save :vars",
	}
	if !reflect.DeepEqual(lines, want) {
		t.Errorf("stderr lines = %q, want %q", lines, want)
	}
}

func TestREPLQuit(t *testing.T) {
	for _, quit := range []string{":quit", ":q", ":exit", "  :quit  "} {
		r := runREPL(t, `print "before"`, quit, `print "after"`, "x = 1")
		r.wantNoErr(t)
		r.wantOut(t, "before\n")
		if len(r.rl.lines) != 2 {
			t.Errorf("%s: %d lines left unread, want 2", quit, len(r.rl.lines))
		}
	}
	// :quit returns the code of the last error, like EOF does.
	r := runREPL(t, "print nothing_here", ":quit")
	if r.code != exitRuntime {
		t.Errorf("exit code %d, want %d", r.code, exitRuntime)
	}
	// A : inside an open block is not a command.
	r = runREPL(t, "if true {", ":quit", "}", `print "after"`)
	if r.code != exitSyntax {
		t.Errorf("exit code %d, want %d", r.code, exitSyntax)
	}
	if len(r.rl.lines) != 0 {
		t.Errorf("%d lines left unread: :quit inside a block must not quit", len(r.rl.lines))
	}
}

func TestREPLEOFInBlock(t *testing.T) {
	r := runREPL(t, "x = 1", "if x == 1 {", `  print "never"`)
	if r.code != exitSyntax {
		t.Errorf("exit code %d, want %d", r.code, exitSyntax)
	}
	r.wantOut(t, "")
	if want := `<stdin>:4:1: syntax error: unexpected end of input, expected "}"`; !strings.HasPrefix(r.err.String(), want) {
		t.Errorf("stderr = %q, want it to start with %q", r.err, want)
	}
	// An empty session, and EOF right after a complete entry, are fine.
	r = runREPL(t)
	r.wantNoErr(t)
	r.wantOut(t, "")
	if !reflect.DeepEqual(r.rl.prompts, []string{prompt}) {
		t.Errorf("prompts = %q, want one", r.rl.prompts)
	}
}

func TestREPLMachineLine(t *testing.T) {
	r := runREPL(t,
		"x = 2",
		"machine x86_64 mem=8G cpus=1",
		"show machine",
		"machine x86 mem=9G", // invalid: the previous machine stays
		"show machine",
		"print x",
	)
	if r.code != exitRuntime {
		t.Errorf("exit code %d, want %d", r.code, exitRuntime)
	}
	if got := strings.Count(r.out.String(), "machine x86_64 mem=8G cpus=1\n"); got != 2 {
		t.Errorf("stdout = %q, want the x86_64 machine shown twice", r.out)
	}
	if !strings.HasSuffix(r.out.String(), "\n2\n") {
		t.Errorf("stdout = %q, want x to survive the reboot", r.out)
	}
	if r.s.machine != "machine x86_64 mem=8G cpus=1" {
		t.Errorf("session machine = %q, want the last one that worked", r.s.machine)
	}
}

func TestREPLPipeReader(t *testing.T) {
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader("x = 1\r\nif x == 1 {\r\n  print \"crlf\"\r\n}\r\nx\r\n"), stdout: &out, stderr: &errb}
	t.Setenv("MMSIM_PROMPT", "")
	if code := e.repl(nil); code != exitOK || errb.Len() > 0 {
		t.Errorf("exit code %d, stderr %q", code, errb.String())
	}
	if want := "crlf\n1\n"; out.String() != want {
		t.Errorf("stdout = %q, want %q", out.String(), want)
	}

	out.Reset()
	t.Setenv("MMSIM_PROMPT", "1")
	e.stdin = strings.NewReader("if true {\nprint 1\n}\n")
	e.repl(nil)
	if want := "mm> ... ... 1\nmm> "; out.String() != want {
		t.Errorf("stdout with MMSIM_PROMPT=1 = %q, want %q", out.String(), want)
	}
}

func TestCompleter(t *testing.T) {
	r := runREPL(t, "my_variable = 1", "my_other = 2", "fn my_func() { return 1 }")
	r.wantNoErr(t)
	c := &completer{s: r.s}
	tests := []struct {
		line string
		pos  int // -1: the end of the line
		want []string
		n    int
	}{
		{"le", -1, []string{"n"}, 2},
		{"x = le", -1, []string{"n"}, 2},
		{"print hex(le", -1, []string{"n"}, 2},
		{"lenx", 2, []string{"n"}, 2},                         // completes the word before the cursor
		{"for", -1, []string{"", "k", "mat"}, 3},              // the keyword, fork and format
		{"PAGE_S", -1, []string{"HIFT", "IZE"}, 6},            // constants
		{"sor", -1, []string{"ted"}, 3},                       // sorted
		{"whi", -1, []string{"le"}, 3},                        // a keyword
		{"my_", -1, []string{"func", "other", "variable"}, 3}, // the session's variables
		{"print my_v", -1, []string{"ariable"}, 4},
		{"show ", -1, []string{"buddyinfo", "context", "kmem", "layout", "lru", "machine", "maps", "meminfo", "physmem", "pkmap", "ps", "slab", "slabinfo", "smaps", "swap", "tlb", "vmallocinfo", "vmstat", "vtop", "zoneinfo"}, 0},
		{"show ma", -1, []string{"chine", "ps"}, 2},
		{"irq { show c", -1, []string{"ontext"}, 1},
		{"x = 1; show m", -1, []string{"achine", "aps", "eminfo"}, 1},
		{"x = 1;show m", -1, []string{"achine", "aps", "eminfo"}, 1},
		{":", -1, []string{"help", "load", "quit", "reset", "save", "vars"}, 1},
		{":s", -1, []string{"ave"}, 2},
		{"  :re", -1, []string{"set"}, 3},
		{`m = {"k": le`, -1, []string{"n"}, 2},
		{`m = {"k":le`, -1, []string{"n"}, 2}, // a ":" inside a line is not a :command
		{"zzz", -1, nil, 3},
		{"x = ", -1, nil, 0}, // an empty word: everything, checked below
	}
	for _, tt := range tests {
		pos := tt.pos
		if pos < 0 {
			pos = len([]rune(tt.line))
		}
		got, n := c.Do([]rune(tt.line), pos)
		if tt.line == "x = " {
			if n != 0 || len(got) < 10 {
				t.Errorf("Do(%q) = %d candidates, %d; want every name", tt.line, len(got), n)
			}
			continue
		}
		var gotS []string
		for _, g := range got {
			gotS = append(gotS, string(g))
		}
		if !reflect.DeepEqual(gotS, tt.want) || n != tt.n {
			t.Errorf("Do(%q, %d) = %q, %d; want %q, %d", tt.line, pos, gotS, n, tt.want, tt.n)
		}
	}
	// Every built-in and view is offered.
	names := r.s.th.Names()
	for _, want := range []string{"len", "hex", "format", "PAGE_SIZE", "my_variable", "my_func"} {
		if !slices.Contains(names, want) {
			t.Errorf("Names() lacks %q", want)
		}
	}
	// After :reset the session's variables are gone from the completions.
	r.feed(t, ":reset")
	if got, _ := c.Do([]rune("my_"), 3); len(got) != 0 {
		t.Errorf("after :reset Do(\"my_\") = %q, want nothing", got)
	}
}

func writeFile(t *testing.T, name, text string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}
