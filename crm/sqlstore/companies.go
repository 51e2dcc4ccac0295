package sqlstore

import (
	"context"
	"fmt"
	"time"

	"callroute/crm"
)

const companyColumns = "id, name, website, size, industry, owner_id, version, created_at, created_by, updated_at, updated_by"

func companyDest(c *crm.Company) []any {
	return []any{i64(&c.ID), st(&c.Name), st(&c.Website), iN(&c.Size), st(&c.Industry), i64(&c.OwnerID),
		i64(&c.Version), tm(&c.CreatedAt), i64(&c.CreatedBy), tm(&c.UpdatedAt), i64(&c.UpdatedBy)}
}

func (s *Store) CreateCompany(ctx context.Context, a crm.Actor, c *crm.Company) error {
	now := utc(s.now())
	var id int64
	err := s.inTx(ctx, func(r runner) error {
		var err error
		id, err = r.createCompany(ctx, now, a, c, "create")
		return err
	})
	if err != nil {
		return err
	}
	c.ID = id
	c.Phones = normPhones(companyPhones, c.Phones)
	c.Audit = createdAudit(now, a)
	return nil
}

// createCompany inserts a company with its phones and logs it.
func (r runner) createCompany(ctx context.Context, now time.Time, a crm.Actor, c *crm.Company, action string) (int64, error) {
	id, err := r.insert(ctx, `INSERT INTO companies (name, name_key, website, size, industry, owner_id, version,
		created_at, created_by, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)`,
		c.Name, fold(c.Name), c.Website, c.Size, c.Industry, nid(c.OwnerID),
		r.d.ts(now), nid(a.UserID), r.d.ts(now), nid(a.UserID))
	if err != nil {
		return 0, fmt.Errorf("sqlstore: create company: %w", err)
	}
	if err := r.insertPhones(ctx, companyPhones, id, c.Phones); err != nil {
		return 0, err
	}
	return id, r.logChange(ctx, now, a, crm.EntityCompany, id, action,
		map[string]any{"name": c.Name, "owner_id": c.OwnerID})
}

// getCompany reads a company and its phones in one statement (one
// snapshot).
func (r runner) getCompany(ctx context.Context, id int64) (*crm.Company, error) {
	rows, err := r.query(ctx, "SELECT "+cols("co", companyColumns)+", p.kind, p.e164 FROM companies co"+
		" LEFT JOIN phones p ON p.company_id = co.id WHERE co.id = ? ORDER BY p.id", id)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: read company %d: %w", id, err)
	}
	c, err := scanWithPhones(rows, companyDest, companyPhoneList)
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, notFound("company", id)
	}
	return c, nil
}

func (s *Store) GetCompany(ctx context.Context, id int64) (*crm.Company, error) {
	return s.r().getCompany(ctx, id)
}

func (s *Store) CompanyByName(ctx context.Context, name string) (*crm.Company, error) {
	var c *crm.Company
	err := s.readTx(ctx, func(r runner) error {
		var id int64
		err := r.row(ctx, "SELECT id FROM companies WHERE name_key = ? ORDER BY id LIMIT 1", fold(name)).Scan(&id)
		if err := one(err, "company", fmt.Sprintf("%q", name)); err != nil {
			return err
		}
		c, err = r.getCompany(ctx, id)
		return err
	})
	return c, err
}

func (s *Store) ListCompanies(ctx context.Context, f crm.CompanyFilter) ([]crm.Company, error) {
	var w where
	if f.Query != "" {
		w.add(`co.name_key LIKE ? ESCAPE '\'`, likeContains(fold(f.Query)))
	}
	if f.OwnerID != 0 {
		w.add("co.owner_id = ?", f.OwnerID)
	}
	if len(f.VisibleTo) > 0 {
		w.inList("co.owner_id IN (%s) OR EXISTS (SELECT 1 FROM contacts vc WHERE vc.company_id = co.id AND vc.owner_id IN (%s))", f.VisibleTo)
	}
	q := "SELECT " + cols("co", companyColumns) + " FROM companies co" + w.String() + " ORDER BY co.name_key, co.id"
	q += w.page(f.Limit, f.Offset)
	var out []crm.Company
	// One read transaction: the page and its phones come from one snapshot.
	err := s.readTx(ctx, func(r runner) error {
		var err error
		if out, err = queryAll(ctx, r, "list companies", companyDest, q, w.args...); err != nil {
			return err
		}
		return attachPhones(ctx, r, companyPhones, out, companyPhoneList)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Store) UpdateCompany(ctx context.Context, a crm.Actor, c *crm.Company) error {
	now := utc(s.now())
	phones := normPhones(companyPhones, c.Phones)
	err := s.inTx(ctx, func(r runner) error { return r.updateCompany(ctx, now, a, c, phones) })
	if err != nil {
		return err
	}
	c.Phones = phones
	bumpAudit(&c.Audit, now, a)
	return nil
}

// updateCompany writes a company if its stored version is still c.Version
// (else ErrConflict), with its phones, and logs what changed. c itself is
// left as it is: the caller brings it in line once the transaction commits.
func (r runner) updateCompany(ctx context.Context, now time.Time, a crm.Actor, c *crm.Company, phones []crm.Phone) error {
	old, err := r.getCompany(ctx, c.ID)
	if err != nil {
		return err
	}
	err = r.updateVersioned(ctx, "companies", "company", c.ID,
		`UPDATE companies SET name = ?, name_key = ?, website = ?, size = ?, industry = ?,
		owner_id = ?, version = version + 1, updated_at = ?, updated_by = ? WHERE id = ? AND version = ?`,
		c.Name, fold(c.Name), c.Website, c.Size, c.Industry, nid(c.OwnerID),
		r.d.ts(now), nid(a.UserID), c.ID, c.Version)
	if err != nil {
		return err
	}
	d := diff{}
	d.field("name", old.Name, c.Name)
	d.field("website", old.Website, c.Website)
	d.field("size", old.Size, c.Size)
	d.field("industry", old.Industry, c.Industry)
	d.field("owner_id", old.OwnerID, c.OwnerID)
	if err := r.updatePhones(ctx, companyPhones, c.ID, old.Phones, phones, d); err != nil {
		return err
	}
	return r.logChange(ctx, now, a, crm.EntityCompany, c.ID, "update", d)
}
