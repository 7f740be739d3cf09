package stdlib

import (
	"fmt"
	"slices"
	"strings"

	"mmsim/kernelmodel/reclaim"
	"mmsim/runtime"
)

// Page replacement on reference strings: the textbook policies, replayed
// without the machine (kernelmodel/reclaim, policy.go).

func init() {
	Register(&runtime.Builtin{
		Name: "replay_refs",
		Doc: "replay_refs(policy, frames, refs): replay a list of page numbers under " +
			strings.Join(reclaim.ReplayPolicies(), ", ") +
			"; a map of policy, frames, hits, misses, hit_rate (percent, rounded down) and steps (ref, hit, frames, evicted)",
		Fn: builtinReplayRefs,
	})
}

func builtinReplayRefs(th *runtime.Thread, c *runtime.Call) (runtime.Value, error) {
	var policy string
	var frames int64
	var list []runtime.Value
	if err := c.Unpack("policy", &policy, "frames", &frames, "refs", &list); err != nil {
		return nil, err
	}
	names := reclaim.ReplayPolicies()
	if !slices.Contains(names, policy) {
		msg := fmt.Sprintf("%s: unknown policy %q", c.Name, policy)
		if s := runtime.Nearest(policy, names); s != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", s)
		}
		return nil, fmt.Errorf("%s; policies: %s", msg, strings.Join(names, ", "))
	}
	refs := make([]int, len(list))
	for i, v := range list {
		n, ok := v.(runtime.Int)
		if !ok {
			what := v.Type()
			switch v.(type) {
			case runtime.String, runtime.Bool, runtime.Ptr:
				what += " " + runtime.Repr(v)
			}
			return nil, fmt.Errorf("%s: refs[%d] is %s, not a page number (an int)", c.Name, i, what)
		}
		if int64(int(n)) != int64(n) {
			return nil, fmt.Errorf("%s: refs[%d] = %d is too large a page number", c.Name, i, n)
		}
		refs[i] = int(n)
	}
	n := int(frames)
	if int64(n) != frames { // only where int has 32 bits; Replay refuses either way
		n = reclaim.ReplayMaxFrames + 1
		if frames < 0 {
			n = -1
		}
	}
	// The result holds every frame of every step: charge for it, and keep
	// it within the limit on a list's length. Replay checks the rest.
	if n >= 1 && n <= reclaim.ReplayMaxFrames && len(refs) > 0 {
		if n > runtime.MaxValueLen/len(refs) {
			return nil, fmt.Errorf("%s: a table of %d references by %d frames is too large (limit %d cells)", c.Name, len(refs), n, runtime.MaxValueLen)
		}
		if err := th.Charge(len(refs) * n); err != nil {
			return nil, err
		}
	}
	r, err := reclaim.Replay(policy, n, refs)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", c.Name, err)
	}
	return replayValue(r), nil
}

// replayValue is a replay as a map, keys in the order the doc gives.
func replayValue(r reclaim.ReplayResult) *runtime.Map {
	m := runtime.NewMap()
	set := func(m *runtime.Map, k string, v runtime.Value) {
		_ = m.Set(runtime.String(k), v) // string keys cannot fail
	}
	set(m, "policy", runtime.String(r.Policy))
	set(m, "frames", runtime.Int(r.Frames))
	set(m, "hits", runtime.Int(r.Hits))
	set(m, "misses", runtime.Int(r.Misses))
	rate := 0
	if n := r.Hits + r.Misses; n > 0 {
		rate = r.Hits * 100 / n
	}
	set(m, "hit_rate", runtime.Int(rate))
	steps := make([]runtime.Value, len(r.Steps))
	for i, s := range r.Steps {
		sm := runtime.NewMap()
		set(sm, "ref", runtime.Int(s.Ref))
		set(sm, "hit", runtime.Bool(s.Hit))
		fr := make([]runtime.Value, len(s.Frames))
		for j, p := range s.Frames {
			fr[j] = replayPageValue(p)
		}
		set(sm, "frames", &runtime.List{Elems: fr})
		set(sm, "evicted", replayPageValue(s.Evicted))
		steps[i] = sm
	}
	set(m, "steps", &runtime.List{Elems: steps})
	return m
}

// replayPageValue is a page number, or NULL for -1 (no page).
func replayPageValue(p int) runtime.Value {
	if p < 0 {
		return runtime.Null
	}
	return runtime.Int(p)
}
