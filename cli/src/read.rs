//! Reading a capture from a file or a pipe: the bytes are read in 256 KiB chunks on a thread of
//! their own while the engine's [`Loader`] takes the previous chunk, so the reads (copies out
//! of the page cache, or waits on a pipe) overlap the decoding. The input is never held whole,
//! only what TCP reassembly keeps. Here, not in the engine: the engine does no I/O.

use std::io::{self, Read};
use std::sync::mpsc::sync_channel;

use spop_codec::capture::Loader;
use spop_codec::Progress;

/// Size of each read.
const CHUNK: usize = 256 << 10;
/// Buffers in flight: one being decoded, the others being read or waiting.
const BUFFERS: usize = 3;

/// Feeds `input` to its end into `loader` (made with the file's size, if known, so that
/// `progress` reports a fraction) and returns it, ready to finish. The error is the input's
/// (a failed read); the capture's come when the loader finishes.
pub(crate) fn read(
    input: impl Read + Send,
    mut loader: Loader,
    progress: &mut dyn FnMut(Progress),
) -> io::Result<Loader> {
    let mut input = input;
    let source = &mut input;
    let threaded = std::thread::scope(|s| -> Option<io::Result<()>> {
        // Full buffers (with the bytes read) come to this thread, emptied ones go back.
        let (full_tx, full) = sync_channel::<io::Result<(Vec<u8>, usize)>>(BUFFERS);
        let (empty, empty_rx) = sync_channel::<Vec<u8>>(BUFFERS);
        std::thread::Builder::new()
            .spawn_scoped(s, move || {
                while let Ok(mut buf) = empty_rx.recv() {
                    let got = read_some(source, &mut buf);
                    let end = !matches!(got, Ok(n) if n > 0);
                    if full_tx.send(got.map(|n| (buf, n))).is_err() || end {
                        break;
                    }
                }
            })
            .ok()?;
        for _ in 0..BUFFERS {
            // The reader stops only at the end of the input or an error, both handled below.
            let _ = empty.send(vec![0u8; CHUNK]);
        }
        loop {
            match full.recv() {
                // The end of the input (or of the reader, which ends only there).
                Ok(Ok((_, 0))) | Err(_) => return Some(Ok(())),
                Ok(Ok((buf, n))) => {
                    loader.feed(buf.get(..n).unwrap_or(&[]), progress);
                    let _ = empty.send(buf);
                }
                Ok(Err(e)) => return Some(Err(e)),
            }
        }
    });
    match threaded {
        Some(done) => done?,
        // No thread to be had: read here, one chunk at a time.
        None => {
            let mut buf = vec![0u8; CHUNK];
            loop {
                match read_some(&mut input, &mut buf)? {
                    0 => break,
                    n => loader.feed(buf.get(..n).unwrap_or(&[]), progress),
                }
            }
        }
    }
    Ok(loader)
}

/// One read, retried when interrupted by a signal.
fn read_some(input: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match input.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            got => return got,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spop_codec::capture::{Capture, LoadError, LoadOptions};

    /// A reader as a pipe gives it: a few bytes at a time, interrupted by signals now and then,
    /// and failing at `fail_at` if set.
    struct Trickle<'a> {
        bytes: &'a [u8],
        at: usize,
        calls: usize,
        fail_at: Option<usize>,
    }

    impl std::io::Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.calls += 1;
            if self.calls.is_multiple_of(3) {
                return Err(std::io::ErrorKind::Interrupted.into());
            }
            if self.fail_at.is_some_and(|f| self.at >= f) {
                return Err(std::io::Error::other("the disk is on fire"));
            }
            let n = (self.calls % 7 * 97 + 1)
                .min(buf.len())
                .min(self.bytes.len() - self.at);
            buf[..n].copy_from_slice(&self.bytes[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    /// [`read`] into a fresh loader, finished.
    fn read_whole(
        input: impl Read + Send,
        total: Option<usize>,
        progress: &mut dyn FnMut(Progress),
    ) -> io::Result<Result<Capture, LoadError>> {
        let mut loader = Loader::new(LoadOptions::default());
        if let Some(total) = total {
            loader = loader.with_total(total);
        }
        super::read(input, loader, progress).map(|l| l.finish(progress))
    }

    #[test]
    fn reading_a_file_or_pipe_gives_the_same_capture() {
        for (name, bytes) in spop_tests::fixtures() {
            let whole = spop_codec::capture::load(&bytes, &LoadOptions::default());
            let file = std::io::Cursor::new(bytes.clone());
            let read = read_whole(file, None, &mut |_| {});
            assert_eq!(read.unwrap(), whole, "{name}");
            let pipe = Trickle {
                bytes: &bytes,
                at: 0,
                calls: 0,
                fail_at: None,
            };
            let mut seen = Vec::new();
            let read = read_whole(pipe, Some(bytes.len()), &mut |p| seen.push(p));
            assert_eq!(read.unwrap(), whole, "{name}, read a few bytes at a time");
            assert!(!seen.is_empty(), "{name}: no progress");

            // A failed read is the input's error, not a capture cut short.
            let broken = Trickle {
                bytes: &bytes,
                at: 0,
                calls: 0,
                fail_at: Some(bytes.len() / 2),
            };
            let read = read_whole(broken, None, &mut |_| {});
            assert_eq!(
                read.unwrap_err().to_string(),
                "the disk is on fire",
                "{name}"
            );
        }
    }
}
