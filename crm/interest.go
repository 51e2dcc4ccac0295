package crm

import (
	"fmt"
	"time"
)

// Stage is where an interest (a client need, a potential deal) stands.
type Stage string

const (
	StageNew     Stage = "new"
	StageMeeting Stage = "meeting" // a demo in the office
	StageOffer   Stage = "offer"   // commercial offer sent
	StageWaiting Stage = "waiting" // for the decision maker, a comparison, a budget
	StageWon     Stage = "won"
	StageLost    Stage = "lost"
)

// OpenStages are the stages of an interest still being worked, in pipeline
// order.
var OpenStages = []Stage{StageNew, StageMeeting, StageOffer, StageWaiting}

// Open reports whether an interest in this stage is still being worked.
func (s Stage) Open() bool { return s != StageWon && s != StageLost }

// ParseStage checks a stage name.
func ParseStage(s string) (Stage, error) {
	switch Stage(s) {
	case StageNew, StageMeeting, StageOffer, StageWaiting, StageWon, StageLost:
		return Stage(s), nil
	}
	return "", fmt.Errorf("unknown stage %q: want new, meeting, offer, waiting, won or lost", s)
}

// LostReason says why an interest was lost.
type LostReason string

const (
	LostUnreachable  LostReason = "unreachable"
	LostCompetitor   LostReason = "competitor"
	LostNotPromising LostReason = "not_promising"
	LostOther        LostReason = "other"
)

// ParseLostReason checks a lost reason.
func ParseLostReason(s string) (LostReason, error) {
	switch LostReason(s) {
	case LostUnreachable, LostCompetitor, LostNotPromising, LostOther:
		return LostReason(s), nil
	}
	return "", fmt.Errorf("unknown lost reason %q: want unreachable, competitor, not_promising or other", s)
}

// Interest is one client need or potential deal. It is never just dropped:
// it ends won or lost.
type Interest struct {
	ID         int64      `json:"id"`
	ContactID  int64      `json:"contact_id,omitempty"`
	CompanyID  int64      `json:"company_id,omitempty"`
	Title      string     `json:"title"`
	Need       string     `json:"need,omitempty"` // what the client needs, in their words
	Stage      Stage      `json:"stage"`
	LostReason LostReason `json:"lost_reason,omitempty"`
	OwnerID    int64      `json:"owner_id,omitempty"`
	// NextFollowUp is when the owner is to get back to the client.
	NextFollowUp *time.Time `json:"next_follow_up,omitempty"`
	Notes        string     `json:"notes,omitempty"`
	// LastActivityAt moves with every change and every interaction on the
	// interest; the caller's owner is the owner of the most recently active
	// open interest.
	LastActivityAt time.Time  `json:"last_activity_at"`
	ClosedAt       *time.Time `json:"closed_at,omitempty"`
	Audit
}

// InterestFilter selects interests in ListInterests.
type InterestFilter struct {
	ContactID int64
	CompanyID int64
	OwnerID   int64
	Stage     Stage
	OpenOnly  bool
	// FollowUpBefore selects open interests whose next follow-up is before
	// this time (overdue follow-ups).
	FollowUpBefore *time.Time
	// VisibleTo restricts to interests owned by these users or on their
	// clients (empty = no restriction).
	VisibleTo []int64
	Limit     int
	Offset    int
}
