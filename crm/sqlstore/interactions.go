package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"callroute/crm"
)

const interactionColumns = "id, kind, direction, contact_id, company_id, interest_id, at, user_id, call_id, caller_e164, " +
	"outcome, answered_by, ring_seconds, talk_seconds, route, subject, notes, recording, recorded_at, " +
	"wrap_up_outcome, wrap_up_note, wrapped_up_at, wrapped_up_by, created_at, created_by"

func interactionDest(it *crm.Interaction) []any {
	return []any{i64(&it.ID), st(&it.Kind), st(&it.Direction), i64(&it.ContactID), i64(&it.CompanyID), i64(&it.InterestID),
		tm(&it.At), i64(&it.UserID), st(&it.CallID), st(&it.CallerE164), st(&it.Outcome), i64(&it.AnsweredBy),
		iN(&it.RingSeconds), iN(&it.TalkSeconds), js(&it.Route), st(&it.Subject), st(&it.Notes), st(&it.Recording),
		tmp(&it.RecordedAt), st(&it.WrapUpOutcome), st(&it.WrapUpNote), tmp(&it.WrappedUpAt), i64(&it.WrappedUpBy),
		tm(&it.CreatedAt), i64(&it.CreatedBy)}
}

// AddInteraction writes a timeline entry. One with a CallID is routing's
// record of a call, merged into the call's row (recordCall); *it is then
// the row as stored. The interest's LastActivityAt moves to it.At when that
// is later.
func (s *Store) AddInteraction(ctx context.Context, a crm.Actor, it *crm.Interaction) error {
	now := utc(s.now())
	if it.CallID != "" {
		var stored *crm.Interaction
		err := s.inTx(ctx, func(r runner) error {
			var err error
			stored, err = r.recordCall(ctx, now, a, it)
			return err
		})
		if err != nil {
			return err
		}
		*it = *stored
		return nil
	}
	at := now
	if !it.At.IsZero() {
		at = utc(it.At)
	}
	var id int64
	err := s.inTx(ctx, func(r runner) error {
		var err error
		id, err = r.insert(ctx, `INSERT INTO interactions (kind, direction, contact_id, company_id, interest_id, at, user_id,
			caller_e164, outcome, answered_by, ring_seconds, talk_seconds, route, subject, notes, recording, created_at, created_by)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			string(it.Kind), string(it.Direction), nid(it.ContactID), nid(it.CompanyID), nid(it.InterestID),
			r.d.ts(at), nid(it.UserID), it.CallerE164, string(it.Outcome), nid(it.AnsweredBy),
			it.RingSeconds, it.TalkSeconds, routeArg(it.Route), it.Subject, it.Notes, it.Recording, r.d.ts(now), nid(a.UserID))
		if err != nil {
			return fmt.Errorf("sqlstore: add interaction: %w", err)
		}
		if err := r.moveActivity(ctx, it.InterestID, at); err != nil {
			return err
		}
		data := map[string]any{"kind": it.Kind, "contact_id": it.ContactID}
		if it.InterestID != 0 {
			data["interest_id"] = it.InterestID
		}
		return r.logChange(ctx, now, a, crm.EntityInteraction, id, "create", data)
	})
	if err != nil {
		return err
	}
	it.ID, it.At, it.CreatedAt, it.CreatedBy = id, at, now, a.UserID
	return nil
}

// routeArg is the bind value of a call's route (NULL for none).
func routeArg(route json.RawMessage) any {
	if len(route) == 0 {
		return nil
	}
	return string(route)
}

// moveActivity moves an interest's LastActivityAt to at when that is
// later. It is no edit: the version stays, so calls and notes never cause
// edit conflicts.
func (r runner) moveActivity(ctx context.Context, interestID int64, at time.Time) error {
	if interestID == 0 {
		return nil
	}
	_, err := r.exec(ctx, "UPDATE interests SET last_activity_at = "+r.d.greatest+"(last_activity_at, ?) WHERE id = ?",
		r.d.ts(at), interestID)
	if err != nil {
		return fmt.Errorf("sqlstore: move interest activity: %w", err)
	}
	return nil
}

// InteractionByCallID returns the interaction of a call.
func (s *Store) InteractionByCallID(ctx context.Context, callID string) (*crm.Interaction, error) {
	it := &crm.Interaction{}
	err := s.r().row(ctx, "SELECT "+interactionColumns+" FROM interactions WHERE call_id = ? AND call_id <> ''", callID).
		Scan(interactionDest(it)...)
	if err := one(err, "call", callID); err != nil {
		return nil, err
	}
	return it, nil
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

// AddCalls writes several calls in one transaction (routing's group
// commit): each interaction merged into its call's row as AddInteraction
// does (recordCall: a retry changes nothing, what people captured during
// the call is kept), and each call-back task unless the call has one
// already (a retried write, or a call-back its wrap-up planned). Nothing in
// calls is changed unless every record is written.
func (s *Store) AddCalls(ctx context.Context, a crm.Actor, calls []crm.CallRecord) error {
	now := utc(s.now())
	stored := make([]*crm.Interaction, len(calls))
	tasks := make([]*crm.Task, len(calls)) // the tasks created, as stored
	err := s.hotTx(ctx, func(r runner) error {
		for i, c := range calls {
			it, err := r.recordCall(ctx, now, a, c.Interaction)
			if err != nil {
				return err
			}
			stored[i] = it
			if c.CallBack == nil {
				continue
			}
			var n int
			if err := r.row(ctx, "SELECT count(*) FROM tasks WHERE interaction_id = ? AND kind = ?",
				it.ID, string(crm.TaskCallBack)).Scan(&n); err != nil {
				return fmt.Errorf("sqlstore: call-back task of %s: %w", it.CallID, err)
			}
			if n > 0 {
				continue
			}
			t := *c.CallBack
			t.InteractionID = it.ID
			// The call's row may know the caller better than routing did
			// (a capture during the call).
			t.ContactID, t.CompanyID, t.InterestID = it.ContactID, it.CompanyID, it.InterestID
			tid, err := r.createTask(ctx, now, a, &t)
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
		*c.Interaction = *stored[i]
		if tasks[i] != nil {
			*c.CallBack = *tasks[i]
			normTask(c.CallBack)
			c.CallBack.Audit = createdAudit(now, a)
		}
	}
	return nil
}
