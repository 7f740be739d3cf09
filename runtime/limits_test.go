package runtime_test

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"mmsim/lang"
	"mmsim/runtime"
	"mmsim/stdlib"
)

// run parses src as t.mms and runs it on th.
func run(t *testing.T, th *runtime.Thread, src string) error {
	t.Helper()
	f, err := lang.Parse("t.mms", src)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return th.ExecFile(f)
}

// runtimeError returns err as a *runtime.Error, failing the test if it is not one.
func runtimeError(t *testing.T, err error) *runtime.Error {
	t.Helper()
	var e *runtime.Error
	if !errors.As(err, &e) {
		t.Fatalf("want a *runtime.Error, got %T: %v", err, err)
	}
	return e
}

func newThread() *runtime.Thread {
	th, _ := stdlib.NewThread(io.Discard, io.Discard)
	return th
}

func TestStepLimit(t *testing.T) {
	th := newThread()
	th.MaxSteps = 1000
	err := run(t, th, "x = 1\nwhile true { }\n")
	e := runtimeError(t, err)
	if e.Kind != runtime.KindLimit {
		t.Errorf("kind = %v, want KindLimit", e.Kind)
	}
	if want := "t.mms:2:12: error: computation cancelled: too many steps (limit 1000; raise it with --max-steps)"; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	if th.Steps() != 1001 {
		t.Errorf("Steps() = %d, want 1001: the limit stops the step after the 1000th", th.Steps())
	}
	// The limit is not an error that expect catches.
	th = newThread()
	th.MaxSteps = 1000
	err = run(t, th, "expect error { while true { } }\n")
	if runtime.KindOf(err) != runtime.KindLimit {
		t.Errorf("expect error caught the step limit: %v", err)
	}
}

func TestStepLimitDefault(t *testing.T) {
	if testing.Short() {
		t.Skip("runs ten million steps")
	}
	th := newThread()
	th.MaxSteps = 0 // the default
	err := run(t, th, "n = 0\nwhile true { n += 1 }\n")
	if runtime.KindOf(err) != runtime.KindLimit || !strings.Contains(err.Error(), fmt.Sprintf("limit %d;", runtime.DefaultMaxSteps)) {
		t.Fatalf("err = %v, want the default step limit", err)
	}
	n, _ := th.Global("n")
	if n.(runtime.Int) < runtime.DefaultMaxSteps/3 {
		t.Errorf("only %v iterations ran before the default limit of %d steps", n, runtime.DefaultMaxSteps)
	}
}

// TestStepsLinear checks that each loop iteration costs the same number of
// steps, for each kind of loop and for calls.
func TestStepsLinear(t *testing.T) {
	scripts := map[string]string{
		"while":  "i = 0\nwhile i < N { i += 1 }\n",
		"for":    "for i in 0..N { x = i }\n",
		"list":   "l = []\nrepeat N + 1 { append(l, 1) }\nfor x in l { }\n",
		"repeat": "repeat N { }\n",
		"call":   "fn f(x) { return x }\nrepeat N { f(1) }\n",
		"nested": "for i in 0..N { if i % 2 == 0 { x = 1 } else { y = 2 } }\n",
	}
	for name, src := range scripts {
		steps := func(n int) uint64 {
			th := newThread()
			if err := run(t, th, strings.ReplaceAll(src, "N", fmt.Sprint(n))); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			return th.Steps()
		}
		s0, s100, s200, s1000 := steps(0), steps(100), steps(200), steps(1000)
		per := s100 - s0
		if per < 100 {
			t.Errorf("%s: 100 iterations cost %d steps, want at least one each", name, per)
		}
		if s200-s100 != per || s1000-s0 != 10*per {
			t.Errorf("%s: steps for 0, 100, 200, 1000 iterations = %d, %d, %d, %d: not linear", name, s0, s100, s200, s1000)
		}
	}
}

