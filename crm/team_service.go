package crm

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// NewDelegation sends a manager's calls and new work to a delegate from
// Starts to Ends.
type NewDelegation struct {
	UserID     int64     `json:"user_id"`
	DelegateID int64     `json:"delegate_id"`
	Starts     time.Time `json:"starts"`
	Ends       time.Time `json:"ends"`
	Reason     string    `json:"reason"`
}

// maxDelegation bounds a delegation: a longer absence is a reassignment.
const maxDelegation = 366 * 24 * time.Hour

// CreateDelegation sets a delegate for a period. The head of sales sets
// anyone's; a manager may set their own.
func (s *Service) CreateDelegation(ctx context.Context, a Actor, in NewDelegation) (*Delegation, error) {
	if !isAdmin(a) && !(a.Role == RoleManager && in.UserID == a.UserID) {
		return nil, fmt.Errorf("set a delegation for someone else: %w", ErrForbidden)
	}
	if in.UserID == 0 {
		return nil, fieldErr("user_id", "is required")
	}
	if in.DelegateID == 0 {
		return nil, fieldErr("delegate_id", "is required")
	}
	if in.DelegateID == in.UserID {
		return nil, fieldErr("delegate_id", "a manager cannot delegate to themselves")
	}
	if _, err := s.store.GetUser(ctx, in.UserID); err != nil {
		return nil, fieldErrIfMissing("user_id", in.UserID, err)
	}
	if err := s.checkOwner(ctx, "delegate_id", in.DelegateID); err != nil {
		return nil, err
	}
	now := s.Now()
	if in.Starts.IsZero() {
		in.Starts = now
	}
	if in.Ends.IsZero() {
		return nil, fieldErr("ends", "is required")
	}
	if !in.Ends.After(in.Starts) {
		return nil, fieldErr("ends", "must be after starts")
	}
	if !in.Ends.After(now) {
		return nil, fieldErr("ends", "is in the past")
	}
	if in.Ends.Sub(in.Starts) > maxDelegation {
		return nil, fieldErr("ends", "a delegation lasts at most a year; reassign the clients instead")
	}
	existing, err := s.store.ListDelegations(ctx, DelegationFilter{UserID: in.UserID})
	if err != nil {
		return nil, err
	}
	for _, d := range existing {
		end := d.Ends
		if d.EndedAt != nil && d.EndedAt.Before(end) {
			end = *d.EndedAt
		}
		if in.Starts.Before(end) && d.Starts.Before(in.Ends) {
			return nil, fieldErr("starts", "overlaps delegation %d (%s to %s)", d.ID,
				d.Starts.Format(time.DateOnly), end.Format(time.DateOnly))
		}
	}
	d := &Delegation{UserID: in.UserID, DelegateID: in.DelegateID, Starts: in.Starts.UTC(), Ends: in.Ends.UTC(),
		Reason: strings.TrimSpace(in.Reason)}
	if err := s.store.CreateDelegation(ctx, a, d); err != nil {
		return nil, fmt.Errorf("create delegation: %w", err)
	}
	return d, nil
}

// Delegations lists delegations (active at a time, or of a user). The head
// of sales sees all; others see those they are part of.
func (s *Service) Delegations(ctx context.Context, a Actor, f DelegationFilter) ([]Delegation, error) {
	ds, err := s.store.ListDelegations(ctx, f)
	if err != nil || isAdmin(a) {
		return ds, err
	}
	mine := ds[:0]
	for _, d := range ds {
		if d.UserID == a.UserID || d.DelegateID == a.UserID {
			mine = append(mine, d)
		}
	}
	return mine, nil
}

// Delegation returns one delegation the actor is part of (any, for the head
// of sales).
func (s *Service) Delegation(ctx context.Context, a Actor, id int64) (*Delegation, error) {
	d, err := s.store.GetDelegation(ctx, id)
	if err != nil {
		return nil, err
	}
	if !isAdmin(a) && d.UserID != a.UserID && d.DelegateID != a.UserID {
		return nil, fmt.Errorf("not your delegation: %w", ErrNotFound)
	}
	return d, nil
}

// EndDelegation ends a delegation now.
func (s *Service) EndDelegation(ctx context.Context, a Actor, id int64) (*Delegation, error) {
	d, err := s.store.GetDelegation(ctx, id)
	if err != nil {
		return nil, err
	}
	if !isAdmin(a) && d.UserID != a.UserID {
		return nil, fmt.Errorf("end someone else's delegation: %w", ErrForbidden)
	}
	now := s.Now()
	if !d.ActiveAt(now) && !d.Starts.After(now) {
		return d, nil // already over
	}
	if err := s.store.EndDelegation(ctx, a, id, now); err != nil {
		return nil, err
	}
	return s.store.GetDelegation(ctx, id)
}

// Reassign moves one client (a contact or a company) or all of a manager's
// clients and open interests to another manager, in one transaction, so that
// it can be undone. Head of sales only.
func (s *Service) Reassign(ctx context.Context, a Actor, r ReassignRequest) (*Reassignment, error) {
	if err := requireHead(a, "reassign clients"); err != nil {
		return nil, err
	}
	n := 0
	for _, id := range []int64{r.ContactID, r.CompanyID, r.FromUserID} {
		if id != 0 {
			n++
		}
	}
	if n != 1 {
		return nil, fieldErr("contact_id", "name exactly one of contact_id, company_id or from_user_id")
	}
	if r.ToUserID == 0 {
		return nil, fieldErr("to_user_id", "is required")
	}
	if r.ToUserID == r.FromUserID {
		return nil, fieldErr("to_user_id", "is the same manager as from_user_id")
	}
	if err := s.checkOwner(ctx, "to_user_id", r.ToUserID); err != nil {
		return nil, err
	}
	switch {
	case r.ContactID != 0:
		if _, err := s.store.GetContact(ctx, r.ContactID); err != nil {
			return nil, fieldErrIfMissing("contact_id", r.ContactID, err)
		}
	case r.CompanyID != 0:
		if _, err := s.store.GetCompany(ctx, r.CompanyID); err != nil {
			return nil, fieldErrIfMissing("company_id", r.CompanyID, err)
		}
	default:
		if _, err := s.store.GetUser(ctx, r.FromUserID); err != nil {
			return nil, fieldErrIfMissing("from_user_id", r.FromUserID, err)
		}
	}
	return s.store.Reassign(ctx, a, r)
}

// UndoReassignment gives every moved record back to its previous owner,
// except those moved again since.
func (s *Service) UndoReassignment(ctx context.Context, a Actor, id int64) (*Reassignment, error) {
	if err := requireHead(a, "undo a reassignment"); err != nil {
		return nil, err
	}
	return s.store.UndoReassignment(ctx, a, id)
}

// Reassignment returns one reassignment.
func (s *Service) Reassignment(ctx context.Context, a Actor, id int64) (*Reassignment, error) {
	if err := requireHead(a, "see reassignments"); err != nil {
		return nil, err
	}
	return s.store.GetReassignment(ctx, id)
}

// History is the change log of a record the actor may see.
func (s *Service) History(ctx context.Context, a Actor, e Entity, id int64) ([]Change, error) {
	var err error
	switch e {
	case EntityContact:
		_, err = s.Contact(ctx, a, id)
	case EntityCompany:
		_, err = s.Company(ctx, a, id)
	case EntityInterest:
		_, err = s.Interest(ctx, a, id)
	default:
		err = requireHead(a, "see this history")
	}
	if err != nil {
		return nil, err
	}
	return s.store.Changes(ctx, e, id)
}
