package smt

import (
	"bytes"
	"errors"

	"github.com/dgraph-io/badger/v4"
)

// BadgerStore is a Store on a BadgerDB (v4) database that the caller opens
// and closes. Every key is prefixed with the store's prefix, so the tree can
// share a database with other data.
type BadgerStore struct {
	db     *badger.DB
	prefix []byte
}

var _ Store = (*BadgerStore)(nil)

// NewBadgerStore returns a store that keeps its keys under prefix in db.
func NewBadgerStore(db *badger.DB, prefix []byte) *BadgerStore {
	return &BadgerStore{db: db, prefix: bytes.Clone(prefix)}
}

func (s *BadgerStore) key(k []byte) []byte {
	if len(s.prefix) == 0 {
		return k
	}
	out := make([]byte, 0, len(s.prefix)+len(k))
	return append(append(out, s.prefix...), k...)
}

// Get implements Store.
func (s *BadgerStore) Get(key []byte) (value []byte, ok bool, err error) {
	err = s.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(s.key(key))
		if err != nil {
			return err
		}
		value, err = item.ValueCopy(nil)
		return err
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, false, nil
	}
	return value, err == nil, err
}

// Scan implements Store.
func (s *BadgerStore) Scan(prefix []byte, fn func(key, value []byte) (bool, error)) error {
	return s.db.View(func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.Prefix = s.key(prefix)
		it := txn.NewIterator(opts)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			item := it.Item()
			v, err := item.ValueCopy(nil)
			if err != nil {
				return err
			}
			more, err := fn(item.Key()[len(s.prefix):], v)
			if err != nil || !more {
				return err
			}
		}
		return nil
	})
}

// NewBatch implements Store. The batch is a badger.WriteBatch: it splits
// itself when it outgrows one transaction.
func (s *BadgerStore) NewBatch() Batch {
	return &badgerBatch{s: s, wb: s.db.NewWriteBatch()}
}

type badgerBatch struct {
	s  *BadgerStore
	wb *badger.WriteBatch
}

func (b *badgerBatch) Set(key, value []byte) error { return b.wb.Set(b.s.key(key), value) }
func (b *badgerBatch) Delete(key []byte) error     { return b.wb.Delete(b.s.key(key)) }
func (b *badgerBatch) Write() error                { return b.wb.Flush() }
func (b *badgerBatch) Discard()                    { b.wb.Cancel() }
