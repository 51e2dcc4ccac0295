// softphone.js: the browser softphone. One WebSocket to callroute (the
// agent channel: presence, rings, the WebRTC offer, call events), one
// RTCPeerConnection per answered call (callroute offers G.711 only, the page
// answers with the chosen microphone), and the call controls. The caller's
// file is drawn by screenpop.js.
//
// State for tests and debugging is on window.callroute.

import { byTest, h, show, clear, clock } from './dom.js';
import { Ringtone, audioContext, resumeAudio, audioBlocked } from './ringtone.js';
import { ScreenPop } from './screenpop.js';

const MIC_CONSTRAINTS = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };

const state = {
  ws: null,
  connected: false,
  reconnectDelay: 500,
  tab: '',
  user: null,
  team: [],
  agent: null,
  audio: true,
  ring: null,      // the ring on screen: {ring_id, call_id, file, ...}
  call: null,      // the call on screen: {call_id, since, device, held, muted, elsewhere}
  pc: null,
  mic: null,
  micId: '',
  speakerId: '',
  wrapUp: null,    // {call_id, until}
  lastError: '',
};
window.callroute = { state };

const ringtone = new Ringtone();
let pop = null;
let timer = null;

// ---- the agent channel -------------------------------------------------

function connect() {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = new WebSocket(`${proto}//${location.host}/softphone/ws?audio=${state.audio ? 'on' : 'off'}`);
  state.ws = ws;
  setConnection('connecting');
  ws.addEventListener('open', () => {
    state.reconnectDelay = 500;
  });
  ws.addEventListener('message', (ev) => {
    let m;
    try {
      m = JSON.parse(ev.data);
    } catch {
      return;
    }
    handle(m);
  });
  ws.addEventListener('close', () => {
    if (state.ws !== ws) return;
    state.connected = false;
    state.ws = null;
    setConnection('reconnecting');
    if (state.call && !state.call.elsewhere) {
      showError('The connection to callroute dropped: the call has ended. Reconnecting…');
      endCallUI('connection_lost');
    }
    hideRing();
    setTimeout(connect, state.reconnectDelay);
    state.reconnectDelay = Math.min(state.reconnectDelay * 2, 10000);
  });
}

function send(m) {
  if (state.ws && state.ws.readyState === WebSocket.OPEN) {
    state.ws.send(JSON.stringify(m));
    return true;
  }
  return false;
}

function handle(m) {
  switch (m.type) {
    case 'hello':
      state.connected = true;
      state.tab = m.tab;
      state.user = m.user;
      state.team = m.team || [];
      setConnection('connected');
      fillTransfer();
      if (m.agent) setAgent(m.agent);
      if (pop) pop.setTeam(state.team);
      break;
    case 'ping':
      send({ type: 'pong', n: m.n });
      break;
    case 'agent':
      setAgent(m.agent);
      break;
    case 'ring':
      onRing(m);
      break;
    case 'ring_end':
      onRingEnd(m);
      break;
    case 'offer':
      onOffer(m).catch((err) => {
        showError('The call could not be connected: ' + err.message);
        closePC();
      });
      break;
    case 'call':
      onCall(m);
      break;
    case 'call_end':
      onCallEnd(m);
      break;
    case 'error':
      showError(m.message);
      break;
  }
}

// ---- presence ----------------------------------------------------------

const PRESENCE_LABEL = { available: 'Available', away: 'Away', busy: 'Busy', offline: 'Offline' };

function setAgent(a) {
  state.agent = a;
  const badge = byTest('presence');
  let p = a.presence;
  let label = PRESENCE_LABEL[p] || p;
  if (p !== 'offline' && a.call_id) {
    p = 'oncall';
    label = a.offered ? 'Ringing' : 'On a call';
  } else if (p === 'available' && a.wrap_up) {
    p = 'wrapup';
    label = 'Wrap-up';
  }
  badge.textContent = label;
  badge.className = `presence presence--${p}`;
  const sel = byTest('presence-select');
  if (sel && document.activeElement !== sel) sel.value = a.chosen || 'available';
  show(byTest('auto-away'), !!a.auto_away);
}

function choosePresence(p) {
  resumeAudio();
  if (!send({ type: 'presence', presence: p })) showError('Not connected to callroute: try again in a moment.');
}

function setConnection(s) {
  const el = byTest('connection-status');
  el.dataset.state = s;
  el.textContent = { connecting: 'Connecting…', connected: 'Connected', reconnecting: 'Connection lost: reconnecting…' }[s] || s;
}