// TestCancel cancels a running loop from another goroutine, then lets the
// same thread run again.
func TestCancel(t *testing.T) {
	th := newThread()
	th.MaxSteps = ^uint64(0) // no step limit: only Cancel can stop the loop
	started := make(chan struct{})
	th.Universe["started"] = &runtime.Builtin{Name: "started", Fn: func(*runtime.Thread, *runtime.Call) (runtime.Value, error) {
		close(started)
		return nil, nil
	}}
	f, err := lang.Parse("t.mms", "x = 1\nstarted()\nwhile true { x += 1; x -= 1 }\n")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() { done <- th.ExecFile(f) }()
	<-started
	th.Cancel("stopped by the test")
	th.Cancel("a second reason loses")
	err = <-done
	e := runtimeError(t, err)
	if e.Kind != runtime.KindLimit || !strings.Contains(err.Error(), "error: computation cancelled: stopped by the test") {
		t.Errorf("err = %v (kind %v), want KindLimit \"computation cancelled: stopped by the test\"", err, e.Kind)
	}
	if e.Pos.Line != 3 {
		t.Errorf("cancelled at %v, want line 3", e.Pos)
	}

	// Still cancelled: the next run stops at its first step.
	g, err := lang.Parse("t2.mms", "y = 2\n")
	if err != nil {
		t.Fatal(err)
	}
	if err := th.Exec(g, g.Stmts); runtime.KindOf(err) != runtime.KindLimit || !strings.Contains(err.Error(), "cancelled") {
		t.Errorf("a cancelled thread ran: err = %v", err)
	}
	if _, ok := th.Global("y"); ok {
		t.Errorf("a cancelled thread assigned y")
	}
	th.Uncancel()
	if err := th.Exec(g, g.Stmts); err != nil {
		t.Fatalf("after Uncancel: %v", err)
	}
	if y, _ := th.Global("y"); y != runtime.Int(2) {
		t.Errorf("after Uncancel, y = %v, want 2", y)
	}
}

func TestDepthLimit(t *testing.T) {
	th := newThread()
	err := run(t, th, "fn f(n) { return f(n + 1) }\nf(0)\n")
	e := runtimeError(t, err)
	if e.Kind != runtime.KindLimit {
		t.Errorf("kind = %v, want KindLimit", e.Kind)
	}
	if want := "t.mms:1:18: error: call depth limit reached (200 nested calls): runaway recursion?"; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	if len(e.Stack) != runtime.DefaultMaxDepth+1 {
		t.Errorf("stack has %d frames, want %d", len(e.Stack), runtime.DefaultMaxDepth+1)
	}
	want := "Traceback (most recent call last):\n" +
		"  t.mms:2:1: in <toplevel>\n" +
		"  t.mms:1:18: in f\n" +
		"  [the line above repeats 199 more times]\n" +
		"t.mms:1:18: error: call depth limit reached (200 nested calls): runaway recursion?"
	if got := e.Backtrace(); got != want {
		t.Errorf("Backtrace() =\n%s\nwant\n%s", got, want)
	}

	// Deeper limits work too, through expressions and statements, and
	// the thread's depth is back to zero after the error.
	th = newThread()
	th.MaxDepth = 20000
	err = run(t, th, "fn f(n) {\n  if n >= 0 { x = 1 + f(n + 1) }\n}\nf(0)\n")
	e = runtimeError(t, err)
	if e.Kind != runtime.KindLimit || !strings.Contains(err.Error(), "(20000 nested calls)") || len(e.Stack) != 20001 {
		t.Errorf("err = %v, %d frames", err, len(e.Stack))
	}
	if !strings.Contains(e.Backtrace(), "[the line above repeats 19999 more times]") {
		t.Errorf("backtrace does not collapse the repeated frames:\n%.500s", e.Backtrace())
	}
	th.MaxDepth = 3
	g, _ := lang.Parse("g.mms", "fn g(n) { if n > 0 { return g(n - 1) } }\ng(2)\n")
	if err := th.Exec(g, g.Stmts); err != nil {
		t.Errorf("after a depth error, 3 nested calls fail: %v", err)
	}
	g, _ = lang.Parse("g.mms", "g(3)\n")
	if err := th.Exec(g, g.Stmts); runtime.KindOf(err) != runtime.KindLimit {
		t.Errorf("4 nested calls with MaxDepth 3: err = %v", err)
	}
}

