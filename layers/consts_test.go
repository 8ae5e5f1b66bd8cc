package layers

// The empty layer (1024 zero bytes) and its gzip, as every BuildKit image
// with an empty RUN or WORKDIR layer has them (docs/buildkit-output.md §5.2).
const (
	emptyDiffID     = "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"
	emptyBlobDigest = "sha256:4f4fb700ef54461cfa02571ae0db9a0dc1e0cdb5577484a6d75e68dc38e8acc1"
)

// Pinned outputs of Go 1.26's compress/gzip (TestGzipPinned).
const (
	pinnedTextDiffID   = "sha256:870bbf04e5f1d7608203f90127cb7340abe16d9f836771b498efc746452464ff"
	pinnedTextDigest   = "sha256:122d631d4603c7e3e94731c1dab4e832c736ee3acf9ed4beb9bacc4f22523d50"
	pinnedTextSize     = 721
	pinnedRandomDiffID = "sha256:6991855466668b6829921b63109b15d88931d37cc342869b6958c3f98b08a8ce"
	pinnedRandomDigest = "sha256:7cbdd60271d955532967bf2f27b8029cff4408f4696f0ed6e8db79d04e3bb34e"
	pinnedRandomSize   = 1048919
)
