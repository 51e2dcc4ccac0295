package crm

import (
	"context"
	"encoding/json"
	"time"
)

// Store is the one interface to the client base's storage. Implementations
// keep it consistent (each method is one transaction), write a Change for
// every mutation, keep times in UTC and return ErrNotFound and ErrConflict as
// documented; the rules (validation, normalisation, roles) are the Service's.
type Store interface {
	// Ping checks the database is reachable (readiness).
	Ping(ctx context.Context) error
	Close() error

	CreateUser(ctx context.Context, a Actor, u *User) error // sets ID, CreatedAt, UpdatedAt; a duplicate email is a *FieldError on "email"
	GetUser(ctx context.Context, id int64) (*User, error)
	UserByEmail(ctx context.Context, email string) (*User, error) // case-insensitive
	UserBySIPUsername(ctx context.Context, username string) (*User, error)
	ListUsers(ctx context.Context) ([]User, error)
	// UpdateUser writes name, role, active, password hash and SIP
	// credentials; a SIP username already taken is a *FieldError on
	// "sip_username".
	UpdateUser(ctx context.Context, a Actor, u *User) error
	CreateAPIToken(ctx context.Context, a Actor, t *APIToken) error
	UserByTokenHash(ctx context.Context, hash string) (*User, error)

	// Browser sessions and sign-in attempts. They are not client records:
	// the change log gets only "sign_in", "sign_out" (an EndSession by a
	// user) and "end_sessions" entries on the user.

	// CreateSession stores a new session (sets ID); a missing user is a
	// *FieldError on "user_id".
	CreateSession(ctx context.Context, s *Session) error
	// SessionByTokenHash returns the session with this token hash and its
	// user (active or not), or ErrNotFound.
	SessionByTokenHash(ctx context.Context, hash string) (*Session, *User, error)
	// TouchSession sets a session's last-seen time.
	TouchSession(ctx context.Context, id int64, at time.Time) error
	// EndSession deletes one session; ErrNotFound when it is gone already.
	EndSession(ctx context.Context, a Actor, id int64) error
	// EndUserSessions deletes every session of a user and says how many.
	EndUserSessions(ctx context.Context, a Actor, userID int64) (int, error)
	// DeleteExpiredSessions deletes sessions created before createdBefore
	// or last seen before seenBefore.
	DeleteExpiredSessions(ctx context.Context, createdBefore, seenBefore time.Time) (int, error)
	// AddSignInAttempt writes an attempt and forgets every attempt before
	// forgetBefore (so the table holds one window's worth). Each call is
	// its own committed statement: attempts written in parallel see each
	// other when counted afterwards.
	AddSignInAttempt(ctx context.Context, at SignInAttempt, forgetBefore time.Time) error
	// CountSignInAttempts counts the attempts since since from source, all
	// of them and those for emailKey.
	CountSignInAttempts(ctx context.Context, source, emailKey string, since time.Time) (fromSource, forAccount int, err error)
	// ClearSignInAttempts forgets the attempts from source for emailKey.
	ClearSignInAttempts(ctx context.Context, source, emailKey string) error

	CreateCompany(ctx context.Context, a Actor, c *Company) error // sets ID, Audit (Version 1)
	GetCompany(ctx context.Context, id int64) (*Company, error)
	CompanyByName(ctx context.Context, name string) (*Company, error) // case-insensitive exact match
	ListCompanies(ctx context.Context, f CompanyFilter) ([]Company, error)
	// UpdateCompany replaces the company (phones too) if its stored version
	// is still c.Version, else ErrConflict; on success c.Version is the new
	// version.
	UpdateCompany(ctx context.Context, a Actor, c *Company) error

	CreateContact(ctx context.Context, a Actor, c *Contact) error
	GetContact(ctx context.Context, id int64) (*Contact, error)
	ListContacts(ctx context.Context, f ContactFilter) ([]Contact, error)
	UpdateContact(ctx context.Context, a Actor, c *Contact) error // as UpdateCompany

	CreateInterest(ctx context.Context, a Actor, i *Interest) error
	GetInterest(ctx context.Context, id int64) (*Interest, error)
	ListInterests(ctx context.Context, f InterestFilter) ([]Interest, error) // most recently active first
	UpdateInterest(ctx context.Context, a Actor, i *Interest) error          // as UpdateCompany

	// AddInteraction writes one timeline entry and moves LastActivityAt of
	// its interest. An interaction with a CallID is routing's record of the
	// call, merged into the call's row by the rule told at CaptureWrite, and
	// the row as stored is returned in *it: writing the same record again
	// changes nothing (idempotent retries).
	AddInteraction(ctx context.Context, a Actor, it *Interaction) error
	// AddCalls writes several calls in one transaction, all or none: each
	// interaction as AddInteraction does (a CallID written before is left
	// as it is; the record gets its ID), and each call-back task that is
	// set, unless its interaction has one already (a retried write).
	AddCalls(ctx context.Context, a Actor, calls []CallRecord) error
	GetInteraction(ctx context.Context, id int64) (*Interaction, error)
	// InteractionByCallID returns the interaction of a call (ErrNotFound:
	// none written yet).
	InteractionByCallID(ctx context.Context, callID string) (*Interaction, error)
	// SaveCallCapture writes what the answerer captured during a call, in
	// one transaction, as CaptureWrite says; all or nothing.
	SaveCallCapture(ctx context.Context, a Actor, w *CaptureWrite) error
	// WrapUpCall stores a call's wrap-up, as WrapUpWrite says, in one
	// transaction.
	WrapUpCall(ctx context.Context, a Actor, w *WrapUpWrite) error
	// Timeline lists a contact's interactions, newest first.
	Timeline(ctx context.Context, contactID int64, limit int) ([]Interaction, error)
	// CallStats counts inbound calls per user per day (UTC) in [from, to).
	CallStats(ctx context.Context, from, to time.Time) ([]CallStat, error)

	CreateTask(ctx context.Context, a Actor, t *Task) error
	GetTask(ctx context.Context, id int64) (*Task, error)
	ListTasks(ctx context.Context, f TaskFilter) ([]Task, error) // earliest due first
	UpdateTask(ctx context.Context, a Actor, t *Task) error      // as UpdateCompany

	CreateDelegation(ctx context.Context, a Actor, d *Delegation) error
	GetDelegation(ctx context.Context, id int64) (*Delegation, error)
	ListDelegations(ctx context.Context, f DelegationFilter) ([]Delegation, error)
	// EndDelegation ends a delegation early, at the given time.
	EndDelegation(ctx context.Context, a Actor, id int64, at time.Time) error

	// LookupPhone is the hot path of every call: every contact having the
	// E.164 number, else every company having it as a switchboard number,
	// each with its owner resolved by the ownership rule (see CallerMatch)
	// and the owner's delegation active at time at. One indexed query.
	LookupPhone(ctx context.Context, e164 string, at time.Time) ([]CallerMatch, error)

	// Reassign moves ownership as the request says, in one transaction, and
	// records every previous owner.
	Reassign(ctx context.Context, a Actor, r ReassignRequest) (*Reassignment, error)
	GetReassignment(ctx context.Context, id int64) (*Reassignment, error)
	// UndoReassignment gives every item back to its previous owner when its
	// owner is still the one the reassignment set (else it counts it in
	// Skipped); undoing twice is ErrConflict.
	UndoReassignment(ctx context.Context, a Actor, id int64) (*Reassignment, error)

	// ImportContacts writes all rows in one transaction: companies matched by
	// name (case-insensitive) or created, contacts created. All or nothing.
	ImportContacts(ctx context.Context, a Actor, rows []ImportRow) (*ImportResult, error)

	// Changes lists the change log of one record, oldest first.
	Changes(ctx context.Context, e Entity, id int64) ([]Change, error)
}

