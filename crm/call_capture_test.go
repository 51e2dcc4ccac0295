package crm_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"callroute/crm"
	"callroute/crm/sqlstore"
	"callroute/internal/testdb"
)

// env is a client base on a fresh database with a head of sales, two
// managers and two desk agents.
type env struct {
	t                               *testing.T
	ctx                             context.Context
	svc                             *crm.Service
	head, mgr1, mgr2, agent, agent2 *crm.User
}

// each runs fn on every backend, in parallel with other tests, with a
// fresh env.
func each(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	t.Parallel()
	testdb.Each(t, func(t *testing.T, url string) {
		t.Parallel()
		fn(t, newEnv(t, url))
	})
}

func newEnv(t *testing.T, url string) *env {
	t.Helper()
	ctx := context.Background()
	store, err := sqlstore.Open(ctx, url)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { store.Close() })
	phones, err := crm.NewPhoneParser("RO")
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, ctx: ctx, svc: crm.NewService(store, phones)}
	e.head = e.user("head@example.com", crm.RoleHead)
	e.mgr1 = e.user("mara@example.com", crm.RoleManager)
	e.mgr2 = e.user("matei@example.com", crm.RoleManager)
	e.agent = e.user("ana@example.com", crm.RoleAgent)
	e.agent2 = e.user("alex@example.com", crm.RoleAgent)
	return e
}

func (e *env) user(email string, role crm.Role) *crm.User {
	e.t.Helper()
	u, err := e.svc.CreateUser(e.ctx, crm.System, crm.NewUser{Email: email, Name: email, Role: role})
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

func as(u *crm.User) crm.Actor { return crm.ActorOf(u) }

func ptr[T any](v T) *T { return &v }

func live(u *crm.User, caller string) *crm.LiveCall {
	return &crm.LiveCall{AnsweredBy: u.ID, Caller: caller}
}

// newCaller is the capture of an unknown caller the desk takes: name,
// company and the rest.
func newCaller(callID string, l *crm.LiveCall) crm.CallCapture {
	return crm.CallCapture{CallID: callID, Live: l,
		Name: ptr("Ana Pop"), Position: ptr("CFO"), Email: ptr("Ana.Pop@Nova.ro"), Messenger: ptr("@anapop"),
		Phones:      []crm.Phone{{Kind: crm.PhoneWork, E164: "021 310 1234"}},
		CompanyName: ptr("Nova SRL"), Website: ptr("nova.ro"), Size: ptr(40), Industry: ptr("logistics"),
		Title: ptr("Fleet phones"), Need: ptr("30 phones for the drivers"), Stage: ptr(crm.StageMeeting),
		NextFollowUp: ptr(time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)),
	}
}

// routed is routing's record of an answered inbound call from an unknown
// number (no links: the lookup found nobody).
func routed(callID, caller string, answeredBy int64, at time.Time) crm.Interaction {
	return crm.Interaction{Kind: crm.KindCall, Direction: crm.Inbound, CallID: callID, CallerE164: caller, At: at,
		UserID: answeredBy, AnsweredBy: answeredBy, Outcome: crm.OutcomeAnswered, RingSeconds: 4, TalkSeconds: 95,
		Route: json.RawMessage(`{"steps":[{"to":"desk","result":"answered"}]}`)}
}

func (e *env) capture(a crm.Actor, in crm.CallCapture) *crm.CaptureResult {
	e.t.Helper()
	res, err := e.svc.SaveCallCapture(e.ctx, a, in)
	if err != nil {
		e.t.Fatalf("SaveCallCapture: %v", err)
	}
	return res
}

func (e *env) record(it crm.Interaction) (*crm.Interaction, *crm.Task) {
	e.t.Helper()
	got, task, err := e.svc.RecordCall(e.ctx, it)
	if err != nil {
		e.t.Fatalf("RecordCall: %v", err)
	}
	return got, task
}

func (e *env) call(callID string) *crm.Interaction {
	e.t.Helper()
	it, err := e.svc.Call(e.ctx, crm.System, callID)
	if err != nil {
		e.t.Fatalf("Call %s: %v", callID, err)
	}
	return it
}

