//! What a failure is about, and the one table from an error to its exit code.
//!
//! Errors travel up to `cli::main` as `anyhow::Error` with their types intact, and
//! [`Failure::of`] decides the exit code there. The lower layers' errors are classed by type
//! (a `PlanError` is a usage error wherever it happens, a wrong passphrase is always "did not
//! open"). The binary classes an error itself only where the type cannot tell: what it finds
//! wrong on its own ([`Failure::because`]), and the same error meaning different things by where
//! its data came from ([`Classify::fails_as`]: a field from a flag is a usage error, the same
//! field from a file is bad input). Files are classed where they are read and written
//! (`files`), so a path never needs classing at a call site. What is shown adds the remedy the
//! command at hand has ([`message`], `remedy`).

use super::remedy;
use super::stdout::StdoutError;
use breakglass_core::entra::NameError;
use breakglass_core::password::{PinError, PolicyError};
use breakglass_core::shamir::ShamirError;
use breakglass_core::tenant::ExportError;
use breakglass_core::totp::TotpError;
use breakglass_core::untrusted::FieldError;
use breakglass_core::{
    ContentsError, DocumentError, KdfError, PlanError, RecoverError, SealError, ShareError,
    TextError, VaultError,
};
use breakglass_paper::sheet::SheetError;
use std::fmt;

/// Documented exit codes (README "Exit codes"). Only [`Failure::code`] and the parse error of
/// clap use them.
pub mod exit {
    pub const OK: u8 = 0;
    pub const FAILURE: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const BAD_INPUT: u8 = 3;
    pub const SHARES: u8 = 4;
    pub const NOT_OPENED: u8 = 5;
    pub const OUTPUT: u8 = 6;
    pub const OVERDUE: u8 = 7;
    pub const FINDINGS: u8 = 8;
}

/// The README's exit-code table, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Anything else: an I/O error at a terminal, a bug, a preflight FAIL.
    Other,
    /// The command line or the plan asks for what cannot be done.
    Usage,
    /// An input could not be read or is not valid.
    BadInput,
    /// The shares do not suffice or do not match.
    Shares,
    /// The vault did not open.
    NotOpened,
    /// Output refused, or it could not be written.
    Output,
    /// A drill is overdue.
    Overdue,
    /// The tenant audit found something to fix.
    Findings,
}

impl Failure {
    /// The exit code: the only place the numbers meet the meanings.
    pub const fn code(self) -> u8 {
        match self {
            Failure::Other => exit::FAILURE,
            Failure::Usage => exit::USAGE,
            Failure::BadInput => exit::BAD_INPUT,
            Failure::Shares => exit::SHARES,
            Failure::NotOpened => exit::NOT_OPENED,
            Failure::Output => exit::OUTPUT,
            Failure::Overdue => exit::OVERDUE,
            Failure::Findings => exit::FINDINGS,
        }
    }

    /// A failure the binary finds on its own, with the message a custodian reads.
    pub fn because(self, message: impl fmt::Display) -> anyhow::Error {
        self.class(anyhow::Error::msg(message.to_string()))
    }

    /// Classes an error whose type cannot tell what it means here; its message and causes are
    /// shown unchanged.
    pub fn class(self, error: impl Into<anyhow::Error>) -> anyhow::Error {
        anyhow::Error::new(Classed {
            failure: self,
            error: error.into(),
        })
    }

    /// `subject: message` on one line (a file and what is wrong in it, a sheet that cannot be
    /// laid out), classed as the error's own type is.
    pub fn about(subject: impl fmt::Display, error: impl Into<anyhow::Error>) -> anyhow::Error {
        let error = error.into();
        Failure::of(&error).because(format!("{subject}: {}", message(error.as_ref())))
    }

    /// What an error is about: the class given closest to `main` wins, then the first typed
    /// error of a lower layer in the chain; anything else is [`Failure::Other`].
    pub fn of(error: &anyhow::Error) -> Failure {
        layers(error)
            .find_map(|e| match e.downcast_ref::<Classed>() {
                Some(c) => Some(c.failure),
                None => by_type(e),
            })
            .unwrap_or(Failure::Other)
    }
}

