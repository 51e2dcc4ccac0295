package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"

	"callroute/crm"
	"callroute/crm/sqlstore"
)

// newLogger logs text lines to w (standard error) from the configured level.
func newLogger(cfg *Config, w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: cfg.LogLevel}))
}

// openStore opens the client base the configuration names: it creates the
// data directory and applies pending migrations.
func openStore(ctx context.Context, cfg *Config, logger *slog.Logger) (*sqlstore.Store, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create the data directory: %w", err)
	}
	dbURL := cfg.databaseURL()
	st, err := sqlstore.Open(ctx, dbURL, sqlstore.WithLogger(logger))
	if err != nil {
		return nil, fmt.Errorf("open the database %s: %w", redactURL(dbURL), err)
	}
	return st, nil
}

// newService is the client base with the configured rules.
func newService(cfg *Config, store crm.Store) (*crm.Service, error) {
	phones, err := crm.NewPhoneParser(cfg.Region)
	if err != nil {
		return nil, err
	}
	return crm.NewService(store, phones,
		crm.WithSIPRealm(cfg.SIPRealm),
		crm.WithManagersSeeAll(cfg.ManagersSeeAll),
		crm.WithSessionPolicy(cfg.sessionPolicy())), nil
}

// openService opens the store and the service over it, for the commands
// that act on the client base; close closes the store.
func openService(ctx context.Context, cfg *Config, logger *slog.Logger) (svc *crm.Service, close func(), err error) {
	st, err := openStore(ctx, cfg, logger)
	if err != nil {
		return nil, nil, err
	}
	svc, err = newService(cfg, st)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return svc, func() {
		if err := st.Close(); err != nil {
			logger.Warn("close the database", "err", err)
		}
	}, nil
}

// redactURL hides the password of a database URL before it is printed.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	return u.Redacted()
}
