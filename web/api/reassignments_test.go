package api_test

import (
	"net/http"
	"testing"

	"callroute/crm"
)

func TestReassignOneContactAndUndo(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		c, co := f.clientOf(f.mgr1, "Ion Popescu", "Acme SRL", "+40721234567")
		r := f.post(f.headTok, "/reassignments", map[string]any{"contact_id": c.ID, "to_user_id": f.mgr2.ID, "note": "ill"})
		var ra crm.Reassignment
		r.want(http.StatusCreated, &ra)
		if loc := r.header.Get("Location"); loc != "/api/v1/reassignments/"+itoa(ra.ID) {
			t.Errorf("Location %q", loc)
		}
		if got := f.contact(f.headTok, c.ID).OwnerID; got != f.mgr2.ID {
			t.Errorf("contact owner %d after reassigning, want mgr2", got)
		}
		if got := f.company(f.headTok, co.ID).OwnerID; got != f.mgr1.ID {
			t.Errorf("company owner %d: moving a contact moved its company", got)
		}
		f.contact(f.mgr2Tok, c.ID) // the new owner sees the client
		var again crm.Reassignment
		f.get(f.headTok, "/reassignments/"+itoa(ra.ID)).want(http.StatusOK, &again)
		if again.ToUserID != f.mgr2.ID || len(again.Items) == 0 {
			t.Errorf("GET reassignment %+v", again)
		}
		f.get(f.mgr1Tok, "/reassignments/"+itoa(ra.ID)).wantError(http.StatusForbidden, "")

		var undone crm.Reassignment
		f.post(f.headTok, "/reassignments/"+itoa(ra.ID)+"/undo", nil).want(http.StatusOK, &undone)
		if undone.UndoneAt == nil {
			t.Errorf("undone without undone_at: %+v", undone)
		}
		if got := f.contact(f.headTok, c.ID).OwnerID; got != f.mgr1.ID {
			t.Errorf("contact owner %d after undo, want mgr1", got)
		}
		f.post(f.headTok, "/reassignments/"+itoa(ra.ID)+"/undo", nil).wantError(http.StatusConflict, "")
		f.post(f.headTok, "/reassignments", map[string]any{"contact_id": c.ID, "to_user_id": f.agent.ID}).
			wantError(http.StatusBadRequest, "to_user_id")
		f.post(f.headTok, "/reassignments", map[string]any{"to_user_id": f.mgr2.ID}).
			wantError(http.StatusBadRequest, "contact_id")
	})
}

func TestReassignAllOfAManagerAndUndo(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		c1, co1 := f.clientOf(f.mgr1, "Ion Popescu", "Acme SRL", "+40721234567")
		c2, _ := f.clientOf(f.mgr1, "Dan Dinu", "Gamma SRL", "+40722000111")
		other, _ := f.clientOf(f.mgr2, "Elena Ionescu", "Beta SA", "+40731234567")
		in := f.createInterest(f.mgr1Tok, map[string]any{"contact_id": c1.ID, "title": "phones"})

		var ra crm.Reassignment
		f.post(f.headTok, "/reassignments", map[string]any{"from_user_id": f.mgr1.ID, "to_user_id": f.mgr2.ID}).
			want(http.StatusCreated, &ra)
		for _, id := range []int64{c1.ID, c2.ID, other.ID} {
			if got := f.contact(f.headTok, id).OwnerID; got != f.mgr2.ID {
				t.Errorf("contact %d owner %d, want mgr2", id, got)
			}
		}
		if got := f.company(f.headTok, co1.ID).OwnerID; got != f.mgr2.ID {
			t.Errorf("company owner %d, want mgr2", got)
		}
		if got := f.interest(f.headTok, in.ID).OwnerID; got != f.mgr2.ID {
			t.Errorf("interest owner %d, want mgr2", got)
		}
		if n := len(list[crm.Contact](t, f.get(f.mgr1Tok, "/contacts"))); n != 0 {
			t.Errorf("mgr1 still lists %d contacts", n)
		}
		var cf crm.CallerFile
		f.get(f.agentTok, "/callers/0721234567").want(http.StatusOK, &cf)
		if cf.Target == nil || cf.Target.ID != f.mgr2.ID {
			t.Errorf("a call from the moved client goes to %+v, want mgr2", cf.Target)
		}

		f.post(f.headTok, "/reassignments/"+itoa(ra.ID)+"/undo", nil).want(http.StatusOK, nil)
		for id, want := range map[int64]int64{c1.ID: f.mgr1.ID, c2.ID: f.mgr1.ID, other.ID: f.mgr2.ID} {
			if got := f.contact(f.headTok, id).OwnerID; got != want {
				t.Errorf("contact %d owner %d after undo, want %d", id, got, want)
			}
		}
		if got := f.company(f.headTok, co1.ID).OwnerID; got != f.mgr1.ID {
			t.Errorf("company owner %d after undo, want mgr1", got)
		}
		if got := f.interest(f.headTok, in.ID).OwnerID; got != f.mgr1.ID {
			t.Errorf("interest owner %d after undo, want mgr1", got)
		}
	})
}
