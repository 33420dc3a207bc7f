package nsengine

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/oramanetwork/orama-chain/runtime/nsengine/enginetest"
)

func TestKuboStorage(t *testing.T) {
	start := time.Now()
	k := enginetest.Kubo(t)
	t.Logf("kubo daemon up in %s", time.Since(start))
	ctx := context.Background()

	alpha, err := NewKuboStorage(k.APIURL, "alpha")
	if err != nil {
		t.Fatal(err)
	}
	cids := storageContract(t, alpha)

	// The same CIDs as the local store's for the same bytes.
	local, err := NewLocalStorage(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range testObjects() {
		lc, err := local.Put(ctx, data)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(lc, cids[name]) {
			t.Fatalf("%s: Kubo CID %x, local %x", name, cids[name], lc)
		}
	}

	// Scope: another namespace on the same Kubo does not see alpha's
	// objects (Kubo has the blocks, the namespace directory does not link
	// them), until it stores them itself.
	beta, err := NewKuboStorage(k.APIURL+"/api/v0", "beta")
	if err != nil {
		t.Fatal(err)
	}
	c := cids["256 KiB"]
	if _, ok, err := beta.Get(ctx, c); err != nil || ok {
		t.Fatalf("beta get of alpha's object: %v, %v", ok, err)
	}
	if ok, err := beta.Has(ctx, c); err != nil || ok {
		t.Fatalf("beta has alpha's object: %v, %v", ok, err)
	}
	if _, err := beta.Put(ctx, testObjects()["256 KiB"]); err != nil {
		t.Fatal(err)
	}
	if err := alpha.Delete(ctx, c); err != nil {
		t.Fatal(err)
	}
	if got, ok, err := beta.Get(ctx, c); err != nil || !ok || len(got) != MaxObjectBytes {
		t.Fatalf("beta's copy after alpha's delete: %d bytes, %v, %v", len(got), ok, err)
	}

	// Namespace delete removes /orama/<name>.
	if err := alpha.RemoveAll(ctx); err != nil {
		t.Fatal(err)
	}
	if ok, err := alpha.Has(ctx, cids["1 B"]); err != nil || ok {
		t.Fatalf("has after RemoveAll: %v, %v", ok, err)
	}
	if err := alpha.RemoveAll(ctx); err != nil {
		t.Fatalf("second RemoveAll: %v", err)
	}
	if _, err := alpha.Put(ctx, []byte("after")); err != nil {
		t.Fatalf("put after RemoveAll: %v", err)
	}

	// Names are checked: no path tricks in the MFS directory.
	for _, bad := range []string{"", "ab", "../x", "a/b", "Alpha", "a--b", "abc-"} {
		if _, err := NewKuboStorage(k.APIURL, bad); err == nil {
			t.Fatalf("NewKuboStorage(%q): no error", bad)
		}
	}

	// Kubo stopped: every call fails with ErrUnavailable, promptly.
	k.Stop()
	stopped := time.Now()
	if _, err := beta.Put(ctx, []byte("x")); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("put with Kubo stopped: %v, want ErrUnavailable", err)
	}
	if _, _, err := beta.Get(ctx, c); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("get with Kubo stopped: %v, want ErrUnavailable", err)
	}
	if _, err := beta.Has(ctx, c); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("has with Kubo stopped: %v, want ErrUnavailable", err)
	}
	if err := beta.Delete(ctx, c); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("delete with Kubo stopped: %v, want ErrUnavailable", err)
	}
	if d := time.Since(stopped); d > 5*time.Second {
		t.Fatalf("errors with Kubo stopped took %s", d)
	}
	// A caller's deadline that expires is unavailability too.
	dctx, cancel := context.WithTimeout(ctx, time.Nanosecond)
	defer cancel()
	time.Sleep(time.Millisecond)
	if _, _, err := beta.Get(dctx, c); err == nil {
		t.Fatalf("get with an expired context: no error")
	}

	// Restarted on the same repository: the objects are still there.
	k.Start()
	if got, ok, err := beta.Get(ctx, c); err != nil || !ok || len(got) != MaxObjectBytes {
		t.Fatalf("get after the restart: %d bytes, %v, %v", len(got), ok, err)
	}
	beta.Close()
	if _, err := beta.Put(ctx, []byte("x")); !errors.Is(err, ErrClosed) {
		t.Fatalf("put after close: %v, want ErrClosed", err)
	}
}

func FuzzDecodeKuboAnswers(f *testing.F) {
	f.Add([]byte(`{"Name":"empty","Hash":"bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku","Size":"0"}`))
	f.Add([]byte(`{"Name":"a","Hash":"x"}` + "\n" + `{"Name":"b","Hash":"y"}`))
	f.Add([]byte(`{"Hash":"bafk","Size":0,"CumulativeSize":0,"Blocks":0,"Type":"file"}`))
	f.Add([]byte(`{"Message":"file does not exist","Code":0,"Type":"error"}`))
	f.Add([]byte(`[]`))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, dec := range []func([]byte) (string, error){decodeKuboAdd, decodeKuboStat, decodeKuboError} {
			s, err := dec(b)
			if err != nil && !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			if err == nil && s == "" {
				t.Fatalf("no error and an empty result")
			}
		}
	})
}
