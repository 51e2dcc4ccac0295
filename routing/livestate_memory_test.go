package routing

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

func TestTryOfferClaimsAnAgentOnce(t *testing.T) {
	m := NewMemoryState(nil)
	ctx := context.Background()
	if _, ok, _ := m.TryOffer(ctx, 1, "a"); ok {
		t.Fatal("offered an agent never seen (offline)")
	}
	m.SetDevices(ctx, 1, "web", 2)
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			if _, ok, _ := m.TryOffer(ctx, 1, fmt.Sprint("call", i)); ok {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d calls claimed one agent", wins.Load())
	}
}

func TestOfferLifecycle(t *testing.T) {
	m := NewMemoryState(nil)
	ctx := context.Background()
	m.SetDevices(ctx, 1, "sip", 1)
	m.TryOffer(ctx, 1, "a")
	a, _ := m.EndOffer(ctx, OfferEnd{UserID: 1, CallID: "a", Outcome: OutcomeAnswered})
	if a.CallID != "a" || a.Offered || a.Free() {
		t.Fatalf("after answer: %+v", a)
	}
	if _, ok, _ := m.TryOffer(ctx, 1, "b"); ok {
		t.Fatal("offered an agent on a call")
	}
	if a, _ := m.EndCall(ctx, 1, "other", 0); a.CallID != "a" {
		t.Fatal("EndCall of another call freed the agent")
	}
	if a, _ := m.EndCall(ctx, 1, "a", 0); !a.Free() {
		t.Fatalf("after EndCall: %+v", a)
	}
}

func TestRingOutsSetAwayAndAnswerResets(t *testing.T) {
	m := NewMemoryState(nil)
	ctx := context.Background()
	m.SetDevices(ctx, 1, "sip", 1)
	ring := func(call string, o StepOutcome) Agent {
		if _, ok, _ := m.TryOffer(ctx, 1, call); !ok {
			t.Fatalf("could not offer %s", call)
		}
		a, _ := m.EndOffer(ctx, OfferEnd{UserID: 1, CallID: call, Outcome: o, MaxRingOuts: 3})
		return a
	}
	ring("1", OutcomeNoAnswer)
	ring("2", OutcomeNoAnswer)
	ring("3", OutcomeAnswered)
	m.EndCall(ctx, 1, "3", 0)
	ring("4", OutcomeNoAnswer)
	ring("5", OutcomeDeclined) // neither counts nor resets
	if a := ring("6", OutcomeNoAnswer); a.RingOuts != 2 || a.Presence != Available {
		t.Fatalf("after 2 ring-outs since the answer: %+v", a)
	}
	if a := ring("7", OutcomeNoAnswer); a.Presence != Away || !a.AutoAway {
		t.Fatalf("after 3 ring-outs: %+v", a)
	}
}

func TestPresenceIsOfflineWithoutDevices(t *testing.T) {
	m := NewMemoryState(nil)
	ctx := context.Background()
	m.SetPresence(ctx, 1, Busy)
	if a, _ := m.Agent(ctx, 1); a.Presence != Offline || a.Chosen != Busy {
		t.Fatalf("%+v", a)
	}
	m.SetDevices(ctx, 1, "sip", 1)
	m.SetDevices(ctx, 1, "web", 1)
	m.SetDevices(ctx, 1, "sip", 0)
	if a, _ := m.Agent(ctx, 1); a.Presence != Busy || a.Devices != 1 {
		t.Fatalf("%+v", a)
	}
	if _, err := m.SetPresence(ctx, 1, Offline); err == nil {
		t.Fatal("offline was accepted as a choice")
	}
}

func TestQueueSpots(t *testing.T) {
	m := NewMemoryState(nil)
	ctx := context.Background()
	for _, id := range []string{"a", "b", "c"} {
		m.QueueJoin(ctx, QueueEntry{CallID: id})
	}
	m.QueueJoin(ctx, QueueEntry{CallID: "a"}) // once only
	m.QueueSetOffering(ctx, "a", true)
	if s, _ := m.QueueSpot(ctx, "c"); s != (QueueSpot{Position: 3, WaitingAhead: 1, Length: 3}) {
		t.Fatalf("spot of c = %+v", s)
	}
	m.QueueLeave(ctx, "b")
	if s, _ := m.QueueSpot(ctx, "c"); s != (QueueSpot{Position: 2, WaitingAhead: 0, Length: 2}) {
		t.Fatalf("spot of c = %+v", s)
	}
	if s, _ := m.QueueSpot(ctx, "zz"); s.Position != 0 {
		t.Fatalf("spot of a call not queued = %+v", s)
	}
}

func TestChangesAreCoalescedAndStop(t *testing.T) {
	m := NewMemoryState(nil)
	ch, stop := m.Changes()
	for range 5 {
		m.SetDevices(context.Background(), 1, "sip", 1)
	}
	<-ch
	select {
	case <-ch:
		t.Fatal("changes were not coalesced")
	default:
	}
	stop()
	m.SetDevices(context.Background(), 1, "sip", 2)
	select {
	case <-ch:
		t.Fatal("notified after stop")
	default:
	}
}
