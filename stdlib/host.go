// Package stdlib binds the language to the machine model: built-in
// functions, constants, show views, and the Host through which the
// interpreter boots the machine and enters execution contexts.
//
// The model's subsystems add their built-ins and views here with
// Register, Constant and RegisterView, one file per subsystem.
package stdlib

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"mmsim/kernelmodel"
	"mmsim/kernelmodel/bug"
	"mmsim/kernelmodel/mm"
	"mmsim/lang"
	"mmsim/runtime"
)

// Host is the runtime.Host of a script: it owns the machine.
type Host struct {
	Machine *kernelmodel.Machine
	// Override, when set, is the machine from the command line's
	// --machine: it replaces the script's own machine line.
	Override *kernelmodel.Config
	// Seed, when set, replaces the machine's seed (--seed).
	Seed *int64
	// MaxMem, when not 0, is the most simulated RAM a machine may have
	// (mmsim test --max-mem): a larger machine line is a limit error.
	MaxMem uint64
	// OnBreakpoint handles int3; by default the state is printed.
	OnBreakpoint func(th *runtime.Thread, pos lang.Pos) error
}

// NewThread returns a thread wired to a new Host, with the universe of
// built-ins and constants.
func NewThread(out, errw io.Writer) (*runtime.Thread, *Host) {
	h := &Host{}
	u := Universe()
	threadNames(h, u)
	th := runtime.NewThread(h, u, out, errw)
	return th, h
}

// HostOf returns the Host of a thread made by NewThread.
func HostOf(th *runtime.Thread) *Host {
	h, _ := th.Host.(*Host)
	return h
}

// Boot implements runtime.Host.
func (h *Host) Boot(th *runtime.Thread, m *lang.MachineStmt) error {
	cfg := kernelmodel.DefaultConfig()
	switch {
	case h.Override != nil:
		cfg = *h.Override
	case m != nil:
		settings := make([]kernelmodel.Setting, len(m.Args))
		for i, a := range m.Args {
			settings[i] = kernelmodel.Setting{Key: a.Key, Value: a.Value}
		}
		c, err := kernelmodel.NewConfig(kernelmodel.Arch(m.Arch), settings)
		if err != nil {
			start, _ := m.Span()
			var ce *kernelmodel.ConfigError
			if errors.As(err, &ce) && ce.Index >= 0 {
				start = m.Args[ce.Index].Pos
			} else if errors.As(err, &ce) && ce.Index == -1 && strings.HasPrefix(ce.Msg, "unknown architecture") {
				start = m.ArchPos
			}
			return &runtime.Error{Kind: runtime.KindError, Pos: start, Msg: "machine: " + err.Error()}
		}
		cfg = c
	}
	if h.Seed != nil {
		cfg.Seed = *h.Seed
	}
	if h.MaxMem != 0 && cfg.Mem > h.MaxMem {
		msg := fmt.Sprintf("machine: mem=%s is more simulated memory than this run allows (limit %s; raise it with --max-mem)",
			kernelmodel.FormatSize(cfg.Mem), kernelmodel.FormatSize(h.MaxMem))
		if m == nil {
			return runtime.Errorf(runtime.KindLimit, "%s", strings.Replace(msg, "machine: ", "the default machine (the file has no machine line): ", 1))
		}
		pos, _ := m.Span()
		return &runtime.Error{Kind: runtime.KindLimit, Pos: pos, Msg: msg}
	}
	mach, err := kernelmodel.Boot(cfg)
	if err != nil {
		return modelErr(err)
	}
	h.Machine = mach
	return nil
}

// ParseMachine parses a machine line such as "x86_64 mem=8G" (the word
// machine is optional), for --machine.
func ParseMachine(line string) (kernelmodel.Config, error) { return kernelmodel.ParseConfig(line) }

