package main

// Validators of the report formats of mmsim test, written for the tests
// rather than taken from a library, so that they check what the specs say
// and nothing gets accepted because a lenient reader shrugged it off:
//
//	tapcheck FILE [passed failed skipped]
//	junitcheck FILE [tests failures errors skipped]
//	gradescopecheck FILE [score max_score]
//	jsoncheck FILE [passed failed skipped score max_score]
//
// FILE may be stdout or stderr, meaning the last command's. With the
// counts, the command also checks the report's totals. "! CMD FILE" (without
// counts) succeeds only when the validator rejects the file; negation with
// counts would not say which of the two checks is meant to fail, so it is
// refused.
//
// The validators are plain functions (checkTAP, checkJUnit, checkGradescope,
// checkJSONReport) shared by the commands and by TestValidatorsReject, which
// shows that each of them can fail.

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rogpeppe/go-internal/testscript"
)

func cmdTAPCheck(ts *testscript.TestScript, neg bool, args []string) {
	runValidator(ts, neg, "tapcheck", "FILE [passed failed skipped]", 3, args, checkTAP)
}

func cmdJUnitCheck(ts *testscript.TestScript, neg bool, args []string) {
	runValidator(ts, neg, "junitcheck", "FILE [tests failures errors skipped]", 4, args, checkJUnit)
}

func cmdGradescopeCheck(ts *testscript.TestScript, neg bool, args []string) {
	runValidator(ts, neg, "gradescopecheck", "FILE [score max_score]", 2, args, checkGradescope)
}

func cmdJSONCheck(ts *testscript.TestScript, neg bool, args []string) {
	runValidator(ts, neg, "jsoncheck", "FILE [passed failed skipped score max_score]", 5, args, checkJSONReport)
}

// runValidator parses "FILE [N...]" (either no counts or exactly ncounts of
// them) and runs check on the file.
func runValidator(ts *testscript.TestScript, neg bool, name, usage string, ncounts int, args []string,
	check func([]byte, []int) error) {
	if len(args) != 1 && len(args) != 1+ncounts {
		ts.Fatalf("usage: %s %s", name, usage)
	}
	if neg && len(args) > 1 {
		ts.Fatalf("unsupported: ! %s with counts (use ! %s FILE to expect an invalid file)", name, name)
	}
	var want []int
	for _, a := range args[1:] {
		n, err := strconv.Atoi(a)
		if err != nil {
			ts.Fatalf("%s: bad count %q", name, a)
		}
		want = append(want, n)
	}
	err := check([]byte(ts.ReadFile(args[0])), want)
	switch {
	case neg && err == nil:
		ts.Fatalf("%s: %s is valid, but was expected not to be", name, args[0])
	case neg:
		ts.Logf("%s: %s: %v (as expected)", name, args[0], err)
	case err != nil:
		ts.Fatalf("%s: %s: %v", name, args[0], err)
	}
}

// wantCounts compares counts with the expected ones, if any.
func wantCounts(names []string, got, want []int) error {
	if want == nil {
		return nil
	}
	if len(want) != len(got) {
		return fmt.Errorf("%d expected counts, want %d (%s)", len(want), len(got), strings.Join(names, " "))
	}
	var bad []string
	for i := range got {
		if got[i] != want[i] {
			bad = append(bad, fmt.Sprintf("%s %d, want %d", names[i], got[i], want[i]))
		}
	}
	if bad != nil {
		return errors.New(strings.Join(bad, "; "))
	}
	return nil
}

// ---------------------------------------------------------------------------
// TAP version 14 (https://testanything.org/tap-version-14-specification.html)

var (
	tapPlanRE    = regexp.MustCompile(`^1\.\.(\d+)(\s+#.*)?$`)
	tapPointRE   = regexp.MustCompile(`^(not )?ok (\d+)( - (.*))?$`)
	tapDirRE     = regexp.MustCompile(`(?i)^\s*(SKIP|TODO)(\s|$)`)
	tapCountsRE  = regexp.MustCompile(`^# (\d+) passed, (\d+) failed(?:, (\d+) skipped)?$`)
	tapScoreRE   = regexp.MustCompile(`^# score: (\d+)/(\d+) points$`)
	yamlKeyRE    = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_-]*):(?: (.*))?$`)
	yamlHeaderRE = regexp.MustCompile(`^[|>](?:([1-9])?([-+])?|([-+])([1-9]))\s*(?:#.*)?$`)
)

// tapPoint is one test point of a TAP stream.
type tapPoint struct {
	ok        bool
	directive string // "SKIP", "TODO" or ""
	yaml      map[string]string
}

