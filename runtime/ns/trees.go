package ns

import (
	"encoding/binary"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/abi"
	"github.com/oramanetwork/orama-chain/runtime/host"
	"github.com/oramanetwork/orama-chain/runtime/smt"
)

func (m *Machine) openTree(ns []byte, root types.Hash) (*smt.Tree, error) {
	t, err := smt.Open(m.nodes, root, smt.WithNamespace(ns), smt.WithoutStaleRecords(), smt.WithPageCache(m.pages))
	if err != nil {
		return nil, fmt.Errorf("%w: tree %s: %w", ErrHostFailure, ns, err)
	}
	return t, nil
}

// parallelWrites is the number of an entry's tree writes from which its
// subtrees are committed concurrently. Below it they are committed one after
// another on the caller's goroutine: a typical call writes a handful of keys,
// and a goroutine per subtree then cost more than it saved (each started on
// a small stack that the tree's recursion grew by copying); D32 has the
// figures.
const parallelWrites = 256

// runAll runs independent tasks and returns the first error in task order.
// With parallel, all but the last run on goroutines of their own; otherwise
// all run in order on this goroutine.
func runAll(tasks []func() error, parallel bool) error {
	if len(tasks) == 0 {
		return nil
	}
	if !parallel {
		for _, t := range tasks {
			if err := t(); err != nil {
				return err
			}
		}
		return nil
	}
	errs := make([]error, len(tasks))
	var wg sync.WaitGroup
	for i := range tasks[:len(tasks)-1] {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs[i] = tasks[i]()
		}(i)
	}
	errs[len(tasks)-1] = tasks[len(tasks)-1]()
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// borshBytes is Borsh `bytes`: u32 length and the bytes, so an empty value
// is a present leaf.
func borshBytes(b []byte) []byte {
	return append(binary.LittleEndian.AppendUint32(make([]byte, 0, 4+len(b)), uint32(len(b))), b...)
}

// commitTrees applies an entry's writes to the Tier 1 trees and returns the
// head with the new root (namespaces.md 5.1, 5.2). It sets the contracts'
// storage roots in eo and ws.Accounts.
func (m *Machine) commitTrees(eo *overlay, ws *types.WriteSet, sqlw []types.SQLWrite, pos uint64) (head, error) {
	nh := m.bhead
	fail := func(err error) (head, error) {
		return head{}, fmt.Errorf("%w: trees at %d: %w", ErrHostFailure, pos, err)
	}
	// The subtrees are independent: commit them concurrently, then the top
	// tree that holds their roots. Each task writes only its own result.
	var tasks []func() error
	// Contract storage, one tree per contract (ws.State is by contract, key).
	type storageResult struct {
		contract types.Address
		acc      types.NsAccount
	}
	var storage []*storageResult
	for i := 0; i < len(ws.State); {
		j := i
		for j < len(ws.State) && ws.State[j].Contract == ws.State[i].Contract {
			j++
		}
		writes, r := ws.State[i:j], &storageResult{contract: ws.State[i].Contract}
		storage = append(storage, r)
		tasks = append(tasks, func() error {
			acc, _, err := eo.account(r.contract)
			if err != nil {
				return err
			}
			t, err := m.openTree(treeStorage(r.contract), acc.StorageRoot)
			if err != nil {
				return err
			}
			for _, w := range writes {
				if w.Present {
					err = t.Update(w.Key, borshBytes(w.Value))
				} else {
					err = t.Delete(w.Key)
				}
				if err != nil {
					return err
				}
			}
			if acc.StorageRoot, err = t.Commit(pos); err != nil {
				return err
			}
			r.acc = acc
			return nil
		})
		i = j
	}
	if len(sqlw) > 0 {
		tasks = append(tasks, func() error {
			t, err := m.openTree(treeSQL, nh.SQL)
			if err != nil {
				return err
			}
			if err := m.applySQL(eo, t, sqlw); err != nil {
				return err
			}
			nh.SQL, err = t.Commit(pos)
			return err
		})
	}
	if len(ws.Cache) > 0 {
		tasks = append(tasks, func() error {
			t, err := m.openTree(treeCache, nh.Cache)
			if err != nil {
				return err
			}
			for _, w := range ws.Cache {
				if w.Value == nil {
					err = t.Delete(w.Key)
				} else {
					var v []byte
					if v, err = w.Value.MarshalBorsh(); err == nil {
						err = t.Update(w.Key, v)
					}
				}
				if err != nil {
					return err
				}
			}
			nh.Cache, err = t.Commit(pos)
			return err
		})
	}
	if len(ws.Blobs) > 0 {
		tasks = append(tasks, func() error {
			t, err := m.openTree(treeBlobs, nh.Blobs)
			if err != nil {
				return err
			}
			for _, b := range ws.Blobs {
				if err := t.Update(abi.RawCID(b.Data), u64le(uint64(len(b.Data)))); err != nil {
					return err
				}
			}
			nh.Blobs, err = t.Commit(pos)
			return err
		})
	}
	if err := runAll(tasks, len(ws.State)+len(sqlw)+len(ws.Cache)+len(ws.Blobs) >= parallelWrites); err != nil {
		return fail(err)
	}
	for _, r := range storage {
		eo.accounts[r.contract] = r.acc
	}
	ws.Accounts = accountWrites(eo)
	top, err := m.openTree(treeTop, nh.Root)
	if err != nil {
		return head{}, err
	}
	for _, w := range ws.Accounts {
		v, err := w.Account.MarshalBorsh()
		if err == nil {
			err = top.Update(w.Address[:], v)
		}
		if err != nil {
			return fail(err)
		}
	}
	if ws.Supply != nil {
		v, err := ws.Supply.MarshalBorsh()
		if err == nil {
			err = top.Update(topSupply, v)
		}
		if err != nil {
			return fail(err)
		}
	}
	for _, sub := range []struct {
		key       []byte
		old, root types.Hash
	}{{topSQL, m.bhead.SQL, nh.SQL}, {topCache, m.bhead.Cache, nh.Cache}, {topBlobs, m.bhead.Blobs, nh.Blobs}} {
		if sub.old == sub.root {
			continue
		}
		if sub.root == smt.EmptyRoot {
			err = top.Delete(sub.key)
		} else {
			err = top.Update(sub.key, sub.root[:])
		}
		if err != nil {
			return fail(err)
		}
	}
	if nh.Root, err = top.Commit(pos); err != nil {
		return fail(err)
	}
	return nh, nil
}

