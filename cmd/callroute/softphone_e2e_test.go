package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"callroute/crm"
	"callroute/internal/browsertest"
	"callroute/sip/dialer"
)

// The browser softphone end to end: `callroute serve --demo` in-process
// (calls_e2e_env_test.go), a real headless Chromium (internal/browsertest)
// whose fake microphone plays 440 Hz, and a SIP caller (sip/dialer, what
// `callroute dial` runs) sending 1 kHz and analysing what it hears.

// softphoneArgs give the browser time: a person answers, not a script.
var softphoneArgs = []string{"--owner-ring-time", "20s", "--desk-ring-time", "20s", "--queue-timeout", "40s",
	"--heartbeat-timeout", "3s"}

const demoPassword = "callroute-demo"

// workspaceOff is callroute's log line for a tab with its audio off.
var workspaceOff = regexp.MustCompile(`msg="softphone: tab connected" user_id=\d+ tab=t\d+ audio=false`)

// signIn opens a new user's tab on the workspace, signed in; rawmic turns
// the microphone's processing off so the test tone arrives as it is.
func (e *callEnv) signIn(b *browsertest.Browser, email string) *browsertest.Tab {
	e.t.Helper()
	tab := b.NewTab(e.t)
	tab.InstallAudioProbe()
	tab.Navigate(e.base + "/login?next=" + "%2F%3Frawmic%3D1")
	tab.Fill("login-email", email)
	tab.Fill("login-password", demoPassword)
	tab.Click("login-submit")
	tab.WaitText("current-user", "")
	tab.WaitText("connection-status", "Connected")
	tab.WaitText("presence", "Available")
	return tab
}

// dialCall places a call from number, sending hz for up to talk, in the
// background; the result arrives on the channel.
type dialResult struct {
	rep *dialer.Report
	err error
}

func (e *callEnv) dialCall(number string, hz float64, talk time.Duration) <-chan dialResult {
	out := make(chan dialResult, 1)
	ctx, cancel := context.WithTimeout(context.Background(), talk+60*time.Second)
	e.t.Cleanup(cancel)
	go func() {
		rep, err := dialer.Dial(ctx, dialer.Options{From: number, To: "sip:callroute@" + e.sipAddr,
			Tone: hz, Duration: talk, RingTimeout: 45 * time.Second, RTPPorts: e.dialPorts})
		out <- dialResult{rep, err}
	}()
	return out
}

func waitDial(t *testing.T, ch <-chan dialResult) *dialer.Report {
	t.Helper()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatalf("the SIP caller: %v (%s)", r.err, r.rep.Summary())
		}
		return r.rep
	case <-time.After(90 * time.Second):
		t.Fatal("the SIP caller did not finish")
	}
	return nil
}

// TestSoftphoneNewCallerIsRecorded is the first browser test: an
// unknown number calls with a 1 kHz tone; the desk agent, signed in,
// sees it ring as a new caller, answers, hears about 1 kHz while the caller
// hears the browser's 440 Hz, fills name and company (and the need) in the
// screen pop, saves and hangs up; the API then shows the new contact,
// company and interest, with the call on the contact's timeline.
func TestSoftphoneNewCallerIsRecorded(t *testing.T) {
	e := startCalls(t, softphoneArgs...)
	b := browsertest.Start(t, browsertest.Options{MicHz: 440})
	ana := e.signIn(b, anaEmail)

	const number, e164 = "0215550123", "+40215550123"
	call := e.dialCall(number, 1000, 60*time.Second)
	ana.WaitVisible("incoming-call")
	ana.WaitText("caller-name", "New caller")
	ana.WaitText("caller-number", "021 555 0123")
	ana.WaitVisible("new-caller")
	ana.DocScreenshot("softphone-ringing")

	ana.Click("answer")
	ana.WaitVisible("in-call")
	ana.WithTimeout(15*time.Second).WaitHearing(1000, 15, -50)

	ana.Fill("capture-name", "Ioana Vlad")
	ana.Fill("capture-company", "Delta Print SRL")
	ana.Fill("capture-position", "Office manager")
	ana.Fill("capture-title", "Label printers for two warehouses")
	ana.Fill("capture-need", "Wants a quote for 4 label printers")
	ana.Click("capture-save")
	ana.WaitText("capture-status", "Saved")
	ana.DocScreenshot("softphone-in-call")

	ana.Click("hangup")
	rep := waitDial(t, call)
	if rep.HungUp != dialer.HungUpRemote {
		t.Errorf("the call ended %q, want hung up by the agent", rep.HungUp)
	}
	if hz := rep.Heard.FrequencyHz; math.Abs(hz-440) > 10 || rep.Heard.RMSDBFS < -40 {
		t.Errorf("the caller heard %s, want the browser's 440 Hz", rep.Heard)
	}
	ana.WaitVisible("wrap-up")
	ana.Select("wrapup-outcome", "interested")
	ana.Fill("wrapup-note", "Sends the warehouse sizes by mail")
	ana.Click("wrapup-save")
	ana.WaitText("wrapup-status", "Saved")
	ana.Click("ready")
	if v := ana.CSPViolations(); len(v) > 0 {
		t.Errorf("Content-Security-Policy violations during the call: %s", strings.Join(v, "; "))
	}

	// The client base now knows the caller, with the call on the timeline.
	var file crm.CallerFile
	e.getJSON("/callers/"+number, &file)
	if file.Contact == nil || file.Contact.Name != "Ioana Vlad" || file.Company == nil || file.Company.Name != "Delta Print SRL" {
		t.Fatalf("after the call the number belongs to %+v at %+v", file.Contact, file.Company)
	}
	if len(file.OpenInterests) != 1 || file.OpenInterests[0].Title != "Label printers for two warehouses" {
		t.Fatalf("open interests %+v", file.OpenInterests)
	}
	it := e.waitTimelineCall(file.Contact.ID, func(it crm.Interaction) bool { return it.CallerE164 == e164 })
	if it.AnsweredBy != e.users[anaEmail] || it.InterestID != file.OpenInterests[0].ID || it.Outcome != crm.OutcomeAnswered {
		t.Errorf("the call on the timeline: %+v", it)
	}
	if it.WrapUpNote != "Sends the warehouse sizes by mail" {
		t.Errorf("the wrap-up note %q", it.WrapUpNote)
	}
	if r := e.routeOf(it); len(r.Steps) == 0 || r.Steps[len(r.Steps)-1].Device != "browser" {
		t.Errorf("route %s, want answered on the browser", r)
	}
}