// CallerMatch is one record a phone number matched. The owner is, by the
// rule of PRODUCT.md: the owner of the most recently active open interest
// (of the contact; for a switchboard match, of the company), else the
// contact's owner, else the company's account owner.
type CallerMatch struct {
	// Contact is nil when the number is only a company's switchboard.
	// Phones are not loaded.
	Contact *Contact
	// Company is the contact's company, or the switchboard's company; nil for
	// a contact without one. Phones are not loaded.
	Company *Company
	// Interest is the most recently active open interest, if any.
	Interest *Interest
	// Owner is the resolved owner (nil: nobody owns this caller): ID,
	// Email, Name, Role and Active only, no credentials.
	Owner       *User
	OwnerSource OwnerSource
	// Delegation is the owner's delegation active at the lookup time, and
	// Delegate the user it names (the same fields as Owner).
	Delegation *Delegation
	Delegate   *User
}

// OwnerSource says which rule found the owner.
type OwnerSource string

const (
	OwnerNone     OwnerSource = ""
	OwnerInterest OwnerSource = "interest"
	OwnerContact  OwnerSource = "contact"
	OwnerCompany  OwnerSource = "company"
)

// CallStat is one row of the calls report.
type CallStat struct {
	UserID   int64  `json:"user_id"` // 0 = nobody (desk calls nobody answered)
	Day      string `json:"day"`     // YYYY-MM-DD, UTC
	Answered int    `json:"answered"`
	Missed   int    `json:"missed"` // missed, voicemail or abandoned
}

// ImportRow is one validated row of a contacts import.
type ImportRow struct {
	Line        int // for errors; the header is line 1
	Name        string
	CompanyName string // "" = no company
	Website     string // the company's
	Position    string
	Email       string
	Phones      []Phone
	Messenger   string
	OwnerID     int64
}

// ImportResult says what an import created.
type ImportResult struct {
	Contacts         int `json:"contacts"`
	CompaniesCreated int `json:"companies_created"`
	CompaniesMatched int `json:"companies_matched"`
}

// Change is one entry of the change log: who changed what, when.
type Change struct {
	ID       int64           `json:"id"`
	At       time.Time       `json:"at"`
	UserID   int64           `json:"user_id,omitempty"` // 0 = callroute itself
	Entity   Entity          `json:"entity"`
	EntityID int64           `json:"entity_id"`
	Action   string          `json:"action"` // create, update, reassign, undo, end, ...
	Data     json.RawMessage `json:"data,omitempty"`
}
