package api

import (
	"net/http"
	"time"

	"callroute/crm"
)

// newInteraction is what a person may log on a timeline: a note, an email,
// a meeting or an outbound call. Inbound calls are written by callroute.
type newInteraction struct {
	Kind       crm.InteractionKind `json:"kind"`
	Direction  crm.Direction       `json:"direction"`
	ContactID  int64               `json:"contact_id"`
	CompanyID  int64               `json:"company_id"`
	InterestID int64               `json:"interest_id"`
	// At is when it happened; absent means now.
	At      time.Time `json:"at"`
	Subject string    `json:"subject"`
	Notes   string    `json:"notes"`
}

// createInteraction answers POST /interactions; the interaction also shows
// on the contact's timeline.
func (h *handler) createInteraction(w http.ResponseWriter, r *http.Request) {
	var in newInteraction
	if err := decodeJSON(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	switch in.Direction {
	case "", crm.Inbound, crm.Outbound:
	default:
		h.fail(w, r, &crm.FieldError{Field: "direction", Message: "want inbound or outbound"})
		return
	}
	it, err := h.svc.LogInteraction(r.Context(), actor(r), crm.Interaction{
		Kind: in.Kind, Direction: in.Direction, ContactID: in.ContactID, CompanyID: in.CompanyID,
		InterestID: in.InterestID, At: in.At, Subject: in.Subject, Notes: in.Notes,
	})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	created(w, r, it.ID, it)
}
