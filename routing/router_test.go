package routing

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"callroute/crm"
)

func TestOwnerAnswersAndCallIsBridgedAndWritten(t *testing.T) {
	e := newEnv(t, envOption{})
	e.known("+4930111", 501, 10)
	e.online(10)
	e.ringer.set(10, answerAfter(0))

	caller, done := e.call("c1", "+4930111")
	waitFor(t, "the bridge", func() bool { return caller.has("bridge:") })
	e.ringer.leg("c1", 10).bye() // the owner hangs up
	res := e.result(done)

	if res.Outcome != crm.OutcomeAnswered || res.AnsweredBy != 10 || res.EndedBy != EndedByAgent {
		t.Fatalf("result = %+v", res)
	}
	if got := steps(res); !slices.Equal(got, []string{"owner/10/answered"}) {
		t.Fatalf("steps = %v", got)
	}
	want := []string{"ringing", "answer", "bridge:sip:10@test", "hangup:normal"}
	if got := caller.Events(); !slices.Equal(got, want) {
		t.Fatalf("caller saw %v, want %v", got, want)
	}
	it := e.written("c1")
	if it.Kind != crm.KindCall || it.Direction != crm.Inbound || it.CallerE164 != "+4930111" ||
		it.ContactID != 501 || it.CompanyID != 7 || it.InterestID != 70 || it.UserID != 10 ||
		it.AnsweredBy != 10 || it.Outcome != crm.OutcomeAnswered {
		t.Fatalf("interaction = %+v", it)
	}
	var route routeRecord
	if err := json.Unmarshal(it.Route, &route); err != nil || len(route.Steps) != 1 ||
		route.Steps[0].Stage != StageOwner || route.Steps[0].Device != "sip:10@test" {
		t.Fatalf("route = %s (%v)", it.Route, err)
	}
	if a := e.agent(10); a.CallID != "" || !a.Free() {
		t.Fatalf("owner not freed: %+v", a)
	}
	if _, ok := e.rec.taskFor("+4930111"); ok {
		t.Fatal("an answered call made a call-back task")
	}
}

func TestDelegateReceivesTheCall(t *testing.T) {
	e := newEnv(t, envOption{})
	info := e.known("+4930222", 502, 10)
	info.Target = &crm.UserRef{ID: 11}
	info.Delegation = &crm.Delegation{UserID: 10, DelegateID: 11}
	e.online(10, 11)
	e.ringer.set(11, answerAfter(0))
	e.ringer.talkAfter = time.Millisecond

	res := e.result(second(e.call("c2", "+4930222")))
	if got := steps(res); !slices.Equal(got, []string{"delegate/11/answered"}) || res.AnsweredBy != 11 {
		t.Fatalf("steps = %v, answered by %d", got, res.AnsweredBy)
	}
	if rung := e.ringer.ringsOf("c2"); !slices.Equal(rung, []int64{11}) {
		t.Fatalf("rang %v, want only the delegate", rung)
	}
}

func second[A, B any](_ A, b B) B { return b }

func TestBusyOwnerIsSkippedForTheDesk(t *testing.T) {
	e := newEnv(t, envOption{})
	e.known("+4930333", 503, 10)
	e.online(10, 20)
	ctx := context.Background()
	if _, ok, _ := e.state.TryOffer(ctx, 10, "other-call"); !ok {
		t.Fatal("could not put the owner on another call")
	}
	e.ringer.set(20, answerAfter(0))
	e.ringer.talkAfter = time.Millisecond

	res := e.result(second(e.call("c3", "+4930333")))
	if got := steps(res); !slices.Equal(got, []string{"owner/10/busy", "desk/20/answered"}) {
		t.Fatalf("steps = %v", got)
	}
	if slices.Contains(e.ringer.ringsOf("c3"), 10) {
		t.Fatal("the busy owner was rung")
	}
	if it := e.written("c3"); it.UserID != 20 || it.AnsweredBy != 20 {
		t.Fatalf("interaction = %+v", it)
	}
}

