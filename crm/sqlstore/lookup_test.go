package sqlstore

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"callroute/crm"
)

func lookup(t *testing.T, s *Store, e164 string, at time.Time) []crm.CallerMatch {
	t.Helper()
	m, err := s.LookupPhone(ctx, e164, at)
	if err != nil {
		t.Fatalf("LookupPhone(%s): %v", e164, err)
	}
	return m
}

func ownerOf(m crm.CallerMatch) int64 {
	if m.Owner == nil {
		return 0
	}
	return m.Owner.ID
}

func TestLookupOwnerRule(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ann := mkUser(t, s, "ann@example.com")
		bob := mkUser(t, s, "bob@example.com")
		cat := mkUser(t, s, "cat@example.com")
		dan := mkUser(t, s, "dan@example.com")
		acme := mkCompany(t, s, "Acme", cat.ID, "+40210000000")

		// Interest owner wins: the most recently active OPEN interest.
		ion := mkContact(t, s, "Ion", acme.ID, bob.ID, "+40720000001")
		mkInterest(t, s, ion.ID, acme.ID, dan.ID, crm.StageOffer, day0.Add(-48*time.Hour))
		recent := mkInterest(t, s, ion.ID, acme.ID, ann.ID, crm.StageMeeting, day0.Add(-time.Hour))
		mkInterest(t, s, ion.ID, acme.ID, cat.ID, crm.StageWon, day0) // closed: ignored
		m := lookup(t, s, "+40720000001", day0)
		if len(m) != 1 || m[0].Contact == nil || m[0].Contact.ID != ion.ID {
			t.Fatalf("Ion: %+v", m)
		}
		if m[0].Interest == nil || m[0].Interest.ID != recent.ID || ownerOf(m[0]) != ann.ID || m[0].OwnerSource != crm.OwnerInterest {
			t.Fatalf("Ion: interest %+v owner %d source %q, want interest %d owner ann", m[0].Interest, ownerOf(m[0]), m[0].OwnerSource, recent.ID)
		}
		if m[0].Company == nil || m[0].Company.ID != acme.ID || m[0].Company.Name != "Acme" || m[0].Contact.Name != "Ion" {
			t.Fatalf("Ion: company/contact not loaded: %+v %+v", m[0].Company, m[0].Contact)
		}
		if m[0].Contact.Phones != nil || m[0].Company.Phones != nil {
			t.Fatalf("phones were loaded: %+v", m[0])
		}
		if m[0].Owner.Email != "ann@example.com" || m[0].Delegation != nil || m[0].Delegate != nil {
			t.Fatalf("Ion: owner %+v delegation %+v", m[0].Owner, m[0].Delegation)
		}

		// No open interest: the contact's owner.
		eva := mkContact(t, s, "Eva", acme.ID, bob.ID, "+40720000002")
		mkInterest(t, s, eva.ID, acme.ID, ann.ID, crm.StageLost, day0)
		m = lookup(t, s, "+40720000002", day0)
		if len(m) != 1 || m[0].Interest != nil || ownerOf(m[0]) != bob.ID || m[0].OwnerSource != crm.OwnerContact {
			t.Fatalf("Eva: %+v", m)
		}

		// An open interest without an owner is shown, the owner falls through.
		unowned := mkInterest(t, s, eva.ID, acme.ID, 0, crm.StageNew, day0)
		m = lookup(t, s, "+40720000002", day0)
		if len(m) != 1 || m[0].Interest == nil || m[0].Interest.ID != unowned.ID || ownerOf(m[0]) != bob.ID || m[0].OwnerSource != crm.OwnerContact {
			t.Fatalf("Eva with an unowned interest: %+v", m)
		}

		// No contact owner: the company's account owner.
		nobody := mkContact(t, s, "Nobody", acme.ID, 0, "+40720000003")
		m = lookup(t, s, "+40720000003", day0)
		if len(m) != 1 || m[0].Contact.ID != nobody.ID || ownerOf(m[0]) != cat.ID || m[0].OwnerSource != crm.OwnerCompany {
			t.Fatalf("Nobody: %+v", m)
		}

		// No company, no owner: nobody owns the caller.
		solo := mkContact(t, s, "Solo", 0, 0, "+40720000004")
		m = lookup(t, s, "+40720000004", day0)
		if len(m) != 1 || m[0].Contact.ID != solo.ID || m[0].Company != nil || m[0].Owner != nil || m[0].OwnerSource != crm.OwnerNone {
			t.Fatalf("Solo: %+v", m)
		}

		// Inactive owners are still returned: the service decides.
		bob.Active = false
		must(t, s.UpdateUser(ctx, crm.System, bob))
		m = lookup(t, s, "+40720000002", day0)
		if ownerOf(m[0]) != bob.ID || m[0].Owner.Active {
			t.Fatalf("inactive owner: %+v", m[0].Owner)
		}

		// Unknown number: no match.
		if m := lookup(t, s, "+40799999999", day0); len(m) != 0 {
			t.Fatalf("unknown number matched: %+v", m)
		}
	})
}

