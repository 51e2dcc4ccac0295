package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"callroute/crm"
)

// errorBody is every error answer: a message a person can read, the input
// field at fault when there is one, the bad lines of an import, and, for an
// edit conflict, the record as it is now.
type errorBody struct {
	Error   string          `json:"error"`
	Field   string          `json:"field,omitempty"`
	Lines   []crm.LineError `json:"lines,omitempty"`
	Current any             `json:"current,omitempty"`
	// A capture's conflict: the records changed since they were read, and
	// the values that would replace different ones.
	Stale  []string `json:"stale,omitempty"`
	Fields []string `json:"fields,omitempty"`
}

// requestError is a problem with the request itself (its body, its
// encoding), found before the Service is called.
type requestError struct {
	status  int
	field   string
	message string
}

func (e *requestError) Error() string { return e.message }

func badRequest(field, message string) error {
	return &requestError{status: http.StatusBadRequest, field: field, message: message}
}

// fail answers with the status an error calls for. Unexpected errors are
// logged and answered 500 without detail.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	h.failCurrent(w, r, err, nil)
}

// failCurrent is fail, with the record as it is now added to a conflict.
func (h *handler) failCurrent(w http.ResponseWriter, r *http.Request, err error, current any) {
	var (
		re *requestError
		fe *crm.FieldError
		ie *crm.ImportError
	)
	switch {
	case errors.As(err, &re):
		writeJSON(w, re.status, errorBody{Error: re.message, Field: re.field})
	case errors.As(err, &ie):
		writeJSON(w, http.StatusBadRequest, errorBody{Error: ie.Error(), Lines: ie.Lines})
	case errors.As(err, &fe):
		writeJSON(w, http.StatusBadRequest, errorBody{Error: fe.Error(), Field: fe.Field})
	case errors.Is(err, crm.ErrNotFound):
		writeJSON(w, http.StatusNotFound, errorBody{Error: "not found"})
	case errors.Is(err, crm.ErrForbidden):
		writeJSON(w, http.StatusForbidden, errorBody{Error: err.Error()})
	case errors.Is(err, crm.ErrConflict):
		writeJSON(w, http.StatusConflict, errorBody{Error: err.Error(), Current: current})
	case errors.Is(err, crm.ErrUnauthenticated):
		challenge(w, "invalid_token", "not signed in")
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		// The client went away; nobody reads an answer.
		h.log.DebugContext(r.Context(), "request canceled", slog.String("path", r.URL.Path))
	default:
		h.log.ErrorContext(r.Context(), "request failed",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.String("request_id", w.Header().Get("X-Request-Id")), slog.Any("error", err))
		writeJSON(w, http.StatusInternalServerError, errorBody{Error: "internal error"})
	}
}
