package sweep

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The pictures of a sweep: the outcome matrix as a heat map and the
// negotiation times as a histogram, drawn by fedsim itself (canvas.go) —
// a plotting library with embedded fonts, a LaTeX renderer and a PDF
// writer cost half a minute of every cold build for two pictures.
//
// The heat map reads like the text matrix: rows initiate and columns
// receive, both in the report's policy order from the top left, every row
// and column named, a legend with each outcome's meaning and count, and
// the policy behind each name in a key below (and on hover in an SVG).

// outcomeColour is the matrix's colour per outcome: U grey, V amber,
// E blue, T green (the same in every picture fedsim draws); ink is the
// letter's colour on it.
var outcomeColour = map[string]struct{ fill, ink string }{
	"U": {"#b0b0b0", "#1f2933"},
	"V": {"#e6a100", "#1f2933"},
	"E": {"#2b6cd4", "#ffffff"},
	"T": {"#2e9e4f", "#ffffff"},
}

// outcomeMeaning is the legend's text per outcome.
var outcomeMeaning = map[string]string{
	"U": "no authenticated stream: the stanza bounces",
	"V": "Server Dialback without TLS",
	"E": "TLS, then Server Dialback",
	"T": "TLS, then SASL EXTERNAL (CA-validated certificate)",
}

var outcomes = []string{"U", "V", "E", "T"}

const (
	ink        = "#1f2933" // text
	faint      = "#52606d" // axes, secondary text
	margin     = 16.0
	titleSize  = 16.0
	labelSize  = 12.0
	lineHeight = 16.0
)

// cellSize is the side of one heat-map cell: large enough for its letter
// with few policies, 16 px (a 12 px label per row) from 40 policies up,
// so that 200 policies make a 3,200 px square whose every row and column
// is named.
func cellSize(n int) float64 {
	c := math.Floor(640 / float64(max(n, 1)))
	return math.Max(16, math.Min(44, c))
}

// Cells carry their letter while they are big enough to hold it, and a
// hover text (pair, outcome, reason) up to cellTitles policies (beyond,
// 40,000 hover texts would make a 200-policy picture several MB).
const (
	cellTitles      = 60
	repeatLabelsFor = 24 // more policies than this: names on all four sides
)

