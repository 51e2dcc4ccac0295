package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"callroute/crm"
)

const interestColumns = "id, contact_id, company_id, title, need, stage, lost_reason, owner_id, next_follow_up, notes, " +
	"last_activity_at, closed_at, version, created_at, created_by, updated_at, updated_by"

func interestDest(i *crm.Interest) []any {
	return []any{i64(&i.ID), i64(&i.ContactID), i64(&i.CompanyID), st(&i.Title), st(&i.Need), st(&i.Stage),
		st(&i.LostReason), i64(&i.OwnerID), tmp(&i.NextFollowUp), st(&i.Notes), tm(&i.LastActivityAt), tmp(&i.ClosedAt),
		i64(&i.Version), tm(&i.CreatedAt), i64(&i.CreatedBy), tm(&i.UpdatedAt), i64(&i.UpdatedBy)}
}

// openStage is the SQL condition of an open interest; the partial indexes
// use the same text.
const openStage = "stage NOT IN ('won', 'lost')"

func stageOrNew(s crm.Stage) crm.Stage {
	if s == "" {
		return crm.StageNew
	}
	return s
}

// utcPtr normalises an optional time.
func utcPtr(t *crm.Interest) {
	if t.NextFollowUp != nil {
		v := utc(*t.NextFollowUp)
		t.NextFollowUp = &v
	}
	if t.ClosedAt != nil {
		v := utc(*t.ClosedAt)
		t.ClosedAt = &v
	}
}

func (s *Store) CreateInterest(ctx context.Context, a crm.Actor, i *crm.Interest) error {
	now := utc(s.now())
	var id int64
	err := s.inTx(ctx, func(r runner) error {
		var err error
		id, err = r.createInterest(ctx, now, a, i)
		return err
	})
	if err != nil {
		return err
	}
	createdInterest(i, id, now, a)
	return nil
}

// createInterest inserts an interest and logs it; createdInterest brings i
// in line once the transaction commits.
func (r runner) createInterest(ctx context.Context, now time.Time, a crm.Actor, i *crm.Interest) (int64, error) {
	stage := stageOrNew(i.Stage)
	id, err := r.insert(ctx, `INSERT INTO interests (contact_id, company_id, title, need, stage, lost_reason, owner_id,
		next_follow_up, notes, last_activity_at, closed_at, version, created_at, created_by, updated_at, updated_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)`,
		nid(i.ContactID), nid(i.CompanyID), i.Title, i.Need, string(stage), string(i.LostReason), nid(i.OwnerID),
		r.d.tsp(i.NextFollowUp), i.Notes, r.d.ts(lastActivity(i, now)), r.d.tsp(i.ClosedAt),
		r.d.ts(now), nid(a.UserID), r.d.ts(now), nid(a.UserID))
	if err != nil {
		return 0, fmt.Errorf("sqlstore: create interest: %w", err)
	}
	return id, r.logChange(ctx, now, a, crm.EntityInterest, id, "create",
		map[string]any{"title": i.Title, "stage": stage, "owner_id": i.OwnerID, "contact_id": i.ContactID, "company_id": i.CompanyID})
}

// lastActivity is a new interest's LastActivityAt: as given, else now.
func lastActivity(i *crm.Interest, now time.Time) time.Time {
	if i.LastActivityAt.IsZero() {
		return now
	}
	return utc(i.LastActivityAt)
}

func createdInterest(i *crm.Interest, id int64, now time.Time, a crm.Actor) {
	i.ID, i.Stage, i.LastActivityAt = id, stageOrNew(i.Stage), lastActivity(i, now)
	utcPtr(i)
	i.Audit = createdAudit(now, a)
}

func (r runner) getInterest(ctx context.Context, id int64) (*crm.Interest, error) {
	i := &crm.Interest{}
	err := r.row(ctx, "SELECT "+interestColumns+" FROM interests WHERE id = ?", id).Scan(interestDest(i)...)
	if err := one(err, "interest", id); err != nil {
		return nil, err
	}
	return i, nil
}

func (s *Store) GetInterest(ctx context.Context, id int64) (*crm.Interest, error) {
	return s.r().getInterest(ctx, id)
}

