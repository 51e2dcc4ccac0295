package softphone

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"callroute/media"
	"callroute/routing"
)

// Why a browser leg ended, as the tab's call_end says.
const (
	endAgentHungUp   = "agent_hung_up"
	endCallerHungUp  = "caller_hung_up"
	endTransferred   = "transferred"
	endMediaLost     = "media_lost" // ICE or DTLS failed: the browser's network went
	endTabGone       = "tab_gone"
	endSystemHungUp  = "ended" // routing ended it otherwise (shutdown, an error)
	endAnsweredOther = "answered_elsewhere"
)

// bLeg is an answered call on a browser tab: a routing.MediaAgentLeg
// whose media is the tab's WebRTC leg, behind a HoldLeg for the tab's hold
// button.
type bLeg struct {
	h      *Hub
	t      *tab
	callID string
	caller routing.CallerLeg
	leg    MediaLeg
	hold   *media.HoldLeg
	log    *slog.Logger
	start  time.Time

	transferring atomic.Bool
	cancel       context.CancelFunc
	done         chan struct{}
	once         sync.Once
}

var _ routing.MediaAgentLeg = (*bLeg)(nil)

func (h *Hub) newBLeg(t *tab, req routing.RingRequest, leg MediaLeg) *bLeg {
	ctx, cancel := context.WithCancel(context.Background())
	b := &bLeg{h: h, t: t, callID: req.Call.ID, caller: req.Call.Leg, leg: leg, hold: media.NewHoldLeg(ctx, leg),
		log: h.log.With("call_id", req.Call.ID, "user_id", t.user.ID, "tab", t.id), start: time.Now(),
		cancel: cancel, done: make(chan struct{})}
	t.addCall(b)
	go func() {
		select {
		case <-leg.Done():
			b.log.Info("softphone: the browser's media ended", "err", leg.Err())
			b.end(endMediaLost)
		case <-b.done:
		}
	}()
	t.send(out{Type: msgCall, CallID: b.callID, State: "connected", Device: b.Device()})
	return b
}

// Device implements routing.AgentLeg.
func (b *bLeg) Device() string { return "browser" }

// Done implements routing.AgentLeg.
func (b *bLeg) Done() <-chan struct{} { return b.done }

// Media implements routing.MediaAgentLeg.
func (b *bLeg) Media() media.Leg { return b.hold }

// Hangup implements routing.AgentLeg: routing ends the call on the tab.
func (b *bLeg) Hangup(_ context.Context, reason routing.HangupReason) error {
	why := endSystemHungUp
	switch {
	case b.transferring.Load():
		why = endTransferred
	case reason == routing.HangupAnsweredElsewhere:
		why = endAnsweredOther
	case isDone(b.caller.Done()):
		why = endCallerHungUp
	}
	b.end(why)
	return nil
}

// end closes the leg once and tells the tab why.
func (b *bLeg) end(why string) {
	b.once.Do(func() {
		close(b.done)
		b.cancel()
		_ = b.leg.Close()
		b.t.dropCall(b)
		talk := time.Since(b.start).Seconds()
		b.t.send(out{Type: msgCallEnd, CallID: b.callID, Reason: why, Talk: &talk})
		b.log.Info("softphone: call ended on the browser", "why", why)
	})
}

// setHold puts the caller on hold from the tab (music to the caller) or
// resumes.
func (b *bLeg) setHold(on bool) {
	b.hold.SetHold(on)
	state := "resumed"
	if on {
		state = "held"
	}
	b.log.Info("softphone: call " + state + " by the agent")
	b.t.send(out{Type: msgCall, CallID: b.callID, State: state, Device: b.Device()})
}
