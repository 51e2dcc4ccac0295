package api_test

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"callroute/crm"
)

func TestOpenInterestsReport(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		c1, _ := f.clientOf(f.mgr1, "Ion Popescu", "Acme SRL", "+40721234567")
		c2, _ := f.clientOf(f.mgr2, "Elena Ionescu", "Beta SA", "+40731234567")
		interest := func(tok string, contact int64, title string, stage crm.Stage) int64 {
			t.Helper()
			in := f.createInterest(tok, map[string]any{"contact_id": contact, "title": title})
			body := map[string]any{"stage": stage}
			if stage == crm.StageLost {
				body["lost_reason"] = "unreachable"
			}
			if stage != crm.StageNew {
				f.patch(tok, "/interests/"+itoa(in.ID), body).want(http.StatusOK, nil)
			}
			return in.ID
		}
		n1 := interest(f.mgr1Tok, c1.ID, "phones", crm.StageNew)
		n2 := interest(f.mgr1Tok, c1.ID, "headsets", crm.StageNew)
		o1 := interest(f.mgr1Tok, c1.ID, "switch", crm.StageOffer)
		interest(f.mgr1Tok, c1.ID, "won deal", crm.StageWon)
		m1 := interest(f.mgr2Tok, c2.ID, "demo", crm.StageMeeting)
		w1 := interest(f.mgr2Tok, c2.ID, "budget", crm.StageWaiting)
		interest(f.mgr2Tok, c2.ID, "gone", crm.StageLost)

		var rep crm.PipelineReport
		f.get(f.headTok, "/reports/open-interests").want(http.StatusOK, &rep)
		if rep.Total != 5 || rep.Totals[crm.StageNew] != 2 || rep.Totals[crm.StageWaiting] != 1 {
			t.Errorf("totals %v (total %d), want 5 open: new 2, offer 1, meeting 1, waiting 1", rep.Totals, rep.Total)
		}
		rows := map[int64]crm.ManagerPipeline{}
		for _, r := range rep.Rows {
			if r.Manager != nil {
				rows[r.Manager.ID] = r
			}
		}
		r1, r2 := rows[f.mgr1.ID], rows[f.mgr2.ID]
		if r1.Manager == nil || r2.Manager == nil {
			t.Fatalf("rows %+v: want one per manager", rep.Rows)
		}
		want1 := map[crm.Stage]int{crm.StageNew: 2, crm.StageMeeting: 0, crm.StageOffer: 1, crm.StageWaiting: 0}
		want2 := map[crm.Stage]int{crm.StageNew: 0, crm.StageMeeting: 1, crm.StageOffer: 0, crm.StageWaiting: 1}
		for st, n := range want1 {
			if r1.Counts[st] != n {
				t.Errorf("mgr1 %s: %d, want %d", st, r1.Counts[st], n)
			}
		}
		for st, n := range want2 {
			if r2.Counts[st] != n {
				t.Errorf("mgr2 %s: %d, want %d", st, r2.Counts[st], n)
			}
		}
		ids := func(items []crm.InterestItem) []int64 {
			var out []int64
			for _, it := range items {
				out = append(out, it.ID)
			}
			slices.Sort(out)
			return out
		}
		if got := ids(r1.Interests[crm.StageNew]); !slices.Equal(got, []int64{min(n1, n2), max(n1, n2)}) {
			t.Errorf("mgr1's new cell holds %v, want %d and %d", got, n1, n2)
		}
		if got := ids(r1.Interests[crm.StageOffer]); !slices.Equal(got, []int64{o1}) {
			t.Errorf("mgr1's offer cell holds %v, want %d", got, o1)
		}
		if got := ids(r2.Interests[crm.StageMeeting]); !slices.Equal(got, []int64{m1}) {
			t.Errorf("mgr2's meeting cell %v, want %d", got, m1)
		}
		if got := ids(r2.Interests[crm.StageWaiting]); !slices.Equal(got, []int64{w1}) {
			t.Errorf("mgr2's waiting cell %v, want %d", got, w1)
		}

		var own crm.PipelineReport
		f.get(f.mgr2Tok, "/reports/open-interests").want(http.StatusOK, &own)
		if len(own.Rows) != 1 || own.Rows[0].Manager.ID != f.mgr2.ID || own.Total != 2 {
			t.Errorf("a manager's report: %+v, want only their row with 2", own)
		}
		f.get(f.agentTok, "/reports/open-interests").wantError(http.StatusForbidden, "")
	})
}