// checkTAP reads a TAP 14 stream: the version line first; exactly one plan,
// before the first or after the last test point; test points numbered 1..N
// in order, whose descriptions escape # (a # that is not escaped must start
// a SKIP or TODO directive); YAML blocks right after a test point, between
// "  ---" and "  ...", every line indented by at least 2 spaces, made of
// "key: value" lines (see parseYAMLBlock); comment lines; nothing else.
// Where the YAML blocks carry points and score, they must agree with the
// test point (all the points when it passed, none otherwise), and the
// closing comments "# N passed, N failed[, N skipped]" and "# score: S/P
// points", when present, must agree with the stream. want is nil or the
// passed (ok without SKIP), failed (not ok) and skipped (ok with SKIP)
// counts.
func checkTAP(data []byte, want []int) error {
	if len(data) == 0 {
		return errors.New("empty TAP stream")
	}
	if !bytes.HasSuffix(data, []byte("\n")) {
		return errors.New("the last line does not end in a newline")
	}
	if !utf8.Valid(data) {
		return errors.New("the stream is not valid UTF-8")
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	bad := func(i int, format string, args ...any) error {
		return fmt.Errorf("line %d %q: %s", i+1, lines[i], fmt.Sprintf(format, args...))
	}
	if lines[0] != "TAP version 14" {
		return bad(0, "the first line is not \"TAP version 14\"")
	}
	plan, planLine, planAtEnd := -1, -1, false
	var points []tapPoint
	countsLine, scoreLine := -1, -1
	for i := 1; i < len(lines); i++ {
		line := lines[i]
		switch {
		case tapPlanRE.MatchString(line):
			if planLine >= 0 {
				return bad(i, "a second plan (the first is on line %d)", planLine+1)
			}
			n, err := strconv.Atoi(tapPlanRE.FindStringSubmatch(line)[1])
			if err != nil {
				return bad(i, "bad plan: %v", err)
			}
			plan, planLine, planAtEnd = n, i, len(points) > 0
		case strings.HasPrefix(line, "ok ") || strings.HasPrefix(line, "not ok "):
			m := tapPointRE.FindStringSubmatch(line)
			if m == nil {
				return bad(i, "a test point that is not \"ok N - DESCRIPTION\" or \"not ok N - DESCRIPTION\"")
			}
			if planLine >= 0 && planAtEnd {
				return bad(i, "a test point after a closing plan (line %d)", planLine+1)
			}
			n, _ := strconv.Atoi(m[2])
			if n != len(points)+1 {
				return bad(i, "test point number %d, want %d", n, len(points)+1)
			}
			dir, err := tapDirective(m[4])
			if err != nil {
				return bad(i, "%v", err)
			}
			p := tapPoint{ok: m[1] == "", directive: dir}
			if i+1 < len(lines) && lines[i+1] == "  ---" {
				end := i + 2
				for end < len(lines) && lines[end] != "  ..." {
					if !strings.HasPrefix(lines[end], "  ") {
						return bad(end, "not indented by 2 spaces, inside the YAML block opened on line %d", i+2)
					}
					end++
				}
				if end == len(lines) {
					return bad(i+1, "a YAML block that is never closed by \"  ...\"")
				}
				y, err := parseYAMLBlock(lines[i+2:end], i+2)
				if err != nil {
					return err
				}
				if err := checkTAPScore(p, y); err != nil {
					return bad(i, "%v", err)
				}
				p.yaml = y
				i = end
			}
			points = append(points, p)
		case line == "  ---":
			return bad(i, "a YAML block that does not follow a test point")
		case strings.HasPrefix(line, "#"):
			if tapCountsRE.MatchString(line) {
				countsLine = i
			}
			if tapScoreRE.MatchString(line) {
				scoreLine = i
			}
		default:
			return bad(i, "not TAP: neither a plan, a test point, a YAML block nor a comment")
		}
	}
	if planLine < 0 {
		return errors.New("no plan (1..N)")
	}
	if plan != len(points) {
		return bad(planLine, "the plan says %d tests, the stream has %d test points", plan, len(points))
	}
	var passed, failed, skipped int
	var score, max int64
	for _, p := range points {
		switch {
		case !p.ok:
			failed++
		case p.directive == "SKIP":
			skipped++
		default:
			passed++
		}
		if p.yaml != nil {
			pts, _ := strconv.ParseInt(p.yaml["points"], 10, 64)
			sc, _ := strconv.ParseInt(p.yaml["score"], 10, 64)
			max += pts
			score += sc
		}
	}
	if countsLine >= 0 {
		m := tapCountsRE.FindStringSubmatch(lines[countsLine])
		s := m[3]
		if s == "" {
			s = "0"
		}
		if m[1] != strconv.Itoa(passed) || m[2] != strconv.Itoa(failed) || s != strconv.Itoa(skipped) {
			return bad(countsLine, "the stream has %d passed, %d failed, %d skipped", passed, failed, skipped)
		}
	}
	if scoreLine >= 0 {
		m := tapScoreRE.FindStringSubmatch(lines[scoreLine])
		if m[1] != strconv.FormatInt(score, 10) || m[2] != strconv.FormatInt(max, 10) {
			return bad(scoreLine, "the YAML blocks add up to %d/%d points", score, max)
		}
	}
	return wantCounts([]string{"passed", "failed", "skipped"}, []int{passed, failed, skipped}, want)
}

// tapDirective splits a test point's description at its first unescaped #
// (\# is an escaped hash, \\ an escaped backslash) and returns the
// directive after it: SKIP, TODO, or "" when there is no #. A # that starts
// anything else is an error: TAP 14 asks descriptions to escape #.
func tapDirective(desc string) (string, error) {
	for i := 0; i < len(desc); i++ {
		switch desc[i] {
		case '\\':
			i++ // the next character is escaped
		case '#':
			m := tapDirRE.FindStringSubmatch(desc[i+1:])
			if m == nil {
				return "", fmt.Errorf("unescaped # in the description, not followed by SKIP or TODO")
			}
			return strings.ToUpper(m[1]), nil
		}
	}
	return "", nil
}

// checkTAPScore checks the points and score of a test point's YAML block:
// integers, both or neither, and all the points when the test passed,
// none when it failed or was skipped. A message must be one line.
func checkTAPScore(p tapPoint, y map[string]string) error {
	if msg, ok := y["message"]; ok && (msg == "" || strings.Contains(msg, "\n")) {
		return fmt.Errorf("YAML message %q is not a one-line text", msg)
	}
	ps, hasPoints := y["points"]
	ss, hasScore := y["score"]
	if hasPoints != hasScore {
		return errors.New("YAML block with only one of points and score")
	}
	if !hasPoints {
		return nil
	}
	points, err1 := strconv.ParseInt(ps, 10, 64)
	score, err2 := strconv.ParseInt(ss, 10, 64)
	if err1 != nil || err2 != nil || points < 0 {
		return fmt.Errorf("YAML points %q and score %q are not integers >= 0", ps, ss)
	}
	want := int64(0)
	if p.ok && p.directive != "SKIP" {
		want = points
	}
	if score != want {
		return fmt.Errorf("YAML score %d of %d points, want %d for this test point", score, points, want)
	}
	return nil
}

// parseYAMLBlock reads the lines between "  ---" and "  ..." (first is the
// 0-based index of the first of them, for messages) as a YAML mapping
// indented by two spaces, and returns its values as strings. It knows
// plain scalars, double- and single-quoted strings, literal and folded
// block scalars ("|", "|-", "|2-", ...), flow sequences and mappings of
// one line, and nested blocks under "key:" (kept as raw text). Every line
// must be indented by at least two spaces (spaces: a tab may follow the
// indentation of a block scalar's line, as content, but not indent), keys
// must not repeat, and a block scalar's lines must be indented as YAML
// requires.
func parseYAMLBlock(lines []string, first int) (map[string]string, error) {
	bad := func(i int, format string, args ...any) error {
		return fmt.Errorf("line %d %q: %s", first+i+1, lines[i], fmt.Sprintf(format, args...))
	}
	for i, line := range lines {
		if !strings.HasPrefix(line, "  ") {
			return nil, bad(i, "a line of a YAML block that is not indented by 2 spaces")
		}
	}
	out := make(map[string]string)
	for i := 0; i < len(lines); {
		body := lines[i][2:]
		switch {
		case strings.TrimSpace(body) == "" || strings.HasPrefix(body, "#"):
			i++
			continue
		case strings.HasPrefix(body, " "):
			return nil, bad(i, "indented deeper than the block's keys, but not inside a value")
		case strings.HasPrefix(body, "\t"):
			return nil, bad(i, "a tab in the indentation of a YAML line")
		}
		m := yamlKeyRE.FindStringSubmatch(body)
		if m == nil {
			return nil, bad(i, "not a \"key: value\" line")
		}
		key, raw, at := m[1], m[2], i
		if _, dup := out[key]; dup {
			return nil, bad(i, "key %q appears twice", key)
		}
		i++
		// The lines indented deeper than the key belong to its value.
		j := i
		for j < len(lines) && (indentOf(lines[j]) > 2 || strings.TrimSpace(lines[j]) == "") {
			j++
		}
		more := lines[i:j]
		var val string
		var err error
		switch {
		case strings.HasPrefix(raw, "|") || strings.HasPrefix(raw, ">"):
			val, err = yamlBlockScalar(raw, more)
		case len(more) > 0 && strings.TrimSpace(raw) != "" && strings.TrimSpace(strings.Join(more, "")) != "":
			err = errors.New("a one-line value followed by more deeply indented lines")
		case strings.HasPrefix(raw, `"`):
			val, err = yamlDoubleQuoted(raw)
		case strings.HasPrefix(raw, "'"):
			val, err = yamlSingleQuoted(raw)
		case strings.HasPrefix(raw, "["):
			val, err = yamlFlowSeq(raw)
		case strings.HasPrefix(raw, "{"):
			val = strings.TrimSpace(raw)
			if !strings.HasSuffix(val, "}") {
				err = errors.New("a flow mapping that does not end on its line")
			}
		case strings.TrimSpace(raw) == "":
			val = strings.Join(more, "\n") // a nested block, or null
		default:
			val, err = yamlPlain(raw)
		}
		if err != nil {
			return nil, bad(at, "key %q: %v", key, err)
		}
		out[key] = val
		i = j
	}
	return out, nil
}

func indentOf(s string) int {
	return len(s) - len(strings.TrimLeft(s, " "))
}

// yamlBlockScalar is the value of a block scalar with the header (such as
// "|-" or "|2-") and the lines that follow it. The block is indented two
// spaces deeper than the key by default; without an indentation
// indicator, the first line that is not empty sets it, and a leading empty
// line must not have more spaces than that, nor any later line fewer.
func yamlBlockScalar(header string, lines []string) (string, error) {
	m := yamlHeaderRE.FindStringSubmatch(header)
	if m == nil {
		return "", fmt.Errorf("bad block scalar header %q", header)
	}
	ind, chomp := m[1], m[2]
	if m[3] != "" {
		ind, chomp = m[4], m[3]
	}
	indent := 0
	if ind != "" {
		indent = 2 + int(ind[0]-'0')
	} else {
		for _, l := range lines {
			if strings.TrimSpace(l) != "" {
				indent = indentOf(l)
				break
			}
		}
		if indent == 0 {
			return "", nil // an empty block scalar
		}
		for _, l := range lines {
			if strings.TrimSpace(l) != "" {
				break
			}
			if len(l) > indent {
				return "", fmt.Errorf("a leading empty line of a block scalar has more spaces (%d) than its first line (%d)", len(l), indent)
			}
		}
	}
	var text []string
	for _, l := range lines {
		switch {
		case strings.TrimSpace(l) == "" && len(l) <= indent:
			text = append(text, "")
		case indentOf(l) < indent:
			return "", fmt.Errorf("line %q is indented less than its block scalar (%d spaces)", l, indent)
		default:
			text = append(text, l[indent:])
		}
	}
	s := strings.Join(text, "\n")
	switch chomp {
	case "-":
		s = strings.TrimRight(s, "\n")
	case "+":
		s += "\n"
	default:
		s = strings.TrimRight(s, "\n") + "\n"
	}
	return s, nil
}

// yamlDoubleQuoted is the value of a double-quoted scalar that must end on
// its line (a comment may follow).
func yamlDoubleQuoted(raw string) (string, error) {
	var b strings.Builder
	for i := 1; i < len(raw); i++ {
		c := raw[i]
		switch c {
		case '"':
			if rest := strings.TrimSpace(raw[i+1:]); rest != "" && !strings.HasPrefix(rest, "#") {
				return "", fmt.Errorf("text %q after a double-quoted string", rest)
			}
			return b.String(), nil
		case '\\':
			i++
			if i >= len(raw) {
				return "", errors.New("a double-quoted string that ends in a backslash")
			}
			simple := map[byte]string{'0': "\x00", 'a': "\a", 'b': "\b", 't': "\t", '\t': "\t", 'n': "\n",
				'v': "\v", 'f': "\f", 'r': "\r", 'e': "\x1b", ' ': " ", '"': `"`, '/': "/", '\\': `\`,
				'N': "\u0085", '_': "\u00a0", 'L': "\u2028", 'P': "\u2029"}
			if s, ok := simple[raw[i]]; ok {
				b.WriteString(s)
				continue
			}
			width := map[byte]int{'x': 2, 'u': 4, 'U': 8}[raw[i]]
			if width == 0 || i+width >= len(raw) {
				return "", fmt.Errorf("bad escape \\%c in a double-quoted string", raw[i])
			}
			r, err := strconv.ParseUint(raw[i+1:i+1+width], 16, 32)
			if err != nil {
				return "", fmt.Errorf("bad escape \\%s in a double-quoted string", raw[i:i+1+width])
			}
			b.WriteRune(rune(r))
			i += width
		default:
			b.WriteByte(c)
		}
	}
	return "", errors.New("a double-quoted string that does not end on its line")
}

// yamlSingleQuoted is the value of a single-quoted scalar of one line.
func yamlSingleQuoted(raw string) (string, error) {
	var b strings.Builder
	for i := 1; i < len(raw); i++ {
		if raw[i] != '\'' {
			b.WriteByte(raw[i])
			continue
		}
		if i+1 < len(raw) && raw[i+1] == '\'' {
			b.WriteByte('\'')
			i++
			continue
		}
		if rest := strings.TrimSpace(raw[i+1:]); rest != "" && !strings.HasPrefix(rest, "#") {
			return "", fmt.Errorf("text %q after a single-quoted string", rest)
		}
		return b.String(), nil
	}
	return "", errors.New("a single-quoted string that does not end on its line")
}

// yamlFlowSeq checks a one-line flow sequence of quoted or plain scalars
// and returns its items joined by newlines.
func yamlFlowSeq(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if !strings.HasSuffix(s, "]") {
		return "", errors.New("a flow sequence that does not end on its line")
	}
	s = strings.TrimSpace(s[1 : len(s)-1])
	var items []string
	for s != "" {
		var item string
		var err error
		switch s[0] {
		case '"', '\'':
			// Find the closing quote by parsing ever longer prefixes.
			end := -1
			for k := 1; k < len(s); k++ {
				if s[k] != s[0] {
					continue
				}
				var perr error
				if s[0] == '"' {
					item, perr = yamlDoubleQuoted(s[:k+1])
				} else {
					item, perr = yamlSingleQuoted(s[:k+1])
				}
				if perr == nil && (k+1 == len(s) || strings.TrimSpace(s[k+1:])[0] == ',') {
					end = k + 1
					break
				}
			}
			if end < 0 {
				return "", errors.New("a quoted item of a flow sequence that does not end")
			}
			s = strings.TrimSpace(s[end:])
		default:
			k := strings.IndexByte(s, ',')
			if k < 0 {
				k = len(s)
			}
			item, err = yamlPlain(s[:k])
			if err != nil {
				return "", err
			}
			if strings.ContainsAny(item, "[]{}") {
				return "", fmt.Errorf("nested flow collections are not supported: %q", item)
			}
			s = s[k:]
		}
		items = append(items, item)
		if s == "" {
			break
		}
		if s[0] != ',' {
			return "", fmt.Errorf("%q after an item of a flow sequence", s)
		}
		s = strings.TrimSpace(s[1:])
		if s == "" {
			return "", errors.New("a flow sequence that ends in a comma")
		}
	}
	return strings.Join(items, "\n"), nil
}

// yamlPlain is the value of a plain scalar of one line: text up to a
// comment, which must not start with an indicator that would make it
// something else, nor contain ": ".
func yamlPlain(raw string) (string, error) {
	s := raw
	if k := strings.Index(s, " #"); k >= 0 {
		s = s[:k]
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	if strings.ContainsRune("&*!%@`|>", rune(s[0])) {
		return "", fmt.Errorf("plain scalar %q starts with the indicator %c", s, s[0])
	}
	if strings.Contains(s, ": ") || strings.HasSuffix(s, ":") {
		return "", fmt.Errorf("plain scalar %q holds \": \"", s)
	}
	return s, nil
}

// ---------------------------------------------------------------------------
// JUnit XML (the Ant junit task's format, as Jenkins, GitLab and GitHub
// Actions read it)

type jxSuites struct {
	XMLName  xml.Name
	Name     *string   `xml:"name,attr"`
	Tests    *string   `xml:"tests,attr"`
	Failures *string   `xml:"failures,attr"`
	Errors   *string   `xml:"errors,attr"`
	Skipped  *string   `xml:"skipped,attr"`
	Time     *string   `xml:"time,attr"`
	Suites   []jxSuite `xml:"testsuite"`
}

type jxSuite struct {
	Name       *string        `xml:"name,attr"`
	Tests      *string        `xml:"tests,attr"`
	Failures   *string        `xml:"failures,attr"`
	Errors     *string        `xml:"errors,attr"`
	Skipped    *string        `xml:"skipped,attr"`
	Time       *string        `xml:"time,attr"`
	Properties []jxProperties `xml:"properties"`
	Cases      []jxCase       `xml:"testcase"`
}

type jxCase struct {
	Classname  *string        `xml:"classname,attr"`
	Name       *string        `xml:"name,attr"`
	Time       *string        `xml:"time,attr"`
	Properties []jxProperties `xml:"properties"`
	Failures   []jxProblem    `xml:"failure"`
	Errors     []jxProblem    `xml:"error"`
	Skipped    []jxProblem    `xml:"skipped"`
	SystemOut  []string       `xml:"system-out"`
	SystemErr  []string       `xml:"system-err"`
}

type jxProperties struct {
	Props []struct {
		Name  *string `xml:"name,attr"`
		Value *string `xml:"value,attr"`
	} `xml:"property"`
}

type jxProblem struct {
	Message *string `xml:"message,attr"`
	Type    *string `xml:"type,attr"`
	Text    string  `xml:",chardata"`
}

// checkJUnit reads a JUnit XML report: well-formed XML with nothing but
// comments, processing instructions and space around one root element,
// testsuites; every testsuite has a name and the counts tests, failures,
// errors and skipped, equal to the number of its testcases and of those
// with a failure, an error and a skipped element; the root's counts are
// the sums of the suites'; every testcase has a classname, a name and a
// time that is a number >= 0, and at most one of failure, error and
// skipped, and at most one properties and system-out; properties have
// names; where a testcase has points and score properties, the score is
// at most the points. want is nil or the expected tests, failures, errors
// and skipped.
func checkJUnit(data []byte, want []int) error {
	dec := xml.NewDecoder(bytes.NewReader(data))
	var root jxSuites
	if err := dec.Decode(&root); err != nil {
		return fmt.Errorf("not XML: %v", err)
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("after the root element: %v", err)
		}
		switch t := tok.(type) {
		case xml.Comment, xml.ProcInst:
		case xml.CharData:
			if strings.TrimSpace(string(t)) != "" {
				return fmt.Errorf("text %q after the root element", t)
			}
		default:
			return fmt.Errorf("%T after the root element", t)
		}
	}
	if root.XMLName.Local != "testsuites" {
		return fmt.Errorf("the root element is <%s>, not <testsuites>", root.XMLName.Local)
	}
	var sums [4]int
	var cases int
	for si, s := range root.Suites {
		where := fmt.Sprintf("testsuite %d", si+1)
		if s.Name == nil || *s.Name == "" {
			return fmt.Errorf("%s has no name", where)
		}
		where = fmt.Sprintf("testsuite %d (%s)", si+1, *s.Name)
		attrs, err := junitCounts(where, s.Tests, s.Failures, s.Errors, s.Skipped)
		if err != nil {
			return err
		}
		if err := junitTime(where, s.Time, false); err != nil {
			return err
		}
		if len(s.Properties) > 1 {
			return fmt.Errorf("%s has %d properties elements", where, len(s.Properties))
		}
		var got [4]int
		got[0] = len(s.Cases)
		for ci, c := range s.Cases {
			cases++
			cw := fmt.Sprintf("%s, testcase %d", where, ci+1)
			if c.Name == nil || *c.Name == "" {
				return fmt.Errorf("%s has no name", cw)
			}
			cw = fmt.Sprintf("%s, testcase %d (%s)", where, ci+1, *c.Name)
			if c.Classname == nil || *c.Classname == "" {
				return fmt.Errorf("%s has no classname", cw)
			}
			if err := junitTime(cw, c.Time, true); err != nil {
				return err
			}
			if n := len(c.Failures) + len(c.Errors) + len(c.Skipped); n > 1 {
				return fmt.Errorf("%s has %d failure, error and skipped elements, want at most one", cw, n)
			}
			if len(c.Properties) > 1 || len(c.SystemOut) > 1 || len(c.SystemErr) > 1 {
				return fmt.Errorf("%s has more than one properties, system-out or system-err", cw)
			}
			if err := junitProps(cw, c.Properties); err != nil {
				return err
			}
			got[1] += len(c.Failures)
			got[2] += len(c.Errors)
			got[3] += len(c.Skipped)
		}
		if got != attrs {
			return fmt.Errorf("%s says tests=%d failures=%d errors=%d skipped=%d, its testcases count %d %d %d %d",
				where, attrs[0], attrs[1], attrs[2], attrs[3], got[0], got[1], got[2], got[3])
		}
		for k := range sums {
			sums[k] += attrs[k]
		}
	}
	top, err := junitCounts("testsuites", root.Tests, root.Failures, root.Errors, root.Skipped)
	if err != nil {
		return err
	}
	if err := junitTime("testsuites", root.Time, false); err != nil {
		return err
	}
	if top != sums {
		return fmt.Errorf("testsuites says tests=%d failures=%d errors=%d skipped=%d, its suites add up to %d %d %d %d",
			top[0], top[1], top[2], top[3], sums[0], sums[1], sums[2], sums[3])
	}
	return wantCounts([]string{"tests", "failures", "errors", "skipped"}, top[:], want)
}

// junitCounts parses the four count attributes, which must be present.
func junitCounts(where string, attrs ...*string) ([4]int, error) {
	names := []string{"tests", "failures", "errors", "skipped"}
	var out [4]int
	for i, a := range attrs {
		if a == nil {
			return out, fmt.Errorf("%s has no %s attribute", where, names[i])
		}
		n, err := strconv.Atoi(*a)
		if err != nil || n < 0 {
			return out, fmt.Errorf("%s: %s=%q is not a count", where, names[i], *a)
		}
		out[i] = n
	}
	return out, nil
}

// junitTime checks a time attribute: seconds, a number >= 0.
func junitTime(where string, t *string, required bool) error {
	if t == nil {
		if required {
			return fmt.Errorf("%s has no time", where)
		}
		return nil
	}
	f, err := strconv.ParseFloat(*t, 64)
	if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
		return fmt.Errorf("%s: time=%q is not a number of seconds", where, *t)
	}
	return nil
}

// junitProps checks that properties have names and values, and that a
// score property is at most the points property.
func junitProps(where string, ps []jxProperties) error {
	vals := make(map[string]string)
	for _, p := range ps {
		for _, pr := range p.Props {
			if pr.Name == nil || *pr.Name == "" || pr.Value == nil {
				return fmt.Errorf("%s: a property without a name or value", where)
			}
			vals[*pr.Name] = *pr.Value
		}
	}
	ps1, ok1 := vals["points"]
	ss, ok2 := vals["score"]
	if ok1 || ok2 {
		points, err1 := strconv.ParseInt(ps1, 10, 64)
		score, err2 := strconv.ParseInt(ss, 10, 64)
		if err1 != nil || err2 != nil || score < 0 || score > points {
			return fmt.Errorf("%s: properties points=%q score=%q are not 0 <= score <= points", where, ps1, ss)
		}
	}
	return nil
}

// ---------------------------------------------------------------------------
// JSON helpers shared by the Gradescope and mmsim JSON validators

// decodeJSONStrict decodes one JSON document into map[string]any, []any,
// string, json.Number, bool and nil, and rejects what encoding/json lets
// through: a key that appears twice in an object, and anything but space
// after the document.
func decodeJSONStrict(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := jsonValue(dec, "")
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("more after the JSON document")
	}
	return v, nil
}

