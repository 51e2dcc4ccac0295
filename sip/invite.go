package sip

import (
	"log/slog"

	"github.com/emiago/sipgo/sip"
)

// onInvite is admission only: who may call in. A source inside a trunk
// prefix is admitted without authentication; anyone else must pass digest
// authentication as a SIP user (401 challenge, RFC 3261 22.3 for why not
// 407; after repeated failures 403). Nothing else is routed: callroute never
// places a call on an outsider's behalf (security.md 3). An admitted INVITE
// goes to the InviteHandler; without one the answer is 503 + Retry-After,
// never a fake success.
func (s *Server) onInvite(r *request) {
	// A To tag makes it a re-INVITE within a dialog (RFC 3261 14.2): its
	// leg answers it, or 481; admission is for new calls only.
	if s.inDialog(r) {
		return
	}
	if s.draining.Load() {
		r.respond(sip.StatusServiceUnavailable, "Service Unavailable", retryAfter(s))
		return
	}
	caller := Caller{Source: r.src, Transport: r.req.Transport()}
	if s.trunks.contains(r.src.Addr()) {
		caller.Kind = CallerTrunk
	} else {
		res := s.auth.check(r.ctx, r.req, r.src.Addr())
		if !s.authAnswered(r, res) {
			return
		}
		caller.Kind, caller.UserID, caller.Username = CallerUser, res.cred.UserID, res.cred.Username
	}
	caller.ID = ParseCallerID(r.req, caller.Kind == CallerTrunk)
	r.log = logWith(r.log, slog.String("caller_kind", caller.Kind.String()), slog.String("caller", caller.ID.User))

	h := s.inviteHandler()
	if h == nil {
		r.log.Warn("sip: invite admitted but no call handler is set")
		r.respond(sip.StatusServiceUnavailable, "Service Unavailable", retryAfter(s))
		return
	}
	r.log.Info("sip: invite admitted", "user_id", caller.UserID)
	h.HandleInvite(r.ctx, r.req, r.tx, caller)
	// Cancelled (sipgo sent 487 and the transaction waits for its ACK)
	// or timed out: nothing more to send.
	if !r.tx.final.Load() && r.tx.Err() == nil {
		select {
		case <-r.tx.Done():
		default:
			r.log.Error("sip: call handler returned without a final response")
			r.respond(sip.StatusInternalServerError, "Server Internal Error")
		}
	}
}

// authAnswered answers a request that did not authenticate and reports
// whether the handler may go on (true only for authOK).
func (s *Server) authAnswered(r *request, res authResult) bool {
	switch res.outcome {
	case authOK:
		r.log = logWith(r.log, slog.Int64("user_id", res.cred.UserID), slog.String("username", res.cred.Username))
		return true
	case authChallenge:
		if res.reason != "" {
			r.log.Info("sip: digest challenge", "why", res.reason, "stale", res.stale)
		}
		r.send(s.auth.challenge(r.req, r.src.Addr(), res.stale))
	case authForbidden:
		r.log.Warn("sip: digest refused", "why", res.reason)
		r.respond(sip.StatusForbidden, "Forbidden")
	default:
		r.log.Error("sip: digest check failed", "why", res.reason)
		r.respond(sip.StatusInternalServerError, "Server Internal Error")
	}
	return false
}
