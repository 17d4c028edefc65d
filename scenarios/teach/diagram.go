package teach

import (
	"fmt"
	"html"
	"io"
	"strings"
	"unicode/utf8"
)

// MaxDiagramSteps caps a diagram: a run longer than this (a chaos run, a
// crash and restart loop) is cut with a note saying how many steps are
// left out, as Maelstrom caps its Lamport diagrams.
const MaxDiagramSteps = 160

// maxLabel is the longest label drawn, in characters; explain prints the
// whole sentence.
const maxLabel = 46

func capped(f *Flow) ([]Step, int) {
	if len(f.Steps) <= MaxDiagramSteps {
		return f.Steps, 0
	}
	return f.Steps[:MaxDiagramSteps], len(f.Steps) - MaxDiagramSteps
}

func laneTitle(l Lane) string {
	if l.Role == "user" {
		return l.Title
	}
	return l.Title + " (" + l.Role + ")"
}

// Mermaid writes the flow as a Mermaid sequence diagram: arrows for
// elements, "-x" arrows for failures, notes for decisions, TLS and stream
// restarts.
func Mermaid(w io.Writer, f *Flow, title string) error {
	var b strings.Builder
	b.WriteString("sequenceDiagram\n")
	fmt.Fprintf(&b, "    %%%% %s\n", title)
	for _, l := range f.Lanes {
		fmt.Fprintf(&b, "    participant %s as %s\n", l.ID, mermaidText(laneTitle(l)))
	}
	steps, left := capped(f)
	for _, s := range steps {
		label := mermaidText(fmt.Sprintf("%d. %s", s.N, shorten(s.Label, maxLabel)))
		if s.Failure {
			label += " ✗"
		}
		a, z := f.Lanes[s.From].ID, f.Lanes[s.To].ID
		switch {
		case s.Kind == Arrow && s.From != s.To:
			arrow := "->>"
			if s.Failure {
				arrow = "-x"
			} else if strings.HasPrefix(s.Label, "TCP") {
				arrow = "-->>"
			}
			fmt.Fprintf(&b, "    %s%s%s: %s\n", a, arrow, z, label)
		case s.From == s.To:
			fmt.Fprintf(&b, "    Note over %s: %s\n", a, label)
		default:
			fmt.Fprintf(&b, "    Note over %s,%s: %s\n", a, z, label)
		}
	}
	if left > 0 {
		fmt.Fprintf(&b, "    Note over %s,%s: … %d more steps not drawn (fedsim explain prints them all)\n", f.Lanes[0].ID, f.Lanes[len(f.Lanes)-1].ID, left)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("teach: writing mermaid: %w", err)
	}
	return nil
}

// mermaidText escapes what Mermaid would read as syntax or HTML.
func mermaidText(s string) string {
	r := strings.NewReplacer("#", "#35;", ";", "#59;", "<", "#lt;", ">", "#gt;", "\n", " ")
	return r.Replace(s)
}

// SVG geometry. Labels are measured as FontSize × CharWidth per
// character (a monospace font), which is what the overlap test checks.
const (
	FontSize  = 12.0
	CharWidth = 0.6 // of FontSize, for DejaVu Sans Mono and most monospace fonts
	rowHeight = 28.0
	gutter    = 70.0 // the time column
	headerH   = 44.0
	marginX   = 16.0
)

func textWidth(s string) float64 { return float64(utf8.RuneCountInString(s)) * FontSize * CharWidth }

