package kernelmodel_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"mmsim/kernelmodel"
	"mmsim/kernelmodel/mm"
	"mmsim/kernelmodel/phys"
	"mmsim/kernelmodel/tlb"
)

// The kernel oracle: behaviour measured on a real Linux 6.18 x86-64
// kernel, copied into testdata (see its README.md).
const procOracleDir = "testdata/kernel-oracle"

// procReadJSONL decodes every JSON value of a .jsonl file; a missing file
// fails the test: the oracle is what these tests compare against.
func procReadJSONL(t *testing.T, name string) []json.RawMessage {
	t.Helper()
	path := procOracleDir + "/" + name
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("the kernel oracle %s is missing: %v", path, err)
	}
	defer f.Close()
	var out []json.RawMessage
	dec := json.NewDecoder(f)
	for {
		var v json.RawMessage
		if err := dec.Decode(&v); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, v)
	}
	if len(out) < 2 {
		t.Fatalf("%s: %d records, want a meta line and scenarios", path, len(out))
	}
	return out
}

// oracleVMA is one VMA of vma.jsonl: [start_page, end_page, perms],
// relative to the scenario's base.
type oracleVMA struct {
	Start, End int64
	Perms      string
}

func (v *oracleVMA) UnmarshalJSON(b []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	if len(raw) != 3 {
		return fmt.Errorf("a VMA is [start, end, perms], got %s", b)
	}
	if err := json.Unmarshal(raw[0], &v.Start); err != nil {
		return err
	}
	if err := json.Unmarshal(raw[1], &v.End); err != nil {
		return err
	}
	return json.Unmarshal(raw[2], &v.Perms)
}

func (v oracleVMA) String() string { return fmt.Sprintf("[%d,%d) %s", v.Start, v.End, v.Perms) }

// oracleVMAStep is one line of vma.jsonl.
type oracleVMAStep struct {
	Meta        bool   `json:"meta"`
	WindowPages int64  `json:"window_pages"`
	Scenario    string `json:"scenario"`
	Step        int    `json:"step"`
	Op          string `json:"op"`
	Args        struct {
		Off          int64  `json:"off"`
		Pages        int64  `json:"pages"`
		Prot         string `json:"prot"`
		Flags        string `json:"flags"`
		DeltaBytes   int64  `json:"delta_bytes"`
		AddrOffBytes int64  `json:"addr_off_bytes"`
	} `json:"args"`
	Ret         string      `json:"ret"`
	BrkOffBytes *int64      `json:"brk_off_bytes"`
	VMAs        []oracleVMA `json:"vmas"`
	VMFlags     []string    `json:"vmflags"`
	Names       []string    `json:"names"`
}

// oracleProt turns "rw-" into PROT_ bits.
func oracleProt(t *testing.T, s string) int {
	t.Helper()
	if len(s) != 3 {
		t.Fatalf("prot %q is not rwx-style", s)
	}
	prot := mm.ProtNone
	for i, bit := range []int{mm.ProtRead, mm.ProtWrite, mm.ProtExec} {
		switch s[i] {
		case "rwx"[i]:
			prot |= bit
		case '-':
		default:
			t.Fatalf("prot %q is not rwx-style", s)
		}
	}
	return prot
}

// oracleMapFlags turns "private|fixed_noreplace" into MAP_ flags; the
// oracle's mappings are all anonymous.
func oracleMapFlags(t *testing.T, s string) int {
	t.Helper()
	flags := mm.MapAnonymous
	for _, f := range strings.Split(s, "|") {
		switch f {
		case "private":
			flags |= mm.MapPrivate
		case "shared":
			flags |= mm.MapShared
		case "fixed":
			flags |= mm.MapFixed
		case "fixed_noreplace":
			flags |= mm.MapFixedNoReplace
		default:
			t.Fatalf("unknown mmap flag %q in %q", f, s)
		}
	}
	return flags
}

// oracleVMAKnownDiffs are the oracle steps whose VmFlags the model does
// not reproduce, by scenario and step ("name/step"); none now.
var oracleVMAKnownDiffs = map[string]bool{}

