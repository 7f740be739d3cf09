// Package kernelmodel is a model of Linux memory management: one machine
// with its physical memory, allocators, page tables, processes and reclaim.
// Each subsystem lives in a subpackage named after the kernel's; Machine
// boots a configuration and owns them all.
//
// kernelmodel is a Go library in its own right and imports only the
// standard library. Every operation a script can do is a method whose doc
// comment names the kernel function it models.
package kernelmodel

import (
	"fmt"
	"math/bits"
	"strconv"
	"strings"
)

// Arch is a machine architecture.
type Arch string

const (
	X86    Arch = "x86"    // 32-bit, 2-level paging, or 3-level with paging=pae
	X86_64 Arch = "x86_64" // 64-bit, 4-level paging, or 5-level
)

// Size units.
const (
	KiB = 1 << 10
	MiB = 1 << 20
	GiB = 1 << 30
	TiB = 1 << 40
)

// Config is a machine configuration: the machine line of a script.
type Config struct {
	Arch    Arch
	Mem     uint64 // bytes of RAM
	CPUs    int
	Swap    uint64 // bytes of swap; 0 for none
	Slab    string // "slub" or "slab"
	Kernel  uint64 // kernel image size in bytes; 0 for the arch default
	Policy  string // reclaim policy: linux, fifo, lru, clock, opt
	TLB     int    // TLB entries per CPU
	Seed    int64
	Debug   bool   // slab debugging (poison, red zones)
	Paging  string // x86: "2level" or "pae"; x86_64: "4level" or "5level"
	Highmem bool   // x86 only: false caps RAM at 896 MiB
	Split   string // x86 only: user/kernel split, "3G" (default), "2G" or "1G"
}

// DefaultConfig is the machine a script gets without a machine line:
// x86 mem=1G cpus=2.
func DefaultConfig() Config {
	c, _ := NewConfig(X86, nil)
	return c
}

// ParseConfig reads a machine line given as text, such as "x86_64
// mem=8G" (the word machine is optional), as the command line's --machine
// and Go callers write it.
func ParseConfig(line string) (Config, error) {
	fields := strings.Fields(line)
	if len(fields) > 0 && fields[0] == "machine" {
		fields = fields[1:]
	}
	if len(fields) == 0 {
		return Config{}, fmt.Errorf("empty machine line (want for example \"x86_64 mem=8G\")")
	}
	var settings []Setting
	for _, f := range fields[1:] {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return Config{}, fmt.Errorf("%q is not key=value", f)
		}
		settings = append(settings, Setting{Key: k, Value: v})
	}
	return NewConfig(Arch(fields[0]), settings)
}

// Setting is one key=value of a machine line.
type Setting struct{ Key, Value string }

// ConfigError is a bad machine line; Index is the setting at fault, or -1
// when the architecture itself is wrong.
type ConfigError struct {
	Index int
	Msg   string
}

func (e *ConfigError) Error() string { return e.Msg }

// Keys lists the machine line's keys, sorted.
var Keys = []string{"cpus", "debug", "highmem", "kernel", "mem", "paging", "policy", "seed", "slab", "split", "swap", "tlb"}

// NewConfig builds a configuration from an architecture and settings,
// checking every value. Settings not given take the defaults: mem=1G,
// cpus=2, slab=slub, policy=linux, tlb=64, seed=1.
func NewConfig(arch Arch, settings []Setting) (Config, error) {
	c := Config{Arch: arch, Mem: 1 * GiB, CPUs: 2, Slab: "slub", Policy: "linux", TLB: 64, Seed: 1, Highmem: true}
	switch arch {
	case X86:
		c.Paging, c.Split = "2level", "3G"
	case X86_64:
		c.Paging = "4level"
	default:
		return c, &ConfigError{Index: -1, Msg: fmt.Sprintf("unknown architecture %q (want x86 or x86_64)", string(arch))}
	}
	seen := map[string]bool{}
	for i, s := range settings {
		if seen[s.Key] {
			return c, &ConfigError{Index: i, Msg: fmt.Sprintf("%s is set twice", s.Key)}
		}
		seen[s.Key] = true
		if err := c.set(s.Key, s.Value); err != nil {
			return c, &ConfigError{Index: i, Msg: err.Error()}
		}
	}
	if err := c.validate(seen); err != nil {
		idx := -1
		for i, s := range settings {
			if strings.HasPrefix(err.Error(), s.Key+"=") || strings.HasPrefix(err.Error(), s.Key+" ") {
				idx = i
			}
		}
		return c, &ConfigError{Index: idx, Msg: err.Error()}
	}
	return c, nil
}

