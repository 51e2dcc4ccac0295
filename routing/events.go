package routing

import (
	"sync"
	"sync/atomic"
	"time"

	"callroute/crm"
)

// EventKind says what an Event reports.
type EventKind string

const (
	// EventRinging: an agent's devices started ringing with a call (the
	// screen pop: Caller holds the lookup's answer).
	EventRinging EventKind = "ringing"
	// EventRingEnded: an agent's ringing stopped without their answer
	// (Outcome says why).
	EventRingEnded EventKind = "ring_ended"
	// EventAnswered: an agent answered and the call is being bridged.
	EventAnswered EventKind = "answered"
	// EventEnded: a call is over (Outcome is the crm call outcome).
	EventEnded EventKind = "ended"
	// EventPresence: an agent's presence changed (Presence).
	EventPresence EventKind = "presence"
	// EventQueue: the desk queue changed (QueueLength).
	EventQueue EventKind = "queue"
)

// Event is something screens and metrics may want to know.
type Event struct {
	Kind   EventKind `json:"kind"`
	At     time.Time `json:"at"`
	CallID string    `json:"call_id,omitempty"`
	UserID int64     `json:"user_id,omitempty"`
	// CallerNumber is the caller's E.164 number (or the raw number when the
	// lookup failed).
	CallerNumber string          `json:"caller_number,omitempty"`
	Caller       *crm.CallerInfo `json:"caller,omitempty"`
	Stage        Stage           `json:"stage,omitempty"`
	// Device is the device that answered (EventAnswered).
	Device      string   `json:"device,omitempty"`
	Outcome     string   `json:"outcome,omitempty"`
	Presence    Presence `json:"presence,omitempty"`
	QueueLength int      `json:"queue_length,omitempty"`
}

// Hub passes events to subscribers in memory. Publish never blocks: a
// subscriber whose buffer is full misses the event (and the miss is
// counted). Safe for concurrent use; the zero value is ready.
type Hub struct {
	mu   sync.RWMutex
	subs map[*Subscription]struct{}
}

// Subscription receives events until Close.
type Subscription struct {
	hub     *Hub
	ch      chan Event
	dropped atomic.Uint64
	once    sync.Once
}

// DefaultSubscriberBuffer is the buffer of a subscription made with size 0.
const DefaultSubscriberBuffer = 256

// Subscribe starts a subscription with a buffer of size events.
func (h *Hub) Subscribe(size int) *Subscription {
	if size <= 0 {
		size = DefaultSubscriberBuffer
	}
	s := &Subscription{hub: h, ch: make(chan Event, size)}
	h.mu.Lock()
	if h.subs == nil {
		h.subs = map[*Subscription]struct{}{}
	}
	h.subs[s] = struct{}{}
	h.mu.Unlock()
	return s
}

// Publish hands e to every subscriber that has room for it.
func (h *Hub) Publish(e Event) {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	for s := range h.subs {
		select {
		case s.ch <- e:
		default:
			s.dropped.Add(1)
		}
	}
}

// Events is the channel to read; it is closed by Close.
func (s *Subscription) Events() <-chan Event { return s.ch }

// Dropped counts the events this subscriber missed because it was slow.
func (s *Subscription) Dropped() uint64 { return s.dropped.Load() }

// Close ends the subscription and closes Events.
func (s *Subscription) Close() {
	s.once.Do(func() {
		s.hub.mu.Lock()
		delete(s.hub.subs, s)
		s.hub.mu.Unlock()
		close(s.ch)
	})
}
