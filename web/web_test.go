package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"callroute/crm"
	"callroute/crm/sqlstore"
	"callroute/internal/testdb"
	"callroute/web"
)

// server runs web.New over a fresh database; it returns the server, the
// store (to break it) and the log.
func server(t *testing.T, url string, cfg web.Config) (*httptest.Server, *sqlstore.Store, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	cfg.Logger = slog.New(slog.NewJSONHandler(io.MultiWriter(logs, t.Output()), &slog.HandlerOptions{Level: slog.LevelDebug}))
	store, err := sqlstore.Open(context.Background(), url, sqlstore.WithLogger(cfg.Logger))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { store.Close() })
	parser, err := crm.NewPhoneParser("RO")
	if err != nil {
		t.Fatal(err)
	}
	cfg.CRM = crm.NewService(store, parser)
	srv := httptest.NewServer(web.New(cfg))
	t.Cleanup(srv.Close)
	return srv, store, logs
}

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

func get(t *testing.T, srv *httptest.Server, path string) (*http.Response, string) {
	t.Helper()
	res, err := srv.Client().Get(srv.URL + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(b)
}

func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, url string) {
		t.Parallel()
		srv, store, _ := server(t, url, web.Config{})
		res, body := get(t, srv, "/healthz")
		if res.StatusCode != http.StatusOK || strings.TrimSpace(body) != "ok" {
			t.Errorf("healthz: %d %q", res.StatusCode, body)
		}
		if res.Header.Get("X-Content-Type-Options") != "nosniff" || res.Header.Get("Content-Security-Policy") == "" ||
			res.Header.Get("Referrer-Policy") == "" {
			t.Errorf("security headers missing: %v", res.Header)
		}
		if res.Header.Get("X-Request-Id") == "" {
			t.Error("no X-Request-Id in the answer")
		}
		res, body = get(t, srv, "/readyz")
		if res.StatusCode != http.StatusOK || strings.TrimSpace(body) != "ready" {
			t.Errorf("readyz with a database: %d %q", res.StatusCode, body)
		}

		store.Close() // the database goes away
		res, body = get(t, srv, "/readyz")
		var e struct{ Error string }
		if err := json.Unmarshal([]byte(body), &e); err != nil || res.StatusCode != http.StatusServiceUnavailable ||
			!strings.Contains(e.Error, "database") {
			t.Errorf("readyz without a database: %d %q, want 503 naming the database", res.StatusCode, body)
		}
		if res, _ := get(t, srv, "/healthz"); res.StatusCode != http.StatusOK {
			t.Errorf("healthz without a database: %d, want 200 (the process still serves)", res.StatusCode)
		}
	})
}

func TestReadyzCustomCheck(t *testing.T) {
	t.Parallel()
	var deadline time.Duration
	srv, _, _ := server(t, testdb.SQLite(t), web.Config{Ready: func(ctx context.Context) error {
		if d, ok := ctx.Deadline(); ok {
			deadline = time.Until(d)
		}
		return errors.New("sip listener: not started")
	}})
	res, body := get(t, srv, "/readyz")
	if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "sip listener: not started") {
		t.Errorf("readyz: %d %q, want 503 naming the SIP listener", res.StatusCode, body)
	}
	if deadline <= 0 || deadline > 2*time.Second {
		t.Errorf("readiness check deadline %s, want at most 2s", deadline)
	}
}

func TestMetricsAndRequestLog(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	srv, _, logs := server(t, testdb.SQLite(t), web.Config{Registry: reg})
	res1, _ := get(t, srv, "/api/v1/contacts/123")
	get(t, srv, "/api/v1/contacts/456")
	get(t, srv, "/no/such/page")
	if res1.StatusCode != http.StatusUnauthorized {
		t.Fatalf("contact without a token: %d", res1.StatusCode)
	}
	res, body := get(t, srv, "/metrics")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("metrics: %d", res.StatusCode)
	}
	for _, want := range []string{
		`callroute_http_requests_total{code="401",method="GET",route="/api/v1/contacts/{id}"} 2`,
		`callroute_http_request_duration_seconds_count{route="/api/v1/contacts/{id}"} 2`,
		`callroute_http_requests_total{code="404",method="GET",route="unmatched"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(body, "/contacts/123") {
		t.Error("metrics carry a raw path; want route patterns only")
	}

	id := res1.Header.Get("X-Request-Id")
	var found bool
	for _, line := range strings.Split(logs.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) != nil || rec["msg"] != "http request" || rec["request_id"] != id {
			continue
		}
		found = true
		if rec["method"] != "GET" || rec["route"] != "/api/v1/contacts/{id}" || rec["status"] != float64(401) ||
			rec["duration"] == nil {
			t.Errorf("request log %v", rec)
		}
	}
	if !found {
		t.Errorf("no request log line with request_id %s in:\n%s", id, logs)
	}
}

func TestDefaultRegistryHasRuntimeMetrics(t *testing.T) {
	t.Parallel()
	srv, _, _ := server(t, testdb.SQLite(t), web.Config{})
	_, body := get(t, srv, "/metrics")
	for _, want := range []string{"go_goroutines", "process_cpu_seconds_total"} {
		if !strings.Contains(body, want) {
			t.Errorf("default registry lacks %s", want)
		}
	}
}

func TestTwoServersShareARegistry(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	svc := crm.NewService(nil, nil) // never called: only the routes are built
	defer func() {
		if v := recover(); v != nil {
			t.Fatalf("a second server on one registry panics: %v", v)
		}
	}()
	web.New(web.Config{CRM: svc, Registry: reg})
	web.New(web.Config{CRM: svc, Registry: reg})
}
