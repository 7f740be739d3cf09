package lang_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"mmsim/lang"
)

// Builders for expected trees. Positions are left zero: astOpts ignores
// them, and TestPositions checks them separately.

func id(name string) *lang.Ident         { return &lang.Ident{Name: name} }
func num(v int64) *lang.IntLit           { return &lang.IntLit{Value: v} }
func addr(v uint64) *lang.IntLit         { return &lang.IntLit{Addr: v, IsAddr: true} }
func str(s string) *lang.StringLit       { return &lang.StringLit{Value: s} }
func boolean(b bool) *lang.BoolLit       { return &lang.BoolLit{Value: b} }
func null() *lang.NullLit                { return &lang.NullLit{} }
func list(xs ...lang.Expr) *lang.ListLit { return &lang.ListLit{Elems: xs} }
func paren(x lang.Expr) *lang.ParenExpr  { return &lang.ParenExpr{X: x} }
func un(op string, x lang.Expr) *lang.UnaryExpr {
	return &lang.UnaryExpr{Op: op, X: x}
}
func bin(x lang.Expr, op string, y lang.Expr) *lang.BinaryExpr {
	return &lang.BinaryExpr{Op: op, X: x, Y: y}
}
func attr(x lang.Expr, name string) *lang.AttrExpr { return &lang.AttrExpr{X: x, Name: name} }
func index(x, i lang.Expr) *lang.IndexExpr         { return &lang.IndexExpr{X: x, Index: i} }
func call(fn lang.Expr, args ...lang.Arg) *lang.CallExpr {
	return &lang.CallExpr{Fn: fn, Args: args}
}
func pa(v lang.Expr) lang.Arg              { return lang.Arg{Value: v} }
func kw(name string, v lang.Expr) lang.Arg { return lang.Arg{Name: name, Value: v} }
func block(ss ...lang.Stmt) *lang.Block {
	if ss == nil {
		ss = []lang.Stmt{}
	}
	return &lang.Block{Stmts: ss}
}
func exprStmt(x lang.Expr) *lang.ExprStmt { return &lang.ExprStmt{X: x} }
func assign(target lang.Expr, op string, v lang.Expr) *lang.AssignStmt {
	return &lang.AssignStmt{Target: target, Op: op, Value: v}
}
func command(name string, args ...lang.Expr) *lang.CommandStmt {
	return &lang.CommandStmt{Name: id(name), Args: args}
}
func mapLit(kvs ...lang.Expr) *lang.MapLit {
	m := &lang.MapLit{}
	for i := 0; i < len(kvs); i += 2 {
		m.Keys = append(m.Keys, kvs[i])
		m.Values = append(m.Values, kvs[i+1])
	}
	return m
}

// astOpts compares trees by structure: positions and spans are ignored
// (positions have their own tests), and nil and empty slices are equal.
var astOpts = cmp.Options{
	cmpopts.IgnoreTypes(lang.Pos{}),
	cmp.FilterPath(func(p cmp.Path) bool {
		sf, ok := p.Last().(cmp.StructField)
		return ok && sf.Name() == "span"
	}, cmp.Ignore()),
	cmpopts.EquateEmpty(),
}

func mustParse(t *testing.T, src string) *lang.File {
	t.Helper()
	f, err := lang.Parse("t.mms", src)
	if err != nil {
		t.Fatalf("Parse(%q): %v", src, err)
	}
	checkSpans(t, f)
	return f
}

func parseStmt(t *testing.T, src string) lang.Stmt {
	t.Helper()
	f := mustParse(t, src)
	if len(f.Stmts) != 1 {
		t.Fatalf("Parse(%q): got %d statements, want 1", src, len(f.Stmts))
	}
	return f.Stmts[0]
}

func parseExpr(t *testing.T, src string) lang.Expr {
	t.Helper()
	s, ok := parseStmt(t, src).(*lang.ExprStmt)
	if !ok {
		t.Fatalf("Parse(%q): got %T, want *lang.ExprStmt", src, s)
	}
	return s.X
}

type stmtCase struct {
	src  string
	want lang.Stmt
}

func runStmtCases(t *testing.T, cases []stmtCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.src, func(t *testing.T) {
			got := parseStmt(t, c.src)
			if reflect.TypeOf(got) != reflect.TypeOf(c.want) {
				t.Fatalf("Parse(%q): got %T, want %T", c.src, got, c.want)
			}
			if d := cmp.Diff(c.want, got, astOpts); d != "" {
				t.Errorf("Parse(%q) mismatch (-want +got):\n%s", c.src, d)
			}
		})
	}
}

func TestParseMachine(t *testing.T) {
	ma := func(k, v string) lang.MachineArg { return lang.MachineArg{Key: k, Value: v} }
	runStmtCases(t, []stmtCase{
		{"machine x86", &lang.MachineStmt{Arch: "x86"}},
		{"machine x86 mem=64M", &lang.MachineStmt{Arch: "x86", Args: []lang.MachineArg{ma("mem", "64M")}}},
		{"machine x86 mem=1G cpus=2 paging=pae", &lang.MachineStmt{Arch: "x86",
			Args: []lang.MachineArg{ma("mem", "1G"), ma("cpus", "2"), ma("paging", "pae")}}},
		// values keep their source text (ints with suffixes, separators, hex),
		// except strings, which are unquoted
		{`machine x86_64 mem=8G paging=5level slab=slub swap=0x10_0000K seed=1_000 policy="clock pro" debug=true tlb=64`,
			&lang.MachineStmt{Arch: "x86_64", Args: []lang.MachineArg{
				ma("mem", "8G"), ma("paging", "5level"), ma("slab", "slub"), ma("swap", "0x10_0000K"),
				ma("seed", "1_000"), ma("policy", "clock pro"), ma("debug", "true"), ma("tlb", "64")}}},
		{"machine x86 debug=false kernel=4M", &lang.MachineStmt{Arch: "x86",
			Args: []lang.MachineArg{ma("debug", "false"), ma("kernel", "4M")}}},
		{"machine x86 mem = 64M", &lang.MachineStmt{Arch: "x86", Args: []lang.MachineArg{ma("mem", "64M")}}},
	})
}

