package reclaim

import (
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// silberschatz is the reference string of Silberschatz, Galvin & Gagne,
// Operating System Concepts (10th ed., section 10.4, figures 10.12, 10.14
// and 10.15; the same string since the early editions).
var silberschatz = []int{7, 0, 1, 2, 0, 3, 0, 4, 2, 3, 0, 3, 2, 1, 2, 0, 1, 7, 0, 1}

// belady is the string of Belady's anomaly: Belady, Nelson & Shedler, "An
// anomaly in space-time characteristics of certain programs running in a
// paging machine", CACM 12(6), 1969; Silberschatz figure 10.13,
// Tanenbaum & Bos, Modern Operating Systems, 4th ed., figure 3-19 (there
// with pages 0..4).
var belady = []int{1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5}

// trace writes a replay compactly, one step per word separated by " | ":
// the frames after the step ("." for an empty one), "*" for a hit, and
// "-P" when page P was evicted. "7.. | 70. | 701 | 201-7 | 201*" means 7,
// 0 and 1 filled the frames, 2 replaced 7, and 0 hit. Frames are
// separated by spaces when there are more than 3 or a page above 9.
func trace(r ReplayResult) string {
	spaced := r.Frames > 3
	for _, s := range r.Steps {
		spaced = spaced || s.Ref > 9
	}
	var words []string
	for _, s := range r.Steps {
		var b strings.Builder
		for i, p := range s.Frames {
			if i > 0 && spaced {
				b.WriteByte(' ')
			}
			if p < 0 {
				b.WriteByte('.')
			} else {
				b.WriteString(strconv.Itoa(p))
			}
		}
		if s.Hit {
			b.WriteByte('*')
		}
		if s.Evicted >= 0 {
			b.WriteString("-" + strconv.Itoa(s.Evicted))
		}
		words = append(words, b.String())
	}
	return strings.Join(words, " | ")
}

func TestReplayTextbook(t *testing.T) {
	for _, tc := range []struct {
		name   string
		policy string
		frames int
		refs   []int
		misses int
		trace  string // "" to check only the counts
	}{
		// Silberschatz figure 10.12: FIFO, 15 faults. The figure draws
		// the frames of each fault in frame order, as here.
		{"silberschatz fifo", "fifo", 3, silberschatz, 15,
			"7.. | 70. | 701 | 201-7 | 201* | 231-0 | 230-1 | 430-2 | 420-3 | 423-0 | 023-4 | 023* | 023* | 013-2 | 012-3 | 012* | 012* | 712-0 | 702-1 | 701-2"},
		// Figure 10.14: OPT, 9 faults. 2 evicts 7 (next use at 17), 3
		// evicts 1 (13), 4 evicts 0 (10), 0 evicts 4 (never again), 1
		// evicts 3 (never again), 7 evicts 2 (never again).
		{"silberschatz opt", "opt", 3, silberschatz, 9,
			"7.. | 70. | 701 | 201-7 | 201* | 203-1 | 203* | 243-0 | 243* | 243* | 203-4 | 203* | 203* | 201-3 | 201* | 201* | 201* | 701-2 | 701* | 701*"},
		// Figure 10.15: LRU, 12 faults.
		{"silberschatz lru", "lru", 3, silberschatz, 12,
			"7.. | 70. | 701 | 201-7 | 201* | 203-1 | 203* | 403-2 | 402-3 | 432-0 | 032-4 | 032* | 032* | 132-0 | 132* | 102-3 | 102* | 107-2 | 107* | 107*"},

		// Belady's anomaly: FIFO faults more with more frames.
		{"belady fifo 3", "fifo", 3, belady, 9,
			"1.. | 12. | 123 | 423-1 | 413-2 | 412-3 | 512-4 | 512* | 512* | 532-1 | 534-2 | 534*"},
		{"belady fifo 4", "fifo", 4, belady, 10,
			"1 . . . | 1 2 . . | 1 2 3 . | 1 2 3 4 | 1 2 3 4* | 1 2 3 4* | 5 2 3 4-1 | 5 1 3 4-2 | 5 1 2 4-3 | 5 1 2 3-4 | 4 1 2 3-5 | 4 5 2 3-1"},
		// LRU and OPT are stack algorithms: no anomaly. By hand: LRU with
		// 3 frames hits only the 1 and 2 after 5; with 4 frames also the
		// 1 and 2 after 4. OPT with 3 frames: 4 evicts 3, 5 evicts 4, 3
		// evicts 1 and 4 evicts 3 (ties of never-again pages, lowest
		// frame); with 4 frames: 5 evicts 4, 4 evicts 1.
		{"belady lru 3", "lru", 3, belady, 10,
			"1.. | 12. | 123 | 423-1 | 413-2 | 412-3 | 512-4 | 512* | 512* | 312-5 | 342-1 | 345-2"},
		{"belady lru 4", "lru", 4, belady, 8,
			"1 . . . | 1 2 . . | 1 2 3 . | 1 2 3 4 | 1 2 3 4* | 1 2 3 4* | 1 2 5 4-3 | 1 2 5 4* | 1 2 5 4* | 1 2 5 3-4 | 1 2 4 3-5 | 5 2 4 3-1"},
		{"belady opt 3", "opt", 3, belady, 7,
			"1.. | 12. | 123 | 124-3 | 124* | 124* | 125-4 | 125* | 125* | 325-1 | 425-3 | 425*"},
		{"belady opt 4", "opt", 4, belady, 6,
			"1 . . . | 1 2 . . | 1 2 3 . | 1 2 3 4 | 1 2 3 4* | 1 2 3 4* | 1 2 3 5-4 | 1 2 3 5* | 1 2 3 5* | 1 2 3 5* | 4 2 3 5-1 | 4 2 3 5*"},

		// CLOCK by hand, hand position and bits after each step:
		//   1,2,3  fill frames 0..2, bits 111, hand 0
		//   4      clears 0,1,2, evicts 1 in frame 0; bits 100, hand 1
		//   2      hit: bits 110
		//   5      clears 1, evicts 3 in frame 2; bits 101, hand 0
		//   6      clears 0, evicts 2 in frame 1; bits 011, hand 2
		//   4      hit: bits 111
		//   7      clears 2,0,1, evicts 5 in frame 2; bits 001, hand 0
		//   1      evicts 4 in frame 0; bits 101, hand 1
		// FIFO on the string evicts 2 at 5 instead, LRU faults on the
		// second 4: 8 and 9 faults, different frames.
		{"clock by hand", "clock", 3, []int{1, 2, 3, 4, 2, 5, 6, 4, 7, 1}, 8,
			"1.. | 12. | 123 | 423-1 | 423* | 425-3 | 465-2 | 465* | 467-5 | 167-4"},
		// Second chance by hand, the queue (head first) and bits:
		//   1,2,3  queue 1 2 3, bits 111
		//   4      1, 2, 3 go to the tail with bits cleared; 1 is evicted:
		//          queue 2 3 4, bits 2:0 3:0 4:1
		//   2      hit: 2:1
		//   5      2 goes to the tail (cleared), 3 is evicted: queue 4 2 5
		//   6      4 goes to the tail (cleared), 2 is evicted: queue 5 4 6
		//   4      hit: 4:1
		//   7      5, 4, 6 cleared to the tail, 5 evicted: queue 4 6 7
		//   1      4 evicted: queue 6 7 1
		// The same as CLOCK, step for step.
		{"second chance by hand", "secondchance", 3, []int{1, 2, 3, 4, 2, 5, 6, 4, 7, 1}, 8,
			"1.. | 12. | 123 | 423-1 | 423* | 425-3 | 465-2 | 465* | 467-5 | 167-4"},
		{"fifo same string", "fifo", 3, []int{1, 2, 3, 4, 2, 5, 6, 4, 7, 1}, 8,
			"1.. | 12. | 123 | 423-1 | 423* | 453-2 | 456-3 | 456* | 756-4 | 716-5"},
		{"lru same string", "lru", 3, []int{1, 2, 3, 4, 2, 5, 6, 4, 7, 1}, 9,
			"1.. | 12. | 123 | 423-1 | 423* | 425-3 | 625-4 | 645-2 | 647-5 | 147-6"},
		// Every bit set: CLOCK clears them all and evicts like FIFO.
		{"clock is fifo without hits", "clock", 3, []int{1, 2, 3, 4, 5, 6, 7}, 7,
			"1.. | 12. | 123 | 423-1 | 453-2 | 456-3 | 756-4"},
		// Silberschatz's string under CLOCK, by hand as above: 14 faults,
		// between OPT's 9 and FIFO's 15.
		{"silberschatz clock", "clock", 3, silberschatz, 14,
			"7.. | 70. | 701 | 201-7 | 201* | 203-1 | 203* | 403-2 | 423-0 | 423* | 420-3 | 320-4 | 320* | 310-2 | 312-0 | 012-3 | 012* | 072-1 | 072* | 071-2"},
		{"silberschatz secondchance", "secondchance", 3, silberschatz, 14, ""},

		// Edge cases.
		{"enough frames", "lru", 8, silberschatz, 6, ""}, // 7, 0, 1, 2, 3, 4: 6 distinct
		{"enough frames fifo", "fifo", 6, silberschatz, 6, ""},
		{"enough frames opt", "opt", 6, silberschatz, 6, ""},
		{"enough frames clock", "clock", 100, silberschatz, 6, ""},
		{"one frame", "clock", 1, []int{1, 1, 2, 1, 1}, 3, "1 | 1* | 2-1 | 1-2 | 1*"},
		{"one frame opt", "opt", 1, []int{1, 1, 2, 1, 1}, 3, "1 | 1* | 2-1 | 1-2 | 1*"},
		{"empty", "fifo", 3, nil, 0, ""},
		{"page 0 and big pages", "lru", 2, []int{0, 1 << 40, 0, 5}, 3, "0 . | 0 1099511627776 | 0 1099511627776* | 0 5-1099511627776"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Replay(tc.policy, tc.frames, tc.refs)
			if err != nil {
				t.Fatal(err)
			}
			if r.Misses != tc.misses || r.Hits != len(tc.refs)-tc.misses || len(r.Steps) != len(tc.refs) {
				t.Errorf("%d hits, %d misses, %d steps; want %d misses of %d references", r.Hits, r.Misses, len(r.Steps), tc.misses, len(tc.refs))
			}
			if r.Policy != tc.policy || r.Frames != tc.frames {
				t.Errorf("result names %s with %d frames", r.Policy, r.Frames)
			}
			if got := trace(r); tc.trace != "" && got != tc.trace {
				t.Errorf("trace\n got %s\nwant %s", got, tc.trace)
			}
		})
	}
}

