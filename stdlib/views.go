package stdlib

import (
	"fmt"

	"mmsim/kernelmodel"
	"mmsim/runtime"
)

func init() {
	RegisterView(View{Name: "machine", Doc: "the machine's configuration, as a machine line", Show: showMachine})
	RegisterView(View{Name: "context", Doc: "the execution contexts the current statement runs in", Show: showContext})
}

func showMachine(h *Host, th *runtime.Thread, args []runtime.ShowArg) error {
	if err := noArgs("machine", args); err != nil {
		return err
	}
	m, err := h.machine()
	if err != nil {
		return err
	}
	c := m.Config
	fmt.Fprintln(th.Out, c.String())
	fmt.Fprintf(th.Out, "arch:     %s (%s paging)\n", c.Arch, c.Paging)
	fmt.Fprintf(th.Out, "memory:   %s (%d pages of 4K)\n", kernelmodel.FormatSize(c.Mem), c.Mem/4096)
	fmt.Fprintf(th.Out, "cpus:     %d\n", c.CPUs)
	fmt.Fprintf(th.Out, "slab:     %s\n", c.Slab)
	swap := "none"
	if c.Swap > 0 {
		swap = kernelmodel.FormatSize(c.Swap)
	}
	fmt.Fprintf(th.Out, "swap:     %s\n", swap)
	fmt.Fprintf(th.Out, "policy:   %s\n", c.Policy)
	fmt.Fprintf(th.Out, "tlb:      %d entries per CPU\n", c.TLB)
	return nil
}

func showContext(h *Host, th *runtime.Thread, args []runtime.ShowArg) error {
	if err := noArgs("context", args); err != nil {
		return err
	}
	m, err := h.machine()
	if err != nil {
		return err
	}
	ctx := m.Contexts()
	if len(ctx) == 0 && m.InAtomic() {
		fmt.Fprintf(th.Out, "process context on cpu %d, kmap_atomic held (atomic: may not sleep)\n", m.CPU())
		return nil
	}
	if len(ctx) == 0 {
		fmt.Fprintf(th.Out, "process context on cpu %d (may sleep)\n", m.CPU())
		return nil
	}
	for i, c := range ctx {
		switch c.Kind {
		case kernelmodel.CtxCPU:
			fmt.Fprintf(th.Out, "%*scpu %d\n", 2*i, "", c.CPU)
		case kernelmodel.CtxTask:
			fmt.Fprintf(th.Out, "%*sas %d\n", 2*i, "", c.PID)
		default:
			fmt.Fprintf(th.Out, "%*s%s\n", 2*i, "", c.Kind)
		}
	}
	sleep := "may sleep"
	if m.InAtomic() {
		sleep = "atomic: may not sleep"
	}
	fmt.Fprintf(th.Out, "on cpu %d (%s)\n", m.CPU(), sleep)
	return nil
}
