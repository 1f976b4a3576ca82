//! Capture errors as data, in the etherparse style: which layer, at what offset, what was
//! needed and what was there.
//!
//! Two families, because they have different consequences for a caller:
//!
//! * [`CaptureError`]: the capture *file* (pcap / pcapng container) is damaged. It carries a
//!   file offset. After an error that loses the file's framing the reader stops; an error
//!   inside a well-framed pcapng block costs only that block.
//! * [`PacketIssue`]: one packet did not yield a TCP segment. It carries an offset inside the
//!   packet. Most issues are ordinary (`NotTcp` is skipped silently by callers); the rest are
//!   findings about that one packet, never a reason to stop reading.

use core::fmt;
use core::net::IpAddr;

use super::ip::IpVersion;
use super::pcapng::BlockType;
use super::LinkType;

/// The capture container format an error was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
pub enum CaptureFormat {
    /// Classic libpcap format.
    Pcap,
    /// pcapng (blocks, sections, interfaces).
    Pcapng,
}

impl CaptureFormat {
    /// The format's usual name.
    pub const fn name(self) -> &'static str {
        match self {
            CaptureFormat::Pcap => "pcap",
            CaptureFormat::Pcapng => "pcapng",
        }
    }
}

/// A damaged capture file: where, in which format, and what is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct CaptureError {
    /// The container format being read.
    pub format: CaptureFormat,
    /// File offset of the structure at fault (file header, pcap record header, pcapng block).
    pub offset: usize,
    /// What is wrong.
    pub kind: CaptureErrorKind,
}

/// What is wrong in a capture file. Record and packet numbers are 1-based, as Wireshark counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case", tag = "kind"))]
pub enum CaptureErrorKind {
    /// The file is shorter than the format's file header (pcap) or first block header (pcapng).
    FileHeaderTooShort {
        /// Bytes the header needs.
        needed: usize,
        /// Bytes in the file.
        available: usize,
    },
    /// The file does not start with the format's magic number.
    BadMagic {
        /// The first four bytes, read big-endian.
        found: u32,
    },
    /// A pcapng Section Header Block whose byte-order magic is neither 0x1A2B3C4D nor its swap.
    BadByteOrderMagic {
        /// The four bytes, read big-endian.
        found: u32,
    },
    /// A format version this reader does not understand (pcap 2.x and pcapng 1.x are read).
    UnsupportedVersion {
        /// Major version.
        major: u16,
        /// Minor version.
        minor: u16,
    },
    /// Fewer bytes than a pcap record header (16) are left at the end of the file.
    RecordHeaderTooShort {
        /// Record number.
        record: u32,
        /// Bytes a record header needs.
        needed: usize,
        /// Bytes left in the file.
        available: usize,
    },
    /// A pcap record's captured length runs past the end of the file.
    RecordPastEnd {
        /// Record number.
        record: u32,
        /// The record header's captured length (incl_len).
        claimed: u32,
        /// Bytes left in the file after the record header.
        available: usize,
    },
    /// Fewer bytes than a pcapng block header and trailer (12) are left in the file.
    BlockHeaderTooShort {
        /// Bytes a block needs at least.
        needed: usize,
        /// Bytes left in the file.
        available: usize,
    },
    /// A pcapng block total length below 12 or not a multiple of 4.
    BlockLengthInvalid {
        /// The block type.
        block_type: BlockType,
        /// The block total length.
        length: u32,
    },
    /// A pcapng block's total length runs past the end of the file.
    BlockPastEnd {
        /// The block type.
        block_type: BlockType,
        /// The block total length.
        length: u32,
        /// Bytes left in the file from the block's start.
        available: usize,
    },
    /// The trailing copy of a pcapng block's total length differs from the leading one.
    BlockLengthMismatch {
        /// The block type.
        block_type: BlockType,
        /// Length at the start of the block.
        leading: u32,
        /// Length at the end of the block.
        trailing: u32,
    },
    /// A pcapng block body is shorter than its fixed fields.
    BlockBodyTooShort {
        /// The block type.
        block_type: BlockType,
        /// Bytes the fixed fields need.
        needed: usize,
        /// Bytes in the body.
        available: usize,
    },
    /// A pcapng packet block whose captured length exceeds the block body.
    PacketPastBlock {
        /// The block type.
        block_type: BlockType,
        /// Packet number.
        packet: u32,
        /// The captured length field.
        captured: u32,
        /// Bytes of packet data the body can hold.
        available: usize,
    },
    /// A pcapng packet block referring to an interface that this section does not describe.
    UnknownInterface {
        /// The block type.
        block_type: BlockType,
        /// Packet number.
        packet: u32,
        /// The interface id in the block.
        interface_id: u32,
        /// Interfaces described so far in the section.
        interfaces: usize,
    },
}

