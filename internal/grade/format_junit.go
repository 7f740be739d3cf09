package grade

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"
)

// junitSuites is the root of a JUnit XML report, in the format Ant's junit
// task wrote and Jenkins, GitLab and GitHub Actions read:
//
//	<testsuites name="mmsim" tests="5" failures="1" errors="1" skipped="1" time="0.012">
//	  <testsuite name="FILE" tests="2" failures="1" errors="0" skipped="0" time="0.003">
//	    <testcase classname="FILE" name="NAME" time="0.001">
//	      <properties>
//	        <property name="points" value="3"></property>
//	      </properties>
//	      <failure message="MESSAGE" type="KIND">DETAILS</failure>
//	      <system-out>OUTPUT</system-out>
//	    </testcase>
//	  </testsuite>
//	</testsuites>
//
// There is one testsuite per test file, in the order the files first
// appear in the report. A failure of kind internal is an error rather
// than a failure; a skipped test has <skipped message="REASON">. The
// properties are points and score (for tests with points), visibility
// (when not visible) and one tag per tag. Times are in seconds. Details
// and output are CDATA sections; characters that XML 1.0 cannot carry
// are replaced by U+FFFD.
type junitSuites struct {
	XMLName xml.Name `xml:"testsuites"`
	Name    string   `xml:"name,attr"`
	junitCounts
	Suites []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name string `xml:"name,attr"`
	junitCounts
	Cases []junitCase `xml:"testcase"`

	time time.Duration
}

// junitCounts are the attributes testsuites and testsuite share.
type junitCounts struct {
	Tests    int    `xml:"tests,attr"`
	Failures int    `xml:"failures,attr"`
	Errors   int    `xml:"errors,attr"`
	Skipped  int    `xml:"skipped,attr"`
	Time     string `xml:"time,attr"`
}

type junitCase struct {
	Classname  string          `xml:"classname,attr"`
	Name       string          `xml:"name,attr"`
	Time       string          `xml:"time,attr"`
	Properties *junitProps     `xml:"properties"`
	Failure    *junitProblem   `xml:"failure"`
	Error      *junitProblem   `xml:"error"`
	Skipped    *junitSkipped   `xml:"skipped"`
	SystemOut  *junitSystemOut `xml:"system-out"`
}

type junitProps struct {
	Props []junitProp `xml:"property"`
}

type junitProp struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",cdata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

type junitSystemOut struct {
	Text string `xml:",cdata"`
}

// writeJUnit writes the report as JUnit XML, indented by two spaces.
func writeJUnit(b *bytes.Buffer, r *Report) error {
	top := junitSuites{Name: "mmsim", junitCounts: junitCounts{Time: junitTime(r.Time)}}
	index := make(map[string]int) // file -> index in top.Suites
	for i := range r.Results {
		res := &r.Results[i]
		k, ok := index[res.File]
		if !ok {
			k = len(top.Suites)
			index[res.File] = k
			top.Suites = append(top.Suites, junitSuite{Name: xmlSafe(res.File)})
		}
		s := &top.Suites[k]
		c := junitTestCase(res)
		s.Cases = append(s.Cases, c)
		s.Tests++
		s.time += res.Time
		switch {
		case c.Failure != nil:
			s.Failures++
		case c.Error != nil:
			s.Errors++
		case c.Skipped != nil:
			s.Skipped++
		}
	}
	for i := range top.Suites {
		s := &top.Suites[i]
		s.Time = junitTime(s.time)
		top.Tests += s.Tests
		top.Failures += s.Failures
		top.Errors += s.Errors
		top.Skipped += s.Skipped
	}
	out, err := xml.MarshalIndent(&top, "", "  ")
	if err != nil {
		return fmt.Errorf("junit report: %v", err)
	}
	b.WriteString(xml.Header)
	b.Write(out)
	b.WriteByte('\n')
	return nil
}

// junitTestCase is the testcase element of one result.
func junitTestCase(res *Result) junitCase {
	name := res.Name
	if name == "" {
		name = path.Base(res.File)
	}
	c := junitCase{
		Classname: xmlSafe(res.File),
		Name:      xmlSafe(name),
		Time:      junitTime(res.Time),
	}
	if props := junitProperties(res); len(props) > 0 {
		c.Properties = &junitProps{Props: props}
	}
	switch res.Status {
	case Pass:
	case Skip:
		c.Skipped = &junitSkipped{Message: xmlSafe(res.Message)}
	default:
		p := &junitProblem{
			Message: xmlSafe(res.Message),
			Type:    xmlSafe(res.Kind),
			Text:    xmlSafe(res.Details),
		}
		if res.Kind == "internal" {
			c.Error = p
		} else {
			c.Failure = p
		}
	}
	if res.Output != "" {
		c.SystemOut = &junitSystemOut{Text: xmlSafe(res.Output)}
	}
	return c
}

// junitProperties lists the properties that apply to the test.
func junitProperties(res *Result) []junitProp {
	var props []junitProp
	if res.Points > 0 {
		props = append(props,
			junitProp{"points", strconv.FormatInt(res.Points, 10)},
			junitProp{"score", strconv.FormatInt(res.Score(), 10)})
	}
	if v := visibilityOf(res); v != "visible" {
		props = append(props, junitProp{"visibility", xmlSafe(v)})
	}
	for _, t := range res.Tags {
		props = append(props, junitProp{"tag", xmlSafe(t)})
	}
	return props
}

// junitTime is d in seconds with three decimals.
func junitTime(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', 3, 64)
}

// xmlSafe replaces by U+FFFD what XML 1.0 cannot carry: bytes that are
// not valid UTF-8 and characters outside its Char production (control
// characters other than tab, newline and carriage return, surrogates,
// U+FFFE and U+FFFF).
func xmlSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if xmlChar(r) {
			return r
		}
		return '\uFFFD'
	}, strings.ToValidUTF8(s, "\uFFFD"))
}

// xmlChar reports whether r is a Char of XML 1.0.
func xmlChar(r rune) bool {
	switch {
	case r == '\t', r == '\n', r == '\r':
		return true
	case r >= 0x20 && r <= 0xd7ff:
		return true
	case r >= 0xe000 && r <= 0xfffd:
		return true
	case r >= 0x10000 && r <= 0x10ffff:
		return true
	}
	return false
}
