package slab_test

import (
	"fmt"
	"math/rand"
	"testing"

	"mmsim/kernelmodel/arch"
	"mmsim/kernelmodel/phys"
)

// BenchmarkKmallocKfree measures kmalloc/kfree pairs with mixed sizes (8 to
// 7000 bytes, eleven caches of orders 0 to 3) against a pool of 4096 live
// objects freed in random (seeded) order. One op is one kmalloc and one
// kfree.
func BenchmarkKmallocKfree(b *testing.B) {
	sizes := []int{8, 24, 100, 200, 500, 1000, 3000, 7000}
	m, _ := boot(b, "x86_64 mem=1G cpus=2")
	a := m.Slab
	rng := rand.New(rand.NewSource(1))
	const poolSize = 4096
	pool := make([]arch.VirtAddr, 0, poolSize)
	next := 0
	for len(pool) < poolSize {
		pool = append(pool, kmalloc(b, a, sizes[next%len(sizes)], phys.GFPKernel))
		next++
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p, ok, err := a.Kmalloc(sizes[next%len(sizes)], phys.GFPKernel, "kmalloc")
		if err != nil || !ok {
			b.Fatal(ok, err)
		}
		next++
		j := rng.Intn(poolSize)
		if err := a.Kfree(pool[j], "kfree"); err != nil {
			b.Fatal(err)
		}
		pool[j] = p
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pairs/s")
	if err := m.Check(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkKfreeLive measures kfree alone (kmalloc-64 objects, random
// order) with 1k and 100k objects live: its cost must not grow with the
// number of live objects. The objects freed are replaced, untimed, every
// batch, so the number live stays put.
func BenchmarkKfreeLive(b *testing.B) {
	for _, n := range []int{1000, 100000} {
		b.Run(fmt.Sprintf("%dk", n/1000), func(b *testing.B) {
			m, _ := boot(b, "x86_64 mem=1G cpus=2")
			a := m.Slab
			rng := rand.New(rand.NewSource(1))
			pool := make([]arch.VirtAddr, n)
			for i := range pool {
				pool[i] = kmalloc(b, a, 64, phys.GFPKernel)
			}
			batch := n / 2
			b.ResetTimer()
			for done := 0; done < b.N; {
				k := min(batch, b.N-done)
				// Free k random objects: move each to the tail.
				for i := 0; i < k; i++ {
					j := rng.Intn(n - i)
					last := n - 1 - i
					pool[j], pool[last] = pool[last], pool[j]
					if err := a.Kfree(pool[last], "kfree"); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				for i := n - k; i < n; i++ {
					p, ok, err := a.Kmalloc(64, phys.GFPKernel, "kmalloc")
					if err != nil || !ok {
						b.Fatal(ok, err)
					}
					pool[i] = p
				}
				done += k
				b.StartTimer()
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "kfree/s")
			if got := m.Slab.Find("kmalloc-64").Counts().InUse; got != n {
				b.Fatalf("%d objects live at the end, want %d", got, n)
			}
		})
	}
}
