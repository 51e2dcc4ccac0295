// screenpop.js: the caller's file beside the softphone, and the form that
// asks for what is missing. For a new caller the name and company are
// required (the rule of the desk); the rest as far as the caller gives it.
// Saving creates or completes the contact, the company and the interest
// and attaches the call to them (POST /api/v1/calls/{id}/capture); someone
// else's change meanwhile is shown, never overwritten silently.

import { api, APIError } from './api.js';
import { byTest, h, show, clear, when, day } from './dom.js';

const STAGES = [
  ['new', 'New'], ['meeting', 'Meeting'], ['offer', 'Offer sent'], ['waiting', 'Waiting'], ['won', 'Won'], ['lost', 'Lost'],
];
const LOST = [['unreachable', 'Unreachable'], ['competitor', 'Lost to a competitor'], ['not_promising', 'Not promising'], ['other', 'Other']];
const PHONE_KINDS = [['mobile', 'Mobile'], ['work', 'Work'], ['other', 'Other']];
const OUTCOMES = [
  ['interested', 'Interested'], ['call_back', 'Call back'], ['info_given', 'Information given'], ['sale', 'Sale'],
  ['not_interested', 'Not interested'], ['wrong_number', 'Wrong number'], ['other', 'Other'],
];
const KIND_LABEL = { call: 'Call', email: 'Email', meeting: 'Meeting', note: 'Note' };
const OUTCOME_LABEL = { answered: 'answered', missed: 'missed', voicemail: 'voicemail', abandoned: 'caller hung up' };
const STAGE_LABEL = Object.fromEntries(STAGES);

export class ScreenPop {
  constructor(root, { onError, onNote, onSaved }) {
    this.root = root;
    this.onError = onError;
    this.onNote = onNote;
    this.onSaved = onSaved || (() => {});
    this.team = [];
    this.file = null;
    this.callId = '';
    this.number = '';
    this.live = false;
    this.saved = null; // the last CaptureResult
    this.bindWrapUp();
  }

  setTeam(team) {
    this.team = team || [];
    if (this.file) this.render();
  }

  idle(reason) {
    this.file = null;
    this.callId = '';
    clear(this.root);
    this.root.append(h('div', { class: 'empty', 'data-testid': 'screenpop-idle' },
      h('p', { class: 'empty__title' }, reason || 'No call right now'),
      h('p', { class: 'muted' }, 'When a call rings, the caller\u2019s file opens here, with what is still to ask.')));
  }

  // showFile draws the caller's file; the form is live once the call is.
  showFile(file, { callId, number, ringing }) {
    this.file = file || {};
    this.callId = callId;
    this.number = number || this.file.e164 || '';
    this.live = !ringing;
    this.saved = null;
    this.render();
  }

  inCall(callId) {
    if (this.callId !== callId) return;
    this.live = true;
    const form = byTest('capture-form', this.root);
    if (form) {
      for (const el of form.elements) el.disabled = false;
      const first = Array.from(form.querySelectorAll('input[type="text"]')).find((el) => !el.value);
      if (first && !form.dataset.saved) first.focus({ preventScroll: true });
    }
  }

  // ---- the file ------------------------------------------------------

  render() {
    const f = this.file;
    clear(this.root);
    const card = h('section', { class: 'file', 'data-testid': 'screenpop', 'aria-live': 'polite' });
    card.append(this.header(f));
    if (f.ambiguous) card.append(this.matches(f));
    if (f.restricted) {
      card.append(h('p', { class: 'notice notice--info' }, 'This caller is a client of ' +
        (f.owner ? f.owner.name : 'another manager') + '. Take a message; their file is theirs.'));
    }
    if (!f.restricted) {
      card.append(this.interests(f));
      card.append(this.recent(f));
    }
    this.root.append(card);
    if (!f.restricted && !f.ambiguous) this.root.append(this.form(f));
  }

