package main

import (
	"context"
	"flag"
	"fmt"

	"callroute/crm"
)

var userPasswdCommand = &command{
	name:    "user passwd",
	args:    "EMAIL [--password P]",
	summary: "set a user's sign-in password",
	about: `Sets the user's sign-in password (at least 10 characters). Without --password
it is read from standard input (one line).`,
	run: runUserPasswd,
}

var userSIPCommand = &command{
	name:    "user sip",
	args:    "EMAIL --username U [--password P]",
	summary: "set a user's SIP username and password (for desk phones)",
	about: `Sets the SIP username (extension) and password the user's desk phones will
register with. Only digest hashes (HA1, MD5 and SHA-256) for the --sip-realm
are stored, never the password. Without --password it is read from standard
input (one line, at least 8 characters). Phones register with them at
--sip-addr (digest authentication, realm --sip-realm).`,
	run: runUserSIP,
}

var userTokenCommand = &command{
	name:    "user token",
	args:    "EMAIL [--label L]",
	summary: "create an API token for a user; prints the token alone on standard output",
	about: `Creates a new API token for the user and prints it, alone on one line, on
standard output (it is shown only once). Use it as
  curl -H "Authorization: Bearer <token>" http://127.0.0.1:8080/api/v1/...`,
	run: runUserToken,
}

func runUserPasswd(ctx context.Context, c *cli, cmd *command, args []string) error {
	var cfg Config
	var password string
	fs := flag.NewFlagSet("user passwd", flag.ContinueOnError)
	cfg.storeFlags(fs)
	cfg.serviceFlags(fs)
	fs.StringVar(&password, "password", "", "the new `password` (default: read from standard input)")
	pos, err := c.parse(cmd, fs, args, 1)
	if err != nil {
		return err
	}
	email := pos[0]
	if !flagGiven(fs, "password") {
		if password, err = c.readSecret(fmt.Sprintf("New password for %s: ", email)); err != nil {
			return err
		}
	}
	svc, closeStore, err := openService(ctx, &cfg, newLogger(&cfg, c.stderr))
	if err != nil {
		return err
	}
	defer closeStore()
	u, err := userByEmail(ctx, svc, email)
	if err != nil {
		return err
	}
	if err := svc.SetPassword(ctx, crm.System, u.ID, password); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "password set for %s\n", u.Email)
	return nil
}

func runUserSIP(ctx context.Context, c *cli, cmd *command, args []string) error {
	var cfg Config
	var username, password string
	fs := flag.NewFlagSet("user sip", flag.ContinueOnError)
	cfg.storeFlags(fs)
	cfg.serviceFlags(fs)
	fs.StringVar(&username, "username", "", "SIP `username` (the extension): letters, digits, '.', '-' or '_'")
	fs.StringVar(&password, "password", "", "SIP `password` (default: read from standard input)")
	pos, err := c.parse(cmd, fs, args, 1)
	if err != nil {
		return err
	}
	if username == "" {
		return usagef("user sip: --username is required")
	}
	email := pos[0]
	if !flagGiven(fs, "password") {
		if password, err = c.readSecret(fmt.Sprintf("SIP password for %s: ", username)); err != nil {
			return err
		}
	}
	svc, closeStore, err := openService(ctx, &cfg, newLogger(&cfg, c.stderr))
	if err != nil {
		return err
	}
	defer closeStore()
	u, err := userByEmail(ctx, svc, email)
	if err != nil {
		return err
	}
	if err := svc.SetSIPCredentials(ctx, crm.System, u.ID, username, password); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "SIP credentials set for %s: username %s, realm %s\n", u.Email, username, svc.SIPRealm())
	return nil
}

func newTokenFlags(cfg *Config, label *string) *flag.FlagSet {
	fs := flag.NewFlagSet("user token", flag.ContinueOnError)
	cfg.storeFlags(fs)
	cfg.serviceFlags(fs)
	fs.StringVar(label, "label", "cli", "a `label` saying what the token is for")
	return fs
}

func runUserToken(ctx context.Context, c *cli, cmd *command, args []string) error {
	var cfg Config
	var label string
	pos, err := c.parse(cmd, newTokenFlags(&cfg, &label), args, 1)
	if err != nil {
		return err
	}
	svc, closeStore, err := openService(ctx, &cfg, newLogger(&cfg, c.stderr))
	if err != nil {
		return err
	}
	defer closeStore()
	u, err := userByEmail(ctx, svc, pos[0])
	if err != nil {
		return err
	}
	token, err := svc.CreateAPIToken(ctx, crm.System, u.ID, label)
	if err != nil {
		return err
	}
	// The token alone on standard output, so scripts can capture it.
	fmt.Fprintln(c.stdout, token)
	return nil
}
