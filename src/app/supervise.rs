//! Supervised tasks: a long-lived task that panics (a bug, a value nobody foresaw) is reported — the
//! tray shows trouble with what stopped — and started again after a pause, instead of vanishing while
//! the rest of the app goes on as if alerts or live updates still worked. A task that returns (its
//! input closed: the app is stopping) is not restarted; aborting the supervisor ends the task too.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

/// Told the task's name and the panic's message each time a supervised task panics.
pub type Report = Arc<dyn Fn(&'static str, String) + Send + Sync>;

/// A report that only logs (for callers with nowhere to show trouble).
pub fn log_only() -> Report {
    Arc::new(|_, _| {})
}

const FIRST_PAUSE: Duration = Duration::from_secs(1);
const LONGEST_PAUSE: Duration = Duration::from_secs(60);

/// Spawns `make()` on the current runtime, and again after each panic (pausing 1 s, doubling up to a
/// minute, so a task that panics at once every time does not spin).
pub fn supervised<F, Fut>(name: &'static str, report: Report, make: F) -> JoinHandle<()>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    supervise(name, report, FIRST_PAUSE, make)
}

fn supervise<F, Fut>(name: &'static str, report: Report, first_pause: Duration, mut make: F) -> JoinHandle<()>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    tokio::spawn(async move {
        let mut pause = first_pause;
        loop {
            let mut attempt = AbortOnDrop(tokio::spawn(make()));
            match (&mut attempt.0).await {
                Ok(()) => return,
                Err(e) if e.is_cancelled() => return,
                Err(e) => {
                    let message = panic_message(e.into_panic());
                    tracing::error!(task = name, "a task stopped unexpectedly ({message}); restarting it");
                    report(name, message);
                }
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(LONGEST_PAUSE);
        }
    })
}

/// Aborting the supervisor drops this, which ends the attempt under way.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(payload) => match payload.downcast::<&'static str>() {
            Ok(s) => (*s).to_owned(),
            Err(_) => "a panic".to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Mutex;

    #[tokio::test]
    async fn a_task_that_panics_is_reported_and_started_again() {
        let reports = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&reports);
        let report: Report = Arc::new(move |name, message| seen.lock().unwrap().push(format!("{name}: {message}")));
        let runs = Arc::new(AtomicU32::new(0));
        let (done_tx, done) = tokio::sync::oneshot::channel();
        let done_tx = Arc::new(Mutex::new(Some(done_tx)));
        let counted = Arc::clone(&runs);
        let task = supervise("the feed", report, Duration::from_millis(5), move || {
            let run = counted.fetch_add(1, Ordering::SeqCst) + 1;
            let done_tx = Arc::clone(&done_tx);
            async move {
                if run < 3 {
                    panic!("burst window overflowed (run {run})");
                }
                let _ = done_tx.lock().unwrap().take().map(|tx| tx.send(()));
            }
        });
        done.await.unwrap();
        task.await.unwrap(); // the third run returned: not started again
        assert_eq!(runs.load(Ordering::SeqCst), 3);
        assert_eq!(
            *reports.lock().unwrap(),
            ["the feed: burst window overflowed (run 1)", "the feed: burst window overflowed (run 2)"]
        );
    }

    #[tokio::test]
    async fn aborting_the_supervisor_ends_the_task() {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<()>(1);
        let task = supervised("idle", log_only(), move || {
            let tx = tx.clone();
            async move {
                let _keep = tx; // dropped when this task ends
                std::future::pending::<()>().await;
            }
        });
        tokio::task::yield_now().await;
        task.abort();
        let ended = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await;
        assert_eq!(ended, Ok(None), "the task's sender was dropped: it ended");
    }
}
