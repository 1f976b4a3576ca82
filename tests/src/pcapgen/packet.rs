//! TCP in IPv4/IPv6, byte by byte.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::ops::{BitOr, BitOrAssign};

use spop_codec::capture::LinkType;

use super::link::{self, VlanTag};
use super::Endian;

/// Something that names a TCP endpoint: a `SocketAddr`, `"127.0.0.1:12345"`,
/// `"[::1]:12345"`, or an `(address, port)` pair.
pub trait Endpoint {
    /// The endpoint as a socket address (panics on an unparsable string: test code).
    fn endpoint(self) -> SocketAddr;
}

impl Endpoint for SocketAddr {
    fn endpoint(self) -> SocketAddr {
        self
    }
}

impl Endpoint for &str {
    fn endpoint(self) -> SocketAddr {
        self.parse()
            .unwrap_or_else(|e| panic!("endpoint {self:?}: {e}"))
    }
}

impl Endpoint for (IpAddr, u16) {
    fn endpoint(self) -> SocketAddr {
        SocketAddr::new(self.0, self.1)
    }
}

impl Endpoint for (Ipv4Addr, u16) {
    fn endpoint(self) -> SocketAddr {
        SocketAddr::new(self.0.into(), self.1)
    }
}

impl Endpoint for (Ipv6Addr, u16) {
    fn endpoint(self) -> SocketAddr {
        SocketAddr::new(self.0.into(), self.1)
    }
}

/// TCP flags, combinable with `|`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Flags(pub u8);

impl Flags {
    /// No flag.
    pub const NONE: Flags = Flags(0);
    /// FIN.
    pub const FIN: Flags = Flags(0x01);
    /// SYN.
    pub const SYN: Flags = Flags(0x02);
    /// RST.
    pub const RST: Flags = Flags(0x04);
    /// PSH.
    pub const PSH: Flags = Flags(0x08);
    /// ACK.
    pub const ACK: Flags = Flags(0x10);
    /// URG.
    pub const URG: Flags = Flags(0x20);
    /// ECE.
    pub const ECE: Flags = Flags(0x40);
    /// CWR.
    pub const CWR: Flags = Flags(0x80);

    /// True if every flag of `other` is set.
    pub fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }
}

impl BitOr for Flags {
    type Output = Flags;
    fn bitor(self, rhs: Flags) -> Flags {
        Flags(self.0 | rhs.0)
    }
}

impl BitOrAssign for Flags {
    fn bitor_assign(&mut self, rhs: Flags) {
        self.0 |= rhs.0;
    }
}

/// IP fragmentation fields to put on a packet (IPv4 header fields, or an IPv6 fragment
/// header). The packet body is *not* split: the fragment carries the whole TCP segment, which
/// is all a test of fragment reporting needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fragment {
    /// Identification (IPv4 uses the low 16 bits).
    pub id: u32,
    /// Offset of this fragment's data in bytes (a multiple of 8).
    pub offset: u32,
    /// More fragments follow.
    pub more: bool,
}

/// An IPv6 extension header (the next-header chain and lengths are filled in).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Ipv6Ext {
    /// Hop-by-hop options (0): the option bytes, padded with Pad1 to a multiple of 8.
    HopByHop(Vec<u8>),
    /// Routing header (43): the bytes after next-header and length (routing type, segments
    /// left, data), zero-padded.
    Routing(Vec<u8>),
    /// Destination options (60): the option bytes, padded with Pad1.
    DestinationOptions(Vec<u8>),
    /// Authentication header (51).
    Authentication {
        /// Security parameters index.
        spi: u32,
        /// Sequence number.
        seq: u32,
        /// Integrity check value (zero-padded so the header is a multiple of 8 bytes).
        icv: Vec<u8>,
    },
}

impl Ipv6Ext {
    fn number(&self) -> u8 {
        match self {
            Ipv6Ext::HopByHop(_) => 0,
            Ipv6Ext::Routing(_) => 43,
            Ipv6Ext::DestinationOptions(_) => 60,
            Ipv6Ext::Authentication { .. } => 51,
        }
    }

