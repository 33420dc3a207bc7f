// Command probe is a Go wasip1 contract calling every host function through
// package orama, run by runtime/host's guest tests against the reference
// implementations. Each export returns 0 when every check passed, or the
// number of the first that failed. It mirrors sdk/as/test/probe.ts.
package main

import (
	"bytes"
	"encoding/hex"
	"errors"

	orama "github.com/oramanetwork/orama-chain/sdk/go"
)

func main() {}

func h(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func addr(b byte) *[20]byte {
	var a [20]byte
	for i := range a {
		a[i] = b
	}
	return &a
}

//go:wasmexport db
func db() int32 {
	if _, err := orama.Exec("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT UNIQUE, score REAL, pic BLOB, note)"); err != nil {
		return 1
	}
	r, err := orama.Exec("INSERT INTO t(name, score, pic, note) VALUES (?1, ?2, ?3, ?4)",
		orama.Text("ann"), orama.Real(2.5), orama.Blob(h("00ff")), orama.Null())
	if err != nil || r.RowsAffected != 1 || r.LastInsertID != 1 {
		return 2
	}
	if r, err = orama.Exec("INSERT INTO t(name, score) VALUES (?1, ?2)", orama.Text("bob"), orama.Int(-3)); err != nil || r.LastInsertID != 2 {
		return 3
	}
	if _, err = orama.Exec("INSERT INTO t(name) VALUES (?1)", orama.Text("ann")); !errors.Is(err, orama.StatusSQLConstraint) {
		return 4
	}
	rows, err := orama.Query("SELECT id, name, score, pic, note FROM t ORDER BY id")
	if err != nil || len(rows.Rows) != 2 || len(rows.Columns) != 5 || rows.Columns[1] != "name" {
		return 5
	}
	a := rows.Rows[0]
	if a[0].Int != 1 || a[1].String() != "ann" || a[2].Real != 2.5 || !bytes.Equal(a[3].Bytes, h("00ff")) || !a[4].IsNull() {
		return 6
	}
	if b := rows.Rows[1][2]; b.Kind != orama.KindReal || b.Real != -3 {
		return 7
	}
	row, err := orama.QueryRow("SELECT name FROM t WHERE id = ?1", orama.Int(2))
	if err != nil || len(row) != 1 || row[0].String() != "bob" {
		return 8
	}
	if row, err := orama.QueryRow("SELECT name FROM t WHERE id = 9"); err != nil || row != nil {
		return 9
	}
	if _, err := orama.Query("DELETE FROM t"); !errors.Is(err, orama.StatusSQLReadOnly) {
		return 10
	}
	if _, err := orama.Exec("SELECT random()"); !errors.Is(err, orama.StatusSQLDenied) {
		return 11
	}
	if _, err := orama.Exec("SELEC 1"); !errors.Is(err, orama.StatusSQLError) {
		return 12
	}
	if r, err := orama.Exec("UPDATE t SET score = score + 1"); err != nil || r.RowsAffected != 2 || r.LastInsertID != 0 {
		return 13
	}
	return 0
}

//go:wasmexport cache
func cache() int32 {
	if !bytes.Equal(orama.CacheGet([]byte("preset")), []byte("from the test")) {
		return 1
	}
	if orama.CacheGet([]byte("expired")) != nil {
		return 2
	}
	if orama.CacheSet([]byte("k"), []byte("v"), 0) != orama.StatusOK {
		return 3
	}
	if !bytes.Equal(orama.CacheGet([]byte("k")), []byte("v")) {
		return 4
	}
	if orama.CacheSet([]byte("ttl"), nil, 60) != orama.StatusOK {
		return 5
	}
	if v := orama.CacheGet([]byte("ttl")); v == nil || len(v) != 0 {
		return 6
	}
	if orama.CacheDelete([]byte("k")) != orama.StatusOK {
		return 7
	}
	if orama.CacheDelete([]byte("k")) != orama.StatusNotFound {
		return 8
	}
	if orama.CacheGet([]byte("k")) != nil {
		return 9
	}
	return 0
}

//go:wasmexport storage
func storage() int32 {
	cid := orama.StoragePut([]byte("hello"))
	if !bytes.Equal(cid, h("015512202cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")) {
		return 1
	}
	if !bytes.Equal(orama.StorageGet(cid), []byte("hello")) {
		return 2
	}
	if orama.StorageGet(append(h("01551220"), make([]byte, 32)...)) != nil {
		return 3
	}
	return 0
}

//go:wasmexport token
func token() int32 {
	bob, self := addr(0x33), addr(0x11)
	if orama.GetBalance(self, 0) != 1000 || orama.GetBalance(self, 1) != 50 {
		return 1
	}
	if orama.TransferOrama(bob, 400) != orama.StatusOK {
		return 2
	}
	if orama.TransferOrama(bob, 601) != orama.StatusInsufficientBalance {
		return 3
	}
	if orama.TransferOrama(bob, 0) != orama.StatusInvalidAmount {
		return 4
	}
	if orama.TransferBTC(bob, 50) != orama.StatusOK {
		return 5
	}
	if orama.GetBalance(bob, 0) != 400 || orama.GetBalance(bob, 1) != 50 || orama.GetBalance(self, 1) != 0 {
		return 6
	}
	return 0
}

//go:wasmexport context
func context() int32 {
	if !bytes.Equal(orama.Caller(), addr(0x55)[:]) {
		return 1
	}
	if orama.BlockHeight() != 42 {
		return 2
	}
	if orama.BlockTimestamp() != 1700000000 {
		return 3
	}
	if orama.OramaValue() != 7 {
		return 4
	}
	if orama.BTCValue() != 8 {
		return 5
	}
	if !bytes.Equal(orama.Input(), []byte("probe input")) {
		return 6
	}
	if !bytes.Equal(orama.Self(), addr(0x11)[:]) {
		return 7
	}
	return 0
}

//go:wasmexport state
func state() int32 {
	if !bytes.Equal(orama.StateGet([]byte("preset")), []byte("mine")) {
		return 1
	}
	if orama.StateGet([]byte("other")) != nil { // set for contract 0x33 only
		return 2
	}
	if orama.StateSet([]byte("k"), []byte("v")) != orama.StatusOK {
		return 3
	}
	if !bytes.Equal(orama.StateGet([]byte("k")), []byte("v")) {
		return 4
	}
	if orama.StateSet([]byte("empty"), nil) != orama.StatusOK {
		return 5
	}
	if v := orama.StateGet([]byte("empty")); v == nil || len(v) != 0 {
		return 6
	}
	if orama.StateDelete([]byte("k")) != orama.StatusOK {
		return 7
	}
	if orama.StateDelete([]byte("k")) != orama.StatusNotFound {
		return 8
	}
	if orama.StateGet([]byte("k")) != nil {
		return 9
	}
	if orama.StateDelete([]byte("other")) != orama.StatusNotFound {
		return 10
	}
	if orama.StateSet([]byte("written"), []byte("by the probe")) != orama.StatusOK {
		return 11
	}
	return 0
}

//go:wasmexport events
func events() int32 {
	if orama.EmitEvent("transfer", h("0102")) != nil {
		return 1
	}
	if orama.EmitEvent("second", nil) != nil {
		return 2
	}
	orama.LogInfo("hello from Go")
	orama.LogError("an error line")
	return 0
}

//go:wasmexport crypto
func crypto() int32 {
	if s := orama.SHA256([]byte("abc")); !bytes.Equal(s[:], h("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")) {
		return 1
	}
	if k := orama.Keccak256(nil); !bytes.Equal(k[:], h("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")) {
		return 2
	}
	msg := orama.CacheGet([]byte("msg"))
	var sig [65]byte
	var a [20]byte
	copy(sig[:], orama.CacheGet([]byte("sig")))
	copy(a[:], orama.CacheGet([]byte("addr")))
	if !orama.VerifySignature(msg, &sig, &a) {
		return 3
	}
	if orama.VerifySignature([]byte("another message"), &sig, &a) {
		return 4
	}
	return 0
}

// tooLong traps: a cache key over MaxCacheKeyBytes.
//
//go:wasmexport too_long
func tooLong() int32 {
	orama.CacheGet(make([]byte, orama.MaxCacheKeyBytes+1))
	return 0
}

// stateTooLong traps after a state write: a value over MaxStateValueBytes,
// so the write before it is not kept.
//
//go:wasmexport state_too_long
func stateTooLong() int32 {
	orama.StateSet([]byte("lost"), []byte("x"))
	orama.StateSet([]byte("k"), make([]byte, orama.MaxStateValueBytes+1))
	return 0
}