func TestLookupSwitchboardAndShared(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ann := mkUser(t, s, "ann@example.com")
		bob := mkUser(t, s, "bob@example.com")
		acme := mkCompany(t, s, "Acme", ann.ID, "+40210000000")
		bolt := mkCompany(t, s, "Bolt", 0, "+40215555555")

		// Switchboard only: the company, its owner.
		m := lookup(t, s, "+40210000000", day0)
		if len(m) != 1 || m[0].Contact != nil || m[0].Company == nil || m[0].Company.ID != acme.ID ||
			ownerOf(m[0]) != ann.ID || m[0].OwnerSource != crm.OwnerCompany {
			t.Fatalf("switchboard: %+v", m)
		}
		// A company's open interest decides the owner of a switchboard call.
		in := mkInterest(t, s, 0, acme.ID, bob.ID, crm.StageWaiting, day0)
		m = lookup(t, s, "+40210000000", day0)
		if len(m) != 1 || m[0].Interest == nil || m[0].Interest.ID != in.ID || ownerOf(m[0]) != bob.ID || m[0].OwnerSource != crm.OwnerInterest {
			t.Fatalf("switchboard with an interest: %+v", m)
		}
		// Unowned company: nobody.
		m = lookup(t, s, "+40215555555", day0)
		if len(m) != 1 || m[0].Company.ID != bolt.ID || m[0].Owner != nil {
			t.Fatalf("unowned switchboard: %+v", m)
		}

		// Two contacts sharing a number are both returned.
		x := mkContact(t, s, "X", acme.ID, 0, "+40730000000")
		y := mkContact(t, s, "Y", 0, bob.ID, "+40730000000")
		m = lookup(t, s, "+40730000000", day0)
		if len(m) != 2 || m[0].Contact.ID != x.ID || m[1].Contact.ID != y.ID {
			t.Fatalf("shared number: %+v", m)
		}
		if ownerOf(m[0]) != ann.ID || m[0].OwnerSource != crm.OwnerCompany || ownerOf(m[1]) != bob.ID || m[1].OwnerSource != crm.OwnerContact {
			t.Fatalf("shared number owners: %d/%s %d/%s", ownerOf(m[0]), m[0].OwnerSource, ownerOf(m[1]), m[1].OwnerSource)
		}

		// A number that is both a contact's and a switchboard: the contact
		// wins, the switchboard is not returned.
		mkCompany(t, s, "Cogs", bob.ID, "+40740000000")
		z := mkContact(t, s, "Z", 0, 0, "+40740000000")
		m = lookup(t, s, "+40740000000", day0)
		if len(m) != 1 || m[0].Contact == nil || m[0].Contact.ID != z.ID {
			t.Fatalf("contact + switchboard: %+v", m)
		}
		// Two companies with the same switchboard: both.
		mkCompany(t, s, "Dup1", 0, "+40750000000")
		mkCompany(t, s, "Dup2", 0, "+40750000000")
		if m := lookup(t, s, "+40750000000", day0); len(m) != 2 || m[0].Company.Name == m[1].Company.Name {
			t.Fatalf("two switchboards: %+v", m)
		}
		// The same number twice on one contact: one match.
		w := &crm.Contact{Name: "W", Phones: []crm.Phone{{Kind: crm.PhoneWork, E164: "+40760000000"}, {Kind: crm.PhoneMobile, E164: "+40760000000"}}}
		must(t, s.CreateContact(ctx, crm.System, w))
		if m := lookup(t, s, "+40760000000", day0); len(m) != 1 {
			t.Fatalf("a contact with the number twice: %d matches", len(m))
		}
	})
}

