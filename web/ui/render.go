package ui

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"

	"callroute/crm"
	"callroute/web/session"
)

// templatesFS holds the page templates: layout.html is the frame of every
// page; each other file is one screen and defines "main" (and, when the
// screen has a script of its own, "scripts").
//
//go:embed templates/*.html
var templatesFS embed.FS

// layoutFile is the base layout every screen is rendered in.
const layoutFile = "layout.html"

// view is what every template gets: the frame's data (user, navigation,
// CSRF token) and the screen's own in Data.
type view struct {
	Title     string
	User      *crm.User
	RoleName  string
	CSRFToken string
	Nav       []navLink
	Data      any
}

// parseTemplates builds one template set per screen: the layout with that
// screen's file, so every screen can define "main" its own way.
func parseTemplates(a *assets) (map[string]*template.Template, error) {
	base, err := template.New(layoutFile).Funcs(template.FuncMap{
		"asset":    a.url,
		"roleName": RoleName,
	}).ParseFS(templatesFS, "templates/"+layoutFile)
	if err != nil {
		return nil, fmt.Errorf("ui: parse %s: %w", layoutFile, err)
	}
	files, err := fs.Glob(templatesFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	out := map[string]*template.Template{}
	for _, f := range files {
		name := strings.TrimSuffix(strings.TrimPrefix(f, "templates/"), ".html")
		if name+".html" == layoutFile {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(templatesFS, f)
		if err != nil {
			return nil, fmt.Errorf("ui: parse %s: %w", f, err)
		}
		out[name] = t
	}
	return out, nil
}

// RoleName is how a role is shown to people.
func RoleName(r crm.Role) string {
	switch r {
	case crm.RoleHead:
		return "head of sales"
	case crm.RoleManager:
		return "manager"
	case crm.RoleAgent:
		return "desk agent"
	}
	return string(r)
}

// render answers with the screen's template (its file name without .html)
// in the layout. The page is rendered into a buffer first, so a template
// error is a clean 500, never half a page.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, screen, title string, data any) {
	h.renderView(w, r, status, screen, h.view(r, title, data))
}

func (h *Handler) view(r *http.Request, title string, data any) view {
	v := view{Title: title, Data: data, CSRFToken: session.CSRFToken(r.Context())}
	if u := session.User(r.Context()); u != nil {
		v.User, v.RoleName, v.Nav = u, RoleName(u.Role), navFor(u.Role, r.URL.Path)
	}
	return v
}

func (h *Handler) renderView(w http.ResponseWriter, r *http.Request, status int, screen string, v view) {
	t, ok := h.templates[screen]
	var buf bytes.Buffer
	err := fmt.Errorf("no template %q", screen)
	if ok {
		err = t.ExecuteTemplate(&buf, layoutFile, v)
	}
	if err != nil {
		h.log.ErrorContext(r.Context(), "render page", slog.String("screen", screen), slog.Any("error", err))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// errorPage is the screen of a refused or failed request.
type errorPage struct {
	Status  int
	Heading string
	Message string
}

func (h *Handler) renderError(w http.ResponseWriter, r *http.Request, status int, heading, message string) {
	h.pageHeaders(w, r)
	r = h.withSession(r)
	h.render(w, r, status, "error", heading, errorPage{Status: status, Heading: heading, Message: message})
}

// Forbidden answers 403 with a page: the user's role may not open it.
func (h *Handler) Forbidden(w http.ResponseWriter, r *http.Request) {
	h.renderError(w, r, http.StatusForbidden, "Not for your role",
		"This page is not open to your role. If you need it, ask the head of sales.")
}

// CrossSite answers 403 with a page to a request refused as cross-site or
// without a valid CSRF token: nothing was changed.
func (h *Handler) CrossSite(w http.ResponseWriter, r *http.Request) {
	h.renderError(w, r, http.StatusForbidden, "Request refused",
		"This request did not come from a callroute page of this session, so nothing was changed. Reload the page and try again.")
}

// NotFound answers 404 with a page.
func (h *Handler) NotFound(w http.ResponseWriter, r *http.Request) {
	h.renderError(w, r, http.StatusNotFound, "No such page", "There is no page at this address.")
}

func (h *Handler) internalError(w http.ResponseWriter, r *http.Request, what string, err error) {
	h.log.ErrorContext(r.Context(), what, slog.String("path", r.URL.Path), slog.Any("error", err),
		slog.String("request_id", w.Header().Get("X-Request-Id")))
	h.renderError(w, r, http.StatusInternalServerError, "Something went wrong",
		"callroute could not do this just now. Try again in a moment.")
}

// withSession loads the request's session when no middleware did (error
// pages answered from outside the UI's routes), so the header still shows
// who is signed in.
func (h *Handler) withSession(r *http.Request) *http.Request {
	if session.User(r.Context()) != nil || h.sessions.Token(r) == "" {
		return r
	}
	sess, u, err := h.sessions.Authenticate(r)
	if err != nil {
		return r
	}
	return r.WithContext(session.NewContext(r.Context(), sess, u))
}