func TestOwnerNoAnswerThenDeskRingAllFirstAnswerWins(t *testing.T) {
	e := newEnv(t, envOption{settings: func(s *Settings) { s.OwnerRingTime = 30 * time.Millisecond }})
	e.known("+4930444", 504, 10)
	e.online(10, 20, 21, 22)
	e.ringer.set(21, answerAfter(20*time.Millisecond))
	e.ringer.talkAfter = time.Millisecond

	res := e.result(second(e.call("c4", "+4930444")))
	if res.AnsweredBy != 21 || res.Outcome != crm.OutcomeAnswered {
		t.Fatalf("result = %+v", res)
	}
	for _, want := range []string{"owner/10/no_answer", "desk/21/answered", "desk/20/cancelled", "desk/22/cancelled"} {
		if !hasStep(res, want) {
			t.Fatalf("steps %v lack %s", steps(res), want)
		}
	}
	waitFor(t, "the losing rings to stop", func() bool {
		n := 0
		for _, r := range e.ringer.log() {
			if r.callID == "c4" && r.stage == StageDesk && r.user != 21 && r.cancelled {
				n++
			}
		}
		return n == 2
	})
	waitFor(t, "every agent free", func() bool {
		return e.agent(20).Free() && e.agent(21).Free() && e.agent(22).Free()
	})
	if a := e.agent(10); a.RingOuts != 1 {
		t.Fatalf("owner ring-outs = %d, want 1", a.RingOuts)
	}
}

func TestCallerHangsUpWhileRinging(t *testing.T) {
	e := newEnv(t, envOption{})
	e.known("+4930555", 505, 10)
	e.online(10)

	caller, done := e.call("c5", "+4930555")
	waitFor(t, "the owner's ring", func() bool { return len(e.ringer.ringsOf("c5")) == 1 })
	caller.hangUp()
	res := e.result(done)

	if res.Outcome != crm.OutcomeAbandoned || res.EndedBy != EndedByCaller {
		t.Fatalf("result = %+v", res)
	}
	if got := steps(res); !slices.Equal(got, []string{"owner/10/cancelled"}) {
		t.Fatalf("steps = %v", got)
	}
	waitFor(t, "the ring cancelled", func() bool { r := e.ringer.log(); return r[0].cancelled })
	if caller.has("answer") || caller.has("hangup") {
		t.Fatalf("caller saw %v", caller.Events())
	}
	it := e.written("c5")
	if it.Outcome != crm.OutcomeAbandoned || it.UserID != 10 || it.AnsweredBy != 0 {
		t.Fatalf("interaction = %+v", it)
	}
	if task, ok := e.rec.taskFor("+4930555"); !ok || task.AssigneeID != 10 || task.ContactID != 505 {
		t.Fatalf("call-back task = %+v, %v", task, ok)
	}
	waitFor(t, "the owner free", func() bool { return e.agent(10).Free() })
	if e.agent(10).RingOuts != 0 {
		t.Fatal("a cancelled ring counted as a ring-out")
	}
}

func TestCallerHangsUpWhileDeskRings(t *testing.T) {
	e := newEnv(t, envOption{})
	e.online(20, 21, 22)

	caller, done := e.call("c6", "+4930666")
	waitFor(t, "the desk's rings", func() bool { return len(e.ringer.ringsOf("c6")) == 3 })
	caller.hangUp()
	res := e.result(done)
	if res.Outcome != crm.OutcomeAbandoned {
		t.Fatalf("outcome = %s", res.Outcome)
	}
	waitFor(t, "every ring cancelled", func() bool {
		for _, r := range e.ringer.log() {
			if !r.cancelled {
				return false
			}
		}
		return true
	})
	if it := e.written("c6"); it.UserID != 0 {
		t.Fatalf("an unknown caller's missed call is for the desk: user %d", it.UserID)
	}
	if task, ok := e.rec.taskFor("+4930666"); !ok || task.AssigneeID != 0 {
		t.Fatalf("desk call-back task = %+v, %v", task, ok)
	}
}

