package crm_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"callroute/crm"
	"callroute/crm/sqlstore"
	"callroute/internal/testclock"
	"callroute/internal/testdb"
)

const password = "correct horse battery"

// sessionWorld is a service over a fresh database with one manager, ann,
// whose password is password.
type sessionWorld struct {
	svc   *crm.Service
	store *sqlstore.Store
	clock *testclock.Clock
	ann   *crm.User
}

func newSessionWorld(t *testing.T, url string, opts ...crm.Option) *sessionWorld {
	t.Helper()
	ctx := context.Background()
	c := testclock.New(time.Date(2025, 6, 2, 8, 0, 0, 0, time.UTC))
	st, err := sqlstore.Open(ctx, url, sqlstore.WithClock(c.Now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	phones, err := crm.NewPhoneParser("RO")
	if err != nil {
		t.Fatal(err)
	}
	svc := crm.NewService(st, phones, append([]crm.Option{crm.WithClock(c.Now)}, opts...)...)
	ann, err := svc.CreateUser(ctx, crm.System, crm.NewUser{Email: "ann@example.com", Name: "Ann", Role: crm.RoleManager, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	return &sessionWorld{svc: svc, store: st, clock: c, ann: ann}
}

func (w *sessionWorld) signIn(email, pw, source string) (*crm.SignedIn, error) {
	return w.svc.SignIn(context.Background(), crm.SignInRequest{Email: email, Password: pw, Source: source, UserAgent: "test"})
}

func (w *sessionWorld) mustSignIn(t *testing.T) *crm.SignedIn {
	t.Helper()
	s, err := w.signIn("ann@example.com", password, "192.0.2.1")
	if err != nil {
		t.Fatalf("sign in: %v", err)
	}
	return s
}

func TestSignIn(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	testdb.Each(t, func(t *testing.T, url string) {
		w := newSessionWorld(t, url)
		s, err := w.signIn(" ANN@example.com ", password, "192.0.2.1")
		if err != nil {
			t.Fatalf("the right password: %v", err)
		}
		if s.User.ID != w.ann.ID || !strings.HasPrefix(s.Token, "crs_") || len(s.Token) < 4+43 {
			t.Fatalf("signed in as %+v with token %q", s.User, s.Token)
		}
		if s.Session.TokenHash == s.Token || s.Session.TokenHash != crm.HashToken(s.Token) || len(s.Session.CSRFToken) < 43 {
			t.Fatalf("session %+v: want the token's hash stored and a CSRF token", s.Session)
		}
		sess, u, err := w.svc.Session(ctx, s.Token)
		if err != nil || u.ID != w.ann.ID || sess.ID != s.Session.ID {
			t.Fatalf("Session(token) = %+v, %+v, %v", sess, u, err)
		}

		for name, try := range map[string][2]string{
			"wrong password": {"ann@example.com", "not the password"},
			"unknown email":  {"nobody@example.com", password},
			"empty":          {"", ""},
			"overlong email": {strings.Repeat("a", 300) + "@example.com", password},
		} {
			if _, err := w.signIn(try[0], try[1], "192.0.2.1"); !errors.Is(err, crm.ErrUnauthenticated) {
				t.Errorf("%s: %v, want ErrUnauthenticated", name, err)
			}
		}
		if _, _, err := w.svc.Session(ctx, "crt_an-api-token"); !errors.Is(err, crm.ErrUnauthenticated) {
			t.Errorf("an API token as a session token: %v", err)
		}
		if _, err := w.svc.SignIn(ctx, crm.SignInRequest{Email: "ann@example.com", Password: password}); err == nil {
			t.Error("a sign-in without a source was accepted")
		}

		// A new sign-in in the same browser ends the session it replaces.
		s2, err := w.svc.SignIn(ctx, crm.SignInRequest{Email: "ann@example.com", Password: password, Source: "192.0.2.1", Replace: s.Token})
		if err != nil {
			t.Fatal(err)
		}
		if s2.Token == s.Token {
			t.Fatal("a second sign-in got the same token")
		}
		if _, _, err := w.svc.Session(ctx, s.Token); !errors.Is(err, crm.ErrUnauthenticated) {
			t.Errorf("the replaced session still works: %v", err)
		}

		// Signing out ends it in storage.
		sess2, _, err := w.svc.Session(ctx, s2.Token)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.svc.SignOut(ctx, sess2); err != nil {
			t.Fatal(err)
		}
		if _, _, err := w.svc.Session(ctx, s2.Token); !errors.Is(err, crm.ErrUnauthenticated) {
			t.Errorf("a signed-out session still works: %v", err)
		}
		if err := w.svc.SignOut(ctx, sess2); err != nil {
			t.Errorf("signing out twice: %v", err)
		}
	})
}

func TestSessionTimeouts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	testdb.Each(t, func(t *testing.T, url string) {
		w := newSessionWorld(t, url, crm.WithSessionPolicy(crm.SessionPolicy{IdleTimeout: 30 * time.Minute, MaxAge: 2 * time.Hour}))

		idle := w.mustSignIn(t)
		w.clock.Add(29 * time.Minute)
		if _, _, err := w.svc.Session(ctx, idle.Token); err != nil {
			t.Fatalf("29 min idle of 30: %v", err)
		}
		w.clock.Add(29 * time.Minute) // 29 min since the last use
		if _, _, err := w.svc.Session(ctx, idle.Token); err != nil {
			t.Fatalf("used 29 min ago: %v", err)
		}
		w.clock.Add(30 * time.Minute)
		if _, _, err := w.svc.Session(ctx, idle.Token); !errors.Is(err, crm.ErrUnauthenticated) {
			t.Fatalf("30 min idle: %v, want ErrUnauthenticated", err)
		}

		busy := w.mustSignIn(t)
		for range 11 { // a request every 11 min for 121 min
			w.clock.Add(11 * time.Minute)
			if _, _, err := w.svc.Session(ctx, busy.Token); err != nil && w.clock.Now().Sub(busy.Session.CreatedAt) < 2*time.Hour {
				t.Fatalf("busy session ended after %v: %v", w.clock.Now().Sub(busy.Session.CreatedAt), err)
			}
		}
		if _, _, err := w.svc.Session(ctx, busy.Token); !errors.Is(err, crm.ErrUnauthenticated) {
			t.Fatalf("a busy session past its max age: %v, want ErrUnauthenticated", err)
		}
		if p := w.svc.SessionPolicy(); p.IdleTimeout != 30*time.Minute || p.MaxAge != 2*time.Hour {
			t.Errorf("policy %+v", p)
		}
	})
}

func TestSessionsEndWithTheUser(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	testdb.Each(t, func(t *testing.T, url string) {
		w := newSessionWorld(t, url)
		head, err := w.svc.CreateUser(ctx, crm.System, crm.NewUser{Email: "head@example.com", Name: "Head", Role: crm.RoleHead})
		if err != nil {
			t.Fatal(err)
		}
		s := w.mustSignIn(t)

		// Deactivated behind the service's back: the next request fails.
		ann := *w.ann
		ann.Active = false
		if err := w.store.UpdateUser(ctx, crm.System, &ann); err != nil {
			t.Fatal(err)
		}
		if _, _, err := w.svc.Session(ctx, s.Token); !errors.Is(err, crm.ErrUnauthenticated) {
			t.Fatalf("inactive user's session: %v, want ErrUnauthenticated", err)
		}
		if _, err := w.signIn("ann@example.com", password, "192.0.2.1"); !errors.Is(err, crm.ErrUnauthenticated) {
			t.Fatalf("inactive user signs in: %v", err)
		}

		// Through the service: the head reactivates, ann signs in; the head
		// deactivates, every session is gone from storage.
		if err := w.svc.SetUserActive(ctx, crm.ActorOf(w.ann), w.ann.ID, true); !errors.Is(err, crm.ErrForbidden) {
			t.Fatalf("a manager reactivates themselves: %v", err)
		}
		if err := w.svc.SetUserActive(ctx, crm.ActorOf(head), w.ann.ID, true); err != nil {
			t.Fatal(err)
		}
		s1, s2 := w.mustSignIn(t), w.mustSignIn(t)
		if err := w.svc.SetUserActive(ctx, crm.ActorOf(head), w.ann.ID, false); err != nil {
			t.Fatal(err)
		}
		for _, s := range []*crm.SignedIn{s1, s2} {
			if _, _, err := w.store.SessionByTokenHash(ctx, s.Session.TokenHash); !errors.Is(err, crm.ErrNotFound) {
				t.Errorf("a deactivated user's session is still stored: %v", err)
			}
		}

		// A new password ends the sessions signed in with the old one.
		if err := w.svc.SetUserActive(ctx, crm.ActorOf(head), w.ann.ID, true); err != nil {
			t.Fatal(err)
		}
		s3 := w.mustSignIn(t)
		if err := w.svc.SetPassword(ctx, crm.ActorOf(head), w.ann.ID, "another long password"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := w.svc.Session(ctx, s3.Token); !errors.Is(err, crm.ErrUnauthenticated) {
			t.Errorf("session after a password change: %v", err)
		}

		// EndSessions: oneself or the head; not another manager.
		if err := w.svc.SetPassword(ctx, crm.ActorOf(head), w.ann.ID, password); err != nil {
			t.Fatal(err)
		}
		s4 := w.mustSignIn(t)
		if _, err := w.svc.EndSessions(ctx, crm.Actor{UserID: 99, Role: crm.RoleManager}, w.ann.ID); !errors.Is(err, crm.ErrForbidden) {
			t.Errorf("another manager ends ann's sessions: %v", err)
		}
		if n, err := w.svc.EndSessions(ctx, crm.ActorOf(head), w.ann.ID); err != nil || n != 1 {
			t.Errorf("EndSessions = %d, %v; want 1", n, err)
		}
		if _, _, err := w.svc.Session(ctx, s4.Token); !errors.Is(err, crm.ErrUnauthenticated) {
			t.Errorf("session after EndSessions: %v", err)
		}
	})
}

func TestSignInThrottle(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, url string) {
		w := newSessionWorld(t, url)
		const attacker, elsewhere = "192.0.2.66", "198.51.100.7"
		for i := range crm.DefaultSignInPerAccountSource {
			if _, err := w.signIn("ann@example.com", "guess", attacker); !errors.Is(err, crm.ErrUnauthenticated) {
				t.Fatalf("guess %d: %v, want ErrUnauthenticated", i+1, err)
			}
		}
		// The 11th try within the minute is refused, even with the password.
		if _, err := w.signIn("ann@example.com", password, attacker); !errors.Is(err, crm.ErrThrottled) {
			t.Fatalf("11th try: %v, want ErrThrottled", err)
		}
		// The same holds for an email nobody has: the brake tells nothing.
		for range crm.DefaultSignInPerAccountSource {
			w.signIn("nobody@example.com", "guess", attacker)
		}
		if _, err := w.signIn("nobody@example.com", "guess", attacker); !errors.Is(err, crm.ErrThrottled) {
			t.Fatalf("unknown email, 11th try: %v, want ErrThrottled", err)
		}
		// Ann, from her own machine, is not locked out.
		if _, err := w.signIn("ann@example.com", password, elsewhere); err != nil {
			t.Fatalf("ann from elsewhere: %v", err)
		}
		// A minute later the attacker's slate is clean.
		w.clock.Add(time.Minute + time.Second)
		if _, err := w.signIn("ann@example.com", password, attacker); err != nil {
			t.Fatalf("a minute later: %v", err)
		}
	})
}

func TestSignInThrottlePerSource(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, url string) {
		w := newSessionWorld(t, url, crm.WithSignInThrottle(crm.SignInThrottle{PerAccountSource: 3, PerSource: 5}))
		const office = "192.0.2.10"
		// Two failures and a success: the success forgets ann's failures.
		w.signIn("ann@example.com", "typo", office)
		w.signIn("ann@example.com", "typo", office)
		if _, err := w.signIn("ann@example.com", password, office); err != nil {
			t.Fatal(err)
		}
		for i, email := range []string{"a@example.com", "b@example.com", "c@example.com", "d@example.com", "e@example.com"} {
			if _, err := w.signIn(email, "guess", office); !errors.Is(err, crm.ErrUnauthenticated) {
				t.Fatalf("spray %d: %v", i, err)
			}
		}
		// Five failures over five emails from one source: the source is braked.
		if _, err := w.signIn("ann@example.com", password, office); !errors.Is(err, crm.ErrThrottled) {
			t.Fatalf("after a spray of 5 from the source: %v, want ErrThrottled", err)
		}
		if th := w.svc.SignInThrottle(); th.Window != time.Minute || th.PerSource != 5 || th.PerAccountSource != 3 {
			t.Errorf("throttle %+v", th)
		}
	})
}
