package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"callroute/crm"
	"callroute/internal/testdb"
)

func TestCSRF(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		s := newSite(t, dbURL, false)
		b := s.browser()
		b.mustSignIn(s.manager)
		token := b.workspaceToken()

		// Each refused sign-out must leave the session working.
		for name, tc := range map[string]struct {
			form url.Values
			hdr  map[string]string
		}{
			"no token":                    {url.Values{}, nil},
			"a wrong token":               {url.Values{"csrf_token": {wrongToken(token)}}, nil},
			"another session's token":     {url.Values{"csrf_token": {otherToken(t, s)}}, nil},
			"cross-site (Sec-Fetch-Site)": {url.Values{"csrf_token": {token}}, map[string]string{"Sec-Fetch-Site": "cross-site"}},
			"foreign Origin, no Sec-Fetch-Site": {url.Values{"csrf_token": {token}},
				map[string]string{"Sec-Fetch-Site": "", "Origin": "https://evil.example"}},
		} {
			p := b.post("/logout", tc.form, tc.hdr)
			if p.status != http.StatusForbidden {
				t.Errorf("%s: POST /logout %d, want 403", name, p.status)
			}
			if !strings.Contains(p.body, "nothing was changed") || !strings.Contains(p.header.Get("Content-Type"), "text/html") {
				t.Errorf("%s: the 403 is not the page saying nothing changed:\n%s", name, p.body)
			}
			if !b.signedIn() {
				t.Fatalf("%s: the refused sign-out signed the user out", name)
			}
		}
		if !strings.Contains(s.logs.String(), "cross-origin request refused") {
			t.Error("no log line for the cross-origin request")
		}

		// The sign-in form has a token of its own (double submit).
		other := s.browser()
		p := other.post("/login", url.Values{"email": {s.agent.Email}, "password": {pw}}, nil)
		if p.status != http.StatusForbidden || !strings.Contains(p.body, "The sign-in form expired") ||
			strings.Contains(strings.Join(p.header.Values("Set-Cookie"), " "), "callroute_session=crs_") {
			t.Errorf("sign-in without the form's token: %d\n%s", p.status, p.body)
		}
		// The page it answers with has a fresh token that works.
		if p := other.post("/login", url.Values{"csrf_token": {p.csrf(t)}, "email": {s.agent.Email}, "password": {pw}}, nil); p.status != http.StatusSeeOther {
			t.Errorf("sign-in with the refreshed form: %d", p.status)
		}
		// A cross-site sign-in post (login CSRF) is refused before any check.
		p = s.browser().signInWith(s.agent.Email, pw, map[string]string{"Sec-Fetch-Site": "cross-site"})
		if p.status != http.StatusForbidden {
			t.Errorf("cross-site sign-in post: %d, want 403", p.status)
		}
	})
}

// otherToken is the CSRF token of another user's session.
func otherToken(t *testing.T, s *site) string {
	t.Helper()
	b := s.browser()
	b.mustSignIn(s.agent)
	return b.workspaceToken()
}

// signInWith is signIn with extra headers on the POST.
func (b *browser) signInWith(email, password string, hdr map[string]string) *page {
	form := b.get("/login")
	return b.post("/login", url.Values{"csrf_token": {form.csrf(b.s.t)}, "email": {email}, "password": {password}}, hdr)
}

func TestNextIsLocalOnly(t *testing.T) {
	t.Parallel()
	s := newSite(t, testdb.SQLite(t), false)
	for _, next := range []string{"//evil.example/", "https://evil.example/", `/\evil.example`, "/\t/evil.example",
		"javascript:alert(1)", "evil.example", "http:/evil.example"} {
		b := s.browser()
		form := b.get("/login?next=" + url.QueryEscape(next))
		if strings.Contains(form.body, `name="next"`) {
			t.Errorf("next %q: the form carries it on", next)
		}
		p := b.post("/login", url.Values{"csrf_token": {form.csrf(t)}, "email": {s.agent.Email}, "password": {pw}, "next": {next}}, nil)
		if p.status != http.StatusSeeOther || p.location() != "/" {
			t.Errorf("next %q: sign-in went to %d %q, want /", next, p.status, p.location())
		}
	}
	b := s.browser()
	form := b.get("/login?next=" + url.QueryEscape("/?tab=calls"))
	p := b.post("/login", url.Values{"csrf_token": {form.csrf(t)}, "email": {s.agent.Email}, "password": {pw},
		"next": {"/?tab=calls"}}, nil)
	if p.location() != "/?tab=calls" {
		t.Errorf("a local next: sign-in went to %q", p.location())
	}
}

