package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	_ "modernc.org/sqlite"             // database/sql driver "sqlite"

	"callroute/crm"
)

// Store is the client base on SQLite or PostgreSQL. It is safe for
// concurrent use.
type Store struct {
	db     *sql.DB
	d      *dialect
	now    func() time.Time
	logger *slog.Logger

	lookup *sql.Stmt  // LookupPhone, prepared once
	stmts  *stmtCache // the statements of hotTx
}

var _ crm.Store = (*Store)(nil)

type config struct {
	migrate      bool
	maxOpenConns int
	busyTimeout  time.Duration
	now          func() time.Time
	logger       *slog.Logger
}

// Option configures Open.
type Option func(*config)

// WithoutMigrations skips running the embedded migrations at Open (the
// schema must then be current, e.g. after Migrate).
func WithoutMigrations() Option { return func(c *config) { c.migrate = false } }

// WithMaxOpenConns limits the connection pool (default: 2×CPUs, at least 4,
// for SQLite; 16 for PostgreSQL).
func WithMaxOpenConns(n int) Option { return func(c *config) { c.maxOpenConns = n } }

// WithBusyTimeout sets how long a SQLite writer waits for the write lock
// (default 5 s). Ignored for PostgreSQL.
func WithBusyTimeout(d time.Duration) Option { return func(c *config) { c.busyTimeout = d } }

// WithClock sets the clock used for created/updated times (tests).
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithLogger sets the logger for migrations (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// Open opens the client base. A databaseURL starting with postgres:// or
// postgresql:// is PostgreSQL; anything else is a SQLite database: a file
// path, a file: URI or sqlite://path. Pending migrations are applied unless
// WithoutMigrations is given.
func Open(ctx context.Context, databaseURL string, opts ...Option) (*Store, error) {
	cfg := config{migrate: true, busyTimeout: 5 * time.Second, now: time.Now, logger: slog.Default()}
	for _, o := range opts {
		o(&cfg)
	}
	d, dsn, err := parseURL(databaseURL, cfg.busyTimeout)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open(d.driver, dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: open %s: %w", d.name, err)
	}
	n := cfg.maxOpenConns
	if n <= 0 {
		n = 16
		if d == sqliteDialect {
			n = max(4, 2*runtime.NumCPU())
		}
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s := &Store{db: db, d: d, now: cfg.now, logger: cfg.logger, stmts: newStmtCache(db)}
	if err := s.init(ctx, cfg); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) init(ctx context.Context, cfg config) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlstore: connect to %s: %w", s.d.name, err)
	}
	if cfg.migrate {
		if err := migrateDB(ctx, s.db, s.d, s.logger); err != nil {
			return err
		}
	}
	var err error
	s.lookup, err = s.db.PrepareContext(ctx, s.d.rebind(lookupSQL(s.d)))
	if err != nil {
		return fmt.Errorf("sqlstore: prepare lookup (is the schema migrated?): %w", err)
	}
	return nil
}

// parseURL picks the dialect and builds the driver's DSN.
func parseURL(raw string, busy time.Duration) (*dialect, string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, "", errors.New("sqlstore: empty database URL")
	}
	if strings.HasPrefix(raw, "postgres://") || strings.HasPrefix(raw, "postgresql://") {
		return postgresDialect, raw, nil
	}
	path, query := raw, ""
	if strings.HasPrefix(raw, "sqlite://") {
		path = strings.TrimPrefix(raw, "sqlite://")
	}
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path, query = path[:i], path[i+1:]
	}
	if path == "" || path == "file:" {
		return nil, "", fmt.Errorf("sqlstore: %q names no database file", raw)
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return nil, "", fmt.Errorf("sqlstore: bad SQLite parameters in %q: %w", raw, err)
	}
	// Every pooled connection runs these pragmas when it is opened.
	q.Add("_pragma", "busy_timeout("+strconv.FormatInt(busy.Milliseconds(), 10)+")")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	// Writers take the write lock at BEGIN: no deadlock when two read-then-
	// write transactions meet, they queue on busy_timeout instead.
	if q.Get("_txlock") == "" {
		q.Set("_txlock", "immediate")
	}
	return sqliteDialect, path + "?" + q.Encode(), nil
}

// Backend is "sqlite" or "postgres".
func (s *Store) Backend() string { return s.d.name }

// DB is the underlying pool, for health checks and tooling.
func (s *Store) DB() *sql.DB { return s.db }

// Ping checks the database is reachable.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// Close closes the pool.
func (s *Store) Close() error {
	if s.lookup != nil {
		s.lookup.Close()
	}
	s.stmts.close()
	return s.db.Close()
}
