//! Showing new credentials once, for entering into Entra ID or onto a security key.
//!
//! At a terminal (the controlling terminal, even when standard output is redirected): one
//! account with its key PINs per page, laid out to the terminal's size, on a private screen that
//! is cleared and restored on every exit path (see `terminal`). Written to a non-terminal
//! standard output only when `--print-credentials` asks for it; with neither, the command is
//! refused before anything is generated. Passwords are shown in groups of four with a phonetic
//! spelling; `rotate` shows each key's current PIN beside the new one, since changing a PIN needs
//! both. Nothing here chooses credentials or writes files other than the requested sheet.
//!
//! `recover` shows what it opened with the same pages (one account per page, grouped, spelled,
//! cleared afterwards), adding what only a recovery reveals: TOTP codes and seeds, and notes.

use super::terminal::{Screen, Size, Tty};
use super::wrap::{width, wrap, wrap_text};
use super::{CliResult, Failure};
use breakglass_core::contents::Entry;
use breakglass_core::phonetic;
use breakglass_core::totp::Totp;
use std::io::Write;
use std::path::Path;
use zeroize::Zeroizing;

/// Narrower than this, even the labels and prompts would not fit.
const MIN_COLS: usize = 40;
/// Assumed when a terminal does not report its size.
const DEFAULT_SIZE: Size = Size { cols: 80, rows: 24 };

/// Where the credentials will be shown; chosen before any is generated.
pub enum Display {
    /// The controlling terminal, paged.
    Terminal(Tty),
    /// A non-terminal standard output, because `--print-credentials` asked for it.
    Stdout,
}

impl Display {
    /// The controlling terminal when there is one (whatever standard output is); a redirected
    /// standard output only with `--print-credentials`; otherwise a refusal naming both ways out.
    /// `command` names the subcommand in that message.
    pub fn choose(print_credentials: bool, command: &str) -> CliResult<Display> {
        if print_credentials && !super::stdout::is_terminal() {
            return Ok(Display::Stdout);
        }
        match Tty::open() {
            Ok(tty) => Ok(Display::Terminal(tty)),
            Err(_) => Err(Failure::Usage.because(format!(
                "there is no terminal to show the new credentials on: standard output is not a terminal and this process has no controlling terminal. Nothing was generated. Run `breakglass {command}` at a terminal, or add --print-credentials to write the credentials to standard output (whatever captures it will then hold them)"
            ))),
        }
    }

    /// Refuses a terminal too small for the largest page, saying how large it must be; called
    /// after the credentials exist (their spelling sets the width) and before any sheet is
    /// written.
    pub fn check_fits(&self, enrollment: &Enrollment, command: &str) -> CliResult {
        let Display::Terminal(tty) = self else {
            return Ok(());
        };
        let Some(size) = tty.size() else {
            return Ok(());
        };
        let pages = enrollment.pages();
        let need = required_size(&pages, size.cols);
        if size.cols >= need.cols && size.rows >= need.rows {
            return Ok(());
        }
        Err(Failure::Usage.because(format!(
            "this terminal is {}x{}, too small for the enrollment display: it needs at least {} columns and {} rows (one account per page). Enlarge the window or use a smaller font, then run `breakglass {command}` again; nothing was written",
            size.cols, size.rows, need.cols, need.rows
        )))
    }

    /// Shows the credentials once. `sheet` is the enrollment sheet written, if any: the display
    /// says the credentials are in no file only when that is true.
    pub fn show(self, enrollment: &Enrollment, sheet: Option<&Path>) -> CliResult {
        match self {
            // Not the quiet end of a closed pipe: credentials nobody saw are a failure.
            Display::Stdout => super::stdout::with(|mut out| {
                write_plain(&mut out, enrollment, sheet)
            })
            .map_err(|e| {
                Failure::Output.because(format!(
                    "{e}. The new credentials were not all shown and nobody has seen them: run the command again (with --force to replace the sheets just written)"
                ))
            }),
            Display::Terminal(mut tty) => {
                super::stdout::flush_before_the_terminal();
                let frame = Frame::enrollment(&where_line(sheet));
                show_paged(&mut tty, enrollment, &frame)?;
                writeln!(tty, "The enrollment display was closed and cleared.")?;
                Ok(())
            }
        }
    }
}

/// The credentials to show, with the previous contents for `rotate` (for each key's current PIN).
pub struct Enrollment<'a> {
    entries: &'a [Entry],
    /// Known for new passwords only.
    entropy_bits: Option<f64>,
    previous: Option<&'a [Entry]>,
    /// Set for recovered credentials: TOTP codes (at this Unix time) and notes are shown too.
    recovered_at: Option<u64>,
}

