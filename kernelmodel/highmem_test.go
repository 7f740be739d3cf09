package kernelmodel_test

// Tests of kmap(), kmap_local_page() and kmap_atomic() on whole booted
// machines (kernelmodel/highmem wired into kernelmodel.Machine). The rules
// are facts §7 (highmem) of /work/shared/reference/linux-mm-facts.md, with
// the x86-32 layout of facts §6 and the TLB of facts §8. Helpers (vmBoot,
// check, isBug, ...) are in vmalloc_test.go. Every test runs m.Check()
// after each step.

import (
	"fmt"
	"strings"
	"testing"

	"mmsim/kernelmodel"
	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/phys"
	"mmsim/kernelmodel/tlb"
)

// sleeper is the might_sleep() check kmap() and kunmap() make, as the
// stdlib built-ins pass it: the inline functions of
// include/linux/highmem-internal.h call might_sleep() first.
func sleeper(m *kernelmodel.Machine) func(string) error {
	return func(fn string) error { return m.Phys.MightSleepIn("include/linux/highmem-internal.h", fn) }
}

// allocPage allocates one order-0 page; GFP_HIGHUSER takes HighMem first
// on x86 with highmem, GFP_KERNEL never does (facts §2).
func allocPage(t *testing.T, m *kernelmodel.Machine, gfp phys.GFP) phys.PFN {
	t.Helper()
	pfn, ok, err := m.Phys.AllocPages(phys.Request{GFP: gfp, Order: 0, Owner: phys.OwnerPages, Tag: "test"})
	if err != nil || !ok {
		t.Fatalf("alloc_pages(%s): %v %v", gfp, ok, err)
	}
	return pfn
}

func highPage(t *testing.T, m *kernelmodel.Machine) phys.PFN {
	t.Helper()
	pfn := allocPage(t, m, phys.GFPHighUser)
	if zoneOf(t, m, pfn) != "HighMem" || !m.Highmem.IsHigh(pfn) {
		t.Fatalf("GFP_HIGHUSER page %#x is not a HighMem page", uint64(pfn))
	}
	return pfn
}

func kmap(t *testing.T, m *kernelmodel.Machine, pfn phys.PFN) arch.VirtAddr {
	t.Helper()
	va, err := m.Highmem.Kmap(pfn, sleeper(m))
	if err != nil {
		t.Fatalf("kmap(%#x): %v", uint64(pfn), err)
	}
	check(t, m, fmt.Sprintf("kmap(%#x)", uint64(pfn)))
	return va
}

func kunmap(t *testing.T, m *kernelmodel.Machine, pfn phys.PFN) {
	t.Helper()
	if err := m.Highmem.Kunmap(pfn, sleeper(m)); err != nil {
		t.Fatalf("kunmap(%#x): %v", uint64(pfn), err)
	}
	check(t, m, fmt.Sprintf("kunmap(%#x)", uint64(pfn)))
}

func kmapLocal(t *testing.T, m *kernelmodel.Machine, pfn phys.PFN, atomic bool) arch.VirtAddr {
	t.Helper()
	va, err := m.Highmem.KmapLocal(pfn, atomic)
	if err != nil {
		t.Fatalf("kmap_local(%#x, atomic %v): %v", uint64(pfn), atomic, err)
	}
	check(t, m, "kmap_local")
	return va
}

func kunmapLocal(t *testing.T, m *kernelmodel.Machine, va arch.VirtAddr, atomic bool) {
	t.Helper()
	if err := m.Highmem.KunmapLocal(va, atomic); err != nil {
		t.Fatalf("kunmap_local(%#x, atomic %v): %v", uint64(va), atomic, err)
	}
	check(t, m, "kunmap_local")
}

// mapsTo reports whether va is mapped in init_mm to pfn.
func mapsTo(m *kernelmodel.Machine, va arch.VirtAddr, pfn phys.PFN) bool {
	pa, _, _, ok := m.PT.Translate(m.PT.Init, va)
	return ok && phys.PFN(pa>>arch.PageShift) == pfn
}

func mapped(m *kernelmodel.Machine, va arch.VirtAddr) bool {
	_, _, _, ok := m.PT.Translate(m.PT.Init, va)
	return ok
}

// highmemLines are the x86 machines with highmem: LAST_PKMAP is 1024
// without PAE (4 MiB of pkmap, one page table) and 512 with PAE (2 MiB),
// facts §6/§7; PKMAP_BASE 0xFF800000 is the non-PAE value of the facts §6
// boot logs.
var highmemLines = []struct {
	line      string
	lastPkmap int
	base      arch.VirtAddr // 0: not checked
}{
	{"x86 mem=1G", 1024, 0xFF800000},
	{"x86 mem=1G paging=pae", 512, 0},
}

// TestKmapLowmemPage: kmap() of a page that is not highmem returns
// page_address(), its direct-map address, and takes no pkmap slot; kunmap
// does nothing (facts §7 "kmap()").
func TestKmapLowmemPage(t *testing.T) {
	for _, line := range []string{"x86 mem=1G", "x86 mem=1G paging=pae", "x86 mem=512M", "x86_64 mem=4G"} {
		t.Run(line, func(t *testing.T) {
			m := vmBoot(t, line)
			pfn := allocPage(t, m, phys.GFPKernel)
			if m.Highmem.IsHigh(pfn) {
				t.Fatalf("GFP_KERNEL page %#x is highmem", uint64(pfn))
			}
			want := m.Layout.PageOffset + arch.VirtAddr(pfn.Addr())
			for i := 0; i < 3; i++ {
				if va := kmap(t, m, pfn); va != want {
					t.Errorf("kmap(lowmem) = %#x, want the direct map %#x", uint64(va), uint64(want))
				}
			}
			if got, ok := m.Highmem.PageAddress(pfn); !ok || got != want {
				t.Errorf("PageAddress = %#x, %v", uint64(got), ok)
			}
			if len(m.Highmem.Slots()) != 0 || m.Highmem.LastNr() != 0 {
				t.Errorf("lowmem kmap took a slot: %v", m.Highmem.Slots())
			}
			for i := 0; i < 5; i++ { // more kunmaps than kmaps: nothing to count
				kunmap(t, m, pfn)
			}
			noWarnings(t, m, "lowmem kmap")
		})
	}
}

