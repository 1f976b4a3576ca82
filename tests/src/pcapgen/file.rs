//! pcap and pcapng writers.

use spop_codec::capture::LinkType;

use super::Endian;

/// Builds a classic pcap file.
///
/// ```
/// use spop_codec::capture::LinkType;
/// use spop_tests::pcapgen::{Endian, PcapWriter};
/// let mut w = PcapWriter::new(LinkType::RAW).endian(Endian::Big).nanos().snaplen(64);
/// w.packet(1_700_000_000_123_456_789, &[0x45; 100]);
/// let file = w.finish();
/// assert_eq!(file.len(), 24 + 16 + 64);
/// ```
#[derive(Debug, Clone)]
pub struct PcapWriter {
    endian: Endian,
    nanos: bool,
    snaplen: u32,
    link_type: LinkType,
    version: (u16, u16),
    records: Vec<u8>,
}

impl PcapWriter {
    /// A little-endian, microsecond pcap file with snaplen 262144 (tcpdump's default).
    pub fn new(link_type: LinkType) -> Self {
        PcapWriter {
            endian: Endian::Little,
            nanos: false,
            snaplen: 262_144,
            link_type,
            version: (2, 4),
            records: Vec::new(),
        }
    }

    /// Sets the byte order.
    pub fn endian(mut self, endian: Endian) -> Self {
        self.endian = endian;
        self
    }

    /// Nanosecond timestamps (magic a1b23c4d).
    pub fn nanos(mut self) -> Self {
        self.nanos = true;
        self
    }

    /// Sets the snapshot length: [`PcapWriter::packet`] cuts longer packets to it.
    pub fn snaplen(mut self, snaplen: u32) -> Self {
        self.snaplen = snaplen;
        self
    }

    /// Sets the version written in the file header (to test version checks).
    pub fn version(mut self, major: u16, minor: u16) -> Self {
        self.version = (major, minor);
        self
    }

    /// Appends a packet captured at `ts_ns` (nanoseconds since the epoch; truncated to
    /// microseconds unless [`PcapWriter::nanos`]), cut to the snapshot length.
    pub fn packet(&mut self, ts_ns: u64, data: &[u8]) -> &mut Self {
        let secs = u32::try_from(ts_ns / 1_000_000_000).expect("timestamp after 2106");
        let frac = (ts_ns % 1_000_000_000) as u32;
        let frac = if self.nanos { frac } else { frac / 1_000 };
        let snaplen = usize::try_from(self.snaplen).unwrap_or(usize::MAX);
        let captured = &data[..data.len().min(snaplen)];
        let orig_len = u32::try_from(data.len()).expect("packet over 4 GiB");
        self.record(
            secs,
            frac,
            u32::try_from(captured.len()).unwrap(),
            orig_len,
            captured,
        )
    }

    /// Appends a record with every header field given (for damaged files): `data` is written
    /// as is, whatever `incl_len` says.
    pub fn record(
        &mut self,
        ts_sec: u32,
        ts_frac: u32,
        incl_len: u32,
        orig_len: u32,
        data: &[u8],
    ) -> &mut Self {
        let e = self.endian;
        for field in [ts_sec, ts_frac, incl_len, orig_len] {
            self.records.extend_from_slice(&e.u32(field));
        }
        self.records.extend_from_slice(data);
        self
    }

    /// Appends raw bytes after the records written so far.
    pub fn raw(&mut self, bytes: &[u8]) -> &mut Self {
        self.records.extend_from_slice(bytes);
        self
    }

    /// The file: header and records.
    pub fn finish(&self) -> Vec<u8> {
        let e = self.endian;
        let magic: u32 = if self.nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 };
        let mut out = Vec::with_capacity(24 + self.records.len());
        out.extend_from_slice(&e.u32(magic));
        out.extend_from_slice(&e.u16(self.version.0));
        out.extend_from_slice(&e.u16(self.version.1));
        out.extend_from_slice(&e.u32(0)); // thiszone
        out.extend_from_slice(&e.u32(0)); // sigfigs
        out.extend_from_slice(&e.u32(self.snaplen));
        out.extend_from_slice(&e.u32(self.link_type.0));
        out.extend_from_slice(&self.records);
        out
    }
}

