// Package demo fills an empty client base with a small, believable B2B
// company (callroute serve --demo): a head of sales, three managers, two desk
// agents, client companies and contacts with Romanian phone numbers,
// interests in every stage, follow-ups (some overdue), past interactions,
// calls and tasks.
//
// Everything is written through crm.Service, so the demo data obeys the same
// rules as data typed in by people.
package demo

import (
	"context"
	"errors"
	"fmt"

	"callroute/crm"
)

// ErrNotEmpty is returned by Seed when the database already has users: demo
// data never mixes with real data.
var ErrNotEmpty = errors.New("the database already has users; demo data goes only into an empty database")

// ErrNoDemo is returned by Describe when the database holds no demo data.
var ErrNoDemo = errors.New("the database has no demo data")

// Info is what serve --demo prints: who can sign in, and a caller to try.
type Info struct {
	Company  string // the demo users' company
	Password string // every demo user's password
	Users    []User
	Caller   Caller
}

// User is one demo user.
type User struct {
	ID    int64
	Email string
	Name  string
	Role  crm.Role
}

// Caller is an example caller: a number to look up, and what the lookup
// finds.
type Caller struct {
	E164     string
	National string // as people in the region write it: "0722 481 305"
	Name     string // the contact
	Company  string
	Owner    *crm.UserRef // who owns the caller
	Target   *crm.UserRef // who the call goes to (the owner, or their delegate)
}

// Head returns the head of sales.
func (i *Info) Head() User {
	for _, u := range i.Users {
		if u.Role == crm.RoleHead {
			return u
		}
	}
	return User{}
}

// Seed writes the demo data as crm.System (timeline entries as the manager
// who wrote them) and describes it. It refuses with ErrNotEmpty when the
// database has any user. The service's phone region should be RO.
func Seed(ctx context.Context, svc *crm.Service) (*Info, error) {
	users, err := svc.Users(ctx)
	if err != nil {
		return nil, fmt.Errorf("demo: list users: %w", err)
	}
	if len(users) > 0 {
		return nil, fmt.Errorf("demo: %w", ErrNotEmpty)
	}
	s := &seeder{svc: svc, now: svc.Now(), users: map[string]*crm.User{},
		companies: map[string]*crm.Company{}, contacts: map[string]*crm.Contact{}, interests: map[string]*crm.Interest{}}
	steps := []struct {
		what string
		run  func(context.Context) error
	}{
		{"users", s.seedUsers},
		{"companies", s.seedCompanies},
		{"contacts", s.seedContacts},
		{"interests", s.seedInterests},
		{"interactions", s.seedInteractions},
		{"calls", s.seedCalls},
		{"tasks", s.seedTasks},
		{"delegation", s.seedDelegation},
	}
	for _, st := range steps {
		if err := st.run(ctx); err != nil {
			return nil, fmt.Errorf("demo: %s: %w", st.what, err)
		}
	}
	return Describe(ctx, svc)
}

// Describe tells about demo data already in the database (serve --demo on a
// later start): the demo users found, and what the example caller's lookup
// finds now.
func Describe(ctx context.Context, svc *crm.Service) (*Info, error) {
	info := &Info{Company: Company, Password: Password}
	for _, spec := range userSpecs {
		u, err := svc.UserByEmail(ctx, spec.email)
		if errors.Is(err, crm.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("demo: find %s: %w", spec.email, err)
		}
		info.Users = append(info.Users, User{ID: u.ID, Email: u.Email, Name: u.Name, Role: u.Role})
	}
	if info.Head().ID == 0 {
		return nil, ErrNoDemo
	}
	ci, err := svc.LookupCaller(ctx, exampleNumber)
	if err != nil {
		return nil, fmt.Errorf("demo: look up the example caller: %w", err)
	}
	info.Caller = Caller{E164: ci.E164, National: ci.National, Owner: ci.Owner, Target: ci.Target}
	if ci.Contact != nil {
		info.Caller.Name = ci.Contact.Name
	}
	if ci.Company != nil {
		info.Caller.Company = ci.Company.Name
	}
	return info, nil
}
