package spec

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/fedsim/fedsim/nodes"
	"github.com/fedsim/fedsim/scenarios"
)

// The docs' tables of policy fields, fault kinds and attack verdicts are
// rendered from the code's tables (nodes.PolicyFields, scenarios.FaultSpecs,
// scenarios.VerdictSpecs) between marker comments; this test compares
// them, and -update rewrites them, so the docs cannot drift from the code.

// docTable is one generated table: where it lives and how it is made.
type docTable struct {
	file, name string
	render     func() string
}

var docTables = []docTable{
	{filepath.Join("..", "README.md"), "policy-fields", policyFieldsTable},
	{filepath.Join("..", "README.md"), "fault-kinds", faultKindsTable},
	{filepath.Join("..", "..", "docs", "security.md"), "attack-verdicts", verdictsTable},
}

func code(s string) string { return "`" + s + "`" }

// xmlBits are runs of elements in help text ("<starttls><required/></starttls>").
var xmlBits = regexp.MustCompile(`(<[^<>]+>)+`)

// prose is help text for a Markdown table: its XML in code spans (a
// renderer would take it for HTML).
func prose(s string) string { return xmlBits.ReplaceAllString(s, "`$0`") }

func codes(vs []string) string {
	var out []string
	for _, v := range vs {
		out = append(out, code(v))
	}
	return strings.Join(out, ", ")
}

// policyFieldsTable is the scenario format's policy table: every field in
// its YAML form (a composite's parts as rows of their own).
func policyFieldsTable() string {
	var b strings.Builder
	b.WriteString("| field | values | default | what it decides |\n|---|---|---|---|\n")
	for _, f := range nodes.AllPolicyFields() {
		def := "required without a preset"
		if !f.Always {
			def = code(f.Default)
		}
		var vals string
		switch {
		case f.Kind == nodes.FieldLevels:
			vals = "a list or comma string of " + codes([]string{"V", "E", "T"})
		case f.Kind == nodes.FieldParts:
			var parts []string
			for _, p := range f.Parts {
				parts = append(parts, p.Name)
			}
			vals = "a mapping of " + codes(parts)
			def = "each part's"
		case len(f.Values) > 8:
			vals = fmt.Sprintf("one of %d conditions (`fedsim help policy` lists them)", len(f.Values))
		default:
			vals = codes(f.Values)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", code(f.Name), vals, def, prose(f.Help))
	}
	return b.String()
}

// faultKindsTable is the scenario format's fault table: one row per kind.
func faultKindsTable() string {
	var b strings.Builder
	b.WriteString("| kind | fields besides `target` | what happens |\n|---|---|---|\n")
	for _, s := range scenarios.FaultSpecs() {
		var fields []string
		done := map[scenarios.FaultParam]bool{}
		for _, p := range s.Params {
			if done[p] {
				continue
			}
			f := code(string(p))
			for _, g := range s.Needs {
				in := false
				for _, x := range g {
					in = in || x == p
				}
				switch {
				case !in:
				case len(g) == 1:
					f += " (required)"
				default:
					var names []string
					for _, x := range g {
						names = append(names, code(string(x)))
						done[x] = true
					}
					f = strings.Join(names, " and/or ")
				}
			}
			fields = append(fields, f)
		}
		what := prose(s.Help)
		switch {
		case s.Cert:
			fields = []string{"— (the target must hold a certificate)"}
		case len(fields) == 0:
			fields = []string{"—"}
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", code(string(s.Kind)), strings.Join(fields, ", "), what)
	}
	return b.String()
}

// verdictsTable is docs/security.md's table of verdicts.
func verdictsTable() string {
	var b strings.Builder
	b.WriteString("| verdict | meaning |\n|---|---|\n")
	for _, v := range scenarios.VerdictSpecs() {
		fmt.Fprintf(&b, "| %s | %s |\n", code(v.Name), v.Help)
	}
	return b.String()
}

func markers(name string) (begin, end string) {
	return "<!-- " + name + ": generated from the code's table by TestDocTables in scenarios/spec (go test ./scenarios/spec -run TestDocTables -update); edit the table there -->\n",
		"<!-- end of " + name + " -->\n"
}

func TestDocTables(t *testing.T) {
	for _, d := range docTables {
		data, err := os.ReadFile(d.file)
		if err != nil {
			t.Fatal(err)
		}
		doc := string(data)
		begin, end := markers(d.name)
		i := strings.Index(doc, begin)
		j := strings.Index(doc, end)
		if i < 0 || j < i {
			t.Errorf("%s: no generated %s table (want it between %q and %q)", d.file, d.name, strings.TrimSpace(begin), strings.TrimSpace(end))
			continue
		}
		have := doc[i+len(begin) : j]
		want := d.render()
		if have == want {
			continue
		}
		if *update {
			doc = doc[:i+len(begin)] + want + doc[j:]
			if err := os.WriteFile(d.file, []byte(doc), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("rewrote the %s table of %s", d.name, d.file)
			continue
		}
		t.Errorf("%s: the %s table differs from the code's (go test ./scenarios/spec -run TestDocTables -update rewrites it):\n--- doc\n%s--- code\n%s", d.file, d.name, have, want)
	}
}