func jsonValue(dec *json.Decoder, path string) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("not JSON: %v", err)
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return tok, nil
	}
	switch d {
	case '{':
		m := make(map[string]any)
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, fmt.Errorf("not JSON: %v", err)
			}
			key := kt.(string)
			if _, dup := m[key]; dup {
				return nil, fmt.Errorf("%s: key %q appears twice", jsonPath(path), key)
			}
			if m[key], err = jsonValue(dec, path+"."+key); err != nil {
				return nil, err
			}
		}
		_, err = dec.Token()
		return m, err
	case '[':
		var list []any
		for dec.More() {
			v, err := jsonValue(dec, fmt.Sprintf("%s[%d]", path, len(list)))
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		_, err = dec.Token()
		if list == nil {
			list = []any{}
		}
		return list, err
	}
	return nil, fmt.Errorf("not JSON: unexpected %v", d)
}

func jsonPath(path string) string {
	if path == "" {
		return "the document"
	}
	return strings.TrimPrefix(path, ".")
}

// jsonObj is a JSON object being checked, with its path for messages.
type jsonObj struct {
	path string
	m    map[string]any
}

func (o jsonObj) where(key string) string {
	if o.path == "" {
		return key
	}
	return o.path + "." + key
}

func (o jsonObj) get(key string) (any, error) {
	v, ok := o.m[key]
	if !ok {
		return nil, fmt.Errorf("%s: missing", o.where(key))
	}
	return v, nil
}

