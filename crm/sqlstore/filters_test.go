package sqlstore

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"callroute/crm"
)

func companyIDs(l []crm.Company) []int64 {
	out := []int64{}
	for _, c := range l {
		out = append(out, c.ID)
	}
	return out
}

func contactIDs(l []crm.Contact) []int64 {
	out := []int64{}
	for _, c := range l {
		out = append(out, c.ID)
	}
	return out
}

func interestIDs(l []crm.Interest) []int64 {
	out := []int64{}
	for _, c := range l {
		out = append(out, c.ID)
	}
	return out
}

func taskIDs(l []crm.Task) []int64 {
	out := []int64{}
	for _, c := range l {
		out = append(out, c.ID)
	}
	return out
}

func sorted(v []int64) []int64 { v = slices.Clone(v); slices.Sort(v); return v }

func wantIDs(t *testing.T, what string, got []int64, want ...int64) {
	t.Helper()
	if !slices.Equal(sorted(got), sorted(want)) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func TestListFilters(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ann := mkUser(t, s, "ann@example.com")
		bob := mkUser(t, s, "bob@example.com")
		cat := mkUser(t, s, "cat@example.com")

		acme := mkCompany(t, s, "Acme 100% Ltd", ann.ID, "+40210000001")
		bolt := mkCompany(t, s, "Bolt_Works", bob.ID)
		cogs := mkCompany(t, s, "Cogs", 0)

		ion := mkContact(t, s, "Ion Acme", acme.ID, 0, "+40720000001") // owned via company (ann)
		eva := mkContact(t, s, "Eva Cogs", cogs.ID, cat.ID)            // owned by cat, at an unowned company
		dan := mkContact(t, s, "Dan Bolt", bolt.ID, ann.ID)            // ann's contact at bob's company
		solo := mkContact(t, s, "Solo", 0, 0)
		solo.Email = "SOLO@Mail.example"
		must(t, s.UpdateContact(ctx, crm.System, solo))

		// Companies.
		l, err := s.ListCompanies(ctx, crm.CompanyFilter{})
		must(t, err)
		if got := companyIDs(l); !slices.Equal(got, []int64{acme.ID, bolt.ID, cogs.ID}) {
			t.Errorf("all companies by name = %v", got)
		}
		if len(l[0].Phones) != 1 || l[0].Phones[0].E164 != "+40210000001" || l[1].Phones == nil {
			t.Errorf("list did not load phones: %+v", l)
		}
		l, _ = s.ListCompanies(ctx, crm.CompanyFilter{Query: "100%"})
		wantIDs(t, "companies Query 100%", companyIDs(l), acme.ID)
		l, _ = s.ListCompanies(ctx, crm.CompanyFilter{Query: "T_W"}) // _ is literal
		wantIDs(t, "companies Query T_W", companyIDs(l), bolt.ID)
		l, _ = s.ListCompanies(ctx, crm.CompanyFilter{Query: "o"})
		wantIDs(t, "companies Query o", companyIDs(l), bolt.ID, cogs.ID)
		l, _ = s.ListCompanies(ctx, crm.CompanyFilter{OwnerID: bob.ID})
		wantIDs(t, "companies OwnerID bob", companyIDs(l), bolt.ID)
		l, _ = s.ListCompanies(ctx, crm.CompanyFilter{VisibleTo: []int64{cat.ID}})
		wantIDs(t, "companies visible to cat", companyIDs(l), cogs.ID)
		l, _ = s.ListCompanies(ctx, crm.CompanyFilter{VisibleTo: []int64{ann.ID}})
		wantIDs(t, "companies visible to ann", companyIDs(l), acme.ID, bolt.ID)
		l, _ = s.ListCompanies(ctx, crm.CompanyFilter{Limit: 1, Offset: 1})
		wantIDs(t, "companies page 2 of 1", companyIDs(l), bolt.ID)

		// Contacts.
		cl, _ := s.ListContacts(ctx, crm.ContactFilter{})
		if got := contactIDs(cl); !slices.Equal(got, []int64{dan.ID, eva.ID, ion.ID, solo.ID}) {
			t.Errorf("all contacts by name = %v", got)
		}
		cl, _ = s.ListContacts(ctx, crm.ContactFilter{Query: "mail.EXAMPLE"})
		wantIDs(t, "contacts Query by email", contactIDs(cl), solo.ID)
		cl, _ = s.ListContacts(ctx, crm.ContactFilter{Query: "acme"})
		wantIDs(t, "contacts Query by name", contactIDs(cl), ion.ID)
		cl, _ = s.ListContacts(ctx, crm.ContactFilter{CompanyID: bolt.ID})
		wantIDs(t, "contacts CompanyID", contactIDs(cl), dan.ID)
		cl, _ = s.ListContacts(ctx, crm.ContactFilter{OwnerID: cat.ID})
		wantIDs(t, "contacts OwnerID", contactIDs(cl), eva.ID)
		cl, _ = s.ListContacts(ctx, crm.ContactFilter{VisibleTo: []int64{ann.ID}})
		wantIDs(t, "contacts visible to ann", contactIDs(cl), ion.ID, dan.ID)
		cl, _ = s.ListContacts(ctx, crm.ContactFilter{VisibleTo: []int64{bob.ID, cat.ID}})
		wantIDs(t, "contacts visible to bob+cat", contactIDs(cl), dan.ID, eva.ID)
		cl, _ = s.ListContacts(ctx, crm.ContactFilter{Limit: 2})
		if len(cl) != 2 || len(cl[0].Phones) != 0 || cl[0].Phones == nil {
			t.Errorf("contacts Limit 2 = %+v", cl)
		}

		// Interests.
		now := day0
		follow := now.Add(time.Hour)
		iIon := mkInterest(t, s, ion.ID, acme.ID, bob.ID, crm.StageOffer, now.Add(-3*time.Hour))
		iEva := mkInterest(t, s, eva.ID, cogs.ID, 0, crm.StageNew, now.Add(-1*time.Hour))
		iWon := mkInterest(t, s, dan.ID, bolt.ID, ann.ID, crm.StageWon, now.Add(-2*time.Hour))
		iCo := mkInterest(t, s, 0, acme.ID, 0, crm.StageWaiting, now.Add(-4*time.Hour))
		iIon.NextFollowUp = &follow
		must(t, s.UpdateInterest(ctx, crm.System, iIon)) // moves its activity to now (wall clock)

		il, _ := s.ListInterests(ctx, crm.InterestFilter{})
		if got := interestIDs(il); !slices.Equal(got, []int64{iIon.ID, iEva.ID, iWon.ID, iCo.ID}) {
			t.Errorf("interests most recently active first = %v", got)
		}
		il, _ = s.ListInterests(ctx, crm.InterestFilter{ContactID: eva.ID})
		wantIDs(t, "interests ContactID", interestIDs(il), iEva.ID)
		il, _ = s.ListInterests(ctx, crm.InterestFilter{CompanyID: acme.ID})
		wantIDs(t, "interests CompanyID", interestIDs(il), iIon.ID, iCo.ID)
		il, _ = s.ListInterests(ctx, crm.InterestFilter{OwnerID: ann.ID})
		wantIDs(t, "interests OwnerID", interestIDs(il), iWon.ID)
		il, _ = s.ListInterests(ctx, crm.InterestFilter{Stage: crm.StageWaiting})
		wantIDs(t, "interests Stage", interestIDs(il), iCo.ID)
		il, _ = s.ListInterests(ctx, crm.InterestFilter{OpenOnly: true})
		wantIDs(t, "interests OpenOnly", interestIDs(il), iIon.ID, iEva.ID, iCo.ID)
		before := follow.Add(time.Minute)
		il, _ = s.ListInterests(ctx, crm.InterestFilter{FollowUpBefore: &before})
		wantIDs(t, "interests FollowUpBefore", interestIDs(il), iIon.ID)
		before = follow
		il, _ = s.ListInterests(ctx, crm.InterestFilter{FollowUpBefore: &before})
		wantIDs(t, "interests FollowUpBefore (exclusive)", interestIDs(il))
		// Visible to ann: her own (won), her contact dan's, and those at her company acme.
		il, _ = s.ListInterests(ctx, crm.InterestFilter{VisibleTo: []int64{ann.ID}})
		wantIDs(t, "interests visible to ann", interestIDs(il), iWon.ID, iIon.ID, iCo.ID)
		il, _ = s.ListInterests(ctx, crm.InterestFilter{VisibleTo: []int64{cat.ID}})
		wantIDs(t, "interests visible to cat", interestIDs(il), iEva.ID)
		il, _ = s.ListInterests(ctx, crm.InterestFilter{Limit: 1, Offset: 1})
		wantIDs(t, "interests page", interestIDs(il), iEva.ID)

		// Tasks.
		t1 := mkTask(t, s, ann.ID, ion.ID, now.Add(time.Hour))
		t2 := mkTask(t, s, bob.ID, eva.ID, now.Add(-time.Hour))
		t3 := mkTask(t, s, 0, 0, now.Add(2*time.Hour))
		t4 := mkTask(t, s, ann.ID, 0, now.Add(-2*time.Hour))
		done := now
		t4.DoneAt = &done
		must(t, s.UpdateTask(ctx, crm.ActorOf(ann), t4))
		tl, _ := s.ListTasks(ctx, crm.TaskFilter{})
		if got := taskIDs(tl); !slices.Equal(got, []int64{t4.ID, t2.ID, t1.ID, t3.ID}) {
			t.Errorf("tasks earliest due first = %v", got)
		}
		tl, _ = s.ListTasks(ctx, crm.TaskFilter{AssigneeID: ann.ID})
		wantIDs(t, "tasks AssigneeID", taskIDs(tl), t1.ID, t4.ID)
		tl, _ = s.ListTasks(ctx, crm.TaskFilter{DeskOnly: true})
		wantIDs(t, "tasks DeskOnly", taskIDs(tl), t3.ID)
		tl, _ = s.ListTasks(ctx, crm.TaskFilter{ContactID: eva.ID})
		wantIDs(t, "tasks ContactID", taskIDs(tl), t2.ID)
		tl, _ = s.ListTasks(ctx, crm.TaskFilter{OpenOnly: true})
		wantIDs(t, "tasks OpenOnly", taskIDs(tl), t1.ID, t2.ID, t3.ID)
		due := now
		tl, _ = s.ListTasks(ctx, crm.TaskFilter{DueBefore: &due, OpenOnly: true})
		wantIDs(t, "tasks overdue", taskIDs(tl), t2.ID)
		tl, _ = s.ListTasks(ctx, crm.TaskFilter{VisibleTo: []int64{bob.ID, cat.ID}})
		wantIDs(t, "tasks VisibleTo", taskIDs(tl), t2.ID)
		tl, _ = s.ListTasks(ctx, crm.TaskFilter{Limit: 2, Offset: 1})
		wantIDs(t, "tasks page", taskIDs(tl), t2.ID, t1.ID)
	})
}

func TestListLimits(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		err := s.inTx(ctx, func(r runner) error {
			for i := range 1005 {
				if _, err := r.exec(ctx, `INSERT INTO companies (name, name_key, created_at, updated_at) VALUES (?, ?, ?, ?)`,
					fmt.Sprintf("C%04d", i), fmt.Sprintf("c%04d", i), s.d.ts(day0), s.d.ts(day0)); err != nil {
					return err
				}
			}
			return nil
		})
		must(t, err)
		l, err := s.ListCompanies(ctx, crm.CompanyFilter{})
		must(t, err)
		if len(l) != 100 {
			t.Errorf("default limit: %d rows, want 100", len(l))
		}
		l, _ = s.ListCompanies(ctx, crm.CompanyFilter{Limit: 1001})
		if len(l) != 1000 {
			t.Errorf("max limit: %d rows, want 1000", len(l))
		}
		l, _ = s.ListCompanies(ctx, crm.CompanyFilter{Limit: 10, Offset: 1000})
		if len(l) != 5 || l[0].Name != "C1000" {
			t.Errorf("last page: %+v", l)
		}
	})
}
