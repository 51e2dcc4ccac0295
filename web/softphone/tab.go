package softphone

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"callroute/crm"
	"callroute/routing"
)

// sendBuffer is how many messages may wait for a slow tab; a tab that falls
// further behind is closed (it reconnects and gets the state afresh).
const sendBuffer = 64

// writeTimeout bounds one WebSocket write.
const writeTimeout = 5 * time.Second

// tab is one browser tab's WebSocket.
type tab struct {
	h     *Hub
	id    string
	user  *crm.User
	audio bool // rings and carries calls; off: a workspace for a SIP desk phone
	still func(context.Context) error
	conn  *websocket.Conn
	log   *slog.Logger

	out      chan out
	done     chan struct{}
	once     sync.Once
	lastSeen atomic.Int64 // unix nanoseconds of the last message from the tab

	mu    sync.Mutex
	calls map[string]*bLeg
}

// Handler is the agent channel's HTTP handler: it upgrades a signed-in
// agent's request to the WebSocket and serves it until the tab goes. The
// WebSocket's Origin must be this host (or match Config.OriginPatterns): a
// page of another site cannot open it with the agent's cookie (cross-site
// WebSocket hijacking).
func (h *Hub) Handler(auth AuthFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.serveHTTP(w, r, auth) })
}

func (h *Hub) serveHTTP(w http.ResponseWriter, r *http.Request, auth AuthFunc) {
	if h.routing() == nil {
		http.Error(w, "the softphone is not ready", http.StatusServiceUnavailable)
		return
	}
	user, still, err := auth(r)
	if err != nil || user == nil || !user.Active {
		http.Error(w, "sign in first", http.StatusUnauthorized)
		return
	}
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{OriginPatterns: h.cfg.OriginPatterns})
	if err != nil {
		h.log.Info("softphone: WebSocket refused", "user_id", user.ID, "err", err)
		return // Accept has answered (403 for a foreign Origin)
	}
	conn.SetReadLimit(h.cfg.MaxMessageBytes)
	t := &tab{h: h, id: fmt.Sprintf("t%d", h.seq.Add(1)), user: user, audio: r.URL.Query().Get("audio") != "off",
		still: still, conn: conn, out: make(chan out, sendBuffer), done: make(chan struct{}), calls: map[string]*bLeg{}}
	t.log = h.log.With("user_id", user.ID, "tab", t.id)
	h.wg.Add(1)
	defer h.wg.Done()
	t.serve()
}

// serve runs the tab: hello, then its reader, writer and heartbeat, until
// one of them ends it.
func (t *tab) serve() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-t.h.ended:
			t.close("server stopping")
		case <-t.done:
		}
	}()
	t.lastSeen.Store(time.Now().UnixNano())
	t.log.Info("softphone: tab connected", "audio", t.audio)
	t.hello(ctx)
	t.h.add(t)

	var wg sync.WaitGroup
	wg.Go(func() { t.write(ctx) })
	wg.Go(func() { t.heartbeat(ctx) })
	reason := t.read(ctx)
	t.close(reason)
	cancel()
	wg.Wait()
	t.h.remove(t)
	t.mu.Lock()
	calls := make([]*bLeg, 0, len(t.calls))
	for _, b := range t.calls {
		calls = append(calls, b)
	}
	t.mu.Unlock()
	for _, b := range calls {
		b.end(endTabGone)
	}
	t.log.Info("softphone: tab gone", "why", reason)
}

// hello tells the tab who it is signed in as and the agent's state.
func (t *tab) hello(ctx context.Context) {
	m := out{Type: msgHello, Tab: t.id, User: &userOut{ID: t.user.ID, Name: t.user.Name, Role: t.user.Role},
		HeartbeatMS: t.h.cfg.HeartbeatInterval.Milliseconds(), Audio: &t.audio}
	if a, err := t.h.routing().State().Agent(ctx, t.user.ID); err == nil {
		m.Agent = &a
	}
	if users, err := t.h.files.Users(ctx); err == nil {
		for _, u := range users {
			if u.Active && u.ID != t.user.ID {
				m.Team = append(m.Team, userOut{ID: u.ID, Name: u.Name, Role: u.Role})
			}
		}
	}
	t.send(m)
}

// send queues a message; a tab too slow to take it is closed.
func (t *tab) send(m out) {
	select {
	case <-t.done:
	case t.out <- m:
	default:
		t.close("too slow to read its messages")
	}
}

// close ends the tab once; its goroutines see done.
func (t *tab) close(why string) {
	t.once.Do(func() {
		close(t.done)
		status := websocket.StatusNormalClosure
		if why == "heartbeat timeout" {
			status = websocket.StatusGoingAway
		}
		// CloseNow: a vanished browser would not answer the close
		// handshake.
		_ = t.conn.Close(status, why)
		_ = t.conn.CloseNow()
	})
}

func (t *tab) write(ctx context.Context) {
	for {
		select {
		case <-t.done:
			return
		case m := <-t.out:
			b, err := json.Marshal(m)
			if err != nil {
				t.log.Error("softphone: encoding a message", "type", m.Type, "err", err)
				continue
			}
			wctx, cancel := context.WithTimeout(ctx, writeTimeout)
			err = t.conn.Write(wctx, websocket.MessageText, b)
			cancel()
			if err != nil {
				t.close("write failed")
				return
			}
		}
	}
}

