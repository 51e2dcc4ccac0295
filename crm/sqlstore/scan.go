package sqlstore

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Scan adapters: every column may be NULL (LEFT JOINs in the lookup, optional
// references), and a NULL becomes the zero value. Times come back in UTC
// whether the driver gives a time.Time (PostgreSQL) or text (SQLite).

// The adapters take the values the drivers give for their column types
// (int64, bool, string, NULL) as they are, and leave any other to the
// sql.Null* types: those escape to the heap as convertAssign's destination,
// an allocation per column the lookup and the call records paid for.

type int64Dest struct{ p *int64 }

func (d int64Dest) Scan(src any) error {
	switch v := src.(type) {
	case int64:
		*d.p = v
		return nil
	case nil:
		*d.p = 0
		return nil
	}
	var n sql.NullInt64
	if err := n.Scan(src); err != nil {
		return err
	}
	*d.p = n.Int64
	return nil
}

type intDest struct{ p *int }

func (d intDest) Scan(src any) error {
	var n int64
	if err := (int64Dest{&n}).Scan(src); err != nil {
		return err
	}
	*d.p = int(n)
	return nil
}

type boolDest struct{ p *bool }

func (d boolDest) Scan(src any) error {
	switch v := src.(type) {
	case bool:
		*d.p = v
		return nil
	case int64: // SQLite has no booleans: 0 or 1
		if v == 0 || v == 1 {
			*d.p = v == 1
			return nil
		}
	case nil:
		*d.p = false
		return nil
	}
	var n sql.NullBool
	if err := n.Scan(src); err != nil {
		return err
	}
	*d.p = n.Bool
	return nil
}

// strDest scans into any string type (crm.Stage, crm.Role, ...).
type strDest[T ~string] struct{ p *T }

func (d strDest[T]) Scan(src any) error {
	switch v := src.(type) {
	case string:
		*d.p = T(v)
		return nil
	case nil:
		*d.p = ""
		return nil
	}
	var n sql.NullString
	if err := n.Scan(src); err != nil {
		return err
	}
	*d.p = T(n.String)
	return nil
}

type jsonDest struct{ p *json.RawMessage }

func (d jsonDest) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d.p = nil
	case string:
		*d.p = json.RawMessage(v)
	case []byte:
		*d.p = append(json.RawMessage(nil), v...)
	default:
		return fmt.Errorf("sqlstore: cannot scan %T into JSON", src)
	}
	if len(*d.p) == 0 {
		*d.p = nil
	}
	return nil
}

type timeDest struct{ p *time.Time }

func (d timeDest) Scan(src any) error {
	t, _, err := scanTime(src)
	*d.p = t
	return err
}

type timePtrDest struct{ p **time.Time }

func (d timePtrDest) Scan(src any) error {
	t, ok, err := scanTime(src)
	if ok {
		*d.p = &t
	} else {
		*d.p = nil
	}
	return err
}

func scanTime(src any) (time.Time, bool, error) {
	switch v := src.(type) {
	case nil:
		return time.Time{}, false, nil
	case time.Time:
		return v.UTC(), true, nil
	case string:
		return parseTime(v)
	case []byte:
		return parseTime(string(v))
	}
	return time.Time{}, false, fmt.Errorf("sqlstore: cannot scan %T into a time", src)
}

func parseTime(s string) (time.Time, bool, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		// Tolerate SQLite's own datetime() format.
		t2, err2 := time.Parse("2006-01-02 15:04:05", strings.TrimSpace(s))
		if err2 != nil {
			return time.Time{}, false, fmt.Errorf("sqlstore: bad stored time %q: %w", s, err)
		}
		t = t2
	}
	return t.UTC(), true, nil
}

// Short constructors used in the column lists.
func i64(p *int64) int64Dest         { return int64Dest{p} }
func iN(p *int) intDest              { return intDest{p} }
func bl(p *bool) boolDest            { return boolDest{p} }
func st[T ~string](p *T) strDest[T]  { return strDest[T]{p} }
func tm(p *time.Time) timeDest       { return timeDest{p} }
func tmp(p **time.Time) timePtrDest  { return timePtrDest{p} }
func js(p *json.RawMessage) jsonDest { return jsonDest{p} }

// nid is the bind value of an optional reference: 0 is NULL.
func nid(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// cols prefixes every column of a comma-separated list with a table alias.
func cols(alias, list string) string {
	parts := strings.Split(list, ",")
	for i, p := range parts {
		parts[i] = alias + "." + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}

// placeholders returns "?, ?, ?" for n values.
func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}

// limit applies the default (100) and the maximum (1000) page size.
func limit(n int) int {
	switch {
	case n <= 0:
		return 100
	case n > 1000:
		return 1000
	}
	return n
}

func offset(n int) int {
	if n < 0 {
		return 0
	}
	return n
}

// ids converts a []int64 to bind arguments.
func ids(v []int64) []any {
	out := make([]any, len(v))
	for i, x := range v {
		out[i] = x
	}
	return out
}
