package sqlstore

import (
	"context"
	"fmt"
	"time"

	"callroute/crm"
)

const taskColumns = "id, kind, assignee_id, contact_id, company_id, interest_id, interaction_id, caller_e164, title, due, " +
	"done_at, notes, version, created_at, created_by, updated_at, updated_by"

func taskDest(t *crm.Task) []any {
	return []any{i64(&t.ID), st(&t.Kind), i64(&t.AssigneeID), i64(&t.ContactID), i64(&t.CompanyID), i64(&t.InterestID),
		i64(&t.InteractionID), st(&t.CallerE164), st(&t.Title), tm(&t.Due), tmp(&t.DoneAt), st(&t.Notes),
		i64(&t.Version), tm(&t.CreatedAt), i64(&t.CreatedBy), tm(&t.UpdatedAt), i64(&t.UpdatedBy)}
}

func normTask(t *crm.Task) {
	t.Due = utc(t.Due)
	if t.DoneAt != nil {
		v := utc(*t.DoneAt)
		t.DoneAt = &v
	}
}

func (s *Store) CreateTask(ctx context.Context, a crm.Actor, t *crm.Task) error {
	now := utc(s.now())
	var id int64
	err := s.inTx(ctx, func(r runner) error {
		var err error
		id, err = r.createTask(ctx, a, t, now)
		return err
	})
	if err != nil {
		return err
	}
	t.ID = id
	normTask(t)
	t.Audit = createdAudit(now, a)
	return nil
}

// createTask inserts a task and its change row in a transaction, and
// returns its ID.
func (r runner) createTask(ctx context.Context, a crm.Actor, t *crm.Task, now time.Time) (int64, error) {
	id, err := r.insert(ctx, `INSERT INTO tasks (kind, assignee_id, contact_id, company_id, interest_id, interaction_id,
		caller_e164, title, due, done_at, notes, version, created_at, created_by, updated_at, updated_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)`,
		string(t.Kind), nid(t.AssigneeID), nid(t.ContactID), nid(t.CompanyID), nid(t.InterestID), nid(t.InteractionID),
		t.CallerE164, t.Title, r.d.ts(t.Due), r.d.tsp(t.DoneAt), t.Notes,
		r.d.ts(now), nid(a.UserID), r.d.ts(now), nid(a.UserID))
	if err != nil {
		return 0, fmt.Errorf("sqlstore: create task: %w", err)
	}
	return id, r.logChange(ctx, now, a, crm.EntityTask, id, "create",
		map[string]any{"kind": t.Kind, "assignee_id": t.AssigneeID, "due": utc(t.Due)})
}

func (r runner) getTask(ctx context.Context, id int64) (*crm.Task, error) {
	t := &crm.Task{}
	err := r.row(ctx, "SELECT "+taskColumns+" FROM tasks WHERE id = ?", id).Scan(taskDest(t)...)
	if err := one(err, "task", id); err != nil {
		return nil, err
	}
	return t, nil
}

func (s *Store) GetTask(ctx context.Context, id int64) (*crm.Task, error) {
	return s.r().getTask(ctx, id)
}

// ListTasks lists tasks, earliest due first.
func (s *Store) ListTasks(ctx context.Context, f crm.TaskFilter) ([]crm.Task, error) {
	var w where
	if f.AssigneeID != 0 {
		w.add("t.assignee_id = ?", f.AssigneeID)
	}
	if f.DeskOnly {
		w.add("t.assignee_id IS NULL")
	}
	if f.ContactID != 0 {
		w.add("t.contact_id = ?", f.ContactID)
	}
	if f.OpenOnly {
		w.add("t.done_at IS NULL")
	}
	if f.DueBefore != nil {
		w.add("t.due < ?", s.d.ts(*f.DueBefore))
	}
	if len(f.VisibleTo) > 0 {
		w.inList("t.assignee_id IN (%s)", f.VisibleTo)
	}
	q := "SELECT " + cols("t", taskColumns) + " FROM tasks t" + w.String() + " ORDER BY t.due, t.id" + w.page(f.Limit, f.Offset)
	return queryAll(ctx, s.r(), "list tasks", taskDest, q, w.args...)
}

func (s *Store) UpdateTask(ctx context.Context, a crm.Actor, t *crm.Task) error {
	now := utc(s.now())
	normTask(t)
	err := s.inTx(ctx, func(r runner) error {
		old, err := r.getTask(ctx, t.ID)
		if err != nil {
			return err
		}
		err = r.updateVersioned(ctx, "tasks", "task", t.ID,
			`UPDATE tasks SET kind = ?, assignee_id = ?, contact_id = ?, company_id = ?, interest_id = ?,
			interaction_id = ?, caller_e164 = ?, title = ?, due = ?, done_at = ?, notes = ?,
			version = version + 1, updated_at = ?, updated_by = ? WHERE id = ? AND version = ?`,
			string(t.Kind), nid(t.AssigneeID), nid(t.ContactID), nid(t.CompanyID), nid(t.InterestID), nid(t.InteractionID),
			t.CallerE164, t.Title, r.d.ts(t.Due), r.d.tsp(t.DoneAt), t.Notes,
			r.d.ts(now), nid(a.UserID), t.ID, t.Version)
		if err != nil {
			return err
		}
		d := diff{}
		d.field("kind", old.Kind, t.Kind)
		d.field("assignee_id", old.AssigneeID, t.AssigneeID)
		d.field("contact_id", old.ContactID, t.ContactID)
		d.field("company_id", old.CompanyID, t.CompanyID)
		d.field("interest_id", old.InterestID, t.InterestID)
		d.field("interaction_id", old.InteractionID, t.InteractionID)
		d.field("caller_e164", old.CallerE164, t.CallerE164)
		d.field("title", old.Title, t.Title)
		if !old.Due.Equal(t.Due) {
			d["due"] = [2]any{old.Due, t.Due}
		}
		d.timeField("done_at", old.DoneAt, t.DoneAt)
		d.flag("notes", old.Notes, t.Notes)
		return r.logChange(ctx, now, a, crm.EntityTask, t.ID, "update", d)
	})
	if err != nil {
		return err
	}
	bumpAudit(&t.Audit, now, a)
	return nil
}
