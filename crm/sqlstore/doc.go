// Package sqlstore implements crm.Store on database/sql for SQLite (the
// default: a file, pure Go through modernc.org/sqlite, no cgo) and
// PostgreSQL (a postgres:// URL, through pgx's stdlib driver). One
// implementation serves both; a small dialect covers the differences
// (placeholders, GREATEST, day grouping, row locks, casts).
//
// The schema migrations are embedded (migrations/sqlite, migrations/postgres)
// and applied by goose at Open, or by Migrate.
//
// Conventions:
//
//   - Times are stored in UTC, to the microsecond: timestamptz on
//     PostgreSQL, fixed-width text ("2006-01-02T15:04:05.000000Z") on SQLite,
//     so that text order is time order. Scans give UTC time.Time values.
//   - Case-insensitive matching (emails, company names, searches) uses *_key
//     columns folded in Go, so that both backends fold non-ASCII letters
//     alike.
//   - A reference of 0 (no owner, no company, the system actor) is NULL.
//   - Every mutating method is one transaction and writes rows of the
//     changes table. SQLite write transactions BEGIN IMMEDIATE (and wait on
//     busy_timeout), so read-then-write transactions cannot deadlock;
//     multi-query reads run in a read-only transaction.
//   - LookupPhone is one prepared statement; see lookupTemplate.
package sqlstore