// TestSoftphoneKnownClientPopsTheirFile: Andrei calls; his owner Mihai's
// browser rings with Andrei's file and his open interest; Mihai answers
// and both hear each other.
func TestSoftphoneKnownClientPopsTheirFile(t *testing.T) {
	e := startCalls(t, softphoneArgs...)
	b := browsertest.Start(t, browsertest.Options{MicHz: 440})
	mihai := e.signIn(b, mihaiEmail)

	var file crm.CallerFile
	e.getJSON("/callers/"+andreiNat, &file)
	if len(file.OpenInterests) == 0 {
		t.Fatal("the demo's Andrei has no open interest")
	}
	call := e.dialCall(andreiNat, 1000, 60*time.Second)
	mihai.WaitVisible("incoming-call")
	mihai.WaitText("caller-name", "Andrei Mureșan")
	mihai.WaitText("screenpop-name", "Andrei Mureșan")
	mihai.WaitText("screenpop-company", "Transilvania Logistics SRL")
	mihai.WaitText("screenpop-interests", file.OpenInterests[0].Title)
	mihai.Click("answer")
	mihai.WithTimeout(15*time.Second).WaitHearing(1000, 15, -50)
	// How long the agent waits for the media (the issue asks for under a
	// second; measured, not asserted: a loaded machine is slower).
	var marks struct{ Answer, Connected float64 }
	mihai.Eval(`window.callroute.marks`, &marks)
	t.Logf("answer click to media connected: %.0f ms", marks.Connected-marks.Answer)
	mihai.DocScreenshot("softphone-known-client")
	mihai.Click("hangup")
	rep := waitDial(t, call)
	if hz := rep.Heard.FrequencyHz; math.Abs(hz-440) > 10 {
		t.Errorf("the caller heard %s, want the browser's 440 Hz", rep.Heard)
	}
}

