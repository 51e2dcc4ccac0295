package sqlstore

import (
	"errors"
	"sync"
	"testing"
	"time"

	"callroute/crm"
)

func TestSessions(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ann := mkUser(t, s, "ann@example.com")
		bob := mkUser(t, s, "bob@example.com")
		newSess := func(u *crm.User, hash string, created, seen time.Time) *crm.Session {
			t.Helper()
			sess := &crm.Session{UserID: u.ID, TokenHash: hash, CSRFToken: "csrf-" + hash, Source: "192.0.2.7",
				UserAgent: "Firefox", CreatedAt: created, LastSeenAt: seen}
			must(t, s.CreateSession(ctx, sess))
			if sess.ID == 0 {
				t.Fatal("CreateSession did not set the ID")
			}
			return sess
		}
		a1 := newSess(ann, "h1", day0, day0)
		a2 := newSess(ann, "h2", day0.Add(time.Hour), day0.Add(time.Hour))
		b1 := newSess(bob, "h3", day0, day0.Add(3*time.Hour))

		got, u, err := s.SessionByTokenHash(ctx, "h1")
		must(t, err)
		if *got != *a1 || u.ID != ann.ID || u.Email != "ann@example.com" || !u.Active {
			t.Fatalf("SessionByTokenHash = %+v, %+v; want %+v of ann", got, u, a1)
		}
		if _, _, err := s.SessionByTokenHash(ctx, "nope"); !errors.Is(err, crm.ErrNotFound) {
			t.Fatalf("unknown hash: %v, want ErrNotFound", err)
		}
		if err := s.CreateSession(ctx, &crm.Session{UserID: ann.ID, TokenHash: "h1", CreatedAt: day0, LastSeenAt: day0}); err == nil {
			t.Fatal("a second session with the same token hash was accepted")
		}
		var fe *crm.FieldError
		if err := s.CreateSession(ctx, &crm.Session{UserID: 999, TokenHash: "h9", CreatedAt: day0, LastSeenAt: day0}); !errors.As(err, &fe) || fe.Field != "user_id" {
			t.Fatalf("session of a missing user: %v", err)
		}

		// The user comes with the session as it is now: deactivated shows.
		ann.Active = false
		must(t, s.UpdateUser(ctx, crm.System, ann))
		if _, u, err := s.SessionByTokenHash(ctx, "h1"); err != nil || u.Active {
			t.Fatalf("after deactivation: user %+v, %v", u, err)
		}

		seen := day0.Add(90 * time.Minute)
		must(t, s.TouchSession(ctx, a2.ID, seen))
		if got, _, _ := s.SessionByTokenHash(ctx, "h2"); !got.LastSeenAt.Equal(seen) {
			t.Fatalf("last seen %v after touch, want %v", got.LastSeenAt, seen)
		}

		must(t, s.EndSession(ctx, crm.Actor{UserID: ann.ID, Role: crm.RoleManager}, a1.ID))
		if _, _, err := s.SessionByTokenHash(ctx, "h1"); !errors.Is(err, crm.ErrNotFound) {
			t.Fatalf("ended session still found: %v", err)
		}
		if err := s.EndSession(ctx, crm.System, a1.ID); !errors.Is(err, crm.ErrNotFound) {
			t.Fatalf("ending it twice: %v, want ErrNotFound", err)
		}

		// Created before 12:00 or seen before 11:00 (day0 is 09:00): b1 was
		// seen at 12:00 but created at 09:00.
		n, err := s.DeleteExpiredSessions(ctx, day0.Add(30*time.Minute), day0.Add(time.Minute))
		must(t, err)
		if n != 1 {
			t.Fatalf("DeleteExpiredSessions deleted %d, want 1 (bob's, created at 09:00)", n)
		}
		if _, _, err := s.SessionByTokenHash(ctx, "h3"); !errors.Is(err, crm.ErrNotFound) {
			t.Fatalf("bob's old session survived the sweep: %v", err)
		}
		if _, _, err := s.SessionByTokenHash(ctx, "h2"); err != nil {
			t.Fatalf("ann's newer session was swept: %v", err)
		}
		_ = b1

		newSess(ann, "h4", day0, day0)
		n, err = s.EndUserSessions(ctx, crm.System, ann.ID)
		must(t, err)
		if n != 2 {
			t.Fatalf("EndUserSessions ended %d, want 2", n)
		}
		if n, _ := s.EndUserSessions(ctx, crm.System, ann.ID); n != 0 {
			t.Fatalf("EndUserSessions again ended %d", n)
		}

		ch, err := s.Changes(ctx, crm.EntityUser, ann.ID)
		must(t, err)
		var actions []string
		for _, c := range ch {
			actions = append(actions, c.Action)
		}
		want := []string{"create", "sign_in", "sign_in", "update", "sign_out", "sign_in", "end_sessions"}
		if len(actions) != len(want) {
			t.Fatalf("change log %v, want %v", actions, want)
		}
		for i := range want {
			if actions[i] != want[i] {
				t.Fatalf("change log %v, want %v", actions, want)
			}
		}
		if d := changeData(t, ch[1]); d["source"] != "192.0.2.7" {
			t.Errorf("sign_in change data %v, want the source", d)
		}
	})
}

