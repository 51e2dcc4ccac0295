package sqlstore

import (
	"context"
	"fmt"
	"time"

	"callroute/crm"
)

const delegationColumns = "id, user_id, delegate_id, starts, ends, reason, ended_at, created_at, created_by"

func delegationDest(d *crm.Delegation) []any {
	return []any{i64(&d.ID), i64(&d.UserID), i64(&d.DelegateID), tm(&d.Starts), tm(&d.Ends), st(&d.Reason),
		tmp(&d.EndedAt), tm(&d.CreatedAt), i64(&d.CreatedBy)}
}

// activeDelegation is the SQL condition of a delegation in force at a time
// bound three times (alias d).
const activeDelegation = "d.starts <= ? AND d.ends > ? AND (d.ended_at IS NULL OR d.ended_at > ?)"

func (s *Store) CreateDelegation(ctx context.Context, a crm.Actor, dl *crm.Delegation) error {
	now := utc(s.now())
	dl.Starts, dl.Ends = utc(dl.Starts), utc(dl.Ends)
	if dl.EndedAt != nil {
		v := utc(*dl.EndedAt)
		dl.EndedAt = &v
	}
	var id int64
	err := s.inTx(ctx, func(r runner) error {
		var err error
		id, err = r.insert(ctx, `INSERT INTO delegations (user_id, delegate_id, starts, ends, reason, ended_at, created_at, created_by)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			dl.UserID, dl.DelegateID, r.d.ts(dl.Starts), r.d.ts(dl.Ends), dl.Reason, r.d.tsp(dl.EndedAt),
			r.d.ts(now), nid(a.UserID))
		if err != nil {
			return fmt.Errorf("sqlstore: create delegation: %w", err)
		}
		return r.logChange(ctx, now, a, crm.EntityDelegation, id, "create", map[string]any{
			"user_id": dl.UserID, "delegate_id": dl.DelegateID, "starts": dl.Starts, "ends": dl.Ends})
	})
	if err != nil {
		return err
	}
	dl.ID, dl.CreatedAt, dl.CreatedBy = id, now, a.UserID
	return nil
}

func (r runner) getDelegation(ctx context.Context, id int64) (*crm.Delegation, error) {
	dl := &crm.Delegation{}
	err := r.row(ctx, "SELECT "+delegationColumns+" FROM delegations WHERE id = ?", id).Scan(delegationDest(dl)...)
	if err := one(err, "delegation", id); err != nil {
		return nil, err
	}
	return dl, nil
}

func (s *Store) GetDelegation(ctx context.Context, id int64) (*crm.Delegation, error) {
	return s.r().getDelegation(ctx, id)
}

// ListDelegations lists delegations by start time.
func (s *Store) ListDelegations(ctx context.Context, f crm.DelegationFilter) ([]crm.Delegation, error) {
	var w where
	if f.UserID != 0 {
		w.add("d.user_id = ?", f.UserID)
	}
	if f.ActiveAt != nil {
		at := s.d.ts(*f.ActiveAt)
		w.add(activeDelegation, at, at, at)
	}
	return queryAll(ctx, s.r(), "list delegations", delegationDest, "SELECT "+cols("d", delegationColumns)+
		" FROM delegations d"+w.String()+" ORDER BY d.starts, d.id LIMIT 1000", w.args...)
}

// EndDelegation ends a delegation early at the given time. Ending one that
// was already ended by hand is ErrConflict.
func (s *Store) EndDelegation(ctx context.Context, a crm.Actor, id int64, at time.Time) error {
	now := utc(s.now())
	at = utc(at)
	return s.inTx(ctx, func(r runner) error {
		n, err := r.execN(ctx, "UPDATE delegations SET ended_at = ? WHERE id = ? AND ended_at IS NULL", r.d.ts(at), id)
		if err != nil {
			return fmt.Errorf("sqlstore: end delegation: %w", err)
		}
		if n == 0 {
			ok, err := r.exists(ctx, "delegations", id)
			if err != nil {
				return err
			}
			if !ok {
				return notFound("delegation", id)
			}
			return fmt.Errorf("delegation %d was already ended: %w", id, crm.ErrConflict)
		}
		return r.logChange(ctx, now, a, crm.EntityDelegation, id, "end", map[string]any{"ended_at": at})
	})
}
