package sqlstore

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"callroute/crm"
)

// TestRecordCallsBatch: the calls routing writes together land in one
// transaction, exactly as RecordCall would write each: the interactions,
// the call-back task of a missed call (the owner's, or the desk's for an
// unknown caller), the interest's activity; a retried batch writes
// nothing twice; a batch with a record the database refuses writes none.
func TestRecordCallsBatch(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		phones, err := crm.NewPhoneParser("RO")
		must(t, err)
		svc := crm.NewService(s, phones)
		ann := mkUser(t, s, "ann@example.com")
		ct := mkContact(t, s, "Ion", 0, ann.ID)
		in := mkInterest(t, s, ct.ID, 0, ann.ID, crm.StageNew, day0)
		at := day0.Add(3 * time.Hour)
		calls := []crm.Interaction{
			{CallID: "answered@b", ContactID: ct.ID, InterestID: in.ID, At: at, UserID: ann.ID, AnsweredBy: ann.ID,
				CallerE164: "+40720000001", Outcome: crm.OutcomeAnswered, TalkSeconds: 30},
			{CallID: "missed@b", ContactID: ct.ID, At: at.Add(time.Minute), UserID: ann.ID, CallerE164: "+40720000001",
				Outcome: crm.OutcomeMissed},
			{CallID: "unknown@b", At: at.Add(2 * time.Minute), CallerE164: "+40730000002", Outcome: crm.OutcomeVoicemail,
				Recording: "vm.wav"},
		}
		must(t, svc.RecordCalls(ctx, calls))
		for range 2 { // and again: a retry changes nothing
			must(t, svc.RecordCalls(ctx, calls))
		}

		tl, err := s.Timeline(ctx, ct.ID, 0)
		must(t, err)
		if len(tl) != 2 || tl[0].CallID != "missed@b" || tl[1].CallID != "answered@b" {
			t.Fatalf("timeline = %+v, want the two calls of the contact once each", tl)
		}
		for _, it := range tl {
			if it.Kind != crm.KindCall || it.Direction != crm.Inbound {
				t.Errorf("%s: kind %s direction %s, want an inbound call", it.CallID, it.Kind, it.Direction)
			}
		}
		iv, _ := s.GetInterest(ctx, in.ID)
		if !iv.LastActivityAt.Equal(at) {
			t.Errorf("interest activity %v, want %v", iv.LastActivityAt, at)
		}
		owner, err := s.ListTasks(ctx, crm.TaskFilter{AssigneeID: ann.ID})
		must(t, err)
		desk, err := s.ListTasks(ctx, crm.TaskFilter{DeskOnly: true})
		must(t, err)
		if len(owner) != 1 || owner[0].Kind != crm.TaskCallBack || owner[0].InteractionID != tl[0].ID ||
			!owner[0].Due.Equal(at.Add(time.Minute+2*time.Hour)) {
			t.Errorf("owner's tasks = %+v, want one call-back for the missed call", owner)
		}
		if len(desk) != 1 || desk[0].CallerE164 != "+40730000002" || desk[0].InteractionID == 0 {
			t.Errorf("desk tasks = %+v, want one call-back for the unknown caller", desk)
		}

		// All or none: a record the database refuses (no such contact)
		// keeps the good one of its batch from being written too.
		bad := []crm.Interaction{
			{CallID: "good@c", ContactID: ct.ID, At: at, Outcome: crm.OutcomeAnswered, AnsweredBy: ann.ID},
			{CallID: "bad@c", ContactID: 999999, At: at, Outcome: crm.OutcomeAnswered, AnsweredBy: ann.ID},
		}
		if err := svc.RecordCalls(ctx, bad); err == nil {
			t.Fatal("a batch with an unknown contact was written")
		}
		if tl, _ := s.Timeline(ctx, ct.ID, 0); len(tl) != 2 {
			t.Errorf("a failed batch left %d interactions, want the 2 from before", len(tl))
		}
	})
}

// TestAddCallsSetsIDs: the store hands the written (or stored) IDs back.
func TestAddCallsSetsIDs(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ann := mkUser(t, s, "ann@example.com")
		first := &crm.Interaction{Kind: crm.KindCall, Direction: crm.Inbound, CallID: "one@x", At: day0, UserID: ann.ID,
			Outcome: crm.OutcomeMissed}
		task := &crm.Task{Kind: crm.TaskCallBack, AssigneeID: ann.ID, Due: day0.Add(time.Hour)}
		must(t, s.AddCalls(ctx, crm.System, []crm.CallRecord{{Interaction: first, CallBack: task}}))
		if first.ID == 0 || task.ID == 0 || task.InteractionID != first.ID || task.Version != 1 {
			t.Fatalf("after AddCalls: interaction %+v, task %+v", first, task)
		}
		again := &crm.Interaction{Kind: crm.KindCall, Direction: crm.Inbound, CallID: "one@x", At: day0, Outcome: crm.OutcomeMissed}
		task2 := &crm.Task{Kind: crm.TaskCallBack, AssigneeID: ann.ID, Due: day0.Add(time.Hour)}
		must(t, s.AddCalls(ctx, crm.System, []crm.CallRecord{{Interaction: again, CallBack: task2}}))
		if again.ID != first.ID || task2.ID != 0 {
			t.Fatalf("retry: interaction %d (want %d), task %+v (want none created)", again.ID, first.ID, task2)
		}
		// The call writes are prepared once: the second batch ran on
		// prepared statements, and a third one with them works as well.
		s.stmts.mu.Lock()
		cached := len(s.stmts.m)
		s.stmts.mu.Unlock()
		if cached < 3 {
			t.Errorf("%d call statements prepared, want the insert, the change log and the task", cached)
		}
		third := &crm.Interaction{Kind: crm.KindCall, Direction: crm.Inbound, CallID: "three@x", At: day0, Outcome: crm.OutcomeAnswered}
		must(t, s.AddCalls(ctx, crm.System, []crm.CallRecord{{Interaction: third}}))
		if got, err := s.GetInteraction(ctx, third.ID); err != nil || got.CallID != "three@x" {
			t.Fatalf("third call: %+v %v", got, err)
		}
	})
}

