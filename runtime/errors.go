package runtime

import (
	"errors"
	"fmt"
	"strings"

	"mmsim/lang"
)

// Kind classifies a runtime error. The CLI maps kinds to exit codes and
// expect blocks catch them by name.
type Kind int

const (
	KindError     Kind = iota // a wrong script: type, name, argument, errno
	KindBug                   // a kernel BUG (sleeping in atomic context, double free)
	KindSegv                  // an uncaught SIGSEGV
	KindOOM                   // out of memory, OOM killer
	KindAssert                // a failed assert or expect
	KindInvariant             // the model's own invariant check failed
	KindLimit                 // step limit, call depth, cancellation
	KindSkip                  // skip "reason": not a failure
)

var kindPrefix = map[Kind]string{
	KindError:     "error: ",
	KindBug:       "kernel BUG: ",
	KindSegv:      "SIGSEGV: ",
	KindOOM:       "out of memory: ",
	KindAssert:    "assertion failed: ",
	KindInvariant: "invariant violated: ",
	KindLimit:     "error: ",
	KindSkip:      "skipped: ",
}

// ExpectName is the word an expect block uses for the kind, or "".
func (k Kind) ExpectName() string {
	switch k {
	case KindError:
		return "error"
	case KindBug:
		return "bug"
	case KindSegv:
		return "segv"
	case KindOOM:
		return "oom"
	}
	return ""
}

// Frame is one active call: where the call was made from, in which function.
type Frame struct {
	Name string // "<toplevel>" or a function name
	Pos  lang.Pos
}

// Error is a runtime error with the position of the statement or
// expression that failed and the user-function calls that led there.
type Error struct {
	Kind  Kind
	Pos   lang.Pos
	Msg   string
	Stack []Frame // outermost first; the last frame is where it failed
	Cause error
}

func (e *Error) Error() string { return e.Pos.String() + ": " + kindPrefix[e.Kind] + e.Msg }

func (e *Error) Unwrap() error { return e.Cause }

// Backtrace is the error with the chain of calls, most recent last, when
// the error happened inside a function.
func (e *Error) Backtrace() string {
	if len(e.Stack) <= 1 {
		return e.Error()
	}
	var b strings.Builder
	b.WriteString("Traceback (most recent call last):\n")
	for i := 0; i < len(e.Stack); {
		f := e.Stack[i]
		j := i + 1
		for j < len(e.Stack) && e.Stack[j] == f {
			j++
		}
		fmt.Fprintf(&b, "  %s: in %s\n", f.Pos, f.Name)
		if n := j - i - 1; n > 0 {
			fmt.Fprintf(&b, "  [the line above repeats %d more time%s]\n", n, plural(n))
		}
		i = j
	}
	b.WriteString(e.Error())
	return b.String()
}

// Errorf makes an error of a kind; built-ins return it and the evaluator
// fills in the position.
func Errorf(k Kind, format string, args ...any) *Error {
	return &Error{Kind: k, Msg: fmt.Sprintf(format, args...)}
}

// KindOf reports the kind of err: a *Error's own, an error that declares
// its kind through a Kind() method, or KindError.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	var k interface{ Kind() Kind }
	if errors.As(err, &k) {
		return k.Kind()
	}
	return KindError
}

// Nearest returns the candidate closest to name, for "did you mean", or
// "" if none is close. Case and underscores are ignored; at most a third of
// the letters may differ. Names longer than maxNearest bytes get no
// suggestion: the edit distance takes time quadratic in the length.
func Nearest(name string, candidates []string) string {
	if len(name) > maxNearest {
		return ""
	}
	norm := func(s string) string { return strings.ToLower(strings.ReplaceAll(s, "_", "")) }
	n := norm(name)
	limit := max(1, len(n)/3)
	best, bestDist := "", limit+1
	for _, c := range candidates {
		if c == name {
			continue
		}
		d := editDistance(n, norm(c), limit)
		if d < bestDist || (d == bestDist && c < best) {
			best, bestDist = c, d
		}
	}
	return best
}

// maxNearest is the longest name Nearest looks for.
const maxNearest = 128

// editDistance is the Levenshtein distance, giving up above max.
func editDistance(a, b string, max int) int {
	if d := len(a) - len(b); d > max || -d > max {
		return max + 1
	}
	// Three rows: a swap of two neighbouring letters (lne for len) is one
	// edit, as in the optimal string alignment distance.
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
