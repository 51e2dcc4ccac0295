package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"callroute/crm"
)

// captureAnswer is the answer to POST /calls/{call_id}/capture.
type captureAnswer struct {
	Contact  *crm.Contact     `json:"contact"`
	Company  *crm.Company     `json:"company"`
	Interest *crm.Interest    `json:"interest"`
	Call     *crm.Interaction `json:"call"`
}

// newCallerBody is what the desk types for an unknown caller.
func newCallerBody() map[string]any {
	return map[string]any{
		"name": "Ana Pop", "position": "CFO", "email": "ana.pop@nova.ro", "messenger": "@anapop",
		"phones":       []map[string]string{{"kind": "work", "e164": "021 310 1234"}},
		"company_name": "Nova SRL", "website": "nova.ro", "size": 40, "industry": "logistics",
		"title": "Fleet phones", "need": "30 phones for the drivers", "stage": "new",
		"next_follow_up": time.Now().Add(72 * time.Hour).UTC().Format(time.RFC3339),
	}
}

func callPath(id string) string { return "/calls/" + url.PathEscape(id) }

// TestCallCaptureOverHTTP: the desk agent who answers an unknown caller
// saves them during the call; the call shows on the new contact's
// timeline, survives routing's record at hang-up, and gets its wrap-up.
func TestCallCaptureOverHTTP(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		// SIP Call-IDs may hold "@" and "/": the path carries them escaped.
		const id = "3848276298220188511@pbx/trunk-1"
		f.answer(id, f.agent, "0722 481 305")
		body := newCallerBody()
		body["owner_id"] = f.mgr1.ID
		var res captureAnswer
		f.post(f.agentTok, callPath(id)+"/capture", body).want(http.StatusOK, &res)
		if res.Contact == nil || res.Company == nil || res.Interest == nil || res.Call == nil {
			t.Fatalf("capture answer %+v", res)
		}
		if res.Contact.Name != "Ana Pop" || res.Contact.OwnerID != f.mgr1.ID || len(res.Contact.Phones) != 2 ||
			res.Company.Website != "https://nova.ro" || res.Interest.OwnerID != f.mgr1.ID || res.Call.CallID != id ||
			res.Call.ContactID != res.Contact.ID || res.Call.InterestID != res.Interest.ID || res.Call.AnsweredBy != f.agent.ID {
			t.Errorf("captured %+v / %+v / %+v / %+v", res.Contact, res.Company, res.Interest, res.Call)
		}
		var call crm.Interaction
		f.get(f.agentTok, callPath(id)).want(http.StatusOK, &call)
		if call.ID != res.Call.ID || call.RecordedAt != nil {
			t.Errorf("GET call during the call: %+v", call)
		}
		// The manager who owns the new client sees the call; another does not.
		f.get(f.mgr1Tok, callPath(id)).want(http.StatusOK, nil)
		f.get(f.mgr2Tok, callPath(id)).wantError(http.StatusNotFound, "")

		// Hang-up: routing writes the call (it knew nobody: no links).
		f.hangUp(id)
		_, _, err := f.svc.RecordCall(context.Background(), crm.Interaction{Kind: crm.KindCall, Direction: crm.Inbound,
			CallID: id, CallerE164: "+40722481305", At: time.Now().Add(-2 * time.Minute), UserID: f.agent.ID,
			AnsweredBy: f.agent.ID, Outcome: crm.OutcomeAnswered, TalkSeconds: 130})
		if err != nil {
			t.Fatal(err)
		}
		tl := list[crm.Interaction](t, f.get(f.mgr1Tok, "/contacts/"+itoa(res.Contact.ID)+"/timeline"))
		if len(tl) != 1 || tl[0].CallID != id || tl[0].InterestID != res.Interest.ID || tl[0].TalkSeconds != 130 || tl[0].RecordedAt == nil {
			t.Fatalf("timeline after hang-up: %+v", tl)
		}

		// The wrap-up, after the call: the stored call says who answered.
		due := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Second)
		var wr struct {
			Call crm.Interaction `json:"call"`
			Task *crm.Task       `json:"task"`
		}
		f.post(f.agentTok, callPath(id)+"/wrapup", map[string]any{"note": "Wants a demo", "outcome": "call_back",
			"call_back_at": due.Format(time.RFC3339)}).want(http.StatusOK, &wr)
		if wr.Call.WrapUpNote != "Wants a demo" || wr.Call.WrapUpOutcome != crm.WrapCallBack || wr.Call.TalkSeconds != 130 ||
			wr.Task == nil || wr.Task.AssigneeID != f.mgr1.ID || !wr.Task.Due.Equal(due) {
			t.Errorf("wrap-up %+v task %+v", wr.Call, wr.Task)
		}
		f.post(f.agentTok, callPath(id)+"/wrapup", map[string]any{"outcome": "maybe"}).wantError(http.StatusBadRequest, "outcome")
		f.post(f.agentTok, callPath(id)+"/wrapup", map[string]any{"outcome": "call_back"}).wantError(http.StatusBadRequest, "call_back_at")
		tasks := list[crm.Task](t, f.get(f.mgr1Tok, "/tasks?contact_id="+itoa(res.Contact.ID)))
		if len(tasks) != 1 || tasks[0].ID != wr.Task.ID {
			t.Errorf("the manager's tasks: %+v", tasks)
		}
	})
}

