package kernelmodel_test

import (
	"errors"
	"strings"
	"testing"

	"mmsim/kernelmodel"
)

// settings splits "k=v k=v" into settings.
func settings(t *testing.T, line string) []kernelmodel.Setting {
	t.Helper()
	var out []kernelmodel.Setting
	for _, f := range strings.Fields(line) {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			t.Fatalf("bad setting %q in test table", f)
		}
		out = append(out, kernelmodel.Setting{Key: k, Value: v})
	}
	return out
}

func defaultX86() kernelmodel.Config {
	return kernelmodel.Config{
		Arch: kernelmodel.X86, Mem: kernelmodel.GiB, CPUs: 2, Swap: 0, Slab: "slub", Kernel: 0,
		Policy: "linux", TLB: 64, Seed: 1, Debug: false, Paging: "2level", Highmem: true, Split: "3G",
	}
}

func defaultX86_64() kernelmodel.Config {
	return kernelmodel.Config{
		Arch: kernelmodel.X86_64, Mem: kernelmodel.GiB, CPUs: 2, Slab: "slub",
		Policy: "linux", TLB: 64, Seed: 1, Paging: "4level", Highmem: true,
	}
}

func TestDefaultConfig(t *testing.T) {
	c := kernelmodel.DefaultConfig()
	if c != defaultX86() {
		t.Errorf("DefaultConfig() = %+v, want %+v", c, defaultX86())
	}
	if got, want := c.String(), "machine x86 mem=1G cpus=2"; got != want {
		t.Errorf("DefaultConfig().String() = %q, want %q", got, want)
	}
}

