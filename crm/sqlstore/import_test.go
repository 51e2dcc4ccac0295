package sqlstore

import (
	"errors"
	"testing"

	"callroute/crm"
)

func countRows(t *testing.T, s *Store, table string) int {
	t.Helper()
	var n int
	must(t, s.db.QueryRowContext(ctx, "SELECT count(*) FROM "+table).Scan(&n))
	return n
}

func TestImportContacts(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ann := mkUser(t, s, "ann@example.com")
		acme := mkCompany(t, s, "Acme", 0)
		rows := []crm.ImportRow{
			{Line: 2, Name: "Ion", CompanyName: "ACME", Phones: []crm.Phone{{Kind: crm.PhoneMobile, E164: "+40720000001"}}, OwnerID: ann.ID},
			{Line: 3, Name: "Eva", CompanyName: "acme", Email: "eva@acme.ro"},
			{Line: 4, Name: "Dan", CompanyName: "Bolt", Website: "https://bolt.ro", OwnerID: ann.ID,
				Phones: []crm.Phone{{Kind: crm.PhoneWork, E164: "+40210000002"}, {Kind: crm.PhoneMobile, E164: "+40720000003"}}},
			{Line: 5, Name: "Ana", CompanyName: " BOLT "},
			{Line: 6, Name: "Solo", Position: "freelancer", Messenger: "@solo"},
		}
		res, err := s.ImportContacts(ctx, crm.ActorOf(ann), rows)
		must(t, err)
		if *res != (crm.ImportResult{Contacts: 5, CompaniesCreated: 1, CompaniesMatched: 1}) {
			t.Fatalf("result = %+v", res)
		}
		bolt, err := s.CompanyByName(ctx, "bolt")
		must(t, err)
		if bolt.Website != "https://bolt.ro" || bolt.Name != "Bolt" || bolt.OwnerID != ann.ID || bolt.CreatedBy != ann.ID {
			t.Fatalf("created company: %+v", bolt)
		}
		cl, _ := s.ListContacts(ctx, crm.ContactFilter{CompanyID: acme.ID})
		if len(cl) != 2 {
			t.Fatalf("contacts at Acme: %+v", cl)
		}
		cl, _ = s.ListContacts(ctx, crm.ContactFilter{CompanyID: bolt.ID})
		if len(cl) != 2 {
			t.Fatalf("contacts at Bolt: %+v", cl)
		}
		m := lookup(t, s, "+40720000003", day0)
		if len(m) != 1 || m[0].Contact.Name != "Dan" || ownerOf(m[0]) != ann.ID || m[0].Company.ID != bolt.ID {
			t.Fatalf("imported phone lookup: %+v", m)
		}
		dan, _ := s.GetContact(ctx, m[0].Contact.ID)
		if len(dan.Phones) != 2 {
			t.Fatalf("imported phones: %+v", dan.Phones)
		}
		ch, _ := s.Changes(ctx, crm.EntityContact, dan.ID)
		if len(ch) != 1 || ch[0].Action != "import" || ch[0].UserID != ann.ID {
			t.Fatalf("import change: %+v", ch)
		}
		ch, _ = s.Changes(ctx, crm.EntityCompany, bolt.ID)
		if len(ch) != 1 || ch[0].Action != "import" {
			t.Fatalf("import company change: %+v", ch)
		}
	})
}

func TestImportAllOrNothing(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ann := mkUser(t, s, "ann@example.com")
		before := map[string]int{}
		for _, tb := range []string{"contacts", "companies", "phones", "changes"} {
			before[tb] = countRows(t, s, tb)
		}
		assertNothing := func() {
			t.Helper()
			for tb, n := range before {
				if got := countRows(t, s, tb); got != n {
					t.Errorf("%s: %d rows after a failed import, want %d", tb, got, n)
				}
			}
		}
		ok := crm.ImportRow{Line: 2, Name: "Ion", CompanyName: "NewCo", OwnerID: ann.ID,
			Phones: []crm.Phone{{Kind: crm.PhoneMobile, E164: "+40720000001"}}}

		// An owner that does not exist: the line is named, nothing is kept.
		_, err := s.ImportContacts(ctx, crm.System, []crm.ImportRow{ok,
			{Line: 3, Name: "Eva", CompanyName: "OtherCo", OwnerID: 4242},
			{Line: 4, Name: "Dan", OwnerID: 4343}})
		var ie *crm.ImportError
		if !errors.As(err, &ie) || len(ie.Lines) != 2 || ie.Lines[0].Line != 3 || ie.Lines[0].Field != "owner_id" || ie.Lines[1].Line != 4 {
			t.Fatalf("bad owner: err = %v", err)
		}
		assertNothing()

		// A row the database itself rejects after others were written (a
		// contact phone of kind switchboard breaks a CHECK): rolled back.
		_, err = s.ImportContacts(ctx, crm.System, []crm.ImportRow{ok,
			{Line: 3, Name: "Eva", CompanyName: "OtherCo", Phones: []crm.Phone{{Kind: crm.PhoneSwitchboard, E164: "+40720000002"}}}})
		if !errors.As(err, &ie) || len(ie.Lines) != 1 || ie.Lines[0].Line != 3 {
			t.Fatalf("constraint failure: err = %v", err)
		}
		assertNothing()
		if _, err := s.CompanyByName(ctx, "NewCo"); !errors.Is(err, crm.ErrNotFound) {
			t.Fatalf("company of a failed import remains: %v", err)
		}
		if m := lookup(t, s, "+40720000001", day0); len(m) != 0 {
			t.Fatalf("phone of a failed import remains: %+v", m)
		}

		// An unknown actor fails on the foreign key of created_by.
		_, err = s.ImportContacts(ctx, crm.Actor{UserID: 777}, []crm.ImportRow{ok})
		if err == nil {
			t.Fatal("import by an unknown actor accepted")
		}
		assertNothing()
	})
}
