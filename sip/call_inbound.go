package sip

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"callroute/media"
	"callroute/media/audio"
	"callroute/routing"
)

// Why a leg ended (Err of the caller's leg; Done of a phone's leg).
var (
	ErrCallerCancelled = errors.New("sip: caller cancelled")
	ErrCallerHungUp    = errors.New("sip: caller hung up")
	ErrAgentHungUp     = errors.New("sip: phone hung up")
	ErrNoAck           = errors.New("sip: no ACK for our 2xx")
	ErrHungUp          = errors.New("sip: hung up by callroute")
	errInviteEnded     = errors.New("sip: INVITE transaction ended")
)

// callerLeg is the caller's side of a call: the dialog in which we are the
// UAS, and its RTP session. It implements routing.CallerLeg.
type callerLeg struct {
	h      *CallHandler
	log    *slog.Logger
	callID string
	id     CallerID
	src    netip.Addr
	key    dialogKey
	dlg    *sipgo.DialogServerSession
	tx     sip.ServerTransaction
	dm     *dialogMedia
	answer []byte // our SDP answer, sent in 183 and 200 alike
	ua     *sipgo.DialogUA

	done    chan struct{}
	endOnce sync.Once
	errMu   sync.Mutex
	err     error
	remote  bool // ended by the caller (CANCEL, BYE)

	mu         sync.Mutex
	ring       *ringing // set by the first Ringing, kept once stopped
	sent2xx    bool
	answerDone chan struct{} // closed when our 2xx was ACKed or given up
	answerErr  error
	hungUp     bool
	finalSent  bool
	musicOnce  bool
	peer       *agentLeg // while bridged, for hold

	byeMu  sync.Mutex
	source mediaSlot
	tasks  legTasks
	stopW  func() bool
}

var _ routing.CallerLeg = (*callerLeg)(nil)

// newCallerLeg makes the caller's RTP session and dialog. It returns nil,
// nil when the INVITE was cancelled meanwhile.
func (h *CallHandler) newCallerLeg(req *sip.Request, tx sip.ServerTransaction, caller Caller, offer *media.Description, neg media.Negotiated, log *slog.Logger) (*callerLeg, *rejection) {
	l := &callerLeg{h: h, log: log, callID: callIDOf(req), id: caller.ID, src: caller.Source.Addr(), tx: tx,
		done: make(chan struct{})}
	l.tasks.log = log
	sess, err := h.cfg.Media.newSession(log, l.mediaTimeout)
	if err != nil {
		// Out of RTP ports: a temporary overload (RFC 3261 21.5.4).
		return nil, &rejection{code: sip.StatusServiceUnavailable, reason: "Service Unavailable",
			hdrs: []sip.Header{retryAfter(h.srv)}, why: "rtp: " + err.Error()}
	}
	// Apply the offer before any answer, so a mismatch is refused before
	// the phone rings (sip-webrtc.md 4, step 7).
	sess.Apply(neg)
	local := media.NewLocalSDP(h.cfg.Media.Announce, sess.LocalPort())
	answer, err := media.BuildAnswer(local, offer, neg, h.cfg.Media.Capabilities.Ptime)
	if err != nil {
		_ = sess.Close()
		return nil, &rejection{code: sip.StatusInternalServerError, reason: "Server Internal Error", why: err.Error()}
	}
	l.answer = answer
	l.dm = newDialogMedia(sess, h.cfg.Media.Capabilities, local, neg, answer)
	l.dm.setRemoteCSeq(req.CSeq().SeqNo)
	l.ua = h.srv.dialogUA(caller.Transport)
	dlg, err := l.ua.ReadInvite(req, tx)
	if err != nil {
		_ = sess.Close()
		if tx.Err() != nil {
			return nil, nil
		}
		return nil, &rejection{code: sip.StatusBadRequest, reason: "Bad Request", why: err.Error()}
	}
	l.dlg = dlg
	tag, _ := dlg.InviteRequest.To().Params.Get("tag")
	remote, _ := req.From().Params.Get("tag")
	l.key = dialogKey{callID: l.callID, local: tag, remote: remote}
	h.srv.dialogs.add(l.key, l)
	// CANCEL (sipgo answers 200 and 487 itself) or the INVITE transaction
	// dying before our 2xx ends the dialog's context (pitfall 6).
	l.stopW = context.AfterFunc(dlg.Context(), l.dialogEnded)
	return l, nil
}

