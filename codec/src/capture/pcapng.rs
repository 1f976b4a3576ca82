//! pcapng file reader (zero-copy).
//!
//! Written by hand for the same reason as [`super::pcap`]: etherparse does not read capture
//! files and std-only crates stay out of this engine. What is read:
//!
//! ```text
//! block:  type u32 | total length u32 | body … | total length u32      (length % 4 == 0, >= 12)
//! SHB     0x0A0D0D0A: byte-order magic 0x1A2B3C4D | major u16 | minor u16 | section length i64
//!         | options. Starts a section: byte order and interface list are per section.
//! IDB     1: link type u16 | reserved u16 | snaplen u32 | options (if_tsresol 9, if_tsoffset 14)
//! EPB     6: interface u32 | ts high u32 | ts low u32 | captured u32 | original u32 | data
//! PB      2: (obsolete) interface u16 | drops u16 | then as EPB
//! SPB     3: original u32 | data (interface 0, no timestamp)
//! others: skipped by their length.
//! ```
//!
//! Error policy: a damaged block *frame* (length invalid, past the end, trailing length
//! different, bad section header) yields one [`CaptureError`] and ends the iteration, since
//! nothing after it can be located. A well-framed block with bad *content* (a packet larger
//! than its block, an unknown interface) yields an error for that block and reading goes on.
//!
//! The reader allocates only when an Interface Description Block is read (the section's
//! interface table, whose size is bounded by the blocks actually present), never per packet.

use alloc::vec::Vec;
use core::fmt;
use core::iter::FusedIterator;

use super::error::{CaptureError, CaptureErrorKind, CaptureFormat};
use super::pcap::ByteOrder;
use super::{LinkType, Packet, Timestamp};

/// Smallest possible block: type, total length and the trailing total length.
pub const MIN_BLOCK_LEN: usize = 12;
/// Smallest Section Header Block (no options).
pub const MIN_SECTION_HEADER_LEN: usize = 28;
/// The byte-order magic of a Section Header Block, as read in the writer's byte order.
pub const BYTE_ORDER_MAGIC: u32 = 0x1a2b_3c4d;

/// A pcapng block type code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct BlockType(pub u32);

impl BlockType {
    /// Section Header Block (a palindrome, so it reads the same in both byte orders).
    pub const SECTION_HEADER: BlockType = BlockType(0x0a0d_0d0a);
    /// Interface Description Block.
    pub const INTERFACE_DESCRIPTION: BlockType = BlockType(1);
    /// Packet Block (obsolete, still written by old tools).
    pub const PACKET: BlockType = BlockType(2);
    /// Simple Packet Block.
    pub const SIMPLE_PACKET: BlockType = BlockType(3);
    /// Name Resolution Block.
    pub const NAME_RESOLUTION: BlockType = BlockType(4);
    /// Interface Statistics Block.
    pub const INTERFACE_STATISTICS: BlockType = BlockType(5);
    /// Enhanced Packet Block.
    pub const ENHANCED_PACKET: BlockType = BlockType(6);
    /// systemd Journal Export Block.
    pub const SYSTEMD_JOURNAL_EXPORT: BlockType = BlockType(9);
    /// Decryption Secrets Block.
    pub const DECRYPTION_SECRETS: BlockType = BlockType(0x0a);
    /// Custom Block (copyable).
    pub const CUSTOM: BlockType = BlockType(0x0bad);
    /// Custom Block (not to be copied).
    pub const CUSTOM_NO_COPY: BlockType = BlockType(0x4000_0bad);

    /// The block's name in the pcapng specification, if it is a known type.
    pub const fn name(self) -> Option<&'static str> {
        match self.0 {
            0x0a0d_0d0a => Some("Section Header Block"),
            1 => Some("Interface Description Block"),
            2 => Some("Packet Block"),
            3 => Some("Simple Packet Block"),
            4 => Some("Name Resolution Block"),
            5 => Some("Interface Statistics Block"),
            6 => Some("Enhanced Packet Block"),
            9 => Some("systemd Journal Export Block"),
            0x0a => Some("Decryption Secrets Block"),
            0x0bad | 0x4000_0bad => Some("Custom Block"),
            _ => None,
        }
    }
}

impl fmt::Display for BlockType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "block of type {:#010x}", self.0),
        }
    }
}

/// An interface's timestamp resolution: the raw `if_tsresol` option value.
///
/// Bit 7 clear: a tick is 10^-n seconds; set: 2^-n seconds (n = the low 7 bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct TsResolution(pub u8);

impl TsResolution {
    /// Microseconds: the default when an interface has no `if_tsresol` option.
    pub const MICROS: TsResolution = TsResolution(6);
    /// Nanoseconds.
    pub const NANOS: TsResolution = TsResolution(9);

