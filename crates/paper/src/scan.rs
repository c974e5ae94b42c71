//! Scanning layer: encoded image bytes in, QR payload strings out.
//!
//! Recovery must never die on one bad photo, so every decoder call on untrusted pixels is
//! isolated from panics, the whole scan is bounded in time, and image dimensions are checked
//! before any pixel is decoded. Two independent decoders (rxing, a ZXing port, and rqrr, a
//! quirc port) fail on different images, so each backs up the other, and cheap passes run
//! before expensive ones so that clean scans stay fast.
//!
//! The module does no file I/O and prints nothing.
//!
//! # Process-wide effects (for a program that embeds this crate)
//!
//! A scan changes state that belongs to the whole process, not just to the call:
//!
//! - **A panic hook.** The first scan in a process installs, once, a hook that wraps the hook
//!   installed before it: panics on a scan worker thread (named `breakglass-qr-scan`) print
//!   nothing, because each is caught and reported as [`ScanError::DecoderCrashed`]; every other
//!   panic goes to the previous hook unchanged. A hook the program installs *after* its first
//!   scan replaces this one, so decoder panics are then printed by it (they are still caught).
//!   Install your own hook before the first scan if you want both.
//! - **A worker thread per image.** Decoders run on a `breakglass-qr-scan` thread so that the
//!   time budget holds even while one decoder call is stuck. At the budget the caller returns
//!   and the worker is abandoned: it cannot be interrupted, so it runs on (holding its copy of
//!   the image) until its current decoder call returns. A scan waits for every abandoned
//!   worker to end before starting its own, up to its own budget, and otherwise refuses the
//!   image with [`ScanError::DecoderBusy`]: so at most one abandoned worker exists per scan
//!   running at once (breakglass scans its inputs on as many threads as there are cores). Process exit does not wait for it. If no thread can be
//!   spawned, the scan runs on the caller's thread instead, bounded only between decoder calls.
//! - **Unwinding is required.** Decoder panics (and PDF-reader panics in [`crate::raster`]) are
//!   caught with `catch_unwind`: built with `panic = "abort"`, one bad photo ends the process.
//!   breakglass's own profiles unwind. A PDF-reader panic is caught on the caller's thread, so
//!   the process's panic hook prints it (to stderr) before it becomes an error.

use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Once, mpsc};
use std::time::{Duration, Instant};

use image::GrayImage;

/// Limits that keep one hostile image from eating the machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanLimits {
    /// Images with more pixels than this are refused before decoding (memory is roughly
    /// 5–9 bytes per pixel while decoding). 100 Mpx covers a 600-dpi A4 scan (35 Mpx) and
    /// any phone photo.
    pub max_pixels: u64,
    /// Wall-clock time after which no further decoding pass is started and the caller gets
    /// what has been found so far (or [`ScanError::TimedOut`]).
    pub time_budget: Duration,
}

impl Default for ScanLimits {
    fn default() -> Self {
        Self {
            max_pixels: 100_000_000,
            time_budget: Duration::from_secs(20),
        }
    }
}

/// Why no payload could be read from an image.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// The bytes are not a PNG or JPEG image.
    #[error(
        "this file is not a PNG or JPEG image: export or save the scan as PNG or JPEG and try again"
    )]
    NotAnImage,
    /// The image header was recognised but the pixel data is damaged or cut short.
    #[error(
        "the image file is damaged or incomplete ({detail}): copy the file again, or rescan the sheet"
    )]
    Corrupt {
        /// What the image decoder complained about.
        detail: String,
    },
    /// The image has more pixels than [`ScanLimits::max_pixels`].
    #[error(
        "the image is too large ({width} x {height} pixels, the limit is {max_pixels} pixels): \
         rescan at 300 dpi or shrink the photo"
    )]
    TooLarge {
        /// Width claimed by the image header (0 if unknown).
        width: u32,
        /// Height claimed by the image header (0 if unknown).
        height: u32,
        /// The limit in force.
        max_pixels: u64,
    },
    /// Every pass ran and no QR code could be read.
    #[error(
        "no QR code found in this image (if it is page 2 of a sheet: page 2 has no code and \
         needs no scan, scan page 1): rescan at 300 dpi, flat, in good light, or type the \
         text printed under the code"
    )]
    NoCodeFound,
    /// No code was read and at least one decoder crashed (a bug in the decoder, caught).
    #[error(
        "the QR decoder crashed on this image and nothing could be read: retake the photo \
         straight on and closer, rescan at 300 dpi, or type the text printed under the code"
    )]
    DecoderCrashed,
    /// An earlier image's decoder ran out of time and is still running; this image was not
    /// decoded, so that abandoned decoders cannot pile up.
    #[error(
        "skipped: the QR decoder is still busy with an earlier image that ran out of time; \
         give this image again on its own, or type the text printed under the code"
    )]
    DecoderBusy,
    /// The time budget ran out before any code was read.
    #[error(
        "gave up after {seconds} s without finding a QR code: rescan at 300 dpi, flat, \
         in good light, or type the text printed under the code",
        seconds = budget.as_secs_f32()
    )]
    TimedOut {
        /// The budget that was spent.
        budget: Duration,
    },
    /// The file could not be turned into pages (format, limits, damage).
    #[error(transparent)]
    Raster(#[from] crate::raster::RasterError),
}

/// Decode every QR code found in an encoded image (PNG or JPEG bytes).
///
/// Returns the payload texts, deduplicated, in the order found. Stops as soon as a decoder
/// call reads anything (one call reads every code it can see in that pass); when you know
/// how many codes the image holds, use [`scan_image_until`] so that harder passes run until
/// all of them are found.
///
/// The first call in a process installs a panic hook, and each call decodes on a worker
/// thread that may outlive it by one decoder call: see the module's "Process-wide effects".
pub fn scan_image(bytes: &[u8], limits: &ScanLimits) -> Result<Vec<String>, ScanError> {
    scan_image_until(bytes, limits, &|found: &[String]| !found.is_empty())
}

