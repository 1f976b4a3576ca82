//! Classic pcap reader, then every packet through link/IP/TCP: no panic, iteration ends, every
//! packet's data lies inside the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spop_codec::capture::ip::tcp_segment;
use spop_codec::capture::pcap::PcapReader;

fuzz_target!(|data: &[u8]| {
    let Ok(reader) = PcapReader::new(data) else { return };
    let mut n = 0usize;
    for p in reader {
        n += 1;
        assert!(n <= data.len());
        let Ok(p) = p else { continue };
        assert!(p.file_offset + p.data.len() <= data.len());
        let _ = tcp_segment(&p);
    }
});
