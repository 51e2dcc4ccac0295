package api

import (
	"context"
	"errors"

	"callroute/crm"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// contentTypeJSON is the type of every answer.
const contentTypeJSON = "application/json; charset=utf-8"

// writeJSON answers with v as JSON. v is encoded before anything is sent, so
// an encoding failure is still a clean 500.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":"internal error"}`)
	}
	w.Header().Set("Content-Type", contentTypeJSON)
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// ok answers 200 with v.
func ok(w http.ResponseWriter, v any) { writeJSON(w, http.StatusOK, v) }

// created answers 201 with the new record and its address (RFC 9110
// section 15.3.2), taken from the collection it was posted to.
func created(w http.ResponseWriter, r *http.Request, id int64, v any) {
	w.Header().Set("Location", strings.TrimSuffix(r.URL.Path, "/")+"/"+strconv.FormatInt(id, 10))
	writeJSON(w, http.StatusCreated, v)
}

// listBody is every list answer; Items is never null.
type listBody[T any] struct {
	Items []T `json:"items"`
}

func list[T any](w http.ResponseWriter, items []T) {
	if items == nil {
		items = []T{}
	}
	ok(w, listBody[T]{Items: items})
}

// getByID answers GET /things/{id} with what get returns for the signed-in
// user.
func getByID[T any](h *handler, get func(context.Context, crm.Actor, int64) (*T, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		v, err := get(r.Context(), actor(r), id)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		ok(w, v)
	}
}

// listBy answers GET /things: filter reads the query parameters into the
// service's filter (the first bad one is 400 naming it), and find lists what
// the signed-in user may see.
func listBy[F, T any](h *handler, filter func(*query) F, find func(context.Context, crm.Actor, F) ([]T, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := queryOf(r)
		f := filter(q)
		if q.err != nil {
			h.fail(w, r, q.err)
			return
		}
		items, err := find(r.Context(), actor(r), f)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		list(w, items)
	}
}

// patchByID answers PATCH /things/{id} with the patch P applied by update:
// fields left out stay as they are. A stale version is 409 with the record
// as get returns it now (when the user may still see it), so that the
// client can redo its change on what is there.
func patchByID[P, T any](h *handler, update func(context.Context, crm.Actor, int64, P) (*T, error),
	get func(context.Context, crm.Actor, int64) (*T, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		var p P
		if err := decodeJSON(w, r, &p); err != nil {
			h.fail(w, r, err)
			return
		}
		v, err := update(r.Context(), actor(r), id, p)
		if errors.Is(err, crm.ErrConflict) {
			if cur, cerr := get(r.Context(), actor(r), id); cerr == nil {
				h.failCurrent(w, r, err, cur)
				return
			}
		}
		if err != nil {
			h.fail(w, r, err)
			return
		}
		ok(w, v)
	}
}
