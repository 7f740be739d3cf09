package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"

	"github.com/chzyer/readline"

	"mmsim/lang"
	"mmsim/runtime"
	"mmsim/stdlib"
)

// lineReader is what the REPL reads from: readline on a terminal, a plain
// scanner on a pipe, a fake in tests. Readline returns readline.ErrInterrupt
// for Ctrl-C and io.EOF at the end.
type lineReader interface {
	Readline() (string, error)
	SetPrompt(string)
	SaveHistory(string) error
	Close() error
}

// pipeReader reads lines from a pipe: no prompt unless MMSIM_PROMPT=1, no
// history, and \r\n taken as one line end.
type pipeReader struct {
	sc     *bufio.Scanner
	out    io.Writer
	prompt string
	show   bool
}

func newPipeReader(r io.Reader, out io.Writer) *pipeReader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), lang.MaxSourceSize)
	return &pipeReader{sc: sc, out: out, show: os.Getenv("MMSIM_PROMPT") == "1"}
}

func (p *pipeReader) Readline() (string, error) {
	if p.show {
		fmt.Fprint(p.out, p.prompt)
	}
	if !p.sc.Scan() {
		if err := p.sc.Err(); err != nil {
			return "", err
		}
		return "", io.EOF
	}
	return strings.TrimSuffix(p.sc.Text(), "\r"), nil
}
func (p *pipeReader) SetPrompt(s string)       { p.prompt = s }
func (p *pipeReader) SaveHistory(string) error { return nil }
func (p *pipeReader) Close() error             { return nil }

const (
	prompt     = "mm> "
	contPrompt = "... "
)

// session is the state of one REPL: the thread, the text typed so far
// (so that every entry has its own line numbers and diagnostics can show
// their source), and the statements that succeeded, for :save.
type session struct {
	e        *env
	o        *options
	th       *runtime.Thread
	src      sources
	lines    int // lines read so far; the next entry starts after them
	all      strings.Builder
	saved    []string
	machine  string // the last machine line that succeeded
	interact bool   // cancel on Ctrl-C
}

const replFile = "<stdin>"

func (e *env) repl(args []string) int {
	var o options
	fs := e.newFlagSet("repl", "mmsim repl [flags]")
	o.register(fs, "each")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return exitUsage
	}
	if len(rest) > 0 {
		fs.Usage()
		return exitUsage
	}
	stepsSet := false
	fs.Visit(func(f *flag.Flag) { stepsSet = stepsSet || f.Name == "max-steps" })
	if !stepsSet {
		o.maxSteps = 0 // by default the REPL has no step limit; Ctrl-C cancels instead
	}
	s, err := e.newSession(&o)
	if err != nil {
		fmt.Fprintf(e.stderr, "mmsim: %v\n", err)
		return exitUsage
	}
	var rl lineReader
	if e.isTerminal {
		r, err := readline.NewEx(&readline.Config{
			Prompt:                 prompt,
			HistoryFile:            historyFile(),
			DisableAutoSaveHistory: true,
			HistorySearchFold:      true,
			AutoComplete:           &completer{s: s},
			InterruptPrompt:        "^C",
			EOFPrompt:              "",
		})
		if err != nil {
			fmt.Fprintf(e.stderr, "mmsim: %v\n", err)
			return exitUsage
		}
		rl = r
		s.interact = true
		fmt.Fprintf(e.stdout, "mmsim %s: a model of Linux memory management. :help for help, :quit or Ctrl-D to leave.\n", version)
		fmt.Fprintln(e.stdout, stdlib.HostOf(s.th).Machine.Config.String())
	} else {
		rl = newPipeReader(e.stdin, e.stdout)
	}
	defer rl.Close()
	return s.loop(rl)
}

func historyFile() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".mmsim_history")
}

func (e *env) newSession(o *options) (*session, error) {
	s := &session{e: e, o: o, src: sources{}}
	th, err := e.newThread(o, s.src, ".")
	if err != nil {
		return nil, err
	}
	th.REPL = true
	th.Echo = s.echo
	if err := th.Exec(&lang.File{Name: replFile}, nil); err != nil {
		return nil, err
	}
	s.th = th
	return s, nil
}

// echo prints the value of a bare expression, with its explanation.
func (s *session) echo(v runtime.Value, x lang.Expr) {
	if v == runtime.Null {
		if _, isCall := x.(*lang.CallExpr); isCall {
			fmt.Fprintln(s.e.stdout, "NULL")
			return
		}
	}
	fmt.Fprintln(s.e.stdout, runtime.Repr(v))
	if d, ok := v.(runtime.Describer); ok {
		for _, line := range strings.Split(strings.TrimRight(d.Describe(), "\n"), "\n") {
			fmt.Fprintln(s.e.stdout, "  "+line)
		}
	}
}

