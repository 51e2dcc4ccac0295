package web

import "net/http"

// securityHeaders sets headers that keep browsers from misreading answers:
// no MIME sniffing, no referrer leaks, no framing, and a Content-Security-
// Policy that loads nothing (right for JSON and text answers; the UI, when
// it comes, sets its own).
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; base-uri 'none'")
		next.ServeHTTP(w, r)
	})
}
