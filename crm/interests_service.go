package crm

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// InterestPatch creates or changes an interest.
type InterestPatch struct {
	ContactID    *int64      `json:"contact_id"`
	CompanyID    *int64      `json:"company_id"`
	Title        *string     `json:"title"`
	Need         *string     `json:"need"`
	Stage        *Stage      `json:"stage"`
	LostReason   *LostReason `json:"lost_reason"`
	OwnerID      *int64      `json:"owner_id"`
	NextFollowUp *time.Time  `json:"next_follow_up"`
	// ClearFollowUp removes the next follow-up date.
	ClearFollowUp bool    `json:"clear_follow_up"`
	Notes         *string `json:"notes"`
	Version       *int64  `json:"version"`
}

const maxNotes = 20000

func (s *Service) applyInterest(ctx context.Context, a Actor, in *Interest, p InterestPatch, create bool) error {
	var err error
	if p.ContactID != nil && *p.ContactID != in.ContactID {
		if !create {
			return fieldErr("contact_id", "an interest stays with its client; reassign or create a new one")
		}
		ct, err := s.store.GetContact(ctx, *p.ContactID)
		if errors.Is(err, ErrNotFound) {
			return fieldErr("contact_id", "no contact with id %d", *p.ContactID)
		} else if err != nil {
			return err
		}
		in.ContactID = ct.ID
		if in.CompanyID == 0 {
			in.CompanyID = ct.CompanyID
		}
	}
	if p.CompanyID != nil && *p.CompanyID != in.CompanyID {
		if _, err := s.store.GetCompany(ctx, *p.CompanyID); errors.Is(err, ErrNotFound) {
			return fieldErr("company_id", "no company with id %d", *p.CompanyID)
		} else if err != nil {
			return err
		}
		in.CompanyID = *p.CompanyID
	}
	if p.Need != nil {
		if len(*p.Need) > maxNotes {
			return fieldErr("need", "is longer than %d characters", maxNotes)
		}
		in.Need = *p.Need
	}
	if p.Title != nil || create {
		t := ""
		if p.Title != nil {
			t = *p.Title
		}
		if t == "" && create {
			t = firstLine(in.Need, 80)
		}
		if in.Title, err = text("title", &t, true); err != nil {
			return err
		}
	}
	if p.Notes != nil {
		if len(*p.Notes) > maxNotes {
			return fieldErr("notes", "is longer than %d characters", maxNotes)
		}
		in.Notes = *p.Notes
	}
	if p.ClearFollowUp {
		in.NextFollowUp = nil
	} else if p.NextFollowUp != nil {
		t := p.NextFollowUp.UTC()
		in.NextFollowUp = &t
	}
	if err := s.applyOwner(ctx, a, &in.OwnerID, p.OwnerID, create); err != nil {
		return err
	}
	return s.applyStage(in, p)
}

// applyStage moves the stage: lost needs a reason, won and lost close the
// interest, reopening clears the reason.
func (s *Service) applyStage(in *Interest, p InterestPatch) error {
	stage := in.Stage
	if stage == "" {
		stage = StageNew
	}
	if p.Stage != nil {
		st, err := ParseStage(string(*p.Stage))
		if err != nil {
			return fieldErr("stage", "%v", err)
		}
		stage = st
	}
	if p.LostReason != nil && *p.LostReason != "" {
		if _, err := ParseLostReason(string(*p.LostReason)); err != nil {
			return fieldErr("lost_reason", "%v", err)
		}
		if stage != StageLost {
			return fieldErr("lost_reason", "only a lost interest has a lost reason")
		}
	}
	now := s.Now()
	switch {
	case stage == StageLost:
		reason := in.LostReason
		if p.LostReason != nil {
			reason = *p.LostReason
		}
		if reason == "" {
			return fieldErr("lost_reason", "is required when the stage is lost: unreachable, competitor, not_promising or other")
		}
		in.LostReason = reason
	default:
		in.LostReason = ""
	}
	if stage.Open() {
		in.ClosedAt = nil
	} else if in.Stage != stage || in.ClosedAt == nil {
		in.ClosedAt = &now
	}
	in.Stage = stage
	in.LastActivityAt = now
	return nil
}