func TestNewConfig(t *testing.T) {
	const (
		M = kernelmodel.MiB
		G = kernelmodel.GiB
		T = kernelmodel.TiB
	)
	tests := []struct {
		arch kernelmodel.Arch
		line string
		edit func(c *kernelmodel.Config) // applied to the arch's defaults
	}{
		{"x86", "", func(c *kernelmodel.Config) {}},
		{"x86_64", "", func(c *kernelmodel.Config) {}},
		// mem, with every way of writing a size
		{"x86", "mem=64M", func(c *kernelmodel.Config) { c.Mem = 64 * M }},
		{"x86", "mem=64m", func(c *kernelmodel.Config) { c.Mem = 64 * M }},
		{"x86", "mem=65536K", func(c *kernelmodel.Config) { c.Mem = 64 * M }},
		{"x86", "mem=65536k", func(c *kernelmodel.Config) { c.Mem = 64 * M }},
		{"x86", "mem=0x4000000", func(c *kernelmodel.Config) { c.Mem = 64 * M }},
		{"x86", "mem=67108864", func(c *kernelmodel.Config) { c.Mem = 64 * M }},
		{"x86", "mem=1_024M", func(c *kernelmodel.Config) { c.Mem = G }},
		{"x86", "mem=2g", func(c *kernelmodel.Config) { c.Mem = 2 * G }},
		{"x86", "mem=4M", func(c *kernelmodel.Config) { c.Mem = 4 * M }},
		{"x86", "mem=4100K", func(c *kernelmodel.Config) { c.Mem = 4100 * kernelmodel.KiB }},
		{"x86", "mem=4G", func(c *kernelmodel.Config) { c.Mem = 4 * G }},
		{"x86_64", "mem=1T", func(c *kernelmodel.Config) { c.Mem = T }},
		{"x86_64", "mem=1t", func(c *kernelmodel.Config) { c.Mem = T }},
		{"x86_64", "mem=4M", func(c *kernelmodel.Config) { c.Mem = 4 * M }},
		// cpus and tlb, at their bounds
		{"x86", "cpus=1", func(c *kernelmodel.Config) { c.CPUs = 1 }},
		{"x86", "cpus=64", func(c *kernelmodel.Config) { c.CPUs = 64 }},
		{"x86", "tlb=1", func(c *kernelmodel.Config) { c.TLB = 1 }},
		{"x86", "tlb=4096", func(c *kernelmodel.Config) { c.TLB = 4096 }},
		// swap and kernel
		{"x86", "swap=512M", func(c *kernelmodel.Config) { c.Swap = 512 * M }},
		{"x86", "swap=0", func(c *kernelmodel.Config) { c.Swap = 0 }},
		{"x86", "kernel=8M", func(c *kernelmodel.Config) { c.Kernel = 8 * M }},
		{"x86", "kernel=0", func(c *kernelmodel.Config) { c.Kernel = 0 }},
		{"x86", "kernel=1022M", func(c *kernelmodel.Config) { c.Kernel = 1022 * M }},
		// slab, policy
		{"x86", "slab=slab", func(c *kernelmodel.Config) { c.Slab = "slab" }},
		{"x86", "slab=slub", func(c *kernelmodel.Config) {}},
		{"x86", "policy=fifo", func(c *kernelmodel.Config) { c.Policy = "fifo" }},
		{"x86", "policy=lru", func(c *kernelmodel.Config) { c.Policy = "lru" }},
		{"x86", "policy=clock", func(c *kernelmodel.Config) { c.Policy = "clock" }},
		{"x86", "policy=opt", func(c *kernelmodel.Config) { c.Policy = "opt" }},
		{"x86", "policy=linux", func(c *kernelmodel.Config) {}},
		// seed
		{"x86", "seed=0", func(c *kernelmodel.Config) { c.Seed = 0 }},
		{"x86", "seed=42", func(c *kernelmodel.Config) { c.Seed = 42 }},
		{"x86", "seed=-5", func(c *kernelmodel.Config) { c.Seed = -5 }},
		{"x86", "seed=0x10", func(c *kernelmodel.Config) { c.Seed = 16 }},
		{"x86", "seed=9223372036854775807", func(c *kernelmodel.Config) { c.Seed = 1<<63 - 1 }},
		// debug and highmem: every spelling of on and off
		{"x86", "debug=on", func(c *kernelmodel.Config) { c.Debug = true }},
		{"x86", "debug=true", func(c *kernelmodel.Config) { c.Debug = true }},
		{"x86", "debug=yes", func(c *kernelmodel.Config) { c.Debug = true }},
		{"x86", "debug=1", func(c *kernelmodel.Config) { c.Debug = true }},
		{"x86", "debug=off", func(c *kernelmodel.Config) {}},
		{"x86", "debug=false", func(c *kernelmodel.Config) {}},
		{"x86", "debug=no", func(c *kernelmodel.Config) {}},
		{"x86", "debug=0", func(c *kernelmodel.Config) {}},
		{"x86", "highmem=off", func(c *kernelmodel.Config) { c.Highmem = false }},
		{"x86", "highmem=on", func(c *kernelmodel.Config) {}},
		// paging
		{"x86", "paging=2level", func(c *kernelmodel.Config) {}},
		{"x86", "paging=pae", func(c *kernelmodel.Config) { c.Paging = "pae" }},
		{"x86", "paging=pae mem=64G", func(c *kernelmodel.Config) { c.Paging, c.Mem = "pae", 64*G }},
		{"x86", "mem=8G paging=pae", func(c *kernelmodel.Config) { c.Paging, c.Mem = "pae", 8*G }},
		{"x86_64", "paging=4level", func(c *kernelmodel.Config) {}},
		{"x86_64", "paging=5level", func(c *kernelmodel.Config) { c.Paging = "5level" }},
		// split, upper-cased
		{"x86", "split=3G", func(c *kernelmodel.Config) {}},
		{"x86", "split=2G", func(c *kernelmodel.Config) { c.Split = "2G" }},
		{"x86", "split=1g", func(c *kernelmodel.Config) { c.Split = "1G" }},
		// everything at once
		{"x86", "mem=8G paging=pae cpus=4 swap=1G slab=slab kernel=16M policy=clock tlb=128 seed=7 debug=on highmem=off split=2G",
			func(c *kernelmodel.Config) {
				*c = kernelmodel.Config{Arch: "x86", Mem: 8 * G, CPUs: 4, Swap: G, Slab: "slab", Kernel: 16 * M,
					Policy: "clock", TLB: 128, Seed: 7, Debug: true, Paging: "pae", Highmem: false, Split: "2G"}
			}},
	}
	for _, tt := range tests {
		t.Run(string(tt.arch)+" "+tt.line, func(t *testing.T) {
			got, err := kernelmodel.NewConfig(tt.arch, settings(t, tt.line))
			if err != nil {
				t.Fatalf("NewConfig: %v", err)
			}
			want := defaultX86()
			if tt.arch == kernelmodel.X86_64 {
				want = defaultX86_64()
			}
			tt.edit(&want)
			if got != want {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestNewConfigErrors(t *testing.T) {
	tests := []struct {
		arch  kernelmodel.Arch
		line  string
		index int
		msg   string // the whole message, or a prefix ending in "..."
	}{
		// the architecture
		{"arm", "", -1, `unknown architecture "arm" (want x86 or x86_64)`},
		{"", "", -1, `unknown architecture "" (want x86 or x86_64)`},
		{"X86", "mem=64M", -1, `unknown architecture "X86" (want x86 or x86_64)`},
		{"x86-64", "", -1, `unknown architecture "x86-64" (want x86 or x86_64)`},
		// duplicates: the second occurrence is at fault
		{"x86", "mem=64M mem=128M", 1, "mem is set twice"},
		{"x86", "cpus=2 mem=64M cpus=4", 2, "cpus is set twice"},
		{"x86", "debug=on debug=on", 1, "debug is set twice"},
		// unknown keys
		{"x86", "foo=1", 0, `unknown machine setting "foo" (settings: cpus, debug, highmem, kernel, mem, paging, policy, seed, slab, split, swap, tlb)`},
		{"x86", "mem=64M Mem=64M", 1, `unknown machine setting "Mem" ...`},
		// sizes
		{"x86", "mem=abc", 0, "mem=abc: not a size (write for example 64M or 1G)"},
		{"x86", "mem=", 0, "mem=: not a size (write for example 64M or 1G)"},
		{"x86", "mem=M", 0, "mem=M: not a size (write for example 64M or 1G)"},
		{"x86", "mem=1.5G", 0, "mem=1.5G: not a size (write for example 64M or 1G)"},
		{"x86", "mem=-1G", 0, "mem=-1G: not a size (write for example 64M or 1G)"},
		{"x86", "mem=64KB", 0, "mem=64KB: not a size (write for example 64M or 1G)"},
		{"x86", "mem=010M", 0, "mem=010M: not a size (write for example 64M or 1G)"},
		{"x86_64", "mem=16777216T", 0, "mem=16777216T: size is too large"},
		{"x86", "swap=lots", 0, "swap=lots: not a size (write for example 64M or 1G)"},
		{"x86", "kernel=big", 0, "kernel=big: not a size (write for example 64M or 1G)"},
		// memory bounds 4M..1T
		{"x86", "mem=2M", 0, "mem=2M: memory must be between 4M and 1T"},
		{"x86", "mem=4092K", 0, "mem=4092K: memory must be between 4M and 1T"},
		{"x86", "mem=0", 0, "mem=0: memory must be between 4M and 1T"},
		{"x86_64", "mem=1025G", 0, "mem=1025G: memory must be between 4M and 1T"},
		{"x86_64", "mem=2T", 0, "mem=2T: memory must be between 4M and 1T"},
		{"x86", "cpus=1 mem=2M", 1, "mem=2M: memory must be between 4M and 1T"},
		// whole pages
		{"x86", "mem=4194305", 0, "mem=4194305: memory must be a whole number of 4K pages"},
		{"x86", "mem=4097K", 0, "mem=4195328: memory must be a whole number of 4K pages"},
		{"x86", "swap=1000", 0, "swap=1000: swap must be a whole number of 4K pages"},
		{"x86", "swap=6K", 0, "swap=6144: swap must be a whole number of 4K pages"},
		{"x86", "kernel=1000", 0, "kernel=1000: the kernel image must be whole pages and fit in memory above the first 1M"},
		{"x86", "kernel=1023M", 0, "kernel=1023M: the kernel image must be whole pages and fit in memory above the first 1M"},
		{"x86", "kernel=64M mem=64M", 0, "kernel=64M: the kernel image must be whole pages and fit in memory above the first 1M"},
		{"x86", "mem=64M kernel=63M", 1, "kernel=63M: the kernel image must be whole pages and fit in memory above the first 1M"},
		// cpus, tlb
		{"x86", "cpus=0", 0, "cpus=0: a machine has 1 to 64 CPUs"},
		{"x86", "cpus=65", 0, "cpus=65: a machine has 1 to 64 CPUs"},
		{"x86", "cpus=-1", 0, "cpus=-1: a machine has 1 to 64 CPUs"},
		{"x86", "cpus=two", 0, "cpus=two: want a number"},
		{"x86", "cpus=0x2", 0, "cpus=0x2: want a number"},
		{"x86", "tlb=0", 0, "tlb=0: a TLB has 1 to 4096 entries"},
		{"x86", "tlb=4097", 0, "tlb=4097: a TLB has 1 to 4096 entries"},
		{"x86", "tlb=many", 0, "tlb=many: want a number"},
		// seed
		{"x86", "seed=x", 0, "seed=x: want an integer"},
		{"x86", "seed=1.5", 0, "seed=1.5: want an integer"},
		{"x86", "seed=010", 0, "seed=010: want an integer"},
		{"x86", "seed=99999999999999999999", 0, "seed=99999999999999999999: want an integer"},
		// words
		{"x86", "slab=slob", 0, "slab=slob: want slub or slab"},
		{"x86", "slab=SLUB", 0, "slab=SLUB: want slub or slab"},
		{"x86", "policy=random", 0, "policy=random: want linux, fifo, lru, clock or opt"},
		{"x86", "debug=maybe", 0, "debug=maybe: want on or off"},
		{"x86", "highmem=2", 0, "highmem=2: want on or off"},
		// x86 paging and its memory limits
		{"x86", "paging=4level", 0, "paging=4level: x86 paging is 2level or pae"},
		{"x86", "paging=PAE", 0, "paging=PAE: x86 paging is 2level or pae"},
		{"x86", "mem=8G", 0, "mem=8G: 32-bit x86 without PAE addresses at most 4G (use paging=pae for up to 64G)"},
		{"x86", "paging=2level cpus=4 mem=5G", 2, "mem=5G: 32-bit x86 without PAE addresses at most 4G (use paging=pae for up to 64G)"},
		{"x86", "paging=pae mem=128G", 1, "mem=128G: x86 with PAE addresses at most 64G"},
		{"x86", "split=4G", 0, "split=4G: the user/kernel split is 3G, 2G or 1G"},
		{"x86", "split=3g1", 0, "split=3G1: the user/kernel split is 3G, 2G or 1G"},
		// x86_64
		{"x86_64", "paging=pae", 0, "paging=pae: x86_64 paging is 4level or 5level"},
		{"x86_64", "paging=2level", 0, "paging=2level: x86_64 paging is 4level or 5level"},
		{"x86_64", "split=3G", 0, "split applies to x86 only"},
		{"x86_64", "mem=8G split=2G", 1, "split applies to x86 only"},
		{"x86_64", "highmem=on", 0, "highmem applies to x86 only: x86_64 has no highmem"},
		{"x86_64", "cpus=4 highmem=off", 1, "highmem applies to x86 only: x86_64 has no highmem"},
	}
	for _, tt := range tests {
		t.Run(string(tt.arch)+" "+tt.line, func(t *testing.T) {
			_, err := kernelmodel.NewConfig(tt.arch, settings(t, tt.line))
			if err == nil {
				t.Fatalf("NewConfig succeeded, want error %q", tt.msg)
			}
			var ce *kernelmodel.ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error %v is a %T, want *ConfigError", err, err)
			}
			if ce.Index != tt.index {
				t.Errorf("Index = %d, want %d (%v)", ce.Index, tt.index, err)
			}
			if ce.Error() != ce.Msg {
				t.Errorf("Error() = %q, Msg = %q", ce.Error(), ce.Msg)
			}
			if p, ok := strings.CutSuffix(tt.msg, "..."); ok {
				if !strings.HasPrefix(err.Error(), p) {
					t.Errorf("error %q, want it to start with %q", err, p)
				}
			} else if err.Error() != tt.msg {
				t.Errorf("error %q, want %q", err, tt.msg)
			}
		})
	}
}

// parseLine reads a machine line as Config.String writes it.
func parseLine(t *testing.T, line string) (kernelmodel.Config, error) {
	t.Helper()
	f := strings.Fields(line)
	if len(f) < 2 || f[0] != "machine" {
		t.Fatalf("%q is not a machine line", line)
	}
	return kernelmodel.NewConfig(kernelmodel.Arch(f[1]), settings(t, strings.Join(f[2:], " ")))
}

func TestConfigStringRoundTrip(t *testing.T) {
	tests := []struct {
		arch kernelmodel.Arch
		line string
		want string // canonical machine line
	}{
		{"x86", "", "machine x86 mem=1G cpus=2"},
		{"x86_64", "", "machine x86_64 mem=1G cpus=2"},
		{"x86", "cpus=2 mem=1024M slab=slub policy=linux tlb=64 seed=1 debug=off highmem=on split=3G paging=2level",
			"machine x86 mem=1G cpus=2"},
		{"x86", "mem=64M", "machine x86 mem=64M cpus=2"},
		{"x86", "mem=4100K cpus=1", "machine x86 mem=4100K cpus=1"},
		{"x86", "mem=0x4000000", "machine x86 mem=64M cpus=2"},
		{"x86", "paging=pae mem=16G", "machine x86 mem=16G cpus=2 paging=pae"},
		{"x86", "split=1g highmem=off", "machine x86 mem=1G cpus=2 split=1G highmem=off"},
		{"x86", "swap=256M slab=slab", "machine x86 mem=1G cpus=2 swap=256M slab=slab"},
		{"x86", "kernel=12M policy=opt tlb=8", "machine x86 mem=1G cpus=2 kernel=12M policy=opt tlb=8"},
		{"x86", "seed=0 debug=yes", "machine x86 mem=1G cpus=2 seed=0 debug=on"},
		{"x86", "seed=-3", "machine x86 mem=1G cpus=2 seed=-3"},
		{"x86_64", "mem=8G paging=5level cpus=64", "machine x86_64 mem=8G cpus=64 paging=5level"},
		{"x86_64", "mem=1T paging=4level", "machine x86_64 mem=1T cpus=2"},
		{"x86_64", "mem=3000M swap=1536M", "machine x86_64 mem=3000M cpus=2 swap=1536M"},
		{"x86", "mem=8G paging=pae cpus=4 swap=1G slab=slab kernel=16M policy=clock tlb=128 seed=7 debug=on highmem=off split=2G",
			"machine x86 mem=8G cpus=4 paging=pae split=2G highmem=off swap=1G slab=slab kernel=16M policy=clock tlb=128 seed=7 debug=on"},
	}
	for _, tt := range tests {
		t.Run(string(tt.arch)+" "+tt.line, func(t *testing.T) {
			c, err := kernelmodel.NewConfig(tt.arch, settings(t, tt.line))
			if err != nil {
				t.Fatal(err)
			}
			s := c.String()
			if s != tt.want {
				t.Errorf("String() = %q, want %q", s, tt.want)
			}
			back, err := parseLine(t, s)
			if err != nil {
				t.Fatalf("NewConfig(String()) = %v", err)
			}
			if back != c {
				t.Errorf("round trip through %q:\ngot  %+v\nwant %+v", s, back, c)
			}
			if back.String() != s {
				t.Errorf("second String() = %q, want %q", back.String(), s)
			}
		})
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
		err  string
	}{
		{"0", 0, ""},
		{"1", 1, ""},
		{"4096", 4096, ""},
		{"4K", 4 << 10, ""},
		{"4k", 4 << 10, ""},
		{"64M", 64 << 20, ""},
		{"64m", 64 << 20, ""},
		{"1G", 1 << 30, ""},
		{"1g", 1 << 30, ""},
		{"1T", 1 << 40, ""},
		{"1t", 1 << 40, ""},
		{"0K", 0, ""},
		{"1_024", 1024, ""},
		{"1_024K", 1 << 20, ""},
		{"0x1000", 4096, ""},
		{"0X10K", 16 << 10, ""},
		{"0x10M", 16 << 20, ""},
		{"0b100", 4, ""},
		{"0o17", 15, ""},
		{"16777215T", 16777215 << 40, ""},
		{"18446744073709551615", 1<<64 - 1, ""},
		{"", 0, "not a size (write for example 64M or 1G)"},
		{"K", 0, "not a size (write for example 64M or 1G)"},
		{"abc", 0, "not a size (write for example 64M or 1G)"},
		{"-1", 0, "not a size (write for example 64M or 1G)"},
		{"+1", 0, "not a size (write for example 64M or 1G)"},
		{"1.5G", 0, "not a size (write for example 64M or 1G)"},
		{"4KB", 0, "not a size (write for example 64M or 1G)"},
		{"4 K", 0, "not a size (write for example 64M or 1G)"},
		{"4P", 0, "not a size (write for example 64M or 1G)"},
		{"010", 0, "not a size (write for example 64M or 1G)"},
		{"010M", 0, "not a size (write for example 64M or 1G)"},
		{"00", 0, "not a size (write for example 64M or 1G)"},
		{"18446744073709551616", 0, "not a size (write for example 64M or 1G)"},
		{"16777216T", 0, "size is too large"},
		{"0xffffffffffffffffK", 0, "size is too large"},
	}
	for _, tt := range tests {
		got, err := kernelmodel.ParseSize(tt.in)
		switch {
		case tt.err != "" && err == nil:
			t.Errorf("ParseSize(%q) = %d, want error %q", tt.in, got, tt.err)
		case tt.err != "" && err.Error() != tt.err:
			t.Errorf("ParseSize(%q) error = %q, want %q", tt.in, err, tt.err)
		case tt.err == "" && err != nil:
			t.Errorf("ParseSize(%q) error = %v", tt.in, err)
		case tt.err == "" && got != tt.want:
			t.Errorf("ParseSize(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestFormatSize(t *testing.T) {
	tests := []struct {
		in   uint64
		want string
	}{
		{0, "0"},
		{1, "1"},
		{1000, "1000"},
		{1023, "1023"},
		{1024, "1K"},
		{1536, "1536"},
		{4096, "4K"},
		{4100 << 10, "4100K"},
		{1 << 20, "1M"},
		{3 << 19, "1536K"},
		{64 << 20, "64M"},
		{1 << 30, "1G"},
		{3000 << 20, "3000M"},
		{4 << 30, "4G"},
		{1 << 40, "1T"},
		{2048 << 40, "2048T"},
		{1<<64 - 1, "18446744073709551615"},
	}
	for _, tt := range tests {
		got := kernelmodel.FormatSize(tt.in)
		if got != tt.want {
			t.Errorf("FormatSize(%d) = %q, want %q", tt.in, got, tt.want)
		}
		back, err := kernelmodel.ParseSize(got)
		if err != nil || back != tt.in {
			t.Errorf("ParseSize(FormatSize(%d)) = %d, %v", tt.in, back, err)
		}
	}
}

func TestKeys(t *testing.T) {
	// Every key in Keys is accepted by NewConfig on some architecture, and
	// the list is sorted.
	valid := map[string]string{
		"cpus": "4", "debug": "on", "highmem": "off", "kernel": "4M", "mem": "64M", "paging": "pae",
		"policy": "lru", "seed": "3", "slab": "slab", "split": "2G", "swap": "64M", "tlb": "16",
	}
	for i, k := range kernelmodel.Keys {
		if i > 0 && kernelmodel.Keys[i-1] >= k {
			t.Errorf("Keys is not sorted at %q", k)
		}
		v, ok := valid[k]
		if !ok {
			t.Errorf("key %q has no test value", k)
			continue
		}
		if _, err := kernelmodel.NewConfig(kernelmodel.X86, []kernelmodel.Setting{{Key: k, Value: v}}); err != nil {
			t.Errorf("%s=%s: %v", k, v, err)
		}
	}
	if len(valid) != len(kernelmodel.Keys) {
		t.Errorf("Keys = %v, want the %d keys of the test table", kernelmodel.Keys, len(valid))
	}
}