/// An error's message as it is shown: its own, then the remedy the command being run has for
/// it (a flag, [`remedy::for_error`]), found through any class given to it.
pub fn message(e: &(dyn std::error::Error + 'static)) -> String {
    let mut typed = e;
    while let Some(c) = typed.downcast_ref::<Classed>() {
        typed = c.error.as_ref();
    }
    remedy::with(
        e.to_string(),
        remedy::for_error(typed, remedy::Flags::current()),
    )
}

/// A closed pipe on standard output (`breakglass … | head`) is not a failure: the reader had
/// what it wanted. Only standard output's: a pipe given as an output file that closes is an
/// output failure like any other.
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    layers(error).any(|e| {
        e.downcast_ref::<StdoutError>()
            .is_some_and(StdoutError::is_broken_pipe)
    })
}

/// Every error in the chain, the one inside each class included (the chain shows a classed
/// error as the class itself).
fn layers(error: &anyhow::Error) -> impl Iterator<Item = &(dyn std::error::Error + 'static)> {
    error.chain().flat_map(|e| {
        let inner = e.downcast_ref::<Classed>().map(|c| &*c.error as _);
        std::iter::once(e).chain(inner)
    })
}

/// The lower layers' errors, by type: what each means wherever it happens.
fn by_type(e: &(dyn std::error::Error + 'static)) -> Option<Failure> {
    if let Some(r) = e.downcast_ref::<RecoverError>() {
        return Some(match r {
            RecoverError::NoShares
            | RecoverError::NoVault
            | RecoverError::MixedVaults(_)
            | RecoverError::NotEnoughShares { .. }
            | RecoverError::GenerationNotGiven { .. } => Failure::Shares,
            RecoverError::PassphraseNotUsed => Failure::Usage,
            // The copy's KDF parameters are refused: that copy is bad input.
            RecoverError::Kdf(_) => Failure::BadInput,
            RecoverError::WrongPassphraseOrAltered
            | RecoverError::Altered
            | RecoverError::CostDeclined
            | RecoverError::PassphraseRequired
            | RecoverError::Contents(_) => Failure::NotOpened,
        });
    }
    let is = |f: Failure, yes: bool| yes.then_some(f);
    // Standard output could not be written (`> /dev/full`).
    if e.is::<StdoutError>() {
        return Some(Failure::Output);
    }
    // What a plan, a flag or a policy asks for.
    is(
        Failure::Usage,
        e.is::<PlanError>()
            || e.is::<PolicyError>()
            || e.is::<PinError>()
            || e.is::<KdfError>()
            || e.is::<NameError>()
            || e.is::<SealError>()
            || e.is::<ShamirError>()
            || e.is::<FieldError>()
            // A label or name given for the sheet that the sheet cannot print.
            || e.is::<SheetError>(),
    )
    // What was read from a sheet, a share file, a typed line or a secret file.
    .or(is(
        Failure::BadInput,
        e.is::<ShareError>()
            || e.is::<VaultError>()
            || e.is::<TextError>()
            || e.is::<TotpError>()
            || e.is::<ContentsError>()
            || e.is::<DocumentError>()
            || e.is::<ExportError>(),
    ))
}

/// An error with its class attached. Shown as the error itself: its message, then its causes.
#[derive(Debug)]
struct Classed {
    failure: Failure,
    error: anyhow::Error,
}

impl fmt::Display for Classed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.error, f)
    }
}

impl std::error::Error for Classed {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.error.source()
    }
}

/// Classes the error of a `Result` (see [`Failure::class`]).
pub trait Classify<T> {
    fn fails_as(self, failure: Failure) -> anyhow::Result<T>;
}

