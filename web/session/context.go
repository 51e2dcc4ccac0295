package session

import (
	"context"

	"callroute/crm"
)

type contextKey struct{}

type state struct {
	sess *crm.Session
	user *crm.User
}

// NewContext returns ctx carrying a signed-in session and its user (what
// Load does; tests of handlers use it directly).
func NewContext(ctx context.Context, sess *crm.Session, u *crm.User) context.Context {
	return context.WithValue(ctx, contextKey{}, state{sess: sess, user: u})
}

func from(ctx context.Context) state {
	s, _ := ctx.Value(contextKey{}).(state)
	return s
}

// User is the signed-in user of a request's context, nil when nobody is
// signed in. Behind the UI's sign-in check (every page but /login) it is
// never nil.
func User(ctx context.Context) *crm.User { return from(ctx).user }

// Current is the signed-in session of a request's context, nil when nobody
// is signed in.
func Current(ctx context.Context) *crm.Session { return from(ctx).sess }

// CSRFToken is the synchronizer token of the request's session ("" when
// nobody is signed in): pages put it in every form (csrf.FieldName) and in
// <meta name="csrf-token"> for fetch() (csrf.HeaderName).
func CSRFToken(ctx context.Context) string {
	if s := from(ctx).sess; s != nil {
		return s.CSRFToken
	}
	return ""
}