impl CaptureErrorKind {
    /// Whether the error only says the input ended early (a header, record or block cut off
    /// by its end): reading the file in chunks, such a position waits for the next chunk.
    pub const fn is_cut_off(&self) -> bool {
        matches!(
            self,
            CaptureErrorKind::FileHeaderTooShort { .. }
                | CaptureErrorKind::RecordHeaderTooShort { .. }
                | CaptureErrorKind::RecordPastEnd { .. }
                | CaptureErrorKind::BlockHeaderTooShort { .. }
                | CaptureErrorKind::BlockPastEnd { .. }
        )
    }
}

impl fmt::Display for CaptureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use CaptureErrorKind as K;
        let format = self.format.name();
        let offset = self.offset;
        match self.kind {
            K::FileHeaderTooShort { needed, available } => write!(
                f,
                "{format} file header at offset {offset:#x}: needs {needed} bytes, only {available} in the file"
            ),
            K::BadMagic { found } => match self.format {
                CaptureFormat::Pcap => write!(
                    f,
                    "not a pcap file: magic {found:#010x} at offset {offset:#x} (expected a1b2c3d4, d4c3b2a1, a1b23c4d or 4d3cb2a1)"
                ),
                CaptureFormat::Pcapng => write!(
                    f,
                    "not a pcapng file: block type {found:#010x} at offset {offset:#x} is not a Section Header Block (0a0d0d0a)"
                ),
            },
            K::BadByteOrderMagic { found } => write!(
                f,
                "pcapng Section Header Block at offset {offset:#x}: byte-order magic {found:#010x} (expected 1a2b3c4d or 4d3c2b1a)"
            ),
            K::UnsupportedVersion { major, minor } => {
                let expected = match self.format {
                    CaptureFormat::Pcap => "2.x",
                    CaptureFormat::Pcapng => "1.x",
                };
                write!(
                    f,
                    "{format} header at offset {offset:#x}: version {major}.{minor} is not supported (expected {expected})"
                )
            }
            K::RecordHeaderTooShort {
                record,
                needed,
                available,
            } => write!(
                f,
                "pcap record {record} at offset {offset:#x}: its header needs {needed} bytes, only {available} left in the file"
            ),
            K::RecordPastEnd {
                record,
                claimed,
                available,
            } => write!(
                f,
                "pcap record {record} at offset {offset:#x}: claims {claimed} bytes, only {available} left in the file"
            ),
            K::BlockHeaderTooShort { needed, available } => write!(
                f,
                "pcapng block at offset {offset:#x}: a block needs at least {needed} bytes, only {available} left in the file"
            ),
            K::BlockLengthInvalid { block_type, length } => write!(
                f,
                "pcapng {block_type} at offset {offset:#x}: block length {length} is invalid (must be a multiple of 4 and at least 12)"
            ),
            K::BlockPastEnd {
                block_type,
                length,
                available,
            } => write!(
                f,
                "pcapng {block_type} at offset {offset:#x}: claims {length} bytes, only {available} left in the file"
            ),
            K::BlockLengthMismatch {
                block_type,
                leading,
                trailing,
            } => write!(
                f,
                "pcapng {block_type} at offset {offset:#x}: trailing block length {trailing} differs from the leading {leading}"
            ),
            K::BlockBodyTooShort {
                block_type,
                needed,
                available,
            } => write!(
                f,
                "pcapng {block_type} at offset {offset:#x}: its fields need {needed} bytes, the block body has {available}"
            ),
            K::PacketPastBlock {
                block_type,
                packet,
                captured,
                available,
            } => write!(
                f,
                "pcapng {block_type} at offset {offset:#x} (packet {packet}): captured length {captured} exceeds the {available} bytes the block holds"
            ),
            K::UnknownInterface {
                block_type,
                packet,
                interface_id,
                interfaces,
            } => write!(
                f,
                "pcapng {block_type} at offset {offset:#x} (packet {packet}): interface {interface_id} is not described in this section ({interfaces} interface(s) so far)"
            ),
        }
    }
}

