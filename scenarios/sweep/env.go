package sweep

import (
	"fmt"
	"strconv"
)

// ShardCountVar is the environment variable that gives a Kubernetes
// Indexed Job's shard count. Kubernetes sets JOB_COMPLETION_INDEX in every
// pod of an Indexed Job but not the Job's spec.completions (the downward
// API cannot read it either), so the Job's pod template sets this variable
// to the same number (docs/distributed.md).
const ShardCountVar = "FEDSIM_SHARD_COUNT"

// ShardFromEnv reads --shard auto: which shard this process is, and of
// how many, from the batch system that started it.
//
//   - A Kubernetes Indexed Job: JOB_COMPLETION_INDEX (0 … completions-1)
//     and FEDSIM_SHARD_COUNT (ShardCountVar, set in the pod template).
//   - A Slurm job array: SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_MIN,
//     SLURM_ARRAY_TASK_COUNT and, when set, SLURM_ARRAY_TASK_STEP. An
//     array may start anywhere and step (--array=1-1000 or 0-1998:2): the
//     shard is (ID - MIN) / STEP. An array with gaps (--array=1,5,9) has
//     no such numbering and is refused.
//
// It says which system it read ("Kubernetes Indexed Job", "Slurm job
// array"). Both present, neither, a missing or malformed variable, or an
// index outside the count is an error that names the variable.
func ShardFromEnv(lookup func(string) (string, bool)) (shard, shards int, source string, err error) {
	_, k8s := lookup("JOB_COMPLETION_INDEX")
	_, slurm := lookup("SLURM_ARRAY_TASK_ID")
	switch {
	case k8s && slurm:
		return 0, 0, "", fmt.Errorf("--shard auto: both JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) and SLURM_ARRAY_TASK_ID (a Slurm job array) are set; give --shard i/n")
	case k8s:
		src := "Kubernetes Indexed Job"
		i, err := envInt(lookup, "JOB_COMPLETION_INDEX", "an Indexed Job sets it in every pod")
		if err != nil {
			return 0, 0, "", err
		}
		n, err := envInt(lookup, ShardCountVar, "JOB_COMPLETION_INDEX is set, so this is a Kubernetes Indexed Job, and Kubernetes does not give the count: set "+ShardCountVar+" in the Job's pod template to its spec.completions")
		if err != nil {
			return 0, 0, "", err
		}
		if n < 1 || i < 0 || i >= n {
			return 0, 0, "", fmt.Errorf("--shard auto: JOB_COMPLETION_INDEX=%d with %s=%d: want 0 <= index < count (is %s the Job's spec.completions?)", i, ShardCountVar, n, ShardCountVar)
		}
		return i, n, src, nil
	case slurm:
		src := "Slurm job array"
		hint := "SLURM_ARRAY_TASK_ID is set, so this is a Slurm job array, which sets it too"
		id, err := envInt(lookup, "SLURM_ARRAY_TASK_ID", hint)
		if err != nil {
			return 0, 0, "", err
		}
		lo, err := envInt(lookup, "SLURM_ARRAY_TASK_MIN", hint)
		if err != nil {
			return 0, 0, "", err
		}
		n, err := envInt(lookup, "SLURM_ARRAY_TASK_COUNT", hint)
		if err != nil {
			return 0, 0, "", err
		}
		step := 1
		if _, ok := lookup("SLURM_ARRAY_TASK_STEP"); ok {
			if step, err = envInt(lookup, "SLURM_ARRAY_TASK_STEP", hint); err != nil {
				return 0, 0, "", err
			}
			if step < 1 {
				return 0, 0, "", fmt.Errorf("--shard auto: SLURM_ARRAY_TASK_STEP=%d: want at least 1", step)
			}
		}
		off := id - lo
		if n < 1 || off < 0 || off%step != 0 || off/step >= n {
			return 0, 0, "", fmt.Errorf("--shard auto: SLURM_ARRAY_TASK_ID=%d, SLURM_ARRAY_TASK_MIN=%d, SLURM_ARRAY_TASK_STEP=%d, SLURM_ARRAY_TASK_COUNT=%d is not task (ID-MIN)/STEP of a contiguous array: submit it as --array=MIN-MAX[:STEP], without gaps", id, lo, step, n)
		}
		return off / step, n, src, nil
	}
	return 0, 0, "", fmt.Errorf("--shard auto: neither a Kubernetes Indexed Job (JOB_COMPLETION_INDEX and %s) nor a Slurm job array (SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_MIN, SLURM_ARRAY_TASK_COUNT) is in the environment; give --shard i/n", ShardCountVar)
}

func envInt(lookup func(string) (string, bool), name, hint string) (int, error) {
	v, ok := lookup(name)
	if !ok || v == "" {
		return 0, fmt.Errorf("--shard auto: %s is not set (%s)", name, hint)
	}
	i, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("--shard auto: %s=%q: want a whole number", name, v)
	}
	return i, nil
}
