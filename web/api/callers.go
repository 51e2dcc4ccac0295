package api

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/go-chi/chi/v5"
)

// callerFile answers GET /callers/{phone}: the screen pop for a number in
// any format people write (national, international, with spaces). An
// unknown caller is a 200 with no contact, company or owner and the details
// the desk must ask for.
func (h *handler) callerFile(w http.ResponseWriter, r *http.Request) {
	raw := chi.URLParam(r, "phone")
	// chi matches on the escaped path when it differs from the decoded one
	// (e.g. "%2B40..."); the number itself never contains '%'.
	if strings.Contains(raw, "%") {
		if s, err := url.PathUnescape(raw); err == nil {
			raw = s
		}
	}
	f, err := h.svc.CallerFile(r.Context(), actor(r), raw)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ok(w, f)
}
