package api

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"callroute/crm"
)

// Paging: a list answers at most maxLimit items.
const (
	defaultLimit = 100
	maxLimit     = 1000
)

// pathID reads the {id} of the route: a positive whole number.
func pathID(r *http.Request) (int64, error) {
	s := chi.URLParam(r, "id")
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, &crm.FieldError{Field: "id", Message: fmt.Sprintf("%q is not a record id: want a positive whole number", s)}
	}
	return id, nil
}

// query reads query parameters, keeping the first bad one as err.
type query struct {
	v   url.Values
	err error
}

func queryOf(r *http.Request) *query { return &query{v: r.URL.Query()} }

func (q *query) fail(name, format string, args ...any) {
	if q.err == nil {
		q.err = &crm.FieldError{Field: name, Message: fmt.Sprintf(format, args...)}
	}
}

func (q *query) text(name string) string { return strings.TrimSpace(q.v.Get(name)) }

// id reads an optional record id (0 when absent).
func (q *query) id(name string) int64 {
	s := q.text(name)
	if s == "" {
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		q.fail(name, "%q is not a record id: want a positive whole number", s)
		return 0
	}
	return n
}

// intIn reads an optional whole number in [lo, hi], def when absent.
func (q *query) intIn(name string, def, lo, hi int) int {
	s := q.text(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		q.fail(name, "%q: want a whole number from %d to %d", s, lo, hi)
		return def
	}
	return n
}

// page reads limit and offset.
func (q *query) page() (limit, offset int) {
	return q.intIn("limit", defaultLimit, 1, maxLimit), q.intIn("offset", 0, 0, 1<<30)
}

// boolean reads an optional true/false (false when absent).
func (q *query) boolean(name string) bool {
	s := q.text(name)
	if s == "" {
		return false
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		q.fail(name, "%q: want true or false", s)
	}
	return b
}

// stage reads an optional interest stage.
func (q *query) stage(name string) crm.Stage {
	s := q.text(name)
	if s == "" {
		return ""
	}
	st, err := crm.ParseStage(s)
	if err != nil {
		q.fail(name, "%v", err)
	}
	return st
}

// date reads an optional YYYY-MM-DD date as midnight UTC.
func (q *query) date(name string) (time.Time, bool) {
	s := q.text(name)
	if s == "" {
		return time.Time{}, false
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		q.fail(name, "%q: want a date as YYYY-MM-DD", s)
		return time.Time{}, false
	}
	return d, true
}
