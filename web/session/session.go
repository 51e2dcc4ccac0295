// Package session is the browser side of callroute's sign-in: the session
// cookie, the middleware that finds the signed-in user of a request, and
// the request-context accessors every page, API call and WebSocket handler
// uses.
//
// The cookie holds an opaque 256-bit token (crm.NewSessionToken); the
// database holds only its hash, so any node behind a load balancer knows
// every session. The cookie is HttpOnly and SameSite=Lax; served over
// HTTPS it is also Secure and named with the __Host- prefix (no Domain, Path
// /, so no other host can set or read it).
//
// Lax, not Strict: a link to callroute from a mail or a chat then opens
// signed in. That is safe because nothing changes on GET, and every unsafe
// request is checked twice (package csrf); Strict would buy nothing more
// and make every such link land on the sign-in page.
package session

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"

	"callroute/crm"
)

// Cookie names: the __Host- prefix (RFC 6265bis section 4.1.3.2) is only
// allowed with Secure, so plain HTTP uses the bare name.
const (
	CookieName       = "callroute_session"
	SecureCookieName = "__Host-callroute_session"
)

// Manager reads and writes session cookies over the crm.Service's sessions.
type Manager struct {
	svc   *crm.Service
	https bool
	log   *slog.Logger
}

// New returns a Manager. https says the browser reaches callroute over
// HTTPS (directly, or through a proxy that terminates TLS): cookies are then
// Secure and __Host- prefixed. A nil logger means slog.Default().
func New(svc *crm.Service, https bool, logger *slog.Logger) *Manager {
	if logger == nil {
		logger = slog.Default()
	}
	return &Manager{svc: svc, https: https, log: logger}
}

// HTTPS reports whether cookies are made for HTTPS.
func (m *Manager) HTTPS() bool { return m.https }

// CookieName is the name of the session cookie this Manager sets.
func (m *Manager) CookieName() string {
	if m.https {
		return SecureCookieName
	}
	return CookieName
}

// Token is the session token the request's cookie carries ("" for none).
// The WebSocket handler keeps it to recheck the session (Lookup) while the
// socket is open.
func (m *Manager) Token(r *http.Request) string {
	c, err := r.Cookie(m.CookieName())
	if err != nil {
		return ""
	}
	return c.Value
}

// Lookup returns the live session of a token and its active user, as
// crm.Service.Session: ErrUnauthenticated when it is unknown, ended or
// expired, or its user inactive. Each call counts as activity. A
// long-lived connection (the softphone's WebSocket) calls it every 30 s or
// so with the token it was opened with, and closes when it fails: a
// signed-out or deactivated user then loses the socket within that time
// (ASVS 5.0 7.4.2).
func (m *Manager) Lookup(ctx context.Context, token string) (*crm.Session, *crm.User, error) {
	return m.svc.Session(ctx, token)
}

// Authenticate returns the session and user of the request's cookie;
// crm.ErrUnauthenticated when there is none or it is not valid.
func (m *Manager) Authenticate(r *http.Request) (*crm.Session, *crm.User, error) {
	token := m.Token(r)
	if token == "" {
		return nil, nil, crm.ErrUnauthenticated
	}
	return m.Lookup(r.Context(), token)
}

// Load is middleware that puts the request's session and user in its
// context when its cookie names a live session; any other request goes on
// unchanged (pages decide what to do with nobody signed in). A storage
// error is logged and treated as not signed in.
func (m *Manager) Load(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, u, err := m.Authenticate(r)
		switch {
		case err == nil:
			r = r.WithContext(NewContext(r.Context(), sess, u))
		case !errors.Is(err, crm.ErrUnauthenticated):
			m.log.ErrorContext(r.Context(), "session lookup failed", slog.Any("error", err))
		}
		next.ServeHTTP(w, r)
	})
}

// SetCookie gives the browser a new session's token. The cookie has no
// Max-Age: it ends with the browser, and the server ends it at the
// session's idle or absolute timeout anyway.
func (m *Manager) SetCookie(w http.ResponseWriter, token string) {
	http.SetCookie(w, m.cookie(token, 0))
}

// ClearCookie tells the browser to forget its session cookie.
func (m *Manager) ClearCookie(w http.ResponseWriter) {
	http.SetCookie(w, m.cookie("", -1))
}

func (m *Manager) cookie(value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name:     m.CookieName(),
		Value:    value,
		Path:     "/",
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   m.https,
		SameSite: http.SameSiteLaxMode,
	}
}

// Source is the address a request counts as for the sign-in throttle: the
// peer's IP, or its /64 for IPv6 (one subscriber's usual share). It is the
// TCP peer: behind a reverse proxy every client is the proxy.
func Source(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.WithZone("").Prefix(64)
		return p.String()
	}
	return ip.String()
}
