//! Precedence: flags > environment > settings file > defaults, for every value resolved here.

use super::*;

fn settings_file(dir: &std::path::Path, text: &str) -> PathBuf {
    let path = dir.join(paths::SETTINGS_FILE);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn the_settings_file_decides_when_neither_flag_nor_environment_does() {
    let dir = tempfile::tempdir().unwrap();
    settings_file(dir.path(), "listen = \"127.0.0.1:9911\"\nrelaxed_durability = true\n");
    let env = Environment::from_pairs([(env::CONFIG_DIR, dir.path().to_str().unwrap())]);
    let config = Config::load(&Flags::default(), env).unwrap();
    assert_eq!(config.listen, "127.0.0.1:9911".parse().unwrap());
    assert_eq!(config.listen_origin, Origin::Settings);
    assert_eq!(config.durability, Synchronous::Normal);
    assert_eq!(config.durability_origin, Origin::Settings);
    assert_eq!(config.store_options().synchronous, Synchronous::Normal);
    assert_eq!(config.settings_path, dir.path().join("settings.toml"));
}

#[test]
fn the_environment_beats_the_file_and_a_flag_beats_both() {
    let dir = tempfile::tempdir().unwrap();
    settings_file(dir.path(), "listen = \"127.0.0.1:9911\"\n");
    let db = dir.path().join("from-env.sqlite3");
    let env = Environment::from_pairs([
        (env::CONFIG_DIR, dir.path().to_str().unwrap()),
        (env::LISTEN, "127.0.0.1:9922"),
        (env::DB, db.to_str().unwrap()),
    ]);
    let config = Config::load(&Flags::default(), env.clone()).unwrap();
    assert_eq!((config.listen, config.listen_origin), ("127.0.0.1:9922".parse().unwrap(), Origin::Environment));
    assert_eq!((config.db.clone(), config.db_origin), (db, Origin::Environment));

    let flags = Flags {
        db: Some(dir.path().join("from-flag.sqlite3")),
        listen: Some("127.0.0.1:9933".parse().unwrap()),
        relaxed_durability: Some(false),
    };
    let dir2 = tempfile::tempdir().unwrap();
    settings_file(dir2.path(), "relaxed_durability = true\n");
    let env2 = Environment::from_pairs([
        (env::CONFIG_DIR, dir2.path().to_str().unwrap()),
        (env::LISTEN, "127.0.0.1:9922"),
        (env::DB, "/elsewhere.sqlite3"),
    ]);
    let config = Config::load(&flags, env2).unwrap();
    assert_eq!((config.listen, config.listen_origin), ("127.0.0.1:9933".parse().unwrap(), Origin::Flag));
    assert_eq!(config.db, dir.path().join("from-flag.sqlite3"));
    assert_eq!((config.durability, config.durability_origin), (Synchronous::Full, Origin::Flag));
}

#[test]
fn without_a_file_or_variables_the_documented_defaults_apply() {
    let dir = tempfile::tempdir().unwrap();
    let env = Environment::from_pairs([(env::CONFIG_DIR, dir.path().to_str().unwrap())]);
    let config = Config::load(&Flags::default(), env).unwrap();
    assert_eq!(config.listen, DEFAULT_LISTEN.parse().unwrap());
    assert_eq!(config.listen_origin, Origin::Default);
    assert_eq!((config.durability, config.durability_origin), (Synchronous::Full, Origin::Default));
    assert_eq!(config.db_origin, Origin::Default);
    assert_eq!(config.settings, Settings::default());
}

#[test]
fn a_bad_listen_address_names_where_it_came_from() {
    let dir = tempfile::tempdir().unwrap();
    settings_file(dir.path(), "listen = \"nowhere\"\n");
    let env = Environment::from_pairs([(env::CONFIG_DIR, dir.path().to_str().unwrap())]);
    let message = Config::load(&Flags::default(), env.clone()).unwrap_err().to_string();
    assert!(message.contains("settings.toml") && message.contains("listen"), "{message}");

    // (A bad value in the file is refused even where the environment overrides it: the file is checked
    // whole, on load.) With a good file, a bad DOORWATCH_LISTEN names the variable.
    let good = tempfile::tempdir().unwrap();
    let env = Environment::from_pairs([(env::CONFIG_DIR, good.path().to_str().unwrap()), (env::LISTEN, "nowhere")]);
    let message = Config::load(&Flags::default(), env).unwrap_err().to_string();
    assert!(message.starts_with("DOORWATCH_LISTEN:"), "{message}");
}

#[test]
fn secrets_in_the_environment_win_over_saved_ones() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = Secrets::file_only(dir.path());
    secrets.set(Secret::SigningKey, "saved-key").unwrap();
    secrets.set(Secret::KisiApiKey, "saved-api-key").unwrap();
    let saved =
        Config::resolve(&Flags::default(), Environment::default(), Settings::default(), dir.path().join("s")).unwrap();
    assert_eq!(saved.signing_key(&secrets).unwrap(), SigningKey::new("saved-key"));
    assert!(saved.signing_key_from_env().is_none());
    assert_eq!(saved.kisi_base(), kisi::DEFAULT_BASE);
    assert!(saved.kisi_client(&secrets).unwrap().is_some());

    let env = Environment::from_pairs([(env::SIGNING_KEY, "env-key"), (env::KISI_API_BASE, "http://127.0.0.1:1")]);
    let from_env = Config::resolve(&Flags::default(), env, Settings::default(), dir.path().join("s")).unwrap();
    assert_eq!(from_env.signing_key(&secrets).unwrap(), SigningKey::new("env-key"));
    assert_eq!(from_env.signing_key_from_env(), Some("env-key"));
    assert_eq!(from_env.kisi_client(&secrets).unwrap().unwrap().base(), "http://127.0.0.1:1");
}

