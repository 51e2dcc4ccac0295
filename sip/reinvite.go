package sip

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"

	"callroute/media"
)

// dialogMedia is the media half of one dialog, the caller's or a phone's:
// its RTP session, our side of the SDP, and the offer/answer state that
// re-INVITEs change (RFC 3264 8).
type dialogMedia struct {
	sess  *media.Session
	caps  media.Capabilities
	ptime int

	mu       sync.Mutex
	local    *media.LocalSDP
	neg      media.Negotiated
	sdp      []byte // our current session description
	cseq     uint32 // the remote's CSeq (RFC 3261 12.2.2)
	haveCSeq bool
	incoming *pendingAck // a re-INVITE we answered 2xx, awaiting its ACK
	outgoing bool        // our own re-INVITE is in progress
}

// pendingAck is a 2xx to a re-INVITE waiting for its ACK.
type pendingAck struct {
	cseq uint32
	ch   chan *sip.Request
}

var (
	errNoAck     = errors.New("sip: no ACK for our 2xx")
	errLegGone   = errors.New("sip: leg ended")
	errGlare     = errors.New("sip: re-INVITE pending")
	errReinvBusy = errors.New("sip: re-INVITE in progress")
)

func newDialogMedia(sess *media.Session, caps media.Capabilities, local *media.LocalSDP, neg media.Negotiated, sdp []byte) *dialogMedia {
	return &dialogMedia{sess: sess, caps: caps, ptime: caps.Ptime, local: local, neg: neg, sdp: sdp}
}

// setRemoteCSeq seeds the remote CSeq (the caller's INVITE).
func (dm *dialogMedia) setRemoteCSeq(n uint32) {
	dm.mu.Lock()
	dm.cseq, dm.haveCSeq = n, true
	dm.mu.Unlock()
}

// checkCSeq applies RFC 3261 12.2.2: a request with a CSeq lower than the
// last one is out of order (500); the first request sets the remote CSeq
// (the phone's numbers are its own, unrelated to our INVITE's).
func (dm *dialogMedia) checkCSeq(req *sip.Request) bool {
	n := req.CSeq().SeqNo
	dm.mu.Lock()
	defer dm.mu.Unlock()
	if dm.haveCSeq && n <= dm.cseq {
		return false
	}
	dm.cseq, dm.haveCSeq = n, true
	return true
}

// onHold reports whether the remote holds us (sendonly/inactive) as the
// last offer/answer left it.
func (dm *dialogMedia) onHold() bool {
	dm.mu.Lock()
	defer dm.mu.Unlock()
	return dm.neg.OnHold()
}

// holdDirection is the direction the remote gives, inactive when it gave
// no address (the RFC 2543 hold, RFC 3264 8.4).
func (dm *dialogMedia) holdDirection() media.Direction {
	dm.mu.Lock()
	defer dm.mu.Unlock()
	if !dm.neg.Remote.IsValid() {
		return media.Inactive
	}
	return dm.neg.RemoteDirection
}

func (dm *dialogMedia) codec() media.Codec { return dm.sess.Codec() }

// beginIncoming marks a re-INVITE in progress. RFC 3261 14.2: while our own
// re-INVITE is pending the answer is 491; while another one from the peer
// awaits its final response or ACK, 500 with Retry-After.
func (dm *dialogMedia) beginIncoming(cseq uint32) (*pendingAck, error) {
	dm.mu.Lock()
	defer dm.mu.Unlock()
	switch {
	case dm.outgoing:
		return nil, errGlare
	case dm.incoming != nil:
		return nil, errReinvBusy
	}
	dm.incoming = &pendingAck{cseq: cseq, ch: make(chan *sip.Request, 1)}
	return dm.incoming, nil
}

func (dm *dialogMedia) endIncoming(p *pendingAck) {
	dm.mu.Lock()
	if dm.incoming == p {
		dm.incoming = nil
	}
	dm.mu.Unlock()
}

// ackFor hands an ACK to the re-INVITE waiting for it; false when it is the
// ACK of something else (the initial 2xx).
func (dm *dialogMedia) ackFor(ack *sip.Request) bool {
	dm.mu.Lock()
	defer dm.mu.Unlock()
	p := dm.incoming
	if p == nil || ack.CSeq().SeqNo != p.cseq {
		return false
	}
	select {
	case p.ch <- ack:
	default: // a retransmitted ACK
	}
	return true
}

// answer makes our side of a re-INVITE's offer/answer: the answer to its
// offer (RFC 3264 8: same m= lines, o= version bumped when anything
// changed), or, for a re-INVITE without a body, our offer (RFC 3261 14.2;
// the answer then comes in the ACK). A refused offer leaves the session as
// it was (RFC 3261 14.2).
func (dm *dialogMedia) answer(req *sip.Request, warn func(int, string) sip.Header) (body []byte, offerless bool, rej *rejection) {
	dm.mu.Lock()
	defer dm.mu.Unlock()
	if len(req.Body()) == 0 {
		dm.local.Bump()
		offer, err := media.BuildOffer(dm.local, dm.caps.Prefer(dm.sess.Codec().Name), media.SendRecv)
		if err != nil {
			return nil, false, &rejection{code: sip.StatusInternalServerError, reason: "Server Internal Error", why: err.Error()}
		}
		dm.sdp = offer
		return offer, true, nil
	}
	if rej := checkSDPBody(req); rej != nil {
		return nil, false, rej
	}
	offer, err := media.ParseSDP(req.Body())
	if err != nil {
		return nil, false, &rejection{code: sip.StatusBadRequest, reason: "Bad SDP", why: err.Error()}
	}
	neg, err := media.NegotiateOffer(offer, dm.caps, media.SendRecv)
	if err != nil {
		return nil, false, &rejection{code: sip.StatusNotAcceptableHere, reason: "Not Acceptable Here",
			hdrs: []sip.Header{warn(305, "Incompatible media format")}, why: err.Error()}
	}
	if neg.Codec != dm.neg.Codec || neg.Direction != dm.neg.Direction || neg.Remote != dm.neg.Remote {
		dm.local.Bump()
	}
	ans, err := media.BuildAnswer(dm.local, offer, neg, dm.ptime)
	if err != nil {
		return nil, false, &rejection{code: sip.StatusInternalServerError, reason: "Server Internal Error", why: err.Error()}
	}
	dm.neg = neg
	dm.sdp = ans
	// New address, codec or hold state; hold turns the media timeouts
	// off (livekit/sip #812).
	dm.sess.Apply(neg)
	return ans, false, nil
}

