package stdlib_test

import (
	"bytes"
	"errors"
	"sort"
	"strings"
	"testing"

	"mmsim/kernelmodel"
	"mmsim/lang"
	"mmsim/runtime"
	"mmsim/stdlib"
)

func TestParseMachine(t *testing.T) {
	tests := []struct {
		line string
		want string // the Config's String, or "" for an error
		err  string
	}{
		{"x86_64 mem=8G", "machine x86_64 mem=8G cpus=2", ""},
		{"machine x86_64 mem=8G", "machine x86_64 mem=8G cpus=2", ""},
		{"  machine   x86   mem=64M   cpus=1  ", "machine x86 mem=64M cpus=1", ""},
		{"x86", "machine x86 mem=1G cpus=2", ""},
		{"x86 paging=pae mem=8G split=2g", "machine x86 mem=8G cpus=2 paging=pae split=2G", ""},
		{"x86_64 paging=5level seed=9 debug=on", "machine x86_64 mem=1G cpus=2 paging=5level seed=9 debug=on", ""},
		{"", "", `empty machine line (want for example "x86_64 mem=8G")`},
		{"   ", "", `empty machine line (want for example "x86_64 mem=8G")`},
		{"machine", "", `empty machine line (want for example "x86_64 mem=8G")`},
		{"x86 mem", "", `"mem" is not key=value`},
		{"x86 mem=64M cpus", "", `"cpus" is not key=value`},
		{"arm", "", `unknown architecture "arm" (want x86 or x86_64)`},
		{"machine arm mem=64M", "", `unknown architecture "arm" (want x86 or x86_64)`},
		{"x86 mem=2M", "", "mem=2M: memory must be between 4M and 1T"},
		{"x86 mem=64M mem=64M", "", "mem is set twice"},
		{"x86_64 split=3G", "", "split applies to x86 only"},
	}
	for _, tt := range tests {
		c, err := stdlib.ParseMachine(tt.line)
		switch {
		case tt.err != "" && err == nil:
			t.Errorf("ParseMachine(%q) = %v, want error %q", tt.line, c, tt.err)
		case tt.err != "" && err.Error() != tt.err:
			t.Errorf("ParseMachine(%q) error %q, want %q", tt.line, err, tt.err)
		case tt.err == "" && err != nil:
			t.Errorf("ParseMachine(%q): %v", tt.line, err)
		case tt.err == "" && c.String() != tt.want:
			t.Errorf("ParseMachine(%q) = %q, want %q", tt.line, c.String(), tt.want)
		}
	}
	// An unknown architecture is a ConfigError at index -1.
	_, err := stdlib.ParseMachine("sparc")
	var ce *kernelmodel.ConfigError
	if !errors.As(err, &ce) || ce.Index != -1 {
		t.Errorf("ParseMachine(sparc) = %v, want a ConfigError with Index -1", err)
	}
}

// machineStmt parses src, whose first statement is a machine line.
func machineStmt(t *testing.T, src string) *lang.MachineStmt {
	t.Helper()
	f, err := lang.Parse("m.mms", src)
	if err != nil {
		t.Fatalf("Parse(%q): %v", src, err)
	}
	m, ok := f.Stmts[0].(*lang.MachineStmt)
	if !ok {
		t.Fatalf("Parse(%q): first statement is %T", src, f.Stmts[0])
	}
	return m
}

func newHost(t *testing.T) (*runtime.Thread, *stdlib.Host, *bytes.Buffer) {
	t.Helper()
	var out bytes.Buffer
	th, h := stdlib.NewThread(&out, &out)
	if h == nil || stdlib.HostOf(th) != h {
		t.Fatalf("NewThread: host %p, HostOf %p", h, stdlib.HostOf(th))
	}
	return th, h, &out
}