impl<'a> Enrollment<'a> {
    pub fn new(entries: &'a [Entry], entropy_bits: f64) -> Self {
        Enrollment {
            entries,
            entropy_bits: Some(entropy_bits),
            previous: None,
            recovered_at: None,
        }
    }

    /// Credentials opened by `recover` at Unix time `now` (for the TOTP codes).
    pub fn recovered(entries: &'a [Entry], now: u64) -> Self {
        Enrollment {
            entries,
            entropy_bits: None,
            previous: None,
            recovered_at: Some(now),
        }
    }

    /// For `rotate`: `previous` holds the PINs the keys have now.
    pub fn replacing(mut self, previous: &'a [Entry]) -> Self {
        self.previous = Some(previous);
        self
    }

    /// The key's current PIN, when this enrollment replaces one.
    fn current_pin(&self, key: &str) -> Option<&str> {
        self.previous?.iter().find_map(|e| match e {
            Entry::Fido2 { label, pin } if label == key => Some(pin.expose_secret()),
            _ => None,
        })
    }

    /// One page per account with the keys and seeds that follow it (a key labelled "… for UPN"
    /// joins that account's page); anything else gets a page of its own.
    fn pages(&self) -> Vec<Page> {
        let mut pages: Vec<Page> = Vec::new();
        let mut owner: Option<&str> = None;
        for e in self.entries {
            let joins = match e {
                Entry::Account { .. } => false,
                Entry::Fido2 { label, .. } => {
                    owner.is_some_and(|o| label.ends_with(&format!(" for {o}")))
                }
                Entry::Totp { .. } | Entry::Note { .. } => !pages.is_empty(),
            };
            if !joins {
                pages.push(Page::default());
                owner = match e {
                    Entry::Account { upn, .. } => Some(upn),
                    Entry::Fido2 { label, .. } => label.rsplit_once(" for ").map(|(_, u)| u),
                    Entry::Totp { .. } | Entry::Note { .. } => None,
                };
            }
            let page = pages.last_mut().expect("a page was just pushed or exists");
            let mut rows = Vec::new();
            self.rows_of(e, &mut rows);
            page.blocks.push(rows);
        }
        pages
    }

    fn rows_of(&self, e: &Entry, rows: &mut Vec<Row>) {
        match e {
            Entry::Account {
                upn,
                display_name,
                password,
            } => self.account_rows(upn, display_name, password.expose_secret(), rows),
            Entry::Fido2 { label, pin } => self.key_rows(label, pin.expose_secret(), rows),
            Entry::Totp { label, uri } => match self.recovered_at {
                Some(now) => totp_rows(label, uri.expose_secret(), now, rows),
                None => rows.push(Row::Text(format!(
                    "TOTP {}: sealed in the vault, not shown here",
                    shown(label)
                ))),
            },
            Entry::Note { label, text } => match self.recovered_at {
                Some(_) => {
                    rows.push(Row::Text(format!("Note {}", shown(label))));
                    for l in text.expose_secret().lines() {
                        rows.push(Row::Private(Zeroizing::new(format!(
                            "    {}",
                            super::visible_text(l)
                        ))));
                    }
                }
                None => rows.push(Row::Text(format!(
                    "Note {}: sealed in the vault, not shown here",
                    shown(label)
                ))),
            },
        }
    }

    /// The name, the password plain and in groups, and each group spelled.
    fn account_rows(&self, upn: &str, display_name: &str, pw: &str, rows: &mut Vec<Row>) {
        rows.push(Row::Text(format!(
            "Account {} ({})",
            shown(upn),
            shown(display_name)
        )));
        rows.push(Row::secret("password:", pw, "", String::new()));
        let count = pw.chars().count();
        rows.push(Row::secret(
            "grouped:",
            pw,
            " ",
            match self.entropy_bits {
                Some(bits) => format!("({count} characters, about {bits:.0} bits)"),
                None => format!("({count} characters)"),
            },
        ));
        for row in phonetic::spelled_groups(pw) {
            rows.push(Row::Fixed(Zeroizing::new(format!("      {row}"))));
        }
    }

