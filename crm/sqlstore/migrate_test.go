package sqlstore

import (
	"database/sql"
	"fmt"
	"io/fs"
	"net/url"
	"path/filepath"
	"testing"
	"testing/fstest"
)

// rawDB is an empty database of the dialect, without a Store (and so
// without migrations).
func rawDB(t *testing.T, d *dialect) *sql.DB {
	t.Helper()
	dsn := filepath.Join(t.TempDir(), "raw.db") + "?_pragma=foreign_keys(1)"
	if d == postgresDialect {
		if pgURL == "" {
			postgresUnavailable(t)
		}
		schema := fmt.Sprintf("t%d_%s", schemaNo.Add(1), randomSuffix())
		if _, err := pgAdmin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
			t.Fatalf("create schema: %v", err)
		}
		t.Cleanup(func() { pgAdmin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE") })
		u, _ := url.Parse(pgURL)
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		dsn = u.String()
	}
	db, err := sql.Open(d.driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// migrations returns the dialect's embedded migrations with only the
// named versions' files, plus extra files.
func migrations(t *testing.T, d *dialect, keep []string, extra map[string]string) fs.FS {
	t.Helper()
	out := fstest.MapFS{}
	for _, name := range keep {
		b, err := fs.ReadFile(migrationsFS, d.migrations+"/"+name)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = &fstest.MapFile{Data: b}
	}
	for name, body := range extra {
		out[name] = &fstest.MapFile{Data: []byte(body)}
	}
	return out
}

// TestMigrationsInEitherOrder: 00003 applies on a database that lacks
// 00002, and a 00002 that turns up later (another change, merged after) is
// still applied, not refused as out of order. Rows written before 00003
// are routing's call records and come out recorded.
func TestMigrationsInEitherOrder(t *testing.T) {
	const init, capture = "00001_init.sql", "00003_call_capture.sql"
	late := map[string]string{"00002_late.sql": "-- +goose Up\nCREATE TABLE late_probe (id INTEGER);\n-- +goose Down\nDROP TABLE late_probe;\n"}
	for _, d := range []*dialect{sqliteDialect, postgresDialect} {
		t.Run(d.name, func(t *testing.T) {
			db := rawDB(t, d)
			up := func(fsys fs.FS) []int64 {
				t.Helper()
				p, err := providerFor(db, d, fsys)
				must(t, err)
				res, err := p.Up(ctx)
				if err != nil {
					t.Fatalf("migrate up: %v", err)
				}
				var got []int64
				for _, r := range res {
					got = append(got, r.Source.Version)
				}
				return got
			}
			if got := up(migrations(t, d, []string{init}, nil)); fmt.Sprint(got) != "[1]" {
				t.Fatalf("first run applied %v", got)
			}
			now := d.ts(day0)
			_, err := db.ExecContext(ctx, d.rebind(`INSERT INTO interactions (kind, direction, at, call_id, outcome, created_at)
				VALUES ('call', 'inbound', ?, 'old-call@pbx', 'answered', ?)`), now, now)
			must(t, err)

			if got := up(migrations(t, d, []string{init, capture}, nil)); fmt.Sprint(got) != "[3]" {
				t.Fatalf("with 00002 absent, applied %v, want [3]", got)
			}
			var recorded sql.NullString
			must(t, db.QueryRowContext(ctx, "SELECT CAST(recorded_at AS TEXT) FROM interactions WHERE call_id = 'old-call@pbx'").Scan(&recorded))
			if !recorded.Valid {
				t.Fatal("a call record written before 00003 is not marked recorded")
			}

			if got := up(migrations(t, d, []string{init, capture}, late)); fmt.Sprint(got) != "[2]" {
				t.Fatalf("a late 00002: applied %v, want [2]", got)
			}
			var n int
			must(t, db.QueryRowContext(ctx, "SELECT COUNT(*) FROM late_probe").Scan(&n))
			p, err := providerFor(db, d, migrations(t, d, []string{init, capture}, late))
			must(t, err)
			cur, latest, err := p.GetVersions(ctx)
			must(t, err)
			if cur != 3 || latest != 3 {
				t.Fatalf("versions now %d, latest %d", cur, latest)
			}
		})
	}
}
