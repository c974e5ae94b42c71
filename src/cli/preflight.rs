//! `breakglass preflight`: is this machine fit for a ceremony? Network, swap, core dumps,
//! clock, random source. Also run at the start of the commands that handle secrets.

use crate::plumbing::harden::Hardening;
use crate::plumbing::{CliResult, Failure, json, report};
use serde::Serialize;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    report: report::Report,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Pass,
    Warn,
    Fail,
}

pub struct Check {
    pub level: Level,
    pub name: &'static str,
    pub detail: String,
}

/// Non-loopback network interfaces that are up (Linux: /sys/class/net/*/operstate).
pub fn interfaces_up() -> Vec<String> {
    let Ok(dir) = std::fs::read_dir("/sys/class/net") else {
        return Vec::new();
    };
    let mut up: Vec<String> = dir
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            if name == "lo" {
                return None;
            }
            let state = std::fs::read_to_string(e.path().join("operstate")).unwrap_or_default();
            let flags = std::fs::read_to_string(e.path().join("flags")).unwrap_or_default();
            let flags = u32::from_str_radix(flags.trim().trim_start_matches("0x"), 16).unwrap_or(0);
            // IFF_UP is 0x1; "unknown" operstate is common for virtual links that carry traffic.
            let is_up = state.trim() == "up" || (state.trim() == "unknown" && flags & 1 != 0);
            is_up.then_some(name)
        })
        .collect();
    up.sort();
    up
}

fn swap_active() -> Option<bool> {
    let s = std::fs::read_to_string("/proc/swaps").ok()?;
    Some(s.lines().skip(1).any(|l| !l.trim().is_empty()))
}

/// Runs every check: gathers the facts, and [`judge`]s each.
pub fn checks(h: &Hardening) -> Vec<Check> {
    let st = crate::plumbing::harden::state();
    let mut probe = [0u8; 64];
    let rng_ok = rand::TryRng::try_fill_bytes(&mut rand::rngs::SysRng, &mut probe).is_ok()
        && probe.iter().any(|&b| b != 0);
    judge(&Facts {
        interfaces_up: interfaces_up(),
        swap: swap_active(),
        core_limit_zero: st.core_limit_zero,
        dumpable: st.dumpable,
        memory_locked: h.memory_locked,
        locked_kib: st.locked_kib,
        lock_note: h.lock_note.clone(),
        now: crate::plumbing::unix_now(),
        rng_ok,
    })
}

/// What the machine is like, as read from it.
struct Facts {
    interfaces_up: Vec<String>,
    /// `None`: cannot tell.
    swap: Option<bool>,
    core_limit_zero: bool,
    dumpable: bool,
    memory_locked: bool,
    locked_kib: u64,
    lock_note: Option<String>,
    /// Unix seconds.
    now: u64,
    rng_ok: bool,
}

fn check(level: Level, name: &'static str, detail: impl Into<String>) -> Check {
    Check {
        level,
        name,
        detail: detail.into(),
    }
}

/// The judgement of `preflight`, one check per fact.
fn judge(f: &Facts) -> Vec<Check> {
    vec![
        network_check(f),
        swap_check(f),
        core_check(f),
        memory_check(f),
        clock_check(f),
        rng_check(f),
    ]
}

/// No interface up but loopback.
fn network_check(f: &Facts) -> Check {
    if f.interfaces_up.is_empty() {
        check(
            Level::Pass,
            "network",
            "no network interface is up besides loopback",
        )
    } else {
        check(
            Level::Fail,
            "network",
            format!(
                "interfaces up: {} (a ceremony machine must be offline: unplug, disable Wi-Fi)",
                f.interfaces_up.join(", ")
            ),
        )
    }
}

/// No swap (secrets could reach the disk).
fn swap_check(f: &Facts) -> Check {
    match f.swap {
        Some(false) => check(Level::Pass, "swap", "no swap is active"),
        Some(true) => check(
            Level::Warn,
            "swap",
            "swap is active: secrets could be written to disk (swapoff -a)",
        ),
        None => check(Level::Warn, "swap", "cannot tell whether swap is active"),
    }
}

/// No core dumps, and the process not dumpable.
fn core_check(f: &Facts) -> Check {
    check(
        if f.core_limit_zero && !f.dumpable {
            Level::Pass
        } else {
            Level::Warn
        },
        "core dumps",
        format!(
            "core dumps {}, process {}",
            if f.core_limit_zero {
                "disabled"
            } else {
                "NOT disabled"
            },
            if f.dumpable {
                "DUMPABLE"
            } else {
                "non-dumpable"
            }
        ),
    )
}

