package softphone

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"callroute/crm"
	"callroute/routing"
)

// TestTabOnlineWhileItAnswersHeartbeats: a signed-in tab makes the agent
// available (one device); a tab that stops answering the heartbeats is
// closed within the heartbeat timeout and the agent is offline: routing
// never rings a dead browser.
func TestTabOnlineWhileItAnswersHeartbeats(t *testing.T) {
	e := newEnv(t, envOpts{})
	mara := e.users["mara@example.com"]
	c := e.tab("mara@example.com")
	hello := c.wait("hello", nil)
	if u, _ := hello["user"].(map[string]any); u["name"] != "Mara Manager" || u["role"] != "manager" {
		t.Fatalf("hello = %v", hello)
	}
	if team, _ := hello["team"].([]any); len(team) != 1 {
		t.Fatalf("hello's team = %v, want the one colleague", hello["team"])
	}
	waitFor(t, "Mara online", func() bool { a := e.agent(mara); return a.Devices == 1 && a.Presence == routing.Available })
	time.Sleep(600 * time.Millisecond) // longer than the heartbeat timeout: pongs keep it
	if a := e.agent(mara); a.Devices != 1 {
		t.Fatalf("a tab answering heartbeats went offline: %+v", a)
	}

	c.playDead()
	select {
	case <-c.gone:
	case <-time.After(3 * time.Second):
		t.Fatal("a tab that stopped answering heartbeats was not closed")
	}
	waitFor(t, "Mara offline", func() bool { return e.agent(mara).Presence == routing.Offline })
	_, err := e.hub.Ringer().Ring(context.Background(), routing.RingRequest{
		Call: &routing.Call{ID: "c1", From: "+40722000111", Leg: newWaitingCaller()}, UserID: mara.ID, Timeout: time.Second})
	if !errors.Is(err, routing.ErrOffline) {
		t.Fatalf("ringing a user whose tab died: %v, want ErrOffline", err)
	}
}

// TestTabsAreDevicesAndWorkspacesAreNot: every tab with its audio on is a
// device that rings; a workspace tab (audio off: the agent takes calls on a
// SIP desk phone) is not.
func TestTabsAreDevicesAndWorkspacesAreNot(t *testing.T) {
	e := newEnv(t, envOpts{})
	ana := e.users["ana@example.com"]
	a := e.tab("ana@example.com")
	b := e.tab("ana@example.com")
	ws, _, err := e.dial(ana, "audio=off", nil)
	if err != nil {
		t.Fatal(err)
	}
	ws.wait("hello", nil)
	waitFor(t, "two devices", func() bool { return e.agent(ana).Devices == 2 })
	_ = a.conn.CloseNow()
	waitFor(t, "one device", func() bool { return e.agent(ana).Devices == 1 })
	_ = b.conn.CloseNow()
	waitFor(t, "offline with only the workspace open", func() bool { return e.agent(ana).Presence == routing.Offline })
}

// TestPresenceChosenInATabReachesEveryTab.
func TestPresenceChosenInATabReachesEveryTab(t *testing.T) {
	e := newEnv(t, envOpts{})
	ana := e.users["ana@example.com"]
	a := e.tab("ana@example.com")
	b := e.tab("ana@example.com")
	a.send(map[string]any{"type": "presence", "presence": "away"})
	for _, c := range []*client{a, b} {
		c.wait("agent", func(m map[string]any) bool {
			ag, _ := m["agent"].(map[string]any)
			return ag["presence"] == "away"
		})
	}
	if got := e.agent(ana); got.Chosen != routing.Away {
		t.Fatalf("agent = %+v, want away", got)
	}
	a.send(map[string]any{"type": "presence", "presence": "asleep"})
	if m := a.wait("error", nil); m["about"] != "presence" {
		t.Fatalf("error = %v", m)
	}
	a.send(map[string]any{"type": "presence", "presence": "available"})
	waitFor(t, "available again", func() bool { return e.agent(ana).Presence == routing.Available })
}

// TestWebSocketRefusesForeignOriginsAndStrangers: a page of another site
// cannot open the channel with the agent's credentials (403), nobody can
// without signing in (401).
func TestWebSocketRefusesForeignOriginsAndStrangers(t *testing.T) {
	e := newEnv(t, envOpts{})
	mara := e.users["mara@example.com"]
	_, resp, err := e.dial(mara, "", http.Header{"Origin": {"https://evil.example"}})
	if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("foreign Origin: %v, %v; want 403", resp, err)
	}
	e.tokens[mara.ID] = "crt_not-a-token"
	_, resp, err = e.dial(mara, "", nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("no sign-in: %v, %v; want 401", resp, err)
	}
	if e.agent(mara).Devices != 0 {
		t.Fatal("a refused WebSocket counted as a device")
	}
}