// ---- ringing -----------------------------------------------------------

function onRing(m) {
  if (state.call && !state.call.elsewhere) return; // busy on a call here: routing would not ring us
  state.ring = m;
  const file = m.file || {};
  byTest('caller-name').textContent = callerTitle(file, m.number);
  byTest('caller-number').textContent = file.national || m.number || '';
  byTest('caller-detail').textContent = callerDetail(file, m.stage);
  show(byTest('incoming-call'), true);
  show(byTest('idle'), false);
  byTest('answer').disabled = false;
  byTest('answer').focus({ preventScroll: true });
  pop.showFile(file, { callId: m.call_id, number: m.number, ringing: true });
  if (audioBlocked()) show(byTest('sound-hint'), true);
  ringtone.start();
  startTimer();
}

function callerTitle(file, number) {
  if (file.ambiguous) return 'Several contacts share this number';
  if (file.contact) return file.contact.name;
  if (file.company) return file.company.name;
  return 'New caller';
}

function callerDetail(file, stage) {
  const parts = [];
  if (file.contact && file.company) parts.push(file.company.name);
  if (file.owner) parts.push('Client of ' + file.owner.name);
  if (stage === 'delegate') parts.push('Delegated to you');
  if (stage === 'desk' && !file.known) parts.push('Ask for name and company');
  if (stage === 'transfer') parts.push('Transferred to you');
  return parts.join(' · ');
}

function onRingEnd(m) {
  if (!state.ring || state.ring.ring_id !== m.ring_id) return;
  const reason = {
    answered_elsewhere: 'Answered elsewhere',
    caller_left: 'The caller hung up',
    no_answer: 'Missed call',
    declined: 'Declined',
    failed: 'The call could not be connected' + (m.message ? ': ' + m.message : ''),
  }[m.reason] || 'Stopped ringing';
  if (m.reason === 'failed') showError(reason);
  else note(reason);
  closePC();
  hideRing();
  if (!state.call) pop.idle(reason);
}

function hideRing() {
  ringtone.stop();
  state.ring = null;
  show(byTest('incoming-call'), false);
  show(byTest('sound-hint'), false);
  if (!state.call) {
    show(byTest('idle'), true);
    stopTimer();
  }
}

async function answer() {
  const ring = state.ring;
  if (!ring) return;
  window.callroute.marks = { answer: performance.now() };
  resumeAudio();
  ringtone.stop();
  byTest('answer').disabled = true;
  byTest('caller-detail').textContent = 'Connecting…';
  try {
    state.mic = await getMic();
  } catch (err) {
    byTest('answer').disabled = false;
    showError(micMessage(err));
    return;
  }
  if (!send({ type: 'answer', ring_id: ring.ring_id })) {
    showError('Not connected to callroute: the call could not be answered.');
  }
}

function decline() {
  if (!state.ring) return;
  send({ type: 'decline', ring_id: state.ring.ring_id });
  hideRing();
}

// onOffer answers callroute's WebRTC offer with the microphone. Non-trickle:
// the answer goes once ICE gathering is complete (host candidates only,
// so it is quick), capped at 3 s.
async function onOffer(m) {
  const ring = state.ring;
  if (!ring || ring.ring_id !== m.ring_id) return;
  closePC();
  const pc = new RTCPeerConnection({ iceServers: [] });
  state.pc = pc;
  pc.addEventListener('track', (ev) => {
    const audio = byTest('remote-audio');
    audio.srcObject = ev.streams[0] || new MediaStream([ev.track]);
    if (state.speakerId && audio.setSinkId) audio.setSinkId(state.speakerId).catch(() => {});
    audio.play().catch(() => show(byTest('sound-hint'), true));
  });
  pc.addEventListener('connectionstatechange', () => {
    window.callroute.pcState = pc.connectionState;
    if (pc.connectionState === 'failed' && state.pc === pc) {
      showError('The call\u2019s audio connection failed (network or firewall).');
    }
  });
  await pc.setRemoteDescription({ type: 'offer', sdp: m.sdp });
  for (const track of state.mic.getAudioTracks()) pc.addTrack(track, state.mic);
  await pc.setLocalDescription(await pc.createAnswer());
  await gathered(pc, 3000);
  send({ type: 'sdp', ring_id: m.ring_id, sdp: pc.localDescription.sdp });
}