func TestParseAssign(t *testing.T) {
	cases := []stmtCase{
		{"x = 1", assign(id("x"), "=", num(1))},
		{"p = kmalloc(28, GFP_ATOMIC)", assign(id("p"), "=", call(id("kmalloc"), pa(num(28)), pa(id("GFP_ATOMIC"))))},
		{"c.size = 3", assign(attr(id("c"), "size"), "=", num(3))},
		{"regs.eax = 4", assign(attr(id("regs"), "eax"), "=", num(4))},
		{`m["k"] = [1]`, assign(index(id("m"), str("k")), "=", list(num(1)))},
		// A string whose value is an operator stays a string.
		{`x = "-"`, assign(id("x"), "=", str("-"))},
		{`y = ["+", "*", "==", "and"]`, assign(id("y"), "=", list(str("+"), str("*"), str("=="), str("and")))},
		{"a[i][j] += 1", assign(index(index(id("a"), id("i")), id("j")), "+", num(1))},
		{"x = a == b", assign(id("x"), "=", bin(id("a"), "==", id("b")))},
	}
	// every compound operator: Op is the binary operator without "="
	for _, op := range []string{"+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>"} {
		cases = append(cases, stmtCase{"x " + op + "= y + 1", assign(id("x"), op, bin(id("y"), "+", num(1)))})
	}
	runStmtCases(t, cases)
}

func TestParseDecl(t *testing.T) {
	decl := func(typ, name string, v lang.Expr) *lang.DeclStmt {
		return &lang.DeclStmt{Type: typ, Name: id(name), Value: v}
	}
	runStmtCases(t, []stmtCase{
		{`cache c = kmem_cache_create("task_struct", 1792, SLAB_HWCACHE_ALIGN)`,
			decl("cache", "c", call(id("kmem_cache_create"), pa(str("task_struct")), pa(num(1792)), pa(id("SLAB_HWCACHE_ALIGN"))))},
		{"ptr p = kmalloc(8)", decl("ptr", "p", call(id("kmalloc"), pa(num(8))))},
		{"page pg = alloc_pages(GFP_KERNEL, 2)", decl("page", "pg", call(id("alloc_pages"), pa(id("GFP_KERNEL")), pa(num(2))))},
		{"proc t = fork()", decl("proc", "t", call(id("fork")))},
		{"int n = 5", decl("int", "n", num(5))},
		{"int n = int(s)", decl("int", "n", call(id("int"), pa(id("s"))))},
	})
}

func TestParseCalls(t *testing.T) {
	runStmtCases(t, []stmtCase{
		{"f()", exprStmt(call(id("f")))},
		{"f(1, key=v)", exprStmt(call(id("f"), pa(num(1)), kw("key", id("v"))))},
		{`kmem_cache_create("x", 64, align=8, flags=SLAB_HWCACHE_ALIGN | SLAB_POISON)`,
			exprStmt(call(id("kmem_cache_create"), pa(str("x")), pa(num(64)), kw("align", num(8)),
				kw("flags", bin(id("SLAB_HWCACHE_ALIGN"), "|", id("SLAB_POISON")))))},
		// arguments may spread over lines, with a trailing comma
		{"f(\n  1,\n  b=2,\n)", exprStmt(call(id("f"), pa(num(1)), kw("b", num(2))))},
		{"f(a)(b)", exprStmt(call(call(id("f"), pa(id("a"))), pa(id("b"))))},
		{"syscall(NR_brk, 0)", exprStmt(call(id("syscall"), pa(id("NR_brk")), pa(num(0))))},
	})
}

func TestParseCommands(t *testing.T) {
	runStmtCases(t, []stmtCase{
		// a bare name is an expression statement; the runtime calls it
		{"fork", exprStmt(id("fork"))},
		{"exit", exprStmt(id("exit"))},
		{"touch addr", command("touch", id("addr"))},
		{"touch a + 4096 write", command("touch", bin(id("a"), "+", num(4096)), id("write"))},
		{"touch 0x08049000 write", command("touch", num(0x08049000), id("write"))},
		{"kfree p", command("kfree", id("p"))},
		{"switch 2", command("switch", num(2))},
		{"write addr, 42", command("write", id("addr"), num(42))},
		{"write addr 42", command("write", id("addr"), num(42))},
		{`exec "/bin/sh"`, command("exec", str("/bin/sh"))},
		{"kfree(p)", exprStmt(call(id("kfree"), pa(id("p"))))},
		{"touch -x", exprStmt(bin(id("touch"), "-", id("x")))}, // a binary minus, not a flag
		{"munmap p.start, 4K", command("munmap", attr(id("p"), "start"), num(4096))},
		{"f 1 2", command("f", num(1), num(2))},
		{"f 1, 2", command("f", num(1), num(2))},
		{"f 1 -2", command("f", bin(num(1), "-", num(2)))}, // one argument
		{"f -1", exprStmt(bin(id("f"), "-", num(1)))},      // a subtraction
		{"append l 3", command("append", id("l"), num(3))},
		{"show_all x", command("show_all", id("x"))},
		{`touch a "write" {}`, command("touch", id("a"), str("write"), mapLit())},
		{`touch a "write" [1]`, command("touch", id("a"), index(str("write"), num(1)))}, // an index, not a list
	})
}

