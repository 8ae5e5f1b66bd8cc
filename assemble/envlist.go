package assemble

import "strings"

// envList is an ordered environment that behaves like BuildKit's
// llb.EnvList: setting a key moves it to the end, so ToArray lists keys in
// the order they were last set. Its order reaches RUN processes and so
// build outputs.
type envList struct {
	keys []string
	vals map[string]string
}

func newEnvList() *envList { return &envList{vals: map[string]string{}} }

func (e *envList) clone() *envList {
	c := &envList{keys: append([]string(nil), e.keys...), vals: make(map[string]string, len(e.vals))}
	for k, v := range e.vals {
		c.vals[k] = v
	}
	return c
}

// set adds or replaces k, moving it to the end.
func (e *envList) set(k, v string) {
	if _, ok := e.vals[k]; ok {
		e.remove(k)
	}
	e.keys = append(e.keys, k)
	e.vals[k] = v
}

func (e *envList) remove(k string) {
	for i, key := range e.keys {
		if key == k {
			e.keys = append(e.keys[:i:i], e.keys[i+1:]...)
			break
		}
	}
	delete(e.vals, k)
}

// Get and Keys make envList a shell.EnvGetter for BuildKit's lexer.
func (e *envList) Get(k string) (string, bool) { v, ok := e.vals[k]; return v, ok }

func (e *envList) Keys() []string { return append([]string(nil), e.keys...) }

func (e *envList) toArray() []string {
	out := make([]string, len(e.keys))
	for i, k := range e.keys {
		out[i] = k + "=" + e.vals[k]
	}
	return out
}

// parseKeyValue splits "k=v" as BuildKit does.
func parseKeyValue(env string) (string, string) {
	k, v, _ := strings.Cut(env, "=")
	return k, v
}

// addEnv sets k in an image's Env list in place, as dockerfile2llb's addEnv.
func addEnv(env []string, k, v string) []string {
	for i, e := range env {
		if key, _ := parseKeyValue(e); key == k {
			env[i] = k + "=" + v
			return env
		}
	}
	return append(env, k+"="+v)
}
