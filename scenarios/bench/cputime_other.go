//go:build !unix

package bench

import "time"

// processCPU is not measured here: per-CPU-second figures fall back to
// wall time.
func processCPU() (time.Duration, bool) { return 0, false }
