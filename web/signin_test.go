package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"callroute/crm"
	"callroute/internal/testdb"
)

const (
	wrongMessage = "The email or password is not right."
	cookieName   = "callroute_session"
)

func TestSignInAndOut(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		s := newSite(t, dbURL, false)

		t.Run("not signed in, the workspace sends to the sign-in page", func(t *testing.T) {
			p := s.browser().get("/")
			if p.status != http.StatusSeeOther || p.location() != "/login" {
				t.Fatalf("GET / = %d %q, want 303 /login", p.status, p.location())
			}
		})

		t.Run("the sign-in page has its fields", func(t *testing.T) {
			p := s.browser().get("/login")
			for _, id := range []string{"login-email", "login-password", "login-submit"} {
				if !strings.Contains(p.body, `data-testid="`+id+`"`) {
					t.Errorf("sign-in page lacks data-testid %q", id)
				}
			}
			if strings.Contains(p.body, `data-testid="login-error"`) {
				t.Error("a fresh sign-in page shows an error")
			}
		})

		t.Run("a wrong password and an unknown email get the same answer", func(t *testing.T) {
			wrong := s.browser().signIn("mara@example.com", "not her password")
			unknown := s.browser().signIn("nobody@example.com", pw)
			for name, p := range map[string]*page{"wrong password": wrong, "unknown email": unknown} {
				if p.status != http.StatusOK || !strings.Contains(p.body, `data-testid="login-error">`+wrongMessage+"<") {
					t.Errorf("%s: %d, want 200 with %q:\n%s", name, p.status, wrongMessage, p.body)
				}
				if sc := p.header.Values("Set-Cookie"); strings.Contains(strings.Join(sc, ";"), cookieName+"=crs_") {
					t.Errorf("%s set a session cookie: %v", name, sc)
				}
			}
			strip := func(p *page) string {
				return metaToken.ReplaceAllString(formToken.ReplaceAllString(strings.ReplaceAll(p.body, "nobody@example.com", "mara@example.com"), ""), "")
			}
			if strip(wrong) != strip(unknown) {
				t.Errorf("the pages differ beyond the typed email and the form token:\n%s\n---\n%s", wrong.body, unknown.body)
			}
		})

		t.Run("the right password opens the workspace with the user's name", func(t *testing.T) {
			b := s.browser()
			b.mustSignIn(s.manager)
			p := b.get("/")
			if p.status != http.StatusOK {
				t.Fatalf("GET /: %d", p.status)
			}
			for _, want := range []string{`data-testid="current-user">Mara Manager<`, `data-testid="logout"`,
				`data-testid="softphone"`, `data-testid="presence"`, ">manager<"} {
				if !strings.Contains(p.body, want) {
					t.Errorf("workspace lacks %q", want)
				}
			}
		})

		t.Run("signing out ends the session in storage", func(t *testing.T) {
			b := s.browser()
			b.mustSignIn(s.agent)
			old := b.sessionCookie(cookieName)
			token := b.workspaceToken()
			p := b.post("/logout", url.Values{"csrf_token": {token}}, nil)
			if p.status != http.StatusSeeOther || p.location() != "/login" {
				t.Fatalf("POST /logout: %d %q", p.status, p.location())
			}
			if b.signedIn() {
				t.Fatal("still signed in after signing out")
			}
			// The old cookie, replayed by anyone, opens nothing.
			thief := s.browser()
			u, _ := url.Parse(s.srv.URL)
			thief.client.Jar.SetCookies(u, []*http.Cookie{{Name: cookieName, Value: old}})
			if thief.signedIn() {
				t.Error("the signed-out cookie still opens the workspace")
			}
			if p := thief.get("/login"); !strings.Contains(p.body, "Your session has ended.") {
				t.Error("the sign-in page does not say the session ended")
			}
			req, _ := http.NewRequest(http.MethodGet, s.srv.URL+"/api/v1/me", nil)
			req.AddCookie(&http.Cookie{Name: cookieName, Value: old})
			res, err := s.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusUnauthorized {
				t.Errorf("API with the signed-out cookie: %d, want 401", res.StatusCode)
			}
		})

		t.Run("a new sign-in gets a new token and ends the old one", func(t *testing.T) {
			b := s.browser()
			b.mustSignIn(s.manager)
			first := b.sessionCookie(cookieName)
			b.get("/logout") // GET changes nothing (405)
			if !b.signedIn() {
				t.Fatal("GET /logout signed out")
			}
			// Signing in again from the same browser (as another user).
			p := b.post("/login", url.Values{"csrf_token": {loginToken(t, b)}, "email": {s.head.Email}, "password": {pw}}, nil)
			if p.status != http.StatusSeeOther {
				t.Fatalf("second sign-in: %d", p.status)
			}
			second := b.sessionCookie(cookieName)
			if second == first || second == "" {
				t.Fatalf("the session token did not change: %q", second)
			}
			if _, _, err := s.svc.Session(context.Background(), first); err == nil {
				t.Error("the replaced session still works")
			}
			if p := b.get("/"); !strings.Contains(p.body, "Helena Head") {
				t.Error("the second sign-in did not switch the user")
			}
		})

		t.Run("signed in, the sign-in page goes on", func(t *testing.T) {
			b := s.browser()
			b.mustSignIn(s.agent)
			if p := b.get("/login"); p.status != http.StatusSeeOther || p.location() != "/" {
				t.Errorf("GET /login signed in: %d %q", p.status, p.location())
			}
		})
	})
}