// TestErrorPositions checks that errors of each kind carry the position of
// the failing statement or expression, and a stack whose outermost frame
// is <toplevel> and whose innermost is where it failed.
func TestErrorPositions(t *testing.T) {
	cases := []struct {
		src    string
		kind   runtime.Kind
		pos    string   // line:col of the error
		frames []string // the stack: names at positions
	}{
		{"x = 1\ny = x / 0\n", runtime.KindError, "2:7", []string{"<toplevel> 2:7"}},
		{"x = undefined\n", runtime.KindError, "1:5", []string{"<toplevel> 1:5"}},
		{"len(1)\n", runtime.KindError, "1:1", []string{"<toplevel> 1:1"}},
		{"fn f() {\n  fail(\"x\")\n}\nf()\n", runtime.KindError, "2:3", []string{"<toplevel> 4:1", "f 2:3"}},
		{"fn f(a) { }\nf()\n", runtime.KindError, "2:1", []string{"<toplevel> 2:1"}},
		{"fn f(a) { }\nf(b=1)\n", runtime.KindError, "2:3", []string{"<toplevel> 2:3"}},
		{"assert 1 == 2\n", runtime.KindAssert, "1:1", []string{"<toplevel> 1:1"}},
		{"fn f() { assert false }\nx = [f()]\n", runtime.KindAssert, "1:10", []string{"<toplevel> 2:6", "f 1:10"}},
		{"expect error { }\n", runtime.KindAssert, "1:1", []string{"<toplevel> 1:1"}},
		{"atomic {\n  cpu 1 { }\n}\n", runtime.KindBug, "2:3", []string{"<toplevel> 2:3"}},
		{"fn f() { skip \"why\" }\nf()\n", runtime.KindSkip, "1:10", []string{"<toplevel> 2:1", "f 1:10"}},
		{"fn f() { while true { } }\nf()\n", runtime.KindLimit, "1:21", []string{"<toplevel> 2:1", "f 1:21"}},
		{"fn f() { g() }\nfn g() { f() }\nf()\n", runtime.KindLimit, "2:10", nil},
		{"x = 1\nmachine x86\n", runtime.KindError, "2:1", []string{"<toplevel> 2:1"}},
		{"machine x86 cpus=100\n", runtime.KindError, "1:13", []string{"<toplevel> 1:13"}},
		{"int 0x80\n", runtime.KindError, "1:1", []string{"<toplevel> 1:1"}},
		{"show nothing\n", runtime.KindError, "1:6", []string{"<toplevel> 1:6"}},
	}
	for _, tc := range cases {
		th := newThread()
		th.MaxSteps = 10000
		err := run(t, th, tc.src)
		if err == nil {
			t.Errorf("%q: no error", tc.src)
			continue
		}
		e := runtimeError(t, err)
		if e.Kind != tc.kind {
			t.Errorf("%q: kind %v, want %v (%v)", tc.src, e.Kind, tc.kind, err)
		}
		if got := fmt.Sprintf("%d:%d", e.Pos.Line, e.Pos.Col); got != tc.pos || e.Pos.File != "t.mms" {
			t.Errorf("%q: error at %v, want t.mms:%s", tc.src, e.Pos, tc.pos)
		}
		if len(e.Stack) == 0 || e.Stack[0].Name != "<toplevel>" {
			t.Errorf("%q: stack %v, want <toplevel> outermost", tc.src, e.Stack)
			continue
		}
		if last := e.Stack[len(e.Stack)-1]; last.Pos != e.Pos {
			t.Errorf("%q: innermost frame at %v, error at %v", tc.src, last.Pos, e.Pos)
		}
		if tc.frames != nil {
			var got []string
			for _, f := range e.Stack {
				got = append(got, fmt.Sprintf("%s %d:%d", f.Name, f.Pos.Line, f.Pos.Col))
			}
			if strings.Join(got, ", ") != strings.Join(tc.frames, ", ") {
				t.Errorf("%q: stack %v, want %v", tc.src, got, tc.frames)
			}
		}
	}
}

