package sweep

import (
	"fmt"
	"image/color"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// outcomeColours are the matrix's colours: U grey, V amber, E blue, T green
// (the same in every picture fedsim draws).
var outcomeColours = []color.Color{
	color.RGBA{0xb0, 0xb0, 0xb0, 0xff},
	color.RGBA{0xe6, 0xa1, 0x00, 0xff},
	color.RGBA{0x2b, 0x6c, 0xd4, 0xff},
	color.RGBA{0x2e, 0x9e, 0x4f, 0xff},
}

func outcomeValue(o string) float64 {
	switch o {
	case "V":
		return 1
	case "E":
		return 2
	case "T":
		return 3
	}
	return 0
}

type outcomePalette struct{}

func (outcomePalette) Colors() []color.Color { return outcomeColours }

// matrixGrid adapts a sweep to plotter.GridXYZ: column = receiving
// policy, row = initiating policy, both by index.
type matrixGrid struct {
	n     int
	cells []Cell
}

func (g matrixGrid) Dims() (c, r int)   { return g.n, g.n }
func (g matrixGrid) X(c int) float64    { return float64(c) }
func (g matrixGrid) Y(r int) float64    { return float64(r) }
func (g matrixGrid) Z(c, r int) float64 { return outcomeValue(g.cells[r*g.n+c].Outcome) }

// WritePlots draws the outcome matrix as a heat map and the negotiation
// times as a histogram into dir (format by extension: svg or png), and
// returns the files written.
func WritePlots(r *Result, a *Analysis, dir, ext string) ([]string, error) {
	if ext != "svg" && ext != "png" {
		return nil, fmt.Errorf("sweep: picture format %q: want svg or png", ext)
	}
	var files []string
	n := len(r.Policies)

	hm := plot.New()
	hm.Title.Text = fmt.Sprintf("Outcome of %d ordered pairs (grey U, amber V, blue E, green T)", n*n)
	hm.X.Label.Text = "receiving policy"
	hm.Y.Label.Text = "initiating policy"
	h := plotter.NewHeatMap(matrixGrid{n: n, cells: r.Cells}, palette.Palette(outcomePalette{}))
	h.Min, h.Max = 0, 3
	hm.Add(h)
	side := vg.Length(4+float64(n)*0.04) * vg.Inch
	if side > 12*vg.Inch {
		side = 12 * vg.Inch
	}
	name := filepath.Join(dir, "sweep-matrix."+ext)
	if err := hm.Save(side, side, name); err != nil {
		return files, fmt.Errorf("sweep: drawing %s: %w", name, err)
	}
	files = append(files, name)

	hp := plot.New()
	hp.Title.Text = "Negotiation time until the outcome (virtual ms), successful pairs"
	hp.X.Label.Text = "ms"
	hp.Y.Label.Text = "pairs"
	var all plotter.Values
	for _, o := range []string{"V", "E", "T"} {
		all = append(all, a.Times[o].Values...)
	}
	if len(all) > 0 {
		hist, err := plotter.NewHist(all, 30)
		if err != nil {
			return files, fmt.Errorf("sweep: histogram: %w", err)
		}
		hist.FillColor = outcomeColours[2]
		hp.Add(hist)
	}
	name = filepath.Join(dir, "sweep-times."+ext)
	if err := hp.Save(7*vg.Inch, 4*vg.Inch, name); err != nil {
		return files, fmt.Errorf("sweep: drawing %s: %w", name, err)
	}
	return append(files, name), nil
}
