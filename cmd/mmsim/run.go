package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"mmsim/kernelmodel"
	"mmsim/lang"
	"mmsim/runtime"
	"mmsim/stdlib"
)

// options are the flags shared by run, test and repl.
type options struct {
	machine  string
	check    string
	maxSteps uint64
	seed     int64
	seedSet  bool
	trace    bool
	debug    bool
	code     string
	leaks    bool
}

func (o *options) register(fs interface {
	StringVar(*string, string, string, string)
	Uint64Var(*uint64, string, uint64, string)
	BoolVar(*bool, string, bool, string)
	Func(string, string, func(string) error)
}, checkDefault string) {
	fs.StringVar(&o.machine, "machine", "", "machine line that replaces the script's, e.g. \"x86_64 mem=8G\"")
	fs.StringVar(&o.check, "check", checkDefault, "when to check the model's invariants: each, end or off")
	fs.Uint64Var(&o.maxSteps, "max-steps", runtime.DefaultMaxSteps, "stop a script after this many steps (0: no limit)")
	fs.Func("seed", "seed for the model's randomness (overrides the machine line's)", func(s string) error {
		n, err := parseSeed(s)
		o.seed, o.seedSet = n, true
		return err
	})
	fs.BoolVar(&o.trace, "trace", false, "print each statement to stderr as it runs")
}

// registerLeaks adds --leaks: a kmemleak-like report of slab objects never
// freed, at the end of a script or test.
func (o *options) registerLeaks(fs interface {
	BoolVar(*bool, string, bool, string)
}, def bool) {
	fs.BoolVar(&o.leaks, "leaks", def, "report kmalloc and kmem_cache objects never freed (kmemleak)")
}

func parseSeed(s string) (int64, error) {
	v, msg := lang.ParseInt(s)
	if msg != "" || v > math.MaxInt64 {
		return 0, fmt.Errorf("invalid seed %q", s)
	}
	return int64(v), nil
}

// newThread makes a thread with the options applied, whose use statements
// load files from roots: the script's folder first.
func (e *env) newThread(o *options, src sources, roots ...string) (*runtime.Thread, error) {
	th, host := stdlib.NewThread(e.stdout, e.stderr)
	if o.machine != "" || o.seedSet {
		var cfg kernelmodel.Config
		var err error
		if o.machine != "" {
			if cfg, err = stdlib.ParseMachine(o.machine); err != nil {
				return nil, fmt.Errorf("--machine: %v", err)
			}
			host.Override = &cfg
		}
		if o.seedSet {
			host.Seed = &o.seed
		}
	}
	mode, err := runtime.ParseCheckMode(o.check)
	if err != nil {
		return nil, fmt.Errorf("--check: %v", err)
	}
	th.CheckMode = mode
	th.MaxSteps = o.maxSteps
	if o.maxSteps == 0 {
		th.MaxSteps = math.MaxUint64
	}
	if o.trace {
		th.Trace = e.stderr
	}
	th.Load = (&loader{roots: roots, src: src}).load
	return th, nil
}

