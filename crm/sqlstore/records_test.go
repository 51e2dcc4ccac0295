package sqlstore

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"callroute/crm"
)

func TestCompanyCRUD(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ann := mkUser(t, s, "ann@example.com")
		bob := mkUser(t, s, "bob@example.com")
		c := &crm.Company{Name: "Ștefan Metal SRL", Website: "https://metal.ro", Size: 40, Industry: "steel", OwnerID: ann.ID,
			Phones: []crm.Phone{{Kind: crm.PhoneSwitchboard, E164: "+40211111111"}, {E164: "+40212222222"}}}
		must(t, s.CreateCompany(ctx, crm.ActorOf(ann), c))
		if c.ID == 0 || c.Version != 1 || c.CreatedBy != ann.ID || c.UpdatedBy != ann.ID || c.CreatedAt.IsZero() {
			t.Fatalf("CreateCompany audit: %+v", c)
		}
		if c.Phones[1].Kind != crm.PhoneSwitchboard {
			t.Fatalf("empty phone kind not defaulted to switchboard: %+v", c.Phones)
		}
		got, err := s.GetCompany(ctx, c.ID)
		must(t, err)
		if !reflect.DeepEqual(got, c) {
			t.Fatalf("GetCompany =\n%+v\nwant\n%+v", got, c)
		}
		// Case-insensitive exact name, non-ASCII letters too.
		byName, err := s.CompanyByName(ctx, "  șTEFAN metal srl ")
		must(t, err)
		if byName.ID != c.ID || len(byName.Phones) != 2 {
			t.Fatalf("CompanyByName = %+v", byName)
		}
		if _, err := s.CompanyByName(ctx, "Ștefan"); !errors.Is(err, crm.ErrNotFound) {
			t.Fatalf("CompanyByName of a prefix: %v, want ErrNotFound", err)
		}

		// Update: fields and phones replaced, version moves.
		old := *c
		c.Name, c.OwnerID, c.Size = "Stefan Metal", bob.ID, 45
		c.Phones = []crm.Phone{{Kind: crm.PhoneSwitchboard, E164: "+40213333333"}}
		must(t, s.UpdateCompany(ctx, crm.ActorOf(bob), c))
		if c.Version != 2 || c.UpdatedBy != bob.ID || c.CreatedBy != ann.ID {
			t.Fatalf("after UpdateCompany: %+v", c.Audit)
		}
		got, err = s.GetCompany(ctx, c.ID)
		must(t, err)
		if !reflect.DeepEqual(got, c) {
			t.Fatalf("after update GetCompany =\n%+v\nwant\n%+v", got, c)
		}
		// Writing the version read before is a conflict, and changes nothing.
		old.Name = "Stale"
		if err := s.UpdateCompany(ctx, crm.System, &old); !errors.Is(err, crm.ErrConflict) {
			t.Fatalf("stale update: %v, want ErrConflict", err)
		}
		got, _ = s.GetCompany(ctx, c.ID)
		if got.Name != "Stefan Metal" || got.Version != 2 {
			t.Fatalf("stale update changed the company: %+v", got)
		}
		if err := s.UpdateCompany(ctx, crm.System, &crm.Company{ID: 4242, Name: "x", Audit: crm.Audit{Version: 1}}); !errors.Is(err, crm.ErrNotFound) {
			t.Fatalf("update missing company: %v", err)
		}
		if _, err := s.GetCompany(ctx, 4242); !errors.Is(err, crm.ErrNotFound) {
			t.Fatalf("GetCompany missing: %v", err)
		}
		// The old phone no longer matches anything; the new one does.
		if m, err := s.LookupPhone(ctx, "+40211111111", time.Now()); err != nil || len(m) != 0 {
			t.Fatalf("old phone still found: %v %+v", err, m)
		}
		if m, err := s.LookupPhone(ctx, "+40213333333", time.Now()); err != nil || len(m) != 1 || m[0].Company.ID != c.ID {
			t.Fatalf("new phone not found: %v %+v", err, m)
		}

		ch, err := s.Changes(ctx, crm.EntityCompany, c.ID)
		must(t, err)
		if len(ch) != 2 || ch[0].Action != "create" || ch[1].Action != "update" || ch[1].UserID != bob.ID || ch[0].UserID != ann.ID {
			t.Fatalf("company changes: %+v", ch)
		}
		data := changeData(t, ch[1])
		for _, f := range []string{"name", "owner_id", "size", "phones"} {
			if _, ok := data[f]; !ok {
				t.Errorf("update change %s lacks %q", ch[1].Data, f)
			}
		}
		if _, ok := data["website"]; ok {
			t.Errorf("update change names an unchanged field: %s", ch[1].Data)
		}
	})
}

