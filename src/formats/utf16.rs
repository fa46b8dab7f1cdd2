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
    fn upcases_like_an_ordinal_case_insensitive_compare() {
        assert_eq!(upcase_unit(u16::from(b'a')), u16::from(b'A'));
        assert_eq!(upcase_unit(u16::from(b'_')), u16::from(b'_'));
        assert_eq!(upcase_unit(0xE9), 0xC9); // é -> É
        assert_eq!(upcase_unit(0xDF), 0xDF); // ß has no single upper-case character
    }
}
