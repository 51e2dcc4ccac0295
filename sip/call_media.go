package sip

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"callroute/media"
	"callroute/media/audio"
	"callroute/media/prompts"
	"callroute/media/wav"
	"callroute/routing"
)

// mediaSlot lets one source at a time send to a leg (media.Play's rule):
// ringback, a prompt, a recording's beep, the bridge. Taking the slot stops
// the current holder and waits for it.
type mediaSlot struct {
	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

// acquire stops the current holder and returns a context for the new one;
// release must be called when it is done.
func (m *mediaSlot) acquire(ctx context.Context) (context.Context, func()) {
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	m.mu.Lock()
	prevCancel, prevDone := m.cancel, m.done
	m.cancel, m.done = cancel, done
	m.mu.Unlock()
	if prevCancel != nil {
		prevCancel()
		<-prevDone
	}
	return cctx, func() {
		cancel()
		m.mu.Lock()
		if m.done == done {
			m.cancel, m.done = nil, nil
		}
		m.mu.Unlock()
		close(done)
	}
}

// legTasks runs a leg's background work (ringback, the 2xx awaiting its
// ACK, a BYE after a media timeout): each is bounded, and the leg's owner
// waits for them. Once closed no new task starts, so Wait never races a
// late start.
type legTasks struct {
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
	log    *slog.Logger
}

// Go starts f unless the tasks are closed. A panic in f is logged, not
// fatal: one broken call must not take the others down.
func (t *legTasks) Go(f func()) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return false
	}
	t.wg.Go(func() {
		defer recoverTo(t.log, "call task")
		f()
	})
	return true
}

// recoverTo logs a recovered panic with its stack.
func recoverTo(log *slog.Logger, what string) {
	if p := recover(); p != nil {
		if log == nil {
			log = slog.Default()
		}
		log.Error("sip: panic in "+what, "panic", p, "stack", string(debug.Stack()))
	}
}

// closeWait stops new tasks and waits for the running ones.
func (t *legTasks) closeWait() {
	t.mu.Lock()
	t.closed = true
	t.mu.Unlock()
	t.wg.Wait()
}

// promptAudio is the decoded audio of the embedded prompts and the hold
// music, shared read-only by every call.
type promptAudio struct {
	clips map[prompts.Name][]int16
	music []int16
}

func loadPromptAudio() (*promptAudio, error) {
	pa := &promptAudio{clips: map[prompts.Name][]int16{}, music: audio.HoldMusic().PCM()}
	for _, n := range prompts.Names() {
		pcm, err := prompts.PCM(n)
		if err != nil {
			return nil, fmt.Errorf("sip: prompt %s: %w", n, err)
		}
		pa.clips[n] = pcm
	}
	return pa, nil
}

func (pa *promptAudio) clip(n prompts.Name) audio.Source { return audio.NewClip(pa.clips[n]) }

// source maps a routing prompt to audio (docs/routing.md): music is the
// hold message the first time, then the hold music looping; position is
// "you are caller number N" (nothing above prompts.MaxNumber); voicemail,
// closed_voicemail and thanks are their spoken prompts; closed and no_agent
// have no recording of their own yet and say goodbye.
func (l *callerLeg) promptSource(p routing.Prompt) audio.Source {
	pa := l.h.audio
	switch p.Kind {
	case routing.PromptMusic:
		l.mu.Lock()
		first := !l.musicOnce
		l.musicOnce = true
		l.mu.Unlock()
		if first {
			return audio.Concat(pa.clip(prompts.Hold), audio.Loop(pa.music))
		}
		return audio.Loop(pa.music)
	case routing.PromptPosition:
		num, err := prompts.Number(p.Position)
		if err != nil {
			return nil
		}
		return audio.Concat(pa.clip(prompts.CallerNumber), audio.Limit(audio.Silence(), 150), pa.clip(num))
	case routing.PromptVoicemail:
		return pa.clip(prompts.LeaveMessage)
	case routing.PromptClosedVoicemail:
		return pa.clip(prompts.Closed)
	case routing.PromptThanks, routing.PromptClosed, routing.PromptNoAgent:
		return pa.clip(prompts.Goodbye)
	}
	return nil
}

// Play implements routing.CallerLeg.
func (l *callerLeg) Play(ctx context.Context, p routing.Prompt) error {
	src := l.promptSource(p)
	if src == nil {
		l.log.Debug("sip: no audio for prompt", "prompt", p.Kind, "position", p.Position)
		return nil
	}
	return l.play(ctx, src)
}

func (l *callerLeg) play(ctx context.Context, src audio.Source) error {
	if l.ended() {
		return l.gone()
	}
	pctx, release := l.source.acquire(ctx)
	defer release()
	err := media.Play(pctx, l.dm.sess, src)
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case l.ended():
		return l.gone()
	}
	return err
}

// gone is the error of an operation on a leg that has ended.
func (l *callerLeg) gone() error {
	if err := l.Err(); err != nil {
		return err
	}
	return errLegGone
}

// beep is the tone before a recording.
func beep() audio.Source { return audio.Limit(audio.NewTone(1000, -12), 250) }

