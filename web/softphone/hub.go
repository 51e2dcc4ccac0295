package softphone

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"callroute/crm"
	"callroute/media"
	"callroute/routing"
)

// Config holds the agent channel's timings and limits; start from
// [DefaultConfig].
type Config struct {
	// HeartbeatInterval is how often a tab is pinged.
	HeartbeatInterval time.Duration
	// HeartbeatTimeout is how long a tab may stay silent (no pong, no
	// message) before it counts as gone: it is closed and no longer rung.
	HeartbeatTimeout time.Duration
	// AnswerTimeout bounds the media setup after a tab answers: the
	// browser's SDP answer and the connected WebRTC session.
	AnswerTimeout time.Duration
	// OriginPatterns are the Origins besides the server's own host that may
	// open the WebSocket (host patterns, as github.com/coder/websocket
	// takes them); empty means the same host only.
	OriginPatterns []string
	// SessionCheckInterval is how often an open tab's sign-in is checked
	// again: a signed-out or deactivated user's tabs close within it.
	SessionCheckInterval time.Duration
	// MaxMessageBytes bounds one message from a tab; MaxMessagesPerSecond
	// its rate. A tab beyond either is closed.
	MaxMessageBytes      int64
	MaxMessagesPerSecond int
}

// DefaultConfig: a dead tab is offline within about 6 s.
func DefaultConfig() Config {
	return Config{
		HeartbeatInterval:    2 * time.Second,
		HeartbeatTimeout:     6 * time.Second,
		AnswerTimeout:        10 * time.Second,
		SessionCheckInterval: 30 * time.Second,
		MaxMessageBytes:      64 << 10,
		MaxMessagesPerSecond: 50,
	}
}

// Validate checks the settings; the error names the field.
func (c Config) Validate() error {
	switch {
	case c.HeartbeatInterval <= 0:
		return fmt.Errorf("HeartbeatInterval: %v must be positive", c.HeartbeatInterval)
	case c.HeartbeatTimeout <= c.HeartbeatInterval:
		return fmt.Errorf("HeartbeatTimeout: %v must be longer than HeartbeatInterval %v", c.HeartbeatTimeout, c.HeartbeatInterval)
	case c.SessionCheckInterval <= 0:
		return fmt.Errorf("SessionCheckInterval: %v must be positive", c.SessionCheckInterval)
	case c.AnswerTimeout <= 0:
		return fmt.Errorf("AnswerTimeout: %v must be positive", c.AnswerTimeout)
	case c.MaxMessageBytes < 4096:
		return fmt.Errorf("MaxMessageBytes: %d is too small for an SDP answer", c.MaxMessageBytes)
	case c.MaxMessagesPerSecond <= 0:
		return fmt.Errorf("MaxMessagesPerSecond: %d must be positive", c.MaxMessagesPerSecond)
	}
	return nil
}

// Router is what the hub asks of routing; *routing.Router implements it.
type Router interface {
	SetDevices(ctx context.Context, userID int64, source string, n int) (routing.Agent, error)
	SetPresence(ctx context.Context, userID int64, p routing.Presence) (routing.Agent, error)
	EndWrapUp(ctx context.Context, userID int64) (routing.Agent, error)
	Transfer(callID string, by int64, to routing.TransferTarget) error
	Call(callID string) (routing.LiveCall, bool)
	State() routing.LiveState
	Hub() *routing.Hub
}

// Files finds the screen pop of a number for a user; *crm.Service
// implements it.
type Files interface {
	CallerFile(ctx context.Context, a crm.Actor, raw string) (*crm.CallerFile, error)
	Users(ctx context.Context) ([]crm.User, error)
}

// MediaLeg is a browser's WebRTC leg, the server offering (media/webrtc's
// Leg implements it).
type MediaLeg interface {
	media.Leg
	// Offer is the SDP offer for the browser, ICE candidates included.
	Offer() string
	// Accept applies the browser's SDP answer.
	Accept(answer string) error
	// Connected is closed once media can flow.
	Connected() <-chan struct{}
	// Done is closed when the leg has ended (closed, failed, the browser
	// gone); Err says why.
	Done() <-chan struct{}
	Err() error
	Close() error
}

