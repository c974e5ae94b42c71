//! Process hardening at start-up: no core dumps, not dumpable, memory locked where allowed.

/// What hardening achieved, for `preflight` and warnings. Core dumps and the dumpable flag are
/// read back from the kernel by [`state`] instead of being remembered here.
#[derive(Debug, Clone, Default)]
pub struct Hardening {
    pub memory_locked: bool,
    /// Why memory could not be locked, if it could not.
    pub lock_note: Option<String>,
}

/// Disables core dumps, marks the process non-dumpable (Linux) and locks all current and
/// future pages when the memory-lock limit allows it (unlimited, or root).
pub fn harden() -> Hardening {
    use rustix::process::{Resource, Rlimit};
    let mut h = Hardening::default();
    let zero = Rlimit {
        current: Some(0),
        maximum: Some(0),
    };
    let _ = rustix::process::setrlimit(Resource::Core, zero);
    // SIGPIPE stays ignored (Rust's default): a closed pipe is an `EPIPE` that
    // `plumbing::stdout` turns into a quiet end, not a signal that kills the process.
    #[cfg(target_os = "linux")]
    {
        let _ =
            rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable);
    }
    let lim = rustix::process::getrlimit(Resource::Memlock);
    let privileged = rustix::process::geteuid().is_root();
    // `None` is RLIM_INFINITY.
    if lim.current.is_none() || privileged {
        use rustix::mm::MlockAllFlags;
        h.memory_locked =
            rustix::mm::mlockall(MlockAllFlags::CURRENT | MlockAllFlags::FUTURE).is_ok();
        if !h.memory_locked {
            h.lock_note = Some("mlockall failed (not enough memory or no CAP_IPC_LOCK)".into());
        }
    } else {
        // Locking future pages under a small limit would make the Argon2id allocation fail.
        h.lock_note = Some(format!(
            "the memory-lock limit is {} KiB (run as root or with `ulimit -l unlimited` to lock); turn swap off instead",
            lim.current.unwrap_or(0) / 1024
        ));
    }
    h
}

/// The process's actual state, read back from the kernel (not from what `harden` believed).
#[derive(Debug, Clone, Copy)]
pub struct State {
    pub core_limit_zero: bool,
    pub dumpable: bool,
    pub locked_kib: u64,
}

pub fn state() -> State {
    let mut s = State {
        core_limit_zero: false,
        dumpable: true,
        locked_kib: 0,
    };
    s.core_limit_zero =
        rustix::process::getrlimit(rustix::process::Resource::Core).current == Some(0);
    #[cfg(target_os = "linux")]
    {
        s.dumpable = !matches!(
            rustix::process::dumpable_behavior(),
            Ok(rustix::process::DumpableBehavior::NotDumpable)
        );
    }
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        s.locked_kib = status
            .lines()
            .find_map(|l| l.strip_prefix("VmLck:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0);
    }
    s
}