// heartbeat pings the tab and closes it once it has been silent for
// HeartbeatTimeout: then it is offline and no longer rung. An application
// ping (not a WebSocket control frame) proves the page's script runs.
func (t *tab) heartbeat(ctx context.Context) {
	tick := time.NewTicker(t.h.cfg.HeartbeatInterval)
	defer tick.Stop()
	recheck := time.NewTicker(t.h.cfg.SessionCheckInterval)
	defer recheck.Stop()
	var n int64
	for {
		select {
		case <-t.done:
			return
		case <-ctx.Done():
			return
		case <-recheck.C:
			if t.still == nil {
				continue
			}
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			err := t.still(cctx)
			cancel()
			if err != nil && ctx.Err() == nil {
				t.log.Info("softphone: the sign-in ended, closing the tab", "err", err)
				_ = t.conn.Close(websocket.StatusPolicyViolation, "signed out")
				t.close("signed out")
				return
			}
		case <-tick.C:
			if time.Since(time.Unix(0, t.lastSeen.Load())) > t.h.cfg.HeartbeatTimeout {
				t.log.Info("softphone: tab stopped answering heartbeats")
				t.close("heartbeat timeout")
				return
			}
			n++
			t.send(out{Type: msgPing, N: n})
		}
	}
}

// read handles the tab's messages until the connection ends; it returns
// why.
func (t *tab) read(ctx context.Context) string {
	window, count := time.Now(), 0
	for {
		typ, b, err := t.conn.Read(ctx)
		if err != nil {
			var ce websocket.CloseError
			switch {
			case errors.As(err, &ce):
				return "closed by the tab: " + ce.Reason
			case isClosedTab(t):
				return "closed"
			}
			return "read failed: " + err.Error()
		}
		t.lastSeen.Store(time.Now().UnixNano())
		if now := time.Now(); now.Sub(window) >= time.Second {
			window, count = now, 0
		}
		if count++; count > t.h.cfg.MaxMessagesPerSecond {
			_ = t.conn.Close(websocket.StatusPolicyViolation, "too many messages")
			return "too many messages"
		}
		if typ != websocket.MessageText {
			continue
		}
		var m in
		if err := json.Unmarshal(b, &m); err != nil {
			t.send(out{Type: msgError, Message: "not a JSON message: " + err.Error()})
			continue
		}
		t.handle(ctx, m)
	}
}

func isClosedTab(t *tab) bool {
	select {
	case <-t.done:
		return true
	default:
		return false
	}
}

// handle acts on one message from the tab.
func (t *tab) handle(ctx context.Context, m in) {
	r := t.h.routing()
	uid := t.user.ID
	fail := func(about string, err error) {
		t.send(out{Type: msgError, About: about, CallID: m.CallID, RingID: m.RingID, Message: err.Error()})
	}
	switch m.Type {
	case msgPong:
	case msgPresence:
		p, err := routing.ParsePresence(m.Presence)
		if err != nil {
			fail(m.Type, err)
			return
		}
		if _, err := r.SetPresence(ctx, uid, p); err != nil {
			fail(m.Type, err)
		}
	case msgAnswer, msgSDP, msgDecline:
		rg := t.h.findRing(uid, m.RingID)
		if rg == nil {
			fail(m.Type, errors.New("this call is no longer ringing"))
			return
		}
		switch m.Type {
		case msgAnswer:
			rg.answer(t)
		case msgSDP:
			rg.answerSDP(t, m.SDP)
		default:
			rg.decline(t)
		}
	case msgHangup, msgHold:
		b := t.call(m.CallID)
		if b == nil {
			fail(m.Type, errors.New("no such call in this tab"))
			return
		}
		if m.Type == msgHangup {
			b.end(endAgentHungUp)
		} else {
			b.setHold(m.On)
		}
	case msgTransfer:
		if err := t.transfer(ctx, m.CallID, m.ToUserID); err != nil {
			fail(m.Type, err)
		}
	case msgReady:
		if _, err := r.EndWrapUp(ctx, uid); err != nil {
			fail(m.Type, err)
		}
	default:
		fail(m.Type, fmt.Errorf("unknown message type %q", m.Type))
	}
}

// transfer hands the tab's call to another active user, or the desk (0).
func (t *tab) transfer(ctx context.Context, callID string, to int64) error {
	b := t.call(callID)
	if b == nil {
		return errors.New("no such call in this tab")
	}
	if to != 0 {
		users, err := t.h.files.Users(ctx)
		if err != nil {
			return fmt.Errorf("the team: %w", err)
		}
		ok := false
		for _, u := range users {
			ok = ok || (u.ID == to && u.Active)
		}
		if !ok {
			return fmt.Errorf("user %d is not an active user", to)
		}
	}
	b.transferring.Store(true)
	if err := t.h.routing().Transfer(callID, t.user.ID, routing.TransferTarget{UserID: to}); err != nil {
		b.transferring.Store(false)
		return err
	}
	return nil
}

func (t *tab) call(callID string) *bLeg {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.calls[callID]
}

func (t *tab) hasCall(callID string) bool { return t.call(callID) != nil }

func (t *tab) addCall(b *bLeg) {
	t.mu.Lock()
	t.calls[b.callID] = b
	t.mu.Unlock()
}

func (t *tab) dropCall(b *bLeg) {
	t.mu.Lock()
	if t.calls[b.callID] == b {
		delete(t.calls, b.callID)
	}
	t.mu.Unlock()
}