// BenchmarkAddCalls times the call records' writes on SQLite, in batches
// of 1 and 5 (routing's group commit): per call, one answered call with
// its contact's interest.
//
//	go test ./crm/sqlstore/ -run '^$' -bench AddCalls
func BenchmarkAddCalls(b *testing.B) {
	for _, batch := range []int{1, 5} {
		b.Run(fmt.Sprintf("batch%d", batch), func(b *testing.B) {
			s := openSQLite(b)
			ann := mkUser(b, s, "ann@example.com")
			ct := mkContact(b, s, "Ion", 0, ann.ID)
			in := mkInterest(b, s, ct.ID, 0, ann.ID, crm.StageNew, day0)
			b.ResetTimer()
			for i := 0; i < b.N; i += batch {
				recs := make([]crm.CallRecord, batch)
				for j := range recs {
					recs[j].Interaction = &crm.Interaction{Kind: crm.KindCall, Direction: crm.Inbound, ContactID: ct.ID,
						InterestID: in.ID, At: day0.Add(time.Duration(i+j) * time.Second), UserID: ann.ID, AnsweredBy: ann.ID,
						CallID: fmt.Sprintf("bench-%d-%d@b", i, j), CallerE164: "+40720000001", Outcome: crm.OutcomeAnswered,
						Route: []byte(`{"steps":[{"stage":"owner","user_id":1,"outcome":"answered"}]}`)}
				}
				if err := s.AddCalls(ctx, crm.System, recs); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestAddCallsKeepsTheCapture: routing's group commit merges into the rows
// people started during the calls, as a single record does: the captured
// contact stays, the routing fields arrive; a missed call's call-back task
// is made once, also when the batch is retried.
func TestAddCallsKeepsTheCapture(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ann := mkUser(t, s, "ann@example.com")
		a := crm.ActorOf(ann)
		ct := mkContact(t, s, "Ion", 0, ann.ID)
		must(t, s.SaveCallCapture(ctx, a, &crm.CaptureWrite{Contact: ct, Call: started("captured@pbx", ann.ID)}))

		rec := record("captured@pbx", ann.ID)
		missed := &crm.Interaction{Kind: crm.KindCall, Direction: crm.Inbound, CallID: "missed@pbx",
			CallerE164: "+40730000002", At: day0, Outcome: crm.OutcomeMissed}
		batch := func() []crm.CallRecord {
			r, m := *rec, *missed
			return []crm.CallRecord{{Interaction: &r},
				{Interaction: &m, CallBack: &crm.Task{Kind: crm.TaskCallBack, CallerE164: m.CallerE164, Title: "Call back", Due: day0.Add(time.Hour)}}}
		}
		first := batch()
		must(t, s.AddCalls(ctx, crm.System, first))
		got := first[0].Interaction
		if got.ContactID != ct.ID || got.TalkSeconds != 70 || got.RecordedAt == nil || got.CreatedBy != ann.ID {
			t.Fatalf("the group commit over a captured call: %+v", got)
		}
		if first[1].CallBack.ID == 0 || first[1].CallBack.InteractionID != first[1].Interaction.ID {
			t.Fatalf("the missed call's task: %+v", first[1].CallBack)
		}
		again := batch() // a retried batch
		must(t, s.AddCalls(ctx, crm.System, again))
		if again[0].Interaction.ID != got.ID || again[1].Interaction.ID != first[1].Interaction.ID {
			t.Fatalf("the retried batch wrote new rows: %d, %d", again[0].Interaction.ID, again[1].Interaction.ID)
		}
		tasks, err := s.ListTasks(ctx, crm.TaskFilter{InteractionID: first[1].Interaction.ID, Limit: 10})
		must(t, err)
		if len(tasks) != 1 {
			t.Fatalf("%d call-back tasks after a retry, want 1", len(tasks))
		}
	})
}

// TestReadCallUsesIndex: the read of a call's row before its record is
// merged seeks the call_id index; a scan made every call's write cost as
// much as the whole table (it once took half the CPU at 750 calls/s).
func TestReadCallUsesIndex(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		if s.Backend() != "sqlite" {
			t.Skip("the plan is checked on SQLite; PostgreSQL uses the same partial index")
		}
		if text := strings.Join(sqlitePlan(t, s, readCallSQL, "c1@pbx"), "\n"); !strings.Contains(text, "USING INDEX") || strings.Contains(text, "SCAN interactions") {
			t.Fatalf("the call's row is not read through its index:\n%s", text)
		}
	})
}

// sqlitePlan is SQLite's EXPLAIN QUERY PLAN of query, a line per step.
func sqlitePlan(t *testing.T, s *Store, query string, args ...any) []string {
	t.Helper()
	rows, err := s.db.QueryContext(ctx, "EXPLAIN QUERY PLAN "+query, args...)
	must(t, err)
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		must(t, rows.Scan(&id, &parent, &notused, &detail))
		plan = append(plan, detail)
	}
	must(t, rows.Err())
	return plan
}
