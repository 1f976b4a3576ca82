//! Classic libpcap file reader (zero-copy).
//!
//! Written by hand: etherparse parses packets, not capture files, and the std-only crates that
//! do (pcap-parser …) are kept out of this `no_std` engine. The format is small:
//!
//! ```text
//! file header (24): magic u32 | major u16 | minor u16 | thiszone i32 | sigfigs u32
//!                   | snaplen u32 | network u32
//! record (16 + n):  ts_sec u32 | ts_frac u32 | incl_len u32 | orig_len u32 | n bytes
//! ```
//!
//! The magic gives both the byte order (as written, or swapped) and the timestamp unit
//! (a1b2c3d4: microseconds, a1b23c4d: nanoseconds). [`PcapReader`] yields one
//! [`Packet`] per record, borrowing the record's bytes from the input; it allocates nothing.
//! A record that runs past the end of the file yields one [`CaptureError`], then the reader
//! stops (the framing after it is unknowable).

use core::iter::FusedIterator;

use super::error::{CaptureError, CaptureErrorKind, CaptureFormat};
use super::{LinkType, Packet, Timestamp};

/// Size of the pcap file header.
pub const FILE_HEADER_LEN: usize = 24;
/// Size of a pcap record header.
pub const RECORD_HEADER_LEN: usize = 16;

/// Magic of a microsecond-resolution pcap file, as read in the writer's byte order.
pub const MAGIC_MICROS: u32 = 0xa1b2_c3d4;
/// Magic of a nanosecond-resolution pcap file, as read in the writer's byte order.
pub const MAGIC_NANOS: u32 = 0xa1b2_3c4d;

/// Byte order of multi-byte fields in a capture file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
pub enum ByteOrder {
    /// Least significant byte first.
    LittleEndian,
    /// Most significant byte first (network order).
    BigEndian,
}

impl ByteOrder {
    /// The `u16` at `offset` of `data`, or `None` if it does not fit.
    #[inline]
    pub fn read_u16(self, data: &[u8], offset: usize) -> Option<u16> {
        let bytes: [u8; 2] = data.get(offset..offset.checked_add(2)?)?.try_into().ok()?;
        Some(match self {
            ByteOrder::LittleEndian => u16::from_le_bytes(bytes),
            ByteOrder::BigEndian => u16::from_be_bytes(bytes),
        })
    }

    /// The `u32` at `offset` of `data`, or `None` if it does not fit.
    #[inline]
    pub fn read_u32(self, data: &[u8], offset: usize) -> Option<u32> {
        let bytes: [u8; 4] = data.get(offset..offset.checked_add(4)?)?.try_into().ok()?;
        Some(match self {
            ByteOrder::LittleEndian => u32::from_le_bytes(bytes),
            ByteOrder::BigEndian => u32::from_be_bytes(bytes),
        })
    }

    /// The `u64` at `offset` of `data`, or `None` if it does not fit.
    #[inline]
    pub fn read_u64(self, data: &[u8], offset: usize) -> Option<u64> {
        let bytes: [u8; 8] = data.get(offset..offset.checked_add(8)?)?.try_into().ok()?;
        Some(match self {
            ByteOrder::LittleEndian => u64::from_le_bytes(bytes),
            ByteOrder::BigEndian => u64::from_be_bytes(bytes),
        })
    }
}

/// Unit of the sub-second part of pcap timestamps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
pub enum TimestampPrecision {
    /// Microseconds (magic a1b2c3d4).
    Micros,
    /// Nanoseconds (magic a1b23c4d).
    Nanos,
}

/// The decoded pcap file header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct PcapHeader {
    /// Byte order the file was written in.
    pub byte_order: ByteOrder,
    /// Unit of the timestamps' fractional part.
    pub precision: TimestampPrecision,
    /// Format major version (2).
    pub version_major: u16,
    /// Format minor version (4).
    pub version_minor: u16,
    /// Snapshot length: the most bytes captured per packet.
    pub snaplen: u32,
    /// Link type of every packet in the file.
    pub link_type: LinkType,
}

/// True if `data` starts with one of the four pcap magic numbers.
pub fn is_pcap(data: &[u8]) -> bool {
    magic(data).is_some()
}

/// Byte order and precision announced by the magic number at the start of `data`.
fn magic(data: &[u8]) -> Option<(ByteOrder, TimestampPrecision)> {
    let le = ByteOrder::LittleEndian.read_u32(data, 0)?;
    match le {
        MAGIC_MICROS => Some((ByteOrder::LittleEndian, TimestampPrecision::Micros)),
        MAGIC_NANOS => Some((ByteOrder::LittleEndian, TimestampPrecision::Nanos)),
        _ => match le.swap_bytes() {
            MAGIC_MICROS => Some((ByteOrder::BigEndian, TimestampPrecision::Micros)),
            MAGIC_NANOS => Some((ByteOrder::BigEndian, TimestampPrecision::Nanos)),
            _ => None,
        },
    }
}

