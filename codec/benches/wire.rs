//! Wire decoding throughput on realistic traffic: HAProxy NOTIFYs (two messages, 8 + 4
//! arguments, as in the shared corpus) and agent ACKs with set-var actions.
//!
//! `cargo bench -p spop-codec --bench wire` reports MB/s (`wire-bytes`) and frames/s
//! (`wire-frames`) for:
//! * `decode`: every frame's header decoded and its payload validated against its grammar;
//! * `decode+visit`: the same, then every message argument and ACK action iterated with its
//!   spans, the way the analysis layer reads frames;
//! * `incremental-1460`: the HAProxy stream fed to [`StreamDecoder`] in TCP-sized pieces.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use spop_codec::synth::{conversation, Generation, Rng};
use spop_codec::wire::{Frames, Limits, Payload, Status, StreamDecoder};

const LIMITS: Limits = Limits {
    max_length: Some(16380),
};

/// About 8 MB in all: large enough to leave the caches, small enough for quick runs.
fn streams() -> (Vec<u8>, Vec<u8>) {
    let mut rng = Rng::new(42);
    let (mut h, mut a) = (Vec::new(), Vec::new());
    let mut sid = 0;
    while h.len() + a.len() < 8 << 20 {
        let c = conversation(&mut rng, Generation::Legacy, sid, 200);
        sid += 200;
        h.extend_from_slice(&c.haproxy);
        a.extend_from_slice(&c.agent);
    }
    (h, a)
}

fn decode(buf: &[u8]) -> usize {
    Frames::new(buf, 0, LIMITS)
        .map_while(Result::ok)
        .filter(|f| f.payload_error().is_none())
        .count()
}

fn decode_visit(buf: &[u8]) -> usize {
    let mut n = 0;
    for f in Frames::new(buf, 0, LIMITS).map_while(Result::ok) {
        n += 1 + match f.payload() {
            Payload::Messages(m) => m.iter().flatten().map(|m| m.args().count()).sum::<usize>(),
            Payload::Actions(a) => a.iter().count(),
            Payload::KvList(kv) => kv.iter().count(),
            _ => 0,
        };
    }
    n
}

fn incremental(buf: &[u8], piece: usize) -> usize {
    let mut dec = StreamDecoder::with_limits(LIMITS);
    let (mut n, mut avail) = (0, 0);
    loop {
        match dec.decode(buf.get(dec.offset()..avail).unwrap_or(&[])) {
            Ok(Status::Complete(_)) => n += 1,
            Ok(Status::Partial { .. }) if avail < buf.len() => {
                avail = (avail + piece).min(buf.len())
            }
            _ => return n,
        }
    }
}

fn bench(c: &mut Criterion) {
    let (h, a) = streams();
    let bytes = (h.len() + a.len()) as u64;
    let frames = (decode(&h) + decode(&a)) as u64;
    assert_eq!(frames as usize, incremental(&h, 1460) + decode(&a));

    for (group, throughput) in [
        ("wire-bytes", Throughput::Bytes(bytes)),
        ("wire-frames", Throughput::Elements(frames)),
    ] {
        let mut g = c.benchmark_group(group);
        g.throughput(throughput);
        g.bench_function("decode", |b| b.iter(|| decode(&h) + decode(&a)));
        g.bench_function("decode+visit", |b| {
            b.iter(|| decode_visit(&h) + decode_visit(&a))
        });
        g.bench_function("incremental-1460", |b| {
            b.iter(|| incremental(&h, 1460) + incremental(&a, 1460))
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
