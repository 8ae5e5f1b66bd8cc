package recipes

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

func FuzzLoadPackageTOML(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/full/packages/*/*/package.toml")
	for _, s := range seeds {
		if data, err := os.ReadFile(s); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("[package]\nname = \"x\"\nversion = \"1\"\n[sources.a]\nhash = \"" + goodHash + "\"\nmirrors = [\"https://m.invalid/{file}\"]\nfile = \"{version_major}.{format}\"\n"))
	f.Add([]byte("[package]\nname = \"x\"\nversion_from = \"core-x\"\n"))
	plain := regexp.MustCompile(`^[^/\\]+$`)
	f.Fuzz(func(t *testing.T, data []byte) {
		root := t.TempDir()
		dir := filepath.Join(root, "packages", "core", "x")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, "package.toml"), data, 0o644)
		os.WriteFile(filepath.Join(dir, "Containerfile"), []byte("FROM scratch\n"), 0o644)
		tree, err := Load(root, Options{})
		if err != nil {
			var ps Problems
			if !errors.As(err, &ps) || len(ps) == 0 {
				t.Fatalf("error %T %v is not Problems", err, err)
			}
			for _, p := range ps {
				if p.File == "" || p.Msg == "" {
					t.Fatalf("problem without file or message: %+v", p)
				}
			}
			return
		}
		for _, tg := range tree.Targets {
			for _, s := range tg.Origin.Sources {
				if !hashRE.MatchString(s.Hash) || len(s.Mirrors) == 0 || !plain.MatchString(s.File) || s.File == "." || s.File == ".." {
					t.Fatalf("accepted bad source %+v", s)
				}
			}
			if tg.BuildArgs["SOURCE_DATE_EPOCH"] != "1" {
				t.Fatalf("build args %v", tg.BuildArgs)
			}
		}
	})
}
