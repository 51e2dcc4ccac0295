package ui

import (
	"log/slog"
	"net/http"

	"callroute/web/session"
)

// logout is POST /logout: the session ends in storage (its cookie no longer
// works anywhere, ASVS 5.0 7.4.1), the browser forgets the cookie and what
// the pages stored, and lands on the sign-in page.
func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	sess := session.Current(r.Context())
	if err := h.svc.SignOut(r.Context(), sess); err != nil {
		h.internalError(w, r, "sign out", err)
		return
	}
	h.log.InfoContext(r.Context(), "signed out", slog.Int64("user_id", sess.UserID), slog.Int64("session_id", sess.ID))
	h.sessions.ClearCookie(w)
	w.Header().Set("Clear-Site-Data", `"storage"`)
	seeOther(w, "/login")
}