    /// The key's PIN; for `rotate`, its current PIN beside the new one.
    fn key_rows(&self, label: &str, pin: &str, rows: &mut Vec<Row>) {
        rows.push(Row::Text(format!("FIDO2 key {}", shown(label))));
        let grouped = |p: &str| format!("grouped: {}", phonetic::groups_of_four(p));
        match self.current_pin(label) {
            Some(old) => {
                rows.push(Row::secret("current PIN:", old, "", grouped(old)));
                rows.push(Row::secret("new PIN:", pin, "", grouped(pin)));
                rows.push(Row::Text(
                    "  (the key asks for its current PIN before it takes the new one)".into(),
                ));
            }
            None => rows.push(Row::secret("PIN:", pin, "", grouped(pin))),
        }
    }
}

/// A recovered TOTP seed: the code at `now` and the seed itself.
fn totp_rows(label: &str, uri: &str, now: u64, rows: &mut Vec<Row>) {
    rows.push(Row::Text(format!("TOTP {}", shown(label))));
    match Totp::from_uri(uri) {
        Ok(t) => {
            let c = t.code_at(now);
            rows.push(Row::secret(
                "code now:",
                &c.code,
                "",
                format!(
                    "(valid {} s more, by this computer's clock, which must be right)",
                    c.seconds_left
                ),
            ));
        }
        Err(e) => rows.push(Row::Text(format!("  no code: {}", shown(&e.to_string())))),
    }
    rows.push(Row::secret(
        "seed URI:",
        &super::visible(uri),
        "",
        String::new(),
    ));
}

/// Labels come from plans and sheets: shown through the one display filter.
fn shown(s: &str) -> String {
    super::visible(s).into_owned()
}

/// One account with what belongs to it. Shown on one screen when it fits; split into screens
/// (between entries, or between rows of an entry taller than the screen) when it does not.
#[derive(Default, Clone)]
struct Page {
    /// Each entry's rows: a screen breaks between blocks before it breaks inside one.
    blocks: Vec<Vec<Row>>,
    /// A later screen of a split page: the heading's notes were on the first, so only the
    /// title is repeated and the rows get the room.
    continued: bool,
}

#[derive(Clone)]
enum Row {
    /// Words, wrapped at spaces; continuation lines indented two more.
    Text(String),
    /// `  label  value   note`: the value in pieces of four (joined by `sep`), wrapped between
    /// pieces under the first.
    Secret {
        label: &'static str,
        value: Zeroizing<String>,
        sep: &'static str,
        note: Zeroizing<String>,
    },
    /// Never wrapped (a spelled group): the page needs at least its width.
    Fixed(Zeroizing<String>),
    /// Secret words (a recovered note's line), wrapped like `Text`.
    Private(Zeroizing<String>),
    Blank,
}

impl Row {
    fn secret(label: &'static str, value: &str, sep: &'static str, note: String) -> Row {
        Row::Secret {
            label,
            value: Zeroizing::new(value.to_string()),
            sep,
            note: Zeroizing::new(note),
        }
    }
}

impl Row {
    fn render(&self, cols: usize, out: &mut Vec<Zeroizing<String>>) {
        match self {
            Row::Blank => out.push(Zeroizing::new(String::new())),
            Row::Text(t) => out.extend(wrap_text(t, cols)),
            Row::Private(t) => out.extend(wrap_text(t, cols)),
            Row::Fixed(f) => out.push(f.clone()),
            Row::Secret {
                label,
                value,
                sep,
                note,
            } => {
                let prefix = format!("  {label:<13}");
                let chars: Vec<char> = value.chars().collect();
                let pieces: Vec<Zeroizing<String>> = chars
                    .chunks(4)
                    .map(|c| Zeroizing::new(c.iter().collect()))
                    .collect();
                let refs: Vec<&str> = pieces.iter().map(|p| p.as_str()).collect();
                let mut lines = wrap(&prefix, &refs, sep, cols);
                if !note.is_empty() {
                    let last = lines.last_mut().expect("wrap returns a line");
                    if width(last) + 3 + width(note) <= cols {
                        last.push_str("   ");
                        last.push_str(note);
                    } else {
                        lines.extend(wrap_text(
                            &format!("{}{}", " ".repeat(width(&prefix)), note.as_str()),
                            cols,
                        ));
                    }
                }
                out.extend(lines);
            }
        }
    }

    /// The narrowest terminal this row can be shown on.
    fn min_cols(&self) -> usize {
        match self {
            Row::Fixed(f) => width(f),
            _ => 0,
        }
    }
}

/// The words around every page, the one difference between enrollment and recovery.
pub struct Frame {
    /// Before ", page N of M" in the heading.
    title: &'static str,
    /// After it.
    purpose: String,
    /// Lines under the heading.
    notes: Vec<String>,
    /// The last page's prompt, after "page N of N: ".
    done: &'static str,
}

