package routing

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"callroute/crm"
)

// waitFor polls cond until it holds; it fails the test after 5 s. Tests
// wait for what happened, never for a wall-clock duration.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

var errCallerLeft = errors.New("caller hung up")

// fakeCaller is a caller leg that logs what routing asks of it.
type fakeCaller struct {
	id        string
	recordFor time.Duration // how long a voicemail "records"; 0 = nothing left
	answerErr error

	mu     sync.Mutex
	events []string
	done   chan struct{}
	once   sync.Once
	err    error
}

func newCaller(id string) *fakeCaller { return &fakeCaller{id: id, done: make(chan struct{})} }

func (c *fakeCaller) log(e string) {
	c.mu.Lock()
	c.events = append(c.events, e)
	c.mu.Unlock()
}

func (c *fakeCaller) end(err error) {
	c.once.Do(func() {
		c.mu.Lock()
		c.err = err
		c.mu.Unlock()
		close(c.done)
	})
}

// hangUp is the caller's CANCEL or BYE.
func (c *fakeCaller) hangUp() { c.end(errCallerLeft) }

func (c *fakeCaller) Events() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.events)
}

func (c *fakeCaller) has(prefix string) bool {
	return slices.ContainsFunc(c.Events(), func(e string) bool { return strings.HasPrefix(e, prefix) })
}

func (c *fakeCaller) count(prefix string) int {
	n := 0
	for _, e := range c.Events() {
		if strings.HasPrefix(e, prefix) {
			n++
		}
	}
	return n
}

func (c *fakeCaller) Ringing(context.Context) error { c.log("ringing"); return nil }
func (c *fakeCaller) Answer(context.Context) error {
	if c.answerErr != nil {
		return c.answerErr
	}
	c.log("answer")
	return nil
}
func (c *fakeCaller) Hangup(_ context.Context, r HangupReason) error {
	c.log("hangup:" + string(r))
	c.end(nil)
	return nil
}
func (c *fakeCaller) Done() <-chan struct{} { return c.done }
func (c *fakeCaller) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func (c *fakeCaller) Play(ctx context.Context, p Prompt) error {
	if p.Kind == PromptPosition {
		c.log(fmt.Sprintf("play:position:%d", p.Position))
	} else {
		c.log("play:" + string(p.Kind))
	}
	if p.Kind != PromptMusic {
		return nil
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-c.done:
		return errCallerLeft
	}
}

func (c *fakeCaller) Record(ctx context.Context, max time.Duration) (Recording, error) {
	c.log("record")
	d := min(c.recordFor, max)
	if d == 0 {
		return Recording{}, nil
	}
	select {
	case <-time.After(d):
	case <-ctx.Done():
	case <-c.done:
	}
	return Recording{Ref: "voicemail/" + c.id + ".wav", Duration: d}, nil
}

func (c *fakeCaller) Bridge(ctx context.Context, a AgentLeg) error {
	c.log("bridge:" + a.Device())
	select {
	case <-a.Done():
	case <-c.done:
	case <-ctx.Done():
	}
	return nil
}

// fakeAgent is an answered agent leg.
type fakeAgent struct {
	user   int64
	callID string
	done   chan struct{}
	once   sync.Once
	mu     sync.Mutex
	reason HangupReason
}

func (a *fakeAgent) Device() string        { return fmt.Sprintf("sip:%d@test", a.user) }
func (a *fakeAgent) Done() <-chan struct{} { return a.done }
func (a *fakeAgent) Hangup(_ context.Context, r HangupReason) error {
	a.once.Do(func() {
		a.mu.Lock()
		a.reason = r
		a.mu.Unlock()
		close(a.done)
	})
	return nil
}

func (a *fakeAgent) hungUpWith() HangupReason {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.reason
}

// bye is the agent hanging up.
func (a *fakeAgent) bye() { _ = a.Hangup(context.Background(), "agent") }

// behaviour is what an agent's devices do when rung.
type behaviour func(ctx context.Context, leg *fakeAgent) (AgentLeg, error)

