// Package hostcheck tells whether this host can run a stevedore build and,
// for each thing that is missing, how to fix it: kernel namespaces,
// overlayfs, privileges, subordinate id ranges and newuidmap for rootless
// use, the nofile limit StageX needs, free disk and cgroups. Every input
// (ids, limits, file locations) is an explicit parameter.
package hostcheck
