package dialertest

import (
	"context"
	"net/netip"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"callroute/media"
	"callroute/media/audio"
	"callroute/media/g711"
)

// onInvite runs one call to its end (the handler blocks while the call
// rings and talks; sipgo runs each request on its own goroutine).
func (u *UAS) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if !u.enter() {
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusServiceUnavailable, "Closing", nil))
		return
	}
	defer u.running.Done()
	if to := req.To(); to != nil && to.Params.Has("tag") {
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusNotAcceptableHere, "No re-INVITE here", nil))
		return
	}
	alg := ""
	if u.auth != nil {
		var ok bool
		if alg, ok = u.auth.check(req); !ok {
			_ = tx.Respond(u.auth.challenge(req))
			return
		}
	}
	call := Call{AuthAlgorithm: alg, Transport: req.Transport()}
	if from := req.From(); from != nil {
		call.From, call.DisplayName = from.Address.User, from.DisplayName
	}
	defer func() {
		select {
		case u.calls <- call:
		default: // nobody is reading: drop it
		}
	}()
	dlg, err := u.dua.ReadInvite(req, tx)
	if err != nil {
		u.t.Logf("uas: read invite: %v", err)
		return
	}
	defer dlg.Close()
	defer u.track(string(*req.CallID()), dlg)()
	_ = dlg.Respond(sip.StatusTrying, "Trying", nil)

	sess, local, answer, status := u.prepareMedia(req)
	if sess == nil {
		_ = dlg.Respond(status, "Not Acceptable Here", nil)
		return
	}
	defer sess.Close()
	if !u.ringing(dlg, sess, answer, &call) {
		return
	}
	if u.b.Status != 0 {
		_ = dlg.Respond(u.b.Status, reason(u.b.Status), nil)
		return
	}
	if u.b.NoSDP {
		err = dlg.Respond(sip.StatusOK, "OK", nil)
	} else {
		err = dlg.RespondSDP(answer)
	}
	if err != nil {
		// No ACK: or the ACK and a BYE came together and the BYE won.
		call.ByeReceived = dlg.Context().Err() != nil
		u.t.Logf("uas: answer: %v (BYE received: %v)", err, call.ByeReceived)
		return
	}
	call.Answered = true
	sess.Start()
	if u.b.ReInvite {
		u.hold(dlg, local, &call)
	}
	u.talk(dlg, sess, &call)
}

// prepareMedia answers the offer: a session, our SDP and the answer, or a
// nil session and the status to reject with.
func (u *UAS) prepareMedia(req *sip.Request) (*media.Session, *media.LocalSDP, []byte, int) {
	offer, err := media.ParseSDP(req.Body())
	if err != nil {
		return nil, nil, nil, sip.StatusNotAcceptableHere
	}
	neg, err := media.NegotiateOffer(offer, media.DefaultCapabilities(), media.SendRecv)
	if err != nil {
		return nil, nil, nil, sip.StatusNotAcceptableHere
	}
	lo := netip.MustParseAddr("127.0.0.1")
	sess, err := media.NewSession(u.ports, media.WithAnnouncedAddr(lo), media.WithMediaTimeouts(0, 0),
		media.WithLogger(u.log))
	if err != nil {
		u.t.Logf("uas: %v", err)
		return nil, nil, nil, sip.StatusServiceUnavailable
	}
	sess.Apply(neg)
	local := media.NewLocalSDP(lo, sess.LocalPort())
	answer, err := media.BuildAnswer(local, offer, neg, 20)
	if err != nil {
		sess.Close()
		return nil, nil, nil, sip.StatusNotAcceptableHere
	}
	return sess, local, answer, 0
}

// hold sends a re-INVITE putting the caller on hold (sendonly) and notes
// the answer's status and direction.
func (u *UAS) hold(dlg *sipgo.DialogServerSession, local *media.LocalSDP, call *Call) {
	local.Bump()
	offer, err := media.BuildOffer(local, media.DefaultCapabilities(), media.SendOnly)
	if err != nil {
		u.t.Logf("uas: hold offer: %v", err)
		return
	}
	req := sip.NewRequest(sip.INVITE, dlg.InviteRequest.Contact().Address)
	req.SetBody(offer)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := dlg.Do(ctx, req)
	if err != nil {
		u.t.Logf("uas: re-INVITE: %v", err)
		return
	}
	call.ReInviteStatus = res.StatusCode
	if d, err := media.ParseSDP(res.Body()); err == nil && d.Audio() >= 0 {
		call.ReInviteDirection = d.Media[d.Audio()].Direction.String()
	}
	if res.IsSuccess() {
		_ = dlg.WriteRequest(sip.NewRequest(sip.ACK, dlg.InviteRequest.Contact().Address))
	}
}

// ringing sends 180 (or 183 with early media) and waits RingFor; false
// when the call ended meanwhile (CANCEL, or the UAS closing).
func (u *UAS) ringing(dlg *sipgo.DialogServerSession, sess *media.Session, answer []byte, call *Call) bool {
	ringCtx, stopRing := context.WithCancel(context.Background())
	defer stopRing()
	played := make(chan error, 1)
	if u.b.EarlyTone > 0 {
		_ = dlg.Respond(sip.StatusSessionInProgress, "Session Progress", answer,
			sip.NewHeader("Content-Type", "application/sdp"))
		sess.Start()
		go func() { played <- media.Play(ringCtx, sess, audio.NewTone(u.b.EarlyTone, -13)) }()
	} else {
		_ = dlg.Respond(sip.StatusRinging, "Ringing", nil)
		played <- nil
	}
	defer func() { stopRing(); <-played }()
	var answerAt <-chan time.Time
	if !u.b.NoAnswer {
		answerAt = time.After(u.b.RingFor)
	}
	select {
	case <-answerAt:
		return true
	case <-dlg.Context().Done():
		call.Cancelled = true
	case <-u.quit:
	}
	return false
}

// talk plays the tone and hears the caller until either side hangs up.
func (u *UAS) talk(dlg *sipgo.DialogServerSession, sess *media.Session, call *Call) {
	ctx, stop := context.WithCancel(context.Background())
	played := make(chan error, 1)
	go func() { played <- media.Play(ctx, sess, audio.NewTone(u.b.Tone, -10)) }()
	heard := make(chan struct{})
	go func() {
		defer close(heard)
		for {
			p, err := sess.ReadRTP(ctx)
			if err != nil {
				return
			}
			if c := sess.Codec(); p.PayloadType == c.PayloadType {
				call.Packets++
				call.PCM = g711.Decode(call.PCM, c.Law(), p.Payload)
			}
		}
	}()
	var hangUp <-chan time.Time
	if u.b.HangUpAfter > 0 {
		hangUp = time.After(u.b.HangUpAfter)
	}
	select {
	case <-dlg.Context().Done():
		call.ByeReceived = true
	case <-hangUp:
		byeCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := dlg.Bye(byeCtx); err != nil {
			u.t.Logf("uas: bye: %v", err)
		}
		cancel()
		call.HungUp = true
	case <-u.quit:
	}
	stop()
	<-played
	<-heard
}

func reason(status int) string {
	switch status {
	case sip.StatusBusyHere:
		return "Busy Here"
	case sip.StatusForbidden:
		return "Forbidden"
	case sip.StatusNotFound:
		return "Not Found"
	case sip.StatusGlobalDecline:
		return "Decline"
	}
	return "Rejected"
}
