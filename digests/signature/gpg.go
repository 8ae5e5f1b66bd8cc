package signature

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// GPGSigner delegates signing to a gpg-compatible program:
// "<Program> --batch --no-tty --sign --no-armor --local-user <LocalUser>"
// with the payload on stdin. The program's own configuration (GNUPGHOME,
// agent, pinentry) applies.
type GPGSigner struct {
	Program   string   // e.g. "gpg"
	LocalUser string   // key ID, fingerprint or user ID; empty for gpg's default key
	ExtraArgs []string // put before the command, e.g. "--homedir", dir
}

var _ Signer = (*GPGSigner)(nil)

// Sign implements Signer.
func (g *GPGSigner) Sign(ctx context.Context, payload []byte) ([]byte, error) {
	args := append([]string{"--batch", "--no-tty"}, g.ExtraArgs...)
	if g.LocalUser != "" {
		args = append(args, "--local-user", g.LocalUser)
	}
	args = append(args, "--sign", "--no-armor", "--output", "-")
	out, err := g.run(ctx, payload, args...)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("sign with %s: empty output", g.Program)
	}
	return out, nil
}

// PublicKeys implements Signer: it exports LocalUser's public key.
func (g *GPGSigner) PublicKeys(ctx context.Context) (*Keyring, error) {
	args := append([]string{"--batch", "--no-tty"}, g.ExtraArgs...)
	args = append(args, "--export")
	if g.LocalUser != "" {
		args = append(args, g.LocalUser)
	}
	out, err := g.run(ctx, nil, args...)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("export public key %q with %s: no such key; check --local-user", g.LocalUser, g.Program)
	}
	return ParseKeyring(out)
}

func (g *GPGSigner) run(ctx context.Context, stdin []byte, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, g.Program, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("run %s %s: %w: %s", g.Program, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}
