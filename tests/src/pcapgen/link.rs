//! Link-layer framing of IP packets (or any payload, for non-IP tests).

use spop_codec::capture::LinkType;

use super::Endian;

/// `AF_INET` on BSD-derived systems.
pub const AF_INET: u32 = 2;
/// `AF_INET6` on NetBSD / OpenBSD.
pub const AF_INET6_OPENBSD: u32 = 24;
/// `AF_INET6` on FreeBSD.
pub const AF_INET6_FREEBSD: u32 = 28;
/// `AF_INET6` on macOS.
pub const AF_INET6_DARWIN: u32 = 30;

/// Source MAC of generated Ethernet frames (locally administered).
const SRC_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];
/// Destination MAC of generated Ethernet frames.
const DST_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x02];

/// One VLAN tag: its TPID (the EtherType announcing it) and VLAN id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VlanTag {
    /// 0x8100 (802.1Q), 0x88a8 (802.1ad) or 0x9100 (legacy QinQ).
    pub tpid: u16,
    /// VLAN identifier (12 bits).
    pub id: u16,
    /// Priority code point (3 bits).
    pub pcp: u8,
}

impl VlanTag {
    /// An 802.1Q customer tag.
    pub fn dot1q(id: u16) -> Self {
        VlanTag {
            tpid: 0x8100,
            id,
            pcp: 0,
        }
    }

    /// An 802.1ad service (outer QinQ) tag.
    pub fn dot1ad(id: u16) -> Self {
        VlanTag {
            tpid: 0x88a8,
            id,
            pcp: 0,
        }
    }

    /// A pre-standard QinQ tag (TPID 0x9100).
    pub fn qinq_legacy(id: u16) -> Self {
        VlanTag {
            tpid: 0x9100,
            id,
            pcp: 0,
        }
    }
}

/// The EtherType of an IP packet, by its version nibble.
fn ether_type_of(ip: &[u8]) -> u16 {
    match ip.first().map(|b| b >> 4) {
        Some(6) => 0x86dd,
        _ => 0x0800,
    }
}

fn family_of(ip: &[u8]) -> u32 {
    match ip.first().map(|b| b >> 4) {
        Some(6) => AF_INET6_DARWIN,
        _ => AF_INET,
    }
}

/// Ethernet II frame around an IP packet (EtherType from its version nibble), with VLAN tags
/// outermost first.
pub fn ethernet(vlans: &[VlanTag], ip: &[u8]) -> Vec<u8> {
    ethernet_typed(ether_type_of(ip), vlans, ip)
}

/// Ethernet II frame with an explicit EtherType (e.g. 0x0806 for ARP).
pub fn ethernet_typed(ether_type: u16, vlans: &[VlanTag], payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(14 + 4 * vlans.len() + payload.len());
    f.extend_from_slice(&DST_MAC);
    f.extend_from_slice(&SRC_MAC);
    for tag in vlans {
        f.extend_from_slice(&tag.tpid.to_be_bytes());
        let tci = (u16::from(tag.pcp & 7) << 13) | (tag.id & 0x0fff);
        f.extend_from_slice(&tci.to_be_bytes());
    }
    f.extend_from_slice(&ether_type.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// Linux cooked capture v1 frame around an IP packet.
pub fn sll(ip: &[u8]) -> Vec<u8> {
    sll_typed(ether_type_of(ip), ip)
}

/// Linux cooked capture v1 frame with an explicit protocol. The ARPHRD type is 772
/// (loopback), what `tcpdump -i any` records for `lo`.
pub fn sll_typed(protocol: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(16 + payload.len());
    f.extend_from_slice(&0u16.to_be_bytes()); // packet type: to us
    f.extend_from_slice(&772u16.to_be_bytes()); // ARPHRD_LOOPBACK
    f.extend_from_slice(&6u16.to_be_bytes()); // address length
    f.extend_from_slice(&[0; 8]); // address
    f.extend_from_slice(&protocol.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// Linux cooked capture v2 frame around an IP packet.
pub fn sll2(ip: &[u8]) -> Vec<u8> {
    sll2_typed(ether_type_of(ip), ip)
}

/// Linux cooked capture v2 frame with an explicit protocol.
pub fn sll2_typed(protocol: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(20 + payload.len());
    f.extend_from_slice(&protocol.to_be_bytes());
    f.extend_from_slice(&[0, 0]); // reserved
    f.extend_from_slice(&1u32.to_be_bytes()); // interface index
    f.extend_from_slice(&1u16.to_be_bytes()); // ARPHRD_ETHER
    f.push(4); // packet type: outgoing
    f.push(6); // address length
    f.extend_from_slice(&SRC_MAC);
    f.extend_from_slice(&[0, 0]);
    f.extend_from_slice(payload);
    f
}

/// BSD loopback (NULL) frame around an IP packet: AF_INET or macOS's AF_INET6 (30), written
/// in `endian` (the capturing host's byte order).
pub fn null(endian: Endian, ip: &[u8]) -> Vec<u8> {
    null_family(family_of(ip), endian, ip)
}

/// BSD loopback (NULL) frame with an explicit address family.
pub fn null_family(family: u32, endian: Endian, payload: &[u8]) -> Vec<u8> {
    let mut f = endian.u32(family).to_vec();
    f.extend_from_slice(payload);
    f
}

/// OpenBSD loopback (LOOP) frame around an IP packet (AF_INET or OpenBSD's AF_INET6, 24).
pub fn openbsd_loop(ip: &[u8]) -> Vec<u8> {
    let family = match family_of(ip) {
        AF_INET => AF_INET,
        _ => AF_INET6_OPENBSD,
    };
    loop_family(family, ip)
}

/// OpenBSD loopback (LOOP) frame with an explicit address family (network byte order).
pub fn loop_family(family: u32, payload: &[u8]) -> Vec<u8> {
    let mut f = family.to_be_bytes().to_vec();
    f.extend_from_slice(payload);
    f
}

/// An IP packet framed for `link_type` (Ethernet without VLAN tags, NULL in little-endian).
/// Panics for link types the decoder does not support: use the typed builders for those.
pub fn frame(link_type: LinkType, ip: &[u8]) -> Vec<u8> {
    match link_type {
        LinkType::ETHERNET => ethernet(&[], ip),
        LinkType::LINUX_SLL => sll(ip),
        LinkType::LINUX_SLL2 => sll2(ip),
        LinkType::NULL => null(Endian::Little, ip),
        LinkType::LOOP => openbsd_loop(ip),
        LinkType::RAW | LinkType::IPV4 | LinkType::IPV6 => ip.to_vec(),
        other => panic!("no framing for link type {}", other.0),
    }
}