func TestBacktrace(t *testing.T) {
	th := newThread()
	err := run(t, th, `fn outer(n) {
  return middle(n) + 1
}
fn middle(n) {
  x = inner(n * 2)
  return x
}
fn inner(n) {
  return n / (n - n)
}
print "start"
y = outer(3)
`)
	e := runtimeError(t, err)
	want := `Traceback (most recent call last):
  t.mms:12:5: in <toplevel>
  t.mms:2:10: in outer
  t.mms:5:7: in middle
  t.mms:9:12: in inner
t.mms:9:12: error: division by zero`
	if got := e.Backtrace(); got != want {
		t.Errorf("Backtrace() =\n%s\nwant\n%s", got, want)
	}
	// An error at the top level has no traceback.
	err = run(t, newThread(), "x = 1\ny = x / 0\n")
	e = runtimeError(t, err)
	if got, want := e.Backtrace(), "t.mms:2:7: error: division by zero"; got != want {
		t.Errorf("Backtrace() = %q, want %q", got, want)
	}
	// The thread's stack is empty again: a later error has a fresh one.
	th2 := newThread()
	_ = run(t, th2, "fn f() { return 1 / 0 }\nexpect error { f() }\nx = 1 / 0\n")
	g, _ := lang.Parse("t.mms", "fn f() { return 1 / 0 }\nexpect error { f() }\nz = 1 / 0\n")
	err = th2.Exec(g, g.Stmts)
	if e := runtimeError(t, err); len(e.Stack) != 1 || e.Pos.Line != 3 {
		t.Errorf("after a caught error in a function, stack = %v at %v", e.Stack, e.Pos)
	}
}

// kindError declares its kind, as model errors may.
type kindError struct{ k runtime.Kind }

func (e kindError) Error() string      { return "kinded" }
func (e kindError) Kind() runtime.Kind { return e.k }

func TestKindOf(t *testing.T) {
	kinds := []struct {
		k      runtime.Kind
		prefix string
		expect string
	}{
		{runtime.KindError, "error: ", "error"},
		{runtime.KindBug, "kernel BUG: ", "bug"},
		{runtime.KindSegv, "SIGSEGV: ", "segv"},
		{runtime.KindOOM, "out of memory: ", "oom"},
		{runtime.KindAssert, "assertion failed: ", ""},
		{runtime.KindInvariant, "invariant violated: ", ""},
		{runtime.KindLimit, "error: ", ""},
		{runtime.KindSkip, "skipped: ", ""},
	}
	for _, tc := range kinds {
		e := runtime.Errorf(tc.k, "msg %d", 7)
		if got := runtime.KindOf(e); got != tc.k {
			t.Errorf("KindOf(Errorf(%v)) = %v", tc.k, got)
		}
		if got := runtime.KindOf(fmt.Errorf("wrapped: %w", e)); got != tc.k {
			t.Errorf("KindOf(wrapped %v) = %v", tc.k, got)
		}
		if got := runtime.KindOf(kindError{tc.k}); got != tc.k {
			t.Errorf("KindOf(kindError{%v}) = %v", tc.k, got)
		}
		if got := runtime.KindOf(fmt.Errorf("wrapped: %w", kindError{tc.k})); got != tc.k {
			t.Errorf("KindOf(wrapped kindError{%v}) = %v", tc.k, got)
		}
		if got, want := e.Error(), "<unknown>: "+tc.prefix+"msg 7"; got != want {
			t.Errorf("Errorf(%v).Error() = %q, want %q", tc.k, got, want)
		}
		if got := tc.k.ExpectName(); got != tc.expect {
			t.Errorf("%v.ExpectName() = %q, want %q", tc.k, got, tc.expect)
		}
	}
	if got := runtime.KindOf(errors.New("plain")); got != runtime.KindError {
		t.Errorf("KindOf(plain error) = %v, want KindError", got)
	}
	cause := errors.New("cause")
	e := &runtime.Error{Kind: runtime.KindOOM, Msg: "m", Cause: cause}
	if !errors.Is(e, cause) {
		t.Errorf("errors.Is does not find the cause")
	}
}