// NewLegFunc makes a WebRTC leg for a call; prefer is the caller's codec, so
// the bridge passes RTP through unchanged when the browser takes it. The leg
// may end with ctx, but the hub always closes it itself.
type NewLegFunc func(ctx context.Context, callID string, prefer media.Codec, log *slog.Logger) (MediaLeg, error)

// Deps are what the hub works with; all are required, the Router is set
// with [Hub.Attach] (routing needs the hub's ringer first).
type Deps struct {
	Files  Files
	NewLeg NewLegFunc
	Logger *slog.Logger
}

// AuthFunc says who a WebSocket request is from (the session cookie), and
// gives a check that they still are: it fails once the session has ended
// or the user was deactivated, and the tab is then closed. An error or a
// nil user is refused with 401.
type AuthFunc func(r *http.Request) (user *crm.User, still func(context.Context) error, err error)

// Hub is the agent channel of one node: the open tabs of every signed-in
// agent, their rings and calls.
type Hub struct {
	cfg    Config
	files  Files
	newLeg NewLegFunc
	log    *slog.Logger
	router atomic.Pointer[routerBox]

	mu    sync.Mutex
	tabs  map[int64][]*tab  // by user
	rings map[int64][]*ring // rings in progress, by user
	calls map[string]*bLeg  // browser legs up, by call ID
	seq   atomic.Int64      // tab and ring numbers
	wg    sync.WaitGroup    // tabs' goroutines
	ended chan struct{}     // closed by Close
	once  sync.Once
}

type routerBox struct{ r Router }

// New makes a hub.
func New(cfg Config, d Deps) (*Hub, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("softphone: %w", err)
	}
	if d.Files == nil || d.NewLeg == nil {
		return nil, errors.New("softphone: Files and NewLeg are required")
	}
	log := d.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Hub{cfg: cfg, files: d.Files, newLeg: d.NewLeg, log: log,
		tabs: map[int64][]*tab{}, rings: map[int64][]*ring{}, calls: map[string]*bLeg{},
		ended: make(chan struct{})}, nil
}

// Attach gives the hub its router; call it before serving tabs.
func (h *Hub) Attach(r Router) { h.router.Store(&routerBox{r}) }

func (h *Hub) routing() Router {
	if b := h.router.Load(); b != nil {
		return b.r
	}
	return nil
}

// Ringer is the hub as a routing.Ringer: it rings the agent's browser tabs.
func (h *Hub) Ringer() routing.Ringer { return ringer{h} }

// Run passes routing's events to the tabs (presence, screen pops of calls
// answered on another device, ends of calls) until ctx is done.
func (h *Hub) Run(ctx context.Context) error {
	r := h.routing()
	if r == nil {
		return errors.New("softphone: Run before Attach")
	}
	sub := r.Hub().Subscribe(1024)
	defer sub.Close()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-sub.Events():
			if !ok {
				return nil
			}
			h.event(ctx, ev)
		}
	}
}

// Close disconnects every tab and waits for their goroutines.
func (h *Hub) Close() {
	h.once.Do(func() { close(h.ended) })
	h.mu.Lock()
	var all []*tab
	for _, ts := range h.tabs {
		all = append(all, ts...)
	}
	h.mu.Unlock()
	for _, t := range all {
		t.close("server stopping")
	}
	h.wg.Wait()
}

// add registers a signed-in tab and hands it the rings in progress for its
// user (a reloaded page rings again).
func (h *Hub) add(t *tab) {
	h.mu.Lock()
	h.tabs[t.user.ID] = append(h.tabs[t.user.ID], t)
	rings := slices.Clone(h.rings[t.user.ID])
	h.mu.Unlock()
	h.devicesChanged(t.user.ID)
	if t.audio {
		for _, rg := range rings {
			rg.offerTo(t)
		}
	}
}

