package sip

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strconv"
	"sync/atomic"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Methods we serve, for Allow (RFC 3261 20.5). BYE and INFO are served
// within the call layer's dialogs; outside one they get 481.
var allowMethods = "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, INFO"

// knownMethods are the methods of RFC 3261 and its extensions; a request
// with one we do not serve gets 405, any other 501 (RFC 3261 21.5.2).
var knownMethods = map[sip.RequestMethod]bool{
	sip.INVITE: true, sip.ACK: true, sip.CANCEL: true, sip.BYE: true, sip.OPTIONS: true,
	sip.REGISTER: true, sip.PRACK: true, sip.SUBSCRIBE: true, sip.NOTIFY: true,
	sip.PUBLISH: true, sip.INFO: true, sip.REFER: true, sip.MESSAGE: true, sip.UPDATE: true,
}

func (s *Server) routes() {
	for m := range served {
		s.srv.OnRequest(m, s.wrap(s.handlerFor(m)))
	}
	s.srv.OnNoRoute(s.wrap(s.onNoRoute))
}

// handlerFor picks the handler of a method.
func (s *Server) handlerFor(m sip.RequestMethod) func(*request) {
	switch m {
	case sip.OPTIONS:
		return s.onOptions
	case sip.REGISTER:
		return s.onRegister
	case sip.INVITE:
		return s.onInvite
	case sip.BYE, sip.ACK, sip.INFO:
		// Within a dialog of the call layer, else 481 (an ACK for a 2xx
		// we never sent is absorbed, RFC 3261 17.2.3).
		return s.onInDialogOnly
	case sip.CANCEL:
		// sipgo's transaction layer answers a CANCEL that matches an
		// INVITE (200, then 487); one that reaches us matches nothing.
		return s.onNoDialog
	}
	return s.onNoRoute
}

// request is one incoming request on its way through a handler.
type request struct {
	ctx context.Context
	req *sip.Request
	tx  *trackedTx
	src netip.AddrPort
	log *slog.Logger
}

// trackedTx records whether a final response went out and puts every
// response through the header injection guard.
type trackedTx struct {
	sip.ServerTransaction
	final atomic.Bool
}

// Respond implements sip.ServerTransaction.
func (t *trackedTx) Respond(res *sip.Response) error {
	if err := ValidateMessage(res); err != nil {
		return err
	}
	if err := t.ServerTransaction.Respond(res); err != nil {
		return err
	}
	if res.StatusCode >= 200 {
		t.final.Store(true)
	}
	return nil
}

// wrap turns a handler into a sipgo handler: in-flight tracking, a recover
// that logs and answers 500 once, the Call-ID on every log line, and
// validation before the handler runs.
func (s *Server) wrap(h func(*request)) sipgo.RequestHandler {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		if !s.enter() {
			return // shutting down: listeners are closing
		}
		defer s.leave()
		s.serve(req, tx, h)
	}
}

// serve runs h for one request; also the in-process entry point of tests.
func (s *Server) serve(req *sip.Request, tx sip.ServerTransaction, h func(*request)) {
	r := &request{ctx: s.baseCtx, req: req, tx: &trackedTx{ServerTransaction: tx}}
	r.src, _ = netip.ParseAddrPort(req.Source())
	r.src = netip.AddrPortFrom(r.src.Addr().Unmap(), r.src.Port())
	r.log = logWith(s.log, slog.String("call_id", callIDOf(req)),
		slog.String("method", CleanHeaderValue(string(req.Method), 32)), slog.String("src", r.src.String()))
	defer func() {
		if p := recover(); p != nil {
			r.log.Error("sip: handler panic", "panic", p, "stack", string(debug.Stack()))
			if s.panicHook != nil {
				s.panicHook(p)
			}
			r.respondAfterPanic()
		}
	}()
	if v := s.check(req); v.drop {
		r.log.Info("sip: request dropped", "why", v.why)
		return
	} else if v.code != 0 {
		r.log.Info("sip: request rejected", "why", v.why)
		r.respond(v.code, v.reason, v.hdrs...)
		return
	}
	h(r)
}

func (r *request) respondAfterPanic() {
	defer func() {
		if p := recover(); p != nil {
			r.log.Error("sip: panic while answering 500", "panic", p)
		}
	}()
	r.respond(sip.StatusInternalServerError, "Server Internal Error")
}

// respond answers with a bare response plus hdrs, unless a final response
// has gone out already or the request is an ACK (which has no response).
func (r *request) respond(code int, reason string, hdrs ...sip.Header) {
	if r.req.IsAck() || r.tx.final.Load() {
		return
	}
	res := sip.NewResponseFromRequest(r.req, code, reason, nil)
	for _, h := range hdrs {
		res.AppendHeader(h)
	}
	r.send(res)
}

// send sends a prepared response on the request's transaction.
func (r *request) send(res *sip.Response) {
	if r.req.IsAck() {
		return
	}
	// RFC 3261 8.2.6.1 / 7.1: we speak SIP/2.0 whatever the request said
	// (sipgo copies the request's version, which echoed "SIP/7.0").
	res.SipVersion = "SIP/2.0"
	level := slog.LevelInfo
	switch {
	case r.req.Method == sip.OPTIONS && res.StatusCode < 300:
		level = slog.LevelDebug // keep-alive pings
	case res.StatusCode >= 500:
		level = slog.LevelWarn
	}
	if err := r.tx.Respond(res); err != nil {
		r.log.Warn("sip: response not sent", "status", res.StatusCode, "err", err)
		return
	}
	r.log.Log(r.ctx, level, "sip: responded", "status", res.StatusCode, "reason", res.Reason)
}

func allowHeader() sip.Header { return sip.NewHeader("Allow", allowMethods) }

func retryAfter(s *Server) sip.Header {
	return sip.NewHeader("Retry-After", strconv.Itoa(int(s.cfg.RetryAfter.Seconds())))
}

// dateHeader is the Date header (RFC 3261 20.17: RFC 1123 format, GMT).
func dateHeader(s *Server) sip.Header {
	return sip.NewHeader("Date", s.now().UTC().Format(http.TimeFormat))
}

// onOptions answers OPTIONS with our capabilities (RFC 3261 11.2). While
// shutting down it answers 503 like an INVITE would.
func (s *Server) onOptions(r *request) {
	if s.inDialog(r) {
		return
	}
	if s.draining.Load() {
		r.respond(sip.StatusServiceUnavailable, "Service Unavailable", retryAfter(s))
		return
	}
	r.respond(sip.StatusOK, "OK",
		allowHeader(),
		sip.NewHeader("Accept", "application/sdp"),
		sip.NewHeader("Accept-Encoding", "identity"),
		sip.NewHeader("Accept-Language", "en"),
	)
}

// onNoDialog answers BYE and CANCEL that match nothing: 481 (RFC 3261
// 15.1.2, 9.2). Until the call layer exists there are no dialogs.
func (s *Server) onNoDialog(r *request) {
	r.respond(sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
}

// onNoRoute answers methods we do not serve: 405 with Allow for a method
// SIP defines (RFC 3261 8.2.1), 501 with Allow for one nobody defines
// (RFC 3261 21.5.2; RFC 4475 "intmeth", "esc02").
func (s *Server) onNoRoute(r *request) {
	if knownMethods[r.req.Method] {
		r.respond(sip.StatusMethodNotAllowed, "Method Not Allowed", allowHeader())
		return
	}
	r.respond(sip.StatusNotImplemented, "Not Implemented", allowHeader())
}
