package explain

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

var (
	manifestSkipRE = regexp.MustCompile(`^(config\.(digest|size)|layers\[(\d+)\]\.(digest|size))$`)
	diffIDRE       = regexp.MustCompile(`^rootfs\.diff_ids\[(\d+)\]$`)
)

func (c *comparer) manifest(path string, da, db v1.Descriptor) error {
	ra, rb, err := c.readPair(da, db)
	if err != nil {
		return err
	}
	var ma, mb v1.Manifest
	if err := json.Unmarshal(ra, &ma); err != nil {
		return fmt.Errorf("parse manifest %s in %s: %w", da.Digest, c.a.Ref, err)
	}
	if err := json.Unmarshal(rb, &mb); err != nil {
		return fmt.Errorf("parse manifest %s in %s: %w", db.Digest, c.b.Ref, err)
	}
	jsonDiff(LevelManifest, path, ra, rb, func(f string) bool {
		m := manifestSkipRE.FindStringSubmatch(f)
		if m == nil {
			return false
		}
		if m[3] == "" {
			return true // config digest: the config comparison explains it
		}
		i, _ := strconv.Atoi(m[3])
		return i < len(ma.Layers) && i < len(mb.Layers)
	}, c.add)
	cfgA, cfgB, err := c.config(path+"/config", ma, mb)
	if err != nil {
		return err
	}
	for i := 0; i < len(ma.Layers) && i < len(mb.Layers); i++ {
		lp := fmt.Sprintf("%s/layers[%d]", path, i)
		if err := c.layer(lp, ma.Layers[i], mb.Layers[i], diffID(cfgA, i), diffID(cfgB, i)); err != nil {
			return err
		}
	}
	return nil
}

func diffID(cfg *v1.ConfigFile, i int) v1.Hash {
	if cfg == nil || i >= len(cfg.RootFS.DiffIDs) {
		return v1.Hash{}
	}
	return cfg.RootFS.DiffIDs[i]
}

// config compares the two configs. diff_ids of layer pairs whose blobs
// differ are left to the layer comparison.
func (c *comparer) config(path string, ma, mb v1.Manifest) (*v1.ConfigFile, *v1.ConfigFile, error) {
	ra, rb, err := c.readPair(ma.Config, mb.Config)
	if err != nil {
		return nil, nil, err
	}
	var ca, cb v1.ConfigFile
	errA, errB := json.Unmarshal(ra, &ca), json.Unmarshal(rb, &cb)
	jsonDiff(LevelConfig, path, ra, rb, func(f string) bool {
		m := diffIDRE.FindStringSubmatch(f)
		if m == nil {
			return false
		}
		i, _ := strconv.Atoi(m[1])
		return i < len(ma.Layers) && i < len(mb.Layers) && ma.Layers[i].Digest != mb.Layers[i].Digest
	}, c.add)
	var pa, pb *v1.ConfigFile
	if errA == nil {
		pa = &ca
	}
	if errB == nil {
		pb = &cb
	}
	return pa, pb, nil
}
