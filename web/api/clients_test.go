package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"callroute/crm"
)

func TestCompanies(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		r := f.post(f.mgr1Tok, "/companies", map[string]any{"name": "Acme SRL", "website": "acme.ro",
			"size": 40, "phones": []map[string]string{{"e164": "021 123 4567"}}})
		var co crm.Company
		r.want(http.StatusCreated, &co)
		if loc := r.header.Get("Location"); loc != "/api/v1/companies/"+itoa(co.ID) {
			t.Errorf("Location %q", loc)
		}
		if co.OwnerID != f.mgr1.ID || co.Version != 1 || co.Website != "https://acme.ro" {
			t.Errorf("created %+v: want owned by its manager, version 1, website normalised", co)
		}
		if len(co.Phones) != 1 || co.Phones[0].E164 != "+40211234567" || co.Phones[0].Kind != crm.PhoneSwitchboard {
			t.Errorf("phones %+v, want the switchboard in E.164", co.Phones)
		}

		got := f.company(f.mgr1Tok, co.ID)
		if got.Name != "Acme SRL" || got.Size != 40 {
			t.Errorf("GET %+v", got)
		}
		var changed crm.Company
		f.patch(f.mgr1Tok, "/companies/"+itoa(co.ID), map[string]any{"industry": "logistics", "version": 1}).
			want(http.StatusOK, &changed)
		if changed.Industry != "logistics" || changed.Name != "Acme SRL" || changed.Version != 2 {
			t.Errorf("after PATCH %+v: want industry set, name kept, version 2", changed)
		}

		e := f.patch(f.mgr1Tok, "/companies/"+itoa(co.ID), map[string]any{"size": 50, "version": 1}).
			wantError(http.StatusConflict, "")
		var cur crm.Company
		if err := json.Unmarshal(e.Current, &cur); err != nil || cur.Version != 2 || cur.Industry != "logistics" {
			t.Errorf("conflict current %s (%v), want the company at version 2", e.Current, err)
		}
		if f.company(f.headTok, co.ID).Size != 40 {
			t.Error("a stale PATCH changed the company")
		}

		f.post(f.mgr1Tok, "/companies", map[string]any{"website": "x.ro"}).wantError(http.StatusBadRequest, "name")
		f.post(f.mgr1Tok, "/companies", map[string]any{"name": "X", "website": "not a site"}).
			wantError(http.StatusBadRequest, "website")

		items := list[crm.Company](t, f.get(f.headTok, "/companies?q=acme"))
		if len(items) != 1 || items[0].ID != co.ID {
			t.Errorf("search acme: %+v", items)
		}
		if items := list[crm.Company](t, f.get(f.headTok, "/companies?q=nothing-like-it")); len(items) != 0 {
			t.Errorf("search for nothing found %d", len(items))
		}
		if h := list[crm.Change](t, f.get(f.mgr1Tok, "/companies/"+itoa(co.ID)+"/history")); len(h) < 2 {
			t.Errorf("history has %d changes, want create and update", len(h))
		}
	})
}

func TestContacts(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		r := f.post(f.agentTok, "/contacts", map[string]any{"name": "  Ion Popescu ", "company_name": "Acme SRL",
			"email": "Ion@Acme.ro", "owner_id": f.mgr1.ID,
			"phones": []map[string]string{{"kind": "mobile", "e164": "0721-234-567"}}})
		var c crm.Contact
		r.want(http.StatusCreated, &c)
		if loc := r.header.Get("Location"); loc != "/api/v1/contacts/"+itoa(c.ID) {
			t.Errorf("Location %q", loc)
		}
		if c.Name != "Ion Popescu" || c.Email != "ion@acme.ro" || c.CompanyID == 0 || c.OwnerID != f.mgr1.ID {
			t.Errorf("created %+v", c)
		}
		if len(c.Phones) != 1 || c.Phones[0].E164 != "+40721234567" {
			t.Errorf("phones %+v", c.Phones)
		}
		if co := f.company(f.headTok, c.CompanyID); co.Name != "Acme SRL" {
			t.Errorf("company made from company_name: %q", co.Name)
		}

		var changed crm.Contact
		f.patch(f.mgr1Tok, "/contacts/"+itoa(c.ID), map[string]any{"position": "CFO", "version": c.Version}).
			want(http.StatusOK, &changed)
		if changed.Position != "CFO" || changed.Email != "ion@acme.ro" {
			t.Errorf("after PATCH %+v", changed)
		}
		e := f.patch(f.mgr1Tok, "/contacts/"+itoa(c.ID), map[string]any{"position": "CEO", "version": c.Version}).
			wantError(http.StatusConflict, "")
		var cur crm.Contact
		if err := json.Unmarshal(e.Current, &cur); err != nil || cur.Position != "CFO" || cur.Version != changed.Version {
			t.Errorf("conflict current %s, want the contact as CFO", e.Current)
		}

		f.post(f.mgr1Tok, "/contacts", map[string]any{"email": "x@y.ro"}).wantError(http.StatusBadRequest, "name")
		f.post(f.mgr1Tok, "/contacts", map[string]any{"name": "X", "email": "nope"}).wantError(http.StatusBadRequest, "email")
		f.post(f.mgr1Tok, "/contacts", map[string]any{"name": "X", "phones": []map[string]string{{"e164": "12"}}}).
			wantError(http.StatusBadRequest, "phones[0].e164")
		// Only the head of sales moves an owned client to someone else.
		f.patch(f.mgr1Tok, "/contacts/"+itoa(c.ID), map[string]any{"owner_id": f.mgr2.ID}).
			wantError(http.StatusBadRequest, "owner_id")
		f.get(f.headTok, "/contacts/999999").wantError(http.StatusNotFound, "")
	})
}

