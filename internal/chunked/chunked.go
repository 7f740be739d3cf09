// Package chunked reads test files made of chunks separated by lines of
// "---", where a comment of the form ### "regexp" on a line says that the
// chunk must fail with an error on that line matching the regexp. It
// follows the design of starlark-go's internal/chunkedfile.
package chunked

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// Chunk is one test case: its source, padded with blank lines so that line
// numbers are those of the whole file, and its expected errors by line.
type Chunk struct {
	Source string
	Start  int // first line of the chunk in the file
	want   map[int]*regexp.Regexp
	seen   map[int]bool
	errs   []string
}

// Reporter is the part of testing.T that chunks use.
type Reporter interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
}

var wantRE = regexp.MustCompile(`### (".*"|` + "`.*`" + `)\s*$`)

// Read splits a file into chunks.
func Read(filename string, t Reporter) []*Chunk {
	t.Helper()
	data, err := os.ReadFile(filename)
	if err != nil {
		t.Fatalf("%v", err)
		return nil
	}
	var chunks []*Chunk
	line := 1
	for _, part := range strings.Split(string(data), "\n---\n") {
		c := &Chunk{Start: line, Source: strings.Repeat("\n", line-1) + part, want: map[int]*regexp.Regexp{}, seen: map[int]bool{}}
		for i, l := range strings.Split(part, "\n") {
			m := wantRE.FindStringSubmatch(l)
			if m == nil {
				continue
			}
			pat, err := strconv.Unquote(m[1])
			if err != nil {
				t.Fatalf("%s:%d: bad ### pattern %s: %v", filename, line+i, m[1], err)
			}
			re, err := regexp.Compile(pat)
			if err != nil {
				t.Fatalf("%s:%d: bad regexp %q: %v", filename, line+i, pat, err)
			}
			c.want[line+i] = re
		}
		chunks = append(chunks, c)
		line += strings.Count(part, "\n") + 2
	}
	return chunks
}

// GotError records an error reported at line.
func (c *Chunk) GotError(line int, msg string) {
	re, ok := c.want[line]
	switch {
	case !ok:
		c.errs = append(c.errs, fmt.Sprintf("line %d: unexpected error: %s", line, msg))
	case !re.MatchString(msg):
		c.errs = append(c.errs, fmt.Sprintf("line %d: error %q does not match %q", line, msg, re))
	}
	c.seen[line] = true
}

// Done reports mismatches and expected errors that did not happen.
func (c *Chunk) Done(t Reporter, filename string) {
	t.Helper()
	for _, e := range c.errs {
		t.Errorf("%s: %s", filename, e)
	}
	for line, re := range c.want {
		if !c.seen[line] {
			t.Errorf("%s:%d: expected an error matching %q, got none", filename, line, re)
		}
	}
}
