package softphone

import (
	"time"

	"callroute/crm"
	"callroute/routing"
)

// Message types, server to tab.
const (
	msgHello   = "hello"    // the tab is signed in: who, presence, settings
	msgAgent   = "agent"    // the agent's live state changed
	msgRing    = "ring"     // a call rings: the screen pop
	msgRingEnd = "ring_end" // a ring stopped without this tab's answer
	msgOffer   = "offer"    // the server's SDP offer for the answered ring
	msgCall    = "call"     // a call of the agent: connected, held, resumed, or answered on another device
	msgCallEnd = "call_end" // the agent's call ended: wrap-up
	msgPing    = "ping"     // heartbeat: answer with pong
	msgError   = "error"    // a request of the tab failed
)

// Message types, tab to server.
const (
	msgPong     = "pong"
	msgPresence = "presence" // presence: available, away or busy
	msgAnswer   = "answer"   // ring_id
	msgSDP      = "sdp"      // ring_id, sdp: the browser's SDP answer
	msgDecline  = "decline"  // ring_id
	msgHangup   = "hangup"   // call_id
	msgHold     = "hold"     // call_id, on
	msgTransfer = "transfer" // call_id, to_user_id (0: the desk)
	msgReady    = "ready"    // the wrap-up is done
)

// Why a ring ended for a tab (ring_end's reason).
const (
	endAnsweredElsewhere = "answered_elsewhere" // another tab, device or agent took it
	endCallerLeft        = "caller_left"
	endNoAnswer          = "no_answer"
	endDeclined          = "declined"
	endFailed            = "failed" // the media could not be set up
)

// out is a message to a tab; fields are set as its type needs.
type out struct {
	Type string `json:"type"`

	// hello
	Tab         string   `json:"tab,omitempty"`
	User        *userOut `json:"user,omitempty"`
	HeartbeatMS int64    `json:"heartbeat_ms,omitempty"`
	Audio       *bool    `json:"audio,omitempty"`
	// hello, agent
	Agent *routing.Agent `json:"agent,omitempty"`

	// ring, ring_end, offer, call, call_end
	CallID string          `json:"call_id,omitempty"`
	RingID string          `json:"ring_id,omitempty"`
	Stage  routing.Stage   `json:"stage,omitempty"`
	Number string          `json:"number,omitempty"` // the caller's E.164 number
	File   *crm.CallerFile `json:"file,omitempty"`   // the screen pop
	RingMS int64           `json:"ring_ms,omitempty"`
	Since  *time.Time      `json:"since,omitempty"`
	Reason string          `json:"reason,omitempty"`
	SDP    string          `json:"sdp,omitempty"`
	State  string          `json:"state,omitempty"`  // call: connected, held, resumed, elsewhere
	Device string          `json:"device,omitempty"` // call: where it was answered
	Talk   *float64        `json:"talk_seconds,omitempty"`
	Team   []userOut       `json:"team,omitempty"` // hello: the colleagues (transfer, owner)

	// ping
	N int64 `json:"n,omitempty"`
	// error
	Message string `json:"message,omitempty"`
	About   string `json:"about,omitempty"`
}

type userOut struct {
	ID   int64    `json:"id"`
	Name string   `json:"name"`
	Role crm.Role `json:"role"`
}

// in is a message from a tab.
type in struct {
	Type     string `json:"type"`
	N        int64  `json:"n,omitempty"`
	Presence string `json:"presence,omitempty"`
	RingID   string `json:"ring_id,omitempty"`
	CallID   string `json:"call_id,omitempty"`
	SDP      string `json:"sdp,omitempty"`
	On       bool   `json:"on,omitempty"`
	ToUserID int64  `json:"to_user_id,omitempty"`
}
