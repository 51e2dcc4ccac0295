package sip

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// InviteHandler takes an admitted INVITE: the call layer (B2BUA) plugs in
// here. HandleInvite must answer tx with a final response before it
// returns, and must keep running while the call rings (sip-webrtc.md
// behaviour 1: when it returns, sipgo ends the transaction). ctx ends when
// the server shuts down. Responses sent through tx pass the header
// injection guard; one that fails it is not sent.
type InviteHandler interface {
	HandleInvite(ctx context.Context, req *sip.Request, tx sip.ServerTransaction, caller Caller)
}

// InviteHandlerFunc adapts a function to InviteHandler.
type InviteHandlerFunc func(ctx context.Context, req *sip.Request, tx sip.ServerTransaction, caller Caller)

// HandleInvite calls f.
func (f InviteHandlerFunc) HandleInvite(ctx context.Context, req *sip.Request, tx sip.ServerTransaction, caller Caller) {
	f(ctx, req, tx, caller)
}

// Deps are the server's collaborators.
type Deps struct {
	// Credentials finds SIP users (required).
	Credentials Credentials
	// Bindings stores registrations; nil means in memory.
	Bindings BindingStore
	// Invites takes admitted INVITEs; nil means 503 (see SetInviteHandler).
	Invites InviteHandler
	// OnBindingsChanged is told when a user's set of registered phones
	// changes (registered, unregistered, expired): presence uses it to know
	// who is reachable. It is called synchronously, from request handlers
	// and the expiry sweep (so from several goroutines at once), and must
	// not block.
	OnBindingsChanged func(userID int64, bindings []Binding)
	// Now is the clock; nil means time.Now. Tests inject one.
	Now func() time.Time
}

// Server is the SIP edge: sipgo user agent, server and client, the
// listeners, the admission rules and the registrar.
type Server struct {
	cfg     Config
	log     *slog.Logger
	now     func() time.Time
	ua      *sipgo.UserAgent
	srv     *sipgo.Server
	trunks  trunkList
	limiter *rateLimiter
	auth    *authenticator
	reg     *Registrar
	invites atomic.Pointer[InviteHandler]
	dialogs *dialogRegistry

	baseCtx    context.Context // handlers' context, ended with Run's
	cancelBase context.CancelFunc
	started    atomic.Bool
	draining   atomic.Bool

	// track in-flight handlers so Run returns only after they ended.
	mu       sync.Mutex
	closed   bool
	handlers sync.WaitGroup
	inflight atomic.Int64

	// panicHook, when set (tests), is told of a recovered handler panic.
	panicHook func(any)

	ready  chan struct{}
	addrs  Addrs // set before ready is closed
	client *sipgo.Client
	ls     *listeners

	uaMu      sync.Mutex
	dialogUAs map[string]*sipgo.DialogUA // by transport, see dialogUA
}

// Addrs are the addresses the listeners are bound to (zero when off) and
// the address announced in SIP headers.
type Addrs struct {
	UDP, TCP, TLS netip.AddrPort
	AnnounceHost  string
	AnnouncePort  int
}

// New builds a server; Run binds and serves. It validates cfg.
func New(cfg Config, deps Deps, logger *slog.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Credentials == nil {
		return nil, errors.New("sip: Deps.Credentials is required")
	}
	if logger == nil {
		logger = slog.Default()
	}
	now := deps.Now
	if now == nil {
		now = time.Now
	}
	store := deps.Bindings
	if store == nil {
		store = NewMemoryBindings()
	}
	s := &Server{cfg: cfg, log: logger, now: now, trunks: trunkList(cfg.Trunks), ready: make(chan struct{}),
		dialogs: newDialogRegistry()}
	s.baseCtx, s.cancelBase = context.WithCancel(context.Background())
	if deps.Invites != nil {
		s.SetInviteHandler(deps.Invites)
	}
	exempt := s.trunks.contains
	if cfg.RateLimitTrunks {
		exempt = nil
	}
	s.limiter = newRateLimiter(cfg.RatePerSecond, cfg.RateBurst, cfg.RateIdle, cfg.RateMaxSources, exempt, now)
	var err error
	if s.auth, err = newAuthenticator(cfg, deps.Credentials, now); err != nil {
		return nil, err
	}
	s.reg = newRegistrar(cfg, store, deps.OnBindingsChanged, now, logger)

	sipLog := logger.With("component", "sipgo")
	parser := sip.NewParser()
	parser.MaxMessageLength = cfg.MaxMessageSize
	onLimit := func(ip netip.Addr) { logger.Warn("sip: source over its rate, dropping", "src", ip.String()) }
	s.ua, err = sipgo.NewUA(
		sipgo.WithUserAgent(cfg.UserAgent),
		sipgo.WithUserAgentHostname(s.announceHost()),
		sipgo.WithUserAgentParser(parser),
		sipgo.WithUserAgentTransportLayerOptions(
			sip.WithTransportLayerLogger(sipLog),
			sip.WithTransportLayerReadFilter(s.limiter.readFilter(cfg.MaxMessageSize, onLimit)),
		),
		sipgo.WithUserAgentTransactionLayerOptions(
			sip.WithTransactionLayerLogger(sipLog),
			sip.WithTransactionLayerUnhandledResponseHandler(func(r *sip.Response) {
				logger.Debug("sip: response matches no transaction", "status", r.StatusCode, "call_id", callIDOf(r))
			}),
		),
	)
	if err != nil {
		return nil, fmt.Errorf("sip: user agent: %w", err)
	}
	if s.srv, err = sipgo.NewServer(s.ua, sipgo.WithServerLogger(sipLog)); err != nil {
		return nil, fmt.Errorf("sip: server: %w", err)
	}
	s.routes()
	return s, nil
}

