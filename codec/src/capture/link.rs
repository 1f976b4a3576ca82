//! Link layer: from a packet's bytes and its link type to the IP packet it carries.
//!
//! Ethernet II and its VLAN tags (802.1Q 0x8100, 802.1ad 0x88a8, legacy QinQ 0x9100, stacked
//! to any depth) are sliced with etherparse. The rest is by hand, each for a reason:
//!
//! * Linux cooked capture v1 (SLL): etherparse's `LinuxSllHeaderSlice` rejects ARPHRD types it
//!   does not know, among them 772 (`ARPHRD_LOOPBACK`), which `tcpdump -i any` records for
//!   loopback traffic: exactly where HAProxy and its agents talk. Only the protocol field
//!   (offset 14) matters here.
//! * SLL2, BSD NULL and OpenBSD LOOP are not in etherparse; each is a fixed header with a
//!   protocol field.
//!
//! Non-IP payloads (ARP, LLDP …) are [`PacketIssue::NotTcp`], which callers skip.

use etherparse::{Ethernet2Header, Ethernet2HeaderSlice, SingleVlanHeader, SingleVlanHeaderSlice};

use super::error::{Layer, Malformed, NotTcp, PacketIssue, Problem, Truncated};
use super::ip::{IpPacket, IpVersion};
use super::LinkType;

/// Size of a Linux cooked capture v1 header.
pub const LINUX_SLL_LEN: usize = 16;
/// Size of a Linux cooked capture v2 header.
pub const LINUX_SLL2_LEN: usize = 20;
/// Size of a BSD NULL / OpenBSD LOOP header.
pub const LOOPBACK_LEN: usize = 4;

/// EtherType of IPv4.
pub const ETHERTYPE_IPV4: u16 = 0x0800;
/// EtherType of IPv6.
pub const ETHERTYPE_IPV6: u16 = 0x86dd;
/// EtherType of an 802.1Q VLAN tag.
pub const ETHERTYPE_VLAN: u16 = 0x8100;
/// EtherType of an 802.1ad (QinQ service) VLAN tag.
pub const ETHERTYPE_QINQ: u16 = 0x88a8;
/// Pre-standard EtherType of a QinQ outer tag, still emitted by some switches.
pub const ETHERTYPE_QINQ_LEGACY: u16 = 0x9100;

/// `AF_INET` in every BSD-derived stack.
pub const AF_INET: u32 = 2;
/// The values `AF_INET6` takes on the systems that write NULL/LOOP captures: 24 (NetBSD,
/// OpenBSD, BSD/OS), 28 (FreeBSD, DragonFly), 30 (macOS, iOS).
pub const AF_INET6: [u32; 3] = [24, 28, 30];

/// The tcpdump `LINKTYPE_*` name of common link types (without the prefix).
pub const fn link_type_name(link_type: LinkType) -> Option<&'static str> {
    Some(match link_type.0 {
        0 => "NULL",
        1 => "ETHERNET",
        9 => "PPP",
        50 => "PPP_HDLC",
        101 => "RAW",
        105 => "IEEE802_11",
        108 => "LOOP",
        113 => "LINUX_SLL",
        127 => "IEEE802_11_RADIOTAP",
        228 => "IPV4",
        229 => "IPV6",
        239 => "NFLOG",
        249 => "USBPCAP",
        276 => "LINUX_SLL2",
        _ => return None,
    })
}

/// Strips the link-layer header of `data` (captured with `link_type`) and returns the IP
/// packet inside, with its offset in `data`.
///
/// Errors: [`PacketIssue::UnsupportedLinkType`]; [`PacketIssue::NotTcp`] for non-IP payloads;
/// [`PacketIssue::Truncated`] when `data` ends inside the link header; for raw IP,
/// [`PacketIssue::Malformed`] when the version nibble is neither 4 nor 6.
pub fn ip_packet(link_type: LinkType, data: &[u8]) -> Result<IpPacket<'_>, PacketIssue> {
    match link_type {
        LinkType::ETHERNET => {
            let header = Ethernet2HeaderSlice::from_slice(data)
                .map_err(|e| truncated(Layer::Ethernet, 0, e.required_len, e.len))?;
            ether_payload(data, header.ether_type().0, Ethernet2Header::LEN)
        }
        LinkType::LINUX_SLL => {
            let protocol = be_u16(data, LINUX_SLL_LEN - 2)
                .ok_or_else(|| truncated(Layer::LinuxSll, 0, LINUX_SLL_LEN, data.len()))?;
            ether_payload(data, protocol, LINUX_SLL_LEN)
        }
        LinkType::LINUX_SLL2 => {
            if data.len() < LINUX_SLL2_LEN {
                return Err(truncated(Layer::LinuxSll2, 0, LINUX_SLL2_LEN, data.len()));
            }
            ether_payload(data, be_u16(data, 0).unwrap_or(0), LINUX_SLL2_LEN)
        }
        LinkType::NULL | LinkType::LOOP => {
            let (layer, family) = match link_type {
                // Host byte order of the capturing machine: families are small numbers, so a
                // value that does not fit 16 bits was written in the other order.
                LinkType::NULL => (
                    Layer::Null,
                    le_u32(data).map(|v| if v > 0xffff { v.swap_bytes() } else { v }),
                ),
                _ => (Layer::Loop, le_u32(data).map(u32::swap_bytes)),
            };
            let family = family.ok_or_else(|| truncated(layer, 0, LOOPBACK_LEN, data.len()))?;
            let version = match family {
                AF_INET => IpVersion::V4,
                f if AF_INET6.contains(&f) => IpVersion::V6,
                other => return Err(PacketIssue::NotTcp(NotTcp::AddressFamily(other))),
            };
            Ok(ip_at(data, version, LOOPBACK_LEN))
        }
        LinkType::RAW => {
            let first = *data
                .first()
                .ok_or_else(|| truncated(Layer::RawIp, 0, 1, 0))?;
            let version = match first >> 4 {
                4 => IpVersion::V4,
                6 => IpVersion::V6,
                found => {
                    return Err(PacketIssue::Malformed(Malformed {
                        layer: Layer::RawIp,
                        offset: 0,
                        problem: Problem::UnknownIpVersion { found },
                    }))
                }
            };
            Ok(ip_at(data, version, 0))
        }
        LinkType::IPV4 => Ok(ip_at(data, IpVersion::V4, 0)),
        LinkType::IPV6 => Ok(ip_at(data, IpVersion::V6, 0)),
        _ => Err(PacketIssue::UnsupportedLinkType { link_type }),
    }
}