// modelErr gives a model error its runtime kind.
func modelErr(err error) error {
	if err == nil {
		return nil
	}
	var kbug *bug.Error
	if errors.As(err, &kbug) {
		return runtime.Errorf(runtime.KindBug, "%s", kbug.Msg)
	}
	var oom *bug.OOM
	if errors.As(err, &oom) {
		return runtime.Errorf(runtime.KindOOM, "%s", oom.Msg)
	}
	var inv *bug.Invariant
	if errors.As(err, &inv) {
		return runtime.Errorf(runtime.KindInvariant, "%s", inv.Error())
	}
	return err
}

func (h *Host) machine() (*kernelmodel.Machine, error) {
	if h.Machine == nil {
		return nil, fmt.Errorf("no machine is running")
	}
	return h.Machine, nil
}

// Enter implements runtime.Host.
func (h *Host) Enter(th *runtime.Thread, kind string, arg runtime.Value) (func(), error) {
	m, err := h.machine()
	if err != nil {
		return nil, err
	}
	c := kernelmodel.Context{Kind: kernelmodel.ContextKind(kind)}
	if arg != nil {
		n, ok := arg.(runtime.Int)
		if !ok {
			return nil, fmt.Errorf("%s needs an int, not %s", kind, arg.Type())
		}
		c.CPU, c.PID = int(n), int(n)
	}
	if err := m.EnterContext(c); err != nil {
		return nil, modelErr(err)
	}
	return m.LeaveContext, nil
}

// Left implements runtime.ContextLeaver: warnings of the work that ran
// when the context ended (deferred vfree()s) are reported at its end, and
// so is a cpu block left while it may not migrate.
func (h *Host) Left(th *runtime.Thread, end lang.Pos) error {
	if h.Machine == nil {
		return nil
	}
	for _, w := range h.Machine.TakeWarnings() {
		th.Warn(end, w)
	}
	return modelErr(h.Machine.TakeLeaveError())
}

// Interrupt implements runtime.Host: the int instruction.
func (h *Host) Interrupt(th *runtime.Thread, vector int64) error {
	if vector != 0x80 {
		return fmt.Errorf("int %#x: only int 0x80, the system call gate, is modelled", vector)
	}
	m, err := h.machine()
	if err != nil {
		return err
	}
	t := m.Procs.Current()
	if t == nil {
		return fmt.Errorf("int 0x80: no process is running on cpu %d, so there is no one to make a system call", m.CPU())
	}
	err = m.Procs.Int80(t)
	var sig *mm.Signal
	if errors.As(err, &sig) {
		return signalErr(th, m, sig)
	}
	return modelErr(err)
}

// Breakpoint implements runtime.Host: int3 prints where it stopped and the
// global variables, or hands over to the debugger.
func (h *Host) Breakpoint(th *runtime.Thread, pos lang.Pos) error {
	if h.OnBreakpoint != nil {
		return h.OnBreakpoint(th, pos)
	}
	fmt.Fprintf(th.Out, "int3: breakpoint at %s\n", pos)
	for _, name := range th.GlobalNames() {
		v, _ := th.Global(name)
		if _, ok := v.(*runtime.Function); ok {
			continue
		}
		fmt.Fprintf(th.Out, "  %s = %s\n", name, runtime.Repr(v))
	}
	return nil
}

// Check implements runtime.Host.
func (h *Host) Check(th *runtime.Thread) error {
	if h.Machine == nil {
		return nil
	}
	return modelErr(h.Machine.Check())
}

// Views implements runtime.Host.
func (h *Host) Views() []string {
	names := make([]string, 0, len(views))
	for n := range views {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Show implements runtime.Host.
func (h *Host) Show(th *runtime.Thread, view string, args []runtime.ShowArg, pos lang.Pos) error {
	v, ok := views[view]
	if !ok {
		msg := fmt.Sprintf("show: unknown view %q", view)
		if s := runtime.Nearest(view, h.Views()); s != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", s)
		}
		return fmt.Errorf("%s; views: %s", msg, strings.Join(h.Views(), ", "))
	}
	return v.Show(h, th, args)
}