// TestKmapHighmemCounts follows pkmap_count (facts §7): 0 free, 1 mapped
// without users, n ≥ 2 for n-1 users. The first kmap of a highmem page
// scans from last_pkmap_nr+1 = 1 and gets PKMAP_ADDR(1) with count 2; a
// second kmap of the same page reuses the slot (count 3); kunmap goes to 2
// and 1, where the page stays mapped and page_address() still finds it;
// one kunmap more is the kernel's BUG (count 0 on unmap), as is kunmap of a
// page never kmapped (BUG_ON(!vaddr)).
func TestKmapHighmemCounts(t *testing.T) {
	for _, hl := range highmemLines {
		t.Run(hl.line, func(t *testing.T) {
			m := vmBoot(t, hl.line)
			if m.Layout.LastPkmap != hl.lastPkmap {
				t.Fatalf("LAST_PKMAP %d, want %d", m.Layout.LastPkmap, hl.lastPkmap)
			}
			if hl.base != 0 && m.Layout.PkmapBase != hl.base {
				t.Errorf("PKMAP_BASE %#x, want %#x", uint64(m.Layout.PkmapBase), uint64(hl.base))
			}
			p := highPage(t, m)
			if _, ok := m.Highmem.PageAddress(p); ok {
				t.Errorf("page_address of an unmapped highmem page is not NULL")
			}
			va := kmap(t, m, p)
			if va != m.Layout.PkmapAddr(1) || va != m.Layout.PkmapBase+page {
				t.Fatalf("first kmap = %#x, want PKMAP_ADDR(1) %#x", uint64(va), uint64(m.Layout.PkmapAddr(1)))
			}
			if m.Highmem.LastNr() != 1 || m.Highmem.Count(1) != 2 {
				t.Errorf("last_pkmap_nr %d, count %d; want 1 and 2", m.Highmem.LastNr(), m.Highmem.Count(1))
			}
			if got, ok := m.Highmem.PageAddress(p); !ok || got != va {
				t.Errorf("PageAddress after kmap = %#x, %v", uint64(got), ok)
			}
			if !mapsTo(m, va, p) {
				t.Errorf("pkmap slot 1 does not map the page")
			}
			if pa, f := m.MMU.Translate(1, va+7, tlb.Write, false); f != nil || pa != p.Addr()+7 {
				t.Errorf("cpu 1 write through the kmap address: %#x, %v", uint64(pa), f)
			}
			if va2 := kmap(t, m, p); va2 != va || m.Highmem.Count(1) != 3 {
				t.Errorf("second kmap = %#x, count %d; want %#x and 3", uint64(va2), m.Highmem.Count(1), uint64(va))
			}
			if s := m.Highmem.Slots(); len(s) != 1 || s[0].Nr != 1 || s[0].Count != 3 || s[0].PFN != p || s[0].VA != va {
				t.Errorf("Slots %+v", s)
			}
			// Another page takes the next slot.
			q := highPage(t, m)
			if vq := kmap(t, m, q); vq != m.Layout.PkmapAddr(2) {
				t.Errorf("kmap of a second page = %#x, want PKMAP_ADDR(2)", uint64(vq))
			}
			for _, want := range []int{2, 1} {
				kunmap(t, m, p)
				if m.Highmem.Count(1) != want {
					t.Errorf("count %d after kunmap, want %d", m.Highmem.Count(1), want)
				}
			}
			// Count 1: no users, still mapped until the next wrap.
			if got, ok := m.Highmem.PageAddress(p); !ok || got != va || !mapsTo(m, va, p) {
				t.Errorf("count-1 page: PageAddress %#x, %v; mapped %v", uint64(got), ok, mapsTo(m, va, p))
			}
			err := m.Highmem.Kunmap(p, sleeper(m))
			if !isBug(err) {
				t.Fatalf("kunmap once too often: %v, want a BUG", err)
			}
			check(t, m, "extra kunmap")
			if m.Highmem.Count(1) != 1 || !mapsTo(m, va, p) {
				t.Errorf("the failed kunmap changed slot 1: count %d", m.Highmem.Count(1))
			}
			// kmap again: the count-1 slot is reused, no new slot.
			if again := kmap(t, m, p); again != va || m.Highmem.Count(1) != 2 {
				t.Errorf("kmap of a count-1 page = %#x, count %d", uint64(again), m.Highmem.Count(1))
			}
			never := highPage(t, m)
			if err := m.Highmem.Kunmap(never, sleeper(m)); !isBug(err) {
				t.Errorf("kunmap of a page never kmapped: %v, want a BUG", err)
			}
			check(t, m, "kunmap never kmapped")
			if m.Highmem.Stats.Kmaps != 4 || m.Highmem.Stats.Kunmaps != 2 || m.Highmem.Stats.Flushes != 0 {
				t.Errorf("Stats %+v, want 4 kmaps, 2 kunmaps, no flush", m.Highmem.Stats)
			}
			noWarnings(t, m, "kmap counts")
		})
	}
}

