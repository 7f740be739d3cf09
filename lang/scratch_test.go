package lang

import (
	"fmt"
	"testing"
)

func TestScratch(t *testing.T) {
	fmt.Println(Grammar())
	for _, s := range []string{
		"machine x86 mem=64M\ncache c = kmem_cache_create(\"task_struct\", 1792, SLAB_HWCACHE_ALIGN)\np = kmalloc(28, GFP_ATOMIC)\nfork\ntouch addr\ntouch a + 4096 write\nshow buddyinfo\nshow kmem -S \"x\"\nint 0x80\nint3\nint n = 5\nif x { a } else if y { b } else { c }\n",
		"x = ", "if x {\n", "x = 1 2", "f(", "print \"abc", "x = @", "1 2", "not a == b", "a < b < c", "x = 0755", "}", "else {}",
	} {
		f, err := Parse("t.mms", s)
		if err != nil {
			fmt.Println("ERR", err)
			continue
		}
		for _, st := range f.Stmts {
			fmt.Printf("%T %q\n", st, f.Text(st))
		}
	}
}
