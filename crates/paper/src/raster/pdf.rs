//! A PDF's pages, walked in order without rendering anything: a breakglass sheet page gives
//! its typed text ([`super::sheet_text`]), a scanned page the images it draws
//! ([`super::pdf_image`]). The file is loaded and checked against the limits first
//! ([`super::pdf_object`]).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Instant;

use lopdf::ObjectId;
use zeroize::Zeroizing;

use super::image_worker::decode_page_image;
use super::pdf_object::{check_pdf_limits, load_pdf, page_images};
use super::sheet_text::{is_block_header, is_share_header, sheet_lines};
use super::{Page, PageContent, RasterError, RasterLimits};

/// Every page of a PDF, without rendering anything: a breakglass sheet PDF gives its typed
/// text (exact, and read by the same parser as typed input), and a scanned PDF gives the
/// images its pages hold, decoded one at a time. Limits are checked on the whole file first.
pub(super) fn pdf_pages(
    bytes: &[u8],
    limits: &RasterLimits,
    deadline: Instant,
    page: &mut dyn FnMut(Page) -> bool,
) -> Result<usize, RasterError> {
    // lopdf parses untrusted bytes: a panic in it costs this file, not the recovery.
    catch_unwind(AssertUnwindSafe(|| {
        pdf_pages_inner(bytes, limits, deadline, page)
    }))
    .unwrap_or(Err(RasterError::ReaderCrashed))
}

fn pdf_pages_inner(
    bytes: &[u8],
    limits: &RasterLimits,
    deadline: Instant,
    page: &mut dyn FnMut(Page) -> bool,
) -> Result<usize, RasterError> {
    // Shared with a worker that decodes one image at a time (and may outlive this call).
    let doc = Arc::new(load_pdf(bytes, limits)?);
    check_pdf_limits(&doc, limits)?;
    let ids: Vec<ObjectId> = doc.get_pages().into_values().collect();
    let pages = ids.len();
    if pages == 0 {
        return Err(RasterError::Corrupt {
            detail: "the PDF has no pages".into(),
        });
    }
    if pages > limits.max_pages {
        return Err(RasterError::TooManyPages {
            max_pages: limits.max_pages,
        });
    }
    let mut sheet_text = Zeroizing::new(String::new());
    let mut first_sheet_page = None;
    let mut in_sheet = false;
    let mut first_error = None;
    for (i, &id) in ids.iter().enumerate() {
        if i > 0 && Instant::now() >= deadline {
            return Err(RasterError::TimedOut { done: i, pages });
        }
        let number = i + 1;
        // A sheet page: its Courier lines from the first block header on; a page without a
        // header right after one continues its vault block ("VAULT typed fallback (continued)").
        let lines = sheet_lines(&doc, id, limits)?;
        let start = lines.iter().position(|l| is_block_header(l));
        let kept = match start {
            Some(s) => Some(&lines[s..]),
            None if in_sheet && !lines.is_empty() => Some(&lines[..]),
            None => None,
        };
        if let Some(kept) = kept {
            // A share header starts the next sheet of a file that holds several (FORMAT.md
            // §7.1, "Cutting files into inputs"): the text read so far is handed over as the
            // sheet before it.
            let next_sheet = kept.first().is_some_and(|l| is_share_header(l));
            if next_sheet && let Some(first) = first_sheet_page.take() {
                let text = std::mem::replace(&mut sheet_text, Zeroizing::new(String::new()));
                if !page(Page {
                    number: first,
                    content: PageContent::SheetText(text),
                }) {
                    return Ok(pages);
                }
            }
            in_sheet = true;
            first_sheet_page.get_or_insert(number);
            for l in kept {
                sheet_text.push_str(l);
                sheet_text.push('\n');
            }
            continue;
        }
        in_sheet = false;
        for image in page_images(&doc, id) {
            let left = deadline.saturating_duration_since(Instant::now());
            let budget = limits.image_time_budget.min(left);
            match decode_page_image(&doc, image, limits, number, budget) {
                Ok(pixels) => {
                    if !page(Page {
                        number,
                        content: PageContent::Pixels(pixels),
                    }) {
                        return Ok(pages);
                    }
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
    }
    if let Some(number) = first_sheet_page {
        page(Page {
            number,
            content: PageContent::SheetText(sheet_text),
        });
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(pages),
    }
}
