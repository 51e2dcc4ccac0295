package api

import (
	"errors"
	"net/http"

	"github.com/go-chi/chi/v5"

	"callroute/crm"
)

func (h *handler) companyRoutes(r chi.Router) {
	r.Get("/companies", h.listCompanies)
	r.Post("/companies", h.createCompany)
	r.Get("/companies/{id}", h.getCompany)
	r.Patch("/companies/{id}", h.updateCompany)
	r.Get("/companies/{id}/history", h.companyHistory)
}

// listCompanies answers GET /companies?q=&owner_id=&limit=&offset=.
func (h *handler) listCompanies(w http.ResponseWriter, r *http.Request) {
	q := queryOf(r)
	f := crm.CompanyFilter{Query: q.text("q"), OwnerID: q.id("owner_id")}
	f.Limit, f.Offset = q.page()
	if q.err != nil {
		h.fail(w, r, q.err)
		return
	}
	cs, err := h.svc.Companies(r.Context(), actor(r), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	list(w, cs)
}

func (h *handler) createCompany(w http.ResponseWriter, r *http.Request) {
	var p crm.CompanyPatch
	if err := decodeJSON(w, r, &p); err != nil {
		h.fail(w, r, err)
		return
	}
	c, err := h.svc.CreateCompany(r.Context(), actor(r), p)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	created(w, r, c.ID, c)
}

func (h *handler) getCompany(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	c, err := h.svc.Company(r.Context(), actor(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ok(w, c)
}

// updateCompany answers PATCH /companies/{id}: fields left out stay as they
// are; a stale version is 409 with the company as it is now.
func (h *handler) updateCompany(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var p crm.CompanyPatch
	if err := decodeJSON(w, r, &p); err != nil {
		h.fail(w, r, err)
		return
	}
	c, err := h.svc.UpdateCompany(r.Context(), actor(r), id, p)
	if errors.Is(err, crm.ErrConflict) {
		if cur, cerr := h.svc.Company(r.Context(), actor(r), id); cerr == nil {
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

func (h *handler) companyHistory(w http.ResponseWriter, r *http.Request) {
	h.history(w, r, crm.EntityCompany)
}

// history answers GET /{records}/{id}/history: the change log, oldest first.
func (h *handler) history(w http.ResponseWriter, r *http.Request, e crm.Entity) {
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	changes, err := h.svc.History(r.Context(), actor(r), e, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	list(w, changes)
}
