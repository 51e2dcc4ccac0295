// api.js: calls from a signed-in page to callroute's REST API (/api/v1).
// The session cookie authenticates them; every unsafe method carries the
// page's CSRF token in the X-CSRF-Token header, read from
// <meta name="csrf-token">, as the server requires.
//
//   import { api } from './api.js';
//   const me = await api('GET', '/me');
//   await api('POST', '/tasks/7/done');

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

// csrfToken is the page's synchronizer token.
export function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : '';
}

// APIError is a refused or failed call: status, the server's message, and
// the whole error body (field, lines, current).
export class APIError extends Error {
  constructor(status, message, body) {
    super(message);
    this.name = 'APIError';
    this.status = status;
    this.body = body;
  }
}

// api calls the REST API and returns the decoded JSON answer (null for an
// empty one). A 401 means the session ended: the page goes to the sign-in
// page, to come back here afterwards.
export async function api(method, path, body) {
  method = method.toUpperCase();
  const headers = { Accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin' };
  if (!SAFE.has(method)) {
    headers['X-CSRF-Token'] = csrfToken();
  }
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch('/api/v1' + path, init);
  if (res.status === 401) {
    location.assign('/login?next=' + encodeURIComponent(location.pathname + location.search));
    throw new APIError(401, 'not signed in', null);
  }
  const text = await res.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    throw new APIError(res.status, (data && data.error) || res.statusText, data);
  }
  return data;
}