func TestBoot(t *testing.T) {
	tests := []struct {
		src  string
		want string // the machine's Config.String
	}{
		{"machine x86", "machine x86 mem=1G cpus=2"},
		{"machine x86_64 mem=8G cpus=8", "machine x86_64 mem=8G cpus=8"},
		{"machine x86 mem=64M split=1G", "machine x86 mem=64M cpus=2 split=1G"},
		{`machine x86 mem="64M" debug=true`, "machine x86 mem=64M cpus=2 debug=on"},
		{"machine x86 slab=slab policy=fifo paging=pae", "machine x86 mem=1G cpus=2 paging=pae slab=slab policy=fifo"},
		{"machine x86_64 paging=5level", "machine x86_64 mem=1G cpus=2 paging=5level"},
	}
	for _, tt := range tests {
		th, h, _ := newHost(t)
		if err := h.Boot(th, machineStmt(t, tt.src)); err != nil {
			t.Errorf("Boot(%q): %v", tt.src, err)
			continue
		}
		if got := h.Machine.Config.String(); got != tt.want {
			t.Errorf("Boot(%q): machine %q, want %q", tt.src, got, tt.want)
		}
	}
	// With no machine line, the default machine.
	th, h, _ := newHost(t)
	if err := h.Boot(th, nil); err != nil {
		t.Fatal(err)
	}
	if h.Machine.Config != kernelmodel.DefaultConfig() {
		t.Errorf("Boot(nil) = %v, want the default machine", h.Machine.Config)
	}
}

func TestBootErrors(t *testing.T) {
	tests := []struct {
		src  string
		line int
		col  int
		msg  string
	}{
		{"machine arm", 1, 9, `machine: unknown architecture "arm" (want x86 or x86_64)`},
		{"\n\nmachine x86_32 mem=64M", 3, 9, `machine: unknown architecture "x86_32" (want x86 or x86_64)`},
		{"machine x86 mem=2M", 1, 13, "machine: mem=2M: memory must be between 4M and 1T"},
		{"machine x86 cpus=2 mem=2M", 1, 20, "machine: mem=2M: memory must be between 4M and 1T"},
		{"machine x86 mem=64M mem=128M", 1, 21, "machine: mem is set twice"},
		{"machine x86 foo=1", 1, 13, `machine: unknown machine setting "foo" (settings: cpus, debug, highmem, kernel, mem, paging, policy, seed, slab, split, swap, tlb)`},
		{"machine x86 mem=8G", 1, 13, "machine: mem=8G: 32-bit x86 without PAE addresses at most 4G (use paging=pae for up to 64G)"},
		{"machine x86 paging=pae cpus=4 mem=128G", 1, 31, "machine: mem=128G: x86 with PAE addresses at most 64G"},
		{"machine x86_64 cpus=4 split=3G", 1, 23, "machine: split applies to x86 only"},
		{"machine x86_64 highmem=off", 1, 16, "machine: highmem applies to x86 only: x86_64 has no highmem"},
		{"machine x86 cpus=0", 1, 13, "machine: cpus=0: a machine has 1 to 64 CPUs"},
		{"machine x86 mem=010M", 1, 13, "machine: mem=010M: not a size (write for example 64M or 1G)"},
		{"  machine x86 tlb=0", 1, 15, "machine: tlb=0: a TLB has 1 to 4096 entries"},
	}
	for _, tt := range tests {
		th, h, _ := newHost(t)
		err := h.Boot(th, machineStmt(t, tt.src))
		var re *runtime.Error
		if !errors.As(err, &re) {
			t.Errorf("Boot(%q) = %v, want a *runtime.Error", tt.src, err)
			continue
		}
		if re.Kind != runtime.KindError || re.Msg != tt.msg || re.Pos.File != "m.mms" || re.Pos.Line != tt.line || re.Pos.Col != tt.col {
			t.Errorf("Boot(%q) = kind %d at %s: %q\nwant kind %d at m.mms:%d:%d: %q",
				tt.src, re.Kind, re.Pos, re.Msg, runtime.KindError, tt.line, tt.col, tt.msg)
		}
		if h.Machine != nil {
			t.Errorf("Boot(%q) failed but left a machine", tt.src)
		}
	}
}

