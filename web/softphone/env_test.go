package softphone

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"callroute/crm"
	"callroute/crm/sqlstore"
	"callroute/internal/testdb"
	"callroute/media"
	"callroute/routing"
)

// The hub is tested with its real neighbours: a client base on SQLite, a
// routing.Router with in-memory live state, and WebSocket clients over
// loopback standing in for browser tabs.

type env struct {
	t      *testing.T
	svc    *crm.Service
	router *routing.Router
	hub    *Hub
	srv    *httptest.Server
	tokens map[int64]string
	users  map[string]*crm.User
	newLeg NewLegFunc
}

type envOpts struct {
	cfg    func(*Config)
	newLeg NewLegFunc
}

func newEnv(t *testing.T, o envOpts) *env {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	store, err := sqlstore.Open(ctx, testdb.SQLite(t), sqlstore.WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	parser, err := crm.NewPhoneParser("RO")
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, svc: crm.NewService(store, parser), tokens: map[int64]string{}, users: map[string]*crm.User{}}
	for _, u := range []struct {
		email, name string
		role        crm.Role
	}{
		{"mara@example.com", "Mara Manager", crm.RoleManager},
		{"ana@example.com", "Ana Agent", crm.RoleAgent},
	} {
		user, err := e.svc.CreateUser(ctx, crm.System, crm.NewUser{Email: u.email, Name: u.name, Role: u.role})
		if err != nil {
			t.Fatal(err)
		}
		tok, err := e.svc.CreateAPIToken(ctx, crm.System, user.ID, "test")
		if err != nil {
			t.Fatal(err)
		}
		e.users[u.email], e.tokens[user.ID] = user, tok
	}

	cfg := DefaultConfig()
	cfg.HeartbeatInterval, cfg.HeartbeatTimeout = 100*time.Millisecond, 400*time.Millisecond
	if o.cfg != nil {
		o.cfg(&cfg)
	}
	e.newLeg = o.newLeg
	if e.newLeg == nil {
		e.newLeg = func(context.Context, string, media.Codec, *slog.Logger) (MediaLeg, error) {
			return nil, errors.New("no media in this test")
		}
	}
	e.hub, err = New(cfg, Deps{Files: e.svc, NewLeg: e.newLeg, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	s := routing.DefaultSettings()
	s.OwnerRingTime, s.DeskRingTime, s.QueueTimeout = 3*time.Second, 3*time.Second, time.Second
	s.WrapUpTime = 0
	e.router, err = routing.New(routing.Deps{Lookup: e.svc, Recorder: e.svc, Ringer: e.hub.Ringer(),
		State: routing.NewMemoryState(nil), Desk: routing.NewRoleDesk(e.svc, time.Second)}, s, routing.WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	e.hub.Attach(e.router)
	rctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { _ = e.hub.Run(rctx) })
	wg.Go(func() { _ = e.router.Run(rctx) })
	e.srv = httptest.NewServer(e.hub.Handler(func(r *http.Request) (*crm.User, func(context.Context) error, error) {
		tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		u, err := e.svc.Authenticate(r.Context(), tok)
		still := func(ctx context.Context) error {
			_, err := e.svc.Authenticate(ctx, tok)
			return err
		}
		return u, still, err
	}))
	t.Cleanup(func() {
		e.srv.Close()
		e.hub.Close()
		cancel()
		wg.Wait()
		_ = e.router.Close()
	})
	return e
}

// client is a tab: a WebSocket client that, unless told to play dead,
// answers the hub's pings.
type client struct {
	t    *testing.T
	conn *websocket.Conn
	mu   sync.Mutex
	got  []map[string]any
	dead bool
	gone chan struct{}
}

// dial opens a tab for the user; header adds to the request (an Origin).
func (e *env) dial(user *crm.User, query string, header http.Header) (*client, *http.Response, error) {
	h := http.Header{"Authorization": {"Bearer " + e.tokens[user.ID]}}
	for k, v := range header {
		h[k] = v
	}
	url := "ws" + strings.TrimPrefix(e.srv.URL, "http") + "/?" + query
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		return nil, resp, err
	}
	c := &client{t: e.t, conn: conn, gone: make(chan struct{})}
	e.t.Cleanup(func() { _ = conn.CloseNow() })
	go c.read()
	return c, resp, nil
}

func (e *env) tab(email string) *client {
	e.t.Helper()
	c, _, err := e.dial(e.users[email], "", nil)
	if err != nil {
		e.t.Fatalf("open a tab for %s: %v", email, err)
	}
	c.wait("hello", nil)
	return c
}

func (c *client) read() {
	defer close(c.gone)
	for {
		_, b, err := c.conn.Read(context.Background())
		if err != nil {
			return
		}
		var m map[string]any
		if json.Unmarshal(b, &m) != nil {
			continue
		}
		c.mu.Lock()
		c.got = append(c.got, m)
		dead := c.dead
		c.mu.Unlock()
		if m["type"] == msgPing && !dead {
			c.send(map[string]any{"type": msgPong, "n": m["n"]})
		}
	}
}

func (c *client) send(m map[string]any) {
	b, _ := json.Marshal(m)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = c.conn.Write(ctx, websocket.MessageText, b)
}

// playDead stops answering pings (a frozen or vanished page).
func (c *client) playDead() {
	c.mu.Lock()
	c.dead = true
	c.mu.Unlock()
}

// wait returns the first message of the type (and matching match, if
// given) the tab got; it fails the test after 5 s.
func (c *client) wait(typ string, match func(map[string]any) bool) map[string]any {
	c.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		c.mu.Lock()
		for _, m := range c.got {
			if m["type"] == typ && (match == nil || match(m)) {
				c.mu.Unlock()
				return m
			}
		}
		c.mu.Unlock()
		time.Sleep(10 * time.Millisecond)
	}
	c.t.Fatalf("no %q message; got %v", typ, c.types())
	return nil
}

