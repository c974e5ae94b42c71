//! What the command at hand can do about what the lower layers report: the flag that fixes it.
//!
//! The core and paper crates say what is wrong in the domain's words and name no flag, since a
//! flag belongs to one command and they serve all of them. This module adds the remedy that
//! names one, and only when the command being run takes that flag: `cli::main` records the
//! command's long flags from clap's definition ([`set_command_flags`]), so a remedy cannot name
//! a flag the command lacks. It knows nothing of clap's command tree.

use breakglass_core::password::{ENTRA_MIN_PASSWORD_LEN, PolicyError};
use breakglass_core::recover::{RecoverError, Rejected, Rejection};
use breakglass_core::tenant::{AuditInput, ExportError, Skipped};
use std::sync::OnceLock;

/// The long flags of a command (`generation`, `passphrase-file`), without the dashes.
#[derive(Clone, Debug, Default)]
pub struct Flags(Vec<String>);

impl Flags {
    pub fn new<S: Into<String>>(longs: impl IntoIterator<Item = S>) -> Flags {
        Flags(longs.into_iter().map(Into::into).collect())
    }

    /// Whether the command takes `--{long}`.
    pub fn has(&self, long: &str) -> bool {
        self.0.iter().any(|f| f == long)
    }

    /// The command being run's ([`set_command_flags`]); none before it is set (unit tests).
    pub fn current() -> &'static Flags {
        static NONE: Flags = Flags(Vec::new());
        COMMAND.get().unwrap_or(&NONE)
    }
}

static COMMAND: OnceLock<Flags> = OnceLock::new();

/// Records the flags of the command being run, once, before it runs.
pub fn set_command_flags(flags: Flags) {
    let _ = COMMAND.set(flags);
}

/// `message (remedy)`, or the message alone without one.
pub fn with(message: String, remedy: Option<String>) -> String {
    match remedy {
        Some(r) => format!("{message} ({r})"),
        None => message,
    }
}