impl PcapHeader {
    /// Decodes the 24-byte file header at the start of `data`.
    pub fn parse(data: &[u8]) -> Result<PcapHeader, CaptureError> {
        let error = |kind| CaptureError {
            format: CaptureFormat::Pcap,
            offset: 0,
            kind,
        };
        if data.len() < FILE_HEADER_LEN {
            // A short file with a wrong magic is "not pcap" rather than "short pcap".
            if let Some(found) = ByteOrder::BigEndian.read_u32(data, 0) {
                if magic(data).is_none() {
                    return Err(error(CaptureErrorKind::BadMagic { found }));
                }
            }
            return Err(error(CaptureErrorKind::FileHeaderTooShort {
                needed: FILE_HEADER_LEN,
                available: data.len(),
            }));
        }
        let Some((byte_order, precision)) = magic(data) else {
            let found = ByteOrder::BigEndian.read_u32(data, 0).unwrap_or(0);
            return Err(error(CaptureErrorKind::BadMagic { found }));
        };
        let field16 = |offset| byte_order.read_u16(data, offset).unwrap_or(0);
        let field32 = |offset| byte_order.read_u32(data, offset).unwrap_or(0);
        let (version_major, version_minor) = (field16(4), field16(6));
        // libpcap has written 2.4 since 1998; 2.x is the only major version that exists.
        if version_major != 2 {
            return Err(error(CaptureErrorKind::UnsupportedVersion {
                major: version_major,
                minor: version_minor,
            }));
        }
        Ok(PcapHeader {
            byte_order,
            precision,
            version_major,
            version_minor,
            snaplen: field32(16),
            // The upper 16 bits of `network` carry FCS flags (draft-ietf-opsawg-pcap §4),
            // not the link type.
            link_type: LinkType(field32(20) & 0xffff),
        })
    }
}

/// Iterator over the records of a pcap file, yielding borrowed [`Packet`]s.
///
/// Yields `Err` once for a damaged record (header or data past the end of the file), then
/// `None`. Never panics, never allocates.
#[derive(Debug, Clone)]
pub struct PcapReader<'a> {
    data: &'a [u8],
    /// File offset of `data[0]` (not 0 when reading a file in chunks).
    base: usize,
    /// More of the file may follow `data`: a record cut off at its end is waited for, not
    /// reported.
    more: bool,
    header: PcapHeader,
    /// File offset of the next record header.
    offset: usize,
    /// Number the next record gets (1-based).
    next_number: u32,
    /// Set after an error: the framing is lost.
    done: bool,
}

impl<'a> PcapReader<'a> {
    /// Reads the file header of `data` and positions the reader on the first record.
    pub fn new(data: &'a [u8]) -> Result<PcapReader<'a>, CaptureError> {
        let header = PcapHeader::parse(data)?;
        Ok(PcapReader {
            data,
            base: 0,
            more: false,
            header,
            offset: FILE_HEADER_LEN,
            next_number: 1,
            done: false,
        })
    }

    /// Continues reading a file in chunks: `data` holds the file's bytes from offset `base`
    /// on (at least from `state`'s position), `more` says whether bytes follow it. With
    /// `more`, the iteration pauses (ends without an error) at a record cut off by the end of
    /// `data`; [`Self::state`] then says where to resume.
    pub fn resume(data: &'a [u8], base: usize, state: PcapState, more: bool) -> Self {
        PcapReader {
            data,
            base,
            more,
            header: state.header,
            offset: state.offset,
            next_number: state.next_number,
            done: false,
        }
    }

    /// Whether reading ended for good: the end of the file, or framing lost after an error
    /// (not a pause at the end of a chunk).
    pub fn finished(&self) -> bool {
        self.done
    }

    /// Where the reader is, to [`Self::resume`] on later bytes of the file.
    pub fn state(&self) -> PcapState {
        PcapState {
            header: self.header,
            offset: self.offset,
            next_number: self.next_number,
        }
    }

    /// The file header.
    pub fn header(&self) -> &PcapHeader {
        &self.header
    }

    /// File offset of the next record (the file length once all records are read).
    pub fn offset(&self) -> usize {
        self.offset
    }

    fn fail(&mut self, kind: CaptureErrorKind) -> Option<Result<Packet<'a>, CaptureError>> {
        self.done = true;
        Some(Err(CaptureError {
            format: CaptureFormat::Pcap,
            offset: self.offset,
            kind,
        }))
    }
}

/// A [`PcapReader`]'s position in its file, between two chunks of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PcapState {
    header: PcapHeader,
    /// File offset of the next record.
    pub offset: usize,
    next_number: u32,
}

