package signature

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// maxKeyFile bounds the size of a key or keyring file.
const maxKeyFile = 16 << 20

// Keyring is the set of public keys whose signatures count.
type Keyring struct {
	// Entities are the keys read, with only the subkeys properly bound to
	// their primary key.
	Entities openpgp.EntityList
	// Unbound lists subkeys found in the keyring files without a valid
	// binding signature (and cross-signature, for signing subkeys); they
	// were dropped and signatures by them do not count.
	Unbound []UnboundSubkey
	// Skipped counts keys go-crypto could not use (unsupported algorithm,
	// invalid self-signature); signatures by them do not count.
	Skipped int
}

// UnboundSubkey is a subkey that was dropped from a keyring.
type UnboundSubkey struct {
	KeyID   uint64
	Primary string // fingerprint of the primary key it followed
	Reason  string
}

// ReadKeyring reads a file holding one or more armored or binary public keys
// (every armored block of it), or every regular file of a folder of such
// files.
func ReadKeyring(path string) (*Keyring, error) {
	files, err := keyFiles(path)
	if err != nil {
		return nil, err
	}
	kr := &Keyring{}
	for _, f := range files {
		data, err := readLimited(f, maxKeyFile)
		if err != nil {
			return nil, err
		}
		if err := kr.add(data); err != nil {
			return nil, fmt.Errorf("read keyring %s: %w", f, err)
		}
	}
	if len(kr.Entities) == 0 {
		return nil, fmt.Errorf("read keyring %s: no usable public key; export keys with gpg --export", path)
	}
	return kr, nil
}

// ParseKeyring reads keys from data (armored blocks or binary packets).
func ParseKeyring(data []byte) (*Keyring, error) {
	kr := &Keyring{}
	if err := kr.add(data); err != nil {
		return nil, err
	}
	return kr, nil
}

func keyFiles(path string) ([]string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("open keyring %s: %w", path, err)
	}
	if !st.IsDir() {
		return []string{path}, nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, fmt.Errorf("list keyring %s: %w", path, err)
	}
	var out []string
	for _, e := range entries {
		if e.Type().IsRegular() && !strings.HasPrefix(e.Name(), ".") {
			out = append(out, filepath.Join(path, e.Name()))
		}
	}
	sort.Strings(out)
	return out, nil
}

func readLimited(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("read %s: larger than %d bytes", path, max)
	}
	return b, nil
}

// add reads every armored block of data, or data as binary packets.
// go-crypto's armor.Decode buffers past the end of a block, so the blocks
// are cut apart first and decoded one by one.
func (kr *Keyring) add(data []byte) error {
	if !isArmored(data) {
		return kr.addBinary(data)
	}
	blocks := armoredBlocks(data)
	if len(blocks) == 0 {
		return fmt.Errorf("no complete armored key block found")
	}
	for i, b := range blocks {
		block, err := armor.Decode(bytes.NewReader(b))
		if err != nil {
			return fmt.Errorf("decode armor block %d: %w", i+1, err)
		}
		if block.Type != openpgp.PublicKeyType && block.Type != openpgp.PrivateKeyType {
			return fmt.Errorf("armor block %d is a %q, want a public key", i+1, block.Type)
		}
		body, err := io.ReadAll(block.Body)
		if err != nil {
			return fmt.Errorf("decode armor block %d: %w", i+1, err)
		}
		if err := kr.addBinary(body); err != nil {
			return fmt.Errorf("armor block %d: %w", i+1, err)
		}
	}
	return nil
}

// armoredBlocks returns each "-----BEGIN PGP ...-----" to
// "-----END PGP ...-----" block of data, end line included.
func armoredBlocks(data []byte) [][]byte {
	var out [][]byte
	begin, end := []byte("-----BEGIN PGP "), []byte("-----END PGP ")
	for {
		i := bytes.Index(data, begin)
		if i < 0 {
			return out
		}
		data = data[i:]
		j := bytes.Index(data, end)
		if j < 0 {
			return out
		}
		k := bytes.IndexByte(data[j:], '\n')
		if k < 0 {
			k = len(data) - j
		} else {
			k++
		}
		out = append(out, data[:j+k])
		data = data[j+k:]
	}
}

// isArmored reports whether data is text holding an armored block (binary
// OpenPGP data starts with a byte that has its high bit set).
func isArmored(data []byte) bool {
	return len(data) > 0 && data[0]&0x80 == 0 && bytes.Contains(data, []byte("-----BEGIN PGP "))
}

// addBinary drops unbound subkeys, then lets go-crypto read the entities.
func (kr *Keyring) addBinary(data []byte) error {
	filtered, unbound, err := dropUnboundSubkeys(data)
	if err != nil {
		return err
	}
	kr.Unbound = append(kr.Unbound, unbound...)
	el, err := openpgp.ReadKeyRing(bytes.NewReader(filtered))
	if err != nil {
		return fmt.Errorf("parse keys: %w", err)
	}
	if n := countPrimaryKeys(filtered); n > len(el) {
		kr.Skipped += n - len(el)
	}
	for _, e := range el {
		if e.PrivateKey != nil {
			return fmt.Errorf("key %X is a secret key; put only public keys (gpg --export) in a keyring", e.PrimaryKey.Fingerprint)
		}
	}
	for _, e := range el {
		kr.merge(e)
	}
	return nil
}

