package sqlstore

import (
	"context"
	"fmt"

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

// normPhones returns the phones as they are stored (kinds filled in).
func normPhones(o phoneOwner, in []crm.Phone) []crm.Phone {
	out := make([]crm.Phone, len(in))
	for i, p := range in {
		out[i] = crm.Phone{Kind: o.defaultKind(p.Kind), E164: p.E164}
	}
	return out
}
