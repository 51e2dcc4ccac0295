package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"callroute/crm"
	"callroute/crm/sqlstore"
	"callroute/internal/testclock"
	"callroute/web"
)

// site is callroute's whole HTTP server (web.New) over a fresh database,
// with a settable clock and one user of each role, all with password pw.
type site struct {
	t     *testing.T
	srv   *httptest.Server
	h     http.Handler
	svc   *crm.Service
	store *sqlstore.Store
	clock *testclock.Clock
	logs  *syncBuffer

	head, manager, agent *crm.User
}

const pw = "a long enough password"

// newSite starts the server; https serves it over TLS with cookies and
// headers for HTTPS.
func newSite(t *testing.T, dbURL string, https bool, opts ...crm.Option) *site {
	t.Helper()
	ctx := context.Background()
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(io.MultiWriter(logs, t.Output()), &slog.HandlerOptions{Level: slog.LevelInfo}))
	clock := testclock.New(time.Now().UTC())
	store, err := sqlstore.Open(ctx, dbURL, sqlstore.WithLogger(logger), sqlstore.WithClock(clock.Now))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { store.Close() })
	parser, err := crm.NewPhoneParser("RO")
	if err != nil {
		t.Fatal(err)
	}
	svc := crm.NewService(store, parser, append([]crm.Option{crm.WithClock(clock.Now)}, opts...)...)
	s := &site{t: t, svc: svc, store: store, clock: clock, logs: logs}
	s.h = web.New(web.Config{CRM: svc, Logger: logger, HTTPS: https})
	if https {
		s.srv = httptest.NewTLSServer(s.h)
	} else {
		s.srv = httptest.NewServer(s.h)
	}
	t.Cleanup(s.srv.Close)
	mk := func(email, name string, role crm.Role) *crm.User {
		u, err := svc.CreateUser(ctx, crm.System, crm.NewUser{Email: email, Name: name, Role: role, Password: pw})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	s.head = mk("head@example.com", "Helena Head", crm.RoleHead)
	s.manager = mk("mara@example.com", "Mara Manager", crm.RoleManager)
	s.agent = mk("ana@example.com", "Ana Agent", crm.RoleAgent)
	return s
}

// browser is one browser on the site: a cookie jar, no automatic
// redirects, and the headers a browser sends with its own pages' requests.
type browser struct {
	s      *site
	client *http.Client
}

func (s *site) browser() *browser {
	jar, _ := cookiejar.New(nil)
	c := *s.srv.Client()
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &browser{s: s, client: &c}
}

// page is an answer as the test reads it.
type page struct {
	status int
	header http.Header
	body   string
}

func (p *page) location() string { return p.header.Get("Location") }

var (
	formToken = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)
	metaToken = regexp.MustCompile(`<meta name="csrf-token" content="([^"]*)">`)
)

// csrf is the page's form token.
func (p *page) csrf(t *testing.T) string {
	t.Helper()
	m := formToken.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no csrf_token field on the page (status %d):\n%s", p.status, p.body)
	}
	return m[1]
}

func (b *browser) do(method, path string, body io.Reader, hdr map[string]string) *page {
	b.s.t.Helper()
	req, err := http.NewRequest(method, b.s.srv.URL+path, body)
	if err != nil {
		b.s.t.Fatal(err)
	}
	if method != http.MethodGet && method != http.MethodHead {
		req.Header.Set("Origin", b.s.srv.URL)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	for k, v := range hdr {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	res, err := b.client.Do(req)
	if err != nil {
		b.s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		b.s.t.Fatal(err)
	}
	return &page{status: res.StatusCode, header: res.Header, body: string(data)}
}

func (b *browser) get(path string) *page { return b.do(http.MethodGet, path, nil, nil) }

func (b *browser) post(path string, form url.Values, hdr map[string]string) *page {
	if hdr == nil {
		hdr = map[string]string{}
	}
	hdr["Content-Type"] = "application/x-www-form-urlencoded"
	return b.do(http.MethodPost, path, strings.NewReader(form.Encode()), hdr)
}

// signIn fills in the sign-in form as a person does and returns the answer
// to the POST.
func (b *browser) signIn(email, password string) *page {
	b.s.t.Helper()
	form := b.get("/login")
	if form.status != http.StatusOK {
		b.s.t.Fatalf("GET /login: %d", form.status)
	}
	return b.post("/login", url.Values{"csrf_token": {form.csrf(b.s.t)}, "email": {email}, "password": {password}}, nil)
}

// mustSignIn signs in and checks it worked.
func (b *browser) mustSignIn(u *crm.User) {
	b.s.t.Helper()
	if p := b.signIn(u.Email, pw); p.status != http.StatusSeeOther || p.location() != "/" {
		b.s.t.Fatalf("sign in as %s: %d %s\n%s", u.Email, p.status, p.location(), p.body)
	}
}

// sessionCookie is the browser's session cookie value ("" when none).
func (b *browser) sessionCookie(name string) string {
	u, _ := url.Parse(b.s.srv.URL)
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// workspaceToken is the CSRF token the signed-in workspace page carries.
func (b *browser) workspaceToken() string {
	b.s.t.Helper()
	p := b.get("/")
	if p.status != http.StatusOK {
		b.s.t.Fatalf("GET /: %d %s", p.status, p.location())
	}
	m := metaToken.FindStringSubmatch(p.body)
	if m == nil || m[1] == "" {
		b.s.t.Fatalf("no csrf-token meta on the workspace:\n%s", p.body)
	}
	return m[1]
}

// signedIn reports whether the browser's session opens the workspace.
func (b *browser) signedIn() bool {
	b.s.t.Helper()
	p := b.get("/")
	switch {
	case p.status == http.StatusOK:
		return true
	case p.status == http.StatusSeeOther && strings.HasPrefix(p.location(), "/login"):
		return false
	}
	b.s.t.Fatalf("GET /: %d %s", p.status, p.location())
	return false
}

// raw sends one request straight to the handler, with a chosen peer
// address (the throttle counts per source).
func (s *site) raw(req *http.Request, remote string) *httptest.ResponseRecorder {
	req.RemoteAddr = remote
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	return rec
}
