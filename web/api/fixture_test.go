package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/go-chi/chi/v5"

	"callroute/crm"
	"callroute/crm/sqlstore"
	"callroute/internal/testdb"
	"callroute/web/api"
)

// fixture is a running API over a fresh database with one user of each
// role (two managers) and a token for each.
type fixture struct {
	t   *testing.T
	svc *crm.Service
	srv *httptest.Server

	head, mgr1, mgr2, agent             *crm.User
	headTok, mgr1Tok, mgr2Tok, agentTok string

	// The live call state the API is given: calls in progress by Call-ID.
	mu   sync.Mutex
	live map[string]liveCall
}

type liveCall struct {
	answeredBy int64
	caller     string
}

// answer puts a call in the live state, answered by u (nil: ringing).
func (f *fixture) answer(callID string, u *crm.User, caller string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	lc := liveCall{caller: caller}
	if u != nil {
		lc.answeredBy = u.ID
	}
	f.live[callID] = lc
}

// hangUp takes a call out of the live state.
func (f *fixture) hangUp(callID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.live, callID)
}

func (f *fixture) liveCall(callID string, _ int64) (int64, string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	lc, ok := f.live[callID]
	return lc.answeredBy, lc.caller, ok
}

// each runs fn on every backend, in parallel with other tests, with a fresh
// fixture.
func each(t *testing.T, fn func(t *testing.T, f *fixture)) {
	t.Helper()
	t.Parallel()
	testdb.Each(t, func(t *testing.T, url string) {
		t.Parallel()
		fn(t, newFixture(t, url))
	})
}

func newFixture(t *testing.T, url string) *fixture {
	t.Helper()
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	store, err := sqlstore.Open(ctx, url, sqlstore.WithLogger(logger))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { store.Close() })
	parser, err := crm.NewPhoneParser("RO")
	if err != nil {
		t.Fatal(err)
	}
	svc := crm.NewService(store, parser)
	f := &fixture{t: t, svc: svc, live: map[string]liveCall{}}
	f.head, f.headTok = f.newUser("head@example.com", "Helena Head", crm.RoleHead)
	f.mgr1, f.mgr1Tok = f.newUser("mara@example.com", "Mara Manager", crm.RoleManager)
	f.mgr2, f.mgr2Tok = f.newUser("matei@example.com", "Matei Manager", crm.RoleManager)
	f.agent, f.agentTok = f.newUser("ana@example.com", "Ana Agent", crm.RoleAgent)

	r := chi.NewRouter()
	r.Mount("/api/v1", api.New(svc, logger, api.WithLiveCalls(f.liveCall)))
	f.srv = httptest.NewServer(r)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fixture) newUser(email, name string, role crm.Role) (*crm.User, string) {
	f.t.Helper()
	ctx := context.Background()
	u, err := f.svc.CreateUser(ctx, crm.System, crm.NewUser{Email: email, Name: name, Role: role})
	if err != nil {
		f.t.Fatalf("create user %s: %v", email, err)
	}
	tok, err := f.svc.CreateAPIToken(ctx, crm.System, u.ID, "test")
	if err != nil {
		f.t.Fatalf("token for %s: %v", email, err)
	}
	return u, tok
}

// response is an answer as a client sees it.
type response struct {
	t      *testing.T
	status int
	header http.Header
	body   []byte
}

// do sends a request to /api/v1+path. body is sent as is when it is a
// string or []byte (as JSON unless contentType says otherwise), else
// marshalled to JSON.
func (f *fixture) do(token, method, path string, body any) *response {
	f.t.Helper()
	return f.doType(token, method, path, "application/json", body)
}

func (f *fixture) doType(token, method, path, contentType string, body any) *response {
	f.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			f.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, f.srv.URL+"/api/v1"+path, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := f.srv.Client().Do(req)
	if err != nil {
		f.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		f.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return &response{t: f.t, status: res.StatusCode, header: res.Header, body: b}
}

func (f *fixture) get(token, path string) *response { return f.do(token, http.MethodGet, path, nil) }

func (f *fixture) post(token, path string, body any) *response {
	return f.do(token, http.MethodPost, path, body)
}

func (f *fixture) patch(token, path string, body any) *response {
	return f.do(token, http.MethodPatch, path, body)
}

// want fails the test unless the status is as expected, and decodes a JSON
// body into v (when v is not nil).
func (r *response) want(status int, v any) *response {
	r.t.Helper()
	if r.status != status {
		r.t.Fatalf("status %d, want %d; body: %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		r.t.Fatalf("Content-Type %q, want JSON; body: %s", ct, r.body)
	}
	if v != nil {
		if err := json.Unmarshal(r.body, v); err != nil {
			r.t.Fatalf("decode %s: %v", r.body, err)
		}
	}
	return r
}

// errBody is an error answer.
type errBody struct {
	Error   string          `json:"error"`
	Field   string          `json:"field"`
	Lines   []crm.LineError `json:"lines"`
	Current json.RawMessage `json:"current"`
}

// wantError checks an error answer's status and field ("" = none) and
// returns it.
func (r *response) wantError(status int, field string) errBody {
	r.t.Helper()
	var e errBody
	r.want(status, &e)
	if e.Error == "" {
		r.t.Fatalf("error answer without a message: %s", r.body)
	}
	if e.Field != field {
		r.t.Fatalf("field %q, want %q; body: %s", e.Field, field, r.body)
	}
	return e
}

// list decodes a {"items": [...]} answer.
func list[T any](t *testing.T, r *response) []T {
	t.Helper()
	var body struct {
		Items *[]T `json:"items"`
	}
	r.want(http.StatusOK, &body)
	if body.Items == nil {
		t.Fatalf("list answer without items (or null): %s", r.body)
	}
	return *body.Items
}

// Records made through the API, as the given user.

func (f *fixture) createCompany(token string, body any) crm.Company {
	f.t.Helper()
	var c crm.Company
	f.post(token, "/companies", body).want(http.StatusCreated, &c)
	return c
}

func (f *fixture) createContact(token string, body any) crm.Contact {
	f.t.Helper()
	var c crm.Contact
	f.post(token, "/contacts", body).want(http.StatusCreated, &c)
	return c
}

func (f *fixture) createInterest(token string, body any) crm.Interest {
	f.t.Helper()
	var in crm.Interest
	f.post(token, "/interests", body).want(http.StatusCreated, &in)
	return in
}

func (f *fixture) contact(token string, id int64) crm.Contact {
	f.t.Helper()
	var c crm.Contact
	f.get(token, fmt.Sprintf("/contacts/%d", id)).want(http.StatusOK, &c)
	return c
}

func (f *fixture) company(token string, id int64) crm.Company {
	f.t.Helper()
	var c crm.Company
	f.get(token, fmt.Sprintf("/companies/%d", id)).want(http.StatusOK, &c)
	return c
}

func (f *fixture) interest(token string, id int64) crm.Interest {
	f.t.Helper()
	var in crm.Interest
	f.get(token, fmt.Sprintf("/interests/%d", id)).want(http.StatusOK, &in)
	return in
}

// clientOf makes, as the head of sales, a company and a contact with a
// mobile number, both owned by owner.
func (f *fixture) clientOf(owner *crm.User, name, company, mobile string) (crm.Contact, crm.Company) {
	f.t.Helper()
	co := f.createCompany(f.headTok, map[string]any{"name": company, "owner_id": owner.ID})
	c := f.createContact(f.headTok, map[string]any{"name": name, "company_id": co.ID, "owner_id": owner.ID,
		"phones": []map[string]string{{"kind": "mobile", "e164": mobile}}})
	return c, co
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }
