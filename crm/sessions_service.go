package crm

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// SignInRequest is one try at signing in with email and password.
type SignInRequest struct {
	Email    string
	Password string
	// Source is the client's address as the throttle counts it (an IP, or
	// an IPv6 /64); required.
	Source    string
	UserAgent string
	// Replace is the token of the browser's current session, if any: it is
	// ended when the new one starts (a new token at every sign-in, ASVS 5.0
	// 7.2.4).
	Replace string
}

// SignedIn is a session just started: Token is the secret for the
// browser's cookie, shown once.
type SignedIn struct {
	User    *User
	Session *Session
	Token   string
}

// SignIn checks an email and password under the sign-in throttle and
// starts a session. A wrong password and an unknown email are both
// ErrUnauthenticated, and cost the same time (ASVS 5.0 6.3.8); too many
// failures from the source lately are ErrThrottled, without a password
// check.
func (s *Service) SignIn(ctx context.Context, in SignInRequest) (*SignedIn, error) {
	source := storable(in.Source, MaxSourceLen)
	if source == "" {
		return nil, fieldErr("source", "is required")
	}
	key := emailKey(in.Email)
	now := s.Now()
	t := s.throttle
	// The attempt is written before it is counted, and counted before the
	// password is checked: of many parallel tries, the last one written sees
	// all the others, so no burst gets past the limit.
	if err := s.store.AddSignInAttempt(ctx, SignInAttempt{Source: source, EmailKey: key, At: now}, now.Add(-t.Window)); err != nil {
		return nil, fmt.Errorf("sign in: record the attempt: %w", err)
	}
	fromSource, forAccount, err := s.store.CountSignInAttempts(ctx, source, key, now.Add(-t.Window))
	if err != nil {
		return nil, fmt.Errorf("sign in: count attempts: %w", err)
	}
	if forAccount > t.PerAccountSource || fromSource > t.PerSource {
		return nil, ErrThrottled
	}
	u, err := s.CheckPassword(ctx, key, in.Password)
	if err != nil {
		return nil, err
	}
	if err := s.store.ClearSignInAttempts(ctx, source, key); err != nil {
		return nil, fmt.Errorf("sign in: forget the attempts: %w", err)
	}
	token, hash, err := NewSessionToken()
	if err != nil {
		return nil, err
	}
	csrf, err := NewCSRFToken()
	if err != nil {
		return nil, err
	}
	sess := &Session{UserID: u.ID, TokenHash: hash, CSRFToken: csrf, Source: source,
		UserAgent: storable(in.UserAgent, MaxUserAgentLen), CreatedAt: now, LastSeenAt: now}
	if err := s.store.CreateSession(ctx, sess); err != nil {
		return nil, fmt.Errorf("sign in: store the session: %w", err)
	}
	if in.Replace != "" {
		if err := s.endSessionByToken(ctx, in.Replace); err != nil {
			return nil, err
		}
	}
	// Sessions that ran out are swept here: sign-ins are rare enough, and
	// every node signs people in.
	p := s.sessions
	if _, err := s.store.DeleteExpiredSessions(ctx, now.Add(-p.MaxAge), now.Add(-p.IdleTimeout)); err != nil {
		return nil, fmt.Errorf("sign in: sweep expired sessions: %w", err)
	}
	return &SignedIn{User: u, Session: sess, Token: token}, nil
}

// Session returns the live session a browser's token names, and its user,
// who is active; ErrUnauthenticated for an unknown, ended or expired
// session or an inactive user. Every call counts as activity (the idle
// timeout starts again), so pages and the softphone's WebSocket keep their
// session alive by using it. Role and activity come from the user record at
// each call: a change applies at the next request (ASVS 5.0 8.3.2).
func (s *Service) Session(ctx context.Context, token string) (*Session, *User, error) {
	if !strings.HasPrefix(token, sessionTokenPrefix) {
		return nil, nil, ErrUnauthenticated
	}
	sess, u, err := s.store.SessionByTokenHash(ctx, HashToken(token))
	if errors.Is(err, ErrNotFound) {
		return nil, nil, ErrUnauthenticated
	}
	if err != nil {
		return nil, nil, err
	}
	now := s.Now()
	if !u.Active || s.sessions.expired(sess, now) != "" {
		if err := s.store.EndSession(ctx, System, sess.ID); err != nil && !errors.Is(err, ErrNotFound) {
			return nil, nil, err
		}
		return nil, nil, ErrUnauthenticated
	}
	if now.Sub(sess.LastSeenAt) >= s.sessions.touchEvery() {
		if err := s.store.TouchSession(ctx, sess.ID, now); err != nil {
			return nil, nil, err
		}
		sess.LastSeenAt = now
	}
	return sess, u, nil
}

// SignOut ends a session in storage (ASVS 5.0 7.4.1): its token no longer
// works anywhere.
func (s *Service) SignOut(ctx context.Context, sess *Session) error {
	err := s.store.EndSession(ctx, Actor{UserID: sess.UserID}, sess.ID)
	if errors.Is(err, ErrNotFound) {
		return nil // already over
	}
	return err
}

func (s *Service) endSessionByToken(ctx context.Context, token string) error {
	if !strings.HasPrefix(token, sessionTokenPrefix) {
		return nil
	}
	old, _, err := s.store.SessionByTokenHash(ctx, HashToken(token))
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err == nil {
		err = s.store.EndSession(ctx, System, old.ID)
	}
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("end the previous session: %w", err)
	}
	return nil
}

// EndSessions ends every session of a user (ASVS 5.0 7.4.5): the head of
// sales for anyone, a user for themselves. It returns how many there were.
func (s *Service) EndSessions(ctx context.Context, a Actor, userID int64) (int, error) {
	if !isAdmin(a) && a.UserID != userID {
		return 0, fmt.Errorf("end another user's sessions: %w", ErrForbidden)
	}
	n, err := s.store.EndUserSessions(ctx, a, userID)
	if err != nil {
		return 0, fmt.Errorf("end the sessions of user %d: %w", userID, err)
	}
	return n, nil
}

// SetUserActive lets a user sign in again, or stops them (head of sales
// only). Deactivating ends all their sessions at once (ASVS 5.0 7.4.2); the
// sessions check the user at every request anyway.
func (s *Service) SetUserActive(ctx context.Context, a Actor, userID int64, active bool) error {
	if err := requireHead(a, "activate or deactivate a user"); err != nil {
		return err
	}
	u, err := s.store.GetUser(ctx, userID)
	if err != nil {
		return err
	}
	u.Active = active
	if err := s.store.UpdateUser(ctx, a, u); err != nil {
		return err
	}
	if !active {
		if _, err := s.store.EndUserSessions(ctx, a, userID); err != nil {
			return fmt.Errorf("end the sessions of user %d: %w", userID, err)
		}
	}
	return nil
}

// SessionPolicy is the service's session policy, defaults filled in.
func (s *Service) SessionPolicy() SessionPolicy { return s.sessions }

// SignInThrottle is the service's throttle, defaults filled in.
func (s *Service) SignInThrottle() SignInThrottle { return s.throttle }

// awaitPasswordSlot waits for one of the few argon2id slots: each check
// takes 64 MiB, so a burst of sign-ins must queue rather than exhaust
// memory. The returned func frees the slot.
func (s *Service) awaitPasswordSlot(ctx context.Context) (func(), error) {
	select {
	case s.pwSlots <- struct{}{}:
		return func() { <-s.pwSlots }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("wait to check a password: %w", ctx.Err())
	}
}

// passwordSlots is how many argon2id checks run at once (4 x 64 MiB).
const passwordSlots = 4
