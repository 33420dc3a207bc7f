package nsengine

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The CID of the empty object, as Kubo v0.43.1 prints it for
// add?cid-version=1&raw-leaves=true of an empty file.
const emptyObjectCID = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"

func testObjects() map[string][]byte {
	full := make([]byte, MaxObjectBytes)
	for i := range full {
		full[i] = byte(i*7 + i>>8)
	}
	return map[string][]byte{
		"0 B":     {},
		"1 B":     {0x00},
		"text":    []byte("hello orama namespace engines\n"),
		"256 KiB": full,
	}
}

// storageContract checks the Storage contract on s and returns the CIDs of
// testObjects by name.
func storageContract(t *testing.T, s Storage) map[string][]byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cids := map[string][]byte{}
	for name, data := range testObjects() {
		c, err := s.Put(ctx, data)
		if err != nil {
			t.Fatalf("put %s: %v", name, err)
		}
		if !bytes.Equal(c, ComputeCID(data)) {
			t.Fatalf("put %s: CID %x, want %x", name, c, ComputeCID(data))
		}
		again, err := s.Put(ctx, data)
		if err != nil || !bytes.Equal(again, c) {
			t.Fatalf("second put of %s: %x, %v", name, again, err)
		}
		got, ok, err := s.Get(ctx, c)
		if err != nil || !ok || !bytes.Equal(got, data) {
			t.Fatalf("get %s: %d bytes, present %v, %v", name, len(got), ok, err)
		}
		if has, err := s.Has(ctx, c); err != nil || !has {
			t.Fatalf("has %s: %v, %v", name, has, err)
		}
		cids[name] = c
	}
	if str, _ := CIDString(cids["0 B"]); str != emptyObjectCID {
		t.Fatalf("CID of the empty object %s, want %s", str, emptyObjectCID)
	}

	// One byte over the limit: refused, typed, nothing stored.
	over := make([]byte, MaxObjectBytes+1)
	if _, err := s.Put(ctx, over); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("put of %d bytes: %v, want ErrTooLarge", len(over), err)
	}
	if has, err := s.Has(ctx, ComputeCID(over)); err != nil || has {
		t.Fatalf("has of the refused object: %v, %v", has, err)
	}

	// Unknown and invalid CIDs.
	unknown := ComputeCID([]byte("never stored"))
	if got, ok, err := s.Get(ctx, unknown); err != nil || ok || got != nil {
		t.Fatalf("get of an unknown CID: %x, %v, %v", got, ok, err)
	}
	for _, bad := range [][]byte{nil, {1, 2, 3}, append([]byte{0x01, 0x70, 0x12, 0x20}, make([]byte, 32)...), append(unknown, 0)} {
		if _, _, err := s.Get(ctx, bad); !errors.Is(err, ErrInvalidCID) {
			t.Fatalf("get of CID %x: %v, want ErrInvalidCID", bad, err)
		}
		if _, err := s.Has(ctx, bad); !errors.Is(err, ErrInvalidCID) {
			t.Fatalf("has of CID %x: %v, want ErrInvalidCID", bad, err)
		}
	}

	// Delete: absent afterwards; deleting again is fine.
	c := cids["text"]
	if err := s.Delete(ctx, c); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, ok, err := s.Get(ctx, c); err != nil || ok {
		t.Fatalf("get after delete: %v, %v", ok, err)
	}
	if err := s.Delete(ctx, c); err != nil {
		t.Fatalf("second delete: %v", err)
	}
	if _, err := s.Put(ctx, testObjects()["text"]); err != nil {
		t.Fatalf("put after delete: %v", err)
	}
	return cids
}

func TestLocalStorage(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "blobs")
	s, err := NewLocalStorage(dir)
	if err != nil {
		t.Fatal(err)
	}
	cids := storageContract(t, s)
	ctx := context.Background()

	// One file per object, named by the base32 CID; no temporaries left.
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != len(cids) {
		t.Fatalf("%d files for %d objects", len(ents), len(cids))
	}
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), "bafkrei") {
			t.Fatalf("file %q is not named by a CID", e.Name())
		}
	}
	name, _ := CIDString(cids["1 B"])
	if b, err := os.ReadFile(filepath.Join(dir, name)); err != nil || !bytes.Equal(b, []byte{0}) {
		t.Fatalf("file %s: %x, %v", name, b, err)
	}

	// A file altered on disk is reported, not returned.
	if err := os.WriteFile(filepath.Join(dir, name), []byte{1}, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Get(ctx, cids["1 B"]); !errors.Is(err, ErrMalformed) {
		t.Fatalf("get of an altered file: %v, want ErrMalformed", err)
	}

	// Reopening removes temporaries a crash left and keeps the objects.
	if err := os.WriteFile(filepath.Join(dir, tmpPrefix+"123"), []byte("torn"), 0o644); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, _, err := s.Get(ctx, cids["0 B"]); !errors.Is(err, ErrClosed) {
		t.Fatalf("get after close: %v, want ErrClosed", err)
	}
	s2, err := NewLocalStorage(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, tmpPrefix+"123")); !os.IsNotExist(err) {
		t.Fatalf("temporary file survived reopening: %v", err)
	}
	if got, ok, err := s2.Get(ctx, cids["256 KiB"]); err != nil || !ok || len(got) != MaxObjectBytes {
		t.Fatalf("get after reopening: %d bytes, %v, %v", len(got), ok, err)
	}
}

func TestCIDString(t *testing.T) {
	c := ComputeCID(nil)
	s, err := CIDString(c)
	if err != nil || s != emptyObjectCID {
		t.Fatalf("CIDString: %q, %v", s, err)
	}
	back, err := ParseCIDString(s)
	if err != nil || !bytes.Equal(back, c) {
		t.Fatalf("ParseCIDString: %x, %v", back, err)
	}
	// A CIDv0 (dag-pb) and garbage are not object CIDs.
	for _, bad := range []string{"QmbWqxBEKC3P8tqsKc98xmWNzrzDtRLMiMPL8wBuTGsMnR", "b", "", "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"} {
		if _, err := ParseCIDString(bad); !errors.Is(err, ErrInvalidCID) {
			t.Fatalf("ParseCIDString(%q): %v, want ErrInvalidCID", bad, err)
		}
	}
}
