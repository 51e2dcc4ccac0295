package crm

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"
)

// capture turns a CallCapture into the CaptureWrite the store applies: the
// same validation as the edits of each record (applyContact, applyCompany,
// applyInterest), the capture's rules on top, and every conflict found
// before anything is written.
type capture struct {
	s    *Service
	a    Actor
	in   *CallCapture
	call *callRef
	now  time.Time
	w    CaptureWrite

	// The records as read (nil: new), to tell what changed.
	contact0  *Contact
	company0  *Company
	interest0 *Interest

	stale  []string // records whose version is not the one given
	fields []string // values given without a version that differ from the stored ones
}

func (b *capture) build(ctx context.Context) error {
	for _, step := range []func(context.Context) error{b.contact, b.company, b.phones, b.interest, b.owners} {
		if err := step(ctx); err != nil {
			return err
		}
	}
	b.flagChanges()
	return nil
}

func (b *capture) conflicted() bool { return len(b.stale)+len(b.fields) > 0 }

// version notes a record whose given version is no longer the stored one.
func (b *capture) version(record string, given *int64, stored int64) {
	if given != nil && *given != stored {
		b.stale = append(b.stale, record)
	}
}

// fill notes a field given without a version whose value would replace a
// different stored one.
func fill[T comparable](b *capture, field string, stored, next T) {
	var zero T
	if stored != zero && stored != next {
		b.fields = append(b.fields, field)
	}
}

// only is a value given to fill in: nil when it is empty.
func only[T ~string](p *T) *T {
	if p == nil || strings.TrimSpace(string(*p)) == "" {
		return nil
	}
	return p
}

func (b *capture) contact(ctx context.Context) error {
	in := b.in
	p := ContactPatch{Name: in.Name, Position: in.Position, Email: in.Email, Messenger: in.Messenger}
	if in.ContactID == 0 {
		if in.ContactVersion != nil {
			return fieldErr("contact_version", "goes with contact_id")
		}
		c := &Contact{}
		if err := b.s.applyContact(ctx, b.a, c, p, true); err != nil {
			return err
		}
		b.w.Contact = c
		return nil
	}
	cur, err := b.s.Contact(ctx, b.a, in.ContactID)
	if err != nil {
		return fieldErrIfMissing("contact_id", in.ContactID, err)
	}
	b.contact0 = cur
	next := *cur
	next.Phones = slices.Clone(cur.Phones)
	filling := in.ContactVersion == nil
	if filling {
		p = ContactPatch{Name: only(p.Name), Position: only(p.Position), Email: only(p.Email), Messenger: only(p.Messenger)}
	}
	if err := b.s.applyContact(ctx, b.a, &next, p, false); err != nil {
		return err
	}
	b.version("contact", in.ContactVersion, cur.Version)
	if filling {
		fill(b, "name", cur.Name, next.Name)
		fill(b, "position", cur.Position, next.Position)
		fill(b, "email", cur.Email, next.Email)
		fill(b, "messenger", cur.Messenger, next.Messenger)
	}
	b.w.Contact = &next
	return nil
}

// company finds the company (by id, by name, or the contact's own, which a
// new contact must name) and applies its fields; the contact moves to it.
func (b *capture) company(ctx context.Context) error {
	in := b.in
	name := ""
	if in.CompanyName != nil {
		var err error
		if name, err = text("company_name", in.CompanyName, false); err != nil {
			return err
		}
	}
	if in.CompanyVersion != nil && in.CompanyID == 0 {
		return fieldErr("company_version", "goes with company_id")
	}
	var cur *Company
	field := "company_name"
	switch {
	case in.CompanyID != 0:
		co, err := b.s.Company(ctx, b.a, in.CompanyID)
		if err != nil {
			return fieldErrIfMissing("company_id", in.CompanyID, err)
		}
		if name != "" && !strings.EqualFold(name, co.Name) {
			return fieldErr("company_name", "%q is not the name of company %d (%s); leave out company_id to name another company",
				name, co.ID, co.Name)
		}
		cur, field = co, "company_id"
	case name != "":
		co, err := b.s.store.CompanyByName(ctx, name)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("match company %q: %w", name, err)
		}
		cur = co
	case b.contact0 != nil && b.contact0.CompanyID != 0:
		co, err := b.s.store.GetCompany(ctx, b.contact0.CompanyID)
		if err != nil {
			return fmt.Errorf("read company %d: %w", b.contact0.CompanyID, err)
		}
		cur = co
	default:
		return fieldErr("company_name", "is required: ask the caller which company they are with")
	}
	p := CompanyPatch{Website: in.Website, Size: in.Size, Industry: in.Industry}
	if cur == nil {
		c := &Company{}
		p.Name = &name
		if err := b.s.applyCompany(ctx, b.a, c, p, true); err != nil {
			return err
		}
		b.w.Company = c
	} else {
		b.company0 = cur
		next := *cur
		next.Phones = slices.Clone(cur.Phones)
		filling := in.CompanyVersion == nil
		if filling {
			p = CompanyPatch{Website: only(p.Website), Industry: only(p.Industry)}
			if in.Size != nil && *in.Size != 0 {
				p.Size = in.Size
			}
		}
		if err := b.s.applyCompany(ctx, b.a, &next, p, false); err != nil {
			return err
		}
		b.version("company", in.CompanyVersion, cur.Version)
		if filling {
			fill(b, "website", cur.Website, next.Website)
			fill(b, "size", cur.Size, next.Size)
			fill(b, "industry", cur.Industry, next.Industry)
		}
		b.w.Company = &next
	}
	// The contact is at this company now (a new company's id comes from
	// the store).
	c := b.w.Contact
	if b.contact0 != nil && in.ContactVersion == nil {
		fill(b, field, b.contact0.CompanyID, b.w.Company.ID)
	}
	c.CompanyID = b.w.Company.ID
	return nil
}

