package routing

import (
	"context"
	"strconv"
	"testing"
	"time"

	"callroute/crm"
)

// The fakes of the benchmarks do as little as they can, so that allocs/op
// is what routing itself costs for a call (the test fakes keep logs that
// grow with b.N).

// benchCaller is a caller leg that answers at once and is gone after Hangup.
type benchCaller struct{ done chan struct{} }

func (c *benchCaller) Ringing(context.Context) error { return nil }
func (c *benchCaller) Answer(context.Context) error  { return nil }
func (c *benchCaller) Hangup(context.Context, HangupReason) error {
	if !isDone(c.done) {
		close(c.done)
	}
	return nil
}
func (c *benchCaller) Done() <-chan struct{}              { return c.done }
func (c *benchCaller) Err() error                         { return nil }
func (c *benchCaller) Play(context.Context, Prompt) error { return nil }
func (c *benchCaller) Record(context.Context, time.Duration) (Recording, error) {
	return Recording{}, nil
}
func (c *benchCaller) Bridge(ctx context.Context, a AgentLeg) error {
	select {
	case <-a.Done():
	case <-c.done:
	case <-ctx.Done():
	}
	return nil
}

// benchAgent is an answered agent leg that has already hung up: the call
// lasts 0 s, as in the load test.
type benchAgent struct{ done chan struct{} }

func (a *benchAgent) Device() string                             { return "sip:agent@bench" }
func (a *benchAgent) Hangup(context.Context, HangupReason) error { return nil }
func (a *benchAgent) Done() <-chan struct{}                      { return a.done }

// benchRinger answers every ring at once.
type benchRinger struct{}

func (benchRinger) Ring(context.Context, RingRequest) (AgentLeg, error) {
	done := make(chan struct{})
	close(done)
	return &benchAgent{done: done}, nil
}

// benchRecorder takes every record and keeps none.
type benchRecorder struct{}

func (benchRecorder) RecordCall(_ context.Context, it crm.Interaction) (*crm.Interaction, *crm.Task, error) {
	return &it, nil, nil
}
func (benchRecorder) RecordCalls(context.Context, []crm.Interaction) error { return nil }

// benchLookup knows one caller, owned by user 1; the others are unknown.
type benchLookup struct{ known *crm.CallerInfo }

func (l benchLookup) LookupCaller(_ context.Context, raw string) (*crm.CallerInfo, error) {
	if raw == l.known.E164 {
		return l.known, nil
	}
	return &crm.CallerInfo{E164: raw}, nil
}

// benchHandle runs b.N whole calls from one number through Router.Handle,
// with a desk of 50 agents (longest-idle, as the load test) and the owner
// online; the events have a subscriber, as the softphone hub is.
func benchHandle(b *testing.B, from string, wantStage Stage) {
	s := DefaultSettings()
	s.DeskStrategy = LongestIdle
	s.WrapUpTime = 0
	for id := int64(100); id < 150; id++ {
		s.DeskAgents = append(s.DeskAgents, id)
	}
	known := &crm.CallerInfo{E164: "+441632960001", Known: true,
		Contact: &crm.Contact{ID: 5, Name: "Ann Client", CompanyID: 7}, Company: &crm.Company{ID: 7},
		Owner: &crm.UserRef{ID: 1}, Target: &crm.UserRef{ID: 1}, OwnerSource: crm.OwnerContact}
	r, err := New(Deps{Lookup: benchLookup{known}, Recorder: benchRecorder{}, Ringer: benchRinger{}}, s,
		WithLogger(quietLogger()), WithWriteWindow(0))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for _, id := range append([]int64{1}, s.DeskAgents...) {
		if _, err := r.SetDevices(ctx, id, "sip", 1); err != nil {
			b.Fatal(err)
		}
	}
	sub := r.Hub().Subscribe(0)
	defer sub.Close()
	go func() {
		for range sub.Events() {
		}
	}()
	ids := make([]string, b.N)
	for i := range ids {
		ids[i] = "call-" + strconv.Itoa(i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		res := r.Handle(ctx, &Call{ID: ids[i], From: from, Leg: &benchCaller{done: make(chan struct{})}})
		if res.AnsweredBy == 0 || len(res.Steps) == 0 || res.Steps[len(res.Steps)-1].Stage != wantStage {
			b.Fatalf("call %d: %+v", i, res)
		}
	}
}

// BenchmarkHandleOwnerAnswers is a known caller whose owner answers.
func BenchmarkHandleOwnerAnswers(b *testing.B) { benchHandle(b, "+441632960001", StageOwner) }

// BenchmarkHandleDeskAnswers is an unknown caller to the desk of 50.
func BenchmarkHandleDeskAnswers(b *testing.B) { benchHandle(b, "+441632960999", StageDesk) }

// BenchmarkDeskOrder50 reads a desk of 50 from the live state and orders it
// (longest-idle), as each desk round of a call does.
func BenchmarkDeskOrder50(b *testing.B) {
	m := NewMemoryState(nil)
	ctx := context.Background()
	var ids []int64
	for id := int64(100); id < 150; id++ {
		ids = append(ids, id)
		if _, err := m.SetDevices(ctx, id, "sip", 1); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for range b.N {
		agents, err := m.Agents(ctx, ids)
		if err != nil {
			b.Fatal(err)
		}
		if order := deskOrder(LongestIdle, agents, 0); len(order) != len(ids) {
			b.Fatal(order)
		}
	}
}
