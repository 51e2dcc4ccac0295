package sip

import (
	"context"
	"log/slog"
	"net/netip"
	"sync"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"callroute/media"
	"callroute/routing"
)

// agentLeg is an answered phone: the dialog in which we are the UAC, and
// the RTP session the caller's Bridge connects. It implements
// routing.AgentLeg.
type agentLeg struct {
	srv    *Server
	log    *slog.Logger
	b      Binding
	dlg    *sipgo.DialogClientSession
	key    dialogKey
	dm     *dialogMedia
	device string

	done    chan struct{}
	endOnce sync.Once
	errMu   sync.Mutex
	err     error
	remote  bool

	mu     sync.Mutex
	hungUp bool
	peer   *callerLeg

	byeMu sync.Mutex
	tasks legTasks
}

var _ routing.AgentLeg = (*agentLeg)(nil)

// Device implements routing.AgentLeg: the registered Contact that answered.
func (a *agentLeg) Device() string { return a.device }

// Done implements routing.AgentLeg.
func (a *agentLeg) Done() <-chan struct{} { return a.done }

// Err says why the leg ended (nil while it is up).
func (a *agentLeg) Err() error {
	a.errMu.Lock()
	defer a.errMu.Unlock()
	return a.err
}

func (a *agentLeg) ended() bool { return isClosed(a.done) }

func (a *agentLeg) endedRemotely() bool {
	a.errMu.Lock()
	defer a.errMu.Unlock()
	return a.remote
}

// end closes the leg once: Done and the media session.
func (a *agentLeg) end(err error, remote bool) bool {
	first := false
	a.endOnce.Do(func() {
		first = true
		a.errMu.Lock()
		a.err, a.remote = err, remote
		a.errMu.Unlock()
		close(a.done)
	})
	if first {
		_ = a.dm.sess.Close()
	}
	return first
}

// Hangup implements routing.AgentLeg: BYE, with RFC 3326 Reason "Call
// completed elsewhere" when another device or agent took the call.
// Harmless twice or after the phone hung up.
func (a *agentLeg) Hangup(ctx context.Context, reason routing.HangupReason) error {
	a.mu.Lock()
	if a.hungUp {
		a.mu.Unlock()
		a.tasks.closeWait()
		return nil
	}
	a.hungUp = true
	a.mu.Unlock()
	a.end(ErrHungUp, false)
	var err error
	if !a.endedRemotely() {
		err = a.bye(ctx, reason)
	}
	a.srv.dialogs.remove(a.key, a)
	a.tasks.closeWait()
	return err
}

// bye sends a BYE in the dialog (RFC 3261 15.1.1); a second one is a no-op
// once the first was answered.
func (a *agentLeg) bye(ctx context.Context, reason routing.HangupReason) error {
	a.byeMu.Lock()
	defer a.byeMu.Unlock()
	if err := byeUAC(ctx, a.dlg, reason); err != nil {
		a.log.Warn("sip: BYE to the phone failed", "err", err)
		return err
	}
	a.log.Debug("sip: BYE sent to the phone", "reason", reason)
	return nil
}

// byeUAC sends a BYE in a dialog we started, to the remote target (the
// Contact of its 2xx, RFC 3261 12.2.1.1), with a Reason header (RFC 3326)
// when the call was completed elsewhere.
func byeUAC(ctx context.Context, dlg *sipgo.DialogClientSession, reason routing.HangupReason) error {
	target := dlg.InviteRequest.Recipient
	if c := dlg.InviteResponse.Contact(); c != nil {
		target = c.Address
	}
	bye := sip.NewRequest(sip.BYE, *target.Clone())
	if reason == routing.HangupAnsweredElsewhere {
		bye.AppendHeader(sip.NewHeader("Reason", `SIP;cause=200;text="Call completed elsewhere"`))
	}
	return dlg.WriteBye(ctx, bye)
}

// localEnd ends the leg from our side (media timeout, no ACK) on a
// goroutine of the leg, which Hangup waits for.
func (a *agentLeg) localEnd(err error) {
	if !a.end(err, false) {
		return
	}
	// Refused only when Hangup is already under way: it sends the BYE.
	a.tasks.Go(func() {
		ctx, cancel := cleanupContext()
		defer cancel()
		_ = a.bye(ctx, routing.HangupNormal)
		a.srv.dialogs.remove(a.key, a)
	})
}

// mediaTimeout ends the leg when the phone's RTP stopped.
func (a *agentLeg) mediaTimeout(err error) {
	a.log.Info("sip: phone's media timed out", "err", err)
	a.localEnd(err)
}

func (a *agentLeg) setPeer(c *callerLeg) {
	a.mu.Lock()
	a.peer = c
	a.mu.Unlock()
}

// peerAddr implements dialogLeg: the phone's registered source.
func (a *agentLeg) peerAddr() netip.Addr { return a.b.Source.Addr() }

// inDialog implements dialogLeg for requests from the phone.
func (a *agentLeg) inDialog(r *request) {
	switch r.req.Method {
	case sip.ACK:
		a.dm.ackFor(r.req) // the ACK of a re-INVITE's 2xx
	case sip.BYE:
		if !a.dm.checkCSeq(r.req) {
			r.respond(sip.StatusInternalServerError, "CSeq Out Of Order")
			return
		}
		a.log.Debug("sip: phone hung up")
		a.end(ErrAgentHungUp, true)
		if err := a.dlg.ReadBye(r.req, r.tx); err != nil {
			a.log.Warn("sip: answering the phone's BYE failed", "err", err)
		}
		a.srv.dialogs.remove(a.key, a)
	case sip.INVITE:
		serveReinvite(r, a.dm, a, a.srv.warning)
	default:
		answerInDialogSimple(r, a.log)
	}
}

// reinviteLeg for the phone's re-INVITEs.
func (a *agentLeg) legDone() <-chan struct{} { return a.done }
func (a *agentLeg) contact() sip.ContactHeader {
	return *a.dlg.UA.ContactHDR.Clone()
}
func (a *agentLeg) logger() *slog.Logger { return a.log }
func (a *agentLeg) noAck()               { a.localEnd(ErrNoAck) }
func (a *agentLeg) holdChanged(dir media.Direction) {
	a.mu.Lock()
	c := a.peer
	a.mu.Unlock()
	if c != nil {
		c.relayHold(dir)
	}
}
