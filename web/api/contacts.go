package api

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"callroute/crm"
)

// maxTimeline is the most interactions one timeline answer holds.
const maxTimeline = 500

func (h *handler) contactRoutes(r chi.Router) {
	r.Get("/contacts", listBy(h, contactFilter, h.svc.Contacts))
	r.Post("/contacts", h.createContact)
	r.Get("/contacts/{id}", getByID(h, h.svc.Contact))
	r.Patch("/contacts/{id}", patchByID(h, h.svc.UpdateContact, h.svc.Contact))
	r.Get("/contacts/{id}/timeline", h.contactTimeline)
	r.Get("/contacts/{id}/history", h.contactHistory)
}

// contactFilter reads GET /contacts?q=&company_id=&owner_id=&limit=&offset=.
func contactFilter(q *query) crm.ContactFilter {
	f := crm.ContactFilter{Query: q.text("q"), CompanyID: q.id("company_id"), OwnerID: q.id("owner_id")}
	f.Limit, f.Offset = q.page()
	return f
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