// merge adds e to the keyring, or, when the keyring already holds a key with
// e's fingerprint (another export of the same key, older or newer), pools
// what both know: revocations of the key, its user IDs and its subkeys, and
// the newest self-signatures. Without this, the first export read would win
// and a revocation in a later file would be ignored.
func (kr *Keyring) merge(e *openpgp.Entity) {
	var have *openpgp.Entity
	for _, k := range kr.Entities {
		if bytes.Equal(k.PrimaryKey.Fingerprint, e.PrimaryKey.Fingerprint) {
			have = k
			break
		}
	}
	if have == nil {
		kr.Entities = append(kr.Entities, e)
		return
	}
	have.Revocations = append(have.Revocations, e.Revocations...)
	have.Signatures = append(have.Signatures, e.Signatures...)
	have.SelfSignature = newer(have.SelfSignature, e.SelfSignature)
	for name, id := range e.Identities {
		old, ok := have.Identities[name]
		if !ok {
			have.Identities[name] = id
			continue
		}
		old.Revocations = append(old.Revocations, id.Revocations...)
		old.Signatures = append(old.Signatures, id.Signatures...)
		old.SelfSignature = newer(old.SelfSignature, id.SelfSignature)
	}
	for _, sk := range e.Subkeys {
		i := slices.IndexFunc(have.Subkeys, func(h openpgp.Subkey) bool {
			return bytes.Equal(h.PublicKey.Fingerprint, sk.PublicKey.Fingerprint)
		})
		if i < 0 {
			have.Subkeys = append(have.Subkeys, sk)
			continue
		}
		h := &have.Subkeys[i]
		h.Revocations = append(h.Revocations, sk.Revocations...)
		h.Sig = newer(h.Sig, sk.Sig)
	}
}

// newer returns the later of two self-signatures, as gpg uses the newest.
func newer(a, b *packet.Signature) *packet.Signature {
	if a == nil || (b != nil && b.CreationTime.After(a.CreationTime)) {
		return b
	}
	return a
}

// dropUnboundSubkeys removes each subkey packet (with the signatures that
// follow it) that has no valid binding signature from the primary key before
// it. go-crypto would otherwise drop the whole key, hiding why a signature by
// that subkey does not count.
func dropUnboundSubkeys(data []byte) ([]byte, []UnboundSubkey, error) {
	pkts, err := splitPackets(data)
	if err != nil {
		return nil, nil, err
	}
	var out bytes.Buffer
	var unbound []UnboundSubkey
	var primary *packet.PublicKey
	for i := 0; i < len(pkts); {
		p := pkts[i]
		end := i + 1
		for end < len(pkts) && pkts[end].tag == tagSignature {
			end++
		}
		switch p.tag {
		case tagPublicKey, tagSecretKey:
			primary = parsePublicKey(p.raw)
		case tagPublicSubkey, tagSecretSubkey:
			if u, ok := checkBinding(primary, pkts[i:end]); !ok {
				unbound = append(unbound, u)
				i = end
				continue
			}
		}
		for _, q := range pkts[i:end] {
			out.Write(q.raw)
		}
		i = end
	}
	return out.Bytes(), unbound, nil
}

func parsePublicKey(raw []byte) *packet.PublicKey {
	p, err := packet.Read(bytes.NewReader(raw))
	if err != nil {
		return nil
	}
	switch k := p.(type) {
	case *packet.PublicKey:
		return k
	case *packet.PrivateKey:
		return &k.PublicKey
	}
	return nil
}

// checkBinding reports whether the subkey in group[0] has a binding
// signature from primary among the signatures group[1:].
func checkBinding(primary *packet.PublicKey, group []rawPacket) (UnboundSubkey, bool) {
	sub := parsePublicKey(group[0].raw)
	if sub == nil {
		return UnboundSubkey{Reason: "unreadable subkey"}, false
	}
	u := UnboundSubkey{KeyID: sub.KeyId, Reason: "no valid binding signature"}
	if primary == nil {
		u.Reason = "subkey without a primary key"
		return u, false
	}
	u.Primary = hex.EncodeToString(primary.Fingerprint)
	for _, s := range group[1:] {
		p, err := packet.Read(bytes.NewReader(s.raw))
		sig, ok := p.(*packet.Signature)
		if err != nil || !ok || sig.SigType != packet.SigTypeSubkeyBinding {
			continue
		}
		if err := primary.VerifyKeySignature(sub, sig); err == nil {
			return u, true
		} else {
			u.Reason = "binding signature invalid: " + err.Error()
		}
	}
	return u, false
}

func countPrimaryKeys(data []byte) int {
	pkts, _ := splitPackets(data)
	n := 0
	for _, p := range pkts {
		if p.tag == tagPublicKey || p.tag == tagSecretKey {
			n++
		}
	}
	return n
}
