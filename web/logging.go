package web

import (
	"log/slog"
	"net/http"
	"time"
)

// logRequests logs one line per request: method, route pattern, path,
// status, duration and request ID. Probes and scrapes log at debug level so
// they do not drown the rest.
func logRequests(logger *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			rec := recordResponse(w)
			defer func() {
				route := routePattern(r)
				level := slog.LevelInfo
				switch route {
				case "/healthz", "/readyz", "/metrics":
					level = slog.LevelDebug
				}
				if rec.status >= 500 {
					level = slog.LevelWarn
				}
				logger.LogAttrs(r.Context(), level, "http request",
					slog.String("method", r.Method),
					slog.String("route", route),
					slog.String("path", r.URL.Path),
					slog.Int("status", rec.status),
					slog.Int64("bytes", rec.bytes),
					slog.Duration("duration", time.Since(start)),
					slog.String("request_id", RequestID(r.Context())))
			}()
			next.ServeHTTP(rec, r)
		})
	}
}