// typed returns the value of key as a T, which JSON calls what.
func typed[T any](o jsonObj, key, what string) (T, error) {
	var zero T
	v, err := o.get(key)
	if err != nil {
		return zero, err
	}
	t, ok := v.(T)
	if !ok {
		return zero, fmt.Errorf("%s is %s, not %s", o.where(key), jsonType(v), what)
	}
	return t, nil
}

func (o jsonObj) str(key string) (string, error) { return typed[string](o, key, "a string") }

func (o jsonObj) oneOf(key string, values ...string) (string, error) {
	s, err := o.str(key)
	if err == nil && !slices.Contains(values, s) {
		err = fmt.Errorf("%s is %q, not one of %s", o.where(key), s, strings.Join(values, ", "))
	}
	return s, err
}

func (o jsonObj) num(key string) (float64, error) {
	n, err := typed[json.Number](o, key, "a number")
	if err != nil {
		return 0, err
	}
	return n.Float64()
}

// integer is a number written as an integer, without fraction or exponent.
func (o jsonObj) integer(key string) (int64, error) {
	n, err := typed[json.Number](o, key, "an integer")
	if err != nil {
		return 0, err
	}
	i, err := n.Int64()
	if err != nil {
		return 0, fmt.Errorf("%s is %s, not an integer", o.where(key), n)
	}
	return i, nil
}