// phones adds the phones given and the number that called to the
// contact's.
func (b *capture) phones(ctx context.Context) error {
	add, err := b.s.phones.normalizePhones("phones", b.in.Phones, PhoneWork, PhoneMobile, PhoneOther)
	if err != nil {
		return err
	}
	c := b.w.Contact
	if e := b.call.callerE164; e != "" && !hasPhone(add, e) && !hasPhone(c.Phones, e) {
		// A switchboard number stays the company's: on the contact, every
		// call from the switchboard would look like this person.
		switchboard, err := b.s.isSwitchboard(ctx, e)
		if err != nil {
			return err
		}
		if !switchboard {
			add = append(add, Phone{Kind: b.s.phones.kindOf(e), E164: e})
		}
	}
	for _, p := range add {
		if !hasPhone(c.Phones, p.E164) {
			c.Phones = append(c.Phones, p)
		}
	}
	if c.Phones == nil {
		c.Phones = []Phone{}
	}
	return nil
}

func hasPhone(phones []Phone, e164 string) bool {
	return slices.ContainsFunc(phones, func(p Phone) bool { return p.E164 == e164 })
}

// isSwitchboard reports whether a number is a company's switchboard (and
// no contact's).
func (s *Service) isSwitchboard(ctx context.Context, e164 string) (bool, error) {
	ms, err := s.store.LookupPhone(ctx, e164, s.Now())
	if err != nil {
		return false, fmt.Errorf("look up %s: %w", e164, err)
	}
	return len(ms) > 0 && ms[0].Contact == nil, nil
}

func (b *capture) interest(ctx context.Context) error {
	in := b.in
	p := InterestPatch{Title: in.Title, Need: in.Need, Stage: in.Stage, LostReason: in.LostReason, NextFollowUp: in.NextFollowUp}
	if in.NextFollowUp != nil && in.NextFollowUp.Before(b.now) {
		return fieldErr("next_follow_up", "%s is in the past", in.NextFollowUp.UTC().Format(time.RFC3339))
	}
	if in.InterestID == 0 {
		if in.InterestVersion != nil {
			return fieldErr("interest_version", "goes with interest_id")
		}
		if only(p.Title) == nil && only(p.Need) == nil && p.Stage == nil && only(p.LostReason) == nil && p.NextFollowUp == nil {
			return nil // the call is on no interest
		}
		it := &Interest{ContactID: b.w.Contact.ID, CompanyID: b.w.Company.ID}
		if err := b.s.applyInterest(ctx, b.a, it, p, true); err != nil {
			return err
		}
		b.w.Interest = it
		return nil
	}
	cur, err := b.s.Interest(ctx, b.a, in.InterestID)
	if err != nil {
		return fieldErrIfMissing("interest_id", in.InterestID, err)
	}
	if !cur.Stage.Open() {
		return fieldErr("interest_id", "interest %d is %s; choose an open one, or leave out interest_id for a new one", cur.ID, cur.Stage)
	}
	mine := cur.ContactID != 0 && cur.ContactID == b.w.Contact.ID
	theirs := cur.ContactID == 0 && cur.CompanyID != 0 && cur.CompanyID == b.w.Company.ID
	if !mine && !theirs {
		return fieldErr("interest_id", "interest %d is not one of this contact's or of their company's", cur.ID)
	}
	b.interest0 = cur
	next := *cur
	filling := in.InterestVersion == nil
	if filling {
		p = InterestPatch{Title: only(p.Title), Need: only(p.Need), Stage: only(p.Stage), LostReason: only(p.LostReason),
			NextFollowUp: p.NextFollowUp}
	}
	if err := b.s.applyInterest(ctx, b.a, &next, p, false); err != nil {
		return err
	}
	b.version("interest", in.InterestVersion, cur.Version)
	if filling {
		fill(b, "title", cur.Title, next.Title)
		fill(b, "need", cur.Need, next.Need)
		fill(b, "stage", cur.Stage, next.Stage)
		fill(b, "lost_reason", cur.LostReason, next.LostReason)
		if cur.NextFollowUp != nil && (next.NextFollowUp == nil || !cur.NextFollowUp.Equal(*next.NextFollowUp)) {
			b.fields = append(b.fields, "next_follow_up")
		}
	}
	b.w.Interest = &next
	return nil
}