// matrixCanvas lays out the heat map.
func matrixCanvas(r *Result, a *Analysis) *canvas {
	n := len(r.Policies)
	c := cellSize(n)
	names := make([]string, n)
	nameW := 0.0
	for i, p := range r.Policies {
		names[i] = p.Name
		nameW = math.Max(nameW, textWidth(p.Name, labelSize))
	}
	rowAxis := "initiating policy (rows)"
	colAxis := "receiving policy (columns)"
	rowLabelW := math.Max(nameW, textWidth(rowAxis, labelSize))
	both := n > repeatLabelsFor

	cv := &canvas{}
	title := fmt.Sprintf("Sweep outcome matrix: %d policies, %d ordered pairs (seed %d)", n, n*n, r.Seed)
	sub := "Rows initiate, columns receive, in the report's order; each cell ran in a fresh world."
	y := margin + titleSize
	t := cv.text(margin, y, title, titleSize, "start", ink)
	t.bold, t.class = true, "title"
	y += lineHeight + 4
	cv.text(margin, y, sub, labelSize, "start", faint).class = "subtitle"
	width := margin + math.Max(textWidth(title, titleSize), textWidth(sub, labelSize)) + margin

	// Legend: one line per outcome, swatch, letter, meaning, count.
	y += 10
	for _, o := range outcomes {
		y += lineHeight + 2
		x := legendEntry(cv, margin, y, o, fmt.Sprintf("%s: %d pairs", outcomeMeaning[o], a.Counts[o]))
		width = math.Max(width, x+margin)
	}

	// Column names stand upright above the matrix, reading upwards.
	// Whole pixels: crisp cell edges, and shorter numbers in the file.
	y += 22
	top := math.Ceil(y + 8 + nameW + 6)
	left := math.Ceil(margin + rowLabelW + 8)
	cv.text(left, y, colAxis, labelSize, "start", faint).class = "axis"
	cv.text(left-8, top-6, rowAxis, labelSize, "end", faint).class = "axis"
	// In large matrices every fifth row and column is followed by a wider
	// gap: the eye follows a row across 200 cells by its group of five.
	group := 0.0
	if both {
		group = 4
	}
	pos := func(k int) float64 { return float64(k)*c + float64(k/5)*group }
	right := left + pos(n-1) + c
	width = math.Max(width, right+margin)
	if both {
		width = math.Max(width, right+8+nameW+margin)
	}
	bottom := top + pos(n-1) + c
	fields := make([]string, n)
	for i, p := range r.Policies {
		fields[i] = p.Name + ": " + p.Fields
	}
	// A name sits on its row's or column's centre line; 0.35 of the font
	// size below the centre puts a label's middle there.
	for j := range names {
		x := left + pos(j) + 0.5*c + 0.35*labelSize
		s := cv.text(x, top-6, names[j], labelSize, "start", ink)
		s.vertical, s.class, s.title = true, "col", fields[j]
		if both {
			s := cv.text(x, bottom+6, names[j], labelSize, "end", ink)
			s.vertical, s.class, s.title = true, "col2", fields[j]
		}
	}
	for i := range names {
		yy := top + pos(i) + 0.5*c + 0.35*labelSize
		s := cv.text(left-8, yy, names[i], labelSize, "end", ink)
		s.class, s.title = "row", fields[i]
		if both {
			s := cv.text(right+8, yy, names[i], labelSize, "start", ink)
			s.class, s.title = "row2", fields[i]
		}
	}
	cells := make([]Cell, n*n)
	for _, cell := range r.Cells {
		if cell.Index >= 0 && cell.Index < len(cells) {
			cells[cell.Index] = cell
		}
	}
	// A cell is c-1 square: a one-pixel white gap separates neighbours.
	// Small matrices draw one rectangle per cell, with its letter and a
	// hover text; large ones draw each run of equal outcomes within a
	// group of five as one rectangle and cut it into cells with white
	// lines, which keeps a 200-policy picture under a megabyte.
	const gap = 1.0
	colour := func(o string) struct{ fill, ink string } {
		if col, ok := outcomeColour[o]; ok {
			return col
		}
		return struct{ fill, ink string }{"#ffffff", ink} // a pair missing from a partial result
	}
	for i := 0; i < n; i++ {
		yy := top + pos(i)
		for j := 0; j < n; j++ {
			cell := cells[i*n+j]
			col := colour(cell.Outcome)
			x := left + pos(j)
			if n > cellTitles {
				end := j
				for end+1 < n && (end+1)%5 != 0 && cells[i*n+end+1].Outcome == cell.Outcome {
					end++
				}
				cv.rect(x, yy, pos(end)-pos(j)+c-gap, c-gap, col.fill, "")
				j = end
				continue
			}
			s := cv.rect(x, yy, c-gap, c-gap, col.fill, "")
			s.class = "cell"
			s.title = names[i] + " → " + names[j] + ": " + cell.Outcome
			if cell.Reason != "" {
				s.title += " (" + cell.Reason + ")"
			}
			if c >= 20 && cell.Outcome != "" {
				cv.text(x+(c-gap)/2, yy+(c-gap)/2+0.35*labelSize, cell.Outcome, labelSize, "middle", col.ink).class = "letter"
			}
		}
	}
	if n > cellTitles {
		for j := 1; j < n; j++ {
			if j%5 != 0 {
				cv.rect(left+pos(j)-gap, top, gap, bottom-top, "#ffffff", "")
			}
		}
	}
	y = bottom + 16
	if both {
		y += nameW + 6
	}
	// The key: the policy behind each name.
	// Separate texts for the two columns: an SVG collapses runs of
	// spaces, so alignment cannot come from padding.
	y += lineHeight
	cv.text(margin, y, "Policies:", labelSize, "start", ink).bold = true
	for i := range names {
		y += lineHeight
		cv.text(margin, y, names[i], labelSize, "start", ink).class = "key-name"
		x := margin + nameW + 2*labelSize*charWidth
		for k, part := range wrap(r.Policies[i].Fields, keyColumns) {
			if k > 0 {
				y += lineHeight
			}
			cv.text(x, y, part, labelSize, "start", ink).class = "key"
			width = math.Max(width, x+textWidth(part, labelSize)+margin)
		}
	}
	cv.w, cv.h = math.Ceil(width), math.Ceil(y+margin)
	return cv
}

