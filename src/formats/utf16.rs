//! UTF-16LE text as the registry formats store it: encoding, strict decoding (an unpaired
//! surrogate is an error, never a replacement character) and the upper-casing Windows uses
//! for ordinal, case-insensitive comparison of key names.

/// Appends `text` as UTF-16LE code units (no terminator).
pub(crate) fn push_le(out: &mut Vec<u8>, text: &str) {
    for unit in text.encode_utf16() {
        out.extend_from_slice(&unit.to_le_bytes());
    }
}

/// `text` as UTF-16LE bytes followed by one NUL code unit.
pub(crate) fn to_le_nul(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(2 * text.len() + 2);
    push_le(&mut out, text);
    out.extend_from_slice(&[0, 0]);
    out
}

/// Little-endian code units of `bytes`; a trailing odd byte is ignored (callers check parity).
pub(crate) fn units_le(bytes: &[u8]) -> Vec<u16> {
    bytes
        .chunks_exact(2)
        .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
        .collect()
}

/// Decodes UTF-16LE bytes (a trailing odd byte is ignored, as in [`units_le`]); an unpaired
/// surrogate is reported by its code-unit index. ASCII, nearly all registry text, is copied
/// byte by byte without the intermediate `Vec<u16>` and the per-character pushes of [`decode`].
pub(crate) fn decode_le(bytes: &[u8]) -> Result<String, usize> {
    if has_non_ascii(bytes) {
        return decode(&units_le(bytes));
    }
    // `chunks_exact` has an exact length, so `collect` allocates once.
    let ascii: Vec<u8> = bytes.chunks_exact(2).map(|pair| pair[0]).collect();
    // All ASCII, so valid UTF-8; a byte index here is also a code-unit index.
    String::from_utf8(ascii).map_err(|e| e.utf8_error().valid_up_to())
}

/// Appends UTF-16LE `bytes` (even length; a trailing odd byte is ignored) to `out`, decoded as
/// [`decode_le`] decodes them; on an unpaired surrogate `out` is left as it was and the
/// code-unit index is returned. ASCII goes through `scratch` (cleared first), which a caller
/// decoding many strings keeps, so that text costs no allocation of its own.
pub(crate) fn decode_le_into(
    bytes: &[u8],
    out: &mut String,
    scratch: &mut Vec<u8>,
) -> Result<(), usize> {
    if has_non_ascii(bytes) {
        out.push_str(&decode(&units_le(bytes))?);
        return Ok(());
    }
    scratch.clear();
    scratch.extend(bytes.chunks_exact(2).map(|pair| pair[0]));
    // All ASCII, so valid UTF-8; a byte index here is also a code-unit index.
    out.push_str(std::str::from_utf8(scratch).map_err(|e| e.valid_up_to())?);
    Ok(())
}

/// The code-unit index of the first unpaired surrogate of UTF-16LE `bytes`, as [`decode_le`]
/// would report it, or `None` when they decode. Allocates nothing; text with no unit at or
/// above 0x8000 (no surrogate can be there) is checked four units at a time.
pub(crate) fn first_unpaired_surrogate_le(bytes: &[u8]) -> Option<usize> {
    let high = bytes
        .chunks_exact(8)
        .map(word_le)
        .fold(0, |acc, word| acc | (word & 0x8000_8000_8000_8000));
    let tail = bytes.chunks_exact(8).remainder();
    if high == 0 && tail.chunks_exact(2).all(|pair| pair[1] < 0x80) {
        return None;
    }
    let mut units = bytes
        .chunks_exact(2)
        .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
        .enumerate()
        .peekable();
    while let Some((index, unit)) = units.next() {
        match unit {
            0xD800..=0xDBFF => {
                if !matches!(units.peek(), Some((_, 0xDC00..=0xDFFF))) {
                    return Some(index);
                }
                units.next();
            }
            0xDC00..=0xDFFF => return Some(index),
            _ => {}
        }
    }
    None
}

/// Whether any code unit of UTF-16LE `bytes` is 0x80 or above (four units at a time).
fn has_non_ascii(bytes: &[u8]) -> bool {
    let mut words = bytes.chunks_exact(8);
    let high = words
        .by_ref()
        .map(word_le)
        .fold(0, |acc, word| acc | (word & 0xFF80_FF80_FF80_FF80));
    high != 0
        || words
            .remainder()
            .chunks_exact(2)
            .any(|pair| pair[0] & 0x80 != 0 || pair[1] != 0)
}

/// Eight bytes as a little-endian word (`chunks_exact(8)` guarantees the length).
fn word_le(bytes: &[u8]) -> u64 {
    <[u8; 8]>::try_from(bytes).map_or(0, u64::from_le_bytes)
}

/// The index, in code units, of the first NUL code unit of UTF-16LE `bytes`. Scans four code
/// units at a time: `(x - 0x0001…) & !x & 0x8000…` is non-zero exactly when a 16-bit lane of
/// `x` is zero or a lane above a zero one borrows, so the word that stops the scan is then
/// searched unit by unit.
pub(crate) fn nul_position(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0001_0001_0001_0001;
    const HIGHS: u64 = 0x8000_8000_8000_8000;
    let mut units = 0;
    for word in bytes.chunks_exact(8).map(word_le) {
        if word.wrapping_sub(ONES) & !word & HIGHS != 0 {
            break;
        }
        units += 4;
    }
    bytes[2 * units..]
        .chunks_exact(2)
        .position(|pair| pair == [0, 0])
        .map(|index| units + index)
}