/// An interface to describe in a pcapng section.
///
/// ```
/// use spop_codec::capture::LinkType;
/// use spop_tests::pcapgen::InterfaceDescription;
/// let eth0 = InterfaceDescription::new(LinkType::ETHERNET).tsresol(9).name("eth0");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceDescription {
    /// Link type.
    pub link_type: LinkType,
    /// Snapshot length (0: none).
    pub snaplen: u32,
    /// Raw `if_tsresol` value (None: option absent, microseconds).
    pub tsresol: Option<u8>,
    /// `if_tsoffset` in seconds (None: option absent).
    pub tsoffset: Option<i64>,
    /// `if_name`.
    pub name: Option<String>,
}

impl InterfaceDescription {
    /// An interface of `link_type`, snaplen 0 (unlimited), default options.
    pub fn new(link_type: LinkType) -> Self {
        InterfaceDescription {
            link_type,
            snaplen: 0,
            tsresol: None,
            tsoffset: None,
            name: None,
        }
    }

    /// Sets the snapshot length: [`PcapngWriter::epb`] cuts longer packets to it.
    pub fn snaplen(mut self, snaplen: u32) -> Self {
        self.snaplen = snaplen;
        self
    }

    /// Sets `if_tsresol` (bit 7 clear: 10^-n s, set: 2^-n s).
    pub fn tsresol(mut self, tsresol: u8) -> Self {
        self.tsresol = Some(tsresol);
        self
    }

    /// Sets `if_tsoffset` (seconds added to every timestamp).
    pub fn tsoffset(mut self, seconds: i64) -> Self {
        self.tsoffset = Some(seconds);
        self
    }

    /// Sets `if_name`.
    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.to_owned());
        self
    }

    /// Nanoseconds to timestamp ticks of this interface (truncating; `if_tsoffset` removed).
    pub fn ticks(&self, ts_ns: u64) -> u64 {
        let ns = i128::from(ts_ns) - i128::from(self.tsoffset.unwrap_or(0)) * 1_000_000_000;
        let ns = u128::try_from(ns).expect("timestamp before the interface's tsoffset");
        let resol = self.tsresol.unwrap_or(6);
        let exp = u32::from(resol & 0x7f);
        let ticks = if resol & 0x80 == 0 {
            if exp <= 9 {
                ns / 10u128.pow(9 - exp)
            } else {
                ns * 10u128.pow(exp - 9)
            }
        } else {
            (ns << exp) / 1_000_000_000
        };
        u64::try_from(ticks).expect("timestamp does not fit 64-bit ticks")
    }
}

/// Builds a pcapng file: sections, interfaces, packet blocks and arbitrary blocks, in the
/// order the methods are called.
///
/// ```
/// use spop_codec::capture::LinkType;
/// use spop_tests::pcapgen::{Endian, InterfaceDescription, PcapngWriter};
/// let mut w = PcapngWriter::new(Endian::Big);
/// let eth = w.interface(InterfaceDescription::new(LinkType::ETHERNET));
/// w.epb(eth, 1_000_000_000, &[0; 60]);
/// w.section(Endian::Little); // a second section: interfaces start again at 0
/// let raw = w.interface(InterfaceDescription::new(LinkType::RAW).tsresol(9));
/// w.epb(raw, 2_000_000_001, &[0x45; 20]).spb(&[0x45; 20]);
/// assert_eq!(spop_codec::capture::pcapng::PcapngReader::new(&w.finish()).unwrap().count(), 3);
/// ```
#[derive(Debug, Clone)]
pub struct PcapngWriter {
    endian: Endian,
    out: Vec<u8>,
    interfaces: Vec<InterfaceDescription>,
}

impl PcapngWriter {
    /// A file starting with a Section Header Block in `endian` byte order.
    pub fn new(endian: Endian) -> Self {
        let mut w = PcapngWriter {
            endian,
            out: Vec::new(),
            interfaces: Vec::new(),
        };
        w.section(endian);
        w
    }

    /// Starts a new section (in `endian` byte order): interface ids start again at 0.
    pub fn section(&mut self, endian: Endian) -> &mut Self {
        self.endian = endian;
        self.interfaces.clear();
        let mut body = Vec::new();
        body.extend_from_slice(&endian.u32(0x1a2b_3c4d));
        body.extend_from_slice(&endian.u16(1));
        body.extend_from_slice(&endian.u16(0));
        body.extend_from_slice(&endian.u64(u64::MAX)); // section length: unknown
        self.block(0x0a0d_0d0a, &body)
    }