const READ_ALOUD: &str =
    "Read them aloud in groups of four; the spelling marks lower and UPPER case.";

impl Frame {
    fn enrollment(where_line: &str) -> Frame {
        Frame {
            title: "ENROLLMENT",
            purpose: "enter these into Entra ID now.".into(),
            notes: vec![where_line.to_string(), READ_ALOUD.into()],
            done: "Enter when every credential is enrolled (clears the screen)",
        }
    }

    /// For `recover`: `what` names the vault, `how` the shares it was opened with, `warning`
    /// what must be read before the credentials (another generation opened too); all pass
    /// through the display filter here.
    pub fn recovery(what: &str, how: &str, warning: Option<&str>) -> Frame {
        let mut notes: Vec<String> = warning
            .map(|w| format!("WARNING: {}", shown(w)))
            .into_iter()
            .collect();
        notes.push(format!(
            "{} Shown here and written to no file; running recover again with the same sheets shows them again.",
            shown(how)
        ));
        notes.push(READ_ALOUD.into());
        Frame {
            title: "RECOVERED",
            purpose: format!("{}.", shown(what)),
            notes,
            done: "Enter when you are done with them (clears the screen; recover shows them again)",
        }
    }
}

impl Page {
    /// The page as drawn: heading, the page's rows, and the prompt as the last line.
    fn render(
        &self,
        number: usize,
        total: usize,
        cols: usize,
        frame: &Frame,
    ) -> Vec<Zeroizing<String>> {
        let mut out = Vec::new();
        let mut heading = vec![Row::Text(format!(
            "{}, page {number} of {total}: {}",
            frame.title, frame.purpose
        ))];
        if !self.continued {
            heading.extend(frame.notes.iter().map(|n| Row::Text(n.clone())));
        }
        heading.push(Row::Blank);
        for r in &heading {
            r.render(cols, &mut out);
        }
        for (i, block) in self.blocks.iter().enumerate() {
            if i > 0 {
                out.push(Zeroizing::new(String::new()));
            }
            for r in block {
                r.render(cols, &mut out);
            }
        }
        out.push(Zeroizing::new(String::new()));
        let prompt = if number < total {
            format!("page {number} of {total}: Enter for the next")
        } else {
            format!("page {number} of {total}: {}", frame.done)
        };
        // One column is kept for the space that keeps typed input off the prompt.
        out.extend(wrap_text(&prompt, cols - 1));
        if let Some(last) = out.last_mut() {
            last.push(' ');
        }
        out
    }

    fn min_cols(&self) -> usize {
        self.blocks
            .iter()
            .flatten()
            .map(Row::min_cols)
            .max()
            .unwrap_or(0)
            .max(MIN_COLS)
    }
}

/// The height a screen of `page` takes at `cols`, with the longest page numbers ("page 999 of
/// 999"), so a split made now still fits whatever the numbers turn out to be.
fn height(page: &Page, cols: usize, frame: &Frame) -> usize {
    page.render(999, 999, cols, frame).len()
}

impl Page {
    /// An empty later screen of a split page.
    fn later() -> Page {
        Page {
            blocks: Vec::new(),
            continued: true,
        }
    }

    /// The screens this page takes on a terminal of `rows` rows at `cols` columns: the whole
    /// page when it fits; otherwise split between entries, and an entry taller than a screen
    /// between its rows. A screen always holds at least one row, so nothing is ever dropped.
    fn screens(&self, cols: usize, rows: usize, frame: &Frame) -> Vec<Page> {
        let fits = |p: &Page| height(p, cols, frame) <= rows;
        if fits(self) {
            return vec![self.clone()];
        }
        let mut out = Vec::new();
        let mut cur = Page::default();
        for block in &self.blocks {
            let mut with = cur.clone();
            with.blocks.push(block.clone());
            if fits(&with) {
                cur = with;
                continue;
            }
            if !cur.blocks.is_empty() {
                out.push(std::mem::replace(&mut cur, Page::later()));
            }
            let alone = Page {
                blocks: vec![block.clone()],
                continued: !out.is_empty(),
            };
            if fits(&alone) {
                cur = alone;
                continue;
            }
            // Taller than a screen by itself (a long note): break between its rows.
            cur.blocks.push(Vec::new());
            for row in block {
                let mut with = cur.clone();
                with.blocks
                    .last_mut()
                    .expect("a block was just pushed")
                    .push(row.clone());
                let only_row = cur.blocks.iter().all(Vec::is_empty);
                if fits(&with) || only_row {
                    cur = with;
                } else {
                    out.push(std::mem::replace(
                        &mut cur,
                        Page {
                            blocks: vec![vec![row.clone()]],
                            continued: true,
                        },
                    ));
                }
            }
        }
        if !cur.blocks.is_empty() {
            out.push(cur);
        }
        out
    }
}