/// All memory locked.
fn memory_check(f: &Facts) -> Check {
    check(
        if f.memory_locked && f.locked_kib > 0 {
            Level::Pass
        } else {
            Level::Warn
        },
        "memory lock",
        if f.memory_locked {
            format!(
                "all memory is locked ({} KiB now; no swapping)",
                f.locked_kib
            )
        } else {
            f.lock_note
                .clone()
                .unwrap_or_else(|| "memory is not locked".into())
        },
    )
}

/// A plausible clock (sheets and TOTP codes use it).
fn clock_check(f: &Facts) -> Check {
    let date = breakglass_core::document::iso_date(f.now);
    // 2025-01-01 .. 2100-01-01: a clock outside is surely wrong (dates on sheets, TOTP codes).
    if (1_735_689_600..4_102_444_800).contains(&f.now) {
        check(
            Level::Pass,
            "clock",
            format!("{date} UTC (check it against a watch: sheets and TOTP codes use it)"),
        )
    } else {
        check(
            Level::Fail,
            "clock",
            format!("the clock says {date}: set the date before a ceremony"),
        )
    }
}

/// A working random source.
fn rng_check(f: &Facts) -> Check {
    if f.rng_ok {
        check(
            Level::Pass,
            "random source",
            "the operating system's random source works",
        )
    } else {
        check(
            Level::Fail,
            "random source",
            "the operating system's random source failed",
        )
    }
}

/// One line per check: `  [pass] name  detail`.
fn lines(checks: &[Check]) -> impl Iterator<Item = String> + '_ {
    checks.iter().map(|c| {
        let tag = match c.level {
            Level::Pass => "pass",
            Level::Warn => "WARN",
            Level::Fail => "FAIL",
        };
        format!("  [{tag}] {:<13} {}", c.name, c.detail)
    })
}

/// The checks on standard error, before another command's own output.
fn print_warnings(checks: &[Check]) {
    for line in lines(checks) {
        eprintln!("{line}");
    }
}

/// Before a command that creates secrets: print the checks; refuse a network unless allowed.
pub fn before_secrets(h: &Hardening, allow_online: bool) -> CliResult {
    let c = checks(h);
    let worst = c.iter().map(|c| c.level).max().unwrap_or(Level::Pass);
    if worst > Level::Pass {
        eprintln!("preflight:");
        print_warnings(&c);
    }
    let online = c
        .iter()
        .any(|c| c.name == "network" && c.level == Level::Fail);
    if online && !allow_online {
        return Err(Failure::Usage.because(
            "a network interface is up: run the ceremony offline, or pass --allow-online to accept the risk",
        ));
    }
    if let Some(f) = c
        .iter()
        .find(|c| c.level == Level::Fail && c.name != "network")
    {
        return Err(Failure::Other.because(format!("preflight failed: {}", f.detail)));
    }
    Ok(())
}

/// Before a recovery: print what is not as it should be, refuse nothing.
pub fn warn_only(h: &Hardening) {
    for line in recovery_lines(&checks(h)) {
        eprintln!("{line}");
    }
}

