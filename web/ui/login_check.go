package ui

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"callroute/crm"
	"callroute/web/csrf"
	"callroute/web/session"
)

// loginCheck is POST /login: checks the form's token, then the email and
// password under the throttle; on success it starts a new session (a new
// token, ending the browser's previous one) and goes on to next.
func (h *Handler) loginCheck(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, csrf.MaxFormBytes)
	if err := r.ParseForm(); err != nil {
		h.renderError(w, r, http.StatusBadRequest, "Bad form", "The sign-in form could not be read.")
		return
	}
	f := loginForm{Next: localPath(r.PostForm.Get("next")), Email: r.PostForm.Get("email")}
	var want string
	if c, err := r.Cookie(h.loginCookieName()); err == nil {
		want = c.Value
	}
	if !csrf.Equal(r.PostForm.Get(csrf.FieldName), want) {
		token, err := h.newLoginToken(w)
		if err != nil {
			h.internalError(w, r, "sign-in form token", err)
			return
		}
		f.Error = msgFormExpired
		h.renderLogin(w, r, http.StatusForbidden, token, f)
		return
	}

	source := session.Source(r)
	signed, err := h.svc.SignIn(r.Context(), crm.SignInRequest{
		Email:     f.Email,
		Password:  r.PostForm.Get("password"),
		Source:    source,
		UserAgent: r.UserAgent(),
		Replace:   h.sessions.Token(r),
	})
	switch {
	case errors.Is(err, crm.ErrThrottled):
		h.log.WarnContext(r.Context(), "sign-in throttled", slog.String("source", source))
		w.Header().Set("Retry-After", strconv.Itoa(int(h.svc.SignInThrottle().Window.Seconds())))
		f.Error = msgThrottled
		h.renderLogin(w, r, http.StatusTooManyRequests, want, f)
		return
	case errors.Is(err, crm.ErrUnauthenticated):
		h.log.InfoContext(r.Context(), "sign-in failed", slog.String("source", source))
		f.Error = msgWrongCredentials
		h.renderLogin(w, r, http.StatusOK, want, f)
		return
	case err != nil:
		h.internalError(w, r, "sign in", err)
		return
	}
	h.log.InfoContext(r.Context(), "signed in", slog.Int64("user_id", signed.User.ID),
		slog.Int64("session_id", signed.Session.ID), slog.String("source", source))
	h.sessions.SetCookie(w, signed.Token)
	h.setLoginCookie(w, "", -1)
	seeOther(w, orHome(f.Next))
}
