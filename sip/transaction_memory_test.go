package sip

import (
	"net"
	"runtime"
	"testing"
	"weak"

	"github.com/emiago/sipgo/sip"
)

// The INVITE transactions of a call end at its BYE (sipgo terminates them
// there), and from then on nothing may hold them: at 1,000 calls/s the
// messages of 32 s of ended calls are hundreds of megabytes, and marking
// them is most of what the garbage collector does. sipgo v1.7.3 left the
// Accepted state's timer (Timer L of a server transaction, Timer M of a
// client one, RFC 6026 7.1) running when a transaction was terminated, and
// the timer's closure held the transaction; third_party/sipgo stops them.
// These tests fail without that patch.

func TestTerminatedAcceptedServerInviteIsFreed(t *testing.T) {
	conn, peer := udpPair(t)
	ref := func() weak.Pointer[sip.Request] {
		req := invite(t, peer)
		req.SetSource(peer)
		key, err := sip.ServerTxKeyMake(req)
		if err != nil {
			t.Fatal(err)
		}
		tx := sip.NewServerTx(key, req, conn, quietLogger())
		if err := tx.Init(); err != nil {
			t.Fatal(err)
		}
		if err := tx.Respond(sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil)); err != nil {
			t.Fatalf("200 OK: %v", err)
		}
		tx.Terminate() // what sipgo's dialog does at BYE
		return weak.Make(req)
	}()
	assertFreed(t, "the INVITE of a terminated server transaction", ref)
}

func TestTerminatedAcceptedClientInviteIsFreed(t *testing.T) {
	conn, peer := udpPair(t)
	ref := func() weak.Pointer[sip.Request] {
		req := invite(t, conn.LocalAddr().String())
		req.SetDestination(peer)
		key, err := sip.ClientTxKeyMake(req)
		if err != nil {
			t.Fatal(err)
		}
		tx := sip.NewClientTx(key, req, conn, quietLogger())
		if err := tx.Init(); err != nil {
			t.Fatal(err)
		}
		res := sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil)
		// The phone answered: Accepted, Timer M runs. Receive blocks until
		// the response is taken.
		go tx.Receive(res)
		<-tx.Responses()
		tx.Terminate() // what sipgo's dialog does at BYE
		return weak.Make(req)
	}()
	assertFreed(t, "the INVITE of a terminated client transaction", ref)
}

// udpPair is a sipgo UDP connection on loopback and the address of a
// second socket that takes (and never answers) what it sends.
func udpPair(t *testing.T) (*sip.UDPConnection, string) {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sink, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close(); sink.Close() })
	c := &sip.UDPConnection{PacketConn: pc, PacketAddr: pc.LocalAddr().String()}
	c.Ref(1) // the transaction's, released when it ends (the transport layer's part)
	return c, sink.LocalAddr().String()
}

// invite is an INVITE whose Via names via, parsed as a UDP request.
func invite(t *testing.T, via string) *sip.Request {
	req := parseRequest(t,
		"INVITE sip:1001@127.0.0.1 SIP/2.0",
		"Via: SIP/2.0/UDP "+via+";branch=z9hG4bK-memory-1",
		"From: <sip:+40721000001@127.0.0.1>;tag=caller",
		"To: <sip:1001@127.0.0.1>",
		"Call-ID: memory-test@127.0.0.1",
		"CSeq: 1 INVITE",
		"Max-Forwards: 70",
		"Content-Length: 0", "", "")
	req.SetTransport("UDP")
	return req
}

// assertFreed collects garbage a few times (finalizers and the cleanup of
// weak pointers can take more than one cycle) and fails if ref still
// points somewhere.
func assertFreed(t *testing.T, what string, ref weak.Pointer[sip.Request]) {
	t.Helper()
	for range 5 {
		runtime.GC()
		if ref.Value() == nil {
			return
		}
	}
	t.Errorf("%s is still in memory after the transaction was terminated (held until Timer L/M, 32 s)", what)
}
