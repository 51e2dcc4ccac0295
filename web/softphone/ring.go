package softphone

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"callroute/media"
	"callroute/routing"
)

// ringer rings an agent's browser tabs for routing.
type ringer struct{ h *Hub }

// ring is one call ringing one agent's tabs. The first tab to answer takes
// it; the others are told it was answered elsewhere.
type ring struct {
	h     *Hub
	id    string
	req   routing.RingRequest
	since time.Time
	msg   out // the ring message, for tabs that open while it rings

	mu       sync.Mutex
	offered  []*tab
	taker    *tab
	answered chan *tab     // the taker, once
	declined chan struct{} // closed once
	sdp      chan string   // the taker's SDP answer, once
	over     bool
}

// Ring implements routing.Ringer: every tab of the agent with its audio on
// rings with the screen pop; it returns the connected browser leg, or why
// not.
func (r ringer) Ring(ctx context.Context, req routing.RingRequest) (routing.AgentLeg, error) {
	h := r.h
	if len(h.userTabs(req.UserID, true)) == 0 {
		return nil, routing.ErrOffline
	}
	log := h.log.With("call_id", req.Call.ID, "user_id", req.UserID)
	number := req.Call.From
	if req.Caller != nil && req.Caller.E164 != "" {
		number = req.Caller.E164
	}
	now := time.Now()
	rg := &ring{h: h, id: fmt.Sprintf("r%d", h.seq.Add(1)), req: req, since: now,
		answered: make(chan *tab, 1), declined: make(chan struct{}), sdp: make(chan string, 1)}
	file := h.file(ctx, req.UserID, number, req.Caller)
	if file.E164 != "" {
		number = file.E164
	}
	rg.msg = out{Type: msgRing, CallID: req.Call.ID, RingID: rg.id, Stage: req.Stage, Number: number,
		File: file, RingMS: req.Timeout.Milliseconds(), Since: &now}
	h.mu.Lock()
	h.rings[req.UserID] = append(h.rings[req.UserID], rg)
	h.mu.Unlock()
	defer h.dropRing(rg)
	for _, t := range h.userTabs(req.UserID, true) {
		rg.offerTo(t)
	}
	log.Info("softphone: ringing the browser", "tabs", len(rg.tabs()), "ring_id", rg.id)

	select {
	case <-ctx.Done():
		rg.end(nil, rg.stopReason(ctx))
		return nil, ctx.Err()
	case <-rg.declined:
		rg.end(nil, endDeclined)
		return nil, routing.ErrDeclined
	case t := <-rg.answered:
		rg.end(t, endAnsweredElsewhere)
		leg, err := rg.connect(ctx, t)
		if err != nil {
			log.Warn("softphone: the browser's media did not connect", "tab", t.id, "err", err)
			t.send(out{Type: msgRingEnd, CallID: req.Call.ID, RingID: rg.id, Reason: endFailed, Message: err.Error()})
			return nil, err
		}
		log.Info("softphone: the browser answered", "tab", t.id, "codec", leg.leg.Codec().String())
		return leg, nil
	}
}

// stopReason says why routing stopped the ring.
func (rg *ring) stopReason(ctx context.Context) string {
	switch {
	case isDone(rg.req.Call.Leg.Done()):
		return endCallerLeft
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return endNoAnswer
	}
	return endAnsweredElsewhere
}

// offerTo rings one tab (once).
func (rg *ring) offerTo(t *tab) {
	rg.mu.Lock()
	if rg.over || slices.Contains(rg.offered, t) {
		rg.mu.Unlock()
		return
	}
	rg.offered = append(rg.offered, t)
	m := rg.msg
	rg.mu.Unlock()
	m.RingMS = max(0, rg.req.Timeout.Milliseconds()-time.Since(rg.since).Milliseconds())
	t.send(m)
}

func (rg *ring) tabs() []*tab {
	rg.mu.Lock()
	defer rg.mu.Unlock()
	return slices.Clone(rg.offered)
}

// answer: the first tab to answer takes the call.
func (rg *ring) answer(t *tab) {
	rg.mu.Lock()
	defer rg.mu.Unlock()
	if rg.over || rg.taker != nil {
		t.send(out{Type: msgRingEnd, CallID: rg.req.Call.ID, RingID: rg.id, Reason: endAnsweredElsewhere})
		return
	}
	rg.taker = t
	rg.answered <- t
}