func (c *Config) set(key, val string) error {
	bad := func(want string) error { return fmt.Errorf("%s=%s: want %s", key, val, want) }
	switch key {
	case "mem", "swap", "kernel":
		n, err := ParseSize(val)
		if err != nil {
			return fmt.Errorf("%s=%s: %v", key, val, err)
		}
		switch key {
		case "mem":
			c.Mem = n
		case "swap":
			c.Swap = n
		default:
			c.Kernel = n
		}
	case "cpus", "tlb":
		n, err := strconv.Atoi(val)
		if err != nil {
			return bad("a number")
		}
		if key == "cpus" {
			if n < 1 || n > 64 {
				return fmt.Errorf("cpus=%d: a machine has 1 to 64 CPUs", n)
			}
			c.CPUs = n
		} else {
			if n < 1 || n > 4096 {
				return fmt.Errorf("tlb=%d: a TLB has 1 to 4096 entries", n)
			}
			c.TLB = n
		}
	case "seed":
		n, err := strconv.ParseInt(val, 0, 64)
		if err != nil || legacyOctal(strings.TrimPrefix(val, "-")) {
			return bad("an integer")
		}
		c.Seed = n
	case "slab":
		if val != "slub" && val != "slab" {
			return bad("slub or slab")
		}
		c.Slab = val
	case "policy":
		switch val {
		case "linux", "fifo", "lru", "clock", "opt":
		default:
			return bad("linux, fifo, lru, clock or opt")
		}
		c.Policy = val
	case "debug", "highmem":
		b, ok := parseBool(val)
		if !ok {
			return bad("on or off")
		}
		if key == "debug" {
			c.Debug = b
		} else {
			c.Highmem = b
		}
	case "paging":
		c.Paging = val
	case "split":
		c.Split = strings.ToUpper(val)
	default:
		msg := fmt.Sprintf("unknown machine setting %q (settings: %s)", key, strings.Join(Keys, ", "))
		return fmt.Errorf("%s", msg)
	}
	return nil
}

func parseBool(s string) (bool, bool) {
	switch s {
	case "on", "true", "yes", "1":
		return true, true
	case "off", "false", "no", "0":
		return false, true
	}
	return false, false
}

// Validate checks a configuration built in Go, as NewConfig checks the
// settings of a machine line.
func (c Config) Validate() error {
	if _, err := NewConfig(c.Arch, nil); err != nil {
		return err
	}
	switch {
	case c.CPUs < 1 || c.CPUs > 64:
		return fmt.Errorf("cpus=%d: a machine has 1 to 64 CPUs", c.CPUs)
	case c.TLB < 1 || c.TLB > 4096:
		return fmt.Errorf("tlb=%d: a TLB has 1 to 4096 entries", c.TLB)
	case c.Slab != "slub" && c.Slab != "slab":
		return fmt.Errorf("slab=%s: want slub or slab", c.Slab)
	}
	switch c.Policy {
	case "linux", "fifo", "lru", "clock", "opt":
	default:
		return fmt.Errorf("policy=%s: want linux, fifo, lru, clock or opt", c.Policy)
	}
	seen := map[string]bool{
		"split":   c.Arch == X86_64 && c.Split != "",
		"highmem": c.Arch == X86_64 && !c.Highmem,
	}
	return c.validate(seen)
}