  header(f) {
    const c = f.contact;
    const co = f.company;
    const name = c ? c.name : (co ? co.name : 'New caller');
    const head = h('header', { class: 'file__header' },
      h('div', {},
        h('h2', { class: 'file__name', 'data-testid': 'screenpop-name' }, name),
        h('p', { class: 'file__sub' },
          c && c.position ? c.position + (co ? ' at ' : '') : '',
          co && c ? h('span', { 'data-testid': 'screenpop-company' }, co.name) : '',
          !c && co ? 'Switchboard number' : '')),
      h('div', { class: 'file__meta' },
        h('span', { class: 'file__number' }, f.national || this.number),
        f.owner ? h('span', { class: 'tag', 'data-testid': 'screenpop-owner' }, 'Owner: ' + f.owner.name)
          : h('span', { class: 'tag tag--new' }, f.known ? 'No owner' : 'Not in the client base')));
    if (!f.known) {
      head.append(h('p', { class: 'notice notice--accent', 'data-testid': 'new-caller' },
        'New caller: ask for their name and company, and what they need.'));
    }
    if (f.delegation && f.target) {
      head.append(h('p', { class: 'muted small' }, `${f.owner ? f.owner.name : 'The owner'} is away until ${day(f.delegation.ends)}: the call is yours as the delegate.`));
    }
    if (c) {
      const facts = h('dl', { class: 'facts facts--inline' });
      const add = (k, v) => { if (v) facts.append(h('dt', {}, k), h('dd', {}, v)); };
      add('Email', c.email);
      add('Phones', (c.phones || []).map((p) => p.e164).join(', '));
      add('Messenger', c.messenger);
      if (co) {
        add('Website', co.website);
        add('Size', co.size ? co.size + ' employees' : '');
        add('Industry', co.industry);
      }
      if (facts.childElementCount) head.append(facts);
    }
    return head;
  }

  matches(f) {
    const list = h('ul', { class: 'list' });
    for (const m of f.matches || []) {
      list.append(h('li', {}, h('strong', {}, m.contact ? m.contact.name : '?'), m.company ? ' · ' + m.company.name : '',
        m.owner ? ' · owner ' + m.owner.name : ''));
    }
    return h('div', { class: 'notice notice--warn' },
      h('p', {}, 'Several contacts share this number. Ask who is calling:'), list);
  }

  interests(f) {
    const open = f.open_interests || [];
    const box = h('section', { class: 'file__section' }, h('h3', {}, 'Open interests'));
    if (!open.length) {
      box.append(h('p', { class: 'muted' }, 'None yet.'));
      return box;
    }
    const list = h('ul', { class: 'list', 'data-testid': 'screenpop-interests' });
    for (const it of open) {
      const overdue = it.next_follow_up && Date.parse(it.next_follow_up) < Date.now();
      list.append(h('li', { class: 'interest', 'data-testid': 'screenpop-interest' },
        h('span', { class: `stage stage--${it.stage}` }, STAGE_LABEL[it.stage] || it.stage),
        h('span', { class: 'interest__title' }, it.title),
        it.next_follow_up ? h('span', { class: overdue ? 'due due--late' : 'due' }, 'Follow up ' + day(it.next_follow_up)) : ''));
    }
    box.append(list);
    return box;
  }

  recent(f) {
    const items = f.recent || [];
    const box = h('section', { class: 'file__section' }, h('h3', {}, 'Last interactions'));
    if (!items.length) {
      box.append(h('p', { class: 'muted' }, 'Nothing on the timeline yet.'));
      return box;
    }
    const list = h('ol', { class: 'timeline', 'data-testid': 'screenpop-recent' });
    for (const it of items.slice(0, 5)) {
      const what = [KIND_LABEL[it.kind] || it.kind];
      if (it.kind === 'call') what.push(it.direction === 'outbound' ? 'out' : 'in', OUTCOME_LABEL[it.outcome] || it.outcome || '');
      list.append(h('li', {},
        h('span', { class: 'timeline__when' }, when(it.at)),
        h('span', { class: 'timeline__what' }, what.filter(Boolean).join(', ')),
        it.notes ? h('span', { class: 'timeline__note' }, it.notes) : (it.subject ? h('span', { class: 'timeline__note' }, it.subject) : '')));
    }
    box.append(list);
    return box;
  }

  // ---- the capture form ----------------------------------------------