// answerSDP hands over the taker's SDP answer.
func (rg *ring) answerSDP(t *tab, sdp string) {
	rg.mu.Lock()
	defer rg.mu.Unlock()
	if rg.taker != t {
		t.send(out{Type: msgError, About: msgSDP, RingID: rg.id, Message: "this tab did not answer the call"})
		return
	}
	select {
	case rg.sdp <- sdp:
	default: // a second answer: the first counts
	}
}

// decline: one tab's reject declines the call for the agent (RFC 3261
// 16.7: a 6xx ends the fork).
func (rg *ring) decline(t *tab) {
	rg.mu.Lock()
	defer rg.mu.Unlock()
	if rg.over || rg.taker != nil {
		return
	}
	rg.over = true
	close(rg.declined)
}

// end stops the ring on every tab but the taker.
func (rg *ring) end(taker *tab, reason string) {
	rg.mu.Lock()
	rg.over = true
	tabs := slices.Clone(rg.offered)
	rg.mu.Unlock()
	for _, t := range tabs {
		if t != taker {
			t.send(out{Type: msgRingEnd, CallID: rg.req.Call.ID, RingID: rg.id, Reason: reason})
		}
	}
}

// connect sets up the taker's WebRTC leg: the server offers, the tab
// answers, ICE and DTLS connect. It goes on for AnswerTimeout even when
// the ring time runs out meanwhile (routing takes an answer that comes
// within its grace), but stops when routing cancels the ring (the caller
// left, another device answered) or the tab goes.
func (rg *ring) connect(ctx context.Context, t *tab) (*bLeg, error) {
	h, req := rg.h, rg.req
	nctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.cfg.AnswerTimeout)
	defer cancel()
	cancelled := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		if errors.Is(ctx.Err(), context.Canceled) {
			close(cancelled)
		}
	})
	defer stop()
	prefer := media.PCMU
	if c, ok := req.Call.Leg.(interface{ Codec() media.Codec }); ok {
		prefer = c.Codec()
	}
	log := h.log.With("call_id", req.Call.ID, "user_id", req.UserID, "tab", t.id)
	// The leg lives as long as the call, not the ring: its owner (the
	// bLeg, or fail below) closes it.
	leg, err := h.newLeg(context.WithoutCancel(ctx), req.Call.ID, prefer, log)
	if err != nil {
		return nil, fmt.Errorf("the WebRTC leg: %w", err)
	}
	fail := func(err error) (*bLeg, error) {
		_ = leg.Close()
		return nil, err
	}
	t.send(out{Type: msgOffer, CallID: req.Call.ID, RingID: rg.id, SDP: leg.Offer()})
	wait := func(ready <-chan struct{}, what string) error {
		select {
		case <-ready:
			return nil
		case <-leg.Done():
			return fmt.Errorf("%s: the WebRTC leg ended: %v", what, leg.Err())
		case <-t.done:
			return fmt.Errorf("%s: the tab went", what)
		case <-req.Call.Leg.Done():
			return fmt.Errorf("%s: the caller left", what)
		case <-cancelled:
			return fmt.Errorf("%s: %w", what, context.Canceled)
		case <-nctx.Done():
			return fmt.Errorf("%s: no answer from the browser within %v", what, h.cfg.AnswerTimeout)
		}
	}
	gotSDP := make(chan struct{})
	var answer string
	go func() {
		select {
		case answer = <-rg.sdp:
			close(gotSDP)
		case <-nctx.Done():
		}
	}()
	if err := wait(gotSDP, "the SDP answer"); err != nil {
		return fail(err)
	}
	if err := leg.Accept(answer); err != nil {
		return fail(fmt.Errorf("the browser's SDP answer: %w", err))
	}
	if err := wait(leg.Connected(), "connecting the media"); err != nil {
		return fail(err)
	}
	return h.newBLeg(t, req, leg), nil
}

// dropRing forgets a ring that is over.
func (h *Hub) dropRing(rg *ring) {
	h.mu.Lock()
	defer h.mu.Unlock()
	uid := rg.req.UserID
	h.rings[uid] = slices.DeleteFunc(h.rings[uid], func(x *ring) bool { return x == rg })
	if len(h.rings[uid]) == 0 {
		delete(h.rings, uid)
	}
}

// findRing returns the user's ring with this ID.
func (h *Hub) findRing(userID int64, id string) *ring {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, rg := range h.rings[userID] {
		if rg.id == id {
			return rg
		}
	}
	return nil
}

func isDone(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
