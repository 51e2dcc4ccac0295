package crm

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// ImportColumns are the columns a contacts CSV may have, in any order; only
// name is required.
var ImportColumns = []string{"name", "company", "position", "email", "phone", "mobile", "other_phone",
	"messenger", "website", "owner_email"}

// maxImportRows bounds one import.
const maxImportRows = 100_000

// ImportContactsCSV reads a contacts CSV (a header row, UTF-8) and imports it
// all or nothing: any bad row rejects the whole file with every bad row
// listed by line number. Head of sales only.
func (s *Service) ImportContactsCSV(ctx context.Context, a Actor, r io.Reader) (*ImportResult, error) {
	if err := requireHead(a, "import contacts"); err != nil {
		return nil, err
	}
	rows, err := s.ParseContactsCSV(ctx, r)
	if err != nil {
		return nil, err
	}
	res, err := s.store.ImportContacts(ctx, a, rows)
	if err != nil {
		return nil, fmt.Errorf("import %d contacts: %w", len(rows), err)
	}
	return res, nil
}

// ParseContactsCSV validates a contacts CSV without writing anything.
func (s *Service) ParseContactsCSV(ctx context.Context, r io.Reader) ([]ImportRow, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err == io.EOF {
		return nil, &ImportError{Lines: []LineError{{Line: 1, Message: "the file is empty: want a header row"}}}
	}
	if err != nil {
		return nil, &ImportError{Lines: []LineError{{Line: 1, Message: csvMessage(err)}}}
	}
	cols, lerr := importHeader(header)
	if lerr != nil {
		return nil, &ImportError{Lines: lerr}
	}
	owners := map[string]int64{}
	var rows []ImportRow
	var bad []LineError
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			bad = append(bad, LineError{Line: line, Message: csvMessage(err)})
			if pe == nil {
				break
			}
			continue
		}
		if len(rows)+len(bad) >= maxImportRows {
			bad = append(bad, LineError{Line: line, Message: fmt.Sprintf("more than %d rows: split the file", maxImportRows)})
			break
		}
		if isBlank(rec) {
			continue
		}
		row, lineErrs := s.importRow(ctx, line, cols, rec, owners)
		if len(lineErrs) > 0 {
			bad = append(bad, lineErrs...)
			continue
		}
		rows = append(rows, row)
	}
	if len(bad) > 0 {
		return nil, &ImportError{Lines: bad}
	}
	if len(rows) == 0 {
		return nil, &ImportError{Lines: []LineError{{Line: 2, Message: "no contacts below the header"}}}
	}
	return rows, nil
}

func csvMessage(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return "not valid CSV: " + pe.Err.Error()
	}
	return "cannot read: " + err.Error()
}

func isBlank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// importHeader maps column names to their positions.
func importHeader(header []string) (map[string]int, []LineError) {
	cols := map[string]int{}
	var bad []LineError
	for i, h := range header {
		if i == 0 {
			h = string(bytes.TrimPrefix([]byte(h), []byte("\ufeff"))) // a BOM from spreadsheets
		}
		name := strings.ToLower(strings.TrimSpace(h))
		known := false
		for _, c := range ImportColumns {
			known = known || c == name
		}
		switch {
		case !known:
			bad = append(bad, LineError{Line: 1, Field: h, Message: fmt.Sprintf("unknown column %q: the columns are %s", h, strings.Join(ImportColumns, ", "))})
		case cols[name] != 0:
			bad = append(bad, LineError{Line: 1, Field: name, Message: fmt.Sprintf("column %q appears twice", name)})
		default:
			cols[name] = i + 1 // 0 means absent
		}
	}
	if _, ok := cols["name"]; !ok && bad == nil {
		bad = append(bad, LineError{Line: 1, Field: "name", Message: "the header has no name column"})
	}
	return cols, bad
}

func (s *Service) importRow(ctx context.Context, line int, cols map[string]int, rec []string, owners map[string]int64) (ImportRow, []LineError) {
	get := func(col string) string {
		if i := cols[col]; i != 0 && i-1 < len(rec) {
			return strings.TrimSpace(rec[i-1])
		}
		return ""
	}
	var bad []LineError
	fail := func(field, format string, args ...any) {
		bad = append(bad, LineError{Line: line, Field: field, Message: fmt.Sprintf(format, args...)})
	}
	for _, f := range rec {
		if !utf8.ValidString(f) {
			fail("", "not UTF-8 text: save the file as CSV UTF-8")
			return ImportRow{}, bad
		}
	}
	row := ImportRow{Line: line, Messenger: get("messenger")}
	for _, f := range []struct {
		col string
		dst *string
	}{{"name", &row.Name}, {"company", &row.CompanyName}, {"position", &row.Position}} {
		col, dst, v := f.col, f.dst, get(f.col)
		if _, err := text(col, &v, col == "name"); err != nil {
			var fe *FieldError
			errors.As(err, &fe)
			fail(col, "%s", fe.Message)
		}
		*dst = v
	}
	if e, err := cleanEmail(get("email")); err != nil {
		fail("email", "%v", err)
	} else {
		row.Email = e
	}
	if w, err := cleanWebsite(get("website")); err != nil {
		fail("website", "%v", err)
	} else {
		row.Website = w
	}
	for _, p := range []struct {
		col  string
		kind PhoneKind
	}{{"phone", PhoneWork}, {"mobile", PhoneMobile}, {"other_phone", PhoneOther}} {
		col, kind := p.col, p.kind
		if v := get(col); v != "" {
			e, err := s.phones.E164(v)
			if err != nil {
				fail(col, "%v", err)
				continue
			}
			row.Phones = append(row.Phones, Phone{Kind: kind, E164: e})
		}
	}
	if email := strings.ToLower(get("owner_email")); email != "" {
		id, ok := owners[email]
		if !ok {
			u, err := s.store.UserByEmail(ctx, email)
			switch {
			case errors.Is(err, ErrNotFound):
				fail("owner_email", "no user with email %s", email)
			case err != nil:
				fail("owner_email", "%v", err)
			case !u.Active || u.Role == RoleAgent:
				fail("owner_email", "%s cannot own clients (inactive or a desk agent)", email)
			default:
				id = u.ID
			}
			owners[email] = id
		}
		if id == 0 && ok {
			fail("owner_email", "%s cannot own clients", email)
		}
		row.OwnerID = id
	}
	return row, bad
}
