package crm

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// PipelineReport is the head of sales' main screen: open interests per
// manager by stage, with the interests behind each cell.
type PipelineReport struct {
	Stages []Stage           `json:"stages"`
	Rows   []ManagerPipeline `json:"rows"`
	Totals map[Stage]int     `json:"totals"`
	Total  int               `json:"total"`
	At     time.Time         `json:"at"`
}

// ManagerPipeline is one manager's row; Manager nil is the row of interests
// nobody owns.
type ManagerPipeline struct {
	Manager   *UserRef                 `json:"manager"`
	Counts    map[Stage]int            `json:"counts"`
	Total     int                      `json:"total"`
	Interests map[Stage][]InterestItem `json:"interests"`
}

// InterestItem is an interest as a report cell lists it.
type InterestItem struct {
	ID             int64      `json:"id"`
	Title          string     `json:"title"`
	ContactID      int64      `json:"contact_id,omitempty"`
	CompanyID      int64      `json:"company_id,omitempty"`
	NextFollowUp   *time.Time `json:"next_follow_up,omitempty"`
	Overdue        bool       `json:"overdue"`
	LastActivityAt time.Time  `json:"last_activity_at"`
}

// reportPage is how many rows a report reads from the store at a time.
const reportPage = 1000

// allInterests pages through every interest matching f.
func (s *Service) allInterests(ctx context.Context, f InterestFilter) ([]Interest, error) {
	var out []Interest
	f.Limit = reportPage
	for f.Offset = 0; ; f.Offset += reportPage {
		page, err := s.store.ListInterests(ctx, f)
		if err != nil {
			return nil, fmt.Errorf("list interests: %w", err)
		}
		out = append(out, page...)
		if len(page) < reportPage {
			return out, nil
		}
	}
}

// reportRows returns the managers a report has a row for: every active
// manager (and the head of sales when they own something), or, for a
// manager, themselves.
func (s *Service) reportUsers(ctx context.Context, a Actor) (map[int64]*User, []int64, error) {
	if a.Role == RoleAgent {
		return nil, nil, fmt.Errorf("reports: %w", ErrForbidden)
	}
	users, err := s.store.ListUsers(ctx)
	if err != nil {
		return nil, nil, err
	}
	byID := map[int64]*User{}
	var order []int64
	for i := range users {
		u := &users[i]
		byID[u.ID] = u
		if u.Active && u.Role == RoleManager && (isAdmin(a) || u.ID == a.UserID) {
			order = append(order, u.ID)
		}
	}
	return byID, order, nil
}

// OpenInterests builds the pipeline report. The head of sales sees every
// manager; a manager sees their own row.
func (s *Service) OpenInterests(ctx context.Context, a Actor) (*PipelineReport, error) {
	users, order, err := s.reportUsers(ctx, a)
	if err != nil {
		return nil, err
	}
	f := InterestFilter{OpenOnly: true}
	if !isAdmin(a) {
		f.OwnerID = a.UserID
	}
	interests, err := s.allInterests(ctx, f)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	rep := &PipelineReport{Stages: OpenStages, Totals: map[Stage]int{}, At: now}
	rows := map[int64]*ManagerPipeline{}
	row := func(id int64) *ManagerPipeline {
		if r, ok := rows[id]; ok {
			return r
		}
		r := &ManagerPipeline{Manager: users[id].Ref(), Counts: map[Stage]int{}, Interests: map[Stage][]InterestItem{}}
		for _, st := range OpenStages {
			r.Counts[st] = 0
			r.Interests[st] = []InterestItem{}
		}
		rows[id] = r
		return r
	}
	for _, id := range order {
		row(id)
	}
	for _, in := range interests {
		owner := in.OwnerID
		if _, ok := users[owner]; !ok {
			owner = 0
		}
		if owner != 0 && !slices.Contains(order, owner) {
			order = append(order, owner) // the head of sales, or a former manager
		}
		r := row(owner)
		r.Counts[in.Stage]++
		r.Total++
		r.Interests[in.Stage] = append(r.Interests[in.Stage], InterestItem{ID: in.ID, Title: in.Title,
			ContactID: in.ContactID, CompanyID: in.CompanyID, NextFollowUp: in.NextFollowUp,
			Overdue: in.NextFollowUp != nil && in.NextFollowUp.Before(now), LastActivityAt: in.LastActivityAt})
		rep.Totals[in.Stage]++
		rep.Total++
	}
	for _, id := range order {
		rep.Rows = append(rep.Rows, *rows[id])
	}
	if r, ok := rows[0]; ok {
		rep.Rows = append(rep.Rows, *r)
	}
	return rep, nil
}

