package api_test

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"callroute/crm"
)

func TestCallerLookup(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		c, co := f.clientOf(f.mgr1, "Ion Popescu", "Acme SRL", "+40721234567")

		t.Run("a national number finds the contact, company and owner", func(t *testing.T) {
			var cf crm.CallerFile
			f.get(f.agentTok, "/callers/"+url.PathEscape("0721 234 567")).want(http.StatusOK, &cf)
			if !cf.Known || cf.E164 != "+40721234567" {
				t.Fatalf("known=%v e164=%q, want a known +40721234567", cf.Known, cf.E164)
			}
			if cf.Contact == nil || cf.Contact.ID != c.ID || cf.Contact.Name != "Ion Popescu" {
				t.Errorf("contact %+v, want Ion Popescu (%d)", cf.Contact, c.ID)
			}
			if cf.Company == nil || cf.Company.ID != co.ID || cf.Company.Name != "Acme SRL" {
				t.Errorf("company %+v, want Acme SRL", cf.Company)
			}
			if cf.Owner == nil || cf.Owner.Name != "Mara Manager" || cf.Owner.Email != "mara@example.com" {
				t.Errorf("owner %+v, want Mara Manager <mara@example.com>", cf.Owner)
			}
			if cf.Target == nil || cf.Target.ID != f.mgr1.ID {
				t.Errorf("target %+v, want the owner", cf.Target)
			}
		})
		t.Run("the international form finds the same contact", func(t *testing.T) {
			var cf crm.CallerFile
			f.get(f.mgr1Tok, "/callers/"+url.PathEscape("+40 721 234 567")).want(http.StatusOK, &cf)
			if cf.Contact == nil || cf.Contact.ID != c.ID {
				t.Errorf("contact %+v, want %d", cf.Contact, c.ID)
			}
		})
		t.Run("an unknown number is 200 with nobody and name and company required", func(t *testing.T) {
			r := f.get(f.agentTok, "/callers/0744999888")
			var raw map[string]any
			r.want(http.StatusOK, &raw)
			for _, k := range []string{"contact", "company", "owner"} {
				if v, ok := raw[k]; !ok || v != nil {
					t.Errorf("%s = %v (present %v), want null", k, v, ok)
				}
			}
			var cf crm.CallerFile
			r.want(http.StatusOK, &cf)
			if cf.Known || cf.E164 != "+40744999888" {
				t.Errorf("known=%v e164=%q", cf.Known, cf.E164)
			}
			if !slices.Equal(cf.Required, []string{"name", "company"}) {
				t.Errorf("required %v, want [name company]", cf.Required)
			}
		})
		t.Run("text that is no number is 400 on phone", func(t *testing.T) {
			f.get(f.agentTok, "/callers/abc").wantError(http.StatusBadRequest, "phone")
		})
	})
}

func TestDelegationRedirectsCalls(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		f.clientOf(f.mgr1, "Ion Popescu", "Acme SRL", "+40721234567")
		lookup := func(token string) crm.CallerFile {
			t.Helper()
			var cf crm.CallerFile
			f.get(token, "/callers/0721234567").want(http.StatusOK, &cf)
			return cf
		}

		// A manager may not set someone else's delegation.
		f.post(f.mgr2Tok, "/delegations", map[string]any{"user_id": f.mgr1.ID, "delegate_id": f.mgr2.ID,
			"ends": f.svc.Now().Add(24 * time.Hour)}).wantError(http.StatusForbidden, "")

		var d crm.Delegation
		f.post(f.headTok, "/delegations", map[string]any{"user_id": f.mgr1.ID, "delegate_id": f.mgr2.ID,
			"ends": f.svc.Now().Add(7 * 24 * time.Hour), "reason": "leave"}).want(http.StatusCreated, &d)
		if d.ID == 0 || d.UserID != f.mgr1.ID || d.DelegateID != f.mgr2.ID {
			t.Fatalf("delegation %+v", d)
		}

		cf := lookup(f.headTok)
		if cf.Owner == nil || cf.Owner.ID != f.mgr1.ID {
			t.Errorf("owner %+v, want mgr1 still", cf.Owner)
		}
		if cf.Target == nil || cf.Target.ID != f.mgr2.ID {
			t.Errorf("target %+v during the delegation, want the delegate mgr2", cf.Target)
		}
		if cf := lookup(f.mgr2Tok); cf.Restricted || cf.Contact == nil || len(cf.Contact.Phones) == 0 {
			t.Errorf("the delegate gets a restricted file: %+v", cf)
		}
		active := list[crm.Delegation](t, f.get(f.mgr1Tok, "/delegations?active=true"))
		if len(active) != 1 || active[0].ID != d.ID {
			t.Errorf("active delegations %+v, want %d", active, d.ID)
		}

		var ended crm.Delegation
		f.post(f.headTok, "/delegations/"+itoa(d.ID)+"/end", nil).want(http.StatusOK, &ended)
		if ended.EndedAt == nil {
			t.Errorf("ended delegation without ended_at: %+v", ended)
		}
		if cf := lookup(f.headTok); cf.Target == nil || cf.Target.ID != f.mgr1.ID {
			t.Errorf("target %+v after the end, want the owner mgr1", cf.Target)
		}
		if n := len(list[crm.Delegation](t, f.get(f.headTok, "/delegations?active=true"))); n != 0 {
			t.Errorf("%d active delegations after the end, want 0", n)
		}
		if n := len(list[crm.Delegation](t, f.get(f.headTok, "/delegations?user_id="+itoa(f.mgr1.ID)))); n != 1 {
			t.Errorf("mgr1 has %d delegations on record, want 1", n)
		}
	})
}