/// The smallest terminal that shows every entry whole on a screen when it is at least `cols`
/// wide: the widest spelled row, and the tallest entry with the heading and the prompt. A page
/// holding more than that is split into screens ([`Page::screens`]).
fn required_size(pages: &[Page], cols: usize) -> Size {
    let need_cols = pages.iter().map(Page::min_cols).max().unwrap_or(MIN_COLS);
    let at = cols.max(need_cols);
    let frame = Frame::enrollment(WHERE_LONGEST);
    let rows = pages
        .iter()
        .flat_map(|p| &p.blocks)
        .map(|b| {
            height(
                &Page {
                    blocks: vec![b.clone()],
                    continued: false,
                },
                at,
                &frame,
            )
        })
        .max()
        .unwrap_or(0);
    Size {
        cols: need_cols,
        rows,
    }
}

/// The longest "where are they" line, so a size check holds whichever is shown.
const WHERE_LONGEST: &str = "They are shown once here and are also on the enrollment sheet, which holds them until you shred it: ................................................";

fn where_line(sheet: Option<&Path>) -> String {
    match sheet {
        None => "They are shown once and are not in any file.".into(),
        Some(p) => {
            let name = shown(&p.display().to_string());
            let name: String = name.chars().take(48).collect();
            format!(
                "They are shown once here and are also on the enrollment sheet, which holds them until you shred it: {name}"
            )
        }
    }
}

/// Shows recovered credentials on the terminal, page by page, then clears it: the enrollment
/// display's pages and guarantees, with `frame` from [`Frame::recovery`].
pub fn show_recovered(tty: &mut Tty, credentials: &Enrollment, frame: &Frame) -> CliResult {
    super::stdout::flush_before_the_terminal();
    show_paged(tty, credentials, frame)?;
    writeln!(
        tty,
        "The recovered credentials were shown and the screen cleared."
    )?;
    Ok(())
}

fn show_paged(tty: &mut Tty, enrollment: &Enrollment, frame: &Frame) -> std::io::Result<()> {
    let term = std::env::var("TERM").ok();
    let mut screen = tty.private_screen(term.as_deref())?;
    let size = screen.size().unwrap_or(DEFAULT_SIZE);
    let pages = enrollment.pages();
    let cols = pages
        .iter()
        .map(Page::min_cols)
        .max()
        .unwrap_or(MIN_COLS)
        .max(size.cols);
    // Split for the terminal as it is now, so an 80x24 window shows every page whole.
    let screens: Vec<Page> = pages
        .iter()
        .flat_map(|p| p.screens(cols, size.rows, frame))
        .collect();
    let total = screens.len();
    for (i, page) in screens.iter().enumerate() {
        let lines = fitted(&mut screen, page, i + 1, total, frame)?;
        screen.draw(&lines)?;
        fault_injection(i + 1);
        screen.wait_for_enter()?;
    }
    Ok(())
}

/// The page laid out for the terminal as it is now; while it is too small (a window shrunk after
/// the pages were split), asks for a larger one, and shows the page anyway when Enter is pressed
/// again without a change: a console that cannot grow must not be a dead end.
fn fitted(
    screen: &mut Screen,
    page: &Page,
    number: usize,
    total: usize,
    frame: &Frame,
) -> std::io::Result<Vec<Zeroizing<String>>> {
    let mut asked_at: Option<Size> = None;
    loop {
        let size = screen.size().unwrap_or(DEFAULT_SIZE);
        let cols = size.cols.max(page.min_cols());
        let lines = page.render(number, total, cols, frame);
        let fits = size.cols >= page.min_cols() && lines.len() <= size.rows;
        if fits || asked_at == Some(size) {
            return Ok(lines);
        }
        let msg = wrap_text(
            &format!(
                "This terminal is {}x{}; page {number} needs at least {}x{}. Enlarge the window or use a smaller font, then press Enter. Or press Enter now to see the page as it is: its top lines may scroll out of sight.",
                size.cols,
                size.rows,
                page.min_cols(),
                lines.len()
            ),
            size.cols.max(1),
        );
        screen.draw(&msg)?;
        screen.wait_for_enter()?;
        asked_at = Some(size);
    }
}

