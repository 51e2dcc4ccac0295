package wav

import (
	"encoding/binary"
	"fmt"
	"io"
)

// DefaultMaxData bounds the data chunk Read accepts: an hour of 8 kHz 16-bit
// audio.
const DefaultMaxData = 8000 * 2 * 3600

// Read decodes a WAVE file of format PCM (16-bit), A-law or mu-law, any sample
// rate and channel count. Unknown chunks (LIST, fact, ...) are skipped. It
// returns ErrFormat for anything else, never panics, and refuses a data chunk
// larger than DefaultMaxData.
func Read(r io.Reader) (*File, error) {
	return ReadLimit(r, DefaultMaxData)
}

// ReadLimit is Read with a limit on the data chunk size in bytes.
func ReadLimit(r io.Reader, maxData int) (*File, error) {
	var riff [12]byte
	if _, err := io.ReadFull(r, riff[:]); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	if string(riff[0:4]) != "RIFF" || string(riff[8:12]) != "WAVE" {
		return nil, fmt.Errorf("%w: no RIFF WAVE header", ErrFormat)
	}
	f := &File{}
	haveFmt := false
	for {
		var hdr [8]byte
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return nil, fmt.Errorf("%w: no data chunk", ErrFormat)
		}
		id := string(hdr[0:4])
		size := int64(binary.LittleEndian.Uint32(hdr[4:8]))
		pad := size & 1 // RIFF chunks are word aligned
		switch id {
		case "fmt ":
			if size < 16 || size > 1024 {
				return nil, fmt.Errorf("%w: fmt chunk of %d bytes", ErrFormat, size)
			}
			b := make([]byte, size+pad)
			if _, err := io.ReadFull(r, b); err != nil {
				return nil, fmt.Errorf("%w: %v", ErrFormat, err)
			}
			if err := f.parseFmt(b); err != nil {
				return nil, err
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return nil, fmt.Errorf("%w: data before fmt", ErrFormat)
			}
			// Writers that stream sometimes leave the size at 0 or
			// 0xFFFFFFFF: read to the end then, within the limit.
			if size == 0 || size == 0xFFFFFFFF {
				data, err := io.ReadAll(io.LimitReader(r, int64(maxData)+1))
				if err != nil {
					return nil, fmt.Errorf("%w: %v", ErrFormat, err)
				}
				if len(data) > maxData {
					return nil, ErrTooLarge
				}
				f.Data = data
			} else {
				if size > int64(maxData) {
					return nil, ErrTooLarge
				}
				f.Data = make([]byte, size)
				if n, err := io.ReadFull(r, f.Data); err != nil {
					// A truncated file: keep what is there.
					f.Data = f.Data[:n]
				}
			}
			frame := f.Format.BitsPerSample() / 8 * f.Channels
			f.Data = f.Data[:len(f.Data)/frame*frame]
			return f, nil
		default:
			if _, err := io.CopyN(io.Discard, r, size+pad); err != nil {
				return nil, fmt.Errorf("%w: truncated %q chunk", ErrFormat, id)
			}
		}
	}
}

func (f *File) parseFmt(b []byte) error {
	format := Format(binary.LittleEndian.Uint16(b[0:2]))
	channels := int(binary.LittleEndian.Uint16(b[2:4]))
	rate := int(binary.LittleEndian.Uint32(b[4:8]))
	bits := int(binary.LittleEndian.Uint16(b[14:16]))
	if format == 0xFFFE && len(b) >= 26 { // WAVE_FORMAT_EXTENSIBLE: the sub-format GUID starts with the code
		format = Format(binary.LittleEndian.Uint16(b[24:26]))
	}
	switch {
	case format != PCM && format != ALaw && format != ULaw:
		return fmt.Errorf("%w: %v", ErrFormat, format)
	case bits != format.BitsPerSample():
		return fmt.Errorf("%w: %v with %d bits per sample", ErrFormat, format, bits)
	case channels < 1 || channels > 8:
		return fmt.Errorf("%w: %d channels", ErrFormat, channels)
	case rate < 1000 || rate > 192000:
		return fmt.Errorf("%w: sample rate %d", ErrFormat, rate)
	}
	f.Format, f.Channels, f.SampleRate = format, channels, rate
	return nil
}
