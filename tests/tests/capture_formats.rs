//! Capture formats end to end: build captures with `pcapgen`, read them back with the codec's
//! readers and `tcp_segment`, and check every field; then the real HAProxy fixtures.

use std::net::SocketAddr;

use spop_codec::capture::ip::{tcp_segment, IpVersion};
use spop_codec::capture::pcap::{ByteOrder, PcapReader, TimestampPrecision};
use spop_codec::capture::pcapng::PcapngReader;
use spop_codec::capture::{
    CaptureErrorKind, IpFragment, Layer, LinkType, Malformed, NotTcp, Packet, PacketIssue, Problem,
    TcpSegment, Truncated,
};
use spop_tests::pcapgen::{
    self, Endian, InterfaceDescription, Ipv6Ext, PcapWriter, PcapngWriter, TcpConversation,
    TcpPacket, VlanTag,
};

const T0: u64 = 1_700_000_000_000_000_000;

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn read_pcap(file: &[u8]) -> Vec<Packet<'_>> {
    PcapReader::new(file)
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
}

fn read_pcapng(file: &[u8]) -> Vec<Packet<'_>> {
    PcapngReader::new(file)
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
}

fn segment<'a>(packet: &Packet<'a>) -> TcpSegment<'a> {
    tcp_segment(packet).unwrap_or_else(|e| panic!("packet {}: {e}", packet.number))
}

/// Checks a decoded segment against the packet it was built from.
fn assert_segment(packet: &Packet<'_>, got: &TcpSegment<'_>, want: &TcpPacket) {
    assert_eq!(got.src, want.src);
    assert_eq!(got.dst, want.dst);
    assert_eq!(got.seq, want.seq);
    assert_eq!(got.ack, want.ack);
    assert_eq!(got.flags.syn, want.flags.contains(pcapgen::Flags::SYN));
    assert_eq!(got.flags.ack, want.flags.contains(pcapgen::Flags::ACK));
    assert_eq!(got.flags.fin, want.flags.contains(pcapgen::Flags::FIN));
    assert_eq!(got.flags.rst, want.flags.contains(pcapgen::Flags::RST));
    assert_eq!(got.flags.psh, want.flags.contains(pcapgen::Flags::PSH));
    assert_eq!(got.payload, &want.payload[..]);
    assert_eq!(got.payload_len as usize, want.payload.len());
    // The payload offset points at the payload inside the captured bytes.
    assert_eq!(
        &packet.data[got.payload_offset..got.payload_offset + got.payload.len()],
        got.payload
    );
}

fn sample_v4() -> TcpPacket {
    TcpPacket::new("192.0.2.1:40000", "192.0.2.2:12345")
        .seq(0x1234_5678)
        .ack(0x9abc_def0)
        .psh()
        .payload(b"\x00\x00\x00\x0a\x03\x00\x00\x00\x01\x00\x00\x00\x00\x00")
}

fn sample_v6() -> TcpPacket {
    TcpPacket::new("[2001:db8::1]:40000", "[2001:db8::2]:12345")
        .seq(7)
        .ack(9)
        .psh()
        .payload(b"spop over v6")
}

#[test]
fn every_link_type() {
    let cases: Vec<(LinkType, TcpPacket, Vec<u8>, usize)> = vec![
        (LinkType::ETHERNET, sample_v4(), sample_v4().ethernet(), 14),
        (LinkType::ETHERNET, sample_v6(), sample_v6().ethernet(), 14),
        (LinkType::LINUX_SLL, sample_v4(), sample_v4().sll(), 16),
        (LinkType::LINUX_SLL, sample_v6(), sample_v6().sll(), 16),
        (LinkType::LINUX_SLL2, sample_v4(), sample_v4().sll2(), 20),
        (LinkType::LINUX_SLL2, sample_v6(), sample_v6().sll2(), 20),
        (
            LinkType::NULL,
            sample_v4(),
            sample_v4().null(Endian::Little),
            4,
        ),
        (
            LinkType::NULL,
            sample_v4(),
            sample_v4().null(Endian::Big),
            4,
        ),
        (
            LinkType::NULL,
            sample_v6(),
            sample_v6().null(Endian::Little),
            4,
        ),
        (
            LinkType::NULL,
            sample_v6(),
            sample_v6().null(Endian::Big),
            4,
        ),
        (LinkType::LOOP, sample_v4(), sample_v4().openbsd_loop(), 4),
        (LinkType::LOOP, sample_v6(), sample_v6().openbsd_loop(), 4),
        (LinkType::RAW, sample_v4(), sample_v4().ip(), 0),
        (LinkType::RAW, sample_v6(), sample_v6().ip(), 0),
        (LinkType::IPV4, sample_v4(), sample_v4().ip(), 0),
        (LinkType::IPV6, sample_v6(), sample_v6().ip(), 0),
    ];
    for (link_type, want, frame, link_len) in &cases {
        let mut w = PcapWriter::new(*link_type);
        w.packet(T0, frame);
        let file = w.finish();
        let packets = read_pcap(&file);
        assert_eq!(packets.len(), 1);
        let p = &packets[0];
        assert_eq!(p.link_type, *link_type);
        assert_eq!(p.data, &frame[..]);
        let s = segment(p);
        assert_segment(p, &s, want);
        let ip_len = if want.is_ipv6() { 40 } else { 20 };
        assert_eq!(s.payload_offset, link_len + ip_len + 20, "{link_type:?}");
    }
    // The NULL families of the other BSDs.
    for family in [pcapgen::AF_INET6_OPENBSD, pcapgen::AF_INET6_FREEBSD] {
        let frame = pcapgen::null_family(family, Endian::Big, &sample_v6().ip());
        let p = Packet {
            number: 1,
            timestamp: 0,
            link_type: LinkType::NULL,
            data: &frame,
            orig_len: frame.len() as u32,
            file_offset: 0,
        };
        assert_segment(&p, &segment(&p), &sample_v6());
    }
}

