package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"callroute/crm"
)

// Loading the benchmark's client base: large transactions with prepared
// statements (SQLite), COPY (PostgreSQL); kept between runs.

// rows the loaded database must have.
func (p *benchPlan) wantCounts() map[string]int {
	return map[string]int{"contacts": p.contacts, "companies": p.companies, "users": p.users,
		"phones": p.contactPhones + p.companies, "interests": p.openInterests + p.closed}
}

func checkCounts(db *sql.DB, p *benchPlan) bool {
	for table, want := range p.wantCounts() {
		var n int
		if err := db.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil || n != want {
			return false
		}
	}
	return true
}

// loadUsers creates the managers and a few delegations active at p.at.
func loadUsers(b *testing.B, s *Store, p *benchPlan) {
	for u := 1; u <= p.users; u++ {
		must(b, s.CreateUser(context.Background(), crm.System, &crm.User{Email: fmt.Sprintf("m%d@bench.example", u),
			Name: fmt.Sprintf("Manager %d", u), Role: crm.RoleManager, Active: true, SIPUsername: strconv.Itoa(100 + u)}))
	}
	for u := int64(1); u <= 5; u++ {
		must(b, s.CreateDelegation(context.Background(), crm.System, &crm.Delegation{UserID: u, DelegateID: u + 10,
			Starts: p.at.Add(-24 * time.Hour), Ends: p.at.Add(7 * 24 * time.Hour), Reason: "leave"}))
	}
}

func benchSQLite(b *testing.B, p *benchPlan) (*Store, func() float64) {
	path := filepath.Join(os.TempDir(), fmt.Sprintf("callroute-bench-%d.db", p.contacts))
	size := func() float64 {
		var total int64
		for _, f := range []string{path, path + "-wal"} {
			if fi, err := os.Stat(f); err == nil {
				total += fi.Size()
			}
		}
		return float64(total) / (1 << 20)
	}
	if _, err := os.Stat(path); err == nil {
		s, err := Open(context.Background(), path, WithLogger(quiet))
		if err == nil && checkCounts(s.db, p) {
			b.Cleanup(func() { s.Close() })
			b.Logf("reusing %s", path)
			return s, size
		}
		if s != nil {
			s.Close()
		}
	}
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		os.Remove(f)
	}
	start := time.Now()
	s, err := Open(context.Background(), path, WithLogger(quiet))
	must(b, err)
	b.Cleanup(func() { s.Close() })
	loadUsers(b, s, p)
	must(b, loadSQLite(s, p))
	_, err = s.db.Exec("ANALYZE")
	must(b, err)
	_, err = s.db.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
	must(b, err)
	b.Logf("loaded %d contacts into %s in %v (%.0f MB)", p.contacts, path, time.Since(start).Round(time.Millisecond), size())
	return s, size
}

