package api

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"callroute/crm"
)

func (h *handler) interestRoutes(r chi.Router) {
	r.Get("/interests", listBy(h, interestFilter, h.svc.Interests))
	r.Post("/interests", h.createInterest)
	r.Get("/interests/{id}", getByID(h, h.svc.Interest))
	// PATCH moves the stage (lost needs a lost_reason), the follow-up, notes.
	r.Patch("/interests/{id}", patchByID(h, h.svc.UpdateInterest, h.svc.Interest))
	r.Get("/interests/{id}/history", h.interestHistory)
}

// interestFilter reads GET /interests?contact_id=&company_id=&owner_id=
// &stage=&open=&limit=&offset= (listed most recently active first).
func interestFilter(q *query) crm.InterestFilter {
	f := crm.InterestFilter{ContactID: q.id("contact_id"), CompanyID: q.id("company_id"),
		OwnerID: q.id("owner_id"), Stage: q.stage("stage"), OpenOnly: q.boolean("open")}
	f.Limit, f.Offset = q.page()
	return f
}

func (h *handler) createInterest(w http.ResponseWriter, r *http.Request) {
	var p crm.InterestPatch
	if err := decodeJSON(w, r, &p); err != nil {
		h.fail(w, r, err)
		return
	}
	in, err := h.svc.CreateInterest(r.Context(), actor(r), p)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	created(w, r, in.ID, in)
}

func (h *handler) interestHistory(w http.ResponseWriter, r *http.Request) {
	h.history(w, r, crm.EntityInterest)
}