// SVG writes the flow as a standalone SVG sequence diagram. Every row
// holds one label, so labels cannot overlap vertically; lanes are spaced
// so that headers do not overlap and every label is clamped inside the
// picture. Each step is a <g class="step" data-step="N"> with a <title>
// holding the why and the XML, for the explorer's step-through.
func SVG(w io.Writer, f *Flow, title string) error {
	steps, left := capped(f)
	// Lane spacing: wide enough for the widest header. An arrow's label
	// may be wider than its arrow: it has a row of its own.
	gap := 150.0
	for _, l := range f.Lanes {
		for _, t := range []string{l.Title, "(" + l.Role + ")"} {
			if wd := textWidth(t) + 24; wd > gap {
				gap = wd
			}
		}
	}
	laneX := func(i int) float64 { return gutter + marginX + gap/2 + float64(i)*gap }
	width := gutter + 2*marginX + gap*float64(len(f.Lanes))
	rows := len(steps)
	if left > 0 {
		rows++
	}
	top := 30 + headerH + 16
	height := top + float64(rows)*rowHeight + 24
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="%.0f">`+"\n", width, height, width, height, FontSize)
	b.WriteString(`<style>.lane{stroke:#9aa5b1;stroke-dasharray:4 4}.hdr{fill:#eef2f7;stroke:#52606d}.arr{stroke:#1f2933;stroke-width:1.4}.fail{stroke:#c62828}.tcp{stroke-dasharray:5 3}.note{fill:#fff8e1;stroke:#d4a017}.span{fill:#e3f2fd;stroke:#64b5f6}.spanfail{fill:#ffebee;stroke:#e57373}.lbl{fill:#1f2933}.lblfail{fill:#b71c1c}.time{fill:#7b8794}.step.on rect.bg{fill:#fff59d}.bg{fill:#ffffff;opacity:0.85}</style>` + "\n")
	b.WriteString(`<defs><marker id="ah" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#1f2933"/></marker><marker id="ahf" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#c62828"/></marker></defs>` + "\n")
	fmt.Fprintf(&b, `<text x="%.1f" y="20" font-size="14" font-weight="bold" class="lbl">%s</text>`+"\n", marginX, esc(shorten(title, int((width-2*marginX)/(14*CharWidth)))))
	bottom := height - 12
	for i, l := range f.Lanes {
		x := laneX(i)
		fmt.Fprintf(&b, `<line class="lane" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`+"\n", x, 30+headerH, x, bottom)
		fmt.Fprintf(&b, `<rect class="hdr" x="%.1f" y="30" width="%.1f" height="%.1f" rx="4"/>`+"\n", x-gap/2+6, gap-12, headerH)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" class="lbl" font-weight="bold">%s</text>`+"\n", x, 30.0+18, esc(l.Title))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" class="time">%s</text>`+"\n", x, 30.0+36, esc("("+l.Role+")"))
	}
	clamp := func(cx, wd float64) float64 {
		lo, hi := gutter+wd/2+2, width-marginX/2-wd/2
		if cx < lo {
			cx = lo
		}
		if cx > hi {
			cx = hi
		}
		return cx
	}
	for i, s := range steps {
		y := top + float64(i)*rowHeight
		label := stepLabel(s)
		wd := textWidth(label)
		lblClass := "lbl"
		if s.Failure {
			lblClass = "lblfail"
		}
		fmt.Fprintf(&b, `<g class="step" data-step="%d"><title>%s</title>`+"\n", s.N, esc(tooltip(s)))
		fmt.Fprintf(&b, `<text x="4" y="%.1f" class="time">%s</text>`+"\n", y+14, esc(s.Time.String()))
		x1, x2 := laneX(s.From), laneX(s.To)
		switch {
		case s.Kind == Arrow && s.From != s.To:
			cx := clamp((x1+x2)/2, wd)
			cls, marker := "arr", "ah"
			if s.Failure {
				cls, marker = "arr fail", "ahf"
			}
			if strings.HasPrefix(s.Label, "TCP") {
				cls += " tcp"
			}
			fmt.Fprintf(&b, `<rect class="bg" x="%.1f" y="%.1f" width="%.1f" height="%.1f"/>`+"\n", cx-wd/2-2, y+1, wd+4, FontSize+3)
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" class="%s">%s</text>`+"\n", cx, y+12, lblClass, esc(label))
			fmt.Fprintf(&b, `<line class="%s" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" marker-end="url(#%s)"/>`+"\n", cls, x1, y+20, x2, y+20, marker)
		default:
			lo, hi := x1, x2
			if lo > hi {
				lo, hi = hi, lo
			}
			cls := "note"
			if s.Kind == Span {
				cls = "span"
				if s.Failure {
					cls = "spanfail"
				}
			} else if s.Failure {
				cls = "spanfail"
			}
			cx := clamp((lo+hi)/2, wd)
			rx1, rx2 := lo-10, hi+10
			if cx-wd/2-6 < rx1 {
				rx1 = cx - wd/2 - 6
			}
			if cx+wd/2+6 > rx2 {
				rx2 = cx + wd/2 + 6
			}
			fmt.Fprintf(&b, `<rect class="%s" x="%.1f" y="%.1f" width="%.1f" height="%.1f" rx="3"/>`+"\n", cls, rx1, y+2, rx2-rx1, rowHeight-6)
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" class="%s">%s</text>`+"\n", cx, y+17, lblClass, esc(label))
		}
		b.WriteString("</g>\n")
	}
	if left > 0 {
		y := top + float64(len(steps))*rowHeight
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="lblfail">%s</text>`+"\n", gutter, y+16,
			esc(fmt.Sprintf("… %d more steps not drawn (fedsim explain prints them all)", left)))
	}
	b.WriteString("</svg>\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("teach: writing svg: %w", err)
	}
	return nil
}

func stepLabel(s Step) string {
	l := fmt.Sprintf("%d. %s", s.N, shorten(s.Label, maxLabel))
	if s.Failure {
		l += " ✗"
	}
	return l
}

func tooltip(s Step) string {
	t := s.Why
	if s.XML != "" {
		t += "\n" + s.XML
	}
	return t
}

func esc(s string) string { return html.EscapeString(s) }
