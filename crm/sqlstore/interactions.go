package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"callroute/crm"
)

const interactionColumns = "id, kind, direction, contact_id, company_id, interest_id, at, user_id, call_id, caller_e164, " +
	"outcome, answered_by, ring_seconds, talk_seconds, route, subject, notes, recording, created_at, created_by"

func interactionDest(it *crm.Interaction) []any {
	return []any{i64(&it.ID), st(&it.Kind), st(&it.Direction), i64(&it.ContactID), i64(&it.CompanyID), i64(&it.InterestID),
		tm(&it.At), i64(&it.UserID), st(&it.CallID), st(&it.CallerE164), st(&it.Outcome), i64(&it.AnsweredBy),
		iN(&it.RingSeconds), iN(&it.TalkSeconds), js(&it.Route), st(&it.Subject), st(&it.Notes), st(&it.Recording),
		tm(&it.CreatedAt), i64(&it.CreatedBy)}
}

// AddInteraction writes a timeline entry; a CallID already written returns
// the stored entry instead (no error, nothing written). The interest's
// LastActivityAt moves to it.At when that is later.
func (s *Store) AddInteraction(ctx context.Context, a crm.Actor, it *crm.Interaction) error {
	now := utc(s.now())
	at := now
	if !it.At.IsZero() {
		at = utc(it.At)
	}
	var route any
	if len(it.Route) > 0 {
		route = string(it.Route)
	}
	var stored *crm.Interaction
	var id int64
	err := s.inTx(ctx, func(r runner) error {
		q := `INSERT INTO interactions (kind, direction, contact_id, company_id, interest_id, at, user_id, call_id,
			caller_e164, outcome, answered_by, ring_seconds, talk_seconds, route, subject, notes, recording, created_at, created_by)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
		if it.CallID != "" {
			q += " ON CONFLICT (call_id) WHERE call_id <> '' DO NOTHING"
		}
		err := r.row(ctx, q+" RETURNING id",
			string(it.Kind), string(it.Direction), nid(it.ContactID), nid(it.CompanyID), nid(it.InterestID),
			r.d.ts(at), nid(it.UserID), it.CallID, it.CallerE164, string(it.Outcome), nid(it.AnsweredBy),
			it.RingSeconds, it.TalkSeconds, route, it.Subject, it.Notes, it.Recording, r.d.ts(now), nid(a.UserID)).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) && it.CallID != "" {
			// Written before: hand back the stored one.
			stored = &crm.Interaction{}
			err = r.row(ctx, "SELECT "+interactionColumns+" FROM interactions WHERE call_id = ?", it.CallID).Scan(interactionDest(stored)...)
			return one(err, "interaction with call id", it.CallID)
		}
		if err != nil {
			return fmt.Errorf("sqlstore: add interaction: %w", err)
		}
		if it.InterestID != 0 {
			_, err = r.exec(ctx, "UPDATE interests SET last_activity_at = "+r.d.greatest+"(last_activity_at, ?) WHERE id = ?",
				r.d.ts(at), it.InterestID)
			if err != nil {
				return fmt.Errorf("sqlstore: move interest activity: %w", err)
			}
		}
		data := map[string]any{"kind": it.Kind, "contact_id": it.ContactID}
		if it.CallID != "" {
			data["call_id"] = it.CallID
		}
		if it.InterestID != 0 {
			data["interest_id"] = it.InterestID
		}
		return r.logChange(ctx, now, a, crm.EntityInteraction, id, "create", data)
	})
	if err != nil {
		return err
	}
	if stored != nil {
		*it = *stored
		return nil
	}
	it.ID, it.At, it.CreatedAt, it.CreatedBy = id, at, now, a.UserID
	return nil
}

func (s *Store) GetInteraction(ctx context.Context, id int64) (*crm.Interaction, error) {
	it := &crm.Interaction{}
	err := s.r().row(ctx, "SELECT "+interactionColumns+" FROM interactions WHERE id = ?", id).Scan(interactionDest(it)...)
	if err := one(err, "interaction", id); err != nil {
		return nil, err
	}
	return it, nil
}

// Timeline lists a contact's interactions, newest first.
func (s *Store) Timeline(ctx context.Context, contactID int64, n int) ([]crm.Interaction, error) {
	return queryAll(ctx, s.r(), "timeline", interactionDest,
		"SELECT "+interactionColumns+" FROM interactions WHERE contact_id = ? ORDER BY at DESC, id DESC LIMIT ?",
		contactID, limit(n))
}

// CallStats counts inbound calls in [from, to) per user (who answered, else
// whose call it was, else 0) and UTC day.
func (s *Store) CallStats(ctx context.Context, from, to time.Time) ([]crm.CallStat, error) {
	uid := "COALESCE(answered_by, user_id, 0)"
	day := s.d.day("at")
	dest := func(c *crm.CallStat) []any { return []any{i64(&c.UserID), st(&c.Day), iN(&c.Answered), iN(&c.Missed)} }
	return queryAll(ctx, s.r(), "call stats", dest, `SELECT `+uid+`, `+day+`,
			SUM(CASE WHEN outcome = 'answered' THEN 1 ELSE 0 END),
			SUM(CASE WHEN outcome = 'answered' THEN 0 ELSE 1 END)
		FROM interactions
		WHERE kind = 'call' AND direction = 'inbound' AND at >= ? AND at < ?
		GROUP BY `+uid+`, `+day+`
		ORDER BY 2, 1`, s.d.ts(from), s.d.ts(to))
}
