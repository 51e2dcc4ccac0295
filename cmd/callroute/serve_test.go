package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"callroute/crm/demo"
)

// server is a serve command running in the background.
type server struct {
	stdout, stderr *syncBuffer
	cancel         context.CancelFunc
	done           chan int
}

func startServe(t *testing.T, env map[string]string, args ...string) *server {
	t.Helper()
	c, stdout, stderr := testCLI(env, "")
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{stdout: stdout, stderr: stderr, cancel: cancel, done: make(chan int, 1)}
	go func() { s.done <- c.run(ctx, append([]string{"serve"}, args...)) }()
	t.Cleanup(func() { s.stop(t) })
	return s
}

// waitFor waits until stdout matches re, and returns its submatches.
func (s *server) waitFor(t *testing.T, re *regexp.Regexp) []string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(s.stdout.String()); m != nil {
			return m
		}
		select {
		case code := <-s.done:
			s.done <- code
			t.Fatalf("serve ended with exit %d before printing %v\nstdout:\n%s\nstderr:\n%s", code, re, s.stdout, s.stderr)
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("serve did not print %v in time\nstdout:\n%s\nstderr:\n%s", re, s.stdout, s.stderr)
	return nil
}

// stop stops the server as SIGTERM does, and checks it ends cleanly.
func (s *server) stop(t *testing.T) {
	t.Helper()
	s.cancel()
	select {
	case code := <-s.done:
		s.done <- code
		if code != exitOK {
			t.Errorf("serve exit %d after shutdown\nstderr:\n%s", code, s.stderr)
		}
	case <-time.After(30 * time.Second):
		t.Errorf("serve did not stop within 30 s of the signal")
	}
}

var curlLine = regexp.MustCompile(`curl -H "Authorization: Bearer (crt_[A-Za-z0-9_-]+)" (http://[0-9.:]+)(/api/v1/callers/\S+)`)

func get(t *testing.T, url, token string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	var body json.RawMessage
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

// TestServeDemo is the "what it must show": serve --demo on a fresh
// data directory prints a token and a curl whose national-format number
// finds the demo contact, company and owner.
func TestServeDemo(t *testing.T) {
	env := map[string]string{
		"CALLROUTE_DATA_DIR":  filepath.Join(t.TempDir(), "data"),
		"CALLROUTE_HTTP_ADDR": "127.0.0.1:0", // serve prints the port it got
		"CALLROUTE_SIP_ADDR":  "127.0.0.1:0",
		"CALLROUTE_LOG_LEVEL": "warn",
	}
	srv := startServe(t, env, "--demo")
	m := srv.waitFor(t, curlLine)
	token, base, path := m[1], m[2], m[3]
	out := srv.stdout.String()
	for _, want := range []string{"listening on " + base, demo.Password, demo.HeadEmail, "manager", "desk agent",
		"Sign in at\n  " + base + "/login\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("serve --demo output does not show %q:\n%s", want, out)
		}
	}
	// And how to take a first call in the browser, at the SIP address it
	// listens on.
	srv.waitFor(t, regexp.MustCompile(`sign in as the desk agent Ana Stan \(ana\.stan@carpathia\.example\), then call in from a new number:\n  callroute dial --from 0215550123 --sip-addr 127\.0\.0\.1:\d+ --duration 30s`))
	if !regexp.MustCompile(`/api/v1/callers/0\d{9}$`).MatchString(path) {
		t.Errorf("the curl's number %q is not in national format", path)
	}

	code, body := get(t, base+path, token)
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, code, body)
	}
	var caller struct {
		Contact *struct{ Name string }
		Company *struct{ Name string }
		Owner   *struct{ Name, Email string }
	}
	if err := json.Unmarshal(body, &caller); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	if caller.Contact == nil || caller.Contact.Name != "Andrei Mureșan" ||
		caller.Company == nil || caller.Company.Name != "Transilvania Logistics SRL" ||
		caller.Owner == nil || caller.Owner.Name != "Mihai Ionescu" || caller.Owner.Email != "mihai.ionescu@carpathia.example" {
		t.Errorf("caller = %s", body)
	}
	if code, _ := get(t, base+path, ""); code != http.StatusUnauthorized {
		t.Errorf("without a token: %d, want 401", code)
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		if code, body := get(t, base+p, ""); code != http.StatusOK {
			t.Errorf("GET %s: %d %s", p, code, body)
		}
	}
	// The printed password signs the demo head of sales in on the page.
	if code := signInPage(t, base, demo.HeadEmail, demo.Password); code != http.StatusSeeOther {
		t.Errorf("sign in as %s with the printed password: %d, want 303", demo.HeadEmail, code)
	}
	srv.stop(t)

	// A second start finds the demo data and prints a new token that works.
	again := startServe(t, env, "--demo")
	m2 := again.waitFor(t, curlLine)
	if m2[1] == token {
		t.Error("the second start printed the same token")
	}
	if code, body := get(t, m2[2]+m2[3], m2[1]); code != http.StatusOK || !strings.Contains(string(body), "Andrei Mureșan") {
		t.Errorf("second start: GET %s: %d %s", m2[3], code, body)
	}
	if strings.Count(again.stdout.String(), demo.HeadEmail) != 1 {
		t.Errorf("second start output:\n%s", again.stdout)
	}
}

// TestServeEmpty: without --demo an empty database starts, and serve says how
// to add the first user.
func TestServeEmpty(t *testing.T) {
	env := map[string]string{
		"CALLROUTE_DATA_DIR":  filepath.Join(t.TempDir(), "data"),
		"CALLROUTE_REDIS_URL": "redis://127.0.0.1:6379",
		"CALLROUTE_SIP_ADDR":  "127.0.0.1:0",
	}
	srv := startServe(t, env, "--http-addr", "127.0.0.1:0")
	m := srv.waitFor(t, regexp.MustCompile(`listening on (http://\S+)\n(?s:.*)callroute user token you@example.com`))
	if code, _ := get(t, m[1]+"/healthz", ""); code != http.StatusOK {
		t.Errorf("/healthz: %d", code)
	}
	srv.stop(t)
	if !strings.Contains(srv.stderr.String(), "redis-url is set but not used yet") {
		t.Errorf("no warning that --redis-url is not used:\n%s", srv.stderr)
	}
}

var loginFormToken = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// signInPage signs in through the sign-in form as a browser would and
// returns the status of the POST (303 on success).
func signInPage(t *testing.T, base, email, password string) int {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Get(base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := loginFormToken.FindSubmatch(body)
	if m == nil {
		t.Fatalf("GET /login: %d, no form token:\n%s", res.StatusCode, body)
	}
	res, err = c.PostForm(base+"/login", url.Values{"csrf_token": {string(m[1])}, "email": {email}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}
