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
#[allow(unsafe_code)]
pub fn harden() -> Hardening {
    let mut h = Hardening::default();
    #[cfg(unix)]
    // SAFETY: plain libc calls with valid pointers to stack values; no memory is shared.
    unsafe {
        let zero = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        libc::setrlimit(libc::RLIMIT_CORE, &zero);
        // SIGPIPE stays ignored (Rust's default): a closed pipe is an `EPIPE` that
        // `plumbing::stdout` turns into a quiet end, not a signal that kills the process.
        #[cfg(target_os = "linux")]
        {
            libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
        }
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        libc::getrlimit(libc::RLIMIT_MEMLOCK, &mut lim);
        let privileged = libc::geteuid() == 0;
        if lim.rlim_cur == libc::RLIM_INFINITY || privileged {
            h.memory_locked = libc::mlockall(libc::MCL_CURRENT | libc::MCL_FUTURE) == 0;
            if !h.memory_locked {
                h.lock_note = Some("mlockall failed (not enough memory or no CAP_IPC_LOCK)".into());
            }
        } else {
            // Locking future pages under a small limit would make the Argon2id allocation fail.
            h.lock_note = Some(format!(
                "the memory-lock limit is {} KiB (run as root or with `ulimit -l unlimited` to lock); turn swap off instead",
                lim.rlim_cur / 1024
            ));
        }
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

#[allow(unsafe_code)]
pub fn state() -> State {
    let mut s = State {
        core_limit_zero: false,
        dumpable: true,
        locked_kib: 0,
    };
    #[cfg(unix)]
    // SAFETY: getrlimit writes into a valid stack value; prctl(PR_GET_DUMPABLE) takes no pointer.
    unsafe {
        let mut lim = libc::rlimit {
            rlim_cur: 1,
            rlim_max: 1,
        };
        s.core_limit_zero = libc::getrlimit(libc::RLIMIT_CORE, &mut lim) == 0 && lim.rlim_cur == 0;
        #[cfg(target_os = "linux")]
        {
            s.dumpable = libc::prctl(libc::PR_GET_DUMPABLE, 0, 0, 0, 0) != 0;
        }
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
