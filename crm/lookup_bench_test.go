package crm_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"callroute/crm"
	"callroute/crm/sqlstore"
	"callroute/internal/testdb"
)

// BenchmarkLookupCaller times the caller lookup of every call as routing
// makes it: through crm.Service, so that the phone parsing counts, on
// SQLite, with a context that has a deadline. The caller is a contact with
// a company, an open interest and an owner who is away with a delegate
// (the most columns the lookup fills), written in E.164 (what a SIP From
// usually carries) or in the national format; or a number nobody has.
//
//	go test ./crm -run '^$' -bench LookupCaller -benchmem
func BenchmarkLookupCaller(b *testing.B) {
	ctx := context.Background()
	at := time.Date(2025, 6, 2, 10, 0, 0, 0, time.UTC)
	now := func() time.Time { return at }
	st, err := sqlstore.Open(ctx, testdb.SQLite(b), sqlstore.WithClock(now),
		sqlstore.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	phones, err := crm.NewPhoneParser("RO")
	if err != nil {
		b.Fatal(err)
	}
	svc := crm.NewService(st, phones, crm.WithClock(now))

	ann := &crm.User{Email: "ann@example.com", Name: "Ann", Role: crm.RoleManager, Active: true}
	bob := &crm.User{Email: "bob@example.com", Name: "Bob", Role: crm.RoleManager, Active: true}
	co := &crm.Company{Name: "Acme", Website: "acme.example", Size: 50, Industry: "retail",
		Phones: []crm.Phone{{Kind: crm.PhoneSwitchboard, E164: "+40212345678"}}}
	for _, err := range []error{st.CreateUser(ctx, crm.System, ann), st.CreateUser(ctx, crm.System, bob),
		st.CreateCompany(ctx, crm.System, co)} {
		if err != nil {
			b.Fatal(err)
		}
	}
	ct := &crm.Contact{Name: "Ion Popescu", CompanyID: co.ID, Position: "buyer", Email: "ion@acme.example",
		OwnerID: ann.ID, Phones: []crm.Phone{{Kind: crm.PhoneMobile, E164: "+40722481305"}}}
	if err := st.CreateContact(ctx, crm.System, ct); err != nil {
		b.Fatal(err)
	}
	in := &crm.Interest{ContactID: ct.ID, CompanyID: co.ID, Title: "Shelving", Need: "20 racks", Stage: crm.StageNew,
		OwnerID: ann.ID, LastActivityAt: at.Add(-time.Hour)}
	if err := st.CreateInterest(ctx, crm.System, in); err != nil {
		b.Fatal(err)
	}
	d := &crm.Delegation{UserID: ann.ID, DelegateID: bob.ID, Starts: at.Add(-24 * time.Hour), Ends: at.Add(24 * time.Hour),
		Reason: "holiday"}
	if err := st.CreateDelegation(ctx, crm.System, d); err != nil {
		b.Fatal(err)
	}

	for _, c := range []struct {
		name, raw string
		known     bool
	}{
		{"e164", "+40722481305", true},
		{"national", "0722 481 305", true},
		{"unknown", "+40722000000", false},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				lctx, cancel := context.WithTimeout(ctx, time.Second)
				info, err := svc.LookupCaller(lctx, c.raw)
				cancel()
				if err != nil {
					b.Fatal(err)
				}
				if info.Known != c.known || c.known && (info.Target == nil || info.Target.ID != bob.ID) {
					b.Fatalf("LookupCaller(%q): %+v", c.raw, info)
				}
			}
		})
	}
}