func (o jsonObj) array(key string) ([]any, error) { return typed[[]any](o, key, "an array") }

func (o jsonObj) strings(key string) ([]string, error) {
	a, err := o.array(key)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(a))
	for i, v := range a {
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("%s[%d] is %s, not a string", o.where(key), i, jsonType(v))
		}
		out[i] = s
	}
	return out, nil
}

// only rejects keys that are not among known.
func (o jsonObj) only(known ...string) error {
	var extra []string
	for k := range o.m {
		if !slices.Contains(known, k) {
			extra = append(extra, k)
		}
	}
	if extra != nil {
		sort.Strings(extra)
		return fmt.Errorf("%s: unknown keys %s", jsonPath(o.path), strings.Join(extra, ", "))
	}
	return nil
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// objects returns the elements of a JSON array, which must be objects.
func objects(path string, a []any) ([]jsonObj, error) {
	out := make([]jsonObj, len(a))
	for i, v := range a {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s[%d] is %s, not an object", path, i, jsonType(v))
		}
		out[i] = jsonObj{fmt.Sprintf("%s[%d]", path, i), m}
	}
	return out, nil
}

// firstErr returns the first non-nil error.
func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// ---------------------------------------------------------------------------
// Gradescope results.json
// (https://gradescope-autograders.readthedocs.io/en/latest/specs/)

var (
	gsVisibilities  = []string{"hidden", "after_due_date", "after_published", "visible"}
	gsOutputFormats = []string{"text", "html", "simple_format", "md", "ansi"}
)

// checkGradescope reads a Gradescope results.json: an object with score
// (a number), execution_time (a number >= 0), output (a string),
// visibility and stdout_visibility (Gradescope's visibilities) and tests
// (an array), and optionally output_format, test_output_format and
// test_name_format (Gradescope's output formats), extra_data and
// leaderboard; no other keys. Every test has score and max_score
// (numbers, 0 <= score <= max_score), status (passed or failed), name, output
// (strings), tags (an array of strings), visibility and execution_time (a
// number >= 0), and optionally number (a string), output_format,
// name_format and extra_data; no other keys. The tests' scores add up to
// the top-level score. want is nil or the expected score and sum of the
// tests' max_score.
// decodeTop decodes a JSON document that must be an object.
func decodeTop(data []byte) (jsonObj, error) {
	v, err := decodeJSONStrict(data)
	if err != nil {
		return jsonObj{}, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return jsonObj{}, fmt.Errorf("the document is %s, not an object", jsonType(v))
	}
	return jsonObj{"", m}, nil
}

func checkGradescope(data []byte, want []int) error {
	top, err := decodeTop(data)
	if err != nil {
		return err
	}
	score, err1 := top.num("score")
	execTime, err2 := top.num("execution_time")
	_, err3 := top.str("output")
	_, err4 := top.oneOf("visibility", gsVisibilities...)
	_, err5 := top.oneOf("stdout_visibility", gsVisibilities...)
	list, err6 := top.array("tests")
	if err := firstErr(err1, err2, err3, err4, err5, err6, top.only("score", "execution_time", "output",
		"output_format", "test_output_format", "test_name_format", "visibility", "stdout_visibility",
		"extra_data", "tests", "leaderboard")); err != nil {
		return err
	}
	if execTime < 0 {
		return fmt.Errorf("execution_time %v is negative", execTime)
	}
	for _, k := range []string{"output_format", "test_output_format", "test_name_format"} {
		if _, ok := top.m[k]; ok {
			if _, err := top.oneOf(k, gsOutputFormats...); err != nil {
				return err
			}
		}
	}
	tests, err := objects("tests", list)
	if err != nil {
		return err
	}
	var sum, maxSum float64
	for _, t := range tests {
		sc, err1 := t.num("score")
		max, err2 := t.num("max_score")
		_, err3 := t.oneOf("status", "passed", "failed")
		_, err4 := t.str("name")
		_, err5 := t.str("output")
		_, err6 := t.strings("tags")
		_, err7 := t.oneOf("visibility", gsVisibilities...)
		et, err8 := t.num("execution_time")
		if err := firstErr(err1, err2, err3, err4, err5, err6, err7, err8, t.only("score", "max_score", "status",
			"name", "name_format", "number", "output", "output_format", "tags", "visibility", "extra_data",
			"execution_time")); err != nil {
			return err
		}
		if _, ok := t.m["number"]; ok {
			if _, err := t.str("number"); err != nil {
				return err
			}
		}
		for _, k := range []string{"output_format", "name_format"} {
			if _, ok := t.m[k]; ok {
				if _, err := t.oneOf(k, gsOutputFormats...); err != nil {
					return err
				}
			}
		}
		if sc < 0 || sc > max {
			return fmt.Errorf("%s: score %v is not between 0 and max_score %v", t.path, sc, max)
		}
		if et < 0 {
			return fmt.Errorf("%s: execution_time %v is negative", t.path, et)
		}
		sum += sc
		maxSum += max
	}
	if math.Abs(sum-score) > 1e-9 {
		return fmt.Errorf("score is %v, the tests' scores add up to %v", score, sum)
	}
	if want == nil {
		return nil
	}
	got := []int{int(math.Round(score)), int(math.Round(maxSum))}
	if float64(got[0]) != score || float64(got[1]) != maxSum {
		return fmt.Errorf("score %v and max_score sum %v are not whole numbers", score, maxSum)
	}
	return wantCounts([]string{"score", "max_score"}, got, want)
}

