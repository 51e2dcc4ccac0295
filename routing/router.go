package routing

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Deps are what a Router works with. Lookup, Recorder and Ringer are
// required; State defaults to a new MemoryState; Desk may be nil when
// Settings.DeskAgents names the desk.
type Deps struct {
	Lookup   Lookup
	Recorder CallRecorder
	Ringer   Ringer
	State    LiveState
	Desk     Desk
}

// Router routes inbound calls. One Router serves every call of a node; its
// methods are safe for concurrent use. Handle runs a call; Run must run
// beside it (it writes the calls the database could not take at once).
type Router struct {
	lookup   Lookup
	recorder CallRecorder
	ringer   Ringer
	state    LiveState
	desk     Desk
	settings atomic.Pointer[Settings]

	log     *slog.Logger
	metrics Metrics
	hub     *Hub
	now     func() time.Time
	writer  *writer
	// ringGrace is how long a Ringer may take to return once its ring is
	// over before routing goes on without it.
	ringGrace time.Duration

	mu    sync.Mutex
	calls map[string]*LiveCall
}

// DefaultRingGrace is how long routing waits for a Ringer to return after
// the ring's context ended (see Ringer).
const DefaultRingGrace = 2 * time.Second

// Option configures a Router.
type Option func(*Router)

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(r *Router) { r.log = l } }

// WithMetrics sets where measurements go (default NopMetrics).
func WithMetrics(m Metrics) Option { return func(r *Router) { r.metrics = m } }

// WithHub sets the event hub (default a new one; see Router.Hub).
func WithHub(h *Hub) Option { return func(r *Router) { r.hub = h } }

// WithClock sets the clock for business hours and records (tests); timers
// always use real time.
func WithClock(now func() time.Time) Option { return func(r *Router) { r.now = now } }

// WithSpoolDir keeps call records that could not be written in dir (JSON
// lines), so that a restart does not lose them; they are replayed by Run.
func WithSpoolDir(dir string) Option { return func(r *Router) { r.writer.dir = dir } }

// WithRetry sets the write retry's backoff (first wait, longest wait) and
// how many call records the retry queue keeps in memory.
func WithRetry(first, longest time.Duration, maxPending int) Option {
	return func(r *Router) {
		r.writer.first, r.writer.longest, r.writer.limit = first, longest, maxPending
	}
}

// DefaultWriteWindow is how long the call records of calls that end
// together wait for each other, to be written in one transaction (when the
// CallRecorder is a BatchRecorder).
const DefaultWriteWindow = 5 * time.Millisecond

// WithWriteWindow sets how long a call record waits for others to share
// its transaction (DefaultWriteWindow); 0 writes at once, still together
// with the records that came while a write was under way.
func WithWriteWindow(d time.Duration) Option {
	return func(r *Router) { r.writer.window = max(d, 0) }
}

