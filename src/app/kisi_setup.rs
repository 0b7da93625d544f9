//! One-step Kisi setup: creates or repairs Doorwatch's webhook at Kisi with a fresh signing key, saves
//! the key where the receiver reads it and remembers the integration in the settings file.

use crate::config::secrets::{Secret, SecretsError};
use crate::config::Settings;
use crate::config::{Config, SettingsError};
use crate::kisi::integration::{self, SetupOutcome};
use crate::kisi::{Client, KisiError};
use crate::receive::ingest::KeySlot;
use crate::receive::signature::{self, SigningKey};

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("no Kisi API key: set KISI_API_KEY or enter it in Settings (Kisi dashboard → your profile → API keys)")]
    NoApiKey,
    #[error(
        "no public URL for Kisi to call: add an ngrok authtoken (or NGROK_AUTHTOKEN) so the tunnel gives one, \
         or pass the URL of your own tunnel (--public-url / Settings)"
    )]
    NoPublicUrl,
    #[error("{0}")]
    BadUrl(String),
    #[error(transparent)]
    Kisi(#[from] KisiError),
    #[error("Kisi is set up, but the new signing key could not be saved ({0}); run setup again")]
    Secrets(#[from] SecretsError),
    #[error("Kisi is set up, but the settings could not be saved ({0}); run setup again")]
    Settings(#[from] SettingsError),
}

/// One-step setup: creates or repairs Doorwatch's webhook at Kisi for `public_url`, with a fresh signing
/// key (or `DOORWATCH_SIGNING_KEY` when the environment fixes it), then saves the key where the receiver
/// reads it, hands it to the running receiver (`key`), and remembers the integration in the settings.
/// The key is never printed.
pub async fn set_up_kisi(
    client: &Client,
    public_url: &str,
    config: &Config,
    key: Option<&KeySlot>,
) -> Result<SetupOutcome, SetupError> {
    let webhook = integration::webhook_url(public_url).map_err(SetupError::BadUrl)?;
    let settings_path = &config.settings_path;
    let secrets = config.secrets();
    let mut settings = Settings::load(settings_path)?;
    // The environment's key wins at the receiver, so Kisi must get that one; otherwise a fresh key.
    let from_env = config.signing_key_from_env().map(str::to_owned);
    let new_key = from_env.is_none().then(signature::generate_key);
    let key_text = from_env.or_else(|| new_key.clone()).unwrap_or_default();
    let outcome = integration::set_up(client, settings.kisi.integration_id, &webhook, &key_text).await?;
    if let Some(new_key) = &new_key {
        // The running receiver first (it cannot fail), so Kisi's next delivery is accepted even if
        // saving the key fails; the error then says to run setup again before the next start.
        if let Some(slot) = key {
            slot.set(SigningKey::new(new_key));
        }
        secrets.set(Secret::SigningKey, new_key)?;
    }
    settings.kisi.integration_id = Some(outcome.integration_id);
    settings.save(settings_path)?;
    Ok(outcome)
}