// TestCallCaptureRefusals: bad input is 400 naming the field and saves
// nothing; a stale version is 409 with the file as it is now; only who
// answered, or the head of sales, may capture.
func TestCallCaptureRefusals(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		const id = "refusals@pbx"
		f.answer(id, f.agent, "+40722481305")
		for field, change := range map[string]func(map[string]any){
			"name":           func(b map[string]any) { delete(b, "name") },
			"company_name":   func(b map[string]any) { delete(b, "company_name") },
			"email":          func(b map[string]any) { b["email"] = "ana@" },
			"website":        func(b map[string]any) { b["website"] = "nova" },
			"size":           func(b map[string]any) { b["size"] = "forty" },
			"phones[1].e164": func(b map[string]any) { b["phones"] = []map[string]string{{"e164": "0722111222"}, {"e164": "007"}} },
			"next_follow_up": func(b map[string]any) { b["next_follow_up"] = "2020-01-01T00:00:00Z" },
			"owner_id":       func(b map[string]any) { b["owner_id"] = f.agent.ID },
			"compnay":        func(b map[string]any) { b["compnay"] = "typo" },
		} {
			b := newCallerBody()
			change(b)
			f.post(f.agentTok, callPath(id)+"/capture", b).wantError(http.StatusBadRequest, field)
		}
		if cs := list[crm.Contact](t, f.get(f.headTok, "/contacts")); len(cs) != 0 {
			t.Fatalf("refused captures saved %d contacts", len(cs))
		}
		if cos := list[crm.Company](t, f.get(f.headTok, "/companies")); len(cos) != 0 {
			t.Fatalf("refused captures saved %d companies", len(cos))
		}
		f.get(f.headTok, callPath(id)).wantError(http.StatusNotFound, "")

		// Who may.
		f.post(f.mgr1Tok, callPath(id)+"/capture", newCallerBody()).wantError(http.StatusForbidden, "")
		f.post(f.agentTok, callPath("nobody@pbx")+"/capture", newCallerBody()).wantError(http.StatusNotFound, "")
		f.post(f.agentTok, callPath(id)+"/capture", "").wantError(http.StatusBadRequest, "")
		var res captureAnswer
		f.post(f.headTok, callPath(id)+"/capture", newCallerBody()).want(http.StatusOK, &res)

		// Someone edits the contact; a capture on the old version is 409.
		c := res.Contact
		f.patch(f.headTok, "/contacts/"+itoa(c.ID), map[string]any{"position": "CEO", "version": c.Version}).want(http.StatusOK, nil)
		e := f.post(f.agentTok, callPath(id)+"/capture", map[string]any{"contact_id": c.ID, "contact_version": c.Version,
			"position": "Head of finance", "title": "Insurance"}).wantError(http.StatusConflict, "")
		var cur struct {
			Contact crm.Contact `json:"contact"`
		}
		if err := json.Unmarshal(e.Current, &cur); err != nil || cur.Contact.Position != "CEO" || cur.Contact.Version != c.Version+1 {
			t.Fatalf("409 current %s: %v", e.Current, err)
		}
		if ins := list[crm.Interest](t, f.get(f.headTok, "/interests?contact_id="+itoa(c.ID))); len(ins) != 1 {
			t.Errorf("the conflicting capture made an interest: %d", len(ins))
		}
		got := f.contact(f.headTok, c.ID)
		if got.Position != "CEO" {
			t.Errorf("the conflicting capture changed the contact: %+v", got)
		}
	})
}
