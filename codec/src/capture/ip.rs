//! Network and transport layers: from an IP packet to a [`TcpSegment`].
//!
//! Headers are sliced with etherparse's *lax* slices (`LaxIpv4Slice`, `LaxIpv6Slice`) and
//! `TcpSlice`: lax, because a packet cut by the snapshot length must still give its TCP
//! header and the payload bytes present, with the IP length telling how many were sent.
//! etherparse walks IPv4 options (IHL), the IP authentication header, and the IPv6 extension
//! headers (hop-by-hop, routing, destination options, fragment, authentication). What is added
//! here is the policy:
//!
//! * fragments are reported ([`PacketIssue::Fragment`]), never reassembled or guessed at;
//!   an IPv6 *atomic* fragment (offset 0, no more fragments, RFC 6946) is a whole packet and
//!   is decoded normally;
//! * non-TCP packets are [`PacketIssue::NotTcp`], including non-TCP fragments;
//! * running out of bytes is [`PacketIssue::Truncated`] when the captured data ended, and
//!   [`PacketIssue::Malformed`] when the IP length itself leaves too little room.

use core::fmt;
use core::net::{IpAddr, SocketAddr};

use etherparse::err::{ip_auth, ipv4, ipv6, ipv6_exts, tcp, LenError};
use etherparse::{
    IpNumber, Ipv6ExtensionSlice, Ipv6Header, LaxIpv4Slice, LaxIpv6Slice, TcpOptionElement,
    TcpSlice,
};

use super::error::{IpFragment, Layer, Malformed, NotTcp, PacketIssue, Problem, Truncated};
use super::{Packet, TcpFlags, TcpSegment};

/// IP version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
pub enum IpVersion {
    /// IPv4.
    V4,
    /// IPv6.
    V6,
}

impl fmt::Display for IpVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IpVersion::V4 => "IPv4",
            IpVersion::V6 => "IPv6",
        })
    }
}

/// An IP packet inside a captured packet, as found by [`super::link::ip_packet`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpPacket<'a> {
    /// The version the link layer announced (EtherType, address family, version nibble).
    pub version: IpVersion,
    /// From the IP header to the end of the captured data (may include link padding, which
    /// the IP length excludes).
    pub data: &'a [u8],
    /// Offset of `data` in the captured packet.
    pub offset: usize,
}

/// Decodes a captured packet down to its TCP segment: link layer, then IP, then TCP.
///
/// The `Err` side says why there is no segment: see [`PacketIssue`]. `NotTcp` is routine
/// (callers skip it); the others are worth reporting about that packet. A header cut short is
/// `Truncated` if the snapshot length cut the packet, and `Malformed` (`TooShort`) if the packet
/// was captured whole, since then its own headers are inconsistent.
pub fn tcp_segment<'a>(packet: &Packet<'a>) -> Result<TcpSegment<'a>, PacketIssue> {
    let result =
        super::link::ip_packet(packet.link_type, packet.data).and_then(|ip| ip.tcp_segment());
    match result {
        Err(PacketIssue::Truncated(t)) if !packet.is_truncated() => {
            Err(PacketIssue::Malformed(Malformed {
                layer: t.layer,
                offset: t.offset,
                problem: Problem::TooShort {
                    needed: t.needed,
                    available: t.available,
                },
            }))
        }
        other => other,
    }
}