// validate checks the settings against each other and the architecture.
func (c *Config) validate(seen map[string]bool) error {
	if c.Mem < 4*MiB || c.Mem > 1*TiB {
		return fmt.Errorf("mem=%s: memory must be between 4M and 1T", FormatSize(c.Mem))
	}
	if c.Mem%(4*KiB) != 0 {
		return fmt.Errorf("mem=%d: memory must be a whole number of 4K pages", c.Mem)
	}
	if c.Swap%(4*KiB) != 0 {
		return fmt.Errorf("swap=%d: swap must be a whole number of 4K pages", c.Swap)
	}
	if c.Kernel != 0 && (c.Kernel%(4*KiB) != 0 || c.Kernel+1*MiB >= c.Mem) {
		return fmt.Errorf("kernel=%s: the kernel image must be whole pages and fit in memory above the first 1M", FormatSize(c.Kernel))
	}
	switch c.Arch {
	case X86:
		switch c.Paging {
		case "2level":
			if c.Mem > 4*GiB {
				return fmt.Errorf("mem=%s: 32-bit x86 without PAE addresses at most 4G (use paging=pae for up to 64G)", FormatSize(c.Mem))
			}
		case "pae":
			if c.Mem > 64*GiB {
				return fmt.Errorf("mem=%s: x86 with PAE addresses at most 64G", FormatSize(c.Mem))
			}
		default:
			return fmt.Errorf("paging=%s: x86 paging is 2level or pae", c.Paging)
		}
		switch c.Split {
		case "3G", "2G", "1G":
		default:
			return fmt.Errorf("split=%s: the user/kernel split is 3G, 2G or 1G", c.Split)
		}
	case X86_64:
		if c.Paging != "4level" && c.Paging != "5level" {
			return fmt.Errorf("paging=%s: x86_64 paging is 4level or 5level", c.Paging)
		}
		if seen["split"] {
			return fmt.Errorf("split applies to x86 only")
		}
		if seen["highmem"] {
			return fmt.Errorf("highmem applies to x86 only: x86_64 has no highmem")
		}
	}
	return nil
}

// ParseSize reads a size: decimal, 0x hex (or 0o, 0b), with an optional K,
// M, G or T suffix (binary units). As in the language's integer literals, a
// leading zero does not mean octal: 010M is an error, not 8M.
func ParseSize(s string) (uint64, error) {
	t := strings.ReplaceAll(s, "_", "")
	shift := 0
	if n := len(t); n > 0 {
		switch t[n-1] {
		case 'K', 'k':
			shift = 10
		case 'M', 'm':
			shift = 20
		case 'G', 'g':
			shift = 30
		case 'T', 't':
			shift = 40
		}
		if shift > 0 {
			t = t[:n-1]
		}
	}
	v, err := strconv.ParseUint(t, 0, 64)
	if err != nil || legacyOctal(t) {
		return 0, fmt.Errorf("not a size (write for example 64M or 1G)")
	}
	hi, lo := bits.Mul64(v, 1<<shift)
	if hi != 0 {
		return 0, fmt.Errorf("size is too large")
	}
	return lo, nil
}

// legacyOctal reports whether s is a number with a leading zero such as
// 010, which strconv's base 0 would read as octal.
func legacyOctal(s string) bool {
	return len(s) > 1 && s[0] == '0' && s[1] >= '0' && s[1] <= '9'
}

// FormatSize prints a size in the largest binary unit that divides it.
func FormatSize(n uint64) string {
	units := []struct {
		size uint64
		name string
	}{{TiB, "T"}, {GiB, "G"}, {MiB, "M"}, {KiB, "K"}}
	for _, u := range units {
		if n != 0 && n%u.size == 0 {
			return strconv.FormatUint(n/u.size, 10) + u.name
		}
	}
	return strconv.FormatUint(n, 10)
}

// String is the configuration as a machine line.
func (c Config) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "machine %s mem=%s cpus=%d", c.Arch, FormatSize(c.Mem), c.CPUs)
	if c.Arch == X86 && c.Paging == "pae" {
		b.WriteString(" paging=pae")
	}
	if c.Arch == X86_64 && c.Paging == "5level" {
		b.WriteString(" paging=5level")
	}
	if c.Arch == X86 && c.Split != "3G" {
		fmt.Fprintf(&b, " split=%s", c.Split)
	}
	if c.Arch == X86 && !c.Highmem {
		b.WriteString(" highmem=off")
	}
	if c.Swap != 0 {
		fmt.Fprintf(&b, " swap=%s", FormatSize(c.Swap))
	}
	if c.Slab != "slub" {
		fmt.Fprintf(&b, " slab=%s", c.Slab)
	}
	if c.Kernel != 0 {
		fmt.Fprintf(&b, " kernel=%s", FormatSize(c.Kernel))
	}
	if c.Policy != "linux" {
		fmt.Fprintf(&b, " policy=%s", c.Policy)
	}
	if c.TLB != 64 {
		fmt.Fprintf(&b, " tlb=%d", c.TLB)
	}
	if c.Seed != 1 {
		fmt.Fprintf(&b, " seed=%d", c.Seed)
	}
	if c.Debug {
		b.WriteString(" debug=on")
	}
	return b.String()
}
