//! The capture layer: what users actually have (pcap, pcapng, pasted text) turned into SPOP
//! byte streams with timing.
//!
//! ```text
//! bytes ─ detect ─┬─ pcap / pcapng ─ packets ─ link ─ ip ─ TCP segments ─ tcp (reassembly)
//!                 └─ text (hex dumps and friends) ──────────────────────┘
//!                                   → per-connection, per-direction byte streams + segment map
//! ```

// The loading API (attempt, error, load) is used flat, `capture::load`, `capture::LoadError`;
// the format readers, reassembly and SPOP detection keep their module in the path
// (`capture::pcap::PcapReader`, `capture::tcp::Gap`). One path for each item either way.
pub(crate) mod attempt;
pub mod bundle;
pub(crate) mod error;
pub mod ip;
pub mod link;
pub(crate) mod load;
pub mod pcap;
pub mod pcapng;
#[cfg(feature = "parallel")]
mod shards;
pub mod spop;
pub mod tcp;
pub mod text;

pub use attempt::{Attempt, AttemptOutcome};
pub use error::{
    CaptureError, CaptureErrorKind, CaptureFormat, IpFragment, Layer, Malformed, NotTcp,
    PacketIssue, Problem, Truncated,
};
pub(crate) use ip::tcp_segment;
pub use load::{gunzip, is_gzip, GzipError, KnownFile, GZIP_MAX_INFLATED};
pub use load::{
    load, load_with_progress, Capture, Container, InputKind, LoadError, LoadOptions, Loader,
    PacketNote, StreamBytes, TextIssue, MAX_NOTES, NO_PACKETS, PROBE_SESSION_KEY,
};

use core::net::SocketAddr;

/// Nanoseconds since the Unix epoch (pcap and pcapng timestamps normalised to one unit).
pub type Timestamp = u64;

/// A link-layer header type, as numbered by tcpdump's LINKTYPE_* registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct LinkType(pub u32);

impl LinkType {
    /// BSD loopback (`lo0` on macOS/BSD): 4-byte address family in host byte order.
    pub const NULL: LinkType = LinkType(0);
    /// Ethernet II, with optional 802.1Q / QinQ tags.
    pub const ETHERNET: LinkType = LinkType(1);
    /// Raw IP (IPv4 or IPv6, by version nibble).
    pub const RAW: LinkType = LinkType(101);
    /// OpenBSD loopback: 4-byte address family in network byte order.
    pub const LOOP: LinkType = LinkType(108);
    /// Linux cooked capture v1 (`tcpdump -i any`).
    pub const LINUX_SLL: LinkType = LinkType(113);
    /// Raw IPv4.
    pub const IPV4: LinkType = LinkType(228);
    /// Raw IPv6.
    pub const IPV6: LinkType = LinkType(229);
    /// Linux cooked capture v2 (newer `tcpdump -i any`).
    pub const LINUX_SLL2: LinkType = LinkType(276);
}

/// One captured packet, borrowed from the capture file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<'a> {
    /// 1-based packet number, as Wireshark counts (across all sections/interfaces).
    pub number: u32,
    /// Capture time.
    pub timestamp: Timestamp,
    /// Link type of the interface the packet was captured on.
    pub link_type: LinkType,
    /// The captured bytes (possibly cut by the snapshot length).
    pub data: &'a [u8],
    /// The packet's length on the wire; larger than `data.len()` when snaplen truncated it.
    pub orig_len: u32,
    /// Offset of `data` in the capture file (for highlighting raw bytes).
    pub file_offset: usize,
}

impl Packet<'_> {
    /// True if the snapshot length cut the packet.
    pub fn is_truncated(&self) -> bool {
        (self.data.len() as u64) < u64::from(self.orig_len)
    }
}

/// TCP header flags of interest for reassembly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TcpFlags {
    /// SYN.
    pub syn: bool,
    /// ACK.
    pub ack: bool,
    /// FIN.
    pub fin: bool,
    /// RST.
    pub rst: bool,
    /// PSH.
    pub psh: bool,
}

/// A TCP segment extracted from a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpSegment<'a> {
    /// Sender address and port.
    pub src: SocketAddr,
    /// Receiver address and port.
    pub dst: SocketAddr,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgement number.
    pub ack: u32,
    /// Flags.
    pub flags: TcpFlags,
    /// The receive window the sender announces, as written in the header (before any
    /// window scaling).
    pub window: u16,
    /// The window scale option's shift count (RFC 7323), read from SYN segments only (the
    /// only ones it may appear in); `None` for other segments and SYNs without the option.
    pub window_scale: Option<u8>,
    /// The TCP payload present in the capture (may be shorter than `payload_len` when the
    /// snapshot length cut the packet).
    pub payload: &'a [u8],
    /// Payload length according to the IP header (what the sender sent).
    pub payload_len: u32,
    /// Offset of `payload` within the packet's data.
    pub payload_offset: usize,
}
