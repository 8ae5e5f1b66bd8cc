package signature

import (
	"errors"
	"fmt"
)

// OpenPGP packet tags used here (RFC 4880 section 4.3).
const (
	tagSignature    = 2
	tagSecretKey    = 5
	tagPublicKey    = 6
	tagSecretSubkey = 7
	tagCompressed   = 8
	tagMarker       = 10
	tagLiteral      = 11
	tagUserID       = 13
	tagPublicSubkey = 14
	tagOnePass      = 4
)

// rawPacket is one packet as it appears in a stream.
type rawPacket struct {
	tag int
	raw []byte // header and body, exactly as read
}

var errNotOpenPGP = errors.New("not an OpenPGP packet stream")

// splitPackets splits data into packets without interpreting their bodies,
// so that callers can see exactly what a file holds (and what trails it).
func splitPackets(data []byte) ([]rawPacket, error) {
	var out []rawPacket
	for off := 0; off < len(data); {
		n, tag, err := packetLen(data[off:])
		if err != nil {
			return out, fmt.Errorf("packet at byte %d: %w", off, err)
		}
		out = append(out, rawPacket{tag: tag, raw: data[off : off+n]})
		off += n
	}
	return out, nil
}

// packetLen returns the total length and tag of the packet that starts b.
func packetLen(b []byte) (n, tag int, err error) {
	if len(b) == 0 || b[0]&0x80 == 0 {
		return 0, 0, errNotOpenPGP
	}
	if b[0]&0x40 == 0 { // old format
		tag = int(b[0]>>2) & 0x0f
		switch b[0] & 3 {
		case 0:
			n, err = fixedLen(b, 1, 1)
		case 1:
			n, err = fixedLen(b, 1, 2)
		case 2:
			n, err = fixedLen(b, 1, 4)
		default: // indeterminate: the rest of the stream
			n = len(b)
		}
		return n, tag, err
	}
	tag = int(b[0] & 0x3f)
	n, err = newFormatLen(b)
	return n, tag, err
}

// fixedLen reads a big-endian body length of size bytes at off.
func fixedLen(b []byte, off, size int) (int, error) {
	if len(b) < off+size {
		return 0, errors.New("truncated header")
	}
	body := 0
	for _, c := range b[off : off+size] {
		body = body<<8 | int(c)
	}
	if body < 0 || body > len(b)-off-size {
		return 0, errors.New("truncated body")
	}
	return off + size + body, nil
}

// newFormatLen follows new-format lengths, including partial body chunks.
func newFormatLen(b []byte) (int, error) {
	off := 1
	for {
		if len(b) <= off {
			return 0, errors.New("truncated header")
		}
		c := int(b[off])
		switch {
		case c < 192:
			return bodyEnd(b, off+1, c)
		case c < 224:
			if len(b) <= off+1 {
				return 0, errors.New("truncated header")
			}
			return bodyEnd(b, off+2, (c-192)<<8+int(b[off+1])+192)
		case c == 255:
			return fixedLen(b, off+1, 4)
		default: // partial body length: a chunk, then another length
			end, err := bodyEnd(b, off+1, 1<<(c&0x1f))
			if err != nil {
				return 0, err
			}
			off = end
		}
	}
}

func bodyEnd(b []byte, start, n int) (int, error) {
	if n > len(b)-start {
		return 0, errors.New("truncated body")
	}
	return start + n, nil
}
