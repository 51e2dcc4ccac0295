package sip

import (
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"time"

	"github.com/emiago/sipgo/sip"

	"callroute/media"
)

// peerAddr implements dialogLeg: the caller's requests come from where the
// INVITE came from (the trunk, or the user's phone).
func (l *callerLeg) peerAddr() netip.Addr { return l.src }

// inDialog implements dialogLeg for requests from the caller.
func (l *callerLeg) inDialog(r *request) {
	switch r.req.Method {
	case sip.ACK:
		if l.dm.ackFor(r.req) {
			return // the ACK of a re-INVITE's 2xx
		}
		// The ACK of our 2xx to the INVITE: RespondSDP stops re-sending.
		if err := l.dlg.ReadAck(r.req, r.tx); err != nil {
			l.log.Debug("sip: ACK not for our 2xx", "err", err)
		}
	case sip.BYE:
		l.onBye(r)
	case sip.INVITE:
		l.awaitAck(r)
		if !l.confirmed() {
			// RFC 3261 14.2: an INVITE while ours is not finished.
			r.respond(sip.StatusInternalServerError, "Server Internal Error",
				sip.NewHeader("Retry-After", strconv.Itoa(rand.IntN(10)+1)))
			return
		}
		serveReinvite(r, l.dm, l, l.h.srv.warning)
	default:
		answerInDialogSimple(r, l.log)
	}
}

// ackWait bounds how long a re-INVITE waits for the ACK of our 2xx: the
// peer sent that ACK before its re-INVITE (RFC 3261 14.1), but each request
// is handled on its own goroutine and UDP may reorder them.
const ackWait = time.Second

// awaitAck waits, within ackWait, for our 2xx's ACK when it is due.
func (l *callerLeg) awaitAck(r *request) {
	l.mu.Lock()
	done := l.answerDone
	l.mu.Unlock()
	if done == nil {
		return
	}
	t := time.NewTimer(ackWait)
	defer t.Stop()
	select {
	case <-done:
	case <-l.done:
	case <-r.ctx.Done():
	case <-t.C:
	}
}

// confirmed reports whether our 2xx was ACKed (the dialog is confirmed).
func (l *callerLeg) confirmed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sent2xx && l.answerDone != nil && isClosed(l.answerDone) && l.answerErr == nil
}

// onBye: the caller hung up (RFC 3261 15.1.2). Before our 2xx that is a BYE
// in an early dialog: 200 to it and 487 to the INVITE.
func (l *callerLeg) onBye(r *request) {
	if !l.dm.checkCSeq(r.req) {
		r.respond(sip.StatusInternalServerError, "CSeq Out Of Order")
		return
	}
	l.log.Debug("sip: caller hung up")
	l.remoteEnd(ErrCallerHungUp)
	l.mu.Lock()
	sent2xx, final := l.sent2xx, l.finalSent
	l.finalSent = true
	l.mu.Unlock()
	if !sent2xx {
		r.respond(sip.StatusOK, "OK")
		if !final && l.tx.Err() == nil {
			_ = reply(l.tx, l.dlg.InviteRequest, sip.StatusRequestTerminated, "Request Terminated")
		}
		return
	}
	if err := l.dlg.ReadBye(r.req, r.tx); err != nil {
		l.log.Warn("sip: answering the caller's BYE failed", "err", err)
	}
}

// reinviteLeg for the caller's re-INVITEs.
func (l *callerLeg) legDone() <-chan struct{} { return l.done }
func (l *callerLeg) contact() sip.ContactHeader {
	return *l.ua.ContactHDR.Clone()
}
func (l *callerLeg) logger() *slog.Logger { return l.log }
func (l *callerLeg) noAck()               { l.localEnd(ErrNoAck) }
func (l *callerLeg) holdChanged(dir media.Direction) {
	l.mu.Lock()
	a := l.peer
	l.mu.Unlock()
	if a != nil {
		a.relayHold(dir)
	}
}
