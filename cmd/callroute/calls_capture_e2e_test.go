package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"callroute/crm"
)

// TestCallsCaptureDuringTheCall: an unknown caller reaches Ana's desk
// phone; while they talk, Ana saves who it is (serve tells the API that she
// answered the live call). Vlad, who did not answer, may not. After the
// hang-up the call is on the new contact's timeline, with routing's talk
// time and the interest Ana opened.
func TestCallsCaptureDuringTheCall(t *testing.T) {
	e := startCalls(t)
	t.Parallel()
	anaTok := e.tokenOf(anaEmail)
	vladTok := e.tokenOf(vladEmail)
	const callID = "e2e-capture@sipp"
	desk := e.register("Ana's phone", anaEmail, "301").answer()
	caller := e.call("new caller", "0215550177", callID, 600, 4*time.Second, 0)

	body := map[string]any{"name": "Dana Ene", "company_name": "Ene Transport SRL", "title": "Phones for the drivers"}
	var saved struct {
		Contact  crm.Contact     `json:"contact"`
		Interest crm.Interest    `json:"interest"`
		Call     crm.Interaction `json:"call"`
	}
	// Until the call is answered it cannot be captured (404, then 403).
	e.eventually("Ana can capture the call she answered", func() bool {
		code, b := e.post(anaTok, "/calls/"+callID+"/capture", body)
		if code == http.StatusOK {
			if err := json.Unmarshal(b, &saved); err != nil {
				t.Fatalf("capture answer %s: %v", b, err)
			}
		}
		return code == http.StatusOK
	})
	if saved.Call.RecordedAt != nil || saved.Call.AnsweredBy != e.users[anaEmail] || saved.Call.CallerE164 != "+40215550177" {
		t.Errorf("the call as the capture started it: %+v", saved.Call)
	}
	if code, b := e.post(vladTok, "/calls/"+callID+"/capture", body); code != http.StatusForbidden {
		t.Errorf("Vlad, who did not answer: %d %s", code, b)
	}
	caller.wait()
	desk.wait()

	it, _ := e.callOnTimeline(saved.Contact.ID, callID)
	e.eventually("routing's record lands on the captured call", func() bool {
		var c crm.Interaction
		e.getJSON("/calls/"+callID, &c)
		it = c
		return c.RecordedAt != nil
	})
	if it.ID != saved.Call.ID || it.InterestID != saved.Interest.ID || it.TalkSeconds < 3 || it.Outcome != crm.OutcomeAnswered {
		t.Errorf("the call after hang-up: %+v", it)
	}
}

// tokenOf makes an API token for a demo user with the command line, on
// serve's database.
func (e *callEnv) tokenOf(email string) string {
	e.t.Helper()
	r := run(e.t, e.env, "", "user", "token", email)
	if r.code != exitOK {
		e.t.Fatalf("user token %s: exit %d: %s", email, r.code, r.stderr)
	}
	return strings.TrimSpace(r.stdout)
}

// post sends a JSON POST to the REST API with a token.
func (e *callEnv) post(token, path string, body any) (int, []byte) {
	e.t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		e.t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, e.base+"/api/v1"+path, bytes.NewReader(b))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("POST %s: %v", path, err)
	}
	return resp.StatusCode, out
}