// applySQL sets the SQL tree's leaves from an entry's SQL write groups:
// row images in order, then, if the entry ran any DDL, the schema leaves
// and every row leaf of each table whose schema changed or that a DDL
// statement names (dropped, re-created, altered, renamed), from the
// replica's rows at the end of the entry.
func (m *Machine) applySQL(eo *overlay, t *smt.Tree, sqlw []types.SQLWrite) error {
	var ddl []string
	for _, g := range sqlw {
		if g.Kind == types.SQLWriteKindDDL {
			ddl = append(ddl, host.LowerASCII(g.Ddl))
			continue
		}
		for _, img := range g.Rows {
			if err := setRowLeaf(eo, t, img); err != nil {
				return err
			}
		}
	}
	if len(ddl) == 0 {
		return nil
	}
	cur, err := m.db.Schema()
	if err != nil {
		return err
	}
	old := map[string]types.SchemaRow{}
	keys, err := eo.rawKeys([]byte{kSchema})
	if err != nil {
		return err
	}
	for _, k := range keys {
		v, _, err := eo.raw(k)
		if err != nil {
			return err
		}
		var row types.SchemaRow
		if err := row.UnmarshalBorsh(v); err != nil {
			return fmt.Errorf("stored schema leaf %q: %w", k[1:], err)
		}
		old[string(k[1:])] = row
	}
	now := map[string]types.SchemaRow{}
	for _, s := range cur {
		now[s.Name] = s.Row
	}
	names := make([]string, 0, len(old)+len(now))
	for n := range old {
		names = append(names, n)
	}
	for n := range now {
		if _, ok := old[n]; !ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	tables := map[string]bool{}
	for _, n := range names {
		o, had := old[n]
		c, has := now[n]
		isTable := (had && o.Type == "table") || (has && c.Type == "table")
		if had && has && o == c {
			if isTable {
				for _, d := range ddl {
					if strings.Contains(d, n) {
						tables[n] = true
					}
				}
			}
			continue
		}
		if isTable {
			tables[n] = true
		}
		if !has {
			if err := t.Delete(schemaLeafKey(n)); err != nil {
				return err
			}
			eo.delRaw(key(kSchema, []byte(n)))
			continue
		}
		v, err := c.MarshalBorsh()
		if err != nil {
			return err
		}
		if err := t.Update(schemaLeafKey(n), v); err != nil {
			return err
		}
		eo.setRaw(key(kSchema, []byte(n)), v)
	}
	tnames := make([]string, 0, len(tables))
	for n := range tables {
		tnames = append(tnames, n)
	}
	sort.Strings(tnames)
	for _, n := range tnames {
		idx, err := eo.rawKeys(rowIndexPrefix(n))
		if err != nil {
			return err
		}
		for _, k := range idx {
			if err := t.Delete(sqlLeafKey(n, rowidOfIndexKey(k))); err != nil {
				return err
			}
			eo.delRaw(k)
		}
		if c, ok := now[n]; !ok || c.Type != "table" {
			continue
		}
		rows, err := m.db.TableRows(n)
		if err != nil {
			return err
		}
		for _, img := range rows {
			if err := setRowLeaf(eo, t, img); err != nil {
				return err
			}
		}
	}
	return nil
}

func setRowLeaf(eo *overlay, t *smt.Tree, img types.RowImage) error {
	k := sqlLeafKey(img.Table, img.Rowid)
	if !img.Present {
		eo.delRaw(rowIndexKey(img.Table, img.Rowid))
		return t.Delete(k)
	}
	eo.setRaw(rowIndexKey(img.Table, img.Rowid), []byte{})
	return t.Update(k, img.Values)
}