func TestBootFailureKeepsMachine(t *testing.T) {
	th, h, _ := newHost(t)
	if err := h.Boot(th, machineStmt(t, "machine x86_64 mem=2G")); err != nil {
		t.Fatal(err)
	}
	old := h.Machine
	if err := h.Boot(th, machineStmt(t, "machine x86 mem=1K")); err == nil {
		t.Fatal("Boot with mem=1K succeeded")
	}
	if h.Machine != old {
		t.Error("a failed Boot replaced the running machine")
	}
}

func TestOverrideAndSeed(t *testing.T) {
	override, err := stdlib.ParseMachine("x86_64 mem=8G cpus=4 seed=3")
	if err != nil {
		t.Fatal(err)
	}
	seven := int64(7)
	tests := []struct {
		name     string
		override *kernelmodel.Config
		seed     *int64
		src      string // "" for no machine line
		want     string
	}{
		{"override replaces the script's line", &override, nil, "machine x86 mem=64M", "machine x86_64 mem=8G cpus=4 seed=3"},
		{"override replaces an invalid line", &override, nil, "machine arm mem=1K", "machine x86_64 mem=8G cpus=4 seed=3"},
		{"override replaces the default", &override, nil, "", "machine x86_64 mem=8G cpus=4 seed=3"},
		{"seed replaces the line's seed", nil, &seven, "machine x86 mem=64M seed=5", "machine x86 mem=64M cpus=2 seed=7"},
		{"seed applies to the default", nil, &seven, "", "machine x86 mem=1G cpus=2 seed=7"},
		{"seed applies to the override", &override, &seven, "machine x86", "machine x86_64 mem=8G cpus=4 seed=7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			th, h, _ := newHost(t)
			h.Override, h.Seed = tt.override, tt.seed
			var m *lang.MachineStmt
			if tt.src != "" {
				m = machineStmt(t, tt.src)
			}
			if err := h.Boot(th, m); err != nil {
				t.Fatal(err)
			}
			if got := h.Machine.Config.String(); got != tt.want {
				t.Errorf("machine %q, want %q", got, tt.want)
			}
		})
	}
	if override.Seed != 3 {
		t.Errorf("Boot changed the override's seed to %d", override.Seed)
	}
}

func TestUniverse(t *testing.T) {
	u := stdlib.Universe()
	bs := stdlib.Builtins()
	if len(bs) == 0 {
		t.Fatal("no built-ins")
	}
	if !sort.SliceIsSorted(bs, func(i, j int) bool { return bs[i].Name < bs[j].Name }) {
		t.Error("Builtins() is not sorted by name")
	}
	for _, b := range bs {
		if u[b.Name] != runtime.Value(b) {
			t.Errorf("Universe()[%q] = %v, want the built-in", b.Name, u[b.Name])
		}
		if strings.TrimSpace(b.Doc) == "" {
			t.Errorf("built-in %s has no Doc", b.Name)
		}
		if b.Fn == nil {
			t.Errorf("built-in %s has no Fn", b.Name)
		}
		if lang.IsKeyword(b.Name) && b.Name != "int" {
			t.Errorf("built-in %s is a keyword: no script could call it", b.Name)
		}
	}
	cs := stdlib.Constants()
	if !sort.StringsAreSorted(cs) {
		t.Error("Constants() is not sorted")
	}
	for _, name := range cs {
		if _, ok := u[name]; !ok {
			t.Errorf("constant %s is not in the universe", name)
		}
		if lang.IsKeyword(name) {
			t.Errorf("constant %s is a keyword", name)
		}
	}
	if len(u) != len(bs)+len(cs) {
		t.Errorf("universe has %d names, want %d built-ins + %d constants", len(u), len(bs), len(cs))
	}
	for name, want := range map[string]runtime.Value{"PAGE_SIZE": runtime.Int(4096), "PAGE_SHIFT": runtime.Int(12)} {
		if u[name] != want {
			t.Errorf("%s = %v, want %v", name, u[name], want)
		}
	}
	for _, name := range []string{"len", "append", "range", "hex", "str", "int", "type", "format", "keys", "values", "sorted", "min", "max", "sum", "abs", "fail"} {
		if _, ok := u[name].(*runtime.Builtin); !ok {
			t.Errorf("core built-in %s is missing", name)
		}
	}
	// Each call returns a fresh map: changing one does not change the next.
	u["len"] = runtime.Int(1)
	if _, ok := stdlib.Universe()["len"].(*runtime.Builtin); !ok {
		t.Error("Universe() shares its map between calls")
	}
}

