package routing

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"callroute/crm"
)

// Stage is a part of a call's route.
type Stage string

const (
	StageOwner     Stage = "owner"     // the caller's owner
	StageDelegate  Stage = "delegate"  // the delegate of an owner who is away
	StageDesk      Stage = "desk"      // a desk agent
	StageQueue     Stage = "queue"     // the caller waited in the desk queue
	StageVoicemail Stage = "voicemail" // voicemail or the closing message
	StageClosed    Stage = "closed"    // outside business hours
)

// StepOutcome is how one step of the route ended.
type StepOutcome string

const (
	OutcomeAnswered  StepOutcome = "answered"
	OutcomeNoAnswer  StepOutcome = "no_answer"
	OutcomeBusy      StepOutcome = "busy"     // on or offered another call, or every device busy
	OutcomeDeclined  StepOutcome = "declined" // rejected by the agent
	OutcomeOffline   StepOutcome = "offline"  // no device online
	OutcomeAway      StepOutcome = "away"     // chosen away or busy (not rung)
	OutcomeCancelled StepOutcome = "cancelled"
	OutcomeFailed    StepOutcome = "failed" // an error (the step's Error says which)
	OutcomeTimeout   StepOutcome = "timeout"
	OutcomeRecorded  StepOutcome = "recorded" // a voicemail was left
	OutcomeNoMessage StepOutcome = "no_message"
	OutcomeHungUp    StepOutcome = "hung_up" // the caller left during this step
)

// Step is one thing routing did for a call: ringing one agent, the wait in
// the queue, voicemail.
type Step struct {
	Stage  Stage         `json:"stage"`
	UserID int64         `json:"user_id,omitempty"`
	At     time.Time     `json:"at"`
	For    time.Duration `json:"-"`
	// Seconds is For in seconds, as stored.
	Seconds float64     `json:"seconds"`
	Outcome StepOutcome `json:"outcome"`
	Device  string      `json:"device,omitempty"`
	Error   string      `json:"error,omitempty"`
}

// routeSummary is the steps in a few words for the log:
// "owner/12/busy desk/20/answered".
func (r *Result) routeSummary() string {
	var b strings.Builder
	b.Grow(24 * len(r.Steps)) // "desk/1234/no_answer ": one allocation for most routes
	for i, st := range r.Steps {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(string(st.Stage))
		if st.UserID != 0 {
			b.WriteByte('/')
			b.WriteString(strconv.FormatInt(st.UserID, 10))
		}
		b.WriteByte('/')
		b.WriteString(string(st.Outcome))
	}
	return b.String()
}

// Ended says who ended a call.
type Ended string

const (
	EndedByCaller Ended = "caller"
	EndedByAgent  Ended = "agent"
	EndedBySystem Ended = "system" // timeout, voicemail over, shutdown, error
)

// Result is what happened to a call; Handle returns it and writes it as an
// interaction.
type Result struct {
	CallID     string `json:"call_id"`
	CallerE164 string `json:"caller_e164"`
	// Caller is the lookup's answer (nil when it failed).
	Caller  *crm.CallerInfo `json:"-"`
	Arrived time.Time       `json:"arrived"`
	Steps   []Step          `json:"steps"`
	Outcome crm.CallOutcome `json:"outcome"`
	// UserID is whom the call concerns: who answered, else the owner (or
	// delegate) it was for, else 0 (the desk).
	UserID     int64         `json:"user_id,omitempty"`
	AnsweredBy int64         `json:"answered_by,omitempty"`
	RingTime   time.Duration `json:"-"`
	TalkTime   time.Duration `json:"-"`
	Recording  string        `json:"recording,omitempty"`
	EndedBy    Ended         `json:"ended_by,omitempty"`
	// Degraded notes what did not work but did not stop the call (a failed
	// lookup: the call was routed as an unknown caller).
	Degraded string `json:"degraded,omitempty"`
	// Err is set when the call could not be routed at all (a duplicate
	// Call-ID).
	Err error `json:"-"`
}

// ErrDuplicateCall is Result.Err for a Call-ID that is empty or already
// being handled; nothing is done with the second call (its leg untouched).
var ErrDuplicateCall = errors.New("call already being handled")

// routeRecord is the JSON stored in Interaction.Route.
type routeRecord struct {
	Steps    []Step `json:"steps"`
	EndedBy  Ended  `json:"ended_by,omitempty"`
	Degraded string `json:"degraded,omitempty"`
}

// Interaction is the call as the client's timeline stores it.
func (r *Result) Interaction() crm.Interaction {
	steps := make([]Step, len(r.Steps))
	for i, s := range r.Steps {
		s.Seconds = math.Round(s.For.Seconds()*10) / 10
		steps[i] = s
	}
	route, _ := json.Marshal(routeRecord{Steps: steps, EndedBy: r.EndedBy, Degraded: r.Degraded})
	it := crm.Interaction{
		Kind: crm.KindCall, Direction: crm.Inbound, At: r.Arrived.UTC(),
		CallID: r.CallID, CallerE164: r.CallerE164,
		UserID: r.UserID, AnsweredBy: r.AnsweredBy, Outcome: r.Outcome,
		RingSeconds: seconds(r.RingTime), TalkSeconds: seconds(r.TalkTime),
		Route: route, Recording: r.Recording,
	}
	if c := r.Caller; c != nil {
		if c.Contact != nil {
			it.ContactID = c.Contact.ID
		}
		if c.Company != nil {
			it.CompanyID = c.Company.ID
		}
		if c.Interest != nil {
			it.InterestID = c.Interest.ID
		}
	}
	return it
}

func seconds(d time.Duration) int { return int(math.Round(d.Seconds())) }

// Lookup finds who is calling; *crm.Service implements it.
type Lookup interface {
	LookupCaller(ctx context.Context, raw string) (*crm.CallerInfo, error)
}

// CallRecorder writes a call on the client's timeline (and the call-back
// task of a missed call); writing the same Call-ID twice must change
// nothing. *crm.Service implements it.
type CallRecorder interface {
	RecordCall(ctx context.Context, it crm.Interaction) (*crm.Interaction, *crm.Task, error)
}

var (
	_ Lookup       = (*crm.Service)(nil)
	_ CallRecorder = (*crm.Service)(nil)
)
