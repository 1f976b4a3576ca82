//! Spreading the work over cores (feature `parallel`, which needs std): TCP reassembly by
//! connection, the timeline scan by connection, the rules by frame range and by connection
//! range. The results are exactly those of one thread: the work is cut into parts whose outputs
//! are put together in order.
//!
//! Without the feature (the browser build) there is one part, run on the calling thread.

use alloc::vec::Vec;

/// Below this many units of work (frames, stream bytes / 128, or file bytes / 256 for
/// reassembly) a second thread costs more than it saves.
const MIN_WORK: usize = 50_000;

/// Most parts (threads) ever asked for: more than any machine this runs on gains from, few
/// enough that each thread's buffers stay small in total.
const MAX_PARTS: usize = 64;

/// How many parts to cut `work` units into: with `requested` 0 one per core, but one for small
/// inputs; else `requested` (so tests can cut even small inputs), at most [`MAX_PARTS`].
/// Always one without the feature.
pub(crate) fn parts(requested: usize, work: usize) -> usize {
    #[cfg(feature = "parallel")]
    {
        match requested {
            0 if work < MIN_WORK => 1,
            0 => std::thread::available_parallelism()
                .map_or(1, usize::from)
                .min(work / MIN_WORK),
            n => n.min(work),
        }
        .clamp(1, MAX_PARTS)
    }
    #[cfg(not(feature = "parallel"))]
    {
        let _ = (requested, work, MIN_WORK, MAX_PARTS);
        1
    }
}

/// Part `p` of `items` cut into `parts` nearly equal ranges.
pub(crate) fn part<T>(items: &[T], p: usize, parts: usize) -> &[T] {
    let parts = parts.max(1);
    let n = items.len();
    let at = |p: usize| n / parts * p + (n % parts).min(p);
    items.get(at(p)..at(p + 1)).unwrap_or(&[])
}

/// Runs `first()` on this thread and `rest(p)` for each part `p` in `1..parts` on threads of
/// their own, and returns the results in part order. A part whose thread cannot be started
/// (or dies) runs on this thread instead. `parts` comes from [`parts`]: always 1 without the
/// feature, so only `first` runs (and the browser's build carries no code for the others).
pub(crate) fn join<T: Send>(
    parts: usize,
    first: impl FnOnce() -> T,
    rest: impl Fn(usize) -> T + Sync,
) -> Vec<T> {
    #[cfg(feature = "parallel")]
    if parts > 1 {
        let rest = &rest;
        return std::thread::scope(|s| {
            let handles: Vec<_> = (1..parts)
                .map(|p| std::thread::Builder::new().spawn_scoped(s, move || rest(p)))
                .collect();
            let mut out = Vec::with_capacity(parts);
            out.push(first());
            for (p, h) in (1..parts).zip(handles) {
                out.push(match h {
                    Ok(h) => h.join().unwrap_or_else(|_| rest(p)),
                    Err(_) => rest(p),
                });
            }
            out
        });
    }
    let _ = (parts, rest);
    alloc::vec![first()]
}

/// Hands every item of `items` to `consume` on this thread, in order, with `produce(item)`
/// computed ahead on another thread for items `k` with `k % parts != 0` (`None`: this thread
/// does the item itself). A few results per thread wait at most, so memory does not grow with
/// the input; item `k` goes to thread `k % parts`, so similar items share the work evenly.
pub(crate) fn in_order<I: Sync, T: Send>(
    items: &[I],
    parts: usize,
    produce: impl Fn(&I) -> T + Sync,
    mut consume: impl FnMut(&I, Option<T>),
) {
    #[cfg(feature = "parallel")]
    if parts > 1 {
        use std::sync::mpsc::{sync_channel, Receiver};
        let produce = &produce;
        std::thread::scope(|s| {
            let workers: Vec<Option<Receiver<T>>> = (1..parts)
                .map(|w| {
                    let (tx, rx) = sync_channel(4);
                    std::thread::Builder::new()
                        .spawn_scoped(s, move || {
                            for item in items.iter().skip(w).step_by(parts) {
                                if tx.send(produce(item)).is_err() {
                                    break;
                                }
                            }
                        })
                        .ok()
                        .map(|_| rx)
                })
                .collect();
            for (k, item) in items.iter().enumerate() {
                let made = match (k % parts).checked_sub(1) {
                    Some(w) => workers
                        .get(w)
                        .and_then(Option::as_ref)
                        .and_then(|rx| rx.recv().ok()),
                    None => None,
                };
                consume(item, made);
            }
        });
        return;
    }
    let _ = (parts, &produce);
    for item in items {
        consume(item, None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_keeps_part_order() {
        #[cfg(feature = "parallel")]
        assert_eq!(join(4, || 0usize, |p| p * 10), [0, 10, 20, 30]);
        assert_eq!(join(1, || 7, |_| 0), [7]);
    }

    #[test]
    fn in_order_consumes_every_item_in_order() {
        let items: Vec<u32> = (0..1000).collect();
        for parts in [1, 2, 3, 5] {
            let mut seen = Vec::new();
            in_order(
                &items,
                parts,
                |&i| i * 2,
                |&i, made| seen.push(made.unwrap_or(i * 2)),
            );
            assert_eq!(seen, items.iter().map(|i| i * 2).collect::<Vec<_>>());
        }
    }

    #[test]
    fn parts_cover_the_items_once_in_order() {
        let items: Vec<usize> = (0..10).collect();
        for parts in 1..=12 {
            let joined: Vec<usize> = (0..parts)
                .flat_map(|p| part(&items, p, parts).iter().copied())
                .collect();
            assert_eq!(joined, items, "{parts} parts");
            let sizes: Vec<usize> = (0..parts).map(|p| part(&items, p, parts).len()).collect();
            assert!(sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1);
        }
    }

    #[test]
    fn small_work_stays_on_one_thread() {
        assert_eq!(parts(0, MIN_WORK - 1), 1);
        assert_eq!(parts(1, 10 * MIN_WORK), 1);
        assert_eq!(parts(5, 0), 1);
        #[cfg(feature = "parallel")]
        {
            assert_eq!(parts(3, 10 * MIN_WORK), 3);
            assert_eq!(parts(3, 2), 2);
            assert_eq!(parts(1000, usize::MAX), MAX_PARTS);
        }
        #[cfg(not(feature = "parallel"))]
        assert_eq!(parts(3, 10 * MIN_WORK), 1);
    }
}