// loop reads entries until EOF or :quit. It returns the exit code: 0, or
// that of the last error when the input is not a terminal (so that a piped
// session fails like a script).
func (s *session) loop(rl lineReader) int {
	code := exitOK
	var buf []string
	for {
		if len(buf) == 0 {
			rl.SetPrompt(prompt)
		} else {
			rl.SetPrompt(contPrompt)
		}
		line, err := rl.Readline()
		if errors.Is(err, readline.ErrInterrupt) {
			s.lines += len(buf) // the discarded lines were read: keep counting them
			buf = nil           // Ctrl-C clears the line or the open block
			continue
		}
		if err != nil {
			if len(buf) > 0 {
				code = s.entry(buf, true)
			}
			return code
		}
		if len(buf) == 0 && strings.HasPrefix(strings.TrimSpace(line), ":") {
			s.lines++ // a line of input too: later diagnostics keep the input's line numbers
			quit, c := s.meta(strings.TrimSpace(line))
			if c != exitOK {
				code = c
			}
			if quit {
				return code
			}
			continue
		}
		if len(buf) == 0 && strings.TrimSpace(line) == "" {
			s.lines++
			continue
		}
		buf = append(buf, line)
		c, more := s.tryEntry(buf, strings.TrimSpace(line) == "")
		if more {
			continue
		}
		_ = rl.SaveHistory(strings.Join(buf, "\n"))
		buf = nil
		if c != exitOK {
			code = c
		}
	}
}

// tryEntry parses the lines typed so far. If they end in the middle of a
// statement and the last line was not blank, it asks for more; otherwise
// it runs them.
func (s *session) tryEntry(buf []string, blank bool) (code int, more bool) {
	// Parse the text as entry will run it, ending in a new line: without it
	// an error at the end of the last line looks like the end of the input,
	// so "x = (" would wait for more and a nested block would not.
	text := strings.Join(buf, "\n") + "\n"
	_, err := lang.Parse(replFile, strings.Repeat("\n", s.lines)+text)
	var le *lang.Error
	if errors.As(err, &le) && le.Incomplete && !blank {
		return exitOK, true
	}
	return s.entry(buf, false), false
}

// entry runs one complete entry, statement by statement, and remembers the
// ones that succeed.
func (s *session) entry(buf []string, atEOF bool) int {
	text := strings.Join(buf, "\n") + "\n"
	padded := strings.Repeat("\n", s.lines) + text
	s.lines += len(buf)
	s.all.WriteString(text)
	s.src[replFile] = strings.Repeat("\n", s.lines-len(buf)) + text
	f, err := lang.Parse(replFile, padded)
	if err != nil {
		s.src.report(s.e.stderr, err)
		return exitCode(err)
	}
	return s.runStmts(f)
}

// runStmts runs an entry's or a file's statements one by one and remembers
// those that succeed, for :save. Test and setup blocks are skipped, as in
// mmsim run.
func (s *session) runStmts(f *lang.File) int {
	for _, st := range f.Stmts {
		switch st.(type) {
		case *lang.TestStmt, *lang.SetupStmt:
			start, _ := st.Span()
			fmt.Fprintf(s.e.stderr, "%s: note: test and setup blocks run only under mmsim test\n", start)
			continue
		}
		if err := s.exec(f, st); err != nil {
			s.src.report(s.e.stderr, err)
			return exitCode(err)
		}
		if m, ok := st.(*lang.MachineStmt); ok {
			s.machine = f.Text(m)
			continue
		}
		s.saved = append(s.saved, f.Text(st))
	}
	return exitOK
}

// exec runs one statement, cancelling it on Ctrl-C when interactive.
func (s *session) exec(f *lang.File, st lang.Stmt) error {
	if s.interact {
		sig := make(chan os.Signal, 1)
		done := make(chan struct{})
		signal.Notify(sig, os.Interrupt)
		go func() {
			select {
			case <-sig:
				s.th.Cancel("interrupted")
			case <-done:
			}
		}()
		defer func() {
			signal.Stop(sig)
			close(done)
			s.th.Uncancel()
		}()
	}
	return s.th.Exec(f, []lang.Stmt{st})
}

// meta runs a :command.
func (s *session) meta(line string) (quit bool, code int) {
	cmd, arg, _ := strings.Cut(line, " ")
	arg = strings.TrimSpace(arg)
	out := s.e.stdout
	switch cmd {
	case ":quit", ":q", ":exit":
		return true, exitOK
	case ":help", ":h":
		fmt.Fprint(out, helpText(arg))
	case ":reset":
		ns, err := s.e.newSession(s.o)
		if err != nil {
			fmt.Fprintf(s.e.stderr, "mmsim: %v\n", err)
			return false, exitRuntime
		}
		ns.interact = s.interact
		ns.lines = s.lines
		*s = *ns
		fmt.Fprintln(out, "reset: a fresh machine, no variables.")
	case ":load":
		if arg == "" {
			fmt.Fprintln(s.e.stderr, "usage: :load FILE")
			return false, exitUsage
		}
		return false, s.load(arg)
	case ":save":
		if arg == "" {
			fmt.Fprintln(s.e.stderr, "usage: :save FILE")
			return false, exitUsage
		}
		if err := os.WriteFile(arg, []byte(s.script()), 0o644); err != nil {
			fmt.Fprintf(s.e.stderr, "mmsim: %v\n", err)
			return false, exitUsage
		}
		fmt.Fprintf(out, "saved %d statement%s to %s\n", len(s.saved), plural(len(s.saved)), arg)
	case ":vars":
		for _, name := range s.th.GlobalNames() {
			v, _ := s.th.Global(name)
			fmt.Fprintf(out, "%s = %s\n", name, runtime.Repr(v))
		}
	default:
		msg := fmt.Sprintf("unknown command %s", cmd)
		if n := runtime.Nearest(cmd, metaCommands); n != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", n)
		}
		fmt.Fprintf(s.e.stderr, "%s; commands: %s\n", msg, strings.Join(metaCommands, " "))
		return false, exitUsage
	}
	return false, exitOK
}

