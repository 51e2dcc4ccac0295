package crm

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// CompanyPatch creates or changes a company: a nil field is left as it is.
// Version, when set, must be the version the change was based on.
type CompanyPatch struct {
	Name     *string  `json:"name"`
	Website  *string  `json:"website"`
	Size     *int     `json:"size"`
	Industry *string  `json:"industry"`
	OwnerID  *int64   `json:"owner_id"`
	Phones   *[]Phone `json:"phones"`
	Version  *int64   `json:"version"`
}

// ContactPatch creates or changes a contact. CompanyName (instead of
// CompanyID) matches a company by name or creates it.
type ContactPatch struct {
	Name        *string  `json:"name"`
	CompanyID   *int64   `json:"company_id"`
	CompanyName *string  `json:"company_name"`
	Position    *string  `json:"position"`
	Email       *string  `json:"email"`
	Phones      *[]Phone `json:"phones"`
	Messenger   *string  `json:"messenger"`
	OwnerID     *int64   `json:"owner_id"`
	MailingOnly *bool    `json:"mailing_only"`
	Version     *int64   `json:"version"`
}

func cleanWebsite(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	raw := s
	if !strings.Contains(s, "://") {
		raw = "https://" + s
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || !strings.Contains(u.Host, ".") {
		return "", fmt.Errorf("%q is not a website address", s)
	}
	return raw, nil
}

func (s *Service) applyCompany(ctx context.Context, a Actor, c *Company, p CompanyPatch, create bool) error {
	if err := applyName(&c.Name, p.Name, create); err != nil {
		return err
	}
	var err error
	if p.Website != nil {
		if c.Website, err = cleanWebsite(strings.TrimSpace(*p.Website)); err != nil {
			return fieldErr("website", "%v", err)
		}
	}
	if p.Size != nil {
		if *p.Size < 0 || *p.Size > 10_000_000 {
			return fieldErr("size", "must be a number of employees between 0 and 10000000")
		}
		c.Size = *p.Size
	}
	if p.Industry != nil {
		if c.Industry, err = text("industry", p.Industry, false); err != nil {
			return err
		}
	}
	if err := s.applyOwner(ctx, a, &c.OwnerID, p.OwnerID, create); err != nil {
		return err
	}
	return s.applyPhones(&c.Phones, p.Phones, PhoneSwitchboard)
}

// CreateCompany adds a company. A manager who names no owner owns it.
func (s *Service) CreateCompany(ctx context.Context, a Actor, p CompanyPatch) (*Company, error) {
	c := &Company{}
	p.OwnerID = ownerOrSelf(a, p.OwnerID)
	if err := s.applyCompany(ctx, a, c, p, true); err != nil {
		return nil, err
	}
	if err := s.store.CreateCompany(ctx, a, c); err != nil {
		return nil, fmt.Errorf("create company: %w", err)
	}
	return c, nil
}

// Company returns a company the actor may see.
func (s *Service) Company(ctx context.Context, a Actor, id int64) (*Company, error) {
	c, err := s.store.GetCompany(ctx, id)
	if err != nil {
		return nil, err
	}
	owners := func() []int64 { return append([]int64{c.OwnerID}, s.companyContactOwners(ctx, c.ID)...) }
	if err := s.mayView(ctx, a, owners); err != nil {
		return nil, err
	}
	return c, nil
}

// companyContactOwners lists the owners of a company's contacts: a manager
// who owns a contact there sees the company.
func (s *Service) companyContactOwners(ctx context.Context, companyID int64) []int64 {
	cs, err := s.store.ListContacts(ctx, ContactFilter{CompanyID: companyID, Limit: 1000})
	if err != nil {
		return nil
	}
	owners := make([]int64, 0, len(cs))
	for _, c := range cs {
		owners = append(owners, c.OwnerID)
	}
	return owners
}

// Companies lists the companies the actor may see.
func (s *Service) Companies(ctx context.Context, a Actor, f CompanyFilter) ([]Company, error) {
	visible, err := s.visibleOwners(ctx, a)
	if err != nil {
		return nil, err
	}
	f.VisibleTo = visible
	return s.store.ListCompanies(ctx, f)
}

// UpdateCompany changes a company.
func (s *Service) UpdateCompany(ctx context.Context, a Actor, id int64, p CompanyPatch) (*Company, error) {
	c, err := s.Company(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if err := checkVersion(p.Version, c.Version); err != nil {
		return nil, err
	}
	if err := s.applyCompany(ctx, a, c, p, false); err != nil {
		return nil, err
	}
	if err := s.store.UpdateCompany(ctx, a, c); err != nil {
		return nil, fmt.Errorf("update company %d: %w", id, err)
	}
	return c, nil
}

func (s *Service) applyContact(ctx context.Context, a Actor, c *Contact, p ContactPatch, create bool) error {
	if err := applyName(&c.Name, p.Name, create); err != nil {
		return err
	}
	var err error
	if p.CompanyID != nil {
		if *p.CompanyID != 0 {
			if _, err := s.store.GetCompany(ctx, *p.CompanyID); errors.Is(err, ErrNotFound) {
				return fieldErr("company_id", "no company with id %d", *p.CompanyID)
			} else if err != nil {
				return err
			}
		}
		c.CompanyID = *p.CompanyID
	}
	if p.Position != nil {
		if c.Position, err = text("position", p.Position, false); err != nil {
			return err
		}
	}
	if p.Email != nil {
		if c.Email, err = cleanEmail(*p.Email); err != nil {
			return fieldErr("email", "%v", err)
		}
	}
	if p.Messenger != nil {
		if c.Messenger, err = text("messenger", p.Messenger, false); err != nil {
			return err
		}
	}
	if p.MailingOnly != nil {
		c.MailingOnly = *p.MailingOnly
	}
	if err := s.applyOwner(ctx, a, &c.OwnerID, p.OwnerID, create); err != nil {
		return err
	}
	return s.applyPhones(&c.Phones, p.Phones, PhoneWork, PhoneMobile, PhoneOther)
}

// companyByName matches a company by name or creates it (owned as the
// contact will be).
func (s *Service) companyByName(ctx context.Context, a Actor, name string, owner int64) (int64, error) {
	n, err := text("company_name", &name, false)
	if err != nil || n == "" {
		return 0, err
	}
	co, err := s.store.CompanyByName(ctx, n)
	if err == nil {
		return co.ID, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return 0, err
	}
	p := CompanyPatch{Name: &n}
	if owner != 0 {
		p.OwnerID = &owner
	}
	co, err = s.CreateCompany(ctx, a, p)
	if err != nil {
		return 0, err
	}
	return co.ID, nil
}

// CreateContact adds a contact. A manager who names no owner owns it.
func (s *Service) CreateContact(ctx context.Context, a Actor, p ContactPatch) (*Contact, error) {
	c := &Contact{}
	p.OwnerID = ownerOrSelf(a, p.OwnerID)
	// Validate everything before creating a company for it.
	if err := s.applyContact(ctx, a, c, p, true); err != nil {
		return nil, err
	}
	if p.CompanyID == nil && p.CompanyName != nil {
		id, err := s.companyByName(ctx, a, *p.CompanyName, c.OwnerID)
		if err != nil {
			return nil, err
		}
		c.CompanyID = id
	}
	if err := s.store.CreateContact(ctx, a, c); err != nil {
		return nil, fmt.Errorf("create contact: %w", err)
	}
	return c, nil
}

// Contact returns a contact the actor may see.
func (s *Service) Contact(ctx context.Context, a Actor, id int64) (*Contact, error) {
	c, err := s.store.GetContact(ctx, id)
	if err != nil {
		return nil, err
	}
	// The owner of the contact's company sees the contact too.
	owners := func() []int64 {
		owners := []int64{c.OwnerID}
		if c.CompanyID != 0 {
			if co, err := s.store.GetCompany(ctx, c.CompanyID); err == nil {
				owners = append(owners, co.OwnerID)
			}
		}
		return owners
	}
	if err := s.mayView(ctx, a, owners); err != nil {
		return nil, err
	}
	return c, nil
}

// Contacts lists the contacts the actor may see.
func (s *Service) Contacts(ctx context.Context, a Actor, f ContactFilter) ([]Contact, error) {
	visible, err := s.visibleOwners(ctx, a)
	if err != nil {
		return nil, err
	}
	f.VisibleTo = visible
	return s.store.ListContacts(ctx, f)
}

// UpdateContact changes a contact.
func (s *Service) UpdateContact(ctx context.Context, a Actor, id int64, p ContactPatch) (*Contact, error) {
	c, err := s.Contact(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if err := checkVersion(p.Version, c.Version); err != nil {
		return nil, err
	}
	if err := s.applyContact(ctx, a, c, p, false); err != nil {
		return nil, err
	}
	if p.CompanyID == nil && p.CompanyName != nil {
		if c.CompanyID, err = s.companyByName(ctx, a, *p.CompanyName, c.OwnerID); err != nil {
			return nil, err
		}
	}
	if err := s.store.UpdateContact(ctx, a, c); err != nil {
		return nil, fmt.Errorf("update contact %d: %w", id, err)
	}
	return c, nil
}
