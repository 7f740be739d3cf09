package kernelmodel

import (
	"fmt"

	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/pgtable"
	"mmsim/kernelmodel/tlb"
)

// SetMemory models arch/x86/mm/pat/set_memory.c:change_page_attr_set_clr()
// for 4 KiB kernel mappings (vmalloc areas, kmap slots): it sets and
// clears entry bits on numpages pages from addr and, if an entry changed,
// flushes the range from every CPU's TLB (cpa_flush(): invlpg on every CPU
// up to 33 pages, flush_tlb_all() above). The direct map's large pages
// would have to be split first, which the model does not do, so only 4 KiB
// mappings may change; nor does it change the direct-map alias of the
// pages, as the kernel's cpa_process_alias() does. A range with an
// unmapped page changes nothing.
func (m *Machine) SetMemory(addr arch.VirtAddr, numpages int, set, clear pgtable.Entry) error {
	if addr%arch.PageSize != 0 {
		return fmt.Errorf("%#x is not page aligned", uint64(addr))
	}
	if numpages < 0 {
		return fmt.Errorf("numpages %d is negative", numpages)
	}
	if numpages == 0 {
		return nil // change_page_attr_set_clr() has nothing to do
	}
	if !m.PT.F.HasNX {
		// Without NX the kernel's __supported_pte_mask drops the bit.
		set &^= pgtable.NX
		clear &^= pgtable.NX
	}
	if addr < m.Layout.TaskSize {
		return fmt.Errorf("%#x: only kernel addresses can change attributes", uint64(addr))
	}
	if uint64(numpages) > (^uint64(0)-uint64(addr))/arch.PageSize+1 {
		return fmt.Errorf("%d pages from %#x run past the top of the address space", numpages, uint64(addr))
	}
	end := addr + arch.VirtAddr(numpages)*arch.PageSize // 0 when the range ends at the top
	last := end - arch.PageSize
	for va := addr; ; va += arch.PageSize {
		w := m.PT.Walk(m.PT.Init, va)
		if !w.Mapped {
			return fmt.Errorf("%#x is not mapped (%s)", uint64(va), w.Reason)
		}
		if w.Size != arch.PageSize {
			return fmt.Errorf("%#x is mapped by a %s page; the model does not split large pages", uint64(va), arch.SizeName(w.Size))
		}
		if va == last {
			break
		}
	}
	changed := false
	for va := addr; ; va += arch.PageSize {
		if t, i, _ := m.PT.Lookup(m.PT.Init, va); t != nil && (t.E[i]&^clear|set) != t.E[i] {
			m.PT.Update(m.PT.Init, va, set, clear)
			changed = true
		}
		if va == last {
			break
		}
	}
	if !changed {
		return nil // no CPA_FLUSHTLB: nothing to flush
	}
	if numpages > tlb.FlushCeiling {
		m.MMU.FlushAll(m.CPU())
	} else {
		m.MMU.FlushKernelRange(m.CPU(), addr, last+arch.PageSize-1)
	}
	return nil
}