func (e *env) timeline(contactID int64) []crm.Interaction {
	e.t.Helper()
	tl, err := e.svc.Timeline(e.ctx, crm.System, contactID, 50)
	if err != nil {
		e.t.Fatal(err)
	}
	return tl
}

func (e *env) changes(ent crm.Entity, id int64) []string {
	e.t.Helper()
	ch, err := e.svc.History(e.ctx, crm.System, ent, id)
	if err != nil {
		e.t.Fatal(err)
	}
	var actions []string
	for _, c := range ch {
		actions = append(actions, c.Action)
	}
	return actions
}

// empty fails unless the base has no client records and no call callID.
func (e *env) empty(callID string) {
	e.t.Helper()
	cs, _ := e.svc.Contacts(e.ctx, crm.System, crm.ContactFilter{})
	cos, _ := e.svc.Companies(e.ctx, crm.System, crm.CompanyFilter{})
	ins, _ := e.svc.Interests(e.ctx, crm.System, crm.InterestFilter{})
	if len(cs)+len(cos)+len(ins) != 0 {
		e.t.Fatalf("something was saved: %d contacts, %d companies, %d interests", len(cs), len(cos), len(ins))
	}
	if _, err := e.svc.Call(e.ctx, crm.System, callID); !errors.Is(err, crm.ErrNotFound) {
		e.t.Fatalf("call %s was written: %v", callID, err)
	}
}

func fieldOf(err error) string {
	var fe *crm.FieldError
	if errors.As(err, &fe) {
		return fe.Field
	}
	return ""
}

// TestCaptureBeforeRecord: the desk saves a new caller during the call;
// routing's record at hang-up lands on the same row, keeps what the desk
// set, and a retried record changes nothing.
func TestCaptureBeforeRecord(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		const id = "a84b4c76e66710@pbx.example.com"
		arrived := time.Now().Add(-3 * time.Minute).UTC().Truncate(time.Second)
		in := newCaller(id, live(e.agent, "0722 481 305"))
		in.OwnerID = &e.mgr1.ID
		res := e.capture(as(e.agent), in)

		c, co, it, call := res.Contact, res.Company, res.Interest, res.Call
		if c.ID == 0 || c.Name != "Ana Pop" || c.Email != "ana.pop@nova.ro" || c.CompanyID != co.ID || c.OwnerID != e.mgr1.ID {
			t.Fatalf("contact %+v", c)
		}
		wantPhones := []crm.Phone{{Kind: crm.PhoneWork, E164: "+40213101234"}, {Kind: crm.PhoneMobile, E164: "+40722481305"}}
		if !slices.Equal(c.Phones, wantPhones) {
			t.Errorf("phones %+v, want the ones given and the number that called: %+v", c.Phones, wantPhones)
		}
		if co.Name != "Nova SRL" || co.Website != "https://nova.ro" || co.Size != 40 || co.Industry != "logistics" || co.OwnerID != e.mgr1.ID {
			t.Errorf("company %+v", co)
		}
		if it.Title != "Fleet phones" || it.Stage != crm.StageMeeting || it.OwnerID != e.mgr1.ID || it.ContactID != c.ID ||
			it.CompanyID != co.ID || it.NextFollowUp == nil || !it.NextFollowUp.Equal(*in.NextFollowUp) {
			t.Errorf("interest %+v", it)
		}
		if call.CallID != id || call.ContactID != c.ID || call.InterestID != it.ID || call.AnsweredBy != e.agent.ID ||
			call.Outcome != crm.OutcomeAnswered || call.RecordedAt != nil || call.CallerE164 != "+40722481305" {
			t.Errorf("call started by the capture %+v", call)
		}
		// The caller is now known: the next call finds them, owned by the manager.
		info, err := e.svc.LookupCaller(e.ctx, "+40722481305")
		if err != nil || info.Contact == nil || info.Contact.ID != c.ID || info.Owner == nil || info.Owner.ID != e.mgr1.ID {
			t.Fatalf("lookup after the capture: %+v %v", info, err)
		}

		// Hang-up: routing's record, which knows no contact, merges in.
		got, task := e.record(routed(id, "+40722481305", e.agent.ID, arrived))
		if task != nil {
			t.Errorf("an answered call got a task %+v", task)
		}
		if got.ID != call.ID || got.ContactID != c.ID || got.CompanyID != co.ID || got.InterestID != it.ID {
			t.Errorf("the record lost the capture's links: %+v", got)
		}
		if got.TalkSeconds != 95 || got.RingSeconds != 4 || !got.At.Equal(arrived) || got.RecordedAt == nil || len(got.Route) == 0 {
			t.Errorf("routing's fields not taken: %+v", got)
		}
		// A retried record (the answer to the first was lost) changes nothing.
		retry := routed(id, "+40722481305", e.agent.ID, arrived.Add(time.Minute))
		retry.TalkSeconds = 1
		if again, _ := e.record(retry); again.ID != call.ID || again.TalkSeconds != 95 || again.InterestID != it.ID {
			t.Errorf("a retried record changed the call: %+v", again)
		}

		tl := e.timeline(c.ID)
		if len(tl) != 1 || tl[0].CallID != id || tl[0].InterestID != it.ID || tl[0].TalkSeconds != 95 {
			t.Fatalf("the new contact's timeline: %+v", tl)
		}
		if got := e.changes(crm.EntityInteraction, call.ID); !slices.Equal(got, []string{"capture", "record"}) {
			t.Errorf("the call's change log: %v", got)
		}
		for ent, id := range map[crm.Entity]int64{crm.EntityContact: c.ID, crm.EntityCompany: co.ID, crm.EntityInterest: it.ID} {
			if got := e.changes(ent, id); !slices.Equal(got, []string{"create"}) {
				t.Errorf("%s change log: %v", ent, got)
			}
		}
		after, err := e.svc.Interest(e.ctx, crm.System, it.ID)
		if err != nil || after.Version != 1 || after.LastActivityAt.Before(arrived) {
			t.Errorf("interest after the record: %+v %v (the call moves activity, never the version)", after, err)
		}
	})
}

