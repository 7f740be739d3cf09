package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExamples is the golden test of the examples: every examples/*.mms
// runs as `mmsim run NAME.mms` from the examples folder, and its output
// (stdout and stderr interleaved, in order) plus a last line "exit: N" must
// equal NAME.out. A second run must give the same bytes. go test
// ./cmd/mmsim -update rewrites the .out files.
func TestExamples(t *testing.T) {
	dir, err := filepath.Abs("../../examples")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	files, err := filepath.Glob("*.mms")
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples/*.mms (%v)", err)
	}
	for _, name := range files {
		t.Run(strings.TrimSuffix(name, ".mms"), func(t *testing.T) {
			got := runExample(name)
			// An example runs to its end: every one demonstrates
			// something, none is meant to fail.
			if !strings.HasSuffix(got, "exit: 0\n") {
				t.Errorf("%s does not run to its end:\n%s", name, got)
			}
			if again := runExample(name); again != got {
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
				t.Fatalf("%v (create it with go test ./cmd/mmsim -update)", err)
			}
			if got != string(want) {
				t.Errorf("%s: output differs from %s at %s\n--- got:\n%s--- want:\n%s(rewrite with go test ./cmd/mmsim -update)",
					name, golden, firstDiff(got, string(want)), got, want)
			}
		})
	}
}

func runExample(name string) string {
	var out bytes.Buffer
	code := Main([]string{"run", name}, strings.NewReader(""), &out, &out)
	fmt.Fprintf(&out, "exit: %d\n", code)
	return out.String()
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
		if x != y {
			return fmt.Sprintf("line %d: %q vs %q", i+1, x, y)
		}
	}
	return "no line"
}
