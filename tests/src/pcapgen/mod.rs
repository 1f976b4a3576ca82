//! Capture files and packets built byte by byte, for tests.
//!
//! Three layers, each usable alone:
//!
//! * [`TcpPacket`]: a TCP segment in an IPv4 or IPv6 packet (options, extension headers,
//!   fragment fields, checksums), framed for any supported link type with
//!   [`TcpPacket::ethernet`], [`TcpPacket::sll`], [`TcpPacket::frame`] …
//! * [`TcpConversation`]: keeps both directions' sequence numbers so reassembly tests read
//!   like the exchange they describe (handshake, data, retransmission, FIN).
//! * [`PcapWriter`] / [`PcapngWriter`]: capture files in either byte order, with any
//!   timestamp resolution, snapshot length, sections, interfaces and raw blocks.
//!
//! ```
//! use spop_codec::capture::LinkType;
//! use spop_tests::pcapgen::{PcapWriter, TcpConversation};
//!
//! let mut conn = TcpConversation::new("127.0.0.1:40000", "127.0.0.1:12345");
//! let mut pcap = PcapWriter::new(LinkType::ETHERNET).nanos();
//! for (i, packet) in conn.handshake().iter().enumerate() {
//!     pcap.packet(1_000 + i as u64, &packet.ethernet());
//! }
//! pcap.packet(2_000, &conn.client(b"hello").ethernet());
//! let file: Vec<u8> = pcap.finish();
//! assert_eq!(spop_codec::capture::pcap::PcapReader::new(&file).unwrap().count(), 4);
//! ```
//!
//! Builders panic on impossible requests (a payload over 64 KiB, mixed address families):
//! they are test code.

mod conversation;
mod file;
mod link;
mod packet;

pub use conversation::TcpConversation;
pub use file::{InterfaceDescription, PcapWriter, PcapngWriter};
pub use link::{
    ethernet, ethernet_typed, frame, loop_family, null, null_family, openbsd_loop, sll, sll2,
    sll2_typed, sll_typed, VlanTag, AF_INET, AF_INET6_DARWIN, AF_INET6_FREEBSD, AF_INET6_OPENBSD,
};
pub use packet::{Endpoint, Flags, Fragment, Ipv6Ext, TcpPacket};

/// Byte order of a capture file (or of a BSD NULL header).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Endian {
    /// Least significant byte first (x86, ARM: what most captures are).
    #[default]
    Little,
    /// Most significant byte first.
    Big,
}

impl Endian {
    pub(crate) fn u16(self, v: u16) -> [u8; 2] {
        match self {
            Endian::Little => v.to_le_bytes(),
            Endian::Big => v.to_be_bytes(),
        }
    }

    pub(crate) fn u32(self, v: u32) -> [u8; 4] {
        match self {
            Endian::Little => v.to_le_bytes(),
            Endian::Big => v.to_be_bytes(),
        }
    }

    pub(crate) fn u64(self, v: u64) -> [u8; 8] {
        match self {
            Endian::Little => v.to_le_bytes(),
            Endian::Big => v.to_be_bytes(),
        }
    }
}
