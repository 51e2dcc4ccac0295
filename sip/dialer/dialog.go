package dialer

import (
	"context"
	"fmt"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"callroute/media"
)

// inDialog builds a request of the dialog the 2xx res established (RFC 3261
// 12.2.1.1): to the remote target (the 2xx's Contact), with the route set
// (its Record-Route, reversed; loose routing), our From, the 2xx's To (with
// the far side's tag), the Call-ID and the given CSeq.
func (c *call) inDialog(method sip.RequestMethod, res *sip.Response, seq uint32) *sip.Request {
	target := c.invite.Recipient
	if ct := res.Contact(); ct != nil {
		target = ct.Address
	}
	req := sip.NewRequest(method, *target.Clone())
	rr := res.GetHeaders("Record-Route")
	for i := len(rr) - 1; i >= 0; i-- {
		req.AppendHeader(sip.NewHeader("Route", rr[i].Value()))
	}
	req.AppendHeader(sip.HeaderClone(c.invite.From()))
	if to := res.To(); to != nil {
		req.AppendHeader(sip.HeaderClone(to))
	}
	req.AppendHeader(sip.HeaderClone(c.invite.CallID()))
	req.AppendHeader(&sip.CSeqHeader{SeqNo: seq, MethodName: method})
	maxFwd := sip.MaxForwardsHeader(70)
	req.AppendHeader(&maxFwd)
	req.AppendHeader(sip.HeaderClone(c.invite.Contact()))
	c.prepare(req)
	return req
}

// ack ACKs a 2xx (RFC 3261 13.2.2.4), and again each time the 2xx is
// retransmitted (our ACK was lost).
func (c *call) ack(res *sip.Response) error {
	ack := c.inDialog(sip.ACK, res, c.invite.CSeq().SeqNo)
	close(c.answered) // the far side may send a re-INVITE as soon as it has the ACK
	if err := c.cli.WriteRequest(ack, sipgo.ClientRequestAddVia); err != nil {
		return err
	}
	again := ack.Clone()
	toTag := tagOf(res.To())
	c.tx.OnRetransmission(func(r *sip.Response) {
		if !r.IsSuccess() || tagOf(r.To()) != toTag {
			return
		}
		if err := c.cli.WriteRequest(again.Clone(), keepHeaders); err != nil {
			c.log.Warn("re-ACK", "err", err)
		}
	})
	return nil
}

// bye hangs up the dialog of res and waits for the answer.
func (c *call) bye(res *sip.Response) error {
	ctx, cancel := context.WithTimeout(context.Background(), byeTimeout)
	defer cancel()
	req := c.inDialog(sip.BYE, res, c.invite.CSeq().SeqNo+1)
	r, err := c.cli.Do(ctx, req, sipgo.ClientRequestAddVia)
	if err != nil {
		return fmt.Errorf("BYE: %w", err)
	}
	if !r.IsSuccess() {
		return fmt.Errorf("BYE: %w", &StatusError{Status: r.StatusCode, Reason: r.Reason})
	}
	return nil
}

// handle registers what the SIP socket answers: BYE and re-INVITE in our
// dialog, OPTIONS; anything else is refused.
func (c *call) handle() {
	c.srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		if !c.ours(req) {
			c.respond(req, tx, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist", nil)
			return
		}
		c.respond(req, tx, sip.StatusOK, "OK", nil)
		c.byeOnce.Do(func() { close(c.remoteBye) })
	})
	c.srv.OnInvite(func(req *sip.Request, tx sip.ServerTransaction) {
		switch {
		case !c.ours(req):
			c.respond(req, tx, sip.StatusBusyHere, "Busy Here", nil) // we take no calls
		case !c.isAnswered():
			c.respond(req, tx, sip.StatusRequestPending, "Request Pending", nil)
		default:
			c.reinvite(req, tx)
		}
	})
	c.srv.OnAck(func(*sip.Request, sip.ServerTransaction) {})
	c.srv.OnCancel(func(*sip.Request, sip.ServerTransaction) {})
	c.srv.OnOptions(func(req *sip.Request, tx sip.ServerTransaction) {
		c.respond(req, tx, sip.StatusOK, "OK", nil)
	})
}

// ours reports whether req is in our dialog: our Call-ID and our tag as
// its To tag.
func (c *call) ours(req *sip.Request) bool {
	id := req.CallID()
	return id != nil && string(*id) == c.callID && tagOf(req.To()) == c.fromTag
}

// tagOf is the tag of a To header, "" when there is none.
func tagOf(to *sip.ToHeader) string {
	if to == nil {
		return ""
	}
	tag, _ := to.Params.Get("tag")
	return tag
}

func (c *call) isAnswered() bool {
	select {
	case <-c.answered:
		return true
	default:
		return false
	}
}

// reinvite answers a re-INVITE with an SDP offer (hold, resume, a new
// address): the session follows it. One without an offer is refused (488).
func (c *call) reinvite(req *sip.Request, tx sip.ServerTransaction) {
	offer, err := media.ParseSDP(req.Body())
	if err != nil {
		c.respond(req, tx, sip.StatusNotAcceptableHere, "Not Acceptable Here", nil)
		return
	}
	neg, err := media.NegotiateOffer(offer, media.DefaultCapabilities(), media.SendRecv)
	if err != nil {
		c.respond(req, tx, sip.StatusNotAcceptableHere, "Not Acceptable Here", nil)
		return
	}
	c.sdpMu.Lock()
	c.local.Bump()
	answer, err := media.BuildAnswer(c.local, offer, neg, 20)
	c.sdpMu.Unlock()
	if err != nil {
		c.respond(req, tx, sip.StatusNotAcceptableHere, "Not Acceptable Here", nil)
		return
	}
	c.sess.Apply(neg)
	c.log.Info("re-INVITE answered", "codec", neg.Codec.String(), "direction", neg.Direction)
	c.respond(req, tx, sip.StatusOK, "OK", answer)
}

// respond answers a request, with our Contact on a 2xx to an INVITE.
func (c *call) respond(req *sip.Request, tx sip.ServerTransaction, code int, reason string, sdp []byte) {
	var res *sip.Response
	if sdp != nil {
		res = sip.NewSDPResponseFromRequest(req, sdp)
	} else {
		res = sip.NewResponseFromRequest(req, code, reason, nil)
	}
	if req.IsInvite() && res.IsSuccess() {
		res.AppendHeader(sip.HeaderClone(c.invite.Contact()))
	}
	if err := tx.Respond(res); err != nil {
		c.log.Debug("respond", "method", req.Method, "status", code, "err", err)
	}
}
