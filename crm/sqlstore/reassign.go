package sqlstore

import (
	"context"
	"fmt"
	"strconv"

	"callroute/crm"
)

// EntityReassignment names reassignments in the change log.
const EntityReassignment crm.Entity = "reassignment"

// owned is a table whose rows have an owner that a reassignment moves.
type owned struct {
	entity crm.Entity
	table  string
	col    string // the owner column
}

var ownedTables = []owned{
	{crm.EntityCompany, "companies", "owner_id"},
	{crm.EntityContact, "contacts", "owner_id"},
	{crm.EntityInterest, "interests", "owner_id"},
	{crm.EntityTask, "tasks", "assignee_id"},
}

// scope is which rows of one owned table (alias t) a request moves.
type scope struct {
	cond string
	args []any
}

const (
	openInterest = "t." + openStage
	openTask     = "t.done_at IS NULL"
)

// scopes says, per entity, what a request moves: for a contact, the contact,
// its open interests and open tasks; for a company, the company, its
// contacts, and the open interests and open tasks of the company or of its
// contacts; for a manager, every company, contact, open interest and open
// task (as assignee) of theirs.
func scopes(req crm.ReassignRequest) (map[crm.Entity]scope, error) {
	n := 0
	for _, v := range []int64{req.ContactID, req.CompanyID, req.FromUserID} {
		if v != 0 {
			n++
		}
	}
	if n != 1 {
		return nil, &crm.FieldError{Field: "contact_id", Message: "give exactly one of contact_id, company_id or from_user_id"}
	}
	switch {
	case req.ContactID != 0:
		x := req.ContactID
		return map[crm.Entity]scope{
			crm.EntityContact:  {"t.id = ?", []any{x}},
			crm.EntityInterest: {"t.contact_id = ? AND " + openInterest, []any{x}},
			crm.EntityTask:     {"t.contact_id = ? AND " + openTask, []any{x}},
		}, nil
	case req.CompanyID != 0:
		x := req.CompanyID
		ofCompany := "(t.company_id = ? OR t.contact_id IN (SELECT sc.id FROM contacts sc WHERE sc.company_id = ?))"
		return map[crm.Entity]scope{
			crm.EntityCompany:  {"t.id = ?", []any{x}},
			crm.EntityContact:  {"t.company_id = ?", []any{x}},
			crm.EntityInterest: {ofCompany + " AND " + openInterest, []any{x, x}},
			crm.EntityTask:     {ofCompany + " AND " + openTask, []any{x, x}},
		}, nil
	default:
		u := req.FromUserID
		return map[crm.Entity]scope{
			crm.EntityCompany:  {"t.owner_id = ?", []any{u}},
			crm.EntityContact:  {"t.owner_id = ?", []any{u}},
			crm.EntityInterest: {"t.owner_id = ? AND " + openInterest, []any{u}},
			crm.EntityTask:     {"t.assignee_id = ? AND " + openTask, []any{u}},
		}, nil
	}
}

