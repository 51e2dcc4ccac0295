package api

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/go-chi/chi/v5"

	"callroute/crm"
)

// LiveCallFunc tells the API what the live call state says about a call in
// progress, as userID asks: who answered it (userID when they answered it
// at some point, even if they have transferred it since; else whoever is
// on it now, 0 while nobody is) and the caller's number; ok is false when
// the call is not live here. It lets the capture and the wrap-up of a call
// be saved while the call is on, before routing has written it (routing's
// registry of live calls is the usual source).
type LiveCallFunc func(callID string, userID int64) (answeredBy int64, callerE164 string, ok bool)

// WithLiveCalls gives the API the live call state (nil: none; only calls
// routing has written can then be captured).
func WithLiveCalls(f LiveCallFunc) Option { return func(h *handler) { h.liveCalls = f } }

func (h *handler) callRoutes(r chi.Router) {
	r.Get("/calls/{call_id}", h.getCall)
	r.Post("/calls/{call_id}/capture", h.captureCall)
	r.Post("/calls/{call_id}/wrapup", h.wrapUpCall)
}

// pathCallID is the {call_id} of the path. A SIP Call-ID may hold
// characters a path cannot ("/", "?", "%": RFC 3261 section 25.1, word),
// so clients percent-encode it; chi then routes on the escaped path and
// hands the segment over still escaped.
func pathCallID(r *http.Request) (string, error) {
	v := chi.URLParam(r, "call_id")
	if r.URL.RawPath == "" {
		return v, nil
	}
	id, err := url.PathUnescape(v)
	if err != nil {
		return "", badRequest("call_id", "the call id in the path is not validly percent-encoded")
	}
	return id, nil
}

// live asks the live call state about a call.
func (h *handler) live(r *http.Request, callID string) *crm.LiveCall {
	if h.liveCalls == nil {
		return nil
	}
	by, caller, ok := h.liveCalls(callID, actor(r).UserID)
	if !ok {
		return nil
	}
	return &crm.LiveCall{AnsweredBy: by, Caller: caller}
}

// getCall answers GET /calls/{call_id}: the call's interaction.
func (h *handler) getCall(w http.ResponseWriter, r *http.Request) {
	id, err := pathCallID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	it, err := h.svc.Call(r.Context(), actor(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ok(w, it)
}

// captureCall answers POST /calls/{call_id}/capture: the body is a
// crm.CallCapture; the answer the contact, company, interest and call as
// saved, or 409 with them as they are now.
func (h *handler) captureCall(w http.ResponseWriter, r *http.Request) {
	id, err := pathCallID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var in crm.CallCapture
	if err := decodeJSON(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	in.CallID, in.Live = id, h.live(r, id)
	res, err := h.svc.SaveCallCapture(r.Context(), actor(r), in)
	var ce *crm.CaptureConflictError
	if errors.As(err, &ce) {
		h.failConflict(w, r, ce)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ok(w, res)
}

// failConflict answers a capture's conflict: 409 with the file as it is
// now, and what was stale.
func (h *handler) failConflict(w http.ResponseWriter, r *http.Request, ce *crm.CaptureConflictError) {
	writeJSON(w, http.StatusConflict, errorBody{Error: ce.Error(), Current: ce.Current, Stale: ce.Stale, Fields: ce.Fields})
}

// wrapUpCall answers POST /calls/{call_id}/wrapup: the body is a
// crm.WrapUp; the answer the call and its call-back task.
func (h *handler) wrapUpCall(w http.ResponseWriter, r *http.Request) {
	id, err := pathCallID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var in crm.WrapUp
	if err := decodeJSON(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	in.Live = h.live(r, id)
	res, err := h.svc.WrapUpCall(r.Context(), actor(r), id, in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ok(w, res)
}
