package sqlstore

import (
	"context"
	"fmt"
	"time"

	"callroute/crm"
)

const contactColumns = "id, name, company_id, position, email, messenger, owner_id, mailing_only, version, created_at, created_by, updated_at, updated_by"

func contactDest(c *crm.Contact) []any {
	return []any{i64(&c.ID), st(&c.Name), i64(&c.CompanyID), st(&c.Position), st(&c.Email), st(&c.Messenger),
		i64(&c.OwnerID), bl(&c.MailingOnly), i64(&c.Version), tm(&c.CreatedAt), i64(&c.CreatedBy), tm(&c.UpdatedAt), i64(&c.UpdatedBy)}
}

func (s *Store) CreateContact(ctx context.Context, a crm.Actor, c *crm.Contact) error {
	now := utc(s.now())
	var id int64
	err := s.inTx(ctx, func(r runner) error {
		var err error
		id, err = r.createContact(ctx, now, a, c, "create")
		return err
	})
	if err != nil {
		return err
	}
	c.ID = id
	c.Phones = normPhones(contactPhones, c.Phones)
	c.Audit = createdAudit(now, a)
	return nil
}

// createContact inserts a contact with its phones and logs it.
func (r runner) createContact(ctx context.Context, now time.Time, a crm.Actor, c *crm.Contact, action string) (int64, error) {
	id, err := r.insert(ctx, `INSERT INTO contacts (name, name_key, company_id, position, email, email_key, messenger,
		owner_id, mailing_only, version, created_at, created_by, updated_at, updated_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)`,
		c.Name, fold(c.Name), nid(c.CompanyID), c.Position, c.Email, fold(c.Email), c.Messenger,
		nid(c.OwnerID), c.MailingOnly, r.d.ts(now), nid(a.UserID), r.d.ts(now), nid(a.UserID))
	if err != nil {
		return 0, fmt.Errorf("sqlstore: create contact: %w", err)
	}
	if err := r.insertPhones(ctx, contactPhones, id, c.Phones); err != nil {
		return 0, err
	}
	return id, r.logChange(ctx, now, a, crm.EntityContact, id, action,
		map[string]any{"name": c.Name, "company_id": c.CompanyID, "owner_id": c.OwnerID})
}

// getContact reads a contact and its phones in one statement (one
// snapshot).
func (r runner) getContact(ctx context.Context, id int64) (*crm.Contact, error) {
	rows, err := r.query(ctx, "SELECT "+cols("ct", contactColumns)+", p.kind, p.e164 FROM contacts ct"+
		" LEFT JOIN phones p ON p.contact_id = ct.id WHERE ct.id = ? ORDER BY p.id", id)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: read contact %d: %w", id, err)
	}
	c, err := scanWithPhones(rows, contactDest, contactPhoneList)
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, notFound("contact", id)
	}
	return c, nil
}

func (s *Store) GetContact(ctx context.Context, id int64) (*crm.Contact, error) {
	return s.r().getContact(ctx, id)
}

func (s *Store) ListContacts(ctx context.Context, f crm.ContactFilter) ([]crm.Contact, error) {
	var w where
	if f.Query != "" {
		pat := likeContains(fold(f.Query))
		w.add(`(ct.name_key LIKE ? ESCAPE '\' OR ct.email_key LIKE ? ESCAPE '\')`, pat, pat)
	}
	if f.CompanyID != 0 {
		w.add("ct.company_id = ?", f.CompanyID)
	}
	if f.OwnerID != 0 {
		w.add("ct.owner_id = ?", f.OwnerID)
	}
	if len(f.VisibleTo) > 0 {
		w.inList("ct.owner_id IN (%s) OR ct.company_id IN (SELECT vco.id FROM companies vco WHERE vco.owner_id IN (%s))", f.VisibleTo)
	}
	q := "SELECT " + cols("ct", contactColumns) + " FROM contacts ct" + w.String() + " ORDER BY ct.name_key, ct.id"
	q += w.page(f.Limit, f.Offset)
	var out []crm.Contact
	// One read transaction: the page and its phones come from one snapshot.
	err := s.readTx(ctx, func(r runner) error {
		var err error
		if out, err = queryAll(ctx, r, "list contacts", contactDest, q, w.args...); err != nil {
			return err
		}
		return attachPhones(ctx, r, contactPhones, out, contactPhoneList)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Store) UpdateContact(ctx context.Context, a crm.Actor, c *crm.Contact) error {
	now := utc(s.now())
	phones := normPhones(contactPhones, c.Phones)
	err := s.inTx(ctx, func(r runner) error { return r.updateContact(ctx, now, a, c, phones) })
	if err != nil {
		return err
	}
	c.Phones = phones
	bumpAudit(&c.Audit, now, a)
	return nil
}

// updateContact writes a contact as updateCompany writes a company.
func (r runner) updateContact(ctx context.Context, now time.Time, a crm.Actor, c *crm.Contact, phones []crm.Phone) error {
	old, err := r.getContact(ctx, c.ID)
	if err != nil {
		return err
	}
	err = r.updateVersioned(ctx, "contacts", "contact", c.ID,
		`UPDATE contacts SET name = ?, name_key = ?, company_id = ?, position = ?, email = ?,
		email_key = ?, messenger = ?, owner_id = ?, mailing_only = ?, version = version + 1, updated_at = ?, updated_by = ?
		WHERE id = ? AND version = ?`,
		c.Name, fold(c.Name), nid(c.CompanyID), c.Position, c.Email, fold(c.Email), c.Messenger,
		nid(c.OwnerID), c.MailingOnly, r.d.ts(now), nid(a.UserID), c.ID, c.Version)
	if err != nil {
		return err
	}
	d := diff{}
	d.field("name", old.Name, c.Name)
	d.field("company_id", old.CompanyID, c.CompanyID)
	d.field("position", old.Position, c.Position)
	d.field("email", old.Email, c.Email)
	d.field("messenger", old.Messenger, c.Messenger)
	d.field("owner_id", old.OwnerID, c.OwnerID)
	d.field("mailing_only", old.MailingOnly, c.MailingOnly)
	if err := r.updatePhones(ctx, contactPhones, c.ID, old.Phones, phones, d); err != nil {
		return err
	}
	return r.logChange(ctx, now, a, crm.EntityContact, c.ID, "update", d)
}
