package browsertest

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/chromedp/chromedp"
)

// Click waits until the element with data-testid is visible and enabled,
// then clicks its centre with real mouse events (a user gesture, so the
// page may start audio).
func (tab *Tab) Click(testid string) {
	tab.t.Helper()
	sel := tab.selector("Click", testid)
	tab.waitElement(sel, "visible and enabled", func(e elementState) bool { return e.Visible && !e.Disabled })
	if err := tab.run(func(ctx context.Context) error { return chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel))) }); err != nil {
		tab.fatalf("click %s: %v", sel, err)
	}
}

// Fill replaces the value of the input or textarea with data-testid by
// typing value into it with key events, as a user would, and checks that
// the field then holds value.
func (tab *Tab) Fill(testid, value string) {
	tab.t.Helper()
	sel := tab.selector("Fill", testid)
	e := tab.waitElement(sel, "visible and editable", func(e elementState) bool {
		return e.Visible && !e.Disabled && !e.ReadOnly
	})
	if !e.IsField {
		tab.fatalf("fill %s: it is a <%s>, not a field a user can type into", sel, e.Tag)
	}
	clearJS := fmt.Sprintf(`(() => {
		const el = document.querySelector(%q);
		el.focus();
		if (el.value !== '') {
			el.value = '';
			el.dispatchEvent(new Event('input', {bubbles: true}));
		}
	})()`, sel)
	err := tab.run(func(ctx context.Context) error {
		return chromedp.Do(ctx,
			chromedp.Evaluate[chromedp.Void](clearJS),
			chromedp.SendKeys(chromedp.CSS(sel), value))
	})
	if err != nil {
		tab.fatalf("fill %s: %v", sel, err)
	}
	if e := tab.element(sel); e.Value != value {
		tab.fatalf("fill %s: typed %q but the field holds %q", sel, value, e.Value)
	}
}

// Select chooses the option with this value in the <select> with
// data-testid, as a user picking it does (input and change events).
func (tab *Tab) Select(testid, value string) {
	tab.t.Helper()
	sel := tab.selector("Select", testid)
	tab.waitElement(sel, "visible and enabled", func(e elementState) bool { return e.Visible && !e.Disabled })
	js := fmt.Sprintf(`(() => {
		const el = document.querySelector(%q);
		if (!(el instanceof HTMLSelectElement)) return 'not a <select>';
		const opt = Array.from(el.options).find((o) => o.value === %q);
		if (!opt) return 'no option ' + JSON.stringify(%q) + ' among ' + JSON.stringify(Array.from(el.options).map((o) => o.value));
		el.focus();
		el.value = opt.value;
		el.dispatchEvent(new Event('input', {bubbles: true}));
		el.dispatchEvent(new Event('change', {bubbles: true}));
		return '';
	})()`, sel, value, value)
	var problem string
	tab.Eval(js, &problem)
	if problem != "" {
		tab.fatalf("select %q in %s: %s", value, sel, problem)
	}
}

// WaitVisible waits until the element with data-testid is visible.
func (tab *Tab) WaitVisible(testid string) {
	tab.t.Helper()
	sel := tab.selector("WaitVisible", testid)
	tab.waitElement(sel, "visible", func(e elementState) bool { return e.Visible })
}

// WaitText waits until the text of the element with data-testid (what a
// user sees: innerText) contains substring.
func (tab *Tab) WaitText(testid, substring string) {
	tab.t.Helper()
	sel := tab.selector("WaitText", testid)
	tab.waitElement(sel, fmt.Sprintf("showing %q", substring), func(e elementState) bool {
		return e.Present && strings.Contains(e.Text, substring)
	})
}

// Text waits until the element with data-testid exists and returns its
// innerText (for an input, its value).
func (tab *Tab) Text(testid string) string {
	tab.t.Helper()
	sel := tab.selector("Text", testid)
	e := tab.waitElement(sel, "present", func(e elementState) bool { return e.Present })
	if e.IsField {
		return e.Value
	}
	return e.Text
}

// elementState is what the harness learns of an element in one look.
type elementState struct {
	Present  bool   `json:"present"`
	Visible  bool   `json:"visible"`
	Disabled bool   `json:"disabled"`
	ReadOnly bool   `json:"readOnly"`
	IsField  bool   `json:"isField"`
	Text     string `json:"text"`
	Value    string `json:"value"`
	Tag      string `json:"tag"`
	Count    int    `json:"count"`
}

func (e elementState) String() string {
	if !e.Present {
		return "not in the page"
	}
	s := fmt.Sprintf("<%s> visible=%v disabled=%v", e.Tag, e.Visible, e.Disabled)
	if e.Count > 1 {
		s += fmt.Sprintf(", %d elements match (the first is used)", e.Count)
	}
	if e.IsField {
		if e.ReadOnly {
			s += " readonly"
		}
		return s + fmt.Sprintf(", value %q", e.Value)
	}
	return s + fmt.Sprintf(", text %q", abbreviate(e.Text))
}

const elementStateJS = `(() => {
	const all = document.querySelectorAll(%q);
	const el = all[0];
	if (!el) return {present: false, count: 0};
	const r = el.getBoundingClientRect();
	const visible = r.width > 0 && r.height > 0 &&
		el.checkVisibility({visibilityProperty: true, opacityProperty: true});
	const isField = 'value' in el && typeof el.value === 'string' && el.tagName !== 'BUTTON';
	return {
		present: true, visible, isField, count: all.length,
		disabled: !!el.disabled || el.getAttribute('aria-disabled') === 'true', readOnly: !!el.readOnly,
		text: el.innerText || '', value: isField ? el.value : '', tag: el.tagName.toLowerCase(),
	};
})()`

func (tab *Tab) element(sel string) elementState {
	tab.t.Helper()
	var e elementState
	if err := tab.eval(fmt.Sprintf(elementStateJS, sel), &e); err != nil {
		tab.fatalf("look up %s: %v", sel, err)
	}
	return e
}

// waitElement polls sel until ok, failing with the element's last state.
func (tab *Tab) waitElement(sel, want string, ok func(elementState) bool) elementState {
	tab.t.Helper()
	js := fmt.Sprintf(elementStateJS, sel)
	var last elementState
	var lastErr error
	found := tab.poll(func() bool {
		var e elementState
		// A navigation in progress destroys the execution context: retry.
		if lastErr = tab.eval(js, &e); lastErr != nil {
			return false
		}
		last = e
		return ok(e)
	})
	if !found {
		if lastErr != nil {
			tab.fatalf("%s was not %s within %v: %v", sel, want, tab.stepTimeout(), lastErr)
		}
		tab.fatalf("%s was not %s within %v: %s", sel, want, tab.stepTimeout(), last)
	}
	return last
}

// testidPattern is what a data-testid may hold here: it goes into a CSS
// attribute selector and a JS string unescaped.
var testidPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:-]*$`)

func (tab *Tab) selector(method, testid string) string {
	tab.t.Helper()
	if !testidPattern.MatchString(testid) {
		tab.t.Fatalf("browsertest: %s: testid %q must be letters, digits and _.:- (it is a data-testid value)", method, testid)
	}
	return `[data-testid="` + testid + `"]`
}
