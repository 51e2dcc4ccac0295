package routing

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestSlowSubscriberMissesEventsButNeverBlocks(t *testing.T) {
	var h Hub
	slow := h.Subscribe(2)
	fast := h.Subscribe(100)
	done := make(chan struct{})
	go func() {
		for range 10 {
			h.Publish(Event{Kind: EventQueue})
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Publish blocked on a slow subscriber")
	}
	if slow.Dropped() != 8 || len(fast.Events()) != 10 {
		t.Fatalf("slow dropped %d, fast got %d", slow.Dropped(), len(fast.Events()))
	}
	slow.Close()
	slow.Close()
	if _, ok := <-slow.Events(); !ok {
		t.Fatal("buffered events lost on Close")
	}
	h.Publish(Event{Kind: EventQueue}) // after Close: no panic
}

func TestCallEventsArePublished(t *testing.T) {
	e := newEnv(t, envOption{})
	e.online(20)
	e.ringer.set(20, answerAfter(0))
	e.ringer.talkAfter = time.Millisecond
	e.result(second(e.call("ev", "+4935000")))
	var kinds []EventKind
	for {
		select {
		case ev := <-e.events.Events():
			if ev.CallID == "ev" {
				kinds = append(kinds, ev.Kind)
			}
			continue
		default:
		}
		break
	}
	for _, want := range []EventKind{EventQueue, EventRinging, EventAnswered, EventEnded} {
		found := false
		for _, k := range kinds {
			found = found || k == want
		}
		if !found {
			t.Errorf("no %s event in %v", want, kinds)
		}
	}
}

func TestFanoutFirstAnswerWinsAndCancelsTheRest(t *testing.T) {
	sip, web := newRinger(), newRinger()
	sip.set(1, ringOut)
	web.set(1, answerAfter(time.Millisecond))
	leg, err := Fanout{sip, web}.Ring(context.Background(), RingRequest{Call: &Call{ID: "f"}, UserID: 1})
	if err != nil || leg == nil {
		t.Fatalf("Ring = %v, %v", leg, err)
	}
	waitFor(t, "the SIP ring cancelled", func() bool { r := sip.log(); return len(r) == 1 && r[0].cancelled })
}

func TestFanoutCombinesRefusals(t *testing.T) {
	ring := func(bs ...behaviour) error {
		var f Fanout
		for _, b := range bs {
			r := newRinger()
			r.set(1, b)
			f = append(f, r)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		_, err := f.Ring(ctx, RingRequest{Call: &Call{ID: "f"}, UserID: 1})
		return err
	}
	cases := []struct {
		name string
		err  error
		want error
	}{
		{"busy and offline", ring(refuse(ErrBusy), refuse(ErrOffline)), ErrBusy},
		{"offline everywhere", ring(refuse(ErrOffline), refuse(ErrOffline)), ErrOffline},
		{"one rang out", ring(refuse(ErrBusy), refuse(ErrNoAnswer)), ErrNoAnswer},
		{"declined ends the fork", ring(refuse(ErrDeclined), ringOut), ErrDeclined},
		{"none", Fanout{}.ringErr(), ErrOffline},
	}
	for _, c := range cases {
		if !errors.Is(c.err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, c.err, c.want)
		}
	}
}

func (f Fanout) ringErr() error {
	_, err := f.Ring(context.Background(), RingRequest{})
	return err
}