// TestSoftphoneTwoTabsAndADeadOne: both of Mihai's tabs ring, the second
// answers and the first stops ringing; then one tab freezes (its heartbeats
// stop) and the other is closed: after the heartbeat timeout Mihai is
// offline, and his next client's call is not rung on a dead browser.
func TestSoftphoneTwoTabsAndADeadOne(t *testing.T) {
	e := startCalls(t, softphoneArgs...)
	b := browsertest.Start(t, browsertest.Options{MicHz: 440})
	first := e.signIn(b, mihaiEmail)
	second := first.NewTab(t)
	second.InstallAudioProbe()
	second.Navigate(e.base + "/?rawmic=1")
	second.WaitText("connection-status", "Connected")

	call := e.dialCall(andreiNat, 1000, 60*time.Second)
	first.WaitVisible("incoming-call")
	second.WaitVisible("incoming-call")
	second.Click("answer")
	second.WithTimeout(15*time.Second).WaitHearing(1000, 15, -50)
	first.WaitText("notice", "Answered elsewhere")
	first.WaitFunc(`document.querySelector('[data-testid="incoming-call"]').hidden`)
	second.Click("hangup")
	waitDial(t, call)

	first.Freeze()
	second.Close()
	// The heartbeat timeout is 3 s: wait for what the server says, on its
	// log, rather than for a time.
	e.eventually("the frozen tab closed by the heartbeat", func() bool {
		return strings.Contains(e.srv.stderr.String(), `msg="softphone: tab stopped answering heartbeats"`)
	})
	rep := waitDial(t, e.dialCall(andreiNat, 1000, 2*time.Second))
	first.Thaw()
	_ = rep
	var tl struct{ Items []crm.Interaction }
	e.getJSON(fmt.Sprintf("/contacts/%d/timeline?limit=5", e.contactOf(andreiNat)), &tl)
	if len(tl.Items) == 0 {
		t.Fatal("no call on Andrei's timeline")
	}
	r := e.routeOf(tl.Items[0])
	if len(r.Steps) == 0 || r.Steps[0].Stage != "owner" || r.Steps[0].Outcome != "offline" {
		t.Fatalf("route of the call after the tabs died: %s, want the owner skipped as offline", r)
	}
}

// waitTimelineCall waits until the contact's timeline has a call matching
// ok with routing's record written (an answered outcome), and returns it.
func (e *callEnv) waitTimelineCall(contactID int64, ok func(crm.Interaction) bool) crm.Interaction {
	e.t.Helper()
	var found crm.Interaction
	e.eventually("the call on the timeline", func() bool {
		var tl struct{ Items []crm.Interaction }
		if code, _, _ := e.api(fmt.Sprintf("/contacts/%d/timeline?limit=20", contactID)); code != http.StatusOK {
			return false
		}
		e.getJSON(fmt.Sprintf("/contacts/%d/timeline?limit=20", contactID), &tl)
		for _, it := range tl.Items {
			if it.Kind == crm.KindCall && ok(it) && it.RecordedAt != nil {
				found = it
				return true
			}
		}
		return false
	})
	return found
}

// TestSoftphoneWorkspaceForADeskPhone: Ana takes calls on her SIP desk
// phone, with her browser workspace open and its audio off. The browser
// does not ring (it is not a device), but when she answers on the phone the
// workspace shows the new caller's card and the capture form, so the desk's
// rule "always ask name and company" holds whatever phone she uses; what she
// saves lands on the new contact.
func TestSoftphoneWorkspaceForADeskPhone(t *testing.T) {
	e := startCalls(t, softphoneArgs...)
	b := browsertest.Start(t, browsertest.Options{MicHz: 440})
	ana := e.signIn(b, anaEmail)
	ana.Click("settings")
	ana.Click("audio-toggle") // calls ring on the desk phone only
	ana.WaitText("connection-status", "Connected")
	e.eventually("the workspace reconnected with its audio off", func() bool {
		return workspaceOff.MatchString(e.srv.stderr.String())
	})
	desk := e.register("Ana's desk phone", anaEmail, "301").answer()

	const number = "0215550177"
	call := e.dialCall(number, 1000, 6*time.Second)
	ana.WaitVisible("in-call")
	ana.WaitText("call-device", "desk phone")
	ana.WaitVisible("new-caller")
	var rang bool
	ana.Eval(`window.callroute.state.ring !== null || !document.querySelector('[data-testid="incoming-call"]').hidden`, &rang)
	if rang {
		t.Error("a workspace with its audio off rang")
	}
	ana.Fill("capture-name", "Radu Enache")
	ana.Fill("capture-company", "Enache Transport SRL")
	ana.Click("capture-save")
	ana.WaitText("capture-status", "Saved")
	ana.DocScreenshot("workspace-desk-phone")
	waitDial(t, call)
	desk.wait()
	ana.WaitVisible("wrap-up")

	var file crm.CallerFile
	e.getJSON("/callers/"+number, &file)
	if file.Contact == nil || file.Contact.Name != "Radu Enache" || file.Company == nil || file.Company.Name != "Enache Transport SRL" {
		t.Fatalf("the number belongs to %+v at %+v", file.Contact, file.Company)
	}
	it := e.waitTimelineCall(file.Contact.ID, func(crm.Interaction) bool { return true })
	if r := e.routeOf(it); it.AnsweredBy != e.users[anaEmail] || len(r.Steps) == 0 || !strings.HasPrefix(r.Steps[len(r.Steps)-1].Device, "sip:301@") {
		t.Errorf("the call %+v, route %s: want answered by Ana on her desk phone", it, r)
	}
}

