package sqlstore

import (
	"errors"
	"testing"

	"callroute/crm"
)

func TestUsers(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		u := &crm.User{Email: "Ana@Example.com", Name: "Ana", Role: crm.RoleHead, Active: true,
			PasswordHash: "$argon2id$x", SIPUsername: "101", SIPHA1MD5: "md5", SIPHA1SHA256: "sha", SIPRealm: "callroute"}
		must(t, s.CreateUser(ctx, crm.System, u))
		if u.ID == 0 || u.CreatedAt.IsZero() || u.CreatedAt.Location().String() != "UTC" {
			t.Fatalf("CreateUser did not set ID/CreatedAt in UTC: %+v", u)
		}
		got, err := s.GetUser(ctx, u.ID)
		must(t, err)
		if *got != *u {
			t.Fatalf("GetUser = %+v, want %+v", got, u)
		}
		byEmail, err := s.UserByEmail(ctx, "ana@EXAMPLE.com")
		must(t, err)
		if byEmail.ID != u.ID {
			t.Fatalf("UserByEmail (other case) = %d, want %d", byEmail.ID, u.ID)
		}
		bySIP, err := s.UserBySIPUsername(ctx, "101")
		must(t, err)
		if bySIP.ID != u.ID {
			t.Fatalf("UserBySIPUsername = %d", bySIP.ID)
		}

		// Duplicate email, in another case: a FieldError on "email".
		err = s.CreateUser(ctx, crm.System, &crm.User{Email: "ANA@example.COM", Role: crm.RoleAgent})
		var fe *crm.FieldError
		if !errors.As(err, &fe) || fe.Field != "email" {
			t.Fatalf("duplicate email: err = %v, want FieldError on email", err)
		}
		// Duplicate SIP username.
		err = s.CreateUser(ctx, crm.System, &crm.User{Email: "bob@example.com", Role: crm.RoleAgent, SIPUsername: "101"})
		if !errors.As(err, &fe) || fe.Field != "sip_username" {
			t.Fatalf("duplicate SIP username: err = %v, want FieldError on sip_username", err)
		}
		// Empty SIP usernames do not collide.
		b := mkUser(t, s, "bob@example.com")
		c := mkUser(t, s, "cat@example.com")

		// UpdateUser writes the fields; taking a used SIP username fails.
		b.Name, b.Role, b.Active, b.SIPUsername, b.PasswordHash = "Bob B", crm.RoleAgent, false, "102", "h2"
		must(t, s.UpdateUser(ctx, crm.ActorOf(u), b))
		gb, err := s.GetUser(ctx, b.ID)
		must(t, err)
		if gb.Name != "Bob B" || gb.Role != crm.RoleAgent || gb.Active || gb.SIPUsername != "102" || gb.PasswordHash != "h2" {
			t.Fatalf("after UpdateUser: %+v", gb)
		}
		c.SIPUsername = "102"
		err = s.UpdateUser(ctx, crm.System, c)
		if !errors.As(err, &fe) || fe.Field != "sip_username" {
			t.Fatalf("UpdateUser to a taken SIP username: err = %v", err)
		}
		if err := s.UpdateUser(ctx, crm.System, &crm.User{ID: 9999, Email: "x@y.z"}); !errors.Is(err, crm.ErrNotFound) {
			t.Fatalf("UpdateUser missing: %v", err)
		}

		all, err := s.ListUsers(ctx)
		must(t, err)
		if len(all) != 3 || all[0].ID != u.ID || all[2].ID != c.ID {
			t.Fatalf("ListUsers = %+v", all)
		}

		for name, fn := range map[string]func() error{
			"GetUser":           func() error { _, err := s.GetUser(ctx, 424242); return err },
			"UserByEmail":       func() error { _, err := s.UserByEmail(ctx, "nobody@example.com"); return err },
			"UserBySIPUsername": func() error { _, err := s.UserBySIPUsername(ctx, "999"); return err },
			"UserBySIPEmpty":    func() error { _, err := s.UserBySIPUsername(ctx, ""); return err },
			"UserByTokenHash":   func() error { _, err := s.UserByTokenHash(ctx, "nope"); return err },
		} {
			if err := fn(); !errors.Is(err, crm.ErrNotFound) {
				t.Errorf("%s of a missing record: err = %v, want ErrNotFound", name, err)
			}
		}

		// API tokens.
		tok := &crm.APIToken{UserID: b.ID, Hash: "abc123", Label: "laptop"}
		must(t, s.CreateAPIToken(ctx, crm.ActorOf(u), tok))
		if tok.ID == 0 || tok.CreatedAt.IsZero() {
			t.Fatalf("CreateAPIToken did not set ID/CreatedAt: %+v", tok)
		}
		tu, err := s.UserByTokenHash(ctx, "abc123")
		must(t, err)
		if tu.ID != b.ID {
			t.Fatalf("UserByTokenHash = user %d, want %d", tu.ID, b.ID)
		}
		if err := s.CreateAPIToken(ctx, crm.System, &crm.APIToken{UserID: c.ID, Hash: "abc123"}); err == nil {
			t.Fatal("a second token with the same hash was accepted")
		}
		if err := s.CreateAPIToken(ctx, crm.System, &crm.APIToken{UserID: 777, Hash: "zzz"}); err == nil {
			t.Fatal("a token for a missing user was accepted")
		}

		// Change log: create, update with field names, token.
		ch, err := s.Changes(ctx, crm.EntityUser, b.ID)
		must(t, err)
		if len(ch) != 3 || ch[0].Action != "create" || ch[1].Action != "update" || ch[2].Action != "create_token" {
			t.Fatalf("user changes = %+v", ch)
		}
		if ch[1].UserID != u.ID {
			t.Fatalf("update change by %d, want %d", ch[1].UserID, u.ID)
		}
		for _, f := range []string{`"name"`, `"role"`, `"active"`, `"sip_username"`, `"password"`} {
			if !contains(string(ch[1].Data), f) {
				t.Errorf("update change data %s lacks %s", ch[1].Data, f)
			}
		}
		if contains(string(ch[1].Data), "h2") {
			t.Errorf("change data leaks the password hash: %s", ch[1].Data)
		}
	})
}
