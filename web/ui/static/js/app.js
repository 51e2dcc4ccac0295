// app.js runs on every page, as a module (the Content-Security-Policy
// allows scripts from callroute itself only: no inline script, no eval).
// A screen's own module is loaded by its template's "scripts" block and
// imports what it needs from the modules beside it, such as ./api.js.

// The page says its scripts run: stylesheets and tests can tell.
document.documentElement.dataset.js = 'ready';

// A form submits once: a second click while the first is on its way would
// post twice (and, for sign-in, count as two tries).
document.addEventListener('submit', (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement)) return;
  if (form.dataset.submitting === 'true') {
    event.preventDefault();
    return;
  }
  form.dataset.submitting = 'true';
  for (const button of form.querySelectorAll('button[type="submit"]')) {
    button.setAttribute('aria-busy', 'true');
  }
});

// Back/forward cache: a page shown again may hold a form marked as sent.
window.addEventListener('pageshow', () => {
  for (const form of document.querySelectorAll('form[data-submitting]')) {
    delete form.dataset.submitting;
    for (const button of form.querySelectorAll('[aria-busy]')) button.removeAttribute('aria-busy');
  }
});
