package api

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"callroute/crm"
)

func (h *handler) reassignmentRoutes(r chi.Router) {
	r.Post("/reassignments", h.createReassignment)
	r.Get("/reassignments/{id}", getByID(h, h.svc.Reassignment))
	r.Post("/reassignments/{id}/undo", h.undoReassignment)
}

// createReassignment answers POST /reassignments: move one contact, one
// company, or all of a manager's clients (from_user_id) to to_user_id.
// Head of sales only.
func (h *handler) createReassignment(w http.ResponseWriter, r *http.Request) {
	var in crm.ReassignRequest
	if err := decodeJSON(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	ra, err := h.svc.Reassign(r.Context(), actor(r), in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	created(w, r, ra.ID, ra)
}

// undoReassignment answers POST /reassignments/{id}/undo: every record goes
// back to its previous owner unless moved again since; a second undo is 409.
func (h *handler) undoReassignment(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ra, err := h.svc.UndoReassignment(r.Context(), actor(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ok(w, ra)
}
