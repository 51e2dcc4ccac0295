package api

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"callroute/crm"
)

func (h *handler) delegationRoutes(r chi.Router) {
	r.Get("/delegations", listBy(h, h.delegationFilter, h.svc.Delegations))
	r.Post("/delegations", h.createDelegation)
	r.Get("/delegations/{id}", getByID(h, h.svc.Delegation))
	r.Post("/delegations/{id}/end", h.endDelegation)
}

// delegationFilter reads GET /delegations?active=true (in force now)
// &user_id= (of one manager).
func (h *handler) delegationFilter(q *query) crm.DelegationFilter {
	f := crm.DelegationFilter{UserID: q.id("user_id")}
	if q.boolean("active") {
		now := h.svc.Now()
		f.ActiveAt = &now
	}
	return f
}

// createDelegation answers POST /delegations: user_id's calls go to
// delegate_id from starts (default now) to ends.
func (h *handler) createDelegation(w http.ResponseWriter, r *http.Request) {
	var in crm.NewDelegation
	if err := decodeJSON(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	d, err := h.svc.CreateDelegation(r.Context(), actor(r), in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	created(w, r, d.ID, d)
}

// endDelegation answers POST /delegations/{id}/end: the delegation ends now.
func (h *handler) endDelegation(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d, err := h.svc.EndDelegation(r.Context(), actor(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ok(w, d)
}
