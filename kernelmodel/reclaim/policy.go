// Package reclaim models page reclaim: LRU lists, kswapd, swap, replacement policies and the OOM killer.
package reclaim

import (
	"fmt"
	"sort"
	"strings"
)

// This file replays reference strings under the textbook page-replacement
// policies (Silberschatz et al., Operating System Concepts, "Page
// Replacement"; Tanenbaum & Bos, Modern Operating Systems, "Page
// Replacement Algorithms"). A reference string is a list of page numbers;
// a policy decides, on a fault with every frame in use, which page to
// evict.
//
// All policies share these rules:
//
//   - A reference to a page in a frame is a hit; anything else is a miss
//     (a page fault).
//   - While some frame is empty, a miss loads the page into the lowest
//     empty frame and evicts nothing. Pages are never dropped without a
//     replacement, so the frames fill in order 0, 1, ..., frames-1.
//   - A replaced page's frame gets the new page: a page stays in the frame
//     it was loaded into until it is evicted, so the frame contents read
//     like the columns of the textbook figures.
//
// The policies:
//
//   - fifo: evict the page loaded longest ago. Since the new page takes
//     the victim's frame, the victims go round the frames in order 0, 1,
//     ..., frames-1, 0, ...
//   - lru: evict the page whose last reference is the oldest.
//   - opt: Belady's optimal (MIN) policy: evict the page whose next
//     reference is farthest in the future; a page never referenced again
//     is farthest of all. Two pages can tie only when neither is
//     referenced again; the tie goes to the page in the lowest frame.
//   - clock: the CLOCK algorithm (Silberschatz's "second-chance
//     algorithm" in its circular-queue form; Tanenbaum's "clock page
//     replacement algorithm"). Each frame has a reference bit, and a hand
//     points at a frame. A page gets its bit set when it is loaded (the
//     reference that faulted it in) and on every hit. While frames are
//     empty they are filled in order and the hand stays at frame 0. On a
//     miss with every frame full, the hand looks at its frame: if the bit
//     is 1, the bit is cleared and the hand moves to the next frame
//     (circularly); if it is 0, that page is evicted, the new page takes
//     the frame with its bit set to 1, and the hand moves past it. If
//     every bit is set, the hand clears them all in one turn and evicts
//     the page it started at: CLOCK degenerates to FIFO.
//   - secondchance: the second-chance algorithm as a FIFO queue of pages
//     in load order (Tanenbaum's presentation). Bits are set as for
//     clock. On a miss with every frame full, the page at the head of the
//     queue is evicted if its bit is 0; if its bit is 1, the bit is
//     cleared and the page moves to the tail, as if it had just been
//     loaded, and the next head is looked at. The new page takes the
//     victim's frame and joins the tail with its bit set.
//
// clock and secondchance are the same algorithm implemented two ways (a
// hand over a circle of frames, a queue whose head is the hand's frame),
// as both textbooks say: they evict the same pages and give the same
// frames at every step. Both are kept so that the equivalence can be
// shown and tested.

// ReplayMaxFrames is the largest number of frames Replay accepts. Every
// step records the contents of every frame, so a replay takes memory
// proportional to len(refs) * frames.
const ReplayMaxFrames = 1 << 16

// ReplayStep is one reference of a replay.
type ReplayStep struct {
	Ref     int   // the page referenced
	Hit     bool  // whether it was in a frame
	Frames  []int // the page in each frame after the step, in frame order; -1 for an empty frame
	Evicted int   // the page evicted to make room, or -1 if none
}

// ReplayResult is a replay of a reference string under one policy.
type ReplayResult struct {
	Policy       string
	Frames       int // the number of frames
	Hits, Misses int
	Steps        []ReplayStep // one per reference
}

// replayPolicy chooses victims. It sees every reference: hit on a hit,
// load when a page goes into an empty frame, and victim then load on a
// miss with every frame full.
type replayPolicy interface {
	// start prepares for a replay of refs with n frames.
	start(n int, refs []int)
	// hit notes a reference at index i to the page in frame f.
	hit(i, f int)
	// load notes that the reference at index i loaded its page into frame f.
	load(i, f int)
	// victim returns the frame whose page the miss at index i evicts.
	victim(i int) int
}

var replayPolicies = map[string]func() replayPolicy{
	"clock":        func() replayPolicy { return &replayClock{} },
	"fifo":         func() replayPolicy { return &replayFIFO{} },
	"lru":          func() replayPolicy { return &replayLRU{} },
	"opt":          func() replayPolicy { return &replayOPT{} },
	"secondchance": func() replayPolicy { return &replaySecondChance{} },
}