impl<'a> Iterator for PcapReader<'a> {
    type Item = Result<Packet<'a>, CaptureError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let rest = self
            .offset
            .checked_sub(self.base)
            .and_then(|at| self.data.get(at..))
            .unwrap_or_default();
        if rest.is_empty() {
            self.done = !self.more;
            return None;
        }
        let number = self.next_number;
        if rest.len() < RECORD_HEADER_LEN {
            if self.more {
                return None;
            }
            return self.fail(CaptureErrorKind::RecordHeaderTooShort {
                record: number,
                needed: RECORD_HEADER_LEN,
                available: rest.len(),
            });
        }
        let order = self.header.byte_order;
        let field = |offset| order.read_u32(rest, offset).unwrap_or(0);
        let (ts_sec, ts_frac, incl_len, orig_len) = (field(0), field(4), field(8), field(12));
        let body = rest.get(RECORD_HEADER_LEN..).unwrap_or_default();
        let Some(packet_data) = usize::try_from(incl_len)
            .ok()
            .and_then(|len| body.get(..len))
        else {
            if self.more {
                return None;
            }
            return self.fail(CaptureErrorKind::RecordPastEnd {
                record: number,
                claimed: incl_len,
                available: body.len(),
            });
        };
        let frac_nanos = match self.header.precision {
            TimestampPrecision::Micros => u64::from(ts_frac) * 1_000,
            TimestampPrecision::Nanos => u64::from(ts_frac),
        };
        // Cannot overflow: u32::MAX * 1e9 + u32::MAX * 1e3 < u64::MAX.
        let timestamp: Timestamp = u64::from(ts_sec) * 1_000_000_000 + frac_nanos;
        let file_offset = self.offset + RECORD_HEADER_LEN;
        self.offset = file_offset + packet_data.len();
        self.next_number = number.saturating_add(1);
        Some(Ok(Packet {
            number,
            timestamp,
            link_type: self.header.link_type,
            data: packet_data,
            orig_len,
            file_offset,
        }))
    }
}