// TestReplayCompulsory: with a frame for every distinct page, every policy
// misses only on first references (compulsory misses).
func TestReplayCompulsory(t *testing.T) {
	for _, policy := range ReplayPolicies() {
		for frames := 6; frames <= 8; frames++ {
			r, err := Replay(policy, frames, silberschatz)
			if err != nil {
				t.Fatal(err)
			}
			// 6 distinct pages: only the first reference to each misses.
			if r.Misses != 6 {
				t.Errorf("%s with %d frames: %d misses, want 6", policy, frames, r.Misses)
			}
		}
	}
}

func TestReplayErrors(t *testing.T) {
	for _, tc := range []struct {
		policy string
		frames int
		refs   []int
		want   string
	}{
		{"lfu", 3, nil, `unknown replacement policy "lfu"; policies: clock, fifo, lru, opt, secondchance`},
		{"LRU", 3, nil, `unknown replacement policy "LRU"`},
		{"", 3, nil, `unknown replacement policy ""`},
		{"fifo", 0, []int{1}, "frames must be at least 1, not 0"},
		{"opt", -2, nil, "frames must be at least 1, not -2"},
		{"lru", ReplayMaxFrames + 1, nil, "frames must be at most 65536, not 65537"},
		{"clock", 2, []int{1, 2, -3}, "refs[2] is -3: page numbers must not be negative"},
	} {
		_, err := Replay(tc.policy, tc.frames, tc.refs)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Replay(%q, %d, %v) = %v, want %q", tc.policy, tc.frames, tc.refs, err, tc.want)
		}
	}
	if r, err := Replay("fifo", 3, nil); err != nil || r.Steps == nil || len(r.Steps) != 0 {
		t.Errorf("empty string: %+v, %v; want no steps and no error", r, err)
	}
}

