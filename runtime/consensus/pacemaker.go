package consensus

// pacemaker tracks the current view and its logical timeout. It never reads
// a clock: Tick is called by the outer layer at a fixed rate.
//
// The timeout of a view is base << min(backoff, maxExp) ticks, where backoff
// counts the views that ended in a TC since the last view that ended in a QC
// (not those whose leader the outer layer reported unreachable),
// plus the timeouts already fired in the current view. A QC resets it.
type pacemaker struct {
	view    uint64
	elapsed uint64
	fired   uint64 // timeouts fired in the current view
	backoff uint64 // consecutive views ended by TC
	lost    uint64 // a view whose leader the outer layer reported unreachable
	base    uint64
	maxExp  uint64
}

func newPacemaker(view, base, maxExp uint64) pacemaker {
	if base == 0 {
		base = 1
	}
	return pacemaker{view: view, base: base, maxExp: maxExp}
}

// timeout returns the number of ticks after which the current view (or the
// next rebroadcast) times out.
func (p *pacemaker) timeout() uint64 {
	e := min(p.backoff+p.fired, p.maxExp, 32)
	return p.base << e
}

// tick advances logical time and reports whether the view timed out (again).
func (p *pacemaker) tick() bool {
	p.elapsed++
	if p.elapsed < p.timeout() {
		return false
	}
	p.elapsed = 0
	p.fired++
	return true
}

// advance enters view v if it is higher; byTC says whether the previous
// view ended in a timeout certificate (backoff grows) or a QC (reset).
func (p *pacemaker) advance(v uint64, byTC bool) bool {
	if v <= p.view {
		return false
	}
	// A TC of a view whose leader is gone says nothing about the network
	// being slower than the timeout, so it does not lengthen the next.
	lost := p.lost == p.view
	p.view = v
	p.elapsed = 0
	p.fired = 0
	if byTC {
		if !lost {
			p.backoff++
		}
	} else {
		p.backoff = 0
	}
	return true
}
