package lang

import (
	"os"
	"testing"
)

// BenchmarkParseTour measures parsing the tour example.
func BenchmarkParseTour(b *testing.B) {
	src, err := os.ReadFile("../examples/tour.mms")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if _, err := Parse("tour.mms", string(src)); err != nil {
			b.Fatal(err)
		}
	}
}
