package crm

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// LogInteraction adds an email, meeting or note to a client's timeline (calls
// are written by routing with RecordCall).
func (s *Service) LogInteraction(ctx context.Context, a Actor, it Interaction) (*Interaction, error) {
	switch it.Kind {
	case KindEmail, KindMeeting, KindNote:
	case KindCall:
		if it.Direction != Outbound {
			return nil, fieldErr("kind", "inbound calls are recorded by callroute itself")
		}
	default:
		return nil, fieldErr("kind", "unknown kind %q: want call, email, meeting or note", it.Kind)
	}
	if it.ContactID == 0 && it.CompanyID == 0 {
		return nil, fieldErr("contact_id", "an interaction needs a contact or a company")
	}
	switch it.Direction {
	case "", Inbound, Outbound:
	default:
		return nil, fieldErr("direction", "unknown direction %q: want inbound or outbound", it.Direction)
	}
	if len(it.Notes) > maxNotes {
		return nil, fieldErr("notes", "is longer than %d characters", maxNotes)
	}
	if it.ContactID != 0 {
		if _, err := s.Contact(ctx, a, it.ContactID); err != nil {
			return nil, fieldErrIfMissing("contact_id", it.ContactID, err)
		}
	}
	if it.CompanyID != 0 {
		if _, err := s.Company(ctx, a, it.CompanyID); err != nil {
			return nil, fieldErrIfMissing("company_id", it.CompanyID, err)
		}
	}
	if it.InterestID != 0 {
		if _, err := s.Interest(ctx, a, it.InterestID); err != nil {
			return nil, fieldErrIfMissing("interest_id", it.InterestID, err)
		}
	}
	if it.At.IsZero() {
		it.At = s.Now()
	}
	it.At = it.At.UTC()
	it.UserID, it.CallID, it.Outcome, it.Route, it.Recording = a.UserID, "", "", nil, ""
	if err := s.store.AddInteraction(ctx, a, &it); err != nil {
		return nil, fmt.Errorf("add interaction: %w", err)
	}
	return &it, nil
}

func fieldErrIfMissing(field string, id int64, err error) error {
	if errors.Is(err, ErrNotFound) {
		return fieldErr(field, "no record with id %d that you may see", id)
	}
	return err
}

// RecordCall writes a call on the timeline, as routing reports it. Writing
// the same Call-ID again changes nothing. A missed call creates a call-back
// task: for the owner when the caller is known, for the desk otherwise.
func (s *Service) RecordCall(ctx context.Context, it Interaction) (*Interaction, *Task, error) {
	s.normCall(&it)
	if err := s.store.AddInteraction(ctx, System, &it); err != nil {
		return nil, nil, fmt.Errorf("record call %s: %w", it.CallID, err)
	}
	if !needsCallBack(&it) {
		return &it, nil, nil
	}
	// The task of a retried write, or the call-back a wrap-up planned
	// before the record came in: one call-back per call.
	existing, err := s.store.ListTasks(ctx, TaskFilter{InteractionID: it.ID, Limit: 100})
	if err != nil {
		return &it, nil, fmt.Errorf("call-back task for %s: %w", it.CallID, err)
	}
	for _, t := range existing {
		if t.Kind == TaskCallBack {
			return &it, &t, nil
		}
	}
	t := callBackTask(&it)
	if err := s.store.CreateTask(ctx, System, t); err != nil {
		return &it, nil, fmt.Errorf("call-back task for %s: %w", it.CallID, err)
	}
	return &it, t, nil
}

// RecordCalls writes several calls as RecordCall does, in one transaction:
// every call is written (a Call-ID written before changes nothing), or
// none is. Routing writes the calls that end together this way.
func (s *Service) RecordCalls(ctx context.Context, its []Interaction) error {
	recs := make([]CallRecord, len(its))
	for i := range its {
		it := its[i]
		s.normCall(&it)
		recs[i].Interaction = &it
		if needsCallBack(&it) {
			recs[i].CallBack = callBackTask(&it)
		}
	}
	if err := s.store.AddCalls(ctx, System, recs); err != nil {
		return fmt.Errorf("record %d calls: %w", len(its), err)
	}
	return nil
}

// normCall fills in what a call record may leave out.
func (s *Service) normCall(it *Interaction) {
	it.Kind = KindCall
	if it.Direction == "" {
		it.Direction = Inbound
	}
	if it.At.IsZero() {
		it.At = s.Now()
	}
	it.At = it.At.UTC()
}

// needsCallBack: an inbound call nobody answered gets a call-back task.
func needsCallBack(it *Interaction) bool {
	return it.Outcome != OutcomeAnswered && it.Direction == Inbound
}

// callBackTask is the call-back task of a missed call: for the owner when
// the caller is known, for the desk otherwise (UserID 0).
func callBackTask(it *Interaction) *Task {
	return &Task{
		Kind: TaskCallBack, AssigneeID: it.UserID, ContactID: it.ContactID, CompanyID: it.CompanyID,
		InterestID: it.InterestID, InteractionID: it.ID, CallerE164: it.CallerE164,
		Title: "Call back " + it.CallerE164, Due: it.At.Add(callBackWithin),
	}
}

