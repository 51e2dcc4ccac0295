package api

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"callroute/crm"
	"callroute/web/csrf"
	"callroute/web/session"
)

// realm names callroute in WWW-Authenticate challenges (RFC 6750 section 3).
const realm = "callroute"

type userKey struct{}

// authenticate lets through only requests with a valid API token
// (Authorization: Bearer, RFC 6750 section 2.1) or, when sessions are on, a
// valid session cookie, and puts the user in the request context. A bearer
// token is not an ambient credential (a browser never adds it by itself),
// so it needs no CSRF token; a cookie is, so an unsafe request with one
// must also carry the session's CSRF token in X-CSRF-Token. Either way the
// same role rules apply: every Service call acts as the user.
func (h *handler) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" && h.sessions != nil && h.sessions.Token(r) != "" {
			h.authenticateSession(next, w, r)
			return
		}
		token, ok := bearerToken(r.Header.Get("Authorization"))
		if !ok {
			// RFC 6750 section 3.1: no error code when the request has no
			// credentials at all.
			challenge(w, "", "sign in: send Authorization: Bearer <token>")
			return
		}
		u, err := h.svc.Authenticate(r.Context(), token)
		if errors.Is(err, crm.ErrUnauthenticated) {
			challenge(w, "invalid_token", "the token is unknown, revoked or its user is inactive")
			return
		}
		if err != nil {
			h.fail(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), userKey{}, u)))
	})
}

// authenticateSession is authenticate for a request with a session cookie.
func (h *handler) authenticateSession(next http.Handler, w http.ResponseWriter, r *http.Request) {
	sess, u, err := h.sessions.Authenticate(r)
	if errors.Is(err, crm.ErrUnauthenticated) {
		challenge(w, "invalid_token", "the session has ended: sign in again")
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !csrf.Safe(r.Method) && !csrf.HeaderMatches(r, sess.CSRFToken) {
		writeJSON(w, http.StatusForbidden, errorBody{Error: "missing or wrong CSRF token: send the page's token in " + csrf.HeaderName})
		return
	}
	ctx := session.NewContext(r.Context(), sess, u)
	next.ServeHTTP(w, r.WithContext(context.WithValue(ctx, userKey{}, u)))
}

// bearerToken takes the token from an Authorization header; the scheme is
// case-insensitive (RFC 7235 section 2.1).
func bearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// challenge answers 401 with a Bearer challenge.
func challenge(w http.ResponseWriter, code, message string) {
	v := `Bearer realm="` + realm + `"`
	if code != "" {
		v += `, error="` + code + `"`
	}
	w.Header().Set("WWW-Authenticate", v)
	writeJSON(w, http.StatusUnauthorized, errorBody{Error: message})
}

// user is the signed-in user; authenticate guarantees there is one.
func user(r *http.Request) *crm.User {
	return r.Context().Value(userKey{}).(*crm.User)
}

// actor is who the request acts as in every Service call.
func actor(r *http.Request) crm.Actor { return crm.ActorOf(user(r)) }