// TestEveryTabRingsAndTheFirstAnswerWins: both tabs get the ring with the
// screen pop; the first to answer takes it (and gets the offer, here
// failing: this test has no media), the second is told it was answered
// elsewhere; a late answer is refused.
func TestEveryTabRingsAndTheFirstAnswerWins(t *testing.T) {
	e := newEnv(t, envOpts{})
	mara := e.users["mara@example.com"]
	a := e.tab("mara@example.com")
	b := e.tab("mara@example.com")
	waitFor(t, "two devices", func() bool { return e.agent(mara).Devices == 2 })

	done := e.ring(context.Background(), mara, routing.StageOwner)
	ra := a.wait("ring", nil)
	rb := b.wait("ring", nil)
	if ra["ring_id"] != rb["ring_id"] || ra["number"] != "+40722000111" || ra["stage"] != "owner" {
		t.Fatalf("rings %v / %v", ra, rb)
	}
	if f, _ := ra["file"].(map[string]any); f["known"] != false {
		t.Fatalf("screen pop of an unknown number = %v", ra["file"])
	}
	a.send(map[string]any{"type": "answer", "ring_id": ra["ring_id"]})
	b.wait("ring_end", func(m map[string]any) bool { return m["reason"] == "answered_elsewhere" })
	b.send(map[string]any{"type": "answer", "ring_id": ra["ring_id"]})
	if err := <-done; err == nil {
		t.Fatal("the ring succeeded without media")
	}
	a.wait("ring_end", func(m map[string]any) bool { return m["reason"] == "failed" })
	if b.has("offer") {
		t.Fatal("the second tab got an offer")
	}
}

// TestDeclineInATabDeclines: one tab's reject declines the call for the
// agent; every tab stops ringing.
func TestDeclineInATabDeclines(t *testing.T) {
	e := newEnv(t, envOpts{})
	mara := e.users["mara@example.com"]
	a := e.tab("mara@example.com")
	b := e.tab("mara@example.com")
	waitFor(t, "two devices", func() bool { return e.agent(mara).Devices == 2 })
	done := e.ring(context.Background(), mara, routing.StageDesk)
	r := a.wait("ring", nil)
	b.wait("ring", nil)
	b.send(map[string]any{"type": "decline", "ring_id": r["ring_id"]})
	if err := <-done; !errors.Is(err, routing.ErrDeclined) {
		t.Fatalf("ring = %v, want ErrDeclined", err)
	}
	a.wait("ring_end", func(m map[string]any) bool { return m["reason"] == "declined" })
}

// TestReloadedTabRingsAgain: a tab opened while a call rings (a reload)
// gets the ring, with the time left.
func TestReloadedTabRingsAgain(t *testing.T) {
	e := newEnv(t, envOpts{})
	mara := e.users["mara@example.com"]
	a := e.tab("mara@example.com")
	waitFor(t, "online", func() bool { return e.agent(mara).Devices == 1 })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := e.ring(ctx, mara, routing.StageOwner)
	first := a.wait("ring", nil)
	_ = a.conn.CloseNow() // the page reloads
	b := e.tab("mara@example.com")
	again := b.wait("ring", nil)
	if again["ring_id"] != first["ring_id"] || again["ring_ms"].(float64) >= first["ring_ms"].(float64) {
		t.Fatalf("after the reload: %v, first %v", again, first)
	}
	cancel()
	<-done
	b.wait("ring_end", nil)
}

// TestDeactivatedUserLosesTheirTabs: the sign-in of an open tab is checked
// again every SessionCheckInterval; a user who is deactivated (or signed
// out) loses the channel, and is offline.
func TestDeactivatedUserLosesTheirTabs(t *testing.T) {
	e := newEnv(t, envOpts{cfg: func(c *Config) { c.SessionCheckInterval = 200 * time.Millisecond }})
	ana := e.users["ana@example.com"]
	c := e.tab("ana@example.com")
	waitFor(t, "online", func() bool { return e.agent(ana).Devices == 1 })
	head := crm.Actor{UserID: 0, Role: crm.RoleHead}
	if err := e.svc.SetUserActive(context.Background(), head, ana.ID, false); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.gone:
	case <-time.After(3 * time.Second):
		t.Fatal("a deactivated user's tab stayed open")
	}
	waitFor(t, "offline", func() bool { return e.agent(ana).Presence == routing.Offline })
}