  form(f) {
    const c = f.contact || {};
    const co = f.company || {};
    const isNew = !f.contact;
    const missing = new Set(f.missing || []);
    const required = new Set(f.required || []);
    const form = h('form', { class: 'capture', 'data-testid': 'capture-form', novalidate: true });
    form.append(h('h3', {}, isNew ? 'Record the caller' : (missing.size ? 'Complete the file' : 'Update the file')));

    const field = (name, label, input, hint) => {
      const want = missing.has(name) || missing.has(input.dataset.missing || '');
      const req = required.has(name);
      input.dataset.field = input.dataset.field || name;
      input.id = 'capture-' + name;
      if (req) input.setAttribute('aria-required', 'true');
      const row = h('div', { class: 'field' + (want ? ' field--missing' : '') + (req ? ' field--required' : '') },
        h('label', { for: input.id }, label, req ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : '',
          want && !req ? h('span', { class: 'ask' }, ' ask') : ''),
        input,
        hint ? h('small', { class: 'muted' }, hint) : '',
        h('small', { class: 'field__error', 'data-error-for': input.dataset.field, hidden: true }));
      return row;
    };
    const text = (testid, value, attrs = {}) => h('input', { type: 'text', 'data-testid': testid, value: value || '', autocomplete: 'off', ...attrs });
    const select = (testid, options, value) => {
      const s = h('select', { 'data-testid': testid });
      for (const [v, l] of options) s.append(h('option', { value: v, selected: v === value }, l));
      return s;
    };

    const person = h('fieldset', { class: 'capture__group' }, h('legend', {}, 'Who is calling'));
    person.append(
      field('name', 'Name', text('capture-name', c.name)),
      field('company', 'Company', text('capture-company', co.name, { 'data-field': 'company_name' })),
      field('position', 'Position', text('capture-position', c.position)),
      field('email', 'Email', text('capture-email', c.email, { type: 'email', inputmode: 'email' })));
    const known = new Set((c.phones || []).map((p) => p.e164));
    const phone = text('capture-phone', known.has(this.number) ? '' : (f.national || this.number), { type: 'tel', 'data-field': 'phones[0].e164', 'data-missing': 'phones' });
    const kind = select('capture-phone-kind', PHONE_KINDS, 'mobile');
    const phoneRow = field('phones', 'Phone', phone, known.has(this.number) ? 'The calling number is on file.' : 'The number that called; correct it if the caller says so.');
    const both = h('div', { class: 'phone-input' });
    phone.replaceWith(both);
    both.append(phone, kind);
    person.append(phoneRow, field('messenger', 'Messenger', text('capture-messenger', c.messenger, { placeholder: 'e.g. WhatsApp +40…' })));

    const company = h('fieldset', { class: 'capture__group' }, h('legend', {}, 'Company'));
    company.append(
      field('website', 'Website', text('capture-website', co.website, { type: 'url', inputmode: 'url', placeholder: 'https://' })),
      field('company_size', 'Employees', text('capture-size', co.size ? String(co.size) : '', { inputmode: 'numeric', 'data-field': 'size' })),
      field('industry', 'Industry', text('capture-industry', co.industry)));

    const need = h('fieldset', { class: 'capture__group' }, h('legend', {}, 'What they need'));
    const open = f.open_interests || [];
    const pick = select('capture-interest', [['', 'A new interest'], ...open.map((i) => [String(i.id), i.title])], open.length ? String(open[0].id) : '');
    const chosen = () => open.find((i) => String(i.id) === pick.value);
    const first = open[0] || {};
    const title = text('capture-title', '', { placeholder: 'e.g. Toner contract for 3 offices' });
    const needText = h('textarea', { 'data-testid': 'capture-need', rows: 2, placeholder: 'In the caller\u2019s words' }, '');
    const stage = select('capture-stage', STAGES, first.stage || 'new');
    const lost = select('capture-lost-reason', [['', '—'], ...LOST], first.lost_reason || '');
    const follow = h('input', { type: 'date', 'data-testid': 'capture-follow-up', value: first.next_follow_up ? first.next_follow_up.slice(0, 10) : '' });
    const managers = this.team.filter((u) => u.role === 'manager' || u.role === 'head');
    const ownerOpts = [['', f.owner ? f.owner.name + ' (keep)' : 'Choose later'], ...managers.map((u) => [String(u.id), u.name])];
    const owner = select('capture-owner', ownerOpts, '');
    const titleRow = field('title', 'Interest', title);
    const lostRow = field('lost_reason', 'Lost because', lost);
    need.append(
      open.length ? field('interest_id', 'Interest', pick) : '',
      titleRow,
      field('need', 'Need', needText),
      field('stage', 'Stage', stage),
      lostRow,
      field('next_follow_up', 'Next follow-up', follow),
      field('owner_id', 'Owning manager', owner, f.owner ? 'Changing an existing client\u2019s owner is the head of sales\u2019.' : ''));
    const sync = () => {
      const it = chosen();
      show(titleRow, !it);
      stage.value = it ? it.stage : (stage.value || 'new');
      follow.value = it && it.next_follow_up ? it.next_follow_up.slice(0, 10) : (it ? '' : follow.value);
      show(lostRow, stage.value === 'lost');
    };
    pick.addEventListener('change', sync);
    stage.addEventListener('change', () => show(lostRow, stage.value === 'lost'));
    sync();

    const actions = h('div', { class: 'capture__actions' },
      h('button', { type: 'submit', class: 'button button--primary', 'data-testid': 'capture-save' }, 'Save'),
      h('span', { class: 'muted small', 'data-testid': 'capture-status', role: 'status' }));
    const conflict = h('div', { class: 'notice notice--warn', 'data-testid': 'capture-conflict', hidden: true });
    const error = h('p', { class: 'notice notice--danger', 'data-testid': 'capture-error', hidden: true });
    form.append(person, company, need, error, conflict, actions);
    for (const el of form.elements) el.disabled = !this.live;

    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.save(form, { isNew, chosen }).catch((err) => this.onError(err.message));
    });
    return form;
  }

  // body builds the capture from the form: every value the answerer
  // entered or changed, with the versions of the records the screen shows.
  body(form, { chosen }, versions) {
    const f = this.file;
    const c = f.contact || null;
    const co = f.company || null;
    const val = (id) => byTest(id, form).value.trim();
    const b = {};
    const put = (key, v, before) => {
      if (v !== (before || '')) b[key] = v;
    };
    if (c) {
      b.contact_id = c.id;
      b.contact_version = versions.contact ?? c.version;
    }
    put('name', val('capture-name'), c && c.name);
    put('position', val('capture-position'), c && c.position);
    put('email', val('capture-email'), c && c.email);
    put('messenger', val('capture-messenger'), c && c.messenger);
    const phone = val('capture-phone');
    if (phone) b.phones = [{ kind: byTest('capture-phone-kind', form).value, e164: phone }];
    if (co) {
      b.company_id = co.id;
      b.company_version = versions.company ?? co.version;
      put('company_name', val('capture-company'), co.name);
    } else if (val('capture-company')) {
      b.company_name = val('capture-company');
    }
    put('website', val('capture-website'), co && co.website);
    put('industry', val('capture-industry'), co && co.industry);
    const size = val('capture-size');
    if (size !== (co && co.size ? String(co.size) : '')) b.size = size === '' ? 0 : (/^\d+$/.test(size) ? Number(size) : size);
    const it = chosen();
    const stage = byTest('capture-stage', form).value;
    const follow = byTest('capture-follow-up', form).value;
    const need = val('capture-need');
    if (it) {
      b.interest_id = it.id;
      b.interest_version = versions.interest ?? it.version;
      if (stage !== it.stage) b.stage = stage;
      const was = it.next_follow_up ? it.next_follow_up.slice(0, 10) : '';
      if (follow !== was && follow) b.next_follow_up = new Date(follow + 'T09:00:00').toISOString();
      if (need) b.need = need;
    } else {
      const title = val('capture-title');
      if (title) b.title = title;
      if (need) b.need = need;
      if (title || need || stage !== 'new') b.stage = stage;
      if (follow) b.next_follow_up = new Date(follow + 'T09:00:00').toISOString();
    }
    if (b.stage === 'lost') b.lost_reason = byTest('capture-lost-reason', form).value;
    const owner = byTest('capture-owner', form).value;
    if (owner) b.owner_id = Number(owner);
    return b;
  }

  async save(form, opts, versions = {}) {
    const status = byTest('capture-status', form);
    const errorBox = byTest('capture-error', form);
    const conflict = byTest('capture-conflict', form);
    for (const el of form.querySelectorAll('[data-error-for]')) show(el, false);
    for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
    show(errorBox, false);
    show(conflict, false);
    status.textContent = 'Saving…';
    const body = this.body(form, opts, versions);
    try {
      const res = await api('POST', `/calls/${encodeURIComponent(this.callId)}/capture`, body);
      this.saved = res;
      this.absorb(res);
      // The file now shows what was saved; the form goes on from it.
      this.render();
      const again = byTest('capture-form', this.root);
      again.dataset.saved = 'true';
      this.inCall(this.callId);
      byTest('capture-status', again).textContent = 'Saved ' + new Date().toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
      this.onSaved(this.file);
      this.onNote('Saved: the call is on ' + (res.contact ? res.contact.name : 'the client') + '\u2019s timeline.');
    } catch (err) {
      status.textContent = '';
      if (!(err instanceof APIError)) throw err;
      if (err.status === 409 && err.body) {
        this.showConflict(form, opts, err.body);
        return;
      }
      const field = err.body && err.body.field;
      const target = field && form.querySelector(`[data-field="${CSS.escape(field)}"]`);
      if (target) {
        target.setAttribute('aria-invalid', 'true');
        const msg = form.querySelector(`[data-error-for="${CSS.escape(field)}"]`);
        if (msg) {
          msg.textContent = err.message;
          show(msg, true);
        }
        target.focus();
      }
      errorBox.textContent = err.message;
      show(errorBox, true);
    }
  }

  // absorb takes the saved records into the file, so that the next save
  // names their new versions.
  absorb(res) {
    const f = this.file;
    if (res.contact) f.contact = res.contact;
    if (res.company) f.company = res.company;
    if (res.interest) {
      const open = (f.open_interests || []).filter((i) => i.id !== res.interest.id);
      if (!res.interest.closed_at) open.unshift(res.interest);
      f.open_interests = open;
    }
    f.known = true;
    f.missing = [];
    f.required = [];
  }

  // showConflict shows what someone else saved meanwhile, beside what the
  // answerer typed; they choose to take the file as it is now, or to save
  // their values over it knowingly.
  showConflict(form, opts, body) {
    const box = byTest('capture-conflict', form);
    clear(box);
    const cur = body.current || {};
    const what = (body.stale || []).concat(body.fields || []);
    box.append(h('p', {}, h('strong', {}, 'Someone else changed this file while you were typing: nothing was saved.'),
      what.length ? ' Changed meanwhile: ' + what.join(', ') + '.' : ''));
    const rows = h('ul', { class: 'list' });
    if (cur.contact) rows.append(h('li', {}, 'Contact now: ' + [cur.contact.name, cur.contact.position, cur.contact.email].filter(Boolean).join(', ')));
    if (cur.company) rows.append(h('li', {}, 'Company now: ' + [cur.company.name, cur.company.website, cur.company.industry].filter(Boolean).join(', ')));
    if (cur.interest) rows.append(h('li', {}, 'Interest now: ' + cur.interest.title + ' (' + (STAGE_LABEL[cur.interest.stage] || cur.interest.stage) + ')'));
    box.append(rows);
    const theirs = h('button', { type: 'button', class: 'button', 'data-testid': 'conflict-take-theirs' }, 'Use the file as it is now');
    const mine = h('button', { type: 'button', class: 'button button--primary', 'data-testid': 'conflict-keep-mine' }, 'Save my values over it');
    box.append(h('div', { class: 'capture__actions' }, theirs, mine));
    theirs.addEventListener('click', () => {
      this.absorb(cur);
      this.render();
      this.inCall(this.callId);
    });
    mine.addEventListener('click', () => {
      const v = {
        contact: cur.contact ? cur.contact.version : undefined,
        company: cur.company ? cur.company.version : undefined,
        interest: cur.interest ? cur.interest.version : undefined,
      };
      this.save(form, opts, v).catch((err) => this.onError(err.message));
    });
    show(box, true);
  }

  // ---- the wrap-up ---------------------------------------------------

  bindWrapUp() {
    const sel = byTest('wrapup-outcome');
    if (!sel) return;
    clear(sel);
    sel.append(h('option', { value: '' }, 'How did it go?'));
    for (const [v, l] of OUTCOMES) sel.append(h('option', { value: v }, l));
    sel.addEventListener('change', () => show(byTest('wrapup-callback-row'), sel.value === 'call_back'));
    byTest('wrapup-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.saveWrapUp().catch((err) => this.onError(err.message));
    });
  }

  wrapUp(callId) {
    this.wrapCall = callId;
    byTest('wrapup-note').value = '';
    byTest('wrapup-outcome').value = '';
    byTest('wrapup-status').textContent = '';
    show(byTest('wrapup-callback-row'), false);
    const form = byTest('capture-form', this.root);
    if (form && !form.dataset.saved) {
      byTest('wrapup-status').textContent = this.file && !this.file.known ? 'The caller is not recorded yet: save their name and company.' : '';
    }
  }

  async saveWrapUp() {
    const status = byTest('wrapup-status');
    const body = { note: byTest('wrapup-note').value.trim(), outcome: byTest('wrapup-outcome').value };
    const at = byTest('wrapup-callback').value;
    if (body.outcome === 'call_back' && at) body.call_back_at = new Date(at).toISOString();
    try {
      await api('POST', `/calls/${encodeURIComponent(this.wrapCall)}/wrapup`, body);
      status.textContent = 'Saved';
      byTest('wrapup-form').dataset.saved = 'true';
    } catch (err) {
      if (!(err instanceof APIError)) throw err;
      status.textContent = err.message;
    }
  }
}
