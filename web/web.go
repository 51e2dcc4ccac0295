// Package web is callroute's HTTP server: health and readiness probes,
// Prometheus metrics, and the REST API (package web/api) under /api/v1,
// behind request IDs, security headers, metrics, request logging and panic
// recovery.
package web

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"callroute/crm"
	"callroute/web/api"
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

	r := chi.NewRouter()
	r.Use(requestID, securityHeaders, metrics.middleware, logRequests(logger), recoverPanics(logger))
	r.NotFound(notFound)
	r.Get("/healthz", healthz)
	r.Get("/readyz", readyz(ready, logger))
	r.Method(http.MethodGet, "/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		Registry:          reg,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelError),
		EnableOpenMetrics: true,
	}))
	r.Mount("/api/v1", api.New(cfg.CRM, logger, api.WithRecordings(cfg.RecordingsDir), api.WithLiveCalls(cfg.LiveCalls)))
	return r
}

func notFound(w http.ResponseWriter, r *http.Request) {
	writeJSONError(w, http.StatusNotFound, "no such page: "+r.URL.Path)
}