// ---------------------------------------------------------------------------
// mmsim's own JSON report, version 1 (see grade.jsonReport and jsonTest)

var jsonKinds = []string{"assertion", "output", "error", "bug", "segv", "oom", "invariant", "limit",
	"timeout", "syntax", "leaks", "internal"}

// checkJSONReport reads mmsim's JSON report: every key of the schema, and
// no other, with its JSON type (version 1; passed, failed, skipped, score,
// max_score integers; time a number >= 0; tests an array of objects with
// number, points and score integers, file, name, status, visibility, kind,
// message, details and output strings, tags an array of strings and time a
// number >= 0). Each test's number is its place, status is passed, failed
// or skipped, visibility one of Gradescope's, score all of points when it
// passed and 0 otherwise, kind one of the documented kinds when it failed
// and "" otherwise, details "" unless it failed. The counts are those of
// the tests' statuses, score and max_score the sums of their scores and
// points. The document ends with a newline. want is nil or the expected
// passed, failed, skipped, score and max_score.
func checkJSONReport(data []byte, want []int) error {
	if !bytes.HasSuffix(data, []byte("}\n")) {
		return errors.New("the document does not end with \"}\" and a newline")
	}
	top, err := decodeTop(data)
	if err != nil {
		return err
	}
	version, err1 := top.integer("version")
	passed, err2 := top.integer("passed")
	failed, err3 := top.integer("failed")
	skipped, err4 := top.integer("skipped")
	score, err5 := top.integer("score")
	maxScore, err6 := top.integer("max_score")
	tm, err7 := top.num("time")
	list, err8 := top.array("tests")
	if err := firstErr(err1, err2, err3, err4, err5, err6, err7, err8,
		top.only("version", "passed", "failed", "skipped", "score", "max_score", "time", "tests")); err != nil {
		return err
	}
	if version != 1 {
		return fmt.Errorf("version %d, want 1", version)
	}
	if tm < 0 {
		return fmt.Errorf("time %v is negative", tm)
	}
	tests, err := objects("tests", list)
	if err != nil {
		return err
	}
	var counts [3]int64
	var sumScore, sumPoints int64
	for i, t := range tests {
		number, err1 := t.integer("number")
		file, err2 := t.str("file")
		_, err3 := t.str("name")
		status, err4 := t.oneOf("status", "passed", "failed", "skipped")
		points, err5 := t.integer("points")
		sc, err6 := t.integer("score")
		_, err7 := t.oneOf("visibility", gsVisibilities...)
		_, err8 := t.strings("tags")
		ttm, err9 := t.num("time")
		kind, err10 := t.str("kind")
		_, err11 := t.str("message")
		details, err12 := t.str("details")
		_, err13 := t.str("output")
		if err := firstErr(err1, err2, err3, err4, err5, err6, err7, err8, err9, err10, err11, err12, err13,
			t.only("number", "file", "name", "status", "points", "score", "visibility", "tags", "time",
				"kind", "message", "details", "output")); err != nil {
			return err
		}
		switch {
		case number != int64(i+1):
			return fmt.Errorf("%s: number %d, want %d", t.path, number, i+1)
		case file == "":
			return fmt.Errorf("%s: empty file", t.path)
		case points < 0:
			return fmt.Errorf("%s: points %d is negative", t.path, points)
		case ttm < 0:
			return fmt.Errorf("%s: time %v is negative", t.path, ttm)
		}
		wantScore := int64(0)
		switch status {
		case "passed":
			counts[0]++
			wantScore = points
		case "failed":
			counts[1]++
		case "skipped":
			counts[2]++
		}
		if sc != wantScore {
			return fmt.Errorf("%s: %s with score %d of %d points, want %d", t.path, status, sc, points, wantScore)
		}
		if status == "failed" && !slices.Contains(jsonKinds, kind) {
			return fmt.Errorf("%s: failed with kind %q, not one of %s", t.path, kind, strings.Join(jsonKinds, ", "))
		}
		if status != "failed" && (kind != "" || details != "") {
			return fmt.Errorf("%s: %s, but has kind %q or details", t.path, status, kind)
		}
		sumScore += sc
		sumPoints += points
	}
	if counts != [3]int64{passed, failed, skipped} {
		return fmt.Errorf("passed=%d failed=%d skipped=%d, the tests' statuses count %d %d %d",
			passed, failed, skipped, counts[0], counts[1], counts[2])
	}
	if score != sumScore || maxScore != sumPoints {
		return fmt.Errorf("score %d/%d, the tests add up to %d/%d", score, maxScore, sumScore, sumPoints)
	}
	return wantCounts([]string{"passed", "failed", "skipped", "score", "max_score"},
		[]int{int(passed), int(failed), int(skipped), int(score), int(maxScore)}, want)
}

// ---------------------------------------------------------------------------