// TestRecordBeforeCapture: routing wrote the call first (the capture was
// saved after hang-up); the capture attaches the same row, and a late
// retried record keeps the links.
func TestRecordBeforeCapture(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		const id = "late-capture@pbx"
		arrived := time.Now().Add(-10 * time.Minute).UTC().Truncate(time.Second)
		first, _ := e.record(routed(id, "+40722481305", e.agent.ID, arrived))
		// The call is over: no live state; the record says who answered.
		res := e.capture(as(e.agent), newCaller(id, nil))
		if res.Call.ID != first.ID || res.Call.ContactID != res.Contact.ID || res.Call.InterestID != res.Interest.ID {
			t.Fatalf("capture did not attach the recorded call: %+v", res.Call)
		}
		if res.Call.TalkSeconds != 95 || !res.Call.At.Equal(arrived) || res.Call.RecordedAt == nil {
			t.Errorf("the capture changed routing's fields: %+v", res.Call)
		}
		if !hasPhone(res.Contact.Phones, "+40722481305") {
			t.Errorf("the number that called (from the record) is not on the contact: %+v", res.Contact.Phones)
		}
		again, _ := e.record(routed(id, "+40722481305", e.agent.ID, arrived))
		if again.ContactID != res.Contact.ID || again.InterestID != res.Interest.ID {
			t.Errorf("a retried record dropped the links: %+v", again)
		}
		if tl := e.timeline(res.Contact.ID); len(tl) != 1 || tl[0].ID != first.ID {
			t.Errorf("timeline %+v", tl)
		}
	})
}

func hasPhone(ps []crm.Phone, e164 string) bool {
	return slices.ContainsFunc(ps, func(p crm.Phone) bool { return p.E164 == e164 })
}

