package sip

import (
	"context"

	"github.com/emiago/sipgo/sip"

	"callroute/routing"
)

// localEnd ends the leg from our side on a goroutine of the leg: BYE once
// answered, else a final response.
func (l *callerLeg) localEnd(err error) {
	if !l.end(err, false) {
		return
	}
	// Refused only once the call is being closed: close hangs up.
	l.tasks.Go(func() {
		ctx, cancel := cleanupContext()
		defer cancel()
		_ = l.hangup(ctx, routing.HangupError)
	})
}

// mediaTimeout ends the call when RTP stopped (media.WithTimeoutFunc):
// routing sees Done, and the caller gets a BYE.
func (l *callerLeg) mediaTimeout(err error) {
	l.log.Info("sip: caller's media timed out", "err", err)
	l.localEnd(err)
}

// Hangup implements routing.CallerLeg: the final response while unanswered
// (480, 503 with Retry-After, 500), a BYE once answered. Harmless twice or
// after the caller has gone.
func (l *callerLeg) Hangup(ctx context.Context, reason routing.HangupReason) error {
	l.end(ErrHungUp, false)
	return l.hangup(ctx, reason)
}

func (l *callerLeg) hangup(ctx context.Context, reason routing.HangupReason) error {
	l.mu.Lock()
	if l.hungUp || l.endedRemotely() {
		l.hungUp = true
		l.mu.Unlock()
		return nil
	}
	l.hungUp = true
	sent2xx, done := l.sent2xx, l.answerDone
	l.mu.Unlock()
	if !sent2xx {
		code, phrase, hdrs := l.finalFor(reason)
		return l.reject(code, phrase, hdrs...)
	}
	select {
	case <-done: // ACKed or given up: the dialog is ours to end
	case <-ctx.Done():
		return ctx.Err() // respond2xx sends the BYE when the ACK comes
	}
	if l.answerErrOf() != nil {
		return nil // never confirmed: respond2xx ended it
	}
	return l.bye(ctx)
}

func (l *callerLeg) answerErrOf() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.answerErr
}

// finalFor maps a hang-up reason to the final response of an unanswered
// INVITE ("busy" has no routing reason yet; anything else unknown is 480).
func (l *callerLeg) finalFor(reason routing.HangupReason) (int, string, []sip.Header) {
	switch reason {
	case routing.HangupShutdown:
		return sip.StatusServiceUnavailable, "Service Unavailable", []sip.Header{retryAfter(l.h.srv)}
	case routing.HangupError:
		return sip.StatusInternalServerError, "Server Internal Error", nil
	case "busy":
		return sip.StatusBusyHere, "Busy Here", nil
	}
	return sip.StatusTemporarilyUnavailable, "Temporarily Unavailable", nil
}

// reject sends a final non-2xx response to the INVITE (with our To tag),
// unless one went out already or the caller cancelled.
func (l *callerLeg) reject(code int, reason string, hdrs ...sip.Header) error {
	l.mu.Lock()
	if l.finalSent || l.sent2xx {
		l.mu.Unlock()
		return nil
	}
	l.finalSent = true
	l.mu.Unlock()
	l.stopRinging()
	l.end(ErrHungUp, false)
	if l.tx.Err() != nil {
		return nil // cancelled: sipgo sent the 487 (pitfall 6)
	}
	l.log.Info("sip: rejecting the caller", "status", code)
	return reply(l.tx, l.dlg.InviteRequest, code, reason, hdrs...)
}

// bye ends the confirmed dialog (RFC 3261 15.1.1); one at a time, and a
// second one is a no-op (sipgo's dialog state is then ended).
func (l *callerLeg) bye(ctx context.Context) error {
	l.byeMu.Lock()
	defer l.byeMu.Unlock()
	if err := l.dlg.Bye(ctx); err != nil {
		l.log.Warn("sip: BYE to the caller failed", "err", err)
		return err
	}
	l.log.Debug("sip: BYE sent to the caller")
	return nil
}

// close runs when Handle has returned: whatever routing did, the caller has
// a final response or a BYE, the port is released, the dialog forgotten.
func (l *callerLeg) close() {
	ctx, cancel := cleanupContext()
	defer cancel()
	if !l.ended() {
		l.log.Warn("sip: call ended with the caller's leg up, hanging up")
	}
	_ = l.Hangup(ctx, routing.HangupError)
	l.stopW()
	l.mu.Lock()
	pending := l.answerDone != nil && !isClosed(l.answerDone)
	l.mu.Unlock()
	if pending {
		// Our 2xx is still unACKed and the call is over: stop re-sending
		// it (RespondSDP returns once the transaction is gone).
		l.tx.Terminate()
	}
	l.tasks.closeWait()
	l.h.srv.dialogs.remove(l.key, l)
}