impl<'a> IpPacket<'a> {
    /// Decodes the IP header(s) and the TCP header; the segment borrows the payload.
    ///
    /// Offsets in the result and in errors are relative to the captured packet (they include
    /// [`IpPacket::offset`]). `payload_len` comes from the IP length, so a packet cut by the
    /// snapshot length has `payload.len() < payload_len`.
    pub fn tcp_segment(&self) -> Result<TcpSegment<'a>, PacketIssue> {
        match self.version {
            IpVersion::V4 => self.ipv4(),
            IpVersion::V6 => self.ipv6(),
        }
    }

    fn ipv4(&self) -> Result<TcpSegment<'a>, PacketIssue> {
        let base = self.offset;
        let (ip, auth_error) = LaxIpv4Slice::from_slice(self.data).map_err(|e| match e {
            ipv4::HeaderSliceError::Len(e) => truncated(Layer::Ipv4, base, &e),
            ipv4::HeaderSliceError::Content(ipv4::HeaderError::UnexpectedVersion {
                version_number,
            }) => malformed(
                Layer::Ipv4,
                base,
                Problem::UnexpectedIpVersion {
                    expected: 4,
                    found: version_number,
                },
            ),
            ipv4::HeaderSliceError::Content(ipv4::HeaderError::HeaderLengthSmallerThanHeader {
                ihl,
            }) => malformed(Layer::Ipv4, base, Problem::Ipv4HeaderLength { ihl }),
        })?;
        let header = ip.header();
        let (src, dst) = (
            IpAddr::V4(header.source_addr()),
            IpAddr::V4(header.destination_addr()),
        );
        if header.is_fragmenting_payload() {
            let protocol = header.protocol();
            if protocol != IpNumber::TCP && protocol != IpNumber::AUTHENTICATION_HEADER {
                return Err(PacketIssue::NotTcp(NotTcp::IpProtocol(protocol.0)));
            }
            return Err(PacketIssue::Fragment(IpFragment {
                version: IpVersion::V4,
                src,
                dst,
                id: u32::from(header.identification()),
                offset: u32::from(header.fragments_offset().value()) * 8,
                more_fragments: header.more_fragments(),
                protocol: protocol.0,
                ip_offset: base,
            }));
        }
        let payload = ip.payload();
        let headers_len = header.slice().len();
        if let Some(e) = auth_error {
            return Err(match e {
                ip_auth::HeaderSliceError::Len(e) => {
                    short(Layer::IpAuth, base, &e, payload.incomplete)
                }
                ip_auth::HeaderSliceError::Content(ip_auth::HeaderError::ZeroPayloadLen) => {
                    malformed(Layer::IpAuth, base + headers_len, Problem::AuthZeroLength)
                }
            });
        }
        if payload.ip_number != IpNumber::TCP {
            return Err(PacketIssue::NotTcp(NotTcp::IpProtocol(payload.ip_number.0)));
        }
        let tcp_offset = headers_len + ip.extensions().auth.map_or(0, |a| a.slice().len());
        let missing = if payload.incomplete {
            usize::from(header.total_len()).saturating_sub(self.data.len())
        } else {
            0
        };
        segment(
            (src, dst),
            payload.payload,
            base + tcp_offset,
            payload.incomplete,
            missing,
        )
    }

    fn ipv6(&self) -> Result<TcpSegment<'a>, PacketIssue> {
        let base = self.offset;
        let (ip, ext_error) = LaxIpv6Slice::from_slice(self.data).map_err(|e| match e {
            ipv6::HeaderSliceError::Len(e) => truncated(Layer::Ipv6, base, &e),
            ipv6::HeaderSliceError::Content(ipv6::HeaderError::UnexpectedVersion {
                version_number,
            }) => malformed(
                Layer::Ipv6,
                base,
                Problem::UnexpectedIpVersion {
                    expected: 6,
                    found: version_number,
                },
            ),
        })?;
        let header = ip.header();
        let (src, dst) = (
            IpAddr::V6(header.source_addr()),
            IpAddr::V6(header.destination_addr()),
        );
        if ip.is_payload_fragmented() {
            let fragment = ip
                .extensions()
                .clone()
                .into_iter()
                .find_map(|ext| match ext {
                    Ipv6ExtensionSlice::Fragment(f) if f.is_fragmenting_payload() => Some(f),
                    _ => None,
                });
            if let Some(f) = fragment {
                let protocol = f.next_header();
                if protocol != IpNumber::TCP && !is_ipv6_extension(protocol) {
                    return Err(PacketIssue::NotTcp(NotTcp::IpProtocol(protocol.0)));
                }
                return Err(PacketIssue::Fragment(IpFragment {
                    version: IpVersion::V6,
                    src,
                    dst,
                    id: f.identification(),
                    offset: u32::from(f.fragment_offset().value()) * 8,
                    more_fragments: f.more_fragments(),
                    protocol: protocol.0,
                    ip_offset: base,
                }));
            }
        }
        let payload = ip.payload();
        let headers_len = Ipv6Header::LEN + ip.extensions().slice().len();
        if let Some((e, layer)) = ext_error {
            let layer = extension_layer(layer);
            return Err(match e {
                ipv6_exts::HeaderSliceError::Len(e) => short(layer, base, &e, payload.incomplete),
                ipv6_exts::HeaderSliceError::Content(
                    ipv6_exts::HeaderError::HopByHopNotAtStart,
                ) => malformed(layer, base + headers_len, Problem::HopByHopNotFirst),
                ipv6_exts::HeaderSliceError::Content(ipv6_exts::HeaderError::IpAuth(
                    ip_auth::HeaderError::ZeroPayloadLen,
                )) => malformed(layer, base + headers_len, Problem::AuthZeroLength),
            });
        }
        if payload.ip_number != IpNumber::TCP {
            return Err(PacketIssue::NotTcp(NotTcp::IpProtocol(payload.ip_number.0)));
        }
        let missing = if payload.incomplete {
            (Ipv6Header::LEN + usize::from(header.payload_length())).saturating_sub(self.data.len())
        } else {
            0
        };
        segment(
            (src, dst),
            payload.payload,
            base + headers_len,
            payload.incomplete,
            missing,
        )
    }
}

