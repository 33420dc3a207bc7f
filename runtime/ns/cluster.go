package ns

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/abi"
	"github.com/oramanetwork/orama-chain/runtime/nsengine"
)

// A namespace on a cluster (spec/namespaces.md 7) keeps its TxLog in the
// namespace's rqlite cluster: the order of entries is rqlite's Raft log and
// a position is taken by compare-and-set (pos is the primary key, so an
// append at a position someone else took fails as a whole). Every node
// executes on its own replica and StateDB; a node that accepts requests
// first catches up to the log head, executes them there and appends the
// entries with the rows they changed in one rqlite transaction, and
// acknowledges only after that append. A node that lost the race rolls back,
// catches up (re-executing the winner's entries, which must reproduce them
// byte for byte) and runs its requests again. Followers tail the log.

// ErrHalted: this node's replay of a logged entry differed from the log;
// the namespace stops here (it serves reads, never executes).
var ErrHalted = errors.New("ns: namespace halted")

const rqliteDDL = `CREATE TABLE IF NOT EXISTS _orama_txlog (pos INTEGER PRIMARY KEY, call_id BLOB NOT NULL UNIQUE,
  signer BLOB NOT NULL, nonce INTEGER NOT NULL, entry BLOB NOT NULL, UNIQUE (signer, nonce))`

// OpenCluster starts a namespace whose TxLog is the rqlite cluster rq (this
// node's rqlited). The machine's replica keeps a local copy of the log.
func OpenCluster(m *Machine, db Replica, query QueryDB, rq *nsengine.RQLite, chainID uint64, authority types.Address, chain Chain, opts ...Option) (*Namespace, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := rq.ExecuteTx(ctx, []nsengine.Statement{{SQL: rqliteDDL}}); err != nil {
		return nil, fmt.Errorf("ns: rqlite log table: %w", err)
	}
	n, err := open(m, db, query, chainID, authority, chain, append(opts, func(n *Namespace) { n.rq = rq })...)
	if err != nil {
		return nil, err
	}
	return n, nil
}

// catchUp applies the log's entries after this node's head, re-executing
// each and checking it reproduces the logged bytes (namespaces.md 7,
// "Followers"). level is the read's consistency: weak before executing,
// strong after an append of unknown outcome, none for tailing.
func (n *Namespace) catchUp(ctx context.Context, level nsengine.Level) error {
	for {
		if h := n.halted.Load(); h != nil {
			return h
		}
		pos, _, _ := n.m.Head()
		rows, err := n.rq.Query(ctx, level, "SELECT pos, entry FROM _orama_txlog WHERE pos > ? ORDER BY pos LIMIT 256", int64(pos))
		if err != nil {
			return fmt.Errorf("%w: reading the log: %w", ErrHostFailure, err)
		}
		if len(rows.Values) == 0 {
			return nil
		}
		for _, r := range rows.Values {
			if len(r) != 2 || r[0].Kind != nsengine.KindInteger || r[1].Kind != nsengine.KindBlob {
				return fmt.Errorf("%w: log row of unexpected shape", ErrHostFailure)
			}
			if err := n.applyLogged(ctx, uint64(r[0].Int), r[1].Blob); err != nil {
				n.m.Rollback()
				return err
			}
		}
		if err := n.m.Commit(ctx); err != nil {
			return err
		}
	}
}

// applyLogged re-executes one logged entry in the open batch.
func (n *Namespace) applyLogged(ctx context.Context, pos uint64, enc []byte) error {
	halt := func(what, rec, got string) error {
		h := &Mismatch{Position: pos, What: what, Recorded: rec, Replayed: got}
		n.halted.Store(h)
		n.log.Error("namespace halted: the log differs from this node's replay", "namespace", n.name, "err", h)
		return fmt.Errorf("%w: %w", ErrHalted, h)
	}
	var rec types.TxLogEntry
	if err := rec.UnmarshalBorsh(enc); err != nil {
		return halt("decode", err.Error(), "a TxLogEntry")
	}
	next := n.m.bhead.Position + 1
	if rec.Position != pos || pos != next {
		return halt("position", fmt.Sprint(rec.Position), fmt.Sprint(next))
	}
	if rec.PrevHash != n.m.bhead.Hash {
		return halt("prev_hash", fmt.Sprintf("%x", rec.PrevHash), fmt.Sprintf("%x", n.m.bhead.Hash))
	}
	if _, err := CheckSubmission(&rec.Submission, n.name, n.chainID, n.authority); err != nil {
		return halt("request", err.Error(), "a valid request")
	}
	e, err := n.m.Execute(ctx, &rec.Submission, rec.ChainHeight, rec.ChainTimestamp)
	if errors.Is(err, ErrStaleNonce) {
		return halt("nonce", fmt.Sprint(rec.Submission.Request.Nonce), err.Error())
	}
	if err != nil {
		return err
	}
	if string(e.Bytes) != string(enc) {
		mm := diffEntry(pos, &rec, &e.Log)
		return halt(mm.What, mm.Recorded, mm.Replayed)
	}
	id, err := rec.Submission.Request.Hash()
	if err != nil {
		return err
	}
	return n.appendLocal(e, id)
}

