package runtime_test

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"mmsim/internal/chunked"
	"mmsim/lang"
	"mmsim/runtime"
	"mmsim/stdlib"
)

// FuzzEval runs arbitrary scripts with small limits. Whatever the script,
// the interpreter must not panic, hang or exhaust the stack, and every
// error must be a syntax error or a runtime error with a position.
//
//	go test -fuzz=FuzzEval -fuzztime=90s ./runtime
func FuzzEval(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.mms"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds in testdata: %v", err)
	}
	for _, file := range files {
		for _, c := range chunked.Read(file, f) {
			f.Add(c.Source)
		}
	}
	examples, err := filepath.Glob(filepath.Join("..", "examples", "*.mms"))
	if err != nil || len(examples) == 0 {
		f.Fatalf("no examples: %v", err)
	}
	for _, file := range examples {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(data))
	}
	f.Fuzz(func(t *testing.T, src string) {
		file, err := lang.Parse("fuzz.mms", src)
		if err == nil {
			th, _ := stdlib.NewThread(io.Discard, io.Discard)
			th.MaxSteps = 10_000
			th.MaxDepth = 50
			addTestBuiltins(th, nil, nil)
			err = th.ExecFile(file)
		}
		switch e := err.(type) {
		case nil:
		case *lang.Error:
			if e.Pos.Line < 1 {
				t.Errorf("syntax error without a position: %v", e)
			}
		case *runtime.Error:
			if e.Pos.Line < 1 {
				t.Errorf("runtime error without a position: %v", e)
			}
		default:
			t.Errorf("error of type %T: %v", err, err)
		}
	})
}
