package runtime_test

// The evaluator's tests are scripts: each runtime/testdata/*.mms file is a
// series of chunks separated by lines of "---" (see internal/chunked). A
// chunk runs on a fresh stdlib thread; it passes when it runs to the end,
// or when it stops with an error on a line marked ### "regexp" and the
// error's text matches. An assert that fails is such an error, so a chunk
// fails on any assert without a ### mark.
//
// The error's line is that of the first stack frame in the test file: for
// an error inside a function, the line of the outermost call. The message
// matched is err.Error(), "file:line:col: kind: message", so a pattern can
// pin the innermost position too.
//
// Besides the stdlib universe, chunks can call a few test built-ins:
//
//	output()         what print, show and int3 wrote since the last call
//	warnings()       what Thread.Warn wrote to the error stream
//	warn(msg)        report a kernel warning (for expect warn)
//	handle(type)     a read-only handle value of that type (cache, page, proc,
//	                 ...) with attributes name, size and boom (which fails)
//	regs()           a value with settable int attributes eax, ebx, ecx
//	words(args...)   a built-in that takes the words read, write and exec;
//	                 returns its arguments as a list (keywords as "k=v")
//	unpack(addr, flag?, p?, list?)
//	                 Call.Unpack into *uint64, *bool, *Ptr and *[]Value
//	steps()          the thread's step count

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"mmsim/internal/chunked"
	"mmsim/lang"
	"mmsim/runtime"
	"mmsim/stdlib"
)

func TestEval(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.mms"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no testdata/*.mms files")
	}
	total := 0
	for _, file := range files {
		chunks := chunked.Read(file, t)
		total += len(chunks)
		for _, c := range chunks {
			t.Run(fmt.Sprintf("%s:%d", filepath.Base(file), c.Start), func(t *testing.T) {
				runChunk(t, file, c)
				c.Done(t, file)
			})
		}
	}
	t.Logf("%d chunks in %d files", total, len(files))
}

// runChunk parses and runs one chunk, reporting its error, if any, to c.
func runChunk(t testing.TB, file string, c *chunked.Chunk) {
	f, err := lang.Parse(file, c.Source)
	if err != nil {
		report(t, file, c, err)
		return
	}
	var out, errw bytes.Buffer
	th, _ := stdlib.NewThread(&out, &errw)
	th.MaxSteps = 1_000_000 // a chunk that loops forever fails rather than hangs
	addTestBuiltins(th, &out, &errw)
	if err := th.ExecFile(f); err != nil {
		report(t, file, c, err)
	}
}

// report hands an error to the chunk at its line: for a runtime error, the
// line of the first stack frame in file, else its own position.
func report(t testing.TB, file string, c *chunked.Chunk, err error) {
	line := 0
	var rerr *runtime.Error
	var lerr *lang.Error
	switch {
	case errors.As(err, &rerr):
		if len(rerr.Stack) == 0 || rerr.Stack[0].Name != "<toplevel>" {
			t.Errorf("%v: error has no stack with <toplevel> outermost: %#v", err, rerr.Stack)
		}
		for _, fr := range rerr.Stack {
			if fr.Pos.File == file && fr.Pos.Line > 0 {
				line = fr.Pos.Line
				break
			}
		}
		if line == 0 && rerr.Pos.File == file {
			line = rerr.Pos.Line
		}
	case errors.As(err, &lerr):
		line = lerr.Pos.Line
	default:
		t.Errorf("error of unexpected type %T: %v", err, err)
	}
	c.GotError(line, err.Error())
}

