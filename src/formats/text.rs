//! Text files as Windows tools write them: UTF-16LE with a byte-order mark (PowerShell 5.1
//! redirection, regedit) or UTF-8 with or without one.

use std::borrow::Cow;

/// Characters that make text display differently from how it is stored: the bidirectional
/// embeddings, overrides and isolates, and the marks that reorder text.
#[must_use]
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{061C}')
}

/// `bytes` as text: UTF-16LE after its BOM, else UTF-8 after an optional BOM, invalid
/// sequences replaced with U+FFFD. Valid UTF-8 (nearly every input) is borrowed, not copied.
#[must_use]
pub fn decode(bytes: &[u8]) -> Cow<'_, str> {
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        return Cow::Owned(String::from_utf16_lossy(&units));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    // `from_utf8` validates far faster than the lossy path, which is only for bad input.
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_encoding_windows_writes_decodes_to_the_same_text() {
        let text = "{\"host\": \"RDS-01 ü\"}";
        let mut utf16 = vec![0xFF, 0xFE];
        for u in text.encode_utf16() {
            utf16.extend(u.to_le_bytes());
        }
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend(text.as_bytes());
        for bytes in [text.as_bytes(), &bom, &utf16] {
            assert_eq!(decode(bytes), text);
        }
        assert!(matches!(decode(text.as_bytes()), Cow::Borrowed(_)));
        assert_eq!(decode(b"a\xFFb"), "a\u{FFFD}b");
    }
}