#[test]
fn vlan_and_qinq() {
    let stacks: [&[VlanTag]; 4] = [
        &[VlanTag::dot1q(42)],
        &[VlanTag::dot1ad(100), VlanTag::dot1q(42)],
        &[VlanTag::qinq_legacy(7), VlanTag::dot1q(8)],
        &[VlanTag::dot1ad(1), VlanTag::dot1ad(2), VlanTag::dot1q(3)],
    ];
    let mut w = PcapWriter::new(LinkType::ETHERNET);
    for (i, tags) in stacks.iter().enumerate() {
        let mut packet = if i % 2 == 0 { sample_v4() } else { sample_v6() };
        for tag in *tags {
            packet = packet.vlan(*tag);
        }
        w.packet(T0 + i as u64 * 1_000, &packet.ethernet());
    }
    let file = w.finish();
    for (i, p) in read_pcap(&file).iter().enumerate() {
        let want = if i % 2 == 0 { sample_v4() } else { sample_v6() };
        let s = segment(p);
        assert_segment(p, &s, &want);
        let ip_len = if i % 2 == 0 { 20 } else { 40 };
        assert_eq!(s.payload_offset, 14 + 4 * stacks[i].len() + ip_len + 20);
    }
}

#[test]
fn ipv4_options_and_tcp_options() {
    let want = sample_v4()
        .ipv4_options(&[0x94, 0x04, 0x00, 0x00, 0x01, 0x01, 0x01, 0x00])
        .tcp_options(&[1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2]);
    let frame = want.ethernet();
    let p = Packet {
        number: 1,
        timestamp: 0,
        link_type: LinkType::ETHERNET,
        data: &frame,
        orig_len: frame.len() as u32,
        file_offset: 0,
    };
    let s = segment(&p);
    assert_segment(&p, &s, &want);
    assert_eq!(s.payload_offset, 14 + 28 + 32);
}

#[test]
fn ipv6_extension_headers() {
    let want = sample_v6()
        .ipv6_ext(Ipv6Ext::HopByHop(vec![5, 2, 0, 0])) // router alert
        .ipv6_ext(Ipv6Ext::DestinationOptions(vec![]))
        .ipv6_ext(Ipv6Ext::Routing(vec![4, 0, 0, 0, 0, 0]))
        .ipv6_ext(Ipv6Ext::Authentication {
            spi: 0x100,
            seq: 1,
            icv: vec![0xaa; 12],
        })
        .ipv6_ext(Ipv6Ext::DestinationOptions(vec![
            1, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ]));
    for link_type in [LinkType::ETHERNET, LinkType::LINUX_SLL2, LinkType::RAW] {
        let mut w = PcapWriter::new(link_type).nanos();
        w.packet(T0, &want.frame(link_type));
        let file = w.finish();
        let packets = read_pcap(&file);
        let s = segment(&packets[0]);
        assert_segment(&packets[0], &s, &want);
    }
}