func TestLookupDelegation(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ann := mkUser(t, s, "ann@example.com")
		bob := mkUser(t, s, "bob@example.com")
		cat := mkUser(t, s, "cat@example.com")
		mkContact(t, s, "Ion", 0, ann.ID, "+40720000001")
		week := 7 * 24 * time.Hour
		expired := &crm.Delegation{UserID: ann.ID, DelegateID: cat.ID, Starts: day0.Add(-2 * week), Ends: day0.Add(-week)}
		must(t, s.CreateDelegation(ctx, crm.System, expired))
		m := lookup(t, s, "+40720000001", day0)
		if len(m) != 1 || m[0].Delegation != nil || m[0].Delegate != nil {
			t.Fatalf("expired delegation returned: %+v", m)
		}
		leave := &crm.Delegation{UserID: ann.ID, DelegateID: bob.ID, Starts: day0.Add(-time.Hour), Ends: day0.Add(week), Reason: "leave"}
		must(t, s.CreateDelegation(ctx, crm.System, leave))
		m = lookup(t, s, "+40720000001", day0)
		if len(m) != 1 || m[0].Delegation == nil || m[0].Delegation.ID != leave.ID || m[0].Delegation.Reason != "leave" ||
			m[0].Delegate == nil || m[0].Delegate.ID != bob.ID || m[0].Delegate.Email != "bob@example.com" || ownerOf(m[0]) != ann.ID {
			t.Fatalf("active delegation: %+v", m)
		}
		// Before it starts, and at its end: none.
		if m := lookup(t, s, "+40720000001", day0.Add(-2*time.Hour)); m[0].Delegation != nil {
			t.Fatalf("delegation before its start: %+v", m[0].Delegation)
		}
		if m := lookup(t, s, "+40720000001", leave.Ends); m[0].Delegation != nil {
			t.Fatalf("delegation at its end: %+v", m[0].Delegation)
		}
		// Ended early: none after the end.
		must(t, s.EndDelegation(ctx, crm.System, leave.ID, day0.Add(time.Hour)))
		if m := lookup(t, s, "+40720000001", day0); m[0].Delegation == nil {
			t.Fatal("delegation ended later than the lookup time is missing")
		}
		if m := lookup(t, s, "+40720000001", day0.Add(2*time.Hour)); m[0].Delegation != nil || m[0].Delegate != nil {
			t.Fatalf("delegation ended early still returned: %+v", m[0].Delegation)
		}
	})
}

// TestLookupUsesIndex checks that the lookup seeks phones by e164 instead
// of scanning the table.
func TestLookupUsesIndex(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ann := mkUser(t, s, "ann@example.com")
		err := s.inTx(ctx, func(r runner) error {
			for i := range 3000 {
				id, err := r.insert(ctx, `INSERT INTO contacts (name, name_key, owner_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
					"c", "c", ann.ID, s.d.ts(day0), s.d.ts(day0))
				if err != nil {
					return err
				}
				if _, err := r.exec(ctx, `INSERT INTO phones (e164, kind, contact_id) VALUES (?, 'mobile', ?)`,
					fmt.Sprintf("+4072%07d", i), id); err != nil {
					return err
				}
			}
			return nil
		})
		must(t, err)
		if m := lookup(t, s, "+40720001234", day0); len(m) != 1 || ownerOf(m[0]) != ann.ID {
			t.Fatalf("lookup in the loaded table: %+v", m)
		}
		var plan []string
		switch s.Backend() {
		case "sqlite":
			_, err := s.db.ExecContext(ctx, "ANALYZE")
			must(t, err)
			plan = sqlitePlan(t, s, lookupSQL(s.d), "+40720001234", s.d.ts(day0), s.d.ts(day0), s.d.ts(day0))
			text := strings.Join(plan, "\n")
			if !strings.Contains(text, "phones USING COVERING INDEX phones_e164 (e164=?)") &&
				!strings.Contains(text, "phones USING INDEX phones_e164 (e164=?)") {
				t.Errorf("plan does not seek phones_e164:\n%s", text)
			}
			if strings.Contains(text, "SCAN phones") {
				t.Errorf("plan scans phones:\n%s", text)
			}
		case "postgres":
			_, err := s.db.ExecContext(ctx, "ANALYZE")
			must(t, err)
			rows, err := s.db.QueryContext(ctx, "EXPLAIN "+s.d.rebind(lookupSQL(s.d)), "+40720001234", day0, day0, day0)
			must(t, err)
			for rows.Next() {
				var line string
				must(t, rows.Scan(&line))
				plan = append(plan, line)
			}
			must(t, rows.Err())
			rows.Close()
			text := strings.Join(plan, "\n")
			if strings.Contains(text, "Seq Scan on phones") {
				t.Errorf("plan scans phones:\n%s", text)
			}
			if !strings.Contains(text, "phones_e164") {
				t.Errorf("plan does not use phones_e164:\n%s", text)
			}
		}
		t.Logf("plan:\n%s", strings.Join(plan, "\n"))
	})
}