function gathered(pc, ms) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete') {
        clearTimeout(t);
        resolve();
      }
    });
  });
}

function closePC() {
  if (state.pc) {
    state.pc.close();
    state.pc = null;
  }
}

// ---- the call ----------------------------------------------------------

function onCall(m) {
  switch (m.state) {
    case 'connected': {
      const ring = state.ring;
      if (window.callroute.marks) window.callroute.marks.connected = performance.now();
      state.call = { call_id: m.call_id, since: Date.now(), device: m.device, held: false, muted: false, elsewhere: false,
        file: ring ? ring.file : null, number: ring ? ring.number : '' };
      hideRing();
      showCallUI();
      pop.inCall(m.call_id);
      break;
    }
    case 'held':
    case 'resumed':
      if (state.call && state.call.call_id === m.call_id) {
        state.call.held = m.state === 'held';
        renderCallControls();
      }
      break;
    case 'elsewhere':
      // Answered on a SIP desk phone (or another tab): the file and the
      // capture form, without audio here.
      if (state.call && !state.call.elsewhere) return;
      hideRing();
      state.call = { call_id: m.call_id, since: Date.now(), device: m.device, elsewhere: true, file: m.file, number: m.number };
      showCallUI();
      if (m.file) pop.showFile(m.file, { callId: m.call_id, number: m.number, ringing: false });
      pop.inCall(m.call_id);
      break;
  }
}

function showCallUI() {
  const c = state.call;
  const file = c.file || {};
  byTest('call-name').textContent = callerTitle(file, c.number);
  byTest('call-number').textContent = file.national || c.number || '';
  byTest('call-device').textContent = c.elsewhere ? 'On ' + deviceName(c.device) : '';
  show(byTest('in-call'), true);
  show(byTest('idle'), false);
  show(byTest('wrap-up'), false);
  for (const id of ['mute', 'hold', 'keypad-toggle', 'transfer-panel', 'hangup']) show(byTest(id), !c.elsewhere);
  renderCallControls();
  startTimer();
}

function deviceName(d) {
  if (!d) return 'another device';
  if (d === 'browser') return 'another browser tab';
  return 'your desk phone';
}

function renderCallControls() {
  const c = state.call;
  if (!c) return;
  const mute = byTest('mute');
  mute.setAttribute('aria-pressed', String(!!c.muted));
  mute.textContent = c.muted ? 'Unmute' : 'Mute';
  const hold = byTest('hold');
  hold.setAttribute('aria-pressed', String(!!c.held));
  hold.textContent = c.held ? 'Resume' : 'Hold';
  byTest('call-state').textContent = c.held ? 'On hold: the caller hears music' : (c.muted ? 'Muted' : '');
}

function hangup() {
  if (!state.call || state.call.elsewhere) return;
  send({ type: 'hangup', call_id: state.call.call_id });
}

function toggleMute() {
  const c = state.call;
  if (!c || !state.mic) return;
  c.muted = !c.muted;
  for (const t of state.mic.getAudioTracks()) t.enabled = !c.muted;
  renderCallControls();
}

function toggleHold() {
  const c = state.call;
  if (!c) return;
  send({ type: 'hold', call_id: c.call_id, on: !c.held });
}

// dtmf sends a key to the caller as RFC 4733 telephone-events on the call's
// audio (the bridge carries them to the SIP side).
function dtmf(key) {
  const c = state.call;
  if (!c || !state.pc) return;
  const sender = state.pc.getSenders().find((s) => s.track && s.track.kind === 'audio');
  if (!sender || !sender.dtmf || !sender.dtmf.canInsertDTMF) {
    showError('This call cannot send keypad tones.');
    return;
  }
  sender.dtmf.insertDTMF(key, 120, 70);
  const out = byTest('dtmf-sent');
  out.textContent = (out.textContent + key).slice(-24);
}

function transfer() {
  const c = state.call;
  if (!c) return;
  const to = Number(byTest('transfer-to').value || 0);
  send({ type: 'transfer', call_id: c.call_id, to_user_id: to });
  byTest('call-state').textContent = 'Transferring…';
}

function fillTransfer() {
  const sel = byTest('transfer-to');
  clear(sel);
  sel.append(h('option', { value: '0' }, 'The inbound desk'));
  for (const u of state.team) sel.append(h('option', { value: u.id }, u.name));
}

