package sqlstore

import "strings"

// where builds a WHERE clause from optional conditions.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

// inList adds one condition over a list of ids: every %s in tmpl becomes
// the list's placeholders, e.g. "owner_id IN (%s) OR x IN (SELECT ... IN (%s))".
func (w *where) inList(tmpl string, list []int64) {
	n := strings.Count(tmpl, "%s")
	ph := placeholders(len(list))
	w.conds = append(w.conds, "("+strings.ReplaceAll(tmpl, "%s", ph)+")")
	for range n {
		w.args = append(w.args, ids(list)...)
	}
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// page appends LIMIT/OFFSET (limit defaults to 100, at most 1000).
func (w *where) page(l, o int) string {
	w.args = append(w.args, limit(l), offset(o))
	return " LIMIT ? OFFSET ?"
}
