package ui

import (
	"net/http"

	"callroute/crm"
	"callroute/web/session"
)

// loginForm is the sign-in screen's data.
type loginForm struct {
	Next   string // where to go after signing in (a local path)
	Email  string // as typed, kept after a failure
	Error  string // why the last try failed
	Notice string // why the visitor is here (a session that ended)
}

// The sign-in screen's messages. A wrong password and an unknown email get
// the same one (ASVS 5.0 6.3.8).
const (
	msgWrongCredentials = "The email or password is not right."
	msgThrottled        = "Too many failed sign-ins from here. Wait a minute, then try again."
	msgFormExpired      = "The sign-in form expired, or this browser does not keep cookies for callroute. Try again."
	msgSessionEnded     = "Your session has ended. Sign in again."
)

// loginShow is GET /login: the sign-in form, or, for a user signed in
// already, the page they were going to.
func (h *Handler) loginShow(w http.ResponseWriter, r *http.Request) {
	next := localPath(r.URL.Query().Get("next"))
	if session.User(r.Context()) != nil {
		seeOther(w, orHome(next))
		return
	}
	token, err := h.loginToken(w, r)
	if err != nil {
		h.internalError(w, r, "sign-in form token", err)
		return
	}
	f := loginForm{Next: next}
	if h.sessions.Token(r) != "" {
		f.Notice = msgSessionEnded // a cookie, but no live session behind it
	}
	h.renderLogin(w, r, http.StatusOK, token, f)
}

func (h *Handler) renderLogin(w http.ResponseWriter, r *http.Request, status int, token string, f loginForm) {
	v := h.view(r, "Sign in", f)
	v.CSRFToken = token
	h.renderView(w, r, status, "login", v)
}

func orHome(path string) string {
	if path == "" {
		return "/"
	}
	return path
}

// The sign-in form has no session yet, so its CSRF token rides in a cookie
// of its own (double submit): a page of another site can neither read it
// nor, with the __Host- prefix over HTTPS, set it. The cross-origin check
// guards the form as well.
const (
	loginCookieName       = "callroute_login"
	secureLoginCookieName = "__Host-callroute_login"
	loginCookieMaxAge     = 12 * 60 * 60 // a form left open all day still works
)

func (h *Handler) loginCookieName() string {
	if h.sessions.HTTPS() {
		return secureLoginCookieName
	}
	return loginCookieName
}

// loginToken is the sign-in form's token: the browser's, or a new one.
func (h *Handler) loginToken(w http.ResponseWriter, r *http.Request) (string, error) {
	if c, err := r.Cookie(h.loginCookieName()); err == nil && len(c.Value) >= 32 {
		return c.Value, nil
	}
	return h.newLoginToken(w)
}

func (h *Handler) newLoginToken(w http.ResponseWriter) (string, error) {
	token, err := crm.NewCSRFToken()
	if err != nil {
		return "", err
	}
	h.setLoginCookie(w, token, loginCookieMaxAge)
	return token, nil
}

func (h *Handler) setLoginCookie(w http.ResponseWriter, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: h.loginCookieName(), Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: h.sessions.HTTPS(), SameSite: http.SameSiteLaxMode})
}
