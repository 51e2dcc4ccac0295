package browsertest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
)

// The fake microphone file: 48 kHz mono 16-bit PCM, 10 s, looped by Chrome.
const (
	wavRate    = 48000
	wavSeconds = 10
)

// toneHz returns the frequency the WAV really plays for a requested one: the
// nearest frequency with a whole number of periods in the file, so that
// Chrome's loop is seamless (a partial period would click once per loop).
// With a 10 s file that is the nearest 0.1 Hz.
func toneHz(hz float64) float64 {
	return math.Round(hz*wavSeconds) / wavSeconds
}

// writeToneWAV writes a steady sine of hz at dbfs (peak level, e.g. -6) to
// path as a canonical 44-byte-header RIFF/WAVE file.
func writeToneWAV(path string, hz, dbfs float64) error {
	if hz < 20 || hz > wavRate/2-1 {
		return fmt.Errorf("MicHz: %g Hz is outside 20..%d Hz", hz, wavRate/2-1)
	}
	if dbfs > 0 || dbfs < -60 {
		return fmt.Errorf("MicDBFS: %g dBFS is outside -60..0", dbfs)
	}
	hz = toneHz(hz)
	n := wavRate * wavSeconds
	amp := math.Pow(10, dbfs/20) * math.MaxInt16
	var buf bytes.Buffer
	buf.Grow(44 + 2*n)
	dataLen := uint32(2 * n)
	buf.WriteString("RIFF")
	_ = binary.Write(&buf, binary.LittleEndian, uint32(36)+dataLen)
	buf.WriteString("WAVEfmt ")
	_ = binary.Write(&buf, binary.LittleEndian, struct {
		Size          uint32
		Format        uint16
		Channels      uint16
		Rate          uint32
		ByteRate      uint32
		BlockAlign    uint16
		BitsPerSample uint16
	}{16, 1, 1, wavRate, wavRate * 2, 2, 16})
	buf.WriteString("data")
	_ = binary.Write(&buf, binary.LittleEndian, dataLen)
	samples := make([]int16, n)
	for i := range samples {
		samples[i] = int16(math.Round(amp * math.Sin(2*math.Pi*hz*float64(i)/wavRate)))
	}
	_ = binary.Write(&buf, binary.LittleEndian, samples)
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write fake microphone WAV: %w", err)
	}
	// Chrome takes a missing or unreadable file silently and sends digital
	// silence, so make sure the file is really there and whole.
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("fake microphone WAV: %w", err)
	}
	if st.Size() != int64(buf.Len()) {
		return fmt.Errorf("fake microphone WAV %s: %d bytes on disk, wrote %d", path, st.Size(), buf.Len())
	}
	return nil
}