    fn encode(&self, next: u8) -> Vec<u8> {
        match self {
            Ipv6Ext::HopByHop(data)
            | Ipv6Ext::Routing(data)
            | Ipv6Ext::DestinationOptions(data) => {
                let mut out = vec![next, 0];
                out.extend_from_slice(data);
                out.resize(out.len().max(8).next_multiple_of(8), 0);
                out[1] = u8::try_from(out.len() / 8 - 1).expect("extension header too long");
                out
            }
            Ipv6Ext::Authentication { spi, seq, icv } => {
                let mut out = vec![next, 0, 0, 0];
                out.extend_from_slice(&spi.to_be_bytes());
                out.extend_from_slice(&seq.to_be_bytes());
                out.extend_from_slice(icv);
                out.resize(out.len().next_multiple_of(8), 0);
                // AH length is in 4-byte words, minus 2.
                out[1] = u8::try_from(out.len() / 4 - 2).expect("authentication header too long");
                out
            }
        }
    }
}

/// A TCP segment in an IP packet, built with chained setters.
///
/// ```
/// use spop_tests::pcapgen::{Flags, TcpPacket, VlanTag};
/// let frame = TcpPacket::new("10.0.0.1:40000", "10.0.0.2:12345")
///     .seq(100)
///     .ack(200)
///     .flags(Flags::PSH | Flags::ACK)
///     .payload(b"spop")
///     .vlan(VlanTag::dot1q(42))
///     .ethernet();
/// assert_eq!(frame.len(), 14 + 4 + 20 + 20 + 4);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpPacket {
    /// Sender.
    pub src: SocketAddr,
    /// Receiver.
    pub dst: SocketAddr,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgement number.
    pub ack: u32,
    /// Flags.
    pub flags: Flags,
    /// Receive window.
    pub window: u16,
    /// TCP options (padded with EOL to a multiple of 4).
    pub tcp_options: Vec<u8>,
    /// TCP payload.
    pub payload: Vec<u8>,
    /// IPv4 TTL / IPv6 hop limit.
    pub ttl: u8,
    /// IPv4 identification (when not fragmented).
    pub ip_id: u16,
    /// IPv4 options (padded with EOL to a multiple of 4).
    pub ipv4_options: Vec<u8>,
    /// IPv6 extension headers, in order (a fragment header, if any, comes after them).
    pub ipv6_exts: Vec<Ipv6Ext>,
    /// Fragmentation fields.
    pub fragment: Option<Fragment>,
    /// VLAN tags for Ethernet framing, outermost first.
    pub vlans: Vec<VlanTag>,
    /// A wrong TCP checksum on purpose.
    pub bad_checksum: bool,
}

impl TcpPacket {
    /// A segment from `src` to `dst`: seq 0, ack 0, flags ACK, window 65535, TTL 64, no payload.
    /// Both endpoints must be of the same address family.
    pub fn new(src: impl Endpoint, dst: impl Endpoint) -> Self {
        TcpPacket {
            src: src.endpoint(),
            dst: dst.endpoint(),
            seq: 0,
            ack: 0,
            flags: Flags::ACK,
            window: 65535,
            tcp_options: Vec::new(),
            payload: Vec::new(),
            ttl: 64,
            ip_id: 0,
            ipv4_options: Vec::new(),
            ipv6_exts: Vec::new(),
            fragment: None,
            vlans: Vec::new(),
            bad_checksum: false,
        }
    }

    /// Sets the sequence number.
    pub fn seq(mut self, seq: u32) -> Self {
        self.seq = seq;
        self
    }

    /// Sets the acknowledgement number (and the ACK flag).
    pub fn ack(mut self, ack: u32) -> Self {
        self.ack = ack;
        self.flags |= Flags::ACK;
        self
    }

    /// Replaces all flags.
    pub fn flags(mut self, flags: Flags) -> Self {
        self.flags = flags;
        self
    }

    /// Adds SYN.
    pub fn syn(mut self) -> Self {
        self.flags |= Flags::SYN;
        self
    }

    /// Adds FIN.
    pub fn fin(mut self) -> Self {
        self.flags |= Flags::FIN;
        self
    }