// TestCaptureKnownCaller: routing links a known caller's call to the
// interest the lookup found; the answerer opens a new need instead, and the
// call follows the person's choice, also through a late record.
func TestCaptureKnownCaller(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		head := as(e.head)
		c, err := e.svc.CreateContact(e.ctx, head, crm.ContactPatch{Name: ptr("Ion Pop"), CompanyName: ptr("Acme SRL"),
			OwnerID: &e.mgr1.ID, Phones: &[]crm.Phone{{Kind: crm.PhoneMobile, E164: "+40731000001"}}})
		if err != nil {
			t.Fatal(err)
		}
		old, err := e.svc.CreateInterest(e.ctx, head, crm.InterestPatch{ContactID: &c.ID, Title: ptr("Toner")})
		if err != nil {
			t.Fatal(err)
		}
		const id = "known@pbx"
		// The manager took the call; the capture is saved after routing's record.
		r := routed(id, "+40731000001", e.mgr1.ID, time.Now().Add(-time.Minute))
		r.ContactID, r.CompanyID, r.InterestID = c.ID, c.CompanyID, old.ID
		e.record(r)

		res := e.capture(as(e.mgr1), crm.CallCapture{CallID: id, ContactID: c.ID, ContactVersion: &c.Version,
			Position: ptr("Buyer"), Title: ptr("Printers for the new office")})
		if res.Interest.ID == old.ID || res.Interest.OwnerID != e.mgr1.ID || res.Call.InterestID != res.Interest.ID {
			t.Fatalf("new interest %+v on call %+v", res.Interest, res.Call)
		}
		if res.Contact.Position != "Buyer" || res.Contact.Version != 2 || res.Company.ID != c.CompanyID || len(res.Contact.Phones) != 1 {
			t.Errorf("contact %+v", res.Contact)
		}
		e.record(r) // retried, with the lookup's interest
		if got := e.call(id); got.InterestID != res.Interest.ID {
			t.Errorf("the record put the call back on interest %d", got.InterestID)
		}
	})
}

// TestCaptureValidation: a bad capture is a FieldError naming the JSON
// field, and nothing is saved.
func TestCaptureValidation(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		const id = "bad@pbx"
		l := live(e.agent, "+40722481305")
		for _, tc := range []struct {
			field  string
			change func(*crm.CallCapture)
		}{
			{"name", func(c *crm.CallCapture) { c.Name = nil }},
			{"name", func(c *crm.CallCapture) { c.Name = ptr("   ") }},
			{"company_name", func(c *crm.CallCapture) { c.CompanyName = nil }},
			{"company_name", func(c *crm.CallCapture) { c.CompanyName = ptr("") }},
			{"email", func(c *crm.CallCapture) { c.Email = ptr("ana at nova") }},
			{"website", func(c *crm.CallCapture) { c.Website = ptr("not a site") }},
			{"size", func(c *crm.CallCapture) { c.Size = ptr(-1) }},
			{"phones[1].e164", func(c *crm.CallCapture) { c.Phones = append(c.Phones, crm.Phone{E164: "12"}) }},
			{"phones[0].kind", func(c *crm.CallCapture) { c.Phones[0].Kind = crm.PhoneSwitchboard }},
			{"stage", func(c *crm.CallCapture) { c.Stage = ptr(crm.Stage("maybe")) }},
			{"lost_reason", func(c *crm.CallCapture) { c.Stage = ptr(crm.StageLost) }},
			{"next_follow_up", func(c *crm.CallCapture) { c.NextFollowUp = ptr(time.Now().Add(-time.Hour)) }},
			{"owner_id", func(c *crm.CallCapture) { c.OwnerID = &e.agent2.ID }},
			{"owner_id", func(c *crm.CallCapture) { c.OwnerID = ptr(int64(99999)) }},
			{"contact_id", func(c *crm.CallCapture) { c.ContactID = 99999 }},
			{"company_id", func(c *crm.CallCapture) { c.CompanyID = 99999 }},
			{"interest_id", func(c *crm.CallCapture) { c.InterestID = 99999 }},
		} {
			in := newCaller(id, l)
			tc.change(&in)
			_, err := e.svc.SaveCallCapture(e.ctx, as(e.agent), in)
			if fieldOf(err) != tc.field {
				t.Errorf("want a FieldError on %s, got %v", tc.field, err)
			}
		}
		e.empty(id)
	})
}

