package ui

import "net/http"

// workspaceShow is GET /: the screen every role works in. The softphone
// and the user's presence come here.
func (h *Handler) workspaceShow(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "workspace", "Workspace", nil)
}