    /// Adds RST.
    pub fn rst(mut self) -> Self {
        self.flags |= Flags::RST;
        self
    }

    /// Adds PSH.
    pub fn psh(mut self) -> Self {
        self.flags |= Flags::PSH;
        self
    }

    /// Sets the receive window.
    pub fn window(mut self, window: u16) -> Self {
        self.window = window;
        self
    }

    /// Sets the raw TCP options.
    pub fn tcp_options(mut self, options: &[u8]) -> Self {
        self.tcp_options = options.to_vec();
        self
    }

    /// Adds a maximum-segment-size option.
    pub fn mss(mut self, mss: u16) -> Self {
        self.tcp_options.extend_from_slice(&[2, 4]);
        self.tcp_options.extend_from_slice(&mss.to_be_bytes());
        self
    }

    /// Sets the payload.
    pub fn payload(mut self, payload: impl AsRef<[u8]>) -> Self {
        self.payload = payload.as_ref().to_vec();
        self
    }

    /// Sets the TTL / hop limit.
    pub fn ttl(mut self, ttl: u8) -> Self {
        self.ttl = ttl;
        self
    }

    /// Sets the IPv4 identification.
    pub fn ip_id(mut self, id: u16) -> Self {
        self.ip_id = id;
        self
    }

    /// Sets raw IPv4 options (e.g. `[1, 1, 1, 0]`: NOP NOP NOP EOL).
    pub fn ipv4_options(mut self, options: &[u8]) -> Self {
        self.ipv4_options = options.to_vec();
        self
    }

    /// Appends an IPv6 extension header.
    pub fn ipv6_ext(mut self, ext: Ipv6Ext) -> Self {
        self.ipv6_exts.push(ext);
        self
    }

    /// Marks the packet as an IP fragment.
    pub fn fragment(mut self, id: u32, offset: u32, more: bool) -> Self {
        assert!(offset & 7 == 0, "fragment offsets are multiples of 8");
        self.fragment = Some(Fragment { id, offset, more });
        self
    }

    /// Appends a VLAN tag (used by [`TcpPacket::ethernet`]); call twice for QinQ.
    pub fn vlan(mut self, tag: VlanTag) -> Self {
        self.vlans.push(tag);
        self
    }

    /// Writes a wrong TCP checksum.
    pub fn bad_checksum(mut self) -> Self {
        self.bad_checksum = true;
        self
    }

    /// Bytes of sequence space this segment uses (payload, plus one for SYN and for FIN).
    pub fn seq_len(&self) -> u32 {
        let payload = u32::try_from(self.payload.len()).expect("payload too long");
        payload
            + u32::from(self.flags.contains(Flags::SYN))
            + u32::from(self.flags.contains(Flags::FIN))
    }

    /// True for an IPv6 packet.
    pub fn is_ipv6(&self) -> bool {
        self.src.is_ipv6()
    }

    /// Length of the TCP header with options.
    pub fn tcp_header_len(&self) -> usize {
        20 + self.tcp_options.len().next_multiple_of(4)
    }

    /// The TCP header and payload, with a correct checksum (unless
    /// [`TcpPacket::bad_checksum`]).
    pub fn tcp_bytes(&self) -> Vec<u8> {
        let header_len = self.tcp_header_len();
        let mut t = Vec::with_capacity(header_len + self.payload.len());
        t.extend_from_slice(&self.src.port().to_be_bytes());
        t.extend_from_slice(&self.dst.port().to_be_bytes());
        t.extend_from_slice(&self.seq.to_be_bytes());
        t.extend_from_slice(&self.ack.to_be_bytes());
        t.push(u8::try_from(header_len / 4).expect("TCP options too long") << 4);
        t.push(self.flags.0);
        t.extend_from_slice(&self.window.to_be_bytes());
        t.extend_from_slice(&[0, 0, 0, 0]); // checksum, urgent pointer
        t.extend_from_slice(&self.tcp_options);
        t.resize(header_len, 0);
        t.extend_from_slice(&self.payload);
        let mut sum = pseudo_header_sum(self.src.ip(), self.dst.ip(), 6, t.len());
        sum = ones_complement_add(sum, &t);
        let mut checksum = fold(sum);
        if self.bad_checksum {
            checksum ^= 0xffff;
        }
        t[16..18].copy_from_slice(&checksum.to_be_bytes());
        t
    }

