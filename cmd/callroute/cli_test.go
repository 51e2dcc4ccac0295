package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"callroute/crm"
	"callroute/crm/sqlstore"
)

// The CLI tests run commands in-process through cli.run, the code path of
// main, with their own streams and an environment of their own (never the
// test process's, so a CALLROUTE_* variable on the machine changes nothing).

// result is how a command ended.
type result struct {
	code           int
	stdout, stderr string
}

// syncBuffer is a bytes.Buffer safe to read while a command writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testCLI is a cli with captured output and the given environment.
func testCLI(env map[string]string, stdin string) (*cli, *syncBuffer, *syncBuffer) {
	var stdout, stderr syncBuffer
	return &cli{
		stdin:  strings.NewReader(stdin),
		stdout: &stdout,
		stderr: &stderr,
		getenv: func(k string) string { return env[k] },
	}, &stdout, &stderr
}

// run runs one command to its end.
func run(t *testing.T, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	c, stdout, stderr := testCLI(env, stdin)
	code := c.run(context.Background(), args)
	r := result{code: code, stdout: stdout.String(), stderr: stderr.String()}
	t.Logf("callroute %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	return r
}

// dbEnv is the environment of commands on a test database, with the data
// directory in the test's temp dir.
func dbEnv(t *testing.T, databaseURL string) map[string]string {
	return map[string]string{
		"CALLROUTE_DATA_DIR":     filepath.Join(t.TempDir(), "data"),
		"CALLROUTE_DATABASE_URL": databaseURL,
		"CALLROUTE_LOG_LEVEL":    "warn",
	}
}

// openTestService opens the database the commands used, to check what they
// did.
func openTestService(t *testing.T, databaseURL string) *crm.Service {
	t.Helper()
	st, err := sqlstore.Open(context.Background(), databaseURL)
	if err != nil {
		t.Fatalf("open %s: %v", databaseURL, err)
	}
	t.Cleanup(func() { st.Close() })
	phones, err := crm.NewPhoneParser("RO")
	if err != nil {
		t.Fatal(err)
	}
	return crm.NewService(st, phones)
}

func TestHelp(t *testing.T) {
	r := run(t, nil, "", "help")
	if r.code != exitOK {
		t.Fatalf("help: exit %d", r.code)
	}
	for _, want := range []string{"serve", "migrate", "user add", "user token", "import contacts",
		"CALLROUTE_DATA_DIR", "CALLROUTE_DATABASE_URL", "CALLROUTE_REDIS_URL", "CALLROUTE_HTTP_ADDR",
		"CALLROUTE_SIP_ADDR", "CALLROUTE_REGION", "CALLROUTE_LOG_LEVEL", "CALLROUTE_SIP_REALM",
		"CALLROUTE_MANAGERS_SEE_ALL", "default 127.0.0.1:8080", "default ./data"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("help does not mention %q", want)
		}
	}
	for _, args := range [][]string{{"serve", "-h"}, {"help", "user", "add"}, {"user", "--help"}, {"import", "contacts", "-h"}} {
		if r := run(t, nil, "", args...); r.code != exitOK || !strings.Contains(r.stdout, "callroute") {
			t.Errorf("%v: exit %d, stdout %q", args, r.code, r.stdout)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "no command"},
		{[]string{"dance"}, `unknown command "dance"`},
		{[]string{"user"}, "user: which one?"},
		{[]string{"user", "token"}, "want 1 argument(s), got 0"},
		{[]string{"user", "add", "--email", "a@example.com"}, "--email, --name and --role are required"},
		{[]string{"user", "add", "--email", "a@example.com", "--name", "A", "--role", "boss"}, `unknown role "boss"`},
		{[]string{"serve", "--no-such-flag"}, "flag provided but not defined"},
		{[]string{"serve", "--demo", "--region", "DE"}, "--demo needs --region RO"},
	} {
		r := run(t, nil, "", tc.args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tc.want) || !strings.HasPrefix(r.stderr, "callroute") {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
}

func TestMigrate(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"CALLROUTE_DATA_DIR": filepath.Join(dir, "nested", "data")}
	r := run(t, env, "", "migrate")
	if r.code != exitOK || !strings.Contains(r.stdout, "schema version") {
		t.Fatalf("migrate: exit %d, stdout %q", r.code, r.stdout)
	}
	if !strings.Contains(r.stdout, filepath.Join(dir, "nested", "data", "callroute.db")) {
		t.Errorf("migrate did not use the SQLite file in the data directory: %q", r.stdout)
	}
}
