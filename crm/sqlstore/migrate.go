package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationsFS embed.FS

// Migrate applies the pending embedded migrations to the database at
// databaseURL (for `callroute migrate`) and returns. Open does the same
// unless WithoutMigrations is given.
func Migrate(ctx context.Context, databaseURL string, opts ...Option) error {
	s, err := Open(ctx, databaseURL, opts...)
	if err != nil {
		return err
	}
	return s.Close()
}

// SchemaVersion reports the applied and the latest embedded migration
// versions.
func (s *Store) SchemaVersion(ctx context.Context) (current, latest int64, err error) {
	p, err := newProvider(s.db, s.d)
	if err != nil {
		return 0, 0, err
	}
	return p.GetVersions(ctx)
}

// newProvider builds a goose provider on this database only: no package
// globals (goose.SetDialect), so both dialects can be used in one process.
func newProvider(db *sql.DB, d *dialect) (*goose.Provider, error) {
	sub, err := fs.Sub(migrationsFS, d.migrations)
	if err != nil {
		return nil, err
	}
	return providerFor(db, d, sub)
}

// providerFor builds the provider over the migrations in fsys.
//
// Migrations are numbered by the change that brings them, and changes
// made side by side may land in either order: a database may have applied
// 00003 before the 00002 of a change merged later. goose refuses such a
// missing lower version by default; callroute applies it (every migration
// depends on 00001 only, or names what it needs), so that the order in which
// changes are merged does not break an upgrade.
func providerFor(db *sql.DB, d *dialect, fsys fs.FS) (*goose.Provider, error) {
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true), goose.WithAllowOutofOrder(true)}
	if d == postgresDialect {
		// Several nodes may start at once: one migrates, the others wait.
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 600))
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	return goose.NewProvider(d.goose, db, fsys, opts...)
}

func migrateDB(ctx context.Context, db *sql.DB, d *dialect, logger *slog.Logger) error {
	p, err := newProvider(db, d)
	if err != nil {
		return fmt.Errorf("sqlstore: migrations: %w", err)
	}
	start := time.Now()
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("sqlstore: migrate %s: %w", d.name, err)
	}
	for _, r := range results {
		logger.LogAttrs(ctx, slog.LevelInfo, "database migrated",
			slog.String("backend", d.name),
			slog.Int64("version", r.Source.Version),
			slog.String("source", r.Source.Path),
			slog.Duration("took", r.Duration))
	}
	if len(results) > 0 {
		logger.LogAttrs(ctx, slog.LevelInfo, "database schema up to date",
			slog.String("backend", d.name), slog.Int("applied", len(results)),
			slog.Duration("took", time.Since(start)))
	}
	return nil
}
