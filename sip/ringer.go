package sip

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/emiago/sipgo/sip"

	"callroute/media"
	"callroute/routing"
)

// SIPRinger rings an agent's registered SIP phones, all at once (forking,
// RFC 3261 16.7 done by a B2BUA): the first to answer wins and the others
// are cancelled. It implements routing.Ringer.
type SIPRinger struct {
	srv *Server
	cfg RingerConfig
	log *slog.Logger
}

var _ routing.Ringer = (*SIPRinger)(nil)

// NewSIPRinger returns the ringer for srv's registered phones.
func NewSIPRinger(srv *Server, cfg RingerConfig) (*SIPRinger, error) {
	if srv == nil {
		return nil, errors.New("sip: NewSIPRinger needs a server")
	}
	if err := cfg.Media.defaults(); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &SIPRinger{srv: srv, cfg: cfg, log: cfg.Logger}, nil
}

// ring is one Ring call: one RTP session offered to every binding, one fork
// (INVITE client transaction and early dialog) per binding.
type ring struct {
	r       *SIPRinger
	log     *slog.Logger
	req     routing.RingRequest
	sess    *media.Session
	caps    media.Capabilities
	offer   []byte
	from    sip.FromHeader
	results chan forkResult
	leg     atomic.Pointer[agentLeg] // the winner, for the session's timeouts

	mu     sync.Mutex
	closed bool  // Ring returned: a 2xx from now on is ACKed and BYEd
	winner *fork // the fork whose 2xx is being set up
	forks  []*fork
}

type fork struct {
	b      Binding
	log    *slog.Logger
	cancel context.CancelFunc
}

type forkResult struct {
	f   *fork
	leg *agentLeg
	err error
}

// Ring implements routing.Ringer. It returns as soon as a phone answered,
// every phone refused, or ctx is done (ctx.Err(), without waiting for the
// 487s: the forks finish on their own goroutines, each bounded by the
// INVITE transaction's timers).
func (r *SIPRinger) Ring(ctx context.Context, req routing.RingRequest) (routing.AgentLeg, error) {
	if req.Call == nil {
		return nil, errors.New("sip: ring without a call")
	}
	log := logWith(r.log, slog.String("call_id", req.Call.ID), slog.Int64("user_id", req.UserID), slog.String("stage", string(req.Stage)))
	bs, err := r.srv.Registrar().Bindings(ctx, req.UserID)
	if err != nil {
		return nil, err
	}
	if len(bs) == 0 {
		return nil, routing.ErrOffline
	}
	if r.srv.Client() == nil {
		return nil, errors.New("sip: server not running")
	}
	rg := &ring{r: r, log: log, req: req, caps: r.cfg.Media.Capabilities, results: make(chan forkResult, len(bs))}
	caller, _ := req.Call.Leg.(*callerLeg)
	if caller != nil {
		// The caller's law first, so the bridge passes G.711 through.
		rg.caps = rg.caps.Prefer(caller.dm.codec().Name)
	}
	rg.sess, err = r.cfg.Media.newSession(log, func(err error) {
		if l := rg.leg.Load(); l != nil {
			l.mediaTimeout(err)
		}
	})
	if err != nil {
		return nil, err
	}
	local := media.NewLocalSDP(r.cfg.Media.Announce, rg.sess.LocalPort())
	if rg.offer, err = media.BuildOffer(local, rg.caps, media.SendRecv); err != nil {
		_ = rg.sess.Close()
		return nil, err
	}
	rg.from = callerFrom(req, caller, r.srv.Addrs().AnnounceHost)
	for _, b := range bs {
		fctx, cancel := context.WithCancel(context.Background())
		f := &fork{b: b, cancel: cancel, log: logWith(log, slog.String("device", CleanHeaderValue(b.Contact, 256)))}
		rg.forks = append(rg.forks, f)
		go rg.run(fctx, f, local)
	}
	log.Debug("sip: ringing phones", "bindings", len(bs))
	return rg.wait(ctx)
}

// wait collects the forks' results until one answers, all failed, a 6xx
// ends them (RFC 3261 16.7 step 5, as a forking proxy does) or ctx
// is done.
func (rg *ring) wait(ctx context.Context) (routing.AgentLeg, error) {
	var errs []error
	for pending := len(rg.forks); pending > 0; {
		select {
		case res := <-rg.results:
			pending--
			if res.leg != nil {
				rg.stop(res.f)
				return res.leg, nil
			}
			errs = append(errs, res.err)
			if isGlobalFailure(res.err) {
				rg.stop(nil)
				_ = rg.sess.Close()
				return nil, res.err
			}
		case <-ctx.Done():
			return rg.cancelled(ctx, pending)
		}
	}
	rg.stop(nil)
	_ = rg.sess.Close()
	return nil, ringOutcome(errs)
}

// cancelled ends the ring when routing stopped it. A 2xx already being set
// up is still returned (routing hangs it up as answered too late); any
// later one is ACKed and BYEd by its fork (pitfall 5).
func (rg *ring) cancelled(ctx context.Context, pending int) (routing.AgentLeg, error) {
	rg.mu.Lock()
	rg.closed = true
	w := rg.winner
	rg.mu.Unlock()
	for w != nil && pending > 0 {
		res := <-rg.results // the winner's set-up is short: ACK and SDP
		pending--
		if res.f == w {
			if res.leg != nil {
				rg.stop(w)
				return res.leg, nil
			}
			break
		}
	}
	rg.stop(nil)
	_ = rg.sess.Close()
	rg.log.Debug("sip: ring stopped", "why", context.Cause(ctx))
	return nil, ctx.Err()
}

// stop cancels every fork but keep (CANCEL, or ACK and BYE for a 2xx).
func (rg *ring) stop(keep *fork) {
	rg.mu.Lock()
	rg.closed = true
	rg.mu.Unlock()
	for _, f := range rg.forks {
		if f != keep {
			f.cancel()
		}
	}
}

// claim makes f the winner unless the ring is over or another fork won.
func (rg *ring) claim(f *fork) bool {
	rg.mu.Lock()
	defer rg.mu.Unlock()
	if rg.closed || rg.winner != nil {
		return false
	}
	rg.winner = f
	return true
}

// unclaim gives up f's win (its answer was unusable).
func (rg *ring) unclaim(f *fork) {
	rg.mu.Lock()
	if rg.winner == f {
		rg.winner = nil
	}
	rg.mu.Unlock()
}

// callerFrom is the From of the INVITEs to the phones: the caller's number
// and name (the contact's name when the lookup knows it, else what the
// caller sent), cleaned for the header (pitfall 22).
func callerFrom(req routing.RingRequest, caller *callerLeg, host string) sip.FromHeader {
	number, name := req.Call.From, ""
	if caller != nil {
		name = caller.id.DisplayName
	}
	if info := req.Caller; info != nil {
		if info.E164 != "" {
			number = info.E164
		}
		if info.Contact != nil && info.Contact.Name != "" {
			name = info.Contact.Name
		}
	}
	user := uriUserPart(number)
	if user == "" {
		user = "anonymous"
	}
	from := sip.FromHeader{DisplayName: CleanDisplayName(name), Address: sip.Uri{Scheme: "sip", User: user, Host: host}}
	from.Params = sip.NewParams()
	return from
}

// uriUserPart keeps the characters of a telephone number or simple user
// name that need no escaping in a SIP URI's user part (RFC 3261 25.1).
func uriUserPart(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', strings.ContainsRune("+-._*", r):
			if b.Len() < maxCallerUser {
				b.WriteRune(r)
			}
		}
	}
	return b.String()
}