#[test]
fn ip_fragments_are_reported_not_reassembled() {
    let first = sample_v4().fragment(0xbeef, 0, true);
    let middle = sample_v4().fragment(0xbeef, 1480, true);
    let last = sample_v4().fragment(0xbeef, 2960, false);
    let v6_first = sample_v6().fragment(0xdead_beef, 0, true);
    let v6_last =
        sample_v6()
            .ipv6_ext(Ipv6Ext::HopByHop(vec![]))
            .fragment(0xdead_beef, 1448, false);
    // An atomic IPv6 fragment (offset 0, last) is a whole packet (RFC 6946).
    let v6_atomic = sample_v6().fragment(1, 0, false);
    let mut w = PcapWriter::new(LinkType::LINUX_SLL);
    for p in [&first, &middle, &last, &v6_first, &v6_last, &v6_atomic] {
        w.packet(T0, &p.sll());
    }
    let file = w.finish();
    let packets = read_pcap(&file);
    let fragment = |p: &Packet| match tcp_segment(p) {
        Err(PacketIssue::Fragment(f)) => f,
        other => panic!("packet {}: fragment expected, got {other:?}", p.number),
    };
    let v4 = |offset, more| IpFragment {
        version: IpVersion::V4,
        src: "192.0.2.1".parse().unwrap(),
        dst: "192.0.2.2".parse().unwrap(),
        id: 0xbeef,
        offset,
        more_fragments: more,
        protocol: 6,
        ip_offset: 16,
    };
    assert_eq!(fragment(&packets[0]), v4(0, true));
    assert_eq!(fragment(&packets[1]), v4(1480, true));
    assert_eq!(fragment(&packets[2]), v4(2960, false));
    let f = fragment(&packets[3]);
    assert_eq!(
        (f.version, f.id, f.offset, f.more_fragments, f.protocol),
        (IpVersion::V6, 0xdead_beef, 0, true, 6)
    );
    assert_eq!(f.src, "2001:db8::1".parse::<std::net::IpAddr>().unwrap());
    let f = fragment(&packets[4]);
    assert_eq!((f.offset, f.more_fragments), (1448, false));
    assert!(fragment(&packets[4])
        .to_string()
        .contains("fragments are not reassembled"));
    assert_segment(&packets[5], &segment(&packets[5]), &v6_atomic);
}

#[test]
fn non_tcp_is_skipped_not_an_error() {
    let udp = sample_v4().ip_with(17, &[0x30, 0x39, 0x00, 0x35, 0x00, 0x08, 0x00, 0x00]);
    let icmp6 = sample_v6().ip_with(58, &[128, 0, 0, 0, 0, 1, 0, 1]);
    let arp = pcapgen::ethernet_typed(0x0806, &[], &[0; 28]);
    let mut w = PcapWriter::new(LinkType::ETHERNET);
    w.packet(T0, &pcapgen::ethernet(&[], &udp))
        .packet(T0, &pcapgen::ethernet(&[VlanTag::dot1q(5)], &icmp6))
        .packet(T0, &arp)
        .packet(T0, &sample_v4().ethernet());
    let file = w.finish();
    let issues: Vec<_> = read_pcap(&file).iter().map(tcp_segment).collect();
    assert_eq!(issues[0], Err(PacketIssue::NotTcp(NotTcp::IpProtocol(17))));
    assert_eq!(issues[1], Err(PacketIssue::NotTcp(NotTcp::IpProtocol(58))));
    assert_eq!(
        issues[2],
        Err(PacketIssue::NotTcp(NotTcp::EtherType(0x0806)))
    );
    assert!(issues[3].is_ok());
    // NULL with an unknown family, SLL with a non-IP protocol.
    let null = pcapgen::null_family(17, Endian::Little, &[0; 20]);
    let p = Packet {
        number: 1,
        timestamp: 0,
        link_type: LinkType::NULL,
        data: &null,
        orig_len: 24,
        file_offset: 0,
    };
    assert_eq!(
        tcp_segment(&p),
        Err(PacketIssue::NotTcp(NotTcp::AddressFamily(17)))
    );
    let sll = pcapgen::sll_typed(0x0004, &[0; 20]);
    let p = Packet {
        link_type: LinkType::LINUX_SLL,
        data: &sll,
        ..p
    };
    assert_eq!(
        tcp_segment(&p),
        Err(PacketIssue::NotTcp(NotTcp::EtherType(4)))
    );
}

#[test]
fn unsupported_link_type_is_named() {
    let mut w = PcapWriter::new(LinkType(105));
    w.packet(T0, &[0; 40]);
    let file = w.finish();
    let packets = read_pcap(&file);
    let issue = tcp_segment(&packets[0]).unwrap_err();
    assert_eq!(
        issue,
        PacketIssue::UnsupportedLinkType {
            link_type: LinkType(105)
        }
    );
    assert_eq!(
        issue.to_string(),
        "link type 105 (IEEE802_11) is not supported"
    );
}

#[test]
fn pcap_byte_orders_and_precisions() {
    let ts = T0 + 123_456_789;
    for endian in [Endian::Little, Endian::Big] {
        for nanos in [false, true] {
            let mut w = PcapWriter::new(LinkType::ETHERNET).endian(endian);
            if nanos {
                w = w.nanos();
            }
            w.packet(ts, &sample_v4().ethernet())
                .packet(ts + 1_001, &sample_v6().ethernet());
            let file = w.finish();
            let reader = PcapReader::new(&file).unwrap();
            let header = *reader.header();
            assert_eq!(
                header.byte_order,
                match endian {
                    Endian::Little => ByteOrder::LittleEndian,
                    Endian::Big => ByteOrder::BigEndian,
                }
            );
            assert_eq!(
                header.precision,
                if nanos {
                    TimestampPrecision::Nanos
                } else {
                    TimestampPrecision::Micros
                }
            );
            let packets: Vec<_> = reader.map(Result::unwrap).collect();
            let (t1, t2) = if nanos {
                (ts, ts + 1_001)
            } else {
                (T0 + 123_456_000, T0 + 123_457_000)
            };
            assert_eq!(packets[0].timestamp, t1);
            assert_eq!(packets[1].timestamp, t2);
            assert_eq!((packets[0].number, packets[1].number), (1, 2));
            assert_eq!(packets[0].file_offset, 24 + 16);
            assert_eq!(
                &file[packets[1].file_offset..][..packets[1].data.len()],
                packets[1].data
            );
            assert_segment(&packets[0], &segment(&packets[0]), &sample_v4());
            assert_segment(&packets[1], &segment(&packets[1]), &sample_v6());
        }
    }
}

#[test]
fn snaplen_truncation_is_reported_not_fatal() {
    let big = sample_v4().payload(vec![0x5a; 1000]);
    let mut w = PcapWriter::new(LinkType::ETHERNET).snaplen(96);
    w.packet(T0, &big.ethernet()) // 96 of 1054 bytes: TCP header complete
        .packet(T0 + 1, &sample_v4().ipv4_options(&[1; 40]).ethernet()); // fits
    let mut short = PcapWriter::new(LinkType::ETHERNET).snaplen(40);
    short
        .packet(T0 + 2, &big.ethernet()) // 40 bytes: the TCP header is cut
        .packet(T0 + 3, &pcapgen::ethernet(&[], &[]));
    for (file, expect_cut_header) in [(w.finish(), false), (short.finish(), true)] {
        let packets = read_pcap(&file);
        assert_eq!(packets.len(), 2, "truncation never stops the reader");
        let p = &packets[0];
        assert!(p.is_truncated());
        assert_eq!(p.orig_len, 1054);
        match tcp_segment(p) {
            Ok(s) => {
                assert!(!expect_cut_header);
                assert_eq!(s.payload.len(), 96 - 54);
                assert_eq!(s.payload_len, 1000);
                assert_eq!(s.seq, big.seq);
                assert!(s.payload.iter().all(|&b| b == 0x5a));
            }
            Err(issue) => {
                assert!(expect_cut_header);
                assert_eq!(
                    issue,
                    PacketIssue::Truncated(Truncated {
                        layer: Layer::Tcp,
                        offset: 34,
                        needed: 20,
                        available: 6
                    })
                );
                assert!(issue.to_string().starts_with("cut by the snapshot length"));
            }
        }
    }
    // A frame shorter than its IP header without any snaplen cut is malformed.
    let ip = sample_v4().ip();
    let frame = pcapgen::ethernet(&[], &ip[..10]);
    let p = Packet {
        number: 1,
        timestamp: 0,
        link_type: LinkType::ETHERNET,
        data: &frame,
        orig_len: frame.len() as u32,
        file_offset: 0,
    };
    assert_eq!(
        tcp_segment(&p),
        Err(PacketIssue::Malformed(Malformed {
            layer: Layer::Ipv4,
            offset: 14,
            problem: Problem::TooShort {
                needed: 20,
                available: 10
            }
        }))
    );
}

#[test]
fn ethernet_padding_is_not_payload() {
    let mut frame = sample_v4().payload(b"").ethernet();
    frame.resize(60, 0xee);
    let p = Packet {
        number: 1,
        timestamp: 0,
        link_type: LinkType::ETHERNET,
        data: &frame,
        orig_len: 60,
        file_offset: 0,
    };
    let s = segment(&p);
    assert_eq!((s.payload, s.payload_len), (&[][..], 0));
}