func TestParseControl(t *testing.T) {
	ifs := func(cond lang.Expr, then *lang.Block, els lang.Stmt) *lang.IfStmt {
		return &lang.IfStmt{Cond: cond, Then: then, Else: els}
	}
	a1 := assign(id("a"), "=", num(1))
	a2 := assign(id("a"), "=", num(2))
	a3 := assign(id("a"), "=", num(3))
	runStmtCases(t, []stmtCase{
		{"if x { a = 1 }", ifs(id("x"), block(a1), nil)},
		{"if x {\n  a = 1\n} else {\n  a = 2\n}", ifs(id("x"), block(a1), block(a2))},
		{"if x { a = 1 } else if y { a = 2 } else { a = 3 }",
			ifs(id("x"), block(a1), ifs(id("y"), block(a2), block(a3)))},
		{"if x { a = 1 } else if y { a = 2 }", ifs(id("x"), block(a1), ifs(id("y"), block(a2), nil))},
		{"if x {}", ifs(id("x"), block(), nil)},
		{"if (PAGE_SIZE << o) < size { a = 1 }", ifs(bin(paren(bin(id("PAGE_SIZE"), "<<", id("o"))), "<", id("size")), block(a1), nil)},
		{"while i < 10 { i += 1 }", &lang.WhileStmt{Cond: bin(id("i"), "<", num(10)), Body: block(assign(id("i"), "+", num(1)))}},
		{"for i in 0..n { print i }", &lang.ForStmt{Vars: []*lang.Ident{id("i")}, Iter: bin(num(0), "..", id("n")),
			Body: block(&lang.PrintStmt{Args: []lang.Expr{id("i")}})}},
		{"for x in [1, 2, 3] {}", &lang.ForStmt{Vars: []*lang.Ident{id("x")}, Iter: list(num(1), num(2), num(3)), Body: block()}},
		{"for k, v in m {}", &lang.ForStmt{Vars: []*lang.Ident{id("k"), id("v")}, Iter: id("m"), Body: block()}},
		{"for i in 1 .. n + 1 {}", &lang.ForStmt{Vars: []*lang.Ident{id("i")}, Iter: bin(num(1), "..", bin(id("n"), "+", num(1))), Body: block()}},
		{"repeat 3 { fork }", &lang.RepeatStmt{Count: num(3), Body: block(exprStmt(id("fork")))}},
		{"while true { break }", &lang.WhileStmt{Cond: boolean(true), Body: block(&lang.BranchStmt{Tok: "break"})}},
		{"repeat n { continue }", &lang.RepeatStmt{Count: id("n"), Body: block(&lang.BranchStmt{Tok: "continue"})}},
		{"for x in l { if x { break } else { continue } }", &lang.ForStmt{Vars: []*lang.Ident{id("x")}, Iter: id("l"),
			Body: block(ifs(id("x"), block(&lang.BranchStmt{Tok: "break"}), block(&lang.BranchStmt{Tok: "continue"})))}},
		{"fn f(a, b) { return a + b }", &lang.FnStmt{Name: id("f"), Params: []*lang.Ident{id("a"), id("b")},
			Body: block(&lang.ReturnStmt{Value: bin(id("a"), "+", id("b"))})}},
		{"fn g() { return }", &lang.FnStmt{Name: id("g"), Body: block(&lang.ReturnStmt{})}},
		{"fn h(a,) {\n  while a { return 1 }\n}", &lang.FnStmt{Name: id("h"), Params: []*lang.Ident{id("a")},
			Body: block(&lang.WhileStmt{Cond: id("a"), Body: block(&lang.ReturnStmt{Value: num(1)})})}},
		// a loop inside a function inside a loop
		{"while x { fn f() { while y { break } } }", &lang.WhileStmt{Cond: id("x"), Body: block(&lang.FnStmt{Name: id("f"),
			Body: block(&lang.WhileStmt{Cond: id("y"), Body: block(&lang.BranchStmt{Tok: "break"})})})}},
	})
}

func TestParseContexts(t *testing.T) {
	ctx := func(kind string, arg lang.Expr, body *lang.Block) *lang.ContextStmt {
		return &lang.ContextStmt{Kind: kind, Arg: arg, Body: body}
	}
	runStmtCases(t, []stmtCase{
		{"irq { show context }", ctx("irq", nil, block(&lang.ShowStmt{View: "context"}))},
		{"softirq { x = 1 }", ctx("softirq", nil, block(assign(id("x"), "=", num(1))))},
		{"atomic { p = kmalloc(8, GFP_KERNEL) }", ctx("atomic", nil, block(assign(id("p"), "=",
			call(id("kmalloc"), pa(num(8)), pa(id("GFP_KERNEL"))))))},
		{"cpu 1 { show context }", ctx("cpu", num(1), block(&lang.ShowStmt{View: "context"}))},
		{"cpu n + 1 {}", ctx("cpu", bin(id("n"), "+", num(1)), block())},
		{"as pid { touch 0x1000 }", ctx("as", id("pid"), block(command("touch", num(0x1000))))},
		{"as t.pid {\n  fork\n}", ctx("as", attr(id("t"), "pid"), block(exprStmt(id("fork"))))},
		{"irq { atomic { cpu 0 { check } } }", ctx("irq", nil, block(ctx("atomic", nil, block(ctx("cpu", num(0), block(&lang.CheckStmt{}))))))},
	})
}

func TestParsePrintShowAssert(t *testing.T) {
	show := func(view string, args ...lang.ShowArg) *lang.ShowStmt { return &lang.ShowStmt{View: view, Args: args} }
	flag := func(f string) lang.ShowArg { return lang.ShowArg{Flag: f} }
	sx := func(x lang.Expr) lang.ShowArg { return lang.ShowArg{X: x} }
	runStmtCases(t, []stmtCase{
		{"print", &lang.PrintStmt{}},
		{`print "pages:", n, 1 + 2`, &lang.PrintStmt{Args: []lang.Expr{str("pages:"), id("n"), bin(num(1), "+", num(2))}}},
		{"print -x", &lang.PrintStmt{Args: []lang.Expr{un("-", id("x"))}}},
		{"show buddyinfo", show("buddyinfo")},
		{`show kmem -S "kmalloc-32"`, show("kmem", flag("-S"), sx(str("kmalloc-32")))},
		{"show slabinfo c", show("slabinfo", sx(id("c")))},
		{"show vma t, 0x8048000 + 4K", show("vma", sx(id("t")), sx(bin(num(0x8048000), "+", num(4096))))},
		{"show pte -v -a addr", show("pte", flag("-v"), flag("-a"), sx(id("addr")))},
		{"show pagetable -level_2 t.pid", show("pagetable", flag("-level_2"), sx(attr(id("t"), "pid")))},
		{"show cache", show("cache")}, // a keyword as the view
		{"show page pg", show("page", sx(id("pg")))},
		{"show kmem (a - 1)", show("kmem", sx(paren(bin(id("a"), "-", num(1)))))},
		{"show kmem -1", show("kmem", sx(un("-", num(1))))}, // "-" and a digit is not a flag
		{"assert x == 1", &lang.AssertStmt{Cond: bin(id("x"), "==", num(1))}},
		{`assert order_for(21K) == 3, "a 21K request needs a 32K block"`, &lang.AssertStmt{
			Cond: bin(call(id("order_for"), pa(num(21<<10))), "==", num(3)), Msg: str("a 21K request needs a 32K block")}},
		{`assert ok, "got " + str(n)`, &lang.AssertStmt{Cond: id("ok"), Msg: bin(str("got "), "+", call(id("str"), pa(id("n"))))}},
	})
	// the flag state of the lexer ends with the show statement
	f := mustParse(t, "show kmem -s\nx = a -b\nif y { show buddyinfo }\nz = -c")
	want := []lang.Stmt{
		show("kmem", flag("-s")),
		assign(id("x"), "=", bin(id("a"), "-", id("b"))),
		&lang.IfStmt{Cond: id("y"), Then: block(show("buddyinfo"))},
		assign(id("z"), "=", un("-", id("c"))),
	}
	if d := cmp.Diff(want, f.Stmts, astOpts); d != "" {
		t.Errorf("show then minus (-want +got):\n%s", d)
	}
}