func answerAfter(d time.Duration) behaviour {
	return func(ctx context.Context, leg *fakeAgent) (AgentLeg, error) {
		select {
		case <-time.After(d):
			return leg, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// ringOut rings until routing stops it.
func ringOut(ctx context.Context, _ *fakeAgent) (AgentLeg, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func refuse(err error) behaviour {
	return func(context.Context, *fakeAgent) (AgentLeg, error) { return nil, err }
}

// ringLog is one ring the fake ringer saw.
type ringLog struct {
	user      int64
	callID    string
	stage     Stage
	cancelled bool // ended by routing (ctx cancelled, not the deadline)
	answered  bool
}

// fakeRinger rings agents by a script; unscripted agents ring out.
type fakeRinger struct {
	mu        sync.Mutex
	script    map[int64]behaviour
	rings     []ringLog
	active    map[int64]string // user -> call ringing now
	overlap   []string         // a user rung for two calls at once
	legs      map[string]*fakeAgent
	talkAfter time.Duration // answered legs hang up after this (0 = the test does)
}

func newRinger() *fakeRinger {
	return &fakeRinger{script: map[int64]behaviour{}, active: map[int64]string{}, legs: map[string]*fakeAgent{}}
}

func (f *fakeRinger) set(user int64, b behaviour) {
	f.mu.Lock()
	f.script[user] = b
	f.mu.Unlock()
}

func (f *fakeRinger) Ring(ctx context.Context, req RingRequest) (AgentLeg, error) {
	f.mu.Lock()
	if other, ok := f.active[req.UserID]; ok {
		f.overlap = append(f.overlap, fmt.Sprintf("user %d rung for %s and %s", req.UserID, other, req.Call.ID))
	}
	f.active[req.UserID] = req.Call.ID
	for _, l := range f.legs {
		if l.user == req.UserID && !isDone(l.done) {
			f.overlap = append(f.overlap, fmt.Sprintf("user %d rung for %s while on %s", req.UserID, req.Call.ID, l.callID))
		}
	}
	i := len(f.rings)
	f.rings = append(f.rings, ringLog{user: req.UserID, callID: req.Call.ID, stage: req.Stage})
	b := f.script[req.UserID]
	f.mu.Unlock()
	if b == nil {
		b = ringOut
	}
	leg := &fakeAgent{user: req.UserID, callID: req.Call.ID, done: make(chan struct{})}
	got, err := b(ctx, leg)
	f.mu.Lock()
	delete(f.active, req.UserID)
	f.rings[i].cancelled = errors.Is(ctx.Err(), context.Canceled)
	f.rings[i].answered = got != nil
	if got != nil {
		f.legs[fmt.Sprintf("%s/%d", req.Call.ID, req.UserID)] = leg
	}
	talk := f.talkAfter
	f.mu.Unlock()
	if got != nil && talk > 0 {
		time.AfterFunc(talk, leg.bye)
	}
	return got, err
}

func (f *fakeRinger) log() []ringLog {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.rings)
}

func (f *fakeRinger) leg(callID string, user int64) *fakeAgent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.legs[fmt.Sprintf("%s/%d", callID, user)]
}

func (f *fakeRinger) ringsOf(callID string) []int64 {
	var users []int64
	for _, r := range f.log() {
		if r.callID == callID {
			users = append(users, r.user)
		}
	}
	return users
}

// fakeLookup answers from a table.
type fakeLookup struct {
	callers map[string]*crm.CallerInfo
	err     error
	delay   time.Duration
}

func (l *fakeLookup) LookupCaller(ctx context.Context, raw string) (*crm.CallerInfo, error) {
	if l.delay > 0 {
		select {
		case <-time.After(l.delay):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if l.err != nil {
		return nil, l.err
	}
	if info := l.callers[raw]; info != nil {
		return info, nil
	}
	return &crm.CallerInfo{E164: raw, Required: []string{"name", "company"}}, nil
}

// fakeRecorder stores interactions by Call-ID as crm.Service does, with
// the call-back task of a missed call; it fails while down.
type fakeRecorder struct {
	mu       sync.Mutex
	down     bool
	attempts int
	calls    map[string]crm.Interaction
	writes   map[string]int
	tasks    []crm.Task
}

func newRecorder() *fakeRecorder {
	return &fakeRecorder{calls: map[string]crm.Interaction{}, writes: map[string]int{}}
}

func (r *fakeRecorder) RecordCall(_ context.Context, it crm.Interaction) (*crm.Interaction, *crm.Task, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.attempts++
	if r.down {
		return nil, nil, errors.New("database is down")
	}
	if old, ok := r.calls[it.CallID]; ok {
		return &old, nil, nil
	}
	r.calls[it.CallID] = it
	r.writes[it.CallID]++
	if it.Outcome == crm.OutcomeAnswered {
		return &it, nil, nil
	}
	t := crm.Task{Kind: crm.TaskCallBack, AssigneeID: it.UserID, ContactID: it.ContactID, CallerE164: it.CallerE164}
	r.tasks = append(r.tasks, t)
	return &it, &t, nil
}

func (r *fakeRecorder) setDown(down bool) {
	r.mu.Lock()
	r.down = down
	r.mu.Unlock()
}

func (r *fakeRecorder) get(callID string) (crm.Interaction, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	it, ok := r.calls[callID]
	return it, ok
}

func (r *fakeRecorder) taskFor(callerE164 string) (crm.Task, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, t := range r.tasks {
		if t.CallerE164 == callerE164 {
			return t, true
		}
	}
	return crm.Task{}, false
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
