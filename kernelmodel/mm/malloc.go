package mm

// Heap is the state of a process's user malloc (glibc's main arena).
type Heap struct{}

func newHeap() *Heap { return &Heap{} }

func (h *Heap) clone() *Heap {
	if h == nil {
		return nil
	}
	c := *h
	return &c
}