#[test]
fn the_tunnel_domain_comes_from_the_environment_before_the_settings() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = Secrets::file_only(dir.path());
    let mut settings = Settings::default();
    settings.tunnel.domain = "from-settings.ngrok-free.app".into();
    let no_token = Config::resolve(&Flags::default(), Environment::default(), settings.clone(), dir.path().join("s"));
    assert!(no_token.unwrap().tunnel(&secrets).unwrap().is_none(), "no token, no tunnel");
    let env = Environment::from_pairs([(env::NGROK_AUTHTOKEN, "2abcdefghijklmnop_token")]);
    let config = Config::resolve(&Flags::default(), env.clone(), settings.clone(), dir.path().join("s")).unwrap();
    assert_eq!(config.tunnel(&secrets).unwrap().unwrap().domain.as_deref(), Some("from-settings.ngrok-free.app"));
    let env = Environment::from_pairs([
        (env::NGROK_AUTHTOKEN, "2abcdefghijklmnop_token"),
        (env::NGROK_DOMAIN, "from-env.ngrok-free.app"),
    ]);
    let config = Config::resolve(&Flags::default(), env, settings, dir.path().join("s")).unwrap();
    assert_eq!(config.tunnel(&secrets).unwrap().unwrap().domain.as_deref(), Some("from-env.ngrok-free.app"));
}

#[test]
fn a_value_out_of_range_is_refused_on_load_naming_the_file_the_setting_and_the_range() {
    let dir = tempfile::tempdir().unwrap();
    settings_file(dir.path(), "[alerts]\nburst_window_secs = 10000000000000000\n");
    let env = Environment::from_pairs([(env::CONFIG_DIR, dir.path().to_str().unwrap())]);
    let error = Config::load(&Flags::default(), env).unwrap_err();
    let message = error.to_string();
    assert!(message.contains("settings.toml"), "{message}");
    assert!(message.contains("alerts.burst_window_secs: use 1 to 3600 seconds"), "{message}");
    // The app opens Settings on this field.
    assert_eq!(error.setting().as_deref(), Some("alerts.burst_window_secs"));
}

#[test]
fn a_file_that_does_not_parse_names_no_setting_to_open() {
    let dir = tempfile::tempdir().unwrap();
    settings_file(dir.path(), "listen = \n");
    let env = Environment::from_pairs([(env::CONFIG_DIR, dir.path().to_str().unwrap())]);
    assert_eq!(Config::load(&Flags::default(), env).unwrap_err().setting(), None);
}

#[test]
fn a_bad_rule_names_the_rules_as_the_setting_to_open() {
    let dir = tempfile::tempdir().unwrap();
    settings_file(dir.path(), "[[rule]]\nname = \"Night\"\nhours = \"25:00-08:00\"\n");
    let env = Environment::from_pairs([(env::CONFIG_DIR, dir.path().to_str().unwrap())]);
    let error = Config::load(&Flags::default(), env).unwrap_err();
    assert!(error.to_string().contains("rule \"Night\": hours:"), "{error}");
    assert_eq!(error.setting().as_deref(), Some("rule"));
}