func TestParseExpectTest(t *testing.T) {
	var cases []stmtCase
	for _, kind := range []string{"error", "segv", "bug", "oom", "warn"} {
		cases = append(cases,
			stmtCase{"expect " + kind + " { x = 1 / 0 }", &lang.ExpectStmt{Kind: kind,
				Body: block(assign(id("x"), "=", bin(num(1), "/", num(0))))}},
			stmtCase{"expect " + kind + ` "some text" {}`, &lang.ExpectStmt{Kind: kind, Text: "some text", Body: block()}},
		)
	}
	cases = append(cases, []stmtCase{
		{"expect segv \"address\" {\n  touch 0\n}", &lang.ExpectStmt{Kind: "segv", Text: "address", Body: block(command("touch", num(0)))}},
		{"check", &lang.CheckStmt{}},
		{`test "name" points=2 visibility="after_due_date" tags=["buddy"] { check }`, &lang.TestStmt{Name: "name",
			Opts: []lang.TestOpt{{Key: "points", Value: num(2)}, {Key: "visibility", Value: str("after_due_date")},
				{Key: "tags", Value: list(str("buddy"))}},
			Body: block(&lang.CheckStmt{})}},
		{`test "plain" {}`, &lang.TestStmt{Name: "plain", Body: block()}},
		{"test \"multi\" points=1 + 1 {\n  x = 1\n  assert x == 1\n}", &lang.TestStmt{Name: "multi",
			Opts: []lang.TestOpt{{Key: "points", Value: bin(num(1), "+", num(1))}},
			Body: block(assign(id("x"), "=", num(1)), &lang.AssertStmt{Cond: bin(id("x"), "==", num(1))})}},
		{"setup { x = 1 }", &lang.SetupStmt{Body: block(assign(id("x"), "=", num(1)))}},
		{"skip", &lang.SkipStmt{}},
		{`skip "not yet"`, &lang.SkipStmt{Reason: "not yet"}},
		{`use "lib.mms"`, &lang.UseStmt{Path: "lib.mms"}},
		{"int 0x80", &lang.IntStmt{Vector: 0x80}},
		{"int 3", &lang.IntStmt{Vector: 3}},
		{"int 255", &lang.IntStmt{Vector: 255}},
		{"int3", &lang.Int3Stmt{}},
	}...)
	runStmtCases(t, cases)
}

func TestParseLiterals(t *testing.T) {
	cases := []struct {
		src  string
		want lang.Expr
	}{
		{"0", num(0)},
		{"42", num(42)},
		{"1_000", num(1000)},
		{"1_000_000", num(1000000)},
		{"4K", num(4096)},
		{"1M", num(1 << 20)},
		{"2G", num(2 << 30)},
		{"1T", num(1 << 40)},
		{"0x10K", num(0x10 << 10)},
		{"0x1_000", num(0x1000)},
		{"0XfF", num(255)},
		{"0o17", num(15)},
		{"0O17", num(15)},
		{"0b1010", num(10)},
		{"0b1K", num(1024)},
		{"00", num(0)},
		{"9223372036854775807", num(1<<63 - 1)},
		{"0x7fffffffffffffff", num(1<<63 - 1)},
		{"0x8000000000000000", addr(1 << 63)},
		{"0xffffffffffffffff", addr(1<<64 - 1)},
		{"0xffff_ffff_ffff_f000", addr(0xfffffffffffff000)},
		{"0o1777777777777777777777", addr(1<<64 - 1)},
		{"0x20000000000000K", addr(1 << 63)},
		{"0x1fffffffffffffK", num(0x1fffffffffffff << 10)},
		{`"hello"`, str("hello")},
		{`""`, str("")},
		{`"a\tb\"c\\d\n"`, str("a\tb\"c\\d\n")},
		{`"x\x41"`, str("xA")},
		{`"héllo"`, str("héllo")},
		{"true", boolean(true)},
		{"false", boolean(false)},
		{"NULL", null()},
		{"[]", list()},
		{"[1, 2, 3]", list(num(1), num(2), num(3))},
		{"[1, [2], \"x\",]", list(num(1), list(num(2)), str("x"))},
		{"[\n  1,\n  2\n]", list(num(1), num(2))},
		{"{}", mapLit()},
		{`{"a": 1, 2: [3]}`, mapLit(str("a"), num(1), num(2), list(num(3)))},
		{"{\n  \"a\": 1,\n  \"b\": x + 1,\n}", mapLit(str("a"), num(1), str("b"), bin(id("x"), "+", num(1)))},
		{"int", id("int")},
	}
	for _, c := range cases {
		t.Run(c.src, func(t *testing.T) {
			got := parseExpr(t, c.src)
			if d := cmp.Diff(c.want, got, astOpts); d != "" {
				t.Errorf("Parse(%q) mismatch (-want +got):\n%s", c.src, d)
			}
		})
	}
}