// addTestBuiltins adds the test built-ins to th's universe; out and errw
// are th's output and error streams, or nil if they are not kept.
func addTestBuiltins(th *runtime.Thread, out, errw *bytes.Buffer) {
	add := func(b *runtime.Builtin) { th.Universe[b.Name] = b }
	add(&runtime.Builtin{Name: "output", Fn: func(th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
		if err := c.Unpack(); err != nil {
			return nil, err
		}
		if out == nil {
			return runtime.String(""), nil
		}
		s := out.String()
		out.Reset()
		return runtime.String(s), nil
	}})
	add(&runtime.Builtin{Name: "warnings", Fn: func(th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
		if errw == nil {
			return runtime.String(""), nil
		}
		s := errw.String()
		errw.Reset()
		return runtime.String(s), nil
	}})
	add(&runtime.Builtin{Name: "warn", Fn: func(th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
		var msg string
		if err := c.Unpack("msg", &msg); err != nil {
			return nil, err
		}
		th.Warn(c.Pos, msg)
		return nil, nil
	}})
	add(&runtime.Builtin{Name: "handle", Fn: func(th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
		var typ string
		if err := c.Unpack("type", &typ); err != nil {
			return nil, err
		}
		return &handle{typ: typ}, nil
	}})
	add(&runtime.Builtin{Name: "testregs", Fn: func(th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
		return &regs{vals: map[string]runtime.Value{"eax": runtime.Int(0), "ebx": runtime.Int(0), "ecx": runtime.Int(0)}}, nil
	}})
	add(&runtime.Builtin{Name: "words", Words: []string{"read", "write", "exec"}, Fn: func(th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
		l := &runtime.List{Elems: append([]runtime.Value(nil), c.Args...)}
		for _, kw := range c.Kwargs {
			l.Elems = append(l.Elems, runtime.String(kw.Name+"="+runtime.Repr(kw.Value)))
		}
		return l, nil
	}})
	add(&runtime.Builtin{Name: "unpack", Fn: func(th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
		var addr uint64
		var flag bool
		var p runtime.Ptr
		var list []runtime.Value
		if err := c.Unpack("addr", &addr, "flag?", &flag, "p?", &p, "list?", &list); err != nil {
			return nil, err
		}
		return &runtime.List{Elems: []runtime.Value{runtime.Ptr{Addr: addr}, runtime.Bool(flag), p, runtime.Int(len(list))}}, nil
	}})
	add(&runtime.Builtin{Name: "steps", Fn: func(th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
		return runtime.Int(th.Steps()), nil
	}})
}

// handle is a read-only value with attributes, like a cache or a page.
type handle struct{ typ string }

func (h *handle) String() string { return "<" + h.typ + ">" }
func (h *handle) Type() string   { return h.typ }
func (h *handle) Truth() bool    { return true }
func (h *handle) Attr(name string) (runtime.Value, error) {
	switch name {
	case "name":
		return runtime.String("h-" + h.typ), nil
	case "size":
		return runtime.Int(32), nil
	case "boom":
		return nil, fmt.Errorf("attribute boom exploded")
	}
	return nil, nil
}
func (h *handle) AttrNames() []string { return []string{"boom", "name", "size"} }

// regs is a value with settable attributes, like the registers.
type regs struct{ vals map[string]runtime.Value }

func (r *regs) String() string { return "<regs>" }
func (r *regs) Type() string   { return "regs" }
func (r *regs) Truth() bool    { return true }
func (r *regs) Attr(name string) (runtime.Value, error) {
	return r.vals[name], nil
}
func (r *regs) AttrNames() []string {
	var names []string
	for k := range r.vals {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}
func (r *regs) SetAttr(name string, v runtime.Value) error {
	if _, ok := v.(runtime.Int); !ok {
		return fmt.Errorf("regs.%s must be an int, not %s", name, v.Type())
	}
	r.vals[name] = v
	return nil
}

// recorder is a chunked.Reporter that keeps what it is told.
type recorder struct{ errs []string }

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, a ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, a...))
}
func (r *recorder) Fatalf(format string, a ...any) { panic(fmt.Sprintf(format, a...)) }

