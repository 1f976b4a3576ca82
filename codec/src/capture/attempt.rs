//! Connection attempts to an SPOP agent that never carried a byte of SPOP: refused (the SYN
//! answered by a RST: nothing listens), unanswered, or closed before HAProxy sent its HELLO.
//! An agent that was down shows only as these, so they are kept beside the SPOP connections
//! instead of being counted as other traffic.

use core::net::SocketAddr;

use super::tcp::{Connection, PacketRef, Stream, StreamStart, TcpEvent};

/// A TCP connection (or attempt) to an agent's address without SPOP bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// 0-based, in order of first packet.
    pub id: usize,
    /// The side that sent the SYN: HAProxy.
    pub haproxy: SocketAddr,
    /// The agent's address.
    pub agent: SocketAddr,
    /// `[HAProxy → agent, agent → HAProxy]`: no bytes, only their TCP events.
    pub streams: [Stream; 2],
    /// First packet.
    pub first: PacketRef,
    /// Last packet.
    pub last: PacketRef,
}

/// How an [`Attempt`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
pub enum AttemptOutcome {
    /// The agent's side answered the SYN with a RST: nothing listened on the address.
    Refused,
    /// Nothing came back from the agent's address.
    Unanswered,
    /// The connection was made and closed (FIN or RST) before any SPOP byte.
    Closed,
    /// The connection was made and was still open, without SPOP bytes, when the capture ended.
    Open,
}

impl AttemptOutcome {
    /// Stable machine name (`refused`, `unanswered`, `closed`, `open`).
    pub const fn name(self) -> &'static str {
        match self {
            AttemptOutcome::Refused => "refused",
            AttemptOutcome::Unanswered => "unanswered",
            AttemptOutcome::Closed => "closed",
            AttemptOutcome::Open => "open",
        }
    }

    /// Whether the agent could not be reached by this attempt.
    pub const fn failed(self) -> bool {
        matches!(self, AttemptOutcome::Refused | AttemptOutcome::Unanswered)
    }
}

impl Attempt {
    /// An attempt from a reassembled TCP connection whose client is HAProxy.
    pub fn from_tcp(id: usize, conn: Connection) -> Self {
        Attempt {
            id,
            haproxy: conn.client,
            agent: conn.server,
            streams: conn.streams,
            first: conn.first,
            last: conn.last,
        }
    }

    /// How it ended.
    pub fn outcome(&self) -> AttemptOutcome {
        let [h, a] = &self.streams;
        if a.start != StreamStart::Syn && a.events.is_empty() && h.start == StreamStart::Syn {
            return AttemptOutcome::Unanswered;
        }
        if a.start != StreamStart::Syn && a.rst.is_some() && h.start == StreamStart::Syn {
            return AttemptOutcome::Refused;
        }
        if [h, a].iter().any(|s| s.fin.is_some() || s.rst.is_some()) {
            AttemptOutcome::Closed
        } else {
            AttemptOutcome::Open
        }
    }

    /// SYNs HAProxy sent (its first and the retransmissions before an answer).
    pub fn syns(&self) -> usize {
        let [h, _] = &self.streams;
        usize::from(h.start == StreamStart::Syn)
            + h.events
                .iter()
                .filter(|e| e.kind == super::tcp::TcpEventKind::Retransmission)
                .count()
    }

    /// Both sides' TCP events in capture order, each with whether HAProxy sent it.
    pub fn events(&self) -> impl Iterator<Item = (bool, TcpEvent)> + '_ {
        merged_events(&self.streams)
    }
}

/// The events of a connection's two streams `[client → server, server → client]` merged in
/// packet order, each with whether the first stream's sender sent it.
pub fn merged_events(streams: &[Stream; 2]) -> impl Iterator<Item = (bool, TcpEvent)> + '_ {
    let [a, b] = streams;
    let (mut i, mut j) = (0, 0);
    core::iter::from_fn(move || {
        let x = a.events.get(i);
        let y = b.events.get(j);
        let take_a = match (x, y) {
            (Some(x), Some(y)) => x.packet.number <= y.packet.number,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => return None,
        };
        if take_a {
            i += 1;
            x.map(|e| (true, *e))
        } else {
            j += 1;
            y.map(|e| (false, *e))
        }
    })
}