/// The checks as a recovery shows them: nothing when all pass; otherwise each one that did
/// not pass, as a warning (recovery refuses nothing), with what the custodian may do.
fn recovery_lines(checks: &[Check]) -> Vec<String> {
    if checks.iter().all(|c| c.level == Level::Pass) {
        return Vec::new();
    }
    let mut out = vec!["preflight (warnings only; recovery goes on):".to_string()];
    for c in checks.iter().filter(|c| c.level > Level::Pass) {
        let detail = if c.name == "network" {
            let up = c.detail.split(" (").next().unwrap_or(&c.detail);
            format!("{up}: you may go on; unplug the network cable or turn off Wi-Fi if you can")
        } else {
            c.detail.clone()
        };
        out.push(format!("  [warning] {:<13} {detail}", c.name));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A machine fit for a ceremony on 2026-01-01.
    fn fit() -> Facts {
        Facts {
            interfaces_up: Vec::new(),
            swap: Some(false),
            core_limit_zero: true,
            dumpable: false,
            memory_locked: true,
            locked_kib: 1024,
            lock_note: None,
            now: 1_767_225_600,
            rng_ok: true,
        }
    }

    fn levels(f: &Facts) -> Vec<(&'static str, Level)> {
        judge(f).iter().map(|c| (c.name, c.level)).collect()
    }

    #[test]
    fn a_fit_machine_passes_every_check() {
        assert!(judge(&fit()).iter().all(|c| c.level == Level::Pass));
        assert_eq!(
            judge(&fit())[4].detail,
            "2026-01-01 UTC (check it against a watch: sheets and TOTP codes use it)"
        );
    }

    #[test]
    fn a_network_up_a_wrong_clock_or_no_randomness_fail_and_the_rest_warn() {
        let online = Facts {
            interfaces_up: vec!["eth0".into(), "wlan0".into()],
            ..fit()
        };
        assert_eq!(levels(&online)[0], ("network", Level::Fail));
        assert!(
            judge(&online)[0]
                .detail
                .starts_with("interfaces up: eth0, wlan0")
        );
        for now in [0, 1_735_689_599, 4_102_444_800] {
            assert_eq!(
                levels(&Facts { now, ..fit() })[4],
                ("clock", Level::Fail),
                "{now}"
            );
        }
        assert_eq!(
            levels(&Facts {
                now: 1_735_689_600,
                ..fit()
            })[4]
                .1,
            Level::Pass
        );
        assert_eq!(
            levels(&Facts {
                rng_ok: false,
                ..fit()
            })[5],
            ("random source", Level::Fail)
        );
        for warned in [
            Facts {
                swap: Some(true),
                ..fit()
            },
            Facts {
                swap: None,
                ..fit()
            },
            Facts {
                dumpable: true,
                ..fit()
            },
            Facts {
                core_limit_zero: false,
                ..fit()
            },
            Facts {
                memory_locked: false,
                lock_note: Some("RLIMIT_MEMLOCK too low".into()),
                ..fit()
            },
            Facts {
                locked_kib: 0,
                ..fit()
            },
        ] {
            let l = levels(&warned);
            assert_eq!(l.iter().filter(|(_, l)| *l == Level::Warn).count(), 1);
            assert!(l.iter().all(|(_, l)| *l != Level::Fail));
        }
        let unlocked = judge(&Facts {
            memory_locked: false,
            lock_note: None,
            ..fit()
        });
        assert_eq!(unlocked[3].detail, "memory is not locked");
    }

    #[test]
    fn recovery_shows_a_network_up_as_a_warning_it_may_go_on_with() {
        let checks = vec![
            Check {
                level: Level::Fail,
                name: "network",
                detail: "interfaces up: eth0 (a ceremony machine must be offline: unplug, disable Wi-Fi)".into(),
            },
            Check {
                level: Level::Pass,
                name: "swap",
                detail: "no swap is active".into(),
            },
        ];
        let lines = recovery_lines(&checks);
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(!lines.iter().any(|l| l.contains("FAIL")), "{lines:?}");
        assert!(lines[1].contains("[warning] network"), "{lines:?}");
        assert!(
            lines[1].contains("interfaces up: eth0: you may go on; unplug"),
            "{lines:?}"
        );
        assert!(recovery_lines(&checks[1..]).is_empty());
    }
}

/// Where each check looks, for `-v`.
fn source(name: &str) -> &'static str {
    match name {
        "network" => "/sys/class/net/*/operstate and flags",
        "swap" => "/proc/swaps",
        "core dumps" => "the core-file size limit (RLIMIT_CORE) and prctl(PR_GET_DUMPABLE)",
        "memory lock" => "mlockall and VmLck in /proc/self/status",
        "clock" => "the system clock",
        "random source" => "getrandom (64 bytes)",
        _ => "",
    }
}

/// `preflight --json` (FORMAT.md §12.5).
#[derive(Serialize)]
struct Json<'a> {
    #[serde(flatten)]
    header: json::Header,
    ready: bool,
    checks: Vec<JsonCheck<'a>>,
}

#[derive(Serialize)]
struct JsonCheck<'a> {
    name: &'a str,
    level: &'static str,
    detail: &'a str,
}

/// `breakglass preflight`: exit 0 when everything passes, 1 when anything fails.
pub fn run(args: Args, h: &Hardening) -> CliResult {
    let c = checks(h);
    let report = args.report;
    if report.verbose {
        for check in &c {
            eprintln!("read: {}: {}", check.name, source(check.name));
        }
    }
    if report.json {
        json::print(&Json {
            header: json::Header::v1("breakglass-preflight"),
            ready: !c.iter().any(|c| c.level == Level::Fail),
            checks: c
                .iter()
                .map(|c| JsonCheck {
                    name: c.name,
                    level: match c.level {
                        Level::Pass => "pass",
                        Level::Warn => "warn",
                        Level::Fail => "fail",
                    },
                    detail: &c.detail,
                })
                .collect(),
        })?;
    } else if report.quiet {
        // Only what fails, and on standard error: the exit code tells the rest.
        for f in c.iter().filter(|c| c.level == Level::Fail) {
            eprintln!("  [FAIL] {:<13} {}", f.name, f.detail);
        }
    } else {
        outln!("preflight:")?;
        for line in lines(&c) {
            outln!("{line}")?;
        }
    }
    if c.iter().any(|c| c.level == Level::Fail) {
        return Err(
            Failure::Other.because("this machine is not ready for a ceremony (see FAIL above)")
        );
    }
    Ok(())
}
