// Package g711 converts between 16-bit linear PCM and ITU-T G.711 mu-law (PCMU,
// RTP payload type 0) and A-law (PCMA, payload type 8), RFC 3551 section 4.5.14.
//
// Encoding and decoding go through lookup tables built once when the package is
// loaded and never written afterwards.
package g711

// Law is a G.711 companding law.
type Law uint8

const (
	// ULaw is mu-law, used in North America and Japan; PCMU in SDP.
	ULaw Law = iota + 1
	// ALaw is A-law, used in Europe and most of the world; PCMA in SDP.
	ALaw
)

// String returns the SDP encoding name of the law.
func (l Law) String() string {
	switch l {
	case ULaw:
		return "PCMU"
	case ALaw:
		return "PCMA"
	}
	return "unknown"
}

// Silence returns the code of a zero sample in the law.
func (l Law) Silence() byte {
	if l == ALaw {
		return alawZero
	}
	return ulawZero
}

const (
	ulawZero = 0xFF // encodeULaw(0)
	alawZero = 0xD5 // encodeALaw(0)
	ulawBias = 0x84 // 132, added before the segment search (ITU-T G.711)
	ulawClip = 32635
)

// The tables: 64 KiB per encoder, indexed by the sample as uint16, so the
// table gives exactly what the reference encoder gives.
var (
	ulawToLinear [256]int16
	alawToLinear [256]int16
	linearToULaw [1 << 16]byte
	linearToALaw [1 << 16]byte
	ulawToALaw   [256]byte
	alawToULaw   [256]byte
)

func init() {
	for i := range 256 {
		ulawToLinear[i] = decodeULaw(byte(i))
		alawToLinear[i] = decodeALaw(byte(i))
	}
	for i := range linearToULaw {
		linearToULaw[i] = encodeULaw(int16(uint16(i)))
		linearToALaw[i] = encodeALaw(int16(uint16(i)))
	}
	for i := range 256 {
		ulawToALaw[i] = EncodeALaw(ulawToLinear[i])
		alawToULaw[i] = EncodeULaw(alawToLinear[i])
	}
}

// EncodeULaw encodes one linear sample as mu-law.
func EncodeULaw(s int16) byte { return linearToULaw[uint16(s)] }

// DecodeULaw decodes one mu-law sample.
func DecodeULaw(u byte) int16 { return ulawToLinear[u] }

// EncodeALaw encodes one linear sample as A-law.
func EncodeALaw(s int16) byte { return linearToALaw[uint16(s)] }

// DecodeALaw decodes one A-law sample.
func DecodeALaw(a byte) int16 { return alawToLinear[a] }

// ULawToALaw converts one mu-law code to A-law.
func ULawToALaw(u byte) byte { return ulawToALaw[u] }

// ALawToULaw converts one A-law code to mu-law.
func ALawToULaw(a byte) byte { return alawToULaw[a] }

// Encode appends pcm encoded with law to dst and returns the extended slice.
func Encode(dst []byte, law Law, pcm []int16) []byte {
	if law == ALaw {
		for _, s := range pcm {
			dst = append(dst, linearToALaw[uint16(s)])
		}
		return dst
	}
	for _, s := range pcm {
		dst = append(dst, linearToULaw[uint16(s)])
	}
	return dst
}

// Decode appends the samples of b, encoded with law, to dst.
func Decode(dst []int16, law Law, b []byte) []int16 {
	table := &ulawToLinear
	if law == ALaw {
		table = &alawToLinear
	}
	for _, c := range b {
		dst = append(dst, table[c])
	}
	return dst
}

// Transcode appends src, encoded with law from, re-encoded with law to, to dst.
// It is a table look-up per byte; when from equals to it copies.
func Transcode(dst []byte, to, from Law, src []byte) []byte {
	switch {
	case from == to:
		return append(dst, src...)
	case from == ULaw && to == ALaw:
		for _, c := range src {
			dst = append(dst, ulawToALaw[c])
		}
	default:
		for _, c := range src {
			dst = append(dst, alawToULaw[c])
		}
	}
	return dst
}

// encodeULaw is the reference mu-law encoder (ITU-T G.711, as in the classic
// Sun Microsystems g711.c); EncodeULaw uses the table built from it.
func encodeULaw(s int16) byte {
	x := int(s)
	var sign byte
	if x < 0 {
		x = -x
		sign = 0x80
	}
	if x > ulawClip {
		x = ulawClip
	}
	x += ulawBias
	exp := byte(7)
	for mask := 0x4000; x&mask == 0 && exp > 0; mask >>= 1 {
		exp--
	}
	mant := byte(x>>(exp+3)) & 0x0F
	return ^(sign | exp<<4 | mant)
}

func decodeULaw(u byte) int16 {
	u = ^u
	exp := (u >> 4) & 0x07
	mant := int(u & 0x0F)
	x := ((mant << 3) + ulawBias) << exp
	x -= ulawBias
	if u&0x80 != 0 {
		return int16(-x)
	}
	return int16(x)
}

// alawSegEnd holds the upper bound of each of the eight A-law segments on the
// 13-bit magnitude.
var alawSegEnd = [8]int{0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF}

// encodeALaw is the reference A-law encoder (ITU-T G.711; even bits inverted
// with 0x55 as the standard requires).
func encodeALaw(s int16) byte {
	x := int(s) >> 3
	mask := byte(0xD5)
	if x < 0 {
		mask = 0x55
		x = -x - 1
	}
	seg := 0
	for seg < 8 && x > alawSegEnd[seg] {
		seg++
	}
	if seg >= 8 {
		return 0x7F ^ mask
	}
	aval := byte(seg << 4)
	if seg < 2 {
		aval |= byte(x>>1) & 0x0F
	} else {
		aval |= byte(x>>seg) & 0x0F
	}
	return aval ^ mask
}

func decodeALaw(a byte) int16 {
	a ^= 0x55
	t := int(a&0x0F) << 4
	seg := int(a&0x70) >> 4
	switch seg {
	case 0:
		t += 8
	case 1:
		t += 0x108
	default:
		t += 0x108
		t <<= seg - 1
	}
	if a&0x80 != 0 {
		return int16(t)
	}
	return int16(-t)
}
