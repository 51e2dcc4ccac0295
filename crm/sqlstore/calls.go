package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"callroute/crm"
)

// A call's interaction is one row, found by its Call-ID, that routing's
// record, the answerer's capture and the wrap-up may each start; the others
// merge into it. crm.CaptureWrite tells the rule. Each write is one INSERT
// ... ON CONFLICT (call_id) DO UPDATE (the partial unique index
// interactions_call_id_uq), so it is the same for a retry, for writes in
// any order, and for several records in one transaction.

// recordCallSQL writes routing's record of a call. On a row routing already
// recorded it changes nothing; on a row people started it brings routing's
// fields, keeps the links people set (as a group) and any notes and subject,
// and never touches the wrap-up (which is not in its SET at all).
var recordCallSQL = func() string {
	unlessRecorded := func(col, merged string) string {
		return col + " = CASE WHEN interactions.recorded_at IS NOT NULL THEN interactions." + col + " ELSE " + merged + " END"
	}
	var set []string
	for _, col := range []string{"kind", "direction", "at", "user_id", "caller_e164", "outcome", "answered_by",
		"ring_seconds", "talk_seconds", "route", "recording"} {
		set = append(set, unlessRecorded(col, "excluded."+col))
	}
	for _, col := range []string{"contact_id", "company_id", "interest_id"} {
		set = append(set, unlessRecorded(col, "CASE WHEN interactions.contact_id IS NOT NULL OR interactions.company_id IS NOT NULL"+
			" THEN interactions."+col+" ELSE excluded."+col+" END"))
	}
	for _, col := range []string{"subject", "notes"} {
		set = append(set, unlessRecorded(col, "CASE WHEN interactions."+col+" <> '' THEN interactions."+col+" ELSE excluded."+col+" END"))
	}
	set = append(set, "recorded_at = COALESCE(interactions.recorded_at, excluded.recorded_at)")
	return `INSERT INTO interactions (kind, direction, contact_id, company_id, interest_id, at, user_id, call_id,
		caller_e164, outcome, answered_by, ring_seconds, talk_seconds, route, subject, notes, recording, recorded_at,
		created_at, created_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (call_id) WHERE call_id <> '' DO UPDATE SET
		` + strings.Join(set, ",\n\t\t") + `
		RETURNING ` + interactionColumns
}()

// recordCall writes routing's record of a call (it.CallID is set) and
// returns the row as stored.
func (r runner) recordCall(ctx context.Context, now time.Time, a crm.Actor, it *crm.Interaction) (*crm.Interaction, error) {
	at := now
	if !it.At.IsZero() {
		at = utc(it.At)
	}
	// What was there decides only the change log; the statement alone
	// decides the row. (On PostgreSQL a row inserted by a concurrent
	// transaction after this read makes a "create" that was a "record".)
	var before *time.Time
	err := r.row(ctx, readCallSQL+r.d.forUpdate, it.CallID).Scan(tmp(&before))
	existed := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlstore: read call %s: %w", it.CallID, err)
	}
	stored := &crm.Interaction{}
	stamp := r.d.ts(now) // recorded and created now
	err = r.row(ctx, recordCallSQL,
		string(it.Kind), string(it.Direction), nid(it.ContactID), nid(it.CompanyID), nid(it.InterestID),
		r.d.ts(at), nid(it.UserID), it.CallID, it.CallerE164, string(it.Outcome), nid(it.AnsweredBy),
		it.RingSeconds, it.TalkSeconds, routeArg(it.Route), it.Subject, it.Notes, it.Recording, stamp,
		stamp, nid(a.UserID)).Scan(interactionDest(stored)...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: record call %s: %w", it.CallID, err)
	}
	if existed && before != nil {
		return stored, nil // a retry: nothing changed
	}
	if err := r.moveActivity(ctx, stored.InterestID, stored.At); err != nil {
		return nil, err
	}
	if existed {
		return stored, r.logChange(ctx, now, a, crm.EntityInteraction, stored.ID, "record", callRecorded{
			AnsweredBy: stored.AnsweredBy, CallID: stored.CallID, InterestID: stored.InterestID,
			Outcome: stored.Outcome, TalkSeconds: stored.TalkSeconds})
	}
	return stored, r.logChange(ctx, now, a, crm.EntityInteraction, stored.ID, "create", callCreated{
		CallID: stored.CallID, ContactID: stored.ContactID, InterestID: stored.InterestID, Kind: stored.Kind})
}

