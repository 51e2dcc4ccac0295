package dialer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// cancelWait bounds the waits of a CANCEL: for its 200, then for the 487.
// provisionalWait bounds the wait for a provisional response before it may
// be sent (RFC 3261 9.1); without one the INVITE is abandoned.
const (
	cancelWait      = 4 * time.Second
	provisionalWait = time.Second
)

// maxResponses bounds the responses one INVITE may get (a far side that
// repeats 180 every second for the whole ring time stays well under it).
const maxResponses = 1000

// ring sends the INVITE and waits for its final response. It returns the
// 2xx with a nil error, or with ctx's error when the 200 raced our CANCEL;
// a rejection as a *StatusError; ErrNoAnswer after RingTimeout and ctx's
// error when ctx ends (the call is cancelled either way).
func (c *call) ring(ctx context.Context, offer []byte) (*sip.Response, error) {
	ringCtx, cancel := context.WithTimeout(ctx, c.o.RingTimeout)
	defer cancel()
	req := c.newInvite(offer)
	sent := time.Now()
	tx, err := c.send(req)
	if err != nil {
		return nil, fmt.Errorf("send the INVITE: %w", err)
	}
	auths, provisional := 0, false
	for n := 0; n < maxResponses; n++ {
		select {
		case res := <-tx.Responses():
			c.note(res, sent)
			switch {
			case res.IsProvisional():
				provisional = true
				c.earlyMedia(res)
				continue
			case res.IsSuccess():
				return res, nil
			case c.mayAnswerChallenge(res, auths):
				auths++
				if req, err = c.reauth(req, res); err != nil {
					return res, fmt.Errorf("%d %s: %w", res.StatusCode, res.Reason, err)
				}
				c.rep.Trying, c.rep.FirstRing, c.rep.RingStatus = 0, 0, 0
				sent, provisional = time.Now(), false
				if tx, err = c.send(req); err != nil {
					return nil, fmt.Errorf("send the INVITE: %w", err)
				}
				continue
			}
			return res, &StatusError{Status: res.StatusCode, Reason: res.Reason}
		case <-tx.Done():
			if len(c.rep.Statuses) == 0 {
				return nil, fmt.Errorf("%w to the INVITE: %w", ErrNoResponse, tx.Err())
			}
			return nil, fmt.Errorf("no final response to the INVITE: %w", tx.Err())
		case <-ringCtx.Done():
			c.rep.Answer = time.Since(sent)
			res := c.cancel(tx, req, provisional, sent)
			switch err := ctx.Err(); {
			case err != nil:
				return res, err
			case len(c.rep.Statuses) == 0:
				return res, fmt.Errorf("%w to the INVITE within %v", ErrNoResponse, c.o.RingTimeout)
			}
			return res, ErrNoAnswer
		}
	}
	return nil, errors.New("too many responses to the INVITE")
}

// newInvite builds the INVITE: From our number (user part and display
// name), To the URI called, our Contact on the SIP socket, the SDP offer.
func (c *call) newInvite(offer []byte) *sip.Request {
	to := c.o.to
	req := sip.NewRequest(sip.INVITE, *to.Clone())
	from := &sip.FromHeader{DisplayName: c.o.From,
		Address: sip.Uri{Scheme: "sip", User: c.o.From, Host: c.host()}, Params: sip.NewParams()}
	from.Params.Add("tag", c.fromTag)
	toHdr := &sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: to.User, Host: to.Host, Port: to.Port}, Params: sip.NewParams()}
	callID := sip.CallIDHeader(c.callID)
	maxFwd := sip.MaxForwardsHeader(70)
	contact := &sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: c.o.From, Host: c.host(), Port: c.port}}
	if c.o.transport == "TCP" {
		contact.Address.UriParams = sip.NewParams()
		contact.Address.UriParams.Add("transport", "tcp")
	}
	ct := sip.ContentTypeHeader("application/sdp")
	req.AppendHeader(from)
	req.AppendHeader(toHdr)
	req.AppendHeader(&callID)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.INVITE})
	req.AppendHeader(&maxFwd)
	req.AppendHeader(contact)
	req.AppendHeader(sip.NewHeader("User-Agent", userAgent))
	req.AppendHeader(sip.NewHeader("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS"))
	req.AppendHeader(&ct)
	req.SetBody(offer)
	c.prepare(req)
	return req
}

// prepare sets what every request of ours needs: the transport and, over
// UDP, the SIP socket as the sending socket.
func (c *call) prepare(req *sip.Request) {
	req.SetTransport(c.o.transport)
	if c.udp != nil {
		req.Laddr = c.laddr
	}
	if req.Body() == nil {
		req.SetBody(nil) // Content-Length: 0
	}
}

// send starts an INVITE transaction with a new Via and keeps it as the
// call's (its 2xx retransmissions are ACKed through it).
func (c *call) send(req *sip.Request) (sip.ClientTransaction, error) {
	if c.tx != nil {
		c.tx.Terminate()
		c.tx = nil
	}
	tx, err := c.cli.TransactionRequest(context.Background(), req, sipgo.ClientRequestAddVia)
	if err != nil {
		return nil, err
	}
	c.invite, c.tx = req, tx
	return tx, nil
}

