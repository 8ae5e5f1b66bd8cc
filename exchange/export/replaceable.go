package export

import (
	"fmt"
	"os"
	"path/filepath"
)

// checkReplaceable allows replacing dir only when it is absent, empty or an
// OCI layout (has an oci-layout file).
func checkReplaceable(dir string) error {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, "oci-layout")); err != nil {
		return fmt.Errorf("%s exists and is not an OCI layout; remove it or choose another -o", dir)
	}
	return nil
}