/// Decodes UTF-16 code units; an unpaired surrogate is reported by its index in `units`.
pub(crate) fn decode(units: &[u16]) -> Result<String, usize> {
    let mut text = String::with_capacity(units.len());
    let mut index = 0;
    while let Some(&unit) = units.get(index) {
        match unit {
            0xD800..=0xDBFF => {
                let Some(&low @ 0xDC00..=0xDFFF) = units.get(index + 1) else {
                    return Err(index);
                };
                let code =
                    0x1_0000 + ((u32::from(unit) - 0xD800) << 10) + (u32::from(low) - 0xDC00);
                text.push(char::from_u32(code).ok_or(index)?);
                index += 2;
            }
            0xDC00..=0xDFFF => return Err(index),
            _ => {
                text.push(char::from_u32(u32::from(unit)).ok_or(index)?);
                index += 1;
            }
        }
    }
    Ok(text)
}

/// The upper-case form of one UTF-16 code unit, as used for ordinal case-insensitive
/// comparison (registry subkey order). Characters whose upper case is not a single BMP
/// character, and surrogates, compare as themselves.
pub(crate) fn upcase_unit(unit: u16) -> u16 {
    if let Ok(byte) = u8::try_from(unit)
        && byte.is_ascii()
    {
        return u16::from(byte.to_ascii_uppercase());
    }
    let Some(ch) = char::from_u32(u32::from(unit)) else {
        return unit;
    };
    let mut upper = ch.to_uppercase();
    match (upper.next(), upper.next()) {
        (Some(single), None) => u16::try_from(u32::from(single)).unwrap_or(unit),
        _ => unit,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_surrogate_pairs_and_rejects_lone_surrogates() {
        let units: Vec<u16> = "a😀b".encode_utf16().collect();
        assert_eq!(decode(&units), Ok("a😀b".to_owned()));
        assert_eq!(decode(&[0x61, 0xD83D]), Err(1));
        assert_eq!(decode(&[0xDE00, 0x61]), Err(0));
        assert_eq!(decode(&[0xD83D, 0x61]), Err(0));
    }

    #[test]
    fn decode_le_agrees_with_decode() {
        for text in [
            "",
            "Software\\Policies",
            "caf\u{e9}",
            "a\u{1F600}b",
            "\u{7f}\u{80}",
        ] {
            let mut bytes = Vec::new();
            push_le(&mut bytes, text);
            assert_eq!(decode_le(&bytes), Ok(text.to_owned()), "{text:?}");
        }
        assert_eq!(decode_le(&[0x61, 0, 0x3D, 0xD8]), Err(1));
    }

    /// Every sequence of up to five units over an alphabet of ASCII, non-ASCII, NUL, both
    /// surrogate halves and their edges, across the four-unit fast path's boundary: the
    /// checking and appending decoders agree with `decode_le` on the text and the error.
    #[test]
    fn checking_and_appending_decoders_agree_with_decode_le() {
        const ALPHABET: [u16; 9] = [
            0x0000, 0x0041, 0x00E9, 0x8000, 0xD83D, 0xDE00, 0xDBFF, 0xDC00, 0xFFFF,
        ];
        let mut sequences: Vec<Vec<u16>> = vec![Vec::new()];
        let mut seen = 0;
        for _ in 0..5 {
            let longer: Vec<Vec<u16>> = sequences
                .iter()
                .filter(|s| s.len() == sequences.last().map_or(0, Vec::len))
                .flat_map(|s| {
                    ALPHABET.iter().map(move |&unit| {
                        let mut next = s.clone();
                        next.push(unit);
                        next
                    })
                })
                .collect();
            sequences.extend(longer);
        }
        for units in &sequences {
            let bytes: Vec<u8> = units.iter().flat_map(|u| u.to_le_bytes()).collect();
            let expected = decode_le(&bytes);
            assert_eq!(
                first_unpaired_surrogate_le(&bytes),
                expected.as_ref().err().copied(),
                "{units:04X?}"
            );
            let mut out = String::from("x");
            let appended = decode_le_into(&bytes, &mut out, &mut Vec::new());
            match &expected {
                Ok(text) => assert_eq!((appended, out), (Ok(()), format!("x{text}"))),
                Err(index) => assert_eq!((appended, out.as_str()), (Err(*index), "x")),
            }
            seen += usize::from(expected.is_err());
        }
        assert_eq!(sequences.len(), 1 + 9 + 81 + 729 + 6561 + 59049);
        assert!(
            seen > 10_000,
            "the alphabet makes many invalid sequences: {seen}"
        );
    }

    #[test]
    fn finds_the_first_nul_unit_at_any_position() {
        // Units 0x0100.. have a zero low byte: a zero byte is not a NUL unit.
        for len in 0..20 {
            for nul in 0..len {
                let mut units: Vec<u16> = (0..len).map(|i| 0x0100 + i).collect();
                units[usize::from(nul)] = 0;
                let bytes: Vec<u8> = units.iter().flat_map(|u| u.to_le_bytes()).collect();
                assert_eq!(nul_position(&bytes), Some(usize::from(nul)), "{len} {nul}");
            }
            let bytes: Vec<u8> = (0..len)
                .flat_map(|i: u16| (0x4100 + i).to_le_bytes())
                .collect();
            assert_eq!(nul_position(&bytes), None);
        }
    }

    #[test]
    fn upcases_like_an_ordinal_case_insensitive_compare() {
        assert_eq!(upcase_unit(u16::from(b'a')), u16::from(b'A'));
        assert_eq!(upcase_unit(u16::from(b'_')), u16::from(b'_'));
        assert_eq!(upcase_unit(0xE9), 0xC9); // é -> É
        assert_eq!(upcase_unit(0xDF), 0xDF); // ß has no single upper-case character
    }
}
