package routing

import (
	"context"
	"fmt"
	"time"
)

// Presence is an agent's availability as screens show it.
type Presence string

const (
	// Available: may be offered calls.
	Available Presence = "available"
	// Away: chosen by the agent, or set by routing after MaxRingOuts.
	Away Presence = "away"
	// Busy: chosen by the agent (do not disturb); not offered calls.
	Busy Presence = "busy"
	// Offline: no device online (derived, never chosen).
	Offline Presence = "offline"
)

// ParsePresence checks a presence an agent may choose.
func ParsePresence(s string) (Presence, error) {
	switch Presence(s) {
	case Available, Away, Busy:
		return Presence(s), nil
	}
	return "", fmt.Errorf("presence %q: want available, away or busy", s)
}

// Agent is one agent's live state.
type Agent struct {
	UserID int64 `json:"user_id"`
	// Presence is what counts for routing: Offline when no device is
	// online, else Chosen.
	Presence Presence `json:"presence"`
	// Chosen is what the agent set (available by default).
	Chosen Presence `json:"chosen"`
	// AutoAway is true when routing set the agent away after calls rang out.
	AutoAway bool `json:"auto_away,omitempty"`
	// Devices counts devices online, over every source (SIP phones,
	// browser tabs).
	Devices int `json:"devices"`
	// CallID is the call the agent is offered (Offered) or on; "" when
	// free.
	CallID  string `json:"call_id,omitempty"`
	Offered bool   `json:"offered,omitempty"`
	// IdleSince is when the agent's last call ended (or when they were
	// first seen): longest-idle rings the earliest first.
	IdleSince time.Time `json:"idle_since"`
	// RingOuts counts offered calls that rang out in a row.
	RingOuts int `json:"ring_outs,omitempty"`
	// WrapUpUntil is when the wrap-up after the agent's last call ends;
	// WrapUp is true while it has not (as of the read).
	WrapUpUntil time.Time `json:"wrap_up_until,omitzero"`
	WrapUp      bool      `json:"wrap_up,omitempty"`
}

// Free reports whether the agent may be offered a call now.
func (a Agent) Free() bool { return a.Presence == Available && a.CallID == "" && !a.WrapUp }

// OfferEnd says how an offer ended, for [LiveState.EndOffer].
type OfferEnd struct {
	UserID  int64
	CallID  string
	Outcome StepOutcome
	// MaxRingOuts sets the agent away when this no-answer makes that many
	// in a row (0: never).
	MaxRingOuts int
}

// QueueEntry is a call waiting for the desk.
type QueueEntry struct {
	CallID string    `json:"call_id"`
	Caller string    `json:"caller"`
	Since  time.Time `json:"since"`
	// Offering is true while the call is ringing desk agents.
	Offering bool `json:"offering"`
}

// QueueSpot is a call's place in the desk queue.
type QueueSpot struct {
	// Position counts from 1 at the head; 0 means not queued.
	Position int `json:"position"`
	// WaitingAhead counts the calls ahead that are not ringing anyone: a
	// call is offered to a free agent only when more agents are free than
	// calls wait ahead of it (first in the queue, first offered).
	WaitingAhead int `json:"waiting_ahead"`
	// Length is the number of calls in the queue.
	Length int `json:"length"`
}

// LiveState holds presence, offers, live calls and the desk queue. Every
// method is one atomic step, so that a shared implementation (Redis, with
// Lua scripts or transactions) gives the same guarantees across nodes as
// the in-memory one does in one process: an agent is offered one call at a
// time, and an agent on a call or away is never offered one.
type LiveState interface {
	// SetPresence records what the agent chose (Available, Away or Busy).
	// Choosing Available clears AutoAway and the ring-out count.
	SetPresence(ctx context.Context, userID int64, p Presence) (Agent, error)
	// SetDevices records how many devices the agent has online from one
	// source ("sip", "web"); with none from any source they are Offline.
	SetDevices(ctx context.Context, userID int64, source string, n int) (Agent, error)
	// Agent returns one agent (Offline when never seen).
	Agent(ctx context.Context, userID int64) (Agent, error)
	// Agents returns the named agents in the order given, or every known
	// agent by user ID when ids is nil.
	Agents(ctx context.Context, ids []int64) ([]Agent, error)

	// TryOffer claims the agent for callID if they are Free, and reports
	// whether it did; the returned Agent says why not.
	TryOffer(ctx context.Context, userID int64, callID string) (Agent, bool, error)
	// EndOffer ends the agent's offer of e.CallID: answered puts them on
	// the call and resets RingOuts; no-answer counts a ring-out (setting
	// them Away at e.MaxRingOuts); anything else frees them. It does
	// nothing when the agent is not offered that call.
	EndOffer(ctx context.Context, e OfferEnd) (Agent, error)
	// EndCall frees an agent who was on callID and starts their idle time;
	// with wrapUp > 0 they are not offered calls for that long (wrap-up).
	EndCall(ctx context.Context, userID int64, callID string, wrapUp time.Duration) (Agent, error)
	// EndWrapUp ends the agent's wrap-up now (they are ready).
	EndWrapUp(ctx context.Context, userID int64) (Agent, error)

	// QueueJoin puts a call at the back of the desk queue (once).
	QueueJoin(ctx context.Context, e QueueEntry) (QueueSpot, error)
	// QueueLeave takes a call out of the queue (harmless when not in it).
	QueueLeave(ctx context.Context, callID string) error
	// QueueSetOffering marks whether a queued call is ringing agents.
	QueueSetOffering(ctx context.Context, callID string, offering bool) error
	// QueueSpot returns a call's place in the queue.
	QueueSpot(ctx context.Context, callID string) (QueueSpot, error)
	// Queue lists the queue, head first.
	Queue(ctx context.Context) ([]QueueEntry, error)
	// NextTurn returns a counter that grows by one per call: round-robin
	// starts each call one agent further along.
	NextTurn(ctx context.Context) (int64, error)

	// Changes returns a channel that receives (coalesced) whenever an agent
	// or the queue changed, and a function to stop. Waiting calls use it to
	// notice a freed agent at once; they also poll, so a lost notice only
	// delays.
	Changes() (<-chan struct{}, func())
}