#[test]
fn pcapng_sections_interfaces_and_blocks() {
    let mut w = PcapngWriter::new(Endian::Little);
    w.block(0x0bad, b"custom block, copied"); // unknown to packet reading: skipped
    let eth = w.interface(InterfaceDescription::new(LinkType::ETHERNET).name("eth0"));
    let sll = w.interface(
        InterfaceDescription::new(LinkType::LINUX_SLL)
            .tsresol(9)
            .snaplen(1000),
    );
    w.epb(eth, T0 + 1_000, &sample_v4().ethernet()) // 1
        .epb(sll, T0 + 2_001, &sample_v6().sll()) // 2
        .block(5, &[0; 16]) // interface statistics: skipped
        .spb(&sample_v4().seq(1).ethernet()); // 3: interface 0, previous timestamp
    w.section(Endian::Big);
    let raw = w.interface(InterfaceDescription::new(LinkType::RAW).tsresol(0x80 | 20));
    let null = w.interface(
        InterfaceDescription::new(LinkType::NULL)
            .tsresol(3)
            .tsoffset(1_000_000),
    );
    w.block(0x4000_0bad, &[1, 2, 3]) // custom, no-copy
        .block(0x7777, &[]) // a type nobody knows
        .epb_ticks(
            raw,
            1 << 30,
            &sample_v6().ip(),
            sample_v6().ip().len() as u32,
        ) // 4: 2^30 ticks of 2^-20 s = 1024 s
        .epb(null, T0 + 5_000_000, &sample_v4().null(Endian::Big)) // 5
        .spb(&sample_v4().seq(2).ip()); // 6: RAW interface 0
    w.section(Endian::Little);
    let lo = w.interface(InterfaceDescription::new(LinkType::LOOP).tsresol(6));
    w.epb(lo, T0 + 7_000, &sample_v6().openbsd_loop()); // 7
    assert_eq!(lo, 0);
    let file = w.finish();

    let mut reader = PcapngReader::new(&file).unwrap();
    let packets: Vec<_> = reader.by_ref().map(Result::unwrap).collect();
    assert_eq!(
        reader.interfaces().len(),
        1,
        "last section has one interface"
    );
    assert_eq!(reader.byte_order(), ByteOrder::LittleEndian);
    let summary: Vec<_> = packets
        .iter()
        .map(|p| (p.number, p.link_type, p.timestamp))
        .collect();
    // Numbers are Wireshark's frame numbers: it lists each custom block as a frame (1 and 5).
    assert_eq!(
        summary,
        vec![
            (2, LinkType::ETHERNET, T0 + 1_000),
            (3, LinkType::LINUX_SLL, T0 + 2_001),
            (4, LinkType::ETHERNET, T0 + 2_001),
            (6, LinkType::RAW, 1_024_000_000_000),
            (7, LinkType::NULL, T0 + 5_000_000),
            (8, LinkType::RAW, T0 + 5_000_000), // SPB: the previous packet's time
            (9, LinkType::LOOP, T0 + 7_000),
        ]
    );
    let wants = [
        sample_v4(),
        sample_v6(),
        sample_v4().seq(1),
        sample_v6(),
        sample_v4(),
        sample_v4().seq(2),
        sample_v6(),
    ];
    for (p, want) in packets.iter().zip(&wants) {
        assert_segment(p, &segment(p), want);
        assert_eq!(&file[p.file_offset..][..p.data.len()], p.data);
    }
}

#[test]
fn pcapng_big_endian_nanoseconds_and_snaplen() {
    let big = sample_v4().payload(vec![1; 500]);
    let mut w = PcapngWriter::new(Endian::Big);
    let eth = w.interface(
        InterfaceDescription::new(LinkType::ETHERNET)
            .tsresol(9)
            .snaplen(128),
    );
    w.epb(eth, T0 + 999_999_999, &big.ethernet())
        .spb(&big.ethernet());
    let file = w.finish();
    let packets = read_pcapng(&file);
    assert_eq!(packets[0].timestamp, T0 + 999_999_999);
    for p in &packets {
        assert!(p.is_truncated());
        assert_eq!((p.data.len(), p.orig_len), (128, 554));
        let s = segment(p);
        assert_eq!((s.payload.len(), s.payload_len), (128 - 54, 500));
    }
}

