package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"callroute/crm"
)

// owner column of the phones table: "contact_id" or "company_id".
type phoneOwner string

const (
	contactPhones phoneOwner = "contact_id"
	companyPhones phoneOwner = "company_id"
)

// defaultKind fills an empty phone kind: work for a contact, switchboard for
// a company.
func (o phoneOwner) defaultKind(k crm.PhoneKind) crm.PhoneKind {
	if k != "" {
		return k
	}
	if o == companyPhones {
		return crm.PhoneSwitchboard
	}
	return crm.PhoneWork
}

// insertPhones writes phones for one contact or company, in order.
func (r runner) insertPhones(ctx context.Context, o phoneOwner, id int64, phones []crm.Phone) error {
	for _, p := range phones {
		_, err := r.exec(ctx, "INSERT INTO phones (e164, kind, "+string(o)+") VALUES (?, ?, ?)",
			p.E164, string(o.defaultKind(p.Kind)), id)
		if err != nil {
			return fmt.Errorf("sqlstore: write phone %s: %w", p.E164, err)
		}
	}
	return nil
}

// replacePhones replaces all phones of one contact or company.
func (r runner) replacePhones(ctx context.Context, o phoneOwner, id int64, phones []crm.Phone) error {
	if _, err := r.exec(ctx, "DELETE FROM phones WHERE "+string(o)+" = ?", id); err != nil {
		return fmt.Errorf("sqlstore: replace phones: %w", err)
	}
	return r.insertPhones(ctx, o, id, phones)
}

// loadPhones returns the phones of the given contacts or companies, by owner
// id, in the order they were written. Every id gets a non-nil slice.
func (r runner) loadPhones(ctx context.Context, o phoneOwner, owners []int64) (map[int64][]crm.Phone, error) {
	out := make(map[int64][]crm.Phone, len(owners))
	for _, id := range owners {
		out[id] = []crm.Phone{}
	}
	for start := 0; start < len(owners); start += 500 {
		chunk := owners[start:min(start+500, len(owners))]
		rows, err := r.query(ctx, "SELECT "+string(o)+", kind, e164 FROM phones WHERE "+string(o)+
			" IN ("+placeholders(len(chunk))+") ORDER BY id", ids(chunk)...)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: read phones: %w", err)
		}
		for rows.Next() {
			var id int64
			var p crm.Phone
			if err := rows.Scan(&id, st(&p.Kind), st(&p.E164)); err != nil {
				rows.Close()
				return nil, err
			}
			out[id] = append(out[id], p)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// updatePhones rewrites the phones of one contact or company when they
// differ from what was stored, and notes that in the change log's diff.
func (r runner) updatePhones(ctx context.Context, o phoneOwner, id int64, old, phones []crm.Phone, d diff) error {
	if slices.Equal(old, phones) {
		return nil
	}
	d["phones"] = true
	return r.replacePhones(ctx, o, id, phones)
}

// phoneList names a record's id and its phones, for the reads shared by
// companies and contacts (the only records with phones).
type phoneList[T any] func(*T) (id int64, phones *[]crm.Phone)

func companyPhoneList(c *crm.Company) (int64, *[]crm.Phone) { return c.ID, &c.Phones }
func contactPhoneList(c *crm.Contact) (int64, *[]crm.Phone) { return c.ID, &c.Phones }

// attachPhones gives each record of a list its phones, read with
// loadPhones (a few queries for the whole page, not one per record). Run it
// in the list's read transaction, after the list's rows are closed.
func attachPhones[T any](ctx context.Context, r runner, o phoneOwner, list []T, pl phoneList[T]) error {
	owners := make([]int64, len(list))
	for i := range list {
		owners[i], _ = pl(&list[i])
	}
	ph, err := r.loadPhones(ctx, o, owners)
	if err != nil {
		return err
	}
	for i := range list {
		id, phones := pl(&list[i])
		*phones = ph[id]
	}
	return nil
}

// scanWithPhones reads one record from the rows of a SELECT of its columns
// (dest) followed by p.kind, p.e164 of a LEFT JOIN on its phones: one row
// per phone, or one row of NULL phone columns for none. It reads a record
// and its phones in one statement, so in one snapshot. nil: no such record.
func scanWithPhones[T any](rows *sql.Rows, dest func(*T) []any, pl phoneList[T]) (*T, error) {
	defer rows.Close()
	var rec *T
	var phones *[]crm.Phone
	for rows.Next() {
		var next T
		var p crm.Phone
		if err := rows.Scan(append(dest(&next), st(&p.Kind), st(&p.E164))...); err != nil {
			return nil, err
		}
		if rec == nil {
			rec = &next
			_, phones = pl(rec)
			*phones = []crm.Phone{}
		}
		if p.E164 != "" {
			*phones = append(*phones, p)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return rec, nil
}

// normPhones returns the phones as they are stored (kinds filled in).
func normPhones(o phoneOwner, in []crm.Phone) []crm.Phone {
	out := make([]crm.Phone, len(in))
	for i, p := range in {
		out[i] = crm.Phone{Kind: o.defaultKind(p.Kind), E164: p.E164}
	}
	return out
}