/// Like [`scan_image`], but keeps trying harder passes until `enough(&found)` returns true,
/// the passes run out, or the time budget is spent. Whatever was found is returned even if
/// `enough` was never satisfied; an error means nothing at all was found. `enough` runs on
/// the caller's thread. Process-wide effects as for [`scan_image`].
pub fn scan_image_until(
    bytes: &[u8],
    limits: &ScanLimits,
    enough: &dyn Fn(&[String]) -> bool,
) -> Result<Vec<String>, ScanError> {
    scan_image_tuned(bytes, limits, enough, &Tuning::default())
}

/// Which decoders and passes to use. Only for measuring the decoders against each other;
/// the defaults are what [`scan_image`] uses.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct Tuning {
    /// Run rxing.
    pub rxing: bool,
    /// Run rqrr.
    pub rqrr: bool,
    /// Which passes run, one bit each: [`PASS_FAST`], [`PASS_FULL`], [`PASS_OTSU`],
    /// [`PASS_HALF`], [`PASS_DOUBLE`].
    pub passes: u8,
}

/// First pass: the image, downscaled to a long side of [`FAST_LONG_SIDE`] if bigger.
#[doc(hidden)]
pub const PASS_FAST: u8 = 1;
/// Full resolution (only when the first pass was downscaled).
#[doc(hidden)]
pub const PASS_FULL: u8 = 2;
/// Otsu-thresholded copy of the first pass image.
#[doc(hidden)]
pub const PASS_OTSU: u8 = 4;
/// Half-size copy.
#[doc(hidden)]
pub const PASS_HALF: u8 = 8;
/// Double-size copy (only for small images).
#[doc(hidden)]
pub const PASS_DOUBLE: u8 = 16;

impl Default for Tuning {
    fn default() -> Self {
        Self {
            rxing: true,
            rqrr: true,
            passes: u8::MAX,
        }
    }
}

/// [`scan_image_until`] with a choice of decoders and passes (for measurements).
#[doc(hidden)]
pub fn scan_image_tuned(
    bytes: &[u8],
    limits: &ScanLimits,
    enough: &dyn Fn(&[String]) -> bool,
    tuning: &Tuning,
) -> Result<Vec<String>, ScanError> {
    let mut found: Vec<String> = Vec::new();
    for page in scan_pages_tuned(bytes, limits, enough, tuning)? {
        match page.read {
            PageRead::Codes(codes) => {
                for t in codes {
                    if !found.contains(&t) {
                        found.push(t);
                    }
                }
            }
            PageRead::SheetText(text) => found.push(text.as_str().to_owned()),
        }
    }
    Ok(found)
}

/// What one page of a file gave.
#[derive(Debug)]
pub struct ScannedPage {
    /// 1-based page number in the file (a sheet PDF's text: the sheet's first page).
    pub number: usize,
    /// What was read on it.
    pub read: PageRead,
}

/// What was read on one page.
pub enum PageRead {
    /// The payloads of the QR codes on the page, deduplicated, in the order found.
    Codes(Vec<String>),
    /// The typed blocks of one of breakglass's own sheet PDFs (see
    /// [`crate::raster::PageContent::SheetText`]).
    SheetText(zeroize::Zeroizing<String>),
}

impl std::fmt::Debug for PageRead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Codes(c) => write!(f, "Codes({} codes)", c.len()),
            // The share text is secret.
            Self::SheetText(_) => f.write_str("SheetText(..)"),
        }
    }
}

/// Like [`scan_image_until`], but keeps what each page gave apart, in page order: a file of
/// several sheets (a copier batch, a multi-page TIFF) is several inputs (FORMAT.md §7.1), and
/// one forged page must not take the honest pages beside it down with it. Pages where nothing
/// was read are left out; an error means nothing at all was read. `enough` is asked per page.
pub fn scan_pages(
    bytes: &[u8],
    limits: &ScanLimits,
    enough: &dyn Fn(&[String]) -> bool,
) -> Result<Vec<ScannedPage>, ScanError> {
    scan_pages_tuned(bytes, limits, enough, &Tuning::default())
}

fn scan_pages_tuned(
    bytes: &[u8],
    limits: &ScanLimits,
    enough: &dyn Fn(&[String]) -> bool,
    tuning: &Tuning,
) -> Result<Vec<ScannedPage>, ScanError> {
    // Each page gets the time budget (a page without a code runs every pass); the whole file
    // gets at most four budgets, so a many-page file cannot hold recovery for long.
    let file_deadline = Instant::now() + limits.time_budget * 4;
    // Every page of the file is scanned (a copier puts several sheets in one PDF); a page
    // without a code is no error while another page has one (page 2 of a sheet has none).
    let raster_limits = crate::raster::RasterLimits {
        max_pixels: limits.max_pixels,
        ..Default::default()
    };
    let mut found: Vec<ScannedPage> = Vec::new();
    let mut page_error = None;
    let read = crate::raster::pages(bytes, &raster_limits, file_deadline, &mut |page| {
        let pixels = match page.content {
            crate::raster::PageContent::Pixels(pixels) => pixels,
            // The sheet's own text: exact, and parsed like typed text by the caller.
            crate::raster::PageContent::SheetText(text) => {
                found.push(ScannedPage {
                    number: page.number,
                    read: PageRead::SheetText(text),
                });
                return true;
            }
        };
        let deadline = (Instant::now() + limits.time_budget).min(file_deadline);
        match run_scan(pixels, limits, deadline, enough, *tuning) {
            Ok(texts) => {
                // The images of one PDF page are one page.
                let at = match found.last() {
                    Some(p) if p.number == page.number && matches!(p.read, PageRead::Codes(_)) => {
                        found.len() - 1
                    }
                    _ => {
                        found.push(ScannedPage {
                            number: page.number,
                            read: PageRead::Codes(Vec::new()),
                        });
                        found.len() - 1
                    }
                };
                let PageRead::Codes(codes) = &mut found[at].read else {
                    return true;
                };
                for t in texts {
                    if !codes.contains(&t) {
                        codes.push(t);
                    }
                }
            }
            Err(e) => {
                page_error.get_or_insert(e);
            }
        }
        Instant::now() < file_deadline
    });
    // Sheet text comes after a file's scanned pages: page order is what a person reads.
    found.sort_by_key(|p| p.number);
    match (read, page_error) {
        _ if !found.is_empty() => Ok(found),
        (Err(e), _) => Err(e.into()),
        (Ok(_), Some(e)) => Err(e),
        (Ok(_), None) => Err(ScanError::NoCodeFound),
    }
}