func TestContactCRUD(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ann := mkUser(t, s, "ann@example.com")
		co := mkCompany(t, s, "Acme", 0)
		c := &crm.Contact{Name: "Ion Popescu", CompanyID: co.ID, Position: "CTO", Email: "Ion@Acme.ro", Messenger: "@ion",
			OwnerID: ann.ID, MailingOnly: true,
			Phones: []crm.Phone{{Kind: crm.PhoneMobile, E164: "+40721000001"}, {E164: "+40211000002"}}}
		must(t, s.CreateContact(ctx, crm.System, c))
		if c.ID == 0 || c.Version != 1 || c.CreatedBy != 0 || c.Phones[1].Kind != crm.PhoneWork {
			t.Fatalf("CreateContact: %+v", c)
		}
		got, err := s.GetContact(ctx, c.ID)
		must(t, err)
		if !reflect.DeepEqual(got, c) {
			t.Fatalf("GetContact =\n%+v\nwant\n%+v", got, c)
		}
		stale := *got
		c.Phones = []crm.Phone{{Kind: crm.PhoneOther, E164: "+40721000009"}}
		c.CompanyID, c.MailingOnly, c.Email = 0, false, ""
		must(t, s.UpdateContact(ctx, crm.ActorOf(ann), c))
		got, err = s.GetContact(ctx, c.ID)
		must(t, err)
		if !reflect.DeepEqual(got, c) || got.Version != 2 || got.CompanyID != 0 {
			t.Fatalf("after UpdateContact =\n%+v\nwant\n%+v", got, c)
		}
		if err := s.UpdateContact(ctx, crm.System, &stale); !errors.Is(err, crm.ErrConflict) {
			t.Fatalf("stale contact update: %v", err)
		}
		if err := s.UpdateContact(ctx, crm.System, &crm.Contact{ID: 999, Name: "x"}); !errors.Is(err, crm.ErrNotFound) {
			t.Fatalf("update missing contact: %v", err)
		}
		if _, err := s.GetContact(ctx, 999); !errors.Is(err, crm.ErrNotFound) {
			t.Fatalf("GetContact missing: %v", err)
		}
		// A contact phone cannot be a switchboard number.
		bad := &crm.Contact{Name: "Bad", Phones: []crm.Phone{{Kind: crm.PhoneSwitchboard, E164: "+40211000003"}}}
		if err := s.CreateContact(ctx, crm.System, bad); err == nil {
			t.Fatal("contact with a switchboard phone accepted")
		}
		if _, err := s.GetContact(ctx, c.ID+1); !errors.Is(err, crm.ErrNotFound) {
			t.Fatalf("failed CreateContact left a contact behind: %v", err)
		}
	})
}