impl core::error::Error for CaptureError {}

/// The protocol layer of a packet an issue was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
pub enum Layer {
    /// Ethernet II header.
    Ethernet,
    /// An 802.1Q / 802.1ad VLAN tag.
    Vlan,
    /// Linux cooked capture v1 header.
    LinuxSll,
    /// Linux cooked capture v2 header.
    LinuxSll2,
    /// BSD loopback (NULL) header.
    Null,
    /// OpenBSD loopback (LOOP) header.
    Loop,
    /// Raw IP: the version nibble.
    RawIp,
    /// IPv4 header (with options).
    Ipv4,
    /// IPv6 fixed header.
    Ipv6,
    /// IPv6 hop-by-hop options header.
    Ipv6HopByHop,
    /// IPv6 routing header.
    Ipv6Routing,
    /// IPv6 destination options header.
    Ipv6DestinationOptions,
    /// IPv6 fragment header.
    Ipv6Fragment,
    /// IP authentication header (IPv4 or IPv6).
    IpAuth,
    /// TCP header (with options).
    Tcp,
}

impl Layer {
    /// Human-readable name of the header.
    pub const fn name(self) -> &'static str {
        match self {
            Layer::Ethernet => "Ethernet header",
            Layer::Vlan => "VLAN tag",
            Layer::LinuxSll => "Linux cooked (SLL) header",
            Layer::LinuxSll2 => "Linux cooked v2 (SLL2) header",
            Layer::Null => "BSD loopback (NULL) header",
            Layer::Loop => "OpenBSD loopback (LOOP) header",
            Layer::RawIp => "raw IP version",
            Layer::Ipv4 => "IPv4 header",
            Layer::Ipv6 => "IPv6 header",
            Layer::Ipv6HopByHop => "IPv6 hop-by-hop options header",
            Layer::Ipv6Routing => "IPv6 routing header",
            Layer::Ipv6DestinationOptions => "IPv6 destination options header",
            Layer::Ipv6Fragment => "IPv6 fragment header",
            Layer::IpAuth => "IP authentication header",
            Layer::Tcp => "TCP header",
        }
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a packet did not yield a TCP segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case", tag = "issue"))]
pub enum PacketIssue {
    /// The capture's link type is not one this decoder reads.
    UnsupportedLinkType {
        /// The link type.
        link_type: LinkType,
    },
    /// The packet is not TCP (ARP, UDP, ICMP …): callers skip it, it is not an error.
    NotTcp(NotTcp),
    /// An IP fragment carrying (part of) a TCP segment. Fragments are reported, never
    /// reassembled: SPOP peers do not fragment, so one in a capture is worth showing.
    Fragment(IpFragment),
    /// The captured bytes end inside a header (the snapshot length cut the packet).
    Truncated(Truncated),
    /// A header is invalid, or a complete packet is too short for its headers.
    Malformed(Malformed),
}

impl fmt::Display for PacketIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PacketIssue::UnsupportedLinkType { link_type } => {
                match super::link::link_type_name(*link_type) {
                    Some(name) => write!(f, "link type {} ({name}) is not supported", link_type.0),
                    None => write!(f, "link type {} is not supported", link_type.0),
                }
            }
            PacketIssue::NotTcp(not_tcp) => write!(f, "not TCP: {not_tcp}"),
            PacketIssue::Fragment(fragment) => fragment.fmt(f),
            PacketIssue::Truncated(truncated) => truncated.fmt(f),
            PacketIssue::Malformed(malformed) => malformed.fmt(f),
        }
    }
}

impl core::error::Error for PacketIssue {}