func TestInterests(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		c, _ := f.clientOf(f.mgr1, "Ion Popescu", "Acme SRL", "+40721234567")
		r := f.post(f.mgr1Tok, "/interests", map[string]any{"contact_id": c.ID, "need": "50 phones for the call centre"})
		var in crm.Interest
		r.want(http.StatusCreated, &in)
		if loc := r.header.Get("Location"); loc != "/api/v1/interests/"+itoa(in.ID) {
			t.Errorf("Location %q", loc)
		}
		if in.Stage != crm.StageNew || in.OwnerID != f.mgr1.ID || in.Title != "50 phones for the call centre" {
			t.Errorf("created %+v: want stage new, owned by the contact's owner, titled by its need", in)
		}
		path := "/interests/" + itoa(in.ID)

		f.patch(f.mgr1Tok, path, map[string]any{"stage": "lost"}).wantError(http.StatusBadRequest, "lost_reason")
		f.patch(f.mgr1Tok, path, map[string]any{"stage": "sold"}).wantError(http.StatusBadRequest, "stage")
		if got := f.interest(f.mgr1Tok, in.ID); got.Stage != crm.StageNew {
			t.Errorf("stage %q after refused changes, want new", got.Stage)
		}

		var offer crm.Interest
		f.patch(f.mgr1Tok, path, map[string]any{"stage": "offer", "version": in.Version}).want(http.StatusOK, &offer)
		e := f.patch(f.mgr1Tok, path, map[string]any{"stage": "meeting", "version": in.Version}).
			wantError(http.StatusConflict, "")
		var cur crm.Interest
		if err := json.Unmarshal(e.Current, &cur); err != nil || cur.Stage != crm.StageOffer {
			t.Errorf("conflict current %s, want the interest at stage offer", e.Current)
		}

		var lost crm.Interest
		f.patch(f.mgr1Tok, path, map[string]any{"stage": "lost", "lost_reason": "competitor"}).want(http.StatusOK, &lost)
		if lost.Stage != crm.StageLost || lost.LostReason != crm.LostCompetitor || lost.ClosedAt == nil {
			t.Errorf("lost %+v: want stage lost, reason competitor, closed", lost)
		}
		open := list[crm.Interest](t, f.get(f.mgr1Tok, "/interests?open=true&contact_id="+itoa(c.ID)))
		if len(open) != 0 {
			t.Errorf("%d open interests after losing the only one", len(open))
		}
		all := list[crm.Interest](t, f.get(f.mgr1Tok, "/interests?stage=lost"))
		if len(all) != 1 || all[0].ID != in.ID {
			t.Errorf("stage=lost lists %+v", all)
		}
		f.post(f.mgr1Tok, "/interests", map[string]any{"title": "orphan"}).wantError(http.StatusBadRequest, "contact_id")
		f.get(f.mgr2Tok, path).wantError(http.StatusNotFound, "")
		if h := f.get(f.mgr1Tok, path+"/history"); !strings.Contains(string(h.body), `"items"`) {
			t.Errorf("history: %s", h.body)
		}
	})
}

func TestTimelineNewestFirst(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		c, _ := f.clientOf(f.mgr1, "Ion Popescu", "Acme SRL", "+40721234567")
		now := f.svc.Now()
		for i, it := range []map[string]any{
			{"kind": "note", "contact_id": c.ID, "notes": "first", "at": now.Add(-3 * time.Hour)},
			{"kind": "email", "direction": "outbound", "contact_id": c.ID, "subject": "offer", "at": now.Add(-2 * time.Hour)},
			{"kind": "call", "direction": "outbound", "contact_id": c.ID, "notes": "called back", "at": now.Add(-1 * time.Hour)},
		} {
			var got crm.Interaction
			f.post(f.mgr1Tok, "/interactions", it).want(http.StatusCreated, &got)
			if got.ID == 0 || got.UserID != f.mgr1.ID {
				t.Errorf("interaction %d: %+v", i, got)
			}
		}
		tl := list[crm.Interaction](t, f.get(f.mgr1Tok, "/contacts/"+itoa(c.ID)+"/timeline"))
		if len(tl) != 3 || tl[0].Notes != "called back" || tl[1].Subject != "offer" || tl[2].Notes != "first" {
			t.Fatalf("timeline %+v, want call, email, note (newest first)", tl)
		}
		if tl := list[crm.Interaction](t, f.get(f.mgr1Tok, "/contacts/"+itoa(c.ID)+"/timeline?limit=1")); len(tl) != 1 || tl[0].Kind != crm.KindCall {
			t.Errorf("limit=1: %+v", tl)
		}
		f.post(f.mgr1Tok, "/interactions", map[string]any{"kind": "call", "direction": "inbound", "contact_id": c.ID}).
			wantError(http.StatusBadRequest, "kind")
		f.post(f.mgr1Tok, "/interactions", map[string]any{"kind": "fax", "contact_id": c.ID}).
			wantError(http.StatusBadRequest, "kind")
		f.post(f.mgr2Tok, "/interactions", map[string]any{"kind": "note", "contact_id": c.ID, "notes": "x"}).
			wantError(http.StatusBadRequest, "contact_id")
		f.get(f.mgr2Tok, "/contacts/"+itoa(c.ID)+"/timeline").wantError(http.StatusNotFound, "")
	})
}
