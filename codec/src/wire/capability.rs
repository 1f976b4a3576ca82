//! The `capabilities` list of the HELLO frames: comma-separated names, spaces around a name
//! ignored, empty items skipped (as HAProxy reads it; docs/protocol.md §5, §7).

use alloc::string::String;
use core::fmt;

use crate::display::text;
use crate::Span;

/// A capability named in a HELLO's `capabilities` list.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Capability {
    /// `pipelining`: several NOTIFYs in flight on one connection.
    Pipelining,
    /// `async`: an ACK may come back on another connection (removed in HAProxy 3.1).
    Async,
    /// `fragmentation`: frames split over several (removed in HAProxy 3.1).
    Fragmentation,
    /// A name HAProxy does not know (and ignores); as [`capabilities`] reads it, text safe to
    /// show ([`text`](crate::display::text)).
    Other(String),
}

impl Capability {
    /// The capability a (trimmed) name stands for; names are case-sensitive, as HAProxy
    /// compares them.
    pub fn from_name(name: &str) -> Capability {
        match name {
            "pipelining" => Capability::Pipelining,
            "async" => Capability::Async,
            "fragmentation" => Capability::Fragmentation,
            other => Capability::Other(String::from(other)),
        }
    }

    /// The name as written in the list.
    pub fn name(&self) -> &str {
        match self {
            Capability::Pipelining => "pipelining",
            Capability::Async => "async",
            Capability::Fragmentation => "fragmentation",
            Capability::Other(name) => name,
        }
    }

    /// True for a capability some HAProxy version knows.
    pub const fn is_known(&self) -> bool {
        !matches!(self, Capability::Other(_))
    }

    /// True for `async` and `fragmentation`: known up to HAProxy 3.0, removed in 3.1.
    pub const fn is_obsolete(&self) -> bool {
        matches!(self, Capability::Async | Capability::Fragmentation)
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

// As its name: the JSON of a list of capabilities is the list of names.
#[cfg(feature = "serde")]
impl serde::Serialize for Capability {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// The capabilities of a `capabilities` string whose bytes start at stream offset `at`, each
/// with the bytes of its name (white space around it left out). The string is read as
/// [`text`](crate::display::text) text, item by item: a comma is never part of a longer
/// UTF-8 sequence or of an escape, so the items are the same as in the whole string's text.
pub fn capabilities(bytes: &[u8], at: usize) -> impl Iterator<Item = (Capability, Span)> + '_ {
    let mut start = at;
    bytes.split(|&b| b == b',').filter_map(move |item| {
        let item_start = start;
        start = start.saturating_add(item.len()).saturating_add(1);
        let shown = text(item);
        let name = shown.trim();
        if name.is_empty() {
            return None;
        }
        // Trimmed white space is never escaped or replaced, so it has as many bytes in the
        // text as in the input.
        let lead = shown.len() - shown.trim_start().len();
        let trail = shown.len() - shown.trim_end().len();
        let span = Span::new(
            item_start.saturating_add(lead),
            item_start.saturating_add(item.len()).saturating_sub(trail),
        );
        Some((Capability::from_name(name), span))
    })
}

#[cfg(test)]
mod tests {
    use super::{capabilities, Capability};
    use crate::Span;
    use alloc::string::String;
    use alloc::vec::Vec;

    #[test]
    fn names_with_their_bytes() {
        let list: Vec<(Capability, Span)> =
            capabilities(b" pipelining,,async , x\x1b", 100).collect();
        assert_eq!(
            list,
            [
                (Capability::Pipelining, Span::new(101, 111)),
                (Capability::Async, Span::new(113, 118)),
                (
                    Capability::Other(String::from("x\\u{1b}")),
                    Span::new(121, 123)
                ),
            ]
        );
        assert!(list
            .iter()
            .all(|(c, _)| !c.name().is_empty() && Capability::from_name(c.name()) == *c));
        assert!(capabilities(b" , ", 0).next().is_none());
    }

    #[test]
    fn known_and_obsolete() {
        assert!(Capability::Fragmentation.is_obsolete() && Capability::Async.is_known());
        assert!(!Capability::Pipelining.is_obsolete());
        assert!(!Capability::from_name("Pipelining").is_known());
    }
}
