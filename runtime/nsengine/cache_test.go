package nsengine

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"testing"
	"time"
)

// cacheContract checks the Cache contract on two handles of one cache (the
// same MemoryCache twice, or two Olric members): what one writes the other
// reads. maxValue is the largest value the engine is configured to hold.
func cacheContract(t *testing.T, a, b Cache, maxValue int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	mustGet := func(c Cache, key []byte) (CacheValue, bool) {
		t.Helper()
		v, ok, err := c.Get(ctx, key)
		if err != nil {
			t.Fatalf("get %x: %v", key, err)
		}
		return v, ok
	}
	mustSet := func(c Cache, key []byte, v CacheValue) {
		t.Helper()
		if err := c.Set(ctx, key, v); err != nil {
			t.Fatalf("set %x: %v", key, err)
		}
	}
	mustDelete := func(c Cache, key []byte) {
		t.Helper()
		if err := c.Delete(ctx, key); err != nil {
			t.Fatalf("delete %x: %v", key, err)
		}
	}
	want := func(c Cache, key []byte, w CacheValue) {
		t.Helper()
		got, ok := mustGet(c, key)
		if !ok {
			t.Fatalf("get %x: absent, want %d bytes expiring %d", key, len(w.Value), w.Expires)
		}
		if !got.Equal(w) || got.Value == nil {
			t.Fatalf("get %x: got {%d, %d bytes}, want {%d, %d bytes}", key, got.Expires, len(got.Value), w.Expires, len(w.Value))
		}
	}
	absent := func(c Cache, key []byte) {
		t.Helper()
		if v, ok := mustGet(c, key); ok {
			t.Fatalf("get %x: present ({%d, %d bytes}), want absent", key, v.Expires, len(v.Value))
		}
	}

	// Absent, then set on a and read on b, overwrite on b and read on a.
	k := []byte("guestbook:count")
	absent(a, k)
	absent(b, k)
	mustSet(a, k, CacheValue{Expires: 1700000000123, Value: []byte("7")})
	want(b, k, CacheValue{Expires: 1700000000123, Value: []byte("7")})
	mustSet(b, k, CacheValue{Expires: 0, Value: []byte("eight")})
	want(a, k, CacheValue{Value: []byte("eight")})
	want(b, k, CacheValue{Value: []byte("eight")})

	// Empty value: present, distinct from absent (nil and empty alike).
	mustSet(a, []byte("empty"), CacheValue{Expires: 5, Value: []byte{}})
	want(b, []byte("empty"), CacheValue{Expires: 5, Value: []byte{}})
	mustSet(b, []byte("nil"), CacheValue{Expires: ^uint64(0)})
	want(a, []byte("nil"), CacheValue{Expires: ^uint64(0), Value: []byte{}})
	absent(a, []byte("never-set"))

	// Binary keys and values: NUL, 0xff, invalid UTF-8, the longest key, the
	// empty key, keys differing only in a trailing NUL.
	keys := [][]byte{
		{0}, {0, 0}, {0xff, 0xfe, 0x00, 0x80}, []byte("k\x00"), []byte("k"),
		bytes.Repeat([]byte{0xc3}, MaxCacheKeyBytes), {},
	}
	for i, key := range keys {
		val := make([]byte, 64+i)
		for j := range val {
			val[j] = byte(255 - j - i)
		}
		mustSet(a, key, CacheValue{Expires: uint64(i), Value: val})
	}
	for i, key := range keys {
		val := make([]byte, 64+i)
		for j := range val {
			val[j] = byte(255 - j - i)
		}
		want(b, key, CacheValue{Expires: uint64(i), Value: val})
	}

	// The largest value the engine holds.
	big := bytes.Repeat([]byte{0xa5, 0x00, 0x5a}, maxValue/3+1)[:maxValue]
	mustSet(b, []byte("big"), CacheValue{Expires: 9, Value: big})
	want(a, []byte("big"), CacheValue{Expires: 9, Value: big})

	// No aliasing: the caller's buffers are its own.
	in := []byte("mutable")
	mustSet(a, []byte("alias"), CacheValue{Value: in})
	in[0] = 'X'
	got, _ := mustGet(b, []byte("alias"))
	got.Value[1] = 'Y'
	want(a, []byte("alias"), CacheValue{Value: []byte("mutable")})

	// Over the limits: ErrTooLarge, nothing written.
	if err := a.Set(ctx, bytes.Repeat([]byte{1}, MaxCacheKeyBytes+1), CacheValue{}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("set of a %d-byte key: %v, want ErrTooLarge", MaxCacheKeyBytes+1, err)
	}
	if err := a.Set(ctx, []byte("huge"), CacheValue{Value: make([]byte, MaxCacheValueBytes+1)}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("set of a %d-byte value: %v, want ErrTooLarge", MaxCacheValueBytes+1, err)
	}
	absent(b, []byte("huge"))

	// Delete on one, absent on both; deleting again or an absent key is fine.
	mustDelete(b, k)
	absent(a, k)
	absent(b, k)
	mustDelete(a, k)
	mustDelete(a, []byte("never-set"))
	mustDelete(a, []byte("empty"))
	absent(b, []byte("empty"))
	want(b, []byte("nil"), CacheValue{Expires: ^uint64(0), Value: []byte{}})

	// Many keys, so both handles own some (Olric partitions): set through a,
	// delete every other one through b one at a time, check all through a.
	const n = 120
	key := func(i int) []byte { return binary.BigEndian.AppendUint32([]byte("many/"), uint32(i)) }
	for i := 0; i < n; i++ {
		mustSet(a, key(i), CacheValue{Expires: uint64(i), Value: []byte(fmt.Sprint(i))})
	}
	for i := 0; i < n; i += 2 {
		mustDelete(b, key(i))
	}
	for i := 0; i < n; i++ {
		if i%2 == 0 {
			absent(a, key(i))
		} else {
			want(a, key(i), CacheValue{Expires: uint64(i), Value: []byte(fmt.Sprint(i))})
		}
	}

	// A cancelled context is an error, not a hang.
	cctx, ccancel := context.WithCancel(ctx)
	ccancel()
	if _, _, err := a.Get(cctx, k); err == nil {
		t.Fatalf("get with a cancelled context: no error")
	}
}