// TestKmapWrapFlushesOnce: slots are recycled only when the circular scan
// wraps to 0 (facts §7 map_new_virtual): after LAST_PKMAP-1 pages were
// kmapped (slots 1..LAST_PKMAP-1) and kunmapped (count 1 each), the next
// kmap wraps to slot 0 and flush_all_zero_pkmaps() clears every count-1
// slot with ONE flush_tlb_kernel_range over the whole pkmap area; 1024 or
// 512 pages are above the 33-page ceiling (facts §8), so
// flush_tlb_kernel_range() runs on_each_cpu(do_flush_tlb_all): each CPU,
// CPU 0 that asked included, flushes its TLB fully and counts one
// nr_tlb_remote_flush_received; nobody counts nr_tlb_remote_flush, nor a
// local flush event (arch/x86/mm/tlb.c). A slot still in use (count 2)
// survives the wrap.
func TestKmapWrapFlushesOnce(t *testing.T) {
	for _, hl := range highmemLines {
		t.Run(hl.line, func(t *testing.T) {
			m := vmBoot(t, hl.line)
			n := hl.lastPkmap
			pages := make([]phys.PFN, n)
			for i := 1; i < n; i++ {
				pages[i] = highPage(t, m)
				if va := kmap(t, m, pages[i]); va != m.Layout.PkmapAddr(i) {
					t.Fatalf("kmap %d = %#x, want slot %d", i, uint64(va), i)
				}
			}
			const busy = 5 // stays kmapped through the wrap
			for i := 1; i < n; i++ {
				if i != busy {
					kunmap(t, m, pages[i])
				}
			}
			// Every CPU caches some pkmap translations.
			for cpu := 0; cpu < m.Config.CPUs; cpu++ {
				for _, i := range []int{1, busy, n - 1} {
					if _, f := m.MMU.Translate(cpu, m.Layout.PkmapAddr(i), tlb.Read, false); f != nil {
						t.Fatalf("cpu %d read slot %d: %v", cpu, i, f)
					}
				}
			}
			check(t, m, "touch")
			if m.Highmem.Stats.Flushes != 0 || len(m.Highmem.Slots()) != n-1 {
				t.Fatalf("before the wrap: %d flushes, %d slots", m.Highmem.Stats.Flushes, len(m.Highmem.Slots()))
			}
			before := []tlb.Stats{m.MMU.TLBs[0].Stats, m.MMU.TLBs[1].Stats}

			last := highPage(t, m)
			if va := kmap(t, m, last); va != m.Layout.PkmapAddr(0) {
				t.Fatalf("kmap after the wrap = %#x, want slot 0 %#x", uint64(va), uint64(m.Layout.PkmapAddr(0)))
			}
			if m.Highmem.Stats.Flushes != 1 || m.Highmem.LastNr() != 0 {
				t.Errorf("Flushes %d, last_pkmap_nr %d; want 1 and 0", m.Highmem.Stats.Flushes, m.Highmem.LastNr())
			}
			for i := 1; i < n; i++ {
				want := 0
				if i == busy {
					want = 2
				}
				if m.Highmem.Count(i) != want {
					t.Fatalf("slot %d count %d after the wrap, want %d", i, m.Highmem.Count(i), want)
				}
				_, ok := m.Highmem.PageAddress(pages[i])
				if ok != (i == busy) || mapped(m, m.Layout.PkmapAddr(i)) != (i == busy) {
					t.Fatalf("slot %d: page_address ok %v, mapped %v", i, ok, mapped(m, m.Layout.PkmapAddr(i)))
				}
			}
			if s := m.Highmem.Slots(); len(s) != 2 {
				t.Errorf("Slots %+v, want slot 0 and the busy one", s)
			}
			for cpu, b := range before {
				s := m.MMU.TLBs[cpu].Stats
				if s.FullFlushes-b.FullFlushes != 1 || s.Invlpg != b.Invlpg || s.LocalFlushAll != b.LocalFlushAll || s.LocalFlushOne != b.LocalFlushOne ||
					s.RemoteFlush != b.RemoteFlush || s.RemoteFlushReceived-b.RemoteFlushReceived != 1 {
					t.Errorf("cpu %d: TLB counters moved by full %d invlpg %d local all %d local one %d sent %d recv %d; want one full flush and 1 received only", cpu,
						s.FullFlushes-b.FullFlushes, s.Invlpg-b.Invlpg, s.LocalFlushAll-b.LocalFlushAll, s.LocalFlushOne-b.LocalFlushOne,
						s.RemoteFlush-b.RemoteFlush, s.RemoteFlushReceived-b.RemoteFlushReceived)
				}
				if got := m.MMU.TLBs[cpu].Len(); got != 0 {
					t.Errorf("cpu %d: %d TLB entries survive the full flush", cpu, got)
				}
			}
			// The scan goes on from 0: slot 1 is free again, no flush.
			next := highPage(t, m)
			if va := kmap(t, m, next); va != m.Layout.PkmapAddr(1) || m.Highmem.Stats.Flushes != 1 {
				t.Errorf("kmap after the wrap = %#x, flushes %d; want slot 1, still 1 flush", uint64(va), m.Highmem.Stats.Flushes)
			}
			// A page that lost its slot gets a new one.
			if va := kmap(t, m, pages[1]); va != m.Layout.PkmapAddr(2) {
				t.Errorf("kmap of a flushed page = %#x, want slot 2", uint64(va))
			}
			noWarnings(t, m, "wrap")
		})
	}
}

// TestKmapAllSlotsBusy: with every slot in use the kernel sleeps on
// pkmap_map_wait until someone kunmaps (facts §7 map_new_virtual step 4);
// the script is the only task, so the model reports the deadlock. The
// state is as before. Once one page is kunmapped (count 1) the next kmap
// wraps, flushes and takes that slot.
func TestKmapAllSlotsBusy(t *testing.T) {
	for _, hl := range highmemLines {
		t.Run(hl.line, func(t *testing.T) {
			m := vmBoot(t, hl.line)
			n := hl.lastPkmap
			pages := make([]phys.PFN, n)
			for i := 0; i < n; i++ {
				pages[i] = highPage(t, m)
				want := (i + 1) % n // slots 1..n-1, then the wrap to 0
				if va := kmap(t, m, pages[i]); va != m.Layout.PkmapAddr(want) {
					t.Fatalf("kmap %d = %#x, want slot %d", i, uint64(va), want)
				}
			}
			if m.Highmem.Stats.Flushes != 0 {
				t.Errorf("the wrap flushed with no count-1 slot: %d flushes", m.Highmem.Stats.Flushes)
			}
			extra := highPage(t, m)
			_, err := m.Highmem.Kmap(extra, sleeper(m))
			if err == nil || !strings.Contains(err.Error(), "deadlock") {
				t.Fatalf("kmap with every slot busy: %v, want a deadlock error", err)
			}
			check(t, m, "kmap with every slot busy")
			if _, ok := m.Highmem.PageAddress(extra); ok || len(m.Highmem.Slots()) != n {
				t.Errorf("the failed kmap changed the slots")
			}
			for i := 0; i < n; i++ {
				if m.Highmem.Count(i) != 2 {
					t.Fatalf("slot %d count %d", i, m.Highmem.Count(i))
				}
			}
			// Free one slot's user: pages[6] has slot 7.
			kunmap(t, m, pages[6])
			if va := kmap(t, m, extra); va != m.Layout.PkmapAddr(7) {
				t.Errorf("kmap after a kunmap = %#x, want slot 7", uint64(va))
			}
			if m.Highmem.Stats.Flushes != 1 {
				t.Errorf("Flushes %d, want 1", m.Highmem.Stats.Flushes)
			}
			if _, ok := m.Highmem.PageAddress(pages[6]); ok {
				t.Errorf("the kunmapped page kept its address")
			}
		})
	}
}

