package api_test

import (
	"net/http"
	"testing"
	"time"

	"callroute/crm"
)

// TestSingleRecordReads: tasks, interactions and delegations made through
// the API can be read back at their Location, by those who may see them.
func TestSingleRecordReads(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		mine, myCo := f.clientOf(f.mgr1, "Ion Popescu", "Acme SRL", "+40721234567")
		_, theirCo := f.clientOf(f.mgr2, "Elena Ionescu", "Beta SA", "+40731234567")

		res := f.post(f.mgr1Tok, "/tasks", map[string]any{"title": "Send the offer", "contact_id": mine.ID,
			"due": time.Now().Add(24 * time.Hour).Format(time.RFC3339)})
		var task crm.Task
		res.want(http.StatusCreated, &task)
		if loc := res.header.Get("Location"); loc != "/api/v1/tasks/"+itoa(task.ID) {
			t.Errorf("task Location %q", loc)
		}
		var got crm.Task
		f.get(f.mgr1Tok, "/tasks/"+itoa(task.ID)).want(http.StatusOK, &got)
		if got.Title != "Send the offer" || got.AssigneeID != f.mgr1.ID {
			t.Errorf("task read back as %+v", got)
		}
		f.get(f.mgr2Tok, "/tasks/"+itoa(task.ID)).wantError(http.StatusNotFound, "")

		res = f.post(f.mgr1Tok, "/interactions", map[string]any{"kind": "note", "company_id": myCo.ID, "notes": "Met at the fair"})
		var note crm.Interaction
		res.want(http.StatusCreated, &note)
		var gotNote crm.Interaction
		f.get(f.mgr1Tok, "/interactions/"+itoa(note.ID)).want(http.StatusOK, &gotNote)
		if gotNote.Notes != "Met at the fair" || gotNote.CompanyID != myCo.ID {
			t.Errorf("note read back as %+v", gotNote)
		}
		f.get(f.mgr2Tok, "/interactions/"+itoa(note.ID)).wantError(http.StatusNotFound, "")

		// A note on another manager's company, or on none that exists, is refused by field.
		f.post(f.mgr1Tok, "/interactions", map[string]any{"kind": "note", "company_id": theirCo.ID, "notes": "x"}).
			wantError(http.StatusBadRequest, "company_id")
		f.post(f.mgr1Tok, "/interactions", map[string]any{"kind": "note", "company_id": 999999, "notes": "x"}).
			wantError(http.StatusBadRequest, "company_id")
		f.post(f.mgr1Tok, "/interactions", map[string]any{"kind": "note", "contact_id": mine.ID, "direction": "sideways"}).
			wantError(http.StatusBadRequest, "direction")
		f.post(f.mgr1Tok, "/tasks", map[string]any{"title": "x", "interest_id": 999999,
			"due": time.Now().Format(time.RFC3339)}).wantError(http.StatusBadRequest, "interest_id")

		res = f.post(f.headTok, "/delegations", map[string]any{"user_id": f.mgr1.ID, "delegate_id": f.mgr2.ID,
			"ends": time.Now().Add(72 * time.Hour).Format(time.RFC3339)})
		var d crm.Delegation
		res.want(http.StatusCreated, &d)
		var gotD crm.Delegation
		f.get(f.mgr2Tok, "/delegations/"+itoa(d.ID)).want(http.StatusOK, &gotD)
		if gotD.UserID != f.mgr1.ID || gotD.DelegateID != f.mgr2.ID {
			t.Errorf("delegation read back as %+v", gotD)
		}
		f.get(f.agentTok, "/delegations/"+itoa(d.ID)).wantError(http.StatusNotFound, "")
		if ds := list[crm.Delegation](t, f.get(f.agentTok, "/delegations")); len(ds) != 0 {
			t.Errorf("an agent lists %d delegations they are not part of", len(ds))
		}
	})
}
