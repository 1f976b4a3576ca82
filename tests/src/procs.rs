//! Processes of the tests that run real programs (HAProxy, tcpdump, agents): stopped on drop,
//! found or installed, and the ports they listen on.

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A child process killed (and reaped) on drop.
pub struct Proc(pub Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Proc {
    /// Sends `sig` (e.g. "-INT") with kill(1).
    pub fn signal(&mut self, sig: &str) {
        let _ = Command::new("kill")
            .args([sig, &self.0.id().to_string()])
            .status();
    }

    /// Waits up to `t` for the process to exit by itself.
    pub fn wait_exit(&mut self, t: Duration) -> bool {
        let start = Instant::now();
        while start.elapsed() < t {
            if let Ok(Some(_)) = self.0.try_wait() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }
}

/// The path of `tool` on PATH.
pub fn which(tool: &str) -> Option<PathBuf> {
    let out = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

/// Finds the tool, installing its Debian package when missing and running as root.
pub fn ensure(tool: &str, package: &str) -> PathBuf {
    if let Some(p) = which(tool) {
        return p;
    }
    let root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout == b"0\n")
        .unwrap_or(false);
    assert!(
        root,
        "{tool} is missing and this test cannot install it without root: apt-get install {package}"
    );
    let ok = Command::new("sh")
        .args(["-c", &format!("apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq {package}")])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "apt-get install {package} failed");
    which(tool).unwrap_or_else(|| panic!("{tool} still missing after installing {package}"))
}

/// A port free on 127.0.0.1 just now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits up to `t` for something to listen on 127.0.0.1:`port`.
pub fn wait_for_port(port: u16, t: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < t {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// Runs `cmd` to its end with its output collected, as `Command::output` does, but for at
/// most `limit`: a program that hangs is killed and the test fails saying so, instead of
/// hanging the test run.
pub fn output_within(cmd: &mut Command, limit: Duration) -> Output {
    let what = format!("{cmd:?}");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{what} does not start: {e}"));
    // Read on threads: a child blocked on a full pipe would otherwise never exit.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            buf
        })
    };
    let out = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() < limit => std::thread::sleep(Duration::from_millis(10)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                let _ = out.join();
                let stderr = err.join().unwrap_or_default();
                panic!(
                    "{what} did not end within {limit:?} (killed); stderr: {}",
                    String::from_utf8_lossy(&stderr)
                );
            }
        }
    };
    Output {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    }
}

/// A thread that runs until told to stop: on drop (also when an assertion failed) it sets
/// the flag and joins the thread.
pub struct Stopper {
    /// The flag the thread polls.
    pub stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Stopper {
    /// Runs `f` on a thread, given the stop flag.
    pub fn spawn(f: impl FnOnce(Arc<AtomicBool>) + Send + 'static) -> Stopper {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        Stopper {
            stop,
            thread: Some(std::thread::spawn(move || f(flag))),
        }
    }
}

impl Drop for Stopper {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A fresh directory under the system's temporary directory, removed (with its contents)
/// on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// `<tmp>/<name>-<pid>`, emptied first of what an earlier run may have left (a stale
    /// socket file would make `bind` fail).
    pub fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        TempDir(dir)
    }

    /// The path of `name` in the directory.
    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