func TestOverdueReport(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		c, _ := f.clientOf(f.mgr1, "Ion Popescu", "Acme SRL", "+40721234567")
		now := f.svc.Now()
		late := f.createInterest(f.mgr1Tok, map[string]any{"contact_id": c.ID, "title": "late",
			"next_follow_up": now.Add(-48 * time.Hour)})
		f.createInterest(f.mgr1Tok, map[string]any{"contact_id": c.ID, "title": "on time",
			"next_follow_up": now.Add(48 * time.Hour)})
		var task crm.Task
		f.post(f.mgr1Tok, "/tasks", map[string]any{"kind": "call_back", "contact_id": c.ID, "title": "call Ion",
			"due": now.Add(-time.Hour)}).want(http.StatusCreated, &task)
		if task.AssigneeID != f.mgr1.ID {
			t.Errorf("task assignee %d, want its manager", task.AssigneeID)
		}
		f.post(f.mgr1Tok, "/tasks", map[string]any{"title": "later", "due": now.Add(time.Hour)}).
			want(http.StatusCreated, nil)

		overdue := func() crm.ManagerOverdue {
			t.Helper()
			var rep crm.OverdueReport
			f.get(f.headTok, "/reports/overdue").want(http.StatusOK, &rep)
			for _, r := range rep.Rows {
				if r.Manager != nil && r.Manager.ID == f.mgr1.ID {
					return r
				}
			}
			t.Fatalf("no row for mgr1 in %+v", rep.Rows)
			return crm.ManagerOverdue{}
		}
		r := overdue()
		if len(r.Interests) != 1 || r.Interests[0].ID != late.ID || !r.Interests[0].Overdue {
			t.Errorf("overdue interests %+v, want only %d", r.Interests, late.ID)
		}
		if len(r.Tasks) != 1 || r.Tasks[0].ID != task.ID {
			t.Errorf("overdue tasks %+v, want only %d", r.Tasks, task.ID)
		}

		open := list[crm.Task](t, f.get(f.mgr1Tok, "/tasks?open=true"))
		if len(open) != 2 || open[0].ID != task.ID {
			t.Errorf("open tasks %+v, want 2, earliest due first", open)
		}
		var done crm.Task
		f.post(f.mgr1Tok, "/tasks/"+itoa(task.ID)+"/done", map[string]any{"notes": "spoke to him"}).
			want(http.StatusOK, &done)
		if done.DoneAt == nil {
			t.Errorf("done task without done_at: %+v", done)
		}
		if n := len(overdue().Tasks); n != 0 {
			t.Errorf("%d overdue tasks after doing it, want 0", n)
		}
		f.post(f.mgr2Tok, "/tasks/"+itoa(task.ID)+"/done", nil).wantError(http.StatusNotFound, "")
		f.post(f.mgr1Tok, "/tasks", map[string]any{"title": "no due"}).wantError(http.StatusBadRequest, "due")
	})
}

func TestCallsReport(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		c, _ := f.clientOf(f.mgr1, "Ion Popescu", "Acme SRL", "+40721234567")
		y, m, d := f.svc.Now().AddDate(0, 0, -3).Date()
		day := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		calls := []struct {
			user    int64
			at      time.Time
			outcome crm.CallOutcome
		}{
			{f.mgr1.ID, day.Add(9 * time.Hour), crm.OutcomeAnswered},
			{f.mgr1.ID, day.Add(10 * time.Hour), crm.OutcomeAnswered},
			{f.mgr1.ID, day.Add(11 * time.Hour), crm.OutcomeMissed},
			{f.mgr2.ID, day.Add(12 * time.Hour), crm.OutcomeAnswered},
			{f.mgr1.ID, day.AddDate(0, 0, -40), crm.OutcomeAnswered}, // outside the period
		}
		for i, cl := range calls {
			it := crm.Interaction{ContactID: c.ID, UserID: cl.user, At: cl.at, Outcome: cl.outcome,
				CallID: "call-" + itoa(int64(i)), CallerE164: "+40721234567"}
			if cl.outcome == crm.OutcomeAnswered {
				it.AnsweredBy = cl.user
			}
			if _, _, err := f.svc.RecordCall(context.Background(), it); err != nil {
				t.Fatal(err)
			}
		}
		from, to := day.Format(time.DateOnly), day.AddDate(0, 0, 1).Format(time.DateOnly)
		var rep crm.CallsReport
		f.get(f.headTok, "/reports/calls?from="+from+"&to="+to).want(http.StatusOK, &rep)
		got := map[int64]crm.CallStatUser{}
		for _, r := range rep.Rows {
			if r.Day != from {
				t.Errorf("row for %s outside [%s, %s)", r.Day, from, to)
			}
			got[r.UserID] = r
		}
		if r := got[f.mgr1.ID]; r.Answered != 2 || r.Missed != 1 || r.User == nil || r.User.Email != "mara@example.com" {
			t.Errorf("mgr1: %+v, want 2 answered, 1 missed, named", r)
		}
		if r := got[f.mgr2.ID]; r.Answered != 1 || r.Missed != 0 {
			t.Errorf("mgr2: %+v, want 1 answered", r)
		}

		var def crm.CallsReport
		f.get(f.headTok, "/reports/calls").want(http.StatusOK, &def)
		if days := def.To.Sub(def.From); days != 30*24*time.Hour || !def.To.After(f.svc.Now()) {
			t.Errorf("default period %s to %s, want the last 30 days through today", def.From, def.To)
		}
		if len(def.Rows) != 2 {
			t.Errorf("default period rows %+v, want the 2 of three days ago", def.Rows)
		}
		f.get(f.headTok, "/reports/calls?from=2026-13-01").wantError(http.StatusBadRequest, "from")
		f.get(f.headTok, "/reports/calls?from="+to+"&to="+from).wantError(http.StatusBadRequest, "to")
	})
}
