package sip

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"callroute/media"
	"callroute/routing"
)

// CallHandler is the B2BUA's inbound side: it takes each admitted INVITE,
// makes the caller's leg (dialog and RTP session) and lets the router run
// the call. Plug it in with Server.SetInviteHandler.
type CallHandler struct {
	srv    *Server
	router CallRouter
	cfg    CallConfig
	log    *slog.Logger
	audio  *promptAudio
}

var _ InviteHandler = (*CallHandler)(nil)

// NewCallHandler returns the call layer for srv, routing calls with router.
func NewCallHandler(srv *Server, router CallRouter, cfg CallConfig) (*CallHandler, error) {
	if srv == nil || router == nil {
		return nil, errors.New("sip: NewCallHandler needs a server and a router")
	}
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	pa, err := loadPromptAudio()
	if err != nil {
		return nil, err
	}
	return &CallHandler{srv: srv, router: router, cfg: cfg, log: cfg.Logger, audio: pa}, nil
}

// rejection is a final response refusing an INVITE before any routing.
type rejection struct {
	code   int
	reason string
	hdrs   []sip.Header
	why    string
}

// HandleInvite implements InviteHandler. It blocks for the life of the call
// (sip-webrtc.md behaviour 1: the INVITE transaction dies when it returns).
func (h *CallHandler) HandleInvite(ctx context.Context, req *sip.Request, tx sip.ServerTransaction, caller Caller) {
	arrived := time.Now()
	callID := callIDOf(req)
	log := logWith(h.log, slog.String("call_id", callID))
	// RFC 3261 8.2.6.1 / 17.2.1: 100 Trying at once, so the trunk stops
	// retransmitting while we look the caller up.
	if err := reply(tx, req, sip.StatusTrying, "Trying"); err != nil {
		log.Debug("sip: 100 Trying not sent", "err", err)
	}
	offer, neg, rej := h.checkOffer(req)
	if rej != nil {
		log.Info("sip: invite rejected", "status", rej.code, "why", rej.why)
		_ = reply(tx, req, rej.code, rej.reason, rej.hdrs...)
		return
	}
	leg, rej := h.newCallerLeg(req, tx, caller, offer, neg, log)
	if rej != nil {
		log.Warn("sip: invite rejected", "status", rej.code, "why", rej.why)
		_ = reply(tx, req, rej.code, rej.reason, rej.hdrs...)
		return
	}
	if leg == nil {
		return // cancelled before we had a dialog: sipgo sent 487
	}
	defer leg.close()
	call := &routing.Call{ID: callID, From: caller.ID.User, Arrived: arrived, Leg: leg}
	res := h.router.Handle(ctx, call)
	if errors.Is(res.Err, routing.ErrDuplicateCall) {
		// A second INVITE with a Call-ID in progress (RFC 3261 8.2.2.2:
		// a merged request is answered 482).
		leg.reject(sip.StatusLoopDetected, "Loop Detected")
	}
}

// checkOffer reads the INVITE's session offer: every refusal happens here,
// before any routing and before any ringing.
func (h *CallHandler) checkOffer(req *sip.Request) (*media.Description, media.Negotiated, *rejection) {
	var none media.Negotiated
	if cid := req.CallID(); cid == nil || strings.TrimSpace(cid.Value()) == "" {
		return nil, none, &rejection{code: sip.StatusBadRequest, reason: "Missing Call-ID", why: "no Call-ID"}
	}
	if tag, ok := req.From().Params.Get("tag"); !ok || tag == "" {
		// RFC 3261 8.1.1.3: the From tag is mandatory; without it no
		// dialog can be formed.
		return nil, none, &rejection{code: sip.StatusBadRequest, reason: "Missing From Tag", why: "no From tag"}
	}
	if req.Contact() == nil {
		// RFC 3261 8.1.1.8: an INVITE must carry a Contact.
		return nil, none, &rejection{code: sip.StatusBadRequest, reason: "Missing Contact", why: "no Contact"}
	}
	if rej := checkSDPBody(req); rej != nil {
		return nil, none, rej
	}
	offer, err := media.ParseSDP(req.Body())
	if err != nil {
		return nil, none, &rejection{code: sip.StatusBadRequest, reason: "Bad SDP", why: err.Error()}
	}
	neg, err := media.NegotiateOffer(offer, h.cfg.Media.Capabilities, media.SendRecv)
	switch {
	case errors.Is(err, media.ErrNoCommonCodec):
		// RFC 3261 21.4.26 with a Warning (20.43) saying why.
		return nil, none, &rejection{code: sip.StatusNotAcceptableHere, reason: "Not Acceptable Here",
			hdrs: []sip.Header{h.srv.warning(305, "Incompatible media format")}, why: err.Error()}
	case err != nil:
		return nil, none, &rejection{code: sip.StatusBadRequest, reason: "Bad SDP", why: err.Error()}
	}
	return offer, neg, nil
}

// checkSDPBody accepts a body that is an SDP offer: application/sdp without
// a content coding (RFC 3261 8.2.3, 21.4.16: 415 with Accept, or
// Accept-Encoding). An INVITE without an offer (RFC 3261 13.2.1 lets the
// offer come in our 2xx) is not supported: 488.
func checkSDPBody(req *sip.Request) *rejection {
	if h := req.GetHeader("Content-Encoding"); h != nil && !strings.EqualFold(strings.TrimSpace(h.Value()), "identity") {
		return &rejection{code: sip.StatusUnsupportedMediaType, reason: "Unsupported Media Type",
			hdrs: []sip.Header{sip.NewHeader("Accept-Encoding", "identity")}, why: "content encoding"}
	}
	if len(req.Body()) == 0 {
		return &rejection{code: sip.StatusNotAcceptableHere, reason: "Not Acceptable Here",
			hdrs: []sip.Header{sip.NewHeader("Warning", `399 callroute "An SDP offer is required"`)}, why: "no SDP offer"}
	}
	if !isSDP(req.ContentType()) {
		return &rejection{code: sip.StatusUnsupportedMediaType, reason: "Unsupported Media Type",
			hdrs: []sip.Header{sip.NewHeader("Accept", "application/sdp")}, why: "content type " + contentTypeOf(req)}
	}
	return nil
}

// isSDP reports whether a Content-Type names application/sdp (media type
// parameters and case ignored, RFC 3261 7.3.1, RFC 2045 5.1).
func isSDP(ct *sip.ContentTypeHeader) bool {
	if ct == nil {
		return false
	}
	mt, _, _ := strings.Cut(ct.Value(), ";")
	return strings.EqualFold(strings.TrimSpace(mt), "application/sdp")
}

// warning is a Warning header (RFC 3261 20.43): code, our host as the
// warn-agent, a quoted text.
func (s *Server) warning(code int, text string) sip.Header {
	agent := CleanHeaderValue(s.Addrs().AnnounceHost, 64)
	if agent == "" {
		agent = "callroute"
	}
	return sip.NewHeader("Warning", strconv.Itoa(code)+" "+agent+` "`+text+`"`)
}

// reply answers req on tx with a bare response plus hdrs.
func reply(tx sip.ServerTransaction, req *sip.Request, code int, reason string, hdrs ...sip.Header) error {
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	res.SipVersion = "SIP/2.0"
	for _, hd := range hdrs {
		res.AppendHeader(hd)
	}
	if err := tx.Respond(res); err != nil {
		return fmt.Errorf("sip: %d not sent: %w", code, err)
	}
	return nil
}
