//! `breakglass completions SHELL` and `breakglass man -o DIR`: shell completion scripts and
//! manual pages generated from the clap definitions, so they never drift from `--help`.
//! Neither touches a secret; the man pages are plain documentation files.

use crate::plumbing::{CliResult, files, shown_path};
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
    #[arg(long, short = 'o', value_name = "DIR", value_parser = crate::plumbing::args::out_dir_arg)]
    out: PathBuf,
    /// Replace pages already there.
    #[arg(long)]
    force: bool,
}

pub fn completions(args: CompletionsArgs) -> CliResult {
    let mut cmd = super::Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "breakglass", &mut script);
    if args.shell == clap_complete::Shell::Bash {
        let text = String::from_utf8(script).expect("clap_complete writes UTF-8");
        script = bash_completes_files(&cmd, text).into_bytes();
    }
    crate::plumbing::stdout::write_all(&script)
}

/// clap_complete's bash script offers only the flags where a subcommand takes file names
/// (`recover` then Tab inserts `-`): for every subcommand with a file or folder operand, a word
/// that does not start with `-` gets no list from the script, and bash's default completion
/// (`complete -o default`) lists files, as zsh and fish do.
fn bash_completes_files(cmd: &clap::Command, mut script: String) -> String {
    let mut paths = Vec::new();
    takes_files(cmd, &mut Vec::new(), &mut paths);
    for path in paths {
        let label = format!(
            "        breakglass__subcmd__{})\n",
            path.join("__subcmd__").replace('-', "__subcmd__")
        );
        let Some(start) = script.find(&label) else {
            continue;
        };
        let Some(len) = script[start..].find("\n            ;;\n") else {
            continue;
        };
        let block = &script[start..start + len];
        let fixed = block
            .replacen(
                &format!(" || ${{COMP_CWORD}} -eq {}", path.len() + 1),
                "",
                1,
            )
            .replacen(
                "\n            COMPREPLY=( $(compgen -W \"${opts}\" -- \"${cur}\") )\n            return 0",
                "\n            COMPREPLY=()\n            return 0",
                1,
            );
        script.replace_range(start..start + len, &fixed);
    }
    script
}

/// The subcommands (as paths of names) with a positional operand that is a file or folder.
fn takes_files(cmd: &clap::Command, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        path.push(sub.get_name().to_string());
        if sub.get_positionals().any(|a| {
            matches!(
                a.get_value_hint(),
                clap::ValueHint::AnyPath | clap::ValueHint::FilePath | clap::ValueHint::DirPath
            )
        }) {
            out.push(path.clone());
        }
        takes_files(sub, path, out);
        path.pop();
    }
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
    // The footer's left part: the name and version only (the commit is in VERSION), so it never
    // runs into the page title on the right.
    let page = clap_mangen::Man::new(cmd.clone().version(super::VERSION))
        .source(concat!("breakglass ", env!("CARGO_PKG_VERSION")))
        .manual("breakglass manual");
    let mut bytes = Vec::new();
    page.render_title(&mut bytes)?;
    let mut section = |render: &dyn Fn(&mut dyn std::io::Write) -> std::io::Result<()>| {
        let mut b = Vec::new();
        render(&mut b).map(|()| bytes.extend_from_slice(without_preamble(&b)))
    };
    section(&|w| page.render_name_section(w))?;
    section(&|w| page.render_synopsis_section(w))?;
    section(&|w| page.render_description_section(w))?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        section(&|w| page.render_options_section(w))?;
    }
    if cmd.get_subcommands().any(|s| !s.is_hide_set()) {
        section(&|w| page.render_subcommands_section(w))?;
    }
    let after = cmd
        .get_after_long_help()
        .or(cmd.get_after_help())
        .map(|h| h.to_string())
        .unwrap_or_default();
    section(&|w| extra_sections(&after).to_writer(w))?;
    section(&|w| page.render_version_section(w))?;
    out.push((page.get_filename(), ascii_roff(&bytes)));
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        render(sub, out)?;
    }
    Ok(())
}

/// What roff writes before every document (it defines `\*(Aq`, a straight apostrophe): a page
/// keeps the title's and drops the copy before each further section.
fn without_preamble(section: &[u8]) -> &[u8] {
    const END: &[u8] = b".el .ds Aq '\n";
    section
        .windows(END.len())
        .position(|w| w == END)
        .map_or(section, |at| &section[at + END.len()..])
}

/// The sections made from a command's after-help text: its "Examples:" paragraph as EXAMPLES,
/// each command on its own line, neither filled nor justified; its "Exit codes:" paragraph, or
/// else the codes every command shares, as EXIT STATUS; anything else as NOTES.
fn extra_sections(after_help: &str) -> roff::Roff {
    use roff::{Roff, bold, roman};
    let mut examples: Vec<&str> = Vec::new();
    let mut exit: Vec<&str> = Vec::new();
    let mut notes: Vec<&str> = Vec::new();
    for paragraph in after_help.split("\n\n") {
        let mut lines = paragraph.lines();
        match lines.next().map(str::trim_end) {
            Some("Examples:") => examples.extend(lines.map(|l| l.strip_prefix("  ").unwrap_or(l))),
            Some(first) if first.starts_with("Exit codes:") => exit.extend(paragraph.lines()),
            Some(_) => notes.extend(paragraph.lines()),
            None => {}
        }
    }
    let mut r = Roff::new();
    if !examples.is_empty() {
        r.control("SH", ["EXAMPLES"]).control("EX", []);
        for l in examples {
            r.text([roman(l)]);
        }
        r.control("EE", []);
    }
    r.control("SH", ["EXIT STATUS"]);
    if exit.is_empty() {
        r.text([roman(
            "The codes every breakglass command uses (a command gives only those that apply to it):",
        )]);
        for (code, meaning) in EXIT_CODES {
            r.control("TP", [])
                .text([bold(code.to_string())])
                .text([roman(meaning)]);
        }
    } else {
        for l in exit {
            r.text([roman(l)]);
        }
    }
    if !notes.is_empty() {
        r.control("SH", ["NOTES"]);
        for l in notes {
            r.text([roman(l)]);
        }
    }
    r
}

