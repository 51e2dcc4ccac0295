package sip

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"slices"
	"time"
)

// Registrar holds the bindings of registered phones and applies REGISTER
// requests to them (RFC 3261 10.3). It knows nothing of SIP messages: the
// server's REGISTER handler parses the request into a registerRequest.
type Registrar struct {
	store       BindingStore
	minExp      time.Duration
	maxExp      time.Duration
	defExp      time.Duration
	maxBindings int
	sweepEvery  time.Duration
	now         func() time.Time
	onChange    func(userID int64, bindings []Binding)
	log         *slog.Logger
}

func newRegistrar(cfg Config, store BindingStore, onChange func(int64, []Binding), now func() time.Time, log *slog.Logger) *Registrar {
	return &Registrar{
		store: store, minExp: cfg.MinExpires, maxExp: cfg.MaxExpires, defExp: cfg.DefaultExpires,
		maxBindings: cfg.MaxBindingsPerUser, sweepEvery: cfg.RegistrarSweep,
		now: now, onChange: onChange, log: log,
	}
}

// Bindings returns the user's live bindings, expired ones left out (lazy
// expiry: the sweep may not have run yet). The call layer forks an INVITE
// to each of them.
func (r *Registrar) Bindings(ctx context.Context, userID int64) ([]Binding, error) {
	all, err := r.store.Bindings(ctx, userID)
	if err != nil {
		return nil, err
	}
	return live(all, r.now()), nil
}

func live(bs []Binding, now time.Time) []Binding {
	return slices.DeleteFunc(bs, func(b Binding) bool { return !b.Expires.After(now) })
}

// registerRequest is what the registrar needs from a REGISTER.
type registerRequest struct {
	UserID    int64
	Username  string
	CallID    string
	CSeq      uint32
	Wildcard  bool // Contact: *
	Contacts  []contactRequest
	Expires   int64 // Expires header in seconds, -1 when absent
	Source    netip.AddrPort
	Transport string
	UserAgent string
}

type contactRequest struct {
	URI        string
	Key        string
	Expires    int64 // expires parameter in seconds, -1 when absent
	InstanceID string
}

type registerResult struct {
	Code       int
	Reason     string
	MinExpires time.Duration // with 423
	Bindings   []Binding     // the user's bindings after the request, for 200
}

var errOutOfOrder = errors.New("register: Call-ID seen with a CSeq not higher than before")

// register applies one REGISTER (RFC 3261 10.3 steps 6-8) atomically for
// the user. A store failure is returned as an error (the handler answers
// 500); protocol failures come back as a result with Code >= 400.
func (r *Registrar) register(ctx context.Context, req registerRequest) (registerResult, error) {
	now := r.now()
	// Step 6: "*" must stand alone with Expires: 0, else 400.
	if req.Wildcard && (len(req.Contacts) > 0 || req.Expires != 0) {
		return registerResult{Code: 400, Reason: "Invalid Wildcard Contact"}, nil
	}
	if len(req.Contacts) > r.maxBindings {
		return registerResult{Code: 403, Reason: "Too Many Contacts"}, nil
	}
	// Step 7: each contact's expiry from its expires parameter, else the
	// Expires header, else the registrar's default; 423 with Min-Expires
	// when a non-zero value is below the minimum; clamp above the maximum.
	exp := make([]time.Duration, len(req.Contacts))
	for i, c := range req.Contacts {
		secs := c.Expires
		if secs < 0 {
			secs = req.Expires
		}
		d := r.defExp
		if secs >= 0 {
			d = time.Duration(min(secs, int64(r.maxExp/time.Second)+1)) * time.Second
		}
		if d > 0 && d < r.minExp {
			return registerResult{Code: 423, Reason: "Interval Too Brief", MinExpires: r.minExp}, nil
		}
		exp[i] = min(d, r.maxExp)
	}

	var before, after []Binding
	err := r.store.Update(ctx, req.UserID, func(cur []Binding) ([]Binding, error) {
		before = live(slices.Clone(cur), now)
		next := slices.Clone(before)
		if req.Wildcard {
			for _, b := range next {
				if b.CallID == req.CallID && req.CSeq <= b.CSeq {
					return nil, errOutOfOrder
				}
			}
			after = nil
			return nil, nil
		}
		touched := map[string]bool{}
		for i, c := range req.Contacts {
			idx := slices.IndexFunc(next, func(b Binding) bool { return b.Key == c.Key })
			if idx >= 0 {
				b := next[idx]
				// Same Call-ID: only a higher CSeq may change the binding.
				if b.CallID == req.CallID && req.CSeq <= b.CSeq {
					return nil, errOutOfOrder
				}
				if exp[i] == 0 {
					next = slices.Delete(next, idx, idx+1)
					continue
				}
				next[idx] = r.binding(req, c, b.Registered, now.Add(exp[i]))
			} else if exp[i] > 0 {
				next = append(next, r.binding(req, c, now, now.Add(exp[i])))
			}
			touched[c.Key] = true
		}
		next = r.capBindings(next, touched)
		after = next
		return next, nil
	})
	if errors.Is(err, errOutOfOrder) {
		return registerResult{Code: 400, Reason: "Out Of Order CSeq"}, nil
	}
	if err != nil {
		return registerResult{}, err
	}
	r.notify(req.UserID, before, after)
	return registerResult{Code: 200, Reason: "OK", Bindings: after}, nil
}

