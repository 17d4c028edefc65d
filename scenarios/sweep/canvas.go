package sweep

import (
	"bufio"
	"fmt"
	"html"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"strings"
	"unicode/utf8"

	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// A canvas is a picture as a list of shapes in pixel coordinates (origin
// top left, y down), laid out once and written as SVG (the primary
// picture: text stays text, scales, and can be searched and hovered) or
// as PNG (the same shapes as pixels, labels in a 7×13 bitmap font).
//
// Layout measures text as a monospace font would draw it — charWidth of
// the font size per character, as scenarios/teach's diagrams do — so a
// picture's width can be computed to hold every label: nothing is
// clipped by the viewBox (the tests check it with the same measure).
type canvas struct {
	w, h   float64
	shapes []shape
}

// charWidth is the advance of one character as a fraction of the font
// size, for DejaVu Sans Mono and most monospace fonts.
const charWidth = 0.6

// textWidth is how wide s is at size px.
func textWidth(s string, size float64) float64 {
	return float64(utf8.RuneCountInString(s)) * size * charWidth
}

type shapeKind int

const (
	rectShape shapeKind = iota
	lineShape
	textShape
)

// shape is a rectangle, a line or a text. Colours are "#rrggbb".
type shape struct {
	kind shapeKind
	// rect: x, y, w, h; line: x, y to x2, y2; text: x, y is the anchor
	// point on the baseline (for vertical text: the baseline runs upwards
	// from x, y).
	x, y, w, h, x2, y2 float64
	fill, stroke       string
	text               string
	size               float64
	anchor             string // start, middle or end
	vertical           bool   // rotated a quarter turn anticlockwise: reads bottom to top
	bold               bool
	// title is the hover text (SVG <title>); PNG has none.
	title string
	// class names the shape's role in the SVG (row, col, legend, title…),
	// for the explorer's styles and for tests that read the picture.
	class string
}

// rect adds a rectangle; it returns the shape so that callers may set
// title or class.
func (c *canvas) rect(x, y, w, h float64, fill, stroke string) *shape {
	c.shapes = append(c.shapes, shape{kind: rectShape, x: x, y: y, w: w, h: h, fill: fill, stroke: stroke})
	return &c.shapes[len(c.shapes)-1]
}

func (c *canvas) line(x, y, x2, y2 float64, stroke string) {
	c.shapes = append(c.shapes, shape{kind: lineShape, x: x, y: y, x2: x2, y2: y2, stroke: stroke})
}

// text adds a label; it returns the shape so that callers may set bold,
// vertical, title or class.
func (c *canvas) text(x, y float64, s string, size float64, anchor, fill string) *shape {
	c.shapes = append(c.shapes, shape{kind: textShape, x: x, y: y, text: s, size: size, anchor: anchor, fill: fill})
	return &c.shapes[len(c.shapes)-1]
}

// textBox is the box a text shape covers (x0, y0, x1, y1), by the
// monospace measure: ascent 0.8 and descent 0.2 of the size.
func (s shape) textBox() (x0, y0, x1, y1 float64) {
	wd := textWidth(s.text, s.size)
	var off float64
	switch s.anchor {
	case "middle":
		off = wd / 2
	case "end":
		off = wd
	}
	if s.vertical {
		return s.x - 0.8*s.size, s.y - wd + off, s.x + 0.2*s.size, s.y + off
	}
	return s.x - off, s.y - 0.8*s.size, s.x - off + wd, s.y + 0.2*s.size
}

// num writes a coordinate: integers without a fraction, others with one
// decimal (the output must be byte-stable, and a tenth of a pixel is
// finer than any screen).
func num(f float64) string {
	f = math.Round(f*10) / 10
	if f == math.Trunc(f) {
		return fmt.Sprintf("%.0f", f)
	}
	return fmt.Sprintf("%.1f", f)
}

// writeSVG writes the canvas as a standalone SVG document with the
// picture's title and description (read by screen readers and shown by
// some viewers).
func (c *canvas) writeSVG(w io.Writer, title, desc string) error {
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="%s" viewBox="0 0 %s %s" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace">`+"\n",
		num(c.w), num(c.h), num(c.w), num(c.h))
	fmt.Fprintf(b, "<title>%s</title>\n<desc>%s</desc>\n", esc(title), esc(desc))
	fmt.Fprintf(b, `<rect x="0" y="0" width="%s" height="%s" fill="#ffffff"/>`+"\n", num(c.w), num(c.h))
	for _, s := range c.shapes {
		switch s.kind {
		case rectShape:
			fmt.Fprintf(b, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s"`, num(s.x), num(s.y), num(s.w), num(s.h), s.fill)
			if s.class != "" {
				fmt.Fprintf(b, ` class="%s"`, s.class)
			}
			if s.stroke != "" {
				fmt.Fprintf(b, ` stroke="%s"`, s.stroke)
			}
			if s.title != "" {
				fmt.Fprintf(b, "><title>%s</title></rect>\n", esc(s.title))
			} else {
				b.WriteString("/>\n")
			}
		case lineShape:
			fmt.Fprintf(b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s"/>`+"\n", num(s.x), num(s.y), num(s.x2), num(s.y2), s.stroke)
		case textShape:
			fmt.Fprintf(b, `<text x="%s" y="%s" font-size="%s"`, num(s.x), num(s.y), num(s.size))
			if s.class != "" {
				fmt.Fprintf(b, ` class="%s"`, s.class)
			}
			if s.anchor != "start" && s.anchor != "" {
				fmt.Fprintf(b, ` text-anchor="%s"`, s.anchor)
			}
			if s.fill != "" {
				fmt.Fprintf(b, ` fill="%s"`, s.fill)
			}
			if s.bold {
				b.WriteString(` font-weight="bold"`)
			}
			if s.vertical {
				fmt.Fprintf(b, ` transform="rotate(-90 %s %s)"`, num(s.x), num(s.y))
			}
			b.WriteString(">")
			if s.title != "" {
				fmt.Fprintf(b, "<title>%s</title>", esc(s.title))
			}
			fmt.Fprintf(b, "%s</text>\n", esc(s.text))
		}
	}
	b.WriteString("</svg>\n")
	return b.Flush()
}

func esc(s string) string { return html.EscapeString(s) }

// writePNG draws the canvas as pixels, one pixel per layout unit, into a
// paletted image (the pictures have a handful of flat colours, so a
// palette keeps a 200-policy heat map at a few MB of memory and tens of kB
// of file). Text is drawn in basicfont's 7×13 face, whatever the size
// asked for: the layout reserved 0.6 × size per character, and 7 px fits
// every size the pictures use (12 px and up); bold is drawn twice, one
// pixel apart.
func (c *canvas) writePNG(w io.Writer) error {
	pal := color.Palette{color.White}
	index := map[string]uint8{"#ffffff": 0}
	colour := func(hex string) uint8 {
		if i, ok := index[hex]; ok {
			return i
		}
		var r, g, b uint8
		fmt.Sscanf(hex, "#%02x%02x%02x", &r, &g, &b)
		pal = append(pal, color.RGBA{r, g, b, 0xff})
		index[hex] = uint8(len(pal) - 1)
		return index[hex]
	}
	// Colours in the order shapes use them: the palette is the same for
	// the same picture.
	for _, s := range c.shapes {
		for _, hex := range []string{s.fill, s.stroke} {
			if hex != "" {
				colour(hex)
			}
		}
	}
	colour("#1f2933") // the default text colour
	img := image.NewPaletted(image.Rect(0, 0, int(math.Ceil(c.w)), int(math.Ceil(c.h))), pal)
	set := func(x, y int, ci uint8) {
		if (image.Point{x, y}).In(img.Rect) {
			img.SetColorIndex(x, y, ci)
		}
	}
	fillRect := func(x0, y0, x1, y1 int, ci uint8) {
		for y := y0; y < y1; y++ {
			for x := x0; x < x1; x++ {
				set(x, y, ci)
			}
		}
	}
	px := func(f float64) int { return int(math.Round(f)) }
	for _, s := range c.shapes {
		switch s.kind {
		case rectShape:
			x0, y0, x1, y1 := px(s.x), px(s.y), px(s.x+s.w), px(s.y+s.h)
			fillRect(x0, y0, x1, y1, colour(s.fill))
			if s.stroke != "" {
				ci := colour(s.stroke)
				fillRect(x0, y0, x1, y0+1, ci)
				fillRect(x0, y1-1, x1, y1, ci)
				fillRect(x0, y0, x0+1, y1, ci)
				fillRect(x1-1, y0, x1, y1, ci)
			}
		case lineShape:
			// The pictures draw only axis-parallel lines (axes, ticks,
			// grid): a one-pixel-wide rectangle.
			x0, y0, x1, y1 := px(math.Min(s.x, s.x2)), px(math.Min(s.y, s.y2)), px(math.Max(s.x, s.x2)), px(math.Max(s.y, s.y2))
			fillRect(x0, y0, max(x1, x0+1), max(y1, y0+1), colour(s.stroke))
		case textShape:
			fill := s.fill
			if fill == "" {
				fill = "#1f2933"
			}
			drawText(set, s, colour(fill))
		}
	}
	return png.Encode(w, img)
}

// pngFace is the bitmap font of PNG labels.
var pngFace = basicfont.Face7x13

// asciiLabel replaces the few non-ASCII characters the pictures use with
// one ASCII character each (the bitmap font has Latin-1 only; one for one
// keeps the layout's widths).
var asciiLabel = strings.NewReplacer("→", ">", "↓", "v", "…", "~", "—", "-", "×", "x")

// drawText draws a text shape with pngFace: its width is 7 px per
// character, anchored as the shape says; vertical text is drawn along a
// column, reading bottom to top.
func drawText(set func(x, y int, ci uint8), s shape, ci uint8) {
	text := asciiLabel.Replace(s.text)
	adv := pngFace.Advance
	wd := adv * utf8.RuneCountInString(text)
	off := 0
	switch s.anchor {
	case "middle":
		off = wd / 2
	case "end":
		off = wd
	}
	ox, oy := int(math.Round(s.x)), int(math.Round(s.y))
	// Baseline-relative glyph pixels (gx right along the text, gy down
	// from the baseline), mapped to the image.
	put := func(gx, gy int) {
		if s.vertical {
			set(ox+gy, oy+off-gx, ci)
		} else {
			set(ox-off+gx, oy+gy, ci)
		}
	}
	dot := 0
	for _, r := range text {
		dr, mask, mp, _, ok := pngFace.Glyph(fixed.P(dot, 0), r)
		if !ok {
			dr, mask, mp, _, _ = pngFace.Glyph(fixed.P(dot, 0), '?')
		}
		for y := dr.Min.Y; y < dr.Max.Y; y++ {
			for x := dr.Min.X; x < dr.Max.X; x++ {
				if _, _, _, a := mask.At(mp.X+x-dr.Min.X, mp.Y+y-dr.Min.Y).RGBA(); a > 0x7fff {
					put(x, y)
					if s.bold {
						put(x+1, y)
					}
				}
			}
		}
		dot += adv
	}
}