// callCreated and callRecorded are the change log's data of a call's
// record: structs rather than maps, which cost an allocation per value and
// a sort of the keys for every call. The fields are in the order of their
// keys, so the JSON is the same as a map's.
type callCreated struct {
	CallID     string              `json:"call_id"`
	ContactID  int64               `json:"contact_id"`
	InterestID int64               `json:"interest_id,omitempty"`
	Kind       crm.InteractionKind `json:"kind"`
}

type callRecorded struct {
	AnsweredBy  int64           `json:"answered_by"`
	CallID      string          `json:"call_id"`
	InterestID  int64           `json:"interest_id,omitempty"`
	Outcome     crm.CallOutcome `json:"outcome"`
	TalkSeconds int             `json:"talk_seconds"`
}

// readCallSQL reads whether routing's record of a call is in. The unique
// index on call_id is partial (only calls have one): the query must say so too,
// or the planner cannot use it and scans every interaction.
const readCallSQL = "SELECT recorded_at FROM interactions WHERE call_id = ? AND call_id <> ''"

// startCallSQL starts a call's row as people do before routing's record is
// in; the caller adds the ON CONFLICT clause that says what they set.
const startCallSQL = `INSERT INTO interactions (kind, direction, contact_id, company_id, interest_id, at, user_id, call_id,
	caller_e164, outcome, answered_by, wrap_up_outcome, wrap_up_note, wrapped_up_at, wrapped_up_by, created_at, created_by)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (call_id) WHERE call_id <> '' DO UPDATE SET `

// startCall runs startCallSQL with set, for the row c.
func (r runner) startCall(ctx context.Context, now time.Time, a crm.Actor, c *crm.Interaction, set string) (*crm.Interaction, error) {
	stored := &crm.Interaction{}
	err := r.row(ctx, startCallSQL+set+" RETURNING "+interactionColumns,
		string(c.Kind), string(c.Direction), nid(c.ContactID), nid(c.CompanyID), nid(c.InterestID), r.d.ts(c.At),
		nid(c.UserID), c.CallID, c.CallerE164, string(c.Outcome), nid(c.AnsweredBy),
		string(c.WrapUpOutcome), c.WrapUpNote, r.d.tsp(c.WrappedUpAt), nid(c.WrappedUpBy), r.d.ts(now), nid(a.UserID)).
		Scan(interactionDest(stored)...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: write call %s: %w", c.CallID, err)
	}
	return stored, nil
}