// loginToken is the token of the sign-in form a browser gets: a signed-in
// browser is redirected from /login, so it is read from the login cookie.
func loginToken(t *testing.T, b *browser) string {
	t.Helper()
	if v := b.sessionCookie("callroute_login"); v != "" {
		return v
	}
	fresh := b.s.browser().get("/login")
	tok := fresh.csrf(t)
	u, _ := url.Parse(b.s.srv.URL)
	b.client.Jar.SetCookies(u, []*http.Cookie{{Name: "callroute_login", Value: tok, Path: "/"}})
	return tok
}

func TestSessionCookie(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		https bool
		want  []string
		not   []string
	}{
		{"plain HTTP", false, []string{"callroute_session=crs_", "Path=/", "HttpOnly", "SameSite=Lax"},
			[]string{"Secure", "__Host-", "Domain=", "Max-Age", "Expires"}},
		{"HTTPS", true, []string{"__Host-callroute_session=crs_", "Path=/", "HttpOnly", "Secure", "SameSite=Lax"},
			[]string{"Domain=", "Max-Age", "Expires"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newSite(t, testdb.SQLite(t), tc.https)
			p := s.browser().signIn(s.agent.Email, pw)
			if p.status != http.StatusSeeOther {
				t.Fatalf("sign in: %d\n%s", p.status, p.body)
			}
			var cookie string
			for _, c := range p.header.Values("Set-Cookie") {
				if strings.Contains(c, "callroute_session=") {
					cookie = c
				}
			}
			for _, w := range tc.want {
				if !strings.Contains(cookie, w) {
					t.Errorf("session cookie %q lacks %q", cookie, w)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(cookie, n) {
					t.Errorf("session cookie %q has %q", cookie, n)
				}
			}
			// The token: crs_ and 43 base64url characters (256 bits).
			v := strings.SplitN(strings.SplitN(cookie, "=", 2)[1], ";", 2)[0]
			if len(v) != 4+43 {
				t.Errorf("token %q: %d characters, want 47", v, len(v))
			}
			hsts := p.header.Get("Strict-Transport-Security")
			if tc.https && hsts != "max-age=31536000" {
				t.Errorf("HSTS %q over HTTPS, want max-age=31536000", hsts)
			}
			if !tc.https && hsts != "" {
				t.Errorf("HSTS %q over plain HTTP", hsts)
			}
		})
	}
}

func TestSessionEnds(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		s := newSite(t, dbURL, false, crm.WithSessionPolicy(crm.SessionPolicy{IdleTimeout: time.Hour, MaxAge: 3 * time.Hour}))
		ctx := context.Background()

		t.Run("a deactivated user is signed out at the next request", func(t *testing.T) {
			b := s.browser()
			b.mustSignIn(s.agent)
			if err := s.svc.SetUserActive(ctx, crm.ActorOf(s.head), s.agent.ID, false); err != nil {
				t.Fatal(err)
			}
			if b.signedIn() {
				t.Error("a deactivated user still opens the workspace")
			}
			if p := b.signIn(s.agent.Email, pw); !strings.Contains(p.body, wrongMessage) {
				t.Errorf("a deactivated user signing in: %d\n%s", p.status, p.body)
			}
		})

		t.Run("idle", func(t *testing.T) {
			b := s.browser()
			b.mustSignIn(s.manager)
			s.clock.Add(59 * time.Minute)
			if !b.signedIn() {
				t.Fatal("signed out after 59 minutes idle of 60")
			}
			s.clock.Add(59 * time.Minute)
			if !b.signedIn() {
				t.Fatal("signed out 59 minutes after the last request")
			}
			s.clock.Add(61 * time.Minute)
			if b.signedIn() {
				t.Fatal("still signed in after 61 minutes idle")
			}
		})

		t.Run("absolute", func(t *testing.T) {
			b := s.browser()
			b.mustSignIn(s.head)
			for range 5 { // busy: a request every 40 minutes, for 200 minutes
				s.clock.Add(40 * time.Minute)
				b.get("/")
			}
			if b.signedIn() {
				t.Fatal("still signed in 200 minutes after sign-in, max age 180")
			}
		})
	})
}

func TestSignInThrottle(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		s := newSite(t, dbURL, false)
		// Straight to the handler, so the peer address can be chosen.
		form := s.browser().get("/login")
		token := form.csrf(t)
		try := func(remote, email, password string) *page {
			t.Helper()
			v := url.Values{"csrf_token": {token}, "email": {email}, "password": {password}}
			req, _ := http.NewRequest(http.MethodPost, "/login", strings.NewReader(v.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.AddCookie(&http.Cookie{Name: "callroute_login", Value: token})
			rec := s.raw(req, remote)
			return &page{status: rec.Code, header: rec.Header(), body: rec.Body.String()}
		}
		const attacker, office = "192.0.2.66:41000", "198.51.100.7:52000"
		for i := range 10 {
			if p := try(attacker, s.manager.Email, "guess"); p.status != http.StatusOK || !strings.Contains(p.body, wrongMessage) {
				t.Fatalf("guess %d: %d", i+1, p.status)
			}
		}
		p := try(attacker, s.manager.Email, pw)
		if p.status != http.StatusTooManyRequests || p.header.Get("Retry-After") != "60" ||
			!strings.Contains(p.body, "Too many failed sign-ins") {
			t.Fatalf("11th try from the attacker's address: %d Retry-After %q\n%s", p.status, p.header.Get("Retry-After"), p.body)
		}
		if p := try(office, s.manager.Email, pw); p.status != http.StatusSeeOther {
			t.Fatalf("the real user from elsewhere: %d, want 303 (signed in)\n%s", p.status, p.body)
		}
		if !strings.Contains(s.logs.String(), "sign-in throttled") {
			t.Error("no log line for the throttled source")
		}
		s.clock.Add(61 * time.Second)
		if p := try(attacker, s.manager.Email, pw); p.status != http.StatusSeeOther {
			t.Fatalf("a minute later: %d", p.status)
		}
	})
}