func (l *callerLeg) dialogEnded() {
	if errors.Is(context.Cause(l.dlg.Context()), sip.ErrTransactionCanceled) {
		l.log.Info("sip: caller cancelled")
		l.remoteEnd(ErrCallerCancelled)
		return
	}
	l.mu.Lock()
	answered := l.sent2xx
	l.mu.Unlock()
	if !answered { // the INVITE transaction died (shutdown, transport)
		l.remoteEnd(errInviteEnded)
	}
	// An answered leg ends by BYE, a media timeout or the no-ACK path.
}

// Done implements routing.CallerLeg.
func (l *callerLeg) Done() <-chan struct{} { return l.done }

// Err implements routing.CallerLeg.
func (l *callerLeg) Err() error {
	l.errMu.Lock()
	defer l.errMu.Unlock()
	return l.err
}

func (l *callerLeg) ended() bool { return isClosed(l.done) }

// end closes the leg once: Done, the media session, the ringing.
func (l *callerLeg) end(err error, remote bool) bool {
	first := false
	l.endOnce.Do(func() {
		first = true
		l.errMu.Lock()
		l.err, l.remote = err, remote
		l.errMu.Unlock()
		close(l.done)
	})
	if first {
		l.stopRinging()
		_ = l.dm.sess.Close()
	}
	return first
}

func (l *callerLeg) remoteEnd(err error) { l.end(err, true) }

func (l *callerLeg) endedRemotely() bool {
	l.errMu.Lock()
	defer l.errMu.Unlock()
	return l.remote
}

// Ringing implements routing.CallerLeg: 183 Session Progress with our SDP
// and a ringback tone as early media (RFC 3261 13.3.1.1, RFC 3960), or 180
// Ringing; re-sent every ProvisionalInterval while it rings.
func (l *callerLeg) Ringing(ctx context.Context) error {
	l.mu.Lock()
	if l.ended() || l.sent2xx || l.ring != nil {
		l.mu.Unlock()
		return nil
	}
	rctx, cancel := context.WithCancel(context.Background())
	rg := &ringing{cancel: cancel, played: make(chan struct{})}
	l.ring = rg
	l.mu.Unlock()
	res := l.provisional()
	if err := l.dlg.WriteResponse(res); err != nil {
		close(rg.played)
		rg.stop()
		return err
	}
	if l.h.cfg.NoEarlyMedia {
		close(rg.played)
	} else if !l.tasks.Go(func() { l.playRingback(rctx, rg.played) }) {
		close(rg.played)
		rg.stop()
		return nil
	}
	rg.resendEvery(l.h.cfg.ProvisionalInterval, func() {
		defer recoverTo(l.log, "provisional re-send")
		if err := l.dlg.WriteResponse(res); err != nil {
			l.log.Debug("sip: provisional not re-sent", "err", err)
		}
	})
	return nil
}

func (l *callerLeg) provisional() *sip.Response {
	if l.h.cfg.NoEarlyMedia {
		return sip.NewResponseFromRequest(l.dlg.InviteRequest, sip.StatusRinging, "Ringing", nil)
	}
	res := sip.NewResponseFromRequest(l.dlg.InviteRequest, sip.StatusSessionInProgress, "Session Progress", l.answer)
	res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	return res
}

// playRingback plays the ringback until ctx is done or another source
// takes the leg (the re-sending goes on without it).
func (l *callerLeg) playRingback(ctx context.Context, played chan<- struct{}) {
	defer close(played)
	pctx, release := l.source.acquire(ctx)
	defer release()
	_ = media.Play(pctx, l.dm.sess, audio.NewRingback(l.h.cfg.Ringback))
}

// stopRinging stops the ringback and the re-sending and waits for both.
func (l *callerLeg) stopRinging() {
	l.mu.Lock()
	rg := l.ring
	l.mu.Unlock()
	if rg != nil {
		rg.stop()
	}
}

