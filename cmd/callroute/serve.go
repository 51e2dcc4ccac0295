package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"path/filepath"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"callroute/crm/demo"
	"callroute/crm/sqlstore"
	"callroute/sip"
	"callroute/web"
)

var serveCommand = &command{
	name:    "serve",
	args:    "[--demo]",
	summary: "run the service: take calls over SIP, the REST API, health checks and metrics",
	about: `Runs callroute: opens the database (applying pending migrations), takes
calls on the SIP edge (--sip-addr: trunks in --trunks without
authentication, SIP users with digest authentication; desk phones register
there) and routes them to the caller's owner, the inbound desk, the desk
queue or voicemail, ringing SIP phones and browser softphones (WebRTC media
on --webrtc-addr); serves the browser UI (sign in at /login), the REST API
under /api/v1, /healthz, /readyz and /metrics on --http-addr, over HTTPS
with --http-tls-cert and --http-tls-key. On SIGINT or SIGTERM it stops taking calls (503
with Retry-After), lets live calls finish (up to --drain-timeout) and
requests in flight (up to --shutdown-timeout).

With --demo, an empty database is first filled with a demo company (users,
clients, interests in every stage, calls, tasks), and every start prints the
demo users, a new API token for the demo head of sales and a curl to try.

Shared live state over several nodes (--redis-url) is not in this version.`,
	run: runServe,
}

// HTTP server limits: slow clients cannot hold connections open for ever.
// Reads and writes get room for a large CSV import.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 2 * time.Minute
	writeTimeout      = 2 * time.Minute
	idleTimeout       = 2 * time.Minute
)

// serveFlagSet has every setting of serve.
func serveFlagSet(cfg *Config, withDemo *bool) *flag.FlagSet {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg.storeFlags(fs)
	cfg.serviceFlags(fs)
	cfg.serveFlags(fs)
	cfg.callFlags(fs)
	cfg.softphoneFlags(fs)
	fs.BoolVar(withDemo, "demo", false, "fill an empty database with demo data; print the demo users, an API token and a curl to try")
	return fs
}

func runServe(ctx context.Context, c *cli, cmd *command, args []string) error {
	var cfg Config
	var withDemo bool
	if _, err := c.parse(cmd, serveFlagSet(&cfg, &withDemo), args, 0); err != nil {
		return err
	}
	if err := cfg.checkHTTP(); err != nil {
		return err
	}
	if withDemo && cfg.Region != demo.Region {
		return usagef("serve: --demo needs --region %s: the demo's phone numbers are %s numbers", demo.Region, demo.Region)
	}
	logger := newLogger(&cfg, c.stderr)
	tuneGC(c.getenv, logger)
	if cfg.RedisURL != "" {
		logger.Warn("--redis-url is set but not used yet: this version keeps live state in memory (one node)",
			"redis_url", redactURL(cfg.RedisURL))
	}

	svc, closeStore, err := openService(ctx, &cfg, logger)
	if err != nil {
		return err
	}
	defer closeStore()

	var intro *startInfo
	if withDemo {
		if intro, err = demoIntro(ctx, svc, logger); err != nil {
			return err
		}
	} else if intro, err = emptyIntro(ctx, svc); err != nil {
		return err
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if st, ok := svc.Store().(*sqlstore.Store); ok {
		// The pool's waits show when calls queue for a database connection.
		reg.MustRegister(collectors.NewDBStatsCollector(st.DB(), "clientbase"))
	}
	var tlsCfg *tls.Config
	if cfg.httpsOn() {
		if tlsCfg, err = cfg.httpTLS(); err != nil {
			return err
		}
	}
	calls, err := newCalls(&cfg, svc, reg, logger)
	if err != nil {
		return fmt.Errorf("calls: %w", err)
	}
	handler := web.New(web.Config{CRM: svc, Registry: reg, Logger: logger, Ready: svc.Ping,
		RecordingsDir: filepath.Join(cfg.DataDir, recordingsDir), HTTPS: cfg.httpsOn(), LiveCalls: calls.liveCall,
		Softphone: calls.hub})

	if cfg.PprofAddr != "" {
		prof, err := startProfiler(ctx, cfg.PprofAddr, logger)
		if err != nil {
			return err
		}
		defer prof.stop()
	}

	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.HTTPAddr, err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		TLSConfig:         tlsCfg,
	}
	baseURL := displayURL(ln.Addr(), tlsCfg != nil)
	logger.Info("serving", "addr", ln.Addr().String(), "database", redactURL(cfg.databaseURL()))
	fmt.Fprintf(c.stdout, "callroute is listening on %s\n", baseURL)
	intro.print(c.stdout, baseURL)

	errc := make(chan error, 1)
	go func() {
		if tlsCfg != nil {
			errc <- srv.ServeTLS(ln, "", "") // the certificate is in TLSConfig
			return
		}
		errc <- srv.Serve(ln)
	}()
	sipErr := make(chan error, 1)
	go func() {
		sipErr <- calls.run(ctx, func(a sip.Addrs) {
			fmt.Fprintf(c.stdout, "callroute takes calls at sip:%s (UDP %s, TCP %s); browsers' media on UDP %s\n",
				net.JoinHostPort(a.AnnounceHost, strconv.Itoa(a.AnnouncePort)), addrOrOff(a.UDP), addrOrOff(a.TCP),
				calls.webrtc.Addr())
			intro.printCall(c.stdout, net.JoinHostPort(a.AnnounceHost, strconv.Itoa(a.AnnouncePort)))
		})
	}()
	select {
	case err := <-errc:
		return fmt.Errorf("HTTP server: %w", err)
	case err := <-sipErr:
		return fmt.Errorf("SIP edge: %w", err)
	case <-ctx.Done():
	}
	// Calls drain first (they may take minutes); the API keeps answering
	// meanwhile.
	if err := <-sipErr; err != nil {
		logger.Error("SIP edge", "err", err)
	}
	logger.Info("shutting down: waiting for requests in flight", "timeout", cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shut down the HTTP server: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("HTTP server: %w", err)
	}
	logger.Info("stopped")
	return nil
}

func addrOrOff(a netip.AddrPort) string {
	if !a.IsValid() {
		return "off"
	}
	return a.String()
}

// displayURL is the URL to print for the bound address (not the configured
// one: port 0 picks a free port). A wildcard address is shown as loopback,
// which reaches it from this machine.
func displayURL(addr net.Addr, https bool) string {
	scheme := "http://"
	if https {
		scheme = "https://"
	}
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return scheme + addr.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return scheme + net.JoinHostPort(host, port)
}