// TestKmapMightSleep: kmap() and kunmap() call might_sleep() (facts §7;
// include/linux/highmem-internal.h, before looking at the page), so in an
// interrupt, with a spinlock held, or inside kmap_atomic they are BUGs,
// for lowmem pages too, naming the file, the function and the context,
// and nothing changes.
func TestKmapMightSleep(t *testing.T) {
	for _, k := range []kernelmodel.ContextKind{kernelmodel.CtxIRQ, kernelmodel.CtxSoftIRQ, kernelmodel.CtxAtomic, kernelmodel.CtxKmapAtomic} {
		t.Run(string(k), func(t *testing.T) {
			m := vmBoot(t, "x86 mem=1G")
			hi, lo, held := highPage(t, m), allocPage(t, m, phys.GFPKernel), highPage(t, m)
			kmap(t, m, held)
			var atomicVA arch.VirtAddr
			if k == kernelmodel.CtxKmapAtomic {
				atomicVA = kmapLocal(t, m, allocPage(t, m, phys.GFPKernel), true)
			} else {
				enter(t, m, k)
			}
			if !m.InAtomic() {
				t.Fatalf("not atomic in %s", k)
			}
			for _, pfn := range []phys.PFN{hi, lo} {
				want := fmt.Sprintf("sleeping function called from invalid context at include/linux/highmem-internal.h: kmap() may sleep but runs in %s context", k)
				if _, err := m.Highmem.Kmap(pfn, sleeper(m)); !isBug(err) || !strings.Contains(err.Error(), want) {
					t.Errorf("kmap(%#x) in %s: %v, want a BUG containing %q", uint64(pfn), k, err, want)
				}
				check(t, m, "kmap in atomic")
			}
			want := fmt.Sprintf("at include/linux/highmem-internal.h: kunmap() may sleep but runs in %s context", k)
			if err := m.Highmem.Kunmap(held, sleeper(m)); !isBug(err) || !strings.Contains(err.Error(), want) {
				t.Errorf("kunmap in %s: %v, want a BUG containing %q", k, err, want)
			}
			check(t, m, "kunmap in atomic")
			if _, ok := m.Highmem.PageAddress(hi); ok || m.Highmem.Count(1) != 2 || len(m.Highmem.Slots()) != 1 || m.Highmem.LastNr() != 1 {
				t.Errorf("state changed: slots %+v, last_pkmap_nr %d", m.Highmem.Slots(), m.Highmem.LastNr())
			}
			if k == kernelmodel.CtxKmapAtomic {
				kunmapLocal(t, m, atomicVA, true)
			} else {
				leave(t, m)
			}
			if m.InAtomic() {
				t.Fatalf("still atomic")
			}
			kunmap(t, m, held)
			if va := kmap(t, m, hi); va != m.Layout.PkmapAddr(2) {
				t.Errorf("kmap back in process context = %#x", uint64(va))
			}
		})
	}
}