// TestValidatorsReject shows that each validator accepts a good report and
// rejects broken ones, each for the reason it was broken: a validator that
// cannot fail would prove nothing in the scripts.
func TestValidatorsReject(t *testing.T) {
	const goodTAP = `TAP version 14
1..3
ok 1 - a.mms: one \# not a directive
  ---
  file: "a.mms"
  points: 2
  score: 2
  tags: ["x", "y"]
  ...
not ok 2 - a.mms: two
  ---
  message: "a.mms:3:1: assertion \"failed\""
  severity: fail
  kind: assertion
  points: 3
  score: 0
  details: |2-
      indented first line
    second
  output: |-
    a
` + "    \n" + /* an empty line keeps the block's indentation */ `    b
  ...
ok 3 - a.mms: three # SKIP not yet
# 1 passed, 1 failed, 1 skipped
# score: 2/5 points
`
	const goodJUnit = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="mmsim" tests="3" failures="1" errors="0" skipped="1" time="0.000">
  <testsuite name="a.mms" tests="3" failures="1" errors="0" skipped="1" time="0.000">
    <testcase classname="a.mms" name="one" time="0.000">
      <properties><property name="points" value="2"></property><property name="score" value="2"></property></properties>
    </testcase>
    <testcase classname="a.mms" name="two" time="0.001"><failure message="m" type="assertion"><![CDATA[x]]></failure></testcase>
    <testcase classname="a.mms" name="three" time="0"><skipped message="later"></skipped></testcase>
  </testsuite>
</testsuites>
`
	const goodGradescope = `{
  "score": 2,
  "execution_time": 0,
  "output": "",
  "output_format": "text",
  "visibility": "visible",
  "stdout_visibility": "hidden",
  "tests": [
    {"score": 2, "max_score": 2, "status": "passed", "name": "one", "number": "1", "output": "",
     "tags": [], "visibility": "visible", "execution_time": 0},
    {"score": 0, "max_score": 3, "status": "failed", "name": "two", "output": "boom",
     "tags": ["t"], "visibility": "hidden", "execution_time": 0.5}
  ]
}
`
	const goodJSON = `{
  "version": 1, "passed": 1, "failed": 1, "skipped": 1, "score": 2, "max_score": 9, "time": 0,
  "tests": [
    {"number": 1, "file": "a.mms", "name": "one", "status": "passed", "points": 2, "score": 2,
     "visibility": "visible", "tags": [], "time": 0, "kind": "", "message": "", "details": "", "output": "hi\n"},
    {"number": 2, "file": "a.mms", "name": "two", "status": "failed", "points": 3, "score": 0,
     "visibility": "hidden", "tags": ["t"], "time": 0.001, "kind": "assertion", "message": "m", "details": "d", "output": ""},
    {"number": 3, "file": "a.mms", "name": "three", "status": "skipped", "points": 4, "score": 0,
     "visibility": "visible", "tags": [], "time": 0, "kind": "", "message": "later", "details": "", "output": ""}
  ]
}
`
	type check func([]byte, []int) error
	goods := []struct {
		name  string
		check check
		doc   string
		want  []int
	}{
		{"tap", checkTAP, goodTAP, []int{1, 1, 1}},
		{"tap, plan at the end", checkTAP, "TAP version 14\nok 1\nnot ok 2 - x\n1..2\n", []int{1, 1, 0}},
		{"junit", checkJUnit, goodJUnit, []int{3, 1, 0, 1}},
		{"gradescope", checkGradescope, goodGradescope, []int{2, 5}},
		{"json", checkJSONReport, goodJSON, []int{1, 1, 1, 2, 9}},
	}
	for _, g := range goods {
		if err := g.check([]byte(g.doc), g.want); err != nil {
			t.Errorf("%s: a good report is rejected: %v", g.name, err)
		}
	}

	// edit replaces old by new in doc, once; it fails the test if old is
	// not there, so that every bad case really differs from the good one.
	edit := func(doc, old, new string) string {
		t.Helper()
		if !strings.Contains(doc, old) {
			t.Fatalf("%q is not in the good document", old)
		}
		return strings.Replace(doc, old, new, 1)
	}
	bads := []struct {
		name  string
		check check
		doc   string
		want  []int
		err   string // a part of the expected error
	}{
		// TAP
		{"tap: no version", checkTAP, edit(goodTAP, "TAP version 14\n", "TAP version 13\n"), nil, `line 1 "TAP version 13"`},
		{"tap: wrong plan count", checkTAP, edit(goodTAP, "1..3", "1..4"), nil, "the plan says 4 tests, the stream has 3"},
		{"tap: no plan", checkTAP, edit(goodTAP, "1..3\n", ""), nil, "no plan"},
		{"tap: two plans", checkTAP, goodTAP + "1..3\n", nil, "a second plan"},
		{"tap: plan in the middle", checkTAP, "TAP version 14\nok 1\n1..2\nok 2\n", nil, "after a closing plan"},
		{"tap: duplicated number", checkTAP, edit(goodTAP, "not ok 2 -", "not ok 1 -"), nil, "test point number 1, want 2"},
		{"tap: unescaped hash", checkTAP, edit(goodTAP, `\# not`, "# not"), nil, "unescaped #"},
		{"tap: no dash", checkTAP, edit(goodTAP, "ok 3 - a.mms", "ok 3 a.mms"), nil, `"ok N - DESCRIPTION"`},
		{"tap: stray line", checkTAP, edit(goodTAP, "# 1 passed", "garbage\n# 1 passed"), nil, `line 26 "garbage": not TAP`},
		{"tap: unindented YAML", checkTAP, edit(goodTAP, "  severity: fail", "severity: fail"), nil, "not indented by 2 spaces"},
		{"tap: unclosed YAML", checkTAP, edit(goodTAP, "  ...\nok 3", "ok 3"), nil, `line 24 "ok 3 - a.mms: three # SKIP not yet": not indented by 2 spaces, inside the YAML block opened on line 11`},
		{"tap: unclosed YAML at the end", checkTAP, "TAP version 14\n1..1\nok 1\n  ---\n  a: 1\n", nil, "never closed"},
		{"tap: YAML not after a point", checkTAP, edit(goodTAP, "# score", "  ---\n  ...\n# score"), nil, "does not follow a test point"},
		{"tap: YAML duplicate key", checkTAP, edit(goodTAP, "  severity: fail", "  severity: fail\n  severity: fail"), nil, `key "severity" appears twice`},
		{"tap: YAML not key value", checkTAP, edit(goodTAP, "  severity: fail", "  - fail"), nil, `not a "key: value" line`},
		{"tap: YAML bad quote", checkTAP, edit(goodTAP, `  file: "a.mms"`, `  file: "a.mms`), nil, "does not end on its line"},
		{"tap: YAML bad escape", checkTAP, edit(goodTAP, `  file: "a.mms"`, `  file: "a\q.mms"`), nil, `bad escape \q`},
		{"tap: YAML block indentation", checkTAP, edit(goodTAP, "|2-", "|-"), nil, "indented less than its block scalar"},
		{"tap: YAML deeper line", checkTAP, edit(goodTAP, "  severity: fail", "  severity: fail\n     stray"), nil, "followed by more deeply indented lines"},
		{"tap: YAML plain colon", checkTAP, edit(goodTAP, "  kind: assertion", "  kind: a: b"), nil, `holds ": "`},
		{"tap: score of a failure", checkTAP, edit(goodTAP, "  score: 0", "  score: 3"), nil, "YAML score 3 of 3 points, want 0"},
		{"tap: counts comment", checkTAP, edit(goodTAP, "# 1 passed, 1 failed", "# 2 passed, 1 failed"), nil, "the stream has 1 passed"},
		{"tap: score comment", checkTAP, edit(goodTAP, "# score: 2/5", "# score: 2/6"), nil, "add up to 2/5 points"},
		{"tap: expected counts", checkTAP, goodTAP, []int{2, 1, 0}, "passed 1, want 2; skipped 1, want 0"},
		{"tap: no final newline", checkTAP, strings.TrimSuffix(goodTAP, "\n"), nil, "newline"},
		// JUnit
		{"junit: not XML", checkJUnit, edit(goodJUnit, "</testsuites>", "</testsuite>"), nil, "not XML"},
		{"junit: root", checkJUnit, "<testsuite name=\"x\"></testsuite>\n", nil, "not <testsuites>"},
		{"junit: suite count", checkJUnit, edit(goodJUnit, `name="a.mms" tests="3" failures="1"`, `name="a.mms" tests="3" failures="2"`), nil, "its testcases count 3 1 0 1"},
		{"junit: suite tests", checkJUnit, edit(goodJUnit, `name="a.mms" tests="3"`, `name="a.mms" tests="4"`), nil, "says tests=4"},
		{"junit: root totals", checkJUnit, edit(goodJUnit, `name="mmsim" tests="3" failures="1" errors="0"`, `name="mmsim" tests="3" failures="1" errors="1"`), nil, "suites add up to 3 1 0 1"},
		{"junit: missing count", checkJUnit, edit(goodJUnit, `errors="0" skipped="1" time="0.000">
    <testcase`, `skipped="1" time="0.000">
    <testcase`), nil, "has no errors attribute"},
		{"junit: no classname", checkJUnit, edit(goodJUnit, `classname="a.mms" name="two"`, `name="two"`), nil, "has no classname"},
		{"junit: no name", checkJUnit, edit(goodJUnit, `classname="a.mms" name="two"`, `classname="a.mms"`), nil, "has no name"},
		{"junit: bad time", checkJUnit, edit(goodJUnit, `name="two" time="0.001"`, `name="two" time="1ms"`), nil, `time="1ms"`},
		{"junit: no time", checkJUnit, edit(goodJUnit, `name="two" time="0.001"`, `name="two"`), nil, "has no time"},
		{"junit: failure and skipped", checkJUnit, edit(goodJUnit, `<skipped message="later"></skipped>`, `<skipped message="later"></skipped><failure/>`), nil, "want at most one"},
		{"junit: score above points", checkJUnit, edit(goodJUnit, `name="score" value="2"`, `name="score" value="3"`), nil, "score <= points"},
		{"junit: trailing element", checkJUnit, goodJUnit + "<x/>\n", nil, "after the root element"},
		{"junit: expected counts", checkJUnit, goodJUnit, []int{3, 0, 0, 1}, "failures 1, want 0"},
		// Gradescope
		{"gradescope: not summing", checkGradescope, edit(goodGradescope, `"score": 2,`, `"score": 3,`), nil, "the tests' scores add up to 2"},
		{"gradescope: score above max", checkGradescope, edit(goodGradescope, `"score": 0, "max_score": 3`, `"score": 4, "max_score": 3`), nil, "not between 0 and max_score"},
		{"gradescope: missing key", checkGradescope, edit(goodGradescope, `"stdout_visibility": "hidden",`, ""), nil, "stdout_visibility: missing"},
		{"gradescope: test missing key", checkGradescope, edit(goodGradescope, `"execution_time": 0.5`, `"time": 0.5`), nil, "tests[1].execution_time: missing"},
		{"gradescope: status", checkGradescope, edit(goodGradescope, `"status": "failed"`, `"status": "skipped"`), nil, `tests[1].status is "skipped"`},
		{"gradescope: visibility", checkGradescope, edit(goodGradescope, `"visibility": "hidden", "execution_time"`, `"visibility": "secret", "execution_time"`), nil, `tests[1].visibility is "secret"`},
		{"gradescope: tags", checkGradescope, edit(goodGradescope, `"tags": ["t"]`, `"tags": "t"`), nil, "tags is a string, not an array"},
		{"gradescope: tag type", checkGradescope, edit(goodGradescope, `"tags": ["t"]`, `"tags": [1]`), nil, "tags[0] is a number, not a string"},
		{"gradescope: number type", checkGradescope, edit(goodGradescope, `"number": "1"`, `"number": 1`), nil, "tests[0].number is a number, not a string"},
		{"gradescope: score type", checkGradescope, edit(goodGradescope, `"score": 2,`, `"score": "2",`), nil, "score is a string, not a number"},
		{"gradescope: output format", checkGradescope, edit(goodGradescope, `"output_format": "text"`, `"output_format": "plain"`), nil, `output_format is "plain"`},
		{"gradescope: unknown key", checkGradescope, edit(goodGradescope, `"output": "",`, `"output": "", "ouptut": "",`), nil, "unknown keys ouptut"},
		{"gradescope: duplicate key", checkGradescope, edit(goodGradescope, `"output": "",`, `"output": "", "output": "",`), nil, `key "output" appears twice`},
		{"gradescope: trailing data", checkGradescope, goodGradescope + "{}\n", nil, "more after the JSON document"},
		{"gradescope: expected totals", checkGradescope, goodGradescope, []int{2, 4}, "max_score 5, want 4"},
		// mmsim JSON
		{"json: missing key", checkJSONReport, edit(goodJSON, `"details": "d", `, ""), nil, "tests[1].details: missing"},
		{"json: missing top key", checkJSONReport, edit(goodJSON, `"time": 0,`, ""), nil, "time: missing"},
		{"json: wrong type", checkJSONReport, edit(goodJSON, `"tags": ["t"]`, `"tags": null`), nil, "tests[1].tags is null, not an array"},
		{"json: integer", checkJSONReport, edit(goodJSON, `"points": 3,`, `"points": 3.0,`), nil, "tests[1].points is 3.0, not an integer"},
		{"json: counts", checkJSONReport, edit(goodJSON, `"passed": 1,`, `"passed": 2,`), nil, "the tests' statuses count 1 1 1"},
		{"json: score sum", checkJSONReport, edit(goodJSON, `"max_score": 9`, `"max_score": 8`), nil, "the tests add up to 2/9"},
		{"json: test score", checkJSONReport, edit(goodJSON, `"points": 2, "score": 2`, `"points": 2, "score": 1`), nil, "passed with score 1 of 2 points, want 2"},
		{"json: number", checkJSONReport, edit(goodJSON, `"number": 3`, `"number": 2`), nil, "tests[2]: number 2, want 3"},
		{"json: status", checkJSONReport, edit(goodJSON, `"status": "skipped"`, `"status": "skip"`), nil, `tests[2].status is "skip"`},
		{"json: kind", checkJSONReport, edit(goodJSON, `"kind": "assertion"`, `"kind": ""`), nil, `failed with kind ""`},
		{"json: kind of a pass", checkJSONReport, edit(goodJSON, `"kind": "", "message": "", "details": "", "output": "hi\n"`, `"kind": "output", "message": "", "details": "", "output": "hi\n"`), nil, `passed, but has kind "output"`},
		{"json: version", checkJSONReport, edit(goodJSON, `"version": 1`, `"version": 2`), nil, "version 2, want 1"},
		{"json: unknown key", checkJSONReport, edit(goodJSON, `"output": ""}`, `"output": "", "extra": 1}`), nil, "tests[1]: unknown keys extra"},
		{"json: no final newline", checkJSONReport, strings.TrimSuffix(goodJSON, "\n"), nil, "newline"},
		{"json: expected counts", checkJSONReport, goodJSON, []int{1, 1, 1, 3, 9}, "score 2, want 3"},
		// Each validator rejects the others' formats.
		{"tap of junit", checkTAP, goodJUnit, nil, "TAP version 14"},
		{"junit of json", checkJUnit, goodJSON, nil, "not XML"},
		{"gradescope of json", checkGradescope, goodJSON, nil, "execution_time: missing"},
		{"json of gradescope", checkJSONReport, goodGradescope, nil, "version: missing"},
	}
	for _, b := range bads {
		err := b.check([]byte(b.doc), b.want)
		switch {
		case err == nil:
			t.Errorf("%s: accepted", b.name)
		case !strings.Contains(err.Error(), b.err):
			t.Errorf("%s: error %q, want one that says %q", b.name, err, b.err)
		}
	}
}

