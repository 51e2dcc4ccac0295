package api

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"callroute/crm"
)

// realm names callroute in WWW-Authenticate challenges (RFC 6750 section 3).
const realm = "callroute"

type userKey struct{}

// authenticate lets through only requests with a valid API token
// (Authorization: Bearer, RFC 6750 section 2.1) and puts the user in the
// request context.
func (h *handler) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
