package crm

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// The steps of applying a patch that companies, contacts and interests
// share: one rule each, so that the records cannot drift apart.

const maxText = 500 // longest name-like field

func text(field string, p *string, required bool) (string, error) {
	v := strings.TrimSpace(*p)
	if required && v == "" {
		return "", fieldErr(field, "is required")
	}
	if len(v) > maxText {
		return "", fieldErr(field, "is longer than %d characters", maxText)
	}
	if strings.ContainsAny(v, "\r\n\x00") {
		return "", fieldErr(field, "must be one line")
	}
	return v, nil
}

// checkOwner makes sure an owner is an active manager or head of sales.
func (s *Service) checkOwner(ctx context.Context, field string, id int64) error {
	if id == 0 {
		return nil
	}
	u, err := s.store.GetUser(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return fieldErr(field, "no user with id %d", id)
	}
	if err != nil {
		return err
	}
	if !u.Active {
		return fieldErr(field, "%s is no longer active", u.Email)
	}
	if u.Role == RoleAgent {
		return fieldErr(field, "%s is a desk agent; owners are managers or the head of sales", u.Email)
	}
	return nil
}

// checkVersion fails with ErrConflict when the patch was based on an older
// version than the stored one.
func checkVersion(want *int64, have int64) error {
	if want != nil && *want != have {
		return fmt.Errorf("version %d, now %d: %w", *want, have, ErrConflict)
	}
	return nil
}

// mayChangeOwner: the head of sales reassigns; anyone may set the owner of a
// record that has none (the desk captures a new caller for a manager).
func mayChangeOwner(a Actor, current int64, next *int64) error {
	if next == nil || *next == current || isAdmin(a) || current == 0 {
		return nil
	}
	return &FieldError{Field: "owner_id", Message: "only the head of sales may change an owner (use a reassignment)"}
}

// applyName sets a record's required name from a patch; creating without
// one fails as "is required".
func applyName(name, p *string, create bool) error {
	if p == nil && !create {
		return nil
	}
	if p == nil {
		p = new(string)
	}
	var err error
	*name, err = text("name", p, true)
	return err
}

// applyOwner sets a client record's owner from a patch: only the head of
// sales moves an owned record (a new one may name anyone), and the owner
// must be able to own clients.
func (s *Service) applyOwner(ctx context.Context, a Actor, owner, next *int64, create bool) error {
	if err := mayChangeOwner(a, *owner, next); err != nil && !create {
		return err
	}
	if next == nil {
		return nil
	}
	if err := s.checkOwner(ctx, "owner_id", *next); err != nil {
		return err
	}
	*owner = *next
	return nil
}

// applyPhones sets a company's or contact's phones from a patch, normalised
// and limited to the kinds it may have (the first is the default); a record
// always answers with a list, empty rather than null.
func (s *Service) applyPhones(phones, next *[]Phone, kinds ...PhoneKind) error {
	if next != nil {
		var err error
		if *phones, err = s.phones.normalizePhones("phones", *next, kinds...); err != nil {
			return err
		}
	}
	if *phones == nil {
		*phones = []Phone{}
	}
	return nil
}

// ownerOrSelf is the owner of a new client record: the one named, else the
// manager creating it.
func ownerOrSelf(a Actor, named *int64) *int64 {
	if named == nil && a.Role == RoleManager {
		return &a.UserID
	}
	return named
}