// SetInviteHandler plugs the call layer in (it may need Server.Client, so
// it can be set after New). nil restores the 503 answer.
func (s *Server) SetInviteHandler(h InviteHandler) {
	if h == nil {
		s.invites.Store(nil)
		return
	}
	s.invites.Store(&h)
}

func (s *Server) inviteHandler() InviteHandler {
	if p := s.invites.Load(); p != nil {
		return *p
	}
	return nil
}

// Registrar gives the call layer the registered phones.
func (s *Server) Registrar() *Registrar { return s.reg }

// Ready is closed once Run has bound every listener.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Addrs returns the bound and announced addresses; valid after Ready.
func (s *Server) Addrs() Addrs {
	select {
	case <-s.ready:
		return s.addrs
	default:
		return Addrs{}
	}
}

// Client is the sipgo client sharing the server's transports, for requests
// to phones (see RouteToBinding); valid after Ready, nil before.
func (s *Server) Client() *sipgo.Client {
	select {
	case <-s.ready:
		return s.client
	default:
		return nil
	}
}

// Run binds the listeners and serves until ctx ends, then closes the
// listeners and connections, ends every transaction and waits for the
// handlers (whose context ends too) and its own goroutines. It returns nil
// after a clean shutdown, or the first listener failure. Run once.
func (s *Server) Run(ctx context.Context) error {
	if !s.started.CompareAndSwap(false, true) {
		return errors.New("sip: Run called twice")
	}
	defer s.cancelBase()
	ls, err := openListeners(s.cfg)
	if err != nil {
		return err
	}
	s.ls = ls
	s.addrs = ls.addrs(s.announceHost(), s.cfg.AnnouncePort)
	s.client, err = sipgo.NewClient(s.ua,
		sipgo.WithClientHostname(s.addrs.AnnounceHost),
		sipgo.WithClientPort(s.addrs.AnnouncePort),
		sipgo.WithClientLogger(s.log.With("component", "sipgo")))
	if err != nil {
		ls.close()
		return fmt.Errorf("sip: client: %w", err)
	}
	close(s.ready)
	s.log.Info("sip: listening", "udp", addrOrOff(s.addrs.UDP), "tcp", addrOrOff(s.addrs.TCP), "tls", addrOrOff(s.addrs.TLS),
		"announce", fmt.Sprintf("%s:%d", s.addrs.AnnounceHost, s.addrs.AnnouncePort))

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(runCtx, s.cancelBase)
	defer stop()

	var wg sync.WaitGroup
	errc := make(chan error, 3)
	for _, serve := range ls.serveFuncs(s.srv) {
		wg.Go(func() {
			if err := serve(); err != nil && runCtx.Err() == nil {
				errc <- err
				cancel()
			}
		})
	}
	wg.Go(func() { s.reg.run(runCtx) })
	wg.Go(func() { s.sweepLimits(runCtx) })

	<-runCtx.Done()
	s.draining.Store(true)
	// Calls still up end now (their context is done): let them send
	// their BYE or 503 while the sockets are open, for a bounded time.
	s.awaitHandlers(shutdownGrace)
	ls.close()
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.handlers.Wait()
	_ = s.ua.Close() // closes connections, terminates transactions
	wg.Wait()
	s.log.Info("sip: stopped")
	select {
	case err := <-errc:
		return err
	default:
		return nil
	}
}

// sweepLimits evicts idle rate buckets and brake entries.
func (s *Server) sweepLimits(ctx context.Context) {
	t := time.NewTicker(s.cfg.RateIdle)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.limiter.sweep()
			s.auth.brake.sweep(s.now())
		}
	}
}

// shutdownGrace bounds how long Run keeps the listeners open after its
// context ended, for the calls still up to hang up (cleanupTimeout each).
const shutdownGrace = cleanupTimeout + time.Second

// enter registers an in-flight handler; false once shutting down.
func (s *Server) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.handlers.Add(1)
	s.inflight.Add(1)
	return true
}

// leave ends what enter began.
func (s *Server) leave() {
	s.inflight.Add(-1)
	s.handlers.Done()
}

// awaitHandlers waits until no handler runs, at most d.
func (s *Server) awaitHandlers(d time.Duration) {
	deadline := time.Now().Add(d)
	for s.inflight.Load() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
}

func (s *Server) announceHost() string {
	if s.cfg.AnnounceHost != "" {
		return s.cfg.AnnounceHost
	}
	return s.cfg.bindHost()
}

func addrOrOff(a netip.AddrPort) string {
	if !a.IsValid() {
		return "off"
	}
	return a.String()
}

func callIDOf(m sip.Message) string {
	if c := m.CallID(); c != nil {
		return CleanHeaderValue(c.Value(), 128)
	}
	return ""
}
