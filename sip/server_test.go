package sip

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Loopback tests: a real Server on 127.0.0.1 with random ports, sipgo
// clients and raw UDP sockets as peers. Nothing leaves the machine.

const testPassword = "s3cret-pass-201"

type testServer struct {
	*Server
	users *userStore
	port  int    // UDP
	stop  func() // ends Run and waits for it
}

func startServer(t testing.TB, mutate func(*Config), deps Deps) *testServer {
	t.Helper()
	cfg := DefaultConfig()
	cfg.UDPListen, cfg.TCPListen = "127.0.0.1:0", "127.0.0.1:0"
	if mutate != nil {
		mutate(&cfg)
	}
	users := newUserStore(cfg.Realm, "201", testPassword, "202", "other-pass-202")
	if deps.Credentials == nil {
		deps.Credentials = users
	}
	srv, err := New(cfg, deps, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- srv.Run(ctx) }()
	select {
	case <-srv.Ready():
	case err := <-errc:
		t.Fatalf("Run: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("server not ready")
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-errc:
				if err != nil {
					t.Errorf("Run returned %v", err)
				}
			case <-time.After(15 * time.Second):
				t.Error("Run did not return after cancel")
			}
		})
	}
	t.Cleanup(stop)
	return &testServer{Server: srv, users: users, port: int(srv.Addrs().UDP.Port()), stop: stop}
}

// newClient is a sipgo client whose sockets bind to bindIP.
func newClient(t testing.TB, bindIP string) *sipgo.Client {
	t.Helper()
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("test-phone"), sipgo.WithUserAgentHostname(bindIP))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ua.Close() })
	c, err := sipgo.NewClient(ua, sipgo.WithClientHostname(bindIP), sipgo.WithClientConnectionAddr(bindIP+":0"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (ts *testServer) uri(user string) sip.Uri {
	return sip.Uri{Scheme: "sip", User: user, Host: "127.0.0.1", Port: ts.port}
}

func do(t testing.TB, c *sipgo.Client, req *sip.Request) *sip.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := c.Do(ctx, req)
	if err != nil {
		t.Fatalf("%s: %v", req.Method, err)
	}
	return res
}

func newRegister(ts *testServer, user string, contactPort int) *sip.Request {
	req := sip.NewRequest(sip.REGISTER, ts.uri(""))
	aor := sip.Uri{Scheme: "sip", User: user, Host: "127.0.0.1"}
	from := &sip.FromHeader{Address: aor}
	from.Params.Add("tag", sip.GenerateTagN(8))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: aor})
	req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: user, Host: "127.0.0.1", Port: contactPort}})
	req.AppendHeader(sip.NewHeader("Expires", "600"))
	return req
}

func TestOptionsOverUDPAndTCP(t *testing.T) {
	ts := startServer(t, nil, Deps{})
	c := newClient(t, "127.0.0.1")
	res := do(t, c, sip.NewRequest(sip.OPTIONS, ts.uri("")))
	if res.StatusCode != 200 || res.GetHeader("Allow") == nil || res.GetHeader("Accept") == nil {
		t.Fatalf("OPTIONS: %s", res.StartLine())
	}
	if !strings.Contains(res.GetHeader("Allow").Value(), "REGISTER") {
		t.Errorf("Allow: %s", res.GetHeader("Allow").Value())
	}
	tcpURI := sip.Uri{Scheme: "sip", Host: "127.0.0.1", Port: int(ts.Addrs().TCP.Port()), UriParams: sip.HeaderParams{{K: "transport", V: "tcp"}}}
	if res := do(t, c, sip.NewRequest(sip.OPTIONS, tcpURI)); res.StatusCode != 200 {
		t.Fatalf("OPTIONS over TCP: %s", res.StartLine())
	}
}

