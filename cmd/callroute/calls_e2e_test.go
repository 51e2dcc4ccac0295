package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"callroute/crm"
	"callroute/media/audio"
	"callroute/media/wav"
	"callroute/sip/dialer"
)

// End-to-end tests of taking calls, with real SIP peers against a real
// `callroute serve --demo` (environment in calls_e2e_env_test.go). Each
// checks what a user would notice: whose phone rang and whom it showed as
// calling, what each side heard, and what the client's timeline, the tasks,
// the reports and the voicemail say afterwards through the REST API.

// TestCallsKnownCallerReachesOwner: Andrei Mureșan calls from his mobile
// through the trunk; his owner Mihai Ionescu's SIPp phone rings, shows him
// by name and number, answers and sends back what it hears. The tone the
// caller's SIPp streams crosses to the phone and back (heard at the
// caller's RTP address, frequency checked), and Andrei's timeline has the
// call, answered by Mihai.
func TestCallsKnownCallerReachesOwner(t *testing.T) {
	e := startCalls(t)
	t.Parallel()
	mihai := e.register("Mihai's phone", mihaiEmail, "201")
	ph := mihai.answer()
	callerEar := newEar(t)
	const callID = "e2e-known-caller@sipp"
	caller := e.call("Andrei", andreiNat, callID, 600, 3*time.Second, callerEar.port())
	caller.wait()
	ph.wait()

	if got := ph.shownCaller(); !strings.Contains(got, "<sip:"+andreiE164+"@") || !strings.Contains(got, "Andrei Mure") {
		t.Errorf("the owner's phone showed %q, want Andrei Mureșan <sip:%s@...>", got, andreiE164)
	}
	// What the caller hears in the talk: its own tone, back from the phone.
	n, heard := callerEar.heard(100)
	if n < 100 || math.Abs(heard.PeakHz-600) > 10 || heard.RMSDBFS < -30 {
		t.Errorf("the caller got %d RTP packets and heard %.1f Hz at %.1f dBFS, want its 600 Hz back from the phone",
			n, heard.PeakHz, heard.RMSDBFS)
	}

	it, r := e.callOnTimeline(e.contactOf(andreiNat), callID)
	if it.Kind != crm.KindCall || it.Direction != crm.Inbound || it.Outcome != crm.OutcomeAnswered ||
		it.AnsweredBy != e.users[mihaiEmail] || it.CallerE164 != andreiE164 || it.TalkSeconds < 2 {
		t.Errorf("timeline call = %+v, want inbound, answered by Mihai (%d), talk >= 2 s", it, e.users[mihaiEmail])
	}
	if len(r.Steps) != 1 || r.Steps[0].Stage != "owner" || r.Steps[0].Outcome != "answered" ||
		r.Steps[0].Device != fmt.Sprintf("sip:201@127.0.0.1:%d", mihai.port) || r.EndedBy != "caller" {
		t.Errorf("route = %s, want the owner's phone answered, ended by the caller", r)
	}
}

