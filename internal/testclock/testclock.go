// Package testclock is a settable time source for tests of time rules
// (session timeouts, the sign-in throttle, nonce and binding expiry, rate
// limits), handed to crm.WithClock or the SIP edge's clocks.
package testclock

import (
	"sync"
	"time"
)

// Clock is a time that moves only when told; safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// New returns a clock set to t.
func New(t time.Time) *Clock { return &Clock{t: t} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock on by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