    /// Describes an interface in the current section; returns its id.
    pub fn interface(&mut self, interface: InterfaceDescription) -> u32 {
        let e = self.endian;
        let mut body = Vec::new();
        body.extend_from_slice(&e.u16(u16::try_from(interface.link_type.0).expect("link type")));
        body.extend_from_slice(&[0, 0]);
        body.extend_from_slice(&e.u32(interface.snaplen));
        let mut options = Vec::new();
        if let Some(name) = &interface.name {
            options.push((2u16, name.as_bytes().to_vec()));
        }
        if let Some(resol) = interface.tsresol {
            options.push((9, vec![resol]));
        }
        if let Some(offset) = interface.tsoffset {
            options.push((14, e.u64(offset as u64).to_vec()));
        }
        if !options.is_empty() {
            options.push((0, Vec::new())); // opt_endofopt
        }
        for (code, value) in options {
            body.extend_from_slice(&e.u16(code));
            body.extend_from_slice(&e.u16(u16::try_from(value.len()).expect("option length")));
            body.extend_from_slice(&value);
            body.resize(body.len().next_multiple_of(4), 0);
        }
        self.block(1, &body);
        self.interfaces.push(interface);
        u32::try_from(self.interfaces.len() - 1).unwrap()
    }

    /// Appends an Enhanced Packet Block: `ts_ns` converted to the interface's resolution,
    /// data cut to its snaplen.
    pub fn epb(&mut self, interface: u32, ts_ns: u64, data: &[u8]) -> &mut Self {
        let description = self
            .interfaces
            .get(usize::try_from(interface).unwrap())
            .unwrap_or_else(|| panic!("interface {interface} not described in this section"));
        let ticks = description.ticks(ts_ns);
        let captured = match description.snaplen {
            0 => data,
            n => &data[..data.len().min(usize::try_from(n).unwrap())],
        };
        let orig_len = u32::try_from(data.len()).unwrap();
        self.epb_ticks(interface, ticks, captured, orig_len)
    }

    /// Appends an Enhanced Packet Block with raw fields (any interface id, any ticks).
    pub fn epb_ticks(
        &mut self,
        interface: u32,
        ticks: u64,
        data: &[u8],
        orig_len: u32,
    ) -> &mut Self {
        let e = self.endian;
        let mut body = Vec::with_capacity(20 + data.len());
        body.extend_from_slice(&e.u32(interface));
        body.extend_from_slice(&e.u32((ticks >> 32) as u32));
        body.extend_from_slice(&e.u32(ticks as u32));
        body.extend_from_slice(&e.u32(u32::try_from(data.len()).unwrap()));
        body.extend_from_slice(&e.u32(orig_len));
        body.extend_from_slice(data);
        self.block(6, &body)
    }

    /// Appends a Simple Packet Block (interface 0, no timestamp), cut to interface 0's snaplen.
    pub fn spb(&mut self, data: &[u8]) -> &mut Self {
        let snaplen = self.interfaces.first().map_or(0, |i| i.snaplen);
        let captured = match snaplen {
            0 => data,
            n => &data[..data.len().min(usize::try_from(n).unwrap())],
        };
        let e = self.endian;
        let mut body = e.u32(u32::try_from(data.len()).unwrap()).to_vec();
        body.extend_from_slice(captured);
        self.block(3, &body)
    }

    /// Appends a block of any type: `body` is zero-padded to 4 bytes, lengths are filled in.
    pub fn block(&mut self, block_type: u32, body: &[u8]) -> &mut Self {
        let e = self.endian;
        let padded = body.len().next_multiple_of(4);
        let total = u32::try_from(12 + padded).expect("block over 4 GiB");
        self.out.extend_from_slice(&e.u32(block_type));
        self.out.extend_from_slice(&e.u32(total));
        self.out.extend_from_slice(body);
        self.out.resize(self.out.len() + padded - body.len(), 0);
        self.out.extend_from_slice(&e.u32(total));
        self
    }

    /// Appends raw bytes (for damaged files).
    pub fn raw(&mut self, bytes: &[u8]) -> &mut Self {
        self.out.extend_from_slice(bytes);
        self
    }

    /// Length of the file so far (the offset of the next block).
    pub fn len(&self) -> usize {
        self.out.len()
    }

    /// True if nothing was written (never: the first section header is written by `new`).
    pub fn is_empty(&self) -> bool {
        self.out.is_empty()
    }

    /// The file.
    pub fn finish(&self) -> Vec<u8> {
        self.out.clone()
    }
}
