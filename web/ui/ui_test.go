package ui_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"callroute/crm"
	"callroute/crm/sqlstore"
	"callroute/internal/testdb"
	"callroute/web/session"
	"callroute/web/ui"
)

// world is the UI alone on a router, with one more screen mounted through
// Guard for the head of sales only, as the softphone's pages will be.
type world struct {
	t     *testing.T
	srv   *httptest.Server
	svc   *crm.Service
	users map[crm.Role]*crm.User
}

const password = "a long enough password"

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(t.Output(), nil))
	st, err := sqlstore.Open(ctx, testdb.SQLite(t), sqlstore.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	phones, _ := crm.NewPhoneParser("RO")
	svc := crm.NewService(st, phones)
	pages, err := ui.New(ui.Config{CRM: svc, Sessions: session.New(svc, false, logger), Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	pages.Routes(r)
	r.With(pages.Guard(crm.RoleHead)).Get("/reports", func(w http.ResponseWriter, r *http.Request) {
		u := session.User(r.Context())
		_, _ = io.WriteString(w, "reports for "+u.Name+" token "+session.CSRFToken(r.Context()))
	})
	r.With(pages.Guard(crm.RoleHead)).Post("/reports/rebuild", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "rebuilt")
	})
	w := &world{t: t, srv: httptest.NewServer(r), svc: svc, users: map[crm.Role]*crm.User{}}
	t.Cleanup(w.srv.Close)
	for _, role := range []crm.Role{crm.RoleHead, crm.RoleManager, crm.RoleAgent} {
		u, err := svc.CreateUser(ctx, crm.System, crm.NewUser{Email: string(role) + "@example.com", Name: "The " + string(role), Role: role, Password: password})
		if err != nil {
			t.Fatal(err)
		}
		w.users[role] = u
	}
	return w
}

// as returns a session cookie of a user.
func (w *world) as(role crm.Role) (*http.Cookie, *crm.SignedIn) {
	w.t.Helper()
	s, err := w.svc.SignIn(context.Background(), crm.SignInRequest{Email: w.users[role].Email, Password: password, Source: "127.0.0.1"})
	if err != nil {
		w.t.Fatal(err)
	}
	return &http.Cookie{Name: session.CookieName, Value: s.Token}, s
}

func (w *world) do(method, path string, c *http.Cookie, hdr map[string]string) (*http.Response, string) {
	w.t.Helper()
	req, _ := http.NewRequest(method, w.srv.URL+path, nil)
	if c != nil {
		req.AddCookie(c)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func TestRolesOnPages(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	head, signed := w.as(crm.RoleHead)
	res, body := w.do(http.MethodGet, "/reports", head, nil)
	if res.StatusCode != http.StatusOK || body != "reports for The head token "+signed.Session.CSRFToken {
		t.Fatalf("head on a head-only page: %d %q", res.StatusCode, body)
	}
	for _, role := range []crm.Role{crm.RoleManager, crm.RoleAgent} {
		c, _ := w.as(role)
		res, body := w.do(http.MethodGet, "/reports", c, nil)
		if res.StatusCode != http.StatusForbidden || !strings.Contains(res.Header.Get("Content-Type"), "text/html") ||
			!strings.Contains(body, "Not for your role") {
			t.Errorf("%s on a head-only page: %d %s\n%s", role, res.StatusCode, res.Header.Get("Content-Type"), body)
		}
		// The workspace is open to every role.
		if res, _ := w.do(http.MethodGet, "/", c, nil); res.StatusCode != http.StatusOK {
			t.Errorf("%s on the workspace: %d", role, res.StatusCode)
		}
	}
	// Not signed in: to the sign-in page, and back here afterwards.
	res, _ = w.do(http.MethodGet, "/reports?month=2025-06", nil, nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login?next=%2Freports%3Fmonth%3D2025-06" {
		t.Errorf("not signed in: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	// A guarded action checks the CSRF token too.
	if res, _ := w.do(http.MethodPost, "/reports/rebuild", head, nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("guarded POST without a token: %d, want 403", res.StatusCode)
	}
	if res, body := w.do(http.MethodPost, "/reports/rebuild", head, map[string]string{"X-CSRF-Token": signed.Session.CSRFToken}); res.StatusCode != http.StatusOK {
		t.Errorf("guarded POST with the token: %d %s", res.StatusCode, body)
	}
}

func TestPageHeaders(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c, _ := w.as(crm.RoleAgent)
	for _, path := range []string{"/login", "/"} {
		var cookie *http.Cookie
		if path == "/" {
			cookie = c
		}
		res, _ := w.do(http.MethodGet, path, cookie, nil)
		h := res.Header
		if h.Get("Cache-Control") != "no-store" || h.Get("Referrer-Policy") != "same-origin" ||
			!strings.HasPrefix(h.Get("Content-Security-Policy"), "default-src 'self'; ") ||
			!strings.Contains(h.Get("Permissions-Policy"), "microphone=(self)") {
			t.Errorf("%s headers: %v", path, h)
		}
	}
}

var assetURL = regexp.MustCompile(`(?:href|src)="(/static/[0-9a-f]{12}/[^"]+)"`)

func TestStaticFiles(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	_, body := w.do(http.MethodGet, "/login", nil, nil)
	urls := assetURL.FindAllStringSubmatch(body, -1)
	if len(urls) < 3 {
		t.Fatalf("the sign-in page links %d static files, want the CSS, the JS and the icon:\n%s", len(urls), body)
	}
	types := map[string]string{".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml"}
	for _, m := range urls {
		u := m[1]
		res, data := w.do(http.MethodGet, u, nil, nil)
		ext := u[strings.LastIndexByte(u, '.'):]
		if res.StatusCode != http.StatusOK || len(data) == 0 || res.Header.Get("Content-Type") != types[ext] ||
			res.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" || res.Header.Get("ETag") == "" {
			t.Errorf("GET %s: %d type %q cache %q", u, res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Cache-Control"))
		}
		// The file as an older (or newer) build names it: served, not kept.
		other := "/static/000000000000/" + strings.SplitN(u, "/", 4)[3]
		if res, _ := w.do(http.MethodGet, other, nil, nil); res.StatusCode != http.StatusOK || res.Header.Get("Cache-Control") != "no-cache" {
			t.Errorf("GET %s: %d cache %q", other, res.StatusCode, res.Header.Get("Cache-Control"))
		}
		if res, _ := w.do(http.MethodGet, u, nil, map[string]string{"If-None-Match": res.Header.Get("ETag")}); res.StatusCode != http.StatusNotModified {
			t.Errorf("GET %s again with its ETag: %d, want 304", u, res.StatusCode)
		}
	}
	for _, bad := range []string{"/static/", "/static/abc", "/static/000000000000/nope.js", "/static/000000000000/../ui.go"} {
		if res, _ := w.do(http.MethodGet, bad, nil, nil); res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", bad, res.StatusCode)
		}
	}
}