func TestParseExpressions(t *testing.T) {
	a, b, c, d, x, n := id("a"), id("b"), id("c"), id("d"), id("x"), id("n")
	cases := []struct {
		src  string
		want lang.Expr
	}{
		// attributes, including keyword names after "."
		{"c.name", attr(id("c"), "name")},
		{"c.free", attr(id("c"), "free")},
		{"t.cpu", attr(id("t"), "cpu")},
		{"t.in + pg.page", bin(attr(id("t"), "in"), "+", attr(id("pg"), "page"))},
		{"x.int.proc.NULL", attr(attr(attr(x, "int"), "proc"), "NULL")},
		{"regs.eax", attr(id("regs"), "eax")},
		{"c . free", attr(id("c"), "free")},
		// indexing and calls
		{"a[0]", index(a, num(0))},
		{`m["k"][1]`, index(index(id("m"), str("k")), num(1))},
		{"f(x).y[0]", index(attr(call(id("f"), pa(x)), "y"), num(0))},
		{"[1, 2][0]", index(list(num(1), num(2)), num(0))},
		{`"abc"[1]`, index(str("abc"), num(1))},
		// unary operators
		{"-x", un("-", x)},
		{"+x", un("+", x)},
		{"~x", un("~", x)},
		{"!x", un("not", x)},
		{"not x", un("not", x)},
		{"- -x", un("-", un("-", x))},
		{"--x", un("-", un("-", x))},
		{"not not x", un("not", un("not", x))},
		{"-x.y", un("-", attr(x, "y"))},
		{"-f(x)[1]", un("-", index(call(id("f"), pa(x)), num(1)))},
		{"~0xfff & a", bin(un("~", num(0xfff)), "&", a)},
		{"-a * b", bin(un("-", a), "*", b)},
		{"-2 << 1", bin(un("-", num(2)), "<<", num(1))},
		{"-f(x)", un("-", call(id("f"), pa(x)))},
		// precedence
		{"a + b * c", bin(a, "+", bin(b, "*", c))},
		{"a * b + c", bin(bin(a, "*", b), "+", c)},
		{"a - b - c", bin(bin(a, "-", b), "-", c)},
		{"a / b % c", bin(bin(a, "/", b), "%", c)},
		{"a * (b + c)", bin(a, "*", paren(bin(b, "+", c)))},
		{"1 << 2 + 3", bin(num(1), "<<", bin(num(2), "+", num(3)))},
		{"a | b ^ c & d", bin(a, "|", bin(b, "^", bin(c, "&", d)))},
		{"a & b | c ^ d", bin(bin(a, "&", b), "|", bin(c, "^", d))},
		{"x & 0xfff == 0", bin(bin(x, "&", num(0xfff)), "==", num(0))},
		{"x >> 12 != 0", bin(bin(x, ">>", num(12)), "!=", num(0))},
		{"1 .. n + 1", bin(num(1), "..", bin(n, "+", num(1)))},
		{"a .. b < c", bin(bin(a, "..", b), "<", c)},
		{"x in 0 .. n", bin(x, "in", bin(num(0), "..", n))},
		{"x in [1, 2]", bin(x, "in", list(num(1), num(2)))},
		{"a <= b", bin(a, "<=", b)},
		{"a >= b", bin(a, ">=", b)},
		{"a > b", bin(a, ">", b)},
		{"a or b and c", bin(a, "or", bin(b, "and", c))},
		{"a and b or c", bin(bin(a, "and", b), "or", c)},
		{"a < b and b < c", bin(bin(a, "<", b), "and", bin(b, "<", c))},
		{"a == b or c != d", bin(bin(a, "==", b), "or", bin(c, "!=", d))},
		// && || ! are lowered to and or not
		{"a && b", bin(a, "and", b)},
		{"a || b", bin(a, "or", b)},
		{"a && b || !c", bin(bin(a, "and", b), "or", un("not", c))},
		{"!a && b", bin(un("not", a), "and", b)},
		// not captures comparisons, but not and/or
		{"not a == b", un("not", bin(a, "==", b))},
		{"not a and b", bin(un("not", a), "and", b)},
		{"not a < b or c", bin(un("not", bin(a, "<", b)), "or", c)},
		{"not x & 1 == 0", un("not", bin(bin(x, "&", num(1)), "==", num(0)))},
		// ! binds tightest, as in C; only the word not captures comparisons
		{"!a == b", bin(un("not", a), "==", b)},
		{"a and not b", bin(a, "and", un("not", b))},
		{"-a == b", bin(un("-", a), "==", b)},
		{"(a < b) < c", bin(paren(bin(a, "<", b)), "<", c)},
		{"hex(kernel + 5 * PAGE_SIZE)", call(id("hex"), pa(bin(id("kernel"), "+", bin(num(5), "*", id("PAGE_SIZE")))))},
		{"64M / PAGE_SIZE", bin(num(64<<20), "/", id("PAGE_SIZE"))},
	}
	for _, c := range cases {
		t.Run(c.src, func(t *testing.T) {
			got := parseExpr(t, c.src)
			if d := cmp.Diff(c.want, got, astOpts); d != "" {
				t.Errorf("Parse(%q) mismatch (-want +got):\n%s", c.src, d)
			}
		})
	}
}

// TestParseSeparators checks how statements are separated: newlines, ";",
// comments, blank lines and line continuations.
func TestParseSeparators(t *testing.T) {
	cases := []struct {
		src  string
		want []lang.Stmt
	}{
		{"", nil},
		{"\n\n# only a comment\n\n", nil},
		{"x = 1; y = 2", []lang.Stmt{assign(id("x"), "=", num(1)), assign(id("y"), "=", num(2))}},
		{"x = 1;;\n;y = 2;", []lang.Stmt{assign(id("x"), "=", num(1)), assign(id("y"), "=", num(2))}},
		{"x = 1 # one\n\n\ny = 2 # two", []lang.Stmt{assign(id("x"), "=", num(1)), assign(id("y"), "=", num(2))}},
		{"x = 1 + \\\n    2", []lang.Stmt{assign(id("x"), "=", bin(num(1), "+", num(2)))}},
		{"x = 1 + \\\r\n    2\r\n", []lang.Stmt{assign(id("x"), "=", bin(num(1), "+", num(2)))}},
		{"if x {\n\n  a = 1\n\n  b = 2; c = 3\n}", []lang.Stmt{&lang.IfStmt{Cond: id("x"),
			Then: block(assign(id("a"), "=", num(1)), assign(id("b"), "=", num(2)), assign(id("c"), "=", num(3)))}}},
		{"if x { a = 1; }", []lang.Stmt{&lang.IfStmt{Cond: id("x"), Then: block(assign(id("a"), "=", num(1)))}}},
		{"fork; fork\nfork", []lang.Stmt{exprStmt(id("fork")), exprStmt(id("fork")), exprStmt(id("fork"))}},
	}
	for _, c := range cases {
		t.Run(c.src, func(t *testing.T) {
			f := mustParse(t, c.src)
			if d := cmp.Diff(c.want, f.Stmts, astOpts); d != "" {
				t.Errorf("Parse(%q) mismatch (-want +got):\n%s", c.src, d)
			}
		})
	}
}

// TestDesignScript parses the example at the top of DESIGN.md, line by line
// as the design describes it.
func TestDesignScript(t *testing.T) {
	src := `machine x86 mem=64M
cache c = kmem_cache_create("task_struct", 1792, SLAB_HWCACHE_ALIGN)
p = kmalloc(28, GFP_ATOMIC)
fork
touch addr
touch a + 4096 write
show buddyinfo
`
	f := mustParse(t, src)
	want := []lang.Stmt{
		&lang.MachineStmt{Arch: "x86", Args: []lang.MachineArg{{Key: "mem", Value: "64M"}}},
		&lang.DeclStmt{Type: "cache", Name: id("c"), Value: call(id("kmem_cache_create"),
			pa(str("task_struct")), pa(num(1792)), pa(id("SLAB_HWCACHE_ALIGN")))},
		assign(id("p"), "=", call(id("kmalloc"), pa(num(28)), pa(id("GFP_ATOMIC")))),
		exprStmt(id("fork")),
		command("touch", id("addr")),
		command("touch", bin(id("a"), "+", num(4096)), id("write")),
		&lang.ShowStmt{View: "buddyinfo"},
	}
	if d := cmp.Diff(want, f.Stmts, astOpts); d != "" {
		t.Errorf("mismatch (-want +got):\n%s", d)
	}
	for i, line := range strings.Split(strings.TrimSpace(src), "\n") {
		if got := f.Text(f.Stmts[i]); got != line {
			t.Errorf("Text(stmt %d) = %q, want %q", i, got, line)
		}
		if start, _ := f.Stmts[i].Span(); start.Line != i+1 || start.Col != 1 {
			t.Errorf("stmt %d starts at %d:%d, want %d:1", i, start.Line, start.Col, i+1)
		}
	}
	// touch a + 4096 write: two arguments, a BinaryExpr and an Ident
	cmd := f.Stmts[5].(*lang.CommandStmt)
	if len(cmd.Args) != 2 {
		t.Fatalf("touch: %d args, want 2", len(cmd.Args))
	}
	if _, ok := cmd.Args[0].(*lang.BinaryExpr); !ok {
		t.Errorf("touch arg 0 is %T, want *lang.BinaryExpr", cmd.Args[0])
	}
	if _, ok := cmd.Args[1].(*lang.Ident); !ok {
		t.Errorf("touch arg 1 is %T, want *lang.Ident", cmd.Args[1])
	}
}

