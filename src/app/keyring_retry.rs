//! While the signing key cannot be read (a keyring locked at login, its prompt dismissed), the receiver
//! refuses deliveries with 503 and the tray shows trouble; this task asks again, more slowly each time
//! (1 s up to every 30 s), until the key can be read, then puts it in force and restarts the tunnel and
//! the Kisi upkeep, whose secrets live in the same keyring.

use std::time::Duration;

use super::Doorwatch;

const FIRST_WAIT: Duration = Duration::from_secs(1);
const LONGEST_WAIT: Duration = Duration::from_secs(30);

pub(super) async fn until_readable(doorwatch: Doorwatch) {
    let mut wait = FIRST_WAIT;
    loop {
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(LONGEST_WAIT);
        let Some(slot) = doorwatch.with_receiver(|r| r.key_slot()) else { return };
        if slot.unreadable().is_none() {
            return; // a key was set meanwhile (Settings, Kisi setup)
        }
        let config = doorwatch.config();
        let secrets = doorwatch.secrets().clone();
        // Keyring calls block (D-Bus, the Keychain): not on a runtime worker.
        let read = tokio::task::spawn_blocking(move || config.signing_key(&secrets)).await;
        match read {
            Ok(Ok(key)) => {
                if slot.unreadable().is_some() {
                    slot.set(key);
                }
                tracing::info!("the signing key can be read again; receiving");
                doorwatch.restart_online().await;
                doorwatch.inner.running.send_modify(|_| {});
                return;
            }
            Ok(Err(e)) => tracing::debug!(error = %e, "the signing key still cannot be read"),
            Err(_) => return, // the runtime is shutting down
        }
    }
}