func TestSignInAttempts(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		add := func(source, email string, at time.Time) {
			t.Helper()
			must(t, s.AddSignInAttempt(ctx, crm.SignInAttempt{Source: source, EmailKey: email, At: at}, at.Add(-time.Minute)))
		}
		count := func(source, email string, since time.Time) (int, int) {
			t.Helper()
			a, b, err := s.CountSignInAttempts(ctx, source, email, since)
			must(t, err)
			return a, b
		}
		for i := range 3 {
			add("192.0.2.1", "ann@example.com", day0.Add(time.Duration(i)*time.Second))
		}
		add("192.0.2.1", "bob@example.com", day0.Add(5*time.Second))
		add("192.0.2.2", "ann@example.com", day0.Add(5*time.Second))
		if src, acct := count("192.0.2.1", "ann@example.com", day0); src != 4 || acct != 3 {
			t.Fatalf("counts %d, %d; want 4 from the source, 3 for ann", src, acct)
		}
		if src, acct := count("192.0.2.1", "ann@example.com", day0.Add(2*time.Second)); src != 2 || acct != 1 {
			t.Fatalf("counts since +2s %d, %d; want 2, 1", src, acct)
		}

		must(t, s.ClearSignInAttempts(ctx, "192.0.2.1", "ann@example.com"))
		if src, acct := count("192.0.2.1", "ann@example.com", day0); src != 1 || acct != 0 {
			t.Fatalf("after clearing ann from .1: %d, %d; want 1, 0", src, acct)
		}
		if src, acct := count("192.0.2.2", "ann@example.com", day0); src != 1 || acct != 1 {
			t.Fatalf("clearing .1 touched .2: %d, %d", src, acct)
		}

		// A later attempt forgets those older than its window.
		add("192.0.2.3", "cat@example.com", day0.Add(10*time.Minute))
		var left int
		must(t, s.r().row(ctx, "SELECT COUNT(*) FROM sign_in_attempts").Scan(&left))
		if left != 1 {
			t.Fatalf("%d attempts kept after a window passed, want 1", left)
		}
	})
}

// Attempts written in parallel all count: the last one written sees every
// other one (what keeps a burst from slipping past the throttle).
func TestSignInAttemptsParallel(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		const n = 20
		var wg sync.WaitGroup
		counts := make([]int, n)
		for i := range n {
			wg.Go(func() {
				at := crm.SignInAttempt{Source: "192.0.2.9", EmailKey: "ann@example.com", At: day0}
				if err := s.AddSignInAttempt(ctx, at, day0.Add(-time.Minute)); err != nil {
					t.Error(err)
					return
				}
				_, c, err := s.CountSignInAttempts(ctx, "192.0.2.9", "ann@example.com", day0.Add(-time.Minute))
				if err != nil {
					t.Error(err)
				}
				counts[i] = c
			})
		}
		wg.Wait()
		seen := map[int]bool{}
		maxSeen := 0
		for _, c := range counts {
			maxSeen = max(maxSeen, c)
			seen[c] = true
		}
		if maxSeen != n {
			t.Fatalf("the highest count seen is %d, want %d: %v", maxSeen, n, counts)
		}
		// No more than k tries can see a count of k or less.
		le := 0
		for k := 1; k <= n; k++ {
			le = 0
			for _, c := range counts {
				if c <= k {
					le++
				}
			}
			if le > k {
				t.Fatalf("%d tries saw a count <= %d: %v", le, k, counts)
			}
		}
	})
}
