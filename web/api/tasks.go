package api

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"callroute/crm"
)

func (h *handler) taskRoutes(r chi.Router) {
	r.Get("/tasks", listBy(h, taskFilter, h.svc.Tasks))
	r.Post("/tasks", h.createTask)
	r.Get("/tasks/{id}", getByID(h, h.svc.Task))
	r.Post("/tasks/{id}/done", h.completeTask)
}

// taskFilter reads GET /tasks?assignee_id=&desk=&contact_id=&open=
// &limit=&offset= (listed earliest due first).
func taskFilter(q *query) crm.TaskFilter {
	f := crm.TaskFilter{AssigneeID: q.id("assignee_id"), DeskOnly: q.boolean("desk"),
		ContactID: q.id("contact_id"), OpenOnly: q.boolean("open")}
	f.Limit, f.Offset = q.page()
	return f
}

// createTask answers POST /tasks.
func (h *handler) createTask(w http.ResponseWriter, r *http.Request) {
	var in crm.NewTask
	if err := decodeJSON(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	t, err := h.svc.CreateTask(r.Context(), actor(r), in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	created(w, r, t.ID, t)
}

// taskDone is the optional body of POST /tasks/{id}/done.
type taskDone struct {
	Notes string `json:"notes"`
}

// completeTask answers POST /tasks/{id}/done; doing it twice changes
// nothing.
func (h *handler) completeTask(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var in taskDone
	if err := decodeOptionalJSON(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	t, err := h.svc.CompleteTask(r.Context(), actor(r), id, in.Notes)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ok(w, t)
}
