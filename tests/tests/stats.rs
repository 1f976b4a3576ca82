//! The latency statistics by message name, checked against the plain definition (each
//! message's name made text, latencies kept per text, sorted for their percentiles) on a
//! capture with more names than are kept apart and names whose bytes differ but whose text is
//! the same; and the reports' table ([`latency_by_message`]) is the statistics' own.

use std::collections::BTreeMap;

use spop_codec::analysis::Percentiles;
use spop_codec::analysis::{analyze, latency_by_message, statistics, AnalysisOptions};
use spop_codec::capture::{load, LinkType, LoadOptions};
use spop_codec::display::text;
use spop_codec::wire::{ActionRepr, FrameRepr, MessageRepr, Scope, Value};
use spop_tests::pcapgen::{PcapWriter, TcpConversation};

/// Percentiles as a sort gives them (nearest rank, the median of an even count the mean of
/// the middle two).
fn sorted_percentiles(mut v: Vec<u64>) -> Percentiles {
    v.sort_unstable();
    let n = v.len();
    let rank = |p: usize| v[(n * p).div_ceil(100).clamp(1, n) - 1];
    let p50 = if n.is_multiple_of(2) {
        v[n / 2 - 1] + (v[n / 2] - v[n / 2 - 1]) / 2
    } else {
        v[n / 2]
    };
    Percentiles {
        count: n,
        p50,
        p90: rank(90),
        p99: rank(99),
        max: v[n - 1],
    }
}

/// The message names of a NOTIFY and its latency.
type Sent<'a> = (Vec<&'a [u8]>, u64);