/// Decodes the TCP header at `bytes` (at `offset` in the packet). `cut`: the captured data
/// ended before the IP length did; `missing`: bytes the IP length announces beyond the data.
fn segment<'a>(
    (src, dst): (IpAddr, IpAddr),
    bytes: &'a [u8],
    offset: usize,
    cut: bool,
    missing: usize,
) -> Result<TcpSegment<'a>, PacketIssue> {
    let tcp = TcpSlice::from_slice(bytes).map_err(|e| match e {
        tcp::HeaderSliceError::Len(e) => short(Layer::Tcp, offset, &e, cut),
        tcp::HeaderSliceError::Content(tcp::HeaderError::DataOffsetTooSmall { data_offset }) => {
            malformed(Layer::Tcp, offset, Problem::TcpDataOffset { data_offset })
        }
    })?;
    let payload = tcp.payload();
    Ok(TcpSegment {
        src: SocketAddr::new(src, tcp.source_port()),
        dst: SocketAddr::new(dst, tcp.destination_port()),
        seq: tcp.sequence_number(),
        ack: tcp.acknowledgment_number(),
        flags: TcpFlags {
            syn: tcp.syn(),
            ack: tcp.ack(),
            fin: tcp.fin(),
            rst: tcp.rst(),
            psh: tcp.psh(),
        },
        window: tcp.window_size(),
        // Options are read on SYNs only: the window scale option appears nowhere else, and
        // every other packet is spared the walk.
        window_scale: if tcp.syn() {
            tcp.options_iterator().find_map(|o| match o {
                Ok(TcpOptionElement::WindowScale(shift)) => Some(shift),
                _ => None,
            })
        } else {
            None
        },
        payload,
        payload_len: u32::try_from(payload.len().saturating_add(missing)).unwrap_or(u32::MAX),
        payload_offset: offset + tcp.header_slice().len(),
    })
}

/// IPv6 extension header numbers (RFC 8200 §4, IANA): after a fragment header one of these
/// may still lead to TCP.
fn is_ipv6_extension(number: IpNumber) -> bool {
    matches!(
        number.0,
        0 | 43 | 44 | 51 | 60 | 135 | 139 | 140 | 253 | 254
    )
}

fn extension_layer(layer: etherparse::err::Layer) -> Layer {
    use etherparse::err::Layer as E;
    match layer {
        E::Ipv6HopByHopHeader => Layer::Ipv6HopByHop,
        E::Ipv6RouteHeader => Layer::Ipv6Routing,
        E::Ipv6DestOptionsHeader => Layer::Ipv6DestinationOptions,
        E::Ipv6FragHeader => Layer::Ipv6Fragment,
        E::IpAuthHeader => Layer::IpAuth,
        _ => Layer::Ipv6,
    }
}

/// The captured data ended inside a header. `base` is the IP header's offset in the packet;
/// etherparse's offsets are relative to the IP header.
fn truncated(layer: Layer, base: usize, e: &LenError) -> PacketIssue {
    PacketIssue::Truncated(Truncated {
        layer,
        offset: base + e.layer_start_offset,
        needed: e.required_len,
        available: e.len,
    })
}

/// A header that does not fit: truncation if the data was cut, otherwise the IP length is
/// too small for the headers it announces.
fn short(layer: Layer, base: usize, e: &LenError, cut: bool) -> PacketIssue {
    if cut {
        truncated(layer, base, e)
    } else {
        malformed(
            layer,
            base + e.layer_start_offset,
            Problem::TooShort {
                needed: e.required_len,
                available: e.len,
            },
        )
    }
}