impl FusedIterator for PcapReader<'_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn header(order: ByteOrder, magic: u32, link: u32) -> Vec<u8> {
        let mut out = Vec::new();
        let u32b = |v: u32| match order {
            ByteOrder::LittleEndian => v.to_le_bytes(),
            ByteOrder::BigEndian => v.to_be_bytes(),
        };
        let u16b = |v: u16| match order {
            ByteOrder::LittleEndian => v.to_le_bytes(),
            ByteOrder::BigEndian => v.to_be_bytes(),
        };
        out.extend_from_slice(&u32b(magic));
        out.extend_from_slice(&u16b(2));
        out.extend_from_slice(&u16b(4));
        out.extend_from_slice(&u32b(0));
        out.extend_from_slice(&u32b(0));
        out.extend_from_slice(&u32b(65535));
        out.extend_from_slice(&u32b(link));
        out
    }

    fn record(out: &mut Vec<u8>, order: ByteOrder, fields: [u32; 4], data: &[u8]) {
        for v in fields {
            out.extend_from_slice(&match order {
                ByteOrder::LittleEndian => v.to_le_bytes(),
                ByteOrder::BigEndian => v.to_be_bytes(),
            });
        }
        out.extend_from_slice(data);
    }

    #[test]
    fn reads_both_byte_orders_and_precisions() {
        for order in [ByteOrder::LittleEndian, ByteOrder::BigEndian] {
            for (magic, frac, want) in [
                (MAGIC_MICROS, 7, 5_000_007_000),
                (MAGIC_NANOS, 7, 5_000_000_007),
            ] {
                let mut file = header(order, magic, 1);
                record(&mut file, order, [5, frac, 3, 3], b"abc");
                record(&mut file, order, [6, 0, 0, 60], b"");
                let mut reader = PcapReader::new(&file).unwrap();
                assert_eq!(reader.header().byte_order, order);
                assert_eq!(reader.header().link_type, LinkType::ETHERNET);
                assert_eq!(reader.header().snaplen, 65535);
                let p = reader.next().unwrap().unwrap();
                assert_eq!(p.number, 1);
                assert_eq!(p.timestamp, want);
                assert_eq!(p.data, b"abc");
                assert_eq!(p.file_offset, 40);
                assert!(!p.is_truncated());
                let p = reader.next().unwrap().unwrap();
                assert_eq!(p.number, 2);
                assert!(p.is_truncated());
                assert_eq!(p.file_offset, 40 + 3 + 16);
                assert!(reader.next().is_none());
                assert!(reader.next().is_none());
            }
        }
    }

    #[test]
    fn link_type_ignores_fcs_bits() {
        let file = header(ByteOrder::LittleEndian, MAGIC_MICROS, 0x1400_0001);
        let reader = PcapReader::new(&file).unwrap();
        assert_eq!(reader.header().link_type, LinkType::ETHERNET);
    }

    #[test]
    fn bad_magic_and_short_header() {
        let e = PcapReader::new(b"\x0a\x0d\x0d\x0a").unwrap_err();
        assert_eq!(e.kind, CaptureErrorKind::BadMagic { found: 0x0a0d_0d0a });
        let mut file = header(ByteOrder::LittleEndian, MAGIC_MICROS, 1);
        file[0] = 0;
        let e = PcapReader::new(&file).unwrap_err();
        assert!(matches!(e.kind, CaptureErrorKind::BadMagic { .. }));
        let file = header(ByteOrder::BigEndian, MAGIC_NANOS, 1);
        let e = PcapReader::new(&file[..10]).unwrap_err();
        assert_eq!(
            e.kind,
            CaptureErrorKind::FileHeaderTooShort {
                needed: 24,
                available: 10
            }
        );
        assert!(PcapReader::new(&[]).is_err());
        assert!(PcapReader::new(&[0xd4]).is_err());
        assert!(!is_pcap(&[0xd4, 0xc3]));
        assert!(is_pcap(&file));
    }

    #[test]
    fn unsupported_version() {
        let mut file = header(ByteOrder::LittleEndian, MAGIC_MICROS, 1);
        file[4] = 1;
        let e = PcapReader::new(&file).unwrap_err();
        assert_eq!(
            e.kind,
            CaptureErrorKind::UnsupportedVersion { major: 1, minor: 4 }
        );
    }

    #[test]
    fn record_past_end_is_reported_once_then_stops() {
        let order = ByteOrder::LittleEndian;
        let mut file = header(order, MAGIC_MICROS, 1);
        record(&mut file, order, [1, 0, 2, 2], b"ok");
        record(&mut file, order, [1, 0, 1514, 1514], &[0; 200]);
        let mut reader = PcapReader::new(&file).unwrap();
        assert!(reader.next().unwrap().is_ok());
        let e = reader.next().unwrap().unwrap_err();
        assert_eq!(e.offset, 24 + 16 + 2);
        assert_eq!(
            e.kind,
            CaptureErrorKind::RecordPastEnd {
                record: 2,
                claimed: 1514,
                available: 200
            }
        );
        assert!(reader.next().is_none());
    }

    #[test]
    fn huge_incl_len_does_not_allocate_or_panic() {
        let order = ByteOrder::BigEndian;
        let mut file = header(order, MAGIC_MICROS, 1);
        record(&mut file, order, [1, 0, u32::MAX, u32::MAX], b"");
        let mut reader = PcapReader::new(&file).unwrap();
        assert!(matches!(
            reader.next(),
            Some(Err(CaptureError {
                kind: CaptureErrorKind::RecordPastEnd { .. },
                ..
            }))
        ));
        assert!(reader.next().is_none());
    }

    #[test]
    fn short_trailing_record_header() {
        let mut file = header(ByteOrder::LittleEndian, MAGIC_MICROS, 1);
        file.extend_from_slice(&[1, 2, 3, 4, 5]);
        let mut reader = PcapReader::new(&file).unwrap();
        let e = reader.next().unwrap().unwrap_err();
        assert_eq!(
            e.kind,
            CaptureErrorKind::RecordHeaderTooShort {
                record: 1,
                needed: 16,
                available: 5
            }
        );
        assert_eq!(e.offset, 24);
        assert!(reader.next().is_none());
    }

    #[test]
    fn every_prefix_of_a_file_terminates() {
        // Loops must consume input or end: read every truncation of a valid file.
        let order = ByteOrder::BigEndian;
        let mut file = header(order, MAGIC_NANOS, 101);
        for i in 0..5u8 {
            record(&mut file, order, [u32::from(i), 0, 3, 3], &[i; 3]);
        }
        for end in 0..=file.len() {
            if let Ok(reader) = PcapReader::new(&file[..end]) {
                let items: Vec<_> = reader.collect();
                assert!(items.len() <= 5);
                assert!(items.iter().filter(|r| r.is_err()).count() <= 1);
            }
        }
    }

    #[test]
    fn byte_order_reads_are_bounds_checked() {
        assert_eq!(ByteOrder::BigEndian.read_u16(&[1, 2], 0), Some(0x0102));
        assert_eq!(ByteOrder::LittleEndian.read_u16(&[1, 2], 1), None);
        assert_eq!(ByteOrder::LittleEndian.read_u32(&[1, 2, 3], 0), None);
        assert_eq!(ByteOrder::BigEndian.read_u32(&[0; 4], usize::MAX), None);
        assert_eq!(
            ByteOrder::LittleEndian.read_u64(&[1, 0, 0, 0, 0, 0, 0, 0], 0),
            Some(1)
        );
    }
}