    /// The IP packet (IPv4 or IPv6 by the endpoints' family).
    pub fn ip(&self) -> Vec<u8> {
        self.ip_with(6, &self.tcp_bytes())
    }

    /// The IP packet this builder describes, carrying `body` as protocol `protocol` instead
    /// of TCP (to build UDP/ICMP packets for "not TCP" tests).
    pub fn ip_with(&self, protocol: u8, body: &[u8]) -> Vec<u8> {
        match (self.src.ip(), self.dst.ip()) {
            (IpAddr::V4(src), IpAddr::V4(dst)) => self.ipv4(src, dst, protocol, body),
            (IpAddr::V6(src), IpAddr::V6(dst)) => self.ipv6(src, dst, protocol, body),
            _ => panic!("mixed IPv4/IPv6 endpoints: {} -> {}", self.src, self.dst),
        }
    }

    fn ipv4(&self, src: Ipv4Addr, dst: Ipv4Addr, protocol: u8, body: &[u8]) -> Vec<u8> {
        let options_len = self.ipv4_options.len().next_multiple_of(4);
        let header_len = 20 + options_len;
        assert!(header_len <= 60, "IPv4 options longer than 40 bytes");
        let total = u16::try_from(header_len + body.len()).expect("IPv4 packet over 64 KiB");
        let (id, frag_word) = match self.fragment {
            Some(f) => {
                let units = u16::try_from(f.offset / 8).expect("fragment offset too large");
                (f.id as u16, units | if f.more { 0x2000 } else { 0 })
            }
            None => (self.ip_id, 0x4000), // DF, as Linux sends TCP
        };
        let mut p = Vec::with_capacity(usize::from(total));
        p.push(0x40 | u8::try_from(header_len / 4).expect("IHL"));
        p.push(0);
        p.extend_from_slice(&total.to_be_bytes());
        p.extend_from_slice(&id.to_be_bytes());
        p.extend_from_slice(&frag_word.to_be_bytes());
        p.extend_from_slice(&[self.ttl, protocol, 0, 0]);
        p.extend_from_slice(&src.octets());
        p.extend_from_slice(&dst.octets());
        p.extend_from_slice(&self.ipv4_options);
        p.resize(header_len, 0);
        let checksum = fold(ones_complement_add(0, &p));
        p[10..12].copy_from_slice(&checksum.to_be_bytes());
        p.extend_from_slice(body);
        p
    }

    fn ipv6(&self, src: Ipv6Addr, dst: Ipv6Addr, protocol: u8, body: &[u8]) -> Vec<u8> {
        // Chain: extension headers in order, then the fragment header, then the body.
        let mut numbers: Vec<u8> = self.ipv6_exts.iter().map(Ipv6Ext::number).collect();
        if self.fragment.is_some() {
            numbers.push(44);
        }
        numbers.push(protocol);
        let mut exts = Vec::new();
        for (i, ext) in self.ipv6_exts.iter().enumerate() {
            exts.extend_from_slice(&ext.encode(numbers[i + 1]));
        }
        if let Some(f) = self.fragment {
            let units = u16::try_from(f.offset / 8).expect("fragment offset too large");
            exts.push(protocol);
            exts.push(0);
            exts.extend_from_slice(&((units << 3) | u16::from(f.more)).to_be_bytes());
            exts.extend_from_slice(&f.id.to_be_bytes());
        }
        let payload_len = u16::try_from(exts.len() + body.len()).expect("IPv6 payload over 64 KiB");
        let mut p = Vec::with_capacity(40 + usize::from(payload_len));
        p.extend_from_slice(&[0x60, 0, 0, 0]);
        p.extend_from_slice(&payload_len.to_be_bytes());
        p.push(numbers[0]);
        p.push(self.ttl);
        p.extend_from_slice(&src.octets());
        p.extend_from_slice(&dst.octets());
        p.extend_from_slice(&exts);
        p.extend_from_slice(body);
        p
    }