/// Follows an EtherType (after Ethernet, SLL or SLL2) through any VLAN tags to IP.
fn ether_payload(data: &[u8], ether_type: u16, offset: usize) -> Result<IpPacket<'_>, PacketIssue> {
    let (mut ether_type, mut offset) = (ether_type, offset);
    // Each tag consumes 4 bytes, so the loop ends with the data.
    while matches!(
        ether_type,
        ETHERTYPE_VLAN | ETHERTYPE_QINQ | ETHERTYPE_QINQ_LEGACY
    ) {
        let rest = data.get(offset..).unwrap_or_default();
        let tag = SingleVlanHeaderSlice::from_slice(rest)
            .map_err(|e| truncated(Layer::Vlan, offset, e.required_len, e.len))?;
        ether_type = tag.ether_type().0;
        offset += SingleVlanHeader::LEN;
    }
    let version = match ether_type {
        ETHERTYPE_IPV4 => IpVersion::V4,
        ETHERTYPE_IPV6 => IpVersion::V6,
        other => return Err(PacketIssue::NotTcp(NotTcp::EtherType(other))),
    };
    Ok(ip_at(data, version, offset))
}

fn ip_at(data: &[u8], version: IpVersion, offset: usize) -> IpPacket<'_> {
    IpPacket {
        version,
        data: data.get(offset..).unwrap_or_default(),
        offset,
    }
}

fn be_u16(data: &[u8], offset: usize) -> Option<u16> {
    let bytes: [u8; 2] = data.get(offset..offset + 2)?.try_into().ok()?;
    Some(u16::from_be_bytes(bytes))
}

fn le_u32(data: &[u8]) -> Option<u32> {
    let bytes: [u8; 4] = data.get(..4)?.try_into().ok()?;
    Some(u32::from_le_bytes(bytes))
}

