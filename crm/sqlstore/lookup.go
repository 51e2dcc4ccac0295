package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"callroute/crm"
)

// lookupTemplate is the caller lookup, one statement:
//
//   - hit: the phones rows with the number (a seek on phones_e164, which
//     covers contact_id and company_id);
//   - the contact matches, or, only when there is none, the switchboard
//     matches, each with its company (the contact's, or the switchboard's);
//   - the most recently active open interest of the contact (of the company
//     for a switchboard match), through the partial indexes;
//   - the owner resolved as interest > contact > company, the owner's
//     delegation in force at the lookup time and the delegate (their
//     identity and whether they are active, not their credentials).
//
// Parameters: e164, then the lookup time three times. They are wrapped in
// CAST: SQLite (built with STAT4) otherwise re-plans the statement on every
// new bound value once ANALYZE has run, which costs more than the lookup.
var lookupTemplate = `WITH hit AS (
	SELECT DISTINCT contact_id, company_id FROM phones WHERE e164 = CAST(? AS TEXT)
)
SELECT ` + cols("ct", contactColumns) + `,
	` + cols("co", companyColumns) + `,
	` + cols("i", interestColumns) + `,
	` + cols("ow", lookupUserColumns) + `,
	` + cols("d", delegationColumns) + `,
	` + cols("dg", lookupUserColumns) + `,
	CASE WHEN i.owner_id IS NOT NULL THEN 'interest'
		WHEN ct.owner_id IS NOT NULL THEN 'contact'
		WHEN co.owner_id IS NOT NULL THEN 'company'
		ELSE '' END AS owner_source
FROM hit
LEFT JOIN contacts ct ON ct.id = hit.contact_id
LEFT JOIN companies co ON co.id = COALESCE(ct.company_id, hit.company_id)
LEFT JOIN interests i ON i.id = CASE WHEN hit.contact_id IS NOT NULL THEN
		(SELECT oi.id FROM interests oi WHERE oi.contact_id = hit.contact_id AND oi.` + openStage + `
			ORDER BY oi.last_activity_at DESC, oi.id DESC LIMIT 1)
	ELSE
		(SELECT oi.id FROM interests oi WHERE oi.company_id = hit.company_id AND oi.` + openStage + `
			ORDER BY oi.last_activity_at DESC, oi.id DESC LIMIT 1)
	END
LEFT JOIN users ow ON ow.id = COALESCE(i.owner_id, ct.owner_id, co.owner_id)
LEFT JOIN delegations d ON d.id = (
	SELECT d.id FROM delegations d WHERE d.user_id = ow.id
		AND d.starts <= CAST(? AS {ts}) AND d.ends > CAST(? AS {ts}) AND (d.ended_at IS NULL OR d.ended_at > CAST(? AS {ts}))
	ORDER BY d.starts DESC, d.id DESC LIMIT 1)
LEFT JOIN users dg ON dg.id = d.delegate_id
WHERE hit.contact_id IS NOT NULL
	OR NOT EXISTS (SELECT 1 FROM hit h2 WHERE h2.contact_id IS NOT NULL)
ORDER BY hit.contact_id, hit.company_id`

// lookupUserColumns are what the lookup reads of the owner and the
// delegate: who they are and whether they are active; no credentials.
const lookupUserColumns = "id, email, name, role, active"

func lookupUserDest(u *crm.User) []any {
	return []any{i64(&u.ID), st(&u.Email), st(&u.Name), st(&u.Role), bl(&u.Active)}
}

// lookupSQL is the lookup for a dialect, with "?" placeholders.
func lookupSQL(d *dialect) string { return strings.ReplaceAll(lookupTemplate, "{ts}", d.tsType) }

// LookupPhone finds every contact with the number, else every company with
// it as a switchboard number, with the owner resolved and the owner's
// delegation in force at time at. One query.
func (s *Store) LookupPhone(ctx context.Context, e164 string, at time.Time) ([]crm.CallerMatch, error) {
	t := s.d.ts(at)
	rows, err := s.lookup.QueryContext(ctx, e164, t, t, t)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: lookup %s: %w", e164, err)
	}
	defer rows.Close()
	out := make([]crm.CallerMatch, 0, 1)
	for rows.Next() {
		var (
			ct     crm.Contact
			co     crm.Company
			in     crm.Interest
			ow, dg crm.User
			dl     crm.Delegation
			src    crm.OwnerSource
		)
		dest := make([]any, 0, 80)
		dest = append(dest, contactDest(&ct)...)
		dest = append(dest, companyDest(&co)...)
		dest = append(dest, interestDest(&in)...)
		dest = append(dest, lookupUserDest(&ow)...)
		dest = append(dest, delegationDest(&dl)...)
		dest = append(dest, lookupUserDest(&dg)...)
		dest = append(dest, st(&src))
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("sqlstore: lookup %s: %w", e164, err)
		}
		m := crm.CallerMatch{OwnerSource: src}
		if ct.ID != 0 {
			m.Contact = &ct
		}
		if co.ID != 0 {
			m.Company = &co
		}
		if in.ID != 0 {
			m.Interest = &in
		}
		if ow.ID != 0 {
			m.Owner = &ow
		}
		if dl.ID != 0 {
			m.Delegation = &dl
		}
		if dg.ID != 0 {
			m.Delegate = &dg
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: lookup %s: %w", e164, err)
	}
	return out, nil
}