// ReplayPolicies returns the names of the policies Replay knows, sorted.
func ReplayPolicies() []string {
	names := make([]string, 0, len(replayPolicies))
	for name := range replayPolicies {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// Replay runs the reference string refs through frames frames under a
// policy: one of ReplayPolicies(). It is an error if the policy is
// unknown, if frames is below 1 or above ReplayMaxFrames, or if a page
// number is negative. The work is O(len(refs) * frames).
func Replay(policy string, frames int, refs []int) (ReplayResult, error) {
	newPolicy, ok := replayPolicies[policy]
	if !ok {
		return ReplayResult{}, fmt.Errorf("unknown replacement policy %q; policies: %s", policy, strings.Join(ReplayPolicies(), ", "))
	}
	if frames < 1 {
		return ReplayResult{}, fmt.Errorf("frames must be at least 1, not %d", frames)
	}
	if frames > ReplayMaxFrames {
		return ReplayResult{}, fmt.Errorf("frames must be at most %d, not %d", ReplayMaxFrames, frames)
	}
	for i, r := range refs {
		if r < 0 {
			return ReplayResult{}, fmt.Errorf("refs[%d] is %d: page numbers must not be negative", i, r)
		}
	}

	p := newPolicy()
	p.start(frames, refs)
	res := ReplayResult{Policy: policy, Frames: frames, Steps: make([]ReplayStep, 0, len(refs))}
	slots := make([]int, frames) // the page in each frame, -1 if empty
	for f := range slots {
		slots[f] = -1
	}
	where := make(map[int]int, frames) // page -> frame
	used := 0                          // frames filled so far
	for i, ref := range refs {
		step := ReplayStep{Ref: ref, Evicted: -1}
		if f, ok := where[ref]; ok {
			step.Hit = true
			res.Hits++
			p.hit(i, f)
		} else {
			res.Misses++
			f := used
			if used < frames {
				used++
			} else {
				f = p.victim(i)
				step.Evicted = slots[f]
				delete(where, slots[f])
			}
			slots[f] = ref
			where[ref] = f
			p.load(i, f)
		}
		step.Frames = append([]int(nil), slots...)
		res.Steps = append(res.Steps, step)
	}
	return res, nil
}

// replayFIFO evicts in load order, which is frame order round and round.
type replayFIFO struct{ n, next int }

func (p *replayFIFO) start(n int, _ []int) { p.n, p.next = n, 0 }
func (p *replayFIFO) hit(int, int)         {}
func (p *replayFIFO) load(int, int)        {}
func (p *replayFIFO) victim(int) int {
	f := p.next
	p.next = (p.next + 1) % p.n
	return f
}

// replayLRU evicts the frame whose last reference is the oldest.
type replayLRU struct{ last []int } // index of each frame's last reference

func (p *replayLRU) start(n int, _ []int) { p.last = make([]int, n) }
func (p *replayLRU) hit(i, f int)         { p.last[f] = i }
func (p *replayLRU) load(i, f int)        { p.last[f] = i }
func (p *replayLRU) victim(int) int {
	v := 0
	for f, t := range p.last {
		if t < p.last[v] {
			v = f
		}
	}
	return v
}

// replayOPT evicts the frame whose next reference is farthest away, the
// lowest such frame on a tie.
type replayOPT struct {
	nextUse []int // for each index, the index of the next reference to the same page; len(refs) if none
	next    []int // for each frame, the index of its page's next reference
}

func (p *replayOPT) start(n int, refs []int) {
	p.next = make([]int, n)
	p.nextUse = make([]int, len(refs))
	seen := make(map[int]int) // page -> index of its nearest later reference
	for i := len(refs) - 1; i >= 0; i-- {
		if j, ok := seen[refs[i]]; ok {
			p.nextUse[i] = j
		} else {
			p.nextUse[i] = len(refs)
		}
		seen[refs[i]] = i
	}
}
func (p *replayOPT) hit(i, f int)  { p.next[f] = p.nextUse[i] }
func (p *replayOPT) load(i, f int) { p.next[f] = p.nextUse[i] }
func (p *replayOPT) victim(int) int {
	v := 0
	for f, t := range p.next {
		if t > p.next[v] { // strictly farther: a tie keeps the lower frame
			v = f
		}
	}
	return v
}

// replayClock is CLOCK: a hand over the frames and a reference bit each.
type replayClock struct {
	ref  []bool
	hand int
}

func (p *replayClock) start(n int, _ []int) { p.ref, p.hand = make([]bool, n), 0 }
func (p *replayClock) hit(_, f int)         { p.ref[f] = true }
func (p *replayClock) load(_, f int)        { p.ref[f] = true }
func (p *replayClock) victim(int) int {
	// At most one turn clears every bit; the frame the hand started at
	// then has bit 0.
	for p.ref[p.hand] {
		p.ref[p.hand] = false
		p.hand = (p.hand + 1) % len(p.ref)
	}
	v := p.hand
	p.hand = (p.hand + 1) % len(p.ref)
	return v
}

// replaySecondChance is second chance as a FIFO queue of frames in load
// order, with a reference bit per frame.
type replaySecondChance struct {
	ref   []bool
	queue []int // frames in load order, oldest first
}

func (p *replaySecondChance) start(n int, _ []int) { p.ref, p.queue = make([]bool, n), nil }
func (p *replaySecondChance) hit(_, f int)         { p.ref[f] = true }

// load puts the frame's new page at the tail of the queue.
func (p *replaySecondChance) load(_, f int) {
	p.ref[f] = true
	p.queue = append(p.queue, f)
}

// victim takes pages off the head of the queue: one with its bit set has
// the bit cleared and goes to the tail; the first with its bit clear is
// the victim, and leaves the queue until load puts the new page back.
func (p *replaySecondChance) victim(int) int {
	for {
		f := p.queue[0]
		p.queue = p.queue[1:]
		if !p.ref[f] {
			return f
		}
		p.ref[f] = false
		p.queue = append(p.queue, f)
	}
}