// legendEntry draws an outcome's swatch, its letter and its meaning with
// the baseline at y, and returns where the entry ends.
func legendEntry(cv *canvas, x, y float64, o, meaning string) float64 {
	cv.rect(x, y-11, 14, 14, outcomeColour[o].fill, "").class = "legend-swatch"
	t := cv.text(x+20, y, o, labelSize, "start", ink)
	t.bold, t.class = true, "legend-letter"
	x += 20 + 2*labelSize*charWidth
	cv.text(x, y, meaning, labelSize, "start", ink).class = "legend"
	return x + textWidth(meaning, labelSize)
}

// timesCanvas lays out the histogram of negotiation times of the pairs
// that federated, stacked by outcome.
func timesCanvas(a *Analysis) *canvas {
	const (
		w, h                        = 760.0, 440.0
		plotL, plotT, plotB         = 72.0, 110.0, 380.0
		bins                        = 30
		tickLen                     = 5.0
		axisLabelGap, tickLabelSize = 34.0, labelSize
	)
	cv := &canvas{w: w, h: h}
	title := "Negotiation time until the outcome, pairs that federated"
	t := cv.text(margin, margin+titleSize, title, titleSize, "start", ink)
	t.bold, t.class = true, "title"
	var total int
	var parts []string
	var lo, hi = math.Inf(1), math.Inf(-1)
	ok := []string{"V", "E", "T"}
	for _, o := range ok {
		q := a.Times[o]
		if q.N == 0 {
			continue
		}
		total += q.N
		parts = append(parts, fmt.Sprintf("%s %d", o, q.N))
		lo, hi = math.Min(lo, q.Min), math.Max(hi, q.Max)
	}
	sub := "virtual ms from the start of the pair's run to its outcome; bars stacked by outcome"
	if total > 0 {
		sub = fmt.Sprintf("%d pairs (%s); %s", total, strings.Join(parts, ", "), sub)
	}
	cv.text(margin, margin+titleSize+lineHeight+4, sub, labelSize, "start", faint).class = "subtitle"
	cv.w = math.Max(w, math.Ceil(2*margin+math.Max(textWidth(title, titleSize), textWidth(sub, labelSize))))
	// Legend in one line.
	x := margin
	ly := margin + titleSize + 2*lineHeight + 14
	for _, o := range ok {
		x = legendEntry(cv, x, ly, o, outcomeMeaning[o]) + 2*labelSize*charWidth
	}
	cv.w = math.Max(cv.w, math.Ceil(x-2*labelSize*charWidth+margin))
	plotR := cv.w - margin - 8
	if total == 0 {
		cv.text((plotL+plotR)/2, (plotT+plotB)/2, "no pair federated: no negotiation times to show", labelSize, "middle", faint).class = "empty"
		return cv
	}
	if hi == lo { // one value: a bar in the middle of a range around it
		lo, hi = lo-1, hi+1
	}
	xt := niceTicks(lo, hi, 6)
	lo, hi = math.Min(lo, xt[0]), math.Max(hi, xt[len(xt)-1])
	binW := (hi - lo) / bins
	var counts [bins][3]int
	var top int
	for k, o := range ok {
		for _, v := range a.Times[o].Values {
			b := int((v - lo) / binW)
			if b >= bins {
				b = bins - 1
			}
			counts[b][k]++
		}
	}
	for b := range counts {
		top = max(top, counts[b][0]+counts[b][1]+counts[b][2])
	}
	yt := niceTicks(0, float64(top), 5)
	ymax := yt[len(yt)-1]
	px := func(v float64) float64 { return plotL + (v-lo)/(hi-lo)*(plotR-plotL) }
	py := func(n float64) float64 { return plotB - n/ymax*(plotB-plotT) }
	// Horizontal grid and y ticks.
	for _, v := range yt {
		cv.line(plotL, py(v), plotR, py(v), "#e4e7eb")
		cv.line(plotL-tickLen, py(v), plotL, py(v), faint)
		cv.text(plotL-tickLen-4, py(v)+0.35*tickLabelSize, tickLabel(v, yt), tickLabelSize, "end", ink).class = "ytick"
	}
	for b := 0; b < bins; b++ {
		base := 0
		for k, o := range ok {
			n := counts[b][k]
			if n == 0 {
				continue
			}
			x0, x1 := px(lo+float64(b)*binW), px(lo+float64(b+1)*binW)
			s := cv.rect(x0, py(float64(base+n)), x1-x0, py(float64(base))-py(float64(base+n)), outcomeColour[o].fill, "#ffffff")
			s.class = "bar"
			s.title = fmt.Sprintf("%s: %d pairs from %s to %s ms", o, n, strconv.FormatFloat(lo+float64(b)*binW, 'f', -1, 64), strconv.FormatFloat(lo+float64(b+1)*binW, 'f', -1, 64))
			base += n
		}
	}
	cv.line(plotL, plotB, plotR, plotB, faint)
	cv.line(plotL, plotT, plotL, plotB, faint)
	for _, v := range xt {
		cv.line(px(v), plotB, px(v), plotB+tickLen, faint)
		cv.text(px(v), plotB+tickLen+14, tickLabel(v, xt), tickLabelSize, "middle", ink).class = "xtick"
	}
	cv.text((plotL+plotR)/2, plotB+axisLabelGap+6, "negotiation time (virtual ms)", labelSize, "middle", faint).class = "axis"
	s := cv.text(margin+4, (plotT+plotB)/2, "pairs", labelSize, "middle", faint)
	s.vertical, s.class = true, "axis"
	return cv
}