func TestMemoryCache(t *testing.T) {
	c := NewMemoryCache()
	cacheContract(t, c, c, MaxCacheValueBytes)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Get(context.Background(), []byte("k")); !errors.Is(err, ErrClosed) {
		t.Fatalf("get after close: %v, want ErrClosed", err)
	}
	if err := c.Set(context.Background(), []byte("k"), CacheValue{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("set after close: %v, want ErrClosed", err)
	}
}

func TestCacheValueEncoding(t *testing.T) {
	// Borsh CacheValue{expires: u64, value: bytes}.
	enc, err := EncodeCacheValue(CacheValue{Expires: 0x0102030405060708, Value: []byte{0xaa, 0xbb}})
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{8, 7, 6, 5, 4, 3, 2, 1, 2, 0, 0, 0, 0xaa, 0xbb}
	if !bytes.Equal(enc, want) {
		t.Fatalf("encoding %x, want %x", enc, want)
	}
	v, err := DecodeCacheValue(want)
	if err != nil || v.Expires != 0x0102030405060708 || !bytes.Equal(v.Value, []byte{0xaa, 0xbb}) {
		t.Fatalf("decode: %+v, %v", v, err)
	}
	v, err = DecodeCacheValue(make([]byte, 12))
	if err != nil || v.Value == nil || len(v.Value) != 0 {
		t.Fatalf("decode of an empty value: %+v, %v (want present, empty, non-nil)", v, err)
	}
	for _, bad := range [][]byte{
		nil, make([]byte, 11), append(make([]byte, 12), 0), // short, trailing byte
		{0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0}, // length 1, no byte
		{0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0}, // over the limit
	} {
		if _, err := DecodeCacheValue(bad); !errors.Is(err, ErrMalformed) {
			t.Fatalf("decode %x: %v, want ErrMalformed", bad, err)
		}
	}
	if _, err := EncodeCacheValue(CacheValue{Value: make([]byte, MaxCacheValueBytes+1)}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("encode of an over-limit value: %v", err)
	}
}

func FuzzDecodeCacheValue(f *testing.F) {
	f.Add([]byte{})
	f.Add(make([]byte, 12))
	f.Add([]byte{8, 7, 6, 5, 4, 3, 2, 1, 2, 0, 0, 0, 0xaa, 0xbb})
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := DecodeCacheValue(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		// One value, one encoding.
		enc, err := EncodeCacheValue(v)
		if err != nil || !bytes.Equal(enc, b) {
			t.Fatalf("re-encoding %x gives %x, %v", b, enc, err)
		}
	})
}
