package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"callroute/crm"
)

// The suite runs every test on SQLite (a temp file per test) and on
// PostgreSQL: a fresh database per package run (dropped at the end), a fresh
// schema per test. PostgreSQL comes from CALLROUTE_TEST_POSTGRES_URL; when it
// is unreachable the PostgreSQL half is skipped, except with CI=true, where
// it fails.

const defaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

var (
	pgURL    string  // the per-run test database, "" when unavailable
	pgAdmin  *sql.DB // connection to it, for schemas
	pgErr    error   // why PostgreSQL is unavailable
	schemaNo atomic.Int64
)

func postgresBaseURL() string {
	if v := os.Getenv("CALLROUTE_TEST_POSTGRES_URL"); v != "" {
		return v
	}
	return defaultPostgresURL
}

func TestMain(m *testing.M) {
	cleanup := setupPostgres()
	code := m.Run()
	cleanup()
	os.Exit(code)
}

// withDatabase returns base with its path replaced by the database name.
func withDatabase(base, name string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	return u.String(), nil
}

func randomSuffix() string {
	b := make([]byte, 6)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func setupPostgres() (cleanup func()) {
	cleanup = func() {}
	base := postgresBaseURL()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		pgErr = err
		return
	}
	if err := admin.PingContext(ctx); err != nil {
		admin.Close()
		pgErr = fmt.Errorf("PostgreSQL at %s unreachable: %w", base, err)
		return
	}
	name := "callroute_test_" + randomSuffix()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		pgErr = fmt.Errorf("create test database: %w", err)
		return
	}
	dbURL, err := withDatabase(base, name)
	if err == nil {
		pgAdmin, err = sql.Open("pgx", dbURL)
	}
	if err != nil {
		pgErr = err
		return
	}
	pgURL = dbURL
	return func() {
		pgAdmin.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			fmt.Fprintf(os.Stderr, "drop test database %s: %v\n", name, err)
		}
		admin.Close()
	}
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func openSQLite(t testing.TB, opts ...Option) *Store {
	t.Helper()
	path := filepath.Join(t.TempDir(), "crm.db")
	s, err := Open(context.Background(), path, append([]Option{WithLogger(quiet)}, opts...)...)
	if err != nil {
		t.Fatalf("open SQLite: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// postgresUnavailable skips, or fails under CI=true.
func postgresUnavailable(t testing.TB) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("PostgreSQL is required when CI=true: %v", pgErr)
	}
	t.Skipf("PostgreSQL not available (set CALLROUTE_TEST_POSTGRES_URL): %v", pgErr)
}

func openPostgres(t testing.TB, opts ...Option) *Store {
	t.Helper()
	if pgURL == "" {
		postgresUnavailable(t)
	}
	ctx := context.Background()
	schema := fmt.Sprintf("t%d_%s", schemaNo.Add(1), randomSuffix())
	if _, err := pgAdmin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	u, _ := url.Parse(pgURL)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	s, err := Open(ctx, u.String(), append([]Option{WithLogger(quiet)}, opts...)...)
	if err != nil {
		t.Fatalf("open PostgreSQL: %v", err)
	}
	t.Cleanup(func() {
		s.Close()
		pgAdmin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
	})
	return s
}

// forEachStore runs fn on a fresh SQLite and a fresh PostgreSQL store.
func forEachStore(t *testing.T, fn func(t *testing.T, s *Store), opts ...Option) {
	t.Run("sqlite", func(t *testing.T) { fn(t, openSQLite(t, opts...)) })
	t.Run("postgres", func(t *testing.T) { fn(t, openPostgres(t, opts...)) })
}

// Fixtures.

var ctx = context.Background()

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func mkUser(t testing.TB, s *Store, email string) *crm.User {
	t.Helper()
	u := &crm.User{Email: email, Name: email, Role: crm.RoleManager, Active: true}
	must(t, s.CreateUser(ctx, crm.System, u))
	return u
}

func mkCompany(t testing.TB, s *Store, name string, owner int64, phones ...string) *crm.Company {
	t.Helper()
	c := &crm.Company{Name: name, OwnerID: owner}
	for _, p := range phones {
		c.Phones = append(c.Phones, crm.Phone{Kind: crm.PhoneSwitchboard, E164: p})
	}
	must(t, s.CreateCompany(ctx, crm.System, c))
	return c
}

func mkContact(t testing.TB, s *Store, name string, company, owner int64, phones ...string) *crm.Contact {
	t.Helper()
	c := &crm.Contact{Name: name, CompanyID: company, OwnerID: owner}
	for _, p := range phones {
		c.Phones = append(c.Phones, crm.Phone{Kind: crm.PhoneMobile, E164: p})
	}
	must(t, s.CreateContact(ctx, crm.System, c))
	return c
}

func mkInterest(t testing.TB, s *Store, contact, company, owner int64, stage crm.Stage, last time.Time) *crm.Interest {
	t.Helper()
	i := &crm.Interest{ContactID: contact, CompanyID: company, OwnerID: owner, Stage: stage, Title: "deal", LastActivityAt: last}
	must(t, s.CreateInterest(ctx, crm.System, i))
	return i
}

func mkTask(t testing.TB, s *Store, assignee, contact int64, due time.Time) *crm.Task {
	t.Helper()
	tk := &crm.Task{Kind: crm.TaskCallBack, AssigneeID: assignee, ContactID: contact, Title: "call back", Due: due}
	must(t, s.CreateTask(ctx, crm.System, tk))
	return tk
}

// day0 is a fixed point in time for tests that need ordering.
var day0 = time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// changeData decodes a change's JSON data.
func changeData(t testing.TB, c crm.Change) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(c.Data, &m); err != nil {
		t.Fatalf("change %d data %q: %v", c.ID, c.Data, err)
	}
	return m
}