/// What a non-TCP packet carries instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(
    feature = "serde",
    serde(rename_all = "kebab-case", tag = "kind", content = "value")
)]
pub enum NotTcp {
    /// A link layer carrying something other than IP, by EtherType (Ethernet, SLL, SLL2).
    /// Values below 0x0600 are 802.3 lengths or Linux pseudo-protocols, not EtherTypes.
    EtherType(u16),
    /// A loopback (NULL/LOOP) header with an address family other than IPv4/IPv6.
    AddressFamily(u32),
    /// An IP packet carrying another protocol (UDP 17, ICMP 1, ICMPv6 58, ESP 50 …).
    IpProtocol(u8),
}

impl fmt::Display for NotTcp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            NotTcp::EtherType(ether_type) => {
                let name = match ether_type {
                    0x0806 => " (ARP)",
                    0x8035 => " (RARP)",
                    0x88cc => " (LLDP)",
                    0x88e5 => " (MACsec)",
                    0x8847 | 0x8848 => " (MPLS)",
                    0x0000..=0x05ff => " (802.3 length or Linux pseudo-protocol)",
                    _ => "",
                };
                write!(f, "EtherType {ether_type:#06x}{name}")
            }
            NotTcp::AddressFamily(family) => write!(f, "loopback address family {family}"),
            NotTcp::IpProtocol(protocol) => {
                let name = match protocol {
                    1 => " (ICMP)",
                    2 => " (IGMP)",
                    17 => " (UDP)",
                    47 => " (GRE)",
                    50 => " (ESP)",
                    58 => " (ICMPv6)",
                    59 => " (no next header)",
                    132 => " (SCTP)",
                    _ => "",
                };
                write!(f, "IP protocol {protocol}{name}")
            }
        }
    }
}

/// An IP fragment: its identity and place in the original datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct IpFragment {
    /// IPv4 or IPv6.
    pub version: IpVersion,
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// Fragment identification (16 bits for IPv4, 32 for IPv6).
    pub id: u32,
    /// Position of this fragment's data in the original datagram, in bytes.
    pub offset: u32,
    /// True if more fragments follow (MF / M flag).
    pub more_fragments: bool,
    /// Upper-layer protocol: IPv4's protocol field, or the IPv6 fragment header's next header
    /// (which may be another extension header).
    pub protocol: u8,
    /// Offset of the IP header in the packet.
    pub ip_offset: usize,
}

impl fmt::Display for IpFragment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let more = if self.more_fragments {
            ", more follow"
        } else {
            ", last"
        };
        write!(
            f,
            "{} fragment from {} to {} (id {:#x}, offset {}{more}): fragments are not reassembled",
            self.version, self.src, self.dst, self.id, self.offset
        )
    }
}

/// A header cut short by the end of the captured bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Truncated {
    /// The header that does not fit.
    pub layer: Layer,
    /// Offset of the header in the packet.
    pub offset: usize,
    /// Bytes the header needs.
    pub needed: usize,
    /// Bytes captured from `offset` on.
    pub available: usize,
}

impl fmt::Display for Truncated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cut by the snapshot length: {} at packet offset {:#x} needs {} bytes, only {} captured",
            self.layer, self.offset, self.needed, self.available
        )
    }
}

/// An invalid header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Malformed {
    /// The header at fault.
    pub layer: Layer,
    /// Offset of the header in the packet.
    pub offset: usize,
    /// What is wrong with it.
    pub problem: Problem,
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "malformed {} at packet offset {:#x}: {}",
            self.layer, self.offset, self.problem
        )
    }
}

