//! Processes of the tests that run real programs (HAProxy, tcpdump, agents): stopped on drop,
//! found or installed, and the ports they listen on.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command};
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
