// Package bug holds the error types every subsystem of the model shares:
// a kernel BUG, a violated invariant of the model, and the warnings the
// kernel prints and carries on after.
package bug

import "fmt"

// Error is a kernel BUG: the kernel would have printed an oops (or a
// "BUG:" report such as "Bad page state") and the operation did not
// happen.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

// Errorf returns a *Error with a formatted message.
func Errorf(format string, args ...any) error {
	return &Error{Msg: fmt.Sprintf(format, args...)}
}

// Invariant is a violated invariant of the model: a bug in mmsim, never
// in a script.
type Invariant struct {
	Rule   string
	Detail string
}

func (e *Invariant) Error() string { return e.Rule + ": " + e.Detail }

// Violation returns a *Invariant with a formatted detail.
func Violation(rule, format string, args ...any) error {
	return &Invariant{Rule: rule, Detail: fmt.Sprintf(format, args...)}
}

// OOM is an allocation the kernel could not fail and could not satisfy:
// it would have killed a task or, with none to kill, panicked.
type OOM struct{ Msg string }

func (e *OOM) Error() string { return e.Msg }
