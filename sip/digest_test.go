package sip

import (
	"callroute/internal/testclock"
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// RFC 2617 3.5 and RFC 7616 3.9.1 worked examples.
func TestDigestResponseRFCExamples(t *testing.T) {
	tests := []struct {
		name, alg, user, realm, pass, nonce, cnonce, want string
	}{
		{"RFC 2617 3.5 MD5", algMD5, "Mufasa", "testrealm@host.com", "Circle Of Life",
			"dcd98b7102dd2f0e8b11d0f600bfb0c093", "0a4f113b", "6629fae49393a05397450978507c4ef1"},
		{"RFC 7616 3.9.1 MD5", algMD5, "Mufasa", "http-auth@example.org", "Circle of Life",
			"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", "8ca523f5e9506fed4657c9700eebdbec"},
		{"RFC 7616 3.9.1 SHA-256", algSHA256, "Mufasa", "http-auth@example.org", "Circle of Life",
			"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
			"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ha1 := HA1(tt.alg, tt.user, tt.realm, tt.pass)
			got := digestResponse(tt.alg, ha1, digestParams{
				Method: "GET", URI: "/dir/index.html", Nonce: tt.nonce, NC: "00000001", Cnonce: tt.cnonce, QOP: "auth",
			})
			if got != tt.want {
				t.Fatalf("response = %s, want %s", got, tt.want)
			}
			if !digestEqual(strings.ToUpper(got), tt.want) {
				t.Fatal("digestEqual is not case-insensitive")
			}
		})
	}
}

type authFixture struct {
	a     *authenticator
	clock *testclock.Clock
	users *userStore
	src   netip.Addr
}

