package main

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"callroute/crm"
	"callroute/internal/testdb"
)

var tokenLine = regexp.MustCompile(`^crt_[A-Za-z0-9_-]+\n$`)

func TestUserAddAndToken(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		env := dbEnv(t, url)
		// The password on standard input, as a script gives it.
		r := run(t, env, "correct horse battery\n", "user", "add", "--email", "Head@Example.com",
			"--name", "Ioana Popescu", "--role", "head")
		if r.code != exitOK || !strings.Contains(r.stdout, "head@example.com") {
			t.Fatalf("user add: exit %d, stdout %q", r.code, r.stdout)
		}

		r = run(t, env, "", "user", "token", "head@example.com", "--label", "test")
		if r.code != exitOK {
			t.Fatalf("user token: exit %d", r.code)
		}
		if !tokenLine.MatchString(r.stdout) {
			t.Fatalf("user token printed %q, want the token alone on one line", r.stdout)
		}
		svc := openTestService(t, url)
		ctx := context.Background()
		u, err := svc.Authenticate(ctx, strings.TrimSpace(r.stdout))
		if err != nil {
			t.Fatalf("the printed token does not authenticate: %v", err)
		}
		if u.Email != "head@example.com" || u.Role != crm.RoleHead {
			t.Errorf("token belongs to %s (%s)", u.Email, u.Role)
		}
		if _, err := svc.CheckPassword(ctx, "head@example.com", "correct horse battery"); err != nil {
			t.Errorf("the password read from standard input does not sign in: %v", err)
		}

		r = run(t, env, "", "user", "list")
		if r.code != exitOK || !strings.Contains(r.stdout, "Ioana Popescu") || !strings.Contains(r.stdout, "head") {
			t.Errorf("user list: exit %d, stdout %q", r.code, r.stdout)
		}
	})
}

func TestUserCommandsSQLite(t *testing.T) {
	url := testdb.SQLite(t)
	env := dbEnv(t, url)
	if r := run(t, env, "", "user", "add", "--email", "m@example.com", "--name", "Mihai", "--role", "manager",
		"--password", "short"); r.code != exitRuntime || !strings.Contains(r.stderr, "password") {
		t.Errorf("a short password: exit %d, stderr %q", r.code, r.stderr)
	}
	// No password on standard input: the user is added without one.
	if r := run(t, env, "", "user", "add", "--email", "m@example.com", "--name", "Mihai", "--role", "manager"); r.code != exitOK ||
		!strings.Contains(r.stderr, "no password yet") {
		t.Fatalf("user add without a password: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := run(t, env, "", "user", "add", "--email", "m@example.com", "--name", "Again", "--role", "agent",
		"--password", "long enough password"); r.code != exitRuntime || !strings.Contains(r.stderr, "email") {
		t.Errorf("a duplicate email: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := run(t, env, "new password 123\n", "user", "passwd", "m@example.com"); r.code != exitOK {
		t.Errorf("user passwd: exit %d", r.code)
	}
	if r := run(t, env, "", "user", "sip", "m@example.com", "--username", "201", "--password", "sip-secret-1"); r.code != exitOK {
		t.Errorf("user sip: exit %d", r.code)
	}
	if r := run(t, env, "", "user", "token", "nobody@example.com"); r.code != exitRuntime ||
		!strings.Contains(r.stderr, "no user with email nobody@example.com") || r.stdout != "" {
		t.Errorf("token for an unknown user: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}

	svc := openTestService(t, url)
	ctx := context.Background()
	if _, err := svc.CheckPassword(ctx, "m@example.com", "new password 123"); err != nil {
		t.Errorf("user passwd did not set the password: %v", err)
	}
	u, err := svc.UserByEmail(ctx, "m@example.com")
	if err != nil {
		t.Fatal(err)
	}
	md5, _ := crm.SIPHA1("201", crm.DefaultSIPRealm, "sip-secret-1")
	if u.SIPUsername != "201" || u.SIPHA1MD5 != md5 {
		t.Errorf("SIP credentials = %q %q", u.SIPUsername, u.SIPHA1MD5)
	}
}