func TestInterestCRUD(t *testing.T) {
	var clock time.Time
	forEachStore(t, func(t *testing.T, s *Store) {
		clock = day0
		ann := mkUser(t, s, "ann@example.com")
		ct := mkContact(t, s, "Ion", 0, ann.ID)
		follow := day0.Add(48 * time.Hour).In(time.FixedZone("EET", 2*3600))
		i := &crm.Interest{ContactID: ct.ID, Title: "50 licences", Need: "a PBX", OwnerID: ann.ID, NextFollowUp: &follow}
		must(t, s.CreateInterest(ctx, crm.ActorOf(ann), i))
		if i.Stage != crm.StageNew || !i.LastActivityAt.Equal(day0) || i.Version != 1 {
			t.Fatalf("CreateInterest: %+v", i)
		}
		got, err := s.GetInterest(ctx, i.ID)
		must(t, err)
		if !reflect.DeepEqual(got, i) {
			t.Fatalf("GetInterest =\n%+v\nwant\n%+v", got, i)
		}
		if got.NextFollowUp.Location() != time.UTC || !got.NextFollowUp.Equal(follow) {
			t.Fatalf("NextFollowUp = %v, want %v in UTC", got.NextFollowUp, follow)
		}

		clock = day0.Add(time.Hour)
		stale := *got
		closed := clock
		i.Stage, i.LostReason, i.ClosedAt, i.NextFollowUp = crm.StageLost, crm.LostCompetitor, &closed, nil
		must(t, s.UpdateInterest(ctx, crm.ActorOf(ann), i))
		if i.Version != 2 || !i.LastActivityAt.Equal(clock) || !i.UpdatedAt.Equal(clock) {
			t.Fatalf("after UpdateInterest: version %d last activity %v", i.Version, i.LastActivityAt)
		}
		got, err = s.GetInterest(ctx, i.ID)
		must(t, err)
		if !reflect.DeepEqual(got, i) {
			t.Fatalf("after update GetInterest =\n%+v\nwant\n%+v", got, i)
		}
		if err := s.UpdateInterest(ctx, crm.System, &stale); !errors.Is(err, crm.ErrConflict) {
			t.Fatalf("stale interest update: %v", err)
		}
		if err := s.UpdateInterest(ctx, crm.System, &crm.Interest{ID: 999}); !errors.Is(err, crm.ErrNotFound) {
			t.Fatalf("update missing interest: %v", err)
		}
		if _, err := s.GetInterest(ctx, 999); !errors.Is(err, crm.ErrNotFound) {
			t.Fatalf("GetInterest missing: %v", err)
		}
		ch, err := s.Changes(ctx, crm.EntityInterest, i.ID)
		must(t, err)
		if len(ch) != 2 {
			t.Fatalf("interest changes: %+v", ch)
		}
		data := changeData(t, ch[1])
		if !reflect.DeepEqual(data["stage"], []any{"new", "lost"}) || data["next_follow_up"] == nil || data["title"] != nil {
			t.Fatalf("interest update change: %s", ch[1].Data)
		}

		// A later LastActivityAt given by the caller is kept; an earlier one
		// never moves the activity back.
		future := clock.Add(5 * time.Hour)
		i.LastActivityAt = future
		must(t, s.UpdateInterest(ctx, crm.System, i))
		i.LastActivityAt = day0
		clock = clock.Add(time.Minute)
		must(t, s.UpdateInterest(ctx, crm.System, i))
		got, _ = s.GetInterest(ctx, i.ID)
		if !i.LastActivityAt.Equal(future) || !got.LastActivityAt.Equal(future) {
			t.Fatalf("last activity %v / stored %v, want %v", i.LastActivityAt, got.LastActivityAt, future)
		}
	}, WithClock(func() time.Time { return clock }))
}

func TestTimesAreUTC(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ann := mkUser(t, s, "ann@example.com")
		zone := time.FixedZone("X", -5*3600-30*60)
		due := time.Date(2025, 12, 31, 22, 15, 30, 123456789, zone) // next day in UTC
		tk := mkTask(t, s, ann.ID, 0, due)
		got, err := s.GetTask(ctx, tk.ID)
		must(t, err)
		if got.Due.Location() != time.UTC || !got.Due.Equal(due.Truncate(time.Microsecond)) {
			t.Fatalf("Due = %v, want %v in UTC", got.Due, due)
		}
		if got.CreatedAt.Location() != time.UTC || got.UpdatedAt.Location() != time.UTC {
			t.Fatalf("audit times not UTC: %v %v", got.CreatedAt, got.UpdatedAt)
		}
		// Order is time order, across the zone shift.
		early := mkTask(t, s, ann.ID, 0, due.Add(-time.Microsecond))
		list, err := s.ListTasks(ctx, crm.TaskFilter{AssigneeID: ann.ID})
		must(t, err)
		if len(list) != 2 || list[0].ID != early.ID {
			t.Fatalf("tasks not in due order: %+v", list)
		}
	})
}
