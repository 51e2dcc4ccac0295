package api

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"callroute/crm"
)

func (h *handler) companyRoutes(r chi.Router) {
	r.Get("/companies", listBy(h, companyFilter, h.svc.Companies))
	r.Post("/companies", h.createCompany)
	r.Get("/companies/{id}", getByID(h, h.svc.Company))
	r.Patch("/companies/{id}", patchByID(h, h.svc.UpdateCompany, h.svc.Company))
	r.Get("/companies/{id}/history", h.companyHistory)
}

// companyFilter reads GET /companies?q=&owner_id=&limit=&offset=.
func companyFilter(q *query) crm.CompanyFilter {
	f := crm.CompanyFilter{Query: q.text("q"), OwnerID: q.id("owner_id")}
	f.Limit, f.Offset = q.page()
	return f
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
