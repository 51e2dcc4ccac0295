package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"callroute/crm"
	"callroute/internal/metrics"
	"callroute/media"
	"callroute/media/webrtc"
	"callroute/routing"
	"callroute/sip"
	"callroute/web/softphone"
)

// calls is the part of serve that takes calls: the SIP edge, media and the
// router, wired to the client base.
type calls struct {
	srv    *sip.Server
	router *routing.Router
	drain  *sip.Drainer
	ports  *media.PortAllocator
	webrtc *webrtc.Engine
	hub    *softphone.Hub
	log    *slog.Logger
	cfg    *Config
}

// Where serve keeps its call files, inside the data directory.
const (
	recordingsDir = "recordings" // voicemail WAV files
	spoolDir      = "spool"      // call records waiting for the database
)

// deskTTL is how long the desk's membership is cached.
const deskTTL = 10 * time.Second

// newCalls wires the SIP edge, media and routing.
func newCalls(cfg *Config, svc *crm.Service, reg prometheus.Registerer, logger *slog.Logger) (*calls, error) {
	sipCfg, err := cfg.sipConfig()
	if err != nil {
		return nil, err
	}
	settings, err := cfg.routingSettings()
	if err != nil {
		return nil, err
	}
	bind, announce, err := cfg.rtpAddrs()
	if err != nil {
		return nil, err
	}
	minPort, maxPort, err := media.ParsePortRange(cfg.Calls.RTPPorts)
	if err != nil {
		return nil, fmt.Errorf("--rtp-ports: %w", err)
	}
	ports, err := media.NewPortAllocator(bind, minPort, maxPort)
	if err != nil {
		return nil, fmt.Errorf("RTP ports %s on %s: %w", cfg.Calls.RTPPorts, bind, err)
	}

	state := routing.NewMemoryState(nil)
	// The registrar reports phones to the router, which exists only once
	// the ringers do (they need the server): the cycle is broken by a
	// pointer set once the router is made.
	var routerRef atomic.Pointer[routing.Router]
	srv, err := sip.New(sipCfg, sip.Deps{
		Credentials: sip.CredentialsFunc(func(ctx context.Context, username string) (sip.Credential, error) {
			return sipCredential(ctx, svc, username)
		}),
		// A user is reachable on SIP while they have a registered phone.
		OnBindingsChanged: func(userID int64, b []sip.Binding) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			var err error
			if r := routerRef.Load(); r != nil {
				_, err = r.SetDevices(ctx, userID, "sip", len(b)) // tells the screens too
			} else {
				_, err = state.SetDevices(ctx, userID, "sip", len(b))
			}
			if err != nil {
				logger.Warn("presence: SIP phones changed", "user_id", userID, "err", err)
			}
		},
	}, logger)
	if err != nil {
		return nil, err
	}
	mediaCfg := sip.MediaConfig{Ports: ports, Announce: announce, SymmetricRTP: cfg.Calls.SymmetricRTP,
		Timeout: cfg.Calls.MediaTimeout}
	ringer, err := sip.NewSIPRinger(srv, sip.RingerConfig{Media: mediaCfg, Logger: logger})
	if err != nil {
		return nil, err
	}
	rtcCfg, err := cfg.webrtcConfig()
	if err != nil {
		return nil, err
	}
	engine, err := webrtc.NewEngine(rtcCfg, logger)
	if err != nil {
		return nil, fmt.Errorf("WebRTC on %s: %w", rtcCfg.Listen, err)
	}
	hubCfg, err := cfg.softphoneConfig()
	if err != nil {
		return nil, err
	}
	hub, err := softphone.New(hubCfg, softphone.Deps{Files: svc, Logger: logger,
		NewLeg: func(ctx context.Context, callID string, prefer media.Codec, log *slog.Logger) (softphone.MediaLeg, error) {
			return engine.NewLeg(ctx, webrtc.LegOptions{Prefer: prefer, Logger: log, CallID: callID})
		}})
	if err != nil {
		return nil, err
	}
	router, err := routing.New(routing.Deps{
		Lookup: svc, Recorder: svc, Ringer: routing.Fanout{ringer, hub.Ringer()}, State: state,
		Desk: routing.NewRoleDesk(svc, deskTTL),
	}, settings,
		routing.WithLogger(logger),
		routing.WithMetrics(metrics.NewRouting(reg)),
		routing.WithSpoolDir(filepath.Join(cfg.DataDir, spoolDir)))
	if err != nil {
		return nil, err
	}
	routerRef.Store(router)
	hub.Attach(router)
	handler, err := sip.NewCallHandler(srv, router, sip.CallConfig{Media: mediaCfg,
		RecordingsDir: filepath.Join(cfg.DataDir, recordingsDir), NoEarlyMedia: cfg.Calls.NoEarlyMedia, Logger: logger})
	if err != nil {
		return nil, err
	}
	drain := sip.NewDrainer(handler, sipCfg.RetryAfter)
	srv.SetInviteHandler(drain)
	return &calls{srv: srv, router: router, drain: drain, ports: ports, webrtc: engine, hub: hub, log: logger, cfg: cfg}, nil
}

