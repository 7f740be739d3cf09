package mm

import "fmt"

// This file holds the VMA tree of an address space: the model's
// equivalent of the maple tree mm->mm_mt with its gap tracking, which
// find_vma() and get_unmapped_area() search.
//
// It is a treap (a binary search tree keyed by VMA start address, heap
// ordered by random priorities drawn from a fixed-seed xorshift64
// generator, so that its shape, and so the model's output, is
// deterministic) augmented with the largest free gap in each subtree.
// The VMAs are also kept on a doubly linked list in address order, so
// that neighbours are found in O(1). Every other operation is O(log n)
// expected in the number of VMAs.

const (
	// vmaTreePageSize is the page size the gap search aligns to
	// (arch.PageSize).
	vmaTreePageSize = 1 << 12

	// vmaTreeDefaultGuard is the kernel's default stack_guard_gap
	// (mm/mmap.c): 256 pages, 1 MiB.
	vmaTreeDefaultGuard = 256 * vmaTreePageSize

	// vmaTreeSeed seeds each tree's priority generator.
	vmaTreeSeed = 0x9e3779b97f4a7c15
)

// vmaNode is a VMA's node in the treap.
type vmaNode struct {
	vma         *VMA
	prio        uint64 // heap order: a node's prio >= its children's
	left, right *vmaNode
	gap         uint64 // free space below vma: startGap(vma) - endGap(prev), or 0
	maxGap      uint64 // largest gap in the subtree rooted here
}

// pull recomputes n.maxGap from n's own gap and its children.
func (n *vmaNode) pull() {
	m := n.gap
	if n.left != nil && n.left.maxGap > m {
		m = n.left.maxGap
	}
	if n.right != nil && n.right.maxGap > m {
		m = n.right.maxGap
	}
	n.maxGap = m
}

// vmaTree is the set of VMAs of an address space (mm->mm_mt).
type vmaTree struct {
	root        *vmaNode
	first, last *VMA
	n           int
	guard       uint64 // stack_guard_gap
	rng         uint64 // xorshift64 state for node priorities
}

// newVMATree returns an empty tree whose stack guard gap
// (stack_guard_gap) is guard bytes; vmaTreeDefaultGuard is the kernel's
// default. The kernel's is a whole number of pages; any other guard
// still gives correct answers, but a gap search may then visit more
// nodes.
func newVMATree(guard uint64) *vmaTree {
	return &vmaTree{guard: guard, rng: vmaTreeSeed}
}

// Len returns the number of VMAs in the tree (mm->map_count).
func (t *vmaTree) Len() int { return t.n }

// First returns the lowest VMA, or nil if the tree is empty.
func (t *vmaTree) First() *VMA { return t.first }

// Last returns the highest VMA, or nil if the tree is empty.
func (t *vmaTree) Last() *VMA { return t.last }

// Prev returns the VMA below v in address order, or nil; it models
// vma_prev() on an iterator positioned at v.
func (v *VMA) Prev() *VMA { return v.prev }

// Next returns the VMA above v in address order, or nil; it models
// vma_next() on an iterator positioned at v.
func (v *VMA) Next() *VMA { return v.next }

// startGap models include/linux/mm.h:vm_start_gap(): the start of v
// lowered by the stack guard gap when v grows down, clamped at 0.
func (t *vmaTree) startGap(v *VMA) uint64 {
	if v.Flags&VMGrowsDown != 0 {
		if v.Start < t.guard {
			return 0
		}
		return v.Start - t.guard
	}
	return v.Start
}

// endGap models include/linux/mm.h:vm_end_gap(). x86 has no
// VM_GROWSUP, so it is v.End.
func (t *vmaTree) endGap(v *VMA) uint64 { return v.End }

// gapFloor is the lower end of the gap below v: endGap of the VMA
// before v, or 0 when v is the first.
func (t *vmaTree) gapFloor(v *VMA) uint64 {
	if v.prev == nil {
		return 0
	}
	return t.endGap(v.prev)
}