// TestCallsDialToneCrossesBridge is the issue's `callroute dial` against
// `callroute serve --demo` with a SIPp phone registered as the owner: the
// dialler's 1000 Hz tone crosses the bridge to the phone, which echoes it,
// and crosses back: the dialler hears 1000 Hz.
func TestCallsDialToneCrossesBridge(t *testing.T) {
	e := startCalls(t)
	t.Parallel()
	ph := e.register("Mihai's phone", mihaiEmail, "201").answer()
	r := run(t, nil, "", "dial", "--from", andreiNat, "--sip-addr", e.sipAddr, "--tone", "1000",
		"--duration", "3s", "--ring-timeout", "10s", "--rtp-ports", e.dialPorts)
	if r.code != exitOK {
		t.Fatalf("callroute dial: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	ph.wait()
	m := heardRE.FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("callroute dial heard nothing: %q", r.stdout)
	}
	if hz, _ := strconv.ParseFloat(m[1], 64); math.Abs(hz-1000) > 10 {
		t.Errorf("callroute dial heard %.1f Hz, want its own 1000 Hz back through the bridge", hz)
	}
	if !strings.Contains(r.stdout, "PCMU") || !strings.Contains(r.stdout, "we hung up") {
		t.Errorf("dial summary: %q", r.stdout)
	}
	if got := ph.shownCaller(); !strings.Contains(got, andreiE164) {
		t.Errorf("the phone showed %q, want %s", got, andreiE164)
	}
}

// TestCallsOwnerNoAnswerGoesToDesk: the owner's phone rings for the owner
// ring time (2 s), nobody picks up, it is cancelled; the desk agent Ana
// Stan's phone gets the call and answers.
func TestCallsOwnerNoAnswerGoesToDesk(t *testing.T) {
	e := startCalls(t)
	t.Parallel()
	owner := e.register("Mihai's phone", mihaiEmail, "201").ringUnanswered()
	desk := e.register("Ana's phone", anaEmail, "301").answer()
	const callID = "e2e-owner-no-answer@sipp"
	caller := e.call("Andrei", andreiNat, callID, 600, 2*time.Second, 0)
	caller.wait()
	owner.wait() // the INVITE, then CANCEL, 200, 487, ACK
	desk.wait()
	if got := desk.shownCaller(); !strings.Contains(got, andreiE164) {
		t.Errorf("the desk phone showed %q, want %s", got, andreiE164)
	}

	it, r := e.callOnTimeline(e.contactOf(andreiNat), callID)
	if it.Outcome != crm.OutcomeAnswered || it.AnsweredBy != e.users[anaEmail] {
		t.Errorf("call = %+v, want answered by Ana (%d)", it, e.users[anaEmail])
	}
	if len(r.Steps) != 2 ||
		r.Steps[0].Stage != "owner" || r.Steps[0].UserID != e.users[mihaiEmail] || r.Steps[0].Outcome != "no_answer" ||
		r.Steps[0].Seconds < 1.5 || r.Steps[0].Seconds > 4 ||
		r.Steps[1].Stage != "desk" || r.Steps[1].UserID != e.users[anaEmail] || r.Steps[1].Outcome != "answered" {
		t.Errorf("route = %s, want the owner ringing ~2 s unanswered, then the desk answering", r)
	}
}

// TestCallsUnknownCallerGoesToDesk: a number nobody knows reaches the desk
// phone; the calls report counts the call as answered by Ana.
func TestCallsUnknownCallerGoesToDesk(t *testing.T) {
	e := startCalls(t)
	t.Parallel()
	before := e.answeredToday(e.users[anaEmail])
	desk := e.register("Ana's phone", anaEmail, "301").answer()
	caller := e.call("unknown", "0215550188", "e2e-unknown@sipp", 600, 2*time.Second, 0)
	caller.wait()
	desk.wait()
	if got := desk.shownCaller(); !strings.Contains(got, "<sip:+40215550188@") {
		t.Errorf("the desk phone showed %q, want +40215550188", got)
	}
	e.eventually("the calls report counts Ana's answered call", func() bool {
		return e.answeredToday(e.users[anaEmail]) == before+1
	})
}

// answeredToday is the user's answered calls today in the calls report.
func (e *callEnv) answeredToday(userID int64) int {
	e.t.Helper()
	var rep crm.CallsReport
	e.getJSON("/reports/calls", &rep)
	today := time.Now().UTC().Format(time.DateOnly)
	n := 0
	for _, r := range rep.Rows {
		if r.UserID == userID && r.Day == today {
			n += r.Answered
		}
	}
	return n
}

func (e *callEnv) eventually(what string, ok func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			e.t.Fatalf("not so after 10 s: %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestCallsQueueThenVoicemail: the only desk agent on a SIP phone is busy
// on another call, so a new caller is not offered to her: they are
// answered into the queue and hear it, then (queue timeout 1 s) reach
// voicemail and speak (a 700 Hz tone) for a few seconds. The API then
// shows the call as voicemail, with a call-back task for the desk, and
// serves the recording: a WAV of the caller's tone.
func TestCallsQueueThenVoicemail(t *testing.T) {
	e := startCalls(t)
	t.Parallel()
	desk := e.register("Ana's phone", anaEmail, "301").answer()
	// Ana takes a first call, which lasts beyond the second one.
	first := e.call("first caller", "0215550177", "e2e-busy-agent@sipp", 600, 14*time.Second, 0)
	// SIPp writes its message log only as it ends: watch callroute's log.
	e.eventually("Ana's phone answered the first call", func() bool {
		return strings.Contains(e.srv.stderr.String(), `msg="sip: phone answered" call_id=e2e-busy-agent@sipp`)
	})

	rec := filepath.Join(t.TempDir(), "heard.wav")
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	rep, err := dialer.Dial(ctx, dialer.Options{From: "0215550199", To: "sip:callroute@" + e.sipAddr,
		Tone: 700, Duration: 9500 * time.Millisecond, RingTimeout: 10 * time.Second,
		RTPPorts: e.dialPorts, Record: rec})
	if err != nil {
		t.Fatalf("the queued call failed: %v\n%s", err, rep.Summary())
	}
	t.Logf("queued caller: %s", rep.Summary())
	if rep.FinalStatus != http.StatusOK || rep.HungUp != dialer.HungUpLocal {
		t.Errorf("the queued caller got %d and the call ended %q, want 200 and hung up by the caller", rep.FinalStatus, rep.HungUp)
	}
	// In the queue (the first second after the answer) the caller hears
	// the hold message, not silence.
	heard := readWAV(t, rec)
	if q := audio.Analyze(heard.PCM()[:min(len(heard.PCM()), 8000)]); rep.PacketsReceived < 200 || q.RMSDBFS < -45 {
		t.Errorf("the queued caller got %d packets; the first second after the answer is at %.1f dBFS, want audible",
			rep.PacketsReceived, q.RMSDBFS)
	}

	// The voicemail, through the API: the desk's call-back task names the
	// call, the call is a voicemail, the recording is the caller's tone.
	var task crm.Task
	e.eventually("a call-back task for the desk", func() bool {
		var tasks struct{ Items []crm.Task }
		e.getJSON("/tasks?desk=true&open=true", &tasks)
		for _, tk := range tasks.Items {
			if tk.CallerE164 == "+40215550199" && tk.Kind == crm.TaskCallBack && tk.AssigneeID == 0 {
				task = tk
				return true
			}
		}
		return false
	})
	var it crm.Interaction
	e.getJSON(fmt.Sprintf("/interactions/%d", task.InteractionID), &it)
	r := e.routeOf(it)
	if it.Outcome != crm.OutcomeVoicemail || it.Recording == "" || it.AnsweredBy != 0 {
		t.Errorf("interaction = %+v, want a voicemail with a recording", it)
	}
	for _, s := range r.Steps {
		if s.Stage == "desk" || s.Stage == "owner" {
			t.Errorf("route = %s: the busy agent was offered the call", r)
		}
	}
	if !strings.Contains(r.String(), "queue/0/timeout") || !strings.Contains(r.String(), "voicemail/0/recorded") {
		t.Errorf("route = %s, want the queue timing out, then a voicemail recorded", r)
	}
	code, body, hdr := e.api(fmt.Sprintf("/interactions/%d/recording", it.ID))
	if code != http.StatusOK || hdr.Get("Content-Type") != "audio/wav" {
		t.Fatalf("GET the recording: %d %s %.200s", code, hdr.Get("Content-Type"), body)
	}
	vm, err := wav.Read(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("the recording is not a WAV file: %v", err)
	}
	a := audio.Analyze(vm.PCM())
	if vm.DurationMillis() < 2000 || math.Abs(a.PeakHz-700) > 10 || a.RMSDBFS < -30 {
		t.Errorf("voicemail: %d ms, %.1f Hz at %.1f dBFS; want the caller's 700 Hz for 2 s or more",
			vm.DurationMillis(), a.PeakHz, a.RMSDBFS)
	}

	first.wait()
	desk.wait()
}

func readWAV(t *testing.T, path string) *wav.File {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := wav.Read(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return f
}

// TestCallsCallerHangsUpWhileRinging: the caller hangs up while the
// owner's phone rings (the owner ring time is long): the phone is
// cancelled (CANCEL, 487) and a call-back task for the owner exists, for an
// abandoned call on the client's timeline.
func TestCallsCallerHangsUpWhileRinging(t *testing.T) {
	e := startCalls(t, "--owner-ring-time", "20s")
	t.Parallel()
	ph := e.register("Mihai's phone", mihaiEmail, "201").ringUnanswered()
	const callID = "e2e-caller-cancels@sipp"
	start := time.Now()
	caller := e.startSIPp("Andrei", sippOpts{scenario: "caller_cancel.xml", remote: true,
		args: []string{"-key", "number", andreiNat, "-cid_str", callID, "-d", "1500"}})
	caller.wait()
	ph.wait() // CANCEL came: the phone stopped ringing
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("the phone was cancelled after %v, want soon after the caller's CANCEL", took)
	}

	contact := e.contactOf(andreiNat)
	it, r := e.callOnTimeline(contact, callID)
	if it.Outcome != crm.OutcomeAbandoned || r.EndedBy != "caller" {
		t.Errorf("call = %+v, route %s; want abandoned by the caller", it, r)
	}
	var tasks struct{ Items []crm.Task }
	e.getJSON(fmt.Sprintf("/tasks?contact_id=%d&open=true", contact), &tasks)
	found := false
	for _, tk := range tasks.Items {
		if tk.InteractionID == it.ID {
			found = true
			if tk.Kind != crm.TaskCallBack || tk.AssigneeID != e.users[mihaiEmail] || tk.CallerE164 != andreiE164 {
				t.Errorf("task = %+v, want a call-back for Mihai", tk)
			}
		}
	}
	if !found {
		t.Errorf("no task for the missed call %d among %+v", it.ID, tasks.Items)
	}
}

// TestCallsBadInput: an offer with only G.729 gets 488 and nothing is
// routed or written; a REGISTER with a wrong password is refused and the
// phone is not registered (a call for its user does not reach it); then the
// service still serves a good registration and a good call.
func TestCallsBadInput(t *testing.T) {
	e := startCalls(t)
	t.Parallel()
	contact := e.contactOf(andreiNat)

	g729 := e.startSIPp("G.729 caller", sippOpts{scenario: "caller_g729.xml", remote: true,
		args: []string{"-key", "number", andreiNat, "-cid_str", "e2e-g729@sipp"}})
	g729.wait() // 488 with Warning 305

	e.setSIP(mihaiEmail, "201", "the-right-password")
	bad := e.startSIPp("wrong password", sippOpts{scenario: "register_wrong.xml", remote: true,
		inf: "SEQUENTIAL\n201;127.0.0.1;[authentication username=201 password=a-wrong-password]\n"})
	bad.wait() // 401, then refused again
	// A call for Mihai now: his phone is not registered, so it is not rung.
	// Nobody is free at the desk: the queue answers, the caller hangs up.
	noPhone := e.call("Andrei, no phone", andreiNat, "e2e-not-registered@sipp", 600, 500*time.Millisecond, 0)
	noPhone.wait()
	it, r := e.callOnTimeline(contact, "e2e-not-registered@sipp")
	if it.AnsweredBy != 0 {
		t.Errorf("a phone that failed to register answered: %+v", it)
	}
	for _, s := range r.Steps {
		if s.Device != "" || s.Outcome == "answered" || s.Outcome == "no_answer" {
			t.Errorf("route = %s: a phone rang after a refused REGISTER", r)
		}
	}

	// Still serving: a good REGISTER from the same place and a good call.
	good := e.startSIPp("right password", sippOpts{scenario: "register.xml", remote: true, sipPort: bad.sipPort,
		inf: "SEQUENTIAL\n201;127.0.0.1;[authentication username=201 password=the-right-password]\n"})
	good.wait()
	ph := (&phone{e: e, name: "Mihai's phone", username: "201", port: bad.sipPort}).answer()
	ok := e.call("Andrei", andreiNat, "e2e-after-bad-input@sipp", 600, time.Second, 0)
	ok.wait()
	ph.wait()
	if it, _ := e.callOnTimeline(contact, "e2e-after-bad-input@sipp"); it.AnsweredBy != e.users[mihaiEmail] {
		t.Errorf("the good call after bad input: %+v, want answered by Mihai", it)
	}
	// The G.729 call was refused before routing: never written.
	var tl struct{ Items []crm.Interaction }
	e.getJSON(fmt.Sprintf("/contacts/%d/timeline?limit=50", contact), &tl)
	for _, it := range tl.Items {
		if it.CallID == "e2e-g729@sipp" {
			t.Errorf("the refused G.729 call was routed and written: %+v", it)
		}
	}
}
