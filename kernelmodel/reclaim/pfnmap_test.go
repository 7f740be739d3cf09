package reclaim

import (
	"math/rand"
	"testing"
)

// TestPFNMap checks PFNMap against a Go map under random sets and
// deletes, and that Each goes in pfn order and empty chunks are freed.
func TestPFNMap(t *testing.T) {
	var m PFNMap[int]
	ref := map[uint64]int{}
	r := rand.New(rand.NewSource(1))
	for step := 0; step < 20000; step++ {
		pfn := uint64(r.Intn(3 << pfnChunkShift))
		if r.Intn(3) == 0 {
			m.Delete(pfn)
			delete(ref, pfn)
		} else {
			m.Set(pfn, step)
			ref[pfn] = step
		}
		if got, ok := m.Get(pfn); ok != (ref[pfn] != 0 || hasKey(ref, pfn)) || ok && got != ref[pfn] {
			t.Fatalf("step %d: Get(%d) = %d, %v; want %d", step, pfn, got, ok, ref[pfn])
		}
		if p := m.Ptr(pfn); (p != nil) != hasKey(ref, pfn) {
			t.Fatalf("step %d: Ptr(%d) = %v", step, pfn, p)
		}
	}
	if m.Len() != len(ref) {
		t.Fatalf("Len %d, want %d", m.Len(), len(ref))
	}
	last, n := int64(-1), 0
	m.Each(func(pfn uint64, v int) {
		if int64(pfn) <= last || ref[pfn] != v {
			t.Fatalf("Each: pfn %d (value %d) after %d", pfn, v, last)
		}
		last, n = int64(pfn), n+1
	})
	if n != len(ref) {
		t.Fatalf("Each visited %d, want %d", n, len(ref))
	}
	for pfn := range ref {
		m.Delete(pfn)
	}
	for i, c := range m.chunks {
		if c != nil {
			t.Errorf("chunk %d is left after every value was deleted", i)
		}
	}
}

func hasKey(m map[uint64]int, k uint64) bool { _, ok := m[k]; return ok }
