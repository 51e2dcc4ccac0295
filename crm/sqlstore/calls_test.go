package sqlstore

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"callroute/crm"
)

// started is a call's row as a person starts it during the call.
func started(callID string, answeredBy int64) *crm.Interaction {
	return &crm.Interaction{Kind: crm.KindCall, Direction: crm.Inbound, CallID: callID, CallerE164: "+40722481305",
		At: day0.Add(time.Minute), UserID: answeredBy, AnsweredBy: answeredBy, Outcome: crm.OutcomeAnswered}
}

// record is routing's record of the same call.
func record(callID string, answeredBy int64) *crm.Interaction {
	return &crm.Interaction{Kind: crm.KindCall, Direction: crm.Inbound, CallID: callID, CallerE164: "+40722481305",
		At: day0, UserID: answeredBy, AnsweredBy: answeredBy, Outcome: crm.OutcomeAnswered, RingSeconds: 3, TalkSeconds: 70}
}

// TestSaveCallCaptureAllOrNothing: a stale record anywhere in a capture
// leaves nothing behind, not even the records before it; a new company
// whose name was taken meanwhile is a conflict too.
func TestSaveCallCaptureAllOrNothing(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ann := mkUser(t, s, "ann@example.com")
		a := crm.ActorOf(ann)
		ct := mkContact(t, s, "Ion", 0, ann.ID)
		stale := *ct
		ct.Position = "CTO"
		must(t, s.UpdateContact(ctx, crm.System, ct))

		stale.Position = "CFO"
		w := &crm.CaptureWrite{Company: &crm.Company{Name: "Nova SRL"}, Contact: &stale, ContactChanged: true,
			Interest: &crm.Interest{Title: "Phones", Stage: crm.StageNew}, Call: started("c1@pbx", ann.ID)}
		if err := s.SaveCallCapture(ctx, a, w); !errors.Is(err, crm.ErrConflict) {
			t.Fatalf("stale contact: %v, want ErrConflict", err)
		}
		if _, err := s.CompanyByName(ctx, "nova srl"); !errors.Is(err, crm.ErrNotFound) {
			t.Fatalf("the company of a failed capture was kept: %v", err)
		}
		if _, err := s.InteractionByCallID(ctx, "c1@pbx"); !errors.Is(err, crm.ErrNotFound) {
			t.Fatalf("the call of a failed capture was kept: %v", err)
		}
		if w.Contact != &stale || w.Company.ID != 0 {
			t.Fatalf("a failed capture changed the write: %+v", w)
		}
		// Unchanged, but stale all the same: checked, not written.
		w = &crm.CaptureWrite{Contact: &stale, Call: started("c1@pbx", ann.ID)}
		if err := s.SaveCallCapture(ctx, a, w); !errors.Is(err, crm.ErrConflict) {
			t.Fatalf("stale unchanged contact: %v, want ErrConflict", err)
		}

		mkCompany(t, s, "Nova SRL", 0)
		w = &crm.CaptureWrite{Company: &crm.Company{Name: "NOVA srl"}, Contact: &crm.Contact{Name: "Dan"}, Call: started("c1@pbx", ann.ID)}
		if err := s.SaveCallCapture(ctx, a, w); !errors.Is(err, crm.ErrConflict) {
			t.Fatalf("company name taken meanwhile: %v, want ErrConflict", err)
		}

		w = &crm.CaptureWrite{Company: &crm.Company{Name: "Beta SA"}, Contact: &crm.Contact{Name: "Dan"}, ContactChanged: true,
			Interest: &crm.Interest{Title: "Phones"}, InterestChanged: true, Call: started("c1@pbx", ann.ID)}
		must(t, s.SaveCallCapture(ctx, a, w))
		if w.Contact.CompanyID != w.Company.ID || w.Interest.ContactID != w.Contact.ID || w.Interest.CompanyID != w.Company.ID ||
			w.Call.ContactID != w.Contact.ID || w.Call.InterestID != w.Interest.ID || w.Contact.CreatedBy != ann.ID {
			t.Fatalf("capture written as %+v / %+v / %+v / %+v", w.Company, w.Contact, w.Interest, w.Call)
		}
		if !w.Interest.LastActivityAt.Equal(w.Call.CreatedAt) || w.Interest.Version != 1 {
			t.Fatalf("attaching the call: interest activity %v version %d", w.Interest.LastActivityAt, w.Interest.Version)
		}
	})
}

// TestRecordCallMerge: the merge is one statement, so several records in
// one transaction, and the same record twice in it, come out as written
// one by one.
func TestRecordCallMerge(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ann := mkUser(t, s, "ann@example.com")
		a := crm.ActorOf(ann)
		ct := mkContact(t, s, "Ion", 0, ann.ID)
		guess := mkContact(t, s, "Eva", 0, ann.ID)

		// One call a person linked and noted, one only wrapped up.
		w := &crm.CaptureWrite{Contact: ct, Call: started("linked@pbx", ann.ID)}
		must(t, s.SaveCallCapture(ctx, a, w))
		wrap := started("noted@pbx", ann.ID)
		wrap.WrapUpNote, wrap.WrapUpOutcome = "wrong person", crm.WrapWrongNumber
		must(t, s.WrapUpCall(ctx, a, &crm.WrapUpWrite{Call: wrap}))

		now := utc(s.now())
		var got []*crm.Interaction
		must(t, s.inTx(ctx, func(r runner) error {
			for _, id := range []string{"linked@pbx", "noted@pbx", "noted@pbx", "fresh@pbx"} {
				rec := record(id, ann.ID)
				rec.ContactID, rec.Notes = guess.ID, "routing's note"
				it, err := r.recordCall(ctx, now, crm.System, rec)
				if err != nil {
					return err
				}
				got = append(got, it)
			}
			return nil
		}))
		linked, noted, again, fresh := got[0], got[1], got[2], got[3]
		if linked.ContactID != ct.ID || linked.TalkSeconds != 70 || !linked.At.Equal(day0) || linked.RecordedAt == nil ||
			linked.Notes != "routing's note" || linked.CreatedBy != ann.ID {
			t.Errorf("record on a captured call: %+v", linked)
		}
		if noted.ContactID != guess.ID || noted.WrapUpNote != "wrong person" || noted.WrapUpOutcome != crm.WrapWrongNumber ||
			noted.Notes != "routing's note" || noted.TalkSeconds != 70 {
			t.Errorf("record on a wrapped-up call: %+v", noted)
		}
		if !reflect.DeepEqual(again, noted) {
			t.Errorf("the same record twice in one transaction: %+v, then %+v", noted, again)
		}
		if fresh.RecordedAt == nil || fresh.ContactID != guess.ID || fresh.CreatedBy != 0 {
			t.Errorf("a record with no row yet: %+v", fresh)
		}
		for id, want := range map[int64]int{linked.ID: 2, noted.ID: 2, fresh.ID: 1} {
			if ch, _ := s.Changes(ctx, crm.EntityInteraction, id); len(ch) != want {
				t.Errorf("interaction %d: %d changes, want %d: %+v", id, len(ch), want, ch)
			}
		}
	})
}