// gapBelow is the size of the free gap below v, as the maple tree
// tracks it: startGap(v) - endGap(prev), or 0 when that is negative.
// v.prev must already be set.
func (t *vmaTree) gapBelow(v *VMA) uint64 {
	hi, lo := t.startGap(v), t.gapFloor(v)
	if hi <= lo {
		return 0
	}
	return hi - lo
}

// rand returns the next node priority (xorshift64).
func (t *vmaTree) rand() uint64 {
	x := t.rng
	x ^= x << 13
	x ^= x >> 7
	x ^= x << 17
	t.rng = x
	return x
}

// Insert adds v to the tree, linking it between its neighbours and
// updating the gaps of v and of the VMA above it. v must not be in a
// tree, must be non-empty and must not overlap any VMA of the tree;
// Insert panics otherwise (callers check first). It models storing a new
// VMA in the maple tree (mm/vma.c:vma_link(), vma_iter_store()).
func (t *vmaTree) Insert(v *VMA) {
	if v.node != nil {
		panic(fmt.Sprintf("vmatree: insert of VMA [%#x, %#x) already in a tree", v.Start, v.End))
	}
	if v.Start >= v.End {
		panic(fmt.Sprintf("vmatree: insert of empty VMA [%#x, %#x)", v.Start, v.End))
	}
	next := t.Find(v.Start) // the first VMA ending above v.Start
	if next != nil && next.Start < v.End {
		panic(fmt.Sprintf("vmatree: VMA [%#x, %#x) overlaps [%#x, %#x)", v.Start, v.End, next.Start, next.End))
	}
	prev := t.last
	if next != nil {
		prev = next.prev
	}
	v.prev, v.next = prev, next
	if prev != nil {
		prev.next = v
	} else {
		t.first = v
	}
	if next != nil {
		next.prev = v
	} else {
		t.last = v
	}

	x := &vmaNode{vma: v, prio: t.rand()}
	v.node = x
	x.gap = t.gapBelow(v)
	x.maxGap = x.gap
	t.root = t.insertNode(t.root, x)
	t.n++
	if next != nil {
		t.regap(next)
	}
}

// Remove takes v out of the tree, updating the gap of the VMA above it,
// and clears v's links. It panics if v is not in t. It models clearing a
// VMA's range from the maple tree (vma_iter_clear() in
// mm/vma.c:do_vmi_align_munmap() and friends).
func (t *vmaTree) Remove(v *VMA) {
	if v.node == nil {
		panic(fmt.Sprintf("vmatree: remove of VMA [%#x, %#x) not in a tree", v.Start, v.End))
	}
	t.root = t.removeNode(t.root, v)
	prev, next := v.prev, v.next
	if prev != nil {
		prev.next = next
	} else {
		t.first = next
	}
	if next != nil {
		next.prev = prev
	} else {
		t.last = prev
	}
	v.node, v.prev, v.next = nil, nil, nil
	t.n--
	if next != nil {
		t.regap(next)
	}
}

// SetBounds changes v's range to [start, end) in place and updates the
// gaps of v and of the VMA above it. The caller guarantees that the new
// range is non-empty and lies between v's neighbours; SetBounds panics
// otherwise. It models vma_set_range() followed by vma_iter_store(), as
// in mm/vma.c:vma_expand() and vma_shrink(). SetBounds(v, v.Start, v.End)
// refreshes the gaps after a change of v.Flags&VMGrowsDown.
func (t *vmaTree) SetBounds(v *VMA, start, end uint64) {
	if v.node == nil {
		panic(fmt.Sprintf("vmatree: SetBounds of VMA [%#x, %#x) not in a tree", v.Start, v.End))
	}
	if start >= end ||
		(v.prev != nil && v.prev.End > start) ||
		(v.next != nil && v.next.Start < end) {
		panic(fmt.Sprintf("vmatree: SetBounds of VMA [%#x, %#x) to [%#x, %#x) overlaps a neighbour or is empty",
			v.Start, v.End, start, end))
	}
	v.Start, v.End = start, end
	t.regap(v)
	if v.next != nil {
		t.regap(v.next)
	}
}

