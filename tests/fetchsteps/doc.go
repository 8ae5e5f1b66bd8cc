// Package fetchsteps tests StageX's two-step pattern: a RUN without
// --network=none that downloads, granted the network only with
// --network-for-fetch-steps, recorded, carried in a bundle and reused by
// an offline build.
package fetchsteps
