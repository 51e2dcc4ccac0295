package api

import (
	"errors"
	"net/http"

	"github.com/go-chi/chi/v5"

	"callroute/crm"
)

func (h *handler) interestRoutes(r chi.Router) {
	r.Get("/interests", h.listInterests)
	r.Post("/interests", h.createInterest)
	r.Get("/interests/{id}", h.getInterest)
	r.Patch("/interests/{id}", h.updateInterest)
	r.Get("/interests/{id}/history", h.interestHistory)
}

// listInterests answers GET /interests?contact_id=&company_id=&owner_id=
// &stage=&open=&limit=&offset=, most recently active first.
func (h *handler) listInterests(w http.ResponseWriter, r *http.Request) {
	q := queryOf(r)
	f := crm.InterestFilter{ContactID: q.id("contact_id"), CompanyID: q.id("company_id"),
		OwnerID: q.id("owner_id"), Stage: q.stage("stage"), OpenOnly: q.boolean("open")}
	f.Limit, f.Offset = q.page()
	if q.err != nil {
		h.fail(w, r, q.err)
		return
	}
	items, err := h.svc.Interests(r.Context(), actor(r), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	list(w, items)
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

func (h *handler) getInterest(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	in, err := h.svc.Interest(r.Context(), actor(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ok(w, in)
}

// updateInterest answers PATCH /interests/{id}: moving the stage (lost
// needs a lost_reason), the follow-up, notes; a stale version is 409 with
// the interest as it is now.
func (h *handler) updateInterest(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var p crm.InterestPatch
	if err := decodeJSON(w, r, &p); err != nil {
		h.fail(w, r, err)
		return
	}
	in, err := h.svc.UpdateInterest(r.Context(), actor(r), id, p)
	if errors.Is(err, crm.ErrConflict) {
		if cur, cerr := h.svc.Interest(r.Context(), actor(r), id); cerr == nil {
			h.failCurrent(w, r, err, cur)
			return
		}
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ok(w, in)
}

func (h *handler) interestHistory(w http.ResponseWriter, r *http.Request) {
	h.history(w, r, crm.EntityInterest)
}
