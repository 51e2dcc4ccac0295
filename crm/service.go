package crm

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Service is the client base as the rest of callroute uses it: validation,
// phone normalisation, ownership rules and role checks over a Store.
type Service struct {
	store          Store
	phones         *PhoneParser
	now            func() time.Time
	sipRealm       string
	managersSeeAll bool
	sessions       SessionPolicy
	throttle       SignInThrottle
	pwSlots        chan struct{} // argon2id checks running now
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the time source (tests).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithSIPRealm sets the digest realm SIP credentials are made for.
func WithSIPRealm(realm string) Option { return func(s *Service) { s.sipRealm = realm } }

// WithManagersSeeAll lets managers see every client's file, not only their
// own (a team that shares its accounts).
func WithManagersSeeAll(all bool) Option { return func(s *Service) { s.managersSeeAll = all } }

// WithSessionPolicy sets how long browser sessions last; zero fields keep
// their defaults.
func WithSessionPolicy(p SessionPolicy) Option { return func(s *Service) { s.sessions = p } }

// WithSignInThrottle sets the brake on failed sign-ins; zero fields keep
// their defaults.
func WithSignInThrottle(t SignInThrottle) Option { return func(s *Service) { s.throttle = t } }

// DefaultSIPRealm is the digest realm when none is configured.
const DefaultSIPRealm = "callroute"

// NewService returns the client base over store, with phones read in the
// parser's default region.
func NewService(store Store, phones *PhoneParser, opts ...Option) *Service {
	s := &Service{store: store, phones: phones, now: time.Now, sipRealm: DefaultSIPRealm}
	for _, o := range opts {
		o(s)
	}
	s.sessions = s.sessions.withDefaults()
	s.throttle = s.throttle.withDefaults()
	s.pwSlots = make(chan struct{}, passwordSlots)
	return s
}

// Store returns the underlying store.
func (s *Service) Store() Store { return s.store }

// Phones returns the phone parser.
func (s *Service) Phones() *PhoneParser { return s.phones }

// Now is the service's clock, in UTC.
func (s *Service) Now() time.Time { return s.now().UTC() }

// SIPRealm is the digest realm of SIP credentials.
func (s *Service) SIPRealm() string { return s.sipRealm }

// Ping checks storage is reachable.
func (s *Service) Ping(ctx context.Context) error { return s.store.Ping(ctx) }

// isAdmin: callroute itself and the head of sales may do anything.
func isAdmin(a Actor) bool { return a.UserID == 0 || a.Role == RoleHead }

// requireHead allows only the head of sales (or callroute itself).
func requireHead(a Actor, what string) error {
	if isAdmin(a) {
		return nil
	}
	return fmt.Errorf("%s: only the head of sales may: %w", what, ErrForbidden)
}

// visibleOwners is the set of owners whose clients the actor may see; nil
// means everything. A manager sees their own clients and those of managers
// who delegated to them now (they take their calls).
func (s *Service) visibleOwners(ctx context.Context, a Actor) ([]int64, error) {
	if isAdmin(a) || a.Role == RoleAgent || s.managersSeeAll {
		return nil, nil
	}
	now := s.Now()
	ds, err := s.store.ListDelegations(ctx, DelegationFilter{ActiveAt: &now})
	if err != nil {
		return nil, fmt.Errorf("list delegations: %w", err)
	}
	owners := []int64{a.UserID}
	for _, d := range ds {
		if d.DelegateID == a.UserID && !slices.Contains(owners, d.UserID) {
			owners = append(owners, d.UserID)
		}
	}
	return owners, nil
}

// canSee reports whether the actor may see a record with these owners
// (a contact's and its company's, or an interest's and its contact's).
func canSee(visible []int64, owners ...int64) bool {
	if visible == nil {
		return true
	}
	for _, o := range owners {
		if o != 0 && slices.Contains(visible, o) {
			return true
		}
	}
	return false
}

var errNotYours = fmt.Errorf("not one of your clients: %w", ErrNotFound)

// mayView fails with ErrNotFound (not ErrForbidden: a manager does not learn
// which other clients exist) when the actor may see none of the owners of a
// record. owners is called only for an actor whose view is restricted:
// collecting them may cost reads that nobody else needs.
func (s *Service) mayView(ctx context.Context, a Actor, owners func() []int64) error {
	visible, err := s.visibleOwners(ctx, a)
	if err != nil || visible == nil {
		return err
	}
	if !canSee(visible, owners()...) {
		return errNotYours
	}
	return nil
}