// The browser UI calls the REST API with its session cookie; unsafe methods
// need the page's CSRF token in X-CSRF-Token. Bearer tokens work as ever.
func TestAPIWithSessionCookie(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		s := newSite(t, dbURL, false)
		b := s.browser()
		b.mustSignIn(s.manager)
		token := b.workspaceToken()
		api := func(method, path, body string, hdr map[string]string) *page {
			t.Helper()
			h := map[string]string{"Content-Type": "application/json"}
			for k, v := range hdr {
				h[k] = v
			}
			return b.do(method, "/api/v1"+path, strings.NewReader(body), h)
		}
		companies := func() int {
			t.Helper()
			var l struct{ Items []crm.Company }
			p := api(http.MethodGet, "/companies", "", nil)
			if err := json.Unmarshal([]byte(p.body), &l); err != nil || p.status != http.StatusOK {
				t.Fatalf("list companies: %d %s", p.status, p.body)
			}
			return len(l.Items)
		}

		p := api(http.MethodGet, "/me", "", nil)
		if p.status != http.StatusOK || !strings.Contains(p.body, `"email":"mara@example.com"`) {
			t.Fatalf("GET /me with the cookie: %d %s", p.status, p.body)
		}
		const acme = `{"name":"Acme SRL"}`
		for name, hdr := range map[string]map[string]string{
			"without the CSRF header": nil,
			"with a wrong one":        {"X-CSRF-Token": "nope"},
		} {
			if p := api(http.MethodPost, "/companies", acme, hdr); p.status != http.StatusForbidden || !strings.Contains(p.body, "CSRF") {
				t.Errorf("POST %s: %d %s, want 403 naming CSRF", name, p.status, p.body)
			}
		}
		if p := api(http.MethodPost, "/companies", acme, map[string]string{"X-CSRF-Token": token, "Sec-Fetch-Site": "cross-site"}); p.status != http.StatusForbidden {
			t.Errorf("cross-site POST with the right token: %d, want 403", p.status)
		}
		if n := companies(); n != 0 {
			t.Fatalf("refused posts created %d companies", n)
		}
		if p := api(http.MethodPost, "/companies", acme, map[string]string{"X-CSRF-Token": token}); p.status != http.StatusCreated {
			t.Fatalf("POST with the CSRF header: %d %s", p.status, p.body)
		}
		if n := companies(); n != 1 {
			t.Fatalf("%d companies after one accepted post", n)
		}
		// The role rules are the same as with a token: a manager may not
		// import.
		if p := api(http.MethodPost, "/import/contacts", "name\nX\n", map[string]string{"X-CSRF-Token": token, "Content-Type": "text/csv"}); p.status != http.StatusForbidden {
			t.Errorf("a manager imports through the cookie: %d", p.status)
		}

		// A bearer token needs no CSRF token, with or without a cookie.
		bearer, err := s.svc.CreateAPIToken(t.Context(), crm.System, s.head.ID, "test")
		if err != nil {
			t.Fatal(err)
		}
		auth := map[string]string{"Authorization": "Bearer " + bearer, "Origin": "", "Sec-Fetch-Site": ""}
		if p := api(http.MethodPost, "/companies", `{"name":"Beta SA"}`, auth); p.status != http.StatusCreated {
			t.Errorf("POST with a bearer token: %d %s", p.status, p.body)
		}
		if p := api(http.MethodGet, "/me", "", auth); !strings.Contains(p.body, "head@example.com") {
			t.Errorf("the bearer token wins over the cookie: %s", p.body)
		}
		if p := api(http.MethodGet, "/me", "", map[string]string{"Authorization": "Bearer crt_wrong"}); p.status != http.StatusUnauthorized {
			t.Errorf("a wrong bearer token beside a good cookie: %d, want 401", p.status)
		}
	})
}

// wrongToken is token with its first character changed (never the token
// itself, whatever it starts with).
func wrongToken(token string) string {
	first := "x"
	if strings.HasPrefix(token, first) {
		first = "y"
	}
	return first + token[1:]
}
