package sqlstore

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"callroute/crm"
)

func TestAddInteraction(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ann := mkUser(t, s, "ann@example.com")
		ct := mkContact(t, s, "Ion", 0, ann.ID)
		in := mkInterest(t, s, ct.ID, 0, ann.ID, crm.StageNew, day0)

		it := &crm.Interaction{Kind: crm.KindCall, Direction: crm.Inbound, ContactID: ct.ID, InterestID: in.ID,
			At: day0.Add(2 * time.Hour), UserID: ann.ID, CallID: "abc@10.0.0.1", CallerE164: "+40720000001",
			Outcome: crm.OutcomeAnswered, AnsweredBy: ann.ID, RingSeconds: 4, TalkSeconds: 61,
			Route: json.RawMessage(`{"steps":[{"to":"owner","result":"answered"}]}`), Notes: "wants a demo"}
		must(t, s.AddInteraction(ctx, crm.System, it))
		if it.ID == 0 || it.CreatedAt.IsZero() {
			t.Fatalf("AddInteraction: %+v", it)
		}
		got, err := s.GetInteraction(ctx, it.ID)
		must(t, err)
		var a, b any
		must(t, json.Unmarshal(got.Route, &a))
		must(t, json.Unmarshal(it.Route, &b))
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("route = %s, want %s", got.Route, it.Route)
		}
		got.Route = it.Route
		if !reflect.DeepEqual(got, it) {
			t.Fatalf("GetInteraction =\n%+v\nwant\n%+v", got, it)
		}
		iv, _ := s.GetInterest(ctx, in.ID)
		if !iv.LastActivityAt.Equal(day0.Add(2*time.Hour)) || iv.Version != 1 {
			t.Fatalf("interest activity %v version %d, want %v and no new version", iv.LastActivityAt, iv.Version, day0.Add(2*time.Hour))
		}

		// The same call again: nothing new, the stored one comes back.
		again := &crm.Interaction{Kind: crm.KindCall, Direction: crm.Inbound, ContactID: ct.ID, CallID: "abc@10.0.0.1",
			At: day0.Add(5 * time.Hour), Outcome: crm.OutcomeMissed, InterestID: in.ID}
		must(t, s.AddInteraction(ctx, crm.System, again))
		if again.ID != it.ID || again.Outcome != crm.OutcomeAnswered || again.TalkSeconds != 61 {
			t.Fatalf("retry returned %+v, want the stored call %d", again, it.ID)
		}
		tl, _ := s.Timeline(ctx, ct.ID, 0)
		if len(tl) != 1 {
			t.Fatalf("retry wrote a second interaction: %d", len(tl))
		}
		iv, _ = s.GetInterest(ctx, in.ID)
		if !iv.LastActivityAt.Equal(day0.Add(2 * time.Hour)) {
			t.Fatalf("retry moved the interest activity to %v", iv.LastActivityAt)
		}

		// An older note does not move activity back; interactions without
		// call ids never collide.
		for range 2 {
			must(t, s.AddInteraction(ctx, crm.ActorOf(ann), &crm.Interaction{Kind: crm.KindNote, ContactID: ct.ID,
				InterestID: in.ID, At: day0.Add(time.Hour), Notes: "n"}))
		}
		iv, _ = s.GetInterest(ctx, in.ID)
		if !iv.LastActivityAt.Equal(day0.Add(2 * time.Hour)) {
			t.Fatalf("an older note moved activity to %v", iv.LastActivityAt)
		}
		later := &crm.Interaction{Kind: crm.KindMeeting, ContactID: ct.ID, InterestID: in.ID, At: day0.Add(30 * time.Hour)}
		must(t, s.AddInteraction(ctx, crm.ActorOf(ann), later))
		iv, _ = s.GetInterest(ctx, in.ID)
		if !iv.LastActivityAt.Equal(day0.Add(30 * time.Hour)) {
			t.Fatalf("a later meeting did not move activity: %v", iv.LastActivityAt)
		}
		if later.CreatedBy != ann.ID {
			t.Fatalf("CreatedBy = %d", later.CreatedBy)
		}
		if _, err := s.GetInteraction(ctx, 999); !errors.Is(err, crm.ErrNotFound) {
			t.Fatalf("GetInteraction missing: %v", err)
		}
		ch, _ := s.Changes(ctx, crm.EntityInteraction, it.ID)
		if len(ch) != 1 || ch[0].Action != "create" || ch[0].UserID != 0 {
			t.Fatalf("interaction changes: %+v", ch)
		}
	})
}