func TestLookupFailureRoutesToTheDesk(t *testing.T) {
	for name, l := range map[string]*fakeLookup{
		"error": {err: errors.New("connection refused")},
		"slow":  {delay: time.Hour},
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, envOption{settings: func(s *Settings) { s.LookupTimeout = 20 * time.Millisecond }})
			e.r.lookup = l
			e.online(20)
			e.ringer.set(20, answerAfter(0))
			e.ringer.talkAfter = time.Millisecond

			res := e.result(second(e.call("c7", "030 777")))
			if res.AnsweredBy != 20 || res.Degraded == "" || res.Caller != nil {
				t.Fatalf("result = %+v", res)
			}
			it := e.written("c7")
			if it.CallerE164 != "030 777" || it.ContactID != 0 || it.Outcome != crm.OutcomeAnswered {
				t.Fatalf("interaction = %+v", it)
			}
		})
	}
}

func TestRingOutsSetAnAgentAway(t *testing.T) {
	e := newEnv(t, envOption{settings: func(s *Settings) {
		s.DeskAgents = []int64{20}
		s.DeskRingTime = 10 * time.Millisecond
		s.DeskRetryWait = 0
		s.MaxRingOuts = 2
	}})
	e.online(20)

	caller, done := e.call("c8", "+4930888")
	waitFor(t, "the agent set away", func() bool { a := e.agent(20); return a.Presence == Away && a.AutoAway })
	waitFor(t, "the caller queued", func() bool { return caller.has("play:music") })
	caller.hangUp()
	if res := e.result(done); res.Outcome != crm.OutcomeAbandoned {
		t.Fatalf("outcome = %s", res.Outcome)
	}
	if n := len(e.ringer.ringsOf("c8")); n != 2 {
		t.Fatalf("rang %d times, want 2 (then away)", n)
	}
	if !sawEvent(e.events, func(ev Event) bool { return ev.Kind == EventPresence && ev.UserID == 20 && ev.Presence == Away }) {
		t.Fatal("no presence event for the agent set away")
	}
	if _, err := e.r.SetPresence(context.Background(), 20, Available); err != nil {
		t.Fatal(err)
	}
	if a := e.agent(20); a.AutoAway || a.RingOuts != 0 || !a.Free() {
		t.Fatalf("after choosing available: %+v", a)
	}
}

func sawEvent(s *Subscription, match func(Event) bool) bool {
	for {
		select {
		case ev := <-s.Events():
			if match(ev) {
				return true
			}
		default:
			return false
		}
	}
}

func TestAnsweredAgentBeatsALateSecondAnswer(t *testing.T) {
	// Two agents answer at once: one wins, the other's leg is hung up as
	// answered elsewhere and they are freed.
	e := newEnv(t, envOption{settings: func(s *Settings) { s.DeskAgents = []int64{20, 21} }})
	e.online(20, 21)
	e.ringer.set(20, answerAfter(5*time.Millisecond))
	e.ringer.set(21, answerAfter(5*time.Millisecond))

	caller, done := e.call("c9", "+4930999")
	waitFor(t, "the bridge", func() bool { return caller.has("bridge:") })
	waitFor(t, "both rings over", func() bool {
		r := e.ringer.log()
		return len(r) == 2 && e.ringer.leg("c9", 20) != nil || len(r) == 2 && e.ringer.leg("c9", 21) != nil
	})
	caller.hangUp()
	res := e.result(done)
	loser := int64(20)
	if res.AnsweredBy == 20 {
		loser = 21
	}
	if l := e.ringer.leg("c9", loser); l != nil {
		waitFor(t, "the late leg hung up", func() bool { return isDone(l.Done()) })
		if r := l.hungUpWith(); r != HangupAnsweredElsewhere {
			t.Fatalf("late leg hung up with %q", r)
		}
	}
	waitFor(t, "both agents free", func() bool { return e.agent(20).Free() && e.agent(21).Free() })
	if res.EndedBy != EndedByCaller || res.Outcome != crm.OutcomeAnswered {
		t.Fatalf("result = %+v", res)
	}
}

