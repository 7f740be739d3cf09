package kernelmodel_test

import (
	"errors"
	"go/build"
	"io/fs"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"mmsim/kernelmodel"
)

func boot(t *testing.T, line string) *kernelmodel.Machine {
	t.Helper()
	arch, rest, _ := strings.Cut(line, " ")
	cfg, err := kernelmodel.NewConfig(kernelmodel.Arch(arch), settings(t, rest))
	if err != nil {
		t.Fatal(err)
	}
	m, err := kernelmodel.Boot(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestBoot(t *testing.T) {
	cfg := kernelmodel.DefaultConfig()
	m, err := kernelmodel.Boot(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if m.Config != cfg {
		t.Errorf("Config = %+v, want %+v", m.Config, cfg)
	}
	if err := m.Check(); err != nil {
		t.Errorf("Check of a fresh machine: %v", err)
	}
	if _, err := kernelmodel.Boot(kernelmodel.Config{Arch: "arm"}); err == nil {
		t.Error("Boot of arch arm succeeded")
	} else if ce := (*kernelmodel.ConfigError)(nil); !errors.As(err, &ce) || ce.Index != -1 {
		t.Errorf("Boot of arch arm: %v, want a *ConfigError with Index -1", err)
	}
}

func ctx(kind kernelmodel.ContextKind, n int) kernelmodel.Context {
	return kernelmodel.Context{Kind: kind, CPU: n, PID: n}
}

func TestContextStack(t *testing.T) {
	m := boot(t, "x86 cpus=4")
	if len(m.Contexts()) != 0 || m.CPU() != 0 || m.InAtomic() {
		t.Fatalf("fresh machine: contexts %v, cpu %d, atomic %v", m.Contexts(), m.CPU(), m.InAtomic())
	}
	steps := []struct {
		enter  *kernelmodel.Context // nil: leave
		cpu    int
		atomic bool
		depth  int
	}{
		{&kernelmodel.Context{Kind: kernelmodel.CtxCPU, CPU: 2}, 2, false, 1},
		{&kernelmodel.Context{Kind: kernelmodel.CtxCPU, CPU: 3}, 3, false, 2},
		{&kernelmodel.Context{Kind: kernelmodel.CtxAtomic}, 3, true, 3},
		{&kernelmodel.Context{Kind: kernelmodel.CtxSoftIRQ}, 3, true, 4},
		{&kernelmodel.Context{Kind: kernelmodel.CtxIRQ}, 3, true, 5},
		{nil, 3, true, 4},
		{nil, 3, true, 3},
		{nil, 3, false, 2},
		{nil, 2, false, 1},
		{&kernelmodel.Context{Kind: kernelmodel.CtxIRQ}, 2, true, 2},
		{nil, 2, false, 1},
		{nil, 0, false, 0},
		{nil, 0, false, 0}, // leaving an empty stack does nothing
		{&kernelmodel.Context{Kind: kernelmodel.CtxSoftIRQ}, 0, true, 1},
		{nil, 0, false, 0},
		{&kernelmodel.Context{Kind: kernelmodel.CtxCPU, CPU: 0}, 0, false, 1},
		{nil, 0, false, 0},
	}
	for i, s := range steps {
		if s.enter != nil {
			if err := m.EnterContext(*s.enter); err != nil {
				t.Fatalf("step %d: EnterContext(%+v): %v", i, *s.enter, err)
			}
		} else {
			m.LeaveContext()
		}
		if m.CPU() != s.cpu || m.InAtomic() != s.atomic || len(m.Contexts()) != s.depth {
			t.Errorf("step %d: cpu %d atomic %v depth %d, want cpu %d atomic %v depth %d",
				i, m.CPU(), m.InAtomic(), len(m.Contexts()), s.cpu, s.atomic, s.depth)
		}
		if err := m.Check(); err != nil {
			t.Errorf("step %d: Check: %v", i, err)
		}
	}
}

func TestContextsIsACopy(t *testing.T) {
	m := boot(t, "x86")
	if err := m.EnterContext(ctx(kernelmodel.CtxCPU, 1)); err != nil {
		t.Fatal(err)
	}
	if err := m.EnterContext(ctx(kernelmodel.CtxAtomic, 0)); err != nil {
		t.Fatal(err)
	}
	got := m.Contexts()
	want := []kernelmodel.Context{ctx(kernelmodel.CtxCPU, 1), ctx(kernelmodel.CtxAtomic, 0)}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Contexts() = %+v, want %+v (outermost first)", got, want)
	}
	got[0].CPU = 0
	got[1].Kind = kernelmodel.CtxIRQ
	if !reflect.DeepEqual(m.Contexts(), want) {
		t.Errorf("changing the result of Contexts changed the machine: %+v", m.Contexts())
	}
}

func TestEnterContextErrors(t *testing.T) {
	tests := []struct {
		name   string
		line   string
		before []kernelmodel.Context
		enter  kernelmodel.Context
		bug    bool
		msg    string
	}{
		{"cpu in irq", "x86", []kernelmodel.Context{ctx(kernelmodel.CtxIRQ, 0)}, ctx(kernelmodel.CtxCPU, 1), true,
			"scheduling while atomic: cannot migrate to CPU 1 inside irq context"},
		{"cpu in softirq", "x86", []kernelmodel.Context{ctx(kernelmodel.CtxSoftIRQ, 0)}, ctx(kernelmodel.CtxCPU, 0), true,
			"scheduling while atomic: cannot migrate to CPU 0 inside softirq context"},
		{"cpu in atomic", "x86", []kernelmodel.Context{ctx(kernelmodel.CtxCPU, 1), ctx(kernelmodel.CtxAtomic, 0)}, ctx(kernelmodel.CtxCPU, 0), true,
			"scheduling while atomic: cannot migrate to CPU 0 inside atomic context"},
		{"innermost atomic kind is named", "x86", []kernelmodel.Context{ctx(kernelmodel.CtxAtomic, 0), ctx(kernelmodel.CtxIRQ, 0)}, ctx(kernelmodel.CtxCPU, 1), true,
			"scheduling while atomic: cannot migrate to CPU 1 inside irq context"},
		{"as in irq", "x86", []kernelmodel.Context{ctx(kernelmodel.CtxIRQ, 0)}, ctx(kernelmodel.CtxTask, 1), true,
			"scheduling while atomic: cannot switch to pid 1 inside irq context"},
		{"as in softirq", "x86", []kernelmodel.Context{ctx(kernelmodel.CtxSoftIRQ, 0)}, ctx(kernelmodel.CtxTask, 3), true,
			"scheduling while atomic: cannot switch to pid 3 inside softirq context"},
		{"as in atomic", "x86", []kernelmodel.Context{ctx(kernelmodel.CtxAtomic, 0)}, ctx(kernelmodel.CtxTask, 7), true,
			"scheduling while atomic: cannot switch to pid 7 inside atomic context"},
		{"as with no process", "x86", nil, ctx(kernelmodel.CtxTask, 1), false, "as 1: no process with pid 1"},
		{"as with no process on a cpu", "x86", []kernelmodel.Context{ctx(kernelmodel.CtxCPU, 1)}, ctx(kernelmodel.CtxTask, 0), false,
			"as 0: no process with pid 0"},
		{"cpu too large", "x86", nil, ctx(kernelmodel.CtxCPU, 2), false, "cpu 2: the machine has CPUs 0 to 1"},
		{"cpu negative", "x86", nil, ctx(kernelmodel.CtxCPU, -1), false, "cpu -1: the machine has CPUs 0 to 1"},
		{"cpu on a 1-CPU machine", "x86 cpus=1", nil, ctx(kernelmodel.CtxCPU, 1), false, "cpu 1: the machine has CPUs 0 to 0"},
		{"cpu range is checked before atomic", "x86", []kernelmodel.Context{ctx(kernelmodel.CtxIRQ, 0)}, ctx(kernelmodel.CtxCPU, 9), false,
			"cpu 9: the machine has CPUs 0 to 1"},
		{"unknown kind", "x86", nil, kernelmodel.Context{Kind: "nmi"}, false, `unknown context "nmi"`},
		{"empty kind", "x86", nil, kernelmodel.Context{}, false, `unknown context ""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := boot(t, tt.line)
			for _, c := range tt.before {
				if err := m.EnterContext(c); err != nil {
					t.Fatalf("EnterContext(%+v): %v", c, err)
				}
			}
			before := m.Contexts()
			err := m.EnterContext(tt.enter)
			if err == nil {
				t.Fatalf("EnterContext(%+v) succeeded, want %q", tt.enter, tt.msg)
			}
			if err.Error() != tt.msg {
				t.Errorf("error %q, want %q", err, tt.msg)
			}
			var bug *kernelmodel.BugError
			if isBug := errors.As(err, &bug); isBug != tt.bug {
				t.Errorf("error %v: BugError is %v, want %v", err, isBug, tt.bug)
			} else if isBug && bug.Msg != tt.msg {
				t.Errorf("BugError.Msg = %q, want %q", bug.Msg, tt.msg)
			}
			if !reflect.DeepEqual(m.Contexts(), before) {
				t.Errorf("a failed EnterContext changed the stack: %+v, was %+v", m.Contexts(), before)
			}
		})
	}
}

func TestCheckContextCPU(t *testing.T) {
	m := boot(t, "x86 cpus=4")
	if err := m.EnterContext(ctx(kernelmodel.CtxCPU, 3)); err != nil {
		t.Fatal(err)
	}
	if err := m.Check(); err != nil {
		t.Fatalf("Check: %v", err)
	}
	m.Config.CPUs = 2 // a corrupted machine: the stack runs on a CPU it does not have
	err := m.Check()
	var inv *kernelmodel.InvariantError
	if !errors.As(err, &inv) {
		t.Fatalf("Check = %v, want an *InvariantError", err)
	}
	if inv.Rule != "context-cpu" || err.Error() != "context-cpu: context stack runs on CPU 3 of 2" {
		t.Errorf("Check = %q (rule %q)", err, inv.Rule)
	}
	m.LeaveContext()
	if err := m.Check(); err != nil {
		t.Errorf("Check after leaving: %v", err)
	}
}

func TestErrorStrings(t *testing.T) {
	if got := (&kernelmodel.BugError{Msg: "double free"}).Error(); got != "double free" {
		t.Errorf("BugError.Error() = %q", got)
	}
	if got := (&kernelmodel.InvariantError{Rule: "r", Detail: "d"}).Error(); got != "r: d" {
		t.Errorf("InvariantError.Error() = %q", got)
	}
	if got := (&kernelmodel.ConfigError{Index: 2, Msg: "m"}).Error(); got != "m" {
		t.Errorf("ConfigError.Error() = %q", got)
	}
}

// TestImportsOnlyStandardLibrary enforces the rule of DESIGN.md: the model
// imports nothing but the standard library and its own subpackages.
func TestImportsOnlyStandardLibrary(t *testing.T) {
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		pkg, err := build.ImportDir(path, 0)
		if err != nil {
			var none *build.NoGoError
			if errors.As(err, &none) {
				return nil
			}
			return err
		}
		for _, imp := range pkg.Imports {
			first, _, _ := strings.Cut(imp, "/")
			if strings.Contains(first, ".") || (first == "mmsim" && !strings.HasPrefix(imp, "mmsim/kernelmodel")) {
				t.Errorf("%s imports %s: kernelmodel may import only the standard library", path, imp)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestBootValidatesHandBuiltConfig(t *testing.T) {
	good := kernelmodel.DefaultConfig()
	for _, tc := range []struct {
		name   string
		mutate func(*kernelmodel.Config)
		want   string // "" for success
	}{
		{"default", func(*kernelmodel.Config) {}, ""},
		{"zero cpus", func(c *kernelmodel.Config) { c.CPUs = 0 }, "cpus=0"},
		{"zero tlb", func(c *kernelmodel.Config) { c.TLB = 0 }, "tlb=0"},
		{"bad slab", func(c *kernelmodel.Config) { c.Slab = "slob" }, "slab=slob"},
		{"bad policy", func(c *kernelmodel.Config) { c.Policy = "random" }, "policy=random"},
		{"tiny mem", func(c *kernelmodel.Config) { c.Mem = 1 << 20 }, "mem=1M"},
		{"x86_64 with split", func(c *kernelmodel.Config) { c.Arch, c.Paging = kernelmodel.X86_64, "4level" }, "split applies to x86 only"},
		{"unknown arch", func(c *kernelmodel.Config) { c.Arch = "arm" }, "unknown architecture"},
	} {
		c := good
		tc.mutate(&c)
		_, err := kernelmodel.Boot(c)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: Boot: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: Boot error = %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}