// TestKmapLocalSlots: kmap_local_page() and kmap_atomic() use this CPU's
// fixmap slots as a stack (facts §7): the address of stack index idx on
// CPU cpu is __fix_to_virt(FIX_KMAP_BEGIN + idx + KM_MAX_IDX*cpu), with
// KM_MAX_IDX = 16 and fixmap index i at FIXADDR_TOP - i*PAGE_SIZE
// (FIXADDR_TOP = 0xFFFFF000, facts §6). Lowmem pages give their direct-map
// address and take no index. page_address() does not know kmap_local
// addresses. kunmap_local clears the PTE and flushes it on this CPU only:
// one invlpg (flush_tlb_one_kernel() in arch_kmap_local_post_unmap()),
// which counts no vmstat event, and nothing on the other CPUs.
func TestKmapLocalSlots(t *testing.T) {
	for _, c := range []struct {
		line string
		cpu  int
	}{{"x86 mem=1G", 0}, {"x86 mem=1G", 1}, {"x86 mem=1G paging=pae", 1}, {"x86 mem=1G cpus=4", 3}} {
		for _, atomic := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/cpu%d/atomic=%v", c.line, c.cpu, atomic), func(t *testing.T) {
				m := vmBoot(t, c.line)
				if m.Layout.FixaddrTop != 0xFFFFF000 || m.Layout.FixToVirt(1) != 0xFFFFE000 {
					t.Fatalf("FIXADDR_TOP %#x", uint64(m.Layout.FixaddrTop))
				}
				if c.cpu != 0 {
					if err := m.EnterContext(kernelmodel.Context{Kind: kernelmodel.CtxCPU, CPU: c.cpu}); err != nil {
						t.Fatal(err)
					}
				}
				slot := func(idx int) arch.VirtAddr {
					return m.Layout.FixToVirt(m.Layout.FixKmapBegin + idx + arch.KmapMaxIdx*c.cpu)
				}
				h0, lo, h1 := highPage(t, m), allocPage(t, m, phys.GFPKernel), highPage(t, m)
				va0 := kmapLocal(t, m, h0, atomic)
				vlo := kmapLocal(t, m, lo, atomic)
				va1 := kmapLocal(t, m, h1, atomic)
				if va0 != slot(0) || va1 != slot(1) {
					t.Errorf("kmap_local addresses %#x, %#x; want %#x, %#x", uint64(va0), uint64(va1), uint64(slot(0)), uint64(slot(1)))
				}
				if vlo != m.Layout.PageOffset+arch.VirtAddr(lo.Addr()) {
					t.Errorf("lowmem kmap_local = %#x, want its direct-map address", uint64(vlo))
				}
				if !mapsTo(m, va0, h0) || !mapsTo(m, va1, h1) {
					t.Errorf("slots do not map their pages")
				}
				st := m.Highmem.Stack()
				if len(st) != 3 || !st[0].Mapped || st[1].Mapped || !st[2].Mapped || st[0].Idx != 0 || st[2].Idx != 1 || st[2].CPU != c.cpu || st[2].Atomic != atomic {
					t.Errorf("Stack %+v", st)
				}
				if l, ok := m.Highmem.LocalAddress(va1 + 100); !ok || l.PFN != h1 {
					t.Errorf("LocalAddress(%#x) = %+v, %v", uint64(va1+100), l, ok)
				}
				if _, ok := m.Highmem.PageAddress(h0); ok {
					t.Errorf("page_address knows a kmap_local mapping")
				}
				if len(m.Highmem.Slots()) != 0 {
					t.Errorf("kmap_local used a pkmap slot")
				}
				if pa, f := m.MMU.Translate(c.cpu, va1, tlb.Write, false); f != nil || pa != h1.Addr() {
					t.Errorf("write through kmap_local address: %#x, %v", uint64(pa), f)
				}
				if m.InAtomic() != atomic {
					t.Errorf("InAtomic %v with kmap_atomic %v", m.InAtomic(), atomic)
				}
				// LIFO: no warnings; each unmap clears its PTE and flushes
				// one page on this CPU (one invlpg, no vmstat event), none
				// elsewhere.
				other := (c.cpu + 1) % m.Config.CPUs
				ob := m.MMU.TLBs[other].Stats
				mb := m.MMU.TLBs[c.cpu].Stats
				kunmapLocal(t, m, va1, atomic)
				if mapped(m, va1) || !mapsTo(m, va0, h0) {
					t.Errorf("after kunmap of the top: top mapped %v, bottom mapped %v", mapped(m, va1), mapsTo(m, va0, h0))
				}
				if s := m.MMU.TLBs[c.cpu].Stats; s.Invlpg-mb.Invlpg != 1 || s.FullFlushes != mb.FullFlushes ||
					s.LocalFlushOne != mb.LocalFlushOne || s.LocalFlushAll != mb.LocalFlushAll || s.RemoteFlush != mb.RemoteFlush || s.RemoteFlushReceived != mb.RemoteFlushReceived {
					t.Errorf("kunmap_local: cpu %d counters %+v, before %+v; want one invlpg more and nothing else", c.cpu, s, mb)
				}
				if _, ok := m.MMU.TLBs[c.cpu].Peek(va1, m.MMU.Shifts()); ok {
					t.Errorf("the unmapped slot is still in the TLB")
				}
				kunmapLocal(t, m, vlo, atomic) // lowmem: no PTE, no flush
				if got := m.MMU.TLBs[c.cpu].Stats.Invlpg - mb.Invlpg; got != 1 {
					t.Errorf("lowmem kunmap_local flushed: %d invlpg in all", got)
				}
				// The freed index is the next one used.
				if va := kmapLocal(t, m, h1, atomic); va != slot(1) {
					t.Errorf("remap = %#x, want %#x", uint64(va), uint64(slot(1)))
				}
				kunmapLocal(t, m, slot(1)+5, atomic) // any address in the page
				kunmapLocal(t, m, va0, atomic)
				if m.MMU.TLBs[other].Stats != ob && m.Config.CPUs > 1 {
					t.Errorf("cpu %d TLB touched by kunmap_local on cpu %d", other, c.cpu)
				}
				if len(m.Highmem.Stack()) != 0 || m.InAtomic() || mapped(m, va0) {
					t.Errorf("after unmapping everything: stack %+v, atomic %v", m.Highmem.Stack(), m.InAtomic())
				}
				noWarnings(t, m, "LIFO kunmap_local")
			})
		}
	}
}

// TestKmapLocalDepth: kmap_local_idx_push() adds 1 to the task's index and
// BUGs when it reaches KM_MAX_IDX = 16 ("BUGs if the depth would reach
// 16", facts §7; mm/highmem.c BUG_ON(idx >= KM_MAX_IDX) after the
// increment): 15 highmem mappings fit, the 16th is a BUG and changes
// nothing. Lowmem pages push nothing, so they still work at depth 15.
func TestKmapLocalDepth(t *testing.T) {
	const fit = arch.KmapMaxIdx - 1
	for _, atomic := range []bool{false, true} {
		t.Run(fmt.Sprintf("atomic=%v", atomic), func(t *testing.T) {
			m := vmBoot(t, "x86 mem=1G")
			// Pages first: inside kmap_atomic GFP_HIGHUSER may not sleep.
			var pages []phys.PFN
			for i := 0; i <= fit; i++ {
				pages = append(pages, highPage(t, m))
			}
			lowPage := allocPage(t, m, phys.GFPKernel)
			var vas []arch.VirtAddr
			for i := 0; i < fit; i++ {
				va := kmapLocal(t, m, pages[i], atomic)
				if va != m.Layout.FixToVirt(m.Layout.FixKmapBegin+i) {
					t.Fatalf("mapping %d at %#x", i, uint64(va))
				}
				vas = append(vas, va)
			}
			p := pages[fit]
			va, err := m.Highmem.KmapLocal(p, atomic)
			if !isBug(err) || va != 0 {
				t.Fatalf("mapping %d: %#x, %v; want a BUG", fit+1, uint64(va), err)
			}
			check(t, m, "too deep")
			if len(m.Highmem.Stack()) != fit || mapped(m, m.Layout.FixToVirt(m.Layout.FixKmapBegin+fit)) {
				t.Errorf("the failed mapping changed the stack: %d entries", len(m.Highmem.Stack()))
			}
			lo := kmapLocal(t, m, lowPage, atomic)
			kunmapLocal(t, m, lo, atomic)
			for i := len(vas) - 1; i >= 0; i-- {
				kunmapLocal(t, m, vas[i], atomic)
			}
			if m.InAtomic() || len(m.Highmem.Stack()) != 0 {
				t.Errorf("stack not empty after unmapping")
			}
			// The whole depth is available again.
			if va := kmapLocal(t, m, p, atomic); va != m.Layout.FixToVirt(m.Layout.FixKmapBegin) {
				t.Errorf("after unwinding, first mapping at %#x", uint64(va))
			}
			noWarnings(t, m, "depth")
		})
	}
}

