package sip

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Drainer lets a node stop taking calls without dropping the ones it has:
// once Drain starts, a new INVITE gets 503 Service Unavailable with
// Retry-After (RFC 3261 21.5.4), so a trunk or a load balancer tries another
// node, while calls in progress go on until they end.
type Drainer struct {
	next       InviteHandler
	retryAfter time.Duration

	mu       sync.Mutex
	draining bool
	live     int
	idle     chan struct{} // closed when draining and no call is live
}

var _ InviteHandler = (*Drainer)(nil)

// NewDrainer wraps next.
func NewDrainer(next InviteHandler, retryAfter time.Duration) *Drainer {
	return &Drainer{next: next, retryAfter: retryAfter, idle: make(chan struct{})}
}

// HandleInvite passes the INVITE on unless the node is draining.
func (d *Drainer) HandleInvite(ctx context.Context, req *sip.Request, tx sip.ServerTransaction, caller Caller) {
	d.mu.Lock()
	if d.draining {
		d.mu.Unlock()
		_ = reply(tx, req, sip.StatusServiceUnavailable, "Service Unavailable",
			sip.NewHeader("Retry-After", strconv.Itoa(int(d.retryAfter.Seconds()))))
		return
	}
	d.live++
	d.mu.Unlock()
	defer d.done()
	d.next.HandleInvite(ctx, req, tx, caller)
}

func (d *Drainer) done() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.live--
	if d.draining && d.live == 0 {
		close(d.idle)
	}
}

// Live is the number of calls in progress.
func (d *Drainer) Live() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.live
}

// Drain refuses new calls from now on and waits until the calls in
// progress have ended, or ctx ends (then it returns ctx's error and the
// caller ends the remaining calls by cancelling their context).
func (d *Drainer) Drain(ctx context.Context) error {
	d.mu.Lock()
	if !d.draining {
		d.draining = true
		if d.live == 0 {
			close(d.idle)
		}
	}
	d.mu.Unlock()
	select {
	case <-d.idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