func (r *Registrar) binding(req registerRequest, c contactRequest, registered, expires time.Time) Binding {
	return Binding{
		UserID: req.UserID, Username: req.Username, Contact: c.URI, Key: c.Key,
		Source: req.Source, Transport: req.Transport, InstanceID: c.InstanceID,
		UserAgent: req.UserAgent, CallID: req.CallID, CSeq: req.CSeq,
		Registered: registered, Expires: expires,
	}
}

// capBindings keeps at most maxBindings: beyond it the bindings this request
// did not touch go first, those closest to expiry first (a phone that
// rebooted with a new contact replaces its stale self).
func (r *Registrar) capBindings(bs []Binding, touched map[string]bool) []Binding {
	if len(bs) <= r.maxBindings {
		return bs
	}
	slices.SortStableFunc(bs, func(a, b Binding) int {
		if ta, tb := touched[a.Key], touched[b.Key]; ta != tb {
			if ta {
				return 1
			}
			return -1
		}
		return a.Expires.Compare(b.Expires)
	})
	return bs[len(bs)-r.maxBindings:]
}

// notify calls onChange when the set of the user's contacts changed (a
// phone came or went); a refresh of the same contacts is not a change.
func (r *Registrar) notify(userID int64, before, after []Binding) {
	if r.onChange == nil || sameKeys(before, after) {
		return
	}
	r.onChange(userID, slices.Clone(after))
}

func sameKeys(a, b []Binding) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.ContainsFunc(b, func(y Binding) bool { return y.Key == x.Key }) {
			return false
		}
	}
	return true
}

// Sweep drops expired bindings of every user and reports the changes.
func (r *Registrar) Sweep(ctx context.Context) error {
	users, err := r.store.Users(ctx)
	if err != nil {
		return err
	}
	now := r.now()
	var errs []error
	for _, uid := range users {
		var before, after []Binding
		err := r.store.Update(ctx, uid, func(cur []Binding) ([]Binding, error) {
			before = slices.Clone(cur)
			after = live(cur, now)
			return after, nil
		})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if len(after) != len(before) {
			r.log.Info("sip: bindings expired", "user_id", uid, "expired", len(before)-len(after), "left", len(after))
			r.notify(uid, before, after)
		}
	}
	return errors.Join(errs...)
}

// run sweeps every sweepEvery until ctx ends.
func (r *Registrar) run(ctx context.Context) {
	t := time.NewTicker(r.sweepEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := r.Sweep(ctx); err != nil && ctx.Err() == nil {
				r.log.Error("sip: registrar sweep", "err", err)
			}
		}
	}
}