func TestTimeline(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ct := mkContact(t, s, "Ion", 0, 0)
		other := mkContact(t, s, "Eva", 0, 0)
		ats := []time.Duration{3, 1, 5, 2, 4}
		byAt := map[time.Duration]int64{}
		for _, h := range ats {
			it := &crm.Interaction{Kind: crm.KindNote, ContactID: ct.ID, At: day0.Add(h * time.Hour)}
			must(t, s.AddInteraction(ctx, crm.System, it))
			byAt[h] = it.ID
		}
		must(t, s.AddInteraction(ctx, crm.System, &crm.Interaction{Kind: crm.KindNote, ContactID: other.ID, At: day0.Add(9 * time.Hour)}))
		tl, err := s.Timeline(ctx, ct.ID, 0)
		must(t, err)
		var got []int64
		for _, it := range tl {
			got = append(got, it.ID)
		}
		want := []int64{byAt[5], byAt[4], byAt[3], byAt[2], byAt[1]}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("timeline = %v, want newest first %v", got, want)
		}
		tl, _ = s.Timeline(ctx, ct.ID, 2)
		if len(tl) != 2 || tl[0].ID != byAt[5] {
			t.Fatalf("timeline limit 2 = %+v", tl)
		}
		tl, _ = s.Timeline(ctx, 12345, 10)
		if len(tl) != 0 {
			t.Fatalf("timeline of a missing contact = %+v", tl)
		}
	})
}

func TestCallStats(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ann := mkUser(t, s, "ann@example.com")
		bob := mkUser(t, s, "bob@example.com")
		d1 := time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)
		call := func(at time.Time, dir crm.Direction, outcome crm.CallOutcome, user, answeredBy int64) {
			t.Helper()
			must(t, s.AddInteraction(ctx, crm.System, &crm.Interaction{Kind: crm.KindCall, Direction: dir, At: at,
				Outcome: outcome, UserID: user, AnsweredBy: answeredBy}))
		}
		call(d1.Add(9*time.Hour), crm.Inbound, crm.OutcomeAnswered, ann.ID, ann.ID)
		call(d1.Add(10*time.Hour), crm.Inbound, crm.OutcomeAnswered, ann.ID, bob.ID) // bob took ann's call
		call(d1.Add(11*time.Hour), crm.Inbound, crm.OutcomeMissed, ann.ID, 0)
		call(d1.Add(12*time.Hour), crm.Inbound, crm.OutcomeVoicemail, ann.ID, 0)
		call(d1.Add(13*time.Hour), crm.Inbound, crm.OutcomeAbandoned, 0, 0) // desk, nobody
		call(d1.Add(14*time.Hour), crm.Outbound, crm.OutcomeAnswered, ann.ID, 0)
		// 23:30 in UTC-2 is the next UTC day.
		call(time.Date(2025, 3, 10, 23, 30, 0, 0, time.FixedZone("m2", -2*3600)), crm.Inbound, crm.OutcomeAnswered, bob.ID, bob.ID)
		call(d1.Add(-time.Minute), crm.Inbound, crm.OutcomeAnswered, ann.ID, ann.ID) // before the range
		call(d1.Add(72*time.Hour), crm.Inbound, crm.OutcomeAnswered, ann.ID, ann.ID) // at "to": excluded
		must(t, s.AddInteraction(ctx, crm.System, &crm.Interaction{Kind: crm.KindNote, At: d1.Add(time.Hour), UserID: ann.ID}))

		stats, err := s.CallStats(ctx, d1, d1.Add(72*time.Hour))
		must(t, err)
		want := []crm.CallStat{
			{UserID: 0, Day: "2025-03-10", Answered: 0, Missed: 1},
			{UserID: ann.ID, Day: "2025-03-10", Answered: 1, Missed: 2},
			{UserID: bob.ID, Day: "2025-03-10", Answered: 1, Missed: 0},
			{UserID: bob.ID, Day: "2025-03-11", Answered: 1, Missed: 0},
		}
		if !reflect.DeepEqual(stats, want) {
			t.Fatalf("CallStats =\n%+v\nwant\n%+v", stats, want)
		}
		stats, _ = s.CallStats(ctx, d1.Add(-48*time.Hour), d1.Add(-24*time.Hour))
		if len(stats) != 0 {
			t.Fatalf("CallStats of an empty range = %+v", stats)
		}
	})
}