/// The exit-code table of the README, for the manual pages.
const EXIT_CODES: [(u8, &str); 9] = [
    (0, "success"),
    (1, "other failure (also: preflight found a FAIL)"),
    (
        2,
        "usage: a bad option or plan, an impossible threshold, a refused placement, the network up, a missing passphrase",
    ),
    (3, "an input could not be read or is not valid"),
    (4, "the shares do not suffice or do not match"),
    (5, "the vault did not open (wrong passphrase, or tampering)"),
    (
        6,
        "output refused (files already there) or could not be written",
    ),
    (7, "a drill is overdue (status)"),
    (8, "the tenant audit found something to fix"),
];

/// The page with every character outside ASCII written as a groff escape (`\[u2014]`): a page
/// is read by troff as Latin-1 unless preconv runs first, and `groff -ww` warns about raw UTF-8.
fn ascii_roff(page: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(page);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            out.push_str(&format!("\\[u{:04X}]", u32::from(c)));
        }
    }
    out.into_bytes()
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
    fn pages_have_unfilled_examples_an_exit_status_and_a_short_footer() {
        for (name, page) in pages().unwrap() {
            let page = String::from_utf8(page).unwrap();
            assert!(page.is_ascii(), "{name}: raw UTF-8 makes groff -ww warn");
            assert!(!page.contains(".SH EXTRA"), "{name}");
            assert!(page.contains(".SH \"EXIT STATUS\""), "{name}");
            let th = page.lines().find(|l| l.starts_with(".TH")).unwrap();
            assert!(!th.contains("commit"), "{name}: {th}");
            assert_eq!(
                page.matches(".ie \\n(.g").count(),
                1,
                "{name}: one preamble"
            );
        }
        let (_, ceremony) = pages()
            .unwrap()
            .into_iter()
            .find(|(n, _)| n == "breakglass-ceremony.1")
            .unwrap();
        let ceremony = String::from_utf8(ceremony).unwrap();
        let examples = ceremony
            .split(".SH EXAMPLES\n")
            .nth(1)
            .expect("an EXAMPLES section");
        assert!(examples.starts_with(".EX\n"), "{examples}");
        let block = examples.split(".EE").next().unwrap();
        assert!(
            block.contains("breakglass ceremony \\-\\-plan plan.toml \\-o sheets/"),
            "{block}"
        );
    }

    #[test]
    fn bash_lists_files_where_a_command_takes_scans_and_flags_after_a_dash() {
        let mut cmd = crate::cli::Cli::command();
        let mut paths = Vec::new();
        takes_files(&cmd, &mut Vec::new(), &mut paths);
        for want in ["recover", "drill", "inspect", "verify-print", "plan check"] {
            let want: Vec<String> = want.split(' ').map(String::from).collect();
            assert!(paths.contains(&want), "{want:?} not in {paths:?}");
        }
        let mut script = Vec::new();
        clap_complete::generate(
            clap_complete::Shell::Bash,
            &mut cmd,
            "breakglass",
            &mut script,
        );
        let script = bash_completes_files(&cmd, String::from_utf8(script).unwrap());
        if std::process::Command::new("bash")
            .arg("--version")
            .output()
            .is_err()
        {
            eprintln!("SKIPPED: no bash");
            return;
        }
        // What the script answers for `breakglass WORDS… CUR<Tab>`: empty means bash lists files.
        let complete =
            |words: &[&str]| -> String {
                let mut line = String::from("COMP_WORDS=(breakglass");
                for w in words {
                    line.push_str(&format!(" '{w}'"));
                }
                line.push_str(&format!(
                "); COMP_CWORD={}; _breakglass breakglass '{}' '{}'; echo \"${{COMPREPLY[*]}}\"",
                words.len(),
                words[words.len() - 1],
                if words.len() > 1 { words[words.len() - 2] } else { "breakglass" }
            ));
                let out = std::process::Command::new("bash")
                    .arg("-c")
                    .arg(format!("{script}\n{line}"))
                    .output()
                    .unwrap();
                String::from_utf8(out.stdout).unwrap().trim().to_string()
            };
        for words in [
            &["recover", ""][..],
            &["drill", ""],
            &["inspect", ""],
            &["verify-print", ""],
            &["plan", "check", ""],
            &["recover", "share-1.txt", ""],
        ] {
            assert_eq!(complete(words), "", "{words:?}: flags instead of files");
        }
        assert!(complete(&["recover", "--"]).contains("--passphrase-file"));
        assert!(
            complete(&[""]).contains("recover"),
            "subcommands still listed"
        );
    }

    #[test]
    fn the_clap_definitions_are_consistent() {
        crate::cli::Cli::command().debug_assert();
    }
}