function onCallEnd(m) {
  if (state.ring && state.ring.call_id === m.call_id) hideRing();
  if (!state.call || state.call.call_id !== m.call_id) return;
  const reason = {
    agent_hung_up: 'You hung up',
    caller_hung_up: 'The caller hung up',
    transferred: 'Transferred',
    media_lost: 'The audio connection was lost',
    tab_gone: 'Ended',
    answered: 'Call ended',
  }[m.reason] || 'Call ended';
  if (m.reason === 'media_lost') showError('The call\u2019s audio connection was lost.');
  endCallUI(reason);
}

function endCallUI(reason) {
  const c = state.call;
  closePC();
  state.call = null;
  show(byTest('in-call'), false);
  byTest('dtmf-sent').textContent = '';
  stopTimer();
  if (c) {
    const until = state.agent && state.agent.wrap_up_until ? Date.parse(state.agent.wrap_up_until) : 0;
    state.wrapUp = { call_id: c.call_id, until };
    byTest('wrapup-reason').textContent = reason;
    show(byTest('wrap-up'), true);
    pop.wrapUp(c.call_id);
    startTimer();
  } else {
    show(byTest('idle'), true);
  }
}

function ready() {
  state.wrapUp = null;
  show(byTest('wrap-up'), false);
  show(byTest('idle'), true);
  send({ type: 'ready' });
  stopTimer();
  pop.idle('');
}

// ---- timers ------------------------------------------------------------

function startTimer() {
  if (!timer) timer = setInterval(tick, 250);
  tick();
}

function stopTimer() {
  clearInterval(timer);
  timer = null;
}

function tick() {
  if (state.ring) {
    const left = (Date.parse(state.ring.since) + state.ring.ring_ms - Date.now()) / 1000;
    byTest('ring-timer').textContent = left > 0 ? `${Math.ceil(left)} s` : '';
  }
  if (state.call) byTest('call-timer').textContent = clock((Date.now() - state.call.since) / 1000);
  if (state.wrapUp && state.wrapUp.until) {
    const left = (state.wrapUp.until - Date.now()) / 1000;
    byTest('wrapup-timer').textContent = left > 0 ? `Next call in ${Math.ceil(left)} s` : 'Ready for the next call';
  }
}

// ---- devices -----------------------------------------------------------

async function getMic() {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    throw Object.assign(new Error('no media devices'), { name: 'InsecureContext' });
  }
  const audio = { ...MIC_CONSTRAINTS, ...micOverrides() };
  if (state.micId) audio.deviceId = { exact: state.micId };
  const stream = await navigator.mediaDevices.getUserMedia({ audio });
  setMicState('ok');
  listDevices();
  return stream;
}

// micOverrides lets a test page (?rawmic=1) turn the microphone's processing
// off, so a test tone arrives unchanged.
function micOverrides() {
  if (new URLSearchParams(location.search).get('rawmic') === '1') {
    return { echoCancellation: false, noiseSuppression: false, autoGainControl: false };
  }
  return {};
}

function micMessage(err) {
  switch (err && err.name) {
    case 'NotAllowedError':
    case 'SecurityError':
      setMicState('blocked');
      return 'The microphone is blocked. Allow it for this site in the browser (the icon at the left of the address bar), then answer again.';
    case 'NotFoundError':
    case 'OverconstrainedError':
      setMicState('missing');
      return 'No microphone found. Plug one in, or choose another in the settings.';
    case 'NotReadableError':
      return 'The microphone is in use by another program.';
    case 'InsecureContext':
      return 'The browser allows the microphone only on a secure page: open callroute over https (or on this computer as localhost).';
  }
  return 'The microphone could not be opened: ' + (err ? err.message : 'unknown error');
}

function setMicState(s) {
  const el = byTest('mic-state');
  el.dataset.state = s;
  el.textContent = { ok: 'Microphone ready', blocked: 'Microphone blocked', missing: 'No microphone', unknown: 'Microphone: asked when you answer' }[s] || s;
}

async function listDevices() {
  if (!navigator.mediaDevices || !navigator.mediaDevices.enumerateDevices) return;
  const devices = await navigator.mediaDevices.enumerateDevices();
  const fill = (sel, kind, current) => {
    if (!sel) return;
    clear(sel);
    sel.append(h('option', { value: '' }, 'System default'));
    for (const d of devices.filter((x) => x.kind === kind)) {
      if (!d.deviceId || d.deviceId === 'default') continue;
      sel.append(h('option', { value: d.deviceId, selected: d.deviceId === current }, d.label || kind));
    }
  };
  fill(byTest('mic-select'), 'audioinput', state.micId);
  const speakers = byTest('speaker-select');
  if (HTMLMediaElement.prototype.setSinkId) fill(speakers, 'audiooutput', state.speakerId);
  else show(byTest('speaker-row'), false);
}

