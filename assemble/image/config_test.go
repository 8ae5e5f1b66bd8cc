package image

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

var epoch1 = time.Unix(1, 0).UTC()

// hist builds a history entry as commitToHistory does. createdBy carries
// " # buildkit" when the instruction ran in LLB (COPY, ADD, RUN), not for
// WORKDIR, which makes a layer without it.
func hist(createdBy string, layer bool, created time.Time) ocispec.History {
	return ocispec.History{Created: &created, CreatedBy: createdBy, Comment: "buildkit.dockerfile.v0", EmptyLayer: !layer}
}

// edgeImage is the frontend's config for the corner-case image of
// docs/buildkit-output.md 7.1, rebuilt from its Dockerfile instructions.
func edgeImage() (dockerspec.DockerOCIImage, []digest.Digest) {
	img := EmptyImage(ocispec.Platform{OS: "linux", Architecture: "amd64"})
	c := &img.Config
	c.User = "1000:1000"
	c.ExposedPorts = map[string]struct{}{"8080/tcp": {}}
	c.Env = append(c.Env, "E1=v1", "E2=two words")
	c.Entrypoint = []string{"/bin/sh", "-c"}
	c.Cmd = []string{"echo hi && true > /dev/null"}
	c.Volumes = map[string]struct{}{"/data": {}}
	c.WorkingDir = "/work"
	c.Labels = map[string]string{"org.example.a": "b c", "z": "1"}
	c.StopSignal = "SIGTERM"
	c.ArgsEscaped = true
	c.Healthcheck = &dockerspec.HealthcheckConfig{Test: []string{"CMD-SHELL", "true"}}
	c.Shell = []string{"/bin/sh", "-eu", "-c"}
	run := `|2 FOO=bar UNUSED=x /bin/sh -c `
	for _, h := range []struct {
		by    string
		layer bool
	}{
		{"COPY busybox /bin/busybox # buildkit", true},
		{"RUN /bin/busybox mkdir -p /usr/bin /sbin /usr/sbin /usr/local/bin # buildkit", true},
		{"RUN /bin/busybox --install -s # buildkit", true},
		{"COPY mkfix /usr/local/bin/mkfix # buildkit", true},
		{"ARG FOO=bar", false},
		{"ARG UNUSED=x", false},
		{"ENV E1=v1 E2=two words", false},
		{"WORKDIR /work", true},
		{"WORKDIR /work", true},
		{"RUN " + run + `mkdir -p /d1/sub /d2 && echo a > /d1/a && echo b > /d1/sub/b && echo c > /d2/c && echo del > /del && echo "$FOO" > /foo && echo '<&>' > /html` + " # buildkit", true},
		{"RUN " + run + "rm /del && rm -rf /d1 /d2 && mkdir -p /d1 && echo new > /d1/new # buildkit", true},
		{"RUN |2 FOO=bar UNUSED=x /usr/local/bin/mkfix /fx # buildkit", true},
		{"COPY <<EOT /heredoc.txt # buildkit", true},
		{"COPY --chmod=0600 ctxfile.txt /ctx/ # buildkit", true},
		{"ADD test.tar /added/ # buildkit", true},
		{"LABEL org.example.a=b c z=1", false},
		{"EXPOSE [8080/tcp]", false},
		{"VOLUME [/data]", false},
		{"USER 1000:1000", false},
		{"STOPSIGNAL SIGTERM", false},
		{"SHELL [/bin/sh -eu -c]", false},
		{"HEALTHCHECK {Test:[CMD-SHELL true] Interval:0s Timeout:0s StartPeriod:0s StartInterval:0s Retries:0}", false},
		{`ENTRYPOINT ["/bin/sh" "-c"]`, false},
		{`CMD ["echo hi && true > /dev/null"]`, false},
	} {
		img.History = append(img.History, hist(h.by, h.layer, epoch1))
	}
	var diffIDs []digest.Digest
	for _, hex := range []string{
		"41ddd5c27048af2f73a9443f0baecab9b7aa35cf09f9387b9c71d473297d7105",
		"9467ffd508bd4edf6ec4c5fbcc1c6c1395351e2f81ea59452567b5f7878a9f67",
		"c272b8fc3d9d1a05e1b6a531f11480774ece70df8b57420c70a636287f09c3dd",
		"3ad78242d4210369be577b3d108d7badbc865a9f227cd500483ed643868a9ee6",
		"397b8a10a429d3a23cb5d56b7ed171d71ea7ab6d23ae00ee0a7f7f385816e1d1",
		"5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef",
		"125385aed9f1ae35bcb6910904f0cba2722548f6440a0f3c286f9bc5778b12f3",
		"b5bea8e85f9adb1e352f09b84c5c2db10fa7018803a9e244966e06b50a594134",
		"a387bb8098eb30b848a64d9a838909bd284aa9ed560589c062f4bc0bb803a101",
		"53f48c029f7173a8a494da67d80fd7c512260ae2eb16c3ded780e522f34aeda5",
		"70706800a21bfd37237726c7a9fecb8981dee1984f0e1b678b1c4554807f05b4",
		"d52fb7d85fb9e42435270abd67fb7cea777f97bc52bff4bae5042e86f8d28c30",
	} {
		diffIDs = append(diffIDs, digest.Digest("sha256:"+hex))
	}
	return img, diffIDs
}

