package crm

import (
	"context"
	"slices"
)

// CallerFile is the screen pop: the lookup, plus the contact's phones, their
// open interests and last interactions.
type CallerFile struct {
	CallerInfo
	OpenInterests []Interest    `json:"open_interests"`
	Recent        []Interaction `json:"recent"`
	// Restricted is true when the caller is another manager's client: only
	// names and the owner are shown.
	Restricted bool `json:"restricted"`
}

// recentInteractions is how many interactions a screen pop shows.
const recentInteractions = 5

// CallerFile looks a number up for a person: what LookupCaller finds, with
// the details the actor may see.
func (s *Service) CallerFile(ctx context.Context, a Actor, raw string) (*CallerFile, error) {
	info, err := s.LookupCaller(ctx, raw)
	if err != nil {
		return nil, err
	}
	f := &CallerFile{CallerInfo: *info, OpenInterests: []Interest{}, Recent: []Interaction{}}
	if !info.Known {
		return f, nil
	}
	visible, err := s.visibleOwners(ctx, a)
	if err != nil {
		return nil, err
	}
	// A manager sees the file of their own clients and of calls that come to
	// them (as a delegate).
	mine := visible == nil || (info.Target != nil && slices.Contains(visible, info.Target.ID))
	if info.Contact != nil {
		mine = mine || canSee(visible, info.Contact.OwnerID)
	}
	if info.Company != nil {
		mine = mine || canSee(visible, info.Company.OwnerID)
	}
	if !mine {
		f.Restricted = true
		f.Contact = redactContact(f.Contact)
		f.Company = redactCompany(f.Company)
		f.Interest = nil
		for i := range f.Matches {
			f.Matches[i].Contact = redactContact(f.Matches[i].Contact)
			f.Matches[i].Company = redactCompany(f.Matches[i].Company)
		}
		return f, nil
	}
	if f.Contact != nil {
		if c, err := s.store.GetContact(ctx, f.Contact.ID); err == nil {
			f.Contact = c
		}
		if f.OpenInterests, err = s.store.ListInterests(ctx, InterestFilter{ContactID: f.Contact.ID, OpenOnly: true}); err != nil {
			return nil, err
		}
		if f.Recent, err = s.store.Timeline(ctx, f.Contact.ID, recentInteractions); err != nil {
			return nil, err
		}
	} else if f.Company != nil {
		if f.OpenInterests, err = s.store.ListInterests(ctx, InterestFilter{CompanyID: f.Company.ID, OpenOnly: true}); err != nil {
			return nil, err
		}
	}
	if f.Company != nil {
		if c, err := s.store.GetCompany(ctx, f.Company.ID); err == nil {
			f.Company = c
		}
	}
	return f, nil
}

func redactContact(c *Contact) *Contact {
	if c == nil {
		return nil
	}
	return &Contact{ID: c.ID, Name: c.Name, CompanyID: c.CompanyID, OwnerID: c.OwnerID, Phones: []Phone{}}
}

func redactCompany(c *Company) *Company {
	if c == nil {
		return nil
	}
	return &Company{ID: c.ID, Name: c.Name, OwnerID: c.OwnerID, Phones: []Phone{}}
}
