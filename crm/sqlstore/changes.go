package sqlstore

import (
	"context"
	"fmt"

	"callroute/crm"
)

// Changes lists the change log of one record, oldest first.
func (s *Store) Changes(ctx context.Context, e crm.Entity, id int64) ([]crm.Change, error) {
	rows, err := s.r().query(ctx, `SELECT id, at, user_id, entity, entity_id, action, data FROM changes
		WHERE entity = ? AND entity_id = ? ORDER BY id`, string(e), id)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: changes: %w", err)
	}
	defer rows.Close()
	out := []crm.Change{}
	for rows.Next() {
		var c crm.Change
		if err := rows.Scan(i64(&c.ID), tm(&c.At), i64(&c.UserID), st(&c.Entity), i64(&c.EntityID), st(&c.Action), js(&c.Data)); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
