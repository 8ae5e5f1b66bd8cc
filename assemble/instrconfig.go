package assemble

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/moby/sys/signal"
)

// dispatchExpose is dockerfile2llb's dispatchExpose: each word expanded in
// the stage's environment, "port[-port][/proto]" turned into port/proto
// entries (proto lowercased, tcp by default).
func (d *dispatcher) dispatchExpose(s *stageState, c *instructions.ExposeCommand) error {
	var ports []string
	for _, p := range c.Ports {
		ws, err := d.p.shlex.ProcessWords(p, s.env)
		if err != nil {
			return err
		}
		for _, w := range ws {
			ps, err := parseExposedPort(w)
			if err != nil {
				return err
			}
			ports = append(ports, ps...)
		}
	}
	if s.image.Config.ExposedPorts == nil {
		s.image.Config.ExposedPorts = map[string]struct{}{}
	}
	for _, p := range ports {
		s.image.Config.ExposedPorts[p] = struct{}{}
	}
	d.history(s, fmt.Sprintf("EXPOSE %v", ports), false)
	return nil
}

// parseExposedPort parses "port[-port][/proto]"; a host IP or host port
// (which BuildKit only warns about) is refused.
func parseExposedPort(raw string) ([]string, error) {
	port, proto, _ := strings.Cut(raw, "/")
	if proto == "" {
		proto = "tcp"
	}
	if strings.Contains(port, ":") {
		return nil, fmt.Errorf("EXPOSE %s: a host address or port is not supported by stevedore; expose the container port alone", raw)
	}
	lo, hi, isRange := strings.Cut(port, "-")
	start, err := strconv.ParseUint(lo, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("invalid containerPort: %s", port)
	}
	end := start
	if isRange {
		if end, err = strconv.ParseUint(hi, 10, 16); err != nil || end < start {
			return nil, fmt.Errorf("invalid containerPort: %s", port)
		}
	}
	var out []string
	for p := start; p <= end; p++ {
		out = append(out, strconv.FormatUint(p, 10)+"/"+strings.ToLower(proto))
	}
	return out, nil
}

// dispatchVolume is dockerfile2llb's dispatchVolume.
func (d *dispatcher) dispatchVolume(s *stageState, c *instructions.VolumeCommand) error {
	if s.image.Config.Volumes == nil {
		s.image.Config.Volumes = map[string]struct{}{}
	}
	for _, v := range c.Volumes {
		if v == "" {
			return fmt.Errorf("VOLUME specified can not be an empty string")
		}
		s.image.Config.Volumes[v] = struct{}{}
	}
	d.history(s, fmt.Sprintf("VOLUME %v", c.Volumes), false)
	return nil
}

// dispatchStopSignal is dockerfile2llb's dispatchStopSignal.
func (d *dispatcher) dispatchStopSignal(s *stageState, c *instructions.StopSignalCommand) error {
	if _, err := signal.ParseSignal(c.Signal); err != nil {
		return err
	}
	s.image.Config.StopSignal = c.Signal
	d.history(s, fmt.Sprintf("STOPSIGNAL %v", c.Signal), false)
	return nil
}

// dispatchHealthcheck is dockerfile2llb's dispatchHealthcheck; its history
// text is the config printed with %+v, as v0.34.2 prints it.
func (d *dispatcher) dispatchHealthcheck(s *stageState, c *instructions.HealthCheckCommand) error {
	s.image.Config.Healthcheck = &dockerspec.HealthcheckConfig{
		Test:          c.Health.Test,
		Interval:      c.Health.Interval,
		Timeout:       c.Health.Timeout,
		StartPeriod:   c.Health.StartPeriod,
		StartInterval: c.Health.StartInterval,
		Retries:       c.Health.Retries,
	}
	d.history(s, fmt.Sprintf("HEALTHCHECK %+v", *s.image.Config.Healthcheck), false)
	return nil
}
