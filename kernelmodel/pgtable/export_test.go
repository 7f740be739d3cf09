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

// TableEntry is the entry the tables would write to point to t from a
// table at level: _PAGE_TABLE (TableFlags) for kernel and user tables
// alike, PRESENT only for PAE's PDPTEs.
func (pt *Tables) TableEntry(level int, t *Table) Entry { return pt.tableEntry(level, t) }
