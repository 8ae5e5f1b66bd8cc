package containerfile

import (
	"fmt"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
)

// lower converts one BuildKit command into stevedore's type, or explains
// why stevedore cannot build it.
func lower(pos Pos, c instructions.Command) (Instruction, error) {
	b := base{pos: pos, keyword: strings.ToUpper(c.Name()), cmd: c}
	switch c := c.(type) {
	case *instructions.ArgCommand:
		return lowerArg(pos, c), nil
	case *instructions.EnvCommand:
		return &Env{base: b, Vars: kvs(c.Env)}, nil
	case *instructions.LabelCommand:
		return &Label{base: b, Labels: kvs(c.Labels)}, nil
	case *instructions.WorkdirCommand:
		return &Workdir{base: b, Path: c.Path}, nil
	case *instructions.UserCommand:
		return &User{base: b, User: c.User}, nil
	case *instructions.ShellCommand:
		return &Shell{base: b, Shell: c.Shell}, nil
	case *instructions.EntrypointCommand:
		return &Entrypoint{base: b, Cmd: c.CmdLine, PrependShell: c.PrependShell}, nil
	case *instructions.CmdCommand:
		return &Cmd{base: b, Cmd: c.CmdLine, PrependShell: c.PrependShell}, nil
	case *instructions.RunCommand:
		return lowerRun(b, c)
	case *instructions.CopyCommand:
		return lowerCopy(b, c)
	case *instructions.AddCommand:
		return lowerAdd(b, c)
	case *instructions.ExposeCommand, *instructions.VolumeCommand, *instructions.StopSignalCommand, *instructions.HealthCheckCommand:
		return &ImageConfig{base: b}, nil
	case *instructions.OnbuildCommand:
		return nil, fmt.Errorf("ONBUILD is not supported by stevedore: its triggers would run in images built FROM this one, which stevedore does not do; remove it or build this recipe with BuildKit")
	}
	return nil, fmt.Errorf("%s is not supported by stevedore (StageX recipes do not use it); remove it or build this recipe with BuildKit", b.keyword)
}

func lowerArg(pos Pos, c *instructions.ArgCommand) *Arg {
	a := &Arg{base: base{pos: pos, keyword: "ARG", cmd: c}}
	for _, kv := range c.Args {
		d := ArgDef{Key: kv.Key}
		if kv.Value != nil {
			v := *kv.Value
			d.Default = &v
		}
		a.Args = append(a.Args, d)
	}
	return a
}

func kvs(in instructions.KeyValuePairs) []KeyValue {
	out := make([]KeyValue, len(in))
	for i, kv := range in {
		out[i] = KeyValue{Key: kv.Key, Value: kv.Value}
	}
	return out
}

func lowerRun(b base, c *instructions.RunCommand) (Instruction, error) {
	for _, f := range c.FlagsUsed {
		if f != "network" && f != "mount" {
			return nil, unsupportedFlag("RUN", f)
		}
	}
	// Mount flags are parsed when the command is expanded; the words
	// themselves are expanded again when the stage runs.
	if err := c.Expand(func(w string) (string, error) { return w, nil }); err != nil {
		return nil, err
	}
	for _, m := range instructions.GetMounts(c) {
		switch m.Type {
		case instructions.MountTypeBind, instructions.MountTypeCache, instructions.MountTypeTmpfs:
		default:
			return nil, fmt.Errorf("RUN --mount=type=%s is not supported by stevedore (bind, cache and tmpfs are); build this recipe with BuildKit", m.Type)
		}
	}
	netw := instructions.GetNetwork(c)
	if netw != NetworkDefault && netw != NetworkNone {
		return nil, fmt.Errorf("RUN --network=%s is not supported: every RUN runs without network (use --network=none, or omit the flag for a fetch step)", netw)
	}
	r := &Run{base: b, Cmd: c.CmdLine, PrependShell: c.PrependShell, Network: netw}
	for _, f := range c.Files {
		r.Heredocs = append(r.Heredocs, Heredoc{Name: f.Name, Data: f.Data, Chomp: f.Chomp})
	}
	return r, nil
}

func lowerCopy(b base, c *instructions.CopyCommand) (Instruction, error) {
	return &Copy{
		base: b, From: c.From, Chmod: c.Chmod, Chown: c.Chown,
		Sources: c.SourcePaths, Heredocs: contents(c.SourceContents), Dest: c.DestPath,
	}, nil
}

func lowerAdd(b base, c *instructions.AddCommand) (Instruction, error) {
	switch {
	case c.KeepGitDir != nil:
		return nil, unsupportedFlag("ADD", "keep-git-dir")
	case c.Checksum != "" && len(c.SourcePaths) != 1:
		return nil, fmt.Errorf("ADD --checksum: checksum can't be specified for multiple sources")
	case c.Checksum != "" && !isRemote(c.SourcePaths[0]):
		return nil, fmt.Errorf("ADD --checksum: checksum requires HTTP(S) or Git sources (BuildKit refuses it for local files too)")
	case c.Unpack != nil:
		return nil, unsupportedFlag("ADD", "unpack")
	}
	for _, src := range c.SourcePaths {
		if isRemote(src) {
			return nil, fmt.Errorf("ADD %s: remote sources are not supported: declare the file as a [sources] entry in package.toml and use ADD fetch/<file>", src)
		}
	}
	return &Add{
		base: b, Chmod: c.Chmod, Chown: c.Chown,
		Sources: c.SourcePaths, Heredocs: contents(c.SourceContents), Dest: c.DestPath,
	}, nil
}

func contents(in []instructions.SourceContent) []Heredoc {
	var out []Heredoc
	for _, sc := range in {
		out = append(out, Heredoc{Name: sc.Path, Data: sc.Data, Expand: sc.Expand})
	}
	return out
}

func unsupportedFlag(instr, flag string) error {
	return fmt.Errorf("%s --%s is not supported by stevedore yet; remove the flag or build this recipe with BuildKit", instr, flag)
}

// isRemote reports whether an ADD source is a URL or git reference, which
// BuildKit would download.
func isRemote(src string) bool {
	for _, p := range []string{"http://", "https://", "git@", "git://", "ssh://"} {
		if strings.HasPrefix(src, p) {
			return true
		}
	}
	return false
}
