package kernelmodel_test

import (
	"testing"

	"mmsim/kernelmodel"
	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/tlb"
)

// TestDirectMapTranslates boots each paging format and translates a
// direct-map address through the TLB: a miss, then a hit.
func TestDirectMapTranslates(t *testing.T) {
	for _, line := range []string{"x86 mem=1G", "x86 mem=8G paging=pae", "x86_64 mem=4G", "x86_64 mem=4G paging=5level", "x86 mem=102412K"} {
		t.Run(line, func(t *testing.T) {
			cfg := mustConfig(t, line)
			m, err := kernelmodel.Boot(cfg)
			if err != nil {
				t.Fatal(err)
			}
			va := m.Layout.PageOffset + 0x1234567
			for i := 0; i < 2; i++ {
				pa, f := m.MMU.Translate(0, va, tlb.Read, false)
				if f != nil || uint64(pa) != 0x1234567 {
					t.Fatalf("translate %#x = %#x, %v", uint64(va), uint64(pa), f)
				}
			}
			if s := m.MMU.TLBs[0].Stats; s.Misses != 1 || s.Hits != 1 {
				t.Errorf("stats %+v, want 1 miss and 1 hit", s)
			}
			last := m.Layout.HighMemory - 1
			if pa, f := m.MMU.Translate(1, last, tlb.Write, false); f != nil || uint64(pa) != uint64(last-m.Layout.PageOffset) {
				t.Errorf("last lowmem byte: %#x, %v", uint64(pa), f)
			}
			if _, f := m.MMU.Translate(0, m.Layout.VmallocStart, tlb.Read, false); f == nil {
				t.Errorf("vmalloc start translates with nothing mapped")
			}
			if err := m.Check(); err != nil {
				t.Fatal(err)
			}
			_ = arch.PageSize
		})
	}
}

func mustConfig(t *testing.T, line string) kernelmodel.Config {
	t.Helper()
	c, err := kernelmodel.ParseConfig(line)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
