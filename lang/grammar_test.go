package lang_test

import (
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"mmsim/lang"
)

var update = flag.Bool("update", false, "rewrite golden files")

const grammarGolden = "testdata/grammar.ebnf"

// TestGrammarGolden keeps testdata/grammar.ebnf equal to the grammar the
// parser is built from. After a change to grammar.go, run
// go test ./lang -run TestGrammarGolden -update and paste the file into
// the ```ebnf block of spec.md.
func TestGrammarGolden(t *testing.T) {
	got := lang.Grammar()
	if !strings.HasSuffix(got, "\n") {
		got += "\n"
	}
	if *update {
		if err := os.WriteFile(grammarGolden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(grammarGolden)
	if err != nil {
		t.Fatalf("%v (run go test ./lang -run TestGrammarGolden -update to create it)", err)
	}
	if d := cmp.Diff(string(want), got); d != "" {
		t.Errorf("lang.Grammar() differs from %s (-file +grammar); run with -update if the change is intended:\n%s", grammarGolden, d)
	}
}

// TestGrammarInSpec checks that the ```ebnf block of spec.md quotes the
// golden grammar exactly.
func TestGrammarInSpec(t *testing.T) {
	spec, err := os.ReadFile("../spec.md")
	if os.IsNotExist(err) {
		t.Skip("spec.md does not exist yet")
	}
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(grammarGolden)
	if err != nil {
		t.Fatal(err)
	}
	block, ok := ebnfBlock(string(spec))
	if !ok {
		t.Fatal("spec.md has no fenced block opened by a line \"```ebnf\" and closed by \"```\"; paste testdata/grammar.ebnf into one")
	}
	if d := cmp.Diff(strings.TrimRight(string(want), "\n"), strings.TrimRight(block, "\n")); d != "" {
		t.Errorf("the ```ebnf block of spec.md differs from %s (-golden +spec.md):\n%s", grammarGolden, d)
	}
}

// ebnfBlock returns the lines between the first line "```ebnf" and the
// next line "```".
func ebnfBlock(md string) (string, bool) {
	md = strings.ReplaceAll(md, "\r\n", "\n")
	lines := strings.Split(md, "\n")
	for i, l := range lines {
		if strings.TrimRight(l, " \t") != "```ebnf" {
			continue
		}
		for j := i + 1; j < len(lines); j++ {
			if strings.TrimRight(lines[j], " \t") == "```" {
				return strings.Join(lines[i+1:j], "\n"), true
			}
		}
		return "", false
	}
	return "", false
}

func TestEBNFBlock(t *testing.T) {
	for _, c := range []struct {
		md, want string
		ok       bool
	}{
		{"# Spec\n\n```ebnf\nA = B .\nB = \"b\" .\n```\n\nmore\n", "A = B .\nB = \"b\" .", true},
		{"```\nnot this\n```\n```ebnf\nA = B .\n```", "A = B .", true},
		{"```ebnf\r\nA = B .\r\n```\r\n", "A = B .", true},
		{"```ebnf\nA = B .\n", "", false},
		{"no grammar here", "", false},
		{"```ebnfx\nA\n```", "", false},
	} {
		got, ok := ebnfBlock(c.md)
		if got != c.want || ok != c.ok {
			t.Errorf("ebnfBlock(%q) = %q, %v; want %q, %v", c.md, got, ok, c.want, c.ok)
		}
	}
}
