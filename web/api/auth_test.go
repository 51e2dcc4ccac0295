package api_test

import (
	"net/http"
	"strings"
	"testing"

	"callroute/crm"
)

func TestSignIn(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		t.Run("no token is 401 with a Bearer challenge", func(t *testing.T) {
			r := f.get("", "/contacts")
			r.wantError(http.StatusUnauthorized, "")
			if got := r.header.Get("WWW-Authenticate"); got != `Bearer realm="callroute"` {
				t.Errorf("WWW-Authenticate %q", got)
			}
		})
		t.Run("unknown token is 401", func(t *testing.T) {
			r := f.get("crt_not-a-real-token", "/me")
			r.wantError(http.StatusUnauthorized, "")
			if got := r.header.Get("WWW-Authenticate"); !strings.HasPrefix(got, `Bearer realm="callroute"`) {
				t.Errorf("WWW-Authenticate %q", got)
			}
		})
		t.Run("another scheme is 401", func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, f.srv.URL+"/api/v1/me", nil)
			req.Header.Set("Authorization", "Basic "+f.headTok)
			res, err := f.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusUnauthorized {
				t.Errorf("status %d, want 401", res.StatusCode)
			}
		})
		t.Run("me is the token's user", func(t *testing.T) {
			var me struct {
				ID    int64    `json:"id"`
				Email string   `json:"email"`
				Role  crm.Role `json:"role"`
			}
			f.get(f.mgr1Tok, "/me").want(http.StatusOK, &me)
			if me.ID != f.mgr1.ID || me.Email != "mara@example.com" || me.Role != crm.RoleManager {
				t.Errorf("me = %+v, want %s", me, f.mgr1.Email)
			}
		})
		t.Run("any user lists colleagues", func(t *testing.T) {
			type userView struct {
				ID     int64    `json:"id"`
				Name   string   `json:"name"`
				Email  string   `json:"email"`
				Role   crm.Role `json:"role"`
				Active bool     `json:"active"`
			}
			users := list[userView](t, f.get(f.agentTok, "/users"))
			roles := map[string]crm.Role{}
			for _, u := range users {
				roles[u.Email] = u.Role
				if !u.Active || u.Name == "" || u.ID == 0 {
					t.Errorf("user %+v: want id, name and active", u)
				}
			}
			want := map[string]crm.Role{"head@example.com": crm.RoleHead, "mara@example.com": crm.RoleManager,
				"matei@example.com": crm.RoleManager, "ana@example.com": crm.RoleAgent}
			if len(roles) != len(want) {
				t.Fatalf("users %v, want %v", roles, want)
			}
			for e, r := range want {
				if roles[e] != r {
					t.Errorf("%s: role %q, want %q", e, roles[e], r)
				}
			}
			if strings.Contains(string(f.get(f.agentTok, "/users").body), "password") {
				t.Error("user list mentions passwords")
			}
		})
	})
}

func TestVisibilityByRole(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		mine, _ := f.clientOf(f.mgr1, "Ion Popescu", "Acme SRL", "+40721234567")
		theirs, _ := f.clientOf(f.mgr2, "Elena Ionescu", "Beta SA", "+40731234567")

		t.Run("a manager sees their own client", func(t *testing.T) {
			if c := f.contact(f.mgr1Tok, mine.ID); c.Name != "Ion Popescu" {
				t.Errorf("name %q", c.Name)
			}
		})
		t.Run("a manager does not see another manager's client", func(t *testing.T) {
			f.get(f.mgr1Tok, "/contacts/"+itoa(theirs.ID)).wantError(http.StatusNotFound, "")
			f.patch(f.mgr1Tok, "/contacts/"+itoa(theirs.ID), map[string]any{"position": "CEO"}).
				wantError(http.StatusNotFound, "")
			for _, c := range list[crm.Contact](t, f.get(f.mgr1Tok, "/contacts")) {
				if c.ID == theirs.ID {
					t.Errorf("mgr1's contact list holds mgr2's client %d", c.ID)
				}
			}
		})
		t.Run("the head of sales sees all", func(t *testing.T) {
			f.contact(f.headTok, mine.ID)
			f.contact(f.headTok, theirs.ID)
			if n := len(list[crm.Contact](t, f.get(f.headTok, "/contacts"))); n != 2 {
				t.Errorf("head lists %d contacts, want 2", n)
			}
		})
		t.Run("an agent may not reassign and nothing moves", func(t *testing.T) {
			f.post(f.agentTok, "/reassignments", map[string]any{"contact_id": mine.ID, "to_user_id": f.mgr2.ID}).
				wantError(http.StatusForbidden, "")
			if c := f.contact(f.headTok, mine.ID); c.OwnerID != f.mgr1.ID {
				t.Errorf("owner %d after a refused reassignment, want %d", c.OwnerID, f.mgr1.ID)
			}
		})
		t.Run("a manager may not import", func(t *testing.T) {
			f.doType(f.mgr1Tok, http.MethodPost, "/import/contacts", "text/csv", "name\nX\n").
				wantError(http.StatusForbidden, "")
		})
	})
}