// loadSQLite bulk-loads companies, contacts, phones and interests in large
// transactions with prepared statements on one connection.
func loadSQLite(s *Store, p *benchPlan) error {
	ctx := context.Background()
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "PRAGMA cache_size = -262144"); err != nil { // 256 MB while loading
		return err
	}
	defer conn.ExecContext(ctx, "PRAGMA cache_size = -2000")
	ts := s.d.ts(p.at.Add(-90 * 24 * time.Hour))
	const chunk = 50000
	batch := func(fn func(tx *sql.Tx) error) error {
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if err := fn(tx); err != nil {
			tx.Rollback()
			return err
		}
		return tx.Commit()
	}
	err = batch(func(tx *sql.Tx) error {
		co, err := tx.Prepare(`INSERT INTO companies (id, name, name_key, owner_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		ph, err := tx.Prepare(`INSERT INTO phones (e164, kind, company_id) VALUES (?, 'switchboard', ?)`)
		if err != nil {
			return err
		}
		for j := 1; j <= p.companies; j++ {
			name := fmt.Sprintf("Company %d", j)
			if _, err := co.Exec(j, name, fold(name), nid(p.companyOwner(j)), ts, ts); err != nil {
				return err
			}
			if _, err := ph.Exec(switchboard(j), j); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("load companies: %w", err)
	}
	seq := 0
	for lo := 1; lo <= p.contacts; lo += chunk {
		err := batch(func(tx *sql.Tx) error {
			ct, err := tx.Prepare(`INSERT INTO contacts (id, name, name_key, company_id, owner_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`)
			if err != nil {
				return err
			}
			ph, err := tx.Prepare(`INSERT INTO phones (e164, kind, contact_id) VALUES (?, ?, ?)`)
			if err != nil {
				return err
			}
			in, err := tx.Prepare(`INSERT INTO interests (contact_id, company_id, title, stage, owner_id, last_activity_at, created_at, updated_at)
				VALUES (?, ?, 'bench', ?, ?, ?, ?, ?)`)
			if err != nil {
				return err
			}
			for i := lo; i < lo+chunk && i <= p.contacts; i++ {
				name := "Contact " + strconv.Itoa(i)
				if _, err := ct.Exec(i, name, fold(name), nid(p.companyOf(i)), nid(p.ownerOf(i)), ts, ts); err != nil {
					return err
				}
				for k := range p.phonesOf(i) {
					if _, err := ph.Exec(contactNumber(seq), string(p.phoneKind(k)), i); err != nil {
						return err
					}
					seq++
				}
				if p.hasOpenInterest(i) {
					if _, err := in.Exec(i, nid(p.companyOf(i)), "offer", p.interestOwner(i), s.d.ts(p.activity(i)), ts, ts); err != nil {
						return err
					}
				}
				if p.hasClosedInterest(i) {
					if _, err := in.Exec(i, nid(p.companyOf(i)), "won", p.interestOwner(i+1), s.d.ts(p.at), ts, ts); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("load contacts from %d: %w", lo, err)
		}
	}
	return nil
}

func benchPostgres(b *testing.B, p *benchPlan) (*Store, func() float64) {
	ctx := context.Background()
	base := postgresBaseURL()
	admin, err := sql.Open("pgx", base)
	must(b, err)
	defer admin.Close()
	if err := admin.PingContext(ctx); err != nil {
		b.Skipf("PostgreSQL at %s unreachable: %v", base, err)
	}
	name := fmt.Sprintf("callroute_bench_%d", p.contacts)
	dbURL, err := withDatabase(base, name)
	must(b, err)
	var s *Store
	size := func() float64 {
		var n int64
		if err := s.db.QueryRow("SELECT pg_database_size(current_database())").Scan(&n); err != nil {
			b.Fatal(err)
		}
		return float64(n) / (1 << 20)
	}
	var exists bool
	must(b, admin.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists))
	if exists {
		s, err = Open(ctx, dbURL, WithLogger(quiet))
		if err == nil && checkCounts(s.db, p) {
			b.Cleanup(func() { s.Close() })
			b.Logf("reusing database %s", name)
			return s, size
		}
		if s != nil {
			s.Close()
		}
		_, err = admin.ExecContext(ctx, "DROP DATABASE "+name+" WITH (FORCE)")
		must(b, err)
	}
	_, err = admin.ExecContext(ctx, "CREATE DATABASE "+name)
	must(b, err)
	start := time.Now()
	s, err = Open(ctx, dbURL, WithLogger(quiet))
	must(b, err)
	b.Cleanup(func() { s.Close() })
	loadUsers(b, s, p)
	must(b, loadPostgres(ctx, dbURL, s, p))
	_, err = s.db.ExecContext(ctx, "VACUUM ANALYZE")
	must(b, err)
	b.Logf("loaded %d contacts into database %s in %v (%.0f MB)", p.contacts, name, time.Since(start).Round(time.Millisecond), size())
	return s, size
}

// loadPostgres bulk-loads with COPY on a pgx connection.
func loadPostgres(ctx context.Context, dbURL string, s *Store, p *benchPlan) error {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	created := p.at.Add(-90 * 24 * time.Hour)
	id := func(v int64) any { return nid(v) }
	copyRows := func(table string, columns []string, rows [][]any) error {
		_, err := conn.CopyFrom(ctx, pgx.Identifier{table}, columns, pgx.CopyFromRows(rows))
		if err != nil {
			return fmt.Errorf("copy %s: %w", table, err)
		}
		return nil
	}
	var companies, phones [][]any
	for j := 1; j <= p.companies; j++ {
		name := fmt.Sprintf("Company %d", j)
		companies = append(companies, []any{int64(j), name, fold(name), id(p.companyOwner(j)), created, created})
		phones = append(phones, []any{switchboard(j), "switchboard", int64(j)})
	}
	if err := copyRows("companies", []string{"id", "name", "name_key", "owner_id", "created_at", "updated_at"}, companies); err != nil {
		return err
	}
	if err := copyRows("phones", []string{"e164", "kind", "company_id"}, phones); err != nil {
		return err
	}
	const chunk = 100000
	seq := 0
	for lo := 1; lo <= p.contacts; lo += chunk {
		var contacts, phones, interests [][]any
		for i := lo; i < lo+chunk && i <= p.contacts; i++ {
			name := "Contact " + strconv.Itoa(i)
			contacts = append(contacts, []any{int64(i), name, fold(name), id(p.companyOf(i)), id(p.ownerOf(i)), created, created})
			for k := range p.phonesOf(i) {
				phones = append(phones, []any{contactNumber(seq), string(p.phoneKind(k)), int64(i)})
				seq++
			}
			if p.hasOpenInterest(i) {
				interests = append(interests, []any{int64(i), id(p.companyOf(i)), "bench", "offer", p.interestOwner(i), p.activity(i), created, created})
			}
			if p.hasClosedInterest(i) {
				interests = append(interests, []any{int64(i), id(p.companyOf(i)), "bench", "won", p.interestOwner(i + 1), p.at, created, created})
			}
		}
		if err := copyRows("contacts", []string{"id", "name", "name_key", "company_id", "owner_id", "created_at", "updated_at"}, contacts); err != nil {
			return err
		}
		if err := copyRows("phones", []string{"e164", "kind", "contact_id"}, phones); err != nil {
			return err
		}
		if err := copyRows("interests", []string{"contact_id", "company_id", "title", "stage", "owner_id", "last_activity_at", "created_at", "updated_at"}, interests); err != nil {
			return err
		}
	}
	for _, t := range []string{"companies", "contacts"} {
		if _, err := conn.Exec(ctx, "SELECT setval(pg_get_serial_sequence('"+t+"', 'id'), (SELECT max(id) FROM "+t+"))"); err != nil {
			return err
		}
	}
	return nil
}
