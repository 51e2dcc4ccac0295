package crm

import "time"

// ReassignRequest moves clients from one manager to another. Exactly one of
// ContactID, CompanyID or FromUserID (all of that manager's clients) says
// what moves.
type ReassignRequest struct {
	ContactID  int64  `json:"contact_id,omitempty"`
	CompanyID  int64  `json:"company_id,omitempty"`
	FromUserID int64  `json:"from_user_id,omitempty"`
	ToUserID   int64  `json:"to_user_id"`
	Note       string `json:"note,omitempty"`
}

// Reassignment is a recorded move of ownership; Items remember every
// previous owner so it can be undone.
type Reassignment struct {
	ID         int64            `json:"id"`
	ContactID  int64            `json:"contact_id,omitempty"`
	CompanyID  int64            `json:"company_id,omitempty"`
	FromUserID int64            `json:"from_user_id,omitempty"`
	ToUserID   int64            `json:"to_user_id"`
	Note       string           `json:"note,omitempty"`
	Items      []ReassignedItem `json:"items"`
	CreatedAt  time.Time        `json:"created_at"`
	CreatedBy  int64            `json:"created_by,omitempty"`
	UndoneAt   *time.Time       `json:"undone_at,omitempty"`
	UndoneBy   int64            `json:"undone_by,omitempty"`
	// Skipped counts, after an undo, the items left alone because they had
	// been moved again since.
	Skipped int `json:"skipped,omitempty"`
}

// Entity names a kind of record in reassignments and the change log.
type Entity string

const (
	EntityCompany     Entity = "company"
	EntityContact     Entity = "contact"
	EntityInterest    Entity = "interest"
	EntityTask        Entity = "task"
	EntityInteraction Entity = "interaction"
	EntityUser        Entity = "user"
	EntityDelegation  Entity = "delegation"
)

// ReassignedItem is one record whose owner moved.
type ReassignedItem struct {
	Entity      Entity `json:"entity"`
	EntityID    int64  `json:"entity_id"`
	PrevOwnerID int64  `json:"prev_owner_id,omitempty"`
}
