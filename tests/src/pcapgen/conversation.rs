//! A TCP connection's two sequence spaces, so tests describe exchanges, not arithmetic.

use std::net::SocketAddr;

use super::packet::{Endpoint, Flags, TcpPacket};

/// Both directions of one TCP connection: each method returns the next segment of one side
/// (with seq/ack filled in) and advances that side's sequence number by the segment's length
/// (wrapping at 2^32).
///
/// Segments are ordinary [`TcpPacket`]s: change them (`.seq(..)`, `.payload(..)`) or reuse an
/// earlier one to write retransmissions, reordering and gaps.
///
/// ```
/// use spop_tests::pcapgen::TcpConversation;
/// let mut c = TcpConversation::new("127.0.0.1:40000", "127.0.0.1:12345").isn(u32::MAX - 1, 7);
/// let [syn, syn_ack, ack] = c.handshake();
/// let hello = c.client(b"hello"); // seq u32::MAX: the data wraps around 0
/// assert_eq!(hello.seq, u32::MAX);
/// assert_eq!(c.client_next_seq(), 4);
/// let retransmission = hello.clone();
/// # let _ = (syn, syn_ack, ack, retransmission);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpConversation {
    /// The connecting side.
    pub client: SocketAddr,
    /// The listening side.
    pub server: SocketAddr,
    client_next: u32,
    server_next: u32,
}

impl TcpConversation {
    /// A connection from `client` to `server`, initial sequence numbers 1000 and 5000.
    pub fn new(client: impl Endpoint, server: impl Endpoint) -> Self {
        TcpConversation {
            client: client.endpoint(),
            server: server.endpoint(),
            client_next: 1000,
            server_next: 5000,
        }
    }

    /// Sets both initial sequence numbers (before any segment is made).
    pub fn isn(mut self, client: u32, server: u32) -> Self {
        self.client_next = client;
        self.server_next = server;
        self
    }

    /// The sequence number of the client's next segment.
    pub fn client_next_seq(&self) -> u32 {
        self.client_next
    }

    /// The sequence number of the server's next segment.
    pub fn server_next_seq(&self) -> u32 {
        self.server_next
    }

    fn client_segment(&mut self, flags: Flags, payload: &[u8]) -> TcpPacket {
        let segment = TcpPacket::new(self.client, self.server)
            .seq(self.client_next)
            .ack(self.server_next)
            .flags(flags)
            .payload(payload);
        self.client_next = self.client_next.wrapping_add(segment.seq_len());
        segment
    }

    fn server_segment(&mut self, flags: Flags, payload: &[u8]) -> TcpPacket {
        let segment = TcpPacket::new(self.server, self.client)
            .seq(self.server_next)
            .ack(self.client_next)
            .flags(flags)
            .payload(payload);
        self.server_next = self.server_next.wrapping_add(segment.seq_len());
        segment
    }

    /// The client's SYN (ack number 0, no ACK flag).
    pub fn syn(&mut self) -> TcpPacket {
        let syn = TcpPacket::new(self.client, self.server)
            .seq(self.client_next)
            .flags(Flags::SYN)
            .mss(65495);
        self.client_next = self.client_next.wrapping_add(1);
        syn
    }

    /// The server's SYN-ACK.
    pub fn syn_ack(&mut self) -> TcpPacket {
        self.server_segment(Flags::SYN | Flags::ACK, b"").mss(65495)
    }

    /// SYN, SYN-ACK, ACK.
    pub fn handshake(&mut self) -> [TcpPacket; 3] {
        let syn = self.syn();
        let syn_ack = self.syn_ack();
        let ack = self.client_ack();
        [syn, syn_ack, ack]
    }

    /// Client data (PSH, ACK).
    pub fn client(&mut self, payload: impl AsRef<[u8]>) -> TcpPacket {
        self.client_segment(Flags::PSH | Flags::ACK, payload.as_ref())
    }

    /// Server data (PSH, ACK).
    pub fn server(&mut self, payload: impl AsRef<[u8]>) -> TcpPacket {
        self.server_segment(Flags::PSH | Flags::ACK, payload.as_ref())
    }

    /// A pure ACK from the client.
    pub fn client_ack(&mut self) -> TcpPacket {
        self.client_segment(Flags::ACK, b"")
    }

    /// A pure ACK from the server.
    pub fn server_ack(&mut self) -> TcpPacket {
        self.server_segment(Flags::ACK, b"")
    }

    /// The client's FIN (with ACK).
    pub fn client_fin(&mut self) -> TcpPacket {
        self.client_segment(Flags::FIN | Flags::ACK, b"")
    }

    /// The server's FIN (with ACK).
    pub fn server_fin(&mut self) -> TcpPacket {
        self.server_segment(Flags::FIN | Flags::ACK, b"")
    }

    /// A reset from the client.
    pub fn client_rst(&mut self) -> TcpPacket {
        self.client_segment(Flags::RST | Flags::ACK, b"")
    }

    /// A reset from the server.
    pub fn server_rst(&mut self) -> TcpPacket {
        self.server_segment(Flags::RST | Flags::ACK, b"")
    }
}
