// Command mmsim runs mmsim scripts, their tests, and an interactive REPL
// against a model of Linux memory management.
//
//	mmsim                      REPL on a terminal; runs a script from stdin otherwise
//	mmsim FILE.mms             same as mmsim run FILE.mms
//	mmsim run FILE [flags]     run a script
//	mmsim test [PATH...]       run *_test.mms files
//	mmsim check FILE...        parse only
//	mmsim repl | version | help [topic]
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"mmsim/lang"
	"mmsim/runtime"
)

// Exit codes.
const (
	exitOK      = 0
	exitFail    = 1  // an assertion or a test failed
	exitUsage   = 2  // bad command line, missing file, no tests
	exitSyntax  = 65 // a syntax error
	exitRuntime = 70 // runtime error, kernel BUG, SIGSEGV, invariant violated
)

func main() {
	os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// env is the process environment of one Main call, so that tests can run
// it in-process.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	isTerminal     bool // stdin is a terminal
}

// Main runs the command line args and returns the exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	if f, ok := stdin.(*os.File); ok {
		e.isTerminal = term.IsTerminal(int(f.Fd()))
	}
	if len(args) == 0 {
		if e.isTerminal {
			return e.repl(nil)
		}
		return e.run([]string{"-"})
	}
	switch args[0] {
	case "run":
		return e.run(args[1:])
	case "test":
		return e.test(args[1:])
	case "check":
		return e.check(args[1:])
	case "repl":
		return e.repl(args[1:])
	case "version", "--version", "-version":
		return e.version()
	case "help", "--help", "-help", "-h":
		return e.help(args[1:])
	}
	if strings.HasPrefix(args[0], "-") || strings.HasSuffix(args[0], ".mms") || fileExists(args[0]) {
		return e.run(args)
	}
	fmt.Fprintf(e.stderr, "mmsim: unknown command %q\n", args[0])
	if s := runtime.Nearest(args[0], []string{"run", "test", "check", "repl", "version", "help"}); s != "" {
		fmt.Fprintf(e.stderr, "did you mean mmsim %s?\n", s)
	}
	fmt.Fprintln(e.stderr, "run 'mmsim help' for usage")
	return exitUsage
}

func fileExists(name string) bool {
	st, err := os.Stat(name)
	return err == nil && !st.IsDir()
}

// newFlagSet returns a flag set that reports errors to stderr and does not
// exit.
func (e *env) newFlagSet(name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "usage: %s\n", usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses flags that may come before or after the file names.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return rest, nil
		}
		rest = append(rest, args[0])
		args = args[1:]
	}
}

// exitCode maps an error to the exit code of the table in DESIGN.md.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var le *lang.Error
	if errors.As(err, &le) {
		return exitSyntax
	}
	switch runtime.KindOf(err) {
	case runtime.KindAssert:
		return exitFail
	case runtime.KindSkip:
		return exitOK
	}
	return exitRuntime
}

// sources remembers the text of every file read, to show the source line
// of a diagnostic.
type sources map[string]string

// report prints a diagnostic: the error (with a backtrace when it happened
// inside functions), the source line and a caret under the column.
func (src sources) report(w io.Writer, err error) {
	var pos lang.Pos
	var le *lang.Error
	var re *runtime.Error
	switch {
	case errors.As(err, &le):
		fmt.Fprintln(w, le.Error())
		pos = le.Pos
	case errors.As(err, &re):
		fmt.Fprintln(w, re.Backtrace())
		pos = re.Pos
	default:
		fmt.Fprintln(w, err)
		return
	}
	if line, ok := src.line(pos); ok {
		fmt.Fprintf(w, "    %s\n    %s^\n", line, caretPad(line, pos.Col))
	}
	// A syntax error in a file loaded with use: say where it was loaded.
	if le != nil && errors.As(err, &re) && re.Pos.File != "" && re.Pos.File != le.Pos.File {
		fmt.Fprintf(w, "%s: note: %s was loaded here\n", re.Pos, le.Pos.File)
	}
}

func (src sources) line(p lang.Pos) (string, bool) {
	text, ok := src[p.File]
	if !ok || p.Line < 1 {
		return "", false
	}
	lines := strings.Split(text, "\n")
	if p.Line > len(lines) {
		return "", false
	}
	line := strings.TrimRight(lines[p.Line-1], "\r")
	if strings.TrimSpace(line) == "" || len(line) > 200 {
		return "", false
	}
	return line, true
}

// caretPad is the white space that puts a caret under column col, keeping
// the line's tabs so that the caret lines up.
func caretPad(line string, col int) string {
	var b strings.Builder
	n := 0
	for _, r := range line {
		if n++; n >= col {
			break
		}
		if r == '\t' {
			b.WriteByte('\t')
		} else {
			b.WriteByte(' ')
		}
	}
	return b.String()
}
