// Package dialertest is a small answering SIP phone (a UAS on sipgo) for
// tests of the dialler and of `callroute dial`: it answers, rejects or lets
// every INVITE ring as its Behaviour says, can challenge with digest auth,
// send early media, play a tone once answered, hang up itself, and reports
// what it heard. Loopback only.
package dialertest

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"callroute/media"
)

// Behaviour is what the UAS does with each INVITE.
type Behaviour struct {
	// Status rejects the call with this final status (486, say) after
	// RingFor; 0 answers.
	Status int
	// RingFor is the time between 180 (or 183) and the final response.
	RingFor time.Duration
	// NoAnswer rings until the caller cancels.
	NoAnswer bool
	// EarlyTone, when set, sends 183 with SDP instead of 180 and plays
	// this frequency as early media until the final response.
	EarlyTone float64
	// Tone is played once answered (default 440 Hz, -10 dBFS).
	Tone float64
	// NoSDP answers with a 200 that has no SDP.
	NoSDP bool
	// ReInvite puts the caller on hold with a re-INVITE once answered.
	ReInvite bool
	// HangUpAfter sends BYE after this talk time; 0 waits for the BYE.
	HangUpAfter time.Duration
	// Username and Password, when set, challenge an INVITE without valid
	// credentials (401, or 407 with Proxy) in realm "callroute", offering
	// Algorithms (default SHA-256 then MD5).
	Username, Password string
	Algorithms         []string
	Proxy              bool
}

// Call is what the UAS saw of one call.
type Call struct {
	From, DisplayName string
	Transport         string
	AuthAlgorithm     string // the algorithm of the accepted credentials
	Answered          bool
	Cancelled         bool   // CANCEL arrived while ringing
	ByeReceived       bool   // the caller hung up
	HungUp            bool   // we sent BYE
	ReInviteStatus    int    // the caller's answer to our re-INVITE
	ReInviteDirection string // and the direction of its SDP
	Packets           int    // RTP audio packets heard once answered
	PCM               []int16
}

// UAS is the test phone. Close (registered as a test cleanup) ends it.
type UAS struct {
	t         testing.TB
	b         Behaviour
	transport string
	addr      netip.AddrPort
	ua        *sipgo.UserAgent
	srv       *sipgo.Server
	dua       *sipgo.DialogUA
	ports     *media.PortAllocator
	udp       net.PacketConn
	tcp       net.Listener
	served    chan struct{}
	calls     chan Call
	quit      chan struct{}
	auth      *auth
	log       *slog.Logger

	mu      sync.Mutex
	closed  bool
	running sync.WaitGroup // handlers in progress
	dialogs map[string]*sipgo.DialogServerSession
}

// New starts a UAS on 127.0.0.1 over transport ("udp" or "tcp").
func New(t testing.TB, transport string, b Behaviour) *UAS {
	t.Helper()
	if b.Tone == 0 {
		b.Tone = 440
	}
	u := &UAS{t: t, b: b, transport: transport, served: make(chan struct{}),
		calls: make(chan Call, 16), quit: make(chan struct{}), dialogs: map[string]*sipgo.DialogServerSession{}}
	if b.Password != "" {
		u.auth = newAuth(b)
	}
	var err error
	if transport == "tcp" {
		u.tcp, err = net.Listen("tcp", "127.0.0.1:0")
		if err == nil {
			u.addr = netip.MustParseAddrPort(u.tcp.Addr().String())
		}
	} else {
		u.udp, err = net.ListenPacket("udp", "127.0.0.1:0")
		if err == nil {
			u.addr = netip.MustParseAddrPort(u.udp.LocalAddr().String())
		}
	}
	if err != nil {
		t.Fatalf("uas: %v", err)
	}
	if u.ports, err = media.NewPortAllocator(netip.MustParseAddr("127.0.0.1"), 42000, 42999, media.WithDrainTime(0)); err != nil {
		t.Fatalf("uas: %v", err)
	}
	quiet := slog.New(slog.DiscardHandler)
	u.log = quiet
	u.ua, err = sipgo.NewUA(sipgo.WithUserAgent("dialertest-uas"),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(quiet)),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(quiet),
			sip.WithTransactionLayerUnhandledResponseHandler(func(*sip.Response) {})))
	if err != nil {
		t.Fatalf("uas: %v", err)
	}
	u.srv, _ = sipgo.NewServer(u.ua, sipgo.WithServerLogger(quiet))
	cli, err := sipgo.NewClient(u.ua, sipgo.WithClientLogger(quiet),
		sipgo.WithClientHostname("127.0.0.1"), sipgo.WithClientPort(int(u.addr.Port())))
	if err != nil {
		t.Fatalf("uas: %v", err)
	}
	contact := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "uas", Host: "127.0.0.1", Port: int(u.addr.Port())}}
	if transport == "tcp" {
		contact.Address.UriParams = sip.NewParams()
		contact.Address.UriParams.Add("transport", "tcp")
	}
	u.dua = &sipgo.DialogUA{Client: cli, ContactHDR: contact}
	u.srv.OnInvite(u.onInvite)
	u.srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) {
		if d := u.dialog(req); d != nil {
			_ = d.ReadAck(req, tx)
		}
	})
	u.srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		d := u.dialog(req)
		if d == nil {
			_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist", nil))
			return
		}
		_ = d.ReadBye(req, tx)
	})
	go func() {
		defer close(u.served)
		if u.tcp != nil {
			_ = u.srv.ServeTCP(u.tcp)
		} else {
			_ = u.srv.ServeUDP(u.udp)
		}
	}()
	t.Cleanup(u.Close)
	return u
}

// URI is the address to call: sip:callroute@127.0.0.1:PORT (with
// ;transport=tcp over TCP).
func (u *UAS) URI() string {
	uri := fmt.Sprintf("sip:callroute@%s", u.addr)
	if u.transport == "tcp" {
		uri += ";transport=tcp"
	}
	return uri
}

// Next waits for the next call to end and returns what the UAS saw.
func (u *UAS) Next(timeout time.Duration) (Call, bool) {
	select {
	case c := <-u.calls:
		return c, true
	case <-time.After(timeout):
		return Call{}, false
	}
}

// Close ends the calls in progress and the UAS.
func (u *UAS) Close() {
	u.mu.Lock()
	if u.closed {
		u.mu.Unlock()
		return
	}
	u.closed = true
	u.mu.Unlock()
	close(u.quit)
	u.running.Wait()
	_ = u.ua.Close()
	if u.udp != nil {
		_ = u.udp.Close()
	}
	if u.tcp != nil {
		_ = u.tcp.Close()
	}
	<-u.served
	_ = u.ports.Close()
}

// enter registers a handler in progress; false once the UAS is closing.
func (u *UAS) enter() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.closed {
		return false
	}
	u.running.Add(1)
	return true
}

func (u *UAS) dialog(req *sip.Request) *sipgo.DialogServerSession {
	id := req.CallID()
	if id == nil {
		return nil
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.dialogs[string(*id)]
}

func (u *UAS) track(id string, d *sipgo.DialogServerSession) func() {
	u.mu.Lock()
	u.dialogs[id] = d
	u.mu.Unlock()
	return func() {
		u.mu.Lock()
		delete(u.dialogs, id)
		u.mu.Unlock()
	}
}