func (c *client) has(typ string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range c.got {
		if m["type"] == typ {
			return true
		}
	}
	return false
}

func (c *client) types() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, m := range c.got {
		out = append(out, m["type"].(string))
	}
	return out
}

// agent reads the user's live state.
func (e *env) agent(u *crm.User) routing.Agent {
	a, err := e.router.State().Agent(context.Background(), u.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return a
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitingCaller is a caller's leg that stays up: the hub's ringer only
// watches Done. (The SIP caller's leg is tested in package sip, the whole
// path in the browser end-to-end tests.)
type waitingCaller struct{ done chan struct{} }

func newWaitingCaller() *waitingCaller { return &waitingCaller{done: make(chan struct{})} }

func (c *waitingCaller) Ringing(context.Context) error                      { return nil }
func (c *waitingCaller) Answer(context.Context) error                       { return nil }
func (c *waitingCaller) Hangup(context.Context, routing.HangupReason) error { return nil }
func (c *waitingCaller) Done() <-chan struct{}                              { return c.done }
func (c *waitingCaller) Err() error                                         { return nil }
func (c *waitingCaller) Play(ctx context.Context, _ routing.Prompt) error {
	<-ctx.Done()
	return ctx.Err()
}
func (c *waitingCaller) Record(context.Context, time.Duration) (routing.Recording, error) {
	return routing.Recording{}, nil
}
func (c *waitingCaller) Bridge(ctx context.Context, _ routing.AgentLeg) error {
	<-ctx.Done()
	return ctx.Err()
}

// ring rings the user's tabs with a call from 0722 000 111 (ringing for
// 5 s, or until ctx ends), as routing would; the ring's error arrives on
// the channel.
func (e *env) ring(ctx context.Context, u *crm.User, stage routing.Stage) <-chan error {
	done := make(chan error, 1)
	go func() {
		_, err := e.hub.Ringer().Ring(ctx, routing.RingRequest{
			Call: &routing.Call{ID: "c1", From: "0722000111", Leg: newWaitingCaller()}, UserID: u.ID,
			Timeout: 5 * time.Second, Stage: stage})
		done <- err
	}()
	return done
}
