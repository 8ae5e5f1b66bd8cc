package assemble

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	"github.com/moby/buildkit/util/system"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

const historyComment = "buildkit.dockerfile.v0"

// expand replaces variables in a command's words with the stage's
// environment, as dispatch does before dispatching (ARG expands itself).
func (d *dispatcher) expand(s *stageState, cmd instructions.Command) error {
	if _, isArg := cmd.(*instructions.ArgCommand); isArg {
		return nil
	}
	if ex, ok := cmd.(instructions.SupportsSingleWordExpansion); ok {
		err := ex.Expand(func(word string) (string, error) {
			v, _, err := d.p.shlex.ProcessWord(word, s.env)
			return v, err
		})
		if err != nil {
			return err
		}
	}
	if ex, ok := cmd.(instructions.SupportsSingleWordExpansionRaw); ok {
		return ex.ExpandRaw(func(word string) (string, error) {
			lex := shell.NewLex('\\')
			lex.SkipProcessQuotes = true
			v, _, err := lex.ProcessWord(word, s.env)
			return v, err
		})
	}
	return nil
}

// history appends a history entry as commitToHistory does; layer entries
// produced by an operation get " # buildkit".
func (d *dispatcher) history(s *stageState, msg string, withLayer bool) {
	d.historyEntry(s, msg, withLayer, false)
}

// historyEntry appends an entry; fromOp marks entries of COPY, ADD and RUN,
// whose created_by BuildKit suffixes with " # buildkit" (WORKDIR's layer
// gets none).
func (d *dispatcher) historyEntry(s *stageState, msg string, withLayer, fromOp bool) {
	if fromOp {
		msg += " # buildkit"
	}
	tm := d.t.Epoch.UTC()
	s.image.History = append(s.image.History, ocispec.History{
		CreatedBy:  msg,
		Comment:    historyComment,
		EmptyLayer: !withLayer,
		Created:    &tm,
	})
}

func (d *dispatcher) dispatchEnv(s *stageState, c *instructions.EnvCommand) error {
	msg := bytes.NewBufferString("ENV")
	for _, e := range c.Env {
		msg.WriteString(" " + e.String())
		s.env.set(e.Key, e.Value)
		s.image.Config.Env = addEnv(s.image.Config.Env, e.Key, e.Value)
	}
	d.history(s, msg.String(), false)
	return nil
}

func (d *dispatcher) dispatchLabel(s *stageState, c *instructions.LabelCommand) error {
	msg := bytes.NewBufferString("LABEL")
	if s.image.Config.Labels == nil {
		s.image.Config.Labels = make(map[string]string, len(c.Labels))
	}
	for _, v := range c.Labels {
		s.image.Config.Labels[v.Key] = v.Value
		msg.WriteString(" " + v.String())
	}
	d.history(s, msg.String(), false)
	return nil
}

// dispatchArg is dockerfile2llb's dispatchArg: build args win, then a
// default expanded in the stage, then the global scope's value.
func (d *dispatcher) dispatchArg(s *stageState, c *instructions.ArgCommand) error {
	var parts []string
	for _, arg := range c.Args {
		_, hasValue := d.t.BuildArgs[arg.Key]
		hasDefault := arg.Value != nil
		if !hasDefault && !hasValue {
			if v, ok := d.p.globalArgs.Get(arg.Key); ok {
				arg.Value = &v
			}
		}
		if hasValue {
			v := d.t.BuildArgs[arg.Key]
			arg.Value = &v
		} else if hasDefault {
			v, _, err := d.p.shlex.ProcessWord(*arg.Value, s.env)
			if err != nil {
				return err
			}
			arg.Value = &v
		}
		if arg.Value != nil {
			s.env.set(arg.Key, *arg.Value)
		}
		s.args = append(s.args, arg)
		part := arg.Key
		if arg.Value != nil {
			part += "=" + *arg.Value
		}
		parts = append(parts, part)
	}
	d.history(s, "ARG "+strings.Join(parts, " "), false)
	return nil
}

func (d *dispatcher) dispatchCmd(s *stageState, c *instructions.CmdCommand) error {
	args := c.CmdLine
	if c.PrependShell {
		args = withShell(s, args)
	}
	s.image.Config.Cmd = args
	s.image.Config.ArgsEscaped = true //nolint:staticcheck // BuildKit sets it for Docker compatibility
	s.cmdSet = true
	d.history(s, fmt.Sprintf("CMD %q", args), false)
	return nil
}

func (d *dispatcher) dispatchEntrypoint(s *stageState, c *instructions.EntrypointCommand) error {
	args := c.CmdLine
	if c.PrependShell {
		args = withShell(s, args)
	}
	s.image.Config.Entrypoint = args
	if !s.cmdSet {
		s.image.Config.Cmd = nil
	}
	d.history(s, fmt.Sprintf("ENTRYPOINT %q", args), false)
	return nil
}

// withShell prefixes a shell-form command with the stage's shell.
func withShell(s *stageState, args []string) []string {
	sh := []string{"/bin/sh", "-c"}
	if len(s.image.Config.Shell) > 0 {
		sh = append([]string(nil), s.image.Config.Shell...)
	}
	return append(sh, strings.Join(args, " "))
}

// setWorkdir updates the working directory without a layer (from a base
// image's config).
func (d *dispatcher) setWorkdir(s *stageState, path string) error {
	wd, err := system.NormalizeWorkdir(s.image.Config.WorkingDir, path, "linux")
	if err != nil {
		return fmt.Errorf("normalizing workdir: %w", err)
	}
	s.image.Config.WorkingDir = wd
	s.workdir = wd
	return nil
}

// dispatchWorkdir sets the working directory and, unless it is "/",
// creates it in a layer of its own (even when it exists already).
func (d *dispatcher) dispatchWorkdir(ctx context.Context, s *stageState, c *instructions.WorkdirCommand) error {
	if err := d.setWorkdir(s, c.Path); err != nil {
		return err
	}
	wd := s.workdir
	if wd == "/" {
		d.history(s, "WORKDIR "+wd, false)
		return nil
	}
	epoch := d.t.Epoch
	ck := d.cacheKey("WORKDIR", wd, s.image.Config.User)
	err := d.commit(ctx, s, ck, func(root string) error {
		ch, err := chownerFor(root, s.image.Config.User)
		if err != nil {
			return err
		}
		return mkdirAll(root, wd, 0o755, ch, &epoch)
	})
	if err != nil {
		return err
	}
	d.history(s, "WORKDIR "+wd, true)
	return nil
}

// cacheKey is the key of an instruction's own inputs ("" without a cache);
// commit chains it with the stage's filesystem key. The epoch is always
// part of it because layers are clamped to it.
func (d *dispatcher) cacheKey(fields ...string) string {
	if d.b.Cache == nil {
		return ""
	}
	return key(append([]string{d.t.Epoch.UTC().String()}, fields...)...)
}
