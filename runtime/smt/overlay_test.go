package smt

import (
	"bytes"
	"fmt"
	"testing"
)

// TestOverlayForks executes two competing children of one committed root
// into overlays, flushes only the winner, prunes, and checks that the
// winner's tree is whole, the loser left nothing in the base, and a
// grandchild stacked on the winner's overlay survives a Rebase.
func TestOverlayForks(t *testing.T) {
	base := NewMemStore()
	tr := mustOpen(t, base, EmptyRoot)
	for i := range 64 {
		if err := tr.Update([]byte(fmt.Sprintf("key-%02d", i)), []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	r1, err := tr.Commit(1)
	if err != nil {
		t.Fatal(err)
	}
	baseLen := base.Len()

	child := func(s Store, root [HashSize]byte, version uint64, key string, val byte) [HashSize]byte {
		t.Helper()
		c := mustOpen(t, s, root)
		if err := c.Update([]byte(key), []byte{val}); err != nil {
			t.Fatal(err)
		}
		r, err := c.Commit(version)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	win, lose := NewOverlay(base), NewOverlay(base)
	rWin := child(win, r1, 2, "key-01", 0xAA)
	rLose := child(lose, r1, 2, "key-02", 0xBB)
	if rWin == rLose || win.Len() == 0 || lose.Len() == 0 {
		t.Fatal("the forks must write different nodes")
	}
	if base.Len() != baseLen {
		t.Fatal("an overlay wrote to its base before Flush")
	}
	grand := NewOverlay(win)
	rGrand := child(grand, rWin, 3, "key-03", 0xCC)

	if err := win.Flush(); err != nil {
		t.Fatal(err)
	}
	grand.Rebase(base)
	if err := grand.Flush(); err != nil {
		t.Fatal(err)
	}
	// Prune everything made stale by versions 2 and 3, as a node keeping one
	// version does. The loser's stale records never reached the base, so
	// nothing the winner uses is deleted.
	if _, err := Prune(base, 3); err != nil {
		t.Fatal(err)
	}
	final := mustOpen(t, base, rGrand)
	for i := range 64 {
		want := []byte{byte(i)}
		switch i {
		case 1:
			want = []byte{0xAA}
		case 3:
			want = []byte{0xCC}
		}
		got, err := final.Get([]byte(fmt.Sprintf("key-%02d", i)))
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("key-%02d = %x, %v; want %x", i, got, err, want)
		}
	}
	if _, err := Open(base, rLose); err == nil {
		t.Fatal("the losing fork's root is in the base")
	}
	// Reads of a deleted key in an overlay report absence, not the base.
	o := NewOverlay(base)
	b := o.NewBatch()
	k := nodeKey(nil, &rGrand)
	if err := b.Delete(k); err != nil {
		t.Fatal(err)
	}
	if err := b.Write(); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := o.Get(k); ok {
		t.Fatal("deleted in the overlay, still visible")
	}
	if _, ok, _ := base.Get(k); !ok {
		t.Fatal("an overlay delete reached the base")
	}
	seen := 0
	if err := o.Scan([]byte{prefixNode}, func(key, _ []byte) (bool, error) {
		if bytes.Equal(key, k) {
			t.Fatal("scan shows a key deleted in the overlay")
		}
		seen++
		return true, nil
	}); err != nil || seen == 0 {
		t.Fatalf("scan: %d keys, %v", seen, err)
	}
}
