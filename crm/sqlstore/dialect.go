package sqlstore

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
)

// dialect holds the few places where SQLite and PostgreSQL differ. Queries
// are written once, with "?" placeholders, and rebound for PostgreSQL.
type dialect struct {
	name       string        // "sqlite" or "postgres"
	driver     string        // database/sql driver name
	goose      goose.Dialect // migrations
	migrations string        // folder in the embedded FS
	dollar     bool          // placeholders are $1, $2, ...
	greatest   string        // two-argument maximum: MAX (SQLite) or GREATEST
	forUpdate  string        // row locking suffix for SELECT in a transaction
	tsType     string        // CAST target for a bound timestamp
	jsonType   string        // CAST target for a computed JSON text

	rebound sync.Map // query -> rebound query (PostgreSQL only)
}

var (
	sqliteDialect = &dialect{
		name: "sqlite", driver: "sqlite", goose: goose.DialectSQLite3, migrations: "migrations/sqlite",
		greatest: "MAX", tsType: "TEXT", jsonType: "TEXT",
	}
	postgresDialect = &dialect{
		name: "postgres", driver: "pgx", goose: goose.DialectPostgres, migrations: "migrations/postgres",
		dollar: true, greatest: "GREATEST", forUpdate: " FOR UPDATE", tsType: "TIMESTAMPTZ", jsonType: "JSONB",
	}
)

// sqliteTimeLayout is how SQLite stores times: UTC, fixed width, so that text
// order is time order. Microseconds, as PostgreSQL keeps them.
const sqliteTimeLayout = "2006-01-02T15:04:05.000000Z"

// utc is the normal form of every stored time: UTC, truncated to the
// microsecond (what both backends keep), without a monotonic reading.
func utc(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// ts is the bind value of a time.
func (d *dialect) ts(t time.Time) any {
	if d.dollar {
		return utc(t)
	}
	return utc(t).Format(sqliteTimeLayout)
}

// tsp is the bind value of an optional time (nil is NULL).
func (d *dialect) tsp(t *time.Time) any {
	if t == nil {
		return nil
	}
	return d.ts(*t)
}

// day is an SQL expression giving the UTC day (YYYY-MM-DD) of a timestamp
// column.
func (d *dialect) day(col string) string {
	if d.dollar {
		return "to_char(" + col + " AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
	}
	return "substr(" + col + ", 1, 10)"
}

// rebind turns "?" placeholders into "$n" for PostgreSQL. Question marks
// inside quoted strings are left alone.
func (d *dialect) rebind(q string) string {
	if !d.dollar {
		return q
	}
	if v, ok := d.rebound.Load(q); ok {
		return v.(string)
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	var quote byte
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	s := b.String()
	d.rebound.Store(q, s)
	return s
}

// constraint classifies a constraint violation. kind is "unique",
// "foreign_key", "check" or "not_null"; detail names the columns (SQLite) or
// the constraint (PostgreSQL). ok is false for any other error.
func constraint(err error) (kind, detail string, ok bool) {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505":
			return "unique", pe.ConstraintName, true
		case "23503":
			return "foreign_key", pe.ConstraintName, true
		case "23514":
			return "check", pe.ConstraintName, true
		case "23502":
			return "not_null", pe.ColumnName, true
		}
		return "", "", false
	}
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code()&0xff == 19 { // SQLITE_CONSTRAINT
		msg := se.Error()
		switch se.Code() {
		case 2067, 1555: // SQLITE_CONSTRAINT_UNIQUE, _PRIMARYKEY
			kind = "unique"
		case 787: // SQLITE_CONSTRAINT_FOREIGNKEY
			kind = "foreign_key"
		case 275: // SQLITE_CONSTRAINT_CHECK
			kind = "check"
		case 1299: // SQLITE_CONSTRAINT_NOTNULL
			kind = "not_null"
		default:
			kind = "constraint"
		}
		if i := strings.Index(msg, "constraint failed: "); i >= 0 {
			detail = msg[i+len("constraint failed: "):]
		}
		return kind, detail, true
	}
	return "", "", false
}

// likeContains is a LIKE pattern for "contains s" (s already folded), with
// the wildcards of s escaped; use it with ESCAPE '\'.
func likeContains(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(s) + "%"
}

// fold is the case-insensitive key of a name or email. It is computed here,
// not in SQL, so that both backends fold non-ASCII letters the same way.
func fold(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