    /// Converts a count of ticks to nanoseconds (truncating, saturating at `u64::MAX`).
    pub fn ticks_to_nanos(self, ticks: u64) -> u64 {
        let exponent = u32::from(self.0 & 0x7f);
        if self.0 & 0x80 == 0 {
            if exponent <= 9 {
                ticks.saturating_mul(10u64.pow(9 - exponent))
            } else {
                // Finer than 1 ns: divide; beyond 10^-28 s every realistic count is 0.
                10u64
                    .checked_pow(exponent - 9)
                    .map_or(0, |divisor| ticks / divisor)
            }
        } else {
            // ticks * 1e9 < 2^94 fits in u128; exponent <= 127 keeps the shift defined.
            let nanos = (u128::from(ticks) * 1_000_000_000) >> exponent;
            u64::try_from(nanos).unwrap_or(u64::MAX)
        }
    }
}

impl Default for TsResolution {
    fn default() -> Self {
        TsResolution::MICROS
    }
}

/// An interface described by an Interface Description Block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Interface {
    /// Link type of the packets captured on it.
    pub link_type: LinkType,
    /// Snapshot length (0: unlimited).
    pub snaplen: u32,
    /// Timestamp resolution (`if_tsresol`, default microseconds).
    pub ts_resolution: TsResolution,
    /// Seconds to add to every timestamp (`if_tsoffset`, default 0).
    pub ts_offset: i64,
}

impl Interface {
    /// A packet timestamp (ticks of this interface) as nanoseconds since the epoch.
    pub fn timestamp(&self, ticks: u64) -> Timestamp {
        self.ts_resolution
            .ticks_to_nanos(ticks)
            .saturating_add_signed(self.ts_offset.saturating_mul(1_000_000_000))
    }
}

/// True if `data` starts with a Section Header Block with a valid byte-order magic.
pub fn is_pcapng(data: &[u8]) -> bool {
    data.get(..4) == Some(&[0x0a, 0x0d, 0x0d, 0x0a]) && byte_order(data).is_some()
}

/// Byte order announced by the byte-order magic of the Section Header Block at `block`.
fn byte_order(block: &[u8]) -> Option<ByteOrder> {
    match ByteOrder::BigEndian.read_u32(block, 8)? {
        BYTE_ORDER_MAGIC => Some(ByteOrder::BigEndian),
        magic if magic.swap_bytes() == BYTE_ORDER_MAGIC => Some(ByteOrder::LittleEndian),
        _ => None,
    }
}

/// One well-framed block.
struct Block<'a> {
    offset: usize,
    block_type: BlockType,
    body: &'a [u8],
}

/// Iterator over the packets of a pcapng file, yielding borrowed [`Packet`]s.
///
/// Packets come from Enhanced Packet Blocks, Simple Packet Blocks and (obsolete) Packet
/// Blocks; other blocks are skipped. Packet numbers are Wireshark's frame numbers: they count
/// packet blocks across all sections (a packet block reported as an error included) and also
/// the blocks Wireshark lists as frames of their own (Custom Blocks, systemd Journal Export
/// Blocks), which this reader skips, leaving a gap in the numbers.
///
/// A Simple Packet Block has no timestamp: it gets the timestamp of the previous packet in
/// the file (0 if none), which keeps packets in time order. It is captured on interface 0 of
/// its section; its data length is the smallest of the original length, the block's room and
/// interface 0's snaplen.
#[derive(Debug, Clone)]
pub struct PcapngReader<'a> {
    data: &'a [u8],
    /// File offset of `data[0]` (not 0 when reading a file in chunks).
    base: usize,
    /// More of the file may follow `data`: a block cut off at its end is waited for, not
    /// reported.
    more: bool,
    /// File offset of the next block.
    offset: usize,
    /// Byte order of the current section.
    byte_order: ByteOrder,
    /// Interfaces of the current section, by interface id.
    interfaces: Vec<Interface>,
    /// Number the next packet gets (1-based).
    next_number: u32,
    /// Timestamp of the last packet, for Simple Packet Blocks.
    last_timestamp: Timestamp,
    /// Set after a framing error.
    done: bool,
}

