package sqlstore

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"callroute/crm"
)

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		in       string
		dialect  string
		path     string
		wantPrag bool
	}{
		{"postgres://u@h/db?sslmode=disable", "postgres", "postgres://u@h/db?sslmode=disable", false},
		{"postgresql://u@h/db", "postgres", "postgresql://u@h/db", false},
		{"/var/lib/callroute/crm.db", "sqlite", "/var/lib/callroute/crm.db", true},
		{"crm.db", "sqlite", "crm.db", true},
		{"sqlite:///tmp/x.db", "sqlite", "/tmp/x.db", true},
		{"sqlite://data/x.db?_txlock=deferred", "sqlite", "data/x.db", true},
		{"file:/tmp/x.db?mode=rwc", "sqlite", "file:/tmp/x.db", true},
	} {
		d, dsn, err := parseURL(tc.in, 5*time.Second)
		if err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		if d.name != tc.dialect || !strings.HasPrefix(dsn, tc.path) {
			t.Errorf("%s: %s %s", tc.in, d.name, dsn)
		}
		if tc.wantPrag {
			q, _ := url.ParseQuery(dsn[strings.IndexByte(dsn, '?')+1:])
			p := strings.Join(q["_pragma"], ",")
			for _, want := range []string{"busy_timeout(5000)", "foreign_keys(1)", "journal_mode(WAL)", "synchronous(NORMAL)"} {
				if !strings.Contains(p, want) {
					t.Errorf("%s: pragmas %q lack %s", tc.in, p, want)
				}
			}
			if strings.Contains(tc.in, "_txlock=deferred") != (q.Get("_txlock") == "deferred") {
				t.Errorf("%s: _txlock = %q", tc.in, q.Get("_txlock"))
			}
			if strings.Contains(tc.in, "mode=rwc") && q.Get("mode") != "rwc" {
				t.Errorf("%s: lost a parameter: %s", tc.in, dsn)
			}
		}
	}
	for _, bad := range []string{"", "  ", "sqlite://", "file:"} {
		if _, _, err := parseURL(bad, time.Second); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// Every pooled SQLite connection has the pragmas, not just the first.
func TestSQLitePragmasOnEveryConnection(t *testing.T) {
	s := openSQLite(t)
	conns := make([]interface{ Close() error }, 0, 4)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := range 4 {
		c, err := s.db.Conn(ctx)
		must(t, err)
		conns = append(conns, c)
		var mode string
		var fk, busy, sync int
		must(t, c.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode))
		must(t, c.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk))
		must(t, c.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&busy))
		must(t, c.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync))
		if mode != "wal" || fk != 1 || busy != 5000 || sync != 1 {
			t.Fatalf("connection %d: journal_mode=%s foreign_keys=%d busy_timeout=%d synchronous=%d", i, mode, fk, busy, sync)
		}
	}
}

func TestMigrate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.db")
	must(t, Migrate(ctx, "sqlite://"+path, WithLogger(quiet)))
	must(t, Migrate(ctx, path, WithLogger(quiet))) // idempotent
	s, err := Open(ctx, path, WithoutMigrations())
	must(t, err)
	defer s.Close()
	cur, latest, err := s.SchemaVersion(ctx)
	must(t, err)
	if cur != latest || cur < 1 {
		t.Fatalf("schema version %d, latest %d", cur, latest)
	}
	mkUser(t, s, "ann@example.com")

	// Without migrations on an empty database, Open fails clearly.
	if _, err := Open(ctx, filepath.Join(t.TempDir(), "empty.db"), WithoutMigrations()); err == nil {
		t.Fatal("Open on an unmigrated database without migrations succeeded")
	}
}

func TestSchemaVersionBothBackends(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		cur, latest, err := s.SchemaVersion(ctx)
		must(t, err)
		if cur != latest || cur < 1 {
			t.Fatalf("schema version %d, latest %d", cur, latest)
		}
		must(t, s.Ping(ctx))
	})
}

// Concurrent writers queue on the write lock instead of failing (SQLite:
// BEGIN IMMEDIATE + busy_timeout).
func TestConcurrentWriters(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ann := mkUser(t, s, "ann@example.com")
		co := mkCompany(t, s, "Acme", ann.ID)
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for g := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 8 {
					c := &crm.Contact{Name: fmt.Sprintf("c%d-%d", g, i), CompanyID: co.ID, OwnerID: ann.ID,
						Phones: []crm.Phone{{Kind: crm.PhoneMobile, E164: fmt.Sprintf("+407%02d%06d", g, i)}}}
					if err := s.CreateContact(ctx, crm.System, c); err != nil {
						errs <- err
						return
					}
					// Read-then-write transactions from many goroutines.
					c.Position = "x"
					if err := s.UpdateContact(ctx, crm.System, c); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if n := countRows(t, s, "contacts"); n != 64 {
			t.Fatalf("%d contacts, want 64", n)
		}
	})
}

func TestChangesOrder(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ann := mkUser(t, s, "ann@example.com")
		c := mkCompany(t, s, "Acme", 0)
		for i := range 3 {
			c.Size = i + 1
			must(t, s.UpdateCompany(ctx, crm.ActorOf(ann), c))
		}
		ch, err := s.Changes(ctx, crm.EntityCompany, c.ID)
		must(t, err)
		if len(ch) != 4 || ch[0].Action != "create" || ch[0].UserID != 0 {
			t.Fatalf("changes: %+v", ch)
		}
		for i := 1; i < 4; i++ {
			d := changeData(t, ch[i])
			sz, _ := d["size"].([]any)
			if ch[i].Action != "update" || ch[i].UserID != ann.ID || len(sz) != 2 || sz[1] != float64(i) || ch[i].At.Before(ch[i-1].At) {
				t.Fatalf("change %d: %+v %s", i, ch[i], ch[i].Data)
			}
			if ch[i].Entity != crm.EntityCompany || ch[i].EntityID != c.ID {
				t.Fatalf("change %d names %s %d", i, ch[i].Entity, ch[i].EntityID)
			}
		}
		none, err := s.Changes(ctx, crm.EntityCompany, 999)
		must(t, err)
		if len(none) != 0 {
			t.Fatalf("changes of a missing record: %+v", none)
		}
	})
}
