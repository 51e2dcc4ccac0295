package routing

import (
	"fmt"
	"slices"
	"time"

	"callroute/crm"
)

// Strategy is how the inbound desk's agents are rung.
type Strategy string

const (
	// RingAll rings every free desk agent at once; the first answer wins
	// and the others are cancelled.
	RingAll Strategy = "ring-all"
	// LongestIdle rings one agent at a time, the one idle longest first,
	// each for DeskRingTime.
	LongestIdle Strategy = "longest-idle"
	// RoundRobin rings one agent at a time in a fixed order, starting one
	// further along for every call.
	RoundRobin Strategy = "round-robin"
)

// Strategies lists the desk strategies.
var Strategies = []Strategy{RingAll, LongestIdle, RoundRobin}

// ParseStrategy checks a strategy name.
func ParseStrategy(s string) (Strategy, error) {
	if slices.Contains(Strategies, Strategy(s)) {
		return Strategy(s), nil
	}
	return "", fmt.Errorf("unknown desk strategy %q: want ring-all, longest-idle or round-robin", s)
}

// Settings are the routing rules the head of sales sets. Start from
// [DefaultSettings]: a zero Settings does not validate. A Router takes a
// snapshot of them for each call, so changing them ([Router.SetSettings])
// affects the calls that arrive afterwards.
type Settings struct {
	// OwnerRingTime is how long the owner (or delegate) rings.
	OwnerRingTime time.Duration
	// DeskRingTime is how long desk agents ring in one round (ring-all), or
	// each of them (longest-idle, round-robin).
	DeskRingTime time.Duration
	// DeskStrategy is how desk agents are rung.
	DeskStrategy Strategy
	// DeskAgents names the desk's agents; empty means every active user
	// with the agent role (see [RoleDesk]).
	DeskAgents []int64
	// DeskRetryWait is how long an agent who did not take this call is left
	// alone before the call is offered to them again.
	DeskRetryWait time.Duration
	// QueueTimeout bounds a caller's wait for the desk (ringing desk agents
	// and waiting in the queue), from when the call reaches the desk.
	QueueTimeout time.Duration
	// PositionInterval is how often a queued caller hears their position.
	PositionInterval time.Duration
	// QueuePollInterval is how often a waiting call looks for a free agent
	// even without a change notice from the live state.
	QueuePollInterval time.Duration
	// MaxRingOuts sets an agent away after this many offered calls in a
	// row rang out unanswered; 0 never does.
	MaxRingOuts int
	// VoicemailEnabled lets callers leave a message when nobody answers or
	// the office is closed; off, they hear a closing message.
	VoicemailEnabled bool
	// VoicemailMax bounds a message's length.
	VoicemailMax time.Duration
	// BusinessHours is when calls are routed; outside them callers go
	// straight to voicemail (or the closed message). Zero: always open.
	BusinessHours BusinessHours
	// LookupTimeout bounds the caller lookup; a slow or failed lookup
	// routes the call as an unknown caller.
	LookupTimeout time.Duration
	// WriteTimeout bounds one attempt to write a call's interaction.
	WriteTimeout time.Duration
	// WrapUpTime is how long an agent is left alone after an answered call
	// ends, to finish the call's notes, before they are offered the next
	// one; they may end it sooner ([Router.EndWrapUp]). 0: no wrap-up.
	WrapUpTime time.Duration
}

// DefaultSettings are the rules of a fresh install.
func DefaultSettings() Settings {
	return Settings{
		OwnerRingTime:     20 * time.Second,
		DeskRingTime:      15 * time.Second,
		DeskStrategy:      RingAll,
		DeskRetryWait:     5 * time.Second,
		QueueTimeout:      3 * time.Minute,
		PositionInterval:  30 * time.Second,
		QueuePollInterval: time.Second,
		MaxRingOuts:       3,
		VoicemailEnabled:  true,
		VoicemailMax:      2 * time.Minute,
		LookupTimeout:     time.Second,
		WriteTimeout:      3 * time.Second,
		WrapUpTime:        10 * time.Second,
	}
}

// Validate checks every setting; the error is a *crm.FieldError naming the
// bad field.
func (s Settings) Validate() error {
	durations := []struct {
		field    string
		d        time.Duration
		min, max time.Duration
	}{
		{"OwnerRingTime", s.OwnerRingTime, time.Millisecond, 10 * time.Minute},
		{"DeskRingTime", s.DeskRingTime, time.Millisecond, 10 * time.Minute},
		{"DeskRetryWait", s.DeskRetryWait, 0, time.Hour},
		{"QueueTimeout", s.QueueTimeout, time.Millisecond, 4 * time.Hour},
		{"PositionInterval", s.PositionInterval, time.Millisecond, time.Hour},
		{"QueuePollInterval", s.QueuePollInterval, time.Millisecond, time.Minute},
		{"VoicemailMax", s.VoicemailMax, time.Millisecond, time.Hour},
		{"LookupTimeout", s.LookupTimeout, time.Millisecond, time.Minute},
		{"WriteTimeout", s.WriteTimeout, time.Millisecond, 10 * time.Minute},
		{"WrapUpTime", s.WrapUpTime, 0, time.Hour},
	}
	for _, d := range durations {
		if d.d < d.min || d.d > d.max {
			return &crm.FieldError{Field: d.field,
				Message: fmt.Sprintf("%v is out of range: want %v to %v", d.d, d.min, d.max)}
		}
	}
	if _, err := ParseStrategy(string(s.DeskStrategy)); err != nil {
		return &crm.FieldError{Field: "DeskStrategy", Message: err.Error()}
	}
	if s.MaxRingOuts < 0 {
		return &crm.FieldError{Field: "MaxRingOuts", Message: "must not be negative (0 turns it off)"}
	}
	for _, id := range s.DeskAgents {
		if id <= 0 {
			return &crm.FieldError{Field: "DeskAgents", Message: fmt.Sprintf("%d is not a user ID", id)}
		}
	}
	if err := s.BusinessHours.Validate(); err != nil {
		return &crm.FieldError{Field: "BusinessHours", Message: err.Error()}
	}
	return nil
}
