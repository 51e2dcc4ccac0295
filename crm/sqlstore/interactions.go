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
	var w written
	err := s.inTx(ctx, func(r runner) error {
		var err error
		w, err = r.addInteraction(ctx, a, it, now, true)
		return err
	})
	if err != nil {
		return err
	}
	w.apply(it, now, a)
	return nil
}

// written is what addInteraction wrote, to apply to the interaction once
// the transaction is committed.
type written struct {
	id     int64
	at     time.Time
	stored *crm.Interaction // written before (by Call-ID): the stored one
}

func (w written) apply(it *crm.Interaction, now time.Time, a crm.Actor) {
	if w.stored != nil {
		*it = *w.stored
		return
	}
	it.ID, it.At, it.CreatedAt, it.CreatedBy = w.id, w.at, now, a.UserID
}

// addInteraction is AddInteraction inside a transaction; it leaves it
// unchanged. For a CallID written before it writes nothing and returns the
// stored entry: all of it with fetch, else only its ID.
func (r runner) addInteraction(ctx context.Context, a crm.Actor, it *crm.Interaction, now time.Time, fetch bool) (written, error) {
	w := written{at: now}
	if !it.At.IsZero() {
		w.at = utc(it.At)
	}
	var route any
	if len(it.Route) > 0 {
		route = string(it.Route)
	}
	q := `INSERT INTO interactions (kind, direction, contact_id, company_id, interest_id, at, user_id, call_id,
		caller_e164, outcome, answered_by, ring_seconds, talk_seconds, route, subject, notes, recording, created_at, created_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	if it.CallID != "" {
		q += " ON CONFLICT (call_id) WHERE call_id <> '' DO NOTHING"
	}
	err := r.row(ctx, q+" RETURNING id",
		string(it.Kind), string(it.Direction), nid(it.ContactID), nid(it.CompanyID), nid(it.InterestID),
		r.d.ts(w.at), nid(it.UserID), it.CallID, it.CallerE164, string(it.Outcome), nid(it.AnsweredBy),
		it.RingSeconds, it.TalkSeconds, route, it.Subject, it.Notes, it.Recording, r.d.ts(now), nid(a.UserID)).Scan(&w.id)
	if errors.Is(err, sql.ErrNoRows) && it.CallID != "" {
		// Written before: hand back the stored one.
		w.stored = &crm.Interaction{}
		if fetch {
			err = r.row(ctx, "SELECT "+interactionColumns+" FROM interactions WHERE call_id = ?", it.CallID).Scan(interactionDest(w.stored)...)
		} else {
			err = r.row(ctx, "SELECT id FROM interactions WHERE call_id = ?", it.CallID).Scan(&w.stored.ID)
		}
		return w, one(err, "interaction with call id", it.CallID)
	}
	if err != nil {
		return w, fmt.Errorf("sqlstore: add interaction: %w", err)
	}
	if it.InterestID != 0 {
		_, err = r.exec(ctx, "UPDATE interests SET last_activity_at = "+r.d.greatest+"(last_activity_at, ?) WHERE id = ?",
			r.d.ts(w.at), it.InterestID)
		if err != nil {
			return w, fmt.Errorf("sqlstore: move interest activity: %w", err)
		}
	}
	data := map[string]any{"kind": it.Kind, "contact_id": it.ContactID}
	if it.CallID != "" {
		data["call_id"] = it.CallID
	}
	if it.InterestID != 0 {
		data["interest_id"] = it.InterestID
	}
	return w, r.logChange(ctx, now, a, crm.EntityInteraction, w.id, "create", data)
}

// AddCalls writes several calls in one transaction: each interaction as
// AddInteraction does (a CallID written before stays as it is, and the
// record gets the stored ID), and each call-back task unless its
// interaction has one already (a retried write). Nothing is changed in
// calls unless every record is written.
func (s *Store) AddCalls(ctx context.Context, a crm.Actor, calls []crm.CallRecord) error {
	now := utc(s.now())
	ws := make([]written, len(calls))
	tasks := make([]*crm.Task, len(calls)) // the tasks created, as stored
	err := s.hotTx(ctx, func(r runner) error {
		for i, c := range calls {
			w, err := r.addInteraction(ctx, a, c.Interaction, now, false)
			if err != nil {
				return err
			}
			ws[i] = w
			if c.CallBack == nil {
				continue
			}
			id := w.id
			if w.stored != nil {
				id = w.stored.ID
				var n int
				if err := r.row(ctx, "SELECT count(*) FROM tasks WHERE interaction_id = ?", id).Scan(&n); err != nil {
					return fmt.Errorf("sqlstore: call-back task of %s: %w", c.Interaction.CallID, err)
				}
				if n > 0 {
					continue
				}
			}
			t := *c.CallBack
			t.InteractionID = id
			tid, err := r.createTask(ctx, a, &t, now)
			if err != nil {
				return err
			}
			t.ID = tid
			tasks[i] = &t
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i, c := range calls {
		if ws[i].stored != nil {
			c.Interaction.ID = ws[i].stored.ID
		} else {
			ws[i].apply(c.Interaction, now, a)
		}
		if tasks[i] != nil {
			*c.CallBack = *tasks[i]
			normTask(c.CallBack)
			c.CallBack.Audit = createdAudit(now, a)
		}
	}
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