// liveCall tells the API about a call in progress on this node (who
// answered, who calls), so that it can be captured before routing writes
// it at hang-up.
func (c *calls) liveCall(callID string, userID int64) (answeredBy int64, caller string, ok bool) {
	lc, ok := c.router.Call(callID)
	if !ok {
		return 0, "", false
	}
	if slices.Contains(lc.Answerers, userID) {
		return userID, lc.Caller, true
	}
	return lc.AgentID, lc.Caller, true
}

// sipCredential finds a user's digest secrets in the client base.
func sipCredential(ctx context.Context, svc *crm.Service, username string) (sip.Credential, error) {
	u, err := svc.SIPUser(ctx, username)
	if errors.Is(err, crm.ErrNotFound) {
		return sip.Credential{}, sip.ErrUnknownUser
	}
	if err != nil {
		return sip.Credential{}, err
	}
	return sip.Credential{UserID: u.ID, Username: u.SIPUsername, Realm: u.SIPRealm,
		HA1MD5: u.SIPHA1MD5, HA1SHA256: u.SIPHA1SHA256}, nil
}

// run serves SIP and writes call records until ctx ends (SIGTERM); then it
// drains: new calls get 503, live calls may finish within the drain
// timeout, then the rest are ended and the pending records flushed.
func (c *calls) run(ctx context.Context, ready func(sip.Addrs)) error {
	callCtx, endCalls := context.WithCancel(context.WithoutCancel(ctx))
	defer endCalls()
	g, gctx := errgroup.WithContext(callCtx)
	g.Go(func() error { return c.srv.Run(gctx) })
	g.Go(func() error { return c.router.Run(gctx) })
	g.Go(func() error { return c.hub.Run(gctx) })
	select {
	case <-c.srv.Ready():
		ready(c.srv.Addrs())
	case <-gctx.Done():
		return g.Wait()
	}
	select {
	case <-ctx.Done():
	case <-gctx.Done():
		return g.Wait()
	}
	c.log.Info("draining: new calls get 503, live calls may finish", "live", c.drain.Live(), "timeout", c.cfg.Calls.DrainTimeout)
	dctx, cancel := context.WithTimeout(context.Background(), c.cfg.Calls.DrainTimeout)
	if err := c.drain.Drain(dctx); err != nil {
		c.log.Warn("drain timeout: ending the calls still live", "live", c.drain.Live())
	}
	cancel()
	endCalls()
	err := g.Wait()
	fctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if ferr := c.router.Flush(fctx); ferr != nil {
		c.log.Error("call records not yet written stay in the spool for the next start", "pending", c.router.Pending(), "err", ferr)
	}
	if cerr := c.router.Close(); cerr != nil {
		c.log.Warn("close the router", "err", cerr)
	}
	c.hub.Close()
	if cerr := c.webrtc.Close(); cerr != nil {
		c.log.Warn("close WebRTC", "err", cerr)
	}
	if cerr := c.ports.Close(); cerr != nil {
		c.log.Warn("close the RTP ports", "err", cerr)
	}
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
}
