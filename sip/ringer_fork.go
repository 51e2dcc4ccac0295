package sip

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"callroute/media"
	"callroute/routing"
)

var (
	// errBusyEverywhere is 600: busy, and no other device should ring.
	errBusyEverywhere = fmt.Errorf("%w everywhere", routing.ErrBusy)
	// errGlobal is another 6xx (604, 606): stop every fork.
	errGlobal       = errors.New("sip: global failure")
	errAnsweredLate = errors.New("sip: answered after the ring ended")
)

// run is one fork's goroutine: the INVITE, its answer, and the set-up of a
// 2xx (or its ACK and BYE when it came too late). It ends with the INVITE
// transaction: answered, refused, or cancelled and its 487 received or
// 64*T1 passed (sipgo's WaitAnswer).
func (rg *ring) run(ctx context.Context, f *fork, local *media.LocalSDP) {
	defer f.cancel()
	res := forkResult{f: f, err: errors.New("sip: fork failed")}
	defer func() { rg.results <- res }()
	defer recoverTo(f.log, "ring fork")
	res = rg.invite(ctx, f, local)
}

func (rg *ring) invite(ctx context.Context, f *fork, local *media.LocalSDP) forkResult {
	srv := rg.r.srv
	req, err := srv.RequestToBinding(sip.INVITE, f.b)
	if err != nil {
		return forkResult{f: f, err: unreachable(err)}
	}
	from := rg.from
	from.Params = sip.NewParams()
	from.Params.Add("tag", sip.GenerateTagN(16))
	req.AppendHeader(&from)
	req.AppendHeader(allowHeader())
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody(rg.offer)
	if err := ValidateMessage(req); err != nil {
		return forkResult{f: f, err: err}
	}
	dlg, err := srv.dialogUA(f.b.Transport).WriteInvite(ctx, req)
	if err != nil {
		return forkResult{f: f, err: unreachable(err)}
	}
	f.log = logWith(f.log, slog.String("agent_call_id", callIDOf(req)))
	err = dlg.WaitAnswer(ctx, sipgo.AnswerOptions{OnResponse: func(res *sip.Response) error {
		if res.StatusCode == sip.StatusRinging || res.StatusCode == sip.StatusSessionInProgress {
			f.log.Debug("sip: phone ringing", "status", res.StatusCode)
		}
		return nil
	}})
	// A 2xx may come with an error: it crossed our CANCEL (RFC 3261 9.1;
	// WaitAnswer then returns ctx's error with the 2xx in InviteResponse).
	if res := dlg.InviteResponse; res != nil && res.IsSuccess() {
		return rg.answered(f, dlg, local)
	}
	err = forkError(err)
	f.log.Debug("sip: fork ended", "err", err)
	return forkResult{f: f, err: err}
}

// answered sets up a phone's 2xx: the first one becomes the agent's leg,
// any other is ACKed and then BYEd (RFC 3261 13.2.2.4; pitfall 5).
func (rg *ring) answered(f *fork, dlg *sipgo.DialogClientSession, local *media.LocalSDP) forkResult {
	ctx, cancel := cleanupContext()
	defer cancel()
	if dlg.InviteResponse.To() == nil || dlg.InviteResponse.CallID() == nil {
		// No dialog can be formed (RFC 3261 12.1.2); sipgo refused it too.
		f.log.Warn("sip: phone's 2xx lacks To or Call-ID, ignored")
		return forkResult{f: f, err: errors.New("sip: malformed 2xx")}
	}
	if !rg.claim(f) {
		f.log.Info("sip: phone answered too late: ACK and BYE")
		if err := dlg.Ack(ctx); err != nil {
			f.log.Warn("sip: ACK of a late 2xx failed", "err", err)
		} else if err := byeUAC(ctx, dlg, routing.HangupAnsweredElsewhere); err != nil {
			f.log.Warn("sip: BYE of a late 2xx failed", "err", err)
		}
		return forkResult{f: f, err: errAnsweredLate}
	}
	neg, nerr := negotiateAnswer(dlg.InviteResponse, rg.caps)
	leg := &agentLeg{srv: rg.r.srv, log: f.log, b: f.b, dlg: dlg, device: CleanHeaderValue(f.b.Contact, 256),
		done: make(chan struct{}), dm: newDialogMedia(rg.sess, rg.caps, local, neg, rg.offer)}
	leg.tasks.log = f.log
	leg.key = agentDialogKey(dlg)
	if nerr == nil {
		// Before the ACK: a BYE the phone sends at once must find it.
		rg.r.srv.dialogs.add(leg.key, leg)
	}
	if err := dlg.Ack(ctx); err != nil {
		rg.r.srv.dialogs.remove(leg.key, leg)
		rg.unclaim(f)
		f.log.Warn("sip: ACK to the phone failed", "err", err)
		return forkResult{f: f, err: fmt.Errorf("sip: ACK: %w", err)}
	}
	if nerr != nil {
		// The 2xx is ACKed, but its SDP is of no use: end it (RFC 3261
		// 13.2.2.4 allows nothing else).
		f.log.Warn("sip: phone's SDP answer unusable, hanging up", "err", nerr)
		_ = byeUAC(ctx, dlg, routing.HangupNormal)
		rg.unclaim(f)
		return forkResult{f: f, err: nerr}
	}
	rg.sess.Apply(neg)
	rg.leg.Store(leg)
	rg.sess.Start() // the phone's RTP counts from its answer
	f.log.Info("sip: phone answered", "codec", neg.Codec.String())
	return forkResult{f: f, leg: leg}
}