func firstLine(s string, n int) string {
	for i, r := range s {
		if r == '\n' || r == '\r' {
			s = s[:i]
			break
		}
	}
	if r := []rune(s); len(r) > n {
		s = string(r[:n])
	}
	return s
}

// CreateInterest records a new client need. Without an owner it goes to the
// contact's owner, else the company's, else the manager creating it.
func (s *Service) CreateInterest(ctx context.Context, a Actor, p InterestPatch) (*Interest, error) {
	in := &Interest{}
	if err := s.applyInterest(ctx, a, in, p, true); err != nil {
		return nil, err
	}
	if in.ContactID == 0 && in.CompanyID == 0 {
		return nil, fieldErr("contact_id", "an interest needs a contact or a company")
	}
	if err := s.mayViewClient(ctx, a, in); err != nil {
		field, id := "contact_id", in.ContactID
		if id == 0 {
			field, id = "company_id", in.CompanyID
		}
		return nil, fieldErrIfMissing(field, id, err)
	}
	if in.OwnerID == 0 {
		in.OwnerID = s.defaultOwner(ctx, a, in)
	}
	if err := s.store.CreateInterest(ctx, a, in); err != nil {
		return nil, fmt.Errorf("create interest: %w", err)
	}
	return in, nil
}

func (s *Service) defaultOwner(ctx context.Context, a Actor, in *Interest) int64 {
	if in.ContactID != 0 {
		if c, err := s.store.GetContact(ctx, in.ContactID); err == nil && c.OwnerID != 0 {
			return c.OwnerID
		}
	}
	if in.CompanyID != 0 {
		if c, err := s.store.GetCompany(ctx, in.CompanyID); err == nil && c.OwnerID != 0 {
			return c.OwnerID
		}
	}
	if a.Role == RoleManager || a.Role == RoleHead {
		return a.UserID
	}
	return 0
}

// mayViewClient checks the actor may see the interest's client.
func (s *Service) mayViewClient(ctx context.Context, a Actor, in *Interest) error {
	return s.mayView(ctx, a, func() []int64 {
		owners := []int64{in.OwnerID}
		if in.ContactID != 0 {
			if c, err := s.store.GetContact(ctx, in.ContactID); err == nil {
				owners = append(owners, c.OwnerID)
			}
		}
		if in.CompanyID != 0 {
			if c, err := s.store.GetCompany(ctx, in.CompanyID); err == nil {
				owners = append(owners, c.OwnerID)
			}
		}
		return owners
	})
}

// Interest returns an interest the actor may see.
func (s *Service) Interest(ctx context.Context, a Actor, id int64) (*Interest, error) {
	in, err := s.store.GetInterest(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.mayViewClient(ctx, a, in); err != nil {
		return nil, err
	}
	return in, nil
}

// Interests lists the interests the actor may see.
func (s *Service) Interests(ctx context.Context, a Actor, f InterestFilter) ([]Interest, error) {
	visible, err := s.visibleOwners(ctx, a)
	if err != nil {
		return nil, err
	}
	f.VisibleTo = visible
	return s.store.ListInterests(ctx, f)
}

// UpdateInterest changes an interest: its stage (lost needs a reason),
// follow-up, notes, or (head of sales) its owner.
func (s *Service) UpdateInterest(ctx context.Context, a Actor, id int64, p InterestPatch) (*Interest, error) {
	in, err := s.Interest(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if err := checkVersion(p.Version, in.Version); err != nil {
		return nil, err
	}
	if err := s.applyInterest(ctx, a, in, p, false); err != nil {
		return nil, err
	}
	if err := s.store.UpdateInterest(ctx, a, in); err != nil {
		return nil, fmt.Errorf("update interest %d: %w", id, err)
	}
	return in, nil
}
