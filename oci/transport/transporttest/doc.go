// Package transporttest builds small, fully controlled images for tests:
// layer tars written entry by entry with archive/tar, gzip with a chosen
// level and header, and images assembled with go-containerregistry and
// written as OCI layouts, oci-archives and docker-archives.
package transporttest
