package runtime

import (
	"fmt"
	"io"
	"math"
	"sync/atomic"

	"mmsim/lang"
)

// ContextLeaver is a Host with something to report once a context block
// has ended: the model runs work deferred to process context then, and its
// warnings belong to the block's end; an error says the block may not end
// in the state it left (the context is gone all the same).
type ContextLeaver interface {
	Left(th *Thread, end lang.Pos) error
}

// Host connects the interpreter to the machine model; stdlib implements it.
type Host interface {
	// Boot builds the machine from a machine line, or the default (or the
	// command line's --machine) when m is nil.
	Boot(th *Thread, m *lang.MachineStmt) error
	// Show prints a view.
	Show(th *Thread, view string, args []ShowArg, pos lang.Pos) error
	// Views lists the view names, for completion and "did you mean".
	Views() []string
	// Enter starts an execution context (irq, softirq, atomic, cpu, as);
	// leave ends it.
	Enter(th *Thread, kind string, arg Value) (leave func(), err error)
	// Interrupt executes the software interrupt instruction int N.
	Interrupt(th *Thread, vector int64) error
	// Breakpoint executes int3.
	Breakpoint(th *Thread, pos lang.Pos) error
	// Check runs the model's invariant checks.
	Check(th *Thread) error
}

// ShowArg is an evaluated argument of show: a flag such as "-s", or a value.
type ShowArg struct {
	Flag  string
	Value Value
	Pos   lang.Pos
}

// CheckMode says when the model's invariants are checked.
type CheckMode int

const (
	CheckEach CheckMode = iota // after every statement
	CheckEnd                   // once, when the script ends
	CheckOff
)

// ParseCheckMode reads each, end or off.
func ParseCheckMode(s string) (CheckMode, error) {
	switch s {
	case "each":
		return CheckEach, nil
	case "end":
		return CheckEnd, nil
	case "off":
		return CheckOff, nil
	}
	return 0, fmt.Errorf("invalid check mode %q (want each, end or off)", s)
}

// Default limits.
const (
	DefaultMaxSteps = 10_000_000
	DefaultMaxDepth = 200
	MaxValueLen     = 1 << 24 // elements of a list or bytes of a string
)

// Thread is one computation: its output, limits, hooks and global scope.
// It is not safe for concurrent use except Cancel.
type Thread struct {
	Out      io.Writer // print and show
	Err      io.Writer // warnings
	Host     Host
	Universe map[string]Value // predeclared built-ins and constants
	// expecting holds the kinds of the expect blocks running, innermost
	// last.
	expecting []string

	MaxSteps  uint64 // 0 means DefaultMaxSteps; math.MaxUint64 for none
	MaxDepth  int    // user-function calls; 0 means DefaultMaxDepth
	CheckMode CheckMode
	// REPL allows machine lines anywhere (they reboot) and sends the value
	// of each top-level bare expression to Echo.
	REPL bool
	Echo func(v Value, x lang.Expr)
	// Trace, when set, receives each statement as it runs.
	Trace io.Writer
	// Load reads the file a use statement names; from is the use
	// statement's position. The loader decides where paths are resolved
	// (the CLI: the script's folder, never outside it).
	Load func(th *Thread, from lang.Pos, path string) (*lang.File, error)

	steps    uint64
	cancel   atomic.Pointer[string]
	depth    int
	globals  *env
	stack    []Frame
	locals   map[string]any
	warnings []string
	loading  map[string]bool
	top      lang.Stmt
	// Test is the header of the test block RunTest is running.
	Test   *TestInfo // the top-level statement running, for Echo
	booted bool
}

// NewThread returns a thread with an empty global scope.
func NewThread(host Host, universe map[string]Value, out, errw io.Writer) *Thread {
	return &Thread{Host: host, Universe: universe, Out: out, Err: errw, globals: newEnv(nil)}
}

// Cancel stops the computation at its next step with the given reason.
// It is safe to call from any goroutine; the first reason wins.
func (th *Thread) Cancel(reason string) { th.cancel.CompareAndSwap(nil, &reason) }

// Uncancel clears a cancellation, so the thread can run again.
func (th *Thread) Uncancel() { th.cancel.Store(nil) }

