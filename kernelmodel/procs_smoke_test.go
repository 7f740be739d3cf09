package kernelmodel_test

import (
	"testing"

	"mmsim/kernelmodel"
	"mmsim/kernelmodel/mm"
	"mmsim/kernelmodel/tlb"
)

func TestProcsSmoke(t *testing.T) {
	m, err := kernelmodel.BootLine("x86 mem=64M")
	if err != nil {
		t.Fatal(err)
	}
	s := m.Procs
	prog, err := s.Program("a", 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.Spawn(prog)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SwitchTo(p); err != nil {
		t.Fatal(err)
	}
	for _, v := range p.MM.VMAs() {
		t.Logf("%s pgoff=%#x %s %q", v, v.PgOff, v.Flags.Mnemonics(), v.Name())
	}
	a, err := s.Mmap(p, mm.MmapArgs{Len: 4 * 4096, Prot: mm.ProtRead | mm.ProtWrite, Flags: mm.MapPrivate | mm.MapAnonymous})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("mmap at %#x", a)
	for i := uint64(0); i < 4; i++ {
		if _, err := s.Access(p, a+i*4096, tlb.Read); err != nil {
			t.Fatal(err)
		}
	}
	for i := uint64(0); i < 4; i++ {
		if _, err := s.Access(p, a+i*4096, tlb.Write); err != nil {
			t.Fatal(err)
		}
	}
	if p.MinFlt != 8 {
		t.Errorf("minflt %d", p.MinFlt)
	}
	if err := m.Check(); err != nil {
		t.Fatal(err)
	}
	c, err := s.Fork(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Check(); err != nil {
		t.Fatal(err)
	}
	if err := s.SwitchTo(c); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Access(c, a, tlb.Write); err != nil {
		t.Fatal(err)
	}
	if c.Cow != 1 {
		t.Errorf("child cow %d", c.Cow)
	}
	if err := m.Check(); err != nil {
		t.Fatal(err)
	}
	s.SwitchTo(p)
	if _, err := s.Access(p, a, tlb.Write); err != nil {
		t.Fatal(err)
	}
	if p.CowReused != 1 {
		t.Errorf("parent reuse %d", p.CowReused)
	}
	if err := s.Exit(c, 0, 0); err != nil {
		t.Fatal(err)
	}
	if err := m.Check(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Wait(nil, c.PID); err == nil {
		t.Log("script waited for a child of p?")
	}
	if _, err := s.Wait(p, c.PID); err != nil {
		t.Fatal(err)
	}
	if err := m.Check(); err != nil {
		t.Fatal(err)
	}
	if err := s.Exit(p, 0, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Wait(nil, -1); err != nil {
		t.Fatal(err)
	}
	if err := m.Check(); err != nil {
		t.Fatal(err)
	}
	if n := m.PT.Allocated; n != 0 {
		t.Errorf("page tables left: %d", n)
	}
}
