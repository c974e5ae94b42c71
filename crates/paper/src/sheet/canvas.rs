//! The page canvas: [`Paper`] sizes, and a top-down cursor that turns text, lines, boxes and QR
//! codes into printpdf operations (whose origin is the bottom-left corner). It draws what it is
//! told; what goes where is the layouts' job (`share`, `enrollment`, the kit booklet).

use printpdf::{
    Color, CurTransMat, DictItem, Greyscale, Line, LinePoint, Op, PaintMode, PdfFontHandle, Point,
    Pt, Rect, TextItem,
};

use super::font::Face;
use super::pdf::{MM, Paper};
use super::qr::{DrawnCode, QUIET};

/// Page margin on all sides; at least 12 mm, so no printer's unprintable edge clips a line.
pub(crate) const MARGIN: f32 = 15.0 * MM;
/// Height reserved above the bottom margin for the page footer.
pub(crate) const FOOTER_H: f32 = 16.0;

/// A page under construction, plus the pages already finished.
pub(crate) struct Canvas {
    w: f32,
    h: f32,
    done: Vec<Vec<Op>>,
    ops: Vec<Op>,
    /// Distance of the next free position from the top edge, in points.
    pub(crate) y: f32,
}

impl Canvas {
    pub(crate) fn new(paper: Paper) -> Self {
        let (w, h) = paper.size_pt();
        Canvas {
            w,
            h,
            done: Vec::new(),
            ops: Vec::new(),
            y: MARGIN,
        }
    }

    pub(crate) fn left(&self) -> f32 {
        MARGIN
    }

    pub(crate) fn width(&self) -> f32 {
        self.w - 2.0 * MARGIN
    }

    pub(crate) fn bottom(&self) -> f32 {
        self.h - MARGIN - FOOTER_H
    }

    /// Baseline of the footer line, from the top edge.
    pub(crate) fn footer_baseline(&self) -> f32 {
        self.h - MARGIN
    }

    /// Points left above the footer on this page.
    pub(crate) fn room(&self) -> f32 {
        self.bottom() - self.y
    }

    pub(crate) fn page_index(&self) -> usize {
        self.done.len()
    }

    pub(crate) fn new_page(&mut self) {
        self.done.push(std::mem::take(&mut self.ops));
        self.y = MARGIN;
    }

    /// Start a new page unless `need` points still fit on this one.
    pub(crate) fn ensure(&mut self, need: f32) {
        if need > self.room() && self.y > MARGIN {
            self.new_page();
        }
    }

    pub(crate) fn finish(mut self) -> Vec<Vec<Op>> {
        self.done.push(std::mem::take(&mut self.ops));
        self.done
    }

    /// Text with its baseline `baseline` points below the top edge.
    pub(crate) fn text(&mut self, x: f32, baseline: f32, face: Face, size: f32, s: &str) {
        if s.is_empty() {
            return;
        }
        self.ops.extend([
            Op::StartTextSection,
            Op::SetFont {
                font: PdfFontHandle::Builtin(face.builtin()),
                size: Pt(size),
            },
            Op::SetTextCursor {
                pos: Point {
                    x: Pt(x),
                    y: Pt(self.h - baseline),
                },
            },
            Op::ShowText {
                items: vec![TextItem::Text(s.to_string())],
            },
            Op::EndTextSection,
        ]);
    }

    pub(crate) fn line(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, thickness: f32) {
        let point = |x: f32, y: f32| LinePoint {
            p: Point {
                x: Pt(x),
                y: Pt(self.h - y),
            },
            bezier: false,
        };
        self.ops.extend([
            Op::SetOutlineThickness { pt: Pt(thickness) },
            Op::DrawLine {
                line: Line {
                    points: vec![point(x1, y1), point(x2, y2)],
                    is_closed: false,
                },
            },
        ]);
    }

    pub(crate) fn stroke_rect(&mut self, x: f32, top: f32, w: f32, h: f32, thickness: f32) {
        let mut rect = Rect::from_xywh(Pt(x), Pt(self.h - top - h), Pt(w), Pt(h));
        rect.mode = Some(PaintMode::Stroke);
        self.ops.extend([
            Op::SetOutlineThickness { pt: Pt(thickness) },
            Op::DrawRectangle { rectangle: rect },
        ]);
    }

    /// A QR code whose quiet zone's top-left corner is at (`x`, `top`). Drawn in module
    /// units under a scaling matrix as one path of `re` sub-paths with a single fill:
    /// integer coordinates keep the stream small, and one fill leaves no anti-aliasing
    /// seams where rectangles touch. printpdf has no "append rectangle to path" op
    /// (its `Rect` always paints or ends the path), so `re`/`f` go in as raw operators.
    /// A code with a Form XObject (the vault's, the same on every sheet) is placed with `Do`
    /// under the same matrix instead: the form holds those operators.
    pub(crate) fn qr(&mut self, x: f32, top: f32, module: f32, code: &DrawnCode) {
        let q = QUIET as f32 * module;
        let int = |v: usize| DictItem::Int(v as i64);
        self.ops.push(Op::SaveGraphicsState);
        if code.form.is_none() {
            self.ops.push(Op::SetFillColor { col: black() });
        }
        self.ops.push(Op::SetTransformationMatrix {
            matrix: CurTransMat::Raw([module, 0.0, 0.0, -module, x + q, self.h - top - q]),
        });
        if let Some(name) = &code.form {
            self.ops.push(Op::Unknown {
                key: "Do".into(),
                value: vec![DictItem::Name(name.as_bytes().to_vec())],
            });
        } else {
            self.ops
                .extend(code.rects.iter().map(|&[x0, y0, x1, y1]| Op::Unknown {
                    key: "re".into(),
                    value: vec![int(x0), int(y0), int(x1 - x0), int(y1 - y0)],
                }));
            self.ops.push(Op::Unknown {
                key: "f".into(),
                value: Vec::new(),
            });
        }
        self.ops.push(Op::RestoreGraphicsState);
    }

    /// Section heading with a rule under it; keeps `keep` points of content with it.
    pub(crate) fn heading(&mut self, s: &str, keep: f32) {
        self.heading_note(s, "", keep);
    }

    /// Heading with a smaller note right-aligned on the same line (saves a line).
    pub(crate) fn heading_note(&mut self, s: &str, note: &str, keep: f32) {
        self.ensure(22.0 + keep);
        let (x, w) = (self.left(), self.width());
        self.text(x, self.y + 11.0, Face::SansBold, 12.0, s);
        if !note.is_empty() {
            let room = w - Face::SansBold.width(s, 12.0) - 12.0;
            let size = 9.0_f32.min(9.0 * room / Face::SansBold.width(note, 9.0));
            let nw = Face::SansBold.width(note, size);
            self.text(x + w - nw, self.y + 11.0, Face::SansBold, size, note);
        }
        self.line(x, self.y + 15.5, x + w, self.y + 15.5, 0.6);
        self.y += 22.0;
    }
}

fn black() -> Color {
    Color::Greyscale(Greyscale {
        percent: 0.0,
        icc_profile: None,
    })
}
