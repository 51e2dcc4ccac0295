package routing

import (
	"context"
	"errors"
	"time"

	"callroute/crm"
)

// Why a ring ended without an answer. A [Ringer] returns one of these (or
// ctx.Err() when routing stopped the ring).
var (
	// ErrBusy: every reachable device said busy (486/600).
	ErrBusy = errors.New("busy")
	// ErrDeclined: the agent rejected the call (603 Decline, or the
	// softphone's reject button); RFC 3261 16.7 ends a fork on a 6xx.
	ErrDeclined = errors.New("declined")
	// ErrNoAnswer: the ring time passed with devices ringing.
	ErrNoAnswer = errors.New("no answer")
	// ErrOffline: the agent has no device online to ring.
	ErrOffline = errors.New("offline")
)

// Ringer rings an agent: every device they have online (SIP phones, browser
// tabs), at once. The SIP edge and the browser softphone each implement it;
// [Fanout] combines them.
type Ringer interface {
	// Ring rings req.UserID's devices with the call until one answers, all
	// refuse, or ctx is done (routing sets a deadline of req.Timeout, and
	// cancels when someone else answers or the caller hangs up). It returns
	// the answered leg, or nil and ErrBusy, ErrDeclined, ErrNoAnswer,
	// ErrOffline or ctx.Err(). It must return as soon as ctx is done,
	// without waiting for the 487 to its CANCEL; a 200 that crosses the
	// CANCEL (RFC 3261 9.1) is the edge's to ACK and BYE, or it may return
	// that leg and routing hangs it up. Routing stops waiting
	// DefaultRingGrace after ctx is done.
	Ring(ctx context.Context, req RingRequest) (AgentLeg, error)
}

// RingRequest says whom to ring with which call.
type RingRequest struct {
	Call   *Call
	UserID int64
	// Timeout is how long routing lets it ring (the ctx deadline says the
	// same); an edge may use it for an Expires header.
	Timeout time.Duration
	// Stage is why the agent is rung (owner, delegate, desk): the softphone
	// shows it.
	Stage Stage
	// Caller is the lookup's answer for the screen pop; nil when the lookup
	// failed.
	Caller *crm.CallerInfo
}

// Fanout rings an agent through several ringers at once (the SIP edge and
// the browser softphone): the first answer wins and the others are
// cancelled, as a forking proxy does (RFC 3261 16.7).
type Fanout []Ringer

type ringAnswer struct {
	leg AgentLeg
	err error
}

// Ring implements [Ringer]. It returns as soon as the outcome is known and
// lets the losing rings end in the background.
func (f Fanout) Ring(ctx context.Context, req RingRequest) (AgentLeg, error) {
	switch len(f) {
	case 0:
		return nil, ErrOffline
	case 1:
		return f[0].Ring(ctx, req)
	}
	rctx, cancel := context.WithCancel(ctx)
	answers := make(chan ringAnswer, len(f))
	for _, r := range f {
		go func() {
			leg, err := r.Ring(rctx, req)
			answers <- ringAnswer{leg, err}
		}()
	}
	var errs []error
	for left := len(f); left > 0; left-- {
		a := <-answers
		if a.err == nil && a.leg != nil {
			cancel()
			go dropLate(answers, left-1)
			return a.leg, nil
		}
		if errors.Is(a.err, ErrDeclined) {
			cancel()
			go dropLate(answers, left-1)
			return nil, ErrDeclined
		}
		errs = append(errs, a.err)
	}
	cancel()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return nil, worstOf(errs)
}

// dropLate waits for the rings still running and hangs up any that answered
// after the outcome was decided.
func dropLate(answers <-chan ringAnswer, n int) {
	for ; n > 0; n-- {
		if a := <-answers; a.leg != nil {
			hctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
			_ = a.leg.Hangup(hctx, HangupAnsweredElsewhere)
			cancel()
		}
	}
}

// worstOf combines the reasons of devices that did not answer: one that rang
// out means the agent could have answered (no answer), else busy, else an
// unexpected error as it is, else offline.
func worstOf(errs []error) error {
	var busy bool
	var other error
	for _, err := range errs {
		switch {
		case errors.Is(err, ErrNoAnswer), errors.Is(err, context.DeadlineExceeded):
			return ErrNoAnswer
		case errors.Is(err, ErrBusy):
			busy = true
		case err != nil && !errors.Is(err, ErrOffline) && other == nil:
			other = err
		}
	}
	switch {
	case busy:
		return ErrBusy
	case other != nil:
		return other
	}
	return ErrOffline
}