// TestCaptureConflicts: a stale version, or a value given without one that
// differs from the file, is a conflict with the file as it is now, and
// nothing changes.
func TestCaptureConflicts(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		first := e.capture(as(e.agent), newCaller("one@pbx", live(e.agent, "+40722481305")))
		c := first.Contact
		// A manager edits the contact meanwhile.
		if _, err := e.svc.UpdateContact(e.ctx, as(e.head), c.ID, crm.ContactPatch{Position: ptr("CEO"), Version: &c.Version}); err != nil {
			t.Fatal(err)
		}
		stale := crm.CallCapture{CallID: "two@pbx", Live: live(e.agent, "+40722481305"), ContactID: c.ID,
			ContactVersion: &c.Version, Position: ptr("Head of finance"), Title: ptr("Insurance")}
		_, err := e.svc.SaveCallCapture(e.ctx, as(e.agent), stale)
		var ce *crm.CaptureConflictError
		if !errors.As(err, &ce) || !errors.Is(err, crm.ErrConflict) {
			t.Fatalf("stale version: %v, want a CaptureConflictError", err)
		}
		if !slices.Equal(ce.Stale, []string{"contact"}) || ce.Current.Contact == nil || ce.Current.Contact.Position != "CEO" ||
			ce.Current.Contact.Version != 2 || ce.Current.Company == nil {
			t.Errorf("conflict %+v current %+v", ce, ce.Current)
		}
		if _, err := e.svc.Call(e.ctx, crm.System, "two@pbx"); !errors.Is(err, crm.ErrNotFound) {
			t.Errorf("a conflicting capture wrote the call: %v", err)
		}
		ins, _ := e.svc.Interests(e.ctx, crm.System, crm.InterestFilter{ContactID: c.ID})
		if len(ins) != 1 {
			t.Errorf("a conflicting capture made an interest: %d", len(ins))
		}

		// Without a version: filling in what is empty is fine, replacing is a conflict.
		fillIn := crm.CallCapture{CallID: "two@pbx", Live: live(e.agent, "+40722481305"), ContactID: c.ID,
			Position: ptr("CEO"), Email: ptr("ANA.POP@nova.ro"), Industry: ptr("logistics"), Size: ptr(40)}
		res := e.capture(as(e.agent), fillIn)
		if res.Contact.Version != 2 {
			t.Errorf("values equal to the stored ones changed the contact: version %d", res.Contact.Version)
		}
		_, err = e.svc.SaveCallCapture(e.ctx, as(e.agent), crm.CallCapture{CallID: "two@pbx", ContactID: c.ID,
			Email: ptr("ana@elsewhere.ro"), Website: ptr("other.ro")})
		if !errors.As(err, &ce) || !slices.Equal(ce.Fields, []string{"email", "website"}) || len(ce.Stale) != 0 {
			t.Fatalf("overwrite without a version: %v %+v", err, ce)
		}
		now, _ := e.svc.Contact(e.ctx, crm.System, c.ID)
		if now.Email != "ana.pop@nova.ro" || now.Version != 2 {
			t.Errorf("the conflict changed the contact: %+v", now)
		}
		// With the current version, the same values replace.
		res = e.capture(as(e.agent), crm.CallCapture{CallID: "two@pbx", ContactID: c.ID, ContactVersion: &now.Version,
			Email: ptr("ana@elsewhere.ro")})
		if res.Contact.Email != "ana@elsewhere.ro" || res.Contact.Version != 3 {
			t.Errorf("with the version: %+v", res.Contact)
		}
	})
}