var metaCommands = []string{":help", ":load", ":quit", ":reset", ":save", ":vars"}

// script is the session's successful statements as a runnable script.
func (s *session) script() string {
	var b strings.Builder
	b.WriteString("# saved by mmsim " + version + "\n")
	if s.machine != "" {
		b.WriteString(s.machine + "\n")
	}
	for _, st := range s.saved {
		b.WriteString(st + "\n")
	}
	return b.String()
}

// load runs a file's statements in the session, as if typed.
func (s *session) load(name string) int {
	data, err := os.ReadFile(name)
	if err != nil {
		fmt.Fprintf(s.e.stderr, "mmsim: %v\n", err)
		return exitUsage
	}
	s.src[name] = string(data)
	f, err := lang.Parse(name, string(data))
	if err != nil {
		s.src.report(s.e.stderr, err)
		return exitCode(err)
	}
	if code := s.runStmts(f); code != exitOK {
		return code
	}
	fmt.Fprintf(s.e.stdout, "loaded %s\n", name)
	return exitOK
}

// completer completes built-ins, constants, keywords, variables, views
// after show, and :commands.
type completer struct{ s *session }

func (c *completer) Do(line []rune, pos int) ([][]rune, int) {
	head := string(line[:pos])
	start := len(head)
	for start > 0 && isWordByte(head[start-1]) {
		start--
	}
	// A ':' belongs to the word only at the start of the line, where it
	// begins a :command; elsewhere (a map literal {"k":v}) it separates.
	if start > 0 && head[start-1] == ':' && strings.TrimSpace(head[:start-1]) == "" {
		start--
	}
	word := head[start:]
	before := strings.TrimSpace(head[:start])
	var cands []string
	switch {
	case strings.HasPrefix(strings.TrimSpace(head), ":") && before == "":
		cands = metaCommands
	case before == "show" || strings.HasSuffix(before, " show") || strings.HasSuffix(before, ";show"):
		cands = c.s.th.Host.Views()
	default:
		cands = append(cands, c.s.th.Names()...)
		cands = append(cands, lang.Keywords...)
	}
	return completions(word, cands), len(word)
}

func isWordByte(b byte) bool {
	return b == '_' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
}

// completions returns the suffixes of the candidates that start with word.
func completions(word string, cands []string) [][]rune {
	sort.Strings(cands)
	var out [][]rune
	seen := map[string]bool{}
	for _, c := range cands {
		if strings.HasPrefix(c, word) && !seen[c] {
			seen[c] = true
			out = append(out, []rune(c[len(word):]))
		}
	}
	return out
}

// debugger returns the int3 handler of run --debug: a REPL on the
// script's own thread until :continue or Ctrl-D.
func (e *env) debugger(src sources) func(th *runtime.Thread, pos lang.Pos) error {
	var pipe *pipeReader // shared by all breakpoints: it reads ahead
	return func(th *runtime.Thread, pos lang.Pos) error {
		fmt.Fprintf(e.stdout, "int3: stopped at %s. Type statements to inspect; :continue or Ctrl-D resumes.\n", pos)
		if pipe == nil {
			pipe = newPipeReader(e.stdin, e.stdout)
		}
		var rl lineReader = pipe
		if e.isTerminal {
			r, err := readline.NewEx(&readline.Config{Prompt: "debug> ", InterruptPrompt: "^C"})
			if err != nil {
				return err
			}
			rl = r
		}
		defer rl.Close()
		rl.SetPrompt("debug> ")
		s := &session{e: e, th: th, src: src}
		oldEcho := th.Echo
		th.Echo = s.echo
		defer func() { th.Echo = oldEcho }()
		for {
			line, err := rl.Readline()
			if err != nil && !errors.Is(err, readline.ErrInterrupt) {
				return nil
			}
			line = strings.TrimSpace(line)
			switch line {
			case ":continue", ":c", ":quit", ":q":
				return nil
			case "":
				continue
			}
			s.lines = strings.Count(src[replFile], "\n")
			s.entry([]string{line}, false)
		}
	}
}
