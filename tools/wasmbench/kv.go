package main

import (
	"bytes"
	"slices"

	wasmvmtypes "github.com/CosmWasm/wasmvm/v2/types"
)

// kv is wasmvm's KVStore on a map: what wasmd's store does minus the IAVL
// tree and its gas, so the comparison is of the VMs, not of the stores.
type kv struct{ m map[string][]byte }

func newKV() *kv { return &kv{m: map[string][]byte{}} }

func (s *kv) Get(key []byte) []byte { return s.m[string(key)] }

func (s *kv) Set(key, value []byte) { s.m[string(key)] = append([]byte(nil), value...) }

func (s *kv) Delete(key []byte) { delete(s.m, string(key)) }

// keys lists the keys in byte order.
func (s *kv) keys() []string {
	ks := make([]string, 0, len(s.m))
	for k := range s.m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// iterator returns the keys in [start, end) (nil: unbounded), ascending or
// descending, over a snapshot of the store.
func (s *kv) iterator(start, end []byte, reverse bool) *kvIter {
	it := &kvIter{s: s, start: start, end: end}
	for _, k := range s.keys() {
		if (start == nil || bytes.Compare([]byte(k), start) >= 0) && (end == nil || bytes.Compare([]byte(k), end) < 0) {
			it.keys = append(it.keys, k)
		}
	}
	if reverse {
		slices.Reverse(it.keys)
	}
	return it
}

func (s *kv) Iterator(start, end []byte) wasmvmtypes.Iterator { return s.iterator(start, end, false) }

func (s *kv) ReverseIterator(start, end []byte) wasmvmtypes.Iterator {
	return s.iterator(start, end, true)
}

type kvIter struct {
	s          *kv
	start, end []byte
	keys       []string
	i          int
}

func (it *kvIter) Domain() ([]byte, []byte) { return it.start, it.end }
func (it *kvIter) Valid() bool              { return it.i < len(it.keys) }
func (it *kvIter) Next() {
	if !it.Valid() {
		panic("kv: Next on an invalid iterator")
	}
	it.i++
}
func (it *kvIter) Key() []byte   { return []byte(it.keys[it.i]) }
func (it *kvIter) Value() []byte { return it.s.m[it.keys[it.i]] }
func (it *kvIter) Error() error  { return nil }
func (it *kvIter) Close() error  { return nil }