// Steps is the number of steps executed so far.
func (th *Thread) Steps() uint64 { return th.steps }

// SetLocal stores a host value that built-ins need and scripts cannot see.
func (th *Thread) SetLocal(key string, v any) {
	if th.locals == nil {
		th.locals = map[string]any{}
	}
	th.locals[key] = v
}

// Local returns a value stored with SetLocal.
func (th *Thread) Local(key string) any { return th.locals[key] }

// Warn reports a kernel warning (WARN_ON): printed, counted, and visible
// to expect warn. Execution goes on.
func (th *Thread) Warn(pos lang.Pos, msg string) {
	th.warnings = append(th.warnings, msg)
	if th.Err != nil {
		fmt.Fprintf(th.Err, "%s: warning: %s\n", pos, msg)
	}
}

// Global returns a global variable's value.
func (th *Thread) Global(name string) (Value, bool) {
	b, ok := th.globals.vars[name]
	if !ok {
		return nil, false
	}
	return b.v, true
}

// SetGlobal binds a global variable.
func (th *Thread) SetGlobal(name string, v Value) { th.globals.set(name, v, "") }

// GlobalNames lists the global variables in order.
func (th *Thread) GlobalNames() []string { return sortedNames(th.globals.vars) }

// Booted reports whether the machine has been booted.
func (th *Thread) Booted() bool { return th.booted }

func (th *Thread) maxSteps() uint64 {
	if th.MaxSteps == 0 {
		return DefaultMaxSteps
	}
	return th.MaxSteps
}

func (th *Thread) maxDepth() int {
	if th.MaxDepth == 0 {
		return DefaultMaxDepth
	}
	return th.MaxDepth
}

// step counts one step and checks the limits.
func (th *Thread) step(p lang.Pos) error {
	th.steps++
	if th.steps > th.maxSteps() && th.maxSteps() != math.MaxUint64 {
		return &Error{Kind: KindLimit, Pos: p, Msg: fmt.Sprintf("computation cancelled: too many steps (limit %d; raise it with --max-steps)", th.maxSteps())}
	}
	if r := th.cancel.Load(); r != nil {
		return &Error{Kind: KindLimit, Pos: p, Msg: "computation cancelled: " + *r}
	}
	return nil
}

// WorkPerStep is how many elements or bytes of work cost one step: an
// operation on a long string or list (concatenation, comparison, sorting,
// printing) is charged for its size, so that --max-steps bounds the work a
// script can do, not only the statements it runs.
const WorkPerStep = 16

// Charge counts the steps of n elements or bytes of work done by one
// operation, and checks the limits. Built-ins whose cost grows with their
// input call it.
func (th *Thread) Charge(n int) error {
	if n < WorkPerStep {
		return nil
	}
	th.steps += uint64(n/WorkPerStep) - 1
	return th.step(lang.Pos{})
}

// size is the work an operation on v costs: the length of a string, list or
// map.
func size(v Value) int {
	switch v := v.(type) {
	case String:
		return len(v)
	case *List:
		return len(v.Elems)
	case *Map:
		return v.Len()
	}
	return 0
}

// binding is a variable: its value and, for a typed declaration, its type.
type binding struct {
	v   Value
	typ string
}

// env is a scope: the top level, or one call of a function.
type env struct {
	vars   map[string]*binding
	parent *env
}

func newEnv(parent *env) *env { return &env{vars: map[string]*binding{}, parent: parent} }

func (e *env) lookup(name string) (*binding, bool) {
	for ; e != nil; e = e.parent {
		if b, ok := e.vars[name]; ok {
			return b, true
		}
	}
	return nil, false
}

func (e *env) set(name string, v Value, typ string) {
	if b, ok := e.vars[name]; ok {
		b.v = v
		if typ != "" {
			b.typ = typ
		}
		return
	}
	e.vars[name] = &binding{v: v, typ: typ}
}

// Expecting reports whether an expect block of this kind ("segv", ...)
// is running: the error it would catch is handled, not fatal (a SIGSEGV
// in it is a signal the process handles).
func (th *Thread) Expecting(kind string) bool {
	for _, k := range th.expecting {
		if k == kind {
			return true
		}
	}
	return false
}
