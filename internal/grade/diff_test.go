package grade

import (
	"math/rand"
	"strings"
	"testing"
)

func TestDiff(t *testing.T) {
	tests := []struct {
		name string
		a, b string // lines separated by "|"
		want string
	}{
		{"equal", "a|b", "a|b", ""},
		{"both empty", "", "", ""},
		{"changed line", "a|b|c", "a|x|c", "@@ -1,3 +1,3 @@\n a\n-b\n+x\n c\n"},
		{"added at end", "a", "a|b", "@@ -1 +1,2 @@\n a\n+b\n"},
		{"all new", "", "a|b", "@@ -0,0 +1,2 @@\n+a\n+b\n"},
		{"all gone", "a|b", "", "@@ -1,2 +0,0 @@\n-a\n-b\n"},
		{"removed in middle", "1|2|3|4|5|6|7|8|9", "1|2|3|4|6|7|8|9", "@@ -2,7 +2,6 @@\n 2\n 3\n 4\n-5\n 6\n 7\n 8\n"},
		{"two hunks", "1|x|3|4|5|6|7|8|9|10|11|y|13", "1|X|3|4|5|6|7|8|9|10|11|Y|13",
			"@@ -1,5 +1,5 @@\n 1\n-x\n+X\n 3\n 4\n 5\n@@ -9,5 +9,5 @@\n 9\n 10\n 11\n-y\n+Y\n 13\n"},
		{"close changes share a hunk", "1|x|3|4|5|6|7|y|9", "1|X|3|4|5|6|7|Y|9",
			"@@ -1,9 +1,9 @@\n 1\n-x\n+X\n 3\n 4\n 5\n 6\n 7\n-y\n+Y\n 9\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Diff("want", split(tt.a), "got", split(tt.b))
			want := tt.want
			if want != "" {
				want = "--- want\n+++ got\n" + want
			}
			if got != want {
				t.Errorf("Diff(%q, %q):\n%s\nwant:\n%s", tt.a, tt.b, got, want)
			}
		})
	}
}

func split(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "|")
}

// TestEditScriptProperties checks on random inputs that the script turns a
// into b and is as short as a longest common subsequence allows.
func TestEditScriptProperties(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 500; i++ {
		a, b := randLines(rng), randLines(rng)
		ops := editScript(a, b)
		var ra, rb []string
		kept := 0
		for _, o := range ops {
			switch o.kind {
			case ' ':
				if a[o.a] != b[o.b] {
					t.Fatalf("%v %v: kept lines differ at %d/%d", a, b, o.a, o.b)
				}
				ra, rb = append(ra, a[o.a]), append(rb, b[o.b])
				kept++
			case '-':
				ra = append(ra, a[o.a])
			case '+':
				rb = append(rb, b[o.b])
			}
		}
		if strings.Join(ra, "|") != strings.Join(a, "|") || strings.Join(rb, "|") != strings.Join(b, "|") {
			t.Fatalf("%v -> %v: the script rebuilds %v -> %v", a, b, ra, rb)
		}
		if want := lcs(a, b); kept != want {
			t.Fatalf("%v -> %v: %d lines kept, the longest common subsequence has %d", a, b, kept, want)
		}
	}
}

func randLines(rng *rand.Rand) []string {
	n := rng.Intn(12)
	out := make([]string, n)
	for i := range out {
		out[i] = string(rune('a' + rng.Intn(4)))
	}
	return out
}

func lcs(a, b []string) int {
	dp := make([][]int, len(a)+1)
	for i := range dp {
		dp[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				dp[i][j] = dp[i+1][j+1] + 1
			} else {
				dp[i][j] = max(dp[i+1][j], dp[i][j+1])
			}
		}
	}
	return dp[0][0]
}

// TestDiffLarge checks that inputs with more differences than Myers'
// search is allowed still give a correct diff.
func TestDiffLarge(t *testing.T) {
	var a, b []string
	n := maxEdits
	for i := 0; i < n; i++ {
		a = append(a, "a"+string(rune('0'+i%10)))
		b = append(b, "b"+string(rune('0'+i%10)))
	}
	d := Diff("a", a, "b", b)
	if got := strings.Count(d, "\n-"); got != n {
		t.Errorf("%d lines removed, want %d", got, n)
	}
	if got := strings.Count(d, "\n+"); got != n+1 { // +1: the +++ header
		t.Errorf("%d lines added, want %d", got, n)
	}
}

// BenchmarkDiff diffs two 2,000-line outputs that differ in every 50th
// line, as a long show view with a few wrong counters would.
func BenchmarkDiff(b *testing.B) {
	var a, c []string
	for i := 0; i < 2000; i++ {
		line := "Node 0, zone   Normal " + strings.Repeat("x", i%7)
		a = append(a, line)
		if i%50 == 0 {
			line += " changed"
		}
		c = append(c, line)
	}
	for b.Loop() {
		if Diff("a", a, "b", c) == "" {
			b.Fatal("no diff")
		}
	}
}

// TestDiffLongFewChanges checks that a long output with few differences
// gets a minimal diff, not the fallback.
func TestDiffLongFewChanges(t *testing.T) {
	var a, b []string
	for i := 0; i < 5000; i++ {
		line := strings.Repeat("x", i%13) + string(rune('a'+i%26))
		a, b = append(a, line), append(b, line)
	}
	b[100], b[4000] = "changed", "changed too"
	d := Diff("a", a, "b", b)
	if got := strings.Count(d, "\n-"); got != 2 {
		t.Errorf("%d lines removed, want 2:\n%s", got, d)
	}
}
