package routing

import (
	"context"
	"slices"
	"testing"
	"time"

	"callroute/crm"
)

// busyElsewhere puts an agent on another call.
func busyElsewhere(t *testing.T, e *env, user int64, callID string) {
	t.Helper()
	ctx := context.Background()
	if _, ok, err := e.state.TryOffer(ctx, user, callID); !ok || err != nil {
		t.Fatalf("offer %d: %v %v", user, ok, err)
	}
	if _, err := e.state.EndOffer(ctx, OfferEnd{UserID: user, CallID: callID, Outcome: OutcomeAnswered}); err != nil {
		t.Fatal(err)
	}
}

func TestQueuedCallerIsOfferedToAnAgentWhoBecomesFree(t *testing.T) {
	e := newEnv(t, envOption{settings: func(s *Settings) { s.DeskAgents = []int64{20} }})
	e.online(20)
	busyElsewhere(t, e, 20, "earlier")
	e.ringer.set(20, answerAfter(0))

	caller, done := e.call("q1", "+4933000")
	waitFor(t, "the caller answered into the queue", func() bool { return caller.has("play:music") })
	waitFor(t, "two position announcements", func() bool { return caller.count("play:position:1") >= 2 })
	if caller.has("ringing") || len(e.ringer.ringsOf("q1")) > 0 {
		t.Fatalf("caller saw %v, rings %v", caller.Events(), e.ringer.ringsOf("q1"))
	}
	if q, _ := e.state.Queue(context.Background()); len(q) != 1 || q[0].CallID != "q1" {
		t.Fatalf("queue = %+v", q)
	}

	if _, err := e.state.EndCall(context.Background(), 20, "earlier", 0); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the bridge", func() bool { return caller.has("bridge:") })
	e.ringer.leg("q1", 20).bye()
	res := e.result(done)

	if res.Outcome != crm.OutcomeAnswered || res.AnsweredBy != 20 {
		t.Fatalf("result = %+v", res)
	}
	if got := steps(res); !slices.Equal(got, []string{"desk/20/answered", "queue/-/answered"}) {
		t.Fatalf("steps = %v", got)
	}
	if caller.count("answer") != 1 {
		t.Fatalf("caller answered %d times: %v", caller.count("answer"), caller.Events())
	}
	if q, _ := e.state.Queue(context.Background()); len(q) != 0 {
		t.Fatalf("queue after the call = %+v", q)
	}
}

func TestQueueIsFirstInFirstOffered(t *testing.T) {
	e := newEnv(t, envOption{settings: func(s *Settings) { s.DeskAgents = []int64{20} }})
	e.online(20)
	busyElsewhere(t, e, 20, "earlier")
	e.ringer.set(20, answerAfter(0))

	first, done1 := e.call("first", "+4933100")
	waitFor(t, "the first call queued", func() bool { return first.has("play:music") })
	second, done2 := e.call("second", "+4933200")
	waitFor(t, "the second call queued", func() bool { return second.has("play:position:2") })

	if _, err := e.state.EndCall(context.Background(), 20, "earlier", 0); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first call bridged", func() bool { return first.has("bridge:") })
	if rings := e.ringer.log(); rings[0].callID != "first" {
		t.Fatalf("the agent was offered %s first", rings[0].callID)
	}
	waitFor(t, "the second caller moved up", func() bool { return second.has("play:position:1") })
	e.ringer.leg("first", 20).bye()
	e.result(done1)
	waitFor(t, "the second call bridged", func() bool { return second.has("bridge:") })
	second.hangUp()
	if res := e.result(done2); res.AnsweredBy != 20 {
		t.Fatalf("second call = %+v", res)
	}
}

func TestQueueTimeoutEndsInVoicemail(t *testing.T) {
	e := newEnv(t, envOption{settings: func(s *Settings) { s.QueueTimeout = 80 * time.Millisecond }})
	// No desk agent online.
	e.known("+4933300", 533, 10) // owner offline too

	caller, done := e.call("vm", "+4933300")
	res := e.result(done)
	if res.Outcome != crm.OutcomeVoicemail || res.Recording != "voicemail/vm.wav" {
		t.Fatalf("result = %+v", res)
	}
	want := []string{"owner/10/offline", "queue/-/timeout", "voicemail/-/recorded"}
	if got := steps(res); !slices.Equal(got, want) {
		t.Fatalf("steps = %v, want %v", got, want)
	}
	// (Music and position: TestQueuedCallerIsOfferedToAnAgentWhoBecomesFree.)
	for _, ev := range []string{"answer", "play:voicemail", "record", "play:thanks", "hangup:normal"} {
		if !caller.has(ev) {
			t.Fatalf("caller did not see %s: %v", ev, caller.Events())
		}
	}
	if caller.count("answer") != 1 {
		t.Fatalf("caller answered twice: %v", caller.Events())
	}
	it := e.written("vm")
	if it.Outcome != crm.OutcomeVoicemail || it.Recording != "voicemail/vm.wav" || it.UserID != 10 {
		t.Fatalf("interaction = %+v", it)
	}
	if task, ok := e.rec.taskFor("+4933300"); !ok || task.AssigneeID != 10 {
		t.Fatalf("call-back task = %+v %v", task, ok)
	}
}

func TestVoicemailOffPlaysTheClosingMessage(t *testing.T) {
	e := newEnv(t, envOption{settings: func(s *Settings) {
		s.QueueTimeout = 30 * time.Millisecond
		s.VoicemailEnabled = false
	}})
	caller, done := e.call("novm", "+4933400")
	res := e.result(done)
	if res.Outcome != crm.OutcomeMissed || !caller.has("play:no_agent") || caller.has("record") {
		t.Fatalf("result %+v, caller saw %v", res, caller.Events())
	}
	if !hasStep(res, "voicemail/-/no_message") {
		t.Fatalf("steps = %v", steps(res))
	}
}

func TestOutsideBusinessHoursGoesStraightToVoicemail(t *testing.T) {
	hours, err := ParseBusinessHours("mon-fri 09:00-18:00", "Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	saturday := time.Date(2026, 3, 7, 12, 0, 0, 0, time.UTC)
	e := newEnv(t, envOption{
		settings: func(s *Settings) { s.BusinessHours = hours },
		opts:     []Option{WithClock(func() time.Time { return saturday })},
	})
	e.known("+4933500", 535, 10)
	e.online(10, 20, 21, 22)

	caller, done := e.call("closed", "+4933500")
	res := e.result(done)
	if got := steps(res); !slices.Equal(got, []string{"closed/-/recorded"}) {
		t.Fatalf("steps = %v", got)
	}
	if res.Outcome != crm.OutcomeVoicemail || !caller.has("play:closed_voicemail") {
		t.Fatalf("result %+v, caller saw %v", res, caller.Events())
	}
	if len(e.ringer.log()) != 0 {
		t.Fatalf("rang agents while closed: %v", e.ringer.log())
	}
}

func TestCallerLeavingTheQueueIsAbandoned(t *testing.T) {
	e := newEnv(t, envOption{})
	caller, done := e.call("leave", "+4933600")
	waitFor(t, "queued", func() bool { return caller.has("play:music") })
	caller.hangUp()
	res := e.result(done)
	if res.Outcome != crm.OutcomeAbandoned || !hasStep(res, "queue/-/hung_up") {
		t.Fatalf("result %+v, steps %v", res, steps(res))
	}
	if q, _ := e.state.Queue(context.Background()); len(q) != 0 {
		t.Fatalf("queue = %+v", q)
	}
}
