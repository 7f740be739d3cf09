package pgtable

// Hooks for pgtable_test: deliberate corruptions that bypass the
// bookkeeping of set(), as a bug in the model would, so that the tests
// can show Check() catching each kind.

// SetUsed overwrites a table's count of non-zero entries, and counts it
// as a change so that the next Check looks again.
func (pt *Tables) SetUsed(t *Table, n int) {
	t.used = n
	pt.Gen++
}

// Poke writes an entry without keeping the used count, the links to
// lower tables or the other PGDs' kernel halves, and counts it as a
// change so that the next Check looks again.
func (pt *Tables) Poke(t *Table, i int, e Entry) {
	t.E[i] = e
	pt.Gen++
}