// note records a response to the INVITE in the report.
func (c *call) note(res *sip.Response, sent time.Time) {
	r := c.rep
	if n := len(r.Statuses); n == 0 || !res.IsProvisional() || r.Statuses[n-1] != res.StatusCode {
		r.Statuses = append(r.Statuses, res.StatusCode)
	}
	since := time.Since(sent)
	switch {
	case res.StatusCode == sip.StatusTrying:
		if r.Trying == 0 {
			r.Trying = since
		}
	case res.StatusCode == sip.StatusRinging || res.StatusCode == sip.StatusSessionInProgress:
		if r.RingStatus == 0 {
			r.RingStatus, r.FirstRing = res.StatusCode, since
		}
	case !res.IsProvisional():
		r.FinalStatus, r.FinalReason, r.Answer = res.StatusCode, res.Reason, since
	}
	c.log.Debug("response", "status", res.StatusCode, "reason", res.Reason, "after", since)
}

// earlyMedia takes the SDP answer of an 18x: what the far side then sends
// (ringback, an announcement) is heard as early media.
func (c *call) earlyMedia(res *sip.Response) {
	if res.StatusCode == sip.StatusTrying || len(res.Body()) == 0 {
		return
	}
	if err := c.applyAnswer(res.Body()); err != nil {
		c.log.Warn("early media: unusable SDP", "status", res.StatusCode, "err", err)
		return
	}
	c.early = true
	c.sess.Start()
}

// mayAnswerChallenge: a 401 or 407 is answered once when a password is
// set, and once more when the server says the nonce was stale.
func (c *call) mayAnswerChallenge(res *sip.Response, answered int) bool {
	if c.o.Password == "" {
		return false
	}
	hdr := "WWW-Authenticate"
	switch res.StatusCode {
	case sip.StatusUnauthorized:
	case sip.StatusProxyAuthRequired:
		hdr = "Proxy-Authenticate"
	default:
		return false
	}
	if answered == 0 {
		return true
	}
	for _, h := range res.GetHeaders(hdr) {
		if answered == 1 && strings.Contains(strings.ToLower(h.Value()), "stale=true") {
			return true
		}
	}
	return false
}

// reauth is the next INVITE, answering the challenge of res.
func (c *call) reauth(prev *sip.Request, res *sip.Response) (*sip.Request, error) {
	req := prev.Clone()
	req.RemoveHeader("Via")
	req.CSeq().SeqNo++
	alg, err := authorize(req, res, c.o.Username, c.o.Password)
	if err != nil {
		return nil, err
	}
	c.rep.Auth = alg
	c.prepare(req)
	return req, nil
}

// cancel ends a ringing INVITE transaction with CANCEL (RFC 3261 9.1) and
// returns the INVITE's final response: 487 normally, a 2xx when the answer
// crossed the CANCEL (then ACK and BYE it), nil when none came in time.
func (c *call) cancel(tx sip.ClientTransaction, invite *sip.Request, provisional bool, sent time.Time) *sip.Response {
	wait := time.NewTimer(provisionalWait)
	defer wait.Stop()
	for !provisional { // a CANCEL may only follow a provisional response
		select {
		case res := <-tx.Responses():
			c.note(res, sent)
			if !res.IsProvisional() {
				return res
			}
			provisional = true
		case <-tx.Done():
			return nil
		case <-wait.C:
			c.log.Info("no response to the INVITE: given up without CANCEL")
			return nil
		}
	}
	ctx, stop := context.WithTimeout(context.Background(), cancelWait)
	defer stop()
	c.rep.Cancelled = true
	res, err := c.cli.Do(ctx, cancelRequest(c, invite), keepHeaders)
	switch {
	case err != nil:
		c.log.Warn("CANCEL", "err", err)
	case res.StatusCode != sip.StatusOK:
		c.log.Warn("CANCEL refused", "status", res.StatusCode, "reason", res.Reason)
	}
	wait.Reset(cancelWait)
	for {
		select {
		case res := <-tx.Responses():
			c.note(res, sent)
			if !res.IsProvisional() {
				return res
			}
		case <-tx.Done():
			return nil
		case <-wait.C:
			return nil
		}
	}
}

// keepHeaders sends a request as built (sipgo adds nothing).
func keepHeaders(*sipgo.Client, *sip.Request) error { return nil }

// cancelRequest is the CANCEL of invite: the same Request-URI, top Via,
// From, To, Call-ID and CSeq number (RFC 3261 9.1).
func cancelRequest(c *call, invite *sip.Request) *sip.Request {
	req := sip.NewRequest(sip.CANCEL, *invite.Recipient.Clone())
	req.AppendHeader(sip.HeaderClone(invite.Via()))
	req.AppendHeader(sip.HeaderClone(invite.From()))
	req.AppendHeader(sip.HeaderClone(invite.To()))
	req.AppendHeader(sip.HeaderClone(invite.CallID()))
	req.AppendHeader(&sip.CSeqHeader{SeqNo: invite.CSeq().SeqNo, MethodName: sip.CANCEL})
	maxFwd := sip.MaxForwardsHeader(70)
	req.AppendHeader(&maxFwd)
	sip.CopyHeaders("Route", invite, req)
	c.prepare(req)
	return req
}
