//! DISCONNECT status codes and HAProxy's text for them (`spop_err_reasons`,
//! docs/protocol.md §5).

/// A DISCONNECT status-code.
pub type StatusCode = u64;

/// HAProxy's text for a status code (what it sends as `message`), if the code is assigned.
pub const fn status_text(code: StatusCode) -> Option<&'static str> {
    Some(match code {
        0 => "normal",
        1 => "I/O error",
        2 => "a timeout occurred",
        3 => "frame is too big",
        4 => "invalid frame received",
        5 => "version value not found",
        6 => "max-frame-size value not found",
        7 => "capabilities value not found",
        8 => "unsupported version",
        9 => "max-frame-size too big or too small",
        10 => "fragmentation not supported",
        11 => "invalid interlaced frames",
        12 => "frame-id not found",
        13 => "resource allocation error",
        99 => "an unknown error occurred",
        _ => return None,
    })
}
