//! "Did you mean": the nearest known word to a misspelt one, for every phase's messages.

/// The candidate closest to `word` (edit distance, case-insensitive), if it is close enough to
/// be what was meant.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = word.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (levenshtein(&lower, &c.to_lowercase()), c))
        .filter(|(d, c)| *d <= (c.chars().count().max(word.chars().count()) / 3).max(2))
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(row[j]).min(row[j + 1])
            };
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_find_near_misses_only() {
        let keys = ["promptForPassword", "secureRpc", "nla", "layer"];
        assert_eq!(suggest("promptForPasword", keys), Some("promptForPassword"));
        assert_eq!(suggest("NLA", keys), Some("nla"));
        assert_eq!(suggest("securerpc", keys), Some("secureRpc"));
        assert_eq!(suggest("completelyDifferent", keys), None);
    }
}