#[test]
fn damaged_files_report_where() {
    // pcap: a record claiming more than the file holds.
    let mut w = PcapWriter::new(LinkType::ETHERNET);
    w.packet(T0, &sample_v4().ethernet())
        .record(1, 0, 1514, 1514, &[0; 200]);
    let file = w.finish();
    let items: Vec<_> = PcapReader::new(&file).unwrap().collect();
    assert_eq!(items.len(), 2);
    let e = items[1].as_ref().unwrap_err();
    let offset = 24 + 16 + sample_v4().ethernet().len();
    assert_eq!(e.offset, offset);
    assert_eq!(
        e.to_string(),
        format!(
            "pcap record 2 at offset {offset:#x}: claims 1514 bytes, only 200 left in the file"
        )
    );
    // pcap: bad version.
    let file = PcapWriter::new(LinkType::ETHERNET).version(3, 0).finish();
    assert!(matches!(
        PcapReader::new(&file).unwrap_err().kind,
        CaptureErrorKind::UnsupportedVersion { major: 3, minor: 0 }
    ));
    // A pcapng file is not a pcap file and vice versa.
    let ng = PcapngWriter::new(Endian::Little).finish();
    assert!(matches!(
        PcapReader::new(&ng).unwrap_err().kind,
        CaptureErrorKind::BadMagic { .. }
    ));
    assert!(matches!(
        PcapngReader::new(&PcapWriter::new(LinkType::RAW).finish())
            .unwrap_err()
            .kind,
        CaptureErrorKind::BadMagic { .. }
    ));
    // pcapng: a block length that is not a multiple of 4 ends reading after the good packets.
    let mut w = PcapngWriter::new(Endian::Little);
    let eth = w.interface(InterfaceDescription::new(LinkType::ETHERNET));
    w.epb(eth, T0, &sample_v4().ethernet());
    let bad_at = w.len();
    w.raw(&6u32.to_le_bytes())
        .raw(&30u32.to_le_bytes())
        .raw(&[0; 22]);
    let file = w.finish();
    let items: Vec<_> = PcapngReader::new(&file).unwrap().collect();
    assert_eq!(items.len(), 2);
    assert!(items[0].is_ok());
    let e = items[1].as_ref().unwrap_err();
    assert_eq!(e.offset, bad_at);
    assert!(e.to_string().contains("Enhanced Packet Block at offset"));
    // pcapng: a packet on an interface the section does not describe; reading goes on.
    let mut w = PcapngWriter::new(Endian::Big);
    let eth = w.interface(InterfaceDescription::new(LinkType::ETHERNET));
    w.epb_ticks(3, 1, &sample_v4().ethernet(), 54)
        .epb(eth, T0, &sample_v4().ethernet());
    let file = w.finish();
    let items: Vec<_> = PcapngReader::new(&file).unwrap().collect();
    assert!(matches!(
        items[0].as_ref().unwrap_err().kind,
        CaptureErrorKind::UnknownInterface {
            interface_id: 3,
            interfaces: 1,
            ..
        }
    ));
    assert_eq!(items[1].as_ref().unwrap().number, 2);
}

#[test]
fn conversation_helper_wraps_sequence_numbers() {
    let mut c = TcpConversation::new("[::1]:50000", "[::1]:12345").isn(u32::MAX - 2, 10);
    let mut w = PcapWriter::new(LinkType::NULL).nanos();
    let mut t = T0;
    let mut wants = Vec::new();
    for packet in c.handshake() {
        wants.push(packet);
    }
    wants.push(c.client(b"abcdef"));
    wants.push(c.server(b"xy"));
    wants.push(c.client_fin());
    wants.push(c.server_fin());
    wants.push(c.client_ack());
    for p in &wants {
        t += 1;
        w.packet(t, &p.null(Endian::Little));
    }
    let file = w.finish();
    let packets = read_pcap(&file);
    let segments: Vec<_> = packets.iter().map(segment).collect();
    for ((p, s), want) in packets.iter().zip(&segments).zip(&wants) {
        assert_segment(p, s, want);
    }
    assert_eq!(segments[0].seq, u32::MAX - 2);
    assert!(segments[0].flags.syn && !segments[0].flags.ack);
    assert_eq!(segments[1].ack, u32::MAX - 1);
    assert_eq!(segments[3].seq, u32::MAX - 1);
    assert_eq!(segments[4].ack, 4, "6 bytes from u32::MAX - 1 wrap to 4");
    assert_eq!(segments[5].seq, 4);
    assert!(segments[5].flags.fin);
    assert_eq!(segments[7].seq, 5);
    assert_eq!(segments[7].src, addr("[::1]:50000"));
}

// ---- real captures ------------------------------------------------------------------------

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn read_any(file: &[u8]) -> Vec<Packet<'_>> {
    if spop_codec::capture::pcapng::is_pcapng(file) {
        read_pcapng(file)
    } else {
        read_pcap(file)
    }
}

/// What tcpdump and tshark report for each fixture (`tcpdump -r F | wc -l`;
/// `tshark -r F -T fields -e tcp.len`, `-Y 'tcp.flags.syn==1 && tcp.flags.ack==0'`,
/// `-Y tcp.flags.fin==1`, `-e tcp.stream`).
struct Expected {
    name: &'static str,
    packets: usize,
    payload_bytes: usize,
    syns: usize,
    fins: usize,
    connections: usize,
}

