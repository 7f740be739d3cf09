package main

import (
	"fmt"
	goruntime "runtime"
	"strings"

	"mmsim/lang"
	"mmsim/stdlib"
)

const version = "0.1.0"

func (e *env) version() int {
	fmt.Fprintf(e.stdout, "mmsim %s (%s %s/%s)\n", version, goruntime.Version(), goruntime.GOOS, goruntime.GOARCH)
	return exitOK
}

func (e *env) help(args []string) int {
	text := helpText(strings.Join(args, " "))
	if len(args) > 0 && strings.HasPrefix(text, "no help") {
		fmt.Fprint(e.stderr, text) // a usage error, like an unknown command
		return exitUsage
	}
	fmt.Fprint(e.stdout, text)
	return exitOK
}

const usage = `mmsim: a scripting language and REPL over a model of Linux memory management.

usage:
  mmsim                       REPL on a terminal; runs a script from stdin otherwise
  mmsim FILE.mms              same as mmsim run FILE.mms
  mmsim run [flags] FILE      run a script (- for stdin, -c 'code' for inline code)
      --machine "x86_64 mem=8G"   replace the script's machine line
      --check=each|end|off        when to check the model's invariants (default end)
      --max-steps N               stop after N steps (default 10000000; 0 for no limit)
      --seed N  --trace  --debug  --leaks
  mmsim test [flags] [PATH...]   run the test blocks of *_test.mms files
      --format text|tap|junit|json|gradescope  --out FILE   report format, and a file for it
      --lib DIR  --run REGEX  -v  --jobs N                   student code, selection, workers
      --timeout 10s  --max-steps N  --max-mem 16G  --max-output 1M   limits per test
      --check=each|end|off  --machine LINE  --seed N  --leaks=false
  mmsim check FILE...         parse only
  mmsim repl                  the REPL, also when stdin is not a terminal
  mmsim version
  mmsim help [topic]          topics: statements, builtins, views, keywords, exit, or a name

exit codes: 0 ok, 1 assertion or test failure, 2 usage, 65 syntax error,
70 runtime error, kernel BUG, uncaught SIGSEGV or violated invariant
`

const statementsHelp = `statements (one per line, or separated by ;):
  machine ARCH key=value ...    first statement: x86 or x86_64; mem= cpus= swap= slab= paging= ...
  x = e   x += e                assignment (functions assign locals; blocks open no scope)
  int n = e  ptr p = e  cache c = e  page pg = e  proc t = e    typed declaration
  f(a, b, key=v)   f a b         call; a built-in or function may drop parentheses at statement level
  if c { } else if d { } else { }   while c { }   for x in 0..n { }   for k, v in m { }
  repeat n { }   break   continue   fn name(a, b) { return v }
  irq { }  softirq { }  atomic { }  cpu N { }  as PID { }      execution contexts
  print a, b    show VIEW [args]   assert c [, "message"]    check
  expect error|segv|bug|oom|warn ["text"] { }                  the block must fail so
  test "name" [points=N] [visibility="hidden"] [tags=[..]] { }   setup { }   skip "why"
  print x  # expect: 42         expected output; # expect[ALT]: alternatives; # expect-error: TEXT
  use "file.mms"                load definitions from a file next to the script
  int 0x80   int3               system call gate (number and arguments in regs); breakpoint
  p = spawn("name")  fork  exec "name"  exit  wait  switch PID   processes (current, task(pid))
  touch ADDR [read|write|exec]  write ADDR V  read(ADDR)         memory access; user addresses fault
  syscall(NR, args...)  syscall   regs.eax = 45                  system calls by number; registers
  kswapd  swapon()  swapoff()  mlock(a, n)  oom_score_adj(pid, v)  reclaim and swap
  replay_refs("lru", 3, [7, 0, 1, 2])                            textbook page replacement
`

func helpText(topic string) string {
	switch topic {
	case "":
		return usage
	case "statements", "syntax":
		return statementsHelp
	case "keywords":
		return "keywords: " + strings.Join(lang.Keywords, " ") + "\n"
	case "exit", "exit codes":
		return "exit codes: 0 ok, 1 assertion or test failure, 2 usage, 65 syntax error,\n70 runtime error, kernel BUG, uncaught SIGSEGV or violated invariant\n"
	case "builtins":
		var b strings.Builder
		b.WriteString("built-in functions:\n")
		for _, f := range stdlib.Builtins() {
			fmt.Fprintf(&b, "  %-12s %s\n", f.Name, f.Doc)
		}
		b.WriteString("constants: " + strings.Join(stdlib.Constants(), " ") + "\n")
		return b.String()
	case "views", "show":
		var b strings.Builder
		b.WriteString("views (show NAME):\n")
		for _, v := range stdlib.ViewList() {
			fmt.Fprintf(&b, "  %-12s %s\n", v.Name, v.Doc)
		}
		return b.String()
	}
	for _, f := range stdlib.Builtins() {
		if f.Name == topic {
			return f.Doc + "\n"
		}
	}
	for _, v := range stdlib.ViewList() {
		if v.Name == topic {
			return "show " + v.Name + ": " + v.Doc + "\n"
		}
	}
	if lang.IsKeyword(topic) {
		return topic + " is a keyword; see help statements\n"
	}
	return fmt.Sprintf("no help for %q; topics: statements, builtins, views, keywords, exit, or a built-in or view name\n", topic)
}