// Reassign moves ownership in one transaction and records every previous
// owner in reassignment_items.
func (s *Store) Reassign(ctx context.Context, a crm.Actor, req crm.ReassignRequest) (*crm.Reassignment, error) {
	sc, err := scopes(req)
	if err != nil {
		return nil, err
	}
	now := utc(s.now())
	var out *crm.Reassignment
	err = s.inTx(ctx, func(r runner) error {
		ok, err := r.exists(ctx, "users", req.ToUserID)
		if err != nil {
			return err
		}
		if !ok {
			return &crm.FieldError{Field: "to_user_id", Message: fmt.Sprintf("no user %d", req.ToUserID)}
		}
		id, err := r.insert(ctx, `INSERT INTO reassignments (contact_id, company_id, from_user_id, to_user_id, note, created_at, created_by)
			VALUES (?, ?, ?, ?, ?, ?, ?)`,
			nid(req.ContactID), nid(req.CompanyID), nid(req.FromUserID), req.ToUserID, req.Note, r.d.ts(now), nid(a.UserID))
		if err != nil {
			if kind, _, ok := constraint(err); ok && kind == "foreign_key" {
				return &crm.FieldError{Field: "contact_id", Message: "the contact, company or user to move does not exist"}
			}
			return fmt.Errorf("sqlstore: reassign: %w", err)
		}
		for _, o := range ownedTables {
			p, ok := sc[o.entity]
			if !ok {
				continue
			}
			args := append([]any{id}, p.args...)
			args = append(args, req.ToUserID)
			_, err := r.exec(ctx, `INSERT INTO reassignment_items (reassignment_id, entity, entity_id, prev_owner_id)
				SELECT CAST(? AS BIGINT), '`+string(o.entity)+`', t.id, t.`+o.col+` FROM `+o.table+` t
				WHERE `+p.cond+` AND (t.`+o.col+` IS NULL OR t.`+o.col+` <> ?) ORDER BY t.id`+r.d.forUpdate, args...)
			if err != nil {
				return fmt.Errorf("sqlstore: reassign %s: %w", o.table, err)
			}
			_, err = r.exec(ctx, `UPDATE `+o.table+` SET `+o.col+` = ?, version = version + 1, updated_at = ?, updated_by = ?
				WHERE id IN (SELECT entity_id FROM reassignment_items WHERE reassignment_id = ? AND entity = '`+string(o.entity)+`')`,
				req.ToUserID, r.d.ts(now), nid(a.UserID), id)
			if err != nil {
				return fmt.Errorf("sqlstore: reassign %s: %w", o.table, err)
			}
		}
		prefix := `{"reassignment_id":` + strconv.FormatInt(id, 10) + `,"to":` + strconv.FormatInt(req.ToUserID, 10) + `,"from":`
		if _, err := r.exec(ctx, `INSERT INTO changes (at, user_id, entity, entity_id, action, data)
			SELECT CAST(? AS `+r.d.tsType+`), CAST(? AS BIGINT), entity, entity_id, 'reassign',
				CAST(CAST(? AS TEXT) || COALESCE(CAST(prev_owner_id AS TEXT), 'null') || '}' AS `+r.d.jsonType+`)
			FROM reassignment_items WHERE reassignment_id = ? ORDER BY id`,
			r.d.ts(now), nid(a.UserID), prefix, id); err != nil {
			return fmt.Errorf("sqlstore: reassign change log: %w", err)
		}
		out, err = r.getReassignment(ctx, id, false)
		if err != nil {
			return err
		}
		return r.logChange(ctx, now, a, EntityReassignment, id, "create", map[string]any{
			"contact_id": req.ContactID, "company_id": req.CompanyID, "from_user_id": req.FromUserID,
			"to_user_id": req.ToUserID, "items": len(out.Items)})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (r runner) getReassignment(ctx context.Context, id int64, lock bool) (*crm.Reassignment, error) {
	re := &crm.Reassignment{}
	q := `SELECT id, contact_id, company_id, from_user_id, to_user_id, note, created_at, created_by, undone_at, undone_by, skipped
		FROM reassignments WHERE id = ?`
	if lock {
		q += r.d.forUpdate
	}
	err := r.row(ctx, q, id).Scan(i64(&re.ID), i64(&re.ContactID), i64(&re.CompanyID), i64(&re.FromUserID), i64(&re.ToUserID),
		st(&re.Note), tm(&re.CreatedAt), i64(&re.CreatedBy), tmp(&re.UndoneAt), i64(&re.UndoneBy), iN(&re.Skipped))
	if err := one(err, "reassignment", id); err != nil {
		return nil, err
	}
	item := func(it *crm.ReassignedItem) []any {
		return []any{st(&it.Entity), i64(&it.EntityID), i64(&it.PrevOwnerID)}
	}
	re.Items, err = queryAll(ctx, r, "reassignment items", item,
		`SELECT entity, entity_id, prev_owner_id FROM reassignment_items WHERE reassignment_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	return re, nil
}

func (s *Store) GetReassignment(ctx context.Context, id int64) (*crm.Reassignment, error) {
	// Items never change once written, so no transaction is needed.
	return s.r().getReassignment(ctx, id, false)
}

// UndoReassignment gives each item back to its previous owner when its
// owner is still the reassignment's target; the others count as Skipped.
func (s *Store) UndoReassignment(ctx context.Context, a crm.Actor, id int64) (*crm.Reassignment, error) {
	now := utc(s.now())
	var out *crm.Reassignment
	err := s.inTx(ctx, func(r runner) error {
		re, err := r.getReassignment(ctx, id, true)
		if err != nil {
			return err
		}
		if re.UndoneAt != nil {
			return fmt.Errorf("reassignment %d was already undone: %w", id, crm.ErrConflict)
		}
		restored := 0
		for _, o := range ownedTables {
			ent := "'" + string(o.entity) + "'"
			items := "SELECT ri.entity_id FROM reassignment_items ri WHERE ri.reassignment_id = ? AND ri.entity = " + ent
			if r.d.forUpdate != "" {
				if _, err := r.exec(ctx, "SELECT t.id FROM "+o.table+" t WHERE t.id IN ("+items+")"+r.d.forUpdate, id); err != nil {
					return fmt.Errorf("sqlstore: undo reassignment: %w", err)
				}
			}
			_, err := r.exec(ctx, `INSERT INTO changes (at, user_id, entity, entity_id, action, data)
				SELECT CAST(? AS `+r.d.tsType+`), CAST(? AS BIGINT), ri.entity, ri.entity_id, 'undo',
					CAST(CAST(? AS TEXT) || COALESCE(CAST(ri.prev_owner_id AS TEXT), 'null') || '}' AS `+r.d.jsonType+`)
				FROM reassignment_items ri JOIN `+o.table+` t ON t.id = ri.entity_id
				WHERE ri.reassignment_id = ? AND ri.entity = `+ent+` AND t.`+o.col+` = ? ORDER BY ri.id`,
				r.d.ts(now), nid(a.UserID), `{"reassignment_id":`+strconv.FormatInt(id, 10)+`,"to":`, id, re.ToUserID)
			if err != nil {
				return fmt.Errorf("sqlstore: undo change log: %w", err)
			}
			n, err := r.execN(ctx, `UPDATE `+o.table+` SET `+o.col+` = (SELECT ri.prev_owner_id FROM reassignment_items ri
					WHERE ri.reassignment_id = ? AND ri.entity = `+ent+` AND ri.entity_id = `+o.table+`.id),
				version = version + 1, updated_at = ?, updated_by = ?
				WHERE id IN (`+items+`) AND `+o.col+` = ?`,
				id, r.d.ts(now), nid(a.UserID), id, re.ToUserID)
			if err != nil {
				return fmt.Errorf("sqlstore: undo reassignment %s: %w", o.table, err)
			}
			restored += int(n)
		}
		skipped := len(re.Items) - restored
		n, err := r.execN(ctx, "UPDATE reassignments SET undone_at = ?, undone_by = ?, skipped = ? WHERE id = ? AND undone_at IS NULL",
			r.d.ts(now), nid(a.UserID), skipped, id)
		if err != nil {
			return fmt.Errorf("sqlstore: undo reassignment: %w", err)
		}
		if n == 0 {
			return fmt.Errorf("reassignment %d was already undone: %w", id, crm.ErrConflict)
		}
		if err := r.logChange(ctx, now, a, EntityReassignment, id, "undo",
			map[string]any{"restored": restored, "skipped": skipped}); err != nil {
			return err
		}
		re.UndoneAt, re.UndoneBy, re.Skipped = &now, a.UserID, skipped
		out = re
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
