package crm

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// WrapUpOutcome is how the answerer sums up a call, as a sales desk does;
// the call's Outcome (answered, missed, ...) stays routing's.
type WrapUpOutcome string

const (
	WrapInterested    WrapUpOutcome = "interested"     // wants to go on: there is an interest to work
	WrapNotInterested WrapUpOutcome = "not_interested" // heard us out, does not want it
	WrapCallBack      WrapUpOutcome = "call_back"      // to be called back (at call_back_at)
	WrapInfoGiven     WrapUpOutcome = "info_given"     // asked something and got the answer
	WrapSale          WrapUpOutcome = "sale"           // agreed to buy
	WrapWrongNumber   WrapUpOutcome = "wrong_number"   // not for us
	WrapOther         WrapUpOutcome = "other"          // the note says
)

// WrapUpOutcomes lists the outcomes, in the order a wrap-up form offers
// them.
var WrapUpOutcomes = []WrapUpOutcome{WrapInterested, WrapNotInterested, WrapCallBack, WrapInfoGiven, WrapSale,
	WrapWrongNumber, WrapOther}

// ParseWrapUpOutcome checks a wrap-up outcome.
func ParseWrapUpOutcome(s string) (WrapUpOutcome, error) {
	for _, o := range WrapUpOutcomes {
		if string(o) == s {
			return o, nil
		}
	}
	names := make([]string, len(WrapUpOutcomes))
	for i, o := range WrapUpOutcomes {
		names[i] = string(o)
	}
	return "", fmt.Errorf("unknown outcome %q: want %s", s, strings.Join(names, ", "))
}

// WrapUp is the answerer's wrap-up after a call: the body of POST
// /calls/{call_id}/wrapup.
type WrapUp struct {
	Note    string        `json:"note"`
	Outcome WrapUpOutcome `json:"outcome"`
	// CallBackAt plans a call-back task at that time (required with the
	// outcome call_back): for the owner of the call's interest, else of the
	// contact, else of the company, else the answerer if a manager, else the
	// desk. A second wrap-up moves the call's open call-back task.
	CallBackAt *time.Time `json:"call_back_at"`
	// Live is the live call state's word on the call (see CallCapture).
	Live *LiveCall `json:"-"`
}

// WrapUpResult is the call after its wrap-up, and its call-back task.
type WrapUpResult struct {
	Call *Interaction `json:"call"`
	Task *Task        `json:"task,omitempty"`
}

// WrapUpCall stores the wrap-up outcome and note on the call's interaction
// (starting it when routing has not written the call yet) and plans the
// call-back, in one transaction. Who answered the call may, and the head of
// sales. A new wrap-up replaces the previous one (the change log says who
// wrapped up when); the call's notes are never touched.
func (s *Service) WrapUpCall(ctx context.Context, a Actor, callID string, in WrapUp) (*WrapUpResult, error) {
	call, err := s.callFor(ctx, a, callID, in.Live)
	if err != nil {
		return nil, err
	}
	if in.Outcome == "" {
		return nil, fieldErr("outcome", "is required: how did the call end for the client?")
	}
	if _, err := ParseWrapUpOutcome(string(in.Outcome)); err != nil {
		return nil, fieldErr("outcome", "%v", err)
	}
	note := strings.TrimSpace(in.Note)
	if len(note) > maxNotes {
		return nil, fieldErr("note", "is longer than %d characters", maxNotes)
	}
	now := s.Now()
	if in.Outcome == WrapCallBack && in.CallBackAt == nil {
		return nil, fieldErr("call_back_at", "is required with the outcome call_back: when to call back")
	}
	row := call.startRow(now)
	row.WrapUpNote, row.WrapUpOutcome = note, in.Outcome
	w := &WrapUpWrite{Call: row}
	if in.CallBackAt != nil {
		if in.CallBackAt.Before(now) {
			return nil, fieldErr("call_back_at", "%s is in the past", in.CallBackAt.UTC().Format(time.RFC3339))
		}
		if w.Task, err = s.callBackTask(ctx, a, call, in.CallBackAt.UTC()); err != nil {
			return nil, err
		}
	}
	if err := s.store.WrapUpCall(ctx, a, w); err != nil {
		return nil, fmt.Errorf("wrap up call %s: %w", callID, err)
	}
	return &WrapUpResult{Call: w.Call, Task: w.Task}, nil
}

// callBackTask is the call-back a wrap-up plans; the store puts it on the
// call and its client.
func (s *Service) callBackTask(ctx context.Context, a Actor, call *callRef, due time.Time) (*Task, error) {
	t := &Task{Kind: TaskCallBack, Due: due, CallerE164: call.callerE164, Title: "Call back " + call.callerE164}
	if call.callerE164 == "" {
		t.Title = "Call back"
	}
	var owners []int64
	if it := call.stored; it != nil {
		if it.InterestID != 0 {
			in, err := s.store.GetInterest(ctx, it.InterestID)
			if err != nil && !errors.Is(err, ErrNotFound) {
				return nil, err
			}
			if in != nil {
				owners = append(owners, in.OwnerID)
			}
		}
		if it.ContactID != 0 {
			c, err := s.store.GetContact(ctx, it.ContactID)
			if err != nil && !errors.Is(err, ErrNotFound) {
				return nil, err
			}
			if c != nil {
				owners = append(owners, c.OwnerID)
				t.Title = "Call back " + c.Name
			}
		}
		if it.CompanyID != 0 {
			co, err := s.store.GetCompany(ctx, it.CompanyID)
			if err != nil && !errors.Is(err, ErrNotFound) {
				return nil, err
			}
			if co != nil {
				owners = append(owners, co.OwnerID)
			}
		}
	}
	if a.Role == RoleManager {
		owners = append(owners, a.UserID)
	}
	t.AssigneeID = firstOwner(nil, owners...)
	return t, nil
}
