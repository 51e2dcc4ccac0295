package ui

import (
	"net/http"
	"strings"
)

// pageHeaders sets the headers of every page (ASVS 5.0 3.4): a Content-
// Security-Policy that loads only callroute's own files (no inline script
// or style at all), private no-store caching, a Referrer-Policy that still
// sends Origin on same-origin form posts (the cross-origin check relies on
// it where Sec-Fetch-Site is missing), and the microphone for this origin
// only. nosniff, frame denial and HSTS are set for every answer by package
// web.
func (h *Handler) pageHeaders(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", contentSecurityPolicy(r.Host, h.sessions.HTTPS()))
	hd.Set("Cache-Control", "no-store")
	hd.Set("Referrer-Policy", "same-origin")
	hd.Set("Permissions-Policy", "microphone=(self), camera=(), geolocation=(), payment=(), usb=()")
}

func (h *Handler) pageHeadersMiddleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.pageHeaders(w, r)
		next.ServeHTTP(w, r)
	})
}

// contentSecurityPolicy is the UI's policy. connect-src names this host's
// WebSocket scheme as well as 'self', for browsers whose 'self' does not
// cover ws:/wss: yet; media-src allows blob: for the softphone's audio.
func contentSecurityPolicy(host string, https bool) string {
	connect := "'self'"
	if saneHost(host) {
		if https {
			connect += " wss://" + host
		} else {
			connect += " ws://" + host
		}
	}
	return strings.Join([]string{
		"default-src 'self'",
		"script-src 'self'",
		"style-src 'self'",
		"img-src 'self'",
		"font-src 'self'",
		"connect-src " + connect,
		"media-src 'self' blob:",
		"object-src 'none'",
		"base-uri 'none'",
		"form-action 'self'",
		"frame-ancestors 'none'",
	}, "; ")
}

// saneHost accepts a Host header that can stand in a policy as it is: a
// name or address with an optional port, nothing that could end a
// directive.
func saneHost(h string) bool {
	if h == "" || len(h) > 255 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(".-:[]", c) >= 0
		if !ok {
			return false
		}
	}
	return true
}
