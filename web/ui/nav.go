package ui

import "callroute/crm"

// navLink is one entry of the header's navigation.
type navLink struct {
	Label   string
	Path    string
	Current bool
}

type navEntry struct {
	label, path string
	roles       []crm.Role
}

// navEntries are the header's entries, in order, with the roles that see
// each; a screen's entry names the same roles as its route.
func navEntries() []navEntry {
	return []navEntry{
		{"Workspace", "/", everyone},
	}
}

// navFor is the navigation a role sees, with the current page marked.
func navFor(role crm.Role, current string) []navLink {
	var out []navLink
	for _, e := range navEntries() {
		for _, r := range e.roles {
			if r == role {
				out = append(out, navLink{Label: e.label, Path: e.path, Current: e.path == current})
				break
			}
		}
	}
	return out
}