// ---- messages ----------------------------------------------------------

function showError(msg) {
  state.lastError = msg;
  const el = byTest('error-banner');
  byTest('error-text').textContent = msg;
  show(el, true);
}

function note(msg) {
  const el = byTest('notice');
  el.textContent = msg;
  show(el, true);
  clearTimeout(note.t);
  note.t = setTimeout(() => show(el, false), 6000);
}

// ---- start -------------------------------------------------------------

function start() {
  const root = byTest('softphone');
  if (!root) return;
  state.audio = localStorage.getItem('callroute.audio') !== 'off';
  byTest('audio-toggle').checked = state.audio;
  state.micId = localStorage.getItem('callroute.mic') || '';
  state.speakerId = localStorage.getItem('callroute.speaker') || '';
  pop = new ScreenPop(byTest('screenpop-slot'), {
    onError: showError,
    onNote: note,
    // A saved capture names the caller on the call card too.
    onSaved: (file) => {
      if (!state.call) return;
      state.call.file = file;
      byTest('call-name').textContent = callerTitle(file, state.call.number);
    },
  });
  pop.idle('');

  document.addEventListener('pointerdown', resumeAudio, { capture: true });
  byTest('answer').addEventListener('click', answer);
  byTest('decline').addEventListener('click', decline);
  byTest('hangup').addEventListener('click', hangup);
  byTest('mute').addEventListener('click', toggleMute);
  byTest('hold').addEventListener('click', toggleHold);
  byTest('transfer').addEventListener('click', transfer);
  byTest('ready').addEventListener('click', ready);
  byTest('error-close').addEventListener('click', () => show(byTest('error-banner'), false));
  byTest('keypad-toggle').addEventListener('click', () => {
    const pad = byTest('keypad');
    pad.hidden = !pad.hidden;
    byTest('keypad-toggle').setAttribute('aria-expanded', String(!pad.hidden));
  });
  for (const b of root.querySelectorAll('[data-key]')) b.addEventListener('click', () => dtmf(b.dataset.key));
  byTest('presence-select').addEventListener('change', (ev) => choosePresence(ev.target.value));
  byTest('mic-select').addEventListener('change', (ev) => {
    state.micId = ev.target.value;
    localStorage.setItem('callroute.mic', state.micId);
  });
  byTest('speaker-select').addEventListener('change', (ev) => {
    state.speakerId = ev.target.value;
    localStorage.setItem('callroute.speaker', state.speakerId);
    const audio = byTest('remote-audio');
    if (audio.setSinkId) audio.setSinkId(state.speakerId).catch(() => {});
  });
  byTest('audio-toggle').addEventListener('change', (ev) => {
    state.audio = ev.target.checked;
    localStorage.setItem('callroute.audio', state.audio ? 'on' : 'off');
    // The channel says at connection whether this tab rings: reconnect.
    if (state.ws && !(state.call && !state.call.elsewhere)) state.ws.close();
  });
  byTest('mic-test').addEventListener('click', async () => {
    try {
      const s = await getMic();
      for (const t of s.getTracks()) t.stop();
      note('The microphone works.');
    } catch (err) {
      showError(micMessage(err));
    }
  });
  document.addEventListener('keydown', (ev) => {
    if (ev.target.closest && ev.target.closest('input, textarea, select')) return;
    if (state.call && !state.call.elsewhere && /^[0-9*#]$/.test(ev.key) && !byTest('keypad').hidden) dtmf(ev.key);
  });

  setMicState('unknown');
  if (navigator.permissions && navigator.permissions.query) {
    navigator.permissions.query({ name: 'microphone' }).then((p) => {
      const apply = () => setMicState({ granted: 'ok', denied: 'blocked' }[p.state] || 'unknown');
      apply();
      p.onchange = apply;
      if (p.state === 'granted') listDevices();
    }).catch(() => {});
  }
  if (!window.isSecureContext) {
    showError('This page is not served over https: the browser will refuse the microphone. Open callroute over https, or as localhost on this computer.');
  }
  audioContext();
  connect();
}

start();