// TestPositions checks Span and File.Text of statements and of nodes
// inside them.
func TestPositions(t *testing.T) {
	stmt := func(i int) func(*lang.File) lang.Node {
		return func(f *lang.File) lang.Node { return f.Stmts[i] }
	}
	cases := []struct {
		name      string
		src       string
		node      func(*lang.File) lang.Node
		line, col int // of the start
		text      string
	}{
		{"second line", "x = 1\n  y = 2 # comment\n", stmt(1), 2, 3, "y = 2"},
		{"after ;", "x = 1;   y = 2", stmt(1), 1, 10, "y = 2"},
		{"after blank lines", "\n\n\n\tfork\n", stmt(0), 4, 2, "fork"},
		{"multi-line if", "x = 1\nif x {\n  y = 2\n} else {\n  y = 3\n}\nz = 4", stmt(1), 2, 1, "if x {\n  y = 2\n} else {\n  y = 3\n}"},
		{"nested statement", "if x {\n  if y {\n    z = 2\n  }\n}", func(f *lang.File) lang.Node {
			return f.Stmts[0].(*lang.IfStmt).Then.Stmts[0].(*lang.IfStmt).Then.Stmts[0]
		}, 3, 5, "z = 2"},
		{"else block", "if x { a } else { b }", func(f *lang.File) lang.Node {
			return f.Stmts[0].(*lang.IfStmt).Else
		}, 1, 17, "{ b }"},
		{"else if", "if x { a } else if y { b }", func(f *lang.File) lang.Node {
			return f.Stmts[0].(*lang.IfStmt).Else
		}, 1, 17, "if y { b }"},
		{"call expr", "p = kmalloc(28, GFP_ATOMIC)", func(f *lang.File) lang.Node {
			return f.Stmts[0].(*lang.AssignStmt).Value
		}, 1, 5, "kmalloc(28, GFP_ATOMIC)"},
		{"call arg", "p = kmalloc(28, GFP_ATOMIC)", func(f *lang.File) lang.Node {
			return f.Stmts[0].(*lang.AssignStmt).Value.(*lang.CallExpr).Args[1].Value
		}, 1, 17, "GFP_ATOMIC"},
		{"command arg 0", "touch a + 4096 write", func(f *lang.File) lang.Node {
			return f.Stmts[0].(*lang.CommandStmt).Args[0]
		}, 1, 7, "a + 4096"},
		{"command arg 1", "touch a + 4096 write", func(f *lang.File) lang.Node {
			return f.Stmts[0].(*lang.CommandStmt).Args[1]
		}, 1, 16, "write"},
		{"command name", "  touch a", func(f *lang.File) lang.Node {
			return f.Stmts[0].(*lang.CommandStmt).Name
		}, 1, 3, "touch"},
		{"decl name", "cache  c = kmem_cache_create(\"task_struct\", 1792, SLAB_HWCACHE_ALIGN)", func(f *lang.File) lang.Node {
			return f.Stmts[0].(*lang.DeclStmt).Name
		}, 1, 8, "c"},
		{"decl value", "int n = 5 * 2", func(f *lang.File) lang.Node {
			return f.Stmts[0].(*lang.DeclStmt).Value
		}, 1, 9, "5 * 2"},
		{"for var 2", "for k,  v in m {}", func(f *lang.File) lang.Node {
			return f.Stmts[0].(*lang.ForStmt).Vars[1]
		}, 1, 9, "v"},
		{"fn name", "fn  order_for(size) {}", func(f *lang.File) lang.Node {
			return f.Stmts[0].(*lang.FnStmt).Name
		}, 1, 5, "order_for"},
		{"fn param", "fn f(a, \\\n     bb) {}", func(f *lang.File) lang.Node {
			return f.Stmts[0].(*lang.FnStmt).Params[1]
		}, 2, 6, "bb"},
		{"fn body", "fn f(a) {\n  return a\n}", func(f *lang.File) lang.Node {
			return f.Stmts[0].(*lang.FnStmt).Body.Stmts[0]
		}, 2, 3, "return a"},
		{"binary rhs", "x = a + b * c", func(f *lang.File) lang.Node {
			return f.Stmts[0].(*lang.AssignStmt).Value.(*lang.BinaryExpr).Y
		}, 1, 9, "b * c"},
		{"unary", "x = -y.z", func(f *lang.File) lang.Node {
			return f.Stmts[0].(*lang.AssignStmt).Value
		}, 1, 5, "-y.z"},
		{"not captures", "x = not a == b", func(f *lang.File) lang.Node {
			return f.Stmts[0].(*lang.AssignStmt).Value.(*lang.UnaryExpr).X
		}, 1, 9, "a == b"},
		{"paren", "x = (a + b) * c", func(f *lang.File) lang.Node {
			return f.Stmts[0].(*lang.AssignStmt).Value.(*lang.BinaryExpr).X
		}, 1, 5, "(a + b)"},
		{"index with blanks", "a[ i ] = 1", func(f *lang.File) lang.Node {
			return f.Stmts[0].(*lang.AssignStmt).Target
		}, 1, 1, "a[ i ]"},
		{"attr with blanks", "x = c . free + 1", func(f *lang.File) lang.Node {
			return f.Stmts[0].(*lang.AssignStmt).Value.(*lang.BinaryExpr).X
		}, 1, 5, "c . free"},
		{"attr chain", "print t.mm.pgd[0]", func(f *lang.File) lang.Node {
			return f.Stmts[0].(*lang.PrintStmt).Args[0].(*lang.IndexExpr).X
		}, 1, 7, "t.mm.pgd"},
		{"list over lines", "l = [\n  1,\n  2,\n]", func(f *lang.File) lang.Node {
			return f.Stmts[0].(*lang.AssignStmt).Value.(*lang.ListLit).Elems[1]
		}, 3, 3, "2"},
		{"map value", `m = {"a": x + 1}`, func(f *lang.File) lang.Node {
			return f.Stmts[0].(*lang.AssignStmt).Value.(*lang.MapLit).Values[0]
		}, 1, 11, "x + 1"},
		{"string", `print "a\"b"`, func(f *lang.File) lang.Node {
			return f.Stmts[0].(*lang.PrintStmt).Args[0]
		}, 1, 7, `"a\"b"`},
		{"columns count runes", `print "héllo", x`, func(f *lang.File) lang.Node {
			return f.Stmts[0].(*lang.PrintStmt).Args[1]
		}, 1, 16, "x"},
		{"line continuation", "touch a \\\n  write", stmt(0), 1, 1, "touch a \\\n  write"},
		{"show", "show kmem -S \"kmalloc-32\"", stmt(0), 1, 1, "show kmem -S \"kmalloc-32\""},
		{"show in block", "irq { show context }", func(f *lang.File) lang.Node {
			return f.Stmts[0].(*lang.ContextStmt).Body.Stmts[0]
		}, 1, 7, "show context"},
		{"show arg", "show kmem -S \"kmalloc-32\"", func(f *lang.File) lang.Node {
			return f.Stmts[0].(*lang.ShowStmt).Args[1].X
		}, 1, 14, `"kmalloc-32"`},
		{"test header opt", `test "t" points=2 tags=["a", "b"] {}`, func(f *lang.File) lang.Node {
			return f.Stmts[0].(*lang.TestStmt).Opts[1].Value
		}, 1, 24, `["a", "b"]`},
		{"expect", "expect segv \"x\" {\n  touch 0\n}", stmt(0), 1, 1, "expect segv \"x\" {\n  touch 0\n}"},
		{"int 0x80", "  int 0x80", stmt(0), 1, 3, "int 0x80"},
		{"int3", "int3 # break", stmt(0), 1, 1, "int3"},
		{"return without value", "fn f() { return }", func(f *lang.File) lang.Node {
			return f.Stmts[0].(*lang.FnStmt).Body.Stmts[0]
		}, 1, 10, "return"},
		{"big hex", "x = 0xffffffff80000000", func(f *lang.File) lang.Node {
			return f.Stmts[0].(*lang.AssignStmt).Value
		}, 1, 5, "0xffffffff80000000"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := mustParse(t, c.src)
			n := c.node(f)
			start, end := n.Span()
			if start.Line != c.line || start.Col != c.col {
				t.Errorf("%T starts at %d:%d, want %d:%d", n, start.Line, start.Col, c.line, c.col)
			}
			if start.File != "t.mms" {
				t.Errorf("%T start file = %q, want t.mms", n, start.File)
			}
			if got := f.Text(n); got != c.text {
				t.Errorf("Text(%T) = %q, want %q", n, got, c.text)
			}
			// the end is just after the last character of the text
			lastLine := c.line + strings.Count(c.text, "\n")
			lastCol := c.col + len([]rune(c.text))
			if i := strings.LastIndex(c.text, "\n"); i >= 0 {
				lastCol = 1 + len([]rune(c.text[i+1:]))
			}
			if end.Line != lastLine || end.Col != lastCol {
				t.Errorf("%T ends at %d:%d, want %d:%d", n, end.Line, end.Col, lastLine, lastCol)
			}
		})
	}
}

