package api

import (
	"net/http"

	"callroute/crm"
)

// userView is a colleague as any signed-in user sees them.
type userView struct {
	ID     int64    `json:"id"`
	Name   string   `json:"name"`
	Email  string   `json:"email"`
	Role   crm.Role `json:"role"`
	Active bool     `json:"active"`
}

// meView is the signed-in user's own account.
type meView struct {
	userView
	SIPUsername string `json:"sip_username,omitempty"`
}

func viewUser(u *crm.User) userView {
	return userView{ID: u.ID, Name: u.Name, Email: u.Email, Role: u.Role, Active: u.Active}
}

// me answers GET /me: who the token belongs to.
func (h *handler) me(w http.ResponseWriter, r *http.Request) {
	u := user(r)
	ok(w, meView{userView: viewUser(u), SIPUsername: u.SIPUsername})
}

// listUsers answers GET /users: every user, for any signed-in user (to pick
// an owner, a delegate, an assignee).
func (h *handler) listUsers(w http.ResponseWriter, r *http.Request) {
	us, err := h.svc.Users(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := make([]userView, 0, len(us))
	for i := range us {
		out = append(out, viewUser(&us[i]))
	}
	list(w, out)
}