// applyAnswer takes the answer to our offer (in the ACK of an offerless
// re-INVITE, or the 2xx of our own re-INVITE). A bad answer leaves the
// session as it was.
func (dm *dialogMedia) applyAnswer(body []byte, ours media.Direction, log *slog.Logger) {
	if len(body) == 0 {
		return
	}
	ans, err := media.ParseSDP(body)
	if err == nil {
		var neg media.Negotiated
		if neg, err = media.NegotiateAnswer(ans, dm.caps, ours); err == nil {
			dm.mu.Lock()
			dm.neg = neg
			dm.mu.Unlock()
			dm.sess.Apply(neg)
			return
		}
	}
	log.Warn("sip: SDP answer not usable, media unchanged", "err", err)
}

// reinviteLeg is what a leg gives the re-INVITE code.
type reinviteLeg interface {
	legDone() <-chan struct{}
	contact() sip.ContactHeader
	logger() *slog.Logger
	// noAck ends the call: the peer never ACKed our 2xx (RFC 3261 14.2,
	// 13.3.1.4).
	noAck()
	// holdChanged tells the leg that the peer held (sendonly, inactive)
	// or resumed (sendrecv): dir is the direction the peer now gives.
	holdChanged(dir media.Direction)
}

// serveReinvite answers a re-INVITE within a dialog (RFC 3261 14.2;
// sip-webrtc.md pitfall 4: every re-INVITE gets an answer): hold
// (sendonly/inactive) and resume (sendrecv), a new address or codec.
func serveReinvite(r *request, dm *dialogMedia, leg reinviteLeg, warn func(int, string) sip.Header) {
	log := leg.logger()
	if !dm.checkCSeq(r.req) {
		r.respond(sip.StatusInternalServerError, "CSeq Out Of Order")
		return
	}
	p, err := dm.beginIncoming(r.req.CSeq().SeqNo)
	switch {
	case errors.Is(err, errGlare):
		log.Info("sip: re-INVITE glare, 491")
		r.respond(sip.StatusRequestPending, "Request Pending")
		return
	case err != nil:
		r.respond(sip.StatusInternalServerError, "Server Internal Error",
			sip.NewHeader("Retry-After", strconv.Itoa(rand.IntN(10)+1)))
		return
	}
	defer dm.endIncoming(p)
	held := dm.onHold()
	body, offerless, rej := dm.answer(r.req, warn)
	if rej != nil {
		log.Info("sip: re-INVITE refused", "status", rej.code, "why", rej.why)
		r.respond(rej.code, rej.reason, rej.hdrs...)
		return
	}
	res := sip.NewResponseFromRequest(r.req, sip.StatusOK, "OK", body)
	res.SipVersion = "SIP/2.0"
	res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	c := leg.contact()
	res.AppendHeader(&c)
	ack, err := respondUntilAck(r.ctx, r.tx, res, p.ch, leg.legDone())
	switch {
	case errors.Is(err, errNoAck):
		log.Warn("sip: no ACK for our 2xx to a re-INVITE, ending the call")
		leg.noAck()
		return
	case err != nil:
		log.Info("sip: re-INVITE not completed", "err", err)
		return
	}
	if offerless {
		dm.applyAnswer(ack.Body(), media.SendRecv, log)
	}
	if now := dm.onHold(); now != held {
		dir := dm.holdDirection()
		log.Info("sip: peer changed hold", "hold", now, "direction", dir.String())
		leg.holdChanged(dir)
	}
}

// respondUntilAck sends a 2xx to an INVITE and re-sends it until its ACK
// arrives: RFC 3261 13.3.1.4, every T1 doubling up to T2, for 64*T1; the
// transaction layer does not (RFC 6026 7.1). It returns the ACK, errNoAck,
// errLegGone or ctx.Err().
func respondUntilAck(ctx context.Context, tx sip.ServerTransaction, res *sip.Response, acks <-chan *sip.Request, gone <-chan struct{}) (*sip.Request, error) {
	if err := tx.Respond(res); err != nil {
		return nil, err
	}
	interval := sip.T1
	retransmit := time.NewTimer(interval)
	defer retransmit.Stop()
	giveUp := time.NewTimer(64 * sip.T1)
	defer giveUp.Stop()
	for {
		select {
		case ack := <-acks:
			return ack, nil
		case <-retransmit.C:
			_ = tx.Respond(res) // fails once the transaction is gone; keep waiting for the ACK
			interval = min(2*interval, sip.T2)
			retransmit.Reset(interval)
		case <-giveUp.C:
			return nil, errNoAck
		case <-gone:
			return nil, errLegGone
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}
