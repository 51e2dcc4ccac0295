package sip

import (
	"context"
	"crypto/tls"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"callroute/internal/testcert"
)

// A phone behind NAT: its Contact names a port nobody listens on, but the
// server reaches it at the REGISTER's source (RFC 3581), from its own
// listener port.
func TestRouteToBindingReachesPhoneAtSource(t *testing.T) {
	ts := startServer(t, nil, Deps{})

	phoneUA, err := sipgo.NewUA(sipgo.WithUserAgent("phone"))
	if err != nil {
		t.Fatal(err)
	}
	phoneSrv, err := sipgo.NewServer(phoneUA)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan *sip.Request, 1)
	phoneSrv.OnOptions(func(req *sip.Request, tx sip.ServerTransaction) {
		got <- req
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	})
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan struct{})
	go func() { _ = phoneSrv.ServeUDP(conn); close(served) }()
	t.Cleanup(func() { conn.Close(); phoneUA.Close(); <-served })
	// The phone's client must find the listener in sipgo's pool, or it
	// would try to bind the same port again.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		if _, err := phoneUA.TransportLayer().GetConnection("udp", conn.LocalAddr().String()); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("phone listener not serving")
		}
	}
	phone, err := sipgo.NewClient(phoneUA, sipgo.WithClientHostname("127.0.0.1"), sipgo.WithClientConnectionAddr(conn.LocalAddr().String()))
	if err != nil {
		t.Fatal(err)
	}

	req := newRegister(ts, "201", 1) // Contact: sip:201@127.0.0.1:1
	res := do(t, phone, req)
	ok, err := phone.DoDigestAuth(context.Background(), req, res, sipgo.DigestAuth{Username: "201", Password: testPassword})
	if err != nil || ok.StatusCode != 200 {
		t.Fatalf("register: %v %v", ok, err)
	}
	bs, _ := ts.Registrar().Bindings(context.Background(), 100)
	if len(bs) != 1 || bs[0].Source.String() != conn.LocalAddr().String() {
		t.Fatalf("binding %+v, want source %s", bs, conn.LocalAddr())
	}

	out, err := ts.RequestToBinding(sip.OPTIONS, bs[0])
	if err != nil {
		t.Fatal(err)
	}
	if res := do(t, ts.Client(), out); res.StatusCode != 200 {
		t.Fatalf("OPTIONS to the phone: %s", res.StartLine())
	}
	in := <-got
	if in.Recipient.Port != 1 || in.Source() != ts.Addrs().UDP.String() {
		t.Fatalf("phone got R-URI %s from %s, want the contact from %s", in.Recipient.String(), in.Source(), ts.Addrs().UDP)
	}
	if v := in.Via(); v.Host != "127.0.0.1" || v.Port != ts.port {
		t.Fatalf("Via sent-by %s:%d, want the announced address", v.Host, v.Port)
	}
}

func TestShutdownEndsGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	cfg := DefaultConfig()
	cfg.UDPListen, cfg.TCPListen = "127.0.0.1:0", "127.0.0.1:0"
	srv, err := New(cfg, Deps{Credentials: newUserStore(cfg.Realm)}, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- srv.Run(ctx) }()
	<-srv.Ready()

	ua, _ := sipgo.NewUA()
	c, _ := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"))
	a := srv.Addrs()
	for _, u := range []sip.Uri{
		{Scheme: "sip", Host: "127.0.0.1", Port: int(a.UDP.Port())},
		{Scheme: "sip", Host: "127.0.0.1", Port: int(a.TCP.Port()), UriParams: sip.HeaderParams{{K: "transport", V: "tcp"}}},
	} {
		if res := do(t, c, sip.NewRequest(sip.OPTIONS, u)); res.StatusCode != 200 {
			t.Fatalf("OPTIONS: %s", res.StartLine())
		}
	}
	ua.Close()

	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
	}
	if err := srv.Run(context.Background()); err == nil {
		t.Fatal("second Run accepted")
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines, %d before:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The sockets are closed: binding the same ports again works.
	if conn, err := net.ListenPacket("udp", a.UDP.String()); err != nil {
		t.Fatalf("UDP port still bound: %v", err)
	} else {
		conn.Close()
	}
}

func TestTLSListener(t *testing.T) {
	certFile, keyFile, pool := testcert.SelfSigned(t)
	ts := startServer(t, func(c *Config) {
		c.TLSListen, c.TLSCertFile, c.TLSKeyFile = "127.0.0.1:0", certFile, keyFile
	}, Deps{})
	a := ts.Addrs()
	if !a.TLS.IsValid() || !a.UDP.IsValid() || !a.TCP.IsValid() {
		t.Fatalf("addrs %+v", a)
	}
	ua, err := sipgo.NewUA(sipgo.WithUserAgenTLSConfig(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ua.Close() })
	c, _ := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"))
	u := sip.Uri{Scheme: "sip", Host: "127.0.0.1", Port: int(a.TLS.Port()), UriParams: sip.HeaderParams{{K: "transport", V: "tls"}}}
	if res := do(t, c, sip.NewRequest(sip.OPTIONS, u)); res.StatusCode != 200 {
		t.Fatalf("OPTIONS over TLS: %s", res.StartLine())
	}
}

func TestNewRejectsBadSetup(t *testing.T) {
	cfg := DefaultConfig()
	if _, err := New(cfg, Deps{}, nil); err == nil {
		t.Fatal("no Credentials accepted")
	}
	cfg.Realm = ""
	if _, err := New(cfg, Deps{Credentials: newUserStore("x")}, nil); err == nil || !strings.Contains(err.Error(), "Realm") {
		t.Fatalf("bad config: %v", err)
	}
	cfg = DefaultConfig()
	cfg.TLSListen, cfg.TLSCertFile, cfg.TLSKeyFile = "127.0.0.1:0", "/nonexistent.pem", "/nonexistent.key"
	cfg.UDPListen, cfg.TCPListen = "127.0.0.1:0", ""
	s, err := New(cfg, Deps{Credentials: newUserStore("x")}, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "TLSCertFile") {
		t.Fatalf("missing certificate: %v", err)
	}
}