// TestConfigBlobEdgeGolden requires the exact config bytes measured from
// BuildKit in docs/buildkit-output.md 7.1: sorted top-level keys, struct order
// inside, HTML escapes in RawMessages, created from the history.
func TestConfigBlobEdgeGolden(t *testing.T) {
	want, err := os.ReadFile("testdata/edge-config.json")
	if err != nil {
		t.Fatal(err)
	}
	img, diffIDs := edgeImage()
	got, err := ConfigBlob(img, nil, diffIDs, epoch1)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("config differs from BuildKit's (-want +got):\n%s", cmp.Diff(string(want), string(got)))
	}
}

// TestConfigBlobLocalEpoch: an epoch in another time zone still gives the
// UTC "Z" times BuildKit writes (it parses SOURCE_DATE_EPOCH as UTC).
func TestConfigBlobLocalEpoch(t *testing.T) {
	img, diffIDs := edgeImage()
	want, err := ConfigBlob(img, nil, diffIDs, epoch1)
	if err != nil {
		t.Fatal(err)
	}
	img, _ = edgeImage()
	for i := range img.History {
		img.History[i].Created = nil // the executor may leave times out
	}
	got, err := ConfigBlob(img, nil, diffIDs, epoch1.In(time.FixedZone("X", 3600)))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("(-want +got):\n%s", cmp.Diff(string(want), string(got)))
	}
}

func at2(s string) time.Time {
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return tm
}

// configField decodes one top-level field of a config blob.
func configField(t *testing.T, blob []byte, key string, v any) {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(blob, &m); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(m[key], v); err != nil {
		t.Fatalf("field %s: %v", key, err)
	}
}

// TestConfigBlobClamping covers the epoch rules of patchImageConfig with a
// base image: leading base entries keep their (older or newer) times, every
// entry after the first difference is clamped when later than the epoch.
func TestConfigBlobClamping(t *testing.T) {
	old, late := at2("1960-01-01T00:00:00Z"), at2("2024-05-05T05:05:05Z")
	base := EmptyImage(ocispec.Platform{OS: "linux", Architecture: "amd64"})
	base.Created = &late
	base.RootFS.DiffIDs = []digest.Digest{digest.Digest("sha256:" + strings.Repeat("a", 64))}
	base.History = []ocispec.History{hist("COPY a / # buildkit", true, late), hist("ENV A=1", false, old)}
	tests := []struct {
		name     string
		history  []ocispec.History
		base     *dockerspec.DockerOCIImage
		layers   int
		want     []time.Time
		wantTime time.Time
	}{
		{"base kept, new clamped", append(base.History, hist("COPY b / # buildkit", true, late), hist("ENV B=1", false, old)), &base, 2,
			[]time.Time{late, old, epoch1, old}, old},
		{"no base: all clamped", append(base.History[:2:2], hist("COPY b / # buildkit", true, late)), nil, 2,
			[]time.Time{epoch1, old, epoch1}, epoch1},
		{"diverged base entry clamps the rest", []ocispec.History{hist("COPY x / # buildkit", true, late), hist("ENV A=1", false, late)}, &base, 1,
			[]time.Time{epoch1, epoch1}, epoch1},
		{"more layer entries than layers: bottom ones emptied", []ocispec.History{hist("COPY a / # buildkit", true, late), hist("COPY b / # buildkit", true, late)}, nil, 1,
			[]time.Time{epoch1, epoch1}, epoch1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img := FromBase(base)
			img.History = tc.history
			ids := make([]digest.Digest, tc.layers)
			for i := range ids {
				ids[i] = digest.Digest("sha256:" + strings.Repeat("a", 64))
			}
			blob, err := ConfigBlob(img, tc.base, ids, epoch1)
			if err != nil {
				t.Fatal(err)
			}
			var history []ocispec.History
			configField(t, blob, "history", &history)
			var got []time.Time
			for _, h := range history {
				got = append(got, *h.Created)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("history times (-want +got):\n%s", diff)
			}
			var created time.Time
			configField(t, blob, "created", &created)
			if !created.Equal(tc.wantTime) {
				t.Errorf("created = %s, want %s", created, tc.wantTime)
			}
		})
	}
}

// TestConfigBlobCreatedField: a "created" the frontend left in (an image
// not made by FromBase) is clamped when later than the epoch and kept when
// earlier, as patchImageConfig does.
func TestConfigBlobCreatedField(t *testing.T) {
	for _, tc := range []struct {
		name    string
		created time.Time
		want    string
	}{
		{"later clamped", at2("2024-01-01T00:00:00Z"), `"1970-01-01T00:00:01Z"`},
		{"earlier kept", at2("1960-01-01T00:00:00Z"), `"1960-01-01T00:00:00Z"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img := EmptyImage(ocispec.Platform{OS: "linux", Architecture: "386"})
			img.Created = &tc.created
			blob, err := ConfigBlob(img, nil, nil, epoch1)
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]json.RawMessage
			if err := json.Unmarshal(blob, &m); err != nil {
				t.Fatal(err)
			}
			if got := string(m["created"]); got != tc.want {
				t.Errorf("created = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestConfigBlobErrors(t *testing.T) {
	noOS := EmptyImage(ocispec.Platform{Architecture: "amd64"})
	short := EmptyImage(ocispec.Platform{OS: "linux", Architecture: "amd64"})
	short.History = []ocispec.History{hist("COPY a / # buildkit", true, epoch1)}
	ids := []digest.Digest{digest.Digest("sha256:" + strings.Repeat("a", 64)), digest.Digest("sha256:" + strings.Repeat("b", 64))}
	for _, tc := range []struct {
		name string
		img  dockerspec.DockerOCIImage
		ids  []digest.Digest
		want string
	}{
		{"missing os", noOS, nil, "missing os"},
		{"layers without history", short, ids, "history accounts for 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ConfigBlob(tc.img, nil, tc.ids, epoch1)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}