func TestReplayPolicies(t *testing.T) {
	want := []string{"clock", "fifo", "lru", "opt", "secondchance"}
	if got := ReplayPolicies(); !reflect.DeepEqual(got, want) {
		t.Errorf("ReplayPolicies() = %v, want %v", got, want)
	}
}

// TestReplayProperties replays random strings (fixed seed) and checks what
// holds for every policy and what the theory says of some:
//   - hits + misses == len(refs), one step per reference;
//   - a step hits exactly when the page was in a frame before it; a miss
//     changes one frame, which then holds the page, and names the page it
//     held as evicted (-1 if the frame was empty); a hit changes nothing;
//   - OPT has no more misses than any policy (Belady's optimality);
//   - LRU and OPT are stack algorithms: more frames never mean fewer
//     hits; for LRU, the pages in n frames are among those in n+1 at every
//     step (the inclusion property);
//   - clock and secondchance agree step for step.
func TestReplayProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for iter := 0; iter < 400; iter++ {
		refs := make([]int, rng.IntN(80))
		pages := 1 + rng.IntN(12)
		for i := range refs {
			refs[i] = rng.IntN(pages)
		}
		if iter%3 == 0 && len(refs) > 0 { // some locality: repeat a recent page
			for i := 1; i < len(refs); i++ {
				if rng.IntN(2) == 0 {
					refs[i] = refs[max(0, i-1-rng.IntN(4))]
				}
			}
		}
		results := map[string][]ReplayResult{} // policy -> by frames-1
		for _, policy := range ReplayPolicies() {
			for frames := 1; frames <= 10; frames++ {
				r, err := Replay(policy, frames, refs)
				if err != nil {
					t.Fatal(err)
				}
				checkSteps(t, r, refs)
				results[policy] = append(results[policy], r)
			}
		}
		for fi := range 10 {
			opt := results["opt"][fi]
			for policy, rs := range results {
				if rs[fi].Misses < opt.Misses {
					t.Errorf("refs %v, %d frames: %s has %d misses, fewer than OPT's %d", refs, fi+1, policy, rs[fi].Misses, opt.Misses)
				}
			}
			if !reflect.DeepEqual(results["clock"][fi], withPolicy(results["secondchance"][fi], "clock")) {
				t.Errorf("refs %v, %d frames: clock and secondchance differ:\n%s\n%s", refs, fi+1, trace(results["clock"][fi]), trace(results["secondchance"][fi]))
			}
			if fi == 0 {
				continue
			}
			for _, policy := range []string{"lru", "opt"} {
				if a, b := results[policy][fi-1], results[policy][fi]; b.Hits < a.Hits {
					t.Errorf("refs %v: %s hits %d times with %d frames but %d with %d", refs, policy, a.Hits, fi, b.Hits, fi+1)
				}
			}
			small, big := results["lru"][fi-1], results["lru"][fi]
			for i := range refs {
				if !subset(small.Steps[i].Frames, big.Steps[i].Frames) {
					t.Errorf("refs %v, step %d: LRU with %d frames holds %v, not a subset of %v with %d", refs, i, fi, small.Steps[i].Frames, big.Steps[i].Frames, fi+1)
				}
			}
		}
	}
}