// keyColumns is where the key's policy descriptions wrap: a real
// server's policy runs to 200 characters, and the picture should be as
// wide as its matrix, not as its longest description.
const keyColumns = 100

// wrap breaks s at spaces into lines of at most width characters (a word
// longer than that gets a line of its own).
func wrap(s string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		if line != "" && utf8.RuneCountInString(line)+1+utf8.RuneCountInString(w) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	return append(lines, line)
}

// niceTicks returns ticks from at most lo to at least hi at a step of 1, 2
// or 5 times a power of ten, about want of them.
func niceTicks(lo, hi float64, want int) []float64 {
	if hi <= lo {
		hi = lo + 1
	}
	raw := (hi - lo) / float64(want)
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	step := p
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			step = m * p
			break
		}
	}
	start, end := math.Floor(lo/step), math.Ceil(hi/step)
	if end == start {
		end++
	}
	var ticks []float64
	for k := start; k <= end; k++ {
		ticks = append(ticks, k*step)
	}
	return ticks
}

// tickLabel writes a tick with as many decimals as the step needs.
func tickLabel(v float64, ticks []float64) string {
	dec := 0
	if len(ticks) > 1 {
		if step := ticks[1] - ticks[0]; step < 1 {
			dec = int(math.Ceil(-math.Log10(step)))
		}
	}
	return strconv.FormatFloat(v, 'f', dec, 64)
}

// WritePlots draws the outcome matrix as a heat map (sweep-matrix) and
// the negotiation times as a histogram (sweep-times) into dir, as SVG or
// PNG (ext), and returns the files written. dir must exist; nothing is
// written anywhere else.
func WritePlots(r *Result, a *Analysis, dir, ext string) ([]string, error) {
	if ext != "svg" && ext != "png" {
		return nil, fmt.Errorf("sweep: picture format %q: want svg or png", ext)
	}
	n := len(r.Policies)
	pictures := []struct {
		name, title, desc string
		cv                *canvas
	}{
		{"sweep-matrix", fmt.Sprintf("Sweep outcome matrix: %d policies", n),
			"Heat map of the outcome of every ordered pair: rows initiate, columns receive, in the text report's order; U grey, V amber, E blue, T green.",
			matrixCanvas(r, a)},
		{"sweep-times", "Negotiation time until the outcome",
			"Histogram of the virtual time from the start of each pair's run to its outcome, for the pairs that federated, stacked by outcome.",
			timesCanvas(a)},
	}
	var files []string
	for _, p := range pictures {
		name := filepath.Join(dir, p.name+"."+ext)
		f, err := os.Create(name)
		if err != nil {
			return files, fmt.Errorf("sweep: picture: %w", err)
		}
		if ext == "svg" {
			err = p.cv.writeSVG(f, p.title, p.desc)
		} else {
			err = p.cv.writePNG(f)
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return files, fmt.Errorf("sweep: drawing %s: %w", name, err)
		}
		files = append(files, name)
	}
	return files, nil
}
