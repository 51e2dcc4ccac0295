package routing

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"callroute/crm"
)

// env is a Router over fakes, with short durations.
type env struct {
	t      *testing.T
	r      *Router
	state  *MemoryState
	ringer *fakeRinger
	lookup *fakeLookup
	rec    *fakeRecorder
	events *Subscription
	ctx    context.Context
}

// fastSettings rings long enough that an answering fake always wins, and
// keeps every wait short.
func fastSettings() Settings {
	s := DefaultSettings()
	s.OwnerRingTime = 2 * time.Second
	s.DeskRingTime = 2 * time.Second
	s.DeskRetryWait = 50 * time.Millisecond
	s.QueueTimeout = 5 * time.Second
	s.PositionInterval = 20 * time.Millisecond
	s.QueuePollInterval = 20 * time.Millisecond
	s.VoicemailMax = time.Second
	s.LookupTimeout = time.Second
	s.WriteTimeout = time.Second
	s.DeskAgents = []int64{20, 21, 22}
	s.WrapUpTime = 0 // the wrap-up has tests of its own
	return s
}

type envOption struct {
	settings func(*Settings)
	state    *MemoryState
	opts     []Option
	noRun    bool
}

func newEnv(t *testing.T, o envOption) *env {
	t.Helper()
	s := fastSettings()
	if o.settings != nil {
		o.settings(&s)
	}
	state := o.state
	if state == nil {
		state = NewMemoryState(nil)
	}
	e := &env{t: t, state: state, ringer: newRinger(), lookup: &fakeLookup{callers: map[string]*crm.CallerInfo{}},
		rec: newRecorder()}
	opts := append([]Option{WithLogger(quietLogger()), WithRetry(5*time.Millisecond, 50*time.Millisecond, 100)}, o.opts...)
	r, err := New(Deps{Lookup: e.lookup, Recorder: e.rec, Ringer: e.ringer, State: state}, s, opts...)
	if err != nil {
		t.Fatal(err)
	}
	e.r = r
	e.events = r.Hub().Subscribe(10000)
	ctx, cancel := context.WithCancel(context.Background())
	e.ctx = ctx
	var wg sync.WaitGroup
	if !o.noRun {
		wg.Go(func() { _ = r.Run(ctx) })
	}
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		_ = r.Close()
	})
	return e
}

// online brings agents online (one SIP device each).
func (e *env) online(ids ...int64) {
	for _, id := range ids {
		if _, err := e.r.SetDevices(context.Background(), id, "sip", 1); err != nil {
			e.t.Fatal(err)
		}
	}
}

// known adds a caller whose contact is owned by owner.
func (e *env) known(number string, contactID, owner int64) *crm.CallerInfo {
	info := &crm.CallerInfo{E164: number, Known: true,
		Contact:  &crm.Contact{ID: contactID, Name: "Ann Client", CompanyID: 7},
		Company:  &crm.Company{ID: 7, Name: "Client Ltd"},
		Interest: &crm.Interest{ID: 70},
		Owner:    &crm.UserRef{ID: owner}, Target: &crm.UserRef{ID: owner}, OwnerSource: crm.OwnerInterest}
	e.lookup.callers[number] = info
	return info
}

// call starts a call; the Result arrives on the channel when Handle returns.
func (e *env) call(id, from string) (*fakeCaller, <-chan Result) {
	c := newCaller(id)
	c.recordFor = 10 * time.Millisecond
	return c, e.handle(c, from)
}

func (e *env) handle(c *fakeCaller, from string) <-chan Result {
	out := make(chan Result, 1)
	go func() { out <- e.r.Handle(e.ctx, &Call{ID: c.id, From: from, Leg: c}) }()
	return out
}

// result waits for a call's Result.
func (e *env) result(ch <-chan Result) Result {
	e.t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(10 * time.Second):
		e.t.Fatal("Handle did not return")
	}
	return Result{}
}

// written waits until the call's interaction is stored.
func (e *env) written(callID string) crm.Interaction {
	e.t.Helper()
	var it crm.Interaction
	waitFor(e.t, "the interaction of "+callID, func() bool {
		var ok bool
		it, ok = e.rec.get(callID)
		return ok
	})
	return it
}

func (e *env) agent(id int64) Agent {
	a, err := e.state.Agent(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return a
}

// steps renders a result's steps as "stage/user/outcome".
func steps(r Result) []string {
	var out []string
	for _, s := range r.Steps {
		out = append(out, stepString(s))
	}
	return out
}

func stepString(s Step) string {
	return string(s.Stage) + "/" + itoa(s.UserID) + "/" + string(s.Outcome)
}

func itoa(n int64) string {
	if n == 0 {
		return "-"
	}
	return strconv.FormatInt(n, 10)
}

func hasStep(r Result, want string) bool {
	for _, s := range steps(r) {
		if s == want {
			return true
		}
	}
	return false
}
