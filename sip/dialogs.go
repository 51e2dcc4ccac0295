package sip

import (
	"log/slog"
	"net/netip"
	"sync"

	"github.com/emiago/sipgo/sip"
)

// dialogKey identifies a dialog from our side (RFC 3261 12: Call-ID, local
// tag, remote tag). For a request we receive within a dialog the local tag
// is its To tag and the remote tag its From tag, whether we are the UAS of
// the dialog (the caller's leg) or its UAC (the leg to a phone).
type dialogKey struct {
	callID, local, remote string
}

// keyOfRequest is the key of an incoming in-dialog request; ok is false when
// the request carries no To tag (it is not within a dialog, RFC 3261 12.2.2).
func keyOfRequest(req *sip.Request) (dialogKey, bool) {
	cid, from, to := req.CallID(), req.From(), req.To()
	if cid == nil || from == nil || to == nil {
		return dialogKey{}, false
	}
	local, ok := to.Params.Get("tag")
	if !ok || local == "" {
		return dialogKey{}, false
	}
	remote, _ := from.Params.Get("tag")
	return dialogKey{callID: cid.Value(), local: local, remote: remote}, true
}

// dialogLeg is a live dialog of ours that takes in-dialog requests.
type dialogLeg interface {
	// peer is the address the dialog's requests come from: the caller's
	// INVITE source, the phone's registered source.
	peerAddr() netip.Addr
	// inDialog serves an in-dialog request: ACK, BYE, re-INVITE, INFO,
	// OPTIONS. It answers every request but ACK.
	inDialog(r *request)
}

// dialogRegistry holds the live dialogs of this node, so that in-dialog
// requests reach their leg (sipgo's README recommends one's own dialog
// cache over its sync.Map ones).
type dialogRegistry struct {
	mu sync.Mutex
	m  map[dialogKey]dialogLeg
}

func newDialogRegistry() *dialogRegistry {
	return &dialogRegistry{m: map[dialogKey]dialogLeg{}}
}

func (d *dialogRegistry) add(k dialogKey, l dialogLeg) {
	d.mu.Lock()
	d.m[k] = l
	d.mu.Unlock()
}

// remove deletes k if it still names l.
func (d *dialogRegistry) remove(k dialogKey, l dialogLeg) {
	d.mu.Lock()
	if d.m[k] == l {
		delete(d.m, k)
	}
	d.mu.Unlock()
}

func (d *dialogRegistry) get(k dialogKey) dialogLeg {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.m[k]
}

// Len counts the live dialogs (tests, metrics).
func (d *dialogRegistry) Len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.m)
}

// LiveDialogs counts the dialogs the call layer holds open: the callers'
// and the phones'. Zero when no call is up.
func (s *Server) LiveDialogs() int { return s.dialogs.Len() }

// inDialog reports whether req is within a dialog (it has a To tag) and, if
// so, serves it: the leg it belongs to takes it, or 481 when no dialog
// matches (RFC 3261 12.2.2). This runs before admission: a phone's re-INVITE
// or BYE is never challenged, while a new INVITE (no To tag) still is.
func (s *Server) inDialog(r *request) bool {
	k, ok := keyOfRequest(r.req)
	if !ok {
		return false
	}
	leg := s.dialogs.get(k)
	// Only the dialog's peer (or a trunk, whose proxies may send from
	// several addresses) may act on it: Call-ID and tags travel in the
	// clear, so a third party must not be able to hang up or re-route a
	// call with them.
	if leg != nil && leg.peerAddr().IsValid() && r.src.Addr() != leg.peerAddr() && !s.trunks.contains(r.src.Addr()) {
		r.log.Warn("sip: in-dialog request from a foreign source", "peer", leg.peerAddr().String())
		leg = nil
	}
	if leg == nil {
		if r.req.IsAck() {
			r.log.Debug("sip: ACK for no dialog ignored") // RFC 3261 17.2.3: no response to ACK
			return true
		}
		r.log.Info("sip: in-dialog request for no dialog")
		r.respond(sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
		return true
	}
	leg.inDialog(r)
	return true
}

// onInDialogOnly serves methods that only make sense within a dialog (BYE,
// ACK, INFO): 481 outside one (RFC 3261 15.1.2), ACK silently absorbed.
func (s *Server) onInDialogOnly(r *request) {
	if s.inDialog(r) {
		return
	}
	if r.req.IsAck() {
		r.log.Debug("sip: stray ACK ignored") // RFC 3261 17.2.3
		return
	}
	s.onNoDialog(r)
}

// answerInDialogSimple answers the in-dialog requests that need no state:
// OPTIONS (RFC 3261 11.2) and INFO (RFC 6086: we take legacy DTMF INFO and
// do nothing with it, the DTMF we pass is RFC 4733 in RTP).
func answerInDialogSimple(r *request, log *slog.Logger) {
	switch r.req.Method {
	case sip.OPTIONS:
		r.respond(sip.StatusOK, "OK", allowHeader(), sip.NewHeader("Accept", "application/sdp"))
	case sip.INFO:
		log.Debug("sip: INFO in dialog", "content_type", contentTypeOf(r.req))
		r.respond(sip.StatusOK, "OK")
	default:
		r.respond(sip.StatusMethodNotAllowed, "Method Not Allowed", allowHeader())
	}
}

func contentTypeOf(m *sip.Request) string {
	if h := m.ContentType(); h != nil {
		return CleanHeaderValue(h.Value(), 128)
	}
	return ""
}
