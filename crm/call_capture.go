package crm

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// LiveCall is what the live call state (routing's registry of calls in
// progress) says about a call. crm keeps no live state: the web layer asks
// routing and passes the answer in.
type LiveCall struct {
	AnsweredBy int64  // who answered; 0 while nobody has
	Caller     string // the caller's number as it arrived
}

// CallCapture is what the answerer fills in on the screen pop during a
// call: the body of POST /calls/{call_id}/capture.
//
// The contact, the company and the interest are each an existing record
// (its id, with the version the screen showed) or a new one. With the
// version, the values given replace the stored ones, and a version that is
// no longer the stored one is a conflict. Without it, the values given only
// fill in what is empty, and one that would replace a different stored value
// is a conflict. A conflict changes nothing (*CaptureConflictError).
type CallCapture struct {
	// CallID is the call's SIP Call-ID (from the path); Live is the live
	// call state's word on it, nil when the call is not live.
	CallID string    `json:"-"`
	Live   *LiveCall `json:"-"`

	// The contact: ContactID, else a new contact, which needs Name and a
	// company (the rule of the desk).
	ContactID      int64   `json:"contact_id"`
	ContactVersion *int64  `json:"contact_version"`
	Name           *string `json:"name"`
	Position       *string `json:"position"`
	Email          *string `json:"email"`
	// Phones are added to the contact's (a capture never removes one). The
	// number that called is added too, unless it is a company's
	// switchboard.
	Phones    []Phone `json:"phones"`
	Messenger *string `json:"messenger"`

	// The company: CompanyID, else CompanyName matched (case-insensitive)
	// or created, else the contact's own.
	CompanyID      int64   `json:"company_id"`
	CompanyVersion *int64  `json:"company_version"`
	CompanyName    *string `json:"company_name"`
	Website        *string `json:"website"`
	Size           *int    `json:"size"` // employees
	Industry       *string `json:"industry"`

	// The interest: InterestID, an open one of the contact (or of their
	// company alone); else a new one when any of its fields is given; else
	// the call is on no interest.
	InterestID      int64       `json:"interest_id"`
	InterestVersion *int64      `json:"interest_version"`
	Title           *string     `json:"title"`
	Need            *string     `json:"need"`
	Stage           *Stage      `json:"stage"`
	LostReason      *LostReason `json:"lost_reason"`
	NextFollowUp    *time.Time  `json:"next_follow_up"`

	// OwnerID is the manager who owns the client's need: the interest's
	// owner (changing an existing interest's owner is the head of sales'),
	// and the owner of the contact and the company when they are new or
	// have none. A capture never moves an owned client: that is a
	// reassignment.
	OwnerID *int64 `json:"owner_id"`
}

// CaptureResult is the call's file after a capture: the records as stored,
// and the call's interaction.
type CaptureResult struct {
	Contact  *Contact     `json:"contact"`
	Company  *Company     `json:"company"`
	Interest *Interest    `json:"interest"`
	Call     *Interaction `json:"call"`
}

// CaptureConflictError says a capture was not saved because it would
// overwrite what someone else wrote; errors.Is(err, ErrConflict) holds.
type CaptureConflictError struct {
	// Stale names the records changed since the version given ("contact",
	// "company", "interest"); Fields the values given without a version
	// that differ from the stored ones.
	Stale  []string
	Fields []string
	// Current is the file as it is now, for the answerer to redo the
	// capture on.
	Current *CaptureResult
}

func (e *CaptureConflictError) Error() string {
	var parts []string
	for _, r := range e.Stale {
		parts = append(parts, r+" was changed by someone else since it was read")
	}
	if len(e.Fields) > 0 {
		parts = append(parts, "the file already holds another "+strings.Join(e.Fields, ", ")+
			" (send the record's version to replace it)")
	}
	return "nothing was saved: " + strings.Join(parts, "; ")
}

func (e *CaptureConflictError) Unwrap() error { return ErrConflict }