// TestProcOracleVMA replays every scenario of vma.jsonl on fresh x86 and
// x86_64 processes and compares, after each step, the VMAs in the
// scenario's 64-page window: their bounds and permissions, their smaps
// VmFlags and their names, and the break.
func TestProcOracleVMA(t *testing.T) {
	recs := procReadJSONL(t, "vma.jsonl")
	var meta oracleVMAStep
	if err := json.Unmarshal(recs[0], &meta); err != nil || !meta.Meta || meta.WindowPages <= 0 {
		t.Fatalf("vma.jsonl: the first line is not the meta line: %s (%v)", recs[0], err)
	}
	var order []string
	scen := map[string][]oracleVMAStep{}
	for _, r := range recs[1:] {
		var st oracleVMAStep
		if err := json.Unmarshal(r, &st); err != nil {
			t.Fatalf("vma.jsonl: %v in %s", err, r)
		}
		if st.Meta || st.Scenario == "" {
			t.Fatalf("vma.jsonl: a second meta line or no scenario: %s", r)
		}
		if _, ok := scen[st.Scenario]; !ok {
			order = append(order, st.Scenario)
		}
		scen[st.Scenario] = append(scen[st.Scenario], st)
	}
	for _, line := range procLines {
		for _, name := range order {
			t.Run(strings.Fields(line)[0]+"/"+name, func(t *testing.T) {
				replayVMAScenario(t, line, meta.WindowPages, scen[name])
			})
		}
	}
}

func replayVMAScenario(t *testing.T, line string, window int64, steps []oracleVMAStep) {
	m := procBoot(t, line)
	s := m.Procs
	p := procSpawn(t, m, "oracle")
	brk := false
	for _, st := range steps {
		switch st.Op {
		case "brk", "sbrk", "initial":
			brk = true
		}
	}
	// The window: for brk the start of the heap; for mmap 64 pages just
	// below mmap_base, which nothing else uses (checked below, with a
	// page on each side so that no merge with a VMA outside can happen).
	base := p.MM.MmapBase - uint64(window)*procPage
	if brk {
		base = p.MM.StartBrk
	}
	for _, v := range p.MM.VMAs() {
		lo, hi := base, base+uint64(window)*procPage
		if !brk {
			lo, hi = lo-procPage, hi+procPage
		}
		if v.Start < hi && v.End > lo {
			t.Fatalf("the window [%#x, %#x) is not free: %s", lo, hi, v)
		}
	}
	for _, st := range steps {
		step := fmt.Sprintf("%s step %d (%s %+v)", st.Scenario, st.Step, st.Op, st.Args)
		var err error
		addr := base + uint64(st.Args.Off)*procPage
		length := uint64(st.Args.Pages) * procPage
		switch st.Op {
		case "initial":
		case "mmap":
			var got uint64
			got, err = s.Mmap(p, mm.MmapArgs{Addr: addr, Len: length, Prot: oracleProt(t, st.Args.Prot), Flags: oracleMapFlags(t, st.Args.Flags)})
			if err == nil && got != addr {
				t.Errorf("%s: mmap returned %#x, want %#x", step, got, addr)
			}
		case "mprotect":
			err = s.Mprotect(p, addr, length, oracleProt(t, st.Args.Prot))
		case "munmap":
			err = s.Munmap(p, addr, length)
		case "sbrk":
			s.Brk(p, uint64(int64(p.MM.Brk)+st.Args.DeltaBytes))
		case "brk":
			s.Brk(p, base+uint64(st.Args.AddrOffBytes))
		default:
			t.Fatalf("%s: unknown op %q", step, st.Op)
		}
		procCheck(t, m, step)
		if st.Ret == "ok" {
			if err != nil {
				t.Errorf("%s: %v, the kernel succeeded", step, err)
			}
		} else {
			var se *mm.SysError
			if !errors.As(err, &se) || se.Errno.Name() != st.Ret {
				t.Errorf("%s: got %v, the kernel returned %s", step, err, st.Ret)
			}
		}
		if st.BrkOffBytes != nil {
			if got := int64(p.MM.Brk - base); got != *st.BrkOffBytes {
				t.Errorf("%s: brk is base%+d, the kernel's is base%+d", step, got, *st.BrkOffBytes)
			}
		}
		compareWindow(t, step, p, base, window, st)
	}
}

// compareWindow compares the VMAs in [base, base+window pages) with a
// step of the oracle. VMAs are clipped to the window: the model does not
// randomise the break, so its heap starts right after bss and merges with
// it (do_brk_flags() extends the bss VMA), where the measured process,
// with randomize_va_space=2, had a gap below its heap.
func compareWindow(t *testing.T, step string, p *mm.Task, base uint64, window int64, st oracleVMAStep) {
	t.Helper()
	end := base + uint64(window)*procPage
	var got []oracleVMA
	var flags, names []string
	for _, v := range p.MM.VMAs() {
		if v.End <= base || v.Start >= end {
			continue
		}
		lo, hi := max(v.Start, base), min(v.End, end)
		got = append(got, oracleVMA{int64((lo - base) / procPage), int64((hi - base) / procPage), v.Flags.Perms()})
		flags = append(flags, v.Flags.Mnemonics())
		names = append(names, v.Name())
	}
	if fmt.Sprint(got) != fmt.Sprint(st.VMAs) {
		t.Errorf("%s: VMAs %v, the kernel's %v", step, got, st.VMAs)
		return
	}
	key := fmt.Sprintf("%s/%d", st.Scenario, st.Step)
	if !oracleVMAKnownDiffs[key] && strings.Join(flags, "|") != strings.Join(st.VMFlags, "|") {
		t.Errorf("%s: VmFlags %q, the kernel's %q", step, flags, st.VMFlags)
	}
	if strings.Join(names, "|") != strings.Join(st.Names, "|") {
		t.Errorf("%s: names %q, the kernel's %q", step, names, st.Names)
	}
}