func TestRegisterWithDigest(t *testing.T) {
	var mu sync.Mutex
	var online []string
	ts := startServer(t, nil, Deps{OnBindingsChanged: func(uid int64, bs []Binding) {
		mu.Lock()
		online = append(online, fmt.Sprintf("%d:%d", uid, len(bs)))
		mu.Unlock()
	}})
	c := newClient(t, "127.0.0.1")
	ctx := context.Background()

	req := newRegister(ts, "201", 5099)
	res := do(t, c, req)
	hs := res.GetHeaders("WWW-Authenticate")
	if res.StatusCode != 401 || len(hs) != 2 || !strings.Contains(hs[0].Value(), "SHA-256") || !strings.Contains(hs[1].Value(), "MD5") {
		t.Fatalf("unauthenticated REGISTER: %s with %d challenges", res.StartLine(), len(hs))
	}

	// Wrong password: a fresh 401, so the phone may try again.
	bad, err := c.DoDigestAuth(ctx, req.Clone(), res, sipgo.DigestAuth{Username: "201", Password: "wrong"})
	if err != nil || bad.StatusCode != 401 {
		t.Fatalf("wrong password: %v %v", bad, err)
	}

	// MD5: sipgo answers the first challenge, so offer it the MD5 one only.
	md5Only := res.Clone()
	md5Only.RemoveHeader("WWW-Authenticate")
	md5Only.AppendHeader(hs[1])
	ok, err := c.DoDigestAuth(ctx, req, md5Only, sipgo.DigestAuth{Username: "201", Password: testPassword})
	if err != nil || ok.StatusCode != 200 {
		t.Fatalf("MD5 REGISTER: %v %v", ok, err)
	}
	contacts := ok.GetHeaders("Contact")
	if len(contacts) != 1 || !strings.Contains(contacts[0].Value(), "sip:201@127.0.0.1:5099") ||
		!strings.Contains(contacts[0].Value(), "expires=600") || ok.GetHeader("Date") == nil {
		t.Fatalf("200 OK lists %v", contacts)
	}

	// SHA-256 (first challenge) for a second phone of the same user.
	req2 := newRegister(ts, "201", 5098)
	res2 := do(t, c, req2)
	ok2, err := c.DoDigestAuth(ctx, req2, res2, sipgo.DigestAuth{Username: "201", Password: testPassword})
	if err != nil || ok2.StatusCode != 200 || len(ok2.GetHeaders("Contact")) != 2 {
		t.Fatalf("SHA-256 REGISTER: %v %v", ok2, err)
	}
	bs, err := ts.Registrar().Bindings(ctx, 100)
	if err != nil || len(bs) != 2 {
		t.Fatalf("bindings %v %v", bs, err)
	}
	for _, b := range bs {
		if b.Source.Addr() != netip.MustParseAddr("127.0.0.1") || b.Source.Port() == 0 || b.Transport != "UDP" {
			t.Errorf("binding source %v %s", b.Source, b.Transport)
		}
	}

	// Registering someone else's AoR with my credentials: 403.
	req3 := newRegister(ts, "202", 5097)
	res3 := do(t, c, req3)
	other, err := c.DoDigestAuth(ctx, req3, res3, sipgo.DigestAuth{Username: "201", Password: testPassword})
	if err != nil || other.StatusCode != 403 {
		t.Fatalf("REGISTER of another AoR: %v %v", other, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(online) != "[100:1 100:2]" {
		t.Errorf("presence notifications %v", online)
	}
}

// recordingInvites answers 486 and remembers the callers.
type recordingInvites struct {
	mu      sync.Mutex
	callers []Caller
}

func (h *recordingInvites) HandleInvite(_ context.Context, req *sip.Request, tx sip.ServerTransaction, c Caller) {
	h.mu.Lock()
	h.callers = append(h.callers, c)
	h.mu.Unlock()
	_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusBusyHere, "Busy Here", nil))
}

func newInvite(ts *testServer, extra ...sip.Header) *sip.Request {
	req := sip.NewRequest(sip.INVITE, ts.uri("+4930123"))
	from := &sip.FromHeader{DisplayName: "Alice", Address: sip.Uri{Scheme: "sip", User: "201", Host: "127.0.0.1"}}
	from.Params.Add("tag", sip.GenerateTagN(8))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "201", Host: "127.0.0.1", Port: 5099}})
	for _, h := range extra {
		req.AppendHeader(h)
	}
	return req
}

