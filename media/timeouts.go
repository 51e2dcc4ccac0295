package media

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// Default media timeouts (livekit/sip defaultMediaTimeoutInitial and
// defaultMediaTimeout).
const (
	DefaultInitialTimeout = 30 * time.Second // no first packet after Start
	DefaultMediaTimeout   = 15 * time.Second // silence once media has flowed
)

// The errors a media timeout reports.
var (
	ErrInitialMediaTimeout = errors.New("media: no RTP received since the call was answered")
	ErrMediaTimeout        = errors.New("media: RTP stopped")
)

// watchdog fires once when no packet arrived for too long. It is armed only by
// Start (after the 200 OK, so ringing never times out), is off while on hold
// (a held party may send nothing, livekit/sip #812), and costs one atomic
// store per packet.
type watchdog struct {
	initial, ongoing time.Duration
	fire             func(error)

	last atomic.Int64 // unix nanoseconds of the last packet, or of arming
	got  atomic.Bool  // a packet arrived since arming

	mu      sync.Mutex
	armed   bool
	hold    bool
	fired   bool
	stopped bool
	timer   *time.Timer
}

// packet records a received packet.
func (w *watchdog) packet(now time.Time) {
	w.last.Store(now.UnixNano())
	if !w.got.Load() && !w.got.Swap(true) {
		// The first packet: from now on the ongoing timeout applies.
		w.mu.Lock()
		w.scheduleLocked()
		w.mu.Unlock()
	}
}

// arm starts the timeouts; the initial one runs from now.
func (w *watchdog) arm() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.armed || w.stopped {
		return
	}
	w.armed = true
	w.last.Store(time.Now().UnixNano())
	w.got.Store(false)
	w.scheduleLocked()
}

// setHold turns the timeouts off while on hold; leaving hold restarts the
// running timeout from now.
func (w *watchdog) setHold(hold bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.hold == hold {
		return
	}
	w.hold = hold
	if hold {
		if w.timer != nil {
			w.timer.Stop()
		}
		return
	}
	w.last.Store(time.Now().UnixNano())
	w.scheduleLocked()
}

func (w *watchdog) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopped = true
	if w.timer != nil {
		w.timer.Stop()
	}
}

func (w *watchdog) limit() (time.Duration, error) {
	if w.got.Load() {
		return w.ongoing, ErrMediaTimeout
	}
	return w.initial, ErrInitialMediaTimeout
}

func (w *watchdog) scheduleLocked() {
	if !w.armed || w.hold || w.fired || w.stopped {
		return
	}
	d, _ := w.limit()
	if d <= 0 {
		return // this timeout is disabled
	}
	wait := d - time.Since(time.Unix(0, w.last.Load()))
	if w.timer == nil {
		w.timer = time.AfterFunc(max(wait, 0), w.check)
	} else {
		w.timer.Reset(max(wait, 0))
	}
}

// check runs on the timer: fire if the limit has passed, else sleep again.
func (w *watchdog) check() {
	w.mu.Lock()
	if !w.armed || w.hold || w.fired || w.stopped {
		w.mu.Unlock()
		return
	}
	d, err := w.limit()
	if d <= 0 {
		w.mu.Unlock()
		return
	}
	if time.Since(time.Unix(0, w.last.Load())) < d {
		w.scheduleLocked()
		w.mu.Unlock()
		return
	}
	w.fired = true
	w.mu.Unlock()
	w.fire(err)
}
