package grade

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// writeTAP writes the report as TAP version 14
// (https://testanything.org/tap-version-14-specification.html):
//
//	TAP version 14
//	1..3
//	ok 1 - FILE: NAME
//	not ok 2 - FILE: NAME
//	  ---
//	  message: "first line of the failure"
//	  severity: fail
//	  kind: assertion
//	  ...
//	ok 3 - FILE: NAME # SKIP REASON
//	# 1 passed, 1 failed, 1 skipped
//	# score: 2/5 points
//
// A failed test is followed by a YAML block (see tapYAML). A passed or
// skipped test has one only when it has points, or with opt.Verbose when
// it printed something. The closing comments give the counts and, when
// some test has points, the score.
func writeTAP(b *bytes.Buffer, r *Report, opt WriteOptions) {
	b.WriteString("TAP version 14\n")
	fmt.Fprintf(b, "1..%d\n", len(r.Results))
	for i := range r.Results {
		res := &r.Results[i]
		b.WriteString(tapLine(res, i))
		b.WriteByte('\n')
		if failed(res) || res.Points > 0 || (opt.Verbose && res.Output != "") {
			tapYAML(b, res, opt)
		}
	}
	fmt.Fprintf(b, "# %s\n", countsLine(r))
	if r.HasPoints() {
		fmt.Fprintf(b, "# %s\n", scoreLine(r))
	}
}

// tapLine is the test point, without a newline.
func tapLine(res *Result, i int) string {
	ok := "ok"
	if failed(res) {
		ok = "not ok"
	}
	s := fmt.Sprintf("%s %d - %s", ok, testNumber(res, i), tapDescription(res.Label()))
	if res.Status == Skip {
		s += " # SKIP"
		if res.Message != "" {
			s += " " + tapOneLine(res.Message)
		}
	}
	return s
}

// tapDescription escapes a test point's description as TAP 14 asks:
// backslash as \\ and # as \#, so that neither starts a directive.
func tapDescription(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, "#", `\#`)
	return tapOneLine(s)
}

// tapOneLine replaces the control characters of s, line breaks among them,
// by spaces, so that s cannot break a TAP line.
func tapOneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

// tapYAML writes the test's YAML block, indented by two spaces:
//
//	message: the failure's summary, or the skip's reason
//	severity: fail (failed tests only)
//	kind: the failure's kind (failed tests only)
//	file: the test file
//	points, score: max and earned points (tests with points only)
//	visibility: when not visible
//	tags: a flow sequence of strings, when the test has tags
//	duration_ms: the test's time in milliseconds (not for skipped tests)
//	details: the failure's full text
//	output: what the test printed (failed tests, or any with opt.Verbose)
//
// Keys whose value would be empty are left out. Strings are double-quoted,
// and multi-line texts are literal block scalars without their trailing
// newlines (see yamlText).
func tapYAML(b *bytes.Buffer, res *Result, opt WriteOptions) {
	b.WriteString("  ---\n")
	if res.Message != "" {
		fmt.Fprintf(b, "  message: %s\n", yamlQuote(res.Message))
	}
	if failed(res) {
		b.WriteString("  severity: fail\n")
		if res.Kind != "" {
			fmt.Fprintf(b, "  kind: %s\n", yamlWord(res.Kind))
		}
	}
	fmt.Fprintf(b, "  file: %s\n", yamlQuote(res.File))
	if res.Points > 0 {
		fmt.Fprintf(b, "  points: %d\n", res.Points)
		fmt.Fprintf(b, "  score: %d\n", res.Score())
	}
	if v := visibilityOf(res); v != "visible" {
		fmt.Fprintf(b, "  visibility: %s\n", yamlWord(v))
	}
	if len(res.Tags) > 0 {
		tags := make([]string, len(res.Tags))
		for i, t := range res.Tags {
			tags[i] = yamlQuote(t)
		}
		fmt.Fprintf(b, "  tags: [%s]\n", strings.Join(tags, ", "))
	}
	if res.Status != Skip {
		ms := float64(res.Time.Nanoseconds()) / 1e6
		fmt.Fprintf(b, "  duration_ms: %s\n", strconv.FormatFloat(ms, 'f', 3, 64))
	}
	if res.Details != "" {
		b.WriteString(yamlText("details", res.Details))
	}
	if res.Output != "" && (failed(res) || opt.Verbose) {
		b.WriteString(yamlText("output", res.Output))
	}
	b.WriteString("  ...\n")
}

// yamlText is the YAML block entry key: text, indented by two spaces.
// Trailing newlines are dropped. A text of one line, or one that a block
// scalar cannot carry (see yamlBlockable), is a double-quoted string.
// Other texts are literal block scalars ("|-") whose lines are indented
// by two more spaces; empty lines keep that indentation, so that no line
// of the block looks, to a TAP reader, like the end of it. When the first
// line that is not empty starts with a space, the block says how deep its
// lines are indented ("|2-": two spaces deeper than the key), because a
// YAML reader would otherwise count the space as indentation.
func yamlText(key, text string) string {
	text = trimNewlines(text)
	if !strings.Contains(text, "\n") || !yamlBlockable(text) {
		return fmt.Sprintf("  %s: %s\n", key, yamlQuote(text))
	}
	header := "|-"
	if strings.HasPrefix(strings.TrimLeft(text, "\n"), " ") {
		header = "|2-"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "  %s: %s\n", key, header)
	for line := range strings.SplitSeq(text, "\n") {
		b.WriteString("    ")
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.String()
}

// yamlBlockable reports whether s can be written as a block scalar
// unchanged: valid UTF-8 holding only characters that YAML lets appear
// as they are, and no carriage return, which YAML would read as a line
// break.
func yamlBlockable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r != '\n' && r != '\t' && !yamlPrintable(r) {
			return false
		}
	}
	return true
}

// yamlPrintable reports whether YAML 1.2 lets r appear unescaped in a
// string other than as a line break or tab (c-printable, without the byte
// order mark and the line break characters).
func yamlPrintable(r rune) bool {
	switch {
	case r >= 0x20 && r <= 0x7e:
		return true
	case r == 0x85:
		return false // NEL: a line break in YAML 1.1
	case r >= 0xa0 && r <= 0xd7ff:
		return r != 0x2028 && r != 0x2029 // line and paragraph separators
	case r >= 0xe000 && r <= 0xfffd:
		return r != 0xfeff // byte order mark
	case r >= 0x10000 && r <= 0x10ffff:
		return true
	}
	return false
}

// yamlQuote is s as a YAML double-quoted scalar. Backslash, double quote
// and the characters yamlPrintable rejects are escaped: \n, \t, \r, \xNN
// below U+0100 and \uNNNN above. Bytes that are not valid UTF-8 become
// U+FFFD.
func yamlQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == '"':
			b.WriteString(`\"`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case yamlPrintable(r):
			b.WriteRune(r)
		case r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// yamlWord is s as a plain scalar when s is a lower-case word that YAML
// reads as that string (kind and visibility values are), and as a
// double-quoted scalar otherwise.
func yamlWord(s string) string {
	switch s {
	case "", "true", "false", "null", "yes", "no", "on", "off", "y", "n":
		return yamlQuote(s)
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && r != '_' {
			return yamlQuote(s)
		}
	}
	return s
}
