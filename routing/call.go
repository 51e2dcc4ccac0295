package routing

import (
	"context"
	"time"

	"callroute/media"
)

// Call is one inbound call as the SIP edge hands it to [Router.Handle].
type Call struct {
	// ID is the SIP Call-ID of the caller's dialog; it names the call in
	// logs, events and the interaction written for it.
	ID string
	// From is the caller's number as it arrived (P-Asserted-Identity, else
	// From); the lookup normalises it.
	From string
	// Arrived is when the INVITE arrived; zero means when Handle started.
	Arrived time.Time
	// Leg is the caller's side of the call.
	Leg CallerLeg
}

// CallerLeg is the caller's side of a call, implemented by the SIP edge. Each
// method blocks at most until ctx is done; routing calls them from the one
// goroutine that drives the call, except Play, which may run on a second one
// while the call waits in the queue.
type CallerLeg interface {
	// Ringing tells the caller we are ringing someone: 180 Ringing, or 183
	// with a ringback tone (RFC 3261 21.1.2, RFC 3960). Routing may call it
	// more than once; the leg sends what is needed.
	Ringing(ctx context.Context) error
	// Answer answers the caller (200 OK with the SDP answer, waiting for the
	// ACK, RFC 3261 13.3.1.4); media flows afterwards. It is called only when
	// an agent has answered or the queue or voicemail takes the call.
	Answer(ctx context.Context) error
	// Hangup ends the caller's side: a final response while unanswered (the
	// reason says which), a BYE once answered. Calling it after the caller
	// has gone, or twice, is harmless.
	Hangup(ctx context.Context, reason HangupReason) error
	// Done is closed when the caller's side has ended: CANCEL while
	// unanswered, BYE, a media timeout, or after Hangup.
	Done() <-chan struct{}
	// Err says why Done was closed (nil while the leg is up).
	Err() error
	// Play plays a prompt to the answered caller and returns when it has
	// been played, or when ctx is done (ctx.Err()) or the caller is gone. A
	// PromptMusic prompt loops until ctx is done.
	Play(ctx context.Context, p Prompt) error
	// Record records the answered caller (after a beep) for at most max, and
	// returns what it stored when max is reached, the caller hangs up or ctx
	// is done. A Recording with an empty Ref means nothing was left.
	Record(ctx context.Context, max time.Duration) (Recording, error)
	// Bridge connects the caller's media with the agent's and blocks until
	// either side ends or ctx is done. Routing hangs both legs up afterwards.
	Bridge(ctx context.Context, agent AgentLeg) error
}

// AgentLeg is an agent's answered side of a call, returned by a [Ringer]: a
// SIP phone's dialog or a browser's WebRTC connection. The implementation
// also carries the media the caller leg's Bridge needs (a type assertion on
// the SIP edge's own leg type).
type AgentLeg interface {
	// Device names the device that answered, for the call record
	// ("sip:101@10.0.0.7", "browser").
	Device() string
	// Hangup ends the agent's side (BYE; RFC 3326 Reason when answered
	// elsewhere). Harmless after the agent has gone or twice.
	Hangup(ctx context.Context, reason HangupReason) error
	// Done is closed when the agent's side has ended.
	Done() <-chan struct{}
}

// MediaAgentLeg is an agent leg that carries its media itself (a browser's
// WebRTC leg): the caller's leg bridges its RTP with Media() whatever edge
// the leg comes from.
type MediaAgentLeg interface {
	AgentLeg
	Media() media.Leg
}

// HangupReason says why routing ends a leg; the edge maps it to a SIP
// response or a Reason header.
type HangupReason string

const (
	// HangupNormal ends an answered call (BYE).
	HangupNormal HangupReason = "normal"
	// HangupAnsweredElsewhere stops an agent's ringing or answered leg that
	// lost the race to another agent (CANCEL or BYE with
	// Reason: SIP;cause=200;text="Call completed elsewhere", RFC 3326).
	HangupAnsweredElsewhere HangupReason = "answered_elsewhere"
	// HangupUnavailable rejects an unanswered caller nobody can take
	// (480 Temporarily Unavailable, RFC 3261 21.4.18).
	HangupUnavailable HangupReason = "unavailable"
	// HangupShutdown ends a call because callroute is stopping (503 Service
	// Unavailable with Retry-After while unanswered, RFC 3261 21.5.4).
	HangupShutdown HangupReason = "shutdown"
	// HangupError ends a call after a failure of ours (500 while unanswered).
	HangupError HangupReason = "error"
)

// PromptKind names a prompt the caller hears; the media layer owns the audio.
type PromptKind string

const (
	// PromptMusic is the queue's hold music; it loops until stopped.
	PromptMusic PromptKind = "music"
	// PromptPosition announces the caller's place in the queue (Position).
	PromptPosition PromptKind = "position"
	// PromptVoicemail invites the caller to leave a message after the tone.
	PromptVoicemail PromptKind = "voicemail"
	// PromptClosedVoicemail says the office is closed and invites a message.
	PromptClosedVoicemail PromptKind = "closed_voicemail"
	// PromptClosed says the office is closed (voicemail off).
	PromptClosed PromptKind = "closed"
	// PromptNoAgent is the closing message when nobody could take the call
	// and voicemail is off: we will call back.
	PromptNoAgent PromptKind = "no_agent"
	// PromptThanks closes a voicemail.
	PromptThanks PromptKind = "thanks"
)

// Prompt is something to play to the caller.
type Prompt struct {
	Kind PromptKind `json:"kind"`
	// Position is the caller's place in the queue, for PromptPosition.
	Position int `json:"position,omitempty"`
}

// Recording is a voicemail the media layer stored.
type Recording struct {
	// Ref is where it is stored (a file name or an ID the API can play);
	// empty when nothing was recorded.
	Ref      string        `json:"ref,omitempty"`
	Duration time.Duration `json:"duration,omitempty"`
}
