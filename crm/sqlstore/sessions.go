package sqlstore

import (
	"context"
	"fmt"
	"time"

	"callroute/crm"
)

const sessionColumns = "id, user_id, token_hash, csrf_token, source, user_agent, created_at, last_seen_at"

func sessionDest(s *crm.Session) []any {
	return []any{i64(&s.ID), i64(&s.UserID), st(&s.TokenHash), st(&s.CSRFToken), st(&s.Source), st(&s.UserAgent),
		tm(&s.CreatedAt), tm(&s.LastSeenAt)}
}

func (s *Store) CreateSession(ctx context.Context, sess *crm.Session) error {
	var id int64
	err := s.inTx(ctx, func(r runner) error {
		var err error
		id, err = r.insert(ctx, `INSERT INTO sessions (user_id, token_hash, csrf_token, source, user_agent, created_at, last_seen_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`,
			sess.UserID, sess.TokenHash, sess.CSRFToken, sess.Source, sess.UserAgent, s.d.ts(sess.CreatedAt), s.d.ts(sess.LastSeenAt))
		if err != nil {
			if kind, _, ok := constraint(err); ok && kind == "foreign_key" {
				return &crm.FieldError{Field: "user_id", Message: fmt.Sprintf("no user %d", sess.UserID)}
			}
			return fmt.Errorf("sqlstore: create session: %w", err)
		}
		return r.logChange(ctx, sess.CreatedAt, crm.Actor{UserID: sess.UserID}, crm.EntityUser, sess.UserID, "sign_in",
			map[string]any{"session_id": id, "source": sess.Source})
	})
	if err != nil {
		return err
	}
	sess.ID = id
	sess.CreatedAt, sess.LastSeenAt = utc(sess.CreatedAt), utc(sess.LastSeenAt)
	return nil
}

func (s *Store) SessionByTokenHash(ctx context.Context, hash string) (*crm.Session, *crm.User, error) {
	sess, u := &crm.Session{}, &crm.User{}
	err := s.r().row(ctx, "SELECT "+cols("s", sessionColumns)+", "+cols("u", userColumns)+
		" FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?", hash).
		Scan(append(sessionDest(sess), userDest(u)...)...)
	if err := one(err, "session", "(hash)"); err != nil {
		return nil, nil, err
	}
	return sess, u, nil
}

func (s *Store) TouchSession(ctx context.Context, id int64, at time.Time) error {
	if _, err := s.r().exec(ctx, "UPDATE sessions SET last_seen_at = ? WHERE id = ?", s.d.ts(at), id); err != nil {
		return fmt.Errorf("sqlstore: touch session %d: %w", id, err)
	}
	return nil
}

func (s *Store) EndSession(ctx context.Context, a crm.Actor, id int64) error {
	now := utc(s.now())
	return s.inTx(ctx, func(r runner) error {
		var userID int64
		err := r.row(ctx, "DELETE FROM sessions WHERE id = ? RETURNING user_id", id).Scan(&userID)
		if err := one(err, "session", id); err != nil {
			return err
		}
		if a.UserID == 0 {
			return nil // expired, or replaced by a new sign-in: not an event of its own
		}
		return r.logChange(ctx, now, a, crm.EntityUser, userID, "sign_out", map[string]any{"session_id": id})
	})
}

func (s *Store) EndUserSessions(ctx context.Context, a crm.Actor, userID int64) (int, error) {
	now := utc(s.now())
	var n int64
	err := s.inTx(ctx, func(r runner) error {
		var err error
		if n, err = r.execN(ctx, "DELETE FROM sessions WHERE user_id = ?", userID); err != nil {
			return fmt.Errorf("sqlstore: end sessions of user %d: %w", userID, err)
		}
		if n == 0 {
			return nil
		}
		return r.logChange(ctx, now, a, crm.EntityUser, userID, "end_sessions", map[string]any{"count": n})
	})
	return int(n), err
}

func (s *Store) DeleteExpiredSessions(ctx context.Context, createdBefore, seenBefore time.Time) (int, error) {
	n, err := s.r().execN(ctx, "DELETE FROM sessions WHERE created_at < ? OR last_seen_at < ?",
		s.d.ts(createdBefore), s.d.ts(seenBefore))
	if err != nil {
		return 0, fmt.Errorf("sqlstore: delete expired sessions: %w", err)
	}
	return int(n), nil
}

func (s *Store) AddSignInAttempt(ctx context.Context, at crm.SignInAttempt, forgetBefore time.Time) error {
	r := s.r()
	// Two autocommit statements, not one transaction: the count that
	// follows must see every attempt committed before it (see crm.Store).
	if _, err := r.exec(ctx, "DELETE FROM sign_in_attempts WHERE at < ?", s.d.ts(forgetBefore)); err != nil {
		return fmt.Errorf("sqlstore: forget old sign-in attempts: %w", err)
	}
	if _, err := r.exec(ctx, "INSERT INTO sign_in_attempts (source, email_key, at) VALUES (?, ?, ?)",
		at.Source, at.EmailKey, s.d.ts(at.At)); err != nil {
		return fmt.Errorf("sqlstore: add sign-in attempt: %w", err)
	}
	return nil
}

func (s *Store) CountSignInAttempts(ctx context.Context, source, emailKey string, since time.Time) (fromSource, forAccount int, err error) {
	err = s.r().row(ctx, `SELECT COUNT(*), COUNT(CASE WHEN email_key = ? THEN 1 END)
		FROM sign_in_attempts WHERE source = ? AND at >= ?`, emailKey, source, s.d.ts(since)).Scan(&fromSource, &forAccount)
	if err != nil {
		return 0, 0, fmt.Errorf("sqlstore: count sign-in attempts: %w", err)
	}
	return fromSource, forAccount, nil
}

func (s *Store) ClearSignInAttempts(ctx context.Context, source, emailKey string) error {
	if _, err := s.r().exec(ctx, "DELETE FROM sign_in_attempts WHERE source = ? AND email_key = ?", source, emailKey); err != nil {
		return fmt.Errorf("sqlstore: clear sign-in attempts: %w", err)
	}
	return nil
}
