//! Gzip files (RFC 1952) for the engine's loader: a capture compressed as `gzip` writes it
//! (with the original file name in the header), and a gzip bomb built bit by bit.

/// `bytes` as `gzip` writes them, with `name` as the original file name (FNAME). The CRC-32 is
/// left zero: the loader does not check it.
pub fn gzip(bytes: &[u8], name: &str) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 0x08, 0x08, 0, 0, 0, 0, 0, 0x03];
    out.extend_from_slice(name.as_bytes());
    out.push(0);
    out.extend(miniz_oxide::deflate::compress_to_vec(bytes, 6));
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    out
}

/// A gzip file that inflates to at least `inflated` zero bytes from about `inflated / 160`
/// bytes: one literal, then back-references of 258 bytes at distance 1 (fixed Huffman codes).
pub fn bomb(inflated: usize) -> Vec<u8> {
    struct Bits {
        out: Vec<u8>,
        bit: u32,
    }
    impl Bits {
        /// Pushes the low `n` bits of `v`, least significant first.
        fn lsb(&mut self, v: u32, n: u32) {
            for i in 0..n {
                self.push((v >> i) & 1);
            }
        }
        /// Pushes a Huffman code of `n` bits, most significant first.
        fn code(&mut self, v: u32, n: u32) {
            for i in (0..n).rev() {
                self.push((v >> i) & 1);
            }
        }
        fn push(&mut self, b: u32) {
            if self.bit == 0 {
                self.out.push(0);
            }
            if let Some(last) = self.out.last_mut() {
                *last |= (b as u8) << self.bit;
            }
            self.bit = (self.bit + 1) % 8;
        }
    }
    let mut w = Bits {
        out: vec![0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0x03],
        bit: 0,
    };
    // The header of the deflate stream is byte-aligned after the 10 gzip bytes.
    w.bit = 0;
    // BFINAL, BTYPE = 01 (fixed codes).
    w.lsb(1, 1);
    w.lsb(1, 2);
    // Literal 0: 0x30 + 0, 8 bits.
    w.code(0x30, 8);
    for _ in 0..inflated.div_ceil(258) {
        // Length 258: code 285 = 0xc5 (8 bits), no extra bits; distance 1: code 0 (5 bits).
        w.code(0xc5, 8);
        w.code(0, 5);
    }
    // End of block: code 256, 7 zero bits.
    w.code(0, 7);
    w.out.extend_from_slice(&[0; 8]);
    w.out
}
