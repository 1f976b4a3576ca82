/work/mine/fuzz/target2/debug/deps/spop_codec-320dac7e5bdab2bf.d: /work/mine/codec/src/lib.rs /work/mine/codec/src/capture/mod.rs /work/mine/codec/src/capture/error.rs /work/mine/codec/src/capture/ip.rs /work/mine/codec/src/capture/link.rs /work/mine/codec/src/capture/load.rs /work/mine/codec/src/capture/pcap.rs /work/mine/codec/src/capture/pcapng.rs /work/mine/codec/src/capture/spop.rs /work/mine/codec/src/capture/tcp.rs /work/mine/codec/src/capture/text/mod.rs /work/mine/codec/src/capture/text/agent.rs /work/mine/codec/src/capture/text/b64.rs /work/mine/codec/src/capture/text/detect.rs /work/mine/codec/src/capture/text/dump.rs /work/mine/codec/src/capture/text/follow.rs /work/mine/codec/src/capture/text/gdb.rs /work/mine/codec/src/capture/text/hex.rs /work/mine/codec/src/capture/text/lines.rs /work/mine/codec/src/capture/text/tcpdump.rs /work/mine/codec/src/capture/text/time.rs /work/mine/codec/src/capture/text/vtest.rs /work/mine/codec/src/capture/text/yaml.rs /work/mine/codec/src/span.rs /work/mine/codec/src/synth.rs /work/mine/codec/src/wire/mod.rs /work/mine/codec/src/wire/cursor.rs /work/mine/codec/src/wire/data.rs /work/mine/codec/src/wire/encode.rs /work/mine/codec/src/wire/error.rs /work/mine/codec/src/wire/frame.rs /work/mine/codec/src/wire/payload.rs /work/mine/codec/src/wire/scan.rs /work/mine/codec/src/wire/status.rs /work/mine/codec/src/wire/stream.rs /work/mine/codec/src/wire/summary.rs /work/mine/codec/src/wire/varint.rs

/work/mine/fuzz/target2/debug/deps/libspop_codec-320dac7e5bdab2bf.rmeta: /work/mine/codec/src/lib.rs /work/mine/codec/src/capture/mod.rs /work/mine/codec/src/capture/error.rs /work/mine/codec/src/capture/ip.rs /work/mine/codec/src/capture/link.rs /work/mine/codec/src/capture/load.rs /work/mine/codec/src/capture/pcap.rs /work/mine/codec/src/capture/pcapng.rs /work/mine/codec/src/capture/spop.rs /work/mine/codec/src/capture/tcp.rs /work/mine/codec/src/capture/text/mod.rs /work/mine/codec/src/capture/text/agent.rs /work/mine/codec/src/capture/text/b64.rs /work/mine/codec/src/capture/text/detect.rs /work/mine/codec/src/capture/text/dump.rs /work/mine/codec/src/capture/text/follow.rs /work/mine/codec/src/capture/text/gdb.rs /work/mine/codec/src/capture/text/hex.rs /work/mine/codec/src/capture/text/lines.rs /work/mine/codec/src/capture/text/tcpdump.rs /work/mine/codec/src/capture/text/time.rs /work/mine/codec/src/capture/text/vtest.rs /work/mine/codec/src/capture/text/yaml.rs /work/mine/codec/src/span.rs /work/mine/codec/src/synth.rs /work/mine/codec/src/wire/mod.rs /work/mine/codec/src/wire/cursor.rs /work/mine/codec/src/wire/data.rs /work/mine/codec/src/wire/encode.rs /work/mine/codec/src/wire/error.rs /work/mine/codec/src/wire/frame.rs /work/mine/codec/src/wire/payload.rs /work/mine/codec/src/wire/scan.rs /work/mine/codec/src/wire/status.rs /work/mine/codec/src/wire/stream.rs /work/mine/codec/src/wire/summary.rs /work/mine/codec/src/wire/varint.rs

/work/mine/codec/src/lib.rs:
/work/mine/codec/src/capture/mod.rs:
/work/mine/codec/src/capture/error.rs:
/work/mine/codec/src/capture/ip.rs:
/work/mine/codec/src/capture/link.rs:
/work/mine/codec/src/capture/load.rs:
/work/mine/codec/src/capture/pcap.rs:
/work/mine/codec/src/capture/pcapng.rs:
/work/mine/codec/src/capture/spop.rs:
/work/mine/codec/src/capture/tcp.rs:
/work/mine/codec/src/capture/text/mod.rs:
/work/mine/codec/src/capture/text/agent.rs:
/work/mine/codec/src/capture/text/b64.rs:
/work/mine/codec/src/capture/text/detect.rs:
/work/mine/codec/src/capture/text/dump.rs:
/work/mine/codec/src/capture/text/follow.rs:
/work/mine/codec/src/capture/text/gdb.rs:
/work/mine/codec/src/capture/text/hex.rs:
/work/mine/codec/src/capture/text/lines.rs:
/work/mine/codec/src/capture/text/tcpdump.rs:
/work/mine/codec/src/capture/text/time.rs:
/work/mine/codec/src/capture/text/vtest.rs:
/work/mine/codec/src/capture/text/yaml.rs:
/work/mine/codec/src/span.rs:
/work/mine/codec/src/synth.rs:
/work/mine/codec/src/wire/mod.rs:
/work/mine/codec/src/wire/cursor.rs:
/work/mine/codec/src/wire/data.rs:
/work/mine/codec/src/wire/encode.rs:
/work/mine/codec/src/wire/error.rs:
/work/mine/codec/src/wire/frame.rs:
/work/mine/codec/src/wire/payload.rs:
/work/mine/codec/src/wire/scan.rs:
/work/mine/codec/src/wire/status.rs:
/work/mine/codec/src/wire/stream.rs:
/work/mine/codec/src/wire/summary.rs:
/work/mine/codec/src/wire/varint.rs:
