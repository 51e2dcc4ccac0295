// ringtone.js: the incoming-call ring, generated with WebAudio (nothing to
// download): two soft tones, 1 s on, 2 s off, until stopped.

let ctx = null;

// audioContext returns the page's AudioContext, made on first use. A
// browser starts it suspended until the user has clicked the page once;
// resumeAudio (on any click) wakes it.
export function audioContext() {
  if (!ctx) {
    const AC = window.AudioContext || window.webkitAudioContext;
    if (!AC) return null;
    ctx = new AC();
  }
  return ctx;
}

export function resumeAudio() {
  const c = audioContext();
  if (c && c.state === 'suspended') c.resume().catch(() => {});
}

// audioBlocked says whether the browser still holds sound back (no click
// on the page yet): the page asks for one.
export function audioBlocked() {
  const c = audioContext();
  return !!c && c.state === 'suspended';
}

export class Ringtone {
  constructor() {
    this.timer = null;
    this.nodes = [];
    this.sinkId = '';
  }

  start() {
    if (this.timer) return;
    const burst = () => this.burst();
    burst();
    this.timer = setInterval(burst, 3000);
  }

  burst() {
    const c = audioContext();
    if (!c) return;
    const t0 = c.currentTime + 0.02;
    const gain = c.createGain();
    gain.gain.setValueAtTime(0, t0);
    gain.gain.linearRampToValueAtTime(0.18, t0 + 0.03);
    gain.gain.setValueAtTime(0.18, t0 + 0.95);
    gain.gain.linearRampToValueAtTime(0, t0 + 1.0);
    gain.connect(c.destination);
    for (const hz of [440, 480]) {
      const osc = c.createOscillator();
      osc.type = 'sine';
      osc.frequency.value = hz;
      osc.connect(gain);
      osc.start(t0);
      osc.stop(t0 + 1.05);
      this.nodes.push(osc);
      osc.onended = () => { this.nodes = this.nodes.filter((n) => n !== osc); };
    }
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
    for (const n of this.nodes) {
      try { n.stop(); } catch { /* already stopped */ }
    }
    this.nodes = [];
  }
}
