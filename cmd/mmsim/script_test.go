package main

import (
	"errors"
	"flag"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

var update = flag.Bool("update", false, "rewrite the testdata/script files and examples/*.out with the actual output")

// TestMain lets the test binary act as the mmsim command inside the
// scripts: "exec mmsim ..." runs Main in a child process. There every test
// of mmsim test takes 0.00s, so that reports compare byte for byte, and
// the test named by $MMSIM_TEST_PANIC panics, to show what an internal
// error looks like, and the one named by $MMSIM_TEST_HANG never stops, to
// show a test abandoned after its timeout.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"mmsim": func() {
			elapsed = func(time.Time) time.Duration { return 0 }
			panicIn, hangIn := os.Getenv("MMSIM_TEST_PANIC"), os.Getenv("MMSIM_TEST_HANG")
			if panicIn != "" || hangIn != "" {
				abandonAfter = 100 * time.Millisecond
				testHook = func(test string) {
					switch test {
					case panicIn:
						panic("a deliberate panic for the tests of mmsim test")
					case hangIn:
						select {} // a test that never looks at its cancellation
					}
				}
			}
			os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
		},
	})
}

// TestScript runs the command-line tests in testdata/script/*.txtar: exit
// codes, stdout and stderr of real mmsim invocations.
func TestScript(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		UpdateScripts:       *update,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"status":          cmdStatus,
			"tapcheck":        cmdTAPCheck,
			"junitcheck":      cmdJUnitCheck,
			"gradescopecheck": cmdGradescopeCheck,
			"jsoncheck":       cmdJSONCheck,
		},
	})
}

// cmdStatus is "status CODE PROGRAM [ARGS...]": it runs PROGRAM like exec
// (stdin, stdout and stderr work as for exec) and fails unless the exit
// code is exactly CODE. exec alone only tells zero from non-zero, and the
// CLI contract gives each kind of failure its own code.
func cmdStatus(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! status")
	}
	if len(args) < 2 {
		ts.Fatalf("usage: status CODE PROGRAM [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("status: bad exit code %q", args[0])
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("status: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("exit code %d, want %d", got, want)
	}
}
