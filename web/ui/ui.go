// Package ui is callroute's browser UI: server-rendered pages from
// html/template, a little vanilla JavaScript, stylesheets and scripts
// embedded in the binary.
//
// One file per screen or action, named after it: login_show.go (GET
// /login), login_check.go (POST /login), logout.go, workspace_show.go. Each
// screen's template is templates/<screen>.html, rendered inside
// templates/layout.html. Static files live in static/ (css/, js/) and are
// served under /static/<version>/.
//
// To add a screen: write <screen>_show.go with a method on *Handler, its
// template templates/<screen>.html defining "main" (and "scripts" for a JS
// module of its own, loaded as {{asset "js/<screen>.js"}}), add a line to
// routes() with the roles that may open it, and, if it belongs in the
// header, to navLinks. Inside the handler session.User(r.Context()) is the
// signed-in user and session.CSRFToken(r.Context()) the token for forms.
package ui

import (
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/go-chi/chi/v5"

	"callroute/crm"
	"callroute/web/csrf"
	"callroute/web/session"
)

// Config is what the UI is built from.
type Config struct {
	CRM      *crm.Service     // required
	Sessions *session.Manager // required
	Logger   *slog.Logger     // nil: slog.Default()
}

// Handler serves the UI's pages; its methods are the screens and actions.
type Handler struct {
	svc       *crm.Service
	sessions  *session.Manager
	log       *slog.Logger
	assets    *assets
	templates map[string]*template.Template
}

// New parses the embedded templates and indexes the static files.
func New(cfg Config) (*Handler, error) {
	if cfg.CRM == nil || cfg.Sessions == nil {
		return nil, fmt.Errorf("ui: Config.CRM and Config.Sessions are required")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	a, err := loadAssets()
	if err != nil {
		return nil, err
	}
	t, err := parseTemplates(a)
	if err != nil {
		return nil, err
	}
	return &Handler{svc: cfg.CRM, sessions: cfg.Sessions, log: log, assets: a, templates: t}, nil
}

// everyone is every role.
var everyone = []crm.Role{crm.RoleHead, crm.RoleManager, crm.RoleAgent}

// route is one screen or action of the signed-in UI and the roles that may
// use it. There is no route without roles (default deny).
type route struct {
	method, pattern string
	handler         http.HandlerFunc
	roles           []crm.Role
}

// routes lists every screen and action behind sign-in.
func (h *Handler) routes() []route {
	return []route{
		{http.MethodGet, "/", h.workspaceShow, everyone},
		{http.MethodPost, "/logout", h.logout, everyone},
	}
}

// Routes registers the UI on r: /static/, /login, and every route of
// routes() behind sign-in, CSRF and its roles.
func (h *Handler) Routes(r chi.Router) {
	r.Method(http.MethodGet, StaticPrefix+"*", h.assets)
	r.Group(func(r chi.Router) {
		r.Use(h.pageHeadersMiddleware, h.sessions.Load)
		r.Get("/login", h.loginShow)
		r.Post("/login", h.loginCheck)
		r.Group(func(r chi.Router) {
			r.Use(h.signedIn, csrf.Protect(sessionCSRF, http.HandlerFunc(h.CrossSite)))
			for _, rt := range h.routes() {
				r.With(h.allow(rt.roles...)).Method(rt.method, rt.pattern, rt.handler)
			}
		})
	})
}

func sessionCSRF(r *http.Request) string { return session.CSRFToken(r.Context()) }

// Guard is the UI's sign-in and role check for handlers mounted outside
// this package (the softphone's pages): it loads the session, sends a
// visitor who is not signed in to /login, refuses other roles with 403 and
// unsafe requests without the session's CSRF token with 403. A WebSocket
// handler that should answer 401 rather than redirect uses
// session.Manager.Authenticate itself.
func (h *Handler) Guard(roles ...crm.Role) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return h.pageHeadersMiddleware(h.sessions.Load(h.signedIn(
			csrf.Protect(sessionCSRF, http.HandlerFunc(h.CrossSite))(h.allow(roles...)(next)))))
	}
}

// signedIn sends a visitor who is not signed in to the sign-in page: back
// to the page they asked for afterwards (for GET; other requests start
// again from the workspace).
func (h *Handler) signedIn(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if session.User(r.Context()) != nil {
			next.ServeHTTP(w, r)
			return
		}
		to := "/login"
		if r.Method == http.MethodGet && r.URL.RequestURI() != "/" {
			to += "?next=" + url.QueryEscape(r.URL.RequestURI())
		}
		seeOther(w, to)
	})
}

// allow lets through only users with one of the roles, others get a 403
// page. No roles is a wiring mistake.
func (h *Handler) allow(roles ...crm.Role) func(http.Handler) http.Handler {
	if len(roles) == 0 {
		panic("ui: a route without roles: say who may use it")
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			u := session.User(r.Context())
			for _, role := range roles {
				if u != nil && u.Role == role {
					next.ServeHTTP(w, r)
					return
				}
			}
			h.Forbidden(w, r)
		})
	}
}

// seeOther redirects with 303 (RFC 9110 section 15.4.4: the next request is
// a GET) to a local path, which the caller has checked.
func seeOther(w http.ResponseWriter, to string) {
	w.Header().Set("Location", to)
	w.WriteHeader(http.StatusSeeOther)
}

// localPath returns next when it is a path on this site ("/contacts?q=x"),
// else "". It refuses what a browser could read as another site:
// "//evil.example", "/\evil.example", "https://...", "javascript:...", and
// control characters (browsers drop tabs and newlines, so "/\t/evil" would
// become "//evil").
func localPath(next string) string {
	if next == "" || len(next) > 2048 || next[0] != '/' {
		return ""
	}
	if len(next) > 1 && (next[1] == '/' || next[1] == '\\') {
		return ""
	}
	for i := 0; i < len(next); i++ {
		if c := next[i]; c < 0x20 || c == 0x7f || c == '\\' {
			return ""
		}
	}
	return next
}
