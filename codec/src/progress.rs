//! Progress of a long load or analysis, for surfaces that show a progress bar (the web UI
//! decodes 100 MB captures in a worker and reports where it is).
//!
//! The engine stays sans-IO: it calls a caller-supplied observer at coarse steps (every few
//! thousand packets, every connection), never a clock.

/// Where a long-running [`load_with_progress`](crate::capture::load::load_with_progress) or
/// [`analyze_with_progress`](crate::analysis::analyze_with_progress) is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Reading packets: `done` bytes of `total` of the capture file.
    Packets {
        /// Bytes read.
        done: usize,
        /// Size of the input.
        total: usize,
    },
    /// Reassembling TCP and decoding each connection's frames.
    Connections {
        /// Connections done.
        done: usize,
        /// Connections in the capture.
        total: usize,
    },
    /// Building the timeline, connection by connection.
    Timeline {
        /// Connections done.
        done: usize,
        /// Connections in the capture.
        total: usize,
    },
    /// Running the validation rules over the frames.
    Rules {
        /// Frames checked.
        done: usize,
        /// Frames in the capture.
        total: usize,
    },
}

impl Progress {
    /// A rough overall fraction in `0.0..=1.0`: packets weigh most, the later stages share
    /// the rest (weights measured on a 100 MB generated capture).
    pub fn fraction(&self) -> f64 {
        let part = |done: usize, total: usize| {
            if total == 0 {
                1.0
            } else {
                // Not f64::clamp: its panic message brings a float printer into the wasm.
                #[allow(clippy::manual_clamp)]
                (done as f64 / total as f64).max(0.0).min(1.0)
            }
        };
        match *self {
            // The rules run last and fast; a surface may show the timeline before them.
            Progress::Packets { done, total } => 0.6 * part(done, total),
            Progress::Connections { done, total } => 0.6 + 0.15 * part(done, total),
            Progress::Timeline { done, total } => 0.75 + 0.15 * part(done, total),
            Progress::Rules { done, total } => 0.9 + 0.1 * part(done, total),
        }
    }

    /// What is happening, for people.
    pub fn stage(&self) -> &'static str {
        match self {
            Progress::Packets { .. } => "reading packets",
            Progress::Connections { .. } => "reassembling TCP and decoding frames",
            Progress::Timeline { .. } => "building the timeline",
            Progress::Rules { .. } => "running the validation rules",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Progress;

    #[test]
    fn fractions_grow_through_the_stages() {
        let steps = [
            Progress::Packets { done: 0, total: 10 },
            Progress::Packets {
                done: 10,
                total: 10,
            },
            Progress::Connections { done: 1, total: 2 },
            Progress::Timeline { done: 0, total: 0 },
            Progress::Rules { done: 0, total: 4 },
            Progress::Rules { done: 4, total: 4 },
        ];
        let f: alloc::vec::Vec<f64> = steps.iter().map(Progress::fraction).collect();
        assert!(f.windows(2).all(|w| w[0] <= w[1]), "{f:?}");
        assert_eq!(
            Progress::Packets {
                done: 20,
                total: 10
            }
            .fraction(),
            0.6
        );
    }
}
