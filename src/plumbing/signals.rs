//! The process's one handler for the signals that end it: SIGINT, SIGTERM, SIGHUP and SIGQUIT.
//!
//! Each module that must tidy up before the process dies arms its own cleanup while it needs it
//! (a private screen showing secrets, a prompt with echo off, temporary files holding complete
//! shares); the handler runs whichever are armed, in that order, then lets the signal's default
//! action end the process, so the exit status still says what happened. One handler, installed
//! once, so that two cleanups armed at the same time both run (with a handler per module, the
//! last one installed would replace the others). A signal ignored by whoever started us (nohup)
//! stays ignored. A file-size limit reached while writing (`ulimit -f`, SIGXFSZ) ends the process
//! the same way.
//!
//! What a cleanup needs in the handler is published through [`Armed`], a list the handler reads
//! without a lock or an allocation. This is the binary's one module with unsafe code: the
//! sigaction(2) calls and the handler's re-raise, which no safe wrapper offers; everything else
//! goes through rustix or the standard library.

#![allow(unsafe_code)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};

/// The signals that end the process and get the cleanups first.
const FATAL: [libc::c_int; 5] = [
    libc::SIGINT,
    libc::SIGTERM,
    libc::SIGHUP,
    libc::SIGQUIT,
    libc::SIGXFSZ,
];

/// The cleanups the handler runs, in order: given once, by `install`. The modules that own them
/// are named by the caller, so this module imports none of them (they import [`Armed`]).
static CLEANUPS: OnceLock<&'static [fn()]> = OnceLock::new();

/// Installs the handler, once per process, at start (`cli::main`), with the cleanups it runs;
/// every later call does nothing. Each cleanup must do nothing unless armed, and only
/// async-signal-safe work.
pub fn install(cleanups: &'static [fn()]) {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = CLEANUPS.set(cleanups);
        for sig in FATAL {
            // SAFETY: sigaction(2) with zero-initialised structs (no flags, empty mask) whose
            // handler is an `extern "C" fn(c_int)` that only calls async-signal-safe functions;
            // `old` is a valid place for the kernel to write the previous action.
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

/// Ctrl-Z ignored while the returned guard lives (a private screen showing secrets must not be
/// left on the terminal by a stopped process); the previous disposition comes back on drop.
pub fn ignore_stop() -> StopIgnored {
    // SAFETY: sigaction(2) with a zero-initialised struct (a valid "no flags, empty mask"
    // action) and SIG_IGN; `old` is a valid place for the kernel to write the previous action.
    let previous = unsafe {
        let mut ignore: libc::sigaction = std::mem::zeroed();
        ignore.sa_sigaction = libc::SIG_IGN;
        let mut old: libc::sigaction = std::mem::zeroed();
        (libc::sigaction(libc::SIGTSTP, &ignore, &mut old) == 0).then_some(old)
    };
    StopIgnored { previous }
}

/// Ctrl-Z is ignored until this is dropped.
pub struct StopIgnored {
    previous: Option<libc::sigaction>,
}

impl Drop for StopIgnored {
    fn drop(&mut self) {
        if let Some(old) = self.previous.take() {
            // SAFETY: puts back the action sigaction(2) returned in `ignore_stop`.
            unsafe {
                libc::sigaction(libc::SIGTSTP, &old, std::ptr::null_mut());
            }
        }
    }
}

/// A list of cleanup items (temporary file names, the bytes that restore a screen) that the
/// signal handler can read at any moment without a lock, an allocation or unsafe code.
///
/// Items are appended, never changed or freed (each is leaked, a few bytes each, so the handler
/// can never read freed memory), and carry an armed flag: [`Armed::fire`] runs a cleanup for
/// each armed item once, and [`Handle::disarm`] retires one when it is no longer needed. The
/// links are `OnceLock`s, set once by the thread that appends (under a mutex) and read by the
/// handler with one atomic load each: a signal that interrupts an append sees the list without
/// the new item, which was appended before the thing it describes exists.
pub struct Armed<T: 'static> {
    head: OnceLock<&'static Node<T>>,
    tail: Mutex<Option<&'static Node<T>>>,
}

struct Node<T: 'static> {
    value: T,
    armed: AtomicBool,
    next: OnceLock<&'static Node<T>>,
}

/// One armed item of an [`Armed`] list.
pub struct Handle<T: 'static>(&'static Node<T>);

impl<T: 'static> Handle<T> {
    /// Retires the item: the handler no longer acts on it.
    pub fn disarm(&self) {
        self.0.armed.store(false, Ordering::SeqCst);
    }
}

impl<T: Send + Sync + 'static> Armed<T> {
    pub const fn new() -> Self {
        Armed {
            head: OnceLock::new(),
            tail: Mutex::new(None),
        }
    }

    /// Appends `value`, armed.
    pub fn arm(&self, value: T) -> Handle<T> {
        let node: &'static Node<T> = Box::leak(Box::new(Node {
            value,
            armed: AtomicBool::new(true),
            next: OnceLock::new(),
        }));
        let mut tail = self.tail.lock().unwrap_or_else(|e| e.into_inner());
        let linked = match *tail {
            None => self.head.set(node),
            Some(last) => last.next.set(node),
        };
        debug_assert!(linked.is_ok(), "the tail has no successor yet");
        *tail = Some(node);
        Handle(node)
    }

    /// Runs `cleanup` on every armed item and disarms it, so each runs at most once.
    /// Async-signal-safe when `cleanup` is: it takes no lock and allocates nothing.
    pub fn fire(&self, mut cleanup: impl FnMut(&T)) {
        let mut next = self.head.get();
        while let Some(node) = next {
            if node.armed.swap(false, Ordering::SeqCst) {
                cleanup(&node.value);
            }
            next = node.next.get();
        }
    }
}

extern "C" fn on_signal(sig: libc::c_int) {
    // Each does nothing unless armed, and only async-signal-safe work (write, tcsetattr, unlink).
    // `get` is one atomic load; the list was set before the handler was installed.
    for cleanup in CLEANUPS.get().copied().unwrap_or_default() {
        cleanup();
    }
    // SAFETY: signal(2) and raise(3) are async-signal-safe and take no pointer. The signal stays
    // blocked until this handler returns, then its default action ends the process with the
    // usual status.
    unsafe {
        libc::signal(sig, libc::SIG_DFL);
        libc::raise(sig);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn armed_items_are_cleaned_once_and_disarmed_ones_never() {
        static LIST: Armed<u32> = Armed::new();
        let a = LIST.arm(1);
        let _b = LIST.arm(2);
        let c = LIST.arm(3);
        c.disarm();
        let mut seen = Vec::new();
        LIST.fire(|v| seen.push(*v));
        assert_eq!(seen, [1, 2]);
        LIST.fire(|v| seen.push(*v));
        assert_eq!(seen, [1, 2], "each cleanup runs at most once");
        a.disarm();
        let _d = LIST.arm(4);
        LIST.fire(|v| seen.push(*v));
        assert_eq!(seen, [1, 2, 4]);
    }
}