// SaveCallCapture saves what the answerer captured on a call: it creates
// or completes the contact, the company and the interest, attaches the call
// to them, and sets the interest's stage, next follow-up and owner, all in
// one transaction. Who answered the call may, and the head of sales; the
// call is known by its stored interaction or, before routing has written
// it, by in.Live.
func (s *Service) SaveCallCapture(ctx context.Context, a Actor, in CallCapture) (*CaptureResult, error) {
	call, err := s.callFor(ctx, a, in.CallID, in.Live)
	if err != nil {
		return nil, err
	}
	b := &capture{s: s, a: a, in: &in, call: call, now: s.Now()}
	if err := b.build(ctx); err != nil {
		return nil, err
	}
	if b.conflicted() {
		return nil, b.conflict(ctx)
	}
	b.w.Call = call.startRow(b.now)
	if err := s.store.SaveCallCapture(ctx, a, &b.w); err != nil {
		if errors.Is(err, ErrConflict) {
			return nil, b.conflict(ctx)
		}
		return nil, fmt.Errorf("save the capture of call %s: %w", in.CallID, err)
	}
	return &CaptureResult{Contact: b.w.Contact, Company: b.w.Company, Interest: b.w.Interest, Call: b.w.Call}, nil
}

// callRef is a call as the capture and the wrap-up know it.
type callRef struct {
	id         string
	stored     *Interaction // nil: nobody has written it yet
	answeredBy int64
	callerE164 string
}

// maxCallID bounds a Call-ID (RFC 3261 sets none; real ones are short).
const maxCallID = 256

// callFor finds a call and checks the actor may work on it: who answered
// it, or the head of sales. The stored interaction says who answered; until
// there is one, the live call does. ErrNotFound: neither knows the call.
func (s *Service) callFor(ctx context.Context, a Actor, callID string, live *LiveCall) (*callRef, error) {
	if callID == "" || len(callID) > maxCallID || strings.ContainsAny(callID, "\r\n\x00 ") {
		return nil, fieldErr("call_id", "want a SIP Call-ID of 1-%d characters without spaces", maxCallID)
	}
	ref := &callRef{id: callID}
	it, err := s.store.InteractionByCallID(ctx, callID)
	switch {
	case err == nil:
		ref.stored, ref.answeredBy, ref.callerE164 = it, it.AnsweredBy, it.CallerE164
	case !errors.Is(err, ErrNotFound):
		return nil, fmt.Errorf("read call %s: %w", callID, err)
	case live == nil:
		return nil, fmt.Errorf("call %s: %w", callID, ErrNotFound)
	case live.AnsweredBy == 0:
		return nil, fmt.Errorf("call %s is not answered yet: %w", callID, ErrForbidden)
	default:
		ref.answeredBy = live.AnsweredBy
		// An anonymous or unreadable number is simply not kept.
		ref.callerE164, _ = s.phones.E164(live.Caller)
	}
	if isAdmin(a) || (ref.answeredBy != 0 && ref.answeredBy == a.UserID) {
		return ref, nil
	}
	return nil, fmt.Errorf("call %s: only who answered it, or the head of sales, may: %w", callID, ErrForbidden)
}

// startRow is the call's interaction as people start it before routing's
// record is in (see CaptureWrite).
func (c *callRef) startRow(now time.Time) *Interaction {
	return &Interaction{Kind: KindCall, Direction: Inbound, CallID: c.id, CallerE164: c.callerE164, At: now,
		UserID: c.answeredBy, AnsweredBy: c.answeredBy, Outcome: OutcomeAnswered}
}

// Call returns a call's interaction: to who answered it, the user it
// concerns, the head of sales, and whoever may see the client's timeline.
func (s *Service) Call(ctx context.Context, a Actor, callID string) (*Interaction, error) {
	it, err := s.store.InteractionByCallID(ctx, callID)
	if err != nil {
		return nil, err
	}
	if isAdmin(a) || (a.UserID != 0 && (it.AnsweredBy == a.UserID || it.UserID == a.UserID)) {
		return it, nil
	}
	if err := s.mayViewInteraction(ctx, a, it); err != nil {
		return nil, err
	}
	return it, nil
}
