// Package testdb gives tests a fresh, empty database on each backend
// callroute supports: a SQLite file, and a PostgreSQL database created for
// the test and dropped after it.
//
// PostgreSQL is found at CALLROUTE_TEST_POSTGRES_URL (default: the local
// server, database test). When it cannot be reached the PostgreSQL half is
// skipped, except under CI=true, where that is a failure: CI must not pass
// by skipping.
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// DefaultPostgresURL is the local PostgreSQL the tests use unless
// CALLROUTE_TEST_POSTGRES_URL says otherwise.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Backends names the backends Each runs on.
var Backends = []string{"sqlite", "postgres"}

// Each runs fn once per backend, as a subtest named after it, with the URL
// of a fresh database.
func Each(t *testing.T, fn func(t *testing.T, databaseURL string)) {
	t.Helper()
	for _, b := range Backends {
		t.Run(b, func(t *testing.T) {
			fn(t, URL(t, b))
		})
	}
}

// URL returns a fresh database of the named backend.
func URL(t testing.TB, backend string) string {
	t.Helper()
	switch backend {
	case "sqlite":
		return SQLite(t)
	case "postgres":
		return Postgres(t)
	}
	t.Fatalf("testdb: unknown backend %q", backend)
	return ""
}

// SQLite returns the path of a new SQLite file in the test's temp dir.
func SQLite(t testing.TB) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "callroute.db")
}

// Required reports whether an unreachable PostgreSQL fails the tests.
func Required() bool { return os.Getenv("CI") == "true" }

// AdminURL is the PostgreSQL server tests create their databases on.
func AdminURL() string {
	if u := os.Getenv("CALLROUTE_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return DefaultPostgresURL
}

// Postgres creates an empty database for the test and drops it when the
// test ends; it returns its URL.
func Postgres(t testing.TB) string {
	t.Helper()
	admin := AdminURL()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	db, err := sql.Open("pgx", admin)
	if err == nil {
		err = db.PingContext(ctx)
	}
	if err != nil {
		if db != nil {
			db.Close()
		}
		if Required() {
			t.Fatalf("PostgreSQL at %s is required (CI=true) but unreachable: %v", admin, err)
		}
		t.Skipf("PostgreSQL at %s unreachable, skipping (set CI=true to make this a failure): %v", admin, err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "callroute_test_" + hex.EncodeToString(b)
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		db.Close()
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("drop test database %s: %v", name, err)
		}
		db.Close()
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("parse %s: %v", admin, err)
	}
	u.Path = "/" + name
	return u.String()
}
