package sip

import (
	"callroute/internal/testclock"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// userStore is an in-memory Credentials for tests.
type userStore struct {
	mu    sync.Mutex
	users map[string]Credential
}

func newUserStore(realm string, users ...string) *userStore {
	s := &userStore{users: map[string]Credential{}}
	for i := 0; i+1 < len(users); i += 2 {
		s.add(int64(100+i/2), users[i], realm, users[i+1])
	}
	return s
}

func (s *userStore) add(id int64, username, realm, password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[username] = Credential{
		UserID: id, Username: username, Realm: realm,
		HA1MD5: HA1(algMD5, username, realm, password), HA1SHA256: HA1(algSHA256, username, realm, password),
	}
}

func (s *userStore) Lookup(_ context.Context, username string) (Credential, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.users[username]
	if !ok {
		return Credential{}, fmt.Errorf("lookup %q: %w", username, ErrUnknownUser)
	}
	return c, nil
}

// newFakeClock is a settable clock at a fixed start, for the time rules
// (nonce expiry, rate limits, binding expiry).
func newFakeClock() *testclock.Clock {
	return testclock.New(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// testLogger writes to the test log at debug level when -v is set.
func testLogger(t testing.TB) *slog.Logger {
	if !testing.Verbose() {
		return quietLogger()
	}
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// parseRequest parses SIP text whose lines are joined with CRLF.
func parseRequest(t testing.TB, lines ...string) *sip.Request {
	t.Helper()
	msg, err := sip.ParseMessage([]byte(strings.Join(lines, "\r\n")))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	req, ok := msg.(*sip.Request)
	if !ok {
		t.Fatalf("not a request: %T", msg)
	}
	return req
}

// registerReq is a REGISTER from user at 127.0.0.1 with one contact.
func registerReq(t testing.TB, user string, cseq int, extra ...string) *sip.Request {
	lines := []string{
		"REGISTER sip:127.0.0.1 SIP/2.0",
		"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-" + fmt.Sprint(cseq) + ";rport",
		"Max-Forwards: 70",
		"From: <sip:" + user + "@127.0.0.1>;tag=abc",
		"To: <sip:" + user + "@127.0.0.1>",
		"Call-ID: reg-" + user,
		fmt.Sprintf("CSeq: %d REGISTER", cseq),
	}
	lines = append(lines, extra...)
	lines = append(lines, "Content-Length: 0", "", "")
	req := parseRequest(t, lines...)
	req.SetSource("127.0.0.1:5070")
	req.SetTransport("UDP")
	return req
}

// answerChallenge adds an Authorization answering the challenge of res
// with algorithm alg (first WWW-Authenticate with it).
func answerChallenge(t testing.TB, req *sip.Request, res *sip.Response, alg, user, password string, nc int) {
	t.Helper()
	var chal *digest.Challenge
	for _, h := range res.GetHeaders("WWW-Authenticate") {
		c, err := digest.ParseChallenge(h.Value())
		if err != nil {
			t.Fatalf("challenge %q: %v", h.Value(), err)
		}
		if strings.EqualFold(c.Algorithm, alg) {
			chal = c
			break
		}
	}
	if chal == nil {
		t.Fatalf("no %s challenge in %v", alg, res)
	}
	cred, err := digest.Digest(chal, digest.Options{
		Method: string(req.Method), URI: req.Recipient.Addr(), Username: user, Password: password, Count: nc,
	})
	if err != nil {
		t.Fatal(err)
	}
	req.RemoveHeader("Authorization")
	req.AppendHeader(sip.NewHeader("Authorization", cred.String()))
}

// readSIP hands every SIP message that reaches conn to handle, with its
// source, until conn is closed; what does not parse is dropped.
func readSIP(conn *net.UDPConn, handle func(msg sip.Message, from *net.UDPAddr)) {
	buf := make([]byte, 65535)
	for {
		n, from, err := conn.ReadFromUDP(buf)
		if err != nil {
			return
		}
		msg, err := sip.ParseMessage(append([]byte(nil), buf[:n]...))
		if err != nil {
			continue
		}
		handle(msg, from)
	}
}
