package crm

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestMissingDetails(t *testing.T) {
	missing, required := missingDetails(nil, nil, nil)
	if !slices.Equal(required, []string{"name", "company"}) {
		t.Errorf("a new caller must be asked name and company, got %v", required)
	}
	if missing[0] != "name" || missing[1] != "company" || !slices.Contains(missing, "need") {
		t.Errorf("missing = %v", missing)
	}
	c := &Contact{Name: "Ana Pop", Position: "CTO", Email: "ana@example.ro", Messenger: "@ana"}
	co := &Company{Name: "Acme", Website: "https://acme.ro", Size: 40, Industry: "logistics"}
	missing, required = missingDetails(c, co, &Interest{})
	if len(missing) != 0 || len(required) != 0 {
		t.Errorf("a complete file misses %v (required %v)", missing, required)
	}
	missing, required = missingDetails(c, nil, &Interest{})
	if !slices.Equal(required, []string{"company"}) || !slices.Contains(missing, "industry") {
		t.Errorf("contact without company: missing %v required %v", missing, required)
	}
}

func TestResolveTarget(t *testing.T) {
	owner := &User{ID: 1, Name: "Mara", Active: true}
	deleg := &User{ID: 2, Name: "Dan", Active: true}
	d := &Delegation{ID: 9, UserID: 1, DelegateID: 2}

	_, _, target, _ := resolveTarget(&CallerMatch{Owner: owner, OwnerSource: OwnerContact})
	if target == nil || target.ID != 1 {
		t.Errorf("no delegation: target %v, want the owner", target)
	}
	_, _, target, got := resolveTarget(&CallerMatch{Owner: owner, Delegation: d, Delegate: deleg})
	if target == nil || target.ID != 2 || got != d {
		t.Errorf("delegation: target %v, want the delegate", target)
	}
	inactiveDelegate := *deleg
	inactiveDelegate.Active = false
	_, _, target, _ = resolveTarget(&CallerMatch{Owner: owner, Delegation: d, Delegate: &inactiveDelegate})
	if target == nil || target.ID != 1 {
		t.Errorf("inactive delegate: target %v, want the owner", target)
	}
	gone := *owner
	gone.Active = false
	o, _, target, _ := resolveTarget(&CallerMatch{Owner: &gone})
	if target != nil || o == nil {
		t.Errorf("inactive owner: owner %v target %v, want owner shown and nobody to ring", o, target)
	}
	if o, _, target, _ := resolveTarget(&CallerMatch{}); o != nil || target != nil {
		t.Error("no owner: want nil owner and target")
	}
}

func TestApplyStage(t *testing.T) {
	s := &Service{now: func() time.Time { return time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC) }}
	stage := func(st Stage) *Stage { return &st }
	reason := func(r LostReason) *LostReason { return &r }

	in := &Interest{}
	if err := s.applyStage(in, InterestPatch{}); err != nil || in.Stage != StageNew {
		t.Fatalf("default stage: %v %v", in.Stage, err)
	}
	err := s.applyStage(in, InterestPatch{Stage: stage("lost")})
	if fe, ok := err.(*FieldError); !ok || fe.Field != "lost_reason" {
		t.Fatalf("lost without reason: %v", err)
	}
	if in.Stage != StageNew {
		t.Fatalf("a rejected change moved the stage to %s", in.Stage)
	}
	if err := s.applyStage(in, InterestPatch{Stage: stage("lost"), LostReason: reason("competitor")}); err != nil {
		t.Fatal(err)
	}
	if in.ClosedAt == nil || in.LostReason != LostCompetitor {
		t.Errorf("lost: closed %v reason %q", in.ClosedAt, in.LostReason)
	}
	if err := s.applyStage(in, InterestPatch{Stage: stage("offer")}); err != nil {
		t.Fatal(err)
	}
	if in.ClosedAt != nil || in.LostReason != "" {
		t.Errorf("reopened: closed %v reason %q", in.ClosedAt, in.LostReason)
	}
	err = s.applyStage(in, InterestPatch{Stage: stage("maybe")})
	if fe, ok := err.(*FieldError); !ok || fe.Field != "stage" {
		t.Errorf("unknown stage: %v", err)
	}
	err = s.applyStage(in, InterestPatch{Stage: stage("won"), LostReason: reason("other")})
	if fe, ok := err.(*FieldError); !ok || fe.Field != "lost_reason" {
		t.Errorf("won with a lost reason: %v", err)
	}
	err = s.applyStage(in, InterestPatch{Stage: stage("lost"), LostReason: reason("bored")})
	if fe, ok := err.(*FieldError); !ok || fe.Field != "lost_reason" || !strings.Contains(fe.Message, "bored") {
		t.Errorf("unknown reason: %v", err)
	}
}

func TestImportHeader(t *testing.T) {
	cols, bad := importHeader([]string{"\ufeffName", "PHONE", "owner_email"})
	if bad != nil || cols["name"] != 1 || cols["phone"] != 2 || cols["owner_email"] != 3 {
		t.Errorf("cols %v bad %v", cols, bad)
	}
	_, bad = importHeader([]string{"name", "fax"})
	if len(bad) != 1 || bad[0].Line != 1 || !strings.Contains(bad[0].Message, `"fax"`) {
		t.Errorf("unknown column: %v", bad)
	}
	_, bad = importHeader([]string{"name", "email", "email"})
	if len(bad) != 1 || !strings.Contains(bad[0].Message, "twice") {
		t.Errorf("repeated column: %v", bad)
	}
	_, bad = importHeader([]string{"company"})
	if len(bad) != 1 || bad[0].Field != "name" {
		t.Errorf("no name column: %v", bad)
	}
}

func TestImportErrorMessage(t *testing.T) {
	e := &ImportError{Lines: []LineError{{Line: 3, Field: "phone", Message: `"x" is not a phone number`}}}
	if got := e.Error(); !strings.Contains(got, "line 3: phone:") || !strings.Contains(got, "nothing was imported") {
		t.Errorf("message %q", got)
	}
}

func TestCleanEmailAndWebsite(t *testing.T) {
	if e, err := cleanEmail(" Ana@Example.RO "); err != nil || e != "ana@example.ro" {
		t.Errorf("cleanEmail = %q, %v", e, err)
	}
	for _, bad := range []string{"ana", "ana@", "Ana <ana@example.ro>", "ana@localhost"} {
		if _, err := cleanEmail(bad); err == nil {
			t.Errorf("cleanEmail(%q) accepted", bad)
		}
	}
	if w, err := cleanWebsite("acme.ro"); err != nil || w != "https://acme.ro" {
		t.Errorf("cleanWebsite = %q, %v", w, err)
	}
	for _, bad := range []string{"javascript:alert(1)", "ftp://acme.ro", "acme"} {
		if _, err := cleanWebsite(bad); err == nil {
			t.Errorf("cleanWebsite(%q) accepted", bad)
		}
	}
}
