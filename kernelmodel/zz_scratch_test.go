package kernelmodel_test

import (
	"fmt"
	"testing"

	"mmsim/kernelmodel"
)

func TestZZScratch(t *testing.T) {
	for _, line := range []string{"x86 mem=1G", "x86 mem=1G paging=pae", "x86_64 mem=4G", "x86 mem=1G cpus=1"} {
		m, err := kernelmodel.Boot(mustConfig(t, line))
		if err != nil {
			t.Fatal(err)
		}
		l := m.Layout
		fmt.Printf("%s: vm %#x-%#x pkmap %#x last %d fixkmap %d top %#x maxlow %d maxpfn %d totalram %d lazymax %d PT %d\n", line, uint64(l.VmallocStart), uint64(l.VmallocEnd), uint64(l.PkmapBase), l.LastPkmap, l.FixKmapBegin, uint64(l.FixaddrTop), l.MaxLowPFN, l.MaxPFN, m.Phys.TotalRAM(), m.Vmalloc.LazyMaxPages(), m.PT.Allocated)
		for _, z := range m.Phys.Zones {
			fmt.Printf("  zone %s %d-%d managed %d free %d\n", z.Name, z.StartPFN, z.EndPFN, z.Managed, z.Free())
		}
	}
}
