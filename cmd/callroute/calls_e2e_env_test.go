package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"callroute/crm"
	"callroute/internal/sipptest"
	"callroute/media/audio"
	"callroute/media/g711"
	"callroute/media/wav"
)

// The end-to-end call tests (calls_e2e_test.go) run a real `callroute
// serve --demo` in-process, as serve_test.go does, on a temp data directory
// with SQLite, and talk to it over loopback with real SIP peers: SIPp
// (Debian package sip-tester) as callers on the trunk and as phones that
// register with digest authentication, then answer or ring; `callroute
// dial` (sip/dialer) as a caller that analyses what it hears. This file has
// their environment.

// Each test gets a block of loopback UDP ports of its own, below the
// ephemeral range (32768 up) and apart from the ranges other packages'
// tests use (sip: 30000 up, media: 30000 up, dialertest: 42000 up; the
// serve default 20000-20999): 22000-29999, 200 ports a block. Within it:
// callroute's RTP range, then SIPp's SIP, media and control ports, then
// the dialler's RTP range.
const (
	e2ePortsFirst   = 22000
	e2eBlockSize    = 200
	e2eBlocks       = 40
	e2eRTPPorts     = 100 // callroute's --rtp-ports
	e2eSIPpPorts    = 60  // SIPp's, e2eSIPpSlot a run
	e2eSIPpSlot     = 6   // SIP port, media port and media+2 (rtp_echo), control port
	e2eDialPortsMin = e2eRTPPorts + e2eSIPpPorts
)

var e2eBlock atomic.Int32

// callEnv is one callroute serve with the demo data, and the SIP peers of
// one test.
type callEnv struct {
	t       *testing.T
	sipp    string
	srv     *server
	env     map[string]string
	sipAddr string // the UDP listener, host:port
	base    string // http://host:port
	token   string // the demo head of sales' API token
	users   map[string]int64

	mu        sync.Mutex
	block     int // first port of the block
	nextSIPp  int // next SIPp slot, from block+e2eRTPPorts
	dialPorts string
}

// startCalls starts `callroute serve --demo` with short ring and queue
// times, MD5 offered first (SIPp 3.6 answers only the first challenge and
// knows only MD5), its own RTP ports, and args after those.
func startCalls(t *testing.T, args ...string) *callEnv {
	t.Helper()
	e := &callEnv{t: t, sipp: sipptest.Path(t), users: map[string]int64{}}
	e.block = e2ePortsFirst + int(e2eBlock.Add(1)-1)%e2eBlocks*e2eBlockSize
	e.nextSIPp = e.block + e2eRTPPorts
	e.dialPorts = fmt.Sprintf("%d-%d", e.block+e2eDialPortsMin, e.block+e2eBlockSize-1)
	e.env = map[string]string{
		"CALLROUTE_DATA_DIR":  filepath.Join(t.TempDir(), "data"),
		"CALLROUTE_HTTP_ADDR": "127.0.0.1:0",
		"CALLROUTE_SIP_ADDR":  "127.0.0.1:0",
		"CALLROUTE_LOG_LEVEL": "info",
	}
	all := append([]string{"--demo",
		"--rtp-ports", fmt.Sprintf("%d-%d", e.block, e.block+e2eRTPPorts-1),
		"--sip-digest", "MD5,SHA-256",
		"--owner-ring-time", "2s", "--desk-ring-time", "2s", "--queue-timeout", "1s",
		"--drain-timeout", "2s"}, args...)
	e.srv = startServe(t, e.env, all...)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("callroute serve's log:\n%s", tailString(e.srv.stderr.String(), 20000))
		}
	})
	m := e.srv.waitFor(t, curlLine)
	e.token, e.base = m[1], m[2]
	e.sipAddr = e.srv.waitFor(t, regexp.MustCompile(`callroute takes calls at sip:\S+ \(UDP (127\.0\.0\.1:\d+),`))[1]

	var users struct{ Items []crm.User }
	e.getJSON("/users", &users)
	for _, u := range users.Items {
		e.users[u.Email] = u.ID
	}
	return e
}

// Demo people and numbers (crm/demo).
const (
	mihaiEmail = "mihai.ionescu@carpathia.example" // a manager, owner of Andrei Mureșan
	anaEmail   = "ana.stan@carpathia.example"      // a desk agent
	vladEmail  = "vlad.georgescu@carpathia.example"
	andreiNat  = "0722481305" // Andrei Mureșan's mobile, as a trunk sends it
	andreiE164 = "+40722481305"
)

