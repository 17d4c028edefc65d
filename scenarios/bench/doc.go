// Package bench holds fedsim's benchmark bodies, shared by `go test
// -bench` and `fedsim bench` (docs/performance.md): federations per
// CPU-second in worlds of FederationBatch pairs, the parse-only cost of a
// federation's bytes, the XEP-0238 matrix, the large run and the idle
// stream's memory. It builds its worlds from scenarios.Config
// (scenarios.PairsConfig, scenarios.LargeConfig) like every other caller,
// and lives apart from package scenarios so that the world builder does not
// carry measurement code.
package bench