// TestSoftphoneHoldAndTransferToTheDesk: Mihai answers his client Andrei,
// puts him on hold and back, then transfers him to the desk: Mihai's call
// ends (transferred), Ana's browser rings with Andrei's file, she answers
// and hears him; the record has both answers.
func TestSoftphoneHoldAndTransferToTheDesk(t *testing.T) {
	e := startCalls(t, softphoneArgs...)
	b := browsertest.Start(t, browsertest.Options{MicHz: 440})
	mihai := e.signIn(b, mihaiEmail)
	ana := e.signIn(b, anaEmail)

	call := e.dialCall(andreiNat, 1000, 60*time.Second)
	mihai.WaitVisible("incoming-call")
	mihai.Click("answer")
	mihai.WithTimeout(15*time.Second).WaitHearing(1000, 15, -50)
	mihai.Click("hold")
	mihai.WaitText("call-state", "On hold")
	mihai.WaitSilence(-60) // on hold the agent hears nothing
	mihai.Click("hold")
	mihai.WaitText("hold", "Hold")
	mihai.WithTimeout(15*time.Second).WaitHearing(1000, 15, -50)

	mihai.Select("transfer-to", "0") // the inbound desk
	mihai.Click("transfer")
	mihai.WaitVisible("wrap-up")
	mihai.WaitText("wrapup-reason", "Transferred")
	ana.WaitVisible("incoming-call")
	ana.WaitText("caller-name", "Andrei Mureșan")
	ana.Click("answer")
	ana.WithTimeout(15*time.Second).WaitHearing(1000, 15, -50)
	ana.Click("hangup")
	rep := waitDial(t, call)
	if hz := rep.Heard.FrequencyHz; math.Abs(hz-440) > 10 {
		t.Errorf("the caller heard %s, want the browsers' 440 Hz", rep.Heard)
	}

	it := e.waitTimelineCall(e.contactOf(andreiNat), func(it crm.Interaction) bool { return it.CallID == rep.CallID })
	r := e.routeOf(it)
	if it.AnsweredBy != e.users[anaEmail] || !strings.Contains(r.String(), "owner/"+fmt.Sprint(e.users[mihaiEmail])+"/answered") ||
		!strings.Contains(r.String(), "desk/"+fmt.Sprint(e.users[anaEmail])+"/answered") {
		t.Errorf("the call %+v, route %s: want answered by Mihai, then by Ana at the desk", it, r)
	}
}

// TestSoftphoneCaptureConflict: while Mihai talks to Andrei, the head of
// sales changes Andrei's position; Mihai's save of another position is not
// written over it silently: the form shows the conflict with what is
// stored now, and only his explicit "save my values" writes his.
func TestSoftphoneCaptureConflict(t *testing.T) {
	e := startCalls(t, softphoneArgs...)
	b := browsertest.Start(t, browsertest.Options{MicHz: 440})
	mihai := e.signIn(b, mihaiEmail)

	call := e.dialCall(andreiNat, 1000, 60*time.Second)
	mihai.WaitVisible("incoming-call")
	mihai.Click("answer")
	mihai.WaitVisible("in-call")
	mihai.WaitVisible("capture-form")

	// The head of sales edits the contact meanwhile.
	id := e.contactOf(andreiNat)
	var c crm.Contact
	e.getJSON(fmt.Sprintf("/contacts/%d", id), &c)
	e.send(http.MethodPatch, fmt.Sprintf("/contacts/%d", id), map[string]any{"version": c.Version, "position": "Logistics director"})

	mihai.Fill("capture-position", "Chief operations officer")
	mihai.Click("capture-save")
	mihai.WaitVisible("capture-conflict")
	mihai.WaitText("capture-conflict", "Logistics director")
	mihai.DocScreenshot("softphone-conflict")
	e.getJSON(fmt.Sprintf("/contacts/%d", id), &c)
	if c.Position != "Logistics director" {
		t.Fatalf("the conflicting save wrote %q", c.Position)
	}
	mihai.Click("conflict-keep-mine")
	mihai.WaitText("capture-status", "Saved")
	e.getJSON(fmt.Sprintf("/contacts/%d", id), &c)
	if c.Position != "Chief operations officer" {
		t.Fatalf("after keeping his values the position is %q", c.Position)
	}
	mihai.Click("hangup")
	waitDial(t, call)
}

// send does a request with a JSON body as the demo head of sales and fails
// the test unless it succeeds.
func (e *callEnv) send(method, path string, body any) {
	e.t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		e.t.Fatal(err)
	}
	req, err := http.NewRequest(method, e.base+"/api/v1"+path, bytes.NewReader(b))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		out, _ := io.ReadAll(resp.Body)
		e.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, out)
	}
}