/// Debug builds only: `BREAKGLASS_FAULT_PANIC_ON_PAGE=N` panics with page N on the screen, so
/// the end-to-end tests can prove a panic clears it. Release builds have no such hook.
fn fault_injection(page: usize) {
    #[cfg(debug_assertions)]
    if std::env::var("BREAKGLASS_FAULT_PANIC_ON_PAGE").is_ok_and(|v| v == page.to_string()) {
        panic!("fault injected on page {page} of the enrollment display");
    }
    let _ = page;
}

/// Everything at once, for a non-terminal standard output the user asked for; one value per
/// `label: value` line, as scripts read it.
fn write_plain(
    out: &mut impl Write,
    enrollment: &Enrollment,
    sheet: Option<&Path>,
) -> std::io::Result<()> {
    writeln!(
        out,
        "Enter these credentials into Entra ID now. They are written here because --print-credentials was given: whatever keeps this output holds them, so delete it after enrollment."
    )?;
    if let Some(p) = sheet {
        writeln!(
            out,
            "They are also on the enrollment sheet {}: shred it after enrollment.",
            shown(&p.display().to_string())
        )?;
    }
    writeln!(out)?;
    for e in enrollment.entries {
        match e {
            Entry::Account { upn, password, .. } => {
                let pw = password.expose_secret();
                writeln!(out, "  {}", shown(upn))?;
                writeln!(out, "    password: {pw}")?;
                writeln!(
                    out,
                    "    grouped:  {}   ({} characters, about {:.0} bits)",
                    phonetic::groups_of_four(pw),
                    pw.chars().count(),
                    enrollment.entropy_bits.unwrap_or(0.0)
                )?;
                for row in phonetic::spelled_groups(pw) {
                    writeln!(out, "      {row}")?;
                }
            }
            Entry::Fido2 { label, pin } => {
                writeln!(out, "  FIDO2 key {}", shown(label))?;
                let pin = pin.expose_secret();
                match enrollment.current_pin(label) {
                    Some(old) => {
                        writeln!(out, "    current PIN: {old}")?;
                        writeln!(out, "    new PIN: {pin}")?;
                    }
                    None => writeln!(out, "    PIN: {pin}")?,
                }
                writeln!(out, "    grouped:  {}", phonetic::groups_of_four(pin))?;
            }
            Entry::Totp { label, .. } => {
                writeln!(out, "  TOTP {}: sealed in the vault", shown(label))?
            }
            Entry::Note { label, .. } => {
                writeln!(out, "  note {}: sealed in the vault", shown(label))?
            }
        }
        writeln!(out)?;
    }
    Ok(())
}

/// Refuses an enrollment-sheet path that exists, before any secret is made.
pub fn check_target(path: Option<&std::path::Path>) -> super::CliResult {
    match path {
        Some(p) if p.exists() => {
            Err(Failure::Output.because(format!("{} exists: not replacing it", p.display())))
        }
        _ => Ok(()),
    }
}

