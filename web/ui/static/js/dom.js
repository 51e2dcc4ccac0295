// dom.js: small helpers to build the page from data without innerHTML, so
// a client's name or a note can never become markup.

// byTest finds the element with a data-testid.
export function byTest(id, root = document) {
  return root.querySelector(`[data-testid="${id}"]`);
}

// h makes an element: h('li', {class: 'x', 'data-testid': 'y'}, 'text', child).
// Attributes named on* are refused: handlers are added in code.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) throw new Error('h: no inline handlers');
    if (k === 'class') el.className = v;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// show toggles the hidden attribute.
export function show(el, on) {
  if (el) el.hidden = !on;
}

// clear empties an element.
export function clear(el) {
  while (el && el.firstChild) el.firstChild.remove();
}

// when formats a time stamp for people: today's as 14:05, older ones with
// the date.
export function when(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  const now = new Date();
  const time = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  if (d.toDateString() === now.toDateString()) return time;
  return d.toLocaleDateString([], { day: 'numeric', month: 'short', year: d.getFullYear() === now.getFullYear() ? undefined : 'numeric' }) + ' ' + time;
}

// day formats a date (no time).
export function day(iso) {
  if (!iso) return '';
  return new Date(iso).toLocaleDateString([], { day: 'numeric', month: 'short', year: 'numeric' });
}

// clock formats seconds as m:ss or h:mm:ss.
export function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return hh > 0 ? `${hh}:${String(mm).padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}
