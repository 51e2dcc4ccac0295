package sqlstore

import (
	"context"

	"callroute/crm"
)

// Changes lists the change log of one record, oldest first.
func (s *Store) Changes(ctx context.Context, e crm.Entity, id int64) ([]crm.Change, error) {
	dest := func(c *crm.Change) []any {
		return []any{i64(&c.ID), tm(&c.At), i64(&c.UserID), st(&c.Entity), i64(&c.EntityID), st(&c.Action), js(&c.Data)}
	}
	return queryAll(ctx, s.r(), "changes", dest, `SELECT id, at, user_id, entity, entity_id, action, data FROM changes
		WHERE entity = ? AND entity_id = ? ORDER BY id`, string(e), id)
}