/// A capture of two connections whose NOTIFYs alternate, with message names from `names`
/// (NOTIFYs of one or two messages, both getting the NOTIFY's latency), checked against the
/// definition, which reads the NOTIFYs connection by connection.
fn check_names(names: &[Vec<u8>]) -> Vec<(String, Percentiles)> {
    let mut w = PcapWriter::new(LinkType::ETHERNET).nanos();
    let mut conns = [
        TcpConversation::new("10.0.0.1:40000", "10.0.0.2:12345"),
        TcpConversation::new("10.0.0.1:40001", "10.0.0.2:12345"),
    ];
    let mut now = 1_700_000_000_000_000_000u64;
    let mut put = |w: &mut PcapWriter, p: spop_tests::pcapgen::TcpPacket, after: u64| {
        now += after;
        w.packet(now, &p.ethernet());
    };
    for c in &mut conns {
        for p in c.handshake() {
            put(&mut w, p, 1_000);
        }
        let hello = FrameRepr::haproxy_hello(16380, "pipelining", None, false);
        put(&mut w, c.client(hello.to_bytes().unwrap()), 1_000);
        let agent = FrameRepr::agent_hello("2.0", 16380, "pipelining");
        put(&mut w, c.server(agent.to_bytes().unwrap()), 1_000);
    }
    // Per connection: (names of each NOTIFY, its latency).
    let mut sent: [Vec<Sent<'_>>; 2] = [Vec::new(), Vec::new()];
    for i in 0..300usize {
        let first = &names[i * 7 % names.len()];
        let second = &names[(i * 13 + 1) % names.len()];
        let latency = 100_000 + (i as u64 * 7919 % 1000) * 1_000;

        // Every fifth NOTIFY carries one message only.
        let mut got: Vec<&[u8]> = vec![first];
        if i % 5 != 0 {
            got.push(second);
        }
        let messages = got
            .iter()
            .map(|&n| {
                let mut m = MessageRepr::new("", [("ip", Value::Ipv4([192, 0, 2, 1]))]);
                m.name = n;
                m
            })
            .collect();
        let sid = 1 + 2 * i as u64;
        let c = &mut conns[i % 2];
        let notify = FrameRepr::notify(sid, 1, messages).to_bytes().unwrap();
        put(&mut w, c.client(notify), 1_000_000);
        let ack = FrameRepr::ack(
            sid,
            1,
            vec![ActionRepr::set_var(Scope::Txn, "ok", Value::Bool(true))],
        );
        put(&mut w, c.server(ack.to_bytes().unwrap()), latency);
        sent[i % 2].push((got, latency));
    }
    let bytes = w.finish();
    let a = analyze(
        load(&bytes, &LoadOptions::default()).unwrap(),
        &AnalysisOptions::default(),
    );
    assert_eq!(a.connections.len(), 2);
    assert_eq!(a.connections[0].pairs.len(), 150);

    // The definition, message by message, connection by connection.
    let mut by_text: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for (msgs, l) in sent.iter().flatten() {
        for n in msgs {
            let text = text(n);
            let key = if by_text.len() < 32 || by_text.contains_key(&text) {
                text
            } else {
                "(other)".to_string()
            };
            by_text.entry(key).or_default().push(*l);
        }
    }
    let mut want: Vec<(String, Percentiles)> = by_text
        .into_iter()
        .map(|(n, v)| (n, sorted_percentiles(v)))
        .collect();
    want.sort_by(|x, y| y.1.count.cmp(&x.1.count).then_with(|| x.0.cmp(&y.0)));

    let stats = statistics(&a);
    assert_eq!(stats.by_message, want);
    assert_eq!(
        stats.latency,
        Some(sorted_percentiles(
            sent.iter().flatten().map(|s| s.1).collect()
        ))
    );
    assert_eq!(latency_by_message(&a), (stats.latency, stats.by_message));
    // Read in parts on three threads, the same.
    let threads = AnalysisOptions {
        threads: 3,
        ..AnalysisOptions::default()
    };
    let a = analyze(load(&bytes, &LoadOptions::default()).unwrap(), &threads);
    assert_eq!(latency_by_message(&a), (stats.latency, want.clone()));
    want
}

/// More names than are kept apart (40, two of them bytes whose texts could be confused: one
/// invalid UTF-8, shown as `\xff`, one those four characters, shown as `\\xff`): which go to
/// "(other)" depends on the order the definition reads them in.
#[test]
fn latencies_of_many_message_names_follow_their_definition() {
    let mut names: Vec<Vec<u8>> = (0..38).map(|i| format!("msg-{i}").into_bytes()).collect();
    names.insert(3, b"bad-\xff".to_vec());
    names.insert(5, b"bad-\\xff".to_vec());
    let got = check_names(&names);
    assert!(got.iter().any(|(n, _)| n == "(other)"));
    // Kept apart: a text reads back to one byte string only.
    let bad: Vec<&str> = got
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| n.starts_with("bad-"))
        .collect();
    assert_eq!(bad.len(), 2, "{bad:?}");
    assert!(
        bad.contains(&"bad-\\xff") && bad.contains(&"bad-\\\\xff"),
        "{bad:?}"
    );
}

/// A few names (read in timeline order, where the two connections' NOTIFYs alternate).
#[test]
fn latencies_of_a_few_message_names_follow_their_definition() {
    let names: Vec<Vec<u8>> = ["check-client-ip", "check-ua", "bad-\u{fffd}"]
        .iter()
        .map(|n| n.as_bytes().to_vec())
        .chain([b"bad-\xff".to_vec()])
        .collect();
    let got = check_names(&names);
    assert!(got.len() >= 3 && got.iter().all(|(n, _)| n != "(other)"));
}

/// Percentiles by selection are those of a sort, whatever the values and their count.
#[test]
fn percentiles_are_those_of_the_sorted_values() {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    for n in 1..400usize {
        let mut v: Vec<u64> = (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                // Few distinct values for some counts: ties must not matter.
                if n % 3 == 0 {
                    x % 5
                } else {
                    x % 1_000_000
                }
            })
            .collect();
        let want = sorted_percentiles(v.clone());
        assert_eq!(Percentiles::of(&mut v), Some(want), "{n} values");
    }
    assert_eq!(Percentiles::of(&mut []), None);
}