// oracleFaultScenario is one line of faults.jsonl.
type oracleFaultScenario struct {
	Meta     bool   `json:"meta"`
	N        int    `json:"N"`
	K        int    `json:"K"`
	Scenario string `json:"scenario"`
	Desc     string `json:"desc"`
	Params   struct {
		N int `json:"N"`
		K int `json:"K"`
	} `json:"params"`
	Metrics map[string]struct {
		Value  int64 `json:"value"`
		Stable bool  `json:"stable"`
	} `json:"metrics"`
}

// faultEnv is what a fault scenario runs in: a fresh machine and process.
type faultEnv struct {
	t    *testing.T
	m    *kernelmodel.Machine
	p    *mm.Task
	n, k uint64
	got  map[string]int64
}

// anon maps n private anonymous pages with prot.
func (e *faultEnv) anon(n uint64, prot int) uint64 {
	return procMmap(e.t, e.m, e.p, procAnon(0, n, prot, mm.MapPrivate))
}

// touch accesses n pages from va as task t and returns the minor faults
// that took (majors must not happen: they are counted separately).
func (e *faultEnv) touch(t *mm.Task, va, n uint64, acc tlb.Access) int64 {
	e.t.Helper()
	before := t.MinFlt
	procTouch(e.t, e.m, t, va, n, acc)
	return int64(t.MinFlt - before)
}

// one makes one access that may fail and returns its si_code and the
// minor faults it cost.
func (e *faultEnv) one(va uint64, acc tlb.Access) (code, minflt int64) {
	e.t.Helper()
	before := e.p.MinFlt
	err := procAccess(e.t, e.m, e.p, va, acc)
	return int64(procSigCode(e.t, err)), int64(e.p.MinFlt - before)
}