// TestSidePositions checks the positions kept outside node spans.
func TestSidePositions(t *testing.T) {
	type lc struct{ Line, Col int }
	at := func(p lang.Pos) lc { return lc{p.Line, p.Col} }

	f := mustParse(t, "machine x86 mem=64M  cpus = 2")
	m := f.Stmts[0].(*lang.MachineStmt)
	got := []lc{at(m.Args[0].Pos), at(m.Args[0].ValuePos), at(m.Args[1].Pos), at(m.Args[1].ValuePos)}
	if want := []lc{{1, 13}, {1, 17}, {1, 22}, {1, 29}}; !reflect.DeepEqual(got, want) {
		t.Errorf("machine arg positions = %v, want %v", got, want)
	}

	f = mustParse(t, "show  kmem -S \"kmalloc-32\" x")
	sh := f.Stmts[0].(*lang.ShowStmt)
	got = []lc{at(sh.ViewPos), at(sh.Args[0].Pos), at(sh.Args[1].Pos), at(sh.Args[2].Pos)}
	if want := []lc{{1, 7}, {1, 12}, {1, 15}, {1, 28}}; !reflect.DeepEqual(got, want) {
		t.Errorf("show positions = %v, want %v", got, want)
	}

	f = mustParse(t, "x = f(1,\n  key = a + b)")
	c := f.Stmts[0].(*lang.AssignStmt).Value.(*lang.CallExpr)
	got = []lc{at(c.Args[0].Pos), at(c.Args[1].Pos)}
	if want := []lc{{1, 7}, {2, 3}}; !reflect.DeepEqual(got, want) {
		t.Errorf("call arg positions = %v, want %v", got, want)
	}

	f = mustParse(t, "y = a  <<  b")
	b := f.Stmts[0].(*lang.AssignStmt).Value.(*lang.BinaryExpr)
	if got, want := at(b.OpPos), (lc{1, 8}); got != want {
		t.Errorf("OpPos = %v, want %v", got, want)
	}

	f = mustParse(t, `test "t" points=2 visibility="hidden" {}`)
	ts := f.Stmts[0].(*lang.TestStmt)
	got = []lc{at(ts.Opts[0].Pos), at(ts.Opts[1].Pos)}
	if want := []lc{{1, 10}, {1, 19}}; !reflect.DeepEqual(got, want) {
		t.Errorf("test opt positions = %v, want %v", got, want)
	}

	// Offset counts bytes, Col counts characters.
	f = mustParse(t, `print "é", x`)
	x := f.Stmts[0].(*lang.PrintStmt).Args[1]
	if s, _ := x.Span(); s.Col != 12 || s.Offset != 12 {
		t.Errorf("x after é: col %d offset %d, want col 12 offset 12", s.Col, s.Offset)
	}
}

