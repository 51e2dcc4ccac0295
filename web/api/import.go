package api

import (
	"bytes"
	"net/http"
)

// importContacts answers POST /import/contacts with a CSV body: all rows
// imported (200 with the counts) or none (400 with every bad line).
// Head of sales only.
func (h *handler) importContacts(w http.ResponseWriter, r *http.Request) {
	// text/csv is RFC 4180 section 3; browsers and spreadsheets send the
	// others for .csv files.
	if err := checkContentType(r, "text/csv", "application/csv", "text/plain", "application/vnd.ms-excel"); err != nil {
		h.fail(w, r, err)
		return
	}
	body, err := readBody(w, r, MaxImportBytes)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	res, err := h.svc.ImportContactsCSV(r.Context(), actor(r), bytes.NewReader(body))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ok(w, res)
}
