package crm

import (
	"encoding/json"
	"time"
)

// InteractionKind is what happened with a client.
type InteractionKind string

const (
	KindCall    InteractionKind = "call"
	KindEmail   InteractionKind = "email"
	KindMeeting InteractionKind = "meeting"
	KindNote    InteractionKind = "note"
)

// Direction of a call or email.
type Direction string

const (
	Inbound  Direction = "inbound"
	Outbound Direction = "outbound"
)

// CallOutcome is how a call ended, as the timeline shows it.
type CallOutcome string

const (
	OutcomeAnswered  CallOutcome = "answered"
	OutcomeMissed    CallOutcome = "missed"    // nobody answered, no message
	OutcomeVoicemail CallOutcome = "voicemail" // nobody answered, a message was left
	OutcomeAbandoned CallOutcome = "abandoned" // the caller hung up while ringing or queued
)

// Interaction is one entry of a client's timeline. Calls are written by
// callroute itself.
type Interaction struct {
	ID         int64           `json:"id"`
	Kind       InteractionKind `json:"kind"`
	Direction  Direction       `json:"direction,omitempty"`
	ContactID  int64           `json:"contact_id,omitempty"`
	CompanyID  int64           `json:"company_id,omitempty"`
	InterestID int64           `json:"interest_id,omitempty"`
	// At is when it happened (a call: when it arrived).
	At time.Time `json:"at"`
	// UserID is the manager or agent it concerns: who answered a call, or,
	// for a missed call, whose it was (the owner rung first).
	UserID int64 `json:"user_id,omitempty"`
	// Call details.
	CallID      string      `json:"call_id,omitempty"` // SIP Call-ID: writing the same call twice is a no-op
	CallerE164  string      `json:"caller_e164,omitempty"`
	Outcome     CallOutcome `json:"outcome,omitempty"`
	AnsweredBy  int64       `json:"answered_by,omitempty"`
	RingSeconds int         `json:"ring_seconds,omitempty"`
	TalkSeconds int         `json:"talk_seconds,omitempty"`
	// Route is routing's account of the call (each step, who rang, outcome);
	// stored as given.
	Route   json.RawMessage `json:"route,omitempty"`
	Subject string          `json:"subject,omitempty"`
	Notes   string          `json:"notes,omitempty"`
	// Recording is a reference to a stored voicemail or recording.
	Recording string `json:"recording,omitempty"`
	// RecordedAt is when routing's record of the call was written; nil
	// while only people have written the call (a capture or a wrap-up
	// saved during the call, before routing writes it at hang-up).
	RecordedAt *time.Time `json:"recorded_at,omitempty"`
	// The wrap-up: how the answerer sums the call up, their note, when
	// and who.
	WrapUpOutcome WrapUpOutcome `json:"wrap_up_outcome,omitempty"`
	WrapUpNote    string        `json:"wrap_up_note,omitempty"`
	WrappedUpAt   *time.Time    `json:"wrapped_up_at,omitempty"`
	WrappedUpBy   int64         `json:"wrapped_up_by,omitempty"`
	CreatedAt     time.Time     `json:"created_at"`
	CreatedBy     int64         `json:"created_by,omitempty"`
}

// CallRecord is what one call writes (Store.AddCalls): its interaction and,
// for a missed call, the call-back task, whose InteractionID the store
// sets.
type CallRecord struct {
	Interaction *Interaction
	CallBack    *Task
}

// TaskKind is what a task asks for.
type TaskKind string

const (
	TaskCallBack TaskKind = "call_back"
	TaskMeeting  TaskKind = "meeting"
	TaskFollowUp TaskKind = "follow_up"
)

// Task is a follow-up for a manager (or, with no assignee, for the inbound
// desk), with a due time.
type Task struct {
	ID            int64      `json:"id"`
	Kind          TaskKind   `json:"kind"`
	AssigneeID    int64      `json:"assignee_id,omitempty"` // 0 = the inbound desk
	ContactID     int64      `json:"contact_id,omitempty"`
	CompanyID     int64      `json:"company_id,omitempty"`
	InterestID    int64      `json:"interest_id,omitempty"`
	InteractionID int64      `json:"interaction_id,omitempty"`
	CallerE164    string     `json:"caller_e164,omitempty"`
	Title         string     `json:"title"`
	Due           time.Time  `json:"due"`
	DoneAt        *time.Time `json:"done_at,omitempty"`
	Notes         string     `json:"notes,omitempty"`
	Audit
}

// TaskFilter selects tasks in ListTasks.
type TaskFilter struct {
	AssigneeID int64
	DeskOnly   bool // tasks with no assignee
	ContactID  int64
	// InteractionID selects the tasks of one interaction (a call's
	// call-back).
	InteractionID int64
	OpenOnly      bool
	DueBefore     *time.Time
	VisibleTo     []int64
	Limit         int
	Offset        int
}

// Delegation sends a manager's calls and new work to a delegate for a
// period (a leave); it ends by itself at Ends.
type Delegation struct {
	ID         int64      `json:"id"`
	UserID     int64      `json:"user_id"`
	DelegateID int64      `json:"delegate_id"`
	Starts     time.Time  `json:"starts"`
	Ends       time.Time  `json:"ends"`
	Reason     string     `json:"reason,omitempty"`
	EndedAt    *time.Time `json:"ended_at,omitempty"` // ended early by hand
	CreatedAt  time.Time  `json:"created_at"`
	CreatedBy  int64      `json:"created_by,omitempty"`
}

// ActiveAt reports whether the delegation is in force at t.
func (d *Delegation) ActiveAt(t time.Time) bool {
	return !t.Before(d.Starts) && t.Before(d.Ends) && (d.EndedAt == nil || t.Before(*d.EndedAt))
}

// DelegationFilter selects delegations.
type DelegationFilter struct {
	UserID   int64
	ActiveAt *time.Time
}
