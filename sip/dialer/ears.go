package dialer

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"

	"callroute/media"
	"callroute/media/audio"
	"callroute/media/g711"
	"callroute/media/wav"
)

// maxAnalysed bounds the audio kept for analysis per phase (10 s: enough
// for a precise frequency, and the Goertzel scan stays well under a second).
const maxAnalysed = 10 * audio.SampleRate

// ears receives the call's RTP on one goroutine, from open until the
// session is closed: it writes the recording, if any, and keeps the audio
// of the early media and of the talk apart for analysis. Its fields other
// than inTalk belong to that goroutine until done is closed.
type ears struct {
	sess   *media.Session
	inTalk atomic.Bool
	early  capture
	talk   capture

	path string
	file *os.File
	wr   *wav.Writer
	rec  media.Recording
	err  error
	done chan struct{}
}

// capture is the audio of one phase.
type capture struct {
	packets int
	samples int
	pcm     []int16
}

// listen starts receiving; with a path, it records to that WAV file (16-bit
// PCM, 8 kHz) for at most maxRecord.
func listen(sess *media.Session, path string, maxRecord time.Duration) (*ears, error) {
	e := &ears{sess: sess, path: path, done: make(chan struct{})}
	if path != "" {
		f, err := os.Create(path)
		if err != nil {
			return nil, fmt.Errorf("recording: %w", err)
		}
		if e.wr, err = wav.NewWriter(f, wav.PCM, audio.SampleRate); err != nil {
			f.Close()
			return nil, fmt.Errorf("recording: %w", err)
		}
		e.file = f
	}
	go e.run(maxRecord + 10*time.Second)
	return e, nil
}

// run reads until the session is closed.
func (e *ears) run(maxRecord time.Duration) {
	defer close(e.done)
	ctx := context.Background() // the session's Close ends every read
	if e.wr != nil {
		e.rec, e.err = media.Record(ctx, e, e.wr, media.RecordOptions{MaxDuration: maxRecord})
	}
	for {
		if _, err := e.ReadRTP(ctx); err != nil {
			return
		}
	}
}

// talking marks the start of the talk: from now on audio counts as heard
// in the call, not as early media.
func (e *ears) talking() { e.inTalk.Store(true) }

// ReadRTP implements media.Receiver for Record: the session's packets,
// analysed on the way.
func (e *ears) ReadRTP(ctx context.Context) (*rtp.Packet, error) {
	p, err := e.sess.ReadRTP(ctx)
	if err != nil {
		return nil, err
	}
	c := e.sess.Codec()
	if p.PayloadType != c.PayloadType || len(p.Payload) == 0 {
		return p, nil
	}
	phase := &e.early
	if e.inTalk.Load() {
		phase = &e.talk
	}
	phase.packets++
	phase.samples += len(p.Payload)
	if len(phase.pcm) < maxAnalysed {
		phase.pcm = g711.Decode(phase.pcm, c.Law(), p.Payload)
	}
	return p, nil
}

// Codec implements media.Receiver.
func (e *ears) Codec() media.Codec { return e.sess.Codec() }

// wait waits for the receiver to end (close the session first) and
// closes the recording; the error says the recording is incomplete.
func (e *ears) wait() error {
	<-e.done
	if e.wr == nil {
		return nil
	}
	err := e.err
	if cerr := e.wr.Close(); err == nil {
		err = cerr
	}
	if cerr := e.file.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("recording %s: %w", e.path, err)
	}
	return nil
}

// heard analyses a phase's audio.
func (c *capture) heard() Heard {
	h := Heard{Packets: c.packets, Duration: time.Duration(c.samples) * time.Second / audio.SampleRate}
	if len(c.pcm) < audio.FrameSamples {
		h.RMSDBFS = -120
		return h
	}
	a := audio.Analyze(c.pcm)
	h.FrequencyHz, h.RMSDBFS, h.PeakFraction = a.PeakHz, a.RMSDBFS, a.PeakFraction
	return h
}
