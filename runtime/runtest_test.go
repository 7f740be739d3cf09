package runtime_test

import (
	"io"
	"strings"
	"testing"

	"mmsim/lang"
	"mmsim/runtime"
	"mmsim/stdlib"
)

// TestRunTestHeader checks that a test block's header is evaluated and
// checked when the test runs, and recorded in Thread.Test.
func TestRunTestHeader(t *testing.T) {
	for _, tc := range []struct {
		header string
		want   string // error text; "" for success
		points int64
		vis    string
		tags   string
	}{
		{``, "", 0, "visible", ""},
		{`points=2 visibility="after_due_date" tags=["buddy", "zones"]`, "", 2, "after_due_date", "buddy,zones"},
		{`points=1 + 2`, "", 3, "visible", ""},
		{`points=-1`, "1:10: error: points must be an int from 0 to 1000000, not int -1", 0, "", ""},
		{`points="2"`, "points must be an int from 0 to 1000000, not string", 0, "", ""},
		{`points=1000001`, "points must be an int from 0 to 1000000, not int 1000001", 0, "", ""},
		{`visibility="secret"`, "visibility must be one of visible, hidden, after_due_date, after_published", 0, "", ""},
		{`tags="buddy"`, "tags must be a list of strings", 0, "", ""},
		{`tags=[1]`, "but one is int 1", 0, "", ""},
		{`pionts=1`, "unknown test option pionts (did you mean points?)", 0, "", ""},
		{`points=1/0`, "division by zero", 0, "", ""},
	} {
		src := `test "t" ` + tc.header + " { x = 1 }\n"
		f, err := lang.Parse("t.mms", src)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		th, _ := stdlib.NewThread(io.Discard, io.Discard)
		err = th.RunTest(f, runtime.Tests(f)[0])
		if tc.want != "" {
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: err = %v, want %q", tc.header, err, tc.want)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.header, err)
			continue
		}
		got := th.Test
		if got == nil || got.Name != "t" || got.Points != tc.points || got.Visibility != tc.vis || strings.Join(got.Tags, ",") != tc.tags {
			t.Errorf("%s: Test = %+v", tc.header, got)
		}
	}
}
