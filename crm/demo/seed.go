package demo

import (
	"context"
	"fmt"
	"time"

	"callroute/crm"
)

// seeder writes the tables of data.go in order, remembering what it made so
// later steps can refer to it by key.
type seeder struct {
	svc       *crm.Service
	now       time.Time
	users     map[string]*crm.User     // by userSpec key
	companies map[string]*crm.Company  // by name
	contacts  map[string]*crm.Contact  // by contactSpec key
	interests map[string]*crm.Interest // by title
}

func (s *seeder) seedUsers(ctx context.Context) error {
	for _, spec := range userSpecs {
		u, err := s.svc.CreateUser(ctx, crm.System, crm.NewUser{Email: spec.email, Name: spec.name,
			Role: spec.role, Password: Password})
		if err != nil {
			return err
		}
		s.users[spec.key] = u
	}
	return nil
}

// ownerID is the ID of the user with this key; 0 for "".
func (s *seeder) ownerID(key string) (int64, error) {
	if key == "" {
		return 0, nil
	}
	u, ok := s.users[key]
	if !ok {
		return 0, fmt.Errorf("no demo user %q", key)
	}
	return u.ID, nil
}

func (s *seeder) seedCompanies(ctx context.Context) error {
	for _, spec := range companySpecs {
		owner, err := s.ownerID(spec.owner)
		if err != nil {
			return err
		}
		c, err := s.svc.CreateCompany(ctx, crm.System, crm.CompanyPatch{
			Name: &spec.name, Website: &spec.website, Size: &spec.size, Industry: &spec.industry,
			OwnerID: &owner, Phones: &[]crm.Phone{{Kind: crm.PhoneSwitchboard, E164: spec.switchboard}},
		})
		if err != nil {
			return fmt.Errorf("%s: %w", spec.name, err)
		}
		s.companies[spec.name] = c
	}
	return nil
}

func (s *seeder) seedContacts(ctx context.Context) error {
	for _, spec := range contactSpecs {
		p := crm.ContactPatch{Name: &spec.name, Position: &spec.position, Email: &spec.email,
			Messenger: &spec.messenger, MailingOnly: &spec.mailingOnly}
		if spec.company != "" {
			co, ok := s.companies[spec.company]
			if !ok {
				return fmt.Errorf("%s: no demo company %q", spec.name, spec.company)
			}
			p.CompanyID = &co.ID
		}
		if spec.owner != "" {
			owner, err := s.ownerID(spec.owner)
			if err != nil {
				return err
			}
			p.OwnerID = &owner
		}
		var phones []crm.Phone
		if spec.work != "" {
			phones = append(phones, crm.Phone{Kind: crm.PhoneWork, E164: spec.work})
		}
		if spec.mobile != "" {
			phones = append(phones, crm.Phone{Kind: crm.PhoneMobile, E164: spec.mobile})
		}
		p.Phones = &phones
		c, err := s.svc.CreateContact(ctx, crm.System, p)
		if err != nil {
			return fmt.Errorf("%s: %w", spec.name, err)
		}
		s.contacts[spec.key] = c
	}
	return nil
}

func (s *seeder) contact(key string) (*crm.Contact, error) {
	c, ok := s.contacts[key]
	if !ok {
		return nil, fmt.Errorf("no demo contact %q", key)
	}
	return c, nil
}

func (s *seeder) seedInterests(ctx context.Context) error {
	for _, spec := range interestSpecs {
		c, err := s.contact(spec.contact)
		if err != nil {
			return err
		}
		p := crm.InterestPatch{ContactID: &c.ID, Title: &spec.title, Stage: &spec.stage}
		if spec.need != "" {
			p.Need = &spec.need
		}
		if spec.notes != "" {
			p.Notes = &spec.notes
		}
		if spec.lost != "" {
			p.LostReason = &spec.lost
		}
		if spec.followUp != 0 {
			// Follow-ups fall at 10:00 UTC (noon in Bucharest), as people plan them.
			t := s.now.Add(spec.followUp).Truncate(day).Add(10 * time.Hour)
			p.NextFollowUp = &t
		}
		in, err := s.svc.CreateInterest(ctx, crm.System, p)
		if err != nil {
			return fmt.Errorf("%q: %w", spec.title, err)
		}
		s.interests[spec.title] = in
	}
	return nil
}