impl<'a> PcapngReader<'a> {
    /// Reads the first Section Header Block of `data` and positions the reader after it.
    pub fn new(data: &'a [u8]) -> Result<PcapngReader<'a>, CaptureError> {
        let error = |kind| CaptureError {
            format: CaptureFormat::Pcapng,
            offset: 0,
            kind,
        };
        if let Some(found) = ByteOrder::BigEndian.read_u32(data, 0) {
            if BlockType(found) != BlockType::SECTION_HEADER {
                return Err(error(CaptureErrorKind::BadMagic { found }));
            }
        }
        if data.len() < MIN_SECTION_HEADER_LEN {
            return Err(error(CaptureErrorKind::FileHeaderTooShort {
                needed: MIN_SECTION_HEADER_LEN,
                available: data.len(),
            }));
        }
        let mut reader = PcapngReader {
            data,
            base: 0,
            more: false,
            offset: 0,
            byte_order: ByteOrder::LittleEndian,
            interfaces: Vec::new(),
            next_number: 1,
            last_timestamp: 0,
            done: false,
        };
        match reader.next_block() {
            Some(Ok(block)) => reader.section_header(&block)?,
            Some(Err(e)) => return Err(e),
            // Unreachable in practice: the length check above guarantees a block.
            None => {
                return Err(error(CaptureErrorKind::FileHeaderTooShort {
                    needed: MIN_SECTION_HEADER_LEN,
                    available: data.len(),
                }))
            }
        }
        Ok(reader)
    }

    /// Continues reading a file in chunks: `data` holds the file's bytes from offset `base`
    /// on (at least from `state`'s position), `more` says whether bytes follow it. With
    /// `more`, the iteration pauses (ends without an error) at a block cut off by the end of
    /// `data`; [`Self::state`] then says where to resume.
    pub fn resume(data: &'a [u8], base: usize, state: PcapngState, more: bool) -> Self {
        PcapngReader {
            data,
            base,
            more,
            offset: state.offset,
            byte_order: state.byte_order,
            interfaces: state.interfaces,
            next_number: state.next_number,
            last_timestamp: state.last_timestamp,
            done: false,
        }
    }

    /// Whether reading ended for good: the end of the file, or framing lost after an error
    /// (not a pause at the end of a chunk).
    pub fn finished(&self) -> bool {
        self.done
    }

    /// Where the reader is, to [`Self::resume`] on later bytes of the file.
    pub fn state(self) -> PcapngState {
        PcapngState {
            offset: self.offset,
            byte_order: self.byte_order,
            interfaces: self.interfaces,
            next_number: self.next_number,
            last_timestamp: self.last_timestamp,
        }
    }

    /// Interfaces described so far in the current section (index = interface id).
    pub fn interfaces(&self) -> &[Interface] {
        &self.interfaces
    }

    /// Byte order of the current section.
    pub fn byte_order(&self) -> ByteOrder {
        self.byte_order
    }

    /// File offset of the next block (the file length once all blocks are read).
    pub fn offset(&self) -> usize {
        self.offset
    }

    fn error(&self, offset: usize, kind: CaptureErrorKind) -> CaptureError {
        CaptureError {
            format: CaptureFormat::Pcapng,
            offset,
            kind,
        }
    }

    /// Validates the frame of the block at `self.offset` and moves past it. Framing errors
    /// end the iteration.
    fn next_block(&mut self) -> Option<Result<Block<'a>, CaptureError>> {
        if self.done {
            return None;
        }
        let offset = self.offset;
        let rest = offset
            .checked_sub(self.base)
            .and_then(|at| self.data.get(at..))
            .unwrap_or_default();
        if rest.is_empty() {
            self.done = !self.more;
            return None;
        }
        let result = self.frame(offset, rest);
        match &result {
            Ok(block) => {
                self.offset = offset + MIN_BLOCK_LEN + block.body.len();
            }
            // Cut off by the end of this chunk: wait for the next one.
            Err(e) if self.more && e.kind.is_cut_off() => return None,
            Err(_) => self.done = true,
        }
        Some(result)
    }

