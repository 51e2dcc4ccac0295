package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// serveConfig parses serve's settings the way serve does.
func serveConfig(t *testing.T, env map[string]string, args ...string) (*Config, error) {
	t.Helper()
	var cfg Config
	var withDemo bool
	c, _, _ := testCLI(env, "")
	_, err := c.parse(serveCommand, serveFlagSet(&cfg, &withDemo), args, 0)
	return &cfg, err
}

func TestConfigDefaults(t *testing.T) {
	cfg, err := serveConfig(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Config{DataDir: "./data", HTTPAddr: "127.0.0.1:8080", SIPAddr: "127.0.0.1:5060", Region: "RO",
		LogLevel: slog.LevelInfo, SIPRealm: "callroute", ShutdownTimeout: defaultShutdownTimeout,
		HTTP: HTTPConfig{SessionIdleTimeout: 2 * time.Hour, SessionMaxAge: 12 * time.Hour}}
	calls := cfg.Calls
	cfg.Calls = CallConfig{}
	if !reflect.DeepEqual(*cfg, want) {
		t.Errorf("defaults = %+v, want %+v", *cfg, want)
	}
	if calls.Trunks != "127.0.0.1/32" || calls.RTPPorts != "20000-20999" || calls.DeskStrategy != "ring-all" ||
		calls.Routing.OwnerRingTime != 20*time.Second {
		t.Errorf("call defaults = %+v", calls)
	}
	cfg.Calls = calls
	if _, err := cfg.sipConfig(); err != nil {
		t.Errorf("default SIP config: %v", err)
	}
	if _, err := cfg.routingSettings(); err != nil {
		t.Errorf("default routing settings: %v", err)
	}
	if got := cfg.databaseURL(); got != filepath.Join("data", "callroute.db") {
		t.Errorf("default database = %q, want data/callroute.db", got)
	}
}

func TestConfigEnvironment(t *testing.T) {
	env := map[string]string{
		"CALLROUTE_HTTP_ADDR":        "127.0.0.1:9999",
		"CALLROUTE_DATA_DIR":         "/var/lib/callroute",
		"CALLROUTE_REGION":           "de",
		"CALLROUTE_MANAGERS_SEE_ALL": "true",
		"CALLROUTE_LOG_LEVEL":        "debug",
		"CALLROUTE_REDIS_URL":        "redis://127.0.0.1:6379/0",
		"CALLROUTE_SHUTDOWN_TIMEOUT": "3s",
	}
	t.Run("environment when no flag", func(t *testing.T) {
		cfg, err := serveConfig(t, env)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.HTTPAddr != "127.0.0.1:9999" || cfg.DataDir != "/var/lib/callroute" || cfg.Region != "DE" ||
			!cfg.ManagersSeeAll || cfg.LogLevel != slog.LevelDebug || cfg.RedisURL != "redis://127.0.0.1:6379/0" ||
			cfg.ShutdownTimeout.Seconds() != 3 {
			t.Errorf("config from the environment = %+v", *cfg)
		}
		if got := cfg.databaseURL(); got != "/var/lib/callroute/callroute.db" {
			t.Errorf("database = %q, want the file in CALLROUTE_DATA_DIR", got)
		}
	})
	t.Run("flag beats environment", func(t *testing.T) {
		cfg, err := serveConfig(t, env, "--http-addr", "127.0.0.1:7777", "--managers-see-all=false", "--region=RO")
		if err != nil {
			t.Fatal(err)
		}
		if cfg.HTTPAddr != "127.0.0.1:7777" || cfg.ManagersSeeAll || cfg.Region != "RO" {
			t.Errorf("flags did not win: %+v", *cfg)
		}
		if cfg.DataDir != "/var/lib/callroute" {
			t.Errorf("data dir %q: the environment still applies to flags not given", cfg.DataDir)
		}
	})
	t.Run("empty variable is unset", func(t *testing.T) {
		cfg, err := serveConfig(t, map[string]string{"CALLROUTE_HTTP_ADDR": ""})
		if err != nil || cfg.HTTPAddr != defaultHTTPAddr {
			t.Errorf("HTTPAddr = %q, %v", cfg.HTTPAddr, err)
		}
	})
}

func TestConfigInvalidEnvironment(t *testing.T) {
	for _, tc := range []struct{ name, value string }{
		{"CALLROUTE_MANAGERS_SEE_ALL", "maybe"},
		{"CALLROUTE_REGION", "XX"},
		{"CALLROUTE_LOG_LEVEL", "loud"},
		{"CALLROUTE_HTTP_ADDR", "8080"},
		{"CALLROUTE_SHUTDOWN_TIMEOUT", "soon"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{tc.name: tc.value, "CALLROUTE_DATA_DIR": t.TempDir()}
			r := run(t, env, "", "serve")
			if r.code != exitUsage {
				t.Errorf("exit %d, want %d", r.code, exitUsage)
			}
			if !strings.Contains(r.stderr, tc.name) || !strings.Contains(r.stderr, tc.value) {
				t.Errorf("stderr %q does not name %s=%s", r.stderr, tc.name, tc.value)
			}
		})
	}
	t.Run("invalid flag", func(t *testing.T) {
		r := run(t, nil, "", "serve", "--log-level", "loud")
		if r.code != exitUsage || !strings.Contains(r.stderr, "log-level") {
			t.Errorf("exit %d, stderr %q", r.code, r.stderr)
		}
	})
}