/// Decode PNG/JPEG bytes into an 8-bit grey image, refusing oversized images before their
/// pixels are decoded (the same decoding every scanned page gets, see [`crate::raster`]).
#[doc(hidden)]
pub fn load_luma(bytes: &[u8], limits: &ScanLimits) -> Result<GrayImage, ScanError> {
    let format = match crate::raster::detect(bytes) {
        Some(crate::raster::Format::Png) => image::ImageFormat::Png,
        Some(crate::raster::Format::Jpeg) => image::ImageFormat::Jpeg,
        _ => return Err(ScanError::NotAnImage),
    };
    let raster_limits = crate::raster::RasterLimits {
        max_pixels: limits.max_pixels,
        ..Default::default()
    };
    Ok(crate::raster::decode_image(bytes, format, &raster_limits)?)
}

/// Name of the worker thread; the panic hook stays quiet for panics on it because each one
/// is caught and reported as [`ScanError::DecoderCrashed`].
const WORKER_NAME: &str = "breakglass-qr-scan";

/// Installs (once per process) a panic hook that suppresses messages from the scan worker
/// thread and hands every other panic to the hook that was installed before. Process-wide and
/// never removed: the module doc says what an embedding program must know.
fn silence_worker_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if std::thread::current().name() != Some(WORKER_NAME) {
                previous(info);
            }
        }));
    });
}

/// How many scan workers are still running after their caller gave up on them at the time
/// budget (a decoder call cannot be interrupted). Scans wait for it to reach 0 before
/// starting a worker, so a sequence of hostile images leaves at most one such thread behind.
static ABANDONED: (std::sync::Mutex<usize>, std::sync::Condvar) =
    (std::sync::Mutex::new(0), std::sync::Condvar::new());

fn abandoned() -> std::sync::MutexGuard<'static, usize> {
    ABANDONED
        .0
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Waits up to `max` for every abandoned worker to end; returns how long it waited, or `None`
/// if one is still running.
fn wait_for_abandoned(max: Duration) -> Option<Duration> {
    let start = Instant::now();
    let mut count = abandoned();
    while *count > 0 {
        let left = max.saturating_sub(start.elapsed());
        if left.is_zero() {
            return None;
        }
        count = ABANDONED
            .1
            .wait_timeout(count, left)
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .0;
    }
    Some(start.elapsed())
}

/// A worker's fate, shared by the worker and its caller.
const RUNNING: u8 = 0;
const FINISHED: u8 = 1;
const GIVEN_UP: u8 = 2;

/// Held by the worker thread; on its end (also by a panic) an abandoned worker is uncounted.
struct WorkerEnd(Arc<std::sync::atomic::AtomicU8>);

impl Drop for WorkerEnd {
    fn drop(&mut self) {
        if self
            .0
            .compare_exchange(RUNNING, FINISHED, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            let mut count = abandoned();
            *count = count.saturating_sub(1);
            ABANDONED.1.notify_all();
        }
    }
}

/// Whether a scan worker abandoned at its time budget is still running (for tests).
#[doc(hidden)]
pub fn worker_running() -> bool {
    *abandoned() > 0
}

/// What the pass runner tells the caller.
enum Event {
    /// Payloads not seen before; the reply says whether to go on.
    Found(Vec<String>),
    /// A decoder panicked (caught).
    Crashed,
    /// All passes ran.
    Done,
}

