//! `doorwatch` run as a person runs it: the command with this test's own settings and secrets, and a
//! running `doorwatch serve` whose printed lines a test waits for.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub fn doorwatch(db: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_doorwatch"));
    for var in [
        "DOORWATCH_DB",
        "DOORWATCH_LISTEN",
        "DOORWATCH_SIGNING_KEY",
        "DOORWATCH_LOG",
        "NGROK_AUTHTOKEN",
        "NGROK_DOMAIN",
        "KISI_API_KEY",
        "KISI_API_BASE",
    ] {
        cmd.env_remove(var);
    }
    // Settings and secrets of this test only, never the keyring of whoever runs the tests.
    cmd.env("DOORWATCH_CONFIG_DIR", db.parent().unwrap().join("config")).env("DOORWATCH_SECRETS", "file");
    cmd.arg("--db").arg(db);
    cmd
}

pub fn run(cmd: &mut Command) -> Output {
    cmd.stdin(Stdio::null()).output().unwrap()
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A running `doorwatch serve`, its stdout lines arriving on a channel.
pub struct Serve {
    pub child: Child,
    lines: mpsc::Receiver<String>,
    pub url: String,
    pub printed: Vec<String>,
}

impl Serve {
    pub fn start(db: &Path, key: Option<&str>) -> Serve {
        let mut cmd = doorwatch(db);
        cmd.args(["serve", "--listen", "127.0.0.1:0"]).stdout(Stdio::piped()).stderr(Stdio::piped());
        if let Some(key) = key {
            cmd.env("DOORWATCH_SIGNING_KEY", key);
        }
        Serve::attach(cmd.spawn().unwrap())
    }

    /// Follows a `serve` already spawned with piped output, until it says where it receives.
    pub fn attach(mut child: Child) -> Serve {
        let (tx, lines) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut serve = Serve { child, lines, url: String::new(), printed: Vec::new() };
        let first = serve.wait_for("receiving on");
        serve.url = first.rsplit(' ').next().unwrap().to_owned();
        serve
    }

    pub fn wait_for(&mut self, needle: &str) -> String {
        self.wait_for_line(needle, |_| true)
    }

    /// The next event line (not an `ALERT …` line) that contains `needle`.
    pub fn wait_for_event(&mut self, needle: &str) -> String {
        self.wait_for_line(needle, |line| !line.starts_with("ALERT "))
    }

    pub fn wait_for_line(&mut self, needle: &str, wanted: impl Fn(&str) -> bool) -> String {
        if let Some(seen) = self.printed.iter().find(|l| l.contains(needle) && wanted(l)) {
            return seen.clone();
        }
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(20))
                .unwrap_or_else(|_| panic!("serve never printed {needle:?}; it printed {:#?}", self.printed));
            self.printed.push(line.clone());
            if line.contains(needle) && wanted(&line) {
                return line;
            }
        }
    }

    /// Stops it the way a service manager does, and returns its exit status and stderr.
    pub fn stop(mut self) -> (std::process::ExitStatus, String, Vec<String>) {
        Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status().unwrap();
        self.wait_for("Stopped");
        let status = self.child.wait().unwrap();
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut self.child.stderr.take().unwrap(), &mut stderr).unwrap();
        (status, stderr, self.printed)
    }
}
