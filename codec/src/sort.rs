//! Stable sorting with a single copy of the sort in a binary.
//!
//! Each `sort_by` on another element type or comparator is another copy of the standard
//! library's stable sort (4 to 5 KB of wasm each; a dozen of them in the web bundle). The
//! short lists (findings, report sections, verdict lines) go through [`sort_by`] instead: one
//! sort of indices for them all, the comparator behind a `dyn`. Long lists where the sort's
//! speed matters (the timeline) keep the standard sort, `sort_unstable` (with no stable sort
//! left, the wasm has none of the stable sort's code).

use alloc::vec::Vec;
use core::cmp::Ordering;

/// Sorts `v` by `cmp`, stably (equal elements keep their order), like `slice::sort_by`.
pub fn sort_by<T>(v: &mut [T], cmp: impl Fn(&T, &T) -> Ordering) {
    let mut order: Vec<usize> = (0..v.len()).collect();
    sort_indices(&mut order, &|a, b| match (v.get(a), v.get(b)) {
        (Some(x), Some(y)) => cmp(x, y),
        _ => Ordering::Equal,
    });
    // Moves the elements in place, as `slice::sort_by_cached_key` does: `order[i]` is where
    // place i's element was; an earlier swap moved it if that is before i, so follow the moves.
    for i in 0..order.len() {
        let mut from = order.get(i).copied().unwrap_or(i);
        while from < i {
            from = order.get(from).copied().unwrap_or(i);
        }
        if let Some(o) = order.get_mut(i) {
            *o = from;
        }
        v.swap(i, from);
    }
}

/// Sorts `v` by the key `key` gives, stably, like `slice::sort_by_key`.
pub fn sort_by_key<T, K: Ord>(v: &mut [T], key: impl Fn(&T) -> K) {
    sort_by(v, |a, b| key(a).cmp(&key(b)));
}

// Not inlined into the callers: this is the one instance of the standard sort for them all.
// Unstable, ties broken by the index: the order is the stable one.
#[inline(never)]
fn sort_indices(order: &mut [usize], cmp: &dyn Fn(usize, usize) -> Ordering) {
    order.sort_unstable_by(|&a, &b| cmp(a, b).then(a.cmp(&b)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_like_the_standard_stable_sort() {
        // Pairs sorted by their first item only: the second tells whether ties kept their
        // order. A small generator covers lengths 0..40 with many ties and reversed runs.
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for len in 0..40usize {
            for _ in 0..20 {
                let v: Vec<(u8, usize)> = (0..len)
                    .map(|i| {
                        seed ^= seed << 13;
                        seed ^= seed >> 7;
                        seed ^= seed << 17;
                        ((seed % 5) as u8, i)
                    })
                    .collect();
                let mut ours = v.clone();
                sort_by_key(&mut ours, |p| p.0);
                let mut std = v.clone();
                std.sort_by_key(|p| p.0);
                assert_eq!(ours, std, "{v:?}");
            }
        }
    }

    #[test]
    fn sorts_by_a_comparator() {
        let mut v = alloc::vec![3, 1, 2, 5, 4];
        sort_by(&mut v, |a, b| b.cmp(a));
        assert_eq!(v, [5, 4, 3, 2, 1]);
    }
}
