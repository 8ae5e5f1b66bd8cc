package signature

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// maxPayload bounds the decompressed size of a signed payload.
const maxPayload = 1 << 20

// signedMessage is the one shape of message that counts: one-pass signature,
// literal data, signature.
type signedMessage struct {
	ops     *packet.OnePassSignature
	payload []byte
	sig     *packet.Signature
}

// rejection is an error carrying the Reason a signature does not count.
type rejection struct {
	reason Reason
	detail string
}

func (r *rejection) Error() string {
	if r.detail == "" {
		return string(r.reason)
	}
	return string(r.reason) + ": " + r.detail
}

func reject(reason Reason, format string, a ...any) *rejection {
	return &rejection{reason: reason, detail: fmt.Sprintf(format, a...)}
}

// parseSignedMessage reads data as exactly one binary signed message,
// optionally inside one compressed data packet.
func parseSignedMessage(data []byte) (*signedMessage, error) {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	switch {
	case bytes.HasPrefix(trimmed, []byte("-----BEGIN PGP SIGNED MESSAGE-----")):
		return nil, reject(ReasonClearsigned, "")
	case bytes.HasPrefix(trimmed, []byte("-----BEGIN PGP")):
		return nil, reject(ReasonArmored, "")
	}
	pkts, err := splitPackets(data)
	if len(pkts) == 0 {
		return nil, reject(ReasonNotOpenPGP, "%v", err)
	}
	if err != nil {
		return nil, reject(ReasonTrailing, "%v", err)
	}
	if pkts[0].tag == tagCompressed {
		if len(pkts) > 1 {
			return nil, reject(ReasonTrailing, "%d packet(s) after the compressed message", len(pkts)-1)
		}
		inner, err := decompress(pkts[0].raw)
		if err != nil {
			return nil, err
		}
		if pkts, err = splitPackets(inner); err != nil {
			return nil, reject(ReasonStructure, "inside compressed data: %v", err)
		}
	}
	return readSequence(pkts)
}

func decompress(raw []byte) ([]byte, error) {
	p, err := packet.Read(bytes.NewReader(raw))
	if err != nil {
		return nil, reject(ReasonStructure, "compressed packet: %v", err)
	}
	c, ok := p.(*packet.Compressed)
	if !ok {
		return nil, reject(ReasonStructure, "compressed packet unreadable")
	}
	inner, err := io.ReadAll(io.LimitReader(c.Body, maxPayload+1))
	if err != nil {
		return nil, reject(ReasonStructure, "decompress: %v", err)
	}
	if len(inner) > maxPayload {
		return nil, reject(ReasonStructure, "decompressed message larger than %d bytes", maxPayload)
	}
	return inner, nil
}

// readSequence checks the packet sequence and parses the three packets.
func readSequence(pkts []rawPacket) (*signedMessage, error) {
	count := map[int]int{}
	for _, p := range pkts {
		count[p.tag]++
	}
	switch {
	case count[tagOnePass] > 1 || count[tagSignature] > 1:
		return nil, reject(ReasonMultiple, "%d one-pass signature(s), %d signature(s)", count[tagOnePass], count[tagSignature])
	case count[tagLiteral] == 0 && count[tagSignature] == 1 && len(pkts) == 1:
		return nil, reject(ReasonDetached, "")
	case len(pkts) > 3 && tagsAre(pkts[:3], tagOnePass, tagLiteral, tagSignature):
		return nil, reject(ReasonTrailing, "%d packet(s) after the signature", len(pkts)-3)
	case !tagsAre(pkts, tagOnePass, tagLiteral, tagSignature):
		return nil, reject(ReasonStructure, "packets %v, want one-pass signature, literal data, signature", tags(pkts))
	}
	m := &signedMessage{}
	var err error
	if m.ops, err = readOnePass(pkts[0].raw); err != nil {
		return nil, err
	}
	if m.payload, err = readLiteral(pkts[1].raw); err != nil {
		return nil, err
	}
	if m.sig, err = readSignature(pkts[2].raw); err != nil {
		return nil, err
	}
	return m, nil
}

func tagsAre(pkts []rawPacket, want ...int) bool {
	if len(pkts) != len(want) {
		return false
	}
	for i, p := range pkts {
		if p.tag != want[i] {
			return false
		}
	}
	return true
}

func tags(pkts []rawPacket) []int {
	out := make([]int, len(pkts))
	for i, p := range pkts {
		out[i] = p.tag
	}
	return out
}

func readOnePass(raw []byte) (*packet.OnePassSignature, error) {
	p, err := packet.Read(bytes.NewReader(raw))
	ops, ok := p.(*packet.OnePassSignature)
	if err != nil || !ok {
		return nil, reject(ReasonStructure, "one-pass signature packet: %v", err)
	}
	return ops, nil
}

func readLiteral(raw []byte) ([]byte, error) {
	p, err := packet.Read(bytes.NewReader(raw))
	lit, ok := p.(*packet.LiteralData)
	if err != nil || !ok {
		return nil, reject(ReasonStructure, "literal data packet: %v", err)
	}
	body, err := io.ReadAll(io.LimitReader(lit.Body, maxPayload+1))
	if err != nil || len(body) > maxPayload {
		return nil, reject(ReasonStructure, "literal data: too large or unreadable (%v)", err)
	}
	return body, nil
}

func readSignature(raw []byte) (*packet.Signature, error) {
	p, err := packet.Read(bytes.NewReader(raw))
	sig, ok := p.(*packet.Signature)
	if err != nil && strings.Contains(err.Error(), "hash function") {
		return nil, reject(ReasonWeakHash, "%v", err)
	}
	if err != nil || !ok {
		return nil, reject(ReasonStructure, "signature packet: %v", err)
	}
	return sig, nil
}
