// callroute browsertest audio probe. Injected by Tab.InstallAudioProbe before
// the page's own scripts run; never part of callroute's pages.
//
// It wraps RTCPeerConnection so that every remote audio track is analysed:
// window.__callrouteAudio holds the latest analysis of the newest live remote
// audio track, {peakHz, peakDb, rmsDb, at, seq, track, sampleRate,
// contextState, tracks, ended}, refreshed every 100 ms, and
// window.__callrouteProbe.stats() summarises getStats() of every
// RTCPeerConnection the page made.
(() => {
  'use strict';
  if (window.__callrouteProbe || typeof window.RTCPeerConnection !== 'function') {
    return;
  }
  const FFT_SIZE = 8192;
  const MIN_HZ = 100;
  const MAX_HZ = 3900;
  const INTERVAL_MS = 100;
  const FLOOR_DB = -200; // stands for -Infinity, which JSON cannot carry
  const MAX_ERRORS = 20;

  const probe = {pcs: [], tracks: [], errors: [], ctx: null, stats};
  window.__callrouteProbe = probe;
  window.__callrouteAudio = null;

  function note(where, e) {
    const msg = where + ': ' + (e && e.name ? e.name + ': ' + e.message : String(e));
    probe.errors.push(msg);
    if (probe.errors.length > MAX_ERRORS) {
      probe.errors.shift();
    }
    console.warn('callroute audio probe: ' + msg);
  }

  // One AudioContext per page. Headless Chromium's fake output runs at
  // 44100 Hz, so bin widths come from ctx.sampleRate, never from a constant.
  // The harness launches Chromium with --autoplay-policy=no-user-gesture-required,
  // so a context made here, outside any gesture, starts running; resume() is
  // a second line of defence and its failure is reported, not swallowed.
  function audioContext() {
    if (!probe.ctx) {
      probe.ctx = new AudioContext();
    }
    if (probe.ctx.state === 'suspended') {
      probe.ctx.resume().catch((e) => note('AudioContext.resume', e));
    }
    return probe.ctx;
  }

  function analyse(entry) {
    const {analyser, freq, time, ctx} = entry;
    analyser.getFloatFrequencyData(freq);
    analyser.getFloatTimeDomainData(time);
    const bin = ctx.sampleRate / FFT_SIZE;
    const lo = Math.max(1, Math.ceil(MIN_HZ / bin));
    const hi = Math.min(freq.length - 2, Math.floor(MAX_HZ / bin));
    let k = lo;
    for (let i = lo + 1; i <= hi; i++) {
      if (freq[i] > freq[k]) {
        k = i;
      }
    }
    let peakHz = 0;
    let peakDb = FLOOR_DB;
    if (Number.isFinite(freq[k])) {
      // Parabolic interpolation over the dB values of the peak bin and its
      // neighbours refines the peak to a fraction of a 5.4 Hz bin.
      const a = freq[k - 1];
      const b = freq[k];
      const c = freq[k + 1];
      const d = a - 2 * b + c;
      const p = Number.isFinite(a) && Number.isFinite(c) && d !== 0 ? (0.5 * (a - c)) / d : 0;
      peakHz = (k + p) * bin;
      peakDb = Math.max(FLOOR_DB, b);
    }
    let sum = 0;
    for (let i = 0; i < time.length; i++) {
      sum += time[i] * time[i];
    }
    const rms = Math.sqrt(sum / time.length);
    const rmsDb = rms > 0 ? Math.max(FLOOR_DB, 20 * Math.log10(rms)) : FLOOR_DB;
    entry.seq++;
    entry.reading = {
      peakHz, peakDb, rmsDb,
      at: performance.now(),
      seq: entry.seq,
      track: entry.id,
      sampleRate: ctx.sampleRate,
      contextState: ctx.state,
      tracks: probe.tracks.length,
      ended: entry.track.readyState === 'ended',
    };
    // Publish the newest live track, so a second call in the same page is
    // what the test hears; with none live, the newest track's last reading
    // (marked ended), so a hang-up does not leave a stale tone behind.
    const live = probe.tracks.filter((t) => t.track.readyState === 'live');
    const current = live.length ? live[live.length - 1] : probe.tracks[probe.tracks.length - 1];
    if (current === entry) {
      window.__callrouteAudio = entry.reading;
    }
  }

  function attach(track) {
    if (track.kind !== 'audio' || probe.tracks.some((t) => t.track === track)) {
      return;
    }
    try {
      const stream = new MediaStream([track]);
      // WebAudio hears pure silence from a remote stream unless the same
      // stream also plays in a media element; a muted one is enough and
      // stays out of the page's DOM.
      const el = new Audio();
      el.muted = true;
      el.srcObject = stream;
      el.play().catch((e) => note('audio.play', e));
      const ctx = audioContext();
      const source = ctx.createMediaStreamSource(stream);
      const analyser = ctx.createAnalyser();
      analyser.fftSize = FFT_SIZE;
      analyser.smoothingTimeConstant = 0;
      const sink = ctx.createGain();
      sink.gain.value = 0;
      source.connect(analyser);
      analyser.connect(sink);
      sink.connect(ctx.destination);
      const entry = {
        id: track.id, track, el, ctx, source, analyser, sink, seq: 0, reading: null,
        freq: new Float32Array(analyser.frequencyBinCount),
        time: new Float32Array(analyser.fftSize),
      };
      probe.tracks.push(entry);
      entry.timer = setInterval(() => {
        try {
          analyse(entry);
        } catch (e) {
          note('analyse', e);
        }
        if (track.readyState === 'ended') {
          clearInterval(entry.timer);
        }
      }, INTERVAL_MS);
    } catch (e) {
      note('attach', e);
    }
  }

  const Native = window.RTCPeerConnection;
  class ProbedRTCPeerConnection extends Native {
    constructor(...args) {
      super(...args);
      probe.pcs.push(this);
      // addEventListener, so a page's own ontrack stays untouched.
      this.addEventListener('track', (ev) => attach(ev.track));
    }
  }
  window.RTCPeerConnection = ProbedRTCPeerConnection;
  if (window.webkitRTCPeerConnection) {
    window.webkitRTCPeerConnection = ProbedRTCPeerConnection;
  }

  function candidate(c) {
    return c ? c.candidateType + ' ' + (c.address || c.ip) + ':' + c.port + '/' + c.protocol : '';
  }

  async function summary(pc, index) {
    const out = {
      index,
      connectionState: pc.connectionState,
      iceConnectionState: pc.iceConnectionState,
      signalingState: pc.signalingState,
    };
    const report = await pc.getStats();
    const byId = new Map();
    report.forEach((s) => byId.set(s.id, s));
    const codec = (id) => {
      const c = id && byId.get(id);
      return c ? c.mimeType.replace(/^audio\//, '') + '/' + c.clockRate + ' pt=' + c.payloadType : '';
    };
    report.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'audio') {
        out.inboundCodec = codec(s.codecId);
        out.packetsReceived = s.packetsReceived || 0;
        out.packetsLost = s.packetsLost || 0;
        out.jitter = s.jitter || 0;
        out.concealedSamples = s.concealedSamples || 0;
        out.totalSamplesReceived = s.totalSamplesReceived || 0;
      } else if (s.type === 'outbound-rtp' && s.kind === 'audio') {
        out.outboundCodec = codec(s.codecId);
        out.packetsSent = s.packetsSent || 0;
      } else if (s.type === 'transport') {
        out.dtlsState = s.dtlsState;
        const pair = s.selectedCandidatePairId && byId.get(s.selectedCandidatePairId);
        if (pair) {
          out.localCandidate = candidate(byId.get(pair.localCandidateId));
          out.remoteCandidate = candidate(byId.get(pair.remoteCandidateId));
          out.pairState = pair.state;
        }
      }
    });
    return out;
  }

  function stats() {
    return Promise.all(probe.pcs.map((pc, i) => summary(pc, i).catch((e) => ({index: i, error: String(e)}))));
  }
})();