func TestTasks(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ann := mkUser(t, s, "ann@example.com")
		ct := mkContact(t, s, "Ion", 0, ann.ID)
		it := &crm.Interaction{Kind: crm.KindCall, Direction: crm.Inbound, ContactID: ct.ID, At: day0, Outcome: crm.OutcomeMissed}
		must(t, s.AddInteraction(ctx, crm.System, it))
		tk := &crm.Task{Kind: crm.TaskCallBack, AssigneeID: ann.ID, ContactID: ct.ID, InteractionID: it.ID,
			CallerE164: "+40720000001", Title: "Call Ion back", Due: day0.Add(time.Hour), Notes: "missed"}
		must(t, s.CreateTask(ctx, crm.System, tk))
		got, err := s.GetTask(ctx, tk.ID)
		must(t, err)
		if !reflect.DeepEqual(got, tk) {
			t.Fatalf("GetTask =\n%+v\nwant\n%+v", got, tk)
		}
		stale := *got
		done := day0.Add(2 * time.Hour)
		tk.DoneAt, tk.AssigneeID = &done, 0
		must(t, s.UpdateTask(ctx, crm.ActorOf(ann), tk))
		got, _ = s.GetTask(ctx, tk.ID)
		if !reflect.DeepEqual(got, tk) || got.Version != 2 || got.AssigneeID != 0 || got.DoneAt == nil {
			t.Fatalf("after UpdateTask =\n%+v\nwant\n%+v", got, tk)
		}
		if err := s.UpdateTask(ctx, crm.System, &stale); !errors.Is(err, crm.ErrConflict) {
			t.Fatalf("stale task update: %v", err)
		}
		if err := s.UpdateTask(ctx, crm.System, &crm.Task{ID: 999, Kind: crm.TaskFollowUp, Due: day0}); !errors.Is(err, crm.ErrNotFound) {
			t.Fatalf("update missing task: %v", err)
		}
		if _, err := s.GetTask(ctx, 999); !errors.Is(err, crm.ErrNotFound) {
			t.Fatalf("GetTask missing: %v", err)
		}
		ch, _ := s.Changes(ctx, crm.EntityTask, tk.ID)
		if len(ch) != 2 {
			t.Fatalf("task changes: %+v", ch)
		}
		if d := changeData(t, ch[1]); d["done_at"] == nil || d["assignee_id"] == nil || d["title"] != nil {
			t.Fatalf("task update change: %s", ch[1].Data)
		}
	})
}

func TestDelegations(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ann := mkUser(t, s, "ann@example.com")
		bob := mkUser(t, s, "bob@example.com")
		cat := mkUser(t, s, "cat@example.com")
		d := &crm.Delegation{UserID: ann.ID, DelegateID: bob.ID, Starts: day0, Ends: day0.Add(7 * 24 * time.Hour), Reason: "leave"}
		must(t, s.CreateDelegation(ctx, crm.ActorOf(cat), d))
		old := &crm.Delegation{UserID: ann.ID, DelegateID: cat.ID, Starts: day0.Add(-30 * 24 * time.Hour), Ends: day0.Add(-20 * 24 * time.Hour)}
		must(t, s.CreateDelegation(ctx, crm.System, old))
		other := &crm.Delegation{UserID: bob.ID, DelegateID: cat.ID, Starts: day0, Ends: day0.Add(time.Hour)}
		must(t, s.CreateDelegation(ctx, crm.System, other))

		got, err := s.GetDelegation(ctx, d.ID)
		must(t, err)
		if !reflect.DeepEqual(got, d) || got.CreatedBy != cat.ID {
			t.Fatalf("GetDelegation =\n%+v\nwant\n%+v", got, d)
		}
		active := func(at time.Time, user int64) []int64 {
			l, err := s.ListDelegations(ctx, crm.DelegationFilter{UserID: user, ActiveAt: &at})
			must(t, err)
			var out []int64
			for _, x := range l {
				out = append(out, x.ID)
			}
			return out
		}
		wantIDs(t, "active at start", active(day0, ann.ID), d.ID)
		wantIDs(t, "active just before start", active(day0.Add(-time.Microsecond), ann.ID))
		wantIDs(t, "active at end (exclusive)", active(d.Ends, ann.ID))
		wantIDs(t, "active, any user", active(day0.Add(30*time.Minute), 0), d.ID, other.ID)
		all, _ := s.ListDelegations(ctx, crm.DelegationFilter{UserID: ann.ID})
		if len(all) != 2 || all[0].ID != old.ID {
			t.Fatalf("ListDelegations by start = %+v", all)
		}

		end := day0.Add(24 * time.Hour)
		must(t, s.EndDelegation(ctx, crm.ActorOf(ann), d.ID, end))
		got, _ = s.GetDelegation(ctx, d.ID)
		if got.EndedAt == nil || !got.EndedAt.Equal(end) {
			t.Fatalf("EndedAt = %v, want %v", got.EndedAt, end)
		}
		if !got.ActiveAt(end.Add(-time.Second)) || got.ActiveAt(end) {
			t.Fatal("ActiveAt disagrees with the stored end")
		}
		wantIDs(t, "active before the early end", active(end.Add(-time.Second), ann.ID), d.ID)
		wantIDs(t, "active after the early end", active(end, ann.ID))
		if err := s.EndDelegation(ctx, crm.System, d.ID, end); !errors.Is(err, crm.ErrConflict) {
			t.Fatalf("ending twice: %v, want ErrConflict", err)
		}
		if err := s.EndDelegation(ctx, crm.System, 999, end); !errors.Is(err, crm.ErrNotFound) {
			t.Fatalf("ending a missing delegation: %v", err)
		}
		if _, err := s.GetDelegation(ctx, 999); !errors.Is(err, crm.ErrNotFound) {
			t.Fatalf("GetDelegation missing: %v", err)
		}
		ch, _ := s.Changes(ctx, crm.EntityDelegation, d.ID)
		if len(ch) != 2 || ch[0].Action != "create" || ch[1].Action != "end" || ch[1].UserID != ann.ID {
			t.Fatalf("delegation changes: %+v", ch)
		}
	})
}
