package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"

	"callroute/crm"
	"callroute/crm/demo"
)

// startInfo is what serve prints after the address it listens on: how to
// begin.
type startInfo struct {
	firstUser bool       // the database has no users: say how to add one
	demo      *demo.Info // demo data to try
	token     string     // an API token for the demo head of sales
	notDemo   bool       // --demo on a database with other users
}

// demoIntro seeds an empty database with the demo company, or finds the
// demo data of an earlier start, and makes a new API token for the demo head
// of sales (only a hash of earlier tokens is stored, so a new one is the
// only way to print one).
func demoIntro(ctx context.Context, svc *crm.Service, logger *slog.Logger) (*startInfo, error) {
	users, err := svc.Users(ctx)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	var info *demo.Info
	if len(users) == 0 {
		logger.Info("seeding demo data", "company", demo.Company)
		if info, err = demo.Seed(ctx, svc); err != nil {
			return nil, err
		}
	} else if info, err = demo.Describe(ctx, svc); errors.Is(err, demo.ErrNoDemo) {
		logger.Warn("--demo: the database already has users that are not the demo's; no demo data added")
		return &startInfo{notDemo: true}, nil
	} else if err != nil {
		return nil, err
	}
	token, err := svc.CreateAPIToken(ctx, crm.System, info.Head().ID, "demo")
	if err != nil {
		return nil, fmt.Errorf("API token for the demo: %w", err)
	}
	return &startInfo{demo: info, token: token}, nil
}

// emptyIntro notes an empty database, which needs its first user.
func emptyIntro(ctx context.Context, svc *crm.Service) (*startInfo, error) {
	users, err := svc.Users(ctx)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return &startInfo{firstUser: len(users) == 0}, nil
}

var roleNames = map[crm.Role]string{
	crm.RoleHead:    "head of sales",
	crm.RoleManager: "manager",
	crm.RoleAgent:   "desk agent",
}

func (s *startInfo) print(w io.Writer, baseURL string) {
	switch {
	case s.firstUser:
		fmt.Fprintf(w, "\n%s\n", firstUserHint)
	case s.notDemo:
		fmt.Fprintf(w, "\n--demo: this database already has users that are not the demo's, so no demo data\nwas added. Use an empty --data-dir to try the demo.\n")
	case s.demo != nil:
		s.printDemo(w, baseURL)
	}
}

func (s *startInfo) printDemo(w io.Writer, baseURL string) {
	d := s.demo
	fmt.Fprintf(w, "\nDemo data: %s, a B2B supplier with its clients. Sign in at\n  %s/login\nas any demo user, with the password %q:\n", d.Company, baseURL, d.Password)
	for _, u := range d.Users {
		fmt.Fprintf(w, "  %-14s %-18s %s\n", roleNames[u.Role], u.Name, u.Email)
	}
	head := d.Head()
	fmt.Fprintf(w, "\nAPI token of %s (head of sales), new at this start:\n  %s\n", head.Name, s.token)
	c := d.Caller
	fmt.Fprintf(w, "\nWho is calling from %s? (%s)\n", c.National, describeCaller(c))
	// National format without spaces: what a person types, and nothing to escape.
	phone := url.PathEscape(strings.ReplaceAll(c.National, " ", ""))
	fmt.Fprintf(w, "  curl -H \"Authorization: Bearer %s\" %s/api/v1/callers/%s\n", s.token, baseURL, phone)
}

func describeCaller(c demo.Caller) string {
	var parts []string
	if c.Name != "" {
		parts = append(parts, c.Name)
	}
	if c.Company != "" {
		parts = append(parts, "at "+c.Company)
	}
	if c.Owner != nil {
		parts = append(parts, "owned by "+c.Owner.Name)
		if c.Target != nil && c.Target.ID != c.Owner.ID {
			parts = append(parts, "who is away: calls go to "+c.Target.Name)
		}
	}
	if len(parts) == 0 {
		return "an unknown caller"
	}
	return strings.Join(parts, ", ")
}

// printCall says how to take a first call in the browser with the demo
// data: a new caller rings the desk.
func (s *startInfo) printCall(w io.Writer, sipAddr string) {
	if s.demo == nil {
		return
	}
	for _, u := range s.demo.Users {
		if u.Role == crm.RoleAgent {
			fmt.Fprintf(w, "\nTake a call in the browser: sign in as the desk agent %s (%s), then call in from a new number:\n"+
				"  callroute dial --from 0215550123 --sip-addr %s --duration 30s\n", u.Name, u.Email, sipAddr)
			return
		}
	}
}