// TestKunmapLocalNotLIFO: kmap_local mappings must be undone in reverse
// order; unmapping another than the top gets kunmap_local_indexed()'s
// WARN_ON_ONCE (facts §7). The model then unmaps the named mapping and
// keeps the others in their slots; the next mapping goes above the highest
// index in use. Being a WARN_ON_ONCE, a second non-LIFO unmap on the same
// machine prints nothing. An address kmap_local never returned, or undoing
// kmap_atomic with kunmap_local, is an error that changes nothing.
func TestKunmapLocalNotLIFO(t *testing.T) {
	m := vmBoot(t, "x86 mem=1G")
	slot := func(i int) arch.VirtAddr { return m.Layout.FixToVirt(m.Layout.FixKmapBegin + i) }
	a, b, c := highPage(t, m), highPage(t, m), highPage(t, m)
	va := kmapLocal(t, m, a, false)
	vb := kmapLocal(t, m, b, false)
	vc := kmapLocal(t, m, c, false)
	kunmapLocal(t, m, va, false) // the bottom, not the top
	w := takeWarning(t, m, "non-LIFO kunmap_local", "WARNING")
	if len(w) != 1 || !strings.Contains(w[0], "LIFO") || !strings.Contains(w[0], fmt.Sprintf("%#x", uint64(va))) {
		t.Errorf("warnings %q", w)
	}
	if mapped(m, va) || !mapsTo(m, vb, b) || !mapsTo(m, vc, c) {
		t.Errorf("after the non-LIFO unmap: a mapped %v, b %v, c %v", mapped(m, va), mapsTo(m, vb, b), mapsTo(m, vc, c))
	}
	if st := m.Highmem.Stack(); len(st) != 2 || st[0].PFN != b || st[1].PFN != c {
		t.Errorf("Stack %+v, want b and c", st)
	}
	d := highPage(t, m)
	if vd := kmapLocal(t, m, d, false); vd != slot(3) {
		t.Errorf("next mapping at %#x, want slot 3 %#x (above c)", uint64(vd), uint64(slot(3)))
	}
	kunmapLocal(t, m, slot(3), false)
	kunmapLocal(t, m, vc, false)
	kunmapLocal(t, m, vb, false)
	noWarnings(t, m, "LIFO after the warning")

	// Out of order again: WARN_ON_ONCE fired already, so no warning, and
	// the unmap works as before.
	va = kmapLocal(t, m, a, false)
	vb = kmapLocal(t, m, b, false)
	kunmapLocal(t, m, va, false)
	noWarnings(t, m, "the second non-LIFO kunmap_local")
	if mapped(m, va) || !mapsTo(m, vb, b) {
		t.Errorf("after the second non-LIFO unmap: a mapped %v, b %v", mapped(m, va), mapsTo(m, vb, b))
	}
	kunmapLocal(t, m, vb, false)

	// Errors: nothing on the stack at that address; the wrong kind.
	before := m.Highmem.Stack()
	if err := m.Highmem.KunmapLocal(slot(0), false); err == nil || isBug(err) {
		t.Errorf("kunmap_local of an address not on the stack: %v, want an error", err)
	}
	x := kmapLocal(t, m, a, true)
	if err := m.Highmem.KunmapLocal(x, false); err == nil || !strings.Contains(err.Error(), "kunmap_atomic") {
		t.Errorf("kunmap_local of a kmap_atomic address: %v", err)
	}
	check(t, m, "wrong kunmap")
	if !m.InAtomic() || !mapsTo(m, x, a) || len(m.Highmem.Stack()) != len(before)+1 {
		t.Errorf("the wrong kunmap changed the stack")
	}
	kunmapLocal(t, m, x, true)
	noWarnings(t, m, "errors")
}

// TestKunmapLocalLIFOLowmem: only fixmap slots are in the stack's order.
// A lowmem page's kmap_local_page() returns page_address() and pushes no
// index, and kunmap_local_indexed() returns early for an address outside
// the fixmap (mm/highmem.c), so unmapping a highmem slot with lowmem
// mappings above it, or a lowmem mapping with slots above it, breaks no
// LIFO order and warns nothing. A real out-of-order unmap of two slots on
// the same machine still warns: the WARN_ON_ONCE had not fired.
func TestKunmapLocalLIFOLowmem(t *testing.T) {
	for _, atomic := range []bool{false, true} {
		t.Run(fmt.Sprintf("atomic=%v", atomic), func(t *testing.T) {
			m := vmBoot(t, "x86 mem=1G")
			h1, h2, h3 := highPage(t, m), highPage(t, m), highPage(t, m)
			l1, l2 := allocPage(t, m, phys.GFPKernel), allocPage(t, m, phys.GFPKernel)

			// A slot under a lowmem mapping: the slot is the top slot.
			vh1 := kmapLocal(t, m, h1, atomic)
			vl1 := kmapLocal(t, m, l1, atomic)
			kunmapLocal(t, m, vh1, atomic)
			noWarnings(t, m, "unmapping the top slot under a lowmem mapping")
			if m.Highmem.LocalSlots() != 0 || len(m.Highmem.Stack()) != 1 {
				t.Errorf("LocalSlots %d, stack %+v; want 0 slots and the lowmem entry", m.Highmem.LocalSlots(), m.Highmem.Stack())
			}
			kunmapLocal(t, m, vl1, atomic)

			// A lowmem mapping under a slot.
			vl2 := kmapLocal(t, m, l2, atomic)
			vh2 := kmapLocal(t, m, h2, atomic)
			kunmapLocal(t, m, vl2, atomic)
			noWarnings(t, m, "unmapping a lowmem mapping under a slot")
			if !mapsTo(m, vh2, h2) || m.Highmem.LocalSlots() != 1 {
				t.Errorf("the slot above the lowmem mapping: mapped %v, LocalSlots %d", mapsTo(m, vh2, h2), m.Highmem.LocalSlots())
			}

			// Two slots out of order: the first warning of this machine.
			vh3 := kmapLocal(t, m, h3, atomic)
			kunmapLocal(t, m, vh2, atomic)
			w := takeWarning(t, m, "non-LIFO slots", "LIFO")
			if len(w) != 1 || !strings.Contains(w[0], fmt.Sprintf("the top of the kmap stack is %#x", uint64(vh3))) {
				t.Errorf("warnings %q, want one naming the top slot %#x", w, uint64(vh3))
			}
			kunmapLocal(t, m, vh3, atomic)
			noWarnings(t, m, "the end")
		})
	}
}