/// The remedy for a lower layer's error that the command's flags can fix, if any.
pub fn for_error(e: &(dyn std::error::Error + 'static), flags: &Flags) -> Option<String> {
    if let Some(RecoverError::PassphraseRequired) = e.downcast_ref() {
        return flags
            .has("passphrase-file")
            .then(|| "--passphrase-file FILE".into());
    }
    // Only the flag's own check: a plan's `password_length` is refused before the flag applies.
    if let Some(PolicyError::TooShort { min, .. }) = e.downcast_ref() {
        return (*min > ENTRA_MIN_PASSWORD_LEN && flags.has("allow-short-passwords")).then(|| {
            format!("pass --allow-short-passwords to go down to {ENTRA_MIN_PASSWORD_LEN}")
        });
    }
    if let Some(ExportError::OtherGroup { .. }) = e.downcast_ref() {
        return flags.has("group").then(|| "or give --group".into());
    }
    None
}

/// A share or vault copy left out (`SOURCE: reason`), with the remedy of `flags`.
pub fn rejected(r: &Rejected, flags: &Flags) -> String {
    let remedy = match r.reason {
        Rejection::AlsoOpened { generation, .. } if flags.has("generation") => {
            Some(format!("--generation {generation} shows the other"))
        }
        _ => None,
    };
    with(r.to_string(), remedy)
}

/// Every share and copy left out, as [`rejected`] says them for the command being run.
pub fn all_rejected(r: &[Rejected]) -> Vec<String> {
    r.iter().map(|r| rejected(r, Flags::current())).collect()
}

/// Why an audit rule was not checked, with where `flags` let the missing input be given.
pub fn skipped(s: &Skipped, flags: &Flags) -> String {
    let ways: Vec<&str> = match s.missing {
        Some(AuditInput::ExclusionGroup) => {
            [("plan", "plan exclusion_group"), ("group", "--group")]
                .into_iter()
                .filter(|(flag, _)| flags.has(flag))
                .map(|(_, way)| way)
                .collect()
        }
        Some(AuditInput::DrillLog) => ["--log"]
            .into_iter()
            .filter(|way| flags.has(&way[2..]))
            .collect(),
        None => Vec::new(),
    };
    with(
        s.reason.clone(),
        (!ways.is_empty()).then(|| ways.join(" or ")),
    )
}

/// The warning for accounts whose object id is not known, with `--object-id` when `flags` take it.
pub fn object_id_warning(upns_without_id: &[String], flags: &Flags) -> Option<String> {
    let w = breakglass_core::entra::missing_object_id_warning(upns_without_id)?;
    Some(with(
        w,
        flags
            .has("object-id")
            .then(|| "or pass --object-id GUID".into()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn also_opened() -> Rejected {
        Rejected {
            source: "share-1.txt".into(),
            reason: Rejection::AlsoOpened {
                generation: 1,
                shown: 2,
            },
        }
    }

    /// The remedy names `--generation` for a command that has it, and nothing for one without.
    #[test]
    fn another_generation_is_named_with_the_flag_only_where_there_is_one() {
        let with_flag = Flags::new(["generation", "passphrase-file"]);
        assert_eq!(
            rejected(&also_opened(), &with_flag),
            "share-1.txt: generation 1 opened too, from these sheets; generation 2 is shown (--generation 1 shows the other)"
        );
        let without = Flags::new(["passphrase-file"]);
        let said = rejected(&also_opened(), &without);
        assert!(!said.contains("--"), "{said}");
        assert!(said.ends_with("generation 2 is shown"), "{said}");
    }

    #[test]
    fn a_short_password_names_the_flag_only_where_it_helps() {
        let short = PolicyError::TooShort {
            length: 20,
            min: 30,
        };
        let ceremony = Flags::new(["allow-short-passwords", "password-length"]);
        let rotate = Flags::new(["password-length"]);
        assert_eq!(
            for_error(&short, &ceremony).as_deref(),
            Some("pass --allow-short-passwords to go down to 8")
        );
        assert_eq!(for_error(&short, &rotate), None);
        // Already allowed: the flag would change nothing.
        let below_entra = PolicyError::TooShort { length: 5, min: 8 };
        assert_eq!(for_error(&below_entra, &ceremony), None);
    }

    #[test]
    fn the_passphrase_and_the_group_are_named_by_the_flags_there_are() {
        let recover = Flags::new(["passphrase-file", "generation"]);
        assert_eq!(
            for_error(&RecoverError::PassphraseRequired, &recover).as_deref(),
            Some("--passphrase-file FILE")
        );
        assert_eq!(
            for_error(&RecoverError::PassphraseRequired, &Flags::default()),
            None
        );
        let other = ExportError::OtherGroup {
            file: "exclusion-group.json".into(),
            found: "a".into(),
            expected: "b".into(),
        };
        assert_eq!(
            for_error(&other, &Flags::new(["group"])).as_deref(),
            Some("or give --group")
        );
        assert_eq!(for_error(&other, &Flags::default()), None);
    }

    #[test]
    fn a_skipped_rule_names_the_ways_this_command_has() {
        let group = Skipped {
            rule: 4,
            reason: "no exclusion group: no policy excludes a group and none was named".into(),
            missing: Some(AuditInput::ExclusionGroup),
        };
        let audit = Flags::new(["plan", "group", "log", "json"]);
        let drill = Flags::new(["group", "log", "tenant-export"]);
        assert_eq!(
            skipped(&group, &audit),
            "no exclusion group: no policy excludes a group and none was named (plan exclusion_group or --group)"
        );
        assert_eq!(
            skipped(&group, &drill),
            "no exclusion group: no policy excludes a group and none was named (--group)"
        );
        let log = Skipped {
            rule: 7,
            reason: "no drill log given".into(),
            missing: Some(AuditInput::DrillLog),
        };
        assert_eq!(skipped(&log, &audit), "no drill log given (--log)");
        assert_eq!(skipped(&log, &Flags::default()), "no drill log given");
    }

    #[test]
    fn the_object_id_flag_is_named_where_there_is_one() {
        let upns = ["bg1@c.onmicrosoft.com".to_string()];
        let monitoring = object_id_warning(&upns, &Flags::new(["object-id", "upn"])).unwrap();
        assert!(
            monitoring.ends_with(" (or pass --object-id GUID)"),
            "{monitoring}"
        );
        let ceremony = object_id_warning(&upns, &Flags::new(["plan", "tenant"])).unwrap();
        assert!(!ceremony.contains("--"), "{ceremony}");
        assert_eq!(object_id_warning(&[], &Flags::default()), None);
    }
}
