//! The scan worker: runs the passes of one image on a `breakglass-qr-scan` thread so that the
//! time budget holds while a decoder call is stuck, turns decoder panics into
//! [`ScanError::DecoderCrashed`], and lets at most one abandoned worker live at once (see the
//! module doc of [`super`], "Process-wide effects"). It decides nothing about the image: that is
//! [`super::passes`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Once, mpsc};
use std::time::{Duration, Instant};

use image::GrayImage;

use super::passes::{Event, run_passes};
use super::{ScanError, ScanLimits, Tuning};

/// Name of the worker thread; the panic hook stays quiet for panics on it because each one
/// is caught and reported as [`ScanError::DecoderCrashed`].
const WORKER_NAME: &str = "breakglass-qr-scan";

/// Installs (once per process) a panic hook that suppresses messages from the scan worker
/// thread and hands every other panic to the hook that was installed before. Process-wide and
/// never removed: the module doc says what an embedding program must know.
fn silence_worker_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if std::thread::current().name() != Some(WORKER_NAME) {
                previous(info);
            }
        }));
    });
}

/// How many scan workers are still running after their caller gave up on them at the time
/// budget (a decoder call cannot be interrupted). Scans wait for it to reach 0 before
/// starting a worker, so a sequence of hostile images leaves at most one such thread behind.
static ABANDONED: (std::sync::Mutex<usize>, std::sync::Condvar) =
    (std::sync::Mutex::new(0), std::sync::Condvar::new());

pub(super) fn abandoned() -> std::sync::MutexGuard<'static, usize> {
    ABANDONED
        .0
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Waits up to `max` for every abandoned worker to end; returns how long it waited, or `None`
/// if one is still running.
fn wait_for_abandoned(max: Duration) -> Option<Duration> {
    let start = Instant::now();
    let mut count = abandoned();
    while *count > 0 {
        let left = max.saturating_sub(start.elapsed());
        if left.is_zero() {
            return None;
        }
        count = ABANDONED
            .1
            .wait_timeout(count, left)
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .0;
    }
    Some(start.elapsed())
}

/// A worker's fate, shared by the worker and its caller.
const RUNNING: u8 = 0;
const FINISHED: u8 = 1;
const GIVEN_UP: u8 = 2;

/// Held by the worker thread; on its end (also by a panic) an abandoned worker is uncounted.
struct WorkerEnd(Arc<std::sync::atomic::AtomicU8>);

impl Drop for WorkerEnd {
    fn drop(&mut self) {
        if self
            .0
            .compare_exchange(RUNNING, FINISHED, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            let mut count = abandoned();
            *count = count.saturating_sub(1);
            ABANDONED.1.notify_all();
        }
    }
}

/// Whether a scan worker abandoned at its time budget is still running (for tests).
#[doc(hidden)]
pub fn worker_running() -> bool {
    *abandoned() > 0
}

/// Runs the passes on a worker thread so that a decoder stuck in a slow call cannot hold the
/// caller past the time budget. The `enough` callback stays on the caller's thread.
pub(super) fn run_scan(
    luma: GrayImage,
    limits: &ScanLimits,
    deadline: Instant,
    enough: &dyn Fn(&[String]) -> bool,
    tuning: Tuning,
) -> Result<Vec<String>, ScanError> {
    silence_worker_panics();
    let luma = Arc::new(luma);
    let stop = Arc::new(AtomicBool::new(false));
    let (event_tx, event_rx) = mpsc::channel::<Event>();
    let (reply_tx, reply_rx) = mpsc::channel::<bool>();
    let worker_stop = Arc::clone(&stop);
    let worker_luma = Arc::clone(&luma);
    // A worker abandoned at its budget must end before the next image is decoded, else
    // hostile images would stack threads and memory. Waiting does not eat this image's budget.
    let waited = wait_for_abandoned(limits.time_budget).ok_or(ScanError::DecoderBusy)?;
    let deadline = deadline + waited;
    let fate = Arc::new(std::sync::atomic::AtomicU8::new(RUNNING));
    let end = WorkerEnd(Arc::clone(&fate));
    let spawned = std::thread::Builder::new()
        .name(WORKER_NAME.into())
        .spawn(move || {
            let _end = end;
            run_passes(&worker_luma, deadline, &worker_stop, tuning, &mut |event| {
                let wants_reply = matches!(event, Event::Found(_));
                if event_tx.send(event).is_err() {
                    return false;
                }
                !wants_reply || reply_rx.recv().unwrap_or(false)
            });
        });

    let mut outcome = Outcome::default();
    if spawned.is_err() {
        // No thread to be had: run on this one, still bounded between decoder calls.
        run_passes(&luma, deadline, &stop, tuning, &mut |event| {
            outcome.take(event, enough, deadline)
        });
    } else {
        loop {
            let wait = deadline.saturating_duration_since(Instant::now());
            match event_rx.recv_timeout(wait) {
                Ok(event) => {
                    let wanted_reply = matches!(event, Event::Found(_));
                    let go_on = outcome.take(event, enough, deadline);
                    if wanted_reply && (reply_tx.send(go_on).is_err() || !go_on) {
                        break;
                    }
                    if outcome.done {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
        // The worker, if still busy, finishes its current decoder call and then sees this.
        stop.store(true, Ordering::Relaxed);
        // Counted under the lock, so the worker's end cannot slip between the two steps.
        let mut count = abandoned();
        if fate
            .compare_exchange(RUNNING, GIVEN_UP, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            *count += 1;
        }
    }
    outcome.finish(limits)
}

/// What the caller has learnt from the pass runner so far.
#[derive(Default)]
struct Outcome {
    found: Vec<String>,
    crashed: bool,
    done: bool,
}

impl Outcome {
    /// Records one event; returns whether the passes should go on.
    fn take(
        &mut self,
        event: Event,
        enough: &dyn Fn(&[String]) -> bool,
        deadline: Instant,
    ) -> bool {
        match event {
            Event::Found(new) => {
                for text in new {
                    if !self.found.contains(&text) {
                        self.found.push(text);
                    }
                }
                !enough(&self.found) && Instant::now() < deadline
            }
            Event::Crashed => {
                self.crashed = true;
                true
            }
            Event::Done => {
                self.done = true;
                false
            }
        }
    }

    fn finish(self, limits: &ScanLimits) -> Result<Vec<String>, ScanError> {
        if !self.found.is_empty() {
            Ok(self.found)
        } else if self.crashed {
            Err(ScanError::DecoderCrashed)
        } else if !self.done {
            // Nothing found and the passes did not all run: only the clock stops them then.
            Err(ScanError::TimedOut {
                budget: limits.time_budget,
            })
        } else {
            Err(ScanError::NoCodeFound)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::decoders::guarded;
    use super::*;

    #[test]
    fn decoder_panics_are_caught_quietly_on_the_worker_thread() {
        silence_worker_panics();
        let caught = std::thread::Builder::new()
            .name(WORKER_NAME.into())
            .spawn(|| guarded(|| -> u8 { panic!("decoder bug") }))
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(caught, None);
        assert_eq!(guarded(|| 7), Some(7));
    }
}
