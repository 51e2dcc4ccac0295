package crm_test

import (
	"slices"
	"testing"
	"time"

	"callroute/crm"
)

// TestWrapUp: the wrap-up lands on the call's row, before or after
// routing's record, and plans one call-back.
func TestWrapUp(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		const id = "wrap@pbx"
		l := live(e.agent, "+40722481305")
		in := newCaller(id, l)
		in.OwnerID = &e.mgr1.ID
		res := e.capture(as(e.agent), in)

		for _, tc := range []struct {
			field string
			w     crm.WrapUp
		}{
			{"outcome", crm.WrapUp{Note: "x"}},
			{"outcome", crm.WrapUp{Outcome: "great"}},
			{"call_back_at", crm.WrapUp{Outcome: crm.WrapCallBack}},
			{"call_back_at", crm.WrapUp{Outcome: crm.WrapInterested, CallBackAt: ptr(time.Now().Add(-time.Hour))}},
		} {
			tc.w.Live = l
			if _, err := e.svc.WrapUpCall(e.ctx, as(e.agent), id, tc.w); fieldOf(err) != tc.field {
				t.Errorf("%+v: want a FieldError on %s, got %v", tc.w, tc.field, err)
			}
		}
		due := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Second)
		wr, err := e.svc.WrapUpCall(e.ctx, as(e.agent), id, crm.WrapUp{Note: "Wants a demo next week", Outcome: crm.WrapCallBack,
			CallBackAt: &due, Live: l})
		if err != nil {
			t.Fatal(err)
		}
		if wr.Call.ID != res.Call.ID || wr.Call.WrapUpNote != "Wants a demo next week" || wr.Call.WrapUpOutcome != crm.WrapCallBack ||
			wr.Call.WrappedUpBy != e.agent.ID || wr.Call.WrappedUpAt == nil {
			t.Errorf("wrapped-up call %+v", wr.Call)
		}
		if wr.Task == nil || wr.Task.AssigneeID != e.mgr1.ID || !wr.Task.Due.Equal(due) || wr.Task.InteractionID != res.Call.ID ||
			wr.Task.ContactID != res.Contact.ID || wr.Task.InterestID != res.Interest.ID || wr.Task.Title != "Call back Ana Pop" {
			t.Errorf("call-back task %+v", wr.Task)
		}
		// A second wrap-up replaces the first and moves the same task.
		later := due.Add(time.Hour)
		wr2, err := e.svc.WrapUpCall(e.ctx, as(e.agent), id, crm.WrapUp{Note: "Demo on Tuesday", Outcome: crm.WrapInterested,
			CallBackAt: &later, Live: l})
		if err != nil {
			t.Fatal(err)
		}
		if wr2.Task.ID != wr.Task.ID || !wr2.Task.Due.Equal(later) || wr2.Call.WrapUpNote != "Demo on Tuesday" {
			t.Errorf("second wrap-up: task %+v call %+v", wr2.Task, wr2.Call)
		}
		tasks, _ := e.svc.Tasks(e.ctx, crm.System, crm.TaskFilter{ContactID: res.Contact.ID})
		if len(tasks) != 1 {
			t.Errorf("%d tasks, want one call-back", len(tasks))
		}
		// Routing's record at hang-up keeps the wrap-up.
		got, _ := e.record(routed(id, "+40722481305", e.agent.ID, time.Now().Add(-2*time.Minute)))
		if got.WrapUpNote != "Demo on Tuesday" || got.WrapUpOutcome != crm.WrapInterested || got.TalkSeconds != 95 {
			t.Errorf("after the record: %+v", got)
		}
		if acts := e.changes(crm.EntityInteraction, got.ID); !slices.Equal(acts, []string{"capture", "wrap_up", "wrap_up", "record"}) {
			t.Errorf("the call's change log: %v", acts)
		}

		// A wrap-up alone (a wrong number, nothing captured) starts the row;
		// routing's record then brings its links.
		const id2 = "wrong@pbx"
		wr3, err := e.svc.WrapUpCall(e.ctx, as(e.agent), id2, crm.WrapUp{Outcome: crm.WrapWrongNumber, Live: live(e.agent, "+40744999888")})
		if err != nil || wr3.Task != nil || wr3.Call.RecordedAt != nil || wr3.Call.CallerE164 != "+40744999888" {
			t.Fatalf("wrap-up first: %+v %v", wr3, err)
		}
		r := routed(id2, "+40744999888", e.agent.ID, time.Now().Add(-time.Minute))
		r.ContactID, r.Notes = res.Contact.ID, "Left a message first"
		if got, _ := e.record(r); got.ID != wr3.Call.ID || got.ContactID != res.Contact.ID || got.WrapUpOutcome != crm.WrapWrongNumber {
			t.Errorf("record after a wrap-up: %+v", got)
		}
		// A wrap-up never overwrites the call's notes.
		wr4, err := e.svc.WrapUpCall(e.ctx, as(e.head), id2, crm.WrapUp{Outcome: crm.WrapInfoGiven, Note: "Was for Nova after all"})
		if err != nil || wr4.Call.Notes != "Left a message first" || wr4.Call.WrapUpNote != "Was for Nova after all" || wr4.Call.WrappedUpBy != e.head.ID {
			t.Errorf("a wrap-up on a call with notes: %+v %v", wr4, err)
		}
	})
}

// TestMissedCallTask: the merge keeps RecordCall's rule: a missed call
// creates one call-back task, for the owner, retried or not.
func TestMissedCallTask(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		c, err := e.svc.CreateContact(e.ctx, as(e.head), crm.ContactPatch{Name: ptr("Ion Pop"), OwnerID: &e.mgr1.ID,
			Phones: &[]crm.Phone{{E164: "+40731000001"}}})
		if err != nil {
			t.Fatal(err)
		}
		missed := crm.Interaction{Kind: crm.KindCall, Direction: crm.Inbound, CallID: "missed@pbx", CallerE164: "+40731000001",
			ContactID: c.ID, UserID: e.mgr1.ID, Outcome: crm.OutcomeMissed, RingSeconds: 20}
		it, task := e.record(missed)
		if task == nil || task.AssigneeID != e.mgr1.ID || task.InteractionID != it.ID || task.Kind != crm.TaskCallBack {
			t.Fatalf("missed call task %+v", task)
		}
		_, again := e.record(missed)
		if again == nil || again.ID != task.ID {
			t.Errorf("a retried missed call: task %+v, want %d again", again, task.ID)
		}
		desk, desktask := e.record(crm.Interaction{CallID: "desk@pbx", CallerE164: "+40744000222", Outcome: crm.OutcomeVoicemail})
		if desktask == nil || desktask.AssigneeID != 0 || desktask.InteractionID != desk.ID {
			t.Errorf("unknown caller's voicemail: task %+v", desktask)
		}
		// A call-back the answerer planned before routing's record (which
		// then says the call was cut off) stays the call's only one.
		due := time.Now().Add(time.Hour)
		wr, err := e.svc.WrapUpCall(e.ctx, as(e.agent), "cut@pbx", crm.WrapUp{Outcome: crm.WrapCallBack, CallBackAt: &due,
			Live: live(e.agent, "+40744000333")})
		if err != nil {
			t.Fatal(err)
		}
		cut, cuttask := e.record(crm.Interaction{CallID: "cut@pbx", CallerE164: "+40744000333", Outcome: crm.OutcomeAbandoned})
		if cuttask == nil || cuttask.ID != wr.Task.ID || cut.WrapUpOutcome != crm.WrapCallBack {
			t.Errorf("record after a planned call-back: task %+v, want %d", cuttask, wr.Task.ID)
		}
	})
}
