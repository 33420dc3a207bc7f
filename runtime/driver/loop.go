package driver

import (
	"context"
	"time"
)

// maxBatch is how many queued messages the loop handles before it looks
// at its ticker again, so a flood of messages cannot starve the view timer.
const maxBatch = 256

// Deliver queues a message for the loop; the network calls it from its
// own goroutines. It never blocks: the queue's bound and drop rule are in
// inbound.go.
func (d *Driver) Deliver(m Incoming) {
	if !d.in.push(m) {
		d.log.Debug("inbound queue: message dropped", "type", m.Type)
	}
}

// Follow takes final blocks from peers by range sync if this node is not
// a validator (a follower learns of commits from QCs too, but cannot help
// form them); Run calls it every block time, at least every second.
func (d *Driver) Follow(ctx context.Context) error {
	if d.IsValidator() || d.net == nil {
		return nil
	}
	head := d.headHeight()
	if err := d.syncRange(ctx); err != nil || d.headHeight() == head {
		return err
	}
	return d.restartCore(ctx) // the core starts at the new head
}

// HandleQueued handles up to max messages from the inbound queue, highest
// priority first, and reports whether more wait.
func (d *Driver) HandleQueued(ctx context.Context, max int) (bool, error) {
	for range max {
		m, ok := d.in.pop()
		if !ok {
			return false, nil
		}
		if err := d.Handle(ctx, m); err != nil {
			return d.in.len() > 0, err
		}
	}
	return d.in.len() > 0, nil
}

// Run is the production loop: it starts the driver, then moves ticks and
// queued messages into it until ctx ends. It returns nil when ctx ends and
// an error wrapping ErrFatal when the node must stop.
func (d *Driver) Run(ctx context.Context) error {
	if err := d.Start(ctx); err != nil {
		return err
	}
	t := time.NewTicker(d.cfg.TickInterval)
	defer t.Stop()
	// A node outside the validator set takes final blocks from peers.
	followEvery := time.NewTicker(max(d.cfg.BlockTime, time.Second))
	defer followEvery.Stop()
	head, _ := d.chain.Head()
	d.log.Info("consensus running", "validator", d.IsValidator(), "view", d.core.View(),
		"height", head.Header.Height, "validators", len(d.set.Members()))
	// propose fires when the producer's pacing allows the pending
	// proposal, so blocks follow the block time, not the tick.
	propose := time.NewTimer(time.Hour)
	defer propose.Stop()
	for {
		if at, ok := d.prod.due(); ok {
			propose.Reset(max(time.Until(at), 0))
		}
		var err error
		select {
		case <-ctx.Done():
			return nil
		case <-propose.C:
			err = d.propose(ctx)
		case <-t.C:
			err = d.Tick(ctx)
		case <-followEvery.C:
			err = d.Follow(ctx)
		case <-d.in.ready():
			var more bool
			if more, err = d.HandleQueued(ctx, maxBatch); more {
				d.in.wake()
			}
		}
		if err != nil {
			return err
		}
	}
}