func tailString(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// sippSlot returns a SIP port, a media port (and media+2) and a control
// port for one SIPp, each free a moment ago.
func (e *callEnv) sippSlot() (sipPort, mediaPort, ctlPort int) {
	e.t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	for e.nextSIPp+e2eSIPpSlot <= e.block+e2eRTPPorts+e2eSIPpPorts {
		p := e.nextSIPp
		e.nextSIPp += e2eSIPpSlot
		if udpFree(p) && udpFree(p+1) && udpFree(p+3) && udpFree(p+5) && tcpFree(p+5) {
			return p, p + 1, p + 5
		}
	}
	e.t.Fatal("no free SIPp ports left in this test's block")
	return 0, 0, 0
}

func udpFree(port int) bool {
	c, err := net.ListenPacket("udp4", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func tcpFree(port int) bool {
	l, err := net.Listen("tcp4", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// sippRun is one SIPp process running one scenario for one call.
type sippRun struct {
	t        *testing.T
	name     string
	dir      string
	sipPort  int
	media    int
	cancel   context.CancelFunc
	done     chan struct{}
	out      bytes.Buffer
	err      error
	waitOnce sync.Once
}

// sippOpts are a SIPp run's settings.
type sippOpts struct {
	scenario string   // in testdata/sipp
	remote   bool     // a UAC: send to callroute
	sipPort  int      // 0: a new slot's
	inf      string   // injection file contents
	wav      []byte   // written as caller.wav in its directory
	echo     bool     // send back the RTP that comes to the media port
	sdpPort  int      // the port the scenario writes into its SDP; 0: the media port
	args     []string // more arguments: -key, -d...
}

// startSIPp runs one SIPp in the background, bounded by -m 1, its own
// -timeout and a context deadline; wait collects it.
func (e *callEnv) startSIPp(name string, o sippOpts) *sippRun {
	t := e.t
	t.Helper()
	scenario, err := filepath.Abs(filepath.Join("testdata", "sipp", o.scenario))
	if err != nil {
		t.Fatal(err)
	}
	sipPort, media, ctl := e.sippSlot()
	if o.sipPort != 0 {
		sipPort = o.sipPort
	}
	r := &sippRun{t: t, name: name, dir: t.TempDir(), sipPort: sipPort, media: media, done: make(chan struct{})}
	var args []string
	if o.remote {
		args = append(args, e.sipAddr)
	}
	args = append(args, "-sf", scenario,
		"-i", "127.0.0.1", "-p", strconv.Itoa(sipPort), "-t", "u1",
		"-mi", "127.0.0.1", "-mp", strconv.Itoa(media),
		"-ci", "127.0.0.1", "-cp", strconv.Itoa(ctl),
		"-m", "1", "-l", "1",
		"-timeout", "25s", "-timeout_error", "-nostdin",
		"-trace_err", "-error_file", filepath.Join(r.dir, "errors.log"),
		"-trace_logs", "-log_file", filepath.Join(r.dir, "actions.log"))
	if o.inf != "" {
		path := filepath.Join(r.dir, "inject.csv")
		if err := os.WriteFile(path, []byte(o.inf), 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, "-inf", path)
	}
	if o.wav != nil {
		if err := os.WriteFile(filepath.Join(r.dir, "caller.wav"), o.wav, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if o.echo {
		args = append(args, "-rtp_echo")
	}
	if o.sdpPort == 0 {
		o.sdpPort = media
	}
	args = append(args, "-key", "sdp_port", strconv.Itoa(o.sdpPort))
	args = append(args, o.args...)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	r.cancel = cancel
	cmd := exec.CommandContext(ctx, e.sipp, args...)
	cmd.Dir = r.dir // SIPp writes its files into the working directory; caller.wav is read from it
	cmd.Stdout, cmd.Stderr = &r.out, &r.out
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start sipp %s: %v", name, err)
	}
	go func() {
		r.err = cmd.Wait()
		close(r.done)
	}()
	t.Cleanup(func() {
		cancel()
		<-r.done
	})
	return r
}

// waitListening waits until the SIPp has bound its SIP port.
func (r *sippRun) waitListening() {
	r.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-r.done:
			r.t.Fatalf("sipp %s ended before listening: %v\n%s", r.name, r.err, r.output())
		default:
		}
		if !udpFree(r.sipPort) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.t.Fatalf("sipp %s is not listening on %d", r.name, r.sipPort)
}

// wait waits for SIPp to end and fails the test unless it exited 0 (every
// message of the scenario came as expected).
func (r *sippRun) wait() {
	r.t.Helper()
	if code := r.exitCode(); code != 0 {
		r.t.Fatalf("sipp %s exited %d, want 0 (the scenario failed)\n%s", r.name, code, r.output())
	}
}

// exitCode waits for SIPp to end and returns its exit status.
func (r *sippRun) exitCode() int {
	<-r.done
	r.cancel()
	var ee *exec.ExitError
	switch {
	case r.err == nil:
		return 0
	case errors.As(r.err, &ee):
		return ee.ExitCode()
	}
	return -1
}

// output is what SIPp printed last and its error log.
func (r *sippRun) output() string {
	<-r.done
	errs, _ := os.ReadFile(filepath.Join(r.dir, "errors.log"))
	return fmt.Sprintf("%s\nerrors.log:\n%s", tailString(r.out.String(), 4000), tailString(string(errs), 4000))
}

// logged is what the scenario's <log> actions wrote.
func (r *sippRun) logged() string {
	<-r.done
	b, _ := os.ReadFile(filepath.Join(r.dir, "actions.log"))
	return string(b)
}

// phone is a SIPp phone registered for a user.
type phone struct {
	e        *callEnv
	name     string
	username string
	port     int
	run      *sippRun
}

// setSIP gives a user SIP credentials as an admin does, with `callroute
// user sip` on the running service's database.
func (e *callEnv) setSIP(email, username, password string) {
	e.t.Helper()
	r := run(e.t, e.env, "", "user", "sip", email, "--username", username, "--password", password)
	if r.code != exitOK {
		e.t.Fatalf("user sip %s: exit %d: %s", email, r.code, r.stderr)
	}
}

// register gives the user SIP credentials and registers a SIPp phone for
// them (REGISTER, 401 with digest challenges, REGISTER with credentials,
// 200).
func (e *callEnv) register(name, email, username string) *phone {
	e.t.Helper()
	password := "secret-" + username + "-pw"
	e.setSIP(email, username, password)
	p := &phone{e: e, name: name, username: username}
	reg := e.startSIPp(name+" REGISTER", sippOpts{scenario: "register.xml", remote: true,
		inf: fmt.Sprintf("SEQUENTIAL\n%s;127.0.0.1;[authentication username=%s password=%s]\n", username, username, password)})
	reg.wait()
	p.port = reg.sipPort
	return p
}

// answer runs the phone as answer-and-echo: it rings, answers and sends
// back the RTP it gets until callroute hangs up.
func (p *phone) answer() *sippRun {
	p.e.t.Helper()
	return p.listen("phone_answer.xml", true)
}

// ringUnanswered runs the phone as one that rings until cancelled.
func (p *phone) ringUnanswered() *sippRun {
	p.e.t.Helper()
	return p.listen("phone_no_answer.xml", false)
}

func (p *phone) listen(scenario string, echo bool) *sippRun {
	p.e.t.Helper()
	r := p.e.startSIPp(p.name, sippOpts{scenario: scenario, sipPort: p.port, echo: echo})
	r.waitListening()
	p.run = r
	return r
}

// shownCaller is the From of the INVITE the phone got (who it showed as
// calling), "" when it got none.
func (r *sippRun) shownCaller() string {
	m := regexp.MustCompile(`INVITE From: *(.*)`).FindStringSubmatch(r.logged())
	if m == nil {
		return ""
	}
	return strings.TrimSpace(m[1])
}

// toneWAV is a mu-law WAV of a tone, for SIPp's rtp_stream.
func toneWAV(t *testing.T, hz float64, millis int) []byte {
	t.Helper()
	b, err := wav.Encode(wav.ULaw, audio.SampleRate, audio.Render(audio.NewTone(hz, -10), millis))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// call places one SIPp call from number with caller.xml: it streams a
// tone for talk once answered, then hangs up. sdpPort is where the caller
// hears (an ear's port); 0 for the SIPp media port.
func (e *callEnv) call(name, number, callID string, hz float64, talk time.Duration, sdpPort int) *sippRun {
	e.t.Helper()
	return e.startSIPp(name, sippOpts{scenario: "caller.xml", remote: true, wav: toneWAV(e.t, hz, 1000), sdpPort: sdpPort,
		args: []string{"-key", "number", number, "-cid_str", callID, "-d", strconv.Itoa(int(talk.Milliseconds()))}})
}

// api does a GET on the REST API as the demo head of sales.
func (e *callEnv) api(path string) (int, []byte, http.Header) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.base+"/api/v1"+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("GET %s: %v", path, err)
	}
	return resp.StatusCode, body, resp.Header
}

func (e *callEnv) getJSON(path string, v any) {
	e.t.Helper()
	code, body, _ := e.api(path)
	if code != http.StatusOK {
		e.t.Fatalf("GET %s: %d %s", path, code, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		e.t.Fatalf("GET %s: %v in %s", path, err, body)
	}
}

// route is an interaction's route as stored (routing.Result's steps).
type route struct {
	Steps []struct {
		Stage   string  `json:"stage"`
		UserID  int64   `json:"user_id"`
		Seconds float64 `json:"seconds"`
		Outcome string  `json:"outcome"`
		Device  string  `json:"device"`
	} `json:"steps"`
	EndedBy string `json:"ended_by"`
}

func (r route) String() string {
	var parts []string
	for _, s := range r.Steps {
		parts = append(parts, fmt.Sprintf("%s/%d/%s(%.1fs %s)", s.Stage, s.UserID, s.Outcome, s.Seconds, s.Device))
	}
	return strings.Join(parts, " ") + " ended by " + r.EndedBy
}

// callOnTimeline waits for the call with callID on the contact's timeline
// and returns it with its route.
func (e *callEnv) callOnTimeline(contactID int64, callID string) (crm.Interaction, route) {
	e.t.Helper()
	var last []byte
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var tl struct{ Items []crm.Interaction }
		e.getJSON(fmt.Sprintf("/contacts/%d/timeline?limit=20", contactID), &tl)
		for _, it := range tl.Items {
			if it.CallID == callID {
				return it, e.routeOf(it)
			}
		}
		last, _ = json.Marshal(tl.Items)
		time.Sleep(100 * time.Millisecond)
	}
	e.t.Fatalf("call %s is not on contact %d's timeline: %s", callID, contactID, last)
	return crm.Interaction{}, route{}
}

func (e *callEnv) routeOf(it crm.Interaction) route {
	e.t.Helper()
	var r route
	if err := json.Unmarshal(it.Route, &r); err != nil {
		e.t.Fatalf("interaction %d: route %s: %v", it.ID, it.Route, err)
	}
	return r
}

// contactOf looks a number up as the desk's screen does.
func (e *callEnv) contactOf(number string) int64 {
	e.t.Helper()
	var c crm.CallerInfo
	e.getJSON("/callers/"+number, &c)
	if c.Contact == nil {
		e.t.Fatalf("%s is not a known contact", number)
	}
	return c.Contact.ID
}

// ear is a UDP socket that takes the place of a party's RTP port: it keeps
// the PCMU payloads it gets, in order of arrival.
type ear struct {
	conn *net.UDPConn
	mu   sync.Mutex
	pcmu [][]byte
	done chan struct{}
}

func newEar(t *testing.T) *ear {
	t.Helper()
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	e := &ear{conn: conn, done: make(chan struct{})}
	go e.listen()
	t.Cleanup(func() {
		conn.Close()
		<-e.done
	})
	return e
}

func (e *ear) port() int { return e.conn.LocalAddr().(*net.UDPAddr).Port }

func (e *ear) listen() {
	defer close(e.done)
	buf := make([]byte, 2048)
	for {
		n, err := e.conn.Read(buf)
		if err != nil {
			return
		}
		// RTP version 2, payload type 0 (PCMU), a fixed 12-byte header
		// with no CSRC or extension: what callroute sends.
		if n <= 12 || buf[0]>>6 != 2 || buf[1]&0x7f != 0 || buf[0]&0x1f != 0 {
			continue
		}
		e.mu.Lock()
		e.pcmu = append(e.pcmu, append([]byte(nil), buf[12:n]...))
		e.mu.Unlock()
	}
}

// heard returns how many PCMU packets came and analyses the last n of them.
func (e *ear) heard(n int) (int, audio.Analysis) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var b []byte
	for _, p := range e.pcmu[max(0, len(e.pcmu)-n):] {
		b = append(b, p...)
	}
	return len(e.pcmu), audio.AnalyzeG711(g711.ULaw, b)
}
