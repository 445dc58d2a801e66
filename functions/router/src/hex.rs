//! Lowercase hexadecimal: the one encoder for digests, signatures and
//! random names, in the router and (through the crate) the builder.

use sha2::{Digest, Sha256};

/// `bytes` as lowercase hex, two characters a byte.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        // Writing to a String cannot fail.
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// The first 16 bytes of SHA-256 over `parts`, fed one after the other, as
/// 32 hex characters: a short id that is safe as a file name.
pub fn short_sha256<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> String {
    let mut h = Sha256::new();
    for part in parts {
        h.update(part);
    }
    hex(&h.finalize()[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_and_hashes() {
        assert_eq!(hex(&[0x00, 0x0f, 0xab, 0xff]), "000fabff");
        assert_eq!(hex(&[]), "");
        // SHA-256("abc") starts ba7816bf8f01cfea414140de5dae2223.
        assert_eq!(
            short_sha256([b"ab".as_slice(), b"c"]),
            "ba7816bf8f01cfea414140de5dae2223"
        );
    }
}
