//! `breakglass completions SHELL` and `breakglass man -o DIR`: shell completion scripts and
//! manual pages generated from the clap definitions, so they never drift from `--help`.
//! Neither touches a secret; the man pages are plain documentation files.

use super::{CliResult, files, shown_path};
use clap::CommandFactory;
use std::path::PathBuf;

pub const COMPLETIONS_HELP: &str = "Examples:
  breakglass completions bash > ~/.local/share/bash-completion/completions/breakglass
  breakglass completions zsh > ~/.zfunc/_breakglass     # with fpath+=(~/.zfunc) in ~/.zshrc
  breakglass completions fish > ~/.config/fish/completions/breakglass.fish
  breakglass completions powershell >> $PROFILE";

pub const MAN_HELP: &str = "Examples:
  breakglass man -o ~/.local/share/man/man1 && man breakglass-ceremony
  sudo breakglass man -o /usr/local/share/man/man1";

#[derive(clap::Args, Debug)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum, ignore_case = true)]
    shell: clap_complete::Shell,
}

#[derive(clap::Args, Debug)]
pub struct ManArgs {
    /// Folder for the pages (created if missing), e.g. ~/.local/share/man/man1.
    #[arg(long, short = 'o', value_name = "DIR", value_parser = super::out_dir_arg)]
    out: PathBuf,
    /// Replace pages already there.
    #[arg(long)]
    force: bool,
}

pub fn completions(args: CompletionsArgs) -> CliResult {
    let mut cmd = super::Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "breakglass", &mut script);
    super::stdout::write_all(&script)
}

/// One page per command and subcommand: `breakglass.1`, `breakglass-ceremony.1`,
/// `breakglass-plan-new.1`, … (the names `man breakglass-ceremony` looks for).
pub fn pages() -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    // Built, clap names each subcommand `breakglass-plan-new` (display name, the page's file
    // and title) and `breakglass plan new` (the synopsis).
    let mut cmd = super::Cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut out = Vec::new();
    render(&cmd, &mut out)?;
    Ok(out)
}

fn render(cmd: &clap::Command, out: &mut Vec<(String, Vec<u8>)>) -> anyhow::Result<()> {
    let page = clap_mangen::Man::new(cmd.clone().version(super::VERSION));
    let mut bytes = Vec::new();
    page.render(&mut bytes)?;
    out.push((page.get_filename(), bytes));
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        render(sub, out)?;
    }
    Ok(())
}

pub fn man(args: ManArgs) -> CliResult {
    let pages: Vec<files::OutFile> = pages()?
        .into_iter()
        .map(|(name, bytes)| files::OutFile {
            name,
            bytes: zeroize::Zeroizing::new(bytes),
        })
        .collect();
    files::write_public(&args.out, &pages, args.force)?;
    outln!(
        "Wrote {} manual pages to {}: try `man {}`.",
        pages.len(),
        shown_path(&args.out),
        shown_path(&args.out.join("breakglass.1"))
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_page_per_command_and_subcommand() {
        let pages = pages().unwrap();
        let names: Vec<&str> = pages.iter().map(|(n, _)| n.as_str()).collect();
        for want in [
            "breakglass.1",
            "breakglass-ceremony.1",
            "breakglass-rekey.1",
            "breakglass-plan.1",
            "breakglass-plan-new.1",
            "breakglass-plan-check.1",
            "breakglass-man.1",
        ] {
            assert!(names.contains(&want), "{want} missing from {names:?}");
        }
        assert!(!names.iter().any(|n| n.contains("help")), "{names:?}");
        let (_, rekey) = pages
            .iter()
            .find(|(n, _)| n == "breakglass-rekey.1")
            .unwrap();
        let rekey = String::from_utf8_lossy(rekey);
        assert!(rekey.contains(".TH breakglass-rekey 1"), "{rekey}");
        assert!(!rekey.contains("password\\-length"), "{rekey}");
    }

    #[test]
    fn the_clap_definitions_are_consistent() {
        super::super::Cli::command().debug_assert();
    }
}
