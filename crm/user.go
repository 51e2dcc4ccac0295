package crm

import (
	"fmt"
	"time"
)

// Role is what a user does in the sales team; it decides what they may see
// and do.
type Role string

const (
	// RoleHead is the head of sales: sees everything, reassigns clients, sets
	// delegations and manages users.
	RoleHead Role = "head"
	// RoleManager owns clients and interests.
	RoleManager Role = "manager"
	// RoleAgent works the inbound desk: answers calls nobody owns and records
	// who called.
	RoleAgent Role = "agent"
)

// ParseRole accepts the role names used on the command line and in the API.
func ParseRole(s string) (Role, error) {
	switch Role(s) {
	case RoleHead, RoleManager, RoleAgent:
		return Role(s), nil
	}
	return "", fmt.Errorf("unknown role %q: want head, manager or agent", s)
}

// User is a person who signs in to callroute.
type User struct {
	ID     int64  `json:"id"`
	Email  string `json:"email"`
	Name   string `json:"name"`
	Role   Role   `json:"role"`
	Active bool   `json:"active"`
	// PasswordHash is a PHC-format argon2id hash; empty means the user cannot
	// sign in with a password.
	PasswordHash string `json:"-"`
	// SIPUsername is the user's extension for their SIP phones; empty when
	// they have none.
	SIPUsername string `json:"sip_username,omitempty"`
	// SIPHA1MD5 and SIPHA1SHA256 are the digest HA1 values
	// (H(username:realm:password), RFC 8760 section 2) so the password
	// itself is never stored.
	SIPHA1MD5    string    `json:"-"`
	SIPHA1SHA256 string    `json:"-"`
	SIPRealm     string    `json:"-"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// Ref is the short form of the user shown next to a record.
func (u *User) Ref() *UserRef {
	if u == nil {
		return nil
	}
	return &UserRef{ID: u.ID, Name: u.Name, Email: u.Email}
}

// UserRef names a user in API answers.
type UserRef struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

// APIToken is a bearer token for the REST API. Only a hash of the secret is
// stored.
type APIToken struct {
	ID        int64     `json:"id"`
	UserID    int64     `json:"user_id"`
	Hash      string    `json:"-"`
	Label     string    `json:"label"`
	CreatedAt time.Time `json:"created_at"`
}

// Actor is who makes a change; it is written beside every change. A zero
// Actor is callroute itself (routing writing a call, a delegation ending).
type Actor struct {
	UserID int64
	Role   Role
}

// System is the actor for changes callroute makes on its own.
var System = Actor{}

// ActorOf returns the actor for a signed-in user.
func ActorOf(u *User) Actor { return Actor{UserID: u.ID, Role: u.Role} }