const FIXTURES: [Expected; 5] = [
    Expected {
        name: "haproxy26-clean.pcap",
        packets: 34,
        payload_bytes: 1002,
        syns: 2,
        fins: 4,
        connections: 2,
    },
    Expected {
        name: "haproxy26-interleaved-disconnect.pcap",
        packets: 49,
        payload_bytes: 1261,
        syns: 3,
        fins: 4,
        connections: 3,
    },
    Expected {
        name: "haproxy26-pyagent.pcap",
        packets: 54,
        payload_bytes: 1947,
        syns: 2,
        fins: 4,
        connections: 2,
    },
    Expected {
        name: "haproxy34-clean.pcap",
        packets: 21,
        payload_bytes: 695,
        syns: 1,
        fins: 2,
        connections: 1,
    },
    Expected {
        name: "haproxy34-clean.pcapng",
        packets: 21,
        payload_bytes: 695,
        syns: 1,
        fins: 2,
        connections: 1,
    },
];

#[test]
fn real_fixtures_parse_to_tcp_segments() {
    let agent = 12345;
    for want in &FIXTURES {
        let file = fixture(want.name);
        let packets = read_any(&file);
        assert_eq!(packets.len(), want.packets, "{}", want.name);
        let mut payload_bytes = 0;
        let (mut syns, mut fins) = (0, 0);
        let mut client_ports = std::collections::BTreeSet::new();
        for (i, p) in packets.iter().enumerate() {
            assert_eq!(p.number as usize, i + 1);
            assert_eq!(p.link_type, LinkType::ETHERNET);
            assert!(!p.is_truncated());
            let s = segment(p);
            assert!(s.src.ip().is_loopback() && s.dst.ip().is_loopback());
            assert!(
                s.src.port() == agent || s.dst.port() == agent,
                "{} packet {}: {} -> {}",
                want.name,
                p.number,
                s.src,
                s.dst
            );
            assert_eq!(s.payload.len(), s.payload_len as usize);
            payload_bytes += s.payload.len();
            syns += usize::from(s.flags.syn && !s.flags.ack);
            fins += usize::from(s.flags.fin);
            client_ports.insert(if s.dst.port() == agent {
                s.src.port()
            } else {
                s.dst.port()
            });
        }
        assert_eq!(payload_bytes, want.payload_bytes, "{}", want.name);
        assert_eq!((syns, fins), (want.syns, want.fins), "{}", want.name);
        assert_eq!(client_ports.len(), want.connections, "{}", want.name);
    }
}

#[test]
fn haproxy34_pcap_and_pcapng_agree() {
    let (pcap, pcapng) = (
        fixture("haproxy34-clean.pcap"),
        fixture("haproxy34-clean.pcapng"),
    );
    let (a, b) = (read_pcap(&pcap), read_pcapng(&pcapng));
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(
            (x.number, x.timestamp, x.link_type, x.data, x.orig_len),
            (y.number, y.timestamp, y.link_type, y.data, y.orig_len)
        );
        assert_eq!(segment(x), segment(y));
    }
}

#[test]
fn haproxy34_matches_tshark() {
    // tshark -r haproxy34-clean.pcap -T fields -e frame.time_epoch -e tcp.srcport
    //   -e tcp.seq_raw -e tcp.ack_raw -e tcp.len
    const ROWS: [(u64, u16, u32, u32, usize); 21] = [
        (1_795_448_222_295_903_000, 51484, 2293996857, 0, 0),
        (1_795_448_222_295_914_000, 12345, 1369929518, 2293996858, 0),
        (1_795_448_222_295_925_000, 51484, 2293996858, 1369929519, 0),
        (
            1_795_448_222_296_000_000,
            51484,
            2293996858,
            1369929519,
            127,
        ),
        (1_795_448_222_296_006_000, 12345, 1369929519, 2293996985, 0),
        (1_795_448_222_296_779_000, 12345, 1369929519, 2293996985, 68),
        (1_795_448_222_296_790_000, 51484, 2293996985, 1369929587, 0),
        (1_795_448_222_296_829_000, 51484, 2293996985, 1369929587, 82),
        (1_795_448_222_297_014_000, 12345, 1369929587, 2293997067, 18),
        (1_795_448_222_314_880_000, 51484, 2293997067, 1369929605, 82),
        (1_795_448_222_315_298_000, 12345, 1369929605, 2293997149, 18),
        (1_795_448_222_330_865_000, 51484, 2293997149, 1369929623, 82),
        (1_795_448_222_331_280_000, 12345, 1369929623, 2293997231, 18),
        (1_795_448_222_346_196_000, 51484, 2293997231, 1369929641, 82),
        (1_795_448_222_346_595_000, 12345, 1369929641, 2293997313, 18),
        (1_795_448_222_362_816_000, 51484, 2293997313, 1369929659, 82),
        (1_795_448_222_363_218_000, 12345, 1369929659, 2293997395, 18),
        (1_795_448_222_406_810_000, 51484, 2293997395, 1369929677, 0),
        (1_795_448_223_370_202_000, 51484, 2293997395, 1369929677, 0),
        (1_795_448_223_370_910_000, 12345, 1369929677, 2293997396, 0),
        (1_795_448_223_370_943_000, 51484, 2293997396, 1369929678, 0),
    ];
    for name in ["haproxy34-clean.pcap", "haproxy34-clean.pcapng"] {
        let file = fixture(name);
        let packets = read_any(&file);
        for (p, &(ts, sport, seq, ack, len)) in packets.iter().zip(&ROWS) {
            let s = segment(p);
            assert_eq!(
                (p.timestamp, s.src.port(), s.seq, s.ack, s.payload.len()),
                (ts, sport, seq, ack, len),
                "{name} packet {}",
                p.number
            );
        }
    }
}

