package ns

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	hostabi "github.com/oramanetwork/orama-chain/generated/host"
	"github.com/oramanetwork/orama-chain/runtime/host"
)

// TestQueryConcurrent: a long query holds one read-only connection until
// its deadline interrupts it, while short queries sent meanwhile are
// answered; a single row over MaxQueryBytes is result_too_large, rows that
// overflow after the first are truncated.
func TestQueryConcurrent(t *testing.T) {
	db, q, err := OpenReplica(filepath.Join(t.TempDir(), "sql.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	defer q.Close()
	var wg sync.WaitGroup
	start := time.Now()
	var longErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, longErr = q.ReadQuery(ctx, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 1000000000) SELECT count(*) FROM c", nil, 10)
	}()
	time.Sleep(100 * time.Millisecond)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			res, err := q.ReadQuery(ctx, "SELECT 1", nil, 10)
			if err != nil || len(res.Rows) != 1 || res.Rows[0][0].Int != 1 {
				t.Errorf("short query: %+v %v", res, err)
			}
		}()
	}
	wg.Wait()
	if !errors.Is(longErr, context.DeadlineExceeded) || time.Since(start) > 4*time.Second {
		t.Fatalf("long query: %v after %v", longErr, time.Since(start))
	}
	ctx := context.Background()
	if _, err := q.ReadQuery(ctx, "SELECT zeroblob(1000000), zeroblob(1000000), zeroblob(1000000), zeroblob(1000000), zeroblob(1000000)", nil, 10); !errors.Is(err, hostabi.ErrResultTooLarge) {
		t.Fatalf("a 5 MB row: %v", err)
	}
	res, err := q.ReadQuery(ctx, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 10) SELECT zeroblob(1000000) FROM c", nil, 100)
	if err != nil || !res.Truncated || len(res.Rows) != 4 {
		t.Fatalf("ten 1 MB rows: %d rows, truncated %v, %v", len(res.Rows), res.Truncated, err)
	}
}

// TestQueryPoolBusy: a query that finds every read-only connection taken
// until its deadline is ErrBusy (the node's state; the REST layer answers
// 503 with Retry-After), not a query timeout, and it never ran.
func TestQueryPoolBusy(t *testing.T) {
	db, q, err := OpenReplica(filepath.Join(t.TempDir(), "sql.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	defer q.Close()
	p := q.(*queryPool)
	var held []*host.SQLite
	for range queryConns {
		held = append(held, <-p.conns)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := p.ReadQuery(ctx, "SELECT 1", nil, 10); !errors.Is(err, ErrBusy) {
		t.Fatalf("with every connection taken: %v, want ErrBusy", err)
	}
	for _, c := range held {
		p.conns <- c
	}
	if res, err := p.ReadQuery(context.Background(), "SELECT 1", nil, 10); err != nil || len(res.Rows) != 1 {
		t.Fatalf("after: %v %+v", err, res)
	}
}
