//! Share links: a [`Bundle`] of a capture in a URL's fragment, which never reaches a server,
//! so neither does the capture. The bundle format itself is a capture format
//! ([`crate::capture::bundle`]), read and written there; links are built here, above it.

use alloc::string::String;

use crate::capture::bundle::{Bundle, FRAGMENT_KEY};

/// A share link: `base` (the inspector's address; any fragment it has is replaced) with the
/// bundle in its fragment.
pub fn link(base: &str, bundle: &Bundle) -> String {
    link_with_text(base, &bundle.to_text())
}

/// A share link for a bundle already in text form ([`Bundle::to_text`]).
pub fn link_with_text(base: &str, text: &str) -> String {
    let base = base.split('#').next().unwrap_or(base);
    let mut s = String::with_capacity(base.len() + FRAGMENT_KEY.len() + text.len() + 2);
    s.push_str(base);
    s.push('#');
    s.push_str(FRAGMENT_KEY);
    s.push('=');
    s.push_str(text);
    s
}

/// The state key every surface writes the SPOP-X008 threshold under: HAProxy's
/// `timeout processing` as [`HaproxyTime`](crate::time::HaproxyTime) writes it (`500ms`).
/// A surface opening the bundle analyses it with that threshold unless told otherwise.
pub const TIMEOUT_PROCESSING_KEY: &str = "timeout.processing";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::bundle::tests::sample;
    use crate::capture::bundle::{bundle_text, fragment_bundle, ShareError, MAGIC, VERSION};
    use alloc::vec::Vec;

    fn t_len(b: &Bundle) -> usize {
        b.to_text().len()
    }

    /// Inputs the `share` fuzz target once crashed on, replayed as the target does: as raw
    /// bundle bytes, and deflated behind the magic.
    #[test]
    fn fuzz_regressions() {
        let crashes: [&[u8]; 1] = [&[
            0x00, 0x02, 0x1d, 0xf7, 0x3a, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3a, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
        ]];
        for data in crashes {
            let mut bundle = MAGIC.to_vec();
            bundle.push(VERSION);
            bundle.extend(miniz_oxide::deflate::compress_to_vec(data, 1));
            for input in [&bundle[..], data] {
                if let Ok(b) = Bundle::from_bytes_with_limit(input, 1 << 20) {
                    let again =
                        Bundle::from_bytes(&b.to_bytes()).expect("re-encoded bundle decodes");
                    assert_eq!(again, b);
                    let _ = crate::analysis::analyze(b.to_capture(), &Default::default());
                }
            }
        }
    }

    /// A pasted dump with two lines swapped, shared: the link still says the dump was
    /// damaged (SPOP-C007 and the note), and where.
    #[test]
    fn a_shared_paste_keeps_its_damage() {
        use crate::analysis::{analyze, AnalysisOptions};
        let text = include_bytes!("../../fuzz/seeds/text-xxd-swapped-lines.txt");
        let capture = crate::capture::load(text, &Default::default()).unwrap();
        assert!(!capture.text_warnings.is_empty());
        let shared = Bundle::from_bytes(&Bundle::from_capture(&capture).to_bytes())
            .unwrap()
            .to_capture();
        assert_eq!(shared.text_warnings, {
            let mut w = capture.text_warnings.clone();
            w.iter_mut().for_each(|t| t.warning.bytes = None);
            w
        });
        let c007 = |c| {
            analyze(c, &AnalysisOptions::default())
                .findings
                .iter()
                .filter(|f| f.code() == "SPOP-C007")
                .map(|f| (f.message.clone(), f.locations.clone()))
                .collect::<Vec<_>>()
        };
        let (before, after) = (c007(capture.clone()), c007(shared.clone()));
        assert!(!before.is_empty());
        assert_eq!(before, after);
        assert_eq!(capture.notes(), shared.notes());
    }

    #[test]
    fn links_carry_the_bundle_in_the_fragment() {
        let b = sample();
        let l = link("https://example.org/inspector/#old", &b);
        assert!(l.starts_with("https://example.org/inspector/#spop="));
        let frag = l.split_once('#').map(|(_, f)| f).unwrap_or("");
        assert_eq!(
            fragment_bundle(frag).map(Bundle::from_text),
            Some(Ok(b.clone()))
        );
        assert_eq!(fragment_bundle("#x=1&spop=abc"), Some("abc"));
        assert_eq!(bundle_text(l.as_bytes()), Some(&l[l.len() - t_len(&b)..]));
        assert_eq!(
            bundle_text(b"  https://x/#spop=U1BPUEIBabc \n"),
            Some("U1BPUEIBabc")
        );
        assert_eq!(
            bundle_text(b.to_text().as_bytes()),
            Some(b.to_text().as_str())
        );
        assert_eq!(bundle_text(b"00000000: 0000 0001"), None);
        assert_eq!(bundle_text(b"#spop=x y"), None);
        // A link cut short: damaged, not "not a bundle".
        let text = b.to_text();
        for n in 8..text.len() {
            assert!(Bundle::from_text(&text[..n]).is_err());
        }
        assert_eq!(
            Bundle::from_text(&text[..text.len() - (text.len() % 4 + 3) % 4 - 1]).err(),
            Some(ShareError::Damaged)
        );
        assert_eq!(fragment_bundle("#spopx=abc"), None);
        assert_eq!(fragment_bundle(""), None);
    }
}