// TestLeaveCPUWithKmapLocal: a kmap_local_page() slot keeps the task on its
// CPU (migrate_disable() until kunmap_local()), and kmap_atomic() keeps
// preemption off, so a cpu block that ends while one is held is the
// script's error: LeaveContext records it, TakeLeaveError returns it once
// (a plain error for kmap_local, the "scheduling while atomic" BUG for
// kmap_atomic), and the block ends all the same. The slot stays mapped; a
// task that can now run on CPU 0 may cache it there, which the kernel
// never allows. kunmap_local from CPU 0 then clears the PTE, and the model
// drops the slot from every TLB (MMU.Drop, counting nothing), so the TLBs
// stay coherent with the page tables and Check passes.
func TestLeaveCPUWithKmapLocal(t *testing.T) {
	for _, atomic := range []bool{false, true} {
		t.Run(fmt.Sprintf("atomic=%v", atomic), func(t *testing.T) {
			m := vmBoot(t, "x86 mem=1G cpus=2")
			pfn := highPage(t, m)
			if err := m.EnterContext(kernelmodel.Context{Kind: kernelmodel.CtxCPU, CPU: 1}); err != nil {
				t.Fatal(err)
			}
			va := kmapLocal(t, m, pfn, atomic)
			// CPU 1's own slot: FIX_KMAP_BEGIN + 0 + KM_MAX_IDX*1.
			if want := m.Layout.FixToVirt(m.Layout.FixKmapBegin + arch.KmapMaxIdx); va != want {
				t.Fatalf("kmap_local on cpu 1 = %#x, want %#x", uint64(va), uint64(want))
			}
			if pa, f := m.MMU.Translate(1, va, tlb.Read, false); f != nil || pa != pfn.Addr() {
				t.Fatalf("cpu 1 read through the slot: %#x, %v", uint64(pa), f)
			}
			m.LeaveContext()
			err := m.TakeLeaveError()
			switch {
			case err == nil:
				t.Fatalf("leaving the cpu 1 block with %s held: no error", kmapName(atomic))
			case atomic && (!isBug(err) || !strings.Contains(err.Error(), "scheduling while atomic")):
				t.Errorf("leaving with kmap_atomic held: %v, want a scheduling-while-atomic BUG", err)
			case !atomic && (isBug(err) || !strings.Contains(err.Error(), "migrate_disable()")):
				t.Errorf("leaving with kmap_local_page held: %v, want a plain error naming migrate_disable()", err)
			}
			if err := m.TakeLeaveError(); err != nil {
				t.Errorf("TakeLeaveError a second time: %v, want nil", err)
			}
			if len(m.Contexts()) != 0 || m.CPU() != 0 {
				t.Errorf("the block did not end: contexts %+v, cpu %d", m.Contexts(), m.CPU())
			}
			check(t, m, "leaving the block")
			// Now on CPU 0 with CPU 1's slot: a read caches it on CPU 0.
			if pa, f := m.MMU.Translate(0, va, tlb.Read, false); f != nil || pa != pfn.Addr() {
				t.Fatalf("cpu 0 read through cpu 1's slot: %#x, %v", uint64(pa), f)
			}
			before := m.MMU.Total()
			kunmapLocal(t, m, va, atomic) // runs check: tlb-coherent holds
			for cpu := 0; cpu < 2; cpu++ {
				if _, ok := m.MMU.TLBs[cpu].Peek(va, m.MMU.Shifts()); ok {
					t.Errorf("cpu %d still caches the unmapped slot", cpu)
				}
			}
			// One invlpg (flush_tlb_one_kernel()); Drop counts nothing.
			after := m.MMU.Total()
			if after.Invlpg-before.Invlpg != 1 || after.FullFlushes != before.FullFlushes || after.LocalFlushOne != before.LocalFlushOne ||
				after.LocalFlushAll != before.LocalFlushAll || after.RemoteFlush != before.RemoteFlush || after.RemoteFlushReceived != before.RemoteFlushReceived {
				t.Errorf("TLB counters %+v, before %+v; want one invlpg more and nothing else", after, before)
			}
			if m.InAtomic() || len(m.Highmem.Stack()) != 0 || mapped(m, va) {
				t.Errorf("after kunmap: atomic %v, stack %+v, mapped %v", m.InAtomic(), m.Highmem.Stack(), mapped(m, va))
			}
			// The task may move again.
			if err := m.EnterContext(kernelmodel.Context{Kind: kernelmodel.CtxCPU, CPU: 1}); err != nil {
				t.Errorf("cpu 1 after the kunmap: %v", err)
			}
			leave(t, m)
			if err := m.TakeLeaveError(); err != nil {
				t.Errorf("leaving an empty cpu block: %v", err)
			}
			noWarnings(t, m, "leave with a slot held")
		})
	}
}

// kmapName is the kernel function a kmap_local mapping came from.
func kmapName(atomic bool) string {
	if atomic {
		return "kmap_atomic()"
	}
	return "kmap_local_page()"
}