// regap recomputes v's gap and the subtree maxima on the path from the
// root to v.
func (t *vmaTree) regap(v *VMA) {
	v.node.gap = t.gapBelow(v)
	t.fixup(t.root, v.Start)
}

// fixup recomputes maxGap bottom-up along the search path for start.
func (t *vmaTree) fixup(n *vmaNode, start uint64) {
	if n == nil {
		return
	}
	switch {
	case start < n.vma.Start:
		t.fixup(n.left, start)
	case start > n.vma.Start:
		t.fixup(n.right, start)
	}
	n.pull()
}

// insertNode inserts x into the subtree n and returns the new subtree.
func (t *vmaTree) insertNode(n, x *vmaNode) *vmaNode {
	if n == nil {
		return x
	}
	if x.prio > n.prio {
		x.left, x.right = t.split(n, x.vma.Start)
		x.pull()
		return x
	}
	if x.vma.Start < n.vma.Start {
		n.left = t.insertNode(n.left, x)
	} else {
		n.right = t.insertNode(n.right, x)
	}
	n.pull()
	return n
}

// removeNode removes v's node from the subtree n and returns the new
// subtree.
func (t *vmaTree) removeNode(n *vmaNode, v *VMA) *vmaNode {
	if n == nil {
		panic(fmt.Sprintf("vmatree: VMA [%#x, %#x) not found in this tree", v.Start, v.End))
	}
	switch {
	case n.vma == v:
		return t.merge(n.left, n.right)
	case v.Start < n.vma.Start:
		n.left = t.removeNode(n.left, v)
	default:
		n.right = t.removeNode(n.right, v)
	}
	n.pull()
	return n
}

// split splits the subtree n into the nodes starting below key and the
// rest.
func (t *vmaTree) split(n *vmaNode, key uint64) (lo, hi *vmaNode) {
	if n == nil {
		return nil, nil
	}
	if n.vma.Start < key {
		n.right, hi = t.split(n.right, key)
		n.pull()
		return n, hi
	}
	lo, n.left = t.split(n.left, key)
	n.pull()
	return lo, n
}

// merge joins the subtrees a and b, every node of a lying below every
// node of b.
func (t *vmaTree) merge(a, b *vmaNode) *vmaNode {
	if a == nil {
		return b
	}
	if b == nil {
		return a
	}
	if a.prio > b.prio {
		a.right = t.merge(a.right, b)
		a.pull()
		return a
	}
	b.left = t.merge(a, b.left)
	b.pull()
	return b
}

// Find models mm/mmap.c:find_vma(): the first VMA with End > addr, or
// nil.
func (t *vmaTree) Find(addr uint64) *VMA {
	var res *VMA
	for n := t.root; n != nil; {
		if n.vma.End > addr {
			res = n.vma
			n = n.left
		} else {
			n = n.right
		}
	}
	return res
}

// Lookup models include/linux/mm.h:vma_lookup(): the VMA containing
// addr, or nil.
func (t *vmaTree) Lookup(addr uint64) *VMA {
	if v := t.Find(addr); v != nil && v.Start <= addr {
		return v
	}
	return nil
}

// FindPrev returns the last VMA whose End <= addr, or nil: the VMA
// below the one Find(addr) returns, which mm/mmap.c:find_vma_prev()
// stores in *pprev.
func (t *vmaTree) FindPrev(addr uint64) *VMA {
	if v := t.Find(addr); v != nil {
		return v.prev
	}
	return t.last
}