/// Writes the optional enrollment sheet (PDF, "DESTROY AFTER ENROLLMENT"); never over a file.
pub fn write_sheet(
    path: &std::path::Path,
    tenant: &str,
    created: u64,
    enrollment: &Enrollment,
    paper: breakglass_paper::sheet::Paper,
) -> super::CliResult {
    use super::files;
    use breakglass_paper::sheet::{EnrollmentItem, render_enrollment_sheet};
    if path.exists() {
        return Err(Failure::Output.because(format!("{} exists: not replacing it", path.display())));
    }
    let mut items = Vec::new();
    for e in enrollment.entries {
        match e {
            Entry::Account { upn, password, .. } => {
                let pw = password.expose_secret();
                let mut lines = vec![
                    format!("password: {pw}"),
                    format!("grouped:  {}", phonetic::groups_of_four(pw)),
                ];
                lines.extend(phonetic::spelled_groups(pw));
                items.push(EnrollmentItem {
                    heading: format!("Account {upn}"),
                    lines,
                });
            }
            Entry::Fido2 { label, pin } => {
                let mut lines = Vec::new();
                if let Some(old) = enrollment.current_pin(label) {
                    lines.push(format!("current PIN: {old}"));
                }
                lines.push(format!("PIN: {}", pin.expose_secret()));
                items.push(EnrollmentItem {
                    heading: format!("FIDO2 key {label}"),
                    lines,
                });
            }
            // Seeds and notes were not generated here: the sheet is for what must be enrolled.
            Entry::Totp { .. } | Entry::Note { .. } => {}
        }
    }
    let pdf = render_enrollment_sheet(
        tenant,
        &breakglass_core::document::iso_date(created),
        &items,
        paper,
    )
    .map_err(|e| Failure::about(format_args!("cannot lay out the enrollment sheet"), e))?;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "enrollment.pdf".into());
    files::write_all_atomically(
        dir,
        &[files::OutFile {
            name,
            bytes: zeroize::Zeroizing::new(pdf),
        }],
        false,
    )?;
    eprintln!(
        "Wrote the enrollment sheet {}: it holds the credentials. Shred it after enrollment.",
        super::shown_path(path)
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use breakglass_core::secret::SecretString;

    fn account(n: u32, pw: &str) -> Entry {
        Entry::Account {
            upn: format!("breakglass{n}@contoso.onmicrosoft.com"),
            display_name: format!("Emergency access {n}"),
            password: SecretString::new(pw.to_string()),
        }
    }

    fn key(label: &str, pin: &str) -> Entry {
        Entry::Fido2 {
            label: label.into(),
            pin: SecretString::new(pin.to_string()),
        }
    }

    const PW: &str = "aB3#xY7-kLmN2pQr9sTuVw4zEfGhJ5cD";

    fn text(lines: &[Zeroizing<String>]) -> String {
        lines.iter().map(|l| format!("{}\n", l.as_str())).collect()
    }

    #[test]
    fn one_account_with_its_key_per_page() {
        let entries = [
            account(1, PW),
            key(
                "YubiKey #1 for breakglass1@contoso.onmicrosoft.com",
                "12345678",
            ),
            account(2, PW),
            key("Spare key", "87654321"),
        ];
        let pages = Enrollment::new(&entries, 190.0).pages();
        assert_eq!(
            pages.len(),
            3,
            "account 1 + its key, account 2, a key of no account"
        );
        let first = text(&pages[0].render(1, 3, 80, &Frame::enrollment("w")));
        assert!(first.contains("breakglass1@") && first.contains("12345678"));
        assert!(!first.contains("breakglass2@"));
        assert!(
            first
                .trim_end()
                .ends_with("page 1 of 3: Enter for the next")
        );
        let last = text(&pages[2].render(3, 3, 80, &Frame::enrollment("w")));
        assert!(
            last.contains("Spare key")
                && last.contains("page 3 of 3: Enter when every credential is enrolled")
        );
    }

    #[test]
    fn a_default_page_with_a_key_fits_80_by_24_and_every_line_fits_the_width() {
        let entries = [
            account(1, PW),
            key(
                "YubiKey 5 NFC #1234 for breakglass1@contoso.onmicrosoft.com",
                "12345678",
            ),
        ];
        let e = Enrollment::new(&entries, 190.0).replacing(&entries);
        let pages = e.pages();
        let lines = pages[0].render(1, 1, 80, &Frame::enrollment(&where_line(None)));
        assert!(lines.len() <= 24, "{} rows:\n{}", lines.len(), text(&lines));
        assert!(lines.iter().all(|l| width(l) <= 80), "{}", text(&lines));
        let need = required_size(&pages, 80);
        assert!(need.cols <= 80 && need.rows <= 24, "{need:?}");
    }

    #[test]
    fn long_passwords_wrap_in_groups_and_nothing_is_lost() {
        let pw: String = PW.repeat(8); // 256 characters
        let entries = [account(1, &pw)];
        let pages = Enrollment::new(&entries, 1500.0).pages();
        let lines = pages[0].render(1, 1, 60, &Frame::enrollment("w"));
        assert!(
            lines.iter().all(|l| width(l) <= 74),
            "only spelled rows may exceed: {}",
            text(&lines)
        );
        let raw: String = lines
            .iter()
            .skip_while(|l| !l.contains("password:"))
            .take_while(|l| !l.contains("grouped:"))
            .map(|l| l.trim().trim_start_matches("password:").trim().to_string())
            .collect();
        assert_eq!(raw, pw);
    }

    #[test]
    fn the_size_needed_is_the_widest_spelling_and_the_tallest_page() {
        // Four UPPER NOVEMBERs make the widest spelled row.
        let entries = [account(1, "NNNNNNNN")];
        let pages = Enrollment::new(&entries, 50.0).pages();
        let need = required_size(&pages, 10);
        let widest = "      NNNN  UPPER NOVEMBER, UPPER NOVEMBER, UPPER NOVEMBER, UPPER NOVEMBER";
        assert_eq!(need.cols, width(widest));
        assert_eq!(
            need.rows,
            pages[0]
                .render(1, 1, need.cols, &Frame::enrollment(WHERE_LONGEST))
                .len()
        );
    }

    #[test]
    fn rotation_shows_the_current_and_the_new_pin() {
        let old = [key("K for u@x", "11112222")];
        let new = [key("K for u@x", "33334444")];
        let e = Enrollment::new(&new, 0.0).replacing(&old);
        let page = text(&e.pages()[0].render(1, 1, 80, &Frame::enrollment("w")));
        assert!(
            page.contains("current PIN:") && page.contains("11112222"),
            "{page}"
        );
        assert!(
            page.contains("new PIN:") && page.contains("33334444"),
            "{page}"
        );
        let plain = Enrollment::new(&new, 0.0);
        let page = text(&plain.pages()[0].render(1, 1, 80, &Frame::enrollment("w")));
        assert!(!page.contains("current PIN"));
    }

    #[test]
    fn the_not_in_any_file_sentence_appears_only_without_an_enrollment_sheet() {
        assert!(where_line(None).contains("not in any file"));
        let with = where_line(Some(Path::new("/tmp/enroll.pdf")));
        assert!(!with.contains("not in any file") && with.contains("/tmp/enroll.pdf"));
        let mut out = Vec::new();
        write_plain(&mut out, &Enrollment::new(&[account(1, PW)], 1.0), None).unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(!out.contains("not in any file") && out.contains(PW));
    }

    /// Every line of every screen, in order.
    fn all_screens(pages: &[Page], cols: usize, rows: usize, frame: &Frame) -> Vec<String> {
        let screens: Vec<Page> = pages
            .iter()
            .flat_map(|p| p.screens(cols, rows, frame))
            .collect();
        let total = screens.len();
        screens
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let lines = p.render(i + 1, total, cols, frame);
                assert!(
                    lines.len() <= rows,
                    "screen {} of {total} has {} rows:\n{}",
                    i + 1,
                    lines.len(),
                    text(&lines)
                );
                text(&lines)
            })
            .collect()
    }

    #[test]
    fn a_recovered_account_with_its_key_and_totp_fits_80_by_24_in_screens() {
        // What a custodian met at 80x24: page 1 (account, key, TOTP) needed 28 rows.
        let entries = [
            account(1, PW),
            key(
                "YubiKey 5 NFC #1234 for breakglass1@contoso.onmicrosoft.com",
                "12345678",
            ),
            Entry::Totp {
                label: "Contoso:breakglass1".into(),
                uri: SecretString::new(
                    "otpauth://totp/Contoso:breakglass1?secret=JBSWY3DPEHPK3PXP&issuer=Contoso"
                        .into(),
                ),
            },
            account(2, PW),
        ];
        let e = Enrollment::recovered(&entries, 1_800_000_000);
        let frame = Frame::recovery(
            "vault 89P8-HCBY of contoso.onmicrosoft.com, generation 1",
            "Opened with shares 1, 3 of 3 (Safe A (HQ), typed share of CISO home safe).",
            Some("generation 2 opened too, from these sheets; generation 1 is shown"),
        );
        let pages = e.pages();
        assert!(
            height(&pages[0], 80, &frame) > 24,
            "the case must need a split"
        );
        let screens = all_screens(&pages, 80, 24, &frame);
        assert!(screens.len() >= 3, "{screens:?}");
        let joined = screens.concat();
        for needle in [PW, "12345678", "seed URI:", "breakglass2@", "code now:"] {
            assert!(joined.contains(needle), "{needle} was not shown");
        }
        assert!(
            screens[0].contains("breakglass1@") && screens[0].contains("password:"),
            "an account's password stays with its name"
        );
        let need = required_size(&pages, 80);
        assert!(need.rows <= 24, "{need:?}");
    }

    #[test]
    fn a_note_taller_than_the_screen_is_split_between_its_lines_and_nothing_is_lost() {
        let body: String = (1..=60).map(|i| format!("note line {i:02}\n")).collect();
        let entries = [
            account(1, PW),
            Entry::Note {
                label: "Runbook".into(),
                text: SecretString::new(body),
            },
        ];
        let e = Enrollment::recovered(&entries, 0);
        let frame = Frame::recovery("vault X", "Opened with shares 1, 2 of 2.", None);
        let joined = all_screens(&e.pages(), 80, 24, &frame).concat();
        for i in 1..=60 {
            assert_eq!(
                joined.matches(&format!("note line {i:02}\n")).count(),
                1,
                "line {i} shown once"
            );
        }
    }

    #[test]
    fn labels_cannot_drive_the_terminal() {
        assert_eq!(shown("a\x1b[2Jb\u{202e}"), "a\\u{1B}[2Jb\\u{202E}");
    }
}
