//! The report options shared by the commands that report: `--json`, `-q`, `-v`.
//!
//! `--json` writes one document of the command's FORMAT.md §12 schema on standard output;
//! `-q` prints nothing but errors (the exit code tells the result); `-v` says on standard error
//! what was read from where. Exit codes are the same in every mode.

use super::inputs::Gathered;
use super::visible;

#[derive(clap::Args, Debug, Clone, Copy, Default)]
pub struct Report {
    /// Print the report as JSON (schema in FORMAT.md §12); exit codes are unchanged.
    #[arg(long)]
    pub json: bool,
    /// Print only errors; the exit code tells the result.
    #[arg(short, long, conflicts_with_all = ["json", "verbose"])]
    pub quiet: bool,
    /// Also say what was read from where (on standard error).
    #[arg(short, long)]
    pub verbose: bool,
}

impl Report {
    /// True when the human-readable report goes to standard output.
    pub fn text(&self) -> bool {
        !self.json && !self.quiet
    }

    /// With `-v`: one line per input, naming what was read from it.
    pub fn read_from(&self, g: &Gathered) {
        if !self.verbose {
            return;
        }
        let mut sources: Vec<&str> = Vec::new();
        for s in g
            .shares
            .iter()
            .map(|s| s.source.as_str())
            .chain(g.vaults.iter().map(|v| v.source.as_str()))
        {
            if !sources.contains(&s) {
                sources.push(s);
            }
        }
        for src in sources {
            let shares: Vec<String> = g
                .shares
                .iter()
                .filter(|s| s.source == src)
                .map(|s| format!("share {} of {}", s.item.index(), s.item.count))
                .collect();
            let vaults = g.vaults.iter().filter(|v| v.source == src).count();
            let mut what = shares;
            if vaults > 0 {
                what.push(format!(
                    "{vaults} vault cop{}",
                    if vaults == 1 { "y" } else { "ies" }
                ));
            }
            eprintln!("read: {}: {}", visible(src), what.join(", "));
        }
        for b in &g.incomplete {
            eprintln!(
                "read: an incomplete vault code ({})",
                visible(&format!("{b:?}"))
            );
        }
    }

    /// With `-v`: one line naming a file read and what it was.
    pub fn note_read(&self, path: &std::path::Path, what: &str) {
        if self.verbose {
            eprintln!("read: {}: {what}", super::shown_path(path));
        }
    }
}