// owners applies owner_id: the interest's owner; the owner of a contact or
// company that is new or has none. The desk may name the first owner of
// anything; changing an owner stays the head of sales' (and moving an owned
// client is a reassignment, never a capture).
func (b *capture) owners(ctx context.Context) error {
	o := b.in.OwnerID
	if o != nil && *o == 0 {
		o = nil
	}
	if o != nil {
		if err := b.s.checkOwner(ctx, "owner_id", *o); err != nil {
			return err
		}
	}
	c, co, it := b.w.Contact, b.w.Company, b.w.Interest
	switch {
	case c.ID == 0:
		if named := ownerOrSelf(b.a, o); named != nil {
			c.OwnerID = *named
		}
	case c.OwnerID == 0 && o != nil:
		c.OwnerID = *o
	}
	switch {
	case co.ID == 0:
		co.OwnerID = firstOwner(o, c.OwnerID)
	case co.OwnerID == 0 && o != nil:
		co.OwnerID = *o
	}
	placed := o == nil || c.OwnerID == *o || co.OwnerID == *o
	if it != nil {
		switch {
		case it.ID == 0:
			self := int64(0)
			if b.a.Role == RoleManager || b.a.Role == RoleHead {
				self = b.a.UserID
			}
			it.OwnerID = firstOwner(o, c.OwnerID, co.OwnerID, self)
		case o == nil || *o == it.OwnerID:
		case it.OwnerID == 0:
			it.OwnerID = *o
		case !isAdmin(b.a):
			return &FieldError{Field: "owner_id", Message: "only the head of sales may change an owner (use a reassignment)"}
		case b.in.InterestVersion == nil:
			b.fields = append(b.fields, "owner_id")
			placed = true
		default:
			it.OwnerID = *o
		}
		placed = placed || it.OwnerID == *o
	}
	if !placed {
		return fieldErr("owner_id", "the client already has an owner; moving a client to another manager is a reassignment, which only the head of sales makes")
	}
	return nil
}

// firstOwner is the named owner, else the first non-zero fallback.
func firstOwner(named *int64, fallbacks ...int64) int64 {
	if named != nil {
		return *named
	}
	for _, f := range fallbacks {
		if f != 0 {
			return f
		}
	}
	return 0
}

// flagChanges marks the existing records the capture changes; the others
// are only checked for their version.
func (b *capture) flagChanges() {
	b.w.ContactChanged = b.contact0 == nil || !reflect.DeepEqual(*b.contact0, *b.w.Contact)
	b.w.CompanyChanged = b.company0 == nil || !reflect.DeepEqual(*b.company0, *b.w.Company)
	if it := b.w.Interest; it != nil {
		if b.interest0 == nil {
			b.w.InterestChanged = true
		} else {
			// applyInterest moves the activity; that alone is no change.
			next := *it
			next.LastActivityAt = b.interest0.LastActivityAt
			b.w.InterestChanged = !reflect.DeepEqual(*b.interest0, next)
		}
	}
}

// conflict reads the file as it is now and says what the capture would
// have overwritten.
func (b *capture) conflict(ctx context.Context) error {
	cur := &CaptureResult{}
	var err error
	if b.contact0 != nil {
		if cur.Contact, err = b.s.Contact(ctx, b.a, b.contact0.ID); err != nil {
			return fmt.Errorf("read contact %d after a conflict: %w", b.contact0.ID, err)
		}
		if cur.Contact.Version != b.contact0.Version && !slices.Contains(b.stale, "contact") {
			b.stale = append(b.stale, "contact")
		}
	}
	switch {
	case b.company0 != nil:
		if cur.Company, err = b.s.store.GetCompany(ctx, b.company0.ID); err != nil {
			return fmt.Errorf("read company %d after a conflict: %w", b.company0.ID, err)
		}
		if cur.Company.Version != b.company0.Version && !slices.Contains(b.stale, "company") {
			b.stale = append(b.stale, "company")
		}
	case b.w.Company != nil:
		// A new company: someone may have created one of that name since.
		if cur.Company, err = b.s.store.CompanyByName(ctx, b.w.Company.Name); err == nil {
			b.stale = append(b.stale, "company")
		} else if !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("match company %q after a conflict: %w", b.w.Company.Name, err)
		}
	}
	if b.interest0 != nil {
		if cur.Interest, err = b.s.store.GetInterest(ctx, b.interest0.ID); err != nil {
			return fmt.Errorf("read interest %d after a conflict: %w", b.interest0.ID, err)
		}
		if cur.Interest.Version != b.interest0.Version && !slices.Contains(b.stale, "interest") {
			b.stale = append(b.stale, "interest")
		}
	}
	if cur.Call, err = b.s.store.InteractionByCallID(ctx, b.call.id); err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("read call %s after a conflict: %w", b.call.id, err)
	}
	return &CaptureConflictError{Stale: b.stale, Fields: b.fields, Current: cur}
}