// TestTextOfEveryNode parses varied scripts and checks every node of the
// tree: spans are ordered, nested inside their parents, and File.Text
// gives a non-empty slice with no surrounding blanks.
func TestTextOfEveryNode(t *testing.T) {
	srcs := []string{
		`machine x86 mem=64M cpus=2
cache c = kmem_cache_create("task_struct", 1792, SLAB_HWCACHE_ALIGN)
p = kmalloc(28, GFP_ATOMIC)
fork
touch a + 4096 write
show kmem -S "kmalloc-32", c.name
for k, v in {"a": [1, 2], "b": m[ 0 ] . x} { print k, v }
fn  f( a , b ) { return -a.b * (b + 1) }
while not a == b && c || !d { break }
int n = 0x10K; int 0x80; int3
test "t" points=2 visibility="after_due_date" tags=["buddy"] {
  expect oom "no memory" { irq { softirq { atomic { cpu 1 { as pid { check } } } } } }
}
setup { x = 1 }
skip "later"
use "lib.mms"
assert x, "msg"
if a { } else if b { } else { }
repeat 3 { continue }
x <<= 1 .. n + 1
`,
	}
	for _, src := range srcs {
		f := mustParse(t, src) // checks the spans
		if len(f.Stmts) == 0 {
			t.Fatal("no statements")
		}
	}
}

// checkSpans walks every node of f and checks its span against its parent.
func checkSpans(t testing.TB, f *lang.File) {
	t.Helper()
	for _, msg := range spanProblems(f) {
		t.Error(msg)
	}
}

// spanProblems lists what is wrong with the spans of the nodes of f.
func spanProblems(f *lang.File) []string {
	var out []string
	walkNodes(f.Stmts, nil, func(n, parent lang.Node) {
		s, e := n.Span()
		text := f.Text(n)
		switch {
		case s.Offset > e.Offset || s.Offset < 0 || e.Offset > len(f.Src):
			out = append(out, fmt.Sprintf("%T: bad span %d..%d (len %d)", n, s.Offset, e.Offset, len(f.Src)))
			return
		case s.Line < 1 || s.Col < 1 || e.Line < s.Line || (e.Line == s.Line && e.Col < s.Col):
			out = append(out, fmt.Sprintf("%T: bad span %d:%d..%d:%d", n, s.Line, s.Col, e.Line, e.Col))
		case text == "":
			out = append(out, fmt.Sprintf("%T at %d:%d: empty text", n, s.Line, s.Col))
		case strings.TrimSpace(text) != text:
			out = append(out, fmt.Sprintf("%T at %d:%d: text %q has surrounding blanks", n, s.Line, s.Col, text))
		}
		// line and column agree with the offset
		line := 1 + strings.Count(f.Src[:s.Offset], "\n")
		col := 1 + len([]rune(f.Src[strings.LastIndex(f.Src[:s.Offset], "\n")+1:s.Offset]))
		if line != s.Line || col != s.Col {
			out = append(out, fmt.Sprintf("%T: start %d:%d does not match offset %d (%d:%d)", n, s.Line, s.Col, s.Offset, line, col))
		}
		if parent != nil {
			ps, pe := parent.Span()
			if s.Offset < ps.Offset || e.Offset > pe.Offset {
				out = append(out, fmt.Sprintf("%T %q is not inside its parent %T %q", n, text, parent, f.Text(parent)))
			}
		}
	})
	return out
}

var nodeType = reflect.TypeFor[lang.Node]()

// walkNodes calls fn for every node reachable from v, with the nearest
// enclosing node.
func walkNodes(v any, parent lang.Node, fn func(n, parent lang.Node)) {
	walkValue(reflect.ValueOf(v), parent, fn)
}

func walkValue(v reflect.Value, parent lang.Node, fn func(n, parent lang.Node)) {
	switch v.Kind() {
	case reflect.Interface:
		if !v.IsNil() {
			walkValue(v.Elem(), parent, fn)
		}
	case reflect.Pointer:
		if v.IsNil() {
			return
		}
		if v.Type().Implements(nodeType) {
			n := v.Interface().(lang.Node)
			fn(n, parent)
			parent = n
		}
		walkValue(v.Elem(), parent, fn)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				walkValue(v.Field(i), parent, fn)
			}
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			walkValue(v.Index(i), parent, fn)
		}
	}
}

func TestFileText(t *testing.T) {
	f := mustParse(t, "x = 1")
	if got := f.Text(f.Stmts[0]); got != "x = 1" {
		t.Errorf("Text = %q", got)
	}
	var nilFile *lang.File
	if got := nilFile.Text(f.Stmts[0]); got != "" {
		t.Errorf("nil File: Text = %q, want empty", got)
	}
	// a node from another, longer file gives "" rather than a panic
	other := mustParse(t, "xxxxxxxxxx = 12345678")
	if got := f.Text(other.Stmts[0]); got != "" {
		t.Errorf("foreign node: Text = %q, want empty", got)
	}
	if f.Name != "t.mms" || f.Src != "x = 1" {
		t.Errorf("File = %q, %q", f.Name, f.Src)
	}
}

func TestPosString(t *testing.T) {
	for _, c := range []struct {
		p    lang.Pos
		want string
	}{
		{lang.Pos{}, "<unknown>"},
		{lang.Pos{File: "a.mms"}, "a.mms"},
		{lang.Pos{Line: 3, Col: 4}, "3:4"},
		{lang.Pos{File: "a.mms", Line: 3, Col: 4, Offset: 20}, "a.mms:3:4"},
	} {
		if got := c.p.String(); got != c.want {
			t.Errorf("%#v.String() = %q, want %q", c.p, got, c.want)
		}
	}
}

func TestKeywords(t *testing.T) {
	for _, k := range lang.Keywords {
		if !lang.IsKeyword(k) {
			t.Errorf("IsKeyword(%q) = false", k)
		}
	}
	for _, w := range []string{"x", "fork", "touch", "Int", "int4", "shows", "free", ""} {
		if lang.IsKeyword(w) {
			t.Errorf("IsKeyword(%q) = true", w)
		}
	}
	// a keyword cannot name a variable or a function
	for _, src := range []string{"if = 1", "while = 2", "fn repeat() {}", "for in in x {}"} {
		if _, err := lang.Parse("t.mms", src); err == nil {
			t.Errorf("Parse(%q) succeeded, want an error", src)
		}
	}
	// but names that merely start with a keyword are names
	for _, src := range []string{"iffy = 1", "format = 2", "int3x = 3", "showing = 4", "notes = not_yet", "in_use = true"} {
		s := parseStmt(t, src)
		if _, ok := s.(*lang.AssignStmt); !ok {
			t.Errorf("Parse(%q) = %T, want *lang.AssignStmt", src, s)
		}
	}
}
