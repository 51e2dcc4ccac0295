// Package api is callroute's REST API, mounted at /api/v1: JSON over
// crm.Service, for people signed in with a bearer token, or, from the
// browser UI's pages, with their session cookie (unsafe methods then carry
// the session's CSRF token in X-CSRF-Token). Every call to the
// Service is made as the signed-in user (crm.ActorOf), so the Service's role
// and visibility rules decide what each user may see and do.
package api

import (
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"

	"callroute/crm"
	"callroute/web/session"
)

// Body limits: JSON bodies are small; a contacts CSV may be large.
const (
	// MaxBodyBytes bounds a JSON request body.
	MaxBodyBytes = 1 << 20
	// MaxImportBytes bounds a CSV import body.
	MaxImportBytes = 20 << 20
)

// handler holds what every endpoint needs; its methods are the endpoints.
type handler struct {
	svc        *crm.Service
	log        *slog.Logger
	recordings string           // directory of voicemail recordings; "" = none
	liveCalls  LiveCallFunc     // the live call state; nil = none
	sessions   *session.Manager // browser sessions; nil = bearer tokens only
}

// Option configures the API.
type Option func(*handler)

// WithRecordings serves voicemail recordings from dir (GET
// /interactions/{id}/recording).
func WithRecordings(dir string) Option { return func(h *handler) { h.recordings = dir } }

// WithSessions also accepts the browser UI's session cookie, with the
// session's CSRF token in X-CSRF-Token for every unsafe method.
func WithSessions(m *session.Manager) Option { return func(h *handler) { h.sessions = m } }

// New returns the REST API; its routes are relative to where it is mounted
// (/api/v1). A nil logger means slog.Default().
func New(svc *crm.Service, logger *slog.Logger, opts ...Option) http.Handler {
	if logger == nil {
		logger = slog.Default()
	}
	h := &handler{svc: svc, log: logger}
	for _, o := range opts {
		o(h)
	}
	r := chi.NewRouter()
	r.Use(noStore)
	r.NotFound(h.notFound)
	r.MethodNotAllowed(h.methodNotAllowed)
	// Routes are registered flat (no sub-routers) so that authentication
	// runs after routing and every answer, 401 included, is counted under
	// its full route pattern.
	r.Group(func(r chi.Router) {
		r.Use(h.authenticate)
		r.Get("/me", h.me)
		r.Get("/users", h.listUsers)
		r.Get("/callers/{phone}", h.callerFile)
		h.companyRoutes(r)
		h.contactRoutes(r)
		h.interestRoutes(r)
		r.Post("/interactions", h.createInteraction)
		r.Get("/interactions/{id}", getByID(h, h.svc.Interaction))
		r.Get("/interactions/{id}/recording", h.recording)
		h.callRoutes(r)
		h.taskRoutes(r)
		h.reportRoutes(r)
		h.reassignmentRoutes(r)
		h.delegationRoutes(r)
		r.Post("/import/contacts", h.importContacts)
	})
	return r
}

// noStore keeps client records out of shared and browser caches.
func noStore(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

func (h *handler) notFound(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusNotFound, errorBody{Error: "no such endpoint: " + r.Method + " " + r.URL.Path})
}

func (h *handler) methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusMethodNotAllowed, errorBody{Error: "method " + r.Method + " is not allowed here"})
}
