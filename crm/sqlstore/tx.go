package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"time"

	"callroute/crm"
)

// querier is what *sql.DB and *sql.Tx share.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// runner runs "?" queries on a pool or a transaction, rebinding them for the
// dialect. With tx and stmts set (hotTx) it runs them as statements
// prepared once per connection instead of parsing them at each call.
type runner struct {
	q      querier
	d      *dialect
	tx     *sql.Tx
	stmts  *stmtCache
	missed *[]string // queries to prepare once the transaction is over
	// txStmts are the transaction's copies of the cached statements: made
	// once per transaction, not once per query (a batch of calls runs each
	// statement once per call).
	txStmts map[*sql.Stmt]*sql.Stmt
}

func (s *Store) r() runner { return runner{q: s.db, d: s.d} }

// on is the querier for a rebound query: the transaction's copy of its
// prepared statement when the runner caches them, else the runner's own.
func (r runner) on(ctx context.Context, query string) (querier, string) {
	if r.stmts != nil && r.tx != nil {
		if st := r.stmts.get(query); st != nil {
			ts, ok := r.txStmts[st]
			if !ok {
				ts = r.tx.StmtContext(ctx, st)
				r.txStmts[st] = ts
			}
			return stmtQuerier{ts}, query
		}
		*r.missed = append(*r.missed, query)
	}
	return r.q, query
}

func (r runner) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	q, query := r.on(ctx, r.d.rebind(query))
	return q.ExecContext(ctx, query, args...)
}

// execN runs a statement and returns the number of rows it changed.
func (r runner) execN(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := r.exec(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (r runner) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	q, query := r.on(ctx, r.d.rebind(query))
	return q.QueryContext(ctx, query, args...)
}

func (r runner) row(ctx context.Context, query string, args ...any) *sql.Row {
	q, query := r.on(ctx, r.d.rebind(query))
	return q.QueryRowContext(ctx, query, args...)
}

// queryAll runs a query and scans every row into a new T through dest (one
// of the *Dest column lists). The slice is never nil, so that an empty list
// is answered as [] rather than null; what names the read in the error of
// the query itself.
func queryAll[T any](ctx context.Context, r runner, what string, dest func(*T) []any, query string, args ...any) ([]T, error) {
	rows, err := r.query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: %s: %w", what, err)
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		var v T
		if err := rows.Scan(dest(&v)...); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// insert runs an INSERT and returns the new row's id (RETURNING id works on
// both backends).
func (r runner) insert(ctx context.Context, query string, args ...any) (int64, error) {
	var id int64
	err := r.row(ctx, query+" RETURNING id", args...).Scan(&id)
	return id, err
}

// exists reports whether table has a row with this id.
func (r runner) exists(ctx context.Context, table string, id int64) (bool, error) {
	var one int
	err := r.row(ctx, "SELECT 1 FROM "+table+" WHERE id = ?", id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// inTx runs fn in one transaction: committed when fn returns nil, rolled back
// otherwise.
func (s *Store) inTx(ctx context.Context, fn func(r runner) error) error {
	return s.runTx(ctx, false, fn)
}

// hotTx is inTx for the writes of every call: its queries (fixed strings)
// run as prepared statements.
func (s *Store) hotTx(ctx context.Context, fn func(r runner) error) error {
	return s.runTx(ctx, true, fn)
}

func (s *Store) runTx(ctx context.Context, hot bool, fn func(r runner) error) (err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlstore: begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			tx.Rollback()
			panic(p)
		}
	}()
	r := runner{q: tx, d: s.d}
	var missed []string
	if hot {
		r.tx, r.stmts, r.missed, r.txStmts = tx, s.stmts, &missed, map[*sql.Stmt]*sql.Stmt{}
		defer func() { s.stmts.prepare(ctx, missed) }() // bounded by the caller's ctx
	}
	if err := fn(r); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlstore: commit: %w", err)
	}
	return nil
}

// readTx runs fn in a read-only transaction, so that reads made of several
// queries see one snapshot. On SQLite it is a deferred BEGIN that does not
// take the write lock.
func (s *Store) readTx(ctx context.Context, fn func(r runner) error) error {
	opts := &sql.TxOptions{ReadOnly: true}
	if s.d.dollar {
		opts.Isolation = sql.LevelRepeatableRead
	}
	tx, err := s.db.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("sqlstore: begin: %w", err)
	}
	defer tx.Rollback()
	if err := fn(runner{q: tx, d: s.d}); err != nil {
		return err
	}
	return tx.Commit()
}