// agentDialogKey is the key of a dialog we started: its Call-ID, our From
// tag, the phone's To tag.
func agentDialogKey(dlg *sipgo.DialogClientSession) dialogKey {
	local, _ := dlg.InviteRequest.From().Params.Get("tag")
	remote, _ := dlg.InviteResponse.To().Params.Get("tag")
	return dialogKey{callID: dlg.InviteRequest.CallID().Value(), local: local, remote: remote}
}

// negotiateAnswer reads the phone's SDP answer to our offer.
func negotiateAnswer(res *sip.Response, caps media.Capabilities) (media.Negotiated, error) {
	if !isSDP(res.ContentType()) || len(res.Body()) == 0 {
		return media.Negotiated{}, errors.New("sip: 2xx without an SDP answer")
	}
	ans, err := media.ParseSDP(res.Body())
	if err != nil {
		return media.Negotiated{}, err
	}
	return media.NegotiateAnswer(ans, caps, media.SendRecv)
}

// forkError maps how a fork ended to routing's reasons: 486 and 600 busy,
// 603 declined, 408, 480, 487 and timeouts no answer, transport failures
// offline (the phone is not reachable).
func forkError(err error) error {
	var res *sip.Response
	var dp *sipgo.ErrDialogResponse
	var dv sipgo.ErrDialogResponse
	switch {
	case errors.As(err, &dp):
		res = dp.Res
	case errors.As(err, &dv):
		res = dv.Res
	}
	if res != nil {
		switch code := res.StatusCode; {
		case code == sip.StatusBusyHere:
			return routing.ErrBusy
		case code == 600:
			return errBusyEverywhere
		case code == sip.StatusGlobalDecline:
			return routing.ErrDeclined
		case code == sip.StatusRequestTimeout, code == sip.StatusTemporarilyUnavailable, code == sip.StatusRequestTerminated:
			return routing.ErrNoAnswer
		case code >= 600:
			return fmt.Errorf("%w: %d", errGlobal, code)
		default:
			return fmt.Errorf("sip: phone answered %d %s", code, CleanHeaderValue(res.Reason, 64))
		}
	}
	switch {
	case err == nil:
		return routing.ErrNoAnswer
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.Is(err, sip.ErrTransactionTimeout):
		return routing.ErrNoAnswer
	case errors.Is(err, sip.ErrTransactionTransport):
		return unreachable(err)
	}
	return err
}

func unreachable(err error) error { return fmt.Errorf("%w: %v", routing.ErrOffline, err) }

// isGlobalFailure reports a 6xx: the callee does not want the call on any
// device, so the other forks stop (RFC 3261 16.7 step 5).
func isGlobalFailure(err error) bool {
	return errors.Is(err, routing.ErrDeclined) || errors.Is(err, errBusyEverywhere) || errors.Is(err, errGlobal)
}

// ringOutcome is the most telling reason when every fork failed: one that
// rang out (the agent could have answered), else busy, else an error of
// another kind, else offline.
func ringOutcome(errs []error) error {
	var busy bool
	var other error
	for _, err := range errs {
		switch {
		case errors.Is(err, routing.ErrNoAnswer):
			return routing.ErrNoAnswer
		case errors.Is(err, routing.ErrBusy):
			busy = true
		case err != nil && !errors.Is(err, routing.ErrOffline) && other == nil:
			other = err
		}
	}
	switch {
	case busy:
		return routing.ErrBusy
	case other != nil:
		return other
	}
	return routing.ErrOffline
}