/// Runs the passes on a worker thread so that a decoder stuck in a slow call cannot hold the
/// caller past the time budget. The `enough` callback stays on the caller's thread.
fn run_scan(
    luma: GrayImage,
    limits: &ScanLimits,
    deadline: Instant,
    enough: &dyn Fn(&[String]) -> bool,
    tuning: Tuning,
) -> Result<Vec<String>, ScanError> {
    silence_worker_panics();
    let luma = Arc::new(luma);
    let stop = Arc::new(AtomicBool::new(false));
    let (event_tx, event_rx) = mpsc::channel::<Event>();
    let (reply_tx, reply_rx) = mpsc::channel::<bool>();
    let worker_stop = Arc::clone(&stop);
    let worker_luma = Arc::clone(&luma);
    // A worker abandoned at its budget must end before the next image is decoded, else
    // hostile images would stack threads and memory. Waiting does not eat this image's budget.
    let waited = wait_for_abandoned(limits.time_budget).ok_or(ScanError::DecoderBusy)?;
    let deadline = deadline + waited;
    let fate = Arc::new(std::sync::atomic::AtomicU8::new(RUNNING));
    let end = WorkerEnd(Arc::clone(&fate));
    let spawned = std::thread::Builder::new()
        .name(WORKER_NAME.into())
        .spawn(move || {
            let _end = end;
            run_passes(&worker_luma, deadline, &worker_stop, tuning, &mut |event| {
                let wants_reply = matches!(event, Event::Found(_));
                if event_tx.send(event).is_err() {
                    return false;
                }
                !wants_reply || reply_rx.recv().unwrap_or(false)
            });
        });

    let mut outcome = Outcome::default();
    if spawned.is_err() {
        // No thread to be had: run on this one, still bounded between decoder calls.
        run_passes(&luma, deadline, &stop, tuning, &mut |event| {
            outcome.take(event, enough, deadline)
        });
    } else {
        loop {
            let wait = deadline.saturating_duration_since(Instant::now());
            match event_rx.recv_timeout(wait) {
                Ok(event) => {
                    let wanted_reply = matches!(event, Event::Found(_));
                    let go_on = outcome.take(event, enough, deadline);
                    if wanted_reply && (reply_tx.send(go_on).is_err() || !go_on) {
                        break;
                    }
                    if outcome.done {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
        // The worker, if still busy, finishes its current decoder call and then sees this.
        stop.store(true, Ordering::Relaxed);
        // Counted under the lock, so the worker's end cannot slip between the two steps.
        let mut count = abandoned();
        if fate
            .compare_exchange(RUNNING, GIVEN_UP, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            *count += 1;
        }
    }
    outcome.finish(limits)
}

/// What the caller has learnt from the pass runner so far.
#[derive(Default)]
struct Outcome {
    found: Vec<String>,
    crashed: bool,
    done: bool,
}

impl Outcome {
    /// Records one event; returns whether the passes should go on.
    fn take(
        &mut self,
        event: Event,
        enough: &dyn Fn(&[String]) -> bool,
        deadline: Instant,
    ) -> bool {
        match event {
            Event::Found(new) => {
                for text in new {
                    if !self.found.contains(&text) {
                        self.found.push(text);
                    }
                }
                !enough(&self.found) && Instant::now() < deadline
            }
            Event::Crashed => {
                self.crashed = true;
                true
            }
            Event::Done => {
                self.done = true;
                false
            }
        }
    }

    fn finish(self, limits: &ScanLimits) -> Result<Vec<String>, ScanError> {
        if !self.found.is_empty() {
            Ok(self.found)
        } else if self.crashed {
            Err(ScanError::DecoderCrashed)
        } else if !self.done {
            // Nothing found and the passes did not all run: only the clock stops them then.
            Err(ScanError::TimedOut {
                budget: limits.time_budget,
            })
        } else {
            Err(ScanError::NoCodeFound)
        }
    }
}

/// Long side of the working copy for the first, fast pass. At ~2000 px a QR code that
/// fills a fifth of an A4 page still has several pixels per module.
const FAST_LONG_SIDE: u32 = 2000;
/// Upscaled copies are only made while their long side stays below this.
const MAX_UPSCALED_LONG_SIDE: u32 = 4000;

/// One decoder run on one image: the texts read, or `None` if the decoder panicked.
type Decoder = fn(&GrayImage) -> Option<Vec<String>>;

/// The pass ladder, cheapest first. `report` returns false to stop.
fn run_passes(
    full: &GrayImage,
    deadline: Instant,
    stop: &AtomicBool,
    tuning: Tuning,
    report: &mut dyn FnMut(Event) -> bool,
) {
    let mut seen: HashSet<String> = HashSet::new();
    let keep_going = || !stop.load(Ordering::Relaxed) && Instant::now() < deadline;

    // Runs both decoders on one image; returns false when the caller wants no more.
    let mut attempt = |img: &GrayImage, report: &mut dyn FnMut(Event) -> bool| -> bool {
        let decoders: [(bool, Decoder); 2] =
            [(tuning.rxing, decode_rxing), (tuning.rqrr, decode_rqrr)];
        for (enabled, decoder) in decoders {
            if !enabled {
                continue;
            }
            if !keep_going() {
                return false;
            }
            match decoder(img) {
                None => {
                    if !report(Event::Crashed) {
                        return false;
                    }
                }
                Some(texts) => {
                    let new: Vec<String> = texts
                        .into_iter()
                        .filter(|t| seen.insert(t.clone()))
                        .collect();
                    if !new.is_empty() && !report(Event::Found(new)) {
                        return false;
                    }
                }
            }
        }
        true
    };

    let long = full.width().max(full.height());
    let fast = if long > FAST_LONG_SIDE {
        Some(scale_to_long_side(full, FAST_LONG_SIDE))
    } else {
        None
    };
    let base = fast.as_ref().unwrap_or(full);

    // Order measured on ZXing's black-box photos and on degraded synthetic sheets: the
    // thresholded copy rescues most misses and is cheap; the half-size copy is cheaper still;
    // full resolution matters only for small codes in big frames; the double-size copy
    // rescued the last photos but costs 4x the pixels, so it runs last and only on
    // images that were not downscaled (otherwise full resolution already has more pixels).
    let pass = |bit: u8| tuning.passes & bit != 0;
    let mut go = true;
    if pass(PASS_FAST) {
        go = attempt(base, report);
    }
    if go && pass(PASS_OTSU) && keep_going() {
        go = attempt(&binarize_otsu(base), report);
    }
    if go && pass(PASS_HALF) && keep_going() && base.width().min(base.height()) >= 200 {
        let (w, h) = (base.width().div_ceil(2), base.height().div_ceil(2));
        go = attempt(&shrink(base, w, h), report);
    }
    if go && pass(PASS_FULL) && fast.is_some() {
        go = attempt(full, report);
    }
    if go
        && pass(PASS_DOUBLE)
        && keep_going()
        && fast.is_none()
        && long * 2 <= MAX_UPSCALED_LONG_SIDE
    {
        go = attempt(&double(base), report);
    }
    // A pass skipped for lack of time is not "all passes ran": leave Done unsaid.
    if go && keep_going() {
        report(Event::Done);
    }
}

/// Downscale by area averaging (fast, keeps thin module edges grey rather than aliased).
fn scale_to_long_side(img: &GrayImage, long_side: u32) -> GrayImage {
    let long = img.width().max(img.height());
    let scale = f64::from(long_side) / f64::from(long);
    // Rounded products of u32 sides and a factor below 1 always fit in u32.
    let w = ((f64::from(img.width()) * scale).round() as u32).max(1);
    let h = ((f64::from(img.height()) * scale).round() as u32).max(1);
    shrink(img, w, h)
}

/// Downscale to `w` x `h` (neither larger than the source) by area averaging in integer
/// arithmetic: each pixel is the rounded mean of the source block between edges
/// `ceil(k * W / w)`, where `imageops::thumbnail` puts them, without its float rounding calls.
fn shrink(img: &GrayImage, w: u32, h: u32) -> GrayImage {
    let (sw, sh) = img.dimensions();
    let (w, h) = (w.clamp(1, sw.max(1)), h.clamp(1, sh.max(1)));
    if sw == 0 || sh == 0 {
        return GrayImage::new(0, 0);
    }
    let edge = |k: u32, from: u32, to: u32| -> usize {
        (u64::from(k) * u64::from(from)).div_ceil(u64::from(to)) as usize
    };
    let cols: Vec<usize> = (0..=w).map(|x| edge(x, sw, w)).collect();
    let raw = img.as_raw();
    let sw = sw as usize;
    // Column sums of one band of rows; a band is at most ~10^4 rows of 255, far below u32.
    let mut sums = vec![0u32; sw];
    let mut out = Vec::with_capacity(w as usize * h as usize);
    for y in 0..h {
        let (top, bottom) = (edge(y, sh, h), edge(y + 1, sh, h));
        sums.fill(0);
        for row in raw[top * sw..bottom * sw].chunks_exact(sw) {
            for (s, &p) in sums.iter_mut().zip(row) {
                *s += u32::from(p);
            }
        }
        let rows = (bottom - top) as u32;
        for pair in cols.windows(2) {
            let n = (pair[1] - pair[0]) as u32 * rows;
            let sum: u32 = sums[pair[0]..pair[1]].iter().sum();
            out.push(((sum + n / 2) / n) as u8);
        }
    }
    GrayImage::from_raw(w, h, out).expect("w x h pixels")
}

/// Upscale to twice the size by bilinear interpolation in integer arithmetic: each new pixel
/// weighs its nearest source pixel 3 and the next one 1 along each axis (sixteenths in all),
/// as `imageops::resize` with `Triangle` does, edges repeated.
fn double(img: &GrayImage) -> GrayImage {
    let (w, h) = (img.width() as usize, img.height() as usize);
    if w == 0 || h == 0 {
        return GrayImage::new(0, 0);
    }
    let raw = img.as_raw();
    // One source row widened to 2w values, in quarters.
    let widen = |y: usize, dst: &mut [u16]| {
        let src = &raw[y * w..(y + 1) * w];
        for x in 0..w {
            let p = 3 * u16::from(src[x]);
            dst[2 * x] = p + u16::from(src[x.saturating_sub(1)]);
            dst[2 * x + 1] = p + u16::from(src[(x + 1).min(w - 1)]);
        }
    };
    let mut rows = [vec![0u16; 2 * w], vec![0u16; 2 * w], vec![0u16; 2 * w]];
    let mut out = vec![0u8; 4 * w * h];
    for y in 0..h {
        widen(y.saturating_sub(1), &mut rows[0]);
        widen(y, &mut rows[1]);
        widen((y + 1).min(h - 1), &mut rows[2]);
        let (upper, lower) = out[2 * y * 2 * w..(2 * y + 2) * 2 * w].split_at_mut(2 * w);
        for x in 0..2 * w {
            let mid = 3 * u32::from(rows[1][x]);
            upper[x] = ((mid + u32::from(rows[0][x]) + 8) >> 4) as u8;
            lower[x] = ((mid + u32::from(rows[2][x]) + 8) >> 4) as u8;
        }
    }
    GrayImage::from_raw(2 * w as u32, 2 * h as u32, out).expect("2w x 2h pixels")
}

/// Global Otsu threshold: helps when uneven light or JPEG noise confuses the decoders'
/// own local thresholds.
fn binarize_otsu(img: &GrayImage) -> GrayImage {
    let level = otsu_level(img);
    let mut out = img.clone();
    for p in out.iter_mut() {
        *p = if *p <= level { 0 } else { 255 };
    }
    out
}

/// The grey level that best splits the histogram into dark and light (Otsu's method).
fn otsu_level(img: &GrayImage) -> u8 {
    let mut histogram = [0u64; 256];
    for &p in img.as_raw() {
        histogram[usize::from(p)] += 1;
    }
    let total: u64 = histogram.iter().sum();
    let sum_all: f64 = histogram
        .iter()
        .enumerate()
        .map(|(v, &n)| v as f64 * n as f64)
        .sum();
    let (mut weight_bg, mut sum_bg) = (0u64, 0f64);
    let (mut best, mut best_var) = (128u8, -1f64);
    for (level, &n) in histogram.iter().enumerate() {
        weight_bg += n;
        if weight_bg == 0 {
            continue;
        }
        let weight_fg = total - weight_bg;
        if weight_fg == 0 {
            break;
        }
        sum_bg += level as f64 * n as f64;
        let mean_bg = sum_bg / weight_bg as f64;
        let mean_fg = (sum_all - sum_bg) / weight_fg as f64;
        let var = weight_bg as f64 * weight_fg as f64 * (mean_bg - mean_fg).powi(2);
        if var > best_var {
            best_var = var;
            best = level as u8;
        }
    }
    best
}

/// Above this many finder-pattern look-alikes rqrr is skipped: its grouping step copies the
/// whole image for every candidate pair (51 s on a 1000 x 1000 image tiled with ~1700
/// look-alikes), and 100 is more than 30 codes' worth.
const MAX_FINDER_LIKE_FOR_RQRR: f64 = 100.0;

/// Rough count of QR finder-pattern look-alikes: dark-light-dark-light-dark runs in the
/// ratio 1:1:3:1:1 along a row whose centre column shows the same ratio. Each real pattern
/// of module size `m` is hit on about `3m` rows, so each hit counts `1 / 3m`. Linear in the
/// pixel count (about 1 ms per megapixel).
#[doc(hidden)]
pub fn finder_like_count(img: &GrayImage) -> f64 {
    let level = otsu_level(img);
    let width = img.width() as usize;
    let dark = |x: usize, y: usize| img.as_raw()[y * width + x] <= level;
    let mut count = 0.0;
    let mut runs: Vec<(bool, usize)> = Vec::with_capacity(width);
    for (y, row) in img.as_raw().chunks_exact(width.max(1)).enumerate() {
        runs.clear();
        for &p in row {
            let d = p <= level;
            match runs.last_mut() {
                Some((rd, n)) if *rd == d => *n += 1,
                _ => runs.push((d, 1)),
            }
        }
        let mut x0 = 0;
        for (i, w) in runs.windows(5).enumerate() {
            if i > 0 {
                x0 += runs[i - 1].1;
            }
            if !w[0].0 {
                continue;
            }
            let lens = [w[0].1, w[1].1, w[2].1, w[3].1, w[4].1];
            if !finder_ratio(lens) {
                continue;
            }
            let total: usize = lens.iter().sum();
            let cx = x0 + lens[0] + lens[1] + lens[2] / 2;
            let vertical = column_runs(&dark, cx, y, img.height() as usize, total * 2);
            let vertical_total: usize = vertical.iter().sum();
            if finder_ratio(vertical) && vertical_total * 2 > total && vertical_total < total * 2 {
                count += 7.0 / (3.0 * total as f64).max(7.0);
            }
        }
    }
    count
}

/// Whether five run lengths are in the ratio 1:1:3:1:1, each within half a module.
fn finder_ratio(lens: [usize; 5]) -> bool {
    let total: usize = lens.iter().sum();
    let unit = total as f64 / 7.0;
    lens.iter()
        .zip([1.0, 1.0, 3.0, 1.0, 1.0])
        .all(|(&n, k)| (n as f64 - k * unit).abs() <= k * unit * 0.5)
}

/// Run lengths up and down column `x` from the dark pixel at row `y`: outer dark, light,
/// centre dark (both ways), light, outer dark. Walks at most `limit` pixels each way.
fn column_runs(
    dark: &dyn Fn(usize, usize) -> bool,
    x: usize,
    y: usize,
    height: usize,
    limit: usize,
) -> [usize; 5] {
    let mut runs = [0usize; 5];
    // Upwards: centre (index 2), then light (1), then outer dark (0).
    let (mut phase, mut yy, mut steps) = (2usize, y as isize, 0);
    while yy >= 0 && steps < limit {
        let want_dark = phase != 1;
        if dark(x, yy as usize) != want_dark {
            if phase == 0 {
                break;
            }
            phase -= 1;
            continue;
        }
        runs[phase] += 1;
        yy -= 1;
        steps += 1;
    }
    // Downwards from the row below: centre (2), light (3), outer dark (4).
    let (mut phase, mut yy, mut steps) = (2usize, y + 1, 0);
    while yy < height && steps < limit {
        let want_dark = phase != 3;
        if dark(x, yy) != want_dark {
            if phase == 4 {
                break;
            }
            phase += 1;
            continue;
        }
        runs[phase] += 1;
        yy += 1;
        steps += 1;
    }
    runs
}

/// Runs `f`, turning a panic into `None`. The panic message is silenced on the worker thread
/// (see [`silence_worker_panics`]).
fn guarded<T>(f: impl FnOnce() -> T) -> Option<T> {
    catch_unwind(AssertUnwindSafe(f)).ok()
}

/// rxing's port of the zxing-cpp QR reader, given the grey buffer directly (no copy), which
/// finds several codes per image. rxing's classic ZXing multi-reader is not used: it read
/// nothing more on the test photos and is cubic in the number of finder-like patterns
/// (38 s on a 600 x 600 image tiled with fake finder patterns, against 1 s for this one).
/// `None` if it panicked.
fn decode_rxing(img: &GrayImage) -> Option<Vec<String>> {
    use rxing::multi::MultipleBarcodeReader;
    use rxing::qrcode::cpp_port::QrReader;

    guarded(|| {
        let hints = rxing::DecodeHints {
            PossibleFormats: Some(HashSet::from([rxing::BarcodeFormat::QR_CODE])),
            TryHarder: Some(true),
            ..Default::default()
        };
        let Ok(source) =
            rxing::Luma8Source::new_with_slice(img.as_raw(), img.width(), img.height())
        else {
            return Vec::new();
        };
        let mut bitmap = rxing::BinaryBitmap::new(rxing::common::HybridBinarizer::new(source));
        QrReader
            .decode_multiple_with_hints(&mut bitmap, &hints)
            .map(|results| results.iter().map(|r| r.getText().to_owned()).collect())
            .unwrap_or_default()
    })
}

/// rqrr (quirc port). Payload bytes are taken raw and converted lossily so that a code that
/// is not UTF-8 still yields its text. `None` if it panicked.
fn decode_rqrr(img: &GrayImage) -> Option<Vec<String>> {
    if finder_like_count(img) > MAX_FINDER_LIKE_FOR_RQRR {
        return Some(Vec::new());
    }
    guarded(|| {
        let (w, h) = (img.width() as usize, img.height() as usize);
        let raw = img.as_raw();
        let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| raw[y * w + x]);
        let mut out = Vec::new();
        for grid in prepared.detect_grids() {
            let mut bytes = Vec::new();
            if grid.decode_to(&mut bytes).is_ok() {
                out.push(String::from_utf8_lossy(&bytes).into_owned());
            }
        }
        out
    })
}

breakglass_core::error_kinds! { ScanError {
    DecoderBusy => "DecoderBusy",
    NotAnImage => "NotAnImage",
    Corrupt => "Corrupt",
    TooLarge => "TooLarge",
    NoCodeFound => "NoCodeFound",
    DecoderCrashed => "DecoderCrashed",
    TimedOut => "TimedOut",
    Raster(inner) => inner,
} }

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raster::RasterError;
    use image::{ImageFormat, Luma, imageops};
    use std::io::Cursor;

    /// A grey test pattern with edges, gradients and noise.
    fn busy(w: u32, h: u32) -> GrayImage {
        GrayImage::from_fn(w, h, |x, y| {
            let noise = (x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503)) >> 7;
            let edge = if (x / 7 + y / 5) % 2 == 0 { 40 } else { 210 };
            Luma([((edge + noise % 31 + x % 13) % 256) as u8])
        })
    }

    #[test]
    fn integer_shrink_averages_the_blocks_imageops_thumbnail_averages() {
        for (sw, sh, w, h) in [
            (2480, 3508, 1414, 2000),
            (301, 7, 150, 4),
            (9, 9, 5, 5),
            (5, 5, 5, 5),
        ] {
            let img = busy(sw, sh);
            let ours = shrink(&img, w, h);
            let theirs = imageops::thumbnail(&img, w, h);
            assert_eq!(ours.dimensions(), theirs.dimensions());
            // The same blocks (edges at ceil(k * W / w)), the same rounded mean; float edges
            // may put a rare block edge one pixel over.
            let off = ours
                .as_raw()
                .iter()
                .zip(theirs.as_raw())
                .filter(|(a, b)| a != b)
                .count();
            assert!(
                off * 1000 <= ours.as_raw().len(),
                "{sw}x{sh}: {off} pixels differ"
            );
        }
        assert_eq!(
            shrink(&busy(4, 4), 1, 1).as_raw(),
            &[imageops::thumbnail(&busy(4, 4), 1, 1)[(0, 0)][0]]
        );
    }

    #[test]
    fn integer_double_is_imageops_triangle_upscale() {
        for (w, h) in [(97, 61), (1, 1), (2, 3)] {
            let img = busy(w, h);
            let ours = double(&img);
            let theirs = imageops::resize(&img, 2 * w, 2 * h, imageops::FilterType::Triangle);
            assert_eq!(ours.dimensions(), theirs.dimensions());
            for (i, (a, b)) in ours.as_raw().iter().zip(theirs.as_raw()).enumerate() {
                assert!(a.abs_diff(*b) <= 1, "{w}x{h} pixel {i}: {a} against {b}");
            }
        }
    }

    /// Renders `text` as a QR code with `px` pixels per module and a 4-module quiet zone.
    fn qr_image(text: &str, px: u32) -> GrayImage {
        let code = qrcode::QrCode::new(text.as_bytes()).unwrap();
        let n = code.width() as u32;
        let colors = code.to_colors();
        let side = (n + 8) * px;
        GrayImage::from_fn(side, side, |x, y| {
            let (mx, my) = (x / px, y / px);
            let dark = mx >= 4
                && my >= 4
                && mx < n + 4
                && my < n + 4
                && colors[((my - 4) * n + (mx - 4)) as usize] == qrcode::Color::Dark;
            Luma([if dark { 0 } else { 255 }])
        })
    }

    fn encode(img: &GrayImage, format: ImageFormat) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, format).unwrap();
        out.into_inner()
    }

    fn png(img: &GrayImage) -> Vec<u8> {
        encode(img, ImageFormat::Png)
    }

    const SHARE: &str = "BG1-S-5 01ABCDEFGHJKMNPQRSTVWX7 02ABCDEFGHJKMNPQRSTVWX7ABCDEFGH/9";

    #[test]
    fn reads_a_clean_code_in_every_right_angle_rotation() {
        let img = qr_image(SHARE, 4);
        for rotated in [
            img.clone(),
            imageops::rotate90(&img),
            imageops::rotate180(&img),
            imageops::rotate270(&img),
        ] {
            let found = scan_image(&png(&rotated), &ScanLimits::default()).unwrap();
            assert_eq!(found, vec![SHARE.to_owned()]);
        }
    }

    #[test]
    fn reads_a_skewed_scaled_jpeg() {
        // 7 degrees of skew, scaled by 1.7, saved as a lossy JPEG on a grey page.
        let img = qr_image(SHARE, 3);
        let side = img.width() * 2;
        let angle = 7f64.to_radians();
        let scale = 1.7;
        let (c, s) = (angle.cos(), angle.sin());
        let mid = f64::from(side) / 2.0;
        let half_src = f64::from(img.width()) / 2.0;
        let page = GrayImage::from_fn(side, side, |x, y| {
            let (dx, dy) = (f64::from(x) - mid, f64::from(y) - mid);
            let sx = (c * dx + s * dy) / scale + half_src;
            let sy = (-s * dx + c * dy) / scale + half_src;
            if sx >= 0.0 && sy >= 0.0 && sx < f64::from(img.width()) && sy < f64::from(img.height())
            {
                let v = img.get_pixel(sx as u32, sy as u32)[0];
                Luma([if v == 0 { 30 } else { 220 }])
            } else {
                Luma([200])
            }
        });
        let jpeg = encode(&page, ImageFormat::Jpeg);
        let found = scan_image(&jpeg, &ScanLimits::default()).unwrap();
        assert_eq!(found, vec![SHARE.to_owned()]);
    }

    #[test]
    fn reads_several_codes_on_one_page() {
        let texts = [
            "BG1-S-5 01AAAA",
            "BG1-S-5 02BBBB",
            "BG1-C 0123456789 ABCDEF/-",
        ];
        let codes: Vec<GrayImage> = texts.iter().map(|t| qr_image(t, 5)).collect();
        let cell = codes.iter().map(|c| c.width()).max().unwrap();
        let mut page = GrayImage::from_pixel(cell * 2, cell * 2, Luma([255]));
        for (i, code) in codes.iter().enumerate() {
            let (x, y) = ((i as u32 % 2) * cell, (i as u32 / 2) * cell);
            imageops::replace(&mut page, code, i64::from(x), i64::from(y));
        }
        let want = |found: &[String]| found.len() == texts.len();
        let mut found = scan_image_until(&png(&page), &ScanLimits::default(), &want).unwrap();
        found.sort();
        let mut expected: Vec<String> = texts.iter().map(|t| t.to_string()).collect();
        expected.sort();
        assert_eq!(found, expected);
    }

    #[test]
    fn reads_a_big_page_through_the_downscaled_pass() {
        // A 600-dpi A4 page (4960 x 7016) with a code in one corner.
        let code = qr_image(SHARE, 20);
        let mut page = GrayImage::from_pixel(4960, 7016, Luma([255]));
        imageops::replace(&mut page, &code, 300, 400);
        let found = scan_image(&png(&page), &ScanLimits::default()).unwrap();
        assert_eq!(found, vec![SHARE.to_owned()]);
    }

    #[test]
    fn keeps_non_alphanumeric_text_untrimmed() {
        let text = "  lower case, ünïcödé & spaces  ";
        let found = scan_image(&png(&qr_image(text, 4)), &ScanLimits::default()).unwrap();
        assert_eq!(found, vec![text.to_owned()]);
    }

    #[test]
    fn garbage_bytes_are_not_an_image() {
        let err = scan_image(b"this is not an image at all", &ScanLimits::default());
        assert!(
            matches!(err, Err(ScanError::Raster(RasterError::NotAnImage))),
            "{err:?}"
        );
        let err = scan_image(&[], &ScanLimits::default());
        assert!(
            matches!(err, Err(ScanError::Raster(RasterError::NotAnImage))),
            "{err:?}"
        );
    }

    #[test]
    fn other_image_formats_are_refused() {
        let mut gif = b"GIF89a".to_vec();
        gif.extend_from_slice(&[1, 0, 1, 0, 0, 0, 0, 0x3b]);
        let err = scan_image(&gif, &ScanLimits::default());
        assert!(
            matches!(err, Err(ScanError::Raster(RasterError::NotAnImage))),
            "{err:?}"
        );
    }

    #[test]
    fn truncated_png_is_corrupt() {
        let bytes = png(&qr_image(SHARE, 4));
        let err = scan_image(&bytes[..bytes.len() / 2], &ScanLimits::default());
        assert!(
            matches!(err, Err(ScanError::Raster(RasterError::Corrupt { .. }))),
            "{err:?}"
        );
    }

    #[test]
    fn truncated_jpeg_header_is_corrupt() {
        let bytes = encode(&qr_image(SHARE, 4), ImageFormat::Jpeg);
        let err = scan_image(&bytes[..100], &ScanLimits::default());
        assert!(
            matches!(err, Err(ScanError::Raster(RasterError::Corrupt { .. }))),
            "{err:?}"
        );
    }

    #[test]
    fn one_pixel_image_has_no_code() {
        let img = GrayImage::from_pixel(1, 1, Luma([255]));
        let err = scan_image(&png(&img), &ScanLimits::default());
        assert!(matches!(err, Err(ScanError::NoCodeFound)), "{err:?}");
    }

    #[test]
    fn blank_page_has_no_code() {
        let img = GrayImage::from_pixel(800, 600, Luma([240]));
        let err = scan_image(&png(&img), &ScanLimits::default());
        assert!(matches!(err, Err(ScanError::NoCodeFound)), "{err:?}");
    }

    /// CRC-32 (IEEE) as PNG chunks need it.
    fn crc32(data: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn image_claiming_huge_dimensions_is_too_large() {
        // A real PNG whose header is rewritten to claim 100000 x 100000 pixels.
        let mut bytes = png(&GrayImage::from_pixel(2, 2, Luma([255])));
        bytes[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        bytes[20..24].copy_from_slice(&100_000u32.to_be_bytes());
        let crc = crc32(&bytes[12..29]);
        bytes[29..33].copy_from_slice(&crc.to_be_bytes());
        let err = scan_image(&bytes, &ScanLimits::default());
        match err {
            Err(ScanError::Raster(RasterError::TooLarge {
                width,
                height,
                max_pixels,
            })) => assert_eq!((width, height, max_pixels), (100_000, 100_000, 100_000_000)),
            other => panic!("expected TooLarge, got {other:?}"),
        }
    }

    #[test]
    fn pixel_limit_is_enforced() {
        let limits = ScanLimits {
            max_pixels: 10_000,
            ..ScanLimits::default()
        };
        let err = scan_image(&png(&qr_image(SHARE, 4)), &limits);
        assert!(
            matches!(err, Err(ScanError::Raster(RasterError::TooLarge { .. }))),
            "{err:?}"
        );
    }

    #[test]
    fn zero_time_budget_times_out() {
        let limits = ScanLimits {
            time_budget: Duration::ZERO,
            ..ScanLimits::default()
        };
        let err = scan_image(&png(&qr_image(SHARE, 4)), &limits);
        assert!(matches!(err, Err(ScanError::TimedOut { .. })), "{err:?}");
    }

    #[test]
    fn image_full_of_fake_finder_patterns_stops_at_the_time_budget() {
        // Tiled finder-pattern look-alikes make both decoders' grouping step superlinear
        // (seconds here, minutes on bigger images); the caller must still get an answer in time.
        let img = GrayImage::from_fn(600, 600, |x, y| {
            let (mx, my) = ((x / 3) % 8, (y / 3) % 8);
            let ring = (mx as i32 - 3).abs().max((my as i32 - 3).abs());
            Luma([if mx == 7 || my == 7 || ring == 2 {
                255
            } else {
                0
            }])
        });
        let limits = ScanLimits {
            time_budget: Duration::from_millis(300),
            ..ScanLimits::default()
        };
        let start = Instant::now();
        let err = scan_image(&png(&img), &limits);
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "{:?}",
            start.elapsed()
        );
        assert!(matches!(err, Err(ScanError::TimedOut { .. })), "{err:?}");
    }

    #[test]
    fn error_messages_tell_what_to_do() {
        assert!(ScanError::NoCodeFound.to_string().contains("300 dpi"));
        let big = ScanError::TooLarge {
            width: 1,
            height: 2,
            max_pixels: 3,
        };
        assert!(big.to_string().contains("1 x 2"));
    }

    #[test]
    fn decoder_panics_are_caught_quietly_on_the_worker_thread() {
        silence_worker_panics();
        let caught = std::thread::Builder::new()
            .name(WORKER_NAME.into())
            .spawn(|| guarded(|| -> u8 { panic!("decoder bug") }))
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(caught, None);
        assert_eq!(guarded(|| 7), Some(7));
    }

    #[test]
    fn counts_finder_pattern_look_alikes() {
        let one = finder_like_count(&qr_image(SHARE, 4));
        assert!((2.0..=8.0).contains(&one), "{one}");
        let three = finder_like_count(&qr_image(SHARE, 9));
        assert!((2.0..=8.0).contains(&three), "{three}");
        let tiled = GrayImage::from_fn(600, 600, |x, y| {
            let (mx, my) = ((x / 3) % 8, (y / 3) % 8);
            let ring = (mx as i32 - 3).abs().max((my as i32 - 3).abs());
            Luma([if mx == 7 || my == 7 || ring == 2 {
                255
            } else {
                0
            }])
        });
        let many = finder_like_count(&tiled);
        assert!(many > MAX_FINDER_LIKE_FOR_RQRR, "{many}");
    }

    #[test]
    fn otsu_splits_two_levels() {
        let img = GrayImage::from_fn(10, 1, |x, _| Luma([if x < 5 { 60 } else { 190 }]));
        let out = binarize_otsu(&img);
        assert_eq!(out.get_pixel(0, 0)[0], 0);
        assert_eq!(out.get_pixel(9, 0)[0], 255);
    }
}