func (e *env) run(args []string) int {
	var o options
	fs := e.newFlagSet("run", "mmsim run [flags] FILE.mms  (or - for stdin; or -c 'code')")
	o.register(fs, "end")
	fs.BoolVar(&o.debug, "debug", false, "stop at int3 in a REPL (needs a terminal)")
	fs.StringVar(&o.code, "c", "", "run this code instead of a file")
	o.registerLeaks(fs, false)
	files, err := parseFlags(fs, args)
	if err != nil {
		return exitUsage
	}
	var name, text string
	switch {
	case o.code != "" && len(files) == 0:
		name, text = "<command line>", o.code
	case o.code == "" && len(files) == 1:
		name = files[0]
		var data []byte
		if name == "-" {
			name = "<stdin>"
			data, err = io.ReadAll(io.LimitReader(e.stdin, lang.MaxSourceSize+1))
		} else {
			data, err = os.ReadFile(name)
		}
		if err != nil {
			fmt.Fprintf(e.stderr, "mmsim: %v\n", err)
			return exitUsage
		}
		text = string(data)
	default:
		fs.Usage()
		return exitUsage
	}
	src := sources{name: text}
	dir := "."
	if name != "<stdin>" && name != "<command line>" {
		dir = filepath.Dir(name)
	}
	th, err := e.newThread(&o, src, dir)
	if err != nil {
		fmt.Fprintf(e.stderr, "mmsim: %v\n", err)
		return exitUsage
	}
	if o.debug {
		stdlib.HostOf(th).OnBreakpoint = e.debugger(src)
	}
	f, err := lang.Parse(name, text)
	if err != nil {
		src.report(e.stderr, err)
		return exitCode(err)
	}
	err = th.ExecFile(f)
	if o.leaks && err == nil {
		fmt.Fprint(e.stderr, stdlib.LeakReport(stdlib.HostOf(th)))
	}
	if n := len(runtime.Tests(f)); n > 0 && err == nil {
		fmt.Fprintf(e.stderr, "note: %s has %d test block%s; run them with mmsim test %s\n", name, n, plural(n), name)
	}
	if err != nil {
		if runtime.KindOf(err) == runtime.KindSkip {
			fmt.Fprintf(e.stderr, "%s\n", strings.TrimPrefix(err.Error(), ": "))
			return exitOK
		}
		src.report(e.stderr, err)
	}
	return exitCode(err)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func (e *env) check(args []string) int {
	fs := e.newFlagSet("check", "mmsim check FILE...")
	files, err := parseFlags(fs, args)
	if err != nil {
		return exitUsage
	}
	if len(files) == 0 {
		fs.Usage()
		return exitUsage
	}
	code := exitOK
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			fmt.Fprintf(e.stderr, "mmsim: %v\n", err)
			code = max(code, exitUsage)
			continue
		}
		src := sources{name: string(data)}
		if _, err := lang.Parse(name, string(data)); err != nil {
			src.report(e.stderr, err)
			code = max(code, exitSyntax)
		}
	}
	return code
}

// loader reads the files of use statements from the first of its roots
// that has them (the script's folder, then --lib folders). It never leaves its roots:
// no absolute paths, no "..", no symbolic link that points outside.
type loader struct {
	roots []string
	src   sources
	// from remembers the root each loaded file came from: a file found
	// in a --lib folder (a student's) may use files of that folder only,
	// never the tests' (which could hold a reference solution).
	from map[string]string
}

func (l *loader) load(th *runtime.Thread, from lang.Pos, path string) (*lang.File, error) {
	if path == "" || filepath.IsAbs(path) || strings.HasPrefix(path, "/") || strings.Contains(path, "\\") {
		return nil, fmt.Errorf("use %q: the path must be relative to the script's folder", path)
	}
	for _, part := range strings.Split(path, "/") {
		if part == ".." {
			return nil, fmt.Errorf("use %q: the path may not leave the script's folder (no ..)", path)
		}
	}
	roots := l.roots
	if root, ok := l.from[filepath.Clean(from.File)]; ok && len(l.roots) > 1 && root != l.roots[0] {
		roots = []string{root}
	}
	for _, root := range roots {
		f, err := l.loadFrom(root, path)
		if errors.Is(err, errNotInRoot) {
			continue
		}
		if err == nil {
			if l.from == nil {
				l.from = map[string]string{}
			}
			l.from[filepath.Clean(f.Name)] = root
		}
		return f, err
	}
	return nil, fmt.Errorf("use %q: no such file in %s", path, strings.Join(roots, " or "))
}

// errNotInRoot: the file does not exist in this root; try the next.
var errNotInRoot = errors.New("no such file")

func (l *loader) loadFrom(root, path string) (*lang.File, error) {
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return nil, fmt.Errorf("use %q: %v", path, err)
	}
	full := filepath.Join(root, filepath.FromSlash(path))
	real, err := filepath.EvalSymlinks(full)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, errNotInRoot
		}
		return nil, fmt.Errorf("use %q: %v", path, err)
	}
	rel, err := filepath.Rel(realRoot, real)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return nil, fmt.Errorf("use %q: the file is a link to outside the script's folder", path)
	}
	st, err := os.Stat(real)
	if err != nil || !st.Mode().IsRegular() {
		return nil, fmt.Errorf("use %q: not a regular file", path)
	}
	if st.Size() > lang.MaxSourceSize {
		return nil, fmt.Errorf("use %q: file is too large", path)
	}
	data, err := os.ReadFile(real)
	if err != nil {
		return nil, fmt.Errorf("use %q: %v", path, err)
	}
	l.src[full] = string(data)
	return lang.Parse(full, string(data))
}