// Record implements routing.CallerLeg: a beep, then the caller's audio to a
// WAV file (16-bit PCM, 8 kHz) in the recordings directory until max, the #
// key, the caller hanging up or ctx. A message shorter than MinMessage is
// deleted: no message.
func (l *callerLeg) Record(ctx context.Context, max time.Duration) (routing.Recording, error) {
	if err := l.play(ctx, beep()); err != nil {
		return routing.Recording{}, err
	}
	rctx, release := l.source.acquire(ctx)
	defer release()
	name := recordingName(l.callID, time.Now())
	path := filepath.Join(l.h.cfg.RecordingsDir, name)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640)
	if err != nil {
		return routing.Recording{}, fmt.Errorf("sip: voicemail file: %w", err)
	}
	w, err := wav.NewWriter(f, wav.PCM, audio.SampleRate)
	if err != nil {
		f.Close()
		os.Remove(path)
		return routing.Recording{}, err
	}
	rec, err := media.Record(rctx, l.dm.sess, w, media.RecordOptions{MaxDuration: max, StopKeys: "#"})
	err = errors.Join(err, w.Close(), f.Close())
	if err != nil || rec.Duration < l.h.cfg.MinMessage {
		os.Remove(path)
		l.log.Info("sip: no voicemail kept", "length", rec.Duration, "reason", rec.Reason, "err", err)
		return routing.Recording{}, err
	}
	l.log.Info("sip: voicemail recorded", "file", name, "length", rec.Duration.Round(time.Millisecond), "reason", rec.Reason)
	return routing.Recording{Ref: name, Duration: rec.Duration}, nil
}

// recordingName is a file name for a call's voicemail: the time and the
// Call-ID reduced to safe characters (it comes from the network).
func recordingName(callID string, at time.Time) string {
	safe := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		}
		return '_'
	}, callID)
	if len(safe) > 64 {
		safe = safe[:64]
	}
	return at.UTC().Format("20060102T150405.000Z") + "-" + safe + ".wav"
}

// Bridge implements routing.CallerLeg: RTP passes between the caller's
// session and the phone's (media.NewBridge) until either side ends (BYE,
// media timeout) or ctx is done. Routing hangs both legs up afterwards.
func (l *callerLeg) Bridge(ctx context.Context, agent routing.AgentLeg) error {
	switch a := agent.(type) {
	case *agentLeg:
		return l.bridgePhone(ctx, a)
	case routing.MediaAgentLeg:
		return l.bridgeMedia(ctx, a)
	}
	return fmt.Errorf("sip: cannot bridge the caller with a %T", agent)
}

// bridgeMedia bridges the caller with an agent leg that carries its own
// media (the browser's WebRTC leg): RTP passes through, hold is the other
// edge's business.
func (l *callerLeg) bridgeMedia(ctx context.Context, a routing.MediaAgentLeg) error {
	bctx, release := l.source.acquire(ctx)
	defer release()
	br := media.NewBridge(bctx, l.dm.sess, a.Media(), media.WithBridgeLogger(l.log),
		media.WithDTMF(func(from media.Side, key rune) { l.log.Info("sip: DTMF", "from", from.String(), "key", string(key)) }))
	l.log.Info("sip: bridged", "device", a.Device(), "caller_codec", l.dm.codec().String(),
		"agent_codec", a.Media().Codec().String())
	select {
	case <-br.Done():
	case <-l.done:
	case <-a.Done():
	case <-bctx.Done():
	}
	br.Stop()
	fwdA, _ := br.Packets(media.SideA)
	fwdB, _ := br.Packets(media.SideB)
	l.log.Info("sip: bridge ended", "caller_to_agent", fwdA, "agent_to_caller", fwdB)
	switch {
	case l.ended(), isClosed(a.Done()):
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	}
	return br.Err()
}

// bridgePhone bridges the caller with a SIP phone, and passes hold and
// resume between the two dialogs.
func (l *callerLeg) bridgePhone(ctx context.Context, a *agentLeg) error {
	bctx, release := l.source.acquire(ctx)
	defer release()
	l.setPeer(a)
	a.setPeer(l)
	defer func() {
		l.setPeer(nil)
		a.setPeer(nil)
	}()
	br := media.NewBridge(bctx, l.dm.sess, a.dm.sess, media.WithBridgeLogger(l.log),
		media.WithDTMF(func(from media.Side, key rune) { l.log.Info("sip: DTMF", "from", from.String(), "key", string(key)) }))
	l.log.Debug("sip: bridged", "device", a.Device(), "caller_codec", l.dm.codec().String(), "agent_codec", a.dm.codec().String())
	select {
	case <-br.Done():
	case <-l.done:
	case <-a.done:
	case <-bctx.Done():
	}
	br.Stop()
	fwdA, _ := br.Packets(media.SideA)
	fwdB, _ := br.Packets(media.SideB)
	l.log.Debug("sip: bridge ended", "caller_to_agent", fwdA, "agent_to_caller", fwdB)
	switch {
	case l.ended(), a.ended():
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	}
	return br.Err()
}

func (l *callerLeg) setPeer(a *agentLeg) {
	l.mu.Lock()
	l.peer = a
	l.mu.Unlock()
}