// remove forgets a tab that closed; its rings and calls see it gone.
func (h *Hub) remove(t *tab) {
	h.mu.Lock()
	h.tabs[t.user.ID] = slices.DeleteFunc(h.tabs[t.user.ID], func(x *tab) bool { return x == t })
	if len(h.tabs[t.user.ID]) == 0 {
		delete(h.tabs, t.user.ID)
	}
	h.mu.Unlock()
	h.devicesChanged(t.user.ID)
}

// userTabs returns the open tabs of a user; audioOnly keeps those that ring.
func (h *Hub) userTabs(userID int64, audioOnly bool) []*tab {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []*tab
	for _, t := range h.tabs[userID] {
		if !audioOnly || t.audio {
			out = append(out, t)
		}
	}
	return out
}

// devicesChanged tells routing how many tabs can ring for the user.
func (h *Hub) devicesChanged(userID int64) {
	r := h.routing()
	if r == nil {
		return
	}
	n := len(h.userTabs(userID, true))
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if _, err := r.SetDevices(ctx, userID, "web", n); err != nil {
		h.log.Warn("softphone: presence of the browser tabs", "user_id", userID, "err", err)
	}
}

// broadcast sends m to every tab of the user.
func (h *Hub) broadcast(userID int64, m out) {
	for _, t := range h.userTabs(userID, false) {
		t.send(m)
	}
}

// agentState sends the agent's live state to their tabs.
func (h *Hub) agentState(ctx context.Context, userID int64) {
	r := h.routing()
	if r == nil {
		return
	}
	a, err := r.State().Agent(ctx, userID)
	if err != nil {
		h.log.Warn("softphone: reading presence", "user_id", userID, "err", err)
		return
	}
	h.broadcast(userID, out{Type: msgAgent, Agent: &a})
}

// event passes one routing event on to the tabs concerned.
func (h *Hub) event(ctx context.Context, ev routing.Event) {
	if ev.UserID == 0 {
		return
	}
	switch ev.Kind {
	case routing.EventPresence:
		h.agentState(ctx, ev.UserID)
	case routing.EventAnswered:
		// The tab that answered knows; the agent's other tabs (and a
		// workspace with its audio off, for a SIP desk phone) get the
		// screen pop of the call on the other device.
		if len(h.userTabs(ev.UserID, false)) == 0 {
			return
		}
		var file *crm.CallerFile
		if ev.CallerNumber != "" {
			file = h.file(ctx, ev.UserID, ev.CallerNumber, ev.Caller)
		}
		m := out{Type: msgCall, CallID: ev.CallID, State: "elsewhere", Device: ev.Device, Number: ev.CallerNumber,
			File: file, Stage: ev.Stage, Since: &ev.At}
		for _, t := range h.userTabs(ev.UserID, false) {
			if !t.hasCall(ev.CallID) {
				t.send(m)
			}
		}
		h.agentState(ctx, ev.UserID)
	case routing.EventEnded:
		h.broadcast(ev.UserID, out{Type: msgCallEnd, CallID: ev.CallID, Reason: ev.Outcome})
		h.agentState(ctx, ev.UserID)
	}
}

// file is the screen pop for a user: their view of the caller's file, or
// what the lookup found when the client base does not answer now.
func (h *Hub) file(ctx context.Context, userID int64, number string, info *crm.CallerInfo) *crm.CallerFile {
	role := crm.RoleAgent
	h.mu.Lock()
	if ts := h.tabs[userID]; len(ts) > 0 {
		role = ts[0].user.Role
	}
	h.mu.Unlock()
	fctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	f, err := h.files.CallerFile(fctx, crm.Actor{UserID: userID, Role: role}, number)
	if err == nil {
		return f
	}
	h.log.Warn("softphone: the caller's file", "user_id", userID, "err", err)
	if info == nil {
		info = &crm.CallerInfo{E164: number}
	}
	return &crm.CallerFile{CallerInfo: *info, OpenInterests: []crm.Interest{}, Recent: []crm.Interaction{}}
}
