package stdlib

import (
	"fmt"
	"sort"

	"mmsim/runtime"
)

// View is a show view.
type View struct {
	Name string
	Doc  string // one line for help
	Show func(h *Host, th *runtime.Thread, args []runtime.ShowArg) error
}

var (
	builtins  = map[string]*runtime.Builtin{}
	constants = map[string]runtime.Value{}
	views     = map[string]View{}
)

// Register adds a built-in function. Names are unique.
func Register(b *runtime.Builtin) {
	if _, dup := builtins[b.Name]; dup {
		panic("stdlib: built-in registered twice: " + b.Name)
	}
	builtins[b.Name] = b
}

// Constant adds a predeclared constant.
func Constant(name string, v runtime.Value) {
	if _, dup := constants[name]; dup {
		panic("stdlib: constant registered twice: " + name)
	}
	constants[name] = v
}

// RegisterView adds a show view.
func RegisterView(v View) {
	if _, dup := views[v.Name]; dup {
		panic("stdlib: view registered twice: " + v.Name)
	}
	views[v.Name] = v
}

// Universe returns the predeclared names: built-ins and constants.
func Universe() map[string]runtime.Value {
	u := make(map[string]runtime.Value, len(builtins)+len(constants))
	for k, v := range builtins {
		u[k] = v
	}
	for k, v := range constants {
		u[k] = v
	}
	return u
}

// Builtins returns the built-ins sorted by name, for help and completion.
func Builtins() []*runtime.Builtin {
	out := make([]*runtime.Builtin, 0, len(builtins))
	for _, b := range builtins {
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Constants returns the constant names, sorted.
func Constants() []string {
	out := make([]string, 0, len(constants))
	for k := range constants {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ViewList returns the views sorted by name.
func ViewList() []View {
	out := make([]View, 0, len(views))
	for _, v := range views {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// noArgs rejects arguments to a view that takes none.
func noArgs(view string, args []runtime.ShowArg) error {
	if len(args) > 0 {
		return fmt.Errorf("show %s takes no arguments", view)
	}
	return nil
}
