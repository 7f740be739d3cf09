package kernelmodel_test

import (
	"fmt"
	"testing"

	"mmsim/kernelmodel"
	"mmsim/kernelmodel/phys"
	"mmsim/kernelmodel/vmalloc"
)

func TestZZScratch(t *testing.T) {
	for _, line := range []string{"x86 mem=1G", "x86 mem=1G paging=pae", "x86_64 mem=4G", "x86_64 mem=4G paging=5level"} {
		m, err := kernelmodel.Boot(mustConfig(t, line))
		if err != nil {
			t.Fatal(err)
		}
		pt0 := m.PT.Allocated
		va, ok, err := m.Vmalloc.Alloc(vmalloc.Request{Size: 1, GFP: phys.GFPKernel, Func: "vmalloc"})
		a, _ := m.Vmalloc.Find(va)
		w := m.PT.Walk(m.PT.Init, va)
		fmt.Printf("%s: %#x %v %v PT %d->%d pages %v arr %#x %+v\n", line, uint64(va), ok, err, pt0, m.PT.Allocated, a.Pages, uint64(a.Array), w)
		fmt.Println(m.Vmalloc.Free(va), m.Vmalloc.LazyPages(), m.PT.Allocated, m.TakeWarnings())
	}
}