func TestViews(t *testing.T) {
	_, h, _ := newHost(t)
	names := h.Views()
	if !sort.StringsAreSorted(names) {
		t.Errorf("Views() = %v, not sorted", names)
	}
	list := stdlib.ViewList()
	if len(list) != len(names) {
		t.Fatalf("ViewList has %d views, Views %d", len(list), len(names))
	}
	for i, v := range list {
		if v.Name != names[i] {
			t.Errorf("ViewList()[%d] = %s, Views()[%d] = %s", i, v.Name, i, names[i])
		}
		if strings.TrimSpace(v.Doc) == "" {
			t.Errorf("view %s has no Doc", v.Name)
		}
		if v.Show == nil {
			t.Errorf("view %s has no Show", v.Name)
		}
	}
	for _, want := range []string{"context", "machine"} {
		if sort.SearchStrings(names, want) == len(names) || names[sort.SearchStrings(names, want)] != want {
			t.Errorf("view %s is missing from %v", want, names)
		}
	}
}

func TestShowUnknownView(t *testing.T) {
	th, h, _ := newHost(t)
	if err := h.Boot(th, nil); err != nil {
		t.Fatal(err)
	}
	all := strings.Join(h.Views(), ", ")
	tests := []struct{ view, want string }{
		{"machin", `show: unknown view "machin" (did you mean machine?); views: ` + all},
		{"Machine", `show: unknown view "Machine" (did you mean machine?); views: ` + all},
		{"contxt", `show: unknown view "contxt" (did you mean context?); views: ` + all},
		{"zzzzzzzz", `show: unknown view "zzzzzzzz"; views: ` + all},
	}
	for _, tt := range tests {
		err := h.Show(th, tt.view, nil, lang.Pos{})
		if err == nil || err.Error() != tt.want {
			t.Errorf("Show(%q) = %v, want %q", tt.view, err, tt.want)
		}
	}
}