    fn frame(&mut self, offset: usize, rest: &'a [u8]) -> Result<Block<'a>, CaptureError> {
        if rest.len() < MIN_BLOCK_LEN {
            return Err(self.error(
                offset,
                CaptureErrorKind::BlockHeaderTooShort {
                    needed: MIN_BLOCK_LEN,
                    available: rest.len(),
                },
            ));
        }
        // A section header announces its own byte order, needed to read its length.
        if ByteOrder::BigEndian.read_u32(rest, 0) == Some(BlockType::SECTION_HEADER.0) {
            match byte_order(rest) {
                Some(order) => self.byte_order = order,
                None => {
                    let found = ByteOrder::BigEndian.read_u32(rest, 8).unwrap_or(0);
                    return Err(self.error(offset, CaptureErrorKind::BadByteOrderMagic { found }));
                }
            }
        }
        let order = self.byte_order;
        let block_type = BlockType(order.read_u32(rest, 0).unwrap_or(0));
        let length = order.read_u32(rest, 4).unwrap_or(0);
        let len = usize::try_from(length).unwrap_or(usize::MAX);
        if len < MIN_BLOCK_LEN || len % 4 != 0 {
            return Err(self.error(
                offset,
                CaptureErrorKind::BlockLengthInvalid { block_type, length },
            ));
        }
        let (Some(body), Some(trailing)) = (rest.get(8..len - 4), order.read_u32(rest, len - 4))
        else {
            return Err(self.error(
                offset,
                CaptureErrorKind::BlockPastEnd {
                    block_type,
                    length,
                    available: rest.len(),
                },
            ));
        };
        if trailing != length {
            return Err(self.error(
                offset,
                CaptureErrorKind::BlockLengthMismatch {
                    block_type,
                    leading: length,
                    trailing,
                },
            ));
        }
        Ok(Block {
            offset,
            block_type,
            body,
        })
    }

    /// Starts a new section. Its errors are fatal: nothing in the section can be trusted.
    fn section_header(&mut self, block: &Block<'a>) -> Result<(), CaptureError> {
        let order = self.byte_order;
        let fail = |this: &mut Self, kind| {
            this.done = true;
            Err(this.error(block.offset, kind))
        };
        let body_needed = MIN_SECTION_HEADER_LEN - MIN_BLOCK_LEN;
        if block.body.len() < body_needed {
            return fail(
                self,
                CaptureErrorKind::BlockBodyTooShort {
                    block_type: block.block_type,
                    needed: body_needed,
                    available: block.body.len(),
                },
            );
        }
        let major = order.read_u16(block.body, 4).unwrap_or(0);
        let minor = order.read_u16(block.body, 6).unwrap_or(0);
        if major != 1 {
            return fail(self, CaptureErrorKind::UnsupportedVersion { major, minor });
        }
        self.interfaces.clear();
        Ok(())
    }

    fn interface_description(&mut self, block: &Block<'a>) -> Result<(), CaptureError> {
        let order = self.byte_order;
        let body = block.body;
        let (Some(link_type), Some(snaplen)) = (order.read_u16(body, 0), order.read_u32(body, 4))
        else {
            return Err(self.error(
                block.offset,
                CaptureErrorKind::BlockBodyTooShort {
                    block_type: block.block_type,
                    needed: 8,
                    available: body.len(),
                },
            ));
        };
        let mut interface = Interface {
            link_type: LinkType(u32::from(link_type)),
            snaplen,
            ts_resolution: TsResolution::MICROS,
            ts_offset: 0,
        };
        // Options: code u16 | length u16 | value padded to 4. A malformed list ends option
        // parsing (the options read so far stay): options only refine timestamps.
        let mut options = body.get(8..).unwrap_or_default();
        while let (Some(code), Some(len)) = (order.read_u16(options, 0), order.read_u16(options, 2))
        {
            const END_OF_OPTIONS: u16 = 0;
            const IF_TSRESOL: u16 = 9;
            const IF_TSOFFSET: u16 = 14;
            let len = usize::from(len);
            let Some(value) = options.get(4..4 + len) else {
                break;
            };
            match code {
                END_OF_OPTIONS => break,
                IF_TSRESOL => {
                    if let Some(&resolution) = value.first() {
                        interface.ts_resolution = TsResolution(resolution);
                    }
                }
                IF_TSOFFSET => {
                    if let Some(seconds) = order.read_u64(value, 0) {
                        // The field is a signed 64-bit count of seconds.
                        interface.ts_offset = seconds as i64;
                    }
                }
                _ => {}
            }
            // Every option consumes at least its 4-byte header.
            options = options
                .get(4 + len.next_multiple_of(4)..)
                .unwrap_or_default();
        }
        self.interfaces.push(interface);
        Ok(())
    }

    fn take_number(&mut self) -> u32 {
        let number = self.next_number;
        self.next_number = number.saturating_add(1);
        number
    }

    /// Enhanced Packet Block, or the obsolete Packet Block (same layout, 16-bit interface).
    fn packet_block(&mut self, block: &Block<'a>) -> Result<Packet<'a>, CaptureError> {
        const FIXED: usize = 20;
        let number = self.take_number();
        let order = self.byte_order;
        let body = block.body;
        if body.len() < FIXED {
            return Err(self.error(
                block.offset,
                CaptureErrorKind::BlockBodyTooShort {
                    block_type: block.block_type,
                    needed: FIXED,
                    available: body.len(),
                },
            ));
        }
        let field = |offset| order.read_u32(body, offset).unwrap_or(0);
        let interface_id = if block.block_type == BlockType::PACKET {
            u32::from(order.read_u16(body, 0).unwrap_or(0))
        } else {
            field(0)
        };
        let ticks = (u64::from(field(4)) << 32) | u64::from(field(8));
        let (captured, orig_len) = (field(12), field(16));
        let room = body.get(FIXED..).unwrap_or_default();
        let Some(data) = usize::try_from(captured)
            .ok()
            .and_then(|len| room.get(..len))
        else {
            return Err(self.error(
                block.offset,
                CaptureErrorKind::PacketPastBlock {
                    block_type: block.block_type,
                    packet: number,
                    captured,
                    available: room.len(),
                },
            ));
        };
        let interface = usize::try_from(interface_id)
            .ok()
            .and_then(|id| self.interfaces.get(id))
            .copied();
        let Some(interface) = interface else {
            return Err(self.error(
                block.offset,
                CaptureErrorKind::UnknownInterface {
                    block_type: block.block_type,
                    packet: number,
                    interface_id,
                    interfaces: self.interfaces.len(),
                },
            ));
        };
        let timestamp = interface.timestamp(ticks);
        self.last_timestamp = timestamp;
        Ok(Packet {
            number,
            timestamp,
            link_type: interface.link_type,
            data,
            orig_len,
            file_offset: block.offset + 8 + FIXED,
        })
    }

    fn simple_packet_block(&mut self, block: &Block<'a>) -> Result<Packet<'a>, CaptureError> {
        const FIXED: usize = 4;
        let number = self.take_number();
        let Some(orig_len) = self.byte_order.read_u32(block.body, 0) else {
            return Err(self.error(
                block.offset,
                CaptureErrorKind::BlockBodyTooShort {
                    block_type: block.block_type,
                    needed: FIXED,
                    available: block.body.len(),
                },
            ));
        };
        let Some(interface) = self.interfaces.first().copied() else {
            return Err(self.error(
                block.offset,
                CaptureErrorKind::UnknownInterface {
                    block_type: block.block_type,
                    packet: number,
                    interface_id: 0,
                    interfaces: 0,
                },
            ));
        };
        let room = block.body.get(FIXED..).unwrap_or_default();
        let mut len = usize::try_from(orig_len)
            .unwrap_or(usize::MAX)
            .min(room.len());
        if interface.snaplen != 0 {
            len = len.min(usize::try_from(interface.snaplen).unwrap_or(usize::MAX));
        }
        Ok(Packet {
            number,
            timestamp: self.last_timestamp,
            link_type: interface.link_type,
            data: room.get(..len).unwrap_or_default(),
            orig_len,
            file_offset: block.offset + 8 + FIXED,
        })
    }
}

/// A [`PcapngReader`]'s position in its file, between two chunks of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PcapngState {
    /// File offset of the next block.
    pub offset: usize,
    byte_order: ByteOrder,
    interfaces: Vec<Interface>,
    next_number: u32,
    last_timestamp: Timestamp,
}

impl<'a> Iterator for PcapngReader<'a> {
    type Item = Result<Packet<'a>, CaptureError>;

    fn next(&mut self) -> Option<Self::Item> {
        // Each turn consumes one block of at least 12 bytes, or ends the iteration.
        loop {
            let block = match self.next_block()? {
                Ok(block) => block,
                Err(e) => return Some(Err(e)),
            };
            match block.block_type {
                BlockType::SECTION_HEADER => {
                    if let Err(e) = self.section_header(&block) {
                        return Some(Err(e));
                    }
                }
                BlockType::INTERFACE_DESCRIPTION => {
                    if let Err(e) = self.interface_description(&block) {
                        return Some(Err(e));
                    }
                }
                BlockType::ENHANCED_PACKET | BlockType::PACKET => {
                    return Some(self.packet_block(&block));
                }
                BlockType::SIMPLE_PACKET => return Some(self.simple_packet_block(&block)),
                // Wireshark shows these as frames: count them so numbers stay its numbers.
                BlockType::CUSTOM
                | BlockType::CUSTOM_NO_COPY
                | BlockType::SYSTEMD_JOURNAL_EXPORT => {
                    self.take_number();
                }
                _ => {}
            }
        }
    }
}

impl FusedIterator for PcapngReader<'_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    /// Minimal block writer for unit tests (the full writer lives in the spop-tests crate).
    struct W {
        order: ByteOrder,
        out: Vec<u8>,
    }

    impl W {
        fn new(order: ByteOrder) -> Self {
            let mut w = W {
                order,
                out: Vec::new(),
            };
            w.shb();
            w
        }
        fn u16(&self, v: u16) -> [u8; 2] {
            match self.order {
                ByteOrder::LittleEndian => v.to_le_bytes(),
                ByteOrder::BigEndian => v.to_be_bytes(),
            }
        }
        fn u32(&self, v: u32) -> [u8; 4] {
            match self.order {
                ByteOrder::LittleEndian => v.to_le_bytes(),
                ByteOrder::BigEndian => v.to_be_bytes(),
            }
        }
        fn block(&mut self, block_type: u32, body: &[u8]) {
            let mut padded = body.to_vec();
            padded.resize(body.len().next_multiple_of(4), 0);
            let len = u32::try_from(padded.len() + 12).unwrap();
            let (t, l) = (self.u32(block_type), self.u32(len));
            self.out.extend_from_slice(&t);
            self.out.extend_from_slice(&l);
            self.out.extend_from_slice(&padded);
            self.out.extend_from_slice(&l);
        }
        fn shb(&mut self) {
            let mut body = Vec::new();
            body.extend_from_slice(&self.u32(BYTE_ORDER_MAGIC));
            body.extend_from_slice(&self.u16(1));
            body.extend_from_slice(&self.u16(0));
            body.extend_from_slice(&[0xff; 8]);
            self.block(0x0a0d_0d0a, &body);
        }
        fn idb(&mut self, link: u16, snaplen: u32, options: &[(u16, &[u8])]) {
            let mut body = Vec::new();
            body.extend_from_slice(&self.u16(link));
            body.extend_from_slice(&[0, 0]);
            body.extend_from_slice(&self.u32(snaplen));
            for (code, value) in options {
                body.extend_from_slice(&self.u16(*code));
                body.extend_from_slice(&self.u16(u16::try_from(value.len()).unwrap()));
                body.extend_from_slice(value);
                body.resize(body.len().next_multiple_of(4), 0);
            }
            self.block(1, &body);
        }
        fn epb(&mut self, iface: u32, ticks: u64, data: &[u8], orig: u32) {
            let mut body = Vec::new();
            body.extend_from_slice(&self.u32(iface));
            body.extend_from_slice(&self.u32((ticks >> 32) as u32));
            body.extend_from_slice(&self.u32(ticks as u32));
            body.extend_from_slice(&self.u32(u32::try_from(data.len()).unwrap()));
            body.extend_from_slice(&self.u32(orig));
            body.extend_from_slice(data);
            self.block(6, &body);
        }
        fn spb(&mut self, orig: u32, data: &[u8]) {
            let mut body = Vec::new();
            body.extend_from_slice(&self.u32(orig));
            body.extend_from_slice(data);
            self.block(3, &body);
        }
    }

    #[test]
    fn reads_both_byte_orders() {
        for order in [ByteOrder::LittleEndian, ByteOrder::BigEndian] {
            let mut w = W::new(order);
            w.idb(1, 0, &[]);
            w.epb(0, 1_500_000_123, b"hello", 5);
            w.spb(3, b"abc");
            let mut r = PcapngReader::new(&w.out).unwrap();
            assert_eq!(r.byte_order(), order);
            let p = r.next().unwrap().unwrap();
            assert_eq!(p.number, 1);
            assert_eq!(p.timestamp, 1_500_000_123_000);
            assert_eq!(p.link_type, LinkType::ETHERNET);
            assert_eq!(p.data, b"hello");
            assert_eq!(p.file_offset, 28 + 20 + 8 + 20);
            let p = r.next().unwrap().unwrap();
            assert_eq!(p.number, 2);
            assert_eq!(
                p.timestamp, 1_500_000_123_000,
                "SPB inherits the last timestamp"
            );
            assert_eq!(p.data, b"abc");
            assert!(r.next().is_none());
            assert_eq!(r.interfaces().len(), 1);
        }
    }

    #[test]
    fn ts_resolution_conversions() {
        assert_eq!(TsResolution::MICROS.ticks_to_nanos(7), 7_000);
        assert_eq!(TsResolution::NANOS.ticks_to_nanos(7), 7);
        assert_eq!(TsResolution(0).ticks_to_nanos(2), 2_000_000_000);
        assert_eq!(TsResolution(12).ticks_to_nanos(7_000), 7);
        assert_eq!(TsResolution(127).ticks_to_nanos(u64::MAX), 0);
        assert_eq!(TsResolution(0x80 | 10).ticks_to_nanos(1024), 1_000_000_000);
        assert_eq!(
            TsResolution(0x80 | 30).ticks_to_nanos(1 << 30),
            1_000_000_000
        );
        assert_eq!(TsResolution(0x80).ticks_to_nanos(u64::MAX), u64::MAX);
        assert_eq!(TsResolution(0xff).ticks_to_nanos(u64::MAX), 0);
        assert_eq!(TsResolution(0).ticks_to_nanos(u64::MAX), u64::MAX);
    }

    #[test]
    fn interface_options_resolution_and_offset() {
        let mut w = W::new(ByteOrder::LittleEndian);
        let offset = 10i64.to_le_bytes();
        w.idb(101, 96, &[(2, b"eth0"), (9, &[9]), (14, &offset)]);
        w.idb(113, 0, &[(9, &[0x80 | 20])]);
        w.epb(0, 5, b"x", 1);
        w.epb(1, 1 << 20, b"y", 1);
        let packets: Vec<_> = PcapngReader::new(&w.out).unwrap().collect();
        let p0 = packets[0].as_ref().unwrap();
        assert_eq!(p0.timestamp, 10_000_000_005);
        assert_eq!(p0.link_type, LinkType::RAW);
        let p1 = packets[1].as_ref().unwrap();
        assert_eq!(p1.timestamp, 1_000_000_000);
        assert_eq!(p1.link_type, LinkType::LINUX_SLL);
    }

    #[test]
    fn malformed_option_list_keeps_interface() {
        let mut w = W::new(ByteOrder::BigEndian);
        let mut body = Vec::new();
        body.extend_from_slice(&w.u16(1));
        body.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        body.extend_from_slice(&w.u16(9));
        body.extend_from_slice(&w.u16(200)); // runs past the block
        w.block(1, &body);
        w.epb(0, 1, b"z", 1);
        let mut r = PcapngReader::new(&w.out).unwrap();
        assert_eq!(r.next().unwrap().unwrap().timestamp, 1_000);
    }

    #[test]
    fn sections_reset_interfaces_and_may_change_byte_order() {
        let mut w = W::new(ByteOrder::LittleEndian);
        w.idb(1, 0, &[]);
        w.epb(0, 1, b"a", 1);
        let mut w2 = W::new(ByteOrder::BigEndian);
        w2.epb(0, 2, b"b", 1); // no interface in this section yet
        w2.idb(228, 0, &[(9, &[9])]);
        w2.epb(0, 3, b"c", 1);
        w.out.extend_from_slice(&w2.out);
        let items: Vec<_> = PcapngReader::new(&w.out).unwrap().collect();
        assert_eq!(items.len(), 3);
        assert_eq!(items[0].as_ref().unwrap().number, 1);
        let e = items[1].as_ref().unwrap_err();
        assert_eq!(
            e.kind,
            CaptureErrorKind::UnknownInterface {
                block_type: BlockType::ENHANCED_PACKET,
                packet: 2,
                interface_id: 0,
                interfaces: 0
            }
        );
        let p = items[2].as_ref().unwrap();
        assert_eq!((p.number, p.timestamp, p.link_type), (3, 3, LinkType::IPV4));
    }

    #[test]
    fn unknown_blocks_are_skipped() {
        let mut w = W::new(ByteOrder::LittleEndian);
        w.block(0x0bad, &[1, 2, 3, 4, 5]);
        w.idb(1, 0, &[]);
        w.block(5, &[0; 8]);
        w.block(0x1234_5678, &[]);
        w.epb(0, 1, b"a", 1);
        let items: Vec<_> = PcapngReader::new(&w.out).unwrap().collect();
        assert_eq!(items.len(), 1);
        let p = items[0].as_ref().unwrap();
        assert_eq!(p.data, b"a");
        assert_eq!(p.number, 2, "Wireshark numbers the custom block as frame 1");
    }

    #[test]
    fn bad_first_block() {
        let e = PcapngReader::new(&[0xd4, 0xc3, 0xb2, 0xa1, 0, 0]).unwrap_err();
        assert_eq!(e.kind, CaptureErrorKind::BadMagic { found: 0xd4c3_b2a1 });
        let w = W::new(ByteOrder::LittleEndian);
        let e = PcapngReader::new(&w.out[..20]).unwrap_err();
        assert!(matches!(
            e.kind,
            CaptureErrorKind::FileHeaderTooShort { .. }
        ));
        let mut bad_bom = w.out.clone();
        bad_bom[8] = 0;
        let e = PcapngReader::new(&bad_bom).unwrap_err();
        assert!(matches!(e.kind, CaptureErrorKind::BadByteOrderMagic { .. }));
        assert!(!is_pcapng(&bad_bom));
        assert!(is_pcapng(&w.out));
        let mut version = w.out.clone();
        version[12] = 2;
        let e = PcapngReader::new(&version).unwrap_err();
        assert_eq!(
            e.kind,
            CaptureErrorKind::UnsupportedVersion { major: 2, minor: 0 }
        );
        assert!(PcapngReader::new(&[]).is_err());
    }

    #[test]
    fn bad_block_lengths_are_fatal() {
        let mut base = W::new(ByteOrder::LittleEndian);
        base.idb(1, 0, &[]);
        let start = base.out.len();
        for (length, want) in [
            (13u32, "invalid"),
            (8, "invalid"),
            (0, "invalid"),
            (4000, "past"),
            (u32::MAX - 3, "past"),
        ] {
            let mut w = W {
                order: base.order,
                out: base.out.clone(),
            };
            w.epb(0, 1, b"abcd", 4);
            w.out[start + 4..start + 8].copy_from_slice(&length.to_le_bytes());
            let mut r = PcapngReader::new(&w.out).unwrap();
            let e = r.next().unwrap().unwrap_err();
            assert_eq!(e.offset, start);
            match want {
                "invalid" => assert!(
                    matches!(e.kind, CaptureErrorKind::BlockLengthInvalid { length: l, .. } if l == length)
                ),
                _ => assert!(matches!(e.kind, CaptureErrorKind::BlockPastEnd { .. })),
            }
            assert!(r.next().is_none());
        }
    }

    #[test]
    fn trailing_length_mismatch_is_fatal() {
        let mut w = W::new(ByteOrder::BigEndian);
        w.idb(1, 0, &[]);
        w.epb(0, 1, b"abcd", 4);
        w.epb(0, 2, b"efgh", 4);
        let first_epb_end = 28 + 20 + 36;
        w.out[first_epb_end - 1] = 0x20;
        let mut r = PcapngReader::new(&w.out).unwrap();
        let e = r.next().unwrap().unwrap_err();
        assert_eq!(
            e.kind,
            CaptureErrorKind::BlockLengthMismatch {
                block_type: BlockType::ENHANCED_PACKET,
                leading: 36,
                trailing: 0x20
            }
        );
        assert!(r.next().is_none());
    }

    #[test]
    fn content_errors_are_not_fatal() {
        let mut w = W::new(ByteOrder::LittleEndian);
        w.idb(1, 0, &[]);
        // EPB claiming more captured bytes than it holds.
        let mut body = vec![0u8; 20];
        body[12..16].copy_from_slice(&100u32.to_le_bytes());
        body.extend_from_slice(b"abcd");
        w.block(6, &body);
        // EPB too short for its fixed fields; SPB too short; IDB too short.
        w.block(6, &[0; 8]);
        w.block(3, &[]);
        w.block(1, &[0; 4]);
        w.epb(0, 1, b"ok", 2);
        let items: Vec<_> = PcapngReader::new(&w.out).unwrap().collect();
        assert_eq!(items.len(), 5);
        assert!(matches!(
            items[0],
            Err(CaptureError {
                kind: CaptureErrorKind::PacketPastBlock {
                    packet: 1,
                    captured: 100,
                    available: 4,
                    ..
                },
                ..
            })
        ));
        assert!(matches!(
            items[1],
            Err(CaptureError {
                kind: CaptureErrorKind::BlockBodyTooShort { needed: 20, .. },
                ..
            })
        ));
        assert!(matches!(
            items[2],
            Err(CaptureError {
                kind: CaptureErrorKind::BlockBodyTooShort { needed: 4, .. },
                ..
            })
        ));
        assert!(matches!(
            items[3],
            Err(CaptureError {
                kind: CaptureErrorKind::BlockBodyTooShort { needed: 8, .. },
                ..
            })
        ));
        let p = items[4].as_ref().unwrap();
        assert_eq!((p.number, p.data), (4, &b"ok"[..]));
    }

    #[test]
    fn simple_packet_block_respects_snaplen_and_block_room() {
        let mut w = W::new(ByteOrder::LittleEndian);
        w.idb(1, 4, &[]);
        w.spb(10, b"abcdefgh");
        w.spb(2, b"abcd");
        let items: Vec<_> = PcapngReader::new(&w.out).unwrap().collect();
        let p = items[0].as_ref().unwrap();
        assert_eq!((p.data, p.orig_len, p.timestamp), (&b"abcd"[..], 10, 0));
        assert!(p.is_truncated());
        assert_eq!(items[1].as_ref().unwrap().data, b"ab");
    }

    #[test]
    fn obsolete_packet_block() {
        let mut w = W::new(ByteOrder::BigEndian);
        w.idb(1, 0, &[]);
        w.idb(0, 0, &[]);
        let mut body = Vec::new();
        body.extend_from_slice(&w.u16(1));
        body.extend_from_slice(&w.u16(0));
        body.extend_from_slice(&w.u32(0));
        body.extend_from_slice(&w.u32(9));
        body.extend_from_slice(&w.u32(3));
        body.extend_from_slice(&w.u32(3));
        body.extend_from_slice(b"xyz");
        w.block(2, &body);
        let p = PcapngReader::new(&w.out).unwrap().next().unwrap().unwrap();
        assert_eq!(
            (p.link_type, p.timestamp, p.data),
            (LinkType::NULL, 9_000, &b"xyz"[..])
        );
    }

    #[test]
    fn short_tail_is_reported() {
        let mut w = W::new(ByteOrder::LittleEndian);
        w.out.extend_from_slice(&[6, 0, 0, 0]);
        let mut r = PcapngReader::new(&w.out).unwrap();
        let e = r.next().unwrap().unwrap_err();
        assert_eq!(
            e.kind,
            CaptureErrorKind::BlockHeaderTooShort {
                needed: 12,
                available: 4
            }
        );
        assert!(r.next().is_none());
    }

    #[test]
    fn every_prefix_and_every_corruption_terminates() {
        let mut w = W::new(ByteOrder::LittleEndian);
        w.idb(1, 0, &[(9, &[9])]);
        for i in 0..4u8 {
            w.epb(0, u64::from(i), &[i; 5], 5);
        }
        w.spb(3, b"abc");
        for end in 0..=w.out.len() {
            if let Ok(r) = PcapngReader::new(&w.out[..end]) {
                assert!(r.count() <= 5);
            }
        }
        for i in 0..w.out.len() {
            let mut bytes = w.out.clone();
            bytes[i] ^= 0xff;
            if let Ok(r) = PcapngReader::new(&bytes) {
                assert!(r.count() <= 6);
            }
        }
    }
}