// TestYAMLValues checks the values parseYAMLBlock extracts, which the TAP
// checks of points and score rely on.
func TestYAMLValues(t *testing.T) {
	block := []string{
		`  message: "a \"b\"\tc \\ \x41\u00e9"`,
		`  points: 3`,
		`  single: 'it''s'`,
		`  tags: ["lru", 'a,b', plain]`,
		`  text: |-`,
		`    one`,
		`    `,
		`    two`,
		`  lead: |2-`,
		`      indented`,
		`    flush`,
		`  clip: |`,
		`    x`,
		`  # a comment`,
		`  empty:`,
		`  trace: |-`,
		"    goroutine 1",
		"    \t/src/x.go:1",
	}
	got, err := parseYAMLBlock(block, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"message": "a \"b\"\tc \\ A\u00e9",
		"points":  "3",
		"single":  "it's",
		"tags":    "lru\na,b\nplain",
		"text":    "one\n\ntwo",
		"lead":    "  indented\nflush",
		"clip":    "x\n",
		"empty":   "",
		"trace":   "goroutine 1\n\t/src/x.go:1",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("keys %v, want %d of them", got, len(want))
	}
	if _, err := parseYAMLBlock([]string{"  text: |", "      ", "    a"}, 0); err == nil {
		t.Error("a leading empty line with more spaces than the block's first line is accepted")
	}
	if _, err := parseYAMLBlock([]string{"  a: 1", "  \tb: 2"}, 0); err == nil {
		t.Error("a key indented with a tab is accepted")
	}
}
