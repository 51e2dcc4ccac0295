package routing

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"callroute/crm"
)

// tickingClock advances a second at every reading, so that agents brought
// online one after the other have distinct idle times.
func tickingClock() func() time.Time {
	var n atomic.Int64
	base := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	return func() time.Time { return base.Add(time.Duration(n.Add(1)) * time.Second) }
}

func TestLongestIdleRingsTheLongestIdleFirst(t *testing.T) {
	e := newEnv(t, envOption{state: NewMemoryState(tickingClock()), settings: func(s *Settings) {
		s.DeskStrategy = LongestIdle
		s.DeskRingTime = 20 * time.Millisecond
	}})
	e.online(21, 22, 20) // 21 has been idle longest, then 22, then 20
	e.ringer.set(20, answerAfter(0))
	e.ringer.talkAfter = time.Millisecond

	res := e.result(second(e.call("li", "+4932000")))
	if rung := e.ringer.ringsOf("li"); !slices.Equal(rung, []int64{21, 22, 20}) {
		t.Fatalf("rang %v, want 21, 22, 20", rung)
	}
	want := []string{"desk/21/no_answer", "desk/22/no_answer", "desk/20/answered"}
	if got := steps(res); !slices.Equal(got, want) {
		t.Fatalf("steps = %v, want %v", got, want)
	}
}

func TestRoundRobinStartsOneFurtherEachCall(t *testing.T) {
	e := newEnv(t, envOption{settings: func(s *Settings) { s.DeskStrategy = RoundRobin }})
	e.online(20, 21, 22)
	for _, id := range []int64{20, 21, 22} {
		e.ringer.set(id, answerAfter(0))
	}
	e.ringer.talkAfter = time.Millisecond
	var first []int64
	for i := range 4 {
		id := fmt.Sprintf("rr%d", i)
		res := e.result(second(e.call(id, "+4932100")))
		waitFor(t, "the agent free", func() bool { return e.agent(res.AnsweredBy).Free() })
		first = append(first, e.ringer.ringsOf(id)[0])
	}
	if !slices.Equal(first, []int64{21, 22, 20, 21}) {
		t.Fatalf("first rung per call = %v, want 21, 22, 20, 21", first)
	}
}

func TestRingAllSkipsBusyAndOfflineAgents(t *testing.T) {
	e := newEnv(t, envOption{})
	e.online(20, 21) // 22 offline
	if _, err := e.r.SetPresence(t.Context(), 21, Busy); err != nil {
		t.Fatal(err)
	}
	e.ringer.set(20, answerAfter(0))
	e.ringer.talkAfter = time.Millisecond
	e.result(second(e.call("skip", "+4932200")))
	if rung := e.ringer.ringsOf("skip"); !slices.Equal(rung, []int64{20}) {
		t.Fatalf("rang %v, want only 20", rung)
	}
}

func TestConcurrentCallsNeverOfferOneAgentTwice(t *testing.T) {
	e := newEnv(t, envOption{settings: func(s *Settings) {
		s.DeskAgents = []int64{20, 21}
		s.DeskRetryWait = 0
	}})
	e.online(20, 21)
	e.ringer.set(20, answerAfter(2*time.Millisecond))
	e.ringer.set(21, answerAfter(3*time.Millisecond))
	e.ringer.talkAfter = 5 * time.Millisecond

	const calls = 8
	var wg sync.WaitGroup
	results := make([]Result, calls)
	for i := range calls {
		wg.Go(func() {
			results[i] = e.result(second(e.call(fmt.Sprintf("cc%d", i), "+4932300")))
		})
	}
	wg.Wait()
	for i, r := range results {
		if r.Outcome != crm.OutcomeAnswered {
			t.Errorf("call %d: %s, steps %v", i, r.Outcome, steps(r))
		}
	}
	e.ringer.mu.Lock()
	defer e.ringer.mu.Unlock()
	if len(e.ringer.overlap) > 0 {
		t.Fatalf("an agent was offered two calls at once: %v", e.ringer.overlap)
	}
}

func TestOwnerWhoRangOutIsNotRungAgainByTheDesk(t *testing.T) {
	e := newEnv(t, envOption{settings: func(s *Settings) {
		s.OwnerRingTime = 20 * time.Millisecond
		s.DeskAgents = []int64{20, 21}
		s.DeskRetryWait = time.Minute
	}})
	e.known("+4932400", 524, 20) // the owner works the desk too
	e.online(20, 21)
	e.ringer.set(21, answerAfter(5*time.Millisecond))
	e.ringer.talkAfter = time.Millisecond
	res := e.result(second(e.call("own", "+4932400")))
	if rung := e.ringer.ringsOf("own"); !slices.Equal(rung, []int64{20, 21}) {
		t.Fatalf("rang %v, want the owner once, then 21", rung)
	}
	if got := steps(res); !slices.Equal(got, []string{"owner/20/no_answer", "desk/21/answered"}) {
		t.Fatalf("steps = %v", got)
	}
}