// TestCaptureCompanyByName: a company named as one on file (any case) is
// that one, filled in where empty; a switchboard number stays the
// company's.
func TestCaptureCompanyByName(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		co, err := e.svc.CreateCompany(e.ctx, as(e.head), crm.CompanyPatch{Name: ptr("Ștefan Metal SRL"), OwnerID: &e.mgr2.ID,
			Phones: &[]crm.Phone{{E164: "+40213333333"}}})
		if err != nil {
			t.Fatal(err)
		}
		in := crm.CallCapture{CallID: "sw@pbx", Live: live(e.agent, "0213333333"), Name: ptr("Dan Ilie"),
			CompanyName: ptr("ștefan metal srl"), Website: ptr("metal.ro"), Title: ptr("Steel")}
		res := e.capture(as(e.agent), in)
		if res.Company.ID != co.ID || res.Company.Website != "https://metal.ro" || res.Company.Name != "Ștefan Metal SRL" {
			t.Errorf("company %+v", res.Company)
		}
		if len(res.Contact.Phones) != 0 {
			t.Errorf("the switchboard number went on the contact: %+v", res.Contact.Phones)
		}
		// The desk named no owner: the contact has none, the interest is the company owner's.
		if res.Contact.OwnerID != 0 || res.Interest.OwnerID != e.mgr2.ID || res.Company.OwnerID != e.mgr2.ID {
			t.Errorf("owners: contact %d interest %d company %d", res.Contact.OwnerID, res.Interest.OwnerID, res.Company.OwnerID)
		}
		cos, _ := e.svc.Companies(e.ctx, crm.System, crm.CompanyFilter{})
		if len(cos) != 1 {
			t.Errorf("%d companies, want the one matched", len(cos))
		}
		if _, err := e.svc.SaveCallCapture(e.ctx, as(e.agent), crm.CallCapture{CallID: "sw@pbx", ContactID: res.Contact.ID,
			CompanyID: co.ID, CompanyName: ptr("Other SRL")}); fieldOf(err) != "company_name" {
			t.Errorf("company_id with another name: %v", err)
		}
	})
}

// TestCaptureAccess: who answered the call may capture it, and the head of
// sales; nobody else.
func TestCaptureAccess(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		const id = "mine@pbx"
		l := live(e.agent, "+40722481305")
		for _, u := range []*crm.User{e.agent2, e.mgr1} {
			if _, err := e.svc.SaveCallCapture(e.ctx, as(u), newCaller(id, l)); !errors.Is(err, crm.ErrForbidden) {
				t.Errorf("%s, who did not answer: %v", u.Email, err)
			}
			if _, err := e.svc.WrapUpCall(e.ctx, as(u), id, crm.WrapUp{Outcome: crm.WrapInfoGiven, Live: l}); !errors.Is(err, crm.ErrForbidden) {
				t.Errorf("%s wraps up: %v", u.Email, err)
			}
		}
		e.empty(id)
		if _, err := e.svc.SaveCallCapture(e.ctx, as(e.agent), newCaller("nowhere@pbx", nil)); !errors.Is(err, crm.ErrNotFound) {
			t.Errorf("a call nobody knows: %v", err)
		}
		if _, err := e.svc.SaveCallCapture(e.ctx, as(e.head), newCaller(id, &crm.LiveCall{Caller: "+40722481305"})); !errors.Is(err, crm.ErrForbidden) {
			t.Errorf("a call still ringing: %v", err)
		}
		res := e.capture(as(e.head), newCaller(id, l))
		if res.Call.AnsweredBy != e.agent.ID {
			t.Errorf("the head's capture says answered by %d", res.Call.AnsweredBy)
		}
		// After the call, the stored call says who answered.
		if _, err := e.svc.SaveCallCapture(e.ctx, as(e.agent2), crm.CallCapture{CallID: id, ContactID: res.Contact.ID}); !errors.Is(err, crm.ErrForbidden) {
			t.Errorf("another agent, after the call: %v", err)
		}
		e.capture(as(e.agent), crm.CallCapture{CallID: id, ContactID: res.Contact.ID})
		if _, err := e.svc.Call(e.ctx, as(e.mgr2), id); !errors.Is(err, crm.ErrNotFound) {
			t.Errorf("another manager reads the call: %v", err)
		}
		if _, err := e.svc.Call(e.ctx, as(e.agent), id); err != nil {
			t.Errorf("the answerer reads the call: %v", err)
		}
	})
}

