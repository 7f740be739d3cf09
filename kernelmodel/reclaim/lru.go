package reclaim

// List is one of a node's LRU lists (include/linux/mmzone.h enum
// lru_list).
type List int

const (
	InactiveAnon List = iota
	ActiveAnon
	InactiveFile
	ActiveFile
	Unevictable
	NoList List = -1
)

// NrLists is the number of LRU lists.
const NrLists = 5

var listNames = [NrLists]string{"inactive_anon", "active_anon", "inactive_file", "active_file", "unevictable"}

func (l List) String() string {
	if l < 0 || int(l) >= NrLists {
		return "none"
	}
	return listNames[l]
}

// Active reports whether the list is an active one.
func (l List) Active() bool { return l == ActiveAnon || l == ActiveFile }

// LRU is a node's lruvec: five lists of pages, each with the newest page
// at the head (lru_add puts pages there; reclaim takes from the tail).
type LRU struct {
	nodes PFNMap[lruNode]
	heads [NrLists]*lruNode
	tails [NrLists]*lruNode
	lens  [NrLists]int
}

type lruNode struct {
	pfn        uint64
	list       List
	prev, next *lruNode
	// referenced is PG_referenced.
	referenced bool
}

// NewLRU returns empty lists.
func NewLRU() *LRU { return &LRU{} }

// Len is the number of pages on a list.
func (l *LRU) Len(list List) int { return l.lens[list] }

// Which returns the list a page is on, or NoList.
func (l *LRU) Which(pfn uint64) List {
	if n := l.nodes.Ptr(pfn); n != nil {
		return n.list
	}
	return NoList
}

// Add puts a page at the head of a list (lruvec_add_folio()).
func (l *LRU) Add(pfn uint64, list List) {
	if l.nodes.Ptr(pfn) != nil {
		l.Move(pfn, list)
		return
	}
	l.nodes.Set(pfn, lruNode{pfn: pfn, list: list})
	n := l.nodes.Ptr(pfn)
	l.pushHead(n)
}

func (l *LRU) pushHead(n *lruNode) {
	n.prev, n.next = nil, l.heads[n.list]
	if n.next != nil {
		n.next.prev = n
	} else {
		l.tails[n.list] = n
	}
	l.heads[n.list] = n
	l.lens[n.list]++
}

func (l *LRU) unlink(n *lruNode) {
	if n.prev != nil {
		n.prev.next = n.next
	} else {
		l.heads[n.list] = n.next
	}
	if n.next != nil {
		n.next.prev = n.prev
	} else {
		l.tails[n.list] = n.prev
	}
	n.prev, n.next = nil, nil
	l.lens[n.list]--
}

// Del takes a page off its list (lruvec_del_folio()).
func (l *LRU) Del(pfn uint64) {
	if n := l.nodes.Ptr(pfn); n != nil {
		l.unlink(n)
		l.nodes.Delete(pfn)
	}
}

// Move puts a page at the head of another (or the same) list.
func (l *LRU) Move(pfn uint64, list List) {
	n := l.nodes.Ptr(pfn)
	ok := n != nil
	if !ok {
		l.Add(pfn, list)
		return
	}
	l.unlink(n)
	n.list = list
	l.pushHead(n)
}

// Referenced and SetReferenced are PG_referenced.
func (l *LRU) Referenced(pfn uint64) bool {
	n := l.nodes.Ptr(pfn)
	ok := n != nil
	return ok && n.referenced
}

// SetReferenced sets or clears PG_referenced.
func (l *LRU) SetReferenced(pfn uint64, v bool) {
	if n := l.nodes.Ptr(pfn); n != nil {
		n.referenced = v
	}
}

// Tail returns the oldest page of a list.
func (l *LRU) Tail(list List) (uint64, bool) {
	if t := l.tails[list]; t != nil {
		return t.pfn, true
	}
	return 0, false
}

// Pages lists a list's pages, head (newest) first.
func (l *LRU) Pages(list List) []uint64 {
	var out []uint64
	for n := l.heads[list]; n != nil; n = n.next {
		out = append(out, n.pfn)
	}
	return out
}

// Total is the number of pages on any list.
func (l *LRU) Total() int { return l.nodes.Len() }

// Check verifies the lists' links and lengths.
func (l *LRU) Check() error {
	seen := 0
	for list := List(0); list < NrLists; list++ {
		n, prev := l.heads[list], (*lruNode)(nil)
		count := 0
		for ; n != nil; prev, n = n, n.next {
			if n.list != list || n.prev != prev || !l.is(n) {
				return errorf("lru list %s is broken at pfn %#x", list, n.pfn)
			}
			count++
		}
		if prev != l.tails[list] || count != l.lens[list] {
			return errorf("lru list %s has %d pages, counts %d", list, count, l.lens[list])
		}
		seen += count
	}
	if seen != l.nodes.Len() {
		return errorf("%d pages are on the lists, %d are known", seen, l.nodes.Len())
	}
	return nil
}

func (l *LRU) is(n *lruNode) bool {
	return l.nodes.Ptr(n.pfn) == n
}