// TestKmapAtomicDisablesSleeping: kmap_atomic() disables preemption and
// page faults, kmap_local_page() only migration (facts §7): between
// kmap_atomic and kunmap_atomic the machine is atomic, so a GFP_KERNEL
// allocation (and vmalloc) is a sleeping-in-atomic BUG, GFP_ATOMIC works;
// with kmap_local_page GFP_KERNEL works but the task may not move to
// another CPU. kmap_atomic of a lowmem page disables preemption too. A
// vmalloc inside kmap_atomic is alloc_vmap_area()'s might_sleep() BUG
// whatever the mask, GFP_ATOMIC included. kmap_local_page() of a lowmem
// page returns page_address() before its migrate_disable()
// (__kmap_local_page_prot() in mm/highmem.c, and on x86_64 the
// !CONFIG_HIGHMEM inline), so only a highmem page's slot keeps the task on
// its CPU.
func TestKmapAtomicDisablesSleeping(t *testing.T) {
	for _, c := range []struct {
		line string
		high bool
	}{{"x86 mem=1G", true}, {"x86 mem=1G", false}, {"x86_64 mem=4G", false}} {
		t.Run(fmt.Sprintf("%s/high=%v", c.line, c.high), func(t *testing.T) {
			m := vmBoot(t, c.line)
			pfn := allocPage(t, m, phys.GFPKernel)
			if c.high {
				pfn = highPage(t, m)
			}
			va := kmapLocal(t, m, pfn, true)
			if !m.InAtomic() {
				t.Fatalf("kmap_atomic did not disable sleeping")
			}
			free := m.Phys.NrFreePages()
			_, _, err := m.Phys.AllocPages(phys.Request{GFP: phys.GFPKernel, Order: 0, Owner: phys.OwnerPages})
			if !isBug(err) || !strings.Contains(err.Error(), "kmap_atomic") {
				t.Errorf("GFP_KERNEL inside kmap_atomic: %v, want a BUG naming kmap_atomic", err)
			}
			for _, gfp := range []phys.GFP{phys.GFPKernel, phys.GFPAtomic} {
				const want = "sleeping function called from invalid context at mm/vmalloc.c: alloc_vmap_area() may sleep but runs in kmap_atomic context"
				if _, _, err := m.Vmalloc.Alloc(vmallocReq(page, gfp)); !isBug(err) || !strings.Contains(err.Error(), want) {
					t.Errorf("vmalloc(%s) inside kmap_atomic: %v, want a BUG containing %q", gfp, err, want)
				}
			}
			check(t, m, "GFP_KERNEL inside kmap_atomic")
			if m.Phys.NrFreePages() != free {
				t.Errorf("the failed allocations took pages")
			}
			if _, ok, err := m.Phys.AllocPages(phys.Request{GFP: phys.GFPAtomic, Order: 0, Owner: phys.OwnerPages}); err != nil || !ok {
				t.Errorf("GFP_ATOMIC inside kmap_atomic: %v %v", ok, err)
			}
			kunmapLocal(t, m, va, true)
			if m.InAtomic() {
				t.Fatalf("still atomic after kunmap_atomic")
			}
			if _, ok, err := m.Phys.AllocPages(phys.Request{GFP: phys.GFPKernel, Order: 0, Owner: phys.OwnerPages}); err != nil || !ok {
				t.Errorf("GFP_KERNEL after kunmap_atomic: %v %v", ok, err)
			}

			va = kmapLocal(t, m, pfn, false)
			if m.InAtomic() {
				t.Errorf("kmap_local_page made the machine atomic")
			}
			if _, ok, err := m.Phys.AllocPages(phys.Request{GFP: phys.GFPKernel, Order: 0, Owner: phys.OwnerPages}); err != nil || !ok {
				t.Errorf("GFP_KERNEL inside kmap_local_page: %v %v", ok, err)
			}
			a := mustVmalloc(t, m, page, phys.GFPKernel)
			mustVfree(t, m, a.Addr)
			err = m.EnterContext(kernelmodel.Context{Kind: kernelmodel.CtxCPU, CPU: 1})
			switch {
			case c.high && err == nil:
				t.Errorf("migrated to CPU 1 while a kmap_local_page slot is held")
			case c.high && (isBug(err) || !strings.Contains(err.Error(), "migrate_disable()")):
				t.Errorf("cpu 1 with a kmap_local_page slot held: %v, want a plain error naming migrate_disable()", err)
			case !c.high && err != nil:
				t.Errorf("cpu 1 with only a lowmem kmap_local_page held: %v, want the migration allowed", err)
			case !c.high:
				leave(t, m)
				if err := m.TakeLeaveError(); err != nil {
					t.Errorf("leaving cpu 1 with only a lowmem kmap_local_page held: %v", err)
				}
			}
			kunmapLocal(t, m, va, false)
			if err := m.EnterContext(kernelmodel.Context{Kind: kernelmodel.CtxCPU, CPU: 1}); err != nil {
				t.Errorf("migrate after kunmap_local: %v", err)
			}
			check(t, m, "migrate")
		})
	}
}

// TestHighmemX86_64: without highmem (facts §7 "Deprecation": on 64-bit
// all three just return the direct-map address) kmap, kmap_local_page and
// kmap_atomic of any page return page_address(), use no pkmap or fixmap
// slot, and kunmap is a no-op; kmap_atomic still disables sleeping.
func TestHighmemX86_64(t *testing.T) {
	for _, line := range []string{"x86_64 mem=4G", "x86_64 mem=8G", "x86_64 mem=4G paging=5level", "x86 mem=512M"} {
		t.Run(line, func(t *testing.T) {
			m := vmBoot(t, line)
			if m.Layout.Arch == "x86_64" && (m.Layout.LastPkmap != 0 || m.Layout.FixKmapBegin != 0) {
				t.Errorf("x86_64 with pkmap %d / fixmap kmap %d", m.Layout.LastPkmap, m.Layout.FixKmapBegin)
			}
			for _, gfp := range []phys.GFP{phys.GFPHighUser, phys.GFPHighUserMovable, phys.GFPKernel} {
				pfn := allocPage(t, m, gfp)
				if m.Highmem.IsHigh(pfn) {
					t.Fatalf("%s page %#x is highmem", gfp, uint64(pfn))
				}
				want := m.Layout.PageOffset + arch.VirtAddr(pfn.Addr())
				if va := kmap(t, m, pfn); va != want {
					t.Errorf("kmap = %#x, want %#x", uint64(va), uint64(want))
				}
				if got, ok := m.Highmem.PageAddress(pfn); !ok || got != want {
					t.Errorf("PageAddress = %#x, %v", uint64(got), ok)
				}
				kunmap(t, m, pfn)
				kunmap(t, m, pfn)
				for _, atomic := range []bool{false, true} {
					va := kmapLocal(t, m, pfn, atomic)
					if va != want {
						t.Errorf("kmap_local(atomic %v) = %#x, want %#x", atomic, uint64(va), uint64(want))
					}
					if m.InAtomic() != atomic {
						t.Errorf("InAtomic %v for atomic %v", m.InAtomic(), atomic)
					}
					if st := m.Highmem.Stack(); len(st) != 1 || st[0].Mapped {
						t.Errorf("Stack %+v, want one unmapped entry", st)
					}
					kunmapLocal(t, m, va, atomic)
				}
			}
			if len(m.Highmem.Slots()) != 0 || m.Highmem.Stats.Kmaps != 0 {
				t.Errorf("slots used: %+v", m.Highmem.Slots())
			}
			noWarnings(t, m, "direct map")
		})
	}
}