// ringing is a leg's ringing: the ringback, played on a leg task, and the
// provisional response, re-sent by a timer (no goroutine while it waits).
type ringing struct {
	cancel context.CancelFunc // stops the ringback
	played chan struct{}      // closed once the ringback ended or was not played

	mu      sync.Mutex // held while re-sending, so stop waits for a re-send under way
	stopped bool
	resend  *time.Timer
}

// resendEvery calls send every interval until stop.
func (rg *ringing) resendEvery(interval time.Duration, send func()) {
	rg.mu.Lock()
	defer rg.mu.Unlock()
	if rg.stopped {
		return
	}
	rg.resend = time.AfterFunc(interval, func() {
		rg.mu.Lock()
		defer rg.mu.Unlock()
		if rg.stopped {
			return
		}
		send()
		rg.resend.Reset(interval)
	})
}

// stop ends the ringback and the re-sending and waits for both: once it
// returns, no provisional response goes out and the media slot is free.
func (rg *ringing) stop() {
	rg.cancel()
	rg.mu.Lock()
	rg.stopped = true
	if rg.resend != nil {
		rg.resend.Stop()
	}
	rg.mu.Unlock()
	<-rg.played
}

// Answer implements routing.CallerLeg: 200 OK with our SDP, re-sent until
// the ACK (RFC 3261 13.3.1.4). Media starts with the ACK. Without an ACK
// for 64*T1 the call ends with a BYE (pitfall 8).
func (l *callerLeg) Answer(ctx context.Context) error {
	l.stopRinging()
	l.mu.Lock()
	switch {
	case l.ended():
		l.mu.Unlock()
		return l.Err()
	case l.dlg.Context().Err() != nil:
		l.mu.Unlock()
		return ErrCallerCancelled
	case !l.sent2xx:
		l.sent2xx = true
		l.answerDone = make(chan struct{})
		if !l.tasks.Go(l.respond2xx) {
			l.sent2xx, l.answerDone = false, nil
			l.mu.Unlock()
			return errLegGone
		}
	}
	done := l.answerDone
	l.mu.Unlock()
	select {
	case <-done:
	case <-l.done:
	case <-ctx.Done():
	}
	if !isClosed(done) && errors.Is(l.Err(), ErrCallerHungUp) {
		// A BYE after our 2xx: the caller had it (RFC 3261 15), and the
		// BYE ends sipgo's wait for the ACK at once.
		t := time.NewTimer(ackWait)
		defer t.Stop()
		select {
		case <-done:
		case <-t.C:
		}
	}
	if !isClosed(done) {
		if err := l.Err(); err != nil {
			return err // cancelled
		}
		return ctx.Err()
	}
	// ACKed, even if the caller hung up just after: routing's Bridge
	// then returns at once and the call is recorded as answered.
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.answerErr
}

// respond2xx runs on its own goroutine: sipgo re-sends the 2xx until the
// ACK or until the transaction ends (Timer L, 64*T1).
func (l *callerLeg) respond2xx() {
	err := l.dlg.RespondSDP(l.answer)
	if err != nil && errors.Is(l.Err(), ErrCallerHungUp) {
		// A BYE handled before its ACK (each request has its own
		// goroutine): the caller had our 2xx, the call was answered
		// (RFC 3261 15: the caller sends BYE on a confirmed dialog).
		err = nil
	}
	l.mu.Lock()
	l.answerErr = err
	hungUp := l.hungUp
	close(l.answerDone)
	l.mu.Unlock()
	switch {
	case l.endedRemotely(): // cancelled, or a BYE before the ACK
	case err != nil:
		l.log.Warn("sip: caller never ACKed our 2xx, ending the call", "err", err)
		l.end(ErrNoAck, false)
		l.mu.Lock()
		l.hungUp = true
		l.mu.Unlock()
		ctx, cancel := cleanupContext()
		defer cancel()
		_ = l.bye(ctx)
	case hungUp || l.ended():
		ctx, cancel := cleanupContext()
		defer cancel()
		_ = l.bye(ctx) // hung up while the ACK was on its way
	default:
		l.log.Debug("sip: caller answered")
		l.dm.sess.Start() // lets RTP in, arms the media timeouts
	}
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
