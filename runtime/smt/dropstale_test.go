package smt

import "testing"

// TestDropStaleAbove: an abandoned commit's stale record at version 2 would,
// after the real version 2 commit and a prune, delete nodes the real tree
// uses. Dropping it at restart keeps the real tree whole.
func TestDropStaleAbove(t *testing.T) {
	s := NewMemStore()
	tr, _ := Open(s, EmptyRoot)
	for i := byte(0); i < 20; i++ {
		tr.Update([]byte{i}, []byte{i, 1})
	}
	r1, err := tr.Commit(1)
	if err != nil {
		t.Fatal(err)
	}
	// An abandoned commit at version 2 (block never stored).
	ab, _ := Open(s, r1)
	for i := byte(0); i < 10; i++ {
		ab.Update([]byte{i}, []byte{i, 9})
	}
	if _, err := ab.Commit(2); err != nil {
		t.Fatal(err)
	}
	n, err := DropStaleAbove(s, 1)
	if err != nil || n != 1 {
		t.Fatalf("dropped %d, %v; want 1 record", n, err)
	}
	// The real version 2 touches other keys; prune up to 2.
	real, _ := Open(s, r1)
	real.Update([]byte{15}, []byte{15, 2})
	r2, err := real.Commit(2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Prune(s, 2); err != nil {
		t.Fatal(err)
	}
	tr2, err := Open(s, r2)
	if err != nil {
		t.Fatal(err)
	}
	for i := byte(0); i < 20; i++ {
		want := []byte{i, 1}
		if i == 15 {
			want = []byte{15, 2}
		}
		got, err := tr2.Get([]byte{i})
		if err != nil || string(got) != string(want) {
			t.Fatalf("key %d after prune: %x %v", i, got, err)
		}
	}
}