// SaveCallCapture writes a capture in one transaction, as crm.CaptureWrite
// says; w's records are set as stored only when it commits.
func (s *Store) SaveCallCapture(ctx context.Context, a crm.Actor, w *crm.CaptureWrite) error {
	now := utc(s.now())
	var (
		contact  *crm.Contact
		company  *crm.Company
		interest *crm.Interest
		call     *crm.Interaction
	)
	err := s.inTx(ctx, func(r runner) error {
		var companyID int64
		if w.Company != nil {
			var err error
			if companyID, err = r.captureCompany(ctx, now, a, w.Company, w.CompanyChanged); err != nil {
				return err
			}
		}
		c := *w.Contact
		c.CompanyID = companyID
		contactID, err := r.captureRecord(ctx, now, a, "contacts", "contact", c.ID, c.Version, w.ContactChanged,
			func() (int64, error) { return r.createContact(ctx, now, a, &c, "create") },
			func() error { return r.updateContact(ctx, now, a, &c, normPhones(contactPhones, c.Phones)) })
		if err != nil {
			return err
		}
		var interestID int64
		if w.Interest != nil {
			in := *w.Interest
			if in.ID == 0 {
				in.ContactID, in.CompanyID = contactID, companyID
			}
			interestID, err = r.captureRecord(ctx, now, a, "interests", "interest", in.ID, in.Version, w.InterestChanged,
				func() (int64, error) { return r.createInterest(ctx, now, a, &in) },
				func() error { _, err := r.updateInterest(ctx, now, a, &in); return err })
			if err != nil {
				return err
			}
		}
		links := &crm.Interaction{}
		*links = *w.Call
		links.ContactID, links.CompanyID, links.InterestID = contactID, companyID, interestID
		// People choose the links, whatever routing guessed.
		if call, err = r.startCall(ctx, now, a, links,
			"contact_id = excluded.contact_id, company_id = excluded.company_id, interest_id = excluded.interest_id"); err != nil {
			return err
		}
		if err := r.moveActivity(ctx, interestID, now); err != nil {
			return err
		}
		err = r.logChange(ctx, now, a, crm.EntityInteraction, call.ID, "capture", map[string]any{"call_id": call.CallID,
			"contact_id": contactID, "company_id": companyID, "interest_id": interestID})
		if err != nil {
			return err
		}
		// Hand back every record as stored now.
		if contact, err = r.getContact(ctx, contactID); err != nil {
			return err
		}
		if companyID != 0 {
			if company, err = r.getCompany(ctx, companyID); err != nil {
				return err
			}
		}
		if interestID != 0 {
			if interest, err = r.getInterest(ctx, interestID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	w.Contact, w.Company, w.Interest, w.Call = contact, company, interest, call
	return nil
}

// captureCompany creates the company (unless its name was taken
// meanwhile: ErrConflict), updates it, or checks its version.
func (r runner) captureCompany(ctx context.Context, now time.Time, a crm.Actor, co *crm.Company, changed bool) (int64, error) {
	if co.ID == 0 {
		var id int64
		err := r.row(ctx, "SELECT id FROM companies WHERE name_key = ? ORDER BY id LIMIT 1", fold(co.Name)).Scan(&id)
		if err == nil {
			return 0, fmt.Errorf("company %q was created meanwhile (id %d): %w", co.Name, id, crm.ErrConflict)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return 0, fmt.Errorf("sqlstore: match company %q: %w", co.Name, err)
		}
	}
	c := *co
	return r.captureRecord(ctx, now, a, "companies", "company", c.ID, c.Version, changed,
		func() (int64, error) { return r.createCompany(ctx, now, a, &c, "create") },
		func() error { return r.updateCompany(ctx, now, a, &c, normPhones(companyPhones, c.Phones)) })
}

// captureRecord creates a record (id 0), updates it (changed), or checks
// that its stored version is still version; it returns the record's id.
func (r runner) captureRecord(ctx context.Context, now time.Time, a crm.Actor, table, what string, id, version int64,
	changed bool, create func() (int64, error), update func() error) (int64, error) {
	switch {
	case id == 0:
		return create()
	case changed:
		return id, update()
	}
	var stored int64
	err := r.row(ctx, "SELECT version FROM "+table+" WHERE id = ?"+r.d.forUpdate, id).Scan(&stored)
	if err := one(err, what, id); err != nil {
		return 0, err
	}
	if stored != version {
		return 0, fmt.Errorf("%s %d: version %d, now %d: %w", what, id, version, stored, crm.ErrConflict)
	}
	return id, nil
}

// WrapUpCall writes a wrap-up in one transaction, as crm.WrapUpWrite says.
func (s *Store) WrapUpCall(ctx context.Context, a crm.Actor, w *crm.WrapUpWrite) error {
	now := utc(s.now())
	var (
		call *crm.Interaction
		task *crm.Task
	)
	err := s.inTx(ctx, func(r runner) error {
		row := *w.Call
		row.WrappedUpAt, row.WrappedUpBy = &now, a.UserID
		var err error
		call, err = r.startCall(ctx, now, a, &row, "wrap_up_outcome = excluded.wrap_up_outcome, wrap_up_note = excluded.wrap_up_note, "+
			"wrapped_up_at = excluded.wrapped_up_at, wrapped_up_by = excluded.wrapped_up_by")
		if err != nil {
			return err
		}
		err = r.logChange(ctx, now, a, crm.EntityInteraction, call.ID, "wrap_up",
			map[string]any{"call_id": call.CallID, "outcome": call.WrapUpOutcome, "note": call.WrapUpNote != ""})
		if err != nil || w.Task == nil {
			return err
		}
		task, err = r.callBack(ctx, now, a, call, w.Task)
		return err
	})
	if err != nil {
		return err
	}
	w.Call, w.Task = call, task
	return nil
}

// callBack moves the call's open call-back task to want's due time and
// assignee, or creates want on the call.
func (r runner) callBack(ctx context.Context, now time.Time, a crm.Actor, call *crm.Interaction, want *crm.Task) (*crm.Task, error) {
	var id int64
	err := r.row(ctx, "SELECT id FROM tasks WHERE interaction_id = ? AND kind = ? AND done_at IS NULL ORDER BY id LIMIT 1"+
		r.d.forUpdate, call.ID, string(crm.TaskCallBack)).Scan(&id)
	switch {
	case err == nil:
		t, err := r.getTask(ctx, id)
		if err != nil {
			return nil, err
		}
		t.Due, t.AssigneeID = utc(want.Due), want.AssigneeID
		if err := r.updateTask(ctx, now, a, t); err != nil {
			return nil, err
		}
	case errors.Is(err, sql.ErrNoRows):
		t := *want
		t.InteractionID, t.ContactID, t.CompanyID, t.InterestID = call.ID, call.ContactID, call.CompanyID, call.InterestID
		if id, err = r.createTask(ctx, now, a, &t); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("sqlstore: find the call-back of call %s: %w", call.CallID, err)
	}
	return r.getTask(ctx, id)
}
