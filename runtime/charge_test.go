package runtime_test

import (
	"io"
	"strings"
	"testing"

	"mmsim/lang"
	"mmsim/runtime"
	"mmsim/stdlib"
)

// runSteps runs src with a step limit and returns the error and the steps.
func runSteps(t *testing.T, src string, max uint64) (error, uint64) {
	t.Helper()
	f, err := lang.Parse("c.mms", src)
	if err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	th, _ := stdlib.NewThread(io.Discard, io.Discard)
	th.MaxSteps = max
	th.CheckMode = runtime.CheckOff
	err = th.ExecFile(f)
	return err, th.Steps()
}

// TestCharge checks that work on long values costs steps in proportion to
// its size, and that constant-time operations on them cost nothing extra.
func TestCharge(t *testing.T) {
	for _, tc := range []struct {
		name     string
		src      string
		min, max uint64 // bounds on the steps taken
	}{
		{"repeat 1M bytes", `s = "x" * 1048576`, 65536, 65536 + 10},
		{"concat", "s = \"x\" * 1600\nt = s + s", 100 + 200, 100 + 200 + 10},
		{"compare", "s = \"x\" * 1600\nt = \"x\" * 1600\nb = s == t", 100 + 100 + 100, 300 + 10},
		{"search list", "l = range(0, 1600, 1)\nb = 5 in l", 100 + 100, 200 + 10},
		{"map lookup is free", "m = {}\nfor i in 0..1600 { m[i] = i }\nrepeat 100 { b = 5 in m }", 1600 + 100, 1600*3 + 100*3 + 10},
		{"len is free", "l = range(0, 1600, 1)\nrepeat 100 { n = len(l) }", 100 + 100, 100 + 100*3 + 10},
		{"sorted", "l = range(0, 1600, 1)\nm = sorted(l)", 200, 200 + 10},
		{"print", "s = \"x\" * 1600\nprint s", 200, 200 + 10},
		{"sum", "l = range(0, 1600, 1)\nn = sum(l)", 200, 200 + 10},
	} {
		err, steps := runSteps(t, tc.src, 0)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if steps < tc.min || steps > tc.max {
			t.Errorf("%s: %d steps, want %d to %d", tc.name, steps, tc.min, tc.max)
		}
	}
}

// TestChargeBoundsWork checks that the step limit stops scripts that do a
// lot of work in few statements.
func TestChargeBoundsWork(t *testing.T) {
	for _, src := range []string{
		`repeat 1000 { s = "x" * 16777216 }`,
		"l = range(0, 1048576, 1)\nrepeat 1000 { m = sorted(l) }",
		"s = \"x\" * 1048576\nrepeat 1000 { print s }",
	} {
		err, _ := runSteps(t, src, 1_000_000)
		if err == nil || !strings.Contains(err.Error(), "too many steps") {
			t.Errorf("%q: err = %v, want too many steps", src, err)
		}
	}
}

// TestLargeValues checks the size limits of values, with the default limit.
func TestLargeValues(t *testing.T) {
	err, _ := runSteps(t, "s = \"x\" * 16777216\ns + \"y\"", 0)
	if err == nil || !strings.Contains(err.Error(), "string too long (limit 16777216 bytes)") {
		t.Errorf("err = %v, want string too long", err)
	}
	// A value too large to show prints its start and "...".
	src := `s = "x" * 16777216
l = [s, s, "never shown"]
t = str(l)
assert len(t) == 1 + (16777216 + 2) + len(", ...]")
assert t[-6] == "," and t[-4] == "." and t[-1] == "]"
`
	if err, _ := runSteps(t, src, 0); err != nil {
		t.Error(err)
	}
}