// New returns a Router with the given settings. With a spool directory it
// reads back the call records an earlier run could not write.
func New(d Deps, s Settings, opts ...Option) (*Router, error) {
	if d.Lookup == nil || d.Recorder == nil || d.Ringer == nil {
		return nil, errors.New("routing: Lookup, Recorder and Ringer are required")
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	r := &Router{lookup: d.Lookup, recorder: d.Recorder, ringer: d.Ringer, state: d.State, desk: d.Desk,
		log: slog.Default(), metrics: NopMetrics{}, now: time.Now, calls: map[string]*LiveCall{},
		ringGrace: DefaultRingGrace}
	r.writer = &writer{first: time.Second, longest: time.Minute, limit: 10000, wake: make(chan struct{}, 1),
		window: DefaultWriteWindow}
	for _, o := range opts {
		o(r)
	}
	if r.state == nil {
		r.state = NewMemoryState(r.now)
	}
	if r.hub == nil {
		r.hub = &Hub{}
	}
	s.DeskAgents = slices.Clone(s.DeskAgents)
	r.settings.Store(&s)
	w := r.writer
	w.rec, w.log, w.metrics = r.recorder, r.log, r.metrics
	w.timeout = func() time.Duration { return r.settings.Load().WriteTimeout }
	w.batchRecorder()
	if err := w.open(); err != nil {
		return nil, err
	}
	return r, nil
}

// Settings returns the current settings.
func (r *Router) Settings() Settings { return *r.settings.Load() }

// SetSettings replaces the settings for calls that arrive from now on.
func (r *Router) SetSettings(s Settings) error {
	if err := s.Validate(); err != nil {
		return err
	}
	s.DeskAgents = slices.Clone(s.DeskAgents)
	r.settings.Store(&s)
	return nil
}

// Hub is where routing publishes its events.
func (r *Router) Hub() *Hub { return r.hub }

// State is the live state routing works on.
func (r *Router) State() LiveState { return r.state }

// SetPresence records an agent's chosen presence and tells the screens.
func (r *Router) SetPresence(ctx context.Context, userID int64, p Presence) (Agent, error) {
	a, err := r.state.SetPresence(ctx, userID, p)
	if err == nil {
		r.hub.Publish(Event{Kind: EventPresence, At: r.now(), UserID: userID, Presence: a.Presence})
	}
	return a, err
}

// EndWrapUp ends an agent's wrap-up after a call: they are ready for the
// next one.
func (r *Router) EndWrapUp(ctx context.Context, userID int64) (Agent, error) {
	a, err := r.state.EndWrapUp(ctx, userID)
	if err == nil {
		r.hub.Publish(Event{Kind: EventPresence, At: r.now(), UserID: userID, Presence: a.Presence})
	}
	return a, err
}

// SetDevices records how many devices an agent has online from one source
// ("sip" from the registrar, "web" from the softphone's WebSocket).
func (r *Router) SetDevices(ctx context.Context, userID int64, source string, n int) (Agent, error) {
	before, _ := r.state.Agent(ctx, userID)
	a, err := r.state.SetDevices(ctx, userID, source, n)
	if err == nil && a.Presence != before.Presence {
		r.hub.Publish(Event{Kind: EventPresence, At: r.now(), UserID: userID, Presence: a.Presence})
	}
	return a, err
}

// LiveCall is a call in progress, as the registry shows it.
type LiveCall struct {
	CallID  string    `json:"call_id"`
	Caller  string    `json:"caller"`
	Arrived time.Time `json:"arrived"`
	Stage   Stage     `json:"stage,omitempty"`
	// AgentID is who is talking to the caller (0 while nobody is).
	AgentID int64 `json:"agent_id,omitempty"`
	// Answerers are everyone who answered the call so far, in order (more
	// than one after a transfer).
	Answerers []int64 `json:"answerers,omitempty"`

	// transfer takes the answering agent's transfer request; nil when the
	// call cannot be transferred now.
	transfer func(TransferTarget)
}

// Calls lists the calls in progress on this node, oldest first.
func (r *Router) Calls() []LiveCall {
	r.mu.Lock()
	out := make([]LiveCall, 0, len(r.calls))
	for _, c := range r.calls {
		lc := *c
		lc.Answerers, lc.transfer = slices.Clone(c.Answerers), nil
		out = append(out, lc)
	}
	r.mu.Unlock()
	slices.SortFunc(out, func(a, b LiveCall) int {
		return cmp.Or(a.Arrived.Compare(b.Arrived), strings.Compare(a.CallID, b.CallID))
	})
	return out
}

// Call returns the call callID if it is in progress on this node.
func (r *Router) Call(callID string) (LiveCall, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.calls[callID]
	if c == nil {
		return LiveCall{}, false
	}
	lc := *c
	lc.Answerers, lc.transfer = slices.Clone(c.Answerers), nil
	return lc, true
}

// track updates the registry entry of a call.
func (r *Router) track(callID string, f func(*LiveCall)) {
	r.mu.Lock()
	if c := r.calls[callID]; c != nil {
		f(c)
	}
	r.mu.Unlock()
}

// Handle routes one call and blocks for its whole life: until it is over
// on both sides and written (or queued for writing). The SIP edge calls it
// from the INVITE handler, which must not return earlier. Cancelling ctx
// (shutdown) ends the call.
func (r *Router) Handle(ctx context.Context, c *Call) Result {
	s := *r.settings.Load()
	if c.Arrived.IsZero() {
		c.Arrived = r.now()
	}
	r.mu.Lock()
	if _, dup := r.calls[c.ID]; dup || c.ID == "" {
		r.mu.Unlock()
		r.log.Warn("call refused: Call-ID empty or already being handled", "call_id", c.ID)
		return Result{CallID: c.ID, Err: ErrDuplicateCall}
	}
	r.calls[c.ID] = &LiveCall{CallID: c.ID, Caller: c.From, Arrived: c.Arrived}
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		delete(r.calls, c.ID)
		r.mu.Unlock()
	}()

	cr := newCallRun(r, s, c)
	cr.run(ctx)
	res := cr.res
	r.metrics.Ended(res.Outcome, res.TalkTime)
	r.hub.Publish(Event{Kind: EventEnded, At: r.now(), CallID: c.ID, UserID: res.AnsweredBy,
		CallerNumber: res.CallerE164, Outcome: string(res.Outcome)})
	// The one line at info about how the call went (each step is at debug).
	cr.log.Info("call ended", "outcome", res.Outcome, "answered_by", res.AnsweredBy, "caller", res.CallerE164,
		"known", res.Caller != nil && res.Caller.Known, "route", res.routeSummary(),
		"ring", res.RingTime.Round(time.Millisecond), "talk", res.TalkTime.Round(time.Millisecond),
		"ended_by", res.EndedBy)
	r.writer.write(cr.detached, res.Interaction(), cr.log)
	return res
}

// Run writes the call records the database could not take when their
// calls ended, retrying with backoff, until ctx is done. Start it once, next
// to the SIP edge; what is still pending when it returns stays in the spool
// directory (if set) for the next start. See also Flush.
func (r *Router) Run(ctx context.Context) error { return r.writer.run(ctx) }

// Flush tries to write every pending call record now, until ctx is done
// (shutdown); it returns an error when some remain.
func (r *Router) Flush(ctx context.Context) error { return r.writer.flush(ctx) }

// Pending counts the call records waiting to be written.
func (r *Router) Pending() int { return r.writer.pending() }

// Close releases the spool file. Call it after Run has returned.
func (r *Router) Close() error { return r.writer.close() }