// appendRemote appends a batch's entries and the rows they changed to the
// rqlite log in one transaction: all or nothing.
func (n *Namespace) appendRemote(ctx context.Context, entries []*Entry, ids []types.Hash) error {
	stmts, err := n.appendStatements(entries, ids)
	if err != nil {
		return err
	}
	return n.rq.ExecuteTx(ctx, stmts)
}

// appendStatements are the statements of appendRemote's transaction. They
// read the replica's columns: build them on the executor, in order.
func (n *Namespace) appendStatements(entries []*Entry, ids []types.Hash) ([]nsengine.Statement, error) {
	var stmts []nsengine.Statement
	cols := map[string]tableColumns{} // the replica's schema does not change while they are built
	for i, e := range entries {
		req := &e.Log.Submission.Request
		stmts = append(stmts, nsengine.Statement{
			SQL:  "INSERT INTO _orama_txlog (pos, call_id, signer, nonce, entry) VALUES (?, ?, ?, ?, ?)",
			Args: []any{int64(e.Log.Position), ids[i][:], req.Signer[:], int64(req.Nonce), e.Bytes},
		})
		rs, err := n.rowStatements(e.Log.Writes.Sql, cols)
		if err != nil {
			return nil, err
		}
		stmts = append(stmts, rs...)
	}
	return stmts, nil
}

// tableColumns is what Replica.Columns gives for one table.
type tableColumns struct {
	names []string
	alias int
}

// rowStatements turns SQL write groups into statements that make rqlite's
// tables equal the replica's (namespaces.md 2.1): for a Rows group, DELETE
// every touched rowid, then INSERT every present image; DDL verbatim, except
// CREATE TRIGGER (its effects are already in the images).
func (n *Namespace) rowStatements(groups []types.SQLWrite, known map[string]tableColumns) ([]nsengine.Statement, error) {
	var out []nsengine.Statement
	for _, g := range groups {
		if g.Kind == types.SQLWriteKindDDL {
			if isCreateTrigger(g.Ddl) {
				continue
			}
			out = append(out, nsengine.Statement{SQL: g.Ddl})
			continue
		}
		for _, img := range g.Rows {
			out = append(out, nsengine.Statement{SQL: "DELETE FROM " + quoteIdent(img.Table) + " WHERE rowid = ?", Args: []any{int64(img.Rowid)}})
		}
		for _, img := range g.Rows {
			if !img.Present {
				continue
			}
			vals, err := decodeRow(img.Values)
			if err != nil {
				return nil, err
			}
			tc, ok := known[img.Table]
			if !ok {
				var err error
				if tc.names, tc.alias, err = n.db.Columns(img.Table); err != nil {
					return nil, err
				}
				known[img.Table] = tc
			}
			cols, alias := tc.names, tc.alias
			if len(cols) < len(vals) {
				return nil, fmt.Errorf("ns: row of %s has %d values, the table %d columns", img.Table, len(vals), len(cols))
			}
			names := []string{"rowid"}
			args := []any{int64(img.Rowid)}
			for i, v := range vals {
				if i == alias {
					continue // the INTEGER PRIMARY KEY is the rowid
				}
				names = append(names, quoteIdent(cols[i]))
				args = append(args, rqValue(v))
			}
			out = append(out, nsengine.Statement{
				SQL:  "INSERT INTO " + quoteIdent(img.Table) + " (" + strings.Join(names, ", ") + ") VALUES (" + strings.TrimSuffix(strings.Repeat("?, ", len(names)), ", ") + ")",
				Args: args,
			})
		}
	}
	return out, nil
}

func isCreateTrigger(sql string) bool {
	f := strings.Fields(strings.ToLower(sql))
	return len(f) >= 2 && f[0] == "create" && (f[1] == "trigger" || (len(f) >= 3 && (f[1] == "temp" || f[1] == "temporary") && f[2] == "trigger"))
}

func rqValue(v abi.Value) any {
	switch v.Kind {
	case abi.KindInteger:
		return nsengine.Int(v.Int)
	case abi.KindReal:
		return nsengine.Float(v.Real)
	case abi.KindText:
		return nsengine.TextValue(string(v.Bytes))
	case abi.KindBlob:
		return nsengine.BlobValue(v.Bytes)
	}
	return nil
}
