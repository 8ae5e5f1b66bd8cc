package image_test

import (
	"fmt"
	"strings"
	"time"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stevedore-build/stevedore/assemble/image"
)

// recipe is one target built by BuildKit and by this package. frontend
// states, instruction by instruction, the config the Dockerfile frontend
// makes of its final stage; it is written from the recipe, not from
// BuildKit's output.
type recipe struct {
	name, version string
	files         map[string]string
	containerfile string
	buildArgs     map[string]string
	dep           string // the target this one is FROM stagex/<dep>, if any
	epoch         int64  // SOURCE_DATE_EPOCH; 0 means StageX's 1
	frontend      func(f *frontend)
}

// sourceDateEpoch is the recipe's epoch as a time.
func (r recipe) sourceDateEpoch() time.Time {
	if r.epoch == 0 {
		return time.Unix(1, 0).UTC()
	}
	return time.Unix(r.epoch, 0).UTC()
}

// frontend applies instructions to an image config the way
// dockerfile2llb/convert.go does for the few instructions StageX uses.
type frontend struct {
	img   dockerspec.DockerOCIImage
	epoch time.Time
}

func (f *frontend) commit(by string, layer bool) {
	e := f.epoch
	f.img.History = append(f.img.History, ocispec.History{Created: &e, CreatedBy: by, Comment: "buildkit.dockerfile.v0", EmptyLayer: !layer})
}

// copy is COPY/ADD: a layer whose history ends in " # buildkit".
func (f *frontend) copy(args string) { f.commit("COPY "+args+" # buildkit", true) }

func (f *frontend) arg(kv string) { f.commit("ARG "+kv, false) }

// env is ENV k=v ... (values unquoted), replacing existing keys in place.
func (f *frontend) env(kvs ...string) {
	for _, kv := range kvs {
		k, _, _ := strings.Cut(kv, "=")
		i := len(f.img.Config.Env)
		for j, e := range f.img.Config.Env {
			if strings.HasPrefix(e, k+"=") {
				i = j
			}
		}
		if i == len(f.img.Config.Env) {
			f.img.Config.Env = append(f.img.Config.Env, kv)
		} else {
			f.img.Config.Env[i] = kv
		}
	}
	f.commit("ENV "+strings.Join(kvs, " "), false)
}

func (f *frontend) user(u string) {
	f.img.Config.User = u
	f.commit("USER "+u, false)
}

// workdir makes a layer (mkdir) unless the directory is "/".
func (f *frontend) workdir(wd string) {
	f.img.Config.WorkingDir = wd
	f.commit("WORKDIR "+wd, wd != "/")
}

func (f *frontend) label(kvs ...string) {
	if f.img.Config.Labels == nil {
		f.img.Config.Labels = map[string]string{}
	}
	for _, kv := range kvs {
		k, v, _ := strings.Cut(kv, "=")
		f.img.Config.Labels[k] = v
	}
	f.commit("LABEL "+strings.Join(kvs, " "), false)
}

func (f *frontend) shell(sh ...string) {
	f.img.Config.Shell = sh
	f.commit(fmt.Sprintf("SHELL %v", sh), false)
}

// withShell is the shell form: the shell (default /bin/sh -c) plus the line.
func (f *frontend) withShell(line string) []string {
	sh := f.img.Config.Shell
	if len(sh) == 0 {
		sh = []string{"/bin/sh", "-c"}
	}
	return append(append([]string(nil), sh...), line)
}

// entrypoint clears an inherited Cmd unless cmdSet (a CMD earlier in the
// same stage).
func (f *frontend) entrypoint(args []string, cmdSet bool) {
	f.img.Config.Entrypoint = args
	if !cmdSet {
		f.img.Config.Cmd = nil
	}
	f.commit(fmt.Sprintf("ENTRYPOINT %q", args), false)
}

func (f *frontend) cmd(args []string) {
	f.img.Config.Cmd = args
	f.img.Config.ArgsEscaped = true
	f.commit(fmt.Sprintf("CMD %q", args), false)
}

