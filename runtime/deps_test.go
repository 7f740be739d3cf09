package runtime_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"testing"
)

// pkgInfo is the part of go list -json that the layering rules need.
type pkgInfo struct {
	ImportPath string
	Standard   bool
	Imports    []string
	Deps       []string
}

const readline = "github.com/chzyer/readline"

// under reports whether path is pkg or inside it.
func under(path, pkg string) bool {
	return path == pkg || strings.HasPrefix(path, pkg+"/")
}

// depViolations checks the layering of DESIGN.md §1 on a go list -deps
// listing: kernelmodel uses only the standard library and itself; only
// the command imports readline; lang and runtime know nothing of the model
// or of stdlib.
func depViolations(pkgs []pkgInfo) []string {
	std := map[string]bool{}
	for _, p := range pkgs {
		std[p.ImportPath] = p.Standard
	}
	var out []string
	for _, p := range pkgs {
		if under(p.ImportPath, "mmsim/kernelmodel") {
			for _, d := range p.Deps {
				if !std[d] && !under(d, "mmsim/kernelmodel") {
					out = append(out, p.ImportPath+" depends on "+d+", which is neither the standard library nor mmsim/kernelmodel")
				}
			}
		}
		if p.ImportPath != "mmsim/cmd/mmsim" && !under(p.ImportPath, readline) {
			for _, imp := range p.Imports {
				if under(imp, readline) {
					out = append(out, p.ImportPath+" imports "+imp+": only mmsim/cmd/mmsim may")
				}
			}
		}
		if under(p.ImportPath, "mmsim/lang") || under(p.ImportPath, "mmsim/runtime") {
			for _, d := range p.Deps {
				if under(d, "mmsim/kernelmodel") || under(d, "mmsim/stdlib") {
					out = append(out, p.ImportPath+" depends on "+d)
				}
			}
		}
	}
	return out
}

// goTool is the go command of the toolchain running the test, or the one
// on PATH.
func goTool() string {
	if root := goruntime.GOROOT(); root != "" {
		g := filepath.Join(root, "bin", "go")
		if _, err := exec.LookPath(g); err == nil {
			return g
		}
	}
	return "go"
}

func TestDeps(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	cmd := exec.Command(goTool(), "list", "-deps", "-json", "mmsim/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []pkgInfo
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkgInfo
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	// The rules must have something to check.
	seen := map[string]bool{}
	for _, p := range pkgs {
		seen[p.ImportPath] = true
	}
	for _, want := range []string{"mmsim/kernelmodel", "mmsim/lang", "mmsim/runtime", "mmsim/stdlib", "mmsim/cmd/mmsim", "fmt"} {
		if !seen[want] {
			t.Errorf("go list -deps mmsim/... does not list %s", want)
		}
	}
	for _, v := range depViolations(pkgs) {
		t.Error(v)
	}
}

// TestDepViolations checks that the rules catch each kind of violation.
func TestDepViolations(t *testing.T) {
	pkgs := []pkgInfo{
		{ImportPath: "fmt", Standard: true},
		{ImportPath: "os", Standard: true},
		{ImportPath: readline},
		{ImportPath: "github.com/alecthomas/participle/v2"},
		{ImportPath: "mmsim/kernelmodel", Imports: []string{"fmt", "mmsim/kernelmodel/phys"}, Deps: []string{"fmt", "mmsim/kernelmodel/phys"}},
		{ImportPath: "mmsim/kernelmodel/phys", Imports: []string{"fmt"}, Deps: []string{"fmt"}},
		{ImportPath: "mmsim/lang", Imports: []string{"github.com/alecthomas/participle/v2"}, Deps: []string{"github.com/alecthomas/participle/v2", "fmt"}},
		{ImportPath: "mmsim/runtime", Imports: []string{"mmsim/lang"}, Deps: []string{"mmsim/lang", "fmt"}},
		{ImportPath: "mmsim/stdlib", Imports: []string{"mmsim/kernelmodel", "mmsim/runtime"}, Deps: []string{"mmsim/kernelmodel", "mmsim/kernelmodel/phys", "mmsim/runtime", "mmsim/lang"}},
		{ImportPath: "mmsim/cmd/mmsim", Imports: []string{readline, "mmsim/stdlib"}, Deps: []string{readline, "mmsim/stdlib"}},
	}
	if v := depViolations(pkgs); len(v) != 0 {
		t.Fatalf("a good layering has violations: %v", v)
	}
	bad := []struct {
		pkg  pkgInfo
		want string
	}{
		{pkgInfo{ImportPath: "mmsim/kernelmodel/slab", Imports: []string{"mmsim/runtime"}, Deps: []string{"fmt", "mmsim/runtime"}}, "mmsim/kernelmodel/slab depends on mmsim/runtime"},
		{pkgInfo{ImportPath: "mmsim/kernelmodel", Deps: []string{"github.com/alecthomas/participle/v2"}}, "mmsim/kernelmodel depends on github.com/alecthomas/participle/v2"},
		{pkgInfo{ImportPath: "mmsim/kernelmodelx", Deps: []string{"mmsim/runtime"}}, ""},
		{pkgInfo{ImportPath: "mmsim/cmd/mmsim/repl", Imports: []string{readline}}, "mmsim/cmd/mmsim/repl imports " + readline},
		{pkgInfo{ImportPath: "mmsim/stdlib", Imports: []string{readline}}, "mmsim/stdlib imports " + readline},
		{pkgInfo{ImportPath: "mmsim/lang", Deps: []string{"mmsim/stdlib"}}, "mmsim/lang depends on mmsim/stdlib"},
		{pkgInfo{ImportPath: "mmsim/runtime", Deps: []string{"mmsim/lang", "mmsim/kernelmodel/phys"}}, "mmsim/runtime depends on mmsim/kernelmodel/phys"},
		{pkgInfo{ImportPath: "mmsim/runtime/internal/x", Deps: []string{"mmsim/stdlib"}}, "mmsim/runtime/internal/x depends on mmsim/stdlib"},
	}
	for _, b := range bad {
		got := strings.Join(depViolations(append(append([]pkgInfo(nil), pkgs...), b.pkg)), "\n")
		switch {
		case b.want == "" && got != "":
			t.Errorf("%s: unexpected violation %q", b.pkg.ImportPath, got)
		case b.want != "" && !strings.Contains(got, b.want):
			t.Errorf("%s: violations %q, want %q", b.pkg.ImportPath, got, b.want)
		}
	}
}