// OverdueReport lists, per manager, follow-ups whose time has passed.
type OverdueReport struct {
	At   time.Time        `json:"at"`
	Rows []ManagerOverdue `json:"rows"`
}

// ManagerOverdue is one manager's overdue work; Manager nil is the desk's
// (tasks) or nobody's (interests).
type ManagerOverdue struct {
	Manager   *UserRef       `json:"manager"`
	Interests []InterestItem `json:"interests"`
	Tasks     []Task         `json:"tasks"`
}

// OverdueFollowUps lists open interests whose next follow-up has passed and
// open tasks past due, per manager.
func (s *Service) OverdueFollowUps(ctx context.Context, a Actor) (*OverdueReport, error) {
	users, order, err := s.reportUsers(ctx, a)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	f := InterestFilter{OpenOnly: true, FollowUpBefore: &now}
	tf := TaskFilter{OpenOnly: true, DueBefore: &now, Limit: reportPage}
	if !isAdmin(a) {
		f.OwnerID, tf.AssigneeID = a.UserID, a.UserID
	}
	interests, err := s.allInterests(ctx, f)
	if err != nil {
		return nil, err
	}
	tasks, err := s.store.ListTasks(ctx, tf)
	if err != nil {
		return nil, fmt.Errorf("list tasks: %w", err)
	}
	rows := map[int64]*ManagerOverdue{}
	row := func(id int64) *ManagerOverdue {
		if _, ok := users[id]; !ok {
			id = 0
		}
		if r, ok := rows[id]; ok {
			return r
		}
		r := &ManagerOverdue{Manager: users[id].Ref(), Interests: []InterestItem{}, Tasks: []Task{}}
		rows[id] = r
		if id != 0 && !slices.Contains(order, id) {
			order = append(order, id)
		}
		return r
	}
	for _, id := range order {
		row(id)
	}
	for _, in := range interests {
		r := row(in.OwnerID)
		r.Interests = append(r.Interests, InterestItem{ID: in.ID, Title: in.Title, ContactID: in.ContactID,
			CompanyID: in.CompanyID, NextFollowUp: in.NextFollowUp, Overdue: true, LastActivityAt: in.LastActivityAt})
	}
	for _, t := range tasks {
		r := row(t.AssigneeID)
		r.Tasks = append(r.Tasks, t)
	}
	rep := &OverdueReport{At: now, Rows: []ManagerOverdue{}}
	for _, id := range order {
		rep.Rows = append(rep.Rows, *rows[id])
	}
	if r, ok := rows[0]; ok {
		rep.Rows = append(rep.Rows, *r)
	}
	return rep, nil
}

// CallsReport counts inbound calls per manager per day.
type CallsReport struct {
	From time.Time      `json:"from"`
	To   time.Time      `json:"to"`
	Rows []CallStatUser `json:"rows"`
}

// CallStatUser is a CallStat with the user named.
type CallStatUser struct {
	CallStat
	User *UserRef `json:"user"`
}

// Calls reports answered and missed inbound calls per user per day in
// [from, to).
func (s *Service) Calls(ctx context.Context, a Actor, from, to time.Time) (*CallsReport, error) {
	users, _, err := s.reportUsers(ctx, a)
	if err != nil {
		return nil, err
	}
	if !to.After(from) {
		return nil, fieldErr("to", "must be after from")
	}
	if to.Sub(from) > 370*24*time.Hour {
		return nil, fieldErr("to", "a calls report covers at most a year")
	}
	stats, err := s.store.CallStats(ctx, from.UTC(), to.UTC())
	if err != nil {
		return nil, fmt.Errorf("call stats: %w", err)
	}
	rep := &CallsReport{From: from.UTC(), To: to.UTC(), Rows: []CallStatUser{}}
	for _, st := range stats {
		if !isAdmin(a) && st.UserID != a.UserID {
			continue
		}
		rep.Rows = append(rep.Rows, CallStatUser{CallStat: st, User: users[st.UserID].Ref()})
	}
	return rep, nil
}