// The scenarios of faults.jsonl, by name: each fills env.got with the
// oracle's metrics, measured on the model.
var oracleFaultReplays = map[string]func(e *faultEnv){
	"anon_write_each_page": func(e *faultEnv) {
		a := e.anon(e.n, mm.ProtRead|mm.ProtWrite)
		e.got["write_minflt"] = e.touch(e.p, a, e.n, tlb.Write)
		e.got["majflt"] = int64(e.p.MajFlt)
	},
	"anon_write_twice": func(e *faultEnv) {
		a := e.anon(e.n, mm.ProtRead|mm.ProtWrite)
		e.got["write1_minflt"] = e.touch(e.p, a, e.n, tlb.Write)
		e.got["write2_minflt"] = e.touch(e.p, a, e.n, tlb.Write)
		e.got["majflt"] = int64(e.p.MajFlt)
	},
	"anon_read_each_page": func(e *faultEnv) {
		a := e.anon(e.n, mm.ProtRead|mm.ProtWrite)
		e.got["read_minflt"] = e.touch(e.p, a, e.n, tlb.Read)
		e.got["majflt"] = int64(e.p.MajFlt)
		pfns := map[uint64]bool{}
		for i := uint64(0); i < e.n; i++ {
			if _, pfn, ok := procPTE(e.m, e.p, a+i*procPage); ok {
				e.got["present_pages"]++
				pfns[pfn] = true
			}
		}
		e.got["distinct_pfns"] = int64(len(pfns))
	},
	"anon_read_then_write": func(e *faultEnv) {
		a := e.anon(e.n, mm.ProtRead|mm.ProtWrite)
		e.got["read_minflt"] = e.touch(e.p, a, e.n, tlb.Read)
		e.got["write_minflt"] = e.touch(e.p, a, e.n, tlb.Write)
		e.got["majflt"] = int64(e.p.MajFlt)
		pfns := map[uint64]bool{}
		for _, pfn := range procPFNs(e.m, e.p, a, e.n) {
			pfns[pfn] = true
		}
		e.got["distinct_pfns_after_write"] = int64(len(pfns))
	},
	"segv_touch_after_munmap": func(e *faultEnv) {
		a := e.anon(e.n, mm.ProtRead|mm.ProtWrite)
		e.got["write_minflt"] = e.touch(e.p, a, e.n, tlb.Write)
		if err := e.m.Procs.Munmap(e.p, a, e.n*procPage); err != nil {
			e.t.Fatal(err)
		}
		procCheck(e.t, e.m, "munmap")
		old := a + e.k*procPage
		e.got["write_after_munmap_sicode"], e.got["write_after_munmap_minflt"] = e.one(old, tlb.Write)
		e.got["read_after_munmap_sicode"], e.got["read_after_munmap_minflt"] = e.one(old, tlb.Read)
	},
	"segv_write_readonly_mapping": func(e *faultEnv) {
		a := e.anon(e.n, mm.ProtRead)
		e.got["write_ro_sicode"], e.got["write_ro_minflt"] = e.one(a, tlb.Write)
		e.got["read_ro_sicode"], e.got["read_ro_minflt"] = e.one(a, tlb.Read)
		e.got["write_ro_after_read_sicode"], e.got["write_ro_after_read_minflt"] = e.one(a, tlb.Write)
	},
	"brk_heap_write": func(e *faultEnv) {
		s, p := e.m.Procs, e.p
		start := p.MM.Brk
		if got := s.Brk(p, start+e.n*procPage); got != start+e.n*procPage {
			e.t.Fatalf("brk(%#x) = %#x", start+e.n*procPage, got)
		}
		procCheck(e.t, e.m, "brk")
		e.got["write_minflt"] = e.touch(p, start, e.n, tlb.Write)
	},
	"fork_child_writes_first_child_alive": func(e *faultEnv) {
		p := e.p
		a := e.anon(e.n, mm.ProtRead|mm.ProtWrite)
		e.touch(p, a, e.n, tlb.Write)
		before := procPFNs(e.m, p, a, e.n)
		for _, pfn := range before {
			if e.m.Phys.Mapcount(phys.PFN(pfn)) == 1 {
				e.got["parent_excl_pages_before_fork"]++
			}
		}
		c := procFork(e.t, e.m, p)
		procRun(e.t, e.m, c)
		e.got["child_pass1_minflt"] = e.touch(c, a, e.k, tlb.Write)
		e.got["child_majflt"] = int64(c.MajFlt)
		for i, pfn := range procPFNs(e.m, c, a, e.n) {
			if pfn != before[i] {
				e.got["child_pages_with_new_pfn"]++
			}
		}
		procRun(e.t, e.m, p)
		maj := p.MajFlt
		e.got["parent_minflt"] = e.touch(p, a, e.n, tlb.Write)
		e.got["parent_majflt"] = int64(p.MajFlt - maj)
		for i, pfn := range procPFNs(e.m, p, a, e.n) {
			if pfn != before[i] {
				e.got["parent_pages_with_new_pfn"]++
			}
		}
		// rusage_children_minflt_total is not replayed: it is the
		// child's faults plus those of a real process's fork, exit and
		// libc, which the model does not have.
		procExitWait(e.t, e.m, c)
	},
}

// oracleFaultSkipped are metrics the model cannot measure, with why.
var oracleFaultSkipped = map[string]string{
	"rusage_children_minflt_total": "includes the real child's exec/exit overhead",
}

// TestProcOracleFaults replays every scenario of faults.jsonl on fresh
// x86 and x86_64 processes and compares each metric with the kernel's.
func TestProcOracleFaults(t *testing.T) {
	recs := procReadJSONL(t, "faults.jsonl")
	var meta oracleFaultScenario
	if err := json.Unmarshal(recs[0], &meta); err != nil || !meta.Meta || meta.N <= 0 || meta.K <= 0 {
		t.Fatalf("faults.jsonl: the first line is not the meta line: %s (%v)", recs[0], err)
	}
	for _, line := range procLines {
		for _, r := range recs[1:] {
			var sc oracleFaultScenario
			if err := json.Unmarshal(r, &sc); err != nil {
				t.Fatalf("faults.jsonl: %v in %s", err, r)
			}
			t.Run(strings.Fields(line)[0]+"/"+sc.Scenario, func(t *testing.T) {
				replay, ok := oracleFaultReplays[sc.Scenario]
				if !ok {
					t.Fatalf("no replay for the oracle scenario %q (%s)", sc.Scenario, sc.Desc)
				}
				n, k := meta.N, meta.K
				if sc.Params.N != 0 {
					n, k = sc.Params.N, sc.Params.K
				}
				m := procBoot(t, line)
				e := &faultEnv{t: t, m: m, p: procSpawn(t, m, "oracle"), n: uint64(n), k: uint64(k), got: map[string]int64{}}
				replay(e)
				procCheck(t, m, sc.Scenario)
				for name, want := range sc.Metrics {
					if _, skip := oracleFaultSkipped[name]; skip {
						continue
					}
					got, ok := e.got[name]
					if !ok {
						t.Errorf("metric %s: not measured by the replay", name)
						continue
					}
					if got != want.Value {
						t.Errorf("metric %s = %d, the kernel's is %d", name, got, want.Value)
					}
				}
			})
		}
	}
}