func TestDuplicateCallIDIsRefused(t *testing.T) {
	e := newEnv(t, envOption{})
	e.online(20)
	caller, done := e.call("dup", "+4931000")
	waitFor(t, "the first call ringing", func() bool { return len(e.ringer.ringsOf("dup")) > 0 })
	res := e.r.Handle(context.Background(), &Call{ID: "dup", From: "+4931000", Leg: newCaller("dup")})
	if !errors.Is(res.Err, ErrDuplicateCall) {
		t.Fatalf("second Handle = %+v", res)
	}
	if calls := e.r.Calls(); len(calls) != 1 || calls[0].CallID != "dup" || calls[0].Stage != StageDesk {
		t.Fatalf("live calls = %+v", calls)
	}
	caller.hangUp()
	e.result(done)
	if calls := e.r.Calls(); len(calls) != 0 {
		t.Fatalf("live calls after the end = %+v", calls)
	}
}

func TestShutdownEndsTheCall(t *testing.T) {
	e := newEnv(t, envOption{})
	e.online(20)
	c := newCaller("c10")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan Result, 1)
	go func() { done <- e.r.Handle(ctx, &Call{ID: "c10", From: "+4931010", Leg: c}) }()
	waitFor(t, "ringing", func() bool { return len(e.ringer.ringsOf("c10")) == 1 })
	cancel()
	res := e.result(done)
	if res.Outcome != crm.OutcomeMissed || !c.has("hangup:shutdown") {
		t.Fatalf("result %+v, caller saw %v", res, c.Events())
	}
	e.written("c10")
}

func TestAHangingRingerCannotHoldTheCall(t *testing.T) {
	e := newEnv(t, envOption{settings: func(s *Settings) { s.OwnerRingTime = 10 * time.Millisecond }})
	e.r.ringGrace = 10 * time.Millisecond
	e.known("+4931100", 511, 10)
	e.online(10, 20)
	release := make(chan struct{})
	defer close(release)
	e.ringer.set(10, func(context.Context, *fakeAgent) (AgentLeg, error) {
		<-release // ignores its context
		return nil, ErrNoAnswer
	})
	e.ringer.set(20, answerAfter(0))
	e.ringer.talkAfter = time.Millisecond
	res := e.result(second(e.call("hang", "+4931100")))
	if got := steps(res); !slices.Equal(got, []string{"owner/10/no_answer", "desk/20/answered"}) {
		t.Fatalf("steps = %v", got)
	}
}

// TestWrapUpKeepsTheAgentFromTheNextCall: after an answered call the agent
// is in wrap-up for WrapUpTime: a second call finds them not free and goes
// on to the desk; once they say they are ready (EndWrapUp), or the time is
// over, they are offered calls again.
func TestWrapUpKeepsTheAgentFromTheNextCall(t *testing.T) {
	e := newEnv(t, envOption{settings: func(s *Settings) {
		s.WrapUpTime = time.Hour
		s.QueueTimeout = 200 * time.Millisecond
	}})
	e.known("+4930111", 501, 10)
	e.online(10)
	e.ringer.set(10, answerAfter(0))

	caller, done := e.call("c1", "+4930111")
	waitFor(t, "the bridge", func() bool { return caller.has("bridge:") })
	e.ringer.leg("c1", 10).bye()
	e.result(done)
	if a := e.agent(10); !a.WrapUp || a.Free() || a.CallID != "" {
		t.Fatalf("after the call the owner is %+v, want in wrap-up, not free", a)
	}

	_, done = e.call("c2", "+4930111")
	if got := steps(e.result(done)); len(got) == 0 || got[0] != "owner/10/busy" {
		t.Fatalf("steps = %v, want the owner skipped as busy during the wrap-up", got)
	}

	if _, err := e.r.EndWrapUp(e.ctx, 10); err != nil {
		t.Fatal(err)
	}
	if a := e.agent(10); a.WrapUp || !a.Free() {
		t.Fatalf("after EndWrapUp the owner is %+v, want free", a)
	}
	caller, done = e.call("c3", "+4930111")
	waitFor(t, "the bridge of the third call", func() bool { return caller.has("bridge:") })
	e.ringer.leg("c3", 10).bye()
	if res := e.result(done); res.AnsweredBy != 10 {
		t.Fatalf("third call = %+v, want answered by the owner", res)
	}
}
