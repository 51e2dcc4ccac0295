package browsertest

// cspWatchJS records every Content-Security-Policy violation of each page
// the tab loads, from before its first script (the page's CSP must let all
// of callroute's own CSS, scripts, WebSocket and media through).
const cspWatchJS = `window.__callrouteCSP = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__callrouteCSP.push(e.violatedDirective + ' ' + (e.blockedURI || '(inline)'));
});`

// CSPViolations lists the Content-Security-Policy violations of the page
// shown now (directive and what was blocked); none is the rule.
func (tab *Tab) CSPViolations() []string {
	tab.t.Helper()
	var v []string
	tab.Eval(`window.__callrouteCSP || []`, &v)
	return v
}