func newAuthFixture(t *testing.T, mutate func(*Config)) *authFixture {
	t.Helper()
	cfg := DefaultConfig()
	if mutate != nil {
		mutate(&cfg)
	}
	clock := newFakeClock()
	users := newUserStore(cfg.Realm, "201", "s3cret-pass-201", "202", "another-pass-202")
	a, err := newAuthenticator(cfg, users, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	return &authFixture{a: a, clock: clock, users: users, src: netip.MustParseAddr("127.0.0.1")}
}

// challengeFor runs a request without credentials and returns the 401.
func (f *authFixture) challengeFor(t *testing.T, req *sip.Request) *sip.Response {
	t.Helper()
	res := f.a.check(context.Background(), req, f.src)
	if res.outcome != authChallenge || res.failed {
		t.Fatalf("no credentials: outcome %v failed %v (%s)", res.outcome, res.failed, res.reason)
	}
	return f.a.challenge(req, f.src, res.stale)
}

func TestChallengeOffersSHA256ThenMD5(t *testing.T) {
	f := newAuthFixture(t, nil)
	res := f.challengeFor(t, registerReq(t, "201", 1))
	if res.StatusCode != 401 {
		t.Fatalf("status %d", res.StatusCode)
	}
	hs := res.GetHeaders("WWW-Authenticate")
	if len(hs) != 2 {
		t.Fatalf("%d WWW-Authenticate headers, want 2", len(hs))
	}
	for i, alg := range []string{"algorithm=SHA-256", "algorithm=MD5"} {
		v := hs[i].Value()
		if !strings.Contains(v, alg) || !strings.Contains(v, `qop="auth"`) || !strings.Contains(v, `realm="callroute"`) {
			t.Errorf("header %d = %q, want %s with qop and realm", i, v, alg)
		}
	}
	n0, n1 := nonceOf(hs[0].Value()), nonceOf(hs[1].Value())
	if n0 == "" || n0 != n1 || len(n0) < 32 {
		t.Errorf("nonces %q %q: want one shared nonce of >= 128 bits", n0, n1)
	}
	f2 := newAuthFixture(t, func(c *Config) { c.DigestAlgorithms = []string{algSHA256} })
	if n := len(f2.challengeFor(t, registerReq(t, "201", 1)).GetHeaders("WWW-Authenticate")); n != 1 {
		t.Errorf("MD5 disabled: %d challenges, want 1", n)
	}
}

func nonceOf(v string) string {
	_, after, ok := strings.Cut(v, `nonce="`)
	if !ok {
		return ""
	}
	n, _, _ := strings.Cut(after, `"`)
	return n
}

func TestDigestVerify(t *testing.T) {
	for _, alg := range []string{algSHA256, algMD5} {
		t.Run(alg, func(t *testing.T) {
			f := newAuthFixture(t, nil)
			req := registerReq(t, "201", 1)
			chal := f.challengeFor(t, req)

			answerChallenge(t, req, chal, alg, "201", "s3cret-pass-201", 1)
			res := f.a.check(context.Background(), req, f.src)
			if res.outcome != authOK || res.cred.UserID != 100 {
				t.Fatalf("right password: outcome %v (%s)", res.outcome, res.reason)
			}
			// The same nonce-count again is a replay.
			if res := f.a.check(context.Background(), req, f.src); res.outcome != authChallenge || res.stale {
				t.Fatalf("replayed nc: outcome %v stale %v", res.outcome, res.stale)
			}
			// A higher count on the same nonce is fine (RFC 2617 3.2.2).
			answerChallenge(t, req, chal, alg, "201", "s3cret-pass-201", 2)
			if res := f.a.check(context.Background(), req, f.src); res.outcome != authOK {
				t.Fatalf("nc=2: outcome %v (%s)", res.outcome, res.reason)
			}
			// Wrong password: a fresh challenge, counted.
			answerChallenge(t, req, chal, alg, "201", "wrong", 3)
			if res := f.a.check(context.Background(), req, f.src); res.outcome != authChallenge || !res.failed || res.stale {
				t.Fatalf("wrong password: %+v", res)
			}
		})
	}
}

func TestDigestUnknownUserLooksLikeWrongPassword(t *testing.T) {
	f := newAuthFixture(t, nil)
	wrong := registerReq(t, "201", 1)
	answerChallenge(t, wrong, f.challengeFor(t, wrong), algSHA256, "201", "nope", 1)
	unknown := registerReq(t, "999", 1)
	answerChallenge(t, unknown, f.challengeFor(t, unknown), algSHA256, "999", "nope", 1)
	r1 := f.a.check(context.Background(), wrong, f.src)
	r2 := f.a.check(context.Background(), unknown, f.src)
	if r1.outcome != r2.outcome || r1.stale != r2.stale || r1.failed != r2.failed || r1.reason != r2.reason {
		t.Fatalf("wrong password %+v vs unknown user %+v", r1, r2)
	}
}

func TestDigestExpiredNonceIsStale(t *testing.T) {
	f := newAuthFixture(t, nil)
	req := registerReq(t, "201", 1)
	chal := f.challengeFor(t, req)
	f.clock.Add(5*time.Minute + time.Second)

	answerChallenge(t, req, chal, algSHA256, "201", "s3cret-pass-201", 1)
	if res := f.a.check(context.Background(), req, f.src); res.outcome != authChallenge || !res.stale || res.failed {
		t.Fatalf("right password, expired nonce: %+v, want stale challenge", res)
	}
	// stale=true only for a correct response (RFC 2617 3.2.1).
	answerChallenge(t, req, chal, algSHA256, "201", "wrong", 2)
	if res := f.a.check(context.Background(), req, f.src); res.stale || !res.failed {
		t.Fatalf("wrong password, expired nonce: %+v, want counted non-stale challenge", res)
	}
	if v := f.a.challenge(req, f.src, true).GetHeaders("WWW-Authenticate")[0].Value(); !strings.Contains(v, "stale=true") {
		t.Fatalf("stale challenge %q", v)
	}
}

func TestDigestRejects(t *testing.T) {
	tests := []struct {
		name    string
		mangle  func(req *sip.Request, f *authFixture)
		counted bool
	}{
		{"other realm is ignored", func(req *sip.Request, _ *authFixture) {
			replaceAuth(req, `realm="callroute"`, `realm="elsewhere"`)
		}, false},
		{"nonce from another address", func(req *sip.Request, f *authFixture) { f.src = netip.MustParseAddr("127.0.0.2") }, false},
		{"forged nonce", func(req *sip.Request, _ *authFixture) { replaceAuth(req, `nonce="`, `nonce="x`) }, false},
		{"no qop", func(req *sip.Request, _ *authFixture) { replaceAuth(req, "qop=auth", "qop=none") }, true},
		{"digest uri differs", func(req *sip.Request, _ *authFixture) {
			replaceAuth(req, `uri="sip:127.0.0.1"`, `uri="sip:10.9.9.9"`)
		}, true},
		{"sess algorithm", func(req *sip.Request, _ *authFixture) {
			replaceAuth(req, "algorithm=SHA-256", "algorithm=SHA-256-sess")
		}, true},
		{"user stored under another realm", func(req *sip.Request, f *authFixture) {
			f.users.add(100, "201", "other-realm", "s3cret-pass-201")
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newAuthFixture(t, nil)
			req := registerReq(t, "201", 1)
			answerChallenge(t, req, f.challengeFor(t, req), algSHA256, "201", "s3cret-pass-201", 1)
			tt.mangle(req, f)
			res := f.a.check(context.Background(), req, f.src)
			if res.outcome != authChallenge || res.failed != tt.counted {
				t.Fatalf("%+v, want challenge counted=%v", res, tt.counted)
			}
		})
	}
}

func replaceAuth(req *sip.Request, old, new string) {
	v := req.GetHeader("Authorization").Value()
	req.RemoveHeader("Authorization")
	req.AppendHeader(sip.NewHeader("Authorization", strings.Replace(v, old, new, 1)))
}

func TestDigestBruteForceBrake(t *testing.T) {
	f := newAuthFixture(t, nil)
	req := registerReq(t, "201", 1)
	for i := 1; i <= 10; i++ {
		answerChallenge(t, req, f.a.challenge(req, f.src, false), algSHA256, "201", "guess", 1)
		res := f.a.check(context.Background(), req, f.src)
		want := authChallenge
		if i == 10 {
			want = authForbidden
		}
		if res.outcome != want {
			t.Fatalf("failure %d: outcome %v, want %v", i, res.outcome, want)
		}
	}
	// Banned: even the right password gets 403, other sources do not.
	answerChallenge(t, req, f.a.challenge(req, f.src, false), algSHA256, "201", "s3cret-pass-201", 1)
	if res := f.a.check(context.Background(), req, f.src); res.outcome != authForbidden {
		t.Fatalf("banned source: %v", res.outcome)
	}
	other := netip.MustParseAddr("127.0.0.2")
	answerChallenge(t, req, f.a.challenge(req, other, false), algSHA256, "201", "s3cret-pass-201", 1)
	if res := f.a.check(context.Background(), req, other); res.outcome != authOK {
		t.Fatalf("other source: %v (%s)", res.outcome, res.reason)
	}
	f.clock.Add(5*time.Minute + time.Second)
	answerChallenge(t, req, f.a.challenge(req, f.src, false), algSHA256, "201", "s3cret-pass-201", 1)
	if res := f.a.check(context.Background(), req, f.src); res.outcome != authOK {
		t.Fatalf("after the ban: %v (%s)", res.outcome, res.reason)
	}
}

func TestNonceCountsBoundedAndSafe(t *testing.T) {
	c := newNonceCounts(2, time.Minute)
	now := time.Unix(1000, 0)
	t1, t2, t3 := now, now.Add(time.Second), now.Add(2*time.Second)
	if c.use("a", t1, 1, now) != ncOK || c.use("b", t2, 1, now) != ncOK || c.use("c", t3, 1, now) != ncOK {
		t.Fatal("first uses refused")
	}
	if c.len() != 2 {
		t.Fatalf("len %d, want 2", c.len())
	}
	// "a" was evicted: its state is unknown, so it must not be trusted.
	if v := c.use("a", t1, 2, now); v != ncStale {
		t.Fatalf("evicted nonce: %v, want stale", v)
	}
	if v := c.use("c", t3, 1, now); v != ncReplay {
		t.Fatalf("replay: %v", v)
	}
	if v := c.use("d", t3.Add(time.Second), 0, now); v != ncReplay {
		t.Fatalf("nc=0: %v", v)
	}
}

func TestNonceMinter(t *testing.T) {
	m, err := newNonceMinter([]byte("0123456789abcdef0123"), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	ip := netip.MustParseAddr("127.0.0.1")
	now := time.Unix(5000, 0)
	n := m.mint(now, ip)
	if s, issued := m.check(n, now.Add(time.Second), ip); s != nonceFresh || !issued.Equal(now) {
		t.Fatalf("fresh: %v %v", s, issued)
	}
	if s, _ := m.check(n, now.Add(2*time.Minute), ip); s != nonceExpired {
		t.Fatalf("expired: %v", s)
	}
	if s, _ := m.check(n, now, netip.MustParseAddr("::ffff:127.0.0.1")); s != nonceFresh {
		t.Fatalf("v4-mapped source: %v", s)
	}
	flip := []byte(n)
	flip[10] ^= 1 // stays in the base64url alphabet for letters and digits
	if flip[10] == '-' || flip[10] == '_' || flip[10] == n[10] {
		flip[10] = 'Q'
	}
	for _, bad := range []string{"", "x", string(flip), strings.Repeat("A", len(n))} {
		if s, _ := m.check(bad, now, ip); s != nonceInvalid {
			t.Errorf("%q: %v, want invalid", bad, s)
		}
	}
	if s, _ := m.check(m.mint(now.Add(time.Hour), ip), now, ip); s != nonceInvalid {
		t.Errorf("nonce from the future accepted")
	}
	other, _ := newNonceMinter(nil, time.Minute)
	if s, _ := other.check(n, now, ip); s != nonceInvalid {
		t.Errorf("other secret accepted")
	}
}
