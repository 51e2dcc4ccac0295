package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"callroute/crm"
)

// ImportContacts writes all rows in one transaction, all or nothing:
// companies are matched by name (case-insensitive) or created (with the
// row's website and owner), contacts are created with their phones. A row
// the database rejects (an unknown owner, a constraint) fails the whole
// import with a *crm.ImportError naming its line.
func (s *Store) ImportContacts(ctx context.Context, a crm.Actor, rows []crm.ImportRow) (*crm.ImportResult, error) {
	now := utc(s.now())
	var res crm.ImportResult
	err := s.inTx(ctx, func(r runner) error {
		res = crm.ImportResult{}
		companies := map[string]int64{} // folded name -> id, for this import
		owners := map[int64]bool{}      // user id -> exists
		var bad []crm.LineError
		for _, row := range rows {
			if row.OwnerID != 0 {
				known, seen := owners[row.OwnerID]
				if !seen {
					var err error
					if known, err = r.exists(ctx, "users", row.OwnerID); err != nil {
						return err
					}
					owners[row.OwnerID] = known
				}
				if !known {
					bad = append(bad, crm.LineError{Line: row.Line, Field: "owner_id", Message: fmt.Sprintf("no user %d", row.OwnerID)})
					continue
				}
			}
			if len(bad) > 0 {
				continue // nothing will be kept; only look for more bad owners
			}
			companyID, err := r.importCompany(ctx, now, a, row, companies, &res)
			if err != nil {
				return lineErr(row.Line, "company", err)
			}
			c := &crm.Contact{Name: row.Name, CompanyID: companyID, Position: row.Position, Email: row.Email,
				Phones: row.Phones, Messenger: row.Messenger, OwnerID: row.OwnerID}
			if _, err := r.createContact(ctx, now, a, c, "import"); err != nil {
				return lineErr(row.Line, "", err)
			}
			res.Contacts++
		}
		if len(bad) > 0 {
			return &crm.ImportError{Lines: bad}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &res, nil
}

// importCompany finds or creates the row's company; 0 for none.
func (r runner) importCompany(ctx context.Context, now time.Time, a crm.Actor, row crm.ImportRow,
	seen map[string]int64, res *crm.ImportResult) (int64, error) {
	name := strings.TrimSpace(row.CompanyName)
	key := fold(name)
	if key == "" {
		return 0, nil
	}
	if id, ok := seen[key]; ok {
		return id, nil
	}
	var id int64
	err := r.row(ctx, "SELECT id FROM companies WHERE name_key = ? ORDER BY id LIMIT 1", key).Scan(&id)
	switch {
	case err == nil:
		res.CompaniesMatched++
	case errors.Is(err, sql.ErrNoRows):
		id, err = r.createCompany(ctx, now, a, &crm.Company{Name: name, Website: row.Website, OwnerID: row.OwnerID}, "import")
		if err != nil {
			return 0, err
		}
		res.CompaniesCreated++
	default:
		return 0, err
	}
	seen[key] = id
	return id, nil
}

// lineErr reports a row the database rejected as a bad line; other errors
// (a lost connection) pass through as they are.
func lineErr(line int, field string, err error) error {
	kind, detail, ok := constraint(err)
	if !ok {
		return err
	}
	msg := "rejected by the database (" + strings.ReplaceAll(kind, "_", " ") + " constraint"
	if detail != "" {
		msg += " " + detail
	}
	return &crm.ImportError{Lines: []crm.LineError{{Line: line, Field: field, Message: msg + ")"}}}
}