// callBackWithin is when a missed call's call-back task falls due.
const callBackWithin = 2 * time.Hour

// Timeline lists a contact's interactions, newest first.
func (s *Service) Timeline(ctx context.Context, a Actor, contactID int64, limit int) ([]Interaction, error) {
	if _, err := s.Contact(ctx, a, contactID); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	return s.store.Timeline(ctx, contactID, limit)
}

// NewTask is a follow-up to plan.
type NewTask struct {
	Kind       TaskKind  `json:"kind"`
	AssigneeID int64     `json:"assignee_id"`
	ContactID  int64     `json:"contact_id"`
	InterestID int64     `json:"interest_id"`
	Title      string    `json:"title"`
	Due        time.Time `json:"due"`
	Notes      string    `json:"notes"`
}

// CreateTask plans a follow-up. A manager plans for themselves unless they
// name someone.
func (s *Service) CreateTask(ctx context.Context, a Actor, in NewTask) (*Task, error) {
	switch in.Kind {
	case TaskCallBack, TaskMeeting, TaskFollowUp:
	case "":
		in.Kind = TaskFollowUp
	default:
		return nil, fieldErr("kind", "unknown kind %q: want call_back, meeting or follow_up", in.Kind)
	}
	if in.Due.IsZero() {
		return nil, fieldErr("due", "is required")
	}
	title := strings.TrimSpace(in.Title)
	if _, err := text("title", &title, true); err != nil {
		return nil, err
	}
	if in.AssigneeID == 0 && a.Role == RoleManager {
		in.AssigneeID = a.UserID
	}
	if in.AssigneeID != 0 {
		if _, err := s.store.GetUser(ctx, in.AssigneeID); err != nil {
			return nil, fieldErrIfMissing("assignee_id", in.AssigneeID, err)
		}
	}
	t := &Task{Kind: in.Kind, AssigneeID: in.AssigneeID, ContactID: in.ContactID, InterestID: in.InterestID,
		Title: title, Due: in.Due.UTC(), Notes: in.Notes}
	if in.ContactID != 0 {
		c, err := s.Contact(ctx, a, in.ContactID)
		if err != nil {
			return nil, fieldErrIfMissing("contact_id", in.ContactID, err)
		}
		t.CompanyID = c.CompanyID
	}
	if in.InterestID != 0 {
		if _, err := s.Interest(ctx, a, in.InterestID); err != nil {
			return nil, fieldErrIfMissing("interest_id", in.InterestID, err)
		}
	}
	if err := s.store.CreateTask(ctx, a, t); err != nil {
		return nil, fmt.Errorf("create task: %w", err)
	}
	return t, nil
}

// Tasks lists tasks the actor may see: a manager sees their own (and the
// desk's when filtering for it), the desk sees desk tasks.
func (s *Service) Tasks(ctx context.Context, a Actor, f TaskFilter) ([]Task, error) {
	visible, err := s.visibleOwners(ctx, a)
	if err != nil {
		return nil, err
	}
	if a.Role == RoleAgent && f.AssigneeID != a.UserID {
		f.DeskOnly = true
	}
	if !f.DeskOnly {
		f.VisibleTo = visible
	}
	return s.store.ListTasks(ctx, f)
}

// Task returns a task the actor may see: their own, the desk's, or (head of
// sales) anyone's.
func (s *Service) Task(ctx context.Context, a Actor, id int64) (*Task, error) {
	t, err := s.store.GetTask(ctx, id)
	if err != nil {
		return nil, err
	}
	if isAdmin(a) || t.AssigneeID == 0 || t.AssigneeID == a.UserID {
		return t, nil
	}
	if err := s.mayView(ctx, a, func() []int64 { return []int64{t.AssigneeID} }); err != nil {
		return nil, err
	}
	return t, nil
}

// Interaction returns a timeline entry the actor may see.
func (s *Service) Interaction(ctx context.Context, a Actor, id int64) (*Interaction, error) {
	it, err := s.store.GetInteraction(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.mayViewInteraction(ctx, a, it); err != nil {
		return nil, err
	}
	return it, nil
}

// mayViewInteraction: an interaction is seen by who may see its contact,
// else its company.
func (s *Service) mayViewInteraction(ctx context.Context, a Actor, it *Interaction) error {
	var err error
	switch {
	case it.ContactID != 0:
		_, err = s.Contact(ctx, a, it.ContactID)
	case it.CompanyID != 0:
		_, err = s.Company(ctx, a, it.CompanyID)
	case !isAdmin(a) && a.Role != RoleAgent && it.UserID != a.UserID:
		// A call from an unknown number belongs to the desk and whoever took it.
		err = errNotYours
	}
	return err
}

// CompleteTask marks a task done.
func (s *Service) CompleteTask(ctx context.Context, a Actor, id int64, notes string) (*Task, error) {
	t, err := s.Task(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if t.DoneAt != nil {
		return t, nil
	}
	now := s.Now()
	t.DoneAt = &now
	if notes != "" {
		t.Notes = strings.TrimSpace(t.Notes + "\n" + notes)
	}
	if err := s.store.UpdateTask(ctx, a, t); err != nil {
		return nil, fmt.Errorf("complete task %d: %w", id, err)
	}
	return t, nil
}