fn malformed(layer: Layer, offset: usize, problem: Problem) -> PacketIssue {
    PacketIssue::Malformed(Malformed {
        layer,
        offset,
        problem,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::LinkType;
    use alloc::vec::Vec;
    use core::net::{Ipv4Addr, Ipv6Addr};

    fn tcp_header(seq: u32, flags: u8, options: &[u8], payload: &[u8]) -> Vec<u8> {
        let mut t = Vec::new();
        t.extend_from_slice(&1234u16.to_be_bytes());
        t.extend_from_slice(&12345u16.to_be_bytes());
        t.extend_from_slice(&seq.to_be_bytes());
        t.extend_from_slice(&7u32.to_be_bytes());
        let words = u8::try_from(5 + options.len() / 4).unwrap();
        t.push(words << 4);
        t.push(flags);
        t.extend_from_slice(&[0xff, 0xff, 0, 0, 0, 0]);
        t.extend_from_slice(options);
        t.extend_from_slice(payload);
        t
    }

    fn ipv4(options: &[u8], frag: u16, protocol: u8, body: &[u8]) -> Vec<u8> {
        let ihl = u8::try_from(5 + options.len() / 4).unwrap();
        let total = u16::try_from(usize::from(ihl) * 4 + body.len()).unwrap();
        let mut p = Vec::from([0x40 | ihl, 0]);
        p.extend_from_slice(&total.to_be_bytes());
        p.extend_from_slice(&0x1c46u16.to_be_bytes());
        p.extend_from_slice(&frag.to_be_bytes());
        p.extend_from_slice(&[64, protocol, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
        p.extend_from_slice(options);
        p.extend_from_slice(body);
        p
    }

    fn ipv6(next: u8, body: &[u8]) -> Vec<u8> {
        let mut p = Vec::from([0x60, 0, 0, 0]);
        p.extend_from_slice(&u16::try_from(body.len()).unwrap().to_be_bytes());
        p.extend_from_slice(&[next, 64]);
        p.extend_from_slice(&Ipv6Addr::LOCALHOST.octets());
        p.extend_from_slice(&Ipv6Addr::LOCALHOST.octets());
        p.extend_from_slice(body);
        p
    }

    fn raw(data: &[u8]) -> Result<TcpSegment<'_>, PacketIssue> {
        tcp_segment(&Packet {
            number: 1,
            timestamp: 0,
            link_type: LinkType::RAW,
            data,
            orig_len: u32::try_from(data.len()).unwrap(),
            file_offset: 0,
        })
    }

    #[test]
    fn ipv4_with_options_and_tcp_options() {
        let tcp = tcp_header(99, 0x18, &[1, 1, 1, 0], b"spop");
        let pkt = ipv4(&[1, 1, 1, 0, 0x94, 4, 0, 0], 0x4000, 6, &tcp);
        let s = raw(&pkt).unwrap();
        assert_eq!(
            s.src,
            SocketAddr::new(Ipv4Addr::new(10, 0, 0, 1).into(), 1234)
        );
        assert_eq!(
            s.dst,
            SocketAddr::new(Ipv4Addr::new(10, 0, 0, 2).into(), 12345)
        );
        assert_eq!((s.seq, s.ack), (99, 7));
        assert!(s.flags.psh && s.flags.ack && !s.flags.syn);
        assert_eq!(s.payload, b"spop");
        assert_eq!(s.payload_len, 4);
        assert_eq!(s.payload_offset, 28 + 24);
    }

    #[test]
    fn ipv4_padding_is_excluded() {
        let mut pkt = ipv4(&[], 0, 6, &tcp_header(1, 0x10, &[], b""));
        pkt.extend_from_slice(&[0; 6]);
        let s = raw(&pkt).unwrap();
        assert_eq!((s.payload, s.payload_len), (&[][..], 0));
    }

    #[test]
    fn ipv4_fragments_are_reported() {
        let tcp = tcp_header(1, 0x10, &[], b"abcdefgh");
        for (frag, offset, more) in [
            (0x2000, 0, true),
            (0x00b9, 1480, false),
            (0x20b9, 1480, true),
        ] {
            let pkt = ipv4(&[], frag, 6, &tcp);
            let Err(PacketIssue::Fragment(f)) = raw(&pkt) else {
                panic!("fragment expected")
            };
            assert_eq!((f.id, f.offset, f.more_fragments), (0x1c46, offset, more));
            assert_eq!((f.version, f.protocol, f.ip_offset), (IpVersion::V4, 6, 0));
        }
        // A non-TCP fragment is simply not TCP.
        let pkt = ipv4(&[], 0x2000, 17, &[0; 16]);
        assert_eq!(raw(&pkt), Err(PacketIssue::NotTcp(NotTcp::IpProtocol(17))));
    }

    #[test]
    fn ipv4_errors() {
        let pkt = ipv4(&[], 0, 6, &tcp_header(1, 0x10, &[], b""));
        let mut bad = pkt.clone();
        bad[0] = 0x43;
        assert_eq!(
            raw(&bad),
            Err(malformed(
                Layer::Ipv4,
                0,
                Problem::Ipv4HeaderLength { ihl: 3 }
            ))
        );
        let mut bad = pkt.clone();
        bad[32] = 0x40; // TCP data offset 4
        assert_eq!(
            raw(&bad),
            Err(malformed(
                Layer::Tcp,
                20,
                Problem::TcpDataOffset { data_offset: 4 }
            ))
        );
        // IP total length too small for the TCP header: malformed, not truncated.
        let mut bad = pkt.clone();
        bad[2..4].copy_from_slice(&30u16.to_be_bytes());
        assert_eq!(
            raw(&bad),
            Err(malformed(
                Layer::Tcp,
                20,
                Problem::TooShort {
                    needed: 20,
                    available: 10
                }
            ))
        );
        assert_eq!(
            raw(&ipv4(&[], 0, 1, &[8, 0, 0, 0])),
            Err(PacketIssue::NotTcp(NotTcp::IpProtocol(1)))
        );
        // IPv4 link type with an IPv6 packet.
        let ip = IpPacket {
            version: IpVersion::V4,
            data: &ipv6(6, &[]),
            offset: 4,
        };
        assert_eq!(
            ip.tcp_segment(),
            Err(malformed(
                Layer::Ipv4,
                4,
                Problem::UnexpectedIpVersion {
                    expected: 4,
                    found: 6
                }
            ))
        );
    }

    #[test]
    fn snaplen_truncation() {
        let pkt = ipv4(&[], 0, 6, &tcp_header(1, 0x10, &[], &[7; 100]));
        let cut = |len: usize| {
            tcp_segment(&Packet {
                number: 1,
                timestamp: 0,
                link_type: LinkType::IPV4,
                data: &pkt[..len],
                orig_len: u32::try_from(pkt.len()).unwrap(),
                file_offset: 0,
            })
        };
        let s = cut(60).unwrap();
        assert_eq!((s.payload.len(), s.payload_len), (20, 100));
        assert_eq!(
            cut(30),
            Err(PacketIssue::Truncated(Truncated {
                layer: Layer::Tcp,
                offset: 20,
                needed: 20,
                available: 10
            }))
        );
        assert_eq!(
            cut(10),
            Err(PacketIssue::Truncated(Truncated {
                layer: Layer::Ipv4,
                offset: 0,
                needed: 20,
                available: 10
            }))
        );
        // The same bytes captured "whole" are malformed instead.
        assert!(matches!(
            raw(&pkt[..30]),
            Err(PacketIssue::Malformed(Malformed {
                layer: Layer::Tcp,
                problem: Problem::TooShort { .. },
                ..
            }))
        ));
    }

    #[test]
    fn ipv6_with_extension_headers() {
        let tcp = tcp_header(5, 0x02, &[2, 4, 5, 0xb4], b"");
        // hop-by-hop (8) -> routing (8) -> destination options (16) -> AH (16) -> TCP
        let mut exts = Vec::new();
        exts.extend_from_slice(&[43, 0, 1, 4, 0, 0, 0, 0]);
        exts.extend_from_slice(&[60, 0, 0, 0, 0, 0, 0, 0]);
        exts.extend_from_slice(&[51, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        exts.extend_from_slice(&[6, 2, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0]);
        exts.extend_from_slice(&tcp);
        let pkt = ipv6(0, &exts);
        let s = raw(&pkt).unwrap();
        assert_eq!(s.src.ip(), IpAddr::V6(Ipv6Addr::LOCALHOST));
        assert_eq!((s.src.port(), s.dst.port()), (1234, 12345));
        assert!(s.flags.syn);
        assert_eq!(s.payload_offset, 40 + 48 + 24);
    }

    #[test]
    fn ipv6_fragments() {
        let tcp = tcp_header(5, 0x10, &[], b"xyz");
        let frag = |word: u16, next: u8| {
            let mut b = Vec::from([next, 0]);
            b.extend_from_slice(&word.to_be_bytes());
            b.extend_from_slice(&0xdead_beefu32.to_be_bytes());
            b.extend_from_slice(&tcp);
            ipv6(44, &b)
        };
        let Err(PacketIssue::Fragment(f)) = raw(&frag((185 << 3) | 1, 6)) else {
            panic!("fragment expected")
        };
        assert_eq!(
            (f.id, f.offset, f.more_fragments),
            (0xdead_beef, 1480, true)
        );
        assert_eq!((f.version, f.protocol), (IpVersion::V6, 6));
        let Err(PacketIssue::Fragment(f)) = raw(&frag(185 << 3, 60)) else {
            panic!("fragment expected")
        };
        assert!(!f.more_fragments);
        assert_eq!(
            raw(&frag(1, 17)),
            Err(PacketIssue::NotTcp(NotTcp::IpProtocol(17)))
        );
        // Atomic fragment: a whole packet.
        let atomic = frag(0, 6);
        let s = raw(&atomic).unwrap();
        assert_eq!(s.payload, b"xyz");
    }

    #[test]
    fn ipv6_errors() {
        // Extension header cut by snaplen.
        let pkt = ipv6(0, &[6, 4, 0, 0, 0, 0, 0, 0]);
        let packet = Packet {
            number: 1,
            timestamp: 0,
            link_type: LinkType::IPV6,
            data: &pkt,
            orig_len: 200,
            file_offset: 0,
        };
        let mut pkt2 = pkt.clone();
        pkt2[4..6].copy_from_slice(&40u16.to_be_bytes());
        let cut = Packet {
            data: &pkt2,
            ..packet
        };
        assert_eq!(
            tcp_segment(&cut),
            Err(PacketIssue::Truncated(Truncated {
                layer: Layer::Ipv6HopByHop,
                offset: 40,
                needed: 40,
                available: 8
            }))
        );
        // Hop-by-hop after another header.
        let pkt = ipv6(60, &[0, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(
            raw(&pkt),
            Err(malformed(
                Layer::Ipv6HopByHop,
                48,
                Problem::HopByHopNotFirst
            ))
        );
        assert_eq!(
            raw(&ipv6(58, &[128, 0, 0, 0])),
            Err(PacketIssue::NotTcp(NotTcp::IpProtocol(58)))
        );
        let ip = IpPacket {
            version: IpVersion::V6,
            data: &ipv4(&[], 0, 6, &[0; 40]),
            offset: 0,
        };
        assert!(matches!(
            ip.tcp_segment(),
            Err(PacketIssue::Malformed(Malformed {
                problem: Problem::UnexpectedIpVersion {
                    expected: 6,
                    found: 4
                },
                ..
            }))
        ));
        let ip = IpPacket {
            version: IpVersion::V6,
            data: &[0x60; 39],
            offset: 14,
        };
        assert_eq!(
            ip.tcp_segment(),
            Err(PacketIssue::Truncated(Truncated {
                layer: Layer::Ipv6,
                offset: 14,
                needed: 40,
                available: 39
            }))
        );
    }

    #[test]
    fn every_prefix_and_corruption_is_handled() {
        let mut exts = Vec::from([60u8, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0]);
        exts.extend_from_slice(&tcp_header(1, 0x10, &[1, 1, 1, 1], b"hello"));
        let v6 = ipv6(0, &exts);
        let v4 = ipv4(&[1, 1, 1, 0], 0, 6, &tcp_header(1, 0x10, &[], b"hello"));
        for pkt in [v4, v6] {
            for end in 0..=pkt.len() {
                let _ = raw(&pkt[..end]);
            }
            for i in 0..pkt.len() {
                for v in [0x00, 0xff, 0x0f, 0xf0] {
                    let mut p = pkt.clone();
                    p[i] = v;
                    if let Ok(s) = raw(&p) {
                        assert!(s.payload_offset + s.payload.len() <= p.len());
                    }
                }
            }
        }
    }
}