// logChange writes one row of the change log.
func (r runner) logChange(ctx context.Context, at time.Time, a crm.Actor, e crm.Entity, id int64, action string, data any) error {
	var payload any
	if data != nil {
		b, err := json.Marshal(data)
		if err != nil {
			return fmt.Errorf("sqlstore: change data: %w", err)
		}
		payload = string(b)
	}
	_, err := r.exec(ctx, `INSERT INTO changes (at, user_id, entity, entity_id, action, data) VALUES (?, ?, ?, ?, ?, ?)`,
		r.d.ts(at), nid(a.UserID), string(e), id, action, payload)
	if err != nil {
		return fmt.Errorf("sqlstore: change log: %w", err)
	}
	return nil
}

// diff collects what an update changed, for the change log: each changed
// field with [old, new], or true for fields whose values are long or secret.
type diff map[string]any

// field records name when old and new differ.
func (d diff) field(name string, old, new any) {
	if !reflect.DeepEqual(old, new) {
		d[name] = [2]any{old, new}
	}
}

// flag records name without its values when old and new differ.
func (d diff) flag(name string, old, new any) {
	if !reflect.DeepEqual(old, new) {
		d[name] = true
	}
}

// timeField records a change of an optional time.
func (d diff) timeField(name string, old, new *time.Time) {
	switch {
	case old == nil && new == nil:
	case old == nil || new == nil || !old.Equal(*new):
		d[name] = [2]any{old, new}
	}
}

// updateVersioned runs the UPDATE ... WHERE id = ? AND version = ? of one
// record (what, in table). A statement that changed nothing is ErrNotFound or
// ErrConflict, as missingOrConflict tells them apart.
func (r runner) updateVersioned(ctx context.Context, table, what string, id int64, query string, args ...any) error {
	n, err := r.execN(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("sqlstore: update %s: %w", what, err)
	}
	if n == 0 {
		return r.missingOrConflict(ctx, table, what, id)
	}
	return nil
}

// createdAudit is the audit of a record just written by a: version 1,
// created and updated now.
func createdAudit(now time.Time, a crm.Actor) crm.Audit {
	return crm.Audit{Version: 1, CreatedAt: now, CreatedBy: a.UserID, UpdatedAt: now, UpdatedBy: a.UserID}
}

// bumpAudit brings an audit in line with what a versioned UPDATE by a
// wrote: the next version, updated now.
func bumpAudit(au *crm.Audit, now time.Time, a crm.Actor) {
	au.Version++
	au.UpdatedAt, au.UpdatedBy = now, a.UserID
}

// missingOrConflict explains an UPDATE ... WHERE id = ? AND version = ? that
// changed nothing.
func (r runner) missingOrConflict(ctx context.Context, table, what string, id int64) error {
	ok, err := r.exists(ctx, table, id)
	if err != nil {
		return err
	}
	if !ok {
		return notFound(what, id)
	}
	return fmt.Errorf("%s %d: %w", what, id, crm.ErrConflict)
}

func notFound(what string, id int64) error {
	return fmt.Errorf("%s %d: %w", what, id, crm.ErrNotFound)
}

// one maps sql.ErrNoRows of a single-row read to crm.ErrNotFound.
func one(err error, what string, id any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s %v: %w", what, id, crm.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("sqlstore: read %s %v: %w", what, id, err)
	}
	return nil
}