/// What is wrong with a malformed header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case", tag = "kind"))]
pub enum Problem {
    /// The header needs more bytes than the packet holds although nothing was cut by the
    /// snapshot length (or than the enclosing IP length allows).
    TooShort {
        /// Bytes the header needs.
        needed: usize,
        /// Bytes there are.
        available: usize,
    },
    /// An IP header whose version nibble is not the one the link layer announced.
    UnexpectedIpVersion {
        /// The version the link layer announced.
        expected: u8,
        /// The version nibble found.
        found: u8,
    },
    /// A raw-IP packet whose version nibble is neither 4 nor 6.
    UnknownIpVersion {
        /// The version nibble found.
        found: u8,
    },
    /// An IPv4 header length (IHL) below 5 words.
    Ipv4HeaderLength {
        /// The IHL field.
        ihl: u8,
    },
    /// A TCP data offset below 5 words.
    TcpDataOffset {
        /// The data offset field.
        data_offset: u8,
    },
    /// An IPv6 hop-by-hop header anywhere but right after the fixed header.
    HopByHopNotFirst,
    /// An IP authentication header with a payload length of 0.
    AuthZeroLength,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Problem::TooShort { needed, available } => {
                write!(f, "needs {needed} bytes, the packet leaves {available}")
            }
            Problem::UnexpectedIpVersion { expected, found } => {
                write!(f, "IP version {found}, expected {expected}")
            }
            Problem::UnknownIpVersion { found } => {
                write!(f, "IP version {found}, expected 4 or 6")
            }
            Problem::Ipv4HeaderLength { ihl } => {
                write!(f, "header length (IHL) {ihl} is below the minimum of 5")
            }
            Problem::TcpDataOffset { data_offset } => {
                write!(f, "data offset {data_offset} is below the minimum of 5")
            }
            Problem::HopByHopNotFirst => {
                f.write_str("hop-by-hop options must directly follow the IPv6 header")
            }
            Problem::AuthZeroLength => f.write_str("payload length 0 is invalid"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use core::net::Ipv4Addr;

    #[test]
    fn capture_error_messages_name_place_and_sizes() {
        let e = CaptureError {
            format: CaptureFormat::Pcap,
            offset: 0x1f4,
            kind: CaptureErrorKind::RecordPastEnd {
                record: 12,
                claimed: 1514,
                available: 200,
            },
        };
        assert_eq!(
            e.to_string(),
            "pcap record 12 at offset 0x1f4: claims 1514 bytes, only 200 left in the file"
        );
        let e = CaptureError {
            format: CaptureFormat::Pcapng,
            offset: 0x40,
            kind: CaptureErrorKind::BlockLengthInvalid {
                block_type: BlockType::ENHANCED_PACKET,
                length: 13,
            },
        };
        assert_eq!(
            e.to_string(),
            "pcapng Enhanced Packet Block at offset 0x40: block length 13 is invalid (must be a multiple of 4 and at least 12)"
        );
        let e = CaptureError {
            format: CaptureFormat::Pcap,
            offset: 0,
            kind: CaptureErrorKind::BadMagic { found: 0x1234_5678 },
        };
        assert!(e
            .to_string()
            .starts_with("not a pcap file: magic 0x12345678"));
    }

    #[test]
    fn packet_issue_messages() {
        let t = PacketIssue::Truncated(Truncated {
            layer: Layer::Tcp,
            offset: 0x22,
            needed: 32,
            available: 10,
        });
        assert_eq!(
            t.to_string(),
            "cut by the snapshot length: TCP header at packet offset 0x22 needs 32 bytes, only 10 captured"
        );
        let m = PacketIssue::Malformed(Malformed {
            layer: Layer::Ipv4,
            offset: 14,
            problem: Problem::Ipv4HeaderLength { ihl: 3 },
        });
        assert_eq!(
            m.to_string(),
            "malformed IPv4 header at packet offset 0xe: header length (IHL) 3 is below the minimum of 5"
        );
        assert_eq!(
            PacketIssue::NotTcp(NotTcp::IpProtocol(17)).to_string(),
            "not TCP: IP protocol 17 (UDP)"
        );
        assert_eq!(
            PacketIssue::NotTcp(NotTcp::EtherType(0x0806)).to_string(),
            "not TCP: EtherType 0x0806 (ARP)"
        );
        assert_eq!(
            PacketIssue::UnsupportedLinkType {
                link_type: LinkType(147)
            }
            .to_string(),
            "link type 147 is not supported"
        );
        let frag = PacketIssue::Fragment(IpFragment {
            version: IpVersion::V4,
            src: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
            dst: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
            id: 0x1c46,
            offset: 1480,
            more_fragments: true,
            protocol: 6,
            ip_offset: 14,
        });
        assert_eq!(
            frag.to_string(),
            "IPv4 fragment from 10.0.0.1 to 10.0.0.2 (id 0x1c46, offset 1480, more follow): fragments are not reassembled"
        );
    }
}