func withPolicy(r ReplayResult, policy string) ReplayResult {
	r.Policy = policy
	return r
}

// checkSteps checks a replay's steps against the rules every policy keeps.
func checkSteps(t *testing.T, r ReplayResult, refs []int) {
	t.Helper()
	if r.Hits+r.Misses != len(refs) || len(r.Steps) != len(refs) {
		t.Fatalf("%s %d frames, refs %v: %d hits + %d misses, %d steps", r.Policy, r.Frames, refs, r.Hits, r.Misses, len(r.Steps))
	}
	prev := make([]int, r.Frames)
	for i := range prev {
		prev[i] = -1
	}
	hits := 0
	for i, s := range r.Steps {
		fail := func(what string) {
			t.Fatalf("%s %d frames, refs %v, step %d (%+v after %v): %s", r.Policy, r.Frames, refs, i, s, prev, what)
		}
		if s.Ref != refs[i] || len(s.Frames) != r.Frames {
			fail("wrong ref or frame count")
		}
		was := indexOfPage(prev, s.Ref)
		if s.Hit != (was >= 0) {
			fail("hit does not match the frames before")
		}
		changed := -1
		for f := range prev {
			if prev[f] != s.Frames[f] {
				if changed >= 0 {
					fail("two frames changed")
				}
				changed = f
			}
		}
		if s.Hit {
			hits++
			if changed >= 0 || s.Evicted != -1 {
				fail("a hit changed the frames")
			}
		} else {
			if changed < 0 || s.Frames[changed] != s.Ref || s.Evicted != prev[changed] {
				fail("a miss must load the page into one frame and evict what it held")
			}
			if prev[changed] == -1 && indexOfPage(prev, -1) != changed {
				fail("an empty frame other than the lowest was filled")
			}
			if prev[changed] != -1 && indexOfPage(prev, -1) >= 0 {
				fail("a page was evicted while a frame was empty")
			}
		}
		prev = s.Frames
	}
	if hits != r.Hits {
		t.Fatalf("%s: %d hits counted, %d steps hit", r.Policy, r.Hits, hits)
	}
}

func indexOfPage(frames []int, page int) int {
	for i, p := range frames {
		if p == page {
			return i
		}
	}
	return -1
}

func subset(a, b []int) bool {
	for _, p := range a {
		if p >= 0 && indexOfPage(b, p) < 0 {
			return false
		}
	}
	return true
}
