package sip

import (
	"callroute/internal/testclock"
	"context"
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"
)

type regFixture struct {
	r       *Registrar
	clock   *testclock.Clock
	mu      sync.Mutex
	changes []string
}

func newRegFixture(t *testing.T) *regFixture {
	t.Helper()
	f := &regFixture{clock: newFakeClock()}
	cfg := DefaultConfig()
	cfg.MaxBindingsPerUser = 3
	f.r = newRegistrar(cfg, NewMemoryBindings(), func(uid int64, bs []Binding) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.changes = append(f.changes, fmt.Sprintf("%d:%d", uid, len(bs)))
	}, f.clock.Now, quietLogger())
	return f
}

func (f *regFixture) takeChanges() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.changes
	f.changes = nil
	return c
}

func contact(host string, expires int64) contactRequest {
	u := "sip:201@" + host
	return contactRequest{URI: u, Key: u, Expires: expires}
}

func reg(callID string, cseq uint32, expires int64, cs ...contactRequest) registerRequest {
	return registerRequest{
		UserID: 7, Username: "201", CallID: callID, CSeq: cseq, Expires: expires, Contacts: cs,
		Source: netip.MustParseAddrPort("127.0.0.1:5070"), Transport: "UDP",
	}
}

func (f *regFixture) must(t *testing.T, rr registerRequest, code int) registerResult {
	t.Helper()
	res, err := f.r.register(context.Background(), rr)
	if err != nil {
		t.Fatal(err)
	}
	if res.Code != code {
		t.Fatalf("code %d %s, want %d", res.Code, res.Reason, code)
	}
	return res
}

func TestRegistrarExpiry(t *testing.T) {
	f := newRegFixture(t)
	// Default expiry when none given; the contact param beats the header.
	res := f.must(t, reg("c1", 1, -1, contact("a", -1)), 200)
	if got := res.Bindings[0].Remaining(f.clock.Now()); got != 600*time.Second {
		t.Fatalf("default expiry %v", got)
	}
	res = f.must(t, reg("c1", 2, 120, contact("a", 300)), 200)
	if got := res.Bindings[0].Remaining(f.clock.Now()); got != 300*time.Second {
		t.Fatalf("param over header: %v", got)
	}
	// Clamped to the maximum.
	res = f.must(t, reg("c1", 3, 999999999, contact("a", -1)), 200)
	if got := res.Bindings[0].Remaining(f.clock.Now()); got != time.Hour {
		t.Fatalf("clamp: %v", got)
	}
	// Below the minimum: 423 with Min-Expires, nothing changed.
	res = f.must(t, reg("c1", 4, -1, contact("a", 30)), 423)
	if res.MinExpires != time.Minute {
		t.Fatalf("Min-Expires %v", res.MinExpires)
	}
	bs, _ := f.r.Bindings(context.Background(), 7)
	if len(bs) != 1 || bs[0].CSeq != 3 {
		t.Fatalf("423 changed the bindings: %+v", bs)
	}
	// expires=0 removes the binding.
	f.must(t, reg("c1", 5, -1, contact("a", 0)), 200)
	if bs, _ := f.r.Bindings(context.Background(), 7); len(bs) != 0 {
		t.Fatalf("not removed: %+v", bs)
	}
	if got := f.takeChanges(); fmt.Sprint(got) != "[7:1 7:0]" {
		t.Fatalf("change notifications %v, want one up and one down", got)
	}
}