// TestCaptureOwners: the desk names the first owner of a new contact and
// of a new interest; changing an owner is the head of sales', and a capture
// never moves an owned client.
func TestCaptureOwners(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		const id = "own@pbx"
		l := live(e.agent, "+40722481305")
		in := newCaller(id, l)
		in.OwnerID = &e.mgr1.ID
		res := e.capture(as(e.agent), in)
		c, it := res.Contact, res.Interest

		// Another need of the same client, for another manager: a new interest may go to anyone.
		res2 := e.capture(as(e.agent), crm.CallCapture{CallID: id, ContactID: c.ID, Title: ptr("Insurance"), OwnerID: &e.mgr2.ID})
		if res2.Interest.OwnerID != e.mgr2.ID || res2.Contact.OwnerID != e.mgr1.ID || res2.Company.OwnerID != e.mgr1.ID {
			t.Errorf("a new interest for mgr2: interest %d contact %d company %d", res2.Interest.OwnerID, res2.Contact.OwnerID, res2.Company.OwnerID)
		}
		// The desk may not move an existing interest, nor the client.
		if _, err := e.svc.SaveCallCapture(e.ctx, as(e.agent), crm.CallCapture{CallID: id, ContactID: c.ID,
			InterestID: it.ID, InterestVersion: &it.Version, OwnerID: &e.mgr2.ID}); fieldOf(err) != "owner_id" {
			t.Errorf("the desk moves an interest: %v", err)
		}
		if _, err := e.svc.SaveCallCapture(e.ctx, as(e.agent), crm.CallCapture{CallID: id, ContactID: c.ID,
			OwnerID: &e.mgr2.ID}); fieldOf(err) != "owner_id" {
			t.Errorf("the desk moves a client: %v", err)
		}
		// The head of sales moves the interest (with its version).
		res3 := e.capture(as(e.head), crm.CallCapture{CallID: id, ContactID: c.ID, InterestID: it.ID,
			InterestVersion: &it.Version, OwnerID: &e.mgr2.ID, Stage: ptr(crm.StageOffer)})
		if res3.Interest.OwnerID != e.mgr2.ID || res3.Interest.Stage != crm.StageOffer || res3.Contact.OwnerID != e.mgr1.ID {
			t.Errorf("the head's move: interest %+v contact owner %d", res3.Interest, res3.Contact.OwnerID)
		}
		// A manager who takes a call captures a new caller as their own.
		const id2 = "mgr@pbx"
		res4 := e.capture(as(e.mgr1), newCaller(id2, live(e.mgr1, "+40744000111")))
		if res4.Contact.OwnerID != e.mgr1.ID || res4.Interest.OwnerID != e.mgr1.ID {
			t.Errorf("manager's capture: contact %d interest %d", res4.Contact.OwnerID, res4.Interest.OwnerID)
		}
		// Lost needs a reason, as any interest.
		if _, err := e.svc.SaveCallCapture(e.ctx, as(e.mgr1), crm.CallCapture{CallID: id2, ContactID: res4.Contact.ID,
			InterestID: res4.Interest.ID, InterestVersion: &res4.Interest.Version, Stage: ptr(crm.StageLost)}); fieldOf(err) != "lost_reason" {
			t.Errorf("lost without a reason: %v", err)
		}
		res5 := e.capture(as(e.mgr1), crm.CallCapture{CallID: id2, ContactID: res4.Contact.ID, InterestID: res4.Interest.ID,
			InterestVersion: &res4.Interest.Version, Stage: ptr(crm.StageLost), LostReason: ptr(crm.LostCompetitor)})
		if res5.Interest.Stage != crm.StageLost || res5.Interest.ClosedAt == nil {
			t.Errorf("lost: %+v", res5.Interest)
		}
		if _, err := e.svc.SaveCallCapture(e.ctx, as(e.mgr1), crm.CallCapture{CallID: id2, ContactID: res4.Contact.ID,
			InterestID: res4.Interest.ID, Need: ptr("more")}); fieldOf(err) != "interest_id" {
			t.Errorf("capture on a lost interest: %v", err)
		}
	})
}