func TestInviteFromTrunk(t *testing.T) {
	ts := startServer(t, nil, Deps{})
	c := newClient(t, "127.0.0.1")
	// No call handler yet: 503 with Retry-After, not a fake success.
	res := do(t, c, newInvite(ts))
	if res.StatusCode != 503 || res.GetHeader("Retry-After") == nil {
		t.Fatalf("INVITE without handler: %s", res.StartLine())
	}
	h := &recordingInvites{}
	ts.SetInviteHandler(h)
	res = do(t, c, newInvite(ts, sip.NewHeader("P-Asserted-Identity", `"Bob" <sip:+4930999@carrier.example>`)))
	if res.StatusCode != 486 {
		t.Fatalf("INVITE with handler: %s", res.StartLine())
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.callers) != 1 || h.callers[0].Kind != CallerTrunk || h.callers[0].ID.User != "+4930999" || h.callers[0].ID.DisplayName != "Bob" {
		t.Fatalf("callers %+v", h.callers)
	}
}

func TestInviteOutsideAllowlist(t *testing.T) {
	h := &recordingInvites{}
	ts := startServer(t, func(c *Config) {
		c.Trunks = []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")} // not us
		c.AuthFailLimit = 3
	}, Deps{Invites: h})
	c := newClient(t, "127.0.0.1")
	ctx := context.Background()

	req := newInvite(ts)
	res := do(t, c, req)
	if res.StatusCode != 401 || len(res.GetHeaders("WWW-Authenticate")) != 2 {
		t.Fatalf("unauthenticated INVITE: %s", res.StartLine())
	}
	// The right password: admitted as the user, caller ID from From only.
	good, err := c.DoDigestAuth(ctx, req.Clone(), res, sipgo.DigestAuth{Username: "201", Password: testPassword})
	if err != nil || good.StatusCode != 486 {
		t.Fatalf("authenticated INVITE: %v %v", good, err)
	}
	// Wrong passwords: 401 until the brake, then 403 and nothing routed.
	var codes []int
	for range 4 {
		req := newInvite(ts)
		res := do(t, c, req)
		if res.StatusCode == 401 {
			res, err = c.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: "201", Password: "guess"})
			if err != nil {
				t.Fatal(err)
			}
		}
		codes = append(codes, res.StatusCode)
	}
	if fmt.Sprint(codes) != "[401 401 403 403]" {
		t.Fatalf("wrong-password codes %v", codes)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.callers) != 1 || h.callers[0].Kind != CallerUser || h.callers[0].UserID != 100 || h.callers[0].ID.User != "201" {
		t.Fatalf("routed callers %+v", h.callers)
	}
}

func TestMethodsAndMaxForwards(t *testing.T) {
	ts := startServer(t, nil, Deps{})
	c := newClient(t, "127.0.0.1")
	for method, want := range map[sip.RequestMethod]int{"SUBSCRIBE": 405, "FOO": 501, "BYE": 481} {
		res := do(t, c, sip.NewRequest(method, ts.uri("")))
		if res.StatusCode != want || (want != 481 && res.GetHeader("Allow") == nil) {
			t.Errorf("%s: %s, want %d with Allow", method, res.StartLine(), want)
		}
	}
	inv := newInvite(ts)
	mf := sip.MaxForwardsHeader(0)
	inv.AppendHeader(&mf)
	if res := do(t, c, inv); res.StatusCode != 483 {
		t.Errorf("INVITE with Max-Forwards 0: %s", res.StartLine())
	}
	opt := sip.NewRequest(sip.OPTIONS, ts.uri(""))
	mf0 := sip.MaxForwardsHeader(0)
	opt.AppendHeader(&mf0)
	if res := do(t, c, opt); res.StatusCode != 200 {
		t.Errorf("OPTIONS with Max-Forwards 0 (we are its final recipient): %s", res.StartLine())
	}
}