func TestFlagsAfterArguments(t *testing.T) {
	var cfg Config
	var label string
	fs := newTokenFlags(&cfg, &label)
	c, _, _ := testCLI(nil, "")
	pos, err := c.parse(userTokenCommand, fs, []string{"a@example.com", "--label", "ci", "--region=DE"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if pos[0] != "a@example.com" || label != "ci" || cfg.Region != "DE" {
		t.Errorf("pos %v, label %q, region %q", pos, label, cfg.Region)
	}
	if _, err := c.parse(userTokenCommand, newTokenFlags(&cfg, &label), []string{"--", "-odd@example.com"}, 1); err != nil {
		t.Errorf("an argument after --: %v", err)
	}
}

func TestDataDirCreated(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	r := run(t, map[string]string{"CALLROUTE_DATA_DIR": dir}, "", "user", "list")
	if r.code != exitOK {
		t.Fatalf("user list: exit %d", r.code)
	}
	st, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o700 {
		t.Errorf("data dir mode %v, want 0700", st.Mode().Perm())
	}
	if !strings.Contains(r.stderr, "callroute user add") {
		t.Errorf("user list on an empty database does not say how to add the first user: %q", r.stderr)
	}
}

func TestConfigHTTPS(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string // "" = fine
	}{
		{args: nil},
		{args: []string{"--http-tls-cert", "c.pem", "--http-tls-key", "k.pem"}},
		{env: map[string]string{"CALLROUTE_HTTP_TLS_CERT": "c.pem", "CALLROUTE_HTTP_TLS_KEY": "k.pem"}},
		{args: []string{"--http-tls-cert", "c.pem"}, want: "--http-tls-cert and --http-tls-key go together"},
		{env: map[string]string{"CALLROUTE_HTTP_TLS_KEY": "k.pem"}, want: "--http-tls-cert and --http-tls-key go together"},
		{args: []string{"--session-idle-timeout", "0s"}, want: "--session-idle-timeout must be positive"},
		{args: []string{"--session-max-age", "-1h"}, want: "--session-max-age must be positive"},
	} {
		cfg, err := serveConfig(t, tc.env, tc.args...)
		if err == nil {
			err = cfg.checkHTTP()
		}
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%v %v: %v", tc.args, tc.env, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%v %v: error %v, want %q", tc.args, tc.env, err, tc.want)
		}
	}
	cfg, _ := serveConfig(t, map[string]string{"CALLROUTE_SESSION_IDLE_TIMEOUT": "45m", "CALLROUTE_SESSION_MAX_AGE": "10h"})
	if p := cfg.sessionPolicy(); p.IdleTimeout != 45*time.Minute || p.MaxAge != 10*time.Hour {
		t.Errorf("session policy from the environment: %+v", p)
	}
	cfg, _ = serveConfig(t, nil, "--http-tls-cert", "/nonexistent/c.pem", "--http-tls-key", "/nonexistent/k.pem")
	if _, err := cfg.httpTLS(); err == nil || !strings.Contains(err.Error(), "/nonexistent/c.pem") {
		t.Errorf("a missing certificate: %v, want an error naming the file", err)
	}
}
