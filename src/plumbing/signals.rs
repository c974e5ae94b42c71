//! The process's one handler for the signals that end it: SIGINT, SIGTERM, SIGHUP and SIGQUIT.
//!
//! Each module that must tidy up before the process dies arms its own cleanup while it needs it
//! (a private screen showing secrets, a prompt with echo off, temporary files holding complete
//! shares); the handler runs whichever are armed, in that order, then lets the signal's default
//! action end the process, so the exit status still says what happened. One handler, installed
//! once, so that two cleanups armed at the same time both run (with a handler per module, the
//! last one installed would replace the others). A signal ignored by whoever started us (nohup)
//! stays ignored.

// sigaction(2), signal(2) and raise(3), each with its SAFETY note; the rest of the binary denies
// unsafe code.
#![allow(unsafe_code)]

/// The signals that end the process and get the cleanups first.
const FATAL: [libc::c_int; 4] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT];

/// Installs the handler, once per process, at start (`cli::main`); every later call does
/// nothing. The modules that arm cleanups do not install it, so they need not know of it.
pub fn install() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        for sig in FATAL {
            // SAFETY: plain sigaction(2) calls with zero-initialised structs; the handler only
            // calls async-signal-safe functions.
            unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as usize;
                libc::sigemptyset(&mut action.sa_mask);
                let mut old: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(sig, &action, &mut old) == 0 && old.sa_sigaction == libc::SIG_IGN
                {
                    libc::sigaction(sig, &old, std::ptr::null_mut());
                }
            }
        }
    });
}

extern "C" fn on_signal(sig: libc::c_int) {
    // Each does nothing unless armed, and only async-signal-safe work (write, tcsetattr, unlink).
    super::terminal::on_fatal_signal();
    super::files::on_fatal_signal();
    // SAFETY: signal(2) and raise(3) are async-signal-safe. The signal stays blocked until this
    // handler returns, then its default action ends the process with the usual status.
    unsafe {
        libc::signal(sig, libc::SIG_DFL);
        libc::raise(sig);
    }
}