    /// Ethernet II frame, with this packet's VLAN tags.
    pub fn ethernet(&self) -> Vec<u8> {
        link::ethernet(&self.vlans, &self.ip())
    }

    /// Linux cooked capture v1 frame.
    pub fn sll(&self) -> Vec<u8> {
        link::sll(&self.ip())
    }

    /// Linux cooked capture v2 frame.
    pub fn sll2(&self) -> Vec<u8> {
        link::sll2(&self.ip())
    }

    /// BSD loopback (NULL) frame, family in `endian` byte order.
    pub fn null(&self, endian: Endian) -> Vec<u8> {
        link::null(endian, &self.ip())
    }

    /// OpenBSD loopback (LOOP) frame.
    pub fn openbsd_loop(&self) -> Vec<u8> {
        link::openbsd_loop(&self.ip())
    }

    /// The packet framed for `link_type` (NULL in little-endian).
    pub fn frame(&self, link_type: LinkType) -> Vec<u8> {
        if link_type == LinkType::ETHERNET {
            self.ethernet()
        } else {
            link::frame(link_type, &self.ip())
        }
    }
}

fn pseudo_header_sum(src: IpAddr, dst: IpAddr, protocol: u8, len: usize) -> u32 {
    let mut sum = 0;
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            sum = ones_complement_add(sum, &s.octets());
            sum = ones_complement_add(sum, &d.octets());
            sum = ones_complement_add(sum, &[0, protocol]);
            sum = ones_complement_add(sum, &u16::try_from(len).unwrap_or(u16::MAX).to_be_bytes());
        }
        (s, d) => {
            let v6 = |a: IpAddr| match a {
                IpAddr::V6(a) => a.octets(),
                IpAddr::V4(a) => a.to_ipv6_mapped().octets(),
            };
            sum = ones_complement_add(sum, &v6(s));
            sum = ones_complement_add(sum, &v6(d));
            sum = ones_complement_add(sum, &u32::try_from(len).unwrap_or(u32::MAX).to_be_bytes());
            sum = ones_complement_add(sum, &[0, 0, 0, protocol]);
        }
    }
    sum
}

fn ones_complement_add(mut sum: u32, bytes: &[u8]) -> u32 {
    let mut chunks = bytes.chunks_exact(2);
    for c in &mut chunks {
        sum += u32::from(u16::from_be_bytes([c[0], c[1]]));
    }
    if let [last] = chunks.remainder() {
        sum += u32::from(*last) << 8;
    }
    // Fold early so long packets cannot overflow.
    (sum & 0xffff) + (sum >> 16)
}

fn fold(mut sum: u32) -> u16 {
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_checksum_verifies() {
        let p = TcpPacket::new("10.0.0.1:1", "10.0.0.2:2")
            .payload(b"abc")
            .ip();
        assert_eq!(fold(ones_complement_add(0, &p[..20])), 0);
        let tcp = &p[20..];
        let sum = pseudo_header_sum(
            "10.0.0.1".parse().unwrap(),
            "10.0.0.2".parse().unwrap(),
            6,
            tcp.len(),
        );
        assert_eq!(fold(ones_complement_add(sum, tcp)), 0);
    }

    #[test]
    fn ipv6_chain() {
        let p = TcpPacket::new("[::1]:1", "[::1]:2")
            .ipv6_ext(Ipv6Ext::HopByHop(vec![]))
            .ipv6_ext(Ipv6Ext::Authentication {
                spi: 1,
                seq: 2,
                icv: vec![0; 4],
            })
            .fragment(7, 8, true)
            .ip();
        assert_eq!(p[6], 0); // hop-by-hop first
        assert_eq!(p[40], 51); // then AH
        assert_eq!(p[48], 44); // then fragment
        assert_eq!(p[49], 2); // AH length: 16 bytes = 4 words - 2
        assert_eq!(p[64], 6); // fragment header -> TCP
        assert_eq!(&p[66..68], &[0, 9]);
    }
}
