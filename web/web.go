// Package web is callroute's HTTP server: health and readiness probes,
// Prometheus metrics, the REST API (package web/api) under /api/v1 and the
// browser UI (package web/ui: /login, /, /static/), behind request IDs,
// security headers, metrics, request logging, panic recovery and the
// cross-origin check (package web/csrf). New is the one place that mounts
// everything.
package web

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"callroute/crm"
	"callroute/web/api"
	"callroute/web/csrf"
	"callroute/web/session"
	"callroute/web/softphone"
	"callroute/web/ui"
)

// Config is what the HTTP server is built from.
type Config struct {
	// CRM is the client base; required.
	CRM *crm.Service
	// Registry receives the HTTP metrics and is served at /metrics; nil
	// means a new registry with the Go and process collectors.
	Registry *prometheus.Registry
	// Logger logs requests and panics; nil means slog.Default().
	Logger *slog.Logger
	// Ready reports whether the server can serve (GET /readyz); nil means
	// the database answers (CRM.Ping). Its error should say what is not
	// ready.
	Ready func(context.Context) error
	// RecordingsDir holds the voicemail recordings the API plays back;
	// "" means none are served.
	RecordingsDir string
	// LiveCalls is the live call state the API asks about a call being
	// captured or wrapped up before routing has written it; nil means
	// none (only written calls can be).
	LiveCalls api.LiveCallFunc
	// Softphone is the browser softphone's agent channel, served at
	// /softphone/ws to signed-in users; nil means none.
	Softphone *softphone.Hub
	// HTTPS says browsers reach the server over HTTPS (it serves TLS, or a
	// proxy in front does): session cookies are then Secure with the
	// __Host- prefix, and every answer carries HSTS.
	HTTPS bool
}

// New returns the HTTP handler for the whole server. It panics when
// cfg.CRM is nil (a wiring mistake).
func New(cfg Config) http.Handler {
	if cfg.CRM == nil {
		panic("web.New: Config.CRM is required")
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	reg := cfg.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(),
			collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	ready := cfg.Ready
	if ready == nil {
		svc := cfg.CRM
		ready = func(ctx context.Context) error {
			if err := svc.Ping(ctx); err != nil {
				return fmt.Errorf("database: %w", err)
			}
			return nil
		}
	}
	metrics := newHTTPMetrics(reg)
	sessions := session.New(cfg.CRM, cfg.HTTPS, logger)
	pages, err := ui.New(ui.Config{CRM: cfg.CRM, Sessions: sessions, Logger: logger})
	if err != nil {
		panic("web.New: " + err.Error()) // the embedded templates are broken: a build mistake
	}
	crossOrigin := csrf.CrossOrigin(refuseCrossOrigin(pages, logger))

	r := chi.NewRouter()
	r.Use(requestID, securityHeaders(cfg.HTTPS), metrics.middleware, logRequests(logger), recoverPanics(logger),
		crossOrigin.Handler)
	r.NotFound(notFound(pages))
	r.Get("/healthz", healthz)
	r.Get("/readyz", readyz(ready, logger))
	r.Method(http.MethodGet, "/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		Registry:          reg,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelError),
		EnableOpenMetrics: true,
	}))
	r.Mount("/api/v1", api.New(cfg.CRM, logger, api.WithRecordings(cfg.RecordingsDir),
		api.WithLiveCalls(cfg.LiveCalls), api.WithSessions(sessions)))
	pages.Routes(r)
	if cfg.Softphone != nil {
		r.Method(http.MethodGet, "/softphone/ws", cfg.Softphone.Handler(sessionAuth(sessions)))
	}
	return r
}

// sessionAuth signs the softphone's WebSocket in with the session cookie,
// and checks it again for as long as the socket stays open: a user who
// signs out or is deactivated loses it.
func sessionAuth(m *session.Manager) softphone.AuthFunc {
	return func(r *http.Request) (*crm.User, func(context.Context) error, error) {
		_, u, err := m.Authenticate(r)
		if err != nil {
			return nil, nil, err
		}
		token := m.Token(r)
		still := func(ctx context.Context) error {
			_, _, err := m.Lookup(ctx, token)
			return err
		}
		return u, still, nil
	}
}

// refuseCrossOrigin answers an unsafe request another site's page made
// (Sec-Fetch-Site or Origin): 403, as JSON for the API, as a page for the
// UI, and a security log line.
func refuseCrossOrigin(pages *ui.Handler, logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		logger.WarnContext(r.Context(), "cross-origin request refused",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.String("origin", r.Header.Get("Origin")), slog.String("sec_fetch_site", r.Header.Get("Sec-Fetch-Site")),
			slog.String("request_id", RequestID(r.Context())))
		if isAPI(r) {
			writeJSONError(w, http.StatusForbidden, "cross-origin request refused")
			return
		}
		pages.CrossSite(w, r)
	})
}

func isAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") }

// notFound answers a browser's page request with a page, anything else with
// JSON.
func notFound(pages *ui.Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !isAPI(r) && strings.Contains(r.Header.Get("Accept"), "text/html") {
			pages.NotFound(w, r)
			return
		}
		writeJSONError(w, http.StatusNotFound, "no such page: "+r.URL.Path)
	}
}