fn truncated(layer: Layer, offset: usize, needed: usize, available: usize) -> PacketIssue {
    PacketIssue::Truncated(Truncated {
        layer,
        offset,
        needed,
        available,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    const IP4: [u8; 2] = [0x45, 0x00];
    const IP6: [u8; 2] = [0x60, 0x00];

    fn ethernet(types: &[u16], payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::from([0u8; 12]);
        for (i, t) in types.iter().enumerate() {
            out.extend_from_slice(&t.to_be_bytes());
            if i + 1 < types.len() {
                out.extend_from_slice(&[0x00, 0x2a]); // TCI: VLAN 42
            }
        }
        out.extend_from_slice(payload);
        out
    }

    fn check(link: LinkType, data: &[u8], version: IpVersion, offset: usize) {
        let ip = ip_packet(link, data).unwrap();
        assert_eq!(ip.version, version);
        assert_eq!(ip.offset, offset);
        assert_eq!(ip.data, &data[offset..]);
    }

    #[test]
    fn ethernet_and_vlans() {
        check(
            LinkType::ETHERNET,
            &ethernet(&[0x0800], &IP4),
            IpVersion::V4,
            14,
        );
        check(
            LinkType::ETHERNET,
            &ethernet(&[0x86dd], &IP6),
            IpVersion::V6,
            14,
        );
        check(
            LinkType::ETHERNET,
            &ethernet(&[0x8100, 0x0800], &IP4),
            IpVersion::V4,
            18,
        );
        check(
            LinkType::ETHERNET,
            &ethernet(&[0x88a8, 0x8100, 0x86dd], &IP6),
            IpVersion::V6,
            22,
        );
        check(
            LinkType::ETHERNET,
            &ethernet(&[0x9100, 0x9100, 0x8100, 0x0800], &IP4),
            IpVersion::V4,
            26,
        );
    }

    #[test]
    fn ethernet_errors() {
        assert_eq!(
            ip_packet(LinkType::ETHERNET, &[0; 13]),
            Err(truncated(Layer::Ethernet, 0, 14, 13))
        );
        let frame = ethernet(&[0x8100, 0x0800], &[]);
        assert_eq!(
            ip_packet(LinkType::ETHERNET, &frame[..16]),
            Err(truncated(Layer::Vlan, 14, 4, 2))
        );
        assert_eq!(
            ip_packet(LinkType::ETHERNET, &ethernet(&[0x0806], &[0; 28])),
            Err(PacketIssue::NotTcp(NotTcp::EtherType(0x0806)))
        );
    }

    #[test]
    fn many_vlan_tags_end() {
        let types: Vec<u16> = core::iter::repeat_n(0x8100, 1000).collect();
        let frame = ethernet(&types, &[]);
        assert!(matches!(
            ip_packet(LinkType::ETHERNET, &frame),
            Err(PacketIssue::Truncated(Truncated {
                layer: Layer::Vlan,
                ..
            }))
        ));
    }

    #[test]
    fn linux_cooked() {
        let mut sll = Vec::from([0u8; 16]);
        sll[2..4].copy_from_slice(&772u16.to_be_bytes()); // ARPHRD_LOOPBACK
        sll[14..16].copy_from_slice(&0x0800u16.to_be_bytes());
        sll.extend_from_slice(&IP4);
        check(LinkType::LINUX_SLL, &sll, IpVersion::V4, 16);
        assert_eq!(
            ip_packet(LinkType::LINUX_SLL, &sll[..15]),
            Err(truncated(Layer::LinuxSll, 0, 16, 15))
        );
        let mut sll2 = Vec::from([0u8; 20]);
        sll2[0..2].copy_from_slice(&0x86ddu16.to_be_bytes());
        sll2.extend_from_slice(&IP6);
        check(LinkType::LINUX_SLL2, &sll2, IpVersion::V6, 20);
        assert_eq!(
            ip_packet(LinkType::LINUX_SLL2, &sll2[..19]),
            Err(truncated(Layer::LinuxSll2, 0, 20, 19))
        );
        sll2[0..2].copy_from_slice(&0x8100u16.to_be_bytes());
        sll2.splice(20..20, [0, 1, 0x08, 0x00]);
        check(LinkType::LINUX_SLL2, &sll2, IpVersion::V4, 24);
    }

    #[test]
    fn loopback_families_in_both_orders() {
        for family in [2u32, 24, 28, 30] {
            let version = if family == 2 {
                IpVersion::V4
            } else {
                IpVersion::V6
            };
            for header in [family.to_le_bytes(), family.to_be_bytes()] {
                let mut data = header.to_vec();
                data.extend_from_slice(&IP4);
                check(LinkType::NULL, &data, version, 4);
            }
            let mut data = family.to_be_bytes().to_vec();
            data.extend_from_slice(&IP6);
            check(LinkType::LOOP, &data, version, 4);
        }
        assert_eq!(
            ip_packet(LinkType::NULL, &7u32.to_le_bytes()),
            Err(PacketIssue::NotTcp(NotTcp::AddressFamily(7)))
        );
        // LOOP is always network order: a little-endian 2 is not AF_INET.
        assert_eq!(
            ip_packet(LinkType::LOOP, &2u32.to_le_bytes()),
            Err(PacketIssue::NotTcp(NotTcp::AddressFamily(0x0200_0000)))
        );
        assert_eq!(
            ip_packet(LinkType::LOOP, &[0, 0]),
            Err(truncated(Layer::Loop, 0, 4, 2))
        );
        assert_eq!(
            ip_packet(LinkType::NULL, &[]),
            Err(truncated(Layer::Null, 0, 4, 0))
        );
    }

    #[test]
    fn raw_ip() {
        check(LinkType::RAW, &IP4, IpVersion::V4, 0);
        check(LinkType::RAW, &IP6, IpVersion::V6, 0);
        check(LinkType::IPV4, &IP6, IpVersion::V4, 0);
        check(LinkType::IPV6, &[], IpVersion::V6, 0);
        assert_eq!(
            ip_packet(LinkType::RAW, &[]),
            Err(truncated(Layer::RawIp, 0, 1, 0))
        );
        assert!(matches!(
            ip_packet(LinkType::RAW, &[0x50]),
            Err(PacketIssue::Malformed(Malformed {
                problem: Problem::UnknownIpVersion { found: 5 },
                ..
            }))
        ));
    }

    #[test]
    fn unsupported() {
        assert_eq!(
            ip_packet(LinkType(105), &[0; 40]),
            Err(PacketIssue::UnsupportedLinkType {
                link_type: LinkType(105)
            })
        );
        assert_eq!(link_type_name(LinkType(105)), Some("IEEE802_11"));
    }
}