// recipes are the cases: FROM scratch with every metadata instruction
// StageX uses, a multi-stage build, and targets FROM an earlier one through
// an oci-layout named context (docs/buildkit-output.md 7.4).
var recipes = []recipe{
	{
		name: "core-meta", version: "1.2.3",
		files: map[string]string{"hello.txt": "hello\n", "a&b.txt": "amp\n"},
		containerfile: `FROM scratch
ARG FOO=bar
ARG VERSION
COPY hello.txt /hello.txt
COPY a&b.txt /<x>/
ENV E1=v1 E2="two words" HTML="<a&b>"
USER 1000:1000
WORKDIR /work
WORKDIR /
LABEL org.example.a="b c" z=1
SHELL ["/bin/sh", "-eu", "-c"]
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["echo hi && true > /dev/null"]
`,
		buildArgs: map[string]string{"VERSION": "1.2.3"},
		frontend: func(f *frontend) {
			f.arg("FOO=bar")
			f.arg("VERSION=1.2.3")
			f.copy("hello.txt /hello.txt")
			f.copy("a&b.txt /<x>/")
			f.env("E1=v1", "E2=two words", "HTML=<a&b>")
			f.user("1000:1000")
			f.workdir("/work")
			f.workdir("/")
			f.label("org.example.a=b c", "z=1")
			f.shell("/bin/sh", "-eu", "-c")
			f.entrypoint([]string{"/bin/sh", "-c"}, false)
			f.cmd([]string{"echo hi && true > /dev/null"})
		},
	},
	{
		name:  "core-base",
		files: map[string]string{"etc/passwd": "root:x:0:0::/root:/bin/sh\n", "etc/group": "root:x:0:\n"},
		containerfile: `FROM scratch AS build
COPY etc/ /rootfs/etc/
FROM scratch AS package
COPY --from=build /rootfs/ /
ENV PATH=/usr/bin:/bin
USER 1:1
ENTRYPOINT /bin/sh
`,
		frontend: func(f *frontend) {
			f.copy("/rootfs/ /")
			f.env("PATH=/usr/bin:/bin")
			f.user("1:1")
			f.entrypoint(f.withShell("/bin/sh"), false)
		},
	},
	{
		name: "core-app", version: "0.1", dep: "core-base",
		files: map[string]string{"app": "#!/bin/sh\necho app\n", "lib/x.so": "x"},
		containerfile: `FROM scratch AS build
COPY app /rootfs/usr/bin/app
COPY lib /rootfs/usr/lib/
FROM stagex/core-base AS package
ARG VERSION
COPY --from=build /rootfs/ /
ENV APP=1
CMD ["app"]
`,
		buildArgs: map[string]string{"VERSION": "0.1"},
		frontend: func(f *frontend) {
			f.arg("VERSION=0.1")
			f.copy("/rootfs/ /")
			f.env("APP=1")
			f.cmd([]string{"app"})
		},
	},
	{
		name: "user-tool", dep: "core-app",
		files: map[string]string{"tool": "t"},
		containerfile: `FROM stagex/core-app
COPY tool /usr/bin/tool
COPY tool /usr/bin/tool2
ENTRYPOINT ["/usr/bin/tool"]
`,
		frontend: func(f *frontend) {
			f.copy("tool /usr/bin/tool")
			f.copy("tool /usr/bin/tool2")
			f.entrypoint([]string{"/usr/bin/tool"}, false)
		},
	},
	{
		// The final stage is FROM a stage that is FROM the dependency:
		// the dependency stays the base (convert.go copies baseImg).
		name: "core-chain", dep: "core-base",
		files: map[string]string{"c": "c"},
		containerfile: `FROM stagex/core-base AS mid
ENV MID=1
WORKDIR /srv
FROM mid AS package
COPY c /srv/c
`,
		frontend: func(f *frontend) {
			f.env("MID=1")
			f.workdir("/srv")
			f.copy("c /srv/c")
		},
	},
	{
		// A base built with a later epoch: its history times are after
		// the next build's epoch, and must be kept (moby/buildkit#4614).
		name: "core-late", epoch: 86400,
		files:         map[string]string{"late": "l"},
		containerfile: "FROM scratch\nCOPY late /late\nENV LATE=1\n",
		frontend: func(f *frontend) {
			f.copy("late /late")
			f.env("LATE=1")
		},
	},
	{
		name: "core-early", dep: "core-late",
		files:         map[string]string{"early": "e"},
		containerfile: "FROM stagex/core-late\nENV EARLY=1\nCOPY early /early\n",
		frontend: func(f *frontend) {
			f.env("EARLY=1")
			f.copy("early /early")
		},
	},
	{
		// Only metadata after the base: no new layer, and the config's
		// created is the last history entry's.
		name: "core-meta-only", dep: "core-late",
		containerfile: "FROM stagex/core-late\nUSER 2:2\n",
		frontend: func(f *frontend) {
			f.user("2:2")
		},
	},
}

// start returns the frontend's config before the recipe's instructions.
func start(platform ocispec.Platform, base *dockerspec.DockerOCIImage, epoch time.Time) *frontend {
	if base == nil {
		return &frontend{img: image.EmptyImage(platform), epoch: epoch}
	}
	return &frontend{img: image.FromBase(*base), epoch: epoch}
}