func TestRegistrarSeveralBindingsAndWildcard(t *testing.T) {
	f := newRegFixture(t)
	f.must(t, reg("desk", 1, -1, contact("a", -1)), 200)
	res := f.must(t, reg("mobile", 1, 600, contact("b", -1), contact("c", -1)), 200)
	if len(res.Bindings) != 3 {
		t.Fatalf("%d bindings, want 3", len(res.Bindings))
	}
	// A fourth contact beyond the cap of 3 replaces the one closest to expiry.
	f.clock.Add(time.Second)
	res = f.must(t, reg("other", 1, -1, contact("d", -1)), 200)
	if len(res.Bindings) != 3 || res.Bindings[len(res.Bindings)-1].Contact != "sip:201@d" {
		t.Fatalf("cap: %+v", res.Bindings)
	}
	// More contacts in one request than the cap is refused.
	f.must(t, reg("x", 1, -1, contact("1", -1), contact("2", -1), contact("3", -1), contact("4", -1)), 403)
	// "*" needs Expires: 0 and no other contact (RFC 3261 10.3 step 6).
	f.must(t, registerRequest{UserID: 7, CallID: "w", CSeq: 1, Wildcard: true, Expires: 600}, 400)
	f.must(t, registerRequest{UserID: 7, CallID: "w", CSeq: 1, Wildcard: true, Expires: 0, Contacts: []contactRequest{contact("e", -1)}}, 400)
	f.must(t, registerRequest{UserID: 7, CallID: "w", CSeq: 1, Wildcard: true, Expires: 0}, 200)
	if bs, _ := f.r.Bindings(context.Background(), 7); len(bs) != 0 {
		t.Fatalf("wildcard left %+v", bs)
	}
}

func TestRegistrarCSeqOrdering(t *testing.T) {
	f := newRegFixture(t)
	f.must(t, reg("c1", 5, -1, contact("a", -1)), 200)
	// RFC 3261 10.3 step 7: same Call-ID, CSeq not higher: the request fails.
	f.must(t, reg("c1", 5, -1, contact("a", 0)), 400)
	f.must(t, reg("c1", 4, -1, contact("a", -1)), 400)
	f.must(t, registerRequest{UserID: 7, CallID: "c1", CSeq: 5, Wildcard: true, Expires: 0}, 400)
	if bs, _ := f.r.Bindings(context.Background(), 7); len(bs) != 1 {
		t.Fatalf("out-of-order request changed bindings: %+v", bs)
	}
	// A new Call-ID (the phone rebooted) may update it with any CSeq.
	f.must(t, reg("c2", 1, -1, contact("a", -1)), 200)
	f.must(t, reg("c2", 2, -1, contact("a", 0)), 200)
	// A query (no Contact) lists without changing.
	if res := f.must(t, reg("c3", 1, -1), 200); len(res.Bindings) != 0 {
		t.Fatalf("query: %+v", res.Bindings)
	}
}

func TestRegistrarJanitorAndLazyExpiry(t *testing.T) {
	f := newRegFixture(t)
	f.must(t, reg("c1", 1, 60, contact("a", -1)), 200)
	f.must(t, reg("c2", 1, 600, contact("b", -1)), 200)
	f.takeChanges()

	f.clock.Add(61 * time.Second)
	// Lazy: expired bindings are gone from reads before any sweep.
	bs, _ := f.r.Bindings(context.Background(), 7)
	if len(bs) != 1 || bs[0].Contact != "sip:201@b" {
		t.Fatalf("lazy expiry: %+v", bs)
	}
	if err := f.r.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(f.takeChanges()); got != "[7:1]" {
		t.Fatalf("sweep notifications %s", got)
	}
	f.clock.Add(10 * time.Minute)
	_ = f.r.Sweep(context.Background())
	if got := fmt.Sprint(f.takeChanges()); got != "[7:0]" {
		t.Fatalf("sweep notifications %s", got)
	}
	if users, _ := f.r.store.Users(context.Background()); len(users) != 0 {
		t.Fatalf("store still holds users %v", users)
	}

	// The janitor goroutine sweeps on its own and ends with its context.
	f.r.sweepEvery = time.Millisecond
	f.must(t, reg("c3", 1, 60, contact("c", -1)), 200)
	f.clock.Add(2 * time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.r.run(ctx); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if users, _ := f.r.store.Users(context.Background()); len(users) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("janitor did not sweep")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("janitor did not stop")
	}
}