func TestShowViews(t *testing.T) {
	th, h, out := newHost(t)
	if err := h.Boot(th, machineStmt(t, "machine x86 mem=64M cpus=2 swap=128M")); err != nil {
		t.Fatal(err)
	}
	if err := h.Show(th, "machine", nil, lang.Pos{}); err != nil {
		t.Fatal(err)
	}
	want := `machine x86 mem=64M cpus=2 swap=128M
arch:     x86 (2level paging)
memory:   64M (16384 pages of 4K)
cpus:     2
slab:     slub
swap:     128M
policy:   linux
tlb:      64 entries per CPU
`
	if out.String() != want {
		t.Errorf("show machine:\n%s\nwant:\n%s", out, want)
	}
	out.Reset()
	if err := h.Show(th, "context", nil, lang.Pos{}); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "process context on cpu 0 (may sleep)\n" {
		t.Errorf("show context = %q", got)
	}
	out.Reset()
	leave1, err := h.Enter(th, "cpu", runtime.Int(1))
	if err != nil {
		t.Fatal(err)
	}
	leave2, err := h.Enter(th, "irq", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Show(th, "context", nil, lang.Pos{}); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "cpu 1\n  irq\non cpu 1 (atomic: may not sleep)\n"; got != want {
		t.Errorf("show context = %q, want %q", got, want)
	}
	leave2()
	leave1()
	for _, view := range []string{"machine", "context"} {
		err := h.Show(th, view, []runtime.ShowArg{{Flag: "-s"}}, lang.Pos{})
		if want := "show " + view + " takes no arguments"; err == nil || err.Error() != want {
			t.Errorf("show %s -s = %v, want %q", view, err, want)
		}
	}
}

func TestEnter(t *testing.T) {
	th, h, _ := newHost(t)
	if _, err := h.Enter(th, "irq", nil); err == nil || err.Error() != "no machine is running" {
		t.Errorf("Enter before Boot = %v", err)
	}
	if err := h.Boot(th, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Enter(th, "cpu", runtime.String("1")); err == nil || err.Error() != "cpu needs an int, not string" {
		t.Errorf("Enter(cpu, \"1\") = %v", err)
	}
	if _, err := h.Enter(th, "cpu", runtime.Int(2)); err == nil || runtime.KindOf(err) != runtime.KindError {
		t.Errorf("Enter(cpu, 2) on 2 CPUs = %v, want an error", err)
	}
	leave, err := h.Enter(th, "atomic", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.Enter(th, "cpu", runtime.Int(1))
	if runtime.KindOf(err) != runtime.KindBug || !strings.Contains(err.Error(), "scheduling while atomic") {
		t.Errorf("Enter(cpu) inside atomic = %v (kind %d), want a kernel BUG", err, runtime.KindOf(err))
	}
	_, err = h.Enter(th, "as", runtime.Int(1))
	if runtime.KindOf(err) != runtime.KindBug {
		t.Errorf("Enter(as) inside atomic = %v, want a kernel BUG", err)
	}
	leave()
	if h.Machine.InAtomic() || len(h.Machine.Contexts()) != 0 {
		t.Errorf("after leave: contexts %v", h.Machine.Contexts())
	}
	if _, err := h.Enter(th, "as", runtime.Int(1)); err == nil || err.Error() != "as 1: no process with pid 1" {
		t.Errorf("Enter(as 1) = %v", err)
	}
}

func TestInterruptBreakpointCheck(t *testing.T) {
	th, h, out := newHost(t)
	if err := h.Check(th); err != nil {
		t.Errorf("Check with no machine = %v", err)
	}
	if err := h.Boot(th, nil); err != nil {
		t.Fatal(err)
	}
	if err := h.Check(th); err != nil {
		t.Errorf("Check = %v", err)
	}
	if err := h.Interrupt(th, 0x80); err == nil || !strings.Contains(err.Error(), "no process is running on cpu 0") {
		t.Errorf("int 0x80 = %v", err)
	}
	if err := h.Interrupt(th, 3); err == nil || err.Error() != "int 0x3: only int 0x80, the system call gate, is modelled" {
		t.Errorf("int 3 = %v", err)
	}
	th.SetGlobal("b", runtime.String("x"))
	th.SetGlobal("a", runtime.Int(1))
	if err := h.Breakpoint(th, lang.Pos{File: "f.mms", Line: 3, Col: 1}); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "int3: breakpoint at f.mms:3:1\n  a = 1\n  b = \"x\"\n"; got != want {
		t.Errorf("int3 printed %q, want %q", got, want)
	}
	called := false
	h.OnBreakpoint = func(*runtime.Thread, lang.Pos) error { called = true; return nil }
	if err := h.Breakpoint(th, lang.Pos{}); err != nil || !called {
		t.Errorf("OnBreakpoint: called %v, err %v", called, err)
	}
}

// TestScript runs a script through the Host end to end.
func TestScript(t *testing.T) {
	th, _, out := newHost(t)
	f, err := lang.Parse("s.mms", "machine x86_64 mem=2G cpus=4\ncpu 3 { atomic { show context } }\nexpect bug \"scheduling while atomic\" { irq { cpu 1 { } } }\nshow context\n")
	if err != nil {
		t.Fatal(err)
	}
	if err := th.ExecFile(f); err != nil {
		t.Fatal(err)
	}
	want := "cpu 3\n  atomic\non cpu 3 (atomic: may not sleep)\nprocess context on cpu 0 (may sleep)\n"
	if out.String() != want {
		t.Errorf("output %q, want %q", out, want)
	}
}