func TestNearest(t *testing.T) {
	cands := []string{"PAGE_SIZE", "PAGE_SHIFT", "counter", "count", "len", "kmalloc", "kfree", "a", "ab", "x_y_z"}
	cases := []struct{ name, want string }{
		{"PAGESIZE", "PAGE_SIZE"},  // underscores are ignored
		{"page_size", "PAGE_SIZE"}, // so is case
		{"PAGE_SIZ", "PAGE_SIZE"},
		{"PAGE_SHIF", "PAGE_SHIFT"},
		{"countter", "counter"}, // one edit in 8 letters
		{"countr", "count"},     // tie between count and counter (1 each): the smaller
		{"coutn", "count"},      // a transposition of neighbours is one edit
		{"cont", "count"},       // nearer to count (1) than to counter (3)
		{"len", ""},             // the name itself is not a suggestion
		{"lem", "len"},
		{"lne", "len"},
		{"xyz", "x_y_z"},
		{"kmaloc", "kmalloc"},
		{"kmallocc", "kmalloc"},
		{"kfre", "kfree"},
		{"zzzzzz", ""},
		{"b", "a"}, // one letter may differ in a short name
		{"", "a"},  // at least one edit is always allowed
		{"abcdefghij", ""},
	}
	for _, tc := range cases {
		if got := runtime.Nearest(tc.name, cands); got != tc.want {
			t.Errorf("Nearest(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
	// Long names get no suggestion (the edit distance is quadratic), and a
	// long candidate is ruled out by its length alone.
	long := strings.Repeat("a", 128)
	if got := runtime.Nearest(long+"b", []string{long + "c"}); got != "" {
		t.Errorf("Nearest of a 129-byte name = %q, want none", got)
	}
	if got := runtime.Nearest(long[1:]+"b", []string{long[1:] + "c"}); got != long[1:]+"c" {
		t.Errorf("Nearest of a 128-byte name = %q", got)
	}
	if got := runtime.Nearest("ab", []string{strings.Repeat("a", 1<<20)}); got != "" {
		t.Errorf("Nearest(ab, a million a's) = %q", got)
	}
	if got := runtime.Nearest("x", nil); got != "" {
		t.Errorf("Nearest with no candidates = %q", got)
	}
}

// fakeHost is a runtime.Host whose invariant check fails while the script's
// global broken is true.
type fakeHost struct {
	checks int
}

func (h *fakeHost) Boot(th *runtime.Thread, m *lang.MachineStmt) error { return nil }
func (h *fakeHost) Show(th *runtime.Thread, view string, args []runtime.ShowArg, pos lang.Pos) error {
	return fmt.Errorf("no views")
}
func (h *fakeHost) Views() []string { return nil }
func (h *fakeHost) Enter(th *runtime.Thread, kind string, arg runtime.Value) (func(), error) {
	return func() {}, nil
}
func (h *fakeHost) Interrupt(th *runtime.Thread, vector int64) error  { return nil }
func (h *fakeHost) Breakpoint(th *runtime.Thread, pos lang.Pos) error { return nil }
func (h *fakeHost) Check(th *runtime.Thread) error {
	h.checks++
	if v, ok := th.Global("broken"); ok && v.Truth() {
		return errors.New("frames: 3 pages leaked")
	}
	return nil
}

func TestCheckEach(t *testing.T) {
	newFake := func() (*runtime.Thread, *fakeHost) {
		h := &fakeHost{}
		th := runtime.NewThread(h, stdlib.Universe(), io.Discard, io.Discard)
		th.CheckMode = runtime.CheckEach
		return th, h
	}
	th, h := newFake()
	err := run(t, th, "x = 1\nif x == 1 {\n  broken = true\n}\ny = 2\n")
	e := runtimeError(t, err)
	if e.Kind != runtime.KindInvariant {
		t.Errorf("kind = %v, want KindInvariant", e.Kind)
	}
	if want := "t.mms:3:3: invariant violated: frames: 3 pages leaked"; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	if len(e.Stack) != 1 || e.Stack[0].Name != "<toplevel>" || e.Stack[0].Pos != e.Pos {
		t.Errorf("stack = %v", e.Stack)
	}
	if h.checks != 2 {
		t.Errorf("%d checks, want 2: after x = 1 and broken = true, not after the if", h.checks)
	}
	if _, ok := th.Global("y"); ok {
		t.Errorf("the script went on after a failed check")
	}

	// Inside a function, at the statement in the function; expect does not
	// catch it.
	th, h = newFake()
	err = run(t, th, "fn f() {\n  x = 1\n  expect error { append(broken, 1) }\n}\nbroken = []\nf()\n")
	e = runtimeError(t, err)
	if e.Kind != runtime.KindInvariant || e.Pos.Line != 3 || e.Pos.Col != 18 || len(e.Stack) != 2 || e.Stack[1].Name != "f" {
		t.Errorf("err = %v, stack %v", err, e.Stack)
	}

	// A clean script is checked after each simple statement.
	th, h = newFake()
	if err := run(t, th, "a = 1\nb = 2\nfor i in 0..3 { c = i }\nfn f() { return 1 }\nd = f()\n"); err != nil {
		t.Fatal(err)
	}
	if h.checks != 6 {
		t.Errorf("%d checks, want 6 (a, b, three c, d)", h.checks)
	}
	// The check statement checks now.
	th, h = newFake()
	if err := run(t, th, "check\ncheck\n"); err != nil {
		t.Fatal(err)
	}
	if h.checks != 2 {
		t.Errorf("%d checks, want 2", h.checks)
	}
}

func TestCheckEnd(t *testing.T) {
	h := &fakeHost{}
	th := runtime.NewThread(h, stdlib.Universe(), io.Discard, io.Discard)
	th.CheckMode = runtime.CheckEnd
	if err := run(t, th, "a = 1\nb = 2\nfor i in 0..10 { c = i }\n"); err != nil {
		t.Fatal(err)
	}
	if h.checks != 1 {
		t.Errorf("%d checks, want 1", h.checks)
	}

	h = &fakeHost{}
	th = runtime.NewThread(h, stdlib.Universe(), io.Discard, io.Discard)
	th.CheckMode = runtime.CheckEnd
	err := run(t, th, "broken = true\nx = 1\n")
	if runtime.KindOf(err) != runtime.KindInvariant || !strings.Contains(err.Error(), "frames: 3 pages leaked") {
		t.Errorf("err = %v, want the invariant violation at the end", err)
	}
	if _, ok := th.Global("x"); !ok || h.checks != 1 {
		t.Errorf("CheckEnd stopped early (%d checks)", h.checks)
	}
	// An explicit check runs now.
	h = &fakeHost{}
	th = runtime.NewThread(h, stdlib.Universe(), io.Discard, io.Discard)
	th.CheckMode = runtime.CheckEnd
	err = run(t, th, "broken = true\ncheck\nx = 1\n")
	if e := runtimeError(t, err); e.Kind != runtime.KindInvariant || e.Pos.Line != 2 {
		t.Errorf("err = %v, want the violation at the check statement", err)
	}
}

func TestCheckOff(t *testing.T) {
	h := &fakeHost{}
	th := runtime.NewThread(h, stdlib.Universe(), io.Discard, io.Discard)
	th.CheckMode = runtime.CheckOff
	if err := run(t, th, "broken = true\nx = 1\nfor i in 0..10 { c = i }\n"); err != nil {
		t.Errorf("CheckOff: %v", err)
	}
	if h.checks != 0 {
		t.Errorf("CheckOff: %d checks, want 0", h.checks)
	}
	// An explicit check statement runs the checks even with checks off.
	err := run(t, th, "check\n")
	if e := runtimeError(t, err); e.Kind != runtime.KindInvariant || e.Pos.Line != 1 {
		t.Errorf("check with CheckOff: err = %v, want the violation at the check statement", err)
	}
}

func TestParseCheckMode(t *testing.T) {
	for s, want := range map[string]runtime.CheckMode{"each": runtime.CheckEach, "end": runtime.CheckEnd, "off": runtime.CheckOff} {
		if got, err := runtime.ParseCheckMode(s); err != nil || got != want {
			t.Errorf("ParseCheckMode(%q) = %v, %v", s, got, err)
		}
	}
	if _, err := runtime.ParseCheckMode("always"); err == nil || !strings.Contains(err.Error(), `invalid check mode "always"`) {
		t.Errorf("ParseCheckMode(always): err = %v", err)
	}
}

// TestAssertEvaluatesOnce checks that a failing assert does not evaluate
// its comparison's sides a second time to show their values.
func TestAssertEvaluatesOnce(t *testing.T) {
	th := newThread()
	calls := 0
	th.Universe["next"] = &runtime.Builtin{Name: "next", Fn: func(*runtime.Thread, *runtime.Call) (runtime.Value, error) {
		calls++
		return runtime.Int(calls), nil
	}}
	err := run(t, th, "assert next() == next() + 5\n")
	if want := "t.mms:1:1: assertion failed: next() == next() + 5: next() is 1, next() + 5 is 7"; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
	if calls != 2 {
		t.Errorf("next called %d times, want 2", calls)
	}
}