/// Captures travel compressed in bug trackers: `.pcap.gz` and `.pcapng.gz` open as what they
/// hold, fed whole or in chunks; a gzip bomb is refused with a message, not an allocation;
/// other files people attach say what they are and what to do.
#[test]
fn gzip_compressed_captures_open_as_what_they_hold() {
    use spop_codec::capture::{load, GzipError, KnownFile, LoadError, LoadOptions, Loader};
    use spop_tests::gzip::{bomb, gzip};
    for (name, plain) in spop_tests::fixtures() {
        let gz = gzip(&plain, "capture.pcap");
        let want = load(&plain, &LoadOptions::default()).unwrap();
        assert_eq!(load(&gz, &LoadOptions::default()).unwrap(), want, "{name}");
        let mut loader = Loader::new(LoadOptions::default()).with_total(gz.len());
        for chunk in gz.chunks(100) {
            loader.feed(chunk, &mut |_| {});
        }
        assert_eq!(
            loader.finish(&mut |_| {}).unwrap(),
            want,
            "{name} in chunks"
        );
    }

    // Every optional header field (extra, name, comment, header CRC) is skipped.
    let plain = &spop_tests::fixtures()[0].1;
    let mut full = vec![
        0x1f,
        0x8b,
        0x08,
        0x04 | 0x08 | 0x10 | 0x02,
        0,
        0,
        0,
        0,
        0,
        0xff,
    ];
    full.extend_from_slice(&[3, 0, b'a', b'b', b'c']);
    full.extend_from_slice(b"capture.pcap\0a comment\0");
    full.extend_from_slice(&[0x12, 0x34]);
    full.extend(deflate_of(plain));
    assert_eq!(
        load(&full, &LoadOptions::default()).unwrap(),
        load(plain, &LoadOptions::default()).unwrap()
    );

    let err = load(&bomb(300 << 20), &LoadOptions::default()).unwrap_err();
    assert_eq!(
        err,
        LoadError::Gzip(GzipError::TooLarge { limit: 256 << 20 })
    );
    assert!(err.to_string().contains("gzip bomb"), "{err}");
    let mut cut = gzip(b"some bytes that are not a capture at all", "x");
    cut.truncate(20);
    assert_eq!(
        load(&cut, &LoadOptions::default()).unwrap_err(),
        LoadError::Gzip(GzipError::Damaged)
    );
    let other = gzip(&[0xAA; 64], "notes.bin");
    assert_eq!(
        load(&other, &LoadOptions::default()).unwrap_err(),
        LoadError::NotACapture(KnownFile::GzipOfOther)
    );

    for (bytes, says) in [
        (
            &b"PK\x03\x04\x14\x00\x00\x00"[..],
            "a ZIP archive, not a capture: unzip it",
        ),
        (
            &[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F'][..],
            "a JPEG image, not a capture",
        ),
        (
            &b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"[..],
            "a PNG image, not a capture",
        ),
    ] {
        let e = load(bytes, &LoadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains(says), "{e}");
        assert!(e.contains(".pcap"), "says what to do: {e}");
    }
    let prose = load(
        b"Hello, the agent crashed again yesterday, see attached.\n",
        &LoadOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(prose.contains("text, but not a format I know"), "{prose}");
    assert!(prose.contains("tcpdump -XX"), "{prose}");
}

/// The deflate stream of `gzip(bytes)`: what follows its 10-byte header and the name.
fn deflate_of(bytes: &[u8]) -> Vec<u8> {
    let gz = spop_tests::gzip::gzip(bytes, "");
    gz[11..].to_vec()
}