// actorFor is the owner of a contact, who writes the notes on its timeline;
// callroute itself when nobody owns it.
func (s *seeder) actorFor(c *crm.Contact) crm.Actor {
	for _, u := range s.users {
		if u.ID == c.OwnerID {
			return crm.ActorOf(u)
		}
	}
	return crm.System
}

func (s *seeder) seedInteractions(ctx context.Context) error {
	for _, spec := range interactionSpecs {
		c, err := s.contact(spec.contact)
		if err != nil {
			return err
		}
		it := crm.Interaction{Kind: spec.kind, Direction: spec.dir, ContactID: c.ID, CompanyID: c.CompanyID,
			At: s.now.Add(-spec.ago), Subject: spec.subject, Notes: spec.notes}
		if spec.interest != "" {
			in, ok := s.interests[spec.interest]
			if !ok {
				return fmt.Errorf("no demo interest %q", spec.interest)
			}
			it.InterestID = in.ID
		}
		if _, err := s.svc.LogInteraction(ctx, s.actorFor(c), it); err != nil {
			return fmt.Errorf("%s with %s: %w", spec.kind, c.Name, err)
		}
	}
	return nil
}

// seedCalls writes two inbound calls as routing would: one the owner
// answered yesterday, and one missed this morning, which leaves a call-back
// task for its owner.
func (s *seeder) seedCalls(ctx context.Context) error {
	andrei, err := s.contact("andrei")
	if err != nil {
		return err
	}
	irina, err := s.contact("irina")
	if err != nil {
		return err
	}
	calls := []crm.Interaction{{
		ContactID: andrei.ID, CompanyID: andrei.CompanyID, InterestID: s.interests["Managed print for three warehouses"].ID,
		At: s.now.Add(-day), UserID: andrei.OwnerID, CallID: "demo-call-1@carpathia.example",
		CallerE164: mobileOf(andrei), Outcome: crm.OutcomeAnswered, AnsweredBy: andrei.OwnerID,
		RingSeconds: 6, TalkSeconds: 312, Notes: "Asked about delivery terms for the toner.",
	}, {
		ContactID: irina.ID, CompanyID: irina.CompanyID, InterestID: s.interests["Guest Wi-Fi for the Mamaia hotel"].ID,
		At: s.now.Add(-3 * time.Hour), UserID: irina.OwnerID, CallID: "demo-call-2@carpathia.example",
		CallerE164: mobileOf(irina), Outcome: crm.OutcomeMissed, RingSeconds: 20,
	}}
	for _, c := range calls {
		if _, _, err := s.svc.RecordCall(ctx, c); err != nil {
			return err
		}
	}
	return nil
}

func mobileOf(c *crm.Contact) string {
	for _, p := range c.Phones {
		if p.Kind == crm.PhoneMobile {
			return p.E164
		}
	}
	return ""
}

func (s *seeder) seedTasks(ctx context.Context) error {
	gabriel, err := s.contact("gabriel")
	if err != nil {
		return err
	}
	ion, err := s.contact("ion")
	if err != nil {
		return err
	}
	tasks := []crm.NewTask{{
		Kind: crm.TaskMeeting, AssigneeID: gabriel.OwnerID, ContactID: gabriel.ID,
		InterestID: s.interests["Replace 120 office laptops"].ID,
		Title:      "Laptop demo at Bucur Pharma", Due: s.now.Add(3 * day).Truncate(day).Add(8 * time.Hour),
	}, {
		Kind: crm.TaskCallBack, AssigneeID: ion.OwnerID, ContactID: ion.ID,
		InterestID: s.interests["Rugged tablets for field agronomists"].ID,
		Title:      "Ask Ion about the grant decision", Due: s.now.Add(-day).Truncate(day).Add(9 * time.Hour),
	}}
	for _, t := range tasks {
		if _, err := s.svc.CreateTask(ctx, crm.System, t); err != nil {
			return fmt.Errorf("%q: %w", t.Title, err)
		}
	}
	return nil
}

// seedDelegation sends Radu's calls to Elena during his week of leave. The
// example caller is Mihai's, so its lookup still goes to its owner.
func (s *seeder) seedDelegation(ctx context.Context) error {
	_, err := s.svc.CreateDelegation(ctx, crm.System, crm.NewDelegation{
		UserID: s.users["radu"].ID, DelegateID: s.users["elena"].ID,
		Starts: s.now.Add(-day), Ends: s.now.Add(6 * day), Reason: "Annual leave",
	})
	return err
}