impl<T, E: Into<anyhow::Error>> Classify<T> for Result<T, E> {
    fn fails_as(self, failure: Failure) -> anyhow::Result<T> {
        self.map_err(|e| failure.class(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;
    use breakglass_core::ErrorKind;

    const ALL: [Failure; 8] = [
        Failure::Other,
        Failure::Usage,
        Failure::BadInput,
        Failure::Shares,
        Failure::NotOpened,
        Failure::Output,
        Failure::Overdue,
        Failure::Findings,
    ];

    fn lines(e: &anyhow::Error) -> Vec<String> {
        e.chain().map(|c| c.to_string()).collect()
    }

    #[test]
    fn lower_layer_errors_are_classed_by_type() {
        let plan: anyhow::Error = PlanError::NoAccount.into();
        assert_eq!(Failure::of(&plan), Failure::Usage);
        let wrong: anyhow::Error = RecoverError::WrongPassphraseOrAltered.into();
        assert_eq!(Failure::of(&wrong), Failure::NotOpened);
        let few: anyhow::Error = RecoverError::NoShares.into();
        assert_eq!(Failure::of(&few), Failure::Shares);
        let extra: anyhow::Error = RecoverError::PassphraseNotUsed.into();
        assert_eq!(Failure::of(&extra), Failure::Usage);
        let io: anyhow::Error = std::io::Error::other("disk").into();
        assert_eq!(Failure::of(&io), Failure::Other);
    }

    #[test]
    fn a_closed_pipe_is_seen_inside_a_class() {
        let pipe = || std::io::Error::from(std::io::ErrorKind::BrokenPipe);
        assert!(is_broken_pipe(&Failure::Other.class(StdoutError(pipe()))));
        // Only standard output's: a closed pipe given as an output file is a failure.
        assert!(!is_broken_pipe(&Failure::Output.class(pipe())));
        let full = StdoutError(std::io::Error::from_raw_os_error(libc::ENOSPC));
        assert!(!is_broken_pipe(&anyhow::Error::new(full)));
    }

    #[test]
    fn standard_output_that_cannot_be_written_is_an_output_failure() {
        let full = StdoutError(std::io::Error::from_raw_os_error(libc::ENOSPC));
        let e = anyhow::Error::new(full);
        assert_eq!(Failure::of(&e), Failure::Output);
        assert!(
            e.to_string()
                .starts_with("could not write to standard output"),
            "{e}"
        );
    }

    #[test]
    fn a_subject_keeps_the_class_of_its_error() {
        let path = std::path::Path::new("plan.toml");
        let e = Failure::about(path.display(), PlanError::NoLocation);
        assert_eq!(e.to_string(), "plan.toml: a [[share]] has no location");
        assert_eq!(Failure::of(&e), Failure::Usage);
        let e = Failure::about(path.display(), DocumentError::Text(TextError::NoHeader));
        assert_eq!(Failure::of(&e), Failure::BadInput);
    }

    /// One error of every type (and every `RecoverError` arm) the table names, with its class:
    /// a type dropped from the table, or moved to another class, fails here.
    #[test]
    fn every_lower_layer_error_has_its_class() {
        use breakglass_core::untrusted::check_field;
        fn all(errors: Vec<anyhow::Error>) -> Vec<(String, Failure)> {
            errors
                .into_iter()
                .map(|e| (format!("{e:?}"), Failure::of(&e)))
                .collect()
        }
        let usage = all(vec![
            PlanError::NoAccount.into(),
            PolicyError::TooShort { length: 5, min: 30 }.into(),
            PinError::BadLength { length: 2 }.into(),
            KdfError::TooExpensive {
                what: "memory",
                required: 2,
                max: 1,
            }
            .into(),
            NameError::BadTenant("bad tenant!".into()).into(),
            SealError::BadShareCount { n: 1 }.into(),
            ShamirError::ThresholdTooLow { k: 1 }.into(),
            check_field("bell\u{7}", || "a label".into())
                .unwrap_err()
                .into(),
            SheetError::QrEmpty { field: "x".into() }.into(),
            RecoverError::PassphraseNotUsed.into(),
        ]);
        let bad_input = all(vec![
            ShareError::BadVersion.into(),
            VaultError::BadVersion.into(),
            TextError::NoHeader.into(),
            TotpError::NotTotp.into(),
            ContentsError::UnknownEntry(9).into(),
            DocumentError::Text(TextError::NoHeader).into(),
            RecoverError::Kdf(KdfError::TooExpensive {
                what: "memory",
                required: 2,
                max: 1,
            })
            .into(),
        ]);
        let shares = all(vec![
            RecoverError::NoShares.into(),
            RecoverError::NoVault.into(),
            RecoverError::MixedVaults(Vec::new()).into(),
            RecoverError::NotEnoughShares {
                needed: 2,
                count: 3,
                given: 1,
                rejected: Vec::new(),
            }
            .into(),
            RecoverError::GenerationNotGiven {
                wanted: 2,
                available: vec![1],
            }
            .into(),
        ]);
        let not_opened = all(vec![
            RecoverError::WrongPassphraseOrAltered.into(),
            RecoverError::Altered.into(),
            RecoverError::CostDeclined.into(),
            RecoverError::PassphraseRequired.into(),
            RecoverError::Contents(ContentsError::UnknownEntry(9)).into(),
        ]);
        for (errors, want) in [
            (usage, Failure::Usage),
            (bad_input, Failure::BadInput),
            (shares, Failure::Shares),
            (not_opened, Failure::NotOpened),
        ] {
            for (e, got) in errors {
                assert_eq!(got, want, "{e}");
            }
        }
    }

    /// FORMAT.md §7.3 maps each recovery outcome to its code: every `RecoverError` the
    /// classes name must sit in the row of the code it gets here, whatever else was left out.
    #[test]
    fn format_md_exit_table_is_the_class_of_every_recovery_error() {
        let spec = include_str!("../../FORMAT.md");
        let at = spec.find("### 7.3 Exit codes").expect("FORMAT.md §7.3");
        let table = &spec[at..at + spec[at..].find("\n## ").expect("§8 follows")];
        let kdf = KdfError::TooExpensive {
            what: "memory",
            required: 2,
            max: 1,
        };
        let errors = [
            RecoverError::NoShares,
            RecoverError::NoVault,
            RecoverError::MixedVaults(Vec::new()),
            RecoverError::NotEnoughShares {
                needed: 2,
                count: 3,
                given: 1,
                rejected: Vec::new(),
            },
            RecoverError::GenerationNotGiven {
                wanted: 2,
                available: Vec::new(),
            },
            RecoverError::PassphraseNotUsed,
            RecoverError::Kdf(kdf),
            RecoverError::WrongPassphraseOrAltered,
            RecoverError::Altered,
            RecoverError::CostDeclined,
            RecoverError::Contents(ContentsError::UnknownEntry(9)),
        ];
        for e in errors {
            let kind = e.kind();
            let named = match kind.split_once('/') {
                Some((stage, _)) => format!("`Recover/{stage}/…`"),
                None => format!("`Recover/{kind}`"),
            };
            let row = table
                .lines()
                .find(|l| l.contains(&named))
                .unwrap_or_else(|| panic!("{named} is not in FORMAT.md §7.3"));
            let code = Failure::of(&e.into()).code();
            assert!(
                row.ends_with(&format!("| {code} |")),
                "{named}: {code}, table: {row}"
            );
        }
    }

    #[test]
    fn a_type_is_found_under_context() {
        let e = Err::<(), _>(RecoverError::Altered)
            .context("while opening")
            .unwrap_err();
        assert_eq!(Failure::of(&e), Failure::NotOpened);
    }

    #[test]
    fn the_class_given_closest_to_main_wins() {
        let few = Failure::BadInput.class(RecoverError::NoShares);
        assert_eq!(Failure::of(&few), Failure::BadInput);
        let outer = Failure::Output.class(Failure::Usage.because("inner"));
        assert_eq!(Failure::of(&outer), Failure::Output);
    }

    #[test]
    fn classing_leaves_the_message_and_causes_as_they_were() {
        let plain = Err::<(), _>(std::io::Error::other("disk full"))
            .context("cannot write x")
            .unwrap_err();
        let expected = lines(&plain);
        let classed = Failure::Output.class(plain);
        assert_eq!(lines(&classed), expected);
        assert_eq!(
            lines(&Failure::Usage.because("at least 2 shares are needed")),
            ["at least 2 shares are needed"]
        );
    }

    #[test]
    fn every_class_has_its_documented_code() {
        let readme = include_str!("../../README.md");
        let table = &readme[readme.find("### Exit codes").expect("README has the table")..];
        for f in ALL {
            assert!(
                table.contains(&format!("\n| {} |", f.code())),
                "{f:?} has code {} that README's table lacks",
                f.code()
            );
        }
        let codes: std::collections::BTreeSet<u8> = ALL.map(Failure::code).into();
        assert_eq!(codes.len(), ALL.len(), "two classes share a code");
    }
}