// Each calls f on each VMA in address order until f returns false. f may
// remove the VMA it is given, but must not otherwise change the tree.
func (t *vmaTree) Each(f func(*VMA) bool) {
	for v := t.first; v != nil; {
		next := v.next
		if !f(v) {
			return
		}
		v = next
	}
}

// fitHigh returns the highest page-aligned a with [a, a+length) inside
// the gap [lo, hi) clipped to [low, high).
func (t *vmaTree) fitHigh(lo, hi, low, high, length uint64) (uint64, bool) {
	lo, hi = max(lo, low), min(hi, high)
	if hi <= lo || hi-lo < length {
		return 0, false
	}
	a := (hi - length) &^ (vmaTreePageSize - 1)
	if a < lo {
		return 0, false
	}
	return a, true
}

// fitLow returns the lowest page-aligned a with [a, a+length) inside the
// gap [lo, hi) clipped to [low, high).
func (t *vmaTree) fitLow(lo, hi, low, high, length uint64) (uint64, bool) {
	lo, hi = max(lo, low), min(hi, high)
	if hi <= lo || hi-lo < length {
		return 0, false
	}
	a := (lo + vmaTreePageSize - 1) &^ (vmaTreePageSize - 1)
	if a < lo || a > hi-length {
		return 0, false
	}
	return a, true
}

// UnmappedTopDown models mm/mmap.c:unmapped_area_topdown(): the highest
// page-aligned address a with low <= a and a+length <= high such that
// [a, a+length) lies in a free gap, between endGap of the VMA below (0
// if none) and startGap of the VMA above (high if none). It returns a
// and true, or 0 and false when there is no such address. length must
// be a positive multiple of the page size. The search skips subtrees
// whose largest gap is smaller than length or whose gaps all lie outside
// [low, high), so it is O(log n): only the gaps cut by low or high can
// be big enough without fitting.
func (t *vmaTree) UnmappedTopDown(low, high, length uint64) (uint64, bool) {
	if length == 0 || length > high || high-length < low {
		return 0, false
	}
	var top uint64 // the gap above the last VMA
	if t.last != nil {
		top = t.endGap(t.last)
	}
	if a, ok := t.fitHigh(top, high, low, high, length); ok {
		return a, true
	}
	return t.topDown(t.root, low, high, length)
}

func (t *vmaTree) topDown(n *vmaNode, low, high, length uint64) (uint64, bool) {
	if n == nil || n.maxGap < length {
		return 0, false
	}
	v := n.vma
	// The right subtree's gaps all lie above v.End.
	if v.End <= high-length {
		if a, ok := t.topDown(n.right, low, high, length); ok {
			return a, true
		}
	}
	if n.gap >= length {
		if a, ok := t.fitHigh(t.gapFloor(v), t.startGap(v), low, high, length); ok {
			return a, true
		}
	}
	// The left subtree's gaps all end at or below v.Start.
	if v.Start >= low+length {
		return t.topDown(n.left, low, high, length)
	}
	return 0, false
}

// UnmappedBottomUp models mm/mmap.c:unmapped_area(): like
// UnmappedTopDown, but the lowest such address.
func (t *vmaTree) UnmappedBottomUp(low, high, length uint64) (uint64, bool) {
	if length == 0 || length > high || high-length < low {
		return 0, false
	}
	if a, ok := t.bottomUp(t.root, low, high, length); ok {
		return a, true
	}
	var top uint64
	if t.last != nil {
		top = t.endGap(t.last)
	}
	return t.fitLow(top, high, low, high, length)
}

func (t *vmaTree) bottomUp(n *vmaNode, low, high, length uint64) (uint64, bool) {
	if n == nil || n.maxGap < length {
		return 0, false
	}
	v := n.vma
	if v.Start >= low+length {
		if a, ok := t.bottomUp(n.left, low, high, length); ok {
			return a, true
		}
	}
	if n.gap >= length {
		if a, ok := t.fitLow(t.gapFloor(v), t.startGap(v), low, high, length); ok {
			return a, true
		}
	}
	if v.End <= high-length {
		return t.bottomUp(n.right, low, high, length)
	}
	return 0, false
}

