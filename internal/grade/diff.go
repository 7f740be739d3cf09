package grade

import (
	"fmt"
	"strings"
)

// op is one line of an edit script: ' ' kept, '-' only in a, '+' only in b.
type op struct {
	kind byte
	a, b int // 0-based line indexes in a and b (the one that applies)
}

// maxEdits bounds the search for a shortest script: Myers' time grows as
// (N+M)·D and its saved frontiers as D². Past maxEdits differences the
// middle is shown all deleted and all added, which is still a correct diff.
const maxEdits = 1000

// editScript returns an edit script from a to b: common leading and
// trailing lines kept, and a shortest script for the middle.
func editScript(a, b []string) []op {
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	var ops []op
	for i := 0; i < pre; i++ {
		ops = append(ops, op{' ', i, i})
	}
	ma, mb := a[pre:len(a)-suf], b[pre:len(b)-suf]
	mid, ok := myers(ma, mb)
	if !ok {
		mid = nil
		for i := range ma {
			mid = append(mid, op{'-', i, 0})
		}
		for j := range mb {
			mid = append(mid, op{'+', len(ma), j})
		}
	}
	for _, o := range mid {
		ops = append(ops, op{o.kind, o.a + pre, o.b + pre})
	}
	for i := 0; i < suf; i++ {
		ops = append(ops, op{' ', len(a) - suf + i, len(b) - suf + i})
	}
	return ops
}

// myers returns a shortest edit script from a to b, found with Myers'
// O((N+M)D) greedy algorithm ("An O(ND) Difference Algorithm and Its
// Variations", 1986).
func myers(a, b []string) ([]op, bool) {
	n, m := len(a), len(b)
	max := n + m
	off := max + 1
	v := make([]int, 2*max+3)
	// trace[d] is the frontier before round d, diagonals -d..d: all that
	// backtrack reads of it, so that memory grows as D², not (N+M)·D.
	var trace [][]int
	for d := 0; d <= max; d++ {
		if d > maxEdits {
			return nil, false
		}
		trace = append(trace, append([]int(nil), v[off-d:off+d+1]...))
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = v[off+k+1] // down: insert from b
			} else {
				x = v[off+k-1] + 1 // right: delete from a
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x, y = x+1, y+1
			}
			v[off+k] = x
			if x >= n && y >= m {
				return backtrack(trace, a, b, d), true
			}
		}
	}
	return nil, true // unreachable: d = N+M always reaches the end
}

// backtrack walks the saved frontiers from the end back to the start.
func backtrack(trace [][]int, a, b []string, d int) []op {
	x, y := len(a), len(b)
	var rev []op
	for ; d >= 0; d-- {
		v := trace[d] // v[k+d] is diagonal k
		k := x - y
		var prevK int
		if k == -d || (k != d && v[k-1+d] < v[k+1+d]) {
			prevK = k + 1
		} else {
			prevK = k - 1
		}
		prevX := 0
		if d > 0 {
			prevX = v[prevK+d]
		}
		prevY := prevX - prevK
		if d == 0 {
			prevX, prevY = 0, 0
		}
		for x > prevX && y > prevY {
			x, y = x-1, y-1
			rev = append(rev, op{' ', x, y})
		}
		if d > 0 {
			if x == prevX {
				rev = append(rev, op{'+', x, y - 1})
			} else {
				rev = append(rev, op{'-', x - 1, y})
			}
		}
		x, y = prevX, prevY
	}
	out := make([]op, len(rev))
	for i := range rev {
		out[i] = rev[len(rev)-1-i]
	}
	return out
}

// Diff returns a unified diff (diff -u) of the lines a and b with three
// lines of context, under the headers "--- aName" and "+++ bName", or ""
// when they are equal. Hunk headers give 1-based line numbers.
func Diff(aName string, a []string, bName string, b []string) string {
	ops := editScript(a, b)
	changed := false
	for _, o := range ops {
		if o.kind != ' ' {
			changed = true
			break
		}
	}
	if !changed {
		return ""
	}
	const context = 3
	var sb strings.Builder
	fmt.Fprintf(&sb, "--- %s\n+++ %s\n", aName, bName)
	for i := 0; i < len(ops); {
		if ops[i].kind == ' ' {
			i++
			continue
		}
		// A hunk starts up to context lines before the change and goes on
		// while changes are at most 2*context kept lines apart.
		start := max(i-context, 0)
		end := i
		for j := i; j < len(ops); j++ {
			if ops[j].kind != ' ' {
				end = j + 1
				continue
			}
			if j-end >= 2*context {
				break
			}
		}
		end = min(end+context, len(ops))
		writeHunk(&sb, a, b, ops[start:end])
		i = end
	}
	return sb.String()
}

func writeHunk(sb *strings.Builder, a, b []string, ops []op) {
	aStart, bStart := -1, -1
	aLen, bLen := 0, 0
	for _, o := range ops {
		if o.kind != '+' {
			if aStart < 0 {
				aStart = o.a
			}
			aLen++
		}
		if o.kind != '-' {
			if bStart < 0 {
				bStart = o.b
			}
			bLen++
		}
	}
	// An empty side starts after the line before it, as diff -u writes.
	if aStart < 0 {
		aStart = ops[0].a - 1
	}
	if bStart < 0 {
		bStart = ops[0].b - 1
	}
	fmt.Fprintf(sb, "@@ -%s +%s @@\n", hunkRange(aStart, aLen), hunkRange(bStart, bLen))
	for _, o := range ops {
		switch o.kind {
		case '+':
			fmt.Fprintf(sb, "+%s\n", b[o.b])
		case '-':
			fmt.Fprintf(sb, "-%s\n", a[o.a])
		default:
			fmt.Fprintf(sb, " %s\n", a[o.a])
		}
	}
}

func hunkRange(start, n int) string {
	if n == 1 {
		return fmt.Sprint(start + 1)
	}
	return fmt.Sprintf("%d,%d", start+1, n)
}
