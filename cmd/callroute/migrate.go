package main

import (
	"context"
	"flag"
	"fmt"
)

var migrateCommand = &command{
	name:    "migrate",
	summary: "apply pending database migrations and print the schema version",
	about: `Applies the schema migrations embedded in this binary that the database has
not had yet, and prints the schema version. serve does the same at start, so
this is for upgrading ahead of time (several nodes, one PostgreSQL).`,
	run: runMigrate,
}

func runMigrate(ctx context.Context, c *cli, cmd *command, args []string) error {
	var cfg Config
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	cfg.storeFlags(fs)
	if _, err := c.parse(cmd, fs, args, 0); err != nil {
		return err
	}
	logger := newLogger(&cfg, c.stderr)
	st, err := openStore(ctx, &cfg, logger)
	if err != nil {
		return err
	}
	defer st.Close()
	current, latest, err := st.SchemaVersion(ctx)
	if err != nil {
		return fmt.Errorf("read the schema version: %w", err)
	}
	fmt.Fprintf(c.stdout, "%s database %s: schema version %d (latest %d)\n",
		st.Backend(), redactURL(cfg.databaseURL()), current, latest)
	return nil
}
