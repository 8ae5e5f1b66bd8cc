package assemble

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/stevedore-build/stevedore/sandbox"
)

// runArgs computes the process arguments of a RUN, heredocs included, as
// dispatchRun does.
func runArgs(s *stageState, c *instructions.RunCommand) ([]string, error) {
	args := c.CmdLine
	if len(c.Files) > 0 {
		if len(args) != 1 || !c.PrependShell {
			return nil, fmt.Errorf("parsing produced an invalid run command: %v", args)
		}
		if h := parser.MustParseHeredoc(args[0]); h != nil {
			data := c.Files[0].Data
			if c.Files[0].Chomp {
				data = parser.ChompHeredocContent(data)
			}
			if strings.HasPrefix(data, "#!") {
				return nil, fmt.Errorf("a RUN heredoc starting with #! (run as a script file) is not supported yet; start it with a shell command instead")
			}
			args = []string{data}
		} else {
			var b strings.Builder
			b.WriteString(args[0])
			for _, f := range c.Files {
				b.WriteByte('\n')
				b.WriteString(f.Data)
				b.WriteString(f.Name)
			}
			args = []string{b.String()}
		}
	}
	if c.PrependShell {
		args = withShell(s, args)
	}
	return args, nil
}

// runCommandString is BuildKit's history text of a RUN: the ARGs in scope
// as "|N k=v ..." (values as the environment has them), then the argv.
func runCommandString(args []string, buildArgs []instructions.KeyValuePairOptional, env *envList) string {
	var tmp []string
	idx := map[string]int{}
	for _, a := range buildArgs {
		v, ok := env.Get(a.Key)
		if !ok {
			v = a.ValueString()
		}
		if i, ok := idx[a.Key]; ok {
			tmp[i] = a.Key + "=" + v
		} else {
			idx[a.Key] = len(tmp)
			tmp = append(tmp, a.Key+"="+v)
		}
	}
	if len(tmp) > 0 {
		tmp = append([]string{fmt.Sprintf("|%d", len(tmp))}, tmp...)
	}
	return strings.Join(append(tmp, args...), " ")
}

// dispatchRun runs the command in the sandbox on the stage's filesystem
// and commits what it changed as a layer. A fetch step (no
// --network=none) gets outbound network access (its own network namespace
// behind slirp4netns, never the host's) only when the build allows it,
// and then its layer is recorded for bundles; a recorded layer for the
// same key is reused instead of running it.
func (d *dispatcher) dispatchRun(ctx context.Context, s *stageState, c *instructions.RunCommand) error {
	if d.b.Runner == nil {
		return fmt.Errorf("RUN needs a sandbox runner")
	}
	args, err := runArgs(s, c)
	if err != nil {
		return err
	}
	history := "RUN " + runCommandString(args, s.args, s.env)
	network := instructions.GetNetwork(c)
	outbound := d.t.NetworkForFetchSteps && network != instructions.NetworkNone
	rm, err := d.prepareMounts(ctx, s, c)
	if err != nil {
		return err
	}
	defer rm.close()
	ck := d.runKey(s, args, network, rm.key)
	if network != instructions.NetworkNone {
		if ok, err := d.recordedFetchStep(ctx, s, ck); ok || err != nil {
			if err == nil {
				d.historyEntry(s, history, true, true)
			}
			return err
		}
	}
	if outbound {
		fmt.Fprintf(d.log, "[%s] this fetch step runs with outbound network access (its own network namespace; the host's loopback is out of reach)\n", s.name)
	}
	err = d.commit(ctx, s, ck, func(root string) error {
		return d.runInSandbox(ctx, s, root, args, network, outbound, rm.mounts)
	})
	if err != nil {
		return err
	}
	if outbound {
		if err := d.recordFetchStep(ctx, s); err != nil {
			return err
		}
	}
	d.historyEntry(s, history, true, true)
	return nil
}

// runKey is a RUN's cache key: argv, environment, working directory,
// user, limits and network mode.
func (d *dispatcher) runKey(s *stageState, args []string, network string, mounts []string) string {
	var limits []string
	for _, u := range d.t.Ulimits {
		limits = append(limits, u.String())
	}
	fields := []string{"RUN", joinFields(args), joinFields(s.env.toArray()), s.workdir, s.user, joinFields(limits), network}
	if len(mounts) > 0 {
		fields = append(fields, "mounts", joinFields(mounts))
	}
	return d.cacheKey(fields...)
}

// runInSandbox runs args on root and turns a non-zero exit into an error
// that says, for a RUN without --network=none, that it had no network.
func (d *dispatcher) runInSandbox(ctx context.Context, s *stageState, root string, args []string, network string, outbound bool, mounts []sandbox.Mount) error {
	lim := d.b.Limits
	out := d.log
	if lim.LogBytes > 0 {
		out = &cappedWriter{w: d.log, left: lim.LogBytes, limit: lim.LogBytes}
	}
	runCtx, stop := watchFreeSpace(ctx, d.work, lim.MinFreeBytes)
	defer stop()
	res, err := d.b.Runner.Run(runCtx, sandbox.Spec{
		Rootfs:          root,
		Args:            args,
		Env:             s.env.toArray(),
		Cwd:             s.workdir,
		User:            s.user,
		Rlimits:         d.t.Ulimits,
		PidsLimit:       lim.PidsLimit,
		OutboundNetwork: outbound,
		Mounts:          mounts,
		Stdout:          out,
		Stderr:          out,
	})
	if cause := context.Cause(runCtx); errors.Is(cause, errLowDisk) {
		return cause
	}
	if err != nil {
		return err
	}
	if res.ExitCode == 0 {
		return nil
	}
	msg := fmt.Sprintf("process %q did not complete successfully: exit code %d", strings.Join(args, " "), res.ExitCode)
	if res.PidsLimitHit {
		msg += " (it reached its pids limit: a fork failed; if the step really needs more processes, raise stevedore build --pids-limit)"
	}
	if network != instructions.NetworkNone && !outbound {
		msg += " (this RUN has no --network=none but ran without network, as every RUN does by default; if it is a fetch step that needs the network, build with --network-for-fetch-steps, or with a bundle that recorded it)"
	}
	return fmt.Errorf("%s", msg)
}
