package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"callroute/crm"
)

// The user commands act as callroute itself (crm.System): whoever can run
// the binary on the database is its administrator.

var userAddCommand = &command{
	name:    "user add",
	args:    "--email E --name N --role head|manager|agent [--password P]",
	summary: "add a user (head of sales, manager or desk agent)",
	about: `Adds a user. Without --password the password is read from standard input
(one line, at least 10 characters); an empty line adds the user without a
password (they can still use an API token: callroute user token E).`,
	run: runUserAdd,
}

var userListCommand = &command{
	name:    "user list",
	summary: "list users",
	about:   "Lists every user: role, whether they can sign in, and their SIP username.",
	run:     runUserList,
}

func runUserAdd(ctx context.Context, c *cli, cmd *command, args []string) error {
	var cfg Config
	var in crm.NewUser
	var role string
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	cfg.storeFlags(fs)
	cfg.serviceFlags(fs)
	fs.StringVar(&in.Email, "email", "", "the user's `email`, which names them in every command")
	fs.StringVar(&in.Name, "name", "", "the user's full `name`")
	fs.StringVar(&role, "role", "", "`role`: head (head of sales), manager or agent (inbound desk)")
	fs.StringVar(&in.Password, "password", "", "sign-in `password` (default: read from standard input)")
	if _, err := c.parse(cmd, fs, args, 0); err != nil {
		return err
	}
	if in.Email == "" || in.Name == "" || role == "" {
		return usagef("user add: --email, --name and --role are required")
	}
	r, err := crm.ParseRole(role)
	if err != nil {
		return usagef("user add: --role: %v", err)
	}
	in.Role = r
	if !flagGiven(fs, "password") {
		if in.Password, err = c.readSecret(fmt.Sprintf("Password for %s (at least %d characters): ", in.Email, crm.MinPasswordLen)); err != nil {
			return err
		}
	}
	svc, closeStore, err := openService(ctx, &cfg, newLogger(&cfg, c.stderr))
	if err != nil {
		return err
	}
	defer closeStore()
	u, err := svc.CreateUser(ctx, crm.System, in)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "added %s %s <%s> (id %d)\n", u.Role, u.Name, u.Email, u.ID)
	if in.Password == "" {
		fmt.Fprintf(c.stderr, "note: %s has no password yet; set one with: callroute user passwd %s\n", u.Email, u.Email)
	}
	return nil
}

func runUserList(ctx context.Context, c *cli, cmd *command, args []string) error {
	var cfg Config
	fs := flag.NewFlagSet("user list", flag.ContinueOnError)
	cfg.storeFlags(fs)
	cfg.serviceFlags(fs)
	if _, err := c.parse(cmd, fs, args, 0); err != nil {
		return err
	}
	svc, closeStore, err := openService(ctx, &cfg, newLogger(&cfg, c.stderr))
	if err != nil {
		return err
	}
	defer closeStore()
	users, err := svc.Users(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tEMAIL\tNAME\tROLE\tACTIVE\tPASSWORD\tSIP USERNAME\tCREATED")
	for _, u := range users {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", u.ID, u.Email, u.Name, u.Role,
			yesNo(u.Active), yesNo(u.PasswordHash != ""), orDash(u.SIPUsername), u.CreatedAt.Format(time.DateOnly))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(users) == 0 {
		fmt.Fprintln(c.stderr, firstUserHint)
	}
	return nil
}

// firstUserHint tells how to start on an empty database.
const firstUserHint = `No users yet. Create the first one (the head of sales) and an API token:
  callroute user add --email you@example.com --name "Your Name" --role head
  callroute user token you@example.com`

// userByEmail finds the user a command names.
func userByEmail(ctx context.Context, svc *crm.Service, email string) (*crm.User, error) {
	u, err := svc.UserByEmail(ctx, email)
	if errors.Is(err, crm.ErrNotFound) {
		return nil, fmt.Errorf("no user with email %s (see callroute user list)", email)
	}
	if err != nil {
		return nil, fmt.Errorf("find user %s: %w", email, err)
	}
	return u, nil
}

// readSecret reads one line from standard input: a password not given as a
// flag, so it stays out of the shell history. On a terminal it asks first
// (what is typed is shown: pipe the password in to avoid that).
func (c *cli) readSecret(prompt string) (string, error) {
	if f, ok := c.stdin.(*os.File); ok && isTerminal(f) {
		fmt.Fprint(c.stderr, prompt)
	}
	line, err := bufio.NewReader(c.stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the password from standard input: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func flagGiven(fs *flag.FlagSet, name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
