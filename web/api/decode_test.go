package api_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestBadInput checks that malformed requests are refused with a message
// that says what is wrong, before anything is written.
func TestBadInput(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		co := f.createCompany(f.headTok, map[string]any{"name": "Acme SRL"})
		cases := []struct {
			name, method, path string
			body               any
			status             int
			field, mention     string
		}{
			{"malformed JSON says where", "POST", "/companies", "{\n  \"name\": \"x\",\n}", 400, "", "line 3"},
			{"cut-off JSON", "POST", "/companies", `{"name": "x"`, 400, "", "ends"},
			{"unknown field", "POST", "/companies", `{"name": "x", "colour": "red"}`, 400, "colour", "colour"},
			{"wrong type", "POST", "/companies", `{"name": "x", "size": "big"}`, 400, "size", "whole number"},
			{"wrong type nested", "POST", "/contacts", `{"name": "x", "phones": [{"e164": 721}]}`, 400, "phones.e164", "string"},
			{"bad time", "POST", "/tasks", `{"title": "x", "due": "tomorrow"}`, 400, "", "RFC 3339"},
			{"not an object", "POST", "/companies", `["x"]`, 400, "", "object"},
			{"two objects", "POST", "/companies", `{"name": "x"} {"name": "y"}`, 400, "", "after the JSON object"},
			{"empty body", "POST", "/companies", "", 400, "", "empty"},
			{"too large", "POST", "/companies", `{"name": "` + strings.Repeat("x", 1<<20) + `"}`, 413, "", "larger"},
			{"id not a number", "GET", "/companies/abc", nil, 400, "id", "abc"},
			{"id zero", "PATCH", "/contacts/0", `{}`, 400, "id", "id"},
			{"bad limit", "GET", "/contacts?limit=-1", nil, 400, "limit", "limit"},
			{"bad owner_id", "GET", "/companies?owner_id=me", nil, 400, "owner_id", "owner_id"},
			{"bad stage", "GET", "/interests?stage=sold", nil, 400, "stage", "sold"},
			{"bad open", "GET", "/interests?open=maybe", nil, 400, "open", "true or false"},
			{"bad active", "GET", "/delegations?active=yes", nil, 400, "active", "true or false"},
			{"bad to", "GET", "/reports/calls?to=01.05.2026", nil, 400, "to", "YYYY-MM-DD"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				e := f.do(f.headTok, c.method, c.path, c.body).wantError(c.status, c.field)
				if !strings.Contains(e.Error, c.mention) {
					t.Errorf("message %q does not mention %q", e.Error, c.mention)
				}
			})
		}
		if n := len(list[struct{}](t, f.get(f.headTok, "/companies"))); n != 1 {
			t.Errorf("%d companies after bad requests, want only the first", n)
		}
		if got := f.company(f.headTok, co.ID); got.Name != "Acme SRL" {
			t.Errorf("company changed to %q", got.Name)
		}
		f.doType(f.headTok, "POST", "/companies", "application/x-www-form-urlencoded", "name=x").
			wantError(http.StatusUnsupportedMediaType, "")
		f.do(f.headTok, "DELETE", "/companies/"+itoa(co.ID), nil).wantError(http.StatusMethodNotAllowed, "")
		f.get(f.headTok, "/no-such-thing").wantError(http.StatusNotFound, "")
	})
}
