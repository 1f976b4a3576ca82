//! `probe --replay CAPTURE`: HAProxy's side of a recorded capture played again to the agent.
//! Per SPOP connection of the capture, one probe connection: the probe's own HELLO, then the
//! capture's NOTIFYs byte for byte and in order (with their ids), as fast as the window allows
//! or with the capture's timing, then a HAPROXY-DISCONNECT.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Duration, Instant};

use spop_codec::analysis::{load_and_analyze, AnalysisOptions};
use spop_codec::capture::spop::SpopConnection;
use spop_codec::capture::LoadOptions;
use spop_codec::wire::{Direction, FrameType};

use super::conn::{Clock, Pace};
use super::script::{acks, disconnect, give_up, hello, Ids, WINDOW};
use super::{open, Plan};

/// Plays the capture at `path` (with its timing when `timing`) and records every connection
/// into `done`.
pub fn run(
    plan: &Plan,
    clock: &Arc<Clock>,
    global: &Arc<AtomicU64>,
    path: &Path,
    timing: bool,
    done: &mut Vec<SpopConnection>,
) -> Result<(), String> {
    let name = path.display();
    let bytes = std::fs::read(path).map_err(|e| format!("--replay {name}: {e}"))?;
    let a = load_and_analyze(&bytes, &LoadOptions::default(), &AnalysisOptions::default())
        .map_err(|e| format!("--replay {name}: {e}"))?;
    if let Some(why) = a.capture.no_spop() {
        return Err(format!("--replay {name}: {why}"));
    }
    drop(bytes);
    let mut skipped = 0usize;
    for c in &a.connections {
        if c.haproxy_hello.as_ref().is_some_and(|h| h.healthcheck) {
            continue;
        }
        let notifies: Vec<_> = a
            .frames_of(c.id)
            .filter(|e| {
                e.direction == Direction::HaproxyToAgent && e.frame_type == FrameType::Notify
            })
            .copied()
            .collect();
        if notifies.is_empty() {
            continue;
        }
        let Some(conn) = open(plan, clock, notifies.len()) else {
            break;
        };
        let mut s = match hello(
            plan,
            conn,
            Ids::new(plan.speak, global),
            Pace::Whole,
            false,
            false,
        )? {
            Ok(s) => s,
            Err((conn, _)) => {
                done.push(conn.finish(0));
                break;
            }
        };
        let window = if s.pipelining { WINDOW } else { 1 };
        // When each NOTIFY is due, from the start of the connection: the capture's gaps,
        // each at most the timeout (a jump in the capture's clock must not stall the run).
        let mut due = Instant::now();
        let mut prev = notifies.first().map_or(0, |e| e.time);
        let mut pending = BTreeSet::new();
        let mut broke = false;
        for e in &notifies {
            // HAProxy never sends a frame above the negotiated size: neither does the probe.
            if e.length > s.max_frame {
                skipped += 1;
                continue;
            }
            if acks(plan, &mut s, &mut pending, window - 1).is_err() {
                broke = true;
                break;
            }
            if timing {
                due += pause(e.time.saturating_sub(prev), plan.timeout);
                prev = e.time;
                std::thread::sleep(due.saturating_duration_since(Instant::now()));
            }
            let Some((frame, _)) = a.frame_bytes(e.index) else {
                continue;
            };
            if let Err(end) = s.conn.send(&frame, Pace::Whole) {
                give_up(&mut s.conn, end);
                broke = true;
                break;
            }
            pending.insert((e.stream_id, e.frame_id));
        }
        if !broke && acks(plan, &mut s, &mut pending, 0).is_ok() {
            disconnect(plan, &mut s);
        }
        done.push(s.conn.finish(0));
    }
    if skipped > 0 {
        eprintln!(
            "spop-inspect: --replay: {skipped} NOTIFY(s) above the agent's max-frame-size not sent (HAProxy would not send them)"
        );
    }
    Ok(())
}

/// The pause before a NOTIFY `gap_ns` after the previous one in the capture, at most `cap`.
fn pause(gap_ns: u64, cap: Duration) -> Duration {
    Duration::from_nanos(gap_ns).min(cap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pause_is_the_captures_gap_at_most_the_timeout() {
        let cap = Duration::from_secs(1);
        assert_eq!(pause(250_000_000, cap), Duration::from_millis(250));
        // A clock jump of a day in the capture: one timeout, not a day.
        assert_eq!(pause(86_400_000_000_000, cap), cap);
        assert_eq!(pause(u64::MAX, cap), cap);
    }
}