func (s *Store) ListInterests(ctx context.Context, f crm.InterestFilter) ([]crm.Interest, error) {
	var w where
	if f.ContactID != 0 {
		w.add("i.contact_id = ?", f.ContactID)
	}
	if f.CompanyID != 0 {
		w.add("i.company_id = ?", f.CompanyID)
	}
	if f.OwnerID != 0 {
		w.add("i.owner_id = ?", f.OwnerID)
	}
	if f.Stage != "" {
		w.add("i.stage = ?", string(f.Stage))
	}
	if f.OpenOnly || f.FollowUpBefore != nil {
		w.add("i." + openStage)
	}
	if f.FollowUpBefore != nil {
		w.add("i.next_follow_up < ?", s.d.ts(*f.FollowUpBefore))
	}
	if len(f.VisibleTo) > 0 {
		w.inList("i.owner_id IN (%s)"+
			" OR i.contact_id IN (SELECT vc.id FROM contacts vc WHERE vc.owner_id IN (%s))"+
			" OR i.company_id IN (SELECT vco.id FROM companies vco WHERE vco.owner_id IN (%s))", f.VisibleTo)
	}
	q := "SELECT " + cols("i", interestColumns) + " FROM interests i" + w.String() +
		" ORDER BY i.last_activity_at DESC, i.id DESC" + w.page(f.Limit, f.Offset)
	return queryAll(ctx, s.r(), "list interests", interestDest, q, w.args...)
}

// UpdateInterest writes the interest; LastActivityAt moves to the later of
// the time of the change and i.LastActivityAt (it never moves back).
func (s *Store) UpdateInterest(ctx context.Context, a crm.Actor, i *crm.Interest) error {
	now := utc(s.now())
	utcPtr(i)
	var lastAt time.Time
	err := s.inTx(ctx, func(r runner) error {
		var err error
		lastAt, err = r.updateInterest(ctx, now, a, i)
		return err
	})
	if err != nil {
		return err
	}
	i.Stage = stageOrNew(i.Stage)
	i.LastActivityAt = lastAt
	bumpAudit(&i.Audit, now, a)
	return nil
}

// updateInterest writes an interest as updateCompany writes a company, and
// returns its LastActivityAt as stored.
func (r runner) updateInterest(ctx context.Context, now time.Time, a crm.Actor, i *crm.Interest) (time.Time, error) {
	activity := now
	if i.LastActivityAt.After(now) {
		activity = utc(i.LastActivityAt)
	}
	stage := stageOrNew(i.Stage)
	old, err := r.getInterest(ctx, i.ID)
	if err != nil {
		return time.Time{}, err
	}
	var lastAt time.Time
	err = r.row(ctx, `UPDATE interests SET contact_id = ?, company_id = ?, title = ?, need = ?, stage = ?,
		lost_reason = ?, owner_id = ?, next_follow_up = ?, notes = ?, closed_at = ?,
		last_activity_at = `+r.d.greatest+`(last_activity_at, ?),
		version = version + 1, updated_at = ?, updated_by = ? WHERE id = ? AND version = ?
		RETURNING last_activity_at`,
		nid(i.ContactID), nid(i.CompanyID), i.Title, i.Need, string(stage), string(i.LostReason), nid(i.OwnerID),
		r.d.tsp(i.NextFollowUp), i.Notes, r.d.tsp(i.ClosedAt), r.d.ts(activity),
		r.d.ts(now), nid(a.UserID), i.ID, i.Version).Scan(tm(&lastAt))
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, r.missingOrConflict(ctx, "interests", "interest", i.ID)
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("sqlstore: update interest: %w", err)
	}
	d := diff{}
	d.field("contact_id", old.ContactID, i.ContactID)
	d.field("company_id", old.CompanyID, i.CompanyID)
	d.field("title", old.Title, i.Title)
	d.flag("need", old.Need, i.Need)
	d.field("stage", old.Stage, stage)
	d.field("lost_reason", old.LostReason, i.LostReason)
	d.field("owner_id", old.OwnerID, i.OwnerID)
	d.timeField("next_follow_up", old.NextFollowUp, i.NextFollowUp)
	d.flag("notes", old.Notes, i.Notes)
	d.timeField("closed_at", old.ClosedAt, i.ClosedAt)
	return lastAt, r.logChange(ctx, now, a, crm.EntityInterest, i.ID, "update", d)
}
