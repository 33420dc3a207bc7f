package ns

import (
	"context"
	"errors"
	"time"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/nsengine"
)

// A cluster node's executor overlaps two things that each take about half
// of a batch's time: executing a batch and appending the previous one to
// the rqlite log (a Raft round trip). While batch k's append is in flight,
// batch k+1 executes on top of k's uncommitted state; k+1's append starts
// only once k's has succeeded, so appends stay in order and one is in
// flight at a time. The local replica and StateDB commit only entries the
// log holds: when no append is in flight (the queue is empty) or the open
// batch reaches MaxNamespaceBatchEntries. A failed append rolls back
// everything uncommitted; its jobs and the next batch's go through batch
// (catch up, retry), and entries appended but not yet committed locally
// come back from the log by catch-up (namespaces.md 7, "Pipelining").
//
// The executor holds n.mu from the first batch it executes until the open
// batch commits, so a reader never sees an entry the log does not hold.

// flight is a batch whose append is in flight.
type flight struct {
	jobs    []*job
	entries []*Entry
	ids     []types.Hash
	err     chan error // the append's outcome, once
}

// runCluster is run for a namespace on an rqlite cluster.
func (n *Namespace) runCluster() {
	defer close(n.done)
	t := time.NewTicker(n.poll)
	defer t.Stop()
	var fl *flight
	open := false // n.mu is held and the machine may hold uncommitted entries
	// abandon drops everything uncommitted and lets readers in.
	abandon := func() {
		n.m.Rollback()
		n.mu.Unlock()
		open = false
	}
	// landFlight lands the flight in flight, if any; if its append failed
	// it abandons the open batch and retries the flight's jobs and retry
	// through the slow path, and returns false.
	landFlight := func(retry []*job) bool {
		f := fl
		fl = nil
		if f == nil || n.land(f) {
			return true
		}
		abandon()
		n.batch(append(f.jobs, retry...))
		return false
	}
	// settle lands the flight and commits what the log holds, then lets
	// readers in.
	settle := func() {
		if !landFlight(nil) {
			return
		}
		if open {
			if err := n.m.Commit(context.Background()); err != nil {
				// The log holds the entries: a catch-up brings them back.
				n.log.Warn("namespace local commit", "namespace", n.name, "err", err)
				n.m.Rollback()
			}
			n.mu.Unlock()
			open = false
		}
	}
	for {
		var jobs []*job
		if fl == nil && !open {
			select {
			case j := <-n.queue:
				jobs = append(jobs, j)
			case <-t.C:
				n.tail()
				continue
			case <-n.stop:
				n.drain()
				return
			}
		}
		jobs = n.collect(jobs)
		if len(jobs) == 0 {
			settle()
			continue
		}
		if open && (!n.nextInBatch(jobs) || n.m.Pending()+uint64(len(jobs)) > params.MaxNamespaceBatchEntries) {
			settle()
		}
		if !open {
			// The slow path's checks: catch up when the head is not this
			// node's own append or a nonce is ahead, answer logged retries.
			n.mu.Lock()
			open = true
			pos, _, _ := n.m.Head()
			if pos != n.appended || n.aheadOfHead(jobs) {
				if err := n.catchUp(context.Background(), nsengine.LevelWeak); err != nil {
					n.mu.Unlock()
					open = false
					n.finish(jobs, err)
					continue
				}
			}
			if jobs = n.answerLogged(jobs); len(jobs) == 0 {
				settle()
				continue
			}
		}
		next, unanswered, err := n.executeJobs(jobs)
		if err != nil {
			// A host failure: nothing uncommitted stays. If the flight
			// landed, its entries come back by catch-up; if not, its jobs
			// are retried with the rest.
			if !landFlight(unanswered) {
				continue
			}
			abandon()
			n.log.Error("namespace batch failed", "namespace", n.name, "err", err)
			n.finish(unanswered, err)
			continue
		}
		if !landFlight(next.jobs) {
			continue
		}
		if len(next.entries) == 0 {
			continue
		}
		stmts, err := n.appendStatements(next.entries, next.ids)
		if err != nil {
			abandon()
			n.finish(next.jobs, err)
			continue
		}
		next.err = make(chan error, 1)
		go func(f *flight) { f.err <- n.rq.ExecuteTx(context.Background(), stmts) }(next)
		fl = next
	}
}

// nextInBatch says whether every job's nonce is its signer's next in the
// open batch, the only jobs run while an append is in flight; others wait
// for it and take the slow path's checks.
func (n *Namespace) nextInBatch(jobs []*job) bool {
	seen := map[types.Address]uint64{}
	for _, j := range jobs {
		s := j.sub.Request.Signer
		want, ok := seen[s]
		if !ok {
			acc, _, err := n.m.batchAccount(s)
			if err != nil {
				return false
			}
			want = acc.Nonce
		}
		if j.sub.Request.Nonce != want {
			return false
		}
		seen[s] = want + 1
	}
	return true
}

// executeJobs runs jobs as the next entries of the open batch, with their
// log rows and index (in the batch's transaction), and returns those that
// ran; jobs with a stale nonce are answered. An error is a host failure:
// unanswered is then every job not yet answered.
func (n *Namespace) executeJobs(jobs []*job) (f *flight, unanswered []*job, err error) {
	height, ts := n.chain.Final()
	f = &flight{}
	for i, j := range jobs {
		e, err := n.m.Execute(context.Background(), j.sub, height, ts)
		if errors.Is(err, ErrStaleNonce) {
			n.answerStale(j)
			continue
		}
		if err == nil {
			err = n.appendLocal(e, j.id)
		}
		if err != nil {
			return nil, append(f.jobs, jobs[i:]...), err
		}
		f.jobs = append(f.jobs, j)
		f.entries = append(f.entries, e)
		f.ids = append(f.ids, j.id)
	}
	return f, nil, nil
}

// land waits for a flight's append. On success it answers its jobs and
// records the position; on failure it returns false with the jobs
// unanswered (the caller rolls back and retries them).
func (n *Namespace) land(f *flight) bool {
	if err := <-f.err; err != nil {
		n.log.Debug("namespace append lost or unknown; catching up", "namespace", n.name, "err", err)
		return false
	}
	n.appended = f.entries[len(f.entries)-1].Log.Position
	n.copyCache(context.Background(), f.entries)
	for i, j := range f.jobs {
		j.res = resultOf(f.entries[i], f.ids[i])
		close(j.done)
	}
	return true
}
