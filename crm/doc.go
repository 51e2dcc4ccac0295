// Package crm is callroute's client base: users and roles, companies, contacts
// and their phones, interests, interactions, tasks, delegations and
// reassignments, with the caller lookup that every inbound call starts with.
//
// Storage is behind [Store]; the rules (validation, phone normalisation, who
// owns a caller, who may see what) live here in [Service], so that every
// storage backend behaves the same way.
//
// crm imports nothing else of callroute.
package crm
