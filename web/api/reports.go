package api

import (
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
)

// defaultReportDays is the period of a calls report without from.
const defaultReportDays = 30

func (h *handler) reportRoutes(r chi.Router) {
	r.Get("/reports/open-interests", h.openInterestsReport)
	r.Get("/reports/overdue", h.overdueReport)
	r.Get("/reports/calls", h.callsReport)
}

// openInterestsReport answers GET /reports/open-interests: open interests
// per manager by stage, with the interests behind each count.
func (h *handler) openInterestsReport(w http.ResponseWriter, r *http.Request) {
	rep, err := h.svc.OpenInterests(r.Context(), actor(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ok(w, rep)
}

// overdueReport answers GET /reports/overdue: follow-ups and tasks past due.
func (h *handler) overdueReport(w http.ResponseWriter, r *http.Request) {
	rep, err := h.svc.OverdueFollowUps(r.Context(), actor(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ok(w, rep)
}

// callsReport answers GET /reports/calls?from=YYYY-MM-DD&to=YYYY-MM-DD:
// answered and missed calls per user per day (UTC) from `from` up to, not
// including, `to`. Without to: up to the end of today; without from: the 30
// days before to.
func (h *handler) callsReport(w http.ResponseWriter, r *http.Request) {
	q := queryOf(r)
	from, hasFrom := q.date("from")
	to, hasTo := q.date("to")
	if q.err != nil {
		h.fail(w, r, q.err)
		return
	}
	if !hasTo {
		y, m, d := h.svc.Now().Date()
		to = time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
	}
	if !hasFrom {
		from = to.AddDate(0, 0, -defaultReportDays)
	}
	rep, err := h.svc.Calls(r.Context(), actor(r), from, to)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ok(w, rep)
}
