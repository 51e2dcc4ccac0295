package crm

import (
	"context"
	"fmt"
)

// CallerInfo is what callroute knows about a phone number: who it is, who
// owns them, who to ring, and what is still missing from their file.
type CallerInfo struct {
	E164     string `json:"e164"`
	National string `json:"national"`
	// Known is true when the number matched a contact or a company.
	Known   bool     `json:"known"`
	Contact *Contact `json:"contact"`
	Company *Company `json:"company"`
	// Interest is the most recently active open interest, the one that
	// decided the owner when OwnerSource is "interest".
	Interest    *Interest   `json:"interest,omitempty"`
	Owner       *UserRef    `json:"owner"`
	OwnerSource OwnerSource `json:"owner_source,omitempty"`
	// Target is who the call goes to: the owner, or the delegate of an owner
	// who is away; nil when nobody active owns the caller (the desk takes
	// it).
	Target     *UserRef    `json:"target"`
	Delegation *Delegation `json:"delegation,omitempty"`
	// Missing lists the details still to ask for, most important first;
	// Required is the part of it the desk must ask (name and company of a
	// new caller).
	Missing  []string `json:"missing"`
	Required []string `json:"required"`
	// Ambiguous is true when several contacts share the number: Contact and
	// Company are then nil and Matches holds each of them; never one picked
	// silently.
	Ambiguous bool              `json:"ambiguous"`
	Matches   []CallerMatchInfo `json:"matches,omitempty"`
}

// CallerMatchInfo is one of several contacts sharing a number.
type CallerMatchInfo struct {
	Contact     *Contact    `json:"contact"`
	Company     *Company    `json:"company"`
	Owner       *UserRef    `json:"owner"`
	OwnerSource OwnerSource `json:"owner_source,omitempty"`
	Target      *UserRef    `json:"target"`
}

// LookupCaller is the first step of every call: one indexed query from the
// caller's number to their file, owner and the user to ring.
func (s *Service) LookupCaller(ctx context.Context, raw string) (*CallerInfo, error) {
	e164, national, err := s.phones.E164National(raw)
	if err != nil {
		return nil, fieldErr("phone", "%v", err)
	}
	now := s.Now()
	matches, err := s.store.LookupPhone(ctx, e164, now)
	if err != nil {
		return nil, fmt.Errorf("look up %s: %w", e164, err)
	}
	info := &CallerInfo{E164: e164, National: national, Known: len(matches) > 0}
	switch len(matches) {
	case 0:
		info.Required = []string{"name", "company"}
		info.Missing = append([]string{"name", "company"}, optionalDetails...)
	case 1:
		m := matches[0]
		info.Contact, info.Company, info.Interest = m.Contact, m.Company, m.Interest
		info.Owner, info.OwnerSource, info.Target, info.Delegation = resolveTarget(&m)
		info.Missing, info.Required = missingDetails(m.Contact, m.Company, m.Interest)
	default:
		info.Ambiguous = true
		var targets []*UserRef
		for i := range matches {
			m := &matches[i]
			owner, src, target, _ := resolveTarget(m)
			info.Matches = append(info.Matches, CallerMatchInfo{Contact: m.Contact, Company: m.Company,
				Owner: owner, OwnerSource: src, Target: target})
			targets = append(targets, target)
		}
		// Several contacts, one person to ring: say so, and ring them.
		if same := targets[0]; same != nil && allSame(targets) {
			info.Target = same
		}
		info.Missing, info.Required = []string{"name"}, []string{"name"}
	}
	return info, nil
}

func allSame(refs []*UserRef) bool {
	for _, r := range refs {
		if r == nil || r.ID != refs[0].ID {
			return false
		}
	}
	return true
}

// resolveTarget applies delegation: an owner who is away with a delegate has
// the call go to the delegate. An inactive owner owns nothing to ring.
func resolveTarget(m *CallerMatch) (owner *UserRef, src OwnerSource, target *UserRef, d *Delegation) {
	if m.Owner == nil {
		return nil, OwnerNone, nil, nil
	}
	owner, src = m.Owner.Ref(), m.OwnerSource
	if m.Delegation != nil && m.Delegate != nil && m.Delegate.Active {
		return owner, src, m.Delegate.Ref(), m.Delegation
	}
	if !m.Owner.Active {
		return owner, src, nil, nil
	}
	return owner, src, owner, nil
}

// optionalDetails are asked for as far as the caller gives them.
var optionalDetails = []string{"position", "email", "phones", "messenger", "website", "company_size", "industry", "need"}

// missingDetails lists what the file lacks. Name and company are required
// whenever they are missing: the rule of the desk.
func missingDetails(c *Contact, co *Company, in *Interest) (missing, required []string) {
	add := func(field string, isMissing, req bool) {
		if !isMissing {
			return
		}
		missing = append(missing, field)
		if req {
			required = append(required, field)
		}
	}
	add("name", c == nil || c.Name == "", true)
	add("company", co == nil, true)
	add("position", c == nil || c.Position == "", false)
	add("email", c == nil || c.Email == "", false)
	add("messenger", c == nil || c.Messenger == "", false)
	add("website", co == nil || co.Website == "", false)
	add("company_size", co == nil || co.Size == 0, false)
	add("industry", co == nil || co.Industry == "", false)
	add("need", in == nil, false)
	if missing == nil {
		missing = []string{}
	}
	if required == nil {
		required = []string{}
	}
	return missing, required
}