// check verifies the tree's invariants: BST order by start, heap order
// of priorities, the linked list matching the in-order walk, VMAs
// non-empty, page aligned, sorted and disjoint, every node's gap and
// every subtree's largest gap, First, Last and Len. It returns a
// description of the first violation found, or nil.
func (t *vmaTree) check() error {
	var (
		prev  *VMA
		count int
	)
	var walk func(n *vmaNode, depth int) (uint64, error)
	walk = func(n *vmaNode, depth int) (uint64, error) {
		if n == nil {
			return 0, nil
		}
		if depth > t.n {
			return 0, fmt.Errorf("tree deeper than its %d VMAs: a cycle?", t.n)
		}
		v := n.vma
		if v == nil {
			return 0, fmt.Errorf("node with no VMA")
		}
		for _, c := range [...]*vmaNode{n.left, n.right} {
			if c != nil && c.prio > n.prio {
				return 0, fmt.Errorf("heap order: a child of [%#x, %#x) has a higher priority (%#x > %#x)",
					v.Start, v.End, c.prio, n.prio)
			}
		}
		lmax, err := walk(n.left, depth+1)
		if err != nil {
			return 0, err
		}

		count++
		if v.node != n {
			return 0, fmt.Errorf("VMA [%#x, %#x): node link does not point back at its node", v.Start, v.End)
		}
		if v.Start >= v.End || v.Start%vmaTreePageSize != 0 || v.End%vmaTreePageSize != 0 {
			return 0, fmt.Errorf("VMA [%#x, %#x) is empty or not page aligned", v.Start, v.End)
		}
		if prev == nil {
			if t.first != v {
				return 0, fmt.Errorf("First is not the lowest VMA [%#x, %#x)", v.Start, v.End)
			}
		} else {
			if prev.Start >= v.Start {
				return 0, fmt.Errorf("BST order: [%#x, %#x) before [%#x, %#x)", prev.Start, prev.End, v.Start, v.End)
			}
			if prev.End > v.Start {
				return 0, fmt.Errorf("VMAs [%#x, %#x) and [%#x, %#x) overlap", prev.Start, prev.End, v.Start, v.End)
			}
			if prev.next != v {
				return 0, fmt.Errorf("list: next of [%#x, %#x) is not [%#x, %#x)", prev.Start, prev.End, v.Start, v.End)
			}
		}
		if v.prev != prev {
			return 0, fmt.Errorf("list: prev of [%#x, %#x) is not the VMA before it in the tree", v.Start, v.End)
		}
		if g := t.gapBelow(v); n.gap != g {
			return 0, fmt.Errorf("VMA [%#x, %#x): gap %#x, want %#x", v.Start, v.End, n.gap, g)
		}
		prev = v

		rmax, err := walk(n.right, depth+1)
		if err != nil {
			return 0, err
		}
		m := max(n.gap, lmax, rmax)
		if n.maxGap != m {
			return 0, fmt.Errorf("VMA [%#x, %#x): subtree max gap %#x, want %#x", v.Start, v.End, n.maxGap, m)
		}
		return m, nil
	}
	if _, err := walk(t.root, 0); err != nil {
		return err
	}
	if prev == nil {
		if t.first != nil {
			return fmt.Errorf("empty tree with First [%#x, %#x)", t.first.Start, t.first.End)
		}
	} else if prev.next != nil {
		return fmt.Errorf("list: highest VMA [%#x, %#x) has a next", prev.Start, prev.End)
	}
	if t.last != prev {
		return fmt.Errorf("Last is not the highest VMA")
	}
	if count != t.n {
		return fmt.Errorf("Len %d, but %d VMAs in the tree", t.n, count)
	}
	return nil
}