// TestHarnessFails checks that the harness itself can fail: a failing
// assert without a mark, a mark with no error, a mark whose pattern does
// not match, an error on another line, and a syntax error all make a chunk
// fail, while a matching mark passes.
func TestHarnessFails(t *testing.T) {
	cases := []struct {
		src  string
		fail string // "" if the chunk passes, else a substring of the report
	}{
		{"x = 1\nassert x == 1\n", ""},
		{"x = 1\nassert x == 2\n", "unexpected error"},
		{"x = 1\nassert x == 2 ### \"x is 1\"\n", ""},
		{"x = 1\nassert x == 2 ### \"x is 3\"\n", "does not match"},
		{"x = 1 ### \"anything\"\n", "got none"},
		{"x = 1 ### \"undefined\"\ny = z\n", "unexpected error"},
		{"fn f() {\n  return 1 / 0\n}\nf() ### `x.mms:2:12: error: division by zero`\n", ""},
		{"fn f() {\n  return 1 / 0 ### \"division\"\n}\nf()\n", "unexpected error"},
		{"x = = 1\n", "unexpected error"},
		{"x = = 1 ### \"syntax error\"\n", ""},
		{"while true { }\n", "too many steps"},
	}
	dir := t.TempDir()
	for i, tc := range cases {
		file := filepath.Join(dir, "x.mms")
		if err := os.WriteFile(file, []byte(tc.src), 0o644); err != nil {
			t.Fatal(err)
		}
		rec := &recorder{}
		chunks := chunked.Read(file, rec)
		if len(chunks) != 1 {
			t.Fatalf("case %d: %d chunks", i, len(chunks))
		}
		// Run under a file name that the patterns can mention.
		for _, c := range chunks {
			runChunk(t, file, c)
			c.Done(rec, "x.mms")
		}
		got := strings.Join(rec.errs, "\n")
		switch {
		case tc.fail == "" && got != "":
			t.Errorf("case %d %q: want pass, got\n%s", i, tc.src, got)
		case tc.fail != "" && !strings.Contains(got, tc.fail):
			t.Errorf("case %d %q: want a failure with %q, got %q", i, tc.src, tc.fail, got)
		}
	}
}

// TestTrace checks that Trace gets each statement, with its position and
// first line, as it runs, including statements inside blocks and calls.
func TestTrace(t *testing.T) {
	th, _ := stdlib.NewThread(io.Discard, io.Discard)
	var trace bytes.Buffer
	th.Trace = &trace
	f, err := lang.Parse("t.mms", "fn f(n) {\n  return n + 1\n}\nx = 1\nif x == 1 {\n  y = f(x)\n}\n")
	if err != nil {
		t.Fatal(err)
	}
	if err := th.ExecFile(f); err != nil {
		t.Fatal(err)
	}
	want := "t.mms:1:1: fn f(n) {\n" +
		"t.mms:4:1: x = 1\n" +
		"t.mms:5:1: if x == 1 {\n" +
		"t.mms:6:3: y = f(x)\n" +
		"t.mms:2:3: return n + 1\n"
	if trace.String() != want {
		t.Errorf("trace =\n%s\nwant\n%s", trace.String(), want)
	}
}

// TestREPL checks the REPL mode: each top-level bare expression's value
// goes to Echo (calls without a value and nested expressions do not), the
// globals persist from one entry to the next, also after an error, and a
// machine line may come anywhere.
func TestREPL(t *testing.T) {
	var out bytes.Buffer
	th, host := stdlib.NewThread(&out, io.Discard)
	th.REPL = true
	var echoed []string
	th.Echo = func(v runtime.Value, x lang.Expr) { echoed = append(echoed, runtime.Repr(v)) }
	entry := func(src string) error {
		f, err := lang.Parse("<stdin>", src)
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		return th.Exec(f, f.Stmts)
	}
	for _, src := range []string{"x = 41", "x + 1", "\"s\"", "fn f() { 7 }", "f()", "f", "l = []", "append(l, 1)", "if true { 5 }", "PAGE_SIZE"} {
		if err := entry(src); err != nil {
			t.Fatalf("%q: %v", src, err)
		}
	}
	if got, want := strings.Join(echoed, " "), `42 "s" 4096`; got != want {
		t.Errorf("echoed %s, want %s", got, want)
	}
	if err := entry("y = 1 / 0"); err == nil {
		t.Fatal("no error")
	}
	if err := entry("z = x"); err != nil {
		t.Errorf("after an error: %v", err)
	}
	if err := entry("machine x86_64 mem=64M cpus=4"); err != nil {
		t.Fatalf("machine line in the REPL: %v", err)
	}
	if host.Machine == nil || host.Machine.Config.CPUs != 4 {
		t.Errorf("the machine line did not reboot the machine")
	}
	if err := entry("cpu 3 { show context }"); err != nil || !strings.Contains(out.String(), "cpu 3\n") {
		t.Errorf("cpu 3 on the new machine: %v, output %q", err, out.String())
	}
	if v, _ := th.Global("z"); v != runtime.Int(41) {
		t.Errorf("z = %v after the reboot, want 41", v)
	}
	names := strings.Join(th.Names(), " ")
	for _, n := range []string{"x", "z", "f", "len", "PAGE_SIZE"} {
		if !strings.Contains(" "+names+" ", " "+n+" ") {
			t.Errorf("Names() lacks %s: %s", n, names)
		}
	}
}
