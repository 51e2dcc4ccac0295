package wav

import (
	"encoding/binary"
	"errors"
	"io"
	"math"

	"callroute/media/g711"
)

// ErrClosed is returned by a Writer used after Close.
var ErrClosed = errors.New("wav: writer closed")

// Writer writes a mono WAVE file. The header is written first with zero sizes
// and patched by Close, which needs the destination to be an io.WriteSeeker.
// A Writer is not safe for concurrent use.
type Writer struct {
	w        io.WriteSeeker
	format   Format
	rate     int
	dataLen  int64
	hdrLen   int64
	buf      []byte
	closed   bool
	writeErr error
}

// NewWriter writes the header of a mono WAVE file with the format and sample
// rate to w.
func NewWriter(w io.WriteSeeker, format Format, sampleRate int) (*Writer, error) {
	if format != PCM && format != ALaw && format != ULaw {
		return nil, ErrFormat
	}
	wr := &Writer{w: w, format: format, rate: sampleRate}
	hdr := wr.header()
	wr.hdrLen = int64(len(hdr))
	if _, err := w.Write(hdr); err != nil {
		return nil, err
	}
	return wr, nil
}

// header builds the RIFF header for the current data length.
func (wr *Writer) header() []byte {
	le := binary.LittleEndian
	bytesPerSample := wr.format.BitsPerSample() / 8
	b := make([]byte, 0, 58)
	b = append(b, "RIFF"...)
	b = le.AppendUint32(b, 0) // patched below
	b = append(b, "WAVE"...)
	b = append(b, "fmt "...)
	if wr.format == PCM {
		b = le.AppendUint32(b, 16)
	} else {
		b = le.AppendUint32(b, 18) // non-PCM: WAVEFORMATEX with cbSize
	}
	b = le.AppendUint16(b, uint16(wr.format))
	b = le.AppendUint16(b, 1) // mono
	b = le.AppendUint32(b, uint32(wr.rate))
	b = le.AppendUint32(b, uint32(wr.rate*bytesPerSample)) // byte rate
	b = le.AppendUint16(b, uint16(bytesPerSample))         // block align
	b = le.AppendUint16(b, uint16(wr.format.BitsPerSample()))
	if wr.format != PCM {
		b = le.AppendUint16(b, 0) // cbSize
		b = append(b, "fact"...)
		b = le.AppendUint32(b, 4)
		b = le.AppendUint32(b, uint32(wr.dataLen/int64(bytesPerSample)))
	}
	b = append(b, "data"...)
	b = le.AppendUint32(b, uint32(wr.dataLen))
	riffLen := int64(len(b)) - 8 + wr.dataLen + wr.dataLen&1
	le.PutUint32(b[4:8], uint32(min(riffLen, math.MaxUint32)))
	return b
}

// WriteSamples encodes linear samples in the writer's format and appends them.
func (wr *Writer) WriteSamples(pcm []int16) error {
	wr.buf = wr.buf[:0]
	switch wr.format {
	case PCM:
		for _, s := range pcm {
			wr.buf = binary.LittleEndian.AppendUint16(wr.buf, uint16(s))
		}
	case ALaw:
		wr.buf = g711.Encode(wr.buf, g711.ALaw, pcm)
	default:
		wr.buf = g711.Encode(wr.buf, g711.ULaw, pcm)
	}
	return wr.WriteRaw(wr.buf)
}

// WriteRaw appends data already in the writer's format (little-endian 16-bit
// samples for PCM, G.711 codes otherwise).
func (wr *Writer) WriteRaw(data []byte) error {
	if wr.closed {
		return ErrClosed
	}
	if wr.writeErr != nil {
		return wr.writeErr
	}
	n, err := wr.w.Write(data)
	wr.dataLen += int64(n)
	if err != nil {
		wr.writeErr = err
	}
	return err
}

// DataBytes returns the bytes of sample data written so far.
func (wr *Writer) DataBytes() int64 { return wr.dataLen }

// Close pads the data chunk to an even length and patches the sizes in the
// header. It does not close the underlying writer.
func (wr *Writer) Close() error {
	if wr.closed {
		return nil
	}
	wr.closed = true
	if wr.writeErr != nil {
		return wr.writeErr
	}
	if wr.dataLen&1 == 1 {
		if _, err := wr.w.Write([]byte{0}); err != nil {
			return err
		}
	}
	end, err := wr.w.Seek(0, io.SeekCurrent)
	if err != nil {
		return err
	}
	if _, err := wr.w.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if _, err := wr.w.Write(wr.header()); err != nil {
		return err
	}
	_, err = wr.w.Seek(end, io.SeekStart)
	return err
}

// Encode returns a whole mono WAVE file holding pcm in the given format.
func Encode(format Format, sampleRate int, pcm []int16) ([]byte, error) {
	var buf seekBuffer
	w, err := NewWriter(&buf, format, sampleRate)
	if err != nil {
		return nil, err
	}
	if err := w.WriteSamples(pcm); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.b, nil
}

// seekBuffer is an in-memory io.WriteSeeker.
type seekBuffer struct {
	b   []byte
	pos int
}

func (s *seekBuffer) Write(p []byte) (int, error) {
	if need := s.pos + len(p); need > len(s.b) {
		s.b = append(s.b, make([]byte, need-len(s.b))...)
	}
	copy(s.b[s.pos:], p)
	s.pos += len(p)
	return len(p), nil
}

func (s *seekBuffer) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		off += int64(s.pos)
	case io.SeekEnd:
		off += int64(len(s.b))
	}
	if off < 0 {
		return 0, errors.New("wav: negative seek")
	}
	s.pos = int(off)
	return off, nil
}
