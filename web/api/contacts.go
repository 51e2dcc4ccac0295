package api

import (
	"errors"
	"net/http"

	"github.com/go-chi/chi/v5"

	"callroute/crm"
)

// maxTimeline is the most interactions one timeline answer holds.
const maxTimeline = 500

func (h *handler) contactRoutes(r chi.Router) {
	r.Get("/contacts", h.listContacts)
	r.Post("/contacts", h.createContact)
	r.Get("/contacts/{id}", h.getContact)
	r.Patch("/contacts/{id}", h.updateContact)
	r.Get("/contacts/{id}/timeline", h.contactTimeline)
	r.Get("/contacts/{id}/history", h.contactHistory)
}

// listContacts answers GET /contacts?q=&company_id=&owner_id=&limit=&offset=.
func (h *handler) listContacts(w http.ResponseWriter, r *http.Request) {
	q := queryOf(r)
	f := crm.ContactFilter{Query: q.text("q"), CompanyID: q.id("company_id"), OwnerID: q.id("owner_id")}
	f.Limit, f.Offset = q.page()
	if q.err != nil {
		h.fail(w, r, q.err)
		return
	}
	cs, err := h.svc.Contacts(r.Context(), actor(r), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	list(w, cs)
}

func (h *handler) createContact(w http.ResponseWriter, r *http.Request) {
	var p crm.ContactPatch
	if err := decodeJSON(w, r, &p); err != nil {
		h.fail(w, r, err)
		return
	}
	c, err := h.svc.CreateContact(r.Context(), actor(r), p)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	created(w, r, c.ID, c)
}

func (h *handler) getContact(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	c, err := h.svc.Contact(r.Context(), actor(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ok(w, c)
}

// updateContact answers PATCH /contacts/{id}; a stale version is 409 with
// the contact as it is now.
func (h *handler) updateContact(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var p crm.ContactPatch
	if err := decodeJSON(w, r, &p); err != nil {
		h.fail(w, r, err)
		return
	}
	c, err := h.svc.UpdateContact(r.Context(), actor(r), id, p)
	if errors.Is(err, crm.ErrConflict) {
		if cur, cerr := h.svc.Contact(r.Context(), actor(r), id); cerr == nil {
			h.failCurrent(w, r, err, cur)
			return
		}
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ok(w, c)
}

// contactTimeline answers GET /contacts/{id}/timeline?limit=: newest first.
func (h *handler) contactTimeline(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	q := queryOf(r)
	limit := q.intIn("limit", defaultLimit, 1, maxTimeline)
	if q.err != nil {
		h.fail(w, r, q.err)
		return
	}
	items, err := h.svc.Timeline(r.Context(), actor(r), id, limit)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	list(w, items)
}

func (h *handler) contactHistory(w http.ResponseWriter, r *http.Request) {
	h.history(w, r, crm.EntityContact)
}
